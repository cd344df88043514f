"""The report theme and the packaged Chinese font.

The rendering tests fail on any missing-glyph warning or font-fallback log record; two
control tests show that the same detector does fire when the CJK face is not used.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from contextlib import contextmanager
from importlib import resources

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib import font_manager, ft2font

from hemei_tools.errors import HemeiError, SpecError
from hemei_tools.present import style


@pytest.fixture(autouse=True)
def _isolated_figures():
    """Restore rcParams and close every figure after each test."""
    with mpl.rc_context():
        yield
    plt.close("all")


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def font_problems():
    """Collect "Glyph … missing" warnings and font-fallback log records while rendering."""
    logger = logging.getLogger("matplotlib.font_manager")
    handler = _Records()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    # findfont results are cached; clear so a fallback decided earlier is decided (and logged) again
    font_manager.fontManager._findfont_cached.cache_clear()
    found: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    found += [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    found += [
        r.getMessage() for r in handler.records
        if r.levelno >= logging.WARNING or "not found" in r.getMessage() or "Falling back" in r.getMessage()
    ]


def render_chinese_figure() -> bytes:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [-1.5, 0.5, 2.0], label="铜官区")
    ax.set_title("卫生厕所普及率（%）与浙江标杆")
    ax.set_xlabel("年份")
    ax.set_ylabel("距标杆差距（得分点）")
    ax.set_xticks([0, 1, 2], ["枞阳县", "义安区", "郊区"])
    ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    return buf.getvalue()


def packaged_font_path() -> str:
    with resources.as_file(resources.files(style.CJK_PACKAGE) / style.CJK_FILE) as p:
        return str(p)


def test_chinese_renders_with_no_missing_glyph_and_no_fallback():
    style.set_theme()
    with font_problems() as problems:
        png = render_chinese_figure()
    assert png.startswith(b"\x89PNG")
    assert problems == []


def test_detector_fires_without_the_cjk_font():
    """Control: with DejaVu Sans only, the same figure reports missing glyphs."""
    style.set_theme()
    mpl.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    with font_problems() as problems:
        render_chinese_figure()
    assert any("Glyph" in p or "missing" in p for p in problems)


def test_detector_fires_on_font_fallback_log():
    """Control: an unknown family is logged by findfont and caught as a problem."""
    style.set_theme()
    mpl.rcParams["font.family"] = ["No Such Font Family 2026"]
    with font_problems() as problems:
        render_chinese_figure()
    assert any("No Such Font Family 2026" in p for p in problems)


def test_text_resolves_to_the_packaged_simplified_chinese_face():
    """Works from pip alone: the face comes from the wheel, not from system fonts."""
    family = style.register_cjk_font()
    assert family == "Noto Sans CJK SC"
    found = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert str(found) == packaged_font_path()
    face = ft2font.FT2Font(str(found), face_index=getattr(found, "face_index", 0))
    assert face.family_name == "Noto Sans CJK SC"


def test_collection_registers_the_simplified_chinese_family():
    style.register_cjk_font()
    path = packaged_font_path()
    names = {f.name for f in font_manager.fontManager.ttflist if str(f.fname) == path}
    assert {"Noto Sans CJK SC", "Noto Sans CJK JP"} <= names


def test_rc_after_register():
    style.register_cjk_font()
    assert list(mpl.rcParams["font.family"]) == ["sans-serif"]
    assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
    assert mpl.rcParams["axes.unicode_minus"] is False


def test_seaborn_theme_then_set_theme_keeps_cjk():
    sns.set_theme()
    assert mpl.rcParams["font.sans-serif"][0] != "Noto Sans CJK SC"  # seaborn did reset it
    style.set_theme()
    assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
    with font_problems() as problems:
        render_chinese_figure()
    assert problems == []


def test_set_theme_then_seaborn_then_register_restores_cjk():
    style.set_theme()
    sns.set_theme(style="ticks")
    style.register_cjk_font()
    assert mpl.rcParams["font.sans-serif"][:2] == ["Noto Sans CJK SC", "DejaVu Sans"]


def test_set_theme_is_idempotent_and_adds_the_font_once():
    style.set_theme()
    n_fonts = len(font_manager.fontManager.ttflist)
    rc = {k: mpl.rcParams[k] for k in ("font.family", "font.sans-serif", "figure.figsize", "savefig.dpi")}
    style.set_theme()
    style.register_cjk_font()
    assert len(font_manager.fontManager.ttflist) == n_fonts
    assert {k: mpl.rcParams[k] for k in rc} == rc


def test_report_context_sizes():
    style.set_theme("report")
    assert tuple(mpl.rcParams["figure.figsize"]) == (7.0, 4.2)
    assert mpl.rcParams["savefig.dpi"] == 100
    assert mpl.rcParams["savefig.bbox"] is None  # a fixed layout: no tight bbox (draws twice)


def test_unknown_context_names_the_choices():
    with pytest.raises(SpecError, match="report"):
        style.set_theme("poster-xl")
    assert issubclass(SpecError, HemeiError)


def test_status_colours_are_distinct_valid_colours():
    lights = ["green", "yellow", "orange", "red"]
    assert list(style.STATUS_ORDER) == lights
    rgba = [mcolors.to_rgba(style.STATUS_COLOURS[s]) for s in lights]
    assert len(set(rgba)) == 4
    assert mcolors.is_color_like(style.STATUS_COLOURS["na"])
    # green is the greenest and red the reddest of the four
    assert max(rgba, key=lambda c: c[1] - c[0]) == rgba[0]
    assert max(rgba, key=lambda c: c[0] - c[1] - c[2]) == rgba[3]


def test_inline_backend_drops_tight_bbox_in_a_kernel(monkeypatch):
    """In a kernel, set_theme() turns off the inline backend's second (tight-bbox) draw."""
    import IPython
    import IPython.core.pylabtools as pylabtools
    from matplotlib_inline.backend_inline import InlineBackend

    calls = []
    shell = type("FakeKernelShell", (), {"kernel": object()})()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(pylabtools, "select_figure_formats",
                        lambda sh, formats, **kw: calls.append((sh, set(formats), kw)))
    cfg = InlineBackend.instance()
    before = dict(cfg.print_figure_kwargs)
    try:
        style.set_theme()
        assert calls[-1][0] is shell and calls[-1][2]["bbox_inches"] is None
        assert cfg.print_figure_kwargs["bbox_inches"] is None
        style.set_theme(inline_tight=True)
        assert calls[-1][2]["bbox_inches"] == "tight"
    finally:
        cfg.print_figure_kwargs = before


