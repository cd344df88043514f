"""Charts for reports and notebooks: one function per kind of chart.

Every public function takes tidy data in the frames fixed by ``docs/design.md`` (plus the
catalogue, for labels, units, decimals and order), accepts ``ax=None`` and returns the
matplotlib Axes it drew on. None names an indicator: labels come from the catalogue.

Drawing is kept lean because figures are most of a report's run time: one artist per bar or
line, heatmaps as a single ``imshow`` (no per-cell text), fixed figure margins instead of
``bbox_inches="tight"`` (which draws a figure twice).

Every chart describes itself for briefings: each function leaves a :class:`ChartInfo` on its
figure (:func:`chart_info`) with a title, a caption, the unit line, the source, an alt text
that says what the chart shows (with its key numbers) and the data drawn, as a table with
Chinese headers and the units in them. The report sections number the figure, write the title,
unit and source into the image and offer the data as a CSV download
(:mod:`hemei_tools.present.downloads`). Wording: labels ``figure.<kind>.*`` of
``catalogue/labels.csv``. Statuses read from the marker shape as well as the colour
(:data:`~hemei_tools.present.style.STATUS_MARKERS`), and scores always use the fixed 0–100
colour scale (:func:`~hemei_tools.present.style.score_norm`).

================================  ======================================================
function                          data
================================  ======================================================
:func:`plot_radar`                scores (``IndexResult.scores``), dimension level
:func:`plot_gap_bars`             gaps (``compute_gaps``), one unit and year
:func:`plot_score_heatmap`        scores, village level, indicator nodes
:func:`plot_trend`                unit values (``aggregate_values``), one indicator
:func:`plot_plan_progress`        ``progress.plan_progress`` (``programme, region_code,
                                  item, year, actual``, + ``expected``/``scheduled``)
:func:`plot_ledger`               projects (项目台账) or their summary by task
:func:`plot_lorenz`               any values (+ optional weights)
:func:`plot_rank_intervals`       Monte Carlo ranks: ``unit_code, nominal, median, p05,
                                  p95`` (or ``selection_robustness`` columns)
:func:`plot_criteria_profile`     ``selection.score_applicants`` (+ the criteria table)
:func:`plot_selection_probability` ``selection.selection_robustness`` (``p_selected``)
:func:`plot_weight_sweep`         ``selection.sweep_weights`` (``SelectionResult.sweep``)
================================  ======================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import offset_copy

from hemei_tools.catalogue import Catalogue, LabelGroup, load_catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.gaps import STATUSES
from hemei_tools.engine.progress import expected_progress
from hemei_tools.errors import HemeiError
from hemei_tools.inputs.divisions import division_names
from hemei_tools.present.narrative import format_number, region_label
from hemei_tools.present.style import (
    PALETTE,
    ROLE_COLOURS,
    SCORE_CMAP,
    STATUS_COLOURS,
    STATUS_EDGE,
    STATUS_MARKERS,
    STATUS_ORDER,
    register_cjk_font,
    score_norm,
)

#: Legend and axis texts by id: labels ``chart.<id>`` of ``catalogue/labels.csv`` (the status
#: words are the ``status.<id>`` labels, shared with the tables and sentences).
TEXT = LabelGroup("chart", (
    "benchmark", "average", "score", "gap_relative", "gap_distance", "benchmark_line", "target_year",
    "year", "plan_actual", "plan_schedule", "plan_green", "plan_red", "plan_na", "plan_axis",
    "completion", "disbursement", "ledger_axis", "equality", "lorenz", "pop_share", "value_share",
    "rank_axis", "rank_nominal", "rank_interval", "rank_median", "criteria_axis",
    "criteria_weighted_axis", "probability_axis", "sweep_share", "sweep_replaced", "sweep_rank",
    "sweep_nominal", "sweep_selected", "selected", "bold_selected", "not_selected", "plan_axis_short",
    "sweep_share_short", *(f"status_{s}" for s in STATUSES),
),
    keys={f"status_{s}": f"status.{s}" for s in STATUSES})

#: Benchmark kinds (benchmarks.csv ``kind``) as shown in legends (labels ``benchmark_kind.legend.<kind>``).
KIND_ZH = LabelGroup("benchmark_kind.legend", (
    "actual", "target", "standard", "frontier", "reference",
))

#: Column names accepted for the Monte Carlo rank frame, first match wins.
RANK_ALIASES: dict[str, tuple[str, ...]] = {
    "nominal": ("nominal", "rank_nominal", "nominal_rank", "rank"),
    "median": ("median", "rank_median", "median_rank"),
    "p05": ("p05", "rank_p05", "q05"),
    "p95": ("p95", "rank_p95", "q95"),
}

_INCH_PER_ROW = 0.24
#: Rows' worth of height (:data:`_INCH_PER_ROW`) of a ranking drawn without unit names.
_UNLABELLED_ROWS = 20
#: Height of one row of legend entries (inches) at the report's legend font size.
_LEGEND_ROW_INCH = 0.24


class PlotDataError(HemeiError):
    """The data given to a chart lacks a column, or the filter leaves nothing to draw."""


# ---------------------------------------------------------------------------------- chart info
#: Attribute of a matplotlib Figure that holds its :class:`ChartInfo`.
CHART_ATTR = "hemei_chart"
#: Kinds of chart this module draws: each has labels ``figure.<kind>.title``, ``.caption`` and
#: ``.alt`` in ``catalogue/labels.csv``.
CHART_KINDS = (
    "radar", "gap_bars", "heatmap", "trend", "plan_progress", "ledger", "lorenz", "rank_intervals",
    "criteria_profile", "selection_probability", "weight_sweep", "index_history",
)


@dataclass
class ChartInfo:
    """What a chart shows, for its caption, alt text and data download.

    Attributes
    ----------
    kind
        One of :data:`CHART_KINDS`.
    title
        The figure's title without its number (label ``figure.<kind>.title`` filled in).
    caption
        How to read the chart (label ``figure.<kind>.caption``).
    alt
        Alternative text: the kind of chart, what it shows and its key numbers (label
        ``figure.<kind>.alt`` filled in from the data).
    unit
        The unit line's unit, e.g. ``得分（基准=100）``.
    source
        Id of the source line (label ``figure.source.<source>``).
    data
        The data drawn: Chinese headers, numbers as numbers, units in the headers.
    """

    kind: str
    title: str
    caption: str
    alt: str
    unit: str
    source: str
    data: pd.DataFrame = field(repr=False)


def chart_info(fig) -> ChartInfo | None:
    """The :class:`ChartInfo` a plotting function left on ``fig`` (a Figure or an Axes), or None."""
    return getattr(fig.figure if isinstance(fig, Axes) else fig, CHART_ATTR, None)


def _joined(names: Sequence[str], values: Sequence[float], decimals: int = 1, n: int | None = None) -> str:
    """``名称 数值`` pairs joined by the list separator: ``生态宜居 68.9、产业兴旺 51.4``."""
    pairs = [_tf("figure.pair", name=str(k), value=format_number(v, decimals))
             for k, v in list(zip(names, values, strict=True))[:n]]
    return _t("punct.list_sep").join(pairs)


def _describe(ax: Axes, kind: str, data: pd.DataFrame, unit_text: str, source: str = "data",
              **values) -> ChartInfo:
    """Leave a :class:`ChartInfo` on the Axes' figure (replacing any earlier one): ``unit_text``
    for the unit line, ``source`` the id of its source line; ``values`` fill the kind's title
    and alt templates."""
    return describe_figure(ax.figure, kind, data, unit_text, source, title=_tf(f"figure.{kind}.title", **values),
                           caption=_t(f"figure.{kind}.caption"), alt=_tf(f"figure.{kind}.alt", **values))


#: Decimals kept in a chart's data table (enough for every value a chart can show).
DATA_DECIMALS = 4


def describe_figure(fig, kind: str, data: pd.DataFrame, unit_text: str, source: str = "data", *, title: str,
                    caption: str = "", alt: str = "") -> ChartInfo:
    """Leave a :class:`ChartInfo` on ``fig`` (for a chart drawn outside this module): its title,
    caption, alt text, unit line, source id (label ``figure.source.<source>``) and data, whose
    float columns are rounded to :data:`DATA_DECIMALS` places."""
    data = data.reset_index(drop=True)
    for i in range(data.shape[1]):
        if data.iloc[:, i].dtype.kind == "f":
            data.isetitem(i, data.iloc[:, i].round(DATA_DECIMALS))
    info = ChartInfo(kind=kind, title=title, caption=caption, alt=alt or title, unit=unit_text, source=source,
                     data=data)
    setattr(fig, CHART_ATTR, info)
    return info


def _status_markers(ax: Axes, x: np.ndarray, y: np.ndarray, statuses: Sequence, size: float = 30.0) -> None:
    """A marker of each status's shape and colour at (x, y): the status reads without colour."""
    st = np.asarray([s if isinstance(s, str) and s in STATUS_MARKERS else "na" for s in statuses], dtype=object)
    for s in (*STATUS_ORDER, "na"):
        keep = st == s
        if keep.any():
            ax.scatter(x[keep], y[keep], marker=STATUS_MARKERS[s], s=size, color=STATUS_COLOURS[s],
                       edgecolors=STATUS_EDGE, linewidths=0.6, zorder=4, gid=f"status-{s}")


# ---------------------------------------------------------------------------------- helpers
def _require(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise PlotDataError(
            f"{what}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, data.columns))}"
        )


def _nonempty(data: pd.DataFrame, what: str) -> pd.DataFrame:
    if data.empty:
        raise PlotDataError(f"{what}: nothing to draw after filtering; check the codes and year")
    return data


def _text_inches(labels: Sequence[str], fontsize: float) -> float:
    """Rough width of the longest label in inches (CJK glyphs are 1 em, others about 0.6)."""
    if not len(labels):
        return 0.0
    widths = [sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in str(s)) for s in labels]
    return max(widths) * fontsize / 72.0


