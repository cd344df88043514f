"""Exceptions raised by hemei-tools.

User-facing problems (bad data, bad specifications) are reported through these classes so the
command line can print them without a traceback.
"""

from __future__ import annotations


class HemeiError(Exception):
    """Base class of every error the toolkit raises on purpose.

    ``exit_code`` is the command line's exit code for it (1 unless a subclass says otherwise).
    """

    exit_code = 1


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


class KernelDiedError(ReportError):
    """A report kernel died while it ran the report's cells (killed by the out-of-memory killer,
    its fork server gone).

    The batch retries such a job once in a fresh kernel, then records it as failed.
    """


class OutputError(HemeiError):
    """The run folder cannot be written: disk full, read-only, no permission, or the folder
    disappeared. The message is one line naming the path and what to do.

    Attributes
    ----------
    path
        The file or folder that could not be written.
    exit_code
        Exit code of the command line (3, see ``hemei batch --help``).
    """

    exit_code = 3

    def __init__(self, message: str, path: str = ""):
        self.path = path
        super().__init__(message)


class InputReadError(HemeiError):
    """An input file or folder cannot be read (no permission, vanished while read)."""


class BatchLockedError(BatchError):
    """Another batch holds the run folder's lock (exit code 4)."""

    exit_code = 4
