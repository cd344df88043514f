"""The store: one memo for validated data sets and facts, keyed on the fingerprint and versions."""

from __future__ import annotations

import os
import pickle

import pytest
from small_data import CHAITANG, NONGLIN, OBS_HEAD

from hemei_tools.inputs import store
from hemei_tools.inputs.dataset import load_dataset
from hemei_tools.inputs.fingerprint import hash_inputs


@pytest.fixture
def counted_loads(monkeypatch):
    """Count the data sets the store validates (calls of load_dataset)."""
    calls = []

    def counting(path, catalogue=None):
        calls.append(path)
        return load_dataset(path, catalogue)

    monkeypatch.setattr(store, "load_dataset", counting)
    return calls


def test_a_data_set_is_validated_once_across_kernels(small_folder, store_dir, counted_loads):
    first = store.load_dataset_cached(small_folder)
    assert store.load_dataset_cached(small_folder) is first          # same kernel: the lru_cache
    store._load.cache_clear()                                        # a new kernel: from the store
    again = store.load_dataset_cached(small_folder)
    assert again is not first and again.observations.equals(first.observations)
    assert len(counted_loads) == 1
    assert [p.parent.name for p in store_dir.rglob("*.pkl")] == ["datasets"]


def test_new_library_versions_make_a_new_entry(small_folder, store_dir, counted_loads, monkeypatch):
    store.load_dataset_cached(small_folder)
    real = store.versions()
    monkeypatch.setattr(store, "versions", lambda: {**real, "pandas": "0.0.1"})
    store._load.cache_clear()
    store.load_dataset_cached(small_folder)
    assert len(counted_loads) == 2 and len(list(store_dir.rglob("*.pkl"))) == 2


def test_a_corrupt_entry_is_rebuilt(small_folder, store_dir, counted_loads):
    store.load_dataset_cached(small_folder)
    (entry,) = store_dir.rglob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:100])                      # truncated
    store._load.cache_clear()
    assert len(store.load_dataset_cached(small_folder).observations) == 2
    assert len(counted_loads) == 2
    assert len(pickle.loads(entry.read_bytes()).observations) == 2   # rewritten whole


def test_an_unwritable_cache_folder_only_costs_speed(small_folder, tmp_path, monkeypatch, counted_loads):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("HEMEI_CACHE_DIR", str(blocker / "cache"))   # cannot be created
    store._load.cache_clear()
    assert len(store.load_dataset_cached(small_folder).observations) == 2
    store._load.cache_clear()
    assert len(store.load_dataset_cached(small_folder).observations) == 2
    assert len(counted_loads) == 2
    assert store.remember_fact("n", {"a.csv": "1"}, lambda: 7) == 7
    store._load.cache_clear()


def test_facts_are_computed_once_per_fingerprint(small_folder, store_dir):
    calls = []

    def count():
        calls.append(1)
        return [{"region_code": "340705"}]

    inputs = hash_inputs(small_folder)
    assert store.remember_fact("regions", inputs, count) == [{"region_code": "340705"}]
    assert store.remember_fact("regions", inputs, count) == [{"region_code": "340705"}]
    assert store.remember_fact("applicants", inputs, lambda: 3) == 3   # another fact, another entry
    assert len(calls) == 1
    (small_folder / "observations.txt").write_text(OBS_HEAD + f"{NONGLIN},2023,toilet_rate,1\n"
                                                   f"{CHAITANG},2023,toilet_rate,2\n", encoding="utf-8")
    store.remember_fact("regions", hash_inputs(small_folder), count)   # changed inputs: computed again
    assert len(calls) == 2


def test_the_store_keeps_the_most_recently_used_entries(tmp_path):
    for i in range(6):
        f = tmp_path / ("datasets" if i % 2 else "facts") / f"{i}.pkl"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(b"x")
        os.utime(f, (1_000_000 + i, 1_000_000 + i))
    store._prune(tmp_path, keep=4)
    assert sorted(p.name for p in tmp_path.rglob("*.pkl")) == ["2.pkl", "3.pkl", "4.pkl", "5.pkl"]


def test_a_hit_marks_its_entry_as_recently_used(small_folder, store_dir, monkeypatch):
    monkeypatch.setattr(store, "STORE_ITEMS", 2)
    store.remember_fact("a", {"x": "1"}, lambda: 1)
    store.remember_fact("b", {"x": "1"}, lambda: 2)
    for p in store_dir.rglob("*.pkl"):
        os.utime(p, (1_000_000, 1_000_000))
    assert store.remember_fact("a", {"x": "1"}, lambda: -1) == 1     # a hit: "a" is now the newest
    store.remember_fact("c", {"x": "1"}, lambda: 3)                  # a write prunes to 2 entries
    assert store.remember_fact("a", {"x": "1"}, lambda: -1) == 1
    assert store.remember_fact("b", {"x": "1"}, lambda: -2) == -2    # "b" was dropped


def test_importing_the_fingerprint_does_not_import_pandas():
    import subprocess
    import sys

    code = "import sys, hemei_tools.inputs.fingerprint; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_loaded_data_set_carries_its_input_fingerprint(small_folder, store_dir):
    import dataclasses

    ds = store.load_dataset_cached(small_folder)
    assert store.dataset_inputs(ds) == hash_inputs(small_folder)
    store._load.cache_clear()                                        # read back from the store
    again = store.load_dataset_cached(small_folder)
    assert again is not ds and store.dataset_inputs(again) == hash_inputs(small_folder)
    # a data set derived in memory, or loaded past the store, is not vouched for
    assert store.dataset_inputs(dataclasses.replace(again, observations=again.observations.head(1))) is None
    assert store.dataset_inputs(load_dataset(small_folder)) is None
    assert store.dataset_inputs(object()) is None
