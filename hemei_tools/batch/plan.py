"""Planning a report batch: which reports, with which parameters, and which are already current.

The report levels (:data:`LEVEL_NOTEBOOKS`), the regions and applicant count of the data
(facts computed once per input), the county list of ``--counties``, one :class:`Job` per
report with its stamp key, and the report each fork server rehearses
(:func:`choose_rehearsal`). A job's stamp key is ``sha256(json([notebook sha256,
parameters, input file hashes, package version, code hash]))``, where the code hash
(:func:`code_hash`, computed once per process) covers every file of the installed package:
its modules, the catalogue tables, the division list and the templates. A report is rebuilt
only when one of those changed (or with ``force``), so an edited module or catalogue table
rebuilds the reports even without a version bump.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from hemei_tools import __version__
from hemei_tools.contract import label_text
from hemei_tools.errors import BatchError
from hemei_tools.inputs.fingerprint import hash_folder, package_hash, sha256_file, sha256_text

__all__ = [
    "BatchError", "BatchResult", "Job", "LEVEL_NOTEBOOKS", "available_regions", "choose_rehearsal",
    "code_hash", "count_applicants", "counties_of", "folder_stems", "job_navigation", "parse_counties", "parse_levels",
    "plan_jobs", "plan_regions", "stamp_key",
]

MANIFEST = "manifest.json"
#: Report levels of ``--level`` -> the template notebook that reports one region of that level.
LEVEL_NOTEBOOKS = {"county": "county_report", "city": "region_overview"}
OVERVIEW = "region_overview"
SELECTION = "village_selection"
#: Set ``HEMEI_REHEARSE=0`` to skip the fork servers' rehearsal report (:func:`choose_rehearsal`).
REHEARSE_ENV = "HEMEI_REHEARSE"
#: County reports each worker must have for its fork server to rehearse one first.
REHEARSE_MIN_JOBS = 5
_CODE_RE = re.compile(r"^\d{6}$")



@dataclass
class Job:
    """One report to build: report kind, output stem, parameters and the stamp key."""

    name: str
    stem: str
    parameters: dict
    key: str = ""
    #: The page's links to its region and neighbours (:func:`job_navigation`); None outside a
    #: batch planned with the regions of the data.
    nav: dict | None = None


@dataclass
class BatchResult:
    """Outcome of a batch: the manifest written to ``manifest.json`` and where it is.

    Attributes
    ----------
    out_dir
        The run folder.
    reports
        One dict per report (``ReportResult.to_dict()`` plus ``skipped``), paths relative to
        ``out_dir``.
    built, skipped, failed
        Counts of rebuilt, unchanged and failed reports.
    interrupted
        Reports not built because the batch stopped early (Ctrl-C, or the run folder could not
        be written): status ``interrupted``.
    seconds
        Wall time of the whole batch (s).
    stopped
        Why the batch stopped early: ``"interrupt"`` (Ctrl-C), ``"output"`` (the run folder
        could not be written), or ``""``.
    """

    out_dir: Path
    reports: list[dict] = field(default_factory=list)
    built: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: int = 0
    seconds: float = 0.0
    stopped: str = ""

    @property
    def ok(self) -> bool:
        """True when every report is built or current (none failed or interrupted)."""
        return self.failed == 0 and self.interrupted == 0


# ---------------------------------------------------------------- data facts and planning

def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def inputs_key(inputs: dict[str, str]) -> str:
    return sha256_text(json.dumps(inputs, sort_keys=True))


def _data_fact(name: str, data_dir: Path, inputs: dict[str, str], out_dir: Path, compute: Callable[[], object]):
    """A fact about the input data (``regions``, ``applicants``), computed once per input.

    Taken from the run folder's previous manifest when the input hashes are unchanged (so a
    no-op re-run does not even import pandas), else from the store
    (:func:`hemei_tools.inputs.store.remember_fact`: a new run folder over the same data), else
    computed by ``compute`` and stored.
    """
    key = inputs_key(inputs)
    previous = read_json(out_dir / MANIFEST)
    if previous.get("inputs_key") == key and previous.get(name) is not None:
        return previous[name]
    from hemei_tools.inputs.store import remember_fact  # pandas: only on a new run folder

    return remember_fact(name, inputs, compute)


def available_regions(data_dir: Path, inputs: dict[str, str], out_dir: Path) -> list[dict]:
    """Regions in the data as ``[{"level", "region_code", "region_name", "parent_code"}]``
    (:func:`hemei_tools.inputs.regions.list_regions`: the province when the data span several
    cities, cities, counties; six-digit codes); computed once per input (:func:`_data_fact`).
    """
    def compute() -> list[dict]:
        from hemei_tools.inputs.regions import list_regions

        return [{"level": str(r.level), "region_code": str(r.region_code), "region_name": str(r.region_name),
                 "parent_code": str(r.parent_code)} for r in list_regions(data_dir).itertuples(index=False)]

    return _data_fact("regions", data_dir, inputs, out_dir, compute)


def counties_of(regions: list[dict]) -> list[dict]:
    """The counties of :func:`available_regions` as ``[{"county_code", "county_name"}]``."""
    return [{"county_code": r["region_code"], "county_name": r["region_name"]}
            for r in regions if r["level"] == "county"]


def parse_levels(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Report levels to build: ``county``, ``city`` or both (``"city,county"``), as a tuple in
    :data:`LEVEL_NOTEBOOKS` order.

    Raises
    ------
    BatchError
        For an unknown level or an empty list.
    """
    items = [s.strip().lower() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    bad = [s for s in items if s not in LEVEL_NOTEBOOKS]
    if bad or not items:
        raise BatchError(f"unknown report level(s) {', '.join(bad) or '(none)'}: use {', '.join(LEVEL_NOTEBOOKS)} "
                         "or a comma-separated list of them")
    return tuple(level for level in LEVEL_NOTEBOOKS if level in items)


def plan_regions(regions: list[dict], codes: list[str], levels: tuple[str, ...], overview: bool) -> list[str]:
    """Codes of the region overviews to build, top region first, then cities by code.

    ``overview`` adds the data set's top region(s) (those without a parent: the province,
    or the city when the data hold one city); level ``city`` adds every city holding one of
    the selected counties ``codes``. A city that is also the top region is built once.
    """
    wanted: list[str] = []
    if overview:
        wanted += [r["region_code"] for r in regions if not r["parent_code"]]
    if "city" in levels:
        parents = {r["region_code"]: r["parent_code"] for r in regions if r["level"] == "county"}
        cities = {parents[c] for c in codes if parents.get(c)}
        wanted += [r["region_code"] for r in regions if r["level"] == "city" and r["region_code"] in cities]
    return list(dict.fromkeys(wanted))


def count_applicants(data_dir: Path, inputs: dict[str, str], out_dir: Path) -> int:
    """Rows of the data set's applicant table (精品示范村申报; 0 when it has none); computed
    once per input, like :func:`available_regions`."""
    def compute() -> int:
        from hemei_tools.inputs.store import load_dataset_cached

        apps = getattr(load_dataset_cached(data_dir), "applicants", None)
        return 0 if apps is None else len(apps)

    return int(_data_fact("applicants", data_dir, inputs, out_dir, compute))


def parse_counties(spec: str | Iterable[str], available: list[dict]) -> list[str]:
    """County codes to build: ``"all"`` or a comma-separated list (or iterable) of six-digit codes.

    Raises
    ------
    BatchError
        For a malformed code or a code not present in the data (listing those available).
    """
    known = [c["county_code"] for c in available]
    if isinstance(spec, str):
        if spec.strip().lower() == "all":
            return known
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    codes = list(dict.fromkeys(str(s) for s in spec))
    bad = [c for c in codes if not _CODE_RE.match(c)]
    if bad:
        raise BatchError(f"county codes must be six digits: {', '.join(bad)}")
    missing = [c for c in codes if c not in known]
    if missing:
        raise BatchError(f"county code(s) {', '.join(missing)} not in the data; available: {', '.join(known)}")
    if not codes:
        raise BatchError("no county selected: pass --counties all or a list of codes")
    return codes


def code_hash(root: str | os.PathLike | None = None) -> str:
    """SHA-256 over the files of the package folder ``root`` (default: the installed
    ``hemei_tools``, once per process): :func:`hemei_tools.inputs.fingerprint.hash_folder`."""
    return package_hash() if root is None else hash_folder(root)


def stamp_key(notebook_sha256: str, parameters: dict, inputs: dict[str, str], code: str | None = None,
              nav: dict | None = None) -> str:
    """Key that changes when the notebook, the parameters, the inputs, the package version,
    the package's code and catalogue (``code``, default :func:`code_hash`) or the page's
    navigation (``nav``: its links change when a neighbour joins or leaves the run) do. Without
    ``nav`` the key is that of a page without navigation."""
    code = code_hash() if code is None else code
    parts = [notebook_sha256, parameters, inputs, __version__, code] + ([nav] if nav is not None else [])
    return sha256_text(json.dumps(parts, sort_keys=True))


def plan_jobs(codes: list[str], year: int, data_dir: Path, inputs: dict[str, str],
              regions: Iterable[str] = (), selection: bool = False, *,
              available: list[dict] | None = None, index: str | None = None,
              folder: Path | None = None) -> list[Job]:
    """The run's jobs, with stamp keys: a region overview per code in ``regions`` (six-digit
    city or province codes), a county report per code in ``codes``, and the village
    selection once (if ``selection``).

    With ``available`` (the regions of the data, :func:`available_regions`) every job gets its
    navigation (:func:`job_navigation`; ``index``: the run's index page, linked from every
    page), which is part of its stamp key; without it ``nav`` is None. The pages it links are
    those of the run folder ``folder`` (:func:`folder_stems`) and those this run builds, so
    that re-running some counties into a folder keeps the links (and the stamps) of the pages
    already there.
    """
    from hemei_tools.render.notebooks import notebook_path, report_stem

    data = str(data_dir)
    specs = [(OVERVIEW, {"region_code": r, "year": int(year), "data_dir": data}) for r in regions]
    specs += [(LEVEL_NOTEBOOKS["county"], {"county_code": c, "year": int(year), "data_dir": data}) for c in codes]
    if selection:
        specs.append((SELECTION, {"year": int(year), "data_dir": data}))
    planned = [(name, report_stem(name, params), params) for name, params in specs]
    stems = {stem for _, stem, _ in planned} | (folder_stems(folder) if folder is not None else set())
    digests: dict[str, str] = {}
    jobs = []
    for name, stem, params in planned:
        if name not in digests:
            digests[name] = sha256_file(notebook_path(name))
        nav = None
        if available is not None:
            unit = params.get("region_code") or params.get("county_code")
            nav = job_navigation(available, stems, unit if name != SELECTION else None, index=index)
        jobs.append(Job(name, stem, params, stamp_key(digests[name], params, inputs, nav=nav), nav))
    return jobs


# ---------------------------------------------------------------- navigation between the pages

def folder_stems(folder: Path) -> set[str]:
    """Stems of the report pages of a run folder: every ``<stem>.html`` in it and every report
    its manifest lists (a report that failed keeps its place: its page appears when it is
    built)."""
    pages = {p.stem for p in folder.glob("*.html")} if folder.is_dir() else set()
    rows = read_json(folder / MANIFEST).get("reports") or []
    return pages | {str(r["stem"]) for r in rows if isinstance(r, dict) and r.get("stem")}


@functools.cache
def _province_names() -> dict[str, str]:
    """Province names by two-digit code from the packaged division list
    (``data/divisions/anhui_provinces.csv``; read without pandas: a no-op re-run plans too)."""
    import csv

    text = (resources.files("hemei_tools") / "data" / "divisions" / "anhui_provinces.csv").read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(text.splitlines())}


