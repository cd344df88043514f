"""The report theme: seaborn style, palette, sizes and the Chinese (CJK) font.

Chinese text renders on a fresh machine from pip alone: the ``noto-cjk-sans-otc`` wheel ships
``NotoSansCJK-Regular.ttc``, an OpenType collection holding the Japanese, Korean, Simplified
Chinese, Traditional Chinese and Hong Kong faces. ``matplotlib>=3.11`` registers every face of
the collection (older versions register only the first, Japanese, one); we select the
Simplified Chinese face by its family name, ``Noto Sans CJK SC``.

``seaborn.set_theme`` resets ``font.sans-serif`` to its own list (Arial, DejaVu Sans, ...), so
the CJK font is applied *after* seaborn, and plotting functions re-apply it (cheaply) before
drawing, so a user's later ``seaborn.set_theme()`` call cannot bring back the missing glyphs.

Public API
----------
``register_cjk_font()``
    Add the font to matplotlib's font manager (once per process) and make it the sans-serif
    face; returns the family name.
``set_theme(context="report")``
    The one theme for reports, chosen by name from :data:`CONTEXTS`; in a Jupyter kernel it
    also stops the inline backend's ``bbox_inches="tight"`` (a second draw per figure).
``STATUS_COLOURS``, ``STATUS_MARKERS``
    Traffic-light colours of the gap statuses (green, yellow, orange, red; ``na`` for missing)
    and the marker shape of each, so a chart tells the statuses apart without colour too.
``text_colour(background)``, ``contrast_ratio(a, b)``
    The text colour for a coloured cell (white or :data:`INK`, whichever contrasts more) and
    the WCAG 2 contrast ratio it reaches; every cell colour here gives at least
    :data:`MIN_CONTRAST` (4.5 : 1, WCAG AA for normal text).
``SCORE_CMAP``, ``SCORE_RANGE``, ``score_colour(score)``
    The one colour scale of scores in every report: fixed from 0 to 100, never rescaled to a
    table's own values, so the same colour means the same score everywhere.
"""

from __future__ import annotations

import warnings
from importlib import resources

import matplotlib as mpl
from matplotlib import font_manager

from hemei_tools.engine.gaps import STATUSES
from hemei_tools.errors import HemeiError, SpecError

CJK_PACKAGE = "noto_cjk_sans_otc"
CJK_FILE = "NotoSansCJK-Regular.ttc"
CJK_FAMILY = "Noto Sans CJK SC"
#: Face used for glyphs the CJK face lacks (matplotlib's bundled default, always present).
FALLBACK_FAMILY = "DejaVu Sans"

#: Dark text colour of the reports (the page's ``--hm-ink``), used on light cell colours.
INK = "#1f2933"
#: Smallest text/background contrast ratio allowed for a coloured cell (WCAG 2 AA, normal text).
MIN_CONTRAST = 4.5

#: Traffic-light colours for the gap ``status`` column (SDG-dashboard style, print-safe). A cell
#: writes its word in :func:`text_colour` of its colour: white on green and red, dark ink on
#: yellow, orange and grey, each at least :data:`MIN_CONTRAST` (tests/present/test_style.py).
STATUS_COLOURS: dict[str, str] = {
    "green": "#1a7f37",
    "yellow": "#f2c12e",
    "orange": "#f08a24",
    "red": "#c62a1a",
    "na": "#bdbdbd",
}
#: Marker shape of each status in charts (matplotlib marker codes), so the status reads from
#: the shape as well as the colour: ● reached, ◆ close, ▲ large gap, ✖ far short.
STATUS_MARKERS: dict[str, str] = {
    "green": "o",
    "yellow": "D",
    "orange": "^",
    "red": "X",
    "na": ".",
}
#: Edge colour of bars and markers of a status colour: light fills (yellow) stay visible on white.
STATUS_EDGE = "#3e4c59"
#: Order in which statuses are listed in legends, best first.
STATUS_ORDER: tuple[str, ...] = STATUSES
#: Table colours of the plan-progress statuses (:func:`hemei_tools.engine.progress.plan_progress`),
#: by status id; statuses not listed stay uncoloured.
PLAN_STATUS_COLOURS: dict[str, str] = {
    "ahead": STATUS_COLOURS["green"],
    "on schedule": STATUS_COLOURS["green"],
    "behind": STATUS_COLOURS["red"],
}
#: Table colours of the selection robustness labels (:mod:`hemei_tools.engine.selection`), by id.
ROBUSTNESS_COLOURS: dict[str, str] = {
    "robust": STATUS_COLOURS["green"],
    "marginal": STATUS_COLOURS["orange"],
    "out": "#666666",
}

