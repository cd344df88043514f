"""Time the roll-up and the full index build on Tongling (363 villages) and Anhui (13,583).

Uses ``hemei_tools.demo.generate.generate_demo`` (seed 2023) when it exists; otherwise a seeded random
frame over the real village lists (``hemei_tools.inputs.divisions.load_villages``), every catalogue
indicator, 5 years. Run: ``python benchmarks/bench_index.py [--anhui]``. Prints wall-clock and
CPU seconds per stage (best of ``--repeat`` runs; CPU time is the fair number on a busy machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from hemei_tools.catalogue import load_catalogue
from hemei_tools.engine.composite import IndexSpec, build_index
from hemei_tools.engine.rollup import aggregate_values
from hemei_tools.inputs.divisions import load_villages

YEARS = np.arange(2020, 2025)


def random_inputs(city_code: str | None, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Villages with households/population and observations for every indicator and year."""
    cat = load_catalogue()
    rng = np.random.default_rng(seed)
    v = load_villages(city_code)
    v["households"] = rng.integers(80, 1200, len(v))
    v["population"] = v["households"] * rng.integers(2, 5, len(v))
    ind = cat.indicators
    grid = pd.MultiIndex.from_product([v["village_code"], YEARS, ind["indicator_id"]],
                                      names=["village_code", "year", "indicator_id"]).to_frame(index=False)
    lo = grid["indicator_id"].map(ind.set_index("indicator_id")["min_value"]).to_numpy(dtype=float)
    hi = grid["indicator_id"].map(ind.set_index("indicator_id")["max_value"]).to_numpy(dtype=float)
    binary = (grid["indicator_id"].map(ind.set_index("indicator_id")["value_type"]) == "binary").to_numpy()
    u = rng.beta(2, 5, len(grid))
    grid["value"] = np.where(binary, (u > 0.6).astype(float), lo + u * (hi - lo) * 0.5)
    grid.loc[rng.random(len(grid)) < 0.02, "value"] = np.nan
    return v, grid


def demo_inputs(city_code: str | None, seed: int = 2023):
    try:
        from hemei_tools.demo import generate_demo
    except ImportError:
        return None
    scale = "tongling" if city_code == "3407" else "anhui"
    t = time.perf_counter()
    ds = generate_demo(scale=scale, seed=seed)
    print(f"  (generate_demo {scale}: {time.perf_counter() - t:.1f} s, not timed below)")
    return ds["villages"], ds["observations"]


def best_of(fn, repeat: int) -> tuple[tuple[float, float], object]:
    """Best wall-clock and best CPU (process) seconds over ``repeat`` runs, and the output."""
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return (wall, cpu), out


def run(label: str, city_code: str | None, repeat: int) -> None:
    inputs = demo_inputs(city_code)
    source = "demo.generate_demo"
    if inputs is None:
        inputs, source = random_inputs(city_code), "random frame"
    villages, obs = inputs
    cat = load_catalogue()
    t_roll, uv = best_of(lambda: aggregate_values(obs, villages, cat), repeat)
    t_build, res = best_of(lambda: build_index(uv, cat), repeat)
    spec = IndexSpec(imputation="county_median", winsorise=True)
    t_treat, _ = best_of(lambda: build_index(uv, cat, spec), repeat)
    print(f"{label} ({source}): {len(villages)} villages, {len(obs):,} observations, "
          f"{len(uv):,} unit values, {len(res.scores):,} score rows")
    for name, (wall, cpu) in (("aggregate_values", t_roll), ("build_index (default spec)", t_build),
                              ("build_index (impute+winsor)", t_treat)):
        print(f"  {name:28s} wall {wall:7.3f} s   cpu {cpu:7.3f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--anhui", action="store_true", help="also run the 13,583-village Anhui build")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    run("Tongling", "3407", args.repeat)
    if args.anhui:
        run("Anhui", None, max(1, args.repeat - 2))


if __name__ == "__main__":
    main()
