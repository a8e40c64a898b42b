"""Shared helpers of the benchmarks: corpora, scratch databases, percentiles, tables."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PG_SERVER = os.environ.get("EVIDENCE_BENCH_PG",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def peak_rss_mb() -> float:
    """This process' peak resident memory so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """The largest peak resident memory of any finished child process (workers), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def ensure_corpus(studies: int, corpus: Path | None, workdir: Path, seed: int = 1) -> Path:
    """The given corpus, or a fresh synthetic one of `studies` studies in workdir."""
    if corpus is not None:
        return corpus
    from bench.make_corpus import write_corpus

    out = workdir / f"corpus-{studies}-{seed}"
    write_corpus(studies, seed, out)
    return out


@contextlib.contextmanager
def workdir(keep: Path | None = None) -> Iterator[Path]:
    """A scratch folder, removed afterwards unless the caller named one."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="evidence-bench-") as tmp:
        yield Path(tmp)


def _pg_admin_conninfo(server: str) -> str:
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", server)


def pg_url(server: str, name: str) -> str:
    """The URL of database `name` on the server of `server`."""
    return re.sub(r"/[^/]*$", f"/{name}", server)


@contextlib.contextmanager
def pg_database(name: str, server: str = PG_SERVER) -> Iterator[str]:
    """A scratch PostgreSQL database (dropped first if left over, dropped after)."""
    import psycopg

    with psycopg.connect(_pg_admin_conninfo(server), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(server, name)
    finally:
        with psycopg.connect(_pg_admin_conninfo(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def remove_sqlite(path: Path) -> None:
    """A SQLite database file and its WAL and shared-memory files, if there."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def database_bytes(url: str) -> int:
    """Bytes on disk of a database: the SQLite file after a WAL checkpoint, or pg_database_size."""
    from evidence.config import is_sqlite, sqlite_path

    if is_sqlite(url):
        import sqlite3

        path = sqlite_path(url)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = Path(path + "-wal")
        return Path(path).stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    import psycopg

    with psycopg.connect(_pg_admin_conninfo(url)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile by nearest rank (no interpolation between samples)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain aligned text table."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
