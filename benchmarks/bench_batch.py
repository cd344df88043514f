"""Benchmark: per-county reports the naive way, with ``hemei batch``, and the no-kernel floor.

Approaches, measured in one run on the same data and counties (compare ratios, not seconds:
the machine's speed drifts):

(a) naive: a shell loop of ``papermill`` CLI then ``jupyter nbconvert --to html`` CLI per county;
(b) ``hemei batch --workers W --force --no-overview --no-selection`` (process pool, forked
    kernels, rehearsals);
(c) floor: the same notebook cells run as plain Python in ``W`` worker processes, no kernel,
    same charts (an IPython shell in-process with the inline backend, figures rendered to PNG),
    a fresh namespace per report and the data set memoised per process.

(b') with ``--baseline REV``: the same ``hemei batch`` command from an earlier commit ``REV``
    (a temporary ``git worktree`` with its own venv, installed with the current venv's
    versions as constraints, removed at the end), on the same data and counties.

``--current REV`` runs (b) and (c) on a clean checkout of ``REV`` the same way, instead of the
working tree (which others may be editing while the benchmark runs).

With ``--rounds N`` the approaches run interleaved, (c), (b), (b') and again, N times; the
median of each approach is reported, with the ratios (b)/(c), (b')/(c) and (b)/(b'). Beside
wall seconds each approach's CPU seconds are given (user + system of its whole process tree,
``RUSAGE_CHILDREN``): on a shared machine they are the steadier figure.

Also: the no-op re-run of ``hemei batch`` (nothing changed) and the HTML sizes. With
``--export NOTEBOOK`` it only times the HTML export of an executed report notebook (median of
``--repeat`` exports in this process, after one untimed export that builds the exporter).

Usage::

    .venv/bin/python benchmarks/bench_batch.py --scale tongling            # 4 counties
    .venv/bin/hemei demo --scale anhui --out ANHUI
    .venv/bin/python benchmarks/bench_batch.py --data ANHUI --scale anhui --counties 20 --workers 2
    .venv/bin/python benchmarks/bench_batch.py --data ANHUI --scale anhui --counties 20 --workers 2 \
        --skip-naive --current HEAD --baseline 1de01b9 --rounds 3
    .venv/bin/python benchmarks/bench_batch.py --export RUN/340722.ipynb --repeat 20

Measured figures, the exact commands and what they mean against the targets are in
``benchmarks/README.md`` ("Report batch"). Latest (run 11, 2026-12-06), Anhui-scale demo, first
20 counties, 2 workers, 3 interleaved rounds, ``--current HEAD`` = ``e2d1797`` against
``--baseline 1de01b9`` (before issue 14), load average 2.4-8.8: CPU per report (b) 6.50 s,
(b') 4.87 s, (c) 4.93 s: (b)/(b') 1.34× (rounds 1.28-1.47×; budget ≤ 1.15×, not met); wall
(b)/(b') 1.57× (rounds 1.12-2.22×, swung by others' load); HTML per report max 1.01 MB
(median 0.91 MB; 1de01b9: 0.87 / 0.82 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["HEMEI_CACHE_DIR"] = str(cache)
    return env


def _allow_bytecode(work: Path) -> None:
    """Let every process of the run cache its bytecode (in ``work``, the venv is not touched).

    With ``PYTHONDONTWRITEBYTECODE=1`` each new process compiles pandas, matplotlib and
    papermill from source (about 1.3 s for pandas alone), which would charge every fresh
    kernel for compilation rather than for what the approaches differ in.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


