"""Read village ledgers as offices really send them, into validated tidy tables.

Files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected), ``.xlsx`` and Parquet; one table
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
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.inputs import divisions
from hemei_tools.inputs.problems import DataValidationError, ValidationReport, problem_frame
from hemei_tools.inputs.schema import (
    CODE_DIGITS,
    SYNTHETIC,
    ColumnSpec,
    column_dtype,
    table_columns,
    validate_frame,
)

PLACEHOLDERS = ("", "—", "——", "-", "--", "/", "空", "无", "n/a", "na", "#n/a", "null", "none", "nan")
"""Cell texts meaning "no value" (compared after NFKC, trimming and lower-casing)."""
TOTAL_ROW = r"(?:合计|总计|小计|共计)"
HEADER_SCAN_ROWS = 30
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
TABLE_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES
_MAGIC = {b"PK\x03\x04": "an Excel workbook or zip archive (rename it to .xlsx?)",
          b"PAR1": "a Parquet file (rename it to .parquet?)",
          b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (save it as .xlsx)",
          b"%PDF": "a PDF document"}


# --------------------------------------------------------------------------- alias table

def _norm(text: object) -> str:
    """Key used to compare headers and names: NFKC, no whitespace, lower case."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


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


def _same(a: pd.Series, b: pd.Series) -> bool:
    """True when two distinct-value columns hold the same text (NA equal to NA)."""
    a = a.reset_index(drop=True).astype(object)
    b = b.reset_index(drop=True).astype(object)
    return bool(((a == b) | (a.isna() & b.isna())).all())


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


