"""Every template notebook: its contract (parameters cell, thin cells, no outputs committed),
and a real execution with default parameters (plain ``papermill`` CLI) and with each demo county."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib

from hemei_tools.render.kernels import KernelForkServer, start_kernel, stop_kernel
from hemei_tools.render.notebooks import NOTEBOOKS, notebook_path

ROOT = Path(__file__).resolve().parents[2]
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
                assert node.level == 0 and _facade_or_present(node.module), (
                    f"cells import only the facade (hemei_tools) or hemei_tools.present: {node.module}"
                )
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert _facade_or_present(alias.name), (
                        f"cells import only the facade (hemei_tools) or hemei_tools.present: {alias.name}"
                    )
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "/" not in node.value and "\\" not in node.value, "no paths built in cells"


def _facade_or_present(module: str | None) -> bool:
    """Notebooks import the facade (``hemei_tools``) or the presentation room, nothing else."""
    return module is not None and (
        module == "hemei_tools" or module == "hemei_tools.present" or module.startswith("hemei_tools.present.")
    )


@pytest.mark.parametrize(
    "module", ["hemei_tools.engine.region", "hemei_tools.render.execute", "hemei_tools.inputs", "pandas", "os",
               "hemei_toolsx", "hemei_tools.presentation"],
)
def test_the_import_rule_rejects_other_rooms(module):
    assert not _facade_or_present(module)
    assert _facade_or_present("hemei_tools") and _facade_or_present("hemei_tools.present.sections")


# --- jupytext pairing: the py:percent twin is what reviewers read in diffs ------------------------


def test_jupytext_pairs_the_templates_with_py_percent_twins():
    config = tomllib.loads((ROOT / "notebooks" / "jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_and_its_py_twin_hold_the_same_cells(name):
    """Edit either file, then ``.venv/bin/jupytext --sync notebooks/*.ipynb``."""
    jupytext = pytest.importorskip("jupytext")
    ipynb = ROOT / "notebooks" / f"{name}.ipynb"
    twin = ipynb.with_suffix(".py")
    assert twin.is_file(), f"{twin.name} missing: run jupytext --sync notebooks/*.ipynb"

    def cells(path):
        nb = jupytext.read(path)
        return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]

    assert cells(twin) == cells(ipynb), f"{twin.name} differs from {ipynb.name}: run jupytext --sync"
    assert "parameters" in cells(twin)[0][2]


# --- outline: the notebook's sections are the ones the package declares ---------------------------

#: Report kind -> the section list it follows (hemei_tools.present.sections); explore has none.
OUTLINES = {"county_report": "COUNTY_SECTIONS", "region_overview": "REGION_SECTIONS",
            "village_selection": "SELECTION_SECTIONS"}
#: Notebook helpers that show a section's heading themselves: helper -> the section it heads.
HEADING_HELPERS = {"show_headline": "section_headline"}
_CJK = re.compile(r"[\u3400-\u9fff]")


def _heading_text(heading) -> str | None:
    """A declared heading as the notebook shows it: Chinese text as is, a label key through
    ``catalogue/labels.csv``."""
    if heading is None or (isinstance(heading, str) and _CJK.search(heading)):
        return heading
    from hemei_tools import catalogue

    if isinstance(heading, str) and hasattr(catalogue, "label"):
        return catalogue.label(heading, "zh")
    return str(heading)


def _label_keys_of(text: str) -> set[str]:
    """The ``labels.csv`` keys whose Chinese text is ``text`` (none before labels.csv exists)."""
    from hemei_tools import catalogue

    if not hasattr(catalogue, "load_labels"):
        return set()
    return {key for key, value in catalogue.load_labels("zh").texts.items() if value == text}


def _declared_outline(name: str) -> list[tuple[str | None, str]]:
    from hemei_tools.present import sections

    return [(_heading_text(h), fn.__name__) for h, fn in getattr(sections, OUTLINES[name])]


def _notebook_outline(name: str) -> list[tuple[str | None, str | None]]:
    """(``## `` heading shown before the call or None, ``section_*`` function) in cell order; a
    heading no section follows is listed with None."""
    nb = nbformat.read(notebook_path(name), as_version=4)
    outline: list[tuple[str | None, str | None]] = []
    pending: str | None = None
    section_aliases: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    if pending is not None:
                        outline.append((pending, None))
                    pending = line[3:].strip()
            continue
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "hemei_tools.present":
                section_aliases |= {a.asname or a.name for a in node.names if a.name == "sections"}
            if isinstance(node, ast.Import):
                section_aliases |= {a.asname for a in node.names if a.name == "hemei_tools.present.sections" and a.asname}
        calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            func = call.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in section_aliases:
                called = func.attr
            elif isinstance(func, ast.Name):
                called = func.id
            else:
                continue
            if called in HEADING_HELPERS:
                if pending is not None:
                    outline.append((pending, None))
                pending = _declared_heading_of(name, HEADING_HELPERS[called])
            elif called.startswith("section_"):
                outline.append((pending, called))
                pending = None
    if pending is not None:
        outline.append((pending, None))
    return outline


def _declared_heading_of(name: str, function: str) -> str | None:
    return dict((fn, h) for h, fn in _declared_outline(name)).get(function)


def test_heading_helpers_show_the_declared_heading():
    import inspect

    from hemei_tools.present import notebook, sections

    for helper, function in HEADING_HELPERS.items():
        source = inspect.getsource(getattr(notebook, helper))
        for declared in ("COUNTY_SECTIONS", "REGION_SECTIONS"):
            (heading,) = [h for h, fn in getattr(sections, declared) if fn.__name__ == function]
            text = _heading_text(heading)
            shown = {heading, f"## {text}"} | {f"'{k}'" for k in _label_keys_of(text)} | {
                f'"{k}"' for k in _label_keys_of(text)}
            assert any(s in source for s in shown), f"{helper} does not show the heading {text!r}"


@pytest.mark.parametrize("name", sorted(OUTLINES))
def test_notebook_outline_matches_the_declared_sections(name):
    assert sorted(OUTLINES) == sorted(n for n in NOTEBOOKS if n != "explore")
    assert _notebook_outline(name) == _declared_outline(name)


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


#: Every year of the demo data: a baseline-year report is what researchers ask for first.
DEMO_YEARS = [2019, 2020, 2021, 2022]


@pytest.mark.slow
@pytest.mark.parametrize("year", DEMO_YEARS)
@pytest.mark.parametrize("name", ["county_report", "region_overview"])
def test_report_templates_run_for_every_demo_year(name, year, demo_dir, fork_server, tmp_path):
    """2023 runs in the tests above; each earlier year of the demo renders every section too."""
    unit = {"county_report": {"county_code": "340722"}, "region_overview": {"region_code": ""}}[name]
    nb = _execute(name, {**unit, "year": year, "data_dir": str(demo_dir)}, fork_server, tmp_path)
    assert _has_png(nb)


@pytest.mark.slow
@pytest.mark.parametrize(("region", "title"), [("", "安徽省和美乡村建设概览（2023年）"),
                                               ("340700", "铜陵市和美乡村建设概览（2023年）")])
def test_region_overview_runs_for_a_province_and_one_of_its_cities(region, title, fork_server, tmp_path):
    """The region overview on a three-city province (tests/engine/test_regions.py), at both levels."""
    from province_data import write_province

    data = write_province(tmp_path / "province")
    nb = _execute("region_overview", {"region_code": region, "year": 2023, "data_dir": str(data)}, fork_server,
                  tmp_path)
    assert _has_png(nb)
    text = "".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert f"# {title}" in text
    assert ("## 各市对比" in text) == (region == "") and ("## 各县区对比" in text) == (region != "")
    # the province's county league (heading, sentence, dot plot, table); a city report has none
    assert ("## 全省县区排名" in text) == (region == "")
    if region == "":
        assert "安徽省6个县区中，和美指数最高的是铜陵市县340701、铜陵市县340702" in text
        html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                       for o in c.outputs)
        assert "全部6个县区（按2023年和美指数排名）" in html and "红灯任务数" in html
