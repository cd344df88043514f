"""Time the JupyterLab explorer's redraws: median of 20 changes at Tongling and Anhui scale.

Budget (issue 14 point 9): a redraw takes at most 0.3 s at Tongling scale and 1 s at Anhui
scale, median of 20 changes.

What is timed, per scale: an :class:`hemei_tools.present.explorer.Explorer` is built on the data
(its first view drawn at once; reported, not part of the median: it loads the data set and
scores the first city), then 20 changes in a fixed seeded sequence cycling county → year →
indicator (7 county, 7 year and 6 indicator changes), each to a value other than the current
one, drawn at random: any county of the data (at Anhui scale most lie in another city, whose
roll-up and index are then built), any year, any scored indicator. A change is
``widget.value = x``, what a click in JupyterLab does: the widget's observer redraws before the
assignment returns, so its wall time is the redraw. Wall and CPU (``time.process_time``)
seconds are printed for each change, and the median and maximum per kind and overall; on a
shared machine CPU seconds are the fair figure, wall seconds what the user waits.

The validated-data store is filled once before anything is timed (as for every later run of a
user). Tongling is the bundled demo (``--tongling DIR`` for another folder); Anhui is the
folder given with ``--anhui`` (``.venv/bin/hemei demo --scale anhui --out DIR --seed 2023``),
else generated into a temporary folder first (about a minute, not timed).

Run: ``.venv/bin/python benchmarks/bench_explore.py [--scale both|tongling|anhui] [--anhui DIR]
[--changes 20] [--seed 2023]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

BUDGET = {"tongling": 0.3, "anhui": 1.0}
KINDS = ("county", "year", "indicator")


def changes(ex, n: int, seed: int) -> list[tuple[str, object]]:
    """``n`` changes ``(kind, new value)`` cycling :data:`KINDS`, each different from the value
    the widget will hold just before it."""
    rng = random.Random(seed)
    pools = {"county": [c for _, c in ex.county.options], "year": list(ex.year.options),
             "indicator": [i for _, i in ex.indicator.options]}
    current = {"county": ex.county.value, "year": ex.year.value, "indicator": ex.indicator.value}
    out = []
    for k in range(n):
        kind = KINDS[k % len(KINDS)]
        value = rng.choice([v for v in pools[kind] if v != current[kind]])
        current[kind] = value
        out.append((kind, value))
    return out


def run_scale(name: str, data_dir: str, n: int, seed: int) -> dict:
    """Build the explorer on ``data_dir`` and time ``n`` changes; print and return the figures."""
    from hemei_tools.inputs.store import load_dataset_cached
    from hemei_tools.present.explorer import Explorer

    load_dataset_cached(data_dir)  # fill the validated-data store outside every timing
    t, c = time.perf_counter(), time.process_time()
    ex = Explorer(data_dir)
    build = (time.perf_counter() - t, time.process_time() - c)
    print(f"\n{name}: {len(ex.county.options)} counties, years {list(ex.year.options)}; "
          f"explorer built with its first view in {build[0]:.2f} s wall / {build[1]:.2f} s CPU "
          f"(first redraw {ex.timings[0]:.3f} s)")
    rows = []
    for kind, value in changes(ex, n, seed):
        widget = {"county": ex.county, "year": ex.year, "indicator": ex.indicator}[kind]
        t, c = time.perf_counter(), time.process_time()
        widget.value = value
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if ex.status.value:  # an error message instead of a view
            print(f"  {kind} → {value}: status {ex.status.value!r}")
        rows.append((kind, value, wall, cpu))
        print(f"  {kind:9s} → {value!s:12s} wall {wall:.3f} s  cpu {cpu:.3f} s")
    walls, cpus = [r[2] for r in rows], [r[3] for r in rows]
    for kind in KINDS:
        w = [r[2] for r in rows if r[0] == kind]
        cp = [r[3] for r in rows if r[0] == kind]
        print(f"  {kind:9s} median wall {statistics.median(w):.3f} s (max {max(w):.3f}), "
              f"median cpu {statistics.median(cp):.3f} s ({len(w)} changes)")
    verdict = "met" if statistics.median(walls) <= BUDGET[name] else "NOT met"
    print(f"  ALL       median wall {statistics.median(walls):.3f} s (max {max(walls):.3f}), "
          f"median cpu {statistics.median(cpus):.3f} s (max {max(cpus):.3f}); "
          f"budget {BUDGET[name]} s: {verdict}")
    return {"scale": name, "median_wall": statistics.median(walls), "median_cpu": statistics.median(cpus),
            "max_wall": max(walls), "build_wall": build[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["both", "tongling", "anhui"], default="both")
    ap.add_argument("--tongling", default="", help="Tongling data folder (default: the bundled demo)")
    ap.add_argument("--anhui", type=Path, help="Anhui demo folder (generated into a temporary folder if omitted)")
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2023)
    args = ap.parse_args()
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.scale in ("both", "tongling"):
        run_scale("tongling", args.tongling, args.changes, args.seed)
    if args.scale in ("both", "anhui"):
        anhui = args.anhui
        if anhui is None:
            from hemei_tools.demo.generate import write_demo

            anhui = Path(tempfile.mkdtemp(prefix="hemei-bench-explore-")) / "anhui"
            t = time.perf_counter()
            write_demo(anhui, scale="anhui", seed=2023)
            print(f"(Anhui demo written to {anhui} in {time.perf_counter() - t:.0f} s, not timed)")
        run_scale("anhui", str(anhui), args.changes, args.seed)


if __name__ == "__main__":
    main()
