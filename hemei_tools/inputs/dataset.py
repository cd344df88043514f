"""A data set: the validated input tables read together, with provenance.

:func:`load_dataset` reads a folder of CSV / .xlsx / Parquet files, one workbook, or a list of
files, and returns a frozen :class:`DataSet` (or raises
:class:`~hemei_tools.inputs.problems.DataValidationError` listing every problem). :func:`read_dataset`
is the lenient form used by ``hemei validate``: it never raises for bad data and returns the
tables together with the :class:`~hemei_tools.inputs.problems.ValidationReport`.

**Many files per table.** A data folder may hold one workbook per township or per year: the
rows of one table are combined across files and sheets. A row whose key (village, year and
indicator for observations; :data:`~hemei_tools.inputs.schema.KEYS`) is already in an earlier
file is compared with it: the same values are one row (a ``repeated_rows`` note per pair of
files), different values are a ``conflicting_value`` error naming both files and rows.

Checks across files: village codes of observations, projects, applicants and natural villages
that are missing from the data set's villages table, county codes of county designations that
are not a county of it, and a data set without a villages table (``no_villages_table``: a
warning for ``hemei validate``, which may check one ledger alone; :func:`load_dataset`, which
feeds the reports, refuses it).
A data set is synthetic when any table has a true ``synthetic`` flag or ``metadata.json`` says
``{"synthetic": true}``. Village codes must be official (NBS 2023 Anhui list) unless
``metadata.json`` declares the data synthetic: synthetic data may use synthetic divisions, and
their codes are then only checked against the data set's own villages table.

**As-of date.** A data set has one date its statuses describe (:attr:`DataSet.as_of`), the
same for every report built on it: ``metadata.json`` ``{"as_of": "2023-12-31"}`` when given,
else the latest date in the data (a project's start or actual end), else 31 December of the
latest observation year.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.inputs.api import tidy_piece
from hemei_tools.inputs.formats import METADATA_FILE, is_partitioned_table, scan_folder
from hemei_tools.inputs.names import official_codes
from hemei_tools.inputs.problems import DataValidationError, ValidationReport, problem_frame
from hemei_tools.inputs.read import read_pieces, unsupported_hint
from hemei_tools.inputs.schema import KEYS, TABLES, empty_table
from hemei_tools.inputs.tidy import TableRead
from hemei_tools.inputs.unfilled import filled_part
from hemei_tools.inputs.wording import join, language
from hemei_tools.inputs.wording import template as _tf
from hemei_tools.inputs.wording import text as _t

COMPARED_ACROSS_FILES_EXCEPT = ("note", "source", "synthetic")
"""Columns not compared when a key repeats across files (free notes may differ)."""


@dataclass(frozen=True)
class FileRecord:
    """Provenance of one input file: ``path`` as given, ``sha256`` of its bytes, data ``rows``.

    For a table stored as Parquet parts in a folder, ``path`` is the folder and ``sha256`` covers
    each part's relative path and bytes, in path order.
    """

    path: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class DataSet:
    """The validated input tables of one analysis (columns as in ``docs/design.md``).

    Attributes
    ----------
    villages, observations, projects, applicants : pandas.DataFrame
        Tidy tables; an absent table is an empty frame with the right columns.
    synthetic : bool
        True when the data are synthetic (demo) data.
    files : tuple of FileRecord
        Every file read, for provenance.
    natural_villages, county_designations : pandas.DataFrame
        The optional programme-unit tables (美丽宜居自然村庄; 示范县 and county honours);
        empty frames with the right columns when the data hold none.
    metadata_as_of : pandas.Timestamp or None
        The ``as_of`` date of ``metadata.json``, if it gives one (see :attr:`as_of`).
    """

    villages: pd.DataFrame
    observations: pd.DataFrame
    projects: pd.DataFrame
    applicants: pd.DataFrame
    synthetic: bool = False
    files: tuple[FileRecord, ...] = ()
    natural_villages: pd.DataFrame = field(default_factory=lambda: empty_table("natural_villages"))
    county_designations: pd.DataFrame = field(default_factory=lambda: empty_table("county_designations"))
    metadata_as_of: pd.Timestamp | None = None

    def table(self, kind: str) -> pd.DataFrame:
        """One table by name (a key of :data:`hemei_tools.inputs.schema.TABLES`)."""
        if kind not in TABLES:
            raise KeyError(f"unknown table {kind!r}; known: {', '.join(TABLES)}")
        return getattr(self, kind)

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The one date the data set's statuses describe (module docstring): ``metadata.json``'s
        ``as_of``, else the latest project start or actual end, else 31 December of the latest
        observation year; ``None`` for a data set without any date."""
        return data_as_of(self)


