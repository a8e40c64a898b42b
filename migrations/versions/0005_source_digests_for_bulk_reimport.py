"""source digests for bulk re-import; PostgreSQL search triggers a bulk writer can defer

The search-index trigger functions (PostgreSQL) learn to skip inserts while a
transaction has set evidence.search_index_deferred: the bulk import then indexes
its new trials with one INSERT ... SELECT per table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('source_digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('suffix', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'],
                            name=op.f('fk_source_digest_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_digest')),
    sa.UniqueConstraint('digest', 'position', name=op.f('uq_source_digest_digest_position'))
    )
    with op.batch_alter_table('source_digest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_digest_trial_id'), ['trial_id'], unique=False)
    _search_functions(deferrable=True)


def _search_functions(*, deferrable: bool) -> None:
    from evidence.search_index import TABLES, pg_sync_function

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(pg_sync_function(table, deferrable=deferrable, replace=True,
                                         layout=1))


def downgrade() -> None:
    _search_functions(deferrable=False)
    with op.batch_alter_table('source_digest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_digest_trial_id'))
    op.drop_table('source_digest')
