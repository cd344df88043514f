"""Roll village observations up to township, county and city values.

How a village figure aggregates is part of each indicator's definition (catalogue column
``aggregation``):

``household_mean``
    Household-weighted mean, x_u = Σ h_v x_v / Σ h_v over the unit's villages with a value
    (h = ``households``). Right for "share of households with ..." rates.
``population_mean``
    Population-weighted mean, x_u = Σ p_v x_v / Σ p_v (p = ``population``). Right for per-head
    amounts such as per-capita income.
``village_share``
    Share of villages (in %) with value 1: x_u = 100 · Σ b_v / n, over the n villages with a
    value. Binary items are stored as 0 or 100 at village level, so this is the plain mean.
``village_mean``
    Unweighted mean per village, x_u = Σ x_v / n.
``sum``
    Total over the villages with a value, x_u = Σ x_v.

Villages without a value do not take part (their weight leaves numerator and denominator);
``n_villages`` says how many villages carried a value and ``n_total`` how many villages the
unit has, so coverage is ``n_villages / n_total``. A village whose weight (households or
population) is missing or zero does not count in a weighted mean; if no village of a unit has
a positive weight the unit's value is missing.

The output is the "unit values" frame of ``docs/design.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hemei_tools.catalogue import Catalogue, load_catalogue
from hemei_tools.errors import HemeiError

UNIT_LEVELS = ("village", "township", "county", "city")
"""The default levels of :func:`aggregate_values`."""
ALL_UNIT_LEVELS = (*UNIT_LEVELS, "province")
"""Every level a unit value can have; ``province`` (code = first 2 digits) only on request."""
UNIT_VALUE_COLUMNS = ["level", "unit_code", "unit_name", "parent_code", "county_code", "city_code",
                      "year", "indicator_id", "value", "n_villages", "n_total"]
_WEIGHT_COLUMN = {"household_mean": "households", "population_mean": "population"}


class ValuesError(HemeiError):
    """Observations, villages or unit values cannot be rolled up or scored as given."""


def _city_names(codes: np.ndarray) -> np.ndarray:
    """Official city names for 4-digit codes; the code itself when the code is unknown."""
    from hemei_tools.inputs.divisions import load_villages

    known = load_villages(None)[["city_code", "city_name"]].drop_duplicates("city_code")
    names = dict(zip(known["city_code"], known["city_name"], strict=True))
    return np.array([names.get(str(c), str(c)) for c in codes], dtype=object)


def stacked_categorical(parts: list[tuple[np.ndarray, np.ndarray]]) -> pd.Categorical:
    """Concatenate ``labels[idx]`` of several parts into one categorical of strings.

    Each part is ``(labels, idx)``: a short array of labels (one per unit) and the integer
    positions to take per row (−1, or a missing label, gives a missing value). The result's categories are the distinct labels, sorted, so a
    sort by the column orders rows as a sort of the strings would; per row it stores only an
    integer code. Building millions of string rows instead (an Arrow take) costs about 20
    bytes and tens of nanoseconds per row and column, and every later filter copies them again.
    """
    if not parts:
        return pd.Categorical([], categories=pd.Index([], dtype="str"))
    labels = np.concatenate([np.asarray(lab, dtype=object) for lab, _ in parts])
    codes, uniques = pd.factorize(labels, sort=True)
    dtype = np.int8 if len(uniques) < 127 else np.int16 if len(uniques) < 32_767 else np.int32
    codes = codes.astype(dtype)
    out = np.empty(sum(len(i) for _, i in parts), dtype=dtype)
    start = at = 0
    for lab, idx in parts:                       # one take per part (per level), not per row
        idx = np.asarray(idx)
        dest = out[at:at + len(idx)]
        np.take(codes[start:start + len(lab)], idx, out=dest, mode="wrap")
        if len(idx) and idx.min() < 0:
            dest[idx < 0] = -1                   # a negative position is a missing label
        start, at = start + len(lab), at + len(idx)
    categories = pd.Index(np.asarray(uniques, dtype=object), dtype="str")
    return pd.Categorical.from_codes(out, dtype=pd.CategoricalDtype(categories))


def _check_columns(observations: pd.DataFrame, villages: pd.DataFrame, levels: tuple[str, ...]) -> None:
    problems = []
    for name, frame, cols in (
        ("observations", observations, ["village_code", "year", "indicator_id", "value"]),
        ("villages", villages, ["village_code", "village_name", "township_code", "township_name",
                                "county_code", "county_name"]),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            problems.append(f"{name} table lacks column(s) {', '.join(missing)}")
    unknown_levels = [lv for lv in levels if lv not in ALL_UNIT_LEVELS]
    if unknown_levels:
        problems.append(f"unknown level(s) {unknown_levels}; choose from {ALL_UNIT_LEVELS}")
    if problems:
        raise ValuesError("; ".join(problems))


def aggregate_values(observations: pd.DataFrame, villages: pd.DataFrame,
                     catalogue: Catalogue | None = None,
                     levels: tuple[str, ...] = UNIT_LEVELS) -> pd.DataFrame:
    """Village observations → unit values at village, township, county and city level.

    Parameters
    ----------
    observations
        Long table ``village_code``, ``year``, ``indicator_id``, ``value`` (binary items as 0/1).
    villages
        The villages table (``docs/design.md``): codes and names of village, township and
        county, ``households`` and ``population`` (needed by weighted indicators). The city
        code is the first four digits of the county code; its name comes from a ``city_name``
        column if the table has one, else from the packaged division list, else the code.
    catalogue
        Defines each indicator's ``aggregation`` and ``value_type``; default the packaged one.
    levels
        Which levels to return, any of ``village``, ``township``, ``county``, ``city`` (the
        default) and ``province``. A province's code is the first two digits of the county
        code and its name the table's ``province_name`` column, else the code; a province row
        has ``parent_code``, ``county_code`` and ``city_code`` "" (the city's parent stays "",
        so adding the province level changes no other row).

    Returns
    -------
    pandas.DataFrame
        ``level``, ``unit_code``, ``unit_name``, ``parent_code`` (village → township → county →
        city; "" for a city), ``county_code`` ("" for a city), ``city_code``, ``year``,
        ``indicator_id``, ``value`` (indicator unit; binary items in % of villages, 0 or 100
        at village level), ``n_villages`` (villages with a value) and ``n_total`` (villages in
        the unit). Sorted by level, unit code, year and catalogue order of indicators. A unit
        has a row for each year and indicator for which at least one of its villages has a row.

    Raises
    ------
    ValuesError
        Missing columns, unknown indicators or villages, duplicated observations.

    Notes
    -----
    Formulas per aggregation rule are in the module docstring. Weighted means use only
    villages with a value and a positive weight: x_u = Σ w_v x_v / Σ w_v. Implemented with
    integer unit codes and ``numpy.bincount``: one pass per level, no loop over units. The
    label columns (``level``, codes, names, ``indicator_id``) are categoricals of strings
    with sorted categories (:func:`stacked_categorical`): they compare, filter, sort, merge
    and pivot as strings do, at a fraction of the time and memory for millions of rows.
    """
    catalogue = catalogue or load_catalogue()
    levels = tuple(levels)
    _check_columns(observations, villages, levels)
    problems = []
    vil = _village_table(villages, levels, problems)
    ind = catalogue.indicators.reset_index(drop=True)
    pos, ii = _row_positions(observations, vil, ind, problems)
    year, years, yi = _year_positions(observations)
    key, size = _cell_keys(pos, yi, ii, vil, years, ind)
    x, has, wx, w = _weighted_values(observations, vil, ind, pos, ii)
    frames = []
    if "village" in levels:
        frames.append(_village_frame(vil, ind, key, size, pos, year, ii, x, has))
    frames += _upper_level_frames(vil, ind, levels, years, pos, yi, ii, wx, w, has)
    if not frames:
        return pd.DataFrame(columns=UNIT_VALUE_COLUMNS)
    return _stack_frames(frames)


def _village_table(villages: pd.DataFrame, levels: tuple[str, ...], problems: list[str]) -> pd.DataFrame:
    """The villages sorted by code with string codes, ``city_code`` (and ``province_code`` when
    asked for); a repeated village code is added to ``problems``."""
    vil = villages.astype({"village_code": str, "township_code": str, "county_code": str})
    vil = vil.sort_values("village_code", kind="stable").reset_index(drop=True)
    if vil["village_code"].duplicated().any():
        dup = vil.loc[vil["village_code"].duplicated(), "village_code"].iloc[:5].tolist()
        problems.append(f"villages table repeats village_code(s) {dup}")
    vil["city_code"] = vil["county_code"].str[:4]
    if "province" in levels:
        vil["province_code"] = vil["county_code"].str[:2]
    return vil


def _row_positions(observations: pd.DataFrame, vil: pd.DataFrame, ind: pd.DataFrame,
                   problems: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per observation row, the position of its village in ``vil`` and of its indicator in ``ind``.

    Raises
    ------
    ValuesError
        With ``problems`` and any unknown indicator or village, or a missing weight column.
    """
    o_vil, u_vil = pd.factorize(observations["village_code"].astype(str))
    o_ind, u_ind = pd.factorize(observations["indicator_id"].astype(str))
    vil_of = pd.Index(vil["village_code"]).get_indexer(pd.Index(u_vil))
    ind_of = pd.Index(ind["indicator_id"]).get_indexer(pd.Index(u_ind))
    if (ind_of < 0).any():
        unknown = sorted(str(u) for u in np.asarray(u_ind)[ind_of < 0])
        problems.append(f"observations name indicator(s) not in the catalogue: {', '.join(unknown[:10])}")
    if (vil_of < 0).any():
        stray = np.asarray(u_vil)[vil_of < 0]
        problems.append(f"{len(stray)} village code(s) in observations are not in the villages table, "
                        f"e.g. {[str(c) for c in stray[:5]]}")
    aggs = ind["aggregation"].to_numpy()
    used = set(aggs[ind_of[ind_of >= 0]])
    for rule, col in _WEIGHT_COLUMN.items():
        if rule in used and col not in vil.columns:
            problems.append(f"villages table lacks column {col!r} needed by {rule} indicators")
    if problems:
        raise ValuesError("cannot roll up observations: " + "; ".join(problems))
    return vil_of[o_vil], ind_of[o_ind]


