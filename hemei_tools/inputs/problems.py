"""Problems found in input files, and the report that collects them.

A :class:`Problem` names one thing a user must fix: the file, the sheet, the row **as the user
sees it** (1-based, counting title rows and the header, i.e. the Excel row number or the CSV
line number), the column header as written in the file and its column number (so the cell is
known: ``C7``), the offending value, the rule it breaks, a hint saying how to fix it, and its
level: an ``error`` makes the data invalid, a ``warning`` is listed but does not (unless
``hemei validate --strict``), a ``note`` says what the reader did on the user's behalf (an
Excel serial date converted, identical rows of two files combined). A
:class:`ValidationReport` collects every problem of a run in one pass; internally it holds
frames, so millions of failing cells cost no Python loop. It also lists the bookkeeping columns
it ignored (序号, 备注, 填报人 …; ``ignored_column`` rows of ``aliases.csv``).

Rules are named by short ids (:data:`RULE_IDS`). Their wording is data: the title of a rule
(the 问题 column) is the label ``input.problem.<rule>`` and its default hint (the 修改建议
column) the label ``input.rule.<rule>`` of ``catalogue/labels.csv``, in the language of the
validation (:mod:`hemei_tools.inputs.wording`: Chinese unless ``lang="en"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.errors import HemeiError
from hemei_tools.exports import write_csv_parts
from hemei_tools.inputs.table_text import text_table
from hemei_tools.inputs.wording import column_letter, current, language
from hemei_tools.inputs.wording import template as _tf
from hemei_tools.inputs.wording import text as _t

COLUMNS = ("file", "sheet", "row", "column", "value", "rule", "hint")
"""The fields of a problem every caller relies on (a frame of :meth:`ValidationReport.to_frame`
has these, then :data:`EXTRA_COLUMNS`)."""
EXTRA_COLUMNS = ("col", "level")
"""Added fields: ``col`` the 1-based column number of the cell (``<NA>`` when the problem is not
about one column) and ``level`` (:data:`LEVELS`)."""
LEVELS = ("error", "warning", "note")
"""Levels of a problem, most serious first."""

RULE_IDS: tuple[str, ...] = (
    # files and sheets
    "unreadable_file", "unsupported_format", "not_text", "malformed_csv", "empty_file", "no_rows",
    "missing_sheets", "hidden_sheet", "formula_without_value", "cell_too_large", "unknown_table",
    "no_header", "file_too_large", "content_too_large",
    # columns
    "missing_column", "unknown_column", "duplicate_column",
    # cells
    "unknown_unit", "not_a_number", "not_an_integer", "bad_date", "serial_dates", "not_boolean",
    "bad_code", "unknown_village_code", "unknown_indicator", "unknown_task", "out_of_range",
    "not_binary", "negative", "bad_value", "missing_value", "fraction_not_percent",
    "hidden_characters", "implausible_value",
    # rows
    "duplicate_key", "duplicate_id", "date_order",
    # names of places
    "unmatched_county", "unmatched_township", "unmatched_village", "ambiguous_village",
    "name_code_mismatch",
    # across files and tables
    "conflicting_value", "repeated_rows", "village_not_listed", "county_not_listed",
    "no_villages_table", "bad_metadata",
)
"""Every rule id, in the order of the documentation."""

RULE_LEVELS: dict[str, str] = {
    "unknown_column": "warning", "hidden_sheet": "warning", "no_villages_table": "warning",
    "serial_dates": "note", "repeated_rows": "note",
}
"""Rules that are not errors (every other rule is an ``error``)."""


class _RuleHints(Mapping):
    """Default hint of each rule in the current language: ``RULES["not_a_number"]``."""

    def __getitem__(self, rule: str) -> str:
        if rule not in RULE_IDS:
            raise KeyError(rule)
        return _t(f"input.rule.{rule}")

    def __iter__(self) -> Iterator[str]:
        return iter(RULE_IDS)

    def __len__(self) -> int:
        return len(RULE_IDS)

    def __contains__(self, rule: object) -> bool:
        return rule in RULE_IDS


RULES: Mapping[str, str] = _RuleHints()
"""Rule id → its default hint, read from ``labels.csv`` in the current language."""


def rule_title(rule: str, lang: str | None = None) -> str:
    """What a rule's problem is called (the 问题 column): ``不是数字`` / ``not a number``."""
    with language(lang):
        return _t(f"input.problem.{rule}")


