"""Generated Chinese sentences for the reports, built from data and the templates of ``catalogue/labels.csv``.

Every sentence is assembled from a row of an engine frame (gaps, trends, weakest links, plan
progress) and the catalogue: indicator names, units and decimals come from ``indicators.csv``,
task and dimension names from ``framework.csv``. Nothing here names an indicator.

Number formatting (:func:`format_value`): the catalogue's ``decimals`` with a thousands
separator, followed by the unit (``81.2%``, ``40,311元``, ``10.4万人次``). A gap in an
indicator measured in % is a difference of percentages, so it is written in 个百分点
(percentage points): ``3.8个百分点``.

Example (a county, an indicator with a national 2022 target, projected to close)::

    枞阳县卫生厕所普及率为81.2%，距基准（全国2022年目标85.0%）差3.8个百分点，按当前增速预计2025年达到。

Records (:class:`Record`): the sentences of the headline, the weakest links and the selection
report are rendered from structured records, one per sentence, kept in ``Section.data["records"]``.
A record holds every fact its sentence states (task, indicator, value, benchmark, source, …);
:func:`render_record` writes the sentence from the record alone, so tests can check each record
against the table it summarises and each sentence against its record.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hemei_tools.catalogue import Catalogue, LabelGroup, load_catalogue
from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.gaps import STATUSES

#: Names of the benchmark regions used in ``benchmarks.csv`` (``region`` column), labels
#: ``benchmark_region.<name>``.
#: ``"X (Y)"`` is written Y + X (e.g. ``Shaoxing (Zhejiang)`` → 浙江绍兴); unknown names are kept.
REGION_ZH = LabelGroup("benchmark_region", (
    "China", "Anhui", "Zhejiang", "Tongling", "Shaoxing", "Ningbo", "data", "policy", "reference",
))

#: How each benchmark kind (``benchmarks.csv`` ``kind``) reads after region and year.
KIND_WORD = LabelGroup("benchmark_kind.word", (
    "actual", "target", "standard", "frontier", "reference",
))

#: Trend classes of :mod:`hemei_tools.engine.trends` in report wording (Open SDG progress statuses).
TREND_ZH = LabelGroup("trend", (
    "achieved", "on track", "moderately improving", "stagnating", "moving away",
))

#: Plan-progress statuses of :func:`hemei_tools.engine.progress.plan_progress` in report wording.
PLAN_STATUS_ZH = LabelGroup("plan_status", (
    "ahead", "on schedule", "behind", "not due", "not started", "not measured", "partial", "contribution",
))

#: Traffic-light statuses of :mod:`hemei_tools.engine.gaps` in report wording (labels ``status.<id>``;
#: colours are looked up by the id in :data:`hemei_tools.present.style.STATUS_COLOURS`).
STATUS_ZH = LabelGroup("status", STATUSES)

_NESTED = re.compile(r"^\s*(.+?)\s*\((.+)\)\s*$")


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT


def format_year_label(label) -> str:
    """A benchmark's year label in Chinese: the English kind in brackets is dropped (tables show
    the kind in a column of its own), ``c.`` becomes 约 and a hyphenated range an en dash.

    ``"2022 (target)"`` → ``"2022"``, ``"c.2024"`` → ``"约2024"``,
    ``"2022-2025 (target)"`` → ``"2022–2025"``; a missing label gives ``""``.
    """
    if _missing(label):
        return ""
    text = re.sub(r"\s*\((?:target|actual|standard|frontier)\)\s*", "", str(label).strip())
    text = re.sub(r"^c\.\s*", _t("format.circa"), text)
    return re.sub(r"(?<=\d)\s*-\s*(?=\d)", "–", text)


def region_label(region) -> str:
    """Chinese name of a benchmark region (:data:`REGION_ZH`), e.g. ``China`` → ``全国``.

    ``"Shaoxing (Zhejiang)"`` → ``浙江绍兴``; a name not in the table is returned as given.
    """
    if _missing(region):
        return ""
    text = str(region)
    m = _NESTED.match(text)
    if m:
        inner, outer = m.group(1), m.group(2)
        return REGION_ZH.get(outer, outer) + REGION_ZH.get(inner, inner)
    return REGION_ZH.get(text, text)


INFINITY = "∞"
"""How an infinite number is written (``-∞`` below zero)."""
SCIENTIFIC_FROM = 1e15
"""Numbers at least this large are written in scientific notation (``1e+308``): a float holds
about 15 significant digits, so the digits a fixed-point rendering would print beyond them
mean nothing (and 1e308 would take 300 characters)."""


def format_number(x, decimals: int) -> str:
    """``x`` with ``decimals`` places and a thousands separator; ``—`` when missing.

    ``format_number(40311, 0) == "40,311"``; ``format_number(81.24, 1) == "81.2"``.

    Never raises: NaN (``float``, numpy, ``pd.NA``) is ``—``; ``±inf`` is ``∞`` / ``-∞``;
    ``|x| >= 1e15`` (:data:`SCIENTIFIC_FROM`) is written ``1e+308`` (3 significant digits);
    text that is a number (``"inf"``, ``"12.5"``) is formatted as that number, other text is
    returned as it is; ``decimals`` below 0 or missing count as 0.
    """
    if _missing(x):
        return "—"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return INFINITY if v > 0 else f"-{INFINITY}"
    if abs(v) >= SCIENTIFIC_FROM:
        return f"{v:.3g}"
    try:
        d = max(0, int(decimals))
    except (TypeError, ValueError):
        d = 0
    v = round(v, d)
    return f"{v + 0.0 if v != 0 else 0.0:,.{d}f}"


def format_value(x, unit: str, decimals: int) -> str:
    """A value with its unit: ``81.2%``, ``40,311元``; ``—`` when missing."""
    if _missing(x):
        return "—"
    return f"{format_number(x, decimals)}{'' if _missing(unit) else unit}"


def format_gap(gap, unit: str, decimals: int) -> str:
    """A difference in the indicator's unit; for ``%`` indicators in 个百分点 (percentage points)."""
    if _missing(gap):
        return "—"
    if unit == "%":
        return _tf("format.percentage_points", gap=format_number(gap, decimals))
    return format_value(gap, unit, decimals)


@dataclass(frozen=True)
class Labels:
    """Chinese names of every catalogue code, and units and decimals of the indicators.

    Built once per catalogue by :func:`catalogue_labels` (a lookup in a dict instead of a
    boolean filter of the catalogue frames for every label a report writes).
    """

    names: dict[str, str]
    units: dict[str, str]
    decimals: dict[str, int]

    def name(self, code: str) -> str:
        """Chinese name of an indicator id or framework code; ``KeyError`` naming it if unknown."""
        try:
            return self.names[code]
        except KeyError:
            raise KeyError(f"unknown code {code!r}: not an indicator id or framework code of the catalogue") from None

    def indicator(self, indicator_id: str) -> tuple[str, str, int]:
        """``(name_zh, unit, decimals)`` of an indicator."""
        return self.name(indicator_id), self.units[indicator_id], self.decimals[indicator_id]


