"""Ledgers as offices really prepare them (issue 13, points 1–4 and 7): each test writes a small
file with one habit, or reads the committed legacy ``.xls`` (``data/legacy_ledger.xls``, written
by xlwt: ``data/make_legacy_xls.py``), and checks the message a user now sees. Each failed on
the earlier code (which rejected 序号 columns, refused .xls, repeated a wrong township once per
indicator column, read formulas without values as empty, took 0.85 for 0.85 %, …).

Village codes are real (NBS 2023): 横山村委会 340722106206, 育才村委会 340722106214 and
新华村委会 340722106218 in 横埠镇, 枞阳县; 农林村委会 340705100200 and 柴塘村委会
340705100201 in 西湖镇, 铜官区.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from hemei_tools.cli import main
from hemei_tools.inputs.api import parse_dates, read_tables
from hemei_tools.inputs.dataset import load_dataset, read_dataset
from hemei_tools.inputs.problems import DataValidationError, Problem, rule_title
from hemei_tools.inputs.read import MAX_CELL_CHARS, formulas_without_values

LEGACY_XLS = Path(__file__).parent / "data" / "legacy_ledger.xls"
HENGSHAN, YUCAI, XINHUA = "340722106206", "340722106214", "340722106218"
NONGLIN, CHAITANG = "340705100200", "340705100201"
VILLAGES = f"village_code,village_type\n{HENGSHAN},一般村\n{YUCAI},一般村\n{XINHUA},一般村\n"


def validate(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def problems(path, **kw) -> pd.DataFrame:
    return read_dataset(path, **kw)[1].to_frame()


def rows(frame: pd.DataFrame, columns: list[str]) -> list[list]:
    """The rows of some columns as lists, a missing value as ``None``."""
    f = frame[columns].astype(object)
    return f.where(f.notna(), None).values.tolist()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def folder_with(tmp_path, name: str, text: str, villages: str = VILLAGES) -> Path:
    """A data folder: the villages table and one more file."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "villages.csv").write_text(villages, encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_ods(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (the format is zipped XML)."""
    def cell(v):
        if isinstance(v, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'
    tables = "".join(f'<table:table table:name="{escape(name)}">' + "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>" for name, rows in sheets.items())
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


# --------------------------------------------------------------------------- 1. ledger habits

WIDE = ("序号,县区,乡镇,村名,年份,卫生厕所普及率,自来水普及率,村集体经营性收入,通硬化路,填报人,联系电话\n"
        "1,枞阳县,横埠镇,横山村,2023,85,90,12,是,张三,0556-1234567\n"
        "2,枞阳县,横埠镇,育才村,2023,79,88,8,是,张三,0556-1234567\n")


def test_bookkeeping_columns_are_ignored_and_listed(tmp_path):
    folder = folder_with(tmp_path, "指标数据.csv", WIDE)
    ds, report = read_dataset(folder)
    assert report.ok and len(report) == 0 and len(ds.observations) == 8
    assert report.ignored == [(str(folder / "指标数据.csv"), "", h) for h in ("序号", "填报人", "联系电话")]
    r = validate(folder)
    assert r.exit_code == 0, r.output
    assert f"已忽略的列（不是数据）：序号、填报人、联系电话（{folder / '指标数据.csv'}）" in r.output
    assert "没有发现问题" in r.output


def test_an_unknown_column_is_a_warning_unless_strict(tmp_path):
    folder = folder_with(tmp_path, "指标数据.csv", WIDE.replace("联系电话", "污水处理率"))
    p = problems(folder)
    assert p[["row", "column", "rule", "level", "col"]].values.tolist() == [
        [1, "污水处理率", "unknown_column", "warning", 11]]
    assert p["hint"].iloc[0] == "不是指标库中的指标，这一列没有读取；是不是想写：生活污水治理率？"
    assert validate(folder).exit_code == 0
    r = validate(folder, "--strict")
    assert r.exit_code == 1 and "未识别的列（警告）" in r.output


def test_a_wrong_township_in_a_wide_row_is_one_problem_naming_the_township(tmp_path):
    # the old code: five unmatched_village lines (one per indicator column) blaming the village
    text = WIDE.replace("1,枞阳县,横埠镇,横山村", "1,枞阳县,横步镇,育才村").replace(
        "2,枞阳县,横埠镇,育才村", "2,枞阳县,横埠镇,横山村")
    p = problems(folder_with(tmp_path, "指标数据.csv", text))
    assert p[["row", "column", "value", "rule", "col"]].values.tolist() == [
        [2, "乡镇", "横步镇", "unmatched_township", 3]]
    assert p["hint"].iloc[0] == "乡镇“横步镇”不在枞阳县；最接近：横埠镇"
    assert rule_title("unmatched_township") == "乡镇不在该县区"


def test_names_are_diagnosed_county_then_township_then_village(tmp_path):
    text = ("县区,乡镇,村名,年份,卫生厕所普及率,自来水普及率\n"
            "纵阳县,横埠镇,横山村,2023,80,90\n"     # county
            "枞阳县,横埠镇,横三村,2023,80,90\n"     # village within the township
            "枞阳县,官埠桥镇,新华村,2023,80,90\n")  # village exists, in another township
    p = problems(folder_with(tmp_path, "指标数据.csv", text))
    assert p[["row", "column", "rule"]].values.tolist() == [
        [2, "县区", "unmatched_county"], [3, "村名", "unmatched_village"], [4, "村名", "unmatched_village"]]
    hints = p["hint"].tolist()
    assert hints[0].startswith("县区“纵阳县”不是安徽省的县区；最接近：枞阳县")
    assert hints[1].startswith("村“横三村”不在横埠镇（枞阳县）；最接近：横山村（横埠镇，枞阳县）")
    assert "同名的村在：新华村（横埠镇，枞阳县）" in hints[2]
    en = problems(folder_with(tmp_path, "指标数据.csv", text), lang="en")["hint"].tolist()
    assert en[0].startswith('the county "纵阳县" is not a county of Anhui; closest: 枞阳县')


def test_a_repeated_row_is_one_problem_naming_the_row_it_repeats(tmp_path):
    # the old code: one duplicate_key per indicator column and per copy (ten lines here)
    text = WIDE + "3,枞阳县,横埠镇,横山村,2023,85,90,12,是,张三,0556-1234567\n"
    p = problems(folder_with(tmp_path, "指标数据.csv", text))
    assert p[["row", "rule"]].values.tolist() == [[4, "duplicate_key"]]
    assert p["hint"].iloc[0] == "与第 2 行重复（关键列相同）：合并或删除其中一行"


def test_a_duplicate_header_names_the_column_read_and_the_one_not_read(tmp_path):
    text = f"村庄代码,村名,乡镇,村名,村庄类型\n{NONGLIN},农林村,西湖镇,柴塘村,一般村\n"
    p = problems(write(tmp_path / "villages.csv", text))
    assert p[["column", "rule", "col"]].values.tolist() == [["村名", "duplicate_column", 4]]
    assert p["hint"].iloc[0] == ("“村名”（D 列）与 B 列“村名”表示同一列（village_name）：读取的是 B 列，"
                                 "D 列没有读取；删除或改名其中一列")


# --------------------------------------------------------------------------- 2. formats

def test_a_real_legacy_xls_is_read_like_an_xlsx():
    assert LEGACY_XLS.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (OLE2), written by xlwt
    ds, report = read_dataset(LEGACY_XLS)
    assert ds.villages[["village_code", "village_type", "population", "households"]].values.tolist() == [
        [HENGSHAN, "省级中心村", 4008, 1448], [YUCAI, "一般村", 3078, 1039], [XINHUA, "精品示范村", 2100, 700]]
    obs = ds.observations.set_index(["village_code", "indicator_id"])["value"]
    assert obs[(YUCAI, "toilet_rate")] == 79 and obs[(HENGSHAN, "collective_income")] == 12.5
    assert obs[(XINHUA, "paved_road")] == 0 and len(obs) == 9
    assert ds.projects["start_date"].tolist() == [pd.Timestamp("2023-03-01")]
    assert ds.projects["planned_end"].tolist() == [pd.Timestamp("2023-12-31")]
    p = report.to_frame()
    assert rows(p, ["sheet", "row", "column", "value", "rule", "level"]) == [
        ["申报村", None, "", "申报村", "hidden_sheet", "warning"],
        ["项目台账", 1, "计划完工日期", "45291 → 2023-12-31", "serial_dates", "note"]]
    assert report.ok and ds.applicants.empty
    assert [h for _, s, h in report.ignored if s == "村庄名录"] == ["序号", "填报人", "联系电话"]


def test_a_hidden_sheet_named_explicitly_is_read():
    ds, report = read_dataset(LEGACY_XLS, sheets=["申报村"])
    assert ds.applicants[["village_code", "apply_year"]].values.tolist() == [[YUCAI, 2023]]
    assert "hidden_sheet" not in report.rules()
    r = validate(LEGACY_XLS, "--sheet", "申报村")
    assert r.exit_code == 0 and "1 个申报村" in r.output


def test_legacy_xls_validates_with_warnings_and_notes_only():
    r = validate(LEGACY_XLS)
    assert r.exit_code == 0, r.output
    assert "工作表“申报村”是隐藏的，没有读取" in r.output
    assert "校验通过：1 个文件，3 个村、9 条指标数据、1 个项目、0 个申报村；1 个警告、1 个提示。" in r.output


def test_ods_is_read_through_calamine(tmp_path):
    path = write_ods(tmp_path / "指标数据.ods", {"指标数据": [
        ["2023年指标"], ["村庄代码", "年份", "卫生厕所普及率"], [NONGLIN, 2023, 85], [CHAITANG, 2023, 60.5]]})
    tables, report = read_tables(path)
    assert tables[0].frame[["village_code", "value"]].values.tolist() == [[NONGLIN, 85.0], [CHAITANG, 60.5]]
    assert tables[0].rows.tolist() == [3, 4] and report.ok


def test_a_workbook_is_read_by_its_content_not_its_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "村庄名录"
    for row in (["village_code", "village_type"], [NONGLIN, "一般村"]):
        wb.active.append(row)
    wb.save(tmp_path / "a.xlsx")
    shutil.copy(tmp_path / "a.xlsx", tmp_path / "really_xlsx.xls")
    assert read_dataset(tmp_path / "really_xlsx.xls")[0].villages["village_code"].tolist() == [NONGLIN]
    (tmp_path / "tabs.xls").write_text(f"村庄代码\t村庄类型\n{NONGLIN}\t一般村\n", encoding="gbk")
    assert read_dataset(tmp_path / "tabs.xls")[0].villages["village_code"].tolist() == [NONGLIN]
    (tmp_path / "web.xls").write_text("<html><body><table><tr><td>村庄代码</td></tr></table></body></html>")
    p = problems(tmp_path / "web.xls")
    assert p.loc[p["rule"].eq("unreadable_file"), "hint"].tolist() == [
        "这个 .xls 文件其实是网页（HTML）表格，网上系统导出的文件常这样：用 Excel 或 WPS 打开后另存为 .xlsx"]


def test_formulas_without_saved_values_are_an_error_naming_the_cells(tmp_path):
    # a workbook written by a program: the old code read every population as empty, "no problems"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "村庄名录"
    ws.append(["序号", "村庄代码", "村庄类型", "户籍人口", "户数"])
    ws.append(["=ROW()-1", NONGLIN, "一般村", "=4008+0", "=ROUND(1448,0)"])   # 序号 is ignored anyway
    ws.append([2, CHAITANG, "一般村", 3000, 1000])
    ws.append(["合计", None, None, "=SUM(D2:D3)", None])                    # a total row is not data
    wb.save(tmp_path / "villages.xlsx")
    ds, report = read_dataset(tmp_path / "villages.xlsx")
    p = report.to_frame()
    assert p[["row", "column", "value", "rule", "col"]].values.tolist() == [
        [2, "户籍人口 + 户数", "=4008+0", "formula_without_value", 4]]
    assert p["hint"].iloc[0].startswith("单元格 D2、E2 是公式，但文件中没有保存计算结果")
    assert "用 Excel 或 WPS 打开此文件并保存，再校验" in p["hint"].iloc[0]
    assert ds.villages.empty  # never half a table with silent gaps


def test_formula_cells_with_saved_values_are_values():
    xml = (b'<row r="2"><c r="D2"><f>4008+0</f><v>4008</v></c><c r="E2"><f>A1</f><v /></c>'
           b'<c r="F2" t="str"><f>IF(A1="","",A1)</f><v></v></c>'
           b'<c r="G2" s="1"><f t="shared" si="0"/></c></row>')
    assert formulas_without_values(xml) == {(2, 4): "=A1", (2, 6): "=…"}


# --------------------------------------------------------------------------- 3. silent numbers made loud

def test_percentages_typed_as_fractions_are_flagged_per_county(tmp_path):
    head = "village_code,year,indicator_id,value\n"
    text = (head + f"{NONGLIN},2023,toilet_rate,0.85\n{CHAITANG},2023,toilet_rate,0.6\n"
            f"{NONGLIN},2023,paved_road,1\n"                     # a 0/1 indicator: not a percentage
            f"{HENGSHAN},2023,toilet_rate,79\n{XINHUA},2023,toilet_rate,0.9\n"  # 枞阳县 is fine
            f"{NONGLIN},2023,tap_water_rate,0.5%\n")             # explicitly below 1 %
    villages = VILLAGES + f"{NONGLIN},一般村\n{CHAITANG},一般村\n"
    p = problems(folder_with(tmp_path, "observations.csv", text, villages))
    assert p[["row", "column", "value", "rule"]].values.tolist() == [[2, "value", "0.85", "fraction_not_percent"]]
    assert p["hint"].iloc[0] == ("铜官区的 2 个值都在 0 到 1 之间，看起来是小数而不是百分数：把数值乘以 100"
                                 "（0.85 → 85），或写成 85%；如果确实不到 1%，写成 0.85%")


def test_a_fraction_in_a_legacy_workbook_says_the_format_was_lost(tmp_path):
    path = write_ods(tmp_path / "指标数据.ods", {"指标数据": [
        ["村庄代码", "年份", "卫生厕所普及率"], [NONGLIN, 2023, 0.85], [CHAITANG, 2023, 0.6]]})
    p = read_tables(path)[1].to_frame()
    assert p["rule"].tolist() == ["fraction_not_percent"]
    assert p["hint"].iloc[0].endswith("如果单元格在 Excel 中显示为 85%，把文件另存为 .xlsx 即可")


def test_nan_is_no_value_only_in_text_columns(tmp_path):
    text = (f"village_code,year,indicator_id,value,note\n{NONGLIN},2023,toilet_rate,nan,nan\n"
            f"{NONGLIN},2022,toilet_rate,80,NaN\n")
    tables, report = read_tables(write(tmp_path / "o.csv", text))
    p = report.to_frame()
    assert p[["row", "column", "value", "rule"]].values.tolist() == [[2, "value", "nan", "not_a_number"]]
    assert p["hint"].iloc[0] == "nan、null 是程序导出的空值记号，不是数值：没有数据请留空或写“无”"
    assert tables[0].frame["note"].isna().all()


def test_excel_serial_dates_are_converted_and_said(tmp_path):
    text = (f"项目编号,村庄代码,任务,开工日期,投资,项目状态\nP1,{NONGLIN},T01,45277,1,在建\n"
            f"P2,{NONGLIN},T01,45292.5,1,在建\nP3,{NONGLIN},T01,99999,1,在建\n")
    tables, report = read_tables(write(tmp_path / "projects.csv", text))
    assert tables[0].frame["start_date"].tolist()[:2] == [pd.Timestamp("2023-12-17"), pd.Timestamp("2024-01-01")]
    p = report.to_frame()
    assert p[["row", "column", "value", "rule", "level"]].values.tolist() == [
        [1, "开工日期", "45277 → 2023-12-17", "serial_dates", "note"],
        [4, "开工日期", "99999", "bad_date", "error"]]
    assert p["hint"].iloc[0] == ("这一列有 2 个单元格是 Excel 日期序号，已按 Excel 的规则换算为日期"
                                 "（例：45277 → 2023-12-17）：请核对；以后可以把这一列设为日期格式")
    assert "Excel 日期序号（如 45277）" in p["hint"].iloc[1]
    d, bad = parse_dates(pd.Series(["45277", "2023-09-01", "12345"], dtype="str"))
    assert d.tolist()[:2] == [pd.Timestamp("2023-12-17"), pd.Timestamp("2023-09-01")] and bad.tolist() == [
        False, False, True]


def test_an_invalid_byte_is_named_with_its_line_and_offset(tmp_path):
    text = (f"村庄代码,村庄类型,村名\n{NONGLIN},一般村,农林村\n").encode() + f"{CHAITANG},一般村,柴塘".encode() + b"\xff\n"
    (tmp_path / "villages.csv").write_bytes(text)
    p = read_tables(tmp_path / "villages.csv")[1].to_frame()
    assert p[["row", "rule"]].values.tolist() == [[3, "not_text"]]
    offset = text.index(b"\xff")
    assert p["hint"].iloc[0].startswith(f"第 3 行（文件第 {offset} 个字节）有一个 UTF-8 中不允许的字节 0xFF")


def test_utf16_without_bom_is_read(tmp_path):
    # the old code: "not UTF-8 or GBK"
    (tmp_path / "villages.csv").write_bytes(
        f"village_code,village_type\n{NONGLIN},一般村\n{CHAITANG},一般村\n".encode("utf-16-le"))
    ds, report = read_dataset(tmp_path / "villages.csv")
    assert report.ok and len(report) == 0 and ds.villages["village_code"].tolist() == [NONGLIN, CHAITANG]


def test_an_oversize_cell_names_its_row_and_column(tmp_path):
    # the old code rejected the whole file: "field larger than field limit (131072)"
    big = "农" * (MAX_CELL_CHARS + 1)
    text = f"村庄代码,村庄类型,村名\n{NONGLIN},一般村,农林村\n{CHAITANG},一般村,{big}\n"
    (tmp_path / "villages.csv").write_text(text, encoding="utf-8")
    ds, report = read_dataset(tmp_path / "villages.csv")
    p = report.to_frame()
    assert p[["row", "column", "rule", "col"]].values.tolist() == [[3, "村名", "cell_too_large", 3]]
    assert len(p["value"].iloc[0]) == 81 and str(MAX_CELL_CHARS + 1) in p["hint"].iloc[0]
    assert len(ds.villages) == 2


def test_a_data_set_without_villages_cannot_feed_reports(tmp_path):
    path = tmp_path / "observations.csv"
    path.write_text(f"village_code,year,indicator_id,value\n{NONGLIN},2023,toilet_rate,80\n")
    p = problems(path)
    assert p[["rule", "level"]].values.tolist() == [["no_villages_table", "warning"]]
    with pytest.raises(DataValidationError, match="缺少村庄名录"):
        load_dataset(path)


# --------------------------------------------------------------------------- 4. Chinese first

def test_every_message_has_an_english_twin(tmp_path):
    text = WIDE.replace("1,枞阳县,横埠镇,横山村", "1,枞阳县,横步镇,育才村")
    folder = folder_with(tmp_path, "指标数据.csv", text.replace("联系电话", "污水处理率"))
    zh, en = problems(folder), problems(folder, lang="en")
    assert zh["rule"].tolist() == en["rule"].tolist()
    assert en["hint"].tolist() == [
        "not a catalogue indicator, so the column was not read; did you mean 生活污水治理率?",
        'the township "横步镇" is not in 枞阳县; closest: 横埠镇']
    r = validate(folder, "--lang", "en")
    assert "township not in the county" in r.output and "unknown column (warning)" in r.output
    assert "ignored columns (not data): 序号, 填报人" in r.output


def test_problems_carry_their_cell(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标数据"
    ws.append(["2023年指标"])
    ws.append(["序号", "村庄代码", "年份", "卫生厕所普及率", "自来水普及率"])
    ws.append([1, NONGLIN, 2023, 80, 130])
    wb.save(tmp_path / "o.xlsx")
    (problem,) = read_tables(tmp_path / "o.xlsx")[1].problems
    assert problem == Problem(str(tmp_path / "o.xlsx"), "指标数据", 3, "自来水普及率", "130", "out_of_range",
                              "tap_water_rate（自来水普及率）的有效范围是 0–100 %", 5, "error")
    assert problem.cell == "E3" and problem.title == "超出有效范围"


# --------------------------------------------------------------------------- 7. many files per county

def test_workbooks_per_township_and_year_are_combined(tmp_path):
    folder = folder_with(tmp_path, "横埠镇2022.csv", f"村庄代码,年份,卫生厕所普及率\n{HENGSHAN},2022,70\n{XINHUA},2022,71\n")
    (folder / "横埠镇2023.csv").write_text(
        f"村庄代码,年份,卫生厕所普及率\n{HENGSHAN},2023,75\n{XINHUA},2023,76\n{HENGSHAN},2022,70\n", encoding="utf-8")
    (folder / "横埠镇2023补报.csv").write_text(
        f"村庄代码,年份,卫生厕所普及率\n{YUCAI},2023,60\n{XINHUA},2023,77\n", encoding="utf-8")
    ds, report = read_dataset(folder)
    assert len(ds.observations) == 6  # 7 rows, one identical repeat combined
    p = report.to_frame()
    assert rows(p, ["file", "row", "column", "value", "rule", "col"]) == [
        [str(folder / "横埠镇2023.csv"), None, "", "", "repeated_rows", None],
        [str(folder / "横埠镇2023补报.csv"), 3, "卫生厕所普及率", "77", "conflicting_value", 3]]
    assert p["hint"].tolist() == [
        f"1 条记录（第 4 行）与 {folder / '横埠镇2022.csv'} 中的完全相同，已合并为一条",
        f"与 {folder / '横埠镇2023.csv'} 第 3 行是同一条记录（关键列相同），但数值不同（那里是 76）：核对后只保留正确的"]


def test_the_problem_csv_is_in_chinese_with_level_and_rule(tmp_path):
    folder = folder_with(tmp_path, "指标数据.csv", WIDE.replace("联系电话", "污水处理率"))
    out = tmp_path / "p.csv"
    validate(folder, "--csv", out)
    got = pd.read_csv(io.StringIO(out.read_text(encoding="utf-8-sig")), dtype=str, keep_default_na=False)
    assert got.values.tolist() == [[str(folder / "指标数据.csv"), "", "1", "污水处理率", "污水处理率", "未识别的列",
                                    "不是指标库中的指标，这一列没有读取；是不是想写：生活污水治理率？", "警告",
                                    "unknown_column"]]
