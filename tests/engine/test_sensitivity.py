"""Monte Carlo uncertainty of the 和美指数 ranking: Dirichlet weights, method draws, rank summaries.

Unit values are built by hand on the packaged catalogue: every scored indicator of a unit is set
to the "best" end (its catalogue maximum, binary items at 100%), the "worst" end (its minimum) or
the middle, per dimension. Goalposts then give 100 at the best end and 0 at the worst end, so
expected ranks follow by hand (dominance, or symmetry of the Dirichlet draws).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.composite import IndexSpec, build_index
from hemei_tools.engine.sensitivity import (
    MonteCarloDraws,
    draw_group_weights,
    rank_variance_shares,
    run_monte_carlo,
)
from hemei_tools.errors import SpecError

YEAR = 2023


def _unit_values(profiles: dict[str, dict[str, float]], year: int = YEAR) -> pd.DataFrame:
    """Village unit values: ``profiles[unit][dimension]`` is the position 0 (worst) … 1 (best)."""
    cat = load_catalogue()
    tree = cat.indicator_tree()
    ind = cat.indicators.set_index("indicator_id").loc[tree["indicator_id"]]
    scale = np.where(ind["value_type"] == "binary", 100.0, 1.0)
    lo, hi = ind["min_value"].to_numpy(float) * scale, ind["max_value"].to_numpy(float) * scale
    rows = []
    for k, (unit, prof) in enumerate(profiles.items()):
        f = tree["dimension_id"].map(prof).to_numpy(float)
        code = f"3407050010{k:02d}"
        rows.append(pd.DataFrame({
            "level": "village", "unit_code": code, "unit_name": unit, "parent_code": code[:9],
            "county_code": code[:6], "year": year, "indicator_id": tree["indicator_id"].to_numpy(),
            "value": lo + f * (hi - lo), "n_villages": 1, "n_total": 1,
        }))
    return pd.concat(rows, ignore_index=True)


def _all(pos: float) -> dict[str, float]:
    return {d: pos for d in ("D1", "D2", "D3", "D4")}


# --- Dirichlet weights ---------------------------------------------------------------------------


def test_group_weights_sum_to_one_and_centre_on_the_nominal_shares():
    rng = np.random.default_rng(0)
    w = draw_group_weights(np.array([1.0, 1.0, 2.0, 5.0, 0.0]), np.array(["a", "a", "a", "b", "b"]),
                           20000, rng, 50.0)
    assert w[:, :3].sum(axis=1) == pytest.approx(np.ones(20000))
    # group b: the zero weight stays zero, so the other child always holds the whole share
    assert (w[:, 4] == 0).all() and w[:, 3] == pytest.approx(np.ones(20000))
    # E[W] = s = (0.25, 0.25, 0.5); Var[W] = s(1 - s)/(c + 1) = 0.1875/51 and 0.25/51
    assert w[:, :3].mean(axis=0) == pytest.approx([0.25, 0.25, 0.5], abs=0.002)
    assert w[:, :3].var(axis=0) == pytest.approx([0.1875 / 51, 0.1875 / 51, 0.25 / 51], rel=0.05)


def test_infinite_concentration_keeps_the_nominal_weights_and_seeds_repeat():
    w = draw_group_weights(np.array([1.0, 3.0]), np.array([0, 0]), 3, np.random.default_rng(1), np.inf)
    assert w.tolist() == [[0.25, 0.75]] * 3
    a = draw_group_weights(np.ones(4), np.zeros(4), 5, np.random.default_rng(7), 10.0)
    b = draw_group_weights(np.ones(4), np.zeros(4), 5, np.random.default_rng(7), 10.0)
    assert np.array_equal(a, b)


def test_group_weights_refuse_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(SpecError, match="group\\(s\\) b sum to zero"):
        draw_group_weights(np.array([1.0, 0.0]), np.array(["a", "b"]), 2, rng, 10.0)
    with pytest.raises(SpecError, match="non-negative"):
        draw_group_weights(np.array([1.0, -1.0]), np.array(["a", "a"]), 2, rng, 10.0)
    with pytest.raises(SpecError, match="concentration must be positive"):
        draw_group_weights(np.array([1.0]), np.array(["a"]), 2, rng, 0.0)


# --- run_monte_carlo -----------------------------------------------------------------------------


def test_dominance_fixes_the_ranks_under_every_method():
    # best > middle > worst on every indicator: every weight, normaliser and aggregator agrees
    uv = _unit_values({"best": _all(1.0), "worst": _all(0.0), "middle": _all(0.5)})
    out = run_monte_carlo(uv, n=200, seed=3, weight_concentration=2.0,
                          normalisers=("goalposts", "distance", "minmax", "rank", "zscore"),
                          aggregators=("amean", "gmean"), top_n=2)
    got = out.set_index("unit_name")
    assert got["nominal_rank"].to_dict() == {"best": 1, "middle": 2, "worst": 3}
    for col in ("rank_p05", "rank_median", "rank_p95"):
        assert got[col].to_dict() == {"best": 1, "middle": 2, "worst": 3}
    assert got["top_n_share"].to_dict() == {"best": 1.0, "middle": 1.0, "worst": 0.0}
    assert (got["n_runs"] == 200).all()
    assert got.loc["best", "nominal_score"] == pytest.approx(100.0)
    assert got.loc["worst", "nominal_score"] == pytest.approx(0.0)


def test_symmetric_trade_off_splits_the_top_place_half_and_half():
    # X is best on 宜居环境美 (D1) and worst on 宜业生活美 (D2), Y the reverse, both equal
    # elsewhere. With goalposts and the arithmetic mean, index_X - index_Y = 100 (w_D1 - w_D2):
    # X ranks first exactly when w_D1 > w_D2, probability 1/2 by the symmetry of the Dirichlet
    # around equal shares. The nominal weights tie them (both first, "min" ranks).
    uv = _unit_values({"X": {"D1": 1, "D2": 0, "D3": 0.5, "D4": 0.5},
                       "Y": {"D1": 0, "D2": 1, "D3": 0.5, "D4": 0.5}})
    out = run_monte_carlo(uv, n=2000, seed=11, normalisers=("goalposts",), aggregators=("amean",), top_n=1)
    share = out.set_index("unit_name")["top_n_share"]
    assert share["X"] == pytest.approx(0.5, abs=0.04)
    assert share["X"] + share["Y"] == pytest.approx(1.0)
    assert out["nominal_rank"].tolist() == [1, 1]
    assert out["rank_p05"].tolist() == [1, 1] and out["rank_p95"].tolist() == [2, 2]


def test_without_uncertainty_the_runs_reproduce_build_index():
    rng = np.random.default_rng(5)
    uv = _unit_values({f"v{k}": dict(zip(("D1", "D2", "D3", "D4"), rng.random(4), strict=True))
                       for k in range(8)})
    uv["value"] *= rng.uniform(0.6, 1.0, len(uv))
    for agg in ("amean", "gmean"):
        spec = IndexSpec(aggregator=agg)
        nominal = build_index(uv, spec=spec).index_scores("village", YEAR).set_index("unit_code")
        out, draws = run_monte_carlo(uv, spec=spec, n=3, weight_concentration=np.inf,
                                     normalisers=("goalposts",), aggregators=(agg,), return_draws=True,
                                     goalpost_bases=())
        expected = nominal.loc[draws.unit_codes, "score"].to_numpy()
        assert draws.scores == pytest.approx(np.repeat(expected[:, None], 3, axis=1))
        got = out.set_index("unit_code")
        assert (got["rank_median"] == got["nominal_rank"]).all()
        assert (got["nominal_rank"] == nominal.loc[got.index, "rank"]).all()


def test_benchmark_choice_is_drawn_per_indicator_among_its_comparison_set():
    """Each run draws, per indicator, the basis of its benchmark among its nominal basis and the
    Zhejiang, national and reference figures it has, and one reference percentile per run; the
    run's score is the goalpost index against the drawn benchmarks (checked by hand for every run)."""
    from hemei_tools.engine.goalposts import resolve_benchmarks

    cat = load_catalogue()
    rng = np.random.default_rng(7)
    uv = _unit_values({f"v{k}": dict(zip(("D1", "D2", "D3", "D4"), rng.random(4), strict=True)) for k in range(5)})
    uv["value"] *= rng.uniform(0.3, 1.0, len(uv))
    n = 600
    _, d = run_monte_carlo(uv, n=n, seed=5, weight_concentration=np.inf, normalisers=("goalposts",),
                           aggregators=("amean",), return_draws=True)
    ids = cat.scored_ids
    basis = pd.DataFrame(d.basis, columns=ids)
    options = {"toilet_rate": {"national", "reference"}, "rural_income": {"zhejiang", "national", "reference"},
               "health_room": {"policy", "reference"}, "collective_income": {"anhui", "reference"},
               "coop_coverage": {"reference"}}
    for iid, expected in options.items():
        share = basis[iid].value_counts(normalize=True)
        assert set(share.index) == expected, iid
        assert share.to_numpy() == pytest.approx([1 / len(expected)] * len(expected), abs=0.07), iid
    pct = pd.Series(d.reference_percentile).value_counts(normalize=True)
    assert set(pct.index) == {75.0, 90.0, 95.0} and pct.to_numpy() == pytest.approx([1 / 3] * 3, abs=0.07)
    # the score of every run by hand: a_i = 100·clip((x − L)/(B − L), 0, 1) with B the drawn figure,
    # index = Σ w_i a_i (nominal weights: every task 1/16, indicators equal within their task)
    tree = cat.indicator_tree().set_index("indicator_id").loc[ids]
    w = tree["effective_weight"].to_numpy()
    x = uv.pivot(index="unit_code", columns="indicator_id", values="value").loc[d.unit_codes, ids].to_numpy()
    nominal = resolve_benchmarks(cat).set_index("indicator_id").loc[ids]
    low = nominal["goalpost_low"].to_numpy()
    figures = {b: resolve_benchmarks(cat, basis=b).set_index("indicator_id").loc[ids, "benchmark"].to_numpy()
               for b in ("zhejiang", "national")}
    refs = {p: resolve_benchmarks(cat, basis="reference", reference_percentile=p).set_index("indicator_id")
            .loc[ids, "benchmark"].to_numpy() for p in (75.0, 90.0, 95.0)}
    for run in range(0, n, 37):
        b = nominal["benchmark"].to_numpy().copy()
        for i, name in enumerate(d.basis[run]):
            if name == "reference":
                b[i] = refs[d.reference_percentile[run]][i]
            elif name in figures and name != nominal["basis"].iloc[i]:
                b[i] = figures[name][i]
        a = 100 * np.clip((x - low) / (b - low), 0, 1)
        assert d.scores[:, run] == pytest.approx(a @ w), run


