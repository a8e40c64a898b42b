"""Logical validation of a record beyond its schema: references, counts, identifiers.

These are hard errors (the record is refused). Softer numeric disagreements, such
as a percent that does not match events/n at the printed precision, are findings
of `evidence check`, not refusals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from evidence import registries
from evidence.records import ArmResult, Comparison, ParamType, Record, Traced


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str


def _duplicates(keys: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    dup: set[str] = set()
    for key in keys:
        (dup if key in seen else seen).add(key)
    return dup


def _keys(record: Record) -> Iterator[Problem]:
    for name in ("populations", "arms", "interventions", "endpoints", "sources"):
        items = getattr(record, name)
        for key in sorted(_duplicates(item.key for item in items)):
            index = next(i for i, item in enumerate(items) if item.key == key)
            yield Problem(f"{name}[{index}].key", f"duplicate key {key!r}")
    for i, endpoint in enumerate(record.endpoints):
        tp_keys = [tp.key for tp in endpoint.timepoints]
        for key in sorted(_duplicates(tp_keys)):
            yield Problem(f"endpoints[{i}].timepoints", f"duplicate timepoint key {key!r}")
        if endpoint.primary_timepoint and endpoint.primary_timepoint not in tp_keys:
            yield Problem(f"endpoints[{i}].primary_timepoint",
                          f"no timepoint {endpoint.primary_timepoint!r} in this endpoint")


def _references(record: Record) -> Iterator[Problem]:
    arms = {a.key for a in record.arms}
    pops = {p.key for p in record.populations}
    endpoints = {e.key: e for e in record.endpoints}

    def ref(path: str, kind: str, key: str | None, known: Iterable[str]) -> Iterator[Problem]:
        if key is not None and key not in set(known):
            yield Problem(path, f"refers to {kind} {key!r}, which the record does not define")

    for i, arm in enumerate(record.arms):
        for j, count in enumerate(arm.counts):
            yield from ref(f"arms[{i}].counts[{j}].population", "population", count.population, pops)
    for i, iv in enumerate(record.interventions):
        for j, arm_key in enumerate(iv.arms):
            yield from ref(f"interventions[{i}].arms[{j}]", "arm", arm_key, arms)
        for j, regimen in enumerate(iv.regimens):
            yield from ref(f"interventions[{i}].regimens[{j}].arm", "arm", regimen.arm, arms)
    for i, ep in enumerate(record.endpoints):
        yield from ref(f"endpoints[{i}].population", "population", ep.population, pops)
    def located(name: str, i: int, item: ArmResult | Comparison) -> Iterator[Problem]:
        ep = endpoints.get(item.endpoint)
        yield from ref(f"{name}[{i}].endpoint", "endpoint", item.endpoint, endpoints)
        if ep is not None:
            yield from ref(f"{name}[{i}].timepoint", "timepoint", item.timepoint,
                           (tp.key for tp in ep.timepoints))
        yield from ref(f"{name}[{i}].population", "population", item.population, pops)

    for i, res in enumerate(record.results):
        yield from located("results", i, res)
        yield from ref(f"results[{i}].arm", "arm", res.arm, arms)
    for i, cmp in enumerate(record.comparisons):
        yield from located("comparisons", i, cmp)
        for j, arm_key in enumerate(cmp.arms):
            yield from ref(f"comparisons[{i}].arms[{j}]", "arm", arm_key, arms)
    for i, ae in enumerate(record.adverse_events):
        yield from ref(f"adverse_events[{i}].arm", "arm", ae.arm, arms)


def _provenance(record: Record) -> Iterator[Problem]:
    sources = {s.key for s in record.sources}

    def traced_items() -> Iterator[tuple[str, Traced]]:
        yield "trial", record.trial
        for name in ("arms", "interventions", "endpoints", "results", "comparisons",
                     "adverse_events"):
            for i, item in enumerate(getattr(record, name)):
                yield f"{name}[{i}]", item
        for i, arm in enumerate(record.arms):
            for j, count in enumerate(arm.counts):
                yield f"arms[{i}].counts[{j}]", count
        for i, iv in enumerate(record.interventions):
            for j, regimen in enumerate(iv.regimens):
                yield f"interventions[{i}].regimens[{j}]", regimen

    for path, item in traced_items():
        if item.provenance and item.provenance.source not in sources:
            yield Problem(f"{path}.provenance.source",
                          f"unknown source {item.provenance.source!r} (add it to sources)")
        for fld, prov in item.field_provenance.items():
            if prov.source not in sources:
                yield Problem(f"{path}.field_provenance.{fld}.source",
                              f"unknown source {prov.source!r} (add it to sources)")


def _numbers(record: Record) -> Iterator[Problem]:
    for i, arm in enumerate(record.arms):
        if (arm.n_analysed is not None and arm.n_randomised is not None
                and arm.n_analysed > arm.n_randomised):
            yield Problem(f"arms[{i}].n_analysed",
                          f"{arm.n_analysed} analysed is more than {arm.n_randomised} randomised")
    for i, res in enumerate(record.results):
        if res.events is not None and res.n is not None and res.events > res.n:
            yield Problem(f"results[{i}].events", f"{res.events} events is more than n={res.n}")
        if (res.param is ParamType.proportion and res.unit == "%" and res.value is not None
                and not 0 <= res.value <= 100):
            yield Problem(f"results[{i}].value", f"percent {res.value} is outside 0–100")
    for i, ae in enumerate(record.adverse_events):
        if ae.affected is not None and ae.at_risk is not None and ae.affected > ae.at_risk:
            yield Problem(f"adverse_events[{i}].affected",
                          f"{ae.affected} affected is more than {ae.at_risk} at risk")
    for i, cmp in enumerate(record.comparisons):
        if cmp.ci_low is not None and cmp.ci_high is not None and cmp.ci_low > cmp.ci_high:
            yield Problem(f"comparisons[{i}].ci_low", "CI lower bound is above the upper bound")


def _registrations(record: Record) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, reg in enumerate(record.registrations):
        try:
            norm = registries.normalise(reg.registry, reg.identifier)
        except registries.RegistrationError as exc:
            yield Problem(f"registrations[{i}].identifier", str(exc))
            continue
        if norm.identifier in seen:
            yield Problem(f"registrations[{i}].identifier", f"{norm.identifier} is listed twice")
        seen.add(norm.identifier)


def check_record(record: Record) -> list[Problem]:
    """Every logical problem in the record, in document order by kind."""
    return [
        *_keys(record),
        *_registrations(record),
        *_references(record),
        *_provenance(record),
        *_numbers(record),
    ]


def normalise_registrations(record: Record) -> Record:
    """A copy with registry codes filled in and identifiers in canonical spelling."""
    regs = []
    for reg in record.registrations:
        norm = registries.normalise(reg.registry, reg.identifier)
        regs.append(reg.model_copy(update={"registry": norm.registry, "identifier": norm.identifier}))
    return record.model_copy(update={"registrations": regs})
