"""The interactive explorer of JupyterLab: pick a county, a year and an indicator, find villages,
take the numbers away.

:class:`Explorer` draws the chosen county at once when it is built (no blank space after "Run
all"), with a one-line headline above the charts (``枞阳县 2023年 和美指数（基准=100）52.7，全市第4/4``),
and redraws when a choice changes:

* a headline: the county's 和美指数 and its rank among the counties of its city;
* the index and its four dimensions, county against city, with the benchmark at 100;
* every scored indicator's distance to its benchmark (0–100 score points, 0 = reached), grouped
  by dimension and coloured and *named* by its traffic light, the chosen indicator marked;
* the chosen indicator over the years, county and city, with its benchmark;
* a village search: the villages whose name, township or code contains the text, with their
  和美指数, rank in the county and value of the chosen indicator;
* CSV downloads of the indicator table and of the matching villages (``data:`` links: no
  server; text cells made inert by :func:`hemei_tools.exports.inert_frame`).

While it redraws, a "计算中…" line shows and the parts being replaced are dimmed, so no stale
chart reads as current; an error (a county without data in a year) replaces the parts with a
one-line message instead of a traceback.

Colours. Every part brings its own white background (:data:`PART_STYLE`; the charts' SVG text
is :data:`~hemei_tools.present.style.INK` unless muted), so each text keeps at least 4.5 : 1
contrast with what is behind it (:data:`MUTED`, :data:`LINK`, :data:`ERROR_TEXT`,
:data:`NOTE_TEXT` on white and on the chosen indicator's :data:`HIGHLIGHT`) whatever the
notebook's theme; the traffic lights are bars named in words beside them, and a light bar
(yellow, orange, grey: under 3 : 1 on white) has the charts' dark edge
(:data:`~hemei_tools.present.style.STATUS_EDGE`).

Speed. A redraw must take at most 0.3 s at Tongling scale and 1 s at Anhui scale
(``benchmarks/bench_explore.py``). :func:`~hemei_tools.engine.region.analyse_region` runs every
engine step of a report (plan, ledger, imbalance, 浙江对标指数, …; about 1.8 s a county-year on
the Tongling demo), and matplotlib needs 0.1–0.5 s a chart, so the explorer does neither:
:class:`ExplorerData` rolls up and scores a whole *city* once, for every year (roll-up,
:func:`~hemei_tools.engine.composite.build_index` and
:func:`~hemei_tools.engine.gaps.compute_gaps`: the steps behind what the explorer shows, with the
same scope and goalposts as ``analyse_region``, so the numbers are the report's), and keeps one
small :class:`CountyView` per county and year; the charts are SVG written here (a few
milliseconds), and only the parts whose inputs changed are redrawn (an indicator change leaves
the headline and the score chart alone).

The class is testable without a browser: build it, set a widget's ``value`` (or call
:meth:`Explorer.select` / :meth:`Explorer.refresh`) and read the widgets' ``value`` strings.
"""

from __future__ import annotations

import base64
import html
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.gaps import BELOW_AVERAGE
from hemei_tools.errors import HemeiError, SectionError
from hemei_tools.exports import inert_frame
from hemei_tools.present import narrative as nv
from hemei_tools.present.section_parts import synthetic_suffix
from hemei_tools.present.style import INK, PALETTE, ROLE_COLOURS, STATUS_COLOURS, STATUS_EDGE

__all__ = ["CountyView", "Explorer", "ExplorerData", "csv_bytes", "download_link", "gaps_chart", "headline_text",
           "indicator_options", "indicator_table", "match_villages", "scores_chart", "trend_chart", "village_table",
           "villages_html"]

#: Parts of the view, in display order, and the choices each depends on (only parts whose
#: choices changed are redrawn).
PARTS: dict[str, tuple[str, ...]] = {
    "headline": ("county", "year"),
    "scores": ("county", "year"),
    "trend": ("county", "year", "indicator"),
    "gaps": ("county", "year", "indicator"),
    "villages": ("county", "year", "indicator", "query"),
    "downloads": ("county", "year", "query"),
}
#: Villages listed under the search box at most (the CSV holds every match).
MAX_VILLAGE_ROWS = 20
#: City builds kept in memory (each holds a city's unit values and scores for every year).
CITY_BUILDS_KEPT = 4
#: Opacity of a part while it is being replaced.
STALE_OPACITY = 0.35
#: Background of every part (the charts' and tables' own, whatever the notebook's theme) and the
#: text colours on it; each text colour reaches at least 4.5 : 1 (WCAG AA) on the page and on the
#: chosen indicator's row highlight (tests/present/test_explorer.py).
PAGE = "#ffffff"
#: Row highlight of the chosen indicator in the gap chart.
HIGHLIGHT = "#fff3c4"
#: Secondary text (axis ticks, hints, "no value"): 7.5 : 1 on the page.
MUTED = "#555555"
#: Link colour of the downloads: 6.7 : 1 on the page.
LINK = "#0b5cad"
#: The status line's error (8.1 : 1) and busy / synthetic-data (6.8 : 1) colours.
ERROR_TEXT, NOTE_TEXT = "#a4000f", "#8a4b00"
#: CSS of a part's box: its own background and text colour, so that a dark notebook theme
#: cannot put the fixed colours of the charts and lines on a dark background.
PART_STYLE = f"background:{PAGE};color:{INK}"


class ExplorerDataError(HemeiError):
    """A county and year the explorer cannot show (no observations)."""


