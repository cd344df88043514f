"""Navigation between the pages of a batch (issue 14 point 6): each job's breadcrumb, index link,
sibling and subordinate units, computed once in the plan from the regions of the data and the
stems of the run, and part of the job's stamp key."""

from __future__ import annotations

from pathlib import Path

from hemei_tools.batch.plan import job_navigation, plan_jobs, stamp_key
from hemei_tools.inputs.fingerprint import sha256_file
from hemei_tools.render.notebooks import notebook_path


def _r(level, code, name, parent):
    return {"level": level, "region_code": code, "region_name": name, "parent_code": parent}


#: A province of two cities: 合肥市 (two counties) and 铜陵市 (three counties).
PROVINCE = [
    _r("province", "340000", "安徽省", ""),
    _r("city", "340100", "合肥市", "340000"),
    _r("city", "340700", "铜陵市", "340000"),
    _r("county", "340102", "瑶海区", "340100"),
    _r("county", "340103", "庐阳区", "340100"),
    _r("county", "340705", "铜官区", "340700"),
    _r("county", "340706", "义安区", "340700"),
    _r("county", "340722", "枞阳县", "340700"),
]
#: The run: the province and 铜陵 overviews, three county reports, the village selection.
STEMS = {"340000", "340700", "340102", "340705", "340722", "village_selection"}
#: One city's data: the city is the top region, the province is not a region of the data.
ONE_CITY = [r for r in PROVINCE if r["region_code"].startswith("3407")]
ONE_CITY = [{**r, "parent_code": ""} if r["level"] == "city" else r for r in ONE_CITY]


def _here(text):
    return {"text": text, "href": None, "current": True}


def test_a_county_links_its_province_city_index_and_the_siblings_in_the_run():
    nav = job_navigation(PROVINCE, STEMS, "340722", index="index.html")
    assert nav == {
        "level": "county",
        "crumbs": [{"text": "安徽省", "href": "340000.html"}, {"text": "铜陵市", "href": "340700.html"},
                   _here("枞阳县")],
        "index": "index.html",
        # 义安区 has no report in the run: not listed
        "siblings": [{"text": "铜官区", "href": "340705.html"}],
        "children": [],
    }


def test_a_missing_overview_is_plain_text_and_a_lone_county_has_no_siblings():
    nav = job_navigation(PROVINCE, STEMS, "340102", index=None)
    assert nav["crumbs"] == [{"text": "安徽省", "href": "340000.html"}, {"text": "合肥市", "href": None},
                             _here("瑶海区")]
    assert nav["siblings"] == [] and nav["index"] is None


def test_a_city_lists_all_its_counties_and_the_sibling_cities_in_the_run():
    nav = job_navigation(PROVINCE, STEMS, "340700", index="index.html")
    assert nav["level"] == "city"
    assert nav["crumbs"] == [{"text": "安徽省", "href": "340000.html"}, _here("铜陵市")]
    assert nav["children"] == [{"text": "铜官区", "href": "340705.html"}, {"text": "义安区", "href": None},
                               {"text": "枞阳县", "href": "340722.html"}]
    assert nav["siblings"] == []  # 合肥市 has no overview in this run
    with_hefei = job_navigation(PROVINCE, STEMS | {"340100"}, "340700", index="index.html")
    assert with_hefei["siblings"] == [{"text": "合肥市", "href": "340100.html"}]


def test_the_province_lists_its_cities_and_the_selection_sits_under_the_top_region():
    nav = job_navigation(PROVINCE, STEMS, "340000", index="index.html")
    assert nav["level"] == "province" and nav["crumbs"] == [_here("安徽省")]
    assert nav["children"] == [{"text": "合肥市", "href": None}, {"text": "铜陵市", "href": "340700.html"}]
    assert nav["siblings"] == []
    sel = job_navigation(PROVINCE, STEMS, None, index="index.html")
    assert sel["level"] == "selection"
    assert sel["crumbs"] == [{"text": "安徽省", "href": "340000.html"}, _here("村庄遴选")]
    assert sel["siblings"] == [] and sel["children"] == []


