"""The province's county league (hemei_tools.engine.league) on the tiny three-city province.

The data (tests/province_data.py, by hand in tests/engine/test_regions.py): every scored
indicator at its catalogue minimum in 3401, at its maximum in 3407 and at the midpoint in 3402,
two counties per city, 2022 and 2023 alike; industry_output (1/32 of the index: half of one of
16 tasks) at 100 in 3401, 200 | 600 in 3402's two counties and 700 in 3407, scored against the
pinned reference L < 600 < 700 < B (200 and 100 below L).

By hand, with a = 100·(700 − L)/(B − L) and p = 100·(600 − L)/(B − L):

- 3407's counties score 100 − (100 − a)/32, tie and rank 1 (ties take the best place), both
  first in their city; 3402's second county (600) scores p/32 more than its first (200 → 0)
  and ranks 3, the first 4; 3401's counties score 0 and rank 5.
- city medians: 3407's score, the mean of 3402's two, 0.
- red tasks: in 3401 every indicator is at distance 100 (> 50, red), so all 16 tasks are red;
  in 3407 every indicator but industry_output is at 100 (green), so no task has two red worst.
- the change since 2022 is 0 everywhere; in the variant where 3407's villages had
  industry_output 100 (below L: score 0) in 2022, its counties scored 100 − 100/32 then and rose
  by a/32.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from province_data import AMOUNT, YEAR, write_province

from hemei_tools.engine import league as lg
from hemei_tools.engine.region import analyse_region, load_region_context


def _pinned(x: float) -> float:
    """industry_output's score at x (above L) against the pinned reference: 100·(x − L)/(B − L)."""
    from hemei_tools.catalogue import load_catalogue

    ref = load_catalogue().reference_goalposts
    io = ref[(ref["indicator_id"] == AMOUNT) & (ref["basis"] == "reference")].set_index("role")
    b, lo = float(io.loc["benchmark", "value"]), float(io.loc["low", "value"])
    assert 200 < lo < 600 < 700 < b  # the case the module docstring computes
    return 100 * (x - lo) / (b - lo)


@pytest.fixture(scope="module")
def province(province_dir):
    return analyse_region(load_region_context(str(province_dir), "", YEAR), n_runs=0, child_runs=0)


@pytest.fixture(scope="module")
def rising_dir(tmp_path_factory, isolated_cache):
    """The province with 3407's industry_output at 100 in 2022 (0 points then)."""
    folder = write_province(tmp_path_factory.mktemp("rising"))
    obs = pd.read_csv(folder / "observations.csv", dtype={"village_code": str})
    rows = (obs["year"] == 2022) & (obs["indicator_id"] == AMOUNT) & obs["village_code"].str.startswith("3407")
    obs.loc[rows, "value"] = 100.0
    obs.to_csv(folder / "observations.csv", index=False)
    return folder


def test_the_league_ranks_every_county_by_hand(province):
    t = lg.county_league(province)
    assert list(t.columns) == lg.LEAGUE_COLUMNS
    top = 100 - (100 - _pinned(700)) / 32
    assert t["unit_code"].tolist() == ["340701", "340702", "340202", "340201", "340101", "340102"]
    assert t["unit_name"].tolist()[0] == "县340701"
    assert t["city_code"].tolist() == ["3407", "3407", "3402", "3402", "3401", "3401"]
    assert t["city_name"].tolist() == ["铜陵市", "铜陵市", "芜湖市", "芜湖市", "合肥市", "合肥市"]
    assert t["rank"].tolist() == [1, 1, 3, 4, 5, 5]
    assert t["city_rank"].tolist() == [1, 1, 1, 2, 1, 1]
    assert t["city_n"].tolist() == [2] * 6 and t["n_units"].tolist() == [6] * 6
    s = t.set_index("unit_code")["score"]
    assert s["340701"] == pytest.approx(top) and s["340702"] == pytest.approx(top)
    assert s["340101"] == pytest.approx(0.0) and s["340102"] == pytest.approx(0.0)
    assert s["340202"] - s["340201"] == pytest.approx(_pinned(600) / 32)
    med = t.set_index("unit_code")["city_median"]
    assert med["340701"] == pytest.approx(top) and med["340101"] == pytest.approx(0.0)
    assert med["340201"] == pytest.approx((s["340201"] + s["340202"]) / 2)
    red = t.set_index("unit_code")["red_lights"]
    assert red["340101"] == red["340102"] == len(province.catalogue.tasks) == 16
    assert red["340701"] == red["340702"] == 0
    # the report year's scores are the analysis's own (nothing scored twice)
    own = province.result.index_scores("county", YEAR).set_index("unit_code")["score"]
    assert s.to_numpy() == pytest.approx(own.rename(index=str).reindex(s.index).to_numpy(), abs=1e-12)


