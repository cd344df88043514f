"""Imbalance measures on tiny literals with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemei_tools.engine.imbalance import (
    MEASURES,
    ImbalanceError,
    cv,
    gini,
    imbalance_table,
    lorenz_curve,
    measure,
    theil,
    theil_decomposition,
)
from hemei_tools.errors import HemeiError


def test_gini_equal_values_is_zero():
    assert gini([5, 5, 5, 5]) == 0.0


@pytest.mark.parametrize("n", [2, 4, 10])
def test_gini_all_to_one_is_n_minus_one_over_n(n):
    x = [0.0] * (n - 1) + [7.0]
    assert gini(x) == pytest.approx((n - 1) / n)


def test_gini_small_case_by_hand():
    # |differences| of 1,2,3,4 over unordered pairs: 1+2+3+1+2+1 = 10, ordered 20;
    # 2 n² mean = 2·16·2.5 = 80 → 0.25
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25)


def test_gini_weighted_by_hand_and_equals_replication():
    # x = (1, 2), w = (1, 3): W = 4, mean = 7/4, ΣΣ wᵢwⱼ|xᵢ−xⱼ| = 2·1·3·1 = 6 → 6 / (2·16·7/4) = 3/28
    assert gini([1, 2], [1, 3]) == pytest.approx(3 / 28)
    assert gini([1, 2, 2, 2]) == pytest.approx(3 / 28)


def test_gini_drops_nan_and_rejects_negative():
    assert gini([1, np.nan, 2, 3, 4]) == pytest.approx(0.25)
    with pytest.raises(ImbalanceError, match="non-negative"):
        gini([1, -2, 3])
    assert isinstance(ImbalanceError("x"), HemeiError)


def test_gini_one_unit_and_zero_mean():
    assert gini([3.0]) == 0.0
    assert math.isnan(gini([0.0, 0.0]))


def test_theil_equal_and_all_to_one():
    assert theil([2, 2, 2]) == pytest.approx(0.0)
    assert theil([0, 0, 0, 4]) == pytest.approx(math.log(4))


def test_theil_decomposition_adds_up_on_hand_example():
    # x = 1,2 | 3,6; mean 3; group means 1.5 and 4.5; shares 3/12 and 9/12
    d = theil_decomposition([1, 2, 3, 6], ["a", "a", "b", "b"])
    total = 0.25 * ((1 / 3) * math.log(1 / 3) + (2 / 3) * math.log(2 / 3) + 0.0 + 2 * math.log(2))
    between = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    t_group = 0.5 * ((2 / 3) * math.log(2 / 3) + (4 / 3) * math.log(4 / 3))  # same for a and b
    assert d.total == pytest.approx(total, abs=1e-14)
    assert d.between == pytest.approx(between, abs=1e-14)
    assert d.within == pytest.approx(t_group, abs=1e-14)
    assert d.between + d.within == pytest.approx(d.total, abs=1e-14)
    assert d.groups["share"].tolist() == pytest.approx([0.25, 0.75])
    assert d.between_share == pytest.approx(between / total)


def test_theil_decomposition_weighted_adds_up():
    rng = np.random.default_rng(7)
    x = rng.lognormal(size=50)
    g = rng.integers(0, 4, size=50)
    w = rng.integers(1, 9, size=50)
    d = theil_decomposition(x, g, w)
    assert d.between + d.within == pytest.approx(d.total, abs=1e-12)
    assert d.total == pytest.approx(theil(np.repeat(x, w)), abs=1e-12)


def test_cv_by_hand():
    # mean 5, population sd 2
    assert cv([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(0.4)
    assert cv([3, 3, 3]) == 0.0


def test_lorenz_end_points_and_values():
    lc = lorenz_curve([3, 1, 2])
    assert lc.iloc[0].tolist() == [0.0, 0.0]
    assert lc.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
    assert lc["value_share"].tolist() == pytest.approx([0, 1 / 6, 1 / 2, 1])
    assert lc["pop_share"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])


def test_measure_registry_and_unknown_name():
    assert set(MEASURES) == {"gini", "theil", "cv"}
    assert measure("gini", [0, 0, 4]) == pytest.approx(2 / 3)
    with pytest.raises(ImbalanceError, match="unknown imbalance measure 'gine'.*gini"):
        measure("gine", [1, 2])


def _villages_frame():
    return pd.DataFrame({
        "level": ["village"] * 4 + ["county"],
        "unit_code": ["v1", "v2", "v3", "v4", "A"],
        "county_code": ["A", "A", "B", "B", "A"],
        "year": [2023] * 5,
        "indicator_id": ["x"] * 5,
        "value": [1.0, 1.0, 2.0, 6.0, 1.0],
    })


def test_imbalance_table_within_and_between_by_hand():
    t = imbalance_table(_villages_frame()).set_index("group")
    assert t.loc["A", "gini"] == 0.0
    # B: (2, 6): ordered Σ|d| = 8, 2·4·4 = 32 → 0.25; CV = 2/4
    assert t.loc["B", "gini"] == pytest.approx(0.25)
    assert t.loc["B", "cv"] == pytest.approx(0.5)
    # all: (1, 1, 2, 6): ordered Σ|d| = 32, 2·16·2.5 = 80 → 0.4
    assert t.loc["all", "gini"] == pytest.approx(0.4)
    assert t.loc["all", "n"] == 4
    # between = Σ s_g ln(mean_g/mean): s_A = 2/10, s_B = 8/10, means 1, 4, 2.5
    between = 0.2 * math.log(1 / 2.5) + 0.8 * math.log(4 / 2.5)
    assert t.loc["all", "theil_between"] == pytest.approx(between)
    assert t.loc["all", "theil_between"] + t.loc["all", "theil_within"] == pytest.approx(t.loc["all", "theil"])
    assert math.isnan(t.loc["A", "theil_between"])


def test_imbalance_table_weights_and_scores_frame():
    scores = _villages_frame().rename(columns={"value": "score", "indicator_id": "node"})
    w = pd.Series([1.0, 1.0, 1.0, 3.0], index=["v1", "v2", "v3", "v4"])
    t = imbalance_table(scores, weights=w).set_index("group")
    assert t.loc["B", "gini"] == pytest.approx(gini([2, 6], [1, 3]))
    assert t.loc["all", "gini"] == pytest.approx(gini([1, 1, 2, 6, 6, 6]))


def test_imbalance_table_bad_input_names_the_fix():
    with pytest.raises(ImbalanceError, match="by="):
        imbalance_table(_villages_frame(), by="township_code")
    with pytest.raises(ImbalanceError, match="levels present"):
        imbalance_table(_villages_frame(), level="township")


@settings(max_examples=60, deadline=None)
@given(
    # zeros or values of at least 1e-6: subnormal floats underflow to 0 when scaled
    st.lists(st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e6)), min_size=1, max_size=30),
    st.floats(min_value=1e-3, max_value=1e3),
)
def test_gini_in_unit_interval_and_scale_invariant(x, c):
    g = gini(x)
    if sum(x) == 0:
        assert math.isnan(g)
        return
    assert -1e-12 <= g < 1
    assert g <= (len(x) - 1) / len(x) + 1e-12
    assert gini([c * v for v in x]) == pytest.approx(g, abs=1e-9)


def test_imbalance_table_negative_values_give_nan_gini_but_cv():
    f = _villages_frame()
    f.loc[2, "value"] = -2.0  # county B: (-2, 6)
    t = imbalance_table(f).set_index("group")
    assert math.isnan(t.loc["B", "gini"]) and math.isnan(t.loc["B", "theil"])
    assert t.loc["B", "cv"] == pytest.approx(4 / 2)  # mean 2, sd 4
    assert t.loc["A", "gini"] == 0.0
    assert math.isnan(t.loc["all", "gini"])
