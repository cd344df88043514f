"""结论摘要 and 乡镇与后进村 (:mod:`hemei_tools.present.summary_sections`), the small-unit wording of
the village ranking and imbalance sections, and the one banner.

Two data sets: the small city of ``tests/summary_data.py`` (numbers by hand, see
``tests/engine/test_summary.py``) for exact sentences, and the Tongling demo, where every record
is checked against the table of the section it summarises (headline, 浙江对标指数, gap table,
ledger, plan, townships).
"""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from summary_data import write_small_city

from hemei_tools.contract import SUMMARY_MIME, SYNTHETIC_BANNER
from hemei_tools.engine import region
from hemei_tools.engine import summary as sm
from hemei_tools.engine.region import analyse_region, coverage_frame, load_region_context
from hemei_tools.present import narrative as nv
from hemei_tools.present import sections as sc
from hemei_tools.present.summary_sections import section_summary, section_townships


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory, isolated_cache):
    return write_small_city(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def small(small_dir):
    return analyse_region(load_region_context(str(small_dir), "340722", 2023), n_runs=0)


@pytest.fixture(scope="module")
def demo(demo_dir):
    return analyse_region(load_region_context(str(demo_dir), "340722", 2023), n_runs=0)


@pytest.fixture(scope="module")
def demo_city(demo_dir):
    return analyse_region(load_region_context(str(demo_dir), "340700", 2023), n_runs=0)


@pytest.fixture(scope="module")
def tongguan(demo_dir):
    """铜官区: 12 villages in one township, with a (small) Monte Carlo ranking."""
    return analyse_region(load_region_context(str(demo_dir), "340705", 2023), n_runs=20, seed=7)


def _records(sec, kind):
    return [r for r in sec.data["records"] if r.kind == kind]


# ---------------------------------------------------------------------------------- by hand
def test_summary_sentences_by_hand(small):
    """Numbers of ``tests/engine/test_summary.py``'s docstring, as the sentences write them."""
    sec = section_summary(small)
    standing = _records(sec, "summary_standing")[0].text
    assert standing == ("枞阳县2023年和美指数91.7（基准=100），在铜陵市2个县区中列第2位，在数据所含本省3个县区中"
                        "列第2位；比2022年提高2.8分（89.0→91.7），排名未变（第2位）。")
    prio = [r.text for r in _records(sec, "summary_priority")]
    policy = nv.benchmark_phrase("policy", None, "standard", 100.0, "%", 1)  # 全覆盖（政策标准）100.0%
    assert prio == [
        "1. 规划建设管理（宜居环境美）距基准55.6分，最大短板是实用性村庄规划：5个村中约2个村达到（40.0%），还差约3个村"
        "（基准：全国2022年目标90.0%）。",
        "2. 产业联农带农富农（宜业生活美）距基准50.0分，最大短板是农村居民人均可支配收入为3,000元，距基准（浙江2023年实际"
        "（转载）40,311元）还差37,311元。",  # its only source is a repost (benchmarks.csv source_kind)
        "3. 农村公共服务功能（宜居环境美）距基准26.7分，最大短板是标准化卫生室：5个村中约1个村达到（20.0%），还差约4个村"
        f"（基准：{policy}）。",
    ]
    assert _records(sec, "summary_lagging")[0].text == (
        "低于枞阳县水平（91.7分）的乡镇有1个（共2个）：乙镇89.6分（最弱村：乙二村88.5分、乙一村90.6分）。")
    recs = [r.text for r in _records(sec, "summary_recommendation")]
    assert len(recs) == 4
    # one overdue project of one is fewer than 2: the action is the trend's, the evidence still says it
    assert recs[0] == ("1. 继续补齐实用性村庄规划（规划建设管理）：还差约3个村，重点在乙镇（2个村未具备）、甲镇（1个村未具备）。"
                       "依据：任务距基准55.6分；" + nv.trend_clause("projected", 2025) + "；该任务1个项目中1个逾期，完成率0.0%。")
    assert recs[1].startswith("2. 安排项目补齐农村居民人均可支配收入（产业联农带农富农）：距基准还差37,311元，"
                              "重点在甲镇（3,000元）、乙镇（3,000元）。")
    assert "项目台账中没有该任务的项目" in recs[1]
    assert recs[2].startswith("3. 加快补齐标准化卫生室（农村公共服务功能）：还差约4个村，重点在甲镇（3个村未具备）、乙镇（1个村未具备）。")
    assert "该任务1个项目完成率100.0%，无逾期" in recs[2]
    assert recs[3] == ("4. 帮扶后进乡镇乙镇，先补实用性村庄规划（规划建设管理）：乙镇（0.0%）。依据：和美指数乙镇89.6分"
                       "（枞阳县为91.7）；最弱村为乙二村88.5分、乙一村90.6分。")
    # every sentence is its record's, and the Markdown shows each once, in order
    for r in sec.data["records"]:
        assert r.text == nv.render_record(r)
        assert sec.text.count(r.text) == 1
    assert sec.text.index(standing) < sec.text.index(prio[0]) < sec.text.index("**建议**") < sec.text.index(recs[0])


def test_standing_for_the_batch_index_by_hand(small, small_dir):
    """``summary["standing"]`` (the batch index's row): the numbers of the sentence above; one
    red task, T01, whose only indicator (实用性村庄规划 40 % against 90 %) is 55.6 from the
    benchmark (red beyond 50); T04 (80 and 0: mean 40) and T08 (100 and 0: mean 50) are orange."""
    sec = section_summary(small)
    st = sec.summary["standing"]
    assert st["zj_score"] == round(_records(sec, "summary_zhejiang")[0].detail["score"], 3)
    assert st == {"level": "county", "score": 91.736, "zj_score": st["zj_score"], "rank": 2, "n_units": 2,
                  "province_rank": 2, "province_n": 3, "change": 2.778, "first_year": 2022, "red_lights": 1,
                  "n_tasks": 16, "parent_code": "340700", "parent_name": "铜陵市"}
    city = section_summary(analyse_region(load_region_context(str(small_dir), "340700", 2023), n_runs=0))
    assert (city.summary["standing"]["parent_code"], city.summary["standing"]["parent_name"]) == ("340000", "安徽省")
    # the city's peers are the data's cities: 3407 (every indicator at its maximum) before 3402
    assert (city.summary["standing"]["province_rank"], city.summary["standing"]["province_n"]) == (1, 2)
    assert city.summary["standing"]["red_lights"] == 0


def test_a_benchmark_below_full_coverage_says_both_counts():
    """37 of 190 villages have a plan (19.5 %) against a 90 % benchmark: 153 are without one,
    134 more reach the benchmark (171 = ⌈0.9 · 190⌉); the sentence says both, never "还差约153个村"."""
    from hemei_tools.catalogue import load_catalogue

    cat = load_catalogue()
    detail = {"rank": 1, "distance": 78.4, "binary": True, "n_total": 190, "n_without": 153, "n_needed": 134,
              "abs_gap": 70.5, "benchmark_region": "全国", "benchmark_year": 2022, "benchmark_kind": "target"}
    rec = nv.make_record("summary_priority", cat, unit="枞阳县", task="T01", dimension="D1",
                         indicator="village_plan", value=19.473684, benchmark=90.0, detail=detail)
    bench = nv.benchmark_phrase("全国", 2022, "target", 90.0, "%", 1)
    assert rec.text.endswith("最大短板是实用性村庄规划：190个村中约37个村具备（19.5%），约153个村尚未具备；"
                             f"达到基准（{bench}）还需约134个村。")
    assert "还差约153个村" not in rec.text
    assert nv.summary_quantity(rec, cat, short=True) == "约153个村尚未具备，达到基准还需约134个村"
    # counts of a province are written with thousands separators
    big = nv.make_record("summary_priority", cat, unit="安徽省", task="T01", dimension="D1", indicator="village_plan",
                         value=29.566, benchmark=90.0, detail={**detail, "n_total": 13583, "n_without": 9567,
                                                                "n_needed": 8209})
    assert "13,583个村中约4,016个村具备（29.6%），约9,567个村尚未具备" in big.text and "还需约8,209个村" in big.text


def test_summary_chart_draws_the_index_and_dimensions_over_all_years(small):
    plt.close("all")
    sec = section_summary(small)
    fig = sec.figures[0]
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2]
    assert len(lines) == 5  # the index and four dimensions, 2022 and 2023
    assert ax.get_ylim() == (0.0, 100.0)
    assert list(lines[0].get_ydata()) == pytest.approx([88.958333, 91.736111])  # the index, drawn first
    t = sec.data["history_table"]
    assert t.iloc[:, 0].tolist() == [2022, 2023] and t.iloc[:, 1].tolist() == [89.0, 91.7]
    assert "history" not in sec.tables  # the chart's download holds it: not offered twice
    assert plt.get_fignums() == []


