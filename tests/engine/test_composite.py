"""build_index on a hand-made four-indicator tree: every score computed by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.engine.composite import (
    IndexResult,
    IndexSpec,
    basis_index,
    build_index,
    compare_results,
    effective_weights,
    tree_weights,
)
from hemei_tools.engine.rollup import ValuesError
from hemei_tools.errors import SpecError


def tiny_catalogue() -> Catalogue:
    """HMI → D1 (T1: a w1, b w3; T2: c), D2 (T3: d, lower is better)."""
    framework = pd.DataFrame({
        "code": ["HMI", "D1", "D2", "T1", "T2", "T3"],
        "level": ["index", "dimension", "dimension", "task", "task", "task"],
        "parent": ["", "HMI", "HMI", "D1", "D1", "D2"],
        "name_zh": list("指甲乙一二三"), "name_en": ["I", "D1", "D2", "T1", "T2", "T3"],
        "weight": [1.0] * 6,
    })
    indicators = pd.DataFrame({
        "indicator_id": ["a", "b", "c", "d"], "task_id": ["T1", "T1", "T2", "T3"],
        "direction": [1, 1, 1, -1], "weight": [1.0, 3.0, 1.0, 1.0],
        "value_type": "percent", "goalpost_low": [0.0, 0.0, 0.0, 100.0],
        "aggregation": "village_mean", "scored": True,
        "name_zh": list("abcd"), "name_en": list("abcd"), "unit": "%",
    })
    benchmarks = pd.DataFrame({
        "indicator_id": ["a", "b", "c", "d"], "role": "benchmark", "region": "Zhejiang",
        "year": pd.array([2023] * 4, dtype="Int64"), "value": [100.0, 50.0, 10.0, 20.0],
        "kind": "target", "source_title": "test", "source_url": "https://example.org", "note": "",
    })
    return Catalogue(framework, indicators, benchmarks, pd.DataFrame(), "test")


CAT = tiny_catalogue()
NO_SCREEN = IndexSpec(screen_coverage=0.0)


def unit_values(rows, level="county", year=2023):
    """rows: unit → {indicator: value}; one long row per present value."""
    out = [{"level": level, "unit_code": u, "unit_name": u.upper(), "parent_code": "C",
            "county_code": u if level == "county" else "", "year": year, "indicator_id": i, "value": v}
           for u, vals in rows.items() for i, v in vals.items()]
    return pd.DataFrame(out)


U1 = {"a": 50.0, "b": 50.0, "c": 5.0, "d": 60.0}   # scores 50, 100, 50, 50
U2 = {"a": 100.0, "c": 10.0, "d": 20.0}            # b missing; scores 100, -, 100, 100
U3 = {"a": 100.0, "b": 0.0, "c": 5.0, "d": 60.0}   # scores 100, 0, 50, 50
UV = unit_values({"u1": U1, "u2": U2, "u3": U3})


def score(res: IndexResult, unit: str, node: str, year: int = 2023) -> float:
    s = res.scores
    r = s[(s["unit_code"] == unit) & (s["node"] == node) & (s["year"] == year)]
    assert len(r) == 1
    return float(r["score"].iloc[0])


def test_scores_by_hand():
    res = build_index(UV, CAT, NO_SCREEN)
    assert score(res, "u1", "d") == pytest.approx(50.0)    # (60 − 100)/(20 − 100) = 0.5
    assert score(res, "u1", "T1") == pytest.approx(87.5)   # (1·50 + 3·100)/4
    assert score(res, "u1", "D1") == pytest.approx(68.75)  # (87.5 + 50)/2
    assert score(res, "u1", "HMI") == pytest.approx(59.375)
    assert score(res, "u3", "HMI") == pytest.approx(43.75)  # T1 = 25, D1 = 37.5
    # u2: T1 re-weights on a alone (coverage 1/2), every score 100
    assert score(res, "u2", "T1") == pytest.approx(100.0)
    assert score(res, "u2", "HMI") == pytest.approx(100.0)
    s = res.scores.set_index(["unit_code", "node"])
    assert s.loc[("u2", "T1"), "coverage"] == 0.5 and s.loc[("u2", "b"), "coverage"] == 0.0
    assert list(res.scores.columns[:8]) == ["level", "unit_code", "unit_name", "parent_code",
                                            "county_code", "year", "node", "node_level"]
    assert res.scores.groupby("node_level").size().to_dict() == {"index": 3, "dimension": 6, "task": 9,
                                                                 "indicator": 12}


def test_ranks_and_ties():
    res = build_index(unit_values({"u1": U1, "u2": U2, "u3": U3, "u4": U1}), CAT, NO_SCREEN)
    idx = res.index_scores("county", 2023)
    assert idx["unit_code"].tolist() == ["u2", "u1", "u4", "u3"]
    assert idx["rank"].tolist() == [1, 2, 2, 4]
    assert pd.isna(res.scores.set_index(["unit_code", "node"]).loc[("u2", "b"), "rank"])


def test_coverage_threshold_and_screening():
    strict = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, min_coverage=0.6))
    assert np.isnan(score(strict, "u2", "T1"))      # 1 of 2 indicators < 0.6
    assert np.isnan(score(strict, "u2", "D1"))      # only T2 left: 1/2 < 0.6
    assert np.isnan(score(strict, "u2", "HMI"))     # only D2 left
    assert score(strict, "u1", "HMI") == pytest.approx(59.375)
    # default screening (80% of indicators): u2 has 3 of 4 = 75%
    res = build_index(UV, CAT)
    assert np.isnan(score(res, "u2", "HMI")) and score(res, "u2", "a") == 100.0
    f = res.flags
    assert f[["unit_code", "action"]].values.tolist() == [["u2", "screened"]]
    assert f["original"].iloc[0] == pytest.approx(0.75)


def test_weights_overrides_and_sums():
    res = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, weights={"b": 1}))
    assert score(res, "u1", "HMI") == pytest.approx(56.25)  # T1 = 75, D1 = 62.5
    res = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, weights={"D2": 3}))
    assert score(res, "u1", "HMI") == pytest.approx((68.75 + 3 * 50) / 4)
    w = tree_weights(CAT, {"b": 1})
    assert w["task"].loc["b", "T1"] == 0.5
    for m in tree_weights(load_catalogue()).values():
        np.testing.assert_allclose(m.sum(axis=0), 1.0)
        assert ((m > 0).sum(axis=1) == 1).all()     # each child has exactly one parent


def test_geometric_mean_pipeline():
    res = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, aggregator="gmean"))
    t1 = 50 ** 0.25 * 100 ** 0.75
    d1 = (t1 * 50) ** 0.5
    assert score(res, "u1", "T1") == pytest.approx(t1)
    assert score(res, "u1", "HMI") == pytest.approx((d1 * 50) ** 0.5)
    assert score(res, "u3", "T1") == pytest.approx(1 ** 0.75 * 100 ** 0.25)  # zero raised to 1


def test_same_goalposts_at_every_level_and_other_normalisers():
    uv = pd.concat([UV, unit_values({"3407": U1}, level="city")], ignore_index=True)
    res = build_index(uv, CAT, NO_SCREEN)
    assert score(res, "3407", "HMI") == score(res, "u1", "HMI") == pytest.approx(59.375)
    assert set(res.scores["level"]) == {"county", "city"}
    ranked = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, normaliser="rank"))
    # a: 50, 100, 100 → percentile ranks 0, 75, 75
    assert [score(ranked, u, "a") for u in ("u1", "u2", "u3")] == pytest.approx([0.0, 75.0, 75.0])


def test_imputation_is_flagged_and_added_to_values():
    res = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, imputation="county_median"))
    # u2's missing b takes the median of its peers in the same city: median(50, 0) = 25 → 50 points
    assert score(res, "u2", "b") == pytest.approx(50.0)
    f = res.flags
    assert f[["unit_code", "indicator_id", "action", "new"]].values.tolist() == [
        ["u2", "b", "imputed:county_median", 25.0]]
    v = res.values
    added = v[(v["unit_code"] == "u2") & (v["indicator_id"] == "b")]
    assert added["value"].tolist() == [25.0] and added["flag"].tolist() == ["imputed:county_median"]
    assert (v["flag"] == "").sum() == len(UV)
    assert "flag" not in UV.columns and len(UV) == 11       # the input frame is not modified


def test_one_unit_and_all_equal_units():
    one = build_index(unit_values({"u1": U1}), CAT, NO_SCREEN)
    assert one.index_scores("county")["rank"].tolist() == [1]
    assert score(one, "u1", "HMI") == pytest.approx(59.375)
    same = build_index(unit_values({"u1": U1, "u9": U1}), CAT, dataclasses.replace(NO_SCREEN, normaliser="minmax"))
    # no spread to scale: every min-max score is the midpoint, and both units tie at rank 1
    assert score(same, "u9", "HMI") == pytest.approx(50.0)
    assert same.index_scores("county")["rank"].tolist() == [1, 1]


def test_deterministic():
    spec = dataclasses.replace(NO_SCREEN, imputation="locf", winsorise=True)
    a, b = build_index(UV, CAT, spec), build_index(UV, CAT, spec)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.values, b.values)
    pd.testing.assert_frame_equal(a.flags, b.flags)
    assert a.spec == b.spec


def test_compare_results_shift():
    base = build_index(UV, CAT, NO_SCREEN)
    variant = build_index(UV, CAT, dataclasses.replace(NO_SCREEN, weights={"a": 3, "b": 1}))
    c = compare_results(base, variant).set_index("unit_code")
    # u1: T1 = (3·50 + 100)/4 = 62.5 → HMI 53.125; u3: T1 = 75 → HMI 56.25 overtakes u1
    assert c.loc["u1", "score_shift"] == pytest.approx(53.125 - 59.375)
    assert c.loc["u3", "score_shift"] == pytest.approx(56.25 - 43.75)
    assert (c.loc["u1", "rank_a"], c.loc["u1", "rank_b"], c.loc["u1", "rank_shift"]) == (2, 3, 1)
    assert c.loc["u3", "rank_shift"] == -1 and c.loc["u2", "rank_shift"] == 0
    assert len(compare_results(base, variant, node_level=None)) == len(base.scores)


def test_wide_and_index_scores():
    res = build_index(UV, CAT, NO_SCREEN)
    w = res.wide("county", "task", 2023)
    assert list(w.columns) == ["T1", "T2", "T3"] and w.loc["u1", "T1"] == pytest.approx(87.5)
    assert res.index_scores("county")["year"].unique().tolist() == [2023]


def test_spec_round_trip():
    spec = IndexSpec(normaliser="rank", weights={"T01": 2, "D1": 0.5}, years=(2022, 2023))
    again = IndexSpec.from_dict(spec.to_dict())
    assert again == spec and hash(again) == hash(spec)
    assert spec.to_dict()["weights"] == {"D1": 0.5, "T01": 2.0}
    with pytest.raises(SpecError, match="unknown IndexSpec field"):
        IndexSpec.from_dict({"normalizer": "rank"})


@pytest.mark.parametrize("spec, match", [
    (IndexSpec(normaliser="maxmin"), "unknown normaliser"),
    (IndexSpec(aggregator="median"), "unknown aggregator"),
    (IndexSpec(imputation="mean"), "unknown imputation"),
    (IndexSpec(weights={"a": 0, "b": 0}), "every child of T1 has weight 0"),
    (IndexSpec(weights={"zz": 1}), "unknown code"),
    (IndexSpec(min_coverage=80), "between 0 and 1"),
    (IndexSpec(years=(1999,)), "no data for year"),
])
def test_bad_spec_says_what_to_fix(spec, match):
    with pytest.raises(SpecError, match=match):
        build_index(UV, CAT, spec)


def test_missing_benchmark_year_and_columns():
    bm = build_index(UV, CAT, NO_SCREEN).benchmarks.copy()
    bm.loc[bm["indicator_id"] == "c", "benchmark"] = np.nan
    with pytest.raises(SpecError, match=r"\['c'\] have data but no benchmark"):
        build_index(UV, CAT, NO_SCREEN, benchmarks=bm)
    with pytest.raises(SpecError, match="goalpost_low"):
        build_index(UV, CAT, NO_SCREEN, benchmarks=bm.drop(columns="goalpost_low"))
    res = build_index(UV, CAT, NO_SCREEN)
    with pytest.raises(SpecError, match="no data for year 2020"):
        res.index_scores("county", 2020)
    with pytest.raises(SpecError, match="level"):
        res.wide("village", "task", 2023)
    with pytest.raises(ValuesError, match="lack column"):
        build_index(UV.drop(columns="value"), CAT)
    with pytest.raises(ValuesError, match="repeat"):
        build_index(pd.concat([UV, UV.iloc[:1]]), CAT)


def test_packaged_catalogue_effective_weights_match_indicator_tree():
    cat = load_catalogue()
    w = tree_weights(cat)
    eff = w["task"].to_numpy() @ w["dimension"].to_numpy() @ w["index"].to_numpy()
    tree = cat.indicator_tree().set_index("indicator_id")["effective_weight"]
    np.testing.assert_allclose(eff[:, 0], tree.reindex(w["task"].index).to_numpy())


def test_demo_city_every_level_and_year_scored():
    from hemei_tools.demo import generate_demo
    from hemei_tools.engine.rollup import aggregate_values

    ds = generate_demo(seed=2023)
    uv = aggregate_values(ds["observations"], ds["villages"])
    res = build_index(uv)
    idx = res.scores[res.scores["node_level"] == "index"]
    n_years = uv["year"].nunique()
    assert idx.groupby("level")["unit_code"].nunique().to_dict() == uv.groupby("level")["unit_code"].nunique().to_dict()
    assert (idx.groupby("level")["year"].nunique() == n_years).all()
    assert idx["score"].between(0, 100).all()
    assert idx["rank"].notna().all()


def test_effective_weights_by_hand():
    # a: 1/(1+3) of T1, T1 half of D1, D1 half of the index → 1/16; b 3/16; c 1/4; d 1/2
    w = effective_weights(CAT)
    assert w.to_dict() == pytest.approx({"a": 1 / 16, "b": 3 / 16, "c": 1 / 4, "d": 1 / 2})
    assert effective_weights(CAT, {"D2": 3})["d"] == pytest.approx(3 / 4)


def _with_zhejiang_rows() -> Catalogue:
    """The tiny catalogue with a, b scored against Zhejiang, c, d against China, and a Zhejiang
    comparison figure of 5 for c (its benchmark is China's 10)."""
    bm = CAT.benchmarks.copy()
    bm["region"] = ["Zhejiang", "Zhejiang", "China", "China"]
    extra = bm.iloc[[2]].assign(role="comparison", region="Zhejiang", value=5.0)
    return dataclasses.replace(CAT, benchmarks=pd.concat([bm, extra], ignore_index=True))


def test_basis_index_by_hand():
    cat = _with_zhejiang_rows()
    res = build_index(UV, cat, NO_SCREEN)
    z = basis_index(res, cat, "zhejiang").set_index("unit_code")
    # a, b and c (against Zhejiang's 5, not China's 10); weights 1/16, 3/16, 4/16 re-normalised:
    # u1: a 50, b 100, c 5/5 → 100: (50 + 300 + 400)/8 = 93.75
    assert z.loc["u1", "score"] == pytest.approx(93.75)
    assert (z.loc["u1", "n_indicators"], z.loc["u1", "n_basis"]) == (3, 3)
    assert z.loc["u1", "weight_share"] == pytest.approx(0.5)
    # u2 lacks b: a 100, c 100 → 100 over 5/16 of the weight
    assert z.loc["u2", "score"] == pytest.approx(100.0)
    assert (z.loc["u2", "n_indicators"], z.loc["u2", "weight_share"]) == (2, pytest.approx(5 / 16))
    # u3: a 100, b 0, c 100 → (100 + 0 + 400)/8 = 62.5
    assert z.loc["u3", "score"] == pytest.approx(62.5)
    assert z["rank"].to_dict() == {"u1": 2, "u2": 1, "u3": 3}
    # national: c (against 10) and d; u1 c 50, d 50 → 50 over 3/4 of the weight
    n = basis_index(res, cat, "national").set_index("unit_code")
    assert n.loc["u1", "score"] == pytest.approx(50.0) and n.loc["u1", "weight_share"] == pytest.approx(0.75)
    assert basis_index(res, cat, "anhui").empty


def test_basis_index_geometric_and_screened():
    cat = _with_zhejiang_rows()
    res = build_index(UV, cat, dataclasses.replace(NO_SCREEN, aggregator="gmean"))
    z = basis_index(res, cat, "zhejiang").set_index("unit_code")
    # u1: exp((1·ln 50 + 3·ln 100 + 4·ln 100)/8)
    assert z.loc["u1", "score"] == pytest.approx(np.exp((np.log(50) + 7 * np.log(100)) / 8))
    screened = build_index(UV, cat, IndexSpec())  # u2 has 3 of 4 indicators: screened at 80 %
    assert np.isnan(basis_index(screened, cat).set_index("unit_code").loc["u2", "score"])
