"""Report sections on published figures: years behind Zhejiang, and 公开数据对比.

:func:`section_catchup` places the unit's (and its children's) rural income on Zhejiang's
published year series (:mod:`hemei_tools.engine.catchup`, series and settings from
``catalogue/published_facts.csv`` and ``catalogue/catchup_series.csv``), beside the units'
own *published* figures, and says for each row which year Zhejiang had that level
("相当于浙江约2015年水平，落后约8年"), with the interpolation, the income basis and the year of
the value. Rows from the data are marked 模拟 when the data are synthetic; published rows
公开数据 with their source.

:func:`section_published_facts` shows only published, sourced figures about the unit, its
city or cities, Anhui and Zhejiang (``published_facts.csv``): incomes, urban-rural income
ratios, villages meeting the programme standard, programme pace and investment, each with its
year, source, publisher, source kind (转载 beside a repost-only figure) and caveat. It reads
nothing from the village data, so it carries no synthetic mark. It draws no chart: its incomes
over the years are the published points of :func:`section_catchup`'s chart, which shows them on
Zhejiang's series beside the data units (a second chart of the same points, without the data
units, only repeated it under the same title).

Both take the :class:`~hemei_tools.engine.region.RegionAnalysis` ``a`` and return a
:class:`~hemei_tools.present.section_parts.Section`; :func:`plot_year_series` draws their chart
(``ax=None``, returns the Axes).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from hemei_tools.catalogue import (
    PUBLISHED_TOPICS,
    LabelGroup,
    load_catchup_series,
    load_published_facts,
)
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.catchup import benchmark_series, years_behind
from hemei_tools.engine.region import RegionAnalysis
from hemei_tools.present import narrative as nv
from hemei_tools.present.section_parts import (
    HEADERS,
    SOURCE_KIND_ZH,
    Section,
    _figure,
    _md,
    _styler,
    published_section,
    published_table,
    report_section,
)
from hemei_tools.present.style import PALETTE, ROLE_COLOURS, register_cjk_font

__all__ = ["CATCHUP_HEADERS", "TOPIC_ZH", "plot_year_series", "section_catchup", "section_published_facts"]

#: Topic names of ``published_facts.csv`` (labels ``published.topic.<topic>``), the ids of
#: :data:`hemei_tools.catalogue.PUBLISHED_TOPICS` written out (the wording test reads them).
TOPIC_ZH = LabelGroup("published.topic", ("rural_income", "income_ratio", "village_standard", "pace", "investment"))
#: Column headers of the catch-up table beyond :data:`~hemei_tools.present.section_parts.HEADERS`.
CATCHUP_HEADERS = LabelGroup("catchup.header", ("origin", "value", "same_year", "equivalent", "behind", "bracket"))
#: Where a row's value comes from: a published figure, synthetic data, or real local data.
ORIGINS = ("published", "synthetic", "data")
#: Colour of the synthetic-data mark drawn inside a chart.
MARK_COLOUR = "#9a4a00"

# ---------------------------------------------------------------------------------- scope


def _code6(code: str) -> str:
    """A unit code as a six-digit division code: ``3407`` → ``340700``, ``34`` → ``340000``."""
    return str(code).ljust(6, "0")


def _data_units(a: RegionAnalysis) -> list[tuple[str, str, str]]:
    """``(level, unit_code, role)`` of the data units a report compares: the unit itself, then a
    county's city, or a city's counties, or the province's cities."""
    units = [(a.level, a.unit_code, "unit")]
    if a.level == "county":
        return units + [("city", a.city_code, "parent")]
    child = {"city": "county", "province": "city"}.get(a.level)
    if child is None:
        return units
    v = a.values[a.values["level"] == child]
    codes = sorted({str(c) for c in v["unit_code"].astype(str) if c.startswith(a.unit_code)})
    return units + [(child, c, "child") for c in codes]


