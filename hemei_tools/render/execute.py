"""Render one template notebook into an executed notebook and a self-contained offline HTML page.

Steps of :func:`render_report`:

1. check the parameters against the notebook's declared parameters
   (:func:`papermill.inspect_notebook`) *before* running: an unknown name or a value of the
   wrong type is an error (papermill itself only warns and would silently render the default
   county);
2. execute with papermill's Python API (no per-cell saves, immediate kernel shutdown, optional
   pre-started kernel) into a temporary notebook beside the target, then rename it;
3. lift the summary published by :mod:`hemei_tools.report_data` out of the executed notebook;
4. export HTML with the packaged ``hemei`` nbconvert template (code and prompts hidden, images
   embedded as base64, no CDN scripts, small inline CSS), add the table of contents, the
   synthetic-data banner and the provenance block, and write it atomically.

Output names are derived from codes (``340722.html``, ``340700.html``), never from free
text. The heavy imports (papermill, nbconvert) happen inside the functions and are cached per
process, so a batch worker pays them once.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from hemei_tools.contract import SUMMARY_MIME, SYNTHETIC_BANNER
from hemei_tools.errors import HemeiError
from hemei_tools.inputs.fingerprint import hash_inputs, sha256_file
from hemei_tools.paths import resolve_data_dir, write_atomic
from hemei_tools.render.provenance import collect_provenance, git_commit, now_utc

#: Template notebooks by report kind: name -> (file name, parameter that names the unit).
NOTEBOOKS = {
    "county_report": ("county_report.ipynb", "county_code"),
    "region_overview": ("region_overview.ipynb", "region_code"),
    "explore": ("explore.ipynb", "county_code"),
    "village_selection": ("village_selection.ipynb", None),
}
KERNEL_NAME = "python3"
#: Longest a single cell may run (s) before the report fails instead of hanging the batch.
CELL_TIMEOUT = 1800
TEMPLATE_NAME = "hemei"
_CODE_RE = re.compile(r"^\d{6}$")
_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


class ReportError(HemeiError):
    """A report cannot be rendered: bad parameters, missing template or a failed notebook."""


@dataclass
class ReportResult:
    """Outcome of one rendered report.

    Attributes
    ----------
    name
        Report kind (a key of :data:`NOTEBOOKS`).
    stem
        Output file stem derived from the unit code (``"340722"``) or the report kind.
    status
        ``"ok"`` or ``"failed"``.
    html, notebook
        Paths of the HTML page and the executed notebook (on failure, ``notebook`` is the
        ``<stem>.failed.ipynb`` with the error, and ``html`` is ``None``).
    error
        One-line error message when failed.
    seconds
        Wall time of execution and export (s).
    summary
        Summary published by the notebook (title, county, synthetic flag, headline figures).
    provenance
        The provenance dict printed in the page.
    """

    name: str
    stem: str
    status: str
    html: str | None = None
    notebook: str | None = None
    error: str = ""
    seconds: float = 0.0
    summary: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return asdict(self)


def skip_slow_imports() -> None:
    """Keep ``rfc3987_syntax`` from being imported in this process.

    ``jsonschema`` (imported by nbformat, hence by papermill and nbconvert) imports it only to
    register a checker for the ``iri`` string format, and it compiles a Lark grammar on
    import: 0.9 s of the 1.9 s ``import papermill`` takes, in every batch process. Notebook
    schemas never use that format, and jsonschema skips the checker when the import fails.
    Call before the first nbformat import; harmless afterwards.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def notebook_path(name: str) -> Path:
    """Path of a template notebook by report kind.

    Looked up in the package (``hemei_tools/notebooks/``, when the notebooks are shipped as
    package data) and then in the ``notebooks/`` folder of the source checkout that holds the
    package (an editable install). Never resolved from the working directory.
    """
    if name not in NOTEBOOKS:
        raise ReportError(f"unknown report {name!r}; choose one of {', '.join(NOTEBOOKS)}")
    filename = NOTEBOOKS[name][0]
    packaged = resources.files("hemei_tools") / "notebooks" / filename
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(str(resources.files("hemei_tools"))).parent / "notebooks" / filename
    if checkout.is_file():
        return checkout
    raise ReportError(f"template notebook {filename} not found in the package or its checkout")