def test_inline_configuration_is_skipped_outside_a_kernel():
    assert style.configure_inline() is False


def test_a_rebuilt_font_manager_gets_the_font_again(monkeypatch):
    import copy

    style.register_cjk_font()
    path = packaged_font_path()
    fresh = copy.copy(font_manager.fontManager)
    fresh.ttflist = [f for f in fresh.ttflist if str(f.fname) != path]
    monkeypatch.setattr(font_manager, "fontManager", fresh)
    style.register_cjk_font()
    assert fresh.ttflist[0].name in {"Noto Sans CJK JP", "Noto Sans CJK SC"} and str(fresh.ttflist[0].fname) == path
    assert any(f.name == "Noto Sans CJK SC" and str(f.fname) == path for f in fresh.ttflist)


# ---------------------------------------------------------------------------------- contrast
def test_contrast_ratio_is_wcag_2():
    """Black on white is (1 + 0.05) / (0 + 0.05) = 21; #777777 (channel 0.4667 → linear
    ((0.4667 + 0.055) / 1.055)^2.4 = 0.1845) on white is 1.05 / 0.2345 = 4.48; symmetric."""
    assert style.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert style.relative_luminance("#777777") == pytest.approx(0.1845, abs=1e-4)
    assert style.contrast_ratio("#ffffff", "#777777") == pytest.approx(4.48, abs=0.01)
    assert style.contrast_ratio("#777777", "#ffffff") == style.contrast_ratio("#ffffff", "#777777")


