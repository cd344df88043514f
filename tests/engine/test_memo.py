"""Engine results shared between report processes (hemei_tools.engine.memo): served only for the
same data, catalogue, code and arguments, and equal to a fresh computation."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hemei_tools.engine import memo
from hemei_tools.engine.composite import IndexSpec
from hemei_tools.engine.region import analyse_region, load_report_context
from hemei_tools.inputs.store import dataset_inputs, load_dataset_cached, store_location

SPEC = IndexSpec()
#: Two counties of one city in the three-city test province (tests/province_data.py).
COUNTY_A, COUNTY_B = "340101", "340102"


@pytest.fixture
def sharing(monkeypatch, tmp_path):
    """Sharing on, with a store of this test's own."""
    monkeypatch.setenv(memo.SHARE_ENV, "1")
    monkeypatch.setenv("HEMEI_CACHE_DIR", str(tmp_path / "cache"))


class Counter:
    """A computation that counts its calls and returns a fresh frame."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return pd.DataFrame({"x": [1.5, 2.5]})


def _entries() -> list:
    folder = store_location() / memo.STORE_KIND
    return sorted(folder.glob("*.pkl")) if folder.exists() else []


def test_off_unless_asked(province_dir, monkeypatch, tmp_path):
    monkeypatch.delenv(memo.SHARE_ENV, raising=False)
    monkeypatch.setenv("HEMEI_CACHE_DIR", str(tmp_path / "cache"))
    ds = load_dataset_cached(province_dir)
    count = Counter()
    from hemei_tools.catalogue import load_catalogue

    for _ in range(2):
        memo.shared("t", ds, load_catalogue(), SPEC, {"a": 1}, count)
    assert count.calls == 2
    assert _entries() == []


def test_second_call_is_read_and_equal(province_dir, sharing):
    from hemei_tools.catalogue import load_catalogue

    ds, cat = load_dataset_cached(province_dir), load_catalogue()
    count = Counter()
    first = memo.shared("t", ds, cat, SPEC, {"a": 1}, count)
    again = memo.shared("t", ds, cat, SPEC, {"a": 1}, count)
    assert count.calls == 1
    pd.testing.assert_frame_equal(first, again)
    assert len(_entries()) == 1


def test_every_input_is_in_the_key(province_dir, sharing):
    """Other arguments, another catalogue content or a data set not loaded through the store
    never read an entry stored for something else."""
    from hemei_tools.catalogue import load_catalogue

    ds, cat = load_dataset_cached(province_dir), load_catalogue()
    count = Counter()
    memo.shared("t", ds, cat, SPEC, {"a": 1}, count)
    memo.shared("t", ds, cat, SPEC, {"a": 2}, count)  # another argument
    memo.shared("u", ds, cat, SPEC, {"a": 1}, count)  # another computation
    memo.shared("t", ds, cat, dataclasses.replace(SPEC, aggregator="gmean"), {"a": 1}, count)  # another spec
    changed = dataclasses.replace(cat, indicators=cat.indicators.assign(
        goalpost_low=cat.indicators["goalpost_low"].fillna(0.0) + 1.0))
    memo.shared("t", ds, changed, SPEC, {"a": 1}, count)  # another catalogue
    copy = dataclasses.replace(ds)
    assert dataset_inputs(copy) is None and dataset_inputs(ds) is not None
    memo.shared("t", copy, cat, SPEC, {"a": 1}, count)  # built in memory: never from the store
    memo.shared("t", copy, cat, SPEC, {"a": 1}, count)
    assert count.calls == 7
    memo.shared("t", ds, cat, SPEC, {"a": 1}, count)  # the first one again: read
    assert count.calls == 7


def test_a_spec_is_keyed_only_when_its_methods_are_the_packages():
    assert memo.spec_text(SPEC) == memo.spec_text(IndexSpec())
    assert memo.spec_text(dataclasses.replace(SPEC, aggregator="gmean")) != memo.spec_text(SPEC)

    class Mine(IndexSpec):
        pass

    assert memo.spec_text(Mine()) is None  # a subclass may compute otherwise: no key


def test_a_spec_without_a_key_is_computed_every_time(province_dir, sharing):
    from hemei_tools.catalogue import load_catalogue

    count = Counter()
    for _ in range(2):
        memo.shared("t", load_dataset_cached(province_dir), load_catalogue(), object(), {"a": 1}, count)
    assert count.calls == 2 and _entries() == []


def _frames(a) -> dict:
    return {"values": a.values, "scores": a.result.scores, "gaps": a.gaps, "status": a.status, "trends": a.trends,
            "links": a.links, "ranks": a.ranks, "imbalance": a.imbalance, "zhejiang": a.zhejiang,
            "composition": a.composition, "child_ranks": a.child_ranks}


def test_counties_of_one_city_share_and_match_a_fresh_analysis(province_dir, sharing, monkeypatch):
    """The second county of a city reads the city-wide results the first one stored, and each
    analysis equals the one computed without sharing."""
    from hemei_tools.engine import region

    calls = []
    real = region._scope_results
    monkeypatch.setattr(region, "_scope_results", lambda *args: calls.append(args[4]) or real(*args))
    shared = {c: analyse_region(load_report_context(str(province_dir), c, 2023), n_runs=20) for c in
              (COUNTY_A, COUNTY_B)}
    assert calls == ["3401"]  # computed once for the city, read for its second county
    assert len(_entries()) == 1
    monkeypatch.setenv(memo.SHARE_ENV, "0")
    for code, a in shared.items():
        fresh = analyse_region(load_report_context(str(province_dir), code, 2023), n_runs=20)
        for name, frame in _frames(fresh).items():
            pd.testing.assert_frame_equal(_frames(a)[name], frame, obj=f"{code} {name}")
        assert not a.ranks.empty and set(a.ranks["unit_code"].str[:6]) == {code}
    assert calls == ["3401", "3401", "3401"]