class Timing(NamedTuple):
    """Wall seconds and CPU seconds (user + system) of one approach's whole process tree."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    """CPU seconds of every descendant that has ended and been waited for: a command's
    processes, its pool workers, their kernel fork servers and the kernels they reaped. On a
    shared machine this is the fairer figure; wall seconds also count others' work."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _timed(cmd: list[str] | str, env: dict, cwd: Path, shell: bool = False) -> Timing:
    t0, c0 = time.perf_counter(), _children_cpu()
    res = subprocess.run(cmd, env=env, cwd=cwd, shell=shell, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{res.stderr[-3000:]}")
    return Timing(time.perf_counter() - t0, _children_cpu() - c0)


def naive(codes: list[str], data: Path, out: Path, env: dict) -> Timing:
    """(a) one shell loop: papermill CLI then jupyter nbconvert CLI, county after county."""
    from hemei_tools.render.notebooks import notebook_path

    nb = notebook_path("county_report")
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for c in codes:
        target = out / f"{c}.ipynb"
        lines.append(f"{shlex.quote(str(BIN / 'papermill'))} --no-progress-bar -p county_code {c} "
                     f"-p data_dir {shlex.quote(str(data))} {shlex.quote(str(nb))} {shlex.quote(str(target))}")
        lines.append(f"{shlex.quote(str(BIN / 'jupyter'))} nbconvert --to html --no-input "
                     f"{shlex.quote(str(target))}")
    return _timed(" && ".join(lines), env, out, shell=True)


def batch(codes: list[str], data: Path, out: Path, env: dict, workers: int, force: bool,
          hemei: Path = BIN / "hemei") -> Timing:
    """(b) ``hemei batch`` as a user runs it (a whole process, start-up included); (b') the same
    with the ``hemei`` of the baseline checkout.

    A forced run first empties the store's shared analyses (``store/analyses`` of the run's
    cache, :mod:`hemei_tools.engine.memo`), so each timed batch computes every city's shared
    results once, as a first batch over new data does."""
    if force:
        shutil.rmtree(Path(env["HEMEI_CACHE_DIR"]) / "store" / "analyses", ignore_errors=True)
    cmd = [str(hemei), "batch", "--data", str(data), "--out", str(out), "--counties",
           ",".join(codes), "--workers", str(workers), "--no-overview", "--no-selection"] + (["--force"] if force else [])
    return _timed(cmd, env, out.parent)


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def _pins(path: Path) -> Path:
    """The current venv's package versions as a constraints file (the project itself left out,
    as are editable and direct-URL entries): the baseline gets the same dependency versions."""
    res = _run([sys.executable, "-m", "uv", "pip", "freeze", "--python", sys.executable])
    if res.returncode != 0:
        res = _run([sys.executable, "-m", "pip", "freeze"])
    if res.returncode != 0:
        raise SystemExit(f"cannot list the current venv's packages:\n{res.stderr[-2000:]}")
    lines = [ln for ln in res.stdout.splitlines()
             if "==" in ln and not ln.startswith(("-e", "#")) and " @ " not in ln
             and not ln.lower().replace("_", "-").startswith("hemei-tools==")]
    path.write_text("\n".join(lines) + "\n")
    return path


def _install(tree: Path, pins: Path) -> tuple[Path, str]:
    """A venv in ``tree/.venv`` with ``tree`` installed (editable, as ``make env`` does) under the
    constraints ``pins``: uv (through the current venv's python) offline from its cache, then uv
    online, then pip. Returns the venv's ``bin`` folder and how it was installed."""
    venv = tree / ".venv"
    py = venv / "bin" / "python"
    has_uv = _run([sys.executable, "-m", "uv", "--version"]).returncode == 0
    attempts: list[tuple[str, list[list[str]]]] = []
    if has_uv:
        uv = [sys.executable, "-m", "uv"]
        make = uv + ["venv", "--quiet", "--python", sys.executable, str(venv)]
        inst = uv + ["pip", "install", "--quiet", "--python", str(py), "-c", str(pins), "-e", str(tree)]
        attempts += [("uv, offline from its cache", [make, inst[:4] + ["--offline"] + inst[4:]]),
                     ("uv", [make, inst])]
    attempts.append(("pip", [[sys.executable, "-m", "venv", "--clear", str(venv)],
                             [str(py), "-m", "pip", "install", "-q", "-c", str(pins), "-e", str(tree)]]))
    errors = []
    for how, cmds in attempts:
        shutil.rmtree(venv, ignore_errors=True)
        for cmd in cmds:
            res = _run(cmd, cwd=tree)
            if res.returncode != 0:
                errors.append(f"{how}: {shlex.join(cmd)}\n{res.stderr[-1500:]}")
                break
        else:
            if (venv / "bin" / "hemei").exists():
                return venv / "bin", how
            errors.append(f"{how}: no hemei command in {venv / 'bin'}")
    raise SystemExit("cannot install the baseline:\n" + "\n".join(errors))


@contextlib.contextmanager
def checkout(rev: str, work: Path, label: str = "baseline") -> Iterator[tuple[Path, str, str]]:
    """Check ``rev`` out into a temporary detached worktree under ``work`` and install it in a
    venv of its own; yields (its ``bin`` folder, the full commit, how it was installed). The
    worktree (venv included) is removed on leaving, also on an error, Ctrl-C or SIGTERM."""
    res = _run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=REPO)
    if res.returncode != 0:
        raise SystemExit(f"--baseline {rev}: not a commit of {REPO.name} ({res.stderr.strip()})")
    commit = res.stdout.strip()
    tree = work / f"{label}-{commit[:10]}"
    pins = work / "pins.txt"
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind through the finally below
    try:
        res = _run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=REPO)
        if res.returncode != 0:
            raise SystemExit(f"git worktree add failed:\n{res.stderr}")
        t0 = time.perf_counter()
        bin_dir, how = _install(tree, pins if pins.exists() else _pins(pins))
        print(f"{label} {commit[:10]} installed in {time.perf_counter() - t0:.0f} s ({how})")
        yield bin_dir, commit, how
    finally:
        _run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO)
        shutil.rmtree(tree, ignore_errors=True)
        _run(["git", "worktree", "prune"], cwd=REPO)
        signal.signal(signal.SIGTERM, previous)


