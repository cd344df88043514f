"""Uncertainty and sensitivity of a composite score: Monte Carlo over weights, methods and benchmarks.

Weights are drawn from a Dirichlet distribution centred on the nominal weights of each
parent's children (JRC/OECD Handbook on Constructing Composite Indicators, 2008, §7; COINr
``get_sensitivity``). With ``s_j = w_j / Σ_{k∈parent} w_k`` the nominal share of child ``j``
and ``c`` the concentration, ``(W_j)_{j∈parent} ~ Dirichlet(c·s)``, so ``E[W_j] = s_j`` and
``Var[W_j] = s_j (1 − s_j) / (c + 1)``: ``c = 50`` moves an equal share of 1/4 by about ±0.06
(one standard deviation); ``c = inf`` keeps the nominal weights.

:func:`run_monte_carlo` samples ``N`` variants of the 和美指数, each with Dirichlet weights at
every parent of the tree (indicators within a task, tasks within a dimension, dimensions within
the index), one normaliser and one aggregator drawn uniformly from the given names
(:data:`~hemei_tools.engine.normalise.NORMALISERS`, :data:`~hemei_tools.engine.aggregate.AGGREGATORS`), and
reports each unit's nominal, median, 5th and 95th percentile rank and the share of runs in the
top N (docs/methods.md, "Uncertainty and sensitivity"; Saisana, Saltelli and Tarantola 2005).

Benchmark choice: each run also draws, for every indicator independently and uniformly, the
basis of its benchmark among its comparison set — its nominal basis and those of
``goalpost_bases`` it has a figure for (default Zhejiang, national and the pinned reference;
:func:`hemei_tools.engine.goalposts.basis_figures`) — and one reference percentile for the run,
uniformly among the pinned ones (75, 90, 95): an indicator drawn to its reference (or scored
against its reference nominally) uses the pinned reference at that percentile. The lower
goalposts stay the nominal ones. Treatment, screening and coverage rules stay those of the
nominal :class:`~hemei_tools.engine.composite.IndexSpec`.

Cost: one :func:`~hemei_tools.engine.composite.build_index` of the chosen level and year (treated
values, benchmarks, screening), one normalisation of the ``units × indicators`` matrix per
normaliser and candidate benchmark, then per run a gather of the drawn benchmarks' scores and
three aggregator calls, each one matrix product (``units × children`` by ``children × parents``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemei_tools.engine.goalposts import (
    ALTERNATIVE_BASES,
    basis_figures,
    reference_percentiles,
    resolve_benchmarks,
)
from hemei_tools.errors import SpecError

DEFAULT_NORMALISERS = ("goalposts", "distance", "minmax")
DEFAULT_AGGREGATORS = ("amean", "gmean")


def draw_group_weights(
    weights: np.ndarray,
    groups: np.ndarray,
    n: int,
    rng: np.random.Generator,
    concentration: float,
) -> np.ndarray:
    """Draw ``n`` weight vectors, Dirichlet within each group around the nominal shares.

    Parameters
    ----------
    weights
        Nominal weights, shape ``(m,)``, non-negative; relative within their group.
    groups
        Group label of each weight (e.g. the parent node), shape ``(m,)``, any hashable values.
    n
        Number of draws.
    rng
        A seeded :class:`numpy.random.Generator`.
    concentration
        Dirichlet concentration ``c`` (> 0): ``α_j = c·s_j`` with ``s_j`` the nominal share of
        ``j`` in its group; ``numpy.inf`` returns the nominal shares in every draw.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m)``; within every group the weights of each draw sum to 1. A weight of 0
        stays 0.

    Raises
    ------
    SpecError
        If a weight is negative, a group's weights sum to zero or the concentration is not
        positive.
    """
    w = np.asarray(weights, dtype=float)
    labels, g = np.unique(np.asarray(groups), return_inverse=True)
    if (w < 0).any() or not np.isfinite(w).all():
        raise SpecError("weights must be finite and non-negative")
    onehot = np.zeros((w.size, labels.size))
    onehot[np.arange(w.size), g] = 1.0
    totals = w @ onehot
    if (totals <= 0).any():
        bad = ", ".join(str(x) for x in labels[totals <= 0])
        raise SpecError(f"the weights of group(s) {bad} sum to zero; give at least one positive weight")
    if not concentration > 0:
        raise SpecError(f"weight_concentration must be positive, got {concentration!r}")
    share = w / totals[g]
    if np.isinf(concentration):
        return np.tile(share, (n, 1))
    draws = rng.gamma(concentration * share, size=(n, w.size))
    sums = draws @ onehot
    # a draw where every gamma variate of a group underflowed to 0 (tiny α) falls back to nominal
    empty = sums[:, g] <= 0
    out = np.divide(draws, sums[:, g], out=np.zeros_like(draws), where=~empty)
    return np.where(empty, share, out)


@dataclass(frozen=True)
class MonteCarloDraws:
    """The raw draws behind :func:`run_monte_carlo` (for further analysis or charts).

    Attributes
    ----------
    unit_codes : numpy.ndarray
        Units, in the row order of ``scores`` and ``ranks``.
    scores, ranks : numpy.ndarray
        ``units × n`` index scores and ranks (1 = best; NaN for a unit without a score).
    normaliser, aggregator : numpy.ndarray
        Name drawn for each run, length ``n``.
    weights : dict of str to numpy.ndarray
        ``{"task": n × indicators, "dimension": n × tasks, "index": n × dimensions}``: each
        child's share of its parent in each run.
    basis : numpy.ndarray or None
        ``n × indicators``: the basis of the benchmark each indicator was scored against in
        each run (catalogue order of the scored indicators).
    reference_percentile : numpy.ndarray or None
        The reference percentile drawn for each run, length ``n``.
    """

    unit_codes: np.ndarray
    scores: np.ndarray
    ranks: np.ndarray
    normaliser: np.ndarray
    aggregator: np.ndarray
    weights: dict
    basis: np.ndarray | None = None
    reference_percentile: np.ndarray | None = None


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Competition ranks along axis 0 (best = 1, ties share the best rank), NaN kept."""
    return pd.DataFrame(scores).rank(axis=0, method="min", ascending=False, na_option="keep").to_numpy()


