"""Offline HTML of an executed report notebook: the packaged ``hemei`` nbconvert template.

The page is nbconvert's ``lab`` layout through the ``hemei`` template
(``render/templates/hemei/index.html.j2``): code and prompts hidden, images embedded as base64,
no CDN scripts, a small inline stylesheet, the synthetic-data banner, a sticky top bar (the
breadcrumb of a batch page and the table of contents, collapsed in a ``<details>``: no script
needed), the links to the run's sibling and subordinate reports, and the provenance block. Everything the page adds to nbconvert's output goes through nbconvert's
public seams:

- template blocks: ``alt`` text on charts (``data_png``), ``tabindex`` on the output areas
  (so a keyboard can scroll a wide table), the banner, the table of contents, the provenance,
  the screen, phone and A4 print stylesheet (page numbers and the title in the page margins,
  landscape pages for wide tables);
- a :class:`HeadingPreprocessor` that gives every h1–h3 heading of the Markdown an ASCII id
  and lists the headings in ``resources`` for the template's table of contents, and marks the
  outputs whose table has :data:`WIDE_COLUMNS` columns or more and :data:`WIDE_ROWS` rows (printed on a landscape page)
  and the source table (its links printed in full);
- ``exclude_anchor_links``: no empty ``<a class="anchor-link">`` in headings (nbconvert writes
  them through ElementTree, which also turns every Chinese character of a heading into a
  ``&#21644;`` reference and self-closes the anchor).

Data never become markup (:mod:`hemei_tools.render.sanitize`): Markdown outputs lose their raw
HTML before they are rendered (:func:`~hemei_tools.render.sanitize.escape_markdown`, in the
heading preprocessor), every Markdown cell, Markdown output and HTML output is filtered by
:func:`~hemei_tools.render.sanitize.sanitize_html` (nbconvert's ``sanitize_html`` switch with
that function as its ``clean_html`` filter), and the page gets a Content-Security-Policy
(:func:`~hemei_tools.render.sanitize.apply_csp`) that allows no script.

Every word the template adds comes from ``catalogue/labels.csv`` (``hm.t(key)`` and
``hm.tf(key, **values)`` in the template). The page's ``<title>`` is its first h1 heading (what
the reader sees first), else the summary's title. :func:`render_notebook` makes the same page
from a notebook executed with plain papermill (``hemei render``).
"""

from __future__ import annotations

import copy
import functools
import html
import os
import re
from pathlib import Path

from hemei_tools.contract import SYNTHETIC_BANNER, label_text
from hemei_tools.render.notebooks import skip_slow_imports, template_dir
from hemei_tools.render.provenance import beijing_time
from hemei_tools.render.sanitize import apply_csp, escape_markdown, sanitize_html

TEMPLATE_NAME = "hemei"
#: Alternative text of a chart (nbconvert's default is an English placeholder).
IMAGE_ALT = label_text("render.image_alt")
#: The provenance block's heading (the template's ``body_footer``), last entry of the TOC.
PROVENANCE_HEADING = ("provenance-title", label_text("render.provenance_heading"))
#: A table with this many columns or more, and at least :data:`WIDE_ROWS` rows, is printed on a
#: landscape A4 page of its own.
WIDE_COLUMNS = 10
#: Rows (body rows) a wide table needs for a landscape page: a shorter one wraps to the portrait
#: page's width (a page of its own for a few rows would stay mostly blank).
WIDE_ROWS = 6

_ATX_RE = re.compile(r"^ {0,3}(#{1,3})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_TAG_RE = re.compile(r"<[^>]+>")
_ROW_RE = re.compile(r"<tr\b(.*?)</tr>", re.S | re.I)
_CELL_RE = re.compile(r"<t[hd]\b", re.I)
_HEADER_CELL_RE = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S | re.I)
_EXTERNAL_LINK_RE = re.compile(r"<a\b[^>]*href=[\"']https?://", re.I)
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
                    if "text/html" in data:
                        mark = table_marks(data["text/html"])
                        if mark:
                            out.setdefault("metadata", {})["hemei"] = mark
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