def _new_axes(
    ax: Axes | None,
    n_rows: int | None = None,
    row_labels: Sequence[str] = (),
    col_labels: Sequence[str] = (),
    polar: bool = False,
    figsize: tuple[float, float] | None = None,
    right: float = 0.96,
    legend_rows: int = 1,
    extra_left: float = 0.0,
) -> Axes:
    """Return ``ax``, or a new Axes on a figure with fixed margins sized to the labels.

    Fixed margins (no ``bbox_inches="tight"``, no constrained layout) keep ``savefig`` to a
    single draw. ``col_labels`` are x tick labels drawn vertically. ``legend_rows`` rows of a
    legend above the Axes (:func:`_legend_on_top`) get room in the top margin. A polar Axes
    gets side margins as wide as its longest spoke label (``col_labels``) and room below for
    :func:`_legend_below`. ``extra_left`` inches are added left of the tick labels (room for
    a y-axis label).
    """
    register_cjk_font()
    # chart text holds names from the data: a "$" is a dollar sign, never mathtext (text made
    # from now on, tick labels drawn later, and the texts of a figure made elsewhere)
    plt.rcParams["text.parse_math"] = False
    if ax is not None:
        for text in ax.figure.findobj(Text):
            text.set_parse_math(False)
        return ax
    width, height = figsize or tuple(plt.rcParams["figure.figsize"])
    if n_rows is not None:
        height = min(max(2.2, 0.9 + _INCH_PER_ROW * n_rows), 14.0)
    fig = plt.figure(figsize=(width, height))
    if polar:
        # inches: spoke label + tick pad at each side, one text line above, label + legend below
        side = _text_inches(col_labels, _font_points("xtick.labelsize")) + 0.3
        top = 0.4
        bottom = 0.4 + _LEGEND_ROW_INCH * legend_rows + 0.1
        fig.subplots_adjust(left=min(side / width, 0.35), right=1 - min(side / width, 0.35),
                            bottom=bottom / height, top=1 - top / height)
        return fig.add_subplot(projection="polar")
    left = (_text_inches(row_labels, _font_points("ytick.labelsize")) + 0.3 + extra_left) / width
    bottom = (_text_inches(col_labels, _font_points("xtick.labelsize")) + 0.35) / height
    top = 0.5 + _LEGEND_ROW_INCH * (max(legend_rows, 1) - 1)
    fig.subplots_adjust(
        left=min(max(left, 0.1), 0.5),
        right=right,
        bottom=min(max(bottom, 0.55 / height), 0.5),
        top=1 - min(0.4, top / height),
    )
    return fig.add_subplot()


def _font_points(key: str) -> float:
    """A font-size rcParam in points (resolves names such as ``"medium"``)."""
    return float(FontProperties(size=plt.rcParams[key]).get_size_in_points())


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    return load_catalogue() if catalogue is None else catalogue


def _pick_year(data: pd.DataFrame, year: int | None, what: str) -> pd.DataFrame:
    if year is None:
        year = int(data["year"].max())
    out = data[data["year"] == year]
    if out.empty:
        years = ", ".join(str(y) for y in sorted(data["year"].unique()))
        raise PlotDataError(f"{what}: no rows for year {year}; years present: {years}")
    return out


def _status_colour(status: pd.Series) -> list[str]:
    return status.map(STATUS_COLOURS).fillna(STATUS_COLOURS["na"]).tolist()


def _status_handle(status: str, label: str):
    """A legend entry of a status: its colour and its marker shape, side by side."""
    return (Patch(facecolor=STATUS_COLOURS[status], edgecolor=STATUS_EDGE, linewidth=0.6),
            Line2D([], [], ls="none", marker=STATUS_MARKERS[status], color=STATUS_COLOURS[status],
                   markeredgecolor=STATUS_EDGE, markeredgewidth=0.6, markersize=6)), label


def _status_legend(ax: Axes, statuses: Sequence[str]) -> None:
    from matplotlib.legend_handler import HandlerTuple

    present = [s for s in STATUS_ORDER if s in set(statuses)]
    entries = [_status_handle(s, TEXT[f"status_{s}"]) for s in present]
    if entries:
        kwargs = {"loc": "lower left", "bbox_to_anchor": (0.0, 1.0), "ncols": 4, "borderaxespad": 0.2,
                  "columnspacing": 2.0, "handler_map": {tuple: HandlerTuple(ndivide=None, pad=0.3)}}
        ax.legend([h for h, _ in entries], [lab for _, lab in entries], **kwargs)


def _legend_on_top(ax: Axes, handles=None, ncols: int = 4, columnspacing: float = 2.0,
                   align: str = "left") -> None:
    """Legend just above the Axes, clear of the data (fixed position: no search).

    ``align="right"`` ends it at the Axes' right edge, so a wide legend grows leftwards over
    the (empty) space above long row labels instead of off the figure.
    """
    kwargs = {} if handles is None else {"handles": handles}
    loc, x = ("lower right", 1.0) if align == "right" else ("lower left", 0.0)
    ax.legend(loc=loc, bbox_to_anchor=(x, 1.0), ncols=ncols, borderaxespad=0.2,
              columnspacing=columnspacing, **kwargs)


def _legend_columns(labels: Sequence[str], width: float) -> int:
    """How many legend entries fit side by side in ``width`` inches (at least 1).

    An entry is its text plus 4 em (handle 2, text pad 0.8, column spacing 1.2).
    """
    size = _font_points("legend.fontsize")
    entry = np.array([_text_inches([lab], size) + 4.0 * size / 72.0 for lab in labels])
    fits = np.cumsum(np.sort(entry)[::-1]) <= width  # conservative: widest entries first
    return max(int(fits.sum()), 1)


def _legend_below(ax: Axes, ncols: int = 3) -> None:
    """One-row legend centred below a polar Axes, under its bottom spoke label."""
    # the bottom spoke label sits tick length + pad below the circle; then one line (1.5 em)
    tick = ax.xaxis.get_major_ticks()[0]
    drop = tick.get_tick_padding() + tick.get_pad() + 1.5 * _font_points("xtick.labelsize") + 6.0
    anchor = offset_copy(ax.transAxes, fig=ax.figure, y=-drop, units="points")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=anchor, ncols=ncols,
              borderaxespad=0.0)


def _align_spoke_labels(ax: Axes) -> None:
    """Anchor each spoke label at its end nearest the circle, so it grows outwards.

    Centred labels (matplotlib's default) reach into the circle at 3 and 9 o'clock.
    """
    offset, sign = ax.get_theta_offset(), ax.get_theta_direction()
    for theta, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True):
        angle = offset + sign * theta
        x, y = np.cos(angle), np.sin(angle)
        label.set_horizontalalignment("left" if x > 0.1 else "right" if x < -0.1 else "center")
        label.set_verticalalignment("bottom" if y > 0.1 else "top" if y < -0.1 else "center")


def _unit_labels(data: pd.DataFrame, code_col: str, name_col: str) -> pd.Series:
    if name_col in data.columns:
        return data[name_col].fillna(data[code_col]).astype(str)
    return data[code_col].astype(str)


