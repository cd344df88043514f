"""全省县区排名 (hemei_tools.present.league_sections, league_plot) on the tiny three-city province.

The province (tests/province_data.py; scores by hand in tests/engine/test_league.py): 3407's
two counties tie at the top with 100 − (100 − a)/32, 3402's two follow (the one at 600 first),
3401's two tie at 0; the median county is the mean of 3402's two. A small literal frame checks
the dot plot's drawing on the fixed 0–100 scale.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from province_data import AMOUNT, YEAR, write_province

from hemei_tools.contract import TABLE_MIME
from hemei_tools.engine.region import analyse_region, load_region_context
from hemei_tools.present import downloads as dl
from hemei_tools.present import league_sections as ls
from hemei_tools.present import narrative as nv
from hemei_tools.present import section_parts as sp
from hemei_tools.present import sections as sc
from hemei_tools.present.league_plot import city_order, plot_league
from hemei_tools.present.plots import chart_info
from hemei_tools.present.style import score_colour

MARK = "示例数据（模拟）"
HEADERS = ["排名", "县区", "所属市", "和美指数", "市内排名", "较2022年变化（分）", "红灯任务数"]


@pytest.fixture(autouse=True)
def _isolated_figures():
    with mpl.rc_context():
        yield
    plt.close("all")


def _top() -> float:
    """3407's 和美指数: 100 − (100 − a)/32, a = 100·(700 − L)/(B − L)."""
    from hemei_tools.catalogue import load_catalogue

    ref = load_catalogue().reference_goalposts
    io = ref[(ref["indicator_id"] == AMOUNT) & (ref["basis"] == "reference")].set_index("role")
    b, lo = float(io.loc["benchmark", "value"]), float(io.loc["low", "value"])
    return 100 - (100 - 100 * (700 - lo) / (b - lo)) / 32


@pytest.fixture(scope="module")
def province(province_dir):
    return analyse_region(load_region_context(str(province_dir), "", YEAR), n_runs=0, child_runs=0)


@pytest.fixture(scope="module")
def section(province):
    return sc.section_league(province)


def _show(section):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as cap:
        section._ipython_display_()
    return cap.outputs


# ---------------------------------------------------------------------------------- section
def test_the_section_heads_itself_and_states_the_league_in_one_sentence(section):
    top = nv.format_number(_top(), 1)
    league = section.data["league"]
    median = nv.format_number(league.loc[league["city_code"] == "3402", "score"].mean(), 1)
    assert section.name == "league"
    assert section.parts[0].data == "## 全省县区排名"
    assert section.parts[1].data == (
        f"安徽省6个县区中，和美指数最高的是铜陵市县340701、铜陵市县340702（均为{top}分），"
        f"最低的是合肥市县340101、合肥市县340102（均为0.0分）；县区中位数为{median}分。"
        f"各市县区得分的中位数以铜陵市最高（{top}分），合肥市最低（0.0分）。与2022年相比，6个县区均持平。")


def test_the_record_agrees_with_the_table(section):
    rec, t = section.data["record"], section.tables["league"]
    assert rec.kind == "league" and rec.unit == "安徽省" and rec.provenance == "synthetic"
    d = rec.detail
    assert d["n"] == len(t) == 6
    first = t[t["排名"] == t["排名"].min()]
    last = t[t["排名"] == t["排名"].max()]
    assert [p["name"] for p in d["best"]] == first["县区"].tolist() == ["县340701", "县340702"]
    assert [p["city"] for p in d["best"]] == first["所属市"].tolist()
    assert [p["name"] for p in d["worst"]] == last["县区"].tolist() == ["县340101", "县340102"]
    assert rec.value == pytest.approx(section.data["league"]["score"].median())
    assert round(rec.value, 1) == pytest.approx(t["和美指数"].iloc[2:4].mean(), abs=0.051)
    assert (d["city_best"]["name"], d["city_worst"]["name"]) == ("铜陵市", "合肥市")
    assert d["first_year"] == 2022 and (d["n_up"], d["n_down"], d["n_flat"]) == (0, 0, 6)
    assert rec.text == section.parts[1].data


