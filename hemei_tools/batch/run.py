"""Render the reports of a data set per county and per city, the region overview and the village
selection, in parallel, incrementally.

:func:`run_batch` plans one job per report: a county report per county (level ``county``), a
region overview per city (level ``city``), the overview of the data set's whole region (the
city, or the province when the data span several cities) and, when the data hold applicants
(精品示范村申报), the village selection. It skips the jobs whose stamp says nothing changed,
runs the rest on a scheduler from :data:`SCHEDULERS` and writes, into the run folder::

    <out>/<county_code>.html, .ipynb     one report per county (or <code>.failed.ipynb)
    <out>/<region_code>.html, .ipynb     region overviews: a city (340700), the province (340000)
    <out>/village_selection.html, .ipynb the 精品示范村 selection (only with applicant data)
    <out>/<stem>.stamp.json              what the report was built from (incremental re-runs)
    <out>/logs/<stem>.log                papermill log and cell output of each job
    <out>/index.html, manifest.json      one row per report: headline figures, status, links

A job's stamp key is ``sha256(json([notebook sha256, parameters, input file hashes, package
version]))``: a report is rebuilt only when one of those changed (or with ``force``). A failing
county is recorded as failed (error, failed notebook, log) and never stops the others; all
outputs are written atomically, so an interrupted batch leaves whole files and resumes.

Schedulers: ``processes`` (a local process pool whose workers import papermill, nbconvert,
pandas and matplotlib once), ``dask`` (a ``distributed.LocalCluster``) and ``tcp://HOST:PORT``
(an existing Dask scheduler; workers must see the data and output folders at the same paths).
On Dask, a job whose worker dies or whose kernel fails to start is retried.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hemei_tools import __version__
from hemei_tools.errors import HemeiError
from hemei_tools.inputs.fingerprint import hash_inputs, sha256_file, sha256_text
from hemei_tools.paths import (
    default_out_dir,
    resolve_data_dir,
    write_atomic,
    write_json_atomic,
)
from hemei_tools.render.provenance import git_commit, now_utc

MANIFEST = "manifest.json"
INDEX = "index.html"
#: Report levels of ``--level`` -> the template notebook that reports one region of that level.
LEVELS = {"county": "county_report", "city": "region_overview"}
OVERVIEW = "region_overview"
SELECTION = "village_selection"
#: Names of the region levels in the index page.
LEVEL_NAMES = {"province": "全省", "city": "市", "county": "县区"}
DASK_RETRIES = 2
_CODE_RE = re.compile(r"^\d{6}$")


class BatchError(HemeiError):
    """The batch cannot start: bad county list, missing data, unknown scheduler."""


@dataclass
class Job:
    """One report to build: report kind, output stem, parameters and the stamp key."""

    name: str
    stem: str
    parameters: dict
    key: str = ""


@dataclass
class BatchResult:
    """Outcome of a batch: the manifest written to ``manifest.json`` and where it is.

    Attributes
    ----------
    out_dir
        The run folder.
    reports
        One dict per report (``ReportResult.to_dict()`` plus ``skipped``), paths relative to
        ``out_dir``.
    built, skipped, failed
        Counts of rebuilt, unchanged and failed reports.
    seconds
        Wall time of the whole batch (s).
    """

    out_dir: Path
    reports: list[dict] = field(default_factory=list)
    built: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no report failed."""
        return self.failed == 0


# ---------------------------------------------------------------- data folder and planning

def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _inputs_key(inputs: dict[str, str]) -> str:
    return sha256_text(json.dumps(inputs, sort_keys=True))


def _data_fact(name: str, data_dir: Path, inputs: dict[str, str], out_dir: Path, compute: Callable[[], object]):
    """A fact about the input data (``regions``, ``applicants``), computed once per input.

    Taken from the run folder's previous manifest when the input hashes are unchanged (so a
    no-op re-run does not even import pandas), else from the store
    (:func:`hemei_tools.inputs.store.remember_fact`: a new run folder over the same data), else
    computed by ``compute`` and stored.
    """
    key = _inputs_key(inputs)
    previous = _read_json(out_dir / MANIFEST)
    if previous.get("inputs_key") == key and previous.get(name) is not None:
        return previous[name]
    from hemei_tools.inputs.store import remember_fact  # pandas: only on a new run folder

    return remember_fact(name, inputs, compute)


