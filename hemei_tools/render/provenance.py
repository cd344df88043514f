"""Provenance of a rendered report: what produced it, from which inputs, when.

A report is only trustworthy when a reader can tell which code, which parameters and which
exact input files made it. :func:`collect_provenance` gathers those facts into a plain,
JSON-serialisable dict that the report template prints and the batch stores beside each
report. The inputs' fingerprint comes from :mod:`hemei_tools.inputs.fingerprint`.

Everything here is standard library only, so the no-op path of ``hemei batch`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

from hemei_tools import __version__


def git_commit(start: str | os.PathLike | None = None) -> str | None:
    """Commit hash of the checkout that holds the package, with ``+dirty`` if modified.

    Returns ``None`` when the package is not inside a git work tree or git is unavailable.
    """
    where = Path(start) if start is not None else Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where, capture_output=True, text=True, timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return commit + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def now_utc() -> str:
    """Current UTC time as ISO 8601 with seconds, e.g. ``2026-11-29T04:10:00Z``."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect_provenance(
    parameters: dict,
    inputs: dict[str, str],
    notebook: str,
    notebook_sha256: str,
    started: str,
    seconds: float,
    commit: str | None = None,
) -> dict:
    """Facts a reader needs to reproduce one report.

    Parameters
    ----------
    parameters
        Parameters the notebook ran with (JSON-serialisable).
    inputs
        ``{file name: sha256}`` of the input data, see :func:`hash_inputs`.
    notebook
        File name of the template notebook.
    notebook_sha256
        SHA-256 of the template notebook file.
    started
        UTC start time, ISO 8601.
    seconds
        Wall time of execution and export, in seconds.
    commit
        Git commit of the package checkout, if any.

    Returns
    -------
    dict
        ``package``, ``version``, ``commit``, ``python``, ``notebook``, ``notebook_sha256``,
        ``parameters``, ``inputs`` (list of ``{"file", "sha256"}``), ``started``, ``seconds``.
    """
    return {
        "package": "hemei-tools",
        "version": __version__,
        "commit": commit,
        "python": platform.python_version(),
        "notebook": notebook,
        "notebook_sha256": notebook_sha256,
        "parameters": dict(parameters),
        "inputs": [{"file": name, "sha256": digest} for name, digest in sorted(inputs.items())],
        "started": started,
        "seconds": round(float(seconds), 2),
    }
