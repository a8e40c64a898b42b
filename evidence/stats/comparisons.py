"""Consistency checks on reported comparisons: p-values, effects, CIs, "endpoint met"."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from evidence.records import Comparison, EndpointRole, Record
from evidence.stats.armdata import BinaryArm, ContinuousArm
from evidence.stats.effects import Effect, binary_effects, continuous_effects
from evidence.stats.findings import Finding
from evidence.stats.numbers import Printed, parse_printed
from evidence.stats.pvalues import ReportedP, claims_significant, format_p, reported_p
from evidence.stats.rows import EffectRow, comparison_rows


def describe_arm(arm: BinaryArm | ContinuousArm) -> str:
    """'16/29' or 'mean 5.1 (SD 2.3, n=30)'."""
    if isinstance(arm, BinaryArm):
        return f"{arm.events}/{arm.n}"
    return f"mean {arm.mean:g} (SD {arm.sd:.4g}, n={arm.n})"


def _inputs(row: EffectRow) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arm in (row.arm1, row.arm2):
        if isinstance(arm, BinaryArm):
            out[arm.arm] = {"events": arm.events, "n": arm.n, "path": arm.path}
        else:
            out[arm.arm] = {"mean": arm.mean, "sd": arm.sd, "n": arm.n, "path": arm.path}
    return out


def p_value_reproduced(record: Record, rows: list[EffectRow]) -> Iterator[Finding]:
    """A reported p should be reproduced by one standard test at its printed precision."""
    for row in rows:
        v = row.verdict
        if v is None or row.comparison is None or v.status in ("reproduced", "untestable"):
            continue
        cmp = record.comparisons[row.comparison]
        tried = ", ".join(f"{t.label} {format_p(t.p_value, v.reported)}" for t in v.tried
                          if t.p_value is not None)
        on = f"{describe_arm(row.arm1)} vs {describe_arm(row.arm2)}"
        closest = v.closest
        assert closest is not None and closest.p_value is not None  # status says so
        if v.status == "near":
            head = (f"{v.reported.describe()} is near, but not reproduced by, the standard tests "
                    f"on {on}: closest is {closest.label} {format_p(closest.p_value, v.reported)}")
        else:
            head = f"{v.reported.describe()} is not reproduced by any standard test on {on}"
        method = f" The reported method is {cmp.method!r}." if cmp.method else ""
        yield Finding("p_value_reproduced", "warning", f"comparisons[{row.comparison}]",
                      f"{head} (tried: {tried}).{method}",
                      {"reported": cmp.p_reported, "comparator": v.reported.comparator,
                       "printed": str(v.reported.printed.value),
                       "precision_from": v.reported.precision_from, "status": v.status,
                       "closest": closest.name, "method": cmp.method,
                       "tests": {t.name: t.p_value for t in v.tried},
                       "arms": _inputs(row)})


_MEASURES = (  # checked in order; adjusted and model-based measures are not recomputed
    ("risk_ratio", ("risk ratio", "relative risk", "rate ratio of proportions")),
    ("odds_ratio", ("odds ratio",)),
    ("risk_difference", ("risk difference", "difference in proportions",
                         "difference in percentages", "percentage difference",
                         "difference in percentage", "absolute risk reduction")),
    ("mean_difference", ("mean difference", "difference in means")),
)
_ADJUSTED = ("ls mean", "least squares", "least-squares", "adjusted", "hazard", "geometric")


def recognise_measure(text: str | None) -> str | None:
    """risk_ratio, odds_ratio, risk_difference, mean_difference, or None if unrecognised."""
    if not text:
        return None
    low = text.lower()
    if any(word in low for word in _ADJUSTED):
        return None
    short = low.strip(" ()")
    if short in ("rr", "or", "rd", "md"):
        return {"rr": "risk_ratio", "or": "odds_ratio", "rd": "risk_difference",
                "md": "mean_difference"}[short]
    return next((m for m, words in _MEASURES if any(w in low for w in words)), None)


def _recomputed(row: EffectRow, measure: str, level: float) -> Effect | None:
    a1, a2 = row.arm1, row.arm2
    if isinstance(a1, BinaryArm) and isinstance(a2, BinaryArm):
        effects = binary_effects(a1.events, a1.n, a2.events, a2.n, level=level)
    elif isinstance(a1, ContinuousArm) and isinstance(a2, ContinuousArm):
        effects = continuous_effects(a1.mean, a1.sd, a1.n, a2.mean, a2.sd, a2.n, level=level)
    else:
        return None
    return next((e for e in effects if e.measure == measure and e.estimate is not None), None)


def _scaled(effect: Effect, factor: float) -> Effect:
    def mul(x: float | None) -> float | None:
        return None if x is None else x * factor

    return replace(effect, estimate=mul(effect.estimate), ci_low=mul(effect.ci_low),
                   ci_high=mul(effect.ci_high), se=mul(effect.se))


def _matches_reversed(measure: str, effect: Effect,
                      pairs: list[tuple[str, float, float, Decimal]]) -> bool:
    """Whether every reported number matches the effect of arm 2 versus arm 1."""
    ratio = measure in ("risk_ratio", "odds_ratio")

    def opposite(x: float | None) -> float | None:
        if x is None:
            return None
        return (1 / x if x else None) if ratio else -x

    swapped = {"estimate": opposite(effect.estimate), "ci_low": opposite(effect.ci_high),
               "ci_high": opposite(effect.ci_low)}
    for name, reported, _, quantum in pairs:
        value = swapped[name]
        if value is None or not _agrees(reported, quantum, value):
            return False
    return True


def _agrees(reported: float, quantum: Decimal, computed: float) -> bool:
    target = Decimal(repr(reported)).quantize(quantum, rounding=ROUND_HALF_UP)
    exact = Decimal(repr(computed))
    return any(exact.quantize(quantum, rounding=r) == target for r in (ROUND_HALF_UP,
                                                                       ROUND_HALF_EVEN))


def _quantum(printed: Printed | None, value: float) -> Decimal:
    # The printed text decides the precision; with none, the stored float's shortest repr does.
    stored = abs(Decimal(repr(value)))
    if printed is not None and abs(abs(printed.value) - stored) < printed.quantum:
        return printed.quantum
    return Printed(Decimal(repr(value)), repr(value)).quantum


def effect_vs_recomputed(record: Record, rows: list[EffectRow]) -> Iterator[Finding]:
    """A reported RR/OR/RD/MD and its CI should match the arms' data at the printed precision."""
    for row in rows:
        if row.comparison is None:
            continue
        cmp = record.comparisons[row.comparison]
        measure = recognise_measure(cmp.effect_measure)
        reported = [x for x in (cmp.effect_value, cmp.ci_low, cmp.ci_high) if x is not None]
        if measure is None or cmp.effect_value is None or not all(map(math.isfinite, reported)):
            continue
        level = cmp.ci_level or 95.0
        effect = _recomputed(row, measure, level)
        if effect is None:
            continue
        if measure == "risk_difference" and "percent" in (cmp.effect_measure or "").lower():
            effect = _scaled(effect, 100.0)  # "Percentage Difference": percentage points
        estimate = effect.estimate
        if estimate is None:
            continue
        est_quantum = _quantum(parse_printed(cmp.effect_reported), cmp.effect_value)
        pairs = [("estimate", cmp.effect_value, estimate, est_quantum)]
        for name, rep, comp in (("ci_low", cmp.ci_low, effect.ci_low),
                                ("ci_high", cmp.ci_high, effect.ci_high)):
            if rep is not None and comp is not None:
                pairs.append((name, rep, comp, _quantum(None, rep)))
        wrong = [(n, r, c) for n, r, c, q in pairs if not _agrees(r, q, c)]
        if not wrong:
            continue
        flipped = _matches_reversed(measure, effect, pairs)
        ci = (f" ({level:g}% CI {effect.ci_low:.4g} to {effect.ci_high:.4g})"
              if effect.ci_low is not None and effect.ci_high is not None else "")
        hint = (" The reported numbers match the arms in the opposite order; record the arms "
                "in the direction of the effect." if flipped else "")
        if cmp.method:
            hint += f" The reported method is {cmp.method!r}; an adjusted estimate may differ."
        yield Finding("effect_vs_recomputed", "warning", f"comparisons[{row.comparison}]",
                      f"The reported {measure.replace('_', ' ')} does not match the arm data "
                      f"({describe_arm(row.arm1)} vs {describe_arm(row.arm2)}): "
                      + "; ".join(f"{n} {r:g} reported, {c:.4g} recomputed" for n, r, c in wrong)
                      + f"; recomputed {estimate:.4g}{ci}.{hint}",
                      {"measure": measure, "level": level, "method": cmp.method,
                       "reported": {"estimate": cmp.effect_value, "ci_low": cmp.ci_low,
                                    "ci_high": cmp.ci_high, "text": cmp.effect_reported},
                       "recomputed": {"estimate": effect.estimate, "ci_low": effect.ci_low,
                                      "ci_high": effect.ci_high,
                                      "zero_cell_corrected": effect.zero_cell_corrected},
                       "mismatched": [n for n, _, _ in wrong], "arms_reversed": flipped,
                       "arms": _inputs(row)})


