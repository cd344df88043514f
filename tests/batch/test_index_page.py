"""The batch index as a usable table (issue 14 point 6): score, ranks, change, red lights and
the parent city per row, grouped by city, sorted and filtered by the page's one inline script
(admitted by the CSP by its hash, given no data), and complete with JavaScript off.

Before: 131 flat rows with headline figures only, no grouping, no script, no search.
The manifests here are made by hand (the producer of ``summary["standing"]`` is the lead's).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import re
from pathlib import Path

import pytest
from browser_support import CHROMIUM

from hemei_tools.batch.index import (
    change_text,
    index_groups,
    index_script,
    render_index,
    standing_cells,
)

LONGEST = ["合肥新站高新技术产业开发区", "中新苏滁高新技术产业开发区"]  # divisions/anhui_counties.csv
HOSTILE = '铜官区</script><script>alert(1)</script>"\'<b>'


def _standing(score, rank, n, prank, pn, change, first, red, tasks, parent_code, parent_name, level):
    return {"score": score, "zj_score": None, "rank": rank, "n_units": n, "province_rank": prank,
            "province_n": pn, "change": change, "first_year": first, "red_lights": red, "n_tasks": tasks,
            "parent_code": parent_code, "parent_name": parent_name, "level": level}


def _report(name, stem, level, code, region, standing=None, status="ok"):
    summary = {"figures": [{"key": "villages", "label": "行政村", "value": 12, "unit": "个"},
                           {"key": "budget", "label": "项目投资", "value": 1234.5, "unit": "万元"},
                           {"key": "population", "label": "户籍人口", "value": 4.41, "unit": "万人"}]}
    if standing is not None:
        summary["standing"] = standing
    ok = status == "ok"
    return {"name": name, "stem": stem, "status": status, "html": f"{stem}.html" if ok else None,
            "notebook": f"{stem}.ipynb", "workbook": f"{stem}.xlsx" if ok else None,
            "error": "" if ok else "KernelDied: the kernel died while running cell 12", "seconds": 1.0,
            "summary": summary if ok else {}, "provenance": {}, "skipped": False, "log": f"logs/{stem}.log",
            "level": level, "region_code": code, "region_name": region,
            "county_code": code if level == "county" else "", "county_name": region if level == "county" else ""}


REGIONS = [
    {"level": "province", "region_code": "340000", "region_name": "安徽省", "parent_code": ""},
    {"level": "city", "region_code": "340100", "region_name": "合肥市", "parent_code": "340000"},
    {"level": "city", "region_code": "340700", "region_name": "铜陵市", "parent_code": "340000"},
    {"level": "county", "region_code": "340102", "region_name": "瑶海区", "parent_code": "340100"},
    {"level": "county", "region_code": "340103", "region_name": "庐阳区", "parent_code": "340100"},
    {"level": "county", "region_code": "340705", "region_name": "铜官区", "parent_code": "340700"},
    {"level": "county", "region_code": "340706", "region_name": "义安区", "parent_code": "340700"},
    {"level": "county", "region_code": "340722", "region_name": "枞阳县", "parent_code": "340700"},
]


def _manifest() -> dict:
    """Two cities of a province, counties before overviews (plan order must not matter)."""
    reports = [
        _report("county_report", "340705", "county", "340705", "铜官区",
                _standing(61.04, 1, 3, 12, 114, 3.16, 2019, 0, 16, "340700", "铜陵市", "county")),
        _report("county_report", "340722", "county", "340722", "枞阳县",
                _standing(49.57, 3, 3, 98, 114, -0.44, 2019, 5, 16, "340700", "铜陵市", "county")),
        _report("county_report", "340102", "county", "340102", "瑶海区", status="failed"),
        _report("county_report", "340706", "county", "340706", "义安区"),  # an old manifest: no standing
        _report("county_report", "340103", "county", "340103", "庐阳区",
                _standing(70.0, 1, 2, 2, 114, 0.04, 2019, 2, 16, "340100", "合肥市", "county")),
        _report("village_selection", "village_selection", "", "", ""),
        _report("region_overview", "340700", "city", "340700", "铜陵市",
                _standing(50.26, 2, 2, 2, 2, 1.0, 2019, 4, 16, "340000", "安徽省", "city")),
        _report("region_overview", "340100", "city", "340100", "合肥市",
                _standing(58.12, 1, 2, 1, 2, 2.55, 2019, 3, 16, "340000", "安徽省", "city")),
        _report("region_overview", "340000", "province", "340000", "安徽省",
                _standing(55.0, None, None, None, None, 1.5, 2019, 10, 16, "", "", "province")),
    ]
    return {"reports": reports, "regions": REGIONS, "year": 2023, "synthetic": True, "built": 8, "skipped": 0,
            "failed": 1, "created": "2026-01-01T00:00:00Z", "version": "0", "seconds": 1.0,
            "inputs": [{"file": "villages.csv", "sha256": "ab" * 32}]}


#: Page order of the rows: province, 合肥市 (overview, then its counties in manifest order),
#: 铜陵市 (likewise), then the selection.
ORDER = ["安徽省", "合肥市", "瑶海区", "庐阳区", "铜陵市", "铜官区", "枞阳县", "义安区", "精品示范村遴选"]


def _cells(page: str) -> dict[str, list[str]]:
    """Visible text of each report row's cells, by row name."""
    out = {}
    for row in re.findall(r'<tr class="[a-z]+" id="row-.*?</tr>', page, re.S):
        tds = [html.unescape(re.sub(r"<[^>]+>", "", td)).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        out[tds[0]] = tds
    return out


def _script_hashes(page: str) -> list[str]:
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    directive = [d.strip() for d in csp.split(";") if d.strip().startswith("script-src")]
    assert len(directive) == 1, csp
    return directive[0].split()[1:]


# ---------------------------------------------------------------- values and grouping

@pytest.mark.parametrize(("value", "text"), [(3.16, "+3.2"), (-0.44, "-0.4"), (0.04, "0.0"), (-0.04, "0.0"),
                                             (None, "—"), (float("nan"), "—"), ("inf", "—"), ("x", "—")])
def test_change_text(value, text):
    assert change_text(value) == text


def test_standing_cells_hand_computed_and_dashes_for_missing():
    cells = standing_cells(_standing(49.57, 4, 4, 57, 114, 3.16, 2019, 5, 16, "340700", "铜陵市", "county"))
    assert {k: cells[k] for k in ("score", "rank", "prank", "change", "first_year", "red", "parent_name")} == {
        "score": "49.6", "rank": "4/4", "prank": "57/114", "change": "+3.2", "first_year": 2019, "red": "5/16",
        "parent_name": "铜陵市"}
    assert (cells["score_sort"], cells["rank_sort"], cells["red_sort"]) == ("49.57", "4", "5")
    for missing in (None, {}, "standing", {"score": "NaN", "rank": None, "n_units": 4, "red_lights": True}):
        cells = standing_cells(missing)
        assert [cells[k] for k in ("score", "rank", "prank", "change", "red")] == ["—"] * 5
        assert [cells[k] for k in ("score_sort", "rank_sort", "change_sort", "red_sort")] == [""] * 4


def test_rows_are_grouped_province_then_each_city_then_the_rest():
    groups = index_groups(_manifest())
    assert [(g["kind"], g["name"], g["href"]) for g in groups] == [
        ("province", "安徽省", "340000.html"), ("city", "合肥市", "340100.html"),
        ("city", "铜陵市", "340700.html"), ("other", "其他报告", None)]
    assert [r["name"] for g in groups for r in g["rows"]] == ORDER
    assert [r["order"] for g in groups for r in g["rows"]] == list(range(9))
    page = render_index(_manifest())
    assert re.findall(r'<tr class="group-head"><th[^>]*>([^<]*)', page) == ["安徽省", "合肥市", "铜陵市", "其他报告"]
    assert page.count("<tbody") == 4
    assert list(_cells(page)) == ORDER
    # the city's group header links its overview
    assert re.search(r'铜陵市<a href="340700.html">查看概览</a></th>', page)


def test_values_shown_are_the_hand_computed_strings():
    cells = _cells(render_index(_manifest()))
    # name, code, level, 上级, 和美指数, 同级排名, 全省排名, 较2019年变化, 红灯任务, 行政村, 项目投资, 状态, links
    assert cells["枞阳县"][:11] == ["枞阳县", "340722", "县区", "铜陵市", "49.6", "3/3", "98/114", "-0.4", "5/16",
                                  "12", "1,234.5"]
    assert cells["铜官区"][4:9] == ["61.0", "1/3", "12/114", "+3.2", "0/16"]
    assert cells["庐阳区"][3:9] == ["合肥市", "70.0", "1/2", "2/114", "0.0", "2/16"]
    assert cells["铜陵市"][2:9] == ["市概览", "安徽省", "50.3", "2/2", "2/2", "+1.0", "4/16"]
    assert cells["安徽省"][2:9] == ["全省概览", "—", "55.0", "—", "—", "+1.5", "10/16"]
    # no standing (old manifest), a failed report, the selection: dashes, the parent from the regions
    assert cells["义安区"][3:11] == ["铜陵市", "—", "—", "—", "—", "—", "12", "1,234.5"]
    assert cells["瑶海区"][3:11] == ["合肥市", "—", "—", "—", "—", "—", "—", "—"]
    assert cells["瑶海区"][11].startswith("失败") and "KernelDied" in cells["瑶海区"][11]
    assert cells["精品示范村遴选"][1:9] == ["—", "—", "—", "—", "—", "—", "—", "—"]
    # the selection's figures (its report publishes the whole city's 行政村 and 项目投资) are not its own
    assert cells["精品示范村遴选"][9:11] == ["—", "—"]
    assert cells["枞阳县"][12] == "报告 · 表格（Excel） · 计算笔记本 · 运行日志"


def test_headers_name_the_first_year_and_keep_two_headline_figures():
    page = render_index(_manifest())
    heads = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th [^>]*scope=\"col\"[^>]*>(.*?)</th>", page)]
    assert heads == ["区域", "代码", "层级", "上级", "和美指数", "同级排名", "全省排名", "较2019年变化", "红灯任务",
                     "行政村（个）", "项目投资（万元）", "状态", "链接"]
    assert "户籍人口" not in page  # the other headline figures are left out so the table fits 1440 px


