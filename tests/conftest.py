"""Shared fixtures: real inputs by path, and a fresh database on SQLite and PostgreSQL.

Every test that takes `db_url` runs on both engines. PostgreSQL is the local
server (EVIDENCE_TEST_PG_URL, default postgres@127.0.0.1:5432/test); the suite
creates its own database there for the session and drops it afterwards. Under
CI (CI=true) or with EVIDENCE_REQUIRE_PG=1 (set by .ci/run) an unreachable server
fails the run instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
SEED_TEXT = SHARED / "seed" / "000_6c8f74dbc2f578eb.txt"
SEED_RECORD = ROOT / "evidence" / "examples" / "seed-il2-sle.yaml"
PG_ADMIN_URL = os.environ.get("EVIDENCE_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")



def _pg_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    import psycopg

    try:
        admin = psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") or os.environ.get("EVIDENCE_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL} (CI=true or "
                    "EVIDENCE_REQUIRE_PG=1 make this a failure)")
    name = f"evidence_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    try:
        yield url
    finally:
        from sqlalchemy import create_engine

        create_engine(url).dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _empty_all_tables(url: str) -> None:
    from sqlalchemy import text

    from evidence.db import make_engine
    from evidence.models import metadata

    engine = make_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at the latest migration, on each engine in turn."""
    from evidence.db import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'evidence.db'}"
        upgrade(url)
        return url
    url = str(request.getfixturevalue("pg_database"))
    upgrade(url)
    _empty_all_tables(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    from evidence.db import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def run_cli(*args: str, db: str | None = None, cwd: Path | None = None,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m evidence ...` as a user would; stdout and stderr kept apart."""
    env = {k: v for k, v in os.environ.items() if k != "EVIDENCE_DATABASE_URL"}
    env["COLUMNS"] = "200"
    argv = [sys.executable, "-m", "evidence"]
    if db:
        argv += ["--db", db]
    return subprocess.run([*argv, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          input=input_text, timeout=120, check=False)
