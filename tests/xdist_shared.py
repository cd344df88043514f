"""Build-once helpers for expensive test fixtures under pytest-xdist.

Every xdist worker runs module fixtures itself; these helpers let the first worker build a
result in a folder all workers see while the others wait on a file lock, then read it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os


def shared_dir(tmp_path_factory, name: str):
    """A folder of this test session shared by every xdist worker (the session's basetemp)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


@contextlib.contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on ``lock_path`` (one xdist worker builds, the others wait)."""
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
