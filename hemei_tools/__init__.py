"""hemei-tools: 和美乡村 analysis toolkit.

Loaders and validation for village ledgers, the 和美指数 composite index and its gaps to the
benchmarks, charts that render Chinese, and offline reports. The names below are the public
face of the package; each is imported on first use, so ``import hemei_tools`` stays cheap::

    import hemei_tools as ht
    ds = ht.load_dataset("data/demo")                  # files -> validated DataSet
    ctx = ht.load_region_context("data/demo", "340722")
    a = ht.analyse_region(ctx)                         # every engine result of one region
    ht.run_batch("data/demo", "outputs/demo")          # every report of a data set

The package is laid out as its pipeline: ``inputs`` (files -> DataSet) -> ``engine`` (frozen
results) -> ``present`` (sections, charts, words) and ``render`` (notebook -> offline HTML) ->
``batch`` (many reports) -> ``cli``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> module that defines it.
_FACADE = {
    "load_dataset": "hemei_tools.inputs.dataset",
    "read_dataset": "hemei_tools.inputs.dataset",
    "load_catalogue": "hemei_tools.catalogue",
    "IndexSpec": "hemei_tools.engine.composite",
    "build_index": "hemei_tools.engine.composite",
    "load_region_context": "hemei_tools.engine.region",
    "load_report_context": "hemei_tools.engine.region",
    "analyse_region": "hemei_tools.engine.region",
    "analyse_selection": "hemei_tools.engine.region",
    "gap_frame": "hemei_tools.engine.region",
    "render_report": "hemei_tools.render.execute",
    "run_batch": "hemei_tools.batch.run",
}

__all__ = ["__version__", *_FACADE]


def __getattr__(name: str):
    if name in _FACADE:
        value = getattr(importlib.import_module(_FACADE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hemei_tools' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
