"""The robustness of a 精品示范村 shortlist, the comparison with the actual decision, a whole round.

The criteria, eligibility rules, scores and the quota rule are in
:mod:`hemei_tools.engine.shortlist`; their public names are importable from here too, so that
``hemei_tools.engine.selection`` stays the one entry point of the selection.

Robustness labels (:func:`selection_robustness`): ``robust`` when selected in at least 90% of
the Monte Carlo runs, ``out`` when in fewer than 10%, ``marginal`` in between (both thresholds
are arguments).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.sensitivity import draw_group_weights
from hemei_tools.engine.shortlist import (
    CRITERIA_FILE,
    FIXED_NORMALISATIONS,
    OPERATORS,
    POOL_METHODS,
    RULE_SOURCES,
    RULES_FILE,
    SOURCES,
    SelectionError,
    _quota_setup,
    _select,
    _tie_base,
    attach_index_scores,
    check_eligibility,
    criterion_labels,
    criterion_table,
    default_quotas,
    effective_weights,
    field_scores,
    list_failures,
    load_criteria,
    load_rules,
    parse_levels,
    prepare_applicants,
    score_applicants,
    select_shortlist,
    validate_criteria,
)

__all__ = [
    "CRITERIA_FILE", "FIXED_NORMALISATIONS", "OPERATORS", "POOL_METHODS", "ROBUSTNESS_LABELS", "RULE_SOURCES",
    "RULES_FILE", "SOURCES", "DecisionComparison", "SelectionError", "SelectionResult", "attach_index_scores",
    "check_eligibility", "compare_with_decision", "criterion_labels", "criterion_table", "default_quotas",
    "effective_weights", "field_scores", "flip_weights", "list_failures", "load_criteria", "load_rules",
    "parse_levels", "prepare_applicants", "run_selection", "score_applicants", "select_shortlist",
    "selection_robustness", "stable_weight_ranges", "sweep_weights", "validate_criteria", "village_task_scores",
]

ROBUSTNESS_LABELS = ("robust", "marginal", "out")
"""The labels of :func:`selection_robustness`, most certain first."""


# --- robustness -----------------------------------------------------------------------------


def _draw_totals(z_by_method: dict[str, np.ndarray], crit: pd.DataFrame, n: int, rng: np.random.Generator,
                 concentration: float) -> np.ndarray:
    """Totals under ``n`` draws of (criterion weights, field weights, normalisation): ``(n_app, n)``."""
    cids = crit["criterion_id"].to_numpy()
    ct = criterion_table(crit)
    cw = draw_group_weights(ct["criterion_weight"].to_numpy(), np.zeros(len(ct)), n, rng, concentration)
    fw = draw_group_weights(crit["field_weight"].to_numpy(), cids, n, rng, concentration)
    eff = fw * cw[:, pd.Index(ct["criterion_id"]).get_indexer(cids)]
    methods = list(z_by_method)
    pick = rng.integers(0, len(methods), size=n)
    totals = np.empty((next(iter(z_by_method.values())).shape[0], n))
    for k, name in enumerate(methods):
        idx = np.flatnonzero(pick == k)
        totals[:, idx] = z_by_method[name] @ eff[idx].T
    return totals


def selection_robustness(
    applicants: pd.DataFrame,
    criteria: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    n: int = 1000,
    seed: int = 2023,
    weight_concentration: float = 50.0,
    normalisations: Sequence[str] = ("minmax", "rank", "zscore"),
    robust_at: float = 0.9,
    out_below: float = 0.1,
    year: int | None = None,
) -> pd.DataFrame:
    """Monte Carlo over weights and normalisation: how sure is each applicant's place?

    Each draw takes criterion weights ~ Dirichlet(c·s) around the catalogue shares, field weights
    ~ Dirichlet within each criterion likewise (:func:`~hemei_tools.engine.sensitivity.draw_group_weights`),
    and one pool normalisation from ``normalisations`` (uniformly), then applies the quota rule.

    Parameters
    ----------
    applicants
        Applicants with every criterion field (and ``eligible`` from :func:`check_eligibility`).
    n, seed, weight_concentration
        Number of draws, seed of :func:`numpy.random.default_rng`, Dirichlet concentration ``c``.
    robust_at, out_below
        Labels: ``robust`` when P(selected) ≥ ``robust_at``, ``out`` when P(selected) <
        ``out_below``, ``marginal`` between.

    Returns
    -------
    pandas.DataFrame
        Per applicant: ``village_code``, ``village_name`` (if known), ``county_code``, ``eligible``,
        ``nominal_rank``, ``nominal_selected``, ``p_selected`` (share of draws, 0–1),
        ``rank_median``, ``rank_p05``, ``rank_p95`` (rank among the eligible applicants; NaN for
        an ineligible one), ``label`` (an ineligible applicant is ``out``); sorted by
        P(selected) then nominal rank.
    """
    crit = load_criteria() if criteria is None else criteria
    unknown = [m for m in normalisations if m not in POOL_METHODS]
    if unknown or not normalisations:
        raise SelectionError(f"normalisations must be names from {tuple(POOL_METHODS)}; got {list(normalisations)}")
    nominal = select_shortlist(score_applicants(applicants, crit), quotas, total, crit, year)
    nominal = nominal.set_index("village_code").loc[applicants["village_code"].astype(str)].reset_index()
    _, county, qv, tot, eligible = _quota_setup(nominal, quotas, total, year)
    rng = np.random.default_rng(seed)
    z = {m: field_scores(applicants, crit, m) for m in dict.fromkeys(normalisations)}
    totals = _draw_totals(z, crit, n, rng, weight_concentration)
    ct = criterion_table(crit).set_index("criterion_id")
    base = _tie_base(nominal, ct)
    sel, _, rank = _select(totals, base, county, qv, tot, eligible)
    keep = [c for c in ("village_code", "village_name", "county_code") if c in nominal.columns]
    out = nominal[keep].copy()
    out["eligible"] = eligible
    out["nominal_rank"] = nominal["rank"].to_numpy()
    out["nominal_selected"] = nominal["selected"].to_numpy()
    out["p_selected"] = sel.mean(axis=1)
    q = np.where(eligible, np.percentile(rank, [50, 5, 95], axis=1), np.nan)
    out["rank_median"], out["rank_p05"], out["rank_p95"] = q[0], q[1], q[2]
    out["label"] = np.select([out["p_selected"] >= robust_at, out["p_selected"] < out_below],
                             ["robust", "out"], "marginal")
    return out.sort_values(["p_selected", "nominal_rank"], ascending=[False, True]).reset_index(drop=True)


def sweep_weights(
    applicants: pd.DataFrame,
    criteria: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    step: float = 0.01,
    year: int | None = None,
) -> pd.DataFrame:
    """Selection as one criterion's share of the weight runs from 0 to 1, the others in proportion.

    For criterion ``k`` at share ``s`` the criterion shares are ``s`` for ``k`` and
    ``(1 − s)·c_j/Σ_{i≠k} c_i`` for the others; field weights and normalisation stay nominal.

    Returns
    -------
    pandas.DataFrame
        Long: ``criterion_id``, ``share``, ``nominal_share``, ``village_code``, ``total``,
        ``rank``, ``selected`` — the data of a weight-sensitivity chart.
    """
    crit = load_criteria() if criteria is None else criteria
    nominal = score_applicants(applicants, crit)
    _, county, qv, tot, eligible = _quota_setup(nominal, quotas, total, year)
    ct = criterion_table(crit)
    grid = np.round(np.arange(0.0, 1.0 + step / 2, step), 10)
    k_n, g_n = len(ct), len(grid)
    nominal_share = ct["share"].to_numpy()
    shares = np.empty((k_n, g_n, k_n))
    for k in range(k_n):
        rest = np.where(np.arange(k_n) == k, 0.0, nominal_share)
        rest = rest / rest.sum() if rest.sum() > 0 else np.where(np.arange(k_n) == k, 0.0, 1.0 / max(k_n - 1, 1))
        shares[k] = (1.0 - grid)[:, None] * rest[None, :]
        shares[k][:, k] = grid
    per = nominal[ct["criterion_id"]].to_numpy(float)
    totals = per @ shares.reshape(k_n * g_n, k_n).T
    base = _tie_base(nominal, ct.set_index("criterion_id"))
    sel, _, rank = _select(totals, base, county, qv, tot, eligible)
    n_app = len(nominal)
    return pd.DataFrame({
        "criterion_id": np.repeat(np.repeat(ct["criterion_id"].to_numpy(), g_n), n_app),
        "share": np.repeat(np.tile(grid, k_n), n_app),
        "nominal_share": np.repeat(np.repeat(ct["share"].to_numpy(), g_n), n_app),
        "village_code": np.tile(nominal["village_code"].astype(str).to_numpy(), k_n * g_n),
        "total": totals.T.ravel(),
        "rank": rank.T.ravel(),
        "selected": sel.T.ravel(),
    })


def stable_weight_ranges(sweep: pd.DataFrame, shortlist: pd.DataFrame,
                         criteria: pd.DataFrame | None = None) -> pd.DataFrame:
    """How far each criterion's weight can move, alone, before the shortlist changes.

    On the grid of :func:`sweep_weights`, the contiguous run of shares around the nominal one
    (the grid point nearest to it) where exactly the nominal shortlist is selected.

    Parameters
    ----------
    sweep
        :func:`sweep_weights` output.
    shortlist
        :func:`select_shortlist` output of the same applicants (``village_code``, ``selected``).

    Returns
    -------
    pandas.DataFrame
        ``criterion_id``, ``criterion_zh``, ``nominal_share``, ``low_share``, ``high_share``
        (shares of the total weight, 0–1); the range is empty (NaN) when even the nominal grid
        point differs from the shortlist.
    """
    ct = criterion_table(load_criteria() if criteria is None else criteria)
    nominal = shortlist.set_index("village_code")["selected"].astype(bool)
    same = (sweep["selected"].to_numpy() == sweep["village_code"].map(nominal).to_numpy(bool))
    grid = (sweep.assign(same=same).groupby(["criterion_id", "share"], sort=True)["same"].all()
            .rename("same").reset_index())
    rows = []
    for r in ct.itertuples():
        g = grid[grid["criterion_id"] == r.criterion_id].reset_index(drop=True)
        at = int(np.argmin(np.abs(g["share"].to_numpy() - r.share)))
        ok = g["same"].to_numpy()
        # runs of equal "same" values; keep the one holding the nominal point
        run = np.cumsum(np.r_[0, ok[1:] != ok[:-1]])
        inside = (run == run[at]) & ok
        shares = g["share"].to_numpy()[inside]
        rows.append({"criterion_id": r.criterion_id, "criterion_zh": r.criterion_zh, "nominal_share": r.share,
                     "low_share": shares.min() if shares.size else np.nan,
                     "high_share": shares.max() if shares.size else np.nan})
    return pd.DataFrame(rows)


def flip_weights(
    applicants: pd.DataFrame,
    robustness: pd.DataFrame | None = None,
    criteria: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    step: float = 0.005,
    year: int | None = None,
    sweep: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each marginal applicant, the smallest single change of one criterion's weight that
    flips it into or out of the shortlist.

    Searches the grid of :func:`sweep_weights` (resolution ``step`` in share of the total weight)
    for the share closest to the nominal one at which the applicant's selection differs from
    the nominal selection; equally close changes go to the criterion listed first in the
    criteria table.

    Parameters
    ----------
    robustness
        Output of :func:`selection_robustness`; its ``marginal`` applicants are examined. ``None``
        examines every eligible applicant.
    sweep
        A :func:`sweep_weights` frame of the same applicants and criteria to search instead of
        computing one with ``step``.

    Returns
    -------
    pandas.DataFrame
        ``village_code``, ``nominal_selected``, ``criterion_id``, ``criterion_zh``,
        ``share_from`` and ``share_to`` (the criterion's share of the total weight, 0–1),
        ``change`` (``share_to − share_from``), ``selected_after``; NaN criterion when no single
        weight change flips the applicant.
    """
    crit = load_criteria() if criteria is None else criteria
    if sweep is None:
        sweep = sweep_weights(applicants, crit, quotas, total, step, year)
    nominal = select_shortlist(score_applicants(applicants, crit), quotas, total, crit, year)
    nom = nominal.set_index("village_code")["selected"]
    if robustness is None:
        codes = nominal.loc[nominal["route"] != "ineligible", "village_code"]
    else:
        codes = robustness.loc[robustness["label"] == "marginal", "village_code"]
    s = sweep[sweep["village_code"].isin(set(codes.astype(str)))]
    s = s[s["selected"] != s["village_code"].map(nom)]
    ct = criterion_table(crit)
    position = pd.Series(np.arange(len(ct)), index=ct["criterion_id"])
    s = s.assign(distance=np.round((s["share"] - s["nominal_share"]).abs(), 9),
                 position=s["criterion_id"].map(position))
    best = s.sort_values(["village_code", "distance", "position"], kind="stable").drop_duplicates("village_code")
    labels = ct.set_index("criterion_id")["criterion_zh"]
    out = pd.DataFrame({"village_code": codes.astype(str).to_numpy()})
    out["nominal_selected"] = out["village_code"].map(nom).astype(bool)
    out = out.merge(best[["village_code", "criterion_id", "nominal_share", "share", "selected"]],
                    on="village_code", how="left")
    out = out.rename(columns={"nominal_share": "share_from", "share": "share_to", "selected": "selected_after"})
    out.insert(3, "criterion_zh", out["criterion_id"].map(labels))
    out["change"] = out["share_to"] - out["share_from"]
    return out[["village_code", "nominal_selected", "criterion_id", "criterion_zh", "share_from", "share_to",
                "change", "selected_after"]]


