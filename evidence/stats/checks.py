"""Consistency checks on one record's numbers: counts, percents, enrollment.

`run_checks` runs these and the comparison checks of `comparisons.py`. Every check
is a generator of Findings that tolerates any missing field (it then says nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from fractions import Fraction

from evidence.records import ArmResult, ParamType, Record
from evidence.stats.armdata import exact_percent, fitting_counts, participant_share
from evidence.stats.findings import Finding
from evidence.stats.numbers import parse_printed, round_fraction

_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")


def _percent_of(res: ArmResult, path: str) -> Iterator[Finding]:
    printed, scale = parse_printed(res.reported), participant_share(res)
    if printed is None or scale is None or res.n is None or res.n == 0:
        return
    shown = f"{printed.value}{'%' if scale == 100 else ''}"
    if res.events is not None:
        if res.events > res.n:
            return  # events_le_n reports it
        fraction = Fraction(res.events * scale, res.n)
        rounded = round_fraction(fraction, printed.quantum)
        if printed.value in rounded.values():
            return
        exact = exact_percent(res.events, res.n, scale)
        yield Finding("percent_vs_counts", "error", path,
                      f"{shown} is printed, but {res.events}/{res.n} = {exact:.6g}"
                      f"{'%' if scale == 100 else ''}, which rounds to {rounded['half_up']}.",
                      {"reported": res.reported, "printed": str(printed.value),
                       "events": res.events, "n": res.n, "exact": str(exact),
                       "half_up": str(rounded["half_up"]), "half_even": str(rounded["half_even"])})
        return
    fits = fitting_counts(printed, res.n, scale)
    if fits is None:
        return  # so coarse a percent fits many counts: not derivable, not wrong
    data = {"reported": res.reported, "printed": str(printed.value), "n": res.n,
            "fitting_events": [k for k, _ in fits],
            "roundings": {str(k): how for k, how in fits}}
    if not fits:
        yield Finding("percent_vs_counts", "error", path,
                      f"No whole number of events out of n={res.n} gives {shown} at the printed "
                      f"precision.", data)
    elif len(fits) == 1:
        # Not wrong, but a count a curator can add (with a derivation), so it is reported.
        k, how = fits[0]
        yield Finding("percent_vs_counts", "warning", path,
                      f"Events are not recorded; {k}/{res.n} is the only count that gives "
                      f"{shown} ({' or '.join(h.replace('_', '-') for h in how)} rounding).",
                      {**data, "derived_events": k})


def percent_vs_counts(record: Record) -> Iterator[Finding]:
    """A printed percent must equal events/n at its printed precision (or fit one count)."""
    for i, res in enumerate(record.results):
        path = f"results[{i}]"
        yield from _percent_of(res, path)
        match = _FRACTION.search(res.reported or "")
        if match and res.events is not None and res.n is not None:
            shown = (int(match[1]), int(match[2]))
            if shown != (res.events, res.n):
                yield Finding("percent_vs_counts", "error", path,
                              f"The printed text shows {shown[0]}/{shown[1]}, but the record has "
                              f"events={res.events} and n={res.n}.",
                              {"reported": res.reported, "printed_events": shown[0],
                               "printed_n": shown[1], "events": res.events, "n": res.n})


def events_le_n(record: Record) -> Iterator[Finding]:
    """Events cannot exceed the participants they happened in."""
    for i, res in enumerate(record.results):
        if res.events is not None and res.n is not None and res.events > res.n:
            yield Finding("events_le_n", "error", f"results[{i}]",
                          f"{res.events} events is more than n={res.n}.",
                          {"events": res.events, "n": res.n})
    for i, ae in enumerate(record.adverse_events):
        if ae.affected is not None and ae.at_risk is not None and ae.affected > ae.at_risk:
            yield Finding("events_le_n", "error", f"adverse_events[{i}]",
                          f"{ae.affected} affected is more than {ae.at_risk} at risk.",
                          {"affected": ae.affected, "at_risk": ae.at_risk})


def analysed_le_randomised(record: Record) -> Iterator[Finding]:
    """An arm cannot analyse more people than it randomised."""
    arms = {a.key: a for a in record.arms}
    for i, arm in enumerate(record.arms):
        if arm.n_randomised is None:
            continue
        if arm.n_analysed is not None and arm.n_analysed > arm.n_randomised:
            yield Finding("analysed_le_randomised", "error", f"arms[{i}]",
                          f"Arm {arm.key!r} analysed {arm.n_analysed} but randomised "
                          f"{arm.n_randomised}.",
                          {"n_analysed": arm.n_analysed, "n_randomised": arm.n_randomised})
        for j, count in enumerate(arm.counts):
            if count.n > arm.n_randomised:
                yield Finding("analysed_le_randomised", "warning", f"arms[{i}].counts[{j}]",
                              f"Arm {arm.key!r} has {count.n} in population {count.population!r} "
                              f"but randomised {arm.n_randomised}.",
                              {"n": count.n, "n_randomised": arm.n_randomised})
    for i, res in enumerate(record.results):
        owner = arms.get(res.arm)
        # Only participant proportions: other results may count eyes, lesions or events.
        if (owner is None or owner.n_randomised is None or res.n is None
                or res.param is not ParamType.proportion or res.n <= owner.n_randomised):
            continue
        yield Finding("analysed_le_randomised", "warning", f"results[{i}]",
                      f"Result n={res.n} is more than the {owner.n_randomised} randomised to "
                      f"arm {owner.key!r}.", {"n": res.n, "n_randomised": owner.n_randomised})


def arms_sum_vs_enrollment(record: Record) -> Iterator[Finding]:
    """The arms' randomised counts should add up to the actual enrollment."""
    actual = record.trial.enrollment.actual
    counts = [a.n_randomised for a in record.arms]
    if actual is None or not counts or any(c is None for c in counts):
        return
    total = sum(c for c in counts if c is not None)
    if total != actual:
        # A warning: registries count enrolled people, who may exceed those randomised.
        yield Finding("arms_sum_vs_enrollment", "warning", "trial.enrollment.actual",
                      f"The arms randomised {' + '.join(str(c) for c in counts)} = {total}, "
                      f"but the actual enrollment is {actual}.",
                      {"arms_total": total, "enrollment_actual": actual,
                       "arms": {a.key: a.n_randomised for a in record.arms}})


CheckFn = Callable[[Record], Iterator[Finding]]


def run_checks(record: Record) -> list[Finding]:
    """Every consistency check on the record, in a fixed order."""
    from evidence.stats.comparisons import COMPARISON_CHECKS

    checks: list[CheckFn] = [percent_vs_counts, events_le_n, analysed_le_randomised,
                             arms_sum_vs_enrollment, *COMPARISON_CHECKS]
    return [finding for check in checks for finding in check(record)]
