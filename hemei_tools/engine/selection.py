"""Choosing 精品示范村: eligibility, applicant scores, a quota-aware shortlist and its robustness.

The city chose its 2023 精品示范村 "by 经济强、产业兴、基础好、积极性高、党建引领好" with a
county split of 3 / 3 / 2 / 2 (domain.md §1). This module makes that decision transparent and
reproducible; everything it needs is data:

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

Robustness labels (:func:`selection_robustness`): ``robust`` when selected in at least 90% of
the Monte Carlo runs, ``out`` when in fewer than 10%, ``marginal`` in between (both thresholds
are arguments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hemei_tools.catalogue import format_label as _tf
from hemei_tools.catalogue import label as _t
from hemei_tools.engine.normalise import get_normaliser
from hemei_tools.engine.sensitivity import draw_group_weights
from hemei_tools.errors import HemeiError

CRITERIA_FILE = "selection_criteria.csv"
RULES_FILE = "selection_rules.csv"
SOURCES = ("applicants", "index")
RULE_SOURCES = ("applicants", "villages")
FIXED_NORMALISATIONS = ("score", "grade")
LABELS = ("robust", "marginal", "out")
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

    Rows with ``item == boutique_village``, ``region_level == county`` and ``target_year == year``;
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
    rows = pt[(pt["item"] == "boutique_village") & (pt["region_level"] == "county")
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


# --- robustness -----------------------------------------------------------------------------


def _draw_totals(z_by_method: dict[str, np.ndarray], crit: pd.DataFrame, n: int, rng: np.random.Generator,
                 concentration: float) -> np.ndarray:
    """Totals under ``n`` draws of (criterion weights, field weights, normalisation): ``(n_app, n)``."""
    cids = crit["criterion_id"].to_numpy()
    ct = criterion_table(crit)
    cw = draw_group_weights(ct["criterion_weight"].to_numpy(), np.zeros(len(ct)), n, rng, concentration)
    fw = draw_group_weights(crit["field_weight"].to_numpy(), cids, n, rng, concentration)
    eff = fw * cw[:, pd.Index(ct["criterion_id"]).get_indexer(cids)]
    methods = list(z_by_method)
    pick = rng.integers(0, len(methods), size=n)
    totals = np.empty((next(iter(z_by_method.values())).shape[0], n))
    for k, name in enumerate(methods):
        idx = np.flatnonzero(pick == k)
        totals[:, idx] = z_by_method[name] @ eff[idx].T
    return totals


def selection_robustness(
    applicants: pd.DataFrame,
    criteria: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    n: int = 1000,
    seed: int = 2023,
    weight_concentration: float = 50.0,
    normalisations: Sequence[str] = ("minmax", "rank", "zscore"),
    robust_at: float = 0.9,
    out_below: float = 0.1,
    year: int | None = None,
) -> pd.DataFrame:
    """Monte Carlo over weights and normalisation: how sure is each applicant's place?

    Each draw takes criterion weights ~ Dirichlet(c·s) around the catalogue shares, field weights
    ~ Dirichlet within each criterion likewise (:func:`~hemei_tools.engine.sensitivity.draw_group_weights`),
    and one pool normalisation from ``normalisations`` (uniformly), then applies the quota rule.

    Parameters
    ----------
    applicants
        Applicants with every criterion field (and ``eligible`` from :func:`check_eligibility`).
    n, seed, weight_concentration
        Number of draws, seed of :func:`numpy.random.default_rng`, Dirichlet concentration ``c``.
    robust_at, out_below
        Labels: ``robust`` when P(selected) ≥ ``robust_at``, ``out`` when P(selected) <
        ``out_below``, ``marginal`` between.

    Returns
    -------
    pandas.DataFrame
        Per applicant: ``village_code``, ``village_name`` (if known), ``county_code``, ``eligible``,
        ``nominal_rank``, ``nominal_selected``, ``p_selected`` (share of draws, 0–1),
        ``rank_median``, ``rank_p05``, ``rank_p95`` (rank among the eligible applicants; NaN for
        an ineligible one), ``label`` (an ineligible applicant is ``out``); sorted by
        P(selected) then nominal rank.
    """
    crit = load_criteria() if criteria is None else criteria
    unknown = [m for m in normalisations if m not in POOL_METHODS]
    if unknown or not normalisations:
        raise SelectionError(f"normalisations must be names from {tuple(POOL_METHODS)}; got {list(normalisations)}")
    nominal = select_shortlist(score_applicants(applicants, crit), quotas, total, crit, year)
    nominal = nominal.set_index("village_code").loc[applicants["village_code"].astype(str)].reset_index()
    _, county, qv, tot, eligible = _quota_setup(nominal, quotas, total, year)
    rng = np.random.default_rng(seed)
    z = {m: field_scores(applicants, crit, m) for m in dict.fromkeys(normalisations)}
    totals = _draw_totals(z, crit, n, rng, weight_concentration)
    ct = criterion_table(crit).set_index("criterion_id")
    base = _tie_base(nominal, ct)
    sel, _, rank = _select(totals, base, county, qv, tot, eligible)
    keep = [c for c in ("village_code", "village_name", "county_code") if c in nominal.columns]
    out = nominal[keep].copy()
    out["eligible"] = eligible
    out["nominal_rank"] = nominal["rank"].to_numpy()
    out["nominal_selected"] = nominal["selected"].to_numpy()
    out["p_selected"] = sel.mean(axis=1)
    q = np.where(eligible, np.percentile(rank, [50, 5, 95], axis=1), np.nan)
    out["rank_median"], out["rank_p05"], out["rank_p95"] = q[0], q[1], q[2]
    out["label"] = np.select([out["p_selected"] >= robust_at, out["p_selected"] < out_below],
                             ["robust", "out"], "marginal")
    return out.sort_values(["p_selected", "nominal_rank"], ascending=[False, True]).reset_index(drop=True)


def sweep_weights(
    applicants: pd.DataFrame,
    criteria: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    step: float = 0.01,
    year: int | None = None,
) -> pd.DataFrame:
    """Selection as one criterion's share of the weight runs from 0 to 1, the others in proportion.

    For criterion ``k`` at share ``s`` the criterion shares are ``s`` for ``k`` and
    ``(1 − s)·c_j/Σ_{i≠k} c_i`` for the others; field weights and normalisation stay nominal.

    Returns
    -------
    pandas.DataFrame
        Long: ``criterion_id``, ``share``, ``nominal_share``, ``village_code``, ``total``,
        ``rank``, ``selected`` — the data of a weight-sensitivity chart.
    """
    crit = load_criteria() if criteria is None else criteria
    nominal = score_applicants(applicants, crit)
    _, county, qv, tot, eligible = _quota_setup(nominal, quotas, total, year)
    ct = criterion_table(crit)
    grid = np.round(np.arange(0.0, 1.0 + step / 2, step), 10)
    k_n, g_n = len(ct), len(grid)
    nominal_share = ct["share"].to_numpy()
    shares = np.empty((k_n, g_n, k_n))
    for k in range(k_n):
        rest = np.where(np.arange(k_n) == k, 0.0, nominal_share)
        rest = rest / rest.sum() if rest.sum() > 0 else np.where(np.arange(k_n) == k, 0.0, 1.0 / max(k_n - 1, 1))
        shares[k] = (1.0 - grid)[:, None] * rest[None, :]
        shares[k][:, k] = grid
    per = nominal[ct["criterion_id"]].to_numpy(float)
    totals = per @ shares.reshape(k_n * g_n, k_n).T
    base = _tie_base(nominal, ct.set_index("criterion_id"))
    sel, _, rank = _select(totals, base, county, qv, tot, eligible)
    n_app = len(nominal)
    return pd.DataFrame({
        "criterion_id": np.repeat(np.repeat(ct["criterion_id"].to_numpy(), g_n), n_app),
        "share": np.repeat(np.tile(grid, k_n), n_app),
        "nominal_share": np.repeat(np.repeat(ct["share"].to_numpy(), g_n), n_app),
        "village_code": np.tile(nominal["village_code"].astype(str).to_numpy(), k_n * g_n),
        "total": totals.T.ravel(),
        "rank": rank.T.ravel(),
        "selected": sel.T.ravel(),
    })


def stable_weight_ranges(sweep: pd.DataFrame, shortlist: pd.DataFrame,
                         criteria: pd.DataFrame | None = None) -> pd.DataFrame:
    """How far each criterion's weight can move, alone, before the shortlist changes.

    On the grid of :func:`sweep_weights`, the contiguous run of shares around the nominal one
    (the grid point nearest to it) where exactly the nominal shortlist is selected.

    Parameters
    ----------
    sweep
        :func:`sweep_weights` output.
    shortlist
        :func:`select_shortlist` output of the same applicants (``village_code``, ``selected``).

    Returns
    -------
    pandas.DataFrame
        ``criterion_id``, ``criterion_zh``, ``nominal_share``, ``low_share``, ``high_share``
        (shares of the total weight, 0–1); the range is empty (NaN) when even the nominal grid
        point differs from the shortlist.
    """
    ct = criterion_table(load_criteria() if criteria is None else criteria)
    nominal = shortlist.set_index("village_code")["selected"].astype(bool)
    same = (sweep["selected"].to_numpy() == sweep["village_code"].map(nominal).to_numpy(bool))
    grid = (sweep.assign(same=same).groupby(["criterion_id", "share"], sort=True)["same"].all()
            .rename("same").reset_index())
    rows = []
    for r in ct.itertuples():
        g = grid[grid["criterion_id"] == r.criterion_id].reset_index(drop=True)
        at = int(np.argmin(np.abs(g["share"].to_numpy() - r.share)))
        ok = g["same"].to_numpy()
        # runs of equal "same" values; keep the one holding the nominal point
        run = np.cumsum(np.r_[0, ok[1:] != ok[:-1]])
        inside = (run == run[at]) & ok
        shares = g["share"].to_numpy()[inside]
        rows.append({"criterion_id": r.criterion_id, "criterion_zh": r.criterion_zh, "nominal_share": r.share,
                     "low_share": shares.min() if shares.size else np.nan,
                     "high_share": shares.max() if shares.size else np.nan})
    return pd.DataFrame(rows)


def flip_weights(
    applicants: pd.DataFrame,
    robustness: pd.DataFrame | None = None,
    criteria: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    step: float = 0.005,
    year: int | None = None,
    sweep: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each marginal applicant, the smallest single change of one criterion's weight that
    flips it into or out of the shortlist.

    Searches the grid of :func:`sweep_weights` (resolution ``step`` in share of the total weight)
    for the share closest to the nominal one at which the applicant's selection differs from
    the nominal selection; equally close changes go to the criterion listed first in the
    criteria table.

    Parameters
    ----------
    robustness
        Output of :func:`selection_robustness`; its ``marginal`` applicants are examined. ``None``
        examines every eligible applicant.
    sweep
        A :func:`sweep_weights` frame of the same applicants and criteria to search instead of
        computing one with ``step``.

    Returns
    -------
    pandas.DataFrame
        ``village_code``, ``nominal_selected``, ``criterion_id``, ``criterion_zh``,
        ``share_from`` and ``share_to`` (the criterion's share of the total weight, 0–1),
        ``change`` (``share_to − share_from``), ``selected_after``; NaN criterion when no single
        weight change flips the applicant.
    """
    crit = load_criteria() if criteria is None else criteria
    if sweep is None:
        sweep = sweep_weights(applicants, crit, quotas, total, step, year)
    nominal = select_shortlist(score_applicants(applicants, crit), quotas, total, crit, year)
    nom = nominal.set_index("village_code")["selected"]
    if robustness is None:
        codes = nominal.loc[nominal["route"] != "ineligible", "village_code"]
    else:
        codes = robustness.loc[robustness["label"] == "marginal", "village_code"]
    s = sweep[sweep["village_code"].isin(set(codes.astype(str)))]
    s = s[s["selected"] != s["village_code"].map(nom)]
    ct = criterion_table(crit)
    position = pd.Series(np.arange(len(ct)), index=ct["criterion_id"])
    s = s.assign(distance=np.round((s["share"] - s["nominal_share"]).abs(), 9),
                 position=s["criterion_id"].map(position))
    best = s.sort_values(["village_code", "distance", "position"], kind="stable").drop_duplicates("village_code")
    labels = ct.set_index("criterion_id")["criterion_zh"]
    out = pd.DataFrame({"village_code": codes.astype(str).to_numpy()})
    out["nominal_selected"] = out["village_code"].map(nom).astype(bool)
    out = out.merge(best[["village_code", "criterion_id", "nominal_share", "share", "selected"]],
                    on="village_code", how="left")
    out = out.rename(columns={"nominal_share": "share_from", "share": "share_to", "selected": "selected_after"})
    out.insert(3, "criterion_zh", out["criterion_id"].map(labels))
    out["change"] = out["share_to"] - out["share_from"]
    return out[["village_code", "nominal_selected", "criterion_id", "criterion_zh", "share_from", "share_to",
                "change", "selected_after"]]


