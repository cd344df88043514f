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


class ReportDataError(HemeiError):
    """The data for a report cannot be found or do not contain the requested region or year."""


class SectionError(HemeiError):
    """A report section cannot be built from the data (no unit, no year, no applicants)."""


class ReportError(HemeiError):
    """A report cannot be rendered: bad parameters, missing template or a failed notebook."""


class KernelStartError(ReportError, RuntimeError):
    """A report kernel did not start or did not become ready (fork server gone, kernel died
    before replying to ``kernel_info``, no reply in time).

    The batch retries a job once in a plain new kernel on this error, and only on this one.
    It is also a :class:`RuntimeError`, which is what nbclient expects from ``wait_for_ready``
    (it cleans the kernel up and re-raises).
    """


class BatchError(HemeiError):
    """The batch cannot start: bad county list, missing data, unknown scheduler."""
