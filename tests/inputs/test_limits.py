"""Limits (issue 12, point 6) and absurd values (point 8) of the readers.

Every file here is small and made in ``tmp_path``: a workbook "bomb" is a few kilobytes whose
zip directory or ``<dimension>`` tag says what a real one would hold. Each test fails on the
code before the limits: the big file was read (and, for a real bomb, memory grew to 9.8 GB), the
problem listing printed every one of 2.3 million problems, and ``budget_wan = 1e308`` passed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from small_data import CHAITANG, NONGLIN, OBS_HEAD, VILLAGES

from hemei_tools.catalogue import load_catalogue
from hemei_tools.cli import main
from hemei_tools.errors import CatalogueError
from hemei_tools.inputs import guard
from hemei_tools.inputs.dataset import read_dataset
from hemei_tools.inputs.limits import InputLimitError, current_limits, input_limits
from hemei_tools.inputs.problems import ValidationReport, problem_frame
from hemei_tools.inputs.schema import TABLES, YEAR_RANGE, field_bounds

DATA = Path(__file__).parent / "data"


def rules(report) -> list[str]:
    return report.to_frame()["rule"].tolist()


def refuse_to_load(monkeypatch):
    """Make every loader fail the test: a refused file must not be loaded at all."""
    def boom(*a, **k):
        raise AssertionError("the file was loaded")

    from hemei_tools.inputs import read

    monkeypatch.setattr(read, "_csv_pieces", boom)
    monkeypatch.setitem(read._READERS, "csv", boom)
    monkeypatch.setitem(read._READERS, "xlsx", boom)
    monkeypatch.setitem(read._READERS, "calamine", boom)
    monkeypatch.setitem(read._READERS, "parquet", boom)
    monkeypatch.setattr(openpyxl, "load_workbook", boom)


# ----------------------------------------------------------------------------- the limits

def test_defaults_and_environment(monkeypatch):
    for name in ("HEMEI_MAX_FILE_MB", "HEMEI_MAX_UNZIPPED_MB", "HEMEI_MAX_CELLS"):
        monkeypatch.delenv(name, raising=False)
    lim = current_limits()
    assert (lim.file_bytes, lim.unzipped_bytes, lim.cells) == (200_000_000, 500_000_000, 5_000_000)
    monkeypatch.setenv("HEMEI_MAX_FILE_MB", "0.5")
    monkeypatch.setenv("HEMEI_MAX_CELLS", "1_000")
    assert (current_limits().file_bytes, current_limits().cells) == (500_000, 1000)
    with input_limits(file_mb=2, cells=7):  # the validate options win over the environment
        assert (current_limits().file_bytes, current_limits().cells) == (2_000_000, 7)
    assert current_limits().cells == 1000
    monkeypatch.setenv("HEMEI_MAX_CELLS", "many")
    with pytest.raises(InputLimitError, match="HEMEI_MAX_CELLS='many'"):
        current_limits()
    monkeypatch.setenv("HEMEI_MAX_CELLS", "-3")
    with pytest.raises(InputLimitError):
        current_limits()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")  # 96 bytes
    size = (tmp_path / "villages.csv").stat().st_size
    refuse_to_load(monkeypatch)
    with input_limits(file_mb=0.00005):  # 50 bytes
        ds, report = read_dataset(tmp_path)
    f = report.to_frame()
    assert f["rule"].tolist() == ["file_too_large", "no_villages_table"]
    hint = f["hint"].iat[0]
    assert size == 96 and "文件有 0.000096 MB，超过上限 0.00005 MB，没有读取" in hint
    assert "HEMEI_MAX_FILE_MB=0.0001" in hint and "--max-file-mb 0.0001" in hint
    assert not ds.files and len(ds.villages) == 0  # nothing read, nothing hashed


def test_environment_limit_reaches_load_dataset(tmp_path, monkeypatch):
    from hemei_tools.inputs.dataset import load_dataset
    from hemei_tools.inputs.problems import DataValidationError

    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    monkeypatch.setenv("HEMEI_MAX_FILE_MB", "0.00005")
    with pytest.raises(DataValidationError, match="文件过大"):
        load_dataset(tmp_path)


def test_validate_options_and_a_bad_environment_value(tmp_path, monkeypatch):
    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path), "--max-file-mb", "0.00005"])
    assert r.exit_code == 1 and "文件过大" in r.output and "没有读取" in r.output
    r = CliRunner().invoke(main, ["validate", str(tmp_path), "--max-file-mb", "1"])
    assert "文件过大" not in r.output
    monkeypatch.setenv("HEMEI_MAX_FILE_MB", "lots")
    r = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 2 and "HEMEI_MAX_FILE_MB='lots'" in r.output
    r = CliRunner().invoke(main, ["validate", str(tmp_path), "--max-cells", "0"])
    assert r.exit_code == 2


def _villages_workbook(path: Path, rows: int = 2, cols: int = 3) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "村庄名录"
    ws.append(["village_code", "village_type", "households"] + [f"x{i}" for i in range(cols - 3)])
    codes = [NONGLIN, CHAITANG]
    for i in range(rows):
        ws.append([codes[i % 2], "一般村", 10 + i] + [i] * (cols - 3))
    wb.save(path)
    return path


def _rewrite(path: Path, change) -> Path:
    """Rewrite every part of a zip through ``change(name, bytes) -> bytes`` (deflated)."""
    with zipfile.ZipFile(path) as zin:
        parts = [(i.filename, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts:
            zout.writestr(name, change(name, data))
    return path


def _dimension(ref: bytes):
    """A zip rewrite (:func:`_rewrite`) that sets the worksheets' ``<dimension ref>``."""
    return lambda name, data: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', data) \
        if name.startswith("xl/worksheets/") else data