# --- the actual decision --------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionComparison:
    """Model shortlist against the actual decision.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: ``n_applicants``, ``agree``, ``both_selected``, ``both_rejected``,
        ``model_only``, ``decision_only``, ``agreement_rate`` (0–1).
    disagreements : pandas.DataFrame
        One row per disagreement: ``village_code``, ``village_name``, ``county_code``, ``kind``
        (``decision_only``: chosen by the city, not by the model; ``model_only``: the reverse),
        ``rank``, ``total``, ``reason`` (``criteria``; ``ineligible``: the village fails a rule;
        ``replaces_ineligible``: the model gives it the county slot, or the city-pool slot, of
        ineligible villages the city chose) and ``explained_by`` (criteria labels, strongest first, or the failed
        rules, or the replaced villages).
    detail : pandas.DataFrame
        Long: per disagreement and criterion, ``score``, ``reference`` (mean score of the group
        compared with), ``weighted_diff`` (``share_k·(score − reference)``, points of the total)
        and ``explains`` (bool).
    """

    summary: pd.DataFrame
    disagreements: pd.DataFrame
    detail: pd.DataFrame


def compare_with_decision(shortlist: pd.DataFrame, criteria: pd.DataFrame | None = None) -> DecisionComparison:
    """Compare the model's shortlist with the actual decision (the applicants' ``selected``).

    Each disagreeing village is compared with the villages it swapped places with: for a
    ``decision_only`` village (chosen by the city, not by the model) the ``model_only`` villages of
    its county; for a ``model_only`` village the ``decision_only`` villages of its county. When its
    county has none, the counterparts city-wide; when there are none at all, the other side's
    whole selection; only eligible villages serve as reference. With ``share_k`` the
    criterion's share of the weight,
    ``weighted_diff_k = share_k·(score_k − mean_ref_k)`` in points of the 0–100 total; the
    criteria where a ``decision_only`` village falls short (diff < 0), or where a ``model_only``
    village is ahead (diff > 0), explain the disagreement, largest first. A ``decision_only``
    village that fails a rule is explained by that rule; a ``model_only`` village whose county's
    ``decision_only`` villages are all ineligible is explained as taking their slot (and a
    city-pool ``model_only`` village likewise when every ``decision_only`` village is ineligible).

    Raises
    ------
    SelectionError
        When ``shortlist`` has no ``decision`` column (no ``selected`` in the applicant table).
    """
    if "decision" not in shortlist.columns or shortlist["decision"].isna().all():
        raise SelectionError("no actual decision to compare with: the applicant table has no 'selected' column")
    ct = criterion_table(load_criteria() if criteria is None else criteria).set_index("criterion_id")
    s = shortlist.reset_index(drop=True)
    model = s["selected"].astype(bool).to_numpy()
    decision = (s["decision"].fillna(0).astype(int) == 1).to_numpy()
    summary = pd.DataFrame([{
        "n_applicants": len(s), "agree": int((model == decision).sum()),
        "both_selected": int((model & decision).sum()), "both_rejected": int((~model & ~decision).sum()),
        "model_only": int((model & ~decision).sum()), "decision_only": int((~model & decision).sum()),
        "agreement_rate": float((model == decision).mean()) if len(s) else np.nan,
    }])
    ids = ct.index.tolist()
    scores = s[ids].to_numpy(float)
    county = s["county_code"].astype(str).to_numpy()
    sides = {"decision_only": decision & ~model, "model_only": model & ~decision}
    fallback = {"decision_only": model, "model_only": decision}
    other = {"decision_only": "model_only", "model_only": "decision_only"}
    sign = {"decision_only": -1.0, "model_only": 1.0}
    eligible = s["eligible"].astype(bool).to_numpy() if "eligible" in s.columns else np.ones(len(s), bool)
    failed = s["failed_rules"].astype(str).to_numpy() if "failed_rules" in s.columns else np.full(len(s), "")
    names = s["village_name"].astype(str).to_numpy() if "village_name" in s.columns else s["village_code"].to_numpy()
    pool = (s["route"] == "city_pool").to_numpy() if "route" in s.columns else np.zeros(len(s), bool)
    rows, details = [], []
    for kind, mask in sides.items():
        counterpart = sides[other[kind]] & eligible
        for i in np.flatnonzero(mask):
            group = next((g for g in (counterpart & (county == county[i]), counterpart, fallback[kind] & eligible)
                          if g.any()), None)
            ref = scores[group].mean(axis=0) if group is not None else np.full(len(ids), np.nan)
            diff = ct["share"].to_numpy() * (scores[i] - ref)
            explains = sign[kind] * diff > 0
            order = np.argsort(-sign[kind] * diff, kind="stable")
            text = _t("punct.list_sep").join(ct["criterion_zh"].iloc[k] for k in order if explains[k])
            reason, text = _disagreement_reason(i, kind, text, sides[other[kind]], counterpart, eligible, county,
                                                failed, names, pool)
            rows.append({"village_code": s.at[i, "village_code"],
                         "village_name": s["village_name"].iloc[i] if "village_name" in s.columns else "",
                         "county_code": county[i], "kind": kind, "rank": s.at[i, "rank"],
                         "total": s.at[i, "total"], "reason": reason, "explained_by": text})
            details.append(pd.DataFrame({"village_code": s.at[i, "village_code"], "kind": kind,
                                         "criterion_id": ids, "score": scores[i], "reference": ref,
                                         "weighted_diff": diff, "explains": explains}))
    cols = ["village_code", "village_name", "county_code", "kind", "rank", "total", "reason", "explained_by"]
    detail_cols = ["village_code", "kind", "criterion_id", "score", "reference", "weighted_diff", "explains"]
    return DecisionComparison(
        summary=summary,
        disagreements=pd.DataFrame(rows, columns=cols),
        detail=pd.concat(details, ignore_index=True) if details else pd.DataFrame(columns=detail_cols),
    )