def template_dir() -> Path:
    """Folder holding the packaged nbconvert templates (``hemei_tools/templates``)."""
    return Path(str(resources.files("hemei_tools.render") / "templates"))


def declared_parameters(path: str | os.PathLike) -> dict[str, dict]:
    """Parameters declared in the notebook's ``parameters`` cell, via :func:`papermill.inspect_notebook`.

    Returns
    -------
    dict
        ``{name: {"name", "inferred_type_name", "default", "help"}}``.
    """
    skip_slow_imports()
    import papermill

    return papermill.inspect_notebook(str(path))


def check_parameters(path: str | os.PathLike, parameters: dict) -> dict:
    """Check parameter names and types against the notebook's declared parameters.

    Raises
    ------
    ReportError
        When a name is not declared (papermill would only warn) or a value does not match the
        declared type annotation (``str``, ``int``, ``float``, ``bool``).
    """
    declared = declared_parameters(path)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"unknown parameter(s) {', '.join(unknown)} for {Path(path).name}; "
            f"declared: {', '.join(declared) or 'none'}"
        )
    for name, value in parameters.items():
        expected = _TYPES.get(declared[name].get("inferred_type_name", ""))
        if expected and (not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected)):
            raise ReportError(
                f"parameter {name}={value!r} should be {declared[name]['inferred_type_name']} "
                f"in {Path(path).name}"
            )
    return declared


def report_stem(name: str, parameters: dict) -> str:
    """Output file stem: the unit code for per-unit reports, the report kind otherwise.

    An empty ``region_code`` (the whole data set's region) names the file after the report
    kind, e.g. ``region_overview``.

    Raises
    ------
    ReportError
        When the unit code is not six digits (codes, never free text, name files).
    """
    key = NOTEBOOKS[name][1] if name in NOTEBOOKS else None
    if key is None:
        return name
    code = str(parameters.get(key, ""))
    if key == "region_code" and not code:
        return name
    if not _CODE_RE.match(code):
        raise ReportError(f"{key} must be a six-digit division code, got {code!r}")
    return code


def extract_summary(nb) -> dict:
    """Remove the summary outputs published by the notebook and return the last one (or ``{}``)."""
    found: dict = {}
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if SUMMARY_MIME in data:
                found = dict(data[SUMMARY_MIME])
            else:
                kept.append(out)
        cell["outputs"] = kept
    return found


#: Alternative text of a chart without one (nbconvert's default is an English placeholder).
IMAGE_ALT = "图表"
_IMG_NO_ALT_RE = re.compile(r"<img(?![^>]*\balt=)")
_OUTPUT_DIV_RE = re.compile(r'(<div class="[^"]*\bjp-OutputArea-output\b[^"]*")')
_CHAR_REF_RE = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")
_SELF_CLOSED_A_RE = re.compile(r"<a(\s[^<>]*?)\s*/>")


def _unescape_non_ascii(html: str) -> str:
    """Turn numeric character references of non-ASCII characters (nbconvert's Markdown writes
    every Chinese character of a heading as ``&#21644;``) back into the characters; ASCII ones
    (``&#60;`` and the like) stay escaped."""
    def char(m: re.Match) -> str:
        ref = m.group(1)
        code = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
        return chr(code) if 127 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group(0)

    return _CHAR_REF_RE.sub(char, html)


