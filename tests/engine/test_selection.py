"""Choosing 精品示范村: criteria and rules tables, eligibility, scores, quotas, ties, robustness.

The hand-made round below has six applicants in two counties and two criteria of equal weight:
经济强 (income, min-max over the pool) and 党建引领好 (grade A=100, B=50, C=0). Income runs
0..100 so its min-max score equals the income. Totals, by hand, (econ + party) / 2:

    v1 X 100 A -> 100      v4 Y 75 C -> 37.5
    v2 X  50 B ->  50      v5 Y 25 A -> 62.5
    v3 X   0 A ->  50      v6 Y 50 B ->  50

v2, v3 and v6 tie at 50. Tie-break: 经济强 first (tie_break 1): v2 and v6 have 50, v3 has 0, so
v3 is last of the three; v2 and v6 also tie on 党建引领好, so the lower village code (v2) wins.
Order: v1, v5, v2, v6, v3, v4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemei_tools.engine.selection import (
    SelectionError,
    attach_index_scores,
    check_eligibility,
    compare_with_decision,
    criterion_labels,
    default_quotas,
    effective_weights,
    field_scores,
    flip_weights,
    list_failures,
    load_criteria,
    load_rules,
    prepare_applicants,
    score_applicants,
    select_shortlist,
    selection_robustness,
    stable_weight_ranges,
    sweep_weights,
)

X, Y, Z = "340705", "340706", "340711"
V = {k: f"{c}001{k:03d}" for k, c in zip(range(1, 7), [X, X, X, Y, Y, Y], strict=True)}


@pytest.fixture
def criteria():
    return load_criteria(pd.DataFrame({
        "version": "test.1",
        "criterion_id": ["economy", "party"],
        "criterion_zh": ["经济强", "党建引领好"],
        "criterion_en": ["Strong economy", "Party building"],
        "criterion_weight": [1, 1],
        "tie_break": [1, 2],
        "field": ["income", "party_grade"],
        "source": ["applicants", "applicants"],
        "field_weight": [1, 1],
        "direction": [1, 1],
        "normalisation": ["minmax", "grade"],
        "levels": ["", "A=100;B=50;C=0"],
    }))


@pytest.fixture
def applicants():
    return pd.DataFrame({
        "village_code": [V[k] for k in range(1, 7)],
        "apply_year": 2023,
        "income": [100, 50, 0, 75, 25, 50],
        "party_grade": ["A", "B", "A", "C", "A", "B"],
        "has_village_plan": [1, 1, 1, 1, 1, 1],
        "open_violation": [0, 0, 0, 0, 0, 0],
        "selected": [1, 0, 1, 0, 1, 0],
    })


@pytest.fixture
def villages():
    return pd.DataFrame({
        "village_code": [V[k] for k in range(1, 7)] + [f"{Z}001001"],
        "village_name": [f"v{k}" for k in range(1, 8)],
        "county_code": [X, X, X, Y, Y, Y, Z],
        "village_type": ["省级中心村"] * 7,
    })


def _quotas(**q):
    return pd.DataFrame({"county_code": list(q), "quota": list(q.values())})


def _codes(frame):
    return frame["village_code"].tolist()


def _by_code(frame, col):
    return frame.set_index("village_code")[col].rename(index={v: k for k, v in V.items()}).to_dict()


# --- tables ----------------------------------------------------------------------------------


def test_packaged_criteria_cover_the_five_criteria_with_weights_summing_to_one():
    crit = load_criteria()
    assert set(crit["criterion_zh"]) == {"经济强", "产业兴", "基础好", "积极性高", "党建引领好"}
    assert crit["version"].nunique() == 1
    assert effective_weights(crit).sum() == pytest.approx(1.0)
    # 基础好 is read from the index: tasks T01-T04
    assert crit.loc[crit["criterion_zh"] == "基础好", "field"].tolist() == ["T01", "T02", "T03", "T04"]
    assert set(load_rules()["rule_id"]) == {"central_village", "village_plan", "no_violation"}
    assert list(criterion_labels(crit).values()) == ["经济强", "产业兴", "基础好", "积极性高", "党建引领好"]


def test_default_quotas_are_the_2023_county_split():
    q = default_quotas(2023).set_index("county_code")["quota"].to_dict()
    assert q == {"340722": 3, "340706": 3, "340705": 2, "340711": 2}
    with pytest.raises(SelectionError, match="no county boutique_village quota for 1999"):
        default_quotas(1999)


def test_pool_normalisation_and_direction(criteria):
    # three applicants, income 0, 5, 10, party all A (100)
    a = pd.DataFrame({"village_code": [V[1], V[2], V[3]], "income": [0, 5, 10], "party_grade": "A"})
    assert field_scores(a, criteria)[:, 0] == pytest.approx([0, 50, 100])
    # rank: 0, 50, 100; zscore (sample sd 5): 50 + 10 * (-1, 0, 1)
    assert field_scores(a, criteria, "rank")[:, 0] == pytest.approx([0, 50, 100])
    assert field_scores(a, criteria, "zscore")[:, 0] == pytest.approx([40, 50, 60])
    # grade fields keep their points under every pool method
    assert field_scores(a, criteria, "zscore")[:, 1] == pytest.approx([100, 100, 100])
    # lower is better mirrors the scale; missing evidence scores 0
    reverse = load_criteria(criteria.assign(direction=[-1, 1]))
    assert field_scores(a, reverse)[:, 0] == pytest.approx([100, 50, 0])
    gap = a.assign(income=[0, np.nan, 10], party_grade=["A", None, "C"])
    assert field_scores(gap, criteria).tolist() == [[0, 100], [0, 0], [100, 0]]


# --- scores, ties, quotas ---------------------------------------------------------------------


def test_scores_and_tie_break(applicants, criteria):
    s = score_applicants(applicants, criteria)
    assert _by_code(s, "total") == pytest.approx({1: 100, 2: 50, 3: 50, 4: 37.5, 5: 62.5, 6: 50})
    assert _by_code(s, "economy") == pytest.approx({1: 100, 2: 50, 3: 0, 4: 75, 5: 25, 6: 50})
    assert _by_code(s, "rank") == {1: 1, 5: 2, 2: 3, 6: 4, 3: 5, 4: 6}
    # the order never depends on the row order of the input
    shuffled = score_applicants(applicants.iloc[::-1], criteria)
    assert _by_code(shuffled, "rank") == _by_code(s, "rank")


def test_rounding_noise_does_not_decide_a_tie(criteria):
    # 0.1 + 0.2 != 0.3 in floating point: both totals must still tie and the code decide
    a = pd.DataFrame({"village_code": [V[2], V[1]], "apply_year": 2023, "income": [0.3, 0.1 + 0.2],
                      "party_grade": ["A", "A"]})
    extra = pd.DataFrame({"village_code": [V[4]], "apply_year": 2023, "income": [0.0], "party_grade": ["C"]})
    s = score_applicants(pd.concat([a, extra]), criteria)
    assert _by_code(s, "rank") == {1: 1, 2: 2, 4: 3}


def test_shortlist_city_pool_and_tie_at_the_cut(applicants, criteria):
    # X and Y one slot each, one more from the city pool: v2 and v6 tie on everything -> v2 (code)
    s = select_shortlist(score_applicants(applicants, criteria), _quotas(**{X: 1, Y: 1}), 3, criteria)
    assert _by_code(s[s["selected"]], "route") == {1: "quota", 5: "quota", 2: "city_pool"}


def test_quota_beats_a_better_city_rank(applicants, criteria):
    # Y has two slots: v6 (50) gets in although v2 ranks above it city-wide
    s = select_shortlist(score_applicants(applicants, criteria), _quotas(**{X: 1, Y: 2}), 3, criteria)
    assert sorted(_by_code(s[s["selected"]], "route")) == [1, 5, 6]


def test_unfilled_quota_goes_to_the_city_pool_and_ineligible_never_selected(applicants, criteria, villages):
    a = applicants.assign(open_violation=[0, 0, 0, 0, 1, 0])
    elig = check_eligibility(prepare_applicants(a, villages))
    s = select_shortlist(score_applicants(elig, criteria), _quotas(**{X: 1, Y: 1, Z: 1}), 3, criteria)
    # Y's best eligible is v6 (v5 is barred); Z has no applicant, its slot goes to v2
    assert _by_code(s[s["selected"]], "route") == {1: "quota", 6: "quota", 2: "city_pool"}
    assert _by_code(s, "route")[5] == "ineligible"
    assert _by_code(s, "rank")[5] == 6
    r = selection_robustness(elig, criteria, _quotas(**{X: 1, Y: 1, Z: 1}), 3, n=20)
    assert _by_code(r, "p_selected")[5] == 0.0 and _by_code(r, "label")[5] == "out"
    assert np.isnan(_by_code(r, "rank_median")[5])


def test_total_below_quotas_is_refused(applicants, criteria):
    with pytest.raises(SelectionError, match="below the sum of the county quotas"):
        select_shortlist(score_applicants(applicants, criteria), _quotas(**{X: 2, Y: 2}), 3, criteria)


def test_eligibility_lists_each_failed_rule(applicants, villages):
    v = villages.assign(village_type=["省级中心村", "精品示范村", "一般村", "省级中心村", "省级中心村",
                                      "省级中心村", "一般村"])
    a = applicants.assign(has_village_plan=[1, 1, 0, 1, 1, np.nan], open_violation=[0, 0, 1, 0, 0, 0])
    e = check_eligibility(prepare_applicants(a, v))
    assert _by_code(e, "eligible") == {1: True, 2: True, 3: False, 4: True, 5: True, 6: False}
    assert _by_code(e, "failed_rules")[3] == "已是省级中心村；已编制村庄规划；无未整改重大违规"
    fails = list_failures(e)
    assert sorted(zip(fails["village_code"].map({v: k for k, v in V.items()}), fails["rule_id"], strict=True)) == [
        (3, "central_village"), (3, "no_violation"), (3, "village_plan"), (6, "village_plan")]


# --- robustness and weight flips -----------------------------------------------------------------


def test_robustness_without_uncertainty_is_the_nominal_choice(applicants, criteria):
    r = selection_robustness(applicants, criteria, _quotas(**{X: 1, Y: 1}), 3, n=50, seed=1,
                             weight_concentration=np.inf, normalisations=("minmax",))
    assert _by_code(r, "p_selected") == {1: 1.0, 5: 1.0, 2: 1.0, 6: 0.0, 3: 0.0, 4: 0.0}
    assert _by_code(r, "label") == {1: "robust", 5: "robust", 2: "robust", 6: "out", 3: "out", 4: "out"}
    assert _by_code(r, "rank_p05") == _by_code(r, "rank_p95") == {1: 1, 5: 2, 2: 3, 6: 4, 3: 5, 4: 6}


def test_robustness_is_seeded_and_respects_dominance(applicants, criteria):
    args = (applicants, criteria, _quotas(**{X: 1, Y: 1}), 3)
    a = selection_robustness(*args, n=400, seed=7, weight_concentration=5.0)
    b = selection_robustness(*args, n=400, seed=7, weight_concentration=5.0)
    pd.testing.assert_frame_equal(a, b)
    p = _by_code(a, "p_selected")
    # v1 is best on both criteria in X: always selected. v4 (C grade) and v6 lose to v5 in Y on
    # most weights; v2 and v3 compete for the pool slot, so they are uncertain
    assert p[1] == 1.0
    assert 0.0 < p[2] < 1.0 and 0.0 < p[3] < 1.0
    assert sum(p.values()) == pytest.approx(3.0)
    assert (a["rank_p05"] <= a["rank_median"]).all() and (a["rank_median"] <= a["rank_p95"]).all()


def test_flip_weights_by_hand(applicants, criteria):
    # econ share s: v2 = 50 always, v3 = 100 (1 - s). Below s = 0.5, v3 beats v2 for the pool
    # slot; at s = 0.5 they tie and v2 wins on 经济强. The nearest flip on a 0.005 grid is
    # s = 0.495 (economy) or the party share 0.505: equally close, economy is listed first.
    f = flip_weights(applicants, None, criteria, _quotas(**{X: 1, Y: 1}), 3, step=0.005)
    row = f.set_index("village_code").loc[V[2]]
    assert row["criterion_id"] == "economy"
    assert row["share_from"] == pytest.approx(0.5)
    assert row["share_to"] == pytest.approx(0.495)
    assert bool(row["nominal_selected"]) and not bool(row["selected_after"])


def test_sweep_has_one_row_per_criterion_share_and_applicant(applicants, criteria):
    sw = sweep_weights(applicants, criteria, _quotas(**{X: 1, Y: 1}), 3, step=0.25)
    assert len(sw) == 2 * 5 * 6
    # economy share 1: totals equal the incomes
    top = sw[(sw["criterion_id"] == "economy") & (sw["share"] == 1.0)]
    assert _by_code(top, "total") == pytest.approx({1: 100, 2: 50, 3: 0, 4: 75, 5: 25, 6: 50})
    # Y's quota then goes to v4 (75); pool slot to v2 (50, ties v6 on economy, code decides)
    assert sorted(_by_code(top[top["selected"]], "total")) == [1, 2, 4]


def test_stable_weight_ranges_by_hand(applicants, criteria):
    # econ share s: below 0.5 v3 (100 (1 - s)) takes v2's pool slot; at 2/3 v4 (75 s) and v5
    # (100 - 75 s) tie and v4 wins on 经济强, so from s = 0.67 on the grid Y's slot goes to v4.
    # Stable econ range on a 0.005 grid: 0.5 ... 0.665; the party share mirrors it.
    q = _quotas(**{X: 1, Y: 1})
    sw = sweep_weights(applicants, criteria, q, 3, step=0.005)
    nominal = select_shortlist(score_applicants(applicants, criteria), q, 3, criteria)
    got = stable_weight_ranges(sw, nominal, criteria).set_index("criterion_id")
    assert got.loc["economy", ["low_share", "high_share"]].tolist() == pytest.approx([0.5, 0.665])
    assert got.loc["party", ["low_share", "high_share"]].tolist() == pytest.approx([0.335, 0.5])


def test_compare_with_decision(applicants, criteria):
    # decision: v1, v3, v5; model: v1, v5, v2. v2 and v3 swapped places in county X
    s = select_shortlist(score_applicants(applicants, criteria), _quotas(**{X: 1, Y: 1}), 3, criteria)
    c = compare_with_decision(s, criteria)
    summary = c.summary.iloc[0]
    assert (summary["agree"], summary["model_only"], summary["decision_only"]) == (4, 1, 1)
    d = c.disagreements.set_index("village_code")
    assert d.loc[V[3], "kind"] == "decision_only" and d.loc[V[3], "explained_by"] == "经济强"
    assert d.loc[V[2], "kind"] == "model_only" and d.loc[V[2], "explained_by"] == "经济强"
    det = c.detail.set_index(["village_code", "criterion_id"])["weighted_diff"]
    # 0.5 * (0 - 50) and 0.5 * (100 - 50)
    assert det[(V[3], "economy")] == pytest.approx(-25.0)
    assert det[(V[3], "party")] == pytest.approx(25.0)


# --- bad input ----------------------------------------------------------------------------------


def test_applicant_not_in_the_village_list(applicants, villages):
    bad = applicants.assign(village_code=applicants["village_code"].where(applicants.index != 2, "340705999999"))
    with pytest.raises(SelectionError, match="applicant 340705999999 is not in the village list"):
        prepare_applicants(bad, villages)


def test_missing_criterion_column(applicants, criteria):
    with pytest.raises(SelectionError, match="criterion economy .* needs column 'income'"):
        score_applicants(applicants.drop(columns="income"), criteria)
    with pytest.raises(SelectionError, match="attach_index_scores"):
        score_applicants(applicants, load_criteria())


def test_weights_that_sum_to_zero(applicants, criteria):
    with pytest.raises(SelectionError, match="criterion weights sum to zero"):
        score_applicants(applicants, criteria, weights={"economy": 0, "party": 0})
    with pytest.raises(SelectionError, match="unknown criterion id"):
        score_applicants(applicants, criteria, weights={"wealth": 1})
    with pytest.raises(SelectionError, match="field weights of criterion party sum to zero"):
        load_criteria(criteria.assign(field_weight=[1, 0]))


# --- the whole round on the demo, and the command -------------------------------------------------


def test_run_selection_on_the_demo_obeys_quotas_and_total():
    from types import SimpleNamespace

    from hemei_tools.demo import generate_demo
    from hemei_tools.engine.selection import run_selection

    r = run_selection(SimpleNamespace(**generate_demo("tongling", seed=2023), synthetic=True), n=100)
    s = r.shortlist
    assert r.year == 2023 and len(s) == 22 and r.total == 10
    eligible = s[s["route"] != "ineligible"]
    chosen = s[s["selected"]]
    assert len(chosen) == min(10, len(eligible))
    assert chosen["route"].isin(["quota", "city_pool"]).all()
    quota = r.quotas.set_index("county_code")["quota"]
    per_county = chosen.groupby("county_code").size().reindex(quota.index, fill_value=0)
    can = eligible.groupby("county_code").size().reindex(quota.index, fill_value=0)
    assert (per_county >= np.minimum(quota, can)).all()
    # the index fields were read from the village task scores, on 0-100
    assert r.applicants[["T01", "T02", "T03", "T04"]].stack().between(0, 100).all()
    assert set(r.robustness["label"]) <= {"robust", "marginal", "out"}
    assert r.comparison is not None and int(r.comparison.summary["n_applicants"].iloc[0]) == 22
    assert list(r.table()["rank"]) == list(range(1, 23))
    # weight sweep: 5 criteria x 201 shares (0, 0.005, ..., 1) x 22 applicants
    assert len(r.sweep) == 5 * 201 * 22


def test_select_command(demo_dir, tmp_path):
    from click.testing import CliRunner

    from hemei_tools.cli import main

    out = tmp_path / "shortlist.csv"
    res = CliRunner().invoke(main, ["select", "--data", str(demo_dir), "--draws", "50", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    assert "示例数据（模拟）" in res.output and "robust" in res.output
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 22

    only_villages = tmp_path / "no_applicants"
    only_villages.mkdir()
    (only_villages / "villages.csv").write_bytes((demo_dir / "villages.csv").read_bytes())
    res = CliRunner().invoke(main, ["select", "--data", str(only_villages)])
    assert res.exit_code == 1
    assert "no applicant table" in res.output and "Traceback" not in res.output


def test_unusable_evidence_is_named(applicants, criteria):
    bad = applicants.assign(party_grade=["A", "D", "A", "C", "A", "B"],
                            income=[100, "n/a", 0, 75, 25, 50])
    with pytest.raises(SelectionError) as err:
        score_applicants(bad, criteria)
    assert f"income (经济强) must be a number: {V[2]} ('n/a')" in str(err.value)
    assert f"party_grade (党建引领好) must be one of A, B, C: {V[2]} ('D')" in str(err.value)


def test_compare_explains_an_ineligible_choice_by_its_rule(applicants, criteria, villages):
    # the city chose v3 although it has no village plan; the model gives X's slot to v2 instead
    a = applicants.assign(has_village_plan=[1, 1, 0, 1, 1, 1])
    elig = check_eligibility(prepare_applicants(a, villages))
    s = select_shortlist(score_applicants(elig, criteria), _quotas(**{X: 2, Y: 1}), 3, criteria)
    d = compare_with_decision(s, criteria).disagreements.set_index("village_code")
    assert d.loc[V[3], ["reason", "explained_by"]].tolist() == ["ineligible", "未满足：已编制村庄规划"]
    assert d.loc[V[2], ["reason", "explained_by"]].tolist() == ["replaces_ineligible", "顶替未满足申报条件的v3"]


def test_compare_explains_a_city_pool_slot_left_by_an_ineligible_choice(applicants, criteria, villages):
    # v2 and v3 lack a plan; the city chose v3; the model's pool slot goes to v6 (county Y)
    a = applicants.assign(has_village_plan=[1, 0, 0, 1, 1, 1])
    elig = check_eligibility(prepare_applicants(a, villages))
    s = select_shortlist(score_applicants(elig, criteria), _quotas(**{X: 1, Y: 1}), 3, criteria)
    assert _by_code(s[s["selected"]], "route") == {1: "quota", 5: "quota", 6: "city_pool"}
    d = compare_with_decision(s, criteria).disagreements.set_index("village_code")
    assert d.loc[V[6], ["reason", "explained_by"]].tolist() == [
        "replaces_ineligible", "顶替未满足申报条件的v3（全市统筹名额）"]


def test_attach_index_scores_takes_the_latest_year_up_to_the_round():
    crit = load_criteria()
    scores = pd.DataFrame({
        "level": ["village"] * 5 + ["county"],
        "unit_code": [V[1], V[1], V[1], V[2], V[2], X],
        "year": [2022, 2023, 2024, 2021, 2021, 2023],
        "node": ["T01", "T01", "T01", "T01", "T02", "T01"],
        "score": [40.0, 60.0, 99.0, 30.0, 35.0, 77.0],
    })
    a = pd.DataFrame({"village_code": [V[1], V[2], V[3]], "apply_year": 2023})
    got = attach_index_scores(a, scores, crit).set_index("village_code")
    # 2023 for v1 (not 2024), the 2021 scores for v2, nothing for v3; T03/T04 absent -> NaN
    assert got.loc[V[1], "T01"] == 60.0 and got.loc[V[2], "T01"] == 30.0 and got.loc[V[2], "T02"] == 35.0
    assert np.isnan(got.loc[V[3], "T01"]) and got[["T03", "T04"]].isna().all().all()


def test_broken_tables_are_refused_with_their_rows(tmp_path, applicants):
    from importlib import resources

    src = resources.files("hemei_tools") / "catalogue" / "selection_criteria.csv"
    text = src.read_text(encoding="utf-8").splitlines()
    # row 3 of the file: a direction of 2; row 12 (party): a grade scale that does not parse
    text[2] = text[2].replace(",1,1,minmax,", ",1,2,minmax,")
    text[11] = text[11].replace("A=100;B=60;C=20", "A100")
    path = tmp_path / "criteria.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(SelectionError) as err:
        load_criteria(path)
    assert "selection_criteria.csv row 3: direction must be 1 or -1" in str(err.value)
    assert "selection_criteria.csv row 12: levels 'A100'" in str(err.value)
    with pytest.raises(SelectionError, match="rule central_village needs column 'village_type'"):
        check_eligibility(applicants)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([X, Y, Z]), st.integers(0, 20), st.booleans()), min_size=1, max_size=12),
       st.tuples(st.integers(0, 3), st.integers(0, 3)), st.integers(0, 4))
def test_shortlist_invariants(rows, quota, extra):
    # income 0..20 in steps of 5 points of total; party fixed, so totals tie often
    crit = load_criteria(pd.DataFrame({
        "version": "p", "criterion_id": ["economy"], "criterion_zh": ["经济强"], "criterion_en": ["e"],
        "criterion_weight": [1], "tie_break": [1], "field": ["income"], "source": ["applicants"],
        "field_weight": [1], "direction": [1], "normalisation": ["rank"], "levels": [""]}))
    scores = pd.DataFrame({
        "village_code": [f"{c}{k:06d}" for k, (c, _, _) in enumerate(rows)],
        "county_code": [c for c, _, _ in rows], "income": [v for _, v, _ in rows],
        "eligible": [e for _, _, e in rows],
    })
    q = _quotas(**{X: quota[0], Y: quota[1]})
    total = quota[0] + quota[1] + extra
    s = select_shortlist(score_applicants(scores, crit), q, total, crit)
    chosen = s[s["selected"]]
    assert chosen["eligible"].all()
    assert len(chosen) == min(total, int(scores["eligible"].sum()))
    for county, k in ((X, quota[0]), (Y, quota[1])):
        pool = s[(s["county_code"] == county) & s["eligible"]]
        assert (chosen["county_code"] == county).sum() >= min(k, len(pool))
    # nobody left out scores above a city-pool choice
    pool_min = chosen.loc[chosen["route"] == "city_pool", "total"].min()
    left = s[~s["selected"] & s["eligible"]]
    if not np.isnan(pool_min) and len(left):
        assert left["total"].max() <= pool_min
    # the shortlist does not depend on row order
    again = select_shortlist(score_applicants(scores.iloc[::-1], crit), q, total, crit)
    assert set(again.loc[again["selected"], "village_code"]) == set(chosen["village_code"])
