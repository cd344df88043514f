"""``hemei template``: the fill-in workbook, and the round trip template → fill → validate.

Hand-checked facts: 枞阳县 (340722) has 190 administrative villages in the NBS 2023 list
(12 + 99 + 62 + 190 = 363 for the city 3407, docs: domain.md), its first village by code is
黄山村委会 340722106200 in 横埠镇; the catalogue has 34 indicators (11 percentages, 5 amounts,
1 count, 17 yes/no items) and 16 tasks.
"""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import openpyxl
import pytest
from click.testing import CliRunner

from hemei_tools.catalogue import load_catalogue
from hemei_tools.cli import main
from hemei_tools.inputs.dataset import read_dataset
from hemei_tools.inputs.template import sheet_name, write_template, yes_no
from hemei_tools.inputs.unfilled import TEMPLATE_NAME, template_marker

N_ZONGYANG = 190
N_INDICATORS = 34
VILLAGES, OBS, PROJECTS, APPLICANTS, GUIDE = "村庄名录", "指标数据", "项目台账", "申报村", "说明"


def run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def official_count(county: str) -> int:
    """Administrative villages (…村委会 / …村民委员会) of a county, counted in the packaged CSV."""
    ref = resources.files("hemei_tools") / "data" / "divisions" / "anhui_villages.csv"
    with ref.open(encoding="utf-8") as fh:
        return sum(1 for r in csv.DictReader(fh)
                   if r["areaCode"] == county and r["name"].endswith(("村委会", "村民委员会")))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "t.xlsx"
    r = run("template", "--county", "340722", "--year", "2023", "--out", path)
    assert r.exit_code == 0, r.output
    return path


def copy_of(template, tmp_path, name="t.xlsx"):
    out = tmp_path / name
    out.write_bytes(template.read_bytes())
    return out


def fill(path, villages=None, obs_rows=None, projects=3, applicants=2, leave_empty=()):
    """Fill a template with in-range values through openpyxl, as an office would type them.

    ``villages``/``obs_rows``: how many pre-filled rows to fill (all by default); indicator
    values are min + 0.6 × (max − min) (whole for counts), yes/no items alternate 是/否;
    ``leave_empty``: ``(row, header)`` cells of the indicator sheet to leave empty.
    """
    cat = load_catalogue()
    by_header = {}
    for r in cat.indicators.itertuples():
        by_header[cat.label(r.indicator_id, with_unit=True)] = r
        by_header[cat.label(r.indicator_id)] = r
    yes, no = yes_no()
    wb = openpyxl.load_workbook(path)
    ws = wb[VILLAGES]
    codes = [ws.cell(r, 1).value for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value]
    for i in range(len(codes) if villages is None else villages):
        for j, v in enumerate(["一般村", 2020, "在建", 1200, 400], start=4):
            ws.cell(3 + i, j, v)
    ws = wb[OBS]
    header = [c.value for c in ws[2]]
    for i in range(len(codes) if obs_rows is None else obs_rows):
        r = 3 + i
        for j, h in enumerate(header, start=1):
            ind = by_header.get(h)
            if ind is None or (r, h) in leave_empty:
                continue
            if ind.value_type == "binary":
                v = yes if r % 2 else no
            else:
                v = ind.min_value + 0.6 * (ind.max_value - ind.min_value)
                v = int(v) if ind.value_type == "count" else round(v, 2)
            ws.cell(r, j, v)
    ws = wb[PROJECTS]
    for i in range(projects):
        row = [f"P{i + 1:03d}", codes[i], "T02", "改厕", dt.datetime(2023, 3, 1), dt.datetime(2023, 12, 31),
               None, 120.5, 60, "省级", "在建"]
        for j, v in enumerate(row, start=1):
            ws.cell(3 + i, j, v)
    ws = wb[APPLICANTS]
    for i in range(applicants):
        row = [codes[i], 2023, 52.5, 18600, 1250, 3.6, 65, 20, "A", yes, no, yes]
        for j, v in enumerate(row, start=1):
            ws.cell(3 + i, j, v)
    wb.save(path)
    return path


