"""The demo site as its readers meet it (issue 14 points 5, 7, 8, 11): printed on A4, opened on a
390 px phone, offline, all in Chinese, and naming no folder of the machine that built it.

The site is test_browser's (built once per session); ``hemei batch --pdf`` runs on a copy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_browser import ARGS, CHROMIUM, run_dir  # noqa: F401 - the shared fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (CI installs it: apt-get install chromium)"),
]

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "340722"
PHONE = {"width": 390, "height": 844}
BEIJING = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（北京时间）")
A4 = (595, 842)


def _open(browser, path: Path, viewport=None, media=None):  # noqa: F811 - browser is the fixture
    """A page with every request counted by scheme (anything but file: and data: is aborted)."""
    requests: dict[str, list[str]] = {"file": [], "data": [], "other": []}
    page = browser.new_page(viewport=viewport or {"width": 1440, "height": 900})

    def route(r):
        url = r.request.url
        kind = "file" if url.startswith("file://") else "data" if url.startswith("data:") else "other"
        requests[kind].append(url)
        if kind == "other":
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    if media:
        page.emulate_media(media=media)
    page.goto(path.as_uri(), wait_until="load")
    return page, requests


# ---------------------------------------------------------------- no folder of the machine (point 7)

def test_no_output_file_names_a_folder_of_the_building_machine(run_dir, demo_dir):  # noqa: F811
    folders = {str(demo_dir), str(demo_dir.resolve()), str(run_dir), str(run_dir.resolve()), str(ROOT),
               str(Path.home())}
    files = [p for p in run_dir.rglob("*") if p.is_file() and p.suffix != ".pdf" and p.name != ".hemei.lock"]
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".json", ".log"}
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(run_dir)}: {folder}" for folder in folders
                  if re.search(re.escape(folder) + r"(?![\w.-])", text)]
    assert found == []
    page = (run_dir / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert "data_dir=../" in page  # the data folder relative to the report's folder


# ---------------------------------------------------------------- Chinese throughout (point 7)

def test_pages_speak_chinese_in_beijing_time_with_their_own_titles(browser, run_dir):  # noqa: F811
    titles = {}
    for path in sorted(run_dir.glob("*.html")):
        page, _ = _open(browser, path)
        try:
            titles[path.name] = page.title()
            text = page.evaluate("document.body.innerText")
            h1 = page.evaluate("document.querySelector('h1').textContent.trim()")
        finally:
            page.close()
        assert titles[path.name] == h1, path.name
        assert "UTC" not in text and "Provenance" not in text and "IndexSpec" not in text, path.name
        if path.name == "index.html":
            assert BEIJING.search(text)
            assert not re.search(r"\b(ok|failed|notebook|log|HTML)\b", text), text
        else:
            assert BEIJING.search(text), path.name
        if path.name == f"{COUNTY}.html":
            assert "缺失值处理方法：不插补（缺失值不参与计算）" in text
            assert "标准化方法" in text and "目标值法（基准=100，下限=0）" in text
            assert not re.search(r"\b(normaliser|aggregator|amean|goalposts)\b", text)
        if path.name == "village_selection.html":
            assert "枞阳县：3个" in text and not re.search(r"3407\d\d：\d+个", text)
    assert len(set(titles.values())) == len(titles), titles
    assert titles["village_selection.html"] != titles["340700.html"]


# ---------------------------------------------------------------- offline (point 11)

@pytest.mark.parametrize("name", ["index.html", f"{COUNTY}.html"])
@pytest.mark.parametrize("mode", ["desktop", "phone", "print"])
def test_no_request_leaves_file(browser, run_dir, name, mode):  # noqa: F811
    page, requests = _open(browser, run_dir / name, viewport=PHONE if mode == "phone" else None,
                           media="print" if mode == "print" else None)
    try:
        page.wait_for_timeout(300)  # anything late (fonts, lazy images) has asked by now
    finally:
        page.close()
    assert requests["other"] == []
    assert requests["file"] == [(run_dir / name).as_uri()], "the route saw the page itself"


# ---------------------------------------------------------------- phone (point 8)

#: Elements reaching past the viewport that are not inside a horizontal scroller.
OVERFLOWING = """() => {
  const W = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 1) continue;
    let p = el.parentElement, scrolls = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (s.overflowX === 'auto' || s.overflowX === 'scroll') { scrolls = true; break; }
      p = p.parentElement;
    }
    if (!scrolls) out.push(el.tagName + '.' + el.className);
  }
  return out;
}"""


@pytest.mark.parametrize("name", ["index.html", f"{COUNTY}.html"])
def test_at_390_px_nothing_but_a_wide_table_scrolls_sideways(browser, run_dir, name):  # noqa: F811
    page, _ = _open(browser, run_dir / name, viewport=PHONE)
    try:
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"] + 1
        assert page.evaluate(OVERFLOWING) == []
        # a wide table keeps its own scroller (it is wider than the phone, the page is not)
        widest = page.evaluate("Math.max(...Array.from(document.querySelectorAll('table')).map(t => t.scrollWidth))")
        assert widest > PHONE["width"]
        # charts fit the screen
        assert page.evaluate("Array.from(document.images).every(i => i.getBoundingClientRect().width <= 390)")
    finally:
        page.close()


def test_names_in_the_index_never_wrap_one_character_per_line(browser, run_dir):  # noqa: F811
    page, _ = _open(browser, run_dir / "index.html", viewport=PHONE)
    try:
        # the lines a cell's text is laid out on: the distinct tops of its text's line boxes
        cells = page.evaluate("""() => Array.from(document.querySelectorAll('td.name, td.level, td.code'))
          .map(td => { const r = document.createRange(); r.selectNodeContents(td);
                       const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
                       return {text: td.textContent.trim(), lines: tops.size}; })""")
    finally:
        page.close()
    names = [c["text"] for c in cells]
    assert "枞阳县" in names and "精品示范村遴选" in names
    assert [c["text"] for c in cells if c["lines"] != 1] == []


def test_report_headers_keep_several_characters_per_line_on_a_phone(browser, run_dir):  # noqa: F811
    """At 390 px a table header of three or more characters (按进度应完成, 已验收) never stands one
    character per line: every header line holds at least three characters."""
    page, _ = _open(browser, run_dir / f"{COUNTY}.html", viewport=PHONE)
    try:
        heads = page.evaluate("""() => Array.from(document.querySelectorAll('main table th'))
          .filter(th => th.textContent.trim().length >= 3)
          .map(th => { const r = document.createRange(); r.selectNodeContents(th);
                       const tops = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
                       return {text: th.textContent.trim(), lines: tops.size}; })""")
    finally:
        page.close()
    assert len(heads) > 50
    narrow = [h for h in heads if h["lines"] > 1 and len(h["text"]) / h["lines"] < 3]
    assert narrow == []


# ---------------------------------------------------------------- print (point 5)

PRINT_PROBE = """() => {
  const cs = (el, pseudo) => getComputedStyle(el, pseudo || null);
  const wide = Array.from(document.querySelectorAll('.hemei-wide'));
  const links = Array.from(document.querySelectorAll('.hemei-sources a[href^="http"]'));
  return {
    scrollers: Array.from(document.querySelectorAll('.jp-OutputArea-child'))
      .filter(el => ['auto', 'scroll'].includes(cs(el).overflowX)).length,
    wide: wide.length, wide_pages: wide.filter(el => cs(el).page === 'wide').length,
    thead: Array.from(document.querySelectorAll('thead')).every(t => cs(t).display === 'table-header-group'),
    links: links.length,
    printed: links.filter(a => cs(a, '::after').content.includes(a.getAttribute('href'))).length,
    toc: cs(document.getElementById('toc')).display,
    clipped: Array.from(document.querySelectorAll('table'))
      .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length,
  };
}"""


def test_print_has_no_inner_scrollbars_landscape_wide_tables_and_printed_links(browser, run_dir):  # noqa: F811
    page, _ = _open(browser, run_dir / f"{COUNTY}.html", viewport={"width": 794, "height": 1123}, media="print")
    try:
        got = page.evaluate(PRINT_PROBE)
    finally:
        page.close()
    assert got["scrollers"] == 0 and got["thead"] and got["toc"] == "none"
    assert got["wide"] >= 2 and got["wide_pages"] == got["wide"]  # the gap table, the plan table
    assert got["links"] >= 10 and got["printed"] == got["links"]
    assert got["clipped"] == 0


def _sizes(pdf: Path) -> list[tuple[int, int]]:
    pypdf = pytest.importorskip("pypdf")
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pypdf.PdfReader(str(pdf)).pages]


def test_hemei_batch_pdf_prints_each_report_and_the_run_in_index_order(run_dir, demo_dir, tmp_path,  # noqa: F811
                                                                       monkeypatch):
    pypdf = pytest.importorskip("pypdf")
    import tempfile

    from click.testing import CliRunner

    # this batch's browser profiles go under tmp_path, so the check at the end sees only its own
    # browsers (another test may be printing at the same time on the other xdist worker)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(profiles))

    from hemei_tools.cli import main

    out = tmp_path / "site"
    shutil.copytree(run_dir, out)
    res = CliRunner().invoke(main, ["batch", "--data", str(demo_dir), "--out", str(out), "--pdf", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "PDF: printed 6, unchanged 0" in res.output and "reports.pdf" in res.output
    stems = ["340700", "340705", "340706", "340711", COUNTY, "village_selection"]
    for stem in stems:
        sizes = _sizes(out / f"{stem}.pdf")
        assert set(sizes) <= {A4, A4[::-1]}, stem
    county = _sizes(out / f"{COUNTY}.pdf")
    assert county[0] == A4 and A4[::-1] in county  # portrait, with landscape pages for wide tables
    first = pypdf.PdfReader(str(out / f"{COUNTY}.pdf")).pages[0].extract_text()
    assert f"第1页，共{len(county)}页" in first and "枞阳县和美乡村建设评估报告（2023年）" in first
    # the combined PDF: the index, then every report in index order, each a bookmark
    combined = pypdf.PdfReader(str(out / "reports.pdf"))
    index_pages = len(_sizes_of(out / "index.html", tmp_path))
    assert len(combined.pages) == index_pages + sum(len(_sizes(out / f"{s}.pdf")) for s in stems)
    titles = [o.title for o in combined.outline if not isinstance(o, list)]
    page_titles = [re.search(r"<title>(.*?)</title>", (out / f"{s}.html").read_text(encoding="utf-8")).group(1)
                   for s in stems]
    assert titles == ["和美乡村建设评估报告索引（2023年）", *page_titles]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{s}.pdf"' in index for s in stems) and 'href="reports.pdf"' in index
    # a re-run prints nothing new, and no browser is left running
    res = CliRunner().invoke(main, ["batch", "--data", str(demo_dir), "--out", str(out), "--pdf"])
    assert res.exit_code == 0 and "PDF: printed 0, unchanged 6" in res.output, res.output
    left = subprocess.run(["pgrep", "-f", f"{profiles}/hemei-chromium-"], capture_output=True, text=True).stdout.split()
    assert left == [] and not list(profiles.iterdir())


def _sizes_of(page: Path, tmp_path: Path) -> list[tuple[int, int]]:
    from hemei_tools.render.pdf import print_pdfs

    (pdf,) = print_pdfs([(page, tmp_path / "index-alone.pdf")])
    return _sizes(pdf)