def rule_level(rule: str) -> str:
    """``error``, ``warning`` or ``note`` (:data:`RULE_LEVELS`)."""
    return RULE_LEVELS.get(rule, "error")


@dataclass(frozen=True)
class Problem:
    """One thing to fix in an input file.

    Attributes
    ----------
    file, sheet
        File as given by the user; sheet name ("" for CSV and Parquet).
    row
        Row as the user sees it (Excel row, CSV line; 1-based, title rows and header
        included); ``None`` when the problem concerns the whole file or sheet.
    column
        Column header as written in the file ("" when none applies).
    value
        Offending cell value as text ("" when none applies).
    rule
        Rule id, one of :data:`RULE_IDS`.
    hint
        What to do about it (in the language of the validation).
    col
        1-based number of the column in the sheet or CSV (``None`` when the problem is not
        about one column); with ``row`` it names the cell (:attr:`cell`).
    level
        ``error``, ``warning`` or ``note`` (:func:`rule_level`).
    """

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    rule: str
    hint: str
    col: int | None = None
    level: str = "error"

    @property
    def cell(self) -> str:
        """The cell as a spreadsheet names it (``C7``), or ``""`` without a row and column."""
        if self.row is None or self.col is None:
            return ""
        return f"{column_letter(self.col)}{self.row}"

    @property
    def title(self) -> str:
        """What the problem is called, in the current language (:func:`rule_title`)."""
        return rule_title(self.rule)


def problem_frame(
    file: str,
    sheet: str,
    rows,
    column,
    values,
    rule: str,
    hint=None,
    col=None,
    level: str | None = None,
) -> pd.DataFrame:
    """Build a frame of problems sharing a file, sheet and rule (vectorised).

    ``rows``, ``column``, ``values``, ``hint`` and ``col`` may each be a scalar or a
    sequence/Series of the same length; ``hint`` defaults to the rule's entry in :data:`RULES`,
    ``level`` to :func:`rule_level`.
    """
    if rule not in RULES:
        raise KeyError(f"unknown rule {rule!r}")
    rows_s = pd.Series(rows if _is_seq(rows) else [rows]).reset_index(drop=True)
    n = len(rows_s)

    def text_col(x, default="", shorten=False):
        if not _is_seq(x):  # one text for every row
            x = default if x is None or (not isinstance(x, str) and pd.isna(x)) else x
            return _repeat(_shorten(pd.Series([str(x)])).iat[0] if shorten else str(x), n)
        s = pd.Series(x).reset_index(drop=True)
        if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
            s = s.fillna("")
        else:
            s = s.astype(object).where(s.notna(), "").astype(str)
        return _compact_text(_shorten(s) if shorten else s)

    if _is_seq(col):
        cols = pd.Series(col).reset_index(drop=True)
        cols = pd.array(cols.astype(object).where(cols.notna(), None), dtype="Int64")
    else:
        cols = pd.array(np.full(n, None if col is None or pd.isna(col) else int(col), dtype=object), dtype="Int64")
    out = pd.DataFrame({
        "file": _repeat(file, n),
        "sheet": _repeat(sheet, n),
        "row": pd.array(rows_s, dtype="Int64"),
        "column": text_col(column),
        "value": text_col(values, shorten=True),
        "rule": _repeat(rule, n),
        "hint": text_col(hint, RULES[rule]),
        "col": cols,
        "level": _repeat(level or rule_level(rule), n),
    })
    return out


