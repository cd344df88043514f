"""pandera schemas of the input tables, built from the catalogue and the official lists.

The tables and their columns are fixed in ``docs/design.md``; :data:`TABLES` declares them once
(name, kind of content, required or not, unit), and the ``*_schema`` builders turn that
declaration into :class:`pandera.pandas.DataFrameSchema` objects whose checks come from data:
valid ranges per indicator from the catalogue's ``min_value``/``max_value``, the known indicator
ids, the task codes of the framework, and the official village codes. Every check is named by
the id of the rule it enforces (see :data:`hemei_tools.inputs.problems.RULES`), so failures turn into
problems without guessing. Validation is always lazy: one pass reports every failure.

:func:`validate_frame` runs a schema and returns its failures as a tidy frame
(``index``, ``column``, ``rule``, ``value``, ``hint``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.catalogue import label as _t

# The category codes the input data carry are the ``vocab.*`` rows of labels.csv (their zh text
# is the value written in the files); units are the canonical units of aliases.csv's unit table.
VILLAGE_TYPES = (_t("vocab.village_type.central"), _t("vocab.village_type.boutique"),
                 _t("vocab.village_type.ordinary"))
BUILD_STATUSES = (_t("vocab.build_status.declared"), _t("vocab.build_status.under_construction"),
                  _t("vocab.build_status.accepted"))
FUNDING_SOURCES = (_t("vocab.funding_source.provincial"), _t("vocab.funding_source.city"),
                   _t("vocab.funding_source.county"), _t("vocab.funding_source.village_collective"),
                   _t("vocab.funding_source.social_capital"))
PROJECT_STATUSES = (_t("vocab.project_status.not_started"), _t("vocab.project_status.in_progress"),
                    _t("vocab.project_status.finished"))
DESIGNATIONS = (_t("vocab.designation.demo_county"), _t("vocab.designation.advanced_county"),
                _t("vocab.designation.village_cleaning"), _t("vocab.designation.incentive"))
"""County designations and honours (``county_designations.designation``): the 示范县 of the
5511 plan and the county honours the city's work report names."""
PARTY_GRADES = ("A", "B", "C")
YEAR_RANGE = (1949, 2100)

KINDS = ("village_code", "township_code", "county_code", "text", "year", "count", "amount",
         "float", "percent", "date", "enum", "indicator", "value", "task", "binary", "bool")
CODE_DIGITS = {"village_code": 12, "township_code": 9, "county_code": 6}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input table.

    Attributes
    ----------
    name
        ASCII snake_case column name.
    kind
        What the cells hold, one of :data:`KINDS`: a division code, free text, a year, a
        non-negative count, a non-negative amount, a float, a percentage (0–100), a date, one
        of ``values`` (enum), an indicator id, an indicator value (range from the catalogue), a
        task id, a 0/1 item (binary) or a true/false flag (bool).
    required
        The column must be in the file.
    unit
        Unit of the column (cells written in another unit are converted with the unit table in
        ``aliases.csv``; empty for unitless columns).
    values
        Allowed values of an enum.
    """

    name: str
    kind: str
    required: bool = False
    unit: str = ""
    values: tuple[str, ...] = ()


def _c(name: str, kind: str, required: bool = False, unit: str = "",
       values: tuple[str, ...] = ()) -> ColumnSpec:
    return ColumnSpec(name, kind, required, unit, values)


TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "villages": (
        _c("village_code", "village_code", True),
        _c("village_name", "text"),
        _c("township_code", "township_code"),
        _c("township_name", "text"),
        _c("county_code", "county_code"),
        _c("county_name", "text"),
        _c("village_type", "enum", True, values=VILLAGE_TYPES),
        _c("designation_year", "year"),
        _c("build_status", "enum", values=BUILD_STATUSES),
        _c("population", "count", unit=_t("parse.unit.person")),
        _c("households", "count", unit=_t("parse.unit.household")),
    ),
    "observations": (
        _c("village_code", "village_code", True),
        _c("year", "year", True, unit=_t("parse.unit.year")),
        _c("indicator_id", "indicator", True),
        _c("value", "value", True),
        _c("source", "text"),
        _c("note", "text"),
    ),
    "projects": (
        _c("project_id", "text", True),
        _c("village_code", "village_code", True),
        _c("task_id", "task", True),
        _c("project_name", "text"),
        _c("start_date", "date"),
        _c("planned_end", "date"),
        _c("actual_end", "date"),
        _c("budget_wan", "amount", True, unit=_t("parse.unit.ten_thousand_yuan")),
        _c("disbursed_wan", "amount", unit=_t("parse.unit.ten_thousand_yuan")),
        _c("funding_source", "enum", values=FUNDING_SOURCES),
        _c("status", "enum", True, values=PROJECT_STATUSES),
    ),
    "applicants": (
        _c("village_code", "village_code", True),
        _c("apply_year", "year", True, unit=_t("parse.unit.year")),
        _c("collective_income_wan", "amount", unit=_t("parse.unit.ten_thousand_yuan")),
        _c("rural_income_yuan", "amount", unit=_t("parse.unit.yuan")),
        _c("industry_output_wan", "amount", unit=_t("parse.unit.ten_thousand_yuan")),
        _c("tourist_visits_wan", "amount", unit=_t("parse.unit.ten_thousand_visits")),
        _c("participation_rate", "percent", unit="%"),
        _c("self_raised_wan", "amount", unit=_t("parse.unit.ten_thousand_yuan")),
        _c("party_grade", "enum", values=PARTY_GRADES),
        _c("has_village_plan", "binary"),
        _c("open_violation", "binary"),
        _c("selected", "binary"),
    ),
    # optional programme units the village list cannot hold
    "natural_villages": (
        _c("village_code", "village_code", True),
        _c("natural_village_name", "text", True),
        _c("build_status", "enum", True, values=BUILD_STATUSES),
        _c("designation_year", "year", True, unit=_t("parse.unit.year")),
    ),
    "county_designations": (
        _c("county_code", "county_code", True),
        _c("county_name", "text"),
        _c("designation", "enum", True, values=DESIGNATIONS),
        _c("status", "enum", True, values=BUILD_STATUSES),
        _c("year", "year", True, unit=_t("parse.unit.year")),
        _c("note", "text"),
    ),
}
"""The input tables of ``docs/design.md``; every table may also carry a ``synthetic`` flag.