def available_regions(data_dir: Path, inputs: dict[str, str], out_dir: Path) -> list[dict]:
    """Regions in the data as ``[{"level", "region_code", "region_name", "parent_code"}]``
    (:func:`hemei_tools.inputs.regions.list_regions`: the province when the data span several
    cities, cities, counties; six-digit codes); computed once per input (:func:`_data_fact`).
    """
    def compute() -> list[dict]:
        from hemei_tools.inputs.regions import list_regions

        return [{"level": str(r.level), "region_code": str(r.region_code), "region_name": str(r.region_name),
                 "parent_code": str(r.parent_code)} for r in list_regions(data_dir).itertuples(index=False)]

    return _data_fact("regions", data_dir, inputs, out_dir, compute)


def counties_of(regions: list[dict]) -> list[dict]:
    """The counties of :func:`available_regions` as ``[{"county_code", "county_name"}]``."""
    return [{"county_code": r["region_code"], "county_name": r["region_name"]}
            for r in regions if r["level"] == "county"]


def parse_levels(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Report levels to build: ``county``, ``city`` or both (``"city,county"``), as a tuple in
    :data:`LEVELS` order.

    Raises
    ------
    BatchError
        For an unknown level or an empty list.
    """
    items = [s.strip().lower() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    bad = [s for s in items if s not in LEVELS]
    if bad or not items:
        raise BatchError(f"unknown report level(s) {', '.join(bad) or '(none)'}: use {', '.join(LEVELS)} "
                         "or a comma-separated list of them")
    return tuple(level for level in LEVELS if level in items)


def plan_regions(regions: list[dict], codes: list[str], levels: tuple[str, ...], overview: bool) -> list[str]:
    """Codes of the region overviews to build, top region first, then cities by code.

    ``overview`` adds the data set's top region(s) (those without a parent: the province,
    or the city when the data hold one city); level ``city`` adds every city holding one of
    the selected counties ``codes``. A city that is also the top region is built once.
    """
    wanted: list[str] = []
    if overview:
        wanted += [r["region_code"] for r in regions if not r["parent_code"]]
    if "city" in levels:
        parents = {r["region_code"]: r["parent_code"] for r in regions if r["level"] == "county"}
        cities = {parents[c] for c in codes if parents.get(c)}
        wanted += [r["region_code"] for r in regions if r["level"] == "city" and r["region_code"] in cities]
    return list(dict.fromkeys(wanted))


def count_applicants(data_dir: Path, inputs: dict[str, str], out_dir: Path) -> int:
    """Rows of the data set's applicant table (精品示范村申报; 0 when it has none); computed
    once per input, like :func:`available_regions`."""
    def compute() -> int:
        from hemei_tools.inputs.store import load_dataset_cached

        apps = getattr(load_dataset_cached(data_dir), "applicants", None)
        return 0 if apps is None else len(apps)

    return int(_data_fact("applicants", data_dir, inputs, out_dir, compute))


def parse_counties(spec: str | Iterable[str], available: list[dict]) -> list[str]:
    """County codes to build: ``"all"`` or a comma-separated list (or iterable) of six-digit codes.

    Raises
    ------
    BatchError
        For a malformed code or a code not present in the data (listing those available).
    """
    known = [c["county_code"] for c in available]
    if isinstance(spec, str):
        if spec.strip().lower() == "all":
            return known
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    codes = list(dict.fromkeys(str(s) for s in spec))
    bad = [c for c in codes if not _CODE_RE.match(c)]
    if bad:
        raise BatchError(f"county codes must be six digits: {', '.join(bad)}")
    missing = [c for c in codes if c not in known]
    if missing:
        raise BatchError(f"county code(s) {', '.join(missing)} not in the data; available: {', '.join(known)}")
    if not codes:
        raise BatchError("no county selected: pass --counties all or a list of codes")
    return codes


def stamp_key(notebook_sha256: str, parameters: dict, inputs: dict[str, str]) -> str:
    """Key that changes when the notebook, the parameters, the inputs or the package version do."""
    return sha256_text(json.dumps([notebook_sha256, parameters, inputs, __version__], sort_keys=True))


def plan_jobs(codes: list[str], year: int, data_dir: Path, inputs: dict[str, str],
              regions: Iterable[str] = (), selection: bool = False) -> list[Job]:
    """The run's jobs, with stamp keys: a region overview per code in ``regions`` (six-digit
    city or province codes), a county report per code in ``codes``, and the village
    selection once (if ``selection``)."""
    from hemei_tools.render.execute import notebook_path, report_stem

    data = str(data_dir)
    specs = [(OVERVIEW, {"region_code": r, "year": int(year), "data_dir": data}) for r in regions]
    specs += [(LEVELS["county"], {"county_code": c, "year": int(year), "data_dir": data}) for c in codes]
    if selection:
        specs.append((SELECTION, {"year": int(year), "data_dir": data}))
    digests: dict[str, str] = {}
    jobs = []
    for name, params in specs:
        if name not in digests:
            digests[name] = sha256_file(notebook_path(name))
        jobs.append(Job(name, report_stem(name, params), params, stamp_key(digests[name], params, inputs)))
    return jobs


def _is_current(job: Job, out_dir: Path) -> dict | None:
    stamp = _read_json(out_dir / f"{job.stem}.stamp.json")
    if stamp.get("key") == job.key and (out_dir / f"{job.stem}.html").is_file():
        return stamp.get("result") or None
    return None


# ---------------------------------------------------------------- running one job (in a worker)

_NEXT_KERNEL: list = []  # the kernel this worker process started ahead of its next job
_FORK_SERVER: list = []  # this worker's KernelForkServer, if kernels are forked
#: Set ``HEMEI_FORK_KERNELS=0`` to start every kernel as a new process instead of forking it.
FORK_KERNELS_ENV = "HEMEI_FORK_KERNELS"
#: Set ``HEMEI_REHEARSE=0`` to skip the fork servers' rehearsal report (:func:`choose_rehearsal`).
REHEARSE_ENV = "HEMEI_REHEARSE"
#: County reports each worker must have for its fork server to rehearse one first.
REHEARSE_MIN_JOBS = 5


def _stop_prestarted() -> None:
    from hemei_tools.render.execute import stop_kernel

    while _NEXT_KERNEL:
        stop_kernel(_NEXT_KERNEL.pop())


def _shutdown_worker() -> None:
    _stop_prestarted()
    while _FORK_SERVER:
        _FORK_SERVER.pop().close()


def _fork_server():
    """This worker's kernel fork server (started on first use), or None when disabled."""
    if os.environ.get(FORK_KERNELS_ENV, "1") == "0" or sys.platform == "win32":
        return None
    if not _FORK_SERVER:
        from hemei_tools.render.execute import KernelForkServer

        _FORK_SERVER.append(KernelForkServer())
    return _FORK_SERVER[0]


