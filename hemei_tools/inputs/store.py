"""Parquet cache of a data set, partitioned by county, for reports at province and nation scale.

Input files (CSV, Excel or Parquet, as :func:`hemei_tools.inputs.dataset.load_dataset` reads them)
are read and validated **once** and written to a cache folder::

    cache_dir/
      manifest.json                      key, inputs and their SHA-256, tables, counties
      data/<table>/county_code=340705/part-0.parquet
      data/<table>/county_code=340706/part-0.parquet
      ...

one hive-partitioned Parquet data set per table (``villages``, ``observations``,
``projects``, ``applicants``) with small row groups, so that :func:`read_county` reads only
the files, and row groups, of one county (pyarrow partition pruning with ``filters=``). A
table without a ``county_code`` column takes its county from the villages table through
``village_code`` (the first six digits of the village code where the village is not listed).

The cache is keyed on the inputs: the key is the SHA-256 of every input file's relative path
and SHA-256 (``metadata.json`` included), in path order. :func:`to_parquet_cache` reuses a
cache whose key matches (a *hit*: nothing is read but the input bytes to hash them) and
rebuilds it when an input changed, was added or removed (*invalidation*). A rebuild is
written beside the old data and swapped in, and the manifest is written last, so an
interrupted build never leaves a cache that looks valid.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools import __version__
from hemei_tools.catalogue import Catalogue
from hemei_tools.errors import HemeiError
from hemei_tools.inputs.dataset import DataSet, load_dataset
from hemei_tools.inputs.fingerprint import hash_inputs, sha256_text
from hemei_tools.paths import cache_dir, resolve_data_dir, write_atomic, write_json_atomic

CACHE_TABLES = ("villages", "observations", "projects", "applicants")
MANIFEST = "manifest.json"
CACHE_FORMAT = 1
"""Version of the cache layout; a cache written with another version is rebuilt."""
ROW_GROUP_SIZE = 10_000
"""Rows per Parquet row group (small: a filtered read decodes little beyond its own rows)."""
_PART = "county_code"


class CacheError(HemeiError):
    """The cache cannot be built or read as asked (unknown county, missing cache)."""


@dataclass(frozen=True)
class CacheInfo:
    """What :func:`to_parquet_cache` found or built.

    Attributes
    ----------
    path
        The cache folder.
    key
        SHA-256 (hex) of the inputs the cache holds.
    hit
        True when an existing cache with this key was reused, False when it was (re)built.
    rows
        Rows per table.
    counties
        County codes present, sorted.
    synthetic
        The data set's synthetic flag.
    """

    path: Path
    key: str
    hit: bool
    rows: dict[str, int]
    counties: tuple[str, ...]
    synthetic: bool


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _input_files(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """Every file under the inputs, as (name used in the key, path), sorted by name."""
    from hemei_tools.inputs.loaders import file_format

    out = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not f.name.startswith((".", "~$")) and (
                        file_format(f) is not None or f.name == "metadata.json"):
                    out.append((f"{p.name}/{f.relative_to(p).as_posix()}", f))
        elif p.is_file():
            out.append((p.name, p))
        else:
            raise CacheError(f"input {str(p)!r} does not exist: give a data folder or file")
    return sorted(out, key=lambda t: t[0])


def input_key(paths: str | Path | Iterable[str | Path]) -> tuple[str, list[dict]]:
    """Cache key of input files: SHA-256 over each file's name and SHA-256, in name order.

    Parameters
    ----------
    paths
        A data folder (every table file and ``metadata.json`` in it, sub-folders of
        partitioned tables included), a file, or several.

    Returns
    -------
    key, inputs
        The hex key and one ``{"name", "sha256", "bytes"}`` record per input file.
    """
    paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    files = _input_files(paths)
    if not files:
        raise CacheError(f"no data files under {[str(p) for p in paths]}: nothing to cache")
    records = [{"name": name, "sha256": _sha256_file(f), "bytes": f.stat().st_size} for name, f in files]
    h = hashlib.sha256(f"hemei-cache-{CACHE_FORMAT}".encode())
    for r in records:
        h.update(f"{r['name']}\0{r['sha256']}\n".encode())
    return h.hexdigest(), records


def _dataset_key(ds: DataSet) -> tuple[str, list[dict]]:
    """Key of an already loaded data set: its files' hashes, or its content when in memory."""
    h = hashlib.sha256(f"hemei-cache-{CACHE_FORMAT}-dataset".encode())
    if ds.files:
        records = [{"name": Path(f.path).name, "sha256": f.sha256, "rows": f.rows} for f in ds.files]
        for r in sorted(records, key=lambda r: r["name"]):
            h.update(f"{r['name']}\0{r['sha256']}\n".encode())
        return h.hexdigest(), records
    for name in CACHE_TABLES:
        frame = ds.table(name)
        h.update(f"{name}:{','.join(map(str, frame.columns))}\n".encode())
        if len(frame):
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest(), []


