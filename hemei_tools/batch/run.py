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
others; its last good HTML stays in place, listed in the index as out of date beside the
failure. All outputs are written atomically, so an interrupted batch leaves whole files and
resumes. One batch at a time writes a run folder (:class:`~hemei_tools.batch.folder.RunLock`).

Faults:

- a process that dies costs its job one retry: a pool worker that dies is replaced and its job
  given once to the fresh worker (:class:`~hemei_tools.batch.pool.WorkerPool`); a kernel that
  does not start or dies mid-report (its fork server killed) is replaced by a new kernel once;
  after that the job is recorded as failed, and every other job goes on;
- Ctrl-C stops starting reports and lets the running ones finish (a second Ctrl-C cancels
  them); the jobs never started keep their stamps, logs and pages; the manifest and index of
  what is done are written and ``BatchResult.stopped`` is ``"interrupt"`` (``hemei batch``
  exits 130);
- a run folder that cannot be written (disk full, read-only, no permission, gone) stops the
  batch the same way, then raises :class:`~hemei_tools.errors.OutputError` (one line naming the
  path and what to do; exit code 3) after writing what it can; an input that cannot be read
  raises :class:`~hemei_tools.errors.InputReadError`. A re-run that has nothing to build and
  would write the same manifest writes nothing, so it succeeds on a read-only published folder.

Schedulers: ``processes`` (a local :class:`~hemei_tools.batch.pool.WorkerPool` whose workers
import papermill, nbconvert, pandas and matplotlib once), ``dask`` (a
``distributed.LocalCluster``), ``inline`` (this process, one job after the other) and
``tcp://HOST:PORT`` (an existing Dask scheduler; workers must see the data and output folders at
the same paths). Each worker process keeps its kernels in a
:class:`hemei_tools.render.kernels.KernelWorker`. On Dask, a job whose worker dies, or whose
second kernel fails to start, is retried by Dask; Ctrl-C cancels every job not finished.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from hemei_tools.batch.capacity import job_bound
from hemei_tools.batch.folder import RunLock, input_error, is_output_failure, output_error
from hemei_tools.batch.index import INDEX, build_manifest, failed_result, report_rows, write_outputs
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
from hemei_tools.contract import label_text
from hemei_tools.errors import (
    BatchError,
    HemeiError,
    KernelDiedError,
    KernelStartError,
    OutputError,
)
from hemei_tools.inputs.fingerprint import hash_inputs
from hemei_tools.paths import default_out_dir, resolve_data_dir, write_json_atomic
from hemei_tools.render.provenance import PortablePaths, git_commit, now_utc

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
    from hemei_tools.engine.memo import SHARE_ENV
    from hemei_tools.render.html import html_exporter
    from hemei_tools.render.kernels import this_worker
    from hemei_tools.render.notebooks import skip_slow_imports

    # the reports of one city's counties share its city-wide engine results (engine.memo); the
    # worker's fork server and kernels inherit the switch (HEMEI_SHARE_ANALYSES=0 keeps it off)
    os.environ.setdefault(SHARE_ENV, "1")
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


def _interrupted(job: Job, reason: str, attempts: int = 0) -> dict:
    """The result of a job the batch did not finish (stopped before it started, or cancelled)."""
    return {"name": job.name, "stem": job.stem, "status": "interrupted", "error": reason, "html": None,
            "notebook": None, "summary": {}, "provenance": {}, "seconds": 0.0, "attempts": attempts}


def _log(log_file: Path, text: str) -> None:
    """Append to a job's log; a log that cannot be written never fails the job."""
    with contextlib.suppress(OSError), open(log_file, "a", encoding="utf-8") as fh:
        fh.write(text)


def _render(job: Job, out: Path, inputs: dict[str, str], commit: str | None, log_file: Path,
            prestart: bool, attempt: int = 1) -> dict:
    """Render ``job`` in this worker's kernel; if that kernel does not start or dies while it
    runs (:class:`KernelStartError`, :class:`KernelDiedError`, and only those) and this is the
    job's first attempt, once more in a plain new kernel (``attempts`` 2 in the result)."""
    from hemei_tools.render.execute import render_report
    from hemei_tools.render.kernels import this_worker

    worker = this_worker()
    try:
        km = None
        if prestart:  # this job's kernel was started ahead; start the next job's now
            km = worker.take_kernel(out)
            worker.prestart(out)
        return {**render_report(job.name, job.parameters, out, inputs=inputs, commit=commit, log_file=log_file,
                                kernel_manager=km, keep_previous=True, nav=job.nav).to_dict(), "attempts": attempt}
    except (KernelStartError, KernelDiedError) as exc:
        if attempt > 1:
            raise
        what = "failed to start" if isinstance(exc, KernelStartError) else "died"
        _log(log_file, f"kernel {what} ({exc}); retrying in a new kernel\n")
    return {**render_report(job.name, job.parameters, out, inputs=inputs, commit=commit,
                            log_file=log_file, keep_previous=True, nav=job.nav).to_dict(), "attempts": attempt + 1}