def test_the_table_lists_every_county_by_rank(section):
    t = section.tables["league"]
    assert list(t.columns) == HEADERS
    assert t["排名"].tolist() == [1, 1, 3, 4, 5, 5]
    assert t["县区"].tolist() == ["县340701", "县340702", "县340202", "县340201", "县340101", "县340102"]
    assert t["所属市"].tolist() == ["铜陵市", "铜陵市", "芜湖市", "芜湖市", "合肥市", "合肥市"]
    assert t["和美指数"].tolist()[:2] == [round(_top(), 1)] * 2 and t["和美指数"].tolist()[4:] == [0.0, 0.0]
    assert t["市内排名"].tolist() == [1, 1, 1, 2, 1, 1]
    assert t["较2022年变化（分）"].tolist() == [0.0] * 6
    # every task of 3401 is red (all indicators at distance 100), none of 3407's
    assert t["红灯任务数"].tolist()[:2] == [0, 0] and t["红灯任务数"].tolist()[4:] == [16, 16]
    html = section.html()
    assert "全部6个县区（按2023年和美指数排名）" in html and MARK in html
    assert f'background-color: {score_colour(0.0)}' in html  # the fixed 0–100 scale


def test_shown_the_section_offers_the_chart_and_the_full_table_for_download(section):
    dl.start_report("安徽省2023_")
    outs = _show(section)
    kinds = [("md" if "text/markdown" in o.data else "png" if "image/png" in o.data
              else "payload" if TABLE_MIME in o.data else "html") for o in outs]
    assert kinds == ["md", "md", "png", "payload", "html", "payload"]
    alt = outs[2].metadata["image/png"]["alt"]
    assert alt.startswith("点图：安徽省6个县区2023年的和美指数，按3个市分行；最高为县340701")
    assert outs[3].data[TABLE_MIME]["sheet"] == "图1 安徽省各县区和美指数（2023年）"
    assert "<caption>表1\u3000全省县区排名 · 全部6个县区" in outs[4].data["text/html"]
    table = outs[5].data[TABLE_MIME]
    assert table["sheet"] == "表1 全省县区排名" and table["columns"] == HEADERS
    assert len(table["rows"]) == 6 and table["rows"][4] == [5, "县340101", "合肥市", 0.0, 1, 0.0, 16]
    assert 'download="安徽省2023_表1_全省县区排名.csv"' in outs[5].data["text/html"]


def test_the_figure_is_dressed_and_marked(section):
    (fig,) = section.figures
    assert chart_info(fig).kind == "league"
    assert [t.get_text() for t in fig.texts if t.get_gid() == sp.MARK_GID] == [MARK]


def test_change_words_when_counties_rose(tmp_path, isolated_cache):
    """3407's villages at industry_output 100 in 2022 (0 points): its two counties rose since."""
    folder = write_province(tmp_path / "rising")
    obs = pd.read_csv(folder / "observations.csv", dtype={"village_code": str})
    rows = (obs["year"] == 2022) & (obs["indicator_id"] == AMOUNT) & obs["village_code"].str.startswith("3407")
    obs.loc[rows, "value"] = 100.0
    obs.to_csv(folder / "observations.csv", index=False)
    sec = sc.section_league(analyse_region(load_region_context(str(folder), "", YEAR), n_runs=0, child_runs=0))
    assert sec.parts[1].data.endswith("与2022年相比，2个县区上升、4个县区持平。")
    change = sec.tables["league"]["较2022年变化（分）"]
    assert change.tolist()[:2] == [round(_top() - (100 - 100 / 32), 1)] * 2
    assert "<td class=\"data row0 col5\" >+" in sec.html()


