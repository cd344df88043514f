"""The province rank of a county (a city) through the store: summary.province_scores, on the
tiny three-city province of tests/province_data.py.

By hand (tests/engine/test_league.py's docstring): 3407's counties 340701 and 340702 score
100 − (100 − a)/32 and tie at rank 1, 3402's second county (600) ranks 3 and its first 4, and
3401's counties 340101 and 340102 score 0 and tie at rank 5 of 6, in 2022 and 2023 alike; the
data hold 3 of Anhui's 16 cities (``whole_province`` False). With 340101's industry_output raised
to 700 (a/32 points, a > 0) 340101 ranks 5 and 340102 alone 6.

The key (:func:`hemei_tools.engine.summary._province_key`) names every input: a changed spec,
benchmark, catalogue figure, data file, level, years or package code makes another entry, so a
stale rank is never served; without a safe key the scores are computed.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from province_data import AMOUNT, YEAR, write_province

from hemei_tools.engine import summary as sm
from hemei_tools.engine.composite import IndexSpec
from hemei_tools.engine.region import analyse_region, load_region_context
from hemei_tools.inputs import fingerprint, store
from hemei_tools.paths import cache_dir

YEARS = (2022, YEAR)


def _a_of(folder, code: str):
    return analyse_region(load_region_context(str(folder), code, YEAR), n_runs=0, child_runs=0)


def _pinned(x: float) -> float:
    """industry_output's score at x (above L) against the pinned reference: 100·(x − L)/(B − L)."""
    from hemei_tools.catalogue import load_catalogue

    ref = load_catalogue().reference_goalposts
    io = ref[(ref["indicator_id"] == AMOUNT) & (ref["basis"] == "reference")].set_index("role")
    b, lo = float(io.loc["benchmark", "value"]), float(io.loc["low", "value"])
    assert 200 < lo < 600 < 700 < b
    return 100 * (x - lo) / (b - lo)