@functools.cache
def _exporter_class():
    """:class:`nbconvert.HTMLExporter` without its BeautifulSoup pass.

    nbconvert parses the finished page with BeautifulSoup only to add ``alt`` text to images
    and ``tabindex`` to outputs (and, as a side effect of re-serialising, to write character
    references as characters and to close the empty ``<a class="anchor-link" ... />`` of
    headings); on a 0.6 MB report that pass costs 0.1–0.2 s of the 0.13–0.3 s export. Here
    regular expressions on the rendered page do all four.
    """
    skip_slow_imports()
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class OfflineHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            html = _unescape_non_ascii(_IMG_NO_ALT_RE.sub(f'<img alt="{IMAGE_ALT}"', html))
            # nbconvert writes empty heading anchors as <a ... />, which HTML parsers leave open
            html = _SELF_CLOSED_A_RE.sub(r"<a\1></a>", html)
            return _OUTPUT_DIV_RE.sub(r'\1 tabindex="0"', html), resources

    return OfflineHTMLExporter


@functools.cache
def _html_exporter():
    return _exporter_class()(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        anchor_link_text="",
        language_code="zh",
    )


_HEADING_RE = re.compile(r"<h([1-3])([^>]*)>(.*?)</h\1>", re.S)
_ID_RE = re.compile(r"""\bid=["']([^"']+)["']""")
_TAG_RE = re.compile(r"<[^>]+>")
_SAFE_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
TOC_MARK = "<!-- HEMEI_TOC -->"


def add_toc(page: str) -> str:
    """Fill the template's table-of-contents slot with links to the page's h1–h3 headings.

    Every heading gets an ASCII id (``sec-<n>``) unless it already has one made of ASCII
    letters, digits, ``-`` and ``_`` (nbconvert percent-encodes Chinese heading text, which
    browsers do not match reliably); the heading's own anchor link is rewritten to match.
    """
    head, mark, body = page.partition(TOC_MARK)
    if not mark:
        return page
    entries: list[str] = []
    counter = 0

    def visit(match: re.Match) -> str:
        nonlocal counter
        level, attrs, inner = match.group(1), match.group(2), match.group(3)
        counter += 1
        found = _ID_RE.search(attrs)
        ident = found.group(1) if found else ""
        if not _SAFE_ID_RE.match(ident):
            new = f"sec-{counter}"
            if found:
                attrs = attrs.replace(found.group(0), f'id="{new}"')
                inner = inner.replace(f'href="#{ident}"', f'href="#{new}"')
            else:
                attrs = f'{attrs} id="{new}"'
            ident = new
        text = _TAG_RE.sub("", inner).strip()
        if text:
            entries.append(f'<li class="toc-h{level}"><a href="#{ident}">{text}</a></li>')
        return f"<h{level}{attrs}>{inner}</h{level}>"

    body = _HEADING_RE.sub(visit, body)
    return head + "<ol>" + "".join(entries) + "</ol>" + body


