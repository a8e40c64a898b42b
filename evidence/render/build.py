"""Record -> Facts: pick what a summary states, in record order, without translating."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from evidence.render.facts import (
    ArmFact,
    ArmValue,
    Citation,
    DesignFact,
    EndpointFact,
    Facts,
    PValue,
    RegimenFact,
    ResultFact,
    SafetyArm,
    SafetyFact,
    Span,
    Term,
    TimepointFact,
)

if TYPE_CHECKING:  # the renderer never needs pydantic at import time
    from evidence.records import Duration, Endpoint, Record, Text, Timepoint


def _term(text: Text | None, kind: str) -> Term | None:
    if text is None or (text.en is None and text.zh is None):
        return None
    return Term(text.en, text.zh, kind)


def _derived(item: Any, *names: str) -> bool:
    """True when the record says any of these fields was derived, not printed."""
    provenance = item.field_provenance
    return any(name in provenance and provenance[name].derivation for name in names)


def _span(duration: Duration | None) -> Span | None:
    return Span(duration.value, str(duration.unit)) if duration else None


def _citation(record: Record) -> Citation | None:
    if not record.publications:
        return None
    pub = record.publications[0]
    return Citation(pub.journal_abbrev or pub.journal, pub.year, pub.volume, pub.issue,
                    pub.pages, pub.doi, pub.pmid, pub.epub_date)


def _design(record: Record) -> DesignFact:
    trial = record.trial
    design = trial.design
    planned, actual = trial.enrollment.planned, trial.enrollment.actual
    arms_total = sum(a.n_randomised for a in record.arms if a.n_randomised is not None)
    patients = actual if actual is not None else planned
    # A derived total is not marked when a field that was printed says the same.
    derived = (actual is not None and _derived(trial, "enrollment.actual")
               and not (planned == actual and not _derived(trial, "enrollment.planned")))
    if patients is None and arms_total:
        patients, derived = arms_total, True
    conditions = tuple(t for t in (_term(c, "condition") for c in trial.conditions) if t)
    arms = tuple(ArmFact(a.key, Term(a.label.en, a.label.zh, "arm"), str(a.role),
                         a.n_randomised, a.n_analysed) for a in record.arms)
    return DesignFact(
        allocation=str(design.allocation) if design.allocation else None,
        masking=str(design.masking) if design.masking else None,
        control=str(design.control) if design.control else None,
        phases=tuple(str(p) for p in design.phases), patients=patients,
        patients_derived=derived, conditions=conditions, arms=arms)


def _regimens(record: Record, arms: dict[str, Term]) -> Iterable[RegimenFact]:
    for intervention in record.interventions:
        agent = Term(intervention.name.en, intervention.name.zh, "agent")
        for reg in intervention.regimens:
            yield RegimenFact(
                arm=arms.get(reg.arm) if reg.arm else None, agent=agent,
                dose=_term(reg.dose, "dose"), dose_amount=reg.dose_amount,
                dose_unit=reg.dose_unit, route=reg.route, frequency=reg.frequency,
                frequency_text=_term(reg.frequency_text, "frequency"),
                cycle_on=_span(reg.cycle_on), cycle_off=_span(reg.cycle_off),
                cycles=reg.cycles, cycles_derived=_derived(reg, "cycles"),
                treatment=_span(reg.treatment_duration), follow_up=_span(reg.follow_up),
                background=_term(reg.background, "background therapy"))


def _timepoint(endpoint: Endpoint, key: str | None) -> TimepointFact | None:
    found: Timepoint | None = next((t for t in endpoint.timepoints if t.key == key), None)
    if found is None:
        return None
    return TimepointFact(Term(found.label.en, found.label.zh, "timepoint"), found.value,
                         str(found.unit) if found.unit else None)


def _results(record: Record, arms: dict[str, Term], pops: dict[str, Term],
             subgroups: set[str]) -> Iterable[ResultFact]:
    arm_order = [a.key for a in record.arms]
    for endpoint in record.endpoints:
        rows = [r for r in record.results if r.endpoint == endpoint.key]
        tp_order = [t.key for t in endpoint.timepoints]
        groups: dict[tuple[str | None, str | None, str | None], list[Any]] = {}
        for row in rows:
            key = (row.timepoint, row.population or endpoint.population, row.category)
            groups.setdefault(key, []).append(row)
        ordered = sorted(groups.items(), key=lambda item: (
            tp_order.index(item[0][0]) if item[0][0] in tp_order else len(tp_order)))
        for (tp, pop, category), group in ordered:
            group.sort(key=lambda r: arm_order.index(r.arm) if r.arm in arm_order else 99)
            values = tuple(ArmValue(
                arm=arms[r.arm], param=str(r.param), reported=r.reported, value=r.value,
                unit=r.unit, events=r.events, n=r.n, counts_derived=_derived(r, "events", "n"),
                dispersion=str(r.dispersion) if r.dispersion else None,
                dispersion_reported=r.dispersion_reported, dispersion_value=r.dispersion_value,
                dispersion_low=r.dispersion_low, dispersion_high=r.dispersion_high,
                dispersion_level=r.dispersion_level) for r in group)
            in_group = {r.arm for r in group}
            p_values = tuple(
                PValue(tuple(arms[a] for a in c.arms), set(c.arms) >= in_group,
                       c.p_reported, c.p_comparator, c.p_value)
                for c in record.comparisons
                if c.endpoint == endpoint.key and c.timepoint == tp
                and (c.population or endpoint.population) == pop
                and (c.p_reported or c.p_value is not None))
            yield ResultFact(
                endpoint=Term(endpoint.name.en, endpoint.name.zh, "endpoint"),
                endpoint_key=endpoint.key, measure=str(endpoint.measure), unit=endpoint.unit,
                timepoint=_timepoint(endpoint, tp), population=pops.get(pop) if pop else None,
                subgroup=pop in subgroups,
                category=Term(category, None, "category") if category else None,
                values=values, p_values=p_values)


def _safety(record: Record, arms: dict[str, Term]) -> Iterable[SafetyFact]:
    groups: dict[tuple[str, bool], list[Any]] = {}
    terms: dict[tuple[str, bool], Term] = {}
    for event in record.adverse_events:
        key = ((event.term.en or event.term.zh or "").casefold(), event.serious)
        groups.setdefault(key, []).append(event)
        terms.setdefault(key, Term(event.term.en, event.term.zh, "adverse event"))
    for key, events in groups.items():
        yield SafetyFact(terms[key], key[1], tuple(
            SafetyArm(arms[e.arm], e.affected, e.at_risk, e.events) for e in events))


def build_facts(record: Record) -> Facts:
    """The facts of a record that a summary states, in the order it states them."""
    arms = {a.key: Term(a.label.en, a.label.zh, "arm") for a in record.arms}
    pops = {p.key: Term(p.label.en, p.label.zh, "population") for p in record.populations}
    subgroups = {p.key for p in record.populations if str(p.kind) == "subgroup"}
    endpoints = tuple(
        EndpointFact(e.key, Term(e.name.en, e.name.zh, "endpoint"), str(e.role),
                     _timepoint(e, e.primary_timepoint), e.met,
                     pops.get(e.population) if e.population else None)
        for e in record.endpoints)
    pub_title = record.publications[0].title if record.publications else None
    title = record.trial.title
    return Facts(
        title=Term(title.en or (pub_title.en if pub_title else None),
                   title.zh or (pub_title.zh if pub_title else None), "title"),
        citation=_citation(record), design=_design(record),
        regimens=tuple(_regimens(record, arms)), endpoints=endpoints,
        results=tuple(_results(record, arms, pops, subgroups)),
        safety=tuple(_safety(record, arms)),
        registrations=tuple(r.identifier for r in record.registrations))
