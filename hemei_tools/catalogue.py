"""The indicator catalogue: framework, indicators, benchmarks and plan targets, as data.

Five versioned CSV tables ship in ``hemei_tools/catalogue/``:

``framework.csv``
    The index tree (COINr's "index structure" table): ``code``, ``level`` (index, dimension,
    task), ``parent``, ``name_zh``, ``name_en``, ``weight`` (relative within the parent).
``indicators.csv``
    One row per indicator: its task, labels, unit, decimals, ``direction`` (+1 higher is
    better, -1 lower is better), ``weight`` within its task, ``value_type`` (percent, binary,
    amount, count), hard ``min_value``/``max_value`` for a village value, ``goalpost_low`` (the
    documented floor of the goalpost normalisation; blank means a low percentile of the data),
    ``aggregation`` (how a village value rolls up to township, county and city) and ``scored``.
``benchmarks.csv``
    Published figures per indicator with region, ``basis`` (zhejiang, national, anhui, local:
    whose figure it is), year, value, ``kind`` (actual, target, standard), source title, URL,
    ``publisher``, ``source_kind`` (statistical_bulletin, government, official_media, repost,
    unchecked) and confidence. Each figure cites the best source for it in
    ``benchmark_sources.csv`` (the project's collected reference table, vendored next to it).
    ``role == "benchmark"`` marks the figure an indicator is scored against (its goalpost);
    other rows are comparisons.
``reference_goalposts.csv``
    The goalposts that are not published figures, for indicators where nothing is published:
    a **policy standard** (``basis`` policy, kind standard: full coverage, 100 %, citing the
    policy where one is known) or a **pinned reference** (``basis`` reference, kind reference:
    a percentile of the unit values of a stated reference data set, ``level`` and ``year``,
    computed by ``hemei reference`` and versioned with the catalogue, so goalposts never depend
    on the data a report loads). ``role`` is ``benchmark`` (the 100-point goalpost), ``low``
    (the 0-point goalpost of an indicator whose ``goalpost_low`` is blank) or ``alternative``
    (another percentile, drawn only by the Monte Carlo uncertainty analysis). Optional in a
    variant catalogue folder.
``plan_targets.csv``
    The city's 5511 plan and Anhui's 千村引领、万村升级 targets, with baseline and schedule.
    ``kind`` says what a row is: a ``target`` (a plan's promise, judged against its schedule by
    :mod:`hemei_tools.engine.progress`) or a ``quota`` (the share of one selection round given
    to a county, an *input* of :mod:`hemei_tools.engine.shortlist`: met by construction, so
    never judged as progress). A quota must split a target of the same programme and item
    whose region contains it, and a round's quotas may not exceed that target.
``field_bounds.csv``
    A plausible upper bound (``max_value``, in ``unit``) for every count and amount column of
    the input tables (``table``, ``column``: population and households of a village, a
    project's budget, an applicant's incomes …), with a ``note`` on where the figure comes from;
    a value above it is the validation problem ``implausible_value`` (``budget_wan = 1e308`` is
    refused, not summed into an infinite headline). Indicator values have theirs in
    ``indicators.csv``. Optional in a variant catalogue folder (the packaged table is used).
``labels.csv``
    Every user-facing word of the reports (section titles, table headers, status words, chart
    text, sentence templates with ``{placeholders}``) and the category codes of the input
    schema (``vocab.*``), as ``key, zh, en``. Code refers to wording by key only
    (:func:`label`, :func:`format_label`, :class:`LabelGroup`); :func:`load_labels` validates the
    table (unique dotted keys, non-empty ``zh``, the same placeholders in ``zh`` and ``en``).

Everything is validated on load; a broken table raises :class:`~hemei_tools.errors.CatalogueError`
listing every problem with its file and row.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import string
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from hemei_tools.errors import CatalogueError

TREE_LEVELS = ("index", "dimension", "task")
"""Levels of the framework tree (``level`` of framework.csv), root first; indicators hang under tasks."""
AGGREGATIONS = ("household_mean", "population_mean", "village_share", "village_mean", "sum")
VALUE_TYPES = ("percent", "binary", "amount", "count")
BENCHMARK_KINDS = ("actual", "target", "standard")
BENCHMARK_ROLES = ("benchmark", "comparison")
PUBLISHED_BASES = ("zhejiang", "national", "anhui", "local")
"""Whose figure a ``benchmarks.csv`` row is (``basis``): Zhejiang (the province or one of its
cities), the nation, Anhui, or a local unit (a city or county of Anhui)."""
REFERENCE_BASES = ("policy", "reference")
"""Goalposts of ``reference_goalposts.csv``: a policy standard, or a pinned reference percentile."""
GOALPOST_BASES = PUBLISHED_BASES + REFERENCE_BASES
"""Every basis a goalpost can have, in the order reports list them."""
REFERENCE_ROLES = ("benchmark", "low", "alternative")
GOALPOST_COLUMNS = ["indicator_id", "role", "basis", "region", "year", "year_label", "value", "unit", "kind",
                    "source_title", "source_url", "publisher", "source_kind", "confidence", "note", "percentile",
                    "level", "dataset", "n_units", "synthetic"]
"""Columns of :meth:`Catalogue.comparison_set` (both goalpost tables, a column a table lacks empty)."""
_REFERENCE_LEVELS = ("village", "township", "county", "city", "province")
_REFERENCE_KIND = {"policy": "standard", "reference": "reference"}
_SOURCE_KINDS = ("statistical_bulletin", "government", "official_media", "repost", "unchecked")
"""How close a benchmark's source is to the body that produced the figure, best first
(``source_kind`` of benchmarks.csv and benchmark_sources.csv)."""
PLAN_ITEMS = ("boutique_village", "central_village", "demo_county")
PLAN_KINDS = ("target", "quota")
"""``kind`` of a plan_targets.csv row: a plan target, or a county quota of one selection round."""
_LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6}

_FILES = {
    "framework": "framework.csv",
    "indicators": "indicators.csv",
    "benchmarks": "benchmarks.csv",
    "plan_targets": "plan_targets.csv",
    "reference_goalposts": "reference_goalposts.csv",
    "field_bounds": "field_bounds.csv",
}
#: Tables a variant catalogue folder may leave out (read as empty).
_OPTIONAL = ("reference_goalposts",)
#: Tables a variant catalogue folder may leave out (the packaged one is read instead).
_PACKAGED_DEFAULT = ("field_bounds",)
_DTYPES = {
    "framework": {"code": str, "parent": str},
    "indicators": {"indicator_id": str, "task_id": str},
    "benchmarks": {"indicator_id": str, "year": "Int64"},
    "plan_targets": {"region_code": str, "programme": str},
    "reference_goalposts": {"indicator_id": str, "year": "Int64"},
    "field_bounds": {"table": str, "column": str, "unit": str},
}


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue tables.

    Attributes
    ----------
    framework, indicators, benchmarks, plan_targets : pandas.DataFrame
        The four tables, as read and checked (see the module docstring).
    source : str
        Where the tables were read from (a folder, or ``"package"``).
    reference_goalposts : pandas.DataFrame
        Policy standards and pinned reference goalposts (``reference_goalposts.csv``); empty
        when the catalogue has none.
    field_bounds : pandas.DataFrame
        Plausible upper bounds of the count and amount columns of the input tables
        (``field_bounds.csv``: table, column, unit, max_value, note).
    """

    framework: pd.DataFrame
    indicators: pd.DataFrame
    benchmarks: pd.DataFrame
    plan_targets: pd.DataFrame
    source: str = "package"
    reference_goalposts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=_REQUIRED_COLUMNS["reference_goalposts"]))
    field_bounds: pd.DataFrame = field(default_factory=lambda: packaged_field_bounds())
    _labels: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        labels = self._labels
        for lang in ("zh", "en"):
            col = f"name_{lang}"
            if col in self.framework.columns:
                for code, name in zip(self.framework["code"], self.framework[col], strict=True):
                    labels[(code, lang, False)] = labels[(code, lang, True)] = str(name)
            if col not in self.indicators.columns:
                continue
            for iid, name, unit in zip(
                self.indicators["indicator_id"], self.indicators[f"name_{lang}"], self.indicators["unit"], strict=True
            ):
                labels[(iid, lang, False)] = str(name)
                labels[(iid, lang, True)] = f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"

    @property
    def indicator_ids(self) -> list[str]:
        """All indicator ids, in catalogue order."""
        return self.indicators["indicator_id"].tolist()

    @property
    def scored_ids(self) -> list[str]:
        """Ids of the indicators that enter the index, in catalogue order."""
        return self.indicators.loc[self.indicators["scored"], "indicator_id"].tolist()

    @property
    def tasks(self) -> pd.DataFrame:
        """Framework rows at task level."""
        return self.framework[self.framework["level"] == "task"].reset_index(drop=True)

    @property
    def dimensions(self) -> pd.DataFrame:
        """Framework rows at dimension level."""
        return self.framework[self.framework["level"] == "dimension"].reset_index(drop=True)

    @property
    def index_code(self) -> str:
        """Code of the root of the framework (the 和美指数; looked up once per catalogue)."""
        return self.memo("index_code", lambda: str(self.framework.loc[self.framework["level"] == "index",
                                                                      "code"].iloc[0]))

    def indicator(self, indicator_id: str) -> pd.Series:
        """The catalogue row of one indicator; ``KeyError`` naming the id if unknown."""
        rows = self.indicators[self.indicators["indicator_id"] == indicator_id]
        if rows.empty:
            raise KeyError(f"unknown indicator_id {indicator_id!r}; known: {', '.join(self.indicator_ids)}")
        return rows.iloc[0]

    def label(self, code: str, lang: str = "zh", with_unit: bool = False) -> str:
        """Human label of an indicator, task, dimension or the index.

        Parameters
        ----------
        code
            An indicator id or a framework code.
        lang
            ``"zh"`` or ``"en"``.
        with_unit
            Append the indicator's unit in brackets, e.g. ``卫生厕所普及率（%）``.
        """
        try:
            return self._labels[(code, lang, bool(with_unit))]
        except KeyError:
            pass
        raise KeyError(f"unknown code {code!r}")

    def comparison_set(self) -> pd.DataFrame:
        """Every goalpost figure of every indicator: the published rows of ``benchmarks.csv`` and
        the policy and reference rows of ``reference_goalposts.csv``, in the columns
        :data:`GOALPOST_COLUMNS` (a column a table lacks is empty).

        ``role`` is ``benchmark`` (the figure the indicator is scored against), ``comparison``
        (another published figure), ``low`` (a pinned lower goalpost) or ``alternative`` (a
        reference percentile drawn only by the uncertainty analysis); ``basis`` says whose
        figure it is (:data:`GOALPOST_BASES`). Built once per catalogue; each call returns a copy.
        """
        return self._comparison_frame.copy()

    def goalpost_figures(self, indicator_id: str, kind: str) -> list[dict]:
        """The goalpost figures of one indicator and kind (rows of :meth:`comparison_set`) as
        ``{"region", "year", "value", "synthetic", "repost"}`` dicts (``None`` for a missing
        region, year or value; ``synthetic``: a reference computed from synthetic data;
        ``repost``: ``source_kind`` is repost). A dict lookup, built once per catalogue: a
        report cites goalposts dozens of times."""
        return self._goalpost_index.get((str(indicator_id), str(kind)), [])

    @functools.cached_property
    def _goalpost_index(self) -> dict[tuple[str, str], list[dict]]:
        def missing(x) -> bool:
            return x is None or (not isinstance(x, str) and bool(pd.isna(x)))

        index: dict[tuple[str, str], list[dict]] = {}
        for r in self._comparison_frame.to_dict("records"):
            flag = r["synthetic"]
            synthetic = (flag.strip().lower() == "true") if isinstance(flag, str) else (not missing(flag) and bool(flag))
            index.setdefault((str(r["indicator_id"]), str(r["kind"])), []).append({
                "region": None if missing(r["region"]) else str(r["region"]),
                "year": None if missing(r["year"]) else float(r["year"]),
                "value": None if missing(r["value"]) else float(r["value"]),
                "synthetic": synthetic, "repost": str(r["source_kind"]) == "repost"})
        return index

    @functools.cached_property
    def _comparison_frame(self) -> pd.DataFrame:
        """:meth:`comparison_set`, built once (the catalogue's tables are not changed after load)."""
        bm = self.benchmarks.reindex(columns=GOALPOST_COLUMNS)
        if "basis" not in self.benchmarks.columns:
            bm["basis"] = self.benchmarks["region"].map(_basis_of_region)
        ref = self.reference_goalposts.reindex(columns=GOALPOST_COLUMNS)
        parts = [p for p in (bm, ref) if not p.empty]
        if not parts:
            return pd.DataFrame(columns=GOALPOST_COLUMNS)
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
        out["year"] = out["year"].astype("Int64")
        out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
        out["percentile"] = pd.to_numeric(out["percentile"], errors="coerce").astype(float)
        return out

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value of ``compute()``, computed once per catalogue and ``key`` (a hashable naming
        the computation and its arguments, e.g. ``("resolve_benchmarks", None, 90.0)``).

        For results that depend on the catalogue alone (goalposts, weight matrices): the
        catalogue's tables are not changed after load (:meth:`comparison_set` rests on the same
        rule). A ``compute`` that raises stores nothing. The cached value is shared: a caller
        that hands out a mutable value (a frame) returns a copy of it.
        """
        memo = self._memo
        try:
            return memo[key]
        except KeyError:
            pass
        value = memo[key] = compute()
        return value

    @functools.cached_property
    def _memo(self) -> dict:
        """Values of :meth:`memo` by key."""
        return {}

    @functools.cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the catalogue's content: every table (:func:`frame_fingerprint`), in field
        order. Equal catalogues have equal fingerprints wherever they were read from; a changed
        figure, weight or goalpost changes it. Computed once per catalogue (a few ms); used in
        the keys of results stored on disk (:func:`hemei_tools.inputs.store.stored`)."""
        digest = hashlib.sha256()
        for name in ("framework", "indicators", "benchmarks", "plan_targets", "reference_goalposts",
                     "field_bounds"):
            digest.update(f"{name}\0{frame_fingerprint(getattr(self, name))}\n".encode())
        return digest.hexdigest()

    def benchmark_table(self) -> pd.DataFrame:
        """One row per scored indicator (catalogue order): its goalpost, the ``role == benchmark``
        row of :meth:`comparison_set` (a published figure, a policy standard or a pinned
        reference), in the columns :data:`GOALPOST_COLUMNS`."""
        c = self.comparison_set()
        b = c[c["role"] == "benchmark"]
        return b.set_index("indicator_id").reindex(self.scored_ids).rename_axis("indicator_id").reset_index()

    def indicator_tree(self) -> pd.DataFrame:
        """Indicators with their task and dimension codes and effective weights.

        The effective weight of an indicator in the index is the product of its normalised
        weights down the tree (JRC/OECD Handbook 2008, §6): w_eff = w_ind/Σw_task ·
        w_task/Σw_dim · w_dim/Σw_index. Only scored indicators are included.
        """
        ind = self.indicators[self.indicators["scored"]][["indicator_id", "task_id", "weight"]].copy()
        fw = self.framework.set_index("code")
        ind["dimension_id"] = ind["task_id"].map(fw["parent"])
        ind["w_ind"] = ind["weight"] / ind.groupby("task_id")["weight"].transform("sum")
        tasks = fw[fw["level"] == "task"]
        w_task = tasks["weight"] / tasks.groupby("parent")["weight"].transform("sum")
        dims = fw[fw["level"] == "dimension"]
        w_dim = dims["weight"] / dims["weight"].sum()
        ind["effective_weight"] = ind["w_ind"] * ind["task_id"].map(w_task) * ind["dimension_id"].map(w_dim)
        return ind.drop(columns="w_ind").reset_index(drop=True)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's content: its shape, column names and dtypes, the index, and per column
    the values' hashes (:func:`pandas.util.hash_pandas_object`) and, for an object column, the
    names of the Python types it holds (``1`` and ``"1"`` hash alike). Two frames with equal
    content and dtypes have equal fingerprints; about 3 ms for a 60-row frame of 16 columns.
    """
    digest = hashlib.sha256()
    digest.update(repr((frame.shape, [str(c) for c in frame.columns], [str(t) for t in frame.dtypes])).encode())
    digest.update(pd.util.hash_pandas_object(frame.index, index=False).to_numpy().tobytes())
    for _, col in frame.items():
        digest.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
        if col.dtype == object:
            digest.update(repr(sorted({type(x).__name__ for x in col})).encode())
    return digest.hexdigest()


def _read_tables(folder: Path | None) -> tuple[dict[str, pd.DataFrame], str]:
    tables = {}
    for key, name in _FILES.items():
        if folder is None or (key in _PACKAGED_DEFAULT and not (folder / name).exists()):
            ref = resources.files("hemei_tools") / "catalogue" / name
            with resources.as_file(ref) as path:
                tables[key] = pd.read_csv(path, dtype=_DTYPES[key], keep_default_na=False, na_values=[""])
        elif key in _OPTIONAL and not (folder / name).exists():
            tables[key] = pd.DataFrame(columns=_REQUIRED_COLUMNS[key]).astype(_DTYPES[key])
        else:
            tables[key] = pd.read_csv(folder / name, dtype=_DTYPES[key], keep_default_na=False, na_values=[""])
    return tables, ("package" if folder is None else str(folder))


def _basis_of_region(region) -> str:
    """The basis of a published figure from its region: ``Zhejiang`` or ``X (Zhejiang)`` →
    zhejiang, ``China`` → national, ``Anhui`` → anhui, anything else (an Anhui city or county)
    → local."""
    text = str(region)
    if text == "Zhejiang" or text.endswith("(Zhejiang)"):
        return "zhejiang"
    return {"China": "national", "Anhui": "anhui"}.get(text, "local")


def _row(i: int) -> int:
    """Line number of data row ``i`` as the user sees it in the CSV (header is line 1)."""
    return int(i) + 2


#: Columns each catalogue table must have.
_REQUIRED_COLUMNS = {
    "framework": ["code", "level", "parent", "name_zh", "name_en", "weight"],
    "indicators": ["indicator_id", "task_id", "name_zh", "name_en", "unit", "decimals", "direction",
                   "weight", "value_type", "min_value", "max_value", "goalpost_low", "aggregation",
                   "scored", "description"],
    "benchmarks": ["indicator_id", "role", "region", "basis", "year", "year_label", "value", "unit", "kind",
                   "source_title", "source_url", "publisher", "source_kind", "confidence", "note"],
    "reference_goalposts": ["indicator_id", "role", "basis", "region", "year", "value", "unit", "kind",
                            "percentile", "level", "dataset", "n_units", "synthetic", "source_title",
                            "source_url", "note"],
    "plan_targets": ["programme", "region_code", "region_level", "item", "item_zh", "kind", "baseline_year",
                     "baseline", "target_year", "target_new", "schedule", "source_title", "note"],
    "field_bounds": ["table", "column", "unit", "max_value", "note"],
}
REFERENCE_GOALPOST_COLUMNS = _REQUIRED_COLUMNS["reference_goalposts"]
"""Columns of ``reference_goalposts.csv``, in file order."""


def validate_catalogue(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Check the catalogue tables against their rules; return one line per problem.

    Rules: required columns present; framework codes unique, one index root, each parent one
    level up, every dimension and task has children; indicator ids unique and ASCII
    snake_case, tasks known, direction in {+1, -1}, weights positive, aggregation and value type
    known, min < max; benchmark rows name known indicators, roles, kinds and a basis that matches
    the region, a numeric value, year, source URL, publisher and known ``source_kind``;
    reference goalposts (:func:`_check_reference_goalposts`); exactly one goalpost (a benchmark
    row in either table) and one lower goalpost (``goalpost_low`` or a ``low`` row) per scored
    indicator; plan targets name known items with target > 0 and baseline_year < target_year.
    """
    problems = _check_columns(tables)
    if problems:
        return problems
    return (_check_framework(tables["framework"]) + _check_indicators(tables["indicators"], tables["framework"])
            + _check_benchmarks(tables["benchmarks"], tables["indicators"])
            + _check_reference_goalposts(tables["reference_goalposts"], tables["indicators"])
            + _check_goalposts_per_indicator(tables)
            + _check_plan_targets(tables["plan_targets"])
            + check_field_bounds(tables["field_bounds"]))


