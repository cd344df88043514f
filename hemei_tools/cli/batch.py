"""``hemei batch``: render the county and city reports, the region overview and the village selection, with an index page."""

from __future__ import annotations

import click


@click.command("batch")
@click.option("--counties", default="all", show_default=True, metavar="all|CODE,...",
              help="Counties to render: all, or comma-separated six-digit codes (at level city: "
                   "the cities that hold them).")
@click.option("--level", default="county", show_default=True, metavar="county|city|city,county",
              help="Report per county, per city (a region overview of each city), or both.")
@click.option("--year", type=int, default=2023, show_default=True, help="Report year.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Parallel workers [default: number of CPU cores].")
@click.option("--scheduler", default="processes", show_default=True,
              metavar="processes|dask|tcp://HOST:PORT",
              help="Local process pool, a Dask LocalCluster, or an existing Dask scheduler "
                   "(its workers must see the data and output folders at the same paths).")
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="Data folder or workbook [default: data/demo, generated if missing].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Run folder [default: outputs/<data folder name>].")
@click.option("--force", is_flag=True, help="Rebuild every report, even unchanged ones.")
@click.option("--no-overview", is_flag=True,
              help="Skip the overview of the whole data set (its city, or the province for data "
                   "spanning several cities).")
@click.option("--no-selection", is_flag=True,
              help="Skip the village selection (built only when the data hold applicants).")
def batch(counties: str, level: str, year: int, workers: int | None, scheduler: str, data_dir: str | None,
          out_dir: str | None, force: bool, no_overview: bool, no_selection: bool) -> None:
    """Render the county reports (--level county), the city overviews (--level city), the
    overview of the whole data set (a city, or the province) and, when the data hold
    applicants, the 精品示范村 village selection into OUT, with OUT/index.html.

    Unchanged reports (same notebook, parameters, input files and package version) are kept;
    a failing county is listed as failed in the index and never stops the others. Exit code 1
    when any report failed.
    """
    from hemei_tools.batch import run_batch
    from hemei_tools.cli._data import data_dir_or_demo
    from hemei_tools.errors import HemeiError

    try:
        result = run_batch(data_dir_or_demo(data_dir), out_dir, counties=counties, year=year, workers=workers,
                           scheduler=scheduler, force=force, overview=not no_overview,
                           selection=not no_selection, level=level)
    except HemeiError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{len(result.reports)} reports in {result.out_dir}: built {result.built}, "
               f"unchanged {result.skipped}, failed {result.failed} ({result.seconds:.1f} s)")
    for rep in result.reports:
        if rep["status"] != "ok":
            click.echo(f"  FAILED {rep['stem']}: {rep['error']}  (log: {rep.get('log')})", err=True)
    click.echo(f"index: {result.out_dir / 'index.html'}")
    if not result.ok:
        raise SystemExit(1)
