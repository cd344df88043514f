"""Hostile names in a real browser (issue 12): the demo data with injection payloads in its
township, village, county and project names (``hostile_data.py``) rendered into two county
reports, their city overview, the village selection and the index, then opened in Debian's
Chromium (Playwright) with and without JavaScript.

Before the escaping, the same pages opened 33 alert dialogs, held 20 ``<script>`` elements
from names, and the selection report did not build (a name with ``$…$`` crashed matplotlib's
mathtext).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from browser_support import CHROMIUM, build_site
from hostile_data import HOSTILE_COUNTY, HOSTILE_COUNTY_NAME, PAYLOADS, make_hostile

from hemei_tools.render.notebooks import notebook_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (CI installs it: apt-get install chromium)"),
]

#: What a page may not hold, counted in the browser's DOM (not in the file's text).
PROBE = """() => {
  const all = Array.from(document.querySelectorAll('*'));
  return {
    script: document.querySelectorAll('script').length,
    svg: document.querySelectorAll('svg').length,
    iframe: document.querySelectorAll('iframe, frame, object, embed').length,
    h1: document.querySelectorAll('h1').length,
    img_not_data: Array.from(document.images).filter(i => !(i.getAttribute('src') || '').startsWith('data:')).length,
    handlers: all.filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
    js_links: Array.from(document.querySelectorAll('[href]'))
      .filter(a => a.getAttribute('href').replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase().startsWith('javascript')).length,
    toc_broken: Array.from(document.querySelectorAll('#toc a')).filter(a => a.textContent.includes('BROKEN')).length,
    h2: Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim()),
    provenance: document.querySelectorAll('#provenance').length,
    text: document.body.innerText,
  };
}"""
CLEAN = {"script": 0, "svg": 0, "iframe": 0, "h1": 1, "img_not_data": 0, "handlers": 0, "js_links": 0,
         "toc_broken": 0, "provenance": 1}


@pytest.fixture(scope="module")
def hostile_site(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = make_hostile(demo_dir, root / "data")
    build_site(data, root / "site", root / "cache", counties=f"340722,{HOSTILE_COUNTY}")
    return root / "site"


def _open(browser, path: Path, javascript: bool = True) -> tuple[dict, list[str], list[str]]:
    """The page's probe, the dialogs it opened (every ``javascript:`` link clicked too) and its
    console errors; any request leaving the file system is refused."""
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file://", "data:")) else r.abort())
    try:
        page.goto(path.as_uri(), wait_until="load")
        if javascript:
            for link in page.query_selector_all("a[href]"):
                if link.get_attribute("href").strip().lower().startswith("javascript"):
                    link.click(timeout=1000)
        return page.evaluate(PROBE), dialogs, errors
    finally:
        context.close()


def _section_headings(name: str) -> list[str]:
    """The h2 headings the template notebook writes in its Markdown cells."""
    nb = nbformat.read(notebook_path(name), as_version=4)
    return [m.group(1).strip() for c in nb.cells if c.cell_type == "markdown"
            for m in re.finditer(r"^## (.+)$", c.source, re.M)]


def test_the_hostile_site_builds_every_report(hostile_site):
    assert sorted(p.name for p in hostile_site.glob("*.html")) == [
        "340700.html", f"{HOSTILE_COUNTY}.html", "340722.html", "index.html", "village_selection.html"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_no_payload_runs_or_adds_an_element(browser, hostile_site, javascript):
    for path in sorted(hostile_site.glob("*.html")):
        probe, dialogs, errors = _open(browser, path, javascript)
        assert dialogs == [], (path.name, dialogs)
        assert errors == [], (path.name, errors)  # a CSP violation (blocked style or script) is one
        # the index holds its one sort/filter script (static, admitted by hash: tests/batch/test_index_page.py)
        expected = {**CLEAN, "provenance": 0, "script": 1} if path.name == "index.html" else CLEAN
        assert {k: probe[k] for k in CLEAN} == expected, path.name


def test_every_section_is_present_and_the_names_read_as_written(browser, hostile_site):
    probe, _, _ = _open(browser, hostile_site / "village_selection.html", javascript=False)
    for heading in _section_headings("village_selection"):
        assert heading in probe["h2"], (heading, probe["h2"])
    # the selection lists every applicant: each payload is on the page, as the text it is
    assert [p for p in PAYLOADS if p not in probe["text"]] == []
    for name in ("340722", HOSTILE_COUNTY):
        probe, _, _ = _open(browser, hostile_site / f"{name}.html", javascript=False)
        for heading in _section_headings("county_report"):
            assert heading in probe["h2"], (name, heading, probe["h2"])
    assert HOSTILE_COUNTY_NAME in probe["text"]
    probe, _, _ = _open(browser, hostile_site / "340722.html", javascript=False)
    assert sum(p in probe["text"] for p in PAYLOADS) >= 10  # township names in its tables


def test_the_csp_stops_a_script_that_got_into_a_page(browser, hostile_site, tmp_path):
    """The last layer on its own: markup planted into a finished page after the filter."""
    page = (hostile_site / "340722.html").read_text(encoding="utf-8")
    planted = page.replace("<main>", '<main><script>alert("planted")</script><img src=x onerror=alert("img")>'
                                     '<a id="js" href="javascript:alert(\'link\')">x</a>', 1)
    assert planted != page
    (tmp_path / "planted.html").write_text(planted, encoding="utf-8")
    _, dialogs, errors = _open(browser, tmp_path / "planted.html")
    assert dialogs == []
    assert any("Content Security Policy" in e for e in errors), errors
