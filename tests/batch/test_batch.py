"""The batch: every county plus the city's region overview and the village selection, report
levels, isolation of a failing county, incremental re-runs, the index and manifest, the CLI,
the Dask scheduler (hemei_tools.batch.run); the run folder's lock, file-system faults (disk
full, read-only, unreadable input, a folder that disappears) and output that is never stale or
destroyed (issue 12, points 5 and 7). Processes that die or are killed: test_faults.py."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner
from xdist_shared import exclusive, shared_dir

from hemei_tools.batch import run_batch
from hemei_tools.batch.plan import (
    BatchError,
    available_regions,
    count_applicants,
    parse_counties,
    parse_levels,
    plan_jobs,
    plan_regions,
    stamp_key,
)
from hemei_tools.cli import main
from hemei_tools.inputs.fingerprint import hash_inputs

pytestmark = pytest.mark.slow

BROKEN = "340705"  # 铜官区: its observations are removed from the copy of the data
HEALTHY = ["340706", "340711", "340722"]
# Administrative villages per county of city 3407 (domain primer: 12 + 99 + 62 + 190 = 363).
VILLAGES = {"340705": 12, "340706": 99, "340711": 62, "340722": 190}
# The city's 2023 round (domain primer): 22 applicant villages, 10 精品示范村 chosen.
APPLICANTS = 22
SELECTION = "village_selection"
CITY = "340700"  # 铜陵市, the demo's one city: its overview is the data set's top region
RUN_WIDE = [CITY, SELECTION]


@pytest.fixture(scope="module", autouse=True)
def _cache(isolated_cache):
    """Keep the validated-data cache of this module out of the user's home (conftest)."""


@pytest.fixture(scope="module")
def shared(demo_dir, tmp_path_factory):
    """The data copy (one county without observations) and the first full batch over it,
    built once per session even when xdist spreads this module's tests over workers."""
    root = shared_dir(tmp_path_factory, "hemei-batch")
    root.mkdir(parents=True, exist_ok=True)
    with exclusive(root / "lock"):
        if not (root / "first-run.json").exists():
            data = root / "data"
            data.mkdir()
            for f in demo_dir.iterdir():
                if f.is_file():
                    shutil.copy2(f, data / f.name)
            obs = pd.read_csv(data / "observations.csv", dtype=str, keep_default_na=False)
            obs[~obs["village_code"].str.startswith(BROKEN)].to_csv(data / "observations.csv", index=False)
            t0 = time.perf_counter()
            result = run_batch(data, root / "run", workers=2, progress=False)
            first = {"reports": result.reports, "built": result.built, "skipped": result.skipped,
                     "failed": result.failed, "ok": result.ok, "seconds": time.perf_counter() - t0,
                     "cache": os.environ["HEMEI_CACHE_DIR"]}
            (root / "first-run.json").write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def data(shared):
    return shared / "data"


@pytest.fixture(scope="module")
def run(shared):
    """The first run's result and folder (read-only: tests that re-run work on a copy)."""
    first = json.loads((shared / "first-run.json").read_text(encoding="utf-8"))
    return SimpleNamespace(**first), shared / "run", first["seconds"]


