"""Take the numbers away: numbered tables and figures, a CSV download under each, and the tables
published for the workbook beside the report.

When a report cell shows a :class:`~hemei_tools.present.section_parts.Section`
(:func:`show_section`, its ``_ipython_display_``), every table and every chart gets, in page
order:

- a number: tables ``表1``, ``表2``, … in their caption, figures ``图1``, ``图2``, … in the title
  written inside the image (:func:`~hemei_tools.present.section_parts.dress_figure`); the
  counters restart with each report (:func:`start_report`, called by
  :func:`~hemei_tools.present.notebook.publish_summary`);
- a download link right below it: the table's data (or the chart's, from its
  :class:`~hemei_tools.present.plots.ChartInfo`) as a CSV file embedded in the page
  (``<a download="枞阳县2023_表3_指标差距与趋势.csv" href="data:text/csv;charset=utf-8;base64,…">``):
  no server, UTF-8 with a byte-order mark so Excel opens the Chinese text, text cells inert
  (:func:`hemei_tools.exports.csv_bytes`);
- the same data under :data:`~hemei_tools.contract.TABLE_MIME` in the link's output, which the
  renderer collects into one ``.xlsx`` beside the page (one sheet per table, named ``表3 指标差距与趋势``)
  and then removes (:mod:`hemei_tools.render.workbook`).

Figures are shown as PNG at twice the report resolution (:data:`PNG_SCALE`) with their size
at 1× in the output's metadata, so they stay sharp on high-density screens, zoomed and in
print; the colours are reduced to a 256-colour palette, which keeps a page's images about as
large as 1× truecolour PNGs. Each carries an alt text that says what it shows.

What the downloads hold (:func:`export_frame`): the table as shown, with numbers as numbers and
units in the headers. A text column whose every cell is a number followed by the same unit
(``17.4%``, ``1,250.0万元``) becomes that number with the unit in its header (``完成率（%）``);
when the unit differs by row (the gap table's 现值), the numbers stay in the column and the units
go to a column of their own beside it. Cells that are not all numbers stay text; links keep
their address; ``—`` and ``…`` are empty cells, and a row with nothing in it (the gap row of a
shortened table) is left out.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.catalogue import load_labels
from hemei_tools.contract import TABLE_MIME

#: Figures are saved at this multiple of their display resolution.
PNG_SCALE = 2
#: Colours of the palette a figure's PNG is reduced to.
PNG_COLOURS = 256
#: Cells that mean "no value" in a display table.
EMPTY_CELLS = frozenset({"", "—", "-", "–", "…", "nan", "NaN", "None"})
#: Label prefixes tried, in order, for a table's name by its key in ``Section.tables``.
TABLE_NAME_PREFIXES = ("tablename", "published.topic")
#: Characters kept out of a download's file name.
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_NUMBER = re.compile(r"^([+\-\u2212]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?\s*(\D*?)\s*$")
_LINK = re.compile(r"<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


# ---------------------------------------------------------------------------------- numbering
@dataclass
class _Report:
    """The report being shown in this kernel: counters and the file-name prefix."""

    tables: int = 0
    figures: int = 0
    prefix: str = ""


_REPORT = _Report()


def start_report(prefix: str = "") -> None:
    """Restart table and figure numbers at 1 and set the download file names' prefix
    (``枞阳县2023_``; characters a file name cannot hold become ``_``)."""
    _REPORT.tables = _REPORT.figures = 0
    _REPORT.prefix = safe_filename(prefix)


def _next(kind: str) -> int:
    setattr(_REPORT, kind, getattr(_REPORT, kind) + 1)
    return getattr(_REPORT, kind)


def safe_filename(text: str) -> str:
    """``text`` usable in a file name on Windows, macOS and Linux: ``\\ / : * ? " < > |`` and
    control characters become ``_``; at most 80 characters."""
    return _FILE_FORBIDDEN.sub("_", str(text))[:80]


# ---------------------------------------------------------------------------------- tables
def _cell_text(value) -> str:
    """A display cell as plain text: a link ``<a href="u">t</a>`` becomes ``t（u）``, other
    markup is dropped (only cells the code built as Markup hold any)."""
    text = str(value)
    if "<" not in text or not hasattr(value, "__html__"):
        return text
    text = _LINK.sub(lambda m: html.unescape(_TAG.sub("", m.group(2)))
                     + _tf("download.link_source", url=html.unescape(m.group(1))), text)
    return html.unescape(_TAG.sub("", text))


def parse_number(text: str) -> tuple[float | int, str] | None:
    """``(number, unit)`` of a formatted number with an optional unit after it, else None.

    ``"1,250.5万元"`` → ``(1250.5, "万元")``; ``"17.4%"`` → ``(17.4, "%")``; ``"−3"`` → ``(-3, "")``;
    ``"2023–2027"``, ``"约2035年"``, ``"2（1–3）"`` → None (a unit holds no digit). Integers
    written without a decimal point come back as ``int``.
    """
    m = _NUMBER.match(str(text).strip())
    if m is None:
        return None
    sign, whole, frac, exp, unit = m.groups()
    digits = whole.replace(",", "") + (frac or "") + (exp or "")
    value: float | int = float(digits) if frac or exp else int(digits)
    return (-value if sign in ("-", "\u2212") else value), unit


def _is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in EMPTY_CELLS


def _with_unit(header: str, unit: str) -> str:
    """``header（unit）``, unless the header already ends with the unit in brackets."""
    if not unit or header.endswith((_tf("figure.col.with_unit", name="", unit=unit), f"({unit})")):
        return header
    return _tf("figure.col.with_unit", name=header, unit=unit)


def _put(out: dict, header: str, values: list) -> None:
    """Add a column, its header made unique (``header_2``) if the table has it already."""
    key, k = header, 1
    while key in out:
        k += 1
        key = f"{header}_{k}"
    out[key] = values


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table to download for a display table: numbers as numbers, units in headers.

    Rules (see the module docstring): a numeric column stays (whole floats as integers: a
    year is 2023, not 2023.0); a text column whose non-empty
    cells all parse (:func:`parse_number`) becomes numbers, with the unit in the header when
    every cell has the same one, else in a new column ``<header>的单位`` after it (shared by
    following columns with the same units row by row, such as 现值 and 基准); any other column
    stays text (links as ``text（url）``). Empty cells (:data:`EMPTY_CELLS`) are missing; rows
    with every cell missing are dropped. Every column holds Python objects (an integer column
    with a missing cell stays integers: 1, not 1.0).
    """
    headers, columns = _export_columns(frame)
    n = len(columns[0]) if columns else 0
    return pd.DataFrame({h: pd.Series(c, dtype=object, index=range(n)) for h, c in zip(headers, columns, strict=True)},
                        index=range(n))