def test_seeded_and_reproducible():
    uv = _unit_values({"a": {"D1": 1, "D2": 0.2, "D3": 0.6, "D4": 0.4},
                       "b": {"D1": 0.3, "D2": 0.9, "D3": 0.5, "D4": 0.5},
                       "c": {"D1": 0.6, "D2": 0.6, "D3": 0.2, "D4": 0.9}})
    a = run_monte_carlo(uv, n=100, seed=42)
    b = run_monte_carlo(uv, n=100, seed=42)
    pd.testing.assert_frame_equal(a, b)
    _, d1 = run_monte_carlo(uv, n=100, seed=42, return_draws=True)
    _, d2 = run_monte_carlo(uv, n=100, seed=43, return_draws=True)
    assert not np.array_equal(d1.scores, d2.scores)
    assert set(d1.normaliser) <= {"goalposts", "distance", "minmax"}
    assert set(d1.aggregator) == {"amean", "gmean"}
    for key, n_children in (("task", 33), ("dimension", 16), ("index", 4)):
        assert d1.weights[key].shape == (100, n_children)
    assert d1.weights["index"].sum(axis=1) == pytest.approx(np.ones(100))


def test_a_screened_unit_has_no_rank():
    uv = _unit_values({"a": _all(1.0), "b": _all(0.5), "c": _all(0.0)})
    # drop 30% of c's indicators: below the 80% screening coverage of the default spec
    ids = uv["indicator_id"].unique()[:10]
    uv = uv[~((uv["unit_name"] == "c") & uv["indicator_id"].isin(ids))]
    out = run_monte_carlo(uv, n=20, seed=1).set_index("unit_name")
    assert out.loc["c", "n_runs"] == 0 and np.isnan(out.loc["c", "rank_median"])
    assert out.loc["a", "rank_p95"] == 1 and out.loc["b", "rank_p05"] == 2