def test_one_year_of_data_has_no_change_column_or_words(tmp_path, isolated_cache):
    folder = write_province(tmp_path / "one")
    obs = pd.read_csv(folder / "observations.csv", dtype={"village_code": str})
    obs[obs["year"] == YEAR].to_csv(folder / "observations.csv", index=False)
    sec = sc.section_league(analyse_region(load_region_context(str(folder), "", YEAR), n_runs=0, child_runs=0))
    assert list(sec.tables["league"].columns) == [h for h in HEADERS if not h.startswith("较")]
    assert "相比" not in sec.text and sec.data["record"].detail["first_year"] is None


@pytest.mark.parametrize("code", ["340200", "340202"])
def test_a_city_or_county_report_shows_nothing(province_dir, code):
    a = analyse_region(load_region_context(str(province_dir), code, YEAR), n_runs=0, child_runs=0)
    sec = sc.section_league(a)
    assert sec.parts == () and dict(sec.tables) == {} and sec.name == "league"
    assert _show(sec) == []


# ---------------------------------------------------------------------------------- words
def test_tied_counties_beyond_three_are_counted():
    parts = [{"name": f"县{i}", "city": "甲市", "score": 50.0} for i in range(5)]
    assert ls._names(parts) == "甲市县0、甲市县1、甲市县2等5个县区（均为50.0分）"
    assert ls._names(parts[:1]) == "甲市县0（50.0分）"


def test_signed_changes():
    assert [ls._signed(x) for x in (1.24, -0.5, 0.04, -0.04, np.nan)] == ["+1.2", "\u22120.5", "0.0", "0.0", "—"]


# ---------------------------------------------------------------------------------- plot
def _frame() -> pd.DataFrame:
    """Three cities: 甲 (80, 60 → median 70), 乙 (90, 20, 40 → median 40), 丙 (50 → 50)."""
    return pd.DataFrame({
        "unit_code": ["000101", "000102", "000201", "000202", "000203", "000301"],
        "unit_name": ["甲一", "甲二", "乙一", "乙二", "乙三", "丙一"],
        "city_code": ["0001", "0001", "0002", "0002", "0002", "0003"],
        "city_name": ["甲市", "甲市", "乙市", "乙市", "乙市", "丙市"],
        "score": [80.0, 60.0, 90.0, 20.0, 40.0, 50.0],
    })


def test_the_dot_plot_has_a_row_per_city_by_median_on_the_fixed_scale():
    ax = plot_league(_frame(), unit="某省", year=2023)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["甲市", "丙市", "乙市"]
    assert ax.get_xlim() == (0.0, 100.0)
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # the best city at the top
    (dots,) = [c for c in ax.collections if c.get_gid() == "league-county"]
    x = dots.get_offsets()[:, 0]
    # each dot's colour is its score's on the 0–100 scale, whatever the other scores
    for xi, rgba in zip(x, dots.get_facecolors(), strict=True):
        assert tuple(rgba) == pytest.approx(to_rgba(score_colour(xi)), abs=1e-6)
    (median,) = [ln for ln in ax.lines if ln.get_gid() == "league-median"]
    assert list(median.get_xdata()) == [70.0, 50.0, 40.0] and list(median.get_ydata()) == [0, 1, 2]
    names = {t.get_text() for t in ax.texts}
    assert {"乙一", "乙二"} <= names  # the best and the worst county are named
    info = chart_info(ax)
    assert info.title == "某省各县区和美指数（2023年）"
    assert info.alt == ("点图：某省6个县区2023年的和美指数，按3个市分行；最高为乙一（90.0分），最低为乙二（20.0分）；"
                        "县区中位数最高的市为甲市（70.0分），最低的为乙市（40.0分）。")
    assert list(info.data.columns) == ["所属市", "县区", "和美指数（分）", "市中位数（分）"]
    assert info.data["县区"].tolist() == ["甲一", "甲二", "丙一", "乙一", "乙三", "乙二"]
    assert info.data["市中位数（分）"].tolist() == [70.0, 70.0, 50.0, 40.0, 40.0, 40.0]


def test_city_order_ties_by_code():
    f = _frame().assign(score=50.0)
    assert city_order(f)["city_code"].tolist() == ["0001", "0002", "0003"]