# --- the actual decision --------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionComparison:
    """Model shortlist against the actual decision.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: ``n_applicants``, ``agree``, ``both_selected``, ``both_rejected``,
        ``model_only``, ``decision_only``, ``agreement_rate`` (0–1).
    disagreements : pandas.DataFrame
        One row per disagreement: ``village_code``, ``village_name``, ``county_code``, ``kind``
        (``decision_only``: chosen by the city, not by the model; ``model_only``: the reverse),
        ``rank``, ``total``, ``reason`` (``criteria``; ``ineligible``: the village fails a rule;
        ``replaces_ineligible``: the model gives it the county slot, or the city-pool slot, of
        ineligible villages the city chose) and ``explained_by`` (criteria labels, strongest first, or the failed
        rules, or the replaced villages).
    detail : pandas.DataFrame
        Long: per disagreement and criterion, ``score``, ``reference`` (mean score of the group
        compared with), ``weighted_diff`` (``share_k·(score − reference)``, points of the total)
        and ``explains`` (bool).
    """

    summary: pd.DataFrame
    disagreements: pd.DataFrame
    detail: pd.DataFrame


def compare_with_decision(shortlist: pd.DataFrame, criteria: pd.DataFrame | None = None) -> DecisionComparison:
    """Compare the model's shortlist with the actual decision (the applicants' ``selected``).

    Each disagreeing village is compared with the villages it swapped places with: for a
    ``decision_only`` village (chosen by the city, not by the model) the ``model_only`` villages of
    its county; for a ``model_only`` village the ``decision_only`` villages of its county. When its
    county has none, the counterparts city-wide; when there are none at all, the other side's
    whole selection; only eligible villages serve as reference. With ``share_k`` the
    criterion's share of the weight,
    ``weighted_diff_k = share_k·(score_k − mean_ref_k)`` in points of the 0–100 total; the
    criteria where a ``decision_only`` village falls short (diff < 0), or where a ``model_only``
    village is ahead (diff > 0), explain the disagreement, largest first. A ``decision_only``
    village that fails a rule is explained by that rule; a ``model_only`` village whose county's
    ``decision_only`` villages are all ineligible is explained as taking their slot (and a
    city-pool ``model_only`` village likewise when every ``decision_only`` village is ineligible).

    Raises
    ------
    SelectionError
        When ``shortlist`` has no ``decision`` column (no ``selected`` in the applicant table).
    """
    if "decision" not in shortlist.columns or shortlist["decision"].isna().all():
        raise SelectionError("no actual decision to compare with: the applicant table has no 'selected' column")
    ct = criterion_table(load_criteria() if criteria is None else criteria).set_index("criterion_id")
    s = shortlist.reset_index(drop=True)
    model = s["selected"].astype(bool).to_numpy()
    decision = (s["decision"].fillna(0).astype(int) == 1).to_numpy()
    summary = pd.DataFrame([{
        "n_applicants": len(s), "agree": int((model == decision).sum()),
        "both_selected": int((model & decision).sum()), "both_rejected": int((~model & ~decision).sum()),
        "model_only": int((model & ~decision).sum()), "decision_only": int((~model & decision).sum()),
        "agreement_rate": float((model == decision).mean()) if len(s) else np.nan,
    }])
    ids = ct.index.tolist()
    scores = s[ids].to_numpy(float)
    county = s["county_code"].astype(str).to_numpy()
    sides = {"decision_only": decision & ~model, "model_only": model & ~decision}
    fallback = {"decision_only": model, "model_only": decision}
    other = {"decision_only": "model_only", "model_only": "decision_only"}
    sign = {"decision_only": -1.0, "model_only": 1.0}
    eligible = s["eligible"].astype(bool).to_numpy() if "eligible" in s.columns else np.ones(len(s), bool)
    failed = s["failed_rules"].astype(str).to_numpy() if "failed_rules" in s.columns else np.full(len(s), "")
    names = s["village_name"].astype(str).to_numpy() if "village_name" in s.columns else s["village_code"].to_numpy()
    pool = (s["route"] == "city_pool").to_numpy() if "route" in s.columns else np.zeros(len(s), bool)
    rows, details = [], []
    for kind, mask in sides.items():
        counterpart = sides[other[kind]] & eligible
        for i in np.flatnonzero(mask):
            group = next((g for g in (counterpart & (county == county[i]), counterpart, fallback[kind] & eligible)
                          if g.any()), None)
            ref = scores[group].mean(axis=0) if group is not None else np.full(len(ids), np.nan)
            diff = ct["share"].to_numpy() * (scores[i] - ref)
            explains = sign[kind] * diff > 0
            order = np.argsort(-sign[kind] * diff, kind="stable")
            text = _t("punct.list_sep").join(ct["criterion_zh"].iloc[k] for k in order if explains[k])
            barred = sides[other[kind]] & ~eligible & (county == county[i])
            if not eligible[i]:
                reason, text = "ineligible", _tf("selection.reason_failed", failed=failed[i])
            elif kind == "model_only" and barred.any() and not (counterpart & (county == county[i])).any():
                reason = "replaces_ineligible"
                text = _tf("selection.reason_replaces", names=_t("punct.list_sep").join(names[barred]))
            elif kind == "model_only" and pool[i] and not counterpart.any() and (sides[other[kind]]).any():
                barred = sides[other[kind]] & ~eligible
                reason = "replaces_ineligible"
                text = _tf("selection.reason_replaces_pool", names=_t("punct.list_sep").join(names[barred]))
            else:
                reason = "criteria"
            rows.append({"village_code": s.at[i, "village_code"],
                         "village_name": s["village_name"].iloc[i] if "village_name" in s.columns else "",
                         "county_code": county[i], "kind": kind, "rank": s.at[i, "rank"],
                         "total": s.at[i, "total"], "reason": reason, "explained_by": text})
            details.append(pd.DataFrame({"village_code": s.at[i, "village_code"], "kind": kind,
                                         "criterion_id": ids, "score": scores[i], "reference": ref,
                                         "weighted_diff": diff, "explains": explains}))
    cols = ["village_code", "village_name", "county_code", "kind", "rank", "total", "reason", "explained_by"]
    detail_cols = ["village_code", "kind", "criterion_id", "score", "reference", "weighted_diff", "explains"]
    return DecisionComparison(
        summary=summary,
        disagreements=pd.DataFrame(rows, columns=cols),
        detail=pd.concat(details, ignore_index=True) if details else pd.DataFrame(columns=detail_cols),
    )