def _floor_worker(args: tuple[str, list[str], str]) -> int:
    """Run the county notebook's cells for some counties in this process, no kernel."""
    nb_path, codes, data = args
    import matplotlib
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats
    from IPython.utils.capture import capture_output
    from matplotlib_inline.backend_inline import configure_inline_support

    matplotlib.use("module://matplotlib_inline.backend_inline")
    shell = InteractiveShell.instance()
    configure_inline_support(shell, "inline")  # figures flushed as PNG after each cell, as in Jupyter
    select_figure_formats(shell, {"png"})
    cells = [c.source for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "code"]
    images = 0
    for code in codes:
        shell.reset(new_session=False)  # a fresh namespace per report; the data set stays
        # memoised in inputs.store, as any plain-Python loop over counties would keep it
        with capture_output(display=True) as cap:
            shell.run_cell(f"county_code = {code!r}\nyear = 2023\ndata_dir = {data!r}")
            for src in cells[1:]:
                res = shell.run_cell(src)
                if not res.success:
                    raise RuntimeError(f"{code}: {res.error_in_exec or res.error_before_exec}")
        images += sum("image/png" in o.data for o in cap.outputs)
    return images


def floor(codes: list[str], data: Path, workers: int, python: Path | None = None,
          env: dict | None = None) -> Timing:
    """(c) the same cells as plain Python, ``workers`` processes, counties dealt round-robin.

    With ``python`` (a checkout's interpreter) this script runs the floor there
    (``--floor-only``) and reports the figures that process measured around its pool."""
    if python is not None:
        res = subprocess.run([str(python), __file__, "--floor-only", "--data", str(data), "--workers",
                              str(workers), "--codes", ",".join(codes)], env=env, capture_output=True,
                             text=True)
        if res.returncode != 0:
            raise SystemExit(f"floor failed in {python}:\n{res.stderr[-3000:]}")
        return Timing(**json.loads(res.stdout.strip().splitlines()[-1]))
    from hemei_tools.render.notebooks import notebook_path

    chunks = [codes[i::workers] for i in range(workers)]
    t0, c0 = time.perf_counter(), _children_cpu()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        images = list(pool.map(_floor_worker, [(str(notebook_path("county_report")), c, str(data))
                                              for c in chunks if c]))
    if sum(images) < len(codes):
        raise SystemExit("the floor drew fewer charts than counties: it is not the same work")
    return Timing(time.perf_counter() - t0, _children_cpu() - c0)  # the pool's workers are joined


