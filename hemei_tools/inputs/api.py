"""Read village ledgers as offices really send them, into validated tidy tables.

Files: CSV (UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030, detected), ``.xlsx``/``.xlsm``, the
legacy and other workbooks ``.xls``/``.xlsb``/``.ods`` (python-calamine) and Parquet; one table
per file, or one workbook with sheets named 村庄名录 / 指标数据 / 项目台账 / 申报村 (or villages /
observations / projects / applicants). The table of a file is known from its sheet name, its
file name, or else its header.

Quirks handled (all name mappings are data, in ``catalogue/aliases.csv``):

- Chinese headers and synonyms (村名 / 村庄名称 / 行政村 → ``village_name`` …), units in headers
  (投资（万元）) and in cells (12.5万元, 85%, 1,200), converted with the unit table;
- one or two title rows above the header (the header is the row matching most known headers);
- 合计 / 总计 / 小计 rows (not data, dropped) and blank rows;
- full-width digits and punctuation (NFKC), stray spaces, placeholders for missing values
  (—, -, /, 空, 无, N/A, NA, blank) → NA;
- wide layouts: one column per indicator (by id or Chinese name) or one column per year,
  melted to the long ``observations`` form;
- dates as 2023-09-01, 2023/9/1, 2023.9, 2023年9月, 20230901 → Timestamps;
- villages named instead of coded: county / township / village names are matched to the
  official list (横山村 ↔ 横山村委会; the township settles repeated names).

Whatever cannot be interpreted becomes a :class:`~hemei_tools.inputs.problems.Problem` naming the file,
sheet, row as the user sees it, column, value, rule and a hint, never a silent guess. All
cleaning is vectorised over whole columns. Input files are only ever opened for reading.

Public functions: :func:`read_villages`, :func:`read_observations`, :func:`read_projects`,
:func:`read_applicants` (strict: raise :class:`~hemei_tools.inputs.problems.DataValidationError`),
:func:`read_tables` (lenient: tables plus a report), and the cleaning helpers
:func:`clean_text`, :func:`parse_numbers`, :func:`parse_dates`, :func:`match_village_names`.

The work is split by step: :mod:`~hemei_tools.inputs.formats` (which files),
:mod:`~hemei_tools.inputs.aliases` (names as offices write them), :mod:`~hemei_tools.inputs.read`
(raw tables out of files), :mod:`~hemei_tools.inputs.tidy` (cleaning and validation) and
:mod:`~hemei_tools.inputs.names` (villages given by name); this module is the public face.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.inputs.aliases import PLACEHOLDERS, load_aliases
from hemei_tools.inputs.formats import file_format
from hemei_tools.inputs.names import match_village_names, official_codes
from hemei_tools.inputs.problems import DataValidationError, ValidationReport
from hemei_tools.inputs.read import Piece, read_pieces
from hemei_tools.inputs.tidy import (
    PieceTidier,
    TableRead,
    TidyContext,
    clean_text,
    parse_dates,
    parse_numbers,
    parse_tasks,
)
from hemei_tools.inputs.unfilled import filled_part
from hemei_tools.inputs.wording import language
from hemei_tools.inputs.wording import template as _tf


def tidy_piece(piece: Piece, catalogue: Catalogue, known_codes: frozenset, report: ValidationReport
               ) -> TableRead | None:
    """Tidy and validate one raw table; problems go to ``report``.

    In a fill-in template (:mod:`~hemei_tools.inputs.unfilled`) the rows not filled in yet are
    not data: they are dropped first, and a sheet with none filled in yields no table.
    """
    piece = filled_part(piece)
    if piece is None:
        return None
    try:
        return PieceTidier(piece, piece.kind, TidyContext(catalogue, known_codes, report)).run()
    except Exception as err:  # noqa: BLE001 - bad data must never surface as a traceback
        report.add(piece.file, piece.sheet, None, "", "", "unreadable_file",
                   _tf("input.hint.could_not_interpret", error=f"{type(err).__name__}: {err}"))
        return None


def read_tables(path: str | Path, kind: str | None = None, catalogue: Catalogue | None = None,
                lang: str | None = None, sheets: Iterable[str] = ()
                ) -> tuple[list[TableRead], ValidationReport]:
    """Read every table of one file, leniently.

    Parameters
    ----------
    path
        A CSV, workbook (.xlsx, .xlsm, .xls, .xlsb, .ods) or Parquet file.
    kind
        Force the table (``villages`` …); by default from the sheet name, file name or header.
    catalogue
        Catalogue for indicator ids and ranges (default: the packaged one).
    lang
        Language of the messages (``"zh"`` or ``"en"``; default the current one, Chinese).
    sheets
        Sheets to read besides those named after a table, hidden ones included.

    Returns
    -------
    tables, report
        The tidy tables found (possibly with rows that broke rules) and every problem.
    """
    with language(lang):
        return _read_tables(path, kind, catalogue, tuple(sheets))


def _read_tables(path, kind, catalogue, sheets) -> tuple[list[TableRead], ValidationReport]:
    catalogue = catalogue or load_catalogue()
    report = ValidationReport()
    pieces, _ = read_pieces(path, kind, catalogue, report, sheets)
    codes = official_codes()
    out = []
    for p in pieces:
        if kind and p.kind != kind:
            continue
        t = tidy_piece(p, catalogue, codes, report)
        if t is not None:
            out.append(t)
    return out, report


def _read_strict(path: str | Path, kind: str, catalogue: Catalogue | None) -> pd.DataFrame:
    tables, report = read_tables(path, kind, catalogue)
    if not tables and report.ok:
        report.add(str(path), "", None, "", "", "missing_sheets", _tf("input.hint.no_table", table=kind))
    if not report.ok:
        raise DataValidationError(report)
    return pd.concat([t.frame for t in tables], ignore_index=True)


def read_villages(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read and validate a village list (村庄名录): one row per village, see ``docs/design.md``.

    Township and county codes and names missing from the file are filled in from the official
    list by village code. Raises :class:`~hemei_tools.inputs.problems.DataValidationError` listing
    every problem.
    """
    return _read_strict(path, "villages", catalogue)


def read_observations(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read and validate indicator data (指标数据) in long or wide layout → long observations.

    Values are in the indicator's catalogue unit (cells in other units are converted); 0/1
    indicators accept 是/否. Raises :class:`~hemei_tools.inputs.problems.DataValidationError`.
    """
    return _read_strict(path, "observations", catalogue)


def read_projects(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read and validate a project ledger (项目台账); money in 万元, dates as Timestamps.

    Raises :class:`~hemei_tools.inputs.problems.DataValidationError`.
    """
    return _read_strict(path, "projects", catalogue)


def read_applicants(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read and validate the boutique-village applicant list (精品示范村申报).

    Raises :class:`~hemei_tools.inputs.problems.DataValidationError`.
    """
    return _read_strict(path, "applicants", catalogue)


READERS = {"villages": read_villages, "observations": read_observations,
           "projects": read_projects, "applicants": read_applicants}
"""Strict readers by table name."""

__all__ = ["PLACEHOLDERS", "READERS", "TableRead", "clean_text", "file_format", "load_aliases",
           "match_village_names", "official_codes", "parse_dates", "parse_numbers", "parse_tasks",
           "read_applicants", "read_observations", "read_projects", "read_tables", "read_villages"]