#: Qualitative palette for series (units, regions); colour-blind-safe (Okabe-Ito based).
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)
#: Named roles used across the charts, so a benchmark looks the same everywhere.
ROLE_COLOURS: dict[str, str] = {
    "unit": PALETTE[0],
    "benchmark": "#d7301f",
    "average": "#7f7f7f",
    "schedule": "#7f7f7f",
    "actual": PALETTE[0],
    "interval": "#9ecae1",
}
#: Sequential colour map for normalised scores (0 = far from the benchmark, 100 = reached).
SCORE_CMAP = "YlGnBu"
#: The fixed range of :data:`SCORE_CMAP` in every chart and table: a score s has the colour
#: cmap((s − 0) / (100 − 0)) whatever the other values shown beside it.
SCORE_RANGE: tuple[float, float] = (0.0, 100.0)


def _channel(c: float) -> float:
    """sRGB channel (0–1) to linear light (WCAG 2 relative luminance)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of a colour: L = 0.2126 R + 0.7152 G + 0.0722 B of the
    linearised sRGB channels (c ≤ 0.04045: c / 12.92, else ((c + 0.055) / 1.055)^2.4).

    ``colour`` is anything matplotlib reads (``"#c62a1a"``, an RGB(A) tuple); alpha is ignored.
    White is 1, black 0.
    """
    from matplotlib.colors import to_rgb

    r, g, b = (_channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter luminance: 1 to 21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background) -> str:
    """The text colour for a cell of colour ``background``: white or :data:`INK`, whichever
    has the higher :func:`contrast_ratio` (ties go to white); when neither reaches
    :data:`MIN_CONTRAST` (mid-tones, L ≈ 0.2), white or black, whichever contrasts more. White
    and black meet at L = √(1.05 · 0.05) − 0.05 ≈ 0.179 with 4.58 : 1, so every background gets
    at least that."""
    best = max(("#ffffff", INK), key=lambda c: contrast_ratio(c, background))
    if contrast_ratio(best, background) >= MIN_CONTRAST:
        return best
    return max(("#ffffff", "#000000"), key=lambda c: contrast_ratio(c, background))


def cell_css(background) -> str:
    """CSS of a table cell painted ``background``, with its :func:`text_colour`."""
    return f"background-color: {background}; color: {text_colour(background)}"


def score_colour(score) -> str | None:
    """The colour of a score on the fixed scale (:data:`SCORE_CMAP` over :data:`SCORE_RANGE`,
    scores outside it clipped), as ``#rrggbb``; ``None`` for a missing score."""
    import math

    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    try:
        s = float(score)
    except (TypeError, ValueError):
        return None
    if math.isnan(s):
        return None
    lo, hi = SCORE_RANGE
    return to_hex(colormaps[SCORE_CMAP](min(max((s - lo) / (hi - lo), 0.0), 1.0)))


def score_norm():
    """The matplotlib ``Normalize`` of the fixed score scale (0–100), for ``imshow`` and colour bars."""
    from matplotlib.colors import Normalize

    return Normalize(vmin=SCORE_RANGE[0], vmax=SCORE_RANGE[1], clip=True)

