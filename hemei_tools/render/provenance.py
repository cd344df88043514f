"""Provenance of a rendered report: what produced it, from which inputs, when.

A report is only trustworthy when a reader can tell which code, which parameters and which
exact input files made it. :func:`collect_provenance` gathers those facts into a plain,
JSON-serialisable dict that the report template prints and the batch stores beside each
report; :func:`hash_inputs` fingerprints a data folder (SHA-256 per file), which is also what
decides whether an incremental batch must rebuild a report.

Everything here is standard library only, so the no-op path of ``hemei batch`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path

from hemei_tools import __version__

#: File suffixes read by the loaders; anything else in a data folder is not an input.
DATA_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")
#: Non-data files that are inputs too.
METADATA_FILES = ("metadata.json",)

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 hex digest of a UTF-8 string (used for parameters and combined stamps)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def list_inputs(data_dir: str | os.PathLike) -> list[Path]:
    """Input files of a data folder (or the file itself), sorted; hidden files skipped.

    Data files (:data:`DATA_SUFFIXES`) at any depth, because Parquet observations may be
    partitioned into ``observations/county_code=XXXXXX/`` folders, plus ``metadata.json``
    (which declares a data set synthetic). A run folder inside the data folder holds no such
    files, so it does not change the fingerprint.
    """
    root = Path(data_dir)
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and (p.suffix.lower() in DATA_SUFFIXES or p.name in METADATA_FILES)
        and not any(part.startswith((".", "~$")) for part in p.relative_to(root).parts)
    )


def hash_inputs(data_dir: str | os.PathLike) -> dict[str, str]:
    """SHA-256 of every data file under ``data_dir``.

    Returns
    -------
    dict
        ``{relative posix path: sha256 hex}``, sorted by path. A single-file input is keyed
        by its file name.
    """
    root = Path(data_dir)
    base = root.parent if root.is_file() else root
    return {p.relative_to(base).as_posix(): sha256_file(p) for p in list_inputs(root)}


def git_commit(start: str | os.PathLike | None = None) -> str | None:
    """Commit hash of the checkout that holds the package, with ``+dirty`` if modified.

    Returns ``None`` when the package is not inside a git work tree or git is unavailable.
    """
    where = Path(start) if start is not None else Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where, capture_output=True, text=True, timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return commit + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def cache_dir() -> Path:
    """Folder of the tool's caches (validated data sets, region lists):
    ``HEMEI_CACHE_DIR``, else ``$XDG_CACHE_HOME/hemei-tools`` or ``~/.cache/hemei-tools``.

    Everything in it is keyed on the SHA-256 of the inputs and the package version, so it can
    be deleted at any time.
    """
    env = os.environ.get("HEMEI_CACHE_DIR", "")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hemei-tools"


def now_utc() -> str:
    """Current UTC time as ISO 8601 with seconds, e.g. ``2026-11-29T04:10:00Z``."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect_provenance(
    parameters: dict,
    inputs: dict[str, str],
    notebook: str,
    notebook_sha256: str,
    started: str,
    seconds: float,
    commit: str | None = None,
) -> dict:
    """Facts a reader needs to reproduce one report.

    Parameters
    ----------
    parameters
        Parameters the notebook ran with (JSON-serialisable).
    inputs
        ``{file name: sha256}`` of the input data, see :func:`hash_inputs`.
    notebook
        File name of the template notebook.
    notebook_sha256
        SHA-256 of the template notebook file.
    started
        UTC start time, ISO 8601.
    seconds
        Wall time of execution and export, in seconds.
    commit
        Git commit of the package checkout, if any.

    Returns
    -------
    dict
        ``package``, ``version``, ``commit``, ``python``, ``notebook``, ``notebook_sha256``,
        ``parameters``, ``inputs`` (list of ``{"file", "sha256"}``), ``started``, ``seconds``.
    """
    return {
        "package": "hemei-tools",
        "version": __version__,
        "commit": commit,
        "python": platform.python_version(),
        "notebook": notebook,
        "notebook_sha256": notebook_sha256,
        "parameters": dict(parameters),
        "inputs": [{"file": name, "sha256": digest} for name, digest in sorted(inputs.items())],
        "started": started,
        "seconds": round(float(seconds), 2),
    }


def write_atomic(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader never sees a half-written file: either the old content or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | os.PathLike, obj: object) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (Chinese kept readable) with :func:`write_atomic`."""
    return write_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
