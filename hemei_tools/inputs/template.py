"""The fill-in workbook an office types its data into (``hemei template``).

:func:`write_template` writes one ``.xlsx`` for one county: a 说明 (guide) sheet first, then one
sheet per table, named and headed as the loader reads them (the first Chinese sheet and header
names of ``catalogue/aliases.csv``), so a filled-in template validates with no edits:

- 村庄名录 (villages) and 指标数据 (observations): the county's official administrative villages
  (NBS 2023 list, :func:`hemei_tools.inputs.divisions.load_villages`) pre-filled as code,
  township and village name, one row each, locked; the year too when ``year`` is given;
- 指标数据: one column per catalogue indicator (``indicators.csv`` order), its unit in the
  header (``卫生厕所普及率（%）``; 0/1 items have no unit, they take 是/否);
- 项目台账 (projects) and 申报村 (applicants): blank rows, one record each;
- every fill-in cell carries data validation from the catalogue and the schema
  (:data:`hemei_tools.inputs.schema.TABLES`): ``min_value``–``max_value`` of each indicator
  (whole numbers for ``count`` indicators, decimals otherwise), 是/否 lists for 0/1 items, the
  category lists (任务, 资金来源, 项目状态, 村庄类型, 建设状态, 党建等次), dates, years,
  non-negative amounts, and village codes picked from the pre-filled list;
- sheets are protected without a password (locked: titles, headers and pre-filled cells;
  unlocked: the fill-in cells; columns and rows may still be resized), and set up for A4
  landscape printing, fitted to the page width, the title and header rows repeated on every page;
- the 说明 sheet gives each indicator's definition, unit, valid range, how to count it and an
  example (``indicator.<id>.definition|counting|example`` rows of ``labels.csv``), and the
  values of every list.

The workbook carries the defined name :data:`hemei_tools.inputs.unfilled.TEMPLATE_NAME`, so the
loader knows rows not yet filled in are not errors (:mod:`hemei_tools.inputs.unfilled`).
Every word comes from ``labels.csv``, ``aliases.csv`` or the catalogue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.inputs.aliases import load_aliases
from hemei_tools.inputs.divisions import division_names, load_villages, short_name
from hemei_tools.inputs.schema import YEAR_RANGE, ColumnSpec, table_columns
from hemei_tools.inputs.unfilled import PREFILLED, TEMPLATE_NAME
from hemei_tools.paths import write_atomic_with

TABLE_CHOICES = ("villages", "observations", "projects", "applicants")
"""Tables a template may hold, in sheet order (``--tables``)."""
BLANK_ROWS = {"projects": 500, "applicants": 100}
"""Fill-in rows prepared (validation, unlocked cells) on the sheets that start blank."""
TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3
OPEN_COLUMNS = {
    "projects": ("project_id", "village_code", "task_id", "project_name", "start_date", "planned_end",
                 "actual_end", "budget_wan", "disbursed_wan", "funding_source", "status"),
    "applicants": ("village_code", "apply_year", "collective_income_wan", "rural_income_yuan",
                   "industry_output_wan", "tourist_visits_wan", "participation_rate", "self_raised_wan",
                   "party_grade", "has_village_plan", "open_violation", "selected"),
    "villages": ("village_type", "designation_year", "build_status", "population", "households"),
}
"""Fill-in columns of each table sheet, in sheet order (observations: one per indicator)."""
_UNIT_KINDS = ("count", "amount", "percent")
_DATE_RANGE = (dt.datetime(YEAR_RANGE[0], 1, 1), dt.datetime(YEAR_RANGE[1], 12, 31))
_GREY, _HEAD = "F2F2F2", "DDE6F0"


@dataclass(frozen=True)
class Check:
    """Data validation of one column: openpyxl ``type``/``operator``/formulas, and its texts."""

    type: str | None
    operator: str | None = None
    formula1: str | None = None
    formula2: str | None = None
    prompt: str = ""
    error: str = ""


@dataclass(frozen=True)
class Column:
    """One column of a template sheet: canonical ``name`` (a schema column or an indicator id),
    ``header`` as written, whether the template pre-fills it, its cell format, width and check."""

    name: str
    header: str
    prefilled: bool = False
    number_format: str = "General"
    width: float = 12
    check: Check | None = None


@dataclass(frozen=True)
class TemplateInfo:
    """What :func:`write_template` wrote: the file, the county, its villages and the sheets."""

    path: Path
    county_code: str
    county_name: str
    n_villages: int
    sheets: tuple[str, ...]


# ------------------------------------------------------------------------------ words and names

def sheet_name(kind: str) -> str:
    """The sheet name of a table: its first Chinese name in ``aliases.csv`` (村庄名录 …)."""
    names = [a for a, c in load_aliases().tables.items() if c == kind and not a.isascii()]
    if not names:
        raise KeyError(f"aliases.csv has no Chinese table name for {kind!r}")
    return names[0]


def _with_unit(text: str, unit: str) -> str:
    return f"{text}{_t('punct.open_paren')}{unit}{_t('punct.close_paren')}" if unit else text


def column_header(kind: str, column: str, unit: str = "") -> str:
    """The header of a table column: its first Chinese header in ``aliases.csv``, with ``unit``
    in brackets (``投资（万元）``)."""
    names = [a for a in load_aliases().headers_of(kind, column) if not a.isascii()]
    if not names:
        raise KeyError(f"aliases.csv has no Chinese header for {kind}.{column}")
    return _with_unit(names[0], unit)


def yes_no() -> tuple[str, str]:
    """The words for 1 and 0 in a 0/1 column (是, 否: the first Chinese ``*.binary`` values of
    ``aliases.csv``, which the loader maps back to 1 and 0)."""
    words = load_aliases().values["*.binary"]
    first = {c: a for a, c in reversed(list(words.items())) if not a.isascii()}
    return first["1"], first["0"]


def _sep() -> str:
    return _t("punct.list_sep")


def _fmt(x: float) -> str:
    return f"{x:g}"


# ------------------------------------------------------------------------------ column layouts

def _list_check(values, prompt: str | None = None) -> Check:
    values = [str(v) for v in values]
    return Check("list", formula1='"' + ",".join(values) + '"',
                 prompt=prompt or _tf("template.dv.list", values=_sep().join(values)),
                 error=_tf("template.dv.list", values=_sep().join(values)))


def _spec_column(kind: str, spec: ColumnSpec, catalogue: Catalogue, code_source: str | None) -> Column:
    """The fill-in column of a schema column, with its validation."""
    unit = spec.unit if spec.kind in _UNIT_KINDS else ""
    header = column_header(kind, spec.name, unit)
    k = spec.kind
    if k == "village_code":
        if code_source:
            sheet = code_source.split("!")[0].strip("'")
            text = _tf("template.dv.code", sheet=sheet)
            check = Check("list", formula1=code_source, prompt=text, error=text)
        else:
            text = _t("template.dv.code_length")
            check = Check("textLength", "equal", "12", prompt=text, error=text)
        return Column(spec.name, header, number_format="@", width=15, check=check)
    if k == "year":
        text = _tf("template.dv.whole", low=YEAR_RANGE[0], high=YEAR_RANGE[1])
        return Column(spec.name, header, number_format="0", width=10,
                      check=Check("whole", "between", str(YEAR_RANGE[0]), str(YEAR_RANGE[1]), text, text))
    if k == "count":
        text = _tf("template.dv.whole_nonnegative", unit=spec.unit)
        return Column(spec.name, header, number_format="0", width=10,
                      check=Check("whole", "greaterThanOrEqual", "0", prompt=text, error=text))
    if k == "amount":
        text = _tf("template.dv.nonnegative", unit=spec.unit)
        return Column(spec.name, header, number_format="0.00", width=12,
                      check=Check("decimal", "greaterThanOrEqual", "0", prompt=text, error=text))
    if k == "percent":
        text = _tf("template.dv.number", low=0, high=100, unit=spec.unit)
        return Column(spec.name, header, number_format="0.0", width=10,
                      check=Check("decimal", "between", "0", "100", text, text))
    if k == "date":
        from openpyxl.utils.datetime import to_excel

        text = _t("template.dv.date")
        lo, hi = (str(int(to_excel(d))) for d in _DATE_RANGE)
        return Column(spec.name, header, number_format="yyyy-mm-dd", width=12,
                      check=Check("date", "between", lo, hi, text, text))
    if k == "enum":
        return Column(spec.name, header, width=12, check=_list_check(spec.values))
    if k == "task":
        codes = catalogue.tasks["code"].tolist()
        return Column(spec.name, header, width=8,
                      check=_list_check(codes, _tf("template.dv.task", sheet=_t("template.guide.sheet"))))
    if k == "binary":
        return Column(spec.name, header, width=10, check=_list_check(yes_no()))
    text = _t("template.dv.text") if spec.name == "project_id" else ""
    width = 30 if spec.name == "project_name" else 16
    return Column(spec.name, header, width=width, check=Check(None, prompt=text) if text else None)


def _indicator_column(row: pd.Series, catalogue: Catalogue) -> Column:
    """The column of one indicator: unit in the header, range (or 是/否) from the catalogue."""
    iid = row["indicator_id"]
    prompt = _t(f"indicator.{iid}.counting")
    if row["value_type"] == "binary":
        check = _list_check(yes_no(), prompt)
        return Column(iid, catalogue.label(iid), width=10, check=check)
    lo, hi = float(row["min_value"]), float(row["max_value"])
    decimals = int(row["decimals"])
    if row["value_type"] == "count":
        error = _tf("template.dv.whole", low=_fmt(lo), high=_fmt(hi))
        check = Check("whole", "between", _fmt(lo), _fmt(hi), prompt, error)
        number_format = "0"
    else:
        error = _tf("template.dv.number", low=_fmt(lo), high=_fmt(hi), unit=row["unit"])
        check = Check("decimal", "between", _fmt(lo), _fmt(hi), prompt, error)
        number_format = "0" if decimals == 0 else "0." + "0" * decimals
    return Column(iid, catalogue.label(iid, with_unit=True), width=11, number_format=number_format,
                  check=check)


def _prefilled_columns(kind: str, with_year: bool) -> list[Column]:
    widths = {"village_code": 15, "township_name": 12, "village_name": 12, "year": 8}
    names = [c for c in PREFILLED[kind] if c != "year" or with_year]
    return [Column(c, column_header(kind, c), prefilled=True, width=widths[c],
                   number_format="@" if c == "village_code" else "General") for c in names]


def template_columns(kind: str, catalogue: Catalogue, year: int | None = None,
                     code_source: str | None = None) -> list[Column]:
    """The columns of one template sheet, in order.

    Parameters
    ----------
    kind
        A table of :data:`TABLE_CHOICES`.
    catalogue
        Source of the indicators (observations) and the task codes (projects).
    year
        Pre-fill the observation year (the year column is a fill-in column otherwise).
    code_source
        Absolute range of the pre-filled village codes (``'村庄名录'!$A$3:$A$192``) that the
        project and applicant sheets pick codes from; ``None`` checks the code's 12 digits only.
    """
    specs = {s.name: s for s in table_columns(kind)}
    if kind == "villages":
        return _prefilled_columns(kind, False) + [_spec_column(kind, specs[c], catalogue, None)
                                                  for c in OPEN_COLUMNS[kind]]
    if kind == "observations":
        cols = _prefilled_columns(kind, year is not None)
        if year is None:
            cols.append(_spec_column(kind, specs["year"], catalogue, None))
        return cols + [_indicator_column(r, catalogue) for _, r in catalogue.indicators.iterrows()]
    return [_spec_column(kind, specs[c], catalogue, code_source) for c in OPEN_COLUMNS[kind]]


# ------------------------------------------------------------------------------ writing

def county_villages(county_code: str) -> pd.DataFrame:
    """The official administrative villages of one county, sorted by code (``KeyError`` if none)."""
    v = load_villages(None)
    v = v[v["county_code"] == str(county_code)]
    if v.empty:
        raise KeyError(_tf("cli.template.bad_county", code=county_code))
    return v.reset_index(drop=True)


def _print_setup(ws, header_rows: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = header_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = _t("template.footer")


def _protect(ws) -> None:
    """Protect the sheet without a password; resizing columns and rows stays allowed."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _validation(check: Check):
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type=check.type, operator=check.operator, formula1=check.formula1,
                        formula2=check.formula2, allow_blank=True)
    dv.showInputMessage = bool(check.prompt)
    dv.promptTitle, dv.prompt = _t("template.dv.title"), check.prompt[:255] or None
    dv.showErrorMessage = check.type is not None
    dv.errorTitle, dv.error = _t("template.dv.error_title"), check.error[:225] or None
    return dv


