"""Benchmark: per-county reports the naive way, with ``hemei batch``, and the no-kernel floor.

Approaches, measured in one run on the same data and counties (compare ratios, not seconds:
the machine's speed drifts):

(a) naive: a shell loop of ``papermill`` CLI then ``jupyter nbconvert --to html`` CLI per county;
(b) ``hemei batch --workers W --force --no-overview --no-selection`` (process pool, forked
    kernels, rehearsals);
(c) floor: the same notebook cells run as plain Python in ``W`` worker processes, no kernel,
    same charts (an IPython shell in-process with the inline backend, figures rendered to PNG),
    a fresh namespace per report and the data set memoised per process.

Also: the no-op re-run of ``hemei batch`` (nothing changed) and the HTML sizes. With
``--export NOTEBOOK`` it only times the HTML export of an executed report notebook (median of
``--repeat`` exports in this process, after one untimed export that builds the exporter).

Usage::

    .venv/bin/python benchmarks/bench_batch.py --scale tongling            # 4 counties
    .venv/bin/hemei demo --scale anhui --out ANHUI
    .venv/bin/python benchmarks/bench_batch.py --data ANHUI --scale anhui --counties 20 --workers 2
    .venv/bin/python benchmarks/bench_batch.py --export RUN/340722.ipynb --repeat 20

Measured figures, the exact commands and what they mean against the targets are in
``benchmarks/README.md`` ("Report batch"). Latest (run 9), Anhui-scale demo, first 20
counties, 2 workers: (c) floor 25.2 s, (b) hemei batch 27.8 s (1.10×, target ≤ 1.3×),
(a) naive loop 192.2 s ((a)/(b) 6.92×, target ≥ 3×).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent


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


def _timed(cmd: list[str] | str, env: dict, cwd: Path, shell: bool = False) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, cwd=cwd, shell=shell, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{res.stderr[-3000:]}")
    return time.perf_counter() - t0


def naive(codes: list[str], data: Path, out: Path, env: dict) -> float:
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


def batch(codes: list[str], data: Path, out: Path, env: dict, workers: int, force: bool) -> float:
    """(b) ``hemei batch`` as a user runs it (a whole process, start-up included)."""
    cmd = [str(BIN / "hemei"), "batch", "--data", str(data), "--out", str(out), "--counties",
           ",".join(codes), "--workers", str(workers), "--no-overview", "--no-selection"] + (["--force"] if force else [])
    return _timed(cmd, env, out.parent)


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


def floor(codes: list[str], data: Path, workers: int) -> float:
    """(c) the same cells as plain Python, ``workers`` processes, counties dealt round-robin."""
    from hemei_tools.render.notebooks import notebook_path

    chunks = [codes[i::workers] for i in range(workers)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        images = list(pool.map(_floor_worker, [(str(notebook_path("county_report")), c, str(data))
                                              for c in chunks if c]))
    if sum(images) < len(codes):
        raise SystemExit("the floor drew fewer charts than counties: it is not the same work")
    return time.perf_counter() - t0


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["tongling", "anhui"], default="tongling")
    ap.add_argument("--data", type=Path, help="existing demo data folder (generated if omitted)")
    ap.add_argument("--counties", type=int, default=20, help="number of counties (first N by code)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-naive", action="store_true", help="skip approach (a), the slow one")
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
    from hemei_tools.inputs.regions import list_counties
    from hemei_tools.inputs.store import load_dataset_cached

    codes = list(list_counties(data)["county_code"])[: args.counties]
    load_dataset_cached(data)  # fill the validated-data cache once, outside every timing
    print(f"data {data} ({args.scale}), {len(codes)} counties, {args.workers} workers, work dir {work}")

    # One untimed report fills the bytecode cache and the validated-data cache for everyone.
    batch(codes[:1], data, work / "warm", env, 1, force=True)
    rows = []
    t_floor = floor(codes, data, args.workers)
    rows.append(("(c) floor: plain Python, no kernel", t_floor))
    t_batch = batch(codes, data, work / "batch", env, args.workers, force=True)
    rows.append(("(b) hemei batch", t_batch))
    t_noop = batch(codes, data, work / "batch", env, args.workers, force=False)
    if not args.skip_naive:
        t_naive = naive(codes, data, work / "naive", env)
        rows.append(("(a) naive: papermill CLI + nbconvert CLI loop", t_naive))
    sizes = [p.stat().st_size for p in (work / "batch").glob("[0-9]*.html")]

    print("\n| approach | total (s) | per report (s) | vs floor |\n| --- | ---: | ---: | ---: |")
    for name, t in rows:
        print(f"| {name} | {t:.1f} | {t / len(codes):.2f} | {t / t_floor:.2f}× |")
    if not args.skip_naive:
        print(f"\n(a)/(b) speed-up: {t_naive / t_batch:.2f}× (target ≥ 3×); "
              f"(b)/(c): {t_batch / t_floor:.2f}× (target ≤ 1.3×)")
    print(f"no-op re-run of hemei batch: {t_noop:.2f} s (target < 2 s)")
    print(f"HTML per report: median {statistics.median(sizes) / 1e6:.2f} MB, max {max(sizes) / 1e6:.2f} MB "
          f"(target < 1.5 MB)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "noop": t_noop, "html_bytes": sizes,
                                         "counties": codes, "workers": args.workers}, indent=2))


if __name__ == "__main__":
    main()
