"""The bulk registry import writes what the one-by-one import writes, faster, and fails alone."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from evidence import models as m
from evidence.importing import ImportOptions, _save_item, import_paths, iter_items
from tests.conftest import FIXTURES, SEED_RECORD

CTGOV = FIXTURES / "ctgov"
CTGOV_XML = FIXTURES / "ctgov-xml"
STAMPS = {"created_at", "updated_at", "at", "checked_at", "imported_at", "command"}


def _dump(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table and of the search index, ids kept, timestamps blanked."""
    out = {}
    with engine.connect() as conn:
        for table in [*(t.name for t in m.metadata.sorted_tables), "search_index"]:
            if table == "source_digest":
                continue  # only the bulk path records digests
            columns, order = "*", "id"
            if table == "search_index" and engine.dialect.name == "sqlite":
                columns, order = "rowid, trial_id, kind, lang, body", "rowid"
            elif table in m.metadata.tables:
                order = ", ".join(c.name for c in m.metadata.tables[table].primary_key)
            rows = conn.execute(text(f'SELECT {columns} FROM "{table}" ORDER BY {order}'))
            out[table] = [{k: v for k, v in r.items() if k not in STAMPS}
                          for r in rows.mappings()]
    return out


def _empty(engine: Any) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for table in reversed(m.metadata.sorted_tables):
                conn.execute(text(f'DELETE FROM "{table.name}"'))
        else:
            names = ", ".join(f'"{t.name}"' for t in m.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _one_by_one(engine: Any, paths: list[Path], fmt: str) -> list[str]:
    outcomes = []
    for path in paths:
        for item in iter_items(path, fmt):
            outcomes.append(_save_item(engine, item, ImportOptions(), merge=True).outcome)
    return outcomes


def test_bulk_import_writes_exactly_the_rows_of_the_one_by_one_import(engine: Any) -> None:
    # JSON then XML: NCT02513394 is in both, so the XML merges into a stored trial.
    one = _one_by_one(engine, [CTGOV], "ctgov") + _one_by_one(engine, [CTGOV_XML], "ctgov-xml")
    expected = _dump(engine)
    _empty(engine)
    bulk = [i.outcome for i in import_paths(engine, [CTGOV, CTGOV_XML]).items]
    assert bulk == one == ["created"] * 8 + ["created", "created", "unchanged"]
    assert _dump(engine) == expected
    assert sum(len(rows) for rows in expected.values()) > 10_000  # the comparison saw rows


def test_a_second_import_of_unchanged_files_skips_them_without_parsing(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = import_paths(engine, [CTGOV])
    import evidence.bulkprep

    def no_parsing(*_args: Any) -> None:
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr(evidence.bulkprep, "prepare_files", no_parsing)
    monkeypatch.setattr("evidence.bulkimport.prepare_files", no_parsing)
    again = import_paths(engine, [CTGOV])
    assert [i.outcome for i in again.items] == ["unchanged"] * 8
    assert [(i.label, i.trial_id) for i in again.items] == \
        [(i.label, i.trial_id) for i in first.items]
    assert again.items[0].notes == ["same file as already imported (source digest); not parsed"]


def test_a_trial_changed_since_is_parsed_again_and_a_deleted_one_comes_back(
        engine: Any, tmp_path: Path) -> None:
    from evidence.curation import Actor, delete_trial

    folder = tmp_path / "studies"
    folder.mkdir()
    for name in ("NCT02210780.json", "NCT03418623.json"):
        shutil.copy(CTGOV / name, folder / name)
    import_paths(engine, [folder])
    with engine.begin() as conn:  # a curator's edit of one trial drops its digest
        edited = conn.execute(text("SELECT trial_id FROM registration "
                                   "WHERE identifier = 'NCT02210780'")).scalar_one()
        conn.execute(text("DELETE FROM source_digest WHERE trial_id = :t"), {"t": edited})
    again = import_paths(engine, [folder])
    assert [(i.label, i.outcome, _skipped(i)) for i in again.items] == [
        ("NCT02210780", "unchanged", False), ("NCT03418623", "unchanged", True)]
    deleted = again.items[1].trial_id
    assert deleted is not None
    with engine.begin() as conn:
        delete_trial(conn=conn, trial_id=deleted, actor=Actor("ann"), reason="test")
    third = import_paths(engine, [folder])
    assert [(i.label, i.outcome) for i in third.items] == [
        ("NCT02210780", "unchanged"), ("NCT03418623", "created")]


def _skipped(item: Any) -> bool:
    return any("source digest" in note for note in item.notes)


def test_the_digest_covers_bytes_format_and_mapping_version() -> None:
    from evidence.bulkprep import mapping_version, source_digest

    data = (CTGOV / "NCT02210780.json").read_bytes()
    assert source_digest("ctgov", data) == source_digest("ctgov", bytes(data))
    assert source_digest("ctgov", data) != source_digest("ctgov-xml", data)
    assert source_digest("ctgov", data) != source_digest("ctgov", data + b"\n")
    assert len(mapping_version()) == 64


def test_a_study_the_database_refuses_fails_alone_and_the_batch_goes_in(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    import evidence.rowwrite

    real_insert = evidence.rowwrite._insert
    batches = []

    def refuse_one(conn: Any, shape: Any, rows: Any) -> None:
        if shape.name == "registration":
            batches.append(len({row[1] for row in rows}))  # trials in this insert
            if any(value == "NCT03418623" for row in rows for value in row):
                raise IntegrityError("INSERT INTO registration ...", {}, Exception("refused"))
        real_insert(conn, shape, rows)

    monkeypatch.setattr(evidence.rowwrite, "_insert", refuse_one)
    report = import_paths(engine, [CTGOV])
    assert [(Path(i.locator).stem, i.outcome) for i in report.items] == [
        ("NCT00763412", "created"), ("NCT02210780", "created"), ("NCT02513394", "created"),
        ("NCT02552212", "created"), ("NCT03418623", "failed"), ("NCT03630471", "created"),
        ("NCT04267848", "created"), ("NCT05594173", "created")]
    failed = report.items[4]
    assert failed.message == f"{CTGOV / 'NCT03418623.json'}: refused by the database: refused"
    assert batches[0] == 8  # tried together first, then one by one
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM trial")).scalar_one() == 7
        assert conn.execute(text("SELECT COUNT(*) FROM registration WHERE identifier = "
                                 "'NCT03418623'")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM source_digest")).scalar_one() == 7


def test_bad_files_and_duplicates_in_one_batch(engine: Any, tmp_path: Path) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    shutil.copy(CTGOV / "NCT02210780.json", folder / "a.json")
    (folder / "b.json").write_bytes(b'{"protocolSection": {"identificationModule": ')
    shutil.copy(CTGOV / "NCT02210780.json", folder / "c.json")  # the same study again
    study = orjson.loads((CTGOV / "NCT03418623.json").read_bytes())
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = True
    (folder / "d.json").write_bytes(orjson.dumps(study))
    report = import_paths(engine, [folder], fmt="ctgov")
    assert [(Path(i.locator).name, i.outcome) for i in report.items] == [
        ("a.json", "created"), ("b.json", "failed"), ("c.json", "unchanged"),
        ("d.json", "failed")]
    assert report.items[1].message.endswith(
        "b.json: JSON ends early (truncated file?): unexpected end of data at line 1, "
        "column 46")
    assert "enrollmentInfo.count" in report.items[3].message
    assert report.items[0].trial_id == report.items[2].trial_id


def test_worker_processes_give_the_same_outcomes_as_mapping_in_process(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import evidence.bulkimport

    monkeypatch.setattr(evidence.bulkimport, "BATCH_FILES", 3)  # 8 files: batches of 3, 3, 2
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    report = import_paths(engine, [CTGOV], jobs=1)
    # The writer collects cycles seldom during the import only (bulkpool.fewer_collections).
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)
    assert [i.outcome for i in report.items] == ["created"] * 8
    assert [i.trial_id for i in report.items] == list(range(1, 9))
    again = import_paths(engine, [CTGOV], jobs=1, recheck=True)
    assert [i.outcome for i in again.items] == ["unchanged"] * 8
    assert not any(_skipped(i) for i in again.items)


def test_a_record_file_after_a_registry_import_still_merges(engine: Any) -> None:
    # The seed record lists NCT02465580; the bulk path leaves other formats to crud.
    import_paths(engine, [CTGOV])
    report = import_paths(engine, [SEED_RECORD])
    assert [i.outcome for i in report.items] == ["created"]


def test_the_report_keeps_counts_and_failures_past_its_limit(engine: Any, tmp_path: Path) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    for path in sorted(CTGOV.glob("*.json")):
        shutil.copy(path, folder / path.name)
    (folder / "zz.json").write_text("[1]", encoding="utf-8")
    report = import_paths(engine, [folder], fmt="ctgov", keep=3)
    assert report.summary() == "9 item(s): 8 created, 0 updated, 0 unchanged, 1 failed"
    assert [i.outcome for i in report.items] == ["created"] * 3 + ["failed"]
    assert report.omitted == 5


def test_a_folders_format_is_decided_by_its_first_files_and_a_stray_file_fails_alone(
        engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import evidence.importers.sources

    monkeypatch.setattr(evidence.importers.sources, "SNIFF_FILES", 2)
    folder = tmp_path / "studies"
    folder.mkdir()
    for name in ("NCT02210780.json", "NCT03418623.json"):
        shutil.copy(CTGOV / name, folder / name)
    shutil.copy(FIXTURES / "pubmed" / "pubmed-29768149.xml", folder / "z-article.xml")
    report = import_paths(engine, [folder])
    assert [(Path(i.locator).name, i.outcome) for i in report.items] == [
        ("NCT02210780.json", "created"), ("NCT03418623.json", "created"),
        ("z-article.xml", "failed")]
    assert report.items[2].message.startswith(f"{folder / 'z-article.xml'}: malformed JSON")


def test_a_damaged_zip_member_ends_the_stream_after_the_files_before_it_are_written(
        engine: Any, tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for name in ("NCT02210780.json", "NCT03418623.json", "NCT05594173.json"):
            zf.writestr(name, (CTGOV / name).read_bytes())
    data = bytearray(archive.read_bytes())
    last = data.rfind(b'"nctId"')  # inside the third member's stored bytes
    data[last + 1] ^= 0x20  # "nctId" -> "NctId": its CRC no longer matches
    archive.write_bytes(bytes(data))
    report = import_paths(engine, [archive], fmt="ctgov")
    assert [i.outcome for i in report.items] == ["created", "created", "failed"]
    assert report.items[2].message == (
        f"{archive}:NCT05594173.json: damaged zip member (its CRC-32 does not match its "
        "data)")


def test_a_trial_stored_by_another_writer_meanwhile_is_merged_not_refused(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on PostgreSQL when another import commits the same study after this batch looked.
    import evidence.bulkwrite

    import_paths(engine, [CTGOV / "NCT02210780.json"])
    monkeypatch.setattr(evidence.bulkwrite.BatchWriter, "_stored_identifiers",
                        lambda self, files: set())
    report = import_paths(engine, [CTGOV / "NCT02210780.json"], recheck=True)
    assert [(i.outcome, i.trial_id, i.message) for i in report.items] == [("unchanged", 1, "")]


def _bridging_study(tmp_path: Path) -> Path:
    """NCT02210780 listing NCT03418623 as a secondary ID: a record that joins two trials."""
    study = orjson.loads((CTGOV / "NCT02210780.json").read_bytes())
    ident = study["protocolSection"]["identificationModule"]
    ident["secondaryIdInfos"] = [*ident.get("secondaryIdInfos", []), {"id": "NCT03418623"}]
    path = tmp_path / "a-bridge.json"
    path.write_bytes(orjson.dumps(study))
    return path


def test_a_skipped_file_whose_trial_an_earlier_study_changed_is_saved_again(
        engine: Any, tmp_path: Path) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    shutil.copy(CTGOV / "NCT02210780.json", folder / "b.json")
    shutil.copy(CTGOV / "NCT03418623.json", folder / "c.json")

    def two_runs(bulk: bool) -> list[tuple[str, str, int | None]]:
        import_paths(engine, [folder]) if bulk else _one_by_one(engine, [folder], "ctgov")
        shutil.copy(_bridging_study(tmp_path), folder / "a.json")
        if bulk:
            items = import_paths(engine, [folder]).items
        else:
            items = [_save_item(engine, item, ImportOptions(), merge=True)
                     for item in iter_items(folder, "ctgov")]
        (folder / "a.json").unlink()
        return [(Path(i.locator).name, i.outcome, i.trial_id) for i in items]

    expected = two_runs(bulk=False)
    _empty(engine)
    assert two_runs(bulk=True) == expected
    assert [(name, trial) for name, _, trial in expected] == [
        ("a.json", 1), ("b.json", 1), ("c.json", 1)]
    with engine.connect() as conn:  # b and c are the one trial now, and its digests say so
        digests = conn.execute(text("SELECT trial_id, suffix FROM source_digest")).all()
    assert {tuple(d) for d in digests} == {(1, "")}


def test_symbolic_links_to_folders_are_not_followed(engine: Any, tmp_path: Path) -> None:
    folder = tmp_path / "studies"
    folder.mkdir()
    shutil.copy(CTGOV / "NCT02210780.json", folder / "NCT02210780.json")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    report = import_paths(engine, [folder], fmt="ctgov")
    assert [i.outcome for i in report.items] == ["created"]


def test_a_study_the_mapping_code_fails_on_is_reported_and_the_rest_go_in(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import evidence.stats
    from evidence.stats import run_checks

    def fails_on_one(record: Any) -> Any:
        if record.registrations[0].identifier == "NCT03418623":
            raise ValueError("cannot convert float NaN to integer")
        return run_checks(record)

    monkeypatch.setattr(evidence.stats, "run_checks", fails_on_one)
    report = import_paths(engine, [CTGOV])
    assert [i.outcome for i in report.items] == ["created"] * 4 + ["failed"] + ["created"] * 3
    assert report.items[4].message == (
        f"{CTGOV / 'NCT03418623.json'}: cannot be mapped (ValueError: cannot convert float "
        "NaN to integer); please report this study")


def test_after_a_worker_is_killed_the_writer_maps_the_rest(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real worker, killed mid-import (as by the OOM killer): no traceback, nothing lost."""
    import os
    import signal

    import evidence.bulkimport
    import evidence.bulkpool

    real_submit = evidence.bulkpool.Pool._submit
    killed: list[int] = []

    def submit_then_kill(self: Any, *args: Any) -> Any:
        future = real_submit(self, *args)
        if not killed:
            for process in list(self.executor._processes.values()):
                os.kill(process.pid, signal.SIGKILL)
                killed.append(process.pid)
            future.exception(timeout=60)  # the executor has noticed: it takes no more work
        return future

    monkeypatch.setattr(evidence.bulkimport, "BATCH_FILES", 2)  # batch 1 here, 2-4 to workers
    monkeypatch.setattr(evidence.bulkpool.Pool, "_submit", submit_then_kill)
    report = import_paths(engine, [CTGOV], jobs=1)
    assert killed
    assert [i.outcome for i in report.items] == ["created"] * 8
    assert [i.trial_id for i in report.items] == list(range(1, 9))
    assert report.timings["wait"] > 0 and report.timings["map"] > 0


def test_a_second_ctrl_c_while_stopping_still_ends_every_worker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C pressed again while the pool stops after the first: every worker still ends."""
    import datetime as dt
    import os
    import signal

    from evidence.bulkpool import Pool
    from evidence.bulkprep import PrepContext

    pool = Pool(2)
    context = PrepContext(dt.datetime.now(dt.UTC), "tester", "test", None)
    assert [pool.submit("ctgov", [], context).result(timeout=120) for _ in range(2)] == [[], []]
    workers = list(pool.executor._processes.values())
    assert workers and all(w.is_alive() for w in workers)
    real_shutdown = pool.executor.shutdown

    def pressed_again(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # handled in this (the main) thread, at once
        real_shutdown(*args, **kwargs)

    monkeypatch.setattr(pool.executor, "shutdown", pressed_again)
    handler = signal.getsignal(signal.SIGINT)
    try:
        pool.stop()
    except KeyboardInterrupt:
        pytest.fail("a second Ctrl-C interrupted stop(): its workers may be left running")
    assert not any(w.is_alive() for w in workers)
    assert signal.getsignal(signal.SIGINT) is handler


def test_digest_rows_are_grouped_and_driver_errors_come_out_as_sqlalchemy_errors() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from evidence.bulkimport import digest_rows

    engine = create_engine("sqlite://")
    raw = engine.raw_connection()
    try:
        with pytest.raises(OperationalError, match="no such table: source_digest"):
            digest_rows(raw, engine.dialect, ["a"])
        raw.cursor().execute("CREATE TABLE source_digest (digest, position, items, trial_id, "
                             "label, suffix)")
        raw.cursor().executemany("INSERT INTO source_digest VALUES (?, ?, 2, ?, 'L', '')",
                                 [("a", 0, 1), ("a", 1, 2), ("b", 0, 3), ("c", 0, 4)])
        found = digest_rows(raw, engine.dialect, ["b", "a", "a", "z"])
    finally:
        raw.close()
    assert sorted(found) == ["a", "b"]
    assert [(r["position"], r["trial_id"]) for r in found["a"]] == [(0, 1), (1, 2)]


def test_ids_are_a_range_when_consecutive_and_a_list_when_not(engine: Any) -> None:
    from evidence.rowwrite import allocate_ids

    with engine.begin() as conn:
        first = allocate_ids(conn, {"condition": 3, "trial": 0})
    assert list(first["condition"]) == [1, 2, 3] and "trial" not in first
    if engine.dialect.name == "sqlite":
        return
    with engine.begin() as conn:  # as if another writer took every other value meanwhile
        conn.execute(text("ALTER SEQUENCE condition_id_seq INCREMENT BY 2"))
        scattered = allocate_ids(conn, {"condition": 3})["condition"]
        conn.execute(text("ALTER SEQUENCE condition_id_seq INCREMENT BY 1"))
    assert scattered == [5, 7, 9]


def test_the_collector_settings_come_back_and_a_programs_own_freeze_is_kept() -> None:
    from evidence.bulkpool import GC_THRESHOLD, fewer_collections

    threshold = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == GC_THRESHOLD
        assert gc.get_freeze_count() > 0  # start-up objects are out of the collector's way
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, 0)
    gc.freeze()  # a program (a pre-fork server, say) froze its own objects
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections():
            pass
        # Not unfrozen behind the program's back (a few frozen objects may have died).
        assert frozen - 1000 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_overlapping_imports_restore_the_collector_once_the_last_ends() -> None:
    from evidence.bulkpool import GC_THRESHOLD, fewer_collections

    threshold = gc.get_threshold()
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the other import still runs
    assert gc.get_threshold()[0] == GC_THRESHOLD
    second.__exit__(None, None, None)
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, 0)


@pytest.mark.parametrize("sqlstate", ["40P01", None])
def test_digests_give_way_to_a_deadlock_but_not_to_other_database_errors(
        engine: Any, monkeypatch: pytest.MonkeyPatch, sqlstate: str | None) -> None:
    from sqlalchemy.exc import OperationalError

    import evidence.bulkwrite

    class DriverError(Exception):
        pass

    def failing(self: Any, trial_ids: list[int]) -> dict[int, int]:
        error = DriverError("deadlock detected" if sqlstate else "disk I/O error")
        error.sqlstate = sqlstate  # type: ignore[attr-defined]
        raise OperationalError("SELECT ... FOR SHARE", None, error)

    monkeypatch.setattr(evidence.bulkwrite.BatchWriter, "_locked_versions", failing)
    if sqlstate:  # the trials go in; only the digests, which save work next time, do not
        report = import_paths(engine, [CTGOV], jobs=0)
        assert [i.outcome for i in report.items] == ["created"] * 8
        counts = (8, 0)
    else:  # the import stops, in one line, and the batch is rolled back whole
        report = import_paths(engine, [CTGOV], jobs=0)
        assert [i.outcome for i in report.items] == ["failed"]
        assert "import stopped by the database (disk I/O error)" in str(report.items[0].message)
        counts = (0, 0)
    with engine.connect() as conn:
        assert (conn.execute(text("SELECT COUNT(*) FROM trial")).scalar(),
                conn.execute(text("SELECT COUNT(*) FROM source_digest")).scalar()) == counts
