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
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import ValidationError

from evidence import registries
from evidence.errors import RecordError, SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.ctgov_arms import ArmParser
from evidence.importers.ctgov_doc import Obj, kind_of
from evidence.importers.ctgov_outcomes import OutcomeParser
from evidence.importers.ctgov_protocol import ProtocolParser
from evidence.importers.ctgov_state import SOURCE_KEY
from evidence.importers.ctgov_values import code, norm_title, parse_number, split_p_value
from evidence.importers.sources import decode_text
from evidence.recordio import field_path
from evidence.records import Intervention, Record, Regimen, Source, SourceKind, Text
from evidence.validation import check_record

# The helpers moved to ctgov_*.py are still imported from here (ctgov_xml, tests).
__all__ = ["SOURCE_KEY", "Obj", "check_record", "code", "norm_title", "parse_number",
           "parse_study", "read_ctgov_json", "split_p_value"]


# --- the study parser ----------------------------------------------------------------

# Each base class reads one part of the study into the state they share (ctgov_state.py);
# build() calls them in the order the parts depend on each other (arms before design).
class _Study(ProtocolParser, ArmParser, OutcomeParser):
    """Builds one Record from one study object; collects notes instead of guessing."""

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
                f"expected a list of studies, found {kind_of(studies)}", file=locator,
                field="studies"))
            return
    elif isinstance(doc, list):
        studies, prefix = doc, ""
    elif isinstance(doc, dict) and "protocolSection" in doc:
        yield parse_study(doc, locator=locator)
        return
    else:
        keys = ", ".join(list(doc)[:5]) if isinstance(doc, dict) else kind_of(doc)
        yield ImportItem(locator=locator, error=SourceFormatError(
            "not a ClinicalTrials.gov API v2 study: expected an object with protocolSection, "
            f"a list of studies or a page with 'studies' (found {keys or 'an empty object'})",
            file=locator))
        return
    for i, study in enumerate(studies):
        item_locator = f"{locator}#{prefix}[{i}]"
        if not isinstance(study, dict):
            yield ImportItem(locator=item_locator, error=SourceFormatError(
                f"expected a study object, found {kind_of(study)}", file=locator,
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
