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
    from hemei_tools.demo import write_demo

    out = tmp_path_factory.mktemp("demo")
    write_demo(out, seed=2023)
    return out
