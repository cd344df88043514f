"""The kernel fork server and a batch worker's kernels when processes die (issue 12, points 3
and 4): a dead fork server is replaced, a kernel started ahead from it is not used, and the
server, its kernels and its socket folder do not outlive the process that started them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from hemei_tools.render import kernels
from hemei_tools.render.kernels import FORK_DIR_PREFIX, KernelWorker, sweep_fork_dirs

LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")


def _gone(pid: int, timeout: float) -> bool:
    """Whether ``pid`` exits (or is a zombie) within ``timeout`` seconds (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_the_socket_folders_of_owners_that_are_gone(tmp_path):
    dead, alive = tmp_path / f"{FORK_DIR_PREFIX}{_dead_pid()}-abc", tmp_path / f"{FORK_DIR_PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{FORK_DIR_PREFIX}x1y2z3"  # an old-style name: not ours to judge
    for folder in (dead, alive, other):
        folder.mkdir()
    assert sweep_fork_dirs(str(tmp_path)) == [str(dead)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name])


class _Server:
    """Stands in for a KernelForkServer: alive or not, with its rehearsals."""

    made: list = []

    def __init__(self, alive=True, rehearsed=()):
        self.alive, self.rehearsed, self.closed = alive, set(rehearsed), False
        _Server.made.append(self)

    def close(self):
        self.closed = True


def test_a_worker_replaces_a_dead_fork_server_without_rehearsing_again(monkeypatch):
    monkeypatch.setattr(kernels, "KernelForkServer", _Server)
    worker = KernelWorker(fork=True)
    dead = _Server(alive=False, rehearsed={"/data/34"})
    worker._server = dead
    fresh = worker.server
    assert fresh is not dead and dead.closed and fresh.alive
    assert fresh.rehearsed == {"/data/34"}  # the rehearsal may be what killed the old one
    assert worker.server is fresh  # a live server is kept


def test_a_kernel_started_ahead_by_a_server_that_died_is_not_used(monkeypatch):
    stopped, started = [], []

    class Manager:
        def __init__(self, alive):
            self.alive = alive

        async def is_alive(self):
            return self.alive

    monkeypatch.setattr(kernels, "stop_kernel", stopped.append)
    worker = KernelWorker(fork=False)
    monkeypatch.setattr(worker, "new_kernel", lambda cwd: started.append(cwd) or "fresh")
    ahead = Manager(alive=True)
    worker._next, worker._next_server = ahead, _Server(alive=False)
    assert worker.take_kernel("/out") == "fresh" and stopped == [ahead]
    dead = Manager(alive=False)
    worker._next, worker._next_server = dead, None  # a plain kernel that died while waiting
    assert worker.take_kernel("/out") == "fresh" and stopped == [ahead, dead]
    live = Manager(alive=True)
    worker._next, worker._next_server = live, _Server(alive=True)
    assert worker.take_kernel("/out") is live and started == ["/out", "/out"]


@LINUX
def test_a_process_tied_to_its_parent_dies_with_it(tmp_path):
    """die_with_parent: the child of a parent that exits is killed at once (no polling)."""
    code = ("import os, subprocess, sys\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import os, sys, time\\n"
            "from hemei_tools.render.kernels import die_with_parent\\n"
            "die_with_parent(os.getppid())\\nprint(os.getpid(), flush=True)\\ntime.sleep(120)'],"
            " stdout=subprocess.PIPE, text=True)\n"
            "print(child.stdout.readline().strip(), flush=True)\n"
            "os._exit(0)\n")
    parent = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid = int(parent.stdout.strip())
    assert _gone(pid, 10), "the child outlived its parent"


@LINUX
@pytest.mark.serial
@pytest.mark.slow
def test_a_fork_server_exits_with_its_owner_and_removes_its_socket_folder(tmp_path):
    code = ("import time\n"
            "from hemei_tools.render.kernels import KernelForkServer\n"
            "s = KernelForkServer()\n"
            "print(s.process.pid, s._dir, flush=True)\n"
            "time.sleep(120)\n")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        server, folder = owner.stdout.readline().split()
        assert os.path.isdir(folder) and os.path.basename(folder).startswith(f"{FORK_DIR_PREFIX}{owner.pid}-")
        time.sleep(0.5)  # the server is importing: the signal must still reach it
        owner.kill()
        owner.wait(10)
        assert _gone(int(server), 20), "the fork server outlived its owner"
        deadline = time.monotonic() + 10
        while os.path.exists(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(folder)
    finally:
        if owner.poll() is None:
            owner.kill()


def test_die_with_parent_runs_the_clean_up_when_the_parent_is_already_gone(tmp_path):
    # a fork server whose owner died while it was still importing used to exit without removing
    # its socket folder: die_with_parent exited before the server's clean-up could run
    marker = tmp_path / "cleaned"
    code = ("import sys\n"
            "from hemei_tools.render.kernels import die_with_parent\n"
            f"die_with_parent(2 ** 22 + 1, on_gone=lambda: open({str(marker)!r}, 'w').close())\n"
            "sys.exit(5)\n")
    rc = subprocess.run([sys.executable, "-c", code], timeout=60).returncode
    assert rc == 1 and marker.exists()
