"""Fixtures of the inputs tests: an isolated store, a small valid data folder."""

from __future__ import annotations

import pytest
from small_data import CHAITANG, NONGLIN, OBS_HEAD, VILLAGES


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    """An empty store for one test (``HEMEI_CACHE_DIR``), with the in-process memo cleared."""
    from hemei_tools.inputs import store

    monkeypatch.setenv("HEMEI_CACHE_DIR", str(tmp_path / "cache"))
    store._load.cache_clear()
    yield tmp_path / "cache"
    store._load.cache_clear()


@pytest.fixture
def small_folder(tmp_path):
    """A valid data folder: two villages (villages.csv), observations in ``observations.txt``."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    (folder / "observations.txt").write_text(
        OBS_HEAD + f"{NONGLIN},2023,toilet_rate,80\n{CHAITANG},2023,toilet_rate,60\n", encoding="utf-8")
    return folder
