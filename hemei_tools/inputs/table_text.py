"""Plain-text tables aligned for Chinese text, for terminals (``hemei validate``, ``hemei select``).

A CJK character takes two columns in a terminal: its width is 2 when
:func:`unicodedata.east_asian_width` says ``W`` (wide) or ``F`` (full-width), else 1 (Unicode
Standard Annex #11, *East Asian Width*). :meth:`pandas.DataFrame.to_string` counts characters
instead, so Chinese names push the columns after them out of line; :func:`text_table` pads by
width. Standard library only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def text_width(text: str) -> int:
    """Terminal columns of ``text``: 2 per wide or full-width character, 1 per other."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns, left (``<``) or right (``>``) aligned."""
    fill = " " * max(0, width - text_width(text))
    return fill + text if align == ">" else text + fill


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]], align: Sequence[str] | None = None
               ) -> str:
    """A table of text: the header, a rule of dashes, one line per row; two spaces between columns.

    Parameters
    ----------
    header
        Column titles.
    rows
        Cells (``str()`` is applied; ``None`` prints as an empty cell).
    align
        ``<`` (left, the default) or ``>`` (right, for numbers) per column.

    Examples
    --------
    >>> print(text_table(["村", "n"], [["横山村", 3], ["水村", 12]], align="<>"))
    村       n
    ------  --
    横山村   3
    水村    12
    """
    align = list(align) if align is not None else ["<"] * len(header)
    cells = [[str(h) for h in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(text_width(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(pad(c, w, a) for c, w, a in zip(r, widths, align, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def frame_table(frame) -> str:
    """:func:`text_table` of a :class:`pandas.DataFrame` (no index); numeric columns right-aligned,
    missing values empty."""
    align = [">" if frame[c].dtype.kind in "iufc" else "<" for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return text_table([str(c) for c in frame.columns], rows, align)
