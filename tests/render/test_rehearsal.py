"""The fork server's rehearsal report: warm kernels, same reports, and when a batch uses it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest

from hemei_tools.batch import plan
from hemei_tools.batch.plan import Job, choose_rehearsal
from hemei_tools.render.kernels import KernelWorker
from hemei_tools.render.notebooks import notebook_path


def _job(name: str, stem: str) -> Job:
    return Job(name, stem, {"county_code": stem} if name == "county_report" else {})


@pytest.mark.parametrize(("n_county", "workers", "rehearsed"), [
    (10, 2, True),   # 5 county reports per worker: worth one rehearsal each
    (9, 2, False),   # 4.5 per worker: not worth it
    (5, 1, True),
    (4, 1, False),
    (40, 8, True),
    (39, 8, False),
])
def test_choose_rehearsal_needs_five_county_reports_per_worker(n_county, workers, rehearsed, monkeypatch):
    monkeypatch.delenv(plan.REHEARSE_ENV, raising=False)
    jobs = [_job("region_overview", "340700")] + [_job("county_report", f"34070{i}") for i in range(n_county)]
    chosen = choose_rehearsal(jobs, workers)
    assert (chosen is not None) == rehearsed
    if rehearsed:
        assert chosen.stem == "340700" and chosen.name == "county_report"  # the first county report


def test_rehearsal_can_be_switched_off(monkeypatch):
    monkeypatch.setenv(plan.REHEARSE_ENV, "0")
    assert choose_rehearsal([_job("county_report", f"34070{i}") for i in range(9)], 1) is None


_PROBE = """
import gc, json, sys
import matplotlib
matplotlib.use("module://matplotlib_inline.backend_inline")
from IPython.core.interactiveshell import InteractiveShell
from hemei_tools.inputs import store
from hemei_tools.render.kernels import rehearse_report
from hemei_tools.render.notebooks import notebook_path
before = {k: repr(v) for k, v in matplotlib.rcParams.items()}
hooks = (sys.displayhook, sys.excepthook)
ok = rehearse_report(notebook_path("county_report"), json.loads(sys.argv[1]))
after = {k: repr(v) for k, v in matplotlib.rcParams.items()}
import matplotlib.pyplot as plt
print(json.dumps({
    "ok": ok,
    "rc_changed": sorted(k for k in before if before[k] != after.get(k)),
    "shell_left": InteractiveShell.initialized(),
    "hooks_restored": (sys.displayhook, sys.excepthook) == hooks,
    "figures_open": len(plt.get_fignums()),
    "frozen": gc.get_freeze_count() > 0,
    "data_memoised": store._load.cache_info().currsize,
}))
"""


def _probe(params: dict) -> dict:
    res = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(params)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_rehearsal_runs_the_report_and_leaves_no_state_behind(demo_dir):
    got = _probe({"county_code": "340711", "year": 2023, "data_dir": str(demo_dir)})
    assert got == {"ok": True, "rc_changed": [], "shell_left": False, "hooks_restored": True,
                   "figures_open": 0, "frozen": True, "data_memoised": 1}


@pytest.mark.slow
def test_a_failing_rehearsal_says_so_and_still_cleans_up(demo_dir):
    got = _probe({"county_code": "999999", "year": 2023, "data_dir": str(demo_dir)})
    assert got["ok"] is False
    assert (got["shell_left"], got["hooks_restored"], got["figures_open"], got["rc_changed"]) == (False, True, 0, [])


_STYLER_ID = re.compile(r"T_[0-9a-f]{5}")  # pandas Styler tables get a random uuid each time
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # object reprs in text/plain


def _outputs(path) -> list:
    """Every output of every code cell, without execution counts, timing metadata, the random
    ids pandas gives styled tables and object addresses."""
    nb = nbformat.read(str(path), as_version=4)
    text = json.dumps([[{k: v for k, v in o.items() if k not in ("execution_count", "metadata")} for o in c.outputs]
                       for c in nb.cells if c.cell_type == "code"], ensure_ascii=False)
    return json.loads(_ADDRESS.sub(" at 0x", _STYLER_ID.sub("T_id", text)))


@pytest.mark.slow
def test_a_kernel_forked_after_a_rehearsal_renders_the_same_report(demo_dir, tmp_path, isolated_cache):
    """A rehearsal of one county must not leak into the next county's report: every output
    (tables, sentences, chart PNG bytes) equals that of a kernel forked without rehearsal."""
    from hemei_tools.render.execute import render_report
    from hemei_tools.render.kernels import KernelForkServer, start_kernel

    params = {"county_code": "340722", "year": 2023, "data_dir": str(demo_dir)}
    pages = {}
    for label, rehearse in (("plain", None), ("rehearsed", {**params, "county_code": "340711"})):
        server = KernelForkServer()
        try:
            if rehearse:
                assert server.rehearse(notebook_path("county_report"), rehearse) is True
            out = tmp_path / label
            out.mkdir()
            km = start_kernel(out, fork_server=server)
            res = render_report("county_report", params, out, kernel_manager=km, commit="")
            assert res.status == "ok", res.error
            pages[label] = _outputs(res.notebook)
        finally:
            server.close()
    assert sum(len(c) for c in pages["plain"]) > 10
    assert pages["rehearsed"] == pages["plain"]


def test_a_worker_rehearses_once_per_data_folder(monkeypatch):
    """A Dask worker serving batches over several province folders rehearses once for each."""
    class FakeServer:
        def __init__(self):
            self.rehearsed: set[str] = set()
            self.calls: list[str] = []

        def rehearse(self, notebook, parameters):
            self.rehearsed.add(parameters["data_dir"])
            self.calls.append(parameters["data_dir"])
            return True

    server = FakeServer()
    worker = KernelWorker(fork=True)
    worker._server = server
    for folder in ("/data/34", "/data/34", "/data/37", "/data/34"):
        worker.rehearse(notebook_path("county_report"), {"county_code": "340722", "data_dir": folder})
    assert server.calls == ["/data/34", "/data/37"]
