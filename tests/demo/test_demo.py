"""Tests of the synthetic demo data set (hemei_tools.demo.generate and ``hemei demo``).

Expected values are the published figures of ``hemei_tools.demo.calibration.CALIBRATION`` and the
catalogue (each with its source there), written out by hand here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hemei_tools.catalogue import load_catalogue
from hemei_tools.demo.calibration import _largest_remainder
from hemei_tools.demo.generate import (
    CALIBRATION,
    DemoError,
    generate_demo,
    synthetic_divisions,
    write_demo,
)

CENTRAL = {"省级中心村", "精品示范村"}


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=2023)


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def _last(demo, iid):
    """2023 village values of one indicator joined with population and households."""
    o = demo["observations"]
    o = o[(o["year"] == 2023) & (o["indicator_id"] == iid)]
    return o.merge(demo["villages"][["village_code", "population", "households", "county_code"]],
                   on="village_code", validate="one_to_one")


# ------------------------------------------------------------------ calibration targets

def test_220_central_villages_in_2023(demo):
    v = demo["villages"]
    assert len(v) == 363
    central = v["village_type"].isin(CENTRAL) & (v["designation_year"] <= 2023)
    assert int(central.sum()) == 220
    assert round(220 / 363 * 100, 1) == 60.6
    assert CALIBRATION["central_villages"]["value"] == 220


def test_220_central_villages_are_built_before_the_5511_window(demo):
    """The work report: 220 central villages *built* (建成) by 2023, 100 more from 2023 (5511)."""
    v = demo["villages"]
    central = v[v["village_type"] == "省级中心村"]
    assert set(central["build_status"]) == {"已验收"}
    assert central["designation_year"].between(2013, 2022).all()
    assert len(central) == 210  # the other 10 of the 220 became 精品示范村 in 2023
    assert v.loc[v["village_type"].isin(CENTRAL), "designation_year"].max() == 2023  # the boutique ones


def test_121_natural_villages_under_central_villages(demo):
    n, v = demo["natural_villages"], demo["villages"]
    assert len(n) == 121 and CALIBRATION["natural_villages"]["value"] == 121
    assert list(n.columns) == ["village_code", "natural_village_name", "build_status", "designation_year",
                               "synthetic"]
    assert set(n["build_status"]) == {"已验收"} and n["designation_year"].between(2013, 2023).all()
    parents = n.merge(v, on="village_code", validate="many_to_one")
    assert set(parents["village_type"]) <= CENTRAL
    assert (parents["designation_year_x"] >= parents["designation_year_y"]).all()  # not before the parent
    assert not n.duplicated(["village_code", "natural_village_name"]).any()
    assert n["natural_village_name"].str.contains("模拟自然村").all()
    assert n["synthetic"].all()


def test_county_designations_of_the_work_report(demo):
    d = demo["county_designations"]
    honour = d[d["designation"] == "全省美丽乡村建设先进县（区）"]
    # XX区 seven years running (义安区 assumed), XX县 three years running (the only county, 枞阳县)
    assert honour.groupby("county_code")["year"].apply(list).to_dict() == {
        "340706": list(range(2017, 2024)), "340722": [2021, 2022, 2023]}
    demo_county = d[d["designation"] == "和美乡村示范县"]
    assert demo_county[["county_code", "status", "year"]].values.tolist() == [["340706", "在建", 2023]]
    assert d["synthetic"].all() and d["note"].str.len().gt(0).all()


def test_ten_boutique_villages_split_3_3_2_2(demo):
    v = demo["villages"]
    b = v[(v["village_type"] == "精品示范村") & (v["designation_year"] == 2023)]
    assert len(b) == 10
    assert b.groupby("county_code").size().to_dict() == {"340705": 2, "340706": 3, "340711": 2, "340722": 3}
    assert set(b["build_status"]) <= {"申报", "在建"}
    assert (v["village_type"] == "精品示范村").sum() == 10


def test_22_applicants_all_central_ten_selected(demo):
    a, v = demo["applicants"], demo["villages"]
    assert len(a) == 22
    assert a["village_code"].is_unique
    assert (a["apply_year"] == 2023).all()
    types = a.merge(v, on="village_code")[["village_code", "village_type", "county_code", "selected"]]
    assert set(types["village_type"]) <= CENTRAL
    assert int(a["selected"].sum()) == 10
    assert set(a["selected"]) == {0, 1}
    sel = types[types["selected"] == 1]
    assert sel.groupby("county_code").size().to_dict() == {"340705": 2, "340706": 3, "340711": 2, "340722": 3}
    assert (sel["village_type"] == "精品示范村").all()
    assert (types.loc[types["selected"] == 0, "village_type"] == "省级中心村").all()
    assert a.groupby(a["village_code"].str[:6]).size().to_dict() == {"340705": 4, "340706": 7,
                                                                      "340711": 4, "340722": 7}


def test_investment_2013_2023_is_14_5_yi(demo):
    p = demo["projects"]
    assert p["budget_wan"].sum() == pytest.approx(145000, rel=0.005)
    assert p["start_date"].dt.year.min() == 2013
    assert p["start_date"].dt.year.max() == 2023


def test_toilet_coverage_2023_household_weighted(demo):
    t = _last(demo, "toilet_rate")
    city = np.average(t["value"], weights=t["households"])
    assert abs(city - 83.5) <= 0.5
    assert t["value"].std() > 5  # villages differ


def test_waste_treatment_100_in_every_village_2023(demo):
    w = _last(demo, "waste_treatment_rate")
    assert len(w) == 363
    assert (w["value"] == 100).all()
    o = demo["observations"]
    early = o[(o["indicator_id"] == "waste_treatment_rate") & (o["year"] == 2019)]
    assert early["value"].mean() < 100


def test_105_village_plans_2023(demo):
    vp = _last(demo, "village_plan")
    assert int(vp["value"].sum()) == 105
    assert CALIBRATION["village_plans"]["value"] == 105


def test_rural_income_2023_near_published_level(demo):
    # Tongling 2020: 17,102 元 (benchmarks.csv) grown 7 % a year to 2023: 17102 * 1.07**3
    target = 17102 * 1.07**3
    assert round(target) == 20951
    r = _last(demo, "rural_income")
    city = np.average(r["value"], weights=r["population"])
    assert city == pytest.approx(target, rel=0.02)


# ------------------------------------------------------------------ structure and ranges

def test_columns_and_dtypes_follow_design(demo):
    v, o, p, a = demo["villages"], demo["observations"], demo["projects"], demo["applicants"]
    assert list(v.columns) == ["village_code", "village_name", "township_code", "township_name",
                               "county_code", "county_name", "village_type", "designation_year",
                               "build_status", "population", "households", "synthetic"]
    assert list(o.columns) == ["village_code", "year", "indicator_id", "value", "synthetic"]
    assert list(p.columns) == ["project_id", "village_code", "task_id", "project_name", "start_date",
                               "planned_end", "actual_end", "budget_wan", "disbursed_wan",
                               "funding_source", "status", "synthetic"]
    assert list(a.columns) == ["village_code", "apply_year", "collective_income_wan",
                               "rural_income_yuan", "industry_output_wan", "tourist_visits_wan",
                               "participation_rate", "self_raised_wan", "party_grade",
                               "has_village_plan", "open_violation", "selected", "synthetic"]
    assert str(v["designation_year"].dtype) == "Int64"
    assert v["population"].dtype == np.int64 and v["households"].dtype == np.int64
    assert o["year"].dtype == np.int64 and o["value"].dtype == np.float64
    for col in ("start_date", "planned_end", "actual_end"):
        assert pd.api.types.is_datetime64_any_dtype(p[col])
    assert p["budget_wan"].dtype == np.float64 and p["disbursed_wan"].dtype == np.float64
    for df in (v, o, p, a):
        assert df["synthetic"].dtype == bool and df["synthetic"].all()
        assert pd.api.types.is_string_dtype(df["village_code"])
        assert df["village_code"].str.fullmatch(r"\d{12}").all()


def test_village_table_rules(demo):
    v = demo["villages"]
    assert v["village_code"].is_monotonic_increasing and v["village_code"].is_unique
    assert v.groupby("county_code").size().to_dict() == {"340705": 12, "340706": 99, "340711": 62, "340722": 190}
    assert (v["township_code"] == v["village_code"].str[:9]).all()
    assert (v["county_code"] == v["village_code"].str[:6]).all()
    general = v["village_type"] == "一般村"
    assert v.loc[general, "designation_year"].isna().all()
    assert v.loc[general, "build_status"].isna().all()
    assert v.loc[~general, "designation_year"].between(2013, 2023).all()
    assert set(v.loc[~general, "build_status"]) <= {"申报", "在建", "已验收"}
    assert (v["households"] > 0).all() and (v["population"] > v["households"]).all()
    assert not v["village_name"].str.endswith("村委会").any()


def test_observations_cover_every_indicator_year_village(demo, cat):
    o = demo["observations"]
    assert len(o) == 363 * 5 * len(cat.indicator_ids)
    assert set(o["indicator_id"]) == set(cat.indicator_ids)
    assert sorted(o["year"].unique()) == [2019, 2020, 2021, 2022, 2023]
    assert not o.duplicated(["village_code", "year", "indicator_id"]).any()
    assert o["value"].notna().all()
    keys = list(zip(o["village_code"], o["year"], o["indicator_id"], strict=True))
    assert keys == sorted(keys)


def test_values_within_catalogue_ranges_and_types(demo, cat):
    o = demo["observations"].merge(cat.indicators, on="indicator_id")
    assert (o["value"] >= o["min_value"]).all() and (o["value"] <= o["max_value"]).all()
    binary = o[o["value_type"] == "binary"]
    assert set(binary["value"].unique()) == {0.0, 1.0}
    pct = o[o["value_type"] == "percent"]
    assert pct["value"].between(0, 100).all()
    amount = o[o["value_type"] == "amount"]
    assert (amount["value"] > 0).all()
    count = o[o["value_type"] == "count"]
    assert (count["value"] == count["value"].round()).all()
    # rounded to the catalogue's decimals
    scaled = o["value"] * 10.0 ** o["decimals"]
    assert np.allclose(scaled, scaled.round())


def test_binary_items_once_built_stay(demo, cat):
    o = demo["observations"]
    binary = cat.indicators.loc[cat.indicators["value_type"] == "binary", "indicator_id"]
    b = o[o["indicator_id"].isin(binary)].pivot_table(index=["village_code", "indicator_id"],
                                                       columns="year", values="value")
    assert (b.diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_trend_most_positive_indicators_improve(demo, cat):
    o = demo["observations"]
    pos = cat.indicators.loc[cat.indicators["direction"] == 1, "indicator_id"]
    means = o[o["indicator_id"].isin(pos)].groupby(["indicator_id", "year"])["value"].mean().unstack()
    improved = (means[2023] > means[2019]).mean()
    assert improved >= 0.8
    # and not every village improves: some lag or stagnate
    t = o[o["indicator_id"] == "collective_income"].pivot(index="village_code", columns="year", values="value")
    assert ((t[2023] / t[2019]) < 1.05).mean() > 0.05


def test_spread_many_villages_below_benchmark(demo, cat):
    o = demo["observations"]
    o = o[o["year"] == 2023].merge(cat.indicators[["indicator_id", "value_type", "direction"]], on="indicator_id")
    bm = cat.benchmark_table().dropna(subset=["value"])[["indicator_id", "value"]].rename(columns={"value": "benchmark"})
    o = o.merge(bm, on="indicator_id")
    o["v"] = np.where(o["value_type"] == "binary", o["value"] * 100, o["value"])
    below = (o["v"] * o["direction"] < o["benchmark"] * o["direction"]).groupby(o["indicator_id"]).mean()
    assert (below >= 0.2).sum() >= 8


def test_richer_near_town_centres_and_in_districts(demo):
    r = _last(demo, "rural_income").sort_values("village_code")
    district = r[r["county_code"] != "340722"]["value"].mean()
    county = r[r["county_code"] == "340722"]["value"].mean()
    assert district > county
    pos = r.groupby(r["village_code"].str[:9]).cumcount()
    size = r.groupby(r["village_code"].str[:9])["village_code"].transform("size")
    frac = pos / (size - 1).clip(lower=1)
    assert r.loc[frac <= 0.33, "value"].mean() > r.loc[frac >= 0.67, "value"].mean()


def test_project_ledger_rules(demo, cat):
    p = demo["projects"]
    assert p["project_id"].is_unique
    assert set(p["task_id"]) <= set(cat.tasks["code"])
    assert set(p["funding_source"]) <= {"省级", "市级", "县级", "村集体自筹", "社会资本"}
    assert set(p["status"]) == {"未开工", "在建", "已完工"}
    assert set(p["village_code"]) <= set(demo["villages"]["village_code"])
    assert (p["budget_wan"] > 0).all()
    assert (p["disbursed_wan"] >= 0).all() and (p["disbursed_wan"] <= p["budget_wan"]).all()
    done = p["status"] == "已完工"
    assert p.loc[done, "actual_end"].notna().all() and p.loc[~done, "actual_end"].isna().all()
    assert (p.loc[p["status"] == "未开工", "disbursed_wan"] == 0).all()
    assert (p["planned_end"] > p["start_date"]).all()
    assert (p.loc[done, "actual_end"] <= pd.Timestamp("2023-12-31")).all()
    history = p["start_date"].dt.year < 2019
    assert (p.loc[history, "status"] == "已完工").all()
    overdue = (p["planned_end"] < pd.Timestamp("2023-12-31")) & ~done
    assert overdue.sum() >= 5
    assert p.loc[~history, "start_date"].dt.year.value_counts().sort_index().index.tolist() == [
        2019, 2020, 2021, 2022, 2023]


def test_applicant_evidence_ranges(demo):
    a = demo["applicants"]
    for col in ("collective_income_wan", "rural_income_yuan", "industry_output_wan",
                "tourist_visits_wan", "self_raised_wan"):
        assert (a[col] > 0).all()
    assert a["participation_rate"].between(0, 100).all()
    assert set(a["party_grade"]) <= {"A", "B", "C"}
    assert set(a["has_village_plan"]) <= {0, 1} and set(a["open_violation"]) <= {0, 1}
    # the selection follows the evidence: selected villages earn more on average
    sel = a.groupby("selected")["collective_income_wan"].median()
    assert sel[1] > sel[0]


# ------------------------------------------------------------------ files, determinism

def test_same_seed_writes_byte_identical_files(tmp_path, demo_dir):
    out = tmp_path / "again"
    write_demo(out, seed=2023)
    names = sorted(p.name for p in demo_dir.iterdir())
    assert names == ["applicants.csv", "county_designations.csv", "metadata.json", "natural_villages.csv",
                     "observations.csv", "projects.csv", "villages.csv"]
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        assert (out / name).read_bytes() == (demo_dir / name).read_bytes(), name
    assert not list(out.glob(".*.tmp"))


def test_other_seed_differs(demo):
    other = generate_demo(seed=7)
    assert not other["observations"]["value"].equals(demo["observations"]["value"])
    # calibration holds for any seed
    v = other["villages"]
    assert int((v["village_type"].isin(CENTRAL) & (v["designation_year"] <= 2023)).sum()) == 220
    assert int(other["applicants"]["selected"].sum()) == 10


@pytest.mark.parametrize("seed", [1, 4, 99])
def test_count_targets_hold_for_any_seed(seed):
    t = generate_demo(seed=seed)
    v, a = t["villages"], t["applicants"]
    assert int(v["village_type"].isin(CENTRAL).sum()) == 220
    b = v[v["village_type"] == "精品示范村"]
    assert b.groupby("county_code").size().to_dict() == {"340705": 2, "340706": 3, "340711": 2, "340722": 3}
    assert len(a) == 22 and int(a["selected"].sum()) == 10
    assert t["projects"]["budget_wan"].sum() == pytest.approx(145000, rel=0.005)
    o = t["observations"]
    assert o[(o["indicator_id"] == "village_plan") & (o["year"] == 2023)]["value"].sum() == 105


def test_files_say_they_are_synthetic(demo_dir):
    meta = json.loads((demo_dir / "metadata.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["seed"] == 2023 and meta["scale"] == "tongling"
    assert meta["generator"].startswith("hemei-tools ")
    assert meta["note_zh"].startswith("示例数据（模拟）")
    assert meta["calibration"]["central_villages"]["value"] == 220
    assert meta["calibration"]["central_villages"]["url"] == "http://m.ahwang.cn/p/2585844.html"
    # the one date the data set's statuses describe, read by every report
    assert meta["as_of"] == "2023-12-31"
    assert meta["realised"]["natural_villages"] == 121 and meta["realised"]["county_designations"] == 13
    v = pd.read_csv(demo_dir / "villages.csv", dtype={"village_code": str})
    assert v["synthetic"].all()
    text = (demo_dir / "observations.csv").read_text(encoding="utf-8")
    assert text.startswith("village_code,year,indicator_id,value,synthetic\n")
    assert "e+" not in text and "\r" not in text
    projects = (demo_dir / "projects.csv").read_text(encoding="utf-8").splitlines()
    assert projects[1].split(",")[4].count("-") == 2  # dates as YYYY-MM-DD


def test_largest_remainder_split():
    # 22 applicants for 3/3/2/2 boutique villages: quotas 6.6, 6.6, 4.4, 4.4 → 7, 7, 4, 4
    assert _largest_remainder(np.array([3, 3, 2, 2]) * 2.2, 22).tolist() == [7, 7, 4, 4]
    assert _largest_remainder(np.array([1, 1, 1]), 2).tolist() == [1, 1, 0]
    assert _largest_remainder(np.array([0, 0]), 3).tolist() == [0, 0]


# ------------------------------------------------------------------ scale

def test_anhui_scale_row_counts(cat):
    t = generate_demo(scale="anhui", seed=1, years=[2023])
    v = t["villages"]
    assert len(v) == 13583 and v["village_code"].is_unique
    assert v["county_code"].nunique() == 114
    assert len(t["observations"]) == 13583 * len(cat.indicator_ids)
    central = v["village_type"].isin(CENTRAL).sum()
    assert central == 7395  # Anhui's 2023 baseline in plan_targets.csv
    assert (v["village_type"] == "精品示范村").sum() == 200  # 1,000 over 2023-2027
    assert len(t["natural_villages"]) == round(121 * 13583 / 363)  # the city's density
    assert t["county_designations"].empty  # the honours are the city's only
    assert t["projects"]["budget_wan"].sum() == pytest.approx(145000 / 363 * 13583, rel=0.005)
    toilet = _last(t, "toilet_rate")
    assert np.average(toilet["value"], weights=toilet["households"]) == pytest.approx(88.4, abs=0.5)


def test_synthetic_divisions_hierarchy():
    rng = np.random.Generator(np.random.PCG64(0))
    d = synthetic_divisions(3000, rng)
    assert len(d) == 3000 and d["village_code"].is_unique
    assert d["village_code"].str.fullmatch(r"9\d{11}").all()
    assert (d["village_code"].str[:9] == d["township_code"]).all()
    assert (d["township_code"].str[:6] == d["county_code"]).all()
    per_township = d.groupby("township_code").size()
    assert 12 <= per_township.mean() <= 18
    assert 6 <= d.groupby("county_code")["township_code"].nunique().mean() <= 14
    for col in ("village_name", "township_name", "county_name"):
        assert d[col].str.startswith("模拟").all()
    assert set(d["county_name"].str[-1]) == {"区", "县"}


def test_national_parquet_partitions_and_determinism(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa
    import pyarrow.dataset as ds

    a, b = tmp_path / "a", tmp_path / "b"
    ra = write_demo(a, scale="national", villages=800, seed=5, years="2022-2023")
    write_demo(b, scale="national", villages=800, seed=5, years="2022-2023")
    parts = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.parquet"))
    assert "villages.parquet" in parts and "observations.csv" not in {p.name for p in a.iterdir()}
    for rel in parts:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    v = ra["tables"]["villages"]
    county = v["county_code"].iloc[0]
    part = ds.partitioning(pa.schema([("county_code", pa.string())]), flavor="hive")
    one = ds.dataset(a / "observations", partitioning=part).to_table(filter=ds.field("county_code") == county)
    n_ind = len(load_catalogue().indicator_ids)
    assert one.num_rows == (v["county_code"] == county).sum() * 2 * n_ind
    f = pq.ParquetFile(next((a / "observations").glob("county_code=*/part.parquet")))
    assert f.metadata.num_row_groups >= 1
    meta = json.loads((a / "metadata.json").read_text(encoding="utf-8"))
    assert meta["scale"] == "national" and meta["years"] == [2022, 2023]


def test_rewrite_removes_stale_demo_files_only(tmp_path):
    out = tmp_path / "d"
    write_demo(out, scale="national", villages=300, seed=1, fmt="csv")
    (out / "my_notes.txt").write_text("keep me", encoding="utf-8")
    write_demo(out, scale="national", villages=300, seed=1, fmt="parquet")
    names = {p.name for p in out.iterdir()}
    assert "observations.csv" not in names and "villages.csv" not in names
    assert {"villages.parquet", "observations", "my_notes.txt"} <= names


@pytest.mark.parametrize("kwargs, match", [
    ({"scale": "moon"}, "unknown scale"),
    ({"scale": "national"}, "--villages"),
    ({"scale": "tongling", "villages": 10}, "only applies"),
    ({"scale": "national", "villages": 10**7}, "between 1 and"),
    ({"years": "2010"}, "2019"),
    ({"years": "twenty"}, "cannot read years"),
])
def test_bad_requests_raise_demo_error(kwargs, match):
    with pytest.raises(DemoError, match=match):
        generate_demo(**kwargs)


# ------------------------------------------------------------------ command line

def test_cli_writes_and_reminds(tmp_path):
    from hemei_tools.cli import main

    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "x"), "--seed", "2023"])
    assert res.exit_code == 0, res.output
    assert "observations.csv" in res.output and "61,710" in res.output
    assert "示例数据（模拟）" in res.output
    assert (tmp_path / "x" / "metadata.json").exists()


@pytest.mark.parametrize("args", [["--scale", "national"], ["--villages", "5"], ["--years", "1999"]])
def test_cli_usage_errors_exit_2(tmp_path, args):
    from hemei_tools.cli import main

    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "y"), *args])
    assert res.exit_code == 2
    assert "Traceback" not in res.output


def test_variant_catalogue_new_indicator_follows_its_metadata(tmp_path):
    """An indicator the generator has never seen is generated from its metadata alone."""
    import shutil
    from importlib import resources

    src = resources.files("hemei_tools") / "catalogue"
    for name in ("framework.csv", "indicators.csv", "benchmarks.csv", "plan_targets.csv", "reference_goalposts.csv"):
        with resources.as_file(src / name) as p:
            shutil.copy(p, tmp_path / name)
    with open(tmp_path / "indicators.csv", "a", encoding="utf-8") as f:
        f.write("dropout_rate,T16,辍学率,Drop-out rate,%,1,-1,1,percent,0,40,0,household_mean,true,"
                "test indicator where lower is better\n")
    with open(tmp_path / "reference_goalposts.csv", "a", encoding="utf-8") as f:  # no published figure
        f.write("dropout_rate,benchmark,reference,reference,2023,5,%,reference,90,county,test,10,true,,,test\n")
    cat = load_catalogue(tmp_path)
    t = generate_demo(seed=3, catalogue=cat)
    o = t["observations"]
    d = o[o["indicator_id"] == "dropout_rate"]
    assert len(d) == 363 * 5
    assert d["value"].between(0, 40).all()
    means = d.groupby("year")["value"].mean()
    assert means[2023] < means[2019]  # lower is better, and villages improve
