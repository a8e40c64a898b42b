"""Write records into the tables: keyword-only functions over a SQLAlchemy Connection.

A record is stored as one transaction by the caller. Its rows are planned by
evidence.rowplan and inserted by evidence.rowwrite (ids taken first, then one
executemany or COPY per table), never by per-object ORM adds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import orjson
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Connection

from evidence import models as m
from evidence.models import table_of
from evidence.recordio import record_to_data
from evidence.records import Publication, Record
from evidence.rowmap import publication_row, trial_row
from evidence.rowplan import RowPlan, plan_children, plan_findings
from evidence.rowwrite import write_plan
from evidence.validation import normalise_registrations

if TYPE_CHECKING:
    from evidence.curation import Actor

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    trial_id: int
    action: Action
    changes: tuple[str, ...] = ()  # what the save changed, one readable line each
    notes: tuple[str, ...] = ()  # what it kept or skipped, and why
    record: Record | None = None  # the record as stored (after any merge)


def _canonical(data: Any) -> Any:
    # -0.0 == 0.0, but they serialise differently, and SQLite gives back 0.0.
    if isinstance(data, float) and data == 0.0:
        return 0.0
    if isinstance(data, dict):
        return {k: _canonical(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_canonical(v) for v in data]
    return data


_NEGATIVE_ZERO = re.compile(rb"-0\.0(?![0-9])")  # how orjson writes -0.0 (and only it)


def content_hash(record: Record) -> str:
    """SHA-256 of the record's canonical JSON: equal records hash equal."""
    data = record_to_data(record)
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    if _NEGATIVE_ZERO.search(canonical):  # rare: walk the data only when a -0.0 is in it
        canonical = orjson.dumps(_canonical(data), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(stmt, rows).scalars())


def find_trials_for_record(*, conn: Connection, record: Record) -> list[int]:
    """Stored trials this record describes, oldest first: by any registration ID, else PMID/DOI."""
    reg = table_of(m.Registration)
    identifiers = [r.identifier for r in record.registrations]
    found: set[int] = set()
    if identifiers:
        found = set(conn.execute(select(reg.c.trial_id).where(reg.c.identifier.in_(identifiers)))
                    .scalars())
    if not found:
        pub = table_of(m.Publication)
        for p in record.publications:
            for column, value in ((pub.c.pmid, p.pmid), (pub.c.doi, p.doi)):
                if value:
                    found |= {t for t in conn.execute(select(pub.c.trial_id).where(column == value))
                              .scalars() if t is not None}
    return sorted(found)


# Child tables that hang off trial directly; grandchildren go by ON DELETE CASCADE.
_TRIAL_CHILDREN = (m.SourceDigest, m.Provenance, m.Result, m.Comparison, m.AdverseEvent, m.Regimen,
                   m.Intervention, m.Timepoint, m.Endpoint, m.ArmCount, m.Arm, m.Population,
                   m.Source, m.Registration, m.Condition, m.Institution, m.Publication)


def _delete_children(conn: Connection, trial_id: int) -> None:
    for model in _TRIAL_CHILDREN:
        table = table_of(model)
        if "trial_id" in table.c:
            conn.execute(delete(table).where(table.c.trial_id == trial_id))


