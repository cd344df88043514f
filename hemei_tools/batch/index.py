"""The run folder's ``manifest.json`` and ``index.html``: one row per report of a batch.

Each row is the report's result (``ReportResult.to_dict()`` plus ``skipped``) with paths made
relative to the run folder, the log, and the region it reports on; the page shows the headline
figures each report published, its status and links.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

from hemei_tools import __version__
from hemei_tools.batch.plan import MANIFEST, BatchResult, Job, inputs_key
from hemei_tools.contract import label_text
from hemei_tools.paths import write_atomic, write_json_atomic
from hemei_tools.render.provenance import PortablePaths, beijing_time, now_utc
from hemei_tools.render.sanitize import apply_csp

INDEX = "index.html"
#: Names of the region levels in the index page.
LEVEL_NAMES = {"province": label_text("level.whole_province"), "city": label_text("level.city"),
               "county": label_text("level.county")}


def failed_result(job: Job, exc: BaseException) -> dict:
    """The result row of a job that returned nothing (its worker died, it was never run)."""
    return {"name": job.name, "stem": job.stem, "status": "failed", "html": None, "notebook": None,
            "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500], "summary": {},
            "provenance": {}, "seconds": 0.0}


def _relative(path: str | None, out_dir: Path) -> str | None:
    if not path:
        return None
    try:
        return Path(path).resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def report_rows(jobs: list[Job], done: dict[str, dict], regions: list[dict], out: Path) -> list[dict]:
    """One manifest row per job, in plan order: its result (``done[stem]``, or failed when
    missing), paths relative to ``out``, its log and the region it reports on."""
    by_code = {r["region_code"]: r for r in regions}
    rows = []
    for job in jobs:
        rep = done.get(job.stem) or failed_result(job, RuntimeError("no result returned"))
        region = by_code.get(job.parameters.get("county_code") or job.parameters.get("region_code") or "", {})
        county = region.get("level") == "county"
        rows.append({
            **rep, "html": _relative(rep.get("html"), out), "notebook": _relative(rep.get("notebook"), out),
            "workbook": _relative(rep.get("workbook"), out),
            "log": f"logs/{job.stem}.log" if (out / "logs" / f"{job.stem}.log").exists() else None,
            "level": region.get("level", ""), "region_code": region.get("region_code", ""),
            "region_name": region.get("region_name", ""),
            "county_code": region["region_code"] if county else "",
            "county_name": region["region_name"] if county else "",
        })
    return rows


def build_manifest(result: BatchResult, *, data: Path, year: int, scheduler: str, workers: int,
                   levels: tuple[str, ...], overview: bool, inputs: dict[str, str], regions: list[dict],
                   counties: list[dict], applicants: int | None) -> dict:
    """The run's manifest: how it was run, on which inputs and regions, and ``result.reports``.
    ``applicants`` is None when the village selection was not asked for. No path of this machine
    is written (:class:`~hemei_tools.render.provenance.PortablePaths`): ``data_dir`` is the
    data folder relative to the run folder, and so is any path in a row or an error."""
    return PortablePaths(data, result.out_dir).obj(copy.deepcopy({
        "tool": "hemei-tools", "version": __version__, "created": now_utc(),
        "data_dir": str(data), "year": int(year), "scheduler": scheduler, "workers": workers,
        "levels": list(levels), "overview": bool(overview),
        "inputs_key": inputs_key(inputs),
        "inputs": [{"file": k, "sha256": v} for k, v in inputs.items()],
        "regions": regions, "counties": counties,
        **({"applicants": applicants} if applicants is not None else {}),
        "synthetic": any(r.get("summary", {}).get("synthetic") for r in result.reports),
        "built": result.built, "skipped": result.skipped, "failed": result.failed,
        "interrupted": result.interrupted,
        "seconds": result.seconds, "reports": result.reports,
    }))


def _label_format(key: str, **values) -> str:
    return label_text(key).format(**values)


def figure_text(value) -> str:
    """A headline figure in the index: ``12,345``, ``1,234.5``; never raises.

    A missing or NaN value is ``—``, an infinite one ``∞`` / ``-∞``, one of 10¹⁵ or more
    ``1e+308``. The figures come from a report kernel through JSON, which turns non-finite
    floats into text (``"inf"``), so text that reads as a number is that number; other text is
    shown as it is (escaped by the template).
    """
    if value is None or isinstance(value, bool):
        return "—" if value is None else str(value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if abs(value) >= 1e15:
        return f"{value:.3g}"
    return f"{value:,}"


def render_index(manifest: dict) -> str:
    """The run's ``index.html``: one row per report with headline figures, status and links."""
    from importlib import resources

    import jinja2
    from markupsafe import Markup

    from hemei_tools.contract import SYNTHETIC_BANNER
    from hemei_tools.render.html import css_content

    text = (resources.files("hemei_tools.render") / "templates" / "batch_index.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["figure"] = figure_text
    labels: list[str] = []
    for rep in manifest["reports"]:
        for fig in rep.get("summary", {}).get("figures", []):
            if fig["label"] not in labels:
                labels.append(fig["label"])
    units = {}
    for rep in manifest["reports"]:
        for fig in rep.get("summary", {}).get("figures", []):
            units.setdefault(fig["label"], fig.get("unit", ""))
    env.filters["beijing"] = beijing_time
    page_number = Markup(css_content(label_text("render.page_number"), page="counter(page)", pages="counter(pages)"))
    page = env.from_string(text).render(m=manifest, labels=labels, units=units, banner=SYNTHETIC_BANNER,
                                        levels=LEVEL_NAMES, t=label_text, tf=_label_format,
                                        page_number=page_number)
    return apply_csp(page)


def write_outputs(result: BatchResult, manifest: dict) -> None:
    """Write ``manifest.json`` and ``index.html`` atomically into the run folder."""
    write_json_atomic(result.out_dir / MANIFEST, manifest)
    write_atomic(result.out_dir / INDEX, render_index(manifest))
