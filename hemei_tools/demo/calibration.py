"""The published figures the demo data set is calibrated to, with their sources.

:data:`CALIBRATION` holds the demo city's published totals that are not in the catalogue and the
judgement calls the generator makes; :func:`scale_targets` turns them (and the catalogue's
``plan_targets.csv``) into the counts of a scale; :func:`describe_calibration` reads the
realised figures back from a generated data set (what the tests and ``metadata.json`` check).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.catalogue import label as _t
from hemei_tools.errors import HemeiError
from hemei_tools.inputs.divisions import load_villages

SOURCE_PRESS = _t("demo.source.press")
SOURCE_PRESS_URL = "http://m.ahwang.cn/p/2585844.html"
SOURCE_WORK_REPORT = _t("demo.source.work_report")

#: Published figures of the demo city that are not in the catalogue, and the judgement calls
#: the generator makes. Catalogue figures (toilet coverage 83.5%, waste treatment 100%,
#: village plans 28.9% = 105/363, rural income 17,102 元 in 2020, the 3/3/2/2 boutique split)
#: are read from ``benchmarks.csv`` and ``plan_targets.csv``, not repeated here.
CALIBRATION: dict[str, dict] = {
    "central_villages": {
        "value": 220, "year": 2023,
        "what": _t("demo.calibration.central_villages"),
        "source": SOURCE_PRESS, "url": SOURCE_PRESS_URL,
    },
    "boutique_villages": {
        "value": 10, "year": 2023,
        "what": _t("demo.calibration.boutique_villages"),
        "source": SOURCE_WORK_REPORT, "url": SOURCE_PRESS_URL,
    },
    "applicants": {
        "value": 22, "year": 2023,
        "what": _t("demo.calibration.applicants"),
        "source": SOURCE_WORK_REPORT, "url": SOURCE_PRESS_URL,
    },
    "investment_wan": {
        "value": 145000.0, "first_year": 2013, "year": 2023,
        "what": _t("demo.calibration.investment"),
        "source": SOURCE_WORK_REPORT, "url": SOURCE_PRESS_URL,
    },
    "village_plans": {
        "value": 105, "year": 2023,
        "what": "villages with a practical village plan (the catalogue's 28.9% = 105/363)",
        "source": SOURCE_PRESS, "url": SOURCE_PRESS_URL,
    },
    "amount_growth_rate": {
        "value": 0.07,
        "what": _t("demo.calibration.amount_growth"),
        "source": _t("demo.calibration.amount_growth_source"),
        "url": "",
    },
    "natural_villages": {
        "value": 121, "year": 2023,
        "what": _t("demo.calibration.natural_villages"),
        "source": SOURCE_PRESS, "url": SOURCE_PRESS_URL,
    },
    "county_designations": {
        "value": [
            {"county_code": "340706", "designation": "advanced_county", "status": "accepted",
             "first_year": 2017, "last_year": 2023,
             "note": _t("demo.designation_note.advanced_yian")},
            {"county_code": "340722", "designation": "advanced_county", "status": "accepted",
             "first_year": 2021, "last_year": 2023,
             "note": _t("demo.designation_note.advanced_zongyang")},
            {"county_code": "340706", "designation": "village_cleaning", "status": "accepted",
             "first_year": 2021, "last_year": 2021,
             "note": _t("demo.designation_note.cleaning_yian")},
            {"county_code": "340706", "designation": "incentive", "status": "accepted",
             "first_year": 2021, "last_year": 2021,
             "note": _t("demo.designation_note.incentive_yian")},
            {"county_code": "340706", "designation": "demo_county", "status": "under_construction",
             "first_year": 2023, "last_year": 2023,
             "note": _t("demo.designation_note.demo_county_yian")},
        ],
        "what": _t("demo.calibration.county_designations"),
        "source": SOURCE_WORK_REPORT, "url": SOURCE_PRESS_URL,
    },
    "as_of": {
        "value": "2023-12-31",
        "what": _t("demo.calibration.as_of"),
        "source": "demo convention", "url": "",
    },
    "regions": {
        "value": {"tongling": "Tongling", "anhui": "Anhui", "national": "China"},
        "what": "the benchmarks.csv region label of each scale's own published figures",
        "source": "hemei_tools/catalogue/benchmarks.csv", "url": "",
    },
}


class DemoError(HemeiError):
    """The demo generator was asked for something it cannot build (say what to change)."""


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split integer ``total`` in proportion to ``weights`` (Hamilton's method, ties by order)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    quota = w / w.sum() * total
    base = np.floor(quota).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:rest]] += 1
    return base


def scale_targets(scale: str, villages: pd.DataFrame, catalogue: Catalogue) -> dict:
    """Counts the generator calibrates to, for a scale and its village list.

    Parameters
    ----------
    scale
        ``"tongling"``: the city's published totals (:data:`CALIBRATION`) and the 2023 county
        split of 精品示范村 from ``plan_targets.csv``. ``"anhui"``: the province's 2023
        baseline of central villages (7,395) and its yearly quota of boutique villages
        (1,000 over 2023–2027 → 200 a year), split over counties by village count.
        ``"national"``: Anhui's shares applied to the synthetic village count.
    villages
        The village list (``village_code``, ``county_code``).
    catalogue
        Source of the plan targets.

    Returns
    -------
    dict
        ``central`` (int), ``boutique_by_county`` (Series county_code → int),
        ``applicants_by_county`` (Series), ``investment_wan`` (float, 万元), ``region``,
        ``natural_villages`` (int: the city's 121, or 121 per 363 villages at the other scales).
        Applicants are ``CALIBRATION applicants / boutique`` (22/10) times the boutique
        villages of a county, split by largest remainder.
    """
    n = len(villages)
    counties = pd.Index(sorted(villages["county_code"].unique()))
    n_by_county = villages.groupby("county_code").size().reindex(counties).to_numpy()
    pt = catalogue.plan_targets
    year = CALIBRATION["central_villages"]["year"]
    if scale == "tongling":
        central = int(CALIBRATION["central_villages"]["value"])
        rows = pt[(pt["kind"] == "quota") & (pt["region_level"] == "county") & (pt["item"] == "boutique_village")
                  & (pt["target_year"] == year)]
        boutique = rows.set_index("region_code")["target_new"].astype(int).reindex(counties, fill_value=0)
        if int(boutique.sum()) != int(CALIBRATION["boutique_villages"]["value"]):
            raise DemoError(f"plan_targets.csv splits {int(boutique.sum())} boutique villages over the "
                            f"demo counties for {year}; CALIBRATION says "
                            f"{CALIBRATION['boutique_villages']['value']}")
        investment = float(CALIBRATION["investment_wan"]["value"])
    else:
        prov = pt[(pt["region_level"] == "province") & (pt["kind"] == "target")].set_index("item")
        central_base = float(prov.loc["central_village", "baseline"])
        b = prov.loc["boutique_village"]
        per_year = float(b["target_new"]) / float(b["target_year"] - b["baseline_year"])
        n_anhui = len(load_villages(None))
        central = round(central_base * n / n_anhui)
        boutique_total = round(per_year * n / n_anhui)
        boutique = pd.Series(_largest_remainder(n_by_county, boutique_total), index=counties)
        n_city = len(load_villages())
        investment = float(CALIBRATION["investment_wan"]["value"]) / n_city * n
    ratio = CALIBRATION["applicants"]["value"] / CALIBRATION["boutique_villages"]["value"]
    applicants = pd.Series(_largest_remainder(boutique.to_numpy() * ratio,
                                              round(ratio * int(boutique.sum()))), index=counties)
    applicants = np.maximum(applicants, boutique)
    natural = int(CALIBRATION["natural_villages"]["value"])
    if scale != "tongling":
        natural = round(natural * n / len(load_villages()))
    return {"central": int(min(central, n)), "boutique_by_county": boutique.astype(np.int64),
            "applicants_by_county": applicants.astype(np.int64), "investment_wan": investment,
            "region": CALIBRATION["regions"]["value"][scale], "natural_villages": natural}


def describe_calibration(tables: dict[str, pd.DataFrame], catalogue: Catalogue | None = None,
                         means: bool = True) -> dict:
    """Realised calibration figures of a generated data set (what the tests check).

    ``means=False`` skips the indicator means (the cheap counts only, as in metadata.json).

    Returns
    -------
    dict
        ``central`` villages in the last year, ``boutique_by_county`` (last-year designations),
        ``applicants``, ``selected``, ``investment_wan`` (Σ budget_wan), ``natural_villages``
        (accepted by the last year), ``county_designations`` (rows), and for each indicator
        with a published comparison the realised last-year unit mean (weighted by its
        aggregation): ``means`` {indicator_id: value}.
    """
    cat = catalogue if catalogue is not None else load_catalogue()
    v, obs = tables["villages"], tables["observations"]
    last = int(obs["year"].max())
    boutique_type = _t("vocab.village_type.boutique")
    central = (v["village_type"].isin([_t("vocab.village_type.central"), boutique_type])
               & (v["designation_year"] <= last))
    boutique = v[(v["village_type"] == boutique_type) & (v["designation_year"] == last)]
    out = {
        "central": int(central.sum()),
        "boutique_by_county": {str(k): int(n) for k, n in boutique.groupby("county_code").size().items()},
        "applicants": int(len(tables["applicants"])),
        "selected": int(tables["applicants"]["selected"].sum()),
        "investment_wan": round(float(tables["projects"]["budget_wan"].sum()), 2),
    }
    nat = tables.get("natural_villages")
    if nat is not None:
        out["natural_villages"] = int(((nat["build_status"] == _t("vocab.build_status.accepted"))
                                       & (nat["designation_year"] <= last)).sum())
    if tables.get("county_designations") is not None:
        out["county_designations"] = int(len(tables["county_designations"]))
    if not means:
        return out
    o = obs[obs["year"] == last].merge(v[["village_code", "population", "households"]], on="village_code")
    unit_means = {}
    for iid, g in o.groupby("indicator_id"):
        agg = cat.indicator(iid)["aggregation"]
        w = {"household_mean": g["households"], "population_mean": g["population"]}.get(agg)
        val = g["value"] * (100.0 if cat.indicator(iid)["value_type"] == "binary" else 1.0)
        unit_means[iid] = float(np.average(val, weights=w)) if w is not None else float(val.mean())
    out["means"] = unit_means
    return out
