"""Report sections: one call per notebook section, each returning one displayable object.

A notebook builds the analysis once, then shows each section in a one-line cell::

    a = analyse_region(ctx)          # every engine step, once
    section_headline(a)
    section_gap_table(a)

:func:`~hemei_tools.engine.region.analyse_region` runs the engine for the region of a
:class:`~hemei_tools.engine.region.RegionContext` (a county, a city or the province) and keeps
every result in a frozen :class:`RegionAnalysis`: unit values, the :class:`~hemei_tools.engine.composite.IndexResult`,
gaps and traffic lights, trends, Monte Carlo ranks of the villages, imbalance, plan progress
and the project ledger. The ``section_*`` functions only select, format and draw; they do no
recomputation. :func:`analyse_selection` does the same for a 精品示范村 application round
(:func:`hemei_tools.engine.selection.run_selection`).

Each section returns a :class:`Section`: Markdown sentences (:mod:`hemei_tools.present.narrative`),
compact tables (pandas Stylers with Chinese headers, numbers rounded with the catalogue's
decimals, no index column) and matplotlib Figures drawn by :mod:`hemei_tools.present.plots`. Figures
are closed when built, so Jupyter's inline backend shows each one exactly once, when the
section is displayed. The underlying frames (``Section.tables``) and raw numbers
(``Section.data``) stay available for tests and further use.
"""

from __future__ import annotations

import re
import weakref

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hemei_tools.catalogue import GOALPOST_BASES
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.gaps import BELOW_AVERAGE
from hemei_tools.engine.goalposts import benchmark_flags
from hemei_tools.engine.region import (
    COMPARISON_BASES,
    RegionAnalysis,
    _child_codes,
    _scores,
    comparison_frame,
    coverage_frame,
    gap_frame,
    headline_numbers,
    zhejiang_frame,
)
from hemei_tools.errors import SectionError
from hemei_tools.present import narrative as nv
from hemei_tools.present.league_sections import section_league
from hemei_tools.present.method_words import method_word, spec_frame
from hemei_tools.present.published_sections import section_catchup, section_published_facts
from hemei_tools.present.section_parts import (
    AGGREGATION_ZH,
    FIGURE_DPI,
    HEADERS,
    LABEL_ZH,
    LEVEL_WORD,
    LORENZ_OVERLAY_MAX,
    PROVENANCE_ZH,
    ROUTE_ZH,
    SOURCE_KIND_ZH,
    TABLE_ENDS,
    Section,
    _ends,
    _figure,
    _interval,
    _labels,
    _md,
    _pct,
    _status_colours,
    _styler,
    is_synthetic,
    light_rules_text,
    report_section,
)
from hemei_tools.present.selection_sections import (
    SELECTION_SECTIONS,
    section_selection_decision,
    section_selection_eligibility,
    section_selection_flips,
    section_selection_profile,
    section_selection_scores,
    section_selection_shortlist,
)
from hemei_tools.present.style import PLAN_STATUS_COLOURS
from hemei_tools.present.summary_sections import section_summary, section_townships

# ---------------------------------------------------------------------------------- helpers


def _region_name(code: str, a: RegionAnalysis) -> str:
    """Name of a plan region: the unit, its city, a unit rolled up, a county of the data, else
    the code (the province: 全省)."""
    if code == a.unit_code:
        return a.unit_name
    if code == a.city_code:
        return a.city_name
    from hemei_tools.inputs.divisions import division_names

    return (_unit_names(a).get(code) or division_names().get(code)
            or (_t("region_name.province") if len(code) == 2 else code))


_UNIT_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _unit_names(a: RegionAnalysis) -> dict[str, str]:
    """Names of the rolled-up units (county, city, province) of the analysis, then of every county
    of the data set; built once per analysis."""
    names = _UNIT_NAMES.get(a)
    if names is None:
        v = a.values[a.values["level"].isin(["county", "city", "province"])].drop_duplicates("unit_code")
        names = dict(zip(v["unit_code"].astype(str), v["unit_name"].astype(str), strict=True))
        counties = a.ctx.dataset.villages[["county_code", "county_name"]].drop_duplicates("county_code")
        for c, n in zip(counties["county_code"].astype(str), counties["county_name"], strict=True):
            names.setdefault(c, n)
        _UNIT_NAMES[a] = names
    return names


# ---------------------------------------------------------------------------------- sections


@report_section
def section_headline(a: RegionAnalysis) -> Section:
    """Headline figures: 和美指数 and rank, strongest and weakest dimension, traffic lights,
    village counts and investment.

    Each sentence is rendered from a record (:class:`~hemei_tools.present.narrative.Record`,
    ``data["records"]``: ``index``, ``dimensions``, ``lights``). On synthetic data the table has
    a provenance column: 公开数据 for a published total (:func:`~hemei_tools.engine.region.headline_figures`),
    模拟 for a figure computed from the synthetic per-village data (the index among them)."""
    cat = a.catalogue
    h = headline_numbers(a)
    synthetic = is_synthetic(a)
    computed = "synthetic" if synthetic else "data"
    if a.level == "county":
        where = {"rank": h["index_rank"], "n_units": h["n_peers"], "reference_name": a.city_name,
                 "reference_value": h["city_score"]}
    else:
        where = {"rank": None, "n_units": 1, "reference_name": "", "reference_value": None}
    records = [nv.make_record("index", cat, unit=a.unit_name, indicator=cat.index_code, value=h["index_score"],
                              provenance=computed, detail=where)]
    dims = {k: v for k, v in h["dimension_scores"].items() if not pd.isna(v)}
    if dims:
        best = max(dims.items(), key=lambda kv: kv[1])
        worst = min(dims.items(), key=lambda kv: kv[1])
        records.append(nv.make_record("dimensions", cat, unit=a.unit_name, dimension=worst[0], value=worst[1],
                                      provenance=computed, detail={"best": best[0], "best_score": best[1],
                                                                   "worst": worst[0], "worst_score": worst[1]}))
    records.append(nv.make_record("lights", cat, unit=a.unit_name, value=h["n_scored"], provenance=computed,
                                  detail={"n_scored": h["n_scored"], **h["status_counts"],
                                          "below_average": h["n_reached_below_average"]}))
    table = pd.DataFrame({
        HEADERS["indicator"]: [_t("headline.index")] + [f["label"] for f in h["figures"]],
        HEADERS["value"]: [nv.format_number(h["index_score"], 1)]
        + ["—" if f["value"] is None else nv.format_number(f["value"], 2 if isinstance(f["value"], float) else 0)
           for f in h["figures"]],
        HEADERS["unit"]: [_t("unit.points")] + [f["unit"] for f in h["figures"]],
    })
    if synthetic:
        table[HEADERS["provenance"]] = [PROVENANCE_ZH[computed]] + [PROVENANCE_ZH[f["provenance"]]
                                                                   for f in h["figures"]]
    return Section(parts=(_md("\n\n".join(r.text for r in records)), _styler(table)), tables={"headline": table},
                   data={**h, "records": records})


