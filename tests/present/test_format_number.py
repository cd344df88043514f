"""Formatting never fails on inf, nan or absurd numbers (issue 12, point 8): a budget of
1e308 made a headline ``inf`` and the index page failed to render."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemei_tools.present import narrative as nv


@pytest.mark.parametrize(("x", "decimals", "expected"), [
    (float("inf"), 1, "∞"),
    (float("-inf"), 0, "-∞"),
    (np.float64("inf"), 2, "∞"),
    (float("nan"), 1, "—"),
    (np.float32("nan"), 1, "—"),  # not a Python float: used to print "nan"
    (pd.NA, 1, "—"),
    (None, 1, "—"),
    (1e308, 1, "1e+308"),  # used to print 309 digits
    (-1e20, 0, "-1e+20"),
    (999_999_999_999_999.0, 0, "999,999,999,999,999"),  # below 1e15: written out
    ("inf", 1, "∞"),
    ("12.5", 1, "12.5"),
    ("n/a", 1, "n/a"),  # text that is not a number: as it is, never an exception
    (40311.4, 0, "40,311"),
    (3.456, -2, "3"),  # a negative number of decimals counts as 0
    (3.456, None, "3"),
])
def test_format_number_never_fails(x, decimals, expected):
    assert nv.format_number(x, decimals) == expected


def test_values_and_gaps_inherit_it():
    assert nv.format_value(float("inf"), "万元", 1) == "∞万元"
    assert nv.format_value(float("nan"), "万元", 1) == "—"
    assert nv.format_gap(float("-inf"), "%", 1) == nv.format_gap(float("-inf"), "%", 1)
    assert "-∞" in nv.format_gap(float("-inf"), "%", 1)
