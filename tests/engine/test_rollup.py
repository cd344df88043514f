"""Village → township → county → city roll-up, each rule checked against hand arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.rollup import ValuesError, aggregate_values

CAT = load_catalogue()


def first_with(aggregation: str, value_type: str | None = None) -> str:
    """Id of the first catalogue indicator rolled up by ``aggregation`` (no id is hard-coded)."""
    ind = CAT.indicators[CAT.indicators["aggregation"] == aggregation]
    if value_type is not None:
        ind = ind[ind["value_type"] == value_type]
    return str(ind["indicator_id"].iloc[0])


HH = first_with("household_mean")
POP = first_with("population_mean")
SHARE = first_with("village_share", "binary")
MEAN = first_with("village_mean")
SUM = first_with("sum")

VILLAGES = pd.DataFrame({
    "village_code": ["340705001001", "340705001002", "340706002001"],
    "village_name": ["甲村", "乙村", "丙村"],
    "township_code": ["340705001", "340705001", "340706002"],
    "township_name": ["一镇", "一镇", "二镇"],
    "county_code": ["340705", "340705", "340706"],
    "county_name": ["铜官区", "铜官区", "义安区"],
    "population": [300, 900, 500],
    "households": [100, 300, 200],
})


def obs(rows):
    return pd.DataFrame(rows, columns=["village_code", "year", "indicator_id", "value"])


OBS = obs([
    ("340705001001", 2023, HH, 50.0), ("340705001002", 2023, HH, 90.0), ("340706002001", 2023, HH, np.nan),
    ("340705001001", 2023, SHARE, 1), ("340705001002", 2023, SHARE, 0), ("340706002001", 2023, SHARE, 1),
    ("340705001001", 2023, POP, 10000), ("340705001002", 2023, POP, 20000), ("340706002001", 2023, POP, 30000),
    ("340705001001", 2023, SUM, 5), ("340705001002", 2023, SUM, 7), ("340706002001", 2023, SUM, np.nan),
    ("340705001001", 2023, MEAN, 10), ("340705001002", 2023, MEAN, 20), ("340706002001", 2023, MEAN, 60),
])


@pytest.fixture(scope="module")
def uv():
    return aggregate_values(OBS, VILLAGES, CAT)


def pick(uv, level, unit, iid, year=2023):
    r = uv[(uv["level"] == level) & (uv["unit_code"] == unit) & (uv["indicator_id"] == iid) & (uv["year"] == year)]
    assert len(r) == 1, (level, unit, iid)
    return r.iloc[0]


def test_household_weighted_mean_by_hand(uv):
    # (100·50 + 300·90) / (100 + 300) = 32000 / 400 = 80; the village without a value drops out
    assert pick(uv, "township", "340705001", HH)["value"] == pytest.approx(80.0)
    city = pick(uv, "city", "3407", HH)
    assert city["value"] == pytest.approx(80.0)
    assert (city["n_villages"], city["n_total"]) == (2, 3)
    assert np.isnan(pick(uv, "county", "340706", HH)["value"])


def test_village_share_by_hand(uv):
    assert pick(uv, "village", "340705001001", SHARE)["value"] == 100.0
    assert pick(uv, "village", "340705001002", SHARE)["value"] == 0.0
    assert pick(uv, "township", "340705001", SHARE)["value"] == pytest.approx(50.0)
    assert pick(uv, "city", "3407", SHARE)["value"] == pytest.approx(200 / 3)


def test_population_mean_sum_and_village_mean(uv):
    # (300·10000 + 900·20000 + 500·30000) / 1700 = 36,000,000 / 1700
    assert pick(uv, "city", "3407", POP)["value"] == pytest.approx(36_000_000 / 1700)
    assert pick(uv, "township", "340705001", SUM)["value"] == pytest.approx(12.0)
    assert pick(uv, "city", "3407", SUM)["value"] == pytest.approx(12.0)
    assert pick(uv, "city", "3407", MEAN)["value"] == pytest.approx(30.0)
    assert pick(uv, "county", "340705", MEAN)["value"] == pytest.approx(15.0)


def test_codes_names_and_parents(uv):
    assert list(uv.columns[:5]) == ["level", "unit_code", "unit_name", "parent_code", "county_code"]
    assert pick(uv, "village", "340706002001", MEAN)["parent_code"] == "340706002"
    t = pick(uv, "township", "340706002", MEAN)
    assert (t["unit_name"], t["parent_code"], t["county_code"], t["n_total"]) == ("二镇", "340706", "340706", 1)
    c = pick(uv, "county", "340705", MEAN)
    assert (c["unit_name"], c["parent_code"], c["n_total"]) == ("铜官区", "3407", 2)
    city = pick(uv, "city", "3407", MEAN)
    assert (city["unit_name"], city["parent_code"], city["county_code"]) == ("铜陵市", "", "")
    assert uv.groupby("level").size().to_dict() == {"village": 15, "township": 10, "county": 10, "city": 5}


def test_unknown_city_keeps_its_code_and_levels_filter():
    v = VILLAGES.assign(county_code=["990101"] * 3, township_code=["990101001"] * 3)
    out = aggregate_values(OBS, v, CAT, levels=("city",))
    assert set(out["level"]) == {"city"}
    assert set(out["unit_name"]) == {"9901"}


def test_zero_household_weight_is_left_out():
    v = VILLAGES.assign(households=[0, 300, 200])
    out = aggregate_values(OBS, v, CAT, levels=("township",))
    assert pick(out, "township", "340705001", HH)["value"] == pytest.approx(90.0)


@pytest.mark.parametrize("bad, match", [
    (obs([("999999999999", 2023, HH, 1.0)]), "not in the villages table"),
    (obs([("340705001001", 2023, "no_such_indicator", 1.0)]), "not in the catalogue"),
    (pd.concat([OBS.iloc[:1], OBS.iloc[:1]]), "duplicated"),
    (OBS.drop(columns="value"), "lacks column"),
])
def test_bad_observations_say_what_to_fix(bad, match):
    with pytest.raises(ValuesError, match=match):
        aggregate_values(bad, VILLAGES, CAT)


def test_missing_households_column_is_named():
    with pytest.raises(ValuesError, match="households"):
        aggregate_values(OBS, VILLAGES.drop(columns="households"), CAT)
