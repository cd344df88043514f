"""Report sections on the Tongling demo data: numbers checked against the engine, recomputed here."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import format_label, label
from hemei_tools.engine import region
from hemei_tools.engine.imbalance import gini
from hemei_tools.errors import SectionError
from hemei_tools.present import narrative as nv
from hemei_tools.present import notebook
from hemei_tools.present import sections as sc
from hemei_tools.present.style import STATUS_COLOURS

COUNTY = "340722"
YEAR = 2023


@pytest.fixture(scope="module")
def ctx(demo_dir):
    from hemei_tools.engine.region import load_report_context

    return load_report_context(str(demo_dir), COUNTY, YEAR)


@pytest.fixture(scope="module")
def a(ctx):
    return region.analyse_region(ctx, n_runs=50, seed=7)


@pytest.fixture(scope="module")
def city(demo_dir):
    from hemei_tools.engine.region import load_report_context

    return region.analyse_region(load_report_context(str(demo_dir), "", YEAR), n_runs=20, seed=7)


@pytest.fixture(scope="module")
def sel(ctx):
    return region.analyse_selection(ctx, n_runs=100, seed=7)


def _county_index(a, code=COUNTY) -> float:
    s = a.result.index_scores("county", YEAR)
    return float(s.loc[s["unit_code"] == code, "score"].iloc[0])


def test_headline_equals_engine_scores(a):
    sec = sc.section_headline(a)
    s = a.result.index_scores("county", YEAR)
    score = _county_index(a)
    # amean with equal dimension weights: the index is the plain mean of the four dimension scores
    dims = a.result.wide("county", "dimension", YEAR).loc[COUNTY]
    assert score == pytest.approx(dims.mean(), abs=1e-9)
    higher = int((s["score"] > score).sum())
    assert sec.data["index_score"] == pytest.approx(score)
    assert sec.data["index_rank"] == higher + 1
    assert sec.data["n_peers"] == 4
    assert f"和美指数为{nv.format_number(score, 1)}" in sec.text
    assert f"列第{higher + 1}位" in sec.text
    assert sec.tables["headline"].iloc[0, 1] == nv.format_number(score, 1)
    # traffic-light counts add up to the number of scored indicators with a value
    assert sum(sec.data["status_counts"].values()) == sec.data["n_scored"] == 33


def test_gap_table_one_row_per_scored_indicator_with_colours(a):
    sec = sc.section_gap_table(a)
    table = sec.tables["gaps"]
    cat = a.catalogue
    assert len(table) == len(cat.scored_ids)
    assert table[sc.HEADERS["indicator"]].tolist() == [cat.label(i) for i in cat.scored_ids]
    g = a.gaps[(a.gaps["level"] == "county") & (a.gaps["unit_code"] == COUNTY)].set_index("indicator_id")
    first = cat.scored_ids[0]
    _, unit, dec = nv.indicator_format(cat, first)
    assert table[sc.HEADERS["value"]].iloc[0] == nv.format_value(g.loc[first, "value"], unit, dec)
    status_zh = table[sc.HEADERS["status"]]
    # a benchmark reached but below a published Anhui/national average is no green 达标
    hollow = ((g.loc[cat.scored_ids, "status"] == "green")
              & (g.loc[cat.scored_ids, "benchmark_flag"] == "below_average")).to_numpy()
    assert status_zh.tolist() == [label("status.reached_below_average") if h else nv.STATUS_ZH[s]
                                  for s, h in zip(g.loc[cat.scored_ids, "status"], hollow, strict=True)]
    html = sec.html()
    assert "row_heading" not in html  # no index column
    # each status cell is painted in its traffic-light colour; a hollow one in none
    colour_of = {}
    for selectors, colour in re.findall(r"([^{}]+)\{\s*background-color: (#[0-9a-f]+)", html):
        for cell in re.findall(r"row\d+_col\d+", selectors):
            colour_of[cell] = colour
    j = table.columns.get_loc(sc.HEADERS["status"])
    for i, (status, h) in enumerate(zip(g.loc[cat.scored_ids, "status"], hollow, strict=True)):
        assert colour_of.get(f"row{i}_col{j}") == (None if h else STATUS_COLOURS[status])
    # the flagged benchmarks (toilets 85 % and tap water 85 %, national 2022 targets below Anhui's
    # averages 88.4 % and 97 %) say so in their source cell, reached or not
    flagged = g.loc[cat.scored_ids, "benchmark_flag"] == "below_average"
    assert flagged[flagged].index.tolist() == ["toilet_rate", "tap_water_rate"]
    source = table[sc.HEADERS["benchmark_source"]]
    assert source[flagged.to_numpy()].str.contains("基准低于安徽").all()
    assert not source[~flagged.to_numpy()].str.contains("基准低于").any()
    assert not any(cell.endswith(f"_col{j - 1}") for cell in colour_of)
    reached = (g.loc[cat.scored_ids, "abs_gap"] <= 0).to_numpy()
    assert reached.any() and (~reached).any()
    assert (table.loc[reached, sc.HEADERS["gap"]] == "已达到").all()
    assert table.loc[~reached, sc.HEADERS["gap"]].str.match(r"^[\d,.]+").all()
    assert len(sec.figures) == 1


def test_weakest_links_sentences_carry_value_and_source(a):
    sec = sc.section_weakest_links(a)
    top = a.links[a.links["kind"] == "indicator"].iloc[0]
    _, unit, dec = nv.indicator_format(a.catalogue, top["code"])
    assert nv.format_value(top["value"], unit, dec) in sec.text
    words = {"reference": "参照值", "standard": "政策标准"} if top["benchmark_region"] in ("reference", "policy") else {}
    assert words.get(str(top["benchmark_kind"]), nv.region_label(top["benchmark_region"])) in sec.text
    # the worst indicator is the one furthest from the benchmark, recomputed from the gaps
    g = a.gaps[(a.gaps["level"] == "county") & (a.gaps["unit_code"] == COUNTY)]
    assert top["code"] == g.sort_values(["distance", "rel_gap"], ascending=False)["indicator_id"].iloc[0]
    assert a.catalogue.label(top["task_id"]) in sec.text


def test_index_section_radar_and_ranks(a):
    sec = sc.section_index(a)
    t = sec.tables["index"]
    assert t[sc.HEADERS["score"]].iloc[0] == nv.format_number(_county_index(a), 1)
    assert len(t) == 5
    ax = sec.figures[0].axes[0]
    assert ax.name == "polar"


def test_village_ranks_within_county(a, ctx):
    sec = sc.section_village_ranks(a)
    r = sec.data["ranks"]
    v = a.result.index_scores("village", YEAR)
    v = v[v["county_code"] == COUNTY]
    assert len(r) == v["score"].notna().sum() == len(ctx.villages)
    assert r["nominal"].min() == 1
    assert r["unit_code"].iloc[0] == v.sort_values("score", ascending=False)["unit_code"].iloc[0]
    assert (r["p05"] <= r["median"]).all() and (r["median"] <= r["p95"]).all()
    assert len(sec.tables["ranks"]) == 2 * sc.TABLE_ENDS + 1
    # the page shows the ends, the download every village, best first
    full = sec.downloads["ranks"]
    assert len(full) == len(ctx.villages) and full[sc.HEADERS["village"]].iloc[0] == r["unit_name"].iloc[0]
    again = region._village_ranks(region._village_draws(a.values, a.catalogue, a.result.spec, YEAR, 50, 7),
                                  a.values, "county", COUNTY)
    pd.testing.assert_frame_equal(again, r)


def test_imbalance_matches_gini_of_village_scores(a):
    sec = sc.section_imbalance(a)
    v = a.result.index_scores("village", YEAR)
    expected = gini(v.loc[v["county_code"] == COUNTY, "score"].to_numpy(float))
    assert sec.tables["imbalance"][sc.HEADERS["gini"]].iloc[0] == nv.format_number(expected, 3)
    assert f"基尼系数为{nv.format_number(expected, 3)}" in sec.text
    assert len(sec.figures) == 1


def test_plan_and_ledger_numbers(a, ctx):
    plan = sc.section_plan_progress(a)
    p = plan.data["plan"]
    # the county has no target of its own (its 2023 quota is an input of the selection): it
    # shows the city's targets with its own part of each, and the province's
    assert {"3407", "34", COUNTY} == set(p["region_code"])
    assert set(p.loc[p["region_code"] == COUNTY, "status"]) == {"contribution"}
    assert (p.loc[p["region_code"] == COUNTY, "target_region"] == "3407").all()
    own = p[(p["region_code"] == COUNTY) & (p["item"] == "boutique_village")].iloc[0]
    v = ctx.villages
    boutique = v[(v["village_type"] == "精品示范村") & (pd.to_numeric(v["designation_year"]) > 2022)
                 & (pd.to_numeric(v["designation_year"]) <= YEAR)]
    status = boutique["build_status"].value_counts()
    assert own["designated"] == len(boutique) == 3
    assert (own["declared"], own["under_construction"], own["accepted"]) == (
        status.get("申报", 0), status.get("在建", 0), status.get("已验收", 0))
    assert own["actual"] == own["accepted"]  # judged on accepted villages
    # one city's villages cannot judge the province's schedule: no verdict, the city's share only
    province = p[p["region_code"] == "34"]
    assert set(province["status"]) == {"partial", "not started"}  # central villages: from 2024
    assert province.loc[province["status"] == "partial", "expected"].isna().all()
    assert "落后于进度" not in plan.tables["plan"].loc[(p["region_code"] == "34").to_numpy()].to_string()
    ledger = sc.section_ledger(a)
    projects = ctx.dataset.projects
    mine = projects[projects["village_code"].astype(str).str[:6] == COUNTY]
    assert f"共有项目{len(mine)}个" in ledger.text
    assert f"已完工{int((mine['status'] == '已完工').sum())}个" in ledger.text
    assert ledger.tables["ledger"][sc.HEADERS["n_projects"]].sum() == len(mine)
    assert "统计截至2023年12月31日" in ledger.text  # the data set's as-of date (metadata.json)


def test_plan_sentences_say_what_the_table_says(a, city):
    """Each target's sentence is rendered from a record; every number the record states is the
    number in the target's table row, and the basis (已验收) is named; 2023 at the data's as-of
    date: the forwarded boutique villages are not counted as built."""
    for analysis in (a, city):
        sec = sc.section_plan_progress(analysis)
        table, p = sec.tables["plan"], sec.data["plan"]
        records = sec.data["records"]
        targets = p[p["target_region"] == ""]
        assert len(records) == len(targets)
        for rec, (i, row) in zip(records, targets.iterrows(), strict=True):
            t = table.loc[i]
            d = rec.detail
            assert (d["programme"], d["region_code"], d["item"]) == (row["programme"], row["region_code"],
                                                                      row["item"])
            for col, key in (("header.declared", "declared"), ("header.under_construction", "under_construction"),
                             ("header.accepted", "accepted")):
                assert t[label(col)] == nv.format_number(d[key], 0)
            assert t[sc.HEADERS["target"]] == nv.format_number(d["target_new"], 0)
            assert t[sc.HEADERS["plan_status"]] in rec.text or row["status"] == "partial"
            if row["status"] in ("ahead", "on schedule", "behind"):
                assert t[sc.HEADERS["expected"]] == nv.format_number(d["expected_whole"], 0)
                assert f"按进度应完成约{t[sc.HEADERS['expected']]}个，按已验收计" in rec.text
                assert f"新增已验收{t[label('header.accepted')]}个" in rec.text
            parts = p[(p["target_region"] == row["region_code"]) & (p["item"] == row["item"])
                      & (p["programme"] == row["programme"])]
            assert [q["region_code"] for q in d["parts"]] == parts["region_code"].tolist()
        text = sec.text
        assert "已新增" not in text and "0.2个" not in text and "2023–2023" not in text
        boutique = targets[(targets["region_code"] == "3407") & (targets["item"] == "boutique_village")].iloc[0]
        assert boutique["accepted"] == 0 and boutique["designated"] == 10 and boutique["status"] == "behind"


def test_city_counts_are_the_sums_of_its_counties(city, demo_dir):
    """Plan counts, programme units and overdue projects: the city's equal the sum of its
    counties', and every report on the data set uses the same as-of date."""
    p = city.plan
    cols = ["designated", "declared", "under_construction", "accepted"]
    for (programme, item), rows in p[p["region_code"] == "3407"].groupby(["programme", "item"]):
        parts = p[(p["target_region"] == "3407") & (p["programme"] == programme) & (p["item"] == item)]
        assert len(parts) == 4
        assert parts[cols].sum().tolist() == rows[cols].iloc[0].tolist(), item
    u = city.programmes.set_index(["region_code", "item"])
    for item in u.index.get_level_values("item").unique():
        counties = u.xs(item, level="item").drop(index="3407")
        assert counties[cols].sum().tolist() == u.loc[("3407", item), cols].tolist(), item
    assert u.loc[("3407", "natural_village"), "accepted"] == 121
    overdue, dates = 0, set()
    for code in ("340705", "340706", "340711", "340722"):
        ctx = region.load_report_context(str(demo_dir), code, YEAR)
        _, total = region._ledger(ctx, "county")
        overdue += int(total["n_overdue"].iloc[0])
        dates.add(pd.Timestamp(total["as_of"].iloc[0]))
    assert dates == {pd.Timestamp("2023-12-31")} == {pd.Timestamp(city.ledger_total["as_of"].iloc[0])}
    assert overdue == int(city.ledger_total["n_overdue"].iloc[0])


