"""The language of validation messages: Chinese first, English on request.

Every message a reader of the inputs shows (a problem's hint, the name of its rule, the headers
of the problem table, the summary of ``hemei validate``) is a row of
``hemei_tools/catalogue/labels.csv`` under ``input.``. Messages are written while the files are
read, in the language of the running validation: :func:`language` sets it for a block
(``with language("en"): read_dataset(...)``; :func:`hemei_tools.inputs.dataset.read_dataset`
takes ``lang=`` and does this), and :func:`text` / :func:`template` look a label up in it. The
default is Chinese, the language of the offices that fix the ledgers.

The language is a :class:`contextvars.ContextVar`, so two validations in two threads never mix
their languages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from hemei_tools.catalogue import LANGUAGES, format_label, label

_LANG: ContextVar[str] = ContextVar("hemei_input_language", default="zh")


def current() -> str:
    """The language messages are written in now (``"zh"`` unless :func:`language` says otherwise)."""
    return _LANG.get()


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Write the messages of the block in ``lang`` (``"zh"`` or ``"en"``; ``None`` keeps the
    current language)."""
    if lang is None:
        yield current()
        return
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    token = _LANG.set(lang)
    try:
        yield lang
    finally:
        _LANG.reset(token)


def text(key: str) -> str:
    """The label ``key`` in the current language (imported as ``_t``)."""
    return label(key, current())


def template(key: str, /, **values: Any) -> str:
    """The template ``key`` in the current language, filled with ``values`` (imported as ``_tf``)."""
    return format_label(key, lang=current(), **values)


def join(items) -> str:
    """Items joined with the list separator of the current language (、 or , )."""
    return text("punct.list_sep").join(str(i) for i in items)


def column_letter(number: int) -> str:
    """Spreadsheet column letters of a 1-based column number: 1 → ``A``, 28 → ``AB``."""
    out = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        out = chr(65 + rem) + out
    return out
