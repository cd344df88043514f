"""Time one of each chart, drawn and saved to PNG at dpi 100 (the report setting).

Inputs are synthetic frames in the design.md contracts at report scale: 150 villages of one
county × every scored indicator, 5 years, 16 tasks, 22 applicants (weight sweep: 5 criteria ×
201 shares). Each chart is drawn and saved ``--repeat`` times into memory (no
``bbox_inches="tight"``); the median is reported.

Run: ``.venv/bin/python benchmarks/bench_plots.py [--repeat 5] [--out DIR] [--tight]``
(``--out`` also writes one PNG per chart for a visual check; ``--tight`` adds a column timing
the same chart saved with ``bbox_inches="tight"``, measured in the same run, for the ratio).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hemei_tools.catalogue import load_catalogue  # noqa: E402
from hemei_tools.present import plots  # noqa: E402
from hemei_tools.present.style import set_theme  # noqa: E402

STATUSES = np.array(["green", "yellow", "orange", "red"])


def build_inputs(seed: int = 7, n_villages: int = 150) -> dict[str, pd.DataFrame]:
    """Synthetic frames shaped like the engine's outputs."""
    rng = np.random.default_rng(seed)
    cat = load_catalogue()
    ids = cat.scored_ids
    years = np.arange(2019, 2024)
    villages = [f"340722{t:03d}{v:03d}" for t in range(1, 11) for v in range(1, n_villages // 10 + 1)]
    v_scores = pd.DataFrame({
        "level": "village",
        "unit_code": np.repeat(villages, len(ids)),
        "unit_name": np.repeat([f"村{i:03d}" for i in range(len(villages))], len(ids)),
        "county_code": "340722",
        "year": 2023,
        "node": np.tile(ids, len(villages)),
        "node_level": "indicator",
        "score": rng.uniform(0, 100, len(villages) * len(ids)),
    })
    counties = ["340705", "340706", "340711", "340722"]
    dims = cat.dimensions["code"].tolist()
    d_scores = pd.DataFrame({
        "level": "county",
        "unit_code": np.repeat(counties, len(dims)),
        "unit_name": np.repeat(["铜官区", "义安区", "郊区", "枞阳县"], len(dims)),
        "county_code": np.repeat(counties, len(dims)),
        "year": 2023,
        "node": np.tile(dims, len(counties)),
        "node_level": "dimension",
        "score": rng.uniform(40, 95, len(counties) * len(dims)),
    })
    scores = pd.concat([v_scores, d_scores], ignore_index=True)
    bench = rng.uniform(50, 100, len(ids))
    gaps = pd.DataFrame({
        "level": "county", "unit_code": "340722", "year": 2023, "indicator_id": ids,
        "value": bench * rng.uniform(0.5, 1.2, len(ids)), "benchmark": bench,
        "distance": rng.uniform(0, 60, len(ids)), "status": rng.choice(STATUSES, len(ids)),
    })
    trend_id = ids[1]
    values = pd.DataFrame({
        "level": "county",
        "unit_code": np.repeat(counties, len(years)),
        "unit_name": np.repeat(["铜官区", "义安区", "郊区", "枞阳县"], len(years)),
        "year": np.tile(years, len(counties)),
        "indicator_id": trend_id,
        "value": np.tile(np.linspace(70, 85, len(years)), len(counties)) + rng.normal(0, 2, len(years) * 4),
    })
    pt = cat.plan_targets
    progress = pt[["programme", "region_code", "item"]].assign(
        year=2023, actual=np.round(pt["target_new"].to_numpy() * rng.uniform(0.1, 0.9, len(pt))))
    tasks = cat.tasks["code"].to_numpy()
    n_proj = 400
    budget = rng.uniform(20, 500, n_proj)
    projects = pd.DataFrame({
        "project_id": [f"P{i:04d}" for i in range(n_proj)],
        "task_id": rng.choice(tasks, n_proj),
        "status": rng.choice(["未开工", "在建", "已完工"], n_proj, p=[0.1, 0.3, 0.6]),
        "budget_wan": budget, "disbursed_wan": budget * rng.uniform(0, 1, n_proj),
    })
    nominal = np.arange(1, len(villages) + 1)
    spread = rng.uniform(1, 15, len(villages))
    ranks = pd.DataFrame({
        "unit_code": villages, "unit_name": [f"村{i:03d}" for i in range(len(villages))],
        "nominal": nominal, "median": nominal + rng.normal(0, 2, len(villages)),
        "p05": np.maximum(nominal - spread, 1), "p95": nominal + spread,
    })
    n_app = 22
    applicants = pd.DataFrame({
        "village_code": villages[:n_app], "village_name": [f"申报村{i:02d}" for i in range(n_app)],
        "经济强": rng.uniform(5, 20, n_app), "产业兴": rng.uniform(5, 20, n_app),
        "基础好": rng.uniform(5, 20, n_app), "积极性高": rng.uniform(5, 20, n_app),
        "党建引领好": rng.uniform(5, 20, n_app),
    })
    applicants["selected"] = (applicants.iloc[:, 2:].sum(axis=1).rank(ascending=False) <= 10).astype(int)
    probs = applicants[["village_code", "village_name", "selected"]].assign(probability=rng.uniform(0, 1, n_app))
    lorenz = pd.Series(rng.lognormal(3, 0.6, len(villages)))
    return {"scores": scores, "gaps": gaps, "values": values, "trend_id": trend_id, "progress": progress,
            "projects": projects, "ranks": ranks, "applicants": applicants, "probs": probs,
            "lorenz": lorenz, "sweep": build_sweep(rng, applicants["village_code"].to_numpy())}


def build_sweep(rng: np.random.Generator, codes: np.ndarray, n_criteria: int = 5, step: float = 0.005,
                n_selected: int = 10) -> pd.DataFrame:
    """A weight sweep shaped like ``selection.sweep_weights`` at the report's step (0.005).

    Criterion k at share s: totals = z @ w with w_k = s and the others (1 − s)/(K − 1); the best
    ``n_selected`` totals are selected. 5 criteria × 201 shares × 22 applicants = 22,110 rows.
    """
    z = rng.uniform(0, 100, (len(codes), n_criteria))
    grid = np.round(np.arange(0.0, 1.0 + step / 2, step), 10)
    ids = np.array([f"c{k}" for k in range(n_criteria)])
    w = np.repeat(((1.0 - grid) / (n_criteria - 1))[None, :, None], n_criteria, axis=0)
    w = np.broadcast_to(w, (n_criteria, len(grid), n_criteria)).copy()
    w[np.arange(n_criteria), :, np.arange(n_criteria)] = grid
    totals = np.einsum("ak,sgk->sga", z, w)  # (criterion swept, share, applicant)
    rank = (-totals).argsort(axis=2).argsort(axis=2) + 1
    return pd.DataFrame({
        "criterion_id": np.repeat(ids, len(grid) * len(codes)),
        "criterion_zh": np.repeat(["经济强", "产业兴", "基础好", "积极性高", "党建引领好"][:n_criteria],
                                  len(grid) * len(codes)),
        "share": np.tile(np.repeat(grid, len(codes)), n_criteria),
        "nominal_share": 1.0 / n_criteria,
        "village_code": np.tile(codes, n_criteria * len(grid)),
        "total": totals.ravel(),
        "rank": rank.ravel(),
        "selected": rank.ravel() <= n_selected,
    })


def charts(d: dict) -> dict:
    """Name -> zero-argument callable drawing one chart and returning its Axes."""
    return {
        "radar": lambda: plots.plot_radar(d["scores"], "340722"),
        "gap_bars": lambda: plots.plot_gap_bars(d["gaps"]),
        "score_heatmap": lambda: plots.plot_score_heatmap(d["scores"], county_code="340722"),
        "trend": lambda: plots.plot_trend(d["values"], d["trend_id"], benchmark=85.0, target_year=2027),
        "plan_progress": lambda: plots.plot_plan_progress(d["progress"]),
        "ledger": lambda: plots.plot_ledger(d["projects"]),
        "lorenz": lambda: plots.plot_lorenz(d["lorenz"]),
        "rank_intervals_150": lambda: plots.plot_rank_intervals(d["ranks"]),
        "rank_intervals_30": lambda: plots.plot_rank_intervals(d["ranks"].head(30)),
        "criteria_profile": lambda: plots.plot_criteria_profile(d["applicants"]),
        "selection_probability": lambda: plots.plot_selection_probability(d["probs"]),
        "weight_sweep": lambda: plots.plot_weight_sweep(d["sweep"]),
        "weight_sweep_village": lambda: plots.plot_weight_sweep(d["sweep"], village_code=d["sweep"]["village_code"][0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--tight", action="store_true", help='also time bbox_inches="tight"')
    args = parser.parse_args()
    set_theme()
    d = build_inputs()
    for fn in charts(d).values():  # warm-up: font loading, first-draw caches
        fn()
        plt.close("all")
    head = f"{'chart':<24}{'median s':>10}{'min s':>10}{'PNG kB':>10}"
    print(head + (f"{'tight s':>10}" if args.tight else ""))
    total = total_tight = 0.0
    for name, fn in charts(d).items():
        times, tight = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            ax = fn()
            buf = io.BytesIO()
            ax.figure.savefig(buf, format="png", dpi=100)
            times.append(time.perf_counter() - t0)
            plt.close(ax.figure)
            if args.tight:
                t0 = time.perf_counter()
                ax = fn()
                ax.figure.savefig(io.BytesIO(), format="png", dpi=100, bbox_inches="tight")
                tight.append(time.perf_counter() - t0)
                plt.close(ax.figure)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.png").write_bytes(buf.getvalue())
        med = statistics.median(times)
        total += med
        row = f"{name:<24}{med:>10.3f}{min(times):>10.3f}{len(buf.getvalue()) / 1024:>10.1f}"
        if args.tight:
            total_tight += statistics.median(tight)
            row += f"{statistics.median(tight):>10.3f}"
        print(row)
    print(f"{'total':<24}{total:>10.3f}" + (f"{'':>20}{total_tight:>10.3f}" if args.tight else ""))


if __name__ == "__main__":
    main()