def test_plan_section_shows_every_programme_unit_and_the_honours(a, city):
    sec = sc.section_plan_progress(city)
    units = sec.tables["programmes"]
    row = units[(units[sc.HEADERS["region"]] == "铜陵市") & (units[label("header.programme_unit")] == "美丽宜居自然村庄")]
    assert row[label("header.accepted")].tolist() == ["121"]
    demo_county = p = city.plan
    demo_county = p[(p["region_code"] == "3407") & (p["item"] == "demo_county")].iloc[0]
    # 义安区 builds the 示范县 (assumed, synthetic): judged from data, whole units, no verdict yet
    assert (demo_county["under_construction"], demo_county["status"]) == (1, "not due")
    assert "村庄名录无法统计" not in sec.text
    assert "县区称号：义安区获“全国村庄清洁行动先进县”（2021年）" in sec.text
    assert "枞阳县获“全省美丽乡村建设先进县（区）”（2021–2023年，连续3年）" in sec.text
    assert [r.kind for r in sec.data["designation_records"]] == ["designations"]
    mine = sc.section_plan_progress(a)
    assert "义安区" not in "".join(r.text for r in mine.data["designation_records"])


def test_data_quality_reports_missing_values(ctx):
    obs = ctx.dataset.observations
    first = ctx.catalogue.scored_ids[0]
    drop = set(ctx.villages["village_code"].astype(str).iloc[:7])
    keep = ~((obs["indicator_id"] == first) & (obs["year"] == YEAR) & obs["village_code"].astype(str).isin(drop))
    thinner = dataclasses.replace(ctx, dataset=dataclasses.replace(ctx.dataset, observations=obs[keep]))
    sec = sc.section_data_quality(region.analyse_region(thinner, n_runs=5))
    row = sec.data["coverage"].set_index("indicator_id").loc[first]
    n = len(ctx.villages)
    assert row["with_value"] == n - 7
    assert row["coverage"] == pytest.approx((n - 7) / n * 100)
    assert sec.tables["coverage"][sc.HEADERS["indicator"]].tolist() == [ctx.catalogue.label(first)]
    assert f"{len(ctx.catalogue.scored_ids) - 1}项覆盖全部{n}个村" in sec.text


