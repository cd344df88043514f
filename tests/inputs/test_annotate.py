"""``hemei validate PATH --annotate OUT``: a marked copy of each workbook, never the original.

The hand-made workbook ``bad.xlsx`` has a title row, the header in row 2 and exactly three
problems (real codes: 农林村委会 340705100200 in 西湖镇, 铜官区; 340705999999 is no village):
D3 = 130 (toilet coverage above 100 %), D5 = ``=HYPERLINK("http://x","y")`` typed as text (not a
number, and a formula if it were ever written as one), A6 = 340705999999 (not an official code).
Row 4 is valid and must stay unmarked.
"""

from __future__ import annotations

import hashlib
import zipfile

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from hemei_tools.cli import main
from hemei_tools.inputs.annotate import (
    AUTHOR,
    FILLS,
    _Header,
    _targets,
    annotate_report,
    annotate_workbook,
)
from hemei_tools.inputs.dataset import read_dataset
from hemei_tools.inputs.problems import problem_frame

NONGLIN = "340705100200"
FORMULA = '=HYPERLINK("http://x","y")'
OBS, LIST = "指标数据", "问题清单"
MARKED = {"D3": "130", "D5": FORMULA, "A6": "340705999999"}


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def write_bad(path):
    wb = openpyxl.Workbook()
    vil = wb.active
    vil.title = "村庄名录"
    vil.append(["村庄代码", "村庄类型", "户数"])
    vil.append([NONGLIN, "省级中心村", 100])
    ws = wb.create_sheet(OBS)
    ws.append(["2023年指标数据（单位见表头）"])
    ws.append(["村庄代码", "年份", "指标", "数值"])
    ws.append([NONGLIN, 2023, "toilet_rate", 130])
    ws.append([NONGLIN, 2022, "toilet_rate", 80])
    ws.append([NONGLIN, 2021, "toilet_rate", None])
    ws["D5"].value = FORMULA
    ws["D5"].data_type = "s"  # typed as text in the office's file
    ws.append(["340705999999", 2023, "toilet_rate", 50])
    wb.save(path)
    return path


