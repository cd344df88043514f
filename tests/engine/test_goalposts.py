"""The benchmark model: goalposts from the catalogue only, comparison sets, flags, composition,
pinned references, by hand."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.goalposts import (
    basis_figures,
    benchmark_flags,
    goalpost_composition,
    reference_goalposts,
    reference_percentiles,
    resolve_benchmarks,
)
from hemei_tools.errors import SpecError

CAT = load_catalogue()


def row(b: pd.DataFrame, iid: str) -> pd.Series:
    return b.set_index("indicator_id").loc[iid]


def pinned(iid: str, role: str, percentile: float | None = None) -> pd.Series:
    """The row of reference_goalposts.csv for an indicator and role (at a percentile)."""
    r = CAT.reference_goalposts
    sel = (r["indicator_id"] == iid) & (r["role"] == role)
    if percentile is not None:
        sel &= r["percentile"] == percentile
    assert sel.sum() == 1
    return r[sel].iloc[0]


def test_goalposts_take_no_data():
    # nothing in the signature can carry unit values: goalposts cannot move with the villages loaded
    assert list(inspect.signature(resolve_benchmarks).parameters) == ["catalogue", "basis", "reference_percentile"]
    assert resolve_benchmarks(CAT).equals(resolve_benchmarks(CAT))


def test_one_row_per_scored_indicator_published_policy_and_reference():
    b = resolve_benchmarks(CAT)
    assert b["indicator_id"].tolist() == CAT.scored_ids
    assert b["benchmark"].notna().all() and b["goalpost_low"].notna().all()
    # a published Zhejiang actual passes through with its source
    r = row(b, "rural_income")
    assert (r["benchmark"], r["basis"], r["region"], r["year"], r["kind"]) == (40311.0, "zhejiang", "Zhejiang",
                                                                                2023, "actual")
    assert r["source_url"].startswith("http")
    # a national target keeps its kind
    assert tuple(row(b, "toilet_rate")[["benchmark", "basis", "kind"]]) == (85.0, "national", "target")
    # a yes/no facility without a published figure: full coverage as a policy standard, no citation
    r = row(b, "health_room")
    assert (r["benchmark"], r["basis"], r["kind"]) == (100.0, "policy", "standard")
    assert pd.isna(r["source_url"])
    # a continuous indicator without a published figure: the pinned county-level 90th percentile
    r = row(b, "industry_output")
    p = pinned("industry_output", "benchmark")
    assert (r["benchmark"], r["basis"], r["kind"], r["percentile"], r["level"]) == (
        p["value"], "reference", "reference", 90.0, "county")
    assert bool(r["synthetic"]) is True and "hemei demo --scale anhui" in r["dataset"]


def test_lower_goalposts_from_the_catalogue_or_a_pinned_low_row():
    b = resolve_benchmarks(CAT)
    assert row(b, "toilet_rate")["goalpost_low"] == 0.0
    assert row(b, "toilet_rate")["low_source"] == "catalogue goalpost_low"
    for iid in ("rural_income", "industry_output"):  # blank goalpost_low in indicators.csv
        assert pd.isna(CAT.indicator(iid)["goalpost_low"])
        assert row(b, iid)["goalpost_low"] == pinned(iid, "low")["value"]
        assert "2.5th percentile (bad end) of county values" in row(b, iid)["low_source"]


def test_reference_percentile_swaps_only_reference_goalposts():
    b75 = resolve_benchmarks(CAT, reference_percentile=75)
    b90 = resolve_benchmarks(CAT)
    ref = (b90["basis"] == "reference").to_numpy()
    assert ref.sum() == 10
    assert row(b75, "coop_coverage")["benchmark"] == pinned("coop_coverage", "alternative", 75.0)["value"]
    assert row(b75, "coop_coverage")["percentile"] == 75.0
    assert b75.loc[~ref, "benchmark"].tolist() == b90.loc[~ref, "benchmark"].tolist()
    assert resolve_benchmarks(CAT, reference_percentile=90)["benchmark"].tolist() == b90["benchmark"].tolist()
    with pytest.raises(SpecError, match="no pinned reference at the 80th percentile"):
        resolve_benchmarks(CAT, reference_percentile=80)


def test_basis_benchmarks_zhejiang_only_where_zhejiang_publishes():
    z = resolve_benchmarks(CAT, basis="zhejiang").set_index("indicator_id")["benchmark"]
    assert set(z.dropna().index) == {"sewage_rate", "waste_treatment_rate", "waste_sorting_rate",
                                     "collective_income_50w", "rural_income", "beautiful_courtyard",
                                     "scenic_village"}
    # collective_income_50w: the benchmark row (2022, 51.2) before the 2024 comparison (60)
    assert z["collective_income_50w"] == 51.2
    n = resolve_benchmarks(CAT, basis="national").set_index("indicator_id")["benchmark"]
    assert n["rural_income"] == 21691.0 and n["toilet_rate"] == 85.0
    with pytest.raises(SpecError, match="unknown goalpost basis"):
        resolve_benchmarks(CAT, basis="shanghai")


def _variant(rows: list[dict]) -> object:
    """The packaged catalogue with extra rows for toilet_rate in benchmarks.csv."""
    extra = pd.DataFrame(rows).reindex(columns=CAT.benchmarks.columns)
    extra["year"] = extra["year"].astype("Int64")
    return dataclasses.replace(CAT, benchmarks=pd.concat([CAT.benchmarks, extra], ignore_index=True))


def _bm(region, basis, year, value, kind="actual", role="comparison"):
    return {"indicator_id": "toilet_rate", "role": role, "region": region, "basis": basis, "year": year,
            "year_label": str(year), "value": value, "unit": "%", "kind": kind, "source_title": f"t{value}",
            "source_url": "http://example.org", "publisher": "p", "source_kind": "government"}


def test_preferred_figure_province_before_city_actual_before_target_then_latest():
    cat = _variant([_bm("Zhejiang", "zhejiang", 2025, 99.0, kind="target"),
                    _bm("Ningbo (Zhejiang)", "zhejiang", 2024, 98.0),
                    _bm("Zhejiang", "zhejiang", 2021, 95.0),
                    _bm("Zhejiang", "zhejiang", 2023, 96.0)])
    z = basis_figures(cat, ("zhejiang",)).set_index("indicator_id")
    assert (z.loc["toilet_rate", "value"], z.loc["toilet_rate", "year"], z.loc["toilet_rate", "kind"]) == (
        96.0, 2023, "actual")
    assert not z.loc["toilet_rate", "is_benchmark"]
    # the anhui figure of toilet_rate is the published 2023 average
    a = basis_figures(CAT, ("anhui",)).set_index("indicator_id")
    assert a.loc["toilet_rate", "value"] == 88.4


def test_benchmark_below_a_later_average_is_flagged():
    f = benchmark_flags(CAT).set_index("indicator_id")
    # toilets: national 2022 target 85 < Anhui 2023 actual 88.4; tap water: 85 < Anhui c.2024 97
    assert f.index[f["below_average"]].tolist() == ["toilet_rate", "tap_water_rate"]
    assert (f.loc["toilet_rate", "average_basis"], f.loc["toilet_rate", "average_value"],
            f.loc["toilet_rate", "average_year"]) == ("anhui", 88.4, 2023)
    # tap water: the best such average, Anhui 97 (c.2024), over national 90 (2023)
    assert f.loc["tap_water_rate", "average_value"] == 97.0
    assert not f.loc["rural_income", "below_average"]


@pytest.mark.parametrize(("year", "kind", "flagged"), [(2021, "actual", False), (2022, "actual", True),
                                                       (2023, "target", False)])
def test_flag_rule_same_or_later_year_and_actuals_only(year, kind, flagged):
    # paved_road: national 2022 target 100; a national actual above it is impossible (100 %),
    # so use village_plan (national 2022 target 90) with an extra national figure of 95
    extra = _bm("China", "national", year, 95.0, kind=kind) | {"indicator_id": "village_plan"}
    f = benchmark_flags(_variant([extra])).set_index("indicator_id")
    assert bool(f.loc["village_plan", "below_average"]) is flagged


def test_composition_by_hand():
    c = goalpost_composition(CAT).set_index(["node", "basis"])
    # every task weighs 1/16; Zhejiang figures: 3 of T02's 4 indicators (3/64) and one of two
    # indicators in T07, T08, T09, T10 (4 · 1/32): 11/64 of the index
    assert c.loc[("HMI", "zhejiang"), "n"] == 7
    assert c.loc[("HMI", "zhejiang"), "weight_share"] == pytest.approx(11 / 64)
    # D1 (weight 1/4): T02's three Zhejiang figures, 3/64 / (1/4) = 3/16
    assert c.loc[("D1", "zhejiang"), "weight_share"] == pytest.approx(3 / 16)
    for node in ("HMI", "D1", "D2", "D3", "D4"):
        assert c.loc[node, "weight_share"].sum() == pytest.approx(1.0)
    assert c.xs("HMI", level="node")["n"].sum() == len(CAT.scored_ids)
    assert c.loc[("HMI", "anhui"), "n"] == 1 and c.loc[("HMI", "policy"), "n"] == 5
    assert c.loc[("HMI", "reference"), "n"] == 10


def _county_values(values: np.ndarray, year: int = 2023) -> pd.DataFrame:
    """Every scored indicator at ``values`` across len(values) counties."""
    rows = [{"level": "county", "unit_code": f"3407{k:02d}", "year": year, "indicator_id": iid, "value": v}
            for iid in CAT.scored_ids for k, v in enumerate(values)]
    village = {"level": "village", "unit_code": "340701001001", "year": year, "indicator_id": "industry_output",
               "value": 1e6}
    return pd.DataFrame([*rows, village])


def test_reference_goalposts_percentiles_by_hand():
    uv = _county_values(np.arange(10, 101, 10, dtype=float))
    t = reference_goalposts(uv, CAT, dataset="test data", synthetic=True)
    assert (t["basis"] == "policy").sum() == 5  # the catalogue's policy standards are kept
    io = t[t["indicator_id"] == "industry_output"].set_index(["role", "percentile"])["value"]
    # numpy linear percentiles of 10..100 (the village value is not a county: ignored):
    # 90th at position 8.1 → 91; 75th at 6.75 → 77.5; 95th at 8.55 → 95.5; 2.5th at 0.225 → 12.25
    assert io[("benchmark", 90.0)] == pytest.approx(91.0)
    assert io[("alternative", 75.0)] == pytest.approx(77.5)
    assert io[("alternative", 95.0)] == pytest.approx(95.5)
    assert io[("low", 2.5)] == pytest.approx(12.25)
    # a published benchmark gets alternatives only; a catalogue floor gets no low row
    ri = t[t["indicator_id"] == "rural_income"]
    assert set(ri["role"]) == {"alternative", "low"}
    assert "low" not in set(t.loc[t["indicator_id"] == "toilet_rate", "role"])
    ref = t[t["basis"] == "reference"]
    assert (ref["dataset"] == "test data").all() and (ref["synthetic"] == "true").all()
    assert (ref["level"] == "county").all() and (ref["n_units"] == 10).all() and (ref["year"] == 2023).all()
    assert ref["note"].str.contains("synthetic").all()


def test_reference_goalposts_lower_is_better_mirror_the_percentiles():
    ind = CAT.indicators.copy()
    ind.loc[ind["indicator_id"] == "industry_output", "direction"] = -1
    cat = dataclasses.replace(CAT, indicators=ind)
    t = reference_goalposts(_county_values(np.arange(10, 101, 10, dtype=float)), cat, dataset="d", synthetic=False)
    io = t[t["indicator_id"] == "industry_output"].set_index(["role", "percentile"])["value"]
    # good end = 10th percentile: 0.1 · 9 = 0.9 → 19; bad end = 97.5th: 8.775 → 97.75
    assert io[("benchmark", 90.0)] == pytest.approx(19.0)
    assert io[("low", 2.5)] == pytest.approx(97.75)


def test_reference_goalposts_refuse_missing_data():
    uv = _county_values(np.array([1.0, 2.0]))
    with pytest.raises(SpecError, match="no county values in 2019"):
        reference_goalposts(uv, CAT, dataset="d", synthetic=True, year=2019)
    with pytest.raises(SpecError, match="hold no county values in 2023 for \\['village_plan'\\]"):
        reference_goalposts(uv[uv["indicator_id"] != "village_plan"], CAT, dataset="d", synthetic=True)
    with pytest.raises(SpecError, match="nominal percentile"):
        reference_goalposts(uv, CAT, dataset="d", synthetic=True, nominal=80)


def test_pinned_percentiles_of_the_packaged_catalogue():
    assert reference_percentiles(CAT) == (75.0, 90.0, 95.0)
    ref = CAT.reference_goalposts[CAT.reference_goalposts["basis"] == "reference"]
    # computed at county level from the synthetic Anhui demo, and saying so
    assert set(ref["level"]) == {"county"} and ref["synthetic"].all()
    assert set(ref["dataset"]) == {"hemei demo --scale anhui --seed 2023"}
    assert ref["note"].str.contains("synthetic reference data").all()


def test_hemei_reference_writes_the_pinned_table_from_a_data_set(tmp_path):
    """``hemei reference --data DIR --out FILE`` on the tiny province of ``tests/province_data.py``:
    industry_output's six county values are 100, 100 (3401), 200, 600 (3402), 700, 700 (3407)."""
    import shutil
    from importlib import resources

    from click.testing import CliRunner
    from province_data import write_province

    from hemei_tools.cli import main

    data = write_province(tmp_path / "province")
    out = tmp_path / "pinned.csv"
    res = CliRunner().invoke(main, ["reference", "--data", str(data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "(synthetic)" in res.output
    t = pd.read_csv(out, keep_default_na=False, na_values=[""])
    io = t[t["indicator_id"] == "industry_output"].set_index(["role", "percentile"])["value"]
    # sorted 100, 100, 200, 600, 700, 700: 90th at position 4.5 → 700; 75th at 3.75 → 675;
    # 95th at 4.75 → 700; 2.5th (bad end) at 0.125 → 100
    assert io.to_dict() == pytest.approx({("benchmark", 90.0): 700.0, ("alternative", 75.0): 675.0,
                                          ("alternative", 95.0): 700.0, ("low", 2.5): 100.0})
    ref = t[t["basis"] == "reference"]
    assert set(ref["dataset"]) == {"province"} and (ref["n_units"] == 6).all() and ref["synthetic"].all()
    assert (t.loc[t["basis"] == "policy", "indicator_id"].tolist()
            == CAT.reference_goalposts.loc[CAT.reference_goalposts["basis"] == "policy", "indicator_id"].tolist())
    # the written table is a valid catalogue table, and the goalposts come from it
    src = resources.files("hemei_tools") / "catalogue"
    for name in ("framework.csv", "indicators.csv", "benchmarks.csv", "plan_targets.csv"):
        with resources.as_file(src / name) as p:
            shutil.copy(p, tmp_path / name)
    shutil.copy(out, tmp_path / "reference_goalposts.csv")
    b = resolve_benchmarks(load_catalogue(tmp_path)).set_index("indicator_id")
    assert (b.loc["industry_output", "benchmark"], b.loc["industry_output", "goalpost_low"]) == (700.0, 100.0)
    # a folder without data is a one-line error, not a traceback
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(main, ["reference", "--data", str(empty), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "Traceback" not in res.output
