"""What the report notebooks call: load one region's context and show its headline section.

A report is about one *region*: a county-level unit, a city or the province, each named by a
six-digit division code (``340722``, ``340700``, ``340000``; :func:`list_regions`).
:func:`load_region_context` loads one; :func:`load_report_context` is the county form kept for
the county report and explore notebooks.

Notebook cells stay thin: they call the functions here (and, as they land, the section
functions of the engine and chart modules) and never build paths or reshape data. The
functions here also publish a small machine-readable summary (county, year, synthetic flag,
headline figures) as a custom MIME output, which :mod:`hemei_tools.render.execute` lifts out of the
executed notebook for the banner, the HTML title and the batch index, and then removes.

Data folder resolution (``data_dir=""``): the ``HEMEI_DATA_DIR`` environment variable if set,
else ``data/demo`` under the current directory if it holds data, else a demo data set that
:mod:`hemei_tools.demo.generate` generates once into the user cache folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hemei_tools.contract import SUMMARY_MIME, SYNTHETIC_BANNER
from hemei_tools.errors import HemeiError
from hemei_tools.inputs.regions import (
    LEVELS,
    _top_regions,
    list_counties,
    list_regions,
    region_table,
)
from hemei_tools.inputs.store import load_dataset_cached
from hemei_tools.paths import resolve_data_dir

__all__ = ["LEVELS", "SUMMARY_MIME", "SYNTHETIC_BANNER", "ReportContext", "ReportDataError", "headline_figures",
           "list_counties", "list_regions", "load_region_context", "load_report_context", "publish_summary",
           "region_table", "resolve_data_dir", "show_headline"]

DEMO_SEED = 2023
CENTRAL_TYPES = ("省级中心村", "精品示范村")
BOUTIQUE_TYPE = "精品示范村"
_CODE_RE = re.compile(r"^\d{6}$")


class ReportDataError(HemeiError):
    """The data for a report cannot be found or does not contain the requested unit."""


@dataclass(frozen=True)
class ReportContext:
    """Everything a report section needs about one region (county, city or province) and year.

    Attributes
    ----------
    dataset
        The loaded :class:`hemei_tools.inputs.dataset.DataSet` (or a stand-in with the same table
        attributes while the loaders are not installed).
    catalogue
        The indicator catalogue.
    county_code, county_name
        Six-digit county code and its official name; ``""`` for a city or province context.
    year
        Report year.
    synthetic
        True when any input table is synthetic (demo) data.
    data_dir
        The resolved data folder.
    level
        ``county``, ``city`` or ``province``. Left empty, it is derived: ``county`` when
        ``county_code`` is set, else the region of the whole data set (:func:`region_table`);
        ``""`` when the data span several provinces.
    region_code, region_name
        Six-digit code (``340722``, ``340700``, ``340000``) and official name of the region
        (``枞阳县``, ``铜陵市``, ``安徽省``); derived with ``level`` when left empty.
    """

    dataset: object
    catalogue: object
    county_code: str
    county_name: str
    year: int
    synthetic: bool
    data_dir: Path
    level: str = ""
    region_code: str = ""
    region_name: str = ""

    def __post_init__(self) -> None:
        if self.level:
            return
        if self.county_code:
            found = ("county", str(self.county_code), str(self.county_name))
        else:
            top = _top_regions(region_table(self.dataset.villages))
            found = (("", "", "") if len(top) != 1 else
                     (str(top["level"].iloc[0]), str(top["region_code"].iloc[0]), str(top["region_name"].iloc[0])))
        for name, value in zip(("level", "region_code", "region_name"), found, strict=True):
            object.__setattr__(self, name, value)

    @property
    def unit_code(self) -> str:
        """The region's code as unit values carry it: ``34``, ``3407`` or ``340722`` (``""``: all data)."""
        return self.region_code[:LEVELS[self.level]] if self.level in LEVELS else ""

    @property
    def villages(self) -> pd.DataFrame:
        """Villages of the region (all villages when the context has no region)."""
        v = self.dataset.villages
        if self.county_code:
            return v[v["county_code"] == self.county_code]
        inside = v["county_code"].astype(str).str.startswith(self.unit_code)
        return v if inside.all() else v[inside]


