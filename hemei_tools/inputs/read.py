"""Raw tables out of files: encodings, header rows, CSV / .xlsx / Parquet pieces.

A file becomes one or more :class:`Piece` objects (one per table found: a CSV or Parquet file,
or a sheet of a workbook), each with its header as written, the header's row and the body
indexed by the row number the user sees. Tidying a piece is :mod:`hemei_tools.inputs.tidy`.

- CSV: UTF-8 (BOM optional), UTF-16 with BOM or GBK/GB18030 (:func:`_decode`), comma or tab;
- the header is the row among the first :data:`HEADER_SCAN_ROWS` that matches most known
  headers (title rows above it are skipped);
- .xlsx: sheets named after their table (村庄名录 / 指标数据 / 项目台账 / 申报村), cells as the
  user sees them (a 0.85 formatted as a percentage is 85%);
- Parquet: one file, or a folder of parts (a partitioned table).

Input files are only ever opened for reading.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue
from hemei_tools.catalogue import label as _t
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
from hemei_tools.inputs.problems import ValidationReport

HEADER_SCAN_ROWS = 30
_MAGIC = {b"PK\x03\x04": "an Excel workbook or zip archive (rename it to .xlsx?)",
          b"PAR1": "a Parquet file (rename it to .parquet?)",
          b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (save it as .xlsx)",
          b"%PDF": "a PDF document"}


@dataclass
class Piece:
    """One table as found in one file or sheet, before tidying."""

    file: str
    sheet: str
    kind: str | None
    header: list[str]
    header_row: int
    body: pd.DataFrame  # positional columns; index = row number as the user sees it
    ascii: bool = False


def _decode(data: bytes) -> str | None:
    """Text of a CSV: UTF-8 (BOM optional), UTF-16 with BOM (Excel "Unicode text") or
    GBK/GB18030; ``None`` when the bytes are not text in any of these."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:1 << 20]:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        sample = text[:20000]
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
        if controls > max(2, len(sample) // 100):
            return None
        return text
    return None


def _binary_hint(data: bytes) -> str:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return f"this is not a text file but {what}"
    from hemei_tools.inputs.problems import RULES
    return RULES["not_text"]


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
    return grid.head(HEADER_SCAN_ROWS).astype(object).where(grid.head(HEADER_SCAN_ROWS).notna(), "").values.tolist()


def _csv_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                report: ValidationReport) -> list[Piece]:
    text = _decode(data)
    if text is None:
        report.add(file, "", None, "", "", "not_text", _binary_hint(data))
        return []
    if not text.strip():
        report.add(file, "", None, "", "", "empty_file")
        return []
    head_lines = text[:200_000].splitlines()[:HEADER_SCAN_ROWS]
    sep = "\t" if sum(ln.count("\t") for ln in head_lines) > sum(ln.count(",") for ln in head_lines) else ","
    rows = list(csv.reader(head_lines, delimiter=sep))
    pos, kind, rule = _find_header(rows, kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return []
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, skiprows=pos, dtype=str,
                          keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        report.add(file, "", pos + 1, "", "", "malformed_csv",
                   "no table could be read from the header on; check for an unclosed quote (\")")
        return []
    except pd.errors.ParserError as err:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if m:  # pandas counts lines from the top of the file, skipped title rows included
            report.add(file, "", int(m.group(2)), "", "", "malformed_csv",
                       f"this line has {m.group(3)} fields but the header has {m.group(1)}; "
                       "check quoting and stray commas")
        else:
            report.add(file, "", None, "", "", "malformed_csv", str(err).strip())
        return []
    header = raw.iloc[0].fillna("").astype(str).tolist()
    body = raw.iloc[1:]
    body.index = pos + 1 + np.arange(1, len(raw))
    body.columns = range(body.shape[1])
    return [Piece(file, "", kind, header, pos + 1, body, text.isascii())]


def _cell_text(v: object, number_format: str = "") -> object:
    """Text of an Excel cell as the user sees it: a 0.85 formatted as a percentage is 85%."""
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (number_format or ""):
        return f"{round(v * 100, 10):g}%"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _xlsx_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                 report: ValidationReport) -> list[Piece]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any failure of a damaged workbook is a problem
        report.add(file, "", None, "", "", "unreadable_file", f"not a readable .xlsx workbook ({err})")
        return []
    try:
        names = [n for n in wb.sheetnames if not is_annotation_sheet(n)]  # 问题清单: never data
        chosen = [(n, _kind_of_name(n)) for n in names if _kind_of_name(n)]
        if kind and len(chosen) == 0 and len(names) == 1:
            chosen = [(names[0], kind)]
        elif kind is None and not chosen and len(names) == 1:
            chosen = [(names[0], None)]
        if not chosen:
            report.add(file, "", None, "", _t("punct.list_sep").join(names), "missing_sheets")
            return []
        pieces = []
        for name, k in chosen:
            sheet = wb[name]
            sheet.reset_dimensions()  # some writers store a wrong used range; read every row
            cells = [[_cell_text(c.value, getattr(c, "number_format", "")) for c in r]
                     for r in sheet.iter_rows(min_row=1, min_col=1)]
            width = max((len(r) for r in cells), default=0)
            grid = pd.DataFrame([r + [None] * (width - len(r)) for r in cells], dtype=object)
            if grid.empty or grid.isna().all().all():
                report.add(file, name, None, "", "", "empty_file")
                continue
            grid.index = np.arange(1, len(grid) + 1)
            pos, k2, rule = _find_header(_grid_rows(grid), k, catalogue)
            if rule:
                report.add(file, name, None, "", "", rule)
                continue
            header = grid.iloc[pos].fillna("").astype(str).tolist()
            body = grid.iloc[pos + 1:]
            body.columns = range(body.shape[1])
            pieces.append(Piece(file, name, k2, header, pos + 1, body))
        return pieces
    finally:
        wb.close()


