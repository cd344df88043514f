"""Traffic-light rules as catalogue data (issue 14, point 4): ``catalogue/traffic_lights.csv``
gives each node level its rule and thresholds; dimensions are lit by their own score, so the
lights still tell units apart. Every expected light is worked out by hand below.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from hemei_tools.catalogue import (
    LIGHT_LEVELS,
    load_catalogue,
    load_light_rules,
    validate_light_rules,
)
from hemei_tools.engine.gaps import GapSpec, classify_distance, rollup_status, score_lights
from hemei_tools.errors import CatalogueError
from hemei_tools.present.section_parts import light_rules_text

#: The tiny catalogue of the gap tests (tasks T01–T04 of dimension D1, …).
_CAT = load_catalogue(Path(__file__).parent / "data" / "gaps" / "catalogue")


def test_the_packaged_rules():
    """Indicators by the thresholds 0 and 50, tasks by their two worst indicators, dimensions
    by their own score with the same thresholds."""
    rules = load_light_rules()
    assert list(rules.index) == list(LIGHT_LEVELS)
    assert rules["rule"].to_dict() == {"indicator": "threshold", "task": "two_worst", "dimension": "score"}
    assert rules[["green_distance", "red_distance"]].to_numpy().tolist() == [[0.0, 50.0]] * 3
    assert all(rules["note"].str.len() > 20)
    spec = GapSpec.from_rules()
    assert (spec.green_distance, spec.red_distance, spec.midpoint) == (0.0, 50.0, 25.0)


def _rules(**rows) -> pd.DataFrame:
    base = {"indicator": ("threshold", "0", "50"), "task": ("two_worst", "0", "50"), "dimension": ("score", "0", "50")}
    base.update(rows)
    return pd.DataFrame([(k, *v, "note") for k, v in base.items()],
                        columns=["node_level", "rule", "green_distance", "red_distance", "note"])


@pytest.mark.parametrize(("rows", "message"), [
    ({"indicator": ("score", "0", "50")}, r"row 2 \(indicator\): rule 'score' \(allowed here: threshold\)"),
    ({"task": ("median", "0", "50")}, r"row 3 \(task\): rule 'median'"),
    ({"dimension": ("score", "60", "50")}, r"row 4 \(dimension\): need numbers 0 ≤ green_distance < red_distance"),
    ({"dimension": ("score", "0", "x")}, r"row 4 \(dimension\): need numbers"),
    ({"village": ("score", "0", "50")}, r"unknown node_level 'village'"),
])
def test_bad_rules_are_named(rows, message):
    problems = validate_light_rules(_rules(**rows))
    assert any(re.search(message, p) for p in problems), problems


def test_a_missing_level_is_named(tmp_path):
    _rules().iloc[:2].to_csv(tmp_path / "traffic_lights.csv", index=False)
    with pytest.raises(CatalogueError, match="node_level 'dimension' listed 0 times"):
        load_light_rules(tmp_path)


def test_a_variant_table_is_read_with_float_thresholds(tmp_path):
    _rules(dimension=("score", "10", "40")).to_csv(tmp_path / "traffic_lights.csv", index=False)
    rules = load_light_rules(tmp_path)
    spec = GapSpec.from_rules(rules, level="dimension")
    assert (spec.green_distance, spec.red_distance, spec.midpoint) == (10.0, 40.0, 25.0)


def _dimension_of_eight(unit: str, distances: list[float]) -> list[tuple]:
    return [(unit, f"i{k}", f"T{k // 2 + 1:02d}", "D1", d) for k, d in enumerate(distances)]


def _gaps(rows) -> pd.DataFrame:
    g = pd.DataFrame(rows, columns=["unit_code", "indicator_id", "task_id", "dimension_id", "distance"])
    g["level"], g["year"] = "county", 2023
    g["status"] = classify_distance(g["distance"])
    return g


def _scores(g: pd.DataFrame) -> pd.DataFrame:
    """The dimension scores an equal-weight arithmetic mean gives: 100 − mean distance."""
    s = g.groupby("unit_code")["distance"].mean().rsub(100).rename("score").reset_index()
    return s.assign(level="county", year=2023, node="D1", node_level="dimension")


def test_dimensions_lit_by_their_score_tell_units_apart_where_the_two_worst_rule_cannot():
    """Three counties, one dimension of eight indicators, two of them red (60 and 70) in each:
    the two-worst rule lights all three red. By the score (100 − mean distance, thresholds 0/50,
    midpoint 25):
    A: distances 0,0,0,0,0,10,60,70 → mean 17.5 → score 82.5 → yellow;
    B: 30,30,30,30,40,40,60,70 → mean 41.25 → score 58.75 → orange;
    C: 55,55,55,60,60,60,60,70 → mean 59.375 → score 40.625 → red."""
    g = _gaps(_dimension_of_eight("A", [0, 0, 0, 0, 0, 10, 60, 70])
              + _dimension_of_eight("B", [30, 30, 30, 30, 40, 40, 60, 70])
              + _dimension_of_eight("C", [55, 55, 55, 60, 60, 60, 60, 70]))
    two_worst = rollup_status(g, _CAT)
    dims = two_worst[two_worst["node_level"] == "dimension"].set_index("unit_code")
    assert dims["status"].tolist() == ["red", "red", "red"]  # the old rule: one colour for all
    lit = score_lights(two_worst, _scores(g))
    d = lit[lit["node_level"] == "dimension"].set_index("unit_code")
    assert d["status"].to_dict() == {"A": "yellow", "B": "orange", "C": "red"}
    assert d["distance"].to_dict() == pytest.approx({"A": 17.5, "B": 41.25, "C": 59.375})
    assert d["score"].to_dict() == pytest.approx({"A": 82.5, "B": 58.75, "C": 40.625})
    assert d.loc["A", "worst_indicators"] == "i7,i6"  # the two worst are still named
    # tasks keep their two-worst lights: T04 of A is (60, 70), both red
    tasks = lit[lit["node_level"] == "task"].set_index(["unit_code", "node"])
    assert tasks.loc[("A", "T04"), "status"] == "red"
    assert tasks["status"].tolist() == two_worst[two_worst["node_level"] == "task"]["status"].tolist()


def test_score_lights_keeps_a_node_without_a_score_and_follows_the_table():
    g = _gaps(_dimension_of_eight("A", [0, 0, 0, 0, 0, 10, 60, 70]))
    status = rollup_status(g, _CAT)
    assert score_lights(status, _scores(g).iloc[:0])["status"].tolist() == status["status"].tolist()
    # a table that keeps the two-worst rule for dimensions changes nothing
    rules = _rules(dimension=("two_worst", "0", "50")).astype({"green_distance": float, "red_distance": float})
    same = score_lights(status, _scores(g), rules.set_index("node_level"))
    assert same["status"].tolist() == status["status"].tolist()
    # thresholds 0/15 (midpoint 7.5): distance 17.5 is red
    strict = _rules(dimension=("score", "0", "15")).astype({"green_distance": float, "red_distance": float})
    lit = score_lights(status, _scores(g), strict.set_index("node_level"))
    assert lit.loc[lit["node_level"] == "dimension", "status"].tolist() == ["red"]


def test_the_methods_appendix_states_the_rules_with_their_thresholds():
    text = light_rules_text()
    assert "catalogue/traffic_lights.csv" in text
    assert "- 指标按距基准的分数（0–100）定灯：0分及以下为绿灯（达到基准），25分及以下为黄灯，50分及以下为橙灯" in text
    assert "- 任务取其差距最大的两项指标" in text
    assert "- 维度按其得分与基准的距离（100−得分）定灯" in text
    rules = _rules(dimension=("score", "10", "45")).astype({"green_distance": float, "red_distance": float})
    assert "10分及以下为绿灯，27.5分及以下为黄灯，45分及以下为橙灯" in light_rules_text(rules.set_index("node_level"))
