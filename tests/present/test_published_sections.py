"""The 与浙江相差几年 and 公开数据对比 sections (present/published_sections.py) on the Tongling demo
and the three-city province: each sentence's record checked against the table it summarises.

Hand-computed anchors (published figures, Zhejiang rural disposable income 19,373 元 in 2014 and
24,956 元 in 2017, urban-rural ratio 2.09 in 2014 from 40,393 / 19,373):

* 铜陵市 2020, 17,102 元 < 19,373 → before the series (2014), at least 2020 − 2014 = 6 years behind;
  its ratio 41,180 / 17,102 = 2.41 > 2.09 → before 2014 as well, at least 6 years;
* 安徽省 2023, 21,144 元: t* = 2014 + 3 · ln(21,144 / 19,373) / ln(24,956 / 19,373) = 2014.97 →
  约2015年, 落后约8年; its ratio 2.24 > 2.09 → at least 2023 − 2014 = 9 years;
* same-year shares: 17,102 / 31,930 = 53.6 % (2020), 21,144 / 40,311 = 52.5 % (2023).
"""

from __future__ import annotations

import dataclasses
import html
import math
import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from hemei_tools.catalogue import label, load_catchup_series, load_published_facts
from hemei_tools.engine import region
from hemei_tools.engine.catchup import benchmark_series, years_behind
from hemei_tools.present import narrative as nv
from hemei_tools.present import published_sections as ps
from hemei_tools.present import sections as sc

YEAR = 2023


@pytest.fixture(scope="module")
def county(demo_dir):
    return region.analyse_region(region.load_region_context(str(demo_dir), "340722", YEAR), n_runs=0)


@pytest.fixture(scope="module")
def city(demo_dir):
    return region.analyse_region(region.load_region_context(str(demo_dir), "", YEAR), n_runs=0)


@pytest.fixture(scope="module")
def province(tmp_path_factory, isolated_cache):
    from province_data import write_province

    data = write_province(tmp_path_factory.mktemp("province"))
    return region.analyse_region(region.load_region_context(str(data), "", YEAR), n_runs=0)


def _records(sec, **where) -> list[dict]:
    return [r for r in sec.data["records"] if all(r[k] == v for k, v in where.items())]


def _one(sec, **where) -> dict:
    (rec,) = _records(sec, **where)
    return rec


def _data_value(a, level: str, code: str) -> float:
    v = a.values
    row = v[(v["level"].astype(str) == level) & (v["unit_code"].astype(str) == code)
            & (v["indicator_id"].astype(str) == "rural_income") & (v["year"] == YEAR)]
    return float(row["value"].iloc[0])


def test_published_anchor_figures(county):
    sec = ps.section_catchup(county)
    tl = _one(sec, topic="rural_income", origin="published", region_code="340700")
    assert (tl["value"], tl["year"], tl["status"], tl["min_years_behind"]) == (17102.0, 2020, "before_start", 6)
    ah = _one(sec, topic="rural_income", origin="published", region_code="340000")
    assert ah["equivalent_year"] == pytest.approx(2014 + 3 * math.log(21144 / 19373) / math.log(24956 / 19373))
    assert (ah["rounded_year"], ah["rounded_behind"]) == (2015, 8)
    tl_ratio = _one(sec, topic="income_ratio", region_code="340700")
    assert tl_ratio["value"] == pytest.approx(41180 / 17102, abs=1e-5)
    assert (tl_ratio["status"], tl_ratio["min_years_behind"]) == ("before_start", 6)
    ah_ratio = _one(sec, topic="income_ratio", region_code="340000")
    assert (ah_ratio["status"], ah_ratio["min_years_behind"]) == ("before_start", 9)
    text = sec.text
    assert "铜陵市2020年农村居民人均可支配收入17,102元" in text
    assert "相当于浙江早于2014年（序列起点）的水平，落后6年以上" in text
    assert "安徽省2023年农村居民人均可支配收入21,144元（公开数据：问答聚合页，转载）" in text
    assert "在浙江2014年（19,373元）与2017年（24,956元）之间按年均增速（对数线性）插值，相当于浙江约2015年水平，落后约8年" in text
    assert "铜陵市2020年城乡居民收入比2.41" in text and "落后9年以上" in text


