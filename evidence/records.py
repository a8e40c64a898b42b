"""The curated record format: one trial per YAML or JSON file (`evidence-record/1`).

This is the contract between every importer (source -> Record), the database
(Record <-> tables) and every renderer (Record -> summary). Numbers keep the text
the source printed (`reported`) next to the parsed value; a number the curator or
a tool derived carries a Provenance with `derivation` saying how.

Cross-references inside a record use short `key`s (arm "il2", endpoint "sri4").
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

FORMAT = "evidence-record/1"

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64,
                           description="Short reference key, unique within its list")]
# Strict: `true` or 29.0 is not a count. The upper bound is PostgreSQL's INTEGER,
# so a record valid on SQLite is valid on PostgreSQL too.
Count = Annotated[int, Strict(), Field(ge=0, le=2_147_483_647)]
PartialDate = Annotated[str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
                                   description="ISO date, possibly partial: 2019, 2019-09, 2019-09-19")]


NUL_MESSAGE = "contains a NUL character (U+0000)"


class _RefuseNul:
    """Annotation: no string in the value (a str, list items, dict keys) may hold U+0000.

    U+0000 never occurs in a real report and PostgreSQL text cannot hold it: refuse it
    at validation rather than fail halfway through a database write. The check runs in
    pydantic-core after the type's own validation, without calling Python, and reports
    a value_error on the whole field (`trial.countries`, not `trial.countries[1]`).
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        return cs.chain_schema([
            schema,
            # Rust regex matching needs valid UTF-8: a lone surrogate (YAML "\ud800") is
            # refused here as "not a valid string", never reported as a NUL.
            _strings(schema, cs.str_schema(strict=True, pattern="")),
            cs.custom_error_schema(
                _strings(schema, cs.str_schema(strict=True, pattern=r"\A[^\x00]*\z")),
                custom_error_type="value_error", custom_error_context={"error": NUL_MESSAGE}),
        ])

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The published schema describes the type itself (the chain's first step) in
        # validation and serialization mode alike.
        assert schema["type"] == "chain"
        return handler(schema["steps"][0])


def _strings(schema: CoreSchema, check: CoreSchema) -> CoreSchema:
    """A strict re-validation of a validated value that applies `check` to its strings."""
    match schema["type"]:
        case "str":
            return check
        case "nullable":
            return cs.nullable_schema(_strings(schema["schema"], check), strict=True)
        case "list":
            return cs.list_schema(_strings(schema.get("items_schema", cs.any_schema()), check),
                                  strict=True)
        case "dict":
            return cs.dict_schema(_strings(schema.get("keys_schema", cs.any_schema()), check),
                                  schema.get("values_schema"), strict=True)
        case _:
            # Anything else is passed through as validated (a model instance is not
            # validated again); keeping the schema keeps its serializer.
            return schema


# Every string field of the format is Str, StrList or carries _NO_NUL; a test walks
# the models to keep it so.
_NO_NUL = _RefuseNul()
Str = Annotated[str, _NO_NUL]
StrList = Annotated[list[str], _NO_NUL]


class Model(BaseModel):
    # Unknown fields are rejected, never dropped: a typo must not lose data.
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_default=True)


class Text(Model):
    """The same text in English and Chinese; either may be missing."""

    en: Str | None = None
    zh: Str | None = None

    def get(self, lang: str) -> str | None:
        return self.zh if lang == "zh" else self.en


def _empty_text_is_none(value: Any) -> Any:
    # {} and {en: null, zh: null} say nothing; store them as absent so a record
    # reads back from the database exactly as it was written.
    if isinstance(value, dict) and not any(v is not None for v in value.values()):
        return None
    if isinstance(value, Text) and value.en is None and value.zh is None:
        return None
    return value


OptText = Annotated[Text | None, BeforeValidator(_empty_text_is_none)]


# --- enumerations -----------------------------------------------------------------

class CurationStatus(StrEnum):
    draft = "draft"
    reviewed = "reviewed"
    verified = "verified"