def test_appendix_lists_every_benchmark_url(a):
    sec = sc.section_appendix(a)
    html = sec.html()
    urls = a.catalogue.benchmarks["source_url"].dropna()
    urls = [u for u in urls if str(u).startswith("http")]
    assert urls
    for u in urls:
        assert f'href="{u.replace("&", "&amp;")}"' in html  # an HTML attribute writes & as &amp;
    # every published figure, and every goalpost without one (policy standard, pinned reference,
    # pinned floor); not the alternatives drawn only by the uncertainty analysis
    c = a.catalogue.comparison_set()
    assert len(sec.tables["benchmarks"]) == len(a.catalogue.benchmarks) + 15 + 2
    assert len(sec.tables["benchmarks"]) == int((c["role"] != "alternative").sum())
    assert len(sec.tables["indicators"]) == len(a.catalogue.scored_ids)
    # the index settings by their Chinese names and values (no normaliser / amean / False / {})
    spec = sec.tables["spec"].set_index(sc.HEADERS["parameter"])[sc.HEADERS["setting"]]
    assert spec["标准化方法"] == "目标值法（基准=100，下限=0）" and spec["汇总方法"] == "加权算术平均"
    assert spec["缺失值处理方法"] == "不插补（缺失值不参与计算）" and spec["权重调整"] == "无（采用指标目录中的权重）"
    assert not {"normaliser", "aggregator", "imputation"} & set(spec.index)
    assert not {"goalposts", "amean", "none", "False", "{}", "[]"} & set(spec)


