"""Construction progress: plan targets against the programme units, and the project ledger.

:func:`plan_progress` sets the **targets** of the city's 5511 plan and the Anhui 千村引领、万村升级
programme (catalogue ``plan_targets``, rows of ``kind`` target; county quotas of a selection
round are inputs of the selection and never judged here) against the programme units the data
record, each counted by status — declared (申报), under construction (在建) and accepted
(已验收) — and judges progress on the accepted units by default (``basis``). The units
(:func:`programme_units`) come from three tables of a data set:

* 省级中心村 and 精品示范村: the village table (``village_type``, ``designation_year``,
  ``build_status``). Every 精品示范村 is chosen among existing 省级中心村 (design.md), and the
  village table dates only its latest designation, so a 精品示范村 counts as a central village
  built before the data's years (accepted, never "new" in a plan window);
* 美丽宜居自然村庄: the optional ``natural_villages`` table (parent village code, name,
  ``build_status``, ``designation_year``);
* 示范县: the optional ``county_designations`` table (one row per county, designation and year
  holding the status reached that year: a status history).

A target counts the units of its region first designated after its ``baseline_year`` and by the
end of the year (the status a unit has at that date: today's for villages, the history's for
counties). :func:`plan_contributions` gives the same counts for units inside a target's region
(a county's share of the city's target), so a region's counts are the sums of its parts by
construction. :func:`ledger_summary` summarises the project ledger (项目台账) by county,
township, task or funding source; :func:`overdue_projects` lists the overdue projects. Both
take ``as_of``: reports pass the data set's one as-of date
(:attr:`hemei_tools.inputs.dataset.DataSet.as_of`), so every report on a data set counts the
same overdue projects.

Timeline convention: a plan with ``baseline_year`` b and ``target_year`` T runs from the end
of year b to the end of year T; dates are placed on a decimal-year axis on which 31 December
of year y is y + 1, so "end-2024" of a 2022 → 2027 plan is (2025 − 2023)/(2028 − 2023) = 40 %
of the way. Judgements use whole units: the expected count is rounded half up,
⌊expected + ½⌋, and compared with the count on the basis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.errors import HemeiError

STATUS_IDS = ("declared", "under_construction", "accepted")
"""Build statuses of a programme unit, in order: 申报, 在建, 已验收."""

BUILD_STATUSES = {_t(f"vocab.build_status.{s}"): s for s in STATUS_IDS}
"""``build_status`` (and designation ``status``) values of the input tables and their ids."""

ITEM_VILLAGE_TYPES: dict[str, tuple[str, ...]] = {
    "boutique_village": (_t("vocab.village_type.boutique"),),
    "central_village": (_t("vocab.village_type.central"), _t("vocab.village_type.boutique")),
}
"""Village types counted for each village item (design.md: every 精品示范村 is also a central
village)."""

ITEM_SOURCES: dict[str, str] = {
    "central_village": "villages",
    "boutique_village": "villages",
    "natural_village": "natural_villages",
    "demo_county": "county_designations",
}
"""The data set table each programme item's units come from, in display order."""

DESIGNATION_ITEMS: dict[str, str] = {"demo_county": _t("vocab.designation.demo_county")}
"""Items counted from ``county_designations``: item → ``designation`` value."""

BEFORE_DATA = 0
"""``first_year`` of a unit designated before the data's years (a 精品示范村 as a central village)."""

JUDGED = ("ahead", "on schedule", "behind")
"""Statuses that judge a target against its schedule (the others: ``not started``,
``not due``, ``not measured``, ``contribution``, and ``partial`` set by a report)."""

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


def whole(x) -> np.ndarray:
    """Round half up to whole units: ⌊x + ½⌋ (0.2 → 0, 0.5 → 1, 9.6 → 10); NaN stays NaN."""
    return np.floor(np.asarray(x, dtype=float) + 0.5 + 1e-9)


def _common_region(codes: pd.Series) -> str:
    """Longest division prefix (province 2, city 4, county 6 digits) shared by all codes."""
    for n in (6, 4, 2):
        if codes.str[:n].nunique() == 1:
            return str(codes.iloc[0][:n])
    return ""


# ---------------------------------------------------------------------------- programme units

def _has_rows(table) -> bool:
    return table is not None and len(table) > 0


