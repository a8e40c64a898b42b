"""Legacy ClinicalTrials.gov `<clinical_study>` XML -> Record, via the API v2 mapping.

The retired XML is rewritten into the shape of an API v2 study (same field names,
values as printed) and handed to `ctgov.parse_study`, so both formats follow one
mapping. Every object carries an "@path" with its XML path, which becomes the
provenance locator, so a number points into the file it came from.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from evidence.errors import SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.ctgov import code, parse_study

if TYPE_CHECKING:
    from lxml import etree

Obj = dict[str, Any]
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})$")
_MONTHS = {name: i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
# Old records say "Double Blind (Subject, Investigator)"; the API says PARTICIPANT.
_MASKED_ROLE = {"SUBJECT": "PARTICIPANT"}


def iso_date(text: str | None) -> str | None:
    """'June 2010' -> '2010-06', 'May 11, 2018' -> '2018-05-11'; other text unchanged."""
    if text is None:
        return None
    value = text.strip()
    if match := _MONTH_YEAR.match(value):
        month = _MONTHS.get(match.group(1).lower())
        return f"{match.group(2)}-{month:02d}" if month else value
    if match := _MONTH_DAY_YEAR.match(value):
        month = _MONTHS.get(match.group(1).lower())
        if month:
            try:
                return dt.date(int(match.group(3)), month, int(match.group(2))).isoformat()
            except ValueError:
                return value
    return value


class _Convert:
    """Rewrites one <clinical_study> element tree as an API v2 study dict."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.tree = root.getroottree()

    def path(self, el: etree._Element) -> str:
        return str(self.tree.getpath(el))

    def text(self, el: etree._Element | None, tag: str) -> str | None:
        if el is None:
            return None
        found = el.find(tag)
        if found is None:
            return None
        inner = found.find("textblock")
        raw = (inner if inner is not None else found).text
        if raw is None:
            return None
        # Textblocks are indented for the XML layout; the indentation is not the text.
        value = textwrap.dedent(raw).strip()
        return value or None

    def texts(self, el: etree._Element, tag: str) -> list[str]:
        return [t.strip() for t in (x.text for x in el.findall(tag)) if t and t.strip()]

    def attr(self, el: etree._Element, name: str) -> str | None:
        value = el.get(name)
        return value.strip() if value is not None else None

    def study(self) -> Obj:
        root = self.root
        study: Obj = {"protocolSection": self.protocol()}
        results = root.find("clinical_results")
        if results is not None:
            study["resultsSection"] = self.results(results)
        processed = self.text(root.find("required_header"), "download_date") or ""
        version = iso_date(processed.rsplit(" on ", 1)[-1]) if " on " in processed else None
        if version:
            study["derivedSection"] = {"miscInfoModule": {"versionHolder": version}}
        return study

    def protocol(self) -> Obj:
        root = self.root
        ids = root.find("id_info")
        secondary = [{"id": s} for s in (*self.texts(ids, "secondary_id"),
                                         *self.texts(ids, "nct_alias"))] if ids is not None else []
        design = root.find("study_design_info")
        masking_raw = self.text(design, "masking") or ""
        masking, _, roles = masking_raw.partition("(")
        status = self.text(root, "overall_status")
        enrollment = root.find("enrollment")
        phases = []
        for phase in (self.text(root, "phase") or "").split("/"):
            if phase.strip() and phase.strip() != "A":  # "N/A" splits into "N" and "A"
                phases.append("NA" if phase.strip() == "N" else
                              re.sub(r"PHASE_(\d)", r"PHASE\1", code(phase)))
        model = self.text(design, "intervention_model") or self.text(design, "observational_model")
        allocation = self.text(design, "allocation")
        return {
            "@path": self.path(root),
            "identificationModule": {
                "nctId": self.text(ids, "nct_id"),
                "orgStudyIdInfo": {"id": self.text(ids, "org_study_id")},
                "secondaryIdInfos": secondary,
                "briefTitle": self.text(root, "brief_title"),
                "officialTitle": self.text(root, "official_title"),
                "acronym": self.text(root, "acronym")},
            "statusModule": {
                "overallStatus": code(status) if status else None,
                **{key: {"date": iso_date(self.text(root, tag))} for key, tag in (
                    ("startDateStruct", "start_date"),
                    ("primaryCompletionDateStruct", "primary_completion_date"),
                    ("completionDateStruct", "completion_date"))}},
            "sponsorCollaboratorsModule": {"leadSponsor": {
                "name": self.text(root.find("sponsors"), "lead_sponsor/agency")}},
            "descriptionModule": {"briefSummary": self.text(root, "brief_summary")},
            "conditionsModule": {"conditions": self.texts(root, "condition")},
            "designModule": {
                "studyType": self.text(root, "study_type"),
                "phases": phases,
                "designInfo": {
                    "allocation": "NA" if allocation == "N/A" else allocation,
                    "interventionModel": code(re.sub(r"\s+Assignment$", "", model))
                    if model else None,
                    "primaryPurpose": self.text(design, "primary_purpose"),
                    "maskingInfo": {
                        "masking": code(masking.replace("Blind", "")) if masking.strip() else None,
                        "whoMasked": [_MASKED_ROLE.get(code(r), code(r))
                                      for r in roles.rstrip(")").split(",") if r.strip()
                                      and "open label" not in r.lower()]}},
                "enrollmentInfo": {"count": enrollment.text.strip() if enrollment is not None
                                   and enrollment.text else None,
                                   "type": self.attr(enrollment, "type")
                                   if enrollment is not None else None}},
            "armsInterventionsModule": {
                "armGroups": [{"@path": self.path(a), "label": self.text(a, "arm_group_label"),
                               "type": self.text(a, "arm_group_type"),
                               "description": self.text(a, "description")}
                              for a in root.findall("arm_group")],
                "interventions": [{"@path": self.path(i),
                                   "type": code(self.text(i, "intervention_type") or "") or None,
                                   "name": self.text(i, "intervention_name"),
                                   "description": self.text(i, "description"),
                                   "armGroupLabels": self.texts(i, "arm_group_label"),
                                   "otherNames": self.texts(i, "other_name")}
                                  for i in root.findall("intervention")]},
            "outcomesModule": {
                field: [{"@path": self.path(o), "measure": self.text(o, "measure"),
                         "description": self.text(o, "description"),
                         "timeFrame": self.text(o, "time_frame")} for o in root.findall(tag)]
                for field, tag in (("primaryOutcomes", "primary_outcome"),
                                   ("secondaryOutcomes", "secondary_outcome"),
                                   ("otherOutcomes", "other_outcome"))},
            "contactsLocationsModule": {"locations": [
                {"country": c} for c in self.texts(root, "location_countries/country")]},
        }

    # results ------------------------------------------------------------------------

    def groups(self, el: etree._Element | None) -> list[Obj]:
        if el is None:
            return []
        return [{"@path": self.path(g), "id": self.attr(g, "group_id"),
                 "title": self.text(g, "title"), "description": self.text(g, "description")}
                for g in el.findall("group_list/group")]

    def denoms(self, el: etree._Element) -> list[Obj]:
        return [{"units": self.text(a, "units"),
                 "counts": [{"@path": self.path(c), "groupId": self.attr(c, "group_id"),
                             "value": self.attr(c, "value")}
                            for c in a.findall("count_list/count")]}
                for a in el.findall("analyzed_list/analyzed")]

    def results(self, el: etree._Element) -> Obj:
        out: Obj = {}
        baseline = el.find("baseline")
        if baseline is not None:
            out["baselineCharacteristicsModule"] = {
                "populationDescription": self.text(baseline, "population"),
                "groups": self.groups(baseline), "denoms": self.denoms(baseline),
                "measures": [{} for _ in baseline.findall("measure_list/measure")]}
        outcomes = el.findall("outcome_list/outcome")
        if outcomes:
            out["outcomeMeasuresModule"] = {"outcomeMeasures": [self.outcome(o) for o in outcomes]}
        events = el.find("reported_events")
        if events is not None:
            out["adverseEventsModule"] = {
                "eventGroups": self.groups(events),
                "seriousEvents": self.events(events.find("serious_events")),
                "otherEvents": self.events(events.find("other_events"))}
        if el.find("participant_flow") is not None:
            out["participantFlowModule"] = {}
        return out

    def outcome(self, el: etree._Element) -> Obj:
        measure = el.find("measure")
        out: Obj = {"@path": self.path(el), "type": self.text(el, "type"),
                    "title": self.text(el, "title"), "description": self.text(el, "description"),
                    "timeFrame": self.text(el, "time_frame"),
                    "populationDescription": self.text(el, "population"),
                    "groups": self.groups(el)}
        if measure is None:
            return out
        out.update({
            "paramType": self.text(measure, "param"),
            "dispersionType": self.text(measure, "dispersion"),
            "unitOfMeasure": self.text(measure, "units"),
            "denoms": self.denoms(measure),
            "classes": [{
                "title": self.text(c, "title"), "denoms": self.denoms(c),
                "categories": [{
                    "title": self.text(cat, "title"),
                    "measurements": [{
                        "@path": self.path(m), "groupId": self.attr(m, "group_id"),
                        "value": self.attr(m, "value"), "spread": self.attr(m, "spread"),
                        "lowerLimit": self.attr(m, "lower_limit"),
                        "upperLimit": self.attr(m, "upper_limit")}
                        for m in cat.findall("measurement_list/measurement")]}
                    for cat in c.findall("category_list/category")]}
                for c in measure.findall("class_list/class")],
            "analyses": [self.analysis(a) for a in el.findall("analysis_list/analysis")]})
        return out

    def analysis(self, el: etree._Element) -> Obj:
        fields = {"pValue": "p_value", "statisticalMethod": "method", "paramType": "param_type",
                  "paramValue": "param_value", "ciPctValue": "ci_percent",
                  "ciNumSides": "ci_n_sides", "ciLowerLimit": "ci_lower_limit",
                  "ciUpperLimit": "ci_upper_limit", "nonInferiorityType": "non_inferiority_type",
                  "groupDescription": "groups_desc", "pValueComment": "p_value_desc",
                  "statisticalComment": "method_desc", "estimateComment": "estimate_desc",
                  "otherAnalysisDescription": "other_analysis_desc",
                  "nonInferiorityComment": "non_inferiority_desc",
                  "dispersionType": "dispersion_type", "dispersionValue": "dispersion_value"}
        out: Obj = {"@path": self.path(el), "groupIds": self.texts(el, "group_id_list/group_id")}
        out.update({key: self.text(el, tag) for key, tag in fields.items()})
        if out["nonInferiorityType"] == "Superiority or Other":
            out["nonInferiorityType"] = "OTHER"
        if out["ciNumSides"]:
            out["ciNumSides"] = code(out["ciNumSides"].replace("-", " "))
        return out

    def events(self, el: etree._Element | None) -> list[Obj]:
        if el is None:
            return []
        default_vocab = self.text(el, "default_vocab")
        out = []
        for category in el.findall("category_list/category"):
            organ = self.text(category, "title")
            # The "Total" category holds each group's total of affected participants,
            # which the API keeps on the event group, not as an event term.
            if organ == "Total":
                continue
            for event in category.findall("event_list/event"):
                sub = event.find("sub_title")
                out.append({
                    "term": self.text(event, "sub_title"), "organSystem": organ,
                    "sourceVocabulary": (sub.get("vocab") if sub is not None else None)
                    or default_vocab,
                    "stats": [{"@path": self.path(c), "groupId": self.attr(c, "group_id"),
                               "numAffected": self.attr(c, "subjects_affected"),
                               "numAtRisk": self.attr(c, "subjects_at_risk"),
                               "numEvents": self.attr(c, "events")}
                              for c in event.findall("counts")]})
        return out


