"""Take the numbers away (issue 14, points 3 and 4): numbered tables and figures, a CSV download
under each, the tables published for the workbook, 2× PNG charts with alt text, and the title,
unit and source inside each image.

Tables and charts here are small literal frames; expected cells, numbers and names are written
out by hand.
"""

from __future__ import annotations

import base64
import io

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from markupsafe import Markup
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from hemei_tools.catalogue import load_catalogue
from hemei_tools.contract import TABLE_MIME
from hemei_tools.present import downloads as dl
from hemei_tools.present import plots
from hemei_tools.present import section_parts as sp
from hemei_tools.render.sanitize import sanitize_html

CAT = load_catalogue()
MARK = "示例数据（模拟）"


@pytest.fixture(autouse=True)
def _isolated_figures():
    with mpl.rc_context():
        yield
    plt.close("all")


def gap_frame() -> pd.DataFrame:
    ids = CAT.indicators.loc[CAT.indicators["scored"] & (CAT.indicators["direction"] == 1), "indicator_id"].head(3)
    return pd.DataFrame({
        "level": "county", "unit_code": "340722", "unit_name": "枞阳县", "year": 2023, "indicator_id": ids.tolist(),
        "value": [50.0, 90.0, 120.0], "benchmark": [100.0, 100.0, 100.0], "distance": [50.0, 10.0, 0.0],
        "status": ["red", "yellow", "green"],
    })


def display_table() -> pd.DataFrame:
    """A report table as sections build it: formatted text cells."""
    return pd.DataFrame({
        "指标": ["卫生室", "集体收入", "=HYPERLINK(\"http://x\")", "…"],
        "现值": ["17.4%", "1,250.5万元", "—", "…"],
        "基准": ["80.0%", "2,000.0万元", "—", "…"],
        "完成率": ["50.0%", "12.5%", "—", "…"],
        "排名": ["2（1–3）", "1", "3", "…"],
        "来源": pd.Series([Markup('<a href="https://example.org/a?b=1&amp;c=2">统计公报</a>'), "—", "x", "…"],
                        dtype=object),
        "村数": ["190", "12", "3", "…"],
        "年份": [2023, 2023, 2023, np.nan],
    })


# ---------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(("text", "expected"), [
    ("1,250.5万元", (1250.5, "万元")), ("17.4%", (17.4, "%")), ("-3", (-3, "")), ("\u22122.5个百分点", (-2.5, "个百分点")),
    ("2023", (2023, "")), ("1e3", (1000.0, "")),
    ("2023–2027", None), ("约2035年", None), ("2（1–3）", None), ("3/3", None), ("T01 规划", None), ("村", None),
])
def test_parse_number_reads_a_formatted_number_and_its_unit(text, expected):
    got = dl.parse_number(text)
    assert got == expected
    if expected is not None:
        assert type(got[0]) is type(expected[0])


def test_export_frame_gives_numbers_with_units_in_headers():
    """现值 and 基准 hold a unit per row: numbers plus one shared unit column; 完成率 is all %:
    a number column headed 完成率（%）; 排名 has a range in one cell: text; the link keeps its
    address; the gap row (all …) is gone; a number column stays."""
    out = dl.export_frame(display_table())
    assert out.columns.tolist() == ["指标", "现值", "现值的单位", "基准", "完成率（%）", "排名", "来源", "村数", "年份"]
    assert out["现值"].tolist() == [17.4, 1250.5, None]
    assert out["现值的单位"].tolist() == ["%", "万元", None]
    assert out["基准"].tolist() == [80.0, 2000.0, None]
    assert out["完成率（%）"].tolist() == [50.0, 12.5, None]
    assert out["排名"].tolist() == ["2（1–3）", "1", "3"]
    assert out["来源"].tolist() == ["统计公报（https://example.org/a?b=1&c=2）", None, "x"]
    assert out["村数"].tolist() == [190, 12, 3]
    assert out["年份"].tolist() == [2023, 2023, 2023]  # whole floats as integers
    assert out["指标"].tolist()[2] == '=HYPERLINK("http://x")'  # inert only when written (csv_bytes)


def test_the_csv_download_is_excel_ready_and_inert():
    """UTF-8 with a byte-order mark, CRLF, Chinese intact, a formula-like cell quoted."""
    frame = dl.export_frame(display_table())
    uri = dl.csv_data_uri(frame)
    head, data = uri.split(",", 1)
    assert head == "data:text/csv;charset=utf-8;base64"
    raw = base64.b64decode(data)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == "指标,现值,现值的单位,基准,完成率（%）,排名,来源,村数,年份"
    assert lines[1] == "卫生室,17.4,%,80.0,50.0,2（1–3）,统计公报（https://example.org/a?b=1&c=2）,190,2023"
    assert lines[3] == "\"'=HYPERLINK(\"\"http://x\"\")\",,,,,3,x,3,2023"
    assert lines[4] == "" and len(lines) == 5


