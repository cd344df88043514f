"""Synthetic demo data: villages, observations, project ledger, applicants and programme units (示例数据（模拟）).

Per-village indicator values, project ledgers and applicant evidence are published nowhere, so
the demo data set is **generated**: on the real village list of city 3407 (铜陵, 363
administrative villages) or of all Anhui (13,583), or on synthetic divisions of any size for
national-scale work, and calibrated to the real published totals (:data:`CALIBRATION` and the
catalogue's comparison rows). Every table carries ``synthetic = True`` and the folder a
``metadata.json`` that says so.

The model
---------
A latent development factor per village drives everything, so indicators correlate the way
real ones do:

    d_v = county + township + position + idiosyncratic           (standardised to mean 0, sd 1)
    z_vt = d_v + g_v · (t − t0) + c_vt + ε_vt

*county*: districts (name ends 区) are richer than rural counties (县), county-level cities
(市) in between; *township*: subdistricts (街道) richer than towns (镇), towns richer than 乡;
*position*: a village's order inside its township (codes are numbered outward from the seat)
stands for its distance to the town centre, first villages richest; g_v the pace of
improvement per year (15% of villages stagnate, 5% slip back); c_vt a boost from the year a
village became a 省级中心村; ε_vt yearly noise.

Each indicator i loads on z with its own weight λ_i and a persistent village-specific part
e_vi: s_vti = d_i · (λ_i z_vt + √(1 − λ_i²) e_vi), d_i the catalogue direction. The catalogue
metadata alone decides how s becomes a value (no indicator id appears in this module):

* ``percent``: min + (max − min) · logistic(a_i + 1.2 s); ``a_i`` solved by bisection so the unit mean
  (weighted as the indicator's ``aggregation`` says) hits the level in the target year.
* ``binary``: a village has the item when a persistent uniform u_vi < logistic(a_i + 1.5 s);
  once built an item stays (cumulative maximum over years).
* ``amount``: exp(μ_i + σ s), σ = 0.25 for per-capita figures (``population_mean``) and 0.9
  for village totals; μ_i in closed form from the level.
* ``count``: Poisson with mean exp(μ_i + 0.5 s).

Values are clipped to the catalogue's ``min_value``/``max_value`` and rounded to its
``decimals``.

Levels (the calibration chain, first that exists, for the target year = last year)
-----------------------------------------------------------------------------------
1. A comparison row of the scale's own region (``Tongling`` for the city, ``Anhui`` for the
   province, ``China`` for the nation): percent → unit mean; binary → exact village count
   round(share · n); amount → unit mean in every year, extrapolated from the published year
   at ``CALIBRATION["amount_growth_rate"]``. A figure at the best end of the range (100% when
   higher is better, the floor when lower is better) puts every village there in that year;
   earlier years close the gap linearly.
2. A comparison row of the province (Anhui) or the nation: used the same way but as a mean
   only.
3. The benchmark value times a factor f drawn in [0.6, 0.92] (divided by f when lower is
   better): a visible gap to the benchmark.
4. Frontier benchmarks (no published figure): percent levels at 40–80% of the valid range
   (20–60% when lower is better), binary shares 20–70% (10–40%), amounts max_value · 0.005,
   counts max_value · 0.03.

Counts (central villages, boutique villages by county, applicants, investment) come from
:data:`CALIBRATION` and the catalogue's ``plan_targets.csv``; see :func:`scale_targets`. The
city's 220 central villages are *built* (建成) by 2023, as the work report says: designated
2013–2022 in equal batches (the 5511 plan's 100 new ones are counted from 2023) and all
accepted (已验收); the 2023 精品示范村 are chosen among them (申报 or 在建).

Programme units the village list cannot hold
--------------------------------------------
Drawn with a generator of their own (``PCG64([seed, 1])``), so adding them left every other
table unchanged. ``natural_villages``: the city's 121 美丽宜居自然村庄 built 2013–2023
(:data:`CALIBRATION`; at the Anhui and national scales the same 121 per 363 administrative
villages), each under a central village drawn with weight exp(0.5 d_v), designated in a year
no earlier than its parent's, all accepted, named ``<村名>模拟自然村<k>`` (natural villages
have no official list). ``county_designations``: the county honours and the 示范县 of the
work report (Tongling scale only), the masked district assigned as
``CALIBRATION["county_designations"]`` states.

Project ledger
--------------
Projects start 2013–2023 so the ledger carries the whole published investment (¥14.5亿 =
145,000 万元 over 2013–2023 for the city); projects that started 2013–2018 are history (all
finished), those of 2019–2023 carry the mix of statuses (已完工/在建/未开工) as of
``CALIBRATION["as_of"]`` including overdue open projects. ``budget_wan`` sums exactly to the
target.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.demo.calibration import CALIBRATION, DemoError, describe_calibration, scale_targets
from hemei_tools.demo.write import FORMATS, write_tables
from hemei_tools.inputs.divisions import load_villages, short_name

SCALES = ("tongling", "anhui", "national")
DEFAULT_YEARS = (2019, 2020, 2021, 2022, 2023)
FIRST_PROJECT_YEAR = CALIBRATION["investment_wan"]["first_year"]
NATIONAL_MAX_VILLAGES = 700_000
SOLVER_SAMPLE = 50_000

VILLAGE_COLUMNS = ["village_code", "village_name", "township_code", "township_name", "county_code",
                   "county_name", "village_type", "designation_year", "build_status", "population",
                   "households", "synthetic"]
NATURAL_VILLAGE_COLUMNS = ["village_code", "natural_village_name", "build_status", "designation_year", "synthetic"]
DESIGNATION_COLUMNS = ["county_code", "county_name", "designation", "status", "year", "note", "synthetic"]
APPLICANT_COLUMNS = ["village_code", "apply_year", "collective_income_wan", "rural_income_yuan",
                     "industry_output_wan", "tourist_visits_wan", "participation_rate",
                     "self_raised_wan", "party_grade", "has_village_plan", "open_violation",
                     "selected", "synthetic"]
#: Funding sources of the demo projects (``funding_source`` values) and their shares.
FUNDING_SOURCES = {
    _t("vocab.funding_source.provincial"): 0.35,
    _t("vocab.funding_source.city"): 0.20,
    _t("vocab.funding_source.county"): 0.30,
    _t("vocab.funding_source.village_collective"): 0.08,
    _t("vocab.funding_source.social_capital"): 0.07,
}

#: Applicant evidence as a function of the latent factor z centred on the applicants' mean
#: (applicants are the stronger central villages): median of a typical applicant, log-slope
#: per unit of z, and noise log-sd (万元, 万人次). Judgement calls, documented here.
EVIDENCE_SCALES = {
    "collective_income_wan": (120.0, 0.6, 0.35),
    "industry_output_wan": (4000.0, 0.7, 0.45),
    "tourist_visits_wan": (15.0, 0.8, 0.6),
    "self_raised_wan": (80.0, 0.5, 0.5),
}


# --------------------------------------------------------------------------------------------
# Divisions
# --------------------------------------------------------------------------------------------

def synthetic_divisions(n_villages: int, rng: np.random.Generator) -> pd.DataFrame:
    """A synthetic, plausible division hierarchy of ``n_villages`` villages.

    About 15 villages per township (1 + Poisson(14)), 10 townships per county, 30 counties
    per city and 16 cities per province; 12-digit codes province (2) · city (2) · county (2)
    · township (3, from 101) · village (3, from 201). Province codes start at 90, outside the
    real range, and every name starts with 模拟 so nobody mistakes them for real places. The
    first three county-level units of each city are districts (区), the rest counties (县).

    Parameters
    ----------
    n_villages
        Number of villages, 1 … 700,000.
    rng
        Random generator (consumed).
    """
    if not 1 <= n_villages <= NATIONAL_MAX_VILLAGES:
        raise DemoError(f"--villages must be between 1 and {NATIONAL_MAX_VILLAGES:,}; got {n_villages:,}")

    def sizes(total: int, mean: float, cap: int) -> np.ndarray:
        draw = np.minimum(1 + rng.poisson(mean - 1, size=int(total / mean * 1.5) + 10), cap)
        cum = np.cumsum(draw)
        k = int(np.searchsorted(cum, total)) + 1
        out = draw[:k].copy()
        out[-1] -= int(cum[k - 1] - total)
        return out

    v_per_t = sizes(n_villages, 15, 199)
    t_per_c = sizes(len(v_per_t), 10, 899)
    c_per_m = sizes(len(t_per_c), 30, 99)
    m_per_p = sizes(len(c_per_m), 16, 99)
    if len(m_per_p) > 10:
        raise DemoError("too many synthetic provinces; lower --villages")

    def within(counts: np.ndarray) -> np.ndarray:
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        return np.arange(counts.sum()) - starts

    t_of_v = np.repeat(np.arange(len(v_per_t)), v_per_t)
    c_of_t = np.repeat(np.arange(len(t_per_c)), t_per_c)
    m_of_c = np.repeat(np.arange(len(c_per_m)), c_per_m)
    p_of_m = np.repeat(np.arange(len(m_per_p)), m_per_p)
    city_code = (90 + p_of_m) * 100 + within(m_per_p) + 1
    county_code = city_code[m_of_c] * 100 + within(c_per_m) + 1
    township_code = county_code[c_of_t] * 1000 + 101 + within(t_per_c)
    village_code = township_code[t_of_v] * 1000 + 201 + within(v_per_t)
    is_district = within(c_per_m) < 3

    c_str = county_code.astype(str)
    prefix = _t("demo.name.prefix")
    suffix = np.where(is_district, _t("demo.name.district"), _t("demo.name.county"))
    county_name = np.char.add(np.char.add(prefix, c_str), suffix)
    t_str = township_code.astype(str)
    township_name = np.char.add(np.char.add(prefix, t_str), _t("demo.name.town"))
    v_str = village_code.astype(str)
    village_name = np.char.add(np.char.add(prefix, v_str), _t("demo.name.village"))
    return pd.DataFrame({
        "village_code": v_str,
        "village_name": village_name,
        "township_code": t_str[t_of_v],
        "township_name": township_name[t_of_v],
        "county_code": c_str[c_of_t][t_of_v],
        "county_name": county_name[c_of_t][t_of_v],
    })


def _divisions(scale: str, n_villages: int | None, rng: np.random.Generator) -> pd.DataFrame:
    if scale not in SCALES:
        raise DemoError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if scale == "national":
        if n_villages is None:
            raise DemoError("--scale national needs --villages N (1 … 700,000)")
        return synthetic_divisions(int(n_villages), rng)
    if n_villages is not None:
        raise DemoError(f"--villages only applies to --scale national; {scale} uses the real village list")
    v = load_villages("3407" if scale == "tongling" else None)
    v["village_name"] = v["village_name"].map(short_name)
    return v[["village_code", "village_name", "township_code", "township_name", "county_code",
              "county_name"]]


# --------------------------------------------------------------------------------------------
# Latent development
# --------------------------------------------------------------------------------------------

def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def _latent(div: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Latent development d_v (mean 0, sd 1): county + township + position + idiosyncratic."""
    n = len(div)
    c_codes, c_idx = np.unique(div["county_code"].to_numpy(), return_inverse=True)
    c_names = div["county_name"].to_numpy()[np.unique(c_idx, return_index=True)[1]]
    c_kind = np.select([pd.Series(c_names).str.endswith(_t("division.suffix.district")).to_numpy(),
                        pd.Series(c_names).str.endswith(_t("division.suffix.city")).to_numpy()], [0.5, 0.2], -0.25)
    county = c_kind + rng.normal(0.0, 0.3, len(c_codes))
    t_codes, t_idx, t_counts = np.unique(div["township_code"].to_numpy(), return_inverse=True,
                                         return_counts=True)
    t_names = pd.Series(div["township_name"].to_numpy()[np.unique(t_idx, return_index=True)[1]])
    t_kind = np.select([t_names.str.endswith(_t("division.suffix.subdistrict")).to_numpy(),
                        t_names.str.endswith(_t("division.suffix.township")).to_numpy()],
                       [0.3, -0.3], 0.0)
    township = t_kind + rng.normal(0.0, 0.4, len(t_codes))
    # position of the village in its township (codes sorted): 0 first … 1 last
    order = np.arange(n) - (np.cumsum(t_counts) - t_counts)[t_idx]
    position = order / np.maximum(t_counts[t_idx] - 1, 1)
    d = county[c_idx] + township[t_idx] + 0.9 * (0.5 - position) + rng.normal(0.0, 0.6, n)
    return _standardise(d)


