"""One report: parameter checks, provenance, the offline HTML page (hemei_tools.render.execute)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from hemei_tools import __version__
from hemei_tools.contract import SUMMARY_MIME, SYNTHETIC_BANNER
from hemei_tools.inputs.fingerprint import hash_inputs, sha256_file
from hemei_tools.paths import write_atomic, write_json_atomic
from hemei_tools.render.execute import ReportError, render_report
from hemei_tools.render.html import export_html
from hemei_tools.render.notebooks import (
    check_parameters,
    declared_parameters,
    extract_summary,
    notebook_path,
    report_stem,
)

COUNTY = "340722"  # 枞阳县, the demo county


@pytest.fixture(scope="module", autouse=True)
def _cache(isolated_cache):
    """Keep the validated-data cache of this module out of the user's home (conftest)."""


# ---------------------------------------------------------------- provenance helpers

def test_sha256_file_matches_the_published_test_vector(tmp_path):
    f = tmp_path / "abc.txt"
    f.write_bytes(b"abc")
    # FIPS 180-2 example: SHA-256("abc")
    assert sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_hash_inputs_covers_data_files_partitions_and_metadata_only(tmp_path):
    (tmp_path / "villages.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "metadata.json").write_text("{}", encoding="utf-8")
    part = tmp_path / "observations" / "county_code=340722"
    part.mkdir(parents=True)
    (part / "part.parquet").write_bytes(b"PAR1")
    (tmp_path / ".hidden.csv").write_text("x", encoding="utf-8")
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")  # .txt is a CSV to the loaders
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text("{}", encoding="utf-8")
    got = hash_inputs(tmp_path)
    assert list(got) == ["metadata.json", "observations/county_code=340722/part.parquet", "villages.csv"]
    assert got["villages.csv"] == hashlib.sha256(b"a\n1\n").hexdigest()


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "sub" / "page.html"
    write_atomic(target, "旧")
    write_atomic(target, "新内容")
    write_json_atomic(tmp_path / "m.json", {"县": "枞阳县"})
    assert target.read_text(encoding="utf-8") == "新内容"
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8")) == {"县": "枞阳县"}
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["m.json", "page.html"]


# ---------------------------------------------------------------- parameters and names

def test_declared_parameters_of_the_county_report():
    declared = declared_parameters(notebook_path("county_report"))
    assert list(declared) == ["county_code", "year", "data_dir"]
    assert declared["county_code"]["inferred_type_name"] == "str"
    assert declared["year"]["inferred_type_name"] == "int"
    assert declared["county_code"]["default"] == '"340722"'
    assert all(p["help"] for p in declared.values()), "every parameter needs a help comment"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"county": "340722"}, "unknown parameter"),  # a typo papermill would only warn about
        ({"county_code": "340722", "yaer": 2023}, "yaer"),
        ({"year": "2023"}, "should be int"),
        ({"county_code": 340722}, "should be str"),
        ({"year": True}, "should be int"),
    ],
)
def test_check_parameters_rejects_unknown_names_and_wrong_types(params, message):
    with pytest.raises(ReportError, match=message):
        check_parameters(notebook_path("county_report"), params)


def test_check_parameters_accepts_declared_names():
    declared = check_parameters(notebook_path("county_report"), {"county_code": "340705", "year": 2022})
    assert "data_dir" in declared


@pytest.mark.parametrize("code", ["../etc", "34072", "340722.html", "枞阳县", ""])
def test_output_names_come_from_six_digit_codes_only(code):
    with pytest.raises(ReportError, match="six-digit"):
        report_stem("county_report", {"county_code": code})


def test_output_name_of_county_and_city_reports():
    assert report_stem("county_report", {"county_code": "340722"}) == "340722"
    assert report_stem("region_overview", {"region_code": ""}) == "region_overview"
    assert report_stem("region_overview", {"region_code": "340000", "year": 2023}) == "340000"
    assert report_stem("region_overview", {"region_code": "340700"}) == "340700"
    for bad in ("3407", "340700.html", "安徽省"):
        with pytest.raises(ReportError, match="six-digit"):
            report_stem("region_overview", {"region_code": bad})


