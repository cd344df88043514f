"""Raw tables out of files: encodings, header rows, CSV / workbook / Parquet pieces.

A file becomes one or more :class:`Piece` objects (one per table found: a CSV or Parquet file,
or a sheet of a workbook), each with its header as written, the header's row and the body
indexed by the row number the user sees. Tidying a piece is :mod:`hemei_tools.inputs.tidy`.

- CSV: UTF-8 (BOM optional), UTF-16 (with a BOM, or without one when the bytes show it: every
  other byte of ASCII text is zero) or GBK/GB18030 (:func:`_decode`), comma or tab. A byte that
  fits no encoding is reported with its line and byte offset;
- the header is the row among the first :data:`HEADER_SCAN_ROWS` that matches most known
  headers (title rows above it are skipped);
- workbooks: sheets named after their table (村庄名录 / 指标数据 / 项目台账 / 申报村), or the one
  visible sheet; ``.xlsx``/``.xlsm`` through openpyxl with cells as the user sees them (a 0.85
  formatted as a percentage is 85%), ``.xls``/``.xlsb``/``.ods`` through python-calamine (which
  gives values without their number format). The file's content decides, not its name: an
  ``.xls`` that is really an ``.xlsx`` (or a tab-separated text file) is read as what it is,
  one that is a web page is a problem;
- hidden and very hidden sheets are skipped with a ``hidden_sheet`` warning unless named in
  ``sheets``; formula cells without a saved value (a workbook written by a program and never
  opened in Excel) are kept on the piece (:attr:`Piece.formulas`) for the tidier to report;
- a cell longer than :data:`MAX_CELL_CHARS` (Excel's own limit) is a ``cell_too_large``
  problem naming its row and column, and is read as empty;
- a file larger than the limits of :mod:`hemei_tools.inputs.limits` (size on disk; a
  workbook's or Parquet file's uncompressed size; a sheet's cells) is refused before it is
  loaded (:mod:`hemei_tools.inputs.guard`): ``file_too_large`` / ``content_too_large``;
- Parquet: one file, or a folder of parts (a partitioned table).

Input files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import html
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue
from hemei_tools.inputs.aliases import (
    _YEAR_HEADER,
    _indicator_lookup,
    _kind_of_name,
    _norm,
    _split_unit,
    load_aliases,
)
from hemei_tools.inputs.annotate import is_annotation_sheet
from hemei_tools.inputs.formats import file_format, partition_files
from hemei_tools.inputs.guard import (
    CellCounter,
    file_too_large,
    parquet_too_large,
    workbook_too_large,
)
from hemei_tools.inputs.problems import ValidationReport, problem_frame
from hemei_tools.inputs.wording import column_letter, join
from hemei_tools.inputs.wording import template as _tf
from hemei_tools.inputs.wording import text as _t

HEADER_SCAN_ROWS = 30
MAX_CELL_CHARS = 32_767
"""Longest cell read (characters): Excel's limit for a cell; anything longer is not a ledger
value but a paste gone wrong."""
_MAGIC = {b"PK\x03\x04": "input.hint.magic.zip", b"PAR1": "input.hint.magic.parquet",
          b"\xd0\xcf\x11\xe0": "input.hint.magic.ole", b"%PDF": "input.hint.magic.pdf"}
_OLE = b"\xd0\xcf\x11\xe0"
_ZIP = b"PK\x03\x04"


@dataclass
class Piece:
    """One table as found in one file or sheet, before tidying.

    ``formulas`` maps ``(row, position)`` of a body cell (row as the user sees it, position in
    the header) to the formula of a cell that has no saved value; ``source`` is the reader that
    read the piece (``csv``, ``xlsx``, ``calamine``, ``parquet``).
    """

    file: str
    sheet: str
    kind: str | None
    header: list[str]
    header_row: int
    body: pd.DataFrame  # positional columns; index = row number as the user sees it
    ascii: bool = False
    formulas: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)
    source: str = ""


# --------------------------------------------------------------------------- text encodings

def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the bytes look like UTF-16 text without a BOM: in
    text with ASCII digits and commas one byte of each such character is zero, always the
    same one of the pair (at least a fifth of the pairs, and four times as often as the other
    byte)."""
    sample = data[:4096]
    n = len(sample) // 2
    if n < 2:
        return None
    even, odd = sample[0:2 * n:2].count(0), sample[1:2 * n:2].count(0)
    # a Chinese character has a zero byte only now and then (一 is U+4E00)
    if odd >= 0.2 * n and even <= odd / 4:
        return "utf-16-le"
    if even >= 0.2 * n and odd <= even / 4:
        return "utf-16-be"
    return None


