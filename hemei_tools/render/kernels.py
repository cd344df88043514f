"""The fast kernel path: report kernels forked from a warm process, and a batch worker's kernels.

Every other module starts and stops kernels through :func:`start_kernel` and :func:`stop_kernel`,
and a batch worker keeps its kernels in a :class:`KernelWorker`. The path is optional: with
``HEMEI_FORK_KERNELS=0`` (and on Windows) every kernel is a new ``python3`` process started by
jupyter_client as shipped, which only costs speed (1-3 s of start-up and imports a report,
hidden by starting the next kernel ahead of need).

Pieces:

- :class:`KernelForkServer` / :func:`serve_kernel_forks`: a process that has imported
  ipykernel and :data:`PREIMPORT` and forks one kernel per report on request (AF_UNIX socket,
  one JSON line per request);
- :class:`ForkProvisioner`: jupyter_client's public extension point for launching kernels
  (a ``jupyter_client.kernel_provisioners`` entry point, selected by the kernel spec that
  :meth:`KernelForkServer.spec_manager` serves): the kernel manager asks it for a kernel and
  it asks the fork server;
- :func:`rehearse_report`: runs one report in the fork server so that kernels forked
  afterwards inherit its warm caches (a cache warmer; outputs are thrown away);
- the ready client (:func:`_ready_client_class`): the one part on jupyter_client's private
  API, see its docstring for why; ``pyproject.toml`` bounds jupyter_client below 9;
- :class:`KernelWorker`: the kernel prestarted for a worker's next job, its fork server and
  its rehearsals, shut down when the worker exits; a fork server that died is replaced.

Nothing outlives its parent: the fork server and each kernel ask Linux for a signal when their
parent dies (:func:`die_with_parent`, ``prctl(PR_SET_PDEATHSIG)``); the server then kills its
kernels and removes its socket folder (``hemei-forks-<owner pid>-*`` in the temporary folder;
folders of owners that are gone are swept when a new server starts).
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import time

from hemei_tools.contract import KERNEL_PREIMPORTS, KERNEL_WARMUP_CODE, KERNEL_WARMUP_IMPORTS
from hemei_tools.errors import HemeiError, KernelStartError
from hemei_tools.render.notebooks import KERNEL_NAME, skip_slow_imports

#: Set ``HEMEI_FORK_KERNELS=0`` to start every kernel as a new process instead of forking it.
FORK_KERNELS_ENV = "HEMEI_FORK_KERNELS"
#: Prefix of a fork server's socket folder in the temporary folder (then the owner's pid).
FORK_DIR_PREFIX = "hemei-forks-"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int, signum: int | None = None, on_gone=None) -> None:
    """Have this process receive ``signum`` (default ``SIGKILL``) when its parent dies, and exit
    at once if the parent ``parent`` is already gone (through ``on_gone()`` when given, so that
    a process can clean up as its ``signum`` handler would; else ``os._exit(1)``).

    Linux only (``prctl(PR_SET_PDEATHSIG)`` through ctypes); elsewhere only the check is made.
    The signal comes when the *thread* that started this process ends, so a process started
    from a thread that may end before the process should (a Dask task thread) is not tied.
    """
    import signal

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signum or signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        if on_gone is not None:
            on_gone()
        os._exit(1)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, someone else's
        return True
    return True


def sweep_fork_dirs(tmp: str | None = None) -> list[str]:
    """Remove the socket folders of fork servers whose owner process is gone (a worker killed
    before it could clean up); return the folders removed. Only this user's folders are touched."""
    import shutil
    import tempfile

    removed = []
    root = tmp or tempfile.gettempdir()
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        parts = entry.name[len(FORK_DIR_PREFIX):].split("-", 1)
        if not entry.name.startswith(FORK_DIR_PREFIX) or len(parts) != 2 or not parts[0].isdigit():
            continue
        with contextlib.suppress(OSError):
            if entry.stat(follow_symlinks=False).st_uid == os.getuid() and not _pid_alive(int(parts[0])):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
    return removed


def preimport(modules: tuple[str, ...] = KERNEL_PREIMPORTS) -> None:
    """Import ``modules``, skipping any that is missing or fails to import.

    Pre-importing only saves time: a module that cannot be imported must not keep a kernel (or
    the fork server) from starting. The report imports it itself and shows the error in the
    cell that needs it.
    """
    import importlib

    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