# ------------------------------------------------------------------------------ the workbook

def test_the_official_villages_of_the_county_are_prefilled_and_locked(template):
    assert official_count("340722") == N_ZONGYANG
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == [GUIDE, VILLAGES, OBS, PROJECTS, APPLICANTS]
    assert template_marker(template) == "340722 2023"
    assert TEMPLATE_NAME in wb.defined_names
    for name in (VILLAGES, OBS):
        ws = wb[name]
        assert [c.value for c in ws[2]][:3] == ["村庄代码", "乡镇", "村名"]
        codes = [ws.cell(r, 1).value for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value]
        assert len(codes) == N_ZONGYANG == len(set(codes))
        assert all(c.startswith("340722") and len(c) == 12 for c in codes)
        assert [ws.cell(3, j).value for j in (1, 2, 3)] == ["340722106200", "横埠镇", "黄山村"]
        assert ws.protection.sheet
        assert ws.cell(3, 1).protection.locked and ws.cell(2, 5).protection.locked  # list, header
        assert not ws.cell(3, 5).protection.locked and not ws.cell(192, 5).protection.locked
        assert ws.cell(3, 1).data_type == "s"  # codes are text, never 3.4e11
    obs = wb[OBS]
    assert obs.cell(2, 4).value == "年份" and obs.cell(3, 4).value == 2023 and obs.cell(3, 4).protection.locked


def test_one_column_per_indicator_with_its_unit_and_validation(template):
    cat = load_catalogue()
    ws = openpyxl.load_workbook(template)[OBS]
    header = [c.value for c in ws[2]]
    assert len(header) == 4 + N_INDICATORS
    assert header[4:] == [cat.label(i, with_unit=r != "binary") for i, r in
                          zip(cat.indicators["indicator_id"], cat.indicators["value_type"], strict=True)]
    assert "卫生厕所普及率（%）" in header and "实用性村庄规划" in header
    assert "农村居民人均可支配收入（元）" in header and "文化活动场次（场次/年）" in header
    checks = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    col = {h: openpyxl.utils.get_column_letter(j) for j, h in enumerate(header, start=1)}
    toilet = checks[col["卫生厕所普及率（%）"] + "3"]
    assert (toilet.type, toilet.operator, toilet.formula1, toilet.formula2) == ("decimal", "between", "0", "100")
    assert str(toilet.sqref) == f"{col['卫生厕所普及率（%）']}3:{col['卫生厕所普及率（%）']}192"
    income = checks[col["农村居民人均可支配收入（元）"] + "3"]
    assert (income.formula1, income.formula2) == ("3000", "100000")
    events = checks[col["文化活动场次（场次/年）"] + "3"]
    assert (events.type, events.formula1, events.formula2) == ("whole", "0", "500")
    plan = checks[col["实用性村庄规划"] + "3"]
    assert (plan.type, plan.formula1) == ("list", '"是,否"')
    assert sum(dv.type == "list" for dv in checks.values()) == 17
    assert all(dv.showErrorMessage and dv.prompt for dv in checks.values())