_LABELS: dict[int, tuple[Catalogue, Labels]] = {}


def catalogue_labels(catalogue: Catalogue | None = None) -> Labels:
    """The :class:`Labels` of a catalogue (cached per catalogue object)."""
    cat = catalogue or load_catalogue()
    hit = _LABELS.get(id(cat))
    if hit is not None and hit[0] is cat:
        return hit[1]
    ind = cat.indicators
    names = dict(zip(cat.framework["code"].astype(str), cat.framework["name_zh"].astype(str), strict=True))
    names.update(zip(ind["indicator_id"].astype(str), ind["name_zh"].astype(str), strict=True))
    labels = Labels(names=names, units=dict(zip(ind["indicator_id"].astype(str), ind["unit"].astype(str), strict=True)),
                    decimals=dict(zip(ind["indicator_id"].astype(str), ind["decimals"].astype(int), strict=True)))
    _LABELS[id(cat)] = (cat, labels)
    return labels


def indicator_format(catalogue: Catalogue | None, indicator_id: str) -> tuple[str, str, int]:
    """``(name_zh, unit, decimals)`` of an indicator from the catalogue."""
    return catalogue_labels(catalogue).indicator(indicator_id)


def benchmark_phrase(region, year, kind, value, unit: str, decimals: int, *, synthetic: bool = False,
                     repost: bool = False) -> str:
    """The benchmark as cited in a sentence: ``全国2022年目标85.0%``, ``浙江2023年实际40,311元``.

    Where nothing is published: a policy standard (region ``policy``) reads
    ``全覆盖（政策标准）100.0%``, a pinned reference (kind ``reference``) ``2023年参照值1,699万元``.

    ``synthetic``: the reference was computed from synthetic (demo) data (its row of
    ``reference_goalposts.csv`` says ``synthetic=true``): ``2023年参照值（模拟数据）72.3%``.
    ``repost``: the figure's only source is a repost (``source_kind`` repost), said as the
    published-facts tables say it: ``浙江2023年实际（转载）40,311元``. Both come from
    :func:`benchmark_marks`.
    """
    v = format_value(value, unit, decimals)
    y = "" if _missing(year) else _tf("format.year", year=int(year))
    if kind == "reference":
        return _tf("benchmark.reference_synthetic" if synthetic else "benchmark.reference", year=y, value=v)
    if region == "policy":
        return _tf("benchmark.policy", value=v)
    mark = _t("benchmark.repost_mark") if repost else ""
    return f"{region_label(region)}{y}{KIND_WORD.get(str(kind), '')}{mark}{v}"


def benchmark_marks(catalogue: Catalogue | None, indicator_id, region, year, kind, value=None) -> dict[str, bool]:
    """The caveats a cited goalpost figure carries, read from its catalogue row
    (:meth:`~hemei_tools.catalogue.Catalogue.goalpost_figures`: ``benchmarks.csv`` and
    ``reference_goalposts.csv``): ``{"synthetic": …, "repost": …}``.

    The rows are those of the indicator with the same kind and, where given, region, year and
    value (|Δ| ≤ 1e-6·max(1, |value|)); if no row has that value the value is not used.
    ``synthetic`` is true when every such row is a reference with ``synthetic=true`` (computed
    from the synthetic demo); ``repost`` when every such row has ``source_kind`` repost (the
    figure's only source is a copy on a site that did not produce it; the published-facts
    tables mark it 转载). No matching row: both false (nothing to claim).
    """
    out = {"synthetic": False, "repost": False}
    if _missing(indicator_id) or _missing(kind):
        return out
    cat = catalogue or load_catalogue()
    if len(cat.benchmarks.columns) == 0:  # a catalogue without goalpost tables (a test's literal one)
        return out
    c = cat.goalpost_figures(str(indicator_id), str(kind))
    if not _missing(region) and str(kind) != "reference":
        c = [r for r in c if r["region"] == str(region)]
    if not _missing(year):
        c = [r for r in c if r["year"] is not None and r["year"] == float(year)]
    if not _missing(value) and c:
        v = float(value)
        same = [r for r in c if r["value"] is not None and abs(r["value"] - v) <= 1e-6 * max(1.0, abs(v))]
        c = same or c
    if not c:
        return out
    out["synthetic"] = all(r["synthetic"] for r in c)
    out["repost"] = all(r["repost"] for r in c)
    return out


def row_marks(row: Mapping, catalogue: Catalogue | None = None, indicator_id=None) -> dict[str, bool]:
    """:func:`benchmark_marks` of a gap row's benchmark (``benchmark_region``, ``benchmark_year``,
    ``benchmark_kind``, ``benchmark``; the indicator from ``indicator_id`` or the row's)."""
    return benchmark_marks(catalogue, indicator_id if indicator_id is not None else row.get("indicator_id"),
                           row.get("benchmark_region"), row.get("benchmark_year"), row.get("benchmark_kind"),
                           row.get("benchmark"))


def trend_clause(closes, year_closes=None, trend_class=None, target_year=None) -> str:
    """How the trend reads after the gap, with what it measures (no final punctuation):
    ``按当前增速，约2035年达到当前基准值`` (the year the current benchmark value is reached at the
    current pace), or ``按当前增速难以达到当前基准值（按2027年达到基准所需增速衡量：偏离目标）``
    (the trend class is judged against the pace needed to reach the benchmark by ``target_year``,
    the programme's end year from the catalogue).

    ``closes`` is the :func:`hemei_tools.engine.trends.compute_trends` column (achieved, projected,
    not at current pace); ``""`` when there is no trend (a single year of data).
    """
    if closes == "projected" and not _missing(year_closes):
        return _tf("trend.clause_projected", year_closes=int(year_closes))
    if closes == "not at current pace":
        label = TREND_ZH.get(str(trend_class), "")
        if label and not _missing(target_year):
            return _tf("trend.clause_off_pace_by", target_year=int(target_year), trend=label)
        return _tf("trend.clause_off_pace_label", trend=label) if label else _t("trend.clause_off_pace")
    return ""