def test_townships_section_by_hand(small):
    sec = section_townships(small)
    t = sec.tables["townships"]
    assert t["乡镇"].tolist() == ["甲镇", "乙镇"] and t["排名"].tolist() == ["1/2", "2/2"]
    assert t["得分"].tolist() == ["93.2", "89.6"]
    assert t["最弱任务（得分）"].tolist() == ["产业联农带农富农（50.0）", "规划建设管理（0.0）"]
    lag = sec.tables["lagging"]
    assert lag["村"].tolist() == ["甲三村"] and lag["排名"].tolist() == ["4/5"]
    # ties at 0 by how far 甲三村 is below 枞阳县: plan (40 % of the county's villages), health
    # room (20 %), income (3,000 as the county's 3,000); by weight it read plan, income, health room
    assert lag["最弱的三项指标"].tolist() == ["实用性村庄规划（无）、标准化卫生室（无）、农村居民人均可支配收入（3,000元）"]
    assert len(sec.tables["villages"]) == 5  # every village, for the download
    assert "得分最低的1个村（共5个村" in sec.text


# ---------------------------------------------------------------------------------- demo data
def test_summary_records_agree_with_the_report_tables(demo):
    sec = section_summary(demo)
    head = sc.section_headline(demo).data
    st = _records(sec, "summary_standing")[0]
    assert st.value == pytest.approx(head["index_score"]) and st.detail["rank"] == head["index_rank"]
    assert st.detail["n_units"] == head["n_peers"] == 4
    assert _records(sec, "summary_zhejiang")[0].value == pytest.approx(head["zhejiang"]["score"])
    # each priority: the gap table's value and benchmark, the villages without it counted from the coverage table
    gaps = sc.section_gap_table(demo).data["gaps"].set_index("indicator_id")
    n_total = coverage_frame(demo).set_index("indicator_id")["n_total"]
    prio = _records(sec, "summary_priority")
    assert len(prio) == 3
    for r in prio:
        g = gaps.loc[r.indicator]
        assert r.value == pytest.approx(g["value"]) and r.benchmark == pytest.approx(g["benchmark"])
        assert str(g["task_id"]) == r.task  # the task's own indicator
        if r.detail["binary"]:
            n = round((1 - g["value"] / 100) * n_total[r.indicator])
            need = max(0, math.ceil(g["benchmark"] / 100 * n_total[r.indicator] - 1e-9) - (n_total[r.indicator] - n))
            assert r.detail["n_without"] == n and r.detail["n_needed"] == need
            assert (f"还差约{n}个村" in r.text) if need == n else (f"约{n}个村尚未具备" in r.text
                                                                   and f"还需约{need}个村" in r.text)
        else:
            assert nv.format_gap(g["abs_gap"], *nv.indicator_format(demo.catalogue, r.indicator)[1:]) in r.text
    # the priorities are the weakest-links section's first three tasks
    links = [r for r in sc.section_weakest_links(demo).data["records"] if r.kind == "weak_task"][:3]
    assert [r.task for r in prio] == [r.task for r in links]
    # the lagging townships are the township table's last three, lowest first
    town_sec = section_townships(demo)
    towns = town_sec.tables["townships"]
    lag = _records(sec, "summary_lagging")[0]
    assert [p["name"] for p in lag.detail["parts"]] == towns["乡镇"].tolist()[::-1][:3]
    assert [f"{p['score']:.1f}" for p in lag.detail["parts"]] == towns["得分"].tolist()[::-1][:3]
    # each below the county's index; the sentence counts those below among all townships
    n_below = int((town_sec.data["children"]["score"] < head["index_score"]).sum())
    assert all(p["score"] < head["index_score"] for p in lag.detail["parts"]) and n_below > 3
    assert lag.text.startswith(f"低于枞阳县水平（{head['index_score']:.1f}分）的乡镇有{n_below}个"
                               f"（共{len(towns)}个），最低的3个：")
    # each task recommendation cites the ledger's counts of its task
    ledger = sc.section_ledger(demo).data["ledger"].set_index("task_id")
    tasks = [r for r in _records(sec, "summary_recommendation") if r.detail["kind"] == "task"]
    assert tasks
    for r in tasks:
        row = ledger.loc[r.task]
        assert r.detail["n_overdue"] == int(row["n_overdue"]) and r.detail["n_projects"] == int(row["n_projects"])
        # overdue projects lead only when at least 2 and at least 10 % of the task's projects
        matters = int(row["n_overdue"]) >= 2 and 10 * int(row["n_overdue"]) >= int(row["n_projects"])
        assert (r.detail["action"] == "overdue") == matters
        assert r.text.split("：")[0].endswith("先清理逾期项目，补齐" + nv.catalogue_labels(demo.catalogue).name(r.indicator)) \
            == matters
        if int(row["n_overdue"]):
            assert f"{int(row['n_projects'])}个项目中{int(row['n_overdue'])}个逾期" in r.text
        assert nv.catalogue_labels(demo.catalogue).name(r.indicator) in r.text
    assert 3 <= len(_records(sec, "summary_recommendation")) <= 5
    # the plan sentence states each judged target's counts as the plan section has them
    plan = sc.section_plan_progress(demo).data["plan"]
    text = _records(sec, "summary_plan")[0].text
    for row in plan[(plan["target_region"] == "") & plan["status"].isin(["behind", "on schedule", "ahead"])].itertuples():
        assert f"{row.item_zh}{nv.PLAN_STATUS_ZH[row.status]}（新增已验收{int(row.accepted)}个，按进度应完成约" \
               f"{int(row.expected_whole)}个" in text


