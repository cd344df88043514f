"""What the report notebooks call: load one county's context and show its headline section.

Notebook cells stay thin: they call the functions here (and, as they land, the section
functions of the engine and chart modules) and never build paths or reshape data. The
functions here also publish a small machine-readable summary (county, year, synthetic flag,
headline figures) as a custom MIME output, which :mod:`hemei_tools.reports` lifts out of the
executed notebook for the banner, the HTML title and the batch index, and then removes.

Data folder resolution (``data_dir=""``): the ``HEMEI_DATA_DIR`` environment variable if set,
else ``data/demo`` under the current directory if it holds data, else a demo data set that
:mod:`hemei_tools.demo` generates once into the user cache folder.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hemei_tools import __version__
from hemei_tools.errors import HemeiError
from hemei_tools.reports import SUMMARY_MIME, SYNTHETIC_BANNER

__all__ = ["SUMMARY_MIME", "SYNTHETIC_BANNER", "ReportContext", "load_report_context", "show_headline",
           "publish_summary", "list_counties", "headline_figures", "resolve_data_dir"]

DEMO_SEED = 2023
CENTRAL_TYPES = ("省级中心村", "精品示范村")
BOUTIQUE_TYPE = "精品示范村"


class ReportDataError(HemeiError):
    """The data for a report cannot be found or does not contain the requested unit."""


@dataclass(frozen=True)
class ReportContext:
    """Everything a report section needs about one county and year.

    Attributes
    ----------
    dataset
        The loaded :class:`hemei_tools.dataset.DataSet` (or a stand-in with the same table
        attributes while the loaders are not installed).
    catalogue
        The indicator catalogue.
    county_code, county_name
        Six-digit county code and its official name; ``""`` for a city-wide context.
    year
        Report year.
    synthetic
        True when any input table is synthetic (demo) data.
    data_dir
        The resolved data folder.
    """

    dataset: object
    catalogue: object
    county_code: str
    county_name: str
    year: int
    synthetic: bool
    data_dir: Path

    @property
    def villages(self) -> pd.DataFrame:
        """Villages of the county (all villages for a city-wide context)."""
        v = self.dataset.villages
        return v if not self.county_code else v[v["county_code"] == self.county_code]


def _demo_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hemei-tools" / f"demo-{__version__}-seed{DEMO_SEED}"


def _has_data(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.suffix.lower() in (".csv", ".parquet", ".xlsx") for p in folder.iterdir()
    )


def generate_demo(out: str | os.PathLike, seed: int = DEMO_SEED) -> Path:
    """Write the synthetic demo data set into ``out`` with :func:`hemei_tools.demo.write_demo`."""
    try:
        from hemei_tools.demo import write_demo
    except ImportError as exc:
        raise ReportDataError(
            "no data folder given and the demo generator hemei_tools.demo is not installed yet: "
            "pass --data DIR (a folder of village tables) or install a version with hemei_tools.demo"
        ) from exc
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_demo(out, seed=seed)
    return out


def resolve_data_dir(data_dir: str | os.PathLike = "") -> Path:
    """The data folder a report reads (see the module docstring for the empty default)."""
    if str(data_dir):
        path = Path(data_dir).expanduser()
        if not path.exists():
            raise ReportDataError(f"data folder {str(path)!r} does not exist: pass an existing folder or file")
        return path.resolve()
    env = os.environ.get("HEMEI_DATA_DIR", "")
    if env:
        return resolve_data_dir(env)
    local = Path("data") / "demo"
    if _has_data(local):
        return local.resolve()
    cache = _demo_cache_dir()
    if not _has_data(cache):
        generate_demo(cache)
    return cache.resolve()


@dataclass(frozen=True)
class _Tables:
    """Stand-in for ``DataSet`` while :mod:`hemei_tools.dataset` is not available."""

    villages: pd.DataFrame
    observations: pd.DataFrame
    projects: pd.DataFrame
    applicants: pd.DataFrame
    synthetic: bool
    files: tuple = ()


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = folder / f"{name}{suffix}"
        if path.exists():
            kwargs = {} if suffix == ".parquet" else {"dtype": {c: str for c in (
                "village_code", "township_code", "county_code", "indicator_id", "task_id")}}
            return reader(path, **kwargs)
    return pd.DataFrame()


def _read_plain(folder: Path) -> _Tables:
    tables = {n: _read_table(folder, n) for n in ("villages", "observations", "projects", "applicants")}
    if tables["villages"].empty:
        raise ReportDataError(f"no villages table (villages.csv or villages.parquet) in {folder}")
    synthetic = any(bool(t["synthetic"].any()) for t in tables.values() if "synthetic" in t)
    return _Tables(synthetic=synthetic, **tables)


def cache_dir() -> Path:
    """Folder of the validated-data cache: ``HEMEI_CACHE_DIR`` or ``~/.cache/hemei-tools``."""
    env = os.environ.get("HEMEI_CACHE_DIR", "")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hemei-tools"


@functools.lru_cache(maxsize=4)
def _load(path: Path):
    """Load and validate a data set, through a pickle cache keyed by the input files' SHA-256.

    Every report kernel is fresh, so without the cache each county report would parse and
    validate the whole data set again; with it only the first one does. The key covers every
    input file's content and the package version, so changed data is never served stale.
    """
    import pickle

    from hemei_tools.provenance import hash_inputs, sha256_text, write_atomic

    try:
        from hemei_tools.dataset import load_dataset
    except ImportError:
        return _read_plain(path)
    key = sha256_text(repr((sorted(hash_inputs(path).items()), __version__, str(path))))
    cached = cache_dir() / "datasets" / f"{key}.pkl"
    if cached.is_file():
        try:
            with open(cached, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # a truncated or incompatible cache entry: rebuild it
            cached.unlink(missing_ok=True)
    dataset = load_dataset(path)
    with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
        write_atomic(cached, pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
        _prune(cached.parent, keep=CACHE_ENTRIES)
    return dataset


#: Validated data sets kept in the cache (the most recently written ones).
CACHE_ENTRIES = 4


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently modified cache entries."""
    entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)


