"""The workbook beside each report (issue 14, point 3): the tables a notebook publishes are lifted
out of it and written to ``<stem>.xlsx`` with Chinese sheet names, numbers as numbers, units in
the headers and inert text; the page links to it and keeps its CSV download links.

The notebooks here are built by hand (no kernel): a table output as the report kernel writes it
(:mod:`hemei_tools.present.downloads`), and its expected sheet.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from openpyxl import load_workbook

from hemei_tools.contract import TABLE_MIME
from hemei_tools.exports import sheet_names, write_workbook
from hemei_tools.render.workbook import collect_tables, workbook_name, write_report_workbook

LINK = ('<p class="hemei-downloads"><a class="hemei-download" download="枞阳县2023_表1_主要数据.csv" '
        'href="data:text/csv;charset=utf-8;base64,77u/5oyH5qCHDQo=">下载表1数据（CSV）</a></p>')


def _table(sheet: str, columns: list, rows: list) -> dict:
    return {"sheet": sheet, "columns": columns, "rows": rows}


def _notebook() -> nbformat.NotebookNode:
    t1 = _table("表1 主要数据", ["指标", "现值", "单位"], [["村庄数", 190, "个"], ["人口", 31.5, "万人"]])
    t2 = _table("图1 枞阳县2023年各指标距基准的差距", ["指标", "距基准差距（得分点）", "状态"],
                [["卫生室", -82.6, "差距很大"], ["=1+1", None, "达标"]])
    return new_notebook(cells=[
        new_markdown_cell("# 枞阳县报告"),
        new_code_cell("sec.section_headline(a)", outputs=[
            new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>"}),
            new_output("display_data", data={"text/html": LINK, TABLE_MIME: t1}),
            new_output("display_data", data={TABLE_MIME: t2}),  # a payload alone: the output goes
            new_output("display_data", data={TABLE_MIME: {"sheet": "坏"}}),  # malformed: dropped
        ]),
    ])


def test_collect_tables_lifts_the_payloads_out_in_page_order():
    nb = _notebook()
    tables = collect_tables(nb)
    assert [t["sheet"] for t in tables] == ["表1 主要数据", "图1 枞阳县2023年各指标距基准的差距"]
    outputs = nb.cells[1].outputs
    assert len(outputs) == 2  # the table and the link stay, the payload-only outputs go
    assert outputs[1].data == {"text/html": LINK}
    assert collect_tables(nb) == []  # nothing left


def test_the_workbook_has_one_sheet_per_table_numbers_as_numbers_and_inert_text(tmp_path):
    path = write_report_workbook(collect_tables(_notebook()), tmp_path / workbook_name("340722"))
    assert path.name == "340722.xlsx"
    wb = load_workbook(path)
    # "图1 枞阳县2023年各指标距基准的差距" is 19 characters: within Excel's 31
    assert wb.sheetnames == ["表1 主要数据", "图1 枞阳县2023年各指标距基准的差距"]
    ws = wb["表1 主要数据"]
    assert [c.value for c in ws[1]] == ["指标", "现值", "单位"]
    assert ws[1][0].font.b
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [["村庄数", 190, "个"], ["人口", 31.5, "万人"]]
    assert ws["B2"].data_type == "n" and ws.freeze_panes == "A2"
    ws2 = wb.worksheets[1]
    assert [[c.value for c in r] for r in ws2.iter_rows(min_row=2)] == [["卫生室", -82.6, "差距很大"],
                                                                       ["'=1+1", None, "达标"]]
    assert ws2["A3"].data_type == "s"  # a formula-like name stays text


def test_no_tables_no_workbook(tmp_path):
    assert write_report_workbook([], tmp_path / "x.xlsx") is None
    assert not (tmp_path / "x.xlsx").exists()


def test_sheet_names_follow_excels_rules():
    """31 characters at most, no [ ] : * ? / \\, unique regardless of case, never blank."""
    long = "图12 " + "很长的图表标题" * 5
    names = sheet_names([long, long, "a:b[c]", "Sheet", "sheet", "  ", "'引号'"])
    assert names[0] == long[:31] and len(names[0]) == 31
    assert names[1] == long[:28] + "(2)" and len(names[1]) == 31
    assert names[2:] == ["a_b_c_", "Sheet", "sheet(2)", "Sheet6", "引号"]
    assert len({n.casefold() for n in names}) == len(names)


def test_write_workbook_is_atomic_and_replaces_an_old_file(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"old")
    write_workbook([("表1", ["a"], [[1]])], path)
    assert load_workbook(path).sheetnames == ["表1"]
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]  # no temporary file left


def test_the_page_links_its_workbook_and_keeps_the_csv_links(tmp_path):
    """The renderer's steps: the payloads lifted out into the workbook, the page with the link
    to it at the top, the CSV link intact through the filter, no payload left in the page."""
    from hemei_tools.render.html import export_html

    nb = _notebook()
    workbook = write_report_workbook(collect_tables(nb), tmp_path / workbook_name("340722"))
    page = export_html(nb, {"title": "枞阳县报告", "synthetic": True}, {}, workbook=workbook.name)
    assert '<p class="hemei-workbook"><a class="hemei-download" href="340722.xlsx" download>' \
           '下载本报告全部表格（Excel）</a></p>' in page
    assert LINK in page
    assert TABLE_MIME not in page and "村庄数" not in page
    bare = _notebook()
    collect_tables(bare)
    assert 'href="340722.xlsx"' not in export_html(bare, {"title": "t"}, {})  # no workbook, no link


@pytest.mark.parametrize("stem", ["340722", "region_overview"])
def test_workbook_name_is_the_report_stem(stem):
    assert workbook_name(stem) == f"{stem}.xlsx"


# ---------------------------------------------------------------- the fast writer = openpyxl's workbook

TRICKY = [
    ("表1 主要数据", ["指标", " 现值 ", "a&b<c>", "#N/A"],
     [["村庄数", 190, True, None], ["'=1+1", -0.0, False, 54.2], ["", "  x ", "\u3000y", "#DIV/0!"],
      ["line\r\nbreak\tz", 2 ** 70, 0.30000000000000004, 1e-7], [None, None], ["x" * 40000, 'q"\'', "-5"]]),
    ("a&b'c", ["only"], []),
]


def _members(path):
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        return [(n, re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"<time>", z.read(n))) for n in z.namelist()]


def test_the_workbook_holds_the_parts_openpyxl_writes(tmp_path):
    """The sheets serialised here and the package around them are byte for byte what openpyxl
    writes for the same tables (write-only mode), apart from the time in docProps/core.xml."""
    import openpyxl.xml

    from hemei_tools.exports import _save_openpyxl

    if openpyxl.xml.LXML:
        pytest.skip("openpyxl serialises through lxml here: same cells, other bytes")
    fast = write_workbook(TRICKY, tmp_path / "fast.xlsx")
    _save_openpyxl(sheet_names([s[0] for s in TRICKY]), TRICKY, str(tmp_path / "openpyxl.xlsx"))
    assert _members(fast) == _members(tmp_path / "openpyxl.xlsx")


def test_the_workbook_cells_read_back_as_written(tmp_path):
    wb = load_workbook(write_workbook(TRICKY, tmp_path / "t.xlsx"))
    assert wb.sheetnames == ["表1 主要数据", "a&b'c"]
    ws = wb["表1 主要数据"]
    assert [c.value for c in ws[1]] == ["指标", " 现值 ", "a&b<c>", "#N/A"]
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[0] == ["村庄数", 190, True, None]
    assert rows[1] == ["'=1+1", 0, False, 54.2]  # formula-like text stays text, quoted
    assert rows[2] == [None, "  x ", "\u3000y", "#DIV/0!"]
    assert rows[3] == ["line\nbreak\tz", 1.180591620717411e21, 0.3, 1e-7]  # %.16g, as openpyxl writes numbers
    assert rows[4] == [None] * 4 and rows[5] == ["x" * 32767, 'q"\'', "-5", None]  # Excel's longest cell
    assert ws["A3"].data_type == "s" and ws["D4"].data_type == "e"  # an error code is an error cell
    assert all(c.number_format == "General" for r in ws.iter_rows() for c in r)
    assert not ws.column_dimensions and wb["a&b'c"]["A1"].value == "only"


def test_a_cell_the_fast_writer_does_not_know_goes_through_openpyxl(tmp_path):
    from datetime import datetime

    path = write_workbook([("t", ["日期"], [[datetime(2023, 5, 1, 8, 30)]])], tmp_path / "d.xlsx")
    assert load_workbook(path)["t"]["A2"].value == datetime(2023, 5, 1, 8, 30)