def test_city_overview_has_four_counties(city):
    assert (city.level, city.unit_code, city.unit_name, city.child_level) == ("city", "3407", "铜陵市", "county")
    sec = sc.section_children(city)
    t = sec.tables["children"]
    assert len(t) == 4
    assert sec.parts[0].data == "## 各县区对比" and t.columns[0] == "县区"
    s = city.result.index_scores("county", YEAR)
    assert t[city.catalogue.label(city.catalogue.index_code)].tolist() == s["score"].round(1).tolist()
    imb = sc.section_children_imbalance(city)
    d = imb.tables["decomposition"]
    assert len(imb.tables["children"]) == 4
    pooled = city.imbalance[(city.imbalance["group"] == "all")].iloc[0]
    assert pooled["theil_between"] + pooled["theil_within"] == pytest.approx(pooled["theil"])
    assert d[sc.HEADERS["theil"]].iloc[0] == nv.format_number(pooled["theil"], 3)
    assert imb.parts[0].data == "## 县区间与县区内不平衡" and "县区之间的差异" in imb.text
    assert len(imb.figures[0].axes) == 1  # four counties: overlaid curves
    plan = sc.section_plan_progress(city).data["plan"]
    assert len(plan) >= 5
    # one city's villages: the province rows show the city's share, with no verdict
    assert set(plan.loc[plan["region_code"] == "34", "status"]) <= {"partial", "not started"}


def test_selection_sections(sel):
    elig = sc.section_selection_eligibility(sel)
    assert elig.data["n_eligible"] == int(sel.applicants["eligible"].sum())
    scores = sc.section_selection_scores(sel)
    assert len(scores.tables["scores"]) == len(sel.applicants)
    short = sc.section_selection_shortlist(sel)
    assert (short.tables["shortlist"][sc.HEADERS["selected"]] == "是").sum() == sel.total
    assert len(short.figures) == 1
    assert len(sc.section_selection_profile(sel).figures) == 1
    sc.section_selection_flips(sel)
    dec = sc.section_selection_decision(sel)
    s = sel.comparison.summary.iloc[0]
    assert f"有{int(s['agree'])}个一致" in dec.text