``natural_villages`` (美丽宜居自然村庄) and ``county_designations`` (示范县 and county honours)
are optional. A natural village has no official code: it is named by its parent
administrative village's ``village_code`` plus its own ``natural_village_name``; its
``build_status`` is today's and ``designation_year`` the year it was designated. A county
designation is one row per county, designation and year: the status reached that year
(申报, 在建 = 创建中, 已验收 = 命名/获评), so the rows of one designation are its history and
an honour won seven years running is seven rows."""

SYNTHETIC = _c("synthetic", "bool")
KEYS: dict[str, tuple[str, ...]] = {
    "villages": ("village_code",),
    "observations": ("village_code", "year", "indicator_id"),
    "projects": ("project_id",),
    "applicants": ("village_code", "apply_year"),
    "natural_villages": ("village_code", "natural_village_name"),
    "county_designations": ("county_code", "designation", "year"),
}
"""Columns that identify a row; a repeat is a ``duplicate_key`` (``duplicate_id`` for one)."""

DTYPES = {"year": "int64", "count": "Int64", "amount": "float64", "float": "float64",
          "percent": "float64", "value": "float64", "binary": "Int64", "bool": "bool",
          "date": "datetime64[ns]"}
"""pandas dtype of each column kind after loading (text-like kinds are ``str``)."""


def table_columns(kind: str) -> tuple[ColumnSpec, ...]:
    """The column specs of one table (``KeyError`` naming the known tables if unknown)."""
    if kind not in TABLES:
        raise KeyError(f"unknown table {kind!r}; known: {', '.join(TABLES)}")
    return TABLES[kind]


def column_dtype(spec: ColumnSpec) -> str:
    """pandas dtype of a loaded column; optional years (e.g. designation_year) are ``Int64``."""
    if spec.kind == "year" and not spec.required:
        return "Int64"
    return DTYPES.get(spec.kind, "str")


def empty_table(kind: str) -> pd.DataFrame:
    """An empty frame with the table's columns and dtypes."""
    return pd.DataFrame({s.name: pd.Series(dtype=column_dtype(s)) for s in table_columns(kind)})


def _check(fn: Callable[[pd.Series], pd.Series], rule: str) -> pa.Check:
    return pa.Check(fn, name=rule)


def _column_checks(spec: ColumnSpec, catalogue: Catalogue, known_codes: frozenset | None
                   ) -> list[pa.Check]:
    k = spec.kind
    if k in CODE_DIGITS:
        pattern = rf"\d{{{CODE_DIGITS[k]}}}"
        checks = [_check(lambda s, p=pattern: s.str.fullmatch(p), "bad_code")]
        if k == "village_code" and known_codes is not None:
            codes = pd.Index(sorted(known_codes))
            checks.append(_check(
                lambda s, p=pattern: ~s.str.fullmatch(p).fillna(False) | s.isin(codes),
                "unknown_village_code"))
        return checks
    if k == "year":
        lo, hi = YEAR_RANGE
        return [_check(lambda s: s.between(lo, hi), "out_of_range")]
    if k in ("count", "amount"):
        return [_check(lambda s: s >= 0, "negative")]
    if k == "percent":
        return [_check(lambda s: s.between(0, 100), "out_of_range")]
    if k == "enum":
        return [_check(lambda s, v=spec.values: s.isin(v), "bad_value")]
    if k == "indicator":
        ids = tuple(catalogue.indicator_ids)
        return [_check(lambda s: s.isin(ids), "unknown_indicator")]
    if k == "task":
        tasks = tuple(catalogue.tasks["code"])
        return [_check(lambda s: s.isin(tasks), "unknown_task")]
    if k == "binary":
        return [_check(lambda s: s.isin([0, 1]), "not_binary")]
    return []


