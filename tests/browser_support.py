"""What the browser tests share: Debian's Chromium driven by Playwright (its own browser
download cannot work here; the ``browser`` fixture is in ``conftest.py``), and a report site
built with its own data cache."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def build_site(data, out, cache, **kwargs):
    """``run_batch(data, out, workers=2, progress=False, **kwargs)`` with ``HEMEI_CACHE_DIR`` set to
    ``cache`` for the run (restored after); fails the test unless every report is built."""
    from hemei_tools.batch import run_batch

    old = os.environ.get("HEMEI_CACHE_DIR")
    os.environ["HEMEI_CACHE_DIR"] = str(cache)
    try:
        result = run_batch(data, out, **{"workers": 2, "progress": False, **kwargs})
    finally:
        if old is None:
            os.environ.pop("HEMEI_CACHE_DIR", None)
        else:
            os.environ["HEMEI_CACHE_DIR"] = old
    assert result.ok, [r["error"] for r in result.reports if r["status"] != "ok"]
    return result
