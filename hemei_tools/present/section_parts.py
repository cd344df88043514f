"""The pieces every report section is built from: :class:`Section`, table headers and helpers.

:mod:`hemei_tools.present.sections` (the region reports) and
:mod:`hemei_tools.present.selection_sections` (the village-selection report) build their
sections from these; the names stay importable from :mod:`hemei_tools.present.sections`.

Synthetic data are marked in one place, :func:`report_section`: every ``section_*`` function
is decorated with it (or, when it shows only published figures, with
:func:`published_section`), and on synthetic data (``a.ctx.synthetic`` of a region analysis, or
``sel.synthetic`` of a selection round) every Figure the section returns carries
示例数据（模拟） inside the image (:func:`mark_figure`, in a strip added below the drawing, so it
hides nothing) and every table a caption with it (:func:`mark_table`). Real data get no mark.

The same decorators make every figure fit for a briefing (:func:`dress_figure`): its title in a
strip above the drawing (numbered ``图n`` when shown, :func:`number_figure`), and below it the
unit line and the source (``单位：…``, ``数据来源：…``, with the synthetic mark at the right end),
all inside the image, so a chart pasted into a slide keeps them. Showing a section numbers its
tables and figures and puts a CSV download under each (:mod:`hemei_tools.present.downloads`).
"""

from __future__ import annotations

import dataclasses
import functools
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from hemei_tools.catalogue import LabelGroup
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.present import narrative as nv
from hemei_tools.present.style import STATUS_COLOURS, cell_css, score_colour

#: Column headers of the report tables by id: labels ``header.<id>`` of ``catalogue/labels.csv``.
#: The wording dicts below are :class:`~hemei_tools.catalogue.LabelGroup` views of labels.csv too.
HEADERS = LabelGroup("header", (
    "dimension", "task", "indicator", "unit", "value", "benchmark", "benchmark_source", "gap",
    "distance", "status", "trend", "year_closes", "score", "rank", "city", "county", "village",
    "township", "nominal_rank", "rank_median", "rank_interval", "top_share", "object", "n", "mean",
    "gini", "theil", "cv", "between_share", "item", "programme", "region", "target", "period",
    "expected", "actual", "pct", "plan_status", "n_projects", "n_finished", "completion", "budget",
    "disbursed", "disbursement", "overdue", "with_value", "n_total", "coverage", "imputed", "treated",
    "direction", "weight", "aggregation", "year", "kind", "role", "source", "parameter", "setting",
    "red", "key_gaps", "group", "theil_between", "theil_within", "criterion", "total", "selected",
    "route", "p_selected", "label", "decision", "rule", "flip", "explained_by", "publisher",
    "source_kind", "provenance", "decision_synthetic",
))

