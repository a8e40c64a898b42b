"""analyst views and full-text search index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00

Flat views (v_trials, v_results, v_comparisons, v_regimens, v_adverse_events) and
the search index with the triggers that keep it in step; the index is filled from
the rows already stored. SQL is shared with the docs: evidence/views.py and
evidence/search_index.py.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from evidence import search_index, views

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dialect() -> views.Dialect:
    name = op.get_bind().dialect.name
    if name not in views.DIALECTS:
        raise NotImplementedError(f"no analyst views for database dialect {name!r}")
    return name  # type: ignore[return-value]


def _pg_trgm() -> bool:
    """Install pg_trgm if we may; without it search still works, by sequential scan."""
    bind = op.get_bind()
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as exc:  # not available on this server, or no privilege to create it
        import warnings

        warnings.warn(f"pg_trgm not installed ({exc}); search will scan without an index",
                      stacklevel=1)
        return False
    return True


def upgrade() -> None:
    dialect = _dialect()
    for statement in views.create_statements(dialect):
        op.execute(statement)
    trigram = dialect == "sqlite" or _pg_trgm()
    for statement in search_index.create_statements(
            dialect, trigram_index=trigram, layout=1, deferrable=False):
        op.execute(statement)


def downgrade() -> None:
    dialect = _dialect()
    for statement in search_index.drop_statements(dialect):
        op.execute(statement)
    for statement in views.drop_statements():
        op.execute(statement)
