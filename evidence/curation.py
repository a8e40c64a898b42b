"""Curation as a team: who changed what (audit), the review workflow, optimistic locking.

Every change to a trial writes one `audit_event` row in the same transaction as
the change. Status moves draft -> reviewed -> verified; the curator who last
edited a trial cannot verify it; a verified trial refuses edits until reopened.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evidence.errors import EvidenceError, RecordError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from evidence.records import Record

ENV_CURATOR = "EVIDENCE_CURATOR"


class WorkflowError(EvidenceError):
    """A review transition that the workflow does not allow."""


class StaleVersion(RecordError):
    """An edit based on an older version of the trial than the stored one."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing, and with which command (for the audit trail)."""

    curator: str
    command: str | None = None


def current_curator(option: str | None = None) -> str:
    """--curator, else $EVIDENCE_CURATOR, else the operating-system user."""
    if option and option.strip():
        return option.strip()
    from_env = os.environ.get(ENV_CURATOR, "").strip()
    if from_env:
        return from_env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def field_changes(before: Record | None, after: Record) -> list[dict[str, Any]]:
    """Field-level before/after of a change, keyed by entity identity, not list index."""
    if before is None:
        return []
    from evidence.adjudication import MISSING, diff_records

    def plain(value: Any) -> Any:
        return None if value is MISSING else value

    return [{"path": d.path, "before": plain(d.a), "after": plain(d.b)}
            for d in diff_records(before, after, with_provenance=True)]


def write_audit(*, conn: Connection, trial_id: int | None, label: str, action: str,
                actor: Actor | None, version_before: int | None, version_after: int | None,
                status_before: str | None, status_after: str | None,
                changes: list[dict[str, Any]] | None = None, reason: str | None = None) -> None:
    """Append one audit row (the only way the program writes that table)."""
    import orjson
    from sqlalchemy import insert

    from evidence.models import AuditEvent, table_of

    who = actor or Actor(current_curator())
    safe_changes = orjson.loads(orjson.dumps(changes or [], default=str))
    conn.execute(insert(table_of(AuditEvent)).values(
        trial_id=trial_id, trial_label=label[:120], action=action, curator=who.curator,
        command=who.command, at=dt.datetime.now(dt.UTC), version_before=version_before,
        version_after=version_after, status_before=status_before, status_after=status_after,
        reason=reason, changes=safe_changes))


def _trial_state(conn: Connection, trial_id: int) -> dict[str, Any]:
    from sqlalchemy import select

    from evidence.models import Trial, table_of

    t = table_of(Trial)
    row = conn.execute(select(t.c.id, t.c.version, t.c.curation_status, t.c.last_editor,
                              t.c.updated_at).where(t.c.id == trial_id)).mappings().first()
    if row is None:
        raise EvidenceError(f"no trial with id {trial_id}")
    return dict(row)


def _set_status(conn: Connection, trial_id: int, status: str, actor: Actor, action: str,
                reason: str | None) -> dict[str, Any]:
    from sqlalchemy import update

    from evidence.crud import content_hash
    from evidence.models import Trial, table_of
    from evidence.reader import RawDB, load_record
    from evidence.records import CurationStatus

    state = _trial_state(conn, trial_id)
    record = load_record(RawDB.inside(conn), trial_id)
    record.trial.curation_status = CurationStatus(status)
    t = table_of(Trial)
    # Guarded by the version read above: a concurrent change makes this a no-op, refused.
    done = conn.execute(update(t).where(t.c.id == trial_id, t.c.version == state["version"])
                        .values(curation_status=status, version=state["version"] + 1,
                                content_hash=content_hash(record),
                                updated_at=dt.datetime.now(dt.UTC)))
    if done.rowcount != 1:
        raise StaleVersion("the trial changed while this review ran; try again",
                           record=record.label())
    write_audit(conn=conn, trial_id=trial_id, label=record.label(), action=action, actor=actor,
                version_before=state["version"], version_after=state["version"] + 1,
                status_before=state["curation_status"], status_after=status, reason=reason,
                changes=[{"path": "trial.curation_status", "before": state["curation_status"],
                          "after": status}])
    return {**state, "status_after": status, "label": record.label()}