def _new_kernel(cwd: str):
    from hemei_tools.render.execute import start_kernel

    return start_kernel(cwd, fork_server=_fork_server())


def _prestart(cwd: str) -> None:
    """Start the kernel for this worker's next job now, so it is ready when the job comes."""
    _stop_prestarted()
    _NEXT_KERNEL.append(_new_kernel(cwd))


def _take_kernel(cwd: str):
    return _NEXT_KERNEL.pop() if _NEXT_KERNEL else _new_kernel(cwd)


def warm_worker(out_dir: str | None = None) -> None:
    """Prepare a worker process once: start its kernel fork server (which imports pandas,
    matplotlib and hemei_tools in its own process, meanwhile), import papermill and build the
    nbconvert exporter here (the worker itself never needs pandas or matplotlib), and shut
    kernels down at exit. Without a fork server, also start the kernel of the worker's first
    job (in ``out_dir``); with one, the first job forks its kernel after the server's
    rehearsal (see :func:`render_job`)."""
    import atexit
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _shutdown_worker, exitpriority=10)
    atexit.register(_shutdown_worker)
    _fork_server()
    from hemei_tools.render import execute as reports

    reports.skip_slow_imports()
    import papermill  # noqa: F401

    reports._html_exporter()
    logging.getLogger("papermill").propagate = False
    if out_dir is not None and not _NEXT_KERNEL and not _FORK_SERVER:
        _prestart(out_dir)


def _rehearse(rehearsal: Job | None) -> None:
    """Once per worker and data folder: let the fork server rehearse ``rehearsal`` (a report of
    the batch) so that the kernels it forks afterwards start warm
    (:func:`hemei_tools.render.execute.rehearse_report`). A Dask worker that serves batches over
    several data folders (one per province) rehearses once for each."""
    server = _fork_server() if rehearsal is not None else None
    if server is None or str(rehearsal.parameters.get("data_dir", "")) in server.rehearsed:
        return
    from hemei_tools.render.execute import notebook_path

    _stop_prestarted()  # forked before the rehearsal: cold
    with contextlib.suppress(HemeiError):  # the server is gone or slow: the job's kernel start reports it
        server.rehearse(notebook_path(rehearsal.name), rehearsal.parameters)