def test_bad_input_says_what_to_fix():
    uv = _unit_values({"a": _all(1.0), "b": _all(0.0)})
    with pytest.raises(SpecError, match="unknown normaliser 'minimax'"):
        run_monte_carlo(uv, n=5, normalisers=("minimax",))
    with pytest.raises(SpecError, match="unknown aggregator"):
        run_monte_carlo(uv, n=5, aggregators=("median",))
    with pytest.raises(SpecError, match="no unit values at level 'county'"):
        run_monte_carlo(uv, n=5, level="county")
    with pytest.raises(SpecError, match="no data for year 2019"):
        run_monte_carlo(uv, n=5, year=2019)
    with pytest.raises(SpecError, match="has weight 0"):
        run_monte_carlo(uv, n=5, spec=IndexSpec(weights={"D1": 0, "D2": 0, "D3": 0, "D4": 0}))
    with pytest.raises(SpecError, match="at least 1"):
        run_monte_carlo(uv, n=0)


def test_rank_variance_shares_by_hand():
    # two units, four runs; ranks depend on the normaliser only: normaliser explains everything
    draws = MonteCarloDraws(
        unit_codes=np.array(["a", "b"]),
        scores=np.zeros((2, 4)),
        ranks=np.array([[1.0, 2.0, 1.0, 2.0], [2.0, 1.0, 2.0, 1.0]]),
        normaliser=np.array(["goalposts", "minmax", "goalposts", "minmax"]),
        aggregator=np.array(["amean", "amean", "gmean", "gmean"]),
        weights={},
    )
    got = rank_variance_shares(draws).set_index("source")["share"]
    assert got.to_dict() == pytest.approx({"normaliser": 1.0, "aggregator": 0.0,
                                           "weights and interactions": 0.0})
    # ranks 1, 2, 2, 2 for unit a: var = 3/16; E[r | aggregator] = 1.5, 1.5, 2, 2 -> var 1/16
    half = dataclasses.replace(draws, ranks=np.array([[1.0, 2.0, 2.0, 2.0], [2.0, 1.0, 1.0, 1.0]]))
    got = rank_variance_shares(half).set_index("source")["share"]
    assert got["aggregator"] == pytest.approx(1 / 3)
    # E[r | normaliser] = 1.5, 2, 1.5, 2 -> var 1/16 as well
    assert got["normaliser"] == pytest.approx(1 / 3)
    assert got["weights and interactions"] == pytest.approx(1 / 3)


