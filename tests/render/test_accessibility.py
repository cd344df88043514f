"""axe-core over the published pages (issue 14 point 11): the batch index, a county report, the
city overview, the village selection and a province overview report no accessibility violation of
impact ``serious`` or ``critical``, at 1440 px and at 390 px.

axe-core is the npm package's ``axe.min.js``, vendored in ``tests/vendor/axe-core`` (CI's machine
has no npm) and checked against the sha256 recorded in its README before use. The pages' Content
Security Policy forbids scripts, so each page opens in a browser context with ``bypass_csp=True``
and axe is injected as an inline script. The demo site is test_browser's (built once per session);
the province overview comes from the three-city province of ``tests/province_data.py``, built
once for this module (the province overview and one county report).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from browser_support import build_site
from test_browser import ARGS, CHROMIUM, run_dir  # noqa: F401 - the shared fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is not installed (CI installs it: apt-get install chromium)"),
]

AXE_DIR = Path(__file__).resolve().parents[1] / "vendor" / "axe-core"
WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
#: The impacts that fail a page (axe's scale: minor, moderate, serious, critical).
FAILING = ("serious", "critical")
#: Rule, impact, help and the first targets shown per violation in a failure message.
SHOWN_TARGETS = 3
#: The pages checked: (run, file name); run ``demo`` is test_browser's site, ``province`` the
#: three-city province built here.
PAGES = [("demo", "index.html"), ("demo", "340722.html"), ("demo", "340700.html"),
         ("demo", "village_selection.html"), ("province", "340000.html"), ("province", "index.html")]
#: Opens every scroller and unpins every sticky or fixed box, so that axe can tell the background
#: of table cells behind a horizontal scroller (otherwise "incomplete": partially obscured).
OPEN_SCROLLERS = "body * { overflow: visible !important; position: static !important; }"


def _recorded(field: str) -> str:
    """A ``field: value`` line of the vendored axe-core's README."""
    text = (AXE_DIR / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^\s*{field}:\s*(\S+)\s*$", text, re.M)
    assert m, f"tests/vendor/axe-core/README.md records no {field}"
    return m.group(1)


@pytest.fixture(scope="module")
def axe_source() -> str:
    data = (AXE_DIR / "axe.min.js").read_bytes()
    return data.decode("utf-8")


def test_vendored_axe_is_the_recorded_release():
    """The file is the one the README names: its sha256, and the version in its banner."""
    data = (AXE_DIR / "axe.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == _recorded("sha256")
    version = _recorded("version")
    assert re.match(r"4\.\d+\.\d+$", version)
    assert data.startswith(f"/*! axe v{version}".encode())
    assert _recorded("tarball") == f"https://registry.npmjs.org/axe-core/-/axe-core-{version}.tgz"
    assert _recorded("integrity").startswith("sha512-")
    assert "Mozilla Public License, version 2.0" in (AXE_DIR / "LICENSE").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def province_dir(tmp_path_factory):
    """The province overview (340000) and one county report of the three-city province."""
    from province_data import write_province

    root = tmp_path_factory.mktemp("a11y-province")
    build_site(write_province(root / "data"), root / "site", root / "cache", counties="340101", selection=False)
    assert (root / "site" / "340000.html").is_file()
    return root / "site"


@pytest.fixture(scope="module")
def contexts(browser):  # noqa: F811 - browser is the fixture
    """One browser context per width, with the pages' CSP bypassed so that axe can run."""
    made = {mode: browser.new_context(bypass_csp=True, viewport=size) for mode, size in WIDTHS.items()}
    yield made
    for ctx in made.values():
        ctx.close()


def _path(request, run: str, name: str) -> Path:
    folder = request.getfixturevalue("run_dir" if run == "demo" else "province_dir")
    return folder / name


def _axe(context, path: Path, axe_source: str, options: str, style: str | None = None,
         open_contents: bool = False) -> list[dict]:
    """The violations axe finds on ``path`` (``axe.run(document, options)``); every request that
    is not ``file:`` or ``data:`` is aborted. ``open_contents``: unfold the table of contents first."""
    page = context.new_page()
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file://", "data:"))
                   else r.abort())
        page.goto(path.as_uri(), wait_until="load")
        if style:
            page.add_style_tag(content=style)
        if open_contents:
            page.evaluate("() => { const box = document.getElementById('toc-box'); if (box) box.open = true; }")
        page.add_script_tag(content=axe_source)
        return page.evaluate(f"() => axe.run(document, {options}).then(r => r.violations)")
    finally:
        page.close()


def _failing(violations: list[dict]) -> list[str]:
    """One line per serious or critical violation: rule id, impact, help, first targets."""
    lines = []
    for v in violations:
        if v.get("impact") not in FAILING:
            continue
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:SHOWN_TARGETS]]
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']} — {targets}")
    return lines


@pytest.mark.parametrize("mode", list(WIDTHS))
@pytest.mark.parametrize(("run", "name"), PAGES, ids=[f"{r}-{n}" for r, n in PAGES])
def test_no_serious_or_critical_axe_violation(request, contexts, axe_source, run, name, mode):
    path = _path(request, run, name)
    violations = _axe(contexts[mode], path, axe_source, "{resultTypes: ['violations']}")
    failing = _failing(violations)
    assert failing == [], f"{run}/{name} at {WIDTHS[mode]['width']} px:\n" + "\n".join(failing)


@pytest.mark.parametrize(("run", "name"), PAGES, ids=[f"{r}-{n}" for r, n in PAGES])
def test_text_contrast_inside_scrollers(request, contexts, axe_source, run, name):
    """axe cannot tell the background of a cell behind a table's horizontal scroller (it marks
    the cell "incomplete", not passed): with every scroller opened, every cell's text contrast
    is checked (rule color-contrast, WCAG AA 4.5 : 1)."""
    path = _path(request, run, name)
    violations = _axe(contexts["desktop"], path, axe_source, "{runOnly: ['color-contrast']}",
                      style=OPEN_SCROLLERS)
    failing = _failing(violations)
    assert failing == [], f"{run}/{name}, scrollers opened:\n" + "\n".join(failing)


@pytest.mark.parametrize("mode", list(WIDTHS))
@pytest.mark.parametrize(("run", "name"), PAGES, ids=[f"{r}-{n}" for r, n in PAGES])
def test_targets_are_large_enough_with_the_contents_open(request, contexts, axe_source, run, name, mode):
    """WCAG 2.2 AA target size (axe rule target-size, off by default): the bar's links and the
    opened table of contents are targets of at least 24 px or spaced as far."""
    path = _path(request, run, name)
    violations = _axe(contexts[mode], path, axe_source, "{runOnly: ['target-size']}", open_contents=True)
    failing = _failing(violations)
    assert failing == [], f"{run}/{name} at {WIDTHS[mode]['width']} px, contents open:\n" + "\n".join(failing)


def test_the_check_fails_on_a_page_with_known_violations(contexts, axe_source, tmp_path):
    """The harness itself: a page with a status badge white on yellow (1.7 : 1) and an image
    without alt text fails with both rules named, at both widths."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title>'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\"></head><body><main>"
        '<h1>t</h1><p><span style="background:#f2c12e;color:#ffffff">badge</span></p>'
        '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=">'
        "</main></body></html>", encoding="utf-8")
    for mode in WIDTHS:
        failing = _failing(_axe(contexts[mode], page, axe_source, "{resultTypes: ['violations']}"))
        assert [line.split(" ")[0] for line in failing] == ["color-contrast", "image-alt"], failing
        assert "(serious, 1 elements)" in failing[0] and "span" in failing[0]
