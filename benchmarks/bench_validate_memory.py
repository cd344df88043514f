"""Peak memory and time of ``hemei validate`` on a 2.3-million-row CSV (issue 12, point 6).

Cases (each generated in a temporary folder, never in the repository):

``dup``
    The demo data (``data/demo``, 铜陵) with ``observations.csv`` repeated 38 times: 2,344,980
    rows, 99 MB, every row after the first copy a repeated key (``duplicate_key``). The worst
    case of the QA report (1.3b): 2,344,980 problems to count, list and export.
``anhui``
    ``hemei demo --scale anhui --format csv``: 13,583 villages, 2,309,110 valid observations
    (98 MB). Generating it takes about a minute and is not timed.
``bomb``
    A workbook like the QA report's zip bomb (1.19): one sheet 指标数据 of a header and
    999,999 rows of 12 numeric cells (12 million cells, 191 MB of XML deflated to 0.74 MB),
    whose ``<dimension>`` tag says so. Before the limits it took 9.8 GB and 235 s, then a traceback.

Each case runs ``hemei validate DIR --csv problems.csv`` in a fresh subprocess; the terminal
output goes to a file. Peak memory is the child's ``ru_maxrss``
(``resource.getrusage(RUSAGE_CHILDREN)`` read by an intermediate process that runs only that
one command), so every case is measured alone.

Run::

    .venv/bin/python benchmarks/bench_validate_memory.py                 # dup
    .venv/bin/python benchmarks/bench_validate_memory.py --case anhui
    .venv/bin/python benchmarks/bench_validate_memory.py --case dup --copies 38 --keep dup-data

Target: peak RSS under 2 GB for both cases.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
TARGET_BYTES = 2 * 1024**3


def make_dup(folder: Path, copies: int) -> Path:
    """The demo data with ``observations.csv`` body repeated ``copies`` times."""
    if not (DEMO / "observations.csv").is_file():
        subprocess.run([sys.executable, "-c", "from hemei_tools.cli import main; main()", "demo", "--out", str(DEMO)],
                       check=True)
    data = folder / "big_dup"
    shutil.copytree(DEMO, data)
    lines = (DEMO / "observations.csv").read_bytes().splitlines(keepends=True)
    body = b"".join(lines[1:])
    with open(data / "observations.csv", "wb") as fh:
        fh.write(lines[0])
        for _ in range(copies):
            fh.write(body)
    return data


_BOMB_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="指标数据" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def make_bomb(folder: Path, rows: int = 1_000_000, cols: int = 12) -> Path:
    """An .xlsx of ``rows`` × ``cols`` numeric cells, deflated (module docstring, case bomb)."""
    import zipfile

    data = folder / "bomb"
    data.mkdir()
    last = chr(64 + cols)
    with zipfile.ZipFile(data / "observations.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in _BOMB_PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main"><dimension ref="A1:' + f"{last}{rows}".encode()
                     + b'"/><sheetData>')
            names = ["village_code", "year", "indicator_id", "value"] + [f"x{j}" for j in range(cols - 4)]
            fh.write(("<row>" + "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in names)
                      + "</row>").encode())  # a header, so a reader goes on past the header search
            row = ("<row>" + "<c><v>1</v></c>" * cols + "</row>").encode()  # positions implied: no r=""
            for _ in range((rows - 1) // 10_000):
                fh.write(row * 10_000)
            fh.write(row * ((rows - 1) % 10_000) + b"</sheetData></worksheet>")
    return data


def make_anhui(folder: Path) -> Path:
    """The synthetic Anhui demo as CSV (13,583 villages, 2.3 million observations)."""
    data = folder / "anhui_csv"
    subprocess.run([sys.executable, "-c", "from hemei_tools.cli import main; main()", "demo", "--scale", "anhui",
                    "--format", "csv", "--out", str(data)], check=True, stdout=subprocess.DEVNULL)
    return data


def measure(cmd: list[str], stdout: Path) -> dict:
    """Run ``cmd`` in an intermediate process that reports its only child's peak RSS and time."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "with open(sys.argv[1], 'wb') as out:\n"
        "    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode\n"
        "wall = time.perf_counter() - t\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': rc, 'wall_s': wall, 'cpu_s': ru.ru_utime + ru.ru_stime,\n"
        "                  'max_rss_bytes': ru.ru_maxrss * 1024}))\n"
    )
    res = subprocess.run([sys.executable, "-c", probe, str(stdout), *cmd], capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout)


def count_lines(path: Path) -> int:
    """Lines of a file (counted in 1 MiB blocks)."""
    with open(path, "rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=("dup", "anhui", "bomb"), default="dup")
    ap.add_argument("--copies", type=int, default=38, help="copies of the demo observations (dup case)")
    ap.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    ap.add_argument("--no-csv", action="store_true", help="do not pass --csv to hemei validate")
    args = ap.parse_args()
    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="hemei-bench-validate-")
        folder = Path(tmp.name)
    else:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        data = {"dup": lambda: make_dup(folder, args.copies), "anhui": lambda: make_anhui(folder),
                "bomb": lambda: make_bomb(folder)}[args.case]()
        gen = time.perf_counter() - t
        obs = next(data.glob("observations.*"))
        rows = count_lines(obs) - 1 if obs.suffix == ".csv" else 1_000_000
        csv_out = folder / "problems.csv"
        cmd = [sys.executable, "-c", "from hemei_tools.cli import main; main()", "validate", str(data)]
        if not args.no_csv:
            cmd += ["--csv", str(csv_out)]
        stdout = folder / "validate_stdout.txt"
        r = measure(cmd, stdout)
        csv_rows = count_lines(csv_out) - 1 if csv_out.is_file() else None
        print(f"case {args.case}: {obs.name} {obs.stat().st_size / 1e6:.1f} MB, {rows:,} rows "
              f"(generated in {gen:.1f} s)")
        print(f"hemei validate: exit {r['rc']}, wall {r['wall_s']:.1f} s, cpu {r['cpu_s']:.1f} s, "
              f"peak RSS {r['max_rss_bytes'] / 1024**3:.2f} GiB "
              f"({'under' if r['max_rss_bytes'] < TARGET_BYTES else 'OVER'} the 2 GB target)")
        print(f"terminal output: {stdout.stat().st_size / 1e6:.2f} MB, "
              f"{count_lines(stdout):,} lines")
        if csv_rows is not None:
            print(f"--csv: {csv_out.stat().st_size / 1e6:.1f} MB, {csv_rows:,} problem rows")
        with open(stdout, "rb") as fh:
            fh.seek(max(0, stdout.stat().st_size - 600))
            tail = fh.read().decode("utf-8", "replace")
        print("last lines of the output:\n" + tail)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