def test_city_summary_names_counties_and_its_chart(demo_city):
    sec = section_summary(demo_city)
    lag = _records(sec, "summary_lagging")[0]
    children = sc.section_children(demo_city).data["index"]
    city = _records(sec, "summary_standing")[0].value
    below = sorted((c for c in children if children[c] < city), key=children.get)
    assert lag.detail["level"] == "county" and lag.text.startswith(
        f"低于铜陵市水平（{city:.1f}分）的县区有{len(below)}个（共4个）：")
    # at most ⌊4/2⌋ = 2, and only those below the city: 郊区 (67.3, above the city's 64.3) is not one
    assert [p["code"] for p in lag.detail["parts"]] == below[:2] == ["340722"]
    assert not any(r.detail.get("kind") == "lagging" and "郊区" in r.text
                   for r in _records(sec, "summary_recommendation"))
    assert "乡镇" not in sec.text
    assert sec.figures and len(sec.data["history_table"]) == 5  # 2019–2023


def test_lagging_wording_when_no_unit_is_below():
    """Four counties all at or above their city's 50.0: said in one sentence, nobody named."""
    rec = nv.make_record("summary_lagging", unit="铜陵市", detail={
        "level": "county", "sub_level": "village", "n_children": 4, "unit_score": 50.0, "n_below": 0, "parts": [],
        "weakest": []})
    assert rec.text == "4个县区的和美指数均不低于铜陵市（50.0分）。"