@report_section
def section_plan_progress(a: RegionAnalysis) -> Section:
    """Plan progress: the 5511 and Anhui targets with their units declared, under construction
    and accepted (申报 / 在建 / 已验收), judged on the accepted ones against the schedule
    (chart, table and one sentence per target, rendered from a ``plan`` record, with the parts'
    counts), then every programme unit by status (incl. 美丽宜居自然村庄, which no plan targets)
    and the county honours.

    ``data`` holds the frames (``plan``, ``programmes``, ``designations``) and the records
    (``records``: one per target; ``designation_records``) the sentences are rendered from.
    """
    from hemei_tools.present.plots import plot_plan_progress

    p = a.plan
    if p.empty:
        return Section(parts=(_md(_t("sentence.plan_no_targets")),))
    if "target_region" not in p.columns:
        p = p.assign(target_region="")
    names = p["region_code"].astype(str).map(lambda c: _region_name(c, a))
    # A province target seen from part of the province counts what the data cover: one city
    # (本市), or for a province report on a subset of its cities, those cities (所含各市).
    scope = _t("plan.scope_cities") if a.level == "province" else _t("plan.scope_city")
    names = names.where(p["status"] != "partial", _tf("plan.province_partial", scope=scope))
    part = (p["target_region"].astype(str) != "").to_numpy()
    p = p.assign(region_name=names.to_numpy())
    shown = p["region_name"].where(~part, [_tf("plan.part", where=n, target=_region_name(t, a))
                                           for n, t in zip(p["region_name"], p["target_region"].astype(str),
                                                           strict=True)])
    judged = p[p["status"].isin(["ahead", "on schedule", "behind"])]
    fig = (_figure(plot_plan_progress(judged.assign(expected=judged["expected_whole"]), a.year, a.catalogue))
           if not judged.empty else _md(""))
    count = lambda col: p[col].map(lambda x: nv.format_number(x, 0))  # noqa: E731
    table = pd.DataFrame({
        HEADERS["region"]: shown,
        HEADERS["programme"]: p["programme_zh"],
        HEADERS["item"]: p["item_zh"],
        HEADERS["period"]: [f"{b}–{e}" if b != e else str(e) for b, e in zip(p["start_year"], p["target_year"],
                                                                              strict=True)],
        HEADERS["target"]: p["target_new"].map(lambda x: nv.format_number(x, 0)),
        HEADERS["expected"]: p["expected_whole"].where(p["status"].isin(["ahead", "on schedule", "behind", "not due"])
                                                       ).map(lambda x: nv.format_number(x, 0)),
        _t("header.declared"): count("declared"),
        _t("header.under_construction"): count("under_construction"),
        _t("header.accepted"): count("accepted"),
        _t("header.pct_accepted"): p["pct_of_target"].where(p["status"] != "not started").map(_pct),
        HEADERS["plan_status"]: [nv.plan_status_word(r).replace(_t("plan.scope_city"), scope)
                                 for r in p.to_dict("records")],
    })
    colours = {HEADERS["plan_status"]: {nv.PLAN_STATUS_ZH[k]: c for k, c in PLAN_STATUS_COLOURS.items()}}
    rows = p.to_dict("records")
    records = [nv.plan_record(r, r["region_name"], [q for q in rows if q["target_region"] == r["region_code"]
                                                    and q["programme"] == r["programme"] and q["item"] == r["item"]],
                              a.catalogue)
               for r in rows if not r["target_region"]]
    sentences = [f"- {rec.text.replace(_t('plan.scope_city'), scope)}" for rec in records]
    parts = [fig, _styler(table, colours), _md("\n".join(sentences))]
    programmes, units_table = _programme_table(a)
    if units_table is not None:
        parts += [_md(_tf("sentence.programmes", as_of=nv.as_of_phrase(_plan_as_of(a)))), _styler(units_table)]
    designation_records = _designation_records(a)
    parts += [_md(rec.text) for rec in designation_records]
    return Section(parts=tuple(parts), tables={"plan": table, **({"programmes": units_table}
                                                               if units_table is not None else {})},
                   data={"plan": p, "records": records, "programmes": programmes,
                         "designations": a.designations, "designation_records": designation_records})


def _plan_as_of(a: RegionAnalysis) -> pd.Timestamp:
    """The date the plan counts describe: the end of the report year, or the data set's as-of
    date when earlier."""
    end = pd.Timestamp(f"{a.year}-12-31")
    return end if a.as_of is None or pd.isna(a.as_of) else min(end, pd.Timestamp(a.as_of))


def _programme_table(a: RegionAnalysis):
    """Every programme unit of the region and its children by item and status (``(frame,
    table)``; the table is ``None`` when there is nothing to show)."""
    from hemei_tools.engine.progress import ITEM_SOURCES

    f = a.programmes
    if f is None or f.empty:
        return f, None
    items = {i: _t(f"plan.item.{i}") for i in ITEM_SOURCES}
    count = lambda col: f[col].map(lambda x: nv.format_number(x, 0))  # noqa: E731
    table = pd.DataFrame({
        HEADERS["region"]: f["region_code"].astype(str).map(lambda c: _region_name(c, a)),
        _t("header.programme_unit"): f["item"].map(lambda i: items[i]),
        _t("header.declared"): count("declared"),
        _t("header.under_construction"): count("under_construction"),
        _t("header.accepted"): count("accepted"),
        _t("header.designated"): count("designated"),
    })
    return f, table


def _designation_records(a: RegionAnalysis) -> list:
    """One ``designations`` record: the honours (designations that are not a plan item) the
    region's counties were awarded (status 已验收), with their years."""
    from hemei_tools.engine.progress import DESIGNATION_ITEMS

    d = a.designations
    if d is None or d.empty:
        return []
    accepted = _t("vocab.build_status.accepted")
    d = d[(d["status"] == accepted) & ~d["designation"].isin(list(DESIGNATION_ITEMS.values()))]
    parts = [{"county": _region_name(str(c), a), "county_code": str(c), "designation": str(g),
              "years": sorted(int(y) for y in rows["year"])}
             for (c, g), rows in d.groupby(["county_code", "designation"], sort=True)]
    if not parts:
        return []
    return [nv.make_record("designations", a.catalogue, unit=a.unit_name, detail={"parts": parts})]