def _export_columns(frame: pd.DataFrame) -> tuple[list[str], list[list]]:
    """:func:`export_frame` as ``(headers, columns)``: the unique headers and each column's
    cells as a list, rows with every cell missing already left out."""
    out: dict[str, list] = {}
    last_units: list | None = None
    for header, kind, values in zip([str(c) for c in frame.columns], [d.kind for d in frame.dtypes],
                                    _object_columns(frame), strict=True):
        if kind in "biuf":
            given = [v for v in values if not _is_empty(v)]
            if kind == "f" and given and all(float(v).is_integer() for v in given):
                values = [None if _is_empty(v) else int(v) for v in values]  # 2023, not 2023.0
            _put(out, header, values)
            last_units = None
            continue
        cells = [None if _is_empty(v) else _cell_text(v) for v in values]
        parsed = [None if c is None else parse_number(c) for c in cells]
        given = [p for c, p in zip(cells, parsed, strict=True) if c is not None]
        if not given or any(p is None for p in given):
            _put(out, header, cells)
            last_units = None
            continue
        units = [p[1] if p is not None else None for p in parsed]
        numbers = [p[0] if p is not None else None for p in parsed]
        kinds = {p[1] for p in given}
        if len(kinds) == 1:
            _put(out, _with_unit(header, kinds.pop()), numbers)
            last_units = None
            continue
        _put(out, header, numbers)
        if units != last_units:
            _put(out, _tf("download.unit_column", header=header), units)
            last_units = units
    if not len(frame):
        return [], []  # as pandas gives it: ``result[[]]`` of an empty mask selects no column
    headers, columns = list(out), list(out.values())
    keep = [r for r in range(len(frame)) if not all(_is_empty(c[r]) for c in columns)]
    if len(keep) < len(frame):
        columns = [[c[r] for r in keep] for c in columns]
    return headers, columns