def ci_contains_estimate(record: Record) -> Iterator[Finding]:
    """A reported estimate must lie inside its own confidence interval."""
    for i, cmp in enumerate(record.comparisons):
        est, low, high = cmp.effect_value, cmp.ci_low, cmp.ci_high
        if est is None or low is None or high is None or low <= est <= high:
            continue
        yield Finding("ci_contains_estimate", "error", f"comparisons[{i}]",
                      f"The estimate {est:g} lies outside its confidence interval "
                      f"{low:g} to {high:g}.", {"estimate": est, "ci_low": low, "ci_high": high})


def _null(measure: str | None) -> float | None:
    if not measure:
        return None
    low = measure.lower()
    if "ratio" in low:
        return 1.0
    return 0.0 if "difference" in low or "change" in low else None


def p_vs_ci_significance(record: Record) -> Iterator[Finding]:
    """p < 0.05 should go with a 95% CI that excludes the null value, p >= 0.05 with one that
    includes it."""
    for i, cmp in enumerate(record.comparisons):
        rp, null = reported_p(cmp), _null(cmp.effect_measure)
        if rp is None or null is None or cmp.ci_low is None or cmp.ci_high is None:
            continue
        level = cmp.ci_level or 95.0
        if level != 95.0 or null in (cmp.ci_low, cmp.ci_high):
            continue  # a bound on the null value, or another level, says nothing definite
        significant = claims_significant(rp)
        excludes = not cmp.ci_low <= null <= cmp.ci_high
        if significant is None or significant == excludes:
            continue
        yield Finding("p_vs_ci_significance", "warning", f"comparisons[{i}]",
                      f"{rp.describe()} {'is' if significant else 'is not'} significant at 0.05, "
                      f"but the 95% CI {cmp.ci_low:g} to {cmp.ci_high:g} "
                      f"{'includes' if not excludes else 'excludes'} {null:g}.",
                      {"reported": cmp.p_reported, "p_significant": significant,
                       "ci_low": cmp.ci_low, "ci_high": cmp.ci_high, "null": null,
                       "ci_excludes_null": excludes, "ci_level_assumed": cmp.ci_level is None})


