"""Where things are: the data folder, the run folder, the cache; how output files are written.

Standard library only, so that the no-op path of ``hemei batch`` stays fast and every layer may
import it. This module is the one place that decides

- which data folder a command or a notebook reads (:func:`resolve_data_dir`);
- where a batch writes by default (:func:`default_out_dir`);
- where caches live (:func:`cache_dir`);
- how any output file is written (:func:`write_atomic_with`, :func:`write_atomic`,
  :func:`write_json_atomic`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from hemei_tools.errors import DataDirError

#: Environment variable naming the data folder when none is given.
DATA_DIR_ENV = "HEMEI_DATA_DIR"
#: Environment variable naming the cache folder.
CACHE_DIR_ENV = "HEMEI_CACHE_DIR"
#: The project's demo data folder, relative to the project folder.
DEMO_DATA_DIR = Path("data") / "demo"
#: Root of the run folders, relative to the working directory.
OUT_ROOT = Path("outputs")


def holds_data(folder: Path) -> bool:
    """True when ``folder`` is a folder with at least one entry, or a file."""
    return folder.is_file() or (folder.is_dir() and any(folder.iterdir()))


def find_demo_dir(start: Path | None = None) -> Path | None:
    """The nearest ``data/demo`` folder holding data in ``start`` (default: the working
    directory) or one of its parents, so a notebook opened in ``notebooks/`` finds the
    project's demo data; ``None`` when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEMO_DATA_DIR
        if holds_data(candidate):
            return candidate
    return None


def resolve_data_dir(data_dir: str | os.PathLike | None = "") -> Path:
    """The data folder (or workbook) to read, as an absolute path.

    In order: ``data_dir`` when given (it must exist); else the ``HEMEI_DATA_DIR`` environment
    variable; else the nearest ``data/demo`` holding data in the working directory or its
    parents. Nothing is generated here: ``hemei demo`` (or ``hemei batch`` without ``--data``)
    writes the demo data set.

    Raises
    ------
    DataDirError
        The folder does not exist, or no folder was given and no demo data were found.
    """
    if data_dir is not None and str(data_dir):
        path = Path(data_dir).expanduser()
        if not path.exists():
            raise DataDirError(f"data folder {str(path)!r} does not exist: pass an existing folder or file")
        return path.resolve()
    env = os.environ.get(DATA_DIR_ENV, "")
    if env:
        return resolve_data_dir(env)
    found = find_demo_dir()
    if found is not None:
        return found.resolve()
    raise DataDirError(
        "no data folder given and no data/demo found here or above: pass data_dir (or --data), "
        f"set {DATA_DIR_ENV}, or write the demo data with `hemei demo --out data/demo`"
    )


def default_out_dir(data_dir: Path) -> Path:
    """Run folder for a data folder (or workbook): ``outputs/<folder name or file stem>``."""
    return (OUT_ROOT / (data_dir.stem if data_dir.is_file() else data_dir.name)).resolve()


def cache_dir() -> Path:
    """Folder of the tool's caches (validated data sets, facts about them):
    ``HEMEI_CACHE_DIR``, else ``$XDG_CACHE_HOME/hemei-tools`` or ``~/.cache/hemei-tools``.

    Everything in it is keyed on the input fingerprint and the package and library versions, so
    it can be deleted at any time.
    """
    env = os.environ.get(CACHE_DIR_ENV, "")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hemei-tools"


def write_atomic_with(path: str | os.PathLike, write: Callable[[str], object],
                      make_parents: bool = True) -> Path:
    """Write ``path`` atomically with a writer that takes a file name, e.g.
    ``lambda tmp: frame.to_parquet(tmp)``.

    ``write`` writes a temporary file in the same folder, which is then renamed onto ``path``:
    a reader never sees a half-written file, only the old content or the new one, and a
    failed write (disk full, read-only) raises its ``OSError`` and leaves no temporary file
    behind. ``make_parents=False`` does not create a missing folder (a run folder that
    disappeared must not be re-created empty): the write then fails with ``FileNotFoundError``.
    """
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_atomic(path: str | os.PathLike, data: str | bytes, make_parents: bool = True) -> Path:
    """Write ``data`` (UTF-8 text or bytes) to ``path`` with :func:`write_atomic_with`."""
    payload = data if isinstance(data, bytes) else data.encode("utf-8")
    return write_atomic_with(path, lambda tmp: Path(tmp).write_bytes(payload), make_parents)


def write_json_atomic(path: str | os.PathLike, obj: object, make_parents: bool = True) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (Chinese kept readable) with :func:`write_atomic`."""
    return write_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n",
                        make_parents)