def test_province_lagging_names_counties_not_villages(small_dir):
    """The small data as a province: 芜湖市 (340202, every indicator at its minimum: 0.0) is the one
    city below the province; its weakest sub-unit is a county, 镜湖区 (0.0), and the 建议 says
    最弱县区, not 最弱村."""
    a = analyse_region(load_region_context(str(small_dir), "340000", 2023), n_runs=0)
    sec = section_summary(a)
    own = sm.unit_score(a)
    assert 0 < own < 100
    lag = _records(sec, "summary_lagging")[0]
    assert lag.text == f"低于安徽省水平（{own:.1f}分）的市有1个（共2个）：芜湖市0.0分（最弱县区：镜湖区0.0分）。"
    rec = [r for r in _records(sec, "summary_recommendation") if r.detail["kind"] == "lagging"][0]
    assert rec.text.endswith(f"依据：和美指数芜湖市0.0分（安徽省为{own:.1f}）；最弱县区为镜湖区0.0分。")
    assert "最弱村" not in sec.text


def test_province_rank_of_a_county_at_province_scale(small_dir):
    """The small data reach a second city: the county's rank among the data's counties."""
    a = analyse_region(load_region_context(str(small_dir), "340722", 2023), n_runs=0)
    text = _records(section_summary(a), "summary_standing")[0].text
    assert "在数据所含本省3个县区中列第2位" in text