def _year_positions(observations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's year, the sorted distinct years and each row's position among them."""
    year_raw = pd.to_numeric(observations["year"], errors="coerce")
    if year_raw.isna().any():
        raise ValuesError("cannot roll up observations: some rows have no numeric year")
    year = year_raw.to_numpy(dtype=np.int64)
    del year_raw
    years = np.sort(pd.unique(year))                 # hash, not a sort of every row
    return year, years, np.searchsorted(years, year)


def _cell_keys(pos: np.ndarray, yi: np.ndarray, ii: np.ndarray, vil: pd.DataFrame, years: np.ndarray,
               ind: pd.DataFrame) -> tuple[np.ndarray, int]:
    """The dense (village, year, indicator) cell of each row and the number of cells; raises
    :class:`ValuesError` when a cell has more than one row."""
    n_year, n_ind = len(years), len(ind)
    key = (pos * n_year + yi) * n_ind + ii
    size = len(vil) * n_year * n_ind
    counts = np.bincount(key, minlength=size)
    if (counts > 1).any():
        k = int(np.flatnonzero(counts > 1)[0])
        v, rest = divmod(k, n_year * n_ind)
        y, i = divmod(rest, n_ind)
        raise ValuesError(f"cannot roll up observations: {int((counts > 1).sum())} duplicated "
                          f"(village_code, year, indicator_id), e.g. "
                          f"({vil['village_code'].iloc[v]}, {years[y]}, {ind['indicator_id'].iloc[i]})")
    return key, size


def _weighted_values(observations: pd.DataFrame, vil: pd.DataFrame, ind: pd.DataFrame, pos: np.ndarray,
                     ii: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the value (binary items × 100), whether it has one, weight × value and the weight
    (households or population by the aggregation rule, 1 otherwise; 0 when unusable)."""
    binary = (ind["value_type"] == "binary").to_numpy()[ii]
    x = pd.to_numeric(observations["value"], errors="coerce").to_numpy(dtype=float)
    x = np.where(binary, x * 100.0, x)
    has = ~np.isnan(x)
    w = np.ones(len(x))
    rule_of = pd.Index(list(_WEIGHT_COLUMN)).get_indexer(ind["aggregation"].to_numpy()).astype(np.int8)
    agg = rule_of[ii]                                # −1: unweighted; integer per row, no string compares
    for r, col in enumerate(_WEIGHT_COLUMN.values()):
        sel = agg == r
        if sel.any():
            wv = pd.to_numeric(vil[col], errors="coerce").to_numpy(dtype=float)[pos[sel]]
            w[sel] = np.where(np.isfinite(wv) & (wv > 0), wv, 0.0)
    use = has & (w > 0)
    wx = np.where(use, w * np.where(has, x, 0.0), 0.0)
    w = np.where(use, w, 0.0)
    return x, has, wx, w


def _village_frame(vil: pd.DataFrame, ind: pd.DataFrame, key: np.ndarray, size: int, pos: np.ndarray,
                   year: np.ndarray, ii: np.ndarray, x: np.ndarray, has: np.ndarray) -> dict:
    """The village rows, in cell order, as columns for :func:`_stack_frames`."""
    # keys are unique (checked) and dense in [0, size): place each row in its key's slot and
    # read the slots in order, a linear-time sort (an argsort is n log n)
    slot = np.full(size, -1, dtype=np.int64)
    slot[key] = np.arange(len(key))
    order = slot[slot >= 0]
    del slot
    p = pos[order]
    return {
        "level": (["village"], np.zeros(len(p), dtype=np.int8)),
        "unit_code": (vil["village_code"], p),
        "unit_name": (vil["village_name"].astype(str), p),
        "parent_code": (vil["township_code"], p),
        "county_code": (vil["county_code"], p),
        "city_code": (vil["city_code"], p),
        "year": year[order],
        "indicator_id": (ind["indicator_id"].to_numpy(dtype=object), ii[order]),
        "value": x[order],
        "n_villages": has[order].astype(np.int64),
        "n_total": np.ones(len(p), dtype=np.int64),
    }


#: Per upper level: its code column, name column and parent's code column in the villages table.
_LEVEL_COLUMNS = {
    "township": ("township_code", "township_name", "county_code"),
    "county": ("county_code", "county_name", "city_code"),
    "city": ("city_code", "city_name", None),
    "province": ("province_code", "province_name", None),
}


def _upper_level_frames(vil: pd.DataFrame, ind: pd.DataFrame, levels: tuple[str, ...], years: np.ndarray,
                        pos: np.ndarray, yi: np.ndarray, ii: np.ndarray, wx: np.ndarray, w: np.ndarray,
                        has: np.ndarray) -> list[dict]:
    """The township, county, city and province rows asked for in ``levels``, as columns.

    Each upper level sums the cells of the level below when units nest (every township in one
    county, …): one pass over the village rows, then passes over far fewer cells.
    """
    chain = tuple(_LEVEL_COLUMNS)
    wanted = [lv for lv in chain if lv in levels]
    frames = []
    prev = None                                   # (unit of each village, dense cell sums) below
    per_cell = len(years) * len(ind)
    for level in chain[:chain.index(wanted[-1]) + 1] if wanted else ():
        u_of_v, u_codes = pd.factorize(vil[_LEVEL_COLUMNS[level][0]], sort=True)
        gsize = len(u_codes) * per_cell
        nested = False
        if prev is not None:
            below_of_v, below = prev
            up = np.zeros(int(below_of_v.max()) + 1 if len(below_of_v) else 0, dtype=np.int64)
            up[below_of_v] = u_of_v
            nested = bool((up[below_of_v] == u_of_v).all())
        if nested:
            cells = np.flatnonzero(below[0])
            gkey = up[cells // per_cell] * per_cell + cells % per_cell
            sums = [np.bincount(gkey, weights=b[cells], minlength=gsize) for b in below]
        else:
            gkey = (u_of_v[pos] * len(years) + yi) * len(ind) + ii
            sums = [np.bincount(gkey, minlength=gsize).astype(float)]
            sums += [np.bincount(gkey, weights=v, minlength=gsize) for v in (wx, w, has)]
        prev = (u_of_v, sums)
        if level in levels:
            frames.append(_level_frame(level, vil, ind, years, u_of_v, u_codes, sums))
    return frames


def _level_frame(level: str, vil: pd.DataFrame, ind: pd.DataFrame, years: np.ndarray, u_of_v: np.ndarray,
                 u_codes, sums: list[np.ndarray]) -> dict:
    """The rows of one upper level from its dense cell sums (rows, Σ w·x, Σ w, Σ has), as columns."""
    _, name_col, parent_col = _LEVEL_COLUMNS[level]
    n_unit, n_year, n_ind = len(u_codes), len(years), len(ind)
    first = np.unique(u_of_v, return_index=True)[1]
    u_codes = np.asarray(u_codes, dtype=object)
    if name_col in vil.columns:
        u_names = vil[name_col].astype(str).to_numpy(dtype=object)[first]
    elif level == "city":
        u_names = _city_names(u_codes)
    else:
        u_names = u_codes
    present = np.flatnonzero(sums[0])
    s_wx, s_w = sums[1][present], sums[2][present]
    s_n = np.rint(sums[3][present]).astype(np.int64)
    u, rest = np.divmod(present, n_year * n_ind)
    y, i = np.divmod(rest, n_ind)
    is_sum = (ind["aggregation"] == "sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(is_sum[i], s_wx, s_wx / np.where(s_w > 0, s_w, np.nan))
    value = np.where(s_n > 0, value, np.nan)
    n_total = np.bincount(u_of_v, minlength=n_unit)
    parent = (vil[parent_col].to_numpy(dtype=object)[first] if parent_col
              else np.full(n_unit, "", dtype=object))
    county = {"township": vil["county_code"].to_numpy(dtype=object)[first],
              "county": u_codes}.get(level, np.full(n_unit, "", dtype=object))
    city = (np.full(n_unit, "", dtype=object) if level == "province"
            else vil["city_code"].to_numpy(dtype=object)[first])
    return {
        "level": ([level], np.zeros(len(u), dtype=np.int8)),
        "unit_code": (u_codes, u),
        "unit_name": (u_names, u),
        "parent_code": (parent, u),
        "county_code": (county, u),
        "city_code": (city, u),
        "year": years[y],
        "indicator_id": (ind["indicator_id"].to_numpy(dtype=object), i),
        "value": value.astype(float),
        "n_villages": s_n,
        "n_total": n_total[u].astype(np.int64),
    }


def _stack_frames(frames: list[dict]) -> pd.DataFrame:
    """One frame of the levels' columns; label columns (code arrays with per-row positions) become
    one categorical per column across levels (integer codes per row)."""
    return pd.DataFrame({
        c: (stacked_categorical([f[c] for f in frames]) if isinstance(frames[0][c], tuple)
            else frames[0][c] if len(frames) == 1 else np.concatenate([f[c] for f in frames]))
        for c in UNIT_VALUE_COLUMNS
    }, copy=False)