# --------------------------------------------------------------------------------------------
# Villages, types and designations
# --------------------------------------------------------------------------------------------

def _villages(div: pd.DataFrame, d: np.ndarray, targets: dict,
              rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Village table with types and designations, plus the applicant frame (before evidence)."""
    n = len(div)
    population = np.round(np.exp(rng.normal(np.log(2600), 0.45, n) + 0.1 * d)).astype(np.int64)
    population = np.clip(population, 300, 20000)
    households = np.maximum(np.round(population / rng.uniform(2.7, 3.5, n)).astype(np.int64), 80)

    # central villages: the most developed (with noise), designated 2013…2022, earliest first
    merit = d + rng.normal(0.0, 0.6, n)
    n_central = targets["central"]
    county = div["county_code"].to_numpy()
    # every county keeps enough central villages for its applicants; the rest go by merit
    by_county = pd.DataFrame({"county_code": county, "m": merit}).sort_values(
        ["county_code", "m"], ascending=[True, False], kind="stable")
    rank_in_county = by_county.groupby("county_code").cumcount().reindex(np.arange(n)).to_numpy()
    reserved = rank_in_county < pd.Series(county).map(targets["applicants_by_county"]).fillna(0).to_numpy()
    if reserved.sum() > n_central:
        raise DemoError(f"{int(reserved.sum())} applicants need more central villages than the "
                        f"{n_central} the scale has")
    central = reserved.copy()
    rest = np.flatnonzero(~reserved)
    central[rest[np.argsort(-merit[rest], kind="stable")[:n_central - int(reserved.sum())]]] = True
    ranked = np.flatnonzero(central)[np.argsort(-merit[central], kind="stable")]
    first = FIRST_PROJECT_YEAR
    final = CALIBRATION["central_villages"]["year"]
    year = np.full(n, -1, dtype=np.int64)
    # earliest designations go to the highest merit; equal batches per year up to the year
    # before the calibration year: the published 220 are built (建成) by then (18-month cycle)
    batch = np.floor(np.arange(n_central) * (final - first) / max(n_central, 1)).astype(np.int64)
    year[ranked] = first + batch

    vtype = np.where(central, _t("vocab.village_type.central"), _t("vocab.village_type.ordinary")).astype(object)
    accepted = _t("vocab.build_status.accepted")
    status = np.where(central, accepted, None).astype(object)

    # applicants: per county, the central villages (already accepted first) with most merit
    app_merit = merit + 3.0 * (status == accepted) + rng.normal(0.0, 0.3, n)
    cand = pd.DataFrame({"i": np.arange(n), "county_code": county, "m": app_merit})[central]
    cand = cand.sort_values(["county_code", "m"], ascending=[True, False], kind="stable")
    cand["rank"] = cand.groupby("county_code").cumcount()
    want = targets["applicants_by_county"]
    cand = cand[cand["rank"] < cand["county_code"].map(want).fillna(0).to_numpy()]
    short = want - cand.groupby("county_code").size().reindex(want.index, fill_value=0)
    if (short > 0).any():
        bad = ", ".join(f"{c} ({int(k)} short)" for c, k in short[short > 0].items())
        raise DemoError(f"not enough central villages to draw the applicants in county {bad}")
    apps = cand[["i", "county_code"]].reset_index(drop=True)

    villages = div.copy()
    villages["village_type"] = vtype
    villages["designation_year"] = pd.array(np.where(central, year, 0), dtype="Int64")
    villages.loc[~central, "designation_year"] = pd.NA
    villages["build_status"] = pd.array(status, dtype="str")
    villages["population"] = population
    villages["households"] = households
    villages["synthetic"] = True
    return villages, apps


def _applicants(villages: pd.DataFrame, apps: pd.DataFrame, z_last: np.ndarray, targets: dict,
                rng: np.random.Generator, year: int) -> pd.DataFrame:
    """Applicant evidence drawn from the latent factor; the top-k per county are selected.

    The selected villages become 精品示范村 designated ``year`` (status 在建 or 申报) in
    ``villages`` (modified in place).
    """
    i = apps["i"].to_numpy()
    k = len(i)
    z = z_last[i] - (z_last[i].mean() if k else 0.0)
    out = pd.DataFrame({"village_code": villages["village_code"].to_numpy()[i], "apply_year": year})
    score = np.zeros(k)
    for col, (median, slope, noise) in EVIDENCE_SCALES.items():
        x = np.log(median) + slope * z + rng.normal(0.0, noise, k)
        out[col] = np.round(np.exp(x), 1)
        score += (x - np.log(median)) / slope
    # applicants earn about 1.3 × the unit's mean rural income (the catalogue's per-capita
    # amount indicator); 17,000 元 only if a variant catalogue has no such indicator
    base_income = 17000.0 if targets.get("income") is None else targets["income"]
    out["rural_income_yuan"] = np.round(1.3 * base_income * np.exp(0.15 * z + rng.normal(0.0, 0.08, k)), 0)
    out["participation_rate"] = np.round(np.clip(78 + 8 * z + rng.normal(0.0, 6.0, k), 5, 99), 1)
    grade_x = z + rng.normal(0.0, 0.7, k)
    out["party_grade"] = pd.array(np.select([grade_x > 0.3, grade_x > -0.6], ["A", "B"], "C"), dtype="str")
    # applicants are the stronger central villages: most have a plan (about 9 in 10 at z = 0)
    out["has_village_plan"] = (rng.random(k) < _logistic(1.5 * z + 2.2)).astype(np.int64)
    out["open_violation"] = (rng.random(k) < 0.15 * _logistic(-1.5 * z)).astype(np.int64)
    score = (score + (out["participation_rate"].to_numpy() - 78) / 8
             + out["party_grade"].map({"A": 2.0, "B": 1.0, "C": 0.0}).to_numpy()
             + out["has_village_plan"].to_numpy() - 4 * out["open_violation"].to_numpy()
             + rng.normal(0.0, 0.8, k))
    # the city chose among eligible applicants (a plan, no open violation) before ranking them
    eligible = (out["has_village_plan"].to_numpy() == 1) & (out["open_violation"].to_numpy() == 0)
    score = np.where(eligible, score, score - 1e6)
    order = pd.DataFrame({"county_code": apps["county_code"].to_numpy(), "s": score})
    order = order.sort_values(["county_code", "s"], ascending=[True, False], kind="stable")
    rank = order.groupby("county_code").cumcount().reindex(order.index.sort_values())
    quota = apps["county_code"].map(targets["boutique_by_county"]).fillna(0).to_numpy()
    selected = rank.to_numpy() < quota
    out["selected"] = selected.astype(np.int64)
    out["synthetic"] = True

    chosen = i[selected]
    villages.loc[chosen, "village_type"] = _t("vocab.village_type.boutique")
    villages.loc[chosen, "designation_year"] = year
    villages.loc[chosen, "build_status"] = np.where(rng.random(len(chosen)) < 0.6,
                                                    _t("vocab.build_status.under_construction"),
                                                    _t("vocab.build_status.declared"))
    return out.sort_values("village_code", kind="stable").reset_index(drop=True)[APPLICANT_COLUMNS]


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------

def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _weights(aggregation: str, villages: pd.DataFrame) -> np.ndarray:
    if aggregation == "household_mean":
        return villages["households"].to_numpy(dtype=float)
    if aggregation == "population_mean":
        return villages["population"].to_numpy(dtype=float)
    return np.ones(len(villages))


def _solve(f, target: float, lo: float = -20.0, hi: float = 20.0, iters: int = 48) -> float:
    """Bisection for a non-decreasing f: the a with f(a) closest to ``target``."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _levels(row: pd.Series, catalogue: Catalogue, region: str, years: Sequence[int],
            rng_factor: float, rng_level: float) -> dict:
    """Where an indicator's unit mean should sit (see the module docstring, 'Levels')."""
    bm = catalogue.benchmarks
    rows = bm[(bm["indicator_id"] == row["indicator_id"]) & bm["value"].notna()]
    own = rows[rows["region"] == region].sort_values("year", ascending=False)
    others = rows[rows["region"].isin([CALIBRATION["regions"]["value"]["anhui"],
                                       CALIBRATION["regions"]["value"]["national"]])
                  & (rows["role"] == "comparison")]
    others = others.sort_values(["region", "year"], ascending=[True, False])
    bench = rows[rows["role"] == "benchmark"]
    vt = row["value_type"]
    scale = 100.0 if vt == "binary" else 1.0
    if not own.empty:
        level, source, exact, year = float(own["value"].iloc[0]), "own", True, int(own["year"].iloc[0])
    elif not others.empty:
        level, source, exact, year = float(others["value"].iloc[0]), "other", False, int(others["year"].iloc[0])
    elif not bench.empty:
        # the city trails the benchmark: below it when higher is better, above it otherwise
        factor = rng_factor if int(row["direction"]) == 1 else 1.0 / rng_factor
        level, source, exact, year = float(bench["value"].iloc[0]) * factor, "benchmark", False, None
    else:
        source, exact, year = "frontier", False, None
        lo, hi = float(row["min_value"]), float(row["max_value"])
        good = int(row["direction"]) == 1
        level = {"percent": lo + (hi - lo) * ((0.4 if good else 0.2) + 0.4 * rng_level),
                 "binary": (20 + 50 * rng_level) if good else (10 + 30 * rng_level),
                 "amount": hi * 0.005,
                 "count": hi * 0.03}[vt]
    by_year = {}
    g = CALIBRATION["amount_growth_rate"]["value"]
    for y in years:
        if vt in ("amount", "count") and year is not None:
            by_year[y] = level * (1 + g) ** (y - year)
        else:
            by_year[y] = level / scale if vt == "binary" else level
    return {"level": by_year, "source": source, "exact": exact}


