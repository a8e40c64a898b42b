"""The migration chain: one head, up and down, no drift from the models, data survives."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from evidence.crud import save_record
from evidence.db import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from evidence.models import metadata
from evidence.reader import RawDB, load_record
from evidence.recordio import bundled_seed_path
from evidence.recordio import load_record as load_file


def _script(url: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(url))


def _table_names(url: str) -> set[str]:
    """Tables of the database, less alembic's and the search index's (no model for those)."""
    from evidence.search_index import is_index_table

    engine = make_engine(url)
    names = {n for n in inspect(engine).get_table_names()
             if n != "alembic_version" and not is_index_table(n)}
    engine.dispose()
    return names


def test_single_head(db_url: str) -> None:
    assert len(_script(db_url).get_heads()) == 1


def test_upgrade_creates_exactly_the_models_tables(db_url: str) -> None:
    assert _table_names(db_url) == set(metadata.tables)


def test_no_drift_between_models_and_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    from evidence.search_index import is_index_table

    def include(_obj: object, name: str | None, type_: str, reflected: bool,
                compare_to: object) -> bool:
        return not (type_ == "table" and reflected and compare_to is None
                    and name is not None and is_index_table(name))

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_back(db_url: str) -> None:
    downgrade(db_url, "base")
    assert _table_names(db_url) == set()
    upgrade(db_url)
    assert _table_names(db_url) == set(metadata.tables)
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision(db_url)
    engine.dispose()


def _snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for name in sorted(metadata.tables):
            if name in inspect(conn).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).mappings()
                out[name] = sorted((dict(r) for r in rows), key=repr)
    engine.dispose()
    return out


def _common_columns(older: list[dict[str, Any]], newer: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """The newer rows cut to the older schema's columns (a downgrade drops added columns)."""
    keep = set(older[0]) if older else set()
    return [{k: v for k, v in row.items() if k in keep} for row in newer]


def test_seed_rows_survive_every_downgrade_and_upgrade_step(db_url: str) -> None:
    """Walk down the chain to the first revision and back up; the seed stays intact."""
    engine = make_engine(db_url)
    record = load_file(bundled_seed_path())
    with engine.begin() as conn:
        trial_id = save_record(conn=conn, record=record).trial_id
    engine.dispose()
    before = _snapshot(db_url)
    revisions = [r.revision for r in _script(db_url).walk_revisions()]  # head first
    for older in revisions[1:]:
        downgrade(db_url, older)
        snap = _snapshot(db_url)
        for table in ("trial", "arm", "result", "provenance"):
            assert len(snap[table]) == len(before[table])
            assert snap[table] == _common_columns(snap[table], before[table]), (older, table)
    oldest = set(_snapshot(db_url))  # tables of the first revision: their rows must survive
    upgrade(db_url)
    after = _snapshot(db_url)
    assert {k: after[k] for k in oldest} == {k: before[k] for k in oldest}
    with RawDB(db_url) as db:
        assert load_record(db, trial_id) == record
