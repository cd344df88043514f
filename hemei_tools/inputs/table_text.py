"""Plain-text tables aligned for Chinese text, for terminals (``hemei validate``, ``hemei select``).

A CJK character takes two columns in a terminal: its width is 2 when
:func:`unicodedata.east_asian_width` says ``W`` (wide) or ``F`` (full-width), else 1 (Unicode
Standard Annex #11, *East Asian Width*). :meth:`pandas.DataFrame.to_string` counts characters
instead, so Chinese names push the columns after them out of line; :func:`text_table` pads by
width. Standard library only.

Cells are shown with their invisible characters spelled out (:func:`show_hidden`): a
right-to-left override in a village name would otherwise reorder the rest of the line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

#: Characters a name must not hold (validation rule ``hidden_characters``): C0 and C1 control
#: characters other than tab, line feed and carriage return (which clean to spaces), DEL, the
#: soft hyphen, zero-width characters (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E, U+034F)
#: and the bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F, U+061C,
#: U+202A–U+202E, U+2066–U+2069), which reorder or hide text without showing.
HIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u034f\u061c\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def hidden_characters(text: str) -> list[str]:
    """The hidden characters of ``text`` (:data:`HIDDEN_CHARACTERS`) as ``U+202E``, in order of
    first appearance."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in HIDDEN_CHARACTERS.findall(text)))


def show_hidden(text: str) -> str:
    """``text`` with every hidden character written out as ``<U+202E>``."""
    return HIDDEN_CHARACTERS.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


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
    cells = [[show_hidden(str(h)) for h in header]] + [["" if c is None else show_hidden(str(c)) for c in r]
                                                       for r in rows]
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
