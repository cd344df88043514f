"""Goalposts and weights computed once per catalogue (Catalogue.memo): the same frames as a fresh
computation, and a caller that changes its copy changes nothing for the next caller."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine import composite, goalposts
from hemei_tools.engine.composite import effective_weights, tree_weights
from hemei_tools.engine.goalposts import basis_figures, benchmark_flags, resolve_benchmarks
from hemei_tools.errors import SpecError


@pytest.fixture
def cat():
    """A fresh catalogue object (its memo empty), equal in content to the packaged one."""
    return dataclasses.replace(load_catalogue())


@pytest.mark.parametrize("kwargs", [{}, {"basis": "zhejiang"}, {"basis": "national"},
                                    {"reference_percentile": 75}, {"reference_percentile": 95.0},
                                    {"basis": "reference", "reference_percentile": 90}])
def test_resolve_benchmarks_equals_a_fresh_computation(cat, kwargs):
    fresh = goalposts._resolve_benchmarks(dataclasses.replace(cat), kwargs.get("basis"),
                                          kwargs.get("reference_percentile"))
    first = resolve_benchmarks(cat, **kwargs)
    pd.testing.assert_frame_equal(first, fresh, check_exact=True)
    pd.testing.assert_frame_equal(resolve_benchmarks(cat, **kwargs), fresh, check_exact=True)


def test_resolve_benchmarks_is_computed_once_and_copied(cat, monkeypatch):
    first = resolve_benchmarks(cat)
    at_90 = resolve_benchmarks(cat, reference_percentile=90)
    expected = first.copy()
    first.loc[0, "benchmark"] = -1.0                      # a caller changes its frame ...
    first["extra"] = 1
    monkeypatch.setattr(goalposts, "_resolve_benchmarks", lambda *a: pytest.fail("computed again"))
    again = resolve_benchmarks(cat)                        # ... the next caller gets the original
    pd.testing.assert_frame_equal(again, expected, check_exact=True)
    assert again is not resolve_benchmarks(cat)
    # 90 and 90.0 are the same percentile; a new catalogue object has its own entry
    pd.testing.assert_frame_equal(resolve_benchmarks(cat, reference_percentile=90.0), at_90, check_exact=True)
    monkeypatch.undo()
    other = dataclasses.replace(cat)
    pd.testing.assert_frame_equal(resolve_benchmarks(other), expected, check_exact=True)


def test_resolve_benchmarks_errors_are_not_cached(cat):
    with pytest.raises(SpecError, match="unknown goalpost basis"):
        resolve_benchmarks(cat, basis="mars")
    with pytest.raises(SpecError, match="unknown goalpost basis"):
        resolve_benchmarks(cat, basis="mars")
    with pytest.raises(SpecError, match="no pinned reference at the 42th"):
        resolve_benchmarks(cat, reference_percentile=42)
    assert not any(k[0] == "resolve_benchmarks" and k[1] == "mars" for k in cat._memo)


def test_a_changed_catalogue_figure_gives_its_own_goalposts(cat):
    before = resolve_benchmarks(cat)
    bm = cat.benchmarks.copy()
    row = bm.index[(bm["role"] == "benchmark")][0]
    bm.loc[row, "value"] = float(bm.loc[row, "value"]) + 7.0
    moved = resolve_benchmarks(dataclasses.replace(cat, benchmarks=bm))
    iid = bm.loc[row, "indicator_id"]
    b = before.set_index("indicator_id")["benchmark"]
    m = moved.set_index("indicator_id")["benchmark"]
    assert m[iid] == pytest.approx(b[iid] + 7.0)
    pd.testing.assert_frame_equal(resolve_benchmarks(cat), before, check_exact=True)


def test_basis_figures_and_flags_equal_fresh_and_are_copies(cat):
    fresh = goalposts._basis_figures(dataclasses.replace(cat), ("zhejiang", "anhui"))
    got = basis_figures(cat, ["zhejiang", "anhui"])        # a list keys like the tuple
    pd.testing.assert_frame_equal(got, fresh, check_exact=True)
    got.loc[0, "value"] = -5.0
    pd.testing.assert_frame_equal(basis_figures(cat, ("zhejiang", "anhui")), fresh, check_exact=True)
    flags = benchmark_flags(cat)
    pd.testing.assert_frame_equal(flags, goalposts._benchmark_flags(dataclasses.replace(cat), None),
                                  check_exact=True)
    flags["below_average"] = True
    assert not benchmark_flags(cat)["below_average"].all()
    # flags against given benchmarks are keyed by their content: a moved benchmark is flagged anew
    bm = resolve_benchmarks(cat)
    i = int(np.flatnonzero(benchmark_flags(cat, bm)["below_average"].to_numpy())[0])
    low = bm.copy()
    low.loc[i, "benchmark"] = low.loc[i, "benchmark"] + 1e6 * low.loc[i, "direction"]
    assert not benchmark_flags(cat, low)["below_average"].iloc[i]
    assert benchmark_flags(cat, bm)["below_average"].iloc[i]


def test_tree_weights_equal_fresh_and_are_copies(cat):
    overrides = {"D1": 2.0}
    fresh = composite._tree_weights(dataclasses.replace(cat), overrides)
    got = tree_weights(cat, overrides)
    for k in ("task", "dimension", "index"):
        pd.testing.assert_frame_equal(got[k], fresh[k], check_exact=True)
    got["index"].iloc[0, 0] = 99.0
    assert tree_weights(cat, {"D1": 2})["index"].iloc[0, 0] == fresh["index"].iloc[0, 0]
    # the overrides are part of the key
    plain = tree_weights(cat)
    assert not plain["index"].equals(fresh["index"])
    assert effective_weights(cat).sum() == pytest.approx(1.0)
    with pytest.raises(SpecError, match="unknown code"):
        tree_weights(cat, {"nope": 1.0})
    with pytest.raises(SpecError, match="finite"):
        tree_weights(cat, {"D1": float("nan")})


def test_goalpost_composition_equals_fresh_and_follows_its_inputs(cat):
    from hemei_tools.engine.goalposts import goalpost_composition

    fresh = goalposts._goalpost_composition(dataclasses.replace(cat), None, {"D1": 2.0})
    got = goalpost_composition(cat, None, {"D1": 2.0})
    pd.testing.assert_frame_equal(got, fresh, check_exact=True)
    got["weight_share"] = 0.0
    pd.testing.assert_frame_equal(goalpost_composition(cat, None, {"D1": 2.0}), fresh, check_exact=True)
    assert not goalpost_composition(cat).equals(fresh)                     # other overrides, other shares
    bm = resolve_benchmarks(cat)
    i = int(np.flatnonzero((bm["basis"] != "zhejiang").to_numpy())[0])
    moved = bm.copy()
    moved.loc[i, "basis"] = "zhejiang"                                      # another basis, another count
    z = goalpost_composition(cat, moved).set_index(["node", "basis"])["n"]
    z0 = goalpost_composition(cat, bm).set_index(["node", "basis"])["n"]
    assert z[(cat.index_code, "zhejiang")] == z0[(cat.index_code, "zhejiang")] + 1