def test_sections_close_their_figures_and_display_once(a, monkeypatch):
    plt.close("all")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    for _, fn in sc.COUNTY_SECTIONS:
        sec = fn(a)
        for fig in sec.figures:
            assert fig.dpi <= 100
        sec._ipython_display_()
    assert plt.get_fignums() == []
    # each figure once, as its 2× PNG bundle (present/downloads.show_figure)
    assert sum(isinstance(p, dict) and "image/png" in p for p in shown) >= 6


def test_unknown_year_is_a_clear_error(ctx):
    with pytest.raises(SectionError, match=re.escape("years with data")):
        region.analyse_region(dataclasses.replace(ctx, year=1999))


def test_tables_are_small(a):
    html = "".join(fn(a).html() for _, fn in sc.COUNTY_SECTIONS)
    assert len(html.encode()) < 200_000
    assert not np.any(["Unnamed" in c for c in sc.section_gap_table(a).tables["gaps"].columns])


def test_trend_section_and_explorer(a, demo_dir):
    iid = a.catalogue.scored_ids[1]
    sec = sc.section_trend(a, iid)
    row = a.gaps[(a.gaps["level"] == "county") & (a.gaps["unit_code"] == COUNTY)
                 & (a.gaps["indicator_id"] == iid)].iloc[0]
    _, unit, dec = nv.indicator_format(a.catalogue, iid)
    assert f"为{nv.format_value(row['value'], unit, dec)}" in sec.text
    ax = sec.figures[0].axes[0]
    assert len([ln for ln in ax.lines if ln.get_marker() == "o"]) == 2  # county and city
    with pytest.raises(SectionError, match="unknown scored indicator"):
        sc.section_trend(a, "no_such_indicator")
    box = notebook.explore(str(demo_dir), COUNTY, YEAR, iid)
    county, year, indicator = box.children[0].children
    assert [c for _, c in county.options] == ["340705", "340706", "340711", "340722"]
    assert year.value == YEAR and indicator.value == iid
    plt.close("all")


def test_county_report_on_province_data_scores_its_city_against_province_goalposts():
    """With several cities in the data, a county report rolls up only its own city; its goalposts
    come from the catalogue alone, so the county's scores equal those of a build over the whole
    data set."""
    from types import SimpleNamespace

    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.demo import generate_demo
    from hemei_tools.engine.composite import build_index
    from hemei_tools.engine.region import RegionContext
    from hemei_tools.engine.rollup import aggregate_values

    t = generate_demo(scale="national", villages=5000, years=[2023], seed=7)
    v = t["villages"]
    cities = v["county_code"].str[:4]
    assert cities.nunique() >= 2
    county = str(v.loc[cities == cities.iloc[-1], "county_code"].iloc[0])
    cat = load_catalogue()
    ds = SimpleNamespace(villages=v, observations=t["observations"], projects=t["projects"].iloc[0:0],
                         applicants=t["applicants"].iloc[0:0])
    name = str(v.loc[v["county_code"] == county, "county_name"].iloc[0])
    ctx = RegionContext(ds, cat, county, name, 2023, True, Path("."))
    a = region.analyse_region(ctx, n_runs=5)
    assert set(a.values["unit_code"].astype(str).str[:4]) == {county[:4]}
    assert a.city_code == county[:4]

    full = build_index(aggregate_values(t["observations"], v, cat), cat)
    mine = a.result.index_scores("county", 2023).set_index("unit_code")["score"]
    whole = full.index_scores("county", 2023).set_index("unit_code")["score"]
    assert mine[county] == pytest.approx(whole[county], abs=1e-9)


def _cell_colours(html: str) -> dict[str, str]:
    colour_of = {}
    for selectors, colour in re.findall(r"([^{}]+)\{\s*background-color: (#[0-9a-f]+)", html):
        for cell in re.findall(r"row\d+_col\d+", selectors):
            colour_of[cell] = colour
    return colour_of


