"""The two set-up routes (pip/uv via pyproject, conda via environment.yml) agree, and the CLI documents itself."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import tomllib
import yaml
from click.testing import CliRunner

from hemei_tools.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_parses_and_installs_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    pip_sections = [d for d in deps if isinstance(d, dict) and "pip" in d]
    assert pip_sections and "-e .[dev]" in pip_sections[0]["pip"]
    assert "pip" in deps


def test_environment_yml_does_not_contradict_pyproject():
    """Conda packages listed besides python/pip must not pin what pyproject declares."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda_pkgs = [d for d in env["dependencies"] if isinstance(d, str)]
    python_req = project["requires-python"].lstrip(">=")
    for spec in conda_pkgs:
        name = _name(spec)
        if name == "python":
            version = spec.split("=", 1)[1]
            assert tuple(map(int, version.split("."))) >= tuple(map(int, python_req.split(".")))
        else:
            assert name == "pip" or name not in declared, f"{spec} is declared in pyproject.toml: install it from there"


def test_every_subcommand_has_help():
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    names = sorted(main.commands)
    assert {"demo", "validate"} <= set(names)
    for name in names:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.output


def test_package_files_resolve_without_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from hemei_tools.catalogue import load_catalogue
    from hemei_tools.inputs.divisions import load_villages

    assert len(load_catalogue(None).indicator_ids) > 0
    assert len(load_villages("3407")) == 363


# --- installed, not only checked out -------------------------------------------------------------

_SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md"]


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _has_uv() -> bool:
    return importlib.util.find_spec("uv") is not None


def _build_wheel(tmp: Path) -> Path:
    """sdist, then a wheel from the sdist (``python -m build``), from a copy of the sources.

    Building from a copy keeps ``build/`` and ``*.egg-info`` out of the checkout; building the
    wheel from the sdist checks that the sdist carries the template notebooks too.
    """
    src = tmp / "src"
    src.mkdir()
    for name in _SOURCES:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "hemei_tools", src / "hemei_tools", ignore=shutil.ignore_patterns("__pycache__"))
    (src / "notebooks").mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, src / "notebooks" / notebook.name)
    installer = ["--installer", "uv"] if _has_uv() else []
    _run([sys.executable, "-m", "build", *installer, "--outdir", str(tmp / "dist"), str(src)])
    (wheel,) = (tmp / "dist").glob("hemei_tools-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    """A new venv that holds only the wheel; its dependencies are this venv's (no download).

    A ``.pth`` line adds this environment's site-packages to the new one's ``sys.path``; ``.pth``
    files inside an added directory are not processed, so the editable install of the checkout
    stays invisible. nbconvert's templates are data files that ``pip install nbconvert`` puts
    under the new prefix's ``share/jupyter``: a link stands for them.
    """
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    ours = sysconfig.get_paths()
    site.joinpath("hemei_dev_site.pth").write_text(
        "\n".join(dict.fromkeys([ours["purelib"], ours["platlib"]])) + "\n", encoding="utf-8"
    )
    (venv / "share" / "jupyter").mkdir(parents=True)
    (venv / "share" / "jupyter" / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    if _has_uv():
        _run([sys.executable, "-m", "uv", "pip", "install", "--python", str(python), "--no-deps", str(wheel)])
    else:
        _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)])
    return venv


@pytest.mark.slow
def test_the_wheel_renders_reports_outside_any_checkout(tmp_path):
    """Plain (non-editable) install of the wheel into a fresh venv: demo, report and batch run
    from a folder outside the checkout, with the packaged notebooks and that venv's kernel."""
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"hemei_tools/notebooks/{notebook.name}" in names
    for data in ["hemei_tools/catalogue/indicators.csv", "hemei_tools/data/divisions/anhui_villages.csv",
                 "hemei_tools/render/templates/hemei/index.html.j2", "hemei_tools/render/cjk_radicals.csv"]:
        assert data in names

    venv = _fresh_venv(tmp_path, wheel)
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND", "JUPYTER_PATH", "JUPYTER_DATA_DIR",
            "JUPYTER_CONFIG_DIR", "HEMEI_DATA_DIR", "HEMEI_CACHE_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local" / "share"),
               PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    python, hemei = str(venv / "bin" / "python"), str(venv / "bin" / "hemei")

    probe = _run([python, "-c", (
        "import json, sys, hemei_tools\n"
        "from jupyter_client.kernelspec import KernelSpecManager\n"
        "from hemei_tools.render.notebooks import KERNEL_NAME, notebook_path\n"
        "spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)\n"
        "print(json.dumps({'package': hemei_tools.__file__, 'notebook': str(notebook_path('region_overview')),"
        " 'argv0': spec.argv[0], 'executable': sys.executable}))\n"
    )], cwd=work, env=env)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert Path(found["package"]).is_relative_to(venv), found
    assert Path(found["notebook"]).is_relative_to(venv), found
    # The kernel the reports start is this venv's interpreter (jupyter_client replaces a bare
    # "python"/"python3" in a spec's argv by sys.executable).
    assert found["argv0"] in {found["executable"], "python", "python3"}, found

    _run([hemei, "demo", "--out", "d", "--seed", "2023"], cwd=work, env=env)
    _run([hemei, "report", "--county", "340722", "--data", "d", "--out", "o"], cwd=work, env=env)
    assert (work / "o" / "340722.html").is_file()
    _run([hemei, "batch", "--data", "d", "--out", "o2", "--workers", "1", "--no-selection",
          "--counties", "340705"], cwd=work, env=env)
    assert (work / "o2" / "340705.html").is_file()
    assert (work / "o2" / "index.html").is_file()
    overviews = [p for p in (work / "o2").glob("*.html") if p.name not in ("340705.html", "index.html")]
    assert overviews, "the overview of the data set (region_overview.ipynb) was not rendered"