def test_one_city_data_name_the_province_from_the_division_list():
    nav = job_navigation(ONE_CITY, {"340700", "340705", "340722"}, "340722", index="index.html")
    # 安徽省 from the packaged anhui_provinces.csv: no page of its own in a city's run
    assert nav["crumbs"] == [{"text": "安徽省", "href": None}, {"text": "铜陵市", "href": "340700.html"},
                             _here("枞阳县")]
    named = job_navigation(ONE_CITY, {"340700"}, None, index=None, province_names={"34": "某省"})
    assert named["crumbs"] == [{"text": "某省", "href": None}, {"text": "铜陵市", "href": "340700.html"},
                               _here("村庄遴选")]
    unknown = job_navigation(ONE_CITY, set(), "340700", province_names={})
    assert unknown["crumbs"] == [_here("铜陵市")]


INPUTS = {"villages.csv": "a" * 64}


def test_plan_jobs_gives_each_job_its_nav_and_the_key_changes_with_the_links(tmp_path: Path):
    data = tmp_path / "data"
    two = plan_jobs(["340705", "340722"], 2023, data, INPUTS, regions=["340700"], selection=True,
                    available=ONE_CITY, index="index.html")
    by_stem = {j.stem: j for j in two}
    assert by_stem["340722"].nav["siblings"] == [{"text": "铜官区", "href": "340705.html"}]
    assert by_stem["340700"].nav["children"][1] == {"text": "义安区", "href": None}
    assert by_stem["village_selection"].nav["crumbs"][-1] == _here("村庄遴选")
    digest = sha256_file(notebook_path("county_report"))
    job = by_stem["340722"]
    assert job.key == stamp_key(digest, job.parameters, INPUTS, nav=job.nav)
    assert job.key != stamp_key(digest, job.parameters, INPUTS)  # the links are part of the key

    # 义安区 joins the run: its siblings' and its city's links change, so do their keys
    three = {j.stem: j for j in plan_jobs(["340705", "340706", "340722"], 2023, data, INPUTS, regions=["340700"],
                                          selection=True, available=ONE_CITY, index="index.html")}
    assert three["340722"].nav["siblings"] == [{"text": "铜官区", "href": "340705.html"},
                                               {"text": "义安区", "href": "340706.html"}]
    for stem in ("340722", "340705", "340700"):
        assert three[stem].key != by_stem[stem].key, stem
    # the selection's links did not change: nor did its key
    assert three["village_selection"].key == by_stem["village_selection"].key

    # planned without the regions (as before): no nav, the key of a page without one
    bare = plan_jobs(["340722"], 2023, data, INPUTS)
    assert bare[0].nav is None and bare[0].key == stamp_key(digest, bare[0].parameters, INPUTS)


def test_a_rerun_of_some_counties_keeps_the_links_to_the_pages_of_its_folder(tmp_path: Path):
    import json

    from hemei_tools.batch.plan import folder_stems

    data, out = tmp_path / "data", tmp_path / "run"
    full = {j.stem: j for j in plan_jobs(["340705", "340706", "340722"], 2023, data, INPUTS, regions=["340700"],
                                         available=ONE_CITY, index="index.html", folder=out)}
    out.mkdir()
    for stem in ("340700", "340706", "340722", "index"):  # 340705 failed: no page, a manifest row
        (out / f"{stem}.html").write_text("x", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({"reports": [{"stem": s} for s in full]}), encoding="utf-8")
    assert folder_stems(out) == {"340700", "340705", "340706", "340722", "index"}
    again = plan_jobs(["340722"], 2023, data, INPUTS, available=ONE_CITY, index="index.html", folder=out)
    assert again[0].nav == full["340722"].nav and again[0].key == full["340722"].key
    # without the folder only this run's pages are linked: the key changes
    alone = plan_jobs(["340722"], 2023, data, INPUTS, available=ONE_CITY, index="index.html")
    assert alone[0].nav["siblings"] == [] and alone[0].nav["crumbs"][1] == {"text": "铜陵市", "href": None}
    assert alone[0].key != full["340722"].key
