"""Which files of a data folder are inputs: the one list of supported formats.

Standard library only: :mod:`hemei_tools.inputs.fingerprint` (the input hash of the batch
stamps and of the data-set store) and the readers (:mod:`hemei_tools.inputs.read`,
:mod:`hemei_tools.inputs.dataset`) both take their file list from :func:`scan_folder`, so a file
is hashed exactly when it is read.

The rule for a data folder (:func:`scan_folder`):

- a file directly in the folder whose suffix is in :data:`TABLE_SUFFIXES` (``.csv .txt``,
  ``.xlsx .xlsm``, the legacy and other workbooks ``.xls .xlsb .ods`` read through
  python-calamine, ``.parquet .pq``) is a table file and is read;
- ``metadata.json`` is read (it declares a data set synthetic);
- a sub-folder named after a table (``observations`` …, names from ``catalogue/aliases.csv``)
  that holds Parquet parts at any depth (``observations/county_code=340722/part-0.parquet``)
  is one partitioned table and is read;
- hidden files and folders (``.…``) and Office lock files (``~$…``) are not data and are
  ignored; so are other sub-folders (a run folder, an archive): the data set is the folder's
  own files;
- documents that describe the data (:data:`DOCUMENT_SUFFIXES`: ``README.md``, a ``.pdf`` or
  ``.docx`` of instructions, a picture; a suffix-less ``README`` or ``LICENSE``) can never be
  mistaken for a table: they are ignored too;
- **every other file directly in the folder** (a WPS ``.et`` workbook, ``.numbers``, a
  ``.json`` or ``.dbf`` export …) may well be a table the readers cannot read. It is
  *unsupported*: the loaders report it as the problem ``unsupported_format`` (save it as
  .xlsx, or move it out of the data folder) rather than skip it in silence, and it is not
  part of the fingerprint.

So no workbook in a data folder ever yields "0 rows and 0 problems", and a folder is hashed
exactly as it is read.
"""

from __future__ import annotations

import csv
import functools
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CALAMINE_SUFFIXES = (".xls", ".xlsb", ".ods")
"""Workbooks read through python-calamine (the library behind pandas' ``calamine`` engine):
Excel 97–2003 ``.xls``, Excel binary ``.xlsb`` and OpenDocument ``.ods``."""
PARQUET_SUFFIXES = (".parquet", ".pq")
TABLE_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + CALAMINE_SUFFIXES + PARQUET_SUFFIXES
"""Every suffix the readers read (compared in lower case)."""
METADATA_FILE = "metadata.json"
"""The one non-table file of a data folder that is an input."""
IGNORED_PREFIXES = (".", "~$")
"""Names starting with these are hidden or Office lock files, never data."""
DOCUMENT_SUFFIXES = (".md", ".markdown", ".rst", ".pdf", ".doc", ".docx", ".wps", ".html", ".htm",
                     ".png", ".jpg", ".jpeg")
"""Documents and pictures that may sit beside the data (notes, instructions); never tables."""
DOCUMENT_NAMES = ("readme", "license", "licence", "notice")
"""Suffix-less documents (compared in lower case)."""


def file_format(path: str | os.PathLike) -> str | None:
    """``csv``, ``xlsx``, ``calamine`` (.xls, .xlsb, .ods) or ``parquet`` from the file's suffix;
    ``None`` if not a table file."""
    s = Path(path).suffix.lower()
    if s in CSV_SUFFIXES:
        return "csv"
    if s in XLSX_SUFFIXES:
        return "xlsx"
    if s in CALAMINE_SUFFIXES:
        return "calamine"
    if s in PARQUET_SUFFIXES:
        return "parquet"
    return None


def norm_name(text: object) -> str:
    """Key used to compare headers and names: NFKC, no whitespace, lower case."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


@functools.cache
def table_names() -> dict[str, str]:
    """Normalised table aliases (``村庄名录``, ``observations`` …) → table name, from
    ``catalogue/aliases.csv`` (rows of kind ``table``)."""
    ref = resources.files("hemei_tools") / "catalogue" / "aliases.csv"
    with ref.open("r", encoding="utf-8") as fh:
        return {norm_name(r["alias"]): r["canonical"] for r in csv.DictReader(fh) if r["kind"] == "table"}


def is_ignored(name: str) -> bool:
    """True for hidden files and Office lock files (``~$…``)."""
    return name.startswith(IGNORED_PREFIXES)


def is_document(path: str | os.PathLike) -> bool:
    """True for a document or picture that describes the data (``README.md``, ``说明.pdf``)."""
    path = Path(path)
    return path.suffix.lower() in DOCUMENT_SUFFIXES or (not path.suffix and path.name.lower() in DOCUMENT_NAMES)


def partition_files(folder: str | os.PathLike) -> list[Path]:
    """Parquet parts of a partitioned table folder (e.g. ``observations/county_code=…/part.parquet``)."""
    root = Path(folder)
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
                  and not any(is_ignored(part) for part in p.relative_to(root).parts))


def is_partitioned_table(folder: str | os.PathLike) -> bool:
    """True for a folder named after a table (``observations`` …) that holds Parquet parts."""
    folder = Path(folder)
    return folder.is_dir() and norm_name(folder.name) in table_names() and bool(partition_files(folder))


@dataclass(frozen=True)
class FolderScan:
    """What :func:`scan_folder` found.

    Attributes
    ----------
    inputs
        What the readers read, sorted: table files, ``metadata.json`` and partitioned-table
        folders.
    unsupported
        Files directly in the folder that are neither (reported as ``unsupported_format``).
    """

    inputs: tuple[Path, ...]
    unsupported: tuple[Path, ...]


def scan_folder(folder: str | os.PathLike) -> FolderScan:
    """Sort the entries of a data folder by the rule of this module's docstring."""
    inputs, unsupported = [], []
    for entry in sorted(Path(folder).iterdir()):
        if is_ignored(entry.name):
            continue
        if entry.is_dir():
            if is_partitioned_table(entry):
                inputs.append(entry)
        elif file_format(entry) is not None or entry.name == METADATA_FILE:
            inputs.append(entry)
        elif not is_document(entry):
            unsupported.append(entry)
    return FolderScan(tuple(inputs), tuple(unsupported))


def input_files(path: str | os.PathLike) -> list[Path]:
    """Every file the readers read for ``path`` (a data folder, a partitioned-table folder or
    one file), sorted: partitioned tables contribute their Parquet parts."""
    root = Path(path)
    if root.is_file():
        return [root]
    if is_partitioned_table(root):
        return partition_files(root)
    out: list[Path] = []
    for entry in scan_folder(root).inputs:
        out += partition_files(entry) if entry.is_dir() else [entry]
    return sorted(out)