@report_section
def section_index(a: RegionAnalysis) -> Section:
    """和美指数（基准=100）and its four dimensions, what their benchmarks are, and the 浙江对标指数.

    Radar and table (score, rank among peers, city, traffic light by the two-worst-indicators
    rule); the composition of the goalposts per dimension (浙江 / 全国 / 安徽 / 政策标准 / 参照值:
    indicators and weight share, :func:`~hemei_tools.engine.goalposts.goalpost_composition`); and
    the 浙江对标指数 (:func:`~hemei_tools.engine.composite.basis_index` on the Zhejiang figures
    only), the one number the reports compare with Zhejiang, with its sentence rendered from
    ``data["zhejiang_record"]`` (:func:`~hemei_tools.present.narrative.zhejiang_index_record`).
    """
    from hemei_tools.present.plots import plot_radar

    cat = a.catalogue
    s = a.result.scores
    keep = (s["year"] == a.year) & (((s["level"] == a.level) & (s["unit_code"] == a.unit_code))
                                   | ((s["level"] == a.reference_level) & (s["unit_code"] == a.city_code)))
    fig = _figure(plot_radar(s[keep], a.unit_code, a.year, cat))
    nodes = [cat.index_code, *cat.dimensions["code"]]
    names = [_labels(cat).name(n) for n in nodes]
    mine = s[(s["level"] == a.level) & (s["unit_code"] == a.unit_code) & (s["year"] == a.year)].set_index("node")
    city = s[(s["level"] == a.reference_level) & (s["unit_code"] == a.city_code) & (s["year"] == a.year)
             ].set_index("node")
    st = a.status[(a.status["level"] == a.level) & (a.status["unit_code"] == a.unit_code)].set_index("node")
    table = pd.DataFrame({
        HEADERS["dimension"]: [_t("headline.index") if n == cat.index_code else name for n, name in zip(nodes, names,
                                                                                                      strict=True)],
        HEADERS["score"]: [nv.format_number(mine["score"].get(n), 1) for n in nodes],
        HEADERS["rank"]: ["—" if pd.isna(mine["rank"].get(n)) else f"{int(mine['rank'].get(n))}" for n in nodes],
        HEADERS["city"]: [nv.format_number(city["score"].get(n), 1) for n in nodes],
        HEADERS["status"]: [nv.STATUS_ZH.get(st["status"].get(n), "—") if n in st.index else "—" for n in nodes],
    })
    if a.level != "county":
        table = table.drop(columns=[HEADERS["rank"], HEADERS["city"]])
    comp = a.composition
    composition = pd.DataFrame({HEADERS["dimension"]: table[HEADERS["dimension"]]})
    for b in GOALPOST_BASES:
        c = comp[comp["basis"] == b].set_index("node").reindex(nodes) if not comp.empty else None
        if c is None or c["n"].sum() == 0:
            continue
        head = _t("goalpost.reference_synthetic") if b == "reference" and _synthetic_references(a) else _t(f"basis.{b}")
        composition[head] = [_tf("format.count_share", n=int(k), share=_pct(100 * w))
                                         for k, w in zip(c["n"], c["weight_share"], strict=True)]
    z = zhejiang_frame(a) if not a.zhejiang.empty else pd.DataFrame()
    record = nv.zhejiang_index_record(z, a.unit_name, a.city_name, cat, a.year)
    parts = [fig, _styler(table, {HEADERS["status"]: _status_colours()}), _md(_t("sentence.composition")),
             _styler(composition), _md(nv.zhejiang_index_sentence(record))]
    tables = {"index": table, "composition": composition}
    if not z.empty:
        zhejiang = pd.DataFrame({
            HEADERS["region"]: [a.unit_name, a.city_name][:len(z)],
            _t("header.zhejiang_index"): z["score"].map(lambda x: nv.format_number(x, 1)).to_numpy(),
            _t("header.zhejiang_gap"): (100 - z["score"]).map(lambda x: nv.format_number(x, 1)).to_numpy(),
            _t("header.n_indicators"): [f"{int(k)}/{int(n)}" for k, n in zip(z["n_indicators"], z["n_basis"],
                                                                             strict=True)],
            _t("header.weight_share"): (100 * z["weight_share"]).map(_pct).to_numpy(),
        })
        parts.append(_styler(zhejiang))
        tables["zhejiang"] = zhejiang
    return Section(parts=tuple(parts), tables=tables,
                   data={"scores": mine.loc[nodes, "score"].to_dict(), "composition": comp, "zhejiang": z,
                         "zhejiang_record": record})


def _words(codes: pd.Series, words) -> pd.Series:
    """The word for each code (``—`` where there is none), as plain strings: codes may be
    categoricals, which neither map by value nor take a new fill value under pandas 3."""
    return pd.Series([words.get(str(c), "—") if pd.notna(c) else "—" for c in codes], index=codes.index,
                     dtype=object)


def _trend_header(a: RegionAnalysis) -> str:
    """The trend column's header, naming the year its classes are judged against (the target
    year of the trends, the programme's end from the catalogue)."""
    years = pd.to_numeric(a.trends["target_year"], errors="coerce").dropna()
    return _tf("header.trend_by", target_year=int(years.iloc[0])) if len(years) else HEADERS["trend"]


def _below_average_note(f: pd.DataFrame, cat) -> list[str]:
    """Per row of :func:`gap_frame`: the note of a benchmark below a published average (``""`` else)."""
    flags = benchmark_flags(cat).set_index("indicator_id")
    out = []
    for iid, flag in zip(f["indicator_id"], f["benchmark_flag"], strict=True):
        if flag != BELOW_AVERAGE or iid not in flags.index:
            out.append("")
            continue
        r = flags.loc[iid]
        _, unit, dec = nv.indicator_format(cat, iid)
        label = r["average_year_label"] if isinstance(r["average_year_label"], str) else str(r["average_year"])
        # the average as published: region, year label (约2024), 实际, value
        marks = nv.benchmark_marks(cat, iid, r["average_region"], r["average_year"], "actual", r["average_value"])
        average = (nv.region_label(r["average_region"]) + _tf("format.year", year=nv.format_year_label(label))
                   + nv.KIND_WORD["actual"] + (_t("benchmark.repost_mark") if marks["repost"] else "")
                   + nv.format_value(r["average_value"], unit, dec))
        out.append(_tf("gap.note_below_average", average=average))
    return out


def _synthetic_references(a: RegionAnalysis) -> bool:
    """Whether the unit's reference goalposts (basis reference) were computed from synthetic data
    (``synthetic`` of their ``reference_goalposts.csv`` rows; all of them, as the tables name the
    basis once)."""
    bm = a.result.benchmarks
    ref = bm[bm["basis"].astype(object) == "reference"]
    return bool(len(ref)) and all(nv.benchmark_marks(a.catalogue, i, "reference", y, "reference", v)["synthetic"]
                                  for i, y, v in zip(ref["indicator_id"], ref["year"], ref["benchmark"], strict=True))


def _is_true(x) -> bool:
    """A catalogue yes/no cell read as true (``True``, ``1``, ``"true"``); missing is false."""
    if isinstance(x, str):
        return x.strip().lower() == "true"
    return bool(x) if pd.notna(x) else False


def _basis_word(basis, indicator_id: str, a: RegionAnalysis) -> str:
    """The basis of an indicator's benchmark as a table cell: ``全国``, ``政策标准``, ``参照值``, or
    ``参照值（模拟数据）`` for a reference computed from synthetic data; ``—`` when none."""
    if not isinstance(basis, str) or not basis:
        return "—"
    if basis == "reference":
        bm = a.result.benchmarks.set_index("indicator_id")
        if indicator_id in bm.index:
            r = bm.loc[indicator_id]
            if nv.benchmark_marks(a.catalogue, indicator_id, "reference", r["year"], "reference",
                                  r["benchmark"])["synthetic"]:
                return _t("goalpost.reference_synthetic")
    return _t(f"basis.{basis}")


