"""Benchmark gaps and traffic lights against hand-computed values (tiny test catalogue)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.gaps import (
    GapError,
    GapSpec,
    classify_distance,
    compute_gaps,
    rollup_status,
    weakest_links,
)
from hemei_tools.errors import HemeiError, SpecError

CATALOGUE = Path(__file__).parent / "data" / "gaps" / "catalogue"
_CAT = load_catalogue(CATALOGUE)


@pytest.fixture(scope="module")
def cat():
    return _CAT


def _benchmarks(**override):
    b = pd.DataFrame({
        "indicator_id": ["ind_up", "ind_down", "ind_pct", "ind_c"],
        "benchmark": [90.0, 40.0, 80.0, 50.0],
        "region": ["Zhejiang", "China", "Zhejiang", "Anhui"],
        "year": [2022, 2022, 2023, 2023],
        "kind": ["actual", "target", "actual", "actual"],
        "source_title": ["src up", "src down", "src pct", "src c"],
        "source_url": ["http://u", "http://d", "http://p", "http://c"],
        "note": [""] * 4,
    })
    for k, v in override.items():
        b.loc[b["indicator_id"] == k, "benchmark"] = v
    return b


def _values(rows):
    """rows: (level, unit_code, year, indicator_id, value)."""
    return pd.DataFrame(rows, columns=["level", "unit_code", "year", "indicator_id", "value"])


def test_classify_distance_boundaries():
    # green ≤ 0 < yellow ≤ 25 < orange ≤ 50 < red
    d = [0.0, 1e-9, 25.0, 25.0001, 50.0, 50.0001, 100.0, np.nan]
    got = classify_distance(d, 0.0, 50.0)
    assert list(got[:-1]) == ["green", "yellow", "yellow", "orange", "orange", "red", "red"]
    assert pd.isna(got[-1])


def test_gaps_higher_is_better_by_hand(cat):
    # B = 90, floor L = 0: distance = 100 − x/90·100
    uv = _values([("county", "A", 2023, "ind_up", x) for x in (90.0, 95.0, 72.0, 67.5, 60.0, 45.0, 40.0)])
    g = compute_gaps(uv, _benchmarks(), cat)
    assert g["distance"].tolist() == pytest.approx([0, 0, 20, 25, 100 / 3, 50, 500 / 9])
    assert g["status"].tolist() == ["green", "green", "yellow", "yellow", "orange", "orange", "red"]
    assert g["abs_gap"].tolist() == pytest.approx([0, -5, 18, 22.5, 30, 45, 50])
    assert g["rel_gap"].tolist() == pytest.approx([0, -500 / 90, 20, 25, 100 / 3, 50, 500 / 9])
    assert set(g["benchmark_region"]) == {"Zhejiang"}
    assert set(g["benchmark_kind"]) == {"actual"}
    assert g["benchmark_year"].iloc[0] == 2022
    assert g["benchmark_source"].iloc[0] == "src up"
    assert g["benchmark_url"].iloc[0] == "http://u"
    assert g["task_id"].iloc[0] == "T01" and g["dimension_id"].iloc[0] == "D1"


def test_gaps_lower_is_better_by_hand(cat):
    # B = 40, worst goalpost 200 (catalogue): a = (200 − x)/160
    uv = _values([("village", f"v{i}", 2023, "ind_down", x) for i, x in enumerate((40, 30, 80, 100, 120, 210))])
    g = compute_gaps(uv, _benchmarks(), cat)
    assert g["distance"].tolist() == pytest.approx([0, 0, 25, 37.5, 50, 100])
    assert g["status"].tolist() == ["green", "green", "yellow", "orange", "orange", "red"]
    # abs_gap = d·(B − x) = x − 40: shortfall positive, beyond the benchmark negative
    assert g["abs_gap"].tolist() == pytest.approx([0, -10, 40, 60, 80, 170])
    assert g["rel_gap"].tolist() == pytest.approx([0, -25, 100, 150, 200, 425])
    assert (g["goalpost"] == 200).all()


def test_goalpost_from_the_pinned_low_row_when_catalogue_blank(cat):
    # ind_pct has no goalpost_low; its floor is the pinned low row of reference_goalposts.csv (20),
    # whatever the values compared: the villages below it do not move it.
    uv = _values([
        ("village", "v1", 2023, "ind_pct", 5.0),
        ("village", "v2", 2023, "ind_pct", 40.0),
        ("village", "v3", 2023, "ind_pct", 60.0),
        ("county", "A", 2023, "ind_pct", 50.0),
    ])
    g = compute_gaps(uv, _benchmarks(), cat)
    assert g["goalpost"].tolist() == [20.0] * 4
    # a = (x − 20)/(80 − 20), clipped at 0
    assert g["distance"].tolist() == pytest.approx([100, 200 / 3, 100 / 3, 50])
    assert g["status"].tolist() == ["red", "red", "orange", "orange"]
    assert g.equals(compute_gaps(uv.iloc[1:], _benchmarks(), cat).pipe(
        lambda x: pd.concat([g.iloc[:1], x], ignore_index=True)))


def test_custom_thresholds_and_overrides(cat):
    uv = _values([("county", "A", 2023, "ind_up", 72.0), ("county", "A", 2023, "ind_c", 45.0)])
    # distances 20 (ind_up) and 10 (ind_c)
    spec = GapSpec(green_distance=10, red_distance=30, overrides=(("ind_up", 0, 20),))
    g = compute_gaps(uv, _benchmarks(), cat, spec).set_index("indicator_id")
    assert g.loc["ind_c", "distance"] == pytest.approx(10)
    assert g.loc["ind_c", "status"] == "green"  # ≤ 10
    assert g.loc["ind_up", "status"] == "orange"  # 10 < 20 ≤ 20 with override (0, 20)


def test_missing_values_keep_rows_without_status(cat):
    uv = _values([("county", "A", 2023, "ind_up", np.nan)])
    g = compute_gaps(uv, _benchmarks(), cat)
    assert len(g) == 1 and np.isnan(g["distance"].iloc[0]) and pd.isna(g["status"].iloc[0])


def test_unscored_indicator_is_left_out(cat):
    uv = _values([("county", "A", 2023, "ind_ctx", 5.0), ("county", "A", 2023, "ind_c", 50.0)])
    g = compute_gaps(uv, _benchmarks(), cat)
    assert g["indicator_id"].tolist() == ["ind_c"]


def test_missing_benchmark_raises_with_fix(cat):
    uv = _values([("county", "A", 2023, "ind_c", 5.0)])
    with pytest.raises(GapError, match="no benchmark value for scored indicator.*ind_c.*benchmarks.csv"):
        compute_gaps(uv, _benchmarks(ind_c=np.nan), cat)
    with pytest.raises(HemeiError, match="ind_c"):
        compute_gaps(uv, _benchmarks().iloc[:2], cat)


def test_unknown_indicator_and_missing_columns_raise(cat):
    with pytest.raises(GapError, match="not in the catalogue"):
        compute_gaps(_values([("county", "A", 2023, "nope", 1.0)]), _benchmarks(), cat)
    with pytest.raises(GapError, match="unit_values lacks column.*value"):
        compute_gaps(_values([]).drop(columns="value"), _benchmarks(), cat)


def test_gapspec_rejects_bad_thresholds():
    with pytest.raises(SpecError, match="green_distance < red_distance"):
        GapSpec(green_distance=60, red_distance=50)
    with pytest.raises(SpecError, match="ind_x"):
        GapSpec(overrides=(("ind_x", 5, 200),))
    assert GapSpec().midpoint == 25


def _gap_rows(rows):
    """rows: (unit, indicator_id, task_id, dimension_id, distance)."""
    g = pd.DataFrame(rows, columns=["unit_code", "indicator_id", "task_id", "dimension_id", "distance"])
    g["level"], g["year"] = "county", 2023
    g["status"] = classify_distance(g["distance"])
    return g


def test_rollup_two_worst_rule(cat):
    g = _gap_rows([
        # unit A: T01 both green → green
        ("A", "i1", "T01", "D1", 0.0), ("A", "i2", "T01", "D1", 0.0),
        # unit B: T01 both red → red
        ("B", "i1", "T01", "D1", 60.0), ("B", "i2", "T01", "D1", 90.0),
        # unit C: red + green, mean 30 > 25 → orange
        ("C", "i1", "T01", "D1", 60.0), ("C", "i2", "T01", "D1", 0.0),
        # unit D: red + green, mean 27.5 → orange; orange + green mean 20 → yellow in T02
        ("D", "i1", "T01", "D1", 55.0), ("D", "i2", "T01", "D1", 0.0),
        ("D", "i3", "T02", "D1", 40.0), ("D", "i4", "T02", "D1", 0.0), ("D", "i5", "T02", "D1", 0.0),
        # unit E: three indicators; the two worst (red 80, orange 40) decide: mean 60 → orange,
        # although the best is green; one-indicator task takes its own status
        ("E", "i1", "T01", "D1", 80.0), ("E", "i2", "T01", "D1", 0.0), ("E", "i3", "T01", "D1", 40.0),
        ("E", "i6", "T03", "D2", 10.0),
    ])
    r = rollup_status(g, cat).set_index(["unit_code", "node"])
    assert r.loc[("A", "T01"), "status"] == "green"
    assert r.loc[("B", "T01"), "status"] == "red"
    assert r.loc[("C", "T01"), "status"] == "orange"
    assert r.loc[("C", "T01"), "distance"] == pytest.approx(30)
    assert r.loc[("D", "T01"), "status"] == "orange"
    assert r.loc[("D", "T02"), "status"] == "yellow"
    assert r.loc[("D", "T02"), "distance"] == pytest.approx(20)
    assert r.loc[("E", "T01"), "status"] == "orange"
    assert r.loc[("E", "T01"), "worst_indicators"] == "i1,i3"
    assert r.loc[("E", "T01"), "n_indicators"] == 3
    assert r.loc[("E", "T03"), "status"] == "yellow"
    assert r.loc[("E", "T03"), "worst_indicators"] == "i6"
    # dimension D1 of D: worst two across T01 and T02 are 55 (red) and 40 (orange) → mean 47.5 → orange
    assert r.loc[("D", "D1"), "status"] == "orange"
    assert r.loc[("D", "D1"), "worst_indicators"] == "i1,i3"
    assert r.loc[("D", "D1"), "node_level"] == "dimension"
    assert r.loc[("D", "D1"), "score"] == pytest.approx(52.5)


def _county_gaps(cat):
    uv = _values([
        ("county", "A", 2023, "ind_up", 45.0),    # distance 50
        ("county", "A", 2023, "ind_down", 80.0),  # distance 25
        ("county", "A", 2023, "ind_pct", 80.0),   # reached
        ("county", "A", 2023, "ind_c", 10.0),     # distance 80
        ("county", "A", 2022, "ind_c", np.nan),
        ("village", "v1", 2023, "ind_pct", 0.0),
    ])
    return compute_gaps(uv, _benchmarks(), cat)


def test_weakest_links_ranks_indicators_and_tasks(cat):
    w = weakest_links(_county_gaps(cat), "county", "A", 2023, n=5, catalogue=cat)
    ind = w[w["kind"] == "indicator"]
    assert ind["code"].tolist() == ["ind_c", "ind_up", "ind_down"]  # ind_pct reached: not listed
    assert ind["rank"].tolist() == [1, 2, 3]
    assert ind["label"].tolist() == ["金额指标", "上升指标", "下降指标"]
    assert ind["unit"].tolist() == ["万元", "%", "元"]
    # task distance = weighted mean within the task: T01 = (1·50 + 3·25)/4 = 31.25; T03 = 80; T02 = 0 (left out)
    task = w[w["kind"] == "task"].set_index("code")
    assert task.index.tolist() == ["T03", "T01"]
    assert task.loc["T01", "distance"] == pytest.approx(31.25)
    assert task.loc["T01", "worst_indicator"] == "ind_up"
    assert task.loc["T03", "label"] == "任务三"
    # task lights follow the two-worst rule: T01 = orange (50) + yellow (25), mean 37.5 → orange
    assert task.loc["T01", "status"] == "orange"
    assert task.loc["T03", "status"] == "red"
    en = weakest_links(_county_gaps(cat), "county", "A", 2023, n=1, catalogue=cat, lang="en")
    assert en["label"].tolist() == ["Amount indicator", "Task three"]


def test_weakest_links_bad_unit_or_year(cat):
    g = _county_gaps(cat)
    with pytest.raises(GapError, match="unknown county 'Z'.*A"):
        weakest_links(g, "county", "Z", 2023, catalogue=cat)
    with pytest.raises(GapError, match=r"no values in 2022; years with data: \[2023\]"):
        weakest_links(g, "county", "A", 2022, catalogue=cat)
    with pytest.raises(GapError, match="no rows at level 'city'"):
        weakest_links(g, "city", "A", 2023, catalogue=cat)


def test_weakest_links_text_columns(cat):
    w = weakest_links(_county_gaps(cat), "county", "A", 2023, n=2, catalogue=cat).set_index("code")
    assert w.loc["ind_c", "value_text"] == "10.0万元"
    assert w.loc["ind_c", "benchmark_text"] == "50.0万元"
    assert w.loc["ind_c", "gap_text"] == "40.0万元"
    assert w.loc["ind_up", "value_text"] == "45.0%"
    assert w.loc["T03", "value_text"] == ""


def test_resolved_goalpost_low_overrides_catalogue(cat):
    # benchmarks.resolve_benchmarks carries the resolved lower goalpost; gaps must use it
    uv = _values([("county", "A", 2023, "ind_up", 60.0)])
    b = _benchmarks().assign(goalpost_low=[30.0, 200.0, 0.0, 0.0])
    g = compute_gaps(uv, b, cat)
    assert g["goalpost"].iloc[0] == 30.0
    assert g["distance"].iloc[0] == pytest.approx(50.0)  # (60 − 30)/(90 − 30) = 0.5


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=-50, max_value=300, allow_nan=False), min_size=1, max_size=20))
def test_distance_bounded_and_monotone(values):
    cat = _CAT
    xs = sorted(values)
    rows = [("village", f"v{i}", 2023, iid, x) for iid in ("ind_up", "ind_down") for i, x in enumerate(xs)]
    g = compute_gaps(_values(rows), _benchmarks(), cat)
    assert g["distance"].between(0, 100).all()
    up = g[g["indicator_id"] == "ind_up"]["distance"].to_numpy()
    down = g[g["indicator_id"] == "ind_down"]["distance"].to_numpy()
    # higher is better: distance falls as the value rises; lower is better: it rises
    assert (np.diff(up) <= 1e-12).all()
    assert (np.diff(down) >= -1e-12).all()
    assert set(g["status"]) <= {"green", "yellow", "orange", "red"}


def test_benchmark_basis_and_below_average_flag():
    """The packaged catalogue: toilets' national 2022 target (85) lies below Anhui's 2023 average
    (88.4), so a county at 90 is green against the benchmark and flagged; rural income is not."""
    from hemei_tools.engine.goalposts import resolve_benchmarks

    full = load_catalogue()
    uv = _values([("county", "A", 2023, "toilet_rate", 90.0), ("county", "A", 2023, "rural_income", 30000.0)])
    g = compute_gaps(uv, resolve_benchmarks(full), full).set_index("indicator_id")
    assert g.loc["toilet_rate", "status"] == "green"
    assert g.loc["toilet_rate", "benchmark_flag"] == "below_average"
    assert g.loc["toilet_rate", "benchmark_basis"] == "national"
    assert g.loc["rural_income", "benchmark_flag"] == ""
    assert g.loc["rural_income", "benchmark_basis"] == "zhejiang"
    # the test catalogue publishes no averages: nothing is flagged
    assert set(compute_gaps(_values([("county", "A", 2023, "ind_up", 95.0)]), _benchmarks(), load_catalogue(
        CATALOGUE))["benchmark_flag"]) == {""}


@pytest.mark.parametrize("county", ["340705", "340706", "340711", "340722"])
def test_every_weakest_task_names_an_indicator_of_that_task(demo_dir, county):
    """On the demo (task ids are categoricals, as real data make them), each task record's
    worst indicator, label and light belong to that task (pandas 3 maps a categorical column
    through a categorical index by position: five of ten tasks named another task's indicator)."""
    from hemei_tools.engine.region import analyse_region, load_report_context

    a = analyse_region(load_report_context(str(demo_dir), county, 2023), n_runs=0)
    ind = a.catalogue.indicators.set_index("indicator_id")
    tasks = a.links[a.links["kind"] == "task"]
    assert len(tasks) > 0
    owner = tasks["worst_indicator"].astype(str).map(ind["task_id"].astype(str))
    assert (owner == tasks["code"].astype(str)).all(), tasks[["code", "worst_indicator"]]
    names = a.catalogue.framework.set_index("code")["name_zh"].astype(str)
    assert (tasks["label"].astype(str) == tasks["code"].astype(str).map(names)).all()
    # the light is the task's own two-worst light
    lights = a.status[(a.status["level"] == "county") & (a.status["unit_code"] == county)
                      & (a.status["node_level"] == "task")].set_index("node")["status"].astype(str)
    assert (tasks["status"].astype(str) == tasks["code"].astype(str).map(lights)).all()