def test_each_record_matches_its_table(county, city):
    """Data records carry the rolled-up value of the report year and the engine's placement on
    the published series; published records are the rows of published_facts.csv."""
    facts = load_published_facts().set_index("fact_id")
    cfg = load_catchup_series().set_index("topic")
    for a in (county, city):
        sec = ps.section_catchup(a)
        for rec in sec.data["records"]:
            c = cfg.loc[rec["topic"]]
            series = benchmark_series(load_published_facts(), rec["topic"], c["benchmark_region_code"], c["basis"])
            if rec["origin"] == "published":
                f = facts.loc[rec["fact_id"]]
                assert (rec["value"], rec["year"], rec["region_code"]) == (f["value"], f["year"], f["region_code"])
                assert f["basis"] == c["basis"] and f["kind"] == "actual"
            else:
                assert rec["value"] == _data_value(a, rec["level"], rec["unit_code"])
                assert rec["region_code"] == rec["unit_code"].ljust(6, "0")
                assert rec["year"] == YEAR
            expected = years_behind(rec["value"], rec["year"], series, int(c["direction"]), c["interpolation"])
            assert rec["status"] == expected.status
            assert rec["rounded_behind"] == expected.rounded_behind
            assert rec["min_years_behind"] == expected.min_years_behind
        table = sec.tables["rural_income"]
        rows = _records(sec, topic="rural_income")
        assert table[sc.HEADERS["region"]].tolist() == [r["name"] for r in rows]
        assert table[ps.CATCHUP_HEADERS["value"]].str.startswith(
            tuple(nv.format_number(r["value"], 0) for r in rows)).all()
        for cell, rec in zip(table[ps.CATCHUP_HEADERS["equivalent"]], rows, strict=True):
            if rec["status"] == "reached":
                assert cell == f"约{rec['rounded_year']}年"
                assert f"{rec['name']}{YEAR}年" in sec.text or rec["role"] != "unit"


def test_county_sentence_says_year_basis_and_interpolation(county):
    sec = ps.section_catchup(county)
    rec = _one(sec, topic="rural_income", role="unit")
    assert rec["origin"] == "synthetic" and rec["name"] == "枞阳县" and rec["year"] == YEAR
    value = nv.format_value(rec["value"], "元", 0)
    sentence = next(s for s in sec.text.split("\n\n") if s.startswith(f"枞阳县{YEAR}年"))
    assert value in sentence and "示例数据（模拟）" in sentence
    if rec["status"] == "reached":  # the demo county's income is synthetic: either case is checked
        assert f"相当于浙江约{rec['rounded_year']}年水平" in sentence
        assert f"落后约{YEAR - rec['rounded_year']}年" in sentence
        assert f"在浙江{rec['lower_year']}年" in sentence and "对数线性" in sentence
    else:
        assert rec["status"] == "before_start" and rec["value"] < 19373
        assert f"相当于浙江早于2014年（序列起点）的水平，落后{YEAR - 2014}年以上" in sentence
    assert "2013年及以前的“农村居民人均纯收入”是另一口径，不与之相接" in sec.text
    # the data hold no urban income: the ratio is shown from published figures only, and said so
    assert "枞阳县的数据中没有城乡居民收入比" in sec.text
    assert not _records(sec, topic="income_ratio", origin="synthetic")


def test_synthetic_rows_are_marked_in_table_caption_and_chart(county):
    sec = ps.section_catchup(county)
    table = sec.tables["rural_income"]
    origin = table[ps.CATCHUP_HEADERS["origin"]]
    assert set(origin[:2]) == {"模拟"} and set(origin[2:]) == {"公开数据"}
    stylers = [p for p in sec.parts if hasattr(p, "caption")]
    assert "示例数据（模拟）" in stylers[0].caption
    # the ratio table holds published figures only: no synthetic mark on it
    assert set(sec.tables["income_ratio"][ps.CATCHUP_HEADERS["origin"]]) == {"公开数据"}
    assert len(stylers) == 2 and "模拟" not in str(stylers[1].caption or "")
    fig = sec.figures[0]
    income_ax, ratio_ax = fig.axes
    assert [t.get_text() for t in income_ax.texts] == [label("catchup.chart.synthetic")]
    assert len(ratio_ax.texts) == 0  # the ratio panel holds published figures only
    # on real data the same rows say 本地数据 and nothing is marked
    real = dataclasses.replace(county, ctx=dataclasses.replace(county.ctx, synthetic=False))
    sec = ps.section_catchup(real)
    assert set(sec.tables["rural_income"][ps.CATCHUP_HEADERS["origin"]][:2]) == {"本地数据"}
    assert "模拟" not in "".join(sec.tables["rural_income"].astype(str).to_numpy().ravel())
    assert all(not ax.texts for ax in sec.figures[0].axes)
    plt.close("all")


