"""Choosing 精品示范村: criteria, eligibility, applicant scores and the quota-aware shortlist.

The city chose its 2023 精品示范村 "by 经济强、产业兴、基础好、积极性高、党建引领好" with a
county split of 3 / 3 / 2 / 2 (the city's 2023 work report 《“千村引领、万村升级”工程推进情况》,
as cited in ``catalogue/plan_targets.csv``; which district took 3 is an assumption noted there).
This module makes
that decision transparent and reproducible; everything it needs is data:

``catalogue/selection_criteria.csv``
    One row per evidence field: ``criterion_id`` with its labels, ``criterion_weight`` (relative
    between criteria, repeated on each row of the criterion) and ``tie_break`` priority, the
    ``field`` (a column of the applicant table, or a task code of the 和美指数 when ``source`` is
    ``index``), ``field_weight`` (relative within the criterion), ``direction`` (+1/−1),
    ``normalisation`` (a pool method of :data:`POOL_METHODS`, ``score`` for a value already on
    0–100, ``grade`` for a category mapped through ``levels`` such as ``A=100;B=60;C=20``) and a
    ``version``.
``catalogue/selection_rules.csv``
    Eligibility rules checked before scoring: ``rule_id``, labels, ``source`` (``applicants`` or
    ``villages``), ``field``, ``operator`` (a key of :data:`OPERATORS`), ``value`` and the
    ``message`` shown when an applicant fails it.

Scoring (JRC/OECD Handbook 2008, §5–6): each field is normalised over the applicant pool to
0–100 with its direction, by a method of :data:`hemei_tools.engine.normalise.NORMALISERS`; a criterion score is the weighted mean of its fields, the total the
weighted mean of the criteria:
``total_i = Σ_k (c_k/Σc) · Σ_{j∈k} (f_j/Σ_{j'∈k} f_j') · z_ij``.
Missing evidence scores 0 on that field (an applicant must document what it claims).

Ranking and tie-break rule: applicants are ordered by the total (rounded to 1e-6, so that
arithmetic noise never decides), then by the criteria in ascending ``tie_break`` order (higher
score first), and finally by the village code (ascending), so the order never depends on the
row order of the input.

Shortlist rule: in each county the best-ranked eligible applicants fill its quota; slots a
county cannot fill, and any slots of the city total above the sum of the quotas, go to the
best-ranked eligible applicants not yet chosen, city-wide.

The robustness of the shortlist, the comparison with the actual decision and the whole round
(:func:`hemei_tools.engine.selection.run_selection`) are in :mod:`hemei_tools.engine.selection`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import label as _t
from hemei_tools.engine.normalise import get_normaliser
from hemei_tools.errors import HemeiError

CRITERIA_FILE = "selection_criteria.csv"
RULES_FILE = "selection_rules.csv"
SOURCES = ("applicants", "index")
RULE_SOURCES = ("applicants", "villages")
FIXED_NORMALISATIONS = ("score", "grade")
ROUND = 6


class SelectionError(HemeiError):
    """The applicant data, the criteria, the rules or the quotas cannot be used as given.

    Parameters
    ----------
    problems
        One line per problem, each saying what to fix.
    """

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("selection input is invalid:\n  " + "\n  ".join(self.problems))


# --- normalisation over the applicant pool -------------------------------------------------


POOL_METHODS = ("minmax", "rank", "zscore")
"""Names in :data:`hemei_tools.engine.normalise.NORMALISERS` that need no benchmark: they scale each
field over the applicant pool (min-max 0–100, percentile rank 0–100, T-score 50 ± 10·z)."""


OPERATORS: dict[str, Callable[[pd.Series, str], pd.Series]] = {
    "eq": lambda s, v: s == _like(s, v),
    "ne": lambda s, v: s != _like(s, v),
    "ge": lambda s, v: s >= float(v),
    "le": lambda s, v: s <= float(v),
    "gt": lambda s, v: s > float(v),
    "lt": lambda s, v: s < float(v),
    "in": lambda s, v: s.astype(str).isin(str(v).split("|")),
}
"""Rule operators by name: ``series, value → passes``; ``in`` takes ``a|b|c``."""


def _like(s: pd.Series, v: str):
    """The rule value converted to the series' kind (numbers compare as numbers)."""
    if pd.api.types.is_numeric_dtype(s):
        return float(v)
    return str(v)