#: How each catalogue ``aggregation`` rule reads in the methodology appendix.
AGGREGATION_ZH = LabelGroup("aggregation", (
    "household_mean", "population_mean", "village_share", "village_mean", "sum",
))
#: Words for the selection route and robustness labels of :mod:`hemei_tools.engine.selection`.
ROUTE_ZH = LabelGroup("route", (
    "quota", "city_pool", "not_selected", "ineligible",
))
LABEL_ZH = LabelGroup("robustness", (
    "robust", "marginal", "out",
))
ROLE_ZH = LabelGroup("role", (
    "benchmark", "comparison",
))
#: How a benchmark's ``source_kind`` (benchmarks.csv) reads in the appendix: 统计公报, 政府网站, …
SOURCE_KIND_ZH = LabelGroup("source_kind", (
    "statistical_bulletin", "government", "official_media", "repost", "unchecked",
))
#: How a key figure's provenance reads (:func:`hemei_tools.engine.region.headline_figures`): 公开数据, 模拟.
PROVENANCE_ZH = LabelGroup("provenance", (
    "published", "synthetic", "data",
))
#: How the reports name the units of a level (各县区对比, 市间与市内不平衡).
LEVEL_WORD = LabelGroup("level", (
    "township", "county", "city", "province",
))
#: Children drawn as overlaid Lorenz curves in one chart; more get one small panel each.
LORENZ_OVERLAY_MAX = 6
#: Rows shown at each end of a long village table (top and bottom), to keep reports small.
TABLE_ENDS = 15
#: Figure resolution (dots per inch) of report figures.
FIGURE_DPI = 100
#: Height (inches) of the strip added below a figure of synthetic data for its mark.
MARK_STRIP_INCH = 0.26
#: Font size (points) of the synthetic-data mark in a figure.
MARK_FONT_SIZE = 9
#: Colour of the synthetic-data mark (dark amber: 5:1 contrast on white, reads as a warning).
MARK_COLOUR = "#9a4a00"
#: ``gid`` of the mark's Text artist, so a figure is marked once and tests can find the mark.
MARK_GID = "hemei-synthetic-mark"
#: Style of a table caption (title and synthetic mark): above the table, left-aligned.
CAPTION_STYLE = "caption-side: top; text-align: left; font-size: 0.9em; padding: 2px 0;"
#: Height (inches) of the strip added above a figure for its title, and the title's font size.
TITLE_STRIP_INCH = 0.36
TITLE_FONT_SIZE = 10.5
#: ``gid`` of the figure title's Text artist (numbered when the figure is shown).
TITLE_GID = "hemei-figure-title"
#: ``gid`` of the unit and source lines below a figure.
FOOTER_GID = "hemei-figure-footer"
#: Font size (points) of the unit and source lines, and the height of one line (inches).
FOOTER_FONT_SIZE = 8
FOOTER_LINE_INCH = 0.17
#: Colour of the unit and source lines.
FOOTER_COLOUR = "#52606d"


# ---------------------------------------------------------------------------------- section
@dataclass(frozen=True, eq=False)
class Section:
    """What a report cell shows: Markdown, tables and figures, displayed in order.

    Attributes
    ----------
    parts
        Display objects in order: :class:`IPython.display.Markdown`, pandas ``Styler`` or
        matplotlib ``Figure``.
    tables
        The display frames behind the tables, by name (Chinese headers, formatted values).
    data
        Raw numbers behind the section, by name, for tests and machine use.
    downloads
        Frames to offer for download instead of the table shown, by the same names as
        ``tables`` (e.g. every village where the page shows the first and last 15).
    name
        The section function's name without ``section_`` (set by :func:`report_section`);
        table names for the downloads are looked up by it (``tablename.<name>.<key>``).
    summary
        Machine-readable facts for the report pipeline, published (invisibly) under
        :data:`~hemei_tools.contract.SUMMARY_MIME` after the section; the pipeline merges every
        summary payload of a notebook (e.g. ``{"standing": ...}`` for the batch index).
    """

    parts: tuple = ()
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    downloads: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    name: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)

    def _ipython_display_(self) -> None:
        """Show the parts in order; tables and figures numbered, each with its CSV download
        (:func:`hemei_tools.present.downloads.show_section`); then publish :attr:`summary`."""
        from hemei_tools.present.downloads import show_section

        show_section(self)
        if self.summary:
            from IPython.display import display

            from hemei_tools.contract import SUMMARY_MIME

            display({SUMMARY_MIME: dict(self.summary)}, raw=True)

    @property
    def figures(self) -> list:
        """The matplotlib Figures of the section."""
        from matplotlib.figure import Figure

        return [p for p in self.parts if isinstance(p, Figure)]

    @property
    def text(self) -> str:
        """The Markdown text of the section, parts joined by blank lines."""
        return "\n\n".join(p.data for p in self.parts if type(p).__name__ == "Markdown")

    def html(self) -> str:
        """HTML of the tables (``Styler.to_html``), joined; figures are left out."""
        return "\n".join(p.to_html() for p in self.parts if hasattr(p, "to_html") and hasattr(p, "data"))


def _labels(catalogue) -> nv.Labels:
    """Label lookup of the catalogue (:func:`hemei_tools.present.narrative.catalogue_labels`)."""
    return nv.catalogue_labels(catalogue)


def _md(text: str):
    """Markdown of a report sentence; names from the data never become HTML, links or images
    (:func:`hemei_tools.contract.inert_markdown`: reads the same; the exporter does it again,
    idempotently, for Markdown made elsewhere: ``hemei_tools.render.sanitize.escape_markdown``)."""
    from IPython.display import Markdown

    from hemei_tools.contract import inert_markdown

    return Markdown(inert_markdown(text))


