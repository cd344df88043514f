"""What a report notebook shows besides its sections: the title block, the summary for the
renderer, and the interactive explorer for JupyterLab."""

from __future__ import annotations

import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.contract import SUMMARY_MIME, SYNTHETIC_BANNER
from hemei_tools.engine.region import (
    RegionContext,
    city_name,
    headline_figures,
    report_title,
    summary,
)

__all__ = ["explore", "publish_summary", "show_headline", "show_selection_title", "show_title"]


def show_title(ctx: RegionContext) -> None:
    """Display the report title and, on synthetic data, the synthetic-data banner, and publish
    :func:`summary` for the report pipeline (a report notebook's first cell after the analysis).

    One banner, not two: the banner is the Markdown fallback of the summary output itself
    (``{SUMMARY_MIME: summary, "text/markdown": banner}``, :func:`publish_summary` with
    ``banner=True``). JupyterLab and plain nbconvert show it; the report pipeline lifts the
    summary output out of the notebook (:func:`hemei_tools.render.notebooks.extract_summary`)
    and its page template shows the one banner at the top of the page.
    """
    from IPython.display import Markdown, display

    display(Markdown(f"# {report_title(ctx)}"))
    publish_summary(ctx, banner=True)


def show_selection_title(ctx: RegionContext) -> None:
    """Display the village selection's title: its region and application year (label
    ``title.village_selection``, e.g. ``铜陵市和美乡村精品示范村遴选分析（2023年）``), so that its
    page title differs from the region overview's of the same year."""
    from IPython.display import Markdown, display

    display(Markdown(f"# {_tf('title.village_selection', region_name=city_name(ctx), year=ctx.year)}"))


def show_headline(ctx: RegionContext, table: bool = True) -> None:
    """Display the report title, the synthetic-data notice (:func:`show_title`), the 主要数据
    heading and the headline figures table.

    Also publishes :func:`summary` under :data:`SUMMARY_MIME` for the report pipeline.
    ``table=False`` leaves the figures table out (a report whose next cell shows a richer one).
    """
    from IPython.display import HTML, Markdown, display

    show_title(ctx)
    figures = headline_figures(ctx)
    frame = pd.DataFrame({
        _t("headline.indicator"): [f["label"] for f in figures],
        _t("headline.value"): ["—" if f["value"] is None else f"{f['value']:,}" for f in figures],
        _t("headline.unit"): [f["unit"] for f in figures],
    })
    display(Markdown(f"## {_t('section.headline')}"))
    if table:
        display(HTML(frame.to_html(index=False, classes="hemei-headline", border=0)))


def publish_summary(ctx: RegionContext, figures: list[dict] | None = None, banner: bool = False) -> None:
    """Publish the report summary for the pipeline (invisible in the notebook and the page).

    Call it once per report notebook (``show_headline`` does). The batch index shows
    ``figures`` (default :func:`headline_figures`) as columns, and the page title and
    synthetic-data banner come from it.

    Parameters
    ----------
    ctx
        The report context.
    figures
        Headline figures as ``{"key", "label", "value", "unit"}`` dicts (values JSON numbers).
    banner
        On synthetic data, give the output the banner as its ``text/markdown`` fallback
        (:func:`show_title`): shown in JupyterLab, removed with the summary from a report page.
    """
    from IPython.display import display

    from hemei_tools.present.downloads import start_report

    data = summary(ctx)
    # a report starts here: tables and figures are numbered from 1, downloads named after it
    start_report(f"{ctx.region_name}{ctx.year}_")
    if figures is not None:
        data["figures"] = [dict(f) for f in figures]
    bundle = {SUMMARY_MIME: data}
    if banner and ctx.synthetic:
        bundle["text/markdown"] = f"> **{SYNTHETIC_BANNER}**"
    display(bundle, raw=True)


def explore(data_dir: str = "", county_code: str = "", year: int | None = None, indicator_id: str = ""):
    """The interactive explorer's widget (:class:`hemei_tools.present.explorer.Explorer`): county,
    year and indicator dropdowns (first row), a village search and CSV downloads, and the chosen
    county's headline, charts and villages, drawn at once and redrawn on every change.

    Returns
    -------
    ipywidgets.VBox
        :attr:`Explorer.widget <hemei_tools.present.explorer.Explorer.widget>`; build an
        ``Explorer`` instead to keep hold of its parts.
    """
    from hemei_tools.present.explorer import Explorer

    return Explorer(data_dir, county_code, year, indicator_id).widget