#: Code a kernel runs at start-up, before it reports ready: the heavy imports of every report.
PREIMPORT = "import hemei_tools.render.kernels as _k; _k.preimport(); del _k"

#: Code the kernel fork server runs once after :data:`PREIMPORT` and ``contract.KERNEL_WARMUP_IMPORTS``,
#: before it forks any kernel: the catalogue and division list (cached per process) and the
#: first PNG drawn with CJK text (font loading). Every forked kernel inherits them, as a
#: plain-Python loop over reports would after its first report (about 1 s a report); rcParams
#: are restored afterwards, so each kernel starts from matplotlib's state after import.
FORK_WARMUP = KERNEL_WARMUP_CODE


#: Variables a report kernel (and its fork server) does not inherit, see :func:`kernel_env`.
KERNEL_ENV_DROP = ("MPLBACKEND", "MALLOC_TRIM_THRESHOLD_")


def kernel_env() -> dict[str, str]:
    """Environment for report kernels: ours minus :data:`KERNEL_ENV_DROP`.

    - ``MPLBACKEND``: ipykernel must select the inline backend (a test or batch process may
      have set ``Agg``, which would drop every chart);
    - ``MALLOC_TRIM_THRESHOLD_``: Dask sets it to 65,536 in its workers so that glibc returns
      freed memory at once; inherited by a kernel, every large pandas temporary is returned
      and faulted in again, which made the county analysis 55 % slower (1.0 → 1.6 s, Anhui).
      A kernel lives for one report: its memory is returned when it exits.
    """
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_ENV_DROP}
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


#: Live fork servers of this process by socket address (how a :class:`ForkProvisioner`, made
#: by jupyter_client from a kernel spec, finds its server).
_SERVERS: dict[str, KernelForkServer] = {}


class KernelForkServer:
    """A Python process that has imported ipykernel and :data:`PREIMPORT` once and forks a
    fresh kernel process per report on request.

    Each forked kernel is a new process with its own interpreter state, namespace, rcParams
    and random state (``random`` reseeds after fork); it only inherits already-imported
    modules, so it skips the 1–3 s of start-up and imports a new kernel pays. The server exits
    (killing its kernels and removing its socket folder) when the process that started it dies:
    at once through :func:`die_with_parent` when started from the main thread, else within a
    second of being idle; kernels are killed when the server dies (:func:`die_with_parent`,
    and ipykernel's parent poller).
    """

    def __init__(self) -> None:
        import tempfile
        import threading

        sweep_fork_dirs()
        self.rehearsed: set[str] = set()  # data folders this server rehearsed a report on
        self._dir = tempfile.mkdtemp(prefix=f"{FORK_DIR_PREFIX}{os.getpid()}-")
        self.address = os.path.join(self._dir, "server.sock")
        env = kernel_env()
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # what ipykernel selects
        tied = threading.current_thread() is threading.main_thread()  # see die_with_parent
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from hemei_tools.render.kernels import serve_kernel_forks as s; s()",
             self.address, str(os.getpid()), "1" if tied else "0"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _SERVERS[self.address] = self
        self._spec_manager = None

    def spec_manager(self):
        """A kernel-spec manager whose ``python3`` spec names :class:`ForkProvisioner` with this
        server's address (see :func:`start_kernel`)."""
        if self._spec_manager is None:
            self._spec_manager = _fork_spec_manager_class()(fork_server_address=self.address)
        return self._spec_manager

    @property
    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process.poll() is None

    def _request(self, message: dict, timeout: float) -> dict:
        """Send one JSON request to the server (waiting for it to listen) and return its reply.

        Raises :class:`~hemei_tools.errors.KernelStartError` when the server is gone, dies
        before replying, or does not answer within ``timeout`` seconds.
        """
        import json
        import socket

        deadline = time.monotonic() + timeout
        while True:
            if not self.alive:
                raise KernelStartError("the kernel fork server exited; see hemei_tools.render.kernels.serve_kernel_forks")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(max(1.0, deadline - time.monotonic()))
                    sock.connect(self.address)
                    sock.sendall(json.dumps(message).encode() + b"\n")
                    reply = sock.makefile("r").readline()
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise KernelStartError("the kernel fork server did not start in time") from None
                time.sleep(0.05)
                continue
            except OSError as exc:  # reset, broken pipe, timeout: the server died or hangs
                raise KernelStartError(f"the kernel fork server did not answer: {exc}") from exc
            if not reply:
                raise KernelStartError("the kernel fork server exited before it replied")
            return json.loads(reply)

    def fork(self, connection_file: str, cwd: str, timeout: float = 120.0) -> int:
        """Fork a kernel that serves ``connection_file`` in ``cwd``; return its pid."""
        return int(self._request({"connection_file": connection_file, "cwd": cwd}, timeout)["pid"])

    def rehearse(self, notebook: str | os.PathLike, parameters: dict, timeout: float = 600.0) -> bool:
        """Have the server run a report once in its own process (see :func:`rehearse_report`),
        so that every kernel forked afterwards inherits what the report warmed; blocks until
        done. Returns whether the rehearsal ran without error (a failure only costs speed)."""
        self.rehearsed.add(str(parameters.get("data_dir", "")))
        reply = self._request({"rehearse": {"notebook": str(notebook), "parameters": parameters}}, timeout)
        return bool(reply.get("ok"))

    def close(self) -> None:
        """Stop the server (its kernels exit with it)."""
        import shutil

        _SERVERS.pop(self.address, None)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