def _primary_comparisons(record: Record, key: str, timepoint: str | None
                         ) -> list[tuple[int, Comparison, ReportedP]]:
    out = []
    for i, cmp in enumerate(record.comparisons):
        rp = reported_p(cmp)
        if cmp.endpoint == key and rp is not None and (timepoint is None
                                                       or cmp.timepoint == timepoint):
            out.append((i, cmp, rp))
    return out


def primary_met_vs_p(record: Record) -> Iterator[Finding]:
    """'Primary endpoint met' should agree with p < 0.05 at the primary timepoint."""
    for e, ep in enumerate(record.endpoints):
        if ep.role is not EndpointRole.primary or ep.met is None:
            continue
        found = _primary_comparisons(record, ep.key, ep.primary_timepoint)
        if len({cmp.timepoint for _, cmp, _ in found}) > 1:
            continue  # no primary timepoint recorded and several timepoints: cannot tell
        claims = [(i, rp, claims_significant(rp)) for i, _, rp in found]
        if not claims or any(sig is None for _, _, sig in claims):
            continue
        any_sig = any(sig for _, _, sig in claims)
        if any_sig == ep.met:
            continue
        ps = ", ".join(f"{rp.describe()} (comparisons[{i}])" for i, rp, _ in claims)
        yield Finding("primary_met_vs_p", "warning", f"endpoints[{e}].met",
                      f"The primary endpoint {ep.key!r} is recorded as "
                      f"{'met' if ep.met else 'not met'}, but its p-value"
                      f"{'s are' if len(claims) > 1 else ' is'} {ps}.",
                      {"met": ep.met, "timepoint": ep.primary_timepoint,
                       "p": {f"comparisons[{i}]": rp.describe() for i, rp, _ in claims}})


def _with_rows(record: Record) -> Iterator[Finding]:
    rows = comparison_rows(record)  # both checks skip the rows of other arm pairs
    yield from p_value_reproduced(record, rows)
    yield from effect_vs_recomputed(record, rows)


COMPARISON_CHECKS = [_with_rows, ci_contains_estimate, p_vs_ci_significance, primary_met_vs_p]