def gap_sentence(unit_name: str, row: Mapping, catalogue: Catalogue | None = None) -> str:
    """One sentence on one indicator of one unit against its benchmark, with the trend.

    Parameters
    ----------
    unit_name
        The unit as written (e.g. ``枞阳县``).
    row
        A mapping with ``indicator_id``, ``value``, ``benchmark``, ``benchmark_region``,
        ``benchmark_year``, ``benchmark_kind``, ``abs_gap`` (shortfall d·(B − x), > 0 when short;
        :func:`hemei_tools.engine.gaps.compute_gaps`) and optionally ``closes``, ``year_closes`` and
        ``trend_class`` (:func:`hemei_tools.engine.trends.compute_trends`).
    catalogue
        Names, units and decimals; default the packaged catalogue.

    Returns
    -------
    str
        e.g. ``枞阳县卫生厕所普及率为81.2%，距基准（全国2022年目标85.0%）差3.8个百分点，按当前增速预计2025年达到。``
        or, once reached, ``…为88.0%，已达到基准（全国2022年目标85.0%）。``
    """
    cat = catalogue or load_catalogue()
    name, unit, dec = indicator_format(cat, row["indicator_id"])
    bench = benchmark_phrase(row.get("benchmark_region"), row.get("benchmark_year"), row.get("benchmark_kind"),
                             row.get("benchmark"), unit, dec, **row_marks(row, cat))
    head = _tf("sentence.gap_head",
               unit_name=unit_name,
               name=name,
               value=format_value(row.get("value"), unit, dec))
    if _missing(row.get("value")):
        return _tf("sentence.gap_no_data", unit_name=unit_name, name=name, bench=bench)
    gap = row.get("abs_gap")
    if not _missing(gap) and float(gap) <= 0:
        return _tf("sentence.gap_reached", head=head, bench=bench)
    text = _tf("sentence.gap_short", head=head, bench=bench, gap=format_gap(gap, unit, dec))
    clause = trend_clause(row.get("closes"), row.get("year_closes"), row.get("trend_class"), row.get("target_year"))
    return _tf("sentence.with_clause",
               text=text,
               clause=clause) if clause else _tf("sentence.end", text=text)


def task_sentence(row: Mapping, catalogue: Catalogue | None = None) -> str:
    """One sentence on a weak task (a ``kind == "task"`` row of :func:`hemei_tools.engine.gaps.weakest_links`).

    ``任务“农村人居环境整治”（宜居环境美）平均距基准32.5分，短板指标为生活污水治理率。``
    The distance is 0–100 score points (100 minus the task's goalpost score).
    """
    lab = catalogue_labels(catalogue)
    worst = row.get("worst_indicator")
    tail = _tf("sentence.task_worst", name=lab.name(worst)) if not _missing(worst) and worst else ""
    return (_tf("sentence.task",
                task=lab.name(row["task_id"]),
                dimension=lab.name(row["dimension_id"]),
                distance=format_number(row.get("distance"), 1),
                tail=tail))


def weakest_links_markdown(unit_name: str, links: pd.DataFrame, catalogue: Catalogue | None = None) -> str:
    """Markdown: the weakest indicators (one sentence each, with their task) and the weakest tasks.

    Rendered from :func:`weakest_links_records` (:func:`records_markdown`).

    Parameters
    ----------
    links
        :func:`hemei_tools.engine.gaps.weakest_links` output, optionally with the trend columns
        ``closes``, ``year_closes``, ``trend_class`` joined on ``code``.
    """
    return records_markdown(unit_name, weakest_links_records(unit_name, links, catalogue))


def as_of_phrase(as_of) -> str:
    """A date as a sentence says it: 31 December as ``2023年底``, any other day in full
    (``2023年11月29日``)."""
    t = pd.Timestamp(as_of)
    if (t.month, t.day) == (12, 31):
        return _tf("format.year_end", year=t.year)
    return _tf("format.date", date=t)


def plan_status_word(row: Mapping) -> str:
    """The progress word of a plan row, as the table's 进度 column shows it: ``2024年起实施`` for a
    programme that has not started, else :data:`PLAN_STATUS_ZH` of its status."""
    status = str(row.get("status", ""))
    if status == "not started":
        return _tf("plan.starts_in", year=int(row["start_year"]))
    return PLAN_STATUS_ZH.get(status, status)


def _count(x) -> str:
    return format_number(x, 0)


def plan_sentence(row: Mapping, region_name: str = "") -> str:
    """One sentence on a plan target (a row of :func:`hemei_tools.engine.progress.plan_progress`).

    ``铜陵市和美乡村精品示范村（铜陵市“5511”工程）：2023–2027年计划新增50个；截至2023年底已验收0个
    （完成0.0%），在建3个，申报7个；按进度应完成约10个，按已验收计落后于进度（差10个）。``

    A programme that has not started says when it starts (``2024年起实施``); one with nothing
    due in whole units yet gives no verdict; a province target judged on part of the province
    gives that part's counts only. Every number is the row's: ``start_year``, ``target_year``,
    ``target_new``, ``as_of``, ``accepted``, ``under_construction``, ``declared``,
    ``pct_of_target``, ``expected_whole``, ``basis``, ``status`` and ``shortfall``.
    """
    where = region_name or str(row.get("region_code", ""))
    start = int(row["start_year"]) if not _missing(row.get("start_year")) else int(row["baseline_year"]) + 1
    end = int(row["target_year"])
    period = _tf("format.year", year=end) if start == end else _tf("format.year_range", start=start, end=end)
    head = (_tf("sentence.plan_head",
                where=where,
                item=row["item_zh"],
                programme=row["programme_zh"],
                period=period,
                target_new=format_number(row["target_new"], 0)))
    status = str(row.get("status", ""))
    if status == "not started":
        return _tf("sentence.plan_not_started", head=head, starts=plan_status_word(row))
    if status == "not measured" or _missing(row.get("accepted")):
        return _tf("sentence.plan_not_measured", head=head, status=PLAN_STATUS_ZH["not measured"])
    counts = {"as_of": as_of_phrase(row["as_of"]), "accepted": _count(row["accepted"]),
              "under_construction": _count(row["under_construction"]), "declared": _count(row["declared"]),
              "pct": format_number(row["pct_of_target"], 1)}
    if status == "partial":
        return _tf("sentence.plan_partial", head=head, **counts)
    counts_text = _tf("sentence.plan_counts", **counts)
    if status not in ("ahead", "on schedule", "behind"):
        return _tf("sentence.plan_not_due", head=head, counts=counts_text, status=PLAN_STATUS_ZH.get(status, status))
    text = (_tf("sentence.plan_progress",
                head=head,
                counts=counts_text,
                expected=_count(row["expected_whole"]),
                basis=_t(f"plan.basis.{row.get('basis', 'accepted')}"),
                status=PLAN_STATUS_ZH[status]))
    if status == "behind" and not _missing(row.get("shortfall")):
        text += _tf("sentence.plan_shortfall", shortfall=int(row["shortfall"]))
    return text + _t("punct.full_stop")


def plan_parts_sentence(parts: list[Mapping]) -> str:
    """What the parts of a region hold of one target: ``其中枞阳县已验收0个、在建2个、申报1个。``
    (rows of :func:`hemei_tools.engine.progress.plan_contributions` with ``region_name``)."""
    if not parts:
        return ""
    text = _t("punct.semicolon").join(
        _tf("sentence.plan_part", where=p["region_name"], accepted=_count(p["accepted"]),
            under_construction=_count(p["under_construction"]), declared=_count(p["declared"])) for p in parts)
    return _tf("sentence.plan_contributions", parts=text)


