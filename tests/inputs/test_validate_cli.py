"""``hemei validate``: exit codes, the problem table (Chinese first, ``--lang en``), --csv,
--strict, --sheet, read-only inputs, a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from test_loaders import write_xlsx

from hemei_tools.cli import main
from hemei_tools.inputs.problems import rule_title

NONGLIN = "340705100200"
GOOD = f"village_code,year,indicator_id,value\n{NONGLIN},2023,toilet_rate,80\n"
BAD = (f"说明：2023年数据\nvillage_code,year,indicator_id,value\n{NONGLIN},2023,toilet_rate,130\n"
       f"{NONGLIN},2022,toilet_rate,abc\n")


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_clean_data_set_exits_0(tmp_path):
    (tmp_path / "villages.csv").write_text(f"village_code,village_type\n{NONGLIN},一般村\n", encoding="utf-8")
    (tmp_path / "observations.csv").write_text(GOOD, encoding="utf-8")
    r = run(tmp_path)
    assert r.exit_code == 0, r.output
    assert r.output == "校验通过：2 个文件，1 个村、1 条指标数据、0 个项目、0 个申报村；没有发现问题。\n"
    r = run(tmp_path, "--lang", "en")
    assert r.output == "OK: 2 file(s), 1 villages, 1 observations, 0 projects, 0 applicants; no problems found.\n"


def test_a_data_set_without_villages_does_not_validate_ok(tmp_path):
    # the old code said "OK … 0 villages … no problems found" and the batch then failed
    (tmp_path / "observations.csv").write_text(GOOD, encoding="utf-8")
    r = run(tmp_path)
    assert r.exit_code == 0, r.output  # one ledger alone can be checked: a warning
    assert "缺少村庄名录（警告）" in r.output and "不能生成报告" in r.output
    assert "校验通过：1 个文件，0 个村、1 条指标数据、0 个项目、0 个申报村；1 个警告。" in r.output
    assert "没有发现问题" not in r.output
    r = run(tmp_path, "--strict")
    assert r.exit_code == 1 and "不通过：1 个警告，涉及 1 个文件" in r.output and "--strict" in r.output


def test_invalid_file_exits_1_and_names_every_problem(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text(BAD, encoding="utf-8")
    r = run(bad)
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert lines[0].split() == ["文件", "工作表", "行", "列", "值", "问题", "修改建议"]
    row3 = next(ln for ln in lines if " 超出有效范围 " in ln).split()
    row4 = next(ln for ln in lines if " 不是数字 " in ln).split()
    assert row3[:4] == [str(bad), "3", "value", "130"]
    assert row4[:4] == [str(bad), "4", "value", "abc"]
    assert "不通过：2 个错误、1 个警告，涉及 1 个文件" in r.output
    assert "Traceback" not in r.output
    r = run(bad, "--lang", "en")
    lines = r.output.splitlines()
    assert lines[0].split() == ["file", "sheet", "row", "column", "value", "problem", "how", "to", "fix"]
    assert next(ln for ln in lines if " out of range " in ln).split()[:4] == [str(bad), "3", "value", "130"]
    assert "toilet_rate (卫生厕所普及率) lies between 0 and 100 %" in r.output
    assert "Not valid: 2 error(s), 1 warning(s) in 1 file(s)" in r.output


def test_usage_errors_exit_2(tmp_path):
    assert run().exit_code == 2
    assert run(tmp_path / "missing.csv").exit_code == 2
    (tmp_path / "o.csv").write_text(GOOD)
    assert run(tmp_path / "o.csv", "--csv", tmp_path / "no_such_dir" / "p.csv").exit_code == 2


def test_csv_report_written_atomically(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text(BAD, encoding="utf-8")
    out = tmp_path / "out" / "problems.csv"
    out.parent.mkdir()
    r = run(bad, "--csv", out)
    assert r.exit_code == 1
    assert [p.name for p in out.parent.iterdir()] == ["problems.csv"]  # no temp file left
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(got.columns) == ["文件", "工作表", "行", "列", "值", "问题", "修改建议", "级别", "规则代码"]
    assert got[["行", "列", "值", "问题", "级别", "规则代码"]].values.tolist() == [
        ["", "", "", "缺少村庄名录", "警告", "no_villages_table"],
        ["3", "value", "130", "超出有效范围", "错误", "out_of_range"],
        ["4", "value", "abc", "不是数字", "错误", "not_a_number"]]
    run(bad, "--csv", out, "--lang", "en")
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(got.columns) == ["file", "sheet", "row", "column", "value", "problem", "how to fix",
                                 "level", "rule"]
    assert got["problem"].tolist() == ["no village list", "out of range", "not a number"]


def test_binary_and_empty_files_are_problems_not_tracebacks(tmp_path):
    (tmp_path / "villages.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "projects.csv").write_bytes(b"")
    r = run(tmp_path)
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)
    assert "文本编码无法识别" in r.output and "没有数据" in r.output and "Traceback" not in r.output


def test_input_files_unchanged(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text(BAD, encoding="utf-8")
    before = (bad.stat().st_mtime_ns, bad.read_bytes())
    run(bad, "--csv", tmp_path / "p.csv")
    assert (bad.stat().st_mtime_ns, bad.read_bytes()) == before


def test_real_process(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text(BAD, encoding="utf-8")
    hemei = Path(sys.executable).parent / "hemei"
    p = subprocess.run([str(hemei), "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert "超出有效范围" in p.stdout and "Traceback" not in p.stderr
    p = subprocess.run([str(hemei), "validate"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr


OBS = "village_code,year,indicator_id,value\n"
BROKEN = {
    "duplicate_key": ("obs.csv", OBS + f"{NONGLIN},2023,toilet_rate,1\n{NONGLIN},2023,toilet_rate,2\n"),
    "unknown_village_code": ("obs.csv", OBS + "340705100999,2023,toilet_rate,1\n"),
    "unknown_indicator": ("obs.csv", OBS + f"{NONGLIN},2023,toilets,1\n"),
    "out_of_range": ("obs.csv", OBS + f"{NONGLIN},2023,toilet_rate,130\n"),
    "not_binary": ("obs.csv", OBS + f"{NONGLIN},2023,paved_road,3\n"),
    "negative": ("projects.csv", f"project_id,village_code,task_id,budget_wan,status\nP1,{NONGLIN},T01,-1,在建\n"),
    "missing_column": ("obs.csv", f"village_code,year,value\n{NONGLIN},2023,1\n"),
    "not_a_number": ("obs.csv", OBS + f"{NONGLIN},2023,toilet_rate,八十\n"),
    "empty_file": ("obs.csv", ""),
    "not_text": ("obs.csv", b"\x00\x01\x02\xff" * 64),
    "missing_sheets": ("book.xlsx", {"Sheet1": [["a"], [1]], "Sheet2": [["b"]]}),
}


def test_each_broken_file_exits_1_naming_its_problem(tmp_path):
    for rule, (name, content) in BROKEN.items():
        path = tmp_path / rule / name
        path.parent.mkdir()
        if isinstance(content, dict):
            write_xlsx(path, content)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        r = run(path)
        assert r.exit_code == 1, (rule, r.output)
        assert f" {rule_title(rule)} " in r.output, (rule, r.output)
