"""Charts: inspect the returned Axes (bars, labels, colours, data), and render without glyph gaps.

Inputs are tiny literal frames in the docs/design.md columns; expected values are worked out by
hand in each test. Indicator ids are taken from the catalogue, never written here.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mcolors
from matplotlib import font_manager

from hemei_tools import plots
from hemei_tools.catalogue import load_catalogue
from hemei_tools.errors import HemeiError
from hemei_tools.style import STATUS_COLOURS, set_theme

CAT = load_catalogue()


@pytest.fixture(autouse=True)
def _isolated_figures():
    """Restore rcParams and close every figure after each test."""
    with mpl.rc_context():
        yield
    plt.close("all")


def rgba(colour) -> tuple:
    return tuple(np.round(mcolors.to_rgba(colour), 4))


def positive_ids(n: int) -> list[str]:
    """The first n scored indicators whose direction is +1 (higher is better)."""
    ind = CAT.indicators
    return ind.loc[ind["scored"] & (ind["direction"] == 1), "indicator_id"].head(n).tolist()


def line(ax, label_part: str):
    """The one line whose label contains label_part."""
    hits = [ln for ln in ax.get_lines() if label_part in ln.get_label()]
    assert len(hits) == 1, [ln.get_label() for ln in ax.get_lines()]
    return hits[0]


# ------------------------------------------------------------------------------- fixtures
def dimension_scores(with_city: bool = True) -> pd.DataFrame:
    dims = CAT.dimensions["code"].tolist()
    rows = []
    for code, name, level, vals in [
        ("340722", "枞阳县", "county", [80, 60, 40, 20]),
        ("340705", "铜官区", "county", [40, 60, 80, 100]),
        ("3407", "铜陵市", "city", [50, 50, 50, 50]),
    ]:
        if level == "city" and not with_city:
            continue
        for d, v in zip(dims, vals, strict=True):
            rows.append((level, code, name, code[:6], 2023, d, "dimension", float(v)))
    # an older year and an indicator row that the radar must ignore
    rows.append(("county", "340722", "枞阳县", "340722", 2022, dims[0], "dimension", 1.0))
    rows.append(("county", "340722", "枞阳县", "340722", 2023, positive_ids(1)[0], "indicator", 5.0))
    return pd.DataFrame(rows, columns=["level", "unit_code", "unit_name", "county_code", "year", "node",
                                       "node_level", "score"])


def gap_frame() -> pd.DataFrame:
    ids = positive_ids(3)
    return pd.DataFrame({
        "level": "county", "unit_code": "340722", "year": 2023, "indicator_id": ids,
        "value": [50.0, 90.0, 120.0], "benchmark": [100.0, 100.0, 100.0],
        "benchmark_region": "Zhejiang", "abs_gap": [-50.0, -10.0, 20.0], "rel_gap": [-50.0, -10.0, 20.0],
        "distance": [50.0, 10.0, 0.0], "status": ["red", "yellow", "green"],
    })


# ------------------------------------------------------------------------------- radar
def test_radar_has_four_spokes_and_the_three_lines():
    ax = plots.plot_radar(dimension_scores(), "340722")
    assert ax.name == "polar"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["宜居环境美", "宜业生活美", "宜游生态美", "宜养乡风美"]
    assert len(ax.get_xticks()) == 4
    assert np.asarray(line(ax, "枞阳县").get_ydata()).tolist() == [80, 60, 40, 20, 80]
    assert np.asarray(line(ax, "铜陵市").get_ydata()).tolist() == [50] * 5  # the city row is the average
    assert np.asarray(line(ax, "标杆").get_ydata()).tolist() == [100] * 5


def test_radar_average_without_city_is_mean_of_same_level_units():
    ax = plots.plot_radar(dimension_scores(with_city=False), "340722")
    # (80+40)/2, (60+60)/2, (40+80)/2, (20+100)/2
    assert np.asarray(line(ax, plots.TEXT["average"]).get_ydata()).tolist() == [60, 60, 60, 60, 60]


def test_radar_uses_the_given_polar_axes_and_rejects_cartesian():
    fig = plt.figure()
    polar = fig.add_subplot(1, 2, 1, projection="polar")
    assert plots.plot_radar(dimension_scores(), "340705", ax=polar) is polar
    flat = fig.add_subplot(1, 2, 2)
    with pytest.raises(plots.PlotDataError, match="polar"):
        plots.plot_radar(dimension_scores(), "340705", ax=flat)
    with pytest.raises(HemeiError, match="999999"):
        plots.plot_radar(dimension_scores(), "999999")


# ------------------------------------------------------------------------------- gaps
def test_gap_bars_one_bar_per_indicator_coloured_by_status_with_units():
    gaps = gap_frame()
    ax = plots.plot_gap_bars(gaps)
    bars = ax.containers[0]
    assert len(bars) == 3
    # d·(value/benchmark − 1)·100 with d = +1: 50 → −50 %, 90 → −10 %, 120 → +20 %
    assert [round(b.get_width(), 6) for b in bars] == [-50.0, -10.0, 20.0]
    assert [rgba(b.get_facecolor()) for b in bars] == [
        rgba(STATUS_COLOURS["red"]), rgba(STATUS_COLOURS["yellow"]), rgba(STATUS_COLOURS["green"])]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [CAT.label(i, with_unit=True) for i in gaps["indicator_id"]]
    assert all(t.endswith("）") for t in ticks)  # the unit in brackets
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [plots.TEXT["status_green"], plots.TEXT["status_yellow"], plots.TEXT["status_red"]]


def test_gap_bars_flip_sign_for_lower_is_better():
    gaps = gap_frame()
    flipped = gaps["indicator_id"].iloc[0]
    ind = CAT.indicators.copy()
    ind.loc[ind["indicator_id"] == flipped, "direction"] = -1
    cat = dataclasses.replace(CAT, indicators=ind)
    ax = plots.plot_gap_bars(gaps, catalogue=cat)
    # value 50 against a benchmark of 100 where lower is better: −1·(0.5 − 1)·100 = +50
    assert round(ax.containers[0][0].get_width(), 6) == 50.0


def test_gap_bars_distance_measure_sort_and_unit_choice():
    gaps = pd.concat([gap_frame(), gap_frame().assign(unit_code="340705", distance=[1.0, 2.0, 3.0])])
    with pytest.raises(plots.PlotDataError, match="unit_code"):
        plots.plot_gap_bars(gaps)
    ax = plots.plot_gap_bars(gaps, unit_code="340722", measure="distance", sort=True)
    assert sorted(b.get_width() for b in ax.containers[0]) == [-50.0, -10.0, 0.0]
    with pytest.raises(plots.PlotDataError, match="relative"):
        plots.plot_gap_bars(gaps, unit_code="340722", measure="nope")


# ------------------------------------------------------------------------------- heatmap
def village_scores() -> pd.DataFrame:
    a, b = positive_ids(2)
    rows = [
        # village, name, county, indicator, score
        ("340722001001", "甲村", "340722", a, 10.0),
        ("340722001001", "甲村", "340722", b, 30.0),   # mean 20
        ("340722001002", "乙村", "340722", a, 90.0),
        ("340722001002", "乙村", "340722", b, 70.0),   # mean 80
        ("340722001003", "丙村", "340722", a, 50.0),
        ("340722001003", "丙村", "340722", b, np.nan),  # mean 50, one cell missing
        ("340705001001", "丁村", "340705", a, 0.0),
        ("340705001001", "丁村", "340705", b, 0.0),
    ]
    df = pd.DataFrame(rows, columns=["unit_code", "unit_name", "county_code", "node", "score"])
    df = df.iloc[::-1]  # reverse: the chart must restore catalogue order itself
    df = df.assign(level="village", year=2023, node_level="indicator")
    extra = pd.DataFrame([{"level": "county", "unit_code": "340722", "unit_name": "枞阳县", "county_code": "340722",
                           "node": a, "score": 1.0, "year": 2023, "node_level": "indicator"}])
    return pd.concat([df, extra], ignore_index=True)


def test_heatmap_is_villages_by_indicators_in_one_image():
    a, b = positive_ids(2)
    ax = plots.plot_score_heatmap(village_scores(), county_code="340722")
    assert len(ax.images) == 1 and not ax.texts
    arr = ax.images[0].get_array()
    assert arr.shape == (3, 2)
    # rows by mean score, best first: 乙村 (80), 丙村 (50), 甲村 (20)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["乙村", "丙村", "甲村"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [CAT.label(a), CAT.label(b)]
    assert arr[0].tolist() == [90.0, 70.0]
    assert bool(arr.mask[1, 1]) and arr[2, 0] == 10.0


def test_heatmap_all_counties_and_row_label_limit():
    ax = plots.plot_score_heatmap(village_scores(), max_row_labels=2)
    assert ax.images[0].get_array().shape == (4, 2)
    assert ax.get_yticks().size == 0


# ------------------------------------------------------------------------------- trend
def trend_values() -> pd.DataFrame:
    iid = positive_ids(1)[0]
    return pd.DataFrame({
        "level": "county", "unit_code": ["340722"] * 3 + ["340705"] * 3,
        "unit_name": ["枞阳县"] * 3 + ["铜官区"] * 3, "year": [2021, 2022, 2023] * 2,
        "indicator_id": iid, "value": [60.0, 65.0, 70.0, 80.0, 82.0, 84.0],
    })


def test_trend_lines_benchmark_and_target_year():
    values = trend_values()
    iid = values["indicator_id"].iloc[0]
    ax = plots.plot_trend(values, iid, benchmark=90.0, target_year=2027)
    assert np.asarray(line(ax, "枞阳县").get_ydata()).tolist() == [60.0, 65.0, 70.0]
    assert np.asarray(line(ax, "铜官区").get_xdata()).tolist() == [2021, 2022, 2023]
    assert np.asarray(line(ax, plots.TEXT["benchmark_line"]).get_ydata()).tolist() == [90.0, 90.0]
    assert np.asarray(line(ax, "2027").get_xdata()).tolist() == [2027, 2027]
    assert ax.get_ylabel() == CAT.label(iid, with_unit=True)
    assert ax.get_xlim()[1] >= 2027


def test_trend_reads_benchmark_frame_and_filters_units():
    values = trend_values()
    iid = values["indicator_id"].iloc[0]
    bench = pd.DataFrame([{"indicator_id": iid, "benchmark": 85.0, "region": "Zhejiang", "year": 2022,
                           "kind": "actual"}])
    ax = plots.plot_trend(values, iid, unit_codes=["340705"], benchmark=bench)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert len(labels) == 2 and "铜官区" in labels
    bl = line(ax, "Zhejiang")
    assert np.asarray(bl.get_ydata()).tolist() == [85.0, 85.0]
    decimals = int(CAT.indicator(iid)["decimals"])
    assert f"{85.0:.{decimals}f}" in bl.get_label()


# ------------------------------------------------------------------------------- plan
def plan_catalogue():
    targets = pd.DataFrame({
        "programme": ["P1", "P1"], "programme_zh": ["示例计划", "示例计划"], "region_code": ["3407", "3407"],
        "region_level": "city", "item": ["boutique_village", "central_village"],
        "item_zh": ["精品示范村", "省级中心村"], "baseline_year": [2020, 2021], "baseline": [0, 0],
        "target_year": [2025, 2023], "target_new": [10.0, 8.0], "schedule": "linear",
        "source_title": "t", "source_url": "", "note": "",
    })
    return dataclasses.replace(CAT, plan_targets=targets)


def test_plan_schedule_is_linear_and_clipped():
    progress = pd.DataFrame({"programme": "P1", "region_code": "3407", "item": "boutique_village",
                             "year": [2019, 2022, 2030], "actual": [0, 5, 10]})
    out = plots.plan_schedule(progress, plan_catalogue())
    # 10 · clip((year − 2020)/5, 0, 1): 2019 → 0, 2022 → 4, 2030 → 10
    assert out["scheduled"].tolist() == [0.0, 4.0, 10.0]


def test_plan_progress_bars_against_schedule():
    progress = pd.DataFrame({"programme": "P1", "region_code": "3407",
                             "item": ["boutique_village", "central_village"], "year": 2022, "actual": [5, 2]})
    ax = plots.plot_plan_progress(progress, catalogue=plan_catalogue())
    bars = ax.containers[0]
    assert len(bars) == 2
    # 5/10 = 50 % (scheduled 4/10 = 40 %: ahead, green); 2/8 = 25 % (scheduled 4/8 = 50 %: behind, red)
    assert [b.get_width() for b in bars] == [50.0, 25.0]
    assert [rgba(b.get_facecolor()) for b in bars] == [rgba(STATUS_COLOURS["green"]), rgba(STATUS_COLOURS["red"])]
    assert ax.collections[0].get_offsets()[:, 0].tolist() == [40.0, 50.0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "精品示范村" in ticks[0] and "省级中心村" in ticks[1]


# ------------------------------------------------------------------------------- ledger
def test_ledger_two_bars_per_task_with_rates():
    projects = pd.DataFrame({
        "project_id": ["P1", "P2", "P3"], "village_code": "340722001001",
        "task_id": ["T03", "T01", "T01"], "status": ["在建", "已完工", "在建"],
        "budget_wan": [40.0, 100.0, 100.0], "disbursed_wan": [10.0, 50.0, 100.0],
    })
    ax = plots.plot_ledger(projects)
    completion, disbursement = ax.containers
    assert len(completion) + len(disbursement) == 4
    # T01: 1 of 2 finished = 50 %, (50 + 100)/200 = 75 %; T03: 0 %, 10/40 = 25 %
    assert [b.get_width() for b in completion] == [50.0, 0.0]
    assert [b.get_width() for b in disbursement] == [75.0, 25.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"T01 {CAT.label('T01')}", f"T03 {CAT.label('T03')}"]
    with pytest.raises(plots.PlotDataError, match="T99"):
        plots.plot_ledger(projects.assign(task_id="T99"))


# ------------------------------------------------------------------------------- Lorenz
def test_lorenz_curve_points_and_gini_hand_values():
    ax = plots.plot_lorenz([0, 0, 0, 1])
    curve = line(ax, "Gini")
    assert np.asarray(curve.get_xdata()).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.asarray(curve.get_ydata()).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert curve.get_label().endswith("（Gini = 0.750）")  # (n − 1)/n
    # per-head values 4 and 1 for 1 and 3 people: ΣΣ wᵢwⱼ|xᵢ − xⱼ| = 2·3·1·3 = 18,
    # W = 4, x̄ = 7/4 → G = 18 / (2·16·1.75) = 0.3214
    ax = plots.plot_lorenz([4, 1], weights=[1, 3])
    curve = line(ax, "Gini")
    assert np.allclose(curve.get_xdata(), [0.0, 0.75, 1.0])
    assert np.allclose(curve.get_ydata(), [0.0, 3 / 7, 1.0])
    assert curve.get_label().endswith("（Gini = 0.321）")
    with pytest.raises(HemeiError):
        plots.plot_lorenz([-1, 2])


def test_lorenz_legend_shows_gini():
    ax = plots.plot_lorenz(pd.Series([0.0, 0.0, 0.0, 1.0]), label="枞阳县")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "枞阳县（Gini = 0.750）" in texts
    ax = plots.plot_lorenz([1, 3], gini=0.321, ax=ax, label="郊区")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "郊区（Gini = 0.321）" in texts
    assert sum(ln.get_gid() == "equality" for ln in ax.get_lines()) == 1


# ------------------------------------------------------------------------------- ranks
def test_rank_intervals_ordered_by_nominal_rank():
    ranks = pd.DataFrame({
        "unit_code": ["a", "b", "c"], "unit_name": ["甲村", "乙村", "丙村"],
        "rank_nominal": [2, 1, 3], "median": [2.0, 1.5, 2.5], "p05": [1, 1, 2], "p95": [3, 2, 3],
    })
    ax = plots.plot_rank_intervals(ranks)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["乙村", "甲村", "丙村"]
    segments = ax.collections[0].get_segments()
    assert len(segments) == 3
    assert [(s[0][0], s[1][0]) for s in segments] == [(1, 2), (1, 3), (2, 3)]
    with pytest.raises(plots.PlotDataError, match="p95"):
        plots.plot_rank_intervals(ranks.drop(columns="p95"))


# ------------------------------------------------------------------------------- selection
def test_criteria_profile_stacks_by_total_and_marks_selected():
    apps = pd.DataFrame({"village_code": ["1", "2", "3"], "village_name": ["甲村", "乙村", "丙村"],
                         "经济强": [10.0, 3.0, 8.0], "产业兴": [5.0, 3.0, 9.0], "selected": [1, 0, 1]})
    ax = plots.plot_criteria_profile(apps)
    first, second = ax.containers
    # totals 15, 6, 17 → order 丙村, 甲村, 乙村
    assert [t.get_text() for t in ax.get_yticklabels()] == ["丙村", "甲村", "乙村"]
    assert [b.get_width() for b in first] == [8.0, 10.0, 3.0]
    assert [b.get_x() for b in second] == [8.0, 10.0, 3.0]
    assert [b.get_width() for b in second] == [9.0, 5.0, 3.0]
    assert [t.get_fontweight() for t in ax.get_yticklabels()] == ["bold", "bold", "normal"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["经济强", "产业兴"]


def test_selection_probability_sorted_and_coloured():
    probs = pd.DataFrame({"village_code": ["1", "2", "3"], "village_name": ["甲村", "乙村", "丙村"],
                          "probability": [0.2, 0.9, 0.5], "selected": [0, 1, 1]})
    ax = plots.plot_selection_probability(probs)
    bars = ax.containers[0]
    assert [b.get_width() for b in bars] == [0.9, 0.5, 0.2]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["乙村", "丙村", "甲村"]
    assert rgba(bars[0].get_facecolor()) == rgba(bars[1].get_facecolor()) != rgba(bars[2].get_facecolor())
    with pytest.raises(plots.PlotDataError, match=r"\[0, 1\]"):
        plots.plot_selection_probability(probs.assign(probability=[0.2, 1.5, 0.1]))


# ------------------------------------------------------------------------------- rendering
def _all_charts():
    a = positive_ids(1)[0]
    return {
        "radar": lambda: plots.plot_radar(dimension_scores(), "340722"),
        "gap_bars": lambda: plots.plot_gap_bars(gap_frame()),
        "heatmap": lambda: plots.plot_score_heatmap(village_scores()),
        "trend": lambda: plots.plot_trend(trend_values(), a, benchmark=90.0, target_year=2025),
        "plan": lambda: plots.plot_plan_progress(
            pd.DataFrame({"programme": "P1", "region_code": "3407", "item": ["boutique_village"], "year": 2022,
                          "actual": [5]}), catalogue=plan_catalogue()),
        "ledger": lambda: plots.plot_ledger(pd.DataFrame({"task_id": ["T02"], "status": ["已完工"],
                                                          "budget_wan": [1.0], "disbursed_wan": [1.0]})),
        "lorenz": lambda: plots.plot_lorenz([1, 2, 3]),
        "ranks": lambda: plots.plot_rank_intervals(pd.DataFrame({"unit_code": ["a"], "unit_name": ["甲村"],
                                                                 "nominal": [1], "median": [1], "p05": [1],
                                                                 "p95": [2]})),
        "criteria": lambda: plots.plot_criteria_profile(pd.DataFrame({"village_name": ["甲村"], "党建引领好": [3.0]})),
        "probability": lambda: plots.plot_selection_probability(pd.DataFrame({"village_name": ["甲村"],
                                                                              "probability": [0.4]})),
    }


@pytest.mark.parametrize("name", list(_all_charts()))
def test_every_chart_renders_chinese_without_missing_glyphs(name):
    """Even after a bare seaborn.set_theme() (which drops the CJK font), charts render fully."""
    set_theme()
    import seaborn as sns

    sns.set_theme()
    logger = logging.getLogger("matplotlib.font_manager")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger.addHandler(handler)
    font_manager.fontManager._findfont_cached.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ax = _all_charts()[name]()
            buf = io.BytesIO()
            ax.figure.savefig(buf, format="png", dpi=72)
    finally:
        logger.removeHandler(handler)
    assert [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing" in str(w.message)] == []
    assert [r.getMessage() for r in records] == []
    assert buf.getvalue().startswith(b"\x89PNG")


def test_criteria_profile_weights_segments_by_the_criteria_table():
    table = pd.DataFrame({  # two field rows for 经济强: the chart takes one row per criterion
        "criterion_id": ["economy", "economy", "industry"], "criterion_zh": ["经济强", "经济强", "产业兴"],
        "criterion_weight": [1, 1, 3], "field": ["f1", "f2", "f3"],
    })
    scored = pd.DataFrame({"village_code": ["1", "2"], "village_name": ["甲村", "乙村"],
                           "economy": [40.0, 100.0], "industry": [80.0, 20.0], "total": [70.0, 40.0],
                           "rank": [1, 2], "eligible": [True, True], "nominal_selected": [1, 0]})
    ax = plots.plot_criteria_profile(scored, criteria=table)
    first, second = ax.containers
    # shares 1/4 and 3/4: 甲村 40·.25 + 80·.75 = 10 + 60 = 70; 乙村 25 + 15 = 40
    assert [b.get_width() for b in first] == [10.0, 25.0]
    assert [b.get_width() for b in second] == [60.0, 15.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["经济强", "产业兴"]
    assert [t.get_fontweight() for t in ax.get_yticklabels()] == ["bold", "normal"]
    # without the table: only the two criterion columns are drawn (not total, rank, eligible)
    assert len(plots.plot_criteria_profile(scored).containers) == 2


def test_selection_outputs_by_their_own_column_names():
    robust = pd.DataFrame({"village_code": ["1", "2", "3"], "village_name": ["甲村", "乙村", "丙村"],
                           "nominal_rank": [1, 3, 2], "nominal_selected": [1, 0, 1],
                           "p_selected": [0.95, 0.05, 0.6], "rank_median": [1.0, 3.0, 2.0],
                           "rank_p05": [1.0, 2.0, 1.0], "rank_p95": [2.0, 3.0, 3.0]})
    ax = plots.plot_selection_probability(robust)
    assert [b.get_width() for b in ax.containers[0]] == [0.95, 0.6, 0.05]
    ax = plots.plot_rank_intervals(robust)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["甲村", "丙村", "乙村"]
    ax = plots.plot_rank_intervals(robust, max_row_labels=2)
    assert ax.get_yticks().size == 0 and len(ax.collections[0].get_segments()) == 3


def test_ledger_accepts_a_summary_by_task():
    summary = pd.DataFrame({"task_id": ["T05", "T02"], "n_projects": [3, 4],
                            "completion_rate": [100.0, 25.0], "disbursement_rate": [80.0, 10.0]})
    ax = plots.plot_ledger(summary)
    completion, disbursement = ax.containers
    # catalogue order puts T02 before T05
    assert [b.get_width() for b in completion] == [25.0, 100.0]
    assert [b.get_width() for b in disbursement] == [10.0, 80.0]


def test_plan_progress_uses_expected_and_greys_unmeasured_items():
    progress = pd.DataFrame({"programme": "P1", "region_code": "3407",
                             "item": ["boutique_village", "central_village"], "year": 2022,
                             "actual": [3.0, np.nan], "expected": [2.0, 4.0],
                             "target_new": [999, 999]})  # stale target columns are replaced by the catalogue's
    ax = plots.plot_plan_progress(progress, catalogue=plan_catalogue())
    bars = ax.containers[0]
    # 3/10 = 30 % ahead of 2/10 = 20 % → green; unmeasured → 0-width grey bar, tick at 4/8 = 50 %
    assert [b.get_width() for b in bars] == [30.0, 0.0]
    assert rgba(bars[0].get_facecolor()) == rgba(STATUS_COLOURS["green"])
    assert rgba(bars[1].get_facecolor()) == rgba(STATUS_COLOURS["na"])
    assert ax.collections[0].get_offsets()[:, 0].tolist() == [20.0, 50.0]
