"""The store: validated data sets and facts about them, computed once per version of the inputs.

Every report kernel is a fresh process, so without a store each county report would parse and
validate the whole data set again; with it only the first one does. One mechanism serves both
uses: a folder of pickles, ``paths.cache_dir() / "store"``, one file per entry,

- :func:`load_dataset_cached` returns the validated :class:`~hemei_tools.inputs.dataset.DataSet`
  of a data folder, loaded at most once per process (a :func:`functools.lru_cache` in front)
  and at most once per version of the inputs across processes (``store/datasets/<key>.pkl``);
- :func:`remember_fact` keeps a small fact about a data set (its region list, its applicant
  count) in ``store/facts/<key>.pkl``, so that ``hemei batch`` with a new run folder over
  unchanged data does not read the data at all;
- engine results that every report of a batch would otherwise recompute in its own kernel go
  through :func:`stored` as ``store/analyses/<key>.pkl``, keyed by everything they depend on,
  including :func:`dataset_inputs` (the fingerprint of the files a data set was loaded from,
  only for a data set this module returned) and :func:`hemei_tools.inputs.fingerprint.package_hash` (the package's files):
  the province's unit scores behind a province rank
  (:func:`hemei_tools.engine.summary.province_scores`) and, in ``hemei batch``, a city's
  results shared by its county reports (:func:`hemei_tools.engine.memo.shared`).

**The key** of every entry is the SHA-256 of: the input fingerprint
(:func:`hemei_tools.inputs.fingerprint.hash_inputs`: the SHA-256 of every file the loaders
read, exactly those, see :mod:`hemei_tools.inputs.formats`), the versions of hemei-tools,
pandas and pyarrow (a pickle written under other versions is never loaded), the entry's name
and, for a data set, its folder (a data set records the paths of its files). Changed, added or
removed inputs therefore make a new entry; stale data are never served. Within one process the
:func:`functools.lru_cache` layer serves a data folder as first loaded (a kernel sees one
version of the data).

**Housekeeping.** A hit marks its entry as used (its modification time); after an entry is
written only the :data:`STORE_ITEMS` most recently used data sets and facts are kept, and of
the kinds in :data:`KIND_ITEMS` (shared analyses) their own number. A truncated or
unreadable entry is deleted and rebuilt, and a cache folder that cannot be written only costs
speed: the value is computed and returned. The folder can be deleted at any time.

**Why not joblib.Memory.** It was tried and measured (Tongling demo, 61,710 observations, a
cold process): a hit took 0.13–0.27 s against 0.013–0.021 s for a plain :func:`pickle.load`,
of which about 0.15 s is importing joblib and the rest its pure-Python unpickler. Every report
kernel pays the hit, so the store stays a plain pickle per entry.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pickle
import weakref
from collections.abc import Callable
from pathlib import Path

from hemei_tools import __version__
from hemei_tools.inputs.dataset import DataSet, load_dataset
from hemei_tools.inputs.fingerprint import hash_inputs, sha256_text
from hemei_tools.paths import cache_dir, resolve_data_dir, write_atomic

STORE_FOLDER = "store"
"""Sub-folder of :func:`hemei_tools.paths.cache_dir` that holds the store."""
STORE_FORMAT = 3
"""Version of the entry layout, part of every key (2: data sets with the programme-unit tables
and an as-of date; 3: validated by the stricter ledger rules of issue 13, so a data set stored
before, with fractions for percentages or formulas read as empty, is validated again)."""
STORE_ITEMS = 16
"""Entries kept (data sets and facts together: about four data sets with their facts)."""
KIND_ITEMS = {"analyses": 48}
"""Entries kept of the kinds pruned on their own (:mod:`hemei_tools.engine.memo`'s shared
results: one per city, level and year of a province-wide batch, and the province scores behind
province ranks), so they never push a data set out."""


def versions() -> dict[str, str]:
    """The library versions in the key: a pickle only loads under the versions that wrote it."""
    import pandas
    import pyarrow

    return {"hemei-tools": __version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__}


def store_location() -> Path:
    """The store's folder, ``cache_dir()/store`` (follows ``HEMEI_CACHE_DIR``)."""
    return cache_dir() / STORE_FOLDER