def review(*, conn: Connection, trial_id: int, approve: bool, actor: Actor,
           reason: str | None = None) -> dict[str, Any]:
    """Approve (draft -> reviewed -> verified) or reject (reviewed -> draft) a trial."""
    state = _trial_state(conn, trial_id)
    status = state["curation_status"]
    if not approve:
        if not reason:
            raise WorkflowError("a rejection needs --reason")
        if status != "reviewed":
            raise WorkflowError(f"only a reviewed trial can be rejected; this one is {status}"
                                + (" (use `evidence reopen`)" if status == "verified" else ""))
        return _set_status(conn, trial_id, "draft", actor, "reject", reason)
    if status == "draft":
        return _set_status(conn, trial_id, "reviewed", actor, "review", reason)
    if status == "reviewed":
        if state["last_editor"] and state["last_editor"] == actor.curator:
            raise WorkflowError(f"{actor.curator} last edited this trial; another curator must "
                                "verify it")
        if _reviewer(conn, trial_id) == actor.curator:
            raise WorkflowError(f"{actor.curator} reviewed this trial; another curator must "
                                "verify it")
        return _set_status(conn, trial_id, "verified", actor, "review", reason)
    raise WorkflowError("the trial is already verified")


def _reviewer(conn: Connection, trial_id: int) -> str | None:
    """Who moved the trial to `reviewed` most recently (from the audit trail)."""
    from sqlalchemy import select

    from evidence.models import AuditEvent, table_of

    a = table_of(AuditEvent)
    return conn.execute(select(a.c.curator).where(
        a.c.trial_id == trial_id, a.c.action == "review", a.c.status_after == "reviewed")
        .order_by(a.c.id.desc()).limit(1)).scalar()


def reopen(*, conn: Connection, trial_id: int, actor: Actor, reason: str) -> dict[str, Any]:
    """Take a verified trial back to draft so it can be edited (and reviewed again)."""
    state = _trial_state(conn, trial_id)
    if state["curation_status"] != "verified":
        raise WorkflowError(f"only a verified trial is reopened; this one is "
                            f"{state['curation_status']}")
    if not reason.strip():
        raise WorkflowError("reopening needs --reason")
    return _set_status(conn, trial_id, "draft", actor, "reopen", reason)


def check_editable(*, stored: dict[str, Any], base_version: int | None, label: str,
                   changes_content: bool) -> None:
    """Refuse an edit of a verified trial, or one based on an older version."""
    if base_version is not None and base_version != stored["version"]:
        when = stored["updated_at"]
        who = stored["last_editor"] or "someone"
        raise StaleVersion(
            f"the trial was changed by {who} at {when} (now version {stored['version']}); this "
            f"file is based on version {base_version}: export it again and redo the edit",
            record=label)
    if changes_content and stored["curation_status"] == "verified":
        raise RecordError("the trial is verified and refuses edits; reopen it first "
                          "(evidence reopen ID --reason ...)", record=label)


def delete_trial(*, conn: Connection, trial_id: int, actor: Actor, reason: str) -> str:
    """Delete a trial (its history stays in the audit trail)."""
    from sqlalchemy import delete

    from evidence.models import Trial, table_of
    from evidence.reader import RawDB, load_record

    state = _trial_state(conn, trial_id)
    if state["curation_status"] == "verified":
        raise WorkflowError("a verified trial cannot be deleted; reopen it first")
    record = load_record(RawDB.inside(conn), trial_id)
    t = table_of(Trial)
    conn.execute(delete(t).where(t.c.id == trial_id))
    write_audit(conn=conn, trial_id=trial_id, label=record.label(), action="delete", actor=actor,
                version_before=state["version"], version_after=None,
                status_before=state["curation_status"], status_after=None, reason=reason,
                changes=[{"path": "trial", "before": record.label(), "after": None}])
    return record.label()
