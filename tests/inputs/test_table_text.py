"""The one plain-text table printer: columns line up in a terminal with Chinese text."""

from __future__ import annotations

import pandas as pd

from hemei_tools.inputs.problems import ValidationReport
from hemei_tools.inputs.table_text import frame_table, text_table, text_width


def test_widths_count_two_columns_per_chinese_or_full_width_character():
    assert text_width("横山村") == 6
    assert text_width("ＡＢ1") == 5       # full-width letters are wide
    assert text_width("abc") == 3


def test_a_table_with_chinese_names_lines_up():
    out = text_table(["name", "n"], [["横山村", 3], ["Shui", 12]], align="<>")
    assert out.split("\n") == [
        "name     n",
        "------  --",
        "横山村   3",
        "Shui    12",
    ]


def test_frame_table_right_aligns_numbers_and_leaves_missing_cells_empty():
    frame = pd.DataFrame({"village_name": ["水村", "横山村委会"], "total": [7.5, None]})
    assert frame_table(frame).split("\n") == [
        "village_name  total",
        "------------  -----",
        "水村            7.5",
        "横山村委会",
    ]


def test_the_validation_report_uses_the_same_printer():
    report = ValidationReport()
    report.add("村庄名录.xlsx", "村庄名录", 3, "村名", "横山", "unmatched_village", "check")
    lines = report.render().split("\n")
    assert lines[0].split() == ["文件", "工作表", "行", "列", "值", "问题", "修改建议"]
    # every column starts at the same terminal column in the header and in the row
    assert text_width(lines[2][:lines[2].index("横山 ")]) == text_width(lines[0][:lines[0].index("值")])
    assert report.render("en").split("\n")[0].split() == [
        "file", "sheet", "row", "column", "value", "problem", "how", "to", "fix"]