def _comparison_table(a: RegionAnalysis) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unit's value beside Zhejiang's, Anhui's and the nation's published figures, each cell
    linked to its source (:func:`~hemei_tools.engine.region.comparison_frame`); returns the
    display frame and the numbers."""
    from markupsafe import Markup  # HTML with escaped parts: _styler keeps it a link

    cat = a.catalogue
    c = comparison_frame(a)
    fmt = {i: nv.indicator_format(cat, i) for i in c["indicator_id"]}

    def cell(iid, b, r):
        repost = nv.benchmark_marks(cat, iid, r[f"{b}_region"], r[f"{b}_year"], r[f"{b}_kind"],
                                    r[f"{b}_value"])["repost"] if not pd.isna(r[f"{b}_value"]) else False
        text = nv.figure_phrase(r[f"{b}_value"], fmt[iid][1], fmt[iid][2], r[f"{b}_year_label"], r[f"{b}_kind"],
                                r[f"{b}_region"], repost=repost)
        url = r[f"{b}_source_url"]
        return Markup('<a href="{}">{}</a>').format(url, text) if isinstance(url, str) and url.startswith("http") \
            else text

    rows = c.to_dict("records")
    table = pd.DataFrame({
        HEADERS["indicator"]: [fmt[i][0] for i in c["indicator_id"]],
        HEADERS["value"]: [nv.format_value(r["value"], fmt[r["indicator_id"]][1], fmt[r["indicator_id"]][2])
                           for r in rows],
        **{_t(f"header.{b}"): pd.Series([cell(r["indicator_id"], b, r) for r in rows], dtype=object)
           for b in COMPARISON_BASES},
        _t("header.basis"): [_basis_word(b, iid, a) for b, iid in zip(c["benchmark_basis"], c["indicator_id"],
                                                                      strict=True)],
    })
    return table, c


@report_section
def section_gap_table(a: RegionAnalysis) -> Section:
    """Indicator gap table: value, benchmark and its source, gap, distance, traffic light
    (coloured cell) and trend class, one row per scored indicator; the gap chart; and the
    per-indicator comparison with the published Zhejiang, Anhui and national figures (year, kind,
    source link; SDG-dashboard style).

    A benchmark below a published Anhui or national average of the same or a later year
    (``benchmark_flag``) is never shown as a green 达标: its status reads 达到基准（基准偏低）
    uncoloured, its source cell says which average it is below, and the chart draws it grey."""
    from hemei_tools.present.plots import plot_gap_bars

    cat = a.catalogue
    f = gap_frame(a)
    fmt = {i: nv.indicator_format(cat, i) for i in f["indicator_id"]}
    notes = _below_average_note(f, cat)
    hollow = ((f["status"].astype(object) == "green") & (f["benchmark_flag"].astype(object) == BELOW_AVERAGE)
              ).to_numpy()
    status = _words(f["status"], nv.STATUS_ZH).where(~hollow, _t("status.reached_below_average"))
    source = [nv.source_phrase(row["benchmark_region"], row["benchmark_year"], row["benchmark_kind"],
                               **nv.row_marks(row, cat))
              if row["benchmark_basis"] != "policy" else _t("goalpost.policy_source")
              for row in f.astype({"benchmark_basis": object}).to_dict("records")]
    table = pd.DataFrame({
        HEADERS["task"]: _words(f["task_id"], _labels(cat).names),
        HEADERS["indicator"]: [fmt[i][0] for i in f["indicator_id"]],
        HEADERS["value"]: [nv.format_value(v, fmt[i][1], fmt[i][2]) for i, v in zip(f["indicator_id"], f["value"],
                                                                                       strict=True)],
        HEADERS["benchmark"]: [nv.format_value(v, fmt[i][1], fmt[i][2])
                               for i, v in zip(f["indicator_id"], f["benchmark"], strict=True)],
        HEADERS["benchmark_source"]: [s + (_t("punct.semicolon") + n if n else "") for s, n in zip(source, notes,
                                                                                                   strict=True)],
        HEADERS["gap"]: [(_t("gap.reached") if pd.notna(v) and v <= 0 else nv.format_gap(v, fmt[i][1], fmt[i][2]))
                         for i, v in zip(f["indicator_id"], f["abs_gap"], strict=True)],
        HEADERS["distance"]: f["distance"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["status"]: status,
        _trend_header(a): _words(f["trend_class"], nv.TREND_ZH),
        HEADERS["year_closes"]: [(_t("gap.reached") if c == "achieved"
                                  else _tf("format.about_year", year=int(y)) if pd.notna(y) else "—")
                                 for c, y in zip(f["closes"], f["year_closes"], strict=True)],
    })
    g = a.gaps[(a.gaps["level"] == a.level) & (a.gaps["unit_code"] == a.unit_code)]
    # a reached benchmark below a published average is drawn without a status colour (grey)
    g = g.assign(status=g["status"].astype(object).where(~((g["status"].astype(object) == "green")
                                                           & (g["benchmark_flag"].astype(object) == BELOW_AVERAGE))))
    fig = _figure(plot_gap_bars(g, a.unit_code, a.year, cat, measure="distance"))
    comparison, numbers = _comparison_table(a)
    parts = [_styler(table, {HEADERS["status"]: _status_colours()})]
    if hollow.any() or any(notes):
        parts.append(_md(_t("sentence.below_average_note")))
    parts += [fig, _md(_t("sentence.comparison_table")), _styler(comparison)]
    return Section(parts=tuple(parts), tables={"gaps": table, "comparison": comparison},
                   data={"gaps": f, "comparison": numbers})


@report_section
def section_weakest_links(a: RegionAnalysis) -> Section:
    """Weakest links and the tasks they belong to, as generated sentences, each rendered from a
    record (``data["records"]``, :func:`~hemei_tools.present.narrative.weakest_links_records`)
    holding its task, indicator, value, benchmark and source (as the gap table shows them)."""
    records = nv.weakest_links_records(a.unit_name, a.links, a.catalogue)
    return Section(parts=(_md(nv.records_markdown(a.unit_name, records)),),
                   data={"links": a.links, "records": records})


@report_section
def section_village_ranks(a: RegionAnalysis) -> Section:
    """Villages ranked by the 和美指数 with Monte Carlo uncertainty: interval chart and the
    top and bottom :data:`TABLE_ENDS` villages."""
    from hemei_tools.present.plots import plot_rank_intervals

    r = a.ranks
    if a.n_runs < 1:
        return Section(parts=(_md(_t("sentence.ranks_not_run")),), data={"ranks": r})
    if r.empty:
        return Section(parts=(_md(_t("sentence.ranks_no_villages")),), data={"ranks": r})
    fig = _figure(plot_rank_intervals(r.rename(columns={"nominal": "nominal"}), max_row_labels=40))
    townships = a.ctx.dataset.villages.drop_duplicates("township_code").set_index("township_code")["township_name"]
    table = pd.DataFrame({
        HEADERS["nominal_rank"]: r["nominal"].map(lambda x: nv.format_number(x, 0)),
        HEADERS["village"]: r["unit_name"],
        HEADERS["township"]: r["parent_code"].map(townships).fillna(""),
        HEADERS["score"]: r["score"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["rank_median"]: r["median"].map(lambda x: nv.format_number(x, 0)),
        HEADERS["rank_interval"]: [_interval(lo, hi) for lo, hi in zip(r["p05"], r["p95"], strict=True)],
        HEADERS["top_share"]: r["top_share"].map(lambda x: _pct(100 * x, 0)),
    })
    if len(r) <= 20:  # the chance of a top-10 place says little among 20 villages or fewer
        table = table.drop(columns=[HEADERS["top_share"]])
    # the table lists every village of a small unit: say so (not "the top and bottom 15")
    note = (_tf("sentence.rank_intervals", n_runs=a.n_runs, seed=a.seed, n_ranked=len(r), n_ends=TABLE_ENDS)
            if len(r) > 2 * TABLE_ENDS else
            _tf("sentence.rank_intervals_all", n_runs=a.n_runs, seed=a.seed, n_ranked=len(r)))
    title = _tf("table.ranks", n_ends=TABLE_ENDS) if len(table) > 2 * TABLE_ENDS else None
    return Section(parts=(_md(note), fig, _styler(_ends(table), title=title)), tables={"ranks": _ends(table)},
                   data={"ranks": r}, downloads={"ranks": table})


@report_section
def section_imbalance(a: RegionAnalysis) -> Section:
    """Imbalance within the unit: Gini, Theil, CV across villages (index, dimensions and
    amount indicators), the between-group share of Theil, and Lorenz curves."""
    from hemei_tools.present.plots import plot_lorenz

    cat = a.catalogue
    t = a.imbalance
    if t.empty:
        return Section(parts=(_md(_t("sentence.imbalance_no_data")),))
    pooled = t[t["group"] == "all"]
    fmt = {c: nv.indicator_format(cat, c) for c in pooled["code"] if c in set(cat.indicator_ids)}
    table = pd.DataFrame({
        HEADERS["object"]: [fmt[c][0] + _tf("format.unit_suffix", unit=fmt[c][1]) if c in fmt
                            else _labels(cat).name(c) for c in pooled["code"]],
        HEADERS["n"]: pooled["n"].map(lambda x: nv.format_number(x, 0)).to_numpy(),
        _t("header.village_mean"): [nv.format_number(m, fmt[c][2] if c in fmt else 1)
                                    for c, m in zip(pooled["code"], pooled["mean"], strict=True)],
        HEADERS["gini"]: pooled["gini"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["theil"]: pooled["theil"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["cv"]: pooled["cv"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["between_share"]: pooled["between_share"].map(lambda x: _pct(100 * x)).to_numpy(),
    })
    group_word = LEVEL_WORD[a.child_level]
    s = a.result.scores
    idx = s[(s["level"] == "village") & (s["node"] == cat.index_code) & (s["year"] == a.year)]
    if a.level == "county":
        idx = idx[idx["county_code"] == a.unit_code]
    ax = plot_lorenz(idx["score"].to_numpy(float), label=_labels(cat).name(cat.index_code))
    ind = cat.indicators
    per_head = ind.loc[ind["scored"] & (ind["value_type"] == "amount") & (ind["aggregation"] == "population_mean"),
                       "indicator_id"].tolist()
    v = a.values[(a.values["level"] == "village") & (a.values["year"] == a.year)
                 & a.values["indicator_id"].isin(per_head)]
    if a.level == "county":
        v = v[v["county_code"] == a.unit_code]
    pop = a.ctx.villages.set_index(a.ctx.villages["village_code"].astype(str))["population"]
    for iid, grp in v.groupby("indicator_id", sort=False):
        plot_lorenz(grp["value"].to_numpy(float), grp["unit_code"].map(pop).to_numpy(float),
                    label=_labels(cat).name(iid), ax=ax)
    fig = _figure(ax)
    head = pooled.iloc[0]
    groups = t.loc[(t["group"] != "all") & (t["code"] == head["code"]), "group"].nunique()
    if groups < 2:  # a single township: no between-township share to speak of
        table = table.drop(columns=[HEADERS["between_share"]])
        text = _tf("sentence.imbalance_one_group", unit_name=a.unit_name, name=_labels(cat).name(head["code"]),
                   gini=nv.format_number(head["gini"], 3), theil=nv.format_number(head["theil"], 3),
                   group_word=group_word)
    else:
        text = (_tf("sentence.imbalance",
                    unit_name=a.unit_name,
                    name=_labels(cat).name(head["code"]),
                    gini=nv.format_number(head["gini"], 3),
                    theil=nv.format_number(head["theil"], 3),
                    between=_pct(100 * head["between_share"]),
                    group_word=group_word))
    # the mean of the village scores is not the unit's index (computed from its aggregated values)
    own = s[(s["level"] == a.level) & (s["unit_code"] == a.unit_code) & (s["node"] == cat.index_code)
            & (s["year"] == a.year)]["score"].dropna()
    note = _md(_tf("sentence.village_mean_note", unit_name=a.unit_name, name=_labels(cat).name(cat.index_code),
                   score=nv.format_number(own.iloc[0], 1) if len(own) else "—"))
    return Section(parts=(_md(text), _styler(table), note, fig), tables={"imbalance": table},
                   data={"imbalance": t})


@report_section
def section_ledger(a: RegionAnalysis) -> Section:
    """Project ledger (项目台账): totals in a sentence, completion and disbursement by task
    (chart) and a table by task, at the data set's one as-of date (the same in every report on
    the data set: a city's overdue projects are the sum of its counties')."""
    from hemei_tools.present.plots import plot_ledger

    cat = a.catalogue
    led, tot = a.ledger, a.ledger_total
    if led.empty:
        return Section(parts=(_md(_t("sentence.ledger_empty")),))
    r = tot.iloc[0]
    text = (_tf("sentence.ledger",
                unit_name=a.unit_name,
                n_projects=int(r["n_projects"]),
                n_finished=int(r["n_finished"]),
                completion_rate=_pct(r["completion_rate"]),
                budget=nv.format_number(r["budget_wan"], 1),
                disbursed=nv.format_number(r["disbursed_wan"], 1),
                disbursement_rate=_pct(r["disbursement_rate"]),
                n_overdue=int(r["n_overdue"]),
                as_of=pd.Timestamp(a.as_of if a.as_of is not None else r["as_of"])))
    fig = _figure(plot_ledger(led, cat))
    table = pd.DataFrame({
        HEADERS["task"]: led["task_id"] + " " + led["task_id"].map(_labels(cat).names),
        HEADERS["n_projects"]: led["n_projects"].astype(int),
        HEADERS["n_finished"]: led["n_finished"].astype(int),
        HEADERS["completion"]: led["completion_rate"].map(_pct),
        HEADERS["budget"]: led["budget_wan"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["disbursed"]: led["disbursed_wan"].map(lambda x: nv.format_number(x, 1)),
        HEADERS["disbursement"]: led["disbursement_rate"].map(_pct),
        HEADERS["overdue"]: led["n_overdue"].astype(int),
    })
    return Section(parts=(_md(text), fig, _styler(table)), tables={"ledger": table},
                   data={"ledger": led, "total": tot})


@report_section
def section_data_quality(a: RegionAnalysis) -> Section:
    """Data quality and coverage: what was missing, imputed, treated and screened."""
    cat = a.catalogue
    f = coverage_frame(a)
    fl = a.result.flags
    screened = fl[(fl["action"] == "screened") & (fl["year"] == a.year) & (fl["level"] == "village")
                  & fl["unit_code"].astype(str).isin(set(a.ctx.villages["village_code"].astype(str)))]
    full = int((f["with_value"] == f["n_total"]).sum())
    lines = [_tf("sentence.data_quality",
                 n_indicators=len(f),
                 n_full=full,
                 n_villages=int(f["n_total"].iloc[0]) if len(f) else 0,
                 n_imputed=int(f["imputed"].sum()),
                 n_treated=int(f["treated"].sum()),
                 n_screened=len(screened),
                 coverage=nv.format_number(100 * a.result.spec.screen_coverage, 0)),
             _tf("sentence.data_treatment",
                 imputation=method_word("imputation", a.result.spec.imputation),
                 winsorise=_t("word.yes") if a.result.spec.winsorise else _t("word.no"))]
    show = f[(f["with_value"] < f["n_total"]) | (f["imputed"] > 0) | (f["treated"] > 0)]
    table = pd.DataFrame({
        HEADERS["indicator"]: show["indicator_id"].map(_labels(cat).names),
        HEADERS["with_value"]: show["with_value"],
        HEADERS["n_total"]: show["n_total"],
        HEADERS["coverage"]: show["coverage"].map(_pct),
        HEADERS["imputed"]: show["imputed"],
        HEADERS["treated"]: show["treated"],
    })
    parts = [_md("\n\n".join(lines))]
    if not table.empty:
        parts.append(_styler(table, title=_t("table.coverage")))
    return Section(parts=tuple(parts), tables={"coverage": table}, data={"coverage": f, "screened": screened})


#: Scales of ``hemei demo`` with a name in the wording table (``demo.scale.<scale>``).
DEMO_SCALES = ("tongling", "anhui", "national")
_DEMO_DATASET = re.compile(r"^hemei demo --scale (\w+) --seed (\d+)$")


def dataset_text(dataset: str) -> str:
    """A reference's data set as a report names it: the demo generator's command
    (``hemei demo --scale anhui --seed 2023``, as ``hemei reference`` records it) in words
    (``安徽全省规模示例数据（hemei-tools程序生成，随机种子2023）``); any other name as it is."""
    m = _DEMO_DATASET.match(str(dataset).strip())
    if m is None:
        return str(dataset)
    scale = m.group(1)
    name = _t(f"demo.scale.{scale}") if scale in DEMO_SCALES else scale
    return _tf("goalpost.dataset_demo", scale=name, seed=m.group(2))


def _goalpost_source(r) -> str:
    """How a goalpost row of the comparison set is sourced, as the appendix says it: the
    policy standard, the reference's data set, level, percentile and year, or its title."""
    if r["basis"] == "policy" and not (isinstance(r["source_url"], str) and r["source_url"].startswith("http")):
        return _t("goalpost.policy_source")
    if r["basis"] == "reference":
        key = "goalpost.low_reference" if r["role"] == "low" else "goalpost.reference_source"
        return _tf(key, n_units=int(r["n_units"]), level=LEVEL_WORD.get(str(r["level"]), str(r["level"])),
                   percentile=nv.format_number(r["percentile"], 1 if r["percentile"] % 1 else 0), year=int(r["year"]),
                   dataset=dataset_text(r["dataset"]),
                   synthetic=_t("goalpost.synthetic_mark") if bool(r["synthetic"]) else "")
    return "" if pd.isna(r["source_title"]) else str(r["source_title"])