def _value_checks(catalogue: Catalogue) -> list[pa.Check]:
    """Frame-level checks of ``value`` against the indicator's catalogue entry."""
    ind = catalogue.indicators.set_index("indicator_id")
    is_binary = ind["value_type"].eq("binary")
    lo = ind["min_value"].astype(float).where(~is_binary)
    hi = ind["max_value"].astype(float).where(~is_binary)

    def value_within_catalogue_range(df: pd.DataFrame) -> pd.Series:
        v = df["value"]
        low = df["indicator_id"].map(lo).astype("float64")
        high = df["indicator_id"].map(hi).astype("float64")
        return v.isna() | low.isna() | ((v >= low) & (v <= high))

    def value_zero_or_one(df: pd.DataFrame) -> pd.Series:
        b = df["indicator_id"].map(is_binary).astype("boolean").fillna(False).astype(bool)
        return df["value"].isna() | ~b | df["value"].isin([0, 1])

    return [pa.Check(value_within_catalogue_range, name="out_of_range"),
            pa.Check(value_zero_or_one, name="not_binary")]


def _dates_in_order(df: pd.DataFrame) -> pd.Series:
    """planned_end and actual_end, when given, are not before start_date."""
    start = df["start_date"]
    return ~(df["planned_end"].lt(start) | df["actual_end"].lt(start))


def _key_check(kind: str) -> pa.Check:
    keys = list(KEYS[kind])
    rule = "duplicate_key" if len(keys) > 1 else "duplicate_id"
    return pa.Check(lambda df: ~df.duplicated(keys, keep=False) | df[keys].isna().any(axis=1),
                    name=rule)


def build_schema(kind: str, catalogue: Catalogue | None = None,
                 known_codes: Iterable[str] | None = None,
                 synthetic: bool = False) -> pa.DataFrameSchema:
    """The pandera schema of one input table.

    Parameters
    ----------
    kind
        A table of :data:`TABLES` (``villages``, ``observations``, ``projects``, ``applicants``,
        ``natural_villages``, ``county_designations``).
    catalogue
        Source of indicator ids, ranges and task codes (default: the packaged catalogue).
    known_codes
        Official village codes; ``None`` skips the ``unknown_village_code`` check.
    synthetic
        Whether the frame carries the optional ``synthetic`` flag column.

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Columns named as in :data:`TABLES`; required columns are not nullable; checks are named
        by rule id; frame-level checks cover indicator ranges, 0/1 indicators and duplicate keys.
    """
    catalogue = catalogue or load_catalogue()
    codes = frozenset(known_codes) if known_codes is not None else None
    columns = {}
    for spec in table_columns(kind) + ((SYNTHETIC,) if synthetic else ()):
        dtype = column_dtype(spec)
        columns[spec.name] = pa.Column(
            None if dtype in ("str", "datetime64[ns]") else dtype,
            checks=_column_checks(spec, catalogue, codes),
            nullable=not spec.required or spec.kind == "value",
            required=True,
        )
    checks = [_key_check(kind)]
    if kind == "observations":
        checks += _value_checks(catalogue)
    if kind == "projects":
        checks.append(pa.Check(_dates_in_order, name="date_order"))
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=kind)


SCHEMAS: dict[str, Callable[..., pa.DataFrameSchema]] = {
    kind: (lambda k: lambda **kw: build_schema(k, **kw))(kind) for kind in TABLES
}
"""Schema builders by table name: ``SCHEMAS["observations"](catalogue=..., known_codes=...)``."""

_FRAME_RULE_COLUMN = {"out_of_range": "value", "not_binary": "value"}
_PANDERA_RULES = {"not_nullable": "missing_value", "field_uniqueness": "duplicate_id",
                  "column_in_dataframe": "missing_column"}


