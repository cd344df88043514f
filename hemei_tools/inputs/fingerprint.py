"""The input fingerprint: which files of a data folder are inputs, and their SHA-256.

One fingerprint serves every purpose that needs to know whether the inputs changed: the memo of
validated data sets (:mod:`hemei_tools.inputs.store`), the batch stamps and the provenance of a
report. Standard library only, so the no-op path of ``hemei batch`` stays fast.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hemei_tools.inputs.formats import input_files

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


def hash_inputs(data_dir: str | os.PathLike) -> dict[str, str]:
    """SHA-256 of every input file under ``data_dir``: exactly the files the loaders read
    (:func:`hemei_tools.inputs.formats.input_files`: table files and ``metadata.json`` in the
    folder, plus the Parquet parts of a partitioned table folder; hidden and lock files, other
    sub-folders such as a run folder, and unsupported files, which the loaders report, are not
    inputs).

    Returns
    -------
    dict
        ``{relative posix path: sha256 hex}``, sorted by path. A single-file input is keyed
        by its file name.
    """
    root = Path(data_dir)
    base = root.parent if root.is_file() else root
    return {p.relative_to(base).as_posix(): sha256_file(p) for p in input_files(root)}
