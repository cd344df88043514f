"""Trend classes, growth rates and closing years against hand-computed values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.trends import (
    OPEN_SDG_LABELS,
    TREND_CLASSES,
    TrendError,
    TrendSpec,
    compute_trends,
    default_target_year,
    score_trends,
)
from hemei_tools.errors import HemeiError, SpecError

CATALOGUE = Path(__file__).parent / "data" / "gaps" / "catalogue"
# benchmarks of the test catalogue: ind_up 90 (%, near the ceiling), ind_down 40 (lower is
# better), ind_pct 80 (%), ind_c 50 (万元)
BENCH = pd.DataFrame({"indicator_id": ["ind_up", "ind_down", "ind_pct", "ind_c"],
                      "benchmark": [90.0, 40.0, 80.0, 50.0]})


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(CATALOGUE)


def _uv(rows):
    """rows: (unit_code, indicator_id, year, value) at county level."""
    df = pd.DataFrame(rows, columns=["unit_code", "indicator_id", "year", "value"])
    df["level"] = "county"
    return df


def _one(cat, rows, **kw):
    kw.setdefault("target_year", 2027)
    return compute_trends(_uv(rows), kw.pop("benchmarks", BENCH), cat, **kw).iloc[0]


def test_cagr_ratio_and_year_closes_by_hand(cat):
    t = _one(cat, [("A", "ind_c", 2019, 10.0), ("A", "ind_c", 2023, 20.0)])
    obs = 2 ** (1 / 4) - 1
    req = 5 ** (1 / 8) - 1
    assert t["method"] == "cagr"
    assert t["cagr_obs"] == pytest.approx(obs)
    assert t["cagr_req"] == pytest.approx(req)
    assert t["ratio"] == pytest.approx(obs / req)  # 0.849
    assert t["trend_class"] == "moderately improving"
    # 20·(1+obs)^n = 50 → n = ln 2.5 / ln(1+obs) = 5.29 → 6 years after 2023
    assert math.log(2.5) / math.log(1 + obs) == pytest.approx(5.2877, abs=1e-4)
    assert t["year_closes"] == 2029
    assert t["closes"] == "projected"
    assert (t["base_year"], t["latest_year"]) == (2019, 2023)


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (59.5, "on track"),  # R = 9.5/10 = 0.95 exactly
        (59.4, "moderately improving"),  # R = 0.94
        (56.0, "moderately improving"),  # R = 0.60 exactly
        (55.9, "stagnating"),  # R = 0.59
        (50.0, "stagnating"),  # R = 0 exactly
        (49.0, "moving away"),  # R = −0.1
        (90.0, "achieved"),
        (95.0, "achieved"),
    ],
)
def test_class_boundaries_linear_rule(cat, latest, expected):
    # ind_up is a percentage with benchmark 90 ≥ 0.9·100: linear rule.
    # slope_req = (90 − 50)/(2027 − 2023) = 10 per year; slope_obs = latest − 50 over one year.
    t = _one(cat, [("A", "ind_up", 2023, 50.0), ("A", "ind_up", 2024, latest)])
    assert t["method"] == "linear"
    assert t["slope_req"] == pytest.approx(10.0)
    assert t["trend_class"] == expected


def test_linear_year_closes_and_not_at_current_pace(cat):
    t = _one(cat, [("A", "ind_up", 2023, 50.0), ("A", "ind_up", 2024, 60.0)])
    assert t["year_closes"] == 2027  # (90 − 60)/10 = 3 years after 2024
    t = _one(cat, [("A", "ind_up", 2023, 50.0), ("A", "ind_up", 2024, 49.0)])
    assert pd.isna(t["year_closes"]) and t["closes"] == "not at current pace"
    t = _one(cat, [("A", "ind_up", 2023, 50.0), ("A", "ind_up", 2024, 95.0)])
    assert pd.isna(t["year_closes"]) and t["closes"] == "achieved"


def test_direction_minus_one(cat):
    # lower is better, B = 40: 100 → 80 over 2019–2021
    t = _one(cat, [("A", "ind_down", 2019, 100.0), ("A", "ind_down", 2021, 80.0)])
    obs, req = math.sqrt(0.8) - 1, 0.4 ** (1 / 8) - 1
    assert t["method"] == "cagr"
    assert t["ratio"] == pytest.approx(obs / req)  # both negative: R = 0.976 > 0
    assert t["trend_class"] == "on track"
    # 80·(1+obs)^n = 40 → n = ln 0.5 / ln √0.8 = 6.21 → 7 years after 2021
    assert t["year_closes"] == 2028
    worse = _one(cat, [("A", "ind_down", 2019, 100.0), ("A", "ind_down", 2021, 120.0)])
    assert worse["ratio"] < 0 and worse["trend_class"] == "moving away"
    done = _one(cat, [("A", "ind_down", 2019, 100.0), ("A", "ind_down", 2021, 35.0)])
    assert done["trend_class"] == "achieved"


def test_zero_base_uses_linear_rule(cat):
    t = _one(cat, [("A", "ind_c", 2020, 0.0), ("A", "ind_c", 2022, 10.0)])
    assert t["method"] == "linear" and np.isnan(t["cagr_obs"])
    # slope 5 per year against (50 − 0)/7 required: R = 0.7; (50 − 10)/5 = 8 years → 2030
    assert t["ratio"] == pytest.approx(0.7)
    assert t["trend_class"] == "moderately improving"
    assert t["year_closes"] == 2030


def test_percentage_far_from_ceiling_uses_cagr(cat):
    t = _one(cat, [("A", "ind_pct", 2020, 40.0), ("A", "ind_pct", 2022, 50.0)])
    assert t["method"] == "cagr"
    t = _one(cat, [("A", "ind_pct", 2020, 40.0), ("A", "ind_pct", 2022, 91.0)])
    assert t["method"] == "linear" and t["trend_class"] == "achieved"


def test_base_beyond_benchmark_then_falling_back_is_moving_away(cat):
    t = _one(cat, [("A", "ind_c", 2020, 60.0), ("A", "ind_c", 2022, 45.0)])
    assert t["trend_class"] == "moving away" and t["closes"] == "not at current pace"


def test_without_target_uses_growth_thresholds(cat):
    rows = [
        ("A", "ind_c", 2020, 100.0), ("A", "ind_c", 2022, 100.0 * 1.02**2),   # 2 %/yr
        ("B", "ind_c", 2020, 100.0), ("B", "ind_c", 2022, 100.0 * 1.01**2),   # 1 %/yr
        ("C", "ind_c", 2020, 100.0), ("C", "ind_c", 2022, 100.0 * 1.002**2),  # 0.2 %/yr
        ("D", "ind_c", 2020, 100.0), ("D", "ind_c", 2022, 90.0),
        ("E", "ind_ctx", 2020, 100.0), ("E", "ind_ctx", 2022, 110.0),
    ]
    t = compute_trends(_uv(rows), None, cat).set_index("unit_code")
    assert t["trend_class"].to_dict() == {
        "A": "on track", "B": "moderately improving", "C": "stagnating", "D": "moving away", "E": "on track",
    }
    assert t["closes"].isna().all() and t["year_closes"].isna().all()


def test_context_indicator_has_no_target_even_with_benchmarks(cat):
    t = _one(cat, [("E", "ind_ctx", 2020, 100.0), ("E", "ind_ctx", 2022, 90.0)])
    assert np.isnan(t["benchmark"]) and t["trend_class"] == "moving away"


def test_single_year_has_no_class(cat):
    t = _one(cat, [("A", "ind_c", 2023, 20.0)])
    assert pd.isna(t["trend_class"]) and pd.isna(t["method"])
    t = _one(cat, [("A", "ind_c", 2023, 60.0)])
    assert t["trend_class"] == "achieved"


def test_default_target_year_is_read_from_plan_targets(cat):
    # the test catalogue's provincial programme ends in 2026 (the packaged one in 2027)
    assert default_target_year(cat) == 2026
    t = compute_trends(_uv([("A", "ind_c", 2020, 10.0), ("A", "ind_c", 2022, 20.0)]), BENCH, cat).iloc[0]
    assert t["target_year"] == 2026
    assert t["cagr_req"] == pytest.approx(5 ** (1 / 6) - 1)
    packaged = load_catalogue()
    prov = packaged.plan_targets[packaged.plan_targets["region_level"] == "province"]
    assert default_target_year(packaged) == prov["target_year"].max()


def test_bad_input_raises_with_fix(cat):
    uv = _uv([("A", "ind_c", 2020, 10.0), ("A", "ind_c", 2022, 20.0)])
    with pytest.raises(TrendError, match=r"no data for base_year=2019; years with data: \[2020, 2022\]"):
        compute_trends(uv, BENCH, cat, base_year=2019)
    with pytest.raises(TrendError, match="no benchmark value for scored indicator.*ind_c"):
        compute_trends(uv, BENCH.iloc[:2], cat)
    with pytest.raises(TrendError, match="not after the base year"):
        compute_trends(uv, BENCH, cat, target_year=2020)
    with pytest.raises(HemeiError, match="not in the catalogue"):
        compute_trends(_uv([("A", "zzz", 2020, 1.0)]), BENCH, cat)
    with pytest.raises(SpecError):
        TrendSpec(moderate_ratio=0.99)


def test_window_and_class_vocabulary(cat):
    uv = _uv([("A", "ind_c", 2019, 5.0), ("A", "ind_c", 2020, 10.0), ("A", "ind_c", 2022, 20.0)])
    t = compute_trends(uv, BENCH, cat, target_year=2027, base_year=2020).iloc[0]
    assert (t["base_year"], t["value_base"]) == (2020, 10.0)
    assert set(OPEN_SDG_LABELS) == set(TREND_CLASSES)


def test_score_trends_towards_full_score(cat):
    scores = pd.DataFrame({
        "level": "county", "unit_code": "A", "year": [2023, 2024, 2023, 2024],
        "node": ["HMI", "HMI", "T01", "T01"], "node_level": ["index", "index", "task", "task"],
        "score": [50.0, 60.0, 80.0, 100.0],
    })
    t = score_trends(scores, cat, target_year=2027).set_index("node")
    hmi = t.loc["HMI"]
    # linear: 10 points a year against (100 − 50)/4 = 12.5 needed → R = 0.8; (100 − 60)/10 = 4 years
    assert hmi["method"] == "linear" and hmi["ratio"] == pytest.approx(0.8)
    assert hmi["trend_class"] == "moderately improving" and hmi["year_closes"] == 2028
    assert hmi["node_level"] == "index"
    assert t.loc["T01", "trend_class"] == "achieved"
    with pytest.raises(TrendError, match="scores lack column"):
        score_trends(scores.drop(columns="score"), cat)


def test_zero_to_zero_without_target_is_stagnating(cat):
    uv = _uv([("A", "ind_c", 2020, 0.0), ("A", "ind_c", 2022, 0.0), ("B", "ind_c", 2020, 0.0), ("B", "ind_c", 2022, 4.0)])
    t = compute_trends(uv, None, cat).set_index("unit_code")
    assert t.loc["A", "trend_class"] == "stagnating"
    assert t.loc["B", "trend_class"] == "on track"  # any rise from zero
