"""``hemei template --county CODE [--year Y] [--tables ...] --out FILE.xlsx``: the fill-in workbook."""

from __future__ import annotations

from pathlib import Path

import click

TABLES = "villages,observations,projects,applicants"


@click.command("template")
@click.option("--county", "county_code", required=True, metavar="CODE",
              help="Six-digit county-level division code, e.g. 340722.")
@click.option("--year", type=int, default=None,
              help="Observation year, pre-filled in the indicator sheet (else a column to fill in).")
@click.option("--tables", default=TABLES, show_default=True,
              help="Comma-separated tables to include: villages, observations, projects, applicants.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def template(county_code: str, year: int | None, tables: str, out: Path, force: bool) -> None:
    """Write the workbook a county office fills in.

    The county's official administrative villages (code, township, name) are pre-filled and
    locked; each catalogue indicator is one column with its unit in the header and a data
    validation from the catalogue; the 说明 sheet explains every indicator; the project ledger
    and applicant sheets have drop-down lists. A filled-in copy validates with
    `hemei validate FILE.xlsx`; rows left empty count as 未填写, not as errors.
    """
    from hemei_tools.catalogue import format_label as _tf
    from hemei_tools.catalogue import label as _t
    from hemei_tools.inputs.schema import YEAR_RANGE
    from hemei_tools.inputs.template import write_template

    if year is not None and not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise click.UsageError(f"--year must lie between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")

    if out.suffix.lower() != ".xlsx":
        raise click.UsageError(_tf("cli.template.bad_suffix", path=out))
    if out.exists() and not force:
        raise click.UsageError(_tf("cli.template.exists", path=out))
    if not out.parent.is_dir():
        raise click.UsageError(f"folder of --out does not exist: {out.parent}")
    wanted = tuple(t.strip() for t in tables.split(",") if t.strip())
    try:
        info = write_template(out, county_code.strip(), year, wanted)
    except KeyError as err:
        raise click.UsageError(err.args[0] if err.args else str(err)) from None
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    except OSError as err:
        raise click.UsageError(f"cannot write {out}: {err}") from None
    click.echo(_tf("cli.template.written", path=out, county=info.county_name, n=info.n_villages,
                   sheets=_t("punct.list_sep").join(info.sheets)))
    click.echo(_tf("cli.template.next", path=out))