def _link(region: dict, stems: set[str]) -> dict:
    code = region["region_code"]
    return {"text": region["region_name"], "href": f"{code}.html" if code in stems else None}


def job_navigation(regions: list[dict], stems: Iterable[str], unit: str | None, *,
                   index: str | None = None, province_names: dict[str, str] | None = None) -> dict:
    """The navigation of one page of a run: where the unit sits and its neighbours in the run.

    Parameters
    ----------
    regions
        The regions of the data (:func:`available_regions`: ``level``, ``region_code``,
        ``region_name``, ``parent_code``).
    stems
        The output stems of the run and its folder (a region's page is ``<region_code>.html``).
    unit
        The region the page reports (six digits), or None for the village selection (its
        crumbs end in the data set's top region and the label ``nav.selection``).
    index
        The run's index page (``index.html``), or None for no index link.
    province_names
        Province names by two-digit code, for a data set whose top region is a city (its
        province is not a region of the data); default the packaged division list.

    Returns
    -------
    dict
        ``{"level", "crumbs", "index", "siblings", "children"}``. ``crumbs`` run from the
        province down to the unit, ``{"text", "href"}`` each, ``href`` ``<code>.html`` when that
        page is in the run, else None; the last crumb is the unit (``href`` None,
        ``"current": True``). ``siblings``: the other regions of the unit's level with the same
        parent *whose page is in the run*, in code order. ``children``: every region whose
        parent is the unit (a city's counties, the province's cities), linked when in the run.
        ``level``: the unit's level, or ``"selection"``.
    """
    stems = set(stems)
    by_code = {r["region_code"]: r for r in regions}

    def chain(code: str) -> list[dict]:
        out, seen = [], set()
        while code and code in by_code and code not in seen:
            seen.add(code)
            out.insert(0, by_code[code])
            code = by_code[code]["parent_code"]
        return out

    if unit is None:
        tops = [r for r in regions if not r["parent_code"]]
        ancestors = tops if len(tops) == 1 else []
        current = {"text": label_text("nav.selection"), "href": None, "current": True}
        level, me = "selection", None
    else:
        me = by_code.get(unit)
        ancestors = chain(unit)[:-1] if me else []
        current = {"text": me["region_name"] if me else unit, "href": None, "current": True}
        level = me["level"] if me else "county"
    crumbs = [_link(r, stems) for r in ancestors]
    top = ancestors[0] if ancestors else me
    if top is not None and top["level"] != "province":  # the province is not a region of the data
        names = _province_names() if province_names is None else province_names
        name = names.get(top["region_code"][:2])
        if name:
            code = top["region_code"][:2].ljust(6, "0")
            crumbs.insert(0, {"text": name, "href": f"{code}.html" if code in stems else None})
    siblings, children = [], []
    if me is not None:
        siblings = [_link(r, stems) for r in regions
                    if r["level"] == me["level"] and r["parent_code"] == me["parent_code"]
                    and r["region_code"] != unit and r["region_code"] in stems]
        children = [_link(r, stems) for r in regions if r["parent_code"] == unit]
    return {"level": level, "crumbs": [*crumbs, current], "index": index,
            "siblings": siblings, "children": children}