def test_dimension_tag_refuses_a_sheet_before_openpyxl_opens_it(tmp_path, monkeypatch):
    # the QA bomb: 743 KB → 191 MB of XML, 12 million cells; here the tag says so in 5 KB
    path = _rewrite(_villages_workbook(tmp_path / "villages.xlsx"), _dimension(b"A1:L12000001"))
    assert path.stat().st_size < 10_000
    refuse_to_load(monkeypatch)
    ds, report = read_dataset(path)
    f = report.to_frame()
    assert f["rule"].iat[0] == "content_too_large" and f["sheet"].iat[0] == "村庄名录"
    assert f["value"].iat[0] == "12,000,001 × 12"
    hint = f["hint"].iat[0]
    assert "144,000,012 个单元格（12,000,001 行 × 12 列，按工作表记录的已用范围）" in hint
    assert "超过上限 5,000,000" in hint and "HEMEI_MAX_CELLS=10000000" in hint and "--max-cells" in hint


def test_a_workbook_that_inflates_past_the_limit_is_refused(tmp_path, monkeypatch):
    # 3 MB of XML padding that deflates to a few kilobytes: judged from the zip directory
    pad = b" " * 3_000_000
    path = _rewrite(_villages_workbook(tmp_path / "ledger.xlsx"), lambda n, d: d.replace(
        b"</worksheet>", pad + b"</worksheet>") if n.startswith("xl/worksheets/") else d)
    assert path.stat().st_size < 20_000
    refuse_to_load(monkeypatch)
    with input_limits(unzipped_mb=1):
        _, report = read_dataset(path)
    f = report.to_frame()
    assert f["rule"].iat[0] == "content_too_large" and f["sheet"].iat[0] == "村庄名录"
    hint = f["hint"].iat[0]
    assert "工作簿解压后共 3.0 MB" in hint and "超过上限 1.0 MB" in hint
    assert "最大的部分是工作表“村庄名录”（3.0 MB）" in hint and "HEMEI_MAX_UNZIPPED_MB=2" in hint
    monkeypatch.undo()
    with input_limits(unzipped_mb=4):  # under the limit it is read as before
        ds, report = read_dataset(path)
    assert len(ds.villages) == 2 and "content_too_large" not in rules(report)


def test_a_sheet_larger_than_its_dimension_says_stops_being_read(tmp_path):
    # the tag says A1, the sheet holds 40 rows × 3 columns: counted while reading
    path = _rewrite(_villages_workbook(tmp_path / "villages.xlsx", rows=39), _dimension(b"A1"))
    with input_limits(cells=60):
        ds, report = read_dataset(path)
    f = report.to_frame()
    assert f["rule"].iat[0] == "content_too_large" and f["value"].iat[0] == "21 × 3"
    assert "工作表至少有 63 个单元格（21 行 × 3 列，读取时统计" in f["hint"].iat[0] and len(ds.villages) == 0
    with input_limits(cells=120):
        ds, report = read_dataset(path)
    assert len(ds.villages) == 39 and "content_too_large" not in rules(report)


def test_legacy_workbook_cells_are_checked_before_conversion():
    with input_limits(cells=10):
        _, report = read_dataset(DATA / "legacy_ledger.xls")
    f = report.to_frame()
    assert "content_too_large" in f["rule"].tolist()
    assert "按工作表的已用范围" in f.loc[f["rule"].eq("content_too_large"), "hint"].iat[0]


