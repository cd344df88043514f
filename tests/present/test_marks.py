"""Synthetic data are marked everywhere (issue 11, point 7), and sentences come from records
checked against the tables they summarise (point 1).

Every section of a county report, a city overview and the village-selection report is built on
the Tongling demo (synthetic) and on the same analysis flagged as real data: on the demo every
Figure carries 示例数据（模拟） inside the image, in a strip below everything drawn, and every
table a caption with it; on real data nothing is marked.
"""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hemei_tools.catalogue import label, load_labels
from hemei_tools.engine import region
from hemei_tools.present import narrative as nv
from hemei_tools.present import section_parts as sp
from hemei_tools.present import sections as sc
from hemei_tools.present.published_sections import CATCHUP_HEADERS

YEAR = 2023
MARK = "示例数据（模拟）"


@pytest.fixture(scope="module")
def county(demo_dir):
    return region.analyse_region(region.load_report_context(str(demo_dir), "340722", YEAR), n_runs=20, seed=7)


@pytest.fixture(scope="module")
def city(demo_dir):
    return region.analyse_region(region.load_report_context(str(demo_dir), "", YEAR), n_runs=5, seed=7)


@pytest.fixture(scope="module")
def sel(county):
    """The demo round with a decision that differs from the model in two places: the model's
    lowest-ranked selected applicant is not chosen, the best eligible one it leaves out is."""
    from hemei_tools.engine.selection import compare_with_decision

    base = region.analyse_selection(county.ctx, n_runs=50, seed=7)
    s = base.shortlist.sort_values("rank").copy()
    model = s["selected"].astype(bool)
    s["decision"] = model.astype(int)
    s.loc[s.index[model][-1], "decision"] = 0
    s.loc[s.index[~model & s["eligible"].astype(bool)][0], "decision"] = 1
    return dataclasses.replace(base, shortlist=s, comparison=compare_with_decision(s, base.criteria))


def _real(a):
    """The same analysis, its data flagged as real (no recomputation)."""
    ds = dataclasses.replace(a.ctx.dataset, synthetic=False)
    return dataclasses.replace(a, ctx=dataclasses.replace(a.ctx, synthetic=False, dataset=ds))


def _sections(a, sel):
    """Every section of the three reports (county, city, selection), built from scratch."""
    county_a, city_a = a
    out = [(f"county:{fn.__name__}", fn(county_a)) for _, fn in sc.COUNTY_SECTIONS]
    out.append(("county:section_trend", sc.section_trend(county_a, county_a.catalogue.scored_ids[0])))
    out += [(f"city:{fn.__name__}", fn(city_a)) for _, fn in sc.REGION_SECTIONS]
    out += [(f"selection:{fn.__name__}", fn(sel)) for _, fn in sc.SELECTION_SECTIONS]
    return out


def _marks(fig: Figure) -> list:
    return [t for t in fig.texts if t.get_gid() == sp.MARK_GID]


def _tables(section) -> list:
    return [p for p in section.parts if hasattr(p, "set_caption") and hasattr(p, "data")]


def test_the_mark_is_the_catalogue_label():
    assert sp.synthetic_mark() == label("mark.synthetic") == MARK
    assert sp.synthetic_suffix("中洲村") == "中洲村（模拟）"


def _published_only(name: str) -> bool:
    """A section declared to show only published figures (``@published_section``): never marked."""
    return getattr(getattr(sc, name.split(":")[1]), "synthetic_marking", "") == "published"


def test_every_section_function_is_decorated():
    """A section function added without @report_section (or @published_section) fails here."""
    from hemei_tools.present import selection_sections

    functions = {n: getattr(m, n) for m in (sc, selection_sections) for n in dir(m)
                 if n.startswith("section_") and callable(getattr(m, n))}
    assert len(functions) >= 19
    assert [n for n, f in functions.items()
            if getattr(f, "synthetic_marking", None) not in ("marked", "published")] == []