def test_no_change_when_both_years_are_alike(province):
    t = lg.county_league(province)
    assert t["first_year"].tolist() == [2022] * 6
    assert t["change"].to_numpy() == pytest.approx(np.zeros(6), abs=1e-9)


def test_change_since_the_first_year_by_hand(rising_dir):
    a = analyse_region(load_region_context(str(rising_dir), "", YEAR), n_runs=0, child_runs=0)
    t = lg.county_league(a).set_index("unit_code")
    assert t.loc["340701", "first_score"] == pytest.approx(100 - 100 / 32)
    assert t.loc["340701", "change"] == pytest.approx(_pinned(700) / 32)
    assert t.loc["340702", "change"] == pytest.approx(_pinned(700) / 32)
    assert t.loc[["340101", "340201", "340202"], "change"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-9)
    # the first year scored as a report of that year scores it
    then = analyse_region(load_region_context(str(rising_dir), "", 2022), n_runs=0, child_runs=0)
    before = then.result.index_scores("county", 2022).set_index("unit_code")["score"].rename(index=str)
    assert t["first_score"].to_numpy() == pytest.approx(before.reindex(t.index).to_numpy(), abs=1e-9)


def test_one_year_has_no_change(tmp_path, isolated_cache):
    folder = write_province(tmp_path / "one")
    obs = pd.read_csv(folder / "observations.csv", dtype={"village_code": str})
    obs[obs["year"] == YEAR].to_csv(folder / "observations.csv", index=False)
    a = analyse_region(load_region_context(str(folder), "", YEAR), n_runs=0, child_runs=0)
    t = lg.county_league(a)
    assert t["first_year"].tolist() == [YEAR] * 6
    assert t["change"].isna().all() and t["first_score"].isna().all()
    assert t["rank"].tolist() == [1, 1, 3, 4, 5, 5]


def test_an_analysis_holding_every_year_is_not_scored_again(province, monkeypatch):
    """With imputation locf the analysis scored every year: the first year is read from it."""
    from hemei_tools.engine import composite
    from hemei_tools.engine.composite import IndexSpec

    a = analyse_region(province.ctx, spec=IndexSpec(imputation="locf"), n_runs=0, child_runs=0)

    def refuse(*args, **kwargs):
        raise AssertionError("build_index called again")

    monkeypatch.setattr(composite, "build_index", refuse)
    first, scores = lg.first_year_scores(a)
    assert first == 2022 and len(scores) == 6
    assert lg.county_league(a)["change"].to_numpy() == pytest.approx(np.zeros(6), abs=1e-9)


def test_the_league_is_computed_once_per_analysis(province, monkeypatch):
    lg.county_league(province)
    monkeypatch.setattr(lg, "first_year_scores", lambda a: (_ for _ in ()).throw(AssertionError("again")))
    t = lg.county_league(province)
    t.loc[0, "score"] = -1.0  # a copy: the cached frame stays as it was
    assert lg.county_league(province).loc[0, "score"] > 0


def test_a_city_or_county_has_no_league(province_dir):
    for code in ("340200", "340202"):
        a = analyse_region(load_region_context(str(province_dir), code, YEAR), n_runs=0, child_runs=0)
        t = lg.county_league(a)
        assert t.empty and list(t.columns) == lg.LEAGUE_COLUMNS


def test_an_unscored_county_is_left_out(province):
    """A county without an index score (screened out) has no place in the league."""
    s = province.result.scores
    drop = (s["level"] == "county") & (s["unit_code"].astype(str) == "340202") & (s["node_level"] == "index")
    result = dataclasses.replace(province.result, scores=s.assign(score=s["score"].mask(drop)))
    a = dataclasses.replace(province, result=result)
    t = lg.county_league(a)
    assert "340202" not in set(t["unit_code"]) and t["rank"].tolist() == [1, 1, 3, 4, 4]
    assert t.set_index("unit_code").loc["340201", "city_n"] == 1
