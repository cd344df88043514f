"""Render one template notebook into an executed notebook and a self-contained offline HTML page.

Steps of :func:`render_report`:

1. check the parameters against the notebook's declared parameters
   (:func:`hemei_tools.render.notebooks.check_parameters`) *before* running;
2. execute with papermill's Python API (no per-cell saves, immediate kernel shutdown, a
   kernel from :func:`hemei_tools.render.kernels.start_kernel`, possibly started ahead of
   need) into a temporary notebook beside the target, then rename it;
3. lift the summary the notebook published out of the executed notebook
   (:func:`hemei_tools.render.notebooks.extract_summary`);
4. collect the tables the notebook published into ``<stem>.xlsx`` beside the page
   (:mod:`hemei_tools.render.workbook`);
5. export HTML (:func:`hemei_tools.render.html.export_html`, with a link to the workbook) and
   write it atomically.

A report that fails leaves ``<stem>.failed.ipynb`` and removes the previous ``<stem>.html`` and
``<stem>.ipynb`` (a stale page must not pass for current), unless ``keep_previous`` (the batch,
whose index marks the page kept as out of date); the temporary ``.<stem>.<pid>.running.ipynb``
is removed whatever happens. A kernel that dies while it runs
the cells raises :class:`~hemei_tools.errors.KernelDiedError`.

Output names are derived from codes (``340722.html``, ``340700.html``), never from free
text. The heavy imports (papermill, nbconvert) happen inside the functions and are cached per
process, so a batch worker pays them once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hemei_tools.errors import HemeiError, KernelDiedError, ReportError
from hemei_tools.inputs.fingerprint import hash_inputs, sha256_file
from hemei_tools.paths import resolve_data_dir, write_atomic
from hemei_tools.render.html import export_html
from hemei_tools.render.kernels import start_kernel, stop_kernel
from hemei_tools.render.notebooks import (
    KERNEL_NAME,
    check_parameters,
    extract_summary,
    notebook_path,
    report_stem,
    skip_slow_imports,
)
from hemei_tools.render.provenance import PortablePaths, collect_provenance, git_commit, now_utc
from hemei_tools.render.workbook import collect_tables, workbook_name, write_report_workbook

__all__ = ["CELL_TIMEOUT", "ReportError", "ReportResult", "render_report"]

#: Longest a single cell may run (s) before the report fails instead of hanging the batch.
CELL_TIMEOUT = 1800


@dataclass
class ReportResult:
    """Outcome of one rendered report.

    Attributes
    ----------
    name
        Report kind (a key of :data:`hemei_tools.render.notebooks.NOTEBOOKS`).
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
    workbook
        Path of the ``<stem>.xlsx`` with every table of the page (None when it has none).
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
    workbook: str | None = None

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return asdict(self)


def _declared_synthetic(data_dir: str) -> bool:
    """True when the data folder's ``metadata.json`` declares synthetic data."""
    import json

    try:
        meta = json.loads((resolve_data_dir(data_dir) / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, HemeiError):
        return False
    return bool(meta.get("synthetic", False))


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
    keep_previous: bool = False,
    nav: dict | None = None,
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
    keep_previous
        When the report fails, keep the last good ``<stem>.html`` and ``<stem>.ipynb`` (the
        batch lists them as out of date); by default they are removed.
    nav
        The page's place in a batch (``Job.nav``, :func:`hemei_tools.batch.plan.job_navigation`):
        breadcrumb, index link and related reports; None (``hemei report``) shows none of them.

    Returns
    -------
    ReportResult
        ``status == "failed"`` when a cell raised; the error and failed notebook are recorded.

    Raises
    ------
    ReportError
        For bad parameters or a missing template (nothing has run).
    KernelDiedError
        When the kernel died while it ran the cells (the caller may retry in a new kernel).
    OSError
        When ``out_dir`` cannot be written (disk full, read-only, gone); nothing half-written
        is left.

    Notes
    -----
    Long because the steps share one ``try``/``finally`` that stops the kernel and removes the
    temporary notebook whatever happens; the code itself is about 50 lines.
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
    portable = PortablePaths.of_run(parameters.get("data_dir", ""), out)  # no path of this machine written
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
        try:
            if tmp_nb.exists():
                os.replace(tmp_nb, failed_nb)
        finally:
            tmp_nb.unlink(missing_ok=True)
        if not keep_previous:
            final_html.unlink(missing_ok=True)
            final_nb.unlink(missing_ok=True)
            (out / workbook_name(stem)).unlink(missing_ok=True)
        for written in (failed_nb, log_file):
            if written is not None:
                portable.file(written)
        return ReportResult(name, stem, "failed", None, str(failed_nb), _one_line(exc),
                            round(time.perf_counter() - t0, 2))
    except BaseException as exc:
        tmp_nb.unlink(missing_ok=True)
        if type(exc).__name__ == "DeadKernelError":  # nbclient's: the kernel died mid-report
            raise KernelDiedError(f"the report kernel died: {_one_line(exc)}") from exc
        raise
    finally:
        stop_kernel(km)
    try:
        summary = extract_summary(nb)
        # the tables the notebook published: one workbook beside the page, linked from it
        workbook = write_report_workbook(collect_tables(nb), out / workbook_name(stem))
        if "synthetic" not in summary:  # the notebook published no summary: ask the data
            summary["synthetic"] = _declared_synthetic(parameters.get("data_dir", ""))
        provenance = collect_provenance(
            portable.obj(dict(parameters)), inputs, nb_path.name, sha256_file(nb_path), started,
            time.perf_counter() - t0, commit,
        )
        page = portable.text(export_html(nb, summary, provenance, workbook=workbook.name if workbook else None,
                                         nav=nav))
        skip_slow_imports()
        import nbformat

        write_atomic(final_nb, nbformat.writes(portable.obj(nb)), make_parents=False)
        write_atomic(final_html, page, make_parents=False)
    finally:
        tmp_nb.unlink(missing_ok=True)
    if log_file is not None:
        portable.file(log_file)
    failed_nb.unlink(missing_ok=True)
    return ReportResult(name, stem, "ok", str(final_html), str(final_nb), "",
                        round(time.perf_counter() - t0, 2), summary, provenance,
                        str(workbook) if workbook else None)
