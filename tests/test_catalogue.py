"""The catalogue tables load, obey their rules, and broken variants are rejected by row."""

from __future__ import annotations

import shutil
from importlib import resources

import pandas as pd
import pytest

from hemei_tools.catalogue import load_catalogue
from hemei_tools.errors import CatalogueError


@pytest.fixture
def catalogue_copy(tmp_path):
    src = resources.files("hemei_tools") / "catalogue"
    for name in ("framework.csv", "indicators.csv", "benchmarks.csv", "plan_targets.csv", "reference_goalposts.csv"):
        with resources.as_file(src / name) as p:
            shutil.copy(p, tmp_path / name)
    return tmp_path


def test_packaged_catalogue_shape():
    cat = load_catalogue()
    assert len(cat.dimensions) == 4
    assert len(cat.tasks) == 16
    # every task has one to four indicators (catalogue/framework.csv, docs/methods.md)
    per_task = cat.indicators.groupby("task_id").size()
    assert per_task.between(1, 4).all() and len(per_task) == 16
    assert 28 <= len(cat.indicator_ids) <= 40


def test_effective_weights_sum_to_one():
    tree = load_catalogue().indicator_tree()
    assert tree["effective_weight"].sum() == pytest.approx(1.0)
    # equal weights: 4 dimensions x 4 tasks, so every task carries 1/16 of the index
    per_task = tree.groupby("task_id")["effective_weight"].sum()
    assert per_task.to_numpy() == pytest.approx([1 / 16] * 16)


def test_every_scored_indicator_has_one_sourced_benchmark():
    cat = load_catalogue()
    bt = cat.benchmark_table()
    assert list(bt["indicator_id"]) == cat.scored_ids
    assert bt["value"].notna().all()
    published = bt[bt["basis"].isin(["zhejiang", "national", "anhui", "local"])]
    assert published["source_url"].str.startswith("http").all()
    # no published figure: a policy standard (yes/no facilities, full coverage, no invented
    # citation) or a pinned reference that names its data, level, year and percentile
    policy = bt[bt["basis"] == "policy"]
    assert (policy["value"] == 100).all() and policy["source_url"].isna().all()
    assert set(cat.indicators.set_index("indicator_id").loc[policy["indicator_id"], "value_type"]) == {"binary"}
    ref = bt[bt["basis"] == "reference"]
    assert len(policy) + len(ref) + len(published) == len(bt)
    assert ref[["dataset", "level", "year", "percentile", "n_units"]].notna().all().all()
    assert (ref["kind"] == "reference").all() and (ref["percentile"] == 90).all()


def test_benchmark_values_match_the_published_sources():
    """Spot checks against the published figures (the source_title and source_url of each benchmarks.csv row)."""
    bt = load_catalogue().benchmarks.set_index(["indicator_id", "region", "year_label"])["value"]
    assert bt[("rural_income", "Zhejiang", "2023")] == 40311
    assert bt[("toilet_rate", "Anhui", "2023")] == 88.4
    assert bt[("collective_income_50w", "Zhejiang", "2022")] == 51.2


def test_plan_targets_5511():
    pt = load_catalogue().plan_targets
    city = pt[(pt["programme"] == "5511") & (pt["region_level"] == "city")].set_index("item")
    assert city.loc["boutique_village", "target_new"] == 50
    assert city.loc["central_village", "target_new"] == 100
    assert city.loc["demo_county", "target_new"] == 1
    assert (city["kind"] == "target").all()
    # the seed gives one window, 未来五年 (2023–2027), for all three 5511 targets
    assert city["baseline_year"].tolist() == [2022] * 3 and city["target_year"].tolist() == [2027] * 3
    # the 2023 county split 3/3/2/2 is the selection round's quota, not a target
    county_2023 = pt[(pt["programme"] == "5511") & (pt["region_level"] == "county")]
    assert (county_2023["kind"] == "quota").all()
    assert county_2023["target_new"].sum() == 10


def test_broken_plan_targets_are_rejected_by_row(catalogue_copy):
    def break_targets(df):
        df.loc[8, "kind"] = "goal"
        df.loc[2, "region_code"] = "34070"
        # a quota of a county of another city, and quotas above the city's 50
        df.loc[3, "region_code"] = "340102"
        df.loc[4, "target_new"] = "60"

    _edit(catalogue_copy, "plan_targets.csv", break_targets)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(catalogue_copy)
    text = "\n".join(err.value.problems)
    assert "plan_targets.csv row 10: kind 'goal' is not one of ('target', 'quota')" in text
    assert "plan_targets.csv row 4: region_code '34070' is not a city code" in text
    assert "plan_targets.csv row 5: quota of 340102 splits no 5511 boutique_village target" in text
    assert "plan_targets.csv row 6: the 2023 quotas of 5511 boutique_village inside 3407 add up to 64" in text


def test_labels_come_with_units():
    cat = load_catalogue()
    some = cat.indicators.iloc[0]
    assert cat.label(some["indicator_id"], with_unit=True) == f"{some['name_zh']}（{some['unit']}）"
    assert cat.label(cat.index_code) == "和美指数"


def _edit(folder, name, fn):
    df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(folder / name, index=False)


def test_broken_catalogue_lists_every_problem_with_its_row(catalogue_copy):
    def break_indicators(df):
        df.loc[1, "direction"] = "2"
        df.loc[2, "task_id"] = "T99"
        df.loc[3, "indicator_id"] = df.loc[0, "indicator_id"]

    def break_benchmarks(df):
        df.loc[0, "source_url"] = ""

    _edit(catalogue_copy, "indicators.csv", break_indicators)
    _edit(catalogue_copy, "benchmarks.csv", break_benchmarks)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(catalogue_copy)
    text = "\n".join(err.value.problems)
    assert "indicators.csv row 3" in text and "direction" in text
    assert "indicators.csv row 4" in text and "T99" in text
    assert "indicators.csv row 5" in text and "not unique" in text
    assert "benchmarks.csv row 2" in text and "source_url" in text