# ---------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class CountyView:
    """What the explorer shows of one county in one year (every number of the view).

    Attributes
    ----------
    county_code, county_name, city_code, city_name, year
        The county (six digits), its city (four digits, as unit values name it) and the year.
    index_score, index_rank, n_peers
        The county's 和美指数, its rank among the counties of its city with a score (1 = best;
        ``None`` when it has no score) and how many those are.
    scores
        Index and dimensions (rows: the catalogue's index code, then its dimensions), columns
        ``county`` and ``city`` (0–100, 100 = benchmark).
    gaps
        One row per scored indicator, catalogue order: ``indicator_id``, ``task_id``,
        ``dimension_id``, ``value`` (the county's), ``city_value``, ``benchmark``, ``distance``
        (0–100 score points, 0 = reached), ``status`` (green … red, ``""`` when missing) and
        ``benchmark_flag`` (``below_average`` for a benchmark below a published average).
    villages
        The county's villages: ``village_code``, ``village_name``, ``township_name``,
        ``score`` (和美指数), ``rank`` (in the county, 1 = best), then one column per scored
        indicator (its value), best first.
    trend
        County and city values of every indicator up to the year: ``role`` (``county`` or
        ``city``), ``year``, ``indicator_id``, ``value``.
    synthetic
        True on synthetic (demo) data.
    """

    county_code: str
    county_name: str
    city_code: str
    city_name: str
    year: int
    index_score: float | None
    index_rank: int | None
    n_peers: int
    scores: pd.DataFrame
    gaps: pd.DataFrame
    villages: pd.DataFrame
    trend: pd.DataFrame
    synthetic: bool


