"""The fill-in loop's part of ``hemei validate``: 未填写 counts of templates, ``--annotate`` copies.

``hemei template`` writes a workbook, the office fills it in, ``hemei validate`` checks it (rows
not filled in are counted as 未填写, not reported as errors: :func:`echo_unfilled`), and
``--annotate OUT`` writes a marked copy of each workbook with problems for the office to fix
(:func:`write_annotations`). Kept apart from :mod:`hemei_tools.cli.validate` so the command reads
as one flow.
"""

from __future__ import annotations

from pathlib import Path

import click

annotate_option = click.option(
    "--annotate", "annotate", type=click.Path(path_type=Path), default=None, metavar="OUT",
    help="Write a marked copy of each .xlsx workbook with problems: OUT.xlsx for one workbook, "
         "else a folder (created). Problem cells are coloured and commented, and a first sheet "
         "(the problem list) links to them. The originals are never modified.")


def check_annotate_target(out: Path | None, paths) -> None:
    """Usage errors of ``--annotate`` before anything is read: a missing parent folder, or a
    target that is an input file or a data folder being read."""
    if out is None:
        return
    from hemei_tools.catalogue import format_label as _tf
    from hemei_tools.inputs.formats import XLSX_SUFFIXES

    single = out.suffix.lower() in XLSX_SUFFIXES
    folder = out.parent if single else out
    if single and not out.parent.is_dir():
        raise click.UsageError(f"folder of --annotate does not exist: {out.parent}")
    if not single and out.exists() and not out.is_dir():
        raise click.UsageError(f"--annotate {out} is a file; give OUT.xlsx or a folder")
    for p in map(Path, paths):
        p = p.resolve()
        if out.resolve() == p or (p.is_dir() and folder.resolve() == p):
            raise click.UsageError(_tf("cli.annotate.onto_input", path=out))


def write_annotations(report, out: Path | None) -> None:
    """Write the marked copies and say what was written (nothing when ``out`` is ``None``)."""
    if out is None:
        return
    from hemei_tools.catalogue import format_label, label
    from hemei_tools.inputs.annotate import annotate_report

    lang = getattr(report, "lang", "zh")
    if not len(report):
        click.echo(label("cli.annotate.none", lang))
        return
    try:
        copies, skipped = annotate_report(report, out)
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    except OSError as err:
        raise click.UsageError(f"cannot write {out}: {err}") from None
    for c in copies:
        click.echo(format_label("cli.annotate.written", lang=lang, path=c.path, n=c.problems, cells=c.cells))
    for f in skipped:
        click.echo(format_label("cli.annotate.skipped", lang=lang, path=f))


def echo_unfilled(paths, lang: str = "zh") -> None:
    """One line per fill-in template among ``paths``: how many rows of each sheet are 未填写
    (in ``lang``)."""
    from hemei_tools.catalogue import format_label, label
    from hemei_tools.inputs.unfilled import unfilled_status

    def _tf(key: str, **values) -> str:
        return format_label(key, lang=lang, **values)

    by_file: dict[str, list[str]] = {}
    for s in unfilled_status(paths):
        if s.prefilled and s.empty_cells:
            part = _tf("template.status.cells", sheet=s.sheet, unfilled=s.unfilled, total=s.total,
                       cells=s.empty_cells)
        elif s.prefilled:
            part = _tf("template.status.rows", sheet=s.sheet, unfilled=s.unfilled, total=s.total)
        elif s.total:
            part = _tf("template.status.open_rows", sheet=s.sheet, filled=s.total)
        else:
            part = _tf("template.status.open_empty", sheet=s.sheet)
        by_file.setdefault(s.file, []).append(part)
    for file, parts in by_file.items():
        click.echo(_tf("template.status.heading", file=file) + label("punct.semicolon", lang).join(parts))
