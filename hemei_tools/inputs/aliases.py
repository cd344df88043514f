"""Names as offices write them: the alias table, value synonyms, placeholders, total rows.

Every mapping is data, in ``hemei_tools/catalogue/aliases.csv``: table names (sheet and file
names), column headers (村名 / 村庄名称 / 行政村 → ``village_name`` …), bookkeeping columns
that are not data and are ignored (``ignored_column``: 序号, 备注, 填报人, 联系电话, 审核人,
填报日期 …; listed as ignored in the summary of ``hemei validate``), units with their scale
(万元 → 元) and cell values (是/否 → 1/0). Headers and names compare after :func:`_norm`
(NFKC, no whitespace, lower case).

The words the parser recognises in cells and headers are rows of the same table
(:func:`parse_words`): placeholders for "no value" (``placeholder``: 无, 空, —, N/A …), the
first words of total rows (``total_row``: 合计, 小计 …), what may follow a year in a header
(``year_header``: 年, 年度), the year, month and day marks of dates (``date_mark``: 年, 月,
日), task-id prefixes (``task_prefix``: T, 任务) and the suffixes of division names
(``name_suffix``: 村委会 → 村, 镇, 县 …). Regexes that recognise them are assembled from these
rows (:func:`alternatives`).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from hemei_tools.catalogue import Catalogue
from hemei_tools.inputs.formats import norm_name

# --------------------------------------------------------------------------- parsing words


@functools.cache
def _alias_rows() -> tuple[dict[str, str], ...]:
    ref = resources.files("hemei_tools") / "catalogue" / "aliases.csv"
    with ref.open("r", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def parse_words(kind: str, scope: str | None = None) -> tuple[str, ...]:
    """The words of one parsing kind of ``aliases.csv`` (column ``alias``), in file order.

    ``kind`` is ``placeholder``, ``total_row``, ``year_header``, ``date_mark``, ``task_prefix``
    or ``name_suffix``; ``scope`` narrows to one scope (``month`` of ``date_mark``, ``county`` of
    ``name_suffix`` …). ``KeyError`` if the table has no such row: the parser needs them.
    """
    words = tuple(r["alias"] for r in _alias_rows()
                  if r["kind"] == kind and (scope is None or r["scope"] == scope))
    if not words:
        raise KeyError(f"aliases.csv has no rows of kind {kind!r}" + (f", scope {scope!r}" if scope else ""))
    return words


def name_suffixes(level: str) -> dict[str, str]:
    """Suffixes of official names at one level (``village``, ``township``, ``county``) → the
    short form they are written as (``村委会`` → ``村``; ``""`` where the suffix is just dropped)."""
    parse_words("name_suffix", level)
    return {r["alias"]: r["canonical"] for r in _alias_rows()
            if r["kind"] == "name_suffix" and r["scope"] == level}


def alternatives(words) -> str:
    """A non-capturing regex group matching any of ``words`` literally: ``(?:合计|小计)``."""
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


PLACEHOLDERS = ("", *parse_words("placeholder", ""))
"""Cell texts meaning "no value" in every column (compared after NFKC, trimming and
lower-casing): the empty cell and the ``placeholder`` rows of ``aliases.csv`` without a scope."""
TEXT_PLACEHOLDERS = parse_words("placeholder", "text")
"""Cell texts meaning "no value" in text columns only (``placeholder`` rows of scope ``text``:
``nan``, ``null``, ``none``, what a program writes for a missing value). In a number or date
column such a cell is a problem (``not_a_number``), never a silent gap."""
TOTAL_ROW = alternatives(parse_words("total_row"))
"""Regex of the first word of a total row (合计, 小计 …; ``total_row`` rows of ``aliases.csv``)."""


# --------------------------------------------------------------------------- alias table

_norm = norm_name
"""Key used to compare headers and names: NFKC, no whitespace, lower case."""

@dataclass(frozen=True)
class Aliases:
    """Lookups built from ``aliases.csv``: tables, column headers, units and cell values."""

    tables: dict[str, str]
    columns: dict[str, dict[str, str]]
    units: dict[tuple[str, str], float]
    values: dict[str, dict[str, str]]
    ignored: dict[str, frozenset[str]] = field(default_factory=dict)
    """Normalised bookkeeping headers (序号, 备注 …) ignored in each table."""

    def is_ignored(self, table: str, key: str) -> bool:
        """True when the normalised header ``key`` (or its part before a unit) is a bookkeeping
        column of ``table``."""
        names = self.ignored.get(table, frozenset())
        return key in names or _split_unit(key)[0] in names

    def headers_of(self, table: str, column: str) -> list[str]:
        """Accepted headers of one column (as listed in the alias table)."""
        return [a for a, c in self.columns[table].items() if c == column]


@functools.cache
def load_aliases() -> Aliases:
    """Read and index ``hemei_tools/catalogue/aliases.csv`` (cached).

    Columns: ``kind`` (table, column, ignored_column, unit, value and the parsing words),
    ``scope`` (for a column alias or an ignored column the table or ``*`` for all; for a value
    alias ``table.column`` or ``*.binary``), ``canonical``, ``alias`` and ``scale`` (unit
    aliases: multiply a value written in ``alias`` by ``scale`` to express it in ``canonical``).
    """
    ref = resources.files("hemei_tools") / "catalogue" / "aliases.csv"
    with resources.as_file(ref) as path:
        a = pd.read_csv(path, dtype=str, keep_default_na=False)
    tables = {_norm(r.alias): r.canonical for r in a[a["kind"] == "table"].itertuples()}
    cols = a[a["kind"] == "column"]
    shared = {_norm(r.alias): r.canonical for r in cols[cols["scope"] == "*"].itertuples()}
    columns = {}
    for t in sorted(set(tables.values())):
        own = {_norm(r.alias): r.canonical for r in cols[cols["scope"] == t].itertuples()}
        columns[t] = {**shared, **own}
    units = {(r.canonical, _norm(r.alias)): float(r.scale) for r in a[a["kind"] == "unit"].itertuples()}
    values: dict[str, dict[str, str]] = {}
    for r in a[a["kind"] == "value"].itertuples():
        values.setdefault(r.scope, {})[_norm(r.alias)] = r.canonical
    ign = a[a["kind"] == "ignored_column"]
    ignored = {t: frozenset(_norm(r.alias) for r in ign.itertuples() if r.scope in ("*", t))
               for t in columns}
    return Aliases(tables, columns, units, values, ignored)


def _map_unique(s: pd.Series, fn) -> pd.Series:
    """``s.map(fn)`` evaluated once per distinct value (NA stays NA): fast on long columns."""
    uniq = pd.unique(s.dropna())
    return s.map(dict(zip(uniq, (fn(u) for u in uniq), strict=True)))


def _indicator_lookup(catalogue: Catalogue) -> dict[str, tuple[str, str]]:
    """normalised id / name_zh / name_en → (indicator_id, unit)."""
    out = {}
    for r in catalogue.indicators.itertuples():
        for key in (r.indicator_id, r.name_zh, r.name_en):
            out[_norm(key)] = (r.indicator_id, r.unit)
    return out


_UNIT_SPLIT = re.compile(r"(.+?)[(\[]([^()\[\]]*)[)\]]")
_YEAR_HEADER = re.compile(r"((?:19|20)\d{2})" + alternatives(parse_words("year_header")) + "?")


def _split_unit(key: str) -> tuple[str, str]:
    m = _UNIT_SPLIT.fullmatch(key)
    return (m.group(1), m.group(2)) if m else (key, "")


def _kind_of_name(name: str) -> str | None:
    return load_aliases().tables.get(_norm(name))


def _map_values(s: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace cells that are aliases (``aliases.csv`` kind=value) by their canonical value."""
    key = _map_unique(s, _norm)
    return key.map(table).where(key.isin(list(table)), s)
