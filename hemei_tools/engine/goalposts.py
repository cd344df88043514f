"""Resolve each scored indicator's benchmark (the 100-point goalpost) and its lower goalpost.

The catalogue's ``benchmarks.csv`` names exactly one ``role == benchmark`` row per scored
indicator. A published figure (kind ``actual``, ``target`` or ``standard``) is used as it
stands. A ``frontier`` row has no published figure: the benchmark is then computed from the
data as the 90th percentile of the village values of the latest year with village data
(for a lower-is-better indicator, the 10th percentile: the good end of the distribution),
in the spirit of the SDG Index's upper bounds (Sachs et al., SDG Index and Dashboards,
methodology: without a target, the upper bound is the average of the top performers); a high
percentile is used instead of a top-k mean so the goalpost does not depend on the number of
villages. When the data hold no village rows, the lowest level present is used.

The lower goalpost L (the "0 points" end of the goalpost scale) comes from the catalogue's
``goalpost_low``; where that is blank, or when the rule is ``"percentile"``, it is the 2.5th
percentile of the same village values (97.5th for lower-is-better), the SDG Index rule for the
lower bound that trims outliers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.errors import SpecError

BENCHMARK_COLUMNS = ["indicator_id", "benchmark", "region", "year", "kind", "source_title",
                     "source_url", "note", "direction", "goalpost_low", "low_source"]
LOW_RULES = ("catalogue", "percentile")
_LEVEL_ORDER = ("village", "township", "county", "city", "province")


def _reference_values(unit_values: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Rows of the lowest level present (village when there is one)."""
    if unit_values.empty:
        return unit_values, "village"
    present = set(unit_values["level"].unique())
    for level in _LEVEL_ORDER:
        if level in present:
            return unit_values[unit_values["level"] == level], level
    return unit_values.iloc[0:0], "village"


def _latest_percentiles(ref: pd.DataFrame, q_good: float, q_low: float,
                        direction: pd.Series) -> pd.DataFrame:
    """Per indicator: latest year with data and the percentiles of its values in that year.

    ``q_good`` is the percentile on the good side for d = +1 (mirrored, 100 − q, for d = −1);
    ``q_low`` likewise for the lower goalpost. Linear interpolation between order statistics
    (``numpy.percentile`` default). Returns ``indicator_id``, ``year``, ``n``, ``good``, ``low``.
    """
    value = pd.to_numeric(ref["value"], errors="coerce").to_numpy(dtype=float)
    has = ~np.isnan(value)
    if not has.any():
        return pd.DataFrame(columns=["indicator_id", "year", "n", "good", "low"])
    code, ids = pd.factorize(ref["indicator_id"])
    year = ref["year"].to_numpy(dtype=np.int64)
    code, year, value = code[has], year[has], value[has]
    latest = pd.Series(year).groupby(code).max()
    last = year == latest.to_numpy()[pd.Index(latest.index).get_indexer(code)]
    g = pd.Series(value[last]).groupby(code[last])
    qs = sorted({q_good, 100 - q_good, q_low, 100 - q_low})
    table = g.quantile([q / 100 for q in qs]).unstack()
    table.columns = qs
    iid = np.asarray(ids, dtype=object)[table.index.to_numpy()]
    d = direction.reindex(iid).fillna(1).to_numpy()
    return pd.DataFrame({
        "indicator_id": iid,
        "year": latest.reindex(table.index).to_numpy(),
        "n": g.size().reindex(table.index).to_numpy(),
        "good": np.where(d > 0, table[q_good], table[100 - q_good]),
        "low": np.where(d > 0, table[q_low], table[100 - q_low]),
    })


