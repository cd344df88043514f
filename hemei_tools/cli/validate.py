"""``hemei validate PATH... [--csv OUT] [--lang zh|en] [--strict] [--sheet NAME] [--max-listed N]
[--max-file-mb MB] [--max-unzipped-mb MB] [--max-cells N]``: check input files and list every
problem."""

from __future__ import annotations

from pathlib import Path

import click

from hemei_tools.cli._fill_in import (
    annotate_option,
    check_annotate_target,
    echo_unfilled,
    write_annotations,
)

MAX_LISTED = 20
"""Problems listed in the terminal per rule and file by default (the others are counted)."""
_SIZES = ("villages", "observations", "projects", "applicants")
_OPTIONAL_SIZES = ("natural_villages", "county_designations")  # listed when present


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the problems to this CSV file (UTF-8 with BOM, for Excel; text that "
                   "Excel would run as a formula is written after a quote).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the problem table, the CSV and every message.")
@click.option("--strict", is_flag=True,
              help="Warnings (unknown columns, hidden sheets, no village list) make the data "
                   "invalid too (exit code 1).")
@click.option("--sheet", "sheets", multiple=True, metavar="NAME",
              help="Also read the sheet NAME of each workbook, even a hidden one (repeatable).")
@click.option("--max-listed", type=click.IntRange(0), default=MAX_LISTED, show_default=True, metavar="N",
              help="Problems listed per rule and file; the others are counted in one line (0 lists "
                   "all). --csv always writes every problem.")
@click.option("--max-file-mb", type=click.FloatRange(min=0, min_open=True), default=None, metavar="MB",
              help="Refuse files larger than MB megabytes on disk [default: $HEMEI_MAX_FILE_MB or 200].")
@click.option("--max-unzipped-mb", type=click.FloatRange(min=0, min_open=True), default=None, metavar="MB",
              help="Refuse workbooks (and Parquet files) larger than MB megabytes once uncompressed "
                   "[default: $HEMEI_MAX_UNZIPPED_MB or 500].")
@click.option("--max-cells", type=click.IntRange(1), default=None, metavar="N",
              help="Refuse workbook sheets of more than N cells (rows × columns) "
                   "[default: $HEMEI_MAX_CELLS or 5000000].")
@annotate_option
def validate(paths: tuple[Path, ...], csv_out: Path | None, lang: str, strict: bool,
             sheets: tuple[str, ...], max_listed: int, max_file_mb: float | None, max_unzipped_mb: float | None,
             max_cells: int | None, annotate: Path | None) -> None:
    """Check data files or folders (CSV, .xlsx, .xls, .xlsb, .ods, Parquet) against the data model.

    All PATHs are read together as one data set; a folder may hold one workbook per township
    or per year (their rows are combined). Prints every problem in one table: 文件 / 工作表 /
    行 (as seen in Excel) / 列 / 值 / 问题 / 修改建议, in Chinese unless --lang en. Errors make
    the data invalid; warnings (an unknown column, a hidden sheet skipped) are listed but do
    not, unless --strict; notes say what was done for you (Excel serial dates converted).
    Bookkeeping columns (序号, 备注, 填报人 …) are ignored and listed. At most --max-listed
    problems of one rule in one file are listed, then a line counts the others; --csv writes
    them all.

    Files over a limit are refused before they are read (a problem naming the size and the
    limit): --max-file-mb (size on disk), --max-unzipped-mb (a workbook once uncompressed),
    --max-cells (one sheet); the environment variables HEMEI_MAX_FILE_MB, HEMEI_MAX_UNZIPPED_MB
    and HEMEI_MAX_CELLS set them for every command (hemei batch and report too). Exit code 0
    when the data are valid, 1 when they are not, 2 on usage errors.
    """
    if not paths:
        raise click.UsageError("give at least one file or folder to validate")
    if csv_out is not None and not csv_out.parent.is_dir():
        raise click.UsageError(f"folder of --csv does not exist: {csv_out.parent}")
    check_annotate_target(annotate, paths)
    from hemei_tools.errors import HemeiError
    from hemei_tools.inputs.dataset import read_dataset
    from hemei_tools.inputs.limits import input_limits
    from hemei_tools.inputs.wording import join, language
    from hemei_tools.inputs.wording import template as _tf
    from hemei_tools.inputs.wording import text as _t

    try:
        with input_limits(max_file_mb, max_unzipped_mb, max_cells):
            ds, report = read_dataset(paths, lang=lang, sheets=sheets)
    except HemeiError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(getattr(err, "exit_code", 1)) from None
    if csv_out is not None:
        try:
            report.write_csv(csv_out)
        except OSError as err:
            raise click.UsageError(f"cannot write {csv_out}: {err}") from None
    with language(lang):
        sizes = join(_tf(f"input.cli.size.{k}", n=f"{len(ds.table(k)):,}") for k in (*_SIZES, *_OPTIONAL_SIZES)
                     if k in _SIZES or len(ds.table(k)))
        note = _t("input.cli.synthetic") if ds.synthetic else ""
        counts = join(_tf(f"input.cli.count.{lv}", n=f"{report.count(lv):,}") for lv in ("error", "warning", "note")
                      if report.count(lv))
        if len(report):
            click.echo(report.render(limit=max_listed))
            if report.unlisted(max_listed):
                click.echo(_tf("input.cli.listed", n=max_listed, total=f"{len(report):,}"))
            click.echo("")
        if report.ignored:
            by_where: dict[str, dict[str, None]] = {}
            for file, sheet, header in report.ignored:
                by_where.setdefault(file + (f"[{sheet}]" if sheet else ""), {})[header] = None
            click.echo(_tf("input.cli.ignored", columns=_t("punct.semicolon").join(
                _tf("input.cli.ignored_in", columns=join(h), where=w) for w, h in by_where.items())))
        valid = report.passes(strict)
        if valid and not len(report):
            click.echo(_tf("input.cli.ok", files=len(ds.files), sizes=sizes, note=note))
        elif valid:
            click.echo(_tf("input.cli.ok_with", files=len(ds.files), sizes=sizes, note=note, counts=counts))
        else:
            files = report.files()
            click.echo(_tf("input.cli.failed", counts=counts, files=files, sizes=sizes, note=note)
                       + (_t("input.cli.strict") if strict and report.ok else ""))
    echo_unfilled(paths, lang)
    write_annotations(report, annotate)
    if not valid:
        raise SystemExit(1)
