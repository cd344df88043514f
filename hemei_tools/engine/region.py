"""One region's analysis: its context (data, catalogue, year) and every engine result its report shows.

A report is about one *region*: a county-level unit, a city or the province, each named by a
six-digit division code (``340722``, ``340700``, ``340000``;
:func:`hemei_tools.inputs.regions.list_regions`). :func:`load_region_context` loads one into a
frozen :class:`RegionContext`; :func:`analyse_region` runs every engine step its report needs,
once, into a frozen :class:`RegionAnalysis` (unit values, the
:class:`~hemei_tools.engine.composite.IndexResult`, gaps and traffic lights, trends, Monte Carlo
ranks of the villages, imbalance, plan progress and the project ledger); the presentation layer
(:mod:`hemei_tools.present.sections`) only selects, formats and draws from it.
:func:`analyse_selection` does the same for a 精品示范村 application round.

This module imports neither matplotlib nor IPython.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.gaps import STATUSES
from hemei_tools.errors import ReportDataError, SectionError
from hemei_tools.inputs.regions import REGION_DIGITS, _top_regions, list_counties, region_table
from hemei_tools.inputs.store import load_dataset_cached
from hemei_tools.paths import resolve_data_dir

__all__ = ["CHILD_LEVEL", "RegionAnalysis", "RegionContext", "analyse_region", "analyse_selection", "city_name",
           "comparison_frame", "coverage_frame", "gap_frame", "headline_figures", "headline_numbers",
           "load_region_context", "load_report_context", "report_title", "summary", "zhejiang_frame"]


# ---------------------------------------------------------------------------------- context
CENTRAL_TYPES = (_t("vocab.village_type.central"), _t("vocab.village_type.boutique"))


BOUTIQUE_TYPE = _t("vocab.village_type.boutique")
ACCEPTED_STATUS = _t("vocab.build_status.accepted")


_CODE_RE = re.compile(r"^\d{6}$")




@dataclass(frozen=True)
class RegionContext:
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
        return self.region_code[:REGION_DIGITS[self.level]] if self.level in REGION_DIGITS else ""

    @property
    def villages(self) -> pd.DataFrame:
        """Villages of the region (all villages when the context has no region). Selected once
        per context (a report asks some 25 times); each call returns a shallow copy (pandas
        copy-on-write: a caller's change stays its own)."""
        return self._villages.copy(deep=False)

    @functools.cached_property
    def _villages(self) -> pd.DataFrame:
        v = self.dataset.villages
        if self.county_code:
            return v[v["county_code"] == self.county_code]
        inside = v["county_code"].astype(str).str.startswith(self.unit_code)
        return v if inside.all() else v[inside]


def load_region_context(data_dir: str = "", region_code: str = "", year: int = 2023) -> RegionContext:
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
    regions = _regions_of(dataset)
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
    ctx = RegionContext(dataset=dataset, catalogue=load_catalogue(), county_code=county[0], county_name=county[1],
                        year=int(year), synthetic=bool(getattr(dataset, "synthetic", False)), data_dir=path,
                        level=level, region_code=code, region_name=name)
    where = _tf("format.name_code", name=name, code=code)
    _check_observations(dataset, ctx.villages["village_code"], where, int(year), path)
    return ctx


#: :func:`region_table` of each data set loaded through the store, by ``id()`` (with a weak
#: reference telling a live data set from a new object at a reused address).
_REGIONS: dict[int, tuple[weakref.ref, pd.DataFrame]] = {}


def _regions_of(dataset) -> pd.DataFrame:
    """:func:`region_table` of the data set's villages, computed once per data set loaded through
    the store (:func:`hemei_tools.inputs.store.dataset_inputs`: its tables are not changed; a
    report kernel forked after a rehearsal inherits it), else computed; a copy each call."""
    from hemei_tools.inputs.store import dataset_inputs

    hit = _REGIONS.get(id(dataset))
    if hit is not None and hit[0]() is dataset:
        return hit[1].copy()
    regions = region_table(dataset.villages)
    if dataset_inputs(dataset) is not None:
        key = id(dataset)
        _REGIONS[key] = (weakref.ref(dataset, lambda _, key=key: _REGIONS.pop(key, None)), regions)
        return regions.copy()
    return regions


def load_report_context(data_dir: str = "", county_code: str = "", year: int = 2023) -> RegionContext:
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


def headline_figures(ctx: RegionContext) -> list[dict]:
    """Headline figures of the context's unit, as ``{"key", "label", "value", "unit",
    "provenance", "source"}`` rows.

    Village counts follow the design contract: central villages are types 省级中心村 and
    精品示范村 (every boutique village is also a central village); population in 万人 is
    ``sum(population) / 10 000``; 美丽宜居自然村庄 (when the data hold the table) counts the
    built ones (已验收) whose parent village is in the unit.

    ``provenance`` tells a published figure from a computed one (:func:`_provenance`):
    ``published`` (with its ``source``), ``synthetic`` (computed from synthetic per-village
    data) or ``data`` (computed from real data; reports mark nothing then).
    """
    v = ctx.villages
    rows = [
        {"key": "villages", "label": _t("headline.villages"), "value": int(len(v)), "unit": _t("unit.count")},
        {"key": "central_villages", "label": _t("headline.central_villages"), "unit": _t("unit.count"),
         "value": int(v["village_type"].isin(CENTRAL_TYPES).sum()) if "village_type" in v else None},
        {"key": "boutique_villages", "label": _t("headline.boutique_villages"), "unit": _t("unit.count"),
         "value": int((v["village_type"] == BOUTIQUE_TYPE).sum()) if "village_type" in v else None},
        {"key": "population", "label": _t("headline.population"), "unit": _t("unit.ten_thousand_people"),
         "value": round(float(v["population"].sum()) / 1e4, 2) if "population" in v else None},
    ]
    natural = getattr(ctx.dataset, "natural_villages", None)
    if natural is not None and len(natural):  # built 美丽宜居自然村庄 (status 已验收) of the unit
        mine = natural[natural["village_code"].isin(v["village_code"])]
        rows.insert(3, {"key": "natural_villages", "label": _t("headline.natural_villages"), "unit": _t("unit.count"),
                        "value": int((mine["build_status"] == ACCEPTED_STATUS).sum())})
    projects = getattr(ctx.dataset, "projects", pd.DataFrame())
    if not projects.empty and "village_code" in projects:
        p = projects[projects["village_code"].isin(v["village_code"])]
        rows.append({"key": "budget", "label": _t("headline.investment"), "unit": _t("unit.ten_thousand_yuan"),
                     "value": round(float(p["budget_wan"].sum()), 1) if "budget_wan" in p else None})
    return [{**r, **_provenance(ctx, r["key"], r["value"])} for r in rows]


def _provenance(ctx: RegionContext, key: str, value) -> dict[str, str]:
    """Whether a headline figure of synthetic data is a published figure: ``{"provenance", "source"}``.

    On real data every figure is ``data``. On synthetic data a figure is ``published`` when

    * ``villages``: the unit's villages are exactly the official villages of the unit in the
      packaged NBS 2023 division list (the count is then a published fact); or
    * the data set's ``metadata.json`` declares it calibrated to a published total under the
      same key (``calibration.<key>``: ``value``, ``year``, ``source``; e.g. 220 central
      villages, 10 boutique villages) and the unit is the whole data set, the year is the
      report year and the value is the same;

    every other figure is ``synthetic`` (computed from the synthetic per-village data: the
    county split of those totals, population, the ledger's investment).
    """
    if not ctx.synthetic:
        return {"provenance": "data", "source": ""}
    if value is None:
        return {"provenance": "synthetic", "source": ""}
    if key == "villages":
        mine = set(ctx.villages["village_code"].astype(str).unique())
        if mine == _official_villages(ctx.unit_code):
            return {"provenance": "published", "source": _t("provenance.source.divisions")}
        return {"provenance": "synthetic", "source": ""}
    declared = _calibration(ctx).get(key)
    whole = len(ctx.villages) == len(ctx.dataset.villages)
    if (isinstance(declared, dict) and whole and declared.get("year") == ctx.year
            and declared.get("value") is not None and float(declared["value"]) == float(value)):
        return {"provenance": "published", "source": str(declared.get("source", ""))}
    return {"provenance": "synthetic", "source": ""}


@functools.cache
def _official_villages(unit_code: str) -> frozenset:
    """Codes of the official villages of a unit (code prefix) in the packaged division list,
    read once per process and unit."""
    from hemei_tools.inputs.divisions import load_villages

    official = load_villages(None)["village_code"].astype(str)
    return frozenset(official[official.str.startswith(unit_code)].unique())


def _calibration(ctx: RegionContext) -> dict:
    """The ``calibration`` block of the data folder's ``metadata.json`` (``{}`` when none)."""
    import json

    path = Path(ctx.data_dir) / "metadata.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    block = meta.get("calibration", {}) if isinstance(meta, dict) else {}
    return block if isinstance(block, dict) else {}


def city_name(ctx: RegionContext) -> str:
    """Name of the region a county is compared with: its city for a county context, the region
    itself for a city or province context (``全部数据`` for data without one region)."""
    if ctx.level != "county":
        return ctx.region_name or _t("region_name.all_data")
    city = region_table(ctx.villages)
    return str(city.loc[city["level"] == "city", "region_name"].iloc[0])


def report_title(ctx: RegionContext) -> str:
    """Title of the report: ``枞阳县和美乡村建设评估报告（2023年）`` for a county,
    ``安徽省和美乡村建设概览（2023年）`` for a city or the province."""
    if ctx.level == "county":
        return _tf("title.county_report", county_name=ctx.county_name, year=ctx.year)
    return _tf("title.region_overview", region_name=city_name(ctx), year=ctx.year)


def summary(ctx: RegionContext) -> dict:
    """The machine-readable summary published by :func:`show_headline`."""
    return {
        "county_code": ctx.county_code, "county_name": ctx.county_name, "region_code": ctx.region_code,
        "region_name": ctx.region_name, "level": ctx.level, "year": ctx.year,
        "synthetic": ctx.synthetic, "title": report_title(ctx), "figures": headline_figures(ctx),
    }


# ---------------------------------------------------------------------------------- analysis
#: The units a region is made of ("children"), by the region's level.
CHILD_LEVEL: dict[str, str] = {"county": "township", "city": "county", "province": "city"}


@dataclass(frozen=True, eq=False)
class RegionAnalysis:
    """Every engine result a region report shows, computed once by :func:`analyse_region`.

    Attributes
    ----------
    ctx
        The :class:`RegionContext`.
    level, unit_code, unit_name
        The reported unit as unit values name it: ``county`` and the county code, ``city`` and
        the 4-digit city code, or ``province`` and the 2-digit province code.
    city_code, city_name
        The unit a county is compared with, its city; for a city or the province, the unit
        itself (at level :attr:`reference_level`).
    year
        Report year.
    values
        Unit values of every level and year (:func:`hemei_tools.engine.rollup.aggregate_values`) of the
        villages rolled up: a county's city, a city, or the province (with level ``province``).
    result
        :class:`~hemei_tools.engine.composite.IndexResult` of the report year (all levels).
    gaps
        :func:`hemei_tools.engine.gaps.compute_gaps` of the county, city (and province) units in the
        report year.
    status
        :func:`hemei_tools.engine.gaps.rollup_status` of ``gaps`` (tasks and dimensions), the
        dimensions relit by their own score (:func:`hemei_tools.engine.gaps.score_lights`, the
        rules of ``catalogue/traffic_lights.csv``).
    trends
        :func:`hemei_tools.engine.trends.compute_trends` of the county and city units up to the year.
    links
        :func:`hemei_tools.engine.gaps.weakest_links` of the unit, with its trend columns.
    ranks
        Monte Carlo ranks of the unit's villages (:func:`hemei_tools.engine.sensitivity.run_monte_carlo`
        over all villages, ranks recomputed within the unit): ``unit_code``, ``unit_name``,
        ``parent_code``, ``score``, ``nominal``, ``median``, ``p05``, ``p95``, ``top_share``.
    imbalance
        :func:`hemei_tools.engine.imbalance.imbalance_table` of the unit's villages by child unit
        (:data:`CHILD_LEVEL`: township for a county, county for a city, city for the
        province), for the index, dimensions and amount indicators.
    plan
        :func:`hemei_tools.engine.progress.plan_progress` rows of the targets of the unit, its city
        (a county's) or cities (the province's), and the province, each followed by the
        :func:`~hemei_tools.engine.progress.plan_contributions` rows of the parts the report
        shows (a county: itself; a city: its counties); column ``target_region`` names the
        target a contribution row belongs to (empty on a target row).
    zhejiang
        The 浙江对标指数 (:func:`hemei_tools.engine.composite.basis_index` with basis zhejiang) of
        every unit of the report year: the index over only the indicators with a Zhejiang
        figure, scored against those figures.
    composition
        :func:`hemei_tools.engine.goalposts.goalpost_composition` of the build: per dimension (and
        the index), the indicators and weight share by the basis of their benchmark.
    child_ranks
        Monte Carlo ranks of the region's child units among themselves (:func:`_child_ranks`):
        ``unit_code``, ``nominal``, ``median``, ``p05``, ``p95``; empty for a county.
    child_runs
        Monte Carlo runs behind ``child_ranks`` (0 when not run).
    ledger, ledger_total
        :func:`hemei_tools.engine.progress.ledger_summary` of the unit's projects by task and in total
        at the data set's as-of date (empty frames when the data hold no ledger).
    n_runs, seed
        Monte Carlo settings.
    programmes
        :func:`hemei_tools.engine.progress.programme_counts` of the unit and its child units at
        the end of the report year: every programme unit (central, boutique and natural
        villages, 示范县) by status, whether or not a plan targets it.
    designations
        The ``county_designations`` rows of the region's counties up to the report year (示范县
        and county honours; empty when the data hold none).
    as_of
        The data set's one as-of date (:attr:`hemei_tools.inputs.dataset.DataSet.as_of`): the
        ledger counts overdue projects at it, and the plan is judged at the end of the report
        year or at it when earlier.
    """

    ctx: Any
    level: str
    unit_code: str
    unit_name: str
    city_code: str
    city_name: str
    year: int
    values: pd.DataFrame
    result: Any
    gaps: pd.DataFrame
    status: pd.DataFrame
    trends: pd.DataFrame
    links: pd.DataFrame
    ranks: pd.DataFrame
    imbalance: pd.DataFrame
    plan: pd.DataFrame
    ledger: pd.DataFrame
    ledger_total: pd.DataFrame
    n_runs: int
    seed: int
    programmes: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    designations: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    as_of: Any = None
    zhejiang: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    composition: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    child_ranks: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    child_runs: int = 0

    @property
    def catalogue(self):
        """The catalogue of the context."""
        return self.ctx.catalogue

    @property
    def villages(self) -> pd.DataFrame:
        """Villages of the unit."""
        return self.ctx.villages

    @property
    def child_level(self) -> str:
        """Level of the units the region is made of (:data:`CHILD_LEVEL`)."""
        return CHILD_LEVEL[self.level]

    @property
    def reference_level(self) -> str:
        """Level of :attr:`city_code`: ``city`` for a county, the region's own level otherwise."""
        return "city" if self.level == "county" else self.level

    def children(self) -> pd.Series:
        """Names of the region's child units by code (sorted by code), from the unit values."""
        v = self.values
        rows = v[v["level"] == self.child_level]
        if self.level == "county":
            rows = rows[rows["county_code"] == self.unit_code]
        names = rows.drop_duplicates("unit_code").set_index("unit_code")["unit_name"].astype(str)
        names.index = names.index.astype(str)
        return names.sort_index()


def _village_draws(values, catalogue, spec, year, n, seed, benchmarks=None, nominal=None):
    """``(frame, draws)`` of :func:`~hemei_tools.engine.sensitivity.run_monte_carlo` over every
    village rolled up, or ``None`` for ``n < 1``. ``nominal``: the build of ``values`` with
    ``spec`` and ``benchmarks`` (the analysis' own), reused as the nominal build of the villages."""
    from hemei_tools.engine.sensitivity import run_monte_carlo

    if n < 1:
        return None
    return run_monte_carlo(values, catalogue, spec, n=n, seed=seed, level="village", year=year,
                           return_draws=True, benchmarks=benchmarks, nominal=nominal)


def _village_ranks(draws, values, unit_level, unit_code) -> pd.DataFrame:
    """Monte Carlo ranks of the unit's villages, ranked among themselves (1 = best).

    ``draws``: :func:`_village_draws` over every village rolled up (``values``; ``None``: no
    runs, an empty frame); each draw's scores of the unit's villages are ranked within the unit.
    """
    if draws is None:
        return pd.DataFrame(columns=["unit_code", "unit_name", "parent_code", "score", "nominal", "median", "p05",
                                     "p95", "top_share"])
    mc, draws = draws
    if unit_level == "county":
        mc = mc[mc["county_code"].astype(str) == unit_code]
    rows = pd.Index(draws.unit_codes).get_indexer(mc["unit_code"])
    scores = draws.scores[rows]
    ranks = pd.DataFrame(scores).rank(axis=0, method="min", ascending=False, na_option="keep").to_numpy()
    nominal = mc["nominal_score"].rank(method="min", ascending=False).to_numpy()
    with np.errstate(all="ignore"):
        q = np.nanpercentile(ranks, [50, 5, 95], axis=1) if len(ranks) else np.empty((3, 0))
    parents = values.loc[values["level"] == "village"].drop_duplicates("unit_code").set_index("unit_code")
    out = pd.DataFrame({
        "unit_code": mc["unit_code"].to_numpy(),
        "unit_name": mc["unit_name"].to_numpy(),
        "parent_code": mc["unit_code"].map(parents["parent_code"]).to_numpy(),
        "score": mc["nominal_score"].to_numpy(float),
        "nominal": nominal,
        "median": q[0], "p05": q[1], "p95": q[2],
        "top_share": np.nanmean(np.where(np.isnan(ranks), np.nan, ranks <= 10), axis=1) if len(ranks) else [],
    })
    return out.dropna(subset=["score"]).sort_values(["nominal", "unit_code"], kind="stable").reset_index(drop=True)


def _benchmark_model(result, values, catalogue, unit_level, year, child_runs, seed) -> dict:
    """The benchmark model's results of a build: the 浙江对标指数 of every unit, the goalpost
    composition, and the Monte Carlo ranks of the region's child units."""
    from hemei_tools.engine.composite import basis_index
    from hemei_tools.engine.goalposts import goalpost_composition

    child_ranks = _child_ranks(values, catalogue, result.spec, unit_level, year, child_runs, seed)
    return {"zhejiang": basis_index(result, catalogue, "zhejiang"),
            "composition": goalpost_composition(catalogue, result.benchmarks, result.spec.weight_overrides),
            "child_ranks": child_ranks, "child_runs": int(child_runs) if not child_ranks.empty else 0}


def _child_ranks(values, catalogue, spec, unit_level, year, n, seed) -> pd.DataFrame:
    """Monte Carlo ranks of a city's counties or the province's cities among themselves.

    :func:`hemei_tools.engine.sensitivity.run_monte_carlo` at the child level: weights, normaliser,
    aggregator and each indicator's benchmark basis and the reference percentile drawn per
    run. Columns ``unit_code``, ``nominal`` (rank of the nominal build), ``median``, ``p05``,
    ``p95`` (percentiles of the rank over runs); empty for a county report or ``n < 1``.
    """
    from hemei_tools.engine.sensitivity import run_monte_carlo

    cols = ["unit_code", "nominal", "median", "p05", "p95"]
    level = CHILD_LEVEL[unit_level]
    if unit_level == "county" or n < 1 or not ((values["level"] == level) & (values["year"] == year)).any():
        return pd.DataFrame(columns=cols)
    mc = run_monte_carlo(values, catalogue, spec, n=n, seed=seed, level=level, year=year, top_n=1)
    return pd.DataFrame({"unit_code": mc["unit_code"].astype(str).to_numpy(), "nominal": mc["nominal_rank"].to_numpy(),
                         "median": mc["rank_median"].to_numpy(), "p05": mc["rank_p05"].to_numpy(),
                         "p95": mc["rank_p95"].to_numpy()})


def _imbalance(result, values, catalogue, unit_level, unit_code, year) -> pd.DataFrame:
    """Gini, Theil, CV of the unit's villages: index and dimension scores, amount indicators."""
    from hemei_tools.engine.imbalance import imbalance_table

    s = result.scores
    s = s[(s["level"] == "village") & (s["year"] == year) & s["node_level"].isin(["index", "dimension"])]
    v = values[(values["level"] == "village") & (values["year"] == year)]
    if unit_level == "county":
        s = s[s["county_code"] == unit_code]
        v = v[v["county_code"] == unit_code]
    ind = catalogue.indicators
    amounts = ind.loc[ind["scored"] & (ind["value_type"] == "amount"), "indicator_id"].tolist()
    v = v[v["indicator_id"].isin(amounts)]
    parts = []
    if not s.empty:
        s = s[["level", "unit_code", "year", "node", "score"]].assign(child=_child_codes(s, CHILD_LEVEL[unit_level]))
        t = imbalance_table(s, by="child", value_col="score")
        parts.append(t.rename(columns={"node": "code"}))
    if not v.empty:
        v = v[["level", "unit_code", "year", "indicator_id", "value"]].assign(
            child=_child_codes(v, CHILD_LEVEL[unit_level]))
        t = imbalance_table(v, by="child", value_col="value")
        parts.append(t.rename(columns={"indicator_id": "code"}))
    if not parts:
        return pd.DataFrame(columns=["year", "code", "group", "n", "mean", "gini", "theil", "cv"])
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate([catalogue.index_code, *catalogue.dimensions["code"], *amounts])}
    return out.assign(_o=out["code"].map(order)).sort_values(["_o", "group"], kind="stable").drop(
        columns="_o").reset_index(drop=True)


