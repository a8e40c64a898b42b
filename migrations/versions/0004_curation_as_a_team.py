"""curation as a team

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:14:12.884249
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=True),
    sa.Column('trial_label', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('curator', sa.String(length=120), nullable=False),
    sa.Column('command', sa.Text(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version_before', sa.Integer(), nullable=True),
    sa.Column('version_after', sa.Integer(), nullable=True),
    sa.Column('status_before', sa.String(length=16), nullable=True),
    sa.Column('status_after', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.CheckConstraint("action IN ('import', 'edit', 'merge', 'review', 'reject', 'reopen', 'adjudicate', 'delete')", name=op.f('ck_audit_event_action')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_trial', ['trial_id', 'id'], unique=False)

    op.create_table('extraction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_key', sa.String(length=64), nullable=False),
    sa.Column('curator', sa.String(length=120), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_file', sa.Text(), nullable=True),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extraction')),
    sa.UniqueConstraint('trial_key', 'curator', name=op.f('uq_extraction_trial_key_curator'))
    )
    with op.batch_alter_table('extraction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extraction_trial_key'), ['trial_key'], unique=False)

    op.create_table('adjudication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=True),
    sa.Column('trial_key', sa.String(length=64), nullable=False),
    sa.Column('curator', sa.String(length=120), nullable=False),
    sa.Column('extraction_a_id', sa.Integer(), nullable=False),
    sa.Column('extraction_b_id', sa.Integer(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['extraction_a_id'], ['extraction.id'], name=op.f('fk_adjudication_extraction_a_id_extraction')),
    sa.ForeignKeyConstraint(['extraction_b_id'], ['extraction.id'], name=op.f('fk_adjudication_extraction_b_id_extraction')),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_adjudication_trial_id_trial'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjudication'))
    )
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjudication_trial_id'), ['trial_id'], unique=False)

    # Plain ALTER TABLE, not batch mode: a batch "move and copy" of trial would break
    # the views of 0003 that read it (SQLite checks views when a table is renamed).
    op.add_column('trial', sa.Column('last_editor', sa.String(length=120), nullable=True))


def downgrade() -> None:
    # SQLite has had DROP COLUMN since 3.35; no column here is indexed or in a view.
    op.execute("ALTER TABLE trial DROP COLUMN last_editor")

    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjudication_trial_id'))

    op.drop_table('adjudication')
    with op.batch_alter_table('extraction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraction_trial_key'))

    op.drop_table('extraction')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_trial')

    op.drop_table('audit_event')