def _line_of(data: bytes, offset: int, encoding: str) -> int:
    """Line (1-based) of the byte at ``offset``."""
    return data[:offset].decode(encoding, errors="replace").count("\n") + 1


def _bad_byte(data: bytes, err: UnicodeDecodeError, encoding: str, start: int = 0) -> tuple[str, int]:
    """Hint and line of the first byte ``encoding`` cannot decode."""
    offset = start + err.start
    line = _line_of(data, offset, encoding)
    hint = _tf("input.hint.bad_byte", line=line, offset=offset, byte=f"0x{data[offset]:02X}",
               encoding=encoding.upper().replace("-SIG", ""))
    return hint, line


def _multibyte_utf8(prefix: bytes) -> int:
    """Number of multi-byte UTF-8 characters in ``prefix`` (valid UTF-8)."""
    return sum(1 for b in prefix if b >= 0xC0)


def _decode(data: bytes) -> tuple[str | None, str | None, int | None]:
    """Text of a CSV: UTF-8 (BOM optional), UTF-16 (BOM, or detected without one) or
    GBK/GB18030.

    Returns
    -------
    text, hint, line
        The text, or ``None`` with the reason (``None`` when the bytes are not text at all) and
        the line of the first bad byte.
    """
    return _decode_as(data)[:3]


def _decode_as(data: bytes) -> tuple[str | None, str | None, int | None, str | None]:
    """:func:`_decode` and the encoding it found (``utf-8-sig``, ``utf-8``, ``utf-16``,
    ``utf-16-le``, ``utf-16-be`` or ``gb18030``; ``None`` when the bytes are not text)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            return (None, *_bad_byte(data, err, "utf-16"), None)
        return (text, None, None, "utf-16") if _is_text(text) else (None, None, None, None)
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            return None, _t("input.hint.utf16_without_bom"), None, None
        if _is_text(text):
            return text, None, None, utf16
    if b"\x00" in data[:1 << 20]:
        return None, None, None, None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    encoding = "utf-8-sig" if bom else "utf-8"
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        # UTF-8 text with one damaged byte: many valid Chinese characters before it. A GBK file
        # read as UTF-8 fails at (or just after) its first Chinese character instead.
        if _multibyte_utf8(data[bom:bom + err.start]) >= 3:
            return (None, *_bad_byte(data, err, "utf-8", bom), None)
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as err2:
            return (None, *_bad_byte(data, err2, "gb18030"), None)
        encoding = "gb18030"
    return (text, None, None, encoding) if _is_text(text) else (None, None, None, None)


def _is_text(text: str) -> bool:
    """Few control characters (other than tab and line breaks): not binary data decoded."""
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls <= max(2, len(sample) // 100)


def _binary_hint(data: bytes) -> str:
    for magic, key in _MAGIC.items():
        if data.startswith(magic):
            return _tf("input.hint.binary", what=_t(key))
    return _t("input.rule.not_text")


# --------------------------------------------------------------------------- headers

def _header_score(cells: list[str], kind: str, catalogue: Catalogue) -> tuple[int, int]:
    """(distinct known columns, of which specific to the table) matched by a header row."""
    al = load_aliases()
    found, specific = set(), 0
    ind = _indicator_lookup(catalogue)
    shared = set(al.columns["villages"]) & set(al.columns["observations"])
    for c in cells:
        key = _norm(c)
        if not key:
            continue
        base, _ = _split_unit(key)
        canon = al.columns[kind].get(key) or al.columns[kind].get(base)
        if canon and canon not in found:
            found.add(canon)
            specific += (key not in shared and base not in shared)
        elif kind == "observations" and not canon and (
                base in ind or key in ind or _YEAR_HEADER.fullmatch(key)):
            found.add(key)
            specific += 1
    return len(found), specific


def _find_header(rows: list[list], kind: str | None, catalogue: Catalogue
                 ) -> tuple[int | None, str | None, str | None]:
    """Locate the header among the first rows: (row position, table, problem rule or None)."""
    kinds = [kind] if kind else list(load_aliases().columns)
    best: tuple[int, int, int, str] | None = None  # (score, specific, -pos, kind)
    tie = False
    for pos, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        for k in kinds:
            score, specific = _header_score(cells, k, catalogue)
            if score == 0 or (kind is None and specific == 0):
                continue
            cand = (score, specific, -pos, k)
            if best is None or cand[:3] > best[:3]:
                best, tie = cand, False
            elif cand[:3] == best[:3] and k != best[3]:
                tie = True
    if best is None:
        return None, None, ("no_header" if kind else "unknown_table")
    if tie:
        return None, None, "unknown_table"
    return -best[2], best[3], None


def _grid_rows(grid: pd.DataFrame) -> list[list]:
    head = grid.head(HEADER_SCAN_ROWS)
    return head.astype(object).where(head.notna(), "").values.tolist()


def _blank_oversize(file: str, sheet: str, grid: pd.DataFrame, header: list[str] | None,
                    report: ValidationReport) -> None:
    """Report every cell longer than :data:`MAX_CELL_CHARS` (its row and column) and empty it.

    ``grid`` is indexed by the row the user sees, its columns by position; ``header`` names
    the columns when known."""
    for j in grid.columns:
        c = grid[j]
        if not (pd.api.types.is_object_dtype(c) or pd.api.types.is_string_dtype(c)):
            continue
        big = c.str.len().gt(MAX_CELL_CHARS).to_numpy()
        if not big.any():
            continue
        name = str(header[j]).strip() if header is not None and j < len(header) and str(header[j]).strip() \
            else column_letter(int(j) + 1)
        lengths = c[big].str.len().astype(int)
        report.add_frame(problem_frame(
            file, sheet, c.index[big].to_numpy(), name, c[big], "cell_too_large",
            [_tf("input.hint.cell_too_large", chars=n, limit=MAX_CELL_CHARS) for n in lengths],
            int(j) + 1))
        grid.loc[c.index[big], j] = None


@contextlib.contextmanager
def _csv_field_limit(limit: int):
    """Let the :mod:`csv` module read fields up to ``limit`` characters in the block."""
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _longest_line(data: bytes) -> int:
    """Bytes of the longest line of ``data`` (a bound on its longest cell)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    if not len(ends):
        return len(data)
    return int(max(ends[0] + 1, np.diff(ends).max(initial=0), len(data) - ends[-1]))