def data_as_of(dataset) -> pd.Timestamp | None:
    """The as-of date of a data set or a stand-in with the same table attributes (see
    :attr:`DataSet.as_of`)."""
    given = getattr(dataset, "metadata_as_of", None)
    if given is not None and not pd.isna(given):
        return pd.Timestamp(given)
    projects = getattr(dataset, "projects", None)
    if projects is not None and len(projects):
        dates = [pd.to_datetime(projects[c]) for c in ("start_date", "actual_end") if c in projects.columns]
        latest = pd.concat(dates).max() if dates else pd.NaT
        if not pd.isna(latest):
            return pd.Timestamp(latest).normalize()
    obs = getattr(dataset, "observations", None)
    if obs is not None and len(obs) and "year" in obs.columns:
        return pd.Timestamp(f"{int(pd.to_numeric(obs['year']).max())}-12-31")
    return None


def _expand(paths: Iterable[str | Path], report: ValidationReport) -> list[Path]:
    """The inputs to read, by the rule of :mod:`hemei_tools.inputs.formats`; a file in a data
    folder that is not read is a problem (``unsupported_format``), never skipped in silence."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir() and is_partitioned_table(p):
            out.append(p)
        elif p.is_dir():
            scan = scan_folder(p)
            out += scan.inputs
            for f in scan.unsupported:
                report.add(str(f), "", None, "", f.suffix, "unsupported_format", unsupported_hint(f))
        else:
            out.append(p)
    return _unique(out)


def _unique(paths: list[Path]) -> list[Path]:
    """Paths without repeats (the same file given twice would duplicate every row)."""
    seen, out = set(), []
    for p in paths:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _read_metadata(path: Path, report: ValidationReport) -> tuple[bool, pd.Timestamp | None]:
    """``(synthetic, as_of)`` from ``metadata.json``; a broken entry is a ``bad_metadata`` problem."""
    try:
        with open(path, "rb") as fh:
            meta = json.loads(fh.read().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        report.add(str(path), "", None, "", "", "bad_metadata", _tf("input.hint.metadata_json", error=err))
        return False, None
    if not isinstance(meta, dict):
        report.add(str(path), "", None, "", "", "bad_metadata")
        return False, None
    as_of = None
    if meta.get("as_of") is not None:
        text = str(meta["as_of"])
        as_of = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        if pd.isna(as_of):
            report.add(str(path), "", None, "as_of", text, "bad_metadata", _t("input.hint.metadata_as_of"))
            as_of = None
    flag = meta.get("synthetic", False)
    if not isinstance(flag, bool):
        report.add(str(path), "", None, "synthetic", str(flag), "bad_metadata", _t("input.hint.metadata_synthetic"))
        return False, as_of
    return flag, as_of


def read_dataset(paths: str | Path | Iterable[str | Path], catalogue: Catalogue | None = None,
                 lang: str | None = None, sheets: Iterable[str] = ()
                 ) -> tuple[DataSet, ValidationReport]:
    """Read a data set leniently: every table found plus every problem, never raising for data.

    Parameters
    ----------
    paths
        A folder (its table files, ``metadata.json`` and partitioned-table folders, by the rule
        of :mod:`hemei_tools.inputs.formats`; any other file in it is an ``unsupported_format``
        problem), a file, or several of these.
    catalogue
        Catalogue for indicator ids and ranges (default: the packaged one).
    lang
        Language of the messages, ``"zh"`` or ``"en"`` (default: the current one of
        :mod:`hemei_tools.inputs.wording`, Chinese unless set).
    sheets
        Sheet names to read in every workbook besides those named after a table, hidden ones
        included (a hidden sheet is otherwise skipped with a ``hidden_sheet`` warning).

    Returns
    -------
    dataset, report
        The tables (rows breaking rules included, as far as they could be read; a row repeated
        identically in two files once) and the report.
    """
    with language(lang):
        return _read_dataset(paths, catalogue, tuple(sheets))


def _read_dataset(paths, catalogue: Catalogue | None, sheets: tuple[str, ...]
                  ) -> tuple[DataSet, ValidationReport]:
    catalogue = catalogue or load_catalogue()
    report = ValidationReport()
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    codes = official_codes()
    reads: dict[str, list[TableRead]] = {k: [] for k in TABLES}
    records, synthetic, as_of = [], False, None
    found: set[str | None] = set()  # tables found in the files, read or not
    files = _expand(paths, report)
    for path in files:
        if path.name == METADATA_FILE:
            flag, given = _read_metadata(path, report)
            synthetic |= flag
            as_of = given if given is not None else as_of
    if synthetic:
        # synthetic data may live on synthetic divisions (demo --scale national): the codes are
        # then checked against the data set's own villages table only (village_not_listed)
        codes = None
    for path in files:
        if path.name == METADATA_FILE:
            continue
        pieces, data = read_pieces(path, None, catalogue, report, sheets)
        n_rows = 0
        found |= {p.kind for p in pieces if filled_part(p) is not None}  # a sheet not filled in: no table
        for piece in pieces:
            t = tidy_piece(piece, catalogue, codes, report)
            if t is not None:
                reads[t.kind].append(t)
                n_rows += len(t.frame)
        if data is not None:
            records.append(FileRecord(str(path), hashlib.sha256(data).hexdigest(), n_rows))
    tables = {}
    for kind, parts in reads.items():
        keep = _combine_across(kind, parts, report) if len(parts) > 1 else [None] * len(parts)
        frames = [t.frame if k is None else t.frame[k] for t, k in zip(parts, keep, strict=True)]
        tables[kind] = (pd.concat(frames, ignore_index=True) if frames else empty_table(kind))
        if "synthetic" in tables[kind].columns:  # files without the flag are not synthetic
            tables[kind]["synthetic"] = tables[kind]["synthetic"].astype("boolean").fillna(False).astype(bool)
            synthetic |= bool(tables[kind]["synthetic"].any())
    if len(tables["villages"]):
        listed = pd.Index(tables["villages"]["village_code"].dropna().unique())
        for kind in ("observations", "projects", "applicants", "natural_villages"):
            for t in reads[kind]:
                code = t.frame["village_code"]
                known = code.isin(codes) if codes is not None else code.str.fullmatch(r"\d{12}").fillna(False)
                bad = (code.notna() & known & ~code.isin(listed)).to_numpy()
                if bad.any():
                    report.add_frame(problem_frame(t.file, t.sheet, t.rows[bad], t.code_column,
                                                   code[bad], "village_not_listed",
                                                   col=t.column_number("village_code")))
        counties = pd.Index(tables["villages"]["county_code"].dropna().unique())
        for t in reads["county_designations"]:
            code = t.frame["county_code"]
            bad = (code.notna() & code.str.fullmatch(r"\d{6}").fillna(False) & ~code.isin(counties)).to_numpy()
            if bad.any():
                report.add_frame(problem_frame(t.file, t.sheet, t.rows[bad], "county_code", code[bad],
                                               "county_not_listed"))
    if "villages" not in found and files:
        report.add(str(paths[0]) if len(paths) == 1 else "", "", None, "", "", "no_villages_table")
    ds = DataSet(tables["villages"], tables["observations"], tables["projects"], tables["applicants"],
                 synthetic, tuple(records), natural_villages=tables["natural_villages"],
                 county_designations=tables["county_designations"], metadata_as_of=as_of)
    return ds, report


def _combine_across(kind: str, parts: list[TableRead], report: ValidationReport) -> list[np.ndarray]:
    """Rows of one table read from several files or sheets, combined.

    A row whose key is already in an earlier part (:data:`~hemei_tools.inputs.schema.KEYS`) is
    compared with that first row on every column but :data:`COMPARED_ACROSS_FILES_EXCEPT`:
    the same values are one row (the later copy is dropped, one ``repeated_rows`` note per
    pair of parts), different values are a ``conflicting_value`` error at the later row naming
    the earlier file and row. Repeats within one part are the schema's ``duplicate_key``.

    Returns
    -------
    list of numpy.ndarray
        For each part, the rows to keep.
    """
    keys = list(KEYS[kind])
    frames = []
    for n, t in enumerate(parts):
        f = t.frame.copy()
        f["_part"], f["_i"] = n, np.arange(len(f))
        frames.append(f)
    allf = pd.concat(frames, ignore_index=True)
    keep = [np.ones(len(t.frame), bool) for t in parts]
    valid = allf[keys].notna().all(axis=1).to_numpy()
    if not valid.any():
        return keep
    group = np.full(len(allf), -1)
    group[valid] = allf.loc[valid, keys].astype(object).groupby(keys, sort=False).ngroup().to_numpy()
    order = pd.Series(np.arange(len(allf)))
    first = order.groupby(group).transform("min").to_numpy()
    part = allf["_part"].to_numpy()
    later = valid & (part != part[first])
    if not later.any():
        return keep
    cmp = [c for c in parts[0].frame.columns if c not in keys and c not in COMPARED_ACROSS_FILES_EXCEPT]
    a = allf.loc[later, cmp].reset_index(drop=True)
    b = allf.iloc[first[later]][cmp].reset_index(drop=True)
    differs = pd.DataFrame({c: ~(a[c].eq(b[c]).fillna(False).astype(bool) | (a[c].isna() & b[c].isna()))
                            for c in cmp})
    conflict = differs.any(axis=1).to_numpy()
    rows_later = np.flatnonzero(later)
    for (p_late, p_first), sub in pd.DataFrame({
            "late": part[rows_later], "first": part[first[rows_later]], "k": np.arange(len(rows_later))
    }).groupby(["late", "first"], sort=True):
        t, t0 = parts[int(p_late)], parts[int(p_first)]
        k = sub["k"].to_numpy()
        same, bad = k[~conflict[k]], k[conflict[k]]
        if len(same):
            i_same = allf["_i"].to_numpy()[rows_later[same]]
            keep[int(p_late)][i_same] = False
            report.add(t.file, t.sheet, None, "", "", "repeated_rows", _tf(
                "input.hint.repeated_rows", n=len(same), file=_where(t0),
                rows=join(int(r) for r in np.unique(t.rows[i_same]))))
        if len(bad):
            i_late = allf["_i"].to_numpy()[rows_later[bad]]
            i_first = allf["_i"].to_numpy()[first[rows_later[bad]]]
            columns = [join_columns(differs.iloc[j]) for j in bad]
            value = [" / ".join(_text(a.at[j, c]) for c in differs.columns[differs.iloc[j].to_numpy()]) for j in bad]
            other = [" / ".join(_text(b.at[j, c]) for c in differs.columns[differs.iloc[j].to_numpy()]) for j in bad]
            wide = t.value_columns is not None and cmp == ["value"]
            shown = t.value_columns[i_late] if wide else [
                " + ".join(t.headers.get(c, c) for c in names.split("+")) for names in columns]
            col = (t.value_positions[i_late] + 1 if wide and t.value_positions is not None
                   else [t.column_number(c.split("+")[0]) for c in columns])
            hint = [_tf("input.hint.conflicting_value", file=_where(t0), row=int(r), other=o)
                    for r, o in zip(t0.rows[i_first], other, strict=True)]
            report.add_frame(problem_frame(t.file, t.sheet, t.rows[i_late], shown, value, "conflicting_value",
                                           hint, col))
    return keep


def join_columns(flags: pd.Series) -> str:
    """Names of the columns flagged True, joined with ``+``."""
    return "+".join(flags.index[flags.to_numpy()])


def _text(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _where(t: TableRead) -> str:
    """``file`` or ``file[sheet]`` of a part."""
    return t.file + (f"[{t.sheet}]" if t.sheet else "")


def load_dataset(path_or_paths: str | Path | Iterable[str | Path], catalogue: Catalogue | None = None
                 ) -> DataSet:
    """Read and validate a data set; raise if anything is wrong.

    Parameters
    ----------
    path_or_paths
        A folder of CSV / .xlsx / Parquet files (plus optional ``metadata.json``), one workbook
        with sheets 村庄名录 / 指标数据 / 项目台账 / 申报村, or a list of files and folders.
    catalogue
        Catalogue for indicator ids and ranges (default: the packaged one).

    Raises
    ------
    DataValidationError
        Listing every error (file, sheet, row, column, value, problem, hint). Warnings do not
        stop a load, except a missing villages table: every report needs it.
    """
    ds, report = read_dataset(path_or_paths, catalogue)
    report.escalate("no_villages_table")
    if not report.ok:
        raise DataValidationError(report)
    return ds
