"""A local pool of worker processes in which a dead worker costs one job, not the batch.

:class:`WorkerPool` runs one job at a time in each of its spawned worker processes and knows
which job each one is running. When a worker dies (the out-of-memory killer, ``kill -9``), only
its job is affected: it is given once more to a fresh worker that replaces the dead one, and
recorded as failed if that worker dies too; the other workers go on. (A
``concurrent.futures.ProcessPoolExecutor`` marks the whole pool broken instead, failing every
queued job.) Queued jobs stay in this process until a worker is free, so a batch that stops
early (Ctrl-C, a run folder that cannot be written) leaves the jobs it never started untouched.

Nothing outlives the pool's owner: each worker asks for ``SIGKILL`` when the owner dies
(:func:`hemei_tools.render.kernels.die_with_parent`) and exits when the pipe from the owner
closes; workers ignore ``SIGINT`` (Ctrl-C is the owner's to handle, :mod:`hemei_tools.batch.run`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import wait

__all__ = ["Outcome", "WorkerPool", "describe_exit"]

#: Times a job whose worker died is given to a fresh worker before it is recorded as failed.
RETRIES = 1


@dataclass
class Outcome:
    """What became of one job.

    Attributes
    ----------
    job
        The job as given to :meth:`WorkerPool.run`.
    value
        What the target returned (None when it raised or its worker died).
    error
        ``"ExcType: message"`` when the target raised, or :func:`describe_exit` of the worker's
        exit when the worker died on the last attempt (``died``); empty otherwise.
    attempts
        Workers the job was given to (2 when its first worker died).
    cancelled
        The job was running when the pool was cancelled (it neither finished nor failed).
    died
        The job's last worker died (``error`` says how).
    """

    job: object
    value: object = None
    error: str = ""
    attempts: int = 1
    cancelled: bool = False
    died: bool = False


def describe_exit(exitcode: int | None) -> str:
    """A worker's exit as words: ``killed by SIGKILL`` for ``-9``, ``exit code 3`` otherwise."""
    if exitcode is None:
        return "no exit code"
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


