"""The `evidence` command as a user runs it: exit codes, stdout and stderr apart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from evidence.recordio import bundled_seed_path, load_record, record_from_data
from tests.conftest import SEED_RECORD, run_cli

COMMANDS = ["init", "import", "list", "show", "export-record", "schema", "demo", "check",
            "stats", "summary", "export summaries", "glossary add", "glossary list",
            "glossary import", "glossary export", "i18n status", "copy", "review", "reopen",
            "delete", "history", "diff", "adjudicate", "query", "search"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_cli(*command.split(), "--help")
    assert result.returncode == 0, result.stderr
    assert "Example: evidence" in result.stdout


def test_demo_creates_database_imports_seed_and_shows_it(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "evidence.db").exists()
    assert "seed trial 1 item(s): 1 created" in result.stderr
    golden = Path(__file__).parent / "golden"
    english = (golden / "seed-il2-sle.en.txt").read_text(encoding="utf-8")
    chinese = (golden / "seed-il2-sle.zh.txt").read_text(encoding="utf-8")
    assert english.strip() in result.stdout and chinese.strip() in result.stdout
    assert result.stdout.index(english.strip()) < result.stdout.index(chinese.strip())
    again = run_cli("demo", cwd=tmp_path)
    assert "1 unchanged" in again.stderr


def test_show_json_returns_every_fact_with_provenance(db_url: str) -> None:
    assert run_cli("import", str(SEED_RECORD), db=db_url).returncode == 0
    result = run_cli("show", "NCT02932137", "--format", "json", db=db_url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["database"]["version"] == 1
    meta = data.pop("database")
    assert meta["id"] == 1
    assert record_from_data(data) == load_record(bundled_seed_path())
    assert "低剂量 IL-2" in result.stdout  # UTF-8, not \u escapes
    assert data["results"][0]["field_provenance"]["events"]["derivation"] == (
        "55.17% × 29 = 16.0; 16/29 = 55.17%")


def test_show_csv_is_path_value_rows(db_url: str) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    result = run_cli("show", "NCT02465580", "-f", "csv", db=db_url)
    rows = dict(csv.reader(io.StringIO(result.stdout)))
    assert rows["arms[0].n_randomised"] == "30"
    assert rows["results[4].reported"] == "53.85% (7/13)"
    assert rows["comparisons[1].p_reported"] == "p=0.027"


def test_list_filters_and_formats(db_url: str) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    hit = run_cli("list", "--condition", "红斑狼疮", "--format", "json", db=db_url)
    assert [r["registrations"] for r in json.loads(hit.stdout)] == [["NCT02465580",
                                                                     "NCT02932137"]]
    for option, value in (("--intervention", "interleukin"), ("--registry-id", "nct0293"),
                          ("--status", "reviewed")):
        out = run_cli("list", option, value, "-f", "csv", db=db_url)
        assert out.stdout.splitlines()[0] == (
            "id,registrations,title,conditions,arms,enrollment,curation_status,findings,updated_at")
        assert len(out.stdout.splitlines()) == 2, (option, out.stdout)
    miss = run_cli("list", "--condition", "asthma", "-f", "json", db=db_url)
    assert json.loads(miss.stdout) == []


def test_export_record_round_trips(db_url: str, tmp_path: Path) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    out = tmp_path / "exported.yaml"
    result = run_cli("export-record", "NCT02465580", "-o", str(out), db=db_url)
    assert result.returncode == 0 and result.stdout == ""
    exported = record_from_data(yaml.safe_load(out.read_text(encoding="utf-8")))
    assert exported.base_version == 1  # for optimistic locking on re-import
    assert exported.model_copy(update={"base_version": None}) == load_record(bundled_seed_path())
    again = run_cli("import", str(out), "-f", "json", db=db_url)
    assert [i["outcome"] for i in json.loads(again.stdout)] == ["unchanged"]


def test_bad_input_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    run_cli("init", db=db)
    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data["arms"][1]["n_randomised"] = -3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run_cli("import", str(bad), "--format", "json", db=db)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {bad}: arms[1].n_randomised: must be ≥ 0",
        "1 item(s): 0 created, 0 updated, 0 unchanged, 1 failed"]
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)[0]["outcome"] == "failed"


def test_unknown_id_and_uninitialised_database_are_clear_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    fresh = run_cli("import", str(SEED_RECORD), db=db)
    assert fresh.returncode == 1
    assert fresh.stderr == f"Error: no database at {db}: run `evidence init` first\n"
    Path(db).touch()  # an empty file: exists, but no schema
    empty = run_cli("import", str(SEED_RECORD), db=db)
    assert empty.stderr.startswith(f"Error: database sqlite:///{db} is empty")
    assert empty.stderr.strip().endswith("run `evidence init` first")
    run_cli("init", db=db)
    missing = run_cli("show", "NCT99999999", db=db)
    assert missing.returncode == 1
    assert missing.stderr == ("Error: no trial with registration ID, PMID, DOI or id "
                              "'NCT99999999'\n")
    usage = run_cli("show", db=db)
    assert usage.returncode == 2


def test_schema_prints_json_schema() -> None:
    result = run_cli("schema")
    assert json.loads(result.stdout)["title"] == "evidence record (evidence-record/1)"


def test_python_dash_m_and_env_database_url(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "EVIDENCE_DATABASE_URL": str(tmp_path / "env.db")}
    subprocess.run([sys.executable, "-m", "evidence", "demo"], env=env, check=True,
                   capture_output=True, cwd=tmp_path)
    assert (tmp_path / "env.db").exists() and not (tmp_path / "evidence.db").exists()