def _child_codes(frame: pd.DataFrame, child_level: str) -> pd.Series:
    """Code of the child unit (township, county or city) holding each village row."""
    if child_level == "township":
        return frame["parent_code"].astype(str)
    county = frame["county_code"].astype(str)
    return county if child_level == "county" else county.str[:4]


def _programme_tables(ctx) -> dict:
    """The optional programme-unit tables of the context's data set, as keyword arguments of
    :func:`hemei_tools.engine.progress.plan_progress`."""
    ds = ctx.dataset
    return {"natural_villages": getattr(ds, "natural_villages", None),
            "designations": getattr(ds, "county_designations", None)}


def _programme_units(ctx, memo: dict | None) -> pd.DataFrame:
    """:func:`hemei_tools.engine.progress.programme_units` of the context's data set, computed
    once per ``memo`` (one :func:`analyse_region` call: the plan, its contributions and the
    programme counts read the same units); shallow copies, so no reader changes another's."""
    from hemei_tools.engine.progress import programme_units

    if memo is None or "units" not in memo:
        tables = _programme_tables(ctx)
        units = programme_units(ctx.dataset.villages, tables["natural_villages"], tables["designations"])
        if memo is None:
            return units
        memo["units"] = units
    return memo["units"].copy(deep=False)


def _plan(ctx, unit_level: str, unit_code: str, year: int, memo: dict | None = None) -> pd.DataFrame:
    """Plan progress rows of the region, the units around it and the province.

    A county shows its city's and the province's targets with its own contribution to each
    city target; a city its own and the province's targets with each county's contribution;
    the province its own and its cities' targets. Every count is at the end of ``year`` or the
    data set's as-of date when earlier, on the accepted basis. Contribution rows follow their
    target.
    """
    from hemei_tools.engine.progress import ProgressError, plan_contributions, plan_progress

    villages = ctx.dataset.villages
    province_code = unit_code[:2]
    tables = _programme_tables(ctx)
    as_of = _data_as_of(ctx)
    try:
        units = _programme_units(ctx, memo)
        pp = plan_progress(villages, ctx.catalogue, year, region_code=province_code, as_of=as_of, units=units,
                           **tables)
    except ProgressError:
        return pd.DataFrame()
    counties = sorted(set(ctx.villages["county_code"].astype(str)))
    keep = {unit_code, province_code} | {
        "county": {unit_code[:4]}, "city": set(), "province": {c[:4] for c in counties}}[unit_level]
    pp = pp[pp["region_code"].astype(str).isin(keep)].reset_index(drop=True)
    # A province target is only judged on data for the whole province: with one city's villages
    # the row shows that city's contribution, with no schedule and no ahead/behind verdict.
    province = (pp["region_code"].astype(str).str.len() == 2) & (pp["status"] != "not started")
    if province.any() and not _covers_province(villages, province_code):
        pp.loc[province, ["expected", "expected_whole", "gap"]] = np.nan
        pp.loc[province, "status"] = "partial"
        pp.loc[province, "shortfall"] = pd.NA
    parts = {"county": [unit_code], "city": counties, "province": []}[unit_level]
    contrib = plan_contributions(villages, parts, ctx.catalogue, year, as_of=as_of, units=units.copy(deep=False),
                                 **tables) if parts else None
    if contrib is None or contrib.empty:
        return pp.assign(target_region="")
    # the parts' shares of the city's targets (a province target seen from one city is the
    # city's share already: its "partial" row)
    # ... of the targets that have started (a programme that has not has no parts to count)
    started = set(pp.loc[pp["status"] != "not started", ["programme", "region_code", "item"]].astype(str)
                  .itertuples(index=False, name=None))
    keep = np.array([(r.programme, r.target_region, r.item) in started for r in contrib.itertuples()], dtype=bool)
    contrib = contrib[keep & (contrib["target_region"] == unit_code[:4]).to_numpy()]
    pp = pp.assign(target_region="", _order=np.arange(len(pp)))
    key = pp.set_index(["programme", "region_code", "item"])["_order"]
    contrib = contrib.assign(_order=[key.get((r.programme, r.target_region, r.item), len(pp))
                                     for r in contrib.itertuples()])
    both = pd.concat([pp, contrib], ignore_index=True)
    both["_part"] = both["target_region"] != ""
    return both.sort_values(["_order", "_part"], kind="stable").drop(columns=["_order", "_part"]).reset_index(
        drop=True)


