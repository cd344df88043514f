"""``hemei batch``: render the county and city reports, the region overview and the village selection, with an index page."""

from __future__ import annotations

import click

from hemei_tools.contract import label_text as _t


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
@click.option("--pdf", is_flag=True,
              help="Also print each report to OUT/<stem>.pdf (A4, with the Chromium of HEMEI_CHROMIUM or "
                   "/usr/bin/chromium) and the whole run, in index order, to OUT/reports.pdf.")
def batch(counties: str, level: str, year: int, workers: int | None, scheduler: str, data_dir: str | None,
          out_dir: str | None, force: bool, no_overview: bool, no_selection: bool, pdf: bool = False) -> None:
    """Render the county reports (--level county), the city overviews (--level city), the
    overview of the whole data set (a city, or the province) and, when the data hold
    applicants, the 精品示范村 village selection into OUT, with OUT/index.html.

    Unchanged reports (same notebook, parameters, input files, package version and package
    code) are kept; a failing county is listed as failed in the index (its last good page is
    kept, marked out of date) and never stops the others. A worker or kernel that dies costs
    its report one retry. One batch at a time writes OUT. Ctrl-C stops starting reports and
    waits for the running ones (press it again to cancel them); the index of what is done is
    written and a re-run builds only what is missing.

    \b
    Exit codes:
      0    every report built or unchanged
      1    a report failed; the data are invalid or unreadable; a county is not in the data
      2    usage error (unknown option, value out of range)
      3    OUT cannot be written: disk full, read-only, no permission, or it disappeared
      4    another batch is writing into OUT
      130  interrupted (Ctrl-C)
    """
    from hemei_tools.batch import run_batch
    from hemei_tools.cli._data import data_dir_or_demo
    from hemei_tools.errors import HemeiError, OutputError

    result = None
    try:
        result = run_batch(data_dir_or_demo(data_dir), out_dir, counties=counties, year=year, workers=workers,
                           scheduler=scheduler, force=force, overview=not no_overview,
                           selection=not no_selection, level=level)
    except KeyboardInterrupt:  # Ctrl-C before the batch could take it over (reading the data)
        click.echo(_t("cli.batch.interrupted"), err=True)
        raise SystemExit(130) from None
    except OutputError as exc:
        if getattr(exc, "result", None) is not None:
            _summary(exc.result)
        _fail(exc)
    except HemeiError as exc:
        _fail(exc)
    _summary(result)
    if result.stopped == "interrupt":
        click.echo(_t("cli.batch.interrupted"), err=True)
        raise SystemExit(130)
    if pdf:
        _pdfs(result.out_dir)
    if not result.ok:
        raise SystemExit(1)


def _fail(exc) -> None:
    """Print a toolkit error as one line and exit with its code (``HemeiError.exit_code``)."""
    error = click.ClickException(str(exc))
    error.exit_code = getattr(exc, "exit_code", 1)
    raise error from exc


def _summary(result) -> None:
    click.echo(f"{len(result.reports)} reports in {result.out_dir}: built {result.built}, "
               f"unchanged {result.skipped}, failed {result.failed}"
               + (f", not built {result.interrupted}" if result.interrupted else "")
               + f" ({result.seconds:.1f} s)")
    for rep in result.reports:
        if rep["status"] == "failed":
            click.echo(f"  FAILED {rep['stem']}: {rep['error']}  (log: {rep.get('log')})", err=True)
    if (result.out_dir / "index.html").is_file():
        click.echo(f"index: {result.out_dir / 'index.html'}")


def _pdfs(out) -> None:
    """Print the run's reports and its combined PDF (``hemei_tools.batch.pdf``); one line each."""
    from hemei_tools.batch.pdf import write_run_pdfs
    from hemei_tools.errors import HemeiError

    try:
        run = write_run_pdfs(out)
    except HemeiError as exc:
        _fail(exc)
    per = sum(run.seconds.values()) / len(run.seconds) if run.seconds else 0.0
    click.echo(f"PDF: printed {len(run.printed)}, unchanged {len(run.kept)}"
               + (f" ({per:.1f} s per report)" if run.seconds else "")
               + (f"; all reports: {run.combined}" if run.combined else "") + f" ({run.total:.1f} s)")