# --- one call for the whole round -----------------------------------------------------------


@dataclass(frozen=True)
class SelectionResult:
    """Everything about one application round, for the notebook, the report and the CLI.

    Attributes
    ----------
    year, total : int
        The round and the city total.
    criteria, rules, quotas : pandas.DataFrame
        The tables used (criteria and rules as loaded; quotas ``county_code, quota``).
    applicants : pandas.DataFrame
        Applicants of the round with village attributes, index fields and eligibility.
    failures : pandas.DataFrame
        :func:`list_failures`: each ineligible applicant with each rule it failed.
    shortlist : pandas.DataFrame
        :func:`select_shortlist` of :func:`score_applicants`: criterion scores, total, rank,
        ``selected``, ``route``, ``decision`` when known.
    robustness : pandas.DataFrame
        :func:`selection_robustness`.
    sweep : pandas.DataFrame
        :func:`sweep_weights` at a step of 0.005 (the weight-sensitivity chart's data).
    stability : pandas.DataFrame
        :func:`stable_weight_ranges`: per criterion, the share range keeping the shortlist.
    flips : pandas.DataFrame
        :func:`flip_weights` for the marginal applicants, searched on ``sweep``.
    comparison : DecisionComparison or None
        :func:`compare_with_decision` when the applicant table has ``selected``.
    synthetic : bool
        True when built from synthetic (demo) data.
    """

    year: int
    total: int
    criteria: pd.DataFrame
    rules: pd.DataFrame
    quotas: pd.DataFrame
    applicants: pd.DataFrame
    failures: pd.DataFrame
    shortlist: pd.DataFrame
    robustness: pd.DataFrame
    sweep: pd.DataFrame
    stability: pd.DataFrame
    flips: pd.DataFrame
    comparison: DecisionComparison | None
    synthetic: bool = False

    def table(self) -> pd.DataFrame:
        """The shortlist with its robustness: one row per applicant in rank order.

        Columns ``rank``, ``village_code``, ``village_name``, ``county_name`` (when known),
        ``total``, ``selected``, ``route``, ``p_selected``, ``rank_p05``, ``rank_p95``, ``label``,
        ``decision`` (when known), ``failed_rules``.
        """
        r = self.robustness.set_index("village_code")[["p_selected", "rank_p05", "rank_p95", "label"]]
        s = self.shortlist.join(r, on="village_code")
        cols = [c for c in ("rank", "village_code", "village_name", "county_name", "total", "selected", "route",
                            "p_selected", "rank_p05", "rank_p95", "label", "decision", "failed_rules")
                if c in s.columns]
        return s[cols]


