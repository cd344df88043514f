"""Trends towards the benchmark: observed and required growth, trend class, year the gap closes.

For each unit and indicator, :func:`compute_trends` compares the growth observed between the
first and the latest year with data against the growth needed to reach the benchmark by a
target year (by default the end of the Anhui 千村引领、万村升级 programme, read from the
catalogue's ``plan_targets``), classifies the trend and projects the year the gap closes at
the current pace.

Method (Open SDG / Statistics Canada progress measure, "Progress Measurement Methodology for
the Sustainable Development Goals", https://open-sdg.readthedocs.io/en/latest/progress-methodology/ ;
the class names follow the SDG dashboards' trend arrows, Sachs et al., *Sustainable Development
Report*)
---------------------------------------------------------------------------------------------
Compound annual growth rates, with base year t₀, latest year t₁ and target year T::

    CAGR_obs = (y₁ / y₀)^(1/(t₁ − t₀)) − 1
    CAGR_req = (B / y₀)^(1/(T − t₀)) − 1
    R        = (d·CAGR_obs) / (d·CAGR_req)          (d = +1 higher is better, −1 lower)

Linear rule: when y₀ or y₁ is zero or negative (growth rates undefined), and for bounded
percentages (``value_type`` percent or binary) near their ceiling — the latest value or the
benchmark at or above ``TrendSpec.ceiling_share`` of the indicator's ``max_value`` (100 % for
binary items, which are stored as shares of villages) — the absolute annual changes replace the
growth rates: slope_obs = (y₁ − y₀)/(t₁ − t₀), slope_req = (B − y₀)/(T − t₀),
R = (d·slope_obs)/(d·slope_req). Compounding is misleading for a share close to 100 % (it cannot
keep growing at a constant rate), and undefined at 0.

Trend classes (``trend_class``) and the Open SDG wording they map to (:data:`OPEN_SDG_LABELS`):

=======================  =========================================  ====================
class                    Open SDG progress category                 rule (with a target)
=======================  =========================================  ====================
achieved                 Target achieved                            d·(y₁ − B) ≥ 0
on track                 On track                                   R ≥ 0.95
moderately improving     Progress made but acceleration needed      0.60 ≤ R < 0.95
stagnating               Limited progress                           0 ≤ R < 0.60
moving away              Deterioration                              R < 0
=======================  =========================================  ====================

A series with a single year of data gets no class (Open SDG: "Unable to assess").

Without a target (no benchmark, e.g. a context indicator), the class is set on g = d·CAGR_obs
(linear rule: d·slope_obs/|y₀|): on track g ≥ 1.5 %, moderately improving 0.5–1.5 %,
stagnating 0–0.5 %, moving away g < 0. If the base value is already at or beyond the benchmark
and the latest is not, required growth is undefined and the unit is moving away.

Departures from Open SDG, both for bounded village data: Open SDG replaces a zero base or
target by 0.001 and, without a target, scales the growth thresholds down near a natural limit
(factor C); here zeros, negatives and percentages near their ceiling switch to the linear rule
above instead, which keeps R interpretable as "share of the required pace" for shares that move
from 0 % or towards 100 %.

Year the gap closes at the current pace: the smallest n with y₁(1 + CAGR_obs)ⁿ reaching B,
n = ln(B/y₁)/ln(1 + CAGR_obs) (linear: n = (B − y₁)/slope_obs), reported as t₁ + ⌈n⌉; "not at
current pace" when the trend does not point towards the benchmark or n exceeds
``TrendSpec.horizon`` years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.engine.rollup import stacked_categorical
from hemei_tools.errors import HemeiError, SpecError

TREND_CLASSES = ("achieved", "on track", "moderately improving", "stagnating", "moving away")
"""Trend classes from best to worst."""

OPEN_SDG_LABELS = {
    "achieved": "Target achieved",
    "on track": "On track",
    "moderately improving": "Progress made but acceleration needed",
    "stagnating": "Limited progress",
    "moving away": "Deterioration",
}
"""Open SDG progress category of each trend class (Open SDG progress methodology)."""

CLOSES = ("achieved", "projected", "not at current pace")
"""Values of the ``closes`` column."""

TREND_COLUMNS = [
    "level", "unit_code", "unit_name", "county_code", "indicator_id", "direction", "base_year",
    "latest_year", "value_base", "value_latest", "benchmark", "target_year", "method",
    "cagr_obs", "cagr_req", "slope_obs", "slope_req", "ratio", "trend_class", "year_closes",
    "closes",
]


class TrendError(HemeiError):
    """Values, years or benchmarks cannot give a trend (missing year, missing benchmark)."""


@dataclass(frozen=True)
class TrendSpec:
    """Thresholds of the trend classes and of the linear rule, as data.

    Parameters
    ----------
    on_track_ratio, moderate_ratio : float
        R thresholds (fractions): on track at R ≥ 0.95, moderately improving at R ≥ 0.60
        (Open SDG defaults).
    on_track_growth, moderate_growth : float
        Thresholds (fractions per year) on d·CAGR_obs when there is no target: 0.015 and
        0.005 (Open SDG defaults).
    ceiling_share : float
        For percent/binary indicators the linear rule applies when the latest value or the
        benchmark is at least this share of ``max_value`` (default 0.9, i.e. 90 %).
    horizon : int
        Years ahead beyond which a projected closing is reported as "not at current pace".
    """

    on_track_ratio: float = 0.95
    moderate_ratio: float = 0.60
    on_track_growth: float = 0.015
    moderate_growth: float = 0.005
    ceiling_share: float = 0.9
    horizon: int = 50

    def __post_init__(self) -> None:
        if not (0 <= self.moderate_ratio < self.on_track_ratio):
            raise SpecError("TrendSpec: need 0 ≤ moderate_ratio < on_track_ratio")
        if not (0 <= self.moderate_growth < self.on_track_growth):
            raise SpecError("TrendSpec: need 0 ≤ moderate_growth < on_track_growth")
        if not (0 < self.ceiling_share <= 1):
            raise SpecError("TrendSpec.ceiling_share must be in (0, 1]")
        if self.horizon < 1:
            raise SpecError("TrendSpec.horizon must be at least 1 year")


def default_target_year(catalogue: Catalogue | None = None) -> int:
    """End year of the provincial programme in the catalogue's ``plan_targets``.

    Returns the latest ``target_year`` among rows with ``region_level == "province"`` (the
    Anhui 千村引领、万村升级 programme in the packaged catalogue), or among all rows when no
    provincial row exists.

    Raises
    ------
    TrendError
        The catalogue has no plan targets.
    """
    pt = (catalogue or load_catalogue()).plan_targets
    if pt.empty:
        raise TrendError("the catalogue has no plan_targets; pass target_year= explicitly")
    prov = pt[pt["region_level"] == "province"]
    return int((prov if not prov.empty else pt)["target_year"].max())


def _class_codes(ratio, growth, achieved, has_target, base_beyond, spec: TrendSpec) -> np.ndarray:
    """Trend class per row as an index into :data:`TREND_CLASSES` (−1: nothing can be said)."""
    r = np.asarray(ratio, dtype=float)
    g = np.asarray(growth, dtype=float)
    achieved_, on_track, moderate, stagnating, away = range(5)
    with_target = np.select(
        [achieved, base_beyond, r >= spec.on_track_ratio, r >= spec.moderate_ratio, r >= 0, r < 0],
        [achieved_, away, on_track, moderate, stagnating, away], default=-1)
    without = np.select(
        [g >= spec.on_track_growth, g >= spec.moderate_growth, g >= 0, g < 0],
        [on_track, moderate, stagnating, away], default=-1)
    return np.where(has_target, with_target, without).astype(np.int8)


def compute_trends(
    unit_values: pd.DataFrame,
    benchmarks: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
    target_year: int | None = None,
    base_year: int | None = None,
    latest_year: int | None = None,
    spec: TrendSpec | None = None,
) -> pd.DataFrame:
    """Observed versus required growth, trend class and closing year per unit and indicator.

    Parameters
    ----------
    unit_values : pandas.DataFrame
        Long frame from ``rollup.aggregate_values`` (``level``, ``unit_code``, ``year``,
        ``indicator_id``, ``value``; optional ``unit_name``, ``county_code``).
    benchmarks : pandas.DataFrame, optional
        Resolved benchmarks (``indicator_id``, ``benchmark``). ``None``: every trend is
        classified without a target.
    catalogue : Catalogue, optional
        Direction, value type and ``max_value`` of each indicator, and the default target
        year; default: the packaged catalogue.
    target_year : int, optional
        Year by which the benchmark should be reached; default :func:`default_target_year`.
    base_year, latest_year : int, optional
        Restrict the window; default: each series' first and latest year with a value.
    spec : TrendSpec, optional
        Class thresholds and the linear rule; default ``TrendSpec()``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TREND_COLUMNS`: ``cagr_obs``/``cagr_req`` (fractions per year; NaN where
        undefined), ``slope_obs``/``slope_req`` (indicator units per year), ``method``
        (``cagr`` or ``linear``, the one behind ``ratio``), ``ratio`` R (fraction, 0.95 = 95 %),
        ``trend_class`` (:data:`TREND_CLASSES`; NaN for a single year of data),
        ``year_closes`` (Int64, NA unless projected) and ``closes`` (:data:`CLOSES`; NA without
        a target). Formulas in the module docstring. The text columns (``level``,
        ``unit_code``, ``indicator_id``, ``method``, ``trend_class``, ``closes``) are
        categoricals of strings: one small integer per row at province scale.

    Raises
    ------
    TrendError
        Missing columns, a requested base or latest year with no data, a scored indicator with
        no benchmark, or a target year not after the base year.
    """
    spec = spec or TrendSpec()
    catalogue = catalogue or load_catalogue()
    need = ["level", "unit_code", "year", "indicator_id", "value"]
    miss = [c for c in need if c not in unit_values.columns]
    if miss:
        raise TrendError(f"unit_values lacks column(s) {', '.join(miss)}; build it with rollup.aggregate_values")
    target_year = int(target_year if target_year is not None else default_target_year(catalogue))
    extra = [c for c in ("unit_name", "county_code") if c in unit_values.columns]
    df = _window(unit_values[[*need, *extra]], base_year, latest_year)

    ind = catalogue.indicators.set_index("indicator_id")
    present = pd.Index(df["indicator_id"].unique())
    unknown = sorted(set(present) - set(ind.index))
    if unknown:
        raise TrendError(f"indicator(s) {', '.join(unknown)} are not in the catalogue; fix the ids or the catalogue")
    meta = ind.loc[present, ["direction", "value_type", "max_value", "scored"]].copy()
    if benchmarks is not None:
        bm = benchmarks.drop_duplicates("indicator_id").set_index("indicator_id")["benchmark"]
        meta["benchmark"] = bm.reindex(present).astype(float)
        lacking = meta.index[meta["scored"].to_numpy(dtype=bool) & meta["benchmark"].isna().to_numpy()]
        if len(lacking):
            raise TrendError(
                f"no benchmark value for scored indicator(s) {', '.join(lacking)}; add a role=benchmark "
                "row to benchmarks.csv or pass benchmarks=None for trends without a target"
            )
    else:
        meta["benchmark"] = np.nan
    return _trends(df, meta, target_year, spec)


def score_trends(
    scores: pd.DataFrame,
    catalogue: Catalogue | None = None,
    target_year: int | None = None,
    base_year: int | None = None,
    latest_year: int | None = None,
    spec: TrendSpec | None = None,
) -> pd.DataFrame:
    """Trends of index, dimension, task or indicator scores towards the full score of 100.

    A score (0–100, ``IndexResult.scores``) is "% of the way to the benchmark", so its target
    is 100 and it is a bounded percentage: the linear rule applies (score points per year).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``level``, ``unit_code``, ``year``, ``node``, ``score`` (optional ``node_level``,
        ``unit_name``, ``county_code``).
    catalogue, target_year, base_year, latest_year, spec
        As for :func:`compute_trends`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`compute_trends` with ``node`` (and ``node_level`` when given) in
        place of ``indicator_id``; ``benchmark`` is 100 and ``direction`` +1.
    """
    spec = spec or TrendSpec()
    need = ["level", "unit_code", "year", "node", "score"]
    miss = [c for c in need if c not in scores.columns]
    if miss:
        raise TrendError(f"scores lack column(s) {', '.join(miss)}; pass IndexResult.scores")
    if target_year is None:
        target_year = default_target_year(catalogue)
    extra = [c for c in ("unit_name", "county_code") if c in scores.columns]
    df = scores[[*need, *extra]].rename(columns={"node": "indicator_id", "score": "value"})
    df = _window(df, base_year, latest_year)
    nodes = pd.Index(df["indicator_id"].unique())
    meta = pd.DataFrame({"direction": 1, "value_type": "percent", "max_value": 100.0, "scored": True,
                         "benchmark": 100.0}, index=nodes)
    out = _trends(df, meta, int(target_year), spec).rename(columns={"indicator_id": "node"})
    if "node_level" in scores.columns:
        levels = scores[["node", "node_level"]].drop_duplicates("node").set_index("node")["node_level"]
        out.insert(out.columns.get_loc("node") + 1, "node_level", out["node"].map(levels))
    return out


def _window(df: pd.DataFrame, base_year: int | None, latest_year: int | None) -> pd.DataFrame:
    """Rows with a value inside [base_year, latest_year]; TrendError naming the years with data."""
    has = df["value"].notna().to_numpy()
    if not has.all():                          # no copy of millions of rows when nothing drops
        df = df[has]
    years = sorted(int(y) for y in df["year"].unique())
    for name, y in (("base_year", base_year), ("latest_year", latest_year)):
        if y is not None and y not in years:
            raise TrendError(f"no data for {name}={y}; years with data: {years}")
    if base_year is not None:
        df = df[(df["year"] >= base_year).to_numpy()]
    if latest_year is not None:
        df = df[(df["year"] <= latest_year).to_numpy()]
    if df.empty:
        raise TrendError("no values to compute trends from; check the years and the input frame")
    return df


def _trends(df: pd.DataFrame, meta: pd.DataFrame, target_year: int, spec: TrendSpec) -> pd.DataFrame:
    """Core of :func:`compute_trends`: ``meta`` (indexed by id) has direction, value_type,
    max_value and benchmark (NaN = no target) for every id in ``df``."""
    out, ends = _series_ends(df)
    ic, ind_u, t0, t1, y0, y1 = ends

    def per_indicator(column: pd.Series) -> np.ndarray:
        return column.reindex(ind_u).to_numpy()[ic]

    # plain arrays from here: every intermediate is one column of millions of rows
    d = per_indicator(meta["direction"]).astype(np.int64)
    b = per_indicator(meta["benchmark"].astype(float)).astype(float)
    has_target = ~np.isnan(b)
    early = has_target & (t0 >= target_year)
    if early.any():
        raise TrendError(
            f"target_year {target_year} is not after the base year {int(t0[early].min())}; "
            "pass a later target_year or an earlier base_year"
        )
    ok = (t1 - t0).astype(float) > 0
    pos = (y0 > 0) & (y1 > 0)
    cagr_obs, cagr_req, slope_obs, slope_req = _rates(t0, t1, y0, y1, b, has_target, target_year)
    near = _near_ceiling(meta, per_indicator, y1, b, spec)
    use_cagr = pos & ~near & (~np.isnan(cagr_req) | ~has_target)
    del near
    method = np.where(use_cagr, 0, 1).astype(np.int8)
    method[~ok] = -1
    obs = np.where(use_cagr, cagr_obs, slope_obs)
    achieved = has_target & ((d * (y1 - b)) >= 0)
    ratio, cls = _ratio_and_class(d, obs, np.where(use_cagr, cagr_req, slope_req), use_cagr, cagr_obs,
                                  slope_obs, y0, ok, has_target, achieved, spec)
    reachable, closes_year = _closing_year(d, obs, b, y1, t1, use_cagr, cagr_obs, slope_obs, has_target,
                                           achieved, spec)
    del obs
    closes = np.select([achieved, reachable, has_target & ok], [0, 1, 2], default=-1)
    out.update({
        "direction": d, "base_year": t0, "latest_year": t1, "value_base": y0, "value_latest": y1,
        "benchmark": b, "target_year": np.full(len(t0), target_year, dtype=np.int64),
        "method": stacked_categorical([(np.array(["cagr", "linear"], dtype=object), method)]),
        "cagr_obs": cagr_obs, "cagr_req": cagr_req, "slope_obs": slope_obs, "slope_req": slope_req,
        "ratio": ratio,
        "trend_class": stacked_categorical([(np.asarray(TREND_CLASSES, dtype=object), cls)]),
        "year_closes": pd.arrays.IntegerArray(closes_year, ~reachable),
        "closes": stacked_categorical([(np.asarray(CLOSES, dtype=object), closes)]),
    })
    return pd.DataFrame({c: out[c] for c in TREND_COLUMNS}, copy=False)


def _series_ends(df: pd.DataFrame) -> tuple[dict, tuple]:
    """First and latest year of each (level, unit, indicator) series.

    Returns the label columns of the series (``level``, ``unit_code``, ``indicator_id``,
    ``unit_name``, ``county_code``) and ``(indicator code per series, indicator ids, first year,
    latest year, first value, latest value)``. Integer codes and a numpy sort: grouping Arrow
    strings costs seconds at province scale.
    """
    ind_c, ind_u = pd.factorize(df["indicator_id"])
    lvl_c, lvl_u = pd.factorize(df["level"])
    unit_c, unit_u = pd.factorize(df["unit_code"])
    gid = (lvl_c.astype(np.int64) * len(unit_u) + unit_c) * len(ind_u) + ind_c
    yr = df["year"].to_numpy(dtype=np.int64)
    order = np.lexsort((yr, gid))
    gs = gid[order]
    start = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    i0 = order[start]
    i1 = order[np.r_[start[1:], len(gs)] - 1]
    val = df["value"].to_numpy(dtype=float)

    def take_str(codes: np.ndarray, uniques) -> pd.Categorical:
        # a categorical of strings (sorted categories): one small integer per row
        return stacked_categorical([(np.asarray(uniques, dtype=object), codes)])

    ic = ind_c[i0]
    del gid, order, gs, start
    out = {
        "level": take_str(lvl_c[i0], lvl_u),
        "unit_code": take_str(unit_c[i0], unit_u),
        "indicator_id": take_str(ic, ind_u),
    }
    for col in ("unit_name", "county_code"):
        out[col] = df[col].array.take(i0) if col in df.columns else pd.array([pd.NA] * len(i0))
    return out, (ic, ind_u, yr[i0], yr[i1], val[i0], val[i1])


def _rates(t0: np.ndarray, t1: np.ndarray, y0: np.ndarray, y1: np.ndarray, b: np.ndarray,
           has_target: np.ndarray, target_year: int) -> tuple[np.ndarray, ...]:
    """Observed and required compound growth and slope per series (NaN where undefined)."""
    span = (t1 - t0).astype(float)
    span_req = (target_year - t0).astype(float)
    ok = span > 0
    pos = (y0 > 0) & (y1 > 0)
    nan = np.nan
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cagr_obs = np.where(ok & pos, (y1 / y0) ** (1 / span) - 1, nan)
        cagr_req = np.where(has_target & (y0 > 0) & (b > 0), (b / y0) ** (1 / span_req) - 1, nan)
        slope_obs = np.where(ok, (y1 - y0) / span, nan)
        slope_req = np.where(has_target, (b - y0) / span_req, nan)
    return cagr_obs, cagr_req, slope_obs, slope_req


def _near_ceiling(meta: pd.DataFrame, per_indicator, y1: np.ndarray, b: np.ndarray,
                  spec: TrendSpec) -> np.ndarray:
    """Series of bounded indicators (percent, binary) whose latest value or target is near the
    top of the range (``spec.ceiling_share``): compound growth does not apply to them."""
    # per-indicator facts broadcast with integer codes (no per-row strings)
    vtype = meta["value_type"].astype(object)
    bounded = per_indicator(vtype.isin(["percent", "binary"])).astype(bool)
    # binary items are stored in % (0 or 100) although max_value describes the 0/1 village code
    top = per_indicator(meta["max_value"].astype(float).where(vtype != "binary", 100.0)).astype(float)
    ceiling = top * spec.ceiling_share
    return bounded & ((y1 >= ceiling) | (b >= ceiling))


def _ratio_and_class(d, obs, req, use_cagr, cagr_obs, slope_obs, y0, ok, has_target, achieved,
                     spec: TrendSpec) -> tuple[np.ndarray, np.ndarray]:
    """The ratio of observed to required pace and the trend class code of each series."""
    good_req = (d * req) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ok & has_target & good_req, (d * obs) / (d * req), np.nan)
        lin_growth = np.where(slope_obs != 0, d * slope_obs / np.abs(y0), 0.0)
    growth = np.where(use_cagr, d * cagr_obs, lin_growth)
    del lin_growth
    base_beyond = has_target & ~good_req & ok
    cls = _class_codes(ratio, growth, achieved, has_target, base_beyond, spec)
    cls[~ok & ~achieved] = -1
    return ratio, cls


def _closing_year(d, obs, b, y1, t1, use_cagr, cagr_obs, slope_obs, has_target, achieved,
                  spec: TrendSpec) -> tuple[np.ndarray, np.ndarray]:
    """Whether each series reaches its target within ``spec.horizon`` years at its observed pace,
    and the year it does (0 where it does not)."""
    toward = has_target & ~achieved & ((d * obs) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(use_cagr, np.log(b / y1) / np.log1p(cagr_obs), (b - y1) / slope_obs)
    n[~toward] = np.nan
    reachable = toward & (n <= spec.horizon)
    return reachable, np.where(reachable, t1 + np.ceil(n - 1e-9), 0).astype(np.int64)
