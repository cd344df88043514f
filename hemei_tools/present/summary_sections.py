"""The answer first: the 结论摘要 section, and the townships and lagging villages of a county.

:func:`section_summary` opens every county, city and province report, right under the title:
where the unit stands (和美指数, rank in the city and, at province scale, in the province, change
since the first year of the data), how far it is from Zhejiang (浙江对标指数), the priority
tasks with their quantities ("还差约157个村"), the child units scoring below the unit's own index
(the lowest ``min(3, ⌊n/2⌋)`` of them) with their weakest villages, the plan's progress in
words, and 3–5 建议 naming task, indicator, places and evidence;
beside it a small chart of the index and its dimensions over all years. Every sentence is
rendered from a :class:`~hemei_tools.present.narrative.Record` (``data["records"]``) built from
the frames of :mod:`hemei_tools.engine.summary`, which ``data`` keeps too, so tests check each
record against the table it summarises.

:func:`section_townships` shows a county's townships (score, rank, weakest task, weakest
village) and its 后进村 (the bottom ``min(10, ⌈n/5⌉)`` villages with their three weakest
indicators, ties broken by how far the village is below its county,
:func:`~hemei_tools.engine.summary.weak_order`); every village is in ``tables["villages"]``.
Its words adapt to a unit with a
single township.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine import summary as sm
from hemei_tools.engine.region import RegionAnalysis, zhejiang_frame
from hemei_tools.present import narrative as nv
from hemei_tools.present.section_parts import (
    HEADERS,
    Section,
    _figure,
    _labels,
    _md,
    _styler,
    is_synthetic,
    report_section,
)

__all__ = ["history_frame", "index_standing", "section_summary", "section_townships", "summary_records", "village_download",
           "weak_indicator_text"]


# ---------------------------------------------------------------------------------- records
def summary_records(a: RegionAnalysis, history: pd.DataFrame | None = None,
                    province: pd.DataFrame | None = None) -> dict:
    """The summary's records and the frames they come from.

    Returns
    -------
    dict
        ``records`` (in display order: ``summary_standing``, ``summary_zhejiang``, one
        ``summary_priority`` per task, ``summary_lagging`` (when the unit has child units: those
        below its index, or that none is),
        ``summary_plan``, one ``summary_recommendation`` each), and the frames ``history``,
        ``standing``, ``zhejiang``, ``priorities``, ``children``, ``lagging``, ``plan``,
        ``recommendations``.
    """
    cat = a.catalogue
    provenance = "synthetic" if is_synthetic(a) else "data"
    history = sm.index_history(a) if history is None else history
    standing = sm.standing(a, history, province)
    records = [nv.make_record("summary_standing", cat, unit=a.unit_name, indicator=cat.index_code,
                              value=standing["score"], provenance=provenance,
                              detail={**standing, "year": a.year, "level": a.level,
                                      "reference_name": a.city_name if a.level == "county" else ""})]
    z = zhejiang_frame(a) if not a.zhejiang.empty else pd.DataFrame()
    zrow = nv.zhejiang_index_record(z, a.unit_name, a.city_name, cat, a.year) if not z.empty else {}
    records.append(nv.make_record("summary_zhejiang", cat, unit=a.unit_name, value=zrow.get("score"),
                                  provenance=provenance, detail=zrow))
    prio = sm.priorities(a)
    for r in prio.to_dict("records"):
        if not r["indicator_id"]:
            continue
        records.append(nv.make_record(
            "summary_priority", cat, unit=a.unit_name, task=r["task_id"], dimension=r["dimension_id"],
            indicator=r["indicator_id"], value=r["value"], benchmark=r["benchmark"], provenance=provenance,
            source=nv.source_phrase(r["benchmark_region"], r["benchmark_year"], r["benchmark_kind"],
                                    **nv.row_marks(r, cat)),
            detail={k: r[k] for k in ("rank", "distance", "binary", "n_total", "n_without", "n_needed", "abs_gap",
                                      "benchmark_region", "benchmark_year", "benchmark_kind")}))
    children = sm.child_table(a)
    lagging = sm.lagging_units(a, children)
    sub = "county" if a.level == "province" else "village"
    if len(children):
        own = sm.unit_score(a)
        detail = {"level": a.child_level, "sub_level": sub, "n_children": len(children), "unit_score": own,
                  "n_below": int((children["score"] < own).sum()),
                  "parts": [{"code": r.unit_code, "name": r.unit_name, "score": float(r.score), "rank": int(r.rank),
                             "weakest": list(r.weakest)} for r in lagging.itertuples()],
                  "weakest": sm.weakest_sub_units(a) if len(children) < 2 else []}
        records.append(nv.make_record("summary_lagging", cat, unit=a.unit_name, provenance=provenance,
                                      detail=detail))
    plan = sm.plan_items(a)
    if plan:
        as_of = plan[0]["as_of"]
        records.append(nv.make_record("summary_plan", cat, unit=a.unit_name,
                                      detail={"items": plan, "as_of": as_of, "show_part": a.level == "county"}))
    else:
        records.append(nv.make_record("summary_plan", cat, unit=a.unit_name, detail={"items": []}))
    recs = sm.recommendations(a, prio, lagging)
    for r in recs:
        detail = {k: v for k, v in r.items() if k not in ("task_id", "indicator_id", "value", "benchmark")}
        detail["year"] = a.year
        records.append(nv.make_record("summary_recommendation", cat, unit=a.unit_name, task=r.get("task_id", ""),
                                      indicator=r.get("indicator_id", ""), value=r.get("value"),
                                      benchmark=r.get("benchmark"), provenance=provenance, detail=detail))
    return {"records": records, "history": history, "standing": standing, "zhejiang": z, "priorities": prio,
            "children": children, "lagging": lagging, "plan": plan, "recommendations": recs}


def index_standing(a: RegionAnalysis, out: dict) -> dict:
    """Where the unit stands, as the batch index shows it (``summary["standing"]``, published by
    :func:`section_summary`).

    Returns
    -------
    dict
        ``level``; ``score`` (和美指数), ``zj_score`` (浙江对标指数 or ``None``); ``rank`` and
        ``n_units`` among its peers (``None`` rank without peers); ``province_rank`` and
        ``province_n`` (``None`` when the data hold one city only); ``change`` = score − score in
        ``first_year`` (``None`` with one year); ``red_lights`` = tasks of the unit with a red
        light in the report year, of ``n_tasks`` lit; ``parent_code`` (six-digit division code,
        as the batch's regions write it: ``340700``, ``340000``) and ``parent_name``: a county's
        city, a city's province, ``""`` for the province.
    """
    from hemei_tools.inputs.divisions import division_names

    st = out["standing"]
    s = a.status
    tasks = s[(s["level"] == a.level) & (s["unit_code"].astype(str) == str(a.unit_code)) & (s["year"] == a.year)
              & (s["node_level"] == "task")]
    if a.level == "county":
        parent = (str(a.city_code).ljust(6, "0"), str(a.city_name))
    elif a.level == "city":
        code = str(a.unit_code)[:2]
        parent = (code.ljust(6, "0"), division_names().get(code, ""))
    else:
        parent = ("", "")
    z = next((r.detail for r in out["records"] if r.kind == "summary_zhejiang"), None) or {}

    def num(x):
        return None if x is None or pd.isna(x) else round(float(x), 3)

    return {"level": a.level, "score": num(st["score"]), "zj_score": num(z.get("score")),
            "rank": st["rank"], "n_units": st["n_units"], "province_rank": st["province_rank"],
            "province_n": st["province_n"], "change": num(st["change"]), "first_year": st["first_year"],
            "red_lights": int((tasks["status"] == "red").sum()), "n_tasks": int(tasks["status"].notna().sum()),
            "parent_code": parent[0], "parent_name": parent[1]}


def history_frame(a: RegionAnalysis, history: pd.DataFrame) -> pd.DataFrame:
    """:func:`~hemei_tools.engine.summary.index_history` with the series' names (``label``:
    和美指数 and the dimension names), as :func:`~hemei_tools.present.plots.plot_index_history`
    draws it."""
    lab = _labels(a.catalogue)
    names = {n: (_t("headline.index") if n == a.catalogue.index_code else lab.name(n))
             for n in pd.unique(history["node"])}
    return history.assign(label=history["node"].map(names))


def _markdown(records: list) -> str:
    """The summary as Markdown: bullets (standing, Zhejiang, the priority tasks as a numbered
    sub-list, the lagging units, the plan), then 建议 as a numbered list."""
    by = {}
    for r in records:
        by.setdefault(r.kind, []).append(r)
    lines = [f"- {r.text}" for k in ("summary_standing", "summary_zhejiang") for r in by.get(k, [])]
    prio = by.get("summary_priority", [])
    if prio:
        lines.append(f"- {_tf('summary.priorities_heading', n=len(prio))}")
        lines += [f"    {r.text}" for r in prio]
    else:
        lines.append(f"- {_t('summary.priorities_none')}")
    lines += [f"- {r.text}" for k in ("summary_lagging", "summary_plan") for r in by.get(k, [])]
    recs = by.get("summary_recommendation", [])
    lines += ["", f"**{_t('summary.recommendations_heading')}**", ""]
    lines += [r.text for r in recs] if recs else [_t("summary.recommendations_none")]
    return "\n".join(lines)


@report_section
def section_summary(a: RegionAnalysis) -> Section:
    """结论摘要: the answer first (module docstring), with the index and dimensions over the years.

    ``data`` holds ``records`` (every sentence's record), the frames of :func:`summary_records`
    and ``history_table``, the scores by year (the chart's data, whose download is the chart's;
    with one year, no chart, it is ``tables["history"]``); ``tables["priorities"]`` the
    priority tasks with their quantities.
    """
    from hemei_tools.present.plots import plot_index_history

    cat = a.catalogue
    lab = _labels(cat)
    out = summary_records(a)
    history = history_frame(a, out["history"])
    years = sorted(history["year"].unique())
    parts = [_md(_markdown(out["records"]))]
    if len(years) > 1:
        parts.append(_figure(plot_index_history(history)))
    else:
        parts.append(_md(_tf("summary.one_year_chart", year=a.year)))
    wide = history.pivot_table(index="year", columns="label", values="score", aggfunc="first", sort=False)
    order = [n for n in pd.unique(history["label"]) if n in wide.columns]
    table = wide[order].round(1).reset_index().rename(columns={"year": HEADERS["year"]})
    p = out["priorities"]
    prio = pd.DataFrame({
        HEADERS["task"]: [lab.name(t) for t in p["task_id"]],
        HEADERS["distance"]: [nv.format_number(x, 1) for x in p["distance"]],
        HEADERS["indicator"]: [lab.name(i) if i else "" for i in p["indicator_id"]],
        HEADERS["value"]: [nv.format_value(v, lab.units.get(i, ""), lab.decimals.get(i, 1)) if i else "—"
                           for i, v in zip(p["indicator_id"], p["value"], strict=True)],
        _t("header.villages_without"): ["—" if x is None or pd.isna(x) else str(int(x)) for x in p["n_without"]],
    })
    # with the chart drawn, its own download holds the scores by year: the table is not offered twice
    tables = {"priorities": prio} if len(years) > 1 else {"history": table, "priorities": prio}
    return Section(parts=tuple(parts), tables=tables, data={**out, "history_table": table},
                   summary={"standing": index_standing(a, out)})


# ---------------------------------------------------------------------------------- townships
def _binary_ids(catalogue) -> frozenset:
    ind = catalogue.indicators
    return frozenset(ind.loc[ind["value_type"] == "binary", "indicator_id"].astype(str))


def weak_indicator_text(indicator_id, value, catalogue, binary: frozenset | None = None) -> str:
    """One weak indicator of a village as the 后进村 table shows it: a yes/no item the village
    lacks reads ``标准化卫生室（无）``, any other indicator with its value ``主导产业产值（120万元）``.
    ``binary``: the ids of the yes/no indicators (looked up when not given)."""
    if indicator_id is None or (not isinstance(indicator_id, str) and pd.isna(indicator_id)):
        return ""
    name, unit, dec = nv.indicator_format(catalogue, indicator_id)
    binary = _binary_ids(catalogue) if binary is None else binary
    if indicator_id in binary and not pd.isna(value) and float(value) == 0:
        return _tf("format.binary_no", name=name)
    return _tf("format.value_in_brackets", name=name, value=nv.format_value(value, unit, dec))


def _village_frame(a: RegionAnalysis, v: pd.DataFrame) -> pd.DataFrame:
    """Display frame of village rows of :func:`~hemei_tools.engine.summary.village_table`."""
    cat = a.catalogue
    lab = _labels(cat)
    binary = _binary_ids(cat)
    sep = _t("punct.list_sep")
    weak = []
    for r in v.to_dict("records"):
        text = sep.join(t for t in (weak_indicator_text(r[f"weak_{j}"], r[f"weak_{j}_value"], cat, binary)
                                    for j in range(1, sm.WEAK_INDICATORS + 1)) if t)
        n_zero = int(r.get("n_zero") or 0)
        weak.append(_tf("township.more_zero", text=text, n=n_zero) if n_zero > sm.WEAK_INDICATORS else text)
    out = pd.DataFrame({
        HEADERS["rank"]: [f"{int(r)}/{int(n)}" for r, n in zip(v["rank"], v["n_villages"], strict=True)],
        HEADERS["village"]: v["village_name"].to_numpy(),
        HEADERS["township"]: v["township_name"].fillna("").to_numpy(),
        HEADERS["score"]: [nv.format_number(x, 1) for x in v["score"]],
    })
    for d in cat.dimensions["code"]:
        if d in v.columns:
            out[lab.name(d)] = [nv.format_number(x, 1) for x in v[d]]
    out[_t("header.weak_indicators")] = weak
    return out


@report_section
def section_townships(a: RegionAnalysis) -> Section:
    """The region's child units (a county's townships) by 和美指数 — rank among them, weakest task
    and weakest village — and the 后进村: the bottom ``min(10, ⌈n/5⌉)`` villages with their three
    weakest indicators. ``tables["villages"]`` holds every village (rank, scores, dimensions,
    weakest indicators) for download; ``data`` the engine frames (``children``, ``villages``,
    ``lagging``).

    With a single township the sentence says so and the table has no rank.
    """
    cat = a.catalogue
    lab = _labels(cat)
    word = _t(f"summary.level.{a.child_level}")
    c = sm.child_table(a)
    villages = sm.village_table(a)
    lagging = sm.lagging_villages(a, villages)
    table = pd.DataFrame({
        word: c["unit_name"].to_numpy(),
        _t("header.n_villages"): c["n_villages"].astype(int).to_numpy(),
        HEADERS["score"]: [nv.format_number(x, 1) for x in c["score"]],
        HEADERS["rank"]: [f"{int(r)}/{int(n)}" for r, n in zip(c["rank"], c["n_units"], strict=True)],
        _t("header.worst_task"): [_tf("format.score_in_brackets", name=lab.name(t), score=nv.format_number(s, 1))
                                  if isinstance(t, str) else "—" for t, s in zip(c["worst_task"],
                                                                                  c["worst_task_score"], strict=True)],
        _t("header.weakest_village"): [_tf("format.score_in_brackets", name=n, score=nv.format_number(s, 1))
                                       if isinstance(n, str) else "—" for n, s in zip(c["weakest_name"],
                                                                                       c["weakest_score"], strict=True)],
    })
    parts = []
    if len(c) == 1:
        r = c.iloc[0]
        parts.append(_md(_tf("township.single", unit=a.unit_name, word=word, name=r["unit_name"],
                             score=nv.format_number(r["score"], 1))))
        table = table.drop(columns=[HEADERS["rank"]])
    elif len(c):
        best, worst = c.iloc[0], c.iloc[-1]
        parts.append(_md(_tf("township.sentence", unit=a.unit_name, n=len(c), word=word, best=best["unit_name"],
                             best_score=nv.format_number(best["score"], 1), worst=worst["unit_name"],
                             worst_score=nv.format_number(worst["score"], 1))))
    parts.append(_styler(table, title=_tf("township.table_townships", word=word)))
    lag_table = _village_frame(a, lagging)[[HEADERS["rank"], HEADERS["village"], HEADERS["township"],
                                             HEADERS["score"], _t("header.weak_indicators")]]
    parts += [_md(_tf("township.lagging", n=len(lagging), n_villages=len(villages))),
              _styler(lag_table, title=_t("township.table_lagging"))]
    shown = _village_frame(a, villages)
    return Section(parts=tuple(parts),
                   tables={"townships": table, "lagging": lag_table, "villages": shown},
                   downloads={"villages": village_download(a, villages, shown)},
                   data={"children": c, "villages": villages, "lagging": lagging})


def village_download(a: RegionAnalysis, villages: pd.DataFrame, shown: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 全部村庄 download: every village of :func:`~hemei_tools.engine.summary.village_table`
    with its rank as a number beside the number of villages ranked, its code, township, 和美指数,
    dimensions and weakest indicators, then the value of every scored indicator in the report
    year (header ``name（unit）``; empty where the village has no value). ``shown``: the
    villages' display table (``_village_frame``), when the caller has it already."""
    cat = a.catalogue
    # a download stands alone: its score column says which score it is
    shown = (_village_frame(a, villages) if shown is None else shown).drop(columns=[HEADERS["rank"]]).rename(
        columns={HEADERS["score"]: _t("headline.index")})
    out = pd.DataFrame({HEADERS["rank"]: villages["rank"].astype(int).to_numpy(),
                        _t("header.n_total"): villages["n_villages"].astype(int).to_numpy(),
                        _t("header.village_code"): villages["village_code"].astype(str).to_numpy()})
    out = pd.concat([out, shown.reset_index(drop=True)], axis=1)
    v = a.values
    v = v[(v["level"] == "village") & (v["year"] == a.year)
          & v["unit_code"].astype(str).isin(villages["village_code"].astype(str))]
    wide = v.pivot_table(index="unit_code", columns="indicator_id", values="value", aggfunc="first", observed=True)
    wide.index = wide.index.astype(str)
    wide.columns = wide.columns.astype(str)
    for i in cat.scored_ids:
        name, unit, _ = nv.indicator_format(cat, i)
        values = wide[i].reindex(villages["village_code"].astype(str)) if i in wide.columns else np.nan
        out[_tf("figure.col.with_unit", name=name, unit=unit) if unit else name] = np.asarray(values, dtype=float)
    return out
