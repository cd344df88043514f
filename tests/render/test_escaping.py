"""Escape by construction (issue 12): names from the data stay text in every part of a page.

Fast tests of each layer on hand-made payloads: the allowlist filter of the exporter
(:func:`hemei_tools.render.sanitize.sanitize_html`), Markdown without raw HTML, the report
tables (``_styler``), the exported page (title, TOC, outputs) and its Content-Security-Policy.
The browser test over a whole hostile data set is ``test_hostile_browser.py``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest
from hostile_data import PAYLOADS

from hemei_tools.render.html import export_html
from hemei_tools.render.sanitize import (
    CSP_PLACEHOLDER,
    apply_csp,
    content_security_policy,
    escape_markdown,
    safe_url,
    sanitize_html,
)

#: Elements no data value may ever produce in a page.
FORBIDDEN_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "link", "meta", "form", "input",
                  "base", "h1", "math", "frame", "frameset", "textarea", "button"}


def elements(html: str) -> list[tuple[str, dict]]:
    """The start tags of ``html`` as a browser-like tokenizer reads them: (tag, attributes)."""
    found: list[tuple[str, dict]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

        handle_startendtag = handle_starttag

    p = Collect()
    p.feed(html)
    p.close()
    return found


def dangerous(html: str, allow_h1: int = 0) -> list:
    """What in ``html`` could run or change the page: forbidden elements, event handlers,
    ``javascript:`` links (``allow_h1`` numbered headings may be h1)."""
    bad = []
    h1 = 0
    for tag, attrs in elements(html):
        if tag == "h1" and h1 < allow_h1 and re.fullmatch(r"sec-\d+", attrs.get("id") or ""):
            h1 += 1
            continue
        if tag in FORBIDDEN_TAGS:
            bad.append((tag, attrs))
        bad += [(tag, k) for k in attrs if k.startswith("on") or k in ("srcdoc", "formaction")]
        if "javascript" in (attrs.get("href") or "").lower():
            bad.append((tag, attrs["href"]))
    return bad


# ---------------------------------------------------------------- the filter

@pytest.mark.parametrize("fragment, expected", [
    ('<p>a</p><script>alert(1)</script>', '<p>a</p>&lt;script&gt;alert(1)&lt;/script&gt;'),
    ('<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'),
    ('<svg onload=alert(1)>', '&lt;svg onload=alert(1)&gt;'),
    # an unclosed iframe swallows nothing: its tag is text, the rest stays markup
    ('<iframe srcdoc="<script>alert(1)</script>">rest <b>x</b>',
     '&lt;iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"&gt;rest <b>x</b>'),
    # stray end tags are text (nothing outside the fragment is closed); a stray h1 is a paragraph
    ('<td>x</td></table></div><h1>BROKEN</h1>', '<td>x</td>&lt;/table&gt;&lt;/div&gt;<p>BROKEN</p>'),
    ('<a href="javascript:alert(1)">x</a> <a href="#sec-1">y</a> <a href=" JaVa\tscript:x">z</a>',
     'x <a href="#sec-1">y</a> z'),
    ('<a href="https://example.org/?a=1&amp;b=2">s</a>', '<a href="https://example.org/?a=1&amp;b=2">s</a>'),
    ('<table id="T_ab"><tr><th class="x y" >h</th><td style="color:red" onclick="x">&lt;b&gt; &amp; 1</td></tr></table>',
     '<table id="T_ab"><tr><th class="x y">h</th><td>&lt;b&gt; &amp; 1</td></tr></table>'),
    ('<h1 id="x">t</h1><h2 id="sec-3">u</h2><h4 id="x">v</h4>', '<p>t</p><h2 id="sec-3">u</h2><h4>v</h4>'),
    ('<!-- c --><p>x<br/>y</p><div/>z', '<p>x<br>y</p><div></div>z'),
    ('ab <img src=x onerror=alert(1)', 'ab &lt;img src=x onerror=alert(1)'),
    # CSS holds no "<": the style element cannot be ended anywhere else than where it ends here
    ('<style>a{}</style/x><script>alert(1)</script></style>',
     '<style>a{}\\3c /style/x>\\3c script>alert(1)\\3c /script></style>'),
    ('<p>open <em>end', '<p>open <em>end</em></p>'),
])
def test_the_filter_keeps_allowed_markup_and_shows_the_rest_as_text(fragment, expected):
    assert sanitize_html(fragment) == expected
    assert sanitize_html(expected) == expected  # idempotent


def test_no_payload_becomes_markup_in_a_table_cell_or_a_paragraph():
    for payload in PAYLOADS:
        for fragment in (f"<table><tr><td>{payload}</td></tr></table>", f"<p>{payload}</p>"):
            clean = sanitize_html(fragment)
            assert dangerous(clean) == [], (payload, clean)
            assert clean.count("<table>") == clean.count("</table>") <= 1


def test_safe_urls():
    assert safe_url("#sec-2") and safe_url("340722.html") and safe_url("https://x.org") and safe_url("mailto:a@b")
    for bad in ("javascript:alert(1)", " JAVASCRIPT:x", "java\nscript:x", "data:text/html,x", "vbscript:x",
                "\u200bjavascript:x"):
        assert not safe_url(bad), bad


def test_markdown_escaping_is_idempotent_and_reads_the_same():
    text = '<script>alert(1)</script> a&lt;b > c'
    once = escape_markdown(text)
    assert once == '&lt;script>alert(1)&lt;/script> a&lt;b > c'
    assert escape_markdown(once) == once


def test_markdown_from_the_data_makes_no_link_image_or_autolink():
    """A name ``[点我](https://evil.example)`` or a bare address stays text: the rendered HTML
    has no <a> or <img>, and shows the characters as written."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = "- 甲村[点我](https://evil.example)、![图](https://evil.example/x.png)、https://evil.example/y **粗**"
    once = escape_markdown(text)
    assert escape_markdown(once) == once
    page = markdown2html_mistune(once)  # the exporter's own renderer (its plugins include "url")
    assert "<a" not in page and "<img" not in page and "<strong>粗</strong>" in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "甲村[点我](https://evil.example)、![图](https://evil.example/x.png)、https://evil.example/y 粗" in shown


# ---------------------------------------------------------------- where data enter HTML

def test_report_tables_escape_cells_headers_and_captions():
    from markupsafe import Markup

    from hemei_tools.present.section_parts import _styler

    frame = pd.DataFrame({"村<b>": list(PAYLOADS[:6]), "n": range(6),
                          "src": pd.Series([Markup('<a href="{}">{}</a>').format("https://x.org", "<i>t</i>")] * 6,
                                           dtype=object)})
    st = _styler(frame)
    html = st.to_html()
    assert dangerous(html) == [], html
    assert "&lt;script&gt;alert(&#34;S1&#34;)&lt;/script&gt;" in html
    assert "村&lt;b&gt;" in html  # header escaped
    assert '<a href="https://x.org">&lt;i&gt;t&lt;/i&gt;</a>' in html  # code-built link kept, its text escaped
    captioned = _styler(frame, title="<img src=x onerror=alert(1)>表").to_html()
    assert "<caption>&lt;img src=x onerror=alert(1)&gt;表</caption>" in captioned


def test_report_markdown_holds_no_raw_html():
    from hemei_tools.present.section_parts import _md

    assert _md('# <script>alert(1)</script>村').data == "# &lt;script>alert(1)&lt;/script>村"


def _page(outputs, title="测试"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data=d) for d in outputs])]
    return export_html(nb, {"title": title}, {})


