"""Alembic environment: our models' metadata, our database URL, SQLite batch mode."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import evidence.models  # noqa: F401  (registers every table on the metadata)
from evidence.config import database_url, is_sqlite
from evidence.db import make_engine
from evidence.models import metadata

config = context.config


def include_object(_obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    """Leave out what no model describes: the search index (raw SQL in 0003, FTS5 on SQLite)."""
    from evidence.search_index import is_index_table

    return not (type_ == "table" and reflected and compare_to is None
                and name is not None and is_index_table(name))
url = config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=is_sqlite(url), include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Trap: a batch "move and copy" of a parent table under foreign_keys=ON
        # deletes its children. Switch enforcement off outside the transaction,
        # check integrity ourselves afterwards, and switch it back on.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=sqlite, compare_type=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")


def run_migrations_online() -> None:
    # pytest-alembic and tests may hand us a Connection already.
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
