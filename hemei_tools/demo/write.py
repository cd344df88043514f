"""Writing a generated demo data set: CSV or Parquet files and ``metadata.json``, atomically.

The observations of a Parquet data set are partitioned by county
(``observations/county_code=XXXXXX/part.parquet``) so a county report reads only its own rows;
an earlier demo run in the same folder is cleaned of files this run does not rewrite.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools import __version__
from hemei_tools.catalogue import label as _t
from hemei_tools.demo.calibration import CALIBRATION, DemoError, describe_calibration
from hemei_tools.paths import write_atomic_with

TABLES = ("villages", "observations", "projects", "applicants", "natural_villages", "county_designations")
OPTIONAL = ("natural_villages", "county_designations")
"""Tables written only when they have rows (a file with a header alone is a ``no_rows`` problem)."""
FORMATS = ("csv", "parquet", "both")
NOTE_ZH = _t("demo.note")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    raise TypeError(type(o))


def build_metadata(tables: dict[str, pd.DataFrame], scale: str, seed: int,
                   years: Sequence[int], files: dict[str, str]) -> dict:
    """The ``metadata.json`` content: synthetic flag, seed, scale, generator, calibration and
    ``as_of``, the one date the data set's statuses describe (``CALIBRATION["as_of"]``)."""
    return {
        "synthetic": True,
        "seed": int(seed),
        "scale": scale,
        "years": [int(y) for y in years],
        "generator": f"hemei-tools {__version__}",
        "note_zh": NOTE_ZH,
        "note_en": "Synthetic example data generated from a fixed seed on the village list and "
                   "calibrated to published totals; no per-village value is real.",
        "calibration": CALIBRATION,
        "as_of": CALIBRATION["as_of"]["value"],
        "rows": {k: int(len(v)) for k, v in tables.items() if k not in OPTIONAL or len(v)},
        "files": files,
    }


def _csv(df: pd.DataFrame, path: Path) -> None:
    def write(tmp: str) -> None:
        df.to_csv(tmp, index=False, encoding="utf-8", float_format="%.10g", date_format="%Y-%m-%d",
                  lineterminator="\n")
    write_atomic_with(path, write)


def _parquet_table(df: pd.DataFrame, path: Path, row_group_size: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    write_atomic_with(path, lambda tmp: pq.write_table(table, tmp, row_group_size=row_group_size,
                                                   compression="zstd"))


def _partitioned(obs: pd.DataFrame, villages: pd.DataFrame, folder: Path,
                 row_group_size: int) -> list[str]:
    """Observations as ``observations/county_code=XXXXXX/part.parquet`` (hive partitioning).

    ``obs`` is village-major (sorted by village code, the same number of rows per village) and
    ``villages`` sorted by code, so each county is one contiguous slice.
    """
    import pyarrow as pa

    per_village = len(obs) // max(len(villages), 1)
    if per_village * len(villages) != len(obs):
        raise DemoError("observations must hold the same number of rows for every village")
    names, starts = np.unique(villages["county_code"].to_numpy(dtype=str), return_index=True)
    bounds = [int(x) * per_village for x in starts] + [len(obs)]
    table = pa.Table.from_pandas(obs, preserve_index=False)
    jobs = [(f"observations/county_code={c}/part.parquet", a, b)
            for c, a, b in zip(names, bounds[:-1], bounds[1:], strict=True)]
    # Arrow encodes and compresses outside the GIL: a few threads overlap the many small files
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda j: _parquet_table(table.slice(j[1], j[2] - j[1]), folder / j[0], row_group_size),
                      jobs))
    return [j[0] for j in jobs]


def _is_demo_folder(folder: Path) -> bool:
    """True when ``folder`` holds an earlier demo run (its metadata.json says synthetic)."""
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("synthetic") is True


def _remove_stale(folder: Path, written: set[str]) -> None:
    """Delete demo files of an earlier run (other format, other counties) not written now."""
    candidates = [f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")]
    candidates += [str(p.relative_to(folder)) for p in sorted(folder.glob("observations/county_code=*/part.parquet"))]
    for rel in candidates:
        path = folder / rel
        if rel not in written and path.is_file():
            path.unlink()
            if path.parent != folder and not any(path.parent.iterdir()):
                path.parent.rmdir()
    obs_dir = folder / "observations"
    if obs_dir.is_dir() and not any(obs_dir.iterdir()):
        obs_dir.rmdir()


def write_tables(out_dir: str | Path, tables: dict[str, pd.DataFrame], scale: str, seed: int,
                 fmt: str = "csv", row_group_size: int = 20_000) -> dict[str, object]:
    """Write generated demo ``tables`` and their ``metadata.json`` (see :func:`write_demo`)."""
    if fmt not in FORMATS:
        raise DemoError(f"unknown format {fmt!r}; choose csv, parquet or both")
    out = Path(out_dir)
    ys = tuple(int(y) for y in sorted(tables["observations"]["year"].unique()))
    earlier_demo = _is_demo_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    written: set[str] = set()
    for name in TABLES:
        if name in OPTIONAL and (name not in tables or tables[name].empty):
            continue
        if fmt in ("csv", "both"):
            _csv(tables[name], out / f"{name}.csv")
            files[f"{name}.csv"] = len(tables[name])
        if fmt in ("parquet", "both"):
            if name == "observations":
                written.update(_partitioned(tables[name], tables["villages"], out, row_group_size))
                files["observations/county_code=*/part.parquet"] = len(tables[name])
            else:
                _parquet_table(tables[name], out / f"{name}.parquet", row_group_size)
                files[f"{name}.parquet"] = len(tables[name])
    written.update(files)
    if earlier_demo:
        _remove_stale(out, written)
    file_list = {k: f"{v} rows" for k, v in sorted(files.items())}
    meta = build_metadata(tables, scale, seed, ys, file_list)
    meta["realised"] = describe_calibration(tables, means=False)
    text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default) + "\n"

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")
    write_atomic_with(out / "metadata.json", write)
    return {"out_dir": out, "files": files, "metadata": meta, "tables": tables}


__all__ = ["FORMATS", "TABLES", "build_metadata", "write_tables"]
