"""The report kinds: template notebooks, their declared parameters, output names, the summary.

:data:`NOTEBOOKS` maps a report kind to its template notebook and the parameter that names the
unit it reports on; :func:`check_parameters` checks a call against the notebook's ``parameters``
cell *before* anything runs (papermill itself only warns about an unknown name and would render
the default county); :func:`report_stem` derives the output file name from a code, never from
free text; :func:`extract_summary` lifts the summary a notebook published
(:data:`hemei_tools.contract.SUMMARY_MIME`) out of the executed notebook.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import resources
from pathlib import Path

from hemei_tools.contract import SUMMARY_MIME
from hemei_tools.errors import ReportError

__all__ = [
    "KERNEL_NAME", "NOTEBOOKS", "ReportError", "check_parameters", "declared_parameters",
    "extract_summary", "notebook_path", "pop_payloads", "report_stem", "skip_slow_imports", "template_dir",
]

#: Template notebooks by report kind: name -> (file name, parameter that names the unit).
NOTEBOOKS = {
    "county_report": ("county_report.ipynb", "county_code"),
    "region_overview": ("region_overview.ipynb", "region_code"),
    "explore": ("explore.ipynb", "county_code"),
    "village_selection": ("village_selection.ipynb", None),
}
KERNEL_NAME = "python3"
_CODE_RE = re.compile(r"^\d{6}$")
_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


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


def pop_payloads(nb, mime: str, *, keep_rest: bool = False) -> list:
    """Remove every ``mime`` payload from the code-cell outputs of ``nb`` and return them in
    page order.

    An output that held a payload is dropped, unless ``keep_rest`` and it also shows something
    else (then only the payload, and its metadata entry, go).
    """
    found: list = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if mime in data:
                found.append(data.pop(mime))
                out.get("metadata", {}).pop(mime, None)
                if not (keep_rest and data):
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return found


def extract_summary(nb) -> dict:
    """Remove the summary outputs published by the notebook and return them merged in page
    order (a later key wins; ``{}`` when there is none): the title cell's summary, then what
    sections add (e.g. ``standing`` from the 结论摘要)."""
    merged: dict = {}
    for payload in pop_payloads(nb, SUMMARY_MIME):
        if isinstance(payload, dict):
            merged.update(payload)
    return merged
