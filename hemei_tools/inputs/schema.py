"""pandera schemas of the input tables, built from the catalogue and the official lists.

The tables and their columns are fixed in ``docs/design.md``; :data:`TABLES` declares them once
(name, kind of content, required or not, unit), and the ``*_schema`` builders turn that
declaration into :class:`pandera.pandas.DataFrameSchema` objects whose checks come from data:
valid ranges per indicator from the catalogue's ``min_value``/``max_value``, a plausible upper
bound for every count and amount column from the catalogue's ``field_bounds.csv``
(:func:`field_bounds`; above it: ``implausible_value``), the known indicator ids, the task
codes of the framework, and the official village codes. Every numeric column is bounded above:
years by :data:`YEAR_RANGE`, percentages by 100, 0/1 items by 1, indicator values by
``indicators.csv``, counts and amounts by ``field_bounds.csv``. Every check is named by
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
from hemei_tools.errors import CatalogueError

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


BOUNDED_KINDS = ("count", "amount")
"""Column kinds whose upper bound is a row of the catalogue's ``field_bounds.csv``."""


def field_bounds(kind: str, catalogue: Catalogue | None = None) -> dict[str, tuple[float, str]]:
    """Plausible upper bound and unit of each count and amount column of one table:
    ``{"budget_wan": (100000.0, "万元")}`` from the catalogue's ``field_bounds.csv``.

    Raises
    ------
    CatalogueError
        A count or amount column of :data:`TABLES` has no row, a row's unit is not the
        column's unit, or a row names a column that is not a count or amount column.
    """
    catalogue = catalogue or load_catalogue()
    fb = catalogue.field_bounds
    rows = fb[fb["table"].astype(str).eq(kind)]
    specs = {s.name: s for s in table_columns(kind)}
    problems, out = [], {}
    for r in rows.itertuples(index=False):
        spec = specs.get(r.column)
        if spec is None or spec.kind not in BOUNDED_KINDS:
            problems.append(f"field_bounds.csv: {kind}.{r.column} is not a count or amount column of {kind}")
        elif spec.unit and str(r.unit) != spec.unit:
            problems.append(f"field_bounds.csv: {kind}.{r.column} is in {spec.unit}, not {r.unit}")
        else:
            out[r.column] = (float(r.max_value), str(r.unit))
    problems += [f"field_bounds.csv: no upper bound for {kind}.{s.name} ({s.kind})"
                 for s in specs.values() if s.kind in BOUNDED_KINDS and s.name not in out]
    if problems:
        raise CatalogueError(problems)
    return out


def _column_checks(spec: ColumnSpec, catalogue: Catalogue, known_codes: frozenset | None,
                   bound: float | None = None) -> list[pa.Check]:
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
    if k in BOUNDED_KINDS:
        return [_check(lambda s: s >= 0, "negative"), _check(lambda s, b=bound: s <= b, "implausible_value")]
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


def _value_checks(catalogue: Catalogue) -> list[tuple[str, Callable[[pd.DataFrame], pd.Series]]]:
    """Frame-level checks of ``value`` against the indicator's catalogue entry, as
    ``(rule, function)``."""
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

    return [("out_of_range", value_within_catalogue_range), ("not_binary", value_zero_or_one)]


def _dates_in_order(df: pd.DataFrame) -> pd.Series:
    """planned_end and actual_end, when given, are not before start_date."""
    start = df["start_date"]
    return ~(df["planned_end"].lt(start) | df["actual_end"].lt(start))


def _unique_key(kind: str) -> Callable[[pd.DataFrame], pd.Series]:
    """The check that no key (:data:`KEYS`) repeats: True where a row's key is unique or
    incomplete."""
    keys = list(KEYS[kind])
    return lambda df: ~df.duplicated(keys, keep=False) | df[keys].isna().any(axis=1)


def _frame_checks(kind: str, catalogue: Catalogue) -> list[tuple[str, Callable[[pd.DataFrame], pd.Series]]]:
    """The checks of whole rows (keys, indicator ranges, date order) as ``(rule, function)``:
    each function of the frame returns True where a row passes."""
    checks = [("duplicate_key" if len(KEYS[kind]) > 1 else "duplicate_id", _unique_key(kind))]
    if kind == "observations":
        checks += _value_checks(catalogue)
    if kind == "projects":
        checks.append(("date_order", _dates_in_order))
    return checks