def export_cost(notebook: Path, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` HTML exports of an executed report notebook (the first,
    untimed export builds the exporter and loads the template, as a batch worker does once)."""
    import nbformat

    from hemei_tools.render.html import export_html
    from hemei_tools.render.notebooks import extract_summary

    nb = nbformat.read(str(notebook), as_version=4)
    summary = extract_summary(nb)
    prov = {"package": "hemei-tools", "version": "bench", "commit": "", "python": sys.version.split()[0],
            "notebook": notebook.name, "notebook_sha256": "0" * 64, "parameters": {}, "started": "",
            "seconds": 0.0, "inputs": []}
    export_html(nb, summary, prov)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        export_html(nb, summary, prov)
        times.append(time.perf_counter() - t0)
    return times


def _sizes(folder: Path) -> list[int]:
    return [p.stat().st_size for p in folder.glob("[0-9]*.html")]


def _describe_current() -> str:
    """HEAD of the working tree and the package files that differ from it (the current
    approaches run the working tree as it is, through the editable install)."""
    head = _run(["git", "rev-parse", "--short=10", "HEAD"], cwd=REPO).stdout.strip()
    dirty = _run(["git", "status", "--porcelain", "--", "hemei_tools", "notebooks"], cwd=REPO).stdout.split("\n")
    dirty = [ln[3:] for ln in dirty if ln.strip()]
    return head + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else " (package clean)")


def _prepare(data: Path, n: int, python: Path | None, env: dict) -> list[str]:
    """The first ``n`` county codes of the data; the validated-data cache filled once, outside
    every timing (in this process, or with ``python``, a checkout's interpreter, and its cache)."""
    code = ("import json, sys\nfrom hemei_tools.inputs.regions import list_counties\n"
            "from hemei_tools.inputs.store import load_dataset_cached\n"
            "codes = list(list_counties(sys.argv[1])['county_code'])[: int(sys.argv[2])]\n"
            "load_dataset_cached(sys.argv[1])\nprint(json.dumps(codes))")
    if python is None:
        from hemei_tools.inputs.regions import list_counties
        from hemei_tools.inputs.store import load_dataset_cached

        load_dataset_cached(data)
        return list(list_counties(data)["county_code"])[:n]
    res = subprocess.run([str(python), "-c", code, str(data), str(n)], env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"cannot read the data with {python}:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _timed_rounds(codes: list[str], data: Path, work: Path, env: dict, workers: int, rounds: int,
                  cur_bin: Path | None, base_hemei: Path | None, base_env: dict | None,
                  ) -> dict[str, list[Timing]]:
    """(c), (b) and, with a baseline, (b') one after the other, ``rounds`` times."""
    times: dict[str, list[Timing]] = {"c": [], "b": []} | ({"b'": []} if base_hemei else {})
    py, hemei = (cur_bin / "python", cur_bin / "hemei") if cur_bin else (None, BIN / "hemei")
    for r in range(rounds):
        times["c"].append(floor(codes, data, workers, py, env))
        times["b"].append(batch(codes, data, work / "batch", env, workers, force=True, hemei=hemei))
        if base_hemei is not None:
            times["b'"].append(batch(codes, data, work / "batch-baseline", base_env, workers,
                                     force=True, hemei=base_hemei))
        print(f"round {r + 1}/{rounds}: " + ", ".join(
            f"({k}) {v[-1].wall:.1f} s wall, {v[-1].cpu:.1f} s cpu" for k, v in times.items()), flush=True)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["tongling", "anhui"], default="tongling")
    ap.add_argument("--data", type=Path, help="existing demo data folder (generated if omitted)")
    ap.add_argument("--counties", type=int, default=20, help="number of counties (first N by code)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-naive", action="store_true", help="skip approach (a), the slow one")
    ap.add_argument("--baseline", metavar="REV",
                    help="also time (b') the hemei batch of this git revision (temporary worktree and venv)")
    ap.add_argument("--current", metavar="REV",
                    help="time (b) and (c) on a clean checkout of this revision (temporary worktree and "
                         "venv) instead of the working tree, which others may be editing; (a) still "
                         "runs the working tree")
    ap.add_argument("--floor-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--codes", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=1,
                    help="times (c), (b) and (b') are run, interleaved; medians are reported")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--keep-env", action="store_true",
                    help="keep PYTHONDONTWRITEBYTECODE if set (every process then compiles from source)")
    ap.add_argument("--export", type=Path, metavar="NOTEBOOK",
                    help="only time the HTML export of this executed report notebook")
    ap.add_argument("--repeat", type=int, default=10, help="exports timed with --export")
    args = ap.parse_args()
    if args.export:
        times = export_cost(args.export, args.repeat)
        print(f"HTML export of {args.export.name}: median {statistics.median(times):.3f} s, "
              f"min {min(times):.3f}, max {max(times):.3f} ({len(times)} exports)")
        return
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.floor_only:  # the floor inside a checkout's interpreter (see floor)
        print(json.dumps(floor(args.codes.split(","), args.data, args.workers)._asdict()))
        return

    os.environ.pop("MPLBACKEND", None)
    work = Path(tempfile.mkdtemp(prefix="hemei-bench-"))
    cache = work / "cache"
    os.environ["HEMEI_CACHE_DIR"] = str(cache)
    if not args.keep_env:
        _allow_bytecode(work)
    env = _env(cache)
    data = args.data
    if data is None:
        from hemei_tools.demo.generate import write_demo

        data = work / "data"
        write_demo(data, scale=args.scale, seed=2023)
    data = data.resolve()

    with contextlib.ExitStack() as stack:
        cur_bin = None
        if args.current:
            cur_bin, cur_commit, _ = stack.enter_context(checkout(args.current, work, "current"))
            env = _env(work / "cache-current") | {"VIRTUAL_ENV": str(cur_bin.parent)}
            current = f"{cur_commit[:10]} (clean checkout)"
        else:
            current = _describe_current()
        codes = _prepare(data, args.counties, cur_bin and cur_bin / "python", env)
        print(f"data {data} ({args.scale}), {len(codes)} counties, {args.workers} workers, work dir {work}")
        print(f"current: {current}")
        hemei = cur_bin / "hemei" if cur_bin else BIN / "hemei"
        base_hemei = base_env = None
        base_commit = None
        if args.baseline:
            base_bin, base_commit, _ = stack.enter_context(checkout(args.baseline, work))
            base_hemei = base_bin / "hemei"
            # its own cache: the store's key names the package version, not the commit, so the
            # baseline must not unpickle the current code's data sets (or the other way round)
            base_env = _env(work / "cache-baseline") | {"VIRTUAL_ENV": str(base_bin.parent)}
        # One untimed report fills the bytecode cache and the validated-data cache for everyone.
        batch(codes[:1], data, work / "warm", env, 1, force=True, hemei=hemei)
        if base_hemei is not None:
            batch(codes[:1], data, work / "warm-baseline", base_env, 1, force=True, hemei=base_hemei)
        times = _timed_rounds(codes, data, work, env, args.workers, args.rounds, cur_bin, base_hemei,
                              base_env)
        base_sizes = _sizes(work / "batch-baseline") if base_hemei is not None else []
        t_noop = batch(codes, data, work / "batch", env, args.workers, force=False, hemei=hemei).wall
    med = {k: Timing(statistics.median(t.wall for t in v), statistics.median(t.cpu for t in v))
           for k, v in times.items()}
    rows = [("(c) floor: plain Python, no kernel", med["c"]), ("(b) hemei batch", med["b"])]
    if base_commit:
        rows.append((f"(b') hemei batch of {base_commit[:10]}", med["b'"]))
    if not args.skip_naive:  # the working tree's papermill and notebook
        t_naive = naive(codes, data, work / "naive", _env(cache))
        rows.append(("(a) naive: papermill CLI + nbconvert CLI loop", t_naive))
    sizes = _sizes(work / "batch")
    n, fl = len(codes), med["c"]

    what = "median of" if args.rounds > 1 else "one run,"
    order = "(c), (b), (b')" if base_commit else "(c), (b)"
    print(f"\n{what} {args.rounds} round(s) of {order}; current {current}")
    print("\n| approach | wall (s) | wall per report (s) | vs floor | CPU (s) | CPU per report (s) | vs floor |"
          "\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, t in rows:
        print(f"| {name} | {t.wall:.1f} | {t.wall / n:.2f} | {t.wall / fl.wall:.2f}× "
              f"| {t.cpu:.1f} | {t.cpu / n:.2f} | {t.cpu / fl.cpu:.2f}× |")
    if not args.skip_naive:
        print(f"\n(a)/(b) speed-up: {t_naive.wall / med['b'].wall:.2f}× (target ≥ 3×); "
              f"(b)/(c): {med['b'].wall / fl.wall:.2f}× (target ≤ 1.3×)")
    if base_commit:
        for unit in ("wall", "cpu"):
            b, bb, c = (getattr(med[k], unit) for k in ("b", "b'", "c"))
            per_round = ", ".join(f"{getattr(x, unit) / getattr(y, unit):.3f}"
                                  for x, y in zip(times["b"], times["b'"], strict=True))
            print(f"{unit}: (b)/(c) {b / c:.3f}×, (b')/(c) {bb / c:.3f}×, (b)/(b') {b / bb:.3f}× "
                  f"(budget ≤ 1.15×); (b)/(b') per round: {per_round}")
    print(f"no-op re-run of hemei batch: {t_noop:.2f} s (target < 2 s)")
    for label, sz in [("(b)", sizes)] + ([(f"(b') {base_commit[:10]}", base_sizes)] if base_commit else []):
        print(f"HTML per report {label}: median {statistics.median(sz) / 1e6:.2f} MB, "
              f"max {max(sz) / 1e6:.2f} MB (target < 1.5 MB)")
    if args.json:
        args.json.write_text(json.dumps({
            "rows": [(name, t._asdict()) for name, t in rows],
            "rounds": {k: [t._asdict() for t in v] for k, v in times.items()}, "noop": t_noop,
            "html_bytes": sizes, "baseline": base_commit, "baseline_html_bytes": base_sizes,
            "current": current, "counties": codes, "workers": args.workers}, indent=2))


if __name__ == "__main__":
    main()