def test_city_shows_each_county(city):
    sec = ps.section_catchup(city)
    units = _records(sec, topic="rural_income", origin="synthetic")
    assert [(r["role"], r["region_code"]) for r in units] == [
        ("unit", "340700"), ("child", "340705"), ("child", "340706"), ("child", "340711"), ("child", "340722")]
    for r in units[1:]:
        assert r["value"] == _data_value(city, "county", r["region_code"])


def test_province_shows_each_city_and_both_ends_of_the_series(province):
    """City values of the hand-made province: 3401 at the catalogue minimum (3,000 元, before
    2014), 3402 at the midpoint (51,500 元) and 3407 at the maximum (100,000 元): beyond Zhejiang's
    latest published year, 2024 (42,786 元)."""
    sec = ps.section_catchup(province)
    units = {r["region_code"]: r for r in _records(sec, topic="rural_income") if r["origin"] != "published"}
    assert list(units) == ["340000", "340100", "340200", "340700"]
    assert (units["340100"]["value"], units["340100"]["status"], units["340100"]["min_years_behind"]) == (
        3000.0, "before_start", 9)
    assert (units["340200"]["value"], units["340200"]["status"], units["340200"]["lower_year"]) == (
        51500.0, "beyond_latest", 2024)
    assert units["340700"]["status"] == "beyond_latest"
    assert "已超过浙江最新公布的2024年水平42,786元（转载）" in sec.text
    published = {r["region_code"] for r in _records(sec, origin="published")}
    assert published == {"340000", "340700"}  # Anhui and the one city with a published figure


def _texts(sec) -> str:
    cells = "".join(str(x) for t in sec.tables.values() for x in t.to_numpy().ravel())
    return sec.text + cells + "".join(str(c) for t in sec.tables.values() for c in t.columns)


def test_published_facts_hold_no_synthetic_number(county, city, province):
    """The section reads nothing from the village data: with every value scrambled and the data
    declared real or synthetic, text and tables stay the same, and no row says 模拟."""
    for a in (county, city, province):
        sec = ps.section_published_facts(a)
        scrambled = a.values.assign(value=a.values["value"] * 7 + 3)
        other = dataclasses.replace(a, values=scrambled, ctx=dataclasses.replace(a.ctx, synthetic=not a.ctx.synthetic))
        again = ps.section_published_facts(other)
        assert _texts(again) == _texts(sec)
        assert "模拟" not in _texts(sec)
        plt.close("all")


def test_published_facts_draw_no_second_chart_of_the_catchup_points(county, province):
    """Before: 公开数据对比 drew the catch-up chart again without the data units, under the same
    title (图4 and 图5 of the county report). Now its published points are only in the catch-up
    chart, every one of them there."""
    from hemei_tools.present.plots import chart_info

    for a in (county, province):
        facts_sec, catchup = ps.section_published_facts(a), sc.section_catchup(a)
        assert facts_sec.figures == [] and len(catchup.figures) == 1
        data = chart_info(catchup.figures[0]).data
        drawn = list(zip(data["数据系列"].astype(str), data["年份"].astype(int), data["数值"].astype(float),
                         strict=True))
        assert facts_sec.data["records"]
        for rec in facts_sec.data["records"]:  # the chart's table keeps 4 decimals
            series = label("catchup.chart.point").format(name=rec["region_zh"], origin=label("catchup.origin.published"))
            assert any(s == series and y == rec["year"] and abs(v - rec["value"]) < 1e-4 for s, y, v in drawn), rec
        plt.close("all")


def test_published_tables_are_the_facts_rows(county):
    sec = ps.section_published_facts(county)
    shown = sec.data["facts"]
    facts = load_published_facts().set_index("fact_id")
    for topic, table in sec.tables.items():
        rows = shown[shown["topic"] == topic]
        assert len(table) == len(rows)
        for cell, (_, f) in zip(table[ps.CATCHUP_HEADERS["value"]], rows.iterrows(), strict=True):
            ref = facts.loc[f["fact_id"]]
            assert nv.format_number(ref["value"], int(ref["decimals"])) in cell
            assert cell.endswith("（转载）") == (ref["source_kind"] == "repost")
        links = table[sc.HEADERS["source"]].astype(str)
        for link, url in zip(links, rows["source_url"], strict=True):
            assert (f'href="{html.escape(url)}"' in link) if url else ("<a" not in link)
    # the topics the issue names are all there, for the county's city, Anhui and Zhejiang
    assert list(sec.tables) == ["rural_income", "income_ratio", "village_standard", "pace", "investment"]
    assert set(shown["region_code"]) == {"340700", "340000", "330000"}
    standard = sec.tables["village_standard"][ps.CATCHUP_HEADERS["value"]].tolist()
    assert "60.6%" in standard and "超过90%" in standard
    pace = sec.tables["pace"][ps.CATCHUP_HEADERS["value"]].tolist()
    assert "10个/年" in pace and "约200个/年" in pace and "不少于200个/年（转载）" in pace