def _payload_cell(v):
    """A cell of :func:`payload`: missing as None, numpy numbers as Python ones, text as text."""
    if _is_empty(v) and not isinstance(v, str):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, bool | int | float | str):
        return v
    return str(v)


def payload(sheet: str, frame: pd.DataFrame) -> dict:
    """The JSON form of a table for the workbook (:data:`~hemei_tools.contract.TABLE_MIME`):
    ``{"sheet", "columns", "rows"}``, missing values as null, numpy numbers as Python ones."""
    return _payload(sheet, [str(c) for c in frame.columns], _object_columns(frame))


def _payload(sheet: str, headers: list[str], columns: list[list]) -> dict:
    """:func:`payload` of a table given as headers and columns of cells."""
    return {"sheet": sheet, "columns": headers,
            "rows": [[_payload_cell(v) for v in row] for row in zip(*columns, strict=True)]}


def _object_columns(frame: pd.DataFrame) -> list[list]:
    """Each column of ``frame`` as a list of its cells as objects (``frame.astype(object)``:
    Python numbers for numpy ones), in one conversion of the whole frame."""
    if not frame.shape[1]:
        return []
    return frame.to_numpy(dtype=object).T.tolist()


def csv_data_uri(frame: pd.DataFrame) -> str:
    """A ``data:`` URI of ``frame`` as CSV for Excel (:func:`hemei_tools.exports.csv_bytes`).

    Numbers in a text column are written as they are (``repr``: pandas would write 190 as
    190.0 beside 54.2)."""
    from hemei_tools.exports import csv_bytes

    return _data_uri(csv_bytes(frame, numbers_as_written=True))


def _data_uri(data: bytes) -> str:
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(data).decode("ascii")


def _columns_uri(headers: list[str], columns: list[list]) -> str:
    """:func:`csv_data_uri` of the :func:`export_frame` whose :func:`_export_columns` are
    ``headers`` and ``columns``, written from the lists (the frame only for a cell the
    :mod:`csv` route leaves to pandas)."""
    from hemei_tools.exports import SMALL_TABLE, csv_from_cells, inert_text, text_cells

    if headers and len(columns[0]) <= SMALL_TABLE:
        cells = [text_cells(c, numbers_as_written=True) for c in columns]
        if all(c is not None for c in cells):
            return _data_uri(csv_from_cells([inert_text(h) for h in headers], cells))
    n = len(columns[0]) if columns else 0
    return csv_data_uri(pd.DataFrame({h: pd.Series(c, dtype=object, index=range(n))
                                      for h, c in zip(headers, columns, strict=True)}, index=range(n)))


def download_html(frame: pd.DataFrame, filename: str, text: str) -> str:
    """The download link of a table: ``<a class="hemei-download" download="….csv" href="data:…">``."""
    return _link(csv_data_uri(frame), filename, text)


def _link(uri: str, filename: str, text: str) -> str:
    """:func:`download_html` of a table whose ``data:`` URI is ``uri``."""
    return (f'<a class="hemei-download" download="{html.escape(safe_filename(filename) + ".csv")}" '
            f'href="{uri}">{html.escape(text)}</a>')


def table_key(section, styler) -> str | None:
    """The key of ``styler``'s frame in ``section.tables`` (the same object, else an equal frame)."""
    data = getattr(styler, "data", None)
    for key, frame in section.tables.items():
        if frame is data:
            return key
    for key, frame in section.tables.items():
        if isinstance(data, pd.DataFrame) and frame.shape == data.shape and frame.equals(data):
            return key
    return None


