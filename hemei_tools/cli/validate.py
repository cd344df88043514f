"""``hemei validate PATH... [--csv OUT]``: check input files and list every problem."""

from __future__ import annotations

from pathlib import Path

import click

from hemei_tools.cli._fill_in import (
    annotate_option,
    check_annotate_target,
    echo_unfilled,
    write_annotations,
)


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the problems to this CSV file (UTF-8 with BOM, for Excel; text that "
                   "Excel would run as a formula is written after a quote).")
@annotate_option
def validate(paths: tuple[Path, ...], csv_out: Path | None, annotate: Path | None) -> None:
    """Check data files or folders (CSV, .xlsx, Parquet) against the data model.

    All PATHs are read together as one data set. Prints every problem in one table (file,
    sheet, row as seen in Excel, column, value, rule, hint). Exit code 0 when the data are
    clean, 1 when they are invalid, 2 on usage errors.
    """
    if not paths:
        raise click.UsageError("give at least one file or folder to validate")
    if csv_out is not None and not csv_out.parent.is_dir():
        raise click.UsageError(f"folder of --csv does not exist: {csv_out.parent}")
    check_annotate_target(annotate, paths)
    from hemei_tools.errors import HemeiError
    from hemei_tools.inputs.dataset import read_dataset

    try:
        ds, report = read_dataset(paths)
    except HemeiError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(1) from None
    if csv_out is not None:
        try:
            report.write_csv(csv_out)
        except OSError as err:
            raise click.UsageError(f"cannot write {csv_out}: {err}") from None
    optional = ("natural_villages", "county_designations")  # listed when present
    sizes = ", ".join(f"{len(ds.table(k))} {k}".replace("_", " ") for k in
                      ("villages", "observations", "projects", "applicants", *optional)
                      if k not in optional or len(ds.table(k)))
    note = " (synthetic data)" if ds.synthetic else ""
    if report.ok:
        click.echo(f"OK: {len(ds.files)} file(s), {sizes}{note}; no problems found.")
        echo_unfilled(paths)
        write_annotations(report, annotate)
        return
    click.echo(report.render())
    n = len(report)
    files = report.to_frame()["file"].nunique()
    click.echo(f"\n{n} problem(s) in {files} file(s); read: {sizes}{note}.")
    echo_unfilled(paths)
    write_annotations(report, annotate)
    raise SystemExit(1)
