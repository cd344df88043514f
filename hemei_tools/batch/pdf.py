"""PDFs of a batch run (``hemei batch --pdf``): one beside each report's page, and the whole run in
one PDF in the order of the index, for a meeting.

:func:`write_run_pdfs` reads the run folder's manifest, prints every report built (``status``
ok) whose PDF is missing or older than its page with one Chromium
(:func:`hemei_tools.render.pdf.print_pdfs`), records each PDF in the manifest and the index
(a PDF link per row, the combined PDF above the table), then prints the index and joins it
with every report's PDF into :data:`COMBINED`: the index first, then the reports in its order,
each a bookmark named by the page's title holding the report's own headings. The combined PDF
is joined again only when a report was printed now, the list of reports changed or a part is
newer than it. It holds the run folder's lock (:class:`~hemei_tools.batch.folder.RunLock`)
while it writes.
"""

from __future__ import annotations

import contextlib
import html
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hemei_tools.batch.folder import RunLock, output_error
from hemei_tools.batch.index import INDEX, render_index
from hemei_tools.batch.plan import MANIFEST, read_json
from hemei_tools.errors import BatchError
from hemei_tools.paths import write_atomic, write_json_atomic
from hemei_tools.render.pdf import Chromium, merge_pdfs
from hemei_tools.render.provenance import now_utc

__all__ = ["COMBINED", "PdfRun", "write_run_pdfs"]

#: File name of the run's combined PDF (the index, then every report in index order).
COMBINED = "reports.pdf"
_TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S | re.I)


@dataclass
class PdfRun:
    """What :func:`write_run_pdfs` did.

    Attributes
    ----------
    printed, kept
        Stems of the reports printed now, and of those whose PDF was current.
    seconds
        Seconds each report took to print (the browser's start not included), by stem.
    combined
        Path of the combined PDF (None when no report was built).
    total
        Wall time of the whole step (s), the browser's start and the merge included.
    """

    printed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    combined: Path | None = None
    total: float = 0.0


def _title(page: Path) -> str:
    """The ``<title>`` of an HTML page (its file name when it has none)."""
    try:
        head = page.read_text(encoding="utf-8", errors="replace")[:20000]
    except OSError:
        return page.stem
    m = _TITLE_RE.search(head)
    return html.unescape(m.group(1)).strip() if m else page.stem


def _current(html_file: Path, pdf: Path) -> bool:
    try:
        return pdf.stat().st_mtime >= html_file.stat().st_mtime
    except OSError:
        return False


def write_run_pdfs(out_dir: str | Path, *, combined: bool = True, executable: str | None = None,
                   on_done=None) -> PdfRun:
    """Print the run's reports to PDF beside their pages and join them into :data:`COMBINED`.

    Parameters
    ----------
    out_dir
        A run folder written by :func:`hemei_tools.batch.run_batch` (with ``manifest.json``).
    combined
        Also write the combined PDF.
    executable
        The Chromium to print with (default :func:`hemei_tools.render.pdf.find_chromium`).
    on_done
        Called as ``on_done(stem, seconds)`` after each report is printed.

    Raises
    ------
    BatchError
        The folder holds no batch manifest.
    PdfError
        No Chromium, or it failed (the message says why).
    OutputError
        The run folder cannot be written.
    BatchLockedError
        A batch is writing the folder.
    """
    t0 = time.perf_counter()
    out = Path(out_dir).resolve()
    manifest = read_json(out / MANIFEST)
    if not manifest.get("reports"):
        raise BatchError(f"no batch manifest in {out}: run hemei batch first")
    lock = RunLock(out)
    if not lock.acquire(started=now_utc()):
        raise output_error(lock.error or PermissionError(13, "Permission denied", str(out)), out)
    run = PdfRun()
    try:
        rows = [r for r in manifest["reports"] if r.get("status") == "ok" and r.get("html")
                and (out / r["html"]).is_file()]
        pages = {r["stem"]: (out / r["html"], out / f"{r['stem']}.pdf") for r in rows}
        todo = [stem for stem, (page, pdf) in pages.items() if not _current(page, pdf)]
        run.kept = [stem for stem in pages if stem not in todo]
        parts = [r["stem"] for r in rows]
        merge = combined and bool(rows) and (bool(todo) or manifest.get("combined_parts") != parts
                                             or not all(_current(pdf, out / COMBINED) for _, pdf in pages.values()))
        with Chromium(executable) if (todo or merge) else contextlib.nullcontext() as browser:
            for stem in todo:
                started = time.perf_counter()
                browser.print_pdf(*pages[stem])
                run.seconds[stem] = round(time.perf_counter() - started, 2)
                run.printed.append(stem)
                if on_done is not None:
                    on_done(stem, run.seconds[stem])
            for r in manifest["reports"]:
                r.pop("pdf", None)
                if r["stem"] in pages:
                    r["pdf"] = pages[r["stem"]][1].name
            kept = manifest.get("combined_pdf") if not merge and combined and rows else None
            manifest.pop("combined_pdf", None)
            manifest.pop("combined_parts", None)
            if merge or kept:
                manifest["combined_pdf"], manifest["combined_parts"] = COMBINED, parts
                run.combined = out / COMBINED
            write_json_atomic(out / MANIFEST, manifest)
            write_atomic(out / INDEX, render_index(manifest))
            if merge:
                with tempfile.TemporaryDirectory(prefix="hemei-index-") as tmp:
                    index_pdf = browser.print_pdf(out / INDEX, Path(tmp) / "index.pdf")
                    joined = [(index_pdf, _title(out / INDEX))]
                    joined += [(pages[r["stem"]][1], _title(pages[r["stem"]][0])) for r in rows]
                    run.combined = merge_pdfs(joined, out / COMBINED)
    except OSError as exc:
        raise output_error(exc, out) from exc
    finally:
        lock.release()
    run.total = round(time.perf_counter() - t0, 2)
    return run