def test_ledger_and_applicant_sheets_have_the_lists_the_loader_accepts(template):
    wb = openpyxl.load_workbook(template)
    ws = wb[PROJECTS]
    header = [c.value for c in ws[2]]
    assert header == ["项目编号", "村庄代码", "任务", "项目名称", "开工日期", "计划完工日期", "实际完工日期",
                      "投资（万元）", "已拨付（万元）", "资金来源", "项目状态"]
    checks = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    assert checks["B"].formula1 == "'村庄名录'!$A$3:$A$192"
    assert checks["C"].formula1 == '"' + ",".join(f"T{i:02d}" for i in range(1, 17)) + '"'
    assert checks["E"].type == "date" and ws.cell(3, 5).number_format == "yyyy-mm-dd"
    assert checks["H"].type == "decimal" and checks["H"].operator == "greaterThanOrEqual"
    assert checks["J"].formula1 == '"省级,市级,县级,村集体自筹,社会资本"'
    assert checks["K"].formula1 == '"未开工,在建,已完工"'
    assert str(checks["K"].sqref) == "K3:K502"
    assert not ws.cell(502, 11).protection.locked and ws.cell(2, 11).protection.locked
    app = wb[APPLICANTS]
    checks = {str(dv.sqref).split(":")[0][:-1]: dv for dv in app.data_validations.dataValidation}
    assert checks["I"].formula1 == '"A,B,C"' and checks["J"].formula1 == '"是,否"'
    assert checks["G"].formula2 == "100"  # 村民参与率（%）
    vil = wb[VILLAGES]
    checks = {str(dv.sqref).split(":")[0][:-1]: dv for dv in vil.data_validations.dataValidation}
    assert checks["D"].formula1 == '"省级中心村,精品示范村,一般村"'
    assert checks["F"].formula1 == '"申报,在建,已验收"'


def test_guide_sheet_explains_each_indicator(template):
    ws = openpyxl.load_workbook(template)[GUIDE]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[:3] == ["任务", "指标", "指标代码"])
    assert rows[head] == ["任务", "指标", "指标代码", "单位", "取值范围", "定义", "怎么统计", "示例"]
    table = rows[head + 1: head + 1 + N_INDICATORS]
    assert [r[2] for r in table] == load_catalogue().indicator_ids
    assert all(r[5] and r[6] and r[7] for r in table)
    toilet = next(r for r in table if r[2] == "toilet_rate")
    assert toilet[:5] == ["T02", "卫生厕所普及率", "toilet_rate", "%", "0–100"]
    assert "399 ÷ 420" in toilet[7]
    plan = next(r for r in table if r[2] == "village_plan")
    assert plan[3] == "" or plan[3] is None
    assert plan[4] == "是 / 否"
    text = "\n".join(str(v) for r in rows for v in r if v)
    assert "T01 规划建设管理" in text and "村集体自筹" in text and "已完工" in text
    assert ws.protection.sheet


def test_every_sheet_prints_on_a4_landscape_fitted_to_width(template):
    wb = openpyxl.load_workbook(template)
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9 and ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows
    assert wb[OBS].print_title_rows == "$1:$2"


# ------------------------------------------------------------------------------ round trip

def test_a_filled_template_validates_clean(template, tmp_path):
    path = fill(copy_of(template, tmp_path))
    r = run("validate", path)
    assert r.exit_code == 0, r.output
    assert "村庄名录：0/190 行未填写" in r.output and "项目台账：已填 3 行" in r.output
    ds, report = read_dataset(path)
    assert report.ok and len(report) == 0
    assert [len(ds.table(k)) for k in ("villages", "observations", "projects", "applicants")] == [
        N_ZONGYANG, N_ZONGYANG * N_INDICATORS, 3, 2]
    toilet = ds.observations[ds.observations["indicator_id"] == "toilet_rate"]["value"]
    assert toilet.eq(60.0).all() and len(toilet) == N_ZONGYANG
    plan = ds.observations[ds.observations["indicator_id"] == "village_plan"]["value"]
    assert plan.sum() == 95  # 是 on odd rows 3, 5, …, 191: 95 of 190
    assert ds.projects["start_date"].iloc[0] == dt.datetime(2023, 3, 1)


def test_an_empty_template_validates_with_unfilled_counts(template, tmp_path):
    path = copy_of(template, tmp_path)
    r = run("validate", path)
    assert r.exit_code == 0, r.output
    ds, report = read_dataset(path)
    assert report.ok  # no error; at most a warning that no village list is filled in yet
    assert report.rules() <= {"no_villages_table"}
    assert [len(ds.table(k)) for k in ("villages", "observations", "projects", "applicants")] == [0, 0, 0, 0]
    line = next(ln for ln in r.output.splitlines() if ln.startswith("未填写"))
    assert line.endswith("村庄名录：190/190 行未填写；指标数据：190/190 行未填写；项目台账：未填写；申报村：未填写")
    assert "missing_value" not in r.output and "no_rows" not in r.output


