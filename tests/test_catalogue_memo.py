"""Catalogue.memo, Catalogue.fingerprint and frame_fingerprint: what results computed once per
catalogue, and results stored on disk, are keyed by."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hemei_tools.catalogue import frame_fingerprint, load_catalogue


def test_memo_computes_once_per_key_and_stores_no_error():
    cat = dataclasses.replace(load_catalogue())
    calls = []
    assert cat.memo(("k", 1), lambda: calls.append(1) or "one") == "one"
    assert cat.memo(("k", 1), lambda: calls.append(1) or "again") == "one"
    assert cat.memo(("k", 2), lambda: calls.append(2) or "two") == "two"
    assert calls == [1, 2]
    with pytest.raises(ZeroDivisionError):
        cat.memo("bad", lambda: 1 / 0)
    assert "bad" not in cat._memo
    assert dataclasses.replace(cat).memo(("k", 1), lambda: "fresh") == "fresh"   # per catalogue object


def test_fingerprint_follows_the_content():
    cat = load_catalogue()
    same = dataclasses.replace(cat)
    assert same is not cat and same.fingerprint == cat.fingerprint and len(cat.fingerprint) == 64
    for table, column in (("benchmarks", "value"), ("indicators", "weight"), ("framework", "weight"),
                          ("reference_goalposts", "value")):
        frame = getattr(cat, table).copy()
        frame.loc[frame.index[0], column] = float(frame[column].iloc[0]) + 1.0
        assert dataclasses.replace(cat, **{table: frame}).fingerprint != cat.fingerprint, table


def test_frame_fingerprint_tells_values_dtypes_and_types_apart():
    a = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    assert frame_fingerprint(a) == frame_fingerprint(a.copy())
    assert frame_fingerprint(a) != frame_fingerprint(a.assign(x=[1.0, 2.5]))
    assert frame_fingerprint(a) != frame_fingerprint(a.assign(x=[1, 2]))               # dtype
    assert frame_fingerprint(a) != frame_fingerprint(a.rename(columns={"y": "z"}))      # column name
    assert frame_fingerprint(a) != frame_fingerprint(a.iloc[::-1])                      # order, index
    ones = pd.DataFrame({"v": pd.Series([1, "b"], dtype=object)})
    assert frame_fingerprint(ones) != frame_fingerprint(pd.DataFrame({"v": pd.Series(["1", "b"], dtype=object)}))
