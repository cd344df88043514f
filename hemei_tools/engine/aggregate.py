"""Aggregation methods: children scores → parent score, chosen by name.

Every method has the signature ``f(x, weights, *, min_coverage=0.0) -> array``. ``x`` holds
children scores on its **last** axis (any leading axes: units, years); NaN marks a missing
child. ``weights`` is either a vector (one weight per child → one parent) or a
``children × parents`` matrix whose column j holds the weights of parent j's children (0 for
non-children), so one call aggregates a whole level of the tree with a matrix product.

Missing children (JRC/OECD Handbook 2008, §6; COINr ``Aggregate``): the parent re-weights
among its available children, s = Σ_avail w_i x_i / Σ_avail w_i, which is the same as
imputing each missing child with the weighted mean of its available siblings. When the
parent's coverage, the share of its children with a score (children are those with a
positive weight), is below ``min_coverage``, the parent is missing (NaN) instead. The SDG
Index uses 80% at index level.

``AGGREGATORS`` maps the names: ``amean`` (weighted arithmetic mean, fully compensatory) and
``gmean`` (weighted geometric mean, partly compensatory).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hemei_tools.errors import SpecError

Aggregator = Callable[..., np.ndarray]
GMEAN_FLOOR = 1.0


def _prepare(x, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    xa = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    single = w.ndim == 1
    if single:
        w = w[:, None]
    if w.ndim != 2 or w.shape[0] != xa.shape[-1]:
        raise SpecError(f"weights of shape {np.shape(weights)} do not match {xa.shape[-1]} children")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise SpecError("weights must be finite and non-negative")
    empty = w.sum(axis=0) <= 0
    if empty.any():
        cols = np.flatnonzero(empty).tolist()
        raise SpecError(f"every child of parent column(s) {cols} has weight 0: give at least one "
                        "child a positive weight")
    return xa, w, ~np.isnan(xa), single


def child_coverage(x, weights) -> np.ndarray:
    """Share of a parent's children that have a score, 0–1.

    coverage_j = #{i : w_ij > 0 and x_i present} / #{i : w_ij > 0}.
    """
    xa, w, m, single = _prepare(x, weights)
    member = (w > 0).astype(float)
    cov = (m.astype(float) @ member) / member.sum(axis=0)
    return cov[..., 0] if single else cov


def _finish(num: np.ndarray, den: np.ndarray, cov: np.ndarray, min_coverage: float,
            single: bool, back=None) -> np.ndarray:
    """num/den where den > 0, mapped through ``back``; NaN below the coverage threshold."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s = num / np.where(den > 0, den, np.nan)
    if back is not None:
        s = back(s)
    s = np.where(cov + 1e-12 >= min_coverage, s, np.nan)
    return s[..., 0] if single else s


def agg_amean(x, weights, *, min_coverage: float = 0.0) -> np.ndarray:
    """Weighted arithmetic mean of the available children.

    s = Σ_avail w_i x_i / Σ_avail w_i; NaN when no child is available or coverage is below
    ``min_coverage`` (0–1). Units: those of x (0–100 scores). Source: OECD/JRC Handbook
    (2008), §6.1 "additive aggregation"; COINr ``a_amean``.
    """
    xa, w, m, single = _prepare(x, weights)
    num = np.where(m, xa, 0.0) @ w
    den = m.astype(float) @ w
    cov = (m.astype(float) @ (w > 0).astype(float)) / (w > 0).sum(axis=0)
    return _finish(num, den, cov, min_coverage, single)


def agg_gmean(x, weights, *, min_coverage: float = 0.0, floor: float = GMEAN_FLOOR) -> np.ndarray:
    """Weighted geometric mean of the available children, with a floor for zeros.

    s = exp(Σ_avail w_i ln max(x_i, f) / Σ_avail w_i), f = ``floor`` (default 1 point).

    Zero rule: a geometric mean is 0 as soon as one child is 0, which would turn a single
    missing facility into a zero index. Scores below f (zeros, and negative z-scores) are
    therefore raised to f = 1 on the 0–100 scale before the logarithm, the "rescale onto
    [1, 100] before a geometric mean" advice of the OECD/JRC Handbook (2008, §6.2) and of
    COINr's ``a_gmean`` documentation. Every raised child is still the lowest possible
    value, so a zero keeps pulling the parent down hard. NaN handling and ``min_coverage``
    as in :func:`agg_amean`.
    """
    xa, w, m, single = _prepare(x, weights)
    logs = np.where(m, np.log(np.maximum(np.where(m, xa, floor), floor)), 0.0)
    num = logs @ w
    den = m.astype(float) @ w
    cov = (m.astype(float) @ (w > 0).astype(float)) / (w > 0).sum(axis=0)
    return _finish(num, den, cov, min_coverage, single, back=np.exp)


AGGREGATORS: dict[str, Aggregator] = {
    "amean": agg_amean,
    "gmean": agg_gmean,
}


def get_aggregator(name: str) -> Aggregator:
    """The aggregator registered as ``name``; :class:`SpecError` listing the choices if unknown."""
    try:
        return AGGREGATORS[name]
    except KeyError:
        raise SpecError(f"unknown aggregator {name!r}; choose one of {sorted(AGGREGATORS)}") from None