def _table_sheet(wb, kind: str, title: str, columns: list[Column], rows: list[list], n_rows: int) -> None:
    """One table sheet: title row, header row, pre-filled rows (locked), fill-in cells
    (unlocked, validated) for ``n_rows`` rows."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet_name(kind))
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    grey = PatternFill("solid", fgColor=_GREY)
    open_cell = Protection(locked=False)
    ws.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=12)
    n_pre = sum(c.prefilled for c in columns)
    note = _t("template.sheet_note") if n_pre else _t("template.sheet_note_open")
    ws.cell(TITLE_ROW, n_pre + 1 if n_pre else 3, note).font = Font(color="595959")
    ws.row_dimensions[HEADER_ROW].height = 48
    for j, col in enumerate(columns, start=1):
        h = ws.cell(HEADER_ROW, j, col.header)
        h.font = Font(bold=True)
        h.fill = PatternFill("solid", fgColor=_HEAD)
        h.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        h.border = border
        ws.column_dimensions[get_column_letter(j)].width = col.width
    last = FIRST_ROW + n_rows - 1
    for j, col in enumerate(columns, start=1):
        values = [r[j - 1] for r in rows] if col.prefilled else None
        for i in range(n_rows):
            cell = ws.cell(FIRST_ROW + i, j)
            cell.border = border
            cell.number_format = col.number_format
            if col.prefilled:
                cell.value = values[i]
                cell.fill = grey
            else:
                cell.protection = open_cell
        if col.check is not None and n_rows:
            letter = get_column_letter(j)
            dv = _validation(col.check)
            dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
            ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(FIRST_ROW, n_pre + 1)
    _protect(ws)
    _print_setup(ws, f"{TITLE_ROW}:{HEADER_ROW}")


def _guide_sheet(wb, title: str, county: str, n: int, kinds: tuple[str, ...], catalogue: Catalogue,
                 layouts: dict[str, list[Column]]) -> None:
    """The 说明 sheet: how to fill in, each indicator's definition, unit, range, counting rule
    and example, and the values of every drop-down list."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(_t("template.guide.sheet"), 0)
    widths = (8, 22, 24, 10, 12, 36, 40, 32)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + j)].width = w
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    steps = [_tf("template.guide.intro", county=county, n=n), _t("template.guide.step_units"),
             _t("template.guide.step_binary"), _t("template.guide.step_empty")]
    if {"projects", "applicants"} & set(kinds):
        steps.append(_tf("template.guide.step_lists", sheet=sheet_name(
            "villages" if "villages" in kinds else "observations")))
    steps.append(_t("template.guide.step_check"))
    r = 3
    for i, text in enumerate(steps, start=1):
        ws.cell(r, 1, i).alignment = wrap
        ws.cell(r, 2, text).alignment = wrap
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(widths))
        ws.row_dimensions[r].height = 32
        r += 1

    def heading(row: int, text: str, cols: list[str]) -> int:
        ws.cell(row, 1, text).font = Font(bold=True, size=12)
        for j, h in enumerate(cols, start=1):
            c = ws.cell(row + 1, j, h)
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor=_HEAD)
            c.alignment = wrap
        return row + 2

    r = heading(r + 1, _t("template.guide.indicators"),
                [_t("header.task"), _t("header.indicator"), _t("template.guide.col.id"), _t("header.unit"),
                 _t("template.guide.col.range"), _t("template.guide.col.definition"),
                 _t("template.guide.col.counting"), _t("template.guide.col.example")])
    indicators_start = r
    for _, ind in catalogue.indicators.iterrows():
        iid = ind["indicator_id"]
        binary = ind["value_type"] == "binary"
        rng = " / ".join(yes_no()) if binary else _tf(
            "template.range.between", low=_fmt(float(ind["min_value"])), high=_fmt(float(ind["max_value"])))
        values = [ind["task_id"], ind["name_zh"], iid, "" if binary else ind["unit"], rng,
                  _t(f"indicator.{iid}.definition"), _t(f"indicator.{iid}.counting"),
                  _t(f"indicator.{iid}.example")]
        for j, v in enumerate(values, start=1):
            ws.cell(r, j, v).alignment = wrap
        r += 1
    r = heading(r + 1, _t("template.guide.lists"),
                [_t("template.guide.col.sheet"), _t("template.guide.col.column"), _t("template.guide.col.values")])
    tasks = catalogue.tasks
    task_text = _sep().join(f"{c} {n}" for c, n in zip(tasks["code"], tasks["name_zh"], strict=True))
    for kind in kinds:
        for col in layouts[kind]:
            if col.check is None or col.check.type != "list" or kind == "observations" or col.name == "village_code":
                continue
            values = task_text if col.name == "task_id" else _sep().join(
                col.check.formula1.strip('"').split(","))
            for j, v in enumerate((sheet_name(kind), col.header, values), start=1):
                ws.cell(r, j, v).alignment = wrap
            ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=len(widths))
            ws.row_dimensions[r].height = 32 if col.name == "task_id" else 16
            r += 1
    ws.freeze_panes = None
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _print_setup(ws, f"{indicators_start - 1}:{indicators_start - 1}")


