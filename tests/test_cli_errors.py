"""User mistakes get one `Error:` line and exit 1, never a traceback (found in review)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEED_RECORD, run_cli

READ_COMMANDS = [
    ["list"], ["show", "NCT02932137"], ["summary", "NCT02932137"], ["check", "--all"],
    ["stats", "NCT02932137"], ["history", "NCT02932137"], ["search", "lupus"],
    ["glossary", "list"], ["i18n", "status"], ["export-record", "NCT02932137"],
]


def _one_error_line(result: object, expected_start: str) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    assert stderr.startswith(expected_start), stderr
    assert stderr.count("\n") == 1, stderr


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_read_commands_on_a_missing_empty_or_foreign_file(command: list[str],
                                                          tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    _one_error_line(run_cli(*command, db=str(missing)),
                    f"Error: no database at {missing}: run `evidence init` first")
    assert not missing.exists()  # a typo in --db leaves no empty file behind
    empty = tmp_path / "empty.db"
    empty.touch()
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database\n", encoding="utf-8")
    for path in (empty, foreign):
        result = run_cli(*command, db=str(path))
        _one_error_line(result, "Error: ")
        assert "run `evidence init`" in result.stderr


def test_write_commands_on_a_foreign_file_and_bad_urls(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database\n", encoding="utf-8")
    _one_error_line(run_cli("import", str(SEED_RECORD), db=str(foreign)),
                    f"Error: cannot open database sqlite:///{foreign}: file is not a database")
    _one_error_line(run_cli("list", db="mysql://x/y"),
                    "Error: unsupported database URL mysql://...")
    _one_error_line(run_cli("list", db="postgresql+psycopg://nobody@127.0.0.1:5999/x"),
                    "Error: cannot connect to PostgreSQL: ")


def test_unwritable_output_and_unreadable_input(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("init", db=db)
    run_cli("import", str(SEED_RECORD), db=db)
    _one_error_line(run_cli("summary", "NCT02932137", "-o", "/nonexistent/dir/s.html", db=db),
                    "Error: No such file or directory: /nonexistent/dir/s.html")
    _one_error_line(run_cli("export-record", "NCT02932137", "-o", str(tmp_path), db=db),
                    f"Error: Is a directory: {tmp_path}")
    _one_error_line(run_cli("glossary", "import", str(tmp_path / "none.csv"), db=db),
                    f"Error: No such file or directory: {tmp_path / 'none.csv'}")


def test_json_or_yaml_that_is_not_a_source_is_not_read_as_abstract_text(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("init", db=db)
    bad = tmp_path / "bad.json"
    bad.write_text("garbage{", encoding="utf-8")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n", encoding="utf-8")
    result = run_cli("import", str(bad), str(listed), db=db)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {bad}: not valid JSON (it does not start with '{{' or '[')",
        f"Error: {listed}: YAML that is not an evidence record (no top-level 'trial')",
        "2 item(s): 0 created, 0 updated, 0 unchanged, 2 failed"]


def test_counts_beyond_postgresql_integers_are_refused_on_every_engine(db_url: str,
                                                                       tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data["trial"]["enrollment"]["planned"] = 3_000_000_000
    big = tmp_path / "big.yaml"
    big.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run_cli("import", str(big), db=db_url)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"Error: {big}: trial.enrollment.planned: must be ≤ 2147483647")
    data["trial"]["enrollment"]["planned"] = True
    big.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert run_cli("import", str(big), db=db_url).stderr.splitlines()[0] == (
        f"Error: {big}: trial.enrollment.planned: Input should be a valid integer")


def test_ctrl_c_during_an_import_says_what_is_stored(tmp_path: Path) -> None:
    """SIGINT while the import blocks reading its second file (a FIFO nobody writes to)."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys

    from tests.conftest import FIXTURES

    db = tmp_path / "evidence.db"
    assert run_cli("init", db=f"sqlite:///{db}").returncode == 0
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    env = {k: v for k, v in os.environ.items() if k != "EVIDENCE_DATABASE_URL"}
    child = subprocess.Popen(
        [sys.executable, "-m", "evidence", "--db", f"sqlite:///{db}", "import",
         str(FIXTURES / "ctgov" / "NCT00763412.json"), str(pipe)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with open(pipe, "w"):  # returns once the import has opened the FIFO: file 1 is done
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == ("Interrupted after 1 item: those are stored as reported; "
                                       "import again for the rest.")
    assert stdout == ""
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trial").fetchone()[0] == 1
