"""``hemei select --data DIR [--year 2023] [--csv OUT]``: the 精品示范村 shortlist with labels."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("select")
@click.option("--data", "data", required=True, type=click.Path(exists=True, path_type=Path),
              help="Folder (or workbook) with villages, observations and applicants.")
@click.option("--year", type=int, default=None, help="Application round (default: the latest in the data).")
@click.option("--draws", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Monte Carlo draws over weights and normalisation.")
@click.option("--seed", type=int, default=2023, show_default=True, help="Seed of the Monte Carlo draws.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the table to this CSV file (UTF-8 with BOM, for Excel; text that "
                   "Excel would run as a formula is written after a quote).")
def select(data: Path, year: int | None, draws: int, seed: int, csv_out: Path | None) -> None:
    """Score the 精品示范村 applicants and print the shortlist with its robustness.

    Applies the eligibility rules, scores the five criteria (经济强、产业兴、基础好、积极性高、
    党建引领好), fills the county quotas and the city total, and labels each applicant robust
    (selected in at least 90% of the Monte Carlo runs), marginal or out. Exit code 0 on
    success, 1 when the data cannot be used, 2 on usage errors.
    """
    if csv_out is not None and not csv_out.parent.is_dir():
        raise click.UsageError(f"folder of --csv does not exist: {csv_out.parent}")
    from hemei_tools.engine.selection import run_selection
    from hemei_tools.errors import HemeiError
    from hemei_tools.exports import write_csv
    from hemei_tools.inputs.dataset import load_dataset

    try:
        result = run_selection(load_dataset(data), year=year, n=draws, seed=seed)
    except HemeiError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(1) from None
    table = result.table()
    if csv_out is not None:
        try:
            write_csv(table, csv_out)
        except OSError as err:
            raise click.UsageError(f"cannot write {csv_out}: {err}") from None
    click.echo(_render(result, table))


def _render(result, table) -> str:
    """Plain-text report: header, shortlist table, ineligible applicants, flips, comparison."""
    from hemei_tools.catalogue import format_label as _tf
    from hemei_tools.catalogue import label as _t
    from hemei_tools.inputs.table_text import frame_table

    banner = _t("banner.synthetic_cli") if result.synthetic else ""
    quotas = _t("punct.list_sep").join(f"{c}:{q}" for c, q in zip(result.quotas["county_code"], result.quotas["quota"], strict=True))
    lines = [_tf("cli.select.summary",
                 banner=banner,
                 year=result.year,
                 n_applicants=len(table),
                 n_selected=int(table["selected"].sum()),
                 total=result.total,
                 quotas=quotas,
                 version=result.criteria["version"].iloc[0]), ""]
    show = table.assign(
        total=table["total"].round(1),
        selected=table["selected"].map({True: "yes", False: ""}),
        p_selected=(100 * table["p_selected"]).round(0).astype(int).astype(str) + "%",
        rank_interval=(table["rank_p05"].map("{:.0f}".format) + "–" + table["rank_p95"].map("{:.0f}".format))
        .where(table["rank_p05"].notna(), "—"),
    )
    cols = [c for c in ("rank", "village_code", "village_name", "county_name", "total", "selected", "route",
                        "p_selected", "rank_interval", "label", "decision") if c in show.columns]
    lines.append(frame_table(show[cols]))
    if not result.failures.empty:
        lines += ["", _t("cli.select.ineligible_heading")]
        lines += [_tf("cli.select.ineligible_row",
                      village_code=r.village_code,
                      village_name=getattr(r, "village_name", ""),
                      rule=r.name_zh)
                  for r in result.failures.itertuples()]
    st = result.stability.dropna(subset=["low_share"])
    if not st.empty:
        lines += ["", "Each criterion's share of the weight, moved alone, keeps this shortlist within:"]
        lines += [f"  {r.criterion_zh}: {r.nominal_share:.0%} (from {r.low_share:.1%} to {r.high_share:.1%})"
                  for r in st.itertuples()]
    flips = result.flips.dropna(subset=["criterion_id"])
    if not flips.empty:
        lines += ["", "Marginal applicants: the single weight change that flips each one"]
        lines += [f"  {r.village_code}: {r.criterion_zh} share {r.share_from:.0%} → {r.share_to:.1%} "
                  f"({'in' if r.selected_after else 'out'})" for r in flips.itertuples()]
    if result.comparison is not None:
        s = {k: int(v) for k, v in result.comparison.summary.iloc[0].drop("agreement_rate").items()}
        lines += ["", f"Against the actual decision: {s['agree']} of {s['n_applicants']} agree "
                      f"({s['model_only']} chosen only by the model, {s['decision_only']} only by the city)"
                      + ("; criteria explaining each disagreement:" if s["agree"] < s["n_applicants"] else "")]
        lines += [f"  {r.village_code} {r.village_name} {r.kind}: {r.explained_by or '—'}"
                  for r in result.comparison.disagreements.itertuples()]
    return "\n".join(lines)