def _output_failure(job: Job, exc: OSError, out: Path) -> dict:
    """The failed result of a job whose run folder cannot be written, with the errno the batch
    needs to stop (``output_error``)."""
    result = _failed(job, str(output_error(exc, out)))
    result["output_error"] = [exc.errno, exc.strerror, exc.filename and str(exc.filename)]
    return result


def render_job(job: Job, out_dir: str, inputs: dict[str, str], commit: str | None,
               raise_unexpected: bool = False, prestart: bool = True,
               rehearsal: Job | None = None, attempt: int = 1) -> dict:
    """Render one job; return the result dict (also written into the job's stamp when ok).

    A failing notebook or any other error gives ``status == "failed"`` (the traceback in the
    job's log); a run folder that cannot be written (disk full, read-only, gone) adds
    ``output_error`` (``[errno, strerror, filename]``) so that the batch stops. Only a kernel
    that did not start twice (:class:`KernelStartError`) is re-raised when ``raise_unexpected``,
    so that Dask retries the job on another worker; a worker that dies is rescheduled by Dask
    itself. With ``prestart`` the job runs in the kernel this worker started ahead of need, and
    starts the next job's kernel right away, so that it boots while this one runs. With
    ``rehearsal`` (a job of the batch), the worker's kernel fork server first runs that report
    once, unless it already did (:meth:`hemei_tools.render.kernels.KernelWorker.rehearse`).
    ``attempt`` counts the workers the job was given to: from the second on, the log is
    appended to and a dead kernel is not retried again. The stamp of a failed job is kept when
    its last good HTML is (the index then lists that page as out of date).
    """
    from hemei_tools.render.kernels import this_worker
    from hemei_tools.render.notebooks import notebook_path

    out = Path(out_dir)
    log_file = out / "logs" / f"{job.stem}.log"
    stamp = out / f"{job.stem}.stamp.json"
    t0 = time.perf_counter()
    try:
        if not out.is_dir():  # never re-create a run folder that was removed or unmounted
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(out))
        log_file.parent.mkdir(exist_ok=True)
        head = f"{now_utc()} {job.name} {json.dumps(job.parameters, ensure_ascii=False)}"
        with open(log_file, "a" if attempt > 1 else "w", encoding="utf-8") as fh:
            fh.write(f"{head} (attempt {attempt})\n" if attempt > 1 else f"{head}\n")
        if rehearsal is not None:
            with contextlib.suppress(Exception):  # a rehearsal only saves time
                this_worker().rehearse(notebook_path(rehearsal.name), rehearsal.parameters)
        result = _render(job, out, inputs, commit, log_file, prestart, attempt)
    except HemeiError as exc:
        if isinstance(exc, KernelStartError):  # the plain new kernel did not start either
            _log(log_file, traceback.format_exc())
            if raise_unexpected:
                raise
        result = _failed(job, str(exc))
    except OSError as exc:
        _log(log_file, traceback.format_exc())
        result = (_output_failure(job, exc, out) if is_output_failure(exc, out)
                  else _failed(job, f"{type(exc).__name__}: {exc}".splitlines()[0][:500]))
    except Exception as exc:
        _log(log_file, traceback.format_exc())
        result = _failed(job, f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
    result["seconds"] = round(time.perf_counter() - t0, 2)
    result.setdefault("attempts", attempt)
    _log(log_file, f"{now_utc()} {result['status']} {result.get('error', '')}\n")
    portable = PortablePaths.of_run(job.parameters.get("data_dir", ""), out)  # no path of this machine
    with contextlib.suppress(OSError):
        portable.file(log_file)
    try:
        if result["status"] == "ok":
            write_json_atomic(stamp, portable.obj({"key": job.key, "result": json.loads(json.dumps(result, default=str))}),
                              make_parents=False)
        elif not (out / f"{job.stem}.html").is_file():
            stamp.unlink(missing_ok=True)
    except OSError as exc:  # the page is written, its stamp is not: rebuilt next time
        if is_output_failure(exc, out):
            result["output_error"] = _output_failure(job, exc, out)["output_error"]
    return result


# ---------------------------------------------------------------- schedulers

class _Stop:
    """Why the batch stops early: Ctrl-C (``interrupted``; a second one: ``cancel``), or a run
    folder that cannot be written (``output``, the error to raise at the end)."""

    def __init__(self) -> None:
        self.interrupted = False
        self.cancel = False
        self.output: OutputError | None = None

    @property
    def stopping(self) -> bool:
        return self.interrupted or self.output is not None

    @property
    def reason(self) -> str:
        return label_text("batch.interrupted") if self.interrupted else str(self.output or "")


def _memory_capped(workers: int) -> int:
    """``workers``, or fewer when the memory available cannot hold them
    (:func:`hemei_tools.batch.capacity.cap_workers`; said on stderr)."""
    from hemei_tools.batch.capacity import GB, PER_WORKER_BYTES, cap_workers, mem_available

    available = mem_available()
    used, why = cap_workers(workers, available=available)
    if why == "memory":
        _say(label_text("batch.workers_capped_memory").format(
            used=used, requested=workers, available=f"{available / GB:.1f} GB", per_worker=f"{PER_WORKER_BYTES / GB:.1f} GB"))
    return used


def _say(text: str) -> None:
    with contextlib.suppress(Exception):  # never fail in a signal handler (e.g. a re-entrant write)
        print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _on_sigint(stop: _Stop, raise_on_cancel: bool):
    """While active, Ctrl-C sets ``stop.interrupted`` (running jobs finish, no new one starts);
    a second Ctrl-C sets ``stop.cancel`` (and raises KeyboardInterrupt when ``raise_on_cancel``:
    the inline scheduler runs the report in this thread). Only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if not stop.interrupted:
            stop.interrupted = True
            _say(label_text("batch.interrupt.first"))
            return
        stop.cancel = True
        _say(label_text("batch.interrupt.again"))
        if raise_on_cancel:
            raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)


Runner = Callable[..., None]


def start_pool(workers: int, out_dir: Path):
    """A :class:`~hemei_tools.batch.pool.WorkerPool` of ``workers`` spawned processes that start
    warming up (imports, fork server, first kernel) right now."""
    from hemei_tools.batch.pool import WorkerPool

    return WorkerPool(workers, render_job, warm_worker, (str(out_dir),))


def _run_processes(jobs, out_dir, inputs, commit, workers, on_done, pool=None, rehearsal=None,
                   stop: _Stop | None = None) -> None:
    """Local worker pool (spawned workers, warmed once by :func:`warm_worker`); a worker that
    dies costs its job one retry in a fresh worker (:class:`~hemei_tools.batch.pool.WorkerPool`)."""
    stop = stop or _Stop()
    own = pool is None
    pool = pool if pool is not None else start_pool(min(workers, len(jobs)), out_dir)
    pool.shrink(len(jobs))

    def call(job, attempt):
        return (job, str(out_dir), inputs, commit), {"rehearsal": rehearsal, "attempt": attempt}

    def done(o) -> None:
        if o.cancelled:
            on_done(_interrupted(o.job, stop.reason, o.attempts))
        elif o.value is not None:
            on_done(o.value)
        else:
            error = (label_text("batch.worker_died").format(how=o.error, attempts=o.attempts) if o.died
                     else o.error)
            on_done({**_failed(o.job, error), "seconds": 0.0, "attempts": o.attempts})

    try:
        pool.run(jobs, call, done, stopping=lambda: stop.stopping, cancelling=lambda: stop.cancel)
    finally:
        if own:
            pool.close()


def _run_dask(jobs, out_dir, inputs, commit, workers, on_done, address: str | None = None,
              rehearsal=None, stop: _Stop | None = None) -> None:
    """Dask distributed: a LocalCluster of ``workers`` processes, or the scheduler at ``address``
    (whose own worker count then decides whether fork servers rehearse, :func:`choose_rehearsal`).
    When the batch stops (Ctrl-C, run folder not writable) every job not finished is cancelled."""
    from distributed import Client, LocalCluster, as_completed

    stop = stop or _Stop()
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
        pending = as_completed(list(futures))
        while not pending.is_empty():
            if stop.stopping:
                client.cancel([f for f in futures if not f.done()])
                break
            finished = pending.next_batch(block=False)
            if not finished:
                time.sleep(0.1)
            for fut in finished:
                job = futures[fut]
                try:
                    on_done(fut.result())
                except Exception as exc:
                    on_done(failed_result(job, exc))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_inline(jobs, out_dir, inputs, commit, workers, on_done, rehearsal=None,
                stop: _Stop | None = None) -> None:
    """In this process, one job after the other (debugging, profiling)."""
    stop = stop or _Stop()
    try:
        for i, job in enumerate(jobs):
            if stop.stopping:
                break
            try:
                on_done(render_job(job, str(out_dir), inputs, commit, prestart=i < len(jobs) - 1,
                                   rehearsal=rehearsal))
            except KeyboardInterrupt:  # a second Ctrl-C: the running report is cancelled
                on_done(_interrupted(job, stop.reason, 1))
                break
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
        ``result.ok`` is False when any report failed or was not built (the CLI then exits 1,
        or 130 when ``result.stopped == "interrupt"``: Ctrl-C).

    Raises
    ------
    OutputError
        The run folder cannot be written (disk full, read-only, no permission, gone); raised
        after the manifest and index of what was built are written where possible, with the
        batch's result as ``exc.result`` (None when nothing ran).
    InputReadError
        An input file cannot be read.
    BatchLockedError
        Another batch is writing the same run folder.

    Notes
    -----
    Long because every option is documented here; the code is about 50 lines.
    """
    t0 = time.perf_counter()
    levels = parse_levels(level)
    data = resolve_data_dir(data_dir)
    out = Path(out_dir).resolve() if out_dir else default_out_dir(data)
    runner = _scheduler(scheduler)
    asked = workers
    workers = _memory_capped(max(1, workers or os.cpu_count() or 1))
    try:
        inputs = hash_inputs(data)
    except OSError as exc:
        raise input_error(exc) from exc
    if not inputs:
        raise BatchError(f"no data files (csv, parquet, xlsx) in {data}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, out) from exc
    lock = RunLock(out)
    writable = lock.acquire(started=now_utc())
    stop = _Stop()
    pool, jobs, result = None, [], None
    try:
        with _on_sigint(stop, raise_on_cancel=scheduler == "inline"):
            # Likely work (forced, or new inputs): let the pool warm up while the data are read.
            if writable and scheduler == "processes" and (
                    force or read_json(out / MANIFEST).get("inputs_key") != inputs_key(inputs)):
                pool = start_pool(min(workers, job_bound(counties, levels, overview, selection) or workers), out)
            try:
                regions = available_regions(data, inputs, out)
                available = counties_of(regions)
                codes = parse_counties(counties, available)
                applicants = count_applicants(data, inputs, out) if selection else 0
            except OSError as exc:
                raise input_error(exc) from exc
            jobs = plan_jobs(codes if "county" in levels else [], year, data, inputs,
                             regions=plan_regions(regions, codes, levels, overview), selection=applicants > 0,
                             available=regions, index=INDEX, folder=out)
            if asked is not None and 0 < len(jobs) < workers:  # the pool is shrunk to the reports to build
                _say(label_text("batch.workers_capped_jobs").format(used=len(jobs), requested=workers, jobs=len(jobs)))
            result = BatchResult(out_dir=out)
            done = _build_all(jobs, out, inputs, workers, runner, pool, progress, force, result, stop, lock)
            if pool is not None:  # every worker gone before the manifest says what was built
                pool.close()
                pool = None
            result.reports = report_rows(jobs, done, regions, out)
            result.failed = sum(r["status"] == "failed" for r in result.reports)
            result.interrupted = sum(r["status"] == "interrupted" for r in result.reports)
            result.stopped = "interrupt" if stop.interrupted else "output" if stop.output else ""
            result.seconds = round(time.perf_counter() - t0, 2)
            manifest = build_manifest(result, data=data, year=year, scheduler=scheduler, workers=workers,
                                      levels=levels, overview=overview, inputs=inputs, regions=regions,
                                      counties=available, applicants=applicants if selection else None)
            _write_outputs(result, manifest, lock, stop)
    finally:
        if pool is not None:
            pool.close()
        if lock.held:
            with contextlib.suppress(OSError):
                _remove_leftovers(out, jobs)
        lock.release()
    if stop.output is not None:
        stop.output.result = result
        raise stop.output
    return result


def _same_state(previous: dict, manifest: dict) -> bool:
    """Whether ``manifest`` says what ``previous`` says about the folder: same inputs, options
    and reports with the same status and files (the run time, counts and skip flags aside)."""
    def state(m: dict):
        rows = [(r.get("stem"), r.get("status"), r.get("html"), r.get("notebook"), r.get("error"),
                 r.get("previous")) for r in m.get("reports", [])]
        return (m.get("version"), m.get("inputs_key"), m.get("year"), m.get("levels"), m.get("overview"),
                m.get("data_dir"), m.get("synthetic"), rows)

    return bool(previous) and state(previous) == state(manifest)


def _write_outputs(result: BatchResult, manifest: dict, lock: RunLock, stop: _Stop) -> None:
    """Write the manifest and index, unless nothing was built and either they would say the
    same as the ones in place or the folder cannot be written: a no-op re-run writes nothing, so
    it also succeeds on a read-only published folder. A folder that cannot be written sets
    ``stop.output`` (the first error wins)."""
    out = result.out_dir
    if (result.built == 0 and not result.interrupted and (out / INDEX).is_file()
            and (not lock.held or _same_state(read_json(out / MANIFEST), manifest))):
        return
    try:
        if not lock.held:
            raise _not_writable(lock, out)
        if not out.is_dir():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(out))
        write_outputs(result, manifest)
    except OSError as exc:
        if stop.output is None:
            stop.output = output_error(exc, out)


def _not_writable(lock: RunLock, out: Path) -> OSError:
    """Why the run folder cannot be written (the lock file could not be made), about the folder."""
    number = lock.error.errno if lock.error is not None else errno.EACCES
    return OSError(number, os.strerror(number), str(out))


def _build_all(jobs, out, inputs, workers, runner, pool, progress, force, result, stop, lock) -> dict[str, dict]:
    """Results by stem: the current reports' (from their stamps, ``skipped``), those of the
    jobs built now, and ``interrupted`` for the jobs the batch stopped before; a job not built
    whose last good page is still there gets ``previous`` (:func:`_previous`)."""
    done: dict[str, dict] = {}
    todo = []
    for job in jobs:
        current = None if force else is_current(job, out)
        if current is not None:
            done[job.stem] = {**current, "skipped": True}
        else:
            todo.append(job)
    result.skipped = len(done)
    if todo and not lock.held:  # a read-only folder: fine while there is nothing to build
        raise output_error(_not_writable(lock, out), out)
    _remove_leftovers(out, todo)
    if todo:
        _build(todo, out, inputs, workers, runner, pool, progress, done, result, stop)
    for job in todo:
        if job.stem not in done:
            done[job.stem] = {**_interrupted(job, stop.reason), "skipped": False}
        if done[job.stem]["status"] != "ok":
            previous = _previous(job, out)
            if previous:
                done[job.stem]["previous"] = previous
    return done


def _previous(job: Job, out: Path) -> dict | None:
    """The last good page of a job that was not built now, if it is still in place:
    ``{"html", "notebook", "built", "out_of_date"}`` (``built`` from its stamp, else the file's
    time; ``out_of_date`` unless its stamp has this job's key, i.e. it was built from the same
    inputs, code and parameters)."""
    html = out / f"{job.stem}.html"
    try:
        mtime = html.stat().st_mtime
    except OSError:
        return None
    stamp = read_json(out / f"{job.stem}.stamp.json")
    started = ((stamp.get("result") or {}).get("provenance") or {}).get("started")
    built = started or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
    notebook = out / f"{job.stem}.ipynb"
    return {"html": html.name, "notebook": notebook.name if notebook.is_file() else None,
            "built": built, "out_of_date": stamp.get("key") != job.key}


def _build(todo, out, inputs, workers, runner, pool, progress, done, result, stop) -> None:
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
        if res["status"] != "interrupted":
            result.built += 1
        result.failed += res["status"] == "failed"
        if res.get("output_error") and stop.output is None:
            number, reason, filename = res["output_error"]
            stop.output = output_error(OSError(number, reason, filename), out)
        if bar is not None:
            bar.set_postfix_str(f"{res['stem']} {res['status']}, failed={result.failed}")
            bar.update(1)

    try:
        if pool is not None:
            _run_processes(todo, out, inputs, commit, workers, on_done, pool=pool, rehearsal=rehearsal, stop=stop)
        else:
            runner(todo, out, inputs, commit, min(workers, len(todo)), on_done, rehearsal=rehearsal, stop=stop)
    finally:
        if bar is not None:
            bar.close()


def _remove_leftovers(out: Path, jobs: list[Job]) -> None:
    """Delete temporary files an interrupted run (or a worker that died) left for ``jobs``."""
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
