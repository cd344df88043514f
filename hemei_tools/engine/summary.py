"""The answer first: what a report's 结论摘要 states, as numbers (no wording, no matplotlib).

Everything here selects from a :class:`~hemei_tools.engine.region.RegionAnalysis` (one extra,
cheap index build over all years, and at province scale one aggregation of the other units for
two years) and returns frames or plain dicts that :mod:`hemei_tools.present.summary_sections`
turns into records and sentences:

* :func:`index_history` — the unit's 和美指数 and dimensions in every year of the data up to the
  report year, with the rank among its peers (a county among its city's counties);
* :func:`standing` — index, rank in the city and, when the data reach beyond the city, in the
  province (:func:`province_ranks`), and the change since the first year;
* :func:`priorities` — the three tasks furthest from the benchmark with their worst indicator
  turned into a quantity: for a yes/no indicator counted as a share of villages
  (``value_type`` binary), the villages still without it,
  ``n_without = round((1 − share/100) · n_total)`` with ``n_total`` the unit's villages (unit
  values' ``n_total``); for any other indicator the gap in its unit (``abs_gap``);
* :func:`child_table`, :func:`lagging_units` — the region's child units (a county's townships,
  a city's counties, the province's cities) by index, and the 后进 among them: those scoring
  below the unit's own index ``s_c < s_unit``, lowest first, at most ``k = min(3, ⌊n/2⌋)`` of
  them, with their weakest villages (weakest counties for the province);
* :func:`village_table`, :func:`lagging_villages` — every village of a county with its rank and
  three weakest indicators (ties broken by how far the village is below its county,
  :func:`below_county`), and the bottom ``N = min(10, ⌈n/5⌉)`` villages;
* :func:`plan_items` — the plan targets (:attr:`RegionAnalysis.plan`) with the unit's own part;
* :func:`recommendations` — 3–5 建议, each naming a task, an indicator, the places concerned and
  the evidence (distance, trend, the task's overdue projects in the ledger); a task's overdue
  projects lead the recommendation only when they matter (:func:`overdue_matters`).

A place "concerned" by an indicator (:func:`places_for`) is a child unit with the largest
shortfall on it: most villages without it (binary) or the largest gap d·(B − x); in a unit with
a single child, its villages instead (those without it, weakest first; or the lowest values).
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LAGGING_MAX", "LAGGING_VILLAGES_MAX", "OVERDUE_MIN", "OVERDUE_SHARE", "PLACES_MAX", "PRIORITY_TASKS",
    "RECOMMENDATIONS_MAX", "SUB_UNITS", "WEAK_INDICATORS", "below_county", "child_table", "index_history",
    "lagging_count", "lagging_units", "lagging_villages", "lagging_villages_count", "overdue_matters", "places_for",
    "plan_items", "priorities", "province_ranks", "province_scores", "recommendations", "standing", "unit_score", "village_table",
    "villages_to_benchmark", "villages_without", "weak_order",
]

#: Priority tasks named in the summary.
PRIORITY_TASKS = 3
#: At most this many lagging child units (townships, counties, cities) are named.
LAGGING_MAX = 3
#: Weakest sub-units (villages; counties for the province) named per lagging unit.
SUB_UNITS = 2
#: At most this many villages in the 后进村 table.
LAGGING_VILLAGES_MAX = 10
#: Weakest indicators listed per village.
WEAK_INDICATORS = 3
#: Places named per indicator in a recommendation.
PLACES_MAX = 3
#: At most this many recommendations.
RECOMMENDATIONS_MAX = 5
#: A task's overdue projects lead its recommendation (action ``overdue``) only when they are at
#: least this share of the task's projects …
OVERDUE_SHARE = 0.10
#: … and at least this many (one overdue project of 32 is no reason to "clear overdue projects first").
OVERDUE_MIN = 2
#: A score this close to 100 is at the benchmark (floating-point sums of weights).
_EPS = 1e-6


# ---------------------------------------------------------------------------------- helpers
def villages_without(share: float, n_total: int) -> int:
    """Villages without a yes/no item: ``round((1 − share/100) · n_total)`` (share in % of villages).

    >>> villages_without(17.368421, 190)
    157
    """
    if share is None or n_total is None or pd.isna(share) or pd.isna(n_total):
        return 0
    return int(math.floor((1 - float(share) / 100) * int(n_total) + 0.5))


def villages_to_benchmark(share: float, benchmark: float, n_total: int) -> int:
    """Villages still to gain a yes/no item for the unit to reach a benchmark share ``B`` (% of
    villages): ``max(0, ⌈B/100 · n_total⌉ − n_have)`` with ``n_have = n_total −``
    :func:`villages_without`. Equal to the villages without it when ``B`` is 100 %.

    >>> villages_to_benchmark(19.473684, 90.0, 190)  # 37 of 190 villages; 90 % is 171
    134
    """
    if any(x is None or pd.isna(x) for x in (share, benchmark, n_total)):
        return 0
    n_total = int(n_total)
    have = n_total - villages_without(share, n_total)
    return max(0, math.ceil(float(benchmark) / 100 * n_total - 1e-9) - have)


def lagging_count(n_units: int) -> int:
    """At most how many lagging child units are named: ``min(3, ⌊n/2⌋)`` (none with a single
    unit, one of two or three, two of four or five, three from six on); only those below the
    unit's own index count (:func:`lagging_units`)."""
    return min(LAGGING_MAX, int(n_units) // 2)


def overdue_matters(n_projects, n_overdue) -> bool:
    """Whether a task's overdue projects lead its recommendation (action ``overdue``):
    ``m ≥ OVERDUE_MIN`` and ``m ≥ OVERDUE_SHARE · n`` (``m`` overdue of ``n`` projects: at least
    2 and at least 10 %).

    >>> overdue_matters(32, 1), overdue_matters(47, 2), overdue_matters(20, 2), overdue_matters(98, 4)
    (False, False, True, False)
    """
    n = int(n_projects or 0)
    m = int(n_overdue or 0)
    return m >= OVERDUE_MIN and m >= OVERDUE_SHARE * n - 1e-9


def lagging_villages_count(n_villages: int) -> int:
    """Rows of the 后进村 table: ``min(10, ⌈n/5⌉)`` (3 of 12 villages, 10 of 190)."""
    return min(LAGGING_VILLAGES_MAX, -(-int(n_villages) // 5))


_YEAR_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _year_frames(a) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(values, scores)`` of the report year, sliced once per analysis (the analysis is
    frozen; filters below compare categorical codes and convert only the rows they keep)."""
    hit = _YEAR_FRAMES.get(a)
    if hit is None:
        v, s = a.values, a.result.scores
        hit = _YEAR_FRAMES[a] = (v[v["year"] == a.year], s[s["year"] == a.year])
    return hit


_CHILDREN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _children(a) -> pd.Series:
    """:meth:`RegionAnalysis.children`, computed once per analysis."""
    hit = _CHILDREN.get(a)
    if hit is None:
        hit = _CHILDREN[a] = a.children()
    return hit


def _sub_level(a) -> str:
    """Level of the units named inside a lagging child: villages, or counties for the province."""
    return "county" if a.level == "province" else "village"


def _of_unit(frame: pd.DataFrame, a) -> pd.DataFrame:
    """Rows of ``frame`` (village, township or county level) inside the report's unit."""
    if a.level == "county":
        return frame[frame["county_code"] == a.unit_code]
    return frame


def _parent_child(frame: pd.DataFrame, child_level: str) -> pd.Series:
    """Code of the child unit (township, county, city) holding each row (village or county rows)."""
    from hemei_tools.engine.region import _child_codes

    return _child_codes(frame, child_level).astype(str)


def _binary(cat, indicator_id: str) -> bool:
    """A yes/no item counted as a share of villages (``value_type`` binary, ``village_share``;
    the set of such ids is built once per catalogue)."""
    return indicator_id in cat.memo("summary.binary_ids", lambda: _binary_ids(cat))


def _binary_ids(cat) -> frozenset:
    """Ids of the catalogue's yes/no items counted as a share of villages (first row of an id)."""
    ind = cat.indicators.drop_duplicates("indicator_id")
    keep = (ind["value_type"] == "binary") & (ind["aggregation"] == "village_share")
    return frozenset(ind.loc[keep, "indicator_id"].tolist())


def _direction(cat, indicator_id: str) -> int:
    ind = cat.indicators
    return int(ind.loc[ind["indicator_id"] == indicator_id, "direction"].iloc[0])


def _none(x) -> Any:
    """``None`` for a missing value, else a plain Python number or string."""
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return x


# ---------------------------------------------------------------------------------- standing
def index_history(a) -> pd.DataFrame:
    """The unit's 和美指数 and dimension scores in every year with data up to the report year.

    One extra :func:`~hemei_tools.engine.composite.build_index` of the unit values at the
    unit's level (and its city's) over all years, with the report's spec and resolved
    benchmarks (so the report year's scores are those of ``a.result``; with
    ``imputation="locf"`` ``a.result`` holds every year already and is reused). Villages and
    townships are not scored again: a county's score rests on its own aggregated values.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``node``, ``node_level`` (index or dimension), ``score``, ``rank`` (among the
        units of the unit's level in the build: a county among its city's counties) and
        ``n_units`` (units of that level scored in the year), by year then catalogue order.
    """
    from hemei_tools.engine.composite import build_index

    cat = a.catalogue
    levels = {a.level, a.reference_level}
    v = a.values[a.values["level"].isin(levels) & (a.values["year"] <= a.year)]
    years = tuple(sorted(int(y) for y in v.loc[v["value"].notna(), "year"].unique()))
    if a.result.spec.imputation == "locf" or years == (a.year,):
        s = a.result.scores
    else:
        spec = dataclasses.replace(a.result.spec, years=years)
        s = build_index(v, cat, spec, benchmarks=a.result.benchmarks).scores
    s = s[(s["level"] == a.level) & s["node_level"].isin(["index", "dimension"]) & (s["year"] <= a.year)]
    n_units = s[s["node_level"] == "index"].dropna(subset=["score"]).groupby("year").size()
    mine = s[s["unit_code"] == a.unit_code]
    order = {c: i for i, c in enumerate([cat.index_code, *cat.dimensions["code"]])}
    out = pd.DataFrame({"year": mine["year"].astype(int).to_numpy(), "node": mine["node"].astype(str).to_numpy(),
                        "node_level": mine["node_level"].astype(str).to_numpy(),
                        "score": mine["score"].to_numpy(float), "rank": mine["rank"].to_numpy(float)})
    out["n_units"] = out["year"].map(n_units).fillna(0).astype(int)
    out = out.dropna(subset=["score"])
    return (out.assign(_o=out["node"].map(order)).sort_values(["year", "_o"], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def province_ranks(a, years: tuple[int, ...]) -> pd.DataFrame:
    """Rank of a county among the province's counties (a city among its cities) in ``years``,
    when the data hold units of the province outside the report's city; else empty.

    The data set's villages of the province are aggregated to the unit's level for those years
    only (:func:`~hemei_tools.engine.rollup.aggregate_values`) and scored with the report's
    spec and benchmarks (:func:`province_scores`: the same for every unit of the level, so
    computed once per data set and stored). Columns ``year``, ``score``, ``rank``,
    ``n_units``, ``whole_province`` (the data hold every city of the province in the packaged
    division list).
    """
    cols = ["year", "score", "rank", "n_units", "whole_province"]
    if a.level not in ("county", "city"):
        return pd.DataFrame(columns=cols)
    scores, whole = province_scores(a, years)
    if scores is None:
        return pd.DataFrame(columns=cols)
    mine = scores[scores["unit_code"] == a.unit_code]
    return pd.DataFrame({"year": mine["year"].to_numpy(int), "score": mine["score"].to_numpy(float),
                         "rank": mine["rank"].to_numpy(float), "n_units": mine["n_units"].to_numpy(int),
                         "whole_province": whole}).sort_values("year").reset_index(drop=True)


def province_scores(a, years: tuple[int, ...]) -> tuple[pd.DataFrame | None, bool]:
    """The 和美指数 of every unit of the report's level (county or city) in the report's
    province, in ``years``, and whether the data cover the whole province: ``(scores, whole)``;
    ``(None, False)`` when the data hold a single city of the province.

    ``scores`` has one row per scored unit and year: ``unit_code``, ``year``, ``score``,
    ``rank`` (1 = best among the province's units of the level that year), ``n_units`` (units
    scored that year). Every county report of a batch needs the same frame, and each runs in its
    own process, so it is kept in the store (:func:`hemei_tools.inputs.store.stored`, kind
    ``analyses``: engine results shared by reports) under a key of everything it depends on
    (:func:`_province_key`): the data set's input fingerprint, the catalogue's content, the
    spec, the benchmarks' content, the level, the province, the years and the package's code
    (and the library versions, as every store key). Without a safe key (a data set not loaded
    through the store, a spec of another type or with a method from outside the package) it is
    computed.
    """
    villages = a.ctx.dataset.villages
    province = a.unit_code[:2]
    inside = villages["county_code"].astype(str).str.startswith(province)
    villages = villages[inside]
    if len(set(villages["county_code"].astype(str).str[:4].unique())) < 2:
        return None, False
    years = tuple(sorted({int(y) for y in years}))

    def compute() -> tuple[pd.DataFrame, bool]:
        return _province_scores(a, villages, province, years, bool(inside.all()))

    key = _province_key(a, province, years)
    if key is None:
        return compute()
    from hemei_tools.engine.memo import STORE_KIND
    from hemei_tools.inputs.store import stored

    return stored(STORE_KIND, "province_scores", key, compute)


def _province_scores(a, villages: pd.DataFrame, province: str, years: tuple[int, ...], all_inside: bool
                     ) -> tuple[pd.DataFrame, bool]:
    """:func:`province_scores`, computed (``villages``: the data set's villages of the province)."""
    from hemei_tools.engine.composite import build_index
    from hemei_tools.engine.region import _covers_province
    from hemei_tools.engine.rollup import aggregate_values

    obs = a.ctx.dataset.observations
    keep = np.isin(obs["year"].to_numpy(), list(years))
    if not all_inside:  # villages of another province: leave their rows out
        keep &= obs["village_code"].isin(villages["village_code"]).to_numpy()
    obs = obs.loc[keep, ["village_code", "year", "indicator_id", "value"]]
    values = aggregate_values(obs, villages, a.catalogue, levels=(a.level,))
    spec = dataclasses.replace(a.result.spec, years=tuple(sorted(int(y) for y in values["year"].unique())))
    s = build_index(values, a.catalogue, spec, benchmarks=a.result.benchmarks).scores
    s = s[(s["level"] == a.level) & (s["node_level"] == "index")].dropna(subset=["score"])
    n = s.groupby("year").size()
    out = pd.DataFrame({"unit_code": s["unit_code"].astype(str).to_numpy(dtype=object),
                        "year": s["year"].astype(int).to_numpy(), "score": s["score"].to_numpy(float),
                        "rank": s["rank"].to_numpy(float), "n_units": s["year"].map(n).astype(int).to_numpy()})
    return out, _covers_province(villages, province)


def _province_key(a, province: str, years: tuple[int, ...]) -> dict[str, str] | None:
    """The store key of :func:`province_scores`: :func:`hemei_tools.engine.memo.input_key` (the
    spec without its years: the scores cover the years asked for) with the benchmarks' content,
    the level, the province and the years; ``None`` when an input cannot be named safely (then
    the scores are computed, never looked up)."""
    from hemei_tools.catalogue import frame_fingerprint
    from hemei_tools.engine.memo import input_key

    spec = a.result.spec
    key = input_key(a.ctx.dataset, a.catalogue, dataclasses.replace(spec, years=())
                    if dataclasses.is_dataclass(spec) else spec)
    if key is None:
        return None
    try:
        benchmarks = frame_fingerprint(a.result.benchmarks)
    except Exception:  # noqa: BLE001 - anything unnamed: compute instead
        return None
    return {**key, "benchmarks": benchmarks, "level": str(a.level), "province": province,
            "years": ",".join(map(str, years))}


def standing(a, history: pd.DataFrame | None = None, province: pd.DataFrame | None = None) -> dict[str, Any]:
    """Where the unit stands: the index in the report year, its rank among its peers (a county in
    its city; ``None`` without peers), the city's score (a county's), the first year of the data
    with the score and rank then and the change, and the province rank (:func:`province_ranks`).

    Returns
    -------
    dict
        ``score``, ``rank``, ``n_units``, ``reference_score``, ``first_year``, ``first_score``,
        ``first_rank``, ``change`` (score − first_score, points; ``None`` with one year),
        ``province_rank``, ``province_n``, ``province_first_rank``, ``whole_province``.
    """
    cat = a.catalogue
    h = index_history(a) if history is None else history
    idx = h[h["node"] == cat.index_code].set_index("year")
    now = idx.loc[a.year]
    first_year = int(idx.index.min())
    first = idx.loc[first_year]
    s = _year_frames(a)[1]
    city = s[(s["unit_code"] == a.city_code) & (s["level"] == a.reference_level) & (s["node"] == cat.index_code)]
    n_units = int(now["n_units"])
    out = {"score": float(now["score"]), "rank": int(now["rank"]) if n_units > 1 else None, "n_units": n_units,
           "reference_score": float(city["score"].iloc[0]) if a.level == "county" and len(city) else None,
           "first_year": first_year, "first_score": float(first["score"]),
           "first_rank": int(first["rank"]) if int(first["n_units"]) > 1 else None,
           "first_n_units": int(first["n_units"]),
           "change": float(now["score"] - first["score"]) if first_year != a.year else None,
           "province_rank": None, "province_n": None, "province_first_rank": None, "whole_province": False}
    p = province_ranks(a, (first_year, a.year)) if province is None else province
    if not p.empty and a.year in set(p["year"]):
        row = p.set_index("year")
        out.update(province_rank=int(row.at[a.year, "rank"]), province_n=int(row.at[a.year, "n_units"]),
                   whole_province=bool(row.at[a.year, "whole_province"]))
        if first_year in row.index and first_year != a.year:
            out["province_first_rank"] = int(row.at[first_year, "rank"])
    return out


# ---------------------------------------------------------------------------------- children
def child_table(a) -> pd.DataFrame:
    """The region's child units (a county's townships, a city's counties, the province's cities)
    by 和美指数, best first.

    Columns ``unit_code``, ``unit_name``, ``score``, ``rank`` (among the children, 1 = best;
    the engine ranks townships city-wide), ``n_units`` (children scored), ``n_villages``,
    ``worst_task`` and ``worst_task_score`` (the child's lowest task score; ties in catalogue
    order), ``weakest_code``, ``weakest_name``, ``weakest_score`` (its lowest sub-unit:
    village, or county for the province). Built once per analysis; each call returns a copy.
    """
    hit = _CHILD_TABLES.get(a)
    if hit is None:
        hit = _CHILD_TABLES[a] = _child_table(a)
    return hit.copy()


_CHILD_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _child_table(a) -> pd.DataFrame:
    """:func:`child_table`, computed."""
    cat = a.catalogue
    child = a.child_level
    names = _children(a)
    s = _year_frames(a)[1]
    s = s[(s["level"] == child) & s["unit_code"].isin(list(names.index))]
    idx = s[s["node_level"] == "index"].dropna(subset=["score"])
    out = pd.DataFrame({"unit_code": idx["unit_code"].astype(str).to_numpy(), "score": idx["score"].to_numpy(float)})
    out["unit_name"] = out["unit_code"].map(names)
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    out["n_units"] = len(out)
    villages = a.villages
    counts = _parent_child(villages.assign(parent_code=villages["township_code"]), child).value_counts()
    out["n_villages"] = out["unit_code"].map(counts).fillna(0).astype(int)
    task_order = {c: i for i, c in enumerate(cat.tasks["code"].astype(str))}
    tasks = s[s["node_level"] == "task"].dropna(subset=["score"])
    tasks = tasks.assign(_o=tasks["node"].astype(str).map(task_order).fillna(0)).sort_values(
        ["unit_code", "score", "_o"], kind="stable")
    worst = tasks.drop_duplicates("unit_code")
    worst = worst.set_index(worst["unit_code"].astype(str))
    out["worst_task"] = out["unit_code"].map(worst["node"].astype(str))
    out["worst_task_score"] = out["unit_code"].map(worst["score"]).astype(float)
    sub = _sub_scores(a)
    low = sub.sort_values(["score", "unit_code"], kind="stable").drop_duplicates("child").set_index("child")
    out["weakest_code"] = out["unit_code"].map(low["unit_code"])
    out["weakest_name"] = out["unit_code"].map(low["unit_name"])
    out["weakest_score"] = out["unit_code"].map(low["score"]).astype(float)
    cols = ["unit_code", "unit_name", "score", "rank", "n_units", "n_villages", "worst_task", "worst_task_score",
            "weakest_code", "weakest_name", "weakest_score"]
    return out[cols].sort_values(["rank", "unit_code"], kind="stable").reset_index(drop=True)


def _sub_scores(a) -> pd.DataFrame:
    """Index scores of the sub-units (villages; counties for the province) of the unit in the
    report year, with the child unit holding each: ``unit_code``, ``unit_name``, ``score``,
    ``child``."""
    cat = a.catalogue
    s = _year_frames(a)[1]
    s = s[(s["node"] == cat.index_code) & (s["level"] == _sub_level(a))]
    s = _of_unit(s, a).dropna(subset=["score"])
    return pd.DataFrame({"unit_code": s["unit_code"].astype(str).to_numpy(),
                         "unit_name": s["unit_name"].astype(str).to_numpy(), "score": s["score"].to_numpy(float),
                         "child": _parent_child(s, a.child_level).to_numpy()})


def unit_score(a) -> float:
    """The unit's own 和美指数 in the report year (``a.result.scores``)."""
    s = _year_frames(a)[1]
    return float(s.loc[(s["unit_code"] == a.unit_code) & (s["node"] == a.catalogue.index_code)
                       & (s["level"] == a.level), "score"].iloc[0])


def lagging_units(a, children: pd.DataFrame | None = None, k: int | None = None,
                  per_unit: int = SUB_UNITS) -> pd.DataFrame:
    """The 后进 child units: those scoring below the unit's own index, ``s_c < s_unit`` (a
    township below its county, a county below its city, a city below the province), lowest
    first, at most ``k`` of them (default :func:`lagging_count` of the ``n`` children,
    ``min(3, ⌊n/2⌋)``), each with its ``per_unit`` weakest sub-units (villages; counties for the
    province).

    Columns of :func:`child_table` plus ``weakest`` (a list of ``{"code", "name", "score"}``,
    lowest first). Empty with a single child unit, or when no child scores below the unit.
    """
    c = child_table(a) if children is None else children
    k = lagging_count(len(c)) if k is None else int(k)
    below = c[c["score"] < unit_score(a)] if len(c) else c
    low = below.sort_values(["score", "unit_code"], ascending=[True, True], kind="stable").head(k).reset_index(
        drop=True)
    sub = _sub_scores(a).sort_values(["score", "unit_code"], kind="stable")
    low["weakest"] = [[{"code": r.unit_code, "name": r.unit_name, "score": float(r.score)}
                       for r in sub[sub["child"] == code].head(per_unit).itertuples()] for code in low["unit_code"]]
    return low


def weakest_sub_units(a, n: int = SUB_UNITS + 1) -> list[dict]:
    """The unit's ``n`` lowest sub-units (villages; counties for the province), lowest first."""
    sub = _sub_scores(a).sort_values(["score", "unit_code"], kind="stable").head(n)
    return [{"code": r.unit_code, "name": r.unit_name, "score": float(r.score)} for r in sub.itertuples()]


# ---------------------------------------------------------------------------------- villages
def below_county(village: np.ndarray, county: np.ndarray, binary: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """How far each village value is below its county's, as a fraction (larger = further below):

    * a yes/no item (``binary``; village 0 or 1, county the share of its villages with it, %):
      ``d · (x_c/100 − x_v)`` — a village without it scores the county's share, so an item most
      villages of the county have comes first;
    * any other indicator: ``d · (x_c − x_v) / |x_c|`` = ``1 − x_v/x_c`` for ``d = +1`` (the
      village's value relative to the county's, ascending); ``NaN`` when ``x_c`` is 0 or missing.

    Arrays broadcast (villages × indicators; ``binary``, ``direction`` per indicator).

    >>> below_county(np.array([0.0, 6000.0]), np.array([75.0, 12000.0]), np.array([True, False]), np.array([1, 1]))
    array([0.75, 0.5 ])
    """
    village, county = np.asarray(village, float), np.asarray(county, float)
    d = np.asarray(direction, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = d * (county - village) / np.abs(county)
    rel = np.where(np.isfinite(rel), rel, np.nan)
    return np.where(np.asarray(binary, bool), d * (county / 100 - village), rel)


def weak_order(scores: np.ndarray, below: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Order of the indicators (columns) of each village (row), weakest first: goalpost score
    ascending (missing and reached, ≥ 100, last), then, among equal scores, how far the village is
    below its county descending (:func:`below_county`; unknown last), then effective weight
    descending, then catalogue (column) order.

    >>> weak_order(np.array([[0.0, 0.0, 0.0, 50.0]]), np.array([[0.2, 0.6, 0.6, 0.9]]),
    ...            np.array([0.5, 0.1, 0.3, 0.1]))
    array([[2, 1, 0, 3]])
    """
    x = np.asarray(scores, float)
    if x.shape[1] == 0:
        return np.empty(x.shape, dtype=int)
    x = np.where(x >= 100 - _EPS, np.nan, x)
    key_score = np.where(np.isnan(x), np.inf, x)
    b = np.broadcast_to(np.asarray(below, float), x.shape)
    key_below = np.where(np.isnan(b), np.inf, -b)
    w = np.broadcast_to(-np.asarray(weights, float), x.shape)
    cols = np.broadcast_to(np.arange(x.shape[1]), x.shape)
    return np.lexsort((cols, w, key_below, key_score), axis=1)


def village_table(a) -> pd.DataFrame:
    """Every scored village of the unit, best first: ``village_code``, ``village_name``,
    ``township_code``, ``township_name``, ``score``, ``rank`` (1 = best, among the unit's
    villages), ``n_villages``, one column per dimension code, and ``weak_1`` … ``weak_3`` (the
    village's three weakest indicators, :func:`weak_order`: lowest goalpost score; ties — such as
    the many yes/no items a weak village lacks, all scoring 0 — broken by how far the village is
    below its county (:func:`below_county`: for a yes/no item the county's share of villages
    with it, descending; else the village value relative to the county's, ascending), then by
    the larger effective weight, then catalogue order; only indicators short of the benchmark,
    so fewer than three when the village has reached the others: ``None``) with their values
    ``weak_1_value`` … .
    """
    from hemei_tools.engine.composite import effective_weights

    cat = a.catalogue
    s = _year_frames(a)[1]
    s = _of_unit(s[s["level"] == "village"], a)
    idx = s[s["node"] == cat.index_code].dropna(subset=["score"])
    codes = idx["unit_code"].astype(str).to_numpy()
    out = pd.DataFrame({"village_code": codes, "village_name": idx["unit_name"].astype(str).to_numpy(),
                        "township_code": idx["parent_code"].astype(str).to_numpy(),
                        "score": idx["score"].to_numpy(float)})
    towns = a.villages.drop_duplicates("township_code")
    out["township_name"] = out["township_code"].map(dict(zip(towns["township_code"].astype(str),
                                                             towns["township_name"].astype(str), strict=True)))
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    out["n_villages"] = len(out)
    dims = s[s["node_level"] == "dimension"]
    wide = dims.pivot_table(index="unit_code", columns="node", values="score", aggfunc="first", observed=True)
    wide.index = wide.index.astype(str)
    for d in cat.dimensions["code"]:
        out[d] = out["village_code"].map(wide[d]) if d in wide.columns else np.nan
    ind = s[s["node_level"] == "indicator"]
    ids = list(cat.scored_ids)
    scores = ind.pivot_table(index="unit_code", columns="node", values="score", aggfunc="first", observed=True)
    scores.index = scores.index.astype(str)
    scores = scores.reindex(index=codes, columns=ids)
    w = effective_weights(cat, a.result.spec.weight_overrides).reindex(ids).to_numpy(float)
    x = scores.to_numpy(float)
    v_all = _year_frames(a)[0]
    v = _of_unit(v_all[v_all["level"] == "village"], a)
    vals = v.pivot_table(index="unit_code", columns="indicator_id", values="value", aggfunc="first", observed=True)
    vals.index = vals.index.astype(str)
    vals = vals.reindex(index=codes, columns=ids).to_numpy(float)
    # each village's county values, for the ties (how far the village is below its county)
    cv = v_all[v_all["level"] == "county"]
    county_vals = cv.pivot_table(index="unit_code", columns="indicator_id", values="value", aggfunc="first",
                                 observed=True)
    county_vals.index = county_vals.index.astype(str)
    county_of = dict(zip(v["unit_code"].astype(str), v["county_code"].astype(str), strict=True))
    cvals = county_vals.reindex(index=[county_of.get(c, "") for c in codes], columns=ids).to_numpy(float)
    meta = cat.indicators.set_index(cat.indicators["indicator_id"].astype(str))
    binary = np.array([_binary(cat, i) for i in ids], dtype=bool)
    direction = meta["direction"].reindex(ids).to_numpy(float)
    # order per row (weak_order): score ascending (missing and reached, 100, last), then how far
    # below the county, then weight descending, then catalogue order; a reached indicator is never weak
    order = weak_order(x, below_county(vals, cvals, binary, direction), w)
    x = np.where(x >= 100 - _EPS, np.nan, x)
    rows = np.arange(len(codes))
    out["n_zero"] = (x == 0).sum(axis=1) if len(ids) else 0
    for j in range(WEAK_INDICATORS):
        if j >= len(ids):
            break
        pick = order[:, j]
        ok = ~np.isnan(x[rows, pick])
        out[f"weak_{j + 1}"] = np.where(ok, np.array(ids, dtype=object)[pick], None)
        out[f"weak_{j + 1}_value"] = np.where(ok, vals[rows, pick], np.nan)
    cols = ["village_code", "village_name", "township_code", "township_name", "score", "rank", "n_villages",
            *cat.dimensions["code"], "n_zero", *[c for j in range(WEAK_INDICATORS) for c in (f"weak_{j + 1}",
                                                                                    f"weak_{j + 1}_value")]]
    return out[[c for c in cols if c in out.columns]].sort_values(["rank", "village_code"], kind="stable"
                                                                  ).reset_index(drop=True)


def lagging_villages(a, villages: pd.DataFrame | None = None) -> pd.DataFrame:
    """The bottom :func:`lagging_villages_count` villages of :func:`village_table`, lowest first."""
    v = village_table(a) if villages is None else villages
    n = lagging_villages_count(len(v))
    return v.sort_values(["score", "village_code"], kind="stable").head(n).reset_index(drop=True)


# ---------------------------------------------------------------------------------- priorities
def places_for(a, indicator_id: str, n: int = PLACES_MAX) -> list[dict]:
    """The places with the largest shortfall on one indicator in the report year.

    With two or more child units: the children (townships, counties, cities) ordered by the
    villages without the item (binary: ``round((1 − share/100)·n_total)`` each) or by the gap
    d·(B − x) in the indicator's unit, keeping those short of the benchmark. With a single child:
    the villages (counties for the province) without the item, weakest village first, or those
    with the largest gap. Each place is ``{"code", "name", "level", "value", "n_without",
    "n_total", "gap"}``.
    """
    cat = a.catalogue
    binary = _binary(cat, indicator_id)
    d = _direction(cat, indicator_id)
    bm = a.result.benchmarks.set_index("indicator_id")["benchmark"]
    bench = float(bm.get(indicator_id, np.nan))
    names = _children(a)
    v = _year_frames(a)[0]
    v = v[v["indicator_id"] == indicator_id]
    single = len(names) < 2
    level = _sub_level(a) if single else a.child_level
    rows = v[v["level"] == level]
    rows = _of_unit(rows, a) if single else rows[rows["unit_code"].isin(list(names.index))]
    rows = rows.dropna(subset=["value"])
    if rows.empty:
        return []
    value = rows["value"].to_numpy(float)
    gap = d * (bench - value)
    n_total = rows["n_total"].to_numpy(float)
    without = np.floor((1 - value / 100) * n_total + 0.5) if binary else np.full(len(rows), np.nan)
    f = pd.DataFrame({"code": rows["unit_code"].astype(str).to_numpy(), "name": rows["unit_name"].astype(str).to_numpy(),
                      "value": value, "gap": gap, "n_total": n_total, "n_without": without})
    if single:
        sub = _sub_scores(a).set_index("unit_code")["score"]
        f["score"] = f["code"].map(sub)
        if binary:
            f = f[f["n_without"] > 0].sort_values(["score", "code"], kind="stable")
        else:
            f = f[f["gap"] > 0].sort_values(["gap", "code"], ascending=[False, True], kind="stable")
    elif binary:
        f = f[f["n_without"] > 0].sort_values(["n_without", "gap", "code"], ascending=[False, False, True],
                                              kind="stable")
    else:
        f = f[f["gap"] > 0].sort_values(["gap", "code"], ascending=[False, True], kind="stable")
    return [{"code": r.code, "name": r.name, "level": level, "value": float(r.value),
             "n_without": None if pd.isna(r.n_without) else int(r.n_without), "n_total": int(r.n_total),
             "gap": float(r.gap)} for r in f.head(n).itertuples()]


def _unit_value_row(a, indicator_id: str) -> pd.Series | None:
    v = _year_frames(a)[0]
    row = v[(v["unit_code"] == a.unit_code) & (v["indicator_id"] == indicator_id) & (v["level"] == a.level)]
    return None if row.empty else row.iloc[0]


def _ledger_row(a, task_id: str) -> dict[str, Any] | None:
    """The task's ledger counts, ``None`` when the data hold no ledger; zeros when the task has no project."""
    led = a.ledger
    if led is None or led.empty:
        return None
    row = led[led["task_id"].astype(str) == task_id]
    if row.empty:
        return {"n_projects": 0, "n_finished": 0, "n_overdue": 0, "completion_rate": None,
                "disbursement_rate": None}
    r = row.iloc[0]
    return {"n_projects": int(r["n_projects"]), "n_finished": int(r["n_finished"]), "n_overdue": int(r["n_overdue"]),
            "completion_rate": _none(r["completion_rate"]), "disbursement_rate": _none(r["disbursement_rate"])}


def _trend_row(a, indicator_id: str) -> dict[str, Any]:
    t = a.trends
    row = t[(t["unit_code"] == a.unit_code) & (t["indicator_id"] == indicator_id) & (t["level"] == a.level)]
    keys = ("closes", "year_closes", "trend_class", "target_year", "base_year", "value_base")
    if row.empty:
        return dict.fromkeys(keys)
    r = row.iloc[0]
    return {k: _none(r[k]) if k in r.index else None for k in keys}


def priorities(a, n: int = PRIORITY_TASKS) -> pd.DataFrame:
    """The ``n`` tasks furthest from the benchmark (the task rows of ``a.links``, ranked by
    their mean distance) with their worst indicator as a quantity, trend and ledger.

    Columns ``rank``, ``task_id``, ``dimension_id``, ``distance`` (task, 0–100), ``indicator_id``,
    ``binary``, ``value``, ``benchmark``, ``benchmark_region``, ``benchmark_year``,
    ``benchmark_kind``, ``abs_gap`` (d·(B − x), indicator unit), ``indicator_distance``,
    ``n_total`` (the unit's villages), ``n_with_value``, ``n_without`` (binary: villages without
    it, :func:`villages_without`; else ``None``), ``n_needed`` (binary: villages still to gain it
    to reach the benchmark share, :func:`villages_to_benchmark`; else ``None``), the trend (``closes``, ``year_closes``,
    ``trend_class``, ``target_year``), the ledger of the task (``n_projects``, ``n_finished``,
    ``n_overdue``, ``completion_rate``, ``disbursement_rate``: ``None`` without a ledger) and
    ``places`` (:func:`places_for`).
    """
    cat = a.catalogue
    links = a.links
    tasks = links[links["kind"] == "task"].sort_values("rank", kind="stable").head(n)
    g = a.gaps[(a.gaps["unit_code"] == a.unit_code) & (a.gaps["level"] == a.level) & (a.gaps["year"] == a.year)].copy()
    g["indicator_id"] = g["indicator_id"].astype(str)
    g = g.set_index("indicator_id")
    rows = []
    for i, t in enumerate(tasks.to_dict("records"), start=1):
        iid = t.get("worst_indicator")
        iid = "" if iid is None or (not isinstance(iid, str) and pd.isna(iid)) else str(iid)
        row = {"rank": i, "task_id": str(t["task_id"]), "dimension_id": str(t["dimension_id"]),
               "distance": float(t["distance"]), "indicator_id": iid}
        if iid and iid in g.index:
            gr = g.loc[iid]
            uv = _unit_value_row(a, iid)
            binary = _binary(cat, iid)
            n_total = int(uv["n_total"]) if uv is not None else len(a.villages)
            row.update(binary=binary, value=_none(gr["value"]), benchmark=_none(gr["benchmark"]),
                       benchmark_region=_none(gr["benchmark_region"]), benchmark_year=_none(gr["benchmark_year"]),
                       benchmark_kind=_none(gr["benchmark_kind"]), abs_gap=_none(gr["abs_gap"]),
                       indicator_distance=_none(gr["distance"]), n_total=n_total,
                       n_with_value=int(uv["n_villages"]) if uv is not None else None,
                       n_without=villages_without(gr["value"], n_total) if binary else None,
                       n_needed=villages_to_benchmark(gr["value"], gr["benchmark"], n_total) if binary else None,
                       **_trend_row(a, iid), places=places_for(a, iid))
        led = _ledger_row(a, row["task_id"])
        row.update(led if led is not None else dict.fromkeys(("n_projects", "n_finished", "n_overdue",
                                                              "completion_rate", "disbursement_rate")))
        row["has_ledger"] = led is not None
        rows.append(row)
    cols = ["rank", "task_id", "dimension_id", "distance", "indicator_id", "binary", "value", "benchmark",
            "benchmark_region", "benchmark_year", "benchmark_kind", "abs_gap", "indicator_distance", "n_total",
            "n_with_value", "n_without", "n_needed", "closes", "year_closes", "trend_class", "target_year", "base_year",
            "value_base", "n_projects", "n_finished", "n_overdue", "completion_rate", "disbursement_rate",
            "has_ledger", "places"]
    return pd.DataFrame(rows, columns=cols, dtype=object)


# ---------------------------------------------------------------------------------- plan
#: Plan statuses that judge a target, in the order the summary names them.
_JUDGED = ("behind", "on schedule", "ahead")


def plan_items(a) -> list[dict[str, Any]]:
    """The plan targets shown for the unit (``a.plan`` rows that are targets, not parts), each
    with the unit's own counts when the target is its city's (a county's part).

    Each item: ``programme``, ``programme_zh``, ``region_code``, ``item``, ``item_zh``,
    ``status``, ``start_year``, ``target_year``, ``target_new``, ``accepted``,
    ``under_construction``, ``declared``, ``expected_whole``, ``shortfall``, ``as_of``, and
    ``part`` (``{"accepted", "under_construction", "declared"}`` of the unit, or ``None``).
    Judged targets (behind, on schedule, ahead) first, then the others in plan order.
    """
    p = a.plan
    if p is None or p.empty:
        return []
    if "target_region" not in p.columns:
        p = p.assign(target_region="")
    keys = ("programme", "programme_zh", "region_code", "item", "item_zh", "status", "start_year", "target_year",
            "target_new", "accepted", "under_construction", "declared", "expected_whole", "shortfall", "as_of")
    rows = p.to_dict("records")
    out = []
    for r in rows:
        if str(r.get("target_region", "")):
            continue
        item = {k: _none(r.get(k)) for k in keys}
        item["region_code"] = str(r["region_code"])
        part = [q for q in rows if str(q.get("target_region", "")) == item["region_code"]
                and str(q["region_code"]) == a.unit_code and q["programme"] == r["programme"]
                and q["item"] == r["item"]]
        item["part"] = ({k: _none(part[0].get(k)) for k in ("accepted", "under_construction", "declared")}
                        if part else None)
        out.append(item)
    rank = {s: i for i, s in enumerate(_JUDGED)}
    return sorted(out, key=lambda it: rank.get(str(it["status"]), len(rank)))


# ---------------------------------------------------------------------------------- recommendations
def _action(p: dict) -> str:
    """What a priority task's recommendation asks for, from the ledger and the trend:
    ``overdue`` (the task's overdue projects matter, :func:`overdue_matters`: at least 2 and at
    least 10 % of its projects), ``no_projects`` (the ledger has none for it),
    ``accelerate`` (the benchmark is not reached at the current pace, or later than the target
    year), else ``close_gap``."""
    if p.get("has_ledger") and overdue_matters(p.get("n_projects"), p.get("n_overdue")):
        return "overdue"
    if p.get("has_ledger") and (p.get("n_projects") or 0) == 0:
        return "no_projects"
    late = (p.get("closes") == "not at current pace"
            or (p.get("year_closes") is not None and p.get("target_year") is not None
                and float(p["year_closes"]) > float(p["target_year"])))
    return "accelerate" if late else "close_gap"


def _weakest_task(a, level: str, codes: list[str]) -> tuple[str, str, dict[str, float]]:
    """The task with the lowest mean score over the units ``codes`` of ``level`` (ties in
    catalogue order), its indicator with the lowest mean score, and each unit's score on that
    indicator: ``(task_id, indicator_id, {code: indicator score})``; ``("", "", {})`` when every
    task is at its benchmark (100)."""
    cat = a.catalogue
    s = _year_frames(a)[1]
    s = s[s["unit_code"].isin(codes) & (s["level"] == level)]
    tasks = s[s["node_level"] == "task"].groupby("node", observed=True)["score"].mean().dropna()
    if tasks.empty:
        return "", "", {}
    tasks.index = tasks.index.astype(str)
    tasks = tasks.reindex([t for t in cat.tasks["code"].astype(str) if t in tasks.index])
    if float(tasks.min()) >= 100 - _EPS:
        return "", "", {}
    task = str(tasks.idxmin())
    ind = cat.indicators
    ids = set(ind.loc[(ind["task_id"].astype(str) == task) & ind["scored"], "indicator_id"].astype(str))
    inds = s[(s["node_level"] == "indicator") & s["node"].isin(sorted(ids))]
    means = inds.groupby("node", observed=True)["score"].mean().dropna()
    means.index = means.index.astype(str)
    if means.empty:
        return task, "", {}
    catalogue_order = [i for i in cat.scored_ids if i in means.index]
    means = means.reindex(catalogue_order)
    iid = str(means.idxmin())
    per = inds[inds["node"] == iid]
    return task, iid, dict(zip(per["unit_code"].astype(str), per["score"].astype(float), strict=True))


def _unit_indicator_values(a, level: str, codes: list[str], indicator_id: str) -> dict[str, float]:
    v = _year_frames(a)[0]
    v = v[v["unit_code"].isin(codes) & (v["indicator_id"] == indicator_id) & (v["level"] == level)]
    return dict(zip(v["unit_code"].astype(str), v["value"].astype(float), strict=True))


def _declining(a, exclude: set[str]) -> dict[str, Any] | None:
    """The indicator of the unit moving away from its benchmark the most since the trend's base
    year (``trend_class == "moving away"``; the largest loss d·(x₀ − x₁) relative to the
    distance from floor to benchmark), not among ``exclude``; ``None`` when none."""
    cat = a.catalogue
    t = a.trends
    t = t[(t["unit_code"] == a.unit_code) & (t["level"] == a.level) & (t["trend_class"] == "moving away")]
    t = t[~t["indicator_id"].astype(str).isin(exclude)]
    if t.empty:
        return None
    bm = a.result.benchmarks.set_index("indicator_id")
    loss = []
    for r in t.itertuples():
        iid = str(r.indicator_id)
        d = _direction(cat, iid)
        span = abs(float(bm.at[iid, "benchmark"]) - float(bm.at[iid, "goalpost_low"])) if "goalpost_low" in bm \
            else 1.0
        loss.append(d * (float(r.value_base) - float(r.value_latest)) / (span or 1.0))
    best = int(np.argmax(loss))
    r = t.iloc[best]
    iid = str(r["indicator_id"])
    task = str(cat.indicators.set_index("indicator_id").at[iid, "task_id"])
    # the children that lost most on it
    names = _children(a)
    level = _sub_level(a) if len(names) < 2 else a.child_level
    v = a.values
    v = v[(v["indicator_id"] == iid) & (v["level"] == level) & v["year"].isin([int(r["base_year"]), a.year])]
    v = _of_unit(v, a) if len(names) < 2 else v[v["unit_code"].isin(list(names.index))]
    wide = v.pivot_table(index=["unit_code", "unit_name"], columns="year", values="value", aggfunc="first",
                         observed=True)
    places = []
    if int(r["base_year"]) in wide.columns and a.year in wide.columns:
        drop = (_direction(cat, iid) * (wide[int(r["base_year"])] - wide[a.year])).dropna()
        drop = drop[drop > 0].sort_values(ascending=False, kind="stable").head(PLACES_MAX)
        places = [{"code": str(c), "name": str(n), "level": level, "value_base": float(wide.at[(c, n), int(r["base_year"])]),
                   "value": float(wide.at[(c, n), a.year]), "drop": float(x)} for (c, n), x in drop.items()]
    return {"task_id": task, "indicator_id": iid, "base_year": int(r["base_year"]), "value_base": float(r["value_base"]),
            "value": float(r["value_latest"]), "places": places}


def recommendations(a, prio: pd.DataFrame | None = None, lagging: pd.DataFrame | None = None,
                    n_max: int = RECOMMENDATIONS_MAX) -> list[dict[str, Any]]:
    """3–5 建议 as data, each naming a task, an indicator, places and the evidence.

    In order:

    1. one per priority task (:func:`priorities`, ``kind`` ``task``) with its ``action``
       (:func:`_action`: ``overdue``, ``no_projects``, ``accelerate`` or ``close_gap``): the
       worst indicator and its quantity, the places with the largest shortfall, the task's
       distance, the indicator's trend and the task's projects;
    2. one for the lagging child units (``kind`` ``lagging``, those below the unit's index,
       :func:`lagging_units`; none when no child is below it; the weakest villages of a unit with
       a single child): their scores against the unit's (``unit_score``), the level of their
       weakest sub-units (``sub_level``: village, county for the province), the task they are weakest on together
       (lowest mean task score) and its weakest indicator, and their weakest villages;
    3. one for the indicator moving away from its benchmark the most (``kind`` ``declining``),
       when there is one not named above.

    At most ``n_max``; ``rank`` numbers them.
    """
    cat = a.catalogue
    p = priorities(a) if prio is None else prio
    out: list[dict[str, Any]] = []
    for r in p.to_dict("records"):
        if not r.get("indicator_id"):
            continue
        out.append({"kind": "task", "action": _action(r), **r})
    lag = lagging_units(a) if lagging is None else lagging
    own = unit_score(a)
    if not lag.empty:
        codes = list(lag["unit_code"].astype(str))
        task, iid, per = _weakest_task(a, a.child_level, codes)
        if task:
            values = _unit_indicator_values(a, a.child_level, codes, iid) if iid else {}
            out.append({"kind": "lagging", "task_id": task, "indicator_id": iid, "level": a.child_level,
                        "binary": bool(iid) and _binary(cat, iid),
                        "sub_level": _sub_level(a), "unit_score": own,
                        "places": [{"code": str(r.unit_code), "name": str(r.unit_name), "score": float(r.score),
                                    "value": values.get(str(r.unit_code)), "indicator_score": per.get(str(r.unit_code)),
                                    "weakest": list(r.weakest)} for r in lag.itertuples()]})
    elif len(_children(a)) == 1:
        weakest = weakest_sub_units(a)
        codes = [w["code"] for w in weakest]
        task, iid, per = _weakest_task(a, _sub_level(a), codes)
        if task:
            values = _unit_indicator_values(a, _sub_level(a), codes, iid) if iid else {}
            out.append({"kind": "lagging", "task_id": task, "indicator_id": iid, "level": _sub_level(a),
                        "binary": bool(iid) and _binary(cat, iid),
                        "sub_level": _sub_level(a), "unit_score": own,
                        "places": [{**w, "value": values.get(w["code"]), "indicator_score": per.get(w["code"]),
                                    "weakest": []} for w in weakest]})
    named = {str(r.get("indicator_id")) for r in out}
    decline = _declining(a, named)
    if decline is not None:
        out.append({"kind": "declining", **decline})
    out = out[:n_max]
    for i, r in enumerate(out, start=1):
        r["rank"] = i
    return out