def test_rewording_a_status_keeps_its_colour(a, sel, monkeypatch):
    """Colours are keyed by status id, not by the word: new words in labels.csv change the tables'
    text and nothing else (before labels.csv, a rewording raised KeyError in these sections)."""
    from hemei_tools.catalogue import load_labels
    from hemei_tools.present.style import PLAN_STATUS_COLOURS, ROBUSTNESS_COLOURS

    texts = load_labels().texts
    new = {"status.red": "差得很远", "status.orange": "差距明显", "status.green": "已达基准",
           "plan_status.behind": "进度偏慢", "plan_status.ahead": "进度领先",
           "plan_status.on_schedule": "进度正常", "robustness.marginal": "待定", "robustness.robust": "确定入选"}
    for key, text in new.items():
        monkeypatch.setitem(texts, key, text)

    sec = sc.section_gap_table(a)
    table = sec.tables["gaps"]
    g = a.gaps[(a.gaps["level"] == "county") & (a.gaps["unit_code"] == COUNTY)].set_index("indicator_id")
    status = g.loc[a.catalogue.scored_ids, "status"]
    assert {"red", "orange", "green"} <= set(status)
    hollow = ((status == "green") & (g.loc[a.catalogue.scored_ids, "benchmark_flag"] == "below_average")).to_numpy()
    assert table[sc.HEADERS["status"]].tolist() == [label("status.reached_below_average") if h else nv.STATUS_ZH[s]
                                                    for s, h in zip(status, hollow, strict=True)]
    assert "差得很远" in set(table[sc.HEADERS["status"]]) and "差距很大" not in set(table[sc.HEADERS["status"]])
    colour_of = _cell_colours(sec.html())
    j = table.columns.get_loc(sc.HEADERS["status"])
    for i, (s, h) in enumerate(zip(status, hollow, strict=True)):
        assert colour_of.get(f"row{i}_col{j}") == (None if h else STATUS_COLOURS[s])

    sc.section_index(a)  # colours its status column the same way
    plan = sc.section_plan_progress(a)
    words = plan.tables["plan"][sc.HEADERS["plan_status"]]
    colour_of = _cell_colours(plan.html())
    j = plan.tables["plan"].columns.get_loc(sc.HEADERS["plan_status"])
    assert "behind" in set(plan.data["plan"]["status"])
    for i, s in enumerate(plan.data["plan"]["status"]):
        if s in PLAN_STATUS_COLOURS:
            assert words.iloc[i] == new[f"plan_status.{s.replace(' ', '_')}"]
            assert colour_of[f"row{i}_col{j}"] == PLAN_STATUS_COLOURS[s]

    short = sc.section_selection_shortlist(sel)
    t = short.data["table"]
    shown = short.tables["shortlist"][sc.HEADERS["label"]]
    colour_of = _cell_colours(short.html())
    j = short.tables["shortlist"].columns.get_loc(sc.HEADERS["label"])
    assert "robust" in set(t["label"])
    for i, lab in enumerate(t["label"]):
        assert shown.iloc[i] == sc.LABEL_ZH[lab]
        assert colour_of[f"row{i}_col{j}"] == ROBUSTNESS_COLOURS[lab]
    assert "确定入选" in set(shown)


def test_appendix_shows_publisher_and_source_kind(a):
    """Each published benchmark names its publisher and source kind; a figure whose only source
    is a repost reads 转载 next to the number (catalogue/labels.csv source_kind.*)."""
    table = sc.section_appendix(a).tables["benchmarks"]
    bm = a.catalogue.benchmarks
    # the published figures of benchmarks.csv first, in its order; then the policy standards and
    # pinned references, which have no publisher or source kind
    published = np.arange(len(table)) < len(bm)
    kinds = table[sc.HEADERS["source_kind"]]
    assert (table[sc.HEADERS["publisher"]].to_numpy()[published] == bm["publisher"].fillna("").to_numpy()).all()
    assert set(kinds[published]) <= {label(f"source_kind.{k}") for k in
                                      ("statistical_bulletin", "government", "official_media", "repost")}
    assert (kinds[~published] == "").all()
    repost = np.r_[(bm["source_kind"] == "repost").to_numpy(), np.zeros(len(table) - len(bm), dtype=bool)]
    assert repost.any() and (~repost & published).any()
    mark = format_label("appendix.repost_figure", value="")
    assert table.loc[repost, sc.HEADERS["benchmark"]].str.endswith(mark).all()
    assert not table.loc[~repost, sc.HEADERS["benchmark"]].str.endswith(mark).any()
    assert (kinds[repost] == label("source_kind.repost")).all()


def test_gap_table_trend_words_name_their_deadline(a):
    """The trend class is judged against the pace needed to reach the benchmark by the
    programme's end year (the latest province target year in plan_targets.csv: 2027), and the
    projected year is when today's benchmark value would be reached."""
    t = sc.section_gap_table(a).tables["gaps"]
    assert "趋势（对照2027年达到基准所需增速）" in t.columns
    years = t["按当前增速达到当前基准值"]
    assert years.str.fullmatch(r"约\d{4}年|已达到|—").all(), years.tolist()


# ---------------------------------------------------------------- the benchmark model in the report
def test_index_section_names_the_benchmark_and_its_composition(a):
    sec = sc.section_index(a)
    assert sec.tables["index"][sc.HEADERS["dimension"]].iloc[0] == "和美指数（基准=100）"
    comp = sec.tables["composition"]
    # the pinned reference goalposts were computed from the synthetic Anhui demo (synthetic=true)
    assert comp.columns.tolist() == [sc.HEADERS["dimension"], "浙江", "全国", "安徽", "政策标准", "参照值（模拟数据）"]
    # every task weighs 1/16: 7 Zhejiang figures carry 11/64 = 17.2 % of the index
    assert comp.iloc[0].tolist()[1:] == ["7项（17.2%）", "10项（31.8%）", "1项（3.1%）", "5项（13.5%）", "10项（34.4%）"]
    assert comp.iloc[1]["浙江"] == "3项（18.8%）"  # 宜居环境美: 3/64 of 1/4
    assert "只有“浙江”一列对照浙江公开数值" in sec.text