@pytest.fixture(scope="module")
def raised_dir(tmp_path_factory, isolated_cache):
    """The province with 340101's industry_output at 700 in both years."""
    folder = write_province(tmp_path_factory.mktemp("raised"))
    obs = pd.read_csv(folder / "observations.csv", dtype={"village_code": str})
    mine = obs["village_code"].str.startswith("340101") & (obs["indicator_id"] == AMOUNT)
    obs.loc[mine, "value"] = 700.0
    obs.to_csv(folder / "observations.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def low(province_dir):
    return _a_of(province_dir, "340101")


@pytest.fixture(scope="module")
def top(province_dir):
    return _a_of(province_dir, "340701")


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """An empty store for one test (the data sets loaded in this process stay loaded)."""
    monkeypatch.setenv("HEMEI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "store" / "analyses"


def _entries(folder) -> int:
    return len(list(folder.glob("*.pkl"))) if folder.exists() else 0


def test_province_ranks_by_hand_computed_once_then_read(low, top, empty_store, monkeypatch):
    r = sm.province_ranks(low, YEARS)
    assert r["year"].tolist() == [2022, 2023]
    assert r["rank"].tolist() == [5.0, 5.0] and r["n_units"].tolist() == [6, 6]
    assert r["score"].tolist() == [0.0, 0.0] and not r["whole_province"].any()
    assert _entries(empty_store) == 1 and cache_dir() / "store" / "analyses" == empty_store

    def never(*args, **kwargs):
        raise AssertionError("computed instead of read from the store")

    monkeypatch.setattr(sm, "_province_scores", never)
    again = sm.province_ranks(low, YEARS)                 # another report: read from the store
    t = sm.province_ranks(top, YEARS)                     # another county, the same entry
    pd.testing.assert_frame_equal(again, r, check_exact=True)
    assert t["rank"].tolist() == [1.0, 1.0]
    assert t["score"].tolist() == pytest.approx([100 - (100 - _pinned(700)) / 32] * 2, abs=1e-9)
    assert _entries(empty_store) == 1
    monkeypatch.undo()
    monkeypatch.setattr(sm, "_province_key", lambda *args: None)   # no key: computed afresh
    pd.testing.assert_frame_equal(sm.province_ranks(top, YEARS), t, check_exact=True)
    pd.testing.assert_frame_equal(sm.province_ranks(low, YEARS), r, check_exact=True)


def test_standing_reads_the_same_rank_from_the_store(low, empty_store):
    first = sm.standing(low)
    assert _entries(empty_store) == 1
    assert sm.standing(low) == first
    assert (first["province_rank"], first["province_n"], first["province_first_rank"]) == (5, 6, 5)


def test_changed_data_are_a_new_entry_never_the_old_rank(province_dir, raised_dir, low, empty_store):
    old = sm.province_ranks(_a_of(province_dir, "340102"), YEARS)
    new = sm.province_ranks(_a_of(raised_dir, "340102"), YEARS)
    assert old["rank"].tolist() == [5.0, 5.0] and new["rank"].tolist() == [6.0, 6.0]
    raised = sm.province_ranks(_a_of(raised_dir, "340101"), YEARS)
    assert raised["rank"].tolist() == [5.0, 5.0]
    assert raised["score"].tolist() == pytest.approx([_pinned(700) / 32] * 2, abs=1e-9)
    assert _entries(empty_store) == 2


def _with_spec(a, **changes):
    spec = dataclasses.replace(a.result.spec, **changes)
    return dataclasses.replace(a, result=dataclasses.replace(a.result, spec=spec))


def _with_catalogue(a, cat):
    return dataclasses.replace(a, ctx=dataclasses.replace(a.ctx, catalogue=cat))


def test_the_key_changes_with_every_input(low, province_dir, raised_dir, monkeypatch):
    key = sm._province_key(low, "34", YEARS)
    assert key is not None and key == sm._province_key(low, "34", YEARS)
    assert key["data"] != sm._province_key(_a_of(raised_dir, "340101"), "34", YEARS)["data"]
    for changes in ({"weights": {"D1": 2.0}}, {"imputation": "county_median"}, {"winsorise": True},
                    {"reference_percentile": 75.0}, {"aggregator": "gmean"}, {"min_coverage": 0.6},
                    {"screen_coverage": 0.5}):
        assert sm._province_key(_with_spec(low, **changes), "34", YEARS)["spec"] != key["spec"], changes
    # the spec's years are not an input (the scores cover the years asked for)
    assert sm._province_key(_with_spec(low, years=(2022,)), "34", YEARS) == key
    bm = low.result.benchmarks.copy()
    bm.loc[bm["indicator_id"] == AMOUNT, "benchmark"] += 1.0
    moved = dataclasses.replace(low, result=dataclasses.replace(low.result, benchmarks=bm))
    assert sm._province_key(moved, "34", YEARS)["benchmarks"] != key["benchmarks"]
    cat = low.catalogue
    same = dataclasses.replace(cat)                      # another object, the same content
    assert sm._province_key(_with_catalogue(low, same), "34", YEARS) == key
    figures = cat.benchmarks.copy()
    figures.loc[figures.index[0], "value"] = float(figures["value"].iloc[0]) + 1.0
    other = dataclasses.replace(cat, benchmarks=figures)
    assert sm._province_key(_with_catalogue(low, other), "34", YEARS)["catalogue"] != key["catalogue"]
    assert sm._province_key(low, "34", (YEAR,))["years"] != key["years"]
    assert sm._province_key(_a_of(province_dir, "340100"), "34", YEARS)["level"] != key["level"]
    monkeypatch.setattr(fingerprint, "package_hash", lambda: "another version of the code")
    assert sm._province_key(low, "34", YEARS)["code"] != key["code"]


def test_no_safe_key_means_computed(low, empty_store, monkeypatch):
    # a data set derived in memory keeps the files' records but not their content
    ds = low.ctx.dataset
    thinner = dataclasses.replace(ds, observations=ds.observations[~ds.observations["village_code"].str.startswith(
        "340701")])
    derived = dataclasses.replace(low, ctx=dataclasses.replace(low.ctx, dataset=thinner))
    assert store.dataset_inputs(thinner) is None and sm._province_key(derived, "34", YEARS) is None
    r = sm.province_ranks(derived, YEARS)
    assert r["rank"].tolist() == [4.0, 4.0] and r["n_units"].tolist() == [5, 5]   # 340701 gone
    assert _entries(empty_store) == 0

    class MySpec(IndexSpec):
        pass

    mine = dataclasses.replace(low, result=dataclasses.replace(low.result, spec=MySpec(years=(YEAR,))))
    assert sm._province_key(mine, "34", YEARS) is None
    from hemei_tools.engine import normalise

    monkeypatch.setitem(normalise.NORMALISERS, "goalposts", lambda x, **kw: x)   # a method from outside
    assert sm._province_key(low, "34", YEARS) is None