def _local_regions(a: RegionAnalysis) -> list[str]:
    """Six-digit codes whose published figures a report shows, in display order: the unit, its
    children in the data (a city's counties, the province's cities), then its city (a county's)
    and its province."""
    codes = [_code6(code) for _, code, role in _data_units(a) if role != "parent"]
    if a.level == "county":
        codes.append(_code6(a.city_code))
    if a.level != "province":
        codes.append(_code6(a.unit_code[:2]))
    return list(dict.fromkeys(codes))


def _outside(facts: pd.DataFrame, a: RegionAnalysis) -> pd.Series:
    """Mask of the facts about regions outside the data's province (the benchmark region)."""
    return ~facts["region_code"].astype(str).str.startswith(a.unit_code[:2])


# ---------------------------------------------------------------------------------- formatting


def _value_text(value: float, unit: str, decimals: int, qualifier: str = "", source_kind: str = "") -> str:
    """A published value as the reports print it: unit, qualifier (约/不少于/超过), 转载 mark."""
    text = nv.format_value(value, unit, decimals)
    if qualifier:
        text = _tf(f"published.qualifier.{qualifier}", value=text)
    return _tf("appendix.repost_figure", value=text) if source_kind == "repost" else text


def _source_link(title: str, url: str):
    """The source title as a link (markupsafe ``Markup`` with escaped parts, so an escaping table
    keeps it a link); the bare title when there is no URL."""
    from markupsafe import Markup

    return Markup('<a href="{}">{}</a>').format(url, title) if str(url).startswith("http") else str(title)


def _links(titles, urls) -> pd.Series:
    """A table column of :func:`_source_link` cells (object dtype keeps the ``Markup``)."""
    return pd.Series([_source_link(t, u) for t, u in zip(titles, urls, strict=True)], dtype=object)


def _kind_text(kind: str, derivation: str) -> str:
    word = _t(f"published.kind.{kind}")
    if not derivation:
        return word
    shown = derivation.replace(" * ", " × ").replace(" / ", " ÷ ")
    return _tf("published.kind.derived", kind=word, derivation=shown)


# ---------------------------------------------------------------------------------- catch-up records


def _published_rows(facts: pd.DataFrame, topic: str, basis: str, regions: Sequence[str]) -> pd.DataFrame:
    rows = facts[(facts["topic"] == topic) & (facts["basis"] == basis) & (facts["kind"] == "actual")
                 & facts["region_code"].isin(list(regions))]
    order = {c: i for i, c in enumerate(regions)}
    return rows.assign(_order=rows["region_code"].map(order)).sort_values(["_order", "year"]).drop(columns="_order")


def _catchup_records(a: RegionAnalysis, cfg: pd.Series, facts: pd.DataFrame) -> tuple[list[dict], pd.DataFrame]:
    """The rows of one catch-up topic: data units (value in the report year) and the local
    published figures, each placed on the benchmark series; and the series' facts."""
    topic, basis, direction = str(cfg["topic"]), str(cfg["basis"]), int(cfg["direction"])
    zj = facts[(facts["topic"] == topic) & (facts["region_code"] == cfg["benchmark_region_code"])
               & (facts["basis"] == basis) & (facts["kind"] == "actual")].sort_values("year")
    series = benchmark_series(facts, topic, cfg["benchmark_region_code"], basis)
    records: list[dict] = []
    iid = str(cfg["indicator_id"])
    cat = a.catalogue
    if iid and iid in set(cat.indicator_ids):
        v = a.values[(a.values["indicator_id"].astype(str) == iid) & (a.values["year"] == a.year)]
        origin = "synthetic" if a.ctx.synthetic else "data"
        decimals, unit = int(cat.indicator(iid)["decimals"]), str(cat.indicator(iid)["unit"])
        for level, code, role in _data_units(a):
            row = v[(v["level"].astype(str) == level) & (v["unit_code"].astype(str) == code)]
            if row.empty or pd.isna(row["value"].iloc[0]):
                continue
            value = float(row["value"].iloc[0])
            records.append({"topic": topic, "origin": origin, "role": role, "level": level, "unit_code": code,
                            "region_code": _code6(code),
                            "name": str(row["unit_name"].iloc[0]), "year": int(a.year), "value": value,
                            "unit": unit, "decimals": decimals, "fact_id": "", "source_title": "", "source_url": "",
                            "publisher": "", "source_kind": "",
                            **_catchup_fields(value, int(a.year), series, direction, cfg["interpolation"])})
    for _, f in _published_rows(facts, topic, basis, _local_regions(a)).iterrows():
        records.append({"topic": topic, "origin": "published", "role": "published", "level": "",
                        "unit_code": f["region_code"], "region_code": f["region_code"],
                        "name": f["region_zh"], "year": int(f["year"]), "value": float(f["value"]),
                        "unit": f["unit"], "decimals": int(f["decimals"]), "fact_id": f["fact_id"],
                        "source_title": f["source_title"], "source_url": f["source_url"],
                        "publisher": f["publisher"], "source_kind": f["source_kind"],
                        **_catchup_fields(float(f["value"]), int(f["year"]), series, direction, cfg["interpolation"])})
    return records, zj