# ---------------------------------------------------------------------------------- radar
def plot_radar(
    scores: pd.DataFrame,
    unit_code: str,
    year: int | None = None,
    catalogue: Catalogue | None = None,
    average_code: str | None = None,
    benchmark_label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Four-dimension radar of one unit against the benchmark (=100) and an average.

    Parameters
    ----------
    scores
        ``IndexResult.scores``: ``level, unit_code, unit_name, year, node, node_level, score``
        (0–100, 100 = benchmark reached). Rows with ``node_level == "dimension"`` are used.
    unit_code
        The unit to draw.
    year
        Year to draw; default the latest year of the unit.
    catalogue
        For the dimension order and labels (default: the packaged catalogue).
    average_code
        A unit whose scores form the comparison line (e.g. the city). Default: the
        ``city`` row of that year if present, else the unweighted mean of the units at the
        unit's level, mean_u score(u, dimension); no average line when the unit is the only
        one at its level (a city report).
    benchmark_label
        Legend text of the 100 circle; default ``基准（=100）`` (say "浙江" only when every
        benchmark behind the scores is a Zhejiang figure).
    ax
        A polar Axes; a new one is created when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The polar Axes: one spoke per dimension (catalogue order), lines for the unit, the
        benchmark circle at 100 and the average; spoke labels anchored at their inner end, the
        legend below the chart, all inside the figure at its default 5.2 × 4.6 in.

    Notes
    -----
    Long because the docstring documents every argument; the drawing code is under 60 lines.
    """
    cat = _catalogue(catalogue)
    _require(scores, ["level", "unit_code", "year", "node", "node_level", "score"], "plot_radar")
    if ax is not None and ax.name != "polar":
        raise PlotDataError("plot_radar: ax must be a polar Axes, e.g. fig.add_subplot(projection='polar')")
    dims = cat.dimensions["code"].tolist()
    dim_scores = scores[scores["node_level"] == "dimension"]
    unit_rows = _nonempty(dim_scores[dim_scores["unit_code"] == unit_code], f"plot_radar: unit {unit_code!r}")
    unit_rows = _pick_year(unit_rows, year, f"plot_radar: unit {unit_code!r}")
    year = int(unit_rows["year"].iloc[0])
    level = unit_rows["level"].iloc[0]
    same_year = dim_scores[dim_scores["year"] == year]
    if average_code is None and (same_year["level"] == "city").any() and level != "city":
        average_code = str(same_year.loc[same_year["level"] == "city", "unit_code"].iloc[0])
    if average_code is not None:
        avg_rows = same_year[same_year["unit_code"] == average_code]
        avg = avg_rows.groupby("node")["score"].mean()
        avg_label = str(_unit_labels(avg_rows, "unit_code", "unit_name").iloc[0]) if len(avg_rows) else TEXT["average"]
    else:
        peers = same_year[same_year["level"] == level]
        # the mean of the unit alone (e.g. the only city) would hide under its own line
        avg = peers.groupby("node")["score"].mean() if peers["unit_code"].nunique() > 1 else pd.Series(dtype=float)
        avg_label = TEXT["average"]
    unit_vals = unit_rows.groupby("node")["score"].mean().reindex(dims).to_numpy(float)
    avg_vals = avg.reindex(dims).to_numpy(float)
    unit_label = str(_unit_labels(unit_rows, "unit_code", "unit_name").iloc[0])

    angles = np.linspace(0.0, 2 * np.pi, len(dims), endpoint=False)
    closed = np.append(angles, angles[0])
    spoke_labels = [cat.label(d) for d in dims]
    ax = _new_axes(ax, polar=True, figsize=(5.2, 4.6), col_labels=spoke_labels)
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    ax.plot(closed, np.full(closed.shape, 100.0), color=ROLE_COLOURS["benchmark"], lw=1.2, ls="--",
            label=benchmark_label or TEXT["benchmark"])
    n_lines = 2
    if np.isfinite(avg_vals).any():
        ax.plot(closed, np.append(avg_vals, avg_vals[0]), color=ROLE_COLOURS["average"], lw=1.2,
                label=avg_label)
        n_lines = 3
    ax.plot(closed, np.append(unit_vals, unit_vals[0]), color=ROLE_COLOURS["unit"], lw=2.0,
            label=unit_label)
    ax.fill(closed, np.append(unit_vals, unit_vals[0]), color=ROLE_COLOURS["unit"], alpha=0.15)
    ax.set_xticks(angles, spoke_labels)
    ax.tick_params(axis="x", pad=3)
    _align_spoke_labels(ax)
    ax.set_ylim(0, 110)
    ax.set_yticks([25, 50, 75, 100])
    ax.tick_params(axis="y", labelsize=_font_points("ytick.labelsize") - 1, labelcolor="0.35")
    _legend_below(ax, ncols=n_lines)
    table = {_t("header.dimension"): spoke_labels, _tf("figure.col.score_of", name=unit_label): unit_vals}
    if np.isfinite(avg_vals).any():
        table[_tf("figure.col.score_of", name=avg_label)] = avg_vals
    table[_t("figure.col.benchmark_score")] = 100.0
    _describe(ax, "radar", pd.DataFrame(table), _t("figure.unit.score"), unit=unit_label, year=year,
              scores=_joined(spoke_labels, unit_vals))
    return ax


# ---------------------------------------------------------------------------------- gaps
def _gap_relative(gaps: pd.DataFrame, direction: pd.Series) -> pd.Series:
    """d · (value / benchmark − 1) · 100: % above (+) or below (−) the benchmark, better = +."""
    bench = gaps["benchmark"].where(gaps["benchmark"] != 0)
    return direction * (gaps["value"] / bench - 1.0) * 100.0


def _gap_distance(gaps: pd.DataFrame, direction: pd.Series) -> pd.Series:
    """−distance: score points short of the benchmark (0 = reached), drawn to the left."""
    return -gaps["distance"].astype(float)


#: Gap measures by name: name -> (function(gaps, direction) -> Series, axis label key).
GAP_MEASURES: dict[str, tuple] = {
    "relative": (_gap_relative, "gap_relative"),
    "distance": (_gap_distance, "gap_distance"),
}


def plot_gap_bars(
    gaps: pd.DataFrame,
    unit_code: str | None = None,
    year: int | None = None,
    catalogue: Catalogue | None = None,
    measure: str = "relative",
    sort: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Diverging bars of one unit's gap to the benchmark per indicator, coloured by status.

    Parameters
    ----------
    gaps
        ``compute_gaps`` output: ``unit_code, year, indicator_id, value, benchmark, distance,
        status`` (status ∈ green, yellow, orange, red).
    unit_code
        Unit to draw; may be omitted when ``gaps`` holds a single unit.
    year
        Default: the latest year present for the unit.
    catalogue
        Labels with units, direction and order (default: the packaged catalogue).
    measure
        A key of :data:`GAP_MEASURES`: ``"relative"`` draws d·(value/benchmark − 1)·100 (%,
        positive = better than the benchmark, d = direction); ``"distance"`` draws −distance
        (score points, 0 = benchmark reached).
    sort
        Order bars by the gap (worst at the bottom) instead of catalogue order.
    ax
        Axes to draw on; a new figure sized to the number of indicators when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per indicator, y tick labels ``name（unit）`` from the catalogue;
        indicators with a zero gap (no bar) get a dot at 0 in their status colour
        (``ax.collections[0]``).
    """
    cat = _catalogue(catalogue)
    if measure not in GAP_MEASURES:
        raise PlotDataError(f"plot_gap_bars: unknown measure {measure!r}; choose one of {', '.join(GAP_MEASURES)}")
    _require(gaps, ["unit_code", "year", "indicator_id", "value", "benchmark", "status"], "plot_gap_bars")
    data = gaps
    if unit_code is None:
        units = data["unit_code"].unique()
        if len(units) != 1:
            raise PlotDataError(f"plot_gap_bars: gaps hold {len(units)} units; pass unit_code")
        unit_code = units[0]
    data = _nonempty(data[data["unit_code"] == unit_code], f"plot_gap_bars: unit {unit_code!r}")
    data = _pick_year(data, year, f"plot_gap_bars: unit {unit_code!r}")
    # Plain-string ids: a categorical column maps to a categorical result that sorts by the ids'
    # alphabet, not by the catalogue position it was mapped to.
    ids = data["indicator_id"].astype(str)
    order = {iid: i for i, iid in enumerate(cat.indicator_ids)}
    data = data.assign(indicator_id=ids, _order=ids.map(order).astype(float)).dropna(subset=["_order"])
    direction = data["indicator_id"].map(cat.indicators.set_index("indicator_id")["direction"]).astype(float)
    func, axis_key = GAP_MEASURES[measure]
    data = data.assign(_gap=func(data, direction))
    data = data.sort_values("_gap" if sort else "_order", ascending=not sort)
    labels = [cat.label(i, with_unit=True) for i in data["indicator_id"]]

    ax = _new_axes(ax, n_rows=len(data), row_labels=labels)
    y = np.arange(len(data))
    gap = data["_gap"].fillna(0.0).to_numpy()
    ax.barh(y, gap, color=_status_colour(data["status"]), height=0.7)
    ax.axvline(0.0, color="0.3", lw=0.8)
    reach = max(float(np.abs(gap).max()), 1.0) * 0.03  # room for the dots at 0
    ax.set_xlim(min(float(gap.min()), 0.0) - reach, max(float(gap.max()), 0.0) + reach)
    zero = gap == 0.0
    if zero.any():  # a reached benchmark has no bar: mark it so the row does not look empty
        ax.scatter(np.zeros(int(zero.sum())), y[zero], s=28, zorder=3, edgecolors="white", linewidths=0.6,
                   color=np.asarray(_status_colour(data["status"]), dtype=object)[zero].tolist())
    # the status also as a shape at each bar's end (a reached benchmark has its dot at 0)
    shown = ~zero
    _status_markers(ax, gap[shown], y[shown], data["status"].astype(object).to_numpy()[shown])
    ax.set_yticks(y, labels)
    if not sort:
        ax.invert_yaxis()
    ax.set_xlabel(TEXT[axis_key])
    ax.grid(axis="y", visible=False)
    _status_legend(ax, data["status"].dropna().tolist())
    ind = cat.indicators.set_index("indicator_id")
    words = [TEXT.get(f"status_{s}", "") if isinstance(s, str) else "" for s in data["status"].astype(object)]
    table = pd.DataFrame({
        _t("header.indicator"): [cat.label(i) for i in data["indicator_id"]],
        _t("header.unit"): data["indicator_id"].map(ind["unit"]).fillna("").to_numpy(),
        _t("header.value"): data["value"].astype(float).to_numpy(),
        _t("header.benchmark"): data["benchmark"].astype(float).to_numpy(),
        TEXT[axis_key]: data["_gap"].astype(float).to_numpy(),
        _t("header.status"): words,
    })
    worst = data.sort_values("_gap", kind="stable").head(3)
    _describe(ax, "gap_bars", table, _t("figure.unit.points" if measure == "distance" else "figure.unit.relative"),
              unit=str(data["unit_name"].iloc[0]) if "unit_name" in data
              else str(unit_code), year=int(data["year"].iloc[0]), n=len(data),
              worst=_t("punct.list_sep").join(
                  _tf("figure.gap_bars.worst_points" if measure == "distance" else "figure.gap_bars.worst_relative",
                      name=cat.label(i), value=format_number(abs(float(g)), 1))
                  for i, g in zip(worst["indicator_id"], worst["_gap"], strict=True)),
              n_green=int((data["status"].astype(object) == "green").sum()))
    return ax


# ---------------------------------------------------------------------------------- heatmap
def plot_score_heatmap(
    scores: pd.DataFrame,
    year: int | None = None,
    county_code: str | None = None,
    catalogue: Catalogue | None = None,
    max_row_labels: int = 60,
    ax: Axes | None = None,
) -> Axes:
    """Village × indicator heatmap of normalised scores (0–100), one ``imshow``.

    Parameters
    ----------
    scores
        ``IndexResult.scores``; rows with ``level == "village"`` and ``node_level ==
        "indicator"`` are used (``county_code`` needed to filter by county).
    year
        Default: the latest year present.
    county_code
        Restrict to the villages of one county.
    catalogue
        Column order and labels (default: the packaged catalogue); indicators without any
        score are dropped.
    max_row_labels
        Village names are written only up to this many rows (text is the slow part).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.images[0].get_array()`` has shape (villages, indicators); rows are sorted by the
        villages' mean score, best on top; missing scores are grey (a score of 0 is the
        palest colour of the scale, so blank would read as 0).
    """
    cat = _catalogue(catalogue)
    _require(scores, ["level", "unit_code", "year", "node", "node_level", "score"], "plot_score_heatmap")
    data = scores[(scores["level"] == "village") & (scores["node_level"] == "indicator")]
    if county_code is not None:
        _require(scores, ["county_code"], "plot_score_heatmap with county_code")
        data = data[data["county_code"] == county_code]
    data = _nonempty(data, "plot_score_heatmap: village indicator scores")
    data = _pick_year(data, year, "plot_score_heatmap")
    wide = data.pivot_table(index="unit_code", columns="node", values="score", aggfunc="mean", dropna=False)
    cols = [i for i in cat.indicator_ids if i in wide.columns]
    wide = wide[cols]
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]
    first = data.drop_duplicates("unit_code")
    row_names = pd.Series(_unit_labels(first, "unit_code", "unit_name").to_numpy(), index=first["unit_code"])
    row_names = row_names.reindex(wide.index)

    n_rows, n_cols = wide.shape
    show_rows = n_rows <= max_row_labels
    col_labels = [cat.label(i) for i in cols]
    figsize = (max(6.0, 0.22 * n_cols + 3.0), min(max(4.0, 0.16 * n_rows + 2.6), 9.0))
    ax = _new_axes(ax, row_labels=list(row_names) if show_rows else (), col_labels=col_labels,
                   figsize=figsize, right=0.92)
    masked = np.ma.masked_invalid(wide.to_numpy(float))
    cmap = plt.get_cmap(SCORE_CMAP).with_extremes(bad=STATUS_COLOURS["na"])
    # the fixed 0–100 scale of every report, never the range of these scores
    image = ax.imshow(masked, aspect="auto", cmap=cmap, norm=score_norm(), interpolation="nearest")
    ax.set_xticks(np.arange(n_cols), col_labels, rotation=90)
    if show_rows:
        ax.set_yticks(np.arange(n_rows), list(row_names))
    else:
        ax.set_yticks([])
        ax.set_ylabel(_tf("chart.heatmap_rows", n_rows=n_rows))
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label=TEXT["score"])
    table = wide.set_axis(col_labels, axis=1).rename_axis(None, axis=1)
    table.insert(0, _t("header.village"), row_names.to_numpy())
    _describe(ax, "heatmap", table, _t("figure.unit.score"), year=int(data["year"].iloc[0]), n_rows=n_rows, n_cols=n_cols)
    return ax