def check_field_bounds(fb: pd.DataFrame) -> list[str]:
    """Problems of field_bounds.csv: each (table, column) once, a unit, and a finite positive
    ``max_value``. (That every count and amount column of the input schema has a row, in its
    unit, is checked where the schema is built: :func:`hemei_tools.inputs.schema.field_bounds`.)"""
    problems = []
    f = _FILES["field_bounds"]
    seen: dict[tuple[str, str], int] = {}
    for i, r in fb.reset_index(drop=True).iterrows():
        where = f"{f} row {_row(i)}"
        key = (str(r["table"]), str(r["column"]))
        if key in seen:
            problems.append(f"{where}: {key[0]}.{key[1]} is already bounded in row {seen[key]}")
        seen.setdefault(key, _row(i))
        if pd.isna(r["table"]) or pd.isna(r["column"]) or pd.isna(r["unit"]):
            problems.append(f"{where}: table, column and unit must be given")
        v = pd.to_numeric(pd.Series([r["max_value"]]), errors="coerce").iloc[0]
        if not (pd.notna(v) and 0 < v < float("inf")):
            problems.append(f"{where}: max_value {r['max_value']!r} must be a positive finite number")
    return problems


def _check_columns(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Problems: required columns missing from a table."""
    problems = []
    for key, cols in _REQUIRED_COLUMNS.items():
        missing = [c for c in cols if c not in tables[key].columns]
        if missing:
            problems.append(f"{_FILES[key]}: missing column(s) {', '.join(missing)}")
    return problems


def _check_framework(fw: pd.DataFrame) -> list[str]:
    """Problems of framework.csv: unique codes, known levels, one index, parents one level up,
    positive weights, every dimension with tasks."""
    problems = []
    f = _FILES["framework"]
    for i in fw.index[fw["code"].duplicated()]:
        problems.append(f"{f} row {_row(i)}: code {fw.at[i, 'code']!r} is not unique")
    for i in fw.index[~fw["level"].isin(TREE_LEVELS)]:
        problems.append(f"{f} row {_row(i)}: level {fw.at[i, 'level']!r} is not one of {TREE_LEVELS}")
    if (fw["level"] == "index").sum() != 1:
        problems.append(f"{f}: there must be exactly one row with level 'index'")
    level_of = dict(zip(fw["code"], fw["level"], strict=False))
    up = {"dimension": "index", "task": "dimension"}
    for i, r in fw.iterrows():
        if r["level"] in up and level_of.get(r["parent"]) != up[r["level"]]:
            problems.append(f"{f} row {_row(i)}: parent {r['parent']!r} of {r['code']} is not a {up[r['level']]}")
        if not (pd.notna(r["weight"]) and float(r["weight"]) > 0):
            problems.append(f"{f} row {_row(i)}: weight {r['weight']!r} must be a positive number")
    for i, r in fw[fw["level"] == "dimension"].iterrows():
        if not (fw["parent"] == r["code"]).any():
            problems.append(f"{f} row {_row(i)}: dimension {r['code']} has no tasks")
    return problems


def _indicator_row_problems(r: pd.Series, tasks: set[str]) -> list[str]:
    """The rule breaches of one indicators.csv row, without its location."""
    problems = []
    if not pd.Series([r["indicator_id"]]).str.fullmatch(r"[a-z][a-z0-9_]*").iloc[0]:
        problems.append("indicator_id must be ASCII snake_case")
    if r["task_id"] not in tasks:
        problems.append(f"task_id {r['task_id']!r} is not a task in framework.csv")
    if r["direction"] not in (1, -1):
        problems.append(f"direction {r['direction']!r} must be 1 or -1")
    if not (pd.notna(r["weight"]) and float(r["weight"]) > 0):
        problems.append(f"weight {r['weight']!r} must be a positive number")
    if r["aggregation"] not in AGGREGATIONS:
        problems.append(f"aggregation {r['aggregation']!r} is not one of {AGGREGATIONS}")
    if r["value_type"] not in VALUE_TYPES:
        problems.append(f"value_type {r['value_type']!r} is not one of {VALUE_TYPES}")
    if r["value_type"] == "binary" and r["aggregation"] != "village_share":
        problems.append("a binary indicator must aggregate as village_share")
    if not (pd.notna(r["min_value"]) and pd.notna(r["max_value"]) and r["min_value"] < r["max_value"]):
        problems.append(f"min_value {r['min_value']!r} must be below max_value {r['max_value']!r}")
    if str(r["scored"]).lower() not in ("true", "false"):
        problems.append(f"scored {r['scored']!r} must be true or false")
    return problems


def _check_indicators(ind: pd.DataFrame, fw: pd.DataFrame) -> list[str]:
    """Problems of indicators.csv: unique ids, each row's rules, every task with indicators."""
    problems = []
    f = _FILES["indicators"]
    tasks = set(fw.loc[fw["level"] == "task", "code"])
    for i in ind.index[ind["indicator_id"].duplicated()]:
        problems.append(f"{f} row {_row(i)}: indicator_id {ind.at[i, 'indicator_id']!r} is not unique")
    for i, r in ind.iterrows():
        where = f"{f} row {_row(i)} ({r['indicator_id']})"
        problems += [f"{where}: {p}" for p in _indicator_row_problems(r, tasks)]
    for t in sorted(tasks - set(ind["task_id"])):
        problems.append(f"{f}: task {t} has no indicators")
    return problems


def _check_benchmarks(bm: pd.DataFrame, ind: pd.DataFrame) -> list[str]:
    """Problems of benchmarks.csv: known indicators, roles and kinds; a basis matching the
    region; a published figure's value, source URL, year, publisher and source kind."""
    problems = []
    f = _FILES["benchmarks"]
    known = set(ind["indicator_id"])
    for i, r in bm.iterrows():
        where = f"{f} row {_row(i)} ({r['indicator_id']})"
        if r["indicator_id"] not in known:
            problems.append(f"{where}: indicator_id is not in indicators.csv")
        if r["role"] not in BENCHMARK_ROLES:
            problems.append(f"{where}: role {r['role']!r} is not one of {BENCHMARK_ROLES}")
        if r["kind"] not in BENCHMARK_KINDS:
            problems.append(f"{where}: kind {r['kind']!r} is not one of {BENCHMARK_KINDS} (a goalpost without a "
                            "published figure goes to reference_goalposts.csv)")
        if r["basis"] != _basis_of_region(r["region"]):
            problems.append(f"{where}: basis {r['basis']!r} does not match region {r['region']!r} "
                            f"(expected {_basis_of_region(r['region'])!r})")
        if pd.isna(pd.to_numeric(r["value"], errors="coerce")):
            problems.append(f"{where}: value {r['value']!r} is not a number")
        if not str(r["source_url"]).startswith("http"):
            problems.append(f"{where}: a published figure needs its source_url")
        if pd.isna(r["year"]):
            problems.append(f"{where}: a published figure needs its year")
        if pd.isna(r["publisher"]) or not str(r["publisher"]).strip():
            problems.append(f"{where}: a published figure needs its publisher")
        if r["source_kind"] not in _SOURCE_KINDS:
            problems.append(f"{where}: source_kind {r['source_kind']!r} is not one of {_SOURCE_KINDS}")
    return problems


def _reference_row_problems(r: pd.Series, ind: pd.DataFrame) -> list[str]:
    """The rule breaches of one reference_goalposts.csv row, without its location."""
    problems = []
    if r["role"] not in REFERENCE_ROLES:
        problems.append(f"role {r['role']!r} is not one of {REFERENCE_ROLES}")
    if r["basis"] not in REFERENCE_BASES:
        return problems + [f"basis {r['basis']!r} is not one of {REFERENCE_BASES}"]
    if r["kind"] != _REFERENCE_KIND[r["basis"]]:
        problems.append(f"kind {r['kind']!r} must be {_REFERENCE_KIND[r['basis']]!r} for basis {r['basis']!r}")
    value = pd.to_numeric(r["value"], errors="coerce")
    if pd.isna(value):
        problems.append(f"value {r['value']!r} is not a number")
    meta = ind.set_index("indicator_id").loc[r["indicator_id"]] if r["indicator_id"] in set(ind["indicator_id"]) \
        else None
    if r["basis"] == "policy":
        if r["role"] != "benchmark":
            problems.append("a policy standard is a benchmark (role benchmark)")
        url = "" if pd.isna(r["source_url"]) else str(r["source_url"])
        if url and not url.startswith("http"):
            problems.append(f"source_url {url!r} must be a web address (or blank when no policy is cited)")
        if not url and meta is not None and not (meta["value_type"] in ("binary", "percent") and value == 100):
            problems.append("a policy standard without a cited policy is full coverage: 100 on a binary or "
                            "percent indicator")
        return problems
    if not (pd.notna(pd.to_numeric(r["percentile"], errors="coerce")) and 0 < float(r["percentile"]) < 100):
        problems.append(f"percentile {r['percentile']!r} must be a number between 0 and 100")
    if r["level"] not in _REFERENCE_LEVELS:
        problems.append(f"level {r['level']!r} is not one of {_REFERENCE_LEVELS}")
    if pd.isna(r["year"]):
        problems.append("a reference needs the year of its data")
    if pd.isna(r["dataset"]) or not str(r["dataset"]).strip():
        problems.append("a reference names its data set (dataset)")
    if not (pd.notna(pd.to_numeric(r["n_units"], errors="coerce")) and float(r["n_units"]) >= 1):
        problems.append(f"n_units {r['n_units']!r} must be the number of units it was computed from (≥ 1)")
    if str(r["synthetic"]).lower() not in ("true", "false"):
        problems.append(f"synthetic {r['synthetic']!r} must be true or false (are the reference data synthetic?)")
    return problems


def _check_reference_goalposts(ref: pd.DataFrame, ind: pd.DataFrame) -> list[str]:
    """Problems of reference_goalposts.csv: scored indicators, known roles and bases, the kind of
    the basis, a numeric value; a policy standard is a benchmark, cites a policy or is full
    coverage (100); a reference states its percentile, level, year, data set, number of units and
    whether the data are synthetic; no repeated (indicator, role, basis, percentile)."""
    problems = []
    f = _FILES["reference_goalposts"]
    scored = set(ind.loc[ind["scored"].astype(str).str.lower() == "true", "indicator_id"])
    for i, r in ref.iterrows():
        where = f"{f} row {_row(i)} ({r['indicator_id']})"
        if r["indicator_id"] not in scored:
            problems.append(f"{where}: indicator_id is not a scored indicator of indicators.csv")
        problems += [f"{where}: {p}" for p in _reference_row_problems(r, ind)]
    key = ref[["indicator_id", "role", "basis"]].astype(str).assign(
        p=pd.to_numeric(ref["percentile"], errors="coerce").astype(str))
    for i in ref.index[key.duplicated()]:
        problems.append(f"{f} row {_row(i)} ({ref.at[i, 'indicator_id']}): repeats an earlier row's indicator, role, "
                        "basis and percentile")
    return problems


def _check_goalposts_per_indicator(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Problems: a scored indicator without exactly one goalpost (a ``benchmark`` row in
    benchmarks.csv or reference_goalposts.csv) or without exactly one lower goalpost
    (``goalpost_low`` in indicators.csv or a ``low`` row)."""
    ind, bm, ref = tables["indicators"], tables["benchmarks"], tables["reference_goalposts"]
    problems = []
    n_bench = pd.concat([bm.loc[bm["role"] == "benchmark", "indicator_id"],
                         ref.loc[ref["role"] == "benchmark", "indicator_id"]]).value_counts()
    n_low = ref.loc[ref["role"] == "low", "indicator_id"].value_counts()
    scored = ind[ind["scored"].astype(str).str.lower() == "true"]
    for iid, low in zip(scored["indicator_id"], scored["goalpost_low"], strict=True):
        n = int(n_bench.get(iid, 0))
        if n != 1:
            problems.append(f"scored indicator {iid} has {n} benchmark rows in benchmarks.csv and "
                            "reference_goalposts.csv (needs exactly 1: a published figure, a policy standard or "
                            "a pinned reference)")
        lows = int(n_low.get(iid, 0)) + int(pd.notna(pd.to_numeric(low, errors="coerce")))
        if lows != 1:
            problems.append(f"scored indicator {iid} has {lows} lower goalposts (needs exactly 1: goalpost_low in "
                            "indicators.csv or a low row in reference_goalposts.csv)")
    return problems


def _check_plan_targets(pt: pd.DataFrame) -> list[str]:
    """Problems of plan_targets.csv: known items and kinds, a region code of its level, positive
    targets, baseline before target year, and every quota inside a target it splits (same
    programme and item, a containing region) whose round's quotas do not exceed it."""
    problems = []
    f = _FILES["plan_targets"]
    for i, r in pt.iterrows():
        where = f"{f} row {_row(i)}"
        if r["item"] not in PLAN_ITEMS:
            problems.append(f"{where}: item {r['item']!r} is not one of {PLAN_ITEMS}")
        if r["kind"] not in PLAN_KINDS:
            problems.append(f"{where}: kind {r['kind']!r} is not one of {PLAN_KINDS}")
        digits = _LEVEL_DIGITS.get(str(r["region_level"]))
        if digits is None or not re.fullmatch(rf"\d{{{digits}}}", str(r["region_code"])):
            problems.append(f"{where}: region_code {r['region_code']!r} is not a {r['region_level']} code "
                            f"({', '.join(f'{k} {n} digits' for k, n in _LEVEL_DIGITS.items())})")
        if not (pd.notna(r["target_new"]) and float(r["target_new"]) > 0):
            problems.append(f"{where}: target_new {r['target_new']!r} must be positive")
        if not (r["baseline_year"] < r["target_year"]):
            problems.append(f"{where}: baseline_year must be before target_year")
    quotas = pt[pt["kind"] == "quota"]
    targets = pt[pt["kind"] == "target"]
    for (programme, item, year), q in quotas.groupby(["programme", "item", "target_year"], sort=False):
        for i, r in q.iterrows():
            split = targets[(targets["programme"] == programme) & (targets["item"] == item)
                            & targets["region_code"].map(lambda c, code=str(r["region_code"]):
                                                         code.startswith(str(c)) and code != str(c))]
            if split.empty:
                problems.append(f"{f} row {_row(i)}: quota of {r['region_code']} splits no {programme} {item} "
                                "target of a region containing it; add the target or correct the row")
                continue
            t = split.iloc[0]
            inside = q[q["region_code"].astype(str).str.startswith(str(t["region_code"]))]
            if float(inside["target_new"].sum()) > float(t["target_new"]) and i == inside.index[0]:
                problems.append(f"{f} row {_row(i)}: the {year} quotas of {programme} {item} inside "
                                f"{t['region_code']} add up to {inside['target_new'].sum():g}, more than its "
                                f"target {t['target_new']:g}")
    return problems


def _finish(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    ind = tables["indicators"].copy()
    ind["scored"] = ind["scored"].astype(str).str.lower() == "true"
    ind["direction"] = ind["direction"].astype(int)
    ind["decimals"] = ind["decimals"].astype(int)
    ind["weight"] = ind["weight"].astype(float)
    ind["goalpost_low"] = pd.to_numeric(ind["goalpost_low"])
    bm = tables["benchmarks"].copy()
    bm["value"] = pd.to_numeric(bm["value"], errors="coerce")
    fw = tables["framework"].copy()
    fw["weight"] = fw["weight"].astype(float)
    ref = tables["reference_goalposts"].copy()
    for col in ("value", "percentile", "n_units"):
        ref[col] = pd.to_numeric(ref[col], errors="coerce").astype(float)
    ref["synthetic"] = ref["synthetic"].astype(str).str.lower() == "true"
    fb = tables["field_bounds"].copy()
    fb["max_value"] = pd.to_numeric(fb["max_value"]).astype(float)
    return {**tables, "indicators": ind, "benchmarks": bm, "framework": fw, "reference_goalposts": ref,
            "field_bounds": fb}


def load_catalogue(folder: str | Path | None = None, *, complete: bool = True) -> Catalogue:
    """Read and validate the catalogue.

    Parameters
    ----------
    folder
        A folder holding the CSV files of a variant catalogue (``reference_goalposts.csv`` may
        be left out); ``None`` (default) reads the one packaged with hemei-tools (cached, so
        repeated calls are free).
    complete
        Require one goalpost and one lower goalpost per scored indicator (default). ``False``
        skips only that rule: ``hemei reference`` reads a catalogue whose pinned references it
        is about to (re)compute.

    Raises
    ------
    CatalogueError
        Listing every broken rule with its file and row.
    """
    if folder is None and complete:
        return _load_packaged()
    return _load(None if folder is None else Path(folder), complete=complete)


@functools.cache
def _load_packaged() -> Catalogue:
    return _load(None)


def _load(folder: Path | None, complete: bool = True) -> Catalogue:
    tables, source = _read_tables(folder)
    problems = validate_catalogue(tables)
    if not complete and not _check_columns(tables):
        skip = set(_check_goalposts_per_indicator(tables))
        problems = [p for p in problems if p not in skip]
    if problems:
        raise CatalogueError(problems)
    t = _finish(tables)
    return Catalogue(t["framework"], t["indicators"], t["benchmarks"], t["plan_targets"], source,
                     reference_goalposts=t["reference_goalposts"], field_bounds=t["field_bounds"])


def packaged_field_bounds() -> pd.DataFrame:
    """The packaged ``field_bounds.csv`` (validated), for catalogues built without one."""
    return _load_packaged().field_bounds


# ---------------------------------------------------------------------------------- labels
#: Languages of ``labels.csv`` (one column each).
LANGUAGES = ("zh", "en")
_LABEL_FILE = "labels.csv"
_LABEL_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


class MissingLabelError(CatalogueError, KeyError):
    """A label key that ``labels.csv`` does not define (a :class:`KeyError` too)."""

    def __init__(self, key: str, source: str = _LABEL_FILE):
        self.key = key
        super().__init__([f"{source}: no label with key {key!r}; add a row for it"])

    def __str__(self) -> str:
        return self.args[0] if self.args else super().__str__()


def placeholders(template: str) -> set[str]:
    """The ``{placeholder}`` names of a ``str.format`` template (also those nested in format specs).

    Raises ``ValueError`` for a malformed template (an unmatched brace).
    """
    names: set[str] = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(re.split(r"[.\[]", name, maxsplit=1)[0])
        if spec:
            names |= placeholders(spec)
    return names


def validate_labels(rows: list[dict[str, str]], source: str = _LABEL_FILE) -> list[str]:
    """Problems of the rows of a labels table, one line each naming the file, row and key.

    Rules: columns ``key, zh, en``; a key is a dotted lower-case ASCII id (``status.red``) and
    unique; ``zh`` is not empty; ``zh`` and ``en`` (if given) are well-formed templates with the
    same ``{placeholders}``. Row numbers count the header as row 1, as a spreadsheet does.
    """
    problems: list[str] = []
    if not rows:
        return [f"{source}: no rows"]
    missing = [c for c in ("key", *LANGUAGES) if c not in rows[0]]
    if missing:
        return [f"{source}: missing column(s) {', '.join(missing)} (need key, zh, en)"]
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=2):
        key, zh, en = row.get("key") or "", row.get("zh") or "", row.get("en") or ""
        where = f"{source} row {i} (key {key!r})"
        if not _LABEL_KEY.match(key):
            problems.append(f"{where}: key must be a dotted lower-case ASCII id such as 'status.red'")
        if key in seen:
            problems.append(f"{where}: duplicate key, first defined in row {seen[key]}")
        else:
            seen[key] = i
        if not zh.strip():
            problems.append(f"{where}: zh is empty")
        found = {}
        for lang, text in (("zh", zh), ("en", en)):
            try:
                found[lang] = placeholders(text)
            except ValueError as e:
                problems.append(f"{where}: {lang} is not a valid template ({e})")
        if en and len(found) == 2 and found["zh"] != found["en"]:
            problems.append(f"{where}: placeholders differ: zh {{{', '.join(sorted(found['zh']))}}} "
                            f"vs en {{{', '.join(sorted(found['en']))}}}")
    return problems


@dataclass(frozen=True)
class Labels:
    """The report wording in one language: ``labels("status.red")`` → ``差距很大``.

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``; an empty ``en`` cell falls back to ``zh``.
    texts
        Text by key, in file order.
    source
        Where the table was read from.
    """

    lang: str
    texts: dict[str, str]
    source: str = _LABEL_FILE

    def __call__(self, key: str) -> str:
        try:
            return self.texts[key]
        except KeyError:
            raise MissingLabelError(key, self.source) from None

    def __contains__(self, key: object) -> bool:
        return key in self.texts

    def format(self, key: str, /, **values: Any) -> str:
        """The template of ``key`` filled with ``values`` (``str.format``); a missing value
        raises ``KeyError`` naming the placeholder and the key."""
        template = self(key)
        try:
            return template.format(**values)
        except KeyError as e:
            raise KeyError(f"label {key!r} needs a value for placeholder {e.args[0]!r}") from None

    def group(self, prefix: str) -> dict[str, str]:
        """The labels under ``prefix.``, by the rest of the key, in file order."""
        start = prefix + "."
        return {k[len(start):]: v for k, v in self.texts.items() if k.startswith(start)}


def _read_label_rows(path: str | Path | None) -> tuple[list[dict[str, str]], str]:
    if path is None:
        ref = resources.files("hemei_tools") / "catalogue" / _LABEL_FILE
        text, source = ref.read_text(encoding="utf-8"), _LABEL_FILE
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    return list(csv.DictReader(io.StringIO(text))), source


def load_labels(lang: str = "zh", path: str | Path | None = None) -> Labels:
    """Read and validate ``catalogue/labels.csv`` (columns ``key, zh, en``).

    Parameters
    ----------
    lang
        ``"zh"`` (the reports' language) or ``"en"``.
    path
        A variant labels CSV; ``None`` (default) reads the packaged one (cached).

    Raises
    ------
    CatalogueError
        Listing every broken rule with its row and key.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if path is None:
        return _packaged_labels(lang)
    return _labels_from(lang, path)


@functools.cache
def _packaged_labels(lang: str) -> Labels:
    return _labels_from(lang, None)


def _labels_from(lang: str, path: str | Path | None) -> Labels:
    rows, source = _read_label_rows(path)
    problems = validate_labels(rows, source)
    if problems:
        raise CatalogueError(problems)
    texts = {r["key"]: (r[lang] or r["zh"]) for r in rows}
    return Labels(lang, texts, source)


def label(key: str, lang: str = "zh") -> str:
    """The text of one label key, e.g. ``label("status.red")`` → ``差距很大``.

    Raises :class:`MissingLabelError` (a ``KeyError``) naming the key if it is not defined.
    """
    return load_labels(lang)(key)


def format_label(key: str, /, lang: str = "zh", **values: Any) -> str:
    """A template label filled in: ``format_label("header.with_unit", name="x", unit="%")``."""
    return load_labels(lang).format(key, **values)


class LabelGroup(Mapping):
    """A read-only mapping of ids to label texts, read from ``labels.csv`` on every lookup.

    ``LabelGroup("status", ("green", "red"))["red"]`` is ``label("status.red")``; ``keys``
    maps an id to a full key elsewhere (e.g. a chart text that is the status word). Ids with
    spaces map to keys with underscores (``"on schedule"`` → ``plan_status.on_schedule``).
    Rewording a label in the CSV changes every lookup; no module holds a copy of the text.
    """

    def __init__(self, prefix: str, ids: Iterable[str], keys: Mapping[str, str] | None = None,
                 lang: str = "zh"):
        self.prefix = prefix
        self.lang = lang
        self._keys = {i: f"{prefix}.{i.lower().replace(' ', '_')}" for i in ids}
        self._keys.update(keys or {})

    def key(self, id_: str) -> str:
        """The label key behind an id."""
        return self._keys[id_]

    def __getitem__(self, id_: str) -> str:
        return label(self._keys[id_], self.lang)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._keys

    def get(self, id_: str, default: Any = None) -> Any:
        """The text of ``id_``, ``default`` for an id outside the group; a key of the group
        missing from labels.csv still raises :class:`MissingLabelError`."""
        return self[id_] if id_ in self._keys else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"LabelGroup({self.prefix!r}, {dict(self)!r})"


# ---------------------------------------------------------------------------------- published facts
# Three more tables, read on their own (not part of :class:`Catalogue`):
#
# ``benchmark_series.csv``
#     The project's collected year series of published figures (mostly Zhejiang incomes and
#     urban-rural ratios, programme counts), vendored unchanged from the shared reference data
#     (``data/benchmark_series.csv``), like ``benchmark_sources.csv``.
# ``published_facts.csv``
#     The published, sourced figures the reports show beside the (possibly synthetic) data: one
#     row per figure with its region, topic, year, value, source, publisher and ``source_kind``,
#     each traced to a row of ``benchmark_sources.csv``, ``benchmark_series.csv`` or
#     ``plan_targets.csv`` (``ref_table``); a figure computed from published figures states its
#     ``derivation`` (e.g. ``40393 / 19373``).
# ``catchup_series.csv``
#     Which year series of ``published_facts.csv`` the "years behind" comparison places a unit
#     on: topic, benchmark region, basis (one definition: never 纯收入 joined with 可支配收入),
#     direction, interpolation (``linear`` or ``log``) and the data indicator it matches.

PUBLISHED_TOPICS = ("rural_income", "income_ratio", "village_standard", "pace", "investment")
"""Topics of ``published_facts.csv``, in the order the reports show them."""
PUBLISHED_QUALIFIERS = ("about", "at_least", "more_than")
"""How a published figure is worded beside its number (约, 不少于, 超过); blank: as stated."""
INCOME_BASES = ("disposable", "net")
"""Income definitions: 人均可支配收入 (household survey, 2014 on) and 人均纯收入 (before 2014)."""
FACT_KINDS = ("actual", "target")
FACT_REF_TABLES = ("sources", "series", "plan_targets")
"""Where a published fact is traced: benchmark_sources.csv, benchmark_series.csv, plan_targets.csv."""
INTERPOLATIONS = ("linear", "log")

_SERIES_FILE = "benchmark_series.csv"
_FACTS_FILE = "published_facts.csv"
_CATCHUP_FILE = "catchup_series.csv"
_SERIES_COLUMNS = ["region", "region_code", "indicator_zh", "indicator_en", "year", "value", "unit", "definition",
                   "source_title", "source_url", "publisher", "source_kind", "quote", "note"]
_FACT_COLUMNS = ["fact_id", "topic", "region_code", "region_zh", "indicator_zh", "indicator_en", "indicator_id",
                 "basis", "year", "year_label", "value", "qualifier", "unit", "decimals", "direction", "kind",
                 "derivation", "ref_table", "ref_region", "ref_indicator_zh", "source_title", "source_url",
                 "publisher", "source_kind", "caveat"]
_CATCHUP_COLUMNS = ["topic", "benchmark_region_code", "basis", "direction", "interpolation", "indicator_id", "note"]
_DERIVATION = re.compile(r"^[0-9.\s()+\-*/]+$")


def _read_text_table(name: str, folder: str | Path | None) -> pd.DataFrame:
    """A catalogue CSV as text columns (empty cells ``""``), from the package or ``folder``."""
    if folder is None:
        with resources.as_file(resources.files("hemei_tools") / "catalogue" / name) as path:
            return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.read_csv(Path(folder) / name, dtype=str, keep_default_na=False)


def _missing_columns(frame: pd.DataFrame, columns: list[str], name: str) -> list[str]:
    missing = [c for c in columns if c not in frame.columns]
    return [f"{name}: missing column(s) {', '.join(missing)}"] if missing else []


def _number(text: str) -> float | None:
    value = pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]
    return None if pd.isna(value) else float(value)


def evaluate_derivation(expression: str) -> float:
    """The value of a ``derivation`` of ``published_facts.csv``: numbers and ``+ - * / ( )`` only.

    ``evaluate_derivation("40393 / 19373")`` is 2.08502. Raises ``ValueError`` for anything else.
    """
    if not _DERIVATION.match(str(expression)):
        raise ValueError(f"derivation {expression!r} may hold only numbers and + - * / ( )")
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"derivation {expression!r} is not an arithmetic expression")

    return value(ast.parse(str(expression), mode="eval").body)


def validate_benchmark_series(series: pd.DataFrame, name: str = _SERIES_FILE) -> list[str]:
    """Problems of ``benchmark_series.csv``: required columns; a six-digit region code, a year
    label starting with a four-digit year, a numeric value, an http(s) source URL, a publisher
    and a known ``source_kind`` on every row."""
    problems = _missing_columns(series, _SERIES_COLUMNS, name)
    if problems:
        return problems
    for i, r in series.iterrows():
        where = f"{name} row {_row(i)} ({r['region']}, {r['indicator_zh']}, {r['year']})"
        if not re.fullmatch(r"\d{6}", r["region_code"]):
            problems.append(f"{where}: region_code {r['region_code']!r} is not six digits")
        if not re.match(r"\d{4}", r["year"]):
            problems.append(f"{where}: year {r['year']!r} does not start with a four-digit year")
        if _number(r["value"]) is None:
            problems.append(f"{where}: value {r['value']!r} is not a number")
        if not r["source_url"].startswith("http"):
            problems.append(f"{where}: source_url must be an http(s) address")
        if not r["publisher"].strip():
            problems.append(f"{where}: publisher is empty")
        if r["source_kind"] not in _SOURCE_KINDS:
            problems.append(f"{where}: source_kind {r['source_kind']!r} is not one of {_SOURCE_KINDS}")
    return problems


def _fact_row_problems(r: pd.Series) -> list[str]:
    """The rule breaches of one published_facts.csv row, without its location."""
    problems = []
    checks = [
        (r["topic"] in PUBLISHED_TOPICS, f"topic {r['topic']!r} is not one of {PUBLISHED_TOPICS}"),
        (bool(re.fullmatch(r"\d{6}", r["region_code"])), f"region_code {r['region_code']!r} is not six digits"),
        (bool(r["region_zh"].strip()), "region_zh is empty"),
        (bool(r["indicator_zh"].strip()), "indicator_zh is empty"),
        (bool(re.fullmatch(r"\d{4}", r["year"])) and r["year"] in r["year_label"],
         f"year {r['year']!r} must be a four-digit year found in year_label {r['year_label']!r}"),
        (_number(r["value"]) is not None, f"value {r['value']!r} is not a number"),
        (r["qualifier"] in ("", *PUBLISHED_QUALIFIERS), f"qualifier {r['qualifier']!r} is not one of "
                                                        f"{PUBLISHED_QUALIFIERS} or blank"),
        (r["decimals"].isdigit(), f"decimals {r['decimals']!r} must be a whole number"),
        (r["direction"] in ("", "1", "-1"), f"direction {r['direction']!r} must be 1, -1 or blank"),
        (r["basis"] in ("", *INCOME_BASES), f"basis {r['basis']!r} is not one of {INCOME_BASES} or blank"),
        (r["kind"] in FACT_KINDS, f"kind {r['kind']!r} is not one of {FACT_KINDS}"),
        (r["ref_table"] in FACT_REF_TABLES, f"ref_table {r['ref_table']!r} is not one of {FACT_REF_TABLES}"),
        (r["source_url"].startswith("http") or (r["ref_table"] == "plan_targets" and not r["source_url"]),
         "a published fact needs an http(s) source_url (only a plan_targets row may have none)"),
        (bool(r["source_title"].strip()), "source_title is empty"),
        (bool(r["publisher"].strip()), "publisher is empty"),
        (r["source_kind"] in _SOURCE_KINDS, f"source_kind {r['source_kind']!r} is not one of {_SOURCE_KINDS}"),
        (r["derivation"] != "" or r["ref_indicator_zh"] != "", "needs ref_indicator_zh (or a derivation)"),
    ]
    problems += [message for ok, message in checks if not ok]
    if r["derivation"]:
        try:
            derived = evaluate_derivation(r["derivation"])
        except (ValueError, SyntaxError, ZeroDivisionError) as e:
            problems.append(f"derivation {r['derivation']!r} cannot be evaluated ({e})")
        else:
            value = _number(r["value"])
            if value is not None and abs(derived - value) > 1e-4 * max(abs(derived), 1e-12):
                problems.append(f"value {r['value']} differs from its derivation {r['derivation']} = {derived:.6g}")
    return problems


def validate_published_facts(facts: pd.DataFrame, name: str = _FACTS_FILE) -> list[str]:
    """Problems of ``published_facts.csv``, one line each with its row.

    Rules: required columns; ``fact_id`` unique ASCII snake_case; a known topic, qualifier, basis,
    kind and reference table; a six-digit region code; a four-digit ``year`` found in
    ``year_label``; numeric value and whole-number decimals; direction 1, -1 or blank; a source
    title, an http(s) URL (a ``plan_targets`` row may have none), a publisher and a known
    ``source_kind``; a ``derivation`` of numbers and ``+ - * / ( )`` equal to the value within
    1e-4 (relative), else the reference row's indicator name.
    """
    problems = _missing_columns(facts, _FACT_COLUMNS, name)
    if problems:
        return problems
    for i in facts.index[facts["fact_id"].duplicated()]:
        problems.append(f"{name} row {_row(i)}: fact_id {facts.at[i, 'fact_id']!r} is not unique")
    for i, r in facts.iterrows():
        where = f"{name} row {_row(i)} ({r['fact_id']})"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", r["fact_id"]):
            problems.append(f"{where}: fact_id must be ASCII snake_case")
        problems += [f"{where}: {p}" for p in _fact_row_problems(r)]
    return problems


def validate_catchup_series(config: pd.DataFrame, facts: pd.DataFrame, name: str = _CATCHUP_FILE) -> list[str]:
    """Problems of ``catchup_series.csv`` against ``published_facts.csv``.

    Rules: required columns; topics unique and known; a known basis and interpolation; direction
    1 or -1; the benchmark region holds at least two ``actual`` facts of the topic on that basis,
    one per year, all with the same direction as the config; ``log`` interpolation only on
    positive values.
    """
    problems = _missing_columns(config, _CATCHUP_COLUMNS, name)
    if problems:
        return problems
    for i, r in config.iterrows():
        where = f"{name} row {_row(i)} ({r['topic']})"
        if r["topic"] not in PUBLISHED_TOPICS or (config["topic"] == r["topic"]).sum() > 1:
            problems.append(f"{where}: topic must be unique and one of {PUBLISHED_TOPICS}")
        if r["basis"] not in INCOME_BASES:
            problems.append(f"{where}: basis {r['basis']!r} is not one of {INCOME_BASES}")
        if r["interpolation"] not in INTERPOLATIONS:
            problems.append(f"{where}: interpolation {r['interpolation']!r} is not one of {INTERPOLATIONS}")
        if r["direction"] not in ("1", "-1"):
            problems.append(f"{where}: direction {r['direction']!r} must be 1 or -1")
        rows = facts[(facts["topic"] == r["topic"]) & (facts["region_code"] == r["benchmark_region_code"])
                     & (facts["basis"] == r["basis"]) & (facts["kind"] == "actual")]
        if len(rows) < 2 or rows["year"].duplicated().any():
            problems.append(f"{where}: the benchmark region {r['benchmark_region_code']} needs at least two "
                            f"actual facts on basis {r['basis']!r}, one per year (found {len(rows)})")
        topic_rows = facts[(facts["topic"] == r["topic"]) & (facts["basis"] == r["basis"])]
        if (topic_rows["direction"] != r["direction"]).any():
            problems.append(f"{where}: facts of this topic and basis must all have direction {r['direction']}")
        values = pd.to_numeric(rows["value"], errors="coerce")
        if r["interpolation"] == "log" and not (values > 0).all():
            problems.append(f"{where}: log interpolation needs positive values")
    return problems


def load_benchmark_series(folder: str | Path | None = None) -> pd.DataFrame:
    """Read and validate ``benchmark_series.csv`` (text columns, as the shared table has them).

    Raises
    ------
    CatalogueError
        Listing every broken rule with its row.
    """
    if folder is None:
        return _packaged_series().copy()
    return _series_from(folder)


@functools.cache
def _packaged_series() -> pd.DataFrame:
    return _series_from(None)


def _series_from(folder: str | Path | None) -> pd.DataFrame:
    series = _read_text_table(_SERIES_FILE, folder)
    problems = validate_benchmark_series(series)
    if problems:
        raise CatalogueError(problems)
    return series


def load_published_facts(folder: str | Path | None = None) -> pd.DataFrame:
    """Read and validate ``published_facts.csv``.

    Returns the table with ``year`` and ``decimals`` as integers, ``value`` as float and
    ``direction`` as float (NaN when blank); the other columns stay text.

    Raises
    ------
    CatalogueError
        Listing every broken rule with its row.
    """
    if folder is None:
        return _packaged_facts().copy()
    return _facts_from(folder)


@functools.cache
def _packaged_facts() -> pd.DataFrame:
    return _facts_from(None)


def _facts_from(folder: str | Path | None) -> pd.DataFrame:
    facts = _read_text_table(_FACTS_FILE, folder)
    problems = validate_published_facts(facts)
    if problems:
        raise CatalogueError(problems)
    out = facts.copy()
    out["year"] = out["year"].astype(int)
    out["decimals"] = out["decimals"].astype(int)
    out["value"] = out["value"].astype(float)
    out["direction"] = pd.to_numeric(out["direction"].replace("", None), errors="coerce").astype(float)
    return out


def load_catchup_series(folder: str | Path | None = None) -> pd.DataFrame:
    """Read ``catchup_series.csv`` and validate it against ``published_facts.csv`` of the same
    folder (``direction`` as int; the rest text).

    Raises
    ------
    CatalogueError
        Listing every broken rule with its row.
    """
    if folder is None:
        return _packaged_catchup().copy()
    return _catchup_from(folder)


@functools.cache
def _packaged_catchup() -> pd.DataFrame:
    return _catchup_from(None)


def _catchup_from(folder: str | Path | None) -> pd.DataFrame:
    config = _read_text_table(_CATCHUP_FILE, folder)
    facts = _read_text_table(_FACTS_FILE, folder)
    problems = validate_catchup_series(config, facts)
    if problems:
        raise CatalogueError(problems)
    out = config.copy()
    out["direction"] = out["direction"].astype(int)
    return out


# ``traffic_lights.csv``: the traffic-light thresholds and rules, by node level
_LIGHTS_FILE = "traffic_lights.csv"
_LIGHTS_COLUMNS = ["node_level", "rule", "green_distance", "red_distance", "note"]
#: Node levels with a traffic light, and the rules a level's light may follow.
LIGHT_LEVELS = ("indicator", "task", "dimension")
LIGHT_RULES = ("threshold", "two_worst", "score")
"""``threshold``: the distance to the benchmark against the thresholds (indicators only);
``two_worst``: the node's two worst indicators (SDG dashboards); ``score``: the node's own
score, distance = 100 − score, against the thresholds."""


def validate_light_rules(rules: pd.DataFrame, name: str = _LIGHTS_FILE) -> list[str]:
    """Problems of ``traffic_lights.csv``: one row per level of :data:`LIGHT_LEVELS`; a rule of
    :data:`LIGHT_RULES` (indicators: ``threshold``; tasks and dimensions: ``two_worst`` or
    ``score``); thresholds numbers with 0 ≤ green < red ≤ 100."""
    problems = _missing_columns(rules, _LIGHTS_COLUMNS, name)
    if problems:
        return problems
    levels = rules["node_level"].tolist()
    problems += [f"{name}: node_level {lv!r} listed {levels.count(lv)} times (need exactly once)"
                 for lv in LIGHT_LEVELS if levels.count(lv) != 1]
    problems += [f"{name}: unknown node_level {lv!r} (one of {', '.join(LIGHT_LEVELS)})"
                 for lv in levels if lv not in LIGHT_LEVELS]
    for i, r in rules.iterrows():
        where = f"{name} row {i + 2} ({r['node_level']})"
        allowed = ("threshold",) if r["node_level"] == "indicator" else ("two_worst", "score")
        if r["rule"] not in allowed:
            problems.append(f"{where}: rule {r['rule']!r} (allowed here: {', '.join(allowed)})")
        g, red = _number(r["green_distance"]), _number(r["red_distance"])
        if g is None or red is None or not 0 <= g < red <= 100:
            problems.append(f"{where}: need numbers 0 ≤ green_distance < red_distance ≤ 100, "
                            f"got {r['green_distance']!r}, {r['red_distance']!r}")
    return problems


def load_light_rules(folder: str | Path | None = None) -> pd.DataFrame:
    """Read and validate ``traffic_lights.csv``: by ``node_level`` (index), its ``rule`` and its
    ``green_distance`` and ``red_distance`` (floats), with a ``note`` on the choice.

    Raises
    ------
    CatalogueError
        Listing every broken rule with its row.
    """
    if folder is None:
        return _packaged_lights().copy()
    return _lights_from(folder)


@functools.cache
def _packaged_lights() -> pd.DataFrame:
    return _lights_from(None)


def _lights_from(folder: str | Path | None) -> pd.DataFrame:
    rules = _read_text_table(_LIGHTS_FILE, folder)
    problems = validate_light_rules(rules)
    if problems:
        raise CatalogueError(problems)
    return rules.astype({"green_distance": float, "red_distance": float}).set_index("node_level")
