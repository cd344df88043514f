"""The two set-up routes (pip/uv via pyproject, conda via environment.yml) agree, and the CLI documents itself."""

from __future__ import annotations

import re
from pathlib import Path

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
