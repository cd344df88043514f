"""How much the readers read: limits checked before a file's content is loaded.

A ledger of a county is a few megabytes; the synthetic Anhui observations (2.3 million rows)
are a 98 MB CSV. A file far above that is a mistake (a database dump, a wrong export) or an
attack (a 743 KB workbook that inflates to a 191 MB sheet of 12 million cells, which took
9.8 GB before these limits). Three limits refuse such a file with a problem naming the file,
its size, the limit and how to raise it, **before** memory grows:

======================  ================================  =========  ===========================
limit                   what is measured                  default    raised by
======================  ================================  =========  ===========================
``file_bytes``          the file's size on disk (a        200 MB     ``HEMEI_MAX_FILE_MB``,
                        partitioned Parquet table: its               ``hemei validate
                        parts together)                              --max-file-mb``
``unzipped_bytes``      the uncompressed size of a        500 MB     ``HEMEI_MAX_UNZIPPED_MB``,
                        workbook's parts (.xlsx, .xlsm,              ``--max-unzipped-mb``
                        .xlsb, .ods: zip archives; from
                        the zip directory) and of a
                        Parquet file's row groups (from
                        its footer)
``cells``               cells of one sheet of a workbook  5,000,000  ``HEMEI_MAX_CELLS``,
                        (rows × columns): the sheet's                ``--max-cells``
                        ``<dimension>`` tag before it is
                        opened, then the rows as they are
                        read, and the used range of an
                        .xls/.xlsb/.ods sheet
======================  ================================  =========  ===========================

MB here is 10⁶ bytes. The environment variables reach every process that reads data (``hemei
batch`` workers and report kernels inherit them); the ``hemei validate`` options override them
for one run (:func:`input_limits`). A CSV has no cell limit: it is read by pandas' C parser
into compact columns (2.3 million rows in under 1 GB), so its size on disk is the bound.

Standard library only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace

from hemei_tools.errors import HemeiError

MB = 1_000_000
"""Bytes in a megabyte of these limits (10⁶)."""
ENV_FILE_MB = "HEMEI_MAX_FILE_MB"
ENV_UNZIPPED_MB = "HEMEI_MAX_UNZIPPED_MB"
ENV_CELLS = "HEMEI_MAX_CELLS"
DEFAULT_FILE_MB = 200
DEFAULT_UNZIPPED_MB = 500
DEFAULT_CELLS = 5_000_000


class InputLimitError(HemeiError):
    """A limit given in the environment is not a positive number (exit code 2, a usage error)."""

    exit_code = 2


@dataclass(frozen=True)
class InputLimits:
    """The three limits, in bytes and cells (module docstring).

    Attributes
    ----------
    file_bytes
        Largest file read (size on disk).
    unzipped_bytes
        Largest uncompressed content of a workbook or Parquet file.
    cells
        Most cells (rows × columns) in one sheet of a workbook.
    """

    file_bytes: int = DEFAULT_FILE_MB * MB
    unzipped_bytes: int = DEFAULT_UNZIPPED_MB * MB
    cells: int = DEFAULT_CELLS


_OVERRIDE: ContextVar[InputLimits | None] = ContextVar("hemei_input_limits", default=None)


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InputLimitError(f"{name}={text!r}: give a positive number (default {default:g})")
    return value


def limits_from_env() -> InputLimits:
    """The limits of the environment variables (:data:`ENV_FILE_MB`, :data:`ENV_UNZIPPED_MB`,
    :data:`ENV_CELLS`), defaults for those unset; :class:`InputLimitError` for a bad value."""
    return InputLimits(file_bytes=int(_env_number(ENV_FILE_MB, DEFAULT_FILE_MB) * MB),
                       unzipped_bytes=int(_env_number(ENV_UNZIPPED_MB, DEFAULT_UNZIPPED_MB) * MB),
                       cells=int(_env_number(ENV_CELLS, DEFAULT_CELLS)))


def current_limits() -> InputLimits:
    """The limits in force: those of :func:`input_limits` in this context, else the
    environment's, else the defaults."""
    return _OVERRIDE.get() or limits_from_env()


@contextlib.contextmanager
def input_limits(file_mb: float | None = None, unzipped_mb: float | None = None,
                 cells: int | None = None) -> Iterator[InputLimits]:
    """Read with other limits in the block (``None`` keeps the current one)::

        with input_limits(file_mb=400):
            read_dataset("big_folder")
    """
    base = current_limits()
    new = replace(base, **{k: v for k, v in (
        ("file_bytes", None if file_mb is None else int(file_mb * MB)),
        ("unzipped_bytes", None if unzipped_mb is None else int(unzipped_mb * MB)),
        ("cells", cells)) if v is not None})
    for name, value in (("file_mb", new.file_bytes), ("unzipped_mb", new.unzipped_bytes), ("cells", new.cells)):
        if value <= 0:
            raise InputLimitError(f"{name} must be positive")
    token = _OVERRIDE.set(new)
    try:
        yield new
    finally:
        _OVERRIDE.reset(token)


def megabytes(n: int) -> str:
    """A size for a message: ``191.2 MB`` (10⁶ bytes), ``0.7 MB``; below 0.1 MB to the byte
    (``0.000096 MB``)."""
    value = n / MB
    return f"{value:,.1f} MB" if value >= 0.1 else f"{value:.6f}".rstrip("0").rstrip(".") + " MB"
