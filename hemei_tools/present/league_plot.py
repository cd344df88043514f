"""The county league of a province as a dot plot (:func:`plot_league`).

One row per city, cities ordered by the median of their counties' 和美指数 (highest at the
top); each county a dot on the fixed 0–100 score scale, filled with its colour on the fixed
scale (:func:`~hemei_tools.present.style.score_colour`, never the range of the values shown)
with a dark edge; a thin line spans the city's lowest to highest county and a bar marks the
city's median. The province's best and worst counties are named above their dots. Like
every chart of :mod:`hemei_tools.present.plots` it leaves a
:class:`~hemei_tools.present.plots.ChartInfo` (title, caption, unit, source, alt text with the
key numbers, the data drawn) on its figure. Wording: labels ``figure.league.*`` and
``chart.league_*`` of ``catalogue/labels.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.present.narrative import format_number
from hemei_tools.present.plots import (
    TEXT,
    _legend_on_top,
    _new_axes,
    _nonempty,
    _require,
    describe_figure,
)
from hemei_tools.present.style import INK, SCORE_RANGE, STATUS_EDGE, score_colour

__all__ = ["LEAGUE_ROW_INCH", "city_order", "plot_league"]

#: Height (inches) of one city's row of dots.
LEAGUE_ROW_INCH = 0.34
#: Vertical offsets (in rows) cycled over a city's counties in score order, so close dots part.
_OFFSETS = (0.0, 0.2, -0.2)


def city_order(league: pd.DataFrame) -> pd.DataFrame:
    """One row per city, best first: ``city_code``, ``city_name``, ``median`` (of its counties'
    scores), ``low``, ``high``, ``n``; ties by city code."""
    g = league.groupby("city_code", sort=True)
    out = pd.DataFrame({"city_name": g["city_name"].first(), "median": g["score"].median(),
                        "low": g["score"].min(), "high": g["score"].max(), "n": g.size()}).reset_index()
    return out.sort_values(["median", "city_code"], ascending=[False, True], kind="stable").reset_index(drop=True)


def plot_league(league: pd.DataFrame, unit: str = "", year: int | None = None, ax: Axes | None = None) -> Axes:
    """Dot plot of every county of a province by city (module docstring).

    Parameters
    ----------
    league
        One row per county: ``unit_code``, ``unit_name``, ``city_code``, ``city_name``,
        ``score`` (0–100), e.g. :func:`hemei_tools.engine.league.county_league`.
    unit, year
        The province's name and the year, for the title and the alt text.
    ax
        Axes to draw on; a new figure (6.4 in wide, :data:`LEAGUE_ROW_INCH` per city) when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        City rows top to bottom by median; x fixed to 0–100 (:data:`~hemei_tools.present.style.SCORE_RANGE`).
    """
    _require(league, ["unit_code", "unit_name", "city_code", "city_name", "score"], "plot_league")
    data = _nonempty(league.dropna(subset=["score"]), "plot_league").copy()
    data["city_code"] = data["city_code"].astype(str)
    cities = city_order(data)
    n = len(cities)
    names = cities["city_name"].astype(str).tolist()
    ax = _new_axes(ax, row_labels=names, figsize=(6.4, 1.15 + LEAGUE_ROW_INCH * n))
    row = {c: i for i, c in enumerate(cities["city_code"])}
    data = data.sort_values(["city_code", "score", "unit_code"], ascending=[True, False, True], kind="stable")
    within = data.groupby("city_code").cumcount().to_numpy()
    y = data["city_code"].map(row).to_numpy(float) + np.asarray(_OFFSETS)[within % len(_OFFSETS)]
    x = data["score"].to_numpy(float)
    ax.hlines(np.arange(n), cities["low"], cities["high"], colors="0.7", lw=1.0, zorder=1)
    ax.scatter(x, y, c=[score_colour(v) for v in x], s=34, edgecolors=STATUS_EDGE, linewidths=0.7,
               zorder=3, clip_on=False, gid="league-county")
    ax.plot(cities["median"].to_numpy(float), np.arange(n), ls="none", marker="|", ms=15, mew=2.4, color=INK,
            zorder=4, clip_on=False, gid="league-median")
    best = data.sort_values(["score", "unit_code"], ascending=[False, True], kind="stable").iloc[0]
    worst = data.sort_values(["score", "unit_code"], ascending=[True, True], kind="stable").iloc[0]
    for r in (best, worst) if best["unit_code"] != worst["unit_code"] else (best,):
        i = data.index.get_loc(r.name)
        # above its dot, on a white ground so the dots beneath do not blur it
        ax.annotate(str(r["unit_name"]), (x[i], y[i]), xytext=(0, 5), textcoords="offset points", ha="center",
                    va="bottom", fontsize=7, color=INK, zorder=5, annotation_clip=False,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_yticks(np.arange(n), names)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(*SCORE_RANGE)
    ax.set_xlabel(TEXT["score"])
    ax.grid(axis="x", lw=0.5, alpha=0.5)
    ax.set_axisbelow(True)
    handles = [Line2D([], [], ls="none", marker="o", ms=6, markerfacecolor="#7fcdbb", markeredgecolor=STATUS_EDGE,
                      label=_t("chart.league_county")),
               Line2D([], [], ls="none", marker="|", ms=10, mew=2.4, color=INK, label=_t("chart.league_median"))]
    _legend_on_top(ax, handles=handles, ncols=2, columnspacing=1.5)
    data = data.assign(_row=data["city_code"].map(row)).sort_values(["_row", "score", "unit_code"],
                                                                      ascending=[True, False, True], kind="stable")
    x = data["score"].to_numpy(float)
    table = pd.DataFrame({
        _t("header.parent_city"): data["city_name"].astype(str).to_numpy(),
        _t("header.county"): data["unit_name"].astype(str).to_numpy(),
        _tf("figure.col.with_unit", name=_t("chart.league_score"), unit=_t("unit.points")): x,
        _tf("figure.col.with_unit", name=_t("chart.league_median"), unit=_t("unit.points")):
            data["city_code"].map(cities.set_index("city_code")["median"]).to_numpy(float),
    })
    top, bottom = cities.iloc[0], cities.iloc[-1]
    values = {"unit": unit, "year": "" if year is None else year, "n": len(data), "n_cities": n,
              "best": best["unit_name"], "best_score": format_number(best["score"], 1),
              "worst": worst["unit_name"], "worst_score": format_number(worst["score"], 1),
              "city_best": top["city_name"], "city_best_median": format_number(top["median"], 1),
              "city_worst": bottom["city_name"], "city_worst_median": format_number(bottom["median"], 1)}
    describe_figure(ax.figure, "league", table, _t("figure.unit.score"), title=_tf("figure.league.title", **values),
                    caption=_t("figure.league.caption"), alt=_tf("figure.league.alt", **values))
    return ax
