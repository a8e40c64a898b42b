"""Records in and out of the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, text

from evidence import models as m
from evidence.crud import save_record
from evidence.errors import NotFound
from evidence.importing import import_paths
from evidence.reader import RawDB, load_record, resolve_trial_id, trial_meta
from evidence.recordio import bundled_seed_path
from evidence.recordio import load_record as load_file
from tests.conftest import SEED_RECORD


def _counts(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in m.metadata.sorted_tables}


def test_seed_round_trips_exactly(engine: Any, db_url: str) -> None:
    record = load_file(bundled_seed_path())
    with engine.begin() as conn:
        outcome = save_record(conn=conn, record=record)
    assert outcome.action == "created"
    with RawDB(db_url) as db:
        for ident in ("NCT02465580", "nct02932137", "10.1136/ANNRHEUMDIS-2019-215396",
                      "doi:10.1136/annrheumdis-2019-215396", str(outcome.trial_id)):
            assert resolve_trial_id(db, ident) == outcome.trial_id
        assert load_record(db, outcome.trial_id) == record
        assert trial_meta(db, outcome.trial_id)["version"] == 1
    counts = _counts(engine)
    assert {k: counts[k] for k in ("trial", "registration", "arm", "arm_count", "intervention",
                                   "regimen", "endpoint", "timepoint", "result", "comparison",
                                   "comparison_arm", "adverse_event", "source", "population")} == {
        "trial": 1, "registration": 2, "arm": 2, "arm_count": 2, "intervention": 2,
        "regimen": 2, "endpoint": 2, "timepoint": 2, "result": 6, "comparison": 3,
        "comparison_arm": 6, "adverse_event": 2, "source": 2, "population": 1}
    # Row-level provenance for every entity plus each field override in the seed.
    assert counts["provenance"] == 42


def test_reimport_is_unchanged_and_edit_updates_in_place(engine: Any, db_url: str,
                                                         tmp_path: Path) -> None:
    first = import_paths(engine, [SEED_RECORD])
    again = import_paths(engine, [SEED_RECORD])
    assert [i.outcome for i in first.items + again.items] == ["created", "unchanged"]
    before = _counts(engine)
    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data["registrations"] = [{"identifier": "NCT02932137"}]  # keyed by the second ID alone
    data["comparisons"][0]["p_reported"] = "p = 0.052"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = import_paths(engine, [edited])
    assert [(i.outcome, i.trial_id) for i in report.items] == [("updated", first.items[0].trial_id)]
    after = _counts(engine)
    assert after["trial"] == 1 and after["registration"] == before["registration"] - 1
    with RawDB(db_url) as db:
        trial_id = resolve_trial_id(db, "NCT02932137")
        assert load_record(db, trial_id).comparisons[0].p_reported == "p = 0.052"
        assert trial_meta(db, trial_id)["version"] == 2
        with pytest.raises(NotFound):
            resolve_trial_id(db, "NCT02465580")


def test_failed_file_writes_nothing_and_others_go_on(engine: Any, tmp_path: Path) -> None:
    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data["results"][0]["events"] = 30  # more than n=29
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = import_paths(engine, [bad, SEED_RECORD, tmp_path / "missing.yaml"])
    assert [i.outcome for i in report.items] == ["failed", "created", "failed"]
    assert report.items[0].message == (
        f"{bad}: NCT02465580: results[0].events: 30 events is more than n=29")
    assert report.summary() == "3 item(s): 1 created, 0 updated, 0 unchanged, 2 failed"
    assert _counts(engine)["trial"] == 1


def test_failure_mid_record_rolls_back_the_whole_record(engine: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that fails halfway through its inserts leaves no partial rows behind."""
    from sqlalchemy.exc import IntegrityError

    import evidence.rowwrite

    real_insert = evidence.rowwrite._insert
    written = []

    def fail_at_intervention(conn: Any, shape: Any, rows: Any) -> None:
        # The trial, its registrations, sources, arms ... are already in when this fails.
        if shape.name == "intervention":
            raise IntegrityError("INSERT INTO intervention ...", {}, Exception("simulated"))
        written.append(shape.name)
        real_insert(conn, shape, rows)

    monkeypatch.setattr(evidence.rowwrite, "_insert", fail_at_intervention)
    report = import_paths(engine, [SEED_RECORD])
    assert [i.outcome for i in report.items] == ["failed"]
    assert report.items[0].message == (
        f"{SEED_RECORD}: refused by the database: simulated")
    assert {"trial", "registration", "arm"} <= set(written)
    assert set(_counts(engine).values()) == {0}


def test_dry_run_writes_nothing(engine: Any) -> None:
    report = import_paths(engine, [SEED_RECORD], dry_run=True)
    assert [i.outcome for i in report.items] == ["created"]
    assert _counts(engine)["trial"] == 0


def test_registration_ids_are_unique_across_the_database(engine: Any) -> None:
    record = load_file(bundled_seed_path())
    with engine.begin() as conn:
        save_record(conn=conn, record=record)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT identifier, registry, known_registry FROM registration "
                                 "ORDER BY position")).all()
    assert [tuple(r) for r in rows] == [("NCT02465580", "ctgov", True),
                                        ("NCT02932137", "ctgov", True)]


def test_a_record_reads_back_inside_the_writing_transaction(engine: Any) -> None:
    """load_record sends its SELECTs together (a pipeline on PostgreSQL), also mid-transaction."""
    record = load_file(bundled_seed_path())
    with engine.begin() as conn:
        outcome = save_record(conn=conn, record=record)
        db = RawDB.inside(conn)
        assert load_record(db, outcome.trial_id) == record
        # The connection is still usable for the transaction afterwards.
        assert conn.execute(text("SELECT COUNT(*) FROM trial")).scalar_one() == 1
        with pytest.raises(NotFound):
            load_record(db, outcome.trial_id + 1)


def test_many_gives_each_statement_its_rows(engine: Any, db_url: str) -> None:
    with engine.begin() as conn:
        trial_id = save_record(conn=conn, record=load_file(bundled_seed_path())).trial_id
    statements = ["SELECT identifier FROM registration WHERE trial_id = :t ORDER BY position",
                  "SELECT key FROM arm WHERE trial_id = :t AND key = 'none' ORDER BY position",
                  "SELECT key FROM arm WHERE trial_id = :t ORDER BY position"]
    with RawDB(db_url) as db:
        assert db.many(statements, t=trial_id) == [
            [{"identifier": "NCT02465580"}, {"identifier": "NCT02932137"}],
            [],
            [{"key": "il2"}, {"key": "placebo"}]]
        assert db.many(statements[:1], t=trial_id) == [db.all(statements[0], t=trial_id)]
