"""Aggregators on tiny literals: weights, missing children, coverage, zeros, a reference check."""

from __future__ import annotations

import numpy as np
import pytest

from hemei_tools.engine.aggregate import (
    AGGREGATORS,
    agg_amean,
    agg_gmean,
    child_coverage,
    get_aggregator,
)
from hemei_tools.engine.normalise import norm_goalposts
from hemei_tools.errors import SpecError

NAN = np.nan


def test_weighted_arithmetic_mean_by_hand():
    # (1·10 + 1·20 + 2·40) / 4 = 27.5
    assert agg_amean(np.array([[10.0, 20.0, 40.0]]), [1, 1, 2]) == pytest.approx([27.5])


def test_missing_child_reweights_and_coverage_threshold():
    x = np.array([[10.0, NAN, 40.0], [NAN, NAN, NAN]])
    # available children 10 (w 1) and 40 (w 2): (10 + 80) / 3 = 30; coverage 2/3
    np.testing.assert_allclose(agg_amean(x, [1, 1, 2]), [30.0, NAN])
    np.testing.assert_allclose(child_coverage(x, [1, 1, 2]), [2 / 3, 0.0])
    np.testing.assert_allclose(agg_amean(x, [1, 1, 2], min_coverage=0.6), [30.0, NAN])
    np.testing.assert_allclose(agg_amean(x, [1, 1, 2], min_coverage=0.7), [NAN, NAN])


def test_all_equal_and_one_child():
    np.testing.assert_allclose(agg_amean(np.array([[7.0, 7.0]]), [1, 3]), [7.0])
    np.testing.assert_allclose(agg_gmean(np.array([[7.0, 7.0]]), [1, 3]), [7.0])
    np.testing.assert_allclose(agg_amean(np.array([[42.0]]), [5]), [42.0])


def test_geometric_mean_by_hand_and_zero_rule():
    # √(25·100) = 50; weights 2:1 on 10 and 1000: 10^((2·1 + 3)/3) = 10^(5/3)
    np.testing.assert_allclose(agg_gmean(np.array([[25.0, 100.0]]), [1, 1]), [50.0])
    np.testing.assert_allclose(agg_gmean(np.array([[10.0, 1000.0]]), [2, 1]), [10 ** (5 / 3)])
    # a zero child is raised to the floor of 1 point: √(1·100) = 10, not 0
    np.testing.assert_allclose(agg_gmean(np.array([[0.0, 100.0]]), [1, 1]), [10.0])
    np.testing.assert_allclose(agg_gmean(np.array([[0.0, 100.0]]), [1, 1], floor=4.0), [20.0])
    # missing child re-weights as in the arithmetic mean
    np.testing.assert_allclose(agg_gmean(np.array([[NAN, 16.0, 4.0]]), [5, 1, 1]), [8.0])


def test_weight_matrix_aggregates_many_parents_at_once():
    x = np.array([[10.0, 20.0, 40.0], [NAN, 20.0, 0.0]])
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
    got = agg_amean(x, w)
    np.testing.assert_allclose(got, [[15.0, 35.0], [20.0, 5.0]])
    np.testing.assert_allclose(child_coverage(x, w), [[1.0, 1.0], [0.5, 1.0]])
    # leading axes (units × years) pass through
    assert agg_amean(np.stack([x, x], axis=1), w).shape == (2, 2, 2)


@pytest.mark.parametrize("weights, match", [
    ([0, 0], "weight 0"),
    ([1, -1], "non-negative"),
    ([1, 1, 1], "do not match"),
])
def test_bad_weights_raise(weights, match):
    with pytest.raises(SpecError, match=match):
        agg_amean(np.array([[1.0, 2.0]]), weights)


def test_registry():
    assert {"amean": agg_amean, "gmean": agg_gmean} == AGGREGATORS
    with pytest.raises(SpecError, match="unknown aggregator 'median'"):
        get_aggregator("median")


def test_reference_hdi_ghana():
    """Reference check: UNDP Human Development Report 2016, Technical notes, technical note 1,
    worked example for Ghana. Dimension indices by goalposts (life expectancy 61.5 on 20–85;
    expected / mean years of schooling 11.5 on 0–18 and 7.0 on 0–15, education index = their
    arithmetic mean 0.553; ln GNI per capita 3,839 on ln 100 – ln 75,000 → 0.551), and the
    HDI as the unweighted geometric mean of the three: published value 0.579."""
    health = norm_goalposts(np.array([61.5]), low=20, benchmark=85)
    schooling = np.column_stack([norm_goalposts(np.array([11.5]), low=0, benchmark=18),
                                 norm_goalposts(np.array([7.0]), low=0, benchmark=15)])
    education = agg_amean(schooling, [1, 1])
    income = norm_goalposts(np.log([3839.0]), low=np.log(100), benchmark=np.log(75000))
    assert round(education[0] / 100, 3) == 0.553
    hdi = agg_gmean(np.column_stack([health, education, income]), [1, 1, 1])
    assert round(hdi[0] / 100, 3) == 0.579