def render_job(job: Job, out_dir: str, inputs: dict[str, str], commit: str | None,
               raise_unexpected: bool = False, prestart: bool = True,
               rehearsal: Job | None = None) -> dict:
    """Render one job; return the result dict (also written into the job's stamp when ok).

    A failing notebook gives ``status == "failed"``; an unexpected error (kernel did not
    start, worker problem) is also recorded as failed, or re-raised when
    ``raise_unexpected`` so that Dask can retry the job. With ``prestart`` the job runs in the
    kernel this worker started ahead of need, and starts the next job's kernel right away, so
    that it boots while this one runs.
    With ``rehearsal`` (a job of the batch), the worker's kernel fork server first runs that
    report once, unless it already did (see :func:`_rehearse`).
    """
    from hemei_tools.render.execute import render_report

    out = Path(out_dir)
    log_dir = out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{job.stem}.log"
    log_file.write_text(f"{now_utc()} {job.name} {json.dumps(job.parameters, ensure_ascii=False)}\n",
                        encoding="utf-8")
    stamp = out / f"{job.stem}.stamp.json"
    _rehearse(rehearsal)
    t0 = time.perf_counter()
    try:
        try:
            km = None
            if prestart:  # this job's kernel was started ahead; start the next job's now
                km = _take_kernel(out_dir)
                _prestart(out_dir)
            result = render_report(job.name, job.parameters, out, inputs=inputs, commit=commit,
                                   log_file=log_file, kernel_manager=km).to_dict()
        except RuntimeError as exc:  # the kernel died on start-up: once more, in a plain new kernel
            with open(log_file, "a", encoding="utf-8") as fh:
                fh.write(f"kernel failed ({exc}); retrying in a new kernel\n")
            result = render_report(job.name, job.parameters, out, inputs=inputs, commit=commit,
                                   log_file=log_file).to_dict()
    except HemeiError as exc:
        result = {"name": job.name, "stem": job.stem, "status": "failed", "error": str(exc),
                  "html": None, "notebook": None, "summary": {}, "provenance": {}}
    except Exception as exc:
        with open(log_file, "a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        if raise_unexpected:
            raise
        result = {"name": job.name, "stem": job.stem, "status": "failed",
                  "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500],
                  "html": None, "notebook": None, "summary": {}, "provenance": {}}
    result["seconds"] = round(time.perf_counter() - t0, 2)
    with open(log_file, "a", encoding="utf-8") as fh:
        fh.write(f"{now_utc()} {result['status']} {result.get('error', '')}\n")
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
                on_done(_crashed(job, exc))


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
                on_done(_crashed(job, exc))
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
        _shutdown_worker()


#: Scheduler name -> runner. ``tcp://`` addresses are dispatched to the Dask runner.
SCHEDULERS: dict[str, Runner] = {
    "processes": _run_processes,
    "dask": _run_dask,
    "inline": _run_inline,
}


def _crashed(job: Job, exc: BaseException) -> dict:
    return {"name": job.name, "stem": job.stem, "status": "failed", "html": None, "notebook": None,
            "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500], "summary": {},
            "provenance": {}, "seconds": 0.0}


def _scheduler(name: str) -> Runner:
    if name.startswith("tcp://"):
        return lambda *args, **kw: _run_dask(*args, address=name, **kw)
    if name not in SCHEDULERS:
        raise BatchError(f"unknown scheduler {name!r}: use processes, dask or tcp://HOST:PORT")
    return SCHEDULERS[name]


# ---------------------------------------------------------------- index and manifest

def _relative(path: str | None, out_dir: Path) -> str | None:
    if not path:
        return None
    try:
        return Path(path).resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def render_index(manifest: dict) -> str:
    """The run's ``index.html``: one row per report with headline figures, status and links."""
    from importlib import resources

    import jinja2

    from hemei_tools.render.execute import SYNTHETIC_BANNER

    text = (resources.files("hemei_tools.render") / "templates" / "batch_index.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    labels: list[str] = []
    for rep in manifest["reports"]:
        for fig in rep.get("summary", {}).get("figures", []):
            if fig["label"] not in labels:
                labels.append(fig["label"])
    units = {}
    for rep in manifest["reports"]:
        for fig in rep.get("summary", {}).get("figures", []):
            units.setdefault(fig["label"], fig.get("unit", ""))
    return env.from_string(text).render(m=manifest, labels=labels, units=units, banner=SYNTHETIC_BANNER,
                                        levels=LEVEL_NAMES)


def write_outputs(result: BatchResult, manifest: dict) -> None:
    """Write ``manifest.json`` and ``index.html`` atomically into the run folder."""
    write_json_atomic(result.out_dir / MANIFEST, manifest)
    write_atomic(result.out_dir / INDEX, render_index(manifest))


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
        Data folder; default ``data/demo`` (generated if missing).
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
    if scheduler == "processes" and (force or _read_json(out / MANIFEST).get("inputs_key") != _inputs_key(inputs)):
        pool = start_pool(workers, out)
    try:
        regions = available_regions(data, inputs, out)
        available = counties_of(regions)
        codes = parse_counties(counties, available)
        applicants = count_applicants(data, inputs, out) if selection else 0
        jobs = plan_jobs(codes if "county" in levels else [], year, data, inputs,
                         regions=plan_regions(regions, codes, levels, overview), selection=applicants > 0)
    except BaseException:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        raise

    result = BatchResult(out_dir=out)
    done: dict[str, dict] = {}
    todo = []
    for job in jobs:
        current = None if force else _is_current(job, out)
        if current is not None:
            done[job.stem] = {**current, "skipped": True}
        else:
            todo.append(job)
    result.skipped = len(done)
    _remove_leftovers(out, todo)

    try:
        if todo:
            _build(todo, out, inputs, workers, runner, pool, progress, done, result)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    by_code = {r["region_code"]: r for r in regions}
    for job in jobs:
        rep = done.get(job.stem) or _crashed(job, RuntimeError("no result returned"))
        region = by_code.get(job.parameters.get("county_code") or job.parameters.get("region_code") or "", {})
        county = region.get("level") == "county"
        rep = {**rep, "html": _relative(rep.get("html"), out), "notebook": _relative(rep.get("notebook"), out),
               "log": f"logs/{job.stem}.log" if (out / "logs" / f"{job.stem}.log").exists() else None,
               "level": region.get("level", ""), "region_code": region.get("region_code", ""),
               "region_name": region.get("region_name", ""),
               "county_code": region["region_code"] if county else "",
               "county_name": region["region_name"] if county else ""}
        result.reports.append(rep)
    result.failed = sum(r["status"] != "ok" for r in result.reports)
    result.seconds = round(time.perf_counter() - t0, 2)
    manifest = {
        "tool": "hemei-tools", "version": __version__, "created": now_utc(),
        "data_dir": str(data), "year": int(year), "scheduler": scheduler, "workers": workers,
        "levels": list(levels), "overview": bool(overview),
        "inputs_key": _inputs_key(inputs),
        "inputs": [{"file": k, "sha256": v} for k, v in inputs.items()],
        "regions": regions, "counties": available,
        **({"applicants": applicants} if selection else {}),
        "synthetic": any(r.get("summary", {}).get("synthetic") for r in result.reports),
        "built": result.built, "skipped": result.skipped, "failed": result.failed,
        "seconds": result.seconds, "reports": result.reports,
    }
    write_outputs(result, manifest)
    return result


def _build(todo, out, inputs, workers, runner, pool, progress, done, result) -> None:
    """Check parameters, then run the jobs that need building and record their results."""
    from hemei_tools.render.execute import check_parameters, notebook_path

    for name in {j.name for j in todo}:  # declared-parameter check before anything runs
        check_parameters(notebook_path(name), next(j for j in todo if j.name == name).parameters)
    commit = git_commit()
    rehearsal = choose_rehearsal(todo, workers)
    bar = _progress_bar(len(todo), progress)
    # Overviews and the selection read many counties: submitted first so they do not end the run alone.
    todo = sorted(todo, key=lambda j: j.name == LEVELS["county"])

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


def choose_rehearsal(jobs: list[Job], workers: int) -> Job | None:
    """The county report each worker's fork server rehearses before forking kernels, or None.

    A rehearsal costs about one report per worker (2 s at Anhui scale) and saves about 0.5 s
    in each later county report of that worker (2.2 → 1.7 s, ``benchmarks/README.md``), so it
    pays from about four reports on: it is chosen only when every worker has at least
    :data:`REHEARSE_MIN_JOBS` county reports to build, and not when ``HEMEI_REHEARSE=0``.
    """
    county = [j for j in jobs if j.name == LEVELS["county"]]
    if os.environ.get(REHEARSE_ENV, "1") == "0" or len(county) < REHEARSE_MIN_JOBS * max(1, workers):
        return None
    return county[0]


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
