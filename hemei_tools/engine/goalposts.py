"""The benchmark model: each scored indicator's goalposts and its comparison set, from the catalogue only.

Every scored indicator has a **comparison set** (:meth:`hemei_tools.catalogue.Catalogue.comparison_set`):
the published figures of ``benchmarks.csv`` by ``basis`` — Zhejiang (the province or one of its
cities), national, Anhui, local — and, where nothing is published, a **policy standard** (full
coverage, 100 %, citing the policy where one is known) or a **pinned reference** of
``reference_goalposts.csv`` (a percentile of the unit values of a stated reference data set,
year and level, computed by :func:`reference_goalposts` through ``hemei reference`` and versioned
with the catalogue). One figure of the set is the indicator's **benchmark** B, its 100-point
goalpost (``role == "benchmark"``); its **lower goalpost** L (0 points) is the catalogue's
``goalpost_low`` or a pinned ``low`` row.

Goalposts therefore never depend on the data a report loads: the same county scores the same
whether it is built alone, with its city or with its province.

Preferred figure of a basis (:func:`basis_figures`): the benchmark row when it has that basis;
otherwise the basis's province-level (or national) row before a city's, an actual before a
target or standard, then the latest year, then the first row in the catalogue. A target keeps
its kind: it is never called an actual.

A benchmark **below a published average** (:func:`benchmark_flags`): B is flagged when an
Anhui or national *actual* figure A of the same indicator, for the same or a later year than
B, is better than B (d·(A − B) > 0, d the direction): reaching such a benchmark says less than
reaching the average the province or the nation had already reached by then. A policy standard
or a reference has no year and is compared with every average. The flag is a note, not a
goalpost change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemei_tools.catalogue import (
    GOALPOST_BASES,
    GOALPOST_COLUMNS,
    REFERENCE_GOALPOST_COLUMNS,
    Catalogue,
    frame_fingerprint,
    load_catalogue,
)
from hemei_tools.errors import SpecError

BENCHMARK_COLUMNS = ["indicator_id", "benchmark", "basis", "region", "year", "kind", "source_title", "source_url",
                     "note", "percentile", "level", "dataset", "synthetic", "direction", "goalpost_low",
                     "low_source"]
#: Bases a Monte Carlo run may draw a benchmark from, besides the nominal one (docs/methods.md).
ALTERNATIVE_BASES = ("zhejiang", "national", "reference")
#: Percentiles :func:`reference_goalposts` pins (the nominal one and the alternatives drawn by
#: the uncertainty analysis) and the percentile of its lower goalposts (the SDG Index's 2.5th).
REFERENCE_PERCENTILES = (75.0, 90.0, 95.0)
NOMINAL_PERCENTILE = 90.0
LOW_PERCENTILE = 2.5
#: Bases an average a benchmark is checked against may have (:func:`benchmark_flags`).
AVERAGE_BASES = ("anhui", "national")


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    return catalogue or load_catalogue()


def _rank_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` of one basis ordered by preference (module docstring): benchmark row first, the
    province or nation before a city, actual before target or standard, latest year, catalogue order."""
    r = rows.assign(
        _bench=(rows["role"] != "benchmark").astype(int),
        _city=rows["region"].astype(str).str.contains(r"\(", regex=True).astype(int),
        _kind=(rows["kind"] != "actual").astype(int),
        _year=-rows["year"].astype("Float64").fillna(-1).astype(float),
        _pos=np.arange(len(rows)),
    )
    return r.sort_values(["indicator_id", "basis", "_bench", "_city", "_kind", "_year", "_pos"], kind="stable")


