"""Sections of the village-selection report: one call per notebook section of a 精品示范村 round.

Each ``section_selection_*`` function takes a
:class:`~hemei_tools.engine.selection.SelectionResult` (:func:`hemei_tools.engine.selection.run_selection`)
and returns a :class:`~hemei_tools.present.section_parts.Section`; :data:`SELECTION_SECTIONS`
lists them in report order. They are importable from :mod:`hemei_tools.present.sections` too.

Sentences are rendered from records (``data["records"]``, :class:`~hemei_tools.present.narrative.Record`).
On synthetic data (``sel.synthetic``) no judgement about a named village appears without the
synthetic mark beside it: every village name in a table reads ``中洲村（模拟）``, the applicants'
``selected`` column is the 示例决定（模拟） (never 实际决定), and a failed rule or a
disagreement's explanation carries the mark; figures and tables are marked by
:func:`~hemei_tools.present.section_parts.report_section`.
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
    report_section,
    synthetic_suffix,
)
from hemei_tools.present.style import ROBUSTNESS_COLOURS


def _crit_labels(sel) -> dict[str, str]:
    from hemei_tools.engine.selection import criterion_table

    ct = criterion_table(sel.criteria)
    return dict(zip(ct["criterion_id"], ct["criterion_zh"], strict=True))


def _marked(values: pd.Series, synthetic: bool) -> pd.Series:
    """Each value as text (object dtype, also when empty), with the synthetic mark beside it on
    synthetic data (``中洲村（模拟）``)."""
    return pd.Series([synthetic_suffix(str(v)) if synthetic and str(v) else str(v) for v in values],
                     index=values.index, dtype=object)


def _county_names(sel) -> dict[str, str]:
    """County code → county name, from the applicants (and the shortlist) of a selection."""
    names: dict[str, str] = {}
    for frame in (sel.applicants, sel.shortlist):
        if frame is not None and {"county_code", "county_name"} <= set(frame.columns):
            for code, name in zip(frame["county_code"], frame["county_name"], strict=True):
                if isinstance(name, str) and name:
                    names.setdefault(str(code), name)
    return names


def _village_names(frame: pd.DataFrame, synthetic: bool) -> pd.Series:
    """The villages of a selection frame by name (by code when unnamed), marked on synthetic data."""
    names = frame["village_name"] if "village_name" in frame.columns else frame["village_code"]
    return _marked(names, synthetic)


@report_section
def section_selection_eligibility(sel) -> Section:
    """Eligibility: how many applicants pass every rule, and each failure with its rule (on
    synthetic data the village and the failed rule carry the synthetic mark)."""
    apps, fails = sel.applicants, sel.failures
    n_ok = int(apps["eligible"].sum())
    record = nv.make_record("selection_eligibility", provenance="synthetic" if sel.synthetic else "data",
                            value=n_ok, detail={"year": sel.year, "n_apps": len(apps), "n_ok": n_ok,
                                                "n_failed": len(apps) - n_ok})
    table = pd.DataFrame({
        HEADERS["village"]: _village_names(fails, sel.synthetic),
        HEADERS["rule"]: _marked(fails["name_zh"], sel.synthetic),
    })
    parts = [_md(record.text)] + ([_styler(table, title=_t("table.selection_failures"))] if not table.empty else [])
    return Section(parts=tuple(parts), tables={"failures": table}, data={"n_eligible": n_ok, "records": [record]})


@report_section
def section_selection_scores(sel) -> Section:
    """Scores: each applicant's criterion scores (0–100), total and rank, with the route by
    which it is shortlisted."""
    labels = _crit_labels(sel)
    s = sel.shortlist
    table = pd.DataFrame({HEADERS["rank"]: s["rank"].astype(int), HEADERS["village"]: _village_names(s, sel.synthetic),
                          HEADERS["county"]: s.get("county_name", s["county_code"])})
    for cid, lab in labels.items():
        table[lab] = s[cid].map(lambda x: nv.format_number(x, 1))
    table[HEADERS["total"]] = s["total"].map(lambda x: nv.format_number(x, 1))
    table[HEADERS["route"]] = s["route"].map(ROUTE_ZH)
    return Section(parts=(_styler(table),), tables={"scores": table}, data={"shortlist": s})


@report_section
def section_selection_shortlist(sel) -> Section:
    """The shortlist with its robustness labels and the selection-probability chart."""
    from hemei_tools.present.plots import plot_selection_probability

    t = sel.table()
    names = _county_names(sel)
    quota = _t("punct.list_sep").join(_tf("selection.quota_item",
                                          county=names.get(str(q.county_code), str(q.county_code)),
                                          quota=q.quota) for q in sel.quotas.itertuples())
    n_robust = int((t["label"] == "robust").sum())
    record = nv.make_record("selection_shortlist", provenance="synthetic" if sel.synthetic else "data",
                            value=int(sel.total), detail={"quota": quota, "total": int(sel.total),
                                                          "n_robust": n_robust})
    table = pd.DataFrame({
        HEADERS["rank"]: t["rank"].astype(int),
        HEADERS["village"]: _village_names(t, sel.synthetic),
        HEADERS["total"]: t["total"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["selected"]: np.where(t["selected"], _t("word.yes"), _t("word.no")),
        HEADERS["p_selected"]: t["p_selected"].map(lambda x: _pct(100 * x, 0)),
        HEADERS["rank_interval"]: [_interval(lo, hi) for lo, hi in zip(t["rank_p05"], t["rank_p95"], strict=True)],
        HEADERS["label"]: t["label"].map(LABEL_ZH),
    })
    colours = {HEADERS["label"]: {LABEL_ZH[k]: c for k, c in ROBUSTNESS_COLOURS.items()}}
    fig = _figure(plot_selection_probability(sel.robustness))
    return Section(parts=(_md(record.text), _styler(table, colours), fig), tables={"shortlist": table},
                   data={"table": t, "records": [record]})


@report_section
def section_selection_profile(sel) -> Section:
    """Criteria profile: each applicant's weighted criterion scores as stacked bars."""
    from hemei_tools.engine.selection import criterion_table
    from hemei_tools.present.plots import plot_criteria_profile

    fig = _figure(plot_criteria_profile(sel.shortlist, criterion_table(sel.criteria)))
    return Section(parts=(fig,))


