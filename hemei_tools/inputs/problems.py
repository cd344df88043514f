"""Problems found in input files, and the report that collects them.

A :class:`Problem` names one thing a user must fix: the file, the sheet, the row **as the user
sees it** (1-based, counting title rows and the header, i.e. the Excel row number or the CSV
line number), the column header as written in the file, the offending value, the rule it
breaks and a hint. A :class:`ValidationReport` collects every problem of a run in one pass;
internally it holds frames, so millions of failing cells cost no Python loop.

Rules are named by short ids kept in :data:`RULES` with their default hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hemei_tools.catalogue import label as _t
from hemei_tools.errors import HemeiError
from hemei_tools.exports import write_csv
from hemei_tools.inputs.table_text import text_table

COLUMNS = ("file", "sheet", "row", "column", "value", "rule", "hint")

RULES: dict[str, str] = {
    "unreadable_file": "the file could not be opened; check that it is not damaged or locked",
    "unsupported_format": "save the table as .csv (UTF-8), .xlsx or .parquet",
    "not_text": "the file is not text in UTF-8 or GBK/GB18030; save it as CSV (UTF-8) or .xlsx",
    "malformed_csv": "a line has more fields than the header; check quoting and stray commas",
    "empty_file": "the file holds no data; export the table again",
    "no_rows": "the table has a header but no data rows",
    "missing_sheets": _t("input.rule.missing_sheets"),
    "unknown_table": _t("input.rule.unknown_table"),
    "no_header": "no header row found in the first rows; use the column names in docs/design.md",
    "missing_column": "add this column (see docs/design.md for accepted headers)",
    "unknown_column": "not a catalogue indicator or a known column; rename or remove it",
    "duplicate_column": "two headers mean the same column; keep one",
    "unknown_unit": "write the value in the column's unit",
    "not_a_number": _t("input.rule.not_a_number"),
    "not_an_integer": "write a whole number",
    "bad_date": _t("input.rule.bad_date"),
    "not_boolean": _t("input.rule.not_boolean"),
    "bad_code": "a village code has 12 digits (format the column as text in Excel)",
    "unknown_village_code": "not an administrative village in the official 2023 division list",
    "unknown_indicator": "use an indicator_id or Chinese name from the catalogue (indicators.csv)",
    "unknown_task": "write a task id T01–T16 (or 1–16)",
    "out_of_range": "the value lies outside the valid range",
    "not_binary": _t("input.rule.not_binary"),
    "negative": "an amount or count cannot be negative",
    "bad_value": "the value is not one of the allowed values",
    "missing_value": "this required cell is empty",
    "duplicate_key": "each village, year and indicator may appear once; merge or remove repeats",
    "duplicate_id": "each id may appear once",
    "unmatched_village": "no official village of that name; check the spelling",
    "ambiguous_village": _t("input.rule.ambiguous_village"),
    "name_code_mismatch": "the village name does not match the official name of the code",
    "date_order": "an end date lies before the start date",
    "village_not_listed": "the village code is not in the villages table of this data set",
    "county_not_listed": "the county code is not a county of the villages table of this data set",
    "bad_metadata": "metadata.json must be a JSON object such as {\"synthetic\": true}",
    "hidden_characters": "the text holds invisible or direction-changing characters "
                         "(control, zero-width or bidirectional override); delete them",
}


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
        Rule id, a key of :data:`RULES`.
    hint
        What to do about it.
    """

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    rule: str
    hint: str


def problem_frame(
    file: str,
    sheet: str,
    rows,
    column,
    values,
    rule: str,
    hint=None,
) -> pd.DataFrame:
    """Build a frame of problems sharing a file, sheet and rule (vectorised).

    ``rows``, ``column``, ``values`` and ``hint`` may each be a scalar or a sequence/Series of
    the same length; ``hint`` defaults to the rule's entry in :data:`RULES`.
    """
    if rule not in RULES:
        raise KeyError(f"unknown rule {rule!r}")
    rows_s = pd.Series(rows if _is_seq(rows) else [rows]).reset_index(drop=True)
    n = len(rows_s)

    def col(x, default=""):
        if _is_seq(x):
            s = pd.Series(x).reset_index(drop=True)
        else:
            s = pd.Series([default if x is None else x] * n)
        return s.astype(object).where(s.notna(), "").astype(str)

    out = pd.DataFrame({
        "file": [file] * n,
        "sheet": [sheet] * n,
        "row": pd.array(rows_s, dtype="Int64"),
        "column": col(column),
        "value": col(values),
        "rule": [rule] * n,
        "hint": col(hint, RULES[rule]),
    })
    return out