def _catchup_fields(value: float, year: int, series: pd.Series, direction: int, interpolation: str) -> dict:
    c = years_behind(value, year, series, direction, interpolation).to_dict()
    return {k: val for k, val in c.items() if k not in ("value", "year")}


def _zj_value(zj: pd.DataFrame, year, inner: bool = False) -> str:
    """Zhejiang's published value of ``year`` as printed, ``—`` if none; a repost says 转载, in
    brackets (``40,311元（转载）``) or, for a value already inside brackets (``inner``), after a
    comma (``40,311元，转载``)."""
    row = zj[zj["year"] == year]
    if row.empty:
        return "—"
    r = row.iloc[0]
    if inner and r["source_kind"] == "repost":
        return _tf("catchup.repost_inner", value=_value_text(r["value"], r["unit"], int(r["decimals"]), r["qualifier"]))
    return _value_text(r["value"], r["unit"], int(r["decimals"]), r["qualifier"], r["source_kind"])


def _origin_text(rec: dict) -> str:
    if rec["origin"] == "published":
        repost = _t("catchup.repost") if rec["source_kind"] == "repost" else ""
        return _tf("catchup.origin_text.published", publisher=rec["publisher"], repost=repost)
    return _t(f"catchup.origin_text.{rec['origin']}")


def _lag_text(n: int) -> str:
    if n > 0:
        return _tf("catchup.lag.behind", n=n)
    if n < 0:
        return _tf("catchup.lag.ahead", n=-n)
    return _t("catchup.lag.level")


def _catchup_sentence(rec: dict, indicator: str, zj: pd.DataFrame, interpolation: str) -> str:
    """One sentence from one catch-up record (every number in it is a field of the record or a
    published Zhejiang value of the series)."""
    common = {"name": rec["name"], "year": rec["year"], "indicator": indicator, "origin": _origin_text(rec),
              "value": nv.format_value(rec["value"], rec["unit"], rec["decimals"])}
    if rec["status"] == "before_start":
        return _tf("catchup.sentence.before_start", start=rec["start_year"],
                   start_value=_zj_value(zj, rec["start_year"], inner=True), lag=rec["min_years_behind"], **common)
    if rec["status"] == "beyond_latest":
        return _tf("catchup.sentence.beyond_latest", latest=rec["lower_year"],
                   latest_value=_zj_value(zj, rec["lower_year"]), **common)
    if rec["lower_year"] == rec["upper_year"]:
        bracket = _tf("catchup.bracket.one", lower=rec["lower_year"],
                     lower_value=_zj_value(zj, rec["lower_year"], inner=True))
    else:
        bracket = _tf("catchup.bracket.two", lower=rec["lower_year"],
                      lower_value=_zj_value(zj, rec["lower_year"], inner=True), upper=rec["upper_year"],
                      upper_value=_zj_value(zj, rec["upper_year"], inner=True),
                      interpolation=_t(f"catchup.interpolation.{interpolation}"))
    return _tf("catchup.sentence.reached", bracket=bracket, equivalent=rec["rounded_year"],
               lag=_lag_text(rec["rounded_behind"]), **common)


