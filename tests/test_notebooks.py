"""Every template notebook: its contract (parameters cell, thin cells, no outputs committed),
and a real execution with default parameters (plain ``papermill`` CLI) and with each demo county."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from hemei_tools.render.kernels import KernelForkServer, start_kernel, stop_kernel
from hemei_tools.render.notebooks import NOTEBOOKS, notebook_path

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = [sys.executable, "-m", "papermill"]
DEMO_COUNTIES = ["340705", "340706", "340711", "340722"]
EXPECTED_PARAMETERS = {
    "county_report": {"county_code": "str", "year": "int", "data_dir": "str"},
    "region_overview": {"region_code": "str", "year": "int", "data_dir": "str"},
    "explore": {"county_code": "str", "year": "int", "data_dir": "str"},
    "village_selection": {"year": "int", "data_dir": "str", "n_runs": "int"},
}
# The county report runs for every demo county in the batch tests (test_batch, test_browser);
# here every other per-county template does.
PER_COUNTY = [n for n, (_, key) in NOTEBOOKS.items() if key == "county_code" and n != "county_report"]


def _env(demo_dir, cache) -> dict[str, str]:
    """Environment of a notebook run: demo data as the default, inline charts, private cache."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(HEMEI_DATA_DIR=str(demo_dir), HEMEI_CACHE_DIR=str(cache))
    return env


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def fork_server(cache):
    """Fresh kernels forked from one pre-imported process, as ``hemei batch`` runs them."""
    old = os.environ.get("HEMEI_CACHE_DIR")
    os.environ["HEMEI_CACHE_DIR"] = str(cache)  # inherited by the server and its kernels
    server = KernelForkServer()
    yield server
    server.close()
    if old is None:
        os.environ.pop("HEMEI_CACHE_DIR", None)
    else:
        os.environ["HEMEI_CACHE_DIR"] = old


def test_every_template_in_the_repository_is_registered_and_tested():
    assert sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert sorted(EXPECTED_PARAMETERS) == sorted(NOTEBOOKS)
    for name in NOTEBOOKS:
        assert notebook_path(name) == ROOT / "notebooks" / f"{name}.ipynb"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_parameters_cell_first_tagged_typed_and_documented(name):
    nb = nbformat.read(notebook_path(name), as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", [])
    tree = ast.parse(first.source)
    assigned = {n.target.id: ast.unparse(n.annotation) for n in tree.body if isinstance(n, ast.AnnAssign)}
    assert assigned == EXPECTED_PARAMETERS[name]
    for line in first.source.splitlines():
        assert "  # " in line, f"parameter line without a help comment: {line!r}"
    assert 'data_dir: str = ""' in first.source
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_committed_without_outputs_and_with_thin_cells(name):
    nb = nbformat.read(notebook_path(name), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None
        if "parameters" in cell.metadata.get("tags", []):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom):
                assert node.module.startswith("hemei_tools"), f"cells call hemei_tools only: {node.module}"
            assert not isinstance(node, ast.Import), "cells call hemei_tools only"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "/" not in node.value and "\\" not in node.value, "no paths built in cells"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_papermill_help_notebook_explains_the_parameters(name):
    res = subprocess.run([*PAPERMILL, "--help-notebook", str(notebook_path(name))],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    source = nbformat.read(notebook_path(name), as_version=4).cells[0].source
    helps = dict(line.split(":", 1)[0:1] + line.split("  # ", 1)[1:] for line in source.splitlines())
    for param, type_name in EXPECTED_PARAMETERS[name].items():
        assert f"{param}: {type_name} (default" in res.stdout
        assert helps[param] in res.stdout
    assert "bundled demo data" in res.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_plain_papermill_cli_runs_each_template_with_defaults(name, demo_dir, cache, tmp_path):
    out = tmp_path / f"{name}.ipynb"
    res = subprocess.run([*PAPERMILL, "--no-progress-bar", "--execution-timeout", "300",
                          str(notebook_path(name)), str(out)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env=_env(demo_dir, cache))
    assert res.returncode == 0, res.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    assert all(c.metadata.get("papermill", {}).get("exception") in (None, False) for c in nb.cells)
    assert _has_png(nb), "the default run must draw its charts"


def _has_png(nb) -> bool:
    return any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _execute(name: str, parameters: dict, fork_server, tmp_path):
    """Run a template with papermill in a forked kernel; every cell must succeed."""
    import papermill

    km = start_kernel(tmp_path, fork_server=fork_server)
    try:
        nb = papermill.execute_notebook(
            str(notebook_path(name)), str(tmp_path / "out.ipynb"), parameters=parameters,
            progress_bar=False, request_save_on_cell_execute=False, km=km, cwd=str(tmp_path),
            execution_timeout=300,
        )
    finally:
        stop_kernel(km)
    assert all(c.metadata.get("papermill", {}).get("exception") in (None, False) for c in nb.cells)
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("county", DEMO_COUNTIES)
@pytest.mark.parametrize("name", PER_COUNTY)
def test_each_per_county_template_runs_for_each_demo_county(name, county, demo_dir, fork_server, tmp_path):
    nb = _execute(name, {"county_code": county, "year": 2023, "data_dir": str(demo_dir)}, fork_server, tmp_path)
    assert _has_png(nb)


@pytest.mark.slow
@pytest.mark.parametrize(("region", "title"), [("", "安徽省和美乡村建设概览（2023年）"),
                                               ("340700", "铜陵市和美乡村建设概览（2023年）")])
def test_region_overview_runs_for_a_province_and_one_of_its_cities(region, title, fork_server, tmp_path):
    """The region overview on a three-city province (tests/test_regions.py), at both levels."""
    from test_regions import write_province

    data = write_province(tmp_path / "province")
    nb = _execute("region_overview", {"region_code": region, "year": 2023, "data_dir": str(data)}, fork_server,
                  tmp_path)
    assert _has_png(nb)
    text = "".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert f"# {title}" in text
    assert ("## 各市对比" in text) == (region == "") and ("## 各县区对比" in text) == (region != "")
