"""The import contracts of the package layout (docs/design.md, "Layers and seams"), checked by import-linter.

``pyproject.toml`` ``[tool.importlinter]`` declares the layers
``cli > batch > render | present > engine > inputs > (catalogue : contract : paths) > errors``,
that ``render`` imports nothing from ``engine`` or ``present``, that the engine imports neither
matplotlib nor IPython nor ipywidgets, and that only ``cli`` (and tests) call ``hemei_tools.demo``.
The fresh-interpreter tests check what the static analysis cannot: what an import really loads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hemei_tools"
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _contract_names() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c["name"] for c in config["contracts"]}


def _lint_imports(cwd: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _engine_modules() -> list[str]:
    return ["hemei_tools.engine"] + [
        f"hemei_tools.engine.{p.stem}" for p in sorted((PACKAGE / "engine").glob("*.py")) if p.stem != "__init__"
    ]


def _fresh(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (outside the checkout, so only the installed package counts)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=Path.home() if Path.home().is_dir() else "/", env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_contracts_are_declared():
    assert set(_contract_names()) == {"layers", "render-alone", "engine-headless", "demo-from-cli-only"}


def test_lint_imports_passes_on_the_repository():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_lint_imports_fails_when_the_engine_imports_present(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "hemei_tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    victim = tmp_path / "hemei_tools" / "engine" / "gaps.py"
    victim.write_text(victim.read_text(encoding="utf-8") + "\nimport hemei_tools.present  # noqa\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = _lint_imports(tmp_path, "--config", str(tmp_path / "pyproject.toml"), env=env)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "BROKEN" in out
    assert _contract_names()["layers"] in " ".join(out.split()), out
    assert "hemei_tools.engine.gaps -> hemei_tools.present" in out, out


def test_the_engine_loads_neither_matplotlib_nor_ipython():
    modules = _engine_modules()
    assert len(modules) > 5
    code = (
        f"import {', '.join(modules)}, sys\n"
        "print(sorted(m for m in ('matplotlib', 'IPython', 'ipywidgets') if m in sys.modules))\n"
    )
    result = _fresh(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


# the command line with every command registered, and what a no-op ``hemei batch`` imports
@pytest.mark.parametrize("module", ["hemei_tools", "hemei_tools.inputs.fingerprint", "hemei_tools.paths",
                                    "hemei_tools.cli", "hemei_tools.batch.plan", "hemei_tools.batch.index"])
def test_light_modules_do_not_import_pandas(module):
    result = _fresh(f"import {module}, sys\nprint('pandas' in sys.modules, 'numpy' in sys.modules)\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False", f"importing {module} loads pandas"
