"""pandera schemas built from the catalogue: every broken rule is named in one lazy pass."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.inputs.schema import (
    BUILD_STATUSES,
    FUNDING_SOURCES,
    PARTY_GRADES,
    PROJECT_STATUSES,
    SCHEMAS,
    TABLES,
    VILLAGE_TYPES,
    build_schema,
    empty_table,
    validate_frame,
)

CODES = ["340705100200", "340705100201"]


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def first_of(cat, value_type):
    ind = cat.indicators
    return ind[ind["value_type"] == value_type].iloc[0]


def obs(rows):
    f = pd.DataFrame(rows, columns=["village_code", "year", "indicator_id", "value"])
    return f.astype({"village_code": "str", "year": "int64", "indicator_id": "str", "value": "float64"})


def test_enums_and_tables_follow_design():
    assert VILLAGE_TYPES == ("省级中心村", "精品示范村", "一般村")
    assert BUILD_STATUSES == ("申报", "在建", "已验收")
    assert FUNDING_SOURCES == ("省级", "市级", "县级", "村集体自筹", "社会资本")
    assert PROJECT_STATUSES == ("未开工", "在建", "已完工")
    assert PARTY_GRADES == ("A", "B", "C")
    assert [c.name for c in TABLES["observations"] if c.required] == ["village_code", "year", "indicator_id", "value"]
    assert set(SCHEMAS) == {"villages", "observations", "projects", "applicants", "natural_villages",
                            "county_designations"}
    e = empty_table("projects")
    assert e.empty and e["start_date"].dtype == "datetime64[ns]" and e["budget_wan"].dtype == "float64"


def test_ranges_come_from_the_catalogue(cat):
    pct = first_of(cat, "percent")
    hi = float(pct["max_value"])
    f = obs([[CODES[0], 2023, pct["indicator_id"], hi], [CODES[1], 2023, pct["indicator_id"], hi + 0.5]])
    fails = validate_frame("observations", f, cat, CODES)
    assert fails[["index", "column", "rule"]].values.tolist() == [[1, "value", "out_of_range"]]
    assert f"{hi:g}" in fails["hint"].iloc[0]


def test_binary_indicators_take_0_or_1(cat):
    b = first_of(cat, "binary")["indicator_id"]
    f = obs([[CODES[0], 2023, b, 1], [CODES[0], 2022, b, 0.5], [CODES[1], 2023, b, 0]])
    fails = validate_frame("observations", f, cat, CODES)
    assert fails[["index", "rule"]].values.tolist() == [[1, "not_binary"]]  # not also out_of_range


def test_all_problems_in_one_pass(cat):
    pct = first_of(cat, "percent")["indicator_id"]
    f = obs([
        [CODES[0], 2023, pct, 50],
        [CODES[0], 2023, pct, 60],          # duplicate key with row 0
        ["340705100999", 2023, pct, 50],    # not an official village
        ["12345", 2023, pct, 50],           # not 12 digits
        [CODES[1], 2023, "no_such_id", 1],  # unknown indicator
        [CODES[1], 1800, pct, 1],           # implausible year
    ])
    fails = validate_frame("observations", f, cat, CODES)
    got = set(map(tuple, fails[["index", "column", "rule"]].values.tolist()))
    assert got == {
        (0, "village_code+year+indicator_id", "duplicate_key"),
        (1, "village_code+year+indicator_id", "duplicate_key"),
        (2, "village_code", "unknown_village_code"),
        (3, "village_code", "bad_code"),
        (4, "indicator_id", "unknown_indicator"),
        (5, "year", "out_of_range"),
    }


def test_projects_rules(cat):
    f = pd.DataFrame({
        "project_id": ["P1", "P1", "P3"], "village_code": CODES[:1] * 3, "task_id": ["T01", "T16", "T17"],
        "project_name": ["a", "b", "c"],
        "start_date": pd.to_datetime(["2023-01-01"] * 3), "planned_end": pd.NaT, "actual_end": pd.NaT,
        "budget_wan": [10.0, -1.0, 5.0], "disbursed_wan": [1.0, 1.0, -2.0],
        "funding_source": ["省级", "乡级", None], "status": ["在建", "已完工", "停工"],
    }).astype({"planned_end": "datetime64[ns]", "actual_end": "datetime64[ns]"})
    fails = validate_frame("projects", f, cat, CODES)
    got = set(map(tuple, fails[["index", "column", "rule"]].values.tolist()))
    assert got == {(0, "project_id", "duplicate_id"), (1, "project_id", "duplicate_id"),
                   (2, "task_id", "unknown_task"), (1, "budget_wan", "negative"),
                   (2, "disbursed_wan", "negative"), (1, "funding_source", "bad_value"),
                   (2, "status", "bad_value")}
    assert "村集体自筹" in fails.loc[fails["column"].eq("funding_source"), "hint"].iloc[0]


def test_villages_and_applicants_rules(cat):
    v = pd.DataFrame({"village_code": CODES, "village_name": ["a", "b"], "township_code": ["340705100", "3407"],
                      "township_name": None, "county_code": "340705", "county_name": None,
                      "village_type": ["省级中心村", "中心"], "designation_year": pd.array([2020, pd.NA], "Int64"),
                      "build_status": [None, "在建"], "population": pd.array([10, -1], "Int64"),
                      "households": pd.array([3, 2], "Int64")})
    v = v.astype({c: "str" for c in ("township_name", "county_name", "build_status")})
    got = set(map(tuple, validate_frame("villages", v, cat, CODES)[["index", "column", "rule"]].values.tolist()))
    assert got == {(1, "township_code", "bad_code"), (1, "village_type", "bad_value"), (1, "population", "negative")}
    a = pd.DataFrame({"village_code": CODES, "apply_year": [2023, 2023], "participation_rate": [101.0, 50.0],
                      "party_grade": ["A", "D"], "has_village_plan": pd.array([1, 2], "Int64")})
    for spec in TABLES["applicants"]:
        if spec.name not in a.columns:
            a[spec.name] = empty_table("applicants")[spec.name].reindex(a.index)
    got = set(map(tuple, validate_frame("applicants", a, cat, CODES)[["index", "column", "rule"]].values.tolist()))
    assert got == {(0, "participation_rate", "out_of_range"), (1, "party_grade", "bad_value"),
                   (1, "has_village_plan", "not_binary")}


def test_schema_is_a_pandera_schema(cat):
    s = build_schema("observations", cat, known_codes=CODES)
    assert isinstance(s, pa.DataFrameSchema)
    with pytest.raises(pa.errors.SchemaErrors):
        s.validate(obs([[CODES[0], 2023, "nope", 1.0]]), lazy=True)
    clean = obs([[CODES[0], 2023, first_of(cat, "percent")["indicator_id"], 1.0]])
    assert validate_frame("observations", clean, cat, CODES).empty
