"""Faults during a batch: a worker or kernel fork server that dies costs one report (issue 12,
point 3), and nothing outlives the batch when its main process is killed or interrupted
(point 4).

The worker-pool tests use stand-in jobs (tests/batch/fault_helpers.py, spawned in a fraction
of a second). The batch tests run ``hemei batch`` as a real process tree on the demo data and
kill its members by pid at chosen moments: a worker is stopped (``SIGSTOP``) while a report's
temporary notebook shows it mid-report, so the kill lands inside that report whatever the
machine's load; every wait polls with a generous deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import fault_helpers  # tests/batch, on sys.path (pytest's rootdir-less test modules): spawned workers import it too
import psutil
import pytest

from hemei_tools.batch.pool import WorkerPool, describe_exit

HERE = Path(__file__).resolve().parent
COUNTIES = ["340705", "340706", "340711"]  # the three smallest demo counties
CLI = "from hemei_tools.cli import main; main()"
PATIENCE = 240.0  # seconds a batch step may take on a loaded 2-core machine


# ---------------------------------------------------------------- the worker pool (stand-in jobs)

def _run_pool(names, tmp_path, workers=2, **kw):
    """Run stand-in jobs on a WorkerPool; return {name: Outcome} and the never-started jobs."""
    outcomes = {}
    with WorkerPool(workers, fault_helpers.job, fault_helpers.mark_ready, (str(tmp_path),)) as pool:
        never = pool.run(names, lambda name, attempt: ((name, attempt, str(tmp_path)), {}),
                         lambda o: outcomes.__setitem__(o.job, o), **kw)
        pids = pool.pids
    return outcomes, never, pids


def _ran(tmp_path, name, attempt):
    f = tmp_path / f"{name}.{attempt}.pid"
    return int(f.read_text(encoding="utf-8")) if f.exists() else None


def test_a_dead_worker_costs_its_job_one_retry_in_a_fresh_worker(tmp_path):
    names = ["a", "die-once", "b", "c", "d"]
    outcomes, never, _ = _run_pool(names, tmp_path)
    assert never == [] and sorted(outcomes) == sorted(names)
    assert {n: (o.value or {}).get("attempt") for n, o in outcomes.items()} == {
        "a": 1, "die-once": 2, "b": 1, "c": 1, "d": 1}
    assert all(o.error == "" and not o.died for o in outcomes.values())
    first, second = _ran(tmp_path, "die-once", 1), _ran(tmp_path, "die-once", 2)
    assert first != second and not psutil.pid_exists(first)  # the retry ran in a new process
    assert len(list(tmp_path.glob("ready.*"))) == 3  # two workers, and the one that replaced the dead


def test_a_job_whose_worker_dies_twice_fails_and_the_others_go_on(tmp_path):
    outcomes, never, _ = _run_pool(["a", "die-always", "raise", "b"], tmp_path)
    dead = outcomes["die-always"]
    assert (dead.value, dead.died, dead.attempts, dead.error) == (None, True, 2, "killed by SIGKILL")
    assert outcomes["raise"].error == "ValueError: bad job" and not outcomes["raise"].died
    assert outcomes["a"].value["attempt"] == 1 and outcomes["b"].value["attempt"] == 1
    assert describe_exit(3) == "exit code 3" and describe_exit(-15) == "killed by SIGTERM"


def test_a_stopping_pool_starts_no_job_and_a_cancelled_one_kills_the_running(tmp_path):
    outcomes = {}

    def record(o):
        outcomes[o.job] = o

    def call(name, attempt):
        return (name, attempt, str(tmp_path)), {}

    with WorkerPool(1, fault_helpers.job) as pool:
        never = pool.run(["a", "b", "c"], call, record, stopping=lambda: bool(outcomes))
        assert never == ["b", "c"] and list(outcomes) == ["a"]
        assert _ran(tmp_path, "b", 1) is None and _ran(tmp_path, "c", 1) is None  # never touched

        outcomes.clear()
        started = time.monotonic()
        never = pool.run(["slow", "d"], call, record, cancelling=lambda: _ran(tmp_path, "slow", 1) is not None)
        slow_pid = _ran(tmp_path, "slow", 1)
    assert outcomes["slow"].cancelled and never == ["d"]
    assert time.monotonic() - started < 30
    _wait(lambda: not _alive([(slow_pid, None)]), 10, "the cancelled worker to exit")


# ---------------------------------------------------------------- process helpers

def _alive(procs) -> list[int]:
    """Pids of ``[(pid, create_time)]`` still running (zombies count as gone)."""
    alive = []
    for pid, created in procs:
        try:
            p = psutil.Process(pid)
            if (created is None or p.create_time() == created) and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _cmd(proc) -> str:
    """The command line of a process (a ``psutil.Process`` or pid); "" once it is gone or a zombie."""
    try:
        return " ".join((proc if isinstance(proc, psutil.Process) else psutil.Process(proc)).cmdline())
    except psutil.Error:
        return ""


def _tree(pid: int) -> set[tuple[int, float]]:
    try:
        return {(c.pid, c.create_time()) for c in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the batch exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _stop(pid: int) -> bool:
    """SIGSTOP ``pid`` and wait until it is stopped; False when it is gone."""
    try:
        os.kill(pid, signal.SIGSTOP)
        _wait(lambda: psutil.Process(pid).status() in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE), 10,
              f"process {pid} to stop")
        return psutil.Process(pid).status() == psutil.STATUS_STOPPED
    except psutil.NoSuchProcess:
        return False


def _running(out: Path, exclude=()) -> list[tuple[str, int]]:
    """Reports running their cells now, as ``(stem, worker pid)``.

    A job's log names the temporary notebook (whose name holds the worker's pid) and says when
    the kernel runs; papermill writes that notebook once the cells have run (the worker then
    exports and writes the pages, and removes it). So a log that says the kernel runs while
    neither the temporary notebook nor the page exists means the report is running its cells
    (and stays so while its worker is stopped); the worker must be alive (not a log left by a
    run that was killed).
    """
    found = []
    for log in sorted((out / "logs").glob("*.log")):
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        m = re.search(r"Output Notebook:\s*\S*/(\.(\w+)\.(\d+)\.running\.ipynb)", text)
        if (m and m.group(2) not in exclude and "Executing notebook with kernel" in text
                and not (out / m.group(1)).exists() and not (out / f"{m.group(2)}.html").exists()
                and _alive([(int(m.group(3)), None)])):
            found.append((m.group(2), int(m.group(3))))
    return found


def _catch_report(out: Path, proc, exclude: set[str]) -> tuple[str, int]:
    """A report running its cells and its worker, stopped (:func:`_running`)."""
    def find():
        for stem, pid in _running(out, exclude):
            if not _stop(pid):
                continue
            if (stem, pid) in _running(out, exclude):  # still so with the worker stopped: frozen
                return stem, pid
            os.kill(pid, signal.SIGCONT)
        return None

    return _wait(find, PATIENCE, "a report running its cells", proc)


def _env(tmp_path: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env.update(HEMEI_CACHE_DIR=str(cache), TMPDIR=str(tmp_path / "tmp"), HEMEI_REHEARSE="0")
    return env


def _batch(data: Path, out: Path, tmp_path: Path, cache: Path, *extra: str) -> subprocess.Popen:
    """``hemei batch`` over the demo counties as its own session (as from a terminal)."""
    log = open(tmp_path / f"batch-{time.monotonic_ns()}.txt", "w", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "batch", "--data", str(data), "--out", str(out),
         "--counties", ",".join(COUNTIES), "--no-overview", "--no-selection", *extra],
        env=_env(tmp_path, cache), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = Path(log.name)
    return proc


def _finish(proc: subprocess.Popen, timeout: float = PATIENCE) -> tuple[int, str]:
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return rc, proc.log.read_text(encoding="utf-8")


def _manifest(out: Path) -> dict[str, dict]:
    return {r["stem"]: r for r in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


# ---------------------------------------------------------------- the batch (real processes)

@pytest.mark.slow
@pytest.mark.serial
def test_a_killed_worker_and_a_killed_fork_server_cost_one_report_each(demo_dir, tmp_path, cache):
    """A pool worker killed mid-report (as the out-of-memory killer would) and, later, the kernel
    fork server of a worker whose report is running its cells: each costs exactly its report one
    retry; every report ends ok."""
    out = tmp_path / "run"
    proc = _batch(demo_dir, out, tmp_path, cache, "--workers", "2")
    seen: set = set()
    try:
        first, worker = _catch_report(out, proc, set())
        seen |= _tree(proc.pid)
        os.kill(worker, signal.SIGKILL)  # the worker dies with the report in hand

        second, other = _catch_report(out, proc, {first})
        seen |= _tree(proc.pid)
        servers = _wait(lambda: [c for c in psutil.Process(other).children() if "serve_kernel_forks" in _cmd(c)],
                        30, "the fork server of the stopped worker")
        assert len(servers) == 1, servers
        servers[0].kill()
        _wait(lambda: not _alive([(servers[0].pid, None)]), 30, "the fork server to die")
        os.kill(other, signal.SIGCONT)
        rc, log = _finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert rc == 0, log
    rows = _manifest(out)
    assert {s: r["status"] for s, r in rows.items()} == dict.fromkeys(COUNTIES, "ok")
    assert {s: r["attempts"] for s, r in rows.items()} == {
        s: 2 if s in (first, second) else 1 for s in COUNTIES}
    assert "kernel died" in (out / "logs" / f"{second}.log").read_text(encoding="utf-8")
    assert not list(out.glob(".*")) and not list((tmp_path / "tmp").glob("hemei-forks-*"))
    assert _wait(lambda: not _alive(seen), 30, "every process of the batch to exit")


@pytest.mark.slow
@pytest.mark.serial
def test_nothing_outlives_a_killed_or_interrupted_batch_and_a_rerun_builds_what_is_missing(
        demo_dir, tmp_path, cache):
    """kill -9 of the batch's main process, then Ctrl-C (SIGINT to its process group) of the
    re-run: no worker, fork server or kernel survives either, no socket folder is left, the
    reports never started are untouched, and a re-run would build exactly the missing ones."""
    out = tmp_path / "run"
    forks = tmp_path / "tmp"

    # 1. kill -9 of the main process once one report is built and the next one is running
    #    (its worker stopped meanwhile, so that it cannot finish it either)
    proc = _batch(demo_dir, out, tmp_path, cache, "--workers", "1")
    try:
        first = _wait(lambda: [p.name.split(".")[0] for p in out.glob("*.stamp.json")], PATIENCE,
                      "a finished report", proc)
        _catch_report(out, proc, set(first))
        def tree_with_server():
            t = _tree(proc.pid)
            return t if any("serve_kernel_forks" in _cmd(p) for p in _alive(t)) else None

        tree = _wait(tree_with_server, 30, "a fork server in the batch's process tree")
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    _wait(lambda: not _alive(tree), 30, "the workers, fork servers and kernels to exit")
    _wait(lambda: not list(forks.glob("hemei-forks-*")), 10, "the socket folders to be removed")
    pages = sorted(p.name for p in out.glob("*.html"))
    time.sleep(1)
    assert sorted(p.name for p in out.glob("*.html")) == pages  # nobody writes after the kill
    built_a = {p.name.split(".")[0] for p in out.glob("*.stamp.json")}
    assert len(built_a) == 1

    # 2. Ctrl-C of a re-run (one worker): the running report finishes, the others never start.
    #    Its worker is stopped until the batch has taken the Ctrl-C, so that it cannot start another.
    logs_before = {p.name: p.stat().st_mtime_ns for p in (out / "logs").glob("*.log")}
    proc = _batch(demo_dir, out, tmp_path, cache, "--workers", "1")
    try:
        running, worker = _catch_report(out, proc, built_a)
        tree = _tree(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
        _wait(lambda: "Ctrl-C" in proc.log.read_text(encoding="utf-8"), 60, "the batch to take the Ctrl-C", proc)
        os.kill(worker, signal.SIGCONT)
        rc, log = _finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert rc == 130, log
    assert "已中断" in log and "Traceback" not in log
    _wait(lambda: not _alive(tree), 30, "every process of the interrupted run to exit")
    assert not list(forks.glob("hemei-forks-*")) and not list(out.glob(".*"))
    rows = _manifest(out)
    status = {s: r["status"] for s, r in rows.items()}
    assert status[running] == "ok"
    never = sorted(s for s, st in status.items() if st == "interrupted")
    assert never and set(never) == set(COUNTIES) - built_a - {running}
    for stem in never:  # not started: no stamp made or removed, log untouched
        assert not (out / f"{stem}.stamp.json").exists()
        log_file = out / "logs" / f"{stem}.log"
        assert logs_before.get(log_file.name) == (log_file.stat().st_mtime_ns if log_file.exists() else None)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(re.search(rf'id="row-{s}"[^>]*data-status="interrupted"', page) for s in never)

    # 3. a re-run would build exactly what is missing: the reports built are current
    from hemei_tools.batch.plan import available_regions, is_current, plan_jobs
    from hemei_tools.inputs.fingerprint import hash_inputs
    from hemei_tools.paths import resolve_data_dir

    data = resolve_data_dir(demo_dir)
    inputs = hash_inputs(data)  # planned as the batch plans them: with each page's navigation
    jobs = plan_jobs(COUNTIES, 2023, data, inputs, available=available_regions(data, inputs, out),
                     index="index.html", folder=out)
    assert sorted(j.stem for j in jobs if is_current(j, out) is None) == never