def _disagreement_reason(i: int, kind: str, criteria_text: str, others: np.ndarray, counterpart: np.ndarray,
                         eligible: np.ndarray, county: np.ndarray, failed: np.ndarray, names: np.ndarray,
                         pool: np.ndarray) -> tuple[str, str]:
    """Reason and explanation of disagreement ``i`` (see :func:`compare_with_decision`):
    ``ineligible`` (its failed rules), ``replaces_ineligible`` (the ineligible villages whose
    county or city-pool slot it takes) or ``criteria`` (``criteria_text``). ``others`` are the
    villages of the other kind, ``counterpart`` the eligible ones among them."""
    barred = others & ~eligible & (county == county[i])
    if not eligible[i]:
        return "ineligible", _tf("selection.reason_failed", failed=failed[i])
    if kind == "model_only" and barred.any() and not (counterpart & (county == county[i])).any():
        return "replaces_ineligible", _tf("selection.reason_replaces",
                                          names=_t("punct.list_sep").join(names[barred]))
    if kind == "model_only" and pool[i] and not counterpart.any() and others.any():
        return "replaces_ineligible", _tf("selection.reason_replaces_pool",
                                          names=_t("punct.list_sep").join(names[others & ~eligible]))
    return "criteria", criteria_text


# --- one call for the whole round -----------------------------------------------------------