def _declared_synthetic(data_dir: str) -> bool:
    """True when the data folder's ``metadata.json`` declares synthetic data."""
    import json

    try:
        meta = json.loads((resolve_data_dir(data_dir) / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, HemeiError):
        return False
    return bool(meta.get("synthetic", False))


def export_html(nb, summary: dict, provenance: dict) -> str:
    """HTML page of an executed notebook with the ``hemei`` template (see module docstring)."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = summary.get("title") or provenance.get("notebook", "report")
    resources_ = {
        "hemei": {
            "synthetic": bool(summary.get("synthetic", False)),
            "banner": SYNTHETIC_BANNER,
            "provenance": provenance,
        },
    }
    page, _ = _html_exporter().from_notebook_node(nb, resources=resources_)
    return add_toc(page)


@contextlib.contextmanager
def _log_to(log_file: str | os.PathLike | None):
    """Send papermill's log (cell progress) to ``log_file`` while active; yield a text stream
    on the same file for the cells' stdout and stderr (``None`` without a log file)."""
    if log_file is None:
        yield None
        return
    logger = logging.getLogger("papermill")
    stream = open(log_file, "a", encoding="utf-8")  # noqa: SIM115 - closed in finally
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    old_level, old_prop = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_prop
        stream.close()


#: Code a kernel runs at start-up, before it reports ready: the heavy imports of every report.
PREIMPORT = (
    "import numpy, pandas, matplotlib.pyplot, hemei_tools.catalogue, hemei_tools.report_data, "
    "hemei_tools.present.style"
)

#: Code the kernel fork server runs once after :data:`PREIMPORT`, before it forks any kernel:
#: the modules the report sections import lazily, the catalogue and division list (cached per
#: process), and the first PNG drawn with CJK text (font loading). Every forked kernel inherits
#: them, as a plain-Python loop over reports would after its first report (about 1 s a report);
#: rcParams are restored afterwards, so each kernel starts from matplotlib's state after import.
FORK_WARMUP = """
import io
import matplotlib
import seaborn
import hemei_tools.engine.composite, hemei_tools.inputs.dataset, hemei_tools.inputs.divisions, hemei_tools.engine.gaps
import hemei_tools.engine.imbalance, hemei_tools.present.narrative, hemei_tools.present.plots, hemei_tools.engine.progress
import hemei_tools.engine.rollup, hemei_tools.present.sections, hemei_tools.engine.selection, hemei_tools.engine.sensitivity
import hemei_tools.engine.trends
hemei_tools.catalogue.load_catalogue()
hemei_tools.inputs.divisions.load_villages(None)
_saved = dict(matplotlib.rcParams)
hemei_tools.present.style.set_theme()
_fig, _ax = matplotlib.pyplot.subplots(figsize=(2, 1))
_ax.set_title("和美乡村")
_ax.plot([0, 1])
_fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
matplotlib.pyplot.close(_fig)
matplotlib.rcParams.update(_saved)
"""


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


class KernelForkServer:
    """A Python process that has imported ipykernel and :data:`PREIMPORT` once and forks a
    fresh kernel process per report on request.

    Each forked kernel is a new process with its own interpreter state, namespace, rcParams
    and random state (``random`` reseeds after fork); it only inherits already-imported
    modules, so it skips the 1–3 s of start-up and imports a new kernel pays. The server exits
    (killing its kernels) when the process that started it dies; kernels exit when the server
    dies (ipykernel's parent poller).
    """

    def __init__(self) -> None:
        import tempfile

        self.rehearsed: set[str] = set()  # data folders this server rehearsed a report on
        self._dir = tempfile.mkdtemp(prefix="hemei-forks-")
        self.address = os.path.join(self._dir, "server.sock")
        env = kernel_env()
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # what ipykernel selects
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from hemei_tools.render.execute import serve_kernel_forks as s; s()",
             self.address, str(os.getpid())],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def _request(self, message: dict, timeout: float) -> dict:
        """Send one JSON request to the server (waiting for it to listen) and return its reply."""
        import json
        import socket

        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ReportError("the kernel fork server exited; see hemei_tools.render.execute.serve_kernel_forks")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.connect(self.address)
                    sock.sendall(json.dumps(message).encode() + b"\n")
                    reply = sock.makefile("r").readline()
                return json.loads(reply)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise ReportError("the kernel fork server did not start in time") from None
                time.sleep(0.05)

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

    with contextlib.suppress(Exception):  # a warm-up failure only costs speed
        exec(FORK_WARMUP, {})  # noqa: S102 - a constant, see FORK_WARMUP
    gc.collect()
    gc.freeze()  # forked kernels then never write to the inherited objects' GC headers (fewer page copies)


