"""``hemei reference --data DIR [--out FILE]``: (re)compute the pinned reference goalposts.

The only way ``catalogue/reference_goalposts.csv`` changes: reports never compute goalposts
from the data they load (:mod:`hemei_tools.engine.goalposts`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click


def _describe(data_dir: Path, metadata: dict) -> str:
    """What the reference data are, for the ``dataset`` column: the demo command that wrote
    them, or the folder's name."""
    if metadata.get("scale") and metadata.get("seed") is not None:
        return f"hemei demo --scale {metadata['scale']} --seed {metadata['seed']}"
    return data_dir.name


def _default_out() -> Path:
    """The catalogue's own ``reference_goalposts.csv`` (a file of the installed package)."""
    from importlib import resources

    return Path(str(resources.files("hemei_tools") / "catalogue" / "reference_goalposts.csv"))


@click.command("reference")
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, path_type=Path),
              help="Data folder (or workbook) to compute the reference from, e.g. the synthetic Anhui "
                   "demo written by `hemei demo --scale anhui --out DIR --seed 2023`.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV file to write (default: the catalogue's reference_goalposts.csv).")
@click.option("--level", type=click.Choice(["county", "city", "township"]), default="county", show_default=True,
              help="Level of the units whose values the percentiles are taken over.")
@click.option("--year", type=int, default=None, help="Year of the values (default: the latest with data).")
def reference(data_dir: Path, out: Path | None, level: str, year: int | None) -> None:
    """Compute the pinned reference goalposts from a data set and write them as a CSV.

    For every scored indicator: the 75th, 90th and 95th percentiles of its LEVEL values
    (counties by default) on the good side, the 90th being the goalpost of an indicator with
    no published figure and no policy standard (the others are drawn only by the uncertainty
    analysis), and the 2.5th percentile on the bad side for an indicator without a catalogue
    floor. Policy standards are kept as they are. Every row names the data set, year, level and
    whether the data are synthetic.
    """
    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.engine.goalposts import reference_goalposts
    from hemei_tools.engine.rollup import aggregate_values
    from hemei_tools.errors import HemeiError
    from hemei_tools.inputs.dataset import load_dataset

    try:
        cat = load_catalogue(complete=False)
        ds = load_dataset(data_dir, catalogue=cat)
        meta_file = (data_dir if data_dir.is_dir() else data_dir.parent) / "metadata.json"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        values = aggregate_values(ds.observations, ds.villages, cat, levels=(level,))
        table = reference_goalposts(values, cat, dataset=_describe(data_dir, meta), synthetic=bool(ds.synthetic),
                                    level=level, year=year)
    except HemeiError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(1) from None
    target = out or _default_out()
    from hemei_tools.paths import write_atomic

    write_atomic(target, table.to_csv(index=False, lineterminator="\n"))
    n_bench = int((table["role"] == "benchmark").sum())
    click.echo(f"wrote {len(table)} rows ({n_bench} goalposts) to {target}; reference data: "
               f"{table['dataset'].dropna().iloc[-1]}{' (synthetic)' if ds.synthetic else ''}")