@report_section
def section_appendix(a: RegionAnalysis) -> Section:
    """Methodology and sources: the indicator catalogue with each indicator's lower goalpost,
    every goalpost and comparison figure with its role, basis, region, year, kind and source
    (link, publisher and source kind; a figure whose only source is a repost is marked as such;
    a policy standard or pinned reference says what it is; a benchmark below a published
    average says so), and the index specification."""
    from markupsafe import Markup  # HTML with escaped parts: _styler keeps it a link

    from hemei_tools.present.plots import KIND_ZH

    cat = a.catalogue
    tree = cat.indicator_tree().set_index("indicator_id")
    ind = cat.indicators[cat.indicators["scored"]]
    resolved = a.result.benchmarks.set_index("indicator_id")
    dec = cat.indicators.set_index("indicator_id")["decimals"]
    unit = cat.indicators.set_index("indicator_id")["unit"]
    indicators = pd.DataFrame({
        HEADERS["dimension"]: ind["task_id"].map(cat.framework.set_index("code")["parent"]).map(_labels(cat).names),
        HEADERS["task"]: ind["task_id"].map(_labels(cat).names),
        HEADERS["indicator"]: ind["name_zh"],
        HEADERS["unit"]: ind["unit"],
        HEADERS["direction"]: ind["direction"].map({1: _t("direction.higher"), -1: _t("direction.lower")}),
        HEADERS["weight"]: ind["indicator_id"].map(tree["effective_weight"] * 100).map(lambda x: _pct(x, 2)),
        HEADERS["aggregation"]: ind["aggregation"].map(AGGREGATION_ZH),
        # the floor: the catalogue's, or a pinned reference (listed with its data below)
        _t("header.low"): [nv.format_value(resolved.at[i, "goalpost_low"], unit[i], dec[i])
                           + ("" if pd.notna(lo) else _tf("format.bracketed", text=_t("basis.reference")))
                           for i, lo in zip(ind["indicator_id"], ind["goalpost_low"], strict=True)],
    })
    c = cat.comparison_set()
    c = c[c["role"].isin(["benchmark", "comparison", "low"]) & c["indicator_id"].isin(cat.scored_ids)]
    flags = benchmark_flags(cat, a.result.benchmarks).set_index("indicator_id")
    notes = _below_average_note(pd.DataFrame({
        "indicator_id": c["indicator_id"].to_numpy(),
        "benchmark_flag": np.where((c["role"] == "benchmark").to_numpy()
                                   & c["indicator_id"].map(flags["below_average"]).fillna(False).to_numpy(dtype=bool),
                                   BELOW_AVERAGE, "")}), cat)

    def link(r):
        text = _goalpost_source(r)
        url = r["source_url"]
        return Markup('<a href="{}">{}</a>').format(url, text) if isinstance(url, str) and url.startswith("http") \
            else text

    def figure(r):
        text = nv.format_value(r["value"], unit[r["indicator_id"]], dec[r["indicator_id"]])
        # a figure whose only source is a repost says so next to the number (the catalogue
        # cites an official source wherever benchmark_sources.csv has one)
        return _tf("appendix.repost_figure", value=text) if r["source_kind"] == "repost" else text

    def year(r):
        if isinstance(r["year_label"], str) and r["year_label"]:
            return nv.format_year_label(r["year_label"])
        return "" if pd.isna(r["year"]) else str(int(r["year"]))

    rows = c.to_dict("records")
    published = c["basis"].isin(["zhejiang", "national", "anhui", "local"]).to_numpy()
    benchmarks = pd.DataFrame({
        HEADERS["indicator"]: c["indicator_id"].map(_labels(cat).names).to_numpy(),
        HEADERS["role"]: [_t(f"role.{r}") for r in c["role"]],
        HEADERS["benchmark"]: [figure(r) for r in rows],
        # a reference computed from synthetic data says so (参照值（模拟数据）), as in the gap table
        _t("header.basis"): [_t("goalpost.reference_synthetic") if b == "reference" and _is_true(r["synthetic"])
                             else _t(f"basis.{b}") for b, r in zip(c["basis"], rows, strict=True)],
        HEADERS["region"]: np.where(published, c["region"].map(nv.region_label), ""),
        HEADERS["year"]: [year(r) for r in rows],
        HEADERS["kind"]: [KIND_ZH.get(k, "") if k in ("actual", "target", "standard") else _t("basis.reference")
                          for k in c["kind"]],
        HEADERS["source"]: pd.Series([link(r) for r in rows], dtype=object),
        HEADERS["publisher"]: c["publisher"].fillna("").to_numpy(),
        HEADERS["source_kind"]: [SOURCE_KIND_ZH.get(s, "") if isinstance(s, str) else "" for s in c["source_kind"]],
        _t("header.note"): notes,
    })
    spec = spec_frame(a.result.spec, (HEADERS["parameter"], HEADERS["setting"]))
    text = (_t("appendix.method") + "\n\n" + _t("appendix.goalposts")
            + (_tf("appendix.monte_carlo", n_runs=a.n_runs, seed=a.seed) if a.n_runs > 0 else "")
            + "\n\n" + light_rules_text())
    return Section(parts=(_md(text), _md(_t("appendix.framework_heading")), _styler(indicators),
                          _md(_t("appendix.benchmarks_heading")),
                          _styler(benchmarks), _md(_t("appendix.spec_heading")), _styler(spec)),
                   tables={"indicators": indicators, "benchmarks": benchmarks, "spec": spec},
                   data={"urls": sorted(u for u in c["source_url"].dropna().unique() if str(u).startswith("http")),
                         "goalposts": c.reset_index(drop=True)})


