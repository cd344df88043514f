"""What the report kernel and the renderer agree on, and nothing else.

A report notebook publishes a small JSON summary (region, year, synthetic flag, headline
figures) as an output of this MIME type; the renderer lifts it out of the executed notebook for
the banner, the HTML title and the batch index, and removes it. Both sides import only this
module, so the renderer never imports the engine or the presentation layer.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

#: MIME type of the summary output a report notebook publishes.
SUMMARY_MIME = "application/vnd.hemei.summary+json"


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
