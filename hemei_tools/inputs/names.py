"""Villages given by name: matching to the official list, hints, official codes.

Names compare after NFKC and without the suffixes 村民委员会/村委会/村, 镇/乡/街道 and
县/区/市, so 横山村, 横山 and 横山村委会 are the same village; a match must be exact on these
stems (official codes need auditable matches), and :mod:`difflib` only suggests the closest
official names when a name does not match.

A name that does not match is diagnosed level by level, so the message blames the name that is
wrong: first the county (not an Anhui county-level unit), then the township (not in that
county), then the village (not in that township): "乡镇“横步镇”不在枞阳县；最接近：横埠镇".
Each level suggests its closest official names; at the township level the townships that hold
a village of the given name come first.
"""

from __future__ import annotations

import difflib
import functools

import numpy as np
import pandas as pd

from hemei_tools.inputs import divisions
from hemei_tools.inputs.aliases import _map_unique, _norm, alternatives, name_suffixes
from hemei_tools.inputs.wording import join
from hemei_tools.inputs.wording import template as _tf
from hemei_tools.inputs.wording import text as _t

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
        given), ``level`` (for ``unmatched``: the name that is wrong, ``county``, ``township``
        or ``village``) and ``hint`` (for failures: what is wrong and the closest official
        names, or the candidates).
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
    keys["level"] = None
    for k in keys.index[keys["match"] != "ok"]:
        row = keys.loc[k]
        if row["match"] == "ambiguous":
            c = cand[fits & cand["key"].eq(row["key"])]
            listed = join(_tf("input.place.village_code", name=r.short, township=r.township_name_off,
                              county=r.county_name_off, code=r.village_code)
                          for r in c.itertuples())
            keys.at[k, "hint"] = _tf("input.name.ambiguous", candidates=listed)
        else:
            keys.at[k, "level"], keys.at[k, "hint"] = diagnose_name(row, off)
    out = given.merge(keys[cols + ["village_code", "match", "level", "hint"]], on=cols, how="left")
    out.index = names.index
    return out[["village_code", "match", "level", "hint"]]


def _closest(written: str, choices: list[str], n: int = 3, cutoff: float = 0.4) -> list[str]:
    return difflib.get_close_matches(written, list(dict.fromkeys(choices)), n=n, cutoff=cutoff)


def _listing(names: list[str]) -> str:
    return join(names) if names else _t("input.name.none_close")


def diagnose_name(row: pd.Series, off: pd.DataFrame) -> tuple[str, str]:
    """Which name of an unmatched village is wrong, and the message saying so.

    Parameters
    ----------
    row
        The names as given (``village_name``, ``township_name``, ``county_name``; missing
        ones NA) and their stems (``vs``, ``ts``, ``cs``).
    off
        The official list with stems (:func:`official_villages`).

    Returns
    -------
    level, hint
        ``county``, ``township`` or ``village``, and the message with the closest official
        names of that level.
    """
    scope = _t("input.name.anhui")
    pool = off
    if pd.notna(row["cs"]) and row["cs"]:
        in_county = off[off["cs"].eq(row["cs"])]
        if in_county.empty:
            # counties holding the given township and village come first
            holding = off.loc[off["vs"].eq(row["vs"]) & (off["ts"].eq(row["ts"]) if pd.notna(row["ts"]) else True),
                              "county_name"].tolist()
            close = _closest(str(row["county_name"]), off["county_name"].tolist())
            return "county", _tf("input.name.county", name=row["county_name"],
                                 closest=_listing(list(dict.fromkeys(holding + close))[:3]))
        pool = in_county
        scope = in_county["county_name"].iloc[0] if in_county["county_name"].nunique() == 1 else str(row["county_name"])
    if pd.notna(row["ts"]) and row["ts"]:
        in_township = pool[pool["ts"].eq(row["ts"])]
        if in_township.empty:
            holding = pool.loc[pool["vs"].eq(row["vs"]), "township_name"].tolist()
            close = _closest(str(row["township_name"]), pool["township_name"].tolist())
            return "township", _tf("input.name.township", name=row["township_name"], scope=scope,
                                   closest=_listing(list(dict.fromkeys(holding + close))[:3]))
        pool = in_township
        scope = _tf("input.name.township_scope", township=in_township["township_name"].iloc[0],
                    county=in_township["county_name"].iloc[0])
    written = str(row["vs"]) + VILLAGE_SUFFIX
    close = _closest(written, pool["short"].tolist())
    labels = pool.drop_duplicates("short").set_index("short")
    named = [_tf("input.place.village", name=c, township=labels.at[c, "township_name"],
                 county=labels.at[c, "county_name"]) for c in close]
    hint = _tf("input.name.village", name=row["village_name"], scope=scope, closest=_listing(named))
    elsewhere = off[off["vs"].eq(row["vs"])] if pool is not off else off.iloc[0:0]
    if len(elsewhere):  # the same county first
        near = elsewhere["county_name"].eq(pool["county_name"].iloc[0]) if len(pool) else False
        elsewhere = pd.concat([elsewhere[near], elsewhere[~near]]) if len(pool) else elsewhere
        hint += _tf("input.name.elsewhere", places=join(
            _tf("input.place.village", name=r.short, township=r.township_name, county=r.county_name)
            for r in elsewhere.head(5).itertuples()))
    return "village", hint


def official_codes() -> frozenset:
    """Codes of every official Anhui administrative village (the known-code list)."""
    return frozenset(official_villages()["village_code"])
