"""Compare the executed report notebooks of two run folders: outputs only, provenance and timings aside.

Used to show that a refactor leaves every report's content unchanged::

    python benchmarks/compare_reports.py outputs/before outputs/after

For every executed notebook (``*.ipynb``) present in both folders, the outputs of the code cells
are compared in order: output type, every MIME bundle (text, Markdown, HTML tables, PNG bytes)
and stream text. Not compared: cell sources (imports move with the package), execution counts,
cell metadata (papermill timings) and notebook metadata. Memory addresses in plain-text
representations (``<... at 0x7f...>``) and the random ids pandas gives Styler tables
(``T_0be31``) are masked. Prints one line per report and exits 1 when
any report differs or is missing from one side.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
#: pandas Styler tables carry a random five-character id (``T_0be31``) in every run.
_STYLER_ID = re.compile(r"\bT_[0-9a-f]{5}")


def _outputs(path: Path) -> list[list[dict]]:
    """The outputs of each code cell of an executed notebook, normalised for comparison."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        outs = []
        for out in cell.get("outputs", []):
            item = {"type": out.get("output_type"), "name": out.get("name")}
            if "data" in out:
                item["data"] = {k: _STYLER_ID.sub("T_…", _ADDRESS.sub(" at 0x…", "".join(v) if isinstance(v, list) else json.dumps(v)))
                                for k, v in sorted(out["data"].items())}
            if "text" in out:
                item["text"] = "".join(out["text"])
            if "ename" in out:
                item["error"] = f"{out['ename']}: {out.get('evalue')}"
            outs.append(item)
        cells.append(outs)
    return cells


def compare(a: Path, b: Path) -> list[str]:
    """One line per difference between the notebooks ``a`` and ``b`` (empty when identical)."""
    left, right = _outputs(a), _outputs(b)
    if len(left) != len(right):
        return [f"{len(left)} code cells vs {len(right)}"]
    problems = []
    for i, (x, y) in enumerate(zip(left, right, strict=True)):
        if len(x) != len(y):
            problems.append(f"cell {i}: {len(x)} outputs vs {len(y)}")
            continue
        for j, (p, q) in enumerate(zip(x, y, strict=True)):
            for key in sorted(set(p) | set(q)):
                if p.get(key) != q.get(key):
                    detail = key
                    if key == "data":
                        detail = ", ".join(m for m in sorted(set(p["data"]) | set(q["data"]))
                                           if p["data"].get(m) != q["data"].get(m))
                    problems.append(f"cell {i} output {j}: {detail} differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    names = sorted({p.name for p in args.before.glob("*.ipynb")} | {p.name for p in args.after.glob("*.ipynb")})
    names = [n for n in names if not n.endswith((".failed.ipynb", ".running.ipynb"))]
    bad = 0
    for name in names:
        a, b = args.before / name, args.after / name
        if not (a.is_file() and b.is_file()):
            print(f"{name}: missing in {'before' if not a.is_file() else 'after'}")
            bad += 1
            continue
        problems = compare(a, b)
        n_out = sum(len(c) for c in _outputs(a))
        print(f"{name}: {'identical' if not problems else 'DIFFERENT'} ({n_out} outputs)")
        for line in problems[:10]:
            print(f"    {line}")
        bad += bool(problems)
    print(f"{len(names) - bad} of {len(names)} reports identical")
    return 1 if bad or not names else 0


if __name__ == "__main__":
    sys.exit(main())