@dataclass(frozen=True)
class _CityBuild:
    """One city rolled up and scored for every year: unit values, scores and gaps (county and
    city levels), with the villages table of the city, the county and city unit values
    (``upper``) and the benchmark of each scored indicator; :meth:`year` slices them by year."""

    values: pd.DataFrame
    scores: pd.DataFrame
    gaps: pd.DataFrame
    villages: pd.DataFrame
    upper: pd.DataFrame
    benchmarks: pd.Series
    _years: dict = field(default_factory=dict)

    def year(self, year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Unit values, scores and gaps of one year (sliced once, then kept)."""
        hit = self._years.get(year)
        if hit is None:
            hit = self._years[year] = tuple(f[(f["year"] == year).to_numpy()]
                                            for f in (self.values, self.scores, self.gaps))
        return hit


class ExplorerData:
    """The data behind :class:`Explorer`: a data set, its counties and years, and the county views.

    Parameters
    ----------
    data_dir
        Data folder or workbook; ``""`` for the bundled demo data.

    Notes
    -----
    A county is compared with its city, as in a county report
    (:func:`~hemei_tools.engine.region.analyse_region`): a city's villages are rolled up
    (:func:`~hemei_tools.engine.rollup.aggregate_values`) and scored once for every year
    (:func:`~hemei_tools.engine.composite.build_index` with the default
    :class:`~hemei_tools.engine.composite.IndexSpec`; goalposts come from the catalogue, and a
    year's scores do not depend on the other years) and their gaps computed
    (:func:`~hemei_tools.engine.gaps.compute_gaps`). The last :data:`CITY_BUILDS_KEPT` city
    builds and every :class:`CountyView` made are kept.
    """

    def __init__(self, data_dir: str | Path = "") -> None:
        from hemei_tools.catalogue import load_catalogue
        from hemei_tools.inputs.regions import region_table
        from hemei_tools.inputs.store import load_dataset_cached
        from hemei_tools.paths import resolve_data_dir

        self.data_dir = resolve_data_dir(str(data_dir or ""))
        self.dataset = load_dataset_cached(self.data_dir)
        self.catalogue = load_catalogue()
        self.synthetic = bool(getattr(self.dataset, "synthetic", False))
        regions = region_table(self.dataset.villages)
        counties = regions[regions["level"] == "county"]
        cities = regions[regions["level"] == "city"].set_index("region_code")["region_name"]
        self.counties = pd.DataFrame({
            "county_code": counties["region_code"].astype(str).to_numpy(),
            "county_name": counties["region_name"].astype(str).to_numpy(),
            "city_code": counties["region_code"].astype(str).str[:4].to_numpy(),
            "city_name": [str(cities.get(p, "")) or str(c)[:4]
                          for p, c in zip(counties["parent_code"].astype(str), counties["region_code"], strict=True)],
        }).sort_values("county_code", ignore_index=True)
        obs_years = self.dataset.observations["year"]
        self.years = sorted(int(y) for y in pd.unique(obs_years.dropna()))
        if not self.years or self.counties.empty:
            raise SectionError("the data hold no observations to explore")
        self._cities: OrderedDict[str, _CityBuild] = OrderedDict()
        self._views: dict[tuple[str, int], CountyView] = {}
        self._obs_rows: dict[str, np.ndarray] | None = None
        self._ids: dict[str, int] | None = None

    # --------------------------------------------------------------------- choices
    def county_options(self) -> list[tuple[str, str]]:
        """Dropdown options ``(label, county_code)`` by code: ``枞阳县（340722）``, or with the city in
        front (``铜陵市 › 枞阳县（340722）``) when the data span several cities."""
        several = self.counties["city_code"].nunique() > 1
        return [(_tf("explore.county_option_city", city=r.city_name, name=r.county_name, code=r.county_code)
                 if several else _tf("explore.county_option", name=r.county_name, code=r.county_code),
                 r.county_code) for r in self.counties.itertuples()]

    def county(self, county_code: str) -> pd.Series:
        """The :attr:`counties` row of a county; :class:`ExplorerDataError` naming those available."""
        rows = self.counties[self.counties["county_code"] == str(county_code)]
        if rows.empty:
            raise ExplorerDataError(f"county {county_code!r} is not in the data; available: "
                                    f"{', '.join(self.counties['county_code'])}")
        return rows.iloc[0]

    # --------------------------------------------------------------------- builds
    def city(self, city_code: str) -> _CityBuild:
        """The city's build (module docstring), made on first use and kept while recently used."""
        build = self._cities.get(city_code)
        if build is None:
            build = self._build_city(city_code)
            self._cities[city_code] = build
            while len(self._cities) > CITY_BUILDS_KEPT:
                self._cities.popitem(last=False)
        self._cities.move_to_end(city_code)
        return build

    def _build_city(self, city_code: str) -> _CityBuild:
        from hemei_tools.engine.composite import IndexSpec, build_index
        from hemei_tools.engine.gaps import compute_gaps
        from hemei_tools.engine.rollup import UNIT_LEVELS, aggregate_values

        cat = self.catalogue
        villages = self.dataset.villages
        obs = self.dataset.observations
        inside = villages["county_code"].astype(str).str.startswith(city_code).to_numpy()
        if not inside.all():
            villages = villages[inside]
            obs = obs.take(self._observation_rows().get(city_code, np.empty(0, dtype=np.intp)))
            obs = obs[obs["village_code"].isin(villages["village_code"]).to_numpy()]
        values = aggregate_values(obs, villages, cat, levels=UNIT_LEVELS)
        result = build_index(values, cat, IndexSpec())
        upper = values[values["level"].isin(["county", "city"]).to_numpy()]
        gaps = compute_gaps(upper, result.benchmarks, cat)
        bm = result.benchmarks
        bench = pd.Series(bm["benchmark"].to_numpy(float), index=bm["indicator_id"].astype(str)).reindex(cat.scored_ids)
        return _CityBuild(values=values, scores=result.scores, gaps=gaps, villages=villages, upper=upper,
                          benchmarks=bench)

    def _observation_rows(self) -> dict[str, np.ndarray]:
        """Row positions of the observations by city (first four digits of the village code),
        found once: a city build then takes its rows instead of filtering every observation."""
        if self._obs_rows is None:
            city = self.dataset.observations["village_code"].astype(str).str.slice(0, 4)
            self._obs_rows = {str(k): np.asarray(v) for k, v in city.groupby(city, sort=False).indices.items()}
        return self._obs_rows

    def view(self, county_code: str, year: int) -> CountyView:
        """The :class:`CountyView` of a county and year (made once, then kept).

        Raises
        ------
        ExplorerDataError
            When the county is not in the data or has no observation in ``year``.
        """
        key = (str(county_code), int(year))
        hit = self._views.get(key)
        if hit is None:
            hit = self._views[key] = self._make_view(*key)
        return hit

    def _make_view(self, county_code: str, year: int) -> CountyView:
        row = self.county(county_code)
        b = self.city(row["city_code"])
        v, _, _ = b.year(year)
        here = (v["county_code"] == county_code).to_numpy()
        if not (here & v["value"].notna().to_numpy()).any():
            raise ExplorerDataError(_tf("explore.no_data", unit=row["county_name"], year=year))
        scores, index_score, index_rank, n_peers = self._scores(b, row, year)
        return CountyView(
            county_code=county_code, county_name=str(row["county_name"]), city_code=str(row["city_code"]),
            city_name=str(row["city_name"]), year=year, index_score=index_score, index_rank=index_rank,
            n_peers=n_peers, scores=scores, gaps=self._gaps(b, row, year), villages=self._villages(b, row, year),
            trend=self._trend(b, row, year), synthetic=self.synthetic)

    def _scores(self, b: _CityBuild, row: pd.Series, year: int):
        cat = self.catalogue
        s = b.year(year)[1]
        s = s[s["node_level"].isin(["index", "dimension"]).to_numpy()]
        county = s[(s["level"] == "county").to_numpy()]
        city = s[(s["level"] == "city").to_numpy() & (s["unit_code"] == row["city_code"]).to_numpy()]
        mine = county[(county["unit_code"] == row["county_code"]).to_numpy()]
        nodes = [cat.index_code, *cat.dimensions["code"]]
        frame = pd.DataFrame({
            "county": mine.set_index(mine["node"].astype(str))["score"].reindex(nodes).to_numpy(float),
            "city": city.set_index(city["node"].astype(str))["score"].reindex(nodes).to_numpy(float),
        }, index=pd.Index(nodes, name="node"))
        index_rows = county[(county["node"] == cat.index_code).to_numpy()]
        n_peers = int(index_rows["score"].notna().sum())
        mine_index = index_rows[(index_rows["unit_code"] == row["county_code"]).to_numpy()]
        score = float(mine_index["score"].iloc[0]) if len(mine_index) else math.nan
        rank = mine_index["rank"].iloc[0] if len(mine_index) else pd.NA
        return (frame, None if math.isnan(score) else score, None if pd.isna(rank) else int(rank), n_peers)

    def _positions(self) -> dict[str, int]:
        """Position of each scored indicator in catalogue order."""
        if self._ids is None:
            self._ids = {iid: k for k, iid in enumerate(self.catalogue.scored_ids)}
        return self._ids

    def _gaps(self, b: _CityBuild, row: pd.Series, year: int) -> pd.DataFrame:
        cat = self.catalogue
        pos = self._positions()
        ids = list(pos)
        g = b.year(year)[2]
        level, unit = g["level"].to_numpy(str), g["unit_code"].to_numpy(str)
        at = np.array([pos.get(i, -1) for i in g["indicator_id"].to_numpy(str)], dtype=np.intp)
        columns = {}
        for name, lvl, code in (("", "county", row["county_code"]), ("city_", "city", row["city_code"])):
            rows = np.flatnonzero((level == lvl) & (unit == code) & (at >= 0))
            for col in ("value", "distance", "status", "benchmark_flag"):
                if name and col != "value":
                    continue
                numeric = col in ("value", "distance")
                out = np.full(len(ids), np.nan if numeric else "", dtype=float if numeric else object)
                cells = g[col].to_numpy(float) if numeric else g[col].astype(object).to_numpy()
                out[at[rows]] = cells[rows]
                if not numeric:
                    out = np.array(["" if pd.isna(x) else str(x) for x in out], dtype=object)
                columns[name + col] = out
        tasks = cat.indicators.set_index("indicator_id")["task_id"].astype(str).reindex(ids)
        parents = cat.framework.set_index("code")["parent"].astype(str)
        return pd.DataFrame({
            "indicator_id": ids, "task_id": tasks.to_numpy(), "dimension_id": tasks.map(parents).to_numpy(),
            "value": columns["value"], "city_value": columns["city_value"], "benchmark": b.benchmarks.to_numpy(float),
            "distance": columns["distance"], "status": columns["status"], "benchmark_flag": columns["benchmark_flag"],
        })

    def _villages(self, b: _CityBuild, row: pd.Series, year: int) -> pd.DataFrame:
        cat = self.catalogue
        pos = self._positions()
        code = row["county_code"]
        vil = b.villages[(b.villages["county_code"].astype(str) == code).to_numpy()]
        codes = vil["village_code"].astype(str).to_numpy()
        where = {c: k for k, c in enumerate(codes)}
        v, s, _ = b.year(year)
        v = v[(v["level"] == "village").to_numpy() & (v["county_code"] == code).to_numpy()]
        r = np.array([where.get(c, -1) for c in v["unit_code"].to_numpy(str)], dtype=np.intp)
        c = np.array([pos.get(i, -1) for i in v["indicator_id"].to_numpy(str)], dtype=np.intp)
        ok = (r >= 0) & (c >= 0)
        grid = np.full((len(codes), len(pos)), np.nan)
        grid[r[ok], c[ok]] = v["value"].to_numpy(float)[ok]
        s = s[(s["level"] == "village").to_numpy() & (s["node"] == cat.index_code).to_numpy()
              & (s["county_code"] == code).to_numpy()]
        scores = pd.Series(s["score"].to_numpy(float), index=s["unit_code"].to_numpy(str)).reindex(codes)
        out = pd.concat([pd.DataFrame({
            "village_code": codes,
            "village_name": vil["village_name"].astype(str).to_numpy(),
            "township_name": vil["township_name"].astype(str).to_numpy() if "township_name" in vil else "",
            "score": scores.to_numpy(float),
            "rank": scores.rank(method="min", ascending=False).astype("Int64").to_numpy(),
        }), pd.DataFrame(grid, columns=list(pos))], axis=1)
        return out.sort_values(["rank", "village_code"], kind="stable", na_position="last", ignore_index=True)

    def _trend(self, b: _CityBuild, row: pd.Series, year: int) -> pd.DataFrame:
        v = b.upper
        v = v[(v["year"] <= year).to_numpy() & v["value"].notna().to_numpy()
              & (((v["level"] == "county").to_numpy() & (v["unit_code"] == row["county_code"]).to_numpy())
                 | ((v["level"] == "city").to_numpy() & (v["unit_code"] == row["city_code"]).to_numpy()))]
        return pd.DataFrame({"role": v["level"].astype(str).to_numpy(), "year": v["year"].to_numpy(int),
                             "indicator_id": v["indicator_id"].astype(str).to_numpy(),
                             "value": v["value"].to_numpy(float)})


def indicator_options(catalogue) -> list[tuple[str, str]]:
    """Dropdown options ``(label, indicator_id)`` of the scored indicators, grouped by dimension
    and task in catalogue order: ``宜居环境美 › 农村人居环境整治 › 卫生厕所普及率``."""
    lab = nv.catalogue_labels(catalogue)
    fw = catalogue.framework
    order = {str(c): i for i, c in enumerate(fw["code"])}
    parents = fw.set_index("code")["parent"].astype(str)
    ind = catalogue.indicators.set_index("indicator_id")
    position = {iid: i for i, iid in enumerate(catalogue.indicator_ids)}
    rows = []
    for iid in catalogue.scored_ids:
        task = str(ind.loc[iid, "task_id"])
        dim = str(parents[task])
        rows.append(((order[dim], order[task], position[iid]),
                     _tf("explore.indicator_option", dimension=lab.name(dim), task=lab.name(task),
                         indicator=lab.name(iid)), iid))
    return [(text, iid) for _, text, iid in sorted(rows)]


# ---------------------------------------------------------------------------------- text
def headline_text(view: CountyView) -> str:
    """The one-line headline: ``枞阳县 2023年 和美指数（基准=100）52.7，全市第4/4`` (label
    ``explore.headline``; the index named by ``headline.index``, one decimal)."""
    values = {"unit": view.county_name, "year": view.year, "index": _t("headline.index")}
    if view.index_score is None:
        return _tf("explore.headline_no_score", **values)
    score = nv.format_number(view.index_score, 1)
    if view.index_rank is None:
        return _tf("explore.headline_no_rank", score=score, **values)
    return _tf("explore.headline", score=score, rank=view.index_rank, n=view.n_peers, **values)


def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _status_word(status: str, flag: str) -> str:
    """The traffic light in words; a reached benchmark below a published average is never 达标."""
    if status == "green" and flag == BELOW_AVERAGE:
        return _t("status.reached_below_average")
    return nv.STATUS_ZH.get(status, "—") if status else "—"


def _status_fill(status: str, flag: str) -> str:
    if status == "green" and flag == BELOW_AVERAGE:
        return STATUS_COLOURS["na"]
    return STATUS_COLOURS.get(status, STATUS_COLOURS["na"])


def _format(catalogue, iid: str, x) -> str:
    _, unit, dec = nv.indicator_format(catalogue, iid)
    return nv.format_value(x, unit, dec)


def _village_value(catalogue, iid: str, x) -> str:
    """A village's value: a yes/no item as 是/否 (stored as 0/100), others with their unit."""
    if pd.isna(x):
        return "—"
    if _value_type(catalogue, iid) == "binary":
        return _t("word.yes") if float(x) > 0 else _t("word.no")
    return _format(catalogue, iid, x)


_VALUE_TYPES: dict[int, tuple[object, dict[str, str]]] = {}


def _value_type(catalogue, iid: str) -> str:
    """The catalogue's ``value_type`` of an indicator (binary, percent, amount, count)."""
    hit = _VALUE_TYPES.get(id(catalogue))
    if hit is None or hit[0] is not catalogue:
        ind = catalogue.indicators
        hit = _VALUE_TYPES[id(catalogue)] = (catalogue, dict(zip(ind["indicator_id"].astype(str),
                                                                  ind["value_type"].astype(str), strict=True)))
    return hit[1].get(iid, "")


# ---------------------------------------------------------------------------------- charts (SVG)
_FONT = "font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    """An SVG chart: its title as a caption line above it and as the accessible name."""
    return (f'<figure style="margin:4px 12px 8px 0;padding:2px 4px;{PART_STYLE};{_FONT}">'
            f'<figcaption style="font-weight:bold;font-size:13px;margin-bottom:2px">{_esc(title)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" fill="{INK}" style="font-size:11px">'
            f'<title>{_esc(title)}</title>{"".join(body)}</svg></figure>')


def _legend(items: list[tuple[str, str, str]], x: float, y: float) -> list[str]:
    """Legend entries ``(kind, colour, text)`` in a row; kind ``box``, ``line`` or ``dash``."""
    out, at = [], x
    for kind, colour, text in items:
        if kind == "box":
            out.append(f'<rect x="{at:.1f}" y="{y - 8:.1f}" width="12" height="9" fill="{colour}"/>')
        else:
            dash = ' stroke-dasharray="4 3"' if kind == "dash" else ""
            out.append(f'<line x1="{at:.1f}" x2="{at + 14:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                       f'stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{at + 18:.1f}" y="{y:.1f}">{_esc(text)}</text>')
        at += 18 + 12 * _text_em(text) + 14
    return out


def _text_em(text: str) -> float:
    """Rough width of ``text`` in em (CJK 1, other characters 0.6)."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in str(text))


def scores_chart(view: CountyView, catalogue) -> str:
    """Bars of the 和美指数 and its dimensions, county beside city, with the benchmark at 100."""
    lab = nv.catalogue_labels(catalogue)
    rows = list(view.scores.index)
    names = [lab.name(n) for n in rows]
    left, bar_w, top, row_h = 12 + 11 * max(_text_em(n) for n in names), 260.0, 26, 30
    width = int(left + bar_w + 52)
    height = top + row_h * len(rows) + 22
    colours = {"county": ROLE_COLOURS["unit"], "city": ROLE_COLOURS["average"]}
    body = _legend([("box", colours["county"], view.county_name), ("box", colours["city"], view.city_name),
                    ("dash", ROLE_COLOURS["benchmark"], _t("chart.benchmark"))], left, 14)
    for i, (node, name) in enumerate(zip(rows, names, strict=True)):
        y0 = top + i * row_h
        weight = ' font-weight="bold"' if node == catalogue.index_code else ""
        body.append(f'<text x="{left - 6:.1f}" y="{y0 + 15}" text-anchor="end"{weight}>{_esc(name)}</text>')
        for j, role in enumerate(("county", "city")):
            x = view.scores.loc[node, role]
            y = y0 + 3 + j * 12
            if pd.isna(x):
                body.append(f'<text x="{left + 2:.1f}" y="{y + 9}" fill="{MUTED}">—</text>')
                continue
            w = bar_w * min(max(float(x), 0.0), 100.0) / 100.0
            who = view.county_name if role == "county" else view.city_name
            body.append(f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="10" fill="{colours[role]}">'
                        f'<title>{_esc(_tf("explore.score_tip", unit=who, name=name, value=nv.format_number(x, 1)))}</title></rect>'
                        f'<text x="{left + w + 3:.1f}" y="{y + 9}">{nv.format_number(x, 1)}</text>')
    x100 = left + bar_w
    body.append(f'<line x1="{x100:.1f}" x2="{x100:.1f}" y1="{top - 4}" y2="{top + row_h * len(rows)}" '
                f'stroke="{ROLE_COLOURS["benchmark"]}" stroke-dasharray="4 3" stroke-width="1.5"/>')
    axis_y = top + row_h * len(rows)
    for t in (0, 25, 50, 75, 100):
        xt = left + bar_w * t / 100
        body.append(f'<line x1="{xt:.1f}" x2="{xt:.1f}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#888"/>'
                    f'<text x="{xt:.1f}" y="{axis_y + 15}" text-anchor="middle" fill="{MUTED}">{t}</text>')
    title = _tf("explore.chart_scores", index=_t("headline.index"), unit=view.county_name, city=view.city_name)
    return _svg(width, height, title, body)


def gaps_chart(view: CountyView, catalogue, selected: str = "") -> str:
    """Every scored indicator's distance to its benchmark (bar from 0, 0–100 score points), grouped
    by dimension, coloured and named by its traffic light; ``selected`` is marked."""
    lab = nv.catalogue_labels(catalogue)
    g = view.gaps
    names = [lab.name(i) for i in g["indicator_id"]]
    left = 12 + 11 * max(_text_em(n) for n in names)
    bar_w, row_h, head_h, top = 240.0, 17, 20, 30
    n_dims = g["dimension_id"].nunique()
    height = int(top + row_h * len(g) + head_h * n_dims + 8)
    width = int(left + bar_w + 250)
    body = []
    for t in (0, 25, 50, 75, 100):
        xt = left + bar_w * t / 100
        body.append(f'<text x="{xt:.1f}" y="{top - 8}" text-anchor="middle" fill="{MUTED}">{t}</text>'
                    f'<line x1="{xt:.1f}" x2="{xt:.1f}" y1="{top - 4}" y2="{height - 6}" stroke="#e3e3e3"/>')
    columns = " · ".join((_t("header.distance"), _t("header.status"), f'{_t("header.value")} / {_t("header.benchmark")}'))
    body.append(f'<text x="{left + bar_w + 20:.1f}" y="{top - 8}" fill="{MUTED}">{_esc(columns)}</text>')
    y = top
    dim = None
    for r, name in zip(g.itertuples(), names, strict=True):
        if r.dimension_id != dim:
            dim = r.dimension_id
            body.append(f'<text x="4" y="{y + 14}" font-weight="bold">{_esc(lab.name(dim))}</text>')
            y += head_h
        if r.indicator_id == selected:
            body.append(f'<rect x="0" y="{y}" width="{width}" height="{row_h}" fill="{HIGHLIGHT}"/>')
        weight = ' font-weight="bold"' if r.indicator_id == selected else ""
        body.append(f'<text x="{left - 6:.1f}" y="{y + 12}" text-anchor="end"{weight}>{_esc(name)}</text>')
        value = _format(catalogue, r.indicator_id, r.value)
        bench = _format(catalogue, r.indicator_id, r.benchmark)
        word = _status_word(r.status, r.benchmark_flag)
        if pd.isna(r.distance):
            body.append(f'<text x="{left + 2:.1f}" y="{y + 12}" fill="{MUTED}">{_esc(_t("explore.no_value"))}</text>')
            y += row_h
            continue
        w = bar_w * min(max(float(r.distance), 0.0), 100.0) / 100.0
        tip = _tf("explore.gap_tip", indicator=name, value=value, benchmark=bench, status=word)
        body.append(f'<rect x="{left:.1f}" y="{y + 3}" width="{max(w, 1.5):.1f}" height="{row_h - 6}" '
                    f'fill="{_status_fill(r.status, r.benchmark_flag)}" stroke="{STATUS_EDGE}" stroke-width="0.8">'
                    f'<title>{_esc(tip)}</title></rect>'
                    f'<text x="{left + bar_w + 8:.1f}" y="{y + 12}">{nv.format_number(r.distance, 1)} · '
                    f'{_esc(word)} · {_esc(value)} / {_esc(bench)}</text>')
        y += row_h
    title = _tf("explore.chart_gaps", unit=view.county_name, year=view.year)
    return _svg(width, height, title, body)


def _nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round tick values covering ``[lo, hi]`` (steps 1, 2, 2.5 or 5 × 10^k)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.array([0.0, 1.0])
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    start, end = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return np.round(np.arange(start, end + step / 2, step), 10)


def trend_chart(view: CountyView, catalogue, indicator_id: str) -> str:
    """The indicator over the years for the county and its city, with its benchmark."""
    name, unit, dec = nv.indicator_format(catalogue, indicator_id)
    t = view.trend[view.trend["indicator_id"] == indicator_id]
    bench = view.gaps.set_index("indicator_id").loc[indicator_id, "benchmark"]
    years = sorted(int(y) for y in t["year"].unique()) or [view.year]
    title = _tf("explore.chart_trend", indicator=f"{name}{_tf('format.unit_suffix', unit=unit)}",
                unit=view.county_name, city=view.city_name, start=years[0], end=years[-1])
    width, height, left, right, top, bottom = 470, 250, 62, 16, 34, 28
    span = [*t["value"].tolist(), *([] if pd.isna(bench) else [float(bench)])]
    ticks = _nice_ticks(min(span, default=0.0), max(span, default=1.0))
    lo, hi = float(ticks[0]), float(ticks[-1])
    x_of = {y: left + (width - left - right) * ((i + 0.5) / len(years)) for i, y in enumerate(years)}

    def y_of(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / ((hi - lo) or 1.0))

    tick_dec = 0 if all(float(k).is_integer() for k in ticks) else max(1, min(dec, 2))
    body = []
    for k in ticks:
        yk = y_of(float(k))
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{yk:.1f}" y2="{yk:.1f}" stroke="#e3e3e3"/>'
                    f'<text x="{left - 5}" y="{yk + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                    f'{nv.format_number(k, tick_dec)}</text>')
    for yr, xv in x_of.items():
        body.append(f'<text x="{xv:.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{MUTED}">{yr}</text>')
    legend = [("line", PALETTE[0], view.county_name), ("line", PALETTE[1], view.city_name)]
    if not pd.isna(bench):
        yb = y_of(float(bench))
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{yb:.1f}" y2="{yb:.1f}" '
                    f'stroke="{ROLE_COLOURS["benchmark"]}" stroke-dasharray="5 3" stroke-width="1.5"/>')
        legend.append(("dash", ROLE_COLOURS["benchmark"],
                       _tf("explore.benchmark_value", value=nv.format_value(bench, unit, dec))))
    for role, colour, who in (("city", PALETTE[1], view.city_name), ("county", PALETTE[0], view.county_name)):
        pts = t[t["role"] == role].sort_values("year")
        xy = [(x_of[int(y)], y_of(float(v)), int(y), v) for y, v in zip(pts["year"], pts["value"], strict=True)]
        if len(xy) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in xy)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, yr, v in xy:
            tip = _tf("explore.trend_point", unit=who, year=yr, value=nv.format_value(v, unit, dec))
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{_esc(tip)}</title></circle>')
    body += _legend(legend, left, 14)
    return _svg(width, height, title, body)


