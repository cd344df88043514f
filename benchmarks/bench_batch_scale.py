"""Benchmark: ``hemei batch`` over a whole province, on the process pool and on Dask.

For the Anhui-scale demo (16 cities, every county with villages) this measures, on the same
data and counties:

- (c) the floor: the county notebook's cells as plain Python, ``W`` processes, no kernel
  (``bench_batch.floor``);
- ``hemei batch --level county --force`` on each scheduler (``processes``, ``dask``):
  wall time, throughput (reports per minute), worker-seconds per report, the overhead per
  report against the floor, and the peak memory of each worker;
- ``hemei batch --level city,county --force`` on each scheduler: the whole province with a
  region overview per city and the province overview, as a user runs it.

Memory per worker is sampled every 0.2 s from ``/proc``: a worker is one direct child of the
``hemei`` process (a pool worker, or a Dask nanny) with every process below it (its kernel
fork server and the kernels it forks). Forked kernels share pages with their server, so the
figure is the proportional set size (PSS, Linux ``smaps_rollup``) summed over the subtree;
the summed resident set size (RSS, which counts shared pages once per process) is printed too.

Usage::

    .venv/bin/hemei demo --scale anhui --out ANHUI
    .venv/bin/python benchmarks/bench_batch_scale.py --data ANHUI --workers 2
    .venv/bin/python benchmarks/bench_batch_scale.py --data ANHUI --workers 2 --counties 20 --schedulers processes

Figures and their commands are recorded in ``benchmarks/README.md`` ("Batch at province
scale").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import BIN, _allow_bytecode, _env, batch, floor  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process (from /proc)."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in bytes (0, 0 once it is gone)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


def _subtree(pid: int, tree: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


class MemorySampler(threading.Thread):
    """Samples the memory of each worker subtree below ``root`` until stopped."""

    def __init__(self, root: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak_pss: dict[int, int] = {}
        self.peak_rss: dict[int, int] = {}
        self.peak_total = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            tree = _children()
            workers = tree.get(self.root, [])
            total = sum(_memory(self.root))
            for w in workers:
                pss = rss = 0
                for p in _subtree(w, tree):
                    a, b = _memory(p)
                    pss, rss = pss + a, rss + b
                total += pss
                self.peak_pss[w] = max(self.peak_pss.get(w, 0), pss)
                self.peak_rss[w] = max(self.peak_rss.get(w, 0), rss)
            self.peak_total = max(self.peak_total, total)
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _label(scheduler: str) -> str:
    """A folder name for a scheduler (``tcp://HOST:PORT`` -> ``tcp``)."""
    return scheduler.split(":", 1)[0]


def run_batch_cli(data: Path, out: Path, env: dict, workers: int, scheduler: str, level: str,
                  counties: list[str] | None) -> dict:
    """Run ``hemei batch`` as a user does; return wall time, report counts and memory."""
    cmd = [str(BIN / "hemei"), "batch", "--data", str(data), "--out", str(out), "--workers", str(workers),
           "--scheduler", scheduler, "--level", level, "--force", "--no-selection"]
    if level == "county":
        cmd.append("--no-overview")
    if counties:
        cmd += ["--counties", ",".join(counties)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - t0
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stdout[-2000:]}\n{stderr[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    workers_pss = sorted(sampler.peak_pss.values(), reverse=True)
    workers_rss = sorted(sampler.peak_rss.values(), reverse=True)
    return {
        "scheduler": scheduler, "level": level, "seconds": seconds, "built": manifest["built"],
        "failed": manifest["failed"],
        "by_level": {lv: sum(r.get("level") == lv for r in manifest["reports"]) for lv in ("province", "city", "county")},
        # the heaviest `workers` subtrees (the pool's resource tracker or Dask's scheduler are small)
        "worker_pss_mb": [round(x / 2**20) for x in workers_pss[:workers]],
        "worker_rss_mb": [round(x / 2**20) for x in workers_rss[:workers]],
        "total_pss_mb": round(sampler.peak_total / 2**20),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="Anhui-scale demo folder (generated if omitted)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--counties", type=int, default=0, help="first N counties by code (0: all)")
    ap.add_argument("--schedulers", default="processes,dask")
    ap.add_argument("--skip-floor", action="store_true")
    ap.add_argument("--full-schedulers", default="processes,dask",
                    help="schedulers of the --level city,county run (empty: skip it)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()

    os.environ.pop("MPLBACKEND", None)
    work = Path(tempfile.mkdtemp(prefix="hemei-bench-scale-"))
    cache = work / "cache"
    os.environ["HEMEI_CACHE_DIR"] = str(cache)
    _allow_bytecode(work)
    env = _env(cache)
    data = args.data
    if data is None:
        from hemei_tools.demo.generate import write_demo

        data = work / "data"
        write_demo(data, scale="anhui", seed=2023)
    data = data.resolve()
    from hemei_tools.inputs.regions import list_counties
    from hemei_tools.inputs.store import load_dataset_cached

    codes = list(list_counties(data)["county_code"])
    codes = codes[: args.counties] if args.counties else codes
    load_dataset_cached(data)  # the validated-data cache, filled once outside every timing
    w = args.workers
    print(f"data {data}: {len(codes)} counties, {w} workers, work dir {work}", flush=True)

    # One untimed report fills the bytecode cache and the data facts for every later run.
    batch(codes[:1], data, work / "warm", env, 1, force=True)
    rows = []
    t_floor = None
    if not args.skip_floor:
        t_floor = floor(codes, data, w)
        print(f"floor: {t_floor:.1f} s", flush=True)
    for sched in [s for s in args.schedulers.split(",") if s]:
        rows.append(run_batch_cli(data, work / f"county-{_label(sched)}", env, w, sched, "county",
                                  codes if args.counties else None))
        print(rows[-1], flush=True)
    for sched in [s for s in args.full_schedulers.split(",") if s]:
        rows.append(run_batch_cli(data, work / f"full-{_label(sched)}", env, w, sched, "city,county",
                                  codes if args.counties else None))
        print(rows[-1], flush=True)

    n = len(codes)
    print(f"\n{n} counties, {w} workers")
    if t_floor is not None:
        print(f"(c) floor: {t_floor:.1f} s, {n / t_floor * 60:.1f} reports/min, "
              f"{t_floor * w / n:.2f} worker-s per report")
    print("\n| run | reports (province/city/county) | wall (s) | reports/min | worker-s per report "
          "| overhead per report vs floor | peak PSS per worker (MB) | peak RSS per worker (MB) | all processes PSS (MB) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |")
    for r in rows:
        per = r["seconds"] * w / r["built"]
        over = (f"{per - t_floor * w / n:+.2f} s ({r['seconds'] / t_floor:.2f}×)"
                if t_floor is not None and r["level"] == "county" else "—")
        lv = r["by_level"]
        print(f"| {r['scheduler']} --level {r['level']} | {r['built']} ({lv['province']}/{lv['city']}/{lv['county']}) "
              f"| {r['seconds']:.1f} | {r['built'] / r['seconds'] * 60:.1f} | {per:.2f} | {over} "
              f"| {', '.join(map(str, r['worker_pss_mb']))} | {', '.join(map(str, r['worker_rss_mb']))} "
              f"| {r['total_pss_mb']} |")
    if args.json:
        args.json.write_text(json.dumps({"floor": t_floor, "counties": n, "workers": w, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
