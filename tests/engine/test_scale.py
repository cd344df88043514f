"""A small multi-city province (3 cities, 6 counties) through every level of the engine.

Twelve villages: city k (k = 0, 1, 2; codes 3401, 3402, 3403) has counties 2k and 2k + 1,
each with one township of two villages. Village v (v = 0 … 11, in code order) has 100
households when v is even and 300 when odd. The test indicator (the catalogue's first scored
household-weighted percentage) has x_v = 5·(v + 1) in 2023 and 0.8·x_v in 2022; every
other indicator sits at a constant mid-range value. By hand (household-weighted means):

- county c: (100·5(2c + 1) + 300·5(2c + 2)) / 400 = 10c + 8.75
- city k: (100·5(4k + 1) + 300·5(4k + 2) + 100·5(4k + 3) + 300·5(4k + 4)) / 800 = 20k + 13.75
- province: Σ_c 400·(10c + 8.75) / 2400 = (10·15 + 6·8.75) / 6 = 33.75
- 2022 is 0.8 times 2023 at every level: CAGR = 1/0.8 − 1 = 0.25 per year, slope = 0.2·x.
- Gini of city 0's village values {5, 10, 15, 20} (unweighted): Σ_i Σ_j |x_i − x_j| = 100,
  G = 100 / (2 · 4² · 12.5) = 0.25.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.composite import build_index
from hemei_tools.engine.gaps import compute_gaps
from hemei_tools.engine.imbalance import imbalance_table
from hemei_tools.engine.rollup import UNIT_LEVELS, aggregate_values
from hemei_tools.engine.trends import compute_trends

ALL = (*UNIT_LEVELS, "province")


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def test_indicator(cat):
    ind = cat.indicators
    sel = ind[ind["scored"] & (ind["aggregation"] == "household_mean") & (ind["value_type"] == "percent")]
    return str(sel["indicator_id"].iloc[0])


@pytest.fixture(scope="module")
def province(cat, test_indicator):
    rows = []
    for v in range(12):
        county = v // 2
        city = county // 2
        county_code = f"340{city + 1}{county % 2 + 1:02d}"
        rows.append({
            "village_code": f"{county_code}001{v % 2 + 1:03d}", "village_name": f"村{v}",
            "township_code": f"{county_code}001", "township_name": f"镇{county}",
            "county_code": county_code, "county_name": f"县{county}",
            "households": 100 if v % 2 == 0 else 300, "population": 300 if v % 2 == 0 else 900,
        })
    villages = pd.DataFrame(rows)
    obs = []
    for _, ind in cat.indicators.iterrows():
        iid = ind["indicator_id"]
        for v, code in enumerate(villages["village_code"]):
            for year, factor in ((2022, 0.8), (2023, 1.0)):
                if iid == test_indicator:
                    x = 5.0 * (v + 1) * factor
                elif ind["value_type"] == "binary":
                    x = float(v % 2)
                else:
                    x = (float(ind["min_value"]) + float(ind["max_value"])) / 2 * factor
                obs.append((code, year, iid, x))
    observations = pd.DataFrame(obs, columns=["village_code", "year", "indicator_id", "value"])
    uv = aggregate_values(observations, villages, cat, levels=ALL)
    return villages, observations, uv


def values_of(uv, level, indicator, year=2023):
    sel = uv[(uv["level"] == level) & (uv["indicator_id"] == indicator) & (uv["year"] == year)]
    return sel.set_index("unit_code")["value"].sort_index()


def test_every_level_rolls_up_by_hand(province, test_indicator):
    villages, observations, uv = province
    assert set(uv["level"].unique()) == set(ALL)
    counts = uv[uv["indicator_id"] == test_indicator].groupby("level", observed=True)["unit_code"].nunique()
    assert counts.to_dict() == {"village": 12, "township": 6, "county": 6, "city": 3, "province": 1}
    county = values_of(uv, "county", test_indicator)
    assert county.to_numpy() == pytest.approx([10 * c + 8.75 for c in range(6)])
    city = values_of(uv, "city", test_indicator)
    assert list(city.index) == ["3401", "3402", "3403"]
    assert city.to_numpy() == pytest.approx([20 * k + 13.75 for k in range(3)])
    assert values_of(uv, "province", test_indicator).to_dict() == pytest.approx({"34": 33.75})
    prov = uv[uv["level"] == "province"].iloc[0]
    assert (prov["parent_code"], prov["county_code"], prov["city_code"], prov["n_total"]) == ("", "", "", 12)
    # cities keep parent "" and the default levels have no province: adding it changes nothing else
    default = aggregate_values(observations, villages)
    assert "province" not in set(default["level"].unique())
    assert set(default.loc[default["level"] == "city", "parent_code"]) == {""}
    same = uv[uv["level"] != "province"].reset_index(drop=True)
    pd.testing.assert_frame_equal(same.astype(str), default.astype(str))


def test_index_gaps_trends_imbalance_at_every_level(province, cat, test_indicator):
    _, _, uv = province
    res = build_index(uv, cat)
    idx = res.scores[res.scores["node_level"] == "index"]
    per_level = idx[idx["year"] == 2023].groupby("level", observed=True)["unit_code"].nunique().to_dict()
    assert per_level == {"village": 12, "township": 6, "county": 6, "city": 3, "province": 1}
    assert idx["score"].between(0, 100).all()
    prov = res.index_scores("province", 2023)
    assert prov["unit_code"].tolist() == ["34"] and prov["rank"].tolist() == [1]
    # the test indicator's goalpost score at province level, from the resolved goalposts
    bm = res.benchmarks.set_index("indicator_id").loc[test_indicator]
    lo, b = float(bm["goalpost_low"]), float(bm["benchmark"])
    s = res.scores
    got = s[(s["level"] == "province") & (s["node"] == test_indicator) & (s["year"] == 2023)]["score"]
    assert got.tolist() == pytest.approx([100 * np.clip((33.75 - lo) / (b - lo), 0, 1)])
    # ranks of the three cities follow their values on the test indicator (13.75 < 33.75 < 53.75)
    city = s[(s["level"] == "city") & (s["node"] == test_indicator) & (s["year"] == 2023)]
    assert city.sort_values("unit_code")["rank"].tolist() == [3, 2, 1]
    assert city["unit_code"].isin(["3401", "3402", "3403"]).all()

    gaps = compute_gaps(uv, res.benchmarks, cat)
    assert set(gaps["level"].unique()) == set(ALL)
    g = gaps[(gaps["level"] == "province") & (gaps["indicator_id"] == test_indicator) & (gaps["year"] == 2023)]
    assert g["abs_gap"].tolist() == pytest.approx([b - 33.75])       # direction +1 in the catalogue

    tr = compute_trends(uv, res.benchmarks, cat)
    assert set(tr["level"].unique()) == set(ALL)
    t = tr[(tr["level"] == "province") & (tr["indicator_id"] == test_indicator)].iloc[0]
    assert t["cagr_obs"] == pytest.approx(0.25) and t["slope_obs"] == pytest.approx(0.2 * 33.75)
    cities = tr[(tr["level"] == "city") & (tr["indicator_id"] == test_indicator)]
    assert cities["cagr_obs"].to_numpy() == pytest.approx([0.25] * 3)

    imb = imbalance_table(uv[(uv["indicator_id"] == test_indicator) & (uv["year"] == 2023)], by="city_code")
    city0 = imb[imb["group"] == "3401"].iloc[0]
    assert city0["n"] == 4 and city0["gini"] == pytest.approx(0.25)
    pooled = imb[imb["group"] == "all"].iloc[0]
    assert pooled["theil_between"] + pooled["theil_within"] == pytest.approx(pooled["theil"])


def test_stacked_categorical_keeps_string_semantics():
    from hemei_tools.engine.rollup import stacked_categorical

    cat = stacked_categorical([(np.array(["b", "a"], dtype=object), np.array([0, 1, 1, -1])),
                               (np.array(["c", "a"], dtype=object), np.array([1, 0]))])
    s = pd.Series(cat)
    assert list(s.cat.categories) == ["a", "b", "c"]                 # sorted: sorts like strings
    assert s.tolist()[:3] == ["b", "a", "a"] and pd.isna(s.iloc[3]) and s.tolist()[4:] == ["a", "c"]
    assert (s == "a").sum() == 3
    assert s.sort_values().dropna().tolist() == ["a", "a", "a", "b", "c"]


@pytest.mark.parametrize("n_groups", [3, 300, 70_000, 200_000])
def test_stable_group_order_matches_a_stable_argsort(n_groups):
    from hemei_tools.engine.imbalance import _stable_group_order

    g = np.random.default_rng(5).integers(0, n_groups, 5000)
    assert np.array_equal(_stable_group_order(g, n_groups), np.argsort(g, kind="stable"))


def test_categorical_labels_merge_and_pivot_like_strings(province, cat):
    villages, _, uv = province
    res = build_index(uv, cat)
    counties = villages[["county_code", "county_name"]].drop_duplicates().astype(str)
    idx = res.index_scores("county", 2023)
    merged = idx.merge(counties, left_on="unit_code", right_on="county_code", suffixes=("", "_v"))
    assert len(merged) == 6
    assert (merged["unit_name"].astype(str) == merged["county_name"]).all()
    w = res.wide("county", "dimension", 2023)
    assert w.shape == (6, 4) and w.index.dtype == "str" and w.columns.dtype == "str"
    assert list(w.index) == sorted(counties["county_code"])
    pivot = uv[(uv["level"] == "city") & (uv["year"] == 2023)].pivot(
        index="unit_code", columns="indicator_id", values="value")
    assert pivot.shape == (3, len(cat.indicators))
    assert sorted(uv.loc[uv["level"] == "city", "unit_code"].unique()) == ["3401", "3402", "3403"]


def test_counties_stay_right_when_townships_do_not_nest(province, cat, test_indicator):
    villages, observations, _ = province
    odd = villages.copy()
    # village 2 (county 1) is filed under county 0's township: townships no longer nest in
    # counties, so counties must come from the villages, not from township sums
    odd.loc[2, "township_code"] = odd.loc[0, "township_code"]
    uv = aggregate_values(observations, odd, cat, levels=ALL)
    county = values_of(uv, "county", test_indicator)
    assert county.to_numpy() == pytest.approx([10 * c + 8.75 for c in range(6)])
    # the mixed township holds villages 0, 1, 2: (100·5 + 300·10 + 100·15) / 500 = 10
    town = values_of(uv, "township", test_indicator)
    assert town[odd.loc[0, "township_code"]] == pytest.approx(10.0)
    assert values_of(uv, "province", test_indicator).to_dict() == pytest.approx({"34": 33.75})