@report_section
def section_selection_flips(sel) -> Section:
    """Weight sensitivity: for each marginal applicant, the smallest single change of one
    criterion's weight share that flips it in or out of the shortlist."""
    from hemei_tools.present.plots import plot_weight_sweep

    f = sel.flips
    fig = _figure(plot_weight_sweep(sel.sweep, criteria=sel.criteria, shortlist=sel.shortlist))
    if f.empty:
        record = nv.make_record("selection_no_marginal", value=0)
        return Section(parts=(_md(record.text), fig), data={"flips": f, "records": [record]})
    names = sel.shortlist.set_index("village_code").get("village_name")
    table = pd.DataFrame({
        HEADERS["village"]: _marked(f["village_code"].map(names) if names is not None else f["village_code"],
                                    sel.synthetic),
        HEADERS["selected"]: np.where(f["nominal_selected"], _t("word.yes"), _t("word.no")),
        HEADERS["criterion"]: f["criterion_zh"].fillna("—"),
        HEADERS["flip"]: [(_t("selection.no_flip") if pd.isna(a) else
                           _tf("selection.flip_range",
                               share_from=_pct(100 * a),
                               share_to=_pct(100 * b)))
                          for a, b in zip(f["share_from"], f["share_to"], strict=True)],
    })
    return Section(parts=(_styler(table), fig), tables={"flips": table}, data={"flips": f})


@report_section
def section_selection_decision(sel) -> Section:
    """Comparison with the decision in the data (the applicants' ``selected``): agreements and
    the criteria behind each disagreement.

    Starts with its own heading: ``与实际决定的比较`` on real data, ``与示例决定（模拟）的比较``
    on synthetic data, where the ``selected`` column is part of the synthetic data set and every
    word about it (sentence, column, disagreement kind, explanation) says 示例…（模拟）.
    """
    synthetic = bool(sel.synthetic)
    heading = _md(f"## {_t('section.selection_decision_synthetic' if synthetic else 'section.selection_decision')}")
    c = sel.comparison
    if c is None:
        record = nv.make_record("selection_no_decision")
        return Section(parts=(heading, _md(record.text)), data={"records": [record]})
    s = c.summary.iloc[0]
    record = nv.make_record("selection_decision", provenance="synthetic" if synthetic else "data",
                            value=int(s["agree"]),
                            detail={"n_applicants": int(s["n_applicants"]), "agree": int(s["agree"]),
                                    "agreement_rate": float(s["agreement_rate"]),
                                    "decision_only": int(s["decision_only"]), "model_only": int(s["model_only"])})
    d = c.disagreements
    suffix = "_synthetic" if synthetic else ""
    kind = {"decision_only": _t(f"selection.decision_only{suffix}"), "model_only": _t(f"selection.model_only{suffix}")}
    table = pd.DataFrame({
        HEADERS["village"]: _village_names(d, synthetic),
        HEADERS["decision_synthetic" if synthetic else "decision"]: d["kind"].map(kind),
        HEADERS["rank"]: d["rank"], HEADERS["total"]: d["total"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["explained_by"]: _marked(d["explained_by"], synthetic),
    })
    parts = [heading, _md(record.text)]
    if not table.empty:
        parts.append(_styler(table, title=_t("table.selection_disagreements")))
    return Section(parts=tuple(parts), tables={"disagreements": table},
                   data={"summary": c.summary, "records": [record]})


SELECTION_SECTIONS = (
    (_t("section.selection_eligibility"), section_selection_eligibility),
    (_t("section.selection_scores"), section_selection_scores),
    (_t("section.selection_shortlist"), section_selection_shortlist),
    (_t("section.selection_profile"), section_selection_profile),
    (_t("section.selection_flips"), section_selection_flips),
    (None, section_selection_decision),
)
"""The village-selection report's sections in order: (heading, function); ``None``: the section
shows its own heading (与实际决定 or 与示例决定（模拟） on synthetic data)."""