def programme_units(villages: pd.DataFrame, natural_villages: pd.DataFrame | None = None,
                    designations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every programme unit of the data, one row per unit and dated status.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village table (``village_code``, ``village_type``, ``designation_year``,
        ``build_status``; ``county_code`` or the code's first six digits).
    natural_villages : pandas.DataFrame, optional
        ``natural_villages`` table (``village_code`` of the parent village,
        ``natural_village_name``, ``build_status``, ``designation_year``).
    designations : pandas.DataFrame, optional
        ``county_designations`` table (``county_code``, ``designation``, ``status``, ``year``).

    Returns
    -------
    pandas.DataFrame
        ``item`` (a key of :data:`ITEM_SOURCES`), ``unit`` (village code; parent code + ``/`` +
        name for a natural village; county code for a 示范县), ``county_code``, ``first_year``
        (the year the unit was first designated; :data:`BEFORE_DATA` for a 精品示范村 as a
        central village), ``since`` (the year the row's status holds from) and ``status`` (an id
        of :data:`STATUS_IDS`, NA when not recorded). A village or natural village has one row
        (its current status from its designation year); a 示范县 one row per year of its
        history.
    """
    need = ["village_code", "village_type", "designation_year", "build_status"]
    miss = [c for c in need if c not in villages.columns]
    if miss:
        raise ProgressError(f"villages lacks column(s) {', '.join(miss)}; load it with hemei_tools.load_dataset")
    code = villages["village_code"].astype(str)
    county = (villages["county_code"].astype(str) if "county_code" in villages.columns else code.str[:6])
    vtype = villages["village_type"].astype(object)
    year = pd.to_numeric(villages["designation_year"], errors="coerce").fillna(BEFORE_DATA).astype(int)
    status = villages["build_status"].astype(object).map(BUILD_STATUSES)
    boutique = (vtype == ITEM_VILLAGE_TYPES["boutique_village"][0]).to_numpy()
    central = vtype.isin(ITEM_VILLAGE_TYPES["central_village"]).to_numpy()
    parts = [
        pd.DataFrame({"item": "boutique_village", "unit": code[boutique], "county_code": county[boutique],
                      "first_year": year[boutique], "status": status[boutique]}),
        pd.DataFrame({"item": "central_village", "unit": code[central], "county_code": county[central],
                      "first_year": np.where(boutique[central], BEFORE_DATA, year[central]),
                      "status": status[central].where(~boutique[central], "accepted")}),
    ]
    if _has_rows(natural_villages):
        nv = natural_villages
        parent = nv["village_code"].astype(str)
        parts.append(pd.DataFrame({
            "item": "natural_village", "unit": parent + "/" + nv["natural_village_name"].astype(str),
            "county_code": parent.map(dict(zip(code, county, strict=True))).fillna(parent.str[:6]),
            "first_year": pd.to_numeric(nv["designation_year"], errors="coerce").fillna(BEFORE_DATA).astype(int),
            "status": nv["build_status"].astype(object).map(BUILD_STATUSES)}))
    out = pd.concat(parts, ignore_index=True)
    out["since"] = out["first_year"]
    if _has_rows(designations):
        d = designations
        for item, value in DESIGNATION_ITEMS.items():
            rows = d[d["designation"].astype(object) == value]
            if rows.empty:
                continue
            y = pd.to_numeric(rows["year"]).astype(int)
            county_code = rows["county_code"].astype(str)
            out = pd.concat([out, pd.DataFrame({
                "item": item, "unit": county_code, "county_code": county_code,
                "first_year": y.groupby(county_code.to_numpy()).transform("min").to_numpy(),
                "since": y.to_numpy(), "status": rows["status"].astype(object).map(BUILD_STATUSES).to_numpy()})],
                ignore_index=True)
    out["status"] = out["status"].astype(object)
    return out[["item", "unit", "county_code", "first_year", "since", "status"]]


def available_items(natural_villages: pd.DataFrame | None = None,
                    designations: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Items the data can count: the village items always, the others when their table has rows."""
    have = {"villages": True, "natural_villages": _has_rows(natural_villages),
            "county_designations": _has_rows(designations)}
    return tuple(i for i, src in ITEM_SOURCES.items() if have[src])


def units_at(units: pd.DataFrame, year: int) -> pd.DataFrame:
    """The state of every unit at the end of ``year``: its latest row with ``since`` ≤ year
    (units not designated by then are left out)."""
    u = units[units["since"] <= int(year)]
    return u.sort_values("since", kind="stable").drop_duplicates(["item", "unit"], keep="last")


def _status_counts(state: pd.DataFrame) -> dict[str, int]:
    """``designated`` (all units) and one count per status id."""
    return {"designated": len(state), **{s: int((state["status"] == s).sum()) for s in STATUS_IDS}}


def programme_counts(units: pd.DataFrame, year: int, regions: Sequence[str],
                     items: Sequence[str] = tuple(ITEM_SOURCES), after: int | None = None) -> pd.DataFrame:
    """Programme units by region, item and status at the end of ``year``.

    Parameters
    ----------
    units : pandas.DataFrame
        :func:`programme_units`.
    year : int
        Count the state at the end of this year.
    regions : sequence of str
        Division codes (2, 4 or 6 digits): a unit belongs to every region its county code
        starts with, so a region's counts are the sums of its counties'.
    items : sequence of str
        Items to report (default all of :data:`ITEM_SOURCES`; zeros where none).
    after : int, optional
        Only units first designated after this year (new since a plan's baseline).

    Returns
    -------
    pandas.DataFrame
        ``region_code``, ``item``, ``year``, ``designated`` and ``declared``,
        ``under_construction``, ``accepted`` (units with that status; a unit without a
        recorded status is in ``designated`` only).
    """
    state = units_at(units, year)
    if after is not None:
        state = state[state["first_year"] > int(after)]
    rows = []
    for region in regions:
        inside = state[state["county_code"].str.startswith(str(region))]
        for item in items:
            rows.append({"region_code": str(region), "item": item, "year": int(year),
                         **_status_counts(inside[inside["item"] == item])})
    return pd.DataFrame(rows, columns=["region_code", "item", "year", "designated", *STATUS_IDS])


# ---------------------------------------------------------------------------- plan progress

def _as_of(year: int, as_of) -> pd.Timestamp:
    """Date a year is judged at: 31 December of ``year``, or ``as_of`` when that is earlier."""
    end = pd.Timestamp(f"{int(year)}-12-31")
    return end if as_of is None or pd.isna(as_of) else min(end, pd.Timestamp(as_of))


def _targets(catalogue: Catalogue) -> pd.DataFrame:
    """Plan rows of ``kind`` target (all rows of a table without ``kind``)."""
    pt = catalogue.plan_targets.copy()
    pt["region_code"] = pt["region_code"].astype(str)
    if "kind" in pt.columns:
        pt = pt[pt["kind"] == "target"]
    return pt.reset_index(drop=True)


def plan_progress(
    villages: pd.DataFrame,
    catalogue: Catalogue | None = None,
    year: int | Sequence[int] = 2023,
    region_code: str | None = None,
    as_of=None,
    basis: str = "accepted",
    natural_villages: pd.DataFrame | None = None,
    designations: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Plan targets against declared, under-construction and accepted units.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village table (``village_code``, ``village_type``, ``designation_year``,
        ``build_status``).
    catalogue : Catalogue, optional
        Supplies ``plan_targets`` (rows of ``kind`` target); default: the packaged catalogue.
    year : int or sequence of int
        Count the units designated up to the end of each year.
    region_code : str, optional
        Report the targets of this region and of the regions inside it (e.g. ``"3407"``: the
        city and its counties). Default: the smallest division containing every village.
    as_of : date-like, optional
        The data's as-of date: a year is judged at 31 December or at ``as_of`` when earlier.
    basis : {"accepted", "designated"}
        Which count is compared with the plan: accepted units (已验收, default: a plan promises
        built villages) or every unit designated since the baseline.
    natural_villages, designations : pandas.DataFrame, optional
        The ``natural_villages`` and ``county_designations`` tables; an item whose table is
        absent or empty is ``not measured``.
    units : pandas.DataFrame, optional
        :func:`programme_units` of these three tables when the caller has it already (read,
        never changed); default: computed here.

    Returns
    -------
    pandas.DataFrame
        One row per target × year: ``programme``, ``programme_zh``, ``region_code``,
        ``region_level``, ``item``, ``item_zh``, ``year``, ``as_of``, ``basis``,
        ``baseline_year``, ``start_year`` (baseline_year + 1), ``baseline``, ``target_year``,
        ``target_new``, ``schedule``, ``expected`` (units, :func:`expected_progress`),
        ``expected_whole`` (:func:`whole` of it), ``designated`` (new since the baseline:
        baseline_year < first designation ≤ year), ``declared``, ``under_construction``,
        ``accepted`` (of those, by status), ``actual`` (the ``basis`` count), ``pct_of_target``
        (actual / target_new · 100, %), ``pct_expected`` (expected / target_new · 100, %), ``gap``
        (actual − expected_whole, units), ``status``, ``shortfall`` (expected_whole − actual
        when behind, else 0) and ``needed_per_year`` ((target_new − actual) / (target_year −
        year) when positive and years remain).

        ``status``: ``not started`` when ``as_of`` is not after the end of the baseline year
        (the programme starts in ``start_year``); ``not measured`` when the data hold no table
        for the item; ``not due`` when started but nothing is due in whole units yet and none is
        done (expected_whole = actual = 0); else ``ahead`` (actual > expected_whole), ``on
        schedule`` (equal) or ``behind``.

    Notes
    -----
    A village's ``build_status`` is the status recorded now; only ``designation_year`` is
    dated, so counts for past years use today's status (a 示范县's status has a history).

    Long because the docstring defines every output column; the code body is under 60 lines.

    Raises
    ------
    ProgressError
        Missing columns, no village in the region, no target for the region, an unknown basis
        or schedule.
    """
    if basis not in ("designated", "accepted"):
        raise ProgressError(f"unknown basis {basis!r}; choose 'accepted' or 'designated'")
    units = programme_units(villages, natural_villages, designations) if units is None else units
    catalogue = catalogue or load_catalogue()
    codes = villages["village_code"].astype(str)
    region = _common_region(codes) if region_code is None else str(region_code)
    if not codes.str.startswith(region).any():
        raise ProgressError(f"no village in region {region!r}; pass a region_code that prefixes the village codes")
    pt = _region_targets(catalogue, region)
    pt["count_region"] = pt["region_code"]
    years = [int(year)] if np.ndim(year) == 0 else [int(y) for y in year]
    out = _count_rows(pt, units, years, as_of, basis, available_items(natural_villages, designations))
    out["expected"] = np.nan
    for name in out["schedule"].unique():
        m = out["schedule"] == name
        g = out[m]
        out.loc[m, "expected"] = expected_progress(g["target_new"], g["baseline_year"], g["target_year"],
                                                   g["as_of"], name)
    _add_progress_measures(out)
    return out[_PLAN_COLUMNS]


_PLAN_COLUMNS = ["programme", "programme_zh", "region_code", "region_level", "item", "item_zh", "year", "as_of",
                 "basis", "baseline_year", "start_year", "baseline", "target_year", "target_new", "schedule",
                 "expected", "expected_whole", "designated", *STATUS_IDS, "actual", "pct_of_target", "pct_expected",
                 "gap", "status", "shortfall", "needed_per_year"]


def plan_contributions(
    villages: pd.DataFrame,
    codes: Sequence[str],
    catalogue: Catalogue | None = None,
    year: int = 2023,
    as_of=None,
    basis: str = "accepted",
    natural_villages: pd.DataFrame | None = None,
    designations: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What units inside a target's region contribute to it: a county's part of its city's target.

    Parameters
    ----------
    villages, catalogue, year, as_of, basis, natural_villages, designations, units
        As for :func:`plan_progress`.
    codes : sequence of str
        Division codes of the contributing regions (e.g. the four counties of 3407). Each is
        set against every target whose region contains it and is larger.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`plan_progress` plus ``target_region`` (the target's region);
        ``region_code`` and ``region_level`` are the contributor's, the counts those of its
        units (same window and basis as the target), ``pct_of_target`` = actual / target_new ·
        100, ``status`` ``contribution`` (``not measured`` for an item without data), and no
        schedule (``expected``, ``gap``, ``shortfall`` empty): a part of a region is not judged
        against the whole region's target. Summed over a region's counties the counts equal the
        region's :func:`plan_progress` counts.
    """
    units = programme_units(villages, natural_villages, designations) if units is None else units
    pt = _targets(catalogue or load_catalogue())
    level = {2: "province", 4: "city", 6: "county"}
    rows = []
    for code in map(str, codes):
        inside = pt[pt["region_code"].map(lambda r, c=code: c.startswith(r) and c != r)]
        rows.append(inside.assign(target_region=inside["region_code"], count_region=code, region_code=code,
                                  region_level=level.get(len(code), "")))
    pt = pd.concat(rows, ignore_index=True) if rows else pt.iloc[0:0].assign(target_region="", count_region="")
    out = _count_rows(pt, units, [int(year)], as_of, basis, available_items(natural_villages, designations))
    measured = out["status"] != "not measured"
    out["expected"] = out["expected_whole"] = out["gap"] = out["needed_per_year"] = np.nan
    out["shortfall"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["actual"] = out[basis].astype(float)
    out["pct_of_target"] = out["actual"] / out["target_new"].astype(float) * 100
    out["pct_expected"] = np.nan
    out["status"] = np.where(measured, "contribution", "not measured")
    return out[[*_PLAN_COLUMNS, "target_region"]]


def _region_targets(catalogue: Catalogue, region: str) -> pd.DataFrame:
    """The plan targets of ``region`` and of the regions inside it; :class:`ProgressError` when
    there are none or a schedule is unknown."""
    pt = _targets(catalogue)
    pt = pt[pt["region_code"].str.startswith(region)].reset_index(drop=True)
    if pt.empty:
        known = ", ".join(sorted(_targets(catalogue)["region_code"].unique()))
        raise ProgressError(f"plan_targets has no target for region {region!r} or inside it; regions with targets: {known}")
    bad = sorted(set(pt["schedule"]) - set(SCHEDULES))
    if bad:
        raise ProgressError(f"unknown schedule(s) {bad} in plan_targets; choose from {', '.join(SCHEDULES)}")
    return pt


def _count_rows(pt: pd.DataFrame, units: pd.DataFrame, years: list[int], as_of, basis: str,
                items: tuple[str, ...]) -> pd.DataFrame:
    """The targets in each year with the units of ``count_region`` first designated since each
    baseline, by status (NaN for items the data cannot count), ``actual``, ``basis`` and the
    window; ``status`` is ``not measured`` for those items, else empty."""
    parts = []
    for y in years:
        t = pt.assign(year=y, as_of=_as_of(y, as_of), basis=basis)
        state = units_at(units, y)
        counts = []
        # The plan table is tiny (a handful of rows): one vectorised count over units per row.
        for _, r in t.iterrows():
            m = state[(state["item"] == r["item"]) & state["county_code"].str.startswith(r["count_region"])
                      & (state["first_year"] > r["baseline_year"])]
            c = _status_counts(m)
            counts.append(c if r["item"] in items else dict.fromkeys(c, np.nan))
        parts.append(pd.concat([t, pd.DataFrame(counts, index=t.index, columns=["designated", *STATUS_IDS])],
                               axis=1))
    out = pd.concat(parts, ignore_index=True)
    out["start_year"] = out["baseline_year"].astype(int) + 1
    out["actual"] = out[basis].astype(float)
    out["status"] = np.where(out["item"].isin(list(items)), "", "not measured")
    for col in ["designated", *STATUS_IDS]:
        out[col] = out[col].astype("Int64")
    return out


def _add_progress_measures(out: pd.DataFrame) -> None:
    """Add ``expected_whole``, the percentages, ``gap``, ``status``, ``shortfall`` and
    ``needed_per_year`` (definitions in :func:`plan_progress`) to the counted targets ``out``."""
    measured = out["status"] != "not measured"
    tn = out["target_new"].astype(float)
    out["expected_whole"] = whole(out["expected"])
    out["pct_of_target"] = out["actual"] / tn * 100
    out["pct_expected"] = out["expected"] / tn * 100
    out["gap"] = out["actual"] - out["expected_whole"]
    started = decimal_year(out["as_of"]) > out["baseline_year"].astype(float) + 1 + 1e-9
    nothing = (out["expected_whole"] == 0) & (out["actual"] == 0)
    out["status"] = np.select(
        [~measured, ~started, nothing, out["gap"] > 0, out["gap"] < 0],
        ["not measured", "not started", "not due", "ahead", "behind"], default="on schedule")
    out["shortfall"] = (-out["gap"]).clip(lower=0).where(out["status"] == "behind", 0).astype("Int64")
    years_left = (out["target_year"] - out["year"]).astype(float)
    remaining = (tn - out["actual"]).clip(lower=0)
    out["needed_per_year"] = (remaining / years_left).where(years_left > 0)


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
