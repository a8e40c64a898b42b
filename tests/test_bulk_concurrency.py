"""The bulk import beside other writers: no digest outlives another writer's change."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from evidence.importing import ImportReport, import_paths
from tests.conftest import FIXTURES

STUDY = FIXTURES / "ctgov" / "NCT02210780.json"
HANG_GUARD = 60  # seconds: only to fail instead of hanging; nothing here is timed


def _digests(engine: Any, trial_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM source_digest WHERE trial_id = :t"),
                                {"t": trial_id}).scalar_one())


def _skipped(item: Any) -> bool:
    return any("source digest" in note for note in item.notes)


def _wait_until_waiting_for_a_lock(engine: Any, thread: threading.Thread) -> None:
    """Until a session of this database waits for a row lock, or the thread has finished."""
    deadline = time.monotonic() + HANG_GUARD
    with engine.connect() as conn:
        while thread.is_alive():
            waiting = conn.execute(text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one()
            conn.rollback()
            if waiting:
                return
            assert time.monotonic() < deadline, "the import neither finished nor waited"
            time.sleep(0.05)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_digest_is_not_recorded_for_a_trial_another_writer_is_changing(engine: Any) -> None:
    from evidence.crud import save_record
    from evidence.curation import Actor
    from evidence.reader import RawDB, load_record

    trial_id = import_paths(engine, [STUDY]).items[0].trial_id
    assert trial_id is not None
    # Alone, a file found unchanged through the one-record save gets its digest again.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM source_digest"))
    alone = import_paths(engine, [STUDY])
    assert [(i.outcome, _skipped(i)) for i in alone.items] == [("unchanged", False)]
    assert _digests(engine, trial_id) == 1

    # A curator's edit (writer B) holds its transaction open while the import (A) maps
    # the file again; A still reads the trial as it was, so finds it unchanged.
    reports: list[ImportReport] = []
    importer = threading.Thread(
        target=lambda: reports.append(import_paths(engine, [STUDY], recheck=True)))
    with engine.connect() as curator:
        edit = curator.begin()
        record = load_record(RawDB.inside(curator), trial_id)
        edited = record.model_copy(update={"trial": record.trial.model_copy(
            update={"acronym": "EDITED"})})
        assert save_record(conn=curator, record=edited, actor=Actor("ann")).action == "updated"
        importer.start()
        _wait_until_waiting_for_a_lock(engine, importer)
        edit.commit()
    importer.join(HANG_GUARD)
    assert not importer.is_alive()
    assert [i.outcome for i in reports[0].items] == ["unchanged"]
    assert _digests(engine, trial_id) == 0  # the file no longer gives the trial as stored
    with engine.connect() as conn:
        assert conn.execute(text("SELECT acronym, version FROM trial WHERE id = :t"),
                            {"t": trial_id}).one() == ("EDITED", 2)
