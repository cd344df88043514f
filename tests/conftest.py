"""Shared fixtures: headless matplotlib, and the demo data set generated once per session."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """The Tongling demo data set (seed 2023), generated into a temporary folder.

    Tests never depend on generated files in the repository: each session builds its own.
    """
    from hemei_tools.demo.generate import write_demo

    out = tmp_path_factory.mktemp("demo")
    write_demo(out, seed=2023)
    return out


@pytest.fixture(scope="module")
def isolated_cache(tmp_path_factory):
    """Point the validated-data cache (``HEMEI_CACHE_DIR``) at a temporary folder for a module,
    so report runs never write into the user's home; inherited by kernels the tests start."""
    old = os.environ.get("HEMEI_CACHE_DIR")
    os.environ["HEMEI_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("HEMEI_CACHE_DIR", None)
    else:
        os.environ["HEMEI_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def province_dir(tmp_path_factory, isolated_cache):
    """The three-city test province (``tests/province_data.py``), written once per module."""
    from province_data import write_province

    return write_province(tmp_path_factory.mktemp("province"))


@pytest.fixture(scope="module")
def browser():
    """A headless Debian Chromium driven by Playwright, per test module (skipped without Playwright)."""
    from browser_support import ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()