def test_a_unit_with_another_first_year_states_it_in_its_cell():
    m = _manifest()
    m["reports"][1]["summary"]["standing"]["first_year"] = 2020
    page = render_index(m)
    assert "较首年变化</th>" in page and "较2019年变化" not in page
    cells = _cells(page)
    assert cells["枞阳县"][7] == "-0.4（2020年起）" and cells["铜官区"][7] == "+3.2（2019年起）"


def test_without_province_ranks_or_standing_the_columns_shrink_and_nothing_raises():
    m = _manifest()
    for rep in m["reports"]:
        rep["summary"].pop("standing", None)
    m.pop("regions")
    page = render_index(m)
    assert 'data-sort="prank"' not in page and "全省排名</th>" not in page and "较首年变化</th>" in page
    cells = _cells(page)
    assert cells["枞阳县"][3:8] == ["—", "—", "—", "—", "—"]  # no regions, no standing: no parent known
    assert set(cells) == set(ORDER)
    # counties whose city is unknown go with the rest; the overviews still make their groups
    assert re.findall(r'<tr class="group-head"><th[^>]*>([^<]*)', page) == ["安徽省", "合肥市", "铜陵市", "其他报告"]


def _note(page: str) -> str:
    return html.unescape(re.search(r'<p class="note" id="index-note">(.*?)</p>', page, re.S).group(1))


