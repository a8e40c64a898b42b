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
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def test_single_head(db_url: str) -> None:
    assert len(_script(db_url).get_heads()) == 1


def test_upgrade_creates_exactly_the_models_tables(db_url: str) -> None:
    assert _table_names(db_url) == set(metadata.tables)


def test_no_drift_between_models_and_migrations(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
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


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for name in sorted(metadata.tables):
            if name in inspect(conn).get_table_names():
                out[name] = sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{name}"'))),
                                   key=repr)
    engine.dispose()
    return out


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
        assert {k: snap[k] for k in ("trial", "arm", "result", "provenance")} == {
            k: before[k] for k in ("trial", "arm", "result", "provenance")}
    upgrade(db_url)
    assert _snapshot(db_url) == before
    with RawDB(db_url) as db:
        assert load_record(db, trial_id) == record