@report_section
def section_trend(a: RegionAnalysis, indicator_id: str) -> Section:
    """One indicator over the years for the unit and the city, with the benchmark and the
    target year, and its gap sentence (a benchmark below a published Anhui or national average
    says so; reached, it is not called 已达到基准).

    Parameters
    ----------
    indicator_id
        A scored indicator id of the catalogue (chosen by the reader, e.g. in a widget).
    """
    from hemei_tools.engine.trends import default_target_year
    from hemei_tools.present.plots import plot_trend

    cat = a.catalogue
    if indicator_id not in set(cat.scored_ids):
        raise SectionError(f"unknown scored indicator {indicator_id!r}; choose one of {', '.join(cat.scored_ids)}")
    v = a.values
    units = [a.unit_code] if a.level != "county" else [a.unit_code, a.city_code]
    rows = v[v["level"].isin(["county", "city", "province"]) & v["unit_code"].isin(units) & (v["year"] <= a.year)]
    ax = plot_trend(rows, indicator_id, units, cat, benchmark=a.result.benchmarks,
                    target_year=default_target_year(cat))
    frame = gap_frame(a)
    row = frame.set_index("indicator_id").loc[indicator_id].to_dict()
    row["indicator_id"] = indicator_id
    note = _below_average_note(frame[frame["indicator_id"] == indicator_id], cat)[0]
    if note and row["status"] == "green":  # reached, but below a published average: no 已达到基准
        text = nv.gap_sentence_below_average(a.unit_name, row, note, cat)
    else:
        text = nv.gap_sentence(a.unit_name, row, cat)
        if note:
            text += _tf("format.bracketed", text=note)
    return Section(parts=(_md(text), _figure(ax)), data={"row": row, "note": note})


