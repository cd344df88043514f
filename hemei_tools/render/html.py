"""Offline HTML of an executed report notebook: the packaged ``hemei`` nbconvert template.

The page is nbconvert's ``lab`` layout through the ``hemei`` template
(``render/templates/hemei/index.html.j2``): code and prompts hidden, images embedded as base64,
no CDN scripts, a small inline stylesheet, the synthetic-data banner, a table of contents and
the provenance block. Everything the page adds to nbconvert's output goes through nbconvert's
public seams:

- template blocks: ``alt`` text on charts (``data_png``), ``tabindex`` on the output areas
  (so a keyboard can scroll a wide table), the banner, the table of contents, the provenance;
- a :class:`HeadingPreprocessor` that gives every h1–h3 heading of the Markdown an ASCII id
  and lists the headings in ``resources`` for the template's table of contents;
- ``exclude_anchor_links``: no empty ``<a class="anchor-link">`` in headings (nbconvert writes
  them through ElementTree, which also turns every Chinese character of a heading into a
  ``&#21644;`` reference and self-closes the anchor).

Data never become markup (:mod:`hemei_tools.render.sanitize`): Markdown outputs lose their raw
HTML before they are rendered (:func:`~hemei_tools.render.sanitize.escape_markdown`, in the
heading preprocessor), every Markdown cell, Markdown output and HTML output is filtered by
:func:`~hemei_tools.render.sanitize.sanitize_html` (nbconvert's ``sanitize_html`` switch with
that function as its ``clean_html`` filter), and the page gets a Content-Security-Policy
(:func:`~hemei_tools.render.sanitize.apply_csp`) that allows no script.
"""

from __future__ import annotations

import copy
import functools
import html
import re

from hemei_tools.contract import SYNTHETIC_BANNER, label_text
from hemei_tools.render.notebooks import skip_slow_imports, template_dir
from hemei_tools.render.sanitize import apply_csp, escape_markdown, sanitize_html

TEMPLATE_NAME = "hemei"
#: Alternative text of a chart (nbconvert's default is an English placeholder).
IMAGE_ALT = label_text("render.image_alt")
#: The provenance block's heading (the template's ``body_footer``), last entry of the TOC.
PROVENANCE_HEADING = ("provenance-title", label_text("render.provenance_heading"))

_ATX_RE = re.compile(r"^ {0,3}(#{1,3})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_TAG_RE = re.compile(r"<[^>]+>")
#: Output types nbconvert shows before Markdown (display priority of the HTML exporter).
_BEFORE_MARKDOWN = ("text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png", "image/jpeg")


@functools.cache
def _heading_preprocessor_class():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    from nbconvert.preprocessors import Preprocessor

    class HeadingPreprocessor(Preprocessor):
        """Number the h1–h3 headings of a notebook's Markdown (cells and Markdown outputs, in
        page order) and put them in ``resources["hemei"]["toc"]`` as ``{"level", "id",
        "text"}``; each ATX heading line becomes an HTML heading with that ASCII id
        (``sec-<n>``: browsers do not reliably match percent-encoded Chinese ids). The heading
        text keeps its inline Markdown. Setext headings and headings inside HTML outputs are
        left alone (the reports write neither). Markdown *outputs* hold text from the data:
        their raw HTML is escaped first (:func:`~hemei_tools.render.sanitize.escape_markdown`).
        """

        def preprocess(self, nb, resources):
            toc: list[dict] = []
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    cell.source = self._number(cell.source, toc)
                for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                    data = out.get("data", {})
                    if "text/markdown" in data:
                        data["text/markdown"] = escape_markdown(data["text/markdown"])
                        if not any(k in data for k in _BEFORE_MARKDOWN):
                            data["text/markdown"] = self._number(data["text/markdown"], toc)
            resources.setdefault("hemei", {})["toc"] = toc
            return nb, resources

        @staticmethod
        def _number(source: str, toc: list[dict]) -> str:
            lines, fenced = source.splitlines(), None
            for i, line in enumerate(lines):
                fence = _FENCE_RE.match(line)
                if fence:
                    fenced = None if fenced == fence.group(1) else (fenced or fence.group(1))
                    continue
                m = None if fenced else _ATX_RE.match(line)
                if m:
                    level, ident = len(m.group(1)), f"sec-{len(toc) + 1}"
                    inner = markdown2html_mistune(m.group(2)).strip()
                    inner = inner.removeprefix("<p>").removesuffix("</p>")
                    text = html.unescape(_TAG_RE.sub("", inner)).strip()  # the template escapes it
                    toc.append({"level": level, "id": ident, "text": text})
                    # an HTML block ends at a blank line: keep the next line Markdown
                    follows = i + 1 < len(lines) and lines[i + 1].strip()
                    lines[i] = f'<h{level} id="{ident}">{inner}</h{level}>' + ("\n" if follows else "")
            return "\n".join(lines)

    return HeadingPreprocessor


@functools.cache
def _exporter_class():
    """nbconvert's ``HTMLExporter`` without its BeautifulSoup pass.

    ``HTMLExporter.from_notebook_node`` registers two filters, renders the template, then
    parses the finished page with BeautifulSoup only to add ``alt`` text to images and
    ``tabindex`` to outputs, which the ``hemei`` template does itself; on a 0.6 MB report that
    pass costs more than the rest of the export. This keeps the first two steps (nbconvert
    7.17, pinned below 8 in ``pyproject.toml``) and stops before the soup.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class OfflineHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return OfflineHTMLExporter


@functools.cache
def html_exporter():
    """The exporter for report pages (built once per process; a batch worker builds it while it
    warms up)."""
    skip_slow_imports()
    exporter = _exporter_class()(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        exclude_anchor_links=True,
        language_code="zh",
        # every Markdown cell and output and every HTML output through the report's allowlist
        sanitize_html=True,
        filters={"clean_html": sanitize_html},
    )
    exporter.register_preprocessor(_heading_preprocessor_class()(), enabled=True)
    return exporter


def export_html(nb, summary: dict, provenance: dict, workbook: str | None = None) -> str:
    """HTML page of an executed notebook with the ``hemei`` template (see module docstring);
    ``nb`` is not changed. ``workbook``: file name of the report's workbook beside the page
    (:mod:`hemei_tools.render.workbook`), linked at the top of the page."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = summary.get("title") or provenance.get("notebook", "report")
    resources_ = {
        "hemei": {
            "synthetic": bool(summary.get("synthetic", False)),
            "banner": SYNTHETIC_BANNER,
            "provenance": provenance,
            "image_alt": IMAGE_ALT,
            "provenance_heading": PROVENANCE_HEADING,
            "workbook": {"href": workbook, "text": label_text("download.workbook")} if workbook else None,
        },
    }
    page, _ = html_exporter().from_notebook_node(nb, resources=resources_)
    return apply_csp(page)
