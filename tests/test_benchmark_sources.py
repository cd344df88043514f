"""Every shipped benchmark cites the best source the reference table holds for its figure.

``hemei_tools/catalogue/benchmark_sources.csv`` is the project's collected reference table
(vendored; see data/README.md). Each published row of ``benchmarks.csv`` must point at one of
its rows (so every figure is traceable) and, when it cites a repost, the table must hold no
official source (statistical bulletin, government site, official media) for the same figure.

Same figure (the rule used to fill ``publisher``/``source_kind`` by hand, and checked here):

* same ``region`` (exact text, e.g. ``China``, ``Shaoxing (Zhejiang)``);
* same year: the first four-digit year of ``year_label`` (benchmarks) and ``year`` (sources),
  so ``2022 (target)`` = 2022, ``c.2024`` = 2024, ``2023 (as of 2023-06)`` = 2023;
* same unit, and values within 0.5 % of each other;
* same concept: the indicator names (``source_indicator_zh`` / ``indicator_zh``) agree once
  trailing bracketed qualifiers are dropped (``(超过)``, ``(以上)``, ``(目标)``, ``(乡村振兴战略规划…)``)
  and ``常住`` is ignored; inner brackets stay (``农村生活污水治理(管控)率`` is a wider concept
  than ``农村生活污水治理率``).
"""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd
import pytest

OFFICIAL = ("statistical_bulletin", "government", "official_media")
KINDS = (*OFFICIAL, "repost", "unchecked")


def _read(name: str) -> pd.DataFrame:
    with resources.as_file(resources.files("hemei_tools") / "catalogue" / name) as p:
        return pd.read_csv(p, dtype=str, keep_default_na=False)


def _year(label: str) -> int | None:
    m = re.search(r"\d{4}", str(label))
    return int(m.group()) if m else None


def _concept(name: str) -> str:
    text = str(name).replace("（", "(").replace("）", ")").replace("常住", "").strip()
    while True:
        stripped = re.sub(r"\([^()]*\)$", "", text).strip()
        if stripped == text:
            return text
        text = stripped


def _same_figure(row: pd.Series, sources: pd.DataFrame) -> pd.Series:
    """Mask of the ``sources`` rows that carry the same figure as benchmark ``row``."""
    v, sv = float(row["value"]), pd.to_numeric(sources["value"], errors="coerce")
    return ((sources["region"] == row["region"])
            & (sources["year"].map(_year) == _year(row["year_label"]))
            & (sources["unit"] == row["unit"])
            & ((sv - v).abs() <= 0.005 * pd.concat([sv.abs(), pd.Series(abs(v), index=sv.index)], axis=1).max(axis=1))
            & (sources["indicator_zh"].map(_concept) == _concept(row["source_indicator_zh"])))


def source_problems(benchmarks: pd.DataFrame, sources: pd.DataFrame) -> list[str]:
    """Problems of the published rows of ``benchmarks`` against the reference table ``sources``:
    a URL the table does not hold for that figure; a ``publisher``/``source_kind`` that differs
    from the cited row; a figure cited from a non-official source (repost, unchecked, unknown)
    while the table holds an official row for it. A frame without ``source_kind`` (the
    catalogue before this check) takes the kind of the cited row, or ``unknown``."""
    problems = []
    published = benchmarks[benchmarks["kind"] != "frontier"]
    for i, r in published.iterrows():
        where = f"benchmarks row {int(i) + 2} ({r['indicator_id']}, {r['region']}, {r['year_label']}, {r['value']})"
        same = sources[_same_figure(r, sources)]
        cited = same[same["source_url"] == r["source_url"]]
        if cited.empty:
            problems.append(f"{where}: {r['source_url']} is not a source of this figure in benchmark_sources.csv")
            kind = r.get("source_kind", "unknown")
        else:
            kind = r.get("source_kind", cited["source_kind"].iloc[0])
            if "source_kind" in r and r["source_kind"] != cited["source_kind"].iloc[0]:
                problems.append(f"{where}: source_kind {r['source_kind']!r} != {cited['source_kind'].iloc[0]!r}")
            if "publisher" in r and r["publisher"] != cited["publisher"].iloc[0]:
                problems.append(f"{where}: publisher {r['publisher']!r} != {cited['publisher'].iloc[0]!r}")
        better = same[same["source_kind"].isin(OFFICIAL)]
        if kind not in OFFICIAL and not better.empty:
            problems.append(f"{where}: cites a {kind} source while an official one exists: "
                            f"{better['source_url'].iloc[0]} ({better['source_kind'].iloc[0]})")
    return problems


