"""A small city with values set by hand, for the 结论摘要 (``tests/engine/test_summary.py``,
``tests/present/test_summary_sections.py``).

City 3407 (铜陵市) with two counties, and one county of city 3402 so that the data reach beyond
the city (a province-scale rank):

- 340722 枞阳县: township 340722001 甲镇 (villages 甲一村, 甲二村, 甲三村) and 340722002 乙镇
  (乙一村, 乙二村);
- 340705 铜官区: one township, 340705001 丙镇 (丙一村, 丙二村);
- 340202 (city 3402): one township, 340202001 丁镇 (丁一村).

Every village has 300 households and 900 people. In 2022 and 2023 every scored indicator sits
at its catalogue maximum (score 100: every upper goalpost is at most the maximum) in 铜陵市,
and at its catalogue minimum (score 0) in 340202, except in 枞阳县:

=============  ===========================================  =====================
indicator      2023                                         2022
=============  ===========================================  =====================
village_plan   甲一村, 甲二村 yes; the other three no (40 %)  every village no (0 %)
health_room    乙一村 yes; the other four no (20 %)           as 2023
rural_income   3,000 元 (the catalogue minimum) everywhere   as 2023
=============  ===========================================  =====================

The ledger: project P1 (甲三村, task T01) planned to end 2023-06-30 and still 在建 (overdue at
the data's as-of date 2023-12-31), P2 (乙一村, task T04) 已完工; none for task T08.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

YEARS = (2022, 2023)
COUNTY = "340722"
#: (village code, name, township code, township name, county code, county name)
VILLAGES = (
    ("340722001001", "甲一村", "340722001", "甲镇", "340722", "枞阳县"),
    ("340722001002", "甲二村", "340722001", "甲镇", "340722", "枞阳县"),
    ("340722001003", "甲三村", "340722001", "甲镇", "340722", "枞阳县"),
    ("340722002001", "乙一村", "340722002", "乙镇", "340722", "枞阳县"),
    ("340722002002", "乙二村", "340722002", "乙镇", "340722", "枞阳县"),
    ("340705001001", "丙一村", "340705001", "丙镇", "340705", "铜官区"),
    ("340705001002", "丙二村", "340705001", "丙镇", "340705", "铜官区"),
    ("340202001001", "丁一村", "340202001", "丁镇", "340202", "镜湖区"),
)
#: The exceptions in 枞阳县 (module docstring): indicator -> year -> villages with the item.
YES = {"village_plan": {2023: {"340722001001", "340722001002"}, 2022: set()},
       "health_room": {2023: {"340722002001"}, 2022: {"340722002001"}}}
INCOME = 3000.0


def write_small_city(folder: Path) -> Path:
    """Write the data folder (module docstring) into ``folder``."""
    from hemei_tools.catalogue import load_catalogue

    ind = load_catalogue().indicators
    villages, obs = [], []
    for code, name, town, town_name, county, county_name in VILLAGES:
        villages.append({"village_code": code, "village_name": name, "township_code": town,
                         "township_name": town_name, "county_code": county, "county_name": county_name,
                         "village_type": "一般村", "designation_year": "", "build_status": "",
                         "population": 900, "households": 300})
        for row in ind.itertuples():
            for year in YEARS:
                top = float(row.max_value)
                x = float(row.min_value) if county == "340202" else top
                if county == COUNTY and row.indicator_id in YES:
                    x = 1.0 if code in YES[row.indicator_id][year] else 0.0
                elif county == COUNTY and row.indicator_id == "rural_income":
                    x = INCOME
                obs.append((code, year, row.indicator_id, x))
    projects = [
        {"project_id": "P1", "village_code": "340722001003", "task_id": "T01", "project_name": "规划",
         "start_date": "2023-01-10", "planned_end": "2023-06-30", "actual_end": "", "budget_wan": 10.0,
         "disbursed_wan": 4.0, "funding_source": "县级", "status": "在建"},
        {"project_id": "P2", "village_code": "340722002001", "task_id": "T04", "project_name": "卫生室",
         "start_date": "2022-03-01", "planned_end": "2022-12-31", "actual_end": "2022-12-20", "budget_wan": 20.0,
         "disbursed_wan": 20.0, "funding_source": "县级", "status": "已完工"},
    ]
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(villages).to_csv(folder / "villages.csv", index=False)
    pd.DataFrame(obs, columns=["village_code", "year", "indicator_id", "value"]).to_csv(
        folder / "observations.csv", index=False)
    pd.DataFrame(projects).to_csv(folder / "projects.csv", index=False)
    (folder / "metadata.json").write_text(json.dumps({"synthetic": True, "as_of": "2023-12-31"}), encoding="utf-8")
    return folder