def resolve_benchmarks(catalogue: Catalogue | None, unit_values: pd.DataFrame, *,
                       frontier_percentile: float = 90.0, low_rule: str = "catalogue",
                       low_percentile: float = 2.5) -> pd.DataFrame:
    """One benchmark (100-point goalpost) and one lower goalpost per scored indicator.

    Parameters
    ----------
    catalogue
        The catalogue; ``None`` loads the packaged one.
    unit_values
        Unit values (``hemei_tools.engine.rollup.aggregate_values``); only needed for ``frontier``
        benchmarks and percentile lower goalposts, which use the village values of the
        latest year with data for that indicator.
    frontier_percentile
        Percentile (0–100) of village values that defines a frontier benchmark for a
        higher-is-better indicator (default 90; ``100 − p`` for lower-is-better).
    low_rule
        ``"catalogue"``: the catalogue's ``goalpost_low``, or the percentile when blank;
        ``"percentile"``: always the percentile.
    low_percentile
        Percentile (0–100) of village values for the lower goalpost (default 2.5, the SDG
        Index's rule; ``100 − p`` for lower-is-better).

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``benchmark`` (float, indicator unit; binary items in %),
        ``region``, ``year``, ``kind`` (actual/target/standard/frontier), ``source_title``,
        ``source_url``, ``note``, plus ``direction`` (+1/−1), ``goalpost_low`` (L, float) and
        ``low_source`` (how L was set). ``benchmark`` is NaN when a frontier indicator has no
        data; :func:`hemei_tools.engine.composite.build_index` refuses to score it.

    Raises
    ------
    SpecError
        Unknown ``low_rule`` or a percentile outside 0–100.

    Notes
    -----
    Long because the docstring documents the benchmark and goalpost rules and every output column; the code body is under 60 lines.
    """
    if low_rule not in LOW_RULES:
        raise SpecError(f"unknown goalpost_low rule {low_rule!r}; choose one of {LOW_RULES}")
    for name, q in (("frontier_percentile", frontier_percentile), ("low_percentile", low_percentile)):
        if not 0 <= q <= 100:
            raise SpecError(f"{name} must be between 0 and 100, got {q!r}")
    catalogue = catalogue or load_catalogue()
    table = catalogue.benchmark_table()
    ind = catalogue.indicators.set_index("indicator_id")
    direction = ind["direction"]

    ref, ref_level = _reference_values(unit_values)
    stats = _latest_percentiles(ref, frontier_percentile, low_percentile, direction)
    stats = stats.set_index("indicator_id").reindex(table["indicator_id"])

    out = pd.DataFrame({
        "indicator_id": table["indicator_id"].astype(str),
        "benchmark": pd.to_numeric(table["value"], errors="coerce").astype(float),
        "region": table["region"].astype(object),
        "year": table["year"].astype("Int64"),
        "kind": table["kind"].astype(str),
        "source_title": table["source_title"].astype(object),
        "source_url": table["source_url"].astype(object),
        "note": table["note"].astype(object),
    })
    frontier = (out["kind"] == "frontier").to_numpy()
    pct_good = frontier_percentile
    out.loc[frontier, "benchmark"] = stats["good"].to_numpy(dtype=float)[frontier]
    out.loc[frontier, "year"] = pd.array(stats["year"].to_numpy()[frontier], dtype="Int64")
    out.loc[frontier, "region"] = "data"
    n = stats["n"].to_numpy()
    yr = stats["year"].to_numpy()
    notes = [
        (f"frontier: {pct_good:g}th percentile (good end) of {int(k)} {ref_level} values in {int(y)}"
         if pd.notna(k) and pd.notna(y) else f"frontier: no {ref_level} values to compute it from")
        for k, y in zip(n[frontier], yr[frontier], strict=True)
    ]
    out.loc[frontier, "note"] = notes

    out["direction"] = out["indicator_id"].map(direction).astype(int).to_numpy()
    cat_low = out["indicator_id"].map(ind["goalpost_low"]).astype(float).to_numpy()
    data_low = stats["low"].to_numpy(dtype=float)
    use_cat = (low_rule == "catalogue") & ~np.isnan(cat_low)
    out["goalpost_low"] = np.where(use_cat, cat_low, data_low)
    out["low_source"] = np.where(
        use_cat, "catalogue goalpost_low",
        f"{low_percentile:g}th percentile (bad end) of {ref_level} values, latest year")
    return out[BENCHMARK_COLUMNS].reset_index(drop=True)