def test_the_note_says_what_each_shown_column_holds():
    # before: one fixed note, 同级排名 "县区在本市、市在全省的名次" though a city's 同级排名 is "—" and
    # its rank in the province under 全省排名, and 全省排名 explained when the column is not shown
    note = _note(render_index(_manifest()))
    assert note == ("和美指数：基准=100，越高越好。同级排名：县区在本市各县区中的名次（第几/共几个）。"
                    "市的名次见全省排名。全省排名：县区在全省各县区中、市在全省各市中的名次（第几/共几个）。"
                    "较2019年变化：本年指数减2019年的指数（分）。红灯任务：本年亮红灯的任务数/有信号灯的任务数。"
                    "精品示范村遴选一行不列行政村、项目投资（“—”）：遴选报告不是某一区域的报告，这些数字见区域的报告。"
                    "“—”：该报告未提供此项。")
    assert "市在全省的名次" not in note
    # a one-city run: no 全省排名 column, so no word of it; no selection: nothing about it;
    # first years that differ: the change column is 较首年变化
    m = _manifest()
    m["reports"] = [r for r in m["reports"] if r["name"] != "village_selection"]
    for rep in m["reports"]:
        standing = rep["summary"].get("standing")
        if standing:
            standing["province_rank"] = standing["province_n"] = None
    m["reports"][1]["summary"]["standing"]["first_year"] = 2020
    page = render_index(m)
    assert "全省排名</th>" not in page
    assert _note(page) == ("和美指数：基准=100，越高越好。同级排名：县区在本市各县区中的名次（第几/共几个）。"
                           "较首年变化：本年指数减数据首年的指数（分）。红灯任务：本年亮红灯的任务数/有信号灯的任务数。"
                           "“—”：该报告未提供此项。")