def test_zhejiang_index_sentence_says_what_its_table_says(a):
    """The 浙江对标指数 sentence is rendered from a record; each number it states is the one in its
    table, which is the engine's basis_index of the county and its city."""
    sec = sc.section_index(a)
    rec, t = sec.data["zhejiang_record"], sec.tables["zhejiang"]
    z = a.zhejiang.set_index(["level", "unit_code"])["score"]
    assert rec["score"] == z[("county", COUNTY)] and rec["reference_score"] == z[("city", "3407")]
    assert t["浙江对标指数"].tolist() == [nv.format_number(rec["score"], 1), nv.format_number(rec["reference_score"], 1)]
    assert t["与浙江差距（分）"].iloc[0] == nv.format_number(100 - rec["score"], 1)
    assert t["指标数"].iloc[0] == f"{rec['n_indicators']}/{rec['n_basis']}" == "7/7"
    assert t["占和美指数权重"].iloc[0] == "17.2%"
    text = nv.zhejiang_index_sentence(rec)
    assert text in sec.text
    for number in (t["浙江对标指数"].iloc[0], t["与浙江差距（分）"].iloc[0], t["浙江对标指数"].iloc[1], "17.2%"):
        assert number in text
    # what the 7 Zhejiang figures are, from benchmarks.csv: targets waste treatment (2019), waste
    # sorting (2022) and courtyards (2022–2025); Shaoxing's sewage coverage (2020); scenic
    # villages 2025 (after the report year 2023); collective income 2022 and rural income 2023
    # are province-wide actuals
    assert text.startswith("浙江对标指数（只用有浙江公开数值的7项指标，其中3项为浙江目标值、1项为浙江绍兴数值、"
                           "1项为2025年数值；按其")
    # sentence and composition table agree: the table's Zhejiang column counts the same 7, and
    # the catalogue's Zhejiang goalposts hold 3 targets and 1 city figure
    assert sec.tables["composition"]["浙江"].iloc[0].startswith(f"{rec['n_basis']}项")
    bm = a.catalogue.benchmarks
    zj = bm[(bm["basis"] == "zhejiang") & (bm["role"] == "benchmark")]
    assert len(zj) == rec["n_basis"] == 7
    assert (zj["kind"] == "target").sum() == rec["composition"]["n_target"] == 3
    assert zj["region"].str.contains(r"\(").sum() == sum(rec["composition"]["cities"].values()) == 1


def test_comparison_with_zhejiang_anhui_and_national_figures(a):
    sec = sc.section_gap_table(a)
    t = sec.tables["comparison"].set_index(sc.HEADERS["indicator"])
    assert len(t) == len(a.catalogue.scored_ids)
    html = sec.html()
    # a target is never called 实际; each figure links to its source
    # a figure whose only source is a repost (source_kind repost) says 转载, as the published facts do
    assert str(t.loc["农村居民人均可支配收入", "浙江"]).endswith(">40,311元（2023年实际，转载）</a>")
    assert str(t.loc["卫生厕所普及率", "全国"]).endswith(">85.0%（2022年目标）</a>")
    assert str(t.loc["卫生厕所普及率", "安徽"]).endswith(">88.4%（2023年实际，转载）</a>")
    assert str(t.loc["生活污水治理率", "浙江"]).endswith(">100.0%（浙江绍兴2020年实际，转载）</a>")
    assert str(t.loc["生活垃圾分类覆盖率", "浙江"]).endswith(">100.0%（2022年目标）</a>")  # a government page
    assert t.loc["标准化卫生室", "浙江"] == "—" and t.loc["标准化卫生室", "基准依据"] == "政策标准"
    # the reference was computed from the synthetic demo (reference_goalposts.csv synthetic=true)
    assert t.loc["主导产业产值", "基准依据"] == "参照值（模拟数据）"
    assert 'href="http://yiyang.gov.cn' in html


def test_gap_table_source_cells_say_simulated_reference_and_repost(a):
    """The gap table's 基准来源 cell names a reference goalpost computed from the synthetic demo
    (reference_goalposts.csv synthetic=true) 参照值（模拟数据）, and a figure whose only source is
    a repost (benchmarks.csv source_kind repost) 转载, as the comparison table and the
    published-facts tables do; the weakest-links sentences cite the same."""
    t = sc.section_gap_table(a).tables["gaps"].set_index(sc.HEADERS["indicator"])
    source = t[sc.HEADERS["benchmark_source"]]
    assert source["主导产业产值"] == "2023年参照值（模拟数据）"
    assert source["农村居民人均可支配收入"] == "浙江2023年实际（转载）"
    assert source["生活污水治理率"] == "浙江绍兴2020年实际（转载）"
    assert source["生活垃圾分类覆盖率"] == "浙江2022年目标"  # the Zhejiang government's English site
    assert source["卫生厕所普及率"] == "全国2022年目标；基准低于安徽2023年实际（转载）88.4%，达到基准不算达标"
    assert not source.str.contains("参照值(?!（模拟数据）)", regex=True).any()
    text = sc.section_weakest_links(a).text
    assert "浙江2023年实际（转载）40,311元" in text and "浙江2023年实际40,311元" not in text