@pytest.fixture(scope="module")
def sources():
    return _read("benchmark_sources.csv")


@pytest.fixture(scope="module")
def benchmarks():
    return _read("benchmarks.csv")


def test_reference_table_is_the_collected_one(sources):
    assert len(sources) == 249
    assert set(sources["source_kind"]) <= set(KINDS)
    assert {"publisher", "source_kind", "quote", "indicator_zh", "source_url"} <= set(sources.columns)


def test_packaged_benchmarks_cite_the_best_source(benchmarks, sources):
    assert source_problems(benchmarks, sources) == []
    published = benchmarks[benchmarks["kind"] != "frontier"]
    assert published["source_kind"].isin(KINDS).all() and published["publisher"].str.strip().ne("").all()


def test_a_repost_with_an_official_source_fails(benchmarks, sources):
    """A deliberately bad copy: the national 2023 toilet figure back on its old English reprint
    (not in the table), and the tap-water figure on the raw-IP repost page."""
    bad = benchmarks.copy()
    toilet = (bad["indicator_id"] == "toilet_rate") & (bad["region"] == "China") & (bad["year_label"] == "2023")
    bad.loc[toilet, ["source_url", "source_kind"]] = ["https://newsflash.city/2402/ef557d366dfa96a1.html", "repost"]
    tap = (bad["indicator_id"] == "tap_water_rate") & (bad["region"] == "China") & (bad["kind"] == "actual")
    bad.loc[tap, ["source_url", "source_kind"]] = ["http://27.185.56.112:8082/attachment/news.php?VJZ=ydw.html",
                                                   "repost"]
    problems = "\n".join(source_problems(bad, sources))
    assert "toilet_rate" in problems and "official one exists: http://ptwbs.net/news-1051922.html" in problems
    assert "tap_water_rate" in problems and "chinanews.com.cn" in problems


def test_the_catalogue_before_source_kinds_fails(benchmarks, sources):
    """The pre-change layout (no publisher/source_kind columns; national toilets and sewage 2023
    cited from an English reprint) is caught by the same check."""
    old = benchmarks.drop(columns=["publisher", "source_kind"])
    for iid in ("toilet_rate", "sewage_rate"):
        m = (old["indicator_id"] == iid) & (old["region"] == "China") & (old["year_label"] == "2023")
        old.loc[m, "source_url"] = "https://newsflash.city/2402/ef557d366dfa96a1.html"
    problems = source_problems(old, sources)
    assert sum("official one exists" in p for p in problems) == 2


def test_the_year_labels_the_reference_table_fixed(benchmarks, sources):
    tap = benchmarks[(benchmarks["indicator_id"] == "tap_water_rate") & (benchmarks["region"] == "China")
                     & (benchmarks["kind"] == "actual")].iloc[0]
    assert (tap["year"], tap["year_label"], tap["value"], tap["source_kind"]) == ("2023", "2023", "90", "official_media")
    boutique = sources[(sources["indicator_zh"] == "和美乡村特色精品村") & (sources["region"] == "Zhejiang")].iloc[0]
    assert (boutique["year"], boutique["value"]) == ("2023 (as of 2023-06)", "2170")


def test_repost_only_rows_are_marked(benchmarks):
    """Figures whose only source is a repost stay, marked ``repost`` (the report writes 转载)."""
    reposts = benchmarks[benchmarks["source_kind"] == "repost"]
    assert ("rural_income", "Zhejiang", "2023") in set(zip(reposts["indicator_id"], reposts["region"],
                                                           reposts["year_label"], strict=True))