def test_rank_variance_share_of_the_reference_percentile_by_hand():
    # ranks follow the reference percentile drawn (75: a first, 95: b first); normaliser and
    # aggregator are balanced across it, so the percentile explains all of the variance
    draws = MonteCarloDraws(
        unit_codes=np.array(["a", "b"]), scores=np.zeros((2, 4)),
        ranks=np.array([[1.0, 2.0, 1.0, 2.0], [2.0, 1.0, 2.0, 1.0]]),
        normaliser=np.array(["goalposts", "goalposts", "minmax", "minmax"]),
        aggregator=np.array(["amean", "gmean", "gmean", "amean"]), weights={},
        reference_percentile=np.array([75.0, 95.0, 75.0, 95.0]))
    got = rank_variance_shares(draws).set_index("source")["share"]
    assert got.to_dict() == pytest.approx({"normaliser": 0.0, "aggregator": 0.0, "reference percentile": 1.0,
                                           "weights and interactions": 0.0})
    # one percentile drawn: not listed
    same = dataclasses.replace(draws, reference_percentile=np.full(4, 90.0))
    assert "reference percentile" not in set(rank_variance_shares(same)["source"])


def test_a_given_nominal_build_is_reused_with_identical_results(monkeypatch):
    uv = _unit_values({"a": {"D1": 1, "D2": 0.2, "D3": 0.6, "D4": 0.4},
                       "b": {"D1": 0.3, "D2": 0.9, "D3": 0.5, "D4": 0.5},
                       "c": _all(0.0), "d": {"D1": 0.6, "D2": 0.6, "D3": 0.2, "D4": 0.9}})
    ids = uv["indicator_id"].unique()[:10]
    uv = uv[~((uv["unit_name"] == "c") & uv["indicator_id"].isin(ids))]     # c screened
    county = (uv.groupby(["year", "indicator_id"], as_index=False)["value"].mean()
              .assign(level="county", unit_code="340705", unit_name="county", parent_code="3407",
                      county_code="340705", n_villages=4, n_total=4))
    both = pd.concat([county, uv], ignore_index=True)                        # the build holds two levels
    spec = IndexSpec(years=(YEAR,))
    fresh, d_fresh = run_monte_carlo(both, spec=spec, n=60, seed=7, return_draws=True)
    built = build_index(both, spec=spec)
    from hemei_tools.engine import composite

    monkeypatch.setattr(composite, "build_index", lambda *a, **k: pytest.fail("the nominal build was repeated"))
    reused, d_reused = run_monte_carlo(both, spec=spec, n=60, seed=7, return_draws=True, nominal=built)
    pd.testing.assert_frame_equal(reused, fresh, check_exact=True)
    np.testing.assert_array_equal(d_reused.scores, d_fresh.scores)
    np.testing.assert_array_equal(d_reused.ranks, d_fresh.ranks)
    assert reused.set_index("unit_name").loc["c", "n_runs"] == 0
