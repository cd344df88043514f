"""The data folder of a command: the one given, else the project's demo data, written if missing."""

from __future__ import annotations

from pathlib import Path

import click

from hemei_tools.errors import DataDirError
from hemei_tools.paths import DEMO_DATA_DIR, resolve_data_dir


def data_dir_or_demo(data_dir: str | None) -> Path:
    """``data_dir`` resolved by :func:`hemei_tools.paths.resolve_data_dir`; when none is given
    and none is found, the synthetic demo data set is written into ``data/demo`` first."""
    try:
        return resolve_data_dir(data_dir)
    except DataDirError:
        if data_dir:
            raise
    from hemei_tools.demo import write_demo  # pandas: only when generating

    click.echo(f"no data folder given: writing the synthetic demo data into {DEMO_DATA_DIR}", err=True)
    DEMO_DATA_DIR.mkdir(parents=True, exist_ok=True)
    write_demo(DEMO_DATA_DIR)  # the demo's own default seed, as `hemei demo`
    return DEMO_DATA_DIR.resolve()
