"""Regions (county, city, province) on a tiny three-city province, with values set by hand.

The data folder (:func:`write_province`): three cities of province 34 — 3401 (合肥市),
3402 (芜湖市), 3407 (铜陵市) in the packaged division list — each with two counties of one
township and two villages (12 villages, every one with 300 households and 900 people).
Every scored indicator sits at its catalogue minimum in every village of 3401, at its maximum
in 3407, and in 3402 at the midpoint (binary items: 0, 1, 0, 1, i.e. 50 % of villages),
in 2022 and 2023. One amount indicator, ``industry_output`` (scored against a pinned
reference: the catalogue's county-level 90th percentile B, above 700, and 2.5th percentile L,
between 200 and 600), is set instead to 100 in every village of 3401, 200, 200, 600, 600 in 3402 (its first
county 200, 200; its second 600, 600) and 700 in every village of 3407.

By hand:

- goalposts (the catalogue's alone, never the data's): every upper goalpost of the other
  indicators (a published figure, a policy standard of 100 % or a pinned reference) is at
  most the catalogue maximum, and every lower goalpost is at least the catalogue minimum. So
  3407 scores 100 on every indicator but industry_output, a = 100·(700 − L)/(B − L), and 3401
  scores 0 everywhere (100 < L): their 和美指数 are 100 − (100 − a)/32 (industry_output weighs
  1/2 of a task, 1/16 of the index per task) and 0, and 3402 ranks 2nd.
- the province: with equal households and population every province value is the mean over
  its 12 villages, (min + mid + max) / 3 = mid (binary: (0 + 50 + 100) / 3 = 50 %;
  industry_output: (4·100 + 1,600 + 4·700) / 12 = 400 = 3402's mean), so the province's
  scores equal 3402's.
- Theil of industry_output over the 12 villages (mean 400; x/μ = ¼ four times, ½ twice,
  1½ twice, 1¾ four times): T = (1/12)(ln ¼ + ln ½ + 3 ln 1½ + 7 ln 1¾) = 0.25452;
  between cities (shares of the total 1/12, 4/12, 7/12; μ_g/μ = ¼, 1, 1¾):
  T_b = (1/12) ln ¼ + (7/12) ln 1¾ = 0.21092, share 0.82868. Gini of 3402's villages
  {200, 200, 600, 600}: 8 ordered pairs × 400 / (2 · 4² · 400) = 0.25.
- in city 3402 alone the counties are internally equal (200, 200 | 600, 600): the Theil of
  industry_output is all between counties, T = ¼(ln ½ + 3 ln 1½) = 0.13081, share 1.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from province_data import AMOUNT, YEAR

from hemei_tools.engine import region
from hemei_tools.errors import SectionError
from hemei_tools.present import narrative as nv
from hemei_tools.present import sections as sc


@pytest.fixture(scope="module")
def province(province_dir):
    from hemei_tools.engine.region import load_region_context

    return region.analyse_region(load_region_context(str(province_dir), "", YEAR), n_runs=0)


@pytest.fixture(scope="module")
def city(province_dir):
    from hemei_tools.engine.region import load_region_context

    return region.analyse_region(load_region_context(str(province_dir), "340200", YEAR), n_runs=0)


def _index(a, level, code) -> float:
    s = a.result.index_scores(level, YEAR)
    return float(s.loc[s["unit_code"].astype(str) == code, "score"].iloc[0])


# ---------------------------------------------------------------- contexts
def test_list_regions_rows_codes_and_order(province_dir):
    from hemei_tools.inputs.regions import list_regions

    r = list_regions(str(province_dir))
    assert list(r.columns) == ["level", "region_code", "region_name", "parent_code", "n_villages"]
    assert r["level"].tolist() == ["province"] + ["city"] * 3 + ["county"] * 6
    assert r["region_code"].tolist() == ["340000", "340100", "340200", "340700",
                                         "340101", "340102", "340201", "340202", "340701", "340702"]
    assert r["region_name"].tolist()[:4] == ["安徽省", "合肥市", "芜湖市", "铜陵市"]
    assert r["region_name"].iloc[4] == "县340101"
    assert r["parent_code"].tolist() == ["", "340000", "340000", "340000",
                                         "340100", "340100", "340200", "340200", "340700", "340700"]
    assert r["n_villages"].tolist() == [12, 4, 4, 4, 2, 2, 2, 2, 2, 2]


def test_one_city_data_list_the_city_first_without_a_province(demo_dir):
    from hemei_tools.inputs.regions import list_regions

    r = list_regions(str(demo_dir))
    assert r["region_code"].tolist() == ["340700", "340705", "340706", "340711", "340722"]
    assert r["parent_code"].tolist() == ["", "340700", "340700", "340700", "340700"]
    assert r["n_villages"].tolist() == [363, 12, 99, 62, 190]


def test_region_contexts_by_code(province_dir):
    from hemei_tools.engine.region import (
        load_region_context,
        load_report_context,
        report_title,
        summary,
    )

    whole = load_region_context(str(province_dir), "", YEAR)
    assert (whole.level, whole.region_code, whole.region_name, whole.unit_code) == ("province", "340000", "安徽省", "34")
    assert len(whole.villages) == 12 and whole.county_code == ""
    assert report_title(whole) == "安徽省和美乡村建设概览（2023年）"
    s = summary(whole)
    assert (s["region_code"], s["level"], s["title"]) == ("340000", "province", "安徽省和美乡村建设概览（2023年）")
    assert s["figures"][0]["value"] == 12
    c = load_region_context(str(province_dir), "340700", YEAR)
    assert (c.level, c.region_name, c.unit_code, len(c.villages)) == ("city", "铜陵市", "3407", 4)
    assert set(c.villages["county_code"]) == {"340701", "340702"}
    county = load_region_context(str(province_dir), "340202", YEAR)
    assert (county.level, county.county_code, county.county_name, len(county.villages)) == (
        "county", "340202", "县340202", 2)
    assert report_title(county) == "县340202和美乡村建设评估报告（2023年）"
    # the county form keeps working and gives the same context
    old = load_report_context(str(province_dir), "340202", YEAR)
    assert (old.level, old.region_code, old.region_name) == ("county", "340202", "县340202")
    assert load_report_context(str(province_dir), "", YEAR).region_code == "340000"


@pytest.mark.parametrize(("code", "why"), [("340300", "not a region of the data"), ("3401", "not six digits"),
                                           ("350000", "not a region of the data"), ("34010a", "not six digits")])
def test_unknown_region_is_an_error_listing_the_regions(province_dir, code, why):
    from hemei_tools.engine.region import load_region_context
    from hemei_tools.errors import ReportDataError

    with pytest.raises(ReportDataError, match=why) as err:
        load_region_context(str(province_dir), code, YEAR)
    assert "340000 安徽省; 340100 合肥市" in str(err.value)
    assert "340702 县340702" in str(err.value)


def test_region_without_observations_in_the_year_is_an_error(province_dir):
    from hemei_tools.engine.region import load_region_context
    from hemei_tools.errors import ReportDataError

    with pytest.raises(ReportDataError, match=re.escape("no observations for 铜陵市（340700） in 2019")):
        load_region_context(str(province_dir), "340700", 2019)


def test_context_built_directly_derives_its_region(province_dir):
    from hemei_tools.engine.region import RegionContext, load_region_context

    full = load_region_context(str(province_dir), "", YEAR)
    bare = RegionContext(full.dataset, full.catalogue, "", "", YEAR, True, full.data_dir)
    assert (bare.level, bare.region_code, bare.region_name) == ("province", "340000", "安徽省")
    county = RegionContext(full.dataset, full.catalogue, "340101", "县340101", YEAR, True, full.data_dir)
    assert (county.level, county.region_code, county.unit_code) == ("county", "340101", "340101")


# ---------------------------------------------------------------- sections
def _pinned_amount() -> float:
    """industry_output's score at 700 against the catalogue's pinned reference: 100·(700 − L)/(B − L)."""
    from hemei_tools.catalogue import load_catalogue

    ref = load_catalogue().reference_goalposts
    io = ref[(ref["indicator_id"] == AMOUNT) & (ref["basis"] == "reference")].set_index("role")
    b, lo = float(io.loc["benchmark", "value"]), float(io.loc["low", "value"])
    assert 200 < lo < 600 < 700 < b  # the case the module docstring computes
    return 100 * (700 - lo) / (b - lo)


def test_province_children_are_cities_scored_by_hand(province):
    a = province
    assert (a.level, a.unit_code, a.unit_name, a.child_level) == ("province", "34", "安徽省", "city")
    top = 100 - (100 - _pinned_amount()) / 32
    assert _index(a, "city", "3407") == pytest.approx(top)
    assert _index(a, "city", "3401") == pytest.approx(0.0)
    assert _index(a, "province", "34") == pytest.approx(_index(a, "city", "3402"), abs=1e-9)
    assert 0 < _index(a, "province", "34") < 100
    sec = sc.section_children(a)
    t = sec.tables["children"]
    assert t.columns[0] == "市" and t["市"].tolist() == ["铜陵市", "芜湖市", "合肥市"]
    # 3407 ≥ 3402 ≥ 3401 on every indicator: every Monte Carlo run (weights, methods, benchmark
    # bases, reference percentile) keeps the order, so each interval is the rank itself
    assert t["排名（5%–95%区间）"].tolist() == ["1（1–1）", "2（2–2）", "3（3–3）"]
    assert t[a.catalogue.label(a.catalogue.index_code)].tolist()[0] == pytest.approx(round(top, 1))
    assert sec.parts[0].data == "## 各市对比"
    assert "县区" not in sec.text and "500次蒙特卡洛模拟的5%–95%区间" in sec.text
    assert a.child_runs == 500 and a.child_ranks["unit_code"].tolist() == ["3407", "3402", "3401"]


def test_zhejiang_index_of_the_cities_by_hand(province):
    """浙江对标指数: only the seven indicators with a Zhejiang figure (sewage 100, waste treatment
    100, waste sorting 100 — 1/64 of the index each — and collective income ≥50万 51.2, rural
    income 40,311, courtyards 60, scenic villages 56.5 — 1/32 each), re-weighted over 11/64."""
    z = province.zhejiang
    z = z[z["level"] == "city"].set_index("unit_code")
    assert z.loc["3407", "score"] == pytest.approx(100.0) and z.loc["3401", "score"] == pytest.approx(0.0)
    # 3402 at the midpoints: 50 % on the three T02 rates and the two shares, 51,500 yuan income
    parts = [50 / 100, 50 / 100, 50 / 100]
    halves = [50 / 51.2, 1.0, 50 / 60, 50 / 56.5]
    expected = 100 * (sum(parts) / 64 + sum(halves) / 32) / (11 / 64)
    assert z.loc["3402", "score"] == pytest.approx(expected)
    assert (z["n_basis"] == 7).all() and z["weight_share"].to_numpy() == pytest.approx([11 / 64] * 3)
    sec = sc.section_index(province)
    assert "浙江对标指数" in sec.text and "安徽省为" in sec.text
    assert sec.tables["zhejiang"]["浙江对标指数"].tolist() == [f"{z_:.1f}" for z_ in
                                                        province.zhejiang.query("level == 'province'")["score"]]


def test_province_theil_between_cities_by_hand(province):
    sec = sc.section_children_imbalance(province)
    t = province.imbalance
    pooled = t[(t["group"] == "all") & (t["code"] == AMOUNT)].iloc[0]
    theil = (math.log(1 / 4) + math.log(1 / 2) + 3 * math.log(3 / 2) + 7 * math.log(7 / 4)) / 12
    between = math.log(1 / 4) / 12 + 7 / 12 * math.log(7 / 4)
    assert pooled["theil"] == pytest.approx(theil) == pytest.approx(0.25452, abs=1e-5)
    assert pooled["theil_between"] == pytest.approx(between) == pytest.approx(0.21092, abs=1e-5)
    assert pooled["between_share"] == pytest.approx(between / theil) == pytest.approx(0.82868, abs=1e-5)
    per_city = t[(t["group"] != "all") & (t["code"] == AMOUNT)].set_index("group")["gini"]
    assert per_city.to_dict() == pytest.approx({"3401": 0.0, "3402": 0.25, "3407": 0.0})
    assert sec.parts[0].data == "## 市间与市内不平衡"
    assert "市之间的差异" in sec.text and "县区" not in sec.text
    assert sec.tables["children"]["市"].tolist() == ["合肥市", "芜湖市", "铜陵市"]
    assert len(sec.figures) == 1


def test_province_plan_shows_province_and_city_targets_only(province):
    p = province.plan
    assert set(p["region_code"].astype(str)) <= {"34", "3401", "3402", "3407"}
    assert "34" in set(p["region_code"].astype(str))
    # three of sixteen cities cannot judge the province's schedule (the central-village
    # programme starts in 2024: not started yet)
    started = (p["region_code"].astype(str) == "34") & (p["status"] != "not started")
    assert started.any() and (p.loc[started, "status"] == "partial").all()
    table = sc.section_plan_progress(province).tables["plan"]
    assert set(table.loc[started.to_numpy(), sc.HEADERS["region"]]) == {"全省（所含各市已完成部分）"}
    text = sc.section_plan_progress(province).text
    assert "本市" not in table.to_string() + text and "所含各市新增已验收" in text
    assert "2024年起实施" in text


def test_city_on_province_data_is_scored_as_in_the_whole_build(city, province):
    from hemei_tools.engine.composite import build_index
    from hemei_tools.engine.rollup import aggregate_values

    assert (city.level, city.unit_code, city.unit_name, city.child_level) == ("city", "3402", "芜湖市", "county")
    assert set(city.values["unit_code"].astype(str).str[:4]) == {"3402"}
    ds = city.ctx.dataset
    whole = build_index(aggregate_values(ds.observations, ds.villages, city.catalogue), city.catalogue)
    for level in ("city", "county"):
        mine = city.result.scores
        mine = mine[(mine["level"] == level) & (mine["year"] == YEAR)].set_index(["unit_code", "node"])["score"]
        all_ = whole.scores
        all_ = all_[(all_["level"] == level) & (all_["year"] == YEAR)].set_index(["unit_code", "node"])["score"]
        assert len(mine) and mine.to_numpy() == pytest.approx(all_.reindex(mine.index).to_numpy(), abs=1e-9)
    assert _index(city, "city", "3402") == pytest.approx(_index(province, "city", "3402"), abs=1e-9)
    sec = sc.section_children(city)
    assert sec.parts[0].data == "## 各县区对比"
    # the counties differ only on industry_output (600 against 200): the second county ranks first,
    # in every Monte Carlo run (600 is above the pinned floor, 200 below it)
    assert sec.tables["children"]["县区"].tolist() == ["县340202", "县340201"]
    assert sec.tables["children"]["排名（5%–95%区间）"].tolist() == ["1（1–1）", "2（2–2）"]
    # the counties are internally equal on the amount indicator: all of its Theil is between them
    pooled = city.imbalance[(city.imbalance["group"] == "all") & (city.imbalance["code"] == AMOUNT)].iloc[0]
    assert pooled["theil"] == pytest.approx((math.log(1 / 2) + 3 * math.log(3 / 2)) / 4)
    assert pooled["between_share"] == pytest.approx(1.0)
    imb = sc.section_children_imbalance(city)
    assert imb.parts[0].data == "## 县区间与县区内不平衡"


def test_headline_and_index_of_a_province_have_no_county_columns(province):
    h = sc.section_headline(province)
    assert "安徽省和美指数为" in h.text
    assert h.data["city_score"] == pytest.approx(_index(province, "province", "34"))
    t = sc.section_index(province).tables["index"]
    assert sc.HEADERS["rank"] not in t.columns and sc.HEADERS["city"] not in t.columns
    assert len(t) == 5


def test_sixteen_children_draw_small_lorenz_panels(province):
    many = [(f"市{i}", np.linspace(1, 2 + i, 5), 0.1 * i) for i in range(16)]
    fig = sc._lorenz_panels(many)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 16 and len(fig.axes) == 16
    assert visible[3].get_title() == "市3（0.300）"
    assert all(ax.get_legend() is None for ax in visible)
    # the three-city province overlays its three curves in one chart instead
    ax = sc.section_children_imbalance(province).figures[0].axes
    assert len(ax) == 1 and len([ln for ln in ax[0].lines if ln.get_gid() == "lorenz"]) == 3


def test_region_sections_run_for_each_level(province, city):
    for a in (province, city):
        for heading, fn in sc.REGION_SECTIONS:
            sec = fn(a)
            # a section that heads itself shows its heading first, or nothing (全省县区排名 in a city)
            assert heading is not None or not sec.parts or sec.parts[0].data.startswith("## ")


def test_several_provinces_need_a_region_code(province_dir, tmp_path):
    from hemei_tools.engine.region import load_region_context
    from hemei_tools.errors import ReportDataError

    v = pd.read_csv(province_dir / "villages.csv", dtype=str)
    o = pd.read_csv(province_dir / "observations.csv", dtype=str)
    # move city 3401 to a made-up province 35 (the data are declared synthetic)
    v = v.apply(lambda col: col.str.replace(r"^3401", "3501", regex=True) if col.name.endswith("_code") else col)
    o["village_code"] = o["village_code"].str.replace(r"^3401", "3501", regex=True)
    v.to_csv(tmp_path / "villages.csv", index=False)
    o.to_csv(tmp_path / "observations.csv", index=False)
    (tmp_path / "metadata.json").write_text(json.dumps({"synthetic": True}), encoding="utf-8")
    with pytest.raises(ReportDataError, match="span several provinces"):
        load_region_context(str(tmp_path), "", YEAR)
    ctx = load_region_context(str(tmp_path), "340000", YEAR)
    assert len(ctx.villages) == 8
    with pytest.raises(SectionError, match="several provinces"):
        region.analyse_region(dataclasses.replace(ctx, level="", region_code="", region_name=""))


# ---------------------------------------------------------------- same scores whatever is loaded
@pytest.fixture(scope="module")
def zongyang_builds(demo_dir, province_dir, tmp_path_factory, isolated_cache):
    """County 340722 (枞阳县) of the Tongling demo built three ways: from the Tongling demo (its
    city), from a data set holding only that county, and from a province (the Tongling demo
    with the tiny province's cities 3401 and 3402, whose villages sit at the extremes)."""
    from hemei_tools.engine.region import analyse_region, load_report_context

    villages = pd.read_csv(demo_dir / "villages.csv", dtype=str)
    obs = pd.read_csv(demo_dir / "observations.csv", dtype={"village_code": str})
    alone = tmp_path_factory.mktemp("zongyang")
    mine = villages[villages["county_code"] == "340722"]
    mine.to_csv(alone / "villages.csv", index=False)
    obs[obs["village_code"].isin(mine["village_code"])].to_csv(alone / "observations.csv", index=False)
    (alone / "metadata.json").write_text(json.dumps({"synthetic": True}), encoding="utf-8")
    province = tmp_path_factory.mktemp("province_with_tongling")
    pv = pd.read_csv(province_dir / "villages.csv", dtype=str)
    po = pd.read_csv(province_dir / "observations.csv", dtype={"village_code": str})
    other = pv["county_code"].str[:4] != "3407"
    pd.concat([pv[other], villages[pv.columns]], ignore_index=True).to_csv(province / "villages.csv", index=False)
    keep = po["village_code"].isin(pv.loc[other, "village_code"])
    pd.concat([po[keep], obs[po.columns]], ignore_index=True).to_csv(province / "observations.csv", index=False)
    (province / "metadata.json").write_text(json.dumps({"synthetic": True}), encoding="utf-8")
    return {name: analyse_region(load_report_context(str(folder), "340722", YEAR), n_runs=0)
            for name, folder in (("city", demo_dir), ("alone", alone), ("province", province))}


def test_a_county_scores_the_same_alone_with_its_city_and_in_its_province(zongyang_builds):
    """Goalposts come from the catalogue only: 枞阳县's index, dimension, task and indicator
    scores, its gaps and its 浙江对标指数 are identical in the three builds (with goalposts from
    the loaded villages they were 49.6 with its city and 50.8 alone)."""
    def scores(a):
        s = a.result.scores
        s = s[(s["level"] == "county") & (s["unit_code"] == "340722") & (s["year"] == YEAR)]
        return s.set_index("node")["score"]

    base = zongyang_builds["city"]
    assert base.ctx.level == "county" and len(base.villages) == 190
    for other in ("alone", "province"):
        a = zongyang_builds[other]
        assert set(a.values["unit_code"].astype(str).str[:4]) == {"3407"}
        pd.testing.assert_series_equal(scores(a), scores(base), check_exact=True)
        pd.testing.assert_frame_equal(a.result.benchmarks, base.result.benchmarks)
        g, gb = (x.gaps[(x.gaps["level"] == "county") & (x.gaps["unit_code"] == "340722")].reset_index(drop=True)
                 for x in (a, base))
        assert g["distance"].tolist() == gb["distance"].tolist()
        assert g["status"].astype(str).tolist() == gb["status"].astype(str).tolist()
        z, zb = (x.zhejiang.query("level == 'county' and unit_code == '340722'")["score"].iloc[0]
                 for x in (a, base))
        assert z == zb
    # the city is the same city in the city and the province builds; alone, the county is its city
    assert _index(zongyang_builds["province"], "city", "3407") == _index(base, "city", "3407")
    assert _index(zongyang_builds["alone"], "city", "3407") == _index(base, "county", "340722")
    assert 0 < scores(base)["HMI"] < 100


def test_village_means_are_named_as_such_and_told_apart_from_the_index(province, city):
    # before: the column read 均值 beside 和美指数 (e.g. 45.0 under a headline index of 54.2): the mean
    # of the village scores, read as the unit's index, which is scored from the aggregated values
    v = city.result.index_scores("village", YEAR)
    mean = v.loc[v["unit_code"].astype(str).str.startswith("3402"), "score"].mean()
    sec = sc.section_imbalance(city)
    t = sec.tables["imbalance"]
    assert "均值" not in t.columns and t["村级均值"].iloc[0] == nv.format_number(mean, 1)
    own = nv.format_number(_index(city, "city", "3402"), 1)
    assert ("村级均值是各村得分（指标行为各村的指标值）的简单平均；芜湖市的和美指数（" + own
            + "分）由全芜湖市汇总后的指标值计算，不是各村得分的平均，所以两者不同。") in sec.text
    # between and within the province's cities: each city's mean village score, and the note
    imb = sc.section_children_imbalance(province)
    per_city = imb.tables["children"]
    pv = province.result.index_scores("village", YEAR)
    means = pv.groupby(pv["unit_code"].astype(str).str[:4])["score"].mean()
    assert "均值" not in per_city.columns
    assert per_city["村级得分均值"].tolist() == [nv.format_number(means[c], 1) for c in ("3401", "3402", "3407")]
    assert ("村级得分均值是各村和美指数得分的简单平均；各市的和美指数由其汇总后的指标值计算，"
            "不是各村得分的平均，所以两者不同。") in imb.text