def _figure(ax) -> Any:
    """The Figure of ``ax``, at report resolution, detached from pyplot (shown once, on display)."""
    fig = ax.figure
    fig.set_dpi(FIGURE_DPI)
    plt.close(fig)
    return fig


def _styler(frame: pd.DataFrame, colours: Mapping[str, Mapping[str, str]] | None = None,
            title: str | None = None):
    """A compact Styler: no index, class ``hemei-table``; ``colours`` maps column → value → colour;
    ``title`` becomes the table's caption (:func:`mark_table` adds the synthetic mark to it)."""
    from pandas.io.formats.style import Styler

    # escape="html": cells and headers hold names from the data (a cell that is markupsafe.Markup,
    # in an object column, is HTML the code built with escaped parts, and stays as it is)
    st = (Styler(frame, cell_ids=False, escape="html").format_index(escape="html", axis=1)
          .hide(axis="index").set_table_attributes('class="hemei-table"')
          # a long cell or header wraps rather than running over its neighbour (on screen only at
          # punctuation and spaces: the page's word-break: keep-all; in print wherever it must)
          .set_table_styles([{"selector": "td, th", "props": "padding: 2px 6px; overflow-wrap: break-word;"},
                             {"selector": "caption", "props": CAPTION_STYLE}]))
    text = text_columns(frame)
    if text:  # words read from the left; numbers stay right-aligned (one rule per column)
        st = st.set_table_styles({c: [{"selector": "td", "props": "text-align: left;"}] for c in text},
                                 overwrite=False)
    if title:
        st = st.set_caption(html.escape(title))  # pandas writes captions as they are
    for col, table in (colours or {}).items():
        if col in frame.columns:
            # each colour with its own text colour (white or dark ink, contrast ≥ 4.5 : 1)
            st = st.map(lambda v, t=table: cell_css(t[v]) if v in t else "", subset=[col])
    return st


def _is_words(value) -> bool:
    """A cell of words: more letters (CJK or Latin) than twice its digits (``白梅乡``,
    ``国家统计局2023年统计公报``; not ``54.2``, ``4/4`` or ``2023年实际40,311元``)."""
    if not isinstance(value, str) or not value.strip() or value.strip() == "—":
        return False
    letters = sum(ch.isalpha() for ch in value)
    digits = sum(ch.isdigit() for ch in value)
    return letters > 2 * digits


def text_columns(frame: pd.DataFrame) -> list:
    """Columns whose filled cells are mostly words (:func:`_is_words`): aligned left in a table."""
    out = []
    for col in frame.columns:
        values = [v for v in frame[col].tolist() if isinstance(v, str) and v.strip() and v.strip() != "—"]
        if values and sum(map(_is_words, values)) * 2 >= len(values):
            out.append(col)
    return out


def _score_cells(styler, subset):
    """Paint score cells on the fixed 0–100 scale (:func:`~hemei_tools.present.style.score_colour`),
    never the range of the table's own values, each with a text colour of contrast ≥ 4.5 : 1;
    a cell that is not a number stays unpainted."""
    return styler.map(lambda v: cell_css(c) if (c := score_colour(v)) is not None else "", subset=subset)


# ---------------------------------------------------------------------------------- synthetic
def synthetic_mark() -> str:
    """The mark of synthetic data: label ``mark.synthetic`` (示例数据（模拟））."""
    return _t("mark.synthetic")


def synthetic_suffix(text: str) -> str:
    """``text`` with the synthetic mark beside it: ``中洲村`` → ``中洲村（模拟）`` (label ``mark.suffix``)."""
    return _tf("mark.suffix", text=text)


def is_synthetic(source) -> bool:
    """True when a section's source rests on synthetic data.

    ``source`` is what a ``section_*`` function takes first: a
    :class:`~hemei_tools.engine.region.RegionAnalysis` (its context's ``synthetic`` flag or its
    data set's) or a :class:`~hemei_tools.engine.selection.SelectionResult` (``synthetic``).
    """
    ctx = getattr(source, "ctx", None)
    if ctx is not None:
        return bool(getattr(ctx, "synthetic", False) or getattr(getattr(ctx, "dataset", None), "synthetic", False))
    return bool(getattr(source, "synthetic", False))


