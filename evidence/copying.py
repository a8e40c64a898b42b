"""Copy a whole evidence database to another engine (SQLite <-> PostgreSQL), verified.

Rows are copied table by table in foreign-key order, keeping their ids, inside one
transaction on the target; the target must be empty. Afterwards every table's row
count and a content checksum are compared, so a copy that lost or changed anything
fails loudly instead of being trusted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from evidence.errors import EvidenceError

BATCH = 5000


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows_source: int
    rows_target: int
    checksum_source: str
    checksum_target: str

    @property
    def ok(self) -> bool:
        return (self.rows_source, self.checksum_source) == (self.rows_target, self.checksum_target)


def _canonical(value: Any) -> Any:
    # The same row must hash the same on both engines: SQLite hands back naive
    # datetimes and 0/1, PostgreSQL aware datetimes and booleans.
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(0.0 if value == 0 else value)
    return value


def table_checksum(conn: Any, table: Any) -> tuple[int, str]:
    """(row count, SHA-256 over the rows in primary-key order, canonicalised)."""
    from sqlalchemy import select

    digest = hashlib.sha256()
    count = 0
    order = list(table.primary_key.columns)
    for row in conn.execute(select(table).order_by(*order)):
        values = [_canonical(v) for v in row]
        digest.update(orjson.dumps(values, option=orjson.OPT_SORT_KEYS))
        count += 1
    return count, digest.hexdigest()


def _reset_sequences(conn: Any, tables: list[Any]) -> None:
    from sqlalchemy import text

    for table in tables:
        if "id" in table.c and table.c.id.autoincrement and table.c.id.primary_key:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 1), "
                f"(SELECT MAX(id) FROM \"{table.name}\") IS NOT NULL)"))


def copy_database(source_url: str, target_url: str,
                  on_table: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy every table from source to an empty target at the same schema; verify it."""
    from sqlalchemy import func, insert, select
    from sqlalchemy.exc import DBAPIError

    from evidence.db import connect_checked, upgrade
    from evidence.models import metadata

    source = connect_checked(source_url)
    upgrade(target_url)
    target = connect_checked(target_url)
    tables = list(metadata.sorted_tables)
    report: list[TableCopy] = []
    try:
        # One snapshot of the source for copying and checksumming alike (SQLAlchemy begins
        # the source transaction at the first read; on SQLite that takes the write lock).
        src_options = ({"isolation_level": "REPEATABLE READ"}
                       if source.dialect.name == "postgresql" else {})
        with source.connect().execution_options(**src_options) as src, \
                target.begin() as dst:
            filled = [t.name for t in tables
                      if dst.execute(select(func.count()).select_from(t)).scalar_one()]
            if filled:
                example = "trial" if "trial" in filled else filled[0]
                raise EvidenceError(f"target database is not empty ({len(filled)} table(s) have "
                                    f"rows, e.g. {example}); copy into a new database")
            for table in tables:
                order = list(table.primary_key.columns)
                result = src.execution_options(yield_per=BATCH).execute(
                    select(table).order_by(*order))
                copied = 0
                for chunk in result.mappings().partitions(BATCH):
                    dst.execute(insert(table), [dict(r) for r in chunk])
                    copied += len(chunk)
                if on_table:
                    on_table(table.name, copied)
            if target.dialect.name == "postgresql":
                _reset_sequences(dst, tables)
            # Verified before the commit: a copy that does not match is rolled back.
            for table in tables:
                n_src, sum_src = table_checksum(src, table)
                n_dst, sum_dst = table_checksum(dst, table)
                report.append(TableCopy(table.name, n_src, n_dst, sum_src, sum_dst))
            bad = [t.table for t in report if not t.ok]
            if bad:
                raise EvidenceError(f"copy verification failed for table(s): {', '.join(bad)}; "
                                    "nothing was written")
    except DBAPIError as exc:
        raise EvidenceError(f"copy refused by a database: {' '.join(str(exc.orig).split())}; "
                            "nothing was written") from None
    finally:
        source.dispose()
        target.dispose()
    return report