_DATE_YMD = re.compile(
    r"^((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月)?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Turn cleaned cells into Timestamps (vectorised).

    Accepted: ``2023-09-01``, ``2023/9/1``, ``2023.9.1``, ``2023年9月1日``, ``2023-09-01 00:00:00``
    (Excel dates), ``20230901``; a month without a day (``2023.9``, ``2023-09``, ``2023年9月``)
    means its first day.

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
    bad = t.notna() & dates.isna()
    return dates, bad


def parse_tasks(s: pd.Series) -> pd.Series:
    """Task ids written as T01, T1, 1, 01 or 任务1 → ``T01``; anything else is kept as written."""
    n = s.astype("str").str.extract(r"^(?:[Tt]|任务)?0*(\d{1,2})$")[0]
    return ("T" + n.str.zfill(2)).where(n.notna(), s.astype("str"))


def _map_values(s: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace cells that are aliases (``aliases.csv`` kind=value) by their canonical value."""
    key = _map_unique(s, _norm)
    return key.map(table).where(key.isin(list(table)), s)


# --------------------------------------------------------------------------- village names

def _stem(s: pd.Series, pattern: str) -> pd.Series:
    return _map_unique(s.astype("str"), _norm).astype("str").str.replace(pattern, "", regex=True)


def _village_stem(s: pd.Series) -> pd.Series:
    """横山村委会, 横山村 and 横山 → 横山; 水村村委会 and 水村村 → 水村 (one 村 is the suffix)."""
    short = _map_unique(s.astype("str"), _norm).astype("str").str.replace(
        r"(?:村民委员会|村委会)$", "村", regex=True)
    return short.str.replace(r"村$", "", regex=True)


def _township_stem(s: pd.Series) -> pd.Series:
    return _stem(s, r"(?:街道办事处|街道|镇|乡)$")


def _county_stem(s: pd.Series) -> pd.Series:
    return _stem(s, r"(?:自治县|县|区|市)$")


@functools.cache
def _official() -> pd.DataFrame:
    v = divisions.load_villages(None)
    v["short"] = v["village_name"].map(divisions.short_name)
    v["vs"] = _village_stem(v["village_name"])
    v["ts"] = _township_stem(v["township_name"])
    v["cs"] = _county_stem(v["county_name"])
    return v


def match_village_names(names: pd.DataFrame, official: pd.DataFrame | None = None) -> pd.DataFrame:
    """Match villages given by name to official village codes.

    Parameters
    ----------
    names
        ``village_name`` and optionally ``township_name`` and ``county_name`` (NA where not
        given). Names compare after NFKC and without the suffixes 村民委员会/村委会/村,
        镇/乡/街道 and 县/区/市, so 横山村, 横山 and 横山村委会 are the same village.
    official
        The official list (default: every Anhui administrative village).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``names``: ``village_code`` (NA unless exactly one official village
        matches), ``match`` (``ok``, ``unmatched``, ``ambiguous`` or NA where no name was
        given) and ``hint`` (for failures: the closest official names, or the candidates).
    """
    off = _official() if official is None else official
    if "vs" not in off.columns:
        off = off.assign(short=off["village_name"].map(divisions.short_name),
                         vs=_village_stem(off["village_name"]), ts=_township_stem(off["township_name"]),
                         cs=_county_stem(off["county_name"]))
    cols = ["village_name", "township_name", "county_name"]
    given = pd.DataFrame({c: names[c] if c in names.columns else pd.Series(pd.NA, index=names.index)
                          for c in cols}).astype("str").astype(object).where(lambda d: d.notna(), None)
    keys = given.drop_duplicates().reset_index(drop=True)
    keys = keys[keys["village_name"].notna()].reset_index(drop=True)
    keys["vs"] = _village_stem(keys["village_name"])
    keys["ts"] = _township_stem(keys["township_name"])
    keys["cs"] = _county_stem(keys["county_name"])
    keys["key"] = np.arange(len(keys))
    cand = keys.merge(off[["vs", "ts", "cs", "village_code", "short", "township_name", "county_name"]],
                      on="vs", how="left", suffixes=("", "_off"))
    fits = cand["village_code"].notna() & (cand["ts"].isna() | cand["ts"].eq(cand["ts_off"])) & (
        cand["cs"].isna() | cand["cs"].eq(cand["cs_off"]))
    n_fit = fits.groupby(cand["key"]).sum().reindex(keys["key"], fill_value=0).to_numpy()
    first = cand[fits].drop_duplicates("key").set_index("key")["village_code"]
    keys["village_code"] = keys["key"].map(first).where(n_fit == 1)
    keys["match"] = np.select([n_fit == 1, n_fit == 0], ["ok", "unmatched"], "ambiguous")
    keys["hint"] = None
    for k in keys.index[keys["match"] != "ok"]:
        row = keys.loc[k]
        if row["match"] == "ambiguous":
            c = cand[fits & cand["key"].eq(row["key"])]
            listed = ", ".join(f"{r.short}（{r.township_name_off}，{r.county_name_off}，{r.village_code}）"
                               for r in c.itertuples())
            keys.at[k, "hint"] = f"several official villages match; add the township: {listed}"
        else:
            keys.at[k, "hint"] = _closest_hint(row, off, cand[cand["key"].eq(row["key"])])
    out = given.merge(keys[cols + ["village_code", "match", "hint"]], on=cols, how="left")
    out.index = names.index
    return out[["village_code", "match", "hint"]]


def _closest_hint(row: pd.Series, off: pd.DataFrame, same_stem: pd.DataFrame) -> str:
    named = [f"{r.short}（{r.township_name_off}，{r.county_name_off}）"
             for r in same_stem.dropna(subset=["village_code"]).itertuples()]
    pool = off
    scope = "Anhui"
    for col, stem_col in (("ts", "ts"), ("cs", "cs")):
        if pd.notna(row[col]) and off[stem_col].eq(row[col]).any():
            pool = off[off[stem_col].eq(row[col])]
            scope = str(row["township_name"] if col == "ts" else row["county_name"])
            break
    written = str(row["vs"]) + "村"
    close = difflib.get_close_matches(written, pool["short"].tolist(), n=3, cutoff=0.4)
    labels = pool.drop_duplicates("short").set_index("short")
    named += [f"{c}（{labels.at[c, 'township_name']}，{labels.at[c, 'county_name']}）" for c in close]
    if not named:
        return f"no official village with a similar name in {scope}; check the spelling"
    return f"no official village of that name in {scope}; closest official names: {', '.join(dict.fromkeys(named))}"


# --------------------------------------------------------------------------- reading files

@dataclass
class _Piece:
    """One table as found in one file or sheet, before tidying."""

    file: str
    sheet: str
    kind: str | None
    header: list[str]
    header_row: int
    body: pd.DataFrame  # positional columns; index = row number as the user sees it
    ascii: bool = False


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
    """

    kind: str
    file: str
    sheet: str
    frame: pd.DataFrame
    rows: np.ndarray
    code_column: str = "village_code"
    value_columns: np.ndarray | None = field(default=None, repr=False)


def _decode(data: bytes) -> str | None:
    """Text of a CSV: UTF-8 (BOM optional), UTF-16 with BOM (Excel "Unicode text") or
    GBK/GB18030; ``None`` when the bytes are not text in any of these."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:1 << 20]:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        sample = text[:20000]
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
        if controls > max(2, len(sample) // 100):
            return None
        return text
    return None


def _binary_hint(data: bytes) -> str:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return f"this is not a text file but {what}"
    from hemei_tools.inputs.problems import RULES
    return RULES["not_text"]


def _kind_of_name(name: str) -> str | None:
    return load_aliases().tables.get(_norm(name))


def _header_score(cells: list[str], kind: str, catalogue: Catalogue) -> tuple[int, int]:
    """(distinct known columns, of which specific to the table) matched by a header row."""
    al = load_aliases()
    found, specific = set(), 0
    ind = _indicator_lookup(catalogue)
    shared = set(al.columns["villages"]) & set(al.columns["observations"])
    for c in cells:
        key = _norm(c)
        if not key:
            continue
        base, _ = _split_unit(key)
        canon = al.columns[kind].get(key) or al.columns[kind].get(base)
        if canon and canon not in found:
            found.add(canon)
            specific += (key not in shared and base not in shared)
        elif kind == "observations" and not canon and (
                base in ind or key in ind or _YEAR_HEADER.fullmatch(key)):
            found.add(key)
            specific += 1
    return len(found), specific


def _find_header(rows: list[list], kind: str | None, catalogue: Catalogue
                 ) -> tuple[int | None, str | None, str | None]:
    """Locate the header among the first rows: (row position, table, problem rule or None)."""
    kinds = [kind] if kind else list(load_aliases().columns)
    best: tuple[int, int, int, str] | None = None  # (score, specific, -pos, kind)
    tie = False
    for pos, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        for k in kinds:
            score, specific = _header_score(cells, k, catalogue)
            if score == 0 or (kind is None and specific == 0):
                continue
            cand = (score, specific, -pos, k)
            if best is None or cand[:3] > best[:3]:
                best, tie = cand, False
            elif cand[:3] == best[:3] and k != best[3]:
                tie = True
    if best is None:
        return None, None, ("no_header" if kind else "unknown_table")
    if tie:
        return None, None, "unknown_table"
    return -best[2], best[3], None


def _grid_rows(grid: pd.DataFrame) -> list[list]:
    return grid.head(HEADER_SCAN_ROWS).astype(object).where(grid.head(HEADER_SCAN_ROWS).notna(), "").values.tolist()


def _csv_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                report: ValidationReport) -> list[_Piece]:
    text = _decode(data)
    if text is None:
        report.add(file, "", None, "", "", "not_text", _binary_hint(data))
        return []
    if not text.strip():
        report.add(file, "", None, "", "", "empty_file")
        return []
    head_lines = text[:200_000].splitlines()[:HEADER_SCAN_ROWS]
    sep = "\t" if sum(ln.count("\t") for ln in head_lines) > sum(ln.count(",") for ln in head_lines) else ","
    rows = list(csv.reader(head_lines, delimiter=sep))
    pos, kind, rule = _find_header(rows, kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return []
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, skiprows=pos, dtype=str,
                          keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        report.add(file, "", pos + 1, "", "", "malformed_csv",
                   "no table could be read from the header on; check for an unclosed quote (\")")
        return []
    except pd.errors.ParserError as err:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if m:  # pandas counts lines from the top of the file, skipped title rows included
            report.add(file, "", int(m.group(2)), "", "", "malformed_csv",
                       f"this line has {m.group(3)} fields but the header has {m.group(1)}; "
                       "check quoting and stray commas")
        else:
            report.add(file, "", None, "", "", "malformed_csv", str(err).strip())
        return []
    header = raw.iloc[0].fillna("").astype(str).tolist()
    body = raw.iloc[1:]
    body.index = pos + 1 + np.arange(1, len(raw))
    body.columns = range(body.shape[1])
    return [_Piece(file, "", kind, header, pos + 1, body, text.isascii())]


def _cell_text(v: object, number_format: str = "") -> object:
    """Text of an Excel cell as the user sees it: a 0.85 formatted as a percentage is 85%."""
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (number_format or ""):
        return f"{round(v * 100, 10):g}%"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _xlsx_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                 report: ValidationReport) -> list[_Piece]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any failure of a damaged workbook is a problem
        report.add(file, "", None, "", "", "unreadable_file", f"not a readable .xlsx workbook ({err})")
        return []
    try:
        names = wb.sheetnames
        chosen = [(n, _kind_of_name(n)) for n in names if _kind_of_name(n)]
        if kind and len(chosen) == 0 and len(names) == 1:
            chosen = [(names[0], kind)]
        elif kind is None and not chosen and len(names) == 1:
            chosen = [(names[0], None)]
        if not chosen:
            report.add(file, "", None, "", "、".join(names), "missing_sheets")
            return []
        pieces = []
        for name, k in chosen:
            sheet = wb[name]
            sheet.reset_dimensions()  # some writers store a wrong used range; read every row
            cells = [[_cell_text(c.value, getattr(c, "number_format", "")) for c in r]
                     for r in sheet.iter_rows(min_row=1, min_col=1)]
            width = max((len(r) for r in cells), default=0)
            grid = pd.DataFrame([r + [None] * (width - len(r)) for r in cells], dtype=object)
            if grid.empty or grid.isna().all().all():
                report.add(file, name, None, "", "", "empty_file")
                continue
            grid.index = np.arange(1, len(grid) + 1)
            pos, k2, rule = _find_header(_grid_rows(grid), k, catalogue)
            if rule:
                report.add(file, name, None, "", "", rule)
                continue
            header = grid.iloc[pos].fillna("").astype(str).tolist()
            body = grid.iloc[pos + 1:]
            body.columns = range(body.shape[1])
            pieces.append(_Piece(file, name, k2, header, pos + 1, body))
        return pieces
    finally:
        wb.close()


def _parquet_pieces(file: str, data: bytes, kind: str | None, catalogue: Catalogue,
                    report: ValidationReport) -> list[_Piece]:
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001
        report.add(file, "", None, "", "", "unreadable_file", f"not a readable Parquet file ({err})")
        return []
    header = [str(c) for c in df.columns]
    pos, kind, rule = _find_header([header], kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return []
    body = df.copy()
    body.columns = range(body.shape[1])
    body.index = np.arange(2, len(df) + 2)
    return [_Piece(file, "", kind, header, 1, body)]


_READERS = {"csv": _csv_pieces, "xlsx": _xlsx_pieces, "parquet": _parquet_pieces}


def file_format(path: Path) -> str | None:
    """``csv``, ``xlsx`` or ``parquet`` from the file's suffix; ``None`` if not a table file."""
    s = path.suffix.lower()
    if s in CSV_SUFFIXES:
        return "csv"
    if s in XLSX_SUFFIXES:
        return "xlsx"
    if s in PARQUET_SUFFIXES:
        return "parquet"
    return None


# --------------------------------------------------------------------------- tidying

@dataclass
class _Context:
    catalogue: Catalogue
    known_codes: frozenset
    report: ValidationReport


class _Tidy:
    """Turn one raw piece into a tidy, validated table, recording problems on the way."""

    def __init__(self, piece: _Piece, kind: str, ctx: _Context):
        self.p, self.kind, self.ctx = piece, kind, ctx
        # name columns are read in every table: they identify villages that have no code
        names = tuple(ColumnSpec(c, "text") for c in ("village_name", "township_name", "county_name"))
        self.specs = {s.name: s for s in names + table_columns(kind) + (SYNTHETIC,)}
        self.al = load_aliases()
        self.headers: dict[str, str] = {}
        self.header_units: dict[str, str] = {}
        self.reported: dict[str, np.ndarray] = {}
        self.melted: set[str] = set()
        self.valcol: np.ndarray | None = None
        self._hunit: np.ndarray | None = None

    # -- problem helpers
    def emit(self, mask, column: str, rule: str, values, hint=None) -> None:
        m = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(m)
        if not len(idx):
            return
        vals = np.asarray(pd.Series(values).astype(object).where(pd.Series(values).notna(), ""))[idx]
        h = np.asarray(hint, dtype=object)[idx] if isinstance(hint, (pd.Series, np.ndarray, list)) else hint
        self.ctx.report.add_frame(problem_frame(self.p.file, self.p.sheet, self.rows[idx],
                                                self.column_names(column, idx), vals, rule, h))
        self.reported[column] = self.reported.get(column, np.zeros(len(m), bool)) | m

    def column_names(self, column: str, idx: np.ndarray):
        if column in self.melted and self.valcol is not None:
            return self.valcol[idx]
        if "+" in column:
            return " + ".join(self.headers.get(c, c) for c in column.split("+"))
        return self.headers.get(column, column)

    def whole(self, column: str, rule: str, value: str = "", hint=None) -> None:
        self.ctx.report.add(self.p.file, self.p.sheet, self.p.header_row, column, value, rule, hint)

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
        self.validate(frame)
        return TableRead(self.kind, self.p.file, self.p.sheet, frame, self.rows,
                         self.headers.get("village_code", "village_code"), self.valcol)

    def map_columns(self) -> pd.DataFrame | None:
        body, kind = self.p.body, self.kind
        aliases = self.al.columns[kind]
        ind = _indicator_lookup(self.ctx.catalogue)
        cols: dict[str, int] = {}
        wide_ind: dict[int, tuple[str, str, str]] = {}
        wide_year: dict[int, str] = {}
        unknown: dict[int, str] = {}
        for j, h in enumerate(self.p.header):
            key = _norm(h)
            if not key:
                continue
            base, unit = _split_unit(key)
            canon = aliases.get(key) or aliases.get(base)
            if canon:
                if canon in cols:
                    self.whole(str(h).strip(), "duplicate_column",
                               hint=f"{self.headers[canon]!s} and {str(h).strip()} both mean {canon}; keep one")
                    continue
                cols[canon] = j
                self.headers[canon] = str(h).strip()
                self.header_units[canon] = "" if aliases.get(key) else unit
            elif kind == "observations" and (key in ind or base in ind):
                iid, _ = ind.get(key) or ind[base]
                wide_ind[j] = (iid, "" if key in ind else unit, str(h).strip())
            elif kind == "observations" and _YEAR_HEADER.fullmatch(key):
                wide_year[j] = _YEAR_HEADER.fullmatch(key).group(1)
            else:
                unknown[j] = str(h).strip()
        if kind == "observations" and wide_ind and "value" not in cols:
            # in a one-column-per-indicator layout an unknown header may be a misspelt
            # indicator: its data would be lost, so say so
            names = self.ctx.catalogue.indicators["name_zh"].tolist()
            for header in unknown.values():
                close = difflib.get_close_matches(_split_unit(_norm(header))[0], names, n=3, cutoff=0.5)
                hint = (f"not a catalogue indicator; did you mean {'、'.join(close)}?" if close
                        else "not a catalogue indicator or a known column; rename or remove it")
                self.whole(header, "unknown_column", hint=hint)
        else:
            # other extra columns (序号, 联系人 …) are ignored, unless a header is so close to
            # a known one that it is probably a misspelling of it
            for header in unknown.values():
                base = _split_unit(_norm(header))[0]
                close = difflib.get_close_matches(base, [a for a in aliases if len(a) > 1], n=1, cutoff=0.75)
                if close and aliases[close[0]] not in cols:
                    self.whole(header, "unknown_column",
                               hint=f"not a known column; did you mean {close[0]} ({aliases[close[0]]})?")
        # rows that are not data: blank rows, 合计/总计 rows
        used = sorted(set(cols.values()) | set(wide_ind) | set(wide_year))
        if not used:
            self.whole("", "no_header")
            return None

        def is_text(c: pd.Series) -> bool:
            return pd.api.types.is_object_dtype(c) or pd.api.types.is_string_dtype(c)

        blank = np.ones(len(body), bool)
        for j in used:
            c = body[j]
            blank &= (_per_distinct(c, lambda u: u.astype("str").str.strip().eq("")) if is_text(c)
                      else np.zeros(len(c), bool)) | c.isna().to_numpy()
        total = np.zeros(len(body), bool)
        for j in dict.fromkeys(list(body.columns[:3]) + [cols[c] for c in (
                "village_code", "village_name", "township_name", "county_name") if c in cols]):
            if is_text(body[j]):
                total |= _per_distinct(body[j], lambda u: u.astype("str").str.normalize("NFKC").str.replace(
                    r"\s+", "", regex=True).str.match(TOTAL_ROW).fillna(False).astype(bool))
        keep = ~(blank | total)
        body = body[keep]
        frame = pd.DataFrame({c: body[j].reset_index(drop=True) for c, j in cols.items()},
                             index=pd.RangeIndex(len(body)))
        rows = body.index.to_numpy()
        # wide layouts → long observations
        if kind == "observations" and "value" not in cols and (wide_ind or wide_year):
            frame, rows = self.melt(frame, body, rows, wide_ind, wide_year, cols)
        self.rows = np.asarray(rows)
        self.raw = frame.reset_index(drop=True)
        for spec in self.specs.values():
            if spec.required and spec.name not in frame.columns:
                if spec.name == "village_code" and "village_name" in frame.columns:
                    continue
                accepted = "、".join(self.al.headers_of(kind, spec.name)[:6])
                self.whole(spec.name, "missing_column", hint=f"add a column {spec.name} (accepted headers: {accepted})")
                frame[spec.name] = pd.Series([None] * len(frame), dtype=object)
                self.reported[spec.name] = np.ones(len(frame), bool)
        return frame.reset_index(drop=True)

    def melt(self, frame, body, rows, wide_ind, wide_year, cols):
        parts, part_rows, part_cols = [], [], []
        if wide_ind and "indicator_id" not in cols:
            for j, (iid, unit, header) in wide_ind.items():
                parts.append(frame.assign(indicator_id=iid, value=body[j].reset_index(drop=True), _hunit=unit))
                part_rows.append(rows)
                part_cols.append(np.full(len(frame), header, dtype=object))
            self.melted = {"value", "indicator_id"}
        elif wide_year and "year" not in cols:
            for j, year in wide_year.items():
                parts.append(frame.assign(year=year, value=body[j].reset_index(drop=True), _hunit=""))
                part_rows.append(rows)
                part_cols.append(np.full(len(frame), str(self.p.header[j]).strip(), dtype=object))
            self.melted = {"value", "year"}
        else:
            return frame, rows
        long = pd.concat(parts, ignore_index=True)
        rows = np.concatenate(part_rows)
        valcol = np.concatenate(part_cols)
        present = clean_text(long["value"], not self.p.ascii).notna().to_numpy() if (
            pd.api.types.is_object_dtype(long["value"]) or pd.api.types.is_string_dtype(long["value"])
        ) else long["value"].notna().to_numpy()
        order = np.lexsort((np.arange(len(long)), rows))  # keep the user's row order
        keep = order[present[order]]
        self.valcol = valcol[keep]
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
            for rule, (mask_u, hint_u) in problems.items():
                mask = np.asarray(mask_u, dtype=bool)[codes]
                hint = np.asarray(hint_u, dtype=object)[codes] if isinstance(hint_u, (pd.Series, np.ndarray)) else hint_u
                self.emit(mask, name, rule, frame[name], hint)
            if spec.kind in ("text",) + tuple(CODE_DIGITS) and _same(parsed, u["raw"]):
                out[name] = frame[name].reset_index(drop=True)  # already clean: keep as read
            else:
                out[name] = parsed.take(codes).reset_index(drop=True)
        return pd.DataFrame(out)

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
            return s.astype("str"), problems
        if k == "enum":
            return _map_values(s, self.al.values.get(f"{self.kind}.{name}", {})).astype("str"), problems
        if k == "task":
            return parse_tasks(s).where(s.notna()).astype("str"), problems
        if k == "date":
            v, bad = parse_dates(s)
            problems["bad_date"] = (bad, None)
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
        v, bad, bad_unit = parse_numbers(s, target, hunit, self.al.units)
        problems["not_a_number"] = (bad, None)
        unit_hint = (f"write the value in {target}" if isinstance(target, str) and target
                     else "write the value in the indicator's unit (see indicators.csv)")
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
        for rule, status in (("unmatched_village", "unmatched"), ("ambiguous_village", "ambiguous")):
            mask = pd.Series(False, index=frame.index)
            mask[need] = m["match"].eq(status).to_numpy()
            hint = pd.Series("", index=frame.index, dtype=object)
            hint[need] = m["hint"].to_numpy()
            self.emit(mask, "village_name", rule, frame["village_name"], hint)
            bad |= mask
        self.reported["village_code"] = self.reported.get("village_code", np.zeros(len(frame), bool)) | bad.to_numpy()
        return frame

    def check_names(self, frame: pd.DataFrame, code: pd.Series, need: pd.Series) -> None:
        """A village given by code and by name must be the same village (a typo in a code
        otherwise silently moves data to another village)."""
        off = _official().set_index("village_code")
        both = (~need & code.notna() & frame["village_name"].notna()).to_numpy()
        if not both.any():
            return
        c = code[both].astype("str")
        official_stem = c.map(off["vs"])
        given = _village_stem(frame.loc[both, "village_name"])
        bad = official_stem.notna() & given.ne(official_stem).fillna(False)
        mask = np.zeros(len(frame), bool)
        mask[np.flatnonzero(both)[bad.to_numpy()]] = True
        hint = pd.Series("", index=frame.index, dtype=object)
        label = off["short"] + "（" + off["township_name"] + "，" + off["county_name"] + "）"
        hint[mask] = ("the code " + c[bad.to_numpy()] + " is " + c[bad.to_numpy()].map(label)
                      + "; correct the code or the name").to_numpy()
        self.emit(mask, "village_name", "name_code_mismatch", frame["village_name"], hint)

    def finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        n = len(frame)
        if self.kind == "villages" and "village_code" in frame.columns:
            off = _official().set_index("village_code")
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

    def validate(self, frame: pd.DataFrame) -> None:
        fails = validate_frame(self.kind, frame, self.ctx.catalogue, self.ctx.known_codes)
        if fails.empty:
            return
        idx = fails["index"].to_numpy(dtype=int)
        seen = np.zeros(len(fails), bool)
        for col, mask in self.reported.items():
            hit = fails["column"].eq(col).to_numpy()
            seen |= hit & mask[idx]
        fails, idx = fails[~seen], idx[~seen]
        for (col, rule), sub in fails.groupby(["column", "rule"], sort=False):
            i = sub["index"].to_numpy(dtype=int)
            names = self.column_names(col, i)
            values = sub["value"].to_numpy(dtype=object)
            if col in self.raw.columns:  # show the cell as written, not as parsed
                written = self.raw[col].to_numpy(dtype=object)[i]
                has = pd.notna(written)
                values[has] = written[has]
            self.ctx.report.add_frame(problem_frame(self.p.file, self.p.sheet, self.rows[i], names,
                                                    values, rule, sub["hint"]))


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


# --------------------------------------------------------------------------- public API

def read_pieces(path: str | Path, kind: str | None, catalogue: Catalogue, report: ValidationReport
                ) -> tuple[list[_Piece], bytes | None]:
    """Read the raw tables of one file (internal to loaders and :mod:`hemei_tools.inputs.dataset`)."""
    path = Path(path)
    file = str(path)
    if path.is_dir():
        return _partitioned_pieces(path, kind, catalogue, report)
    fmt = file_format(path)
    if fmt is None:
        report.add(file, "", None, "", path.suffix, "unsupported_format")
        return [], None
    try:
        with open(path, "rb") as fh:  # read-only, never modified
            data = fh.read()
    except OSError as err:
        report.add(file, "", None, "", "", "unreadable_file", str(err))
        return [], None
    if not data.strip():
        report.add(file, "", None, "", "", "empty_file")
        return [], data
    kind = kind or _kind_of_name(path.stem)
    try:
        return _READERS[fmt](file, data, kind, catalogue, report), data
    except Exception as err:  # noqa: BLE001 - bad data must never surface as a traceback
        report.add(file, "", None, "", "", "unreadable_file",
                   f"could not read the file ({type(err).__name__}: {err})")
        return [], data


def partition_files(folder: Path) -> list[Path]:
    """Parquet parts of a partitioned table folder (e.g. ``observations/county_code=…/part.parquet``)."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES)


def is_partitioned_table(folder: Path) -> bool:
    """True for a folder named after a table (``observations`` …) that holds Parquet parts."""
    return Path(folder).is_dir() and _kind_of_name(Path(folder).name) is not None and bool(
        partition_files(folder))


def _partitioned_pieces(folder: Path, kind: str | None, catalogue: Catalogue, report: ValidationReport
                        ) -> tuple[list[_Piece], bytes | None]:
    """A table stored as Parquet parts in a folder, read as one table.

    Rows are numbered through the parts in path order (row 2 is the first data row of the
    first part), as if the parts were one file.
    """
    file = str(folder)
    parts = partition_files(folder)
    if not parts:
        report.add(file, "", None, "", "", "empty_file", "the folder holds no Parquet parts")
        return [], None
    frames, digest = [], []
    for part in parts:
        try:
            with open(part, "rb") as fh:  # read-only, never modified
                data = fh.read()
            frames.append(pd.read_parquet(io.BytesIO(data)))
        except Exception as err:  # noqa: BLE001
            report.add(str(part), "", None, "", "", "unreadable_file", f"not a readable Parquet file ({err})")
            return [], None
        digest.append(part.relative_to(folder).as_posix().encode() + b"\0" + data)
    df = pd.concat(frames, ignore_index=True)
    kind = kind or _kind_of_name(folder.name)
    header = [str(c) for c in df.columns]
    pos, kind, rule = _find_header([header], kind, catalogue)
    if rule:
        report.add(file, "", None, "", "", rule)
        return [], None
    body = df
    body.columns = range(body.shape[1])
    body.index = np.arange(2, len(df) + 2)
    return [_Piece(file, "", kind, header, 1, body)], b"".join(digest)


def tidy_piece(piece: _Piece, catalogue: Catalogue, known_codes: frozenset, report: ValidationReport
               ) -> TableRead | None:
    """Tidy and validate one raw table; problems go to ``report``."""
    try:
        return _Tidy(piece, piece.kind, _Context(catalogue, known_codes, report)).run()
    except Exception as err:  # noqa: BLE001 - bad data must never surface as a traceback
        report.add(piece.file, piece.sheet, None, "", "", "unreadable_file",
                   f"could not interpret the table ({type(err).__name__}: {err})")
        return None


def official_codes() -> frozenset:
    """Codes of every official Anhui administrative village (the known-code list)."""
    return frozenset(_official()["village_code"])


def read_tables(path: str | Path, kind: str | None = None, catalogue: Catalogue | None = None
                ) -> tuple[list[TableRead], ValidationReport]:
    """Read every table of one file, leniently.

    Parameters
    ----------
    path
        A CSV, .xlsx or Parquet file.
    kind
        Force the table (``villages`` …); by default from the sheet name, file name or header.
    catalogue
        Catalogue for indicator ids and ranges (default: the packaged one).

    Returns
    -------
    tables, report
        The tidy tables found (possibly with rows that broke rules) and every problem.
    """
    catalogue = catalogue or load_catalogue()
    report = ValidationReport()
    pieces, _ = read_pieces(path, kind, catalogue, report)
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
        report.add(str(path), "", None, "", "", "missing_sheets",
                   f"no {kind} table found in the file")
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
