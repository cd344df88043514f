"""The optional programme-unit tables (美丽宜居自然村庄, county designations) and the as-of date.

Files are written by the test, on real codes: 农林村委会 340705100200 and 柴塘村委会
340705100201 in 铜官区 (the data set's villages); 横山村委会 340722106206 in 枞阳县 (not listed).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from small_data import CHAITANG, NONGLIN, OBS_HEAD, VILLAGES

from hemei_tools.inputs.dataset import DataSet, data_as_of, load_dataset, read_dataset
from hemei_tools.inputs.problems import DataValidationError
from hemei_tools.inputs.schema import DESIGNATIONS, TABLES

HENGSHAN = "340722106206"


def folder_with(tmp_path, files: dict[str, str]):
    folder = tmp_path / "data"
    folder.mkdir(parents=True)
    (folder / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    (folder / "observations.csv").write_text(OBS_HEAD + f"{NONGLIN},2022,toilet_rate,80\n", encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems(folder) -> pd.DataFrame:
    _, report = read_dataset(folder)
    return report.to_frame()


def has(p: pd.DataFrame, row, column, rule) -> pd.DataFrame:
    return p[(p["row"] == row) & (p["column"] == column) & (p["rule"] == rule)]


def test_the_two_tables_are_declared_with_keys_and_vocabulary():
    assert [c.name for c in TABLES["natural_villages"] if c.required] == [
        "village_code", "natural_village_name", "build_status", "designation_year"]
    assert [c.name for c in TABLES["county_designations"] if c.required] == [
        "county_code", "designation", "status", "year"]
    assert DESIGNATIONS[0] == "和美乡村示范县"


def test_office_headers_and_words_load_to_the_canonical_tables(tmp_path):
    folder = folder_with(tmp_path, {
        "美丽宜居自然村庄.csv": ("所属行政村代码,自然村名称,建设状态,认定年份\n"
                          f"{NONGLIN},上湾,建成,2019\n{NONGLIN},下湾,建设中,2023\n{CHAITANG},河口,已申报,2023\n"),
        "县区称号.csv": ("县区代码,称号,状态,年份\n340705,宜居宜业和美乡村示范县,创建中,2023\n"
                     "340705,全省美丽乡村建设先进县(区),获评,2021\n"),
    })
    ds = load_dataset(folder)
    n = ds.natural_villages
    assert n["natural_village_name"].tolist() == ["上湾", "下湾", "河口"]
    assert n["build_status"].tolist() == ["已验收", "在建", "申报"]
    assert n["designation_year"].tolist() == [2019, 2023, 2023]
    d = ds.county_designations
    assert d["designation"].tolist() == ["和美乡村示范县", "全省美丽乡村建设先进县（区）"]
    assert d["status"].tolist() == ["在建", "已验收"] and d["year"].tolist() == [2023, 2021]


def test_a_file_of_natural_villages_is_recognised_by_its_header(tmp_path):
    folder = folder_with(tmp_path, {"sheet1.csv": ("village_code,自然村名称,建设状态,认定年份\n"
                                                   f"{NONGLIN},上湾,已验收,2019\n")})
    ds = load_dataset(folder)
    assert len(ds.natural_villages) == 1 and len(ds.villages) == 2


def test_programme_table_problems_are_named_by_row_column_and_rule(tmp_path):
    folder = folder_with(tmp_path, {
        "natural_villages.csv": ("village_code,natural_village_name,build_status,designation_year\n"
                                 f"{NONGLIN},上湾,规划中,2019\n{HENGSHAN},河口,已验收,2020\n"
                                 f"{NONGLIN},上湾,已验收,2021\n"),
        "county_designations.csv": ("county_code,designation,status,year\n340722,和美乡村示范县,申报,2023\n"
                                    "34070,和美乡村示范县,申报,2023\n340705,文明城市,已验收,2022\n"),
    })
    p = problems(folder)
    bad = has(p, 2, "build_status", "bad_value")
    assert len(bad) == 1 and "申报、在建、已验收" in bad["hint"].iloc[0]
    assert len(has(p, 3, "village_code", "village_not_listed")) == 1
    assert len(has(p, 4, "village_code + natural_village_name", "duplicate_key")) == 1  # 上湾 twice
    assert len(has(p, 2, "county_code", "county_not_listed")) == 1
    code = has(p, 3, "county_code", "bad_code")
    assert len(code) == 1 and "6" in code["hint"].iloc[0]
    assert "和美乡村示范县" in has(p, 4, "designation", "bad_value")["hint"].iloc[0]
    with pytest.raises(DataValidationError):
        load_dataset(folder)


def test_a_natural_village_table_without_names_is_a_missing_column(tmp_path):
    folder = folder_with(tmp_path, {"natural_villages.csv": ("village_code,build_status,designation_year\n"
                                                             f"{NONGLIN},已验收,2019\n")})
    p = problems(folder)
    assert (p["rule"].eq("missing_column") & p["column"].eq("natural_village_name")).any()


def test_as_of_from_metadata_else_the_latest_date_in_the_data(tmp_path):
    projects = ("project_id,village_code,task_id,budget_wan,status,start_date,actual_end\n"
                f"P1,{CHAITANG},T02,10,已完工,2023-02-01,2023-11-29\nP2,{NONGLIN},T02,10,在建,2023-05-01,\n")
    folder = folder_with(tmp_path, {"projects.csv": projects})
    assert load_dataset(folder).as_of == pd.Timestamp("2023-11-29")  # the latest start or end
    (folder / "metadata.json").write_text(json.dumps({"as_of": "2023-12-31"}))
    ds = load_dataset(folder)
    assert ds.metadata_as_of == pd.Timestamp("2023-12-31") and ds.as_of == pd.Timestamp("2023-12-31")
    (folder / "metadata.json").write_text(json.dumps({"as_of": "end of 2023"}))
    p = problems(folder)
    assert (p["rule"].eq("bad_metadata") & p["column"].eq("as_of")).any()
    # no ledger: 31 December of the latest observation year
    ds = DataSet(load_dataset(folder_with(tmp_path / "b", {})).villages,
                 pd.DataFrame({"year": [2021, 2022]}), pd.DataFrame(), pd.DataFrame())
    assert data_as_of(ds) == pd.Timestamp("2022-12-31")
    assert data_as_of(DataSet(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())) is None
