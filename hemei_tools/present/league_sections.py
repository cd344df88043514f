"""全省县区排名: the county league of a province overview (:func:`section_league`).

At province level the section shows its own heading, one sentence (best and worst counties
with their cities, the median county, the cities with the highest and lowest median, and how
many counties rose or fell since the first year of the data), the dot plot of every county by
city (:func:`~hemei_tools.present.league_plot.plot_league`) and the full league table: every
county with its rank in the province, its city, 和美指数, rank in its city, change since the
first year and red-light tasks. The table shows all counties (114 in Anhui), not the first and
last ten: a league table is read to find one's own county, and the dot plot gives the overview;
the same table is the CSV download and the workbook sheet. The sentence is rendered from a
:class:`~hemei_tools.present.narrative.Record` of kind ``league`` (``data["record"]``), built
from the league frame (``data["league"]``,
:func:`hemei_tools.engine.league.county_league`), so tests check one against the other.

A city or county report has no province league: the section is empty there (no heading).
"""

from __future__ import annotations

import pandas as pd

from hemei_tools.catalogue import Catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.league import county_league
from hemei_tools.engine.region import RegionAnalysis
from hemei_tools.present import narrative as nv
from hemei_tools.present.section_parts import (
    HEADERS,
    Section,
    _figure,
    _labels,
    _md,
    _score_cells,
    _styler,
    is_synthetic,
    report_section,
)

__all__ = ["NAMED_TIES_MAX", "league_frame", "league_record", "section_league"]

#: At most this many tied counties are named in the sentence (the rest counted: 等n个县区).
NAMED_TIES_MAX = 3


# ---------------------------------------------------------------------------------- sentence
def _names(parts: list[dict]) -> str:
    """``铜陵市郊区（97.5分）``; tied counties ``A、B（均为97.5分）``; more than
    :data:`NAMED_TIES_MAX` ``A、B、C等5个县区（均为…）``."""
    names = [_tf("league.city_county", city=p["city"], county=p["name"]) for p in parts]
    text = _t("punct.list_sep").join(names[:NAMED_TIES_MAX])
    if len(names) > NAMED_TIES_MAX:
        text = _tf("league.names_more", names=text, n=len(names))
    key = "league.names_score_tied" if len(parts) > 1 else "league.names_score"
    return _tf(key, names=text, score=nv.format_number(parts[0]["score"], 1))


def _render_league(rec: nv.Record, cat: Catalogue) -> str:
    """``安徽省6个县区中，和美指数最高的是铜陵市县340701、铜陵市县340702（均为97.5分），最低的是…；
    县区中位数为70.8分。各市县区得分的中位数以铜陵市最高（97.5分），合肥市最低（0.0分）。与2022年相比，6个县区持平。``"""
    d = rec.detail
    text = _tf("league.sentence", unit=rec.unit, n=int(d["n"]), best=_names(list(d["best"])),
               worst=_names(list(d["worst"])), median=nv.format_number(rec.value, 1))
    if int(d.get("n_cities", 0)) > 1:
        text += _tf("league.cities", best=d["city_best"]["name"],
                    best_median=nv.format_number(d["city_best"]["median"], 1), worst=d["city_worst"]["name"],
                    worst_median=nv.format_number(d["city_worst"]["median"], 1))
    if d.get("first_year") is not None:
        counts = (("up", d["n_up"]), ("down", d["n_down"]), ("flat", d["n_flat"]))
        moved = [(k, n) for k, n in counts if n]
        if len(moved) == 1 and int(moved[0][1]) > 1:  # every county moved the same way: 均
            parts = _tf(f"league.change_all_{moved[0][0]}", n=int(moved[0][1]))
        else:
            parts = _t("punct.list_sep").join(_tf(f"league.change_{k}", n=int(n)) for k, n in moved)
        if parts:
            text += _tf("league.change", first_year=int(d["first_year"]), parts=parts)
    return text


nv.RENDERERS["league"] = _render_league


def _ends_of(league: pd.DataFrame, best: bool) -> list[dict]:
    """The counties tied at the best (or worst) score, in league order."""
    edge = league["score"].max() if best else league["score"].min()
    rows = league[league["score"] == edge]
    return [{"code": r.unit_code, "name": r.unit_name, "city": r.city_name, "score": float(r.score)}
            for r in rows.itertuples()]