# ---------------------------------------------------------------------------------- small units
def test_a_twelve_village_district_gets_the_real_counts(tongguan):
    ranks = sc.section_village_ranks(tongguan)
    assert len(tongguan.ranks) == 12
    assert "前15名" not in ranks.text and "全部12个村" in ranks.text
    assert "前10概率" not in ranks.tables["ranks"].columns and len(ranks.tables["ranks"]) == 12
    imb = sc.section_imbalance(tongguan)
    assert "0.0%" not in imb.text and "只有1个乡镇" in imb.text
    assert "来自乡镇之间" not in imb.text and "泰尔指数" in imb.text
    towns = section_townships(tongguan)
    assert "只有1个乡镇" in towns.text and "排名" not in towns.tables["townships"].columns
    assert len(towns.tables["lagging"]) == 3  # ⌈12/5⌉
    lag = _records(section_summary(tongguan), "summary_lagging")[0]
    assert lag.text.startswith("铜官区只有1个乡镇，不作乡镇比较；得分最低的村：")
    assert [w["name"] for w in lag.detail["weakest"]] == towns.data["villages"]["village_name"].tolist()[::-1][:3]


def test_a_large_county_still_lists_the_ends(demo_dir):
    a = analyse_region(load_region_context(str(demo_dir), "340722", 2023), n_runs=20, seed=7)
    text = sc.section_village_ranks(a).text
    assert "前15名和后15名" in text and "190个村" in text
    assert "来自乡镇之间" in sc.section_imbalance(a).text


def test_the_sections_are_listed_first_and_after_imbalance():
    county = [fn.__name__ for _, fn in sc.COUNTY_SECTIONS]
    assert county[0] == "section_summary" and county[county.index("section_imbalance") + 1] == "section_townships"
    assert [fn.__name__ for _, fn in sc.REGION_SECTIONS][0] == "section_summary"


# ---------------------------------------------------------------------------------- one banner
def test_one_banner_the_summary_output_carries_it_and_the_page_drops_it(demo, monkeypatch):
    """The title cell shows the banner as the Markdown fallback of the summary output: JupyterLab
    shows it once, and the report pipeline, which lifts the summary out, keeps no second banner
    under its template's own."""
    from hemei_tools.present import notebook
    from hemei_tools.render.notebooks import extract_summary

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)))
    notebook.show_title(demo.ctx)
    texts = [o.data for o, _ in shown if type(o).__name__ == "Markdown"]
    assert texts == [f"# {region.report_title(demo.ctx)}"]  # no banner of its own
    bundles = [o for o, kw in shown if isinstance(o, dict)]
    assert len(bundles) == 1 and SYNTHETIC_BANNER in bundles[0]["text/markdown"]
    assert bundles[0][SUMMARY_MIME]["synthetic"] is True
    cell = nbformat.v4.new_code_cell("show_title(ctx)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": texts[0]}),
                    nbformat.v4.new_output("display_data", data=bundles[0])]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert extract_summary(nb)["synthetic"] is True
    assert not [o for o in nb.cells[0].outputs if SYNTHETIC_BANNER in str(o)]
    # show_headline (the explorer's) shows the banner the same way, once
    shown.clear()
    notebook.show_headline(demo.ctx, table=False)
    assert sum(SYNTHETIC_BANNER in str(o) for o, _ in shown) == 1