def basis_figures(catalogue: Catalogue | None = None, bases=GOALPOST_BASES) -> pd.DataFrame:
    """The preferred figure of each basis for each scored indicator (one row per pair with one).

    Parameters
    ----------
    catalogue
        Default: the packaged catalogue.
    bases
        Bases to return (default all, :data:`hemei_tools.catalogue.GOALPOST_BASES`). For
        ``reference`` the nominal percentile's row is the preferred one (the benchmark row
        when the indicator is scored against its reference, else the ``alternative`` at
        :data:`NOMINAL_PERCENTILE`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`hemei_tools.catalogue.GOALPOST_COLUMNS` plus ``is_benchmark`` (the figure
        is the indicator's goalpost), in catalogue order of the indicators and ``bases`` order.
        Computed once per catalogue and ``bases`` (:meth:`~hemei_tools.catalogue.Catalogue.memo`);
        each call returns a copy.
    """
    cat = _catalogue(catalogue)
    try:
        key = ("basis_figures", tuple(bases))
        hash(key)
    except TypeError:  # an unhashable basis: no cache (the filter below says what is wrong)
        return _basis_figures(cat, bases)
    return cat.memo(key, lambda: _basis_figures(cat, key[1])).copy()


def _basis_figures(cat: Catalogue, bases) -> pd.DataFrame:
    """:func:`basis_figures`, computed."""
    c = cat.comparison_set()
    c = c[c["indicator_id"].isin(cat.scored_ids) & c["basis"].isin(list(bases)) & (c["role"] != "low")]
    ref = c["basis"] == "reference"
    c = c[~ref | (c["role"] == "benchmark") | (c["percentile"] == NOMINAL_PERCENTILE)]
    best = _rank_rows(c).drop_duplicates(["indicator_id", "basis"])
    order = {i: k for k, i in enumerate(cat.scored_ids)}
    border = {b: k for k, b in enumerate(bases)}
    best = best.assign(_o=best["indicator_id"].map(order), _b=best["basis"].map(border))
    best = best.sort_values(["_o", "_b"], kind="stable")
    best["is_benchmark"] = best["role"] == "benchmark"
    return best[[*GOALPOST_COLUMNS, "is_benchmark"]].reset_index(drop=True)


def _lower_goalposts(cat: Catalogue) -> tuple[pd.Series, pd.Series]:
    """L per scored indicator and how it was set: the catalogue's ``goalpost_low``, else the
    pinned ``low`` row (the catalogue's validation guarantees one of the two)."""
    ind = cat.indicators.set_index("indicator_id").reindex(cat.scored_ids)
    c = cat.comparison_set()
    low_rows = c[c["role"] == "low"].drop_duplicates("indicator_id").set_index("indicator_id").reindex(cat.scored_ids)
    cat_low = ind["goalpost_low"].astype(float)
    low = cat_low.fillna(low_rows["value"])
    where = [
        "catalogue goalpost_low" if pd.notna(cl) else
        (f"reference: {p:g}th percentile (bad end) of {lvl} values, {ds}, {int(y)}" if pd.notna(v) else "")
        for cl, v, p, lvl, ds, y in zip(cat_low, low_rows["value"], low_rows["percentile"], low_rows["level"],
                                       low_rows["dataset"], low_rows["year"].fillna(0), strict=True)
    ]
    return low, pd.Series(where, index=low.index)