def _is_seq(x) -> bool:
    return isinstance(x, (pd.Series, pd.Index, list, tuple)) or hasattr(x, "__array__")


class ValidationReport:
    """Every problem found in one validation run, in the order found.

    Use :meth:`add` for one problem, :meth:`add_frame` for many; read them with
    :attr:`problems`, :meth:`to_frame`, :meth:`render` or :meth:`write_csv`.
    """

    def __init__(self) -> None:
        self._frames: list[pd.DataFrame] = []

    def add(self, file: str, sheet: str, row: int | None, column: str, value, rule: str,
            hint: str | None = None) -> None:
        """Record one problem (``hint`` defaults to the rule's hint)."""
        self.add_frame(problem_frame(file, sheet, [row], column, "" if value is None else str(value),
                                     rule, hint))

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Record the problems of a frame built by :func:`problem_frame`."""
        if len(frame):
            self._frames.append(frame[list(COLUMNS)])

    def extend(self, other: ValidationReport) -> None:
        """Append every problem of another report."""
        self._frames.extend(other._frames)

    def __len__(self) -> int:
        return sum(len(f) for f in self._frames)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return len(self) == 0

    def to_frame(self) -> pd.DataFrame:
        """All problems as a frame with columns file, sheet, row, column, value, rule, hint."""
        if not self._frames:
            return problem_frame("", "", [], "", [], "empty_file").iloc[0:0]
        f = pd.concat(self._frames, ignore_index=True)
        # files and sheets in the order they were read, rows in file order
        first = f.drop_duplicates(["file", "sheet"]).reset_index(drop=True)
        first["_o"] = first.index
        f = f.merge(first[["file", "sheet", "_o"]], on=["file", "sheet"], how="left")
        f = f.sort_values(["_o", "row"], kind="stable", na_position="first")
        return f.drop(columns="_o").reset_index(drop=True)

    @property
    def problems(self) -> list[Problem]:
        """All problems as :class:`Problem` records."""
        f = self.to_frame()
        return [
            Problem(r.file, r.sheet, None if pd.isna(r.row) else int(r.row), r.column, r.value,
                    r.rule, r.hint)
            for r in f.itertuples(index=False)
        ]

    def rules(self) -> set[str]:
        """The set of rule ids found."""
        return set(self.to_frame()["rule"])

    def render(self) -> str:
        """The problems as a plain-text table aligned for CJK text (east-asian widths)."""
        f = self.to_frame().astype(object)
        f["row"] = f["row"].map(lambda r: "" if pd.isna(r) else str(int(r)))
        return text_table(list(COLUMNS), f.astype(str).values.tolist())

    def write_csv(self, path: str | Path) -> None:
        """Write the problems as CSV (UTF-8 with BOM, so Excel shows Chinese), atomically.

        Written with :func:`hemei_tools.exports.write_csv`: a reader never sees a half-written
        file, and a quoted cell such as ``=HYPERLINK(…)`` is written ``'=HYPERLINK(…)``, text
        that Excel does not run.
        """
        write_csv(self.to_frame(), path)


class DataValidationError(HemeiError):
    """Input data break one or more rules; ``report`` holds every problem found.

    Parameters
    ----------
    report
        The :class:`ValidationReport` of the failed load.
    """

    def __init__(self, report: ValidationReport):
        self.report = report
        n = len(report)
        head = report.to_frame().head(20)
        lines = [f"{r.file}{'[' + r.sheet + ']' if r.sheet else ''}"
                 f"{' row ' + str(r.row) if pd.notna(r.row) else ''}"
                 f"{' column ' + r.column if r.column else ''}: {r.rule}"
                 f"{' (' + r.value + ')' if r.value else ''}: {r.hint}"
                 for r in head.itertuples(index=False)]
        more = f"\n  … and {n - len(head)} more (run `hemei validate`)" if n > len(head) else ""
        super().__init__(f"{n} problem(s) in the input data:\n  " + "\n  ".join(lines) + more)
