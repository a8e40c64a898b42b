"""Every table of the evidence database, as SQLModel classes (the schema's source of truth).

Rows are written with SQLAlchemy Core bulk inserts (see crud.py), not per-object
ORM adds: the ORM path is ~40x slower at registry scale. Choice lists are stored
as short strings with named CHECK constraints rather than database enum types,
so that adding a value is a plain migration on both SQLite and PostgreSQL.
Every child row carries `position` so a record reads back in its original order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, MetaData, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Trap: the naming convention must be set before the first table class is defined,
# or constraints are created unnamed and later migrations cannot drop them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

CURATION_STATUSES = ("draft", "reviewed", "verified")
ARM_ROLES = ("experimental", "placebo_comparator", "active_comparator", "sham_comparator",
             "no_intervention", "other")
ENDPOINT_ROLES = ("primary", "secondary", "safety", "exploratory", "other")


def table_of(model: type[SQLModel]) -> Table:
    """The Core Table of a model, for bulk inserts and selects without the ORM."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _trial_fk() -> Any:
    return Field(foreign_key="trial.id", ondelete="CASCADE", index=True)


def _text() -> Any:
    return Field(default=None, sa_type=Text)


def _json_list() -> Any:
    return Field(default=None, sa_type=JSON)


class Trial(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(_in("curation_status", CURATION_STATUSES), name="curation_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title_en: str | None = _text()
    title_zh: str | None = _text()
    official_title: str | None = _text()
    acronym: str | None = Field(default=None, sa_type=String(100))
    study_type: str | None = Field(default=None, sa_type=String(32))
    allocation: str | None = Field(default=None, sa_type=String(32))
    masking: str | None = Field(default=None, sa_type=String(32))
    masked_roles: list[str] | None = _json_list()
    control: str | None = Field(default=None, sa_type=String(32))
    phases: list[str] | None = _json_list()
    design_model: str | None = Field(default=None, sa_type=String(64))
    purpose: str | None = Field(default=None, sa_type=String(64))
    enrollment_planned: int | None = None
    enrollment_actual: int | None = None
    start_date: str | None = Field(default=None, sa_type=String(10))
    primary_completion_date: str | None = Field(default=None, sa_type=String(10))
    completion_date: str | None = Field(default=None, sa_type=String(10))
    sponsor: str | None = _text()
    countries: list[str] | None = _json_list()
    status: str | None = Field(default=None, sa_type=String(40), index=True)
    curation_status: str = Field(default="draft", sa_type=String(16), index=True)
    brief_summary: str | None = _text()
    content_hash: str = Field(sa_type=String(64))
    # Optimistic locking: every change bumps it; an edit based on an older one is refused.
    version: int = Field(default=1)
    last_editor: str | None = Field(default=None, sa_type=String(120))
    created_at: dt.datetime
    updated_at: dt.datetime


class Condition(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    name_en: str | None = _text()
    name_zh: str | None = _text()


class Institution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    name_en: str | None = _text()
    name_zh: str | None = _text()
    city: str | None = _text()
    country: str | None = _text()


class Registration(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("identifier"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    # Attribute `registry` is reserved by SQLAlchemy's declarative base; the column keeps the name.
    registry_code: str = Field(sa_type=String(32), index=True, sa_column_kwargs={"name": "registry"})
    identifier: str = Field(sa_type=String(64))
    known_registry: bool = True  # False: stored as given but flagged for the curator


class Publication(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("pmid"), UniqueConstraint("doi"))
    id: int | None = Field(default=None, primary_key=True)
    # Nullable: a PubMed article that reports no trial is stored as a publication only.
    trial_id: int | None = Field(default=None, foreign_key="trial.id", ondelete="CASCADE",
                                 index=True)
    position: int = 0
    pmid: str | None = Field(default=None, sa_type=String(12))
    pmcid: str | None = Field(default=None, sa_type=String(16))
    doi: str | None = Field(default=None, sa_type=String(255))
    journal: str | None = _text()
    journal_abbrev: str | None = _text()
    year: int | None = None
    volume: str | None = Field(default=None, sa_type=String(32))
    issue: str | None = Field(default=None, sa_type=String(32))
    pages: str | None = Field(default=None, sa_type=String(64))
    epub_date: dt.date | None = None
    title_en: str | None = _text()
    title_zh: str | None = _text()
    abstract_en: str | None = _text()
    abstract_zh: str | None = _text()
    abstract_sections: list[dict[str, Any]] | None = _json_list()
    publication_types: list[str] | None = _json_list()


class Source(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("trial_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    key: str = Field(sa_type=String(64))
    kind: str = Field(sa_type=String(32))
    locator: str | None = _text()
    language: str | None = Field(default=None, sa_type=String(16))
    curator: str | None = _text()
    retrieved: dt.date | None = None
    note: str | None = _text()


class Population(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("trial_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    key: str = Field(sa_type=String(64))
    label_en: str | None = _text()
    label_zh: str | None = _text()
    kind: str = Field(sa_type=String(32))
    description: str | None = _text()


class Arm(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("trial_id", "key"),
        CheckConstraint(_in("role", ARM_ROLES), name="role"),
        CheckConstraint("n_analysed IS NULL OR n_randomised IS NULL OR n_analysed <= n_randomised",
                        name="analysed_le_randomised"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    key: str = Field(sa_type=String(64))
    label_en: str | None = _text()
    label_zh: str | None = _text()
    role: str = Field(sa_type=String(32))
    n_randomised: int | None = None
    n_analysed: int | None = None
    description: str | None = _text()


class ArmCount(SQLModel, table=True):
    __tablename__ = "arm_count"
    id: int | None = Field(default=None, primary_key=True)
    arm_id: int = Field(foreign_key="arm.id", ondelete="CASCADE", index=True)
    population_id: int = Field(foreign_key="population.id", ondelete="CASCADE", index=True)
    position: int
    n: int


class Intervention(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("trial_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    key: str = Field(sa_type=String(64))
    name_en: str | None = _text()
    name_zh: str | None = _text()
    kind: str | None = Field(default=None, sa_type=String(40))
    description: str | None = _text()
    other_names: list[str] | None = _json_list()


class InterventionArm(SQLModel, table=True):
    __tablename__ = "intervention_arm"
    intervention_id: int = Field(foreign_key="intervention.id", ondelete="CASCADE",
                                 primary_key=True)
    arm_id: int = Field(foreign_key="arm.id", ondelete="CASCADE", primary_key=True, index=True)
    position: int


class Regimen(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    intervention_id: int = Field(foreign_key="intervention.id", ondelete="CASCADE", index=True)
    arm_id: int | None = Field(default=None, foreign_key="arm.id", ondelete="CASCADE", index=True)
    position: int
    dose_en: str | None = _text()
    dose_zh: str | None = _text()
    dose_amount: float | None = None
    dose_unit: str | None = Field(default=None, sa_type=String(40))
    route: str | None = Field(default=None, sa_type=String(40))
    frequency: str | None = Field(default=None, sa_type=String(16))
    frequency_text_en: str | None = _text()
    frequency_text_zh: str | None = _text()
    cycle_on_value: float | None = None
    cycle_on_unit: str | None = Field(default=None, sa_type=String(8))
    cycle_on_reported: str | None = _text()
    cycle_off_value: float | None = None
    cycle_off_unit: str | None = Field(default=None, sa_type=String(8))
    cycle_off_reported: str | None = _text()
    cycles: int | None = None
    treatment_duration_value: float | None = None
    treatment_duration_unit: str | None = Field(default=None, sa_type=String(8))
    treatment_duration_reported: str | None = _text()
    follow_up_value: float | None = None
    follow_up_unit: str | None = Field(default=None, sa_type=String(8))
    follow_up_reported: str | None = _text()
    background_en: str | None = _text()
    background_zh: str | None = _text()
    description_en: str | None = _text()
    description_zh: str | None = _text()


class Endpoint(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("trial_id", "key"),
        CheckConstraint(_in("role", ENDPOINT_ROLES), name="role"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    key: str = Field(sa_type=String(64))
    name_en: str | None = _text()
    name_zh: str | None = _text()
    role: str = Field(sa_type=String(16), index=True)
    measure: str = Field(sa_type=String(16))
    description: str | None = _text()
    time_frame: str | None = _text()
    unit: str | None = _text()
    population_id: int | None = Field(default=None, foreign_key="population.id",
                                      ondelete="SET NULL")
    met: bool | None = None


class Timepoint(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("endpoint_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="endpoint.id", ondelete="CASCADE", index=True)
    position: int
    key: str = Field(sa_type=String(64))
    label_en: str | None = _text()
    label_zh: str | None = _text()
    value: float | None = None
    unit: str | None = Field(default=None, sa_type=String(8))
    is_primary: bool = False


class Result(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("events IS NULL OR n IS NULL OR events <= n", name="events_le_n"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    endpoint_id: int = Field(foreign_key="endpoint.id", ondelete="CASCADE", index=True)
    arm_id: int = Field(foreign_key="arm.id", ondelete="CASCADE", index=True)
    timepoint_id: int | None = Field(default=None, foreign_key="timepoint.id", ondelete="CASCADE")
    population_id: int | None = Field(default=None, foreign_key="population.id",
                                      ondelete="CASCADE")
    position: int
    category: str | None = _text()
    param: str = Field(sa_type=String(24))
    reported: str | None = _text()
    value: float | None = None
    unit: str | None = _text()
    events: int | None = None
    n: int | None = None
    dispersion: str | None = Field(default=None, sa_type=String(16))
    dispersion_reported: str | None = _text()
    dispersion_value: float | None = None
    dispersion_low: float | None = None
    dispersion_high: float | None = None
    dispersion_level: float | None = None
    note: str | None = _text()


class Comparison(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    endpoint_id: int = Field(foreign_key="endpoint.id", ondelete="CASCADE", index=True)
    timepoint_id: int | None = Field(default=None, foreign_key="timepoint.id", ondelete="CASCADE")
    population_id: int | None = Field(default=None, foreign_key="population.id",
                                      ondelete="CASCADE")
    position: int
    p_reported: str | None = _text()
    p_comparator: str | None = Field(default=None, sa_type=String(2))
    p_value: float | None = None
    method: str | None = _text()
    effect_measure: str | None = _text()
    effect_reported: str | None = _text()
    effect_value: float | None = None
    ci_level: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_reported: str | None = _text()
    description: str | None = _text()


class ComparisonArm(SQLModel, table=True):
    __tablename__ = "comparison_arm"
    comparison_id: int = Field(foreign_key="comparison.id", ondelete="CASCADE", primary_key=True)
    position: int = Field(primary_key=True)
    arm_id: int = Field(foreign_key="arm.id", ondelete="CASCADE", index=True)


class AdverseEvent(SQLModel, table=True):
    __tablename__ = "adverse_event"
    __table_args__ = (
        CheckConstraint("affected IS NULL OR at_risk IS NULL OR affected <= at_risk",
                        name="affected_le_at_risk"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    arm_id: int = Field(foreign_key="arm.id", ondelete="CASCADE", index=True)
    position: int
    term_en: str | None = _text()
    term_zh: str | None = _text()
    serious: bool
    organ_system: str | None = _text()
    affected: int | None = None
    at_risk: int | None = None
    events: int | None = None
    vocabulary: str | None = Field(default=None, sa_type=String(64))


class Provenance(SQLModel, table=True):
    """Where an entity, or one field of it (`field`), came from; `derivation` marks derived values."""

    __table_args__ = (Index("ix_provenance_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    entity: str = Field(sa_type=String(24))
    entity_id: int
    field: str | None = Field(default=None, sa_type=String(64))
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    locator: str | None = _text()
    span_start: int | None = None
    span_end: int | None = None
    quote: str | None = _text()
    derivation: str | None = _text()


class GlossaryTerm(SQLModel, table=True):
    """A curated English -> Chinese term that fills gaps in records' Chinese fields."""

    __tablename__ = "glossary_term"
    __table_args__ = (UniqueConstraint("term_key"),)
    id: int | None = Field(default=None, primary_key=True)
    # Case- and space-folded English term: "Lupus  Nephritis" and "lupus nephritis" are one.
    term_key: str = Field(sa_type=String(255))
    term_en: str = Field(sa_type=Text)
    term_zh: str = Field(sa_type=Text)
    domain: str | None = Field(default=None, sa_type=String(40), index=True)
    updated_at: dt.datetime


class Finding(SQLModel, table=True):
    """A stored result of `evidence check` for a trial, refreshed on every import."""

    __table_args__ = (
        CheckConstraint("severity IN ('error', 'warning')", name="severity"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    position: int
    check_name: str = Field(sa_type=String(40), index=True)  # "check" is reserved in SQL
    severity: str = Field(sa_type=String(8))
    path: str = Field(sa_type=String(120))
    message: str = Field(sa_type=Text)
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    checked_at: dt.datetime


AUDIT_ACTIONS = ("import", "edit", "merge", "review", "reject", "reopen", "adjudicate", "delete")


class AuditEvent(SQLModel, table=True):
    """One change to a trial, written in the same transaction as the change.

    Append-only: the program never updates or deletes these rows. `trial_id` has no
    foreign key on purpose, so a trial's history outlives the trial.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_event_trial", "trial_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int | None = None
    trial_label: str = Field(sa_type=String(120))
    action: str = Field(sa_type=String(16))
    curator: str = Field(sa_type=String(120))
    command: str | None = _text()
    at: dt.datetime
    version_before: int | None = None
    version_after: int | None = None
    status_before: str | None = Field(default=None, sa_type=String(16))
    status_after: str | None = Field(default=None, sa_type=String(16))
    reason: str | None = _text()
    # [{"path": "arms[il2].n_analysed", "before": 30, "after": 29}, ...]
    changes: list[dict[str, Any]] | None = _json_list()


class Extraction(SQLModel, table=True):
    """One curator's own extraction of a trial, kept apart until adjudicated."""

    __table_args__ = (UniqueConstraint("trial_key", "curator"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_key: str = Field(sa_type=String(64), index=True)
    curator: str = Field(sa_type=String(120))
    record: dict[str, Any] = Field(sa_type=JSON)
    content_hash: str = Field(sa_type=String(64))
    source_file: str | None = _text()
    submitted_at: dt.datetime


class Adjudication(SQLModel, table=True):
    """The decisions that turned two extractions into the consensus record."""

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int | None = Field(default=None, foreign_key="trial.id", ondelete="SET NULL",
                                 index=True)
    trial_key: str = Field(sa_type=String(64))
    curator: str = Field(sa_type=String(120))
    extraction_a_id: int = Field(foreign_key="extraction.id")
    extraction_b_id: int = Field(foreign_key="extraction.id")
    decisions: dict[str, Any] = Field(sa_type=JSON)
    decided_at: dt.datetime


class SourceDigest(SQLModel, table=True):
    """This trial is, unchanged, what item `position` of a source file with this digest gave.

    Lets a re-import skip a registry file it has already imported without parsing
    it. The digest covers the file's bytes, its format and the importer's mapping
    version. Any other write to the trial deletes its rows here (crud), and a
    deleted trial takes them along, so a match always means "nothing would change".
    """

    __tablename__ = "source_digest"
    __table_args__ = (UniqueConstraint("digest", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = _trial_fk()
    digest: str = Field(sa_type=String(64))
    position: int  # the item's place in the file (0 for a file of one study)
    items: int  # how many items the file held: the file is skipped only if all are here
    label: str = Field(sa_type=String(120))
    suffix: str = Field(sa_type=String(64))  # the item's locator after the file's, e.g. "#[3]"
    imported_at: dt.datetime