class StudyType(StrEnum):
    interventional = "interventional"
    observational = "observational"
    expanded_access = "expanded_access"


class Allocation(StrEnum):
    randomised = "randomised"
    non_randomised = "non_randomised"
    not_applicable = "not_applicable"


class Masking(StrEnum):
    none = "none"  # open label
    single = "single"
    double = "double"
    triple = "triple"
    quadruple = "quadruple"


class Control(StrEnum):
    placebo = "placebo"
    active = "active"
    no_treatment = "no_treatment"
    dose_comparison = "dose_comparison"
    historical = "historical"
    usual_care = "usual_care"
    none = "none"


class Phase(StrEnum):
    early_phase1 = "early_phase1"
    phase1 = "phase1"
    phase2 = "phase2"
    phase3 = "phase3"
    phase4 = "phase4"
    not_applicable = "not_applicable"


class ArmRole(StrEnum):
    experimental = "experimental"
    placebo_comparator = "placebo_comparator"
    active_comparator = "active_comparator"
    sham_comparator = "sham_comparator"
    no_intervention = "no_intervention"
    other = "other"


class PopulationKind(StrEnum):
    itt = "itt"
    mitt = "mitt"
    per_protocol = "per_protocol"
    safety = "safety"
    baseline = "baseline"
    subgroup = "subgroup"
    other = "other"


class EndpointRole(StrEnum):
    primary = "primary"
    secondary = "secondary"
    safety = "safety"
    exploratory = "exploratory"
    other = "other"


class MeasureKind(StrEnum):
    proportion = "proportion"
    continuous = "continuous"
    # The member shadows str.count; the value must read "count" in record files.
    count = "count"  # type: ignore[assignment]
    time_to_event = "time_to_event"
    other = "other"


class ParamType(StrEnum):
    """What `value` of an arm-level result is (ClinicalTrials.gov paramType, widened)."""

    proportion = "proportion"  # value is a percentage or fraction of n; events/n may be known
    count = "count"  # type: ignore[assignment]  # participants or units (events)
    number = "number"
    mean = "mean"
    ls_mean = "ls_mean"
    geometric_mean = "geometric_mean"
    median = "median"
    geometric_ls_mean = "geometric_ls_mean"
    log_mean = "log_mean"


class Dispersion(StrEnum):
    sd = "sd"
    se = "se"
    ci = "ci"  # with `dispersion_level` (95 unless stated)
    iqr = "iqr"
    range = "range"
    geometric_cv = "geometric_cv"
    other = "other"


