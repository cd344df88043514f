"""Official division codes (NBS 统计用区划代码, 2023 edition) packaged with hemei-tools.

Real, public data: the province of Anhui (code 34, ``anhui_provinces.csv``: its row of the same
source's ``provinces.csv``), its 16 cities, 119 county-level units, 1,685 township-level units and
18,334 village-level units, of which 13,583 are administrative villages (村民委员会). Source
and licence: ``hemei_tools/data/divisions/README.md``.
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from hemei_tools.inputs.aliases import name_suffixes

_VILLAGE_SHORT = name_suffixes("village")
ADMIN_VILLAGE_SUFFIXES = tuple(_VILLAGE_SHORT)
"""Suffixes of administrative villages' official names (村委会, 村民委员会; ``name_suffix``
rows of ``aliases.csv``)."""
DEMO_CITY = "3407"


def _read(name: str) -> pd.DataFrame:
    ref = resources.files("hemei_tools") / "data" / "divisions" / name
    with resources.as_file(ref) as path:
        return pd.read_csv(path, dtype=str)


@functools.cache
def _all_villages() -> pd.DataFrame:
    """Every Anhui administrative village with its township, county and city (cached)."""
    v = _read("anhui_villages.csv")
    v = v[v["name"].str.endswith(ADMIN_VILLAGE_SUFFIXES)]
    t = _read("anhui_townships.csv").rename(columns={"code": "township_code", "name": "township_name"})
    c = _read("anhui_counties.csv").rename(
        columns={"code": "county_code", "name": "county_name", "cityCode": "city_code"}
    )
    m = _read("anhui_cities.csv").rename(columns={"code": "city_code", "name": "city_name"})
    out = (
        v.rename(columns={"code": "village_code", "name": "village_name", "streetCode": "township_code"})
        .drop(columns="areaCode")
        .merge(t.drop(columns="areaCode"), on="township_code", how="left")
        .merge(c, left_on=v["areaCode"].values, right_on="county_code", how="left")
        .merge(m, on="city_code", how="left")
    )
    cols = ["village_code", "village_name", "township_code", "township_name", "county_code",
            "county_name", "city_code", "city_name"]
    return out[cols].sort_values("village_code").reset_index(drop=True)


def load_villages(city_code: str | None = DEMO_CITY) -> pd.DataFrame:
    """Administrative villages of one city (default the demo city 3407, 铜陵) or of all Anhui.

    Parameters
    ----------
    city_code
        Four-digit city code, or ``None`` for every Anhui administrative village (13,583).

    Returns
    -------
    pandas.DataFrame
        ``village_code`` (12 digits), ``village_name`` (official, e.g. ``横山村委会``),
        ``township_code``, ``township_name``, ``county_code``, ``county_name``, ``city_code``,
        ``city_name``; all strings, sorted by village code. A copy: callers may modify it.
    """
    v = _all_villages()
    if city_code is not None:
        v = v[v["city_code"] == str(city_code)]
        if v.empty:
            raise KeyError(f"no administrative villages for city code {city_code!r}")
    return v.reset_index(drop=True).copy()


@functools.cache
def division_names() -> dict[str, str]:
    """Official names by code: the province (2 digits), cities (4) and county-level units (6).

    Returns
    -------
    dict
        ``{"34": "安徽省", "3407": "铜陵市", "340722": "枞阳县", ...}`` from the packaged
        ``anhui_provinces.csv``, ``anhui_cities.csv`` and ``anhui_counties.csv``. A copy is
        not made: do not modify the returned dict.
    """
    names: dict[str, str] = {}
    for file in ("anhui_provinces.csv", "anhui_cities.csv", "anhui_counties.csv"):
        table = _read(file)
        names.update(zip(table["code"], table["name"], strict=True))
    return names


def short_name(official: str) -> str:
    """Village name as offices write it: ``横山村委会`` → ``横山村``, ``X村民委员会`` → ``X村``."""
    for suffix, short in _VILLAGE_SHORT.items():
        if official.endswith(suffix):
            return official[: -len(suffix)] + short
    return official
