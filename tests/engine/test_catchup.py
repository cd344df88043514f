"""Years behind a benchmark region (engine/catchup.py), on small series with values worked by hand.

Formulas (docs/methods.md, "Years behind Zhejiang"): with the first published year k at which the
benchmark reached the value x, t* = a + (b − a)·(x − Z(a))/(Z(b) − Z(a)) (linear) or
t* = a + (b − a)·ln(x/Z(a))/ln(Z(b)/Z(a)) (log), lag = Y − t*; the printed year is t* rounded
half up and the printed lag Y minus that year.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from hemei_tools.catalogue import load_catchup_series, load_published_facts
from hemei_tools.engine.catchup import benchmark_series, catchup_frame, years_behind

QUAD = {2010: 100.0, 2012: 400.0}  # quadruples in two years: doubles each year at a constant rate


def test_linear_and_log_interpolation_between_two_published_years():
    # linear: (200 - 100) / (400 - 100) = 1/3 of the two years
    lin = years_behind(200, 2020, QUAD, interpolation="linear")
    assert lin.status == "reached"
    assert lin.equivalent_year == pytest.approx(2010 + 2 / 3)
    assert lin.years_behind == pytest.approx(9 + 1 / 3)
    assert (lin.lower_year, lin.lower_value, lin.upper_year, lin.upper_value) == (2010, 100.0, 2012, 400.0)
    assert (lin.rounded_year, lin.rounded_behind) == (2011, 9)
    # log: ln(200/100) / ln(400/100) = ln 2 / ln 4 = 1/2, the middle year exactly
    log = years_behind(200, 2020, QUAD, interpolation="log")
    assert log.equivalent_year == pytest.approx(2011.0)
    assert (log.rounded_year, log.rounded_behind) == (2011, 9)


def test_zhejiang_income_example_from_the_issue():
    """Zhejiang rural disposable income 19,373 元 (2014) and 24,956 元 (2017); Anhui 21,144 元 in
    2023: linear t* = 2014 + 3 · 1,771 / 5,583 = 2014.9516, "约2015年水平，落后约8年"."""
    series = {2014: 19373, 2017: 24956}
    c = years_behind(21144, 2023, series)
    assert c.equivalent_year == pytest.approx(2014 + 3 * 1771 / 5583)
    assert c.years_behind == pytest.approx(2023 - 2014 - 3 * 1771 / 5583)
    assert (c.rounded_year, c.rounded_behind) == (2015, 8)
    c_log = years_behind(21144, 2023, series, interpolation="log")
    assert c_log.equivalent_year == pytest.approx(2014 + 3 * math.log(21144 / 19373) / math.log(24956 / 19373))
    assert (c_log.rounded_year, c_log.rounded_behind) == (2015, 8)


def test_below_the_first_year_is_not_extrapolated():
    # Tongling's published 17,102 元 (2020) is below Zhejiang's first disposable-basis year
    c = years_behind(17102, 2020, {2014: 19373, 2017: 24956}, interpolation="log")
    assert c.status == "before_start"
    assert math.isnan(c.equivalent_year) and math.isnan(c.years_behind)
    assert c.min_years_behind == 6 and c.rounded_year is None
    assert (c.start_year, c.start_value) == (2014, 19373.0)


def test_above_the_latest_year_is_not_extrapolated():
    c = years_behind(500, 2013, QUAD)
    assert c.status == "beyond_latest"
    assert (c.lower_year, c.lower_value, c.latest_year) == (2012, 400.0, 2012)
    assert math.isnan(c.years_behind) and c.min_years_behind is None


def test_a_published_value_is_its_own_year():
    first = years_behind(100, 2015, QUAD)
    assert (first.status, first.equivalent_year, first.lower_year, first.upper_year) == ("reached", 2010.0, 2010, 2010)
    assert first.rounded_behind == 5
    # a node in the middle: the first year that reached it, 2011, not the segment after it
    middle = years_behind(200, 2015, {2010: 100, 2011: 200, 2013: 400})
    assert middle.equivalent_year == pytest.approx(2011.0)
    assert (middle.lower_year, middle.upper_year) == (2010, 2011)


def test_lower_is_better_for_the_income_ratio():
    # ratio 2.10 (2014), 2.04 (2017), 1.96 (2020): 2.00 is first reached between 2017 and 2020,
    # t* = 2017 + 3 · (2.00 − 2.04) / (1.96 − 2.04) = 2018.5; printed 2019 (half up), lag 4
    series = {2014: 2.10, 2017: 2.04, 2020: 1.96}
    c = years_behind(2.00, 2023, series, direction=-1)
    assert c.status == "reached"
    assert c.equivalent_year == pytest.approx(2018.5)
    assert c.years_behind == pytest.approx(4.5)
    assert (c.rounded_year, c.rounded_behind) == (2019, 4)
    assert years_behind(2.20, 2023, series, direction=-1).status == "before_start"
    beyond = years_behind(1.90, 2023, series, direction=-1)
    assert (beyond.status, beyond.lower_year, beyond.lower_value) == ("beyond_latest", 2020, 1.96)


def test_ahead_of_the_benchmark_in_the_same_year_is_a_negative_lag():
    c = years_behind(150, 2015, {2014: 100, 2024: 200})
    assert c.equivalent_year == pytest.approx(2019.0)
    assert c.years_behind == pytest.approx(-4.0) and c.rounded_behind == -4


def test_first_crossing_of_a_series_that_falls_back():
    # reached 200 first between 2010 and 2011 (300), though it falls to 150 in 2012
    c = years_behind(200, 2015, {2010: 100, 2011: 300, 2012: 150, 2013: 400})
    assert c.equivalent_year == pytest.approx(2010.5)


def test_same_year_value_and_unsorted_input():
    c = years_behind(250, 2012, pd.Series([400.0, 100.0], index=[2012, 2010]))
    assert c.same_year_value == 400.0 and c.start_year == 2010
    assert math.isnan(years_behind(250, 2011, QUAD).same_year_value)


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    ((float("nan"), 2020, QUAD), {}, "missing"),
    ((200, 2020, {}), {}, "empty"),
    ((200, 2020, {2010: 100, 2012: float("nan")}), {}, "missing or infinite"),
    ((200, 2020, QUAD), {"interpolation": "spline"}, "interpolation"),
    ((200, 2020, QUAD), {"direction": 0}, "direction"),
    ((200, 2020, {2010: 0.0, 2012: 400.0}), {"interpolation": "log"}, "positive"),
])
def test_bad_input_is_a_clear_error(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        years_behind(*args, **kwargs)


def test_repeated_years_are_rejected():
    with pytest.raises(ValueError, match="repeated years"):
        years_behind(200, 2020, pd.Series([100.0, 150.0, 400.0], index=[2010, 2010, 2012]))


def test_catchup_frame_keeps_unit_columns_and_drops_missing_values():
    units = pd.DataFrame({"unit": ["a", "b", "c"], "year": [2020, 2020, 2013], "value": [200.0, None, 500.0]})
    out = catchup_frame(units, QUAD, interpolation="log")
    assert out["unit"].tolist() == ["a", "c"]
    assert out["status"].tolist() == ["reached", "beyond_latest"]
    assert out.loc[0, "equivalent_year"] == pytest.approx(2011.0)
    assert out.loc[0, "rounded_behind"] == 9


def test_benchmark_series_keeps_one_basis():
    """The packaged Zhejiang series: disposable income from 2014 only; a net-income row (the
    pre-2014 definition) of the same topic is never joined into it."""
    facts = load_published_facts()
    cfg = load_catchup_series().set_index("topic")
    income = benchmark_series(facts, "rural_income", cfg.loc["rural_income", "benchmark_region_code"], "disposable")
    assert income.index.tolist() == [2014, 2017, 2018, 2020, 2021, 2022, 2023, 2024]
    assert income.tolist() == [19373, 24956, 27302, 31930, 35247, 37565, 40311, 42786]
    ratio = benchmark_series(facts, "income_ratio", "330000", "disposable")
    assert ratio.index[0] == 2014 and ratio.loc[2020] == 1.96
    assert ratio.loc[2014] == pytest.approx(40393 / 19373, abs=1e-5)  # from the same 2015 report
    net = facts.iloc[[0]].assign(fact_id="zj_net_2013", basis="net", year=2013, value=16106.0)
    mixed = pd.concat([facts, net], ignore_index=True)
    assert benchmark_series(mixed, "rural_income", "330000", "disposable").index[0] == 2014
    assert benchmark_series(mixed, "rural_income", "330000", "net").tolist() == [16106.0]
    with pytest.raises(ValueError, match="no published"):
        benchmark_series(facts, "rural_income", "330000", "net")