def read_ctgov_xml(locator: str, data: bytes) -> Iterator[ImportItem]:
    """ImportItems of a legacy ClinicalTrials.gov <clinical_study> XML file."""
    from lxml import etree

    if not data.strip():
        yield ImportItem(locator=locator, error=SourceFormatError("file is empty", file=locator))
        return
    if b"\x00" in data:
        yield ImportItem(locator=locator, error=SourceFormatError(
            f"binary data, not XML (NUL byte at offset {data.index(0)})", file=locator))
        return
    # No DTD, no entity expansion, no network: a registry file must not reach out
    # or expand into gigabytes ("billion laughs").
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=True,
                             remove_pis=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        message = re.sub(r"(, line \d+, column \d+)+$", "", str(exc.msg or exc))
        # An error at the very end means the document stopped, not that it is wrong.
        lines = data.rstrip().split(b"\n")
        truncated = "premature end" in message.lower() or (
            line >= len(lines) and column >= len(lines[-1].rstrip()))
        what = "XML ends early (truncated file?)" if truncated else "malformed XML"
        yield ImportItem(locator=locator, error=SourceFormatError(
            f"{what}: {message} at line {line}, column {column}", file=locator))
        return
    if not isinstance(root.tag, str) or root.tag != "clinical_study":
        yield ImportItem(locator=locator, error=SourceFormatError(
            f"root element is <{root.tag}>, not <clinical_study>: not a ClinicalTrials.gov "
            "legacy XML record", file=locator))
        return
    yield parse_study(_Convert(root).study(), locator=locator, source_format="legacy XML")
