"""Benchmarks: published figures pass through; frontiers and percentile floors by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.goalposts import resolve_benchmarks
from hemei_tools.errors import SpecError

CAT = load_catalogue()
TABLE = CAT.benchmark_table()
FRONTIER = str(TABLE.loc[TABLE["kind"] == "frontier", "indicator_id"].iloc[0])
PUBLISHED = TABLE[TABLE["kind"] != "frontier"].iloc[0]
NO_LOW = str(CAT.indicators.loc[CAT.indicators["goalpost_low"].isna() & CAT.indicators["scored"],
                                "indicator_id"].iloc[0])


def village_values(iid: str) -> pd.DataFrame:
    """Ten villages at 10, 20, …, 100 in 2024, and an outlying 1000 in 2023 (must be ignored)."""
    codes = [f"3407050010{i:02d}" for i in range(10)]
    latest = pd.DataFrame({"level": "village", "unit_code": codes, "year": 2024,
                           "indicator_id": iid, "value": np.arange(10, 101, 10, dtype=float)})
    old = latest.assign(year=2023, value=1000.0)
    county = latest.iloc[:1].assign(level="county", unit_code="340705", value=5000.0)
    return pd.concat([old, latest, county], ignore_index=True)


def row(b: pd.DataFrame, iid: str) -> pd.Series:
    return b.set_index("indicator_id").loc[iid]


def test_one_row_per_scored_indicator_and_published_values_pass_through():
    b = resolve_benchmarks(CAT, village_values(FRONTIER))
    assert b["indicator_id"].tolist() == CAT.scored_ids
    r = row(b, PUBLISHED["indicator_id"])
    assert r["benchmark"] == pytest.approx(float(PUBLISHED["value"]))
    assert r["kind"] == PUBLISHED["kind"] and r["source_url"] == PUBLISHED["source_url"]


def test_frontier_is_90th_percentile_of_latest_village_values():
    # numpy linear percentile of 10..100: position 0.9·9 = 8.1 → 90 + 0.1·10 = 91
    r = row(resolve_benchmarks(CAT, village_values(FRONTIER)), FRONTIER)
    assert r["benchmark"] == pytest.approx(91.0)
    assert (r["kind"], r["region"], r["year"]) == ("frontier", "data", 2024)
    assert "90th percentile" in r["note"] and "10 village values in 2024" in r["note"]


def test_frontier_without_data_is_nan():
    r = row(resolve_benchmarks(CAT, village_values(PUBLISHED["indicator_id"])), FRONTIER)
    assert np.isnan(r["benchmark"])


def test_percentile_lower_goalpost():
    # 2.5th percentile of 10..100: position 0.025·9 = 0.225 → 10 + 0.225·10 = 12.25
    b = resolve_benchmarks(CAT, village_values(NO_LOW))
    assert row(b, NO_LOW)["goalpost_low"] == pytest.approx(12.25)
    assert "percentile" in row(b, NO_LOW)["low_source"]
    # rule "percentile" overrides a catalogue floor
    b2 = resolve_benchmarks(CAT, village_values(FRONTIER), low_rule="percentile")
    assert row(b2, FRONTIER)["goalpost_low"] == pytest.approx(12.25)
    assert row(resolve_benchmarks(CAT, village_values(FRONTIER)), FRONTIER)["goalpost_low"] == pytest.approx(
        float(CAT.indicator(FRONTIER)["goalpost_low"]))


def test_lower_is_better_uses_the_mirrored_percentiles():
    ind = CAT.indicators.copy()
    ind.loc[ind["indicator_id"] == FRONTIER, "direction"] = -1
    cat = dataclasses.replace(CAT, indicators=ind)
    r = row(resolve_benchmarks(cat, village_values(FRONTIER), low_rule="percentile"), FRONTIER)
    # 10th percentile: 0.1·9 = 0.9 → 19; 97.5th: 0.975·9 = 8.775 → 97.75
    assert r["benchmark"] == pytest.approx(19.0)
    assert r["goalpost_low"] == pytest.approx(97.75)
    assert r["direction"] == -1


@pytest.mark.parametrize("kwargs", [{"low_rule": "median"}, {"frontier_percentile": 120}])
def test_bad_options_raise(kwargs):
    with pytest.raises(SpecError):
        resolve_benchmarks(CAT, village_values(FRONTIER), **kwargs)
