"""Time the Monte Carlo of the 和美指数 ranking and of the 精品示范村 selection on the Tongling demo.

Generates the demo in memory (``hemei_tools.demo.generate.generate_demo``, seed 2023: 363 villages,
22 applicants), rolls it up, then times ``run_monte_carlo`` (villages and counties) and
``selection_robustness`` with ``--draws`` runs each. Prints the best of ``--repeat`` timings
in seconds. Run: ``python benchmarks/bench_sensitivity.py [--draws 1000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

from hemei_tools.demo import generate_demo
from hemei_tools.engine.rollup import aggregate_values
from hemei_tools.engine.selection import (
    attach_index_scores,
    check_eligibility,
    prepare_applicants,
    selection_robustness,
    village_task_scores,
)
from hemei_tools.engine.sensitivity import run_monte_carlo


def best_of(repeat: int, fn) -> tuple[float, object]:
    """Smallest wall time of ``repeat`` calls of ``fn`` (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    tables = generate_demo("tongling", seed=2023)
    print(f"demo generated            {time.perf_counter() - t:7.3f} s")
    t = time.perf_counter()
    uv = aggregate_values(tables["observations"], tables["villages"])
    print(f"roll-up                   {time.perf_counter() - t:7.3f} s  ({len(uv):,} unit values)")

    for level, top in (("village", 10), ("county", 1)):
        secs, out = best_of(args.repeat, lambda lv=level, tn=top: run_monte_carlo(
            uv, n=args.draws, level=lv, top_n=tn))
        print(f"run_monte_carlo {level:<9} {secs:7.3f} s  ({args.draws} draws, {len(out)} units)")

    ds = SimpleNamespace(**tables)
    apps = prepare_applicants(tables["applicants"], tables["villages"], 2023)
    apps = check_eligibility(attach_index_scores(apps, village_task_scores(ds)))
    secs, rob = best_of(args.repeat, lambda: selection_robustness(apps, n=args.draws))
    print(f"selection_robustness      {secs:7.3f} s  ({args.draws} draws, {len(rob)} applicants)")


if __name__ == "__main__":
    main()
