"""Several processes writing the same and different trials at once: nothing lost or doubled."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text

from evidence.db import make_engine
from tests.conftest import FIXTURES, SEED_RECORD

WRITERS = 6


def _variant(tmp_path: Path, number: int) -> Path:
    data = copy.deepcopy(yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8")))
    data["registrations"] = [{"identifier": f"NCT9000{number:04d}"}]
    data["publications"] = []
    path = tmp_path / f"variant-{number}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_concurrent_imports_end_with_one_row_per_trial(db_url: str, tmp_path: Path) -> None:
    shared_json = FIXTURES / "ctgov" / "NCT02210780.json"
    env = {k: v for k, v in os.environ.items() if k != "EVIDENCE_DATABASE_URL"}
    processes = []
    for number in range(WRITERS):
        # Every writer imports the same two new trials and one trial of its own.
        files = [str(SEED_RECORD), str(shared_json), str(_variant(tmp_path, number))]
        if number % 2:
            files.reverse()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "evidence", "--db", db_url, "--curator", f"writer{number}",
             "import", "-f", "csv", *files],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    engine = make_engine(db_url)
    with engine.connect() as conn:
        def scalar(sql: str) -> Any:
            return conn.execute(text(sql)).scalar_one()

        assert scalar("SELECT COUNT(*) FROM trial") == 2 + WRITERS
        assert scalar("SELECT COUNT(*) FROM registration") == 3 + WRITERS
        assert scalar("SELECT COUNT(DISTINCT identifier) FROM registration") == 3 + WRITERS
        seed_id = scalar("SELECT trial_id FROM registration WHERE identifier = 'NCT02465580'")
        assert scalar(f"SELECT COUNT(*) FROM result WHERE trial_id = {seed_id}") == 6
        assert scalar("SELECT COUNT(*) FROM result") == 6 * (1 + WRITERS) + scalar(
            "SELECT COUNT(*) FROM result r JOIN registration g ON g.trial_id = r.trial_id "
            "WHERE g.identifier = 'NCT02210780'")
        # Exactly one writer created each shared trial; the others found it unchanged.
        created = scalar("SELECT COUNT(*) FROM audit_event WHERE action = 'import'")
        assert created == 2 + WRITERS
    engine.dispose()
    created_lines = sum(out.count(",created,") for out, _err in outputs)
    unchanged_lines = sum(out.count(",unchanged,") for out, _err in outputs)
    assert (created_lines, unchanged_lines) == (2 + WRITERS, 2 * (WRITERS - 1))
