"""Names as offices write them: the alias table, value synonyms, placeholders, total rows.

Every mapping is data, in ``hemei_tools/catalogue/aliases.csv``: table names (sheet and file
names), column headers (村名 / 村庄名称 / 行政村 → ``village_name`` …), units with their scale
(万元 → 元) and cell values (是/否 → 1/0). Headers and names compare after :func:`_norm`
(NFKC, no whitespace, lower case).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from hemei_tools.catalogue import Catalogue
from hemei_tools.inputs.formats import norm_name

PLACEHOLDERS = ("", "—", "——", "-", "--", "/", "空", "无", "n/a", "na", "#n/a", "null", "none", "nan")
"""Cell texts meaning "no value" (compared after NFKC, trimming and lower-casing)."""
TOTAL_ROW = r"(?:合计|总计|小计|共计)"


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

    def headers_of(self, table: str, column: str) -> list[str]:
        """Accepted headers of one column (as listed in the alias table)."""
        return [a for a, c in self.columns[table].items() if c == column]


@functools.cache
def load_aliases() -> Aliases:
    """Read and index ``hemei_tools/catalogue/aliases.csv`` (cached).

    Columns: ``kind`` (table, column, unit, value), ``scope`` (for a column alias the table or
    ``*`` for all; for a value alias ``table.column`` or ``*.binary``), ``canonical``, ``alias``
    and ``scale`` (unit aliases: multiply a value written in ``alias`` by ``scale`` to express
    it in ``canonical``).
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
    return Aliases(tables, columns, units, values)


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
_YEAR_HEADER = re.compile(r"((?:19|20)\d{2})(?:年度?)?")


def _split_unit(key: str) -> tuple[str, str]:
    m = _UNIT_SPLIT.fullmatch(key)
    return (m.group(1), m.group(2)) if m else (key, "")


def _kind_of_name(name: str) -> str | None:
    return load_aliases().tables.get(_norm(name))


def _map_values(s: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace cells that are aliases (``aliases.csv`` kind=value) by their canonical value."""
    key = _map_unique(s, _norm)
    return key.map(table).where(key.isin(list(table)), s)
