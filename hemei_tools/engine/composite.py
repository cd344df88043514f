"""The 和美指数: indicator → task → dimension → index scores for every unit level and year.

Pipeline (JRC/OECD Handbook 2008 steps; COINr verbs), every choice named in an
:class:`IndexSpec` so a run can be stored, re-run and compared:

1. **benchmarks** — :func:`hemei_tools.engine.goalposts.resolve_benchmarks`: the benchmark B (100
   points) and lower goalpost L of each scored indicator, from the catalogue only (a published
   figure, a policy standard or a pinned reference), the same at every level and year and for
   any data loaded, so scores are comparable across levels, over time and across builds;
2. **screening** — a unit-year with data for less than ``screen_coverage`` of the scored
   indicators gets no task, dimension or index score (flag ``screened``);
3. **imputation** and **winsorisation** — :mod:`hemei_tools.engine.treat`, every changed value in
   ``flags``;
4. **normalisation** — :mod:`hemei_tools.engine.normalise`, by name (default goalposts:
   a = 100·clip((x − L)/(B − L), 0, 1));
5. **weighting and aggregation** — :mod:`hemei_tools.engine.aggregate`, by name: indicator → task
   with ``indicators.csv`` weights, task → dimension → index with ``framework.csv`` weights,
   each normalised within its parent (w_i / Σ_siblings w); ``spec.weights`` overrides any
   code's weight. A parent with coverage (share of children with a score) below
   ``min_coverage`` is missing; otherwise it re-weights among the available children;
6. **ranks** — 1 = best within level × year × node (ties share the best rank, "min" method).

Internally each level is a dense ``units × years × indicators`` array, so the whole build is
a few array operations and matrix products (no loop over units).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.engine.aggregate import get_aggregator
from hemei_tools.engine.goalposts import NOMINAL_PERCENTILE, resolve_benchmarks
from hemei_tools.engine.normalise import get_normaliser
from hemei_tools.engine.rollup import ALL_UNIT_LEVELS, ValuesError, stacked_categorical
from hemei_tools.engine.treat import empty_flags, get_imputer, winsorise_values
from hemei_tools.errors import SpecError

NODE_LEVELS = ("index", "dimension", "task", "indicator")
SCORE_COLUMNS = ["level", "unit_code", "unit_name", "parent_code", "county_code", "year", "node",
                 "node_level", "score", "coverage", "rank"]


@dataclass(frozen=True)
class IndexSpec:
    """Every choice of an index build, by name or number (COINr-style specification).

    Attributes
    ----------
    normaliser
        Name in :data:`hemei_tools.engine.normalise.NORMALISERS` (default ``"goalposts"``).
    aggregator
        Name in :data:`hemei_tools.engine.aggregate.AGGREGATORS` (default ``"amean"``).
    min_coverage
        0–1. A task, dimension or index is missing when fewer than this share of its children
        have a score; above it the parent re-weights among available children (default 0.5).
    screen_coverage
        0–1. A unit-year with data for less than this share of scored indicators gets no
        task, dimension or index score (default 0.8, the SDG Index's 80% rule).
    imputation
        ``"none"`` (default), ``"county_median"`` or ``"locf"`` (:mod:`hemei_tools.engine.treat`).
    winsorise
        Apply COINr's outlier rule (default False: goalposts cap outliers at 100 anyway).
    winsor_max_points, skew_threshold, kurt_threshold
        Parameters of the outlier rule (5, 2.0, 3.5).
    reference_percentile
        Percentile of the pinned reference goalposts used wherever a benchmark is a reference
        (``reference_goalposts.csv``; default 90, the catalogue's own; 75 and 95 are pinned
        for sensitivity runs). Never computed from the data being scored.
    gmean_floor
        Floor (score points) a child is raised to before a geometric mean (1.0).
    weights
        Weight overrides by code: an indicator id (weight within its task), a task code
        (within its dimension) or a dimension code (within the index). Given as a mapping,
        stored as a sorted tuple of pairs so the spec stays hashable.
    years
        Years to score; empty (default) means every year in the data.
    """

    normaliser: str = "goalposts"
    aggregator: str = "amean"
    min_coverage: float = 0.5
    screen_coverage: float = 0.8
    imputation: str = "none"
    winsorise: bool = False
    winsor_max_points: int = 5
    skew_threshold: float = 2.0
    kurt_threshold: float = 3.5
    reference_percentile: float = NOMINAL_PERCENTILE
    gmean_floor: float = 1.0
    weights: Any = field(default=())
    years: tuple[int, ...] = ()

    def __post_init__(self):
        w = self.weights
        items = w.items() if isinstance(w, Mapping) else (w or ())
        try:
            pairs = tuple(sorted((str(k), float(v)) for k, v in items))
        except (TypeError, ValueError) as err:
            raise SpecError(f"weights must map codes to numbers, got {w!r}") from err
        object.__setattr__(self, "weights", pairs)
        object.__setattr__(self, "years", tuple(int(y) for y in (self.years or ())))

    @property
    def weight_overrides(self) -> dict[str, float]:
        """The weight overrides as a plain dict."""
        return dict(self.weights)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON/YAML-ready); :meth:`from_dict` inverts it."""
        d = dataclasses.asdict(self)
        d["weights"] = dict(self.weights)
        d["years"] = list(self.years)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndexSpec:
        """Build a spec from :meth:`to_dict` output; unknown keys raise :class:`SpecError`."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(f"unknown IndexSpec field(s) {unknown}; known: {sorted(known)}")
        return cls(**dict(data))

    def validate(self, catalogue: Catalogue | None = None) -> None:
        """Check names, thresholds and weight overrides; :class:`SpecError` says what to fix."""
        get_normaliser(self.normaliser)
        get_aggregator(self.aggregator)
        get_imputer(self.imputation)
        for name in ("min_coverage", "screen_coverage"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise SpecError(f"{name} must be a share between 0 and 1, got {v!r}")
        if not 0 < self.reference_percentile < 100:
            raise SpecError(f"reference_percentile must be between 0 and 100, got {self.reference_percentile!r}")
        if not self.gmean_floor > 0:
            raise SpecError(f"gmean_floor must be positive, got {self.gmean_floor!r}")
        if catalogue is not None:
            tree_weights(catalogue, self.weight_overrides)


def tree_weights(catalogue: Catalogue, overrides: Mapping[str, float] | None = None
                 ) -> dict[str, pd.DataFrame]:
    """Weight matrices of the index tree, each column normalised to sum to 1 within its parent.

    Returns ``{"task": indicators × tasks, "dimension": tasks × dimensions, "index":
    dimensions × index}`` DataFrames (rows children, columns parents, catalogue order);
    entry (i, j) = w_i / Σ_{k child of j} w_k for a child i of j, else 0. Only scored
    indicators appear. ``overrides`` replace catalogue weights by code.

    Computed once per catalogue and overrides (:meth:`~hemei_tools.catalogue.Catalogue.memo`: a
    report asks about ten times); each call returns copies of the matrices.

    Raises
    ------
    SpecError
        Unknown code, negative or non-finite weight, or a parent whose children all weigh 0.
    """
    overrides = dict(overrides or {})
    try:
        key = ("tree_weights", tuple(sorted(overrides.items())))
        hash(key)
    except TypeError:  # codes or weights that cannot be keyed: computed (and checked) as given
        return _tree_weights(catalogue, overrides)
    return {k: m.copy() for k, m in catalogue.memo(key, lambda: _tree_weights(catalogue, overrides)).items()}


def _tree_weights(catalogue: Catalogue, overrides: dict) -> dict[str, pd.DataFrame]:
    """:func:`tree_weights`, computed."""
    ind = catalogue.indicators[catalogue.indicators["scored"]]
    fw = catalogue.framework
    known = set(ind["indicator_id"]) | set(fw.loc[fw["level"] != "index", "code"])
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SpecError(f"weight override(s) for unknown code(s) {unknown}: use scored indicator ids, "
                        "task codes (T01…) or dimension codes (D1…)")
    bad = {k: v for k, v in overrides.items() if not (np.isfinite(v) and v >= 0)}
    if bad:
        raise SpecError(f"weights must be finite and ≥ 0, got {bad}")
    tasks = fw[fw["level"] == "task"]
    dims = fw[fw["level"] == "dimension"]
    index = fw[fw["level"] == "index"]
    out = {}
    for name, children, child_code, parent_of, parents in (
        ("task", ind, "indicator_id", ind["task_id"], tasks["code"]),
        ("dimension", tasks, "code", tasks["parent"], dims["code"]),
        ("index", dims, "code", dims["parent"], index["code"]),
    ):
        codes = children[child_code].astype(str).to_numpy()
        w = np.array([overrides.get(c, wt) for c, wt in zip(codes, children["weight"], strict=True)],
                     dtype=float)
        col = pd.Index(parents).get_indexer(parent_of.astype(str))
        mat = np.zeros((len(codes), len(parents)))
        mat[np.arange(len(codes)), col] = w
        m = pd.DataFrame(mat, index=pd.Index(codes, name="child"),
                         columns=pd.Index(parents.tolist(), name="parent"))
        total = m.sum(axis=0)
        empty = total.index[total <= 0].tolist()
        if empty:
            raise SpecError(f"every child of {', '.join(empty)} has weight 0: give at least one child a "
                            "positive weight")
        out[name] = m / total
    return out


def effective_weights(catalogue: Catalogue, overrides: Mapping[str, float] | None = None) -> pd.Series:
    """Each scored indicator's weight in the index: w_eff,i = s_i,task · s_task,dim · s_dim,index,
    the product of its normalised weights down the tree (:func:`tree_weights`, overrides
    applied; JRC/OECD Handbook 2008, §6). Indexed by indicator id (catalogue order); sums to 1."""
    w = tree_weights(catalogue, overrides)
    per_task = w["task"].to_numpy() @ w["dimension"].to_numpy() @ w["index"].to_numpy()
    return pd.Series(per_task[:, 0], index=pd.Index(w["task"].index, name="indicator_id"), name="weight")


@dataclass(frozen=True)
class IndexResult:
    """Everything a build produced (frozen; every stage inspectable).

    Attributes
    ----------
    spec
        The :class:`IndexSpec` used.
    values
        Unit values after treatment (the input frame; treated values replaced, imputed values
        added as rows) with a ``flag`` column ("" or the action that changed the value).
    benchmarks
        :func:`~hemei_tools.engine.goalposts.resolve_benchmarks` output used for normalisation.
    flags
        One row per imputed, winsorised or screened value: ``level``, ``unit_code``,
        ``year``, ``indicator_id`` ("" for a screened unit-year), ``action``, ``original``,
        ``new``.
    scores
        Long frame ``level``, ``unit_code``, ``unit_name``, ``parent_code``, ``county_code``,
        ``year``, ``node`` (indicator id, task, dimension or index code), ``node_level``
        (indicator/task/dimension/index), ``score`` (0–100 for bounded normalisers; NaN when
        coverage is too low), ``coverage`` (share of children with a score, 0–1; for an
        indicator 1 or 0), ``rank`` (Int64, 1 = best within level × year × node). The label
        columns are categoricals of strings with sorted categories: they compare, filter,
        sort, merge and pivot as strings, with one small integer per row (millions of rows
        at province scale).
    """

    spec: IndexSpec
    values: pd.DataFrame
    benchmarks: pd.DataFrame
    flags: pd.DataFrame
    scores: pd.DataFrame

    def _check(self, level: str, year: int | None = None) -> None:
        levels = self.scores["level"].unique().tolist()
        if level not in levels:
            raise SpecError(f"no scores at level {level!r}; levels with scores: {levels}")
        if year is not None:
            years = sorted(self.scores["year"].unique().tolist())
            if int(year) not in years:
                raise SpecError(f"no data for year {year}; years with data: {years}")

    def index_scores(self, level: str, year: int | None = None) -> pd.DataFrame:
        """Index (和美指数) scores of one level, one year or all years, best first.

        Returns ``unit_code``, ``unit_name``, ``parent_code``, ``county_code``, ``year``,
        ``score``, ``coverage``, ``rank``, sorted by year then rank.
        """
        self._check(level, year)
        s = self.scores
        sel = (s["level"] == level) & (s["node_level"] == "index")
        if year is not None:
            sel &= s["year"] == int(year)
        out = s.loc[sel, ["unit_code", "unit_name", "parent_code", "county_code", "year", "score",
                          "coverage", "rank"]]
        return out.sort_values(["year", "rank", "unit_code"], kind="stable").reset_index(drop=True)

    def wide(self, level: str, node_level: str, year: int) -> pd.DataFrame:
        """Scores of one level and year as a units × nodes table (tree order of columns).

        Index ``unit_code``; one column per node of ``node_level``
        (index/dimension/task/indicator); values are scores.
        """
        if node_level not in NODE_LEVELS:
            raise SpecError(f"unknown node_level {node_level!r}; choose one of {NODE_LEVELS}")
        self._check(level, year)
        s = self.scores
        sel = s[(s["level"] == level) & (s["node_level"] == node_level) & (s["year"] == int(year))]
        nodes = pd.Index(np.asarray(pd.unique(sel["node"]), dtype=object), dtype="str")
        out = sel.pivot(index="unit_code", columns="node", values="score")
        # plain string labels (the long frame's label columns are categoricals)
        out.index = pd.Index(np.asarray(out.index, dtype=object), dtype="str", name="unit_code")
        out.columns = pd.Index(np.asarray(out.columns, dtype=object), dtype="str", name="node")
        return out.reindex(columns=nodes).rename_axis(columns=None)


def _text(s: pd.Series) -> pd.Series:
    """``s`` as strings; a string or categorical column as it is (no copy of millions of rows)."""
    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s
    return s.astype(str)


def _check_unit_values(uv: pd.DataFrame) -> pd.DataFrame:
    need = ["level", "unit_code", "year", "indicator_id", "value"]
    missing = [c for c in need if c not in uv.columns]
    if missing:
        raise ValuesError(f"unit values lack column(s) {', '.join(missing)}; build them with "
                          "hemei_tools.engine.rollup.aggregate_values")
    bad = sorted(set(str(v) for v in uv["level"].unique()) - set(ALL_UNIT_LEVELS))
    if bad:
        raise ValuesError(f"unit values have unknown level(s) {bad}; use {ALL_UNIT_LEVELS}")
    return uv


@dataclass(frozen=True)
class _Columns:
    """Integer-coded columns of the unit values, computed once per build."""

    frame: pd.DataFrame
    level: np.ndarray
    unit: np.ndarray
    units: np.ndarray
    year: np.ndarray
    indicator: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, uv: pd.DataFrame, ids: list[str]) -> _Columns:
        l_codes, l_uniq = pd.factorize(_text(uv["level"]))
        lv = pd.Index(ALL_UNIT_LEVELS).get_indexer(pd.Index(np.asarray(l_uniq, dtype=object)))[l_codes] \
            if len(l_uniq) else l_codes
        unit, units = pd.factorize(_text(uv["unit_code"]), sort=True)
        i_codes, i_uniq = pd.factorize(_text(uv["indicator_id"]))
        ind = pd.Index(ids).get_indexer(pd.Index(np.asarray(i_uniq, dtype=object)))[i_codes] \
            if len(i_uniq) else i_codes
        year = pd.to_numeric(uv["year"], errors="coerce")
        if year.isna().any():
            raise ValuesError("unit values have rows without a numeric year")
        return cls(uv, lv, unit, np.asarray(units, dtype=object), year.to_numpy(dtype=np.int64), ind,
                   pd.to_numeric(uv["value"], errors="coerce").to_numpy(dtype=float))


def _grid(cols: _Columns, level: str, years: np.ndarray, n_i: int):
    """Dense units × years × indicators array of one level, plus unit attributes and row map."""
    rows = np.flatnonzero(cols.level == ALL_UNIT_LEVELS.index(level))
    u_all = cols.unit[rows]
    # units present at this level, in code order, by a lookup table (linear; np.unique sorts)
    seen = np.zeros(len(cols.units), dtype=bool)
    seen[u_all] = True
    present = np.flatnonzero(seen)
    lut = np.full(len(cols.units), -1, dtype=np.int64)
    lut[present] = np.arange(len(present))
    u_codes = lut[u_all]
    yi = pd.Index(years).get_indexer(cols.year[rows])
    ii = cols.indicator[rows]
    keep = (yi >= 0) & (ii >= 0)
    n_u, n_y = len(present), len(years)
    flat = (u_codes * n_y + yi) * n_i + ii
    fk = flat[keep]
    counts = np.bincount(fk, minlength=n_u * n_y * n_i)
    if (counts > 1).any():
        raise ValuesError(f"unit values repeat (level, unit_code, year, indicator_id) rows at level {level}")
    x = np.full(n_u * n_y * n_i, np.nan)
    x[fk] = cols.value[rows][keep]
    first_at = np.empty(n_u, dtype=np.int64)
    backwards = np.arange(len(u_codes) - 1, -1, -1)
    first_at[u_codes[backwards]] = backwards         # with repeated indices the last write wins
    first = rows[first_at]

    def attr(col):
        if col in cols.frame.columns:
            return cols.frame[col].iloc[first].astype(str).to_numpy(dtype=object)
        return np.full(n_u, "", dtype=object)

    info = {"unit_code": cols.units[present], "unit_name": attr("unit_name"),
            "parent_code": attr("parent_code"), "county_code": attr("county_code")}
    return x.reshape(n_u, n_y, n_i), info, rows[keep], fk


def _rank(scores: np.ndarray) -> np.ndarray:
    """Competition ("min") rank along axis 0, best (highest) = 1, ties share; NaN stays NaN.

    Sort each column descending (NaN last); a position opens a new rank where its value
    differs from the previous one, otherwise it carries the running rank forward.
    """
    # columns × units, contiguous: each sort runs over adjacent memory
    flat = np.ascontiguousarray(scores.reshape(scores.shape[0], -1).T)
    order = np.argsort(-flat, axis=1, kind="stable")
    s = np.take_along_axis(flat, order, axis=1)
    pos = np.arange(1, flat.shape[1] + 1, dtype=float)[None, :]
    new = np.ones_like(s, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    r_sorted = np.maximum.accumulate(np.where(new, pos, 0.0), axis=1)
    r_sorted[np.isnan(s)] = np.nan
    r = np.empty_like(r_sorted)
    np.put_along_axis(r, order, r_sorted, axis=1)
    return r.T.reshape(scores.shape)


def _categorical(labels, codes: np.ndarray) -> pd.Categorical:
    """labels[codes] as a categorical (instant for millions of rows; labels may repeat)."""
    cat_codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    return pd.Categorical.from_codes(cat_codes[codes], categories=pd.Index(uniques, dtype="str"))


def build_index(unit_values: pd.DataFrame, catalogue: Catalogue | None = None,
                spec: IndexSpec | None = None, *, benchmarks: pd.DataFrame | None = None
                ) -> IndexResult:
    """Score every unit at every level and year: indicators, tasks, dimensions, 和美指数.

    Parameters
    ----------
    unit_values
        :func:`hemei_tools.engine.rollup.aggregate_values` output (any subset of levels).
    catalogue
        Framework, indicators, weights, directions and benchmarks; default the packaged one.
    spec
        All method choices (:class:`IndexSpec`); default ``IndexSpec()``.
    benchmarks
        Optional replacement for the resolved benchmarks (same columns as
        :func:`~hemei_tools.engine.goalposts.resolve_benchmarks`), e.g. to score against another
        region.

    Returns
    -------
    IndexResult
        Frozen; see its docstring. Deterministic: the same inputs and spec give identical
        frames.

    Raises
    ------
    SpecError
        Unknown method name, bad threshold, all-zero weights under a parent, a scored
        indicator with data but no benchmark (or no lower goalpost), a requested year
        without data.
    ValuesError
        Unit values without the required columns, or with repeated rows.
    """
    catalogue = catalogue or load_catalogue()
    spec = spec or IndexSpec()
    spec.validate()
    weights = tree_weights(catalogue, spec.weight_overrides)
    uv = _check_unit_values(unit_values)

    ids = catalogue.scored_ids
    cols = _Columns.of(uv, ids)
    scored = (cols.indicator >= 0) & ~np.isnan(cols.value)
    years = _index_years(cols.year[scored], spec)
    if benchmarks is None:
        benchmarks = resolve_benchmarks(catalogue, reference_percentile=spec.reference_percentile)
    has_data = np.bincount(cols.indicator[scored], minlength=len(ids)) > 0
    model = _Scoring.of(catalogue, spec, weights, _checked_benchmarks(benchmarks, ids, has_data, spec))

    present = [lv for k, lv in enumerate(ALL_UNIT_LEVELS) if (cols.level == k).any()]
    frames, flag_frames, value_updates = [], [], []
    for level in present:
        x, info, rows, cells = _grid(cols, level, years, len(ids))
        if x.shape[0] == 0:
            continue
        treated, action, screened, flags = _treat_level(x, level, info, years, ids, spec)
        flag_frames += flags
        value_updates.append((level, rows, cells, treated.ravel(), action, info))
        frames.append(_score_level(treated, screened, level, info, years, model))

    scores = _score_frame(frames)
    flags = pd.concat([f for f in flag_frames if not f.empty] or [empty_flags()], ignore_index=True)
    labels = ["", f"imputed:{spec.imputation}", "winsorised"]
    values = _treated_values(uv, value_updates, years, ids, labels)
    return IndexResult(spec=spec, values=values, benchmarks=benchmarks.reset_index(drop=True),
                       flags=flags.reset_index(drop=True), scores=scores)


def _index_years(years_of_scored_rows: np.ndarray, spec: IndexSpec) -> np.ndarray:
    """The years to score: ``spec.years`` (each must have data), else every year with data."""
    years_with_data = np.unique(years_of_scored_rows)
    if len(years_with_data) == 0:
        raise SpecError("no values for any scored indicator: check indicator ids against the catalogue")
    if not spec.years:
        return years_with_data
    missing = [y for y in spec.years if y not in set(years_with_data.tolist())]
    if missing:
        raise SpecError(f"no data for year(s) {missing}; years with data: {years_with_data.tolist()}")
    return np.array(sorted(set(spec.years)), dtype=np.int64)


def _checked_benchmarks(benchmarks: pd.DataFrame, ids: list[str], has_data: np.ndarray,
                        spec: IndexSpec) -> pd.DataFrame:
    """``benchmarks`` by scored indicator (``ids`` order); raises :class:`SpecError` when a column
    is missing, or an indicator with data lacks its benchmark (or, for goalposts, its floor)."""
    need = ["indicator_id", "benchmark", "goalpost_low"]
    lacking = [c for c in need if c not in benchmarks.columns]
    if lacking:
        raise SpecError(f"benchmarks lack column(s) {', '.join(lacking)}; build them with "
                        "hemei_tools.engine.goalposts.resolve_benchmarks")
    bm = benchmarks.set_index("indicator_id").reindex(ids)
    no_b = [i for i, h, b in zip(ids, has_data, bm["benchmark"], strict=True) if h and not np.isfinite(b)]
    if no_b:
        raise SpecError(f"scored indicator(s) {no_b} have data but no benchmark: add a role=benchmark row "
                        "to benchmarks.csv or reference_goalposts.csv (hemei reference)")
    if spec.normaliser == "goalposts":
        no_l = [i for i, h, lo in zip(ids, has_data, bm["goalpost_low"], strict=True) if h and not np.isfinite(lo)]
        if no_l:
            raise SpecError(f"scored indicator(s) {no_l} have no lower goalpost: set goalpost_low in "
                            "indicators.csv or add a low row to reference_goalposts.csv (hemei reference)")
    return bm


@dataclass(frozen=True)
class _Scoring:
    """What scores one level: the normaliser and its goalposts, the aggregator and the tree."""

    normalise: Any
    aggregate: Any
    agg_kw: dict
    direction: np.ndarray
    low: np.ndarray
    bench: np.ndarray
    w_task: np.ndarray
    w_dim: np.ndarray
    w_index: np.ndarray
    node_codes: list
    node_levels: list

    @classmethod
    def of(cls, catalogue: Catalogue, spec: IndexSpec, weights: dict, bm: pd.DataFrame) -> _Scoring:
        ids = catalogue.scored_ids
        agg_kw = {"min_coverage": spec.min_coverage}
        if spec.aggregator == "gmean":
            agg_kw["floor"] = spec.gmean_floor
        w_task, w_dim, w_index = (weights[k].to_numpy() for k in ("task", "dimension", "index"))
        return cls(
            normalise=get_normaliser(spec.normaliser),
            aggregate=get_aggregator(spec.aggregator),
            agg_kw=agg_kw,
            direction=catalogue.indicators.set_index("indicator_id")["direction"].reindex(ids)
            .to_numpy(dtype=float),
            low=bm["goalpost_low"].to_numpy(dtype=float),
            bench=bm["benchmark"].to_numpy(dtype=float),
            w_task=w_task, w_dim=w_dim, w_index=w_index,
            node_codes=(list(weights["index"].columns) + list(weights["dimension"].columns)
                        + list(weights["task"].columns) + ids),
            node_levels=(["index"] * w_index.shape[1] + ["dimension"] * w_dim.shape[1]
                         + ["task"] * w_task.shape[1] + ["indicator"] * len(ids)),
        )


def _treat_level(x: np.ndarray, level: str, info: dict, years: np.ndarray, ids: list[str], spec: IndexSpec
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[pd.DataFrame]]:
    """Screen, impute and winsorise one level's ``(unit, year, indicator)`` grid.

    Returns the treated grid, the action per cell (0 none, 1 imputed, 2 winsorised), the
    screened ``(unit, year)`` mask and the flag frames.
    """
    n_u, n_y, n_i = x.shape
    flag_frames = []
    # screening on the raw data (treat.screen_units applies the same rule to a long frame)
    cov_raw = np.mean(~np.isnan(x), axis=2)
    screened = (cov_raw > 0) & (cov_raw + 1e-12 < spec.screen_coverage)
    if screened.any():
        uu, yy = np.nonzero(screened)
        flag_frames.append(pd.DataFrame({
            "level": level, "unit_code": info["unit_code"][uu], "year": years[yy],
            "indicator_id": "", "action": "screened", "original": cov_raw[uu, yy], "new": np.nan}))
    action = np.zeros(x.size, dtype=np.int8)
    if spec.imputation == "none" and not spec.winsorise:
        return x, action, screened, flag_frames
    u_idx = np.repeat(np.arange(n_u), n_y * n_i)
    long = pd.DataFrame({
        "level": _categorical([level], np.zeros(len(u_idx), dtype=np.int64)),
        "unit_code": _categorical(info["unit_code"], u_idx),
        "county_code": _categorical(info["county_code"], u_idx),
        "parent_code": _categorical(info["parent_code"], u_idx),
        "year": np.tile(np.repeat(years, n_i), n_u),
        "indicator_id": _categorical(ids, np.tile(np.arange(n_i), n_u * n_y)),
        "value": x.ravel(),
    })
    long, f = get_imputer(spec.imputation)(long)
    flag_frames.append(f)
    imputed = long["value"].to_numpy(dtype=float)
    action[np.isnan(x.ravel()) & ~np.isnan(imputed)] = 1
    if spec.winsorise:
        long, f = winsorise_values(long, max_points=spec.winsor_max_points,
                                   skew_threshold=spec.skew_threshold,
                                   kurt_threshold=spec.kurt_threshold)
        flag_frames.append(f)
        action[~np.isnan(imputed) & (long["value"].to_numpy(dtype=float) != imputed)] = 2
    return long["value"].to_numpy(dtype=float).reshape(x.shape), action, screened, flag_frames


def _score_level(treated: np.ndarray, screened: np.ndarray, level: str, info: dict, years: np.ndarray,
                 m: _Scoring) -> dict:
    """Scores, coverage and ranks of every node for one level's treated grid, as columns for
    :func:`_score_frame` (screened unit-years get no task, dimension or index score)."""
    n_u, n_y, _ = treated.shape
    s_ind = np.asarray(m.normalise(treated, direction=m.direction, low=m.low, benchmark=m.bench), dtype=float)
    s_task = m.aggregate(s_ind, m.w_task, **m.agg_kw)
    s_dim = m.aggregate(s_task, m.w_dim, **m.agg_kw)
    s_idx = m.aggregate(s_dim, m.w_index, **m.agg_kw)
    c_ind = (~np.isnan(s_ind)).astype(float)
    c_task = c_ind @ (m.w_task > 0) / (m.w_task > 0).sum(axis=0)
    c_dim = (~np.isnan(s_task)).astype(float) @ (m.w_dim > 0) / (m.w_dim > 0).sum(axis=0)
    c_idx = (~np.isnan(s_dim)).astype(float) @ (m.w_index > 0) / (m.w_index > 0).sum(axis=0)
    upper = np.concatenate([s_idx, s_dim, s_task], axis=2)
    upper[screened] = np.nan
    score = np.concatenate([upper, s_ind], axis=2)
    cover = np.concatenate([c_idx, c_dim, c_task, c_ind], axis=2)
    rank = _rank(score)
    n_n = score.shape[2]
    u_idx = np.repeat(np.arange(n_u, dtype=np.int32), n_y * n_n)        # narrow row indices:
    node_idx = np.tile(np.arange(n_n, dtype=np.int16), n_u * n_y)     # tens of millions of rows
    return {
        "level": ([level], np.zeros(len(u_idx), dtype=np.int8)),
        "unit_code": (info["unit_code"], u_idx),
        "unit_name": (info["unit_name"], u_idx),
        "parent_code": (info["parent_code"], u_idx),
        "county_code": (info["county_code"], u_idx),
        "year": np.tile(np.repeat(years, n_n), n_u),
        "node": (m.node_codes, node_idx),
        "node_level": (m.node_levels, node_idx),
        "score": score.ravel(),
        "coverage": cover.ravel(),
        "rank": rank.ravel(),
    }


def _score_frame(parts: list[dict]) -> pd.DataFrame:
    """The long scores frame from per-level parts: label columns as one categorical each.

    A label column part is ``(labels, idx)`` (see :func:`hemei_tools.engine.rollup.stacked_categorical`);
    other columns are arrays, concatenated. ``rank`` becomes nullable Int64.
    """
    cols = {}
    for c in SCORE_COLUMNS:
        if isinstance(parts[0][c], tuple):
            cols[c] = stacked_categorical([p[c] for p in parts])
        else:
            cols[c] = parts[0][c] if len(parts) == 1 else np.concatenate([p[c] for p in parts])
    rank = cols["rank"]
    missing = np.isnan(rank)
    cols["rank"] = pd.arrays.IntegerArray(np.where(missing, 0, rank).astype(np.int64), missing)
    return pd.DataFrame(cols, copy=False)


def _treated_values(uv: pd.DataFrame, updates, years: np.ndarray, ids: list[str],
                    labels: list[str]) -> pd.DataFrame:
    """Input unit values with treated values swapped in, imputed cells added, and a flag column."""
    values = uv.copy(deep=False)
    new_value = values["value"].to_numpy(dtype=float, copy=True)
    flag = np.zeros(len(values), dtype=np.int8)
    extra = []
    n_y, n_i = len(years), len(ids)
    for level, rows, cells, treated, action, info in updates:
        if not action.any():
            continue
        new_value[rows] = treated[cells]
        flag[rows] = action[cells]
        absent = action > 0
        absent[cells] = False
        if absent.any():
            c = np.flatnonzero(absent)
            u, rest = np.divmod(c, n_y * n_i)
            y, i = np.divmod(rest, n_i)
            extra.append(pd.DataFrame({
                "level": level, "unit_code": info["unit_code"][u], "unit_name": info["unit_name"][u],
                "parent_code": info["parent_code"][u], "county_code": info["county_code"][u],
                "year": years[y], "indicator_id": np.asarray(ids, dtype=object)[i], "value": treated[c],
                "n_villages": 0, "flag": np.asarray(labels, dtype=object)[action[c]],
            }))
    values["value"] = new_value
    values["flag"] = pd.Categorical.from_codes(flag.astype(np.int64), categories=pd.Index(labels, dtype="str"))
    if extra:
        add = pd.concat(extra, ignore_index=True)
        values = pd.concat([values, add[[c for c in add.columns if c in values.columns]]], ignore_index=True)
    return values


def compare_results(a: IndexResult, b: IndexResult, node_level: str | None = "index") -> pd.DataFrame:
    """Score and rank shifts per unit between two builds (a variant against a baseline).

    Parameters
    ----------
    a, b
        Baseline and variant results.
    node_level
        Compare only nodes of this level (default the index); ``None`` compares every node.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``unit_code``, ``unit_name``, ``year``, ``node``, ``node_level``,
        ``score_a``, ``score_b``, ``score_shift`` = score_b − score_a (points), ``rank_a``,
        ``rank_b``, ``rank_shift`` = rank_b − rank_a (negative: b ranks the unit higher) and
        ``abs_rank_shift``. Units present in only one result have NaN on the other side.
    """
    if node_level is not None and node_level not in NODE_LEVELS:
        raise SpecError(f"unknown node_level {node_level!r}; choose one of {NODE_LEVELS}")
    keys = ["level", "unit_code", "year", "node"]
    sa, sb = a.scores, b.scores
    if node_level is not None:
        sa = sa[sa["node_level"] == node_level]
        sb = sb[sb["node_level"] == node_level]
    left = sa[keys + ["unit_name", "node_level", "score", "rank"]]
    right = sb[keys + ["unit_name", "node_level", "score", "rank"]]
    m = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), sort=False)
    out = pd.DataFrame({
        "level": m["level"], "unit_code": m["unit_code"],
        "unit_name": m["unit_name_a"].fillna(m["unit_name_b"]),
        "year": m["year"], "node": m["node"],
        "node_level": m["node_level_a"].fillna(m["node_level_b"]),
        "score_a": m["score_a"], "score_b": m["score_b"],
        "score_shift": m["score_b"] - m["score_a"],
        "rank_a": m["rank_a"], "rank_b": m["rank_b"],
    })
    out["rank_shift"] = out["rank_b"] - out["rank_a"]
    out["abs_rank_shift"] = out["rank_shift"].abs()
    return out.reset_index(drop=True)


BASIS_INDEX_COLUMNS = ["level", "unit_code", "unit_name", "parent_code", "county_code", "year", "score",
                       "n_indicators", "n_basis", "weight_share", "rank"]


def basis_index(result: IndexResult, catalogue: Catalogue | None = None, basis: str = "zhejiang") -> pd.DataFrame:
    """An index over only the indicators with a figure of one basis: the 浙江对标指数 for ``zhejiang``.

    For a unit u and year t, with S the scored indicators that have a figure Bᵇ of the basis
    (:func:`hemei_tools.engine.goalposts.basis_figures`) and S_u ⊆ S those with a value of u:

        a_i = normalise(x_i; L_i, Bᵇ_i)                  (the build's normaliser, goalposts by default)
        Z_u = aggregate({a_i : i ∈ S_u}; w_i)           (the build's aggregator, arithmetic mean by default)

    with L_i the indicator's lower goalpost (as in the headline index) and w_i its effective
    weight in the headline index (:func:`effective_weights`), re-weighted over S_u: for the
    arithmetic mean Z_u = Σ_{S_u} w_i a_i / Σ_{S_u} w_i. So Z is "the headline index, scored
    against the basis's figures where they exist, and nothing else": 100 means every such figure
    is reached. The treated values of ``result`` are used; a unit-year screened in ``result``
    gets no score.

    Parameters
    ----------
    result
        A :func:`build_index` result (its values, spec and screening).
    catalogue
        Default: the packaged catalogue.
    basis
        A basis of :data:`hemei_tools.catalogue.GOALPOST_BASES` (default ``zhejiang``).

    Returns
    -------
    pandas.DataFrame
        :data:`BASIS_INDEX_COLUMNS`: the unit's labels and ``year``, ``score`` (0–100),
        ``n_indicators`` (|S_u|), ``n_basis`` (|S|), ``weight_share`` (Σ_{S_u} w_i: the share of
        the headline index's weight the score covers, 0–1) and ``rank`` (1 = best within level ×
        year). Empty when no indicator has a figure of the basis.
    """
    catalogue = catalogue or load_catalogue()
    spec = result.spec
    ids = catalogue.scored_ids
    bm = resolve_benchmarks(catalogue, basis=basis, reference_percentile=spec.reference_percentile)
    bm = bm.set_index("indicator_id").reindex(ids)
    has = bm["benchmark"].notna().to_numpy()
    w = effective_weights(catalogue, spec.weight_overrides).reindex(ids).to_numpy(dtype=float) * has
    if not has.any():
        return pd.DataFrame(columns=BASIS_INDEX_COLUMNS)
    cols = _Columns.of(result.values, ids)
    years = np.array(sorted(int(y) for y in pd.unique(result.scores["year"])), dtype=np.int64)
    normalise, aggregate = get_normaliser(spec.normaliser), get_aggregator(spec.aggregator)
    agg_kw = {"floor": spec.gmean_floor} if spec.aggregator == "gmean" else {}
    fl = result.flags
    screened = set(zip(fl.loc[fl["action"] == "screened", "unit_code"].astype(str),
                       fl.loc[fl["action"] == "screened", "year"].astype(int), strict=True))
    frames = []
    for k, level in enumerate(ALL_UNIT_LEVELS):
        if not (cols.level == k).any():
            continue
        x, info, _, _ = _grid(cols, level, years, len(ids))
        a = np.asarray(normalise(x, direction=bm["direction"].to_numpy(float), low=bm["goalpost_low"].to_numpy(float),
                                 benchmark=bm["benchmark"].to_numpy(float)), dtype=float)
        a[..., ~has] = np.nan
        score = aggregate(a, w, min_coverage=0.0, **agg_kw)
        present = ~np.isnan(a)
        n_u, n_y = score.shape
        frame = pd.DataFrame({
            "level": level,
            "unit_code": np.repeat(info["unit_code"], n_y), "unit_name": np.repeat(info["unit_name"], n_y),
            "parent_code": np.repeat(info["parent_code"], n_y), "county_code": np.repeat(info["county_code"], n_y),
            "year": np.tile(years, n_u), "score": score.ravel(),
            "n_indicators": present.sum(axis=2).ravel(), "n_basis": int(has.sum()),
            "weight_share": (present * w).sum(axis=2).ravel(),
        })
        off = [(str(u), int(y)) in screened for u, y in zip(frame["unit_code"], frame["year"], strict=True)]
        frame.loc[off, "score"] = np.nan
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["rank"] = out.groupby(["level", "year"])["score"].rank(method="min", ascending=False).astype("Int64")
    return out[BASIS_INDEX_COLUMNS]