def test_the_village_selection_and_an_unknown_region_come_last():
    m = _manifest()
    m["reports"].append(_report("county_report", "999999", "", "", ""))
    groups = index_groups(m)
    assert [r["name"] for r in groups[-1]["rows"]] == ["精品示范村遴选", "999999"]


# ---------------------------------------------------------------- the script and the CSP

def test_the_csp_admits_exactly_the_one_static_script_by_its_hash():
    page = render_index(_manifest())
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    assert scripts == [index_script()]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    assert _script_hashes(page) == [f"'sha256-{digest}'"]
    assert "unsafe" not in page.split("</head>", 1)[0]
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handler


def test_no_data_value_reaches_the_script():
    m = _manifest()
    m["reports"][0]["region_name"] = HOSTILE
    m["reports"][0]["summary"]["standing"]["parent_name"] = HOSTILE
    page = render_index(m)
    assert page.count("<script") == 1 and page.count("</script>") == 1
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    assert script == index_script()
    for value in ("340705", "枞阳县", "铜陵市", "61.0", "安徽省", "alert"):
        assert value not in script
    # the hostile name is text, escaped in its cell and in its data-* attributes
    assert 'data-name="铜官区&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&lt;b&gt;"' in page
    assert _script_hashes(page) == _script_hashes(render_index(_manifest()))  # same script whatever the data


def test_the_controls_are_hidden_until_the_script_shows_them():
    page = render_index(_manifest())
    bar = re.search(r'<div class="controls" id="controls"[^>]*>', page).group(0)
    assert " hidden>" in bar
    assert "<button" not in page  # the sort buttons are made by the script
    assert "bar.hidden = false" in index_script()
    # every row sort value the script reads is in a data-* attribute
    for key in re.findall(r'data-sort="(\w+)"', page):
        assert page.count(f" data-{key}=") == 9, key


def test_an_empty_manifest_still_renders():
    page = render_index({"reports": [], "year": 2023, "synthetic": False, "built": 0, "skipped": 0, "failed": 0,
                         "created": "2026-01-01T00:00:00Z", "version": "0", "seconds": 0.0, "inputs": []})
    assert "<tbody" not in page and len(_script_hashes(page)) == 1


# ---------------------------------------------------------------- in a browser