def validate_frame(kind: str, frame: pd.DataFrame, catalogue: Catalogue | None = None,
                   known_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Validate a loaded table lazily and return every failure.

    Returns
    -------
    pandas.DataFrame
        One row per failing cell: ``index`` (label in ``frame``), ``column`` (canonical name;
        for a duplicate key the key columns joined by ``+``), ``rule`` (rule id), ``value``
        (text of the offending cell or key) and ``hint`` (rule-specific, e.g. the valid range
        and unit of the indicator, or the allowed values). Empty when the table is valid.
    """
    catalogue = catalogue or load_catalogue()
    schema = build_schema(kind, catalogue, known_codes, synthetic="synthetic" in frame.columns)
    out = pd.DataFrame(columns=["index", "column", "rule", "value", "hint"])
    try:
        schema.validate(_compact(frame), lazy=True)
        return out
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
    fc = fc.rename(columns={"check": "rule"})
    fc = fc[fc["index"].notna()]  # schema-level errors (no row) cannot occur: columns are ensured
    fc["index"] = fc["index"].astype(int)
    fc["rule"] = fc["rule"].astype(str).map(lambda r: _PANDERA_RULES.get(r, r))
    frame_level = fc["schema_context"].eq("DataFrameSchema") & fc["rule"].isin(
        list(_FRAME_RULE_COLUMN) + ["duplicate_key", "duplicate_id"])
    frame_level |= fc["schema_context"].eq("DataFrameSchema") & fc["rule"].eq("date_order")
    col_level = fc[~frame_level].copy()
    col_level["value"] = col_level["failure_case"]
    parts = [col_level[["index", "column", "rule", "value"]]]
    fl = fc[frame_level].drop_duplicates(["index", "rule"])
    for rule, sub in fl.groupby("rule", sort=False):
        idx = sub["index"]
        if rule == "date_order":
            late = frame.loc[idx, "actual_end"].lt(frame.loc[idx, "start_date"])
            col = np.where(late, "actual_end", "planned_end")
            vals = pd.Series(np.where(late, frame.loc[idx, "actual_end"].astype(str),
                                      frame.loc[idx, "planned_end"].astype(str)))
        elif rule in _FRAME_RULE_COLUMN:
            col = _FRAME_RULE_COLUMN[rule]
            vals = frame.loc[idx, col]
        else:
            keys = list(KEYS[kind])
            col = "+".join(keys)
            vals = frame.loc[idx, keys].astype(str).agg(" / ".join, axis=1)
        parts.append(pd.DataFrame({"index": idx.to_numpy(), "column": col, "rule": rule,
                                   "value": vals.to_numpy()}))
    out = pd.concat(parts, ignore_index=True)
    out["value"] = out["value"].astype(object).where(out["value"].notna(), "").astype(str)
    out["hint"] = _hints(kind, out, frame, catalogue)
    return out.sort_values(["index", "column"], kind="stable").reset_index(drop=True)


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with few distinct values as categoricals: checks then run per category."""
    if len(frame) < 10_000:
        return frame
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_string_dtype(s) and s.nunique() < len(s) // 10:
            s = s.astype("category")
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def _hints(kind: str, failures: pd.DataFrame, frame: pd.DataFrame, catalogue: Catalogue
           ) -> pd.Series:
    """The hint of each failure, in the language of the validation (labels ``input.hint.*``)."""
    from hemei_tools.inputs.problems import RULES
    from hemei_tools.inputs.wording import join
    from hemei_tools.inputs.wording import template as _tf

    hint = failures["rule"].map(lambda r: RULES.get(r, r))
    specs = {s.name: s for s in table_columns(kind)}
    for col, spec in specs.items():
        sel = failures["column"].eq(col)
        if spec.kind in CODE_DIGITS and spec.kind != "village_code":
            hint[sel & failures["rule"].eq("bad_code")] = _tf(
                "input.hint.code_digits", digits=CODE_DIGITS[spec.kind])
        if spec.kind == "enum":
            hint[sel & failures["rule"].eq("bad_value")] = _tf("input.hint.allowed_values", values=join(spec.values))
        if spec.kind == "percent":
            hint[sel & failures["rule"].eq("out_of_range")] = _tf("input.hint.percent_range")
        if spec.kind == "year":
            hint[sel & failures["rule"].eq("out_of_range")] = _tf(
                "input.hint.year_range", low=YEAR_RANGE[0], high=YEAR_RANGE[1])
    rng = failures["rule"].eq("out_of_range") & failures["column"].eq("value")
    if rng.any() and "indicator_id" in frame.columns:
        ind = catalogue.indicators.set_index("indicator_id")
        text = {i: _tf("input.hint.indicator_range", id=i, name=r.name_zh, low=f"{r.min_value:g}",
                       high=f"{r.max_value:g}", unit=r.unit)
                for i, r in ind.iterrows()}
        ids = frame.loc[failures.loc[rng, "index"], "indicator_id"]
        hint[rng] = ids.map(text).to_numpy()
    return hint