def _read_manifest(cache_dir: Path) -> dict | None:
    try:
        meta = json.loads((cache_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == CACHE_FORMAT else None


def _info(cache_dir: Path, meta: dict, hit: bool) -> CacheInfo:
    return CacheInfo(path=cache_dir, key=meta["key"], hit=hit,
                     rows={t: int(v["rows"]) for t, v in meta["tables"].items()},
                     counties=tuple(meta["counties"]), synthetic=bool(meta["synthetic"]))


def _county_of(frame: pd.DataFrame, villages: pd.DataFrame) -> np.ndarray:
    """County code per row: the row's own, else its village's, else the village code's prefix."""
    if _PART in frame.columns:
        return frame[_PART].astype(str).to_numpy(dtype=object)
    code = frame["village_code"].astype(str)
    by_village = pd.Series(villages[_PART].astype(str).to_numpy(),
                           index=villages["village_code"].astype(str).to_numpy())
    by_village = by_village[~by_village.index.duplicated()]
    county = code.map(by_village)
    return county.fillna(code.str[:6]).to_numpy(dtype=object)


def _write_table(frame: pd.DataFrame, county: np.ndarray, folder: Path, row_group_size: int) -> None:
    """One table as a hive-partitioned Parquet data set (``county_code=…`` folders)."""
    import pyarrow as pa
    import pyarrow.dataset as pads

    if frame.empty:                                   # an absent table: its columns are in the manifest
        folder.mkdir(parents=True, exist_ok=True)
        return
    data = frame.drop(columns=[_PART]) if _PART in frame.columns else frame
    order = np.argsort(county, kind="stable")
    table = pa.Table.from_pandas(data.iloc[order].reset_index(drop=True), preserve_index=False)
    table = table.append_column(_PART, pa.array(county[order].astype(str), type=pa.string()))
    part = pads.partitioning(pa.schema([(_PART, pa.string())]), flavor="hive")
    pads.write_dataset(table, folder, format="parquet", partitioning=part,
                       basename_template="part-{i}.parquet", max_rows_per_group=row_group_size,
                       min_rows_per_group=min(row_group_size, 1024),
                       file_options=pads.ParquetFileFormat().make_write_options(compression="zstd"),
                       existing_data_behavior="error")


def to_parquet_cache(dataset_or_path: DataSet | str | Path | Iterable[str | Path], cache_dir: str | Path,
                     *, catalogue: Catalogue | None = None, row_group_size: int = ROW_GROUP_SIZE
                     ) -> CacheInfo:
    """Convert a data set to the county-partitioned Parquet cache, once per version of the inputs.

    Parameters
    ----------
    dataset_or_path
        A data folder, file or list of them (CSV / .xlsx / Parquet, read with
        :func:`hemei_tools.inputs.dataset.load_dataset`), or an already loaded
        :class:`~hemei_tools.inputs.dataset.DataSet` (keyed on its files' hashes, or on its content
        when it was built in memory).
    cache_dir
        Cache folder (created if missing). Holds one data set at a time.
    catalogue
        Passed to :func:`~hemei_tools.inputs.dataset.load_dataset`.
    row_group_size
        Rows per Parquet row group (default :data:`ROW_GROUP_SIZE`).

    Returns
    -------
    CacheInfo
        ``hit`` is True when the cache already held these inputs (nothing was converted).

    Raises
    ------
    CacheError
        No input files, or a missing input path.
    hemei_tools.inputs.problems.DataValidationError
        The inputs do not validate (from ``load_dataset``); the old cache is left as it was.
    """
    cache_dir = Path(cache_dir)
    if isinstance(dataset_or_path, DataSet):
        ds, (key, inputs) = dataset_or_path, _dataset_key(dataset_or_path)
    else:
        ds, (key, inputs) = None, input_key(dataset_or_path)
    meta = _read_manifest(cache_dir)
    if meta is not None and meta.get("key") == key and (cache_dir / "data").is_dir():
        return _info(cache_dir, meta, hit=True)
    if ds is None:
        ds = load_dataset(dataset_or_path, catalogue)

    cache_dir.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    try:
        tables = {}
        villages = ds.villages
        counties: set[str] = set()
        for name in CACHE_TABLES:
            frame = ds.table(name)
            county = _county_of(frame, villages) if len(frame) else np.array([], dtype=object)
            counties.update(county.tolist())
            _write_table(frame, county, build / name, row_group_size)
            tables[name] = {"rows": int(len(frame)), "columns": [str(c) for c in frame.columns],
                            "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()}}
        (cache_dir / MANIFEST).unlink(missing_ok=True)     # the old data is no longer valid
        old = cache_dir / "data"
        if old.exists():
            shutil.rmtree(old)
        os.replace(build, old)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    meta = {"format": CACHE_FORMAT, "key": key, "inputs": inputs, "tables": tables,
            "counties": sorted(counties), "synthetic": bool(ds.synthetic),
            "row_group_size": int(row_group_size)}
    tmp = cache_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, cache_dir / MANIFEST)
    return _info(cache_dir, meta, hit=False)


def cache_info(cache_dir: str | Path) -> CacheInfo:
    """The :class:`CacheInfo` of an existing cache (``hit`` True); :class:`CacheError` if none."""
    cache_dir = Path(cache_dir)
    meta = _read_manifest(cache_dir)
    if meta is None:
        raise CacheError(f"no hemei cache in {str(cache_dir)!r}: build it with to_parquet_cache")
    return _info(cache_dir, meta, hit=True)


def read_county(cache_dir: str | Path, county_code: str,
                tables: Sequence[str] = CACHE_TABLES) -> dict[str, pd.DataFrame]:
    """The rows of one county, table by table, read from the cache.

    Reads each table with a pyarrow filter ``county_code == code`` over the hive partitions
    (the ``filters=`` of ``pyarrow.parquet.read_table``), so only that county's files are
    opened.

    Parameters
    ----------
    cache_dir
        A folder built by :func:`to_parquet_cache`.
    county_code
        6-digit county code.
    tables
        Which tables to return (default all four).

    Returns
    -------
    dict of str to pandas.DataFrame
        Table name → the county's rows with the table's original columns, in their original
        order and dtypes (``county_code`` only where the table has it); an empty frame with
        those columns when the county has no rows in a table.

    Raises
    ------
    CacheError
        No cache in ``cache_dir``, an unknown table name, or a county the cache does not hold
        (the message lists some that it does).
    """
    import pyarrow as pa
    import pyarrow.dataset as pads

    cache_dir = Path(cache_dir)
    meta = _read_manifest(cache_dir)
    if meta is None:
        raise CacheError(f"no hemei cache in {str(cache_dir)!r}: build it with to_parquet_cache first")
    unknown = [t for t in tables if t not in CACHE_TABLES]
    if unknown:
        raise CacheError(f"unknown table(s) {unknown}; choose from {', '.join(CACHE_TABLES)}")
    code = str(county_code)
    if code not in meta["counties"]:
        some = ", ".join(meta["counties"][:10])
        raise CacheError(f"county {code!r} is not in the cache ({len(meta['counties'])} counties, e.g. {some})")
    out = {}
    for name in tables:
        spec = meta["tables"][name]
        columns = spec["columns"]
        root = cache_dir / "data" / name
        if spec["rows"] == 0 or not any(root.glob(f"{_PART}=*")):
            frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in spec["dtypes"].items()})
        else:
            part = pads.partitioning(pa.schema([(_PART, pa.string())]), flavor="hive")
            data = pads.dataset(root, format="parquet", partitioning=part)
            frame = data.to_table(filter=pads.field(_PART) == code).to_pandas()
        if _PART in columns:
            frame[_PART] = frame[_PART].astype(str)
        frame = frame.reindex(columns=columns)
        for col, dtype in spec["dtypes"].items():
            if str(frame[col].dtype) != dtype:
                with contextlib.suppress(TypeError, ValueError):   # else keep what Parquet restored
                    frame[col] = frame[col].astype(dtype)
        out[name] = frame.reset_index(drop=True)
    return out