def _catchup_cells(rec: dict, zj: pd.DataFrame) -> tuple[str, str, str]:
    """(相当于浙江, 落后年数, 插值区间) cells of one record."""
    if rec["status"] == "before_start":
        return (_tf("catchup.cell.before_start", year=rec["start_year"]),
                _tf("catchup.cell.behind_at_least", n=rec["min_years_behind"]), "—")
    if rec["status"] == "beyond_latest":
        return _tf("catchup.cell.beyond_latest", year=rec["lower_year"]), "—", "—"
    n = rec["rounded_behind"]
    behind = (_tf("catchup.cell.behind", n=n) if n > 0 else _tf("catchup.cell.ahead", n=-n) if n < 0
              else _t("catchup.cell.level"))
    bracket = (str(rec["lower_year"]) if rec["lower_year"] == rec["upper_year"]
               else _tf("catchup.cell.bracket", lower=rec["lower_year"], upper=rec["upper_year"]))
    return _tf("catchup.cell.equivalent", year=rec["rounded_year"]), behind, bracket


def _catchup_table(records: list[dict], indicator: str, zj: pd.DataFrame) -> pd.DataFrame:
    cells = [_catchup_cells(r, zj) for r in records]
    return pd.DataFrame({
        HEADERS["region"]: [r["name"] for r in records],
        CATCHUP_HEADERS["origin"]: [_t(f"catchup.origin.{r['origin']}") for r in records],
        HEADERS["indicator"]: [indicator] * len(records),
        HEADERS["year"]: [r["year"] for r in records],
        CATCHUP_HEADERS["value"]: [_value_text(r["value"], r["unit"], r["decimals"], "", r["source_kind"]) for r in records],
        CATCHUP_HEADERS["same_year"]: [_zj_value(zj, r["year"]) for r in records],
        CATCHUP_HEADERS["equivalent"]: [c[0] for c in cells],
        CATCHUP_HEADERS["behind"]: [c[1] for c in cells],
        CATCHUP_HEADERS["bracket"]: [c[2] for c in cells],
        HEADERS["source"]: pd.Series([_source_link(r["source_title"], r["source_url"]) if r["origin"] == "published"
                                      else "—" for r in records], dtype=object),
    })


# ---------------------------------------------------------------------------------- chart