def test_every_figure_and_table_of_every_report_is_marked_on_synthetic_data(county, city, sel):
    assert county.ctx.synthetic and city.ctx.synthetic and sel.synthetic
    n_figures = n_tables = 0
    for name, section in _sections((county, city), sel):
        if _published_only(name):
            assert not any(_marks(f) for f in section.figures), name
            assert not any(MARK in str(st.caption or "") for st in _tables(section)), name
            continue
        for fig in section.figures:
            marks = _marks(fig)
            assert len(marks) == 1, name
            assert marks[0].get_text() == MARK and marks[0].get_fontsize() >= 8, name
            n_figures += 1
        for st in _tables(section):
            if getattr(st, sp.PUBLISHED_TABLE, False):  # a table of published rows only (与浙江相差几年's ratio)
                assert MARK not in str(st.caption or ""), name
                assert set(st.data[CATCHUP_HEADERS["origin"]]) == {"公开数据"}, name
                continue
            assert MARK in str(st.caption), name
            assert f"<caption>{st.caption}</caption>" in st.to_html(), name
            n_tables += 1
    # county 6 + trend 1 + city 4 + selection 3 charts; every table
    assert n_figures >= 14 and n_tables >= 15
    plt.close("all")


def test_nothing_is_marked_on_real_data(county, city, sel):
    real = dataclasses.replace(sel, synthetic=False)
    for name, section in _sections((_real(county), _real(city)), real):
        for fig in section.figures:
            assert _marks(fig) == [], name
            assert all(MARK not in t.get_text() for t in fig.texts), name
        for st in _tables(section):
            assert MARK not in str(st.caption or ""), name
        if name.startswith("selection:") or name.endswith(("section_headline", "section_weakest_links")):
            assert "（模拟）" not in section.text + section.html(), name
    plt.close("all")


def test_the_mark_sits_inside_the_image_below_everything_drawn(county, sel):
    """The mark is inside the figure and overlaps no Axes with its labels, ticks and legend."""
    figs = [f for fn in (sc.section_index, sc.section_gap_table, sc.section_village_ranks, sc.section_imbalance)
            for f in fn(county).figures] + sc.section_selection_shortlist(sel).figures
    for fig in figs:
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        (mark,) = _marks(fig)
        box = mark.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0
        assert box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1
        for ax in fig.axes:
            if ax.get_visible():
                assert not box.overlaps(ax.get_tightbbox(renderer)), ax.get_title()
    plt.close("all")


def test_mark_figure_adds_a_strip_and_keeps_every_axes_in_inches():
    """A 6 × 3 in figure with an Axes 4.5 in wide and 1.8 in high, 0.6 in from the bottom:
    after marking the figure is 3 + 0.26 in high and the Axes keeps its size and its distance
    from the top; marking twice changes nothing."""
    fig = Figure(figsize=(6, 3))
    ax = fig.add_axes([0.125, 0.2, 0.75, 0.6])
    sup = fig.suptitle("t", y=0.98)
    sp.mark_figure(fig)
    sp.mark_figure(fig)
    w, h = fig.get_size_inches()
    assert (w, h) == pytest.approx((6.0, 3.26))
    x0, y0, bw, bh = ax.get_position().bounds
    assert (x0 * w, y0 * h, bw * w, bh * h) == pytest.approx((0.75, 0.6 + 0.26, 4.5, 1.8))
    # the suptitle stays 0.06 in below the top edge
    assert (1 - sup.get_position()[1]) * h == pytest.approx(0.06)
    assert len(_marks(fig)) == 1
    assert _marks(fig)[0].get_position()[1] * h == pytest.approx(0.13)


def test_mark_table_adds_to_a_title_once():
    st = sp._styler(pd.DataFrame({"a": [1]}), title="标题")
    sp.mark_table(sp.mark_table(st))
    span = f'<span class="hemei-synthetic-mark">{MARK}</span>'
    assert st.caption == f"标题 · {span}"
    html = st.to_html()
    assert f"<caption>标题 · {span}</caption>" in html
    assert f"caption .hemei-synthetic-mark {{\n  color: {sp.MARK_COLOUR};" in html
    bare = sp.mark_table(sp._styler(pd.DataFrame({"a": [1]})))
    assert bare.caption == span


# ---------------------------------------------------------------------------------- key figures
def test_city_key_figures_tell_published_from_synthetic(city):
    """363 villages (the NBS list), 220 central and 10 boutique villages (the published totals
    the demo is calibrated to) are 公开数据; population, investment and the index are 模拟."""
    t = sc.section_headline(city).tables["headline"].set_index(sc.HEADERS["indicator"])
    prov = t[sc.HEADERS["provenance"]]
    assert t.loc[label("headline.villages"), sc.HEADERS["value"]] == "363"
    assert t.loc[label("headline.central_villages"), sc.HEADERS["value"]] == "220"
    assert t.loc[label("headline.boutique_villages"), sc.HEADERS["value"]] == "10"
    assert prov[label("headline.villages")] == prov[label("headline.central_villages")] == "公开数据"
    assert prov[label("headline.boutique_villages")] == "公开数据"
    assert prov[label("headline.population")] == prov[label("headline.investment")] == "模拟"
    assert prov[label("headline.index")] == "模拟"


