"""Loaders: cleaning helpers on literals, messy-but-valid office files, broken files.

Every file is written by the test into ``tmp_path`` (CSV in UTF-8, UTF-8 with BOM and GBK,
.xlsx through openpyxl, Parquet); expected frames and problem rows are written by hand.
Village codes are real (NBS 2023): 横山村委会 340722106206 and 新华村委会 340722106218 in
横埠镇, 枞阳县; 农林村委会 340705100200 and 柴塘村委会 340705100201 in 西湖镇, 铜官区.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import openpyxl
import pandas as pd
import pandas.testing as pdt
import pytest

from hemei_tools.inputs.api import (
    clean_text,
    match_village_names,
    parse_dates,
    parse_numbers,
    parse_tasks,
    read_applicants,
    read_observations,
    read_projects,
    read_tables,
    read_villages,
)
from hemei_tools.inputs.dataset import DataSet, FileRecord, load_dataset, read_dataset
from hemei_tools.inputs.problems import DataValidationError

HENGSHAN, XINHUA = "340722106206", "340722106218"
NONGLIN, CHAITANG = "340705100200", "340705100201"


def write_csv(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path, sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def problems_of(path, kind=None):
    _, report = read_tables(path, kind)
    return report.to_frame()


def has(problems: pd.DataFrame, row, column, rule) -> bool:
    sel = problems["rule"].eq(rule) & problems["column"].eq(column)
    sel &= problems["row"].isna() if row is None else problems["row"].eq(row)
    return bool(sel.any())


# --------------------------------------------------------------------------- helpers

def test_clean_text_nfkc_spaces_and_placeholders():
    s = pd.Series(["　１２ ", "—", "N/A", "空", " a  b ", None, "无", "-", "/", "ＮＡ", "x"], dtype=object)
    got = clean_text(s)
    expected = pd.Series(["12", None, None, None, "a b", None, None, None, None, None, "x"], dtype="str")
    pdt.assert_series_equal(got, expected)


def test_parse_numbers_units_in_cells_and_headers():
    s = pd.Series(["12.5万元", "1,200", "-3", "125000元", "0.2亿", "abc", "12斤", None, "7"], dtype="str")
    v, bad, bad_unit = parse_numbers(s, "万元")
    np.testing.assert_allclose(v.to_numpy()[[0, 1, 2, 3, 4, 8]], [12.5, 1200, -3, 12.5, 2000, 7])
    assert bad.tolist() == [False, False, False, False, False, True, False, False, False]
    assert bad_unit.tolist() == [False] * 6 + [True, False, False]
    assert pd.isna(v[7])
    # a unit in the header applies to bare cells; a unit in the cell wins
    v, _, _ = parse_numbers(pd.Series(["50000", "3万元"], dtype="str"), "万元", header_unit="元")
    np.testing.assert_allclose(v, [5.0, 3.0])
    v, _, bad_unit = parse_numbers(pd.Series(["85%", "85"], dtype="str"), "%")
    np.testing.assert_allclose(v, [85, 85])
    assert not bad_unit.any()


def test_parse_dates_office_formats():
    s = pd.Series(["2023-09-01", "2023.9", "2023年9月", "2023/9/1", "2023年9月15日", "20230901",
                   "2023-09-01 00:00:00", "2023-13-01", "soon", None], dtype="str")
    d, bad = parse_dates(s)
    ts = pd.Timestamp
    assert d.tolist()[:7] == [ts("2023-09-01"), ts("2023-09-01"), ts("2023-09-01"), ts("2023-09-01"),
                              ts("2023-09-15"), ts("2023-09-01"), ts("2023-09-01")]
    assert d[7:].isna().all()
    assert bad.tolist() == [False] * 7 + [True, True, False]


def test_parse_tasks():
    got = parse_tasks(pd.Series(["T01", "3", "任务12", "T7", "X", "07"], dtype="str"))
    assert got.tolist() == ["T01", "T03", "T12", "T07", "X", "T07"]


def test_match_village_names_short_long_and_township():
    names = pd.DataFrame({
        "village_name": ["横山村", "横山村委会", "横山", "横山村", "横三村", "新华村"],
        "township_name": ["横埠镇", None, "横埠", None, "横埠镇", "横埠镇"],
        "county_name": ["枞阳县", "枞阳县", None, None, None, None],
    })
    m = match_village_names(names)
    assert m["village_code"].tolist()[:3] == [HENGSHAN] * 3
    assert m["village_code"][5] == XINHUA
    assert m["match"].tolist() == ["ok", "ok", "ok", "ambiguous", "unmatched", "ok"]
    assert "横埠镇" in m["hint"][3] and "凉泉乡" in m["hint"][3]  # lists the candidates
    assert "横山村（横埠镇" in m["hint"][4]  # closest official name in that township


# --------------------------------------------------------------------------- messy but valid

MESSY_WIDE_GBK = """2023年枞阳县和美乡村指标监测表,,,,,,
填报单位：枞阳县农业农村局,,,,,,
县区,乡镇,村名,年份,卫生厕所普及率（%）,村集体经营性收入,通硬化路
枞阳县,横埠镇,横山村,２０２３,85%,12.5万元,是
枞阳县,横埠镇, 新华村 ,2023年,—,"1,200",否