def _parquet_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                    report: ValidationReport) -> list[Piece]:
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001
        report.add(file, "", None, "", "", "unreadable_file", f"not a readable Parquet file ({err})")
        return []
    header = [str(c) for c in df.columns]
    pos, kind, rule = _find_header([header], kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return []
    body = df.copy()
    body.columns = range(body.shape[1])
    body.index = np.arange(2, len(df) + 2)
    return [Piece(file, "", kind, header, 1, body)]


_READERS = {"csv": _csv_pieces, "xlsx": _xlsx_pieces, "parquet": _parquet_pieces}


def read_pieces(path: str | Path, kind: str | None, catalogue: Catalogue, report: ValidationReport
                ) -> tuple[list[Piece], bytes | None]:
    """Read the raw tables of one file or partitioned-table folder (used by :mod:`~hemei_tools.inputs.api` and :mod:`~hemei_tools.inputs.dataset`)."""
    path = Path(path)
    file = str(path)
    if path.is_dir():
        return _partitioned_pieces(path, kind, catalogue, report)
    fmt = file_format(path)
    if fmt is None:
        report.add(file, "", None, "", path.suffix, "unsupported_format")
        return [], None
    try:
        with open(path, "rb") as fh:  # read-only, never modified
            data = fh.read()
    except OSError as err:
        report.add(file, "", None, "", "", "unreadable_file", str(err))
        return [], None
    if not data.strip():
        report.add(file, "", None, "", "", "empty_file")
        return [], data
    kind = kind or _kind_of_name(path.stem)
    try:
        return _READERS[fmt](file, data, kind, catalogue, report), data
    except Exception as err:  # noqa: BLE001 - bad data must never surface as a traceback
        report.add(file, "", None, "", "", "unreadable_file",
                   f"could not read the file ({type(err).__name__}: {err})")
        return [], data



def _partitioned_pieces(folder: Path, kind: str | None, catalogue: Catalogue, report: ValidationReport
                        ) -> tuple[list[Piece], bytes | None]:
    """A table stored as Parquet parts in a folder, read as one table.

    Rows are numbered through the parts in path order (row 2 is the first data row of the
    first part), as if the parts were one file.
    """
    file = str(folder)
    parts = partition_files(folder)
    if not parts:
        report.add(file, "", None, "", "", "empty_file", "the folder holds no Parquet parts")
        return [], None
    frames, digest = [], []
    for part in parts:
        try:
            with open(part, "rb") as fh:  # read-only, never modified
                data = fh.read()
            frames.append(pd.read_parquet(io.BytesIO(data)))
        except Exception as err:  # noqa: BLE001
            report.add(str(part), "", None, "", "", "unreadable_file", f"not a readable Parquet file ({err})")
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
    return [Piece(file, "", kind, header, 1, body)], b"".join(digest)

