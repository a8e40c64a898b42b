"""glossary and check findings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:54:20.670006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('glossary_term',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_key', sa.String(length=255), nullable=False),
    sa.Column('term_en', sa.Text(), nullable=False),
    sa.Column('term_zh', sa.Text(), nullable=False),
    sa.Column('domain', sa.String(length=40), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_term')),
    sa.UniqueConstraint('term_key', name=op.f('uq_glossary_term_term_key'))
    )
    with op.batch_alter_table('glossary_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_term_domain'), ['domain'], unique=False)

    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('check_name', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=120), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("severity IN ('error', 'warning')", name=op.f('ck_finding_severity')),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_finding_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_check_name'), ['check_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_trial_id'), ['trial_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_trial_id'))
        batch_op.drop_index(batch_op.f('ix_finding_check_name'))

    op.drop_table('finding')
    with op.batch_alter_table('glossary_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_term_domain'))

    op.drop_table('glossary_term')