def test_a_partly_filled_template_validates_what_is_filled(template, tmp_path):
    toilet = "卫生厕所普及率（%）"
    path = fill(copy_of(template, tmp_path), villages=2, obs_rows=2, projects=0, applicants=0,
                leave_empty={(4, toilet)})
    wb = openpyxl.load_workbook(path)
    wb[VILLAGES].cell(5, 7, 900)  # a third village: population given, 村庄类型 left empty
    wb.save(path)
    r = run("validate", path)
    assert r.exit_code == 1, r.output
    ds, report = read_dataset(path)
    problems = report.to_frame()
    assert problems[["sheet", "row", "column", "rule"]].values.tolist() == [[VILLAGES, 5, "村庄类型", "missing_value"]]
    assert len(ds.villages) == 3 and len(ds.observations) == 2 * N_INDICATORS - 1
    assert "村庄名录：187/190 行未填写；指标数据：188/190 行未填写；已填的行中 1 个单元格未填写" in r.output


def test_indicators_filled_without_the_village_list_are_flagged(template, tmp_path):
    path = fill(copy_of(template, tmp_path), villages=0, obs_rows=3, projects=0, applicants=0)
    ds, report = read_dataset(path)
    assert len(ds.observations) == 3 * N_INDICATORS and len(ds.villages) == 0
    assert report.rules() == {"no_villages_table"}  # the reports cannot be built on it


def test_outside_a_template_empty_required_cells_stay_errors(template, tmp_path):
    path = fill(copy_of(template, tmp_path), villages=2, obs_rows=0, projects=0, applicants=0)
    wb = openpyxl.load_workbook(path)
    del wb.defined_names[TEMPLATE_NAME]  # the same sheets, but not a template any more
    wb.save(path)
    assert template_marker(path) is None
    _, report = read_dataset(path)
    missing = report.to_frame().query("rule == 'missing_value'")
    assert len(missing) == N_ZONGYANG - 2 and set(missing["sheet"]) == {VILLAGES}


# ------------------------------------------------------------------------------ the command

def test_template_options(tmp_path):
    out = tmp_path / "o.xlsx"
    r = run("template", "--county", "340722", "--tables", "observations,projects", "--out", out)
    assert r.exit_code == 0, r.output
    assert "枞阳县，190 个行政村" in r.output and f"hemei validate {out}" in r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [GUIDE, OBS, PROJECTS]
    obs = wb[OBS]
    assert obs.cell(2, 4).value == "年份" and obs.cell(3, 4).value is None
    assert not obs.cell(3, 4).protection.locked  # no --year: the year is filled in
    assert template_marker(out) == "340722"
    codes = [dv for dv in wb[PROJECTS].data_validations.dataValidation if str(dv.sqref).startswith("B3")]
    assert codes[0].formula1 == "'指标数据'!$A$3:$A$192"
    assert run("template", "--county", "340722", "--out", out).exit_code == 2  # exists
    assert run("template", "--county", "340722", "--out", out, "--force").exit_code == 0
    bad = run("template", "--county", "349999", "--out", tmp_path / "x.xlsx")
    assert bad.exit_code == 2 and "349999" in bad.output
    assert run("template", "--county", "340722", "--tables", "villages,roads", "--out",
               tmp_path / "y.xlsx").exit_code == 2
    assert run("template", "--county", "340722", "--out", tmp_path / "z.csv").exit_code == 2
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.xlsx").exists()


def test_write_template_returns_what_it_wrote(tmp_path):
    info = write_template(tmp_path / "t.xlsx", "340705", tables=("villages",))
    assert (info.county_name, info.n_villages, info.sheets) == ("铜官区", 12, (GUIDE, VILLAGES))
    assert sheet_name("projects") == PROJECTS and yes_no() == ("是", "否")
