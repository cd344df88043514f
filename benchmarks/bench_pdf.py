"""Time printing a batch run's reports to PDF (``hemei batch --pdf``), per report.

Run: ``python benchmarks/bench_pdf.py RUN_FOLDER [--repeat 3]`` on a run folder written by
``hemei batch`` (``make reports`` writes ``outputs/demo``). The run folder is not touched: its
pages are printed into a temporary folder. Prints, in seconds (wall; the browser is another
process, so CPU seconds of this one would miss the work):

- the browser's start (once per run) and its close;
- each report's print (load, layout, ``Page.printToPDF``, mending the text layer), best of
  ``--repeat``, with its page count and size;
- the merge of the index and every report into the combined PDF (pypdf);
- the total per report: print + merge share (start and close amortised over the run).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from hemei_tools.render.pdf import Chromium, merge_pdfs, radical_map


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder written by hemei batch")
    parser.add_argument("--repeat", type=int, default=3, help="prints per report; the best is kept")
    args = parser.parse_args(argv)
    manifest = json.loads((args.run / "manifest.json").read_text(encoding="utf-8"))
    rows = [r for r in manifest["reports"] if r.get("status") == "ok" and r.get("html")]
    if not rows:
        print("no report in the run folder", file=sys.stderr)
        return 1
    from pypdf import PdfReader

    t = time.perf_counter()
    radical_map()
    print(f"text-layer table load: {time.perf_counter() - t:.2f} s (once per process)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        browser = Chromium()
        start = time.perf_counter() - t
        print(f"browser start: {start:.2f} s ({browser.version})")
        best: dict[str, float] = {}
        try:
            for row in rows:
                page, pdf = args.run / row["html"], out / f"{row['stem']}.pdf"
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    browser.print_pdf(page, pdf)
                    times.append(time.perf_counter() - t)
                best[row["stem"]] = min(times)
                n = len(PdfReader(str(pdf)).pages)
                print(f"  {row['stem']:>18}: {best[row['stem']]:5.2f} s  ({n} pages, "
                      f"{pdf.stat().st_size / 1e6:.1f} MB; html {page.stat().st_size / 1e6:.2f} MB; "
                      f"all runs {', '.join(f'{x:.2f}' for x in times)})")
            index_pdf = browser.print_pdf(args.run / "index.html", out / "index.pdf")
        finally:
            t = time.perf_counter()
            browser.close()
            close = time.perf_counter() - t
        print(f"browser close: {close:.2f} s")
        parts = [(index_pdf, "index")] + [(out / f"{r['stem']}.pdf", r["stem"]) for r in rows]
        t = time.perf_counter()
        combined = merge_pdfs(parts, out / "reports.pdf")
        merge = time.perf_counter() - t
        print(f"merge {len(parts)} PDFs: {merge:.2f} s ({combined.stat().st_size / 1e6:.1f} MB)")
    n = len(rows)
    per_print = sum(best.values()) / n
    per_total = per_print + merge / n + (start + close) / n
    print(f"per report: print {per_print:.2f} s; with the merge and the browser's start/close "
          f"shared over {n} reports: {per_total:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