def plot_year_series(series: pd.Series, points: pd.DataFrame, benchmark_label: str, y_label: str = "",
                     interpolation: str = "linear", equivalence: bool = True, mark: str | None = None,
                     ax: Axes | None = None) -> Axes:
    """A benchmark region's published year series with units' values placed beside it.

    Parameters
    ----------
    series
        The benchmark region's values by year (:func:`hemei_tools.engine.catchup.benchmark_series`),
        drawn as a marker at each published year joined by the interpolation between them.
    points
        One row per unit value: ``label``, ``year``, ``value``, ``origin`` (``published`` drawn
        as a filled square, otherwise a hollow diamond) and, for ``equivalence``, ``status`` and
        ``equivalent_year`` (:func:`~hemei_tools.engine.catchup.years_behind`).
    benchmark_label, y_label
        Legend entry of the series and the y-axis label.
    interpolation
        ``linear`` or ``log`` (constant growth between published years), as the catch-up uses.
    equivalence
        Draw, for each point the benchmark region reached, a dotted line from the year it had
        that level (t*) to the point's year: its length is the lag.
    mark
        A text written inside the plot area, top left (the synthetic-data mark); None: none.
    ax
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    register_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    years, values = series.index.to_numpy(int), series.to_numpy(float)
    t = np.linspace(years[0], years[-1], 20 * (years[-1] - years[0]) + 1) if len(years) > 1 else years
    curve = (np.exp(np.interp(t, years, np.log(values))) if interpolation == "log" and (values > 0).all()
             else np.interp(t, years, values))
    ax.plot(t, curve, lw=1.6, color=ROLE_COLOURS["benchmark"], label=benchmark_label)
    ax.plot(years, values, ls="none", marker="o", ms=3.5, color=ROLE_COLOURS["benchmark"])
    for i, p in enumerate(points.itertuples(index=False)):
        colour = PALETTE[i % len(PALETTE)]
        published = p.origin == "published"
        ax.plot([p.year], [p.value], ls="none", marker="s" if published else "D", ms=6,
                mfc=colour if published else "white", mec=colour, mew=1.5, label=p.label)
        if equivalence and getattr(p, "status", "") == "reached" and np.isfinite(p.equivalent_year):
            ax.plot([p.equivalent_year, p.year], [p.value, p.value], ls=":", lw=1.2, color=colour)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_t("chart.year"))
    if y_label:
        ax.set_ylabel(y_label)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=7, frameon=False)
    if mark:
        ax.text(0.02, 0.97, mark, transform=ax.transAxes, ha="left", va="top", fontsize=9, color=MARK_COLOUR)
    return ax


def _series_figure(panels: list[tuple[pd.Series, pd.DataFrame, str, str, str]], equivalence: bool):
    """One figure with a :func:`plot_year_series` panel per topic: (series, points, legend
    entry, y label, interpolation); a panel with synthetic points carries the synthetic mark."""
    register_cjk_font()
    n_points = max((len(p[1]) for p in panels), default=0)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.4 + 0.22 * ((n_points + 2) // 2)),
                             squeeze=False)
    for ax, (series, points, bench, ylab, interpolation) in zip(axes[0], panels, strict=True):
        mark = _t("catchup.chart.synthetic") if (points["origin"] == "synthetic").any() else None
        plot_year_series(series, points, bench, ylab, interpolation, equivalence=equivalence, mark=mark, ax=ax)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.22 + 0.04 * ((n_points + 2) // 2), wspace=0.25)
    _describe_series(fig, panels)
    return _figure(axes[0][0])


def _describe_series(fig, panels) -> None:
    """The figure's title, caption, alt text and data (each panel's published series by year,
    then its points) for the report's numbering and CSV download."""
    from hemei_tools.present.plots import describe_figure

    rows = []
    for series, points, bench, ylab, _ in panels:
        rows += [(ylab, bench, int(y), float(v), _t("catchup.origin.published")) for y, v in series.items()]
        rows += [(ylab, str(r.label), int(r.year), float(r.value), _t(f"catchup.origin.{r.origin}"))
                 for r in points.itertuples(index=False)]
    data = pd.DataFrame(rows, columns=[_t("header.indicator"), _t("figure.col.series"), _t("figure.col.year"),
                                       _t("figure.col.value"), _t("figure.col.origin")])
    topics = _t("punct.list_sep").join(str(p[3]) for p in panels)
    describe_figure(fig, "published", data, "", "published", title=_tf("figure.published.title", topic=topics),
                    caption=_t("figure.published.caption"), alt=_tf("figure.published.alt", topics=topics))


def _points(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "label": [_tf("catchup.chart.point", name=r["name"], origin=_t(f"catchup.origin.{r['origin']}"))
                  for r in records],
        "year": [r["year"] for r in records], "value": [r["value"] for r in records],
        "origin": [r["origin"] for r in records], "status": [r["status"] for r in records],
        "equivalent_year": [r["equivalent_year"] for r in records],
    })


def _y_label(topic: str, unit: str) -> str:
    return TOPIC_ZH[topic] + (_tf("format.unit_suffix", unit=unit) if unit else "")


# ---------------------------------------------------------------------------------- sections