def test_numbers_in_a_text_column_are_written_as_they_are():
    """190 stays 190 beside 54.2 (pandas would write 190.0), a missing cell is empty, and a
    number written as text is inert like text (-inf would read as a formula)."""
    frame = pd.DataFrame({"现值": pd.Series([190, 54.2, None, float("-inf")], dtype=object), "x": list("abcd")})
    raw = base64.b64decode(dl.csv_data_uri(frame).split(",", 1)[1])
    assert raw == "\ufeff现值,x\r\n190,a\r\n54.2,b\r\n,c\r\n'-inf,d\r\n".encode("utf-8")


def test_a_shown_table_gets_the_csv_and_the_sheet_of_its_export_frame():
    """show_table builds the download and the workbook sheet from one conversion of the table:
    the same bytes and cells as csv_data_uri and payload of export_frame."""
    headers, columns = dl._export_columns(display_table())
    frame = dl.export_frame(display_table())
    assert headers == frame.columns.tolist() == ["指标", "现值", "现值的单位", "基准", "完成率（%）", "排名", "来源",
                                                 "村数", "年份"]
    assert dl._columns_uri(headers, columns) == dl.csv_data_uri(frame)
    sheet = dl._payload("表1 主要数据", headers, columns)
    assert sheet == dl.payload("表1 主要数据", frame)
    assert sheet["rows"][2] == ['=HYPERLINK("http://x")', None, None, None, None, "3", "x", 3, 2023]


def test_the_download_link_passes_the_report_filter_and_nothing_else_does():
    link = dl.download_html(pd.DataFrame({"a": [1]}), "枞阳县2023_表1_主要数据", "下载表1数据（CSV）")
    assert link.startswith('<a class="hemei-download" download="枞阳县2023_表1_主要数据.csv" '
                           'href="data:text/csv;charset=utf-8;base64,')
    assert sanitize_html(link) == link
    # a data: link of any other type, or without a download name, keeps only its text
    for evil in ('<a download="x.csv" href="data:text/html;base64,PHNjcmlwdD4=">t</a>',
                 '<a href="data:text/csv;base64,AAAA">t</a>',
                 '<a download="../x.csv" href="data:text/csv;base64,AAAA">t</a>',
                 '<a download="x.exe" href="data:text/csv;base64,AAAA">t</a>',
                 '<a download="x.csv" href="data:text/csv;base64,AA AA">t</a>'):
        assert sanitize_html(evil) == "t", evil


def test_file_names_lose_the_characters_a_file_system_refuses():
    assert dl.safe_filename('枞阳县:2023/表1*?"<>|') == "枞阳县_2023_表1______"


# ---------------------------------------------------------------------------------- display
def _show(section):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as cap:
        section._ipython_display_()
    return cap.outputs


@sp.report_section
def section_demo(source):
    """A two-table, one-chart section for the display tests."""
    shown = pd.DataFrame({"指标": ["甲", "乙"], "完成率": ["50.0%", "12.5%"]})
    long = pd.DataFrame({"指标": ["甲", "乙", "丙"], "完成率": ["50.0%", "12.5%", "0.0%"]})
    ax = plots.plot_gap_bars(gap_frame(), measure="distance")
    return sp.Section(parts=(sp._md("文字"), sp._styler(shown), sp._figure(ax),
                             sp._styler(pd.DataFrame({"x": ["1"]}), title="自带标题")),
                      tables={"ledger": shown, "other": pd.DataFrame({"x": ["1"]}), "villages": long},
                      downloads={"ledger": long})


class _Synthetic:
    synthetic = True


def test_showing_a_section_numbers_its_tables_and_figures_and_adds_a_download_under_each():
    dl.start_report("枞阳县2023_")
    sec = section_demo(_Synthetic())
    assert sec.name == "demo"
    outs = _show(sec)
    kinds = [("md" if "text/markdown" in o.data else "png" if "image/png" in o.data
              else "payload" if TABLE_MIME in o.data else "html") for o in outs]
    assert kinds == ["md", "html", "payload", "png", "payload", "html", "payload", "payload"]
    # table 1: numbered caption with the mark; its download offers the long frame (downloads=)
    assert f"<caption>表1\u3000项目台账 · <span class=\"hemei-synthetic-mark\">{MARK}</span></caption>" in \
        outs[1].data["text/html"]
    t1 = outs[2].data[TABLE_MIME]
    assert t1 == {"sheet": "表1 项目台账", "columns": ["指标", "完成率（%）"],
                  "rows": [["甲", 50.0], ["乙", 12.5], ["丙", 0.0]]}
    assert 'download="枞阳县2023_表1_项目台账.csv"' in outs[2].data["text/html"]
    assert ">下载表1数据（CSV）</a>" in outs[2].data["text/html"]
    # figure 1: a 2× PNG shown at 1×, alt text from the chart, caption and data download
    png = outs[3]
    meta = png.metadata["image/png"]
    info = plots.chart_info(sec.figures[0])
    assert meta["alt"] == info.alt and meta["alt"].startswith("条形图：枞阳县2023年3项指标距基准的差距")
    image = Image.open(io.BytesIO(base64.b64decode(png.data["image/png"])))
    assert image.size == (2 * meta["width"], 2 * meta["height"])
    assert meta["width"] == round(sec.figures[0].get_size_inches()[0] * sp.FIGURE_DPI)
    assert image.mode == "P"  # a palette PNG
    cap = outs[4].data["text/html"]
    assert cap.startswith(f'<p class="hemei-figcaption">图1：{info.caption} <a class="hemei-download" '
                          'download="枞阳县2023_图1_枞阳县2023年各指标距基准的差距.csv"')
    assert outs[4].data[TABLE_MIME]["sheet"] == "图1 枞阳县2023年各指标距基准的差距"
    assert outs[4].data[TABLE_MIME]["columns"][:4] == ["指标", "单位", "现值", "基准"]
    title = [t for t in sec.figures[0].texts if t.get_gid() == sp.TITLE_GID]
    assert [t.get_text() for t in title] == ["图1\u3000枞阳县2023年各指标距基准的差距"]
    # table 2 keeps its own title; the table not shown gets a download at the end
    assert "<caption>表2\u3000自带标题 · " in outs[5].data["text/html"]
    assert outs[7].data[TABLE_MIME]["sheet"] == "全部村庄"
    assert ">下载数据：全部村庄（CSV）</a>" in outs[7].data["text/html"]
    # shown again in a new report: numbers restart, the caption is not numbered twice
    dl.start_report("")
    again = _show(sec)
    assert "<caption>表1\u3000项目台账 · " in again[1].data["text/html"]
    assert [t.get_text() for t in sec.figures[0].texts if t.get_gid() == sp.TITLE_GID] == \
        ["图1\u3000枞阳县2023年各指标距基准的差距"]