# ---------------------------------------------------------------------------------- villages
def match_villages(view: CountyView, query: str) -> pd.DataFrame:
    """The county's villages whose name, township or code contains ``query`` (case and surrounding
    spaces ignored; every village for an empty query), best first."""
    q = str(query or "").strip().casefold()
    v = view.villages
    if not q:
        return v
    hit = np.zeros(len(v), dtype=bool)
    for col in ("village_name", "township_name", "village_code"):
        hit |= v[col].astype(str).str.casefold().str.contains(q, regex=False).to_numpy()
    return v[hit]


def villages_html(view: CountyView, catalogue, indicator_id: str, query: str) -> str:
    """The search result: a note and up to :data:`MAX_VILLAGE_ROWS` matching villages with their
    和美指数, rank in the county and value of the chosen indicator."""
    q = str(query or "").strip()
    if not q:
        return f'<p style="{PART_STYLE};color:{MUTED};margin:2px 0">{_esc(_tf("explore.search_hint", n=len(view.villages)))}</p>'
    found = match_villages(view, q)
    if found.empty:
        return f'<p style="{PART_STYLE};margin:2px 0">{_esc(_tf("explore.search_none", query=q))}</p>'
    shown = found.head(MAX_VILLAGE_ROWS)
    note = (_tf("explore.search_more", n=len(found), shown=len(shown)) if len(found) > len(shown)
            else _tf("explore.search_count", n=len(found)))
    name, unit, _ = nv.indicator_format(catalogue, indicator_id)
    heads = [_t("header.village"), _t("header.township"), _t("headline.index"), _t("explore.village_rank"),
             f"{name}{_tf('format.unit_suffix', unit=unit)}" if _value_type(catalogue, indicator_id) != "binary"
             else name]
    cell = 'style="padding:2px 10px 2px 0;text-align:{}"'
    rows = "".join(
        "<tr>" + f"<td {cell.format('left')}>{_esc(r.village_name)}</td>"
        f"<td {cell.format('left')}>{_esc(r.township_name)}</td>"
        f"<td {cell.format('right')}>{nv.format_number(r.score, 1)}</td>"
        f"<td {cell.format('right')}>{'—' if pd.isna(r.rank) else int(r.rank)}</td>"
        f"<td {cell.format('right')}>{_esc(_village_value(catalogue, indicator_id, getattr(r, indicator_id)))}</td>"
        "</tr>" for r in shown.itertuples())
    head = "".join(f"<th {cell.format('left' if k < 2 else 'right')}>{_esc(h)}</th>" for k, h in enumerate(heads))
    return (f'<div style="{PART_STYLE}"><p style="margin:2px 0">{_esc(note)}</p><table class="hemei-explore-villages" '
            f'style="border-collapse:collapse;font-size:12px;line-height:1.3"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


# ---------------------------------------------------------------------------------- CSV
def indicator_table(view: CountyView, catalogue) -> pd.DataFrame:
    """The indicator table of the view, as downloaded: dimension, task, indicator, unit, county,
    city, benchmark, distance (points) and traffic light, one row per scored indicator."""
    lab = nv.catalogue_labels(catalogue)
    g = view.gaps
    return pd.DataFrame({
        _t("header.dimension"): [lab.name(d) for d in g["dimension_id"]],
        _t("header.task"): [lab.name(t) for t in g["task_id"]],
        _t("header.indicator"): [lab.name(i) for i in g["indicator_id"]],
        _t("header.unit"): [lab.units[i] for i in g["indicator_id"]],
        view.county_name: g["value"].round(4).to_numpy(),
        view.city_name: g["city_value"].round(4).to_numpy(),
        _t("header.benchmark"): g["benchmark"].to_numpy(),
        _t("header.distance"): g["distance"].round(2).to_numpy(),
        _t("header.status"): [_status_word(s, f) for s, f in zip(g["status"], g["benchmark_flag"], strict=True)],
    })


def village_table(view: CountyView, catalogue, query: str = "") -> pd.DataFrame:
    """The matching villages (:func:`match_villages`), as downloaded: code, village, township,
    和美指数, rank in the county, then every scored indicator (header with its unit; yes/no items
    as 是/否)."""
    lab = nv.catalogue_labels(catalogue)
    v = match_villages(view, query)
    columns = {
        _t("explore.village_code"): v["village_code"].to_numpy(),
        _t("header.village"): v["village_name"].to_numpy(),
        _t("header.township"): v["township_name"].to_numpy(),
        _t("headline.index"): v["score"].round(2).to_numpy(),
        _t("explore.village_rank"): v["rank"].to_numpy(),
    }
    for iid in catalogue.scored_ids:
        name, unit = lab.name(iid), lab.units[iid]
        if _value_type(catalogue, iid) == "binary":
            columns[name] = [_village_value(catalogue, iid, x) for x in v[iid]]
        else:
            columns[f"{name}{_tf('format.unit_suffix', unit=unit)}"] = v[iid].round(4).to_numpy()
    return pd.DataFrame(columns)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as the CSV file a spreadsheet opens: UTF-8 with BOM, CRLF, no index, text
    cells inert (:func:`hemei_tools.exports.inert_frame`: ``=…`` becomes ``'=…``)."""
    return inert_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def download_link(frame: pd.DataFrame, filename: str, text: str) -> str:
    """An ``<a download>`` link holding ``frame`` as a ``data:text/csv`` URI (no server)."""
    data = base64.b64encode(csv_bytes(frame)).decode("ascii")
    return (f'<a download="{_esc(filename)}" href="data:text/csv;charset=utf-8;base64,{data}" '
            f'style="margin-right:16px;{PART_STYLE};color:{LINK};text-decoration:underline">{_esc(text)}</a>')


def downloads_html(view: CountyView, catalogue, query: str) -> str:
    """The two download links of the view: the indicator table and the matching villages."""
    def name(key: str) -> str:
        stem = _tf(key, unit=view.county_name, year=view.year)
        if view.synthetic:
            stem = synthetic_suffix(stem)
        return f"{stem}.csv"

    return (download_link(indicator_table(view, catalogue), name("explore.file_indicators"),
                          _t("explore.download_indicators"))
            + download_link(village_table(view, catalogue, query), name("explore.file_villages"),
                            _t("explore.download_villages")))


# ---------------------------------------------------------------------------------- widget
class Explorer:
    """The explorer widget: county, year and indicator dropdowns, a village search, downloads,
    and the view below them, drawn at once and redrawn on every change (module docstring).

    Parameters
    ----------
    data_dir
        Data folder or workbook; ``""`` for the bundled demo data.
    county_code, year, indicator_id
        The first view (default: the first county by code, the latest year, the first scored
        indicator).
    data
        An :class:`ExplorerData` to share (e.g. between explorers on the same data).

    Attributes
    ----------
    widget
        The ``ipywidgets.VBox`` to display (displaying the explorer shows it): first row the
        county, year and indicator dropdowns, then the search box and download links, the
        status line, the headline, the charts and the village list.
    county, year, indicator, search
        The controls; setting a ``value`` redraws.
    status, headline, scores_chart, trend_chart, gaps_chart, villages, downloads
        ``ipywidgets.HTML`` parts of the view.
    busy
        True while a redraw runs (the status line then reads ``计算中…``).
    timings
        Seconds of every redraw so far (:meth:`refresh`), first the one at construction.
    """

    def __init__(self, data_dir: str = "", county_code: str = "", year: int | None = None,
                 indicator_id: str = "", *, data: ExplorerData | None = None) -> None:
        import ipywidgets as widgets

        self.data = data or ExplorerData(data_dir)
        cat = self.data.catalogue
        codes = list(self.data.counties["county_code"])
        # options before value: ipywidgets validates the value against the options it has so far
        self.county = widgets.Dropdown(description=_t("explore.county"), options=self.data.county_options(),
                                       value=str(county_code) if str(county_code) in codes else codes[0])
        years = self.data.years
        self.year = widgets.Dropdown(description=_t("explore.year"), options=years,
                                     value=int(year) if year is not None and int(year) in years else years[-1])
        options = indicator_options(cat)
        ids = [i for _, i in options]
        self.indicator = widgets.Dropdown(description=_t("explore.indicator"), options=options,
                                          value=indicator_id if indicator_id in ids else ids[0],
                                          layout=widgets.Layout(width="460px"))
        self.search = widgets.Text(description=_t("explore.search"), placeholder=_t("explore.search_placeholder"),
                                   continuous_update=True)
        self.status, self.headline = widgets.HTML(), widgets.HTML()
        self.scores_chart, self.trend_chart = widgets.HTML(), widgets.HTML()
        self.gaps_chart, self.villages, self.downloads = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.widget = widgets.VBox([
            widgets.HBox([self.county, self.year, self.indicator]),
            widgets.HBox([self.search, self.downloads]),
            self.status, self.headline,
            widgets.HBox([self.scores_chart, self.trend_chart], layout=widgets.Layout(flex_flow="row wrap")),
            self.gaps_chart, self.villages,
        ])
        self.busy = False
        self.timings: list[float] = []
        self._drawn: dict[str, tuple] = {}
        self._hold = False
        self.refresh()
        for w in (self.county, self.year, self.indicator, self.search):
            w.observe(self._changed, names="value")

    # --------------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _parts(self) -> dict:
        return {"headline": self.headline, "scores": self.scores_chart, "trend": self.trend_chart,
                "gaps": self.gaps_chart, "villages": self.villages, "downloads": self.downloads}

    def choices(self) -> dict:
        """The current choices: ``county``, ``year``, ``indicator``, ``query``."""
        return {"county": self.county.value, "year": int(self.year.value), "indicator": self.indicator.value,
                "query": self.search.value.strip()}

    # --------------------------------------------------------------------- changes
    def _changed(self, _change=None) -> None:
        if not self._hold:
            self.refresh()

    def select(self, county: str | None = None, year: int | None = None, indicator: str | None = None,
               query: str | None = None) -> None:
        """Change several choices at once, with one redraw."""
        self._hold = True
        try:
            for widget, value in ((self.county, county), (self.year, year), (self.indicator, indicator),
                                  (self.search, query)):
                if value is not None:
                    widget.value = value
        finally:
            self._hold = False
        self.refresh()

    def refresh(self) -> None:
        """Redraw the parts whose choices changed since they were drawn (:data:`PARTS`).

        The status line reads ``计算中…`` and those parts are dimmed while the view is computed and
        drawn; then the status line is emptied. A choice the data cannot show (a county without
        observations in the year) empties those parts and shows the reason on the status line.
        """
        state = self.choices()
        keys = {p: tuple(state[c] for c in deps) for p, deps in PARTS.items()}
        dirty = [p for p in PARTS if self._drawn.get(p) != keys[p]]
        if not dirty:
            return
        start = time.perf_counter()
        parts = self._parts()
        self._begin(dirty, parts)
        try:
            view = self.data.view(state["county"], state["year"])
            for p in dirty:
                parts[p].value = self._render(p, view, state)
                self._drawn[p] = keys[p]
            self.status.value = ""
        except HemeiError as err:
            for p in dirty:
                parts[p].value = ""
                self._drawn.pop(p, None)
            self.status.value = (f'<div style="{PART_STYLE};color:{ERROR_TEXT};font-weight:bold">'
                                 f'{_esc(_tf("explore.error", message=err))}</div>')
        finally:
            self.busy = False
            self.timings.append(time.perf_counter() - start)

    def _begin(self, dirty: list[str], parts: dict) -> None:
        """Busy state: the status line says 计算中… and the parts about to change are dimmed."""
        self.busy = True
        for p in dirty:
            old = parts[p].value
            if old and not old.startswith("<div data-stale"):
                parts[p].value = f'<div data-stale="1" style="opacity:{STALE_OPACITY}">{old}</div>'
        self.status.value = f'<div style="{PART_STYLE};color:{NOTE_TEXT};font-weight:bold">{_esc(_t("explore.busy"))}</div>'

    def _render(self, part: str, view: CountyView, state: dict) -> str:
        cat = self.data.catalogue
        if part == "headline":
            mark = ""
            if view.synthetic:
                mark = (f' <span style="font-size:12px;font-weight:normal;color:{NOTE_TEXT}">'
                        f'{_esc(_t("mark.synthetic"))}</span>')
            return (f'<div style="{PART_STYLE};font-size:17px;font-weight:bold;margin:4px 0">'
                    f'{_esc(headline_text(view))}{mark}</div>')
        if part == "scores":
            return scores_chart(view, cat)
        if part == "trend":
            return trend_chart(view, cat, state["indicator"])
        if part == "gaps":
            return gaps_chart(view, cat, state["indicator"])
        if part == "villages":
            return villages_html(view, cat, state["indicator"], state["query"])
        return downloads_html(view, cat, state["query"])
