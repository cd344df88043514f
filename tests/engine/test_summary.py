"""The 结论摘要's numbers (:mod:`hemei_tools.engine.summary`) on a small city set by hand.

Data: ``tests/summary_data.py``. Every indicator is at its catalogue maximum (score 100) in
铜陵市 and at its minimum (score 0) in 340202 (city 3402), except in 枞阳县: village_plan 40 %
in 2023 (甲一村, 甲二村) and 0 % in 2022, health_room 20 % (乙一村) in both years, rural_income
3,000 元 (below the floor 17,238.5: score 0). Effective weights (equal weights down the tree):
village_plan 1/16 (task T01 alone), health_room 1/48 (one of three in T04), rural_income 1/32
(one of two in T08); their goalposts: village_plan 0–90 % (national 2022 target),
health_room 0–100 % (policy standard), rural_income floor 17,238.5, benchmark 40,311 元.

By hand, with s = 100·x/90 for village_plan:

- 枞阳县 2023: 100 − (100 − 44.444)/16 − 80/48 − 100/32 = 91.7361; 2022: 100 − 100/16 − 80/48
  − 100/32 = 88.9583; change 2.7778; rank 2 of 2 in 铜陵市 (铜官区: 100) in both years, and 2 of the
  data's 3 counties of the province (340202: 0), not the whole province.
- tasks: T01 distance 100 − 44.444 = 55.556; T08 (100 + 0)/2 = 50; T04 80/3 = 26.667.
  Quantities: village_plan 40 % of 5 villages → round(0.6·5) = 3 without; health_room 20 % → 4;
  rural_income 40,311 − 3,000 = 37,311 元.
- townships: 甲镇 (three villages; plan 2/3, health 0/3): 100 − (100 − 74.074)/16 − 100/48
  − 100/32 = 93.1713; 乙镇 (plan 0/2, health 1/2): 100 − 100/16 − 50/48 − 100/32 = 89.5833.
  With two townships at most ⌊2/2⌋ = 1 lags, and only one scoring below the county's 91.7361
  does: 乙镇, whose weakest villages are 乙二村 (100 − 100/16 − 100/48 − 100/32 = 88.5417) and
  乙一村 (100 − 100/16 − 100/32 = 90.625). Allowed two, still only 乙镇: 甲镇 is above the county.
- villages: 甲一村 = 甲二村 = 100 − 100/48 − 100/32 = 94.7917 (rank 1), 乙一村 90.625 (3),
  甲三村 = 乙二村 = 88.5417 (4); ⌈5/5⌉ = 1 lagging village: 甲三村 (the lower code of the tie),
  whose three zero scores order by how far it is below the county: village_plan (the county's
  share 40 %: 0.4), health_room (20 %: 0.2), rural_income (3,000 against the county's 3,000:
  1 − 3000/3000 = 0) — by weight alone it was village_plan (1/16), rural_income (1/32),
  health_room (1/48); 甲一村 (plan reached) health_room (0.2) before rural_income (0).
- places: village_plan is missing in 2 of 乙镇's 2 villages and 1 of 甲镇's 3; health_room in 3
  of 甲镇's and 1 of 乙镇's.
- the ledger: T01's one project is overdue, but one is fewer than 2 (``OVERDUE_MIN``): T01's
  action stays that of its trend (the plan reaches 90 % about 2025, before the target year:
  ``close_gap``); T08 has none (→ ``no_projects``), T04's one project is done and health_room
  did not move 2022→2023 (→ ``accelerate``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from summary_data import write_small_city

from hemei_tools.engine import summary as sm
from hemei_tools.engine.region import analyse_region, load_region_context

PLAN, HEALTH, INCOME_LOSS = 100 - 100 * 40 / 90, 80.0, 100.0
ZONGYANG_2023 = 100 - PLAN / 16 - HEALTH / 48 - INCOME_LOSS / 32
ZONGYANG_2022 = 100 - 100 / 16 - HEALTH / 48 - INCOME_LOSS / 32


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory, isolated_cache):
    return write_small_city(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def county(small_dir):
    return analyse_region(load_region_context(str(small_dir), "340722", 2023), n_runs=0)


@pytest.fixture(scope="module")
def single(small_dir):
    """铜官区: one township, every indicator at its maximum."""
    return analyse_region(load_region_context(str(small_dir), "340705", 2023), n_runs=0)


@pytest.fixture(scope="module")
def city(small_dir):
    return analyse_region(load_region_context(str(small_dir), "340700", 2023), n_runs=0)


def test_counts_by_the_formulas():
    assert sm.villages_without(17.368421, 190) == 157  # the 标准化卫生室 example
    assert sm.villages_without(40.0, 5) == 3 and sm.villages_without(100.0, 12) == 0
    # to reach a benchmark share: 37 of 190 have it (19.5 %); 90 % of 190 is 171, so 134 more
    # (153 are without it); at 100 % both counts agree; above the benchmark nothing is needed
    assert sm.villages_to_benchmark(19.473684, 90.0, 190) == 134
    assert sm.villages_without(19.473684, 190) == 153
    assert sm.villages_to_benchmark(17.368421, 100.0, 190) == 157
    assert sm.villages_to_benchmark(40.0, 90.0, 5) == 3  # 90 % of 5 villages is 4.5: all 5
    assert sm.villages_to_benchmark(95.0, 90.0, 20) == 0
    assert [sm.lagging_count(n) for n in (1, 2, 3, 4, 5, 6, 17)] == [0, 1, 1, 2, 2, 3, 3]
    assert [sm.lagging_villages_count(n) for n in (1, 5, 12, 49, 50, 51, 190)] == [1, 1, 3, 10, 10, 10, 10]


def test_overdue_projects_lead_only_when_they_matter():
    """m overdue of n: at least 2 and at least 10 % (1 of 32: no; 2 of 47 = 4.3 %: no; 2 of 20 =
    10 %: yes; 2 of 21 = 9.5 %: no; 1 of 1: no; 3 of 5: yes)."""
    assert [sm.overdue_matters(n, m) for n, m in ((32, 1), (47, 2), (20, 2), (21, 2), (1, 1), (5, 3), (0, 0))] == [
        False, False, True, False, False, True, False]
    base = {"has_ledger": True, "closes": "projected", "year_closes": 2025, "target_year": 2027}
    assert sm._action({**base, "n_projects": 32, "n_overdue": 1}) == "close_gap"
    assert sm._action({**base, "n_projects": 16, "n_overdue": 2}) == "overdue"
    assert sm._action({**base, "n_projects": 47, "n_overdue": 2, "year_closes": 2033}) == "accelerate"


def test_weak_indicators_break_ties_by_how_far_below_the_county():
    """Four indicators: a yes/no item the county has in 75 % of its villages, one it has in 20 %,
    an income of 6,000 against the county's 12,000 (1 − 6000/12000 = 0.5) and one of 9,000 against
    9,000 (0); the village lacks both items and scores 0 on all four. By weight (0.1, 0.4, 0.3,
    0.2) the order was 2, 3, 4, 1; below the county it is 1 (0.75), 3 (0.5), 2 (0.2), 4 (0)."""
    below = sm.below_county(np.array([[0.0, 0.0, 6000.0, 9000.0]]), np.array([[75.0, 20.0, 12000.0, 9000.0]]),
                            np.array([True, True, False, False]), np.array([1, 1, 1, 1]))
    assert below[0].tolist() == pytest.approx([0.75, 0.2, 0.5, 0.0])
    w = np.array([0.1, 0.4, 0.3, 0.2])
    assert sm.weak_order(np.zeros((1, 4)), below, w).tolist() == [[0, 2, 1, 3]]
    # a lower score still comes first; equal shortfalls fall back on weight, then catalogue order;
    # a reached indicator (100) and an unknown shortfall (county value 0) go last
    assert sm.weak_order(np.array([[0.0, 0.0, 0.0, 20.0]]), np.array([[0.5, 0.5, 0.5, 0.9]]),
                         np.array([0.1, 0.3, 0.3, 0.1])).tolist() == [[1, 2, 0, 3]]
    assert np.isnan(sm.below_county(np.array([5.0]), np.array([0.0]), np.array([False]), np.array([1]))[0])
    assert sm.weak_order(np.array([[0.0, 0.0, 100.0]]), np.array([[np.nan, 0.1, 0.9]]),
                         np.array([0.5, 0.1, 0.9])).tolist() == [[1, 0, 2]]
    # lower is better (direction −1): 3 against the county's 2 is 0.5 worse
    assert sm.below_county(np.array([3.0]), np.array([2.0]), np.array([False]), np.array([-1])).tolist() == [0.5]


def test_index_history_over_all_years_by_hand(county):
    h = sm.index_history(county)
    idx = h[h["node"] == county.catalogue.index_code].set_index("year")
    assert list(idx.index) == [2022, 2023]
    assert idx.loc[2022, "score"] == pytest.approx(ZONGYANG_2022)
    assert idx.loc[2023, "score"] == pytest.approx(ZONGYANG_2023)
    assert idx["rank"].tolist() == [2, 2] and idx["n_units"].tolist() == [2, 2]
    # D1 (T01–T04, equal weights): (44.444 + 100 + 100 + (100 + 20 + 100)/3) / 4
    d1 = h[(h["node"] == "D1") & (h["year"] == 2023)]["score"].iloc[0]
    assert d1 == pytest.approx((100 - PLAN + 100 + 100 + 220 / 3) / 4)
    # the report year is the analysis' own score
    s = county.result.scores
    own = s[(s["level"] == "county") & (s["unit_code"] == "340722") & (s["node"] == "HMI")]["score"].iloc[0]
    assert idx.loc[2023, "score"] == pytest.approx(own, abs=1e-12)


def test_standing_in_the_city_and_the_province_by_hand(county, city):
    st = sm.standing(county)
    assert (st["rank"], st["n_units"], st["first_year"], st["first_rank"]) == (2, 2, 2022, 2)
    assert st["change"] == pytest.approx(ZONGYANG_2023 - ZONGYANG_2022)
    assert st["change"] == pytest.approx((100 - PLAN) / 16)  # the plan's 40 % alone: 44.444/16
    assert (st["province_rank"], st["province_n"], st["province_first_rank"], st["whole_province"]) == (2, 3, 2, False)
    c = sm.standing(city)
    assert c["rank"] is None and c["n_units"] == 1  # a city of a one-city build has no peers
    assert (c["province_rank"], c["province_n"]) == (1, 2)


def test_priorities_turn_gaps_into_counts_by_hand(county):
    p = sm.priorities(county)
    assert p["task_id"].tolist() == ["T01", "T08", "T04"]
    assert [float(x) for x in p["distance"]] == pytest.approx([PLAN, 50.0, 80 / 3])
    assert p["indicator_id"].tolist() == ["village_plan", "rural_income", "health_room"]
    assert p["n_without"].tolist() == [3, None, 4]
    assert [float(x) for x in p["abs_gap"]] == pytest.approx([50.0, 40311 - 3000, 80.0])
    assert p["n_total"].tolist() == [5, 5, 5]
    places = {r["task_id"]: [(q["name"], q["n_without"]) for q in r["places"]] for r in p.to_dict("records")}
    assert places["T01"] == [("乙镇", 2), ("甲镇", 1)]
    assert places["T04"] == [("甲镇", 3), ("乙镇", 1)]
    assert places["T08"] == [("甲镇", None), ("乙镇", None)]  # equal gaps: by code
    assert p["n_projects"].tolist() == [1, 0, 1] and p["n_overdue"].tolist() == [1, 0, 0]


def test_children_lagging_units_and_villages_by_hand(county):
    c = sm.child_table(county)
    assert c["unit_name"].tolist() == ["甲镇", "乙镇"] and c["rank"].tolist() == [1, 2]
    assert c["score"].tolist() == pytest.approx([100 - (100 - 100 * (200 / 3) / 90) / 16 - 100 / 48 - 100 / 32,
                                                 100 - 100 / 16 - 50 / 48 - 100 / 32])
    assert c["n_villages"].tolist() == [3, 2]
    # 甲镇's lowest task is T08 (50), 乙镇's T01 (no plan: 0)
    assert c["worst_task"].tolist() == ["T08", "T01"] and c["worst_task_score"].tolist() == pytest.approx([50, 0])
    lag = sm.lagging_units(county, c)
    assert lag["unit_name"].tolist() == ["乙镇"]
    assert [(w["name"], round(w["score"], 4)) for w in lag["weakest"].iloc[0]] == [
        ("乙二村", round(100 - 100 / 16 - 100 / 48 - 100 / 32, 4)), ("乙一村", round(100 - 100 / 16 - 100 / 32, 4))]
    # only units below the county's own index lag: allowed two, 甲镇 (93.17 > 91.74) is not named
    assert sm.unit_score(county) == pytest.approx(ZONGYANG_2023)
    assert sm.lagging_units(county, c, k=2)["unit_name"].tolist() == ["乙镇"]
    # none below: none lags, and no 帮扶后进 recommendation
    none = sm.lagging_units(county, c.assign(score=[95.0, 92.0]))
    assert none.empty
    assert [r["kind"] for r in sm.recommendations(county, lagging=none)] == ["task", "task", "task"]
    v = sm.village_table(county)
    assert v["village_name"].tolist()[:3] == ["甲一村", "甲二村", "乙一村"]
    assert v["rank"].tolist() == [1, 1, 3, 4, 4]
    row = v.set_index("village_name").loc["甲三村"]
    assert [row["weak_1"], row["weak_2"], row["weak_3"]] == ["village_plan", "health_room", "rural_income"]
    assert [row["weak_1_value"], row["weak_2_value"], row["weak_3_value"]] == [0.0, 0.0, 3000.0]
    assert row["n_zero"] == 3
    # a reached indicator is never called weak: 甲一村 falls short on two only
    top = v.set_index("village_name").loc["甲一村"]
    assert [top["weak_1"], top["weak_2"]] == ["health_room", "rural_income"] and pd.isna(top["weak_3"])
    assert sm.lagging_villages(county, v)["village_name"].tolist() == ["甲三村"]


def test_recommendations_name_task_indicator_places_and_evidence(county):
    recs = sm.recommendations(county)
    assert [(r["kind"], r.get("action"), r["task_id"], r["indicator_id"]) for r in recs] == [
        ("task", "close_gap", "T01", "village_plan"),  # 1 overdue of 1: fewer than 2
        ("task", "no_projects", "T08", "rural_income"),
        ("task", "accelerate", "T04", "health_room"),
        ("lagging", None, "T01", "village_plan"),
    ]
    assert [r["rank"] for r in recs] == [1, 2, 3, 4]
    lag = recs[-1]
    assert [p["name"] for p in lag["places"]] == ["乙镇"] and lag["places"][0]["value"] == 0.0
    assert lag["unit_score"] == pytest.approx(ZONGYANG_2023) and lag["sub_level"] == "village"
    assert recs[0]["n_overdue"] == 1 and recs[0]["n_projects"] == 1
    assert 3 <= len(recs) <= sm.RECOMMENDATIONS_MAX


def test_a_unit_at_every_benchmark_with_one_township(single):
    assert sm.priorities(single).empty
    c = sm.child_table(single)
    assert c["unit_name"].tolist() == ["丙镇"] and sm.lagging_units(single, c).empty
    # nothing falls short: no recommendation, not even for its weakest villages
    assert sm.recommendations(single) == []
    assert sm.village_table(single)[["weak_1", "weak_2", "weak_3"]].isna().all().all()


def test_a_city_names_its_lagging_county_and_villages(city):
    lag = sm.lagging_units(city)
    assert lag["unit_name"].tolist() == ["枞阳县"]  # ⌊2/2⌋ = 1 of its two counties
    assert [w["name"] for w in lag["weakest"].iloc[0]] == ["甲三村", "乙二村"]
    p = sm.priorities(city)
    # the city's 7 villages, 3 of them without a plan; 枞阳县 holds all three
    assert p.loc[0, "n_without"] == 3 and p.loc[0, "n_total"] == 7
    assert [(q["name"], q["n_without"]) for q in p.loc[0, "places"]] == [("枞阳县", 3)]


def test_plan_items_put_judged_targets_first_with_the_units_part(county):
    items = sm.plan_items(county)
    judged = [i for i in items if i["status"] in ("behind", "on schedule", "ahead")]
    assert items[:len(judged)] == judged
    assert all(i["part"] == {"accepted": 0, "under_construction": 0, "declared": 0} for i in judged
               if i["region_code"] == "3407")