def entry_path(kind: str, name: str, inputs: dict[str, str]) -> Path:
    """File of the entry ``name`` of ``kind`` (``datasets``, ``facts`` or ``analyses``) for these inputs."""
    key = {"format": STORE_FORMAT, "kind": kind, "name": name, "inputs": dict(sorted(inputs.items())),
           "versions": versions()}
    return store_location() / kind / f"{sha256_text(json.dumps(key, sort_keys=True))}.pkl"


def stored(kind: str, name: str, inputs: dict[str, str], compute: Callable[[], object]) -> object:
    """The value of an entry: loaded from the store, else ``compute()`` stored and returned."""
    path = entry_path(kind, name, inputs)
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a truncated or unreadable entry: rebuild it
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    else:
        with contextlib.suppress(OSError):  # most recently used (a read-only store: no matter)
            os.utime(path)
        return value
    value = compute()
    with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
        write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        if kind in KIND_ITEMS:
            _prune(store_location() / kind, keep=KIND_ITEMS[kind])
        else:
            _prune(store_location(), keep=STORE_ITEMS, skip=tuple(KIND_ITEMS))
    return value


def _prune(folder: Path, keep: int, skip: tuple[str, ...] = ()) -> None:
    """Delete all but the ``keep`` most recently used entries (``*.pkl``) under ``folder``,
    leaving out its sub-folders named in ``skip``."""
    entries = []
    for p in folder.rglob("*.pkl"):
        if skip and p.relative_to(folder).parts[0] in skip:
            continue
        with contextlib.suppress(OSError):  # another process may prune at the same time
            entries.append((p.stat().st_mtime, p))
    for _, old in sorted(entries, key=lambda e: e[0], reverse=True)[keep:]:
        old.unlink(missing_ok=True)


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> DataSet:
    """Load and validate the data set in ``path`` through the store (once per process)."""
    inputs = hash_inputs(path)
    dataset = stored("datasets", str(path), inputs, lambda: load_dataset(path))
    _remember_inputs(dataset, inputs)
    return dataset


#: The input fingerprint of every data set :func:`load_dataset_cached` returned, by ``id()``,
#: with a weak reference that tells a live data set from a new object at a reused address.
_LOADED: dict[int, tuple[weakref.ref, dict[str, str]]] = {}


def _remember_inputs(dataset: object, inputs: dict[str, str]) -> None:
    key = id(dataset)
    try:
        ref = weakref.ref(dataset, lambda _, key=key: _LOADED.pop(key, None))
    except TypeError:  # an object without weak references: never vouched for
        return
    _LOADED[key] = (ref, dict(inputs))


def dataset_inputs(dataset: object) -> dict[str, str] | None:
    """The input fingerprint (:func:`hemei_tools.inputs.fingerprint.hash_inputs`) of the files a
    data set was loaded from, for a data set :func:`load_dataset_cached` returned; ``None`` for
    any other object: a stand-in, a data set loaded otherwise, or one derived in memory
    (``dataclasses.replace(ds, observations=...)`` is a new object). Results stored under this
    fingerprint therefore describe exactly the tables of ``dataset`` (whose frames, like the
    cached data set itself, are not changed in place).
    """
    hit = _LOADED.get(id(dataset))
    if hit is None or hit[0]() is not dataset:
        return None
    return dict(hit[1])


def load_dataset_cached(data_dir: str | os.PathLike = "") -> DataSet:
    """Load (once per process, once per version of the inputs) the data set in ``data_dir``
    resolved by :func:`hemei_tools.paths.resolve_data_dir`."""
    return _load(resolve_data_dir(data_dir))


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
    return stored("facts", name, inputs, compute)