def _warm_up() -> None:
    """Run :data:`FORK_WARMUP` in this process, then freeze the GC (see :func:`serve_kernel_forks`)."""
    import gc

    preimport(KERNEL_WARMUP_IMPORTS)
    with contextlib.suppress(Exception):  # a warm-up failure only costs speed
        exec(FORK_WARMUP, {})  # noqa: S102 - a constant, see FORK_WARMUP
    gc.collect()
    gc.freeze()  # forked kernels then never write to the inherited objects' GC headers (fewer page copies)


def serve_kernel_forks() -> None:  # pragma: no cover - runs in the server process
    """Main loop of :class:`KernelForkServer` (``argv``: socket path, pid of the owner, ``1``
    when the server may be tied to its owner with :func:`die_with_parent`).

    The socket listens from the start, so requests queue while the server imports. After
    :data:`PREIMPORT`, the server warms up (:data:`FORK_WARMUP`) unless a request is already
    waiting: a rehearsal covers the warm-up and more (:func:`rehearse_report`); before the
    first fork of a server that was neither warmed up nor rehearsed, it warms up then.

    The server ends, killing its kernels and removing its socket folder, on ``SIGTERM`` (what
    :func:`die_with_parent` sends when the owner dies, and :meth:`KernelForkServer.close`) and
    when it finds its owner gone between requests.
    """
    import json
    import select
    import shutil
    import signal
    import socket

    address, owner = sys.argv[1], int(sys.argv[2])
    children: set[int] = set()

    def clean_up() -> None:
        for pid in list(children):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(os.path.dirname(address), ignore_errors=True)

    def stop(*_) -> None:  # a handler, not an exception: IPython would swallow SystemExit in a rehearsal
        clean_up()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    if len(sys.argv) > 3 and sys.argv[3] == "1":
        die_with_parent(owner, signal.SIGTERM, on_gone=stop)  # an owner gone already: clean up too
    elif os.getppid() != owner:
        stop()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(16)
    exec(PREIMPORT)  # noqa: S102 - a constant: the modules every report imports
    import ipykernel.kernelapp  # noqa: F401

    warm = False
    if not select.select([server], [], [], 0)[0]:
        _warm_up()
        warm = True

    def reap(*_):
        for pid in list(children):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    children.discard(pid)

    signal.signal(signal.SIGCHLD, reap)
    try:
        while os.getppid() == owner:
            ready, _, _ = select.select([server], [], [], 1.0)
            if not ready:
                continue
            conn, _ = server.accept()
            with conn:
                request = json.loads(conn.makefile("r").readline() or "{}")
                if "rehearse" in request:
                    ok = rehearse_report(request["rehearse"]["notebook"], request["rehearse"]["parameters"])
                    warm = True
                    conn.sendall(json.dumps({"ok": ok}).encode() + b"\n")
                    continue
                if "connection_file" not in request:
                    continue
                if not warm:
                    _warm_up()
                    warm = True
                pid = os.fork()
                if pid == 0:
                    _become_kernel(server, conn, request, os.getppid())
                children.add(pid)
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    finally:
        clean_up()