def _worker_main(conn, target, initializer, initargs, owner: int) -> None:  # pragma: no cover - child
    """Loop of a worker process: run ``target(*args, **kwargs)`` for each message until ``None``
    or until the owner's end of the pipe closes; send back ``("ok", value)`` or ``("error", text)``."""
    from hemei_tools.render.kernels import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(owner)
    if initializer is not None:
        try:
            initializer(*initargs)
        except Exception:  # noqa: BLE001 - warming up only saves time; the jobs report real errors
            traceback.print_exc()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        args, kwargs = message
        try:
            reply = ("ok", target(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - reported to the owner as this job's error
            reply = ("error", f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Worker:
    """One worker process, its pipe, and the job it runs (``task``: ``(job, attempt)`` or None)."""

    def __init__(self, ctx, target, initializer, initargs) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, name="hemei-batch-worker", daemon=True,
                                   args=(child, target, initializer, initargs, os.getpid()))
        self.process.start()
        child.close()
        self.task: tuple[object, int] | None = None
        self.unsent = False  # the job in ``task`` could not be sent (the worker was gone)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def give(self, job, attempt: int, args: tuple, kwargs: dict) -> bool:
        """Send a job; False when the worker is already gone."""
        try:
            self.conn.send((args, kwargs))
        except (OSError, ValueError):
            return False
        self.task = (job, attempt)
        return True

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()

    def close(self, timeout: float = 10.0) -> None:
        """Ask the worker to exit (it shuts its kernels down), wait, then kill it."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.kill()
            self.process.join(5)
        with contextlib.suppress(OSError, ValueError):
            self.conn.close()
        with contextlib.suppress(ValueError):
            self.process.close()


class WorkerPool:
    """Spawned worker processes, each running one job at a time (see the module docstring).

    Parameters
    ----------
    size
        Worker processes, started now (they warm up while the caller plans).
    target
        Module-level function each job runs: ``target(*args, **kwargs)``.
    initializer, initargs
        Called once in each worker before its first job (an error there is printed, not fatal).
    """

    def __init__(self, size: int, target: Callable, initializer: Callable | None = None,
                 initargs: tuple = ()) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._spec = (target, initializer, initargs)
        self.workers = [self._spawn() for _ in range(max(1, size))]

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, *self._spec)

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.pid for w in self.workers if w.pid is not None]

    def shrink(self, size: int) -> None:
        """Stop idle workers beyond ``size`` (fewer jobs than workers)."""
        size = max(1, size)
        while len(self.workers) > size:
            self.workers.pop().close()

    def run(self, jobs: Iterable, call: Callable[[object, int], tuple[tuple, dict]],
            on_done: Callable[[Outcome], None], *, stopping: Callable[[], bool] = lambda: False,
            cancelling: Callable[[], bool] = lambda: False, poll: float = 0.2) -> list:
        """Run ``jobs`` (in order, one per free worker); return the jobs never started.

        ``call(job, attempt)`` gives the target's ``(args, kwargs)``; ``on_done`` receives an
        :class:`Outcome` per job that was started, in completion order. Once ``stopping()`` is
        true no job is started (nor retried) any more and the running ones finish; once
        ``cancelling()`` is true the running ones are killed too and reported as ``cancelled``.
        Both are checked at least every ``poll`` seconds.
        """
        queue = deque((job, 1) for job in jobs)
        never: list = []
        deaths = 0  # worker deaths since a job last finished: a pool that cannot keep a worker alive gives up
        while True:
            if stopping():
                never += [job for job, _ in queue]
                queue.clear()
            if cancelling():
                busy = [w for w in self.workers if w.task is not None]
                for w in busy:
                    w.kill()
                for w in busy:
                    w.process.join(5)
                    on_done(Outcome(w.task[0], attempts=w.task[1], cancelled=True))
                    w.task = None
                    self._replace(w, respawn=False)
                return never + [job for job, _ in queue]
            for w in list(self.workers):
                if w.task is None and queue:
                    if not w.process.is_alive():  # died while idle
                        w = self._replace(w, respawn=True)
                    self._give(w, *queue.popleft(), call)
            busy = [w for w in self.workers if w.task is not None]
            if not busy:
                return never + [job for job, _ in queue]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=poll))
            for w in busy:
                if w.conn not in ready and w.process.sentinel not in ready:
                    continue
                (job, attempt), w.task = w.task, None
                reply = None
                if w.conn in ready:
                    with contextlib.suppress(EOFError, OSError):
                        reply = w.conn.recv()
                if reply is not None:
                    deaths = 0
                    kind, value = reply
                    on_done(Outcome(job, value, "", attempt) if kind == "ok" else Outcome(job, None, value, attempt))
                    continue
                # The worker died while running the job (or before it could take it).
                w.process.join(5)
                error = describe_exit(w.process.exitcode)
                unsent, w.unsent = w.unsent, False
                deaths += 1
                if deaths > 2 * len(self.workers) + 1:  # every new worker dies: stop trying
                    for j, a in [(job, attempt), *queue]:
                        on_done(Outcome(j, None, error, a, died=True))
                    queue.clear()
                    self._replace(w, respawn=False)
                    continue
                if stopping():
                    self._replace(w, respawn=False)
                    if unsent:
                        never.append(job)
                    else:
                        on_done(Outcome(job, attempts=attempt, cancelled=True))
                elif unsent:  # it never ran here: the fresh worker takes it as it was
                    self._give(self._replace(w, respawn=True), job, attempt, call)
                elif attempt <= RETRIES:  # once more, in the worker that replaces the dead one
                    self._give(self._replace(w, respawn=True), job, attempt + 1, call)
                else:
                    self._replace(w, respawn=bool(queue))
                    on_done(Outcome(job, None, error, attempt, died=True))

    @staticmethod
    def _give(worker: _Worker, job, attempt: int, call) -> None:
        args, kwargs = call(job, attempt)
        if not worker.give(job, attempt, args, kwargs):
            worker.task, worker.unsent = (job, attempt), True  # gone: its sentinel brings it back

    def _replace(self, dead: _Worker, respawn: bool) -> _Worker | None:
        """Put a fresh worker in ``dead``'s place (or just drop it); return the fresh one."""
        index = self.workers.index(dead)
        dead.close(timeout=0)
        if not respawn:
            self.workers.pop(index)
            return None
        fresh = self._spawn()
        self.workers[index] = fresh
        return fresh

    def close(self, timeout: float = 10.0) -> None:
        """Stop every worker (each shuts its kernels down first); safe to call twice."""
        workers, self.workers = self.workers, []
        for w in workers:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(None)
        deadline = time.monotonic() + timeout
        for w in workers:
            w.close(timeout=max(0.1, deadline - time.monotonic()))

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
