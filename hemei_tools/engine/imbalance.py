"""Imbalance of development across villages: Gini, Theil (with decomposition), CV, Lorenz.

These answer the city's "发展不平衡" question: how uneven an indicator value or a score is
across villages, within each county and across the whole city, and how much of the
inequality lies *between* counties rather than *within* them.

Vector functions (:func:`gini`, :func:`theil`, :func:`cv`, :func:`lorenz_curve`,
:func:`theil_decomposition`) take one array of values and optional weights (population,
households); :func:`imbalance_table` applies them, vectorised, to a tidy frame of unit values
or scores. The measures are chosen by name from :data:`MEASURES`.

Sources
-------
- Gini: Gini (1912); the mean-absolute-difference form G = ΣᵢΣⱼ|xᵢ − xⱼ| / (2n²x̄) and its
  weighted form as in Lerman and Yitzhaki (1989), "Improving the accuracy of estimates of Gini
  coefficients", J. Econometrics 42.
- Theil: Theil (1967), *Economics and Information Theory*; the exact between/within
  decomposition as in Shorrocks (1980), "The class of additively decomposable inequality
  measures", Econometrica 48.
- Coefficient of variation and the Lorenz curve (Lorenz 1905): standard; see the World Bank's
  *Handbook on Poverty and Inequality* (Haughton and Khandker 2009), ch. 6.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemei_tools.errors import HemeiError


class ImbalanceError(HemeiError):
    """Values or a frame cannot be used to measure imbalance (negative values, missing columns)."""


def _prepare(values, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights as float arrays with NaN pairs dropped; checked non-negative."""
    x = np.asarray(values, dtype=float).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != x.shape:
        raise ImbalanceError(
            f"weights have {w.size} entries but values have {x.size}; pass one weight per value"
        )
    keep = ~(np.isnan(x) | np.isnan(w))
    x, w = x[keep], w[keep]
    if (x < 0).any():
        raise ImbalanceError(
            "Gini, Theil and the Lorenz curve need non-negative values; "
            f"found {int((x < 0).sum())} negative value(s): shift or drop them first"
        )
    if (w < 0).any():
        raise ImbalanceError("weights must be non-negative (population, households or 1)")
    return x, w


