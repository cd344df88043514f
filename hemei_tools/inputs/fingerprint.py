"""The input fingerprint: which files of a data folder are inputs, and their SHA-256.

One fingerprint serves every purpose that needs to know whether the inputs changed: the memo of
validated data sets (:mod:`hemei_tools.inputs.store`), the batch stamps and the provenance of a
report. Standard library only, so the no-op path of ``hemei batch`` stays fast.
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib import resources
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


def hash_folder(root: str | os.PathLike) -> str:
    """SHA-256 over the files of a folder: ``sha256(join(relative path, NUL, sha256(file), LF))``
    over every file in path order, byte-compiled caches (``__pycache__``, ``*.pyc``) and hidden
    files left out."""
    base = Path(root)
    digest = hashlib.sha256()
    files = sorted(p for p in base.rglob("*")
                   if p.is_file() and p.suffix != ".pyc"
                   and not any(part == "__pycache__" or part.startswith(".") for part in p.relative_to(base).parts))
    for p in files:
        digest.update(p.relative_to(base).as_posix().encode() + b"\0" + sha256_file(p).encode() + b"\n")
    return digest.hexdigest()


@functools.cache
def package_hash() -> str:
    """:func:`hash_folder` of the installed ``hemei_tools`` (code, catalogue, packaged division
    lists), once per process (about 90 files, 2 MB: a few ms). A batch's stamps
    (:func:`hemei_tools.batch.plan.code_hash`) and the store's keys of computed results
    (:func:`hemei_tools.engine.memo.input_key`) name the code by it."""
    return hash_folder(Path(str(resources.files("hemei_tools"))))