#: The browser tests: slow, and skipped without Debian's Chromium (Playwright's own download does
#: not work here).
in_browser = pytest.mark.parametrize("_chromium", [pytest.param(None, marks=[
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (CI installs it: apt-get install chromium)")])])


@pytest.fixture(scope="module")
def index_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "index.html"
    m = _manifest()
    m["reports"][0]["region_name"] = HOSTILE  # a hostile name must stay text with the script on
    m["reports"][0]["summary"]["standing"]["parent_name"] = "铜陵市"
    path.write_text(render_index(m), encoding="utf-8")
    return path


class _Visit:
    """A page over ``index_file`` with console errors, CSP reports and requests recorded."""

    def __init__(self, browser, path: Path, javascript: bool = True, viewport=None):
        self.context = browser.new_context(java_script_enabled=javascript,
                                           viewport=viewport or {"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r):
            self.requests.append(r.request.url)
            r.continue_() if r.request.url.startswith("file://") else r.abort()

        self.context.add_init_script("""window.__csp = [];
            document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));""")
        self.page.route("**/*", route)
        self.page.goto(path.as_uri(), wait_until="load")

    def names(self) -> list[str]:
        """Names of the visible report rows, top to bottom."""
        return self.page.evaluate("""() => Array.from(document.querySelectorAll('tr[data-order]'))
            .filter(r => r.offsetParent !== null).map(r => r.querySelector('td.name').textContent.trim())""")

    def heads(self) -> list[str]:
        return self.page.evaluate("""() => Array.from(document.querySelectorAll('tr.group-head'))
            .filter(r => r.offsetParent !== null).map(r => r.firstElementChild.firstChild.textContent.trim())""")

    def sort(self, key: str) -> None:
        self.page.click(f'th[data-sort="{key}"] button')

    def close(self) -> list[str]:
        csp = self.page.evaluate("window.__csp || []")
        self.context.close()
        return csp


@pytest.fixture
def visit(browser, index_file):
    opened = []

    def _open(path: Path = index_file, **kw):
        v = _Visit(browser, path, **kw)
        opened.append((v, path))
        return v

    yield _open
    for v, path in opened:
        csp = v.close()
        assert v.errors == [] and csp == [] and v.dialogs == [], (v.errors, csp, v.dialogs)
        assert v.requests == [path.as_uri()], v.requests  # nothing leaves file://, nothing else loads


@in_browser
def test_sort_by_score_inside_groups_and_across(visit, _chromium):
    v = visit()
    assert v.names() == [HOSTILE if n == "铜官区" else n for n in ORDER]
    v.sort("score")
    assert v.page.get_attribute('th[data-sort="score"]', "aria-sort") == "ascending"
    # inside each group the overview stays first; a missing score ("—") goes last
    assert v.names() == ["安徽省", "合肥市", "庐阳区", "瑶海区", "铜陵市", "枞阳县", HOSTILE, "义安区", "精品示范村遴选"]
    v.sort("score")
    assert v.page.get_attribute('th[data-sort="score"]', "aria-sort") == "descending"
    assert v.names() == ["安徽省", "合肥市", "庐阳区", "瑶海区", "铜陵市", HOSTILE, "枞阳县", "义安区", "精品示范村遴选"]
    v.page.check("#sort-across")
    assert v.names() == ["庐阳区", HOSTILE, "合肥市", "安徽省", "铜陵市", "枞阳县", "瑶海区", "义安区", "精品示范村遴选"]
    assert v.heads() == []  # one list, no group headers
    v.sort("rank")  # another column: ascending again, numbers not text
    assert v.page.get_attribute('th[data-sort="score"]', "aria-sort") is None
    assert v.names() == ["合肥市", "庐阳区", HOSTILE, "铜陵市", "枞阳县", "安徽省", "瑶海区", "义安区", "精品示范村遴选"]
    ranks = v.page.evaluate("""() => Array.from(document.querySelectorAll('tr[data-order]'))
        .filter(r => r.offsetParent !== null).map(r => r.dataset.rank)""")
    assert ranks == ["1", "1", "1", "2", "3", "", "", "", ""]
    v.page.uncheck("#sort-across")
    assert v.heads() == ["安徽省", "合肥市", "铜陵市", "其他报告"]


@in_browser
def test_text_level_and_red_light_filters(visit, _chromium):
    v = visit()
    assert v.page.is_visible("#controls")
    assert v.page.text_content("#shown") == "显示 9 份，共 9 份"
    v.page.fill("#filter-text", "枞阳")
    assert v.names() == ["枞阳县"] and v.heads() == ["铜陵市"]
    v.page.fill("#filter-text", "铜陵")  # by city: the city and its counties
    assert v.names() == ["铜陵市", HOSTILE, "枞阳县", "义安区"]
    v.page.fill("#filter-text", "3401")  # by code
    assert v.names() == ["合肥市", "瑶海区", "庐阳区"]
    assert v.page.text_content("#shown") == "显示 3 份，共 9 份"
    v.page.fill("#filter-text", "")
    v.page.select_option("#filter-level", "county")
    assert v.names() == ["瑶海区", "庐阳区", HOSTILE, "枞阳县", "义安区"]
    v.page.check("#filter-red")
    assert v.names() == ["庐阳区", "枞阳县"]
    v.page.select_option("#filter-level", "")
    assert v.names() == ["安徽省", "合肥市", "庐阳区", "铜陵市", "枞阳县"]
    v.page.uncheck("#filter-red")
    v.page.select_option("#filter-level", "other")
    assert v.names() == ["精品示范村遴选"] and v.heads() == ["其他报告"]


@in_browser
def test_without_javascript_every_row_shows_in_group_order_and_no_control(visit, _chromium):
    v = visit(javascript=False)
    assert v.names() == [HOSTILE if n == "铜官区" else n for n in ORDER]
    assert v.heads() == ["安徽省", "合肥市", "铜陵市", "其他报告"]
    assert not v.page.is_visible("#controls")
    assert v.page.evaluate("document.querySelectorAll('th button').length") == 0


@in_browser
def test_the_table_fits_1440_px_and_at_390_px_only_the_table_scrolls(visit, _chromium, tmp_path):
    m = _manifest()  # the longest county name of Anhui and a failed report's message
    m["reports"][0]["region_name"] = max(LONGEST, key=len)
    path = tmp_path / "index.html"
    path.write_text(render_index(m), encoding="utf-8")
    v = visit(path)
    assert v.page.evaluate("""() => { const s = document.querySelector('.table-scroll');
        return s.scrollWidth <= s.clientWidth; }""")
    phone = visit(viewport={"width": 390, "height": 844})  # with the hostile name, longer still
    assert phone.page.evaluate("document.scrollingElement.scrollWidth") <= 391
    outside = phone.page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !el.closest('.table-scroll');
      }).map(el => el.tagName + '#' + el.id)""")
    assert outside == []
    lines = phone.page.evaluate("""() => Array.from(document.querySelectorAll('td.name, td.code, td.level, td.parent'))
        .filter(td => { const r = document.createRange(); r.selectNodeContents(td);
                        return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size > 1; })
        .map(td => td.textContent)""")
    assert lines == []


@in_browser
def test_the_sort_buttons_are_reachable_by_keyboard(visit, _chromium):
    v = visit()
    v.page.focus('th[data-sort="red"] button')
    v.page.keyboard.press("Enter")
    assert v.page.get_attribute('th[data-sort="red"]', "aria-sort") == "ascending"
    reds = v.page.evaluate("""() => Array.from(document.querySelectorAll('tbody[data-group="340700"] tr[data-order]'))
        .map(r => r.dataset.red)""")
    assert reds == ["4", "0", "5", ""]


def test_the_script_file_is_small_and_static():
    text = index_script()
    assert len(text.splitlines()) < 80
    assert "{{" not in text and "{%" not in text and "innerHTML" not in text and "eval(" not in text


def test_the_manifest_is_not_changed_by_rendering():
    m = _manifest()
    before = copy.deepcopy(m)
    render_index(m)
    assert m == before


@in_browser
def test_a_script_planted_in_the_index_is_blocked_while_its_own_runs(browser, index_file, tmp_path, _chromium):
    page = index_file.read_text(encoding="utf-8")
    planted = page.replace("<main>", '<main><script>document.title = "planted"; alert(1)</script>', 1)
    (tmp_path / "planted.html").write_text(planted, encoding="utf-8")
    v = _Visit(browser, tmp_path / "planted.html")
    try:
        assert v.dialogs == [] and v.page.title() != "planted"
        assert any("Content Security Policy" in e for e in v.errors), v.errors
        assert v.page.is_visible("#controls")  # the page's own script ran
    finally:
        v.close()
