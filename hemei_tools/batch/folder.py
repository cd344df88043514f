"""The run folder: one batch at a time, and file-system failures as one-line messages.

- :class:`RunLock`: the lock file ``<out>/.hemei-batch.lock`` a batch holds while it plans,
  builds and writes the folder, so that a second batch into the same folder refuses with a
  message naming the first (its pid and start time) instead of mixing reports of two data sets
  under one manifest. The lock is an advisory ``flock`` on that file, which the operating
  system releases when its holder dies, so a lock left by a killed batch (a stale lock from a
  dead pid) is taken over without a question; the file is removed when the batch ends.
- :func:`output_error` / :func:`is_output_failure`: an ``OSError`` met while writing the run
  folder (disk full, read-only, no permission, folder gone) as an
  :class:`~hemei_tools.errors.OutputError` whose message is one line in the user's language
  (``labels.csv``) naming the path and what to do; :func:`input_error` does the same for an
  input that cannot be read.

Standard library only (the no-op path of ``hemei batch`` imports it).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
from pathlib import Path

from hemei_tools.contract import label_text
from hemei_tools.errors import BatchLockedError, InputReadError, OutputError

__all__ = ["LOCK", "RunLock", "input_error", "is_output_failure", "output_error"]

#: Name of the lock file in the run folder.
LOCK = ".hemei-batch.lock"

#: errno values that mean the whole run folder cannot take more output, wherever they occur.
_FOLDER_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
#: errno values that mean so when they concern a path inside the run folder.
_PATH_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR}


def _under(path: str | os.PathLike | None, folder: Path) -> bool:
    if not path:
        return False
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True


def is_output_failure(exc: BaseException, out: Path) -> bool:
    """Whether ``exc`` says that the run folder ``out`` cannot be written any more: disk full,
    quota, read-only file system anywhere; no permission, or a missing file or folder, on a path
    inside ``out``; or ``out`` itself is gone."""
    if not isinstance(exc, OSError):
        return False
    if exc.errno in _FOLDER_ERRNOS:
        return True
    if exc.errno in _PATH_ERRNOS and (_under(exc.filename, out) or _under(exc.filename2, out)):
        return True
    return not os.path.isdir(out)


def output_error(exc: OSError, out: Path) -> OutputError:
    """The :class:`~hemei_tools.errors.OutputError` for an ``OSError`` met while writing the run
    folder ``out``: one line naming the path and what to do.

    ``ENOSPC``/``EDQUOT`` → disk full, ``EROFS`` → read-only, ``EACCES``/``EPERM`` → no
    permission, ``ENOENT``/``ENOTDIR`` or a vanished ``out`` → the folder disappeared; any other
    errno → the system's own reason.
    """
    path = str(exc.filename or out)
    if not os.path.isdir(out) or exc.errno in (errno.ENOENT, errno.ENOTDIR):
        key, path = "error.output.vanished", str(out)
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        key = "error.output.no_space"
    elif exc.errno == errno.EROFS:
        key = "error.output.read_only"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        key = "error.output.permission"
    else:
        key = "error.output.other"
    reason = exc.strerror or type(exc).__name__
    return OutputError(label_text(key).format(path=path, out=out, reason=reason), path=path)


def input_error(exc: OSError) -> InputReadError:
    """An input file or folder that cannot be read, as one line naming it and what to do."""
    key = "error.input.permission" if exc.errno in (errno.EACCES, errno.EPERM) else "error.input.unreadable"
    return InputReadError(label_text(key).format(path=exc.filename or "", reason=exc.strerror or type(exc).__name__))


class RunLock:
    """The lock of a run folder (:data:`LOCK`), held by one batch at a time.

    Use :meth:`acquire` and :meth:`release` (or ``with``). The lock is an exclusive,
    non-blocking ``flock`` on the lock file; the file holds the holder's pid, host and start time
    for the message another batch shows. After locking, the file is checked to be the one at the
    path (a holder that was releasing may have removed it in between); :meth:`release` removes
    the file, then unlocks it.

    Attributes
    ----------
    held
        True while this process holds the lock; False after :meth:`acquire` when the folder
        cannot be written at all (read-only, no permission): the batch may still run when it
        has nothing to write.
    """

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / LOCK
        self.held = False
        self.error: OSError | None = None  # why the folder is not writable, when it is not
        self._fd: int | None = None

    def acquire(self, started: str = "") -> bool:
        """Take the lock; return whether it is held (False: the folder is not writable).

        Raises
        ------
        BatchLockedError
            Another live process holds it (the message names its pid and start time).
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: an exclusive create, stale pids taken over
            return self._acquire_exclusive(started)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT):
                    self.error = exc
                    return False
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._read(fd)
                os.close(fd)
                raise self._locked(holder) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the previous holder removed the file after we opened it: try again
        self._fd, self.held = fd, True
        self._write(started)
        return True

    def _acquire_exclusive(self, started: str) -> bool:  # pragma: no cover - Windows
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._read_path()
                if holder.get("pid") and _alive(int(holder["pid"])):
                    raise self._locked(holder) from None
                with contextlib.suppress(OSError):
                    self.path.unlink()  # a stale lock of a dead process
                continue
            except OSError as exc:
                self.error = exc
                return False
            self._fd, self.held = fd, True
            self._write(started)
            return True
        raise self._locked(self._read_path())

    def _write(self, started: str) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        with contextlib.suppress(OSError):  # the lock holds without its note (disk full)
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, json.dumps(info).encode(), 0)

    @staticmethod
    def _read(fd: int) -> dict:
        try:
            return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        except (OSError, ValueError):
            return {}

    def _read_path(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def _locked(self, holder: dict) -> BatchLockedError:
        return BatchLockedError(label_text("error.batch.locked").format(
            out=self.path.parent, pid=holder.get("pid", "?"), host=holder.get("host", "?"),
            started=holder.get("started") or "?"))

    def release(self) -> None:
        """Remove the lock file and unlock (harmless when not held)."""
        fd, self._fd, self.held = self._fd, None, False
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _alive(pid: int) -> bool:  # pragma: no cover - Windows fallback only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