def build_schema(kind: str, catalogue: Catalogue | None = None,
                 known_codes: Iterable[str] | None = None,
                 synthetic: bool = False, frame_checks: bool = True) -> pa.DataFrameSchema:
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
    frame_checks
        Include the checks of whole rows (duplicate keys, indicator ranges, date order).
        :func:`validate_frame` runs those itself, vectorised: pandera reports a failing row
        once per column, six rows per repeated observation.

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Columns named as in :data:`TABLES`; required columns are not nullable; checks are named
        by rule id; frame-level checks cover indicator ranges, 0/1 indicators and duplicate keys.
    """
    catalogue = catalogue or load_catalogue()
    codes = frozenset(known_codes) if known_codes is not None else None
    bounds = field_bounds(kind, catalogue)
    columns = {}
    for spec in table_columns(kind) + ((SYNTHETIC,) if synthetic else ()):
        dtype = column_dtype(spec)
        columns[spec.name] = pa.Column(
            None if dtype in ("str", "datetime64[ns]") else dtype,
            checks=_column_checks(spec, catalogue, codes, bounds.get(spec.name, (None,))[0]),
            nullable=not spec.required or spec.kind == "value",
            required=True,
        )
    checks = [pa.Check(fn, name=rule) for rule, fn in _frame_checks(kind, catalogue)] if frame_checks else []
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
    schema = build_schema(kind, catalogue, known_codes, synthetic="synthetic" in frame.columns,
                          frame_checks=False)
    out = pd.DataFrame(columns=["index", "column", "rule", "value", "hint"])
    parts = []
    try:
        schema.validate(_compact(frame), lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        fc = fc.rename(columns={"check": "rule"})
        fc = fc[fc["index"].notna()]  # schema-level errors (no row) cannot occur: columns are ensured
        fc["index"] = fc["index"].astype(int)
        fc["rule"] = fc["rule"].astype(str).map(lambda r: _PANDERA_RULES.get(r, r))
        col_level = fc.copy()
        col_level["value"] = col_level["failure_case"]
        parts.append(col_level[["index", "column", "rule", "value"]])
    for rule, check in _frame_checks(kind, catalogue):  # vectorised: one row per failing row
        passed = np.asarray(check(frame), dtype=bool)
        if passed.all():
            continue
        idx = frame.index[~passed].to_series()
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
            vals = frame.loc[idx, keys[0]].astype(str)
            for k in keys[1:]:
                vals = vals + " / " + frame.loc[idx, k].astype(str)
        n = len(idx)
        parts.append(pd.DataFrame({"index": idx.to_numpy(), "column": col if not isinstance(col, str) else
                                   pd.Categorical.from_codes(np.zeros(n, np.int8), [col]),
                                   "rule": pd.Categorical.from_codes(np.zeros(n, np.int8), [rule]),
                                   "value": vals.to_numpy() if vals.dtype == object else vals.reset_index(drop=True)}))
    if not parts:
        return out
    out = pd.concat(parts, ignore_index=True)
    v = out["value"]
    if pd.api.types.is_string_dtype(v) and not pd.api.types.is_object_dtype(v):
        out["value"] = v.fillna("")
    else:
        out["value"] = v.astype(object).where(v.notna(), "").astype(str)
    out["hint"] = _hints(kind, out, frame, catalogue)
    column, _ = pd.factorize(out["column"].astype(object), sort=True)
    order = np.lexsort((column, out["index"].to_numpy()))  # by row, then column; stable
    return out.take(order).reset_index(drop=True)


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


def _number_text(value) -> str:
    """A number for a message: ``150,000``, ``1e+308``, ``12.5``; text that is not a number as is."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{v:,.10g}"


def _hints(kind: str, failures: pd.DataFrame, frame: pd.DataFrame, catalogue: Catalogue
           ) -> pd.Series:
    """The hint of each failure, in the language of the validation (labels ``input.hint.*``)."""
    from hemei_tools.inputs.problems import RULES
    from hemei_tools.inputs.wording import join
    from hemei_tools.inputs.wording import template as _tf

    rule = failures["rule"].astype(object)
    hint = rule.map({r: RULES.get(r, r) for r in rule.unique()}).astype(object)
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
        big = sel & failures["rule"].eq("implausible_value")
        if big.any():
            bound, unit = field_bounds(kind, catalogue)[col]
            hint[big] = [_tf("input.hint.implausible_value", value=_number_text(v), unit=unit,
                             bound=_number_text(bound)) for v in failures.loc[big, "value"]]
    rng = failures["rule"].eq("out_of_range") & failures["column"].eq("value")
    if rng.any() and "indicator_id" in frame.columns:
        ind = catalogue.indicators.set_index("indicator_id")
        text = {i: _tf("input.hint.indicator_range", id=i, name=r.name_zh, low=f"{r.min_value:g}",
                       high=f"{r.max_value:g}", unit=r.unit)
                for i, r in ind.iterrows()}
        ids = frame.loc[failures.loc[rng, "index"], "indicator_id"]
        hint[rng] = ids.map(text).to_numpy()
    return hint
