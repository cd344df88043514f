"""Stand-in jobs for the worker-pool tests (tests/batch/test_faults.py), imported by the spawned
workers: standard library only, so a worker starts in a fraction of a second."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def job(name: str, attempt: int, folder: str) -> dict:
    """Record that ``name`` ran (attempt and pid), then behave as the name says:
    ``die-once`` kills its worker on the first attempt, ``die-always`` on every attempt,
    ``slow`` sleeps 60 s, ``raise`` raises; anything else returns at once."""
    Path(folder, f"{name}.{attempt}.pid").write_text(str(os.getpid()), encoding="utf-8")
    if name == "die-always" or (name == "die-once" and attempt == 1):
        os.kill(os.getpid(), signal.SIGKILL)
    if name == "slow":
        time.sleep(60)
    if name == "raise":
        raise ValueError("bad job")
    return {"name": name, "attempt": attempt, "pid": os.getpid()}


def mark_ready(folder: str) -> None:
    """Initializer: say the worker is up (its pid as a file name)."""
    Path(folder, f"ready.{os.getpid()}").write_text("", encoding="utf-8")
