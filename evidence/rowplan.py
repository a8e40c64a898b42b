"""A record as the rows it becomes, before any id exists: pure, no database.

Ids in a plan are local (0, 1, 2 … per table within one trial) and foreign keys
point at those local ids. `evidence.rowwrite` swaps them for real ids and
inserts the rows. Both the one-record save (crud) and the bulk import use this
one plan, so a trial's rows are the same whichever path wrote them; planning
needs no database, so the bulk import does it in worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from evidence import models as m
from evidence.models import table_of
from evidence.records import Provenance, Record, Traced
from evidence.registries import normalise
from evidence.rowmap import (
    arm_row,
    comparison_row,
    endpoint_row,
    publication_row,
    regimen_row,
    result_row,
)

# Tables in insert order (parents before children).
PLANNED_MODELS = (m.Trial, m.Publication, m.Registration, m.Condition, m.Institution, m.Source,
                  m.Population, m.Arm, m.ArmCount, m.Intervention, m.InterventionArm, m.Regimen,
                  m.Endpoint, m.Timepoint, m.Result, m.Comparison, m.ComparisonArm,
                  m.AdverseEvent, m.Provenance, m.Finding, m.SourceDigest, m.AuditEvent)
# provenance.entity_id points at the table its `entity` column names.
PROVENANCE_ENTITIES = frozenset({"trial", "arm", "arm_count", "intervention", "regimen",
                                 "endpoint", "result", "comparison", "adverse_event"})


@dataclass(frozen=True, slots=True)
class TableShape:
    """Column order of a table, and which columns hold ids to be swapped."""

    name: str
    columns: tuple[str, ...]
    has_id: bool
    links: tuple[tuple[int, str], ...]  # (column index, table its local id points into)
    defaults: tuple[Any, ...]


@cache
def shapes() -> dict[str, TableShape]:
    """The shape of every planned table, from the models (the schema's source of truth)."""
    out = {}
    for model in PLANNED_MODELS:
        table = table_of(model)
        columns = tuple(c.name for c in table.c)
        links = [(i, next(iter(c.foreign_keys)).column.table.name)
                 for i, c in enumerate(table.c) if c.foreign_keys]
        if table.name == "audit_event":  # no foreign key on purpose (history outlives a trial)
            links.append((columns.index("trial_id"), "trial"))
        defaults = tuple(getattr(c.default, "arg", None)
                         if c.default is not None and c.default.is_scalar else None
                         for c in table.c)
        out[table.name] = TableShape(table.name, columns, "id" in columns and
                                     table.c["id"].primary_key, tuple(links), defaults)
    return out


@dataclass(slots=True)
class RowPlan:
    """Rows per table, as lists in the table's column order, with local ids."""

    rows: dict[str, list[list[Any]]] = field(default_factory=dict)

    def add(self, table: str, values: dict[str, Any]) -> int:
        """Append a row; returns its local id (its index in the table's list)."""
        shape = shapes()[table]
        rows = self.rows.setdefault(table, [])
        local = len(rows)
        row = [values.get(c, d) for c, d in zip(shape.columns, shape.defaults, strict=True)]
        if shape.has_id:
            row[shape.columns.index("id")] = local
        rows.append(row)
        return local

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ()))


class _ProvenanceSink:
    def __init__(self, plan: RowPlan, sources: dict[str, int]) -> None:
        self.plan = plan
        self.sources = sources

    def add(self, entity: str, entity_id: int, item: Traced) -> None:
        pairs: list[tuple[str | None, Provenance]] = (
            [(None, item.provenance)] if item.provenance else [])
        pairs += list(item.field_provenance.items())
        for fld, prov in pairs:
            if prov is None:
                continue
            span = prov.span or (None, None)
            self.plan.add("provenance", {
                "trial_id": 0, "entity": entity, "entity_id": entity_id, "field": fld,
                "source_id": self.sources[prov.source], "locator": prov.locator,
                "span_start": span[0], "span_end": span[1], "quote": prov.quote,
                "derivation": prov.derivation})


