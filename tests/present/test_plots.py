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

from hemei_tools.catalogue import load_catalogue
from hemei_tools.errors import HemeiError
from hemei_tools.present import plots
from hemei_tools.present.style import STATUS_COLOURS, set_theme

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
    assert np.asarray(line(ax, "基准").get_ydata()).tolist() == [100] * 5


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


def test_radar_labels_and_legend_lie_inside_the_default_figure():
    """Regression: the left spoke label (宜养乡风美) was cut off by the figure's left edge."""
    set_theme()
    for scores, code in [(dimension_scores(), "340722"), (dimension_scores(), "3407")]:
        ax = plots.plot_radar(scores, code)
        fig = ax.figure
        assert tuple(fig.get_size_inches()) == (5.2, 4.6)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        texts = ax.get_xticklabels() + [ax.get_legend()]
        for artist in texts:
            ext = artist.get_window_extent(renderer)
            assert box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1, artist
        # no two of the spoke labels and the legend overlap
        extents = [t.get_window_extent(renderer) for t in texts]
        for i, a in enumerate(extents):
            assert not any(a.overlaps(b) for b in extents[i + 1:])
        # the labels stay outside the circle: the left one ends left of the Axes, the right one
        # starts right of it
        frame = ax.get_window_extent(renderer)
        left, right = extents[3], extents[1]
        assert left.x1 <= frame.x0 + 1 and right.x0 >= frame.x1 - 1


def test_radar_of_the_only_unit_at_its_level_draws_no_average_line():
    scores = dimension_scores()
    ax = plots.plot_radar(scores, "3407")  # the city: the mean of one city is itself
    assert [ln.get_label() for ln in ax.get_lines()] == [plots.TEXT["benchmark"], "铜陵市"]


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
    bl = line(ax, "浙江 2022（实际值）")  # region name in Chinese (narrative.REGION_ZH)
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
        "weight_sweep": lambda: plots.plot_weight_sweep(sweep_frame(), criteria=CRITERIA_AB),
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


# ------------------------------------------------------------------------------- weight sweep
def sweep_frame(with_labels: bool = False) -> pd.DataFrame:
    """Two criteria a, b (nominal share 0.5 each), grid 0, 0.5, 1, three villages, one place.

    Selected village by (criterion, share): a → v2, v1, v1; b → v1, v1, v3 (nominal: v1).
    Ranks of v1: a → 2, 1, 1; b → 1, 1, 3.
    """
    chosen = {("a", 0.0): "v2", ("a", 0.5): "v1", ("a", 1.0): "v1",
              ("b", 0.0): "v1", ("b", 0.5): "v1", ("b", 1.0): "v3"}
    rank_v1 = {("a", 0.0): 2, ("a", 0.5): 1, ("a", 1.0): 1, ("b", 0.0): 1, ("b", 0.5): 1, ("b", 1.0): 3}
    rows = []
    for (c, share), winner in chosen.items():
        others = iter([2, 3] if rank_v1[c, share] == 1 else [1, 3] if rank_v1[c, share] == 2 else [1, 2])
        for v in ("v1", "v2", "v3"):
            rank = rank_v1[c, share] if v == "v1" else next(others)
            rows.append((c, share, 0.5, v, 100.0 - rank, rank, v == winner))
    out = pd.DataFrame(rows, columns=["criterion_id", "share", "nominal_share", "village_code", "total", "rank",
                                      "selected"])
    if with_labels:
        out["criterion_zh"] = out["criterion_id"].map({"a": "甲准则", "b": "乙准则"})
    return out


CRITERIA_AB = pd.DataFrame({  # table order b, a; two field rows for b
    "criterion_id": ["b", "b", "a"], "criterion_zh": ["乙准则", "乙准则", "甲准则"], "criterion_weight": [1, 1, 1],
})


