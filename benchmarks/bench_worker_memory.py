"""What one more report worker of ``hemei batch`` costs in memory (issue 12, point 6).

Runs ``hemei batch --force --no-overview --no-selection`` on the Tongling demo (``data/demo``)
into a temporary folder twice: one worker building one county report, and two workers
building two. While each runs, the whole process tree (the batch, its workers, their kernel
fork servers and kernels) is sampled every 0.2 s; the peak of the summed proportional set size
(PSS: a page shared by forked kernels counts once, in shares) and of the summed RSS are
reported. The cost of one more busy worker is the difference of the two peaks, which is
:data:`hemei_tools.batch.capacity.PER_WORKER_BYTES`.

Run::

    .venv/bin/python benchmarks/bench_worker_memory.py [--counties 340705,340722]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
GB = 1e9


def tree_memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in bytes summed over ``pid`` and all its descendants."""
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return 0, 0
    pss = rss = 0
    for p in procs:
        try:
            full = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        pss += getattr(full, "pss", full.rss)
        rss += full.rss
    return pss, rss


def run(counties: list[str], workers: int, data: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="hemei-bench-workers-") as out:
        cmd = [sys.executable, "-c", "from hemei_tools.cli import main; main()", "batch", "--data", str(data),
               "--out", out, "--counties", ",".join(counties), "--workers", str(workers), "--force",
               "--no-overview", "--no-selection"]
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak = [0, 0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                pss, rss = tree_memory(proc.pid)
                peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
                time.sleep(0.2)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        _, err = proc.communicate()
        done.set()
        thread.join()
        return {"rc": proc.returncode, "seconds": time.perf_counter() - t, "pss": peak[0], "rss": peak[1],
                "stderr": err.strip().splitlines()[-3:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", default="340705,340722", help="two county codes of the data")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "demo")
    args = ap.parse_args()
    two = args.counties.split(",")[:2]
    one = run(two[:1], 1, args.data)
    both = run(two, 2, args.data)
    for name, r in (("1 worker, 1 county ", one), ("2 workers, 2 counties", both)):
        print(f"{name}: exit {r['rc']}, {r['seconds']:.1f} s, peak tree PSS {r['pss'] / GB:.2f} GB, "
              f"peak tree RSS {r['rss'] / GB:.2f} GB")
        if r["rc"]:
            print("   ", *r["stderr"], sep="\n    ")
    print(f"one more busy worker: {(both['pss'] - one['pss']) / GB:.2f} GB PSS "
          f"({(both['rss'] - one['rss']) / GB:.2f} GB RSS)")


if __name__ == "__main__":
    main()
