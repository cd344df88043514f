"""Construction progress: plan targets against the village table, and the project ledger.

:func:`plan_progress` sets the targets of the city's 5511 plan and the Anhui 千村引领、万村升级
programme (catalogue ``plan_targets``) against what the village table records (villages
designated, under construction, accepted), by region and year, with the progress a linear (or
other named) schedule expects at a date, an ahead/behind status and the shortfall in villages.
:func:`ledger_summary` summarises the project ledger (项目台账) by county, township, task or
funding source: projects by status, completion and disbursement rates, overdue projects and
investment per village and per head; :func:`overdue_projects` lists the overdue projects.

Timeline convention: a plan with ``baseline_year`` b and ``target_year`` T runs from the end
of year b to the end of year T; dates are placed on a decimal-year axis on which 31 December
of year y is y + 1, so "end-2024" of a 2022 → 2027 plan is (2025 − 2023)/(2028 − 2023) = 40 %
of the way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.errors import HemeiError

ITEM_VILLAGE_TYPES: dict[str, tuple[str, ...]] = {
    "boutique_village": (_t("vocab.village_type.boutique"),),
    "central_village": (_t("vocab.village_type.central"), _t("vocab.village_type.boutique")),
}
"""Village types counted for each plan item (design.md: every 精品示范村 is also a central
village). Items not listed here (e.g. ``demo_county``) cannot be counted from the village table."""

BUILD_STATUSES = {_t(f"vocab.build_status.{s}"): s for s in ("declared", "under_construction", "accepted")}
"""``build_status`` values of the village table and the count columns they feed."""

PROJECT_STATUSES = {_t(f"vocab.project_status.{s}"): f"n_{s}" for s in ("not_started", "in_progress", "finished")}
"""Project ``status`` values of the ledger and their count columns."""

FINISHED = _t("vocab.project_status.finished")


class ProgressError(HemeiError):
    """Villages, plan targets or the project ledger cannot be summarised as given."""


def _linear(fraction: np.ndarray, elapsed_years: np.ndarray, total_years: np.ndarray) -> np.ndarray:
    """Linear schedule: expected share = elapsed time / plan length."""
    return fraction


def _annual(fraction: np.ndarray, elapsed_years: np.ndarray, total_years: np.ndarray) -> np.ndarray:
    """Equal annual instalments due at each year end: ⌊elapsed years⌋ / plan years."""
    return np.clip(np.floor(elapsed_years + 1e-9) / total_years, 0, 1)


SCHEDULES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "linear": _linear,
    "annual": _annual,
}
"""Schedules by name (catalogue column ``schedule``): f(fraction of time, elapsed years, plan
years) → expected share of the target (0–1)."""


def decimal_year(dates) -> np.ndarray:
    """Dates on a decimal-year axis where 31 December of year y is y + 1.

    d ↦ year(d) + dayofyear(d) / days_in_year(d) (so 1 January 2024 is 2024 + 1/366).
    """
    d = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(dates)))
    days = np.where(d.is_leap_year, 366, 365)
    return np.asarray(d.year + d.day_of_year / days, dtype=float)


def expected_progress(target_new, baseline_year, target_year, as_of, schedule: str = "linear") -> np.ndarray:
    """Villages a plan expects to be done at a date.

    Parameters
    ----------
    target_new : array-like of float
        New villages (or counties) the plan adds between the baseline and the target year.
    baseline_year, target_year : array-like of int
        The plan runs from the end of ``baseline_year`` to the end of ``target_year``.
    as_of : date-like or array-like of dates
        Date of the check.
    schedule : str
        A name in :data:`SCHEDULES` (default ``linear``).

    Returns
    -------
    numpy.ndarray of float
        expected = target_new · f(clip((t − (b + 1)) / (T − b), 0, 1)), t the decimal year of
        ``as_of``; e.g. 50 over 2022 → 2027 at end-2024: 50 · 2/5 = 20.
    """
    if schedule not in SCHEDULES:
        raise ProgressError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")
    t = decimal_year(as_of)
    b = np.asarray(baseline_year, dtype=float)
    total = np.asarray(target_year, dtype=float) - b
    elapsed = np.clip(t - (b + 1), 0, total)
    frac = elapsed / total
    return np.asarray(target_new, dtype=float) * SCHEDULES[schedule](frac, elapsed, total)


def _common_region(codes: pd.Series) -> str:
    """Longest division prefix (province 2, city 4, county 6 digits) shared by all codes."""
    for n in (6, 4, 2):
        if codes.str[:n].nunique() == 1:
            return str(codes.iloc[0][:n])
    return ""


def plan_progress(
    villages: pd.DataFrame,
    catalogue: Catalogue | None = None,
    year: int | Sequence[int] = 2023,
    region_code: str | None = None,
    as_of=None,
    basis: str = "designated",
) -> pd.DataFrame:
    """Plan targets against designated, under-construction and accepted villages.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village table (``village_code``, ``village_type``, ``designation_year``,
        ``build_status``).
    catalogue : Catalogue, optional
        Supplies ``plan_targets``; default: the packaged catalogue.
    year : int or sequence of int
        Count villages designated up to the end of each year.
    region_code : str, optional
        Report the targets of this region and of the regions inside it (e.g. ``"3407"``: the
        city and its counties). Default: the smallest division containing every village.
    as_of : date-like, optional
        Date at which the expected progress is evaluated; default 31 December of ``year``.
    basis : {"designated", "accepted"}
        Which count is compared with the plan: villages designated since the baseline
        (default; the plans count designations) or only those accepted (已验收).

    Returns
    -------
    pandas.DataFrame
        One row per target × year: ``programme``, ``programme_zh``, ``region_code``,
        ``region_level``, ``item``, ``item_zh``, ``year``, ``as_of``, ``baseline_year``,
        ``baseline``, ``target_year``, ``target_new``, ``schedule``, ``expected`` (villages,
        :func:`expected_progress`), ``designated`` (new since the baseline: baseline_year <
        designation_year ≤ year), ``declared``, ``under_construction``, ``accepted`` (of those,
        by current ``build_status``), ``actual`` (the ``basis`` count), ``pct_of_target``
        (actual / target_new · 100, %), ``pct_expected`` (expected / target_new · 100, %),
        ``gap`` (actual − expected, villages), ``status`` (ahead: actual > expected; on
        schedule: equal; behind: actual < expected; "not measured" for items the village
        table cannot count), ``shortfall`` (⌈expected − actual⌉ villages when behind, else 0)
        and ``needed_per_year`` ((target_new − actual) / (target_year − year) when positive
        and years remain).

    Notes
    -----
    ``build_status`` is the status recorded now; only ``designation_year`` is dated, so counts
    for past years use today's status.

    Long because the docstring defines every output column; the code body is under 60 lines.

    Raises
    ------
    ProgressError
        Missing columns, no village in the region, no target for the region, an unknown basis
        or schedule.
    """
    need = ["village_code", "village_type", "designation_year", "build_status"]
    miss = [c for c in need if c not in villages.columns]
    if miss:
        raise ProgressError(f"villages lacks column(s) {', '.join(miss)}; load it with hemei_tools.load_dataset")
    if basis not in ("designated", "accepted"):
        raise ProgressError(f"unknown basis {basis!r}; choose 'designated' or 'accepted'")
    catalogue = catalogue or load_catalogue()
    codes = villages["village_code"].astype(str)
    region = _common_region(codes) if region_code is None else str(region_code)
    if not codes.str.startswith(region).any():
        raise ProgressError(f"no village in region {region!r}; pass a region_code that prefixes the village codes")
    pt = _region_targets(catalogue, region)

    years = [int(year)] if np.ndim(year) == 0 else [int(y) for y in year]
    v = pd.DataFrame({
        "code": codes,
        "type": villages["village_type"].astype(object),
        "dyear": pd.to_numeric(villages["designation_year"], errors="coerce"),
        "status": villages["build_status"].map(BUILD_STATUSES).astype(object),
    })
    items = pd.DataFrame([(i, t) for i, ts in ITEM_VILLAGE_TYPES.items() for t in ts], columns=["item", "type"])
    v = v.merge(items, on="type", how="inner")
    out = pd.concat([_counted_targets(pt, v, y, as_of) for y in years], ignore_index=True)
    out["expected"] = np.nan
    for name in out["schedule"].unique():
        m = out["schedule"] == name
        g = out[m]
        out.loc[m, "expected"] = expected_progress(g["target_new"], g["baseline_year"], g["target_year"],
                                                   g["as_of"], name)
    _add_progress_measures(out, basis)
    cols = ["programme", "programme_zh", "region_code", "region_level", "item", "item_zh", "year", "as_of",
            "baseline_year", "baseline", "target_year", "target_new", "schedule", "expected", "designated",
            "declared", "under_construction", "accepted", "actual", "pct_of_target", "pct_expected", "gap",
            "status", "shortfall", "needed_per_year"]
    return out[cols]


def _region_targets(catalogue: Catalogue, region: str) -> pd.DataFrame:
    """The plan targets of ``region`` and of the regions inside it; :class:`ProgressError` when
    there are none or a schedule is unknown."""
    pt = catalogue.plan_targets.copy()
    pt["region_code"] = pt["region_code"].astype(str)
    pt = pt[pt["region_code"].str.startswith(region)].reset_index(drop=True)
    if pt.empty:
        known = ", ".join(sorted(catalogue.plan_targets["region_code"].astype(str).unique()))
        raise ProgressError(f"plan_targets has no target for region {region!r} or inside it; regions with targets: {known}")
    bad = sorted(set(pt["schedule"]) - set(SCHEDULES))
    if bad:
        raise ProgressError(f"unknown schedule(s) {bad} in plan_targets; choose from {', '.join(SCHEDULES)}")
    return pt


def _counted_targets(pt: pd.DataFrame, v: pd.DataFrame, y: int, as_of) -> pd.DataFrame:
    """The targets in year ``y`` with the villages designated since each baseline, by build status
    (NaN for items the village table cannot count)."""
    t = pt.assign(year=y)
    t["as_of"] = pd.Timestamp(f"{y}-12-31") if as_of is None else pd.Timestamp(as_of)
    # The plan table is tiny (a handful of rows): one vectorised count over villages per row.
    counts = []
    for _, r in t.iterrows():
        m = v[(v["item"] == r["item"]) & v["code"].str.startswith(r["region_code"])
              & (v["dyear"] > r["baseline_year"]) & (v["dyear"] <= y)]
        c = {"designated": len(m)}
        c.update({col: int((m["status"] == col).sum()) for col in BUILD_STATUSES.values()})
        counts.append(c if r["item"] in ITEM_VILLAGE_TYPES else dict.fromkeys(c, np.nan))
    return pd.concat([t, pd.DataFrame(counts, index=t.index)], axis=1)


def _add_progress_measures(out: pd.DataFrame, basis: str) -> None:
    """Add ``actual``, the percentages, ``gap``, ``status``, ``shortfall`` and ``needed_per_year``
    (definitions in :func:`plan_progress`) to the counted targets ``out``."""
    measured = out["item"].isin(list(ITEM_VILLAGE_TYPES))
    out["actual"] = out[basis].astype(float)
    tn = out["target_new"].astype(float)
    out["pct_of_target"] = out["actual"] / tn * 100
    out["pct_expected"] = out["expected"] / tn * 100
    out["gap"] = out["actual"] - out["expected"]
    eps = 1e-9
    out["status"] = np.select(
        [~measured, out["gap"] > eps, out["gap"] < -eps], ["not measured", "ahead", "behind"], default="on schedule"
    )
    out["shortfall"] = np.ceil((-out["gap"]).clip(lower=0) - eps).clip(lower=0).astype("Int64")
    years_left = (out["target_year"] - out["year"]).astype(float)
    remaining = (tn - out["actual"]).clip(lower=0)
    out["needed_per_year"] = (remaining / years_left).where(years_left > 0)
    for col in ["designated", *BUILD_STATUSES.values()]:
        out[col] = out[col].astype("Int64")


def village_counts(
    villages: pd.DataFrame,
    year: int | Sequence[int] = 2023,
    by: str = "county_code",
) -> pd.DataFrame:
    """Designated, under-construction and accepted villages per plan item, by unit and year.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village table (``village_code``, ``village_type``, ``designation_year``,
        ``build_status`` and the ``by`` column).
    year : int or sequence of int
        Years to count up to (end of year).
    by : str
        Grouping column, e.g. ``county_code`` (default) or ``township_code``.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``item`` (:data:`ITEM_VILLAGE_TYPES`), ``year``, ``designated`` (all designated
        up to the end of ``year``), ``designated_in_year`` (designated in ``year``),
        ``declared``, ``under_construction`` and ``accepted`` (of the designated, by current
        ``build_status``). Units with none of an item get zeros.
    """
    need = ["village_code", "village_type", "designation_year", "build_status", by]
    miss = [c for c in need if c not in villages.columns]
    if miss:
        raise ProgressError(f"villages lacks column(s) {', '.join(miss)}")
    years = [int(year)] if np.ndim(year) == 0 else [int(y) for y in year]
    items = pd.DataFrame([(i, t) for i, ts in ITEM_VILLAGE_TYPES.items() for t in ts], columns=["item", "type"])
    v = pd.DataFrame({
        by: villages[by].astype(str),
        "type": villages["village_type"].astype(object),
        "dyear": pd.to_numeric(villages["designation_year"], errors="coerce"),
        "status": villages["build_status"].map(BUILD_STATUSES).astype(object),
    }).merge(items, on="type", how="inner")
    v = v.merge(pd.DataFrame({"year": years}), how="cross")
    v = v[v["dyear"] <= v["year"]]
    v = v.assign(designated_in_year=(v["dyear"] == v["year"]).astype(int),
                 **{c: (v["status"] == c).astype(int) for c in BUILD_STATUSES.values()})
    counts = v.groupby([by, "item", "year"]).agg(
        designated=("dyear", "size"), designated_in_year=("designated_in_year", "sum"),
        **{c: (c, "sum") for c in BUILD_STATUSES.values()})
    full = pd.MultiIndex.from_product(
        [sorted(villages[by].astype(str).unique()), list(ITEM_VILLAGE_TYPES), years], names=[by, "item", "year"])
    return counts.reindex(full, fill_value=0).astype(int).reset_index()


_GEO_KEYS = ("village_code", "township_code", "county_code", "city_code")


def _ledger_frame(projects: pd.DataFrame, villages: pd.DataFrame, as_of) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Projects joined to their village's township, county, population; dates parsed; overdue days."""
    need = ["project_id", "village_code", "task_id", "planned_end", "actual_end", "budget_wan",
            "disbursed_wan", "funding_source", "status"]
    miss = [c for c in need if c not in projects.columns]
    if miss:
        raise ProgressError(_tf("error.projects_columns", columns=", ".join(miss)))
    vneed = ["village_code", "township_code", "county_code", "population"]
    vmiss = [c for c in vneed if c not in villages.columns]
    if vmiss:
        raise ProgressError(f"villages lacks column(s) {', '.join(vmiss)}")
    unknown_status = sorted(set(projects["status"].dropna()) - set(PROJECT_STATUSES))
    if unknown_status:
        raise ProgressError(f"unknown project status {unknown_status}; use one of {', '.join(PROJECT_STATUSES)}")
    vcols = [c for c in ("village_code", "township_code", "county_code", "population", "households",
                         "village_type") if c in villages.columns]
    p = projects.drop(columns=[c for c in vcols if c != "village_code" and c in projects.columns])
    p = p.assign(village_code=p["village_code"].astype(str))
    vv = villages[vcols].assign(village_code=villages["village_code"].astype(str))
    p = p.merge(vv, on="village_code", how="left", indicator=True)
    orphans = p.loc[p["_merge"] == "left_only", "village_code"].unique()
    if len(orphans):
        raise ProgressError(
            f"{len(orphans)} project village_code(s) are not in the village table "
            f"(e.g. {', '.join(map(str, orphans[:5]))}); fix the codes in the ledger"
        )
    p = p.drop(columns="_merge")
    p["city_code"] = p["county_code"].astype(str).str[:4]
    for c in ("start_date", "planned_end", "actual_end"):
        if c in p.columns:
            p[c] = pd.to_datetime(p[c])
    if as_of is None:
        dated = [p[c] for c in ("start_date", "actual_end") if c in p.columns]
        as_of = pd.concat(dated).max() if dated else pd.NaT
        if pd.isna(as_of):
            raise ProgressError("the ledger has no dates to infer as_of from; pass as_of=")
    as_of = pd.Timestamp(as_of)
    finished = p["status"] == FINISHED
    overdue = (p["planned_end"] < as_of) & ~finished
    p["overdue"] = overdue
    p["days_overdue"] = (as_of - p["planned_end"]).dt.days.where(overdue).astype("Int64")
    return p, as_of