def rehearse_report(notebook: str | os.PathLike, parameters: dict) -> bool:
    """Run a report notebook's code cells once in this process, as a kernel would, and throw the
    output away; used by the kernel fork server before it forks kernels.

    A plain-Python loop over reports pays its one-off costs once (lazy imports, the data set
    read from the validated-data cache, per-process caches of pandas, matplotlib fonts and text
    layout, Styler templates); a fresh kernel pays them in every report. Rehearsing one report
    in the fork server lets every forked kernel inherit them, so a kernel runs its cells about
    as fast as that loop. The IPython shell used here (inline backend, PNG figures, no history)
    is discarded afterwards and rcParams, display hooks and figures are restored, so the kernels
    start from the same state as without the rehearsal. The data set stays memoised in
    :mod:`hemei_tools.inputs.store` for the server's life (one batch, whose inputs are hashed
    when it starts).

    Returns
    -------
    bool
        True when every cell ran; a failing cell stops the rehearsal (it only costs speed).
    """
    import gc

    import matplotlib
    import matplotlib.pyplot as plt
    skip_slow_imports()
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats
    from IPython.utils.capture import capture_output
    from matplotlib_inline.backend_inline import configure_inline_support
    from traitlets.config import Config

    saved_rc = dict(matplotlib.rcParams)
    hooks = sys.displayhook, sys.excepthook
    ok = False
    try:
        config = Config()
        config.HistoryManager.enabled = False  # no SQLite history thread (threads do not survive fork)
        shell = InteractiveShell.instance(config=config)
        configure_inline_support(shell, "inline")
        select_figure_formats(shell, {"png"})
        cells = [c.source for c in nbformat.read(str(notebook), as_version=4).cells if c.cell_type == "code"]
        injected = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        with capture_output(display=True):
            ok = all(shell.run_cell(src).success for src in [*cells[:1], injected, *cells[1:]])
    except Exception:
        ok = False
    finally:
        plt.close("all")
        InteractiveShell.clear_instance()
        sys.displayhook, sys.excepthook = hooks
        matplotlib.rcParams.update(saved_rc)
        gc.collect()
        gc.freeze()
    return ok


def _become_kernel(server, conn, request: dict, server_pid: int) -> None:  # pragma: no cover
    """In the forked child: detach, then run an ipykernel on the given connection file."""
    import signal

    try:
        server.close()
        conn.close()
        for signum in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        die_with_parent(server_pid)  # SIGKILL when the server dies, whatever the kernel is doing
        os.setsid()
        os.chdir(request["cwd"])
        null = os.open(os.environ.get("HEMEI_KERNEL_LOG") or os.devnull,
                       os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=["-f", request["connection_file"],
                                          f"--IPKernelApp.parent_handle={server_pid}"])
    finally:
        os._exit(0)


