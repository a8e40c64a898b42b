"""Registry-scale import: stream files, map them in worker processes, write in batches.

The writer (this process) takes files in batches. A file whose digest shows it
was imported unchanged before is reported unchanged without being parsed. The
rest go to worker processes (evidence.bulkprep) that turn each study into rows.
The writer then stores a whole batch in one transaction: studies that are new
trials go in together with one executemany/COPY per table; a study that touches
a stored trial (or another study of the same batch) goes through the one-record
save, crud.save_record, which merges. If the batch insert is refused, each of
its studies is saved again on its own, so a bad study fails alone and nothing of
it is written. The outcome of every study is the one a one-by-one import gives.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evidence.bulkprep import PreparedFile, PrepContext, prepare_files, source_digest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from evidence.curation import Actor
    from evidence.importing import ItemOutcome

BULK_FORMATS = frozenset({"ctgov", "ctgov-xml"})
BATCH_FILES = 250  # files per transaction: large enough to amortise, small enough for memory
BATCH_BYTES = 32 * 1024 * 1024
IN_LIST = 500  # values per IN (...) list, under every driver's parameter limit


def default_jobs() -> int:
    """Worker processes: one per CPU (the writer mostly waits on the database)."""
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass(frozen=True, slots=True)
class BulkOptions:
    fmt: str
    actor: Actor | None = None
    jobs: int | None = None  # None: default_jobs(); 0: map in this process
    recheck: bool = False  # map every file again even if its digest is stored
    # Seconds by stage, added up here for benchmarks: "write" (the writer's own
    # transactions), "wait" (for workers), "map" (batches mapped in this process),
    # "digests" (hashing files and looking their digests up).
    timings: dict[str, float] = field(default_factory=dict)


def _clock(timings: dict[str, float], stage: str, start: float) -> None:
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _batches(files: Iterable[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    size = 0
    for locator, data in files:
        batch.append((locator, data))
        size += len(data)
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_LIST):
        yield values[start:start + IN_LIST]


def _stored_digests(engine: Engine, digests: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Stored source_digest rows of these digests, grouped by digest."""
    from sqlalchemy import select

    from evidence.models import SourceDigest, table_of

    table = table_of(SourceDigest)
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for chunk in _chunks(sorted(set(digests))):
            rows = conn.execute(select(table.c.digest, table.c.position, table.c["items"],
                                       table.c.trial_id, table.c.label)
                                .where(table.c.digest.in_(chunk))).mappings()
            for row in rows:
                found.setdefault(row["digest"], []).append(dict(row))
    return found


def _unchanged_items(rows: list[dict[str, Any]] | None, locator: str) -> list[ItemOutcome] | None:
    """Outcomes for a file already imported unchanged (every item still stored), else None."""
    from evidence.importing import ItemOutcome

    if not rows or len({r["position"] for r in rows}) != rows[0]["items"]:
        return None
    rows = sorted(rows, key=lambda r: r["position"])
    many = rows[0]["items"] > 1
    return [ItemOutcome(f"{locator}#{r['position']}" if many else locator, "unchanged",
                        r["label"], r["trial_id"],
                        notes=["same file as already imported (source digest); not parsed"])
            for r in rows]


def _warm_up() -> None:
    # Import the mapping code (pydantic models, scipy) before the first batch arrives.
    import evidence.bulkprep
    import evidence.importers.ctgov
    import evidence.importers.ctgov_xml
    import evidence.stats  # noqa: F401


class _Pool:
    """Worker processes mapping batches, with a bounded number of batches in flight."""

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        # spawn, not fork: the writer holds database connections a fork would share.
        self.executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_warm_up)

    def submit(self, fmt: str, files: list[tuple[str, bytes, str]],
               context: PrepContext) -> Future[list[PreparedFile]]:
        return self.executor.submit(prepare_files, fmt, files, context)

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def bulk_import(engine: Engine, files: Iterable[tuple[str, bytes]], options: BulkOptions,
                emit: Callable[[ItemOutcome], None]) -> None:
    """Import every study of these registry files; `emit` gets each outcome, in file order."""
    from evidence.curation import Actor, current_curator

    who = options.actor or Actor(current_curator())
    jobs = default_jobs() if options.jobs is None else options.jobs
    pool: _Pool | None = None
    pending: deque[tuple[list[tuple[str, bytes]], list[list[ItemOutcome] | None],
                         Future[list[PreparedFile]] | list[PreparedFile], PrepContext]] = deque()
    try:
        for number, batch in enumerate(_batches(files)):
            context = PrepContext(dt.datetime.now(dt.UTC), who.curator, who.command,
                                  options.actor.curator if options.actor else None)
            start = time.perf_counter()
            skipped, todo = _skip_unchanged(engine, options, batch)
            _clock(options.timings, "digests", start)
            if number == 0 and jobs > 0 and len(batch) >= BATCH_FILES:
                pool = _Pool(jobs)  # more to come: start the workers while this one maps
            # The first batch is mapped here: a small import never starts a worker.
            if not todo:
                work: Any = []
            elif number == 0 or jobs == 0:
                start = time.perf_counter()
                work = prepare_files(options.fmt, todo, context)
                _clock(options.timings, "map", start)
            else:
                if pool is None:
                    pool = _Pool(jobs)
                work = pool.submit(options.fmt, todo, context)
            pending.append((batch, skipped, work, context))
            # Keep the workers busy while this process writes: jobs + 1 batches ahead.
            while len(pending) > max(jobs, 1) or (pending and not isinstance(pending[0][2],
                                                                               Future)):
                _finish(engine, options, pending.popleft(), emit)
        while pending:
            _finish(engine, options, pending.popleft(), emit)
    finally:
        if pool is not None:
            pool.close()


def _skip_unchanged(engine: Engine, options: BulkOptions, batch: list[tuple[str, bytes]]
                    ) -> tuple[list[list[ItemOutcome] | None], list[tuple[str, bytes, str]]]:
    digests = [source_digest(options.fmt, data) for _, data in batch]
    stored = {} if options.recheck else _stored_digests(engine, digests)
    skipped: list[list[ItemOutcome] | None] = []
    todo = []
    for (locator, data), digest in zip(batch, digests, strict=True):
        outcomes = _unchanged_items(stored.get(digest), locator)
        skipped.append(outcomes)
        if outcomes is None:
            todo.append((locator, data, digest))
    return skipped, todo


def _finish(engine: Engine, options: BulkOptions,
            entry: tuple[list[tuple[str, bytes]], list[Any], Any, PrepContext],
            emit: Callable[[ItemOutcome], None]) -> None:
    batch, skipped, work, context = entry
    start = time.perf_counter()
    prepared: list[PreparedFile] = work.result() if isinstance(work, Future) else work
    _clock(options.timings, "wait", start)
    data_of = {locator: data for locator, data in batch}
    start = time.perf_counter()
    outcomes = _write_batch(engine, options, prepared, data_of, context)
    _clock(options.timings, "write", start)
    by_file = iter(outcomes)
    for already in skipped:
        for outcome in already if already is not None else next(by_file):
            emit(outcome)


def _write_batch(engine: Engine, options: BulkOptions, files: list[PreparedFile],
                 data_of: dict[str, bytes], context: PrepContext) -> list[list[ItemOutcome]]:
    """Store one batch in one transaction; the outcomes per file, in order."""
    from evidence.bulkwrite import BatchWriter

    with engine.connect() as conn, conn.begin():
        writer = BatchWriter(conn, options.fmt, options.actor, context)
        result = writer.write(files, data_of)
    return result
