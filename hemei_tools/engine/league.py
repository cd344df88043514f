"""The province's county league: every county of the province by 和美指数 (no wording, no matplotlib).

:func:`county_league` selects from a province :class:`~hemei_tools.engine.region.RegionAnalysis`
(``a.level == "province"``), which scores every county of the province in the report year
already (``a.result``) and lights every county's tasks (``a.status``). Only the change since
the first year of the data needs one extra, cheap :func:`~hemei_tools.engine.composite.build_index`
of the county values of that one year, with the report's spec and resolved benchmarks (skipped
when ``a.result`` holds that year already: ``imputation="locf"``, or a single year).

For county ``i`` of city ``c`` with 和美指数 ``s_i`` in the report year:

* ``rank`` — ``1 + #{j : s_j > s_i}`` over the province's scored counties (ties share the best
  place, pandas ``method="min"``); ``city_rank`` the same among the counties of ``c``;
* ``change`` — ``s_i − s_i(y₀)`` with ``y₀`` the first year with county values up to the report
  year (NaN when ``y₀`` is the report year or the county has no score in ``y₀``);
* ``red_lights`` — the number of the county's tasks lit red (the "two worst indicators" rule of
  :func:`~hemei_tools.engine.gaps.rollup_status`);
* ``city_median`` — the median of ``s_j`` over the scored counties of ``c``.
"""

from __future__ import annotations

import dataclasses
import weakref

import numpy as np
import pandas as pd

__all__ = ["LEAGUE_COLUMNS", "county_league", "first_year_scores"]

#: Columns of :func:`county_league`.
LEAGUE_COLUMNS = ["unit_code", "unit_name", "city_code", "city_name", "score", "rank", "n_units", "city_rank",
                  "city_n", "first_year", "first_score", "change", "red_lights", "city_median"]

_LEAGUE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _index_scores(scores: pd.DataFrame, year: int) -> pd.Series:
    """和美指数 of every county in ``year``, by county code (scored counties only)."""
    s = scores[(scores["level"] == "county") & (scores["node_level"] == "index") & (scores["year"] == year)]
    s = s.dropna(subset=["score"])
    return pd.Series(s["score"].to_numpy(float), index=s["unit_code"].astype(str).to_numpy(), name="score")


def first_year_scores(a) -> tuple[int, pd.Series]:
    """``(y₀, scores)``: the first year with county values up to the report year, and every
    county's 和美指数 in it, by county code.

    Taken from ``a.result`` when it holds ``y₀`` (the report year itself, or every year with
    ``imputation="locf"``); else one :func:`~hemei_tools.engine.composite.build_index` of the
    county values of ``y₀`` alone, with the report's spec and benchmarks (goalposts come from the
    catalogue, so a county scores as it would in a report of that year).
    """
    from hemei_tools.engine.composite import build_index

    v = a.values
    county = v[(v["level"] == "county") & (v["year"] <= a.year)]
    years = county.loc[county["value"].notna(), "year"]
    first = int(years.min()) if len(years) else int(a.year)
    held = _index_scores(a.result.scores, first)
    if len(held) or first == a.year:
        return first, held
    spec = dataclasses.replace(a.result.spec, years=(first,))
    built = build_index(county[county["year"] == first], a.catalogue, spec, benchmarks=a.result.benchmarks)
    return first, _index_scores(built.scores, first)


def county_league(a) -> pd.DataFrame:
    """Every scored county of the province in the report year, best first (module docstring).

    Parameters
    ----------
    a
        A :class:`~hemei_tools.engine.region.RegionAnalysis` of a province; any other level
        gives an empty frame (a city report has no province league).

    Returns
    -------
    pandas.DataFrame
        :data:`LEAGUE_COLUMNS`: ``unit_code``, ``unit_name``, ``city_code`` (4 digits),
        ``city_name``, ``score``, ``rank`` (1 = best, ties ``min``), ``n_units`` (counties
        ranked), ``city_rank``, ``city_n`` (the city's counties ranked), ``first_year``,
        ``first_score``, ``change`` (points; NaN with one year), ``red_lights`` (tasks lit red),
        ``city_median``; sorted by rank, then county code. Computed once per analysis.
    """
    if a.level != "province":
        return pd.DataFrame(columns=LEAGUE_COLUMNS)
    hit = _LEAGUE.get(a)
    if hit is not None:
        return hit.copy()
    from hemei_tools.engine.summary import _year_frames

    values, scores = _year_frames(a)
    now = _index_scores(scores, a.year)
    units = values[values["level"].isin(["county", "city"])].drop_duplicates(["level", "unit_code"])
    names = dict(zip(units["unit_code"].astype(str), units["unit_name"].astype(str), strict=True))
    out = pd.DataFrame({"unit_code": now.index.to_numpy(dtype=object), "score": now.to_numpy(float)})
    out["unit_name"] = out["unit_code"].map(names)
    out["city_code"] = out["unit_code"].str[:4]
    out["city_name"] = out["city_code"].map(names)
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    out["n_units"] = len(out)
    by_city = out.groupby("city_code")["score"]
    out["city_rank"] = by_city.rank(method="min", ascending=False).astype(int)
    out["city_n"] = by_city.transform("size").astype(int)
    out["city_median"] = by_city.transform("median").astype(float)
    first, before = first_year_scores(a)
    out["first_year"] = first
    out["first_score"] = out["unit_code"].map(before).astype(float) if first != a.year else np.nan
    out["change"] = out["score"] - out["first_score"]
    st = a.status
    red = st[(st["level"] == "county") & (st["node_level"] == "task") & (st["year"] == a.year)
             & (st["status"] == "red")]
    red = red["unit_code"].astype(str).value_counts()
    out["red_lights"] = out["unit_code"].map(red).fillna(0).astype(int)
    out = out.sort_values(["rank", "unit_code"], kind="stable").reset_index(drop=True)[LEAGUE_COLUMNS]
    _LEAGUE[a] = out
    return out.copy()
