"""`evidence copy`: SQLite -> PostgreSQL -> SQLite keeps every row and every export identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SEED_RECORD, run_cli


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The session's PostgreSQL database, emptied and at head."""
    from evidence.db import upgrade
    from tests.conftest import _empty_all_tables

    upgrade(pg_database)
    _empty_all_tables(pg_database)
    return pg_database


def _exports(db: str) -> dict[str, str]:
    listed = json.loads(run_cli("list", "-f", "json", db=db).stdout)
    out = {}
    for trial in listed:
        ident = trial["registrations"][0]
        result = run_cli("export-record", ident, "--format", "json", db=db)
        assert result.returncode == 0, result.stderr
        out[ident] = result.stdout
    return out


def test_copy_sqlite_to_postgresql_and_back_yields_identical_exports(tmp_path: Path,
                                                                     pg_url: str) -> None:
    first = str(tmp_path / "first.db")
    run_cli("init", db=first)
    imported = run_cli("import", str(SEED_RECORD), str(FIXTURES / "ctgov"),
                       str(FIXTURES / "ctgov-xml"), str(FIXTURES / "pubmed"), db=first)
    assert imported.returncode == 0, imported.stderr
    there = run_cli("copy", "--to", pg_url, "-f", "json", db=first)
    assert there.returncode == 0, there.stderr
    tables = json.loads(there.stdout)
    assert all(t["verified"] for t in tables)
    assert {t["table"]: t["rows"] for t in tables}["trial"] == 12
    back = str(tmp_path / "back.db")
    assert run_cli("copy", "--to", back, db=pg_url).returncode == 0
    original = _exports(first)
    assert len(original) == 12
    assert _exports(pg_url) == original
    assert _exports(back) == original
    # Sequences were moved past the copied ids: a new trial on PostgreSQL gets id 13.
    import yaml

    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data["registrations"] = [{"identifier": "NCT00000001"}]
    data["publications"] = []
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    added = json.loads(run_cli("import", str(new), "-f", "json", db=pg_url).stdout)
    assert [(i["outcome"], i["id"]) for i in added] == [("created", 13)]


def test_copy_refuses_a_target_that_is_not_empty(tmp_path: Path) -> None:
    source, target = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    for db in (source, target):
        run_cli("init", db=db)
        run_cli("import", str(SEED_RECORD), db=db)
    result = run_cli("copy", "--to", target, db=source)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: target database is not empty (")
    assert result.stderr.endswith(" table(s) have rows, e.g. trial); copy into a new database\n")
