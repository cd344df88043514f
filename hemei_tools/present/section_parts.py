"""The pieces every report section is built from: :class:`Section`, table headers and helpers.

:mod:`hemei_tools.present.sections` (the region reports) and
:mod:`hemei_tools.present.selection_sections` (the village-selection report) build their
sections from these; the names stay importable from :mod:`hemei_tools.present.sections`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from hemei_tools.catalogue import LabelGroup
from hemei_tools.present import narrative as nv
from hemei_tools.present.style import STATUS_COLOURS

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
    "source_kind",
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
    """

    parts: tuple = ()
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for part in self.parts:
            display(part)

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
    from IPython.display import Markdown

    return Markdown(text)


def _figure(ax) -> Any:
    """The Figure of ``ax``, at report resolution, detached from pyplot (shown once, on display)."""
    fig = ax.figure
    fig.set_dpi(FIGURE_DPI)
    plt.close(fig)
    return fig


def _styler(frame: pd.DataFrame, colours: Mapping[str, Mapping[str, str]] | None = None):
    """A compact Styler: no index, class ``hemei-table``; ``colours`` maps column → value → colour."""
    from pandas.io.formats.style import Styler

    st = (Styler(frame, cell_ids=False).hide(axis="index").set_table_attributes('class="hemei-table"')
          .set_table_styles([{"selector": "td, th", "props": "white-space: nowrap; padding: 2px 6px;"}]))
    for col, table in (colours or {}).items():
        if col in frame.columns:
            st = st.map(lambda v, t=table: f"background-color: {t[v]}; color: #fff" if v in t else "",
                        subset=[col])
    return st


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
