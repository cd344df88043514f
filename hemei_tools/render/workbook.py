"""The workbook beside a report: every table of the page (and the data of every chart) in one
``.xlsx``, one sheet each, in page order.

A report notebook publishes each table under :data:`~hemei_tools.contract.TABLE_MIME` next to
its CSV download link (:mod:`hemei_tools.present.downloads`); :func:`collect_tables` lifts
those payloads out of the executed notebook (the page and the saved ``.ipynb`` keep only the
links) and :func:`write_report_workbook` writes them with
:func:`hemei_tools.exports.write_workbook`: sheet names such as ``表3 指标差距与趋势`` (Chinese,
at most 31 characters, unique), numbers as numbers, units in the headers, text cells inert,
written atomically so a failed or interrupted build never leaves half a workbook. The renderer
imports neither the engine nor the presentation layer: the tables travel as JSON.
"""

from __future__ import annotations

import os
from pathlib import Path

from hemei_tools.contract import TABLE_MIME
from hemei_tools.render.notebooks import pop_payloads

__all__ = ["collect_tables", "workbook_name", "write_report_workbook"]


def collect_tables(nb) -> list[dict]:
    """Remove the table payloads from the notebook's outputs and return them in page order.

    An output that held only a payload is dropped; one that also shows something (the link's
    ``text/html``) keeps the rest. A payload without ``sheet``, ``columns`` and ``rows`` is
    dropped and not returned.
    """
    return [dict(t) for t in pop_payloads(nb, TABLE_MIME, keep_rest=True)
            if isinstance(t, dict) and {"sheet", "columns", "rows"} <= set(t)]


def workbook_name(stem: str) -> str:
    """File name of a report's workbook: ``<stem>.xlsx`` (``340722.xlsx``)."""
    return f"{stem}.xlsx"


def write_report_workbook(tables: list[dict], path: str | os.PathLike) -> Path | None:
    """Write the collected tables as one workbook at ``path``; None (nothing written) when
    there are none."""
    from hemei_tools.exports import write_workbook

    if not tables:
        return None
    return write_workbook([(t["sheet"], t["columns"], t["rows"]) for t in tables], path)
