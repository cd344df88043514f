"""What the report kernel and the renderer agree on, and nothing else.

A report notebook publishes a small JSON summary (region, year, synthetic flag, headline
figures) as an output of this MIME type; the renderer lifts it out of the executed notebook for
the banner, the HTML title and the batch index, and removes it. Both sides import only this
module, so the renderer never imports the engine or the presentation layer.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

#: MIME type of the summary output a report notebook publishes.
SUMMARY_MIME = "application/vnd.hemei.summary+json"


def _packaged_label(key: str) -> str:
    """The ``zh`` text of one key of the packaged ``catalogue/labels.csv``.

    ``contract`` sits beside ``catalogue`` in the import layers (neither imports the other) and
    must stay light for the renderer, so it reads the one row it needs with :mod:`csv`; the
    table's rules are checked by :func:`hemei_tools.catalogue.load_labels`.
    """
    text = (resources.files("hemei_tools") / "catalogue" / "labels.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        if row["key"] == key:
            return row["zh"]
    raise KeyError(f"labels.csv: no label with key {key!r}")


#: The banner every report built from synthetic data carries (label ``banner.synthetic``).
SYNTHETIC_BANNER = _packaged_label("banner.synthetic")
