"""Import sources into the database: detect, parse (pure importers), save per item.

Every study, article or record file is its own transaction: a bad one is
reported and rolled back, the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from evidence.errors import EvidenceError, RecordError
from evidence.importers.base import ImportItem

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from evidence.curation import Actor

Outcome = Literal["created", "updated", "unchanged", "failed"]


@dataclass(slots=True)
class ItemOutcome:
    locator: str
    outcome: Outcome
    label: str = ""
    trial_id: int | None = None
    kind: str = "trial"  # or "publication"
    message: str = ""
    notes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    """Every item's outcome, or, past `keep` items, the counts and the failed ones only.

    A registry-scale import has hundreds of thousands of items; keeping each
    outcome would make its memory grow with the corpus.
    """

    items: list[ItemOutcome] = field(default_factory=list)
    keep: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # bulk stages (bulkimport)

    def add(self, outcome: ItemOutcome) -> None:
        self.counts[outcome.outcome] = self.counts.get(outcome.outcome, 0) + 1
        if self.keep is None or len(self.items) < self.keep or outcome.outcome == "failed":
            self.items.append(outcome)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def omitted(self) -> int:
        """Items counted but not kept."""
        return self.total - len(self.items)

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    def summary(self) -> str:
        parts = [f"{self.count(o):,} {o}" for o in ("created", "updated", "unchanged", "failed")]
        return f"{self.total:,} item(s): " + ", ".join(parts)


def _record_items(locator: str, data: bytes) -> Iterator[ImportItem]:
    from evidence.importers.sources import decode_text
    from evidence.recordio import parse_text, record_from_data

    suffix = Path(locator).suffix.lower()
    try:
        text = decode_text(locator, data)
        parsed = parse_text(text, suffix=suffix, file=locator)
        yield ImportItem(locator, record=record_from_data(parsed, file=locator))
    except RecordError as exc:
        yield ImportItem(locator, error=exc)


def _abstract_items(locator: str, data: bytes) -> Iterator[ImportItem]:
    from evidence.importers.abstract import parse_abstract_text
    from evidence.importers.sources import decode_text

    try:
        yield parse_abstract_text(decode_text(locator, data), locator=locator)
    except RecordError as exc:
        yield ImportItem(locator, error=exc)


def reader_for(fmt: str) -> Callable[[str, bytes], Iterator[ImportItem]]:
    """The function that reads (locator, bytes) into ImportItems for a source format."""
    if fmt == "record":
        return _record_items
    if fmt == "abstract":
        return _abstract_items
    if fmt == "ctgov":
        from evidence.importers.ctgov import read_ctgov_json
        return read_ctgov_json
    if fmt == "ctgov-xml":
        from evidence.importers.ctgov_xml import read_ctgov_xml
        return read_ctgov_xml
    if fmt == "pubmed":
        from evidence.importers.pubmed import read_pubmed
        return read_pubmed
    raise EvidenceError(f"unknown source format {fmt!r}")


def iter_items(path: Path, fmt: str) -> Iterator[ImportItem]:
    """Every study/article/record in a file, folder or zip, parsed but not saved."""
    from evidence.importers.sources import iter_files

    try:
        read = reader_for(fmt)
        for locator, data in iter_files(path):
            yield from read(locator, data)
    except RecordError as exc:
        yield ImportItem(str(path), error=exc)


def _detect(path: Path, fmt: str | None) -> str | ImportItem:
    from evidence.importers.sources import detect_format

    try:
        return fmt or detect_format(path)
    except RecordError as exc:
        return ImportItem(str(path), error=exc)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    fmt: str | None = None
    dry_run: bool = False
    actor: Actor | None = None
    as_extraction: bool = False  # store as this curator's extraction, not into the trial
    # Worker processes of a bulk registry import (None: one per CPU). They are spawned,
    # so a script that asks for them must call from under `if __name__ == "__main__":`.
    jobs: int | None = 0
    recheck: bool = False  # map registry files again even when their digest is stored


def import_paths(engine: Engine, paths: list[Path], *, fmt: str | None = None,
                 dry_run: bool = False, actor: Actor | None = None, as_extraction: bool = False,
                 on_item: Callable[[ItemOutcome], None] | None = None,
                 jobs: int | None = 0, recheck: bool = False,
                 keep: int | None = None) -> ImportReport:
    """Import every item of every path; a bad item fails alone, the others go on.

    `keep` bounds how many outcomes the report holds (failed ones are always kept).
    Registry sources (ClinicalTrials.gov JSON and XML) take the bulk path
    (evidence.bulkimport: worker processes, a transaction per batch, unchanged
    files skipped by digest); every other item is saved in its own transaction.
    """
    options = ImportOptions(fmt, dry_run, actor, as_extraction, jobs, recheck)
    report = ImportReport(keep=keep)

    def emit(outcome: ItemOutcome) -> None:
        report.add(outcome)
        if on_item:
            on_item(outcome)

    for path in paths:
        if not path.exists():
            emit(ItemOutcome(str(path), "failed", message=f"{path}: no such file or folder"))
            continue
        path_fmt = _detect(path, fmt)
        if isinstance(path_fmt, str) and _bulk(path_fmt, options):
            _bulk_import(engine, path, path_fmt, options, emit, report.timings)
            continue
        items = [path_fmt] if isinstance(path_fmt, ImportItem) else iter_items(path, path_fmt)
        for item in items:
            # A curator's record file is authoritative; other sources merge into it.
            emit(_save_item(engine, item, options, merge=path_fmt != "record"))
    return report


def _bulk(fmt: str, options: ImportOptions) -> bool:
    from evidence.bulkimport import BULK_FORMATS

    return fmt in BULK_FORMATS and not options.dry_run and not options.as_extraction


def _bulk_import(engine: Engine, path: Path, fmt: str, options: ImportOptions,
                 emit: Callable[[ItemOutcome], None], timings: dict[str, float]) -> None:
    from sqlalchemy.exc import DBAPIError

    from evidence.bulkimport import BulkOptions, bulk_import
    from evidence.importers.sources import iter_files

    try:
        bulk_import(engine, iter_files(path), BulkOptions(fmt, options.actor, options.jobs,
                                                          options.recheck, timings), emit)
    except RecordError as exc:  # the folder or zip itself (or a file in it) cannot be read
        emit(ItemOutcome(str(path), "failed", message=str(exc)))
    except DBAPIError as exc:  # e.g. "database is locked": the batches before it are kept
        emit(ItemOutcome(str(path), "failed",
                         message=f"{path}: import stopped by the database "
                                 f"({' '.join(str(exc.orig).split())[:200]}); the items "
                                 "reported before this were written"))


def refused_message(locator: str, exc: Exception) -> str:
    """The one line for an item the database refused (it was rolled back)."""
    orig = getattr(exc, "orig", exc)
    return f"{locator}: refused by the database: {' '.join(str(orig).split())[:300]}"


# Two writers creating the same new trial at once: the loser hits the unique
# registration constraint; trying again finds the winner's trial and merges or
# reports it unchanged, so the end state is one trial, not an error.
RETRIES = 3


def _save_item(engine: Engine, item: ImportItem, options: ImportOptions, *,
               merge: bool = False) -> ItemOutcome:
    return save_retrying(item, lambda: _save_once(engine, item, options, merge=merge))


def save_retrying(item: ImportItem, attempt: Callable[[], ItemOutcome]) -> ItemOutcome:
    """One attempt to save the item, again after a lost race; any error becomes its outcome.

    `attempt` must roll back what it wrote when it raises (its own transaction or
    savepoint), so a failed item leaves nothing behind.
    """
    from sqlalchemy.exc import DBAPIError, IntegrityError

    if item.error is not None:
        return failed_outcome(item.locator, item.notes, item.error)
    for tries in range(1, RETRIES + 1):
        try:
            return attempt()
        except IntegrityError as exc:
            if tries == RETRIES:  # a database constraint caught what validation did not
                return failed_outcome(item.locator, item.notes, exc)
        except (EvidenceError, DBAPIError) as exc:
            return failed_outcome(item.locator, item.notes, exc)
    raise AssertionError("unreachable")


def failed_outcome(locator: str, notes: list[str], exc: Exception) -> ItemOutcome:
    """The outcome of an item that failed with this error: one line naming it."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, RecordError):
        if exc.file is None:
            exc.file = locator
        return ItemOutcome(locator, "failed", message=str(exc), notes=notes)
    if isinstance(exc, DBAPIError):  # refused by the database; it was rolled back
        return ItemOutcome(locator, "failed", message=refused_message(locator, exc), notes=notes)
    return ItemOutcome(locator, "failed", message=f"{locator}: {exc}", notes=notes)