合　计,,,,,,
"""


def test_messy_wide_gbk_csv_loads_to_tidy_long_frame(tmp_path):
    path = write_csv(tmp_path / "指标数据.csv", MESSY_WIDE_GBK, "gbk")
    got = read_observations(path)
    expected = pd.DataFrame({
        "village_code": pd.Series([HENGSHAN, HENGSHAN, HENGSHAN, XINHUA, XINHUA], dtype="str"),
        "year": pd.Series([2023] * 5, dtype="int64"),
        "indicator_id": pd.Series(["toilet_rate", "collective_income", "paved_road",
                                   "collective_income", "paved_road"], dtype="str"),
        "value": [85.0, 12.5, 1.0, 1200.0, 0.0],
        "source": pd.Series([None] * 5, dtype="str"),
        "note": pd.Series([None] * 5, dtype="str"),
    })
    pdt.assert_frame_equal(got, expected)


def test_year_wide_layout_and_bom(tmp_path):
    text = "村庄代码,指标,2022年,2023年\n" f"{NONGLIN},卫生厕所普及率,80,90.5\n" f"{NONGLIN},tap_water_rate,空,99\n"
    path = write_csv(tmp_path / "obs.csv", text, "utf-8-sig")
    got = read_observations(path)
    expected = pd.DataFrame({
        "village_code": pd.Series([NONGLIN] * 3, dtype="str"),
        "year": pd.Series([2022, 2023, 2023], dtype="int64"),
        "indicator_id": pd.Series(["toilet_rate", "toilet_rate", "tap_water_rate"], dtype="str"),
        "value": [80.0, 90.5, 99.0],
        "source": pd.Series([None] * 3, dtype="str"),
        "note": pd.Series([None] * 3, dtype="str"),
    })
    pdt.assert_frame_equal(got, expected)


def messy_workbook(path):
    return write_xlsx(path, {
        "说明": [["本表由县农业农村局填报"]],
        "村庄名录": [
            ["铜官区村庄名录（2023年）"],
            [],
            ["村庄代码", "行政村", "村庄类型", "认定年份", "建设状态", "户籍人口", "户数"],
            [int(NONGLIN), " 农林村 ", "中心村", 2019, "通过验收", "4,008", 1448],
            [CHAITANG, None, "一般村", "—", "/", 3078, "1039户"],
            ["合计", None, None, None, None, 7086, 2487],
        ],
        "项目台账": [
            ["2023年项目台账"],
            ["项目编号", "村名", "乡镇", "所属任务", "项目名称", "开工日期", "计划完工日期",
             "实际完工日期", "投资（万元）", "已拨付", "资金来源", "项目状态"],
            ["P1", "农林村", "西湖镇", "3", "道路硬化", pd.Timestamp("2023-03-01").to_pydatetime(),
             "2023.9", "2023年10月", 120, "80万元", "省财政", "竣工"],
            ["P2", "柴塘村", "西湖镇", "T02", "改厕", "2023/4/1", "20231231", None, "12.5", "—",
             "县级", "在建"],
        ],
    })


def test_messy_workbook_villages_and_projects(tmp_path):
    path = messy_workbook(tmp_path / "ledger.xlsx")
    villages = read_villages(path)
    expected_v = pd.DataFrame({
        "village_code": pd.Series([NONGLIN, CHAITANG], dtype="str"),
        "village_name": pd.Series(["农林村", "柴塘村"], dtype="str"),  # 2nd filled from the official list
        "township_code": pd.Series(["340705100"] * 2, dtype="str"),
        "township_name": pd.Series(["西湖镇"] * 2, dtype="str"),
        "county_code": pd.Series(["340705"] * 2, dtype="str"),
        "county_name": pd.Series(["铜官区"] * 2, dtype="str"),
        "village_type": pd.Series(["省级中心村", "一般村"], dtype="str"),
        "designation_year": pd.array([2019, pd.NA], dtype="Int64"),
        "build_status": pd.Series(["已验收", None], dtype="str"),
        "population": pd.array([4008, 3078], dtype="Int64"),
        "households": pd.array([1448, 1039], dtype="Int64"),
    })
    pdt.assert_frame_equal(villages, expected_v)
    projects = read_projects(path)
    ts = pd.Timestamp
    expected_p = pd.DataFrame({
        "project_id": pd.Series(["P1", "P2"], dtype="str"),
        "village_code": pd.Series([NONGLIN, CHAITANG], dtype="str"),
        "task_id": pd.Series(["T03", "T02"], dtype="str"),
        "project_name": pd.Series(["道路硬化", "改厕"], dtype="str"),
        "start_date": pd.Series([ts("2023-03-01"), ts("2023-04-01")], dtype="datetime64[ns]"),
        "planned_end": pd.Series([ts("2023-09-01"), ts("2023-12-31")], dtype="datetime64[ns]"),
        "actual_end": pd.Series([ts("2023-10-01"), pd.NaT], dtype="datetime64[ns]"),
        "budget_wan": [120.0, 12.5],
        "disbursed_wan": [80.0, np.nan],
        "funding_source": pd.Series(["省级", "县级"], dtype="str"),
        "status": pd.Series(["已完工", "在建"], dtype="str"),
    })
    pdt.assert_frame_equal(projects, expected_p)


def test_applicants_and_parquet(tmp_path):
    frame = pd.DataFrame({"village_code": [NONGLIN], "apply_year": [2023], "村集体经营性收入": ["58.3万元"],
                          "participation_rate": ["77.4%"], "party_grade": ["A"], "has_village_plan": ["是"],
                          "open_violation": [0]})
    frame.to_parquet(tmp_path / "applicants.parquet")
    got = read_applicants(tmp_path / "applicants.parquet")
    assert got.loc[0, "collective_income_wan"] == 58.3
    assert got.loc[0, "participation_rate"] == 77.4
    assert got.loc[0, "has_village_plan"] == 1 and got.loc[0, "open_violation"] == 0
    assert pd.isna(got.loc[0, "selected"]) and got.loc[0, "party_grade"] == "A"


# --------------------------------------------------------------------------- broken files

OBS_HEAD = "village_code,year,indicator_id,value\n"


def test_duplicate_village_year_indicator(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + f"{NONGLIN},2023,toilet_rate,80\n"
                     f"{CHAITANG},2023,toilet_rate,70\n{NONGLIN},2023,toilet_rate,81\n")
    p = problems_of(path)
    dup = p[p["rule"] == "duplicate_key"]
    # the repeat is the problem, and it names the row it repeats (the old code flagged both rows)
    assert dup["row"].tolist() == [4]
    assert dup["column"].iloc[0] == "village_code + year + indicator_id"
    assert dup["value"].iloc[0] == f"{NONGLIN} / 2023 / toilet_rate"
    assert dup["hint"].iloc[0] == "与第 2 行重复（关键列相同）：合并或删除其中一行"


def test_unknown_village_code_and_bad_code(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + "340722106999,2023,toilet_rate,80\n3.40722E+11,2023,toilet_rate,80\n")
    p = problems_of(path)
    assert has(p, 2, "village_code", "unknown_village_code")
    assert has(p, 3, "village_code", "bad_code")
    assert len(p) == 2


def test_unknown_indicator(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + f"{NONGLIN},2023,厕所,80\n")
    assert has(problems_of(path), 2, "indicator_id", "unknown_indicator")


def test_percentage_of_130_long_and_wide(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + f"{NONGLIN},2023,toilet_rate,130\n")
    p = problems_of(path)
    assert has(p, 2, "value", "out_of_range")
    assert p["hint"].iloc[0] == "toilet_rate（卫生厕所普及率）的有效范围是 0–100 %"
    wide = write_csv(tmp_path / "wide.csv", "标题\n村庄代码,年份,卫生厕所普及率\n" f"{NONGLIN},2023,130%\n")
    p = problems_of(wide, "observations")
    assert has(p, 3, "卫生厕所普及率", "out_of_range") and p.loc[0, "value"] == "130%"


def test_binary_indicator_not_0_1(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + f"{NONGLIN},2023,paved_road,2\n{NONGLIN},2022,paved_road,是\n")
    p = problems_of(path)
    assert has(p, 2, "value", "not_binary") and len(p) == 1


def test_text_in_numeric_column(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + f"{NONGLIN},2023,toilet_rate,很多\n{NONGLIN},二〇二三,tap_water_rate,90\n")
    p = problems_of(path)
    assert has(p, 2, "value", "not_a_number") and p.loc[p["row"].eq(2), "value"].iloc[0] == "很多"
    assert has(p, 3, "year", "not_a_number")


def test_missing_required_column(tmp_path):
    path = write_csv(tmp_path / "obs.csv", f"village_code,year,indicator_id\n{NONGLIN},2023,toilet_rate\n")
    p = problems_of(path, "observations")
    assert has(p, 1, "value", "missing_column")
    assert len(p) == 1  # the empty cells of the missing column are not reported again


def test_negative_money_with_title_rows(tmp_path):
    path = write_csv(tmp_path / "项目台账.csv",
                     "项目台账\n（单位：万元）\n项目编号,村庄代码,任务,投资（万元）,项目状态\n"
                     f"P1,{NONGLIN},T01,-5,在建\nP2,{NONGLIN},T01,5,在建\n")
    p = problems_of(path)
    assert has(p, 4, "投资（万元）", "negative") and len(p) == 1


def test_empty_files(tmp_path):
    assert has(problems_of(write_csv(tmp_path / "a.csv", "")), None, "", "empty_file")
    assert has(problems_of(write_csv(tmp_path / "b.csv", " \n\n")), None, "", "empty_file")
    header_only = write_csv(tmp_path / "observations.csv", OBS_HEAD)
    assert has(problems_of(header_only), 1, "", "no_rows")


def test_workbook_without_expected_sheets(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"Sheet1": [["a", "b"], [1, 2]], "说明": [["x"]]})
    p = problems_of(path)
    assert has(p, None, "", "missing_sheets") and "Sheet1" in p["value"].iloc[0]


def test_binary_file_with_csv_name(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert has(problems_of(path), None, "", "not_text")
    book = messy_workbook(tmp_path / "x.xlsx")
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(book.read_bytes())
    p = problems_of(renamed)
    assert has(p, None, "", "not_text") and "Excel" in p["hint"].iloc[0]


def test_village_names_unmatched_and_ambiguous(tmp_path):
    text = "村名,乡镇,年份,指标,数值\n横三村,横埠镇,2023,toilet_rate,80\n横山村,,2023,toilet_rate,80\n"
    p = problems_of(write_csv(tmp_path / "指标数据.csv", text))
    assert has(p, 2, "村名", "unmatched_village") and has(p, 3, "村名", "ambiguous_village")
    assert "横山村（横埠镇" in p.loc[p["row"].eq(2), "hint"].iloc[0]
    assert len(p) == 2  # no extra missing_value for the unresolved code


def test_bad_enum_date_and_task(tmp_path):
    text = ("项目编号,村庄代码,任务,开工日期,投资,项目状态\n"
            f"P1,{NONGLIN},T17,2023-02-30,1,在建\nP2,{NONGLIN},T01,2023-02-01,1,差不多了\n")
    p = problems_of(write_csv(tmp_path / "projects.csv", text))
    assert has(p, 2, "任务", "unknown_task") and has(p, 2, "开工日期", "bad_date")
    assert has(p, 3, "项目状态", "bad_value") and "已完工" in p.loc[p["rule"].eq("bad_value"), "hint"].iloc[0]
    assert len(p) == 3


def test_strict_reader_raises_with_every_problem(tmp_path):
    path = write_csv(tmp_path / "obs.csv", OBS_HEAD + f"{NONGLIN},2023,toilet_rate,130\n{NONGLIN},2023,x,1\n")
    with pytest.raises(DataValidationError) as err:
        read_observations(path)
    assert len(err.value.report) == 2 and "第 2 行 列“value”：超出有效范围（130）" in str(err.value)


# --------------------------------------------------------------------------- data sets

def demo_folder(tmp_path, synthetic_column=False):
    folder = tmp_path / "demo"
    folder.mkdir(parents=True)
    flag = ",synthetic" if synthetic_column else ""
    t = ",True" if synthetic_column else ""
    write_csv(folder / "villages.csv", f"village_code,village_type,households{flag}\n{NONGLIN},省级中心村,100{t}\n"
              f"{CHAITANG},一般村,50{t}\n")
    write_csv(folder / "observations.csv", OBS_HEAD.strip() + flag + "\n" + f"{NONGLIN},2023,toilet_rate,80{t}\n")
    write_csv(folder / "projects.csv", "project_id,village_code,task_id,budget_wan,status\n"
              f"P1,{CHAITANG},T02,10,未开工\n")
    write_csv(folder / "applicants.csv", f"village_code,apply_year\n{NONGLIN},2023\n")
    (folder / "README.md").write_text("not data")
    return folder


def test_load_dataset_folder_with_metadata(tmp_path):
    folder = demo_folder(tmp_path)
    (folder / "metadata.json").write_text(json.dumps({"synthetic": True, "seed": 1}))
    ds = load_dataset(folder)
    assert isinstance(ds, DataSet) and ds.synthetic
    assert [len(ds.villages), len(ds.observations), len(ds.projects), len(ds.applicants)] == [2, 1, 1, 1]
    rec = {os.path.basename(f.path): f for f in ds.files}
    assert set(rec) == {"villages.csv", "observations.csv", "projects.csv", "applicants.csv"}
    v = folder / "villages.csv"
    assert rec["villages.csv"] == FileRecord(str(v), hashlib.sha256(v.read_bytes()).hexdigest(), 2)


def test_dataset_synthetic_from_column_and_absent(tmp_path):
    assert load_dataset(demo_folder(tmp_path / "a", synthetic_column=True)).synthetic
    assert not load_dataset(demo_folder(tmp_path / "b")).synthetic


def test_dataset_cross_table_village_not_listed(tmp_path):
    folder = demo_folder(tmp_path)
    write_csv(folder / "applicants.csv", f"village_code,apply_year\n{HENGSHAN},2023\n")
    ds, report = read_dataset(folder)
    p = report.to_frame()
    assert has(p, 2, "village_code", "village_not_listed") and len(p) == 1
    with pytest.raises(DataValidationError):
        load_dataset(folder)


def test_one_workbook_is_a_dataset(tmp_path):
    ds = load_dataset(messy_workbook(tmp_path / "ledger.xlsx"))
    assert len(ds.villages) == 2 and len(ds.projects) == 2
    assert ds.observations.empty and list(ds.observations.columns)[:4] == [
        "village_code", "year", "indicator_id", "value"]


def test_inputs_are_never_modified(tmp_path):
    folder = demo_folder(tmp_path)
    book = messy_workbook(folder / "ledger.xlsx")
    bad = write_csv(folder / "bad.csv", OBS_HEAD + f"{NONGLIN},2023,toilet_rate,130\n")
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (book, bad, folder / "villages.csv")}
    read_dataset(folder)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in before} == before


def test_long_file_loads_fast(tmp_path):
    """363 villages × 34 indicators × 5 years in seconds (the Anhui-scale run is in benchmarks)."""
    import time

    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.inputs.divisions import load_villages

    cat = load_catalogue()
    ind = cat.indicators.set_index("indicator_id")
    idx = pd.MultiIndex.from_product([load_villages()["village_code"], range(2019, 2024), cat.indicator_ids],
                                     names=["village_code", "year", "indicator_id"]).to_frame(index=False)
    idx["value"] = idx["indicator_id"].map(ind["min_value"]).astype(float)
    idx.to_csv(tmp_path / "observations.csv", index=False)
    t0 = time.perf_counter()
    obs = read_observations(tmp_path / "observations.csv")
    assert len(obs) == 363 * len(cat.indicator_ids) * 5
    assert time.perf_counter() - t0 < 20


def test_unknown_indicator_column_in_wide_layout(tmp_path):
    text = f"村庄代码,年份,卫生厕所普及律,自来水普及率\n{NONGLIN},2023,80,90\n"
    p = problems_of(write_csv(tmp_path / "指标数据.csv", text))
    assert has(p, 1, "卫生厕所普及律", "unknown_column") and "卫生厕所普及率" in p["hint"].iloc[0]
    assert len(p) == 1


def test_partitioned_parquet_table_folder(tmp_path):
    folder = demo_folder(tmp_path)
    (folder / "observations.csv").unlink()
    for county, code in (("340705", NONGLIN), ("340706", "340706101202")):
        part = folder / "observations" / f"county_code={county}"
        part.mkdir(parents=True)
        pd.DataFrame({"village_code": [code], "year": [2023], "indicator_id": ["toilet_rate"],
                      "value": [80.0]}).to_parquet(part / "part.parquet")
    ds, report = read_dataset(folder)
    assert ds.observations["village_code"].tolist() == [NONGLIN, "340706101202"]
    # the second village is official but not in villages.csv; rows count through the parts
    p = report.to_frame()
    assert has(p, 3, "village_code", "village_not_listed") and len(p) == 1
    assert p["file"].iloc[0] == str(folder / "observations")


def test_code_and_name_disagree(tmp_path):
    text = f"村庄代码,村名,村庄类型\n{NONGLIN},柴塘村,一般村\n{CHAITANG},柴塘村,一般村\n"
    p = problems_of(write_csv(tmp_path / "村庄名录.csv", text))
    assert has(p, 2, "村名", "name_code_mismatch") and "农林村（西湖镇" in p["hint"].iloc[0]
    assert len(p) == 1


def test_excel_percent_cells_and_utf16_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标数据"
    ws.append(["村庄代码", "年份", "卫生厕所普及率"])
    ws.append([NONGLIN, 2023, 0.855])
    ws["C2"].number_format = "0.0%"
    wb.save(tmp_path / "book.xlsx")
    assert read_observations(tmp_path / "book.xlsx")["value"].tolist() == [85.5]
    text = f"村庄代码\t年份\t指标\t数值\n{NONGLIN}\t2023\t自来水普及率\t97\n"
    path = write_csv(tmp_path / "unicode.txt", text, "utf-16")
    assert read_observations(path)["value"].tolist() == [97.0]


def test_project_end_before_start(tmp_path):
    text = ("项目编号,村庄代码,任务,开工日期,实际完工日期,投资,项目状态\n"
            f"P1,{NONGLIN},T01,2023-05-01,2023.4,1,已完工\nP2,{NONGLIN},T01,2023-05-01,2023年6月,1,已完工\n")
    p = problems_of(write_csv(tmp_path / "projects.csv", text))
    assert has(p, 2, "实际完工日期", "date_order") and p["value"].iloc[0] == "2023.4" and len(p) == 1


def test_village_whose_name_ends_in_cun():
    # 水村村委会 (340706102203) is the village 水村村, not 水村
    m = match_village_names(pd.DataFrame({"village_name": ["水村村", "水村村委会", "水村"],
                                          "township_name": ["钟鸣镇"] * 3}))
    assert m["village_code"].tolist()[:2] == ["340706102203"] * 2
    assert m["match"][2] == "unmatched" and "水村村" in m["hint"][2]


def test_malformed_csv_line_counts_title_rows(tmp_path):
    path = write_csv(tmp_path / "obs.csv", "标题\n" + OBS_HEAD + f"{NONGLIN},2023,toilet_rate,80\n"
                     f"{NONGLIN},2022,toilet_rate,80,5\n")
    p = problems_of(path)
    assert has(p, 4, "", "malformed_csv") and "这一行有 5 个字段，表头只有 4 个" in p["hint"].iloc[0]


def test_misspelt_optional_header_is_named_other_extras_ignored(tmp_path):
    text = f"序号,村庄代码,村庄类型,户籍户数量,联系人\n1,{NONGLIN},一般村,100,张三\n"
    p = problems_of(write_csv(tmp_path / "villages.csv", text))
    assert has(p, 1, "户籍户数量", "unknown_column") and "户籍户数" in p["hint"].iloc[0]
    assert len(p) == 1


def test_same_file_twice_is_read_once(tmp_path):
    path = write_csv(tmp_path / "observations.csv", OBS_HEAD + f"{NONGLIN},2023,toilet_rate,80\n")
    ds, report = read_dataset([path, tmp_path / "." / "observations.csv"])
    assert report.ok and len(ds.observations) == 1


def test_garbage_csv_never_raises(tmp_path):
    """Random fragments of office files: every outcome is a frame or a named problem."""
    import random

    rnd = random.Random(7)
    bits = ["village_code", "year", "indicator_id", "value", "村名", "合计", "—", "85%", "12.5万元", NONGLIN,
            "2023", "toilet_rate", '"', "，", "２０２３", "", "投资（万元）", "项目编号", "2023.9", "1e308", "nan"]
    for i in range(60):
        text = "".join(rnd.choice(bits) + rnd.choice([",", ",", "\n"]) for _ in range(rnd.randint(0, 40)))
        path = write_csv(tmp_path / f"{i}_{rnd.choice(['observations', 'projects', 'x'])}.csv", text)
        _, report = read_dataset(path)
        assert not report.to_frame()["rule"].eq("unreadable_file").any(), text


def test_synthetic_divisions_only_with_synthetic_metadata(tmp_path):
    folder = tmp_path / "nat"
    folder.mkdir()
    write_csv(folder / "villages.csv", "village_code,village_type\n900101101201,一般村\n")
    write_csv(folder / "observations.csv", OBS_HEAD + "900101101201,2023,toilet_rate,80\n"
              "900101101299,2023,toilet_rate,80\n")
    p = read_dataset(folder)[1].to_frame()
    assert p["rule"].tolist() == ["unknown_village_code"] * 3
    (folder / "metadata.json").write_text('{"synthetic": true}')
    p = read_dataset(folder)[1].to_frame()
    assert p[["row", "rule"]].values.tolist() == [[3, "village_not_listed"]]


def test_parsing_words_are_rows_of_the_alias_table():
    # the words recognised in cells and headers are data (aliases.csv), not literals in code
    from hemei_tools.inputs import aliases, divisions, schema
    from hemei_tools.inputs.names import VILLAGE_SUFFIX, village_stem

    assert set(aliases.parse_words("placeholder", "")) <= set(aliases.PLACEHOLDERS)
    assert set(aliases.parse_words("placeholder", "text")) == set(aliases.TEXT_PLACEHOLDERS) == {"nan", "null", "none"}
    assert all(w in aliases.TOTAL_ROW for w in aliases.parse_words("total_row"))
    assert aliases.alternatives(["a.b", "c"]) == r"(?:a\.b|c)"
    assert tuple(aliases.name_suffixes("village")) == divisions.ADMIN_VILLAGE_SUFFIXES
    assert divisions.short_name("横山村委会") == "横山" + VILLAGE_SUFFIX
    assert village_stem(pd.Series(["水村村民委员会"])).tolist() == ["水村"]
    assert aliases._YEAR_HEADER.fullmatch("2023年度").group(1) == "2023"
    with pytest.raises(KeyError, match="no rows of kind 'nonsense'"):
        aliases.parse_words("nonsense")
    # category codes are the vocab.* labels; column units are canonical units of the unit table
    units = {c for c, _ in aliases.load_aliases().units}
    assert {s.unit for t in schema.TABLES.values() for s in t if s.unit} <= units
