"""The input fingerprint: which files of a data folder are inputs, and their SHA-256.

One fingerprint serves every purpose that needs to know whether the inputs changed: the memo of
validated data sets (:mod:`hemei_tools.inputs.store`), the batch stamps and the provenance of a
report. Standard library only, so the no-op path of ``hemei batch`` stays fast.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

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
    """SHA-256 of every input file under ``data_dir``.

    Returns
    -------
    dict
        ``{relative posix path: sha256 hex}``, sorted by path. A single-file input is keyed
        by its file name.
    """
    root = Path(data_dir)
    base = root.parent if root.is_file() else root
    return {p.relative_to(base).as_posix(): sha256_file(p) for p in list_inputs(root)}
