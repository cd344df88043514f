"""Normalisers on tiny literals with hand-computed results, a property test, a reference check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemei_tools.engine.normalise import (
    NORMALISERS,
    get_normaliser,
    norm_distance,
    norm_goalposts,
    norm_minmax,
    norm_rank,
    norm_zscore,
)
from hemei_tools.errors import SpecError

NAN = np.nan


def test_goalposts_by_hand():
    # L = 20, B = 100: (50 − 20)/80 = 0.375 → 37.5; below L → 0; beyond B → 100
    got = norm_goalposts(np.array([10.0, 50.0, NAN, 100.0, 130.0]), direction=1, low=20, benchmark=100)
    np.testing.assert_allclose(got, [0.0, 37.5, NAN, 100.0, 100.0])


def test_goalposts_direction_minus_one():
    # lower is better: L = 200 (bad end), B = 100: x = 150 → (150 − 200)/(100 − 200) = 0.5
    got = norm_goalposts(np.array([250.0, 150.0, 100.0, 40.0]), direction=-1, low=200, benchmark=100)
    np.testing.assert_allclose(got, [0.0, 50.0, 100.0, 100.0])


def test_goalposts_degenerate_scale_is_a_step_and_ties_tie():
    got = norm_goalposts(np.array([0.0, 0.0, 5.0]), direction=1, low=5, benchmark=5)
    np.testing.assert_allclose(got, [0.0, 0.0, 100.0])


def test_goalposts_per_indicator_broadcast_and_series():
    x = np.array([[50.0, 50.0], [100.0, 0.0]])
    got = norm_goalposts(x, direction=np.array([1, -1]), low=np.array([0, 100]), benchmark=np.array([100, 0]))
    np.testing.assert_allclose(got, [[50.0, 50.0], [100.0, 100.0]])
    s = pd.Series([0.0, 25.0], index=["a", "b"])
    out = norm_goalposts(s, low=0, benchmark=50)
    assert out.index.tolist() == ["a", "b"] and out.tolist() == [0.0, 50.0]


def test_distance_by_hand():
    np.testing.assert_allclose(norm_distance(np.array([40.0, 80.0, 120.0, NAN]), benchmark=80),
                               [50.0, 100.0, 100.0, NAN])
    # lower is better, B = 10: x = 15 is 50% above → 50; x = 25 → 0
    np.testing.assert_allclose(norm_distance(np.array([5.0, 15.0, 25.0]), direction=-1, benchmark=10),
                               [100.0, 50.0, 0.0])


def test_zscore_by_hand():
    # x = 1, 2, 3: mean 2, sd 1 → 40, 50, 60; direction −1 mirrors
    np.testing.assert_allclose(norm_zscore(np.array([1.0, 2.0, NAN, 3.0])), [40.0, 50.0, NAN, 60.0])
    np.testing.assert_allclose(norm_zscore(np.array([1.0, 2.0, 3.0]), direction=-1), [60.0, 50.0, 40.0])
    np.testing.assert_allclose(norm_zscore(np.array([7.0, 7.0])), [50.0, 50.0])
    np.testing.assert_allclose(norm_zscore(np.array([7.0])), [50.0])


def test_rank_ties_all_equal_one_unit():
    # ascending ranks 1, 2.5, 2.5, 4 → 100·(r−1)/3
    np.testing.assert_allclose(norm_rank(np.array([1.0, 5.0, 5.0, 9.0, NAN])), [0.0, 50.0, 50.0, 100.0, NAN])
    np.testing.assert_allclose(norm_rank(np.array([1.0, 5.0, 9.0]), direction=-1), [100.0, 50.0, 0.0])
    np.testing.assert_allclose(norm_rank(np.array([3.0, 3.0, 3.0])), [50.0, 50.0, 50.0])
    np.testing.assert_allclose(norm_rank(np.array([3.0])), [50.0])


def test_minmax_by_hand():
    np.testing.assert_allclose(norm_minmax(np.array([2.0, 4.0, 10.0, NAN])), [0.0, 25.0, 100.0, NAN])
    np.testing.assert_allclose(norm_minmax(np.array([2.0, 4.0, 10.0]), direction=-1), [100.0, 75.0, 0.0])
    np.testing.assert_allclose(norm_minmax(np.array([2.0, 4.0, 10.0]), lower=1, upper=100), [1.0, 25.75, 100.0])
    np.testing.assert_allclose(norm_minmax(np.array([4.0, 4.0])), [50.0, 50.0])


def test_groups_are_independent_along_trailing_axes():
    x = np.array([[1.0, 10.0], [3.0, 10.0], [2.0, 40.0]])
    np.testing.assert_allclose(norm_minmax(x), [[0.0, 0.0], [100.0, 0.0], [50.0, 100.0]])


def test_registry_and_unknown_name():
    assert set(NORMALISERS) == {"goalposts", "distance", "zscore", "rank", "minmax"}
    assert get_normaliser("rank") is norm_rank
    with pytest.raises(SpecError, match="unknown normaliser 'maxmin'"):
        get_normaliser("maxmin")
    with pytest.raises(SpecError, match="benchmark"):
        norm_goalposts(np.array([1.0]), low=0)


@settings(max_examples=200, deadline=None)
@given(
    xs=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30),
    low=st.floats(-1e5, 1e5, allow_nan=False),
    width=st.floats(1e-3, 1e5, allow_nan=False),
)
def test_goalposts_bounded_and_monotone(xs, low, width):
    x = np.sort(np.array(xs))
    a = norm_goalposts(x, direction=1, low=low, benchmark=low + width)
    assert np.all((a >= 0) & (a <= 100))
    assert np.all(np.diff(a) >= 0)


def test_reference_hdi_dimension_indices():
    """UNDP Human Development Report 2016, Technical notes, technical note 1, worked example
    for Ghana: life expectancy 61.5 years on goalposts 20–85 → health index 0.638; expected
    years of schooling 11.5 on 0–18 → 0.639; mean years of schooling 7.0 on 0–15 → 0.467;
    GNI per capita 3,839 (2011 PPP $) on ln goalposts ln 100 – ln 75,000 → income index 0.551.
    The HDI dimension index (actual − min)/(max − min) is exactly our goalpost normalisation
    (scaled 0–100 instead of 0–1)."""
    health = norm_goalposts(np.array([61.5]), low=20, benchmark=85)[0] / 100
    eys = norm_goalposts(np.array([11.5]), low=0, benchmark=18)[0] / 100
    mys = norm_goalposts(np.array([7.0]), low=0, benchmark=15)[0] / 100
    income = norm_goalposts(np.log([3839.0]), low=np.log(100), benchmark=np.log(75000))[0] / 100
    assert round(health, 3) == 0.638
    assert round(eys, 3) == 0.639
    assert round(mys, 3) == 0.467
    assert round(income, 3) == 0.551