def test_weight_sweep_counts_replaced_villages_per_criterion_with_table_labels():
    ax = plots.plot_weight_sweep(sweep_frame(), criteria=CRITERIA_AB)
    # labels and order from the criteria table, never from the code
    assert [ln.get_label() for ln in ax.get_lines()][:2] == ["乙准则", "甲准则"]
    # nominal shortlist = {v1} (grid point 0.5). a: v1 out at 0 → 1, kept at .5 and 1 → 0, 0;
    # b: kept at 0 and .5 → 0, 0; out at 1 → 1
    assert np.asarray(line(ax, "甲准则").get_ydata()).tolist() == [1, 0, 0]
    assert np.asarray(line(ax, "乙准则").get_ydata()).tolist() == [0, 0, 1]
    assert np.asarray(line(ax, "甲准则").get_xdata()).tolist() == [0.0, 0.5, 1.0]
    # current weights: one dot per criterion at (0.5, 0) and one dotted line at 0.5
    assert ax.collections[0].get_offsets().tolist() == [[0.5, 0.0], [0.5, 0.0]]
    assert np.asarray(line(ax, plots.TEXT["sweep_nominal"]).get_xdata()).tolist() == [0.5, 0.5]
    assert ax.get_xlim() == (0.0, 1.0)
    assert ax.get_ylabel() == plots.TEXT["sweep_replaced"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["乙准则", "甲准则", plots.TEXT["sweep_nominal"]]


def test_weight_sweep_labels_from_the_sweep_and_nominal_from_a_shortlist():
    # labels carried in the frame; order of appearance when no table is given
    ax = plots.plot_weight_sweep(sweep_frame(with_labels=True))
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["甲准则", "乙准则"]
    # a shortlist naming v3 as nominal: a → v3 out everywhere (1, 1, 1); b → out, out, in (1, 1, 0)
    shortlist = pd.DataFrame({"village_code": ["v1", "v2", "v3"], "selected": [False, False, True]})
    ax = plots.plot_weight_sweep(sweep_frame(), criteria={"a": "甲", "b": "乙"}, shortlist=shortlist)
    assert np.asarray(line(ax, "甲").get_ydata()).tolist() == [1, 1, 1]
    assert np.asarray(line(ax, "乙").get_ydata()).tolist() == [1, 1, 0]


def test_weight_sweep_one_village_rank_thick_where_selected():
    fig, given = plt.subplots()
    ax = plots.plot_weight_sweep(sweep_frame(), given, criteria=CRITERIA_AB, village_code="v1")
    assert ax is given
    assert np.asarray(line(ax, "甲准则").get_ydata()).tolist() == [2, 1, 1]
    assert np.asarray(line(ax, "乙准则").get_ydata()).tolist() == [1, 1, 3]
    thick = [ln for ln in ax.get_lines() if ln.get_label() == "_selected"]
    # table order b, a: b selected at 0, .5 (not at 1); a selected at .5, 1 (not at 0)
    ys = [np.asarray(ln.get_ydata(), float) for ln in thick]
    assert np.isnan(ys[0]).tolist() == [False, False, True]
    assert np.isnan(ys[1]).tolist() == [True, False, False]
    lo, hi = ax.get_ylim()
    assert lo > hi  # rank 1 on top
    assert plots.TEXT["sweep_selected"] in [t.get_text() for t in ax.get_legend().get_texts()]


def test_weight_sweep_rejects_bad_input():
    with pytest.raises(plots.PlotDataError, match="village 'zz'"):
        plots.plot_weight_sweep(sweep_frame(), village_code="zz")
    with pytest.raises(plots.PlotDataError, match="needs village_code"):
        plots.plot_weight_sweep(sweep_frame(), measure="rank")
    with pytest.raises(plots.PlotDataError, match="unknown measure"):
        plots.plot_weight_sweep(sweep_frame(), measure="nope")
    with pytest.raises(plots.PlotDataError, match="selected"):
        plots.plot_weight_sweep(sweep_frame().drop(columns="selected"))


def test_weight_sweep_of_a_real_selection_round():
    """Layer 3: the chart agrees with stable_weight_ranges on selection.sweep_weights output."""
    from hemei_tools.engine import selection

    crit = pd.DataFrame({
        "version": "t", "criterion_id": ["x", "y"], "criterion_zh": ["准则X", "准则Y"],
        "criterion_en": ["X", "Y"], "criterion_weight": ["1", "1"], "tie_break": ["1", "2"],
        "field": ["fx", "fy"], "field_zh": ["x", "y"], "field_en": ["x", "y"], "source": "applicants",
        "field_weight": ["1", "1"], "direction": ["1", "1"], "normalisation": "score", "levels": "",
        "unit": "分", "note": "",
    })
    crit = selection.load_criteria(crit)
    apps = pd.DataFrame({"village_code": ["1", "2", "3"], "county_code": "340722", "apply_year": 2023,
                         "eligible": True, "fx": [100.0, 0.0, 40.0], "fy": [0.0, 100.0, 70.0]})
    quotas = pd.DataFrame({"county_code": ["340722"], "quota": [1]})
    sweep = selection.sweep_weights(apps, crit, quotas, total=1, step=0.25)
    ax = plots.plot_weight_sweep(sweep, criteria=crit)
    # totals at X share s: v1 = 100s, v2 = 100(1 − s), v3 = 40s + 70(1 − s); nominal s = .5 → v3 (55)
    # s = 0: v2 (100) → 1 replaced; .25: v2 75 vs v3 62.5 → 1; .5: v3 → 0; .75: v1 75 → 1; 1: v1 → 1
    assert np.asarray(line(ax, "准则X").get_ydata()).tolist() == [1, 1, 0, 1, 1]
    assert np.asarray(line(ax, "准则Y").get_ydata()).tolist() == [1, 1, 0, 1, 1]


# ------------------------------------------------------------------------------- reader fixes
def _inside_figure(artist) -> bool:
    fig = artist.figure
    fig.canvas.draw()
    ext = artist.get_window_extent(fig.canvas.get_renderer())
    box = fig.bbox
    return box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1


def test_plan_progress_legend_names_the_bar_colours_and_marks_unmeasured_rows():
    progress = pd.DataFrame({"programme": "P1", "region_code": "3407",
                             "item": ["boutique_village", "central_village"], "year": 2022,
                             "actual": [5.0, np.nan]})
    ax = plots.plot_plan_progress(progress, catalogue=plan_catalogue())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # 5/10 ahead of 4/10 → green only; the bars are coloured by schedule, so no plain "实际完成"
    assert legend == [plots.TEXT["plan_schedule"], plots.TEXT["plan_green"]]
    assert [t.get_text() for t in ax.texts] == [plots.TEXT["plan_na"]]
    assert ax.texts[0].get_position()[1] == 1  # the second (unmeasured) row
    assert _inside_figure(ax.get_legend())


def test_gap_bars_mark_a_reached_benchmark_with_a_dot():
    gaps = gap_frame()  # distances 50, 10, 0: the third indicator has reached its benchmark
    ax = plots.plot_gap_bars(gaps, measure="distance")
    assert [b.get_width() for b in ax.containers[0]] == [-50.0, -10.0, 0.0]
    dots = ax.collections[0]
    assert dots.get_offsets().tolist() == [[0.0, 2.0]]
    assert rgba(dots.get_facecolor()[0]) == rgba(STATUS_COLOURS["green"])
    lo, hi = ax.get_xlim()
    assert lo < -50 and hi > 0  # the dot at 0 is not cut by the frame (3% of 50 = 1.5 each side)


def test_heatmap_missing_scores_are_grey_not_the_colour_of_zero():
    scores = village_scores()
    scores.loc[scores.index[0], "score"] = np.nan
    ax = plots.plot_score_heatmap(scores)
    cmap = ax.images[0].get_cmap()
    assert rgba(cmap.get_bad()) == rgba(STATUS_COLOURS["na"]) != rgba(cmap(0.0))


def test_trend_legend_sits_above_the_lines_with_chinese_region():
    values = trend_values()
    iid = values["indicator_id"].iloc[0]
    bench = pd.DataFrame([{"indicator_id": iid, "benchmark": 85.0, "region": "Shaoxing (Zhejiang)", "year": 2022,
                           "kind": "actual"}])
    ax = plots.plot_trend(values, iid, benchmark=bench, target_year=2027)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend()
    assert legend.get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 1
    assert _inside_figure(legend)
    assert any("浙江绍兴 2022" in t.get_text() for t in legend.get_texts())


def test_criteria_profile_says_what_bold_means():
    scored = pd.DataFrame({"village_name": ["甲村", "乙村"], "经济强": [3.0, 1.0], "selected": [1, 0]})
    ax = plots.plot_criteria_profile(scored)
    assert ax.get_ylabel() == plots.TEXT["bold_selected"]
    assert _inside_figure(ax.yaxis.label)
    assert plots.plot_criteria_profile(scored.drop(columns="selected")).get_ylabel() == ""


def test_weight_sweep_legend_fits_the_figure_with_five_criteria():
    frames = []
    for k, c in enumerate(["c1", "c2", "c3", "c4", "c5"]):
        f = sweep_frame().query("criterion_id == 'a'").assign(criterion_id=c)
        frames.append(f.assign(criterion_zh=["经济强", "产业兴", "基础好", "积极性高", "党建引领好"][k]))
    ax = plots.plot_weight_sweep(pd.concat(frames, ignore_index=True), village_code="v1")
    assert len(ax.get_legend().get_texts()) == 7  # five criteria, current weights, thick = selected
    assert _inside_figure(ax.get_legend())


def test_gap_bars_follow_the_catalogue_order_with_categorical_ids():
    """Gaps frames carry ``indicator_id`` as a categorical (sorted categories, as the engine
    makes them): the bars still follow the catalogue, not the ids' alphabet."""
    gaps = gap_frame()
    ids = list(gaps["indicator_id"])
    catalogue_order = [i for i in CAT.indicator_ids if i in ids]
    assert catalogue_order != sorted(ids)  # the fixture's ids are not in alphabetical order
    gaps = gaps.assign(indicator_id=pd.Categorical(gaps["indicator_id"], categories=sorted(ids)))
    ax = plots.plot_gap_bars(gaps)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [CAT.label(i, with_unit=True) for i in catalogue_order]


# ------------------------------------------------------------------------------- briefing info
def test_every_chart_kind_has_its_title_caption_and_alt_labels():
    from hemei_tools.catalogue import load_labels

    labels = load_labels()
    missing = [f"figure.{k}.{part}" for k in plots.CHART_KINDS for part in ("title", "caption", "alt")
               if f"figure.{k}.{part}" not in labels]
    assert missing == []


def test_gap_bars_describe_themselves_with_data_units_and_an_alt_text_that_names_the_gaps():
    """Distances 50, 10, 0 drawn as −50, −10, 0: the alt text names the three from the worst,
    counts one reached benchmark; the data hold value, benchmark, the drawn gap and the word."""
    gaps = gap_frame()
    ax = plots.plot_gap_bars(gaps, measure="distance")
    info = plots.chart_info(ax.figure)
    names = [CAT.label(i) for i in gaps["indicator_id"]]
    assert info.kind == "gap_bars" and info.source == "data"
    assert info.title == "3407222023年各指标距基准的差距"
    assert info.unit == "分（0=达到基准）"
    assert info.alt == (f"条形图：3407222023年3项指标距基准的差距；差距最大的是{names[0]}（差50.0分）、"
                        f"{names[1]}（差10.0分）、{names[2]}（差0.0分）；1项达到基准。")
    d = info.data
    assert d["指标"].tolist() == names
    assert d["单位"].tolist() == [CAT.indicator(i)["unit"] for i in gaps["indicator_id"]]
    assert d["现值"].tolist() == [50.0, 90.0, 120.0] and d["基准"].tolist() == [100.0] * 3
    assert d[plots.TEXT["gap_distance"]].tolist() == [-50.0, -10.0, 0.0]
    assert d["状态"].tolist() == ["差距很大", "接近", "达标"]


def test_gap_bars_show_each_status_by_shape_as_well_as_colour():
    """The red bar ends in an ✖, the yellow one in a ◆ (the reached one keeps its dot at 0);
    the legend shows colour and shape side by side."""
    from hemei_tools.present.style import STATUS_MARKERS

    ax = plots.plot_gap_bars(gap_frame(), measure="distance")
    by_gid = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    assert set(by_gid) == {"status-red", "status-yellow"}
    assert by_gid["status-red"].get_offsets().tolist() == [[-50.0, 0.0]]
    assert by_gid["status-yellow"].get_offsets().tolist() == [[-10.0, 1.0]]
    assert STATUS_MARKERS["red"] == "X" and STATUS_MARKERS["yellow"] == "D"
    assert len({STATUS_MARKERS[s] for s in ("green", "yellow", "orange", "red")}) == 4
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["达标", "接近", "差距很大"]


def test_heatmap_uses_the_fixed_0_100_scale_whatever_the_scores():
    """Scores all between 40 and 60 keep the 0–100 norm: 50 is the middle colour of the map."""
    scores = village_scores()
    scores["score"] = np.linspace(40, 60, len(scores))
    ax = plots.plot_score_heatmap(scores)
    norm = ax.images[0].norm
    assert (norm.vmin, norm.vmax) == (0.0, 100.0)
    assert norm(50.0) == pytest.approx(0.5)


def test_lorenz_overlays_collect_every_curve_in_one_table():
    ax = plots.plot_lorenz([1, 1, 2], label="甲")
    plots.plot_lorenz([1, 3], label="乙", ax=ax)
    info = plots.chart_info(ax)
    assert info.kind == "lorenz"
    assert info.data["曲线"].drop_duplicates().tolist() == ["甲", "乙"]
    # Gini of (1, 1, 2): Σ|xi − xj| / (2 n² x̄) = 4 / (2 · 9 · 4/3) = 1/6; of (1, 3): 4 / (2 · 4 · 2) = 1/4
    assert info.alt == "洛伦兹曲线图：2条曲线及其基尼系数：甲 0.167、乙 0.250。"


def test_long_lorenz_curve_is_tabulated_at_every_whole_percent():
    # 1000 units valued 1..1000: the curve's points are (k/1000, k(k+1)/(1000·1001)); its table
    # keeps the 101 points at pop share 0, 0.01, …, 1 (k = 10j, exactly on the curve), not the
    # 1001 points: a province curve of 13,583 villages made a 577 kB CSV download
    ax = plots.plot_lorenz(np.arange(1, 1001, dtype=float), label="甲")
    data = plots.chart_info(ax).data
    assert len(data) == plots.LORENZ_TABLE_POINTS == 101
    assert data["累计单位（人口）占比"].tolist() == pytest.approx([j / 100 for j in range(101)])
    assert data["累计数值占比"].iloc[50] == pytest.approx(500 * 501 / (1000 * 1001), abs=1e-4)  # 0.25025
    assert data["累计数值占比"].iloc[10] == pytest.approx(100 * 101 / (1000 * 1001), abs=1e-4)  # 0.01009
    # the drawn line keeps every point
    assert len(line(ax, "Gini").get_xdata()) == 1001
    # a short curve keeps its own points (hand values of the test above)
    assert plots.chart_info(plots.plot_lorenz([0, 0, 0, 1])).data["累计数值占比"].tolist() == [0, 0, 0, 0, 1]


def test_province_lorenz_panels_download_stays_small():
    from hemei_tools.present.downloads import csv_data_uri, figure_data

    rng = np.random.default_rng(7)
    ax = None
    for i in range(16):  # 16 cities of 850 villages: 13,600 points drawn
        ax = plots.plot_lorenz(rng.uniform(20, 90, 850), label=f"市{i}", ax=ax)
    frame = figure_data(ax.figure)
    assert len(frame) == 16 * 101
    assert len(csv_data_uri(frame)) < 80_000  # every point: about 577 kB
