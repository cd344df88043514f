"""How many years behind a benchmark region: place a unit's value on the region's year series.

Given the published year series Z(t) of a benchmark region (Zhejiang) on **one** definition
(one basis: rural per-capita *disposable* income from 2014 on is never joined with the older
*net* income series) and a unit's value x in year Y, :func:`years_behind` finds the year t*
in which the benchmark region had the level x, by interpolation between the two published years
that bracket it, and the lag Y − t* ("相当于浙江约2015年水平，落后约8年"). Outside the published
years it does not extrapolate: below the first published value the level was reached before the
series starts (the lag is at least Y − t₀); beyond the latest it is ahead of every published
value. :func:`benchmark_series` takes the series out of ``published_facts.csv``
(:func:`hemei_tools.catalogue.load_published_facts`); :func:`catchup_frame` applies
:func:`years_behind` to a frame of unit values.

This module imports neither matplotlib nor IPython.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["CATCHUP_STATUSES", "CatchUp", "benchmark_series", "catchup_frame", "years_behind"]

CATCHUP_STATUSES = ("reached", "before_start", "beyond_latest")
"""Where a value lies on the benchmark series: between two published values (``reached``: the
benchmark region reached it in a year t* found by interpolation), worse than the first one
(``before_start``), or better than every published one (``beyond_latest``)."""


@dataclass(frozen=True)
class CatchUp:
    """A unit's value placed on a benchmark region's year series (:func:`years_behind`).

    Attributes
    ----------
    value, year
        The unit's value and the year it refers to (Y).
    direction
        +1 when higher is better (income), -1 when lower is better (urban-rural income ratio).
    interpolation
        ``linear`` or ``log``.
    status
        One of :data:`CATCHUP_STATUSES`.
    equivalent_year
        t*, the (fractional) year the benchmark region had the level ``value``; NaN unless
        ``reached``.
    lower_year, lower_value, upper_year, upper_value
        The published points bracketing ``value`` (``reached``: t₀ ≤ t* ≤ t₁, equal when the
        value is a published one); for ``before_start`` both are the first point, for
        ``beyond_latest`` the point with the best value.
    start_year, start_value, latest_year, latest_value
        First and last published points of the series.
    same_year_value
        The benchmark region's published value in ``year`` itself (NaN when not published).
    """

    value: float
    year: int
    direction: int
    interpolation: str
    status: str
    equivalent_year: float
    lower_year: int
    lower_value: float
    upper_year: int
    upper_value: float
    start_year: int
    start_value: float
    latest_year: int
    latest_value: float
    same_year_value: float

    @property
    def years_behind(self) -> float:
        """Y − t* (negative: ahead); NaN unless ``reached``."""
        return self.year - self.equivalent_year if self.status == "reached" else math.nan

    @property
    def rounded_year(self) -> int | None:
        """t* rounded half up to a whole year (what the reports print); None unless ``reached``."""
        return math.floor(self.equivalent_year + 0.5) if self.status == "reached" else None

    @property
    def rounded_behind(self) -> int | None:
        """Y − :attr:`rounded_year`: the printed lag, consistent with the printed year; None
        unless ``reached``."""
        return None if self.rounded_year is None else self.year - self.rounded_year

    @property
    def min_years_behind(self) -> int | None:
        """For ``before_start``, the lag is at least Y − t₀ (the first published year); else None."""
        return self.year - self.start_year if self.status == "before_start" else None

    def to_dict(self) -> dict:
        """The fields and the derived lags as a plain dict (one row of :func:`catchup_frame`)."""
        return {**asdict(self), "years_behind": self.years_behind, "rounded_year": self.rounded_year,
                "rounded_behind": self.rounded_behind, "min_years_behind": self.min_years_behind}


def _clean_series(series: pd.Series | Mapping) -> pd.Series:
    s = pd.Series(series, dtype=float) if not isinstance(series, pd.Series) else series.astype(float)
    if s.empty:
        raise ValueError("the benchmark series is empty")
    if s.index.duplicated().any():
        raise ValueError(f"the benchmark series has repeated years: {sorted(set(s.index[s.index.duplicated()]))}")
    if not np.isfinite(s.to_numpy()).all():
        raise ValueError("the benchmark series holds a missing or infinite value")
    s.index = s.index.astype(int)
    return s.sort_index()


def years_behind(value: float, year: int, series: pd.Series | Mapping, direction: int = 1,
                 interpolation: str = "linear") -> CatchUp:
    """The year a benchmark region had ``value``, and how many years before ``year`` that was.

    Parameters
    ----------
    value
        The unit's value x in ``year`` (same definition as ``series``).
    year
        Y, the year ``value`` refers to.
    series
        The benchmark region's published values Z(tᵢ) by year tᵢ (index or keys: years), on one
        basis. Years need not be consecutive: the published years are the interpolation nodes.
    direction
        +1 when higher is better, -1 when lower is better (then "reached" means Z(t) ≤ x).
    interpolation
        ``linear``: Z is linear in t between nodes; ``log``: ln Z is linear in t (constant
        growth rate between nodes, for incomes; needs positive values).

    Returns
    -------
    CatchUp
        With d = ``direction`` and the nodes sorted by year:

        * ``before_start`` when d·x < d·Z(t₀): the region had the level before its first
          published year; the lag is at least Y − t₀.
        * ``reached`` with the first k such that d·Z(t_k) ≥ d·x (the first time the region
          reached the level): t* = t₀ when k = 0 (x equals the first value), otherwise, with
          (a, b) = (t_{k−1}, t_k),

          linear:  t* = a + (b − a) · (x − Z(a)) / (Z(b) − Z(a))

          log:     t* = a + (b − a) · ln(x / Z(a)) / ln(Z(b) / Z(a))

          and the lag is Y − t* (negative: the unit is ahead of the region's same year).
        * ``beyond_latest`` when d·x > d·Z(tᵢ) for every node: better than every published value.

    Raises
    ------
    ValueError
        For a missing value, an empty series, repeated years, an unknown interpolation or
        direction, or ``log`` on values that are not positive.

    Examples
    --------
    Zhejiang's rural disposable income was 19,373 元 in 2014 and 24,956 元 in 2017; a unit with
    21,144 元 in 2023 (linear): t* = 2014 + 3 · 1,771 / 5,583 = 2014.95, lag 8.05 years.

    >>> c = years_behind(21144, 2023, {2014: 19373, 2017: 24956})
    >>> round(c.equivalent_year, 2), c.rounded_year, c.rounded_behind
    (2014.95, 2015, 8)
    """
    if value is None or not np.isfinite(float(value)):
        raise ValueError(f"value {value!r} is missing")
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 or -1, not {direction!r}")
    if interpolation not in ("linear", "log"):
        raise ValueError(f"interpolation must be 'linear' or 'log', not {interpolation!r}")
    s = _clean_series(series)
    x, d = float(value), int(direction)
    if interpolation == "log" and (x <= 0 or (s <= 0).any()):
        raise ValueError("log interpolation needs positive values")
    years, z = s.index.to_numpy(int), s.to_numpy(float)
    same = float(s.get(int(year), math.nan))
    common = {"value": x, "year": int(year), "direction": d, "interpolation": interpolation,
              "start_year": int(years[0]), "start_value": float(z[0]), "latest_year": int(years[-1]),
              "latest_value": float(z[-1]), "same_year_value": same}
    reached = np.flatnonzero(d * z >= d * x)
    if d * x < d * z[0]:
        return CatchUp(status="before_start", equivalent_year=math.nan, lower_year=int(years[0]),
                       lower_value=float(z[0]), upper_year=int(years[0]), upper_value=float(z[0]), **common)
    if reached.size == 0:
        best = int(np.argmax(d * z))
        return CatchUp(status="beyond_latest", equivalent_year=math.nan, lower_year=int(years[best]),
                       lower_value=float(z[best]), upper_year=int(years[best]), upper_value=float(z[best]),
                       **common)
    k = int(reached[0])
    if k == 0:  # x equals the first value (d·x >= d·Z(t0) and d·Z(t0) >= d·x)
        return CatchUp(status="reached", equivalent_year=float(years[0]), lower_year=int(years[0]),
                       lower_value=float(z[0]), upper_year=int(years[0]), upper_value=float(z[0]), **common)
    a, b, za, zb = int(years[k - 1]), int(years[k]), float(z[k - 1]), float(z[k])
    share = math.log(x / za) / math.log(zb / za) if interpolation == "log" else (x - za) / (zb - za)
    return CatchUp(status="reached", equivalent_year=a + (b - a) * share, lower_year=a, lower_value=za,
                   upper_year=b, upper_value=zb, **common)


def benchmark_series(facts: pd.DataFrame, topic: str, region_code: str, basis: str) -> pd.Series:
    """The year series of one topic, region and basis from ``published_facts.csv``.

    Parameters
    ----------
    facts
        :func:`hemei_tools.catalogue.load_published_facts`.
    topic, region_code, basis
        E.g. ``rural_income``, ``330000`` (Zhejiang), ``disposable``.

    Returns
    -------
    pandas.Series
        Values of the ``actual`` facts by year (int), sorted; named ``topic``. Facts on another
        basis are never included: one series is one definition.

    Raises
    ------
    ValueError
        When no fact matches, or a year appears twice.
    """
    rows = facts[(facts["topic"] == topic) & (facts["region_code"].astype(str) == str(region_code))
                 & (facts["basis"] == basis) & (facts["kind"] == "actual")]
    if rows.empty:
        raise ValueError(f"no published {topic!r} facts for region {region_code} on basis {basis!r}")
    s = pd.Series(rows["value"].astype(float).to_numpy(), index=rows["year"].astype(int).to_numpy(), name=topic)
    return _clean_series(s).rename(topic)


def catchup_frame(units: pd.DataFrame, series: pd.Series | Mapping, direction: int = 1,
                  interpolation: str = "linear") -> pd.DataFrame:
    """:func:`years_behind` for each row of ``units`` (columns ``value`` and ``year``).

    Returns ``units`` (rows with a missing value dropped) with the :class:`CatchUp` fields
    (``status``, ``equivalent_year``, ``lower_year`` … ``same_year_value``) and ``years_behind``,
    ``rounded_year``, ``rounded_behind``, ``min_years_behind`` added; the unit's own ``value``
    and ``year`` columns are kept.
    """
    keep = units[pd.to_numeric(units["value"], errors="coerce").notna()].reset_index(drop=True)
    rows = [years_behind(float(v), int(y), series, direction, interpolation).to_dict()
            for v, y in zip(keep["value"], keep["year"], strict=True)]
    extra = pd.DataFrame(rows, index=keep.index).drop(columns=["value", "year"], errors="ignore")
    if extra.empty:
        extra = pd.DataFrame(columns=[c for c in CatchUp.__dataclass_fields__ if c not in ("value", "year")]
                             + ["years_behind", "rounded_year", "rounded_behind", "min_years_behind"])
    return pd.concat([keep, extra], axis=1)