def league_record(a: RegionAnalysis, league: pd.DataFrame) -> nv.Record:
    """The ``league`` record of the section's sentence, from the league frame.

    ``value`` is the median county score; ``detail`` holds ``n`` (counties), ``best`` and
    ``worst`` (the counties tied at each end: ``code``, ``name``, ``city``, ``score``),
    ``n_cities``, ``city_best`` and ``city_worst`` (``name``, ``median``: the cities with the
    highest and lowest median county), ``first_year`` (``None`` with one year) and ``n_up``,
    ``n_down``, ``n_flat``: counties whose change rounds (to 0.1 point) above, below or to 0;
    a county without a first-year score is in none of them.
    """
    from hemei_tools.present.league_plot import city_order

    cities = city_order(league)
    change = league["change"].round(1)
    first = int(league["first_year"].iloc[0]) if len(league) and int(league["first_year"].iloc[0]) != a.year else None
    detail = {"n": len(league), "best": _ends_of(league, True), "worst": _ends_of(league, False),
              "n_cities": len(cities),
              "city_best": {"name": str(cities["city_name"].iloc[0]), "median": float(cities["median"].iloc[0])},
              "city_worst": {"name": str(cities["city_name"].iloc[-1]), "median": float(cities["median"].iloc[-1])},
              "first_year": first, "n_up": int((change > 0).sum()), "n_down": int((change < 0).sum()),
              "n_flat": int((change == 0).sum()), "year": a.year}
    return nv.make_record("league", a.catalogue, unit=a.unit_name, indicator=a.catalogue.index_code,
                          value=float(league["score"].median()),
                          provenance="synthetic" if is_synthetic(a) else "data", detail=detail)


# ---------------------------------------------------------------------------------- table
def league_frame(a: RegionAnalysis, league: pd.DataFrame) -> pd.DataFrame:
    """The league table as shown and downloaded: 排名, 县区, 所属市, 和美指数, 市内排名,
    较y₀年变化（分） (left out with one year of data), 红灯任务数; numbers stay numbers
    (scores and changes rounded to 0.1)."""
    lab = _labels(a.catalogue)
    out = pd.DataFrame({
        HEADERS["rank"]: league["rank"].astype(int).to_numpy(),
        HEADERS["county"]: league["unit_name"].astype(str).to_numpy(),
        _t("header.parent_city"): league["city_name"].astype(str).to_numpy(),
        lab.name(a.catalogue.index_code): league["score"].round(1).to_numpy(float),
        _t("header.city_rank"): league["city_rank"].astype(int).to_numpy(),
    })
    first = int(league["first_year"].iloc[0]) if len(league) else a.year
    if first != a.year:
        out[_tf("header.change_since", year=first)] = (league["change"].round(1) + 0.0).to_numpy(float)
    out[_t("header.red_tasks")] = league["red_lights"].astype(int).to_numpy()
    return out


def _signed(x) -> str:
    """``+1.2``, ``−0.5`` (the report's minus), ``0.0``; ``—`` when missing."""
    if pd.isna(x):
        return "—"
    text = nv.format_number(x, 1)
    return f"+{text}" if round(float(x), 1) > 0 else text.replace("-", "\u2212")


# ---------------------------------------------------------------------------------- section
@report_section
def section_league(a: RegionAnalysis) -> Section:
    """全省县区排名 (module docstring): heading, sentence, dot plot and the full league table at
    province level; an empty Section for a city or county.

    ``tables["league"]`` is the table shown (every county); ``data`` holds ``league`` (the
    engine frame) and ``record``.
    """
    from hemei_tools.present.league_plot import plot_league

    league = county_league(a)
    if a.level != "province" or league.empty:
        return Section()
    rec = league_record(a, league)
    table = league_frame(a, league)
    score_col = _labels(a.catalogue).name(a.catalogue.index_code)
    change_cols = [c for c in table.columns if c == _tf("header.change_since", year=int(league["first_year"].iloc[0]))]
    st = _score_cells(_styler(table, title=_tf("league.table_title", n=len(table), year=a.year)), [score_col])
    st = st.format("{:.1f}", subset=[score_col])
    if change_cols:
        st = st.format(_signed, subset=change_cols)
    ax = plot_league(league, unit=a.unit_name, year=a.year)
    parts = (_md(f"## {_t('section.league')}"), _md(rec.text), _figure(ax), st)
    return Section(parts=parts, tables={"league": table}, data={"league": league, "record": rec})
