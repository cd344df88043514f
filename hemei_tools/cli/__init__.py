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


#: Subcommand modules, each defining a click command of the same name. Listed explicitly so that
#: readers and static tools see every command; each module imports its heavy dependencies lazily.
COMMANDS = ("batch", "demo", "reference", "render", "report", "select", "template", "validate")


def _register() -> None:
    """Attach every subcommand listed in :data:`COMMANDS`."""
    import importlib

    for name in COMMANDS:
        module = importlib.import_module(f"hemei_tools.cli.{name}")
        main.add_command(getattr(module, name))


_register()
