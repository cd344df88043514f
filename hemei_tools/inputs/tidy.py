"""One raw table into a tidy, validated table: cell cleaning, units, dates, village names.

:class:`PieceTidier` maps the headers of a :class:`~hemei_tools.inputs.read.Piece` to the
columns of :data:`hemei_tools.inputs.schema.TABLES`, drops blank and total rows, melts wide
layouts, parses every column once per distinct cell, resolves villages given by name and
validates the result with the pandera schema. Whatever cannot be interpreted becomes a
:class:`~hemei_tools.inputs.problems.Problem`; all cleaning is vectorised over whole columns.

Habits of office ledgers it names rather than guesses:

- bookkeeping columns (序号, 备注, 填报人 …; ``ignored_column`` rows of ``aliases.csv``) are
  ignored and listed in the report; any other unknown column is a ``unknown_column`` warning;
  two headers meaning one column name the column read and the one not read;
- one problem per row and cause: in a wide layout (one column per indicator) a wrong village
  name or code is one problem, not one per indicator column; a repeated row names the row it
  repeats;
- a village name that does not match is diagnosed level by level (county, township, village;
  :func:`~hemei_tools.inputs.names.match_village_names`);
- formula cells without a saved value are an error naming the cells (the table is not read);
- Excel serial dates (45277) in a date column are converted, with a note saying so;
- a percentage indicator or column whose values in a county all lie in [0, 1] with none written
  with a % sign looks like fractions (0.85 for 85 %): ``fraction_not_percent``;
- ``nan``/``null``/``none`` are "no value" only in text columns (the scope of the
  ``placeholder`` rows of ``aliases.csv``); in a number or date column they are a problem.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue
from hemei_tools.inputs.aliases import (
    _YEAR_HEADER,
    PLACEHOLDERS,
    TEXT_PLACEHOLDERS,
    TOTAL_ROW,
    _indicator_lookup,
    _map_unique,
    _map_values,
    _norm,
    _split_unit,
    alternatives,
    load_aliases,
    parse_words,
)
from hemei_tools.inputs.divisions import division_names
from hemei_tools.inputs.names import match_village_names, official_villages, village_stem
from hemei_tools.inputs.problems import RULES, ValidationReport, problem_frame
from hemei_tools.inputs.read import Piece
from hemei_tools.inputs.schema import (
    CODE_DIGITS,
    KEYS,
    SYNTHETIC,
    ColumnSpec,
    column_dtype,
    table_columns,
    validate_frame,
)
from hemei_tools.inputs.table_text import hidden_characters
from hemei_tools.inputs.wording import column_letter, join
from hemei_tools.inputs.wording import template as _tf
from hemei_tools.inputs.wording import text as _t


@dataclass
class TableRead:
    """One tidy table read from one file or sheet.

    Attributes
    ----------
    kind, file, sheet
        Table name, file as given, sheet ("" for CSV/Parquet).
    frame
        The tidy table (columns as in :data:`hemei_tools.inputs.schema.TABLES`).
    rows
        Row of each frame row as the user sees it in the file.
    code_column
        Header of the column the village codes came from (for cross-table problems).
    value_columns
        For a melted wide layout, the header each row's value came from.
    positions, headers
        Position (0-based column) in the file and header as written of each table column read
        from it.
    value_positions
        For a melted wide layout, the position each row's value came from.
    """

    kind: str
    file: str
    sheet: str
    frame: pd.DataFrame
    rows: np.ndarray
    code_column: str = "village_code"
    value_columns: np.ndarray | None = field(default=None, repr=False)
    positions: dict[str, int] = field(default_factory=dict, repr=False)
    value_positions: np.ndarray | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    def column_number(self, column: str) -> int | None:
        """1-based column number of a table column in the file (``None`` if not read from it)."""
        j = self.positions.get(column)
        return None if j is None else j + 1


def _distinct(columns: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of aligned columns (NA is a value) and each one's first row."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        c, uniq = pd.factorize(col, use_na_sentinel=True)
        # re-code after each column so the mixed-radix key never overflows int64
        combined, _ = pd.factorize(combined * (len(uniq) + 1) + (c + 1))
    codes = combined.astype(np.int64)
    # factorize numbers codes in order of first appearance: a code first occurs where the
    # running maximum of the codes rises
    run_max = np.maximum.accumulate(codes) if len(codes) else codes
    first = np.flatnonzero(np.diff(run_max, prepend=-1) > 0)
    return codes, first


def _per_distinct(s: pd.Series, fn) -> np.ndarray:
    """Boolean ``fn`` of a column evaluated once per distinct value (False where NA)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    if not len(uniq):
        return np.zeros(len(s), bool)
    res = np.append(np.asarray(fn(pd.Series(uniq)), dtype=bool), False)
    return res[codes]  # code -1 (NA) picks the appended False


_SLOT = "\x00"
"""Stands for the one value of a message template filled by :func:`_fill`."""


def _fill(message: str, values: pd.Series) -> pd.Series:
    """``message`` (a template filled with :data:`_SLOT` where a value goes) with each of
    ``values`` in its place, vectorised: one hint per row for millions of rows costs one
    template lookup, not one per row."""
    head, _, tail = message.partition(_SLOT)
    return head + values.astype("str") + tail