# ---------------------------------------------------------------- memo of validated data sets

#: Validated data sets kept in the cache (the most recently written ones).
CACHE_ENTRIES = 4


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> DataSet:
    """Load and validate a data set, through a pickle cache keyed by the input files' SHA-256.

    Every report kernel is fresh, so without the cache each county report would parse and
    validate the whole data set again; with it only the first one does. The key covers every
    input file's content and the package version, so changed data is never served stale.
    """
    key = sha256_text(repr((sorted(hash_inputs(path).items()), __version__, str(path))))
    cached = cache_dir() / "datasets" / f"{key}.pkl"
    if cached.is_file():
        try:
            with open(cached, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # a truncated or incompatible cache entry: rebuild it
            cached.unlink(missing_ok=True)
    dataset = load_dataset(path)
    with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
        write_atomic(cached, pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
        _prune(cached.parent, keep=CACHE_ENTRIES)
    return dataset


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently modified cache entries."""
    entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)


def load_dataset_cached(data_dir: str | os.PathLike = "") -> DataSet:
    """Load (once per process) the data set in ``data_dir`` resolved by
    :func:`hemei_tools.paths.resolve_data_dir`."""
    return _load(resolve_data_dir(data_dir))


# ---------------------------------------------------------------- facts about a data set

def remember_fact(name: str, inputs: dict[str, str], compute: Callable[[], object]) -> object:
    """A JSON-serialisable fact about a data set (its regions, its applicant count), computed
    once per input fingerprint.

    Parameters
    ----------
    name
        Name of the fact, e.g. ``"regions"``.
    inputs
        The data set's fingerprint (:func:`hemei_tools.inputs.fingerprint.hash_inputs`).
    compute
        Called, and its result stored, when the fact is not in the store yet.
    """
    key = sha256_text(json.dumps(inputs, sort_keys=True) + __version__)
    cached = cache_dir() / "facts" / f"{key}.json"
    try:
        facts = json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        facts = {}
    if facts.get(name) is not None:
        return facts[name]
    facts[name] = compute()
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_json_atomic(cached, facts)
    return facts[name]
