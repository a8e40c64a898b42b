"""The writing half of a bulk import: one batch of prepared studies, one transaction.

New trials are collected and inserted together (evidence.rowwrite). A study
that shares an identifier with a stored trial, or with an earlier study of the
same batch, needs a merge: the collected ones are written first, then it goes
through crud.save_record, so the order of the files is the order of the saves.
Each step runs in a savepoint: when the database refuses the collected insert,
the studies in it are saved again one by one and only the bad one fails.
Last, each file's digest is recorded for the trials it gave, unless one of them
changed since (a later file here, or another writer: see _locked_versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from evidence import models as m
from evidence.errors import RecordError
from evidence.models import table_of
from evidence.rowwrite import write_plans

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Connection, Engine

    from evidence.bulkimport import SourceFile
    from evidence.bulkprep import PreparedItem, PrepContext
    from evidence.curation import Actor
    from evidence.importers.base import ImportItem
    from evidence.importing import ItemOutcome
    from evidence.rowplan import RowPlan

@dataclass(slots=True)
class _Fresh:
    item: PreparedItem
    outcome: ItemOutcome
    file: SourceFile
    position: int


def write_batch(engine: Engine, fmt: str, actor: Actor | None, context: PrepContext,
                files: list[SourceFile]) -> list[list[ItemOutcome]]:
    """Store one batch in one transaction; the outcomes per file, in file order."""
    with engine.connect() as conn, conn.begin():
        return BatchWriter(conn, fmt, actor, context).write(files)


@dataclass(slots=True)
class BatchWriter:
    conn: Connection
    fmt: str
    actor: Actor | None
    context: PrepContext
    seen: set[str] = field(default_factory=set)  # identifiers stored or written in this batch
    fresh: list[_Fresh] = field(default_factory=list)  # new trials not yet written
    # trial id -> index of the last file of the batch that created or changed it
    changed_by: dict[int, int] = field(default_factory=dict)
    # stored trial id -> its version when this batch began, read before any save here
    versions_at_start: dict[int, int] = field(default_factory=dict)
    skipped_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    saved_one_by_one: bool = False  # crud.save_record ran in this batch (it may change digests)

    def write(self, files: list[SourceFile]) -> list[list[ItemOutcome]]:
        self.seen = self._stored_identifiers(files)
        self.skipped_rows = self._skipped_digest_rows(files)
        out = [self._write_file(file) for file in files]
        self._flush()
        # After the flush: only then do the collected new trials have their ids.
        for index, outcomes in enumerate(out):
            for o in outcomes:
                if o.trial_id is not None and o.outcome in ("created", "updated"):
                    self.changed_by[o.trial_id] = index
        self._record_digests(files, out)
        return out

    def _write_file(self, file: SourceFile) -> list[ItemOutcome]:
        from evidence.bulkimport import unchanged_outcomes
        from evidence.importing import ItemOutcome

        if file.prepared is None:
            # Skipped unparsed; an earlier study of this run may have changed its trial
            # since (its digest rows are then gone): check again inside this transaction.
            # Read once per batch while nothing here has saved through crud yet (new trials
            # inserted together cannot change a stored one); after that, per file.
            rows = (self._digest_rows(file.digest) if self.saved_one_by_one
                    else self.skipped_rows.get(file.digest))
            if rows is not None:
                return unchanged_outcomes(rows, file.locator)
            return self._save_parsed(file)
        outcomes = []
        for position, item in enumerate(file.prepared.items):
            if item.error is not None:
                outcome = ItemOutcome(item.locator, "failed", message=item.error, notes=item.notes)
            elif item.plan is None or self.seen.intersection(item.identifiers):
                self._flush()
                outcome = self._save_one(file, position)
            else:
                outcome = ItemOutcome(item.locator, "created", item.label, None, notes=item.notes)
                self.fresh.append(_Fresh(item, outcome, file, position))
            self.seen.update(item.identifiers)
            outcomes.append(outcome)
        return outcomes

    def _skipped_digest_rows(self, files: list[SourceFile]) -> dict[str, list[dict[str, Any]]]:
        return self._complete_digests(sorted({f.digest for f in files if f.prepared is None}))

    def _digest_rows(self, digest: str) -> list[dict[str, Any]] | None:
        return self._complete_digests([digest]).get(digest)

    def _complete_digests(self, digests: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Digest rows, inside this transaction, of the digests whose every item is stored."""
        from evidence.bulkimport import complete, digest_rows

        # The transaction's own DB-API connection: the rows as this transaction sees them.
        found = digest_rows(self.conn.connection.dbapi_connection, self.conn.dialect, digests)
        return {d: rows for d, rows in found.items() if complete(rows)}

    def _save_parsed(self, file: SourceFile) -> list[ItemOutcome]:
        """Parse a file here and save each of its studies one by one."""
        from evidence.importing import reader_for
        from evidence.validation import normalise_registrations

        self._flush()
        outcomes = []
        for position, item in enumerate(reader_for(self.fmt)(file.locator, file.data)):
            outcomes.append(self._save_one(file, position, item))
            if item.record is not None:
                try:
                    regs = normalise_registrations(item.record).registrations
                except RecordError:
                    continue
                self.seen.update(r.identifier for r in regs)
        return outcomes

    def _stored_identifiers(self, files: list[SourceFile]) -> set[str]:
        """The files' identifiers already stored; their trials' versions into versions_at_start."""
        from evidence.bulkimport import chunks

        reg = table_of(m.Registration)
        trial = table_of(m.Trial)
        wanted = sorted({i for f in files if f.prepared is not None
                         for item in f.prepared.items for i in item.identifiers})
        found: set[str] = set()
        for chunk in chunks(wanted):
            for identifier, trial_id, version in self.conn.execute(
                    select(reg.c.identifier, trial.c.id, trial.c.version)
                    .join(trial, trial.c.id == reg.c.trial_id)
                    .where(reg.c.identifier.in_(chunk))):
                found.add(identifier)
                self.versions_at_start[trial_id] = version
        return found

    def _flush(self) -> None:
        """Write the collected new trials together; on refusal, each on its own."""
        if not self.fresh:
            return
        fresh, self.fresh = self.fresh, []
        try:
            with self.conn.begin_nested():
                self._insert_fresh(fresh)
        except DBAPIError:
            for one in fresh:  # find the one the database refuses; the others go in
                self._insert_alone(one)

    def _insert_fresh(self, fresh: list[_Fresh]) -> None:
        self._adopt_publications([f.item for f in fresh])
        ids = _write_then_index(self.conn, [f.item.plan for f in fresh if f.item.plan is not None])
        trial_ids = ids["trial"]
        for i, f in enumerate(fresh):
            f.outcome.trial_id = trial_ids[i]

    def _insert_alone(self, one: _Fresh) -> None:
        try:
            with self.conn.begin_nested():
                self._insert_fresh([one])
            return
        except IntegrityError:
            # On PostgreSQL another writer may have stored this trial since this batch
            # looked: save it one by one, which then merges, as a one-by-one import does.
            saved = self._save_one(one.file, one.position)
        except DBAPIError as exc:
            from evidence.importing import failed_outcome

            saved = failed_outcome(one.item.locator, one.item.notes, exc)
        for name in ("outcome", "label", "trial_id", "kind", "message", "notes", "changes"):
            setattr(one.outcome, name, getattr(saved, name))

    def _adopt_publications(self, items: list[PreparedItem]) -> None:
        """Publication-only rows (no trial) that these new trials' publications now cover."""
        pub = table_of(m.Publication)
        pmids = sorted({p for i in items for p in i.pmids})
        dois = sorted({d for i in items for d in i.dois})
        if pmids or dois:
            self.conn.execute(delete(pub).where(pub.c.trial_id.is_(None), or_(
                pub.c.pmid.in_(pmids), pub.c.doi.in_(dois))))

    def _save_one(self, file: SourceFile, position: int,
                  item: ImportItem | None = None) -> ItemOutcome:
        """crud.save_record for one study of the file, in a savepoint (merges, publications)."""
        from evidence.importing import ImportOptions, reader_for, save_in, save_retrying

        self.saved_one_by_one = True
        if item is None:
            item = next(x for i, x in enumerate(reader_for(self.fmt)(file.locator, file.data))
                        if i == position)
        options = ImportOptions(self.fmt, actor=self.actor)

        def attempt() -> ItemOutcome:
            assert item is not None
            with self.conn.begin_nested():
                return save_in(self.conn, item, options, merge=True)

        return save_retrying(item, attempt)

    def _record_digests(self, files: list[SourceFile], out: list[list[ItemOutcome]]) -> None:
        """Remember each file whose every item is a stored trial still as the file left it."""
        from evidence.bulkimport import chunks

        table = table_of(m.SourceDigest)
        candidates = [(i, f, o) for i, (f, o) in enumerate(zip(files, out, strict=True))
                      if f.prepared is not None and o and all(
                          x.outcome != "failed" and x.trial_id is not None and x.kind == "trial"
                          for x in o)]
        if not candidates:
            return
        try:
            with self.conn.begin_nested():
                current = self._locked_versions(sorted(
                    {x.trial_id for _, _, o in candidates for x in o if x.trial_id is not None}))
                rows: dict[tuple[str, int], dict[str, Any]] = {}
                for index, file, outcomes in candidates:
                    if not all(self._as_left(x.trial_id, index, current)
                               for x in outcomes if x.trial_id is not None):
                        continue
                    for position, o in enumerate(outcomes):
                        rows[(file.digest, position)] = {
                            "trial_id": o.trial_id, "digest": file.digest, "position": position,
                            "items": len(outcomes), "label": o.label[:120],
                            "suffix": o.locator[len(file.locator):][:64],
                            "imported_at": self.context.now}
                if rows:
                    for chunk in chunks(sorted({d for d, _ in rows})):
                        self.conn.execute(delete(table).where(table.c.digest.in_(chunk)))
                    self.conn.execute(insert(table), list(rows.values()))
        except (IntegrityError, OperationalError) as exc:
            # Another import recorded the same file meanwhile, or PostgreSQL broke a
            # deadlock with another writer here (SQLSTATE class 40). Digests only save
            # work on the next import; the trials of this batch are what counts. Any
            # other failure (a full disk, say) is not the digests' to swallow.
            rolled_back = str(getattr(exc.orig, "sqlstate", "") or "").startswith("40")
            if isinstance(exc, OperationalError) and not rolled_back:
                raise

    def _locked_versions(self, trial_ids: list[int]) -> dict[int, int]:
        """The version of each of these trials still stored, locked until this batch commits.

        On PostgreSQL (READ COMMITTED) another writer may be changing one of them,
        uncommitted: its DELETE of the trial's digest rows cannot see the rows this
        batch is about to insert, so they would outlive its change. FOR SHARE
        conflicts with its UPDATE: whichever comes second waits for the other to
        commit, and then reads (or changes) the version the first one left. SQLite
        needs no lock: this transaction holds its only write lock (BEGIN IMMEDIATE).
        """
        from evidence.bulkimport import chunks

        trial = table_of(m.Trial)
        found: dict[int, int] = {}
        for chunk in chunks(trial_ids):
            query = select(trial.c.id, trial.c.version).where(trial.c.id.in_(chunk))
            if self.conn.dialect.name != "sqlite":
                query = query.with_for_update(read=True)
            found.update((trial_id, version)
                         for trial_id, version in self.conn.execute(query))
        return found

    def _as_left(self, trial_id: int, index: int, current: dict[int, int]) -> bool:
        """Whether the trial is still what file `index` of this batch left or found it."""
        if trial_id not in current:  # a later study absorbed it (a bridging record)
            return False
        if trial_id in self.changed_by:
            # Created or updated here: no other writer can change it before this batch
            # commits (its row is new, or locked by the UPDATE); a later file here can.
            return self.changed_by[trial_id] <= index
        # Found unchanged by a save that read it at the version of the batch's start or
        # a later one. Versions only grow: equal now means nobody has changed it since.
        return current[trial_id] == self.versions_at_start.get(trial_id)