def test_the_old_badges_failed_and_every_cell_colour_now_has_text_of_contrast_4_5():
    """White on the old yellow, orange and green was 1.69, 2.51 and 3.45 : 1; every colour a
    table paints now gets the text colour that reaches WCAG AA (4.5 : 1)."""
    old = {"#f2c12e": 1.69, "#f08a24": 2.51, "#2e9e44": 3.45}
    for colour, ratio in old.items():
        assert style.contrast_ratio("#ffffff", colour) == pytest.approx(ratio, abs=0.01)
    painted = {**{f"status.{k}": v for k, v in style.STATUS_COLOURS.items()},
               **{f"plan.{k}": v for k, v in style.PLAN_STATUS_COLOURS.items()},
               **{f"robust.{k}": v for k, v in style.ROBUSTNESS_COLOURS.items()}}
    ratios = {k: style.contrast_ratio(style.text_colour(c), c) for k, c in painted.items()}
    assert min(ratios.values()) >= style.MIN_CONTRAST == 4.5, ratios
    # dark ink on yellow and orange, white on red and green
    assert style.text_colour(style.STATUS_COLOURS["yellow"]) == style.INK
    assert style.text_colour(style.STATUS_COLOURS["orange"]) == style.INK
    assert style.text_colour(style.STATUS_COLOURS["red"]) == "#ffffff"
    assert style.text_colour(style.STATUS_COLOURS["green"]) == "#ffffff"


def test_every_score_colour_has_text_of_contrast_4_5():
    """Scores 0–100 in steps of 0.1 on the fixed scale: the text colour reaches 4.5 : 1 on each
    (white against black meet at L ≈ 0.179 with 4.58 : 1)."""
    worst = min(style.contrast_ratio(style.text_colour(style.score_colour(s)), style.score_colour(s))
                for s in np.linspace(0, 100, 1001))
    assert worst >= 4.5


def test_the_score_scale_is_fixed_from_0_to_100():
    """A score's colour is cmap(s / 100) whatever else is shown; out of range clips; missing is None."""
    cmap = mpl.colormaps[style.SCORE_CMAP]
    assert style.SCORE_RANGE == (0.0, 100.0)
    assert style.score_colour(25) == mcolors.to_hex(cmap(0.25))
    assert style.score_colour(130) == mcolors.to_hex(cmap(1.0)) and style.score_colour(-5) == mcolors.to_hex(cmap(0.0))
    assert style.score_colour(float("nan")) is None and style.score_colour("—") is None
    assert style.score_norm()(75) == pytest.approx(0.75)


def test_status_cells_write_dark_text_on_yellow():
    """The status column of a report table: yellow with dark ink, red with white."""
    import pandas as pd

    from hemei_tools.present import narrative as nv
    from hemei_tools.present.section_parts import _status_colours, _styler

    frame = pd.DataFrame({"状态": [nv.STATUS_ZH["yellow"], nv.STATUS_ZH["red"]]})
    html = _styler(frame, {"状态": _status_colours()}).to_html()
    assert f"background-color: {style.STATUS_COLOURS['yellow']};\n  color: {style.INK};" in html
    assert f"background-color: {style.STATUS_COLOURS['red']};\n  color: #ffffff;" in html


def test_word_columns_align_left_and_number_columns_stay_right():
    """Names, sources and sentences read from the left; scores, ranks and amounts stay right."""
    from hemei_tools.present.section_parts import _styler, text_columns

    frame = pd.DataFrame({"乡镇": ["白梅乡", "会宫镇"], "得分": ["23.8", "41.4"], "排名": ["17/17", "—"],
                          "来源": ["国家统计局2023年统计公报", "转载页"], "基准": ["2023年实际40,311元", "—"]})
    assert text_columns(frame) == ["乡镇", "来源"]
    page = _styler(frame).to_html()
    rules = re.findall(r"td\.(col\d+) \{\s*text-align: left;", page)
    assert rules == ["col0", "col3"]