def _add_strip(fig, inches: float, top: bool) -> tuple[float, float]:
    """Grow ``fig`` by a strip of ``inches`` at the top or bottom, every Axes, figure text and
    figure legend keeping its size and place in inches from the other edge.

    With ``h`` the old height, ``s`` the strip and ``o`` = s for a bottom strip (0 for a top
    one), a figure-fraction ``y`` becomes ``(y·h + o) / (h + s)`` and a height ``H`` becomes
    ``H·h / (h + s)``. Axes placed by a locator (insets) follow their parent. Returns the new
    width and height (inches).
    """
    width, height = (float(x) for x in fig.get_size_inches())
    total = height + inches
    offset = 0.0 if top else inches

    def lift(y: float) -> float:
        return (y * height + offset) / total

    for ax in fig.axes:
        if ax.get_axes_locator() is not None:
            continue
        box = ax.get_position(original=True)
        ax.set_position([box.x0, lift(box.y0), box.width, box.height * height / total], which="both")
    for t in fig.texts:
        if t.get_transform() == fig.transFigure:
            x, y = t.get_position()
            t.set_position((x, lift(y)))
    for legend in fig.legends:  # anchored to the figure (its edges by default): kept in place
        box = legend.get_bbox_to_anchor().transformed(fig.transFigure.inverted())
        legend.set_bbox_to_anchor((box.x0, lift(box.y0), box.width, box.height * height / total),
                                  transform=fig.transFigure)
    fig.set_size_inches(width, total, forward=False)
    return width, total


