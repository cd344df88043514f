"""Plan progress, programme units and the project ledger against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.progress import (
    ProgressError,
    decimal_year,
    expected_progress,
    ledger_summary,
    overdue_projects,
    plan_contributions,
    plan_progress,
    programme_counts,
    programme_units,
    whole,
)
from hemei_tools.errors import HemeiError

CATALOGUE = Path(__file__).parent / "data" / "gaps" / "catalogue"
# plan_targets of the test catalogue: city 9901 50 boutique villages 2022→2027, 8 new central
# villages 2023→2027 (baseline 4), 1 demo county 2022→2027, province 99 400 boutique villages
# 2022→2026 (targets); county 990101 3 boutique villages in the 2023 round (a quota: never judged).


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(CATALOGUE)


@pytest.fixture
def villages():
    return pd.DataFrame({
        "village_code": ["990101001001", "990101001002", "990102001001", "990102001002", "990102001003",
                         "990101001003"],
        "village_name": ["甲", "乙", "丙", "丁", "戊", "己"],
        "township_code": ["990101001", "990101001", "990102001", "990102001", "990102001", "990101001"],
        "county_code": ["990101", "990101", "990102", "990102", "990102", "990101"],
        "village_type": ["精品示范村", "精品示范村", "精品示范村", "省级中心村", "省级中心村", "一般村"],
        "designation_year": pd.array([2023, 2023, 2024, 2024, 2020, pd.NA], dtype="Int64"),
        "build_status": ["已验收", "在建", "申报", "在建", pd.NA, pd.NA],
        "population": [1000, 500, 300, 300, 400, 500],
        "households": [300, 150, 100, 100, 120, 150],
    })


def test_expected_progress_linear_schedule_by_hand():
    # 50 over 2022 → 2027 at end-2024: 2 of 5 years → 20
    assert expected_progress(50, 2022, 2027, "2024-12-31")[0] == pytest.approx(20.0)
    # mid-2024 (1 July is day 183 of 366: decimal 2024.5): 1.5 of 5 years → 15
    assert expected_progress(50, 2022, 2027, "2024-07-01")[0] == pytest.approx(15.0)
    # before the start and after the end the schedule is clipped
    assert expected_progress(50, 2022, 2027, "2021-06-30")[0] == 0.0
    assert expected_progress(50, 2022, 2027, "2030-12-31")[0] == 50.0
    # annual instalments: mid-2025 still only two instalments are due → 20
    assert expected_progress(50, 2022, 2027, "2025-06-30", "annual")[0] == pytest.approx(20.0)
    with pytest.raises(ProgressError, match="unknown schedule 'sigmoid'.*linear"):
        expected_progress(50, 2022, 2027, "2024-12-31", "sigmoid")


def test_decimal_year_year_end_is_next_integer():
    assert decimal_year(["2024-12-31", "2023-12-31", "2024-07-01"]).tolist() == pytest.approx([2025, 2024, 2024.5])


def test_whole_units_round_half_up():
    assert whole([0.2, 0.5, 1.49, 9.6, 10.0]).tolist() == [0.0, 1.0, 1.0, 10.0, 10.0]
    assert np.isnan(whole([np.nan])[0])


def test_plan_progress_by_hand(cat, villages):
    p = plan_progress(villages, cat, year=2024)
    # default region: the city shared by all codes; the county's 2023 quota is no target
    assert set(p["region_code"]) == {"9901"}
    p = p.set_index(["region_code", "item"])
    city = p.loc[("9901", "boutique_village")]
    assert city["basis"] == "accepted" and city["start_year"] == 2023
    assert city["expected"] == pytest.approx(20.0) and city["expected_whole"] == 20
    assert city["designated"] == 3  # designated 2023, 2023, 2024
    assert (city["declared"], city["under_construction"], city["accepted"]) == (1, 1, 1)
    assert city["actual"] == 1  # judged on the one accepted village, not the three designated
    assert city["status"] == "behind"
    assert city["shortfall"] == 19
    assert city["gap"] == pytest.approx(-19.0)
    assert city["pct_of_target"] == pytest.approx(2.0)
    assert city["pct_expected"] == pytest.approx(40.0)
    assert city["needed_per_year"] == pytest.approx(49 / 3)
    central = p.loc[("9901", "central_village")]
    # new since 2023: the 省级中心村 of 2024 (在建); a 精品示范村 of 2024 was a central village
    # already (chosen among them), so it is not new; 8 · 1/4 = 2 expected
    assert central["designated"] == 1 and central["under_construction"] == 1 and central["accepted"] == 0
    assert central["expected"] == pytest.approx(2.0) and central["expected_whole"] == 2
    assert central["status"] == "behind" and central["shortfall"] == 2
    demo = p.loc[("9901", "demo_county")]
    assert demo["status"] == "not measured" and pd.isna(demo["designated"])
    assert demo["expected"] == pytest.approx(0.4) and demo["expected_whole"] == 0


def test_plan_progress_years_basis_and_region(cat, villages):
    p = plan_progress(villages, cat, year=[2023, 2024], basis="designated")
    city = p[(p["region_code"] == "9901") & (p["item"] == "boutique_village")].set_index("year")
    assert city.loc[2023, "expected"] == pytest.approx(10.0)
    assert city.loc[2023, "actual"] == 2 and city.loc[2024, "actual"] == 3  # every designated village
    assert (city["basis"] == "designated").all()
    central = p[(p["region_code"] == "9901") & (p["item"] == "central_village")].set_index("year")
    # the central-village plan starts in 2024: at the end of 2023 it has not started
    assert central.loc[2023, "status"] == "not started" and central.loc[2023, "expected_whole"] == 0
    assert central.loc[2024, "actual"] == 1 and central.loc[2024, "status"] == "behind"
    prov = plan_progress(villages, cat, year=2024, region_code="99")
    row = prov[prov["programme"] == "prov"].iloc[0]
    assert row["expected"] == pytest.approx(200.0)  # 400 · 2/4
    assert row["designated"] == 3 and row["accepted"] == 1


def test_plan_progress_as_of_within_the_year(cat, villages):
    p = plan_progress(villages, cat, year=2024, as_of="2024-06-30").set_index("item")
    # 30 June 2024 is day 182 of 366: 50 · (182/366 + 1)/5 = 14.97 → about 15
    assert p.loc["boutique_village", "expected"] == pytest.approx(50 * (182 / 366 + 1) / 5)
    assert p.loc["boutique_village", "expected_whole"] == 15
    assert (p["as_of"] == pd.Timestamp("2024-06-30")).all()
    # a later as-of date never moves a year past its end
    later = plan_progress(villages, cat, year=2024, as_of="2025-03-01")
    assert (later["as_of"] == pd.Timestamp("2024-12-31")).all()


def test_plan_progress_ahead_and_on_schedule(cat, villages):
    v = villages.copy()
    v["village_type"] = "精品示范村"
    v["designation_year"] = pd.array([2023] * 6, dtype="Int64")
    v["build_status"] = "已验收"
    city = plan_progress(v, cat, year=2023).set_index(["region_code", "item"]).loc[("9901", "boutique_village")]
    assert city["accepted"] == 6 and city["expected_whole"] == 10 and city["status"] == "behind"
    assert city["shortfall"] == 4
    many = pd.concat([v.assign(village_code=v["village_code"].str[:6] + f"{i:03d}" + v["village_code"].str[-3:])
                      for i in (1, 2)])  # 12 distinct villages
    city = plan_progress(many, cat, year=2023).set_index(["region_code", "item"]).loc[("9901", "boutique_village")]
    assert city["accepted"] == 12 and city["status"] == "ahead" and city["shortfall"] == 0
    city = plan_progress(many.iloc[:10], cat, year=2023).set_index(["region_code", "item"]).loc[
        ("9901", "boutique_village")]
    assert city["accepted"] == 10 and city["status"] == "on schedule" and city["gap"] == 0


def test_plan_progress_bad_input(cat, villages):
    with pytest.raises(ProgressError, match="no village in region '12'"):
        plan_progress(villages, cat, region_code="12")
    # the county has a quota only: no plan target of its own
    with pytest.raises(ProgressError, match="plan_targets has no target for region '990101'.*9901"):
        plan_progress(villages, cat, region_code="990101")
    with pytest.raises(ProgressError, match="lacks column.*build_status"):
        plan_progress(villages.drop(columns="build_status"), cat)
    with pytest.raises(HemeiError, match="unknown basis"):
        plan_progress(villages, cat, basis="finished")


@pytest.fixture
def designations():
    """County 990101 applies for 示范县 in 2023, builds from 2024 and is named in 2026."""
    return pd.DataFrame({"county_code": ["990101"] * 3 + ["990102"],
                         "designation": ["和美乡村示范县"] * 3 + ["全省美丽乡村建设先进县（区）"],
                         "status": ["申报", "在建", "已验收", "已验收"], "year": [2023, 2024, 2026, 2022]})


def test_demo_county_is_judged_from_its_designation_history(cat, villages, designations):
    p = plan_progress(villages, cat, year=[2023, 2024, 2026], designations=designations)
    d = p[p["item"] == "demo_county"].set_index("year")
    # 2023: declared; 1 · 1/5 = 0.2 due → nothing due in whole units, none done: no verdict
    assert (d.loc[2023, "designated"], d.loc[2023, "declared"], d.loc[2023, "accepted"]) == (1, 1, 0)
    assert d.loc[2023, "expected_whole"] == 0 and d.loc[2023, "status"] == "not due"
    assert (d.loc[2024, "under_construction"], d.loc[2024, "status"]) == (1, "not due")  # 0.4 due
    # 2026: named; 1 · 4/5 = 0.8 → 1 due, 1 accepted
    assert d.loc[2026, "expected_whole"] == 1 and d.loc[2026, "accepted"] == 1
    assert d.loc[2026, "status"] == "on schedule"
    # an honour is not a 示范县
    units = programme_units(villages, designations=designations)
    assert set(units.loc[units["item"] == "demo_county", "unit"]) == {"990101"}


def test_programme_counts_sum_over_counties(villages, designations):
    natural = pd.DataFrame({"village_code": ["990101001001", "990101001001", "990102001001"],
                            "natural_village_name": ["上湾", "下湾", "河口"],
                            "build_status": ["已验收", "在建", "申报"], "designation_year": [2019, 2024, 2023]})
    units = programme_units(villages, natural, designations)
    c = programme_counts(units, 2023, ["9901", "990101", "990102"]).set_index(["region_code", "item"])
    n = c.xs("natural_village", level="item")
    assert n.loc["9901", ["designated", "declared", "under_construction", "accepted"]].tolist() == [2, 1, 0, 1]
    assert n.loc["990101", "accepted"] == 1 and n.loc["990102", "declared"] == 1
    # central villages at the end of 2023: the 省级中心村 of 2020 (no status recorded) and the three
    # 精品示范村 (built central villages from before the data's years, whatever their boutique
    # year); the 省级中心村 of 2024 is not yet designated
    central = c.xs("central_village", level="item")
    assert central.loc["9901", "designated"] == 4 and central.loc["9901", "accepted"] == 3
    assert c.loc[("990101", "demo_county"), "declared"] == 1
    for item in ("central_village", "boutique_village", "natural_village", "demo_county"):
        cols = ["designated", "declared", "under_construction", "accepted"]
        counties = c.xs(item, level="item").loc[["990101", "990102"], cols].sum()
        assert counties.tolist() == c.loc[("9901", item), cols].tolist(), item


def test_contributions_of_counties_sum_to_the_city(cat, villages, designations):
    city = plan_progress(villages, cat, year=2024, designations=designations).set_index("item")
    parts = plan_contributions(villages, ["990101", "990102"], cat, 2024, designations=designations)
    assert set(parts["target_region"]) == {"9901", "99"}  # the city's targets and the province's
    mine = parts[parts["target_region"] == "9901"]
    assert (mine["status"] == "contribution").all() and mine["expected"].isna().all()
    b = mine[mine["item"] == "boutique_village"].set_index("region_code")
    assert b.loc["990101", ["designated", "under_construction", "accepted"]].tolist() == [2, 1, 1]
    assert b.loc["990102", ["designated", "declared"]].tolist() == [1, 1]
    assert b.loc["990101", "pct_of_target"] == pytest.approx(2.0)  # 1 accepted of the city's 50
    for item, rows in mine.groupby("item"):
        for col in ("designated", "declared", "under_construction", "accepted"):
            assert rows[col].sum() == city.loc[item, col], (item, col)


@pytest.fixture
def projects():
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4"],
        "village_code": ["990101001001", "990101001001", "990101001002", "990102001001"],
        "task_id": ["T01", "T02", "T01", "T02"],
        "project_name": ["a", "b", "c", "d"],
        "start_date": pd.to_datetime(["2023-01-01", "2023-03-01", "2024-01-15", "2023-02-01"]),
        "planned_end": pd.to_datetime(["2023-06-30", "2023-12-01", "2024-03-01", "2023-10-01"]),
        "actual_end": pd.to_datetime(["2023-05-01", None, None, None]),
        "budget_wan": [100.0, 200.0, 50.0, 150.0],
        "disbursed_wan": [100.0, 50.0, 0.0, 90.0],
        "funding_source": ["省级", "市级", "县级", "省级"],
        "status": ["已完工", "在建", "未开工", "在建"],
    })


def test_ledger_by_county_by_hand(projects, villages):
    s = ledger_summary(projects, villages, by="county_code", as_of="2024-01-31").set_index("county_code")
    a = s.loc["990101"]
    assert (a["n_projects"], a["n_not_started"], a["n_in_progress"], a["n_finished"]) == (3, 1, 1, 1)
    assert a["completion_rate"] == pytest.approx(100 / 3)
    assert a["budget_wan"] == 350 and a["disbursed_wan"] == 150
    assert a["disbursement_rate"] == pytest.approx(150 / 350 * 100)
    assert a["n_overdue"] == 1 and a["overdue_days_max"] == 61  # P2: 1 Dec → 31 Jan
    assert a["n_villages"] == 2 and a["villages_in_area"] == 3 and a["population_in_area"] == 2000
    assert a["investment_per_village_wan"] == pytest.approx(350 / 3)
    assert a["investment_per_head_yuan"] == pytest.approx(1750.0)
    b = s.loc["990102"]
    assert b["n_overdue"] == 1 and b["overdue_days_max"] == 122  # P4: 1 Oct → 31 Jan
    assert b["completion_rate"] == 0 and b["disbursement_rate"] == pytest.approx(60.0)
    assert b["investment_per_head_yuan"] == pytest.approx(1500.0)


def test_ledger_by_funding_source_and_total(projects, villages):
    s = ledger_summary(projects, villages, by=("funding_source",), as_of="2024-01-31").set_index("funding_source")
    prov = s.loc["省级"]
    assert prov["n_projects"] == 2 and prov["disbursement_rate"] == pytest.approx(76.0)
    assert prov["villages_in_area"] == 6
    assert prov["investment_per_head_yuan"] == pytest.approx(250e4 / 3000)
    total = ledger_summary(projects, villages, by=(), as_of="2024-01-31")
    assert len(total) == 1
    assert total["disbursement_rate"].iloc[0] == pytest.approx(48.0)
    assert total["n_overdue"].iloc[0] == 2
    assert total["overdue_days_mean"].iloc[0] == pytest.approx((61 + 122) / 2)
    both = ledger_summary(projects, villages, by=("county_code", "task_id"), as_of="2024-01-31")
    assert len(both) == 3 and both["n_projects"].sum() == 4


def test_overdue_projects_and_default_as_of(projects, villages):
    o = overdue_projects(projects, villages, as_of="2024-01-31")
    assert o["project_id"].tolist() == ["P4", "P2"]
    assert o["days_overdue"].tolist() == [122, 61]
    # default as_of: the latest start or actual end in the ledger, 2024-01-15
    o = overdue_projects(projects, villages)
    assert o["days_overdue"].tolist() == [106, 45]
    assert (ledger_summary(projects, villages)["as_of"] == pd.Timestamp("2024-01-15")).all()


def test_ledger_bad_input(projects, villages):
    bad = projects.assign(village_code=["990101001001", "999999999999", "990101001002", "990102001001"])
    with pytest.raises(ProgressError, match="not in the village table.*999999999999"):
        ledger_summary(bad, villages)
    with pytest.raises(ProgressError, match="unknown project status.*完成"):
        ledger_summary(projects.assign(status=["完成", "在建", "在建", "在建"]), villages)
    with pytest.raises(ProgressError, match="cannot group the ledger by"):
        ledger_summary(projects, villages, by="province")
    with pytest.raises(ProgressError, match="lacks column.*budget_wan"):
        ledger_summary(projects.drop(columns="budget_wan"), villages)


def test_ledger_by_status_and_township(projects, villages):
    s = ledger_summary(projects, villages, by="status", as_of="2024-01-31").set_index("status")
    assert s.loc["在建", "n_projects"] == 2 and s.loc["在建", "n_in_progress"] == 2
    assert s.loc["在建", "n_overdue"] == 2
    t = ledger_summary(projects, villages, by="township_code", as_of="2024-01-31").set_index("township_code")
    assert t.loc["990101001", "villages_in_area"] == 3  # 甲, 乙, 己
    assert t.loc["990102001", "budget_wan"] == 150
