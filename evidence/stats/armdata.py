"""Arm-level inputs for effect sizes: events/n or mean/SD/n, known or derivable, with notes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from evidence.records import Arm, ArmResult, Dispersion, MeasureKind, ParamType, Record
from evidence.stats.numbers import Printed, parse_printed, ratio_matcher


@dataclass(frozen=True, slots=True)
class BinaryArm:
    """Events out of n for one arm; `notes` say how any number was derived."""

    arm: str
    events: int
    n: int
    path: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContinuousArm:
    """Mean, SD and n for one arm; `notes` say how any number was derived."""

    arm: str
    mean: float
    sd: float
    n: int
    path: str
    notes: tuple[str, ...] = ()


def percent_scale(res: ArmResult) -> int | None:
    """100 when the value is a percentage, 1 when a fraction, None when the record can't tell."""
    unit = (res.unit or "").lower()
    if "%" in (res.reported or "") or "%" in unit or "percent" in unit:
        return 100
    if unit in ("proportion", "fraction", "proportion of participants"):
        return 1
    return None


# ClinicalTrials.gov posts many proportions as paramType NUMBER with such a unit.
_SHARE_OF_PEOPLE = re.compile(
    r"(percent(age)?|%|proportion)\s+of\s+(participants|patients|subjects|people|persons|children)")


def participant_share(res: ArmResult) -> int | None:
    """The percent scale of a result that is a share of its n participants, else None."""
    if res.param is ParamType.proportion:
        return percent_scale(res)
    if res.param is ParamType.number and _SHARE_OF_PEOPLE.search((res.unit or "").lower()):
        return percent_scale(res)
    return None


MAX_CANDIDATES = 1000


def fitting_counts(printed: Printed, n: int, scale: int) -> list[tuple[int, list[str]]] | None:
    """Every integer k in 0..n whose k/n, on `scale`, rounds to the printed number (GRIM).

    None when the printed precision is so coarse for this n that over a thousand counts
    are candidates: then many fit, and listing them helps nobody.
    """
    out = []
    target = float(printed.value) / scale
    # Only counts within one printed unit of the target can round to it; skip the rest.
    slack = float(printed.quantum) / scale * n + 1
    if not (math.isfinite(target) and math.isfinite(slack)):
        return []  # "1e309" overflows a float: no count of n people can print as that

    low, high = max(0, math.floor(target * n - slack)), min(n, math.ceil(target * n + slack))
    if high - low > MAX_CANDIDATES:
        return None
    match = ratio_matcher(printed, n)
    for k in range(low, high + 1):
        how = match(k * scale)
        if how:
            out.append((k, how))
    return out


def effective_population(record: Record, item_population: str | None, endpoint: str) -> str | None:
    """The population of a result or comparison, defaulting to its endpoint's."""
    if item_population is not None:
        return item_population
    ep = next((e for e in record.endpoints if e.key == endpoint), None)
    return ep.population if ep else None


def arm_n(arm: Arm | None, population: str | None) -> tuple[int | None, str | None]:
    """The arm's participant count for a population, with a note saying where it came from."""
    if arm is None:
        return None, None
    if population is not None:
        count = next((c for c in arm.counts if c.population == population), None)
        if count is not None:
            return count.n, f"n={count.n} taken from arm {arm.key!r} counts for {population!r}"
        return None, None
    if arm.n_analysed is not None:
        return arm.n_analysed, f"n={arm.n_analysed} taken from arm {arm.key!r} n_analysed"
    return None, None


def _n(record: Record, res: ArmResult) -> tuple[int | None, list[str]]:
    if res.n is not None:
        return res.n, []
    arm = next((a for a in record.arms if a.key == res.arm), None)
    n, note = arm_n(arm, effective_population(record, res.population, res.endpoint))
    return n, [note] if note else []


def binary_arm(record: Record, index: int) -> BinaryArm | None:
    """events/n of results[index], deriving a missing count only when exactly one fits."""
    res = record.results[index]
    n, notes = _n(record, res)
    if n is None or n == 0:
        return None
    events = res.events
    if (events is None and res.param is ParamType.count and res.value is not None
            and res.value.is_integer() and percent_scale(res) is None):
        events = int(res.value)
        notes.append(f"events={events} taken from the reported count")
    if events is None and participant_share(res) is not None:
        printed, scale = parse_printed(res.reported), participant_share(res)
        if printed is None or scale is None:
            return None
        fits = fitting_counts(printed, n, scale)
        if fits is None or len(fits) != 1:
            return None
        events = fits[0][0]
        shown = f"{printed.text}{'%' if scale == 100 else ''}"
        notes.append(f"events={events} derived: the only count of {n} that gives {shown}")
    if events is None or events > n:
        return None
    return BinaryArm(res.arm, events, n, f"results[{index}]", tuple(notes))


def continuous_arm(record: Record, index: int) -> ContinuousArm | None:
    """mean/SD/n of results[index]; an SD is derived from an SE as SE x sqrt(n)."""
    res = record.results[index]
    if (res.param is not ParamType.mean or res.value is None or res.dispersion_value is None
            or not math.isfinite(res.value) or not math.isfinite(res.dispersion_value)):
        return None
    n, notes = _n(record, res)
    if n is None or n == 0:
        return None
    if res.dispersion is Dispersion.sd:
        sd = res.dispersion_value
    elif res.dispersion is Dispersion.se:
        sd = res.dispersion_value * math.sqrt(n)
        notes.append(f"SD={sd:.4g} derived from SE {res.dispersion_value:g} x sqrt({n})")
    else:
        return None
    return ContinuousArm(res.arm, res.value, sd, n, f"results[{index}]", tuple(notes))


def result_kind(record: Record, index: int) -> str | None:
    """'dichotomous', 'continuous' or None for results[index]."""
    res = record.results[index]
    ep = next((e for e in record.endpoints if e.key == res.endpoint), None)
    measure = ep.measure if ep else MeasureKind.other
    if res.param is ParamType.mean and measure is not MeasureKind.proportion:
        return "continuous"
    if (res.events is not None or res.param in (ParamType.proportion, ParamType.count)
            or participant_share(res) is not None):
        return "dichotomous" if measure in (MeasureKind.proportion, MeasureKind.other,
                                            MeasureKind.count) else None
    return None


def exact_percent(events: int, n: int, scale: int) -> Decimal:
    """events/n on the given scale, to 12 significant digits, for messages and data."""
    return Decimal(events * scale) / Decimal(n)