def load_region_context(data_dir: str = "", region_code: str = "", year: int = 2023) -> ReportContext:
    """Load the data and catalogue for one region: a county, a city or the province.

    Parameters
    ----------
    data_dir
        Data folder or workbook; ``""`` resolves the default demo (module docstring).
    region_code
        Six-digit code of a county (``340722``), city (``340700``) or province (``340000``)
        present in the data (:func:`list_regions`); ``""`` for the whole data set's region
        (the province when the data span several cities, else the city).
    year
        Report year.

    Raises
    ------
    ReportDataError
        When the data folder is missing, the code is not a region of the data (the message
        lists those available), or the region has no observation in ``year``.
    """
    from hemei_tools.catalogue import load_catalogue

    path = resolve_data_dir(data_dir)
    dataset = load_dataset_cached(path)
    regions = region_table(dataset.villages)
    code = str(region_code or "")
    row = _top_regions(regions) if not code else regions[regions["region_code"] == code]
    if len(row) != 1:
        available = "; ".join(f"{c} {n}" for c, n in zip(regions["region_code"], regions["region_name"], strict=True))
        if not code:
            raise ReportDataError(f"the data at {path} span several provinces: pass a region_code; "
                                  f"available: {available}")
        why = "is not six digits" if not _CODE_RE.match(code) else "is not a region of the data"
        raise ReportDataError(f"region_code {code!r} {why} at {path}; available: {available}")
    level, code, name = (str(row[c].iloc[0]) for c in ("level", "region_code", "region_name"))
    county = (code, name) if level == "county" else ("", "")
    ctx = ReportContext(dataset=dataset, catalogue=load_catalogue(), county_code=county[0], county_name=county[1],
                        year=int(year), synthetic=bool(getattr(dataset, "synthetic", False)), data_dir=path,
                        level=level, region_code=code, region_name=name)
    _check_observations(dataset, ctx.villages["village_code"], f"{name}（{code}）", int(year), path)
    return ctx


def load_report_context(data_dir: str = "", county_code: str = "", year: int = 2023) -> ReportContext:
    """Load the data and catalogue for one county (or the whole data set's region when ``county_code`` is ``""``).

    Parameters
    ----------
    data_dir
        Data folder or workbook; ``""`` resolves the default demo (module docstring).
    county_code
        Six-digit county code present in the data, or ``""`` for the whole data set's region
        (:func:`load_region_context` with ``region_code=""``).
    year
        Report year.

    Raises
    ------
    ReportDataError
        When the data folder is missing or the county is not in the data.
    """
    county_code = str(county_code or "")
    if county_code:
        counties = list_counties(data_dir)
        if county_code not in set(counties["county_code"].astype(str)):
            raise ReportDataError(
                f"county {county_code!r} is not in the data at {resolve_data_dir(data_dir)}; "
                f"available: {', '.join(counties['county_code'])}"
            )
    return load_region_context(data_dir, county_code, year)


def _check_observations(dataset, codes: pd.Series, label: str, year: int, path: Path) -> None:
    """Raise when the region's villages (``codes``) have no observation in ``year``."""
    obs = getattr(dataset, "observations", pd.DataFrame())
    if "year" not in obs or "village_code" not in obs:
        return
    mine = obs["village_code"].isin(codes)
    if not (mine & (obs["year"] == year)).any():
        years = sorted(obs.loc[mine, "year"].unique().tolist())
        raise ReportDataError(
            f"no observations for {label} in {year} in {path}; "
            f"years with data: {', '.join(map(str, years)) or 'none'}"
        )


def headline_figures(ctx: ReportContext) -> list[dict]:
    """Headline figures of the context's unit, as ``{"key", "label", "value", "unit"}`` rows.

    Village counts follow the design contract: central villages are types 省级中心村 and
    精品示范村 (every boutique village is also a central village); population in 万人 is
    ``sum(population) / 10 000``.
    """
    v = ctx.villages
    rows = [
        {"key": "villages", "label": "行政村", "value": int(len(v)), "unit": "个"},
        {"key": "central_villages", "label": "省级中心村", "unit": "个",
         "value": int(v["village_type"].isin(CENTRAL_TYPES).sum()) if "village_type" in v else None},
        {"key": "boutique_villages", "label": "精品示范村", "unit": "个",
         "value": int((v["village_type"] == BOUTIQUE_TYPE).sum()) if "village_type" in v else None},
        {"key": "population", "label": "户籍人口", "unit": "万人",
         "value": round(float(v["population"].sum()) / 1e4, 2) if "population" in v else None},
    ]
    projects = getattr(ctx.dataset, "projects", pd.DataFrame())
    if not projects.empty and "village_code" in projects:
        p = projects[projects["village_code"].isin(v["village_code"])]
        rows.append({"key": "budget", "label": "项目投资", "unit": "万元",
                     "value": round(float(p["budget_wan"].sum()), 1) if "budget_wan" in p else None})
    return rows


def city_name(ctx: ReportContext) -> str:
    """Name of the region a county is compared with: its city for a county context, the region
    itself for a city or province context (``全部数据`` for data without one region)."""
    if ctx.level != "county":
        return ctx.region_name or "全部数据"
    city = region_table(ctx.villages)
    return str(city.loc[city["level"] == "city", "region_name"].iloc[0])