# ---------------------------------------------------------------------------------- trend
def plot_trend(
    values: pd.DataFrame,
    indicator_id: str,
    unit_codes: Sequence[str] | None = None,
    catalogue: Catalogue | None = None,
    benchmark: float | pd.DataFrame | None = None,
    target_year: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Lines of one indicator over the years for one or more units, with benchmark and target year.

    Parameters
    ----------
    values
        Unit values (``aggregate_values``): ``unit_code, year, indicator_id, value`` (and
        ``unit_name`` for labels).
    indicator_id
        The indicator to draw (any id of the catalogue).
    unit_codes
        Units to draw, in legend order; default every unit in ``values``.
    catalogue
        Axis label with unit, decimals of the tick labels (default: the packaged catalogue).
    benchmark
        A number, or the resolved-benchmarks frame (``indicator_id, benchmark, region, year,
        kind``) from which the indicator's row is taken; drawn as a horizontal line.
    target_year
        Year by which the benchmark should be reached; drawn as a vertical line.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One line per unit, plus a horizontal benchmark line (labelled with the benchmark's
        region in Chinese, year and kind) and a vertical target-year line when given; the
        legend sits above the plot.
    """
    cat = _catalogue(catalogue)
    row = cat.indicator(indicator_id)
    _require(values, ["unit_code", "year", "indicator_id", "value"], "plot_trend")
    data = values[values["indicator_id"] == indicator_id]
    if unit_codes is not None:
        data = data[data["unit_code"].isin(list(unit_codes))]
        order = list(unit_codes)
    else:
        order = list(pd.unique(data["unit_code"]))
    data = _nonempty(data, f"plot_trend: indicator {indicator_id!r}")
    wide = data.pivot_table(index="year", columns="unit_code", values="value", aggfunc="mean")
    wide = wide[[u for u in order if u in wide.columns]].sort_index()
    names = _unit_labels(data.drop_duplicates("unit_code"), "unit_code", "unit_name")
    name_of = dict(zip(data.drop_duplicates("unit_code")["unit_code"], names, strict=True))

    bench_value, bench_label = _benchmark_for(benchmark, indicator_id, int(row["decimals"]))
    n_entries = len(wide.columns) + (bench_value is not None) + (target_year is not None)
    ncols = min(n_entries, 3)
    ax = _new_axes(ax, legend_rows=-(-n_entries // ncols))
    years = wide.index.to_numpy()
    for i, unit in enumerate(wide.columns):
        ax.plot(years, wide[unit].to_numpy(float), marker="o", ms=3.5, lw=1.6,
                color=PALETTE[i % len(PALETTE)], label=name_of[unit])
    if bench_value is not None:
        ax.axhline(bench_value, color=ROLE_COLOURS["benchmark"], ls="--", lw=1.2, label=bench_label)
    if target_year is not None:
        ax.axvline(target_year, color="0.4", ls=":", lw=1.2, label=f"{TEXT['target_year']} {target_year}")
        ax.set_xlim(right=max(target_year + 0.5, years.max() + 0.5))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FormatStrFormatter(f"%.{int(row['decimals'])}f"))
    ax.set_xlabel(TEXT["year"])
    ax.set_ylabel(cat.label(indicator_id, with_unit=True))
    _legend_on_top(ax, ncols=ncols)
    unit = str(row["unit"]) if pd.notna(row["unit"]) else ""
    table = pd.DataFrame({TEXT["year"]: years.astype(int)})
    for u in wide.columns:
        table[_tf("figure.col.with_unit", name=name_of[u], unit=unit)] = wide[u].to_numpy(float)
    if bench_value is not None:
        table[_tf("figure.col.with_unit", name=TEXT["benchmark_line"], unit=unit)] = bench_value
    last = wide.iloc[-1]
    _describe(ax, "trend", table, unit or cat.label(indicator_id), indicator=cat.label(indicator_id),
              first=int(years.min()), last=int(years.max()),
              latest=_joined([name_of[u] for u in wide.columns], last.tolist(), int(row["decimals"])))
    return ax


def _benchmark_for(benchmark, indicator_id: str, decimals: int) -> tuple[float | None, str]:
    if benchmark is None:
        return None, ""
    if isinstance(benchmark, pd.DataFrame):
        _require(benchmark, ["indicator_id", "benchmark"], "plot_trend benchmark frame")
        rows = benchmark[benchmark["indicator_id"] == indicator_id]
        if rows.empty or pd.isna(rows["benchmark"].iloc[0]):
            return None, ""
        r = rows.iloc[0]
        value = float(r["benchmark"])
        region = region_label(r["region"]) if "region" in r.index else ""
        year = str(r["year"]) if "year" in r.index and pd.notna(r["year"]) else ""
        where = " ".join(part for part in (region, year) if part)
        kind = (_tf("format.bracketed", text=KIND_ZH.get(str(r["kind"]), r["kind"]))
                if "kind" in r.index and pd.notna(r["kind"]) else "")
        return value, f"{TEXT['benchmark_line']} {where}{kind}: {value:.{decimals}f}".replace("  ", " ")
    value = float(benchmark)
    return value, f"{TEXT['benchmark_line']}: {value:.{decimals}f}"


# ---------------------------------------------------------------------------------- plan
def plan_schedule(progress: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Join plan targets to progress rows and add the schedule.

    ``scheduled`` is the count of new items due by the end of ``year``
    (:func:`hemei_tools.engine.progress.expected_progress` with the target's ``schedule``;
    linear: target_new · clip((year − baseline_year) / (target_year − baseline_year), 0, 1)),
    taken as given when ``progress`` has ``scheduled`` or ``expected`` (as in
    ``hemei_tools.engine.progress.plan_progress`` output).

    Parameters
    ----------
    progress
        ``programme, region_code, item, year, actual`` (actual = new items since the
        baseline, cumulative; NaN when not measured).
    catalogue
        Source of ``plan_targets`` (default: the packaged catalogue).

    Returns
    -------
    pandas.DataFrame
        ``progress`` with ``programme_zh, item_zh, target_new, target_year, scheduled``;
        rows without a plan target are dropped.
    """
    cat = _catalogue(catalogue)
    _require(progress, ["programme", "region_code", "item", "year", "actual"], "plan progress")
    keys = ["programme", "region_code", "item"]
    extra = ["schedule"] if "schedule" in cat.plan_targets.columns else []
    targets = cat.plan_targets[keys + ["programme_zh", "item_zh", "baseline_year", "target_year", "target_new",
                                       *extra]]
    prog = progress.astype({"programme": str, "region_code": str})
    given = _first_column(prog, ("scheduled", "expected"))
    if given is not None:
        prog = prog.assign(scheduled=prog[given])
    merged = prog.drop(columns=[c for c in targets.columns if c not in keys and c in prog.columns])
    merged = merged.merge(targets, on=keys, how="inner")
    if given is None:
        year_end = pd.to_datetime(merged["year"].astype(int).astype(str) + "-12-31")
        schedules = merged["schedule"].astype(str) if "schedule" in merged else pd.Series("linear", index=merged.index)
        merged["scheduled"] = np.nan
        for name, rows in merged.groupby(schedules, sort=False).groups.items():
            merged.loc[rows, "scheduled"] = expected_progress(
                merged.loc[rows, "target_new"], merged.loc[rows, "baseline_year"], merged.loc[rows, "target_year"],
                year_end[rows], schedule=name)
        merged = merged.drop(columns=[c for c in extra if c not in progress.columns])
    return merged


def plot_plan_progress(
    progress: pd.DataFrame,
    year: int | None = None,
    catalogue: Catalogue | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plan items (5511, Anhui programme): actual completion against the linear schedule.

    Each item is one bar of actual/target·100 (%) with a tick at scheduled/target·100; the
    bar is green when on or ahead of schedule (actual ≥ scheduled), red when behind.

    Parameters
    ----------
    progress
        ``programme, region_code, item, year, actual`` (+ optional ``scheduled`` or
        ``expected``; see :func:`plan_schedule`), e.g. ``progress.plan_progress`` output.
        Targets and labels come from ``catalogue.plan_targets``; an item whose ``actual`` is
        NaN (not measured) gets an empty grey bar.
    year
        Default: the latest year present.
    catalogue
        Default: the packaged catalogue.
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per (programme, region, item), labelled ``programme_zh`` over
        ``item_zh（region）`` (``region_name`` if given, else the official division name, else
        the code); ``ax.collections[0]`` holds the schedule ticks; the legend names the bar
        colours (on schedule, behind); an unmeasured item reads 未统计 in its row.
    """
    data = _nonempty(plan_schedule(progress, catalogue), "plot_plan_progress: items with a plan target")
    data = _pick_year(data, year, "plot_plan_progress")
    data = data.reset_index(drop=True)
    actual = pd.to_numeric(data["actual"], errors="coerce")
    actual_pct = (actual / data["target_new"] * 100.0).fillna(0.0).to_numpy(float)
    sched_pct = (data["scheduled"] / data["target_new"] * 100.0).to_numpy(float)
    names = division_names()
    region = data["region_code"].map(names).fillna(data["region_code"])
    if "region_name" in data.columns:
        region = data["region_name"].fillna(region)
    labels = (data["programme_zh"] + "\n" + data["item_zh"] + _t("punct.open_paren") + region.astype(str)
              + _t("punct.close_paren")).tolist()
    colours = np.where(actual >= data["scheduled"], STATUS_COLOURS["green"], STATUS_COLOURS["red"])
    colours = np.where(actual.isna(), STATUS_COLOURS["na"], colours)

    ax = _new_axes(ax, n_rows=int(len(data) * 2), row_labels=[part for lab in labels for part in lab.split("\n")])
    y = np.arange(len(data))
    ax.barh(y, actual_pct, color=colours.tolist(), height=0.6, label=TEXT["plan_actual"])
    ticks = ax.scatter(sched_pct, y, marker="|", s=260, color="0.15", linewidths=2, zorder=3,
                       label=TEXT["plan_schedule"])
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(105.0, float(np.nanmax(np.append(actual_pct, sched_pct))) + 5))
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel(TEXT["plan_axis"])
    ax.grid(axis="y", visible=False)
    # an unmeasured item has no bar: say so in the row instead of leaving it blank
    for row in np.flatnonzero(actual.isna().to_numpy()):
        ax.text(1.0, row, TEXT["plan_na"], va="center", ha="left", color="0.4", fontsize=_font_points("xtick.labelsize"))
    # the bar colour says on/behind schedule, so the legend names the colours, not "actual"
    shown = set(colours.tolist())
    # on/behind schedule also as a shape at the bar's end: ● on schedule, ✖ behind
    status = np.where(actual.isna(), "na", np.where(actual >= data["scheduled"], "green", "red"))
    measured = status != "na"
    _status_markers(ax, actual_pct[measured], y[measured], status[measured])
    handles = [Patch(facecolor=STATUS_COLOURS[k], label=TEXT[f"plan_{k}"]) for k in ("green", "red")
               if STATUS_COLOURS[k] in shown]
    handles = [Line2D([], [], ls="-", lw=6, color=STATUS_COLOURS[k], marker=STATUS_MARKERS[k], markersize=6,
                      markerfacecolor=STATUS_COLOURS[k], markeredgecolor=STATUS_EDGE, label=h.get_label())
               for k, h in zip([k for k in ("green", "red") if STATUS_COLOURS[k] in shown], handles, strict=True)]
    _legend_on_top(ax, handles=[ticks, *handles], columnspacing=1.2, align="right")
    words = {"green": TEXT["plan_green"], "red": TEXT["plan_red"], "na": TEXT["plan_na"]}
    table = pd.DataFrame({
        _t("header.programme"): data["programme_zh"].to_numpy(),
        _t("header.item"): data["item_zh"].to_numpy(),
        _t("header.region"): region.astype(str).to_numpy(),
        _t("header.target"): data["target_new"].astype(float).to_numpy(),
        TEXT["plan_schedule"]: data["scheduled"].astype(float).to_numpy(),
        TEXT["plan_actual"]: actual.to_numpy(float),
        _tf("figure.col.with_unit", name=TEXT["plan_axis_short"], unit="%"): np.where(actual.isna(), np.nan,
                                                                                      actual_pct),
        _t("header.plan_status"): [words[k] for k in status],
    })
    _describe(ax, "plan_progress", table, _t("figure.unit.percent"), source="plan", year=int(data["year"].iloc[0]),
              n=len(data), n_behind=int((status == "red").sum()))
    return ax


# ---------------------------------------------------------------------------------- ledger
def _ledger_rates(projects: pd.DataFrame, done_status: str) -> pd.DataFrame:
    """Completion and disbursement rates (%) per task, from a ledger or a ledger summary.

    A summary (``task_id, completion_rate, disbursement_rate``, as from
    ``hemei_tools.engine.progress.ledger_summary(by="task_id")``) is used as given. From the raw
    ledger: completion = projects with ``status == done_status`` / projects · 100;
    disbursement = Σ disbursed_wan / Σ budget_wan · 100 (NaN when the budget is 0).
    """
    if {"task_id", "completion_rate", "disbursement_rate"} <= set(projects.columns):
        out = projects.set_index("task_id")[["completion_rate", "disbursement_rate"]]
        return out.rename(columns={"completion_rate": "completion", "disbursement_rate": "disbursement"})
    _require(projects, ["task_id", "status", "budget_wan", "disbursed_wan"], "plot_ledger")
    g = projects.assign(_done=projects["status"].eq(done_status).astype(float)).groupby("task_id")
    budget = g["budget_wan"].sum()
    return pd.DataFrame({
        "completion": g["_done"].mean() * 100.0,
        "disbursement": g["disbursed_wan"].sum() / budget.where(budget > 0) * 100.0,
    })


def plot_ledger(
    projects: pd.DataFrame,
    catalogue: Catalogue | None = None,
    done_status: str = _t("vocab.project_status.finished"),
    ax: Axes | None = None,
) -> Axes:
    """Project ledger by task: share of projects finished and share of the budget disbursed.

    Parameters
    ----------
    projects
        The 项目台账 table (``task_id, status, budget_wan, disbursed_wan``), or its summary by
        task (``task_id, completion_rate, disbursement_rate``, both %).
        completion = finished / projects · 100; disbursement = Σ disbursed / Σ budget · 100.
    catalogue
        Task order and labels (default: the packaged catalogue).
    done_status
        The ``status`` value that counts as finished (raw ledger only).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        Two bar containers (completion, disbursement), one bar per task present, task labels
        ``T01 规划建设管理``.
    """
    cat = _catalogue(catalogue)
    summary = _ledger_rates(_nonempty(projects, "plot_ledger: projects"), done_status)
    tasks = [t for t in cat.tasks["code"] if t in summary.index]
    unknown = sorted(set(summary.index) - set(tasks))
    if unknown:
        raise PlotDataError(f"plot_ledger: task_id(s) {', '.join(map(str, unknown))} are not catalogue tasks")
    summary = summary.loc[tasks]
    labels = [f"{t} {cat.label(t)}" for t in tasks]

    ax = _new_axes(ax, n_rows=int(len(tasks) * 1.6), row_labels=labels)
    y = np.arange(len(tasks))
    h = 0.38
    ax.barh(y - h / 2, summary["completion"].fillna(0).to_numpy(), height=h, color=PALETTE[0], label=TEXT["completion"])
    ax.barh(y + h / 2, summary["disbursement"].fillna(0).to_numpy(), height=h, color=PALETTE[1],
            label=TEXT["disbursement"])
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel(TEXT["ledger_axis"])
    ax.grid(axis="y", visible=False)
    _legend_on_top(ax)
    table = pd.DataFrame({
        _t("header.task"): labels,
        _tf("figure.col.with_unit", name=TEXT["completion"], unit="%"): summary["completion"].to_numpy(float),
        _tf("figure.col.with_unit", name=TEXT["disbursement"], unit="%"): summary["disbursement"].to_numpy(float),
    })
    low = summary["completion"].astype(float).idxmin() if summary["completion"].notna().any() else tasks[0]
    _describe(ax, "ledger", table, _t("figure.unit.percent"), source="ledger", n=len(tasks),
              lowest=_joined([f"{low} {cat.label(low)}"], [summary.loc[low, "completion"]]))
    return ax


# ---------------------------------------------------------------------------------- Lorenz
#: At most this many points of a Lorenz curve in the chart's table (its CSV download and
#: workbook sheet): a longer curve is tabulated at every whole percent of units (population).
LORENZ_TABLE_POINTS = 101


def lorenz_table_points(curve: pd.DataFrame, n: int = LORENZ_TABLE_POINTS) -> pd.DataFrame:
    """The points of a Lorenz curve kept in its chart's table: all of them when there are at
    most ``n``, else the curve at ``pop_share`` = 0, 1/(n−1), …, 1 (every whole percent for
    n = 101).

    The Lorenz curve is piecewise linear between its points, so the value share at ``p`` is
    the linear interpolation L(p) = yᵢ + (yᵢ₊₁ − yᵢ)·(p − xᵢ)/(xᵢ₊₁ − xᵢ) for xᵢ ≤ p ≤ xᵢ₊₁: the
    points lie on the curve drawn, not near it. A province curve has one point per village
    (13,583 in Anhui): tabulated in full it made the report's CSV downloads half a megabyte.
    """
    if len(curve) <= n:
        return curve
    grid = np.linspace(0.0, 1.0, n)
    return pd.DataFrame({"pop_share": grid, "value_share": np.interp(
        grid, curve["pop_share"].to_numpy(float), curve["value_share"].to_numpy(float))})


def plot_lorenz(
    values,
    weights=None,
    gini: float | None = None,
    label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Lorenz curve with the Gini coefficient in the legend.

    The curve and the coefficient come from :mod:`hemei_tools.engine.imbalance`: units sorted by
    value, x = cumulative share of weight (units or population), y = cumulative share of
    Σ w·x; G = Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| / (2 W² x̄), twice the area between curve and diagonal.

    Parameters
    ----------
    values
        Non-negative values per unit (a Series or array; NaN dropped), e.g. per-head income.
    weights
        Unit sizes (population); default 1 each.
    gini
        Gini to show (e.g. from an ``imbalance_table``); computed when ``None``.
    label
        Name of the curve (e.g. a county); default ``洛伦兹曲线``.
    ax
        Axes to draw on (call again on the same Axes to overlay groups).

    Returns
    -------
    matplotlib.axes.Axes
        The curve labelled ``<label>（Gini = 0.xxx）`` and, once, the line of equality.
    """
    from hemei_tools.engine import imbalance

    curve = imbalance.lorenz_curve(values, weights)
    if len(curve) < 2:
        raise PlotDataError("plot_lorenz: no values to draw")
    g = imbalance.gini(values, weights) if gini is None else float(gini)
    ax = _new_axes(ax, figsize=(4.8, 4.4))
    if not any(line.get_gid() == "equality" for line in ax.lines):
        ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1.0, label=TEXT["equality"], gid="equality")
    n_curves = sum(1 for line in ax.lines if line.get_gid() == "lorenz")
    ax.plot(curve["pop_share"].to_numpy(), curve["value_share"].to_numpy(), lw=2.0,
            color=PALETTE[n_curves % len(PALETTE)], gid="lorenz",
            label=_tf("chart.lorenz_label", label=label or TEXT["lorenz"], gini=g))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel(TEXT["pop_share"])
    ax.set_ylabel(TEXT["value_share"])
    ax.legend(loc="upper left")
    # one table for every curve drawn on this figure (overlaid or in panels), in drawing order;
    # a long curve at every whole percent (lorenz_table_points)
    name = label or TEXT["lorenz"]
    points = lorenz_table_points(curve)
    rows = pd.DataFrame({_t("figure.col.curve"): name,
                         TEXT["pop_share"]: points["pop_share"].to_numpy(float),
                         TEXT["value_share"]: points["value_share"].to_numpy(float),
                         _t("header.gini"): g})
    before = chart_info(ax.figure)
    curves = ([] if before is None or before.kind != "lorenz" else before.data.drop_duplicates(
        _t("figure.col.curve"))[[_t("figure.col.curve"), _t("header.gini")]].itertuples(index=False, name=None))
    curves = [*curves, (name, g)]
    data = rows if before is None or before.kind != "lorenz" else pd.concat([before.data, rows], ignore_index=True)
    _describe(ax, "lorenz", data, _t("figure.unit.cumulative"), n=len(curves),
              curves=_joined([c for c, _ in curves], [v for _, v in curves], 3))
    return ax


# ---------------------------------------------------------------------------------- ranks
def _first_column(data: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in data.columns), None)


