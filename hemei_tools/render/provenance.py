"""Provenance of a rendered report: what produced it, from which inputs, when.

A report is only trustworthy when a reader can tell which code, which parameters and which
exact input files made it. :func:`collect_provenance` gathers those facts into a plain,
JSON-serialisable dict that the report template prints and the batch stores beside each
report. The inputs' fingerprint comes from :mod:`hemei_tools.inputs.fingerprint`.

Two rules keep what a report records fit to share:

- times are kept as UTC ISO 8601 in the records (``started``, ``created``) and shown in
  北京时间 (:func:`beijing_time`: ``2026年12月6日 16:05（北京时间）``);
- no output file names a folder of the machine that built it (:class:`PortablePaths`): the run
  folder is ``.``, the data folder is written relative to the run folder, the package
  checkout, the Python installation and the home folder by name.

Everything here is standard library only (and :mod:`hemei_tools.contract`'s wording), so the
no-op path of ``hemei batch`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

from hemei_tools import __version__
from hemei_tools.contract import label_text
from hemei_tools.paths import write_atomic

#: China Standard Time, UTC+8 all year (no daylight saving since 1991): the reports' clock.
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


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


def beijing_time(stamp: str | None) -> str:
    """A UTC ISO 8601 time as a reader in China reads it (label ``time.beijing``).

    ``"2026-12-06T08:05:40Z"`` gives ``"2026年12月6日 16:05（北京时间）"``: the instant plus
    8 hours, to the minute. A time with its own offset is converted from it; one without an
    offset is taken as UTC. ``None`` or an empty string gives ``"—"``; text that is not a time
    is returned as it is.
    """
    if not stamp:
        return "—"
    try:
        when = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    local = when.astimezone(BEIJING)
    return label_text("time.beijing").format(year=local.year, month=local.month, day=local.day,
                                             time=f"{local.hour:02d}:{local.minute:02d}")


def _package_checkout() -> Path:
    """The folder that holds the ``hemei_tools`` package (the checkout of an editable install)."""
    return Path(__file__).resolve().parents[2]


class PortablePaths:
    """Rewrites the absolute paths of the building machine out of text and records.

    Each known folder, wherever it occurs as a whole path component (followed by ``/``, a
    quote, a space, the end...), is replaced, the most specific first:

    ========================  =========================================================
    the run folder            ``.`` (files beside the report)
    the data folder           its path relative to the run folder (``../../data/demo``),
                              or its name alone when the two share only the root
    the package checkout      ``hemei-tools``
    Python's installation     ``python`` (``sys.prefix``, ``sys.base_prefix``)
    the home folder           ``~``
    ========================  =========================================================

    Both the given and the resolved (symlink-free) form of each folder are rewritten.

    Parameters
    ----------
    data_dir, out_dir
        The data folder (or workbook) and the run folder; either may be None or empty.
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None):
        out = Path(out_dir).absolute() if out_dir else None
        data = Path(data_dir).expanduser().absolute() if data_dir else None
        #: How the data folder is written in the outputs ("" when there is none).
        self.data_label = self._relative_data(data, out) if data is not None else ""
        pairs: list[tuple[str, str]] = []
        for folder, text in ((out, "."), (data, self.data_label), (_package_checkout(), "hemei-tools"),
                             (Path(sys.prefix), "python"), (Path(sys.base_prefix), "python"),
                             (Path.home(), "~")):
            if folder is None:
                continue
            for form in {str(folder), str(folder.resolve())}:
                if len(form) > 1 and form != os.sep:  # never rewrite "/" itself
                    pairs.append((form, text))
        pairs.sort(key=lambda p: -len(p[0]))
        self._replacement = dict(pairs)
        self._pattern = re.compile(
            "(?:" + "|".join(re.escape(p) for p, _ in pairs) + r")(?![\w.-])") if pairs else None

    @classmethod
    def of_run(cls, data_dir: str | os.PathLike | None, out_dir: str | os.PathLike | None) -> PortablePaths:
        """The rewriter of a report run: ``data_dir`` as a notebook resolves it (an empty one is
        ``HEMEI_DATA_DIR`` or the demo data, :func:`hemei_tools.paths.resolve_data_dir`)."""
        from hemei_tools.errors import HemeiError
        from hemei_tools.paths import resolve_data_dir

        try:
            data = resolve_data_dir(data_dir or "")
        except HemeiError:
            data = Path(data_dir) if data_dir else None
        return cls(data, out_dir)

    @staticmethod
    def _relative_data(data: Path, out: Path | None) -> str:
        if out is None:
            return data.name
        data_r, out_r = data.resolve(), out.resolve()
        common = os.path.commonpath([str(data_r), str(out_r)])
        if Path(common) == Path(common).parent:  # only the root in common
            return data.name
        return Path(os.path.relpath(data_r, out_r)).as_posix()

    def text(self, text: str) -> str:
        """``text`` with every known folder rewritten."""
        if self._pattern is None or not isinstance(text, str):
            return text
        return self._pattern.sub(lambda m: self._replacement[m.group(0)], text)

    def obj(self, value):
        """A JSON-like value (dicts, lists, strings; a notebook node) with every string rewritten,
        dicts and lists rebuilt in place (so a notebook node stays one)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            for key in list(value):
                value[key] = self.obj(value[key])
            return value
        if isinstance(value, list):
            value[:] = [self.obj(v) for v in value]
            return value
        if isinstance(value, tuple):
            return tuple(self.obj(v) for v in value)
        return value

    def file(self, path: str | os.PathLike) -> None:
        """Rewrite a text file (a log, a notebook) in place, atomically; a missing or
        unreadable file is left alone."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError:
            return
        new = self.text(text)
        if new != text:
            write_atomic(path, new.encode("utf-8", errors="surrogateescape"))


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
