"""Which files of a data folder are inputs: the fingerprint covers exactly the files the loaders
read, and a file that is not read is a named problem (regressions of the two bugs of the
earlier code: a ``.txt`` CSV read but not hashed, an ``.xls`` hashed but skipped). Legacy
workbooks (``.xls``, ``.xlsb``, ``.ods``) are read now; a WPS ``.et`` is named with its fix."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from small_data import CHAITANG, NONGLIN, OBS_HEAD, VILLAGES

from hemei_tools.inputs import store
from hemei_tools.inputs.dataset import load_dataset, read_dataset
from hemei_tools.inputs.fingerprint import hash_inputs
from hemei_tools.inputs.problems import DataValidationError

VILLAGE_ROWS = [["village_code", "village_type", "households"], [NONGLIN, "省级中心村", 100],
                [CHAITANG, "一般村", 50]]
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the first bytes of every old .xls workbook


def write_villages(path: Path) -> None:
    """The two-village table in the format the suffix names."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        path.write_text(VILLAGES, encoding="utf-8")
    elif suffix in (".xlsx", ".xlsm"):
        wb = openpyxl.Workbook()
        for row in VILLAGE_ROWS:
            wb.active.append(row)
        wb.save(path)
    else:
        pd.DataFrame(VILLAGE_ROWS[1:], columns=VILLAGE_ROWS[0]).to_parquet(path)


def add_non_inputs(folder: Path) -> None:
    """What else lives in data folders: notes, hidden and lock files, a run folder, a WPS .et."""
    (folder / "README.md").write_text("notes", encoding="utf-8")
    (folder / ".hidden.csv").write_text("x", encoding="utf-8")
    (folder / "~$villages.xlsx").write_bytes(b"lock")
    run = folder / "run"
    run.mkdir()
    (run / "manifest.json").write_text("{}", encoding="utf-8")
    (run / "index.html").write_text("<html></html>", encoding="utf-8")
    (run / "problems.csv").write_text("file,rule\n", encoding="utf-8")
    (folder / "旧台账.et").write_bytes(OLE_MAGIC + b"\0" * 504)


@pytest.mark.parametrize("suffix", [".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq", ".CSV"])
def test_the_fingerprint_covers_exactly_the_files_the_loader_reads(tmp_path, suffix):
    folder = tmp_path / "data"
    folder.mkdir()
    write_villages(folder / f"villages{suffix}")
    (folder / "metadata.json").write_text('{"synthetic": false}', encoding="utf-8")
    add_non_inputs(folder)
    ds, report = read_dataset(folder)
    read = {Path(f.path).name for f in ds.files} | {"metadata.json"}
    assert len(ds.villages) == 2
    assert set(hash_inputs(folder)) == read == {f"villages{suffix}", "metadata.json"}
    # the one file that is neither read nor a document is named
    assert report.to_frame()[["file", "rule"]].values.tolist() == [
        [str(folder / "旧台账.et"), "unsupported_format"]]


def test_the_parts_of_a_partitioned_table_are_hashed_and_read(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "villages.csv").write_text(VILLAGES, encoding="utf-8")
    part = folder / "observations" / "county_code=340705"
    part.mkdir(parents=True)
    for n, code in enumerate((NONGLIN, CHAITANG)):
        pd.DataFrame({"village_code": [code], "year": [2023], "indicator_id": ["toilet_rate"],
                      "value": [70.0]}).to_parquet(part / f"part-{n}.parquet")
    ds = load_dataset(folder)
    assert ds.observations["village_code"].tolist() == [NONGLIN, CHAITANG]
    assert sorted(hash_inputs(folder)) == ["observations/county_code=340705/part-0.parquet",
                                           "observations/county_code=340705/part-1.parquet", "villages.csv"]


def test_bug1_an_edited_txt_csv_is_never_served_stale(small_folder, store_dir):
    before = hash_inputs(small_folder)
    assert "observations.txt" in before
    assert len(store.load_dataset_cached(small_folder).observations) == 2
    (small_folder / "observations.txt").write_text(OBS_HEAD + f"{NONGLIN},2023,toilet_rate,81\n",
                                                   encoding="utf-8")
    # the batch stamps change ...
    assert hash_inputs(small_folder) != before
    # ... and a new kernel (an empty in-process memo) gets the new data from the store
    store._load.cache_clear()
    obs = store.load_dataset_cached(small_folder).observations
    assert obs[["village_code", "value"]].values.tolist() == [[NONGLIN, 81.0]]


@pytest.mark.parametrize(("name", "hint"), [
    ("villages.et", "这是 WPS 的 .et 文件，读不了：在 WPS 中“另存为” .xlsx"),
    ("book.numbers", "在 Numbers 中导出为 .xlsx"),
    ("data.json", "数据文件夹中的这个 .json 文件读不了：另存为 .xlsx 或 .csv，或移出数据文件夹")])
def test_bug2_an_unread_file_in_a_data_folder_is_a_named_problem(small_folder, name, hint):
    (small_folder / name).write_bytes(OLE_MAGIC + b"\0" * 504)
    ds, report = read_dataset(small_folder)
    assert len(ds.villages) == 2 and len(ds.observations) == 2  # the rest is still read
    p = report.to_frame()
    assert p[["file", "rule", "value"]].values.tolist() == [
        [str(small_folder / name), "unsupported_format", Path(name).suffix]]
    assert hint in p["hint"].iloc[0]
    with pytest.raises(DataValidationError, match="不支持的文件格式"):
        load_dataset(small_folder)


@pytest.mark.parametrize("name", ["申报村.xls", "villages.ods", "villages.xlsb"])
def test_a_legacy_workbook_in_a_data_folder_is_read_and_hashed(small_folder, name):
    # the old code named these unsupported; now they are read (this one is damaged: a named problem)
    (small_folder / name).write_bytes(OLE_MAGIC + b"\0" * 504)
    ds, report = read_dataset(small_folder)
    assert name in hash_inputs(small_folder)
    assert report.to_frame()[["file", "rule"]].values.tolist() == [[str(small_folder / name), "unreadable_file"]]


def test_validate_names_the_et_and_fails(small_folder):
    from hemei_tools.cli.validate import validate

    (small_folder / "申报村.et").write_bytes(OLE_MAGIC)
    result = CliRunner().invoke(validate, [str(small_folder)])
    assert result.exit_code == 1
    assert "申报村.et" in result.output and "不支持的文件格式" in result.output and "另存为” .xlsx" in result.output
    assert "不通过：1 个错误，涉及 1 个文件" in result.output
