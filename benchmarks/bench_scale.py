"""Engine at province and nation scale: roll-up, index, gaps, trends, imbalance.

Two cases:

``anhui``
    ``generate_demo(scale="anhui")``: 13,583 real villages × 5 years × every indicator.
``national``
    ``generate_demo(scale="national", villages=N, years=[2023])``: N synthetic villages
    (default 500,000) × 1 year × every indicator.

The demo tables are generated once per case into ``--data-dir`` (Parquet, not timed). Each
case then runs in a **fresh subprocess** that reads the two tables and times every stage
(wall-clock and CPU seconds, ``time.perf_counter`` and ``time.process_time``; CPU time is the
fair number on a shared machine). Peak memory is the subprocess's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), which includes the interpreter, the imports
and the input tables; the resident size after reading the inputs is printed beside it.

Run::

    python benchmarks/bench_scale.py                       # both cases
    python benchmarks/bench_scale.py --case anhui
    python benchmarks/bench_scale.py --case national --villages 500000
    python benchmarks/bench_scale.py --case anhui --profile prof.out   # cProfile the stages
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"anhui": (5.0, 2.0), "national": (60.0, 8.0)}   # seconds, GiB: the targets the README reports against


def _rss_gib() -> float:
    """Current resident set size in GiB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**30


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20   # kB on Linux


def _data_folder(base: Path, case: str, villages: int) -> Path:
    return base / (case if case == "anhui" else f"national_{villages}")


def generate(case: str, villages: int, folder: Path, seed: int = 2023) -> None:
    """Write the case's villages and observations as two Parquet files (skipped if present)."""
    if (folder / "observations.parquet").is_file():
        return
    from hemei_tools.demo import generate_demo

    t = time.perf_counter()
    if case == "anhui":
        ds = generate_demo(scale="anhui", seed=seed)
    else:
        ds = generate_demo(scale="national", villages=villages, years=[2023], seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("villages", "observations"):
        ds[name].to_parquet(folder / f"{name}.parquet.tmp", index=False)
        os.replace(folder / f"{name}.parquet.tmp", folder / f"{name}.parquet")
    print(f"  generated {case} in {time.perf_counter() - t:.1f} s (not timed below)", flush=True)


def run_case(folder: Path, profile: str | None) -> dict:
    """Read the inputs and time each engine stage; returns a JSON-ready record."""
    import pandas as pd

    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.engine.composite import build_index
    from hemei_tools.engine.gaps import compute_gaps
    from hemei_tools.engine.imbalance import imbalance_table
    from hemei_tools.engine.rollup import aggregate_values
    from hemei_tools.engine.trends import compute_trends

    cat = load_catalogue()
    villages = pd.read_parquet(folder / "villages.parquet")
    obs = pd.read_parquet(folder / "observations.parquet")
    rss_inputs = _rss_gib()
    stages: dict[str, tuple[float, float]] = {}
    sizes: dict[str, int] = {}
    peaks: dict[str, float] = {}
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile(time.process_time)   # CPU time: wall is noisy on a shared machine
        prof.enable()

    def timed(name, fn):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        stages[name] = (time.perf_counter() - t, time.process_time() - c)
        sizes[name] = len(out) if hasattr(out, "__len__") else len(out.scores)
        peaks[name] = _peak_gib()            # the process peak so far: the stage that raised it
        return out

    uv = timed("aggregate_values", lambda: aggregate_values(obs, villages, cat))
    res = timed("build_index", lambda: build_index(uv, cat))
    timed("compute_gaps", lambda: compute_gaps(uv, res.benchmarks, cat))
    n_years = uv["year"].nunique()
    # with one year every series gets its base and latest value but no class
    timed("compute_trends", lambda: compute_trends(uv, res.benchmarks, cat))
    timed("imbalance_table", lambda: imbalance_table(uv))
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    return {"villages": len(villages), "observations": len(obs), "years": int(n_years),
            "stages": stages, "rows": sizes, "peaks": peaks, "rss_inputs_gib": rss_inputs, "peak_gib": _peak_gib()}


def report(case: str, rec: dict) -> None:
    wall = sum(w for w, _ in rec["stages"].values())
    cpu = sum(c for _, c in rec["stages"].values())
    t_max, m_max = TARGETS[case]
    print(f"{case}: {rec['villages']:,} villages × {rec['years']} year(s), "
          f"{rec['observations']:,} observations")
    for name, (w, c) in rec["stages"].items():
        print(f"  {name:18s} wall {w:7.2f} s   cpu {c:7.2f} s   {rec['rows'][name]:>12,} rows   "
              f"peak so far {rec['peaks'][name]:5.2f} GiB")
    print(f"  {'total':18s} wall {wall:7.2f} s   cpu {cpu:7.2f} s   (target < {t_max:g} s)")
    print(f"  peak RSS {rec['peak_gib']:.2f} GiB (target < {m_max:g} GiB); "
          f"after reading inputs {rec['rss_inputs_gib']:.2f} GiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", choices=("anhui", "national", "all"), default="all")
    p.add_argument("--villages", type=int, default=500_000, help="villages of the national case")
    p.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "hemei_bench_scale",
                   help="where the generated inputs are kept between runs")
    p.add_argument("--profile", help="write cProfile stats of the stages to this file")
    p.add_argument("--json", action="store_true", help="print the raw records as JSON too")
    p.add_argument("--_run", help=argparse.SUPPRESS)          # child mode: a data folder
    args = p.parse_args()
    if args._run:
        print(json.dumps(run_case(Path(args._run), args.profile)))
        return
    cases = ("anhui", "national") if args.case == "all" else (args.case,)
    for case in cases:
        folder = _data_folder(args.data_dir, case, args.villages)
        # generation in its own process, so its memory never counts against the engine
        subprocess.run([sys.executable, "-c",
                        "import sys; sys.path.insert(0, sys.argv[1]); import bench_scale as b; "
                        "from pathlib import Path; b.generate(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))",
                        str(Path(__file__).parent), case, str(args.villages), str(folder)], check=True)
        cmd = [sys.executable, __file__, "--_run", str(folder)]
        if args.profile:
            cmd += ["--profile", args.profile]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rec = json.loads(out.strip().splitlines()[-1])
        report(case, rec)
        if args.json:
            print(json.dumps({"case": case, **rec}))


if __name__ == "__main__":
    main()