def _indicator_values(row: pd.Series, s: np.ndarray, u: np.ndarray, w: np.ndarray, lev: dict,
                      years: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """Values (years × villages) of one indicator from its scores ``s``."""
    lo, hi = float(row["min_value"]), float(row["max_value"])
    dec = int(row["decimals"])
    vt = row["value_type"]
    t_last = len(years) - 1
    target = lev["level"][years[-1]]
    # means are solved on an evenly strided sample of at most SOLVER_SAMPLE villages
    step = -(-len(w) // SOLVER_SAMPLE)
    ws = w[::step]
    wsum = ws.sum()

    def wmean(sample: np.ndarray) -> float:
        """Weighted mean over the strided sample (``sample`` is already ``x[::step]``)."""
        return float((sample * ws).sum() / wsum)

    s_last = s[t_last, ::step]

    if vt == "percent":
        span = hi - lo

        def values(a: float, si: np.ndarray) -> np.ndarray:
            return np.round(np.clip(lo + span * _logistic(a + 1.2 * si), lo, hi), dec)

        # a published figure at the best end of the range (100% for a good item, 0% for a bad
        # one) puts every village there in the last year
        best = hi if int(row["direction"]) == 1 else lo
        at_best = target >= hi if best == hi else target <= lo
        if at_best:
            goal = best - 0.15 * span if best == hi else best + 0.15 * span
        else:
            goal = float(np.clip(target, lo + 0.03 * span, hi - 0.03 * span))
        a = _solve(lambda a: wmean(values(a, s_last)), goal)
        out = values(a, s)
        if at_best:
            # the gap to the best end closes linearly to nothing in the last year
            frac = (t_last - np.arange(len(years)))[:, None] / max(t_last, 1)
            out = np.round(best - (best - out) * frac, dec)
        return out
    if vt == "binary":
        if lev["exact"] and lev["source"] == "own":
            # exact count: u < logistic(a + 1.5 s) ⇔ 1.5 s − logit(u) > −a, so putting −a at
            # the n-th largest key gives exactly n villages in the last year
            n_have = round(target * len(w))
            uc = np.clip(u, 1e-12, 1 - 1e-12)
            key = 1.5 * s[t_last] - np.log(uc / (1.0 - uc))
            last = np.zeros(len(w), dtype=bool)
            ranked = np.argsort(-key, kind="stable")
            last[ranked[:n_have]] = True
            a = -float(key[ranked[n_have - 1]]) if n_have else -np.inf
            have = (uc < _logistic(a + 1.5 * s)) & last
            have[t_last] = last
        else:
            a = _solve(lambda a: wmean(_logistic(a + 1.5 * s_last)), target)
            have = u < _logistic(a + 1.5 * s)
        return np.maximum.accumulate(have, axis=0).astype(float)
    if vt == "amount":
        sigma = 0.25 if row["aggregation"] == "population_mean" else 0.9
        ex = np.exp(sigma * s)
        out = np.empty_like(s)
        mu_last = np.log(target / wmean(ex[t_last, ::step]))
        for k, y in enumerate(years):
            mu = np.log(lev["level"][y] / wmean(ex[k, ::step])) if lev["source"] == "own" else mu_last
            out[k] = np.exp(mu) * ex[k]
        return np.round(np.clip(out, lo, hi), dec)
    # count
    ex = np.exp(0.5 * s)
    mu = np.log(target / wmean(ex[t_last, ::step]))
    return np.clip(rng.poisson(np.exp(mu) * ex), lo, hi).astype(float)


def _observations(villages: pd.DataFrame, d: np.ndarray, years: Sequence[int],
                  catalogue: Catalogue, region: str, rng: np.random.Generator,
                  ) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Long observations for every catalogue indicator, plus z in the last year and the levels."""
    n = len(villages)
    ny = len(years)
    t = np.asarray(years, dtype=float) - DEFAULT_YEARS[0]
    # pace of improvement (sd units a year): 15% stagnate, 5% slip back, the rest improve
    kind = rng.random(n)
    pace = np.where(kind < 0.05, rng.normal(-0.06, 0.03, n),
                    np.where(kind < 0.20, rng.normal(0.01, 0.02, n), rng.normal(0.24, 0.06, n) + 0.04 * d))
    desig = villages["designation_year"].to_numpy(dtype=float, na_value=np.inf)
    boost = 0.25 * np.clip((np.asarray(years, dtype=float)[:, None] - desig[None, :] + 1) / 3, 0, 1)
    z = d[None, :] + pace[None, :] * t[:, None] + boost + rng.normal(0.0, 0.08, (ny, n))

    ind = catalogue.indicators.sort_values("indicator_id", kind="stable").reset_index(drop=True)
    k = len(ind)
    values = np.empty((n, ny, k))
    levels = {}
    for j, row in ind.iterrows():
        lam = rng.uniform(0.55, 0.85)
        e = rng.normal(0.0, 1.0, n)
        s = int(row["direction"]) * (lam * z + np.sqrt(1 - lam**2) * e[None, :]
                                     + rng.normal(0.0, 0.1, (ny, n)))
        u = rng.random(n)
        lev = _levels(row, catalogue, region, years, rng.uniform(0.6, 0.92), rng.random())
        w = _weights(row["aggregation"], villages)
        values[:, :, j] = _indicator_values(row, s, u, w, lev, years, rng).T
        levels[row["indicator_id"]] = lev

    codes = villages["village_code"].to_numpy()
    obs = pd.DataFrame({
        "village_code": _repeat_str(codes, ny * k),
        "year": np.tile(np.repeat(np.asarray(years, dtype=np.int64), k), n),
        "indicator_id": _tile_str(ind["indicator_id"].to_numpy(), n * ny),
        "value": values.reshape(-1),
        "synthetic": np.ones(n * ny * k, dtype=bool),
    })
    return obs, z[-1], levels


def _str_series(data: np.ndarray, offsets: np.ndarray) -> pd.Series:
    """A pandas ``str`` Series over Arrow buffers: UTF-8 bytes and int64 offsets."""
    import pyarrow as pa

    arr = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.Series(pd.array(arr, dtype="str"))


def _encoded(arr: np.ndarray) -> tuple[list[bytes], np.ndarray]:
    raw = [str(x).encode("utf-8") for x in arr]
    return raw, np.array([len(b) for b in raw], dtype=np.int64)


def _fixed_ascii(arr: np.ndarray) -> np.ndarray | None:
    """``arr`` as a (n, width) uint8 matrix when every value is ASCII of one length, else None."""
    a = np.asarray(arr, dtype=str)
    if not len(a):
        return None
    try:
        b = a.astype("S")
    except UnicodeEncodeError:
        return None
    width = b.dtype.itemsize
    if width == 0 or not (np.char.str_len(b) == width).all():
        return None
    return np.frombuffer(b.tobytes(), dtype=np.uint8).reshape(len(a), width)


def _take_str(arr: np.ndarray, idx: np.ndarray) -> pd.Series:
    """``arr[idx]`` as a pandas ``str`` Series, built from byte buffers (no Python objects).

    Codes (ASCII, one length) are gathered as a byte matrix; other text through an Arrow
    dictionary array.
    """
    matrix = _fixed_ascii(arr)
    if matrix is not None:
        width = matrix.shape[1]
        return _str_series(matrix[idx].reshape(-1), np.arange(len(idx) + 1, dtype=np.int64) * width)
    import pyarrow as pa

    dictionary = pa.array(np.asarray(arr, dtype=str), type=pa.large_string())
    taken = pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), dictionary).cast(pa.large_string())
    return pd.Series(pd.array(taken, dtype="str"))


def _repeat_str(arr: np.ndarray, times: int) -> pd.Series:
    """Each value of ``arr`` ``times`` times in a row (a, a, b, b, ...)."""
    matrix = _fixed_ascii(arr)
    if matrix is not None:
        width = matrix.shape[1]
        data = np.repeat(matrix, times, axis=0).reshape(-1)
        return _str_series(data, np.arange(len(matrix) * times + 1, dtype=np.int64) * width)
    return _take_str(arr, np.repeat(np.arange(len(arr)), times))


def _tile_str(arr: np.ndarray, times: int) -> pd.Series:
    """``arr`` repeated as a whole ``times`` times (a, b, a, b, ...)."""
    raw, lengths = _encoded(arr)
    block = np.frombuffer(b"".join(raw), dtype=np.uint8)
    data = np.tile(block, times)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    offsets = np.empty(len(raw) * times + 1, dtype=np.int64)
    offsets[:-1] = (np.arange(times, dtype=np.int64)[:, None] * len(block) + starts[None, :]).reshape(-1)
    offsets[-1] = len(block) * times
    return _str_series(data, offsets)


# --------------------------------------------------------------------------------------------
# Project ledger
# --------------------------------------------------------------------------------------------

def _projects(villages: pd.DataFrame, d: np.ndarray, catalogue: Catalogue, investment: float,
              rng: np.random.Generator) -> pd.DataFrame:
    """Project ledger 2013–2023 whose budgets sum to ``investment`` (万元)."""
    as_of = np.datetime64(CALIBRATION["as_of"]["value"])
    last = int(str(as_of)[:4])
    n = len(villages)
    desig = villages["designation_year"].to_numpy(dtype=float, na_value=np.nan)
    central = ~np.isnan(desig)
    # central villages: 2–6 projects from their designation year; others: Poisson(0.8) since 2019
    n_proj = np.where(central, 2 + rng.poisson(2.0, n), rng.poisson(0.8, n))
    n_proj = np.minimum(n_proj, 8)
    v = np.repeat(np.arange(n), n_proj)
    m = len(v)
    first = np.where(central, desig, DEFAULT_YEARS[0])[v]
    # a village's projects follow its designation; the lag wraps within the village's years
    span = last - first + 1
    start_year = (first + np.floor(rng.exponential(1.5, m)) % span).astype(np.int64)
    start = (np.array(start_year - 1970, dtype="datetime64[Y]").astype("datetime64[D]")
             + rng.integers(0, 365, m).astype("timedelta64[D]"))
    duration = rng.integers(180, 721, m).astype("timedelta64[D]")
    planned = start + duration
    stuck = rng.random(m) < np.where(start_year >= DEFAULT_YEARS[0], 0.07, 0.0)
    delay = np.maximum(rng.normal(20, 90, m), -60).astype(np.int64).astype("timedelta64[D]")
    finish = planned + delay
    done = (finish <= as_of) & ~stuck
    days_before = (as_of - start).astype(np.int64)
    not_started = ~done & (days_before < 180) & (rng.random(m) < 0.3)
    status_idx = np.where(done, 2, np.where(not_started, 0, 1))

    tasks = catalogue.tasks
    dims = catalogue.dimensions["code"].tolist()
    # environment and infrastructure (first dimension) take the bulk of the money
    tw = np.where(tasks["parent"].to_numpy() == dims[0], 3.0, 1.0)
    task_idx = rng.choice(len(tasks), size=m, p=tw / tw.sum())
    raw = np.exp(rng.normal(0.0, 0.7, m) + 0.15 * d[v]) * np.where(central[v], 1.5, 0.6)
    budget = np.round(raw / raw.sum() * investment, 2)
    if m:
        budget[np.argmax(budget)] += round(investment - budget.sum(), 2)
    elapsed = np.clip(days_before / duration.astype(np.int64), 0, 1)
    share = np.where(done, rng.uniform(0.92, 1.0, m),
                     np.where(not_started, 0.0, np.minimum(0.95, elapsed * rng.uniform(0.5, 1.0, m))))
    disbursed = np.minimum(np.round(budget * share, 2), budget)
    funding_idx = rng.choice(len(FUNDING_SOURCES), size=m, p=list(FUNDING_SOURCES.values()))

    # villages are sorted by code, so the village index orders like the code
    order = np.lexsort((v, start))
    v, start, planned, finish = v[order], start[order], planned[order], finish[order]
    done, status_idx, task_idx = done[order], status_idx[order], task_idx[order]
    budget, disbursed, funding_idx = budget[order], disbursed[order], funding_idx[order]
    width = max(6, len(str(m)))
    ids = np.char.add("P", np.char.zfill(np.arange(1, m + 1).astype(str), width))
    names = (_take_str(villages["village_name"].to_numpy(), v) + _take_str(tasks["name_zh"].to_numpy(), task_idx)
             + _t("demo.name.project"))
    proj = pd.DataFrame({
        "project_id": pd.array(ids, dtype="str"),
        "village_code": _take_str(villages["village_code"].to_numpy(), v),
        "task_id": _take_str(tasks["code"].to_numpy(), task_idx),
        "project_name": names,
        "start_date": pd.to_datetime(start).astype("datetime64[ns]"),
        "planned_end": pd.to_datetime(planned).astype("datetime64[ns]"),
        "actual_end": pd.to_datetime(np.where(done, finish, np.datetime64("NaT"))).astype("datetime64[ns]"),
        "budget_wan": budget,
        "disbursed_wan": disbursed,
        "funding_source": _take_str(np.asarray(list(FUNDING_SOURCES)), funding_idx),
        "status": _take_str(np.asarray([_t(f"vocab.project_status.{s}")
                                        for s in ("not_started", "in_progress", "finished")]), status_idx),
        "synthetic": np.ones(m, dtype=bool),
    })
    return proj


# --------------------------------------------------------------------------------------------
# Programme units: natural villages and county designations
# --------------------------------------------------------------------------------------------

def _natural_villages(villages: pd.DataFrame, d: np.ndarray, n_natural: int,
                      rng: np.random.Generator) -> pd.DataFrame:
    """``n_natural`` built 美丽宜居自然村庄 under central villages (module docstring)."""
    desig = villages["designation_year"].to_numpy(dtype=float, na_value=np.nan)
    parents = np.flatnonzero(~np.isnan(desig))
    if not len(parents) or n_natural <= 0:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in NATURAL_VILLAGE_COLUMNS})
    w = np.exp(0.5 * d[parents])
    pick = np.sort(rng.choice(parents, size=n_natural, replace=True, p=w / w.sum()))
    k = pd.Series(pick).groupby(pick).cumcount().to_numpy() + 1
    first, final = FIRST_PROJECT_YEAR, CALIBRATION["natural_villages"]["year"]
    year = np.maximum(rng.integers(first, final + 1, size=n_natural), desig[pick].astype(np.int64))
    names = [_tf("demo.name.natural_village", village=v, n=int(i))
             for v, i in zip(villages["village_name"].to_numpy()[pick], k, strict=True)]
    return pd.DataFrame({
        "village_code": pd.array(villages["village_code"].to_numpy()[pick], dtype="str"),
        "natural_village_name": pd.array(names, dtype="str"),
        "build_status": pd.array([_t("vocab.build_status.accepted")] * n_natural, dtype="str"),
        "designation_year": year.astype(np.int64),
        "synthetic": np.ones(n_natural, dtype=bool),
    })[NATURAL_VILLAGE_COLUMNS]


def _county_designations(villages: pd.DataFrame, scale: str) -> pd.DataFrame:
    """The county honours and 示范县 of ``CALIBRATION["county_designations"]`` (Tongling scale
    only; an empty table otherwise), one row per county, designation and year."""
    rows = []
    if scale == "tongling":
        names = villages.drop_duplicates("county_code").set_index("county_code")["county_name"]
        for r in CALIBRATION["county_designations"]["value"]:
            for year in range(r["first_year"], r["last_year"] + 1):
                rows.append({"county_code": r["county_code"], "county_name": names.get(r["county_code"], ""),
                             "designation": _t(f"vocab.designation.{r['designation']}"),
                             "status": _t(f"vocab.build_status.{r['status']}"), "year": year,
                             "note": r["note"], "synthetic": True})
    out = pd.DataFrame(rows, columns=DESIGNATION_COLUMNS)
    out = out.astype({"county_code": "str", "county_name": "str", "designation": "str", "status": "str",
                      "year": "int64", "note": "str", "synthetic": bool})
    return out.sort_values(["county_code", "designation", "year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def _parse_years(years: Iterable[int] | str | None) -> tuple[int, ...]:
    if years is None:
        return DEFAULT_YEARS
    if isinstance(years, str):
        out: list[int] = []
        for part in re.split(r"[,\s]+", years.strip()):
            if not part:
                continue
            m = re.fullmatch(r"(\d{4})(?:[-–](\d{4}))?", part)
            if not m:
                raise DemoError(f"cannot read years {years!r}; write e.g. 2023, 2021,2023 or 2019-2023")
            a, b = int(m.group(1)), int(m.group(2) or m.group(1))
            out.extend(range(a, b + 1))
        years = out
    ys = tuple(sorted({int(y) for y in years}))
    if not ys or ys[0] < DEFAULT_YEARS[0] or ys[-1] > DEFAULT_YEARS[-1]:
        raise DemoError(f"years must lie in {DEFAULT_YEARS[0]}–{DEFAULT_YEARS[-1]}; got {ys}")
    return ys


def generate_demo(scale: str = "tongling", seed: int = 2023, villages: int | None = None,
                  years: Iterable[int] | str | None = None,
                  catalogue: Catalogue | None = None) -> dict[str, pd.DataFrame]:
    """Generate the synthetic demo data set.

    Parameters
    ----------
    scale
        ``"tongling"`` (the 363 real villages of city 3407), ``"anhui"`` (13,583 real Anhui
        villages) or ``"national"`` (synthetic divisions, needs ``villages``).
    seed
        Seed of the ``numpy.random.Generator(PCG64(seed))``; same seed → same tables.
    villages
        Number of synthetic villages for ``scale="national"`` (1 … 700,000).
    years
        Observation years within 2019–2023 (default all five); the calibration year is the
        last one. The project ledger always covers 2013–2023.
    catalogue
        Indicator catalogue (default the packaged one).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``villages``, ``observations``, ``projects``, ``applicants``, ``natural_villages`` and
        ``county_designations`` (empty except at the Tongling scale) with the columns of
        ``docs/design.md`` plus ``synthetic`` (True), sorted by their keys.

    Raises
    ------
    DemoError
        Unknown scale, ``villages`` given for a real scale, or years outside 2019–2023.
    """
    cat = catalogue if catalogue is not None else load_catalogue()
    ys = _parse_years(years)
    rng = np.random.Generator(np.random.PCG64(seed))
    div = _divisions(scale, villages, rng).sort_values("village_code", kind="stable").reset_index(drop=True)
    targets = scale_targets(scale, div, cat)
    d = _latent(div, rng)
    vil, apps = _villages(div, d, targets, rng)
    obs, z_last, levels = _observations(vil, d, ys, cat, targets["region"], rng)
    income = [lev["level"][ys[-1]] for iid, lev in levels.items()
              if cat.indicator(iid)["aggregation"] == "population_mean"]
    targets["income"] = income[0] if income else None
    year = CALIBRATION["applicants"]["year"]
    applicants = _applicants(vil, apps, z_last, targets, rng, year)
    projects = _projects(vil, d, cat, targets["investment_wan"], rng)
    vil = vil[VILLAGE_COLUMNS]
    # programme units: their own generator, so the tables above are as before they existed
    units_rng = np.random.Generator(np.random.PCG64([seed, 1]))
    natural = _natural_villages(vil, d, targets["natural_villages"], units_rng)
    return {"villages": vil, "observations": obs, "projects": projects, "applicants": applicants,
            "natural_villages": natural, "county_designations": _county_designations(vil, scale)}


def write_demo(out_dir: str | Path, scale: str = "tongling", seed: int = 2023,
               villages: int | None = None, years: Iterable[int] | str | None = None,
               fmt: str | None = None, row_group_size: int = 20_000) -> dict[str, object]:
    """Generate the demo data set and write it to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing). Files are written atomically.
    scale, seed, villages, years
        As for :func:`generate_demo`.
    fmt
        ``"csv"`` (default for tongling): ``villages.csv``, ``observations.csv``,
        ``projects.csv``, ``applicants.csv``, UTF-8, sorted, floats as ``%.10g``, dates
        ``YYYY-MM-DD``. ``"parquet"`` (default for anhui and national): ``villages.parquet``,
        ``projects.parquet``, ``applicants.parquet`` and the observations partitioned by county
        (``observations/county_code=XXXXXX/part.parquet``, zstd, ``row_group_size`` rows per
        group) so a county report reads only its own rows. ``"both"``: both forms.
    row_group_size
        Rows per Parquet row group.

    Returns
    -------
    dict
        ``out_dir``, ``files`` (relative path → rows), ``metadata`` (the JSON written) and
        ``tables`` (the generated frames).

    Notes
    -----
    When ``out_dir`` already holds an earlier demo run (its ``metadata.json`` says synthetic),
    demo files this run does not rewrite (the other format, partitions of other counties) are
    removed so the folder holds one consistent data set. Other files are never touched.
    """
    ys = _parse_years(years)
    fmt = fmt or ("csv" if scale == "tongling" else "parquet")
    if fmt not in FORMATS:
        raise DemoError(f"unknown format {fmt!r}; choose csv, parquet or both")
    tables = generate_demo(scale=scale, seed=seed, villages=villages, years=ys)
    return write_tables(out_dir, tables, scale=scale, seed=seed, fmt=fmt, row_group_size=row_group_size)


__all__ = ["CALIBRATION", "DemoError", "describe_calibration", "generate_demo", "scale_targets",
           "synthetic_divisions", "write_demo", "write_tables"]