def save_record(*, conn: Connection, record: Record, merge: bool = False,
                actor: Actor | None = None, action: str | None = None,
                now: dt.datetime | None = None) -> SaveOutcome:
    """Store a record as a new trial, or onto the stored trial sharing an identifier.

    `merge=False` (a curator's record file) replaces the stored trial; `merge=True`
    (a registry, PubMed or abstract source) merges into it by evidence.merge's rules,
    keeping curator work. Stored trials the record bridges (it lists IDs of two of
    them) become one. Saving the same content again changes nothing. The curation
    status is the workflow's: a file cannot set it, and an edit of a reviewed trial
    sends it back to draft. Every change is audited in this transaction.
    """
    from evidence.curation import check_editable, field_changes, write_audit
    from evidence.merge import merge_records
    from evidence.reader import RawDB, load_record

    base_version = record.base_version
    record = normalise_registrations(record).model_copy(update={"base_version": None})
    now = now or dt.datetime.now(dt.UTC)
    trial = table_of(m.Trial)
    ids = find_trials_for_record(conn=conn, record=record)
    changes: list[str] = []
    notes: list[str] = []
    before: Record | None = None
    stored: dict[str, Any] = {}
    if ids:
        before = load_record(RawDB.inside(conn), ids[0])
        stored = _state(conn, ids[0])
        current = before
        for other in ids[1:]:
            absorbed = load_record(RawDB.inside(conn), other)
            other_state = _state(conn, other)
            # Joining trials changes the absorbed one too: it must be editable as well.
            check_editable(stored=other_state, base_version=None, label=absorbed.label(),
                           changes_content=True)
            bridged = merge_records(current, absorbed)
            current = bridged.record
            changes += bridged.changes
            notes.append(f"trial #{other} shares an identifier with #{ids[0]}; merged into it")
            conn.execute(delete(trial).where(trial.c.id == other))
            write_audit(conn=conn, trial_id=other, label=absorbed.label(), action="merge",
                        actor=actor, version_before=other_state["version"], version_after=None,
                        status_before=other_state["curation_status"], status_after=None,
                        reason=f"merged into trial #{ids[0]}: a record lists identifiers of both",
                        changes=[{"path": "trial", "before": absorbed.label(),
                                  "after": f"merged into #{ids[0]}"}])
        if merge:
            result = merge_records(current, record)
            notes += result.notes
            changes += result.changes
            record = current if result.skipped_older else result.record
        elif len(ids) > 1:
            notes.append("the record file replaces the bridged trials' content")
        record = _workflow_status(record, stored["curation_status"], before,
                                  notes if not merge else [])
    elif record.trial.curation_status.value == "verified":
        notes.append("status verified -> reviewed: only `evidence review` verifies a trial")
        record = _with_status(record, "reviewed")
    digest = content_hash(record)
    values = {**trial_row(record.trial), "content_hash": digest, "updated_at": now,
              "last_editor": actor.curator if actor else None}
    if ids:
        trial_id = ids[0]
        old_hash = conn.execute(select(trial.c.content_hash).where(trial.c.id == trial_id)).scalar()
        unchanged = old_hash == digest and len(ids) == 1
        check_editable(stored=stored, base_version=base_version, label=record.label(),
                       changes_content=not unchanged)
        if unchanged:
            return SaveOutcome(trial_id, "unchanged", (), tuple(notes), record)
        # Guarded by the version read above: on PostgreSQL another writer may have committed
        # in between (READ COMMITTED); then this edit is stale and refused, not merged blind.
        done = conn.execute(update(trial).where(trial.c.id == trial_id,
                                                trial.c.version == stored["version"])
                            .values(**values, version=trial.c.version + 1))
        if done.rowcount != 1:
            from evidence.curation import StaleVersion

            raise StaleVersion("the trial changed while this import ran; import it again",
                               record=record.label())
        _delete_children(conn, trial_id)
        outcome: Action = "updated"
    else:
        plan = RowPlan()
        plan.add("trial", {**values, "created_at": now, "version": 1})
        trial_id = write_plan(conn, plan)["trial"][0]
        outcome = "created"
    _write_children(conn, trial_id, record)
    version_before = stored.get("version")
    write_audit(conn=conn, trial_id=trial_id, label=record.label(),
                action=action or ("import" if before is None else "merge" if merge else "edit"),
                actor=actor, version_before=version_before,
                version_after=(version_before or 0) + 1,
                status_before=stored.get("curation_status"),
                status_after=record.trial.curation_status.value,
                changes=field_changes(before, record))
    return SaveOutcome(trial_id, outcome, tuple(changes), tuple(notes), record)


def _state(conn: Connection, trial_id: int) -> dict[str, Any]:
    trial = table_of(m.Trial)
    return dict(conn.execute(select(trial.c.version, trial.c.curation_status, trial.c.last_editor,
                                    trial.c.updated_at).where(trial.c.id == trial_id))
                .mappings().one())


def _with_status(record: Record, status: str) -> Record:
    from evidence.records import CurationStatus

    trial = record.trial.model_copy(update={"curation_status": CurationStatus(status)})
    return record.model_copy(update={"trial": trial})


def _workflow_status(record: Record, stored_status: str, before: Record | None,
                     notes: list[str]) -> Record:
    """The stored status, or draft when the content of a reviewed trial changes."""
    if record.trial.curation_status.value != stored_status:
        notes.append(f"kept curation status {stored_status} (the file says "
                     f"{record.trial.curation_status.value}; use `evidence review`)")
    record = _with_status(record, stored_status)
    if stored_status == "reviewed" and before is not None and \
            content_hash(record) != content_hash(_with_status(before, stored_status)):
        notes.append("status reviewed -> draft: the content changed after review")
        record = _with_status(record, "draft")
    return record


def _write_children(conn: Connection, trial_id: int, record: Record) -> None:
    _adopt_publications(conn, record)
    write_plan(conn, plan_children(record), trial_id=trial_id)


def _adopt_publications(conn: Connection, record: Record) -> None:
    """Drop publication-only rows (no trial) that this record's publications now cover."""
    pub = table_of(m.Publication)
    for p in record.publications:
        for column, value in ((pub.c.pmid, p.pmid), (pub.c.doi, p.doi)):
            if value:
                conn.execute(delete(pub).where(column == value, pub.c.trial_id.is_(None)))


def save_publication(*, conn: Connection, publication: Publication) -> Action:
    """Upsert a publication that reports no trial, keyed by PMID or DOI."""
    pub = table_of(m.Publication)
    values = {**publication_row(publication), "trial_id": None, "position": 0}
    for column, value in ((pub.c.pmid, publication.pmid), (pub.c.doi, publication.doi)):
        if not value:
            continue
        existing = conn.execute(select(pub).where(column == value)).mappings().first()
        if existing is None:
            continue
        if existing["trial_id"] is not None:
            return "unchanged"  # already part of a trial record; the trial's copy wins
        current = {k: existing[k] for k in values}
        if current == values:
            return "unchanged"
        conn.execute(update(pub).where(pub.c.id == existing["id"]).values(**values))
        return "updated"
    _insert_many(conn, pub, [values])
    return "created"


def replace_findings(*, conn: Connection, trial_id: int, findings: list[Any],
                     now: dt.datetime | None = None) -> None:
    """Store a trial's check findings (evidence.stats.Finding), replacing the previous ones."""
    table = table_of(m.Finding)
    conn.execute(delete(table).where(table.c.trial_id == trial_id))
    plan = RowPlan()
    plan_findings(plan, findings, now or dt.datetime.now(dt.UTC))
    write_plan(conn, plan, trial_id=trial_id)
