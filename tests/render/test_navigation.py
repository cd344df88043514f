"""Find your way (issue 14 point 6): the breadcrumb, the index link and the related reports of a
batch page, the sticky top bar with the collapsed table of contents, the first screen and the
pages' titles.

The first tests render hand-made navigation with :func:`export_html`; the browser tests open
test_browser's demo site (built once per session) in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from test_browser import CHROMIUM, run_dir  # noqa: F401 - the shared fixture

from hemei_tools.render.html import export_html

COUNTY = "340722"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

NAV = {
    "level": "county",
    "crumbs": [{"text": "安徽省", "href": None}, {"text": "铜<b>陵</b>市", "href": "340700.html"},
               {"text": "枞阳县", "href": None, "current": True}],
    "index": "index.html",
    "siblings": [{"text": "铜官区", "href": "340705.html"}, {"text": "义安区\"><i>x</i>", "href": "340706.html"}],
    "children": [],
}


def _page(nav=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 枞阳县报告\n\n## 结论摘要\n\n## 主要数据")]
    return export_html(nb, {"title": "枞阳县报告"}, {}, nav=nav)


def _block(page, ident):
    return re.search(rf'<nav[^>]*id="{ident}".*?</nav>', page, re.S).group(0)


def test_the_breadcrumb_links_what_the_run_holds_marks_the_page_and_escapes_names():
    page = _page(NAV)
    crumbs = _block(page, "breadcrumb")
    assert 'aria-label="所在位置"' in crumbs
    items = re.findall(r"<li([^>]*)>(.*?)</li>", crumbs)
    assert items == [("", "安徽省"),  # no page in the run: plain text
                     ("", '<a href="340700.html">铜&lt;b&gt;陵&lt;/b&gt;市</a>'),
                     (' aria-current="page"', "枞阳县")]
    assert re.search(r'</ol><a class="hemei-crumb-index" href="index.html">报告索引</a></nav>', crumbs)
    related = _block(page, "related")
    assert '<span class="hemei-related-head">同市其他县区</span>' in related
    assert re.findall(r'<a href="([^"]+)">(.*?)</a>', related) == [
        ("340705.html", "铜官区"), ("340706.html", "义安区&#34;&gt;&lt;i&gt;x&lt;/i&gt;")]
    assert "<i>" not in page.split("<body", 1)[1]


def test_a_region_lists_its_units_and_a_single_report_has_no_navigation():
    city = {"level": "city", "crumbs": [{"text": "安徽省", "href": None}, {"text": "铜陵市", "current": True}],
            "index": None, "siblings": [],
            "children": [{"text": "铜官区", "href": "340705.html"}, {"text": "义安区", "href": None}]}
    page = _page(city)
    related = _block(page, "related")
    assert '<span class="hemei-related-head">下辖县区</span><ul><li><a href="340705.html">铜官区</a></li><li>义安区</li></ul>' in related
    assert "class=\"hemei-crumb-index\"" not in page  # no index: no index link
    bare = _page()
    assert 'id="breadcrumb"' not in bare and 'id="related"' not in bare
    # the table of contents is there either way, collapsed, with its count
    for p in (page, bare):
        box = re.search(r'<details class="hemei-tocbox" id="toc-box"><summary>(.*?)</summary>', p).group(1)
        assert box == "目录（3项）"  # 枞阳县报告, 结论摘要, 主要数据
        assert "<details class=\"hemei-tocbox\" id=\"toc-box\" open" not in p


# ---------------------------------------------------------------- in the browser, over the demo site

def _open(browser, path: Path, viewport=None):  # noqa: F811 - browser is the fixture
    page = browser.new_page(viewport=viewport or DESKTOP)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(path.as_uri(), wait_until="load")
    return page


def _reports(run_dir: Path) -> list[Path]:  # noqa: F811
    return sorted(p for p in run_dir.glob("*.html") if p.name != "index.html")


NAV_JS = """() => {
  const nav = document.getElementById('breadcrumb');
  const rel = document.getElementById('related');
  return {
    crumbs: Array.from(nav.querySelectorAll('li')).map(li => [li.textContent, li.querySelector('a') ?
        li.querySelector('a').getAttribute('href') : null, li.getAttribute('aria-current')]),
    index: nav.querySelector('a.hemei-crumb-index').getAttribute('href'),
    // the separators are the items' ::before content (not part of the text)
    line: Array.from(nav.querySelectorAll('li, a.hemei-crumb-index')).filter(e => e.tagName === 'LI' ||
        !e.closest('li')).map((e, i) => (i ? getComputedStyle(e, '::before').content.replace(/"/g, '') : '')
        + e.textContent).join(''),
    related: rel ? Array.from(rel.querySelectorAll('.hemei-related-group')).map(g => [
        g.querySelector('.hemei-related-head').textContent,
        Array.from(g.querySelectorAll('li')).map(li => [li.textContent,
            li.querySelector('a') ? li.querySelector('a').getAttribute('href') : null])]) : [],
  };
}"""


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_every_page_of_the_run_shows_where_it_sits_and_every_link_resolves(browser, run_dir):  # noqa: F811
    seen = {}
    for path in _reports(run_dir):
        page = _open(browser, path)
        try:
            seen[path.name] = got = page.evaluate(NAV_JS)
        finally:
            page.close()
        hrefs = [h for _, h, _ in got["crumbs"] if h] + [got["index"]] + [
            h for _, units in got["related"] for _, h in units if h]
        for href in hrefs:
            assert (run_dir / href).is_file(), (path.name, href)
        assert got["index"] == "index.html"
        assert [c for c in got["crumbs"] if c[2] == "page"] == [got["crumbs"][-1]], path.name
    county = seen[f"{COUNTY}.html"]
    assert county["crumbs"] == [["安徽省", None, None], ["铜陵市", "340700.html", None], ["枞阳县", None, "page"]]
    assert county["line"] == "安徽省›铜陵市›枞阳县›报告索引"
    assert county["related"] == [["同市其他县区", [["铜官区", "340705.html"], ["义安区", "340706.html"],
                                                 ["郊区", "340711.html"]]]]
    city = seen["340700.html"]
    assert city["crumbs"] == [["安徽省", None, None], ["铜陵市", None, "page"]]
    assert city["related"] == [["下辖县区", [["铜官区", "340705.html"], ["义安区", "340706.html"],
                                             ["郊区", "340711.html"], ["枞阳县", "340722.html"]]]]
    selection = seen["village_selection.html"]
    assert selection["line"] == "安徽省›铜陵市›村庄遴选›报告索引" and selection["related"] == []


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
@pytest.mark.parametrize("name", [f"{COUNTY}.html", "340700.html"])
def test_the_summary_is_on_the_first_screen_and_the_bar_stays_in_view(browser, run_dir, name):  # noqa: F811
    page = _open(browser, run_dir / name)
    try:
        box = page.evaluate("""() => {
          const h = Array.from(document.querySelectorAll('h2')).find(h => h.textContent.trim() === '结论摘要');
          return {h2: h.getBoundingClientRect().top, items: Array.from(document.querySelectorAll('li'))
            .filter(li => h.compareDocumentPosition(li) & Node.DOCUMENT_POSITION_FOLLOWING)
            .slice(0, 2).map(li => li.getBoundingClientRect().bottom)};
        }""")
        assert box["h2"] < 450, box
        assert max(box["items"]) < 900, box  # its first two sentences are on the first screen
        # the index chart sits beside the sentences, on the first screen too
        chart = page.evaluate("""() => {
          const img = document.querySelector('.celltag_summary img');
          const text = document.querySelector('.celltag_summary .jp-RenderedMarkdown');
          const a = img.getBoundingClientRect(), b = text.getBoundingClientRect();
          return {img_left: a.left, img_top: a.top, img_bottom: a.bottom, text_right: b.right, text_top: b.top};
        }""")
        assert chart["img_left"] >= chart["text_right"] and chart["img_bottom"] < 900, chart
        assert abs(chart["img_top"] - chart["text_top"]) < 40, chart
        toc = page.locator("#toc")
        assert not toc.is_visible() and page.evaluate("document.getElementById('toc-box').open") is False
        n = page.evaluate("document.querySelectorAll('#toc li').length")
        assert page.locator("#toc-box > summary").inner_text() == f"目录（{n}项）"
        # folded, the contents still show their disclosure triangle (the summary is a list item)
        assert page.evaluate("getComputedStyle(document.querySelector('#toc-box > summary')).display") == "list-item"
        page.evaluate("window.scrollTo(0, 3000)")
        assert page.evaluate("window.scrollY") == 3000
        crumb = page.locator("#breadcrumb").bounding_box()
        assert crumb["y"] >= 0 and crumb["y"] + crumb["height"] <= 900, crumb
        # opened, the contents scroll inside the bar (at most 70 % of the window) and lead to a heading
        page.click("#toc-box > summary")
        assert toc.is_visible()
        list_box = toc.bounding_box()
        assert list_box["height"] <= 0.7 * 900 + 2, list_box
        page.click("#toc a >> nth=3")
        target = page.evaluate("location.hash").lstrip("#")
        top = page.evaluate(f"document.getElementById('{target}').getBoundingClientRect().top")
        assert 0 <= top < 900
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_every_page_has_its_own_title_the_selection_names_its_city_and_year(browser, run_dir):  # noqa: F811
    titles = {}
    for path in [run_dir / "index.html", *_reports(run_dir)]:
        page = _open(browser, path)
        try:
            titles[path.name] = page.title()
            assert titles[path.name] == page.evaluate("document.querySelector('h1').textContent.trim()")
        finally:
            page.close()
    assert len(set(titles.values())) == len(titles) == 7, titles
    assert titles["village_selection.html"] == "铜陵市和美乡村精品示范村遴选分析（2023年）"
    assert titles["340700.html"] == "铜陵市和美乡村建设概览（2023年）"
    assert titles[f"{COUNTY}.html"] == "枞阳县和美乡村建设评估报告（2023年）"


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
@pytest.mark.parametrize("name", [f"{COUNTY}.html", "340700.html"])
def test_on_a_phone_the_bar_and_the_open_contents_never_widen_the_page(browser, run_dir, name):  # noqa: F811
    page = _open(browser, run_dir / name, PHONE)
    try:
        page.click("#toc-box > summary")
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                               " document.getElementById('topbar').getBoundingClientRect().height]")
        assert widths[0] <= widths[1], widths
        page.click("#toc-box > summary")  # closed again, the bar is a line or two
        assert page.evaluate("document.getElementById('topbar').getBoundingClientRect().height") < 120
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_print_shows_no_navigation(browser, run_dir):  # noqa: F811
    page = _open(browser, run_dir / f"{COUNTY}.html")
    try:
        page.emulate_media(media="print")
        shown = page.evaluate("['topbar', 'breadcrumb', 'toc', 'related'].map(i => "
                              "document.getElementById(i)).map(e => e && e.offsetParent !== null)")
        assert shown == [False, False, False, False]
    finally:
        page.close()