def test_county_key_figures_are_synthetic_but_its_village_count(county):
    """枞阳县's 190 villages are the NBS list; its split of the city totals is synthetic."""
    t = sc.section_headline(county).tables["headline"].set_index(sc.HEADERS["indicator"])
    prov = t[sc.HEADERS["provenance"]]
    assert t.loc[label("headline.villages"), sc.HEADERS["value"]] == "190"
    assert prov[label("headline.villages")] == "公开数据"
    assert set(prov.drop(label("headline.villages"))) == {"模拟"}


def test_a_calibrated_total_in_another_year_is_not_called_published(demo_dir):
    """The 220 central villages are a 2023 figure: a 2019 report does not present its count as
    published; on real data no figure carries a provenance mark."""
    ctx = region.load_report_context(str(demo_dir), "", 2019)
    rows = {f["key"]: f for f in region.headline_figures(ctx)}
    assert rows["villages"]["provenance"] == "published"
    assert rows["central_villages"]["provenance"] == "synthetic"
    real = dataclasses.replace(ctx, synthetic=False)
    assert {f["provenance"] for f in region.headline_figures(real)} == {"data"}


def test_real_data_headline_has_no_provenance_column(county):
    t = sc.section_headline(_real(county)).tables["headline"]
    assert sc.HEADERS["provenance"] not in t.columns


# ---------------------------------------------------------------------------------- records
def _check_rendered(section, records, cat):
    """Each record's text is its rendering and stands in the section (as its Markdown writes it)."""
    assert records
    for r in records:
        assert r.text == nv.render_record(r, cat)
        assert sp._md(r.text).data in section.text


def test_headline_records_match_the_tables(county):
    cat = county.catalogue
    sec = sc.section_headline(county)
    records = {r.kind: r for r in sec.data["records"]}
    _check_rendered(sec, sec.data["records"], cat)
    assert sec.text == "\n\n".join(r.text for r in sec.data["records"])
    head = sec.tables["headline"]
    # the index sentence states the table's index cell, and the index is the catalogue's
    idx = records["index"]
    assert idx.indicator == cat.index_code
    assert head.iloc[0][sc.HEADERS["value"]] == nv.format_number(idx.value, 1)
    assert idx.detail["reference_name"] == county.city_name
    # best and worst dimension: the highest and lowest scores of the index section's table
    index_table = sc.section_index(county).tables["index"].set_index(sc.HEADERS["dimension"])
    dims = {cat.label(d): d for d in cat.dimensions["code"]}
    scores = {dims[n]: float(v) for n, v in index_table[sc.HEADERS["score"]].items() if n in dims}
    d = records["dimensions"].detail
    assert d["best"] == max(scores, key=scores.get) and d["worst"] == min(scores, key=scores.get)
    assert nv.format_number(d["best_score"], 1) == index_table.loc[cat.label(d["best"]), sc.HEADERS["score"]]
    assert nv.format_number(d["worst_score"], 1) == index_table.loc[cat.label(d["worst"]), sc.HEADERS["score"]]
    # traffic lights: the counts of the gap table's status column (a reached benchmark set below
    # a published average is green, shown with its own word)
    gaps = sc.section_gap_table(county).tables["gaps"]
    words = gaps[sc.HEADERS["status"]].value_counts()
    lights = records["lights"].detail
    hollow = int(words.get(load_labels().texts.get("status.reached_below_average"), 0))
    for s in ("green", "yellow", "orange", "red"):
        assert lights[s] == int(words.get(nv.STATUS_ZH[s], 0)) + (hollow if s == "green" else 0), s
    assert lights["n_scored"] == int((gaps[sc.HEADERS["value"]] != "—").sum())
    plt.close("all")


