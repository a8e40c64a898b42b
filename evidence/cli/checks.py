"""Commands that check a trial's numbers: `check` (findings) and `stats` (effect table)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from evidence.cli.output import OutputFormat, emit, message

FINDING_COLUMNS = ("trial", "severity", "check", "path", "message")
EFFECT_COLUMNS = ("endpoint", "timepoint", "population", "category", "arms", "data", "measure",
                  "estimate", "ci_95", "note", "reported_p", "p_check", "tests")


class Severity(StrEnum):
    error = "error"
    warning = "warning"


def _fmt(value: float | None, digits: int = 3) -> str:
    # Recomputed numbers are shown at a fixed precision for reading; JSON keeps full floats.
    return "" if value is None else f"{value:.{digits}f}"


def check(
    ctx: typer.Context,
    ident: Annotated[str | None, typer.Argument(metavar="[ID]", help="Registration ID, PMID, DOI "
                                                                     "or id.")] = None,
    all_trials: Annotated[bool, typer.Option("--all", help="Check every trial.")] = False,
    severity: Annotated[Severity | None, typer.Option(help="Only findings of this severity.")]
    = None,
    check_name: Annotated[str | None, typer.Option("--check", help="Only this check, e.g. "
                                                                   "p_value_reproduced.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
    = OutputFormat.table,
) -> None:
    """Check a trial's numbers against each other; exit 1 if any error-level finding.

    Percent vs counts (GRIM-style), events <= n, analysed <= randomised, arm sizes vs
    enrollment, reported p-values vs chi-square/Fisher/Wald recomputations, reported
    effects and CIs vs recomputed ones, and "primary endpoint met" vs its p-value.
    Findings are stored, so `evidence list --flagged` finds these trials.

    Example: evidence check NCT02932137
    """
    from evidence.checking import check_trials

    if (ident is None) == (not all_trials):
        raise typer.BadParameter("give a trial ID or --all (not both)")
    results = check_trials(str(ctx.obj.url), None if all_trials else ident)
    rows: list[dict[str, Any]] = []
    for label, findings in results:
        for f in findings:
            if severity and f.severity != severity.value:
                continue
            if check_name and f.check != check_name:
                continue
            rows.append({"trial": label, "severity": f.severity, "check": f.check, "path": f.path,
                         "message": f.message, "data": f.data})
    emit(rows, FINDING_COLUMNS, fmt, title="Findings")
    errors = sum(1 for _label, fs in results for f in fs if f.severity == "error")
    warnings = sum(1 for _label, fs in results for f in fs if f.severity == "warning")
    message(f"{len(results)} trial(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors:
        raise typer.Exit(1)


def stats(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="ID", help="Registration ID, PMID, DOI or id.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
    = OutputFormat.table,
) -> None:
    """Recompute effect sizes and tests for every pair of arms with comparable data.

    Dichotomous: risk ratio, odds ratio, risk difference (95% CI, log/Wald; 0.5 added
    to every cell when one is zero, as RevMan does) with Pearson chi-square, Yates,
    Fisher's exact and the Wald test. Continuous: mean difference and Hedges' g.

    Example: evidence stats NCT02932137 --format json
    """
    from evidence.checking import load_one
    from evidence.stats import effect_table

    record = load_one(str(ctx.obj.url), ident)
    table = effect_table(record)
    if fmt is OutputFormat.json:
        from evidence.cli.output import write_json

        write_json([row.as_dict() for row in table])
        return
    rows = []
    for row in table:
        data = " vs ".join(
            f"{a.events}/{a.n}" if hasattr(a, "events") else f"{a.mean}±{a.sd} (n={a.n})"
            for a in (row.arm1, row.arm2))
        verdict = row.verdict
        tests = "; ".join(f"{t.label} {_fmt(t.p_value)}" for t in row.tests)
        for effect in row.effects:
            ci = (f"{_fmt(effect.ci_low)} to {_fmt(effect.ci_high)}"
                  if effect.ci_low is not None else "")
            rows.append({
                "endpoint": row.endpoint, "timepoint": row.timepoint,
                "population": row.population, "category": row.category,
                "arms": " vs ".join(row.arms), "data": data, "measure": effect.measure,
                "estimate": _fmt(effect.estimate), "ci_95": ci,
                "note": "0.5 added to every cell (zero cell)" if effect.zero_cell_corrected
                else (effect.note or ""),
                "reported_p": verdict.reported.describe() if verdict else "",
                "p_check": verdict.status if verdict else "", "tests": tests,
            })
    emit(rows, EFFECT_COLUMNS, fmt, title="Recomputed effects")


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(stats)