@report_section
def section_catchup(a: RegionAnalysis) -> Section:
    """How many years behind Zhejiang: the unit, its city or children, and their published
    figures placed on Zhejiang's year series, per topic of ``catchup_series.csv``.

    For each topic: one sentence per record of the unit and per published figure (the other
    data units are in the table), then a table of all records and one chart panel per topic.
    Records (``Section.data["records"]``) hold the unit's value and year, where it comes from
    (``published``, ``synthetic`` or ``data``) and the :class:`~hemei_tools.engine.catchup.CatchUp`
    fields; a table row marked 模拟 is synthetic and the table caption says so.
    """
    facts, config = load_published_facts(), load_catchup_series()
    parts: list = [_md(_t("catchup.method"))]
    tables, all_records, panels = {}, [], []
    for _, cfg in config.iterrows():
        topic = str(cfg["topic"])
        records, zj = _catchup_records(a, cfg, facts)
        indicator = TOPIC_ZH[topic]
        series = benchmark_series(facts, topic, cfg["benchmark_region_code"], cfg["basis"])
        lines = [_tf(f"catchup.basis.{topic}", start=int(series.index[0]), end=int(series.index[-1]), n=len(series),
                     interpolation=_t(f"catchup.interpolation.{cfg['interpolation']}"))]
        if not any(r["role"] == "unit" for r in records):
            lines.append(_tf("catchup.no_data_value", name=a.unit_name, indicator=indicator))
        lines += [_catchup_sentence(r, indicator, zj, cfg["interpolation"]) for r in records
                  if r["role"] in ("unit", "published")]
        parts.append(_md("\n\n".join(lines)))
        if records:
            table = _catchup_table(records, indicator, zj)
            st = _styler(table)
            if any(r["origin"] == "synthetic" for r in records):
                st = st.set_caption(_t("catchup.caption_synthetic"))
            elif all(r["origin"] == "published" for r in records):
                st = published_table(st)
            parts.append(st)
            tables[topic] = table
        unit = zj["unit"].iloc[0] if not zj.empty else ""
        basis = _t(f"published.basis.{cfg['basis']}")
        panels.append((series, _points(records), _tf("catchup.chart.benchmark", basis=basis), _y_label(topic, unit),
                       str(cfg["interpolation"])))
        all_records += records
    if panels:
        parts.append(_series_figure(panels, equivalence=True))
    return Section(parts=tuple(parts), tables=tables, data={"records": all_records})


def _facts_in_scope(a: RegionAnalysis, facts: pd.DataFrame) -> pd.DataFrame:
    """The facts a report shows: about the unit, its children in the data, its city and
    province, and regions outside the province (Zhejiang); local regions first, by year."""
    local = _local_regions(a)
    outside = _outside(facts, a)
    shown = facts[facts["region_code"].isin(local) | outside]
    order = {c: i for i, c in enumerate(local)}
    rank = shown["region_code"].map(order).fillna(len(local)).astype(int)
    topic_rank = shown["topic"].map({t: i for i, t in enumerate(PUBLISHED_TOPICS)})
    return (shown.assign(_t=topic_rank, _r=rank).sort_values(["_t", "_r", "region_code", "year"], kind="stable")
            .drop(columns=["_t", "_r"]))


def _facts_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        HEADERS["region"]: rows["region_zh"].to_numpy(),
        HEADERS["indicator"]: rows["indicator_zh"].to_numpy(),
        HEADERS["year"]: rows["year_label"].map(nv.format_year_label).to_numpy(),
        CATCHUP_HEADERS["value"]: [_value_text(v, u, d, q, k) for v, u, d, q, k in
                           zip(rows["value"], rows["unit"], rows["decimals"], rows["qualifier"], rows["source_kind"],
                               strict=True)],
        HEADERS["kind"]: [_kind_text(k, d) for k, d in zip(rows["kind"], rows["derivation"], strict=True)],
        HEADERS["source"]: _links(rows["source_title"], rows["source_url"]),
        HEADERS["publisher"]: rows["publisher"].to_numpy(),
        HEADERS["source_kind"]: [SOURCE_KIND_ZH.get(s, "") for s in rows["source_kind"]],
        _t("published.header.caveat"): rows["caveat"].to_numpy(),
    })