def build_template(county_code: str, year: int | None = None, tables=TABLE_CHOICES,
                   catalogue: Catalogue | None = None):
    """The template workbook (an :class:`openpyxl.Workbook`) and its :class:`TemplateInfo`
    (``path`` empty); see :func:`write_template`."""
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    catalogue = catalogue or load_catalogue()
    unknown = [t for t in tables if t not in TABLE_CHOICES]
    if unknown or not tables:
        raise ValueError(_tf("cli.template.bad_tables", names=", ".join(unknown),
                             known=",".join(TABLE_CHOICES)))
    kinds = tuple(t for t in TABLE_CHOICES if t in tables)
    villages = county_villages(county_code)
    county = division_names().get(str(county_code), villages["county_name"].iloc[0])
    n = len(villages)
    title = (_tf("template.title_year", county=county, year=year) if year is not None
             else _tf("template.title", county=county))
    pre_rows = {c: villages[c].tolist() for c in ("village_code", "township_name")}
    pre_rows["village_name"] = villages["village_name"].map(short_name).tolist()
    pre_rows["year"] = [year] * n
    source_kind = next((k for k in ("villages", "observations") if k in kinds), None)
    code_source = (f"'{sheet_name(source_kind)}'!$A${FIRST_ROW}:$A${FIRST_ROW + n - 1}"
                   if source_kind else None)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    layouts = {}
    for kind in kinds:
        cols = template_columns(kind, catalogue, year, code_source)
        layouts[kind] = cols
        pre = [c for c in cols if c.prefilled]
        if pre:
            rows = [[pre_rows[c.name][i] for c in pre] for i in range(n)]
            count = n
        else:
            rows, count = [], BLANK_ROWS[kind]
        _table_sheet(wb, kind, _tf("template.sheet_title", county=county, table=sheet_name(kind)),
                     cols, rows, count)
    _guide_sheet(wb, title, county, n, kinds, catalogue, layouts)
    wb.active = 0
    marker = f"{county_code} {year}" if year is not None else str(county_code)
    wb.defined_names[TEMPLATE_NAME] = DefinedName(TEMPLATE_NAME, attr_text=f'"{marker}"')
    wb.properties.title = title
    wb.properties.creator = "hemei-tools"
    info = TemplateInfo(Path(), str(county_code), county, n, tuple(wb.sheetnames))
    return wb, info


def write_template(out: str | Path, county_code: str, year: int | None = None, tables=TABLE_CHOICES,
                   catalogue: Catalogue | None = None) -> TemplateInfo:
    """Write the fill-in template of one county (see the module docstring), atomically.

    Parameters
    ----------
    out
        The ``.xlsx`` file to write (replaced if it exists; the command line refuses to
        overwrite without ``--force``).
    county_code
        Six-digit county-level division code (``340722``).
    year
        The observation year, pre-filled in the 指标数据 sheet; ``None`` leaves it to fill in.
    tables
        Which tables get a sheet, any of :data:`TABLE_CHOICES` (in that order).
    catalogue
        Indicators, ranges and tasks (default: the packaged catalogue).

    Returns
    -------
    TemplateInfo
        The file, county, number of villages pre-filled and the sheet names.

    Raises
    ------
    KeyError
        No administrative village has that county code.
    ValueError
        An unknown table is asked for.
    """
    wb, info = build_template(county_code, year, tables, catalogue)
    path = write_atomic_with(out, lambda tmp: wb.save(tmp))
    return TemplateInfo(path, info.county_code, info.county_name, info.n_villages, info.sheets)