def load_dataset_cached(data_dir: str | os.PathLike = ""):
    """Load (once per process) the data set in ``data_dir`` resolved by :func:`resolve_data_dir`."""
    return _load(resolve_data_dir(data_dir))


def list_counties(data_dir: str | os.PathLike = "") -> pd.DataFrame:
    """Counties present in the data: ``county_code``, ``county_name``, ``n_villages``, sorted by code."""
    v = load_dataset_cached(data_dir).villages
    out = (v.groupby(["county_code", "county_name"], as_index=False)
             .agg(n_villages=("village_code", "size")))
    return out.sort_values("county_code").reset_index(drop=True)


def load_report_context(data_dir: str = "", county_code: str = "", year: int = 2023) -> ReportContext:
    """Load the data and catalogue for one county (or the whole city when ``county_code`` is ``""``).

    Parameters
    ----------
    data_dir
        Data folder or workbook; ``""`` resolves the default demo (module docstring).
    county_code
        Six-digit county code present in the data, or ``""`` for a city-wide context.
    year
        Report year.

    Raises
    ------
    ReportDataError
        When the data folder is missing or the county is not in the data.
    """
    from hemei_tools.catalogue import load_catalogue

    path = resolve_data_dir(data_dir)
    dataset = _load(path)
    county_code = str(county_code or "")
    name = ""
    if county_code:
        counties = list_counties(path)
        row = counties[counties["county_code"] == county_code]
        if row.empty:
            raise ReportDataError(
                f"county {county_code!r} is not in the data at {path}; "
                f"available: {', '.join(counties['county_code'])}"
            )
        name = str(row["county_name"].iloc[0])
    _check_observations(dataset, county_code, int(year), path)
    return ReportContext(
        dataset=dataset, catalogue=load_catalogue(), county_code=county_code, county_name=name,
        year=int(year), synthetic=bool(getattr(dataset, "synthetic", False)), data_dir=path,
    )


def _check_observations(dataset, county_code: str, year: int, path: Path) -> None:
    """Raise when the unit has no observation in ``year`` (a report on nothing is an error)."""
    obs = getattr(dataset, "observations", pd.DataFrame())
    if "year" not in obs or "village_code" not in obs:
        return
    v = dataset.villages
    codes = v.loc[v["county_code"] == county_code, "village_code"] if county_code else v["village_code"]
    here = obs["village_code"].isin(codes) & (obs["year"] == year)
    if not here.any():
        years = sorted(obs.loc[obs["village_code"].isin(codes), "year"].unique().tolist())
        raise ReportDataError(
            f"no observations for {'county ' + county_code if county_code else 'the city'} in {year} "
            f"in {path}; years with data: {', '.join(map(str, years)) or 'none'}"
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
    """Name of the city that holds the data's counties (from the packaged division codes)."""
    from hemei_tools.divisions import load_villages

    if ctx.county_code:
        codes = [str(ctx.county_code)[:4]]
    else:
        codes = ctx.dataset.villages["county_code"].astype(str).str[:4].unique()
    if len(codes) != 1:
        return "全市"
    try:
        return str(load_villages(codes[0])["city_name"].iloc[0])
    except KeyError:
        return "全市"


def report_title(ctx: ReportContext) -> str:
    """Title of the report, e.g. ``枞阳县和美乡村建设评估报告（2023年）``."""
    unit = ctx.county_name or city_name(ctx)
    return f"{unit}和美乡村建设评估报告（{ctx.year}年）"


def summary(ctx: ReportContext) -> dict:
    """The machine-readable summary published by :func:`show_headline`."""
    return {
        "county_code": ctx.county_code, "county_name": ctx.county_name, "year": ctx.year,
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

    from hemei_tools.style import set_theme

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
    for code in list_counties(ctx.data_dir)["county_code"]:
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