def fingerprint(path):
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def bad(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    return write_bad(folder / "bad.xlsx")


def test_the_copy_marks_each_problem_cell_and_the_original_is_untouched(bad, tmp_path):
    before = fingerprint(bad)
    out = tmp_path / "marked.xlsx"
    r = run(bad, "--annotate", out)
    assert r.exit_code == 1, r.output
    assert f"已写出标注副本 {out}：3 个问题，3 个单元格已标出" in r.output
    assert fingerprint(bad) == before  # the original's bytes (and mtime) are unchanged
    _, report = read_dataset(bad)
    problems = report.to_frame()
    assert len(problems) == 3
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [LIST, "村庄名录", OBS]
    ws = wb[OBS]
    for ref, value in MARKED.items():
        cell = ws[ref]
        assert cell.fill.fgColor.rgb[-6:] == FILLS["error"]
        assert cell.comment.author == AUTHOR
        hint = problems.loc[problems["row"].eq(cell.row), "hint"].iloc[0]
        assert cell.comment.text.startswith("问题：") and f"值：{value}" in cell.comment.text
        assert f"修改建议：{hint}" in cell.comment.text
    for ref in ("D4", "A3", "B3", "C5"):
        assert ws[ref].comment is None and ws[ref].fill.fill_type is None
    assert ws["D5"].value == FORMULA and ws["D5"].data_type == "s"


def test_the_problem_list_links_to_each_cell_and_its_text_is_inert(bad, tmp_path):
    out = tmp_path / "marked.xlsx"
    run(bad, "--annotate", out)
    wb = openpyxl.load_workbook(out)
    ws = wb[LIST]
    assert [c.value for c in ws[2]] == ["序号", "工作表", "单元格", "列", "值", "问题", "修改建议"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert [r[:5] for r in rows] == [[1, OBS, "D3", "数值", "130"], [2, OBS, "D5", "数值", FORMULA],
                                     [3, OBS, "A6", "村庄代码", "340705999999"]]
    links = [ws.cell(r, 3).hyperlink for r in (3, 4, 5)]
    assert [h.location for h in links] == ["'指标数据'!D3", "'指标数据'!D5", "'指标数据'!A6"]
    assert all(h.target is None for h in links)  # internal links, no external target
    assert ws["E4"].data_type == "s" and ws["E4"].quotePrefix
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_the_copy_reads_as_the_original_and_a_returned_copy_is_marked_afresh(bad, tmp_path):
    out = tmp_path / "marked.xlsx"
    run(bad, "--annotate", out)
    _, original = read_dataset(bad)
    _, copy = read_dataset(out)  # the 问题清单 sheet is not read as data
    key = ["sheet", "row", "rule"]
    assert copy.to_frame()[key].values.tolist() == original.to_frame()[key].values.tolist()
    wb = openpyxl.load_workbook(out)
    wb[OBS]["D3"] = 85  # the office fixes one problem and sends the copy back
    wb.save(out)
    again = tmp_path / "again.xlsx"
    r = run(out, "--annotate", again)
    assert "2 个问题，2 个单元格已标出" in r.output
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames.count(LIST) == 1 and wb.sheetnames[0] == LIST
    d3 = wb[OBS]["D3"]
    assert d3.value == 85 and d3.comment is None and d3.fill.fill_type is None
    assert wb[OBS]["D5"].comment.author == AUTHOR
    assert [r[0].value for r in wb[LIST].iter_rows(min_row=3)] == [1, 2]


def test_several_workbooks_go_to_a_folder_and_bad_targets_are_refused(bad, tmp_path):
    folder = bad.parent
    write_bad(folder / "second.xlsx")
    (folder / "obs.csv").write_text(f"village_code,year,indicator_id,value\n{NONGLIN},2020,toilet_rate,abc\n",
                                    encoding="utf-8")
    out = tmp_path / "marked"
    before = {p.name: fingerprint(p) for p in folder.iterdir()}
    r = run(folder, "--annotate", out)
    assert r.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["bad.xlsx", "second.xlsx"]
    assert f"{folder / 'obs.csv'} 不是 .xlsx 工作簿" in r.output
    assert {p.name: fingerprint(p) for p in folder.iterdir()} == before
    for target in (tmp_path / "one.xlsx", folder, bad):
        r = run(folder if target != bad else bad, "--annotate", target)
        assert r.exit_code == 2, (target, r.output)
    assert not (tmp_path / "one.xlsx").exists()
    assert {p.name: fingerprint(p) for p in folder.iterdir()} == before


def test_a_clean_workbook_gets_no_copy(tmp_path):
    path = tmp_path / "ok.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "村庄名录"
    wb.active.append(["村庄代码", "村庄类型"])
    wb.active.append([NONGLIN, "一般村"])
    wb.save(path)
    r = run(path, "--annotate", tmp_path / "m.xlsx")
    assert r.exit_code == 0 and "没有问题：未写出标注副本" in r.output
    assert not (tmp_path / "m.xlsx").exists()


def test_problems_without_a_cell_and_over_several_columns(bad, tmp_path):
    file = str(bad)
    frame = pd.concat([
        problem_frame(file, OBS, [3], "村庄代码 + 年份 + 指标", [f"{NONGLIN} / 2023 / toilet_rate"],
                      "duplicate_key"),
        problem_frame(file, OBS, [2], "source", [""], "missing_column"),
        problem_frame(file, "村庄名录", [None], "", [""], "no_rows"),
        problem_frame(file, "", [None], "", [""], "unreadable_file"),
    ], ignore_index=True)
    copy = annotate_workbook(bad, frame, tmp_path / "m.xlsx")
    assert (copy.problems, copy.cells) == (4, 4)
    wb = openpyxl.load_workbook(copy.path)
    ws = wb[OBS]
    assert [ws[c].comment is not None for c in ("A3", "B3", "C3", "D3", "E2")] == [True, True, True, False, True]
    rows = [[c.value for c in r] for r in wb[LIST].iter_rows(min_row=3)]
    assert [r[2] for r in rows] == ["A3", "E2", "（整张工作表）", "（整个文件）"]
    assert wb[LIST]["C5"].hyperlink.location == "'村庄名录'!A1" and wb[LIST]["C6"].hyperlink is None
    with pytest.raises(ValueError):
        annotate_workbook(bad, frame, bad)


def test_cells_of_a_problem():
    header = _Header(row=2, columns={"村庄代码": 1, "年份": 2, "数值": 4}, width=4)
    p = problem_frame("f.xlsx", OBS, [7], "数值", ["x"], "not_a_number").iloc[0]
    assert _targets(p, header) == [(7, 4)]
    p = problem_frame("f.xlsx", OBS, [7], "村庄代码 + 年份", ["x"], "duplicate_key").iloc[0]
    assert _targets(p, header) == [(7, 1), (7, 2)]
    p = problem_frame("f.xlsx", OBS, [2], "note", [""], "missing_column").iloc[0]
    assert _targets(p, header) == [(2, 5)]
    p = problem_frame("f.xlsx", OBS, [9], "", [""], "date_order").iloc[0]
    assert _targets(p, header) == [(9, 1)]
    p = problem_frame("f.xlsx", OBS, [None], "", [""], "no_rows").iloc[0]
    assert _targets(p, header) == []


def test_a_one_sheet_ledger_stays_readable_after_marking(tmp_path):
    path = tmp_path / "ledger.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"  # not named after a table: read as the workbook's one visible sheet
    ws.append(["村庄代码", "年份", "指标", "数值"])
    ws.append([NONGLIN, 2023, "toilet_rate", 130])
    wb.save(path)
    out = tmp_path / "marked.xlsx"
    run(path, "--annotate", out)
    assert openpyxl.load_workbook(out).sheetnames == [LIST, "Sheet1"]
    _, original = read_dataset(path)
    _, copy = read_dataset(out)  # the added 问题清单 sheet does not make the sheet ambiguous
    key = ["sheet", "row", "rule"]
    assert copy.to_frame()[key].values.tolist() == original.to_frame()[key].values.tolist()
    assert "out_of_range" in set(copy.to_frame()["rule"])


def test_the_copy_speaks_the_language_of_the_validation(bad, tmp_path):
    _, report = read_dataset(bad)
    report.lang = "en"  # what `hemei validate --lang en` reads the files with
    (copy,), skipped = annotate_report(report, tmp_path / "marked.xlsx")
    assert skipped == [] and copy.cells == 3
    wb = openpyxl.load_workbook(copy.path)
    assert wb.sheetnames[0] == "Problems"
    assert [c.value for c in wb["Problems"][2]] == ["No.", "Sheet", "Cell", "Column", "Value", "Problem",
                                                     "How to fix it"]
    assert wb[OBS]["D3"].comment.text.startswith("Problem: ")
    assert wb["Problems"]["F3"].fill.fgColor.rgb[-6:] == FILLS["error"]