def table_marks(fragment: str | list) -> dict:
    """How the print stylesheet treats an HTML output: ``{"wide": True}`` when a row of its
    table has :data:`WIDE_COLUMNS` cells or more and it has :data:`WIDE_ROWS` rows of data
    cells or more, ``{"sources": True}`` when a header cell
    reads the 来源 header (label ``header.source``) and the table links out (its links are
    printed in full). Empty for anything else."""
    text = "".join(fragment) if isinstance(fragment, list) else str(fragment)
    if "<table" not in text.lower():
        return {}
    mark = {}
    rows = _ROW_RE.findall(text)
    wide = max((len(_CELL_RE.findall(row)) for row in rows), default=0) >= WIDE_COLUMNS
    if wide and sum("<td" in row.lower() for row in rows) >= WIDE_ROWS:
        mark["wide"] = True
    source = label_text("header.source")
    headers = {_TAG_RE.sub("", h).strip() for h in _HEADER_CELL_RE.findall(text)}
    if source in headers and _EXTERNAL_LINK_RE.search(text):
        mark["sources"] = True
    return mark


def _label_format(key: str, **values) -> str:
    return label_text(key).format(**values)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe inside a ``<style>`` element (quotes, backslashes,
    ``<``, ``>``, ``&`` and control characters as CSS escapes)."""
    out = []
    for ch in str(text):
        out.append(f"\\{ord(ch):x} " if ch in '\\"<>&\'' or ord(ch) < 32 else ch)
    return '"' + "".join(out) + '"'


def css_content(template: str, **counters: str) -> str:
    """A label template as a CSS ``content`` value: text parts become strings and each
    ``{placeholder}`` its counter, e.g. ``第{page}页`` with ``page="counter(page)"`` gives
    ``"第" counter(page) "页"``."""
    parts = re.split(r"\{(\w+)\}", template)
    pieces = [css_string(p) if i % 2 == 0 else counters[p] for i, p in enumerate(parts) if p or i % 2]
    return " ".join(pieces) or '""'


def page_title(nb) -> str | None:
    """The text of the notebook's first h1 (``# ...`` in a Markdown cell or a Markdown output),
    inline Markdown removed; None when it has none."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    for cell in nb.cells:
        sources = [cell.source] if cell.cell_type == "markdown" else [
            "".join(o.get("data", {}).get("text/markdown", "")) for o in cell.get("outputs", [])
            if cell.cell_type == "code"]
        for source in sources:
            fenced = None
            for line in str(source).splitlines():
                fence = _FENCE_RE.match(line)
                if fence:
                    fenced = None if fenced == fence.group(1) else (fenced or fence.group(1))
                    continue
                m = None if fenced else _ATX_RE.match(line)
                if m and len(m.group(1)) == 1:
                    inner = markdown2html_mistune(m.group(2)).strip()
                    return html.unescape(_TAG_RE.sub("", inner)).strip() or None
    return None


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
        # the notebook is validated once, after the preprocessors (not once after each of them)
        optimistic_validation=True,
        filters={"clean_html": sanitize_html},
    )
    exporter.register_preprocessor(_heading_preprocessor_class()(), enabled=True)
    return exporter


def _parameter_rows(parameters: dict) -> list[dict]:
    """The provenance's parameters as ``{"label", "name", "value"}``: the Chinese name
    (label ``param.<name>``, the name itself when it has none), the name and the value."""
    labels = {}
    for name in parameters:
        try:
            labels[name] = label_text(f"param.{name}")
        except KeyError:
            labels[name] = name
    return [{"label": labels[k], "name": k, "value": "" if v is None else str(v)} for k, v in parameters.items()]