def test_the_exporter_filters_every_output_even_one_that_forgot_to_escape():
    payload = '<img src=x onerror=alert(1)></table></div><h1>BROKEN</h1><iframe srcdoc="x">'
    page = _page([
        {"text/markdown": f"# {payload}村\n\n- 名称 {payload} [点](javascript:alert(2))", "text/plain": ""},
        {"text/html": f"<table><tr><td>{payload}</td></tr></table>", "text/plain": ""},
    ], title=payload)
    body = page.split("<body", 1)[1]
    assert dangerous(body, allow_h1=1) == [], body
    assert page.count("<h1") == 1  # the heading of the Markdown, numbered for the TOC
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title
    toc = re.search(r'<nav[^>]*id="toc".*?</nav>', page, re.S).group(0)
    # the TOC shows the name as written, escaped once (no &amp;lt;), and no BROKEN entry of its own
    assert "&lt;img src=x onerror=alert(1)&gt;" in toc and "&amp;lt;" not in toc
    assert len(re.findall(r"<li ", toc)) == 1


def test_the_page_csp_allows_no_script_and_only_its_own_styles():
    page = _page([{"text/html": "<style>td {color: red}</style><table><tr><td>x</td></tr></table>",
                   "text/plain": ""}])
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    head = page.split("</head>", 1)[0]
    assert head.index("Content-Security-Policy") < head.index("<style")  # before any style applies
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
    assert "img-src data:" in csp and "base-uri 'none'" in csp and "form-action 'none'" in csp
    styles = re.findall(r"<style\b[^>]*>(.*?)</style>", page, re.S)
    assert len(styles) >= 2
    for css in styles:
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "<script" not in page


