"""Re-imports and cross-registry linking through the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from evidence import models as m
from evidence.importing import import_paths
from evidence.models import table_of
from evidence.reader import RawDB, load_record, resolve_trial_id
from evidence.recordio import bundled_seed_path
from evidence.recordio import load_record as load_file
from tests.conftest import FIXTURES, SEED_RECORD, SEED_TEXT

PALLAS_JSON = FIXTURES / "ctgov" / "NCT02513394.json"
PALLAS_XML = FIXTURES / "ctgov-xml" / "NCT02513394.xml"


def _trials(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(m.Trial))).scalar_one())


def test_abstract_draft_over_curated_seed_keeps_the_curated_record(engine: Any,
                                                                   db_url: str) -> None:
    import_paths(engine, [SEED_RECORD])
    report = import_paths(engine, [SEED_TEXT])
    item = report.items[0]
    assert (item.outcome, item.changes) == ("unchanged", [])
    assert any("kept stored value for interventions[il2].name.en" in n for n in item.notes)
    with RawDB(db_url) as db:
        assert load_record(db, resolve_trial_id(db, "NCT02465580")) == load_file(
            bundled_seed_path())


def test_older_registry_version_never_overwrites_a_newer_one(engine: Any, db_url: str) -> None:
    first = import_paths(engine, [PALLAS_JSON]).items[0]
    older = import_paths(engine, [PALLAS_XML]).items[0]
    assert (older.outcome, older.notes[-1]) == (
        "unchanged", "skipped: incoming ctgov version 2020-08-18 is older than stored 2023-10-06")
    assert older.trial_id == first.trial_id


def test_newer_registry_version_updates_and_reports_what_changed(engine: Any,
                                                                 db_url: str) -> None:
    import_paths(engine, [PALLAS_XML])
    newer = import_paths(engine, [PALLAS_JSON]).items[0]
    assert newer.outcome == "updated"
    assert "results: + 10 (from ctgov)" in newer.changes
    assert "adverse_events: + 4058 (from ctgov)" in newer.changes
    with RawDB(db_url) as db:
        stored = load_record(db, resolve_trial_id(db, "NCT02513394"))
    assert len(stored.adverse_events) == 4058 and len(stored.comparisons) == 5
    again = import_paths(engine, [PALLAS_JSON]).items[0]
    assert (again.outcome, again.changes) == ("unchanged", [])
    assert _trials(engine) == 1


def _variant(tmp_path: Path, name: str, identifiers: list[str]) -> Path:
    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["registrations"] = [{"identifier": i} for i in identifiers]
    data["publications"] = []
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_record_listing_two_ids_bridges_two_stored_trials(engine: Any, db_url: str,
                                                            tmp_path: Path) -> None:
    report = import_paths(engine, [_variant(tmp_path, "a.yaml", ["NCT02465580"]),
                                   _variant(tmp_path, "b.yaml", ["NCT02932137"])])
    assert [i.outcome for i in report.items] == ["created", "created"]
    assert _trials(engine) == 2
    bridge = import_paths(engine, [_variant(tmp_path, "ab.yaml", ["NCT02465580",
                                                                  "NCT02932137"])]).items[0]
    assert bridge.outcome == "updated"
    assert bridge.notes == [f"trial #{report.items[1].trial_id} shares an identifier with "
                            f"#{report.items[0].trial_id}; merged into it",
                            "the record file replaces the bridged trials' content",
                            "status reviewed -> draft: the content changed after review"]
    assert _trials(engine) == 1
    with RawDB(db_url) as db:
        assert resolve_trial_id(db, "NCT02932137") == resolve_trial_id(db, "NCT02465580")


def test_dry_run_reports_changes_and_writes_nothing(engine: Any) -> None:
    import_paths(engine, [PALLAS_XML])
    dry = import_paths(engine, [PALLAS_JSON], dry_run=True).items[0]
    assert dry.outcome == "updated" and "results: + 10 (from ctgov)" in dry.changes
    real = import_paths(engine, [PALLAS_JSON]).items[0]
    assert real.outcome == "updated"  # the dry run left the XML version in place


def test_negative_zero_does_not_make_an_equal_record_look_changed(engine: Any,
                                                                  tmp_path: Path) -> None:
    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data["comparisons"][0]["effect_value"] = -0.0
    path = tmp_path / "zero.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert [i.outcome for i in import_paths(engine, [path]).items] == ["created"]
    assert [i.outcome for i in import_paths(engine, [path]).items] == ["unchanged"]
