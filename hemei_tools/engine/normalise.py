"""Normalisation methods: raw indicator values → comparable scores, chosen by name.

Every method has the signature ``f(x, *, direction=1, low=None, benchmark=None)`` and works on
an array whose axis 0 runs over units; further axes (years, indicators) are independent
groups, so one call normalises a whole ``units × years × indicators`` block. ``direction``,
``low`` and ``benchmark`` broadcast against the trailing axes (a scalar, or one value per
indicator on the last axis). NaN stays NaN and never enters a statistic. A pandas Series or
DataFrame comes back as the same type with the same labels.

Methods (COINr's ``n_*`` family; formulas in each docstring; ``NORMALISERS`` maps the names):

``goalposts`` (default)
    Bounded distance from a lower goalpost L to the benchmark B, 0–100 (SDG Index rescaling).
``distance``
    Share of the benchmark reached, 100·(1 − relative shortfall), 0–100.
``zscore``
    50 + 10·d·(x − mean)/sd within each group (unbounded; a "T-score" scale).
``rank``
    Percentile rank within each group, 0–100.
``minmax``
    Min-max onto [0, 100] within each group, direction respected.

Data-driven methods (zscore, rank, minmax) compare units within a level and year, so their
scores are not comparable across levels or years; goalposts and distance use the same
benchmark everywhere and are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from hemei_tools.errors import SpecError

Normaliser = Callable[..., np.ndarray]


def _wrap(x, out: np.ndarray):
    if isinstance(x, pd.Series):
        return pd.Series(out, index=x.index, name=x.name)
    if isinstance(x, pd.DataFrame):
        return pd.DataFrame(out, index=x.index, columns=x.columns)
    return out


def _arr(v) -> np.ndarray:
    return np.asarray(v, dtype=float)


def _step(x: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degenerate scale: 100 at or beyond the benchmark (in direction d), else 0."""
    return np.where(np.isnan(x), np.nan, np.where(d * (x - b) >= 0, 100.0, 0.0))


def norm_goalposts(x, *, direction=1, low=None, benchmark=None):
    """Goalpost (bounded min-max) normalisation onto 0–100 with the benchmark as 100.

    a = 100 · clip((x − L) / (B − L), 0, 1).

    For d = +1, L < B and progress runs up from L; for d = −1 the lower goalpost L is the bad
    (high) end, L > B, and the same formula counts progress down from L to B. a is "% of the
    way from the floor to the benchmark"; the gap to the benchmark is 100 − a. Source: SDG
    Index and Dashboards methodology (Sachs et al.), COINr ``n_goalposts``; OECD/JRC Handbook
    on Constructing Composite Indicators (2008), §5 "distance to a reference".

    Parameters
    ----------
    x
        Raw values (indicator unit), axis 0 over units.
    direction
        +1 higher is better, −1 lower is better (scalar or per indicator).
    low
        Lower goalpost L (indicator unit), the "0 points" end. Required.
    benchmark
        Benchmark B (indicator unit), the "100 points" end. Required.

    Returns
    -------
    Scores in [0, 100]; NaN where x is NaN. If L is not on the bad side of B
    (d·(B − L) ≤ 0) the scale collapses to a step: 100 where d·(x − B) ≥ 0, else 0.
    """
    if low is None or benchmark is None:
        raise SpecError("goalposts normalisation needs both a lower goalpost and a benchmark")
    xa, d, lo, b = _arr(x), _arr(direction), _arr(low), _arr(benchmark)
    span = b - lo
    ok = d * span > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        a = 100.0 * np.clip((xa - lo) / np.where(ok, span, np.nan), 0.0, 1.0)
    return _wrap(x, np.where(ok, a, _step(xa, d, b)))


def norm_distance(x, *, direction=1, low=None, benchmark=None):
    """Distance to the benchmark as a share reached: 100 · (1 − relative shortfall), 0–100.

    a = 100 · clip(1 − max(0, d·(B − x)) / |B|, 0, 1).

    For d = +1 this is 100·x/B capped at 100 (the SDG-dashboard "share of target reached");
    for d = −1 a unit loses 1 point per 1% above B and scores 0 at x ≥ 2B. ``low`` is
    ignored. Source: OECD/JRC Handbook (2008), §5 "distance to a reference"; cf. COINr's
    distance-to-reference normalisers.

    Returns
    -------
    Scores in [0, 100]; NaN where x is NaN. With B = 0 the scale is a step (100 where
    d·(x − B) ≥ 0, else 0).
    """
    if benchmark is None:
        raise SpecError("distance normalisation needs a benchmark")
    xa, d, b = _arr(x), _arr(direction), _arr(benchmark)
    ok = b != 0
    with np.errstate(invalid="ignore", divide="ignore"):
        short = np.maximum(0.0, d * (b - xa)) / np.abs(np.where(ok, b, np.nan))
        a = 100.0 * np.clip(1.0 - short, 0.0, 1.0)
    a = np.where(np.isnan(xa), np.nan, a)
    return _wrap(x, np.where(ok, a, _step(xa, d, b)))