def _same(a: pd.Series, b: pd.Series) -> bool:
    """True when two distinct-value columns hold the same text (NA equal to NA)."""
    a = a.reset_index(drop=True).astype(object)
    b = b.reset_index(drop=True).astype(object)
    return bool(((a == b) | (a.isna() & b.isna())).all())


# --------------------------------------------------------------------------- cell cleaning

def clean_text(s: pd.Series, normalise: bool = True) -> pd.Series:
    """Clean a column of cell texts (vectorised).

    NFKC (full-width digits and punctuation → ASCII, 　 → space), trim, collapse inner runs of
    whitespace to one space, and turn placeholders (:data:`PLACEHOLDERS`) into NA. Non-text
    columns are returned unchanged.

    Parameters
    ----------
    s
        A column as read (object or string dtype).
    normalise
        Skip NFKC when the caller knows every cell is ASCII (a speed-up for large files).
    """
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return s
    t = s.astype("str")
    if normalise:
        t = t.str.normalize("NFKC")
    t = t.str.strip()
    if normalise:
        t = t.str.replace(r"\s+", " ", regex=True)
    return t.mask(t.str.lower().isin(PLACEHOLDERS))


def parse_numbers(s: pd.Series, unit="", header_unit="", units: dict | None = None
                  ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Turn cleaned cell texts into floats, converting units (vectorised).

    A cell is a number, optionally signed, with optional thousands separators and an optional
    unit suffix: ``12.5``, ``1,200``, ``-3``, ``85%``, ``12.5万元``. A unit in the cell wins over
    the unit in the header; either is converted to the column's ``unit`` with the unit table
    (value in ``unit`` = written value × scale).

    Parameters
    ----------
    s
        Cleaned cells (NA for empty).
    unit
        The column's unit, a string or a Series aligned with ``s`` (e.g. each row's indicator).
    header_unit
        Unit written in the header (``投资（元）`` → ``元``), a string or aligned Series.
    units
        ``(canonical, written) → scale``; default the packaged unit table.

    Returns
    -------
    values, not_number, bad_unit : pandas.Series
        Floats (NaN where empty or broken); True where a non-empty cell is not a number; True
        where its unit cannot be converted to the column's unit.
    """
    units = load_aliases().units if units is None else units
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        v = s.astype("float64")
        no = pd.Series(False, index=s.index)
        return v, no, no.copy()
    t = s.astype("str")
    v = pd.to_numeric(t, errors="coerce").astype("float64")
    v = v.where(np.isfinite(v))
    todo = v.isna() & t.notna()
    if todo.any():
        t = t.copy()
        t[todo] = t[todo].str.replace(r"[,\s]", "", regex=True)
        v[todo] = pd.to_numeric(t[todo], errors="coerce")
        v = v.where(np.isfinite(v))
        todo = v.isna() & t.notna()
    bad = pd.Series(False, index=s.index)
    bad_unit = pd.Series(False, index=s.index)
    written = pd.Series("", index=s.index, dtype="str")
    if todo.any():
        ext = t[todo].str.extract(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(\D+)$")
        num = pd.to_numeric(ext[0], errors="coerce")
        bad[todo] = num.isna()
        ok = todo & ~bad
        v[ok] = num[ok[todo].to_numpy()].to_numpy()
        written[ok] = _map_unique(ext.loc[ok[todo].to_numpy(), 1], _norm).to_numpy()
    hu = header_unit if isinstance(header_unit, pd.Series) else pd.Series(header_unit, index=s.index)
    cu = unit if isinstance(unit, pd.Series) else pd.Series(unit, index=s.index)
    wr = written.where(written != "", _map_unique(hu.fillna("").astype("str"), _norm))
    need = v.notna() & (wr != "")
    if need.any():
        tgt = cu[need].fillna("").astype("str")
        w = wr[need].astype("str")
        by_key = {f"{a}\x1f{b}": f for (a, b), f in units.items()}
        scale = (tgt + "\x1f" + w).map(by_key).astype("float64")
        scale = scale.where(~w.eq(_map_unique(tgt, _norm)), 1.0)
        bad_unit[need] = scale.isna()
        v[need] = v[need] * scale
    return v, bad, bad_unit


_Y, _M, _D = (alternatives(parse_words("date_mark", part)) for part in ("year", "month", "day"))
_DATE_YMD = re.compile(
    rf"^((?:19|20)\d{{2}})\s*(?:[-/.]|{_Y})\s*(\d{{1,2}})\s*(?:(?:[-/.]|{_M})\s*(\d{{1,2}})\s*{_D}?|{_M})?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
"""Year, month and optional day with ``-``, ``/``, ``.`` or the date marks of ``aliases.csv``
(年, 月, 日), optionally followed by a time of day."""
_TASK_ID = re.compile(rf"^{alternatives(parse_words('task_prefix'))}?0*(\d{{1,2}})$")


EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day 0 of Excel's serial dates (1900 date system, counting its fictitious 29 February 1900,
so serial 45277 is 2023-12-17)."""
EXCEL_SERIAL_RANGE = (18264, 73415)
"""Serial numbers read as dates in a date column: 1950-01-01 to 2100-12-31."""
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