def _write_then_index(conn: Connection, plans: list[RowPlan]) -> dict[str, Sequence[int]]:
    """Insert new trials with the search index's insert triggers off, then index them at once.

    Row by row, the triggers cost SQLite about twice as much as all other inserts
    together; one INSERT ... SELECT per indexed table over the new trials does the
    same work in a fifth of the time. On SQLite the triggers are dropped and created
    again inside this transaction, which holds the write lock, so no other writer
    ever sees them missing. On PostgreSQL the trigger functions skip inserts while
    this transaction has set search_index.DEFERRED_SETTING (migration 0005).
    """
    from evidence.search_index import DEFERRED_SETTING, index_trials_statements, insert_triggers

    sqlite = conn.dialect.name == "sqlite"
    triggers = insert_triggers("sqlite") if sqlite else {}
    for name in triggers:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    if not sqlite:
        conn.exec_driver_sql(f"SET LOCAL {DEFERRED_SETTING} = 'on'")
    ids = write_plans(conn, plans)
    for statement in index_trials_statements(conn.dialect.name, ids["trial"]):  # type: ignore[arg-type]
        conn.exec_driver_sql(statement)
    for create in triggers.values():
        conn.exec_driver_sql(create)
    if not sqlite:
        conn.exec_driver_sql(f"SET LOCAL {DEFERRED_SETTING} = 'off'")
    return ids