def plan_children(record: Record, plan: RowPlan | None = None) -> RowPlan:
    """The rows under a trial (local trial id 0): everything but the trial row itself."""
    plan = plan if plan is not None else RowPlan()
    tid = {"trial_id": 0}
    add = plan.add
    for i, p in enumerate(record.publications):
        add("publication", {**tid, **publication_row(p), "position": i})
    for i, reg in enumerate(record.registrations):
        add("registration", {**tid, "position": i, "registry": reg.registry,
                             "identifier": reg.identifier,
                             "known_registry": normalise(reg.registry, reg.identifier).known})
    for i, cond in enumerate(record.trial.conditions):
        add("condition", {**tid, "position": i, "name_en": cond.en, "name_zh": cond.zh})
    for i, x in enumerate(record.trial.institutions):
        add("institution", {**tid, "position": i, "name_en": x.name.en, "name_zh": x.name.zh,
                            "city": x.city, "country": x.country})
    prov = _ProvenanceSink(plan, {s.key: add("source", {**tid, "position": i,
                                                        **s.model_dump(mode="python")})
                                  for i, s in enumerate(record.sources)})
    prov.add("trial", 0, record.trial)
    pop_ids = {p.key: add("population", {**tid, "position": i, "key": p.key,
                                         "label_en": p.label.en, "label_zh": p.label.zh,
                                         "kind": p.kind.value, "description": p.description})
               for i, p in enumerate(record.populations)}
    arm_ids = {a.key: add("arm", {**tid, "position": i, **arm_row(a)})
               for i, a in enumerate(record.arms)}
    for arm in record.arms:
        prov.add("arm", arm_ids[arm.key], arm)
        for j, count in enumerate(arm.counts):
            cid = add("arm_count", {"arm_id": arm_ids[arm.key],
                                    "population_id": pop_ids[count.population], "position": j,
                                    "n": count.n})
            prov.add("arm_count", cid, count)
    _plan_interventions(plan, record, arm_ids, prov)
    endpoint_ids, tp_ids = _plan_endpoints(plan, record, pop_ids, prov)

    def where(item: Any) -> dict[str, Any]:
        return {"endpoint_id": endpoint_ids[item.endpoint],
                "timepoint_id": tp_ids.get((item.endpoint, item.timepoint)),
                "population_id": pop_ids.get(item.population) if item.population else None}

    for i, res in enumerate(record.results):
        rid = add("result", {**tid, "position": i, **where(res), "arm_id": arm_ids[res.arm],
                             **result_row(res)})
        prov.add("result", rid, res)
    for i, comp in enumerate(record.comparisons):
        cid = add("comparison", {**tid, "position": i, **where(comp), **comparison_row(comp)})
        prov.add("comparison", cid, comp)
        for j, arm_key in enumerate(comp.arms):
            add("comparison_arm", {"comparison_id": cid, "position": j,
                                   "arm_id": arm_ids[arm_key]})
    for i, ae in enumerate(record.adverse_events):
        aid = add("adverse_event", {
            **tid, "position": i, "arm_id": arm_ids[ae.arm], "term_en": ae.term.en,
            "term_zh": ae.term.zh, "serious": ae.serious, "organ_system": ae.organ_system,
            "affected": ae.affected, "at_risk": ae.at_risk, "events": ae.events,
            "vocabulary": ae.vocabulary})
        prov.add("adverse_event", aid, ae)
    return plan


def _plan_interventions(plan: RowPlan, record: Record, arm_ids: dict[str, int],
                        prov: _ProvenanceSink) -> None:
    for i, iv in enumerate(record.interventions):
        iv_id = plan.add("intervention", {
            "trial_id": 0, "position": i, "key": iv.key, "name_en": iv.name.en,
            "name_zh": iv.name.zh, "kind": iv.kind, "description": iv.description,
            "other_names": iv.other_names})
        prov.add("intervention", iv_id, iv)
        for j, g in enumerate(iv.regimens):
            gid = plan.add("regimen", {"intervention_id": iv_id, "position": j,
                                       "arm_id": arm_ids[g.arm] if g.arm else None,
                                       **regimen_row(g)})
            prov.add("regimen", gid, g)
    # Links after every intervention, as the one-record save always wrote them.
    for iv_id, iv in enumerate(record.interventions):
        for j, a in enumerate(iv.arms):
            plan.add("intervention_arm", {"intervention_id": iv_id, "arm_id": arm_ids[a],
                                          "position": j})


def _plan_endpoints(plan: RowPlan, record: Record, pop_ids: dict[str, int],
                    prov: _ProvenanceSink
                    ) -> tuple[dict[str, int], dict[tuple[str, str | None], int]]:
    ep_ids = {e.key: plan.add("endpoint", {
        "trial_id": 0, "position": i, **endpoint_row(e),
        "population_id": pop_ids[e.population] if e.population else None})
        for i, e in enumerate(record.endpoints)}
    tp_ids: dict[tuple[str, str | None], int] = {}
    for e in record.endpoints:
        prov.add("endpoint", ep_ids[e.key], e)
        for j, tp in enumerate(e.timepoints):
            tp_ids[(e.key, tp.key)] = plan.add("timepoint", {
                "endpoint_id": ep_ids[e.key], "position": j, "key": tp.key,
                "label_en": tp.label.en, "label_zh": tp.label.zh, "value": tp.value,
                "unit": tp.unit.value if tp.unit else None,
                "is_primary": tp.key == e.primary_timepoint})
    return ep_ids, tp_ids


def plan_findings(plan: RowPlan, findings: list[Any], checked_at: Any) -> None:
    """Rows of a trial's check findings (evidence.stats.Finding), local trial id 0."""
    import orjson

    for i, f in enumerate(findings):
        plan.add("finding", {
            "trial_id": 0, "position": i, "check_name": f.check, "severity": f.severity,
            "path": f.path, "message": f.message,
            # Round-trip through JSON so numpy/Decimal values become plain JSON numbers/text.
            "data": orjson.loads(orjson.dumps(f.data, default=str,
                                              option=orjson.OPT_SERIALIZE_NUMPY)),
            "checked_at": checked_at})