COUNTY_SECTIONS = (
    (_t("section.summary"), section_summary),
    (_t("section.headline"), section_headline),
    (_t("section.plan_progress"), section_plan_progress),
    (_t("section.index"), section_index),
    (_t("section.catchup"), section_catchup),
    (_t("section.published_facts"), section_published_facts),
    (_t("section.gap_table"), section_gap_table),
    (_t("section.weakest_links"), section_weakest_links),
    (_t("section.village_ranks"), section_village_ranks),
    (_t("section.imbalance"), section_imbalance),
    (_t("section.townships"), section_townships),
    (_t("section.ledger"), section_ledger),
    (_t("section.data_quality"), section_data_quality),
    (_t("section.appendix"), section_appendix),
)
"""The county report's sections in order: (heading, function)."""


# ---------------------------------------------------------------------------------- region
def _heading(text: str):
    """A section's own level-2 heading (for headings whose words depend on the region's level)."""
    return _md(f"## {text}")


@report_section
def section_children(a: RegionAnalysis) -> Section:
    """The region's child units side by side (a city's counties, the province's cities): 和美指数
    and its rank with the 5%–95% Monte Carlo interval (``2（1–3）``; weights, methods, each
    indicator's benchmark basis and the reference percentile drawn, ``a.child_ranks``),
    dimensions, red indicators and the two biggest gaps (cells shaded by score).

    Starts with its own heading (``各县区对比`` or ``各市对比``, :data:`LEVEL_WORD`)."""
    from hemei_tools.present.section_parts import _score_cells

    cat = a.catalogue
    lab = _labels(cat)
    child = a.child_level
    word = LEVEL_WORD[child]
    names = a.children()
    idx = _scores(a, child, "index").set_index("unit_code")
    idx.index = idx.index.astype(str)
    idx = idx.reindex(names.index).dropna(subset=["score"])
    # rank among the children only (a county's townships are ranked city-wide by the engine)
    idx["rank"] = idx["score"].rank(method="min", ascending=False)
    dims = _scores(a, child, "dimension").pivot(index="unit_code", columns="node", values="score")
    dims.index = dims.index.astype(str)
    g = a.gaps[(a.gaps["level"] == child)]
    red = g[g["status"] == "red"].groupby("unit_code", observed=True).size()
    red.index = red.index.astype(str)
    worst = (g.dropna(subset=["distance"]).sort_values(["distance", "indicator_id"], ascending=[False, True])
             .groupby("unit_code", observed=True)["indicator_id"]
             .apply(lambda s: _t("punct.list_sep").join(lab.name(i) for i in s.head(2)))).astype(object)
    worst.index = worst.index.astype(str)
    codes = idx.sort_values(["rank", "score"], ascending=[True, False], kind="stable").index
    mc = a.child_ranks.set_index(a.child_ranks["unit_code"].astype(str)) if not a.child_ranks.empty else None
    if mc is not None:
        mc = mc.reindex(codes)
        rank_header = _t("header.rank_with_interval")
        ranks = [_tf("format.rank_interval", rank=int(r), low=nv.format_number(lo, 0), high=nv.format_number(hi, 0))
                 if pd.notna(lo) and pd.notna(hi) else str(int(r))
                 for r, lo, hi in zip(idx.loc[codes, "rank"], mc["p05"], mc["p95"], strict=True)]
    else:
        rank_header, ranks = HEADERS["rank"], idx.loc[codes, "rank"].astype(int).to_numpy()
    table = pd.DataFrame({word: names.reindex(codes).to_numpy(),
                          lab.name(cat.index_code): idx.loc[codes, "score"].round(1).to_numpy(),
                          rank_header: ranks})
    for d in cat.dimensions["code"]:
        table[lab.name(d)] = dims.reindex(codes)[d].round(1).to_numpy() if d in dims else np.nan
    table[HEADERS["red"]] = red.reindex(codes).fillna(0).astype(int).to_numpy()
    table[HEADERS["key_gaps"]] = worst.reindex(codes).fillna("").to_numpy()
    score_cols = [lab.name(cat.index_code), *[lab.name(d) for d in cat.dimensions["code"]]]
    # the fixed 0–100 colour scale of every report (style.SCORE_RANGE), text contrast ≥ 4.5 : 1
    st = _score_cells(_styler(table), score_cols).format("{:.1f}", subset=score_cols)
    parts = [_heading(_tf("section.children", word=word)), st]
    if mc is not None:
        parts.append(_md(_tf("sentence.children_ranks", n_runs=a.child_runs, seed=a.seed)))
    return Section(parts=tuple(parts), tables={"children": table},
                   data={"index": idx.loc[codes, "score"].to_dict(), "rank": idx.loc[codes, "rank"].to_dict(),
                         "rank_p05": {} if mc is None else mc["p05"].to_dict(),
                         "rank_p95": {} if mc is None else mc["p95"].to_dict(), "level": child})


