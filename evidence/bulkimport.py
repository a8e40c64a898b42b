"""Registry-scale import: stream files, map them in worker processes, write in batches.

The writer (this process) takes files in batches. A file whose digest shows it
was imported unchanged before is not sent to be parsed; inside the batch's
transaction the digest is checked again, since an earlier study of the run may
have changed that trial. The rest go to worker processes (evidence.bulkprep)
that turn each study into rows. The writer then stores a whole batch in one
transaction (evidence.bulkwrite). The outcome of every study is the one a
one-by-one import of the same files in the same order gives. Ctrl-C ends the
workers at once and rolls back the batch being written; the batches committed
before it stay committed.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evidence.bulkpool import Pool, fewer_collections
from evidence.bulkprep import PreparedFile, PrepContext, prepare_files, source_digest
from evidence.errors import RecordError

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect, Engine

    from evidence.curation import Actor
    from evidence.importing import ItemOutcome

BULK_FORMATS = frozenset({"ctgov", "ctgov-xml"})
BATCH_FILES = 250  # files per transaction: large enough to amortise, small enough for memory
BATCH_BYTES = 32 * 1024 * 1024
IN_LIST = 500  # values per IN (...) list, under every driver's parameter limit
LOOKAHEAD = 1  # batches in flight per worker (2 measured no faster at 20,000, +25 MB)


def default_jobs() -> int:
    """Worker processes: one per CPU this process may run on."""
    return max(1, min(len(os.sched_getaffinity(0)), 8))


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


@dataclass(slots=True)
class SourceFile:
    """One file of a batch: its bytes, digest, and either its stored digest rows or its rows."""

    locator: str
    data: bytes
    digest: str
    stored: list[dict[str, Any]] | None = None  # complete digest rows: probably unchanged
    prepared: PreparedFile | None = None


def _clock(timings: dict[str, float], stage: str, start: float) -> None:
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _batches(files: Iterable[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
    """Files in batches; a read error comes after the files read before it."""
    batch: list[tuple[str, bytes]] = []
    size = 0
    try:
        for locator, data in files:
            batch.append((locator, data))
            size += len(data)
            if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
    except RecordError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def chunks(values: list[Any]) -> Iterator[list[Any]]:
    """Slices of at most IN_LIST values, for IN (...) lists."""
    for start in range(0, len(values), IN_LIST):
        yield values[start:start + IN_LIST]


DIGEST_COLUMNS = "digest, position, items, trial_id, label, suffix"


def complete(rows: list[dict[str, Any]] | None) -> bool:
    """Whether digest rows cover every item of their file (each still a stored trial)."""
    return bool(rows) and len({r["position"] for r in rows or ()}) == (rows or [{}])[0]["items"]


def digest_rows(dbapi_connection: Any, dialect: Dialect,
                digests: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Stored source_digest rows of these digests, grouped by digest.

    Straight through the DB-API cursor: a re-import reads these for every file twice
    (before mapping, and again inside the write transaction), and SQLAlchemy's
    expanding IN and row mappings cost more than the query. Driver errors come out
    as SQLAlchemy's, as from any Core execute.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    mark = "?" if dialect.name == "sqlite" else "%s"
    cursor = dbapi_connection.cursor()
    try:
        for chunk in chunks(sorted(set(digests))):
            statement = (f"SELECT {DIGEST_COLUMNS} FROM source_digest "
                         f"WHERE digest IN ({', '.join([mark] * len(chunk))})")
            try:
                cursor.execute(statement, chunk)
            except dialect.loaded_dbapi.Error as exc:
                from sqlalchemy.exc import DBAPIError

                raise DBAPIError.instance(statement, chunk, exc,
                                          dialect.loaded_dbapi.Error) from exc
            names = [d[0] for d in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                found.setdefault(row["digest"], []).append(row)
    finally:
        cursor.close()
    return found


def _stored_digests(engine: Engine, digests: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Stored source_digest rows of these digests, before the batch's transaction.

    Read on a plain DB-API connection: a SQLAlchemy transaction on SQLite would
    begin IMMEDIATE and wait for the write lock, which this read does not need.
    """
    raw = engine.raw_connection()
    try:
        return digest_rows(raw, engine.dialect, digests)
    finally:
        raw.close()  # back to the pool, rolled back


def unchanged_outcomes(rows: list[dict[str, Any]], locator: str) -> list[ItemOutcome]:
    """The outcomes of a file found imported, unchanged, by its digest."""
    from evidence.importing import ItemOutcome

    return [ItemOutcome(locator + r["suffix"], "unchanged", r["label"], r["trial_id"],
                        notes=["same file as already imported (source digest); not parsed"])
            for r in sorted(rows, key=lambda r: r["position"])]