def test_unknown_report_kind_is_an_error():
    with pytest.raises(ReportError, match="unknown report"):
        notebook_path("county_summary")


# ---------------------------------------------------------------- page assembly

def test_the_toc_lists_h1_to_h3_of_markdown_cells_and_outputs_with_ascii_ids(demo_dir):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/markdown": "# 枞阳县报告\n正文", "text/plain": "<Markdown>"})]),
        nbformat.v4.new_markdown_cell("## 村庄结构 *概况*\n\n```\n# 代码里的井号\n```\n### 细目\n#### 不收录"),
    ]
    page = export_html(nb, {"title": "测试"}, {})
    toc = page.split('id="toc"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<li class="toc-h(\d)"><a href="#([^"]+)">([^<]+)</a></li>', toc) == [
        ("1", "sec-1", "枞阳县报告"), ("2", "sec-2", "村庄结构 概况"), ("3", "sec-3", "细目")]
    assert '<h1 id="sec-1">枞阳县报告</h1>' in page and "<p>正文</p>" in page
    assert '<h2 id="sec-2">村庄结构 <em>概况</em></h2>' in page
    assert "# 代码里的井号" in page and "不收录</h4>" in page
    assert "anchor-link" not in page  # nbconvert's empty heading anchors are left out


# 1×1 transparent PNG (67 bytes), base64
_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def test_export_writes_chinese_as_characters_and_gives_every_chart_alt_text(demo_dir):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## 项目台账\n\n正文 <b>&lt;5</b>"),
                nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
                    "display_data", data={"image/png": _PNG, "text/plain": "<Figure>"})])]
    from hemei_tools.render.provenance import collect_provenance

    prov = collect_provenance({"county_code": COUNTY}, {}, "t.ipynb", "0" * 64, "2026-01-01T00:00:00Z", 1.0, "")
    page = export_html(nb, {"title": "测试", "synthetic": True}, prov)
    assert re.search(r"<h2[^>]*>项目台账", page), "headings keep their characters, not &#...; references"
    assert "&#" not in re.sub(r"&#(6[02]|3[89]|34);", "", page)  # only ASCII specials stay escaped
    imgs = re.findall(r"<img[^>]*>", page)
    assert len(imgs) == 1 and 'alt="图表"' in imgs[0]
    assert "No description has been provided" not in page
    assert 'tabindex="0"' in page
    assert not re.search(r"<a\s[^<>]*/>", page), "an <a/> stays open in HTML and swallows the rest of the page"


def test_extract_summary_lifts_and_removes_the_summary_output():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show_headline(ctx)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": "# 标题"}),
        nbformat.v4.new_output("display_data", data={SUMMARY_MIME: {"county_code": "340722"}}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("## 说明"), cell]
    assert extract_summary(nb) == {"county_code": "340722"}
    assert [list(o["data"]) for o in nb.cells[1].outputs] == [["text/markdown"]]


def test_extract_summary_merges_every_summary_output_in_page_order():
    """The title cell publishes the summary, the 结论摘要 adds ``standing``: both reach the index."""
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell("show_title(ctx)")
    first.outputs = [nbformat.v4.new_output("display_data", data={SUMMARY_MIME: {"title": "甲", "level": "county"}})]
    second = nbformat.v4.new_code_cell("sec.section_summary(a)")
    second.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "- 句子"}),
                      nbformat.v4.new_output("display_data", data={SUMMARY_MIME: {"standing": {"score": 1.5},
                                                                                 "level": "city"}})]
    nb.cells = [first, second]
    assert extract_summary(nb) == {"title": "甲", "level": "city", "standing": {"score": 1.5}}
    assert [list(o["data"]) for o in second.outputs] == [["text/markdown"]]


# ---------------------------------------------------------------- one rendered report