def resolve_benchmarks(catalogue: Catalogue | None = None, *, basis: str | None = None,
                       reference_percentile: float | None = None) -> pd.DataFrame:
    """One benchmark (100-point goalpost) and one lower goalpost per scored indicator.

    Parameters
    ----------
    catalogue
        The catalogue; ``None`` loads the packaged one.
    basis
        ``None`` (default): each indicator's own goalpost (its ``role == "benchmark"`` row, a
        published figure, a policy standard or a pinned reference). A basis name (``zhejiang``,
        ``national``, ``anhui``, ``local``, ``policy``, ``reference``): each indicator's
        preferred figure of that basis (:func:`basis_figures`), NaN where it has none; e.g.
        ``basis="zhejiang"`` for the 浙江对标指数.
    reference_percentile
        Use the pinned reference at this percentile (one of the percentiles of
        ``reference_goalposts.csv``) wherever a benchmark is a reference; ``None`` keeps the
        catalogue's choice.

    Returns
    -------
    pandas.DataFrame
        :data:`BENCHMARK_COLUMNS`: ``indicator_id``, ``benchmark`` (float, indicator unit;
        binary items in %), ``basis``, ``region``, ``year``, ``kind`` (actual, target,
        standard, reference), ``source_title``, ``source_url``, ``note``, ``percentile``,
        ``level``, ``dataset`` and ``synthetic`` (of a reference), ``direction`` (+1/−1),
        ``goalpost_low`` (L) and ``low_source`` (how L was set). Nothing depends on data, so the
        frame is computed once per catalogue, basis and percentile
        (:meth:`~hemei_tools.catalogue.Catalogue.memo`; a report resolves it about ten times) and
        each call returns a copy.

    Raises
    ------
    SpecError
        Unknown basis, or a reference percentile the catalogue has not pinned for an
        indicator that needs it.
    """
    cat = _catalogue(catalogue)
    pct = None if reference_percentile is None else float(reference_percentile)
    if not (basis is None or isinstance(basis, str)) or (pct is not None and not np.isfinite(pct)):
        return _resolve_benchmarks(cat, basis, pct)  # no cache: raises or is a one-off
    return cat.memo(("resolve_benchmarks", basis, pct), lambda: _resolve_benchmarks(cat, basis, pct)).copy()


def _resolve_benchmarks(cat: Catalogue, basis: str | None, reference_percentile: float | None) -> pd.DataFrame:
    """:func:`resolve_benchmarks`, computed."""
    ids = cat.scored_ids
    if basis is None:
        rows = cat.benchmark_table()
    elif basis in GOALPOST_BASES:
        rows = basis_figures(cat, (basis,)).set_index("indicator_id").reindex(ids).rename_axis(
            "indicator_id").reset_index()
    else:
        raise SpecError(f"unknown goalpost basis {basis!r}; choose one of {GOALPOST_BASES} (or None for the "
                        "catalogue's own goalposts)")
    if reference_percentile is not None:
        rows = _at_percentile(cat, rows, float(reference_percentile))
    ind = cat.indicators.set_index("indicator_id").reindex(ids)
    low, low_source = _lower_goalposts(cat)
    out = pd.DataFrame({
        "indicator_id": pd.Series(ids, dtype=object),
        "benchmark": rows["value"].astype(float).to_numpy(),
        "basis": rows["basis"].astype(object).to_numpy(),
        "region": rows["region"].astype(object).to_numpy(),
        "year": pd.array(rows["year"], dtype="Int64"),
        "kind": rows["kind"].astype(object).to_numpy(),
        "source_title": rows["source_title"].astype(object).to_numpy(),
        "source_url": rows["source_url"].astype(object).to_numpy(),
        "note": rows["note"].astype(object).to_numpy(),
        "percentile": rows["percentile"].astype(float).to_numpy(),
        "level": rows["level"].astype(object).to_numpy(),
        "dataset": rows["dataset"].astype(object).to_numpy(),
        "synthetic": rows["synthetic"].astype(object).to_numpy(),
        "direction": ind["direction"].astype(int).to_numpy(),
        "goalpost_low": low.to_numpy(dtype=float),
        "low_source": low_source.to_numpy(dtype=object),
    })
    return out[BENCHMARK_COLUMNS]