def _data_as_of(ctx):
    """The data set's one as-of date (:func:`hemei_tools.inputs.dataset.data_as_of`)."""
    from hemei_tools.inputs.dataset import data_as_of

    return data_as_of(ctx.dataset)


def _programmes(ctx, unit_level: str, unit_code: str, year: int, children: list[str],
                memo: dict | None = None) -> pd.DataFrame:
    """Programme units of the unit and its children by item and status at the end of ``year``."""
    from hemei_tools.engine.progress import available_items, programme_counts

    tables = _programme_tables(ctx)
    units = _programme_units(ctx, memo)
    out = programme_counts(units, year, [unit_code, *children], items=available_items(**tables))
    return out.assign(region_level=np.where(out["region_code"] == unit_code, unit_level, CHILD_LEVEL[unit_level]))


def _designations(ctx, year: int) -> pd.DataFrame:
    """County designation rows of the region's counties up to ``year``."""
    d = getattr(ctx.dataset, "county_designations", None)
    if d is None or d.empty:
        return pd.DataFrame()
    counties = set(ctx.villages["county_code"].astype(str))
    d = d[d["county_code"].astype(str).isin(counties) & (pd.to_numeric(d["year"]) <= int(year))]
    return d.sort_values(["county_code", "designation", "year"], kind="stable").reset_index(drop=True)


