"""Exceptions raised by hemei-tools.

User-facing problems (bad data, bad specifications) are reported through these classes so the
command line can print them without a traceback.
"""

from __future__ import annotations


class HemeiError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class CatalogueError(HemeiError):
    """The packaged or user-supplied catalogue breaks one of its rules.

    Parameters
    ----------
    problems
        One human-readable line per broken rule, each naming the file, row and rule.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("catalogue is invalid:\n  " + "\n  ".join(self.problems))


class SpecError(HemeiError):
    """An analysis specification (method name, weight, threshold) cannot be used."""


class DataDirError(HemeiError):
    """No usable data folder: the one given does not exist, or none was given and none found."""
