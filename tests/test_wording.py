"""Wording is data: every user-facing word lives in ``catalogue/labels.csv``; code uses keys.

The guard walks every module of the package with :mod:`ast` and fails on a string constant
with a CJK character outside the catalogue loader (docstrings are documentation and allowed).
The other tests check that every key the code names exists, that each template call passes the
template's placeholders, and the rules :func:`hemei_tools.catalogue.load_labels` enforces.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hemei_tools import catalogue as cat_mod
from hemei_tools.catalogue import (
    LabelGroup,
    MissingLabelError,
    format_label,
    label,
    load_labels,
    placeholders,
    validate_labels,
)
from hemei_tools.errors import CatalogueError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hemei_tools"
#: CJK ideographs and punctuation, and full-width forms (（）：，).
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
#: The catalogue loader is where wording is read; it may hold CJK text.
EXEMPT = ("hemei_tools/catalogue.py",)
#: Names the modules call to look a label up: ``_t(key)``, ``_tf(key, **values)``.
LOOKUPS = {"_t": False, "label": False, "_tf": True, "format_label": True}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _docstring_ids(tree: ast.AST) -> set[int]:
    """Ids of string constants that are bare expression statements: module, class and function
    docstrings and attribute docstrings."""
    ids = set()
    for node in ast.walk(tree):
        stmts = [s for f in ("body", "orelse", "finalbody") if isinstance(getattr(node, f, None), list)
                 for s in getattr(node, f)]
        for stmt in stmts:
            if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                ids.add(id(stmt.value))
    return ids


def cjk_literals(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every non-docstring string constant with a CJK character."""
    tree = ast.parse(source)
    docs = _docstring_ids(tree)
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in docs and CJK.search(node.value))


def test_no_chinese_literal_in_code_outside_the_catalogue():
    found = []
    for path in _modules():
        rel = _rel(path)
        if rel in EXEMPT:
            continue
        found += [f"{rel}:{line}: {text!r}" for line, text in cjk_literals(path.read_text(encoding="utf-8"))]
    assert not found, ("Chinese literals in code; move them to hemei_tools/catalogue/labels.csv and "
                       "refer to them by key:\n" + "\n".join(found))


def test_the_guard_sees_literals_and_fstrings_but_not_docstrings():
    source = '''"""模块说明。"""
X = "状态"
def f(n):
    """函数说明。"""
    y = f"{n}个"
    """属性说明。"""
    return {"k": "值"}
'''
    assert [line for line, _ in cjk_literals(source)] == [2, 5, 7]


def _lookups():
    """Every ``_t("key")`` / ``_tf("key", **values)`` call with a literal key in the package."""
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LOOKUPS
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                yield _rel(path), node
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "LabelGroup"):
                yield _rel(path), node


def _constant(node: ast.expr):
    """The value of a constant expression of the source (literals, comprehensions over them and
    the package's named id tuples, e.g. the traffic-light ``STATUSES``)."""
    from hemei_tools.engine.gaps import STATUSES

    return eval(compile(ast.Expression(node), "<labels>", "eval"),  # noqa: S307
                {"__builtins__": {}, "STATUSES": STATUSES})


def test_every_key_the_code_names_exists_and_templates_get_their_placeholders():
    labels = load_labels()
    problems, n = [], 0
    for rel, call in _lookups():
        n += 1
        if call.func.id == "LabelGroup":
            args = [_constant(a) for a in call.args]
            kw = {k.arg: _constant(k.value) for k in call.keywords}
            group = LabelGroup(args[0], args[1], kw.get("keys"))
            problems += [f"{rel}:{call.lineno}: no label {group.key(i)!r}" for i in group
                         if group.key(i) not in labels]
            continue
        key = call.args[0].value
        if key not in labels:
            problems.append(f"{rel}:{call.lineno}: no label {key!r}")
            continue
        if LOOKUPS[call.func.id]:
            given = {k.arg for k in call.keywords if k.arg is not None and k.arg != "lang"}
            wanted = placeholders(labels(key))
            if given != wanted and not any(k.arg is None for k in call.keywords):
                problems.append(f"{rel}:{call.lineno}: {key!r} needs {sorted(wanted)}, gets {sorted(given)}")
    assert n > 200
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------- labels.csv
def test_packaged_labels_load_in_both_languages():
    zh, en = load_labels("zh"), load_labels("en")
    assert zh.texts.keys() == en.texts.keys()
    assert len(zh.texts) > 300
    assert label("status.red") == "差距很大" and en("status.red") == "Far short"
    assert load_labels() is load_labels("zh")  # cached
    assert all(t.strip() for t in en.texts.values() if t != " ")
    # every en row is a translation, not a copy of zh with CJK left in
    assert not [k for k, t in en.texts.items() if CJK.search(t)]