@dataclass(slots=True)
class _Batch:
    files: list[SourceFile]
    work: Future[list[PreparedFile]] | list[PreparedFile]
    context: PrepContext


def bulk_import(engine: Engine, files: Iterable[tuple[str, bytes]], options: BulkOptions,
                emit: Callable[[ItemOutcome], None]) -> None:
    """Import every study of these registry files; `emit` gets each outcome, in file order.

    A file that cannot be read ends the stream: every file read before it is still
    written and reported, then the RecordError is raised.
    """
    with fewer_collections():
        _bulk_import(engine, files, options, emit)


def _bulk_import(engine: Engine, files: Iterable[tuple[str, bytes]], options: BulkOptions,
                 emit: Callable[[ItemOutcome], None]) -> None:
    from evidence.curation import Actor, current_curator

    who = options.actor or Actor(current_curator())
    jobs = default_jobs() if options.jobs is None else options.jobs
    pool: Pool | None = None
    pending: deque[_Batch] = deque()
    batches = enumerate(_batches(files))
    stream_error: RecordError | None = None
    finished = False
    try:
        while True:
            try:
                number, raw_batch = next(batches)
            except StopIteration:
                break
            except RecordError as exc:
                stream_error = exc
                break
            context = PrepContext(dt.datetime.now(dt.UTC), who.curator, who.command,
                                  options.actor.curator if options.actor else None)
            start = time.perf_counter()
            batch = _with_digests(engine, options, raw_batch)
            _clock(options.timings, "digests", start)
            todo = [(f.locator, f.data, f.digest) for f in batch if f.stored is None]
            if number == 0 and jobs > 0 and len(raw_batch) >= BATCH_FILES:
                pool = Pool(jobs)  # more to come: start the workers while this one maps
            # The first batch is mapped here: a small import never starts a worker.
            work: Future[list[PreparedFile]] | list[PreparedFile]
            if not todo:
                work = []
            elif number == 0 or jobs == 0:
                start = time.perf_counter()
                work = prepare_files(options.fmt, todo, context)
                _clock(options.timings, "map", start)
            else:
                pool = pool or Pool(jobs)
                work = pool.submit(options.fmt, todo, context)
            pending.append(_Batch(batch, work, context))
            # Keep the workers busy while this process writes: each has a batch queued
            # behind the one it maps, so none waits for the writer to hand out more.
            while len(pending) > LOOKAHEAD * max(jobs, 1) or (
                    pending and not isinstance(pending[0].work, Future)):
                _finish(engine, options, pending.popleft(), emit)
        while pending:
            _finish(engine, options, pending.popleft(), emit)
        finished = True
    finally:
        if pool is not None and finished:
            pool.close()
        elif pool is not None:  # Ctrl-C or an error: the batches still mapping are not wanted
            pool.stop()
    if stream_error is not None:
        raise stream_error


def _with_digests(engine: Engine, options: BulkOptions,
                  batch: list[tuple[str, bytes]]) -> list[SourceFile]:
    files = [SourceFile(locator, data, source_digest(options.fmt, data))
             for locator, data in batch]
    if not options.recheck:
        stored = _stored_digests(engine, [f.digest for f in files])
        for f in files:
            rows = stored.get(f.digest)
            f.stored = rows if complete(rows) else None
    return files


def _finish(engine: Engine, options: BulkOptions, batch: _Batch,
            emit: Callable[[ItemOutcome], None]) -> None:
    from evidence.bulkwrite import write_batch

    start = time.perf_counter()
    try:
        prepared = batch.work.result() if isinstance(batch.work, Future) else batch.work
    except Exception:  # a worker died (killed, out of memory): map this batch here instead
        prepared = prepare_files(options.fmt, [(f.locator, f.data, f.digest)
                                               for f in batch.files if f.stored is None],
                                 batch.context)
    _clock(options.timings, "wait", start)
    to_map = iter(prepared)
    for f in batch.files:
        if f.stored is None:
            f.prepared = next(to_map)
    start = time.perf_counter()
    # Ctrl-C (KeyboardInterrupt) in here rolls this batch back as any error does; the
    # batches committed before it stay committed, and their outcomes were emitted.
    outcomes = write_batch(engine, options.fmt, options.actor, batch.context, batch.files)
    _clock(options.timings, "write", start)
    for file_outcomes in outcomes:
        for outcome in file_outcomes:
            emit(outcome)