def _save_once(engine: Engine, item: ImportItem, options: ImportOptions, *,
               merge: bool) -> ItemOutcome:
    with engine.connect() as conn, conn.begin() as transaction:
        outcome = save_in(conn, item, options, merge=merge)
        if options.dry_run:
            transaction.rollback()
    return outcome


def save_in(conn: Connection, item: ImportItem, options: ImportOptions, *,
            merge: bool) -> ItemOutcome:
    """Save one item inside the caller's transaction."""
    from evidence import crud as c

    if item.record is not None and options.as_extraction:
        from evidence.curation import current_curator
        from evidence.extractions import save_extraction

        curator = options.actor.curator if options.actor else current_curator()
        action = save_extraction(conn=conn, record=item.record, curator=curator,
                                 source_file=item.locator)
        outcome = ItemOutcome(item.locator, action, item.record.label(), None,
                              kind="extraction", notes=item.notes)
    elif item.record is not None:
        saved = c.save_record(conn=conn, record=item.record, merge=merge,
                              actor=options.actor)
        if saved.action != "unchanged" and saved.record is not None:
            from evidence.stats import run_checks

            c.replace_findings(conn=conn, trial_id=saved.trial_id,
                               findings=run_checks(saved.record))
        outcome = ItemOutcome(item.locator, saved.action, item.record.label(),
                              saved.trial_id, notes=[*item.notes, *saved.notes],
                              changes=list(saved.changes))
    elif item.publication is not None:
        pub_saved = c.save_publication(conn=conn, publication=item.publication)
        outcome = ItemOutcome(item.locator, pub_saved, item.publication.pmid
                              or item.publication.doi or "", kind="publication",
                              notes=item.notes)
    else:
        raise RecordError("importer produced nothing", file=item.locator)
    return outcome
