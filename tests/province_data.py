"""A tiny three-city province with values set by hand (see ``tests/engine/test_regions.py``).

Three cities of province 34 (3401, 3402, 3407 in the packaged division list), each with two
counties of one township and two villages; every scored indicator at its catalogue minimum in
3401, its maximum in 3407 and its midpoint in 3402; ``industry_output`` set per village.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

CITIES = ("3401", "3402", "3407")
LEVEL_OF = {"3401": 0.0, "3402": 0.5, "3407": 1.0}
AMOUNT = "industry_output"
AMOUNT_VALUES = {"3401": [100, 100, 100, 100], "3402": [200, 200, 600, 600], "3407": [700, 700, 700, 700]}
YEAR = 2023


def write_province(folder: Path) -> Path:
    """Write the three-city data folder (module docstring) into ``folder``."""
    from hemei_tools.catalogue import load_catalogue

    ind = load_catalogue().indicators
    villages, obs = [], []
    for city in CITIES:
        for j in range(4):
            county = f"{city}{j // 2 + 1:02d}"
            code = f"{county}001{j + 1:03d}"
            villages.append({"village_code": code, "village_name": f"村{city}{j}", "township_code": f"{county}001",
                             "township_name": f"镇{county}", "county_code": county, "county_name": f"县{county}",
                             "village_type": "一般村", "designation_year": "", "build_status": "",
                             "population": 900, "households": 300})
            for row in ind.itertuples():
                if row.indicator_id == AMOUNT:
                    x = float(AMOUNT_VALUES[city][j])
                elif row.value_type == "binary":
                    x = float(j % 2) if city == "3402" else LEVEL_OF[city]
                else:
                    x = row.min_value + LEVEL_OF[city] * (row.max_value - row.min_value)
                obs += [(code, year, row.indicator_id, x) for year in (2022, YEAR)]
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(villages).to_csv(folder / "villages.csv", index=False)
    pd.DataFrame(obs, columns=["village_code", "year", "indicator_id", "value"]).to_csv(
        folder / "observations.csv", index=False)
    (folder / "metadata.json").write_text(json.dumps({"synthetic": True}), encoding="utf-8")
    return folder