@pytest.mark.parametrize("code", ["340705", "340706", "340711", "340722"])
def test_weakest_link_records_match_the_gap_table_and_the_catalogue(demo_dir, code):
    """Each weak-indicator record names an indicator of its own task and dimension (catalogue)
    and states the gap table's value, benchmark and source; each weak-task record names a worst
    indicator of that task."""
    a = region.analyse_region(region.load_report_context(str(demo_dir), code, YEAR), n_runs=0)
    cat = a.catalogue
    sec = sc.section_weakest_links(a)
    records = sec.data["records"]
    _check_rendered(sec, records, cat)
    task_of = dict(zip(cat.indicators["indicator_id"], cat.indicators["task_id"], strict=True))
    parent = dict(zip(cat.framework["code"], cat.framework["parent"], strict=True))
    gaps = sc.section_gap_table(a).tables["gaps"]
    row_of = dict(zip(cat.scored_ids, range(len(cat.scored_ids)), strict=True))
    weak = [r for r in records if r.kind == "weak_indicator"]
    tasks = [r for r in records if r.kind == "weak_task"]
    assert weak and tasks
    for r in weak:
        assert task_of[r.indicator] == r.task and parent[r.task] == r.dimension
        _, unit, dec = nv.indicator_format(cat, r.indicator)
        row = gaps.iloc[row_of[r.indicator]]
        assert row[sc.HEADERS["indicator"]] == cat.label(r.indicator)
        assert row[sc.HEADERS["task"]] == cat.label(r.task)
        assert row[sc.HEADERS["value"]] == nv.format_value(r.value, unit, dec)
        assert row[sc.HEADERS["benchmark"]] == nv.format_value(r.benchmark, unit, dec)
        assert row[sc.HEADERS["benchmark_source"]] == r.source
        assert f"任务“{cat.label(r.task)}”" in r.text and nv.format_value(r.value, unit, dec) in r.text
    for r in tasks:
        assert task_of[r.indicator] == r.task and parent[r.task] == r.dimension
        assert cat.label(r.indicator) in r.text
    plt.close("all")


def test_weakest_link_records_from_a_hand_made_frame():
    """Literal links (catalogue ids of the packaged catalogue): the record keeps the codes, the
    numbers and the source phrase; the sentence is rendered from them."""
    from hemei_tools.catalogue import load_catalogue

    cat = load_catalogue()
    iid = cat.scored_ids[0]
    task = str(cat.indicators.set_index("indicator_id").loc[iid, "task_id"])
    dim = str(cat.framework.set_index("code").loc[task, "parent"])
    links = pd.DataFrame([
        {"kind": "indicator", "code": iid, "indicator_id": iid, "task_id": task, "dimension_id": dim,
         "value": 12.34, "benchmark": 50.0, "abs_gap": 37.66, "distance": 60.0, "benchmark_region": "China",
         "benchmark_year": 2022, "benchmark_kind": "target", "worst_indicator": iid},
        {"kind": "task", "code": task, "indicator_id": task, "task_id": task, "dimension_id": dim,
         "value": None, "benchmark": None, "abs_gap": None, "distance": 40.25, "benchmark_region": None,
         "benchmark_year": None, "benchmark_kind": None, "worst_indicator": iid},
    ])
    ind, tk = nv.weakest_links_records("A县", links, cat)
    assert (ind.kind, ind.task, ind.dimension, ind.indicator, ind.value, ind.benchmark, ind.source) == (
        "weak_indicator", task, dim, iid, 12.34, 50.0, "全国2022年目标")
    assert ind.detail["rank"] == 1 and ind.detail["abs_gap"] == 37.66
    assert (tk.kind, tk.task, tk.indicator, tk.detail["distance"]) == ("weak_task", task, iid, 40.25)
    assert tk.text.startswith("1. 任务“") and f"短板指标为{cat.label(iid)}" in tk.text
    assert nv.weakest_links_markdown("A县", links, cat) == nv.records_markdown("A县", [ind, tk])