def _rank_columns(ranks: pd.DataFrame) -> dict[str, str]:
    found = {}
    for key, names in RANK_ALIASES.items():
        hit = _first_column(ranks, names)
        if hit is None:
            raise PlotDataError(f"plot_rank_intervals: needs a column {key!r} (any of {', '.join(names)})")
        found[key] = hit
    return found


def plot_rank_intervals(
    ranks: pd.DataFrame,
    label_col: str | None = None,
    max_row_labels: int = 60,
    ax: Axes | None = None,
) -> Axes:
    """Ranking with Monte Carlo uncertainty: nominal rank, median and the 5–95% interval.

    Parameters
    ----------
    ranks
        One row per unit: ``unit_code`` (or ``village_code``) and the ranks ``nominal``,
        ``median``, ``p05``, ``p95`` (1 = best; the column aliases of :data:`RANK_ALIASES`
        accept e.g. ``nominal_rank, rank_median, rank_p05, rank_p95`` from
        ``selection_robustness``), optional ``unit_name`` / ``village_name``.
    label_col
        Column for the unit labels; default ``unit_name`` or ``village_name``, else the code.
    max_row_labels
        Unit names are written only up to this many rows (text is the slow part).
    ax
        Axes to draw on; a new figure sized to the number of units when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        Units ordered by nominal rank (best on top): ``ax.collections[0]`` holds one interval
        segment per unit, then the median and nominal markers.
    """
    code = _first_column(ranks, ("unit_code", "village_code"))
    if code is None:
        raise PlotDataError("plot_rank_intervals: needs a unit_code (or village_code) column")
    cols = _rank_columns(ranks)
    data = _nonempty(ranks, "plot_rank_intervals").sort_values(cols["nominal"]).reset_index(drop=True)
    label_col = label_col or _first_column(data, ("unit_name", "village_name")) or code
    labels = _unit_labels(data, code, label_col).tolist()
    show = len(data) <= max_row_labels

    # without names the rows need no height of their own: a compact, fixed-size chart
    ax = _new_axes(ax, n_rows=len(data) if show else min(len(data), _UNLABELLED_ROWS),
                   row_labels=labels if show else ())
    y = np.arange(len(data))
    ax.hlines(y, data[cols["p05"]], data[cols["p95"]], color=ROLE_COLOURS["interval"],
              lw=5 if show else 1.5, label=TEXT["rank_interval"])
    ax.scatter(data[cols["median"]], y, marker="o", s=18 if show else 4, color=ROLE_COLOURS["average"],
               zorder=3, label=TEXT["rank_median"])
    ax.scatter(data[cols["nominal"]], y, marker="D", s=22 if show else 5, color=ROLE_COLOURS["unit"],
               zorder=4, label=TEXT["rank_nominal"])
    if show:
        ax.set_yticks(y, labels)
    else:
        ax.set_yticks([])
        ax.set_ylabel(_tf("chart.rank_rows", n_units=len(data)))
    ax.invert_yaxis()
    ax.set_xlim(0.5, max(float(data[cols["p95"]].max()), len(data)) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(TEXT["rank_axis"])
    ax.grid(axis="y", visible=False)
    _legend_on_top(ax)
    table = pd.DataFrame({
        _t("figure.col.unit_name"): labels,
        TEXT["rank_nominal"]: data[cols["nominal"]].astype(float).to_numpy(),
        TEXT["rank_median"]: data[cols["median"]].astype(float).to_numpy(),
        _t("figure.col.rank_p05"): data[cols["p05"]].astype(float).to_numpy(),
        _t("figure.col.rank_p95"): data[cols["p95"]].astype(float).to_numpy(),
    })
    width = (data[cols["p95"]] - data[cols["p05"]]).astype(float)
    _describe(ax, "rank_intervals", table, _t("figure.unit.rank"), n=len(data), first=labels[0],
              median_width=format_number(float(width.median()), 0) if len(width) else "—")
    return ax


# ---------------------------------------------------------------------------------- selection
#: Columns of an applicant frame that are never criteria.
_NOT_CRITERIA = frozenset({
    "village_code", "apply_year", "selected", "decision", "nominal_selected", "eligible", "total",
    "rank", "nominal_rank", "p_selected", "probability", "rank_median", "rank_p05", "rank_p95",
    "synthetic",
})
#: Columns accepted for an applicant's nominal selection (0/1), first match wins.
SELECTED_ALIASES: tuple[str, ...] = ("selected", "nominal_selected", "decision")
#: Columns accepted for the probability of selection (0–1), first match wins.
PROBABILITY_ALIASES: tuple[str, ...] = ("p_selected", "probability")


def _applicant_labels(data: pd.DataFrame, label_col: str | None) -> pd.Series:
    col = label_col or _first_column(data, ("village_name", "village_code"))
    if col is not None and col in data.columns:
        return data[col].astype(str)
    return pd.Series(data.index.astype(str), index=data.index)


def _selected_flags(data: pd.DataFrame, selected_col: str | None) -> np.ndarray:
    col = selected_col or _first_column(data, SELECTED_ALIASES)
    if col is None or col not in data.columns:
        return np.zeros(len(data), dtype=bool)
    return pd.to_numeric(data[col], errors="coerce").fillna(0).to_numpy() > 0


def _criteria_spec(applicants: pd.DataFrame, criteria) -> tuple[list[str], dict[str, str], dict[str, float] | None]:
    """Criterion columns, their labels and (when known) their shares of the total."""
    if isinstance(criteria, pd.DataFrame):
        _require(criteria, ["criterion_id"], "plot_criteria_profile criteria table")
        c = criteria.drop_duplicates("criterion_id")
        ids = c["criterion_id"].astype(str).tolist()
        labels = dict(zip(ids, c["criterion_zh"].astype(str), strict=True)) if "criterion_zh" in c.columns else {}
        shares = None
        if "criterion_weight" in c.columns:
            w = pd.to_numeric(c["criterion_weight"], errors="coerce").to_numpy(float)
            shares = dict(zip(ids, w / w.sum(), strict=True))
        return ids, labels, shares
    if criteria is None:
        ids = [c for c in applicants.select_dtypes("number").columns
               if c not in _NOT_CRITERIA and applicants[c].dtype != bool]
        return ids, {}, None
    return list(criteria), {}, None


def plot_criteria_profile(
    applicants: pd.DataFrame,
    criteria: pd.DataFrame | Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    label_col: str | None = None,
    selected_col: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Applicants' scores on the selection criteria as stacked bars, best total on top.

    Parameters
    ----------
    applicants
        One row per applicant (``village_code``, optional ``village_name``) with one numeric
        column per criterion (e.g. ``score_applicants`` output: criteria 0–100 and ``total``).
    criteria
        The criteria table (``criterion_id``, ``criterion_zh``, ``criterion_weight``, as in
        ``selection_criteria.csv``): gives the order, labels and shares s_c = w_c / Σw, and
        each segment is drawn as score_c · s_c so a bar's length is the weighted total.
        Or a list of criterion columns (drawn as raw scores); default every numeric column
        that is not an id, flag, rank or total.
    labels
        Display names of the criteria, overriding the table's ``criterion_zh``.
    label_col
        Applicant label column; default ``village_name``, else ``village_code``.
    selected_col
        0/1 column of the selected applicants, drawn with bold labels; default the first of
        :data:`SELECTED_ALIASES` present.
    ax
        Axes to draw on; a new figure sized to the number of applicants when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per criterion, each with one bar per applicant.
    """
    ids, table_labels, shares = _criteria_spec(applicants, criteria)
    if not ids:
        raise PlotDataError("plot_criteria_profile: no numeric criterion columns found; pass criteria=[...]")
    _require(applicants, ids, "plot_criteria_profile")
    names_of = {**table_labels, **dict(labels or {})}
    data = _nonempty(applicants, "plot_criteria_profile")
    parts = data[ids].astype(float).fillna(0.0)
    if shares is not None:
        parts = parts * pd.Series(shares)[ids].to_numpy()
    order = np.argsort(-parts.sum(axis=1).to_numpy(), kind="stable")
    parts = parts.iloc[order]
    data = data.iloc[order]
    names = _applicant_labels(data, label_col).tolist()

    flags = _selected_flags(data, selected_col)
    ax = _new_axes(ax, n_rows=len(data), row_labels=names, extra_left=0.3 if flags.any() else 0.0)
    y = np.arange(len(data))
    left = np.zeros(len(data))
    for i, c in enumerate(ids):
        vals = parts[c].to_numpy()
        ax.barh(y, vals, left=left, height=0.7, color=PALETTE[i % len(PALETTE)], label=names_of.get(c, c))
        left = left + vals
    ax.set_yticks(y, names)
    for tick, flag in zip(ax.get_yticklabels(), flags, strict=True):
        if flag:
            tick.set_fontweight("bold")
    if flags.any():
        ax.set_ylabel(TEXT["bold_selected"])
    ax.invert_yaxis()
    axis = TEXT["criteria_weighted_axis"] if shares is not None else TEXT["criteria_axis"]
    ax.set_xlabel(axis)
    ax.grid(axis="y", visible=False)
    _legend_on_top(ax, ncols=min(len(ids), 5))
    table = pd.DataFrame({_t("header.village"): names})
    for c in ids:
        table[names_of.get(c, c)] = parts[c].to_numpy(float)
    table[_t("header.total")] = parts.sum(axis=1).to_numpy(float)
    table[TEXT["selected"]] = np.where(flags, _t("word.yes"), _t("word.no"))
    _describe(ax, "criteria_profile", table, _t("figure.unit.criteria"), source="selection", n=len(data), n_criteria=len(ids),
              first=names[0] if names else "—")
    return ax


def plot_selection_probability(
    probabilities: pd.DataFrame,
    prob_col: str | None = None,
    label_col: str | None = None,
    selected_col: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Probability of each applicant being selected (share of Monte Carlo runs), sorted.

    Parameters
    ----------
    probabilities
        One row per applicant, e.g. ``selection_robustness`` output: ``village_code``,
        optional ``village_name``, the probability in [0, 1] (``p_selected`` or
        ``probability``) and the nominal selection (``nominal_selected`` or ``selected``, 0/1).
    prob_col, label_col, selected_col
        Column names; default the first alias present (:data:`PROBABILITY_ALIASES`,
        ``village_name``/``village_code``, :data:`SELECTED_ALIASES`).
    ax
        Axes to draw on; a new figure sized to the number of applicants when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per applicant, highest probability on top, coloured by nominal selection.
    """
    prob_col = prob_col or _first_column(probabilities, PROBABILITY_ALIASES)
    if prob_col is None:
        raise PlotDataError(f"plot_selection_probability: needs one of the columns {', '.join(PROBABILITY_ALIASES)}")
    _require(probabilities, [prob_col], "plot_selection_probability")
    data = _nonempty(probabilities, "plot_selection_probability")
    data = data.iloc[np.argsort(-data[prob_col].to_numpy(float), kind="stable")]
    p = data[prob_col].astype(float)
    if ((p < 0) | (p > 1)).any():
        raise PlotDataError(f"plot_selection_probability: {prob_col} must lie in [0, 1]")
    names = _applicant_labels(data, label_col).tolist()
    chosen = _selected_flags(data, selected_col)
    colours = np.where(chosen, ROLE_COLOURS["unit"], ROLE_COLOURS["average"]).tolist()

    ax = _new_axes(ax, n_rows=len(data), row_labels=names)
    y = np.arange(len(data))
    ax.barh(y, p.to_numpy(), color=colours, height=0.7)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel(TEXT["probability_axis"])
    ax.grid(axis="y", visible=False)
    if chosen.any():
        _legend_on_top(ax, handles=[Patch(facecolor=ROLE_COLOURS["unit"], label=TEXT["selected"]),
                                    Patch(facecolor=ROLE_COLOURS["average"], label=TEXT["not_selected"])])
    table = pd.DataFrame({_t("header.village"): names,
                          _tf("figure.col.with_unit", name=TEXT["probability_axis"], unit="%"): p.to_numpy() * 100,
                          TEXT["selected"]: np.where(chosen, _t("word.yes"), _t("word.no"))})
    _describe(ax, "selection_probability", table, _t("figure.unit.percent"), source="selection", n=len(data),
              n_sure=int((p >= 0.95).sum()), n_selected=int(chosen.sum()))
    return ax


# ---------------------------------------------------------------------------------- weight sweep
def _sweep_replaced(sweep: pd.DataFrame, nominal: pd.Series) -> pd.Series:
    """Villages of the nominal shortlist not selected: Σ_v [nominal_v ∧ ¬selected_v(k, s)]."""
    dropped = nominal.to_numpy(bool) & ~sweep["selected"].to_numpy(bool)
    return pd.Series(dropped, index=sweep.index).groupby([sweep["criterion_id"], sweep["share"]], sort=False).sum()


def _sweep_rank(sweep: pd.DataFrame, nominal: pd.Series) -> pd.Series:
    """The rank (1 = best) of the one village left in ``sweep``, by criterion and share."""
    return sweep.set_index(["criterion_id", "share"])["rank"].astype(float)


#: What the weight-sweep chart draws, by name: name -> (function(sweep, nominal) -> Series by
#: (criterion_id, share), y-axis label key, needs a village_code).
SWEEP_MEASURES: dict[str, tuple] = {
    "replaced": (_sweep_replaced, "sweep_replaced", False),
    "rank": (_sweep_rank, "sweep_rank", True),
}


def _nominal_selection(sweep: pd.DataFrame, shortlist: pd.DataFrame | None) -> pd.Series:
    """Each sweep row's nominal selection (bool), aligned with ``sweep``.

    From ``shortlist`` (``village_code, selected``) when given; otherwise, per criterion, the
    selection at the grid point nearest the criterion's nominal share.
    """
    if shortlist is not None:
        _require(shortlist, ["village_code", "selected"], "plot_weight_sweep shortlist")
        chosen = shortlist.set_index(shortlist["village_code"].astype(str))["selected"].astype(bool)
        return sweep["village_code"].astype(str).map(chosen).fillna(False).astype(bool)
    dist = (sweep["share"] - sweep["nominal_share"]).abs()
    at_nominal = dist.to_numpy() == dist.groupby(sweep["criterion_id"]).transform("min").to_numpy()
    key = ["criterion_id", "village_code"]
    nominal = (sweep.loc[at_nominal, key + ["selected"]].drop_duplicates(key)
               .rename(columns={"selected": "_nominal"}))
    return sweep[key].merge(nominal, on=key, how="left")["_nominal"].fillna(False).astype(bool).set_axis(sweep.index)


def _criterion_names(sweep: pd.DataFrame, criteria) -> tuple[list[str], dict[str, str]]:
    """Criterion ids in table order (else sweep order) and their labels (``criterion_zh``)."""
    present = list(pd.unique(sweep["criterion_id"].astype(str)))
    names: dict[str, str] = {}
    order = present
    if "criterion_zh" in sweep.columns:
        first = sweep.drop_duplicates("criterion_id")
        names.update(zip(first["criterion_id"].astype(str), first["criterion_zh"].astype(str), strict=True))
    if isinstance(criteria, pd.DataFrame):
        _require(criteria, ["criterion_id"], "plot_weight_sweep criteria table")
        table = criteria.drop_duplicates("criterion_id")
        ids = table["criterion_id"].astype(str).tolist()
        order = [c for c in ids if c in present] + [c for c in present if c not in ids]
        if "criterion_zh" in table.columns:
            names.update(zip(ids, table["criterion_zh"].astype(str), strict=True))
    elif criteria is not None:
        names.update({str(k): str(v) for k, v in dict(criteria).items()})
    return order, names


def plot_weight_sweep(
    sweep: pd.DataFrame,
    ax: Axes | None = None,
    *,
    criteria: pd.DataFrame | Mapping[str, str] | None = None,
    shortlist: pd.DataFrame | None = None,
    village_code: str | None = None,
    measure: str | None = None,
) -> Axes:
    """How the 精品示范村 shortlist changes as one criterion's weight share moves from 0 to 100%.

    One line per criterion k: at share s of the total weight for k (the other criteria sharing
    1 − s in their nominal proportions, :func:`hemei_tools.engine.selection.sweep_weights`), the
    number of villages of the nominal shortlist that drop out,
    replaced(k, s) = Σ_v [nominal_v ∧ ¬selected_v(k, s)] (0 = the same shortlist; with fixed
    quotas as many others come in). With ``village_code`` the lines show that village's rank
    instead, drawn thick where it is selected. The current (nominal) weights are marked by a
    dotted vertical line and a dot on each criterion's line.

    Parameters
    ----------
    sweep
        :func:`~hemei_tools.engine.selection.sweep_weights` output (``SelectionResult.sweep``):
        ``criterion_id, share, nominal_share, village_code, rank, selected`` (shares 0–1).
    ax
        Axes to draw on; a new figure when ``None``.
    criteria
        Labels and order of the criteria: the criteria table (``criterion_id``,
        ``criterion_zh``, as ``SelectionResult.criteria`` or ``criterion_table``) or a mapping
        ``{criterion_id: label}``. Default: a ``criterion_zh`` column of ``sweep`` if present,
        else the ids.
    shortlist
        The nominal shortlist (``village_code``, ``selected``; ``SelectionResult.shortlist``).
        Default: the selection at the grid point nearest each criterion's nominal share
        (the convention of :func:`~hemei_tools.engine.selection.stable_weight_ranges`).
    village_code
        Draw this applicant's rank (1 = best) instead of the shortlist change.
    measure
        A key of :data:`SWEEP_MEASURES`; default ``"rank"`` with ``village_code``, else
        ``"replaced"``.

    Returns
    -------
    matplotlib.axes.Axes
        One line per criterion (label from the criteria table), x = share (0–1), plus the
        nominal-weight markers (``ax.collections[0]``: one dot per criterion at its nominal
        share) and one dotted line per distinct nominal share.

    Notes
    -----
    Long because the docstring documents the chart's reading and every argument; the drawing code is under 60 lines.
    """
    _require(sweep, ["criterion_id", "share", "nominal_share", "village_code", "selected"], "plot_weight_sweep")
    measure = measure or ("rank" if village_code is not None else "replaced")
    if measure not in SWEEP_MEASURES:
        raise PlotDataError(f"plot_weight_sweep: unknown measure {measure!r}; choose one of {', '.join(SWEEP_MEASURES)}")
    func, axis_key, per_village = SWEEP_MEASURES[measure]
    data = _nonempty(sweep, "plot_weight_sweep")
    nominal = _nominal_selection(data, shortlist)
    if per_village:
        if village_code is None:
            raise PlotDataError(f"plot_weight_sweep: measure {measure!r} needs village_code")
        _require(data, ["rank"], "plot_weight_sweep")
        keep = (data["village_code"].astype(str) == str(village_code)).to_numpy()
        data = _nonempty(data[keep], f"plot_weight_sweep: village {village_code!r}")
        nominal = nominal[keep]
    order, names = _criterion_names(data, criteria)
    wide = func(data, nominal).unstack("criterion_id").sort_index()[order]
    shares = wide.index.to_numpy(float)
    nominal_share = data.groupby("criterion_id")["nominal_share"].first().reindex(order).to_numpy(float)
    at = np.abs(shares[:, None] - nominal_share[None, :]).argmin(axis=0)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(order))]

    legend_texts = [names.get(c, c) for c in order] + [TEXT["sweep_nominal"]] + (
        [TEXT["sweep_selected"]] if per_village else [])
    width = ax.figure.get_figwidth() * ax.get_position().width if ax is not None else \
        0.86 * float(plt.rcParams["figure.figsize"][0])
    ncols = min(_legend_columns(legend_texts, width), len(legend_texts))
    ax = _new_axes(ax, legend_rows=-(-len(legend_texts) // ncols))
    # lines of equal value would hide each other: shift each by a line width on screen (the
    # data stay exact; a y tick is an integer, far larger than the shift)
    dodge = [offset_copy(ax.transData, fig=ax.figure, y=1.6 * (i - (len(order) - 1) / 2), units="points")
             for i in range(len(order))]
    for i, c in enumerate(order):
        ax.plot(shares, wide[c].to_numpy(float), color=colours[i], lw=1.6, drawstyle="steps-mid",
                label=names.get(c, c), transform=dodge[i])
    if per_village:
        picked = data.set_index(["criterion_id", "share"])["selected"].astype(bool).unstack("criterion_id")
        picked = picked.reindex(index=wide.index, columns=order).fillna(False).to_numpy(bool)
        for i, c in enumerate(order):
            ax.plot(shares, np.where(picked[:, i], wide[c].to_numpy(float), np.nan), color=colours[i], lw=4.0,
                    solid_capstyle="butt", drawstyle="steps-mid", label="_selected", transform=dodge[i])
    ax.scatter(nominal_share, wide.to_numpy(float)[at, np.arange(len(order))], s=30, c=colours, zorder=4,
               edgecolors="white", linewidths=0.8)
    for k, x in enumerate(np.unique(np.round(nominal_share, 6))):
        ax.axvline(x, color="0.3", ls=":", lw=1.2, label=TEXT["sweep_nominal"] if k == 0 else "_nominal")
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(TEXT["sweep_share"])
    ax.set_ylabel(TEXT[axis_key])
    handles, _ = ax.get_legend_handles_labels()
    if per_village:
        ax.set_ylim(max(float(np.nanmax(wide.to_numpy(float))), 1.0) + 0.5, 0.5)
        handles.append(Line2D([], [], color="0.3", lw=4.0, label=TEXT["sweep_selected"]))
    else:
        ax.set_ylim(-0.3, max(float(np.nanmax(wide.to_numpy(float))), 1.0) + 0.5)
    _legend_on_top(ax, handles=handles, ncols=ncols, columnspacing=1.2)
    table = wide.set_axis([names.get(c, c) for c in order], axis=1).rename_axis(None, axis=1).reset_index()
    table = table.rename(columns={"share": _tf("figure.col.with_unit", name=TEXT["sweep_share_short"], unit="%")})
    table.iloc[:, 0] = table.iloc[:, 0].astype(float) * 100
    _describe(ax, "weight_sweep", table, _t("figure.unit.rank" if per_village else "figure.unit.villages"),
              source="selection", n=len(order),
              measure=TEXT[axis_key])
    return ax

__all__ = [
    "CHART_KINDS",
    "GAP_MEASURES",
    "LORENZ_TABLE_POINTS",
    "SWEEP_MEASURES",
    "ChartInfo",
    "PlotDataError",
    "chart_info",
    "describe_figure",
    "lorenz_table_points",
    "plan_schedule",
    "plot_criteria_profile",
    "plot_gap_bars",
    "plot_lorenz",
    "plot_plan_progress",
    "plot_radar",
    "plot_rank_intervals",
    "plot_score_heatmap",
    "plot_selection_probability",
    "plot_trend",
    "plot_weight_sweep",
]


# ---------------------------------------------------------------------------------- index history
def plot_index_history(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The 和美指数 and its dimensions of one unit over the years, on the fixed 0–100 scale.

    Parameters
    ----------
    frame
        One row per year and series: ``year``, ``label`` (the series name as shown in the
        legend, e.g. 和美指数, 宜居环境美), ``score`` (0–100), and optionally ``node_level``
        (``index`` is drawn as the thick dark line, dimensions as thin coloured lines), e.g.
        :func:`hemei_tools.engine.summary.index_history` with the names added.
    ax
        Axes to draw on; a new small figure (5.2 × 3.0 in) when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        One line with markers per series (legend order: the index first), integer years on x,
        0–100 on y.
    """
    _require(frame, ["year", "label", "score"], "plot_index_history")
    data = _nonempty(frame.dropna(subset=["score"]), "plot_index_history")
    index_rows = (data["node_level"].astype(str) == "index") if "node_level" in data.columns \
        else pd.Series(False, index=data.index)
    labels = list(pd.unique(pd.concat([data.loc[index_rows, "label"], data.loc[~index_rows, "label"]]).astype(str)))
    ncols = min(len(labels), 3)
    ax = _new_axes(ax, figsize=(5.2, 3.0), legend_rows=-(-len(labels) // ncols))
    main = set(data.loc[index_rows, "label"].astype(str))
    colour = 0
    for lab in labels:
        rows = data[data["label"].astype(str) == lab].sort_values("year")
        if lab in main:
            ax.plot(rows["year"].to_numpy(int), rows["score"].to_numpy(float), marker="o", ms=4, lw=2.6,
                    color="0.15", label=lab, zorder=3)
        else:
            ax.plot(rows["year"].to_numpy(int), rows["score"].to_numpy(float), marker="o", ms=2.5, lw=1.2,
                    color=PALETTE[colour % len(PALETTE)], label=lab)
            colour += 1
    ax.set_ylim(0, 100)
    years = np.sort(data["year"].astype(int).unique())
    ax.set_xticks(years)
    ax.set_xlim(years.min() - 0.4, years.max() + 0.4)
    ax.set_xlabel(TEXT["year"])
    ax.set_ylabel(TEXT["score"])
    ax.grid(axis="y", lw=0.5, alpha=0.5)
    _legend_on_top(ax, ncols=ncols, columnspacing=1.2)
    wide = data.pivot_table(index="year", columns="label", values="score", aggfunc="first", sort=False)
    wide = wide[[lab for lab in labels if lab in wide.columns]].sort_index()
    table = wide.rename_axis(None, axis=1).reset_index().rename(columns={"year": TEXT["year"]})
    _describe(ax, "index_history", table, _t("figure.unit.score"), first=int(years.min()), last=int(years.max()),
              latest=_joined(list(wide.columns), wide.iloc[-1].tolist()))
    return ax


__all__ += ["plot_index_history"]  # noqa: PLE0605