def test_apply_csp_needs_exactly_one_placeholder():
    page = f"<html><head>{CSP_PLACEHOLDER}<style>p{{}}</style></head><body></body></html>"
    assert "sha256-" in apply_csp(page)
    with pytest.raises(ValueError):
        apply_csp("<html><head></head></html>")
    assert content_security_policy("<p>no style</p>").startswith("default-src 'none'; style-src 'none';")


def test_the_batch_index_has_the_csp():
    from hemei_tools.batch.index import render_index

    manifest = {"reports": [], "year": 2023, "synthetic": False, "built": 0, "skipped": 0, "failed": 0,
                "created": "2026-01-01T00:00:00Z", "version": "0", "seconds": 0.0, "inputs": []}
    page = render_index(manifest)
    assert re.search(r"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-", page)


# ---------------------------------------------------------------- the quick route of the filter

#: Pieces of markup; fragments glued from them cover both routes of sanitize_html.
MARKUP_PIECES = [
    "<p>", "</p>", '<td id="T_ab_row0_col1" class="data row0">', "</td>", "<br/>", "<br>", "<hr />",
    '<a href="https://x.org/?a=1&amp;b=2">', '<a href="javascript:alert(1)">', "</a>",
    '<a download="x.csv" href="data:text/csv;base64,77u/YQ0K">', '<a download="../x.csv" href="data:text/csv;base64,AA">',
    '<style type="text/css">', "#T_x td { color: red }", "</style>", "</STYLE>", "<STYLE>", '<h2 id="sec-3">',
    "<h2>", "</h2>", '<H1 ID="sec-1">', "&amp;", "&lt;script&gt;", "&quot;", "&#39;", "&nbsp;", "&amp", "&notit;",
    "&", "<", ">", '"', "'", "横山村", " ", "\n", "<script>", "</script>", "<img src=x onerror=alert(1)>",
    "<!-- c -->", "<div/>", "<span class='x'>", "<span class=x>", '<td colspan="2" rowspan="99999">', "</table>",
    '<a href="x" href="y">', "<textarea>", "<title>", "\x00", '<a\nhref="x">', "<p >", '<td class="x"/>',
    "<style>a<b</style>", '<a href="ja&#x09;vascript:x">', "</div></div>",
]


def _by_html_parser(fragment: str) -> str:
    from hemei_tools.render.sanitize import _Sanitizer

    parser = _Sanitizer()
    parser.feed(fragment)
    return parser.finish()


def test_the_quick_route_gives_what_html_parser_gives():
    """Simple markup (every output of a report) is cut by one regular expression instead of
    HTMLParser; whatever it accepts must come out exactly as through HTMLParser, and what it
    does not accept (comments, unquoted attributes, tags outside the allowlist, a stray <) goes
    through HTMLParser."""
    import random

    from hemei_tools.render.sanitize import _sanitize_simple

    rng = random.Random(5)
    quick = 0
    for _ in range(4000):
        fragment = "".join(rng.choice(MARKUP_PIECES) for _ in range(rng.randint(1, 10)))
        got = _sanitize_simple(fragment)
        if got is not None:
            quick += 1
            assert got == _by_html_parser(fragment), fragment
        assert sanitize_html(fragment) == _by_html_parser(fragment), fragment
    assert quick > 500
    table = ('<style type="text/css">#T_ab th { text-align: left }</style><table id="T_ab"><caption>表1　A&amp;B</caption>'
             '<thead><tr><th class="col_heading level0 col0">村</th></tr></thead><tbody><tr>'
             '<td id="T_ab_row0_col0" class="data row0 col0">&lt;b&gt;横山村&#39;</td></tr></tbody></table>')
    # a pandas table takes the quick route and stays as it is (a quote needs no reference in text)
    assert _sanitize_simple(table) == _by_html_parser(table) == table.replace("&#39;", "'")
    for other in ("<!-- x --><p>a</p>", "<span class=x>a</span>", "<img src=x>", "a < b"):
        assert _sanitize_simple(other) is None