def test_parquet_that_inflates_past_the_limit_is_refused(tmp_path, monkeypatch):
    frame = pd.DataFrame({"village_code": [NONGLIN] * 200_000, "year": 2023, "indicator_id": "toilet_rate",
                          "value": 80.0})
    # plain-encoded pages (about 6 MB) that zstd packs into a few kilobytes
    frame.to_parquet(tmp_path / "observations.parquet", use_dictionary=False, compression="zstd")
    assert (tmp_path / "observations.parquet").stat().st_size < 100_000
    refuse_to_load(monkeypatch)
    with input_limits(unzipped_mb=1):
        _, report = read_dataset(tmp_path / "observations.parquet")
    f = report.to_frame()
    assert f["rule"].iat[0] == "content_too_large" and "Parquet 文件解压后共" in f["hint"].iat[0]


def test_partitioned_table_counts_its_parts_together(tmp_path):
    folder = tmp_path / "observations" / "county_code=340705"
    folder.mkdir(parents=True)
    for i in range(2):
        pd.DataFrame({"village_code": [NONGLIN], "year": [2020 + i], "indicator_id": ["toilet_rate"],
                      "value": [80.0]}).to_parquet(folder / f"part-{i}.parquet")
    one = (folder / "part-0.parquet").stat().st_size
    with input_limits(file_mb=1.5 * one / 1e6):  # each part fits, both do not
        _, report = read_dataset(tmp_path / "observations")
    assert rules(report) == ["file_too_large", "no_villages_table"]


def test_dimension_of_a_worksheet():
    assert guard.dimension_cells(b'<worksheet><dimension ref="A1:L12000001"/>') == (12000001, 12)
    assert guard.dimension_cells(b'<x:dimension ref="B2"/>') == (2, 2)
    assert guard.dimension_cells(b'<dimension ref="$A$1:$XFD$1048576"/>') == (1048576, 16384)
    assert guard.dimension_cells(b"<sheetData/>") is None


# ----------------------------------------------------------------------------- capped listings

def _report(n_dup: int, n_other: int) -> ValidationReport:
    r = ValidationReport()
    r.add_frame(problem_frame("a.csv", "", np.arange(2, 2 + n_dup), "village_code", "x", "duplicate_key"))
    r.add_frame(problem_frame("a.csv", "", np.arange(100, 100 + n_other), "value", "y", "not_a_number"))
    r.add_frame(problem_frame("b.csv", "", np.arange(2, 2 + n_dup), "village_code", "x", "duplicate_key"))
    return r


def test_listing_is_capped_per_rule_and_file_with_a_count():
    r = _report(25, 3)
    lines = r.render(limit=20).splitlines()
    assert len(lines) == 2 + 20 + 1 + 3 + 20 + 1  # header, rule, a.csv 20 + more, 3, b.csv 20 + more
    assert lines[22] == "  … 另有 5 条同类问题（重复的行）"  # right below a.csv's 20th repeat
    assert lines[-1] == "  … 另有 5 条同类问题（重复的行）"
    assert sum("b.csv" in ln for ln in lines) == 20 and sum("不是数字" in ln for ln in lines) == 3
    assert r.unlisted(20) == 10 and r.unlisted(0) == 0 and r.unlisted(30) == 0
    assert len(r.render().splitlines()) == 2 + 53  # no limit: everything
    assert "and 5 more of the same (repeated row)" in r.render("en", limit=20)


def test_large_count_has_thousands_separators():
    r = _report(2_344_980, 0)
    text = r.render(limit=20)
    assert "  … 另有 2,344,960 条同类问题（重复的行）" in text
    assert len(text.splitlines()) == 2 + 2 * 21


def test_csv_export_is_complete_and_written_in_parts(tmp_path, monkeypatch):
    r = _report(25, 3)
    monkeypatch.setattr(ValidationReport, "CSV_CHUNK", 7)
    r.write_csv(tmp_path / "p.csv")
    raw = (tmp_path / "p.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    back = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig", dtype=str)
    assert len(back) == 53 and list(back.columns)[0] == "文件"
    assert back["规则代码"].value_counts().to_dict() == {"duplicate_key": 50, "not_a_number": 3}
    assert back["行"].tolist() == r.table(extra=True)["行"].tolist()


def test_validate_lists_20_repeats_and_exports_all(tmp_path):
    (tmp_path / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    rows = "".join(f"{NONGLIN},2023,toilet_rate,{v}\n" for v in range(31))
    (tmp_path / "observations.csv").write_text(OBS_HEAD + rows, encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(tmp_path), "--csv", str(tmp_path.parent / "p.csv")])
    assert r.exit_code == 1
    assert r.output.count("重复的行") == 21  # 20 listed + the count line
    assert "  … 另有 10 条同类问题（重复的行）" in r.output
    assert "全部 30 条问题可用 --csv 导出" in r.output
    assert len(pd.read_csv(tmp_path.parent / "p.csv", encoding="utf-8-sig")) == 30
    r = CliRunner().invoke(main, ["validate", str(tmp_path), "--max-listed", "0"])
    assert r.output.count("重复的行") == 30 and "另有" not in r.output


