"""The batch index is always written (issue 12, point 8): a headline of ``inf`` (which a kernel's
JSON carries as the text ``"inf"``), NaN, 1e308 or a failed report never stops it. Before,
``'{:,}'.format("inf")`` raised ``ValueError: Cannot specify ',' with 's'`` on every run and
``index.html`` was never written."""

from __future__ import annotations

import pytest

from hemei_tools.batch.index import (
    INDEX,
    build_manifest,
    failed_result,
    figure_text,
    render_index,
    write_outputs,
)
from hemei_tools.batch.plan import BatchResult


def _ok(stem: str, value) -> dict:
    return {"name": "county_report", "stem": stem, "status": "ok", "html": None, "notebook": None, "error": None,
            "summary": {"figures": [{"key": "budget", "label": "项目投资", "value": value, "unit": "万元"},
                                    {"key": "villages", "label": "行政村", "value": 12, "unit": "个"}]},
            "provenance": {}, "seconds": 1.0, "skipped": False, "log": None, "level": "county",
            "region_code": stem, "region_name": f"县{stem}", "county_code": stem, "county_name": f"县{stem}"}


@pytest.mark.parametrize(("value", "text"), [
    (float("inf"), "∞"), ("inf", "∞"), ("-Infinity", "-∞"), (float("nan"), "—"), ("NaN", "—"),
    (1e308, "1e+308"), (None, "—"), (12345, "12,345"), (1234.5, "1,234.5"), ("未知", "未知"),
])
def test_figure_text(value, text):
    assert figure_text(value) == text


def test_index_with_an_inf_figure_and_a_failed_report_is_written(tmp_path):
    result = BatchResult(out_dir=tmp_path)
    failed = {**failed_result(_job("340722"), RuntimeError("boom")),
              "skipped": False, "log": None, "level": "county", "region_code": "340722",
              "region_name": "枞阳县", "county_code": "340722", "county_name": "枞阳县"}
    result.reports = [_ok("340705", "inf"), _ok("340706", float("nan")), _ok("340711", 1e308), failed]
    result.built, result.failed = 4, 1
    manifest = build_manifest(result, data=tmp_path, year=2023, scheduler="inline", workers=1, levels=("county",),
                              overview=False, inputs={}, regions=[], counties=[], applicants=None)
    page = render_index(manifest)
    assert "∞" in page and "1e+308" in page and "boom" in page
    write_outputs(result, manifest)
    written = (tmp_path / INDEX).read_text(encoding="utf-8")
    assert 'id="row-340705"' in written and 'id="row-340722"' in written and "∞" in written


def _job(code: str):
    """A job row for :func:`failed_result` (only its name and stem are read)."""
    class _J:
        name, stem = "county_report", code
    return _J()
