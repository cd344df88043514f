"""What a report notebook shows besides its sections: the title block, the summary for the
renderer, and the interactive explorer for JupyterLab."""

from __future__ import annotations

import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.contract import SUMMARY_MIME, SYNTHETIC_BANNER
from hemei_tools.engine.region import (
    RegionContext,
    analyse_region,
    headline_figures,
    load_report_context,
    report_title,
    summary,
)
from hemei_tools.errors import SectionError
from hemei_tools.inputs.regions import list_counties
from hemei_tools.inputs.store import load_dataset_cached
from hemei_tools.present import sections as sec

__all__ = ["explore", "publish_summary", "show_headline"]


def show_headline(ctx: RegionContext, table: bool = True) -> None:
    """Display the report title, the synthetic-data notice and the headline figures table.

    Also publishes :func:`summary` under :data:`SUMMARY_MIME` for the report pipeline.
    ``table=False`` leaves the figures table out (a report whose next cell shows a richer one).
    """
    from IPython.display import HTML, Markdown, display

    display(Markdown(f"# {report_title(ctx)}"))
    if ctx.synthetic:
        display(Markdown(f"> **{SYNTHETIC_BANNER}**"))
    figures = headline_figures(ctx)
    frame = pd.DataFrame({
        _t("headline.indicator"): [f["label"] for f in figures],
        _t("headline.value"): ["—" if f["value"] is None else f"{f['value']:,}" for f in figures],
        _t("headline.unit"): [f["unit"] for f in figures],
    })
    display(Markdown(f"## {_t('section.headline')}"))
    if table:
        display(HTML(frame.to_html(index=False, classes="hemei-headline", border=0)))
    publish_summary(ctx)


def publish_summary(ctx: RegionContext, figures: list[dict] | None = None) -> None:
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
    """
    from IPython.display import display

    data = summary(ctx)
    if figures is not None:
        data["figures"] = [dict(f) for f in figures]
    display({SUMMARY_MIME: data}, raw=True)


def explore(data_dir: str = "", county_code: str = "", year: int | None = None, indicator_id: str = ""):
    """An interactive explorer for JupyterLab: pick county, year and indicator; the radar, the
    gap bars and the indicator's trend redraw below the controls whenever a choice changes.

    Analyses are built on demand (without the Monte Carlo ranking) and kept per county and
    year, so moving back to a choice is instant.

    Returns
    -------
    ipywidgets.VBox
        The three dropdowns above the output area.
    """
    import ipywidgets as widgets
    from IPython.display import display

    counties = list_counties(data_dir)
    obs = load_dataset_cached(data_dir).observations
    years = sorted(int(y) for y in pd.unique(obs["year"]))
    if not years:
        raise SectionError("the data hold no observations to explore")
    from hemei_tools.catalogue import load_catalogue

    cat = load_catalogue()
    lab = sec._labels(cat)
    codes = [str(c) for c in counties["county_code"]]
    names = [str(n) for n in counties["county_name"]]
    # options before value: ipywidgets validates the value against the options it has so far
    county = widgets.Dropdown(description=_t("explore.county"),
                              options=[(_tf("explore.county_option",
                                            name=n,
                                            code=c), c) for c, n in zip(codes, names, strict=True)],
                              value=county_code if county_code in codes else codes[0])
    year_w = widgets.Dropdown(description=_t("explore.year"), options=years, value=year if year in years else years[-1])
    indicator = widgets.Dropdown(description=_t("explore.indicator"), options=[(lab.name(i), i) for i in cat.scored_ids],
                                 value=indicator_id or cat.scored_ids[0])
    cache: dict = {}

    def draw(county_code: str, year: int, indicator_id: str) -> None:
        key = (county_code, int(year))
        if key not in cache:
            cache[key] = analyse_region(load_report_context(data_dir, county_code, int(year)), n_runs=0)
        a = cache[key]
        for part in (sec.section_index(a), sec.section_gap_table(a), sec.section_trend(a, indicator_id)):
            for fig in part.figures:
                display(fig)

    out = widgets.Output()

    def redraw(_change=None) -> None:
        with out:
            out.clear_output(wait=True)
            draw(county.value, year_w.value, indicator.value)

    # Draw only when a choice changes: the notebook cells above already show the current
    # county, and a headless run (papermill) then sends no Output-widget captures.
    for w in (county, year_w, indicator):
        w.observe(redraw, names="value")
    return widgets.VBox([widgets.HBox([county, year_w, indicator]), out])