# ----------------------------------------------------------------------------- absurd values

def test_amounts_and_counts_above_their_bound_are_named(tmp_path):
    (tmp_path / "villages.csv").write_text(
        "village_code,village_type,households,population\n"
        f"{NONGLIN},一般村,40000,100000\n{CHAITANG},一般村,40001,150000\n", encoding="utf-8")
    (tmp_path / "projects.csv").write_text(
        "project_id,village_code,task_id,budget_wan,status\n"
        f"P1,{NONGLIN},T01,1e308,在建\nP2,{NONGLIN},T01,100000,在建\nP3,{NONGLIN},T01,-1,在建\n", encoding="utf-8")
    _, report = read_dataset(tmp_path)
    f = report.to_frame()
    big = f[f["rule"].eq("implausible_value")]
    assert sorted(zip(big["file"].map(lambda p: Path(p).name), big["row"], big["column"], big["value"],
                      strict=True)) == [
        ("projects.csv", 2, "budget_wan", "1e308"),
        ("villages.csv", 3, "households", "40001"), ("villages.csv", 3, "population", "150000")]
    hint = big.set_index("column").loc["budget_wan", "hint"]
    assert hint.startswith("1e+308万元 超过合理上限 100,000万元（上限见指标库 field_bounds.csv）")
    assert f[f["rule"].eq("negative")]["row"].tolist() == [4]  # -1: still the negative rule
    assert not report.ok


def test_every_numeric_column_has_an_upper_bound():
    # counts and amounts by field_bounds.csv; years by YEAR_RANGE, percentages by 100, 0/1 items
    # by 1, indicator values by indicators.csv; no column of an unbounded kind ("float")
    cat = load_catalogue()
    assert np.isfinite(cat.indicators["max_value"].astype(float)).all()
    for kind, specs in TABLES.items():
        bounds = field_bounds(kind, cat)
        for s in specs:
            assert s.kind != "float", (kind, s.name)
            if s.kind in ("count", "amount"):
                assert 0 < bounds[s.name][0] < float("inf"), (kind, s.name)
                assert bounds[s.name][1] == s.unit
    assert YEAR_RANGE[1] == 2100
    assert field_bounds("projects", cat)["budget_wan"] == (100000.0, "万元")


def test_bounds_are_validated_on_load(tmp_path):
    import shutil
    from importlib import resources

    src = resources.files("hemei_tools") / "catalogue"
    for name in ("framework.csv", "indicators.csv", "benchmarks.csv", "plan_targets.csv",
                 "reference_goalposts.csv", "field_bounds.csv"):
        shutil.copy(src / name, tmp_path / name)
    path = tmp_path / "field_bounds.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("projects,disbursed_wan,万元,100000", "projects,disbursed_wan,万元,inf")
                    + "villages,population,人,5,dup\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path)
    msg = str(err.value)
    assert "field_bounds.csv row 5: max_value inf must be a positive finite number" in msg
    assert "field_bounds.csv row 11: villages.population is already bounded in row 2" in msg
    # a missing row is caught where the schema is built
    path.write_text("\n".join(ln for ln in text.splitlines() if "households" not in ln) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="no upper bound for villages.households"):
        field_bounds("villages", load_catalogue(tmp_path))
    # a variant catalogue without the table uses the packaged one
    path.unlink()
    assert len(load_catalogue(tmp_path).field_bounds) == len(load_catalogue().field_bounds)


def test_demo_data_are_within_every_bound():
    from hemei_tools.inputs.dataset import read_dataset as rd

    root = Path(__file__).resolve().parents[2] / "data" / "demo"
    if not (root / "villages.csv").is_file():
        pytest.skip("no demo data")
    _, report = rd(root)
    assert "implausible_value" not in rules(report)


def test_guard_reads_sheet_names(tmp_path):
    path = _villages_workbook(tmp_path / "v.xlsx")
    with zipfile.ZipFile(path) as z:
        assert guard._sheet_names(z) == {"xl/worksheets/sheet1.xml": "村庄名录"}
    assert not guard.workbook_too_large("v.xlsx", path.read_bytes(), ValidationReport(), xlsx=True)
    assert not guard.workbook_too_large("x.xlsx", b"PK\x03\x04 not a zip", ValidationReport(), xlsx=True)
