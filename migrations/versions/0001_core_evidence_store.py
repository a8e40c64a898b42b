"""core evidence store

Revision ID: 0001
Revises:
Create Date: 2026-11-24 21:53:38.744161
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('trial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=True),
    sa.Column('title_zh', sa.Text(), nullable=True),
    sa.Column('official_title', sa.Text(), nullable=True),
    sa.Column('acronym', sa.String(length=100), nullable=True),
    sa.Column('study_type', sa.String(length=32), nullable=True),
    sa.Column('allocation', sa.String(length=32), nullable=True),
    sa.Column('masking', sa.String(length=32), nullable=True),
    sa.Column('masked_roles', sa.JSON(), nullable=True),
    sa.Column('control', sa.String(length=32), nullable=True),
    sa.Column('phases', sa.JSON(), nullable=True),
    sa.Column('design_model', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=64), nullable=True),
    sa.Column('enrollment_planned', sa.Integer(), nullable=True),
    sa.Column('enrollment_actual', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.String(length=10), nullable=True),
    sa.Column('primary_completion_date', sa.String(length=10), nullable=True),
    sa.Column('completion_date', sa.String(length=10), nullable=True),
    sa.Column('sponsor', sa.Text(), nullable=True),
    sa.Column('countries', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('curation_status', sa.String(length=16), nullable=False),
    sa.Column('brief_summary', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("curation_status IN ('draft', 'reviewed', 'verified')", name=op.f('ck_trial_curation_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial'))
    )
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_curation_status'), ['curation_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_trial_status'), ['status'], unique=False)

    op.create_table('arm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('label_en', sa.Text(), nullable=True),
    sa.Column('label_zh', sa.Text(), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('n_randomised', sa.Integer(), nullable=True),
    sa.Column('n_analysed', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.CheckConstraint("role IN ('experimental', 'placebo_comparator', 'active_comparator', 'sham_comparator', 'no_intervention', 'other')", name=op.f('ck_arm_role')),
    sa.CheckConstraint('n_analysed IS NULL OR n_randomised IS NULL OR n_analysed <= n_randomised', name=op.f('ck_arm_analysed_le_randomised')),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_arm_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arm')),
    sa.UniqueConstraint('trial_id', 'key', name=op.f('uq_arm_trial_id_key'))
    )
    with op.batch_alter_table('arm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arm_trial_id'), ['trial_id'], unique=False)

    op.create_table('condition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('name_zh', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_condition_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_condition'))
    )
    with op.batch_alter_table('condition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_condition_trial_id'), ['trial_id'], unique=False)

    op.create_table('institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('name_zh', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('country', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_institution_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution'))
    )
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_trial_id'), ['trial_id'], unique=False)

    op.create_table('intervention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('name_zh', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('other_names', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_intervention_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intervention')),
    sa.UniqueConstraint('trial_id', 'key', name=op.f('uq_intervention_trial_id_key'))
    )
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_trial_id'), ['trial_id'], unique=False)

    op.create_table('population',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('label_en', sa.Text(), nullable=True),
    sa.Column('label_zh', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_population_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population')),
    sa.UniqueConstraint('trial_id', 'key', name=op.f('uq_population_trial_id_key'))
    )
    with op.batch_alter_table('population', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_trial_id'), ['trial_id'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('pmid', sa.String(length=12), nullable=True),
    sa.Column('pmcid', sa.String(length=16), nullable=True),
    sa.Column('doi', sa.String(length=255), nullable=True),
    sa.Column('journal', sa.Text(), nullable=True),
    sa.Column('journal_abbrev', sa.Text(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('volume', sa.String(length=32), nullable=True),
    sa.Column('issue', sa.String(length=32), nullable=True),
    sa.Column('pages', sa.String(length=64), nullable=True),
    sa.Column('epub_date', sa.Date(), nullable=True),
    sa.Column('title_en', sa.Text(), nullable=True),
    sa.Column('title_zh', sa.Text(), nullable=True),
    sa.Column('abstract_en', sa.Text(), nullable=True),
    sa.Column('abstract_zh', sa.Text(), nullable=True),
    sa.Column('abstract_sections', sa.JSON(), nullable=True),
    sa.Column('publication_types', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_publication_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('doi', name=op.f('uq_publication_doi')),
    sa.UniqueConstraint('pmid', name=op.f('uq_publication_pmid'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_trial_id'), ['trial_id'], unique=False)

    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('registry', sa.String(length=32), nullable=False),
    sa.Column('identifier', sa.String(length=64), nullable=False),
    sa.Column('known_registry', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_registration_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration')),
    sa.UniqueConstraint('identifier', name=op.f('uq_registration_identifier'))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_registry'), ['registry'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_trial_id'), ['trial_id'], unique=False)

    op.create_table('source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('locator', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('curator', sa.Text(), nullable=True),
    sa.Column('retrieved', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_source_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source')),
    sa.UniqueConstraint('trial_id', 'key', name=op.f('uq_source_trial_id_key'))
    )
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_trial_id'), ['trial_id'], unique=False)

    op.create_table('adverse_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('term_en', sa.Text(), nullable=True),
    sa.Column('term_zh', sa.Text(), nullable=True),
    sa.Column('serious', sa.Boolean(), nullable=False),
    sa.Column('organ_system', sa.Text(), nullable=True),
    sa.Column('affected', sa.Integer(), nullable=True),
    sa.Column('at_risk', sa.Integer(), nullable=True),
    sa.Column('events', sa.Integer(), nullable=True),
    sa.Column('vocabulary', sa.String(length=64), nullable=True),
    sa.CheckConstraint('affected IS NULL OR at_risk IS NULL OR affected <= at_risk', name=op.f('ck_adverse_event_affected_le_at_risk')),
    sa.ForeignKeyConstraint(['arm_id'], ['arm.id'], name=op.f('fk_adverse_event_arm_id_arm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_adverse_event_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_event'))
    )
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adverse_event_arm_id'), ['arm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adverse_event_trial_id'), ['trial_id'], unique=False)

    op.create_table('arm_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=False),
    sa.Column('population_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['arm_id'], ['arm.id'], name=op.f('fk_arm_count_arm_id_arm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['population_id'], ['population.id'], name=op.f('fk_arm_count_population_id_population'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arm_count'))
    )
    with op.batch_alter_table('arm_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arm_count_arm_id'), ['arm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_arm_count_population_id'), ['population_id'], unique=False)

    op.create_table('endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('name_zh', sa.Text(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('time_frame', sa.Text(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('population_id', sa.Integer(), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=True),
    sa.CheckConstraint("role IN ('primary', 'secondary', 'safety', 'exploratory', 'other')", name=op.f('ck_endpoint_role')),
    sa.ForeignKeyConstraint(['population_id'], ['population.id'], name=op.f('fk_endpoint_population_id_population'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_endpoint_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoint')),
    sa.UniqueConstraint('trial_id', 'key', name=op.f('uq_endpoint_trial_id_key'))
    )
    with op.batch_alter_table('endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endpoint_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_endpoint_trial_id'), ['trial_id'], unique=False)

    op.create_table('intervention_arm',
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['arm_id'], ['arm.id'], name=op.f('fk_intervention_arm_arm_id_arm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['intervention_id'], ['intervention.id'], name=op.f('fk_intervention_arm_intervention_id_intervention'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('intervention_id', 'arm_id', name=op.f('pk_intervention_arm'))
    )
    with op.batch_alter_table('intervention_arm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_arm_arm_id'), ['arm_id'], unique=False)

    op.create_table('provenance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=24), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('locator', sa.Text(), nullable=True),
    sa.Column('span_start', sa.Integer(), nullable=True),
    sa.Column('span_end', sa.Integer(), nullable=True),
    sa.Column('quote', sa.Text(), nullable=True),
    sa.Column('derivation', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_provenance_source_id_source'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_provenance_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provenance'))
    )
    with op.batch_alter_table('provenance', schema=None) as batch_op:
        batch_op.create_index('ix_provenance_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provenance_trial_id'), ['trial_id'], unique=False)

    op.create_table('regimen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('dose_en', sa.Text(), nullable=True),
    sa.Column('dose_zh', sa.Text(), nullable=True),
    sa.Column('dose_amount', sa.Float(), nullable=True),
    sa.Column('dose_unit', sa.String(length=40), nullable=True),
    sa.Column('route', sa.String(length=40), nullable=True),
    sa.Column('frequency', sa.String(length=16), nullable=True),
    sa.Column('frequency_text_en', sa.Text(), nullable=True),
    sa.Column('frequency_text_zh', sa.Text(), nullable=True),
    sa.Column('cycle_on_value', sa.Float(), nullable=True),
    sa.Column('cycle_on_unit', sa.String(length=8), nullable=True),
    sa.Column('cycle_on_reported', sa.Text(), nullable=True),
    sa.Column('cycle_off_value', sa.Float(), nullable=True),
    sa.Column('cycle_off_unit', sa.String(length=8), nullable=True),
    sa.Column('cycle_off_reported', sa.Text(), nullable=True),
    sa.Column('cycles', sa.Integer(), nullable=True),
    sa.Column('treatment_duration_value', sa.Float(), nullable=True),
    sa.Column('treatment_duration_unit', sa.String(length=8), nullable=True),
    sa.Column('treatment_duration_reported', sa.Text(), nullable=True),
    sa.Column('follow_up_value', sa.Float(), nullable=True),
    sa.Column('follow_up_unit', sa.String(length=8), nullable=True),
    sa.Column('follow_up_reported', sa.Text(), nullable=True),
    sa.Column('background_en', sa.Text(), nullable=True),
    sa.Column('background_zh', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('description_zh', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['arm_id'], ['arm.id'], name=op.f('fk_regimen_arm_id_arm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['intervention_id'], ['intervention.id'], name=op.f('fk_regimen_intervention_id_intervention'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regimen'))
    )
    with op.batch_alter_table('regimen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regimen_arm_id'), ['arm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_regimen_intervention_id'), ['intervention_id'], unique=False)

    op.create_table('timepoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('label_en', sa.Text(), nullable=True),
    sa.Column('label_zh', sa.Text(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=8), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoint.id'], name=op.f('fk_timepoint_endpoint_id_endpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timepoint')),
    sa.UniqueConstraint('endpoint_id', 'key', name=op.f('uq_timepoint_endpoint_id_key'))
    )
    with op.batch_alter_table('timepoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timepoint_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('comparison',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('timepoint_id', sa.Integer(), nullable=True),
    sa.Column('population_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('p_reported', sa.Text(), nullable=True),
    sa.Column('p_comparator', sa.String(length=2), nullable=True),
    sa.Column('p_value', sa.Float(), nullable=True),
    sa.Column('method', sa.Text(), nullable=True),
    sa.Column('effect_measure', sa.Text(), nullable=True),
    sa.Column('effect_reported', sa.Text(), nullable=True),
    sa.Column('effect_value', sa.Float(), nullable=True),
    sa.Column('ci_level', sa.Float(), nullable=True),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('ci_reported', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoint.id'], name=op.f('fk_comparison_endpoint_id_endpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['population_id'], ['population.id'], name=op.f('fk_comparison_population_id_population'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['timepoint_id'], ['timepoint.id'], name=op.f('fk_comparison_timepoint_id_timepoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_comparison_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comparison'))
    )
    with op.batch_alter_table('comparison', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comparison_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comparison_trial_id'), ['trial_id'], unique=False)

    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=False),
    sa.Column('timepoint_id', sa.Integer(), nullable=True),
    sa.Column('population_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.Text(), nullable=True),
    sa.Column('param', sa.String(length=24), nullable=False),
    sa.Column('reported', sa.Text(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('events', sa.Integer(), nullable=True),
    sa.Column('n', sa.Integer(), nullable=True),
    sa.Column('dispersion', sa.String(length=16), nullable=True),
    sa.Column('dispersion_reported', sa.Text(), nullable=True),
    sa.Column('dispersion_value', sa.Float(), nullable=True),
    sa.Column('dispersion_low', sa.Float(), nullable=True),
    sa.Column('dispersion_high', sa.Float(), nullable=True),
    sa.Column('dispersion_level', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('events IS NULL OR n IS NULL OR events <= n', name=op.f('ck_result_events_le_n')),
    sa.ForeignKeyConstraint(['arm_id'], ['arm.id'], name=op.f('fk_result_arm_id_arm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoint.id'], name=op.f('fk_result_endpoint_id_endpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['population_id'], ['population.id'], name=op.f('fk_result_population_id_population'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['timepoint_id'], ['timepoint.id'], name=op.f('fk_result_timepoint_id_timepoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trial_id'], ['trial.id'], name=op.f('fk_result_trial_id_trial'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result'))
    )
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_arm_id'), ['arm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_result_trial_id'), ['trial_id'], unique=False)

    op.create_table('comparison_arm',
    sa.Column('comparison_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('arm_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['arm_id'], ['arm.id'], name=op.f('fk_comparison_arm_arm_id_arm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comparison_id'], ['comparison.id'], name=op.f('fk_comparison_arm_comparison_id_comparison'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comparison_id', 'position', name=op.f('pk_comparison_arm'))
    )
    with op.batch_alter_table('comparison_arm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comparison_arm_arm_id'), ['arm_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('comparison_arm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comparison_arm_arm_id'))

    op.drop_table('comparison_arm')
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_trial_id'))
        batch_op.drop_index(batch_op.f('ix_result_endpoint_id'))
        batch_op.drop_index(batch_op.f('ix_result_arm_id'))

    op.drop_table('result')
    with op.batch_alter_table('comparison', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comparison_trial_id'))
        batch_op.drop_index(batch_op.f('ix_comparison_endpoint_id'))

    op.drop_table('comparison')
    with op.batch_alter_table('timepoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timepoint_endpoint_id'))

    op.drop_table('timepoint')
    with op.batch_alter_table('regimen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regimen_intervention_id'))
        batch_op.drop_index(batch_op.f('ix_regimen_arm_id'))

    op.drop_table('regimen')
    with op.batch_alter_table('provenance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provenance_trial_id'))
        batch_op.drop_index('ix_provenance_entity')

    op.drop_table('provenance')
    with op.batch_alter_table('intervention_arm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_arm_arm_id'))

    op.drop_table('intervention_arm')
    with op.batch_alter_table('endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endpoint_trial_id'))
        batch_op.drop_index(batch_op.f('ix_endpoint_role'))

    op.drop_table('endpoint')
    with op.batch_alter_table('arm_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arm_count_population_id'))
        batch_op.drop_index(batch_op.f('ix_arm_count_arm_id'))

    op.drop_table('arm_count')
    with op.batch_alter_table('adverse_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adverse_event_trial_id'))
        batch_op.drop_index(batch_op.f('ix_adverse_event_arm_id'))

    op.drop_table('adverse_event')
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_trial_id'))

    op.drop_table('source')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_trial_id'))
        batch_op.drop_index(batch_op.f('ix_registration_registry'))

    op.drop_table('registration')
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_trial_id'))

    op.drop_table('publication')
    with op.batch_alter_table('population', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_trial_id'))

    op.drop_table('population')
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_trial_id'))

    op.drop_table('intervention')
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_trial_id'))

    op.drop_table('institution')
    with op.batch_alter_table('condition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_condition_trial_id'))

    op.drop_table('condition')
    with op.batch_alter_table('arm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arm_trial_id'))

    op.drop_table('arm')
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_status'))
        batch_op.drop_index(batch_op.f('ix_trial_curation_status'))

    op.drop_table('trial')