def _text_inches(text: str, points: float) -> float:
    """Rough width of ``text`` in inches (CJK glyphs 1 em, others 0.6 em)."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text) * points / 72.0


def _wrap(text: str, inches: float, points: float) -> list[str]:
    """``text`` cut into lines of at most ``inches`` (by :func:`_text_inches`)."""
    lines, line = [], ""
    for ch in text:
        if line and _text_inches(line + ch, points) > inches:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


def figure_title(fig) -> str:
    """The figure's title as dressed (without its number): its ChartInfo title, else its
    suptitle, else the first Axes title; ``""`` when it has none."""
    from hemei_tools.present.plots import chart_info

    info = chart_info(fig)
    if info is not None:
        return info.title
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    return next((ax.get_title() for ax in fig.axes if ax.get_title()), "")


def number_figure(fig, n: int) -> None:
    """Write ``图n　title`` in the figure's title (label ``figure.numbered_title``); idempotent
    for the same ``n``."""
    for t in fig.texts:
        if t.get_gid() == TITLE_GID:
            t.set_text(_tf("figure.numbered_title", n=n, title=getattr(t, "_hemei_title", t.get_text())))


def dress_figure(fig, synthetic: bool = False, source: str = "data"):
    """Make a figure fit for a briefing, inside the image: its title above the drawing and,
    below it, the unit line, the source line and (on synthetic data) the mark.

    The title comes from the figure's :class:`~hemei_tools.present.plots.ChartInfo` (a figure
    with a suptitle keeps it as its title, in place); :func:`number_figure` numbers it when the
    figure is shown. The footer holds ``单位：…`` and ``数据来源：…`` (label
    ``figure.source.<id>``: the chart's own source, else ``source``) left-aligned, one line
    each and wrapped to the figure's width, and the mark right-aligned on the first line (on a
    line of its own when it does not fit). Strips are added as in :func:`mark_figure`, so
    nothing drawn moves or is covered. A figure already dressed is left as it is.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``.
    """
    from hemei_tools.present.plots import chart_info

    if any(t.get_gid() in (TITLE_GID, FOOTER_GID) for t in fig.texts):
        return fig
    info = chart_info(fig)
    width = float(fig.get_size_inches()[0])
    pad = 0.1
    title = figure_title(fig)
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        sup.set_gid(TITLE_GID)
        sup._hemei_title = sup.get_text()
    elif title:
        _, total = _add_strip(fig, TITLE_STRIP_INCH, top=True)
        t = fig.text(pad / width, 1 - (TITLE_STRIP_INCH / 2) / total, title, ha="left", va="center",
                     fontsize=TITLE_FONT_SIZE, fontweight="bold", color="#1f2933", gid=TITLE_GID, parse_math=False)
        t._hemei_title = title
    room = width - 2 * pad
    lines = []
    if info is not None and info.unit:
        lines += _wrap(_tf("figure.unit_line", unit=info.unit), room, FOOTER_FONT_SIZE)
    lines += _wrap(_tf("figure.source_line", source=_t(f"figure.source.{info.source if info else source}")),
                   room, FOOTER_FONT_SIZE)
    mark = synthetic_mark() if synthetic else ""
    mark_own_line = bool(mark) and (_text_inches(lines[0], FOOTER_FONT_SIZE)
                                    + _text_inches(mark, MARK_FONT_SIZE) + 0.3 > room)
    n_lines = len(lines) + int(mark_own_line)
    strip = 0.12 + FOOTER_LINE_INCH * n_lines
    _, total = _add_strip(fig, strip, top=False)
    line_y = [strip - 0.06 - FOOTER_LINE_INCH * (i + 0.5) for i in range(n_lines)]
    for text, y in zip(lines, line_y, strict=False):
        fig.text(pad / width, y / total, text, ha="left", va="center", fontsize=FOOTER_FONT_SIZE,
                 color=FOOTER_COLOUR, gid=FOOTER_GID, parse_math=False)
    if mark:
        y = line_y[-1] if mark_own_line else line_y[0]
        fig.text(1 - pad / width, y / total, mark, ha="right", va="center", fontsize=MARK_FONT_SIZE,
                 color=MARK_COLOUR, gid=MARK_GID)
    return fig


def mark_figure(fig, text: str | None = None):
    """Write the synthetic mark inside ``fig``, in a strip added below everything drawn.

    The figure grows by :data:`MARK_STRIP_INCH` at the bottom; every Axes and figure-level text
    keeps its size and place in inches from the top, so the mark covers no data, label or
    legend. With ``h`` the old height and ``s`` the strip, a figure-fraction ``y`` becomes
    ``(y·h + s) / (h + s)`` and an Axes height ``H`` becomes ``H·h / (h + s)``. The mark is
    right-aligned in the strip (gid :data:`MARK_GID`); a figure already marked is left as is.
    Axes placed by a locator (insets) follow their parent and are not moved.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``, marked.
    """
    if any(t.get_gid() == MARK_GID for t in fig.texts):
        return fig
    strip = MARK_STRIP_INCH
    width, total = _add_strip(fig, strip, top=False)
    pad = 0.08 / width
    fig.text(1 - pad, (strip / 2) / total, text or synthetic_mark(), ha="right", va="center",
             fontsize=MARK_FONT_SIZE, color=MARK_COLOUR, gid=MARK_GID)
    return fig


#: Attribute of a table (Styler) whose every row is a published figure: never marked synthetic.
PUBLISHED_TABLE = "hemei_published"


def published_table(styler):
    """Declare a table (Styler) published figures only: :func:`mark_section` leaves it unmarked
    on synthetic data (e.g. 与浙江相差几年's income-ratio rows when the villages hold no ratio)."""
    setattr(styler, PUBLISHED_TABLE, True)
    return styler


def mark_table(styler, text: str | None = None):
    """Add the synthetic mark to a Styler's caption: ``title · 示例数据（模拟）`` (label
    ``mark.caption``), or the mark alone when the table has no title; idempotent.

    The mark is a ``<span class="hemei-synthetic-mark">`` (a Styler caption is HTML, written as
    given), coloured :data:`MARK_COLOUR` by the table's own style sheet (reports keep no inline
    ``style`` attribute)."""
    mark = text or synthetic_mark()
    caption = styler.caption or ""
    if mark in str(caption):
        return styler
    span = f'<span class="hemei-synthetic-mark">{html.escape(mark)}</span>'
    colour = [{"selector": "caption .hemei-synthetic-mark", "props": f"color: {MARK_COLOUR};"}]
    styler = styler.set_table_styles(colour, overwrite=False)
    return styler.set_caption(_tf("mark.caption", title=caption, mark=span) if caption else span)


def mark_section(section: Section, synthetic: bool, source: str = "data") -> Section:
    """The section with every Figure dressed (:func:`dress_figure`: title, unit, source and,
    when ``synthetic``, the mark) and, when ``synthetic``, every table marked but those
    declared :func:`published_table`."""
    from matplotlib.figure import Figure

    for part in section.parts:
        if isinstance(part, Figure):
            dress_figure(part, synthetic, source)
        elif (synthetic and hasattr(part, "set_caption") and hasattr(part, "data")
              and not getattr(part, PUBLISHED_TABLE, False)):
            mark_table(part)
    return section


def _named(section: Section, fn: Callable) -> Section:
    """The section with its name (the function's, without ``section_``) unless it has one."""
    if section.name:
        return section
    return dataclasses.replace(section, name=fn.__name__.removeprefix("section_"))


def report_section(fn: Callable[..., Section]) -> Callable[..., Section]:
    """Decorator of every ``section_*`` function: its figures are dressed for briefings and its
    figures and tables carry the synthetic mark when its first argument rests on synthetic data
    (:func:`is_synthetic`, :func:`mark_section`); the section is named after the function. The
    wrapped function has ``synthetic_marking = "marked"``."""
    if getattr(fn, "synthetic_marking", None):
        return fn

    @functools.wraps(fn)
    def section(source, *args, **kwargs) -> Section:
        return mark_section(_named(fn(source, *args, **kwargs), fn), is_synthetic(source))

    section.synthetic_marking = "marked"
    return section


def published_section(fn: Callable[..., Section]) -> Callable[..., Section]:
    """Decorator of a section that shows only published, sourced figures and reads nothing from
    the data (公开数据对比): it is never marked, on any data; its figures are dressed with the
    published source line. It declares the choice (``synthetic_marking = "published"``), so a
    section without either decorator fails the tests."""
    if getattr(fn, "synthetic_marking", None):
        return fn

    @functools.wraps(fn)
    def section(*args, **kwargs) -> Section:
        return mark_section(_named(fn(*args, **kwargs), fn), False, "published")

    section.synthetic_marking = "published"
    return section


def light_rules_text(rules: pd.DataFrame | None = None) -> str:
    """The traffic-light rules as the methods appendix states them, one line per node level of
    ``catalogue/traffic_lights.csv`` (labels ``appendix.lights.<rule>`` filled with the level's
    thresholds g, r and the midpoint (g + r)/2)."""
    from hemei_tools.catalogue import load_light_rules

    rules = load_light_rules() if rules is None else rules
    lines = [_t("appendix.lights_heading")]
    for level, r in rules.iterrows():
        g, red = float(r["green_distance"]), float(r["red_distance"])
        lines.append("- " + _tf(f"appendix.lights.{r['rule']}", level=HEADERS[level], green=nv.format_number(g, 0),
                                red=nv.format_number(red, 0), mid=nv.format_number((g + red) / 2, 1 if (g + red) % 2
                                                                                    else 0)))
    return "\n".join(lines)


def _status_colours() -> dict[str, str]:
    """Cell colours of a status column: the displayed status word → the colour of its status id
    (built from the ids on each call, so a reworded status keeps its colour)."""
    return {nv.STATUS_ZH[k]: STATUS_COLOURS[k] for k in nv.STATUS_ZH}


def _pct(x, decimals: int = 1) -> str:
    return "—" if pd.isna(x) else f"{nv.format_number(x, decimals)}%"


def _interval(lo, hi) -> str:
    """A rank interval ``5–12``; ``—`` when unknown."""
    if pd.isna(lo) or pd.isna(hi):
        return "—"
    return f"{nv.format_number(lo, 0)}–{nv.format_number(hi, 0)}"


def _ends(frame: pd.DataFrame, n: int = TABLE_ENDS) -> pd.DataFrame:
    """The first and last ``n`` rows (all rows when there are at most 2n), with a gap row."""
    if len(frame) <= 2 * n:
        return frame
    gap = pd.DataFrame([["…"] * frame.shape[1]], columns=frame.columns)
    return pd.concat([frame.head(n), gap, frame.tail(n)], ignore_index=True)
