"""The published-facts tables: the vendored year series, published_facts.csv and catchup_series.csv.

``benchmark_series.csv`` is vendored unchanged from the shared reference data. Every row of
``published_facts.csv`` is traced to the reference table it names (``ref_table``):

* ``sources`` / ``series``: a row of ``benchmark_sources.csv`` / ``benchmark_series.csv`` with
  the same region (``ref_region``), indicator (``ref_indicator_zh``), years (the four-digit years
  of the year labels), value, source URL and title; a fact computed from published figures
  (``derivation``) uses only numbers that rows of the same page hold (unit factors 100 and
  10000 aside);
* ``plan_targets``: the city's target of the same item over the years of the fact's label (the
  seed's "未来五年", 2023–2027, ending in the plan's target year): ``target_new / 5``;
* its ``source_kind`` is the reference row's, or, for a row not yet checked (``unchecked``), the
  kind of the page's checked rows or ``repost``; a fact citing a repost or an unchecked page
  has no official row for the same figure.
"""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from hemei_tools.catalogue import (
    evaluate_derivation,
    load_benchmark_series,
    load_catchup_series,
    load_published_facts,
    validate_published_facts,
)
from hemei_tools.errors import CatalogueError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OFFICIAL = ("statistical_bulletin", "government", "official_media")
UNIT_FACTORS = {100.0, 10000.0}


def _read(name: str) -> pd.DataFrame:
    with resources.as_file(resources.files("hemei_tools") / "catalogue" / name) as p:
        return pd.read_csv(p, dtype=str, keep_default_na=False)


def _years(label: str) -> set[str]:
    return set(re.findall(r"\d{4}", str(label)))


