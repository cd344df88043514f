"""The county-partitioned Parquet cache: miss, hit, invalidation, one county's rows."""

from __future__ import annotations

import pandas as pd
import pytest

import hemei_tools.inputs.store as cache
from hemei_tools.inputs.dataset import load_dataset
from hemei_tools.inputs.store import CacheError, read_county, to_parquet_cache

COUNTIES = ("340705", "340722")
PER_COUNTY = 3


@pytest.fixture(scope="module")
def small_tables():
    """Three villages in each of two Tongling counties, every table, from the seeded demo."""
    from hemei_tools.demo import generate_demo

    demo = generate_demo(scale="tongling", seed=7, years=[2022, 2023])
    v = demo["villages"]
    keep = pd.concat([v[v["county_code"] == c].head(PER_COUNTY) for c in COUNTIES])
    codes = set(keep["village_code"])
    out = {"villages": keep.reset_index(drop=True)}
    for name in ("observations", "projects", "applicants"):
        t = demo[name]
        out[name] = t[t["village_code"].isin(codes)].reset_index(drop=True)
    return out


def write_inputs(folder, tables):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


@pytest.fixture
def counted_loads(monkeypatch):
    """Count the calls of load_dataset made by the cache."""
    calls = []

    def counting(path, catalogue=None):
        calls.append(path)
        return load_dataset(path, catalogue)

    monkeypatch.setattr(cache, "load_dataset", counting)
    return calls


def test_miss_then_hit_reads_inputs_once(tmp_path, small_tables, counted_loads):
    inputs = write_inputs(tmp_path / "in", small_tables)
    first = to_parquet_cache(inputs, tmp_path / "cache")
    assert not first.hit and len(counted_loads) == 1
    assert first.counties == COUNTIES
    assert first.rows["villages"] == 2 * PER_COUNTY
    assert first.rows["observations"] == len(small_tables["observations"])
    for c in COUNTIES:
        assert (tmp_path / "cache" / "data" / "observations" / f"county_code={c}").is_dir()
    second = to_parquet_cache(inputs, tmp_path / "cache")
    assert second.hit and second.key == first.key
    assert len(counted_loads) == 1                       # a hit never parses the inputs again


def test_changed_input_invalidates_and_rebuilds(tmp_path, small_tables, counted_loads):
    inputs = write_inputs(tmp_path / "in", small_tables)
    first = to_parquet_cache(inputs, tmp_path / "cache")
    obs = small_tables["observations"].copy()
    row = obs.index[obs["village_code"].str.startswith(COUNTIES[1])][0]
    obs.loc[row, "value"] = 0.0 if obs.loc[row, "value"] != 0 else 1.0
    write_inputs(inputs, {"observations": obs})
    second = to_parquet_cache(inputs, tmp_path / "cache")
    assert not second.hit and second.key != first.key and len(counted_loads) == 2
    got = read_county(tmp_path / "cache", COUNTIES[1], tables=("observations",))["observations"]
    changed = got[(got["village_code"] == obs.loc[row, "village_code"]) & (got["year"] == obs.loc[row, "year"])
                  & (got["indicator_id"] == obs.loc[row, "indicator_id"])]
    assert changed["value"].tolist() == [obs.loc[row, "value"]]
    # a new file is a change too
    (inputs / "metadata.json").write_text('{"synthetic": true}')
    third = to_parquet_cache(inputs, tmp_path / "cache")
    assert not third.hit and third.key != second.key and third.synthetic


def test_read_county_returns_exactly_its_rows(tmp_path, small_tables):
    inputs = write_inputs(tmp_path / "in", small_tables)
    to_parquet_cache(inputs, tmp_path / "cache")
    full = load_dataset(inputs)
    for county in COUNTIES:
        got = read_county(tmp_path / "cache", county)
        vil = full.villages[full.villages["county_code"] == county]
        assert len(got["villages"]) == PER_COUNTY
        assert set(got["villages"]["county_code"]) == {county}
        codes = set(vil["village_code"])
        for name, keys in (("villages", ["village_code"]),
                           ("observations", ["village_code", "year", "indicator_id"]),
                           ("projects", ["project_id"]), ("applicants", ["village_code", "apply_year"])):
            t = full.table(name)
            want = t[t["village_code"].isin(codes)].sort_values(keys).reset_index(drop=True)
            have = got[name].sort_values(keys).reset_index(drop=True)
            assert list(have.columns) == list(t.columns)
            pd.testing.assert_frame_equal(have, want, check_dtype=True)


def test_dataset_input_and_unknown_county(tmp_path, small_tables):
    ds = load_dataset(write_inputs(tmp_path / "in", small_tables))
    first = to_parquet_cache(ds, tmp_path / "cache")
    assert not first.hit
    assert to_parquet_cache(ds, tmp_path / "cache").hit
    with pytest.raises(CacheError, match="340711"):
        read_county(tmp_path / "cache", "340711")
    with pytest.raises(CacheError, match="unknown table"):
        read_county(tmp_path / "cache", COUNTIES[0], tables=("plans",))
    with pytest.raises(CacheError, match="no hemei cache"):
        read_county(tmp_path / "nothing", COUNTIES[0])


def test_empty_table_reads_as_empty_frame_with_its_columns(tmp_path, small_tables):
    import dataclasses

    ds = load_dataset(write_inputs(tmp_path / "in", small_tables))
    no_applicants = dataclasses.replace(ds, applicants=ds.applicants.iloc[0:0], files=())
    info = to_parquet_cache(no_applicants, tmp_path / "cache")
    assert info.rows["applicants"] == 0
    got = read_county(tmp_path / "cache", COUNTIES[0])
    assert got["applicants"].empty and list(got["applicants"].columns) == list(ds.applicants.columns)
    assert len(got["villages"]) == PER_COUNTY