#: Theme presets by name: seaborn context and font scale, then matplotlib rcParams.
CONTEXTS: dict[str, dict] = {
    "report": {
        "seaborn_context": "notebook",
        "font_scale": 0.9,
        "rc": {
            "figure.figsize": (7.0, 4.2),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.constrained_layout.use": False,
            "axes.titlesize": 12,
            "axes.titleweight": "normal",
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        },
    },
    "slide": {
        "seaborn_context": "talk",
        "font_scale": 0.9,
        "rc": {
            "figure.figsize": (10.0, 5.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        },
    },
}


class StyleError(HemeiError):
    """The CJK font cannot be found or registered (the package is missing or broken)."""


#: The font manager the collection was added to, and the collection's path.
_REGISTERED: dict[str, object] = {}


def _add_cjk_font() -> str:
    """Add the packaged collection to matplotlib's font manager once; return its path.

    Remembered per font-manager object, so a rebuilt manager gets the font again.
    """
    if _REGISTERED.get("manager") is font_manager.fontManager:
        return str(_REGISTERED["path"])
    try:
        ref = resources.files(CJK_PACKAGE) / CJK_FILE
    except ModuleNotFoundError as exc:
        raise StyleError(
            f"the Chinese font package {CJK_PACKAGE!r} is not installed; "
            "install it with `pip install noto-cjk-sans-otc`"
        ) from exc
    if not ref.is_file():
        raise StyleError(f"{CJK_FILE} is missing from the {CJK_PACKAGE!r} package; reinstall it")
    # A wheel installs the font as a real file, so the path stays valid after this block.
    with resources.as_file(ref) as path:
        fname = str(path)
    known = {f.name for f in font_manager.fontManager.ttflist if str(f.fname) == fname}
    if CJK_FAMILY not in known:
        font_manager.fontManager.addfont(fname)
    fm = font_manager.fontManager
    ours = [f for f in fm.ttflist if str(f.fname) == fname]
    names = {f.name for f in ours}
    if CJK_FAMILY not in names:
        raise StyleError(
            f"matplotlib {mpl.__version__} did not register {CJK_FAMILY!r} from {CJK_FILE} "
            "(it registered only " + ", ".join(sorted(names)) + "); matplotlib>=3.11 is needed"
        )
    # A system copy of Noto Sans CJK (Debian's fonts-noto-cjk) scores the same and would win
    # the tie by coming first: put the packaged faces first so every machine renders alike.
    fm.ttflist[:] = ours + [f for f in fm.ttflist if str(f.fname) != fname]
    clear = getattr(fm._findfont_cached, "cache_clear", None)
    if clear is not None:
        clear()
    _REGISTERED.update(manager=fm, path=fname)
    return fname


def register_cjk_font() -> str:
    """Make the Simplified Chinese Noto face matplotlib's sans-serif font.

    Adds the collection to the font manager the first time (about 15 ms), then on every call
    sets ``font.family = ["sans-serif"]``, puts ``Noto Sans CJK SC`` first in
    ``font.sans-serif`` (``DejaVu Sans`` after it) and ``axes.unicode_minus = False`` (an
    ASCII hyphen for minus signs). Idempotent; a repeat call only compares three rcParams.

    Returns
    -------
    str
        The family name now used for text, ``"Noto Sans CJK SC"``.

    Raises
    ------
    StyleError
        If the font package is missing or matplotlib cannot read the collection's faces.
    """
    _add_cjk_font()
    rc = mpl.rcParams
    sans = [CJK_FAMILY, FALLBACK_FAMILY]
    if list(rc["font.family"]) != ["sans-serif"]:
        rc["font.family"] = ["sans-serif"]
    if list(rc["font.sans-serif"][:2]) != sans:
        rc["font.sans-serif"] = sans
    if rc["axes.unicode_minus"]:
        rc["axes.unicode_minus"] = False
    return CJK_FAMILY


def set_theme(context: str = "report", inline_tight: bool = False) -> None:
    """Apply the hemei report theme: seaborn style and palette, sizes, then the CJK font.

    Parameters
    ----------
    context
        A name in :data:`CONTEXTS`: ``"report"`` (HTML reports, 7 × 4.2 in at 100 dpi) or
        ``"slide"`` (larger type for presentations).
    inline_tight
        In a Jupyter kernel the inline backend saves every figure with
        ``bbox_inches="tight"``, which draws it twice (about a third of the chart time).
        hemei charts size their own margins, so by default this switches it off
        (``bbox_inches=None``); pass ``True`` to keep the tight crop. No effect outside a
        kernel.

    Notes
    -----
    Order matters: ``seaborn.set_theme`` resets the font list, so the CJK font is applied
    last. Calling this again is harmless and costs a few milliseconds.

    Raises
    ------
    SpecError
        If ``context`` is not a known preset name.
    """
    if context not in CONTEXTS:
        raise SpecError(f"unknown theme context {context!r}; choose one of: {', '.join(CONTEXTS)}")
    import seaborn as sns

    preset = CONTEXTS[context]
    sns.set_theme(
        context=preset["seaborn_context"],
        style="whitegrid",
        palette=list(PALETTE),
        font_scale=preset["font_scale"],
        rc=preset["rc"],
    )
    register_cjk_font()
    configure_inline(tight=inline_tight)


def configure_inline(tight: bool = False) -> bool:
    """Set how Jupyter's inline backend saves figures: ``bbox_inches="tight"`` or not.

    Returns
    -------
    bool
        True when running in a kernel with the inline backend available (and configured).
    """
    import sys

    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        from IPython.core.pylabtools import select_figure_formats
        from matplotlib_inline.backend_inline import InlineBackend
    except ImportError:
        return False
    cfg = InlineBackend.instance()
    kwargs = {**cfg.print_figure_kwargs, "bbox_inches": "tight" if tight else None}
    # Stored in the config too, so a later `%matplotlib inline` keeps the setting; the
    # config class still uses a traitlets-4 change hook, which warns on every assignment.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cfg.print_figure_kwargs = kwargs
    select_figure_formats(shell, cfg.figure_formats, **kwargs)
    return True
