"""`evidence query`: one read-only statement; every kind of change refused on both engines."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import inspect, text

from evidence.crud import save_record
from evidence.db import make_engine, upgrade
from evidence.models import metadata
from evidence.recordio import load_record
from evidence.sqlquery import (
    QueryError,
    QueryRefused,
    QueryTimeout,
    check_statement,
    parameter_names,
    parse_params,
    run_query,
)
from tests.conftest import SEED_RECORD, run_cli


@pytest.fixture
def seeded(db_url: str) -> str:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        save_record(conn=conn, record=load_record(SEED_RECORD))
    engine.dispose()
    return db_url


def _state(url: str) -> dict[str, Any]:
    """Row counts of every table, the list of tables and views, and SQLite's user_version."""
    engine = make_engine(url)
    with engine.connect() as conn:
        insp = inspect(conn)
        state: dict[str, Any] = {
            "tables": sorted(insp.get_table_names()), "views": sorted(insp.get_view_names()),
            "counts": {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar()
                       for t in metadata.tables}}
        if conn.dialect.name == "sqlite":
            state["user_version"] = conn.execute(text("PRAGMA user_version")).scalar()
            state["journal_mode"] = conn.execute(text("PRAGMA journal_mode")).scalar()
    engine.dispose()
    return state


REFUSED = [
    # (statement, words the message must contain)
    ("INSERT INTO condition (trial_id, position, name_en) VALUES (1, 9, 'x')",
     "INSERT would change the database"),
    ("UPDATE result SET value = 0", "UPDATE would change the database"),
    ("DELETE FROM trial", "DELETE would change the database"),
    ("REPLACE INTO condition (id, trial_id, position) VALUES (1, 1, 0)",
     "REPLACE would change the database"),
    ("CREATE TABLE x (a INTEGER)", "CREATE would change the schema"),
    ("DROP TABLE finding", "DROP would change the schema"),
    ("ALTER TABLE trial ADD COLUMN x INTEGER", "ALTER would change the schema"),
    ("DROP VIEW v_results", "DROP would change the schema"),
    ("ATTACH DATABASE 'other.db' AS other", "ATTACH is not allowed"),
    ("DETACH DATABASE other", "DETACH is not allowed"),
    ("VACUUM", "VACUUM would change the schema"),
    ("BEGIN", "BEGIN is not a query"),
    ("SELECT 1; DELETE FROM trial", "only one statement at a time"),
    ("SELECT 1; SELECT 2", "only one statement at a time"),
    ("/* hidden */ DELETE FROM trial", "DELETE would change the database"),
]


@pytest.mark.parametrize(("sql", "why"), REFUSED)
def test_changes_are_refused_before_reaching_the_database(seeded: str, sql: str,
                                                          why: str) -> None:
    before = _state(seeded)
    with pytest.raises(QueryRefused, match=why):
        run_query(seeded, sql)
    assert _state(seeded) == before


def test_write_hidden_in_a_cte_is_refused_by_the_database(seeded: str) -> None:
    before = _state(seeded)
    why = ("DELETE from trial would change the database" if seeded.startswith("sqlite")
           else "cannot execute DELETE in a read-only transaction")
    with pytest.raises(QueryRefused, match=why):
        run_query(seeded, "WITH doomed AS (SELECT id FROM trial) "
                          "DELETE FROM trial WHERE id IN (SELECT id FROM doomed)")
    assert _state(seeded) == before


@pytest.mark.parametrize("sql", ["PRAGMA user_version = 7", "PRAGMA journal_mode = DELETE",
                                 "PRAGMA foreign_keys = OFF", "PRAGMA writable_schema = ON"])
def test_state_changing_pragma_is_refused(seeded: str, sql: str) -> None:
    before = _state(seeded)
    expected = ("would change the connection or database" if seeded.startswith("sqlite")
                else "PRAGMA is SQLite's")
    with pytest.raises(QueryRefused, match=expected):
        run_query(seeded, sql)
    assert _state(seeded) == before


def test_reading_pragmas_run_on_sqlite(tmp_path: Any) -> None:
    seeded = f"sqlite:///{tmp_path / 'evidence.db'}"
    upgrade(seeded)
    assert run_query(seeded, "PRAGMA user_version").rows == [{"user_version": 0}]
    cols = run_query(seeded, "PRAGMA table_info(timepoint)").rows
    assert [c["name"] for c in cols] == [c.name for c in metadata.tables["timepoint"].columns]
    via_function = run_query(seeded, "SELECT name FROM pragma_table_info('arm_count')").rows
    assert [r["name"] for r in via_function] == ["id", "arm_id", "population_id", "position", "n"]