def overdue_projects(projects: pd.DataFrame, villages: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Projects whose planned end has passed and that are not finished, most overdue first.

    Parameters
    ----------
    projects, villages : pandas.DataFrame
        The project ledger and the village table (design.md).
    as_of : date-like, optional
        Date of the check; default the latest ``start_date`` or ``actual_end`` in the ledger.

    Returns
    -------
    pandas.DataFrame
        The overdue projects with their county and township and ``days_overdue`` = as_of −
        planned_end (days), sorted by days overdue, largest first.
    """
    p, _ = _ledger_frame(projects, villages, as_of)
    out = p[p["overdue"]].sort_values(["days_overdue", "project_id"], ascending=[False, True], kind="stable")
    return out.drop(columns="overdue").reset_index(drop=True)


def ledger_summary(
    projects: pd.DataFrame,
    villages: pd.DataFrame,
    by: str | Sequence[str] = ("county_code",),
    as_of=None,
) -> pd.DataFrame:
    """Project ledger by county, township, task or funding source.

    Parameters
    ----------
    projects : pandas.DataFrame
        The 项目台账 (``project_id``, ``village_code``, ``task_id``, ``planned_end``,
        ``actual_end``, ``budget_wan``, ``disbursed_wan``, ``funding_source``, ``status``).
    villages : pandas.DataFrame
        The village table (for township, county and population).
    by : str or sequence of str
        Grouping columns, any of the ledger's or ``township_code``, ``county_code``,
        ``city_code``, ``village_type``; ``()`` gives one total row.
    as_of : date-like, optional
        Date of the check; default the latest ``start_date`` or ``actual_end`` in the ledger.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n_projects``, ``n_not_started``, ``n_in_progress``,
        ``n_finished``, ``completion_rate`` (n_finished / n_projects · 100, %),
        ``budget_wan`` and ``disbursed_wan`` (万元, sums), ``disbursement_rate``
        (disbursed / budget · 100, %), ``n_overdue`` (planned end before ``as_of`` and not
        finished), ``overdue_days_max`` and ``overdue_days_mean`` (days), ``n_villages``
        (villages with a project), ``villages_in_area`` and ``population_in_area`` (all
        villages of the group's finest geographic key in ``by``, or of the whole village table
        when ``by`` has none), ``investment_per_village_wan`` (budget / villages_in_area, 万元)
        and ``investment_per_head_yuan`` (budget · 10⁴ / population_in_area, 元), and
        ``as_of``.

    Raises
    ------
    ProgressError
        Missing columns, unknown statuses, projects whose village is not in the village table,
        or a ``by`` column that does not exist.

    Notes
    -----
    Long because the docstring documents every output column; the code body is under 60 lines.
    """
    by = [by] if isinstance(by, str) else list(by)
    p, as_of = _ledger_frame(projects, villages, as_of)
    bad = [c for c in by if c not in p.columns]
    if bad:
        raise ProgressError(f"cannot group the ledger by {bad}; choose from county_code, township_code, "
                            "task_id, funding_source, status, village_type or another ledger column")
    key = by if by else None
    g = p.assign(_one=1).groupby(by, sort=True, dropna=False) if key else p.assign(_one=1).groupby(
        np.zeros(len(p), dtype=int))
    s = g.agg(n_projects=("_one", "sum"), budget_wan=("budget_wan", "sum"), disbursed_wan=("disbursed_wan", "sum"),
              n_overdue=("overdue", "sum"), overdue_days_max=("days_overdue", "max"),
              overdue_days_mean=("days_overdue", "mean"), n_villages=("village_code", "nunique"))
    status = pd.crosstab([p[c] for c in by] if key else np.zeros(len(p), dtype=int), p["status"])
    status = status.reindex(columns=list(PROJECT_STATUSES), fill_value=0).rename(columns=PROJECT_STATUSES)
    status.index.names = s.index.names
    s = s.join(status).fillna({c: 0 for c in PROJECT_STATUSES.values()})
    for c in PROJECT_STATUSES.values():
        s[c] = s[c].astype(int)
    s["completion_rate"] = s["n_finished"] / s["n_projects"] * 100
    s["disbursement_rate"] = (s["disbursed_wan"] / s["budget_wan"].where(s["budget_wan"] > 0)) * 100

    geo = [c for c in _GEO_KEYS if c in by]
    vv = villages.assign(village_code=villages["village_code"].astype(str),
                         city_code=villages["county_code"].astype(str).str[:4])
    if geo:
        area = vv.groupby(geo[0]).agg(villages_in_area=("village_code", "nunique"),
                                      population_in_area=("population", "sum"))
        s = s.reset_index()
        s = s.merge(area, left_on=geo[0], right_index=True, how="left")
    else:
        s = s.reset_index(drop=not key)
        s["villages_in_area"] = vv["village_code"].nunique()
        s["population_in_area"] = vv["population"].sum()
    s["investment_per_village_wan"] = s["budget_wan"] / s["villages_in_area"]
    s["investment_per_head_yuan"] = s["budget_wan"] * 1e4 / s["population_in_area"].where(s["population_in_area"] > 0)
    s["n_overdue"] = s["n_overdue"].astype(int)
    s["as_of"] = as_of
    cols = [*by, "n_projects", *PROJECT_STATUSES.values(), "completion_rate", "budget_wan", "disbursed_wan",
            "disbursement_rate", "n_overdue", "overdue_days_max", "overdue_days_mean", "n_villages",
            "villages_in_area", "population_in_area", "investment_per_village_wan", "investment_per_head_yuan",
            "as_of"]
    return s[cols].reset_index(drop=True)
