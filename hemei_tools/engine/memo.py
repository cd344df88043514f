"""Engine results shared between the reports of a batch: computed by the first report that needs
them, read from the store by the others.

A county report rolls up, scores and ranks its whole city (the county is compared with the
city and ranked among its counties), so the reports of one city's counties repeat the same
city-wide work: the unit values, the index, gaps, trends and the Monte Carlo draws of the
village ranking (:func:`hemei_tools.engine.region.analyse_region`). Each report kernel is a
fresh process, so an in-memory cache cannot carry that work from one report to the next; the
on-disk store (:mod:`hemei_tools.inputs.store`, kind ``analyses``) does.

**When.** Sharing is on only where it is asked for: ``hemei batch`` switches it on in its
worker processes (and so in their kernels) by setting :data:`SHARE_ENV` to ``1``, unless the
variable is set already (``HEMEI_SHARE_ANALYSES=0 hemei batch …`` computes every report on its
own). A researcher's notebook, ``hemei report`` and the tests compute the city's results in the
process. (The province scores behind a province rank,
:func:`hemei_tools.engine.summary.province_scores`, are stored whatever the switch: every report
of a province needs the same frame, a notebook too; they share :func:`input_key`.)

**The key** (:func:`shared`) holds everything a shared result depends on, so a stale result is
never served:

- the data set's input fingerprint (:func:`hemei_tools.inputs.store.dataset_inputs`: only a data
  set loaded through the store has one; any other data set is computed in the process);
- the catalogue's content (:attr:`hemei_tools.catalogue.Catalogue.fingerprint`);
- the package's files (:func:`hemei_tools.inputs.fingerprint.package_hash`), so an edited engine
  never reads results of the old one, and numpy's version;
- the arguments of the computation (level, scope, year, runs, seed) as text, and the spec by
  :func:`spec_text` (an :class:`~hemei_tools.engine.composite.IndexSpec` whose methods are the
  package's own; any other spec is computed in the process).

The store's own key adds the versions of hemei-tools, pandas and pyarrow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

SHARE_ENV = "HEMEI_SHARE_ANALYSES"
"""Environment variable: ``1`` shares city-wide engine results between report processes."""
STORE_KIND = "analyses"
"""Kind of the store entries of shared results (:func:`hemei_tools.inputs.store.stored`)."""

__all__ = ["SHARE_ENV", "STORE_KIND", "input_key", "shared", "sharing_enabled", "spec_text"]


def sharing_enabled() -> bool:
    """True when :data:`SHARE_ENV` is ``1`` (set by ``hemei batch`` in its workers)."""
    return os.environ.get(SHARE_ENV, "") == "1"


def spec_text(spec) -> str | None:
    """The spec as key text: its settings (``IndexSpec.to_dict``, JSON) with the names of the
    normaliser, aggregator and imputer functions behind them; ``None`` when the spec is not
    exactly an :class:`~hemei_tools.engine.composite.IndexSpec` or a method comes from outside
    the package (code the key cannot see)."""
    from hemei_tools.engine.aggregate import get_aggregator
    from hemei_tools.engine.composite import IndexSpec
    from hemei_tools.engine.normalise import get_normaliser
    from hemei_tools.engine.treat import get_imputer

    if type(spec) is not IndexSpec:
        return None
    try:
        methods = [get_normaliser(spec.normaliser), get_aggregator(spec.aggregator), get_imputer(spec.imputation)]
        names = [f"{f.__module__}.{f.__qualname__}" for f in methods]
        if not all(n.startswith("hemei_tools.") for n in names):
            return None
        return json.dumps({"spec": spec.to_dict(), "methods": names}, sort_keys=True, allow_nan=True)
    except Exception:  # noqa: BLE001 - anything unnamed: compute instead
        return None


def shared(name: str, dataset, catalogue, spec, arguments: dict[str, object], compute: Callable[[], object]) -> object:
    """``compute()``, or the result an earlier process of the batch stored for the same inputs.

    Parameters
    ----------
    name
        What is computed (``"region-scope"``); part of the key.
    dataset, catalogue, spec
        The data set, catalogue and :class:`~hemei_tools.engine.composite.IndexSpec` the
        computation reads.
    arguments
        Every other argument of the computation; each is written into the key with ``repr``,
        so give values whose ``repr`` shows their whole content (numbers, strings).
    compute
        The computation; called when sharing is off, or no safe key exists (a data set not
        loaded through the store, a spec :func:`spec_text` cannot name), or the store holds no
        result for these inputs yet.
    """
    from hemei_tools.inputs.store import stored

    if not sharing_enabled():
        return compute()
    key = input_key(dataset, catalogue, spec)
    if key is None:
        return compute()
    return stored(STORE_KIND, name, {**key, **{k: repr(v) for k, v in arguments.items()}}, compute)


def input_key(dataset, catalogue, spec) -> dict[str, str] | None:
    """The part of a stored engine result's key every such result has: the data set's input
    fingerprint (``data``), the catalogue's content (``catalogue``), :func:`spec_text`
    (``spec``), the package's files (``code``) and numpy's version (``numpy``); ``None`` when
    one of them cannot be named safely (then the result is computed, never looked up)."""
    import numpy as np

    from hemei_tools.catalogue import Catalogue
    from hemei_tools.inputs import fingerprint
    from hemei_tools.inputs.store import dataset_inputs

    data, text = dataset_inputs(dataset), spec_text(spec)
    if data is None or text is None or not isinstance(catalogue, Catalogue):
        return None
    return {"data": json.dumps(data, sort_keys=True), "catalogue": catalogue.fingerprint, "spec": text,
            "code": fingerprint.package_hash(), "numpy": np.__version__}