def test_format_fills_a_template_and_names_a_missing_placeholder():
    assert format_label("format.year", year=2023) == "2023年"
    assert format_label("format.year", lang="en", year=2023) == "2023"
    with pytest.raises(KeyError, match="'format.year'.*'year'"):
        format_label("format.year")


def test_a_missing_key_raises_a_clear_error_naming_the_key():
    with pytest.raises(MissingLabelError, match=r"no label with key 'status\.purple'") as err:
        label("status.purple")
    assert isinstance(err.value, KeyError) and isinstance(err.value, CatalogueError)
    assert err.value.key == "status.purple"
    group = LabelGroup("status", ("green", "purple"))
    assert group["green"] == "达标"
    with pytest.raises(KeyError, match="status.purple"):
        group["purple"]
    assert group.get("orange") is None  # not an id of the group
    with pytest.raises(MissingLabelError):  # a missing label is not hidden by .get
        group.get("purple", "")


def test_label_groups_read_the_table_on_every_lookup(monkeypatch):
    group = LabelGroup("plan_status", ("ahead", "on schedule"))
    assert group.key("on schedule") == "plan_status.on_schedule"
    monkeypatch.setitem(load_labels().texts, "plan_status.on_schedule", "按期")
    assert dict(group) == {"ahead": "超前于进度", "on schedule": "按期"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_variant_table_loads(tmp_path):
    path = _write(tmp_path, "key,zh,en\nstatus.red,很远,far\nsentence.x,{n}个,{n} items\nword.only_zh,仅中文,\n")
    labels = load_labels("en", path)
    assert labels("sentence.x") == "{n} items" and labels("word.only_zh") == "仅中文"  # empty en: zh


@pytest.mark.parametrize(("text", "message"), [
    ("key,zh,en\nstatus.red,很远,far\nstatus.red,远,far\n",
     r"row 3 \(key 'status\.red'\): duplicate key, first defined in row 2"),
    ("key,zh,en\nsentence.x,{n}个村,{count} villages\n",
     r"row 2 \(key 'sentence\.x'\): placeholders differ: zh \{n\} vs en \{count\}"),
    ("key,zh,en\nstatus.red,,far\n", r"row 2 \(key 'status\.red'\): zh is empty"),
    ("key,zh,en\nStatus Red,很远,far\n", r"row 2 \(key 'Status Red'\): key must be a dotted"),
    ("key,zh,en\nsentence.x,{n个,{n}\n", r"row 2 \(key 'sentence\.x'\): zh is not a valid template"),
    ("key,zh\nstatus.red,很远\n", r"missing column\(s\) en"),
])
def test_a_broken_table_is_rejected_naming_the_row(tmp_path, text, message):
    with pytest.raises(CatalogueError, match=message):
        load_labels("zh", _write(tmp_path, text))


def test_validation_lists_every_problem():
    rows = [{"key": "a.b", "zh": "", "en": ""}, {"key": "a.b", "zh": "{x}", "en": "{y}"}]
    problems = validate_labels(rows, "t.csv")
    assert len(problems) == 3 and all(p.startswith("t.csv row ") for p in problems)


def test_placeholders_include_nested_format_specs():
    assert placeholders("{a}和{b:.{d}f}，{{literal}}") == {"a", "b", "d"}
    assert placeholders("{as_of:%Y年%m月%d日}") == {"as_of"}


def test_the_unknown_language_is_refused():
    with pytest.raises(ValueError, match="zh, en"):
        load_labels("fr")


def test_the_synthetic_banner_is_the_label():
    from hemei_tools.contract import SYNTHETIC_BANNER

    assert label("banner.synthetic") == SYNTHETIC_BANNER
    assert cat_mod.LANGUAGES == ("zh", "en")
