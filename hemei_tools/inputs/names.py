"""Villages given by name: matching to the official list, hints, official codes.

Names compare after NFKC and without the suffixes 村民委员会/村委会/村, 镇/乡/街道 and
县/区/市, so 横山村, 横山 and 横山村委会 are the same village; a match must be exact on these
stems (official codes need auditable matches), and :mod:`difflib` only suggests the closest
official names when a name does not match.
"""

from __future__ import annotations

import difflib
import functools

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.inputs import divisions
from hemei_tools.inputs.aliases import _map_unique, _norm, alternatives, name_suffixes

_VILLAGE_SHORT = name_suffixes("village")
"""Committee suffixes of official village names → the short suffix (村委会 → 村)."""
_SHORT_FORMS = tuple(dict.fromkeys(_VILLAGE_SHORT.values()))
VILLAGE_SUFFIX = _SHORT_FORMS[0]
"""The suffix of a village name as offices write it (村): dropped from stems, added to match."""
_TOWNSHIP_SUFFIX = alternatives(name_suffixes("township")) + "$"
_COUNTY_SUFFIX = alternatives(name_suffixes("county")) + "$"


def _stem(s: pd.Series, pattern: str) -> pd.Series:
    return _map_unique(s.astype("str"), _norm).astype("str").str.replace(pattern, "", regex=True)


def village_stem(s: pd.Series) -> pd.Series:
    """横山村委会, 横山村 and 横山 → 横山; 水村村委会 and 水村村 → 水村 (one 村 is the suffix)."""
    short = _map_unique(s.astype("str"), _norm).astype("str")
    for form in _SHORT_FORMS:
        committee = [a for a, f in _VILLAGE_SHORT.items() if f == form]
        short = short.str.replace(alternatives(committee) + "$", form.replace("\\", "\\\\"), regex=True)
    return short.str.replace(alternatives(_SHORT_FORMS) + "$", "", regex=True)


def _township_stem(s: pd.Series) -> pd.Series:
    return _stem(s, _TOWNSHIP_SUFFIX)


def _county_stem(s: pd.Series) -> pd.Series:
    return _stem(s, _COUNTY_SUFFIX)


@functools.cache
def official_villages() -> pd.DataFrame:
    v = divisions.load_villages(None)
    v["short"] = v["village_name"].map(divisions.short_name)
    v["vs"] = village_stem(v["village_name"])
    v["ts"] = _township_stem(v["township_name"])
    v["cs"] = _county_stem(v["county_name"])
    return v


def match_village_names(names: pd.DataFrame, official: pd.DataFrame | None = None) -> pd.DataFrame:
    """Match villages given by name to official village codes.

    Parameters
    ----------
    names
        ``village_name`` and optionally ``township_name`` and ``county_name`` (NA where not
        given). Names compare after NFKC and without the suffixes 村民委员会/村委会/村,
        镇/乡/街道 and 县/区/市, so 横山村, 横山 and 横山村委会 are the same village.
    official
        The official list (default: every Anhui administrative village).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``names``: ``village_code`` (NA unless exactly one official village
        matches), ``match`` (``ok``, ``unmatched``, ``ambiguous`` or NA where no name was
        given) and ``hint`` (for failures: the closest official names, or the candidates).
    """
    off = official_villages() if official is None else official
    if "vs" not in off.columns:
        off = off.assign(short=off["village_name"].map(divisions.short_name),
                         vs=village_stem(off["village_name"]), ts=_township_stem(off["township_name"]),
                         cs=_county_stem(off["county_name"]))
    cols = ["village_name", "township_name", "county_name"]
    given = pd.DataFrame({c: names[c] if c in names.columns else pd.Series(pd.NA, index=names.index)
                          for c in cols}).astype("str").astype(object).where(lambda d: d.notna(), None)
    keys = given.drop_duplicates().reset_index(drop=True)
    keys = keys[keys["village_name"].notna()].reset_index(drop=True)
    keys["vs"] = village_stem(keys["village_name"])
    keys["ts"] = _township_stem(keys["township_name"])
    keys["cs"] = _county_stem(keys["county_name"])
    keys["key"] = np.arange(len(keys))
    cand = keys.merge(off[["vs", "ts", "cs", "village_code", "short", "township_name", "county_name"]],
                      on="vs", how="left", suffixes=("", "_off"))
    fits = cand["village_code"].notna() & (cand["ts"].isna() | cand["ts"].eq(cand["ts_off"])) & (
        cand["cs"].isna() | cand["cs"].eq(cand["cs_off"]))
    n_fit = fits.groupby(cand["key"]).sum().reindex(keys["key"], fill_value=0).to_numpy()
    first = cand[fits].drop_duplicates("key").set_index("key")["village_code"]
    keys["village_code"] = keys["key"].map(first).where(n_fit == 1)
    keys["match"] = np.select([n_fit == 1, n_fit == 0], ["ok", "unmatched"], "ambiguous")
    keys["hint"] = None
    for k in keys.index[keys["match"] != "ok"]:
        row = keys.loc[k]
        if row["match"] == "ambiguous":
            c = cand[fits & cand["key"].eq(row["key"])]
            listed = ", ".join(_tf("input.place.village_code", name=r.short, township=r.township_name_off,
                                   county=r.county_name_off, code=r.village_code)
                               for r in c.itertuples())
            keys.at[k, "hint"] = f"several official villages match; add the township: {listed}"
        else:
            keys.at[k, "hint"] = _closest_hint(row, off, cand[cand["key"].eq(row["key"])])
    out = given.merge(keys[cols + ["village_code", "match", "hint"]], on=cols, how="left")
    out.index = names.index
    return out[["village_code", "match", "hint"]]


def _closest_hint(row: pd.Series, off: pd.DataFrame, same_stem: pd.DataFrame) -> str:
    named = [_tf("input.place.village", name=r.short, township=r.township_name_off, county=r.county_name_off)
             for r in same_stem.dropna(subset=["village_code"]).itertuples()]
    pool = off
    scope = "Anhui"
    for col, stem_col in (("ts", "ts"), ("cs", "cs")):
        if pd.notna(row[col]) and off[stem_col].eq(row[col]).any():
            pool = off[off[stem_col].eq(row[col])]
            scope = str(row["township_name"] if col == "ts" else row["county_name"])
            break
    written = str(row["vs"]) + VILLAGE_SUFFIX
    close = difflib.get_close_matches(written, pool["short"].tolist(), n=3, cutoff=0.4)
    labels = pool.drop_duplicates("short").set_index("short")
    named += [_tf("input.place.village", name=c, township=labels.at[c, "township_name"],
                  county=labels.at[c, "county_name"]) for c in close]
    if not named:
        return f"no official village with a similar name in {scope}; check the spelling"
    return f"no official village of that name in {scope}; closest official names: {', '.join(dict.fromkeys(named))}"


def official_codes() -> frozenset:
    """Codes of every official Anhui administrative village (the known-code list)."""
    return frozenset(official_villages()["village_code"])
