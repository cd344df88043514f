"""The index specification in words: each setting of an
:class:`~hemei_tools.engine.composite.IndexSpec` by its Chinese name and its value as a reader
reads it (the appendix's 指数设定 table, the data-quality sentence).

Names are the labels ``spec.<setting>``; a named method is ``spec.<setting>.<name>``
(``spec.normaliser.goalposts`` → 目标值法…); yes/no are ``word.yes``/``word.no``; a share of
0–1 is a percentage; no weight override and no year list say so in words. A setting or method
without a label is shown as it is, so a new option never breaks a report.
"""

from __future__ import annotations

import pandas as pd

from hemei_tools.catalogue import label as _t
from hemei_tools.catalogue import load_labels
from hemei_tools.present import narrative as nv

__all__ = ["method_word", "spec_frame"]

#: Settings that are shares of 0–1, shown as percentages.
SHARES = ("min_coverage", "screen_coverage")


def _label_or(key: str, default: str) -> str:
    labels = load_labels()
    return labels(key) if key in labels else default


def method_word(setting: str, name: str) -> str:
    """The Chinese name of a method choice, e.g. ``method_word("imputation", "none")`` →
    ``不插补``; the name itself when it has no label."""
    return _label_or(f"spec.{setting}.{name}", str(name))


def _value(setting: str, value) -> str:
    if isinstance(value, bool):
        return _t("word.yes") if value else _t("word.no")
    if setting in SHARES and isinstance(value, (int, float)):
        return nv.format_number(100 * value, 0) + "%"
    if setting == "weights":
        return (_t("punct.list_sep").join(f"{k}={nv.format_number(v, 2)}" for k, v in dict(value).items())
                if value else _t("spec.weights_none"))
    if setting == "years":
        return _t("punct.list_sep").join(str(y) for y in value) if value else _t("spec.years_all")
    if isinstance(value, str):
        return method_word(setting, value)
    if isinstance(value, float):
        return nv.format_number(value, 0 if value == int(value) else 1)
    return str(value)


def spec_frame(spec, headers: tuple[str, str]) -> pd.DataFrame:
    """The settings of ``spec`` as a two-column table (``headers``: setting, value), in the
    spec's own order, each by its Chinese name (label ``spec.<setting>``) and value."""
    settings = spec.to_dict()
    return pd.DataFrame({headers[0]: [_label_or(f"spec.{k}", k) for k in settings],
                         headers[1]: [_value(k, v) for k, v in settings.items()]})
