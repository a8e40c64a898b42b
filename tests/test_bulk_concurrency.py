"""The bulk import beside other writers and under Ctrl-C: nothing stale, nothing half done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from evidence.importing import ImportReport, import_paths
from tests.conftest import FIXTURES, ROOT

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


BATCH = 10  # files per batch in the interrupted import: 5 batches of the 50 studies


def _stalled(*args: Any) -> Any:
    """A worker's batch that is still being mapped when Ctrl-C comes."""
    from evidence.bulkprep import prepare_files

    time.sleep(2 * HANG_GUARD)
    return prepare_files(*args)


def interrupted_import(url: str, folder: str, how: str) -> None:
    """Run in its own process group: Ctrl-C while batch 3 is written, batches 4 and 5 mapping.

    `how`: "terminal" sends SIGINT to the whole group, as a terminal does; "writer"
    raises KeyboardInterrupt in the writer alone, as `kill -INT <pid>` or a caller's
    on_item callback would: the workers never see it.
    Prints the outcomes reported and the worker processes still alive, as JSON.
    """
    import multiprocessing

    import evidence.bulkimport
    import evidence.bulkpool
    import evidence.bulkwrite
    from evidence.db import make_engine

    evidence.bulkimport.BATCH_FILES = BATCH
    real_submit = evidence.bulkpool.Pool.submit
    submitted: list[int] = []

    def submit(self: Any, fmt: str, files: Any, context: Any) -> Any:
        submitted.append(len(files))
        if len(submitted) <= 2:  # batches 2 and 3 (batch 1 is mapped by the writer)
            return real_submit(self, fmt, files, context)
        return self.executor.submit(_stalled, fmt, files, context)

    real_record = evidence.bulkwrite.BatchWriter._record_digests
    batches: list[int] = []

    def record_digests(self: Any, files: Any, out: Any) -> None:
        batches.append(len(files))
        if len(batches) == 3 and how == "writer":  # batch 3's trials are in, uncommitted
            raise KeyboardInterrupt
        if len(batches) == 3:
            os.killpg(0, signal.SIGINT)
            time.sleep(2 * HANG_GUARD)  # the signal's KeyboardInterrupt ends this sleep
        real_record(self, files, out)

    evidence.bulkpool.Pool.submit = submit  # type: ignore[method-assign]
    evidence.bulkwrite.BatchWriter._record_digests = record_digests  # type: ignore[method-assign]
    engine = make_engine(url)
    emitted: list[tuple[str, int | None]] = []
    try:
        import_paths(engine, [Path(folder)], jobs=2,
                     on_item=lambda o: emitted.append((o.outcome, o.trial_id)))
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("not interrupted")
    for child in multiprocessing.active_children():
        child.join(5)
    print(orjson.dumps({"emitted": emitted, "submitted": submitted,
                        "alive": [c.name for c in multiprocessing.active_children()]}).decode())


@pytest.mark.parametrize("how", ["terminal", "writer"])
def test_ctrl_c_ends_the_workers_at_once_and_keeps_only_the_committed_batches(
        engine: Any, db_url: str, tmp_path: Path, how: str) -> None:
    from bench.make_corpus import write_corpus

    folder = tmp_path / "corpus"
    write_corpus(5 * BATCH, 1, folder)
    run = subprocess.Popen(
        [sys.executable, "-c", "from tests.test_bulk_concurrency import interrupted_import; "
                               f"interrupted_import({db_url!r}, {str(folder)!r}, {how!r})"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        out, err = run.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
        pytest.fail("the interrupted import did not end (or its interpreter did not exit)")
    assert run.returncode == 0, err
    assert "Traceback" not in err  # no worker printed its own KeyboardInterrupt
    result = orjson.loads(out)
    assert result["submitted"] == [BATCH] * 4  # batches 2 to 5 went to the workers
    assert result["alive"] == []
    assert [outcome for outcome, _ in result["emitted"]] == ["created"] * 2 * BATCH
    with engine.connect() as conn:  # batches 1 and 2; nothing of batch 3
        trials = conn.execute(text("SELECT id FROM trial ORDER BY id")).scalars().all()
        digests = conn.execute(text("SELECT COUNT(*) FROM source_digest")).scalar_one()
    assert trials == sorted(trial for _, trial in result["emitted"])
    assert digests == 2 * BATCH
