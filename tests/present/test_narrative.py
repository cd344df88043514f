"""Generated sentences: tiny literal catalogue and rows, hand-written expected sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import Catalogue
from hemei_tools.present import narrative as nv


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    """Two dimensions, two tasks, three indicators (a %, an amount in 元, a count)."""
    framework = pd.DataFrame({
        "code": ["HMI", "DA", "DB", "TA", "TB"],
        "level": ["index", "dimension", "dimension", "task", "task"],
        "parent": ["", "HMI", "HMI", "DA", "DB"],
        "name_zh": ["和美指数", "宜居", "宜业", "人居环境", "增收"],
        "name_en": ["Index", "Live", "Work", "Env", "Income"],
        "weight": [1.0] * 5,
    })
    indicators = pd.DataFrame({
        "indicator_id": ["toilet", "income", "events"],
        "task_id": ["TA", "TB", "TB"],
        "name_zh": ["卫生厕所普及率", "人均收入", "文化活动"],
        "unit": ["%", "元", "场次/年"],
        "decimals": [1, 0, 0],
        "direction": [1, 1, 1],
        "scored": [True, True, True],
    })
    return Catalogue(framework, indicators, pd.DataFrame(), pd.DataFrame(), "test")


def test_numbers_use_decimals_thousands_and_units():
    assert nv.format_number(40311.4, 0) == "40,311"
    assert nv.format_number(81.24, 1) == "81.2"
    assert nv.format_number(-0.04, 1) == "0.0"
    assert nv.format_number(np.nan, 1) == "—"
    assert nv.format_value(1234.56, "元", 0) == "1,235元"
    assert nv.format_value(10.4, "万人次", 1) == "10.4万人次"
    assert nv.format_gap(3.8, "%", 1) == "3.8个百分点"
    assert nv.format_gap(21144.0, "元", 0) == "21,144元"
    assert nv.format_gap(None, "元", 0) == "—"


@pytest.mark.parametrize(("label", "expected"), [
    ("2022 (target)", "2022"), ("2023", "2023"), ("c.2024", "约2024"), ("2022-2025 (target)", "2022–2025"),
    ("2019 (target)", "2019"), (None, ""), (float("nan"), ""), (2021, "2021"),
])
def test_benchmark_year_labels_in_chinese_tables(label, expected):
    assert nv.format_year_label(label) == expected


def test_region_labels():
    assert nv.region_label("China") == "全国"
    assert nv.region_label("Shaoxing (Zhejiang)") == "浙江绍兴"
    assert nv.region_label("Atlantis") == "Atlantis"
    assert nv.region_label(np.nan) == ""


def test_benchmark_phrase_published_policy_and_reference():
    assert nv.benchmark_phrase("China", 2022, "target", 85, "%", 1) == "全国2022年目标85.0%"
    assert nv.benchmark_phrase("Zhejiang", 2023, "actual", 40311, "元", 0) == "浙江2023年实际40,311元"
    # no published figure: a policy standard (no year) or a pinned reference value
    assert nv.benchmark_phrase("policy", None, "standard", 100, "%", 1) == "全覆盖（政策标准）100.0%"
    assert nv.benchmark_phrase("reference", 2023, "reference", 2031.6, "万元", 0) == "2023年参照值2,032万元"


def test_gap_sentence_projected(cat):
    row = {"indicator_id": "toilet", "value": 81.2, "benchmark": 85.0, "benchmark_region": "China",
           "benchmark_year": 2022, "benchmark_kind": "target", "abs_gap": 3.8, "closes": "projected",
           "year_closes": 2025, "trend_class": "moderately improving"}
    assert nv.gap_sentence("枞阳县", row, cat) == (
        "枞阳县卫生厕所普及率为81.2%，距基准（全国2022年目标85.0%）差3.8个百分点，按当前增速，约2025年达到当前基准值。")


def test_gap_sentence_reached_away_and_missing(cat):
    base = {"indicator_id": "income", "benchmark": 40311.0, "benchmark_region": "Zhejiang",
            "benchmark_year": 2023, "benchmark_kind": "actual"}
    reached = {**base, "value": 41000.0, "abs_gap": -689.0, "closes": "achieved"}
    assert nv.gap_sentence("A县", reached, cat) == "A县人均收入为41,000元，已达到基准（浙江2023年实际40,311元）。"
    away = {**base, "value": 19167.0, "abs_gap": 21144.0, "closes": "not at current pace",
            "year_closes": pd.NA, "trend_class": "moving away"}
    assert nv.gap_sentence("A县", away, cat) == (
        "A县人均收入为19,167元，距基准（浙江2023年实际40,311元）差21,144元，按当前增速难以达到当前基准值（偏离目标）。")
    # with the year its trend class is judged against, the sentence names that deadline
    assert nv.gap_sentence("A县", {**away, "target_year": 2027}, cat) == (
        "A县人均收入为19,167元，距基准（浙江2023年实际40,311元）差21,144元，"
        "按当前增速难以达到当前基准值（按2027年达到基准所需增速衡量：偏离目标）。")
    no_trend = {**base, "value": 19167.0, "abs_gap": 21144.0}
    assert nv.gap_sentence("A县", no_trend, cat) == "A县人均收入为19,167元，距基准（浙江2023年实际40,311元）差21,144元。"
    missing = {**base, "value": np.nan, "abs_gap": np.nan}
    assert nv.gap_sentence("A县", missing, cat) == "A县人均收入暂无数据（基准：浙江2023年实际40,311元）。"


def test_weakest_links_markdown(cat):
    links = pd.DataFrame([
        {"kind": "indicator", "rank": 1, "code": "events", "indicator_id": "events", "task_id": "TB",
         "dimension_id": "DB", "value": 13.0, "benchmark": 29.0, "abs_gap": 16.0, "distance": 55.2,
         "benchmark_region": "reference", "benchmark_year": 2023, "benchmark_kind": "reference",
         "worst_indicator": "events", "closes": "projected", "year_closes": 2033, "trend_class": "stagnating"},
        {"kind": "task", "rank": 1, "code": "TB", "indicator_id": "TB", "task_id": "TB", "dimension_id": "DB",
         "value": np.nan, "benchmark": np.nan, "abs_gap": np.nan, "distance": 40.25,
         "benchmark_region": np.nan, "benchmark_year": np.nan, "benchmark_kind": np.nan,
         "worst_indicator": "events", "closes": np.nan, "year_closes": np.nan, "trend_class": np.nan},
    ])
    expected = "\n".join([
        "**B县与基准差距最大的指标**：",
        "1. 任务“增收”：B县文化活动为13场次/年，距基准（2023年参照值29场次/年）差16场次/年，"
        "按当前增速，约2033年达到当前基准值。",
        "",
        "**差距最大的任务**：",
        "1. 任务“增收”（宜业）平均距基准40.2分，短板指标为文化活动。",
    ])
    assert nv.weakest_links_markdown("B县", links, cat) == expected
    assert nv.weakest_links_markdown("B县", links.iloc[0:0], cat) == "B县全部指标均已达到基准。"


def test_plan_sentences():
    row = {"region_code": "3407", "item_zh": "精品示范村", "programme_zh": "5511工程", "start_year": 2023,
           "baseline_year": 2022, "target_year": 2027, "target_new": 50, "year": 2024,
           "as_of": pd.Timestamp("2024-12-31"), "declared": 4, "under_construction": 6, "accepted": 12,
           "pct_of_target": 24.0, "expected": 20.0, "expected_whole": 20, "basis": "accepted",
           "status": "behind", "shortfall": 8}
    assert nv.plan_sentence(row, "铜陵市") == (
        "铜陵市精品示范村（5511工程）：2023–2027年计划新增50个；截至2024年底新增已验收12个（完成24.0%），"
        "在建6个，申报4个；按进度应完成约20个，按已验收计落后于进度（差8个）。")
    # whole units: 0.2 of a county due is no verdict, never "0.2个"
    one = {**row, "item_zh": "示范县", "target_new": 1, "declared": 0, "under_construction": 1, "accepted": 0,
           "pct_of_target": 0.0, "expected": 0.2, "expected_whole": 0, "status": "not due", "shortfall": 0,
           "as_of": pd.Timestamp("2023-11-29")}
    text = nv.plan_sentence(one, "铜陵市")
    assert text == ("铜陵市示范县（5511工程）：2023–2027年计划新增1个；截至2023年11月29日新增已验收0个（完成0.0%），"
                    "在建1个，申报0个；按进度尚不到1个，暂不评进度。")
    assert "0.2" not in text and "与进度持平" not in text
    # a programme that has not started says when it starts, with no verdict and no "2023–2023"
    later = {**row, "start_year": 2024, "baseline_year": 2023, "status": "not started", "accepted": 0}
    assert nv.plan_sentence(later, "铜陵市") == "铜陵市精品示范村（5511工程）：2024–2027年计划新增50个，2024年起实施。"
    assert nv.plan_status_word(later) == "2024年起实施"
    unmeasured = {**row, "item_zh": "示范县", "accepted": np.nan, "status": "not measured"}
    assert nv.plan_sentence(unmeasured, "铜陵市") == "铜陵市示范县（5511工程）：2023–2027年计划新增50个，数据未提供，无法统计。"


def test_plan_record_renders_the_target_and_its_parts():
    row = {"programme": "5511", "region_code": "3407", "item": "boutique_village", "item_zh": "精品示范村",
           "programme_zh": "5511工程", "start_year": 2023, "target_year": 2027, "target_new": 50,
           "as_of": pd.Timestamp("2023-12-31"), "designated": 10, "declared": 7, "under_construction": 3,
           "accepted": 0, "pct_of_target": 0.0, "expected_whole": 10, "basis": "accepted", "status": "behind",
           "shortfall": 10}
    parts = [{"region_code": "340722", "region_name": "枞阳县", "declared": 1, "under_construction": 2,
              "accepted": 0}]
    rec = nv.plan_record(row, "铜陵市", parts)
    assert rec.kind == "plan" and rec.value == 0 and rec.benchmark == 10
    assert rec.detail["parts"][0]["under_construction"] == 2
    assert rec.text == ("铜陵市精品示范村（5511工程）：2023–2027年计划新增50个；截至2023年底新增已验收0个（完成0.0%），"
                        "在建3个，申报7个；按进度应完成约10个，按已验收计落后于进度（差10个）。"
                        "其中枞阳县新增已验收0个、在建2个、申报1个。")
    assert nv.render_record(rec) == rec.text


def test_designations_sentence_writes_runs_of_years():
    assert nv.years_phrase([2019, 2017, 2018, 2021]) == "2017–2019年，连续3年、2021年"
    rec = nv.make_record("designations", detail={"parts": [
        {"county": "义安区", "designation": "全省美丽乡村建设先进县（区）", "years": list(range(2017, 2024))}]})
    assert rec.text == "县区称号：义安区获“全省美丽乡村建设先进县（区）”（2017–2023年，连续7年）。"


def test_index_and_dimension_sentences():
    assert nv.index_sentence("枞阳县", 50.1185, 4, 4, "铜陵市", 59.84) == (
        "枞阳县和美指数为50.1（基准=100），在4个县区中列第4位；铜陵市为59.8。")
    assert nv.index_sentence("铜陵市", 59.84, None, 1, "", None) == "铜陵市和美指数为59.8（基准=100）。"
    assert nv.dimension_sentence(("宜养", 58.94), ("宜业", 39.16)) == "四个维度中宜养得分最高（58.9），宜业最低（39.2）。"


def test_labels_lookup_and_unknown_code(cat):
    lab = nv.catalogue_labels(cat)
    assert lab.indicator("income") == ("人均收入", "元", 0)
    assert lab.name("DA") == "宜居"
    assert nv.catalogue_labels(cat) is lab
    with pytest.raises(KeyError, match="nope"):
        lab.name("nope")


def test_plan_sentence_for_a_province_target_judged_on_one_city_gives_no_verdict():
    """A province-wide target seen from one city's data: the city's share, no ahead/behind."""
    row = {"region_code": "34", "item_zh": "和美乡村精品示范村", "programme_zh": "安徽“千村引领、万村升级”工程",
           "start_year": 2023, "target_year": 2027, "target_new": 1000, "year": 2023,
           "as_of": pd.Timestamp("2023-12-31"), "declared": 7, "under_construction": 3, "accepted": 0,
           "pct_of_target": 0.0, "expected": float("nan"), "status": "partial"}
    text = nv.plan_sentence(row, "全省")
    assert text == ("全省和美乡村精品示范村（安徽“千村引领、万村升级”工程）：2023–2027年计划新增1,000个；"
                    "截至2023年底本市新增已验收0个（占全省目标的0.0%），在建3个，申报7个；全省进度需用全省数据评估。")
    assert "落后" not in text and "超前" not in text


def test_lights_sentence_does_not_count_a_hollow_benchmark_as_met():
    # 10 scored: 4 green of which 1 reaches a benchmark below a published average, 3 yellow, 2 orange, 1 red
    rec = nv.make_record("lights", unit="x", value=10,
                         detail={"n_scored": 10, "green": 4, "yellow": 3, "orange": 2, "red": 1, "below_average": 1})
    assert rec.text.startswith("10项评价指标中，3项达到基准，3项接近，2项差距较大，1项差距很大。")
    assert "另有1项达到的基准低于安徽或全国已公布的平均水平" in rec.text
    plain = nv.make_record("lights", unit="x", value=3,
                           detail={"n_scored": 3, "green": 3, "yellow": 0, "orange": 0, "red": 0})
    assert plain.text == "3项评价指标中，3项达到基准，0项接近，0项差距较大，0项差距很大。"


# ---------------------------------------------------------------------------------- benchmark caveats
def _goalpost_catalogue() -> Catalogue:
    """Five indicators and their goalposts, written out: Zhejiang's target (a repost), Shaoxing's
    actual, a Zhejiang 2025 actual, a Zhejiang 2022 actual (a government page), and a reference
    pinned twice (a synthetic and a real row at different percentiles)."""
    framework = pd.DataFrame({"code": ["HMI", "D", "T"], "level": ["index", "dimension", "task"],
                              "parent": ["", "HMI", "D"], "name_zh": ["和美指数", "宜居", "人居"],
                              "name_en": ["Index", "Live", "Env"], "weight": [1.0] * 3})
    ids = ["waste", "sewage", "scenic", "income", "events"]
    indicators = pd.DataFrame({"indicator_id": ids, "task_id": ["T"] * 5,
                               "name_zh": ["垃圾", "污水", "景区", "收入", "活动"], "unit": ["%", "%", "%", "元", "场次/年"],
                               "decimals": [1, 1, 1, 0, 0], "direction": [1] * 5, "scored": [True] * 5})
    bm = pd.DataFrame({
        "indicator_id": ["waste", "sewage", "scenic", "income", "income"],
        "role": ["benchmark", "benchmark", "benchmark", "benchmark", "comparison"],
        "region": ["Zhejiang", "Shaoxing (Zhejiang)", "Zhejiang", "Zhejiang", "Anhui"],
        "basis": ["zhejiang", "zhejiang", "zhejiang", "zhejiang", "anhui"],
        "year": [2019, 2020, 2025, 2022, 2023], "year_label": ["2019 (target)", "2020", "2025", "2022", "2023"],
        "value": [100.0, 100.0, 56.5, 37565.0, 21144.0], "unit": ["%", "%", "%", "元", "元"],
        "kind": ["target", "actual", "actual", "actual", "actual"],
        "source_kind": ["repost", "repost", "official_media", "government", "repost"]})
    ref = pd.DataFrame({
        "indicator_id": ["events", "events"], "role": ["benchmark", "alternative"],
        "basis": ["reference", "reference"], "region": ["reference", "reference"], "year": [2023, 2023],
        "value": [23.0, 30.0], "unit": ["场次/年"] * 2, "kind": ["reference"] * 2, "percentile": [90.0, 95.0],
        "synthetic": [True, False]})
    return Catalogue(framework, indicators, bm, pd.DataFrame(), "test", reference_goalposts=ref)


def test_benchmark_phrase_says_simulated_reference_and_repost():
    """A reference computed from synthetic data says so (参照值（模拟数据）); a figure whose only
    source is a repost says 转载, as the published-facts tables do; unmarked phrases unchanged."""
    assert nv.benchmark_phrase("reference", 2023, "reference", 72.3, "%", 1, synthetic=True) == \
        "2023年参照值（模拟数据）72.3%"
    assert nv.benchmark_phrase("reference", 2023, "reference", 72.3, "%", 1) == "2023年参照值72.3%"
    assert nv.benchmark_phrase("Zhejiang", 2023, "actual", 40311, "元", 0, repost=True) == "浙江2023年实际（转载）40,311元"
    assert nv.source_phrase("Zhejiang", 2023, "actual", repost=True) == "浙江2023年实际（转载）"
    assert nv.source_phrase("reference", 2023, "reference", synthetic=True) == "2023年参照值（模拟数据）"
    assert nv.figure_phrase(40311, "元", 0, "2023", "actual", "Zhejiang", repost=True) == "40,311元（2023年实际，转载）"
    assert nv.figure_phrase(40311, "元", 0, "2023", "actual", "Zhejiang") == "40,311元（2023年实际）"


def test_benchmark_marks_read_the_catalogue_row():
    cat = _goalpost_catalogue()
    # the synthetic reference row (value 23) and the real one (value 30) of the same indicator
    assert nv.benchmark_marks(cat, "events", "reference", 2023, "reference", 23.0) == {"synthetic": True,
                                                                                      "repost": False}
    assert nv.benchmark_marks(cat, "events", "reference", 2023, "reference", 30.0) == {"synthetic": False,
                                                                                      "repost": False}
    # repost-only figure vs a government page
    assert nv.benchmark_marks(cat, "waste", "Zhejiang", 2019, "target", 100.0)["repost"] is True
    assert nv.benchmark_marks(cat, "income", "Zhejiang", 2022, "actual", 37565.0)["repost"] is False
    assert nv.benchmark_marks(cat, "income", "Anhui", 2023, "actual", 21144.0)["repost"] is True
    # nothing in the catalogue: nothing claimed
    assert nv.benchmark_marks(cat, "income", "China", 2023, "actual", 1.0) == {"synthetic": False, "repost": False}


def test_gap_sentences_carry_the_marks_of_their_benchmark():
    cat = _goalpost_catalogue()
    ref = {"indicator_id": "events", "value": 13.0, "benchmark": 23.0, "benchmark_region": "reference",
           "benchmark_year": 2023, "benchmark_kind": "reference", "abs_gap": 10.0}
    assert nv.gap_sentence("A县", ref, cat) == "A县活动为13场次/年，距基准（2023年参照值（模拟数据）23场次/年）差10场次/年。"
    real = {**ref, "benchmark": 30.0, "abs_gap": 17.0}
    assert nv.gap_sentence("A县", real, cat) == "A县活动为13场次/年，距基准（2023年参照值30场次/年）差17场次/年。"
    repost = {"indicator_id": "waste", "value": 57.2, "benchmark": 100.0, "benchmark_region": "Zhejiang",
              "benchmark_year": 2019, "benchmark_kind": "target", "abs_gap": 42.8}
    assert nv.gap_sentence("A县", repost, cat) == "A县垃圾为57.2%，距基准（浙江2019年目标（转载）100.0%）差42.8个百分点。"


def test_zhejiang_index_sentences_say_what_the_zhejiang_figures_are():
    """Counted from the catalogue: 1 target (waste), 1 Shaoxing figure (sewage), 1 figure of 2025
    (scenic; after the report year 2023); income 2022 is a province-wide actual: no clause."""
    cat = _goalpost_catalogue()
    comp = nv.zhejiang_basis_composition(cat, 2023)
    assert comp == {"n": 4, "n_target": 1, "cities": {"Shaoxing (Zhejiang)": 1}, "later": {2025: 1}}
    assert nv.zhejiang_basis_composition(cat, 2025)["later"] == {}
    frame = pd.DataFrame({"score": [46.1, 58.4], "n_basis": [4, 4], "n_indicators": [4, 4],
                          "weight_share": [0.172, 0.172]})
    rec = nv.zhejiang_index_record(frame, "A县", "B市", cat, 2023)
    clause = "，其中1项为浙江目标值、1项为浙江绍兴数值、1项为2025年数值"
    assert nv.zhejiang_composition_phrase(rec) == clause
    assert nv.zhejiang_index_sentence(rec).startswith(f"浙江对标指数（只用有浙江公开数值的4项指标{clause}；按其")
    summary = nv.make_record("summary_zhejiang", cat, unit="A县", value=rec["score"], detail=rec)
    assert summary.text == f"浙江对标指数46.1（4项有浙江公开数值的指标{clause}；浙江=100），距浙江还差53.9分；B市为58.4。"
    # all province-wide actuals of the report year or before: no clause
    assert nv.zhejiang_composition_phrase({"composition": {"n": 2, "n_target": 0, "cities": {}, "later": {}}}) == ""
