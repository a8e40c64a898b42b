"""ClinicalTrials.gov API v2 study JSON -> Record (pure; no network, no database).

Mapping rules that are judgement calls, so a curator can check them:

- Results groups (FG/BG/OG/EG) are linked to registered arms only by title. We
  match on the title with case and whitespace normalised, then on a description
  identical to one arm's, and nothing cleverer: "Placebo (FAS)" is not silently
  taken to be arm "Placebo". A group that matches
  no arm is kept as an extra arm with role `other` (its numbers are not lost), its
  provenance says it was created from a results group, and the item notes say so.
  Groups titled "Total" are sums of arms, not arms, and are left out.
- p-values are kept as printed (`p_reported`) and split into comparator and value;
  "0.65" means "=". Numbers that do not parse keep their text with value None.
- POST_HOC outcome measures become `exploratory` endpoints; OTHER_PRE_SPECIFIED `other`.
- Identifiers of other registries (EudraCT, ISRCTN, ...) become registrations;
  sponsor and grant numbers are not registrations and go to the source note.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import ValidationError

from evidence import registries
from evidence.errors import RecordError, SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.sources import decode_text
from evidence.recordio import field_path
from evidence.records import (
    AdverseEvent,
    Allocation,
    Arm,
    ArmCount,
    ArmResult,
    ArmRole,
    Comparison,
    Control,
    Design,
    Dispersion,
    Endpoint,
    EndpointRole,
    Enrollment,
    Intervention,
    Masking,
    ParamType,
    Phase,
    Population,
    PopulationKind,
    Provenance,
    Record,
    Regimen,
    Registration,
    Source,
    SourceKind,
    StudyType,
    Text,
    Trial,
)
from evidence.validation import check_record

SOURCE_KEY = "ctgov"
Obj = dict[str, Any]

_STUDY_TYPE = {"INTERVENTIONAL": StudyType.interventional,
               "OBSERVATIONAL": StudyType.observational,
               "EXPANDED_ACCESS": StudyType.expanded_access}
_ALLOCATION = {"RANDOMIZED": Allocation.randomised, "NON_RANDOMIZED": Allocation.non_randomised,
               "NA": Allocation.not_applicable}
_MASKING = {m.name.upper(): m for m in Masking}
_PHASE = {**{p.name.upper(): p for p in Phase}, "NA": Phase.not_applicable}
_ARM_ROLE = {r.name.upper(): r for r in ArmRole}
# Sham is a placebo procedure; the record format has no separate sham control.
_CONTROL = ((ArmRole.placebo_comparator, Control.placebo),
            (ArmRole.sham_comparator, Control.placebo),
            (ArmRole.active_comparator, Control.active),
            (ArmRole.no_intervention, Control.no_treatment))
_ENDPOINT_ROLE = {"PRIMARY": EndpointRole.primary, "SECONDARY": EndpointRole.secondary,
                  "OTHER_PRE_SPECIFIED": EndpointRole.other, "OTHER": EndpointRole.other,
                  "POST_HOC": EndpointRole.exploratory}
_PARAM = {"COUNT_OF_PARTICIPANTS": ParamType.count, "COUNT_OF_UNITS": ParamType.count,
          "NUMBER": ParamType.number, "MEAN": ParamType.mean, "MEDIAN": ParamType.median,
          "LEAST_SQUARES_MEAN": ParamType.ls_mean, "GEOMETRIC_MEAN": ParamType.geometric_mean,
          "GEOMETRIC_LEAST_SQUARES_MEAN": ParamType.geometric_ls_mean,
          "LOG_MEAN": ParamType.log_mean}
_DISPERSION = {"STANDARD_DEVIATION": Dispersion.sd, "STANDARD_ERROR": Dispersion.se,
               "STANDARD_ERROR_OF_MEAN": Dispersion.se, "FULL_RANGE": Dispersion.range,
               "INTER_QUARTILE_RANGE": Dispersion.iqr,
               "GEOMETRIC_COEFFICIENT_OF_VARIATION": Dispersion.geometric_cv,
               "GEOMETRIC_COEFFICIENT": Dispersion.geometric_cv}
# "95% Confidence Interval" (as served) or CONFIDENCE_95 / CONFIDENCE_975 (API enum).
_CI_TEXT = re.compile(r"^(\d+(?:\.\d+)?)_CONFIDENCE_INTERVAL$")
_CI_ENUM = re.compile(r"^CONFIDENCE_(\d+)$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_P_VALUE = re.compile(
    r"^(?:p\s*)?(<=|>=|≤|≥|<|>|=)?\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$", re.IGNORECASE)
_TOTAL_TITLES = frozenset({"total", "total title"})
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# --- small pure helpers ------------------------------------------------------------

def code(value: str) -> str:
    """'Least Squares Mean' or 'LEAST_SQUARES_MEAN' -> 'LEAST_SQUARES_MEAN'."""
    return re.sub(r"[^A-Z0-9.]+", "_", value.upper()).strip("_")


def parse_number(text: str | None) -> float | None:
    """A plain decimal as printed ('7.0', '-1.5e-3') as float; None for 'NA', '1,234', ''."""
    if text is None:
        return None
    stripped = text.strip()
    if not _NUMBER.match(stripped):
        return None
    value = float(stripped)
    return value if math.isfinite(value) else None  # "1e999" overflows: keep the text only


def split_p_value(text: str) -> tuple[str | None, float | None]:
    """'<0.001' -> ('<', 0.001); '=0.247' -> ('=', 0.247); '0.65' -> ('=', 0.65)."""
    match = _P_VALUE.match(text.strip())
    if match is None:
        return None, None
    comparator = {"≤": "<=", "≥": ">="}.get(match.group(1) or "=", match.group(1) or "=")
    value = float(match.group(2))
    return (comparator, value) if 0 <= value <= 1 else (None, None)  # also rejects inf


def norm_title(text: str) -> str:
    """Titles compared with case and runs of whitespace ignored, nothing more."""
    return " ".join(text.split()).casefold()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")


class _Keys:
    """Unique record keys made from titles ('Placebo qw' -> 'placebo-qw', then '-2')."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, text: str, fallback: str) -> str:
        base = _slug(text) or fallback
        key, n = base, 1
        while key in self.used:
            n += 1
            key = f"{base}-{n}"
        self.used.add(key)
        return key