# --- the tables -----------------------------------------------------------------------------


def _read_packaged(name: str) -> pd.DataFrame:
    ref = resources.files("hemei_tools") / "catalogue" / name
    with resources.as_file(ref) as path:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _row(i: int) -> int:
    return int(i) + 2


def parse_levels(text: str) -> dict[str, float]:
    """Parse a grade mapping ``A=100;B=60;C=20`` into ``{"A": 100.0, ...}``."""
    out = {}
    for part in str(text).split(";"):
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not KEY=POINTS")
        out[key.strip()] = float(val)
    return out


def validate_criteria(table: pd.DataFrame) -> list[str]:
    """Check a criteria table; return one line per problem (empty when it is usable).

    Rules: required columns; one version; ``criterion_weight``, ``tie_break`` and labels constant
    within a criterion; weights non-negative numbers with a positive sum between criteria and
    within each criterion; direction ±1; fields unique; source in :data:`SOURCES`;
    normalisation a pool method, ``score`` or ``grade``; a ``grade`` row has parseable ``levels``.
    """
    f = CRITERIA_FILE
    required = ["version", "criterion_id", "criterion_zh", "criterion_en", "criterion_weight",
                "tie_break", "field", "source", "field_weight", "direction", "normalisation",
                "levels"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        return [f"{f}: missing column(s) {', '.join(missing)}"]
    if table.empty:
        return [f"{f}: no criteria"]
    problems: list[str] = []
    if table["version"].nunique() != 1:
        problems.append(f"{f}: rows carry several versions {sorted(table['version'].unique())}; use one")
    for col in ("criterion_weight", "field_weight", "direction", "tie_break"):
        num = pd.to_numeric(table[col], errors="coerce")
        for i in table.index[num.isna()]:
            problems.append(f"{f} row {_row(i)}: {col} {table.at[i, col]!r} is not a number")
        if col.endswith("weight"):
            for i in table.index[num < 0]:
                problems.append(f"{f} row {_row(i)}: {col} must not be negative")
    if problems:
        return problems
    t = table.assign(
        criterion_weight=table["criterion_weight"].astype(float),
        field_weight=table["field_weight"].astype(float),
        direction=table["direction"].astype(float),
    )
    for col in ("criterion_weight", "tie_break", "criterion_zh", "criterion_en"):
        varies = t.groupby("criterion_id")[col].nunique()
        for cid in varies.index[varies > 1]:
            problems.append(f"{f}: {col} differs between the rows of criterion {cid}; give one value")
    if t.groupby("criterion_id")["criterion_weight"].first().sum() <= 0:
        problems.append(f"{f}: the criterion weights sum to zero; give at least one positive weight")
    per = t.groupby("criterion_id")["field_weight"].sum()
    for cid in per.index[per <= 0]:
        problems.append(f"{f}: the field weights of criterion {cid} sum to zero")
    for i in t.index[t["field"].duplicated()]:
        problems.append(f"{f} row {_row(i)}: field {t.at[i, 'field']!r} appears twice")
    for i in t.index[~t["direction"].isin([1.0, -1.0])]:
        problems.append(f"{f} row {_row(i)}: direction must be 1 or -1")
    for i in t.index[~t["source"].isin(SOURCES)]:
        problems.append(f"{f} row {_row(i)}: source {t.at[i, 'source']!r} is not one of {SOURCES}")
    methods = (*POOL_METHODS, *FIXED_NORMALISATIONS)
    for i in t.index[~t["normalisation"].isin(methods)]:
        problems.append(f"{f} row {_row(i)}: normalisation {t.at[i, 'normalisation']!r} is not one of {methods}")
    for i in t.index[t["normalisation"] == "grade"]:
        try:
            parse_levels(t.at[i, "levels"])
        except (ValueError, TypeError) as exc:
            problems.append(f"{f} row {_row(i)}: levels {t.at[i, 'levels']!r} must read like A=100;B=60 ({exc})")
    return problems


def load_criteria(source: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and validate the selection criteria.

    Parameters
    ----------
    source
        ``None`` for the packaged table, a CSV path, or a table already in memory.

    Returns
    -------
    pandas.DataFrame
        The rows of ``selection_criteria.csv`` with numeric weights, direction and tie-break.

    Raises
    ------
    SelectionError
        Listing every broken rule of :func:`validate_criteria`.
    """
    if source is None:
        table = _read_packaged(CRITERIA_FILE)
    elif isinstance(source, pd.DataFrame):
        table = source.astype({c: str for c in ("criterion_weight", "field_weight", "direction", "tie_break")
                               if c in source.columns})
    else:
        table = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    return _check_criteria(table)


def _check_criteria(table: pd.DataFrame) -> pd.DataFrame:
    problems = validate_criteria(table)
    if problems:
        raise SelectionError(problems)
    return table.assign(
        criterion_weight=table["criterion_weight"].astype(float),
        field_weight=table["field_weight"].astype(float),
        direction=table["direction"].astype(float).astype(int),
        tie_break=table["tie_break"].astype(float),
    ).reset_index(drop=True)


def load_rules(source: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and validate the eligibility rules (``None``: packaged; a CSV path; or a table).

    Raises
    ------
    SelectionError
        For a missing column, a duplicate rule id, an unknown source or operator.
    """
    if source is None:
        table = _read_packaged(RULES_FILE)
    elif isinstance(source, pd.DataFrame):
        table = source.astype(str)
    else:
        table = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    f = RULES_FILE
    required = ["version", "rule_id", "name_zh", "name_en", "source", "field", "operator", "value", "message"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise SelectionError(f"{f}: missing column(s) {', '.join(missing)}")
    problems = [f"{f} row {_row(i)}: rule_id {table.at[i, 'rule_id']!r} appears twice"
                for i in table.index[table["rule_id"].duplicated()]]
    problems += [f"{f} row {_row(i)}: source {table.at[i, 'source']!r} is not one of {RULE_SOURCES}"
                 for i in table.index[~table["source"].isin(RULE_SOURCES)]]
    problems += [f"{f} row {_row(i)}: operator {table.at[i, 'operator']!r} is not one of {tuple(OPERATORS)}"
                 for i in table.index[~table["operator"].isin(list(OPERATORS))]]
    if problems:
        raise SelectionError(problems)
    return table.reset_index(drop=True)


def criterion_labels(criteria: pd.DataFrame | None = None, lang: str = "zh") -> dict[str, str]:
    """``{criterion_id: label}`` in catalogue order (``lang`` ``"zh"`` or ``"en"``), for charts."""
    ct = criterion_table(load_criteria() if criteria is None else criteria)
    return dict(zip(ct["criterion_id"], ct[f"criterion_{lang}"], strict=True))


def criterion_table(criteria: pd.DataFrame) -> pd.DataFrame:
    """One row per criterion in catalogue order: id, labels, weight, share of the total, tie-break."""
    c = criteria.drop_duplicates("criterion_id")[
        ["criterion_id", "criterion_zh", "criterion_en", "criterion_weight", "tie_break"]
    ].reset_index(drop=True)
    return c.assign(share=c["criterion_weight"] / c["criterion_weight"].sum())


def _criteria_with(criteria: pd.DataFrame | None, weights: Mapping[str, float] | None) -> pd.DataFrame:
    """The criteria table, with criterion weights replaced by ``weights`` where given."""
    crit = load_criteria() if criteria is None else criteria
    if weights is None:
        return crit
    known = set(crit["criterion_id"])
    unknown = sorted(set(weights) - known)
    if unknown:
        raise SelectionError(f"unknown criterion id(s) {', '.join(unknown)} in weights; known: {', '.join(sorted(known))}")
    new = crit["criterion_id"].map(dict(weights)).astype(float).fillna(crit["criterion_weight"])
    return _check_criteria(crit.assign(criterion_weight=new.astype(str)))


def default_quotas(year: int, catalogue=None) -> pd.DataFrame:
    """County quotas of one round from the catalogue's ``plan_targets.csv``.

    Rows of ``kind`` quota (inputs of the selection, never judged as plan progress) with
    ``item == boutique_village``, ``region_level == county`` and ``target_year == year``;
    ``target_new`` is the county's quota (2023: 3 / 3 / 2 / 2).

    Returns
    -------
    pandas.DataFrame
        ``county_code`` (str), ``quota`` (int).

    Raises
    ------
    SelectionError
        When the catalogue holds no county quota for ``year``.
    """
    from hemei_tools.catalogue import load_catalogue

    pt = (catalogue or load_catalogue()).plan_targets
    quota = pt["kind"] == "quota" if "kind" in pt.columns else True
    rows = pt[quota & (pt["item"] == "boutique_village") & (pt["region_level"] == "county")
              & (pd.to_numeric(pt["target_year"]) == int(year))]
    if rows.empty:
        raise SelectionError(f"plan_targets.csv has no county boutique_village quota for {year}; pass quotas= "
                             "(a table of county_code, quota)")
    return pd.DataFrame({"county_code": rows["region_code"].astype(str).to_numpy(),
                         "quota": pd.to_numeric(rows["target_new"]).astype(int).to_numpy()})


# --- applicants -----------------------------------------------------------------------------


def prepare_applicants(applicants: pd.DataFrame, villages: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Check the applicant table against the village list and attach each village's attributes.

    Parameters
    ----------
    applicants
        The applicant table (docs/design.md): ``village_code``, ``apply_year``, evidence columns,
        optional ``selected``.
    villages
        The village table (``village_code``, ``village_name``, ``county_code``, ``village_type``...).
    year
        Keep only this application round; ``None`` requires a single round in the table.

    Returns
    -------
    pandas.DataFrame
        The applicants of the round, with ``village_name``, ``township_code``, ``county_code``,
        ``county_name`` and ``village_type`` from the village table, sorted by village code.

    Raises
    ------
    SelectionError
        For missing columns, no applicants in ``year``, several rounds when ``year`` is None, a
        village applying twice in one round, or an applicant not in the village list.
    """
    for col in ("village_code", "apply_year"):
        if col not in applicants.columns:
            raise SelectionError(f"the applicant table has no {col!r} column")
    if "village_code" not in villages.columns:
        raise SelectionError("the village table has no 'village_code' column")
    a = applicants.assign(village_code=applicants["village_code"].astype(str),
                          apply_year=pd.to_numeric(applicants["apply_year"]).astype(int))
    years = sorted(int(y) for y in a["apply_year"].unique())
    if year is None:
        if len(years) != 1:
            raise SelectionError(f"the applicant table holds rounds {years}; choose one with year=")
        year = years[0]
    a = a[a["apply_year"] == int(year)]
    if a.empty:
        raise SelectionError(f"no applicants in {year}; rounds present: {years}")
    dup = a.loc[a["village_code"].duplicated(), "village_code"]
    problems = [f"village {c} applies more than once in {year}" for c in sorted(dup.unique())]
    known = set(villages["village_code"].astype(str))
    problems += [f"applicant {c} is not in the village list (check the 12-digit village_code)"
                 for c in sorted(set(a["village_code"]) - known)]
    if problems:
        raise SelectionError(problems)
    attrs = [c for c in ("village_name", "township_code", "county_code", "county_name", "village_type",
                         "designation_year") if c in villages.columns]
    v = villages[["village_code", *attrs]].assign(village_code=villages["village_code"].astype(str))
    a = a.drop(columns=[c for c in attrs if c in a.columns]).merge(v, on="village_code", how="left")
    if "county_code" not in a.columns:
        a["county_code"] = a["village_code"].str[:6]
    return a.sort_values("village_code").reset_index(drop=True)


def attach_index_scores(applicants: pd.DataFrame, scores, criteria: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the 和美指数 node scores that the criteria use (``source == index``) as columns.

    Parameters
    ----------
    applicants
        Applicant table with ``village_code`` and ``apply_year``.
    scores
        An :class:`~hemei_tools.engine.composite.IndexResult` or its ``scores`` frame (``level``,
        ``unit_code``, ``year``, ``node``, ``score``).
    criteria
        Criteria table (default: packaged).

    Returns
    -------
    pandas.DataFrame
        ``applicants`` with one column per index field (e.g. a task code), the village's score
        (0–100) in the application year, or in the latest earlier year with a score.
    """
    crit = load_criteria() if criteria is None else criteria
    fields = crit.loc[crit["source"] == "index", "field"].tolist()
    if not fields:
        return applicants
    s = getattr(scores, "scores", scores)
    s = s[(s["level"] == "village") & s["node"].isin(fields) & s["score"].notna()]
    s = s[["unit_code", "year", "node", "score"]].rename(columns={"unit_code": "village_code"})
    a = applicants[["village_code", "apply_year"]].drop_duplicates()
    m = a.merge(s, on="village_code", how="inner")
    m = m[m["year"] <= m["apply_year"]].sort_values("year")
    last = m.groupby(["village_code", "apply_year", "node"], as_index=False)["score"].last()
    wide = last.pivot(index=["village_code", "apply_year"], columns="node", values="score").reset_index()
    wide.columns.name = None
    out = applicants.drop(columns=[f for f in fields if f in applicants.columns])
    out = out.merge(wide, on=["village_code", "apply_year"], how="left")
    for f in fields:
        if f not in out.columns:
            out[f] = np.nan
    return out


def check_eligibility(applicants: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Apply the eligibility rules to each applicant.

    Parameters
    ----------
    applicants
        Applicants prepared by :func:`prepare_applicants` (village attributes attached, so rules
        on the village table find their field).
    rules
        Rules table (default: packaged ``selection_rules.csv``).

    Returns
    -------
    pandas.DataFrame
        ``applicants`` with one boolean column ``rule_<rule_id>`` per rule, ``eligible`` (all
        rules pass) and ``failed_rules`` (the Chinese names of the failed rules, ``；``-joined,
        empty when eligible). A missing value fails its rule: it cannot be verified.

    Raises
    ------
    SelectionError
        When a rule's field is not a column of the table.
    """
    rl = load_rules() if rules is None else rules
    missing = [f"rule {r.rule_id} needs column {r.field!r} ({r.source} table)"
               for r in rl.itertuples() if r.field not in applicants.columns]
    if missing:
        raise SelectionError(missing)
    out = applicants.copy()
    failed = pd.Series("", index=out.index)
    for r in rl.itertuples():
        col = out[r.field]
        num = pd.to_numeric(col, errors="coerce")
        series = num if (num.notna() == col.notna()).all() and r.operator != "in" else col
        passes = OPERATORS[r.operator](series, r.value).fillna(False).astype(bool) & col.notna()
        out[f"rule_{r.rule_id}"] = passes
        failed = failed.where(passes, failed + np.where(failed == "", "", _t("punct.semicolon")) + r.name_zh)
    out["eligible"] = out[[f"rule_{r}" for r in rl["rule_id"]]].all(axis=1)
    out["failed_rules"] = failed
    return out


def list_failures(eligibility: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each failing applicant with each rule it failed: ``village_code``, ``village_name``,
    ``rule_id``, ``name_zh``, ``message``."""
    rl = load_rules() if rules is None else rules
    cols = [f"rule_{r}" for r in rl["rule_id"]]
    keep = ["village_code", *(["village_name"] if "village_name" in eligibility.columns else [])]
    long = eligibility[keep + cols].melt(id_vars=keep, var_name="rule", value_name="passes")
    long = long[~long["passes"].astype(bool)].assign(rule_id=lambda d: d["rule"].str[5:])
    long = long.merge(rl[["rule_id", "name_zh", "message"]], on="rule_id", how="left")
    return long[keep + ["rule_id", "name_zh", "message"]].sort_values(["village_code", "rule_id"]).reset_index(drop=True)


# --- scoring --------------------------------------------------------------------------------


def _require_fields(applicants: pd.DataFrame, crit: pd.DataFrame) -> None:
    missing = crit.loc[~crit["field"].isin(applicants.columns)]
    if not missing.empty:
        lines = [f"criterion {r.criterion_id} ({r.criterion_zh}) needs column {r.field!r}"
                 + (_t("error.criterion_index_hint") if r.source == "index" else "")
                 for r in missing.itertuples()]
        raise SelectionError(lines)


def _check_evidence(applicants: pd.DataFrame, crit: pd.DataFrame) -> None:
    """Refuse evidence that is present but unusable: text in a number field, a score outside
    0–100, a grade not in the criterion's ``levels``."""
    codes = applicants["village_code"].astype(str) if "village_code" in applicants.columns \
        else pd.Series(applicants.index.astype(str), index=applicants.index)
    problems = []
    for r in crit.itertuples():
        col = applicants[r.field]
        present = col.notna()
        if r.normalisation == "grade":
            levels = parse_levels(r.levels)
            bad = present & ~col.astype("string").str.strip().isin(list(levels))
            rule = f"must be one of {', '.join(levels)}"
        else:
            num = pd.to_numeric(col, errors="coerce")
            bad = present & num.isna()
            rule = "must be a number"
            if r.normalisation == "score":
                bad |= present & ~num.between(0, 100)
                rule = "must be a score between 0 and 100"
        if bad.any():
            where = ", ".join(f"{c} ({v!r})" for c, v in zip(codes[bad][:5], col[bad][:5], strict=True))
            more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
            problems.append(f"{r.field} ({r.criterion_zh}) {rule}: {where}{more}")
    if problems:
        raise SelectionError(problems)


def field_scores(applicants: pd.DataFrame, criteria: pd.DataFrame, method: str | None = None) -> np.ndarray:
    """Normalised evidence, shape ``(n_applicants, n_fields)`` in criteria-row order, 0–100.

    Parameters
    ----------
    method
        ``None`` uses each field's own ``normalisation``; a name of :data:`POOL_METHODS`
        replaces the pool method of every pooled field (``score`` and ``grade`` fields keep
        theirs). Direction −1 mirrors the pool scale. Missing evidence → 0.

    Raises
    ------
    SelectionError
        For a missing field column, text in a number field, a ``score`` outside 0–100 or a
        grade not listed in ``levels``.
    """
    _require_fields(applicants, criteria)
    _check_evidence(applicants, criteria)
    if method is not None and method not in POOL_METHODS:
        raise SelectionError(f"unknown normalisation {method!r}; choose one of {tuple(POOL_METHODS)}")
    out = np.zeros((len(applicants), len(criteria)))
    norm = criteria["normalisation"].to_numpy()
    direction = criteria["direction"].to_numpy(float)
    pooled = np.flatnonzero(~np.isin(norm, FIXED_NORMALISATIONS))
    chosen = norm[pooled] if method is None else np.full(pooled.size, method)
    for name in dict.fromkeys(chosen):
        cols = pooled[chosen == name]
        raw = applicants[criteria["field"].iloc[cols]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        out[:, cols] = get_normaliser(name)(raw, direction=direction[cols])
    for j in np.flatnonzero(norm == "score"):
        v = pd.to_numeric(applicants[criteria["field"].iloc[j]], errors="coerce").to_numpy(float)
        out[:, j] = v if criteria["direction"].iloc[j] > 0 else 100.0 - v
    for j in np.flatnonzero(norm == "grade"):
        levels = parse_levels(criteria["levels"].iloc[j])
        out[:, j] = applicants[criteria["field"].iloc[j]].astype("string").str.strip().map(levels).astype(float)
    return np.nan_to_num(out, nan=0.0)


def effective_weights(criteria: pd.DataFrame) -> np.ndarray:
    """Weight of each field in the total: ``c_k/Σc · f_j/Σ_{j'∈k} f_j'`` (sums to 1)."""
    cw = criteria.groupby("criterion_id", sort=False)["criterion_weight"].first()
    within = criteria["field_weight"] / criteria.groupby("criterion_id")["field_weight"].transform("sum")
    return (within * criteria["criterion_id"].map(cw / cw.sum())).to_numpy(float)


def _criterion_matrix(criteria: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """``(n_fields, n_criteria)`` within-criterion field shares, and the criterion ids in order."""
    ids = list(dict.fromkeys(criteria["criterion_id"]))
    within = (criteria["field_weight"] / criteria.groupby("criterion_id")["field_weight"].transform("sum")).to_numpy()
    m = np.zeros((len(criteria), len(ids)))
    m[np.arange(len(criteria)), [ids.index(c) for c in criteria["criterion_id"]]] = within
    return m, ids


def score_applicants(
    applicants: pd.DataFrame,
    criteria: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    normalisation: str | None = None,
) -> pd.DataFrame:
    """Score and rank the applicants on the five criteria.

    Parameters
    ----------
    applicants
        One row per applicant with every criterion field as a column (see
        :func:`attach_index_scores` for the index fields).
    criteria
        Criteria table (default: packaged).
    weights
        Criterion weights replacing the catalogue's, by ``criterion_id`` (relative; rescaled).
    normalisation
        Pool method for every pooled field (default: each field's own).

    Returns
    -------
    pandas.DataFrame
        ``village_code`` and the identifying columns present (``village_name``, ``county_code``,
        ``eligible``, ``failed_rules``), ``decision`` (the applicant table's ``selected``, if
        any), one column per criterion (0–100), ``total`` (0–100, the weighted mean of the
        criteria) and ``rank`` (1 = best, ties broken by the rule in the module docstring).

    Raises
    ------
    SelectionError
        For a missing criterion column, an unknown criterion in ``weights`` or weights that sum
        to zero.
    """
    crit = _criteria_with(criteria, weights)
    z = field_scores(applicants, crit, normalisation)
    m, ids = _criterion_matrix(crit)
    per = z @ m
    ct = criterion_table(crit).set_index("criterion_id").loc[ids]
    total = per @ ct["share"].to_numpy()
    keep = [c for c in ("village_code", "village_name", "township_code", "county_code", "county_name",
                        "apply_year", "eligible", "failed_rules") if c in applicants.columns]
    out = applicants[keep].reset_index(drop=True).copy()
    if "county_code" not in out.columns:
        out["county_code"] = out["village_code"].astype(str).str[:6]
    if "selected" in applicants.columns:
        out["decision"] = pd.to_numeric(applicants["selected"], errors="coerce").astype("Int64").to_numpy()
    out[ids] = per
    out["total"] = total
    order = _tie_order(out, ct)
    out["rank"] = 0
    out.loc[order, "rank"] = np.arange(1, len(out) + 1)
    return out


def _tie_base(scores: pd.DataFrame, ct: pd.DataFrame) -> np.ndarray:
    """Row order by the tie-break keys alone: criteria by ``tie_break`` (desc score), then code."""
    keys = [scores["village_code"].astype(str).to_numpy()]
    for cid in ct.sort_values("tie_break", ascending=False).index:
        keys.append(-np.round(scores[cid].to_numpy(float), ROUND))
    return np.lexsort(keys)


def _tie_order(scores: pd.DataFrame, ct: pd.DataFrame) -> np.ndarray:
    """Row positions from best to worst: total (rounded, desc), then the tie-break keys."""
    base = _tie_base(scores, ct)
    t = np.round(scores["total"].to_numpy(float), ROUND)[base]
    return base[np.argsort(-t, kind="stable")]


# --- the shortlist --------------------------------------------------------------------------


def _select(
    totals: np.ndarray, base: np.ndarray, county: np.ndarray, quotas: np.ndarray, total: int, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quota selection for many score vectors at once.

    Parameters
    ----------
    totals
        Scores, shape ``(n, d)``: ``n`` applicants, ``d`` scenarios.
    base
        Tie-break order of the applicants (positions), used as a stable pre-order.
    county
        County index of each applicant into ``quotas`` (−1: no quota).
    quotas, total
        Quota per county and the city total.
    eligible
        Boolean per applicant; ineligible applicants are never selected and rank last.

    Returns
    -------
    selected, by_quota : (n, d) bool
        Chosen, and chosen through the county quota (rather than the city pool).
    rank : (n, d) int
        1 = best; ineligible applicants follow the eligible ones.
    """
    n, d = totals.shape
    t = np.where(eligible[:, None], np.round(totals, ROUND), -np.inf)[base]
    order = base[np.argsort(-t, axis=0, kind="stable")]
    elig_o = eligible[order]
    cty_o = county[order]
    quota_o = np.zeros((n, d), dtype=bool)
    for c, q in enumerate(quotas):
        m = elig_o & (cty_o == c)
        quota_o |= m & (np.cumsum(m, axis=0) <= q)
    rest = elig_o & ~quota_o
    room = total - quota_o.sum(axis=0)
    chosen_o = quota_o | (rest & (np.cumsum(rest, axis=0) <= room))
    selected = np.empty((n, d), dtype=bool)
    by_quota = np.empty((n, d), dtype=bool)
    rank = np.empty((n, d), dtype=int)
    np.put_along_axis(selected, order, chosen_o, axis=0)
    np.put_along_axis(by_quota, order, quota_o, axis=0)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(1, n + 1)[:, None], (n, d)), axis=0)
    return selected, by_quota, rank


def _quota_setup(scores: pd.DataFrame, quotas: pd.DataFrame | None, total: int | None, year: int | None):
    if quotas is None:
        if year is None and "apply_year" not in scores.columns:
            raise SelectionError("no round to take the county quotas from: pass year= or quotas=")
        quotas = default_quotas(int(year) if year is not None else int(scores["apply_year"].iloc[0]))
    if not {"county_code", "quota"} <= set(quotas.columns):
        raise SelectionError("quotas need columns county_code and quota")
    q = quotas.assign(county_code=quotas["county_code"].astype(str),
                      quota=pd.to_numeric(quotas["quota"], errors="coerce"))
    if q["quota"].isna().any() or (q["quota"] < 0).any() or q["county_code"].duplicated().any():
        raise SelectionError("quotas must give one non-negative whole number per county_code")
    q = q.assign(quota=q["quota"].astype(int))
    total = int(q["quota"].sum()) if total is None else int(total)
    if total < q["quota"].sum():
        raise SelectionError(f"the city total {total} is below the sum of the county quotas {q['quota'].sum()}")
    codes = q["county_code"].tolist()
    county = scores["county_code"].astype(str).map({c: i for i, c in enumerate(codes)}).fillna(-1).astype(int).to_numpy()
    eligible = scores["eligible"].astype(bool).to_numpy() if "eligible" in scores.columns else np.ones(len(scores), bool)
    return q, county, q["quota"].to_numpy(), total, eligible


def select_shortlist(
    scores: pd.DataFrame,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    criteria: pd.DataFrame | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Choose the shortlist: county quotas first, then the city pool (module docstring).

    Parameters
    ----------
    scores
        Output of :func:`score_applicants` (``eligible`` optional: all eligible when absent).
    quotas
        ``county_code``, ``quota``; default :func:`default_quotas` of the round's year. A county
        missing from the table has quota 0.
    total
        City total; default the sum of the quotas. Must not be below that sum.
    criteria
        The criteria the scores came from (for the tie-break order; default packaged).

    Returns
    -------
    pandas.DataFrame
        ``scores`` sorted by rank with ``selected`` (bool), ``route`` (``quota``, ``city_pool``,
        ``not_selected``, ``ineligible``) and ``rank`` recomputed among eligible applicants.
    """
    ct = criterion_table(load_criteria() if criteria is None else criteria).set_index("criterion_id")
    _, county, qv, total, eligible = _quota_setup(scores, quotas, total, year)
    base = _tie_base(scores, ct)
    sel, by_quota, rank = _select(scores[["total"]].to_numpy(float), base, county, qv, total, eligible)
    out = scores.copy()
    out["rank"] = rank[:, 0]
    out["selected"] = sel[:, 0]
    out["route"] = np.select([~eligible, by_quota[:, 0], sel[:, 0]], ["ineligible", "quota", "city_pool"],
                             "not_selected")
    return out.sort_values("rank").reset_index(drop=True)
