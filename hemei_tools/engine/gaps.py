"""Gaps to the benchmark and SDG-dashboard traffic lights, per indicator, task and dimension.

For every unit, indicator and year :func:`compute_gaps` sets the unit's value against the
indicator's resolved benchmark (a published Zhejiang, national or Anhui figure, a policy
standard or a pinned reference; see ``hemei_tools.engine.goalposts``) and reports the absolute
and relative gap, the normalised distance to the benchmark, a traffic-light status and a flag
when the benchmark lies below a published Anhui or national average. :func:`rollup_status` rates
tasks and dimensions by the "two worst indicators" rule, and :func:`weakest_links` ranks what
is furthest from the benchmark for one unit, ready for report sentences.

Method
------
Distance to the benchmark (SDG Index rescaling, Sachs et al., *Sustainable Development Report*,
methodology annex; COINr ``n_goalposts``)::

    a = clip((x − L) / (B − L), 0, 1) · 100        distance = 100 − a

with B the benchmark and L the *worst* goalpost: the ``goalpost_low`` column of the benchmarks
frame (:func:`hemei_tools.engine.goalposts.resolve_benchmarks` carries it), so that ``distance``
equals 100 minus the indicator's goalpost score in the composite index; where the frame has no
L, the catalogue's own (its ``goalpost_low`` or pinned ``low`` row). Never a statistic of the
data being compared. ``distance`` is 0 when the benchmark is reached and 100 at or beyond the
worst goalpost.

Flag (``benchmark_flag == "below_average"``, :func:`hemei_tools.engine.goalposts.benchmark_flags`):
the benchmark is below an Anhui or national actual average of the same or a later year, so
reaching it is no achievement; reports never show such a reached benchmark as a green 达标.

Traffic lights (SDG dashboards, Sachs et al. 2016–2024): green when the distance is at most
the green threshold (0: the benchmark is reached), red when it is beyond the red threshold (50:
less than half of the way from the floor to the benchmark), and the band between is split at
its midpoint into yellow (nearer green) and orange. The thresholds and the rule of each node
level are catalogue data, ``catalogue/traffic_lights.csv``
(:func:`hemei_tools.catalogue.load_light_rules`, :meth:`GapSpec.from_rules`): indicators by the
thresholds, tasks by their two worst indicators (:func:`rollup_status`), dimensions by their own
score, distance = 100 − score, against the same thresholds (:func:`score_lights`). A dimension
has 7–10 indicators, and two of them are nearly always red: by the two-worst rule most
dimensions of most counties were red, and the lights told no county from another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.engine.goalposts import benchmark_flags, resolve_benchmarks
from hemei_tools.engine.rollup import stacked_categorical
from hemei_tools.errors import HemeiError, SpecError

STATUSES = ("green", "yellow", "orange", "red")
"""Traffic-light statuses from best to worst."""

GAP_COLUMNS = [
    "level", "unit_code", "unit_name", "county_code", "year", "indicator_id", "task_id",
    "dimension_id", "direction", "value", "benchmark", "benchmark_region", "benchmark_year",
    "benchmark_kind", "benchmark_basis", "benchmark_source", "benchmark_url", "benchmark_flag", "goalpost",
    "abs_gap", "rel_gap", "distance", "status",
]
#: Value of ``benchmark_flag`` for a benchmark below a published average (else "").
BELOW_AVERAGE = "below_average"


class GapError(HemeiError):
    """Unit values or benchmarks cannot be compared (missing benchmark, unknown unit or year)."""


@dataclass(frozen=True)
class GapSpec:
    """Thresholds of the traffic lights, as data.

    Parameters
    ----------
    green_distance : float
        Largest distance (0–100) still rated green. Default 0: green only when the benchmark
        is reached.
    red_distance : float
        Distance (0–100) beyond which a value is red. Default 50: red when the unit has
        covered less than half of the way from the floor goalpost to the benchmark.
    overrides : tuple of (indicator_id, green_distance, red_distance)
        Per-indicator thresholds replacing the defaults for those indicators.

    Notes
    -----
    Status of a distance D with thresholds g < r and midpoint m = (g + r)/2: green if D ≤ g,
    yellow if g < D ≤ m, orange if m < D ≤ r, red if D > r.
    """

    green_distance: float = 0.0
    red_distance: float = 50.0
    overrides: tuple[tuple[str, float, float], ...] = ()

    def __post_init__(self) -> None:
        pairs = [("default", self.green_distance, self.red_distance)]
        pairs += [(str(o[0]), float(o[1]), float(o[2])) for o in self.overrides]
        for name, g, r in pairs:
            if not (0 <= g < r <= 100):
                raise SpecError(
                    f"GapSpec thresholds for {name}: need 0 ≤ green_distance < red_distance ≤ 100, "
                    f"got green={g}, red={r}"
                )

    @property
    def midpoint(self) -> float:
        """Distance splitting yellow from orange: (green_distance + red_distance) / 2."""
        return (self.green_distance + self.red_distance) / 2

    @classmethod
    def from_rules(cls, rules: pd.DataFrame | None = None, level: str = "indicator") -> GapSpec:
        """The thresholds of one node level of ``traffic_lights.csv`` (default: the packaged
        table, :func:`hemei_tools.catalogue.load_light_rules`; the indicators' row)."""
        from hemei_tools.catalogue import load_light_rules

        row = (load_light_rules() if rules is None else rules).loc[level]
        return cls(green_distance=float(row["green_distance"]), red_distance=float(row["red_distance"]))


def classify_distance(distance, green=0.0, red=50.0) -> np.ndarray:
    """Traffic-light status of distances to the benchmark.

    Parameters
    ----------
    distance : array-like of float
        Normalised distance to the benchmark, 0–100 (0 = reached). NaN gives NaN.
    green, red : float or array-like of float
        Thresholds (same units), broadcast against ``distance``.

    Returns
    -------
    numpy.ndarray of object
        ``"green"`` if D ≤ green, ``"yellow"`` if D ≤ (green + red)/2, ``"orange"`` if D ≤ red,
        else ``"red"``; NaN where D is NaN.
    """
    code = _status_codes(distance, green, red)
    out = np.asarray(STATUSES, dtype=object)[np.maximum(code, 0)]
    out[code < 0] = np.nan
    return out


def _status_codes(distance, green, red) -> np.ndarray:
    """Index into :data:`STATUSES` per distance (−1 for NaN); see :func:`classify_distance`."""
    d = np.asarray(distance, dtype=float)
    g = np.broadcast_to(np.asarray(green, dtype=float), d.shape)
    r = np.broadcast_to(np.asarray(red, dtype=float), d.shape)
    code = np.full(d.shape, 3, dtype=np.int64)
    code[d <= r] = 2
    code[d <= (g + r) / 2] = 1
    code[d <= g] = 0
    code[np.isnan(d)] = -1
    return code


def _catalogue_frame(catalogue: Catalogue) -> pd.DataFrame:
    """Indicator id → task, dimension, direction, goalpost_low, scored."""
    ind = catalogue.indicators[["indicator_id", "task_id", "direction", "goalpost_low", "scored"]].copy()
    parent = catalogue.framework.set_index("code")["parent"]
    ind["dimension_id"] = ind["task_id"].map(parent)
    return ind


def compute_gaps(
    unit_values: pd.DataFrame,
    benchmarks: pd.DataFrame,
    catalogue: Catalogue | None = None,
    spec: GapSpec | None = None,
) -> pd.DataFrame:
    """Gap of every unit value to its indicator's benchmark, with a traffic-light status.

    Parameters
    ----------
    unit_values : pandas.DataFrame
        Long frame from ``rollup.aggregate_values``: ``level``, ``unit_code``, ``year``,
        ``indicator_id``, ``value`` (optional ``unit_name``, ``county_code``).
    benchmarks : pandas.DataFrame
        From ``goalposts.resolve_benchmarks``: ``indicator_id``, ``benchmark``, ``region``,
        ``year``, ``kind``, ``source_title``, ``source_url``, optionally ``basis`` and
        ``goalpost_low`` (the resolved worst goalpost L; the catalogue's where absent).
    catalogue : Catalogue, optional
        Supplies direction, ``goalpost_low``, task and dimension; default: the packaged one.
    spec : GapSpec, optional
        Thresholds; default the indicators' row of ``traffic_lights.csv`` (:meth:`GapSpec.from_rules`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GAP_COLUMNS`, one row per input row of a scored indicator (the
        per-indicator labels ``task_id``, ``dimension_id`` and ``benchmark_*``, and
        ``status``, are categoricals of strings):

        - ``abs_gap`` = d·(B − x), in the indicator's unit: the shortfall, > 0 when short of the
          benchmark, ≤ 0 when it is reached (d = +1 higher is better, −1 lower is better);
        - ``rel_gap`` = abs_gap / |B| · 100, in % of the benchmark (NaN when B = 0);
        - ``distance`` = 100 − clip((x − L)/(B − L), 0, 1)·100, 0–100, 0 = reached, with
          ``goalpost`` L (module docstring);
        - ``status`` ∈ {green, yellow, orange, red} by :class:`GapSpec`; NaN for a missing
          value;
        - ``benchmark_basis`` (zhejiang, national, anhui, local, policy, reference) and
          ``benchmark_flag`` (:data:`BELOW_AVERAGE` when the benchmark is below a published
          Anhui or national average, module docstring; else ``""``).

        Unscored (context) indicators are left out.

    Raises
    ------
    GapError
        Required columns are missing, an indicator is not in the catalogue, or a scored
        indicator present in ``unit_values`` has no benchmark value.

    Notes
    -----
    Long because the docstring gives the formula of every gap measure; the code body is under 60 lines.
    """
    spec = spec or GapSpec.from_rules()
    catalogue = catalogue or load_catalogue()
    _check_gap_columns(unit_values, benchmarks)
    meta, bm, scored = _scored_meta(unit_values, benchmarks, catalogue, spec)

    df = unit_values[unit_values["indicator_id"].isin(scored)].copy()
    for col in ("unit_name", "county_code"):
        if col not in df.columns:
            df[col] = pd.NA
    # Factorise the ids once and broadcast per-indicator columns with numpy takes: Series.map
    # on Arrow strings costs seconds on millions of rows.
    codes, uniques = pd.factorize(df["indicator_id"])

    def per_indicator(column: pd.Series) -> np.ndarray:
        return column.reindex(uniques).to_numpy()[codes]

    def per_indicator_str(column: pd.Series) -> pd.Categorical:
        # Categorical: one label per indicator, integer codes per row (a string take of
        # millions of rows costs a second per column).
        values = pd.Series(column.reindex(uniques).to_numpy(), dtype=object)
        vcodes, vuniques = pd.factorize(values)
        return pd.Categorical.from_codes(vcodes[codes], categories=pd.Index(vuniques, dtype="str"))

    for col in ("task_id", "dimension_id"):
        df[col] = per_indicator_str(meta[col])
    for col in ("direction", "benchmark", "goalpost"):
        df[col] = per_indicator(meta[col])
    df["direction"] = df["direction"].astype(int)
    df["benchmark_region"] = per_indicator_str(bm["region"])
    df["benchmark_year"] = pd.array(per_indicator(bm["year"].astype("Int64")), dtype="Int64")
    df["benchmark_kind"] = per_indicator_str(bm["kind"])
    df["benchmark_basis"] = per_indicator_str(bm["basis"]) if "basis" in bm.columns else pd.NA
    flags = benchmark_flags(catalogue, bm.reset_index()).set_index("indicator_id")["below_average"]
    df["benchmark_flag"] = per_indicator_str(flags.map({True: BELOW_AVERAGE, False: ""}))
    for col, src in (("benchmark_source", "source_title"), ("benchmark_url", "source_url")):
        df[col] = per_indicator_str(bm[src]) if src in bm.columns else pd.NA

    _add_gap_measures(df)
    over = {o[0]: (float(o[1]), float(o[2])) for o in spec.overrides}
    green = per_indicator(pd.Series({k: v[0] for k, v in over.items()}, dtype=float)).astype(float)
    red = per_indicator(pd.Series({k: v[1] for k, v in over.items()}, dtype=float)).astype(float)
    code = _status_codes(df["distance"], np.where(np.isnan(green), spec.green_distance, green),
                         np.where(np.isnan(red), spec.red_distance, red))
    df["status"] = stacked_categorical([(np.asarray(STATUSES, dtype=object), code)])
    return df[GAP_COLUMNS].reset_index(drop=True)


def _check_gap_columns(unit_values: pd.DataFrame, benchmarks: pd.DataFrame) -> None:
    """Raise :class:`GapError` when the unit values or the benchmarks lack a column."""
    need_v = ["level", "unit_code", "year", "indicator_id", "value"]
    need_b = ["indicator_id", "benchmark", "region", "year", "kind"]
    for name, frame, need in (("unit_values", unit_values, need_v), ("benchmarks", benchmarks, need_b)):
        miss = [c for c in need if c not in frame.columns]
        if miss:
            raise GapError(
                f"{name} lacks column(s) {', '.join(miss)}; build it with "
                f"{'rollup.aggregate_values' if name == 'unit_values' else 'benchmarks.resolve_benchmarks'}"
            )


def _scored_meta(unit_values: pd.DataFrame, benchmarks: pd.DataFrame, catalogue: Catalogue, spec: GapSpec
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index]:
    """The catalogue facts of the scored indicators present, with ``benchmark`` and ``goalpost``;
    the benchmarks by indicator; the scored indicator ids. Raises :class:`GapError` for an
    indicator outside the catalogue or a scored one without a benchmark."""
    meta = _catalogue_frame(catalogue).set_index("indicator_id")
    present = pd.Index(unit_values["indicator_id"].unique())
    unknown = present.difference(meta.index)
    if len(unknown):
        raise GapError(
            f"indicator(s) {', '.join(map(str, unknown))} are not in the catalogue; "
            "fix the indicator_id in the data or add them to indicators.csv"
        )
    scored = present[meta.loc[present, "scored"].to_numpy(dtype=bool)]
    bm = benchmarks.drop_duplicates("indicator_id").set_index("indicator_id")
    bvalue = bm["benchmark"].reindex(scored)
    lacking = bvalue.index[bvalue.isna()]
    if len(lacking):
        raise GapError(
            f"no benchmark value for scored indicator(s) {', '.join(map(str, lacking))}; add a "
            "role=benchmark row to benchmarks.csv or reference_goalposts.csv"
        )
    meta = meta.loc[scored].copy()
    meta["benchmark"] = bvalue.astype(float)
    resolved = pd.Series(np.nan, index=scored)
    if "goalpost_low" in bm.columns:
        resolved = pd.to_numeric(bm["goalpost_low"], errors="coerce").reindex(scored).astype(float)
    if resolved.isna().any():
        own = resolve_benchmarks(catalogue).set_index("indicator_id")["goalpost_low"]
        resolved = resolved.fillna(own.reindex(scored).astype(float))
    meta["goalpost"] = resolved
    return meta, bm, scored


def _add_gap_measures(df: pd.DataFrame) -> None:
    """Add ``abs_gap``, ``rel_gap`` and ``distance`` (formulas in :func:`compute_gaps`) to ``df``."""
    x = df["value"].astype(float)
    b, lo, d = df["benchmark"], df["goalpost"], df["direction"]
    df["abs_gap"] = d * (b - x)
    df["rel_gap"] = (df["abs_gap"] / b.abs().where(b != 0)) * 100
    reached = d * (x - b) >= 0
    span = b - lo
    proper = (d * span) > 0
    progress = ((x - lo) / span.where(proper)).clip(0, 1) * 100
    progress = progress.where(proper, np.where(reached, 100.0, 0.0))
    df["distance"] = (100 - progress).where(x.notna())
    df.loc[reached & x.notna(), "distance"] = 0.0


def rollup_status(
    gaps: pd.DataFrame,
    catalogue: Catalogue | None = None,
    spec: GapSpec | None = None,
) -> pd.DataFrame:
    """Task and dimension traffic lights by the SDG dashboards' "two worst indicators" rule.

    Parameters
    ----------
    gaps : pandas.DataFrame
        Output of :func:`compute_gaps` (``task_id``/``dimension_id`` are re-derived from the
        catalogue when absent).
    catalogue : Catalogue, optional
        Default: the packaged catalogue.
    spec : GapSpec, optional
        Supplies the yellow/orange midpoint; default ``GapSpec()``.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``unit_code``, ``year``, ``node`` (task or dimension code), ``node_level``
        (task, dimension), ``status``, ``distance`` (mean distance of the two worst
        indicators, 0–100), ``score`` (100 − distance), ``worst_indicators`` (comma-separated
        ids, worst first) and ``n_indicators`` (indicators with a value).

    Notes
    -----
    Rule (Sachs et al., SDG dashboards): take the two indicators of the node with the largest
    distance. The node is red only if both are red, green only if both are green; otherwise
    yellow when their mean distance is at most the midpoint (green + red)/2 and orange above
    it. A node with one indicator takes that indicator's status.
    """
    spec = spec or GapSpec.from_rules(level="task")
    need = ["level", "unit_code", "year", "indicator_id", "distance", "status"]
    miss = [c for c in need if c not in gaps.columns]
    if miss:
        raise GapError(f"gaps lacks column(s) {', '.join(miss)}; pass the output of compute_gaps")
    cols_in = [c for c in (*need, "task_id", "dimension_id") if c in gaps.columns]
    g = gaps[cols_in]
    g = g[g["distance"].notna().to_numpy()]
    if "task_id" not in g.columns or "dimension_id" not in g.columns:
        meta = _catalogue_frame(catalogue or load_catalogue()).set_index("indicator_id")
        g = g.assign(task_id=g["indicator_id"].map(meta["task_id"]),
                     dimension_id=g["indicator_id"].map(meta["dimension_id"]))
    keys = ["level", "unit_code", "year"]
    codes = _RowCodes.of(g)
    parts = [_node_lights(g, codes, node_col, node_level, spec.midpoint)
             for node_col, node_level in (("task_id", "task"), ("dimension_id", "dimension"))]
    cols = [*keys, "node", "node_level", "status", "distance", "score", "worst_indicators", "n_indicators"]
    return pd.concat(parts, ignore_index=True)[cols]


def score_lights(status: pd.DataFrame, scores: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Relight the nodes whose level follows the ``score`` rule of ``traffic_lights.csv`` by their
    own score.

    For such a node (a dimension, in the packaged table) the distance is D = 100 − score, the
    node's score from the index (:attr:`hemei_tools.engine.composite.IndexResult.scores`), and
    the light is :func:`classify_distance` (D, green, red) with that level's thresholds: green
    if D ≤ g, yellow if D ≤ (g + r)/2, orange if D ≤ r, red beyond. ``distance`` and ``score``
    of the row become D and the node's score; ``worst_indicators`` and ``n_indicators`` stay (the
    two worst indicators are still named). Rows of other levels, and nodes without a score, are
    kept as :func:`rollup_status` made them.

    Parameters
    ----------
    status
        :func:`rollup_status` output.
    scores
        ``level, unit_code, year, node, node_level, score`` (the index's scores).
    rules
        ``traffic_lights.csv`` as :func:`hemei_tools.catalogue.load_light_rules` returns it;
        default the packaged table.

    Examples
    --------
    A dimension scored 62 (D = 38, thresholds 0 and 50, midpoint 25) is orange, whatever its
    two worst indicators; one scored 80 (D = 20) is yellow; one scored 45 (D = 55) red.
    """
    from hemei_tools.catalogue import load_light_rules

    rules = load_light_rules() if rules is None else rules
    out = status.copy()
    for level, rule in rules["rule"].items():
        if rule != "score" or level == "indicator":
            continue
        g, r = float(rules.at[level, "green_distance"]), float(rules.at[level, "red_distance"])
        own = scores[scores["node_level"] == level].drop_duplicates(["level", "unit_code", "year", "node"])
        key = own.set_index([own["level"].astype(str), own["unit_code"].astype(str), own["year"].astype(int),
                             own["node"].astype(str)])["score"]
        rows = (out["node_level"] == level).to_numpy()
        idx = pd.MultiIndex.from_arrays([out.loc[rows, "level"].astype(str), out.loc[rows, "unit_code"].astype(str),
                                         out.loc[rows, "year"].astype(int), out.loc[rows, "node"].astype(str)])
        score = key.reindex(idx).to_numpy(dtype=float)
        have = ~np.isnan(score)
        where = np.flatnonzero(rows)[have]
        distance = 100.0 - score[have]
        out["status"] = out["status"].astype(object)
        out.iloc[where, out.columns.get_loc("status")] = classify_distance(distance, g, r)
        out.iloc[where, out.columns.get_loc("distance")] = distance
        out.iloc[where, out.columns.get_loc("score")] = score[have]
    out["status"] = out["status"].astype("str")
    return out


@dataclass(frozen=True)
class _RowCodes:
    """Integer codes of the gap rows' keys, distances and lights (numpy sorts instead of string
    sorts: a string sort of millions of rows costs seconds)."""

    lvl_c: np.ndarray
    lvl_u: Any
    unit_c: np.ndarray
    unit_u: Any
    year_c: np.ndarray
    year_u: Any
    ind_rank: np.ndarray
    ind_u: Any
    dist: np.ndarray
    green: np.ndarray
    red: np.ndarray

    @classmethod
    def of(cls, g: pd.DataFrame) -> _RowCodes:
        lvl_c, lvl_u = pd.factorize(g["level"])
        unit_c, unit_u = pd.factorize(g["unit_code"])
        year_c, year_u = pd.factorize(g["year"])
        ind_rank, ind_u = pd.factorize(g["indicator_id"], sort=True)
        return cls(lvl_c, lvl_u, unit_c, unit_u, year_c, year_u, ind_rank, ind_u,
                   g["distance"].to_numpy(dtype=float), (g["status"] == "green").to_numpy(dtype=bool),
                   (g["status"] == "red").to_numpy(dtype=bool))


def _node_lights(g: pd.DataFrame, c: _RowCodes, node_col: str, node_level: str, midpoint: float) -> pd.DataFrame:
    """The two-worst-indicators light of every (level, unit, year, node) of one node level."""
    lvl_c, lvl_u, unit_c, unit_u, year_c, year_u = c.lvl_c, c.lvl_u, c.unit_c, c.unit_u, c.year_c, c.year_u
    ind_rank, ind_u, dist, green, red = c.ind_rank, c.ind_u, c.dist, c.green, c.red
    node_c, node_u = pd.factorize(g[node_col], sort=True)
    gid = ((lvl_c * len(unit_u) + unit_c) * len(year_u) + year_c) * len(node_u) + node_c
    order = np.lexsort((ind_rank, -dist, gid))
    gs = gid[order]
    pos = np.arange(len(gs))
    start = np.r_[True, gs[1:] != gs[:-1]] if len(gs) else np.zeros(0, dtype=bool)
    first = pos[start]
    n = np.diff(np.r_[first, len(gs)])
    has2 = n >= 2
    i1 = order[first]
    i2 = order[np.where(has2, first + 1, first)]
    d_mean = np.where(has2, (dist[i1] + dist[i2]) / 2, dist[i1])
    code = np.where(d_mean <= midpoint, 1, 2)
    code[green[i1] & green[i2]] = 0
    code[red[i1] & red[i2]] = 3
    # Label the few distinct (worst, second) pairs, then take: no per-row string work.
    pair = ind_rank[i1].astype(np.int64) * (len(ind_u) + 1) + np.where(has2, ind_rank[i2] + 1, 0)
    pair_c, pair_u = pd.factorize(pair)
    names = np.asarray(ind_u, dtype=object)
    labels = [names[p // (len(ind_u) + 1)] + ("," + names[p % (len(ind_u) + 1) - 1] if p % (len(ind_u) + 1) else "")
              for p in pair_u]
    worst = pd.array(labels, dtype="str").take(pair_c)
    return pd.DataFrame({
        "level": pd.array(np.asarray(lvl_u, dtype=object), dtype="str").take(lvl_c[i1]),
        "unit_code": pd.array(np.asarray(unit_u, dtype=object), dtype="str").take(unit_c[i1]),
        "year": np.asarray(year_u)[year_c[i1]],
        "node": pd.array(np.asarray(node_u, dtype=object), dtype="str").take(node_c[i1]),
        "node_level": node_level,
        "status": pd.array(list(STATUSES), dtype="str").take(code),
        "distance": d_mean,
        "score": 100 - d_mean,
        "worst_indicators": worst,
        "n_indicators": n.astype(int),
    })


def weakest_links(
    gaps: pd.DataFrame,
    level: str,
    unit_code: str,
    year: int,
    n: int = 5,
    catalogue: Catalogue | None = None,
    lang: str = "zh",
    spec: GapSpec | None = None,
) -> pd.DataFrame:
    """The indicators and tasks of one unit that are furthest from the benchmark, ranked.

    Parameters
    ----------
    gaps : pandas.DataFrame
        Output of :func:`compute_gaps`.
    level, unit_code, year
        The unit (e.g. ``"county"``, ``"340722"``) and year to report.
    n : int
        How many indicators and how many tasks to return (fewer when fewer fall short).
    catalogue : Catalogue, optional
        Labels, units, decimals and indicator weights; default: the packaged catalogue.
    lang : {"zh", "en"}
        Language of the labels.
    spec : GapSpec, optional
        Thresholds used to rate a task's mean distance; default ``GapSpec()``.

    Returns
    -------
    pandas.DataFrame
        One row per weak link: ``kind`` (indicator or task), ``rank`` (1 = furthest),
        ``code``, ``label``, ``task_id``, ``task_label``, ``dimension_id``,
        ``dimension_label``, ``value``, ``benchmark``, ``unit``, ``decimals``, ``abs_gap``,
        ``rel_gap`` (% of the benchmark), ``distance`` (0–100), ``status``,
        ``benchmark_region``, ``benchmark_year``, ``benchmark_kind``, ``worst_indicator``, and
        ``value_text``, ``benchmark_text``, ``gap_text`` (the number rounded to the catalogue's
        decimals with its unit, e.g. ``"34.6%"``; empty for task rows). Indicators are ranked by distance (then relative gap); only those not rated green are
        listed. A task's distance is the weighted mean of its indicators' distances (catalogue
        weights within the task), i.e. 100 minus its arithmetic-mean goalpost score; a task's
        ``status`` is its :func:`rollup_status` light (two worst indicators); task rows name
        their worst indicator and leave value and benchmark empty.

    Raises
    ------
    GapError
        The unit is not in ``gaps`` at that level, or it has no value in that year (the
        message lists what is available).

    Notes
    -----
    Long because the docstring documents every output column; the code body is under 60 lines.
    """
    catalogue = catalogue or load_catalogue()
    spec = spec or GapSpec.from_rules(level="task")
    at_level = gaps[gaps["level"] == level]
    if at_level.empty:
        raise GapError(f"no rows at level {level!r}; levels in gaps: {sorted(gaps['level'].unique())}")
    unit = at_level[at_level["unit_code"].astype(str) == str(unit_code)]
    if unit.empty:
        some = ", ".join(sorted(at_level["unit_code"].astype(str).unique())[:10])
        raise GapError(f"unknown {level} {unit_code!r}; known {level} codes include: {some}")
    rows = unit[(unit["year"] == year) & unit["distance"].notna()]
    if rows.empty:
        years = sorted(unit.loc[unit["distance"].notna(), "year"].unique().tolist())
        raise GapError(f"{level} {unit_code} has no values in {year}; years with data: {years}")
    ind = catalogue.indicators.set_index("indicator_id")
    fw = catalogue.framework.set_index("code")
    name = f"name_{lang}"

    short = rows[rows["status"] != "green"].copy()
    short = short.sort_values(["distance", "rel_gap", "indicator_id"], ascending=[False, False, True],
                              kind="stable").head(n)
    short["kind"] = "indicator"
    short["code"] = short["indicator_id"]
    short["label"] = short["indicator_id"].map(ind[name])
    short["worst_indicator"] = short["indicator_id"]

    tasks = _weak_tasks(rows, ind, fw[name], n, catalogue, spec)

    out = pd.concat([short, tasks], ignore_index=True)
    out["rank"] = out.groupby("kind", sort=False).cumcount() + 1
    out["task_label"] = out["task_id"].map(fw[name])
    out["dimension_label"] = out["dimension_id"].map(fw[name])
    out["unit"] = out["code"].map(ind["unit"])
    out["decimals"] = out["code"].map(ind["decimals"]).astype("Int64")
    out["value_text"] = _format(out["value"], out["decimals"], out["unit"])
    out["benchmark_text"] = _format(out["benchmark"], out["decimals"], out["unit"])
    out["gap_text"] = _format(out["abs_gap"], out["decimals"], out["unit"])
    cols = ["kind", "rank", "code", "label", "task_id", "task_label", "dimension_id", "dimension_label",
            "value", "benchmark", "unit", "decimals", "abs_gap", "rel_gap", "distance", "status",
            "benchmark_region", "benchmark_year", "benchmark_kind", "worst_indicator", "value_text",
            "benchmark_text", "gap_text"]
    for c in cols:
        if c not in out.columns:
            out[c] = pd.NA
    return out[cols]


def _weak_tasks(rows: pd.DataFrame, ind: pd.DataFrame, task_labels: pd.Series, n: int, catalogue: Catalogue,
                spec: GapSpec) -> pd.DataFrame:
    """The ``n`` tasks of one unit-year furthest from the benchmark (weighted mean distance of
    their indicators), with their label, worst indicator and two-worst light."""
    w = rows["indicator_id"].map(ind["weight"]).astype(float)
    t = rows.assign(_w=w, _wd=w * rows["distance"])
    worst = (t.sort_values(["distance", "indicator_id"], ascending=[False, True], kind="stable")
             .groupby("task_id", sort=False)["indicator_id"].first())
    tasks = t.groupby("task_id").agg(_w=("_w", "sum"), _wd=("_wd", "sum"), dimension_id=("dimension_id", "first"))
    tasks["distance"] = tasks["_wd"] / tasks["_w"]
    tasks = tasks[tasks["distance"] > 0].reset_index()
    tasks = tasks.sort_values(["distance", "task_id"], ascending=[False, True], kind="stable").head(n)
    tasks["kind"] = "task"
    tasks["code"] = tasks["task_id"]
    # Look up by plain string: mapping a categorical column through a categorically indexed
    # Series pairs categories by position under pandas 3, not by value.
    task_ids = tasks["task_id"].astype(str)
    tasks["label"] = task_ids.map(_by_str(task_labels))
    tasks["worst_indicator"] = task_ids.map(_by_str(worst))
    # A task's light follows the dashboard's two-worst rule, as in rollup_status.
    lights = rollup_status(rows, catalogue, spec)
    lights = lights[lights["node_level"] == "task"].set_index("node")["status"]
    tasks["status"] = task_ids.map(_by_str(lights))
    return tasks


def _by_str(mapping: pd.Series) -> pd.Series:
    """``mapping`` with its index as plain strings and its values as objects (a lookup table)."""
    return pd.Series(mapping.to_numpy(dtype=object), index=mapping.index.astype(str))


def _format(values: pd.Series, decimals: pd.Series, units: pd.Series) -> list[str]:
    """Numbers rounded to their catalogue decimals, with thousands separators and the unit."""
    out = []
    for v, d, u in zip(values, decimals, units, strict=True):
        if pd.isna(v) or pd.isna(d):
            out.append("")
        else:
            out.append(f"{float(v):,.{int(d)}f}{'' if pd.isna(u) else u}")
    return out
