"""The database-free half of a bulk import: bytes -> rows, run in worker processes.

A worker gets a batch of registry files and gives back, per study, the rows it
will become (an evidence.rowplan.RowPlan with its trial, audit and finding rows)
or the error that refused it. Nothing here touches the database, so any number
of these can run beside the one writer. The rows are exactly those the
one-record save (crud.save_record) writes for a new trial.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from evidence.errors import RecordError
from evidence.rowplan import RowPlan

if TYPE_CHECKING:
    from evidence.importers.base import ImportItem


@dataclass(frozen=True, slots=True)
class PrepContext:
    """What the rows of every study in a batch share."""

    now: dt.datetime
    curator: str  # who the audit row names
    command: str | None
    last_editor: str | None  # the --curator given, else None (as crud.save_record)


@dataclass(slots=True)
class PreparedItem:
    """One study: its rows for a new trial, or why it needs the one-record save, or its error."""

    locator: str
    label: str = ""
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    identifiers: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()
    plan: RowPlan | None = None  # None with no error: save it one by one (crud.save_record)


@dataclass(slots=True)
class PreparedFile:
    locator: str
    digest: str
    items: list[PreparedItem]


@cache
def mapping_version() -> str:
    """A fingerprint of the code that turns a registry file into rows.

    Part of every source digest, so that a new release (or a local fix) of an
    importer, the record model or the checks maps the same file again instead of
    skipping it as unchanged.
    """
    from evidence import __version__

    package = Path(__file__).parent
    parts = [package / "importers", package / "stats"]
    files = sorted(p for d in parts for p in d.glob("*.py"))
    # Everything that decides what a file becomes, or whether a re-import changes it.
    files += [package / name for name in (
        "records.py", "rowplan.py", "rowmap.py", "validation.py", "registries.py",
        "bulkprep.py", "crud.py", "recordio.py", "merge.py", "merge_entities.py",
        "merge_fields.py", "models.py")
        if (package / name).exists()]
    digest = hashlib.sha256(__version__.encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_digest(fmt: str, data: bytes) -> str:
    """SHA-256 of the mapping version, the format and the file's bytes."""
    digest = hashlib.sha256(mapping_version().encode())
    digest.update(fmt.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


def prepare_files(fmt: str, files: list[tuple[str, bytes, str]],
                  context: PrepContext) -> list[PreparedFile]:
    """Every study of every (locator, bytes, digest) file as rows or an error."""
    from evidence.importing import reader_for

    read = reader_for(fmt)
    return [PreparedFile(locator, digest, [prepare_item(item, context)
                                           for item in read(locator, data)])
            for locator, data, digest in files]


def prepare_item(item: ImportItem, context: PrepContext) -> PreparedItem:
    """The rows crud.save_record would write for this item as a new trial."""
    try:
        return _prepare(item, context)
    except Exception as exc:  # a bug on one study must not end a registry-sized import
        return PreparedItem(item.locator, notes=item.notes,
                            error=f"{item.locator}: cannot be mapped ({type(exc).__name__}: "
                                  f"{exc}); please report this study")


def _prepare(item: ImportItem, context: PrepContext) -> PreparedItem:
    from evidence.crud import content_hash
    from evidence.records import CurationStatus
    from evidence.rowmap import trial_row
    from evidence.rowplan import plan_children, plan_findings
    from evidence.stats import run_checks
    from evidence.validation import normalise_registrations

    if item.error is not None:
        return PreparedItem(item.locator, error=str(item.error), notes=item.notes)
    record = item.record
    if record is None or not record.registrations:
        # A publication, or a record found by PMID/DOI only: the one-record save decides.
        return PreparedItem(item.locator, notes=item.notes)
    label = record.label()  # as printed by the source, like the one-record import's report
    try:
        record = normalise_registrations(record).model_copy(update={"base_version": None})
    except RecordError as exc:
        if exc.file is None:
            exc.file = item.locator
        return PreparedItem(item.locator, error=str(exc), notes=item.notes)
    notes = list(item.notes)
    if record.trial.curation_status is CurationStatus.verified:
        notes.append("status verified -> reviewed: only `evidence review` verifies a trial")
        record = record.model_copy(update={"trial": record.trial.model_copy(
            update={"curation_status": CurationStatus.reviewed})})
    plan = RowPlan()
    plan.add("trial", {**trial_row(record.trial), "content_hash": content_hash(record),
                       "updated_at": context.now, "created_at": context.now, "version": 1,
                       "last_editor": context.last_editor})
    plan_children(record, plan)
    plan_findings(plan, run_checks(record), context.now)
    plan.add("audit_event", {
        "trial_id": 0, "trial_label": record.label()[:120], "action": "import",
        "curator": context.curator, "command": context.command, "at": context.now,
        "version_before": None, "version_after": 1, "status_before": None,
        "status_after": record.trial.curation_status.value, "reason": None, "changes": []})
    publications = record.publications
    return PreparedItem(item.locator, label, None, notes,
                        tuple(r.identifier for r in record.registrations),
                        tuple(p.pmid for p in publications if p.pmid),
                        tuple(p.doi for p in publications if p.doi), plan)
