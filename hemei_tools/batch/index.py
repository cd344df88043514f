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


#: Headline figures (summary figure keys) kept as columns of the index, so that the table
#: still fits a 1440 px screen next to the standing columns.
INDEX_FIGURES = ("villages", "budget")
#: The index page's script (sort and filter), admitted by the page's CSP by its hash.
INDEX_SCRIPT = "batch_index.js"
_LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


def _finite(value) -> float | None:
    """``value`` as a finite float, else None (None, bool, NaN, ±inf, text that is no number)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value) -> int | None:
    number = _finite(value)
    return int(number) if number is not None and number == int(number) else None


def _sort_value(number: float | None) -> str:
    """A number for a ``data-*`` sort attribute (``""`` when missing: sorted last)."""
    return "" if number is None else repr(number)


def _ratio(part, whole) -> tuple[str, str]:
    """``"4/4"`` and the sort value ``"4"``; ``—`` and ``""`` unless both are whole numbers."""
    p, w = _whole(part), _whole(whole)
    return ("—", "") if p is None or w is None else (f"{p}/{w}", str(p))


def change_text(change) -> str:
    """A change in points with its sign, one decimal: ``+3.2``, ``-0.4``, ``0.0``; ``—`` when missing."""
    number = _finite(change)
    if number is None:
        return "—"
    text = f"{number:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def standing_cells(standing) -> dict:
    """The index cells of a report's ``summary["standing"]`` (see the session-5 contract):
    score (one decimal), rank ``rank/n_units``, province rank ``province_rank/province_n``,
    change (signed, one decimal) with its first year, red lights ``red_lights/n_tasks``, and
    each one's sort value. Anything missing or malformed (no standing: an old manifest, the
    village selection, a failed report) is ``—`` with sort value ``""``; never raises."""
    s = standing if isinstance(standing, dict) else {}
    score = _finite(s.get("score"))
    rank, rank_sort = _ratio(s.get("rank"), s.get("n_units"))
    prank, prank_sort = _ratio(s.get("province_rank"), s.get("province_n"))
    red, _ = _ratio(s.get("red_lights"), s.get("n_tasks"))
    change = _finite(s.get("change"))
    return {
        "score": "—" if score is None else f"{score:.1f}", "score_sort": _sort_value(score),
        "rank": rank, "rank_sort": rank_sort, "prank": prank, "prank_sort": prank_sort,
        "change": change_text(change), "change_sort": _sort_value(change),
        "first_year": _whole(s.get("first_year")) if change is not None else None,
        "red": red, "red_sort": _sort_value(_whole(s.get("red_lights")) if red != "—" else None),
        "parent_code": str(s.get("parent_code") or ""), "parent_name": str(s.get("parent_name") or ""),
    }


def _row_name(rep: dict) -> str:
    if rep.get("region_name"):
        return rep["region_name"]
    return label_text("index.selection") if _is_selection(rep) else str(rep.get("stem", ""))


def _is_selection(rep: dict) -> bool:
    return rep.get("name") == "village_selection"


def _row_figures(rep: dict) -> dict:
    """The headline figures of a row, by key: none for the village selection, whose figures
    (the villages and investment of the whole city it selects in) would read as the selection's
    own on its row (they are the regions' figures, in the regions' rows)."""
    if _is_selection(rep):
        return {}
    return {f.get("key"): f.get("value") for f in (rep.get("summary") or {}).get("figures") or []
            if isinstance(f, dict)}


def index_note(rows: list[dict], *, province_rank: bool, first_year: int | None, figures: list[dict]) -> str:
    """The note under the index table: one sentence per column shown, saying what it holds.

    和美指数, 同级排名 (a county among its city's counties; with a city row and the 全省排名
    column, that a city's rank is there), 全省排名 (only when shown: a county among the
    province's counties, a city among its cities), the change column as headed (``较2019年变化``
    when every row has the same first year, else ``较首年变化``), 红灯任务, why the village
    selection row has no headline figures (when it is shown with figure columns), and ``—``.
    """
    parts = [label_text("index.note.score"), label_text("index.note.rank")]
    if province_rank:
        if any(row["level"] == "city" for row in rows):
            parts.append(label_text("index.note.rank_city"))
        parts.append(label_text("index.note.province_rank"))
    parts.append(_label_format("index.note.change_since", year=first_year) if first_year
                 else label_text("index.note.change"))
    parts.append(label_text("index.note.red_lights"))
    if figures and any(_is_selection(row["rep"]) for row in rows):
        names = label_text("punct.list_sep").join(f["label"] for f in figures)
        parts.append(_label_format("index.note.selection", selection=label_text("index.selection"), figures=names))
    parts.append(label_text("index.note.missing"))
    return "".join(parts)


def index_groups(manifest: dict) -> list[dict]:
    """The index's rows grouped for the page, in page order.

    Groups: the province overview(s) first, then one group per city (by code: the city's own
    overview, then its counties in manifest order), then the rest (the village selection and
    any report without a city) in manifest order. A county's city is its standing's
    ``parent_code``, else its parent in ``manifest["regions"]``; the 上级 shown is the
    standing's ``parent_name``, else the parent's name in the regions, else ``—``.

    Each group is ``{"key", "kind" ("province" | "city" | "other"), "name", "href" (its
    overview page or None), "rows"}``; each row ``{"rep" (the manifest row), "name", "code",
    "level" (filter value: province, city, county or other), "level_text", "parent",
    "order" (position on the page), "search", "figures" (:func:`_row_figures`), **standing_cells}``.
    """
    regions = {r.get("region_code"): r for r in manifest.get("regions") or [] if isinstance(r, dict)}
    groups: dict[str, dict] = {}
    other = {"key": "other", "kind": "other", "name": label_text("index.group.other"), "href": None, "rows": []}
    for rep in manifest.get("reports") or []:
        cells = standing_cells((rep.get("summary") or {}).get("standing"))
        level, code = rep.get("level") or "", rep.get("region_code") or ""
        parent_code = cells["parent_code"] or (regions.get(code) or {}).get("parent_code") or ""
        parent = cells["parent_name"] or (regions.get(parent_code) or {}).get("region_name") or "—"
        row = {"rep": rep, "name": _row_name(rep), "code": code or "—", "figures": _row_figures(rep),
               "level": level if level in _LEVEL_ORDER else "other", "parent": parent, **cells,
               "level_text": LEVEL_NAMES.get(level, "—") + (label_text("index.overview_suffix")
                                                           if rep.get("name") == "region_overview" else "")}
        key = code if level in ("province", "city") else parent_code if level == "county" else ""
        if not key or rep.get("name") == "village_selection":
            other["rows"].append(row)
            continue
        if key not in groups:
            city = regions.get(key) or {}
            name = city.get("region_name") or (row["parent"] if level == "county" and row["parent"] != "—" else key)
            groups[key] = {"key": key, "kind": "province" if level == "province" else "city", "name": name,
                           "href": None, "rows": []}
        group = groups[key]
        if level in ("province", "city"):
            group["name"] = rep.get("region_name") or group["name"]
            group["href"] = group["href"] or rep.get("html")
            group["rows"].insert(sum(r["level"] != "county" for r in group["rows"]), row)
        else:
            group["rows"].append(row)
    ordered = sorted(groups.values(), key=lambda g: (g["kind"] != "province", g["key"]))
    ordered += [other] if other["rows"] else []
    position = 0
    for group in ordered:
        for row in group["rows"]:
            row["order"], position = position, position + 1
            words = (row["name"], row["code"], row["parent"], group["name"] if group["kind"] != "other" else "—")
            row["search"] = " ".join(dict.fromkeys(w for w in words if w != "—"))
    return ordered


def _figure_columns(manifest: dict) -> list[dict]:
    """The :data:`INDEX_FIGURES` some report published: ``{"key", "label", "unit"}``."""
    found: dict[str, dict] = {}
    for rep in manifest.get("reports") or []:
        for fig in (rep.get("summary") or {}).get("figures") or []:
            if fig.get("key") in INDEX_FIGURES and fig["key"] not in found:
                found[fig["key"]] = {"key": fig["key"], "label": fig.get("label", fig["key"]), "unit": fig.get("unit", "")}
    return [found[k] for k in INDEX_FIGURES if k in found]


def index_script() -> str:
    """The index page's sort and filter script (:data:`INDEX_SCRIPT`, static package text)."""
    from importlib import resources

    return (resources.files("hemei_tools.render") / "templates" / INDEX_SCRIPT).read_text(encoding="utf-8")