def years_phrase(years) -> str:
    """Years written as runs: ``2021年``; ``2017–2023年，连续7年``; runs joined by 、."""
    ys = sorted({int(y) for y in years})
    runs, run = [], []
    for y in ys:
        if run and y != run[-1] + 1:
            runs.append(run)
            run = []
        run.append(y)
    if run:
        runs.append(run)
    return _t("punct.list_sep").join(
        _tf("format.year", year=r[0]) if len(r) == 1 else _tf("format.run_of_years", start=r[0], end=r[-1], n=len(r))
        for r in runs)


def designations_sentence(parts: list[Mapping]) -> str:
    """County honours: ``县区称号：义安区获“全省美丽乡村建设先进县（区）”（2017–2023年，连续7年）。``
    (one part per county and designation: ``county``, ``designation``, ``years``)."""
    if not parts:
        return ""
    text = _t("punct.semicolon").join(
        _tf("sentence.designation_part", county=p["county"], designation=p["designation"],
            years=years_phrase(p["years"])) for p in parts)
    return _tf("sentence.designations", parts=text)


#: The fields of a plan row a ``plan`` record keeps (the numbers its sentence states).
PLAN_RECORD_FIELDS = ("programme", "programme_zh", "region_code", "item", "item_zh", "start_year", "target_year",
                      "target_new", "as_of", "designated", "declared", "under_construction", "accepted",
                      "pct_of_target", "expected_whole", "basis", "status", "shortfall")


def plan_record(row: Mapping, region_name: str, parts: list[Mapping] = (),
                catalogue: Catalogue | None = None) -> Record:
    """The ``plan`` record of one target: its numbers (:data:`PLAN_RECORD_FIELDS`) and the
    parts' counts (``detail["parts"]``); the text is :func:`plan_sentence` followed by
    :func:`plan_parts_sentence`."""
    detail = {k: row.get(k) for k in PLAN_RECORD_FIELDS}
    detail["parts"] = [{k: p.get(k) for k in ("region_code", "region_name", "declared", "under_construction",
                                              "accepted")} for p in parts]
    return make_record("plan", catalogue, unit=region_name, value=row.get("accepted"),
                       benchmark=row.get("expected_whole"), source=str(row.get("programme_zh", "")), detail=detail)


def _render_plan(rec: Record, cat: Catalogue) -> str:
    return plan_sentence(rec.detail, rec.unit) + plan_parts_sentence(list(rec.detail.get("parts", ())))


def index_sentence(unit_name: str, score, rank, n_units: int, reference_name: str, reference_score,
                   peers: str = _t("level.county")) -> str:
    """The headline sentence on the 和美指数.

    ``枞阳县和美指数为50.1（基准=100），在4个县区中列第4位；铜陵市为62.3。``
    """
    text = _tf("sentence.index", unit_name=unit_name, score=format_number(score, 1))
    if not _missing(rank) and n_units > 1:
        text += _tf("sentence.index_rank", n_units=n_units, peers=peers, rank=int(rank))
    if reference_name and not _missing(reference_score):
        text += _tf("sentence.index_reference",
                    reference_name=reference_name,
                    reference_score=format_number(reference_score, 1))
    return text + _t("punct.full_stop")


def dimension_sentence(best: tuple[str, float], worst: tuple[str, float]) -> str:
    """``四个维度中宜养乡风美得分最高（71.2），宜业生活美最低（38.5）。``"""
    return (_tf("sentence.dimensions",
                best=best[0],
                best_score=format_number(best[1], 1),
                worst=worst[0],
                worst_score=format_number(worst[1], 1)))