def is_current(job: Job, out_dir: Path) -> dict | None:
    """The stamped result of ``job`` when its stamp has the job's key and its page is in
    place, with the page and notebook paths in ``out_dir`` (a run folder may have been moved or
    be mounted elsewhere since); else None."""
    stamp = read_json(out_dir / f"{job.stem}.stamp.json")
    html = out_dir / f"{job.stem}.html"
    if stamp.get("key") == job.key and stamp.get("result") and html.is_file():
        return {**stamp["result"], "html": str(html), "notebook": str(out_dir / f"{job.stem}.ipynb")}
    return None


def choose_rehearsal(jobs: list[Job], workers: int) -> Job | None:
    """The county report each worker's fork server rehearses before forking kernels, or None.

    A rehearsal costs about one report per worker (2 s at Anhui scale) and saves about 0.5 s
    in each later county report of that worker (2.2 → 1.7 s, ``benchmarks/README.md``), so it
    pays from about four reports on: it is chosen only when every worker has at least
    :data:`REHEARSE_MIN_JOBS` county reports to build, and not when ``HEMEI_REHEARSE=0``.
    """
    county = [j for j in jobs if j.name == LEVEL_NOTEBOOKS["county"]]
    if os.environ.get(REHEARSE_ENV, "1") == "0" or len(county) < REHEARSE_MIN_JOBS * max(1, workers):
        return None
    return county[0]
