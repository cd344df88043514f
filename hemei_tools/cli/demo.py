"""``hemei demo``: write the synthetic demo data set (示例数据（模拟）)."""

from __future__ import annotations

import click

from hemei_tools.contract import label_text as _t


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="data/demo",
              show_default=True, help="Folder to write the demo tables into (created if missing).")
@click.option("--seed", type=int, default=2023, show_default=True,
              help="Random seed; the same seed writes byte-identical files.")
@click.option("--scale", type=click.Choice(["tongling", "anhui", "national"]), default="tongling",
              show_default=True,
              help="tongling: the 363 real villages of city 3407; anhui: all 13,583 Anhui "
                   "villages; national: synthetic divisions (needs --villages).")
@click.option("--villages", type=click.IntRange(1, 700_000), default=None,
              help="Number of synthetic villages for --scale national (up to 700,000).")
@click.option("--years", default=None, metavar="YEARS",
              help="Observation years within 2019-2023, e.g. 2023 or 2021,2023 or 2019-2023 "
                   "(default all five).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "both"]), default=None,
              help="csv: four CSV files; parquet: villages/projects/applicants.parquet and "
                   "observations/county_code=*/part.parquet; both (default csv for tongling, "
                   "parquet otherwise).")
def demo(out_dir: str, seed: int, scale: str, villages: int | None, years: str | None,
         fmt: str | None) -> None:
    """Generate the synthetic demo data set: villages, observations, projects, applicants.

    Values are simulated on the real village list (or synthetic divisions) and calibrated to
    the city's published totals; every table carries synthetic = True and metadata.json says so.
    """
    import time

    from hemei_tools.demo.generate import DemoError, write_demo

    t0 = time.perf_counter()
    try:
        result = write_demo(out_dir, scale=scale, seed=seed, villages=villages, years=years, fmt=fmt)
    except DemoError as exc:
        raise click.UsageError(str(exc)) from exc
    meta = result["metadata"]
    ys = meta["years"]
    span = str(ys[0]) if len(ys) == 1 else f"{ys[0]}-{ys[-1]}"
    click.echo(f"wrote the {scale} demo data set (seed {seed}, years {span}) to "
               f"{result['out_dir']} in {time.perf_counter() - t0:.1f} s:")
    for name, rows in sorted(result["files"].items()):
        click.echo(f"  {name:<24} {rows:>12,} rows")
    click.echo(f"  {'metadata.json':<24} synthetic: true, seed, scale, calibration")
    click.echo(_t("cli.demo.reminder"))