# ---------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Record:
    """The facts one generated sentence states; the sentence (``text``) is rendered from them alone.

    Attributes
    ----------
    kind
        Which sentence: ``index``, ``dimensions``, ``lights`` (headline), ``weak_indicator``,
        ``weak_task`` (weakest links), ``selection_eligibility``, ``selection_shortlist``,
        ``selection_no_marginal``, ``selection_decision``, ``selection_no_decision``, ``plan`` (a
        plan target with its parts' counts), ``designations`` (county honours).
    unit
        The unit as written (``枞阳县``); ``""`` for the selection round.
    task, dimension, indicator
        Catalogue codes the sentence names (``""`` when none): a weak indicator's own task and
        dimension, a weak task's worst indicator, the index code for the index sentence.
    value, benchmark
        The numbers stated, unrounded (the sentence rounds them with the catalogue's decimals).
    source
        The benchmark as cited, without its value (``全国2022年目标``, ``2023年参照值``; the
        gap table's source column); ``""`` when the sentence cites none.
    provenance
        ``published``, ``synthetic`` or ``data`` (computed from the loaded real data); ``""``
        when not applicable.
    detail
        Every other value the sentence states, by name (rank, counts, trend, …).
    text
        The sentence, :func:`render_record` of the fields above.
    """

    kind: str
    unit: str = ""
    task: str = ""
    dimension: str = ""
    indicator: str = ""
    value: Any = None
    benchmark: Any = None
    source: str = ""
    provenance: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict (``detail`` merged in), e.g. for a frame of records."""
        out = {k: v for k, v in dataclasses.asdict(self).items() if k != "detail"}
        return {**out, **dict(self.detail)}


def source_phrase(region, year, kind, *, synthetic: bool = False, repost: bool = False) -> str:
    """The benchmark cited without its value: ``全国2022年目标``, ``浙江2023年实际``,
    ``2023年参照值`` (:func:`benchmark_phrase` with no number); with the caveats of
    :func:`benchmark_marks`: ``2023年参照值（模拟数据）``, ``浙江2023年实际（转载）``."""
    return benchmark_phrase(region, year, kind, None, "", 0, synthetic=synthetic, repost=repost).replace("—", "")


def _gap_row(rec: Record) -> dict[str, Any]:
    return {"indicator_id": rec.indicator, "value": rec.value, "benchmark": rec.benchmark, **dict(rec.detail)}


def _render_index(rec: Record, cat: Catalogue) -> str:
    d = rec.detail
    return index_sentence(rec.unit, rec.value, d.get("rank"), int(d.get("n_units", 1)), d.get("reference_name", ""),
                          d.get("reference_value"))


def _render_dimensions(rec: Record, cat: Catalogue) -> str:
    lab, d = catalogue_labels(cat), rec.detail
    return dimension_sentence((lab.name(d["best"]), d["best_score"]), (lab.name(d["worst"]), d["worst_score"]))


def _render_lights(rec: Record, cat: Catalogue) -> str:
    d = rec.detail
    flagged = int(d.get("below_average", 0))
    text = _tf("sentence.headline_lights", n_scored=d["n_scored"], green=int(d["green"]) - flagged,
               yellow=d["yellow"], orange=d["orange"], red=d["red"])
    if flagged:
        text += _tf("sentence.headline_lights_flagged", n=flagged)
    return text


def _render_weak_indicator(rec: Record, cat: Catalogue) -> str:
    return _tf("sentence.weakest_item", i=rec.detail["rank"], task=catalogue_labels(cat).name(rec.task),
               gap_sentence=gap_sentence(rec.unit, _gap_row(rec), cat))


def _render_weak_task(rec: Record, cat: Catalogue) -> str:
    row = {"task_id": rec.task, "dimension_id": rec.dimension, "worst_indicator": rec.indicator,
           "distance": rec.detail["distance"]}
    return f"{rec.detail['rank']}. {task_sentence(row, cat)}"


def _render_selection_eligibility(rec: Record, cat: Catalogue) -> str:
    d = rec.detail
    return _tf("sentence.selection_eligibility", year=d["year"], n_apps=d["n_apps"], n_ok=d["n_ok"],
               n_failed=d["n_failed"])


def _render_selection_shortlist(rec: Record, cat: Catalogue) -> str:
    d = rec.detail
    return _tf("sentence.selection_shortlist", quota=d["quota"], total=d["total"], n_robust=d["n_robust"])


def _render_selection_decision(rec: Record, cat: Catalogue) -> str:
    d = rec.detail
    key = "sentence.selection_decision_synthetic" if rec.provenance == "synthetic" else "sentence.selection_decision"
    return _tf(key, n_applicants=d["n_applicants"], agree=d["agree"],
               agreement=f"{format_number(100 * d['agreement_rate'], 1)}%" if not _missing(d["agreement_rate"])
               else "—", decision_only=d["decision_only"], model_only=d["model_only"])


#: How each record kind is written: kind → function of (record, catalogue).
RENDERERS: dict[str, Callable[[Record, Catalogue], str]] = {
    "index": _render_index,
    "dimensions": _render_dimensions,
    "lights": _render_lights,
    "weak_indicator": _render_weak_indicator,
    "weak_task": _render_weak_task,
    "selection_eligibility": _render_selection_eligibility,
    "selection_shortlist": _render_selection_shortlist,
    "selection_no_marginal": lambda rec, cat: _t("sentence.selection_no_marginal"),
    "selection_decision": _render_selection_decision,
    "selection_no_decision": lambda rec, cat: _t("sentence.selection_no_decision"),
    "plan": lambda rec, cat: _render_plan(rec, cat),
    "designations": lambda rec, cat: designations_sentence(list(rec.detail.get("parts", ()))),
}


def render_record(rec: Record, catalogue: Catalogue | None = None) -> str:
    """The sentence of a record, from its fields alone (:data:`RENDERERS` by ``kind``)."""
    try:
        render = RENDERERS[rec.kind]
    except KeyError:
        raise KeyError(f"unknown record kind {rec.kind!r}; known: {', '.join(RENDERERS)}") from None
    return render(rec, catalogue or load_catalogue())


def make_record(kind: str, catalogue: Catalogue | None = None, **fields) -> Record:
    """A :class:`Record` of ``kind`` with its ``text`` rendered (:func:`render_record`)."""
    rec = Record(kind=kind, **fields)
    return dataclasses.replace(rec, text=render_record(rec, catalogue))


def weakest_links_records(unit_name: str, links: pd.DataFrame, catalogue: Catalogue | None = None) -> list[Record]:
    """One record per weakest-links sentence: ``weak_indicator`` rows, then ``weak_task`` rows.

    Parameters
    ----------
    links
        :func:`hemei_tools.engine.gaps.weakest_links` output, optionally with the trend columns
        ``closes``, ``year_closes``, ``trend_class``, ``target_year`` joined on ``code``.

    Notes
    -----
    Each record takes its codes from the link row as the engine gives them (an indicator's
    ``task_id`` and ``dimension_id``; a task's ``worst_indicator``): the tests check them against
    the catalogue, which once caught every task paired with another task's indicator.
    """
    cat = catalogue or load_catalogue()
    out = []
    trend_keys = ("benchmark_region", "benchmark_year", "benchmark_kind", "abs_gap", "closes", "year_closes",
                  "trend_class", "target_year")
    for i, r in enumerate(links[links["kind"] == "indicator"].to_dict("records"), start=1):
        out.append(make_record(
            "weak_indicator", cat, unit=unit_name, task=str(r["task_id"]), dimension=str(r["dimension_id"]),
            indicator=str(r.get("indicator_id", r.get("code"))), value=r.get("value"), benchmark=r.get("benchmark"),
            source=source_phrase(r.get("benchmark_region"), r.get("benchmark_year"), r.get("benchmark_kind"),
                                 **row_marks(r, cat, r.get("indicator_id", r.get("code")))),
            detail={"rank": i, "distance": r.get("distance"), **{k: r.get(k) for k in trend_keys}}))
    for i, r in enumerate(links[links["kind"] == "task"].to_dict("records"), start=1):
        worst = r.get("worst_indicator")
        worst = "" if _missing(worst) or not worst else str(worst)
        out.append(make_record(
            "weak_task", cat, unit=unit_name, task=str(r["task_id"]), dimension=str(r["dimension_id"]),
            indicator=worst, detail={"rank": i, "distance": r.get("distance")}))
    return out


def records_markdown(unit_name: str, records: list[Record]) -> str:
    """Markdown of the weakest-links records: the weak indicators under their heading, then the
    weak tasks under theirs; ``全部指标均已达到基准`` when there are none."""
    ind = [r.text for r in records if r.kind == "weak_indicator"]
    tasks = [r.text for r in records if r.kind == "weak_task"]
    if not ind and not tasks:
        return _tf("sentence.all_reached", unit_name=unit_name)
    lines = []
    if ind:
        lines += [_tf("sentence.weakest_indicators_heading", unit_name=unit_name), *ind]
    if tasks:
        lines += ["", _t("sentence.weakest_tasks_heading"), *tasks]
    return "\n".join(lines)


__all__ = [
    "KIND_WORD",
    "PLAN_STATUS_ZH",
    "REGION_ZH",
    "RENDERERS",
    "STATUS_ZH",
    "TREND_ZH",
    "Labels",
    "Record",
    "benchmark_marks",
    "benchmark_phrase",
    "catalogue_labels",
    "dimension_sentence",
    "format_gap",
    "format_number",
    "format_value",
    "format_year_label",
    "gap_sentence",
    "index_sentence",
    "indicator_format",
    "make_record",
    "as_of_phrase",
    "designations_sentence",
    "plan_parts_sentence",
    "plan_record",
    "plan_sentence",
    "plan_status_word",
    "records_markdown",
    "region_label",
    "render_record",
    "row_marks",
    "source_phrase",
    "task_sentence",
    "trend_clause",
    "weakest_links_markdown",
    "weakest_links_records",
    "years_phrase",
]


# ---------------------------------------------------------------------------------- benchmark model
def zhejiang_basis_composition(catalogue: Catalogue | None = None, year=None) -> dict:
    """What the Zhejiang figures of the 浙江对标指数 are, counted from the catalogue: the
    preferred Zhejiang figure of each scored indicator
    (:func:`hemei_tools.engine.goalposts.basis_figures` with basis zhejiang, the figures the index
    uses), by ``kind`` and ``region``.

    Returns ``n`` (figures), ``n_target`` (kind target: a Zhejiang target, not an achievement),
    ``cities`` (region → count of the figures of a place inside Zhejiang, a region written
    ``"Shaoxing (Zhejiang)"``, not a target) and ``later`` (year → count of the other figures whose
    year is after ``year``, the report year; empty when ``year`` is None). Each figure is counted
    once: target first, then city, then later.
    """
    from hemei_tools.engine.goalposts import basis_figures

    f = basis_figures(catalogue or load_catalogue(), ("zhejiang",))
    target = f["kind"].astype(object) == "target"
    city = ~target & f["region"].astype(object).map(lambda r: isinstance(r, str) and bool(_NESTED.match(r)))
    rest = f[~target & ~city]
    years = rest["year"].astype("Float64").astype(float)
    later = rest[years > float(year)] if not _missing(year) else rest.iloc[0:0]
    return {"n": len(f), "n_target": int(target.sum()),
            "cities": {str(k): int(v) for k, v in f.loc[city, "region"].astype(object).value_counts(sort=False).items()},
            "later": {int(k): int(v) for k, v in later["year"].astype(int).value_counts().sort_index().items()}}


def zhejiang_composition_phrase(record: Mapping) -> str:
    """The clause saying what the Zhejiang figures are: ``，其中3项为浙江目标值、1项为浙江绍兴数值、
    1项为2025年数值`` (:func:`zhejiang_basis_composition` in ``record["composition"]``); ``""`` when
    every figure is a province-wide actual of the report year or before."""
    comp = record.get("composition") or {}
    parts = []
    if comp.get("n_target"):
        parts.append(_tf("zhejiang.part.target", n=int(comp["n_target"])))
    for region, n in (comp.get("cities") or {}).items():
        parts.append(_tf("zhejiang.part.city", n=int(n), region=region_label(region)))
    for y, n in (comp.get("later") or {}).items():
        parts.append(_tf("zhejiang.part.later", n=int(n), years=int(y)))
    return _tf("zhejiang.composition", parts=_t("zhejiang.part_separator").join(parts)) if parts else ""


def zhejiang_index_record(frame: pd.DataFrame, unit_name: str, reference_name: str = "",
                          catalogue: Catalogue | None = None, year=None) -> dict:
    """The facts the 浙江对标指数 sentence states, from
    :func:`hemei_tools.engine.region.zhejiang_frame` (the unit's row first, its city's second for
    a county): ``unit_name``, ``score`` and ``gap`` = 100 − score (points; 100 = every Zhejiang
    figure reached), ``n_basis`` (indicators with a Zhejiang figure), ``n_indicators`` (those with
    a value for the unit), ``weight_share`` (their share of the 和美指数 weight, 0–1),
    ``reference_name`` and ``reference_score`` (the city; empty for a city or the province), and
    ``composition`` (:func:`zhejiang_basis_composition` of ``catalogue`` and the report ``year``:
    how many of the figures are targets, a city's, or of a later year)."""
    if frame.empty:
        return {}
    unit = frame.iloc[0]
    city = frame.iloc[1] if len(frame) > 1 else None
    return {"unit_name": unit_name, "score": float(unit["score"]), "gap": 100.0 - float(unit["score"]),
            "n_basis": int(unit["n_basis"]), "n_indicators": int(unit["n_indicators"]),
            "weight_share": float(unit["weight_share"]),
            "reference_name": reference_name if city is not None else "",
            "reference_score": float(city["score"]) if city is not None else None,
            "composition": zhejiang_basis_composition(catalogue, year)}


def zhejiang_index_sentence(record: Mapping) -> str:
    """The 浙江对标指数 sentence from :func:`zhejiang_index_record`:
    ``浙江对标指数（只用有浙江公开数值的7项指标…，浙江数值=100）：枞阳县为47.4，与浙江差距52.6分；铜陵市为51.0。…``
    The only sentence of the reports that compares a number with Zhejiang."""
    if not record:
        return _t("sentence.zhejiang_none")
    reference = (_tf("sentence.zhejiang_reference", reference_name=record["reference_name"],
                     reference_score=format_number(record["reference_score"], 1))
                 if record.get("reference_name") and not _missing(record.get("reference_score")) else "")
    return _tf("sentence.zhejiang_index", n_basis=record["n_basis"], unit_name=record["unit_name"],
               composition=zhejiang_composition_phrase(record), score=format_number(record["score"], 1), gap=format_number(record["gap"], 1), reference=reference,
               n_indicators=record["n_indicators"], share=f"{format_number(100 * record['weight_share'], 1)}%")


def figure_phrase(value, unit: str, decimals: int, year_label, kind, region: str = "", *,
                  repost: bool = False) -> str:
    """A published figure with its year and kind, for a comparison cell:
    ``40,311元（2023年实际）``, ``85.0%（2022年目标）``, ``100.0%（浙江绍兴2020年实际）`` (a city's
    figure names the city); ``—`` when missing. A target reads 目标, never 实际. ``repost``: the
    figure's only source is a repost (``source_kind`` repost): ``40,311元（2023年实际，转载）``."""
    if _missing(value):
        return "—"
    year = format_year_label(year_label)
    where = region_label(region) if region and "(" in str(region) else ""
    key = "format.figure_year_kind_repost" if repost else "format.figure_year_kind"
    return _tf(key, value=format_value(value, unit, decimals),
               year=where + (_tf("format.year", year=year) if year else ""), kind=KIND_WORD.get(str(kind), ""))


def gap_sentence_below_average(unit_name: str, row: Mapping, note: str, catalogue: Catalogue | None = None) -> str:
    """The gap sentence of a benchmark that is reached but lies below a published Anhui or
    national average (``note``, e.g. ``基准低于安徽2023年实际88.4%，达到基准不算达标``), which is
    never written 已达到基准: ``枞阳县自来水普及率为95.9%，高于全国2022年目标85.0%，但基准低于安徽约2024年实际97.0%，
    达到基准不算达标。``"""
    cat = catalogue or load_catalogue()
    name, unit, dec = indicator_format(cat, row["indicator_id"])
    bench = benchmark_phrase(row.get("benchmark_region"), row.get("benchmark_year"), row.get("benchmark_kind"),
                             row.get("benchmark"), unit, dec, **row_marks(row, cat))
    head = _tf("sentence.gap_head", unit_name=unit_name, name=name, value=format_value(row.get("value"), unit, dec))
    return _tf("sentence.gap_reached_below_average", head=head, bench=bench, note=note)


# ---------------------------------------------------------------------------------- summary (结论摘要)
def _level_word(level: str) -> str:
    """How the summary names units of a level: 乡镇, 县区, 市, or 村 (label ``summary.level.<level>``)."""
    return _t(f"summary.level.{level}")


def _points(x) -> str:
    return format_number(x, 1)


def _render_summary_standing(rec: Record, cat: Catalogue) -> str:
    """``枞阳县2023年和美指数54.2（基准=100），在铜陵市4个县区中列第4位；比2019年提高17.1分（37.1→54.2），排名未变。``"""
    d = rec.detail
    peers = _level_word(str(d.get("level", "county")))
    text = _tf("summary.standing", unit=rec.unit, year=d["year"], score=_points(rec.value))
    if not _missing(d.get("rank")) and int(d.get("n_units") or 1) > 1:
        text += _tf("summary.rank_in", where=d.get("reference_name", ""), n=int(d["n_units"]), peers=peers,
                    rank=int(d["rank"]))
    if not _missing(d.get("province_rank")):
        key = "summary.rank_province" if d.get("whole_province") else "summary.rank_province_partial"
        text += _tf(key, n=int(d["province_n"]), peers=peers, rank=int(d["province_rank"]))
    change = d.get("change")
    if _missing(change):
        return text + _tf("summary.one_year", year=d["year"]) + _t("punct.full_stop")
    step = round(float(change), 1)
    key = "summary.change_up" if step > 0 else "summary.change_down" if step < 0 else "summary.change_flat"
    text += _tf(key, first_year=d["first_year"], change=_points(abs(step)), first_score=_points(d["first_score"]),
                score=_points(rec.value))
    # the rank then and now: among the city's units, else the province's
    before, now = d.get("first_rank"), d.get("rank")
    if _missing(before) or _missing(now):
        before, now = d.get("province_first_rank"), d.get("province_rank")
    if not _missing(before) and not _missing(now):
        before, now = int(before), int(now)
        if now == before:
            text += _tf("summary.rank_same", rank=now)
        else:
            text += _tf("summary.rank_up" if now < before else "summary.rank_down", first_rank=before, rank=now)
    return text + _t("punct.full_stop")


def _render_summary_zhejiang(rec: Record, cat: Catalogue) -> str:
    """``浙江对标指数46.1（7项有浙江公开数值的指标，其中3项为浙江目标值、1项为浙江绍兴数值、1项为2025年数值；
    浙江=100），距浙江还差53.9分；铜陵市为58.4。`` (:func:`zhejiang_composition_phrase`)."""
    d = rec.detail
    if _missing(rec.value):
        return _t("summary.zhejiang_none")
    reference = (_tf("summary.zhejiang_reference", reference_name=d["reference_name"],
                     reference_score=_points(d["reference_score"]))
                 if d.get("reference_name") and not _missing(d.get("reference_score")) else "")
    return _tf("summary.zhejiang", score=_points(rec.value), n_basis=int(d["n_basis"]), gap=_points(d["gap"]),
               composition=zhejiang_composition_phrase(d), reference=reference)


def summary_quantity(rec: Record, cat: Catalogue, short: bool = False) -> str:
    """The quantity of a priority indicator (``rec.indicator``): for a yes/no item counted over
    villages ``标准化卫生室：190个村中约33个村达到（17.4%），还差约157个村（基准：政策标准全覆盖100.0%）``
    (``n_have`` + ``n_without`` = ``n_total``); when the benchmark share is below 100 % the
    villages without it and those still needed to reach the benchmark differ (``n_needed``) and
    both are said: ``实用性村庄规划：190个村中约37个村具备（19.5%），约153个村尚未具备；达到基准
    （全国2022年目标90.0%）还需约134个村``; else the gap in the indicator's unit
    ``农村居民人均可支配收入为18,703元，距基准（浙江2023年实际40,311元）还差21,608元``. ``short``: only
    the count or gap (``还差约157个村``), as the recommendations cite it."""
    d = rec.detail
    name, unit, dec = indicator_format(cat, rec.indicator)
    bench = benchmark_phrase(d.get("benchmark_region"), d.get("benchmark_year"), d.get("benchmark_kind"),
                             rec.benchmark, unit, dec,
                             **row_marks({**d, "benchmark": rec.benchmark}, cat, rec.indicator))
    if _missing(rec.value):
        return _tf("summary.quantity_no_data", indicator=name)
    if d.get("binary") and not _missing(d.get("n_without")):
        n_without = int(d["n_without"])
        needed = d.get("n_needed")
        partial = not _missing(needed) and int(needed) != n_without  # a benchmark below 100 %
        key = "summary.quantity_villages_partial" if partial else "summary.quantity_villages"
        if short:
            return _tf(key + "_short", n_without=_count(n_without), n_needed=_count(int(needed) if partial else n_without))
        return _tf(key, indicator=name, n_total=_count(int(d["n_total"])), n_have=_count(int(d["n_total"]) - n_without),
                   value=format_value(rec.value, unit, dec), n_without=_count(n_without),
                   n_needed=_count(int(needed) if partial else n_without), bench=bench)
    gap = d.get("abs_gap")
    if short:
        return _tf("summary.quantity_gap_short", gap=format_gap(gap, unit, dec))
    return _tf("summary.quantity_gap", indicator=name, value=format_value(rec.value, unit, dec), bench=bench,
               gap=format_gap(gap, unit, dec))


def _render_summary_priority(rec: Record, cat: Catalogue) -> str:
    """``1. 农村公共服务功能（宜居环境美）距基准65.3分，最大短板是标准化卫生室：…还差约157个村（…）。``"""
    lab, d = catalogue_labels(cat), rec.detail
    return _tf("summary.priority", rank=int(d["rank"]), task=lab.name(rec.task), dimension=lab.name(rec.dimension),
               distance=_points(d["distance"]), quantity=summary_quantity(rec, cat))


def _sub_scores_text(items) -> str:
    return _t("punct.list_sep").join(_tf("summary.name_score", name=w["name"], score=_points(w["score"]))
                                     for w in items)


def _render_summary_lagging(rec: Record, cat: Catalogue) -> str:
    """The child units below the unit's own index (``parts``, lowest first; ``n_below`` of the
    ``n_children`` are below ``unit_score``): ``低于铜陵市水平（64.3分）的县区有1个（共4个）：枞阳县54.2分
    （最弱村：小街村7.5分、孙畈村10.1分）。``; when more are below than are named
    ``…的乡镇有5个（共9个），最低的3个：…``; when none is: ``4个县区的和美指数均不低于铜陵市（64.3分）。``
    With a single child unit: ``铜官区只有1个乡镇，不作乡镇比较；得分最低的村：…。``"""
    d = rec.detail
    word, sub = _level_word(d["level"]), _level_word(d["sub_level"])
    n = int(d.get("n_children", 0))
    if n < 2:
        return _tf("summary.lagging_single", unit=rec.unit, word=word, sub=sub,
                   weakest=_sub_scores_text(d.get("weakest", ())))
    score = _points(d["unit_score"])
    parts_list = d.get("parts", ())
    if not parts_list:
        return _tf("summary.lagging_none", unit=rec.unit, unit_score=score, word=word, n=n)
    parts = _t("punct.semicolon").join(
        _tf("summary.lagging_part", name=p["name"], score=_points(p["score"]), sub=sub,
            weakest=_sub_scores_text(p["weakest"])) for p in parts_list)
    n_below = int(d.get("n_below", len(parts_list)))
    key = "summary.lagging" if n_below <= len(parts_list) else "summary.lagging_lowest"
    return _tf(key, unit=rec.unit, unit_score=score, word=word, n=n, n_below=n_below, k=len(parts_list),
               parts=parts)


def _render_summary_plan(rec: Record, cat: Catalogue) -> str:
    """``规划进度（截至2023年底，按已验收计）。铜陵市“5511”工程：和美乡村精品示范村落后于进度（已验收0个，
    按进度应完成约10个；其中枞阳县已验收0个、在建2个、申报1个）；…。安徽…工程：省级中心村2024年起实施。``
    Targets of the province judged on part of it (``partial``) are left out (the plan section
    shows them); the items are grouped by programme."""
    d = rec.detail
    items = [it for it in d.get("items", ()) if str(it.get("status", "")) != "partial"]
    if not items:
        return _t("summary.plan_none")
    groups: dict[str, list[str]] = {}
    for it in items:
        status = str(it.get("status", ""))
        word = plan_status_word(it)
        if status in ("ahead", "on schedule", "behind"):
            part = it.get("part")
            part_text = (_tf("summary.plan_part", unit=rec.unit, accepted=_count(part["accepted"]),
                             under_construction=_count(part["under_construction"]), declared=_count(part["declared"]))
                         if part and d.get("show_part") else "")
            text = _tf("summary.plan_judged", item=it["item_zh"], status=word, accepted=_count(it["accepted"]),
                       expected=_count(it["expected_whole"]), part=part_text)
        else:
            text = _tf("summary.plan_other", item=it["item_zh"], status=word)
        groups.setdefault(str(it["programme_zh"]), []).append(text)
    programmes = "".join(_tf("summary.plan_programme", programme=p, items=_t("punct.semicolon").join(t))
                         for p, t in groups.items())
    return _tf("summary.plan", as_of=as_of_phrase(d["as_of"]), programmes=programmes)


def _place_text(place: Mapping, binary: bool, unit: str, dec: int) -> str:
    if place.get("level") == "village" and binary:
        return str(place["name"])
    if binary and not _missing(place.get("n_without")):
        return _tf("summary.place_count", name=place["name"], n=_count(int(place["n_without"])))
    return _tf("summary.place_value", name=place["name"], value=format_value(place.get("value"), unit, dec))


def _render_summary_recommendation(rec: Record, cat: Catalogue) -> str:
    """One 建议 (kinds ``task``, ``lagging``, ``declining`` of
    :func:`hemei_tools.engine.summary.recommendations`): what to do, on which indicator of which
    task, where, and the evidence."""
    lab, d = catalogue_labels(cat), rec.detail
    name, unit, dec = indicator_format(cat, rec.indicator) if rec.indicator else ("", "", 0)
    sep = _t("punct.list_sep")
    kind = d["kind"]
    if kind == "task":
        binary = bool(d.get("binary"))
        places = sep.join(_place_text(p, binary, unit, dec) for p in d.get("places", ()))
        evidence = [_tf("summary.evidence_distance", distance=_points(d["distance"]))]
        clause = trend_clause(d.get("closes"), d.get("year_closes"), d.get("trend_class"), d.get("target_year"))
        evidence.append(clause or _t("summary.evidence_no_trend"))
        if d.get("has_ledger"):
            if int(d.get("n_projects") or 0) == 0:
                evidence.append(_t("summary.evidence_no_projects"))
            elif int(d.get("n_overdue") or 0) > 0:
                evidence.append(_tf("summary.evidence_overdue", n_projects=int(d["n_projects"]),
                                    n_overdue=int(d["n_overdue"]), completion=format_number(d["completion_rate"], 1)))
            else:
                evidence.append(_tf("summary.evidence_projects", n_projects=int(d["n_projects"]),
                                    completion=format_number(d["completion_rate"], 1)))
        return _tf("summary.rec_task", rank=int(d["rank"]), action=_t(f"summary.action.{d['action']}"),
                   indicator=name, task=lab.name(rec.task), quantity=summary_quantity(rec, cat, short=True),
                   places=_tf("summary.rec_places", places=places) if places else "",
                   evidence=_t("punct.semicolon").join(evidence))
    if kind == "lagging":
        places = d.get("places", ())
        binary_villages = d.get("level") == "village" and bool(d.get("binary"))
        values = sep.join(
            (_tf("summary.place_no" if not p.get("value") else "summary.place_yes", name=p["name"]) if binary_villages
             else _tf("summary.place_value", name=p["name"], value=format_value(p.get("value"), unit, dec)))
            for p in places)
        scores = sep.join(_tf("summary.name_score", name=p["name"], score=_points(p["score"])) for p in places)
        weakest = [w for p in places for w in p.get("weakest", ())]
        tail = (_tf("summary.rec_lagging_villages", sub=_level_word(d.get("sub_level", "village")),
                    villages=_sub_scores_text(weakest)) if weakest else "")
        return _tf("summary.rec_lagging", rank=int(d["rank"]), word=_level_word(d["level"]),
                   names=sep.join(str(p["name"]) for p in places), indicator=name, task=lab.name(rec.task),
                   values=values, scores=scores, unit=rec.unit, unit_score=_points(d["unit_score"]), tail=tail)
    # declining
    places = sep.join(_tf("summary.place_change", name=p["name"], before=format_value(p["value_base"], unit, dec),
                          after=format_value(p["value"], unit, dec)) for p in d.get("places", ()))
    return _tf("summary.rec_declining", rank=int(d["rank"]), indicator=name, task=lab.name(rec.task), unit=rec.unit,
               base_year=int(d["base_year"]), value_base=format_value(d["value_base"], unit, dec), year=int(d["year"]),
               value=format_value(rec.value, unit, dec),
               places=_tf("summary.rec_declining_places", places=places) if places else "",
               trend=TREND_ZH["moving away"])


RENDERERS.update({
    "summary_standing": _render_summary_standing,
    "summary_zhejiang": _render_summary_zhejiang,
    "summary_priority": _render_summary_priority,
    "summary_lagging": _render_summary_lagging,
    "summary_plan": _render_summary_plan,
    "summary_recommendation": _render_summary_recommendation,
})