def serve_kernel_forks() -> None:  # pragma: no cover - runs in the server process
    """Main loop of :class:`KernelForkServer` (``argv``: socket path, pid of the owner).

    The socket listens from the start, so requests queue while the server imports. After
    :data:`PREIMPORT`, the server warms up (:data:`FORK_WARMUP`) unless a request is already
    waiting: a rehearsal covers the warm-up and more (:func:`rehearse_report`); before the
    first fork of a server that was neither warmed up nor rehearsed, it warms up then.
    """
    import json
    import select
    import signal
    import socket

    address, owner = sys.argv[1], int(sys.argv[2])
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(16)
    exec(PREIMPORT)  # noqa: S102 - a constant: the modules every report imports
    import ipykernel.kernelapp  # noqa: F401

    warm = False
    if not select.select([server], [], [], 0)[0]:
        _warm_up()
        warm = True
    children: set[int] = set()

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
                request = json.loads(conn.makefile("r").readline())
                if "rehearse" in request:
                    ok = rehearse_report(request["rehearse"]["notebook"], request["rehearse"]["parameters"])
                    warm = True
                    conn.sendall(json.dumps({"ok": ok}).encode() + b"\n")
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
        for pid in children:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


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
    :mod:`hemei_tools.report_data` for the server's life (one batch, whose inputs are hashed
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
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
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


@functools.cache
def _forked_manager_class():
    from jupyter_client import AsyncKernelManager

    class ForkedKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel is forked by a :class:`KernelForkServer`."""

        fork_server = None

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # jupyter_client polls a killed kernel every 0.1 s; a forked kernel is gone within
            # milliseconds of SIGKILL (its server reaps it), so poll faster: 0.1 s a report.
            await super()._async_wait(pollinterval=min(pollinterval, 0.005))

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            prov = self.provisioner
            pid = self.fork_server.fork(self.connection_file, str(kw.get("cwd") or os.getcwd()))
            prov.process = _ForkedProcess(pid)
            prov.pid = prov.pgid = pid  # the child called setsid()
            prov.ip = self.ip
            self._reconcile_connection_info(prov.connection_info)

    return ForkedKernelManager


@functools.cache
def _ready_client_class():
    """An ``AsyncKernelClient`` whose ``wait_for_ready`` returns as soon as the kernel is ready.

    jupyter_client's version, after the ``kernel_info_reply``, waits for IOPub to stay silent
    for 0.2 s twice (to check the channel is connected, then to flush it): 0.2–0.4 s of idle
    waiting per report. Here the client waits for the ``idle`` status that closes its own
    ``kernel_info`` request on IOPub, which proves the channel is connected and is the last
    message of that request; if it does not arrive in 0.5 s (a subscription not yet in place),
    the request is sent again, as jupyter_client does.
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
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

        wait_for_ready = _async_wait_for_ready  # AsyncKernelClient binds the name at class creation

    return ReadyKernelClient