class _ForkedProcess:
    """The ``Popen``-like handle jupyter_client's provisioner keeps, for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return 0
        except OSError:  # no /proc: ask the kernel
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return 0
            return None
        return 0 if state in ("Z", "X") else None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return 0

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)


#: Name of :class:`ForkProvisioner` in the entry-point group ``jupyter_client.kernel_provisioners``.
PROVISIONER_NAME = "hemei-fork-provisioner"


def __getattr__(name: str):
    # ForkProvisioner subclasses jupyter_client's LocalProvisioner; defined lazily so that
    # importing this module stays cheap (the entry point loads it by name).
    if name == "ForkProvisioner":
        cls = _fork_provisioner_class()
        globals()["ForkProvisioner"] = cls
        return cls
    raise AttributeError(name)


@functools.cache
def _fork_provisioner_class():
    import asyncio

    from jupyter_client.provisioning import LocalProvisioner
    from traitlets import Unicode

    class ForkProvisioner(LocalProvisioner):
        """A kernel provisioner (jupyter_client's public extension point) whose kernel is forked
        by the :class:`KernelForkServer` at ``fork_server_address`` instead of started with
        ``Popen``. Everything else (connection file and ports in ``pre_launch``, signals to the
        kernel's process group, clean-up) is :class:`~jupyter_client.provisioning.LocalProvisioner`'s.
        """

        fork_server_address = Unicode("", config=True, help="socket of the KernelForkServer")

        async def launch_kernel(self, cmd, **kwargs):
            server = _SERVERS.get(self.fork_server_address)
            if server is None:
                raise KernelStartError(f"no kernel fork server at {self.fork_server_address}")
            self.cwd = str(kwargs.get("cwd") or os.getcwd())
            pid = server.fork(self.parent.connection_file, self.cwd)
            self.process = _ForkedProcess(pid)
            self.pid = self.pgid = pid  # the child called setsid()
            return self.connection_info

        async def kill(self, restart: bool = False) -> None:
            # The kernel manager polls a killed kernel every 0.1 s; a forked kernel is gone
            # within milliseconds of SIGKILL (its server reaps it), so wait for that here and the
            # manager finds it gone at its first look: 0.1 s less per report.
            await super().kill(restart=restart)
            deadline = time.monotonic() + 1.0
            while self.process is not None and self.process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.005)

    ForkProvisioner.__module__ = __name__
    ForkProvisioner.__qualname__ = "ForkProvisioner"
    return ForkProvisioner


@functools.cache
def _own_spec_manager_class():
    """A ``KernelSpecManager`` whose :data:`KERNEL_NAME` kernel is always the running interpreter.

    Jupyter looks up kernel specs by name in the user's folder before the environment's, so a
    ``python3`` spec left by ``ipykernel install --user`` (pointing at another Python, without
    hemei-tools) would otherwise run the reports. Other names resolve as installed.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class OwnPythonSpecManager(KernelSpecManager):
        """Kernel specs as installed, except :data:`KERNEL_NAME`: this interpreter's ipykernel."""

        def get_kernel_spec(self, kernel_name: str):
            if kernel_name != KERNEL_NAME:
                return super().get_kernel_spec(kernel_name)
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict

            return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())

    return OwnPythonSpecManager


@functools.cache
def _fork_spec_manager_class():
    from importlib.metadata import EntryPoint

    from jupyter_client.provisioning import KernelProvisionerFactory
    from traitlets import Unicode

    # The package's entry point registers the provisioner; an install made before the entry
    # point existed lacks it, so register it the way jupyter_client does for its own default.
    KernelProvisionerFactory.instance().provisioners.setdefault(PROVISIONER_NAME, EntryPoint(
        PROVISIONER_NAME, f"{__name__}:ForkProvisioner", KernelProvisionerFactory.GROUP_NAME))

    class ForkSpecManager(_own_spec_manager_class()):
        """This interpreter's kernel spec, with the :class:`ForkProvisioner` stanza added."""

        fork_server_address = Unicode("")

        def get_kernel_spec(self, kernel_name: str):
            spec = super().get_kernel_spec(kernel_name)
            spec.metadata = {**spec.metadata, "kernel_provisioner": {
                "provisioner_name": PROVISIONER_NAME,
                "config": {"fork_server_address": self.fork_server_address}}}
            return spec

    return ForkSpecManager


@functools.cache
def _ready_client_class():
    """An ``AsyncKernelClient`` whose ``wait_for_ready`` returns as soon as the kernel is ready.

    jupyter_client's version, after the ``kernel_info_reply``, waits for IOPub to stay silent
    for 0.2 s twice (to check the channel is connected, then to flush it): 0.2–0.4 s of idle
    waiting per report. Here the client waits for the ``idle`` status that closes its own
    ``kernel_info`` request on IOPub, which proves the channel is connected and is the last
    message of that request; if it does not arrive in 0.5 s (a subscription not yet in place),
    the request is sent again, as jupyter_client does. A kernel that dies or does not answer
    raises :class:`~hemei_tools.errors.KernelStartError` (a ``RuntimeError``, as nbclient
    expects).

    Why this stays on private API: readiness is the *client's* business (nbclient calls
    ``kc.wait_for_ready`` on the client it makes from the manager's ``client_factory``, a
    public trait), so a provisioner cannot change it, and ``AsyncKernelClient`` binds
    ``wait_for_ready`` to the private ``_async_wait_for_ready`` when the class is created;
    overriding it means overriding that name and calling ``_handle_kernel_info_reply`` as
    jupyter_client does. The class also registers itself on the manager (``hemei_clients``)
    so that :func:`stop_kernel` can stop the channels nbclient leaves running (3 threads and
    12 file descriptors a report otherwise). Worth it: the wait drops from 0.21 to 0.01 s a
    report (``benchmarks/README.md``). Tested against jupyter_client 8.10.
    """
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class ReadyKernelClient(AsyncKernelClient):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # nbclient leaves the channels of a client it made from a kernel manager it was
            # given running (3 threads, 12 file descriptors a report); stop_kernel stops them.
            clients = getattr(self.parent, "hemei_clients", None)
            if clients is not None:
                clients.append(self)

        async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                msg_id = self.kernel_info()
                try:
                    reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    until = time.monotonic() + 0.5
                    while time.monotonic() < until:
                        try:
                            msg = await ensure_async(self.iopub_channel.get_msg(timeout=0.05))
                        except Empty:
                            continue
                        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                                and msg["content"].get("execution_state") == "idle"):
                            self._handle_kernel_info_reply(reply)
                            return
                if not await ensure_async(self.is_alive()):
                    raise KernelStartError("the kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise KernelStartError(f"the kernel did not reply to kernel_info in {timeout} s")

        wait_for_ready = _async_wait_for_ready  # AsyncKernelClient binds the name at class creation

    return ReadyKernelClient


def start_kernel(cwd: str | os.PathLike, preimport: bool = True,
                 fork_server: KernelForkServer | None = None):
    """Start a fresh ``python3`` kernel now, optionally importing :data:`PREIMPORT` at start-up.

    The call returns as soon as the process is launched; the kernel boots and imports in the
    background, so starting the next report's kernel while the current report runs (as the
    batch does) hides its start-up time. With a ``fork_server`` the kernel is forked from a
    process that has already imported everything (and possibly rehearsed a report), through
    :class:`ForkProvisioner`. Its
    clients are :func:`_ready_client_class` clients, registered on the manager so that
    :func:`stop_kernel` stops their channels. Pass the manager to :func:`render_report`, which
    shuts it down.

    Returns
    -------
    jupyter_client.AsyncKernelManager

    Raises
    ------
    KernelStartError
        When the kernel cannot be launched (fork server gone, no process).
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_core.utils import run_sync

    try:
        if fork_server is not None:
            km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=fork_server.spec_manager())
            km.hemei_clients = []
            km.client_factory = _ready_client_class()
            run_sync(km.start_kernel)(env=kernel_env(), cwd=str(cwd))
            return km
        km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_own_spec_manager_class()())
        km.hemei_clients = []
        km.client_factory = _ready_client_class()
        extra = [f"--IPKernelApp.exec_lines={PREIMPORT}"] if preimport else []
        # The kernel's own stdout/stderr carry only start-up chatter (cell output travels over
        # ZeroMQ); a kernel that dies is reported by nbclient as DeadKernelError.
        run_sync(km.start_kernel)(extra_arguments=extra, env=kernel_env(), cwd=str(cwd),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return km
    except KernelStartError:
        raise
    except (OSError, RuntimeError, HemeiError, ModuleNotFoundError) as exc:
        raise KernelStartError(f"the report kernel did not start: {exc}") from exc


def stop_kernel(km) -> None:
    """Shut a kernel down immediately and release its resources (safe if already dead): the
    channels of every client made from ``km``, the kernel process, the connection file and
    the manager's ZeroMQ context."""
    from jupyter_core.utils import run_sync

    for kc in getattr(km, "hemei_clients", []):
        with contextlib.suppress(Exception):
            kc.stop_channels()
    km.hemei_clients = []
    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
    except RuntimeError:
        pass
    finally:
        run_sync(km.cleanup_resources)()


def fork_kernels_enabled() -> bool:
    """Whether report kernels are forked from a :class:`KernelForkServer` (the default on
    Linux and macOS); ``HEMEI_FORK_KERNELS=0`` switches it off, Windows has no ``fork``."""
    return os.environ.get(FORK_KERNELS_ENV, "1") != "0" and sys.platform != "win32"


class KernelWorker:
    """The kernels of one batch worker process: its fork server, the kernel started ahead of its
    next job, and the rehearsals its fork server ran.

    A batch worker renders one report after the other. Starting the next report's kernel as
    soon as the current one has its own (:meth:`prestart`, :meth:`take_kernel`) hides the
    kernel's start-up behind the current report; forking kernels from a warm
    :class:`KernelForkServer` (started on first use, unless :func:`fork_kernels_enabled` says
    no) and letting it rehearse one report first (:meth:`rehearse`) makes the kernels warm.
    :meth:`shutdown` stops all of it; :meth:`shut_down_at_exit` arranges that for a pool or
    Dask worker process. One instance per process: :func:`this_worker`.

    A fork server that died (killed by the out-of-memory killer) is replaced by a new one on
    next use, which does not rehearse again what the dead one did (the rehearsal may be what
    killed it); a kernel started ahead from a server that died since is thrown away.
    """

    def __init__(self, fork: bool | None = None) -> None:
        self.fork = fork_kernels_enabled() if fork is None else fork
        self._server: KernelForkServer | None = None
        self._next = None  # the kernel manager started ahead of the next job
        self._next_server: KernelForkServer | None = None  # the server that forked it

    @property
    def server(self) -> KernelForkServer | None:
        """The fork server (started on first use, replaced when it died), or None when kernels
        are not forked."""
        old = self._server
        if old is not None and not getattr(old, "alive", True):
            old.close()
            self._server = None
        if self.fork and self._server is None:
            self._server = KernelForkServer()
            if old is not None:
                self._server.rehearsed |= old.rehearsed
        return self._server

    @property
    def prestarted(self) -> bool:
        """Whether a kernel is waiting for the next job."""
        return self._next is not None

    def new_kernel(self, cwd: str | os.PathLike):
        """Start a kernel now (forked when there is a fork server); see :func:`start_kernel`."""
        return start_kernel(cwd, fork_server=self.server)

    def prestart(self, cwd: str | os.PathLike) -> None:
        """Start the kernel of this worker's next job now, so it is ready when the job comes.
        A kernel that does not start is not an error here: the next job starts its own."""
        self.stop_prestarted()
        with contextlib.suppress(KernelStartError):
            self._next = self.new_kernel(cwd)
            self._next_server = self._server

    def take_kernel(self, cwd: str | os.PathLike):
        """The kernel started ahead for this job, or a new one (also when the one started ahead
        died, or the fork server that forked it did)."""
        from jupyter_core.utils import run_sync

        km, server = self._next, self._next_server
        self._next = self._next_server = None
        if km is not None and (server is not None and not getattr(server, "alive", True)
                               or not _alive(km, run_sync)):
            stop_kernel(km)
            km = None
        return km if km is not None else self.new_kernel(cwd)

    def stop_prestarted(self) -> None:
        """Stop the kernel started ahead, if any."""
        km, self._next, self._next_server = self._next, None, None
        if km is not None:
            stop_kernel(km)

    def rehearse(self, notebook: str | os.PathLike, parameters: dict) -> None:
        """Once per data folder: let the fork server run this report (:func:`rehearse_report`)
        so that the kernels it forks afterwards start warm. A kernel prestarted before the
        rehearsal would be cold, so it is stopped. A Dask worker serving batches over several
        data folders (one per province) rehearses once for each. Without a fork server, or when
        it is gone or slow, nothing happens (the job's kernel start reports a dead server)."""
        server = self.server
        if server is None or str(parameters.get("data_dir", "")) in server.rehearsed:
            return
        self.stop_prestarted()
        with contextlib.suppress(HemeiError):
            server.rehearse(notebook, parameters)

    def shutdown(self) -> None:
        """Stop the prestarted kernel and the fork server (its kernels exit with it)."""
        self.stop_prestarted()
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def shut_down_at_exit(self) -> None:
        """Call :meth:`shutdown` when this process exits (multiprocessing finaliser for pool
        workers, ``atexit`` otherwise; shutting down twice is harmless)."""
        import atexit
        import multiprocessing.util

        multiprocessing.util.Finalize(None, self.shutdown, exitpriority=10)
        atexit.register(self.shutdown)


def _alive(km, run_sync) -> bool:
    try:
        return bool(run_sync(km.is_alive)())
    except Exception:  # a manager that cannot tell is not worth using
        return False


_WORKER: list[KernelWorker] = []


def this_worker() -> KernelWorker:
    """This process's :class:`KernelWorker` (made on first use)."""
    if not _WORKER:
        _WORKER.append(KernelWorker())
    return _WORKER[0]
