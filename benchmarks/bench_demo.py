"""Benchmark the synthetic demo generator at city, province and nation scale.

Each case runs in its own Python process (so peak memory is its own) and reports the time
to generate the tables, the time to write them, the peak resident memory and the size of
what it wrote.

Usage::

    python benchmarks/bench_demo.py                       # tongling, anhui, national 500k × 2023
    python benchmarks/bench_demo.py --cases national --villages 100000 --years 2022-2023
    python benchmarks/bench_demo.py --out /some/folder --keep   # keep the written data
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from hemei_tools.demo import generate_demo, write_tables
args = json.loads(sys.argv[1])
t0 = time.perf_counter()
tables = generate_demo(scale=args["scale"], seed=args["seed"], villages=args["villages"],
                       years=args["years"])
t1 = time.perf_counter()
write_tables(args["out"], tables, scale=args["scale"], seed=args["seed"], fmt=args["fmt"])
t2 = time.perf_counter()
print(json.dumps({"generate_s": t1 - t0, "write_s": t2 - t1,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": {k: len(v) for k, v in tables.items()}}))
"""


def folder_size(path: Path) -> tuple[int, int]:
    """Total bytes and number of files under ``path``."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def run_case(name: str, scale: str, villages: int | None, years: str | None, fmt: str,
             out: Path, seed: int) -> dict:
    """Run one case in a fresh interpreter and return its measurements."""
    args = {"scale": scale, "seed": seed, "villages": villages, "years": years, "fmt": fmt,
            "out": str(out)}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"case {name} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    size, n_files = folder_size(out)
    result.update(case=name, bytes=size, files=n_files)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="tongling,anhui,national",
                        help="comma-separated subset of tongling, anhui, national")
    parser.add_argument("--villages", type=int, default=500_000, help="villages for the national case")
    parser.add_argument("--years", default="2023", help="years of the national case (e.g. 2023)")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--out", default=None, help="folder for the written data (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the written data")
    a = parser.parse_args(argv)

    root = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="bench_demo_"))
    plan = {
        "tongling": ("tongling", None, None, "csv"),
        "anhui": ("anhui", None, None, "parquet"),
        "national": ("national", a.villages, a.years, "parquet"),
    }
    rows = []
    try:
        for name in [c.strip() for c in a.cases.split(",") if c.strip()]:
            scale, villages, years, fmt = plan[name]
            r = run_case(name, scale, villages, years, fmt, root / name, a.seed)
            rows.append(r)
            print(f"{name:<9} villages {r['rows']['villages']:>8,}  observations "
                  f"{r['rows']['observations']:>11,}  projects {r['rows']['projects']:>9,}  "
                  f"generate {r['generate_s']:6.2f} s  write ({fmt}) {r['write_s']:6.2f} s  "
                  f"peak {r['peak_mb']:7.0f} MB  on disk {r['bytes'] / 2**20:7.1f} MB "
                  f"in {r['files']:,} files", flush=True)
    finally:
        if not a.keep and a.out is None:
            shutil.rmtree(root, ignore_errors=True)
    if a.keep or a.out:
        print(f"data kept in {root}")


if __name__ == "__main__":
    main()
