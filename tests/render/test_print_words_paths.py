"""Issue 14 points 5, 7 (no browser): 北京时间, paths of the building machine rewritten out of
every output, the print stylesheet's inputs (wide and source tables, CSS strings and page
numbers), the page title from the first h1, the provenance in Chinese, and the index wording."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from hemei_tools.batch.index import render_index
from hemei_tools.render.html import (
    WIDE_COLUMNS,
    WIDE_ROWS,
    css_content,
    css_string,
    export_html,
    page_title,
    table_marks,
)
from hemei_tools.render.provenance import PortablePaths, beijing_time, collect_provenance

ROOT = Path(__file__).resolve().parents[2]
#: English words the old pages mixed into Chinese ("正常 ok", "报告 HTML · notebook · 日志 log").
ENGLISH = re.compile(r"\b(ok|failed|notebook|log|HTML|UTC|package|parameters|run time|Provenance)\b")


# ---------------------------------------------------------------- 北京时间

@pytest.mark.parametrize(("stamp", "shown"), [
    ("2026-12-06T04:10:40Z", "2026年12月6日 12:10（北京时间）"),
    ("2026-12-06T16:05:00Z", "2026年12月7日 00:05（北京时间）"),   # the date moves on at 16:00 UTC
    ("2026-12-31T23:59:59+00:00", "2027年1月1日 07:59（北京时间）"),
    ("2026-06-01T08:00:00+08:00", "2026年6月1日 08:00（北京时间）"),  # an offset is honoured
    ("2026-06-01T00:00:00.123456", "2026年6月1日 08:00（北京时间）"),  # papermill's naive UTC
    ("", "—"), (None, "—"), ("not a time", "not a time"),
])
def test_beijing_time_is_utc_plus_eight_in_chinese(stamp, shown):
    assert beijing_time(stamp) == shown


# ---------------------------------------------------------------- portable paths

def test_portable_paths_rewrite_each_folder_most_specific_first(tmp_path):
    data, out = tmp_path / "data" / "demo", tmp_path / "outputs" / "demo"
    data.mkdir(parents=True)
    out.mkdir(parents=True)
    p = PortablePaths(data, out)
    assert p.data_label == "../../data/demo"
    text = (f"read {data}/villages.csv, wrote {out}/340722.html and {out}; "
            f"code {ROOT}/hemei_tools/x.py, home {Path.home()}/.cache; not {data}2/x nor {data}.bak")
    assert p.text(text) == (
        "read ../../data/demo/villages.csv, wrote ./340722.html and .; code hemei-tools/hemei_tools/x.py, "
        f"home ~/.cache; not {data}2/x nor {data}.bak")
    record = {"data_dir": str(data), "files": [f"{out}/a.log", 3], "nested": {"k": str(ROOT)}}
    assert p.obj(record) == {"data_dir": "../../data/demo", "files": ["./a.log", 3], "nested": {"k": "hemei-tools"}}


def test_a_data_folder_sharing_only_the_root_is_named_not_climbed_to(tmp_path):
    p = PortablePaths("/srv/hemei-data", tmp_path / "out")
    assert p.data_label == "hemei-data"
    assert "/srv/hemei-data" not in p.text("data_dir=/srv/hemei-data")


def test_portable_file_rewrites_a_log_in_place(tmp_path):
    log = tmp_path / "r.log"
    log.write_text(f"Input Notebook: {ROOT}/notebooks/county_report.ipynb\nWorking: {tmp_path}\n", encoding="utf-8")
    PortablePaths(None, tmp_path).file(log)
    assert log.read_text(encoding="utf-8") == ("Input Notebook: hemei-tools/notebooks/county_report.ipynb\n"
                                               "Working: .\n")
    PortablePaths(None, tmp_path).file(tmp_path / "missing.log")  # nothing to rewrite, no error


# ---------------------------------------------------------------- the print stylesheet's inputs

def _table(n_columns: int, header: str = "指标", link: bool = False, n_rows: int = 6) -> str:
    heads = "".join(f"<th>{header if i == n_columns - 1 else f'列{i}'}</th>" for i in range(n_columns))
    cell = '<a href="https://example.org/x">来源标题</a>' if link else "值"
    cells = "".join(f"<td>{cell}</td>" for _ in range(n_columns))
    body = f"<tr>{cells}</tr>" * n_rows
    return f'<table class="hemei-table"><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>'


def test_tables_of_many_columns_and_rows_go_landscape_and_the_source_table_prints_its_links():
    assert (WIDE_COLUMNS, WIDE_ROWS) == (10, 6)
    assert table_marks(_table(9)) == {}
    assert table_marks(_table(10)) == {"wide": True}
    assert table_marks(_table(10, n_rows=5)) == {}  # a few rows wrap on the portrait page
    assert table_marks(_table(3, header="来源", link=True)) == {"sources": True}
    assert table_marks(_table(3, header="来源")) == {}            # a 来源 column without links
    assert table_marks(_table(3, header="说明", link=True)) == {}  # links, but not a source table
    assert table_marks("<p>no table</p>") == {}


def test_css_strings_cannot_leave_the_style_element():
    assert css_string("枞阳县") == '"枞阳县"'
    assert css_string('a"b\\c</style><script>') == '"a\\22 b\\5c c\\3c /style\\3e \\3c script\\3e "'
    assert css_content("第{page}页，共{pages}页", page="counter(page)", pages="counter(pages)") == (
        '"第" counter(page) "页，共" counter(pages) "页"')
    assert css_content("{page}", page="counter(page)") == "counter(page)"


def test_page_title_is_the_first_h1_in_cells_or_outputs():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("```\n# not a heading\n```\n## 二级"),
                nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/markdown": "# **枞阳县**和美乡村建设评估报告（2023年）"})]),
                nbformat.v4.new_markdown_cell("# 后来的标题")]
    assert page_title(nb) == "枞阳县和美乡村建设评估报告（2023年）"
    assert page_title(nbformat.v4.new_notebook()) is None


# ---------------------------------------------------------------- the page and the index in Chinese

def _page(summary: dict, prov: dict) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 和美乡村精品示范村遴选分析\n\n## 来源"),
                nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": _table(11, header="来源", link=True)})])]
    return export_html(nb, summary, prov)


def test_report_page_title_provenance_and_print_rules_are_chinese():
    prov = collect_provenance({"year": 2023, "data_dir": "../data", "n_runs": 10}, {"villages.csv": "ab" * 32},
                              "village_selection.ipynb", "0" * 64, "2026-12-06T08:05:40Z", 3.2, None)
    page = _page({"title": "铜陵市和美乡村建设概览（2023年）", "synthetic": True}, prov)
    # the page's own h1, not the city overview's title the summary carries
    assert "<title>和美乡村精品示范村遴选分析</title>" in page
    prov_block = re.search(r'<section class="hemei-provenance".*?</section>', page, re.S).group(0)
    text = re.sub(r"<code>.*?</code>|<[^>]+>", " ", prov_block)
    assert "2026年12月6日 16:05（北京时间）" in text and "3.2 秒" in text
    assert "年份" in text and "数据文件夹（相对报告所在文件夹）" in text and "蒙特卡洛模拟次数" in text
    assert "data_dir=../data" in prov_block and "year=2023" in prov_block  # reproducible with papermill -p
    assert not ENGLISH.search(text), ENGLISH.search(text)
    assert '<details id="input-files">' in prov_block and "1 个文件" in prov_block
    # print: A4, landscape pages for wide tables, page numbers, the synthetic mark in the margin
    assert "size: A4;" in page and "@page wide { size: A4 landscape; }" in page
    assert 'content: "第" counter(page) "页，共" counter(pages) "页"' in page
    assert 'content: "示例数据（模拟）"' in page and 'content: "和美乡村精品示范村遴选分析"' in page
    assert "thead { display: table-header-group; }" in page
    assert 'class="jp-OutputArea-child hemei-wide hemei-sources"' in page
    assert '.hemei-sources a[href]::after { content: " " attr(href)' in page
    real = _page({"synthetic": False}, prov)
    assert 'content: ""; font-size: 8pt; color: #7a4b00' in real  # no synthetic mark on real data


def test_index_is_chinese_in_beijing_time_with_pdf_links():
    manifest = {"year": 2023, "synthetic": False, "created": "2026-12-06T04:10:40Z", "version": "0.1.0",
                "seconds": 12.5, "data_dir": "../../data/demo", "built": 2, "skipped": 0, "failed": 1,
                "interrupted": 0, "combined_pdf": "reports.pdf",
                "inputs": [{"file": "villages.csv", "sha256": "ab" * 32}],
                "reports": [
                    {"stem": "340722", "name": "county_report", "status": "ok", "html": "340722.html",
                     "pdf": "340722.pdf", "notebook": "340722.ipynb", "log": "logs/340722.log",
                     "level": "county", "region_code": "340722", "region_name": "枞阳县", "summary": {}},
                    {"stem": "village_selection", "name": "village_selection", "status": "ok",
                     "html": "village_selection.html", "notebook": "village_selection.ipynb", "log": None,
                     "level": "", "region_code": "", "region_name": "", "summary": {}},
                    {"stem": "340711", "name": "county_report", "status": "failed", "html": None,
                     "notebook": "340711.failed.ipynb", "log": "logs/340711.log", "error": "ValueError: x",
                     "previous": {"html": "340711.html", "notebook": None, "built": "2026-12-05T20:00:00Z",
                                  "out_of_date": True},
                     "level": "county", "region_code": "340711", "region_name": "郊区", "summary": {}},
                ]}
    page = render_index(manifest)
    visible = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    assert "2026年12月6日 12:10（北京时间）" in visible and "数据文件夹 ../../data/demo" in visible
    assert "生成于 2026年12月6日 04:00（北京时间）" in visible
    assert not re.search(r"\b(ok|failed|notebook|log|HTML|UTC)\b", visible), visible
    row = re.search(r'<tr class="ok" id="row-340722".*?</tr>', page, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', row) == [
        ("340722.html", "报告"), ("340722.pdf", "PDF"), ("340722.ipynb", "计算笔记本"), ("logs/340722.log", "运行日志")]
    assert ">精品示范村遴选<" in page and '<td class="text name">枞阳县</td>' in page
    failed = re.search(r'<tr class="failed" id="row-340711".*?</tr>', page, re.S).group(0)
    assert "失败" in failed and "（已过期，未反映最新数据或代码）" in failed and "失败的计算笔记本" in failed
    assert '<a href="reports.pdf">' in page
    assert "size: A4 landscape" in page and 'counter(page) "页，共" counter(pages)' in page
    assert '<div class="table-scroll" tabindex="0">' in page and '<details id="input-files">' in page


def test_templates_hold_no_chinese_of_their_own():
    """Every word of the two page templates comes from labels.csv (through t / tf)."""
    cjk = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
    folder = ROOT / "hemei_tools" / "render" / "templates"
    for template in [folder / "batch_index.html.j2", folder / "hemei" / "index.html.j2"]:
        body = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)  # comments aside
        assert not cjk.search(body), (template.name, cjk.findall(body)[:10])


def test_manifest_names_no_folder_of_the_machine(tmp_path):
    from hemei_tools.batch.index import build_manifest
    from hemei_tools.batch.plan import BatchResult

    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    result = BatchResult(out_dir=out)
    result.reports = [{"stem": "340722", "status": "failed", "html": None,
                       "error": f"OSError: cannot read {data}/villages.csv", "provenance": {}}]
    m = build_manifest(result, data=data, year=2023, scheduler="inline", workers=1, levels=("county",),
                       overview=False, inputs={"villages.csv": "0" * 64}, regions=[], counties=[], applicants=None)
    text = json.dumps(m, ensure_ascii=False)
    assert m["data_dir"] == "../data" and "cannot read ../data/villages.csv" in text
    for folder in (data, out, tmp_path, ROOT, Path.home()):
        assert str(folder) + os.sep not in text and f'"{folder}"' not in text