def village_task_scores(dataset, catalogue=None, spec=None) -> pd.DataFrame:
    """Village-level 和美指数 scores of every node and year (``IndexResult.scores`` rows).

    Builds the index with :func:`hemei_tools.engine.composite.build_index` (default spec) on the
    village values of ``dataset``; the 基础好 criterion reads its task scores from here.
    """
    from hemei_tools.engine.composite import IndexSpec, build_index
    from hemei_tools.engine.rollup import aggregate_values

    values = aggregate_values(dataset.observations, dataset.villages, catalogue, levels=("village",))
    result = build_index(values, catalogue, spec if spec is not None else IndexSpec())
    return result.scores[result.scores["level"] == "village"]


def run_selection(
    dataset,
    year: int | None = None,
    index_scores=None,
    criteria: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
    quotas: pd.DataFrame | None = None,
    total: int | None = None,
    n: int = 1000,
    seed: int = 2023,
    weight_concentration: float = 50.0,
    normalisations: Sequence[str] = POOL_METHODS,
) -> SelectionResult:
    """Run a whole round: eligibility, scores, shortlist, robustness, weight flips, comparison.

    Parameters
    ----------
    dataset
        A :class:`~hemei_tools.inputs.dataset.DataSet` (``villages``, ``applicants``, ``observations``).
    year
        The round (default: the latest ``apply_year`` in the applicant table).
    index_scores
        An ``IndexResult`` or its village scores; default :func:`village_task_scores`.
    criteria, rules, quotas, total
        As in :func:`score_applicants`, :func:`check_eligibility`, :func:`select_shortlist`
        (defaults: the packaged tables and the round's county quotas).
    n, seed, weight_concentration, normalisations
        Monte Carlo settings of :func:`selection_robustness`.

    Raises
    ------
    SelectionError
        When the data set has no applicants, or any check of the steps fails.
    """
    apps = dataset.applicants
    if apps is None or apps.empty:
        raise SelectionError(_t("error.no_applicants"))
    year = int(pd.to_numeric(apps["apply_year"]).max()) if year is None else int(year)
    crit = load_criteria() if criteria is None else criteria
    rl = load_rules() if rules is None else rules
    prepared = prepare_applicants(apps, dataset.villages, year)
    if (crit["source"] == "index").any():
        scores = village_task_scores(dataset) if index_scores is None else index_scores
        prepared = attach_index_scores(prepared, scores, crit)
    elig = check_eligibility(prepared, rl)
    q, _, _, tot, _ = _quota_setup(prepared, quotas, total, year)
    shortlist = select_shortlist(score_applicants(elig, crit), q, tot, crit, year)
    robust = selection_robustness(elig, crit, q, tot, n=n, seed=seed, weight_concentration=weight_concentration,
                                  normalisations=normalisations, year=year)
    sweep = sweep_weights(elig, crit, q, tot, step=0.005, year=year)
    flips = flip_weights(elig, robust, crit, q, tot, year=year, sweep=sweep)
    comparison = compare_with_decision(shortlist, crit) if shortlist.get("decision") is not None \
        and shortlist["decision"].notna().any() else None
    return SelectionResult(year=year, total=tot, criteria=crit, rules=rl, quotas=q, applicants=elig,
                           failures=list_failures(elig, rl), shortlist=shortlist, robustness=robust, sweep=sweep,
                           stability=stable_weight_ranges(sweep, shortlist, crit), flips=flips,
                           comparison=comparison, synthetic=bool(getattr(dataset, "synthetic", False)))
