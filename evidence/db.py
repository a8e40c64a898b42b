"""Engines, connections and schema upgrades for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evidence.config import is_sqlite, migrations_dir
from evidence.errors import EvidenceError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class DatabaseError(EvidenceError):
    """The database cannot be reached or is not at the expected schema version."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer writes; the busy timeout makes a
    # second writer wait instead of failing at once with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction starts (see _begin_immediate).
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    # A deferred SQLite transaction that reads and then writes can fail at once with
    # "database is locked" when another writer got there first, without waiting for
    # busy_timeout. Taking the write lock at BEGIN makes a second writer wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine with our SQLite pragmas and write locking, or a plain PostgreSQL one."""
    from sqlalchemy import create_engine, event

    if is_sqlite(url):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Any:
    """An Alembic Config that needs no alembic.ini: our URL and migrations folder."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database schema."""
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    try:
        command.upgrade(alembic_config(url), revision)
    except CommandError as exc:
        raise DatabaseError(f"cannot migrate {safe_url(url)}: {exc}") from None
    except DBAPIError as exc:
        raise DatabaseError(f"cannot open database {safe_url(url)}: "
                            f"{' '.join(str(exc.orig).split())}") from None


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def connect_checked(url: str) -> Engine:
    """An engine for a database that is reachable and at the latest migration.

    A SQLite file that does not exist is an error, not silently created (a typo in
    --db must not leave an empty file behind).
    """
    from pathlib import Path

    from sqlalchemy.exc import DBAPIError

    from evidence.config import sqlite_path

    if is_sqlite(url) and sqlite_path(url) != ":memory:" and not Path(sqlite_path(url)).is_file():
        raise DatabaseError(f"no database at {sqlite_path(url)}: run `evidence init` first")
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database {safe_url(url)}: "
                            f"{' '.join(str(exc.orig).split())}") from None
    head = head_revision(url)
    if current != head:
        state = "is empty" if current is None else f"is at revision {current}"
        raise DatabaseError(
            f"database {safe_url(url)} {state}, not {head}: run `evidence init` first"
        )
    return engine


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
