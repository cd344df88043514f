"""Data screening and treatment: coverage screening, imputation, winsorisation, all flagged.

Each function takes a complete long grid of unit values (one row per level × unit × year ×
indicator, NaN where no value: see :func:`hemei_tools.engine.composite.build_index`) with columns
``level``, ``unit_code``, ``county_code``, ``parent_code``, ``year``, ``indicator_id``,
``value``, keeps its row order, and returns the changed values with a **flags** frame holding
one row per changed value: ``level``, ``unit_code``, ``year``, ``indicator_id``, ``action``,
``original``, ``new``. Nothing is changed silently (COINr ``Treat``/``Impute``; UK RAP QA).

Imputation methods (``IMPUTERS``):

``none``
    Leave missing values missing (the aggregation then re-weights among available children).
``county_median``
    The median of the unit's peers in the same county, same level, year and indicator
    (villages and townships: same ``county_code``; counties: same city, ``parent_code``;
    cities: all cities in the data).
``locf``
    Last observation carried forward: the unit's latest earlier value of the indicator.
    Never carried backward.

Winsorisation follows COINr's default outlier rule (docs/methods.md): an indicator (per level and
year) needs treatment when |skewness| > 2 and excess kurtosis > 3.5 (sample skewness G1 and
kurtosis G2, as Excel's SKEW/KURT and pandas); the most extreme value on the side of the
skew is set to the next most extreme value, one point at a time (ties at the extreme move
together), re-checking after each step, up to 5 points. COINr then log-transforms an
indicator that is still skewed; we do not, because goalpost scores are read against a
benchmark in the indicator's own unit: such indicators stay as they are (and goalpost scores
are capped at 100 anyway).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from hemei_tools.errors import SpecError

FLAG_COLUMNS = ["level", "unit_code", "year", "indicator_id", "action", "original", "new"]


def group_codes(*columns) -> tuple[np.ndarray, int]:
    """Integer code per row for the combination of ``columns`` (hash factorisation, no sort).

    Each column is factorised on its own (fast for Arrow strings and categoricals) and the
    codes are combined arithmetically, so grouping never builds tuples of strings.
    """
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(np.asarray(col) if isinstance(col, list | tuple) else col)
        combined = combined * (len(uniques) + 1) + (codes + 1)
    codes, uniques = pd.factorize(combined)
    return codes.astype(np.int64), len(uniques)


def empty_flags() -> pd.DataFrame:
    """A flags frame with no rows and the right columns."""
    return pd.DataFrame({
        "level": pd.Series(dtype="str"), "unit_code": pd.Series(dtype="str"),
        "year": pd.Series(dtype="int64"), "indicator_id": pd.Series(dtype="str"),
        "action": pd.Series(dtype="str"), "original": pd.Series(dtype=float),
        "new": pd.Series(dtype=float),
    })


def _flags(values: pd.DataFrame, mask: np.ndarray, action: str, new: np.ndarray) -> pd.DataFrame:
    rows = values.loc[mask]
    if rows.empty:
        return empty_flags()
    return pd.DataFrame({
        "level": rows["level"].astype(str).to_numpy(),
        "unit_code": rows["unit_code"].astype(str).to_numpy(),
        "year": rows["year"].to_numpy(dtype=np.int64),
        "indicator_id": rows["indicator_id"].astype(str).to_numpy(),
        "action": action,
        "original": rows["value"].to_numpy(dtype=float),
        "new": np.asarray(new, dtype=float)[mask],
    })


def unit_coverage(values: pd.DataFrame) -> pd.DataFrame:
    """Share of indicators with a value per level × unit × year, 0–1.

    coverage = #{indicators with a value} / #{indicators in the grid}. Returns ``level``,
    ``unit_code``, ``year``, ``coverage``.
    """
    g = values.assign(_has=values["value"].notna()).groupby(
        ["level", "unit_code", "year"], sort=False, observed=True)["_has"]
    out = g.mean().rename("coverage").reset_index()
    return out.astype({"level": str, "unit_code": str})


def screen_units(values: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    """Unit-years with some data but less than ``min_coverage`` (0–1) of their indicators.

    Such units get no task, dimension or index score (SDG Index rule: no score when more than
    20% of indicators are missing, i.e. ``min_coverage = 0.8``). Unit-years with no data at
    all are not listed: they simply have no score. Returns a flags frame with action
    ``screened``, ``indicator_id`` "" and the coverage as ``original``.
    """
    if not 0 <= min_coverage <= 1:
        raise SpecError(f"screen coverage must be between 0 and 1, got {min_coverage!r}")
    cov = unit_coverage(values)
    low = cov[(cov["coverage"] > 0) & (cov["coverage"] < min_coverage)]
    if low.empty:
        return empty_flags()
    return pd.DataFrame({
        "level": low["level"].astype(str).to_numpy(), "unit_code": low["unit_code"].astype(str).to_numpy(),
        "year": low["year"].to_numpy(dtype=np.int64), "indicator_id": "", "action": "screened",
        "original": low["coverage"].to_numpy(dtype=float), "new": np.nan,
    })


def impute_none(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """No imputation: values unchanged, no flags."""
    return values, empty_flags()


def impute_county_median(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill a missing value with the median of the unit's county peers (module docstring).

    x̂_u = median{x_v : v in the same group, same level, year and indicator, x_v present};
    groups are ``county_code`` for villages and townships, ``parent_code`` (the city) for
    counties and one group for cities. Left missing when the whole group is missing.
    Flags: action ``imputed:county_median``.
    """
    level = values["level"]
    county, _ = pd.factorize(values["county_code"])
    parent, _ = pd.factorize(values["parent_code"])
    peer = np.where(level.isin(["village", "township"]).to_numpy(), county,
                    np.where((level == "county").to_numpy(), parent, -1))
    g, _ = group_codes(level, peer, values["year"], values["indicator_id"])
    med = values["value"].groupby(g, sort=False).transform("median").to_numpy()
    x = values["value"].to_numpy(dtype=float)
    fill = np.isnan(x) & ~np.isnan(med)
    new = np.where(fill, med, x)
    return values.assign(value=new), _flags(values, fill, "imputed:county_median", new)