def _caption_text(styler) -> str:
    """A Styler's own caption (as the section made it) as text, without the synthetic mark."""
    caption = str(getattr(styler, "_hemei_caption", styler.caption) or "")
    caption = re.sub(r'\s*·?\s*<span class="hemei-synthetic-mark">.*?</span>', "", caption)
    return html.unescape(_TAG.sub("", caption)).strip()


def table_name(section, key: str | None, styler=None) -> str:
    """A table's name: label ``tablename.<section>.<key>``, then ``<prefix>.<key>`` for each of
    :data:`TABLE_NAME_PREFIXES`, then its caption, then ``表格``."""
    labels = load_labels()
    name = getattr(section, "name", "") or ""
    if key is not None:
        for k in (f"tablename.{name}.{key}", *(f"{p}.{key}" for p in TABLE_NAME_PREFIXES)):
            if k in labels:
                return labels(k)
    return (_caption_text(styler) if styler is not None else "") or _t("download.table_fallback")


def _number_caption(styler, n: int, name: str) -> None:
    """Set the Styler's caption to ``表n　title``, keeping the synthetic mark. The title is the
    table's own caption when it starts with ``name`` (``村庄排名：前15名与后15名``), else ``name``
    followed by its caption (a note) when it has one. The caption it had is kept aside, so
    showing it again numbers it afresh."""
    if not hasattr(styler, "_hemei_caption"):
        styler._hemei_caption = styler.caption
    original = str(styler._hemei_caption or "")
    mark = re.search(r'<span class="hemei-synthetic-mark">.*?</span>', original)
    own = _caption_text(styler)
    title = own if own.startswith(name) else _tf("mark.caption", title=name, mark=own) if own else name
    numbered = html.escape(_tf("table.numbered_title", n=n, title=title))
    styler.set_caption(_tf("mark.caption", title=numbered, mark=mark.group(0)) if mark else numbered)


def show_extra_table(key: str, frame: pd.DataFrame, section) -> None:
    """A download (and a workbook sheet) for a table of ``section.tables`` the section does not
    show: the full list behind a shortened one, the data behind a sentence."""
    from IPython.display import display

    headers, columns = _export_columns(frame)
    if not headers or not columns[0]:
        return
    name = table_name(section, key)
    link = _link(_columns_uri(headers, columns), _REPORT.prefix + name, _tf("download.extra_csv", name=name))
    display({"text/html": f'<p class="hemei-downloads">{link}</p>', TABLE_MIME: _payload(name, headers, columns)},
            raw=True)


def show_table(styler, section) -> None:
    """Display a table numbered, with its CSV download and its workbook sheet below it."""
    from IPython.display import display

    n = _next("tables")
    key = table_key(section, styler)
    name = table_name(section, key, styler)
    _number_caption(styler, n, name)
    display(styler)
    source = getattr(section, "downloads", {}).get(key) if key is not None else None
    headers, columns = _export_columns(source if source is not None else styler.data)
    if not headers or not columns[0]:
        return
    filename = _tf("download.file_table", prefix=_REPORT.prefix, n=n, name=name)
    link = _link(_columns_uri(headers, columns), filename, _tf("download.table_csv", n=n))
    display({"text/html": f'<p class="hemei-downloads">{link}</p>',
             TABLE_MIME: _payload(_tf("download.sheet_table", n=n, name=name), headers, columns)}, raw=True)


# ---------------------------------------------------------------------------------- figures
def figure_png(fig, dpi: float | None = None) -> tuple[bytes, int, int]:
    """``(png, width, height)``: the figure at :data:`PNG_SCALE` × its resolution, reduced to
    a :data:`PNG_COLOURS`-colour palette (octree, no dithering: flat chart colours and
    anti-aliased text keep their look), and its size in CSS pixels at 1×."""
    from PIL import Image

    dpi = float(dpi or fig.get_dpi()) * PNG_SCALE
    buf = io.BytesIO()
    # raw pixels (no truecolour PNG encoded only to be decoded again), then a fast octree palette
    fig.savefig(buf, format="rgba", dpi=dpi, facecolor="white", bbox_inches=None)
    width, height = (round(x * dpi) for x in fig.get_size_inches())
    image = Image.frombuffer("RGBA", (width, height), buf.getbuffer(), "raw", "RGBA", 0, 1).convert("RGB")
    small = image.quantize(colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=6)
    return out.getvalue(), round(width / PNG_SCALE), round(height / PNG_SCALE)


