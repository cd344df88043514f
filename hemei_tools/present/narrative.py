"""Generated Chinese sentences for the reports, built from data.

Every sentence is assembled from a row of an engine frame (gaps, trends, weakest links, plan
progress) and the catalogue: indicator names, units and decimals come from ``indicators.csv``,
task and dimension names from ``framework.csv``. Nothing here names an indicator.

Number formatting (:func:`format_value`): the catalogue's ``decimals`` with a thousands
separator, followed by the unit (``81.2%``, ``40,311元``, ``10.4万人次``). A gap in an
indicator measured in % is a difference of percentages, so it is written in 个百分点
(percentage points): ``3.8个百分点``.

Example (a county, an indicator with a national 2022 target, projected to close)::

    枞阳县卫生厕所普及率为81.2%，距基准（全国2022年目标85.0%）差3.8个百分点，按当前增速预计2025年达到。
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue

#: Chinese names of the benchmark regions used in ``benchmarks.csv`` (``region`` column).
#: ``"X (Y)"`` is written Y + X (e.g. ``Shaoxing (Zhejiang)`` → 浙江绍兴); unknown names are kept.
REGION_ZH: dict[str, str] = {
    "China": "全国",
    "Anhui": "安徽",
    "Zhejiang": "浙江",
    "Tongling": "铜陵",
    "Shaoxing": "绍兴",
    "Ningbo": "宁波",
    "data": "本地数据",
}

#: How each benchmark kind (``benchmarks.csv`` ``kind``) reads after region and year.
KIND_WORD: dict[str, str] = {"actual": "实际", "target": "目标", "standard": "标准", "frontier": "前沿值"}

#: Trend classes of :mod:`hemei_tools.engine.trends` in report wording (Open SDG progress statuses).
TREND_ZH: dict[str, str] = {
    "achieved": "已达标",
    "on track": "进展顺利",
    "moderately improving": "有所改善，需加快",
    "stagnating": "进展有限",
    "moving away": "偏离目标",
}

#: Plan-progress statuses of :func:`hemei_tools.engine.progress.plan_progress` in report wording.
PLAN_STATUS_ZH: dict[str, str] = {
    "ahead": "超前于进度",
    "on schedule": "与进度持平",
    "behind": "落后于进度",
    "not measured": "村庄名录无法统计",
    "partial": "仅计本市贡献，不评进度",
}

#: Traffic-light statuses of :mod:`hemei_tools.engine.gaps` in report wording.
STATUS_ZH: dict[str, str] = {"green": "达标", "yellow": "接近", "orange": "差距较大", "red": "差距很大"}

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
    text = re.sub(r"^c\.\s*", "约", text)
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


def format_number(x, decimals: int) -> str:
    """``x`` with ``decimals`` places and a thousands separator; ``—`` when missing.

    ``format_number(40311, 0) == "40,311"``; ``format_number(81.24, 1) == "81.2"``.
    """
    if _missing(x):
        return "—"
    v = round(float(x), int(decimals))
    return f"{v + 0.0 if v != 0 else 0.0:,.{int(decimals)}f}"


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
        return f"{format_number(gap, decimals)}个百分点"
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


def benchmark_phrase(region, year, kind, value, unit: str, decimals: int) -> str:
    """The benchmark as cited in a sentence: ``全国2022年目标85.0%``, ``浙江2023年实际40,311元``.

    A ``frontier`` benchmark has no published source: ``本地村庄前沿值（2023年）2,032万元``.
    """
    v = format_value(value, unit, decimals)
    y = "" if _missing(year) else f"{int(year)}年"
    if kind == "frontier":
        return f"本地村庄前沿值（{y}）{v}" if y else f"本地村庄前沿值{v}"
    return f"{region_label(region)}{y}{KIND_WORD.get(str(kind), '')}{v}"


def trend_clause(closes, year_closes=None, trend_class=None) -> str:
    """How the trend reads after the gap: ``按当前增速预计2025年达到`` (no final punctuation).

    ``closes`` is the :func:`hemei_tools.engine.trends.compute_trends` column (achieved, projected,
    not at current pace); ``""`` when there is no trend (a single year of data).
    """
    if closes == "projected" and not _missing(year_closes):
        return f"按当前增速预计{int(year_closes)}年达到"
    if closes == "not at current pace":
        label = TREND_ZH.get(str(trend_class), "")
        return f"按当前增速难以达到（{label}）" if label else "按当前增速难以达到"
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
                             row.get("benchmark"), unit, dec)
    head = f"{unit_name}{name}为{format_value(row.get('value'), unit, dec)}"
    if _missing(row.get("value")):
        return f"{unit_name}{name}暂无数据（基准：{bench}）。"
    gap = row.get("abs_gap")
    if not _missing(gap) and float(gap) <= 0:
        return f"{head}，已达到基准（{bench}）。"
    text = f"{head}，距基准（{bench}）差{format_gap(gap, unit, dec)}"
    clause = trend_clause(row.get("closes"), row.get("year_closes"), row.get("trend_class"))
    return f"{text}，{clause}。" if clause else f"{text}。"


def task_sentence(row: Mapping, catalogue: Catalogue | None = None) -> str:
    """One sentence on a weak task (a ``kind == "task"`` row of :func:`hemei_tools.engine.gaps.weakest_links`).

    ``任务“农村人居环境整治”（宜居环境美）平均距基准32.5分，短板指标为生活污水治理率。``
    The distance is 0–100 score points (100 minus the task's goalpost score).
    """
    lab = catalogue_labels(catalogue)
    worst = row.get("worst_indicator")
    tail = f"，短板指标为{lab.name(worst)}" if not _missing(worst) and worst else ""
    return (f"任务“{lab.name(row['task_id'])}”（{lab.name(row['dimension_id'])}）"
            f"平均距基准{format_number(row.get('distance'), 1)}分{tail}。")


def weakest_links_markdown(unit_name: str, links: pd.DataFrame, catalogue: Catalogue | None = None) -> str:
    """Markdown: the weakest indicators (one sentence each, with their task) and the weakest tasks.

    Parameters
    ----------
    links
        :func:`hemei_tools.engine.gaps.weakest_links` output, optionally with the trend columns
        ``closes``, ``year_closes``, ``trend_class`` joined on ``code``.
    """
    cat = catalogue or load_catalogue()
    ind = links[links["kind"] == "indicator"]
    tasks = links[links["kind"] == "task"]
    if ind.empty and tasks.empty:
        return f"{unit_name}全部指标均已达到基准。"
    lines = []
    if not ind.empty:
        lines.append(f"**{unit_name}与基准差距最大的指标**：")
        lines += [f"{i}. 任务“{catalogue_labels(cat).name(r['task_id'])}”：{gap_sentence(unit_name, r, cat)}"
                  for i, r in enumerate(ind.to_dict("records"), start=1)]
    if not tasks.empty:
        lines.append("")
        lines.append("**差距最大的任务**：")
        lines += [f"{i}. {task_sentence(r, cat)}" for i, r in enumerate(tasks.to_dict("records"), start=1)]
    return "\n".join(lines)


def plan_sentence(row: Mapping, region_name: str = "") -> str:
    """One sentence on a plan target (a row of :func:`hemei_tools.engine.progress.plan_progress`).

    ``枞阳县和美乡村精品示范村（铜陵市“5511”工程）：2023年计划新增3个，截至2023年底已新增2个
    （完成66.7%），按进度应完成3.0个，落后于进度（差1个）。``
    """
    where = region_name or str(row.get("region_code", ""))
    start, end = int(row["baseline_year"]) + 1, int(row["target_year"])
    period = f"{end}年" if start == end else f"{start}–{end}年"
    head = (f"{where}{row['item_zh']}（{row['programme_zh']}）：{period}计划新增"
            f"{format_number(row['target_new'], 0)}个")
    status = str(row.get("status", ""))
    if status == "not measured" or _missing(row.get("actual")):
        return f"{head}，{PLAN_STATUS_ZH['not measured']}。"
    if status == "partial":
        return (f"{head}，截至{int(row['year'])}年底本市已新增{format_number(row['actual'], 0)}个"
                f"（占全省目标的{format_number(row['pct_of_target'], 1)}%）；全省进度需用全省数据评估。")
    text = (f"{head}，截至{int(row['year'])}年底已新增{format_number(row['actual'], 0)}个"
            f"（完成{format_number(row['pct_of_target'], 1)}%），按进度应完成{format_number(row['expected'], 1)}个，"
            f"{PLAN_STATUS_ZH.get(status, status)}")
    if status == "behind" and not _missing(row.get("shortfall")):
        text += f"（差{int(row['shortfall'])}个）"
    return text + "。"


def index_sentence(unit_name: str, score, rank, n_units: int, reference_name: str, reference_score,
                   peers: str = "县区") -> str:
    """The headline sentence on the 和美指数.

    ``枞阳县和美指数为50.1（浙江标杆=100），在4个县区中列第4位；铜陵市为62.3。``
    """
    text = f"{unit_name}和美指数为{format_number(score, 1)}（浙江标杆=100）"
    if not _missing(rank) and n_units > 1:
        text += f"，在{n_units}个{peers}中列第{int(rank)}位"
    if reference_name and not _missing(reference_score):
        text += f"；{reference_name}为{format_number(reference_score, 1)}"
    return text + "。"


def dimension_sentence(best: tuple[str, float], worst: tuple[str, float]) -> str:
    """``四个维度中宜养乡风美得分最高（71.2），宜业生活美最低（38.5）。``"""
    return (f"四个维度中{best[0]}得分最高（{format_number(best[1], 1)}），"
            f"{worst[0]}最低（{format_number(worst[1], 1)}）。")


__all__ = [
    "KIND_WORD",
    "PLAN_STATUS_ZH",
    "REGION_ZH",
    "STATUS_ZH",
    "TREND_ZH",
    "Labels",
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
    "plan_sentence",
    "region_label",
    "task_sentence",
    "trend_clause",
    "weakest_links_markdown",
]