def test_select_with_parameters(seeded: str) -> None:
    result = run_query(seeded, "SELECT arm_key, reported, events, n FROM v_results "
                               "WHERE timepoint_value = :week AND endpoint_role = :role "
                               "ORDER BY result_id", {"week": "24", "role": "primary"})
    assert result.columns == ["arm_key", "reported", "events", "n"]
    assert result.rows == [{"arm_key": "il2", "reported": "65.52%", "events": 19, "n": 29},
                           {"arm_key": "placebo", "reported": "36.67%", "events": 11, "n": 30}]


def test_parameter_problems(seeded: str) -> None:
    with pytest.raises(QueryRefused, match=r"no value for :week"):
        run_query(seeded, "SELECT * FROM v_results WHERE timepoint_value = :week")
    with pytest.raises(QueryRefused, match="--param extra not used"):
        run_query(seeded, "SELECT 1 AS one", {"extra": "1"})
    # A colon in a string and a PostgreSQL cast are not parameters; % needs no doubling.
    sql = ("SELECT ':nope' AS s, '50%' AS pct, n FROM v_results WHERE reported LIKE '55%' "
           "AND n = :n")
    assert run_query(seeded, sql, {"n": "29"}).rows == [{"s": ":nope", "pct": "50%", "n": 29}]


def test_duplicate_column_names_stay_apart(seeded: str) -> None:
    result = run_query(seeded, "SELECT 1 AS a, 2 AS a")
    assert (result.columns, result.rows) == (["a", "a_2"], [{"a": 1, "a_2": 2}])


def test_runaway_query_is_stopped(seeded: str) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"longer than 0\.3 s"):
        run_query(seeded, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                          "SELECT COUNT(*) FROM c", timeout=0.3)
    assert time.monotonic() - started < 5


def test_database_errors_are_query_errors(seeded: str) -> None:
    with pytest.raises(QueryError, match="nosuch"):
        run_query(seeded, "SELECT nosuch FROM trial")


def test_missing_sqlite_file(tmp_path: Any) -> None:
    with pytest.raises(QueryError, match="no SQLite database"):
        run_query(f"sqlite:///{tmp_path / 'absent.db'}", "SELECT 1")
    assert not (tmp_path / "absent.db").exists()


def test_check_statement_reads_strings_and_comments() -> None:
    assert check_statement("  -- note; DELETE\n(SELECT ';' AS x); -- done") == "SELECT"
    assert check_statement("with x as (select 1) select * from x;;") == "WITH"
    assert check_statement("SELECT $tag$ ; DELETE $tag$ AS s", postgres=True) == "SELECT"
    assert check_statement("SELECT E'it\\'s; ok' AS s", postgres=True) == "SELECT"
    with pytest.raises(QueryRefused, match="no SQL statement"):
        check_statement("-- only a comment")
    with pytest.raises(QueryRefused, match="only one statement"):
        check_statement("SELECT 1 /* c */ ; /* c */ SELECT 2")


def test_parameter_names_and_params() -> None:
    assert parameter_names("SELECT :a, ':b', x::text, :a, \"c:d\" -- :e\n, :f_1") == ["a", "f_1"]
    assert parse_params(["week=12", ":role=primary", "empty="]) == {
        "week": "12", "role": "primary", "empty": ""}
    with pytest.raises(QueryRefused, match="name=value"):
        parse_params(["noequals"])


def test_cli_query_formats_and_error_line(seeded: str) -> None:
    sql = ("SELECT arm_label_en, reported, value FROM v_results WHERE timepoint_value = :w "
           "ORDER BY result_id")
    done = run_cli("query", sql, "--param", "w=12", "--format", "json", db=seeded)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"arm_label_en": "IL-2", "reported": "55.17%", "value": 55.17},
        {"arm_label_en": "placebo", "reported": "30.00%", "value": 30.0}]
    assert done.stderr == "2 rows\n"
    csv_out = run_cli("query", sql, "-p", "w=12", "--format", "csv", db=seeded)
    assert csv_out.stdout == "arm_label_en,reported,value\nIL-2,55.17%,55.17\nplacebo,30.00%,30.0\n"
    md = run_cli("query", "SELECT 'a|b' AS x, NULL AS y", "--format", "markdown", db=seeded)
    assert md.stdout == "| x | y |\n| --- | --- |\n| a\\|b |  |\n"
    before = _state(seeded)
    refused = run_cli("query", "DELETE FROM trial", db=seeded)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == ("Error: DELETE would change the database; `evidence query` "
                              "only reads\n")
    assert _state(seeded) == before
