"""``hemei report``: render one county report (executed notebook + offline HTML)."""

from __future__ import annotations

import click

from hemei_tools.contract import label_text as _t


@click.command("report")
@click.option("--county", "county_code", required=True, metavar="CODE",
              help=_t("cli.report.county_help"))
@click.option("--year", type=int, default=2023, show_default=True, help="Report year.")
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="Data folder or workbook [default: data/demo, generated if missing].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder [default: outputs/<data folder name>].")
@click.option("--pdf", is_flag=True,
              help="Also print the page to OUT/<code>.pdf (A4, with the Chromium of HEMEI_CHROMIUM or "
                   "/usr/bin/chromium).")
def report(county_code: str, year: int, data_dir: str | None, out_dir: str | None, pdf: bool = False) -> None:
    """Render the county report for one county into OUT/<code>.html and OUT/<code>.ipynb.

    The HTML hides the code, embeds its charts and makes no network request. Exit code 1 when
    the notebook fails (the failed notebook and the log are kept beside it, and so is the last
    good page) or the data cannot be read, 2 for a county not in the data, 3 when OUT cannot be
    written (disk full, read-only, no permission, gone).
    """
    from pathlib import Path

    from hemei_tools.batch.folder import input_error, is_output_failure, output_error
    from hemei_tools.cli._data import data_dir_or_demo
    from hemei_tools.errors import HemeiError
    from hemei_tools.inputs.fingerprint import hash_inputs
    from hemei_tools.inputs.regions import list_counties
    from hemei_tools.paths import default_out_dir
    from hemei_tools.render.execute import render_report
    from hemei_tools.render.notebooks import report_stem

    out = None
    try:
        data = data_dir_or_demo(data_dir)
        params = {"county_code": county_code, "year": year, "data_dir": str(data)}
        stem = report_stem("county_report", params)
        known = list(list_counties(data)["county_code"])
        if county_code not in known:
            raise click.BadParameter(f"{county_code} is not in the data; available: {', '.join(known)}",
                                     param_hint="--county")
        inputs = hash_inputs(data)
        out = Path(out_dir).resolve() if out_dir else default_out_dir(data)
        log = out / "logs" / f"{stem}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("", encoding="utf-8")
        result = render_report("county_report", params, out, inputs=inputs, log_file=log)
    except OSError as exc:
        error = (output_error(exc, out) if out is not None and is_output_failure(exc, out)
                 else input_error(exc))
        _fail(error)
    except HemeiError as exc:
        _fail(exc)
    if result.status != "ok":
        click.echo(f"failed: {result.error}\n  notebook: {result.notebook}\n  log: {log}", err=True)
        raise SystemExit(1)
    click.echo(f"wrote {result.html} ({result.seconds:.1f} s)")
    if pdf:
        print_pdf_beside(Path(result.html))


def print_pdf_beside(page) -> None:
    """Print an HTML page to a PDF of the same name beside it (one Chromium); echo the path, or
    fail with the one-line reason (no Chromium: exit code 1)."""
    import time

    from hemei_tools.errors import HemeiError
    from hemei_tools.render.pdf import print_pdfs

    t0 = time.perf_counter()
    try:
        (written,) = print_pdfs([(page, page.with_suffix(".pdf"))])
    except HemeiError as exc:
        _fail(exc)
    except OSError as exc:
        from hemei_tools.batch.folder import output_error

        _fail(output_error(exc, page.parent))
    click.echo(f"wrote {written} ({time.perf_counter() - t0:.1f} s)")


def _fail(exc) -> None:
    """Print a toolkit error as one line and exit with its code (``HemeiError.exit_code``)."""
    error = click.ClickException(str(exc))
    error.exit_code = getattr(exc, "exit_code", 1)
    raise error from exc