def export_html(nb, summary: dict, provenance: dict, workbook: str | None = None, nav: dict | None = None) -> str:
    """HTML page of an executed notebook with the ``hemei`` template (see module docstring);
    ``nb`` is not changed. ``workbook``: file name of the report's workbook beside the page
    (:mod:`hemei_tools.render.workbook`), linked at the top of the page. ``nav``: the page's
    place in a batch (:func:`hemei_tools.batch.plan.job_navigation`: ``crumbs``, ``index``,
    ``siblings``, ``children``, ``level``), shown as the breadcrumb in the sticky top bar and
    the related-reports line under it; None (a single report) shows neither, only the
    collapsed table of contents."""
    title = page_title(nb) or summary.get("title") or provenance.get("notebook", "report")
    # nbconvert deep-copies the notebook before it changes anything: a new top level and
    # metadata (with the title) are enough to leave ``nb`` as it was
    nb = copy.copy(nb)
    nb.metadata = copy.copy(nb.metadata)
    nb.metadata["title"] = title
    synthetic = bool(summary.get("synthetic", False))
    resources_ = {
        "hemei": {
            "synthetic": synthetic,
            "banner": SYNTHETIC_BANNER,
            "provenance": provenance,
            "parameters": _parameter_rows(provenance.get("parameters") or {}),
            "started": beijing_time(provenance.get("started")),
            "image_alt": IMAGE_ALT,
            "provenance_heading": PROVENANCE_HEADING,
            "workbook": {"href": workbook, "text": label_text("download.workbook")} if workbook else None,
            "nav": nav or None,
            "t": label_text,
            "tf": _label_format,
            "print": {
                "title": css_string(title),
                "mark": css_string(label_text("mark.synthetic") if synthetic else ""),
                "page_number": css_content(label_text("render.page_number"),
                                           page="counter(page)", pages="counter(pages)"),
            },
        },
    }
    page, _ = html_exporter().from_notebook_node(nb, resources=resources_)
    return apply_csp(page)


def render_notebook(notebook: str | os.PathLike, html_out: str | os.PathLike | None = None) -> Path:
    """The offline report page of a notebook executed elsewhere (plain ``papermill``), beside it
    or at ``html_out``: the same exporter, template, sanitizer and policy as ``hemei report``.

    The summary the notebook published (title, synthetic flag) is lifted out as in a batch; the
    provenance comes from papermill's record in the notebook (parameters, input notebook, start
    time, duration) and the data folder it names (``data_dir``, else ``HEMEI_DATA_DIR`` or the
    demo data, as the notebook resolved it): its files' SHA-256 when it can still be read. No
    path of this machine is written (:class:`~hemei_tools.render.provenance.PortablePaths`).

    Raises
    ------
    ReportError
        The file is not a notebook, was not executed (no outputs), or a cell failed.
    """
    from hemei_tools.errors import HemeiError, ReportError
    from hemei_tools.inputs.fingerprint import hash_inputs
    from hemei_tools.paths import resolve_data_dir, write_atomic
    from hemei_tools.render.notebooks import extract_summary
    from hemei_tools.render.provenance import PortablePaths, collect_provenance, git_commit

    skip_slow_imports()
    import nbformat

    source = Path(notebook)
    target = Path(html_out) if html_out else source.with_suffix(".html")
    try:
        nb = nbformat.read(source, as_version=4)
    except (OSError, ValueError) as exc:
        raise ReportError(_label_format("error.render.not_notebook", path=source.name, detail=exc)) from exc
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not any(c.get("outputs") for c in code):
        raise ReportError(_label_format("error.render.not_executed", path=source.name))
    pm = nb.metadata.get("papermill", {})
    failed = [c for c in code if c.get("metadata", {}).get("papermill", {}).get("exception")
              or any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    if failed or pm.get("exception"):
        raise ReportError(_label_format("error.render.failed_cell", path=source.name))
    summary = extract_summary(nb)
    from hemei_tools.render.workbook import collect_tables, workbook_name, write_report_workbook

    workbook = write_report_workbook(collect_tables(nb), target.parent / workbook_name(target.stem))
    parameters = dict(pm.get("parameters") or {})
    try:
        data = resolve_data_dir(parameters.get("data_dir", ""))
        inputs = hash_inputs(data)
    except (HemeiError, OSError):
        data, inputs = None, {}
    if "synthetic" not in summary and data is not None:  # no summary published: ask the data
        import json

        try:
            meta = json.loads((data / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        summary["synthetic"] = bool(isinstance(meta, dict) and meta.get("synthetic", False))
    template = Path(str(pm.get("input_path") or source.name))
    try:
        from hemei_tools.inputs.fingerprint import sha256_file

        template_sha = sha256_file(template) if template.is_file() else "—"
    except OSError:
        template_sha = "—"
    portable = PortablePaths(data, target.parent.absolute())
    provenance = collect_provenance(portable.obj(parameters), inputs, template.name, template_sha,
                                    str(pm.get("start_time") or ""), float(pm.get("duration") or 0.0),
                                    git_commit())
    page = portable.text(export_html(nb, summary, provenance, workbook=workbook.name if workbook else None))
    write_atomic(target, page)
    return target
