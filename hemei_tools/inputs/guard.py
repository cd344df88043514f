"""Refuse a file that is too big before it is loaded (the limits of
:mod:`hemei_tools.inputs.limits`).

Each check looks only at what costs nothing to read: the size of the file on disk, the zip
directory of a workbook (the uncompressed size of every part, as the archive declares it), the
``<dimension ref="A1:L12000001"/>`` tag at the start of a worksheet's XML (read from its first
64 KB), a Parquet file's footer, and the rows of a sheet counted as they are read. A file over a
limit is a problem (``file_too_large`` or ``content_too_large``) naming the file, the sheet, the
size found, the limit and how to raise it; the file is then not read at all.

A zip directory can lie about a part's size; Python's :mod:`zipfile` (used by openpyxl) never
inflates a part beyond its declared size (it stops there and fails the checksum), so the
declared sizes bound what openpyxl reads. A ``<dimension>`` tag can lie too (or be missing):
:class:`CellCounter` then stops reading a sheet once its rows × columns pass the limit.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

from hemei_tools.inputs.limits import (
    ENV_CELLS,
    ENV_FILE_MB,
    ENV_UNZIPPED_MB,
    MB,
    InputLimits,
    current_limits,
    megabytes,
)
from hemei_tools.inputs.problems import ValidationReport
from hemei_tools.inputs.wording import template as _tf

DIMENSION_BYTES = 1 << 16
"""Bytes of a worksheet's XML read to find its ``<dimension>`` tag."""
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,10})(?::\$?([A-Z]{1,3})\$?(\d{1,10}))?"')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\b(?:\w+:)?id="([^"]+)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"'
                  rb'|<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"')


def _columns(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _raise_how(env: str, option: str, limit_value: str) -> str:
    return _tf("input.hint.raise_limit", env=env, option=option, value=limit_value)


def file_too_large(file: str, size: int, report: ValidationReport, limits: InputLimits | None = None) -> bool:
    """True (and a ``file_too_large`` problem) when ``size`` bytes on disk exceed the limit."""
    limits = limits or current_limits()
    if size <= limits.file_bytes:
        return False
    report.add(file, "", None, "", megabytes(size), "file_too_large", _tf(
        "input.hint.file_too_large", size=megabytes(size), limit=megabytes(limits.file_bytes),
        how=_raise_how(ENV_FILE_MB, "--max-file-mb", f"{2 * limits.file_bytes / MB:g}")))
    return True


def _unzipped_problem(file: str, sheet: str, key: str, unzipped: int, packed: int, report: ValidationReport,
                      limits: InputLimits, **values) -> None:
    report.add(file, sheet, None, "", megabytes(unzipped), "content_too_large", _tf(
        key, size=megabytes(unzipped), packed=megabytes(packed), limit=megabytes(limits.unzipped_bytes),
        how=_raise_how(ENV_UNZIPPED_MB, "--max-unzipped-mb", f"{2 * limits.unzipped_bytes / MB:g}"), **values))


def cells_problem(file: str, sheet: str, rows: int, cols: int, report: ValidationReport,
                  limits: InputLimits | None = None, seen: str = "", at_least: bool = False) -> None:
    """Record that a sheet of ``rows`` × ``cols`` cells is over the cell limit (``seen`` says how
    the size was found, e.g. from the dimension tag; ``at_least`` when reading stopped there)."""
    limits = limits or current_limits()
    cells = f"{rows * cols:,}"
    report.add(file, sheet, None, "", f"{rows:,} × {cols:,}", "content_too_large", _tf(
        "input.hint.too_many_cells", cells=_tf("input.hint.at_least" if at_least else "input.hint.cells_count", n=cells),
        rows=f"{rows:,}", cols=f"{cols:,}", seen=seen,
        limit=f"{limits.cells:,}", how=_raise_how(ENV_CELLS, "--max-cells", str(2 * limits.cells))))


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part path of each worksheet → its name as the user sees it (``xl/worksheets/sheet1.xml``
    → ``指标数据``), from ``xl/workbook.xml`` and its relationships; ``{}`` when not found."""
    try:
        book = archive.open("xl/workbook.xml").read(1 << 20)
        rels = archive.open("xl/_rels/workbook.xml.rels").read(1 << 20)
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError):
        return {}
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        path = target.decode("utf-8", "replace").lstrip("/")
        targets[rid] = path if path.startswith("xl/") else "xl/" + path
    out = {}
    for m in _SHEET.finditer(book):
        path = targets.get(m.group(2))
        if path:
            out[path] = html.unescape(m.group(1).decode("utf-8", "replace"))
    return out


def dimension_cells(xml_head: bytes) -> tuple[int, int] | None:
    """``(rows, columns)`` a worksheet declares in its ``<dimension>`` tag, counted from A1 (the
    grid a reader fills); ``None`` without a tag.

    ``<dimension ref="A1:L12000001"/>`` → ``(12000001, 12)``; ``ref="B2"`` → ``(2, 2)``.
    """
    m = _DIMENSION.search(xml_head)
    if not m:
        return None
    col, row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
    return int(row), _columns(col.decode())


def workbook_too_large(file: str, data: bytes, report: ValidationReport, xlsx: bool,
                       limits: InputLimits | None = None) -> bool:
    """True (and a ``content_too_large`` problem) when a zip workbook (.xlsx, .xlsm, .xlsb, .ods)
    inflates beyond the limit, or (``xlsx``) one of its worksheets declares more cells than the
    cell limit. Only the zip directory and the first :data:`DIMENSION_BYTES` of each worksheet
    are read. A file that is not a valid zip is left to the reader (which reports it)."""
    limits = limits or current_limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    with archive:
        names = _sheet_names(archive) if xlsx else {}
        total = sum(i.file_size for i in infos)
        if total > limits.unzipped_bytes:
            big = max(infos, key=lambda i: i.file_size)
            sheet = names.get(big.filename, "")
            part = _tf("input.hint.part_sheet", sheet=sheet) if sheet else big.filename
            _unzipped_problem(file, sheet, "input.hint.unzipped_too_large", total, len(data), report, limits,
                              part=part, part_size=megabytes(big.file_size))
            return True
        if not xlsx:
            return False
        found = False
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            try:
                with archive.open(info) as fh:
                    head = fh.read(DIMENSION_BYTES)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError):
                continue  # damaged: the reader reports it
            dim = dimension_cells(head)
            if dim and dim[0] * dim[1] > limits.cells:
                cells_problem(file, names.get(info.filename, info.filename), *dim, report, limits,
                              seen=_tf("input.hint.cells_seen_dimension"))
                found = True
        return found


def parquet_too_large(file: str, data: bytes, report: ValidationReport, limits: InputLimits | None = None) -> bool:
    """True (and a ``content_too_large`` problem) when a Parquet file's row groups hold more
    uncompressed bytes than the limit (from the footer; nothing else is read)."""
    limits = limits or current_limits()
    try:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(io.BytesIO(data))
        total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception:  # noqa: BLE001 - a damaged file is the reader's to report
        return False
    if total <= limits.unzipped_bytes:
        return False
    _unzipped_problem(file, "", "input.hint.parquet_too_large", total, len(data), report, limits)
    return True


class CellCounter:
    """Count the cells of a sheet as its rows are read; :meth:`add` turns False once the rows
    read × the widest row pass the cell limit (a problem is then recorded once)."""

    def __init__(self, file: str, sheet: str, report: ValidationReport, limits: InputLimits | None = None):
        self.file, self.sheet, self.report = file, sheet, report
        self.limits = limits or current_limits()
        self.rows = 0
        self.width = 0

    def add(self, width: int) -> bool:
        """Count one row of ``width`` cells; False (after recording the problem) when over."""
        self.rows += 1
        self.width = max(self.width, width)
        if self.rows * self.width <= self.limits.cells:
            return True
        cells_problem(self.file, self.sheet, self.rows, self.width, self.report, self.limits,
                      seen=_tf("input.hint.cells_seen_reading"), at_least=True)
        return False

    def grid(self, rows: int, cols: int) -> bool:
        """True when a sheet of ``rows`` × ``cols`` is within the limit (else a problem)."""
        if rows * cols <= self.limits.cells:
            return True
        cells_problem(self.file, self.sheet, rows, cols, self.report, self.limits,
                      seen=_tf("input.hint.cells_seen_range"))
        return False
