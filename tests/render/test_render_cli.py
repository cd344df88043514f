"""``hemei render`` (issue 14 point 10): the papermill user's route to the same offline page.

    papermill notebooks/county_report.ipynb out.ipynb -p county_code 340722
    hemei render out.ipynb

``jupyter nbconvert --to html`` on the same notebook loads require.js and MathJax from a CDN;
``hemei render`` writes the page ``hemei report`` writes: no script, no request, the banner, the
sections, the provenance from papermill's record, no folder of this machine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_notebooks import PAPERMILL, _env

from hemei_tools.cli import main
from hemei_tools.inputs.fingerprint import hash_inputs
from hemei_tools.render.notebooks import notebook_path

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "340722"


@pytest.fixture(scope="module")
def executed(demo_dir, tmp_path_factory):
    """county_report.ipynb run by the plain papermill CLI, as the README shows."""
    work = tmp_path_factory.mktemp("papermill")
    out = work / "out.ipynb"
    res = subprocess.run([*PAPERMILL, "--no-progress-bar", "--execution-timeout", "300",
                          str(notebook_path("county_report")), str(out), "-p", "county_code", COUNTY],
                         capture_output=True, text=True, timeout=600, cwd=work,
                         env=_env(demo_dir, work / "cache"))
    assert res.returncode == 0, res.stderr[-3000:]
    return out


@pytest.mark.slow
def test_hemei_render_writes_the_offline_report_page(executed, demo_dir, monkeypatch):
    monkeypatch.setenv("HEMEI_DATA_DIR", str(demo_dir))  # as the papermill run resolved data_dir=""
    res = CliRunner().invoke(main, ["render", str(executed)])
    assert res.exit_code == 0, res.output
    page_file = executed.with_suffix(".html")
    assert f"wrote {page_file}" in res.output
    page = page_file.read_text(encoding="utf-8")
    # offline: no script at all, nothing from http(s) in a src or href of script/link/img
    assert "<script" not in page
    assert not re.search(r"""<(script|link|img)\b[^>]*\b(src|href)=["']?(https?:)?//""", page)
    assert "require.js" not in page and "mathjax" not in page.lower()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # the report: title, banner, table of contents, sections, provenance, charts; no code
    assert "<title>枞阳县和美乡村建设评估报告（2023年）</title>" in page
    assert 'id="synthetic-banner"' in page and "示例数据（模拟）" in page
    toc = re.search(r'<nav[^>]*id="toc".*?</nav>', page, re.S).group(0)
    for section in ("主要数据", "指标差距与趋势", "方法与来源", "数据来源与运行记录"):
        assert section in toc, section
    assert page.count("data:image/png;base64,") >= 3
    assert "load_report_context" not in page
    prov = re.search(r'<section class="hemei-provenance".*?</section>', page, re.S).group(0)
    assert f"county_code={COUNTY}" in prov and "county_report.ipynb" in prov
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（北京时间）", prov)
    for name, digest in hash_inputs(demo_dir).items():
        assert name in prov and digest in prov
    for folder in (str(demo_dir), str(executed.parent), str(ROOT), str(Path.home())):
        assert not re.search(re.escape(folder) + r"(?![\w.-])", page), folder


@pytest.mark.slow
def test_hemei_render_out_and_pdf(executed, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is not installed")
    target = tmp_path / "枞阳县.html"
    res = CliRunner().invoke(main, ["render", str(executed), "--out", str(target), "--pdf"])
    assert res.exit_code == 0, res.output
    assert target.is_file() and f"wrote {target.with_suffix('.pdf')}" in res.output
    pages = pypdf.PdfReader(str(target.with_suffix(".pdf"))).pages
    assert len(pages) >= 5 and "第1页" in pages[0].extract_text()


def test_a_notebook_not_run_or_failed_is_a_one_line_error(tmp_path):
    res = CliRunner().invoke(main, ["render", str(notebook_path("county_report"))])
    assert res.exit_code == 1 and "还没有运行" in res.output and "papermill" in res.output
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output(
        "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])])]
    failed = tmp_path / "failed.ipynb"
    nbformat.write(nb, failed)
    res = CliRunner().invoke(main, ["render", str(failed)])
    assert res.exit_code == 1 and "运行失败的单元格" in res.output
    assert not failed.with_suffix(".html").exists()
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(broken)])
    assert res.exit_code == 1 and "不是可读的 notebook" in res.output