def test_summary_lists_are_markdown_bullets_and_numbers(demo):
    text = section_summary(demo).text
    lines = text.splitlines()
    assert lines[0].startswith("- ") and re.search(r"^ {4}1\. ", text, re.M)
    assert re.search(r"^1\. ", text, re.M) and "**建议**" in lines
    assert not pd.isna(sm.standing(demo)["change"])


def test_summary_zhejiang_and_sources_say_what_the_benchmarks_are(demo):
    """The 浙江对标指数 sentence says what its 7 Zhejiang figures are (benchmarks.csv: 3 targets,
    Shaoxing's sewage coverage, scenic villages of 2025), as the index section's sentence does;
    a priority's benchmark keeps its 转载 (source_kind repost) and a reference its 模拟数据."""
    sec = section_summary(demo)
    clause = "，其中3项为浙江目标值、1项为浙江绍兴数值、1项为2025年数值"
    z = _records(sec, "summary_zhejiang")[0]
    assert f"浙江对标指数{z.value:.1f}（7项有浙江公开数值的指标{clause}；浙江=100），距浙江还差" in z.text
    assert clause in sc.section_index(demo).text
    for r in _records(sec, "summary_priority"):
        if r.indicator == "rural_income":
            assert r.source == "浙江2023年实际（转载）" and "浙江2023年实际（转载）40,311元" in r.text
        if r.detail["benchmark_kind"] == "reference":
            assert r.source == "2023年参照值（模拟数据）" and "参照值（模拟数据）" in r.text


def test_with_one_year_the_scores_are_a_table_of_their_own(small_dir):
    """No chart for a single year (2022, the small city's first): the scores by year are then
    offered as their own table (with a chart, the chart's download holds them)."""
    plt.close("all")
    sec = section_summary(analyse_region(load_region_context(str(small_dir), "340722", 2022), n_runs=0))
    assert not sec.figures
    t = sec.tables["history"]
    assert t.iloc[:, 0].tolist() == [2022] and t.iloc[:, 1].tolist() == [89.0]


def test_the_full_village_download_holds_ranks_as_numbers_and_every_indicator(small):
    """全部村庄 download (tests/summary_data.py): the five villages of 枞阳县, rank a number with the
    count beside it, and each scored indicator's 2023 value: 甲一村 and 甲二村 have a village plan
    (100 %), the others none; only 乙一村 has a health room; income 3,000 元 everywhere."""
    from hemei_tools.catalogue import label
    from hemei_tools.present.narrative import indicator_format
    from hemei_tools.present.summary_sections import village_download

    villages = sm.village_table(small)
    d = village_download(small, villages)
    sec = section_townships(small)
    pd.testing.assert_frame_equal(sec.downloads["villages"], d)
    assert len(d) == 5 and d[label("header.rank")].tolist() == villages["rank"].tolist()
    assert d[label("header.rank")].dtype.kind == "i" and set(d[label("header.n_total")]) == {5}
    assert list(d[label("headline.index")]) == [f"{x:.1f}" for x in villages["score"]]  # named as the index
    by_code = d.set_index(label("header.village_code"))

    def column(indicator):
        name, unit, _ = indicator_format(small.catalogue, indicator)
        return by_code[f"{name}（{unit}）" if unit else name]

    assert column("village_plan").to_dict() == {"340722001001": 100.0, "340722001002": 100.0, "340722001003": 0.0,
                                                "340722002001": 0.0, "340722002002": 0.0}
    assert column("health_room").to_dict() == {"340722001001": 0.0, "340722001002": 0.0, "340722001003": 0.0,
                                               "340722002001": 100.0, "340722002002": 0.0}
    assert set(column("rural_income")) == {3000.0}
    assert len(d.columns) == 3 + (sec.tables["villages"].shape[1] - 1) + len(small.catalogue.scored_ids)
