"""Build hook (setuptools stays the backend; everything else is in pyproject.toml).

The template notebooks have one source of truth, the top-level ``notebooks/`` folder that
researchers open in JupyterLab. A wheel ships them as ``hemei_tools/notebooks/*.ipynb``, where
:func:`hemei_tools.render.notebooks.notebook_path` looks first; an editable install finds them in
the checkout instead, so nothing is copied into the source tree.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithNotebooks(build_py):
    """``build_py`` that also copies ``notebooks/*.ipynb`` into ``hemei_tools/notebooks/``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        notebooks = sorted((HERE / "notebooks").glob("*.ipynb"))
        if not notebooks:
            raise SystemExit("notebooks/*.ipynb not found: the wheel needs the template notebooks")
        target = Path(self.build_lib) / "hemei_tools" / "notebooks"
        self.mkpath(str(target))
        for notebook in notebooks:
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": BuildPyWithNotebooks})