def _weighted(values, weights=None) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Prepared values and weights with their total weight W and weighted mean x̄ = Σwx/W.

    x̄ is NaN when there is no value, no weight or a zero mean (inequality is undefined then).
    """
    x, w = _prepare(values, weights)
    total_w = float(w.sum())
    mean = float((w * x).sum() / total_w) if x.size and total_w else float("nan")
    return x, w, total_w, (float("nan") if mean == 0 else mean)


def gini(values, weights=None) -> float:
    """Gini coefficient of non-negative values, optionally weighted.

    Parameters
    ----------
    values : array-like of float
        Values of the units (any unit of measure; the coefficient is scale-free). NaN
        values are dropped.
    weights : array-like of float, optional
        Size of each unit (e.g. population). ``None`` gives every unit weight 1.

    Returns
    -------
    float
        G in [0, 1): 0 when all values are equal, (n − 1)/n when one of n equally weighted
        units holds everything. NaN when there is no value or the mean is 0.

    Notes
    -----
    Weighted mean-absolute-difference form::

        G = Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| / (2 W² x̄),   W = Σ wᵢ,  x̄ = Σ wᵢ xᵢ / W

    which reduces to ΣᵢΣⱼ|xᵢ − xⱼ| / (2n²x̄) with unit weights. Computed in O(n log n) from
    the sorted values: ΣᵢΣⱼ wᵢwⱼ|xᵢ − xⱼ| = 2 Σᵢ wᵢxᵢ (W<ᵢ − W>ᵢ), with W<ᵢ and W>ᵢ the
    weight before and after unit i in sorted order (ties cancel).
    """
    x, w, total_w, mean = _weighted(values, weights)
    if np.isnan(mean):
        return float("nan")
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    before = cum - ws
    after = total_w - cum
    return float((ws * xs * (before - after)).sum() / (total_w**2 * mean))


def theil(values, weights=None) -> float:
    """Theil T index (generalised entropy GE(1)) of non-negative values.

    Parameters
    ----------
    values : array-like of float
        Unit values; NaN dropped. Zeros contribute 0 (the limit of s·ln s).
    weights : array-like of float, optional
        Unit sizes (population); ``None`` = 1 each.

    Returns
    -------
    float
        T ≥ 0, 0 for equal values, ln(n) when one of n equal-weight units holds everything;
        NaN when the mean is 0 or there is no value.

    Notes
    -----
    T = Σᵢ (wᵢ/W) (xᵢ/x̄) ln(xᵢ/x̄) (Theil 1967); unweighted: (1/n) Σ (xᵢ/x̄) ln(xᵢ/x̄).
    """
    x, w, total_w, mean = _weighted(values, weights)
    if np.isnan(mean):
        return float("nan")
    r = x / mean
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, r * np.log(r), 0.0)
    return float((w * terms).sum() / total_w)


def cv(values, weights=None) -> float:
    """Coefficient of variation: population standard deviation over the mean.

    Parameters
    ----------
    values : array-like of float
        Unit values; NaN dropped (negative values are allowed here).
    weights : array-like of float, optional
        Unit sizes; ``None`` = 1 each.

    Returns
    -------
    float
        CV = σ / x̄ (dimensionless, not a percentage), with σ = sqrt(Σ wᵢ(xᵢ − x̄)² / W)
        (ddof = 0). NaN when the mean is 0 or there is no value.
    """
    x = np.asarray(values, dtype=float).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    keep = ~(np.isnan(x) | np.isnan(w))
    x, w = x[keep], w[keep]
    if x.size == 0 or w.sum() == 0:
        return float("nan")
    mean = (w * x).sum() / w.sum()
    if mean == 0:
        return float("nan")
    sd = np.sqrt((w * (x - mean) ** 2).sum() / w.sum())
    return float(sd / mean)


def lorenz_curve(values, weights=None) -> pd.DataFrame:
    """Points of the Lorenz curve of non-negative values.

    Parameters
    ----------
    values, weights
        As for :func:`gini`.

    Returns
    -------
    pandas.DataFrame
        Columns ``pop_share`` (cumulative share of units or of weight, 0–1) and
        ``value_share`` (cumulative share of the total, 0–1), starting at (0, 0) and ending at
        (1, 1), with units sorted from the smallest value up (Lorenz 1905). The area between
        the curve and the diagonal is G/2.
    """
    x, w = _prepare(values, weights)
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    total = (xs * ws).sum()
    pop = np.concatenate([[0.0], np.cumsum(ws) / ws.sum()]) if ws.sum() > 0 else np.array([0.0])
    val = np.concatenate([[0.0], np.cumsum(xs * ws) / total]) if total > 0 else pop.copy()
    return pd.DataFrame({"pop_share": pop, "value_share": val})


@dataclass(frozen=True)
class TheilDecomposition:
    """Theil T split into between-group and within-group parts.

    Attributes
    ----------
    total : float
        T of all units pooled.
    between : float
        Σ_g s_g ln(x̄_g / x̄): the inequality left if every unit had its group's mean.
    within : float
        Σ_g s_g T_g: the share-weighted inequality inside the groups.
    groups : pandas.DataFrame
        One row per group: ``group``, ``n``, ``weight``, ``mean``, ``share`` (s_g, the group's
        share of the total), ``theil`` (T_g), ``within_contribution`` (s_g·T_g).
    """

    total: float
    between: float
    within: float
    groups: pd.DataFrame

    @property
    def between_share(self) -> float:
        """Share of the total inequality that lies between groups (0–1)."""
        return self.between / self.total if self.total else float("nan")


def theil_decomposition(values, groups, weights=None) -> TheilDecomposition:
    """Decompose Theil's T into between-group and within-group inequality.

    Parameters
    ----------
    values : array-like of float
        Non-negative unit values (e.g. one indicator across villages).
    groups : array-like
        Group label of each unit (e.g. ``county_code``).
    weights : array-like of float, optional
        Unit sizes; ``None`` = 1 each.

    Returns
    -------
    TheilDecomposition
        ``total = between + within`` holds exactly (up to float rounding, ~1e-15).

    Notes
    -----
    T = Σ_g s_g T_g + Σ_g s_g ln(x̄_g / x̄), with s_g = Σ_{i∈g} wᵢxᵢ / Σᵢ wᵢxᵢ the group's share
    of the total (Shorrocks 1980). Units with a NaN value or group are dropped.
    """
    g = pd.Series(np.asarray(groups, dtype=object).ravel())
    x = np.asarray(values, dtype=float).ravel()
    if g.size != x.size:
        raise ImbalanceError(f"groups have {g.size} entries but values have {x.size}")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    keep = ~(np.isnan(x) | np.isnan(w) | g.isna().to_numpy())
    x, w, g = x[keep], w[keep], g[keep].reset_index(drop=True)
    _prepare(x, w)
    frame = pd.DataFrame({"group": g, "x": x, "w": w, "wx": w * x})
    total = theil(x, w)
    mean = frame["wx"].sum() / frame["w"].sum()
    per = frame.groupby("group", sort=True).agg(n=("x", "size"), weight=("w", "sum"), wx=("wx", "sum"))
    per["mean"] = per["wx"] / per["weight"]
    per["share"] = per["wx"] / frame["wx"].sum()
    frame["r"] = frame["x"] / frame["group"].map(per["mean"])
    frame["term"] = np.where(frame["r"] > 0, frame["r"] * np.log(frame["r"].where(frame["r"] > 0, 1.0)), 0.0)
    per["theil"] = (frame["w"] * frame["term"]).groupby(frame["group"]).sum() / per["weight"]
    per["within_contribution"] = per["share"] * per["theil"]
    ratio = (per["mean"] / mean).where(per["mean"] > 0, 1.0)
    between = float((per["share"] * np.log(ratio)).sum())
    within = float(per["within_contribution"].sum())
    out = per.drop(columns="wx").reset_index()
    return TheilDecomposition(total=total, between=between, within=within, groups=out)


MEASURES: dict[str, Callable[..., float]] = {"gini": gini, "theil": theil, "cv": cv}
"""Imbalance measures by name: ``name -> f(values, weights=None) -> float``."""


def _stable_group_order(g: np.ndarray, n_groups: int) -> np.ndarray:
    """Stable argsort of dense group ids 0 … n_groups − 1 by numpy's linear-time radix sort.

    Ids that fit 16 bits take one radix pass; larger ids two (least significant 16 bits
    first, then the high bits, both stable: an LSD radix sort), faster than a comparison sort.
    """
    if n_groups <= np.iinfo(np.uint16).max:
        return np.argsort(g.astype(np.uint8 if n_groups <= np.iinfo(np.uint8).max else np.uint16),
                          kind="stable")
    if n_groups > np.iinfo(np.uint32).max:
        return np.argsort(g, kind="stable")
    low = np.argsort((g & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((g[low] >> 16).astype(np.uint16), kind="stable")]


def _group_stats(gid: np.ndarray, x: np.ndarray, w: np.ndarray, n_groups: int,
                 order_x: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """n, weight, Σwx, mean, Gini, Theil T and CV per dense group id, vectorised over groups.

    Same formulas as :func:`gini`, :func:`theil` and :func:`cv`, computed from one sort of
    (group, value) and bincount sums. A group with a negative value gets NaN Gini and Theil.
    ``order_x`` (a stable argsort of x) may be passed to share the float sort between calls.
    """
    order = np.argsort(x, kind="stable") if order_x is None else order_x
    # = lexsort((x, gid)), several times faster: a stable sort by group of the x-sorted rows
    order = order[_stable_group_order(gid[order], n_groups)]
    gs, xs, ws = gid[order], x[order], w[order]
    n = np.bincount(gs, minlength=n_groups)
    start = np.r_[0, np.cumsum(n)[:-1]]
    dense = bool(len(n)) and bool((n > 0).all())

    def seg(v: np.ndarray) -> np.ndarray:
        # rows are sorted by group: segment sums (reduceat) are cheaper than a bincount
        return np.add.reduceat(v, start) if dense else np.bincount(gs, v, minlength=n_groups)

    def per_row(v: np.ndarray) -> np.ndarray:
        return np.repeat(v, n)                    # a group's value on each of its rows, in order

    tw = seg(ws)
    twx = seg(ws * xs)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = twx / tw
        cs = np.cumsum(ws)
        offset = cs[start] - ws[start] if dense else np.r_[0.0, np.cumsum(tw)[:-1]]
        cum = cs - per_row(offset)
        gini_t = ws * xs * ((cum - ws) - (per_row(tw) - cum))
        del cs, cum
        g = seg(gini_t) / (tw**2 * mean)
        mean_row = per_row(mean)
        r = xs / mean_row
        tt = ws * np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
        t = seg(tt) / tw
        sq = seg(ws * (xs - mean_row) ** 2)
        cv_ = np.sqrt(sq / tw) / mean
    neg = seg((xs < 0).astype(float)) > 0
    ok = (mean > 0) & ~neg
    return {"n": n, "weight": tw, "wx": twx, "mean": mean, "gini": np.where(ok, g, np.nan),
            "theil": np.where(ok, t, np.nan), "cv": np.where(mean != 0, cv_, np.nan)}


def imbalance_table(
    frame: pd.DataFrame,
    by: str = "county_code",
    level: str = "village",
    value_col: str | None = None,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Gini, Theil and CV of unit values or scores across villages, within and between groups.

    Parameters
    ----------
    frame : pandas.DataFrame
        Unit values (``rollup.aggregate_values``: ``level``, ``unit_code``, ``county_code``,
        ``year``, ``indicator_id``, ``value``) or scores (``IndexResult.scores``: ``node``,
        ``node_level``, ``score``). Other key columns (``year``, ``indicator_id``, ``node``,
        ``node_level``) present in the frame define separate distributions.
    by : str
        Column grouping the units (default ``county_code``): one row per group gives the
        within-group imbalance, and the ``"all"`` row pools every unit and carries the exact
        Theil decomposition into between-group and within-group parts.
    level : str
        Unit level whose distribution is measured (default ``village``); ignored when the frame
        has no ``level`` column.
    value_col : str, optional
        Column to measure; default ``value`` if present, else ``score``.
    weights : pandas.Series, optional
        Unit sizes (e.g. population) indexed by ``unit_code``; default: every unit counts 1.

    Returns
    -------
    pandas.DataFrame
        Key columns, ``group`` (a value of ``by``, or ``"all"``), ``n``, ``mean``, ``gini``,
        ``theil``, ``cv`` and, on ``"all"`` rows, ``theil_between``, ``theil_within`` and
        ``between_share`` (between/total, 0–1). Measures as in :func:`gini`, :func:`theil`,
        :func:`cv`; decomposition as in :func:`theil_decomposition`.

    Raises
    ------
    ImbalanceError
        A required column is missing or no row is at ``level``.

    Notes
    -----
    Long because the docstring documents both input shapes and every output column; the code body is under 60 lines.
    """
    if value_col is None:
        value_col = "value" if "value" in frame.columns else "score"
    df = _rows_at_level(frame, by, level, value_col)
    keys = [c for c in ("year", "node_level", "node", "indicator_id") if c in df.columns]
    x = df[value_col].to_numpy(dtype=float)
    if weights is not None:
        if "unit_code" not in df.columns:
            raise ImbalanceError("weights need a unit_code column in the frame to be matched")
        w = df["unit_code"].map(weights).to_numpy(dtype=float)
    else:
        w = np.ones_like(x)
    keep = ~(np.isnan(x) | np.isnan(w))
    key_codes, key_uniques, by_c, by_u = _group_codes(df, keys, by, keep)
    x, w = x[keep], w[keep]
    n_by = max(len(by_u), 1)
    dims = tuple(max(len(u), 1) for u in key_uniques)
    pooled_raw = np.ravel_multi_index(key_codes, dims) if keys else np.zeros(len(x), dtype=np.int64)
    pooled_id, pooled_u = pd.factorize(pooled_raw, sort=True)
    within_raw = pooled_raw.astype(np.int64) * n_by + by_c
    within_id, within_u = pd.factorize(within_raw, sort=True)
    order_x = np.argsort(x, kind="stable")
    pw = _group_stats(pooled_id, x, w, len(pooled_u), order_x)
    ww = _group_stats(within_id, x, w, len(within_u), order_x)
    parent = np.searchsorted(pooled_u, within_u // n_by)
    sums = _theil_parts(pw, ww, parent, len(pooled_u))

    measure_cols = ["n", "weight", "mean", "gini", "theil", "cv"] if weights is not None else \
        ["n", "mean", "gini", "theil", "cv"]

    def key_frame(raw: np.ndarray) -> dict[str, np.ndarray]:
        if not keys:
            return {}
        idx = np.unravel_index(raw, dims)
        return {k: np.asarray(u)[i] for k, u, i in zip(keys, key_uniques, idx, strict=True)}

    wf = pd.DataFrame({**key_frame(within_u // n_by),
                       "group": np.asarray(by_u, dtype=object)[within_u % n_by],
                       **{c: ww[c] for c in measure_cols}})
    pf = pd.DataFrame({**key_frame(pooled_u), "group": "all", **{c: pw[c] for c in measure_cols}})
    pf["theil_within"] = sums["theil_within"]
    pf["theil_between"] = sums["theil_between"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pf["between_share"] = np.where(pw["theil"] > 0, sums["theil_between"] / pw["theil"], np.nan)
    out = pd.concat([wf, pf], ignore_index=True)
    order = np.lexsort((
        np.r_[within_u % n_by, np.zeros(len(pooled_u), dtype=np.int64)],
        np.r_[np.zeros(len(within_u), dtype=np.int64), np.ones(len(pooled_u), dtype=np.int64)],
        np.r_[parent, np.arange(len(pooled_u))],
    ))
    return out.iloc[order].reset_index(drop=True)


def _rows_at_level(frame: pd.DataFrame, by: str, level: str, value_col: str) -> pd.DataFrame:
    """The rows of ``level`` (all rows when the frame has no ``level``), only the columns used."""
    missing = [c for c in (value_col, by) if c not in frame.columns]
    if missing:
        raise ImbalanceError(
            f"imbalance_table needs column(s) {', '.join(missing)}; pass unit values "
            "(rollup.aggregate_values) or index scores, and name the grouping column in by="
        )
    # only the columns used here are copied (a filter of every column copies millions of rows)
    used = [c for c in ("year", "node_level", "node", "indicator_id", value_col, by, "unit_code")
            if c in frame.columns]
    df = frame[list(dict.fromkeys(used))]
    if "level" in frame.columns:
        at_level = (frame["level"] == level).to_numpy()
        if not at_level.all():
            df = df[at_level]
        if df.empty:
            raise ImbalanceError(
                f"no rows at level {level!r}; levels present: {sorted(frame['level'].unique())}"
            )
    return df


def _group_codes(df: pd.DataFrame, keys: list[str], by: str, keep: np.ndarray):
    """Integer codes of the key columns and of the grouping column (rows in ``keep``) with their
    sorted uniques: no string sort of millions of rows."""
    key_codes, key_uniques = [], []
    for k in keys:
        c, u = pd.factorize(df[k], sort=True)
        key_codes.append(c[keep])
        key_uniques.append(u)
    by_col = df[by]
    if not (isinstance(by_col.dtype, pd.CategoricalDtype)
            or (pd.api.types.is_string_dtype(by_col.dtype) and by_col.dtype != object)):
        by_col = by_col.astype(str)         # a string or categorical column is used as it is
    by_c, by_u = pd.factorize(by_col, sort=True)
    return key_codes, key_uniques, by_c[keep], np.asarray(by_u, dtype=object)


def _theil_parts(pw: dict, ww: dict, parent: np.ndarray, n_pooled: int) -> dict[str, np.ndarray]:
    """Within- and between-group parts of each pooled distribution's Theil index.

    Exact decomposition (Shorrocks 1980): s_g = the group's share of its pooled total.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = ww["wx"] / pw["wx"][parent]
        ratio = ww["mean"] / pw["mean"][parent]
        w_part = share * ww["theil"]
        b_part = share * np.log(np.where(ratio > 0, ratio, 1.0))
    sums = {}
    for name, part in (("theil_within", w_part), ("theil_between", b_part)):
        valid = ~np.isnan(part)
        total = np.bincount(parent, np.where(valid, part, 0.0), minlength=n_pooled)
        count = np.bincount(parent, valid.astype(float), minlength=n_pooled)
        sums[name] = np.where((count > 0) & ~np.isnan(pw["theil"]), total, np.nan)
    return sums


def measure(name: str, values, weights=None) -> float:
    """Apply the imbalance measure registered as ``name`` in :data:`MEASURES`.

    Raises
    ------
    ImbalanceError
        ``name`` is not registered (the message lists the known names).
    """
    try:
        f = MEASURES[name]
    except KeyError:
        raise ImbalanceError(f"unknown imbalance measure {name!r}; choose one of {', '.join(MEASURES)}") from None
    return f(values, weights)


__all__: Sequence[str] = [
    "MEASURES",
    "ImbalanceError",
    "TheilDecomposition",
    "cv",
    "gini",
    "imbalance_table",
    "lorenz_curve",
    "measure",
    "theil",
    "theil_decomposition",
]