def test_scored_indicator_without_benchmark_is_rejected(catalogue_copy):
    path = catalogue_copy / "benchmarks.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.drop(index=df.index[df["role"] == "benchmark"][0]).to_csv(path, index=False)
    with pytest.raises(CatalogueError, match="has 0 benchmark rows"):
        load_catalogue(catalogue_copy)


def test_benchmark_basis_names_whose_figure_it_is():
    bm = load_catalogue().benchmarks.set_index(["indicator_id", "region", "year_label"])["basis"]
    assert bm[("rural_income", "Zhejiang", "2023")] == "zhejiang"
    assert bm[("sewage_rate", "Shaoxing (Zhejiang)", "2020")] == "zhejiang"
    assert bm[("toilet_rate", "China", "2022 (target)")] == "national"
    assert bm[("toilet_rate", "Anhui", "2023")] == "anhui"
    assert bm[("toilet_rate", "Tongling", "2023")] == "local"


def test_broken_goalposts_are_rejected_by_row(catalogue_copy):
    def break_benchmarks(df):
        df.loc[0, "basis"] = "zhejiang"  # village_plan, China
        df.loc[1, "kind"] = "frontier"   # no data-driven goalposts any more

    def break_reference(df):
        df.loc[0, "value"] = "80"        # an uncited policy standard must be full coverage
        ref = df.index[df["basis"] == "reference"]
        df.loc[ref[0], "dataset"] = ""
        df.loc[ref[1], "synthetic"] = "maybe"
        df.loc[ref[2], "level"] = "galaxy"

    _edit(catalogue_copy, "benchmarks.csv", break_benchmarks)
    _edit(catalogue_copy, "reference_goalposts.csv", break_reference)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(catalogue_copy)
    text = "\n".join(err.value.problems)
    assert "benchmarks.csv row 2 (village_plan): basis 'zhejiang' does not match region 'China'" in text
    assert "benchmarks.csv row 3" in text and "kind 'frontier'" in text
    assert "reference_goalposts.csv row 2 (health_room): a policy standard without a cited policy is full" in text
    assert "names its data set" in text and "synthetic 'maybe'" in text and "level 'galaxy'" in text


def test_each_scored_indicator_needs_one_goalpost_and_one_floor(catalogue_copy):
    def two_goalposts_and_no_floor(df):
        extra = df[df["indicator_id"] == "health_room"].assign(indicator_id="toilet_rate")
        df.loc[(df["indicator_id"] == "rural_income") & (df["role"] == "low"), "role"] = "alternative"
        df.loc[len(df)] = extra.iloc[0]

    _edit(catalogue_copy, "reference_goalposts.csv", two_goalposts_and_no_floor)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(catalogue_copy)
    text = "\n".join(err.value.problems)
    assert "scored indicator toilet_rate has 2 benchmark rows" in text
    assert "scored indicator rural_income has 0 lower goalposts" in text
    # hemei reference reads a catalogue whose goalposts it is about to compute
    (catalogue_copy / "reference_goalposts.csv").unlink()
    with pytest.raises(CatalogueError, match="industry_output has 0 benchmark rows"):
        load_catalogue(catalogue_copy)
    cat = load_catalogue(catalogue_copy, complete=False)
    assert cat.reference_goalposts.empty and cat.benchmark_table()["value"].isna().sum() == 15


def test_variant_catalogue_with_changed_weight_loads(catalogue_copy):
    def double_d1(df):
        df.loc[df["code"] == "D1", "weight"] = "2"

    _edit(catalogue_copy, "framework.csv", double_d1)
    tree = load_catalogue(catalogue_copy).indicator_tree()
    assert tree.groupby("dimension_id")["effective_weight"].sum()["D1"] == pytest.approx(0.4)


def test_published_benchmark_needs_publisher_and_known_source_kind(catalogue_copy):
    def break_sources(df):
        df.loc[0, "publisher"] = ""
        df.loc[1, "source_kind"] = "blog"

    _edit(catalogue_copy, "benchmarks.csv", break_sources)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(catalogue_copy)
    text = "\n".join(err.value.problems)
    assert "benchmarks.csv row 2" in text and "publisher" in text
    assert "benchmarks.csv row 3" in text and "'blog' is not one of" in text
    # benchmarks.csv holds published figures only: every row has a publisher and a source kind
    bm = load_catalogue().benchmarks
    assert bm[["publisher", "source_kind", "source_url"]].notna().all().all()


def test_vocabulary_labels_are_the_values_the_alias_table_canonicalises_to():
    """The ``vocab.*`` labels are category values the input files carry (schema checks accept
    exactly them): rewording one without the alias table would reject valid data, so the two
    tables must name the same values."""
    import csv
    from importlib import resources

    from hemei_tools.catalogue import load_labels

    vocab: dict[str, set[str]] = {}
    for key, text in load_labels().texts.items():
        if key.startswith("vocab."):
            vocab.setdefault(key.split(".")[1], set()).add(text)
    text = (resources.files("hemei_tools") / "catalogue" / "aliases.csv").read_text(encoding="utf-8")
    scopes = {"villages.village_type": "village_type", "villages.build_status": "build_status",
              "projects.status": "project_status", "projects.funding_source": "funding_source"}
    canonical: dict[str, set[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["kind"] == "value" and row["scope"] in scopes:
            canonical.setdefault(scopes[row["scope"]], set()).add(row["canonical"])
    assert canonical, "aliases.csv has no category value rows"
    for group, values in canonical.items():
        assert values <= vocab[group], (group, values - vocab[group])
