"""The protocol section of a ClinicalTrials.gov study: identifiers, the trial and its design."""

from __future__ import annotations

import re
from typing import Any

from evidence import registries
from evidence.importers.ctgov_doc import Obj, join_path
from evidence.importers.ctgov_state import SOURCE_KEY, StudyState
from evidence.importers.ctgov_values import ALLOCATION, CONTROL, MASKING, PHASE, STUDY_TYPE, code
from evidence.records import Design, Enrollment, Provenance, Registration, Text, Trial

PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ProtocolParser(StudyState):
    """Reads protocolSection: what was registered before any result."""

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
            self.notes.append(f"{join_path(path, key)}: unknown value {raw!r}, left empty")
        return found

    def design(self, mod: Obj, path: str) -> tuple[Design, str | None]:
        doc = self.doc
        info = doc.obj(mod, "designInfo", path)
        info_path = f"{path}.designInfo"
        masking = doc.obj(info, "maskingInfo", info_path)
        phases = []
        for i, raw in enumerate(doc.texts(mod, "phases", path)):
            phase = PHASE.get(code(raw))
            if phase is None:
                self.notes.append(f"{path}.phases[{i}]: unknown phase {raw!r}, left out")
            elif phase not in phases:
                phases.append(phase)
        model = doc.text(info, "interventionModel", info_path) or doc.text(
            info, "observationalModel", info_path)
        purpose = doc.text(info, "primaryPurpose", info_path)
        roles = {arm.role for arm in self.arms}  # registered arms only: groups come later
        control, control_from = None, None
        for role, kind in CONTROL:
            if role in roles:
                control, control_from = kind, role.name.upper()
                break
        design = Design(
            study_type=self.enum(STUDY_TYPE, mod, "studyType", path),
            allocation=self.enum(ALLOCATION, info, "allocation", info_path),
            masking=self.enum(MASKING, masking, "masking", f"{info_path}.maskingInfo"),
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
        value = self.doc.text(self.doc.obj(status, key, path), "date", join_path(path, key))
        if value is None:
            return None
        if not PARTIAL_DATE.match(value):
            self.notes.append(f"{join_path(path, key)}.date: {value!r} is not an ISO date; left out")
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