def test_selection_records_match_their_tables(sel):
    elig = sc.section_selection_eligibility(sel)
    (r,) = elig.data["records"]
    _check_rendered(elig, [r], None)
    failures = elig.tables["failures"]
    assert r.detail["n_failed"] == failures[sc.HEADERS["village"]].nunique()
    assert r.detail["n_apps"] == len(sc.section_selection_scores(sel).tables["scores"])
    assert r.detail["n_ok"] == r.detail["n_apps"] - r.detail["n_failed"]

    short = sc.section_selection_shortlist(sel)
    (r,) = short.data["records"]
    _check_rendered(short, [r], None)
    t = short.tables["shortlist"]
    assert r.detail["total"] == int((t[sc.HEADERS["selected"]] == "是").sum())
    assert r.detail["n_robust"] == int((t[sc.HEADERS["label"]] == sc.LABEL_ZH["robust"]).sum())

    dec = sc.section_selection_decision(sel)
    (r,) = dec.data["records"]
    _check_rendered(dec, [r], None)
    kinds = dec.tables["disagreements"][sc.HEADERS["decision_synthetic"]].value_counts()
    assert r.detail["decision_only"] == int(kinds.get(label("selection.decision_only_synthetic"), 0))
    assert r.detail["model_only"] == int(kinds.get(label("selection.model_only_synthetic"), 0))
    assert r.detail["agree"] == r.detail["n_applicants"] - r.detail["decision_only"] - r.detail["model_only"]
    # the fixture's decision differs from the model's list in one village each way
    assert (r.detail["decision_only"], r.detail["model_only"]) == (1, 1) == tuple(kinds.sort_index(ascending=False))
    assert r.detail["n_applicants"] == len(sel.shortlist) and r.detail["agree"] == len(sel.shortlist) - 2
    plt.close("all")


# ---------------------------------------------------------------------------------- selection words
def test_synthetic_selection_says_sample_decision_and_marks_every_named_village(sel):
    """The demo's ``selected`` column is synthetic: no 实际决定, and every village named with a
    judgement (failed rule, disagreement, score, shortlist, flip) carries （模拟） beside it."""
    dec = sc.section_selection_decision(sel)
    words = dec.text + dec.html()
    assert "实际" not in words
    assert dec.parts[0].data == "## 与示例决定（模拟）的比较"
    assert "模型名单与示例决定（模拟）" in dec.text and "不是真实评选结果" in dec.text
    d = dec.tables["disagreements"]
    assert set(d[sc.HEADERS["decision_synthetic"]]) <= {"示例入选、模型未选（模拟）", "模型入选、示例未选（模拟）"}
    assert d[sc.HEADERS["village"]].str.endswith("（模拟）").all()
    assert all(t == "" or t.endswith("（模拟）") for t in d[sc.HEADERS["explained_by"]])
    elig = sc.section_selection_eligibility(sel).tables["failures"]
    assert len(elig) > 0
    assert elig[sc.HEADERS["village"]].str.endswith("（模拟）").all()
    assert elig[sc.HEADERS["rule"]].str.endswith("（模拟）").all()
    assert "无未整改重大违规（模拟）" in set(elig[sc.HEADERS["rule"]])
    for fn, key in ((sc.section_selection_scores, "scores"), (sc.section_selection_shortlist, "shortlist")):
        assert fn(sel).tables[key][sc.HEADERS["village"]].str.endswith("（模拟）").all()
    flips = sc.section_selection_flips(sel).tables.get("flips")
    if flips is not None:
        assert flips[sc.HEADERS["village"]].str.endswith("（模拟）").all()
    plt.close("all")


def test_real_selection_says_actual_decision(sel):
    real = dataclasses.replace(sel, synthetic=False)
    dec = sc.section_selection_decision(real)
    assert dec.parts[0].data == "## 与实际决定的比较"
    assert "模型名单与实际决定" in dec.text and "（模拟）" not in dec.text + dec.html()
    d = dec.tables["disagreements"]
    assert set(d[sc.HEADERS["decision"]]) <= {"实际入选、模型未选", "模型入选、实际未选"}
    plt.close("all")


def test_report_section_marks_and_published_section_does_not(county):
    """The two decorators on the same section body, given synthetic data: a chart and a table."""

    def body(a):
        fig = Figure(figsize=(3, 2))
        fig.add_subplot().plot([0, 1])
        return sp.Section(parts=(fig, sp._styler(pd.DataFrame({"x": [1]}))))

    marked = sp.report_section(body)(county)
    assert len(_marks(marked.figures[0])) == 1 and MARK in marked.parts[1].caption
    plain = sp.published_section(lambda a: body(a))(county)
    assert _marks(plain.figures[0]) == [] and not plain.parts[1].caption
    assert sp.report_section(marked := sp.report_section(body)) is marked  # decorating twice is a no-op
