"""The ``hemei`` command line.

Each subcommand is a thin wrapper over a package function; user-data problems are printed
as tables or one-line errors, never as tracebacks. Exit codes: 0 success, 1 invalid data or a
failed run, 2 usage errors.
"""

from __future__ import annotations

import click

from hemei_tools import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hemei")
def main() -> None:
    """hemei-tools: 和美乡村 data, indicators, gaps to the Zhejiang benchmark, and reports."""


def _register() -> None:
    """Attach every subcommand module found in :mod:`hemei_tools.commands`."""
    import importlib
    import pkgutil

    from hemei_tools import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"hemei_tools.commands.{info.name}")
        command = getattr(module, info.name, None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register()
