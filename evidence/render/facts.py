"""The facts a summary states, taken from a Record before any language is chosen.

Every renderer works from these dataclasses, never from the record directly, so
the JSON output can show exactly which facts went into the summary. Numbers stay
as the record holds them: `reported` text next to the parsed value, and a
`derived` flag wherever the record's provenance carries a `derivation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A name in both languages as the record gives it; `kind` says what it names."""

    en: str | None
    zh: str | None
    kind: str


@dataclass(frozen=True)
class Span:
    """A duration: 12 weeks."""

    value: float
    unit: str


@dataclass(frozen=True)
class Citation:
    journal: str | None
    year: int | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    epub_date: dt.date | None


@dataclass(frozen=True)
class ArmFact:
    key: str
    label: Term
    role: str
    n_randomised: int | None
    n_analysed: int | None


@dataclass(frozen=True)
class DesignFact:
    allocation: str | None
    masking: str | None
    control: str | None
    phases: tuple[str, ...]
    patients: int | None
    patients_derived: bool
    conditions: tuple[Term, ...]
    arms: tuple[ArmFact, ...]


@dataclass(frozen=True)
class RegimenFact:
    arm: Term | None
    agent: Term
    dose: Term | None
    dose_amount: float | None
    dose_unit: str | None
    route: str | None
    frequency: str | None
    frequency_text: Term | None
    cycle_on: Span | None
    cycle_off: Span | None
    cycles: int | None
    cycles_derived: bool
    treatment: Span | None
    follow_up: Span | None
    background: Term | None


@dataclass(frozen=True)
class TimepointFact:
    label: Term
    value: float | None
    unit: str | None


@dataclass(frozen=True)
class EndpointFact:
    key: str
    name: Term
    role: str
    timepoint: TimepointFact | None
    met: bool | None
    population: Term | None


@dataclass(frozen=True)
class ArmValue:
    """One arm's result as reported; `counts_derived` marks events/n the curator derived."""

    arm: Term
    param: str
    reported: str | None
    value: float | None
    unit: str | None
    events: int | None
    n: int | None
    counts_derived: bool
    dispersion: str | None = None
    dispersion_reported: str | None = None
    dispersion_value: float | None = None
    dispersion_low: float | None = None
    dispersion_high: float | None = None
    dispersion_level: float | None = None


@dataclass(frozen=True)
class PValue:
    arms: tuple[Term, ...]
    covers_all_arms: bool
    reported: str | None
    comparator: str | None
    value: float | None


@dataclass(frozen=True)
class ResultFact:
    endpoint: Term
    endpoint_key: str
    measure: str
    unit: str | None
    timepoint: TimepointFact | None
    population: Term | None
    subgroup: bool
    category: Term | None
    values: tuple[ArmValue, ...]
    p_values: tuple[PValue, ...]


@dataclass(frozen=True)
class SafetyArm:
    arm: Term
    affected: int | None
    at_risk: int | None
    events: int | None


@dataclass(frozen=True)
class SafetyFact:
    term: Term
    serious: bool
    arms: tuple[SafetyArm, ...]


@dataclass(frozen=True)
class Facts:
    """Everything a summary may state, in the order it is stated."""

    title: Term
    citation: Citation | None
    design: DesignFact
    regimens: tuple[RegimenFact, ...] = ()
    endpoints: tuple[EndpointFact, ...] = ()
    results: tuple[ResultFact, ...] = ()
    safety: tuple[SafetyFact, ...] = ()
    registrations: tuple[str, ...] = ()