def render_index(manifest: dict) -> str:
    """The run's ``index.html``: one row per report, grouped by city (:func:`index_groups`),
    with score, ranks, change, red lights, the :data:`INDEX_FIGURES`, status and links; sorted
    and filtered by the page's one script (:func:`index_script`, admitted by the CSP by hash;
    it reads only the rows' ``data-*`` attributes). Without JavaScript all rows show in group
    order and the controls stay hidden."""
    from importlib import resources

    import jinja2
    from markupsafe import Markup

    from hemei_tools.contract import SYNTHETIC_BANNER
    from hemei_tools.render.html import css_content

    text = (resources.files("hemei_tools.render") / "templates" / "batch_index.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["figure"] = figure_text
    env.filters["sort_value"] = lambda v: _sort_value(_finite(v))
    env.filters["beijing"] = beijing_time
    groups = index_groups(manifest)
    rows = [row for group in groups for row in group["rows"]]
    first_years = {row["first_year"] for row in rows if row["first_year"] is not None}
    script = index_script()
    page_number = Markup(css_content(label_text("render.page_number"), page="counter(page)", pages="counter(pages)"))
    figures = _figure_columns(manifest)
    province_rank = any(row["prank"] != "—" for row in rows)
    first_year = first_years.pop() if len(first_years) == 1 else None
    page = env.from_string(text).render(
        m=manifest, groups=groups, figures=figures, banner=SYNTHETIC_BANNER,
        levels=LEVEL_NAMES, present_levels=[lv for lv in (*_LEVEL_ORDER, "other") if any(r["level"] == lv for r in rows)],
        province_rank=province_rank, first_year=first_year,
        note=index_note(rows, province_rank=province_rank, first_year=first_year, figures=figures),
        t=label_text, tf=_label_format, page_number=page_number, script=Markup(script))
    return apply_csp(page, scripts=(script,))


def write_outputs(result: BatchResult, manifest: dict) -> None:
    """Write ``manifest.json`` and ``index.html`` atomically into the run folder."""
    write_json_atomic(result.out_dir / MANIFEST, manifest)
    write_atomic(result.out_dir / INDEX, render_index(manifest))
