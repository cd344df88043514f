"""Render the reports of a data set per county and per city, the region overview and the village
selection, in parallel, incrementally.

:func:`run_batch` plans one job per report (:mod:`hemei_tools.batch.plan`): a county report per
county (level ``county``), a region overview per city (level ``city``), the overview of the
data set's whole region (the city, or the province when the data span several cities) and,
when the data hold applicants (精品示范村申报), the village selection. It skips the jobs whose
stamp says nothing changed, runs the rest on a scheduler from :data:`SCHEDULERS` and writes,
into the run folder::

    <out>/<county_code>.html, .ipynb     one report per county (or <code>.failed.ipynb)
    <out>/<region_code>.html, .ipynb     region overviews: a city (340700), the province (340000)
    <out>/village_selection.html, .ipynb the 精品示范村 selection (only with applicant data)
    <out>/<stem>.stamp.json              what the report was built from (incremental re-runs)
    <out>/logs/<stem>.log                papermill log and cell output of each job
    <out>/index.html, manifest.json      one row per report (:mod:`hemei_tools.batch.index`)

A failing county is recorded as failed (error, failed notebook, log) and never stops the
others; all outputs are written atomically, so an interrupted batch leaves whole files and
resumes.

Schedulers: ``processes`` (a local process pool whose workers import papermill, nbconvert,
pandas and matplotlib once), ``dask`` (a ``distributed.LocalCluster``), ``inline`` (this
process, one job after the other) and ``tcp://HOST:PORT`` (an existing Dask scheduler; workers
must see the data and output folders at the same paths). Each worker process keeps its kernels
in a :class:`hemei_tools.render.kernels.KernelWorker`. A job whose kernel fails to start
(:class:`~hemei_tools.errors.KernelStartError`) is rendered once more in a plain new kernel; on
Dask, a job whose worker dies, or whose second kernel fails too, is retried by Dask.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from hemei_tools.batch.index import build_manifest, failed_result, report_rows, write_outputs
from hemei_tools.batch.plan import (
    LEVEL_NOTEBOOKS,
    MANIFEST,
    BatchResult,
    Job,
    available_regions,
    choose_rehearsal,
    count_applicants,
    counties_of,
    inputs_key,
    is_current,
    parse_counties,
    parse_levels,
    plan_jobs,
    plan_regions,
    read_json,
)
from hemei_tools.errors import BatchError, HemeiError, KernelStartError
from hemei_tools.inputs.fingerprint import hash_inputs
from hemei_tools.paths import default_out_dir, resolve_data_dir, write_json_atomic
from hemei_tools.render.provenance import git_commit, now_utc

__all__ = ["SCHEDULERS", "BatchError", "BatchResult", "render_job", "run_batch", "warm_worker"]

DASK_RETRIES = 2


# ---------------------------------------------------------------- running one job (in a worker)

def warm_worker(out_dir: str | None = None) -> None:
    """Prepare a worker process once: start its kernel fork server (which imports pandas,
    matplotlib and hemei_tools in its own process, meanwhile), import papermill and build the
    nbconvert exporter here (the worker itself never needs pandas or matplotlib), and shut
    kernels down at exit. Without a fork server, also start the kernel of the worker's first
    job (in ``out_dir``); with one, the first job forks its kernel after the server's
    rehearsal (see :func:`render_job`)."""
    from hemei_tools.render.html import html_exporter
    from hemei_tools.render.kernels import this_worker
    from hemei_tools.render.notebooks import skip_slow_imports

    worker = this_worker()
    worker.shut_down_at_exit()
    server = worker.server
    skip_slow_imports()
    import papermill  # noqa: F401

    html_exporter()
    logging.getLogger("papermill").propagate = False
    if out_dir is not None and server is None and not worker.prestarted:
        worker.prestart(out_dir)


def _failed(job: Job, error: str) -> dict:
    return {"name": job.name, "stem": job.stem, "status": "failed", "error": error,
            "html": None, "notebook": None, "summary": {}, "provenance": {}}


def _log(log_file: Path, text: str) -> None:
    with open(log_file, "a", encoding="utf-8") as fh:
        fh.write(text)


def _render(job: Job, out: Path, inputs: dict[str, str], commit: str | None, log_file: Path,
            prestart: bool) -> dict:
    """Render ``job`` in this worker's kernel; if that kernel does not start
    (:class:`KernelStartError`, and only then), once more in a plain new kernel."""
    from hemei_tools.render.execute import render_report
    from hemei_tools.render.kernels import this_worker

    worker = this_worker()
    try:
        km = None
        if prestart:  # this job's kernel was started ahead; start the next job's now
            km = worker.take_kernel(out)
            worker.prestart(out)
        return render_report(job.name, job.parameters, out, inputs=inputs, commit=commit,
                             log_file=log_file, kernel_manager=km).to_dict()
    except KernelStartError as exc:
        _log(log_file, f"kernel failed to start ({exc}); retrying in a new kernel\n")
    return render_report(job.name, job.parameters, out, inputs=inputs, commit=commit,
                         log_file=log_file).to_dict()


def render_job(job: Job, out_dir: str, inputs: dict[str, str], commit: str | None,
               raise_unexpected: bool = False, prestart: bool = True,
               rehearsal: Job | None = None) -> dict:
    """Render one job; return the result dict (also written into the job's stamp when ok).

    A failing notebook or any other error gives ``status == "failed"`` (the traceback in the
    job's log). Only a kernel that did not start twice (:class:`KernelStartError`) is re-raised
    when ``raise_unexpected``, so that Dask retries the job on another worker; a worker that
    dies is rescheduled by Dask itself. With ``prestart`` the job runs in the
    kernel this worker started ahead of need, and starts the next job's kernel right away, so
    that it boots while this one runs.
    With ``rehearsal`` (a job of the batch), the worker's kernel fork server first runs that
    report once, unless it already did (:meth:`hemei_tools.render.kernels.KernelWorker.rehearse`).
    """
    from hemei_tools.render.kernels import this_worker
    from hemei_tools.render.notebooks import notebook_path

    out = Path(out_dir)
    log_dir = out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{job.stem}.log"
    log_file.write_text(f"{now_utc()} {job.name} {json.dumps(job.parameters, ensure_ascii=False)}\n",
                        encoding="utf-8")
    stamp = out / f"{job.stem}.stamp.json"
    if rehearsal is not None:
        this_worker().rehearse(notebook_path(rehearsal.name), rehearsal.parameters)
    t0 = time.perf_counter()
    try:
        result = _render(job, out, inputs, commit, log_file, prestart)
    except HemeiError as exc:
        if isinstance(exc, KernelStartError):  # the plain new kernel did not start either
            _log(log_file, traceback.format_exc())
            if raise_unexpected:
                raise
        result = _failed(job, str(exc))
    except Exception as exc:
        _log(log_file, traceback.format_exc())
        result = _failed(job, f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
    result["seconds"] = round(time.perf_counter() - t0, 2)
    _log(log_file, f"{now_utc()} {result['status']} {result.get('error', '')}\n")
    if result["status"] == "ok":
        write_json_atomic(stamp, {"key": job.key, "result": result})
    else:
        stamp.unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------- schedulers

Runner = Callable[[list[Job], Path, dict, "str | None", int, Callable[[dict], None]], None]


def start_pool(workers: int, out_dir: Path):
    """A spawned process pool whose workers start warming up (imports, first kernel) right now."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=warm_worker, initargs=(str(out_dir),))
    for _ in range(workers):
        pool.submit(os.getpid)  # makes the executor spawn every worker now
    return pool


def _run_processes(jobs, out_dir, inputs, commit, workers, on_done, pool=None, rehearsal=None) -> None:
    """Local process pool (spawned workers, warmed once by :func:`warm_worker`)."""
    from concurrent.futures import as_completed

    pool = pool if pool is not None else start_pool(workers, out_dir)
    with pool:
        futures = {pool.submit(render_job, job, str(out_dir), inputs, commit, rehearsal=rehearsal): job
                   for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                on_done(fut.result())
            except Exception as exc:  # the worker process died
                on_done(failed_result(job, exc))


def _run_dask(jobs, out_dir, inputs, commit, workers, on_done, address: str | None = None,
              rehearsal=None) -> None:
    """Dask distributed: a LocalCluster of ``workers`` processes, or the scheduler at ``address``
    (whose own worker count then decides whether fork servers rehearse, :func:`choose_rehearsal`)."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        if address is not None and rehearsal is not None:  # worth it only with enough jobs per worker
            rehearsal = choose_rehearsal(jobs, max(1, len(client.scheduler_info()["workers"])))
        client.run(warm_worker, str(out_dir))
        futures = {}
        for job in jobs:
            fut = client.submit(render_job, job, str(out_dir), inputs, commit, True, rehearsal=rehearsal,
                                key=f"hemei-{job.stem}-{job.key[:12]}", pure=False,
                                retries=DASK_RETRIES)
            futures[fut] = job
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                on_done(fut.result())
            except Exception as exc:
                on_done(failed_result(job, exc))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_inline(jobs, out_dir, inputs, commit, workers, on_done, rehearsal=None) -> None:
    """In this process, one job after the other (debugging, profiling)."""
    try:
        for i, job in enumerate(jobs):
            on_done(render_job(job, str(out_dir), inputs, commit, prestart=i < len(jobs) - 1,
                               rehearsal=rehearsal))
    finally:
        from hemei_tools.render.kernels import this_worker

        this_worker().shutdown()


#: Scheduler name -> runner. ``tcp://`` addresses are dispatched to the Dask runner.
SCHEDULERS: dict[str, Runner] = {
    "processes": _run_processes,
    "dask": _run_dask,
    "inline": _run_inline,
}


def _scheduler(name: str) -> Runner:
    if name.startswith("tcp://"):
        return lambda *args, **kw: _run_dask(*args, address=name, **kw)
    if name not in SCHEDULERS:
        raise BatchError(f"unknown scheduler {name!r}: use processes, dask or tcp://HOST:PORT")
    return SCHEDULERS[name]


# ---------------------------------------------------------------- the batch

def run_batch(
    data_dir: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    counties: str | Iterable[str] = "all",
    year: int = 2023,
    workers: int | None = None,
    scheduler: str = "processes",
    force: bool = False,
    overview: bool = True,
    progress: bool | None = None,
    selection: bool = True,
    level: str | Iterable[str] = "county",
) -> BatchResult:
    """Build the county and city reports, the region overview and the village selection of a
    data folder.

    Parameters
    ----------
    data_dir
        Data folder; default as :func:`hemei_tools.paths.resolve_data_dir` finds it.
    out_dir
        Run folder; default ``outputs/<data folder name>``.
    counties
        ``"all"`` or county codes (comma-separated string or iterable): the counties reported
        at level ``county``, whose cities are reported at level ``city``.
    year
        Report year.
    workers
        Parallel workers; default the number of CPU cores.
    scheduler
        ``processes``, ``dask``, ``inline`` or ``tcp://HOST:PORT``.
    force
        Rebuild every report even when its stamp is current.
    overview
        Also build the overview of the data set's whole region: the city, or the province
        when the data span several cities (``region_overview``).
    progress
        Show a progress bar; default only when stderr is a terminal.
    selection
        Also build the village selection (``village_selection``), when the data set has a
        non-empty applicant table; without applicants it is never built.
    level
        Report levels (:func:`parse_levels`): ``"county"`` (one report per county, the
        default), ``"city"`` (one region overview per city) or ``"city,county"``.

    Returns
    -------
    BatchResult
        ``result.ok`` is False when any report failed (the CLI then exits 1).

    Notes
    -----
    Long because every option is documented here; the code is about 40 lines.
    """
    t0 = time.perf_counter()
    levels = parse_levels(level)
    data = resolve_data_dir(data_dir)
    out = Path(out_dir).resolve() if out_dir else default_out_dir(data)
    out.mkdir(parents=True, exist_ok=True)
    runner = _scheduler(scheduler)
    workers = max(1, workers or os.cpu_count() or 1)
    inputs = hash_inputs(data)
    if not inputs:
        raise BatchError(f"no data files (csv, parquet, xlsx) in {data}")
    # Likely work (forced, or new inputs): let the pool warm up while the data are read.
    pool = None
    if scheduler == "processes" and (force or read_json(out / MANIFEST).get("inputs_key") != inputs_key(inputs)):
        pool = start_pool(workers, out)
    try:
        regions = available_regions(data, inputs, out)
        available = counties_of(regions)
        codes = parse_counties(counties, available)
        applicants = count_applicants(data, inputs, out) if selection else 0
        jobs = plan_jobs(codes if "county" in levels else [], year, data, inputs,
                         regions=plan_regions(regions, codes, levels, overview), selection=applicants > 0)
        result = BatchResult(out_dir=out)
        done = _build_all(jobs, out, inputs, workers, runner, pool, progress, force, result)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    result.reports = report_rows(jobs, done, regions, out)
    result.failed = sum(r["status"] != "ok" for r in result.reports)
    result.seconds = round(time.perf_counter() - t0, 2)
    manifest = build_manifest(result, data=data, year=year, scheduler=scheduler, workers=workers, levels=levels,
                              overview=overview, inputs=inputs, regions=regions, counties=available,
                              applicants=applicants if selection else None)
    write_outputs(result, manifest)
    return result


def _build_all(jobs, out, inputs, workers, runner, pool, progress, force, result) -> dict[str, dict]:
    """Results by stem: the current reports' (from their stamps, ``skipped``) and those of the
    jobs built now."""
    done: dict[str, dict] = {}
    todo = []
    for job in jobs:
        current = None if force else is_current(job, out)
        if current is not None:
            done[job.stem] = {**current, "skipped": True}
        else:
            todo.append(job)
    result.skipped = len(done)
    _remove_leftovers(out, todo)
    if todo:
        _build(todo, out, inputs, workers, runner, pool, progress, done, result)
    return done


def _build(todo, out, inputs, workers, runner, pool, progress, done, result) -> None:
    """Check parameters, then run the jobs that need building and record their results."""
    from hemei_tools.render.notebooks import check_parameters, notebook_path

    for name in {j.name for j in todo}:  # declared-parameter check before anything runs
        check_parameters(notebook_path(name), next(j for j in todo if j.name == name).parameters)
    commit = git_commit()
    rehearsal = choose_rehearsal(todo, workers)
    bar = _progress_bar(len(todo), progress)
    # Overviews and the selection read many counties: submitted first so they do not end the run alone.
    todo = sorted(todo, key=lambda j: j.name == LEVEL_NOTEBOOKS["county"])

    def on_done(res: dict) -> None:
        done[res["stem"]] = {**res, "skipped": False}
        result.built += 1
        result.failed += res["status"] != "ok"
        if bar is not None:
            bar.set_postfix_str(f"{res['stem']} {res['status']}, failed={result.failed}")
            bar.update(1)

    try:
        if pool is not None:
            _run_processes(todo, out, inputs, commit, workers, on_done, pool=pool, rehearsal=rehearsal)
        else:
            runner(todo, out, inputs, commit, min(workers, len(todo)), on_done, rehearsal=rehearsal)
    finally:
        if bar is not None:
            bar.close()


def _remove_leftovers(out: Path, jobs: list[Job]) -> None:
    """Delete temporary files an interrupted run left for the jobs about to be rebuilt."""
    for job in jobs:
        for pattern in (f".{job.stem}.*.running.ipynb", f".{job.stem}.*.tmp"):
            for leftover in out.glob(pattern):
                leftover.unlink(missing_ok=True)


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar on stderr (None when ``progress`` is False or stderr is not a terminal)."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="reports", unit="report", file=sys.stderr, dynamic_ncols=True)