def _tree_groups(catalogue) -> dict[str, np.ndarray]:
    """Parent of each child at each level, in the row order of ``composite.tree_weights``."""
    ind = catalogue.indicators[catalogue.indicators["scored"]]
    fw = catalogue.framework
    return {
        "task": ind["task_id"].astype(str).to_numpy(),
        "dimension": fw.loc[fw["level"] == "task", "parent"].astype(str).to_numpy(),
        "index": fw.loc[fw["level"] == "dimension", "parent"].astype(str).to_numpy(),
    }


def run_monte_carlo(
    unit_values: pd.DataFrame,
    catalogue=None,
    spec=None,
    n: int = 1000,
    seed: int = 2023,
    weight_concentration: float = 50.0,
    normalisers: Sequence[str] = DEFAULT_NORMALISERS,
    aggregators: Sequence[str] = DEFAULT_AGGREGATORS,
    level: str = "village",
    year: int | None = None,
    top_n: int = 10,
    return_draws: bool = False,
    benchmarks: pd.DataFrame | None = None,
    goalpost_bases: Sequence[str] = ALTERNATIVE_BASES,
    reference_percentiles: Sequence[float] | None = None,
    nominal=None,
):
    """Monte Carlo uncertainty of the 和美指数 ranking over weights, normaliser, aggregator and benchmarks.

    Parameters
    ----------
    unit_values
        :func:`hemei_tools.engine.rollup.aggregate_values` output (only rows of ``level`` are used).
    catalogue
        Catalogue (default: packaged).
    spec
        Nominal :class:`~hemei_tools.engine.composite.IndexSpec` (default ``IndexSpec()``): its weights,
        treatment, screening, ``min_coverage`` and ``gmean_floor`` apply to every run.
    n, seed
        Number of runs and seed of :func:`numpy.random.default_rng`; same arguments give
        identical output.
    weight_concentration
        Dirichlet concentration ``c`` (see the module docstring); ``numpy.inf`` fixes the weights.
    normalisers, aggregators
        Names drawn uniformly and independently for each run.
    level, year
        Units ranked (default villages) and year (default the latest with data).
    top_n
        Size of the "top N" whose membership share is reported.
    return_draws
        Also return the :class:`MonteCarloDraws`.
    benchmarks
        Nominal benchmarks (default: the catalogue's, :func:`~hemei_tools.engine.goalposts.resolve_benchmarks`).
    goalpost_bases
        Bases an indicator's benchmark may be drawn from besides its nominal one (module
        docstring); ``()`` keeps every nominal benchmark.
    reference_percentiles
        Percentiles a run may draw for the pinned references (default: every percentile the
        catalogue pins for all indicators, :func:`~hemei_tools.engine.goalposts.reference_percentiles`).
    nominal
        The :class:`~hemei_tools.engine.composite.IndexResult` of ``build_index(unit_values,
        catalogue, spec, benchmarks=benchmarks)`` (``spec`` scoring ``year``, or every year with
        ``imputation="locf"``) when the caller has built it: its ``level`` rows in ``year`` are
        the nominal build (levels are scored independently), which is then not built again.
        Default: built here from the ``level`` rows.

    Returns
    -------
    pandas.DataFrame
        One row per unit, by nominal rank: ``level``, ``unit_code``, ``unit_name``,
        ``county_code``, ``year``, ``nominal_score`` (0–100), ``nominal_rank``, ``rank_median``,
        ``rank_p05``, ``rank_p95`` (percentiles of the rank over runs with a score),
        ``top_n_share`` (share of runs ranked ≤ ``top_n``, 0–1) and ``n_runs`` (runs with a
        score). With ``return_draws``, a tuple ``(frame, MonteCarloDraws)``.

    Raises
    ------
    SpecError
        Unknown normaliser or aggregator name, no data at ``level`` or in ``year``, weights
        summing to zero under a parent, ``n`` or ``top_n`` below 1.

    Notes
    -----
    Long because the docstring documents every Monte Carlo setting; the code body is under 60 lines.
    """
    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.engine.aggregate import get_aggregator
    from hemei_tools.engine.composite import IndexSpec
    from hemei_tools.engine.normalise import get_normaliser

    cat = catalogue or load_catalogue()
    spec = spec or IndexSpec()
    spec.validate(cat)
    if int(n) < 1 or int(top_n) < 1:
        raise SpecError(f"n and top_n must be at least 1, got n={n!r}, top_n={top_n!r}")
    if not normalisers or not aggregators:
        raise SpecError("give at least one normaliser and one aggregator")

    norm_fns = {m: get_normaliser(m) for m in dict.fromkeys(normalisers)}
    agg_fns = {a: get_aggregator(a) for a in dict.fromkeys(aggregators)}
    uv, year = _level_year(unit_values, level, year)
    choices = _GoalpostChoices.of(cat, spec, benchmarks, goalpost_bases, reference_percentiles)
    units, index_rows, z, screened = _nominal_inputs(uv, cat, spec, choices, level, year, norm_fns, nominal)

    rng = np.random.default_rng(seed)
    drawn, onehot = _draw_tree_weights(cat, spec, n, rng, weight_concentration)
    norm_pick = np.array(list(norm_fns))[rng.integers(0, len(norm_fns), size=n)]
    agg_pick = np.array(list(agg_fns))[rng.integers(0, len(agg_fns), size=n)]
    slots, basis, pct = choices.draw(n, rng)
    scores = _run_scores(z, drawn, onehot, norm_pick, agg_pick, agg_fns, spec, slots)
    scores[screened] = np.nan
    ranks = _ranks(scores)

    n_runs, q, top = _rank_summary(ranks, n, top_n)
    info = index_rows.loc[units]
    out = pd.DataFrame({
        "level": level, "unit_code": np.asarray(units, dtype=object), "unit_name": info["unit_name"].to_numpy(),
        "county_code": info["county_code"].to_numpy(), "year": year,
        "nominal_score": info["score"].to_numpy(float), "nominal_rank": info["rank"].to_numpy(),
        "rank_median": q[0], "rank_p05": q[1], "rank_p95": q[2], "top_n_share": top, "n_runs": n_runs,
    }).sort_values(["nominal_rank", "unit_code"], na_position="last", kind="stable").reset_index(drop=True)
    if not return_draws:
        return out
    draws = MonteCarloDraws(unit_codes=np.asarray(units, dtype=object), scores=scores, ranks=ranks,
                            normaliser=norm_pick, aggregator=agg_pick, weights=drawn, basis=basis,
                            reference_percentile=pct)
    return out, draws