def start_kernel(cwd: str | os.PathLike, preimport: bool = True,
                 fork_server: KernelForkServer | None = None):
    """Start a fresh ``python3`` kernel now, optionally importing :data:`PREIMPORT` at start-up.

    The call returns as soon as the process is launched; the kernel boots and imports in the
    background, so starting the next report's kernel while the current report runs (as the
    batch does) hides its start-up time. With a ``fork_server`` the kernel is forked from a
    process that has already imported everything (and possibly rehearsed a report). Its
    clients are :func:`_ready_client_class` clients, registered on the manager so that
    :func:`stop_kernel` stops their channels. Pass the manager to :func:`render_report`, which
    shuts it down.

    Returns
    -------
    jupyter_client.AsyncKernelManager
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_core.utils import run_sync

    if fork_server is not None:
        km = _forked_manager_class()(kernel_name=KERNEL_NAME)
        km.hemei_clients = []
        km.client_factory = _ready_client_class()
        km.fork_server = fork_server
        run_sync(km.start_kernel)(env=kernel_env(), cwd=str(cwd))
        return km
    km = AsyncKernelManager(kernel_name=KERNEL_NAME)
    km.hemei_clients = []
    km.client_factory = _ready_client_class()
    extra = [f"--IPKernelApp.exec_lines={PREIMPORT}"] if preimport else []
    # The kernel's own stdout/stderr carry only start-up chatter (cell output travels over
    # ZeroMQ); a kernel that dies is reported by nbclient as DeadKernelError.
    run_sync(km.start_kernel)(extra_arguments=extra, env=kernel_env(), cwd=str(cwd),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return km


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


def _one_line(exc: BaseException) -> str:
    name = getattr(exc, "ename", "") or type(exc).__name__
    value = getattr(exc, "evalue", "") or str(exc)
    text = f"{name}: {value}".strip()
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return text.splitlines()[0][:500] if text else name


def render_report(
    name: str,
    parameters: dict,
    out_dir: str | os.PathLike,
    *,
    inputs: dict[str, str] | None = None,
    commit: str | None = None,
    kernel_manager=None,
    log_file: str | os.PathLike | None = None,
) -> ReportResult:
    """Execute a template notebook and export it to HTML in ``out_dir``.

    Parameters
    ----------
    name
        Report kind, a key of :data:`NOTEBOOKS`.
    parameters
        Notebook parameters; checked with :func:`check_parameters` before anything runs.
        ``data_dir`` should be set so the provenance names the inputs.
    out_dir
        Output folder (created). Writes ``<stem>.ipynb`` and ``<stem>.html``, or
        ``<stem>.failed.ipynb`` when a cell fails.
    inputs
        ``{file: sha256}`` of the input data; computed from ``parameters["data_dir"]`` if omitted.
    commit
        Git commit for the provenance; looked up if omitted.
    kernel_manager
        A kernel from :func:`start_kernel` to run in (started ahead of need by the batch);
        by default a fresh one is started here. It is shut down before returning.
    log_file
        Where papermill's log and the cells' stdout/stderr go.

    Returns
    -------
    ReportResult
        ``status == "failed"`` when a cell raised; the error and failed notebook are recorded.

    Raises
    ------
    ReportError
        For bad parameters or a missing template (nothing has run).
    """
    skip_slow_imports()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb_path = notebook_path(name)
    check_parameters(nb_path, parameters)
    stem = report_stem(name, parameters)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    final_nb, final_html, failed_nb = out / f"{stem}.ipynb", out / f"{stem}.html", out / f"{stem}.failed.ipynb"
    tmp_nb = out / f".{stem}.{os.getpid()}.running.ipynb"
    if inputs is None:
        inputs = hash_inputs(resolve_data_dir(parameters.get("data_dir", "")))
    commit = git_commit() if commit is None else commit
    started, t0 = now_utc(), time.perf_counter()
    km = kernel_manager if kernel_manager is not None else start_kernel(out)
    try:
        with _log_to(log_file) as stream:
            nb = papermill.execute_notebook(
                str(nb_path), str(tmp_nb), parameters=parameters, kernel_name=KERNEL_NAME,
                request_save_on_cell_execute=False, progress_bar=False, stdout_file=stream,
                execution_timeout=CELL_TIMEOUT,
                stderr_file=stream, shutdown_kernel="immediate", cwd=str(out), km=km,
            )
    except PapermillExecutionError as exc:
        if tmp_nb.exists():
            os.replace(tmp_nb, failed_nb)
        final_html.unlink(missing_ok=True)
        final_nb.unlink(missing_ok=True)
        return ReportResult(name, stem, "failed", None, str(failed_nb), _one_line(exc),
                            round(time.perf_counter() - t0, 2))
    except BaseException:
        tmp_nb.unlink(missing_ok=True)
        raise
    finally:
        stop_kernel(km)
    summary = extract_summary(nb)
    if "synthetic" not in summary:  # the notebook published no summary: ask the data
        summary["synthetic"] = _declared_synthetic(parameters.get("data_dir", ""))
    provenance = collect_provenance(
        parameters, inputs, nb_path.name, sha256_file(nb_path), started,
        time.perf_counter() - t0, commit,
    )
    page = export_html(nb, summary, provenance)
    skip_slow_imports()
    import nbformat

    write_atomic(final_nb, nbformat.writes(nb))
    tmp_nb.unlink(missing_ok=True)
    write_atomic(final_html, page)
    failed_nb.unlink(missing_ok=True)
    return ReportResult(name, stem, "ok", str(final_html), str(final_nb), "",
                        round(time.perf_counter() - t0, 2), summary, provenance)