@dataclass(frozen=True)
class SelectionResult:
    """Everything about one application round, for the notebook, the report and the CLI.

    Attributes
    ----------
    year, total : int
        The round and the city total.
    criteria, rules, quotas : pandas.DataFrame
        The tables used (criteria and rules as loaded; quotas ``county_code, quota``).
    applicants : pandas.DataFrame
        Applicants of the round with village attributes, index fields and eligibility.
    failures : pandas.DataFrame
        :func:`list_failures`: each ineligible applicant with each rule it failed.
    shortlist : pandas.DataFrame
        :func:`select_shortlist` of :func:`score_applicants`: criterion scores, total, rank,
        ``selected``, ``route``, ``decision`` when known.
    robustness : pandas.DataFrame
        :func:`selection_robustness`.
    sweep : pandas.DataFrame
        :func:`sweep_weights` at a step of 0.005 (the weight-sensitivity chart's data).
    stability : pandas.DataFrame
        :func:`stable_weight_ranges`: per criterion, the share range keeping the shortlist.
    flips : pandas.DataFrame
        :func:`flip_weights` for the marginal applicants, searched on ``sweep``.
    comparison : DecisionComparison or None
        :func:`compare_with_decision` when the applicant table has ``selected``.
    synthetic : bool
        True when built from synthetic (demo) data.
    """

    year: int
    total: int
    criteria: pd.DataFrame
    rules: pd.DataFrame
    quotas: pd.DataFrame
    applicants: pd.DataFrame
    failures: pd.DataFrame
    shortlist: pd.DataFrame
    robustness: pd.DataFrame
    sweep: pd.DataFrame
    stability: pd.DataFrame
    flips: pd.DataFrame
    comparison: DecisionComparison | None
    synthetic: bool = False

    def table(self) -> pd.DataFrame:
        """The shortlist with its robustness: one row per applicant in rank order.

        Columns ``rank``, ``village_code``, ``village_name``, ``county_name`` (when known),
        ``total``, ``selected``, ``route``, ``p_selected``, ``rank_p05``, ``rank_p95``, ``label``,
        ``decision`` (when known), ``failed_rules``.
        """
        r = self.robustness.set_index("village_code")[["p_selected", "rank_p05", "rank_p95", "label"]]
        s = self.shortlist.join(r, on="village_code")
        cols = [c for c in ("rank", "village_code", "village_name", "county_name", "total", "selected", "route",
                            "p_selected", "rank_p05", "rank_p95", "label", "decision", "failed_rules")
                if c in s.columns]
        return s[cols]