def _repeat(text: str, n: int) -> pd.Categorical:
    """``text`` ``n`` times, stored once (a categorical: one byte per row)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [text]) if n else pd.Categorical([], [text])


def _compact_text(s: pd.Series):
    """Text that repeats (a hint shared by a million rows) as a categorical, else as it is.

    A problem frame holds one row per failing cell; a report of 2.3 million repeated rows
    keeps its file, rule and hint columns at a byte per row this way. :meth:`ValidationReport.to_frame`
    gives them back as ordinary text columns."""
    if len(s) < 1000:
        return s
    codes, uniques = pd.factorize(s)
    if len(uniques) > len(s) // 2:
        return s
    return pd.Categorical.from_codes(codes, pd.Index(uniques, dtype=object))


VALUE_CHARS = 80
"""A value quoted in a problem is cut to this many characters (a 1 MB cell stays readable)."""


def _shorten(values: pd.Series) -> pd.Series:
    long = values.str.len().gt(VALUE_CHARS).to_numpy()
    if long.any():
        values = values.copy()
        values[long] = values[long].str.slice(0, VALUE_CHARS) + "…"
    return values


def _is_seq(x) -> bool:
    return isinstance(x, (pd.Series, pd.Index, list, tuple)) or hasattr(x, "__array__")


class ValidationReport:
    """Every problem found in one validation run, in the order found.

    Use :meth:`add` for one problem, :meth:`add_frame` for many; read them with
    :attr:`problems`, :meth:`to_frame`, :meth:`render` or :meth:`write_csv`. The report is in
    the language current when it was made (:attr:`lang`).

    Attributes
    ----------
    lang
        Language of the messages (``"zh"`` or ``"en"``).
    ignored
        Bookkeeping columns that were not read (序号, 备注 …), as ``(file, sheet, header)``.
    """

    def __init__(self) -> None:
        self._frames: list[pd.DataFrame] = []
        self._sorted: pd.DataFrame | None = None  # the frames in file order (to_frame), once made
        self.lang = current()
        self.ignored: list[tuple[str, str, str]] = []

    def add(self, file: str, sheet: str, row: int | None, column: str, value, rule: str,
            hint: str | None = None, col: int | None = None, level: str | None = None) -> None:
        """Record one problem (``hint`` defaults to the rule's hint, ``level`` to its level)."""
        self.add_frame(problem_frame(file, sheet, [row], column, "" if value is None else str(value),
                                     rule, hint, col, level))

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Record the problems of a frame built by :func:`problem_frame`."""
        if len(frame):
            self._frames.append(frame[list(COLUMNS + EXTRA_COLUMNS)])
            self._sorted = None

    def ignore_column(self, file: str, sheet: str, header: str) -> None:
        """Record a bookkeeping column that was not read (listed in the summary)."""
        self.ignored.append((file, sheet, header))

    def escalate(self, rule: str) -> None:
        """Make every problem of ``rule`` an error (a warning of ``hemei validate`` that a
        stricter caller cannot accept)."""
        for n, f in enumerate(self._frames):
            hit = f["rule"].eq(rule).to_numpy()
            if hit.any():
                level = f["level"].astype(object).copy()
                level[hit] = "error"
                self._frames[n] = f.assign(level=level)
        self._sorted = None

    def extend(self, other: ValidationReport) -> None:
        """Append every problem and ignored column of another report."""
        self._frames.extend(other._frames)
        self._sorted = None
        self.ignored.extend(other.ignored)

    def __len__(self) -> int:
        return sum(len(f) for f in self._frames)

    def count(self, level: str) -> int:
        """Number of problems of one level (``error``, ``warning`` or ``note``)."""
        return sum(int(f["level"].eq(level).sum()) for f in self._frames)

    @property
    def ok(self) -> bool:
        """True when no error was found (warnings and notes may be)."""
        return self.count("error") == 0

    def passes(self, strict: bool = False) -> bool:
        """True when the data are valid: no error, and with ``strict`` no warning either."""
        return self.ok and not (strict and self.count("warning"))

    def to_frame(self) -> pd.DataFrame:
        """All problems as a frame with columns file, sheet, row, column, value, rule, hint,
        col, level; files and sheets in the order read, rows in file order."""
        if not self._frames:
            return problem_frame("", "", [], "", [], "empty_file").iloc[0:0]
        if self._sorted is None:
            f = pd.concat(self._frames, ignore_index=True) if len(self._frames) > 1 else self._frames[0]
            f = f.assign(**{c: f[c].astype(object) for c in f.columns  # text columns stored compactly
                            if isinstance(f[c].dtype, pd.CategoricalDtype)})
            place = f.groupby(["file", "sheet"], sort=False).ngroup().to_numpy()  # in order of first appearance
            row = f["row"].to_numpy(dtype="float64", na_value=-np.inf)  # whole-file problems first
            order = np.lexsort((row, place))  # lexsort is stable
            if (order != np.arange(len(f))).any():
                f = f.take(order)
            f = f.reset_index(drop=True)
            self._frames, self._sorted = [f], f  # kept sorted: rendering and exporting sort once
        return self._sorted.copy(deep=False)

    @property
    def problems(self) -> list[Problem]:
        """All problems as :class:`Problem` records."""
        f = self.to_frame()
        return [
            Problem(r.file, r.sheet, None if pd.isna(r.row) else int(r.row), r.column, r.value,
                    r.rule, r.hint, None if pd.isna(r.col) else int(r.col), r.level)
            for r in f.itertuples(index=False)
        ]

    def unlisted(self, limit: int | None) -> int:
        """Problems :meth:`render` with ``limit`` leaves out (counted, not listed)."""
        if not limit or not self._frames:
            return 0
        sizes = pd.concat([f[["file", "rule"]] for f in self._frames]).value_counts(sort=False)
        return int((sizes - limit).clip(lower=0).sum())

    def files(self) -> int:
        """Number of files with a problem."""
        return len({x for f in self._frames for x in f["file"].unique()})

    def rules(self) -> set[str]:
        """The set of rule ids found."""
        return set(self.to_frame()["rule"])

    def table(self, lang: str | None = None, extra: bool = False) -> pd.DataFrame:
        """The problems as people read them: columns 文件 / 工作表 / 行 / 列 / 值 / 问题 / 修改建议
        (file / sheet / row / column / value / problem / how to fix with ``lang="en"``); a
        warning's or note's title says so. ``extra`` adds 级别 (level) and 规则代码 (rule id).

        ``lang`` names the headers and titles (default: the report's language); the hints stay
        in the language they were written in.
        """
        return self._table(self.to_frame(), lang, extra)

    def _table(self, f: pd.DataFrame, lang: str | None, extra: bool) -> pd.DataFrame:
        """:meth:`table` of some rows of :meth:`to_frame`."""
        with language(lang or self.lang):
            titles = {r: rule_title(r) for r in f["rule"].unique()}
            levels = {lv: _t(f"input.level.{lv}") for lv in LEVELS}
            title = f["rule"].map(titles)
            flagged = f["level"].ne("error") & (not extra)  # with extra, the 级别 column says it
            title[flagged] = [_tf("input.problem.with_level", problem=t, level=levels[lv])
                              for t, lv in zip(title[flagged], f.loc[flagged, "level"], strict=True)]
            out = pd.DataFrame({
                _t("input.header.file"): f["file"],
                _t("input.header.sheet"): f["sheet"],
                _t("input.header.row"): f["row"].astype("str").fillna("").astype(object),
                _t("input.header.column"): f["column"],
                _t("input.header.value"): f["value"],
                _t("input.header.problem"): title,
                _t("input.header.hint"): f["hint"],
            })
            if extra:
                out[_t("input.header.level")] = f["level"].map(levels)
                out[_t("input.header.rule")] = f["rule"]
        return out

    def render(self, lang: str | None = None, limit: int | None = None) -> str:
        """The problems as a plain-text table aligned for CJK text (east-asian widths).

        ``limit`` lists at most that many problems per rule and file (the first ones, in file
        order); below the last one listed of a rule and file, a line counts the others
        (``… 另有 2,344,960 条同类问题（重复的记录）``). ``None`` or 0 lists every problem.
        """
        f = self.to_frame()
        more: dict[int, tuple[str, int]] = {}
        if limit and len(f) > limit:
            keys = [f["file"], f["rule"]]
            seen = f.groupby(keys, sort=False).cumcount().to_numpy()
            total = f.groupby(keys, sort=False)["rule"].transform("size").to_numpy()
            keep = seen < limit
            f = f[keep].reset_index(drop=True)
            # the last row listed of each capped (file, rule): seen == limit - 1 where total > limit
            last = np.flatnonzero((seen[keep] == limit - 1) & (total[keep] > limit))
            more = {int(i): (f["rule"].iat[i], int(total[keep][i]) - limit) for i in last}
        t = self._table(f, lang, False).astype(str)
        lines = text_table(list(t.columns), t.values.tolist()).split("\n")
        if more:
            with language(lang or self.lang):
                for i in sorted(more, reverse=True):  # table row i is line i + 2 (header, rule)
                    rule, n = more[i]
                    lines.insert(i + 3, "  " + _tf("input.cli.more", n=f"{n:,}", problem=rule_title(rule)))
        return "\n".join(lines)

    #: Problems written to the CSV at a time (:meth:`write_csv`).
    CSV_CHUNK = 100_000

    def write_csv(self, path: str | Path, lang: str | None = None) -> None:
        """Write the problems as CSV (UTF-8 with BOM, so Excel shows Chinese), atomically:
        the columns of :meth:`table` plus 级别 and 规则代码. Every problem is written, however
        many; the table is made and written :attr:`CSV_CHUNK` rows at a time.

        Written with :func:`hemei_tools.exports.write_csv_parts`: a reader never sees a
        half-written file, and a quoted cell such as ``=HYPERLINK(…)`` is written
        ``'=HYPERLINK(…)``, text that Excel does not run.
        """
        f = self.to_frame()
        write_csv_parts((self._table(f.iloc[i:i + self.CSV_CHUNK], lang, True)
                         for i in range(0, max(len(f), 1), self.CSV_CHUNK)), path)


class DataValidationError(HemeiError):
    """Input data break one or more rules; ``report`` holds every problem found.

    The message lists the first 20 errors (warnings and notes do not stop a load).

    Parameters
    ----------
    report
        The :class:`ValidationReport` of the failed load.
    """

    def __init__(self, report: ValidationReport):
        self.report = report
        frame = report.to_frame()
        errors = frame[frame["level"].eq("error")]
        n = len(errors)
        with language(report.lang):
            lines = [_tf("input.error.line", place=_place(r), problem=rule_title(r.rule),
                         value=r.value, hint=r.hint) if r.value else
                     _tf("input.error.line_no_value", place=_place(r), problem=rule_title(r.rule), hint=r.hint)
                     for r in errors.head(20).itertuples(index=False)]
            head = _tf("input.error.head", n=n)
            more = "\n  " + _tf("input.error.more", n=n - 20) if n > 20 else ""
        super().__init__(head + "\n  " + "\n  ".join(lines) + more)


def _place(r) -> str:
    """``file[sheet] 第 7 行 列“值”`` of one problem row, in the current language."""
    out = r.file + (f"[{r.sheet}]" if r.sheet else "")
    if pd.notna(r.row):
        out += " " + _tf("input.error.row", row=int(r.row))
    if r.column:
        out += " " + _tf("input.error.column", column=r.column)
    return out
