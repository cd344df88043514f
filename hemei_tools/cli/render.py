"""``hemei render``: the offline report page of a notebook executed with plain papermill."""

from __future__ import annotations

import click


@click.command("render")
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write [default: NOTEBOOK with .html].")
@click.option("--pdf", is_flag=True,
              help="Also print the page to a PDF of the same name (A4, with the Chromium of "
                   "HEMEI_CHROMIUM or /usr/bin/chromium).")
def render(notebook: str, out_file: str | None, pdf: bool) -> None:
    """Write the offline HTML page of NOTEBOOK, a report notebook executed with papermill:

    \b
      papermill notebooks/county_report.ipynb out.ipynb -p county_code 340722
      hemei render out.ipynb            # writes out.html

    The page is the one hemei report and hemei batch write (same template, sanitizer and
    Content-Security-Policy): code hidden, charts embedded, the synthetic-data banner, a table
    of contents and the provenance read from papermill's record; it loads nothing from the
    network (no require.js, no MathJax). Exit code 1 when NOTEBOOK is not an executed report
    notebook or a cell failed, 3 when the page cannot be written.
    """
    from pathlib import Path

    from hemei_tools.cli.report import _fail, print_pdf_beside
    from hemei_tools.errors import HemeiError
    from hemei_tools.render.html import render_notebook

    try:
        page = render_notebook(notebook, out_file)
    except HemeiError as exc:
        _fail(exc)
    except OSError as exc:
        from hemei_tools.batch.folder import output_error

        target = Path(out_file) if out_file else Path(notebook).with_suffix(".html")
        _fail(output_error(exc, target.parent))
    click.echo(f"wrote {page}")
    if pdf:
        print_pdf_beside(page)
