"""Screening, imputation and winsorisation: hand-made grids, every change flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hemei_tools.engine.treat import (
    FLAG_COLUMNS,
    IMPUTERS,
    get_imputer,
    impute_county_median,
    impute_locf,
    screen_units,
    skew_kurt,
    unit_coverage,
    winsorise_values,
)
from hemei_tools.errors import SpecError

NAN = np.nan


def grid(values, units=None, years=None, counties=None, indicator="x", level="village"):
    n = len(values)
    return pd.DataFrame({
        "level": level,
        "unit_code": units or [f"u{i}" for i in range(n)],
        "county_code": counties or ["A"] * n,
        "parent_code": "T",
        "year": years or [2023] * n,
        "indicator_id": indicator,
        "value": np.array(values, dtype=float),
    })


def test_county_median_by_hand():
    v = grid([10, 30, NAN, 50, NAN], counties=["A", "A", "A", "A", "B"])
    out, flags = impute_county_median(v)
    # county A: median(10, 30, 50) = 30; county B has no value to borrow: stays missing
    np.testing.assert_allclose(out["value"], [10, 30, 30, 50, NAN])
    assert list(flags.columns) == FLAG_COLUMNS
    assert flags[["unit_code", "action", "new"]].values.tolist() == [["u2", "imputed:county_median", 30.0]]
    assert np.isnan(flags["original"].iloc[0])
    assert out.index.equals(v.index) and v["value"].isna().sum() == 2  # input untouched


def test_county_median_groups_counties_by_city():
    v = grid([10, 20, NAN], counties=["c1", "c2", "c3"], level="county")
    out, _ = impute_county_median(v)
    assert out["value"].iloc[2] == pytest.approx(15.0)


def test_locf_carries_forward_never_backward():
    v = grid([NAN, 5, NAN, NAN, 7, NAN], units=["a"] * 4 + ["b"] * 2,
             years=[2020, 2021, 2022, 2023, 2022, 2023])
    out, flags = impute_locf(v.iloc[::-1].reset_index(drop=True))  # order must not matter
    got = out.set_index(["unit_code", "year"])["value"]
    assert np.isnan(got[("a", 2020)])
    assert got[("a", 2022)] == 5 and got[("a", 2023)] == 5 and got[("b", 2023)] == 7
    assert len(flags) == 3 and set(flags["action"]) == {"imputed:locf"}


def test_winsorisation_moves_the_outlier_to_the_next_value():
    x = [1, 1, 1, 1, 1, 1, 1, 1, 2, 100]
    s = pd.Series(x, dtype=float)
    assert s.skew() > 2 and s.kurt() > 3.5  # the COINr rule fires
    v = pd.concat([grid(x), grid([1, 2, 3, 4, 5], indicator="y")], ignore_index=True)
    out, flags = winsorise_values(v)
    # after one step the values are eight 1s and two 2s: skew ≈ 1.78 < 2, stop
    np.testing.assert_allclose(out["value"].iloc[:10], [1] * 8 + [2, 2])
    np.testing.assert_allclose(out["value"].iloc[10:], [1, 2, 3, 4, 5])
    assert flags[["unit_code", "action", "original", "new"]].values.tolist() == [["u9", "winsorised", 100.0, 2.0]]


def test_winsorisation_negative_skew_and_no_points():
    v = grid([-100, -2, -1, -1, -1, -1, -1, -1, -1, -1])
    out, flags = winsorise_values(v)
    assert out["value"].iloc[0] == -2 and len(flags) == 1
    out0, flags0 = winsorise_values(v, max_points=0)
    assert flags0.empty and out0["value"].iloc[0] == -100


def test_skew_kurt_match_pandas():
    rng = np.random.default_rng(7)
    x = rng.lognormal(0, 1, 40)
    x[5] = NAN
    g = np.repeat([0, 1], 20)
    g1, g2 = skew_kurt(x, g, 2)
    for k in (0, 1):
        s = pd.Series(x[g == k])
        assert g1[k] == pytest.approx(s.skew()) and g2[k] == pytest.approx(s.kurt())


def test_screening_lists_thin_units_only():
    v = pd.concat([
        grid([1, NAN, NAN, NAN], units=["thin"] * 4).assign(indicator_id=list("abcd")),
        grid([NAN] * 4, units=["empty"] * 4).assign(indicator_id=list("abcd")),
        grid([1, 2, 3, NAN], units=["full"] * 4).assign(indicator_id=list("abcd")),
    ], ignore_index=True)
    cov = unit_coverage(v).set_index("unit_code")["coverage"]
    assert cov.to_dict() == {"thin": 0.25, "empty": 0.0, "full": 0.75}
    s = screen_units(v, 0.8)
    assert s["unit_code"].tolist() == ["thin", "full"] and set(s["action"]) == {"screened"}
    assert screen_units(v, 0.5)["unit_code"].tolist() == ["thin"]
    with pytest.raises(SpecError):
        screen_units(v, 80)


def test_imputer_registry():
    assert set(IMPUTERS) == {"none", "county_median", "locf"}
    with pytest.raises(SpecError, match="unknown imputation 'mean'"):
        get_imputer("mean")