def _at_percentile(cat: Catalogue, rows: pd.DataFrame, p: float) -> pd.DataFrame:
    """``rows`` (one per scored indicator) with every reference row replaced by the pinned
    reference of the same indicator at percentile ``p``."""
    c = cat.comparison_set()
    pinned = c[(c["basis"] == "reference") & c["role"].isin(["benchmark", "alternative"])
               & np.isclose(c["percentile"].astype(float), p)].drop_duplicates("indicator_id")
    pinned = pinned.set_index("indicator_id")
    need = (rows["basis"] == "reference").to_numpy()
    missing = [i for i, n in zip(rows["indicator_id"], need, strict=True) if n and i not in pinned.index]
    if missing:
        have = sorted(c.loc[c["basis"] == "reference", "percentile"].dropna().unique().tolist())
        raise SpecError(f"no pinned reference at the {p:g}th percentile for {missing}; percentiles pinned in "
                        f"reference_goalposts.csv: {have} (recompute them with `hemei reference`)")
    out = rows.copy()
    sub = pinned.reindex(out.loc[need, "indicator_id"])
    for col in ("value", "percentile", "year", "level", "dataset", "n_units", "synthetic", "note", "source_title"):
        out.loc[need, col] = sub[col].to_numpy()
    return out


def reference_percentiles(catalogue: Catalogue | None = None) -> tuple[float, ...]:
    """The percentiles pinned for every indicator with a reference (benchmark or alternative)."""
    c = _catalogue(catalogue).comparison_set()
    ref = c[(c["basis"] == "reference") & c["role"].isin(["benchmark", "alternative"])]
    if ref.empty:
        return ()
    per = ref.groupby("percentile")["indicator_id"].nunique()
    return tuple(float(p) for p in per.index[per == per.max()])


