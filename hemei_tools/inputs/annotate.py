"""Marked copies of workbooks with problems (``hemei validate PATH --annotate OUT``).

:func:`annotate_workbook` writes a **copy** of one ``.xlsx`` workbook (the original is only ever
read, as bytes) in which every cell a validation problem names is filled with a colour (red for
an error, yellow for a warning or a note) and carries a cell comment with the problem, the value
and the fix, and a first sheet 问题清单 lists every problem of the file with an internal link to
its cell (``'指标数据'!E7``), its 问题 cell coloured like the marked cell. Offices fix the copy
and send it back; the reader never reads the 问题清单 sheet as data (:func:`is_annotation_sheet`:
not even as a workbook's one visible sheet), and annotating a returned copy again first removes
the marks this module made (comments by :data:`AUTHOR`, the old 问题清单 sheet).

Where a problem points: its row is the Excel row (:class:`~hemei_tools.inputs.problems.Problem`),
its column the ``col`` number when the report gives one; otherwise the column is found by its
header text in the header row the reader used (:func:`hemei_tools.inputs.read.read_pieces`), a
problem about several columns (``村庄代码 + 年份 + 指标``) marks each of them, a missing column is
marked just right of the header, and a problem about a whole row marks its first cell. Problems
about a whole sheet or file are listed without a cell.

Every text written from the data (values, headers, sheet names, hints) is inert: it is stored as
a string cell with the quote prefix, so ``=HYPERLINK(…)`` in a village name stays text and is
never run as a formula; characters a workbook cannot hold are shown as U+FFFD.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hemei_tools.catalogue import LANGUAGES, Catalogue, format_label, label, load_catalogue
from hemei_tools.inputs.formats import XLSX_SUFFIXES, file_format
from hemei_tools.paths import write_atomic_with

AUTHOR = "hemei validate"
"""Author of the comments this module writes (how a later annotation recognises them)."""
FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "note": "FFEB9C"}
"""Fill colour of a marked cell by the problem's level (Excel's "bad" and "neutral" colours)."""


def _t(key: str, lang: str) -> str:
    return label(key, lang)


def _tf(key: str, lang: str, **values) -> str:
    return format_label(key, lang=lang, **values)


def is_annotation_sheet(name: str) -> bool:
    """True for the problem-list sheet of a marked copy (问题清单, in any language): never data."""
    return name in {label("annotate.sheet", lang) for lang in LANGUAGES}


@dataclass(frozen=True)
class AnnotatedCopy:
    """One marked copy: the original ``source``, the copy's ``path``, the number of problems
    listed and of cells marked."""

    source: Path
    path: Path
    problems: int
    cells: int


@dataclass(frozen=True)
class _Header:
    row: int
    columns: dict[str, int]
    width: int


def _rule_text(rule: str, lang: str) -> str:
    """The name of a rule in the validation's wording (``rule_title``; the rule id where the
    wording has no name for it)."""
    try:
        from hemei_tools.inputs.problems import rule_title
    except ImportError:
        return rule
    try:
        return rule_title(rule, lang)
    except KeyError:
        return rule


def _level(problem) -> str:
    level = getattr(problem, "level", "error")
    return level if isinstance(level, str) and level else "error"


def _headers(path: Path, catalogue: Catalogue) -> dict[str, _Header]:
    """Header row and column numbers by header text, per sheet, as the reader found them."""
    from hemei_tools.inputs.problems import ValidationReport
    from hemei_tools.inputs.read import read_pieces

    pieces, _ = read_pieces(path, None, catalogue, ValidationReport())
    out = {}
    for p in pieces:
        cols: dict[str, int] = {}
        for j, h in enumerate(p.header, start=1):
            text = str(h).strip()
            if text and text not in cols:
                cols[text] = j
        width = max(cols.values(), default=0)
        out[p.sheet] = _Header(int(p.header_row), cols, width)
    return out


def _targets(problem, header: _Header | None) -> list[tuple[int, int]]:
    """The cells ``(row, column)`` a problem marks (module docstring)."""
    if pd.isna(problem.row):
        return []
    row = int(problem.row)
    col = getattr(problem, "col", None)
    if col is not None and not pd.isna(col):
        return [(row, int(col))]
    names = [n.strip() for n in str(problem.column).split(" + ")] if problem.column else []
    if header is not None:
        cols = [header.columns[n] for n in names if n in header.columns]
        if cols:
            return [(row, c) for c in dict.fromkeys(cols)]
        if row == header.row and names:
            return [(row, header.width + 1)]
    return [(row, 1)]


def _put(ws, row: int, column: int, value):
    """Write a value; text is stored as an inert string cell (never a formula)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = ws.cell(row, column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.data_type = "s"
        cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _clean(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _remove_old_marks(wb) -> None:
    """Remove the 问题清单 sheet and the comments (and their fills) of an earlier annotation."""
    from openpyxl.styles import PatternFill

    old = [n for n in wb.sheetnames if is_annotation_sheet(n)]
    if not old:
        return
    for name in old:
        wb.remove(wb[name])
    ours = {c.upper() for c in FILLS.values()}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None and cell.comment.author == AUTHOR:
                    cell.comment = None
                    rgb = str(cell.fill.fgColor.rgb or "")[-6:].upper()
                    if rgb in ours:
                        cell.fill = PatternFill(fill_type=None)


def _comment_text(problem, lang: str) -> str:
    lines = [_tf("annotate.comment.rule", lang, rule=_rule_text(problem.rule, lang))]
    if problem.value:
        lines.append(_tf("annotate.comment.value", lang, value=problem.value))
    if problem.hint:
        lines.append(_tf("annotate.comment.hint", lang, hint=problem.hint))
    return _clean("\n".join(lines))


def _problem_sheet(wb, name: str, file_label: str, rows: list[tuple], lang: str) -> None:
    """The 问题清单 sheet, first in the workbook: one row per problem, linked to its cell."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws = wb.create_sheet(name, 0)
    heads = [_t(f"annotate.col.{k}", lang) for k in ("n", "sheet", "cell", "column", "value", "rule", "hint")]
    widths = (6, 14, 12, 18, 18, 22, 60)
    _put(ws, 1, 1, _tf("annotate.title", lang, file=file_label, n=len(rows))).font = Font(bold=True)
    for j, (h, w) in enumerate(zip(heads, widths, strict=True), start=1):
        c = _put(ws, 2, j, h)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDE6F0")
        ws.column_dimensions[get_column_letter(j)].width = w
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, (problem, sheet, cell_ref) in enumerate(rows, start=1):
        r = i + 2
        if cell_ref:
            where = cell_ref
        elif problem.sheet:
            where = _t("annotate.whole_sheet", lang)
        else:
            where = _t("annotate.whole_file", lang)
        values = [i, problem.sheet, where, problem.column, problem.value, _rule_text(problem.rule, lang),
                  problem.hint]
        for j, v in enumerate(values, start=1):
            _put(ws, r, j, v).alignment = wrap
        ws.cell(r, 6).fill = PatternFill("solid", fgColor=FILLS.get(_level(problem), FILLS["error"]))
        if sheet is not None:
            link = ws.cell(r, 3)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{_quoted(sheet)}!{cell_ref or 'A1'}",
                                       display=where)
            link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A3"
    if rows:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(heads))}{len(rows) + 2}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "2:2"


def annotate_workbook(source: str | Path, problems: pd.DataFrame, out: str | Path,
                      catalogue: Catalogue | None = None, lang: str = "zh") -> AnnotatedCopy:
    """Write the marked copy of one workbook.

    Parameters
    ----------
    source
        The ``.xlsx``/``.xlsm`` workbook, read as bytes and never written.
    problems
        Its problems: rows of :meth:`~hemei_tools.inputs.problems.ValidationReport.to_frame`
        (``file``, ``sheet``, ``row``, ``column``, ``value``, ``rule``, ``hint``; ``col`` and
        ``level`` when the report has them).
    out
        The copy to write (atomically); it may not be ``source`` itself.
    catalogue
        For the reader's header rows (default: the packaged catalogue).
    lang
        Language of the problem list and the comments (``zh`` or ``en``; the hints are quoted
        as the report wrote them).

    Returns
    -------
    AnnotatedCopy
    """
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    source, out = Path(source), Path(out)
    if out.resolve() == source.resolve():
        raise ValueError(_tf("cli.annotate.onto_input", lang, path=out))
    data = source.read_bytes()  # read only: the original is never opened for writing
    keep_vba = source.suffix.lower() == ".xlsm" and out.suffix.lower() == ".xlsm"
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, keep_links=True)
    list_sheet = _t("annotate.sheet", lang)
    _remove_old_marks(wb)
    headers: dict[str, _Header] | None = None
    marks: dict[tuple[str, int, int], list] = defaultdict(list)
    listed = []
    for p in problems.itertuples(index=False):
        sheet = p.sheet if p.sheet in wb.sheetnames else None
        cells = []
        if sheet is not None and not pd.isna(p.row):
            col = getattr(p, "col", None)
            if (col is None or pd.isna(col)) and headers is None:
                headers = _headers(source, catalogue or load_catalogue())
            cells = _targets(p, (headers or {}).get(sheet))
        for r, c in cells:
            marks[(sheet, r, c)].append(p)
        ref = f"{get_column_letter(cells[0][1])}{cells[0][0]}" if cells else ""
        listed.append((p, sheet, ref))
    for (sheet, r, c), found in marks.items():
        cell = wb[sheet].cell(r, c)
        level = "error" if any(_level(p) == "error" for p in found) else "warning"
        cell.fill = PatternFill("solid", fgColor=FILLS.get(level, FILLS["error"]))
        text = "\n\n".join(dict.fromkeys(_comment_text(p, lang) for p in found))
        if cell.comment is not None and cell.comment.author != AUTHOR:
            text = cell.comment.text + "\n\n" + text
        lines = text.count("\n") + 1 + len(text) // 40
        cell.comment = Comment(text, AUTHOR, height=min(400, 20 + 16 * lines), width=320)
    _problem_sheet(wb, list_sheet, source.name, listed, lang)
    wb.active = 0
    for ws in wb.worksheets[1:]:
        ws.sheet_view.tabSelected = False
    write_atomic_with(out, lambda tmp: wb.save(tmp))
    return AnnotatedCopy(source, out, len(listed), len(marks))


def annotate_report(report, out: str | Path, catalogue: Catalogue | None = None
                    ) -> tuple[list[AnnotatedCopy], list[str]]:
    """Write a marked copy of every workbook with problems in ``report``.

    ``out`` ending in ``.xlsx``/``.xlsm`` is the copy of the one workbook with problems
    (``ValueError`` if several have problems); otherwise it is a folder (created) that receives
    each copy under its original file name (``-2``, ``-3`` … added if two share a name).

    The problem list and comments are in the report's language (``report.lang``, Chinese by
    default).

    Returns
    -------
    copies, skipped
        The copies written, and the files with problems that are not ``.xlsx`` workbooks (CSV,
        Parquet …), which get no copy.
    """
    lang = getattr(report, "lang", "zh")
    frame = report.to_frame()
    files = [f for f in dict.fromkeys(frame["file"]) if f]
    books = [f for f in files if file_format(f) == "xlsx" and Path(f).is_file()]
    skipped = [f for f in files if f not in books]
    out = Path(out)
    single = out.suffix.lower() in XLSX_SUFFIXES
    if single and len(books) > 1:
        raise ValueError(_tf("cli.annotate.one_file", lang, path=out, n=len(books)))
    targets: dict[str, Path] = {}
    taken: set[str] = set()
    for f in books:
        if single:
            targets[f] = out
            continue
        name, n = Path(f).name, 1
        while name.lower() in taken:
            n += 1
            name = f"{Path(f).stem}-{n}{Path(f).suffix}"
        taken.add(name.lower())
        targets[f] = out / name
    inputs = {Path(f).resolve() for f in files}
    for target in targets.values():
        if target.resolve() in inputs:
            raise ValueError(_tf("cli.annotate.onto_input", lang, path=target))
    copies = [annotate_workbook(f, frame[frame["file"] == f], targets[f], catalogue, lang) for f in books]
    return copies, skipped