def _numbers(expression: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", expression)]


def trace_problems(facts: pd.DataFrame, refs: dict[str, pd.DataFrame], plan: pd.DataFrame) -> list[str]:
    """Problems of ``facts`` (text columns) against the reference tables (module docstring)."""
    problems = []
    for i, f in facts.iterrows():
        where = f"published_facts row {int(i) + 2} ({f['fact_id']})"
        if f["ref_table"] == "plan_targets":
            p = plan[(plan["region_code"] == f["ref_region"]) & (plan["item_zh"] == f["ref_indicator_zh"])]
            if "kind" in p.columns:
                p = p[p["kind"] == "target"]
            first, last = (int(y) for y in re.findall(r"\d{4}", f["year_label"]))
            expected = [float(p["target_new"].iloc[0]), float(last - first + 1)]
            if (p.empty or _numbers(f["derivation"]) != expected or last != int(p["target_year"].iloc[0])
                    or f["source_title"] != p["source_title"].iloc[0]):
                problems.append(f"{where}: derivation {f['derivation']!r} is not the plan's target over the "
                                f"years {f['year_label']} ({expected})")
            continue
        ref = refs[f["ref_table"]]
        page = ref[(ref["source_url"] == f["source_url"]) & (ref["region"] == f["ref_region"])]
        if page.empty or f["source_title"] not in set(page["source_title"]):
            problems.append(f"{where}: {f['source_url']} is not a source of {f['ref_region']} in {f['ref_table']}")
            continue
        if f["derivation"]:
            held = set(pd.to_numeric(page["value"], errors="coerce"))
            missing = [x for x in _numbers(f["derivation"]) if x not in held and x not in UNIT_FACTORS]
            if missing:
                problems.append(f"{where}: derivation numbers {missing} are not figures of that page")
            cited = page
        else:
            cited = page[(page["indicator_zh"] == f["ref_indicator_zh"])
                         & (page["year"].map(_years) == _years(f["year_label"]))]
            if cited.empty:
                problems.append(f"{where}: no {f['ref_indicator_zh']!r} row for {f['year_label']} on that page")
                continue
            if abs(float(cited["value"].iloc[0]) - float(f["value"])) > 1e-9 * abs(float(f["value"])):
                problems.append(f"{where}: value {f['value']} != {cited['value'].iloc[0]}")
        kinds = set(cited["source_kind"]) if not f["derivation"] else set(page["source_kind"])
        checked = set(ref.loc[ref["source_url"] == f["source_url"], "source_kind"]) - {"unchecked"}
        allowed = kinds | ((checked | {"repost"}) if "unchecked" in kinds else set())
        if f["source_kind"] not in allowed:
            problems.append(f"{where}: source_kind {f['source_kind']!r} not one of {sorted(allowed)}")
        problems += _better_source(f, refs, where)
    return problems


def _better_source(f: pd.Series, refs: dict[str, pd.DataFrame], where: str) -> list[str]:
    """A fact citing a repost or an unchecked page while an official row holds the same figure
    (same region, year and value within 0.5 %)."""
    if f["source_kind"] in OFFICIAL:
        return []
    value = float(f["value"])
    out = []
    for name, ref in refs.items():
        v = pd.to_numeric(ref["value"], errors="coerce")
        same = ref[(ref["region"] == f["ref_region"]) & (ref["year"].map(_years) == _years(f["year_label"]))
                   & ((v - value).abs() <= 0.005 * abs(value)) & ref["source_kind"].isin(OFFICIAL)]
        if not same.empty:
            out.append(f"{where}: cites a {f['source_kind']} page while {name} holds an official row: "
                       f"{same['source_url'].iloc[0]}")
    return out


@pytest.fixture(scope="module")
def refs():
    return {"sources": _read("benchmark_sources.csv"), "series": _read("benchmark_series.csv")}


@pytest.fixture(scope="module")
def facts():
    return _read("published_facts.csv")


def test_vendored_series_is_the_shared_table():
    shared = SHARED / "benchmark_series.csv"
    if not shared.is_file():
        pytest.skip("the shared reference data (../shared/data) are not next to this checkout")
    with resources.as_file(resources.files("hemei_tools") / "catalogue" / "benchmark_series.csv") as p:
        assert p.read_bytes() == shared.read_bytes()


def test_vendored_series_loads_and_rejects_a_broken_copy(tmp_path):
    series = load_benchmark_series()
    assert len(series) == 37 and set(series["source_kind"]) <= set(OFFICIAL) | {"repost"}
    bad = _read("benchmark_series.csv")
    bad.loc[3, "value"] = "n/a"
    bad.loc[5, "source_url"] = ""
    bad.to_csv(tmp_path / "benchmark_series.csv", index=False)
    with pytest.raises(CatalogueError) as err:
        load_benchmark_series(tmp_path)
    text = str(err.value)
    assert "benchmark_series.csv row 5" in text and "is not a number" in text
    assert "row 7" in text and "source_url" in text


def test_every_fact_is_traced_to_its_reference_row(facts, refs):
    assert trace_problems(facts, refs, _read("plan_targets.csv")) == []


def test_a_fact_that_strays_from_its_source_fails(facts, refs):
    bad = facts.copy()
    bad.loc[bad["fact_id"] == "tl_rural_income_2020", "value"] = "17500"  # not the published 17,102
    bad.loc[bad["fact_id"] == "zj_income_ratio_2014", "derivation"] = "40393 / 19000"  # 19000: not on the page
    bad.loc[bad["fact_id"] == "zj_rural_income_2023", "source_kind"] = "official_media"  # the page is a repost
    bad.loc[bad["fact_id"] == "tl_boutique_pace", "derivation"] = "50 / 4"
    problems = "\n".join(trace_problems(bad, refs, _read("plan_targets.csv")))
    assert "tl_rural_income_2020): value 17500 != 17102" in problems
    assert "zj_income_ratio_2014): derivation numbers [19000.0]" in problems
    assert "zj_rural_income_2023): source_kind 'official_media'" in problems
    assert "tl_boutique_pace): derivation '50 / 4'" in problems


def test_a_repost_with_an_official_row_for_the_same_figure_fails(facts, refs):
    # Zhejiang's 2020 rural income is on the provincial government's site; citing a repost fails
    bad = facts.copy()
    row = bad["fact_id"] == "zj_rural_income_2020"
    bad.loc[row, "source_kind"] = "repost"
    assert any("official row" in p for p in trace_problems(bad.loc[row], refs, _read("plan_targets.csv")))


def test_loader_types_and_rules():
    f = load_published_facts()
    assert f["value"].dtype == float and f["year"].dtype == int
    assert f["fact_id"].is_unique
    # each fact is marked by what it is; reposts stay, marked, and every fact names its publisher
    assert set(f["kind"]) == {"actual", "target"}
    assert f["publisher"].str.strip().ne("").all() and f["source_title"].str.strip().ne("").all()
    assert (f.loc[f["ref_table"] != "plan_targets", "source_url"].str.startswith("http")).all()
    for _, r in f[f["derivation"] != ""].iterrows():
        assert evaluate_derivation(r["derivation"]) == pytest.approx(r["value"], rel=1e-4)


def test_broken_facts_are_rejected_by_row():
    bad = _read("published_facts.csv")
    bad.loc[0, "topic"] = "weather"
    bad.loc[1, "derivation"] = "24956 * 2"
    bad.loc[2, "source_url"] = ""
    bad.loc[3, "year"] = "1999"
    bad.loc[4, "fact_id"] = bad.loc[5, "fact_id"]
    problems = "\n".join(validate_published_facts(bad))
    assert "row 2 (zj_rural_income_2014): topic 'weather'" in problems
    assert "row 3 (zj_rural_income_2017): value 24956 differs from its derivation" in problems
    assert "row 4 (zj_rural_income_2018): a published fact needs an http(s) source_url" in problems
    assert "row 5 (zj_rural_income_2020): year '1999'" in problems
    assert "row 7: fact_id 'zj_rural_income_2022' is not unique" in problems
    with pytest.raises(ValueError, match="only numbers"):
        evaluate_derivation("__import__('os')")


def test_the_facts_the_issue_names_are_there():
    f = load_published_facts().set_index("fact_id")
    assert (f.loc["tl_central_share_2023", ["value", "year", "region_code"]].tolist() == [60.6, 2023, "340700"])
    assert f.loc["zj_new_era_share_2022", "qualifier"] == "more_than" and f.loc["zj_new_era_share_2022", "value"] == 90
    assert f.loc["tl_boutique_pace", "value"] == 10 and f.loc["tl_boutique_pace", "kind"] == "target"
    assert f.loc["ah_boutique_pace", "value"] == 200 and f.loc["zj_future_pace", "value"] == 200
    investment = f[f["topic"] == "investment"]
    assert len(investment) >= 3 and investment["caveat"].str.len().gt(10).all()


def test_catchup_series_use_one_basis_and_reject_a_mixed_config(tmp_path):
    cfg = load_catchup_series().set_index("topic")
    assert cfg.loc["rural_income", "direction"] == 1 and cfg.loc["income_ratio", "direction"] == -1
    assert set(cfg["basis"]) == {"disposable"}
    facts = load_published_facts()
    zj = facts[(facts["region_code"] == "330000") & facts["topic"].isin(cfg.index)]
    assert zj["year"].min() == 2014  # the disposable-income basis starts in 2014; no older year joined
    src = resources.files("hemei_tools") / "catalogue"
    for name in ("published_facts.csv", "catchup_series.csv"):
        with resources.as_file(src / name) as p:
            shutil.copy(p, tmp_path / name)
    bad = pd.read_csv(tmp_path / "catchup_series.csv", dtype=str, keep_default_na=False)
    bad.loc[0, "basis"] = "net"
    bad.loc[1, "direction"] = "1"
    bad.to_csv(tmp_path / "catchup_series.csv", index=False)
    with pytest.raises(CatalogueError) as err:
        load_catchup_series(tmp_path)
    text = str(err.value)
    assert "row 2 (rural_income): the benchmark region 330000 needs at least two actual facts on basis 'net'" in text
    assert "row 3 (income_ratio): facts of this topic and basis must all have direction 1" in text