def _copy_of_run(run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(run[1], out)
    return out


def _row(out, stem):
    page = (out / "index.html").read_text(encoding="utf-8")
    m = re.search(rf'<tr class="\w+" id="row-{stem}".*?</tr>', page, re.S)
    assert m, f"no index row for {stem}"
    return m.group(0)


def test_batch_builds_every_county_and_the_city_but_reports_the_failure(run):
    result, out, _ = run
    assert [r["stem"] for r in result.reports] == [CITY, BROKEN, *HEALTHY, SELECTION]
    assert (result.built, result.skipped, result.failed) == (6, 0, 1)
    assert not result.ok
    status = {r["stem"]: r["status"] for r in result.reports}
    assert status == {BROKEN: "failed", **dict.fromkeys(HEALTHY + RUN_WIDE, "ok")}


def test_the_counties_of_the_city_share_its_city_wide_results(shared):
    """The batch switches sharing on (engine.memo): its one city's county reports stored the
    city-wide engine results once, and the city overview its own once."""
    first = json.loads((shared / "first-run.json").read_text(encoding="utf-8"))
    entries = list((Path(first["cache"]) / "store" / "analyses").glob("*.pkl"))
    assert len(entries) == 2, entries


def test_failing_county_leaves_a_failed_notebook_a_log_and_no_page(run):
    result, out, _ = run
    rep = next(r for r in result.reports if r["stem"] == BROKEN)
    assert "no observations" in rep["error"] and BROKEN in rep["error"]
    assert rep["notebook"] == f"{BROKEN}.failed.ipynb" and (out / rep["notebook"]).is_file()
    assert not (out / f"{BROKEN}.html").exists()
    assert not (out / f"{BROKEN}.stamp.json").exists()
    assert "no observations" in (out / "logs" / f"{BROKEN}.log").read_text(encoding="utf-8")


def test_healthy_reports_are_complete(run):
    _, out, _ = run
    for stem in [*HEALTHY, *RUN_WIDE]:
        for suffix in (".html", ".ipynb", ".stamp.json"):
            assert (out / f"{stem}{suffix}").is_file(), f"{stem}{suffix}"
        assert (out / "logs" / f"{stem}.log").is_file()
        assert (out / f"{stem}.html").stat().st_size < 1.5e6
    leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == [], "temporary files must be renamed or removed"


def test_index_lists_every_report_with_status_figures_and_links(run):
    _, out, _ = run
    broken = _row(out, BROKEN)
    assert 'data-status="failed"' in broken and "no observations" in broken
    assert f'href="{BROKEN}.failed.ipynb"' in broken and f'href="logs/{BROKEN}.log"' in broken
    for code in HEALTHY:
        row = _row(out, code)
        assert 'data-status="ok"' in row
        assert f'href="{code}.html"' in row
        assert f"<td>{VILLAGES[code]}</td>" in row  # 行政村 column
    city = _row(out, CITY)
    assert f"<td>{sum(VILLAGES.values())}</td>" in city and "铜陵市" in city and "市概览" in city
    selection = _row(out, SELECTION)
    assert 'data-status="ok"' in selection and "精品示范村遴选" in selection
    assert f'href="{SELECTION}.html"' in selection and f'href="{SELECTION}.ipynb"' in selection
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "示例数据（模拟）" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_manifest_records_the_same_facts(run, data):
    _, out, _ = run
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (m["built"], m["skipped"], m["failed"]) == (6, 0, 1)
    assert m["applicants"] == APPLICANTS
    assert {f["file"]: f["sha256"] for f in m["inputs"]} == hash_inputs(data)
    assert [c["county_code"] for c in m["counties"]] == [BROKEN, *HEALTHY]
    assert [(r["level"], r["region_code"], r["parent_code"]) for r in m["regions"]] == [
        ("city", CITY, ""), *[("county", c, CITY) for c in [BROKEN, *HEALTHY]]]
    assert m["levels"] == ["county"] and m["overview"] is True
    assert m["synthetic"] is True
    by_stem = {r["stem"]: r for r in m["reports"]}
    assert by_stem["340722"]["county_name"] == "枞阳县" and by_stem["340722"]["level"] == "county"
    assert (by_stem[CITY]["level"], by_stem[CITY]["region_name"], by_stem[CITY]["county_code"]) == ("city", "铜陵市", "")
    figures = {f["key"]: f["value"] for f in by_stem["340722"]["summary"]["figures"]}
    assert figures["villages"] == 190
    assert by_stem[SELECTION]["html"] == f"{SELECTION}.html" and by_stem[SELECTION]["county_code"] == ""
    assert by_stem[SELECTION]["provenance"]["notebook"] == "village_selection.ipynb"


def test_selection_page_has_its_sections_banner_and_charts(run):
    _, out, _ = run
    page = (out / f"{SELECTION}.html").read_text(encoding="utf-8")
    for heading in ("申报资格审查", "评分与排名", "推荐名单与稳健性", "准则得分构成", "权重敏感性"):
        assert re.search(rf"<h2[^>]*>{heading}", page), heading
    assert 'id="synthetic-banner"' in page and 'id="provenance"' in page
    # charts: criteria profile, selection probability bars, weight sensitivity
    assert page.count("data:image/png;base64,") >= 3
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_no_op_rerun_rebuilds_nothing_and_is_fast(run, data, tmp_path):
    out = _copy_of_run(run, tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.html")}
    t0 = time.perf_counter()
    again = run_batch(data, out, counties=",".join(HEALTHY), progress=False)
    seconds = time.perf_counter() - t0
    assert (again.built, again.skipped, again.failed) == (0, 5, 0)  # 3 counties, city, selection
    assert all(r.get("skipped") for r in again.reports)
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if p.name != "index.html"}
    assert after == {k: v for k, v in before.items() if k != "index.html"}
    assert seconds < 10


def test_rerun_after_an_interruption_removes_leftovers_and_rebuilds(run, data, tmp_path):
    out = _copy_of_run(run, tmp_path)
    (out / "340711.stamp.json").unlink()  # as if killed before the stamp was written
    (out / ".340711.4242.running.ipynb").write_text("{}", encoding="utf-8")
    (out / ".340711.html.x1y2.tmp").write_text("half", encoding="utf-8")
    again = run_batch(data, out, counties="340711", overview=False, workers=1, progress=False)
    assert (again.built, again.failed) == (1, 0)
    assert not list(out.glob(".340711*"))


def test_rerun_rebuilds_only_the_selection_when_its_stamp_is_gone(run, data, tmp_path):
    out = _copy_of_run(run, tmp_path)
    (out / f"{SELECTION}.stamp.json").unlink()
    page_before = (out / "340711.html").stat().st_mtime_ns
    again = run_batch(data, out, counties="340711", overview=False, workers=1, progress=False)
    assert [(r["stem"], r["status"], r["skipped"]) for r in again.reports] == [
        ("340711", "ok", True), (SELECTION, "ok", False)]
    assert (again.built, again.skipped) == (1, 1)
    assert (out / "340711.html").stat().st_mtime_ns == page_before
    assert (out / f"{SELECTION}.stamp.json").is_file()


def test_data_without_applicants_gets_no_selection_page(demo_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for f in demo_dir.iterdir():
        if f.is_file():
            shutil.copy2(f, data / f.name)
    (data / "applicants.csv").unlink()  # a data set without an applicant table
    inputs = hash_inputs(data)
    assert count_applicants(data, inputs, tmp_path / "run") == 0
    result = run_batch(data, tmp_path / "run", counties="340705", overview=False, workers=1, progress=False)
    assert [(r["stem"], r["status"]) for r in result.reports] == [("340705", "ok")]
    assert not list((tmp_path / "run").glob(f"{SELECTION}*"))
    m = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert m["applicants"] == 0 and SELECTION not in (tmp_path / "run" / "index.html").read_text(encoding="utf-8")


def test_data_facts_are_computed_once_per_input_and_recomputed_when_it_changes(data, tmp_path, monkeypatch):
    from hemei_tools.inputs import regions

    inputs = hash_inputs(data)
    first = available_regions(data, inputs, tmp_path / "a")
    assert [r["region_code"] for r in first] == [CITY, BROKEN, *HEALTHY]
    calls = []

    def stub(*args):
        calls.append(args)
        return pd.DataFrame([{"level": "city", "region_code": "349900", "region_name": "x", "parent_code": ""}])

    monkeypatch.setattr(regions, "list_regions", stub)
    # a new run folder over the same data: from the facts cache, the data are not read again
    assert available_regions(data, inputs, tmp_path / "b") == first and calls == []
    changed = {**inputs, "villages.csv": "0" * 64}  # a changed input is read again
    assert [r["region_code"] for r in available_regions(data, changed, tmp_path / "b")] == ["349900"]
    assert len(calls) == 1


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_a_worker_keeps_no_threads_or_open_files_from_one_report_to_the_next(data, tmp_path):
    """A worker renders thousands of reports at scale: after the first one (fork server, event
    loop), every report must leave the same threads and open files behind (nbclient leaves
    the kernel client's channels of a manager it was given running: 3 threads, 12 files)."""
    import threading

    from hemei_tools.batch import run as batch
    from hemei_tools.render.kernels import this_worker

    inputs = hash_inputs(data)
    counts = []
    try:
        for job in plan_jobs(HEALTHY, 2023, data, inputs):
            assert batch.render_job(job, str(tmp_path), inputs, "")["status"] == "ok"
            counts.append(_settled(lambda: (threading.active_count(), len(os.listdir("/proc/self/fd")))))
    finally:
        this_worker().shutdown()
    assert counts[1] == counts[2], counts


def _settled(sample, wait: float = 3.0):
    """``sample()`` once two readings 0.1 s apart agree (threads and files a finished report is
    still closing on a loaded machine), at most ``wait`` seconds; a leak stays in every reading."""
    import time

    last, deadline = sample(), time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = sample()
        if now == last:
            return now
        last = now
    return last


class _FakeWorker:
    """Stands in for render.kernels.KernelWorker: hands out a marker 'kernel', starts none."""

    def take_kernel(self, cwd):
        return "prestarted"

    def prestart(self, cwd):
        pass

    def rehearse(self, notebook, parameters):
        pass


def _fake_render(calls, first_error, always=False):
    from hemei_tools.render.execute import ReportResult

    def render_report(name, parameters, out, *, kernel_manager=None, **kw):
        calls.append(kernel_manager)
        if len(calls) == 1 or always:
            raise first_error
        return ReportResult(name, "340722", "ok", html=str(out / "340722.html"))

    return render_report


@pytest.mark.parametrize("raise_unexpected", [False, True])
def test_only_a_kernel_start_error_is_retried_in_a_new_kernel(tmp_path, monkeypatch, raise_unexpected):
    from hemei_tools.batch import run as batch
    from hemei_tools.batch.plan import Job
    from hemei_tools.errors import KernelStartError
    from hemei_tools.render import execute, kernels

    job = Job("county_report", "340722", {"county_code": "340722"}, "k")
    monkeypatch.setattr(kernels, "this_worker", lambda: _FakeWorker())
    calls: list = []
    monkeypatch.setattr(execute, "render_report", _fake_render(calls, KernelStartError("kernel died")))
    res = batch.render_job(job, str(tmp_path), {}, "", raise_unexpected=raise_unexpected)
    assert res["status"] == "ok" and calls == ["prestarted", None]  # second try: a plain new kernel
    assert "retrying in a new kernel" in (tmp_path / "logs" / "340722.log").read_text(encoding="utf-8")

    calls.clear()  # any other error is not retried, on Dask neither: recorded as failed
    monkeypatch.setattr(execute, "render_report", _fake_render(calls, RuntimeError("dead kernel mid-report")))
    res = batch.render_job(job, str(tmp_path), {}, "", raise_unexpected=raise_unexpected)
    assert res["status"] == "failed" and "mid-report" in res["error"]
    assert calls == ["prestarted"]

    calls.clear()  # a kernel that does not start in the plain new kernel either: Dask may retry it
    monkeypatch.setattr(execute, "render_report", _fake_render(calls, KernelStartError("no kernel"), always=True))
    if raise_unexpected:
        with pytest.raises(KernelStartError):
            batch.render_job(job, str(tmp_path), {}, "", raise_unexpected=True)
    else:
        assert batch.render_job(job, str(tmp_path), {}, "")["status"] == "failed"


def test_fork_switch_and_the_provisioner_entry_point(monkeypatch):
    from importlib.metadata import EntryPoint

    from hemei_tools.render import kernels

    monkeypatch.setenv(kernels.FORK_KERNELS_ENV, "0")
    assert kernels.KernelWorker().server is None
    ep = EntryPoint(kernels.PROVISIONER_NAME, "hemei_tools.render.kernels:ForkProvisioner",
                    "jupyter_client.kernel_provisioners")
    from jupyter_client.provisioning import LocalProvisioner

    assert issubclass(ep.load(), LocalProvisioner)


def test_stamp_key_changes_with_notebook_parameters_inputs(data):
    inputs = hash_inputs(data)
    base = stamp_key("nb", {"county_code": "340722", "year": 2023}, inputs)
    assert stamp_key("nb", {"county_code": "340722", "year": 2023}, dict(inputs)) == base
    assert stamp_key("nb2", {"county_code": "340722", "year": 2023}, inputs) != base
    assert stamp_key("nb", {"county_code": "340722", "year": 2022}, inputs) != base
    changed = {**inputs, "villages.csv": "0" * 64}
    assert stamp_key("nb", {"county_code": "340722", "year": 2023}, changed) != base


def test_plan_jobs_names_outputs_by_code(data):
    jobs = plan_jobs(["340722", "340711"], 2023, data, hash_inputs(data), regions=[CITY])
    assert [j.stem for j in jobs] == [CITY, "340722", "340711"]
    assert jobs[0].parameters == {"region_code": CITY, "year": 2023, "data_dir": str(data)}
    assert jobs[1].parameters == {"county_code": "340722", "year": 2023, "data_dir": str(data)}
    assert len({j.key for j in jobs}) == 3
    with_selection = plan_jobs(["340711"], 2023, data, hash_inputs(data), selection=True)
    assert [(j.name, j.stem) for j in with_selection] == [("county_report", "340711"), (SELECTION, SELECTION)]
    assert with_selection[1].parameters == {"year": 2023, "data_dir": str(data)}


@pytest.mark.parametrize(
    ("spec", "message"),
    [("999999", "not in the data"), ("34072", "six digits"), ("../x", "six digits"), (",", "no county")],
)
def test_parse_counties_rejects_bad_codes(spec, message):
    available = [{"county_code": c, "county_name": ""} for c in VILLAGES]
    with pytest.raises(BatchError, match=message):
        parse_counties(spec, available)


def test_parse_counties_all_and_lists():
    available = [{"county_code": c, "county_name": ""} for c in VILLAGES]
    assert parse_counties("all", available) == list(VILLAGES)
    assert parse_counties(" 340722,340705,340722 ", available) == ["340722", "340705"]


# A two-city province in six-digit codes, as inputs.regions.list_regions gives it.
REGIONS = [
    {"level": "province", "region_code": "340000", "region_name": "安徽省", "parent_code": ""},
    {"level": "city", "region_code": "340100", "region_name": "合肥市", "parent_code": "340000"},
    {"level": "city", "region_code": "340700", "region_name": "铜陵市", "parent_code": "340000"},
    {"level": "county", "region_code": "340102", "region_name": "瑶海区", "parent_code": "340100"},
    {"level": "county", "region_code": "340711", "region_name": "郊区", "parent_code": "340700"},
    {"level": "county", "region_code": "340722", "region_name": "枞阳县", "parent_code": "340700"},
]
# One city (the Tongling demo): the city is the top region.
ONE_CITY = [
    {"level": "city", "region_code": "340700", "region_name": "铜陵市", "parent_code": ""},
    {"level": "county", "region_code": "340711", "region_name": "郊区", "parent_code": "340700"},
    {"level": "county", "region_code": "340722", "region_name": "枞阳县", "parent_code": "340700"},
]


@pytest.mark.parametrize(("codes", "levels", "overview", "expected"), [
    (["340722"], ("county",), True, ["340000"]),                     # the province overview only
    (["340722"], ("county",), False, []),
    (["340722", "340711"], ("city", "county"), True, ["340000", "340700"]),  # one city, once
    (["340102", "340711", "340722"], ("city",), False, ["340100", "340700"]),
    (["340102"], ("city",), True, ["340000", "340100"]),
])
def test_plan_regions_by_level(codes, levels, overview, expected):
    assert plan_regions(REGIONS, codes, levels, overview) == expected


def test_plan_regions_builds_a_city_that_is_the_top_region_once():
    assert plan_regions(ONE_CITY, ["340711", "340722"], ("city", "county"), True) == ["340700"]


@pytest.mark.parametrize(("spec", "expected"), [
    ("county", ("county",)), ("city", ("city",)), ("city,county", ("county", "city")),
    (" County , city ", ("county", "city")), (["city"], ("city",)),
])
def test_parse_levels(spec, expected):
    assert parse_levels(spec) == expected


@pytest.mark.parametrize("spec", ["town", "", "county,village", ","])
def test_parse_levels_rejects_unknown_levels(spec):
    with pytest.raises(BatchError, match="level"):
        parse_levels(spec)


def test_level_city_builds_the_city_overview_only(run, data, tmp_path):
    out = _copy_of_run(run, tmp_path)
    again = run_batch(data, out, level="city", selection=False, workers=1, progress=False)
    assert [(r["stem"], r["level"], r["status"], r["skipped"]) for r in again.reports] == [
        (CITY, "city", "ok", True)]  # the demo city is also the top region: built once, unchanged


def test_province_batch_builds_the_province_each_city_asked_for_and_the_counties(tmp_path):
    """--level city,county on the three-city province of tests/engine/test_regions.py, two counties in
    two cities: the province overview, those two cities' overviews, the two county reports."""
    from province_data import write_province

    data = write_province(tmp_path / "province")
    out = tmp_path / "run"
    result = run_batch(data, out, counties="340101,340702", level="city,county", workers=2, progress=False)
    assert [(r["stem"], r["level"], r["status"]) for r in result.reports] == [
        ("340000", "province", "ok"), ("340100", "city", "ok"), ("340700", "city", "ok"),
        ("340101", "county", "ok"), ("340702", "county", "ok")]
    assert result.ok and result.built == 5
    assert "安徽省和美乡村建设概览（2023年）" in (out / "340000.html").read_text(encoding="utf-8")
    assert "合肥市和美乡村建设概览（2023年）" in (out / "340100.html").read_text(encoding="utf-8")
    province = _row(out, "340000")
    assert "安徽省" in province and "全省概览" in province and "<td>12</td>" in province  # all 12 villages
    assert "<td>4</td>" in _row(out, "340100")  # 合肥市: 2 counties × 2 villages
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["levels"] == ["county", "city"]
    assert [(r["level"], r["region_code"]) for r in m["regions"]][:4] == [
        ("province", "340000"), ("city", "340100"), ("city", "340200"), ("city", "340700")]


def test_cli_force_rebuilds_and_failure_exits_non_zero(run, data, tmp_path):
    out = _copy_of_run(run, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(main, ["batch", "--data", str(data), "--out", str(out), "--counties", "340711",
                              "--no-overview", "--no-selection", "--force", "--workers", "1"])
    assert ok.exit_code == 0, ok.output
    assert "1 reports" in ok.output and "built 1, unchanged 0, failed 0" in ok.output
    bad = runner.invoke(main, ["batch", "--data", str(data), "--out", str(out), "--counties", BROKEN,
                               "--no-overview", "--workers", "1"])
    assert bad.exit_code == 1
    assert f"FAILED {BROKEN}" in bad.output


def test_cli_unknown_county_and_scheduler_are_clear_errors(data, tmp_path):
    out = tmp_path / "run"
    runner = CliRunner()
    res = runner.invoke(main, ["batch", "--data", str(data), "--out", str(out), "--counties", "999999"])
    assert res.exit_code == 1 and "999999" in res.output and "available" in res.output
    res = runner.invoke(main, ["batch", "--data", str(data), "--out", str(out), "--scheduler", "mpi"])
    assert res.exit_code == 1 and "unknown scheduler" in res.output
    res = runner.invoke(main, ["report", "--data", str(data), "--out", str(out), "--county", "999999"])
    assert res.exit_code == 2 and "999999" in res.output


def test_dask_local_cluster_with_two_workers(data, tmp_path):
    result = run_batch(data, tmp_path, counties=["340711", "340722"], workers=2, scheduler="dask",
                       overview=False, selection=False, progress=False)
    assert [(r["stem"], r["status"]) for r in result.reports] == [("340711", "ok"), ("340722", "ok")]
    assert (tmp_path / "340722.html").is_file() and (tmp_path / "index.html").is_file()
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert m["scheduler"] == "dask" and m["built"] == 2


def test_existing_dask_scheduler_over_tcp(data, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        result = run_batch(data, tmp_path, counties="340711", workers=1,
                           scheduler=cluster.scheduler_address, overview=False, selection=False,
                           progress=False)
    assert [(r["stem"], r["status"]) for r in result.reports] == [("340711", "ok")]
    assert (tmp_path / "340711.html").is_file()


def test_a_kernel_that_dies_mid_report_is_retried_once_in_a_new_kernel(tmp_path, monkeypatch):
    from hemei_tools.batch import run as batch
    from hemei_tools.batch.plan import Job
    from hemei_tools.errors import KernelDiedError
    from hemei_tools.render import execute, kernels

    job = Job("county_report", "340722", {"county_code": "340722"}, "k")
    monkeypatch.setattr(kernels, "this_worker", lambda: _FakeWorker())
    calls: list = []
    monkeypatch.setattr(execute, "render_report", _fake_render(calls, KernelDiedError("the report kernel died")))
    res = batch.render_job(job, str(tmp_path), {}, "")
    assert (res["status"], res["attempts"]) == ("ok", 2) and calls == ["prestarted", None]
    assert "kernel died" in (tmp_path / "logs" / "340722.log").read_text(encoding="utf-8")

    calls.clear()  # a job already given to a second worker is not retried again
    res = batch.render_job(job, str(tmp_path), {}, "", attempt=2)
    assert (res["status"], res["attempts"]) == ("failed", 2) and calls == ["prestarted"]
    assert "(attempt 2)" in (tmp_path / "logs" / "340722.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the run folder (issue 12, points 5 and 7)

def _read_only(out, monkeypatch):
    """Make ``out`` behave as a read-only file system for this process: creating a file in it
    fails with EROFS (os.open serves the lock file and every atomic write's temporary file)."""
    real = os.open
    root = os.path.abspath(out)

    def fake(path, flags, *args, **kw):
        if (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)) and os.path.abspath(path).startswith(root):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", fake)


def _mtimes(out):
    return {p: p.stat().st_mtime_ns for p in out.rglob("*")}


def test_a_no_op_rerun_on_a_read_only_folder_succeeds_without_writing(run, data, tmp_path, monkeypatch):
    from hemei_tools.errors import OutputError

    out = _copy_of_run(run, tmp_path)
    before = _mtimes(out)
    _read_only(out, monkeypatch)
    again = run_batch(data, out, counties=",".join(HEALTHY), workers=1, progress=False)
    assert (again.built, again.skipped, again.failed) == (0, 5, 0) and again.ok
    assert _mtimes(out) == before
    res = CliRunner().invoke(main, ["batch", "--data", str(data), "--out", str(out), "--counties",
                                    ",".join(HEALTHY), "--workers", "1"])
    assert res.exit_code == 0, res.output
    with pytest.raises(OutputError) as err:  # something to build: refused before anything runs
        run_batch(data, out, counties="340711", overview=False, selection=False, force=True, progress=False)
    assert err.value.exit_code == 3 and str(err.value) == (
        f"{out} 位于只读的位置，无法写入：请用 --out 指定一个可写的文件夹")
    res = CliRunner().invoke(main, ["batch", "--data", str(data), "--out", str(out), "--counties", "340711",
                                    "--force", "--workers", "1"])
    assert res.exit_code == 3 and "只读" in res.output and "Traceback" not in res.output
    assert _mtimes(out) == before


def test_a_second_batch_into_the_same_folder_refuses_and_names_the_first(run, data, tmp_path):
    from hemei_tools.batch.folder import LOCK, RunLock
    from hemei_tools.errors import BatchLockedError

    out = _copy_of_run(run, tmp_path)
    holder = RunLock(out)
    assert holder.acquire(started="2026-11-29T04:10:00Z")
    try:
        with pytest.raises(BatchLockedError) as err:
            run_batch(data, out, counties="340711", overview=False, workers=1, progress=False)
        assert f"进程 {os.getpid()}" in str(err.value) and "2026-11-29T04:10:00Z" in str(err.value)
        assert str(out) in str(err.value) and err.value.exit_code == 4
        res = CliRunner().invoke(main, ["batch", "--data", str(data), "--out", str(out), "--counties", "340711",
                                        "--no-overview", "--workers", "1"])
        assert res.exit_code == 4 and "另一个批处理" in res.output and "Traceback" not in res.output
    finally:
        holder.release()
    assert not (out / LOCK).exists()
    again = run_batch(data, out, counties="340711", overview=False, workers=1, progress=False)
    assert again.ok and again.built == 0 and not (out / LOCK).exists()


def test_a_lock_left_by_a_killed_batch_is_taken_over(run, data, tmp_path):
    from hemei_tools.batch.folder import LOCK

    out = _copy_of_run(run, tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK).write_text(json.dumps({"pid": dead.pid, "host": "x", "started": "then"}), encoding="utf-8")
    again = run_batch(data, out, counties="340711", overview=False, workers=1, progress=False)
    assert again.ok and again.built == 0
    assert not (out / LOCK).exists()


def test_an_unreadable_input_is_one_line_naming_it(data, tmp_path, monkeypatch):
    from hemei_tools.batch import run as batch
    from hemei_tools.errors import InputReadError

    victim = str(data / "observations.csv")

    def denied(folder):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), victim)

    monkeypatch.setattr(batch, "hash_inputs", denied)
    out = tmp_path / "run"
    with pytest.raises(InputReadError) as err:
        run_batch(data, out, progress=False)
    assert str(err.value) == f"没有读取 {victim} 的权限：请检查文件权限（例如 chmod a+r）后重新运行"
    assert not out.exists()  # nothing written for a batch that could not start
    res = CliRunner().invoke(main, ["batch", "--data", str(data), "--out", str(out)])
    assert res.exit_code == 1 and victim in res.output and "Traceback" not in res.output


def test_a_run_folder_that_disappears_is_not_recreated(tmp_path):
    from hemei_tools.batch import run as batch
    from hemei_tools.batch.plan import Job

    gone = tmp_path / "unmounted" / "run"
    job = Job("county_report", "340722", {"county_code": "340722"}, "k")
    res = batch.render_job(job, str(gone), {}, "")
    assert res["status"] == "failed" and res["output_error"][0] == errno.ENOENT
    assert res["error"] == f"输出文件夹 {gone} 已不存在（被删除、移动或卸载）：请确认磁盘或网络位置可用后重新运行"
    assert not (tmp_path / "unmounted").exists()


def test_disk_full_stops_the_batch_keeps_what_was_built_and_says_so_in_one_line(run, data, tmp_path, monkeypatch):
    """ENOSPC while a report's page is written: that report fails (its last good page stays),
    no other report starts, the manifest and index say so, no temporary file is left, and the
    error is one line naming the folder (exit code 3)."""
    from hemei_tools import paths
    from hemei_tools.errors import OutputError

    out = _copy_of_run(run, tmp_path)
    page = (out / "340711.html").read_bytes()
    real = paths.write_atomic_with

    def full(path, write, make_parents=True):
        if Path(path).name in ("340711.html", "340722.html"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, write, make_parents)

    monkeypatch.setattr(paths, "write_atomic_with", full)
    with pytest.raises(OutputError) as err:
        run_batch(data, out, counties="340711,340722", overview=False, selection=False, force=True,
                  scheduler="inline", progress=False)
    message = (f"磁盘已满，无法写入 {out}：请释放空间（或用 --out 改写到另一个磁盘）后重新运行；"
               "已完成的报告都会保留，重新运行只生成缺少的报告")
    assert err.value.exit_code == 3 and str(err.value) == message
    rows = {r["stem"]: r for r in err.value.result.reports}
    assert (rows["340711"]["status"], rows["340711"]["error"]) == ("failed", message)
    assert rows["340722"]["status"] == "interrupted"  # never started on a full disk
    assert rows["340711"]["previous"]["html"] == "340711.html"
    assert (out / "340711.html").read_bytes() == page
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [(r["stem"], r["status"]) for r in m["reports"]] == [("340711", "failed"), ("340722", "interrupted")]
    assert (m["failed"], m["interrupted"]) == (1, 1)
    assert 'data-status="interrupted"' in _row(out, "340722")
    assert not list(out.glob(".*")), "no temporary notebook, file or lock left"


def test_a_report_that_now_fails_keeps_its_last_good_page_marked_out_of_date(run, data, tmp_path):
    out = _copy_of_run(run, tmp_path)
    page = (out / "340711.html").read_bytes()
    built = json.loads((out / "340711.stamp.json").read_text(encoding="utf-8"))["result"]["provenance"]["started"]
    changed = tmp_path / "data"
    shutil.copytree(data, changed)
    obs = pd.read_csv(changed / "observations.csv", dtype=str, keep_default_na=False)
    obs[~obs["village_code"].str.startswith("340711")].to_csv(changed / "observations.csv", index=False)
    result = run_batch(changed, out, counties="340711", overview=False, selection=False, scheduler="inline",
                       progress=False)
    (row,) = result.reports
    assert row["status"] == "failed" and "no observations" in row["error"]
    assert row["previous"] == {"html": "340711.html", "notebook": "340711.ipynb", "built": built,
                               "out_of_date": True}
    assert (out / "340711.html").read_bytes() == page and (out / "340711.failed.ipynb").is_file()
    assert (out / "340711.stamp.json").is_file()  # still describes the page in place
    index_row = _row(out, "340711")
    assert 'data-status="failed"' in index_row and "已过期" in index_row and 'href="340711.html"' in index_row


def test_the_stamp_key_covers_the_package_code_and_catalogue(data, tmp_path, monkeypatch):
    from importlib import resources

    from hemei_tools.batch import plan
    from hemei_tools.batch.plan import code_hash

    tree = tmp_path / "pkg"
    (tree / "catalogue").mkdir(parents=True)
    (tree / "m.py").write_text("x = 1\n", encoding="utf-8")
    (tree / "catalogue" / "benchmarks.csv").write_text("id,value\na,1\n", encoding="utf-8")
    first = code_hash(tree)
    (tree / "__pycache__").mkdir()
    (tree / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (tree / ".m.py.swp").write_text("", encoding="utf-8")
    assert code_hash(tree) == first  # byte code and hidden files do not count
    (tree / "catalogue" / "benchmarks.csv").write_text("id,value\na,2\n", encoding="utf-8")
    assert code_hash(tree) != first
    assert code_hash() == code_hash(resources.files("hemei_tools"))

    inputs = hash_inputs(data)
    keys = [j.key for j in plan_jobs(HEALTHY, 2023, data, inputs)]
    monkeypatch.setattr(plan, "package_hash", lambda: "an edited module")
    edited = [j.key for j in plan_jobs(HEALTHY, 2023, data, inputs)]
    assert all(a != b for a, b in zip(keys, edited, strict=True))
