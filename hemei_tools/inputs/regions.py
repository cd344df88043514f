"""The region hierarchy of a data set: province, cities and counties, by six-digit code.

A report is about one *region*: a county-level unit, a city or the province, each named by a
six-digit division code (``340722``, ``340700``, ``340000``). :func:`region_table` derives the
regions of a villages table; :func:`list_regions` and :func:`list_counties` do so for a data
folder.
"""

from __future__ import annotations

import os

import pandas as pd

from hemei_tools.inputs.store import load_dataset_cached

#: Region levels, largest first, with the digits of the division code that name a unit
#: (``unit_code``: ``34``, ``3407``, ``340722``); a region code pads it with zeros to six.
REGION_DIGITS = {"province": 2, "city": 4, "county": 6}


def list_counties(data_dir: str | os.PathLike = "") -> pd.DataFrame:
    """Counties present in the data: ``county_code``, ``county_name``, ``n_villages``, sorted by code."""
    v = load_dataset_cached(data_dir).villages
    out = (v.groupby(["county_code", "county_name"], as_index=False)
             .agg(n_villages=("village_code", "size")))
    return out.sort_values("county_code").reset_index(drop=True)


def region_table(villages: pd.DataFrame) -> pd.DataFrame:
    """Regions of a villages table: the province(s) when it spans several cities, cities, counties.

    Parameters
    ----------
    villages
        Villages table with ``county_code`` and ``county_name`` (optional ``city_name`` and
        ``province_name`` columns name the upper levels; else the packaged division list,
        :func:`hemei_tools.inputs.divisions.division_names`, else the code).

    Returns
    -------
    pandas.DataFrame
        ``level`` (province, city, county), ``region_code`` (six digits: ``340000``,
        ``340700``, ``340722``), ``region_name``, ``parent_code`` (six digits; ``""`` for a
        top region: the province, or the city when the data hold one city), ``n_villages``;
        sorted provinces, cities, counties, each by code.
    """
    from hemei_tools.inputs.divisions import division_names

    official = division_names()
    v = pd.DataFrame({"county": villages["county_code"].astype(str).to_numpy(),
                      "name": villages["county_name"].astype(str).to_numpy()})
    for level, col in (("city", "city_name"), ("province", "province_name")):
        v[level] = v["county"].str[:REGION_DIGITS[level]]
        v[f"{level}_name"] = (villages[col].astype(str).to_numpy() if col in villages.columns
                              else v[level].map(official).fillna(v[level]))
    with_province = v["city"].nunique() > 1
    parts = []
    for level, name, parent in (("province", "province_name", None), ("city", "city_name", "province"),
                                ("county", "name", "city")):
        if level == "province" and not with_province:
            continue
        g = v.groupby(level, sort=True)
        t = g.agg(region_name=(name, "first"), n_villages=(name, "size")).reset_index(names="unit")
        t["parent_code"] = ("" if parent is None or (parent == "province" and not with_province)
                            else t["unit"].str[:REGION_DIGITS[parent]].str.ljust(6, "0"))
        t["region_code"] = t["unit"].str.ljust(6, "0")
        parts.append(t.assign(level=level))
    out = pd.concat(parts, ignore_index=True)
    return out[["level", "region_code", "region_name", "parent_code", "n_villages"]]


def _top_regions(regions: pd.DataFrame) -> pd.DataFrame:
    """The regions without a parent: one unless the data span several provinces."""
    return regions[regions["parent_code"] == ""]


def list_regions(data_dir: str | os.PathLike = "") -> pd.DataFrame:
    """Regions present in the data (:func:`region_table` of its villages table).

    One row per province (when the data span more than one city), city and county, with
    six-digit codes: ``level``, ``region_code``, ``region_name``, ``parent_code``,
    ``n_villages``; sorted province, cities, counties.
    """
    return region_table(load_dataset_cached(data_dir).villages)