def impute_locf(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carry the unit's last earlier observation of the indicator forward in time.

    x̂_{u,t} = x_{u,s} with s the latest year before t that has a value. Flags: action
    ``imputed:locf``.
    """
    series, _ = group_codes(values["level"], values["unit_code"], values["indicator_id"])
    order = np.lexsort((values["year"].to_numpy(), series))
    filled = pd.Series(values["value"].to_numpy(dtype=float)[order]).groupby(series[order], sort=False).ffill()
    new = np.empty(len(values))
    new[order] = filled.to_numpy(dtype=float)
    x = values["value"].to_numpy(dtype=float)
    fill = np.isnan(x) & ~np.isnan(new)
    return values.assign(value=new), _flags(values, fill, "imputed:locf", new)


IMPUTERS: dict[str, Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "none": impute_none,
    "county_median": impute_county_median,
    "locf": impute_locf,
}


def get_imputer(name: str):
    """The imputation method registered as ``name``; :class:`SpecError` if unknown."""
    try:
        return IMPUTERS[name]
    except KeyError:
        raise SpecError(f"unknown imputation {name!r}; choose one of {sorted(IMPUTERS)}") from None


def skew_kurt(x: np.ndarray, group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample skewness G1 and excess kurtosis G2 of x per integer group (NaN ignored).

    G1 = √(n(n−1))/(n−2) · m3/m2^1.5 and G2 = (n−1)/((n−2)(n−3)) · ((n+1)·m4/m2² − 3(n−1)),
    with m_k the k-th central sample moment (the formulas of Excel SKEW/KURT and pandas).
    NaN when n < 3 (skew) or n < 4 (kurtosis) or all values are equal.
    """
    has = ~np.isnan(x)
    xv = np.where(has, x, 0.0)
    n = np.bincount(group, weights=has, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(group, weights=xv, minlength=n_groups) / n
        d = np.where(has, x - mean[group], 0.0)
        m2 = np.bincount(group, weights=d ** 2, minlength=n_groups) / n
        m3 = np.bincount(group, weights=d ** 3, minlength=n_groups) / n
        m4 = np.bincount(group, weights=d ** 4, minlength=n_groups) / n
        ok = m2 > 1e-14 * np.maximum(1.0, mean ** 2)
        g1 = np.where(ok & (n >= 3), np.sqrt(n * (n - 1)) / (n - 2) * m3 / m2 ** 1.5, np.nan)
        g2 = np.where(ok & (n >= 4),
                      (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * m4 / m2 ** 2 - 3 * (n - 1)), np.nan)
    return g1, g2


def winsorise_values(values: pd.DataFrame, *, max_points: int = 5, skew_threshold: float = 2.0,
                     kurt_threshold: float = 3.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """COINr-style winsorisation per level × year × indicator (module docstring).

    While |G1| > ``skew_threshold`` and G2 > ``kurt_threshold`` and fewer than ``max_points``
    steps were taken: replace the extreme value on the skewed side (max if G1 > 0, min if
    G1 < 0) by the next distinct value. All groups step together (vectorised). Flags: action
    ``winsorised`` with the original and new value.
    """
    if max_points < 0:
        raise SpecError(f"max winsorisation points must be ≥ 0, got {max_points!r}")
    group, n_groups = group_codes(values["level"], values["year"], values["indicator_id"])
    x0 = values["value"].to_numpy(dtype=float)
    x = x0.copy()
    active = np.arange(len(x))                      # rows of groups still under test
    for _ in range(max_points):
        g_act, inv = np.unique(group[active], return_inverse=True)
        xa = x[active]
        g1, g2 = skew_kurt(xa, inv, len(g_act))
        treat = (np.abs(g1) > skew_threshold) & (g2 > kurt_threshold)
        if not treat.any():
            break
        keep = treat[inv]
        active, inv, xa = active[keep], np.unique(inv[keep], return_inverse=True)[1], xa[keep]
        sign = np.where(g1[treat] > 0, 1.0, -1.0)[inv]
        y = sign * xa                                # the extreme side becomes the maximum
        s = pd.Series(y)
        top = s.groupby(inv).transform("max").to_numpy()
        second = s.where(s < top).groupby(inv).transform("max").to_numpy()
        hit = (y == top) & ~np.isnan(second)
        x[active[hit]] = sign[hit] * second[hit]
    changed = ~np.isnan(x0) & (x != x0)
    return values.assign(value=x), _flags(values, changed, "winsorised", x)