def _covers_province(villages: pd.DataFrame, province_code: str) -> bool:
    """Whether the villages span every city of the province in the packaged division list."""
    cities = _province_cities(str(province_code))
    have = set(villages["county_code"].astype(str).str[:4].unique())
    return bool(cities) and cities <= have


@functools.cache
def _province_cities(province_code: str) -> frozenset:
    """Codes of the cities of the province in the packaged division list (read once per process)."""
    from hemei_tools.inputs.divisions import load_villages

    cities = set(load_villages(None)["city_code"].astype(str))
    return frozenset(c for c in cities if c.startswith(province_code))


def _ledger(ctx, unit_level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unit's ledger by task and in total, at the data set's one as-of date (the same date
    in every report on the data set, so a city's overdue count is the sum of its counties')."""
    from hemei_tools.engine.progress import ledger_summary

    projects = getattr(ctx.dataset, "projects", pd.DataFrame())
    villages = ctx.villages
    if projects is None or projects.empty:
        return pd.DataFrame(), pd.DataFrame()
    p = projects[projects["village_code"].astype(str).isin(villages["village_code"].astype(str))]
    if p.empty:
        return pd.DataFrame(), pd.DataFrame()
    as_of = _data_as_of(ctx)
    return (ledger_summary(p, villages, by="task_id", as_of=as_of),
            ledger_summary(p, villages, by=(), as_of=as_of))


def _scope_results(ds, cat, spec, level: str, scope: str, year: int, n_runs: int, seed: int, child_runs: int,
                   province_name: str) -> dict[str, Any]:
    """The engine results of :func:`analyse_region` that depend on the villages rolled up (a
    county's whole city, a city, the province) and not on which of its units the report is
    about: ``values``, ``result``, ``gaps``, ``status``, ``trends``, ``village_draws``
    (:func:`_village_draws`) and ``benchmark_model`` (:func:`_benchmark_model`). The reports
    of one city's counties share them (:func:`hemei_tools.engine.memo.shared`)."""
    from hemei_tools.engine.composite import build_index
    from hemei_tools.engine.gaps import compute_gaps, rollup_status, score_lights
    from hemei_tools.engine.rollup import UNIT_LEVELS, aggregate_values
    from hemei_tools.engine.trends import compute_trends

    observations, villages = ds.observations, ds.villages
    inside = villages["county_code"].astype(str).str.startswith(scope)
    if not inside.all():
        villages = villages[inside]
        observations = observations[observations["village_code"].isin(villages["village_code"])]
    levels = UNIT_LEVELS
    if level == "province":
        levels = (*UNIT_LEVELS, "province")
        villages = villages.assign(province_name=province_name)
    values = aggregate_values(observations, villages, cat, levels=levels)
    years = sorted(values.loc[values["value"].notna(), "year"].unique().tolist())
    if year not in years:
        raise SectionError(f"no observations for {year}; years with data: {years}: choose one of them as year")
    if spec.imputation != "locf":
        spec = dataclasses.replace(spec, years=(year,))
    result = build_index(values, cat, spec)
    upper = values[values["level"].isin(["county", "city", "province"])]
    gaps = compute_gaps(upper[upper["year"] == year], result.benchmarks, cat)
    # tasks by their two worst indicators, dimensions by their own score (traffic_lights.csv)
    status = score_lights(rollup_status(gaps, cat), result.scores)
    trends = compute_trends(upper[upper["year"] <= year], result.benchmarks, cat)
    return {"values": values, "spec": spec, "result": result, "gaps": gaps, "status": status, "trends": trends,
            "village_draws": _village_draws(values, cat, spec, year, n_runs, seed, result.benchmarks, result),
            "benchmark_model": _benchmark_model(result, values, cat, level, year, child_runs, seed)}


def analyse_region(ctx, spec=None, n_runs: int = 200, seed: int = 2023, child_runs: int = 500) -> RegionAnalysis:
    """Run every engine step a region report (county, city or province) needs, once.

    What is rolled up: a county's whole city (the county is compared with it and ranked among
    its counties), a city, or the province (all levels up to ``province``). When the data
    hold more than that, only those villages are rolled up and scored. Goalposts come from
    the catalogue alone (:mod:`hemei_tools.engine.goalposts`), so a unit scores the same
    whatever else the data hold.

    Parameters
    ----------
    ctx
        :class:`RegionContext` from
        :func:`load_region_context` (or ``load_report_context``).
    spec
        :class:`~hemei_tools.engine.composite.IndexSpec` (default ``IndexSpec()``). Only the report
        year is scored (all years when the spec carries values forward, ``imputation="locf"``).
    n_runs, seed
        Monte Carlo runs and seed of the village ranking (modest by default to keep a report
        fast; same arguments give identical ranks); ``n_runs=0`` skips the ranking (empty
        ``ranks``), e.g. for interactive exploration.
    child_runs
        Monte Carlo runs of the ranking of the region's child units (a city's counties, the
        province's cities; cheap: a few dozen units), with the same seed; ``0`` skips it.

    Returns
    -------
    RegionAnalysis
        Frozen; see its docstring.

    Raises
    ------
    SectionError
        When the context has no single region (data over several provinces) or the data hold
        no observation for the report year.

    Notes
    -----
    Long because it calls every engine step of a report in order and documents the result; each step is one call.
    """
    from hemei_tools.engine.composite import IndexSpec
    from hemei_tools.engine.gaps import weakest_links
    from hemei_tools.engine.memo import shared

    if ctx.level not in CHILD_LEVEL:
        raise SectionError("the data span several provinces: load a context for one region "
                           "(load_region_context with a region_code)")
    cat = ctx.catalogue
    year = int(ctx.year)
    ds = ctx.dataset
    spec = spec or IndexSpec()
    level, unit_code = ctx.level, ctx.unit_code
    scope = unit_code[:4] if level == "county" else unit_code
    province_name = ctx.region_name if level == "province" else ""
    arguments = {"level": level, "scope": scope, "year": year, "n_runs": int(n_runs), "seed": int(seed),
                 "child_runs": int(child_runs), "province_name": province_name}
    whole = shared("region-scope", ds, cat, spec, arguments,
                   lambda: _scope_results(ds, cat, spec, level, scope, year, n_runs, seed, child_runs, province_name))
    values, spec, result, gaps, status, trends = (whole[k] for k in ("values", "spec", "result", "gaps", "status",
                                                                      "trends"))
    villages = ds.villages
    villages = villages[villages["county_code"].astype(str).str.startswith(scope)]

    unit_name = ctx.county_name if level == "county" else ctx.region_name
    city_code = unit_code[:4] if level == "county" else unit_code
    links = weakest_links(gaps, level, unit_code, year, n=5, catalogue=cat)
    t = trends[(trends["level"] == level) & (trends["unit_code"] == unit_code)].set_index("indicator_id")
    links = links.assign(indicator_id=links["code"], closes=links["code"].map(t["closes"]),
                         year_closes=links["code"].map(t["year_closes"]),
                         trend_class=links["code"].map(t["trend_class"]),
                         target_year=links["code"].map(t["target_year"]))
    ranks = _village_ranks(whole["village_draws"], values, level, unit_code)
    benchmark_model = whole["benchmark_model"]
    imb = _imbalance(result, values, cat, level, unit_code, year)
    memo: dict = {}  # the data set's programme units, read by the plan and the programme counts
    plan = _plan(ctx, level, unit_code, year, memo)
    ledger, ledger_total = _ledger(ctx, level)
    # a county's programme units are counted for the county alone (units have no township)
    children = sorted(set(_child_codes(villages, CHILD_LEVEL[level]))) if level != "county" else []
    programmes = _programmes(ctx, level, unit_code, year, children, memo)
    return RegionAnalysis(ctx=ctx, level=level, unit_code=unit_code, unit_name=unit_name, city_code=city_code,
                          city_name=city_name(ctx), year=year, values=values, result=result, gaps=gaps,
                          status=status, trends=trends, links=links, ranks=ranks, imbalance=imb, plan=plan,
                          ledger=ledger, ledger_total=ledger_total, n_runs=int(n_runs), seed=int(seed),
                          programmes=programmes, designations=_designations(ctx, year), as_of=_data_as_of(ctx),
                          **benchmark_model)


def _scores(a: RegionAnalysis, level: str, node_level: str) -> pd.DataFrame:
    s = a.result.scores
    return s[(s["level"] == level) & (s["node_level"] == node_level) & (s["year"] == a.year)]


def _unit_score(a: RegionAnalysis, node: str, level: str | None = None, code: str | None = None) -> pd.Series:
    s = a.result.scores
    row = s[(s["level"] == (level or a.level)) & (s["unit_code"] == (code or a.unit_code))
            & (s["node"] == node) & (s["year"] == a.year)]
    if row.empty:
        raise SectionError(f"no score of {node} for {code or a.unit_code} in {a.year}")
    return row.iloc[0]


def headline_numbers(a: RegionAnalysis) -> dict[str, Any]:
    """The headline numbers of the unit: index score and rank, city score, dimension scores,
    indicators by traffic light, village counts (from :func:`headline_figures`), the
    浙江对标指数 of the unit and its city (``zhejiang``: ``score``, ``city_score``,
    ``n_indicators``, ``weight_share``; :func:`zhejiang_frame`), and ``n_reached_below_average``:
    indicators rated green against a benchmark below a published Anhui or national average
    (``benchmark_flag``; never to be reported as 达标)."""

    cat = a.catalogue
    idx = _unit_score(a, cat.index_code)
    peers = _scores(a, a.level, "index")
    city = _unit_score(a, cat.index_code, a.reference_level, a.city_code)
    dims = _scores(a, a.level, "dimension")
    dims = dims[dims["unit_code"] == a.unit_code].set_index("node")["score"].reindex(cat.dimensions["code"])
    g = a.gaps[(a.gaps["level"] == a.level) & (a.gaps["unit_code"] == a.unit_code)]
    counts = g["status"].value_counts()
    return {
        "index_score": float(idx["score"]),
        "index_rank": None if pd.isna(idx["rank"]) else int(idx["rank"]),
        "n_peers": int(peers["score"].notna().sum()),
        "city_score": float(city["score"]),
        "dimension_scores": {k: float(v) for k, v in dims.items()},
        "status_counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        "n_scored": int(g["value"].notna().sum()),
        "n_reached_below_average": int(((g["status"] == "green") & (g["benchmark_flag"] == "below_average")).sum()),
        "zhejiang": zhejiang_frame(a).iloc[0].to_dict() if not a.zhejiang.empty else {},
        "figures": headline_figures(a.ctx),
    }


def zhejiang_frame(a: RegionAnalysis) -> pd.DataFrame:
    """The 浙江对标指数 of the unit and, for a county, of its city: one row each (unit first),
    ``level``, ``unit_code``, ``unit_name``, ``score``, ``city_score`` (the city's, on the unit
    row), ``n_indicators``, ``n_basis``, ``weight_share`` (0–1) and ``rank`` (among the units of
    its level in the build)."""
    z = a.zhejiang
    z = z[z["year"] == a.year]
    mine = z[(z["level"] == a.level) & (z["unit_code"].astype(str) == a.unit_code)]
    city = z[(z["level"] == a.reference_level) & (z["unit_code"].astype(str) == a.city_code)]
    out = pd.concat([mine, city] if a.level == "county" else [mine], ignore_index=True)
    out.insert(out.columns.get_loc("score") + 1, "city_score", float(city["score"].iloc[0]) if len(city) else np.nan)
    return out.drop(columns=["parent_code", "county_code", "year"]).reset_index(drop=True)


_GAP_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def gap_frame(a: RegionAnalysis) -> pd.DataFrame:
    """One row per scored indicator of the unit: gap, status, the benchmark's basis and flag
    (``below_average``), and trend (numbers, catalogue order). Built once per analysis (the
    analysis is frozen); each call returns a copy."""
    hit = _GAP_FRAMES.get(a)
    if hit is None:
        hit = _GAP_FRAMES[a] = _gap_frame(a)
    return hit.copy()


def _gap_frame(a: RegionAnalysis) -> pd.DataFrame:
    """:func:`gap_frame`, computed."""
    cat = a.catalogue
    g = a.gaps[(a.gaps["level"] == a.level) & (a.gaps["unit_code"] == a.unit_code)].set_index("indicator_id")
    t = a.trends[(a.trends["level"] == a.level) & (a.trends["unit_code"] == a.unit_code)].set_index("indicator_id")
    ids = cat.scored_ids
    g = g.reindex(ids)
    out = g[["task_id", "dimension_id", "value", "benchmark", "benchmark_region", "benchmark_year",
             "benchmark_kind", "benchmark_basis", "benchmark_flag", "abs_gap", "distance", "status"]].copy()
    tree = cat.indicators.set_index("indicator_id").loc[ids]
    out["task_id"] = tree["task_id"]
    out["dimension_id"] = tree["task_id"].map(cat.framework.set_index("code")["parent"])
    out["benchmark"] = a.result.benchmarks.set_index("indicator_id")["benchmark"].reindex(ids)
    for c in ("trend_class", "closes", "year_closes"):
        out[c] = t[c].reindex(ids) if c in t.columns else np.nan
    return out.rename_axis("indicator_id").reset_index()


#: Bases shown beside a unit's value in the per-indicator comparison (SDG-dashboard style).
COMPARISON_BASES = ("zhejiang", "anhui", "national")


def comparison_frame(a: RegionAnalysis) -> pd.DataFrame:
    """Per scored indicator (catalogue order): the unit's value beside the published Zhejiang,
    Anhui and national figures (the preferred figure of each basis,
    :func:`hemei_tools.engine.goalposts.basis_figures`), and the basis and flag of its benchmark.

    Columns ``indicator_id``, ``value``, ``benchmark_basis``, ``benchmark_flag`` and, for each
    basis b of :data:`COMPARISON_BASES`, ``b_value``, ``b_region``, ``b_year``, ``b_year_label``,
    ``b_kind`` (actual, target, standard: a target is never an actual), ``b_source_title``,
    ``b_source_url`` (NaN where the basis publishes nothing for the indicator).
    """
    from hemei_tools.engine.goalposts import basis_figures

    cat = a.catalogue
    ids = cat.scored_ids
    f = gap_frame(a).set_index("indicator_id").reindex(ids)
    out = pd.DataFrame({"indicator_id": ids, "value": f["value"].to_numpy(dtype=float),
                        "benchmark_basis": f["benchmark_basis"].astype(object).to_numpy(),
                        "benchmark_flag": f["benchmark_flag"].astype(object).fillna("").to_numpy()})
    fig = basis_figures(cat, COMPARISON_BASES)
    for b in COMPARISON_BASES:
        rows = fig[fig["basis"] == b].set_index("indicator_id").reindex(ids)
        for col in ("value", "region", "year", "year_label", "kind", "source_title", "source_url"):
            out[f"{b}_{col}"] = rows[col].to_numpy()
    return out


def coverage_frame(a: RegionAnalysis) -> pd.DataFrame:
    """Per scored indicator of the unit in the report year: villages with a value, villages in
    the unit, coverage (%), and the number of imputed and winsorised values (IndexResult.flags)."""
    cat = a.catalogue
    ids = cat.scored_ids
    v = a.values
    row = v[(v["level"] == a.level) & (v["unit_code"] == a.unit_code) & (v["year"] == a.year)].set_index("indicator_id")
    n_total = len(a.ctx.villages)
    out = pd.DataFrame({"indicator_id": ids})
    out["with_value"] = out["indicator_id"].map(row["n_villages"]).fillna(0).astype(int).to_numpy()
    out["n_total"] = n_total
    out["coverage"] = out["with_value"] / n_total * 100 if n_total else np.nan
    fl = a.result.flags
    codes = set(a.ctx.villages["village_code"].astype(str)) | set(a.ctx.villages["township_code"].astype(str)) | {
        a.unit_code}
    fl = fl[fl["unit_code"].astype(str).isin(codes) & (fl["year"] == a.year)]
    act = fl["action"].astype(str)
    out["imputed"] = out["indicator_id"].map(fl[act.str.startswith("imput")].groupby("indicator_id").size()
                                             ).fillna(0).astype(int).to_numpy()
    out["treated"] = out["indicator_id"].map(fl[act.str.startswith("winsor")].groupby("indicator_id").size()
                                             ).fillna(0).astype(int).to_numpy()
    return out


def analyse_selection(ctx, year: int | None = None, n_runs: int = 1000, seed: int = 2023):
    """Run a 精品示范村 round once for the village-selection report.

    Thin wrapper of :func:`hemei_tools.engine.selection.run_selection` on ``ctx.dataset`` (all
    counties: quotas are city-wide). ``year`` defaults to the latest application round.

    Raises
    ------
    SectionError
        When the data hold no applicant table.
    """
    from hemei_tools.engine.selection import run_selection

    apps = getattr(ctx.dataset, "applicants", None)
    if apps is None or apps.empty:
        raise SectionError(_t("error.no_applicants_section"))
    return run_selection(ctx.dataset, year=year, n=n_runs, seed=seed)