def test_same_year_sentences_from_records(county):
    sec = ps.section_published_facts(county)
    recs = {(r["topic"], r["region_zh"]): r for r in sec.data["records"]}
    tl = recs[("rural_income", "铜陵市")]
    assert (tl["year"], tl["value"], tl["benchmark_value"]) == (2020, 17102.0, 31930.0)
    assert tl["share"] == pytest.approx(17102 / 31930)
    assert "铜陵市2020年农村居民人均可支配收入17,102元，浙江同年31,930元，约为浙江的53.6%。" in sec.text
    ah = recs[("rural_income", "安徽省")]
    assert ah["share"] == pytest.approx(21144 / 40311)
    assert "约为浙江的52.5%" in sec.text and "浙江同年40,311元（转载）" in sec.text
    ratio = recs[("income_ratio", "铜陵市")]
    assert (ratio["benchmark_value"], ratio["direction"]) == (1.96, -1)
    assert "铜陵市2020年城乡居民收入比2.41，浙江同年1.96（越低越好）。" in sec.text
    # every sentence's figures are those of its records: no other number in the income lines
    income_lines = [s for s in sec.text.split("\n\n") if "约为浙江的" in s]
    assert len(income_lines) == 2


def test_scope_follows_the_report_level(demo_dir, city, province):
    yian = region.analyse_region(region.load_region_context(str(demo_dir), "340706", YEAR), n_runs=0)
    assert "340706" in set(ps.section_published_facts(yian).data["facts"]["region_code"])
    assert "340706" in set(ps.section_published_facts(city).data["facts"]["region_code"])  # its counties
    prov = set(ps.section_published_facts(province).data["facts"]["region_code"])
    assert prov == {"340000", "340700", "330000"}  # Anhui, its city with published figures, Zhejiang


def test_topic_words_cover_the_catalogue_topics():
    from hemei_tools.catalogue import PUBLISHED_TOPICS

    assert tuple(ps.TOPIC_ZH) == PUBLISHED_TOPICS


def test_sections_are_declared_for_both_reports():
    county = [fn for _, fn in sc.COUNTY_SECTIONS]
    region_fns = [fn for _, fn in sc.REGION_SECTIONS]
    for fns in (county, region_fns):
        i = fns.index(sc.section_index)
        assert fns[i + 1:i + 3] == [ps.section_catchup, ps.section_published_facts]
    headings = dict((fn.__name__, h) for h, fn in sc.COUNTY_SECTIONS)
    assert headings["section_catchup"] == label("section.catchup")
    assert headings["section_published_facts"] == label("section.published_facts") == "公开数据对比"


def test_plot_year_series_returns_its_axes():
    series = pd.Series([100.0, 400.0], index=[2010, 2012])
    points = pd.DataFrame({"label": ["a"], "year": [2020], "value": [200.0], "origin": ["synthetic"],
                           "status": ["reached"], "equivalent_year": [2011.0]})
    ax = ps.plot_year_series(series, points, "Z", interpolation="log", mark="M")
    curve = ax.lines[0]
    x, y = curve.get_data()
    assert y[list(x).index(2011.0)] == pytest.approx(200.0)  # constant growth: 100 → 200 → 400
    dotted = [ln for ln in ax.lines if ln.get_linestyle() == ":"]
    assert len(dotted) == 1 and list(dotted[0].get_xdata()) == [2011.0, 2020]
    assert [t.get_text() for t in ax.texts] == ["M"]
    assert re.search(r"a", ax.get_legend().get_texts()[1].get_text())
    plt.close("all")


def test_source_cells_render_as_links_not_escaped_markup(county):
    # pandas 3 infers the string dtype for an array of str subclasses: a Markup cell passed as a
    # numpy array lost its type and the escaping table printed "&lt;a href=…" as text
    sec = ps.section_published_facts(county)
    stylers = [p for p in sec.parts if hasattr(p, "to_html")]
    assert stylers
    for st in stylers:
        page = st.to_html()
        assert "&lt;a href" not in page
    assert any('<a href="http' in st.to_html() for st in stylers)