def report_title(ctx: ReportContext) -> str:
    """Title of the report: ``枞阳县和美乡村建设评估报告（2023年）`` for a county,
    ``安徽省和美乡村建设概览（2023年）`` for a city or the province."""
    if ctx.level == "county":
        return f"{ctx.county_name}和美乡村建设评估报告（{ctx.year}年）"
    return f"{city_name(ctx)}和美乡村建设概览（{ctx.year}年）"


def summary(ctx: ReportContext) -> dict:
    """The machine-readable summary published by :func:`show_headline`."""
    return {
        "county_code": ctx.county_code, "county_name": ctx.county_name, "region_code": ctx.region_code,
        "region_name": ctx.region_name, "level": ctx.level, "year": ctx.year,
        "synthetic": ctx.synthetic, "title": report_title(ctx), "figures": headline_figures(ctx),
    }


def show_headline(ctx: ReportContext, table: bool = True) -> None:
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
        "指标": [f["label"] for f in figures],
        "数值": ["—" if f["value"] is None else f"{f['value']:,}" for f in figures],
        "单位": [f["unit"] for f in figures],
    })
    display(Markdown("## 主要数据"))
    if table:
        display(HTML(frame.to_html(index=False, classes="hemei-headline", border=0)))
    publish_summary(ctx)


def publish_summary(ctx: ReportContext, figures: list[dict] | None = None) -> None:
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


def village_type_counts(ctx: ReportContext) -> pd.DataFrame:
    """Villages per township and type: ``township_name`` × village type, counts (个)."""
    v = ctx.villages
    return pd.crosstab(v["township_name"], v["village_type"]).rename_axis(index="乡镇", columns="村庄类型")


def show_village_structure(ctx: ReportContext) -> None:
    """Show the village structure: a stacked bar chart per township and the table beneath it."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, display

    from hemei_tools.present.style import set_theme

    set_theme()
    counts = village_type_counts(ctx)
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(counts) + 1.2), dpi=80)
    counts.plot.barh(stacked=True, ax=ax)
    ax.set_xlabel("行政村（个）")
    ax.set_ylabel("")
    ax.legend(title="村庄类型", loc="lower right")
    fig.tight_layout()
    plt.show()
    display(HTML(counts.to_html(border=0)))


def show_county_table(ctx: ReportContext) -> None:
    """City-wide table of counties with their headline figures (one row per county)."""
    from IPython.display import HTML, display

    rows = []
    for code in sorted(ctx.villages["county_code"].astype(str).unique()):
        sub = ReportContext(ctx.dataset, ctx.catalogue, code, "", ctx.year, ctx.synthetic, ctx.data_dir)
        names = ctx.dataset.villages.loc[ctx.dataset.villages["county_code"] == code, "county_name"]
        figs = {f["label"]: f["value"] for f in headline_figures(sub)}
        rows.append({"县区代码": code, "县区": names.iloc[0], **figs})
    display(HTML(pd.DataFrame(rows).to_html(index=False, border=0)))


def show_explorer(ctx: ReportContext) -> object:
    """Interactive control for JupyterLab: pick a county and a year, the main views redraw.

    Returns the ``ipywidgets`` container (displayed by the cell), or ``None`` with a note when
    ipywidgets is not installed. Nothing is drawn until a choice changes (the cells above show
    the current county), so a headless run (papermill) sends no Output-widget captures.
    """
    from IPython.display import Markdown, clear_output, display

    try:
        import ipywidgets as w
    except ImportError:
        display(Markdown("（安装 ipywidgets 后可交互选择县区和年份：`pip install ipywidgets`）"))
        return None
    counties = list_counties(ctx.data_dir)
    obs = getattr(ctx.dataset, "observations", pd.DataFrame())
    years = sorted(int(y) for y in obs["year"].unique()) if "year" in obs else [ctx.year]
    county = w.Dropdown(options=list(zip(counties["county_name"], counties["county_code"], strict=True)),
                        value=ctx.county_code or counties["county_code"].iloc[0], description="县区")
    year = w.Dropdown(options=years, value=ctx.year if ctx.year in years else years[-1], description="年份")
    out = w.Output()

    def redraw(*_):
        with out:
            clear_output(wait=True)
            sub = load_report_context(str(ctx.data_dir), county.value, int(year.value))
            show_headline(sub)
            show_village_structure(sub)

    county.observe(redraw, names="value")
    year.observe(redraw, names="value")
    return w.VBox([w.HBox([county, year]), w.HTML("选择县区或年份后，下方重新绘制。"), out])
