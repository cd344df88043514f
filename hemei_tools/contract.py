"""What the report kernel and the renderer agree on, and nothing else.

A report notebook publishes a small JSON summary (region, year, synthetic flag, headline
figures) as an output of this MIME type; the renderer lifts it out of the executed notebook for
the banner, the HTML title and the batch index, and removes it. Both sides import only this
module, so the renderer never imports the engine or the presentation layer; the names of the
modules a report kernel should import ahead of time are declared here too.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

#: What a report's Markdown may not start from text: raw HTML (``<``), links and images
#: (``[``, ``]``) and bare-URL autolinks (``://``), each written as a character reference that
#: Markdown shows as the same character (:func:`inert_markdown`).
_INERT = (("<", "&lt;"), ("[", "&#91;"), ("]", "&#93;"), ("://", ":&#47;/"))


def inert_markdown(text: str) -> str:
    """Markdown whose text cannot become markup beyond the report's own emphasis and lists: no
    raw HTML, no link or image, no autolinked address (idempotent; reads the same).

    The report's wording uses none of these characters (its Markdown is bullets, numbers and
    ``**bold**``); names from the data may hold any of them (``[点我](https://…)``, ``<b>``),
    and here they stay text. Used by the sections (``present.section_parts._md``) and again by
    the exporter on every Markdown output (``render.sanitize.escape_markdown``).

    >>> inert_markdown("[点我](https://evil.example) <b>")
    '&#91;点我&#93;(https:&#47;/evil.example) &lt;b>'
    """
    for char, ref in _INERT:
        text = text.replace(char, ref)
    return text


#: MIME type of the summary output a report notebook publishes.
SUMMARY_MIME = "application/vnd.hemei.summary+json"

#: MIME type under which a report notebook publishes each of its tables (and the data of each
#: chart) for the workbook written beside the page: ``{"sheet", "columns", "rows"}`` (JSON
#: numbers, strings and nulls), in page order, beside the ``text/html`` of the table's CSV
#: download link. The renderer lifts them out (:mod:`hemei_tools.render.workbook`).
TABLE_MIME = "application/vnd.hemei.table+json"

#: Modules every report imports: a report kernel imports them at start-up, before it reports
#: ready, so the first cell does not pay for them. The renderer only passes the names on.
KERNEL_PREIMPORTS = (
    "numpy", "pandas", "matplotlib.pyplot", "hemei_tools.catalogue", "hemei_tools.present.style",
    "hemei_tools.present.sections", "hemei_tools.present.notebook",
)

#: Modules the report sections import lazily: a kernel fork server imports them once, before it
#: forks any kernel, so every forked kernel inherits them.
KERNEL_WARMUP_IMPORTS = (
    "seaborn", "hemei_tools.inputs.dataset", "hemei_tools.inputs.divisions",
    "hemei_tools.engine.composite", "hemei_tools.engine.gaps", "hemei_tools.engine.imbalance",
    "hemei_tools.engine.progress", "hemei_tools.engine.rollup", "hemei_tools.engine.selection",
    "hemei_tools.engine.sensitivity", "hemei_tools.engine.trends", "hemei_tools.engine.region",
    "hemei_tools.present.narrative", "hemei_tools.present.plots",
)


#: Code a kernel fork server runs once, after the imports above: the catalogue and division list
#: (cached per process) and a first PNG with CJK text (font loading); rcParams are restored.
KERNEL_WARMUP_CODE = """
import io
import matplotlib
import hemei_tools.catalogue, hemei_tools.inputs.divisions, hemei_tools.present.style
hemei_tools.catalogue.load_catalogue()
hemei_tools.inputs.divisions.load_villages(None)
_saved = dict(matplotlib.rcParams)
hemei_tools.present.style.set_theme()
_fig, _ax = matplotlib.pyplot.subplots(figsize=(2, 1))
_ax.set_title("\\u548c\\u7f8e\\u4e61\\u6751")  # CJK glyphs: the first PNG loads the CJK font
_ax.plot([0, 1])
_fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
matplotlib.pyplot.close(_fig)
matplotlib.rcParams.update(_saved)
"""


@functools.cache
def _packaged_labels() -> dict[str, str]:
    text = (resources.files("hemei_tools") / "catalogue" / "labels.csv").read_text(encoding="utf-8")
    return {row["key"]: row["zh"] for row in csv.DictReader(io.StringIO(text))}


def label_text(key: str) -> str:
    """The ``zh`` text of one key of the packaged ``catalogue/labels.csv``.

    For the renderer and the batch index, which must stay light (no pandas on the no-op path of
    ``hemei batch``): ``contract`` sits beside ``catalogue`` in the import layers and reads the
    table with :mod:`csv`; the table's rules are checked by
    :func:`hemei_tools.catalogue.load_labels`.
    """
    try:
        return _packaged_labels()[key]
    except KeyError:
        raise KeyError(f"labels.csv: no label with key {key!r}") from None


#: The banner every report built from synthetic data carries (label ``banner.synthetic``).
SYNTHETIC_BANNER = label_text("banner.synthetic")