class TimeUnit(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"
    year = "year"


class SourceKind(StrEnum):
    abstract = "abstract"
    full_text = "full_text"
    registry = "registry"
    bibliographic = "bibliographic"  # PubMed and similar citation records
    curator = "curator"


# --- provenance -------------------------------------------------------------------

class Source(Model):
    """A document numbers came from; referred to by `key` from every Provenance."""

    key: Key
    kind: SourceKind
    locator: Str | None = Field(None, description="File, URL, PMID or DOI of the source")
    language: Str | None = None
    curator: Str | None = None
    retrieved: dt.date | None = None
    note: Str | None = None


class Provenance(Model):
    """Where one entity (or one field of it) came from."""

    source: Key
    locator: Str | None = Field(None, description="Place inside the source: section, table, path")
    span: tuple[int, int] | None = Field(
        None, description="Character offsets [start, end) in the source text")
    quote: Str | None = Field(None, description="The sentence or cell as printed")
    derivation: Str | None = Field(None, description="Set when the value was derived, saying how")


class Traced(Model):
    """Mixin: row-level provenance plus per-field overrides (`events`, `n`, ...)."""

    provenance: Provenance | None = None
    field_provenance: Annotated[dict[str, Provenance], _NO_NUL] = Field(default_factory=dict)


# --- trial ------------------------------------------------------------------------

class Design(Model):
    study_type: StudyType | None = None
    allocation: Allocation | None = None
    masking: Masking | None = None
    masked_roles: StrList = Field(default_factory=list)
    control: Control | None = None
    phases: list[Phase] = Field(default_factory=list)
    model: Str | None = Field(None, description="parallel, crossover, factorial, single_group ...")
    purpose: Str | None = None


class Enrollment(Model):
    planned: Count | None = None
    actual: Count | None = None


class Institution(Model):
    name: Text
    city: Str | None = None
    country: Str | None = None


class Trial(Traced):
    title: Text
    official_title: Str | None = None
    acronym: Str | None = None
    conditions: list[Text] = Field(default_factory=list)
    design: Design = Field(default_factory=Design)
    enrollment: Enrollment = Field(default_factory=Enrollment)
    start_date: PartialDate | None = None
    primary_completion_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    sponsor: Str | None = None
    institutions: list[Institution] = Field(default_factory=list)
    countries: StrList = Field(default_factory=list)
    status: Str | None = Field(None, description="Recruitment status: completed, recruiting ...")
    curation_status: CurationStatus = CurationStatus.draft
    brief_summary: Str | None = None


class Registration(Model):
    registry: Str | None = Field(None, description="Registry code; inferred from the identifier when omitted")
    identifier: Str


class AbstractSection(Model):
    label: Text
    text: Text


class Publication(Model):
    pmid: Annotated[str, Field(pattern=r"^\d{1,9}$")] | None = None
    pmcid: Annotated[str, Field(pattern=r"^PMC\d+$")] | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$"), _NO_NUL] | None = None
    journal: Str | None = None
    journal_abbrev: Str | None = None
    year: int | None = None
    volume: Str | None = None
    issue: Str | None = None
    pages: Str | None = None
    epub_date: dt.date | None = None
    title: Text = Field(default_factory=Text)
    abstract: Text = Field(default_factory=Text)
    abstract_sections: list[AbstractSection] = Field(default_factory=list)
    publication_types: StrList = Field(default_factory=list)

    @field_validator("doi")
    @classmethod
    def _doi_lower(cls, value: str | None) -> str | None:
        # DOIs are case-insensitive (ISO 26324); store lower case so lookups match.
        return value.lower() if value else value


class Population(Model):
    key: Key
    label: Text
    kind: PopulationKind = PopulationKind.other
    description: Str | None = None


class ArmCount(Traced):
    """Participants of an arm in one analysis population, where it differs from n_analysed."""

    population: Key
    n: Count


class Arm(Traced):
    key: Key
    label: Text
    role: ArmRole = ArmRole.other
    n_randomised: Count | None = None
    n_analysed: Count | None = None
    description: Str | None = None
    counts: list[ArmCount] = Field(default_factory=list)


class Duration(Model):
    value: Annotated[float, Field(gt=0)]
    unit: TimeUnit
    reported: Str | None = Field(None, description="As printed, e.g. '12 weeks'")


class Regimen(Traced):
    """A typed dosing regimen; the free-text `description` is kept as printed."""

    arm: Key | None = None
    dose: OptText = Field(None, description="Dose as printed: '1 million IU', '100 万 IU'")
    dose_amount: Annotated[float, Field(ge=0)] | None = None
    dose_unit: Str | None = None
    route: Str | None = Field(None, description="subcutaneous, intravenous, oral, ...")
    frequency: Str | None = Field(None, description="Code: qd, bid, tid, qid, qod, qw, q2w, q4w, once, prn")
    frequency_text: OptText = None
    cycle_on: Duration | None = None
    cycle_off: Duration | None = None
    cycles: Count | None = None
    treatment_duration: Duration | None = None
    follow_up: Duration | None = None
    background: OptText = Field(None, description="Background therapy: 'standard treatment'")
    description: OptText = None


class Intervention(Traced):
    key: Key
    name: Text
    kind: Str | None = Field(None, description="drug, biological, device, procedure, behavioral, ...")
    description: Str | None = None
    other_names: StrList = Field(default_factory=list)
    arms: list[Key] = Field(default_factory=list)
    regimens: list[Regimen] = Field(default_factory=list)


class Timepoint(Model):
    key: Key
    label: Text
    value: Annotated[float, Field(ge=0)] | None = None
    unit: TimeUnit | None = None


class Endpoint(Traced):
    key: Key
    name: Text
    role: EndpointRole = EndpointRole.other
    measure: MeasureKind = MeasureKind.other
    description: Str | None = None
    time_frame: Str | None = Field(None, description="Time frame as printed")
    unit: Str | None = None
    population: Key | None = Field(None, description="Default population or subgroup of its results")
    timepoints: list[Timepoint] = Field(default_factory=list)
    primary_timepoint: Key | None = Field(None, description="The timepoint the endpoint was defined at")
    met: bool | None = Field(None, description="Whether the source states the endpoint was met")


class ArmResult(Traced):
    """One arm's value for endpoint x timepoint x population (x category)."""

    endpoint: Key
    arm: Key
    timepoint: Key | None = None
    population: Key | None = None
    category: Str | None = Field(None, description="Class/category title in the source table")
    param: ParamType
    reported: Str | None = Field(None, description="The value exactly as printed: '55.17%'")
    value: float | None = None
    unit: Str | None = None
    events: Count | None = None
    n: Count | None = None
    dispersion: Dispersion | None = None
    dispersion_reported: Str | None = None
    dispersion_value: float | None = None
    dispersion_low: float | None = None
    dispersion_high: float | None = None
    dispersion_level: float | None = None
    note: Str | None = Field(None, description="A comment printed with the value")


class Comparison(Traced):
    """A between-arm statistic as reported.

    `arms` is ordered as the effect is: a risk ratio of arms [a, b] is risk(a) / risk(b).
    """

    endpoint: Key
    timepoint: Key | None = None
    population: Key | None = None
    arms: list[Key] = Field(min_length=2)
    p_reported: Str | None = Field(None, description="p-value as printed: 'p=0.052', '<0.001'")
    p_comparator: Annotated[str, Field(pattern=r"^(=|<|<=|>|>=)$"), _NO_NUL] | None = None
    p_value: Annotated[float, Field(ge=0, le=1)] | None = None
    method: Str | None = None
    effect_measure: Str | None = None
    effect_reported: Str | None = None
    effect_value: float | None = None
    ci_level: Annotated[float, Field(gt=0, lt=100)] | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_reported: Str | None = Field(None, description="The CI as printed: '0.62 to 1.27'")
    description: Str | None = None


class AdverseEvent(Traced):
    term: Text
    arm: Key
    serious: bool
    organ_system: Str | None = None
    affected: Count | None = None
    at_risk: Count | None = None
    events: Count | None = None
    vocabulary: Str | None = None


class Record(Model):
    """One trial and everything extracted about it."""

    format: Str = Field(FORMAT, pattern=re.escape(FORMAT).replace("1", r"\d+"))
    base_version: Annotated[int, Field(ge=1)] | None = Field(
        None, description="The trial version this file was exported from; an import refuses "
                          "the file if the trial has changed since (optimistic locking)")
    trial: Trial
    registrations: list[Registration] = Field(default_factory=list)
    publications: list[Publication] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    populations: list[Population] = Field(default_factory=list)
    arms: list[Arm] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    results: list[ArmResult] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)
    adverse_events: list[AdverseEvent] = Field(default_factory=list)

    def label(self) -> str:
        """A short name for messages: first registration ID, else PMID, else title."""
        if self.registrations:
            return self.registrations[0].identifier
        for pub in self.publications:
            if pub.pmid:
                return f"PMID {pub.pmid}"
            if pub.doi:
                return pub.doi
        return (self.trial.title.en or self.trial.title.zh or "untitled")[:60]


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the record format."""
    schema = Record.model_json_schema()
    schema["$id"] = "https://evidence.invalid/schema/evidence-record-1.json"
    schema["title"] = "evidence record (evidence-record/1)"
    return schema
