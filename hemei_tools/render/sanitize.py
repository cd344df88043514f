"""Escape by construction: the one HTML filter every report output passes, and the page's CSP.

Report pages show text that comes from the user's data (village, township, county and project
names) in tables, Markdown, captions, titles and the table of contents. Three layers keep it
text, each sufficient for what it covers:

1. where the data become HTML: the report tables escape their cells and headers (pandas
   ``Styler(escape="html")`` in :func:`hemei_tools.present.section_parts._styler`), and
   Markdown outputs hold no raw HTML (every ``<`` is written ``&lt;``, :func:`escape_markdown`);
2. the exporter (:mod:`hemei_tools.render.html`) runs **every** Markdown cell, Markdown output
   and HTML output through :func:`sanitize_html` (nbconvert's ``clean_html`` seam): an
   allowlist of tags and attributes, text re-escaped, links limited to safe schemes, tags
   balanced so nothing closes the page's own elements, and no heading outside the table of
   contents; a new output that forgot to escape still cannot add markup;
3. the page declares a Content-Security-Policy (:func:`content_security_policy`): no script at
   all in a report (its template emits none; the batch index admits its one static script by
   hash), styles only from the ``<style>`` elements the page was built with (by hash), images
   only as ``data:`` URIs, no frames, forms, base URL or plugins.

Standard library only (:mod:`html.parser`): about 25 ms for the 90 kB of tables of a county
report, where a full HTML5 parser (bleach/html5lib) takes 0.35 s. Fragments made only of simple
markup (every output of a report: pandas tables, rendered Markdown, download links) are cut
into tokens by one regular expression instead (:func:`_sanitize_simple`, about a third less
time) and handed to the same callbacks with what ``HTMLParser`` would give them; anything
else goes through ``HTMLParser``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser

from hemei_tools.contract import inert_markdown

#: Elements an output may contain; anything else is shown as text.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "sub", "sup", "small", "code",
    "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "a", "h1", "h2", "h3", "h4",
    "h5", "h6", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th",
    "td", "div", "span", "style",
})
#: Elements without content or end tag.
VOID_TAGS = frozenset({"br", "hr", "col"})
#: Attributes kept, by element (``*``: every element), each with the check its value must pass.
_NUMBER = re.compile(r"^\d{1,4}$")
_CLASS = re.compile(r"^[\w -]{0,200}$")
#: ids: the headings the exporter numbers (``sec-N``) and pandas Styler tables (``T_<uuid>``).
_ID = re.compile(r"^(sec-\d+|T_[A-Za-z0-9_]{1,80})$")
#: A download's file name: no path, quote, angle bracket or control character; .csv or .xlsx.
_DOWNLOAD_NAME = re.compile(r'^[^/\\:*?"<>|\x00-\x1f\x7f]{1,200}\.(csv|xlsx)$')
ALLOWED_ATTRIBUTES: dict[str, dict[str, re.Pattern | None]] = {
    "*": {"class": _CLASS, "id": _ID},
    "a": {"href": None, "title": re.compile(r"^.{0,500}$", re.S), "download": _DOWNLOAD_NAME},
    "th": {"colspan": _NUMBER, "rowspan": _NUMBER},
    "td": {"colspan": _NUMBER, "rowspan": _NUMBER},
    "col": {"span": _NUMBER},
    "colgroup": {"span": _NUMBER},
    "ol": {"start": _NUMBER},
    "table": {"border": _NUMBER},
    "style": {"type": re.compile(r"^text/css$")},
}
#: Link schemes a page may point to; links without a scheme (``#sec-2``, ``340722.html``) stay.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: The one kind of ``data:`` link a page may hold: a table as CSV or as an .xlsx workbook, base64,
#: on an ``<a download="….csv">`` (the data download under each table and chart). Nothing
#: else: no ``data:text/html``, no SVG, no other parameter.
DOWNLOAD_DATA_URL = re.compile(
    r"^data:(text/csv(;charset=utf-8)?|application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)"
    r";base64,[A-Za-z0-9+/]*={0,2}$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
#: Headings of the table of contents carry ``sec-N`` ids; any other h1–h3 is shown as a paragraph.
_TOC_HEADINGS = frozenset({"h1", "h2", "h3"})


def safe_url(url: str) -> bool:
    """True for a link a report may hold: no scheme (fragment or relative path) or one of
    :data:`SAFE_SCHEMES`. Invisible and control characters are ignored when reading the
    scheme, as browsers do (``java\\tscript:`` is ``javascript:``)."""
    m = _SCHEME.match(_INVISIBLE.sub("", url))
    return m is None or m.group(1).lower() in SAFE_SCHEMES


def safe_download_url(url: str) -> bool:
    """True for a ``data:`` link that is a CSV or .xlsx download (:data:`DOWNLOAD_DATA_URL`);
    kept only on an ``<a>`` that has a ``download`` attribute."""
    return DOWNLOAD_DATA_URL.match(url) is not None


def escape_markdown(text: str) -> str:
    """Markdown with no raw HTML, link, image or autolink (:func:`hemei_tools.contract.inert_markdown`:
    ``<``, ``[``, ``]`` and ``://`` as character references; idempotent).

    Markdown renders the references as the characters, so text reads the same; no tag, comment,
    link or autolink can start. Used on every Markdown output of a report (whose sentences hold
    names from the data); the report's own wording holds none of them.
    """
    return inert_markdown(text)


class _Sanitizer(HTMLParser):
    """Re-emits allowed markup, escapes everything else as text (see :func:`sanitize_html`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        # open elements: (tag as written, tag emitted or None when only its text is kept)
        self.stack: list[tuple[str, str | None]] = []
        self.raw: str | None = None  # inside an allowed raw-text element (style)

    def _text(self, text: str) -> None:
        self.out.append(html.escape(text, quote=False))

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, self.get_starttag_text() or "", closed=True)

    def _start(self, tag: str, attrs, written: str, closed: bool = False) -> None:
        if tag not in ALLOWED_TAGS:
            self._text(written)
            return
        kept = _attributes(tag, attrs)
        out = tag
        if tag in _TOC_HEADINGS and not re.fullmatch(r"sec-\d+", dict(kept).get("id", "")):
            out, kept = "p", [(k, v) for k, v in kept if k != "id"]
        if tag == "a" and "href" not in dict(kept):
            out = None  # a link without a safe target: keep its text only
        if out is not None:
            self.out.append("<" + out + "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in kept) + ">")
        if tag in VOID_TAGS:
            return
        if closed:  # <div/> is an open <div> in HTML: close it here
            if out is not None:
                self.out.append(f"</{out}>")
            return
        self.stack.append((tag, out))
        if tag == "style":
            self.raw = tag

    def handle_endtag(self, tag):
        if tag in VOID_TAGS and tag in ALLOWED_TAGS:
            return
        if tag not in ALLOWED_TAGS or all(t != tag for t, _ in self.stack):
            self._text(f"</{tag}>")  # a stray end tag never closes the page's own elements
            return
        while self.stack:
            t, out = self.stack.pop()
            if out is not None:
                self.out.append(f"</{out}>")
            if t == tag:
                break
        if tag == self.raw:
            self.raw = None

    def handle_data(self, data):
        if self.raw is not None:
            # CSS of a <style> element; CSS needs no "<", and without one no parser can see
            # the element end anywhere else than here
            self.out.append(data.replace("<", "\\3c "))
        else:
            self._text(data)

    # comments, doctypes, processing instructions and CDATA sections are dropped
    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    def finish(self) -> str:
        self.close()
        rest = self.rawdata
        if rest:  # an unfinished tag at the end (``<img src=x onerror=…``) is text
            self._text(rest)
            self.rawdata = ""
        while self.stack:
            _, out = self.stack.pop()
            if out is not None:
                self.out.append(f"</{out}>")
        return "".join(self.out)


def _attributes(tag: str, attrs) -> list[tuple[str, str]]:
    allowed = {**ALLOWED_ATTRIBUTES["*"], **ALLOWED_ATTRIBUTES.get(tag, {})}
    kept = []
    for name, value in attrs:
        value = "" if value is None else value
        if name not in allowed or any(k == name for k, _ in kept):
            continue
        check = allowed[name]
        if name == "href":
            download = any(k == "download" and v and _DOWNLOAD_NAME.match(v) for k, v in attrs)
            if not (safe_url(value) or (tag == "a" and download and safe_download_url(value))):
                continue
        elif check is not None and not check.match(value):
            continue
        kept.append((name, value))
    return kept


def sanitize_html(fragment: str) -> str:
    """An HTML fragment reduced to the markup a report may show; everything else becomes text.

    - elements outside :data:`ALLOWED_TAGS` (``script``, ``img``, ``svg``, ``iframe``, ``form``,
      ``link``, ``meta``, ``object``, …) are written out as visible text, with their content;
    - attributes outside :data:`ALLOWED_ATTRIBUTES` (every ``on…`` handler, ``style``,
      ``srcdoc``, ``src``) are dropped; ``href`` keeps only safe targets (:func:`safe_url`),
      or a CSV/xlsx ``data:`` URL on an ``<a download="name.csv">`` (:func:`safe_download_url`);
      a link without one keeps its text only;
    - text and attribute values are escaped again, so an entity in the data stays text;
    - an end tag without its open element (``</table></div>``) is text, elements left open
      are closed at the end: a fragment cannot close or swallow the page around it;
    - h1–h3 without a ``sec-N`` id (headings not listed in the table of contents, e.g. a
      ``#`` inside a data value) become paragraphs;
    - comments, doctypes and an unfinished tag at the end are dropped or shown as text.

    ``<style>`` content is kept as written (it is the pandas Styler's CSS; the page's CSP admits
    only the style elements it was built with). Idempotent.
    """
    if not fragment:
        return fragment
    fragment = str(fragment)
    simple = _sanitize_simple(fragment)
    if simple is not None:
        return simple
    parser = _Sanitizer()
    parser.feed(fragment)
    return parser.finish()


#: One token of simple markup: an allowed-looking start tag whose attributes are all
#: ``name="value"`` (no ``<`` or ``>`` in a value), a bare end tag, or text without ``<``.
_SIMPLE_TOKEN = re.compile(
    r'<([a-zA-Z][a-zA-Z0-9]*)((?:[ \t\n\r\f]+[a-zA-Z_:][-a-zA-Z0-9_:.]*="[^"<>]*")*)[ \t\n\r\f]*(/?)>'
    r"|</([a-zA-Z][a-zA-Z0-9]*)>"
    r"|[^<]+")
_SIMPLE_ATTRIBUTE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"<>]*)"')


def _sanitize_simple(fragment: str) -> str | None:
    """:func:`sanitize_html` of a fragment made only of simple markup (what the report's own
    outputs hold: pandas tables, Markdown rendered to HTML, the download links), without
    :class:`html.parser.HTMLParser`'s general tokenizer; None for anything else.

    The fragment is cut into :data:`_SIMPLE_TOKEN` tokens and each is handed to the same
    :class:`_Sanitizer` callbacks with what ``HTMLParser`` would give them for it: tag and
    attribute names in lower case, attribute values and text with character references
    resolved (:func:`html.unescape`), a ``<style>`` element's content as it is, up to its
    ``</style>``. A fragment with any other construct (a tag outside :data:`ALLOWED_TAGS`,
    an attribute without a double-quoted value, a comment, a stray ``<``, a NUL, a ``<``
    inside the style sheet) returns None and goes through ``HTMLParser``, so the result is
    the same either way.
    """
    if "\x00" in fragment:
        return None
    parser = _Sanitizer()
    pos, n = 0, len(fragment)
    match = _SIMPLE_TOKEN.match
    while pos < n:
        m = match(fragment, pos)
        if m is None:
            return None
        pos = m.end()
        tag, attributes, closed, end = m.group(1, 2, 3, 4)
        if tag is not None:
            tag = tag.lower()
            if tag not in ALLOWED_TAGS:
                return None
            attrs = [(k.lower(), html.unescape(v)) for k, v in _SIMPLE_ATTRIBUTE.findall(attributes)]
            parser._start(tag, attrs, m.group(0), closed=bool(closed))
            if tag == "style" and not closed:  # raw text up to its end tag, as HTMLParser reads it
                stop = fragment.find("</style>", pos)
                if stop < 0 or "<" in fragment[pos:stop]:
                    return None
                if stop > pos:
                    parser.handle_data(fragment[pos:stop])
                parser.handle_endtag("style")
                pos = stop + len("</style>")
        elif end is not None:
            end = end.lower()
            if end not in ALLOWED_TAGS:
                return None
            parser.handle_endtag(end)
        else:
            parser.handle_data(html.unescape(m.group(0)))
    return parser.finish()


_STYLE_RE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
#: The CSP meta element the templates emit; :func:`apply_csp` fills in its policy.
CSP_PLACEHOLDER = '<meta http-equiv="Content-Security-Policy" content="hemei-csp">'


def _source_hash(text: str) -> str:
    """A CSP source for ``text`` by content: ``'sha256-<base64 of SHA-256 of its UTF-8>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(page: str, scripts: tuple[str, ...] = ()) -> str:
    """The page's Content-Security-Policy: nothing is loaded or run except the page's own
    ``<style>`` elements (``'sha256-…'`` of each), the inline ``scripts`` its builder names,
    and ``data:`` images and fonts.

    ``default-src 'none'`` covers scripts (the reports hold none: no inline script, no
    ``javascript:`` URL, no event handler runs even if one got through), frames, objects,
    connections and media; ``base-uri`` and ``form-action`` are not covered by it and are set
    to ``'none'`` too. ``frame-ancestors`` cannot be set from a ``<meta>`` element.

    ``scripts`` are the texts of inline ``<script>`` elements the caller vouches for (static
    text of a package file, never data); each is admitted by its hash alone,
    ``script-src 'sha256-…'``, after ``style-src``. Scripts are never read from the page: a
    ``<script>`` that got into a page some other way stays blocked. Without ``scripts`` the
    policy has no ``script-src`` (report pages).
    """
    style = " ".join(sorted({_source_hash(m) for m in _STYLE_RE.findall(page)})) or "'none'"
    script = f"; script-src {' '.join(sorted({_source_hash(s) for s in scripts}))}" if scripts else ""
    return (f"default-src 'none'; style-src {style}{script}; img-src data:; font-src data:; "
            "base-uri 'none'; form-action 'none'")


def apply_csp(page: str, scripts: tuple[str, ...] = ()) -> str:
    """Fill the template's CSP element (:data:`CSP_PLACEHOLDER`, once, in ``<head>``) with
    :func:`content_security_policy` of the finished page.

    ``scripts``: inline scripts to admit by hash (see :func:`content_security_policy`). Each
    must stand in the page as a bare ``<script>TEXT</script>`` and hold no ``</script`` or
    ``<!--`` (which would end or change the element elsewhere than where it was written).

    Raises
    ------
    ValueError
        Placeholder missing or repeated, or a script not in the page as one element.
    """
    if page.count(CSP_PLACEHOLDER) != 1:
        raise ValueError("the page template must emit the Content-Security-Policy element exactly once")
    for text in scripts:
        if re.search(r"</script|<!--", text, re.I) or page.count(f"<script>{text}</script>") != 1:
            raise ValueError("an admitted script must stand in the page once as <script>TEXT</script>, "
                             "without '</script' or '<!--' inside")
    csp = content_security_policy(page, scripts)
    return page.replace(CSP_PLACEHOLDER, f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">', 1)