def _lorenz_panels(groups: list[tuple[str, np.ndarray, float]], ncols: int = 4):
    """One small Lorenz panel per group, titled with its name and Gini; returns the Figure."""
    from hemei_tools.present.plots import TEXT, plot_lorenz

    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, 2.2 * nrows + 0.5), sharex=True, sharey=True,
                             squeeze=False)
    for ax, (label, values, g) in zip(axes.flat, groups, strict=False):
        plot_lorenz(values, gini=g, label=label, ax=ax)
        ax.get_legend().remove()
        ax.set_title(_tf("chart.lorenz_panel_title",
                         label=label,
                         gini=nv.format_number(g, 3)), fontsize=9)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    fig.supxlabel(TEXT["pop_share"], fontsize=9)
    fig.supylabel(TEXT["value_share"], fontsize=9)
    fig.suptitle(_t("chart.lorenz_panels_title"), fontsize=10)
    fig.tight_layout()
    return fig


@report_section
def section_children_imbalance(a: RegionAnalysis) -> Section:
    """Imbalance between and within the region's child units (a city's counties, the
    province's cities): Theil decomposition of village scores and amount indicators, Gini per
    child, and Lorenz curves of the 和美指数 per child (overlaid for up to
    :data:`LORENZ_OVERLAY_MAX` children, else one small panel each).

    Starts with its own heading (``县区间与县区内不平衡`` or ``市间与市内不平衡``)."""
    from hemei_tools.present.plots import plot_lorenz

    cat = a.catalogue
    word = LEVEL_WORD[a.child_level]
    heading = _heading(_tf("section.children_imbalance", word=word))
    t = a.imbalance
    if t.empty:
        return Section(parts=(heading, _md(_t("sentence.imbalance_no_data"))))
    pooled = t[t["group"] == "all"]
    fmt = {c: _labels(cat).name(c) for c in pooled["code"]}
    table = pd.DataFrame({
        HEADERS["object"]: pooled["code"].map(fmt).to_numpy(),
        HEADERS["theil"]: pooled["theil"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["theil_between"]: pooled["theil_between"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["theil_within"]: pooled["theil_within"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["between_share"]: pooled["between_share"].map(lambda x: _pct(100 * x)).to_numpy(),
        HEADERS["gini"]: pooled["gini"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
    })
    names = a.children()
    within = t[(t["group"] != "all") & (t["code"] == cat.index_code)]
    per_child = pd.DataFrame({
        word: within["group"].astype(str).map(names).to_numpy(),
        HEADERS["n"]: within["n"].astype(int).to_numpy(),
        _t("header.village_score_mean"): within["mean"].map(lambda x: nv.format_number(x, 1)).to_numpy(),
        HEADERS["gini"]: within["gini"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["theil"]: within["theil"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
        HEADERS["cv"]: within["cv"].map(lambda x: nv.format_number(x, 3)).to_numpy(),
    })
    s = a.result.scores
    idx = s[(s["level"] == "village") & (s["node"] == cat.index_code) & (s["year"] == a.year)].dropna(
        subset=["score"])
    if a.level == "county":
        idx = idx[idx["county_code"] == a.unit_code]
    gini = within.set_index(within["group"].astype(str))["gini"]
    groups = [(str(names.get(code, code)), grp["score"].to_numpy(float), float(gini.get(code, np.nan)))
              for code, grp in idx.groupby(_child_codes(idx, a.child_level).to_numpy(), sort=True)]
    # the mean of a child's village scores is not the child's index (from its aggregated values)
    note = _md(_tf("sentence.village_score_mean_note", name=_labels(cat).name(cat.index_code), word=word))
    parts = [_styler(table), _styler(per_child), note]
    if len(groups) > LORENZ_OVERLAY_MAX:
        parts.append(_figure(_lorenz_panels(groups).axes[0]))
    elif groups:
        ax = None
        for label, values, g in groups:
            ax = plot_lorenz(values, gini=g, label=label, ax=ax)
        parts.append(_figure(ax))
    head = pooled.iloc[0]
    text = (_tf("sentence.children_imbalance",
                unit_name=a.unit_name,
                name=_labels(cat).name(head["code"]),
                theil=nv.format_number(head["theil"], 3),
                word=word,
                between=_pct(100 * head["between_share"]),
                within=_pct(100 * (1 - head["between_share"]))))
    return Section(parts=(heading, _md(text), *parts),
                   tables={"decomposition": table, "children": per_child},
                   data={"imbalance": t, "level": a.child_level})


REGION_SECTIONS = (
    (_t("section.summary"), section_summary),
    (_t("section.headline"), section_headline),
    (None, section_children),
    (None, section_league),
    (_t("section.index"), section_index),
    (_t("section.catchup"), section_catchup),
    (_t("section.published_facts"), section_published_facts),
    (None, section_children_imbalance),
    (_t("section.plan_progress"), section_plan_progress),
    (_t("section.ledger"), section_ledger),
    (_t("section.appendix"), section_appendix),
)
"""The region overview's sections in order: (heading, function); ``None``: the section shows its
own heading, whose words depend on the region's level (各县区对比 / 各市对比)."""



__all__ = [
    "dataset_text",
    "COUNTY_SECTIONS",
    "FIGURE_DPI",
    "HEADERS",
    "LABEL_ZH",
    "LEVEL_WORD",
    "REGION_SECTIONS",
    "ROUTE_ZH",
    "SELECTION_SECTIONS",
    "Section",
    "TABLE_ENDS",
    "section_appendix",
    "section_catchup",
    "section_children",
    "section_children_imbalance",
    "section_data_quality",
    "section_gap_table",
    "section_headline",
    "section_imbalance",
    "section_index",
    "section_league",
    "section_ledger",
    "section_plan_progress",
    "section_published_facts",
    "section_selection_decision",
    "section_selection_eligibility",
    "section_selection_flips",
    "section_selection_profile",
    "section_selection_scores",
    "section_selection_shortlist",
    "section_summary",
    "section_townships",
    "section_trend",
    "section_village_ranks",
    "section_weakest_links",
]
