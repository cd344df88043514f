"""How many report workers a batch may start: no more than it has reports to build, no more
than the memory available holds.

Each worker of the ``processes`` scheduler is a Python process with pandas, matplotlib and
the report modules imported, a kernel fork server and, while it builds a report, a forked
kernel holding the report's data. :data:`PER_WORKER_BYTES` is what one more busy worker
costs, measured on the Tongling demo (see the constant); a batch asked for more workers than

    floor(MemAvailable / PER_WORKER_BYTES)

(``MemAvailable`` of ``/proc/meminfo``: memory the kernel can give without swapping) starts
that many instead, and one asked for more workers than it has reports starts one per report;
either cap is said on stderr. ``--workers 256`` asked of a 24 GB machine thus starts at most
about 26 workers, and ``--workers 3`` for one report starts one. Where ``/proc/meminfo`` cannot
be read (not Linux), only the number of reports caps.

Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

GB = 1_000_000_000
PER_WORKER_BYTES = 900_000_000
"""Memory one more busy report worker costs (worker process, kernel fork server and the
forked kernel building a county report): 0.9 GB, a rounded-up bound of these measurements.

- The difference of the peaks of the batch's whole process tree between two workers building
  two Tongling county reports and one worker building one: 0.38 GB of proportional set size
  (PSS: pages shared by forked kernels counted once) and 0.71 GB of resident set size (RSS,
  shared pages counted in each process), measured with::

      .venv/bin/python benchmarks/bench_worker_memory.py

  (one worker: 18 s, peak PSS 0.61 GB, RSS 1.00 GB; two: 21 s, 0.99 GB, 1.71 GB).
- The QA report's Anhui batch (13,583 villages), where the largest worker-side process
  reached 1.05 GB.

Reports of larger regions cost more; the cap keeps a batch from starting workers that cannot
all fit, it does not promise that the ones started do."""
MEMINFO = "/proc/meminfo"


def mem_available(path: str | os.PathLike = MEMINFO) -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes, or ``None`` when it cannot be read."""
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    parts = line.split()
                    return int(parts[1]) * (1024 if parts[2:3] == ["kB"] else 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_workers(available: int | None, per_worker: int = PER_WORKER_BYTES) -> int | None:
    """Workers that fit in ``available`` bytes (at least 1), ``None`` when unknown::

        floor(available / per_worker)
    """
    if available is None:
        return None
    return max(1, available // per_worker)


def job_bound(counties: str | Iterable[str], levels: Iterable[str], overview: bool, selection: bool) -> int | None:
    """The most reports a batch can have before its data are read: one per county named and
    level, plus the overview and the selection; ``None`` for ``counties="all"``."""
    if isinstance(counties, str):
        if counties.strip().lower() == "all":
            return None
        counties = [c for c in counties.split(",") if c.strip()]
    codes = {str(c).strip() for c in counties}
    return max(1, len(codes) * len(tuple(levels)) + int(bool(overview)) + int(bool(selection)))


def cap_workers(requested: int, jobs: int | None = None, available: int | None = -1,
                per_worker: int = PER_WORKER_BYTES) -> tuple[int, str | None]:
    """Workers to start for ``requested``: at most ``jobs`` (when known) and at most what
    :func:`memory_workers` allows.

    Parameters
    ----------
    requested
        Workers asked for (``--workers``, default the number of CPU cores).
    jobs
        Reports to build, or an upper bound (``None``: unknown).
    available
        Bytes of memory available; the default ``-1`` reads :func:`mem_available`, ``None``
        means unknown (no memory cap).
    per_worker
        Bytes one worker costs (:data:`PER_WORKER_BYTES`).

    Returns
    -------
    workers, why
        The workers to start, and ``"jobs"`` or ``"memory"`` when that is fewer than
        ``requested`` (the tighter cap), else ``None``.
    """
    requested = max(1, int(requested))
    if available == -1:
        available = mem_available()
    by_memory = memory_workers(available, per_worker)
    n, why = requested, None
    if by_memory is not None and by_memory < n:
        n, why = by_memory, "memory"
    if jobs is not None and max(1, jobs) < n:
        n, why = max(1, jobs), "jobs"
    return n, why