def _level_year(unit_values: pd.DataFrame, level: str, year: int | None) -> tuple[pd.DataFrame, int]:
    """The unit values of ``level`` and the year to rank (default the latest with data)."""
    uv = unit_values[unit_values["level"] == level]
    if uv.empty:
        present = sorted(unit_values["level"].unique().tolist())
        raise SpecError(f"no unit values at level {level!r}; levels present: {present}")
    years = sorted(uv.loc[uv["value"].notna(), "year"].unique().tolist())
    year = int(years[-1]) if year is None else int(year)
    if year not in years:
        raise SpecError(f"no data for year {year} at level {level!r}; years with data: {years}")
    return uv, year


@dataclass(frozen=True)
class _GoalpostChoices:
    """The candidate benchmarks of every indicator and how a run draws among them.

    ``bench`` is ``slots × indicators``: slot 0 the nominal benchmarks, then one slot per
    alternative basis, then one per reference percentile (NaN where an indicator has no such
    figure). ``options[i]`` lists the bases indicator i may be drawn to (its nominal basis first).
    """

    bench: np.ndarray
    low: np.ndarray
    nominal_basis: np.ndarray
    options: tuple
    basis_slot: dict
    pct_slot: dict
    percentiles: tuple
    nominal: pd.DataFrame

    @classmethod
    def of(cls, cat, spec, benchmarks, bases, percentiles) -> _GoalpostChoices:
        ids = cat.scored_ids
        nominal = (benchmarks if benchmarks is not None
                   else resolve_benchmarks(cat, reference_percentile=spec.reference_percentile))
        nominal = nominal.drop_duplicates("indicator_id").set_index("indicator_id").reindex(ids)
        requested = tuple(dict.fromkeys(bases))
        published = tuple(b for b in requested if b != "reference")
        pcts = (tuple(float(p) for p in (reference_percentiles(cat) if percentiles is None else percentiles))
                if "reference" in requested else ())
        rows = [nominal["benchmark"].to_numpy(dtype=float)]
        figures = basis_figures(cat, published).set_index(["basis", "indicator_id"])["value"]
        for b in published:
            have = b in set(figures.index.get_level_values(0))
            rows.append(figures.xs(b).reindex(ids).to_numpy(dtype=float) if have else np.full(len(ids), np.nan))
        for p in pcts:
            rows.append(resolve_benchmarks(cat, basis="reference", reference_percentile=p)
                        .set_index("indicator_id")["benchmark"].reindex(ids).to_numpy(dtype=float))
        bench = np.vstack(rows)
        basis_slot = {b: 1 + k for k, b in enumerate(published)}
        pct_slot = {p: 1 + len(published) + k for k, p in enumerate(pcts)}
        nb = (nominal["basis"].astype(object).fillna("").to_numpy() if "basis" in nominal.columns
              else np.full(len(ids), "", dtype=object))
        opts = []
        for i in range(len(ids)):
            o = [nb[i]] + [b for b in published if np.isfinite(bench[basis_slot[b], i])]
            if pct_slot and all(np.isfinite(bench[k, i]) for k in pct_slot.values()):
                o.append("reference")
            opts.append(tuple(dict.fromkeys(o)))
        return cls(bench=bench, low=nominal["goalpost_low"].to_numpy(dtype=float), nominal_basis=nb,
                   options=tuple(opts), basis_slot=basis_slot, pct_slot=pct_slot, percentiles=pcts,
                   nominal=nominal.reset_index())

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per run: the slot of every indicator (``n × indicators``), its basis, and the run's
        reference percentile (NaN when no reference is pinned). Draws nothing from ``rng`` when
        no indicator has an alternative."""
        n_i = len(self.options)
        if not self.percentiles and all(len(o) <= 1 for o in self.options):
            return np.zeros((n, n_i), dtype=np.int64), np.tile(self.nominal_basis, (n, 1)), np.full(n, np.nan)
        pct = np.asarray(self.percentiles, dtype=float)[rng.integers(0, len(self.percentiles), size=n)] \
            if self.percentiles else np.full(n, np.nan)
        pick = rng.random((n, n_i))
        slots = np.zeros((n, n_i), dtype=np.int64)
        basis = np.empty((n, n_i), dtype=object)
        for i, opts in enumerate(self.options):
            k = np.minimum((pick[:, i] * len(opts)).astype(int), len(opts) - 1)
            names = np.asarray(opts, dtype=object)[k]
            basis[:, i] = names
            col = np.zeros(n, dtype=np.int64)
            for b, slot in self.basis_slot.items():
                col[(names == b) & (b != self.nominal_basis[i])] = slot
            ref = names == "reference"
            if ref.any():
                col[ref] = [self.pct_slot[p] for p in pct[ref]]
            slots[:, i] = col
        return slots, basis, pct


def _nominal_inputs(uv: pd.DataFrame, cat, spec, choices: _GoalpostChoices, level: str, year: int,
                    norm_fns: dict, nominal=None):
    """The nominal build's units (sorted codes), their index rows, the treated values normalised
    by each method against each candidate benchmark (``slots × units × indicators``) and the
    screened units (``nominal``: the build, when the caller has it)."""
    from hemei_tools.engine.composite import build_index

    if nominal is None:
        # the year alone is enough unless carrying values forward needs the earlier years
        spec_year = spec if spec.imputation == "locf" else dataclasses.replace(spec, years=(year,))
        nominal = build_index(uv, cat, spec_year, benchmarks=choices.nominal)
    ids = cat.scored_ids
    values = nominal.values
    values = values[(values["level"] == level) & (values["year"] == year) & values["indicator_id"].isin(ids)]
    x = values.pivot_table(index="unit_code", columns="indicator_id", values="value", aggfunc="first")
    index_rows = nominal.index_scores(level, year).set_index("unit_code")
    units = index_rows.index.sort_values()
    x = x.reindex(index=units, columns=ids).to_numpy(float)
    direction = cat.indicators.set_index("indicator_id")["direction"].reindex(ids).to_numpy(float)
    z = {m: np.stack([np.asarray(f(x, direction=direction, low=choices.low, benchmark=b), dtype=float)
                      for b in choices.bench])
         for m, f in norm_fns.items()}
    fl = nominal.flags
    screened = pd.Index(units).isin(fl.loc[(fl["action"] == "screened") & (fl["level"] == level)
                                           & (fl["year"] == year), "unit_code"])
    return units, index_rows, z, screened


def _draw_tree_weights(cat, spec, n: int, rng: np.random.Generator, concentration: float
                       ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``n`` draws of the weights of each tree level (task, dimension, index; drawn in that
    order) and each level's child → parent one-hot matrix."""
    from hemei_tools.engine.composite import tree_weights

    nominal_w = tree_weights(cat, spec.weight_overrides)
    groups = _tree_groups(cat)
    drawn, onehot = {}, {}
    for key in ("task", "dimension", "index"):
        mat = nominal_w[key]
        onehot[key] = (pd.Index(mat.columns).get_indexer(groups[key])[:, None]
                       == np.arange(mat.shape[1])[None, :]).astype(float)
        drawn[key] = draw_group_weights(mat.sum(axis=1).to_numpy(), groups[key], n, rng, concentration)
    return drawn, onehot