def test_appendix_states_every_goalpost_with_basis_and_source(a):
    t = sc.section_appendix(a).tables["benchmarks"]
    bench = t[t[sc.HEADERS["role"]] == "基准"]
    assert len(bench) == len(a.catalogue.scored_ids)
    # the pinned references come from the synthetic demo: their basis says so, as the gap table does
    assert set(bench["基准依据"]) == {"浙江", "全国", "安徽", "政策标准", "参照值（模拟数据）"}
    policy = bench[bench["基准依据"] == "政策标准"]
    assert (policy[sc.HEADERS["source"]].astype(str) == "全覆盖（政策标准）").all() and len(policy) == 5
    ref = bench[bench["基准依据"] == "参照值（模拟数据）"]
    assert len(ref) == 10
    assert ref[sc.HEADERS["source"]].astype(str).str.contains("第90百分位（2023年；数据：安徽全省规模示例数据（hemei-tools程序生成，随机种子2023）").all()
    assert ref[sc.HEADERS["source"]].astype(str).str.contains("示例数据（模拟）").all()
    published = bench[~bench["基准依据"].isin(["政策标准", "参照值（模拟数据）"])]
    assert (published[sc.HEADERS["region"]] != "").all() and (published[sc.HEADERS["year"]] != "").all()
    assert published[sc.HEADERS["kind"]].isin(["实际值", "目标值", "标准"]).all()
    floors = t[t[sc.HEADERS["role"]] == "下限（0分）"]
    assert len(floors) == 2 and floors[sc.HEADERS["source"]].astype(str).str.contains("第2.5百分位").all()
    notes = t.set_index([sc.HEADERS["indicator"], sc.HEADERS["role"]])["说明"]
    assert notes[("卫生厕所普及率", "基准")].startswith("基准低于安徽2023年实际（转载）88.4%")


def test_zhejiang_wording_only_on_numbers_computed_from_zhejiang_figures(a):
    """No label attaches 浙江标杆 to anything; 浙江对标 names only the 浙江对标指数 (and its section),
    and a county report says 与浙江差距 only beside that index."""
    from hemei_tools.catalogue import load_labels

    texts = load_labels().texts
    assert not [k for k, v in texts.items() if "浙江标杆" in v]
    # every 浙江对标 is the name of the 浙江对标指数 (the index section, its table, its sentences and
    # the summary's sentence about it)
    assert not [k for k, v in texts.items() if v.count("浙江对标") != v.count("浙江对标指数")]
    assert sorted(k for k, v in texts.items() if "浙江对标" in v) == [
        "header.zhejiang_index", "section.index", "sentence.zhejiang_index", "sentence.zhejiang_none",
        "summary.zhejiang", "summary.zhejiang_none", "tablename.zhejiang"]
    assert sorted(k for k, v in texts.items() if "与浙江差距" in v) == ["header.zhejiang_gap", "sentence.zhejiang_index"]
    from hemei_tools.present.summary_sections import section_summary

    for _, fn in sc.COUNTY_SECTIONS:
        sec = fn(a)
        words = sec.text + "".join(t.to_string() for t in sec.tables.values())
        if fn not in (sc.section_index, section_summary):
            assert "浙江对标" not in words and "与浙江差距" not in words, fn.__name__


def test_trend_sentence_of_a_benchmark_below_an_average_is_no_achievement(a):
    """Tap water: the national 2022 target (85 %) is below Anhui's published average (97 %); a
    county above 85 % is told so, never 已达到基准, and toilets (below it) get the note too."""
    g = a.gaps[(a.gaps["level"] == "county") & (a.gaps["unit_code"] == COUNTY)].set_index("indicator_id")
    for iid in ("tap_water_rate", "toilet_rate"):
        sec = sc.section_trend(a, iid)
        assert "基准低于安徽" in sec.text and sec.data["note"]
        reached = g.loc[iid, "status"] == "green"
        assert ("已达到基准" in sec.text) is False if reached else True
        if reached:
            assert "不低于全国2022年目标85.0%，但基准低于安徽约2024年实际（转载）97.0%，达到基准不算达标。" in sec.text
    assert sc.section_trend(a, "rural_income").data["note"] == ""


def test_a_reference_data_set_made_by_the_demo_is_named_in_words():
    """The appendix names the demo generator's data set in Chinese, not as its command line;
    any other data set name stays as it is."""
    assert sc.dataset_text("hemei demo --scale anhui --seed 2023") == "安徽全省规模示例数据（hemei-tools程序生成，随机种子2023）"
    assert sc.dataset_text("hemei demo --scale tongling --seed 7") == "铜陵市规模示例数据（hemei-tools程序生成，随机种子7）"
    assert sc.dataset_text("2023年全省统计") == "2023年全省统计"
    assert sc.dataset_text("hemei demo --scale anhui") == "hemei demo --scale anhui"