def _same_year_records(rows: pd.DataFrame, zj: pd.DataFrame, direction: int) -> list[dict]:
    """Same-year comparisons of each local figure of a catch-up topic with Zhejiang's figure of
    that year (None when Zhejiang published none)."""
    out = []
    for _, f in rows.iterrows():
        same = zj[zj["year"] == f["year"]]
        b = same.iloc[0] if not same.empty else None
        out.append({"fact_id": f["fact_id"], "region_zh": f["region_zh"], "indicator_zh": f["indicator_zh"],
                    "year": int(f["year"]), "value": float(f["value"]), "direction": direction,
                    "benchmark_fact_id": None if b is None else b["fact_id"],
                    "benchmark_value": None if b is None else float(b["value"]),
                    "share": None if b is None else float(f["value"]) / float(b["value"])})
    return out


def _same_year_sentence(rec: dict, rows: pd.DataFrame, zj: pd.DataFrame) -> str:
    f = rows[rows["fact_id"] == rec["fact_id"]].iloc[0]
    common = {"region": rec["region_zh"], "year": rec["year"], "indicator": rec["indicator_zh"],
              "value": _value_text(f["value"], f["unit"], int(f["decimals"]), f["qualifier"], f["source_kind"])}
    if rec["benchmark_fact_id"] is None:
        return _tf("published.sentence.no_same_year", **common)
    benchmark = _zj_value(zj, rec["year"])
    if rec["direction"] > 0:
        return _tf("published.sentence.same_year_higher", benchmark=benchmark,
                   share=f"{nv.format_number(100 * rec['share'], 1)}%", **common)
    return _tf("published.sentence.same_year_lower", benchmark=benchmark, **common)


@published_section
def section_published_facts(a: RegionAnalysis) -> Section:
    """公开数据对比: only published, sourced figures about the unit, its city or cities, Anhui and
    Zhejiang (``published_facts.csv``), by topic, in tables (no chart: the incomes over time
    are drawn, with the same published points, in :func:`section_catchup`'s chart).

    Nothing here comes from the village data (``a`` only says which regions to show), so the
    section carries no synthetic mark. For the catch-up topics (incomes, income ratio) each
    local figure is set against Zhejiang's figure of the *same year* (records in
    ``Section.data["records"]``); the other topics are tables with their caveats.
    """
    facts = load_published_facts()
    config = load_catchup_series().set_index("topic")
    shown = _facts_in_scope(a, facts)
    local = shown[~_outside(shown, a)]
    parts: list = [_md(_t("published.intro"))]
    tables, records = {}, []
    for topic in PUBLISHED_TOPICS:
        rows = shown[shown["topic"] == topic]
        if rows.empty:
            continue
        lines = [f"### {TOPIC_ZH[topic]}", _t(f"published.note.{topic}")]
        if topic in config.index:
            cfg = config.loc[topic]
            zj = facts[(facts["topic"] == topic) & (facts["region_code"] == cfg["benchmark_region_code"])
                       & (facts["basis"] == cfg["basis"]) & (facts["kind"] == "actual")]
            mine = local[(local["topic"] == topic) & (local["basis"] == cfg["basis"]) & (local["kind"] == "actual")]
            recs = _same_year_records(mine, zj, int(cfg["direction"]))
            lines += [_same_year_sentence(r, mine, zj) for r in recs]
            records += [{**r, "topic": topic} for r in recs]
        table = _facts_table(rows)
        tables[topic] = table
        parts += [_md("\n\n".join(lines)), _styler(table)]
    return Section(parts=tuple(parts), tables=tables, data={"facts": shown.reset_index(drop=True), "records": records})