def benchmark_flags(catalogue: Catalogue | None = None, benchmarks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Benchmarks below a published Anhui or national average (rule in the module docstring).

    Parameters
    ----------
    catalogue
        Default: the packaged catalogue.
    benchmarks
        Resolved benchmarks (:func:`resolve_benchmarks`); default the catalogue's own.

    Returns
    -------
    pandas.DataFrame
        One row per scored indicator: ``indicator_id``, ``below_average`` (bool) and, when
        flagged, the best such average: ``average_basis`` (anhui or national),
        ``average_region``, ``average_year``, ``average_year_label`` (as published, e.g.
        ``c.2024``), ``average_value``. Computed once per catalogue and benchmarks content
        (:func:`hemei_tools.catalogue.frame_fingerprint`); each call returns a copy.
    """
    cat = _catalogue(catalogue)
    try:
        key = ("benchmark_flags", None if benchmarks is None else frame_fingerprint(benchmarks))
    except (TypeError, ValueError):  # content that cannot be hashed: no cache
        return _benchmark_flags(cat, benchmarks)
    return cat.memo(key, lambda: _benchmark_flags(cat, benchmarks)).copy()


def _benchmark_flags(cat: Catalogue, benchmarks: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`benchmark_flags`, computed."""
    bm = resolve_benchmarks(cat) if benchmarks is None else benchmarks
    bm = bm.drop_duplicates("indicator_id").set_index("indicator_id").reindex(cat.scored_ids)
    c = cat.comparison_set()
    avg = c[c["basis"].isin(AVERAGE_BASES) & (c["kind"] == "actual") & c["role"].isin(["benchmark", "comparison"])
            & c["indicator_id"].isin(cat.scored_ids)].copy()
    avg["B"] = avg["indicator_id"].map(bm["benchmark"]).astype(float)
    avg["B_year"] = avg["indicator_id"].map(bm["year"].astype("Float64")).astype(float)
    avg["d"] = avg["indicator_id"].map(cat.indicators.set_index("indicator_id")["direction"]).astype(float)
    later = avg["B_year"].isna() | (avg["year"].astype("Float64").astype(float) >= avg["B_year"])
    above = avg["d"] * (avg["value"] - avg["B"]) > 0
    hit = avg[later & above].assign(_gain=lambda t: t["d"] * t["value"])
    hit = hit.sort_values(["indicator_id", "_gain"], ascending=[True, False], kind="stable").drop_duplicates(
        "indicator_id").set_index("indicator_id")
    out = pd.DataFrame({"indicator_id": cat.scored_ids})
    out["below_average"] = out["indicator_id"].isin(hit.index)
    for col, src in (("average_basis", "basis"), ("average_region", "region"), ("average_value", "value")):
        out[col] = out["indicator_id"].map(hit[src])
    out["average_year"] = pd.array(out["indicator_id"].map(hit["year"].astype("Float64")), dtype="Int64")
    out["average_year_label"] = out["indicator_id"].map(hit["year_label"])
    return out[["indicator_id", "below_average", "average_basis", "average_region", "average_year",
                "average_year_label", "average_value"]]


def goalpost_composition(catalogue: Catalogue | None = None, benchmarks: pd.DataFrame | None = None,
                         weight_overrides=None) -> pd.DataFrame:
    """What each dimension (and the index) is measured against: indicators and weight by basis.

    For node N (a dimension, or the index) and basis b: ``n`` = the number of N's scored
    indicators whose benchmark has basis b, and ``weight_share`` = Σ w_i over them / Σ w_i over
    all of N's indicators, with w_i the indicator's effective weight in the index (the product
    of its normalised weights down the tree, spec overrides applied), so the shares of a node
    sum to 1.

    Returns
    -------
    pandas.DataFrame
        ``node`` (index code, then dimension codes), ``basis`` (:data:`GOALPOST_BASES` order),
        ``n`` and ``weight_share`` (0–1); every node × basis pair, zeros included. Computed
        once per catalogue, benchmarks content and overrides; each call returns a copy.
    """
    cat = _catalogue(catalogue)
    try:
        key = ("goalpost_composition", None if benchmarks is None else frame_fingerprint(benchmarks),
               tuple(sorted(dict(weight_overrides or {}).items())))
        hash(key)
    except (TypeError, ValueError):  # content or overrides that cannot be keyed: no cache
        return _goalpost_composition(cat, benchmarks, weight_overrides)
    return cat.memo(key, lambda: _goalpost_composition(cat, benchmarks, weight_overrides)).copy()


def _goalpost_composition(cat: Catalogue, benchmarks: pd.DataFrame | None, weight_overrides) -> pd.DataFrame:
    """:func:`goalpost_composition`, computed."""
    from hemei_tools.engine.composite import effective_weights

    bm = resolve_benchmarks(cat) if benchmarks is None else benchmarks
    basis = bm.drop_duplicates("indicator_id").set_index("indicator_id")["basis"].reindex(cat.scored_ids)
    w = effective_weights(cat, weight_overrides)
    dim = cat.indicator_tree().set_index("indicator_id")["dimension_id"].reindex(cat.scored_ids)
    rows = []
    for node in [cat.index_code, *cat.dimensions["code"]]:
        mine = dim.index if node == cat.index_code else dim.index[dim == node]
        total = float(w.reindex(mine).sum())
        for b in GOALPOST_BASES:
            sel = [i for i in mine if basis.get(i) == b]
            rows.append({"node": node, "basis": b, "n": len(sel),
                         "weight_share": float(w.reindex(sel).sum()) / total if total > 0 else np.nan})
    return pd.DataFrame(rows)


def reference_goalposts(unit_values: pd.DataFrame, catalogue: Catalogue | None = None, *, dataset: str,
                        synthetic: bool, level: str = "county", year: int | None = None,
                        percentiles=REFERENCE_PERCENTILES, nominal: float = NOMINAL_PERCENTILE,
                        low_percentile: float = LOW_PERCENTILE) -> pd.DataFrame:
    """The pinned reference goalposts computed from one data set (the ``hemei reference`` table).

    For every scored indicator, the percentiles q ∈ ``percentiles`` of its ``level`` values
    (default counties) in ``year`` (default the latest year with data), on the good side
    (q for d = +1, 100 − q for d = −1; linear interpolation between order statistics,
    ``numpy.percentile``'s default): role ``benchmark`` at ``nominal`` for an indicator with
    no published benchmark and no policy standard, ``alternative`` otherwise (drawn only by the
    uncertainty analysis). For every indicator whose ``goalpost_low`` is blank, the
    ``low_percentile``-th percentile on the bad side, role ``low``. The catalogue's policy
    standards are kept as they are.

    Parameters
    ----------
    unit_values
        :func:`hemei_tools.engine.rollup.aggregate_values` output holding ``level``.
    catalogue
        Default: the packaged catalogue.
    dataset
        What the data are (written in every row, e.g. ``hemei demo --scale anhui --seed 2023``).
    synthetic
        Whether the reference data are synthetic (written in every row; reports say so).
    level, year, percentiles, nominal, low_percentile
        See above.

    Returns
    -------
    pandas.DataFrame
        The rows of ``reference_goalposts.csv``: policy rows first, then per indicator its
        benchmark or alternatives and its low row.

    Raises
    ------
    SpecError
        No values at ``level`` (or in ``year``), a scored indicator without values there, or
        ``nominal`` not among ``percentiles``.
    """
    cat = _catalogue(catalogue)
    if float(nominal) not in {float(p) for p in percentiles}:
        raise SpecError(f"the nominal percentile {nominal} must be one of the percentiles {tuple(percentiles)}")
    uv = unit_values[(unit_values["level"] == level) & unit_values["value"].notna()]
    if uv.empty:
        raise SpecError(f"no {level} values to compute reference goalposts from")
    year = int(uv["year"].max()) if year is None else int(year)
    uv = uv[uv["year"] == year]
    if uv.empty:
        raise SpecError(f"no {level} values in {year}")
    ind = cat.indicators.set_index("indicator_id")
    c = cat.comparison_set()
    policy = cat.reference_goalposts[cat.reference_goalposts["basis"] == "policy"]
    has_goalpost = set(c.loc[(c["role"] == "benchmark") & (c["basis"] != "reference"), "indicator_id"])
    values = {k: g.to_numpy(dtype=float) for k, g in uv.groupby(uv["indicator_id"].astype(str))["value"]}
    lacking = [i for i in cat.scored_ids if i not in values]
    if lacking:
        raise SpecError(f"the reference data hold no {level} values in {year} for {lacking}")
    rows = []
    caveat = "; synthetic reference data (a demo), not real figures" if synthetic else ""
    base = {"region": "reference", "year": year, "kind": "reference", "level": level, "dataset": dataset,
            "synthetic": "true" if synthetic else "false", "source_title": "", "source_url": "", "basis": "reference"}
    for iid in cat.scored_ids:
        x, d, unit = values[iid], int(ind.at[iid, "direction"]), ind.at[iid, "unit"]
        for q in percentiles:
            role = "benchmark" if (iid not in has_goalpost and float(q) == float(nominal)) else "alternative"
            v = float(np.percentile(x, q if d > 0 else 100 - q))
            rows.append({**base, "indicator_id": iid, "role": role, "value": round(v, 4), "unit": unit,
                         "percentile": float(q), "n_units": len(x),
                         "note": f"{q:g}th percentile (good end) of {len(x)} {level} values in {year}{caveat}"})
        if pd.isna(ind.at[iid, "goalpost_low"]):
            v = float(np.percentile(x, low_percentile if d > 0 else 100 - low_percentile))
            rows.append({**base, "indicator_id": iid, "role": "low", "value": round(v, 4), "unit": unit,
                         "percentile": float(low_percentile), "n_units": len(x),
                         "note": f"{low_percentile:g}th percentile (bad end) of {len(x)} {level} values in {year}"
                                 f"{caveat}"})
    policy = policy.astype(object).assign(synthetic="")
    out = pd.concat([policy, pd.DataFrame(rows)], ignore_index=True) if len(policy) else pd.DataFrame(rows)
    return out.reindex(columns=REFERENCE_GOALPOST_COLUMNS)
