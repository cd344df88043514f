"""Rows of a fill-in template that are not filled in yet: not data, and not errors.

A workbook written by :func:`hemei_tools.inputs.template.write_template` carries the workbook-level
defined name :data:`TEMPLATE_NAME` (Excel and WPS keep defined names when they save). In such a
workbook a row whose cells are all empty apart from the columns the template pre-filled
(:data:`PREFILLED`: the official village code, township and village name, and the year) is
**unfilled**: the office has not reached that village yet. Unfilled rows are dropped before
tidying (:func:`filled_part`, called by :func:`hemei_tools.inputs.api.tidy_piece`), so they raise no
``missing_value`` or ``no_rows`` problem; a sheet with no filled row yields no table at all.
:func:`unfilled_status` counts them for ``hemei validate`` (the "未填写" lines).

In any other workbook nothing changes: a row with a code and an empty required cell is a
``missing_value`` problem, as before. A row with *some* fill-in cells given is filled and
validated in full (a missing required cell there is a problem).

Counts, for a sheet of ``n`` template rows (rows with a value in a pre-filled column, for the
villages and observations sheets; every non-blank row for the project and applicant sheets)::

    unfilled = #{rows whose fill-in cells are all empty}
    empty cells = sum over filled rows of #{empty fill-in cells}     (observations only)
"""

from __future__ import annotations

import functools
import os
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from hemei_tools.inputs.aliases import _norm, _split_unit, load_aliases
from hemei_tools.inputs.formats import file_format

TEMPLATE_NAME = "hemei_template"
"""Workbook-level defined name that marks a fill-in template (its value: ``"<county code> <year>"``)."""
PREFILLED: dict[str, tuple[str, ...]] = {
    "villages": ("village_code", "township_name", "village_name"),
    "observations": ("village_code", "township_name", "village_name", "year"),
}
"""Columns the template pre-fills, per table; tables not listed start as blank rows."""
_SPREADSHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@functools.lru_cache(maxsize=64)
def _marker(path: str, mtime_ns: int, size: int) -> str | None:
    try:
        with zipfile.ZipFile(path) as z, z.open("xl/workbook.xml") as fh:
            root = ElementTree.parse(fh).getroot()
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    for node in root.iter(f"{_SPREADSHEET_NS}definedName"):
        if node.get("name") == TEMPLATE_NAME and node.get("localSheetId") is None:
            return (node.text or "").strip().strip('"')
    return None


def template_marker(path: str | os.PathLike) -> str | None:
    """The value of the template's defined name (``"340722 2023"``), or ``None`` when ``path`` is
    not an .xlsx fill-in template. Reads ``xl/workbook.xml`` only (cached by path, size and
    modification time); the file is opened for reading."""
    path = Path(path)
    if file_format(path) != "xlsx" or not path.is_file():
        return None
    st = path.stat()
    return _marker(str(path), st.st_mtime_ns, st.st_size)


def _blank(body: pd.DataFrame) -> np.ndarray:
    """True where a cell of the raw body is empty (None, NaN or only whitespace)."""
    cells = body.astype(object)
    empty = cells.isna().to_numpy()
    text = cells.where(~cells.isna(), "").astype(str).apply(lambda c: c.str.strip().eq(""))
    return empty | text.to_numpy()


def _prefilled_positions(header: list[str], kind: str) -> list[int]:
    """Positions of the header's columns that the template pre-fills (by the alias table)."""
    names = PREFILLED.get(kind, ())
    aliases = load_aliases().columns.get(kind, {})
    out = []
    for j, h in enumerate(header):
        key = _norm(h)
        canon = aliases.get(key) or aliases.get(_split_unit(key)[0])
        if canon in names:
            out.append(j)
    return out


@dataclass(frozen=True)
class SheetStatus:
    """How much of one template sheet is filled in.

    Attributes
    ----------
    file, sheet, kind
        The workbook, the sheet and its table.
    total
        Template rows (pre-filled rows; for a sheet without pre-filled columns, non-blank rows).
    unfilled
        Rows whose fill-in cells are all empty.
    empty_cells
        Empty fill-in cells in the filled rows (reported for the observations sheet).
    prefilled
        Whether the sheet has pre-filled rows (villages, observations) or starts blank.
    """

    file: str
    sheet: str
    kind: str
    total: int
    unfilled: int
    empty_cells: int
    prefilled: bool


def _status(piece) -> tuple[np.ndarray, SheetStatus]:
    """``(unfilled mask over the body rows, status)`` of one piece of a template."""
    body = piece.body
    blank = _blank(body) if len(body) else np.zeros((0, body.shape[1]), bool)
    pre = [j for j in _prefilled_positions(piece.header, piece.kind) if j < blank.shape[1]]
    fill = [j for j in range(blank.shape[1]) if j not in pre and j < len(piece.header)
            and str(piece.header[j]).strip()]
    fill_blank = blank[:, fill].all(axis=1) if fill else np.ones(len(body), bool)
    if pre:
        rows = ~blank[:, pre].all(axis=1)
    else:
        rows = ~blank.all(axis=1) if blank.shape[1] else np.zeros(len(body), bool)
    unfilled = fill_blank | ~rows
    filled = rows & ~fill_blank
    cells = int(blank[np.ix_(filled, fill)].sum()) if fill and piece.kind == "observations" else 0
    status = SheetStatus(piece.file, piece.sheet, piece.kind, int(rows.sum()),
                         int((rows & fill_blank).sum()), cells, bool(pre))
    return unfilled, status


def filled_part(piece):
    """The piece without its unfilled template rows; ``None`` when no row is filled in.

    A piece that is not a sheet of a fill-in template (:func:`template_marker`) is returned as
    it is. Row numbers (the body's index) are kept, so problems still name the Excel row.
    """
    if not piece.sheet or template_marker(piece.file) is None:
        return piece
    unfilled, _ = _status(piece)
    if unfilled.all():
        return None
    return replace(piece, body=piece.body[~unfilled])


def unfilled_status(paths, catalogue=None) -> list[SheetStatus]:
    """The filled and unfilled rows of every fill-in template among ``paths`` (files or
    folders, as :func:`hemei_tools.inputs.dataset.read_dataset` takes them), sheet by sheet in
    the order the reader reads them; empty when none is a template."""
    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.inputs.formats import input_files
    from hemei_tools.inputs.problems import ValidationReport
    from hemei_tools.inputs.read import read_pieces

    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files: list[Path] = []
    for p in paths:
        files += [f for f in input_files(p) if f not in files]
    out = []
    for f in files:
        if template_marker(f) is None:
            continue
        pieces, _ = read_pieces(f, None, catalogue or load_catalogue(), ValidationReport())
        out += [_status(p)[1] for p in pieces if p.kind]
    return out