def norm_zscore(x, *, direction=1, low=None, benchmark=None, mean=50.0, scale=10.0):
    """Standardised score within each group: m + s · d · (x − x̄) / sd.

    x̄ and sd (sample standard deviation, ddof = 1, as R's ``sd`` in COINr ``n_zscore``) are
    taken over axis 0 ignoring NaN. Defaults m = 50, s = 10 put the scores on a 0–100-like
    scale (unbounded). All-equal input, or a single unit, gives m for everyone.
    ``low`` and ``benchmark`` are ignored. Source: OECD/JRC Handbook (2008), §5.
    """
    xa, d = _arr(x), _arr(direction)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.sum(~np.isnan(xa), axis=0)
        mu = np.sum(np.where(np.isnan(xa), 0.0, xa), axis=0) / n
        dev = np.where(np.isnan(xa), 0.0, xa - mu)
        sd = np.sqrt(np.sum(dev * dev, axis=0) / np.where(n > 1, n - 1, np.nan))
        z = np.where((sd > 0) & np.isfinite(sd), (xa - mu) / np.where(sd > 0, sd, np.nan), 0.0)
    out = np.where(np.isnan(xa), np.nan, mean + scale * d * z)
    return _wrap(x, out)


def norm_rank(x, *, direction=1, low=None, benchmark=None):
    """Percentile rank within each group, 0–100: 100 · (r − 1) / (n − 1).

    r is the ascending rank of d·x among the n non-missing units (ties share their average
    rank), so the best unit scores 100 and the worst 0. All-equal input and a single unit
    score 50. ``low`` and ``benchmark`` are ignored. Source: COINr ``n_prank``; OECD/JRC
    Handbook (2008), §5 "ranking".
    """
    xa, d = _arr(x), _arr(direction)
    flat = (d * xa).reshape(xa.shape[0], -1) if xa.ndim else (d * xa).reshape(1, 1)
    r = pd.DataFrame(flat).rank(axis=0, method="average", na_option="keep").to_numpy()
    n = np.sum(~np.isnan(flat), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 1, 100.0 * (r - 1.0) / (n - 1.0), 50.0)
    p = np.where(np.isnan(flat), np.nan, p)
    # all-equal input: every unit holds the average rank (n + 1)/2 → 50, as the formula gives.
    return _wrap(x, p.reshape(xa.shape))


def norm_minmax(x, *, direction=1, low=None, benchmark=None, lower=0.0, upper=100.0):
    """Min-max onto [l, u] within each group: l + (x − min)/(max − min) · (u − l).

    For d = −1 the scale is mirrored, l + (max − x)/(max − min) · (u − l). Min and max are
    taken over axis 0 ignoring NaN. All-equal input or a single unit gives the midpoint
    (l + u)/2 (no information to spread). Use l > 0 (e.g. 1) before a geometric mean.
    ``low`` and ``benchmark`` are ignored. Source: OECD/JRC Handbook (2008), §5; COINr
    ``n_minmax``.
    """
    xa, d = _arr(x), _arr(direction)
    with np.errstate(invalid="ignore", divide="ignore"):
        filled_lo = np.where(np.isnan(xa), np.inf, xa)
        filled_hi = np.where(np.isnan(xa), -np.inf, xa)
        mn = np.min(filled_lo, axis=0) if xa.size else xa
        mx = np.max(filled_hi, axis=0) if xa.size else xa
        span = mx - mn
        frac = np.where(d > 0, xa - mn, mx - xa) / np.where(span > 0, span, np.nan)
        out = np.where(span > 0, lower + frac * (upper - lower), (lower + upper) / 2.0)
    return _wrap(x, np.where(np.isnan(xa), np.nan, out))


NORMALISERS: dict[str, Normaliser] = {
    "goalposts": norm_goalposts,
    "distance": norm_distance,
    "zscore": norm_zscore,
    "rank": norm_rank,
    "minmax": norm_minmax,
}


def get_normaliser(name: str) -> Normaliser:
    """The normaliser registered as ``name``; :class:`SpecError` listing the choices if unknown."""
    try:
        return NORMALISERS[name]
    except KeyError:
        raise SpecError(f"unknown normaliser {name!r}; choose one of {sorted(NORMALISERS)}") from None