def test_every_html_output_of_a_section_passes_the_report_filter_unchanged():
    dl.start_report("枞阳县2023_")
    for out in _show(section_demo(_Synthetic())):
        html = out.data.get("text/html")
        if html and "<table" not in html:
            assert sanitize_html(html) == html


# ---------------------------------------------------------------------------------- figures
def test_a_dressed_figure_has_title_unit_source_and_mark_inside_and_covers_nothing():
    fig = sp._figure(plots.plot_gap_bars(gap_frame(), measure="distance"))
    h0 = fig.get_size_inches()[1]
    sp.dress_figure(fig, synthetic=True)
    sp.dress_figure(fig, synthetic=True)  # once only
    texts = {t.get_gid(): t for t in fig.texts if t.get_gid()}
    footer = [t.get_text() for t in fig.texts if t.get_gid() == sp.FOOTER_GID]
    assert texts[sp.TITLE_GID].get_text() == "枞阳县2023年各指标距基准的差距"
    assert footer == ["单位：分（0=达到基准）",
                      "数据来源：各村统计数据按指标体系汇总；基准及其出处见附录“方法与来源”"]
    assert texts[sp.MARK_GID].get_text() == MARK
    # title strip 0.36 in, footer 0.12 + 2 lines of 0.17 in
    assert fig.get_size_inches()[1] == pytest.approx(h0 + 0.36 + 0.12 + 2 * 0.17)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    for t in [texts[sp.TITLE_GID], texts[sp.MARK_GID], *[t for t in fig.texts if t.get_gid() == sp.FOOTER_GID]]:
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1
        for ax in fig.axes:
            assert not box.overlaps(ax.get_tightbbox(renderer))


def test_real_data_get_title_and_source_but_no_mark():
    fig = sp.dress_figure(sp._figure(plots.plot_gap_bars(gap_frame())), synthetic=False)
    assert [t for t in fig.texts if t.get_gid() == sp.MARK_GID] == []
    assert all(MARK not in t.get_text() for t in fig.texts)
    assert any(t.get_gid() == sp.TITLE_GID for t in fig.texts)


def test_a_chart_drawn_elsewhere_gets_its_lines_as_data_and_an_alt_text_from_its_labels():
    fig, ax = plt.subplots()
    ax.plot([2021, 2022], [1.0, 2.5], label="甲")
    ax.plot([2021, 2022], [0.0, 0.0], label="_hidden")
    ax.set_ylabel("得分")
    data = dl.figure_data(fig)
    assert data.to_dict("list") == {"数据系列": ["甲", "甲"], "横轴数值": [2021.0, 2022.0], "纵轴数值": [1.0, 2.5]}
    assert dl.generic_alt(fig) == "图表：得分、甲。"


def test_the_2x_png_is_no_larger_than_the_1x_truecolour_one():
    """The gap chart at 2× in a 256-colour palette stays within the size of the 1× truecolour PNG."""
    fig = sp.dress_figure(sp._figure(plots.plot_gap_bars(gap_frame(), measure="distance")), synthetic=True)
    png, width, height = dl.figure_png(fig)
    one = io.BytesIO()
    fig.savefig(one, format="png", dpi=sp.FIGURE_DPI)
    assert len(png) <= len(one.getvalue())
    assert Image.open(io.BytesIO(png)).size == (2 * width, 2 * height)
    assert np.isclose(width, fig.get_size_inches()[0] * sp.FIGURE_DPI, atol=1)