def _run_scores(z: dict, drawn: dict, onehot: dict, norm_pick: np.ndarray, agg_pick: np.ndarray,
                agg_fns: dict, spec, slots: np.ndarray) -> np.ndarray:
    """The index score of each unit in each run: ``(units, runs)``; ``z[m]`` is
    ``slots × units × indicators``, ``slots[d]`` the candidate benchmark of each indicator in run d."""
    n = len(norm_pick)
    first = next(iter(z.values()))
    cols = np.arange(first.shape[2])
    scores = np.empty((first.shape[1], n))
    kws = {a: {"min_coverage": spec.min_coverage, **({"floor": spec.gmean_floor} if a == "gmean" else {})}
           for a in agg_fns}
    for d in range(n):
        # one matrix product per tree level (units × children by children × parents); batching
        # the runs side by side in one product measured four times slower for 363 villages
        agg, kw = agg_fns[agg_pick[d]], kws[agg_pick[d]]
        zm = z[norm_pick[d]]
        s = zm[0] if not slots[d].any() else zm[slots[d], :, cols].T
        for key in ("task", "dimension", "index"):
            s = agg(s, onehot[key] * drawn[key][d][:, None], **kw)
        scores[:, d] = s[:, 0]
    return scores


def _rank_summary(ranks: np.ndarray, n: int, top_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: runs with a rank, the rank's median, 5th and 95th percentiles, top-N share."""
    n_runs = (~np.isnan(ranks)).sum(axis=1)
    # coverage and screening do not depend on the draw, so a unit has a score in all runs or none
    q = np.full((3, ranks.shape[0]), np.nan)
    full = n_runs == n
    q[:, full] = np.percentile(ranks[full], [50, 5, 95], axis=1)
    partial = (n_runs > 0) & ~full
    if partial.any():
        q[:, partial] = np.nanpercentile(ranks[partial], [50, 5, 95], axis=1)
    top = np.where(n_runs > 0, (ranks <= top_n).sum(axis=1) / np.maximum(n_runs, 1), np.nan)
    return n_runs, q, top


def rank_variance_shares(draws: MonteCarloDraws) -> pd.DataFrame:
    """First-order share of the rank variance due to each method choice (pooled over units).

    For a choice X drawn independently of the rest (the normaliser, the aggregator, the
    reference percentile), the first-order sensitivity index is S_X = Var(E[r | X]) / Var(r)
    (Saisana, Saltelli and Tarantola 2005), estimated from the runs already drawn by grouping
    them by X. Pooled over units: S_X = Σ_u Var_u(E[r_u | X]) / Σ_u Var_u(r_u), so units whose
    rank moves most count most. The remainder, 1 − Σ S_X, is the part due to the weights, the
    per-indicator benchmark bases and interactions. The reference percentile is listed only
    when the runs drew more than one.

    Parameters
    ----------
    draws
        The :class:`MonteCarloDraws` of ``run_monte_carlo(..., return_draws=True)``.

    Returns
    -------
    pandas.DataFrame
        ``source`` (``normaliser``, ``aggregator``, ``reference percentile`` when drawn,
        ``weights and interactions``) and ``share`` (0–1). All shares are NaN when no rank varies.
    """
    ranks = draws.ranks[~np.isnan(draws.ranks).any(axis=1)]
    total = ranks.var(axis=1).sum() if len(ranks) else 0.0
    shares = {}
    choices = {"normaliser": draws.normaliser, "aggregator": draws.aggregator}
    pct = draws.reference_percentile
    if pct is not None and len(np.unique(pct[~np.isnan(pct)])) > 1:
        choices["reference percentile"] = pct
    for source, drawn in choices.items():
        labels, group = np.unique(drawn, return_inverse=True)
        onehot = np.zeros((group.size, labels.size))
        onehot[np.arange(group.size), group] = 1.0
        means = (ranks @ onehot) / onehot.sum(axis=0)
        shares[source] = means[:, group].var(axis=1).sum() / total if total > 0 else np.nan
    rest = 1.0 - sum(shares.values()) if total > 0 else np.nan
    return pd.DataFrame({"source": [*shares, "weights and interactions"], "share": [*shares.values(), rest]})
