"""A real browser over the batch output: Debian's Chromium, driven by Playwright, opens the index
and every report from disk and checks that the pages work offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import ARGS, CHROMIUM, build_site  # noqa: F401 - ARGS, CHROMIUM: imported from here by others
from xdist_shared import exclusive, shared_dir

CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (CI installs it: apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def run_dir(demo_dir, tmp_path_factory):
    """The demo site (4 county reports, the city overview, the village selection, the index),
    built once per session
    even when xdist spreads this module's tests over workers (they only read it)."""
    root = shared_dir(tmp_path_factory, "hemei-site")
    root.mkdir(parents=True, exist_ok=True)
    out = root / "site"
    with exclusive(root / "lock"):
        if not (out / "index.html").exists():
            build_site(demo_dir, out, root / "cache")
    return out


def _visit(browser, path: Path) -> tuple[object, dict]:
    """Open a page with every non-file request blocked; return the page and what went wrong."""
    problems: dict[str, list[str]] = {"console": [], "failed": [], "external": []}
    page = browser.new_page()

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:")):
            r.continue_()
        else:
            problems["external"].append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, problems


def _pages(run_dir: Path) -> list[Path]:
    return [run_dir / "index.html", *sorted(p for p in run_dir.glob("*.html") if p.name != "index.html")]


def test_the_run_has_an_index_and_six_reports(run_dir):
    names = [p.name for p in _pages(run_dir)]
    assert names == ["index.html", "340700.html", "340705.html", "340706.html", "340711.html", "340722.html",
                     "village_selection.html"]


def test_every_page_loads_offline_without_errors(browser, run_dir):
    for path in _pages(run_dir):
        page, problems = _visit(browser, path)
        try:
            assert problems == {"console": [], "failed": [], "external": []}, path.name
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length")
            assert broken == 0, f"{path.name}: {broken} broken images"
            headings = page.evaluate(
                "Array.from(document.querySelectorAll('h1,h2')).map(h => h.textContent).join(' ')")
            assert CJK.search(headings), f"{path.name}: no Chinese heading"
            tables = page.evaluate(
                "Array.from(document.querySelectorAll('table')).map(t => t.innerText).join(' ')")
            assert CJK.search(tables), f"{path.name}: no Chinese in tables"
        finally:
            page.close()


def test_reports_have_charts_a_banner_and_a_working_toc(browser, run_dir):
    for path in _pages(run_dir)[1:]:
        page, _ = _visit(browser, path)
        try:
            assert page.evaluate("document.images.length") >= 1, path.name
            banner = page.locator("#synthetic-banner")
            assert banner.is_visible() and "示例数据（模拟）" in banner.inner_text()
            targets = page.evaluate(
                "Array.from(document.querySelectorAll('#toc a')).map(a => a.getAttribute('href'))")
            assert len(targets) >= 3, path.name
            missing = page.evaluate(
                "hs => hs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))", targets)
            assert missing == [], f"{path.name}: TOC links without target {missing}"
            page.click("#toc-box > summary")  # the contents are collapsed in the top bar
            page.click("#toc a >> nth=1")
            assert page.evaluate("location.hash") == targets[1]
            assert page.locator("#provenance").is_visible()
        finally:
            page.close()


def test_index_links_resolve_to_files(browser, run_dir):
    page, _ = _visit(browser, run_dir / "index.html")
    try:
        hrefs = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
        assert len(hrefs) >= 6 * 3
        for href in hrefs:
            assert (run_dir / href).is_file(), href
        rows = page.evaluate("document.querySelectorAll('#report-table tbody tr[data-order]').length")  # not group heads
        assert rows == 6
        assert "village_selection.html" in hrefs
    finally:
        page.close()


def test_village_selection_page_offline_with_banner_headings_and_charts(browser, run_dir):
    page, problems = _visit(browser, run_dir / "village_selection.html")
    try:
        assert problems == {"console": [], "failed": [], "external": []}
        assert "示例数据（模拟）" in page.locator("#synthetic-banner").inner_text()
        h2 = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim())")
        for heading in ("申报资格审查", "评分与排名", "推荐名单与稳健性", "准则得分构成", "权重敏感性"):
            assert heading in h2, (heading, h2)
        assert "遴选" in page.locator("h1").first.inner_text()
        # criteria profile, selection probability bars, weight sensitivity: drawn and decoded
        drawn = page.evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 100).length")
        assert drawn >= 3
        assert page.locator("#provenance").is_visible()
    finally:
        page.close()