def figure_data(fig) -> pd.DataFrame:
    """The data of a chart: its :class:`~hemei_tools.present.plots.ChartInfo` table, else the
    labelled lines of its Axes (series, x, y; a chart drawn outside :mod:`~hemei_tools.present.plots`)."""
    from hemei_tools.present.plots import chart_info

    info = chart_info(fig)
    if info is not None:
        return info.data
    rows = []
    for ax in fig.axes:
        for line in ax.get_lines():
            name = str(line.get_label())
            if name.startswith("_"):
                continue
            for x, y in zip(np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float),
                            strict=True):
                rows.append({_t("figure.col.series"): name, _t("figure.col.x"): x, _t("figure.col.y"): y})
    return pd.DataFrame(rows)


def generic_alt(fig, title: str = "") -> str:
    """Alt text of a chart drawn without a :class:`~hemei_tools.present.plots.ChartInfo`: its
    title, else its axis labels and the names of its series (label ``figure.generic.alt``)."""
    if not title:
        parts = []
        for ax in fig.axes:
            names = [str(line.get_label()) for line in ax.get_lines() if not str(line.get_label()).startswith("_")]
            parts += [t for t in (ax.get_title(), ax.get_ylabel(), ax.get_xlabel()) if t]
            parts += names
        title = _t("punct.list_sep").join(dict.fromkeys(parts)) or _t("download.table_fallback")
    return _tf("figure.generic.alt", title=title)


def show_figure(fig, section) -> None:
    """Display a figure numbered (``图n`` in its title), as a 2× PNG with its alt text, then
    its caption and the CSV download of its data."""
    from IPython.display import display

    from hemei_tools.present.plots import chart_info
    from hemei_tools.present.section_parts import figure_title, number_figure

    n = _next("figures")
    number_figure(fig, n)
    info = chart_info(fig)
    title = info.title if info is not None else figure_title(fig)
    alt = info.alt if info is not None else generic_alt(fig, title)
    png, width, height = figure_png(fig)
    display({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt},
            metadata={"image/png": {"width": width, "height": height, "alt": alt}}, raw=True)
    parts = [html.escape(_tf("figure.caption", n=n, caption=info.caption))] if info is not None and info.caption else []
    frame = figure_data(fig)
    bundle = {}
    if not frame.empty:
        name = title or _t("download.table_fallback")
        filename = _tf("download.file_figure", prefix=_REPORT.prefix, n=n, name=name)
        parts.append(download_html(frame, filename, _tf("download.figure_csv", n=n)))
        bundle[TABLE_MIME] = payload(_tf("download.sheet_figure", n=n, name=name), frame)
    if parts:
        display({"text/html": f'<p class="hemei-figcaption">{" ".join(parts)}</p>', **bundle}, raw=True)


# ---------------------------------------------------------------------------------- sections
def show_section(section) -> None:
    """Display a Section's parts in order: tables and figures numbered with their downloads
    (:func:`show_table`, :func:`show_figure`), everything else as it is."""
    from IPython.display import display
    from matplotlib.figure import Figure

    shown = set()
    for part in section.parts:
        if isinstance(part, Figure):
            show_figure(part, section)
        elif hasattr(part, "set_caption") and hasattr(part, "data"):
            shown.add(table_key(section, part))
            show_table(part, section)
        else:
            display(part)
    for key, frame in section.tables.items():
        if key not in shown and isinstance(frame, pd.DataFrame):
            show_extra_table(key, section.downloads.get(key, frame), section)


__all__ = [
    "EMPTY_CELLS", "PNG_COLOURS", "PNG_SCALE", "csv_data_uri", "download_html", "export_frame", "figure_data",
    "figure_png", "generic_alt", "parse_number", "payload", "safe_filename", "show_extra_table", "show_figure",
    "show_section", "show_table", "start_report", "table_key", "table_name",
]