def _dispersion(kind: str) -> tuple[Dispersion, float | None]:
    kind_code = code(kind)
    if kind_code in _DISPERSION:
        return _DISPERSION[kind_code], None
    if match := _CI_TEXT.match(kind_code):
        return Dispersion.ci, float(match.group(1))
    if match := _CI_ENUM.match(kind_code):
        digits = match.group(1)
        # The API spells 97.5% as CONFIDENCE_975.
        return Dispersion.ci, float(digits) / (10 if len(digits) == 3 else 1)
    if kind_code == "CONFIDENCE_OTHER":
        return Dispersion.ci, None
    return Dispersion.other, None


# --- typed access to the JSON, failing with the path inside the document ---------

def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Doc:
    def __init__(self, locator: str) -> None:
        self.locator = locator

    def fail(self, path: str, message: str) -> SourceFormatError:
        return SourceFormatError(message, file=self.locator, field=path or None)

    def obj(self, parent: Obj, key: str, path: str) -> Obj:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(_join(path, key), f"expected an object, found {_kind(value)}")
        return value

    def objs(self, parent: Obj, key: str, path: str) -> Iterator[tuple[str, Obj]]:
        for i, item in enumerate(self.items(parent, key, path)):
            item_path = _join(_join(path, key), i)
            if not isinstance(item, dict):
                raise self.fail(item_path, f"expected an object, found {_kind(item)}")
            yield item_path, item

    def items(self, parent: Obj, key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(_join(path, key), f"expected a list, found {_kind(value)}")
        return value

    def text(self, parent: Obj, key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(_join(path, key), f"expected text, found {_kind(value)}")
        return value

    def texts(self, parent: Obj, key: str, path: str) -> list[str]:
        out = []
        for i, item in enumerate(self.items(parent, key, path)):
            if not isinstance(item, str):
                raise self.fail(_join(_join(path, key), i), f"expected text, found {_kind(item)}")
            out.append(item)
        return out

    def count(self, parent: Obj, key: str, path: str) -> int | None:
        """A whole number ≥ 0; the API writes numbers, denominators are digit strings."""
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self.fail(_join(path, key), f"expected a count (whole number ≥ 0), found {value!r}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number"}.get(type(value), "null")


def _where(obj: Obj, path: str) -> str:
    """The locator of `obj` in its source: the JSON path, or the XML path the XML reader left."""
    xml_path = obj.get("@path")
    return xml_path if isinstance(xml_path, str) else path


# --- the study parser ----------------------------------------------------------------

class _Study:
    """Builds one Record from one study object; collects notes instead of guessing."""

    def __init__(self, study: Obj, locator: str, source_format: str) -> None:
        self.doc = _Doc(locator)
        self.study = study
        self.source_format = source_format
        self.notes: list[str] = []
        self.arm_keys = _Keys()
        self.iv_keys = _Keys()
        self.arms: list[Arm] = []
        self.arm_by_title: dict[str, str] = {}  # normalised label -> key (registered arms)
        self.arm_by_description: dict[str, str | None] = {}  # None: shared by several arms
        self.group_arms: dict[str, str] = {}  # normalised title -> key (matched or made)
        self.interventions: list[Intervention] = []
        self.endpoints: list[Endpoint] = []
        self.planned: list[tuple[str, Endpoint]] = []  # (normalised title, endpoint)
        self.matched: set[str] = set()
        self.populations: list[Population] = []
        self.population_by_text: dict[str, str] = {}
        self.results: list[ArmResult] = []
        self.comparisons: list[Comparison] = []
        self.adverse_events: list[AdverseEvent] = []

    def prov(self, obj: Obj, path: str, derivation: str | None = None) -> Provenance:
        return Provenance(source=SOURCE_KEY, locator=_where(obj, path), derivation=derivation)

    # protocol section ---------------------------------------------------------

    def build(self) -> Record:
        doc = self.doc
        if "protocolSection" not in self.study:
            raise doc.fail("protocolSection", "study has no protocolSection: not a "
                           "ClinicalTrials.gov API v2 study record")
        protocol = doc.obj(self.study, "protocolSection", "")
        ps = "protocolSection"
        ident = doc.obj(protocol, "identificationModule", ps)
        nct = doc.text(ident, "nctId", f"{ps}.identificationModule")
        if not nct or registries.detect_registry(nct) != "ctgov":
            raise doc.fail(f"{ps}.identificationModule.nctId",
                           f"missing or invalid NCT number ({nct!r})")
        nct = registries.normalise("ctgov", nct).identifier
        registrations, other_ids = self.registrations(nct, ident, f"{ps}.identificationModule")
        self.arms_and_interventions(protocol, ps)
        self.planned_outcomes(protocol, ps)
        trial = self.trial(protocol, ps)
        if "resultsSection" in self.study:
            self.results_section(doc.obj(self.study, "resultsSection", ""), "resultsSection")
        self.add_regimens()
        misc = doc.obj(doc.obj(self.study, "derivedSection", ""), "miscInfoModule",
                       "derivedSection")
        version = doc.text(misc, "versionHolder", "derivedSection.miscInfoModule")
        note = [f"ClinicalTrials.gov {self.source_format}"]
        if version:
            note.append(f"data version (versionHolder) {version}")
        if other_ids:
            note.append("other identifiers (not registrations): " + "; ".join(other_ids))
        source = Source(key=SOURCE_KEY, kind=SourceKind.registry,
                        locator=f"https://clinicaltrials.gov/study/{nct}", language="en",
                        retrieved=_version_date(version), note="; ".join(note))
        return Record(trial=trial, registrations=registrations, sources=[source],
                      populations=self.populations, arms=self.arms,
                      interventions=self.interventions, endpoints=self.endpoints,
                      results=self.results, comparisons=self.comparisons,
                      adverse_events=self.adverse_events)

    def registrations(self, nct: str, ident: Obj,
                      path: str) -> tuple[list[Registration], list[str]]:
        regs = [Registration(registry="ctgov", identifier=nct)]
        seen = {nct}
        other: list[str] = []
        candidates: list[tuple[str, str | None, str]] = []
        org = self.doc.obj(ident, "orgStudyIdInfo", path)
        org_id = self.doc.text(org, "id", f"{path}.orgStudyIdInfo")
        if org_id:
            candidates.append((org_id, None, "org study ID"))
        for item_path, info in self.doc.objs(ident, "secondaryIdInfos", path):
            sid = self.doc.text(info, "id", item_path)
            if sid:
                kind = self.doc.text(info, "type", item_path)
                domain = self.doc.text(info, "domain", item_path)
                candidates.append((sid, kind, " ".join(x for x in (kind, domain) if x) or "other"))
        for identifier, kind, label in candidates:
            registry = "eudract" if kind == "EUDRACT_NUMBER" else registries.detect_registry(
                identifier)
            if registry is None:
                other.append(f"{identifier} ({label})")
                continue
            try:
                norm = registries.normalise(registry, identifier)
            except registries.RegistrationError as exc:
                self.notes.append(f"{path}: {exc}; kept as another identifier")
                other.append(f"{identifier} ({label})")
                continue
            if norm.identifier not in seen:
                seen.add(norm.identifier)
                regs.append(Registration(registry=norm.registry, identifier=norm.identifier))
        return regs, other

    def trial(self, protocol: Obj, ps: str) -> Trial:
        doc = self.doc
        ident_path = f"{ps}.identificationModule"
        ident = doc.obj(protocol, "identificationModule", ps)
        brief = doc.text(ident, "briefTitle", ident_path)
        official = doc.text(ident, "officialTitle", ident_path)
        if not brief:
            self.notes.append(f"{ident_path}: no briefTitle; the official title is used as title")
        status = doc.obj(protocol, "statusModule", ps)
        design_mod = doc.obj(protocol, "designModule", ps)
        sponsor = doc.obj(doc.obj(protocol, "sponsorCollaboratorsModule", ps), "leadSponsor",
                          f"{ps}.sponsorCollaboratorsModule")
        overall = doc.text(status, "overallStatus", f"{ps}.statusModule")
        summary = doc.text(doc.obj(protocol, "descriptionModule", ps), "briefSummary",
                           f"{ps}.descriptionModule")
        conditions = doc.texts(doc.obj(protocol, "conditionsModule", ps), "conditions",
                               f"{ps}.conditionsModule")
        design, control_from = self.design(design_mod, f"{ps}.designModule")
        field_prov: dict[str, Provenance] = {}
        if control_from:
            field_prov["design.control"] = Provenance(
                source=SOURCE_KEY, locator=f"{ps}.armsInterventionsModule.armGroups",
                derivation=f"from arm types: {control_from}")
        return Trial(
            title=Text(en=brief or official), official_title=official,
            acronym=doc.text(ident, "acronym", ident_path),
            conditions=[Text(en=c) for c in conditions], design=design,
            enrollment=self.enrollment(design_mod, f"{ps}.designModule"),
            start_date=self.date(status, "startDateStruct", f"{ps}.statusModule"),
            primary_completion_date=self.date(status, "primaryCompletionDateStruct",
                                              f"{ps}.statusModule"),
            completion_date=self.date(status, "completionDateStruct", f"{ps}.statusModule"),
            sponsor=doc.text(sponsor, "name", f"{ps}.sponsorCollaboratorsModule.leadSponsor"),
            countries=self.countries(protocol, ps),
            status=overall.lower() if overall else None, brief_summary=summary,
            provenance=self.prov(protocol, ps), field_provenance=field_prov)

    def enum(self, table: dict[str, Any], obj: Obj, key: str, path: str) -> Any:
        raw = self.doc.text(obj, key, path)
        if raw is None:
            return None
        found = table.get(code(raw))
        if found is None:
            self.notes.append(f"{_join(path, key)}: unknown value {raw!r}, left empty")
        return found

    def design(self, mod: Obj, path: str) -> tuple[Design, str | None]:
        doc = self.doc
        info = doc.obj(mod, "designInfo", path)
        info_path = f"{path}.designInfo"
        masking = doc.obj(info, "maskingInfo", info_path)
        phases = []
        for i, raw in enumerate(doc.texts(mod, "phases", path)):
            phase = _PHASE.get(code(raw))
            if phase is None:
                self.notes.append(f"{path}.phases[{i}]: unknown phase {raw!r}, left out")
            elif phase not in phases:
                phases.append(phase)
        model = doc.text(info, "interventionModel", info_path) or doc.text(
            info, "observationalModel", info_path)
        purpose = doc.text(info, "primaryPurpose", info_path)
        roles = {arm.role for arm in self.arms}  # registered arms only: groups come later
        control, control_from = None, None
        for role, kind in _CONTROL:
            if role in roles:
                control, control_from = kind, role.name.upper()
                break
        design = Design(
            study_type=self.enum(_STUDY_TYPE, mod, "studyType", path),
            allocation=self.enum(_ALLOCATION, info, "allocation", info_path),
            masking=self.enum(_MASKING, masking, "masking", f"{info_path}.maskingInfo"),
            masked_roles=[r.lower() for r in doc.texts(masking, "whoMasked",
                                                       f"{info_path}.maskingInfo")],
            control=control, phases=phases, model=model.lower() if model else None,
            purpose=purpose.lower() if purpose else None)
        return design, control_from

    def enrollment(self, mod: Obj, path: str) -> Enrollment:
        info = self.doc.obj(mod, "enrollmentInfo", path)
        count = self.doc.count(info, "count", f"{path}.enrollmentInfo")
        kind = code(self.doc.text(info, "type", f"{path}.enrollmentInfo") or "")
        if count is None:
            return Enrollment()
        if kind == "ACTUAL":
            return Enrollment(actual=count)
        if kind in ("ESTIMATED", "ANTICIPATED"):
            return Enrollment(planned=count)
        self.notes.append(f"{path}.enrollmentInfo: count {count} of unknown type {kind!r} "
                          "not imported")
        return Enrollment()

    def date(self, status: Obj, key: str, path: str) -> str | None:
        value = self.doc.text(self.doc.obj(status, key, path), "date", _join(path, key))
        if value is None:
            return None
        if not _PARTIAL_DATE.match(value):
            self.notes.append(f"{_join(path, key)}.date: {value!r} is not an ISO date; left out")
            return None
        return value

    def countries(self, protocol: Obj, ps: str) -> list[str]:
        mod = self.doc.obj(protocol, "contactsLocationsModule", ps)
        countries: list[str] = []
        for item_path, loc in self.doc.objs(mod, "locations", f"{ps}.contactsLocationsModule"):
            country = self.doc.text(loc, "country", item_path)
            if country and country not in countries:
                countries.append(country)
        return countries

    # arms, interventions, planned outcomes ----------------------------------------

    def arms_and_interventions(self, protocol: Obj, ps: str) -> None:
        doc = self.doc
        path = f"{ps}.armsInterventionsModule"
        mod = doc.obj(protocol, "armsInterventionsModule", ps)
        by_iv_name: dict[str, list[str]] = {}  # "Drug: Placebo" -> arm keys
        for item_path, group in doc.objs(mod, "armGroups", path):
            label = doc.text(group, "label", item_path) or ""
            key = self.arm_keys.make(label, f"arm-{len(self.arms) + 1}")
            raw_role = doc.text(group, "type", item_path)
            role = _ARM_ROLE.get(code(raw_role)) if raw_role else None
            if raw_role and role is None:
                self.notes.append(f"{item_path}.type: unknown arm type {raw_role!r}; role other")
            role = role or ArmRole.other
            if "placebo" in label.lower() and role is not ArmRole.placebo_comparator:
                self.notes.append(f"{item_path}: arm {label!r} is typed {raw_role} in the "
                                  "registry, not PLACEBO_COMPARATOR; kept as registered")
            self.arms.append(Arm(key=key, label=Text(en=label), role=role,
                                 description=doc.text(group, "description", item_path),
                                 provenance=self.prov(group, item_path)))
            self.arm_by_title.setdefault(norm_title(label), key)
            description = norm_title(doc.text(group, "description", item_path) or "")
            if description:
                seen = description in self.arm_by_description
                self.arm_by_description[description] = None if seen else key
            for name in doc.texts(group, "interventionNames", item_path):
                by_iv_name.setdefault(norm_title(name), []).append(key)
        for item_path, iv in doc.objs(mod, "interventions", path):
            name = doc.text(iv, "name", item_path) or ""
            kind = doc.text(iv, "type", item_path)
            arm_keys: list[str] = []
            for label in doc.texts(iv, "armGroupLabels", item_path):
                arm_key = self.arm_by_title.get(norm_title(label))
                if arm_key is None:
                    self.notes.append(f"{item_path}.armGroupLabels: {label!r} names no arm group")
                elif arm_key not in arm_keys:
                    arm_keys.append(arm_key)
            # Arms list their interventions as "Type: Name"; the type is spelled
            # "Drug", "Dietary Supplement" there and DRUG, DIETARY_SUPPLEMENT here.
            type_label = (kind or "").replace("_", " ")
            for arm_key in by_iv_name.get(norm_title(f"{type_label}: {name}"), []):
                if arm_key not in arm_keys:
                    arm_keys.append(arm_key)
            self.interventions.append(Intervention(
                key=self.iv_keys.make(name, f"intervention-{len(self.interventions) + 1}"),
                name=Text(en=name), kind=kind.lower() if kind else None,
                description=doc.text(iv, "description", item_path),
                other_names=doc.texts(iv, "otherNames", item_path), arms=arm_keys,
                provenance=self.prov(iv, item_path)))

    def planned_outcomes(self, protocol: Obj, ps: str) -> None:
        path = f"{ps}.outcomesModule"
        mod = self.doc.obj(protocol, "outcomesModule", ps)
        for field, role in (("primaryOutcomes", EndpointRole.primary),
                            ("secondaryOutcomes", EndpointRole.secondary),
                            ("otherOutcomes", EndpointRole.other)):
            for i, (item_path, outcome) in enumerate(self.doc.objs(mod, field, path)):
                title = self.doc.text(outcome, "measure", item_path) or ""
                endpoint = Endpoint(
                    key=f"{role.value}-{i + 1}", name=Text(en=title), role=role,
                    description=self.doc.text(outcome, "description", item_path),
                    time_frame=self.doc.text(outcome, "timeFrame", item_path),
                    provenance=self.prov(outcome, item_path))
                self.endpoints.append(endpoint)
                self.planned.append((norm_title(title), endpoint))

    # results section -----------------------------------------------------------------

    def results_section(self, results: Obj, path: str) -> None:
        doc = self.doc
        if not self.arms:
            self.notes.append("the study registers no arm groups (observational?): results "
                              "groups are imported as cohorts with role other")
        self.baseline(doc.obj(results, "baselineCharacteristicsModule", path),
                      f"{path}.baselineCharacteristicsModule")
        om_path = f"{path}.outcomeMeasuresModule"
        om = doc.obj(results, "outcomeMeasuresModule", path)
        for i, (item_path, measure) in enumerate(doc.objs(om, "outcomeMeasures", om_path)):
            self.outcome_measure(i, measure, item_path)
        self.adverse(doc.obj(results, "adverseEventsModule", path),
                     f"{path}.adverseEventsModule")
        if "participantFlowModule" in results:
            self.notes.append(f"{path}.participantFlowModule: participant flow is not imported")

    def group_map(self, obj: Obj, key: str, path: str) -> dict[str, str | None]:
        """Results group id -> arm key (None for a Total group)."""
        out: dict[str, str | None] = {}
        for item_path, group in self.doc.objs(obj, key, path):
            gid = self.doc.text(group, "id", item_path)
            if not gid:
                raise self.doc.fail(f"{item_path}.id", "results group has no id")
            title = self.doc.text(group, "title", item_path) or gid
            out[gid] = self.arm_for_group(title, group, item_path)
        return out

    def arm_for_group(self, title: str, group: Obj, path: str) -> str | None:
        norm = norm_title(title)
        if norm in self.arm_by_title:
            return self.arm_by_title[norm]
        if norm in _TOTAL_TITLES:
            return None
        if norm in self.group_arms:
            return self.group_arms[norm]
        # The registry copies an arm's description into its results groups, so an
        # identical description (of one arm only) links a renamed group to its arm.
        same_text = self.arm_by_description.get(
            norm_title(self.doc.text(group, "description", path) or ""))
        if same_text is not None:
            self.notes.append(f"{_where(group, path)}: results group {title!r} matched to arm "
                              f"{same_text!r} by its identical description")
            self.group_arms[norm] = same_text
            return same_text
        key = self.arm_keys.make(title, f"group-{len(self.arms) + 1}")
        if self.arm_by_title:
            why = ("created from a results group whose title matches no registered arm group; "
                   "it may be an arm under another name, a subset or a pooled group")
            self.notes.append(f"{_where(group, path)}: results group {title!r} matches no arm "
                              f"group by title; kept as extra arm {key!r} with role other")
        else:
            why = "created from a results group: the study registers no arm groups"
        self.arms.append(Arm(key=key, label=Text(en=title), role=ArmRole.other,
                             description=self.doc.text(group, "description", path),
                             provenance=self.prov(group, path, derivation=why)))
        self.group_arms[norm] = key
        return key

    def arm(self, key: str) -> Arm:
        return next(arm for arm in self.arms if arm.key == key)

    def baseline(self, mod: Obj, path: str) -> None:
        if not mod:
            return
        groups = self.group_map(mod, "groups", path)
        counts: list[tuple[str, int, Obj, str]] = []
        for denom_path, denom in self.doc.objs(mod, "denoms", path):
            units = self.doc.text(denom, "units", denom_path) or ""
            for count_path, item in self.doc.objs(denom, "counts", denom_path):
                n = self.doc.count(item, "value", count_path)
                arm_key = groups.get(self.doc.text(item, "groupId", count_path) or "")
                if n is None or arm_key is None:
                    continue
                if norm_title(units) != "participants":
                    self.notes.append(f"{count_path}: baseline count in {units!r}, not imported")
                    continue
                counts.append((arm_key, n, item, count_path))
        if counts:
            self.populations.append(Population(
                key="baseline", label=Text(en="baseline population"), kind=PopulationKind.baseline,
                description=self.doc.text(mod, "populationDescription", path)))
        for arm_key, n, item, count_path in counts:
            self.arm(arm_key).counts.append(ArmCount(population="baseline", n=n,
                                                     provenance=self.prov(item, count_path)))
        measures = len(self.doc.items(mod, "measures", path))
        if measures:
            self.notes.append(f"{path}: {measures} baseline measures not imported (the record "
                              "format has no baseline characteristics)")

    def endpoint_for(self, index: int, measure: Obj, path: str) -> Endpoint:
        doc = self.doc
        title = doc.text(measure, "title", path) or ""
        raw_type = doc.text(measure, "type", path)
        role = _ENDPOINT_ROLE.get(code(raw_type or ""), EndpointRole.other)
        time_frame = doc.text(measure, "timeFrame", path)
        unit = doc.text(measure, "unitOfMeasure", path)
        candidates = [ep for norm, ep in self.planned
                      if norm == norm_title(title) and ep.key not in self.matched]
        # Same title twice (one measure per time point) is resolved by role, then time frame.
        candidates.sort(key=lambda ep: (ep.role is not role, ep.time_frame != time_frame))
        if candidates:
            endpoint = candidates[0]
            self.matched.add(endpoint.key)
            if endpoint.unit is None:
                endpoint.unit = unit
            return endpoint
        endpoint = Endpoint(key=f"results-{index + 1}", name=Text(en=title), role=role,
                            description=doc.text(measure, "description", path),
                            time_frame=time_frame, unit=unit, provenance=self.prov(measure, path))
        self.endpoints.append(endpoint)
        return endpoint

    def population_for(self, measure: Obj, path: str) -> str | None:
        text = self.doc.text(measure, "populationDescription", path)
        if not text:
            return None
        if text not in self.population_by_text:
            key = f"analysis-{len(self.population_by_text) + 1}"
            self.population_by_text[text] = key
            self.populations.append(Population(
                key=key, label=Text(en=f"analysis population {len(self.population_by_text)}"),
                kind=PopulationKind.other, description=text))
        return self.population_by_text[text]

    def denominators(self, obj: Obj, path: str) -> dict[str, int]:
        """groupId -> participants analysed, from the first denominator in participants."""
        denoms = list(self.doc.objs(obj, "denoms", path))
        chosen = next(((p, d) for p, d in denoms
                       if norm_title(self.doc.text(d, "units", p) or "") == "participants"),
                      denoms[0] if denoms else None)
        out: dict[str, int] = {}
        if chosen:
            for count_path, item in self.doc.objs(chosen[1], "counts", chosen[0]):
                gid = self.doc.text(item, "groupId", count_path)
                n = self.doc.count(item, "value", count_path)
                if gid and n is not None:
                    out[gid] = n
        return out

    def outcome_measure(self, index: int, measure: Obj, path: str) -> None:
        doc = self.doc
        endpoint = self.endpoint_for(index, measure, path)
        groups = self.group_map(measure, "groups", path)
        population = self.population_for(measure, path)
        raw_param = doc.text(measure, "paramType", path)
        param = _PARAM.get(code(raw_param)) if raw_param else None
        classes = list(doc.objs(measure, "classes", path))
        if param is None:
            if classes:
                self.notes.append(f"{path}: paramType {raw_param!r} unknown or missing; "
                                  "its measurements are not imported")
        else:
            raw_disp = doc.text(measure, "dispersionType", path)
            dispersion = _dispersion(raw_disp) if raw_disp else None
            unit = doc.text(measure, "unitOfMeasure", path)
            denoms = self.denominators(measure, path)
            for class_path, klass in classes:
                class_denoms = {**denoms, **self.denominators(klass, class_path)}
                class_title = doc.text(klass, "title", class_path)
                for cat_path, category in doc.objs(klass, "categories", class_path):
                    cat_title = doc.text(category, "title", cat_path)
                    label = " / ".join(t for t in (class_title, cat_title) if t) or None
                    for m_path, item in doc.objs(category, "measurements", cat_path):
                        self.measurement(item, m_path, endpoint.key, groups, population, param,
                                         unit, dispersion, class_denoms, label)
        for a_path, analysis in doc.objs(measure, "analyses", path):
            self.analysis(analysis, a_path, endpoint.key, groups, population)

    def measurement(self, item: Obj, path: str, endpoint: str, groups: dict[str, str | None],
                    population: str | None, param: ParamType, unit: str | None,
                    dispersion: tuple[Dispersion, float | None] | None,
                    denoms: dict[str, int], category: str | None) -> None:
        doc = self.doc
        gid = doc.text(item, "groupId", path) or ""
        if gid not in groups:
            raise doc.fail(f"{path}.groupId", f"group {gid!r} is not among the measure's groups")
        arm_key = groups[gid]
        if arm_key is None:
            return
        reported = doc.text(item, "value", path)
        value = parse_number(reported)
        n = denoms.get(gid)
        events = None
        if param is ParamType.count and reported is not None and reported.strip().isdigit():
            events = int(reported.strip())
            if n is not None and events > n:
                self.notes.append(f"{path}: count {events} is more than the {n} analysed; "
                                  "kept as value only, not as events")
                events = None
        spread = doc.text(item, "spread", path)
        low = doc.text(item, "lowerLimit", path)
        high = doc.text(item, "upperLimit", path)
        # The limits as printed; a missing one is not invented ("None to 22.64").
        disp_reported = spread if spread is not None else (
            f"{low} to {high}" if low is not None and high is not None
            else f"lower limit {low}" if low is not None
            else f"upper limit {high}" if high is not None else None)
        comment = doc.text(item, "comment", path)
        if comment:
            self.notes.append(f"{_where(item, path)}: comment {comment!r}")
        self.results.append(ArmResult(
            endpoint=endpoint, arm=arm_key, population=population, category=category,
            param=param, reported=reported, value=value, unit=unit, events=events, n=n,
            dispersion=dispersion[0] if dispersion and disp_reported is not None else None,
            dispersion_level=dispersion[1] if dispersion and disp_reported is not None else None,
            dispersion_reported=disp_reported, dispersion_value=parse_number(spread),
            dispersion_low=parse_number(low), dispersion_high=parse_number(high),
            provenance=self.prov(item, path)))

    def analysis(self, analysis: Obj, path: str, endpoint: str, groups: dict[str, str | None],
                 population: str | None) -> None:
        doc = self.doc
        arms: list[str] = []
        for gid in doc.texts(analysis, "groupIds", path):
            if gid not in groups:
                raise doc.fail(f"{path}.groupIds", f"group {gid!r} is not among the measure's "
                               "groups")
            arm_key = groups[gid]
            if arm_key is not None and arm_key not in arms:
                arms.append(arm_key)
        if len(arms) < 2:
            self.notes.append(f"{_where(analysis, path)}: analysis of fewer than two arms not "
                              "imported (a comparison needs two)")
            return
        p_text = doc.text(analysis, "pValue", path)
        comparator, p_value = split_p_value(p_text) if p_text else (None, None)
        if p_text and p_value is None:
            self.notes.append(f"{_where(analysis, path)}: pValue {p_text!r} is not a p-value "
                              "between 0 and 1; kept as printed only")
        effect = doc.text(analysis, "paramValue", path)
        ci_pct = parse_number(doc.text(analysis, "ciPctValue", path))
        if ci_pct is not None and not 0 < ci_pct < 100:
            self.notes.append(f"{path}.ciPctValue: {ci_pct} is not a CI level; left out")
            ci_pct = None
        ci_low, ci_high = (doc.text(analysis, key, path) for key in ("ciLowerLimit", "ciUpperLimit"))
        ci_reported = (f"{ci_low} to {ci_high}" if ci_low is not None and ci_high is not None
                       else f"lower limit {ci_low}" if ci_low is not None
                       else f"upper limit {ci_high}" if ci_high is not None else None)
        self.comparisons.append(Comparison(
            endpoint=endpoint, population=population, arms=arms, p_reported=p_text,
            ci_reported=ci_reported,
            p_comparator=comparator, p_value=p_value,
            method=doc.text(analysis, "statisticalMethod", path),
            effect_measure=doc.text(analysis, "paramType", path), effect_reported=effect,
            effect_value=parse_number(effect), ci_level=ci_pct,
            ci_low=parse_number(doc.text(analysis, "ciLowerLimit", path)),
            ci_high=parse_number(doc.text(analysis, "ciUpperLimit", path)),
            description=self.analysis_text(analysis, path), provenance=self.prov(analysis, path)))

    def analysis_text(self, analysis: Obj, path: str) -> str | None:
        """The analysis' free text and the fields the record has no place for, labelled."""
        parts = []
        for key, label in (("groupDescription", None), ("pValueComment", "p-value"),
                           ("statisticalComment", "method"), ("estimateComment", "estimate"),
                           ("otherAnalysisDescription", "other"),
                           ("nonInferiorityComment", "non-inferiority")):
            text = self.doc.text(analysis, key, path)
            if text:
                parts.append(f"{label}: {text}" if label else text)
        ni_type = self.doc.text(analysis, "nonInferiorityType", path)
        if ni_type and code(ni_type) not in ("OTHER", "SUPERIORITY"):
            parts.append(f"hypothesis: {ni_type}")
        sides = self.doc.text(analysis, "ciNumSides", path)
        if sides and code(sides) == "ONE_SIDED":
            parts.append("CI: one-sided")
        disp_type = self.doc.text(analysis, "dispersionType", path)
        disp_value = self.doc.text(analysis, "dispersionValue", path)
        if disp_value:
            parts.append(f"dispersion ({disp_type or 'unspecified'}): {disp_value}")
        return "\n".join(parts) or None

    def adverse(self, mod: Obj, path: str) -> None:
        if not mod:
            return
        doc = self.doc
        groups = self.group_map(mod, "eventGroups", path)
        default_vocab = doc.text(mod, "sourceVocabulary", path)
        for field, serious in (("seriousEvents", True), ("otherEvents", False)):
            for ev_path, event in doc.objs(mod, field, path):
                term = doc.text(event, "term", ev_path) or ""
                organ = doc.text(event, "organSystem", ev_path)
                vocab = doc.text(event, "sourceVocabulary", ev_path) or default_vocab
                for st_path, stat in doc.objs(event, "stats", ev_path):
                    gid = doc.text(stat, "groupId", st_path) or ""
                    if gid not in groups:
                        raise doc.fail(f"{st_path}.groupId", f"group {gid!r} is not among the "
                                       "event groups")
                    arm_key = groups[gid]
                    if arm_key is None:
                        continue
                    self.adverse_events.append(AdverseEvent(
                        term=Text(en=term), arm=arm_key, serious=serious, organ_system=organ,
                        affected=doc.count(stat, "numAffected", st_path),
                        at_risk=doc.count(stat, "numAtRisk", st_path),
                        events=doc.count(stat, "numEvents", st_path), vocabulary=vocab,
                        provenance=self.prov(stat, st_path)))

    # dosing ---------------------------------------------------------------------------

    def add_regimens(self) -> None:
        """Typed regimens from intervention and arm descriptions (dosing text parser)."""
        extract = _regimen_extractor()
        for iv in self.interventions:
            if iv.description:
                self.add_regimen(iv, extract(iv.description), None, iv.description)
        for arm in self.arms:
            linked = [iv for iv in self.interventions if arm.key in iv.arms]
            # An arm's text describes its one intervention; with several we cannot tell which.
            if arm.description and len(linked) == 1:
                self.add_regimen(linked[0], extract(arm.description), arm.key, arm.description)

    def add_regimen(self, iv: Intervention, found: Any, arm: str | None, text: str) -> None:
        if not isinstance(found, Regimen):
            return
        regimen = found.model_copy(update={
            "arm": arm, "description": Text(en=text),  # as printed, not normalised
            "provenance": iv.provenance if arm is None else self.arm(arm).provenance})
        iv.regimens.append(regimen)


def _regimen_extractor() -> Callable[[str], Any]:
    from evidence.importers.dosing import extract_regimen

    return extract_regimen


# --- public entry points ------------------------------------------------------------

def parse_study(study: dict[str, Any], *, locator: str,
                source_format: str = "API v2 JSON") -> ImportItem:
    """One API v2 study object as an ImportItem: a checked record, or an error naming the path."""
    parser = _Study(study, locator, source_format)
    try:
        record = parser.build()
    except SourceFormatError as exc:
        return ImportItem(locator=locator, error=exc, notes=parser.notes)
    except ValidationError as exc:
        first = exc.errors()[0]
        return ImportItem(locator=locator, notes=parser.notes, error=SourceFormatError(
            f"mapped value is invalid: {first['msg']}", file=locator,
            field=field_path(first["loc"]) or None))
    problems = check_record(record)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return ImportItem(locator=locator, notes=parser.notes, error=RecordError(
            problems[0].message + more, file=locator, record=record.label(),
            field=problems[0].path))
    return ImportItem(locator=locator, record=record, notes=parser.notes)


def read_ctgov_json(locator: str, data: bytes) -> Iterator[ImportItem]:
    """ImportItems of a study, a list of studies or an API page {"studies": [...]}."""
    import orjson

    try:
        text = decode_text(locator, data)
        doc = orjson.loads(text)
    except SourceFormatError as exc:
        yield ImportItem(locator=locator, error=exc)
        return
    except orjson.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip())
        what = "JSON ends early (truncated file?)" if truncated else "malformed JSON"
        yield ImportItem(locator=locator, error=SourceFormatError(
            f"{what}: {exc.msg} at line {exc.lineno}, column {exc.colno}", file=locator))
        return
    if isinstance(doc, dict) and "protocolSection" not in doc and "studies" in doc:
        studies, prefix = doc["studies"], "studies"
        if not isinstance(studies, list):
            yield ImportItem(locator=locator, error=SourceFormatError(
                f"expected a list of studies, found {_kind(studies)}", file=locator,
                field="studies"))
            return
    elif isinstance(doc, list):
        studies, prefix = doc, ""
    elif isinstance(doc, dict) and "protocolSection" in doc:
        yield parse_study(doc, locator=locator)
        return
    else:
        keys = ", ".join(list(doc)[:5]) if isinstance(doc, dict) else _kind(doc)
        yield ImportItem(locator=locator, error=SourceFormatError(
            "not a ClinicalTrials.gov API v2 study: expected an object with protocolSection, "
            f"a list of studies or a page with 'studies' (found {keys or 'an empty object'})",
            file=locator))
        return
    for i, study in enumerate(studies):
        item_locator = f"{locator}#{prefix}[{i}]"
        if not isinstance(study, dict):
            yield ImportItem(locator=item_locator, error=SourceFormatError(
                f"expected a study object, found {_kind(study)}", file=locator,
                field=f"{prefix}[{i}]"))
        else:
            yield parse_study(study, locator=item_locator)


def _version_date(version: str | None) -> dt.date | None:
    """The registry's data-version date, which orders re-imports (older never wins)."""
    if not version:
        return None
    try:
        return dt.date.fromisoformat(version)
    except ValueError:
        return None