def village_task_scores(dataset, catalogue=None, spec=None) -> pd.DataFrame:
    """Village-level 和美指数 scores of every node and year (``IndexResult.scores`` rows).

    Builds the index with :func:`hemei_tools.engine.composite.build_index` (default spec) on the
    village values of ``dataset``; the 基础好 criterion reads its task scores from here.
    """
    from hemei_tools.engine.composite import IndexSpec, build_index
    from hemei_tools.engine.rollup import aggregate_values

    values = aggregate_values(dataset.observations, dataset.villages, catalogue, levels=("village",))
    result = build_index(values, catalogue, spec if spec is not None else IndexSpec())
    return result.scores[result.scores["level"] == "village"]


def run_selection(
    dataset,
    year: int | None = None,
    index_scores=None,
    criteria: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    n: int = 1000,
    seed: int = 2023,
    weight_concentration: float = 50.0,
    normalisations: Sequence[str] = POOL_METHODS,
) -> SelectionResult:
    """Run a whole round: eligibility, scores, shortlist, robustness, weight flips, comparison.

    Parameters
    ----------
    dataset
        A :class:`~hemei_tools.inputs.dataset.DataSet` (``villages``, ``applicants``, ``observations``).
    year
        The round (default: the latest ``apply_year`` in the applicant table).
    index_scores
        An ``IndexResult`` or its village scores; default :func:`village_task_scores`.
    criteria, rules, quotas, total
        As in :func:`score_applicants`, :func:`check_eligibility`, :func:`select_shortlist`
        (defaults: the packaged tables and the round's county quotas).
    n, seed, weight_concentration, normalisations
        Monte Carlo settings of :func:`selection_robustness`.

    Raises
    ------
    SelectionError
        When the data set has no applicants, or any check of the steps fails.
    """
    apps = dataset.applicants
    if apps is None or apps.empty:
        raise SelectionError(_t("error.no_applicants"))
    year = int(pd.to_numeric(apps["apply_year"]).max()) if year is None else int(year)
    crit = load_criteria() if criteria is None else criteria
    rl = load_rules() if rules is None else rules
    prepared = prepare_applicants(apps, dataset.villages, year)
    if (crit["source"] == "index").any():
        scores = village_task_scores(dataset) if index_scores is None else index_scores
        prepared = attach_index_scores(prepared, scores, crit)
    elig = check_eligibility(prepared, rl)
    q, _, _, tot, _ = _quota_setup(prepared, quotas, total, year)
    shortlist = select_shortlist(score_applicants(elig, crit), q, tot, crit, year)
    robust = selection_robustness(elig, crit, q, tot, n=n, seed=seed, weight_concentration=weight_concentration,
                                  normalisations=normalisations, year=year)
    sweep = sweep_weights(elig, crit, q, tot, step=0.005, year=year)
    flips = flip_weights(elig, robust, crit, q, tot, year=year, sweep=sweep)
    comparison = compare_with_decision(shortlist, crit) if shortlist.get("decision") is not None \
        and shortlist["decision"].notna().any() else None
    return SelectionResult(year=year, total=tot, criteria=crit, rules=rl, quotas=q, applicants=elig,
                           failures=list_failures(elig, rl), shortlist=shortlist, robustness=robust, sweep=sweep,
                           stability=stable_weight_ranges(sweep, shortlist, crit), flips=flips,
                           comparison=comparison, synthetic=bool(getattr(dataset, "synthetic", False)))