def excel_serial_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cells that are Excel serial dates (a date cell that lost its date format: ``45277``).

    A serial date counts days from :data:`EXCEL_EPOCH`::

        date = 1899-12-30 + floor(serial) days,   serial in EXCEL_SERIAL_RANGE

    Returns
    -------
    dates, serial : pandas.Series
        The dates (NaT elsewhere) and True where a cell is such a number.
    """
    t = s.astype("str")
    num = pd.to_numeric(t.where(t.str.match(_SERIAL).fillna(False).astype(bool)), errors="coerce")
    serial = num.between(*EXCEL_SERIAL_RANGE).fillna(False).astype(bool)
    days = np.floor(num.where(serial)).astype("float64")
    dates = (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")
    return dates, serial


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Turn cleaned cells into Timestamps (vectorised).

    Accepted: ``2023-09-01``, ``2023/9/1``, ``2023.9.1``, ``2023年9月1日``, ``2023-09-01 00:00:00``
    (Excel dates), ``20230901``, Excel serial dates ``45277`` (:func:`excel_serial_dates`); a
    month without a day (``2023.9``, ``2023-09``, ``2023年9月``) means its first day.

    Returns
    -------
    dates, bad : pandas.Series
        ``datetime64[ns]`` (NaT where empty or broken) and True where a non-empty cell is not
        such a date (including impossible ones like 2023-13-01).
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]"), pd.Series(False, index=s.index)
    t = s.astype("str")
    parts = t.str.extract(_DATE_YMD)
    compact = t.str.extract(r"^((?:19|20)\d{2})(\d{2})(\d{2})$")
    parts = parts.fillna(compact)
    y = pd.to_numeric(parts[0], errors="coerce")
    m = pd.to_numeric(parts[1], errors="coerce")
    d = pd.to_numeric(parts[2], errors="coerce").fillna(1)
    d = d.where(y.notna())
    frame = pd.DataFrame({"year": y, "month": m, "day": d})
    dates = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    serial_dates, serial = excel_serial_dates(t)
    if serial.any():
        dates = dates.where(~serial, serial_dates)
    bad = t.notna() & dates.isna()
    return dates, bad


def parse_tasks(s: pd.Series) -> pd.Series:
    """Task ids written as T01, T1, 1, 01 or 任务1 → ``T01``; anything else is kept as written."""
    n = s.astype("str").str.extract(_TASK_ID)[0]
    return ("T" + n.str.zfill(2)).where(n.notna(), s.astype("str"))


# --------------------------------------------------------------------------- tidying

def _is_text(c: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(c) or pd.api.types.is_string_dtype(c)


@dataclass
class _Layout:
    """Where the columns of a piece are: known columns, wide indicator and year columns, unknown."""

    cols: dict[str, int] = field(default_factory=dict)
    wide_ind: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    wide_year: dict[int, str] = field(default_factory=dict)
    unknown: dict[int, str] = field(default_factory=dict)


@dataclass
class TidyContext:
    catalogue: Catalogue
    known_codes: frozenset
    report: ValidationReport


class PieceTidier:
    """Turn one raw piece into a tidy, validated table, recording problems on the way."""

    def __init__(self, piece: Piece, kind: str, ctx: TidyContext):
        self.p, self.kind, self.ctx = piece, kind, ctx
        # name columns are read in every table: they identify villages that have no code
        names = tuple(ColumnSpec(c, "text") for c in ("village_name", "township_name", "county_name"))
        self.specs = {s.name: s for s in names + table_columns(kind) + (SYNTHETIC,)}
        self.al = load_aliases()
        self.headers: dict[str, str] = {}
        self.positions: dict[str, int] = {}        # column → its position in the header
        self.header_units: dict[str, str] = {}
        self.reported: dict[str, np.ndarray] = {}
        self.melted: set[str] = set()
        self.valcol: np.ndarray | None = None
        self.valpos: np.ndarray | None = None      # position of each melted row's value column
        self.first_of_row: np.ndarray | None = None  # melted: the first frame row of each file row
        self._hunit: np.ndarray | None = None
        self.explicit_percent: dict[str, np.ndarray] = {}  # cells written with a % sign
        self._explicit_u: dict[str, np.ndarray] = {}
        self.rows = np.zeros(0, dtype=np.int64)   # row of each frame row as the user sees it
        self.raw = pd.DataFrame()                 # the mapped cells as written, before parsing

    # -- problem helpers
    def emit(self, mask, column: str, rule: str, values, hint=None) -> None:
        """One problem per frame row where ``mask`` holds; for a column that is not melted out
        of a wide layout, one per file row (its copies in the other indicator columns repeat
        the same cell)."""
        full = np.asarray(mask, dtype=bool)
        m = full & self.first_of_row if (self.first_of_row is not None and column not in self.melted) else full
        idx = np.flatnonzero(m)
        if len(idx):
            vals = np.asarray(pd.Series(values).astype(object).where(pd.Series(values).notna(), ""))[idx]
            h = np.asarray(hint, dtype=object)[idx] if isinstance(hint, (pd.Series, np.ndarray, list)) else hint
            self.ctx.report.add_frame(problem_frame(self.p.file, self.p.sheet, self.rows[idx],
                                                    self.column_names(column, idx), vals, rule, h,
                                                    self.column_numbers(column, idx)))
        if full.any():
            self.reported[column] = self.reported.get(column, np.zeros(len(full), bool)) | full

    def column_names(self, column: str, idx: np.ndarray):
        if column in self.melted and self.valcol is not None:
            return self.valcol[idx]
        if "+" in column:
            return " + ".join(self.headers.get(c, c) for c in column.split("+"))
        return self.headers.get(column, column)

    def column_numbers(self, column: str, idx: np.ndarray):
        """1-based column numbers of the cells of ``column`` at frame rows ``idx``."""
        if column in self.melted and self.valpos is not None:
            return self.valpos[idx] + 1
        j = self.positions.get(column.split("+")[0])
        return None if j is None else j + 1

    def letter(self, column: str) -> str:
        """Column letter of a mapped column (``C``), "" when it is not in the file."""
        j = self.positions.get(column)
        return "" if j is None else column_letter(j + 1)

    def whole(self, column: str, rule: str, value: str = "", hint=None, col: int | None = None,
              row: int | None = None) -> None:
        self.ctx.report.add(self.p.file, self.p.sheet, self.p.header_row if row is None else row,
                            column, value, rule, hint, col)

    # -- steps
    def run(self) -> TableRead | None:
        frame = self.map_columns()
        if frame is None:
            return None
        if frame.empty:
            self.whole("", "no_rows")
            return None
        frame = self.parse(frame)
        frame = self.resolve_villages(frame)
        frame = self.finish(frame)
        self.check_fractions(frame)
        self.validate(frame)
        return TableRead(self.kind, self.p.file, self.p.sheet, frame, self.rows,
                         self.headers.get("village_code", "village_code"), self.valcol,
                         dict(self.positions), self.valpos, dict(self.headers))

    def map_columns(self) -> pd.DataFrame | None:
        """Map the headers to table columns and keep the data rows (sets :attr:`rows`, :attr:`raw`)."""
        layout = self.classify_headers()
        self.report_unknown_headers(layout)
        used = sorted(set(layout.cols.values()) | set(layout.wide_ind) | set(layout.wide_year))
        if not used:
            self.whole("", "no_header")
            return None
        total = self.total_rows(layout.cols)
        if self.p.formulas and self.report_formulas(used, total):
            return None
        body = self.p.body[~(self.blank_rows(used) | total)]
        frame = pd.DataFrame({c: body[j].reset_index(drop=True) for c, j in layout.cols.items()},
                             index=pd.RangeIndex(len(body)))
        rows = body.index.to_numpy()
        # wide layouts → long observations
        if self.kind == "observations" and "value" not in layout.cols and (layout.wide_ind or layout.wide_year):
            frame, rows = self.melt(frame, body, rows, layout.wide_ind, layout.wide_year, layout.cols)
        self.rows = np.asarray(rows)
        if self.melted:
            self.first_of_row = np.r_[True, self.rows[1:] != self.rows[:-1]] if len(self.rows) else np.zeros(0, bool)
        self.raw = frame.reset_index(drop=True)
        self.add_missing_columns(frame)
        return frame.reset_index(drop=True)

    def duplicate_column(self, j: int, first: int, meaning: str) -> None:
        """Two headers mean one column: the first is read, the other (at position ``j``) is not."""
        header = str(self.p.header[j]).strip()
        self.whole(header, "duplicate_column", header, col=j + 1, hint=_tf(
            "input.hint.duplicate_column", header=header, letter=column_letter(j + 1),
            first=str(self.p.header[first]).strip(), first_letter=column_letter(first + 1), meaning=meaning))

    def classify_headers(self) -> _Layout:
        """Sort every header: a known column, an indicator or a year (wide layouts), a
        bookkeeping column (ignored and listed), or unknown."""
        kind, aliases = self.kind, self.al.columns[self.kind]
        ind = _indicator_lookup(self.ctx.catalogue)
        layout = _Layout()
        for j, h in enumerate(self.p.header):
            key = _norm(h)
            if not key:
                continue
            base, unit = _split_unit(key)
            canon = aliases.get(key) or aliases.get(base)
            if canon:
                if canon in layout.cols:
                    self.duplicate_column(j, layout.cols[canon], canon)
                    continue
                layout.cols[canon] = j
                self.positions[canon] = j
                self.headers[canon] = str(h).strip()
                self.header_units[canon] = "" if aliases.get(key) else unit
            elif kind == "observations" and (key in ind or base in ind):
                iid, _ = ind.get(key) or ind[base]
                first = next((i for i, v in layout.wide_ind.items() if v[0] == iid), None)
                if first is not None:
                    self.duplicate_column(j, first, iid)
                    continue
                layout.wide_ind[j] = (iid, "" if key in ind else unit, str(h).strip())
            elif kind == "observations" and _YEAR_HEADER.fullmatch(key):
                year = _YEAR_HEADER.fullmatch(key).group(1)
                first = next((i for i, y in layout.wide_year.items() if y == year), None)
                if first is not None:
                    self.duplicate_column(j, first, year)
                    continue
                layout.wide_year[j] = year
            elif self.al.is_ignored(kind, key):
                self.ctx.report.ignore_column(self.p.file, self.p.sheet, str(h).strip())
            else:
                layout.unknown[j] = str(h).strip()
        return layout

    def report_unknown_headers(self, layout: _Layout) -> None:
        """Every unknown header is a warning (its column is not read), with the closest known
        indicator or column when one is close: a misspelt header loses its data."""
        aliases = self.al.columns[self.kind]
        wide = self.kind == "observations" and layout.wide_ind and "value" not in layout.cols
        names = self.ctx.catalogue.indicators["name_zh"].tolist() if wide else []
        known = [a for a in aliases if len(a) > 1]
        for j, header in layout.unknown.items():
            base = _split_unit(_norm(header))[0]
            if wide:  # in a one-column-per-indicator layout it may be a misspelt indicator
                close = difflib.get_close_matches(base, names, n=3, cutoff=0.5)
                hint = (_tf("input.hint.unknown_indicator_column", closest=join(close)) if close
                        else _t("input.rule.unknown_column"))
            else:
                close = difflib.get_close_matches(base, known, n=1, cutoff=0.75)
                hint = (_tf("input.hint.unknown_column_close", closest=close[0], column=aliases[close[0]])
                        if close and aliases[close[0]] not in layout.cols else _t("input.rule.unknown_column"))
            self.whole(header, "unknown_column", header, hint=hint, col=j + 1)

    def blank_rows(self, used: list[int]) -> np.ndarray:
        """Rows blank in every used column."""
        body = self.p.body
        blank = np.ones(len(body), bool)
        for j in used:
            c = body[j]
            blank &= (_per_distinct(c, lambda u: u.astype("str").str.strip().eq("")) if _is_text(c)
                      else np.zeros(len(c), bool)) | c.isna().to_numpy()
        return blank

    def total_rows(self, cols: dict[str, int]) -> np.ndarray:
        """合计/总计/小计 rows: not data."""
        body = self.p.body
        total = np.zeros(len(body), bool)
        for j in dict.fromkeys(list(body.columns[:3]) + [cols[c] for c in (
                "village_code", "village_name", "township_name", "county_name") if c in cols]):
            if _is_text(body[j]):
                total |= _per_distinct(body[j], lambda u: u.astype("str").str.normalize("NFKC").str.replace(
                    r"\s+", "", regex=True).str.match(TOTAL_ROW).fillna(False).astype(bool))
        return total

    def data_rows(self, used: list[int], cols: dict[str, int]) -> np.ndarray:
        """Rows that are data: not blank in every used column, not a 合计/总计 row."""
        return ~(self.blank_rows(used) | self.total_rows(cols))

    def report_formulas(self, used: list[int], total: np.ndarray) -> bool:
        """Formula cells without a saved value in the read columns of data rows: one problem per
        row naming its cells. True when there are any (the table is then not read: its numbers
        are unknown)."""
        keep = set(self.p.body.index[~total])
        used_set = set(used)
        hits: dict[int, list[tuple[int, str]]] = {}
        for (r, j), formula in sorted(self.p.formulas.items()):
            if r in keep and j in used_set:
                hits.setdefault(r, []).append((j, formula))
        for r, cells in hits.items():
            refs = [f"{column_letter(j + 1)}{r}" for j, _ in cells]
            heads = [str(self.p.header[j]).strip() if j < len(self.p.header) else column_letter(j + 1)
                     for j, _ in cells]
            self.whole(" + ".join(heads), "formula_without_value", cells[0][1], row=r, col=cells[0][0] + 1,
                       hint=_tf("input.hint.formula_without_value", cells=join(refs)))
        return bool(hits)

    def add_missing_columns(self, frame: pd.DataFrame) -> None:
        """A required column missing from the file is one problem; it is added empty."""
        for spec in self.specs.values():
            if spec.required and spec.name not in frame.columns:
                if spec.name == "village_code" and "village_name" in frame.columns:
                    continue
                accepted = join(self.al.headers_of(self.kind, spec.name)[:6])
                self.whole(spec.name, "missing_column",
                           hint=_tf("input.hint.missing_column", column=spec.name, accepted=accepted))
                frame[spec.name] = pd.Series([None] * len(frame), dtype=object)
                self.reported[spec.name] = np.ones(len(frame), bool)

    def melt(self, frame, body, rows, wide_ind, wide_year, cols):
        parts, part_rows, part_cols, part_pos = [], [], [], []
        if wide_ind and "indicator_id" not in cols:
            for j, (iid, unit, header) in wide_ind.items():
                parts.append(frame.assign(indicator_id=iid, value=body[j].reset_index(drop=True), _hunit=unit))
                part_rows.append(rows)
                part_cols.append(np.full(len(frame), header, dtype=object))
                part_pos.append(np.full(len(frame), j, dtype=np.int64))
            self.melted = {"value", "indicator_id"}
        elif wide_year and "year" not in cols:
            for j, year in wide_year.items():
                parts.append(frame.assign(year=year, value=body[j].reset_index(drop=True), _hunit=""))
                part_rows.append(rows)
                part_cols.append(np.full(len(frame), str(self.p.header[j]).strip(), dtype=object))
                part_pos.append(np.full(len(frame), j, dtype=np.int64))
            self.melted = {"value", "year"}
        else:
            return frame, rows
        long = pd.concat(parts, ignore_index=True)
        rows = np.concatenate(part_rows)
        valcol = np.concatenate(part_cols)
        valpos = np.concatenate(part_pos)
        present = clean_text(long["value"], not self.p.ascii).notna().to_numpy() if (
            pd.api.types.is_object_dtype(long["value"]) or pd.api.types.is_string_dtype(long["value"])
        ) else long["value"].notna().to_numpy()
        order = np.lexsort((np.arange(len(long)), rows))  # keep the user's row order
        keep = order[present[order]]
        self.valcol = valcol[keep]
        self.valpos = valpos[keep]
        self.header_units["value"] = ""
        self._hunit = long["_hunit"].to_numpy()[keep]
        return long.drop(columns="_hunit").iloc[keep].reset_index(drop=True), rows[keep]

    def parse(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Clean and type every column; cells that cannot be read become problems.

        Each column is parsed once per distinct cell (with its indicator and header unit where
        they matter) and the result broadcast back: long files repeat few distinct values.
        """
        out = {}
        names = sorted(frame.columns, key=lambda c: c != "indicator_id")  # value needs the ids
        for name in names:
            spec = self.specs.get(name)
            if spec is None:
                continue
            keys = {"raw": frame[name]}
            if spec.kind == "value":
                keys["iid"] = out.get("indicator_id", pd.Series(pd.NA, index=frame.index, dtype="str"))
                if name in self.melted and self._hunit is not None:
                    keys["hunit"] = pd.Series(self._hunit, index=frame.index)
            codes, first = _distinct(list(keys.values()))
            u = pd.DataFrame({k: v.iloc[first].to_numpy() for k, v in keys.items()})
            parsed, problems = self.parse_distinct(name, spec, u)
            if name in self._explicit_u:
                self.explicit_percent[name] = self._explicit_u.pop(name)[codes]
            for rule, (mask_u, hint_u) in problems.items():
                mask = np.asarray(mask_u, dtype=bool)[codes]
                hint = np.asarray(hint_u, dtype=object)[codes] if isinstance(hint_u, (pd.Series, np.ndarray)) else hint_u
                if rule == "serial_dates":
                    self.note_serial_dates(name, mask, hint)
                    continue
                self.emit(mask, name, rule, frame[name], hint)
            if spec.kind in ("text",) + tuple(CODE_DIGITS) and _same(parsed, u["raw"]):
                out[name] = frame[name].reset_index(drop=True)  # already clean: keep as read
            else:
                out[name] = parsed.take(codes).reset_index(drop=True)
        return pd.DataFrame(out)

    def note_serial_dates(self, name: str, mask: np.ndarray, examples: np.ndarray) -> None:
        """One note per date column holding Excel serial dates: they were converted."""
        if not mask.any():
            return
        first = int(np.flatnonzero(mask)[0])
        j = self.positions.get(name)
        self.whole(self.headers.get(name, name), "serial_dates", examples[first], col=None if j is None else j + 1,
                   hint=_tf("input.hint.serial_dates", n=int(mask.sum()), example=examples[first]))

    def parse_distinct(self, name: str, spec, u: pd.DataFrame) -> tuple[pd.Series, dict]:
        """Parse distinct cells ``u["raw"]``; return values and ``{rule: (mask, hint)}``."""
        s = clean_text(u["raw"], not self.p.ascii)
        k = spec.kind
        problems: dict = {}
        binary_values = self.al.values.get("*.binary", {})
        if k == "indicator":
            ind = _indicator_lookup(self.ctx.catalogue)
            ids = _map_unique(s, lambda x: ind.get(_norm(x), ind.get(_split_unit(_norm(x))[0], (None,)))[0])
            return ids.where(ids.notna(), s).astype("str"), problems
        if k in CODE_DIGITS:
            return s.astype("str").str.replace(r"\.0$", "", regex=True), problems
        if k == "text":
            s = s.astype("str")
            s = s.mask(s.str.lower().isin(TEXT_PLACEHOLDERS))  # nan, null: no value in text
            # control, zero-width and bidi-override characters are never kept silently
            found = [hidden_characters(x) if isinstance(x, str) else [] for x in s]
            if any(found):
                problems["hidden_characters"] = (
                    np.array([bool(c) for c in found]),
                    np.array([f"{RULES['hidden_characters']}: {', '.join(c)}" for c in found], dtype=object))
            return s, problems
        if k == "enum":
            return _map_values(s, self.al.values.get(f"{self.kind}.{name}", {})).astype("str"), problems
        if k == "task":
            return parse_tasks(s).where(s.notna()).astype("str"), problems
        if k == "date":
            v, bad = parse_dates(s)
            serial_dates, serial = excel_serial_dates(s)
            problems["bad_date"] = (bad, None)
            if serial.any():
                examples = s.astype(object) + " → " + serial_dates.dt.strftime("%Y-%m-%d").astype(object)
                problems["serial_dates"] = (serial, examples.where(serial, "").to_numpy(dtype=object))
            return v, problems
        if k == "bool":
            m = _map_values(s, binary_values)
            v = _map_unique(m, _norm).map({"1": True, "0": False, "1.0": True, "0.0": False})
            problems["not_boolean"] = (s.notna() & v.isna(), None)
            return v.fillna(False).astype(bool), problems
        target = spec.unit
        hunit = self.header_units.get(name, "")
        if k == "binary":
            s = _map_values(s, binary_values)
        if k == "value":
            cat = self.ctx.catalogue.indicators.set_index("indicator_id")
            target = u["iid"].map(cat["unit"])
            is_bin = u["iid"].map(cat["value_type"]).eq("binary").fillna(False).astype(bool)
            words = is_bin & s.notna() & pd.to_numeric(s, errors="coerce").isna()
            if words.any():
                s = s.where(~words, _map_values(s.where(words), binary_values))
            if "hunit" in u.columns:
                hunit = u["hunit"]
        t = s.astype("str") if _is_text(s) else None  # distinct cells: cheap
        if k in ("value", "percent"):
            self._explicit_u[name] = (t.str.contains("%", regex=False).fillna(False).astype(bool).to_numpy()
                                      if t is not None else np.zeros(len(s), bool))
        v, bad, bad_unit = parse_numbers(s, target, hunit, self.al.units)
        program_na = (bad & t.str.lower().isin(TEXT_PLACEHOLDERS).fillna(False).astype(bool)).to_numpy() \
            if t is not None else np.zeros(len(s), bool)
        problems["not_a_number"] = (bad, np.where(program_na, _t("input.hint.nan_value"),
                                                  RULES["not_a_number"]).astype(object))
        unit_hint = (_tf("input.hint.unit", unit=target) if isinstance(target, str) and target
                     else _t("input.hint.indicator_unit"))
        problems["unknown_unit"] = (bad_unit & ~bad, unit_hint)
        if k in ("year", "count"):
            frac = v.notna() & ((v % 1 != 0) | (v.abs() > 2**53))  # 2**53: exact in float64
            problems["not_an_integer"] = (frac, None)
            v = v.where(~frac)
        return v, problems

    def resolve_villages(self, frame: pd.DataFrame) -> pd.DataFrame:
        if "village_name" not in frame.columns:
            return frame
        code = frame["village_code"] if "village_code" in frame.columns else pd.Series(pd.NA, index=frame.index)
        need = code.isna() & frame["village_name"].notna()
        if "village_code" in self.reported:
            need &= ~pd.Series(self.reported["village_code"], index=frame.index)
        self.check_names(frame, code, need)
        if not need.any():
            return frame
        m = match_village_names(frame.loc[need])
        code = code.astype(object)
        code[need] = m["village_code"]
        frame["village_code"] = code.astype("str")
        bad = pd.Series(False, index=frame.index)
        hint = pd.Series("", index=frame.index, dtype=object)
        hint[need] = m["hint"].to_numpy()
        level = pd.Series("", index=frame.index, dtype=object)
        level[need] = m["level"].fillna("").to_numpy()
        for rule, status, lvl, column in (
                ("unmatched_county", "unmatched", "county", "county_name"),
                ("unmatched_township", "unmatched", "township", "township_name"),
                ("unmatched_village", "unmatched", "village", "village_name"),
                ("ambiguous_village", "ambiguous", "", "village_name")):
            mask = pd.Series(False, index=frame.index)
            mask[need] = m["match"].eq(status).to_numpy()
            if status == "unmatched":
                mask &= level.eq(lvl)
            if mask.any():
                self.emit(mask, column, rule, frame[column], hint)
            bad |= mask
        self.reported["village_code"] = self.reported.get("village_code", np.zeros(len(frame), bool)) | bad.to_numpy()
        return frame

    def check_names(self, frame: pd.DataFrame, code: pd.Series, need: pd.Series) -> None:
        """A village given by code and by name must be the same village (a typo in a code
        otherwise silently moves data to another village)."""
        off = official_villages().set_index("village_code")
        both = (~need & code.notna() & frame["village_name"].notna()).to_numpy()
        if not both.any():
            return
        c = code[both].astype("str")
        official_stem = c.map(off["vs"])
        given = village_stem(frame.loc[both, "village_name"])
        bad = official_stem.notna() & given.ne(official_stem).fillna(False)
        mask = np.zeros(len(frame), bool)
        mask[np.flatnonzero(both)[bad.to_numpy()]] = True
        hint = pd.Series("", index=frame.index, dtype=object)
        wrong = c[bad.to_numpy()]
        text = {k: _tf("input.hint.name_code_mismatch", code=k, place=_tf(
            "input.place.village", name=off.at[k, "short"], township=off.at[k, "township_name"],
            county=off.at[k, "county_name"])) for k in wrong.unique()}
        hint[mask] = wrong.map(text).to_numpy()
        self.emit(mask, "village_name", "name_code_mismatch", frame["village_name"], hint)

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        n = len(frame)
        if self.kind == "villages" and "village_code" in frame.columns:
            off = official_villages().set_index("village_code")
            known = frame["village_code"].isin(off.index)
            for col, src in (("village_name", "short"), ("township_code", "township_code"),
                             ("township_name", "township_name"), ("county_code", "county_code"),
                             ("county_name", "county_name")):
                fill = frame["village_code"].map(off[src]).where(known)
                frame[col] = (frame[col].where(frame[col].notna(), fill) if col in frame.columns else fill)
        out = {}
        specs = list(table_columns(self.kind)) + ([SYNTHETIC] if "synthetic" in frame.columns else [])
        for spec in specs:
            dtype = column_dtype(spec)
            if spec.name not in frame.columns:
                out[spec.name] = _cast(pd.Series([None] * n, dtype=object), dtype)
                continue
            s = frame[spec.name]
            out[spec.name] = _cast(s, dtype)
        return pd.DataFrame(out)

    def check_fractions(self, frame: pd.DataFrame) -> None:
        """Percentages typed as fractions: in a county (the first six digits of the village
        code; the whole table where there is none), a percentage indicator or column whose
        values all lie in [0, 1], at least one above 0, none written with a % sign, is one
        ``fraction_not_percent`` problem (0.85 where 85 is meant would read as 0.85 %)."""
        cat = self.ctx.catalogue.indicators
        percent_ids = set(cat.loc[cat["value_type"].eq("percent"), "indicator_id"])
        checks = []
        if self.kind == "observations" and "value" in self.explicit_percent:
            checks.append(("value", frame["indicator_id"].isin(percent_ids).to_numpy(), frame["indicator_id"]))
        for spec in table_columns(self.kind):
            if spec.kind == "percent" and spec.name in self.explicit_percent:
                checks.append((spec.name, np.ones(len(frame), bool), pd.Series(spec.name, index=frame.index)))
        if not checks or "village_code" not in frame.columns:
            return
        county = frame["village_code"].astype("str").str.slice(0, 6).fillna("")
        for name, sel, what in checks:
            v = frame[name].astype("float64")
            sel = sel & v.notna().to_numpy()
            if not sel.any():
                continue
            g = pd.DataFrame({"county": county[sel], "what": what[sel].astype(str), "v": v[sel],
                              "pct": self.explicit_percent[name][sel], "i": np.flatnonzero(sel)})
            agg = g.groupby(["county", "what"], sort=False).agg(
                lo=("v", "min"), hi=("v", "max"), pct=("pct", "any"), n=("v", "size"), first=("i", "min"))
            flagged = agg[(agg["lo"] >= 0) & (agg["hi"] <= 1) & (agg["hi"] > 0) & ~agg["pct"]]
            names = division_names()
            for (cty, _), r in flagged.iterrows():
                i = int(r["first"])
                example = float(v.iloc[i])
                hint = _tf("input.hint.fraction_not_percent", n=int(r["n"]), scope=names.get(cty, cty) or self.p.file,
                           example=f"{example:g}", fixed=f"{round(example * 100, 8):g}")
                if self.p.source == "calamine":
                    hint += _t("input.hint.fraction_no_format")
                idx = np.array([i])
                self.ctx.report.add_frame(problem_frame(
                    self.p.file, self.p.sheet, self.rows[idx], self.column_names(name, idx), f"{example:g}",
                    "fraction_not_percent", hint, self.column_numbers(name, idx)))

    def validate(self, frame: pd.DataFrame) -> None:
        fails = validate_frame(self.kind, frame, self.ctx.catalogue, self.ctx.known_codes)
        if fails.empty:
            return
        idx = fails["index"].to_numpy(dtype=int)
        seen = np.zeros(len(fails), bool)
        for col, mask in self.reported.items():
            hit = fails["column"].eq(col).to_numpy()
            seen |= hit & mask[idx]
        if seen.any():
            fails = fails[~seen]
        dup = fails["rule"].isin(["duplicate_key", "duplicate_id"]).to_numpy()
        repeats = self.repeated_rows(frame, fails[dup]) if dup.any() else fails.iloc[0:0]
        fails = fails[~dup]
        if self.first_of_row is not None and len(fails):
            # one problem per file row and cause for the columns the wide layout repeats
            i = fails["index"].to_numpy(dtype=int)
            keep = fails["column"].isin(self.melted).to_numpy() | self.first_of_row[i]
            fails = fails[keep]
        for part in (fails, repeats):  # millions of repeated rows: no copy of a part that is one group
            groups = part.groupby([part["column"].astype(object), part["rule"].astype(object)], sort=False).indices
            for (col, rule), ix in groups.items():
                sub = part if len(ix) == len(part) else part.iloc[ix]
                i = sub["index"].to_numpy(dtype=int)
                names = self.column_names(col, i)
                values = sub["value"]
                if col in self.raw.columns:  # show the cell as written, not as parsed
                    values = values.to_numpy(dtype=object)
                    written = self.raw[col].to_numpy(dtype=object)[i]
                    has = pd.notna(written)
                    values[has] = written[has]
                self.ctx.report.add_frame(problem_frame(self.p.file, self.p.sheet, self.rows[i], names,
                                                        values, rule, sub["hint"], self.column_numbers(col, i)))

    def repeated_rows(self, frame: pd.DataFrame, fails: pd.DataFrame) -> pd.DataFrame:
        """Repeated keys as one problem per repeating row, naming the row it repeats (the first
        row with the same key); the first row itself is not a problem."""
        codes, firsts = _distinct([frame[k] for k in KEYS[self.kind]])
        first = firsts[codes]  # codes count distinct keys in order of first appearance
        i = fails["index"].to_numpy(dtype=int)
        f = first[i]
        keep = (f != i) & (self.rows[f] != self.rows[i])
        out = fails[keep].copy()
        out["hint"] = _fill(_tf("input.hint.repeated_row", row=_SLOT), pd.Series(self.rows[f[keep]], index=out.index))
        # a row of a wide layout repeats in each of its indicator columns: name it once
        return out[~pd.Series(self.rows[i[keep]]).duplicated().to_numpy()]


def _cast(s: pd.Series, dtype: str) -> pd.Series:
    if dtype == "str":
        if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
            return s
        return s.astype(object).where(s.notna(), None).astype("str")
    if dtype == "int64":
        s = s.astype("float64").astype("Int64")
        return s.astype("int64") if s.notna().all() else s
    if dtype == "datetime64[ns]":
        return pd.to_datetime(s).astype("datetime64[ns]")
    if dtype == "bool":
        return s.fillna(False).astype(bool)
    return s.astype(dtype)

