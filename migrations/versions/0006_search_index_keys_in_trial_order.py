"""search index keys in kind and trial order, so a search can stop early

The index rows get new keys (evidence/search_index.py, layout 2): the rows of one
kind of text form a key range in trial order, which lets `evidence search` read
each kind's matches trial by trial and stop once no later trial can rank higher.
Triggers are replaced and the index is filled again from the stored rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

from alembic import op

from evidence import search_index

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _relayout(layout: search_index.Layout) -> None:
    dialect = op.get_bind().dialect.name
    assert dialect in ("sqlite", "postgresql"), dialect
    for statement in search_index.relayout_statements(dialect, layout):
        op.execute(statement)


def upgrade() -> None:
    _relayout(2)


def downgrade() -> None:
    _relayout(1)
