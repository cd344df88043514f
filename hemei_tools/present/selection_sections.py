"""Sections of the village-selection report: one call per notebook section of a 精品示范村 round.

Each ``section_selection_*`` function takes a
:class:`~hemei_tools.engine.selection.SelectionResult` (:func:`hemei_tools.engine.selection.run_selection`)
and returns a :class:`~hemei_tools.present.section_parts.Section`; :data:`SELECTION_SECTIONS`
lists them in report order. They are importable from :mod:`hemei_tools.present.sections` too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.present import narrative as nv
from hemei_tools.present.section_parts import (
    HEADERS,
    LABEL_ZH,
    ROUTE_ZH,
    Section,
    _figure,
    _interval,
    _md,
    _pct,
    _styler,
)
from hemei_tools.present.style import ROBUSTNESS_COLOURS


def _crit_labels(sel) -> dict[str, str]:
    from hemei_tools.engine.selection import criterion_table

    ct = criterion_table(sel.criteria)
    return dict(zip(ct["criterion_id"], ct["criterion_zh"], strict=True))


def section_selection_eligibility(sel) -> Section:
    """Eligibility: how many applicants pass every rule, and each failure with its rule."""
    apps, fails = sel.applicants, sel.failures
    n_ok = int(apps["eligible"].sum())
    text = _tf("sentence.selection_eligibility",
               year=sel.year,
               n_apps=len(apps),
               n_ok=n_ok,
               n_failed=len(apps) - n_ok)
    table = pd.DataFrame({
        HEADERS["village"]: fails.get("village_name", fails["village_code"]),
        HEADERS["rule"]: fails["name_zh"],
    })
    parts = [_md(text)] + ([_styler(table)] if not table.empty else [])
    return Section(parts=tuple(parts), tables={"failures": table}, data={"n_eligible": n_ok})


def section_selection_scores(sel) -> Section:
    """Scores: each applicant's criterion scores (0–100), total and rank, with the route by
    which it is shortlisted."""
    labels = _crit_labels(sel)
    s = sel.shortlist
    table = pd.DataFrame({HEADERS["rank"]: s["rank"].astype(int), HEADERS["village"]: s.get("village_name", s["village_code"]),
                          HEADERS["county"]: s.get("county_name", s["county_code"])})
    for cid, lab in labels.items():
        table[lab] = s[cid].map(lambda x: nv.format_number(x, 1))
    table[HEADERS["total"]] = s["total"].map(lambda x: nv.format_number(x, 1))
    table[HEADERS["route"]] = s["route"].map(ROUTE_ZH)
    return Section(parts=(_styler(table),), tables={"scores": table}, data={"shortlist": s})


def section_selection_shortlist(sel) -> Section:
    """The shortlist with its robustness labels and the selection-probability chart."""
    from hemei_tools.present.plots import plot_selection_probability

    t = sel.table()
    quota = _t("punct.list_sep").join(_tf("selection.quota_item",
                                          county_code=q.county_code,
                                          quota=q.quota) for q in sel.quotas.itertuples())
    n_robust = int((t["label"] == "robust").sum())
    text = (_tf("sentence.selection_shortlist", quota=quota, total=sel.total, n_robust=n_robust))
    table = pd.DataFrame({
        HEADERS["rank"]: t["rank"].astype(int),
        HEADERS["village"]: t.get("village_name", t["village_code"]),
        HEADERS["total"]: t["total"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["selected"]: np.where(t["selected"], _t("word.yes"), _t("word.no")),
        HEADERS["p_selected"]: t["p_selected"].map(lambda x: _pct(100 * x, 0)),
        HEADERS["rank_interval"]: [_interval(lo, hi) for lo, hi in zip(t["rank_p05"], t["rank_p95"], strict=True)],
        HEADERS["label"]: t["label"].map(LABEL_ZH),
    })
    colours = {HEADERS["label"]: {LABEL_ZH[k]: c for k, c in ROBUSTNESS_COLOURS.items()}}
    fig = _figure(plot_selection_probability(sel.robustness))
    return Section(parts=(_md(text), _styler(table, colours), fig), tables={"shortlist": table},
                   data={"table": t})


def section_selection_profile(sel) -> Section:
    """Criteria profile: each applicant's weighted criterion scores as stacked bars."""
    from hemei_tools.engine.selection import criterion_table
    from hemei_tools.present.plots import plot_criteria_profile

    fig = _figure(plot_criteria_profile(sel.shortlist, criterion_table(sel.criteria)))
    return Section(parts=(fig,))


def section_selection_flips(sel) -> Section:
    """Weight sensitivity: for each marginal applicant, the smallest single change of one
    criterion's weight share that flips it in or out of the shortlist."""
    from hemei_tools.present.plots import plot_weight_sweep

    f = sel.flips
    fig = _figure(plot_weight_sweep(sel.sweep, criteria=sel.criteria, shortlist=sel.shortlist))
    if f.empty:
        return Section(parts=(_md(_t("sentence.selection_no_marginal")), fig), data={"flips": f})
    names = sel.shortlist.set_index("village_code").get("village_name")
    table = pd.DataFrame({
        HEADERS["village"]: f["village_code"].map(names) if names is not None else f["village_code"],
        HEADERS["selected"]: np.where(f["nominal_selected"], _t("word.yes"), _t("word.no")),
        HEADERS["criterion"]: f["criterion_zh"].fillna("—"),
        HEADERS["flip"]: [(_t("selection.no_flip") if pd.isna(a) else
                           _tf("selection.flip_range",
                               share_from=_pct(100 * a),
                               share_to=_pct(100 * b)))
                          for a, b in zip(f["share_from"], f["share_to"], strict=True)],
    })
    return Section(parts=(_styler(table), fig), tables={"flips": table}, data={"flips": f})


def section_selection_decision(sel) -> Section:
    """Comparison with the actual decision: agreements and the criteria behind each disagreement."""
    c = sel.comparison
    if c is None:
        return Section(parts=(_md(_t("sentence.selection_no_decision")),))
    s = c.summary.iloc[0]
    text = (_tf("sentence.selection_decision",
                n_applicants=int(s["n_applicants"]),
                agree=int(s["agree"]),
                agreement=_pct(100 * s["agreement_rate"]),
                decision_only=int(s["decision_only"]),
                model_only=int(s["model_only"])))
    d = c.disagreements
    kind = {"decision_only": _t("selection.decision_only"), "model_only": _t("selection.model_only")}
    table = pd.DataFrame({
        HEADERS["village"]: d["village_name"], HEADERS["decision"]: d["kind"].map(kind),
        HEADERS["rank"]: d["rank"], HEADERS["total"]: d["total"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["explained_by"]: d["explained_by"],
    })
    parts = [_md(text)] + ([_styler(table)] if not table.empty else [])
    return Section(parts=tuple(parts), tables={"disagreements": table}, data={"summary": c.summary})


SELECTION_SECTIONS = (
    (_t("section.selection_eligibility"), section_selection_eligibility),
    (_t("section.selection_scores"), section_selection_scores),
    (_t("section.selection_shortlist"), section_selection_shortlist),
    (_t("section.selection_profile"), section_selection_profile),
    (_t("section.selection_flips"), section_selection_flips),
    (_t("section.selection_decision"), section_selection_decision),
)
"""The village-selection report's sections in order: (heading, function)."""
