"""Names with invisible characters are flagged by validation (issue 12): control characters,
zero-width characters and bidirectional overrides reorder or hide text in reports, terminals
and spreadsheets; a right-to-left *script* is an ordinary name."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hemei_tools.cli import main
from hemei_tools.inputs.problems import rule_title
from hemei_tools.inputs.table_text import hidden_characters, show_hidden, text_table

HEAD = "village_code,village_name,township_code,township_name,county_code,county_name,village_type,households\n"


def _data(tmp_path, names: list[str]):
    """A synthetic data set (invented codes) with one village per name."""
    folder = tmp_path / "data"
    folder.mkdir()
    rows = [f"340799001{i:03d},{n},340799001,新镇,340799,新县,一般村,100" for i, n in enumerate(names)]
    (folder / "villages.csv").write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    (folder / "metadata.json").write_text(json.dumps({"synthetic": True}), encoding="utf-8")
    return folder


def test_hidden_characters_are_named_by_code_point():
    assert hidden_characters("郊\u202e区\u200b\u202e") == ["U+202E", "U+200B"]
    assert hidden_characters("a\x07b\ufeffc\u2066d\u00ade") == ["U+0007", "U+FEFF", "U+2066", "U+00AD"]
    assert hidden_characters("قرية النخيل כפר 横山村 tab\there") == []
    assert show_hidden("郊\u202e区") == "郊<U+202E>区"


def test_terminal_tables_spell_hidden_characters_out():
    table = text_table(["村"], [["a\u202eb"]])
    assert "\u202e" not in table and "a<U+202E>b" in table


def test_validation_flags_each_name_with_hidden_characters(tmp_path):
    names = ["横\u202e山村", "水\u200b村", "铃\x07村", "\ufeff东村", "قرية النخيل", "כפר שלום", "西村"]
    r = CliRunner().invoke(main, ["validate", str(_data(tmp_path, names)), "--csv", str(tmp_path / "p.csv")])
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.output.splitlines() if rule_title("hidden_characters") in ln]
    assert len(lines) == 4, r.output
    for code, line in zip(("U+202E", "U+200B", "U+0007", "U+FEFF"), lines, strict=True):
        assert f"<{code}>" in line and line.rstrip().endswith(code)
    assert "\u202e" not in r.output and "\u200b" not in r.output
    # the right-to-left scripts are ordinary names: no problem for their rows (data rows 6 and 7)
    problems = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "قرية" not in problems and "כפר" not in problems


def test_clean_names_pass(tmp_path):
    r = CliRunner().invoke(main, ["validate", str(_data(tmp_path, ["قرية النخيل", "横山村"]))])
    assert r.exit_code == 0, r.output