# --------------------------------------------------------------------------- CSV

def _csv_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                report: ValidationReport, sheets: Iterable[str] = ()) -> list[Piece]:
    text, hint, line, encoding = _decode_as(data)
    if text is None:
        report.add(file, "", line, "", "", "not_text", hint or _binary_hint(data))
        return []
    if not text.strip():
        report.add(file, "", None, "", "", "empty_file")
        return []
    head_lines = text[:200_000].splitlines()[:HEADER_SCAN_ROWS]
    ascii_text = text.isascii()
    del text  # pandas reads the bytes: the decoded text (and a copy of it) would double memory
    sep = "\t" if sum(ln.count("\t") for ln in head_lines) > sum(ln.count(",") for ln in head_lines) else ","
    with _csv_field_limit(1 << 30):
        rows = list(csv.reader(head_lines, delimiter=sep))
    pos, kind, rule = _find_header(rows, kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return []
    try:
        raw = pd.read_csv(io.BytesIO(data), encoding=encoding, sep=sep, header=None, skiprows=pos, dtype=str,
                          keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        report.add(file, "", pos + 1, "", "", "malformed_csv", _t("input.hint.unclosed_quote"))
        return []
    except pd.errors.ParserError as err:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if m:  # pandas counts lines from the top of the file, skipped title rows included
            report.add(file, "", int(m.group(2)), "", "", "malformed_csv",
                       _tf("input.hint.fields", fields=m.group(3), header=m.group(1)))
        else:
            report.add(file, "", None, "", "", "malformed_csv", str(err).strip())
        return []
    header = raw.iloc[0].fillna("").astype(str).tolist()
    body = raw.iloc[1:]
    body.index = pos + 1 + np.arange(1, len(raw))
    body.columns = range(body.shape[1])
    if _longest_line(data) > MAX_CELL_CHARS:
        body = body.copy()
        _blank_oversize(file, "", body, header, report)
    return [Piece(file, "", kind, header, pos + 1, body, ascii_text, source="csv")]


# --------------------------------------------------------------------------- workbooks

def _cell_text(v: object, number_format: str = "") -> object:
    """Text of a workbook cell as the user sees it: a 0.85 formatted as a percentage is 85%."""
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (number_format or ""):
        return f"{round(v * 100, 10):g}%"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _choose_sheets(file: str, names: list[str], hidden: set[str], kind: str | None,
                   sheets: Iterable[str], report: ValidationReport) -> list[tuple[str, str | None]]:
    """The sheets to read, with their table: those named after a table, those named in
    ``sheets``, or else the one visible sheet. A hidden sheet is skipped with a warning unless
    named in ``sheets``."""
    named = set(sheets)
    chosen = [(n, _kind_of_name(n) or (kind if n in named else None)) for n in names
              if _kind_of_name(n) or n in named]
    visible = [n for n in names if n not in hidden and not is_annotation_sheet(n)]  # 问题清单: never data
    if not chosen and len(visible) == 1:
        chosen = [(visible[0], kind)]
    out, skipped = [], False
    for name, k in chosen:
        if name in hidden and name not in named:
            report.add(file, name, None, "", name, "hidden_sheet",
                       _tf("input.hint.hidden_sheet", sheet=name))
            skipped = True
        else:
            out.append((name, k))
    if not out and not skipped:
        report.add(file, "", None, "", join(names), "missing_sheets")
    return out


def _grid_piece(file: str, sheet: str, kind: str | None, cells: list[list], catalogue: Catalogue,
                report: ValidationReport, source: str) -> Piece | None:
    """A piece out of a sheet's cells (lists of rows from row 1, column A)."""
    width = max((len(r) for r in cells), default=0)
    grid = pd.DataFrame([r + [None] * (width - len(r)) for r in cells], dtype=object)
    if grid.empty or grid.isna().all().all():
        report.add(file, sheet, None, "", "", "empty_file")
        return None
    grid.index = np.arange(1, len(grid) + 1)
    pos, k2, rule = _find_header(_grid_rows(grid), kind, catalogue)
    if rule:
        report.add(file, sheet, None, "", "", rule)
        return None
    header = grid.iloc[pos].fillna("").astype(str).tolist()
    _blank_oversize(file, sheet, grid, header, report)
    header = grid.iloc[pos].fillna("").astype(str).tolist()
    body = grid.iloc[pos + 1:]
    body.columns = range(body.shape[1])
    return Piece(file, sheet, k2, header, pos + 1, body, source=source)


_FORMULA_CELL = re.compile(
    rb"<c\b([^>]*)>\s*<f\b[^>]*?(?:/>|>([^<]*)</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def formulas_without_values(xml: bytes) -> dict[tuple[int, int], str]:
    """Formula cells of a worksheet's XML that carry no saved value, as
    ``{(row, position): "=formula"}`` (position 0 is column A).

    A workbook saved by Excel or WPS stores each formula's last result (``<v>``); one written by
    a program often stores none, and a reader then sees an empty cell. A formula whose saved
    result is the empty text (``t="str"`` with an empty ``<v>``) has a value.
    """
    if b"<f" not in xml:
        return {}
    out = {}
    for m in _FORMULA_CELL.finditer(xml):
        attrs, formula, empty_v = m.group(1), m.group(2), m.group(3)
        if empty_v is not None and b't="str"' in attrs:
            continue
        ref = _CELL_REF.search(attrs)
        if not ref:
            continue
        text = "=" + html.unescape(formula.decode("utf-8", "replace")) if formula else "=…"
        out[(int(ref.group(2)), _column_number(ref.group(1).decode()) - 1)] = text
    return out


def _xlsx_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                 report: ValidationReport, sheets: Iterable[str] = ()) -> list[Piece]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any failure of a damaged workbook is a problem
        report.add(file, "", None, "", "", "unreadable_file", _tf("input.hint.not_xlsx", error=err))
        return []
    try:
        worksheets = {ws.title: ws for ws in wb.worksheets if not is_annotation_sheet(ws.title)}  # 问题清单
        names = list(worksheets)
        hidden = {n for n, ws in worksheets.items() if getattr(ws, "sheet_state", "visible") != "visible"}
        pieces = []
        archive = zipfile.ZipFile(io.BytesIO(data))
        for name, k in _choose_sheets(file, names, hidden, kind, sheets, report):
            sheet = worksheets[name]
            sheet.reset_dimensions()  # some writers store a wrong used range; read every row
            counter, cells = CellCounter(file, name, report), []
            for r in sheet.iter_rows(min_row=1, min_col=1):
                row = [_cell_text(c.value, getattr(c, "number_format", "")) for c in r]
                if not counter.add(len(row)):  # a sheet bigger than its <dimension> said
                    cells = None
                    break
                cells.append(row)
            if cells is None:
                continue
            piece = _grid_piece(file, name, k, cells, catalogue, report, "xlsx")
            if piece is None:
                continue
            path = str(getattr(sheet, "_worksheet_path", "")).lstrip("/")
            if path in archive.namelist():
                formulas = formulas_without_values(archive.read(path))
                piece.formulas = {rc: f for rc, f in formulas.items() if rc[0] > piece.header_row}
            pieces.append(piece)
        return pieces
    finally:
        wb.close()


def _calamine_cell(v: object) -> object:
    """Text of a cell read by python-calamine (empty cells are ``""`` there)."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    return _cell_text(v)


def _calamine_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                     report: ValidationReport, sheets: Iterable[str] = ()) -> list[Piece]:
    """Sheets of an ``.xls``, ``.xlsb`` or ``.ods`` workbook, read through python-calamine."""
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        meta = [m for m in wb.sheets_metadata
                if m.typ == pc.SheetTypeEnum.WorkSheet and not is_annotation_sheet(m.name)]
    except Exception as err:  # noqa: BLE001 - any failure of a damaged workbook is a problem
        report.add(file, "", None, "", "", "unreadable_file", _tf("input.hint.not_workbook", error=err))
        return []
    try:
        names = [m.name for m in meta]
        hidden = {m.name for m in meta if m.visible != pc.SheetVisibleEnum.Visible}
        pieces = []
        for name, k in _choose_sheets(file, names, hidden, kind, sheets, report):
            sheet = wb.get_sheet_by_name(name)
            if not CellCounter(file, name, report).grid(sheet.total_height, sheet.total_width):
                continue
            rows = sheet.to_python(skip_empty_area=False)
            cells = [[_calamine_cell(v) for v in r] for r in rows]
            piece = _grid_piece(file, name, k, cells, catalogue, report, "calamine")
            if piece is not None:
                pieces.append(piece)
        return pieces
    finally:
        wb.close()


# --------------------------------------------------------------------------- Parquet

def _parquet_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                    report: ValidationReport, sheets: Iterable[str] = ()) -> list[Piece]:
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001
        report.add(file, "", None, "", "", "unreadable_file", _tf("input.hint.not_parquet", error=err))
        return []
    header = [str(c) for c in df.columns]
    pos, kind, rule = _find_header([header], kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return []
    body = df.copy()
    body.columns = range(body.shape[1])
    body.index = np.arange(2, len(df) + 2)
    return [Piece(file, "", kind, header, 1, body, source="parquet")]


_READERS = {"csv": _csv_pieces, "xlsx": _xlsx_pieces, "calamine": _calamine_pieces,
            "parquet": _parquet_pieces}


def _is_html(data: bytes) -> bool:
    head = data[:512].lstrip(codecs.BOM_UTF8).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) and b"<table" in data[:1 << 16].lower() \
        or head.startswith((b"<!doctype html", b"<html"))


def _sniff(path: Path, fmt: str, data: bytes) -> tuple[str | None, str | None]:
    """The reader a workbook's bytes need, whatever its name says: ``(reader, None)``, or
    ``(None, hint)`` when the file is not a workbook at all."""
    if fmt not in ("xlsx", "calamine"):
        return fmt, None
    if data.startswith(_ZIP):  # .xlsx, .xlsm, .xlsb and .ods are zip archives
        return ("calamine" if path.suffix.lower() in (".xlsb", ".ods") else "xlsx"), None
    if data.startswith(_OLE):  # Excel 97–2003 (or an encrypted workbook)
        return "calamine", None
    if _is_html(data):
        return None, _tf("input.hint.html_workbook", suffix=path.suffix)
    text, _, _ = _decode(data)
    if text is not None:  # a text export named like a workbook
        return "csv", None
    return fmt, None


def read_pieces(path: str | Path, kind: str | None, catalogue: Catalogue, report: ValidationReport,
                sheets: Iterable[str] = ()) -> tuple[list[Piece], bytes | None]:
    """Read the raw tables of one file or partitioned-table folder (used by
    :mod:`~hemei_tools.inputs.api` and :mod:`~hemei_tools.inputs.dataset`).

    ``sheets`` names sheets to read besides those named after a table, hidden ones included
    (a hidden sheet is otherwise skipped with a ``hidden_sheet`` warning).
    """
    path = Path(path)
    file = str(path)
    if path.is_dir():
        return _partitioned_pieces(path, kind, catalogue, report)
    fmt = file_format(path)
    if fmt is None:
        report.add(file, "", None, "", path.suffix, "unsupported_format", unsupported_hint(path))
        return [], None
    try:
        with open(path, "rb") as fh:  # read-only, never modified
            if file_too_large(file, os.fstat(fh.fileno()).st_size, report):
                return [], None
            data = fh.read()
    except OSError as err:
        report.add(file, "", None, "", "", "unreadable_file", _tf("input.hint.could_not_read", error=err))
        return [], None
    if not data.strip():
        report.add(file, "", None, "", "", "empty_file")
        return [], data
    kind = kind or _kind_of_name(path.stem)
    reader, hint = _sniff(path, fmt, data)
    if reader is None:
        report.add(file, "", None, "", path.suffix, "unreadable_file", hint)
        return [], data
    if (reader in ("xlsx", "calamine") and data.startswith(_ZIP)
            and workbook_too_large(file, data, report, xlsx=reader == "xlsx")) or (
            reader == "parquet" and parquet_too_large(file, data, report)):
        return [], data
    try:
        return _READERS[reader](file, data, kind, catalogue, report, tuple(sheets)), data
    except Exception as err:  # noqa: BLE001 - bad data must never surface as a traceback
        report.add(file, "", None, "", "", "unreadable_file",
                   _tf("input.hint.could_not_read", error=f"{type(err).__name__}: {err}"))
        return [], data


def unsupported_hint(path: str | Path) -> str:
    """What to do with a file the readers cannot read: WPS ``.et`` and Apple ``.numbers`` by
    name, any other suffix in general."""
    suffix = Path(path).suffix.lower()
    if suffix in (".et", ".ett", ".dps", ".wps"):
        return _tf("input.hint.unsupported_wps", suffix=suffix)
    if suffix == ".numbers":
        return _t("input.hint.unsupported_numbers")
    return _tf("input.hint.unsupported", suffix=suffix or Path(path).name)


def _partitioned_pieces(folder: Path, kind: str | None, catalogue: Catalogue, report: ValidationReport
                        ) -> tuple[list[Piece], bytes | None]:
    """A table stored as Parquet parts in a folder, read as one table.

    Rows are numbered through the parts in path order (row 2 is the first data row of the
    first part), as if the parts were one file.
    """
    file = str(folder)
    parts = partition_files(folder)
    if not parts:
        report.add(file, "", None, "", "", "empty_file", _t("input.hint.no_parts"))
        return [], None
    if file_too_large(file, sum(p.stat().st_size for p in parts), report):
        return [], None
    frames, digest = [], []
    for part in parts:
        try:
            with open(part, "rb") as fh:  # read-only, never modified
                data = fh.read()
            frames.append(pd.read_parquet(io.BytesIO(data)))
        except Exception as err:  # noqa: BLE001
            report.add(str(part), "", None, "", "", "unreadable_file", _tf("input.hint.not_parquet", error=err))
            return [], None
        digest.append(part.relative_to(folder).as_posix().encode() + b"\0" + data)
    df = pd.concat(frames, ignore_index=True)
    kind = kind or _kind_of_name(folder.name)
    header = [str(c) for c in df.columns]
    pos, kind, rule = _find_header([header], kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return [], None
    body = df
    body.columns = range(body.shape[1])
    body.index = np.arange(2, len(df) + 2)
    return [Piece(file, "", kind, header, 1, body, source="parquet")], b"".join(digest)