@pytest.fixture(scope="module")
def rendered(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    params = {"county_code": COUNTY, "year": 2023, "data_dir": str(demo_dir)}
    result = render_report("county_report", params, out, log_file=out / "r.log")
    return result, out, params


@pytest.mark.slow
def test_report_writes_html_and_executed_notebook(rendered):
    result, out, _ = rendered
    assert result.status == "ok", result.error
    assert sorted(p.name for p in out.iterdir()) == [f"{COUNTY}.html", f"{COUNTY}.ipynb", f"{COUNTY}.xlsx", "r.log"]
    nb = nbformat.read(out / f"{COUNTY}.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["county_code"] == COUNTY
    assert result.summary["county_name"] == "枞阳县"
    assert result.summary["synthetic"] is True


@pytest.mark.slow
def test_report_html_is_offline_code_free_and_small(rendered):
    result, out, _ = rendered
    page = (out / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert os.path.getsize(out / f"{COUNTY}.html") < 1.5e6
    assert not re.search(r"""<(script|img|link|iframe)[^>]+(src|href)=["']?(https?:)?//""", page)
    assert "require.js" not in page and "mathjax" not in page.lower()
    assert "load_report_context" not in page, "code cells must be hidden"
    assert "In&nbsp;[" not in page, "prompts must be hidden"
    assert "data:image/png;base64," in page
    assert "<title>枞阳县和美乡村建设评估报告（2023年）</title>" in page
    assert 'lang="zh"' in page


@pytest.mark.slow
def test_report_html_has_banner_toc_and_provenance(rendered, demo_dir):
    result, out, params = rendered
    page = (out / f"{COUNTY}.html").read_text(encoding="utf-8")
    assert re.search(r'<div[^>]*id="synthetic-banner"[^>]*>' + re.escape(SYNTHETIC_BANNER), page)
    toc = re.search(r'<nav[^>]*id="toc"[^>]*>.*?</nav>', page, re.S)
    assert toc is not None
    targets = re.findall(r'href="#([^"]+)"', toc.group(0))
    assert len(targets) >= 3
    for ident in targets:
        assert f'id="{ident}"' in page
    for name, digest in hash_inputs(demo_dir).items():
        assert name in page and digest in page
    assert f"hemei-tools {__version__}" in page
    assert f"county_code={COUNTY}" in page
    # the data folder as the page names it: relative to the report's folder, no path of this machine
    data_dir = os.path.relpath(demo_dir.resolve(), out.resolve())
    assert result.provenance["parameters"] == {**params, "data_dir": Path(data_dir).as_posix()}
    assert str(demo_dir) not in page and str(out) not in page


@pytest.mark.slow
def test_failing_notebook_keeps_the_failed_notebook_and_no_html(demo_dir, tmp_path):
    params = {"county_code": COUNTY, "year": 1999, "data_dir": str(demo_dir)}
    (tmp_path / f"{COUNTY}.html").write_text("stale", encoding="utf-8")
    result = render_report("county_report", params, tmp_path)
    assert result.status == "failed"
    assert "no observations" in result.error and "1999" in result.error
    assert (tmp_path / f"{COUNTY}.failed.ipynb").is_file()
    assert not (tmp_path / f"{COUNTY}.html").exists(), "a stale page must not pass for current"
    assert not list(tmp_path.glob(".*running*"))


def test_unknown_parameter_stops_before_anything_runs(tmp_path):
    with pytest.raises(ReportError, match="unknown parameter"):
        render_report("county_report", {"county": COUNTY}, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_hemei_report_command_writes_the_page(demo_dir, tmp_path):
    from click.testing import CliRunner

    from hemei_tools.cli import main

    res = CliRunner().invoke(main, ["report", "--county", "340711", "--data", str(demo_dir),
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "340711.html").is_file() and (tmp_path / "logs" / "340711.log").is_file()
    assert "340711.html" in res.output


@pytest.mark.slow
def test_forked_kernels_are_fresh_processes_with_modules_preimported(tmp_path):
    from nbclient import NotebookClient

    from hemei_tools.render.kernels import KernelForkServer, start_kernel, stop_kernel

    server = KernelForkServer()
    try:
        seen = []
        for code in ("import os, sys; leftover = 1", "import os, sys"):
            km = start_kernel(tmp_path, fork_server=server)
            assert type(km.provisioner).__name__ == "ForkProvisioner"  # jupyter_client's public seam
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(
                code + "\nprint(os.getpid(), 'leftover' in globals(), 'pandas' in sys.modules,"
                       " 'pandas' in globals(), os.getcwd())")]
            try:
                NotebookClient(nb, km=km).execute()
            finally:
                stop_kernel(km)
            pid, leftover, in_modules, in_namespace, cwd = nb.cells[0].outputs[0]["text"].split()
            seen.append(pid)
            assert in_modules == "True" and in_namespace == "False"
            assert cwd == str(tmp_path)
        assert leftover == "False", "a name set in one report's kernel must not reach the next"
        assert seen[0] != seen[1]
    finally:
        server.close()
    assert server.process.poll() is not None


def test_validated_data_cache_keeps_the_newest_entries(tmp_path):
    from hemei_tools.inputs.store import _prune

    for i in range(6):
        f = tmp_path / f"{i}.pkl"
        f.write_bytes(b"x")
        os.utime(f, (1_000_000 + i, 1_000_000 + i))
    _prune(tmp_path, keep=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2.pkl", "3.pkl", "4.pkl", "5.pkl"]


@pytest.mark.slow
def test_kernel_client_is_ready_once_its_kernel_info_request_is_idle(tmp_path):
    """The batch's kernel client returns from wait_for_ready after the idle status of its own
    kernel_info request, so IOPub holds nothing of that request afterwards and the kernel runs code."""
    from queue import Empty

    from jupyter_core.utils import run_sync

    from hemei_tools.render.kernels import KernelForkServer, start_kernel, stop_kernel

    server = KernelForkServer()
    try:
        km = start_kernel(tmp_path, fork_server=server)
        kc = km.client()
        try:
            assert type(kc).__name__ == "ReadyKernelClient"
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=120)
            seen: list = []
            with pytest.raises(Empty):
                run_sync(kc.iopub_channel.get_msg)(timeout=0.3)
            reply = run_sync(kc.execute_interactive)("print(6 * 7)", timeout=60,
                                                      output_hook=lambda m: seen.append(m))
            assert reply["content"]["status"] == "ok"
            assert [m["content"]["text"] for m in seen if m["msg_type"] == "stream"] == ["42\n"]
        finally:
            kc.stop_channels()
            stop_kernel(km)
    finally:
        server.close()


def test_skipping_the_iri_grammar_keeps_notebook_validation_working():
    """skip_slow_imports keeps rfc3987_syntax (0.9 s of grammar compilation) out of papermill's
    import, and nbformat still rejects an invalid notebook."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hemei_tools.render.notebooks import skip_slow_imports\n"
        "skip_slow_imports()\n"
        "import papermill, nbformat\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nbformat.validate(nb)\n"
        "nb.cells.append({'cell_type': 'code'})\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid', sys.modules.get('rfc3987_syntax'))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "invalid None"


def test_kernels_do_not_inherit_the_plot_backend_or_dasks_malloc_trim(monkeypatch):
    """Dask workers set MALLOC_TRIM_THRESHOLD_=65536; report kernels must not inherit it (it made
    the county analysis 55 % slower), nor a non-inline matplotlib backend."""
    from hemei_tools.render.kernels import kernel_env

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    env = kernel_env()
    assert "MALLOC_TRIM_THRESHOLD_" not in env and "MPLBACKEND" not in env
    assert env["OMP_NUM_THREADS"] == "1"  # everything else passes through


def test_reports_run_in_this_interpreter_even_when_a_user_python3_spec_points_elsewhere(tmp_path, monkeypatch):
    """A ``python3`` spec in the user's Jupyter folder (``ipykernel install --user`` for another
    Python) is found before the environment's; report kernels must still be this interpreter."""
    import json
    import sys

    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.utils import run_sync

    from hemei_tools.render.kernels import start_kernel, stop_kernel

    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "other", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched before the environment
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == "/nonexistent/python"
    km = start_kernel(tmp_path, preimport=False)
    try:
        assert km.kernel_spec.argv[0] == sys.executable
        assert run_sync(km.is_alive)()
    finally:
        stop_kernel(km)
