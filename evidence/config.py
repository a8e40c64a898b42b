"""Settings: the database URL and where migrations and catalogs live."""

from __future__ import annotations

import os
from pathlib import Path

from evidence.errors import EvidenceError

DEFAULT_DATABASE = "evidence.db"
ENV_DATABASE_URL = "EVIDENCE_DATABASE_URL"


def database_url(option: str | None = None) -> str:
    """The database URL from --db, else $EVIDENCE_DATABASE_URL, else ./evidence.db.

    A bare path means a SQLite file; `postgresql://` means psycopg 3.
    """
    raw = option or os.environ.get(ENV_DATABASE_URL) or DEFAULT_DATABASE
    if "://" not in raw:
        return f"sqlite:///{raw}"
    if raw.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    if not raw.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise EvidenceError(f"unsupported database URL {raw.split('://', 1)[0]}://...: use a "
                            "SQLite file path or postgresql+psycopg://user@host/dbname")
    return raw


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> str:
    """The file path of a sqlite:/// URL (may be ':memory:')."""
    path = url.split(":///", 1)[1] if ":///" in url else ":memory:"
    return path.split("?", 1)[0] or ":memory:"


def _resource_dir(package_dir: str, checkout_dir: str) -> Path:
    # In a source checkout (editable install) the folders sit beside the package;
    # a wheel install ships them inside it (see [tool.setuptools] package-dir).
    here = Path(__file__).resolve().parent
    inside = here / package_dir
    return inside if inside.is_dir() else here.parent / checkout_dir


def migrations_dir() -> Path:
    return _resource_dir("migrations", "migrations")


def locales_dir() -> Path:
    return _resource_dir("locales", "locales")
