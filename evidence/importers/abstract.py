"""Plain-text trial abstract (English and/or Chinese) -> a DRAFT Record with provenance.

Parsing runs on an NFKC working copy (full-width digits and punctuation folded,
〈〉 -> <>), but every Provenance span and quote points into the text as given.
Only what the abstract prints is filled: counts that need the full paper
(events behind a bare percentage, n analysed) are left for the curator.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from evidence import registries
from evidence.errors import EvidenceError, SourceFormatError
from evidence.importers import abstract_facts as facts
from evidence.importers.abstract_layout import SOURCE_KEY, Layout, Sentence, read_layout
from evidence.importers.base import ImportItem
from evidence.importers.textnorm import Normalised, normalise
from evidence.records import (
    AbstractSection,
    Allocation,
    Control,
    Design,
    Enrollment,
    Masking,
    Provenance,
    Publication,
    Registration,
    StudyType,
    Text,
    Trial,
)

_CONDITION = (re.compile(r"\btreatment of (?P<c>[a-z][a-z' -]+?)\s*(?::|,|\.|$)"),
              re.compile(r"治疗(?P<c>[\u4e00-\u9fff]{2,20}?)的"))

@dataclass
class _Builder:
    norm: Normalised
    layout: Layout
    notes: list[str] = field(default_factory=list)

    # --- helpers ----------------------------------------------------------------
    def prov(self, sent: Sentence) -> Provenance:
        start, end = self.norm.span(sent.start, sent.end)
        return Provenance(source=SOURCE_KEY, locator=sent.section, span=(start, end),
                          quote=self.norm.original[start:end])

    def printed(self, sent: Sentence, start: int, end: int) -> str:
        return self.norm.slice(sent.start + start, sent.start + end)

    def sentences(self, lang: str, category: str | None = None) -> list[Sentence]:
        return [s for sec in self.layout.sections if sec.lang == lang
                and (category is None or sec.category == category) for s in sec.sentences]

    def langs(self) -> list[str]:
        return [lang for lang in ("en", "zh") if self.sentences(lang)]

    # --- publication ------------------------------------------------------------
    def title(self) -> Text:
        lay = self.layout
        return Text(en=self.norm.slice(*lay.title_en) if lay.title_en else None,
                    zh=self.norm.slice(*lay.title_zh) if lay.title_zh else None)

    def publication(self) -> Publication:
        sections: list[AbstractSection] = []
        order: list[str] = []
        for sec in self.layout.sections:
            if sec.category not in order:
                order.append(sec.category)
        for category in order:
            by_lang = {s.lang: s for s in reversed(self.layout.sections) if s.category == category}
            label, body = Text(), Text()
            for lang, sec in by_lang.items():
                setattr(label, lang, sec.label)
                setattr(body, lang, self.norm.slice(sec.start, sec.end))
            sections.append(AbstractSection(label=label, text=body))
        cit = self.layout.citation
        return Publication(
            doi=cit.doi if cit else None, journal_abbrev=cit.journal_abbrev if cit else None,
            year=cit.year if cit else None, volume=cit.volume if cit else None,
            issue=cit.issue if cit else None, pages=cit.pages if cit else None,
            epub_date=cit.epub_date if cit else None, title=self.title(),
            abstract_sections=sections)

    def registrations(self) -> list[Registration]:
        text = "\n".join(self.norm.text[sec.start:sec.end] for sec in self.layout.sections)
        return [Registration(registry=n.registry, identifier=n.identifier)
                for n in registries.find_identifiers(text)]

    # --- trial ------------------------------------------------------------------
    def trial(self) -> Trial:
        title = self.title()
        design: dict[str, str] = {}
        provenance: Provenance | None = None
        titles = [t for t in (title.en, title.zh) if t]
        for t in titles:
            for fld, (value, _) in facts.design_words(unicodedata.normalize("NFKC", t)).items():
                design.setdefault(fld, value)
        field_prov: dict[str, Provenance] = {}
        enrollment = Enrollment()
        for lang in self.langs():
            for sent in self.sentences(lang, "methods"):
                words = facts.design_words(sent.text)
                if words and provenance is None:
                    provenance = self.prov(sent)
                for fld, (value, _) in words.items():
                    design.setdefault(fld, value)
                stated = facts.enrollment(sent)
                if stated and getattr(enrollment, stated[0]) is None:
                    setattr(enrollment, stated[0], stated[1])
                    field_prov[f"enrollment.{stated[0]}"] = self.prov(sent)
        if provenance is None and design:
            provenance = Provenance(source=SOURCE_KEY, locator="title")
        if provenance is not None:
            # The field provenance repeats the row provenance only when it differs.
            field_prov = {k: v for k, v in field_prov.items() if v != provenance}
        # Randomisation, blinding or a placebo control only exist in interventional studies.
        study_type = StudyType.interventional if design else None
        conditions = self.conditions(title)
        return Trial(
            title=Text(en=title.en.removesuffix(".") if title.en else None,
                       zh=title.zh.removesuffix("。") if title.zh else None),
            conditions=[conditions] if conditions.en or conditions.zh else [],
            design=Design(study_type=study_type,
                          allocation=Allocation(design["allocation"]) if "allocation" in design
                          else None,
                          masking=Masking(design["masking"]) if "masking" in design else None,
                          control=Control(design["control"]) if "control" in design else None),
            enrollment=enrollment, provenance=provenance, field_provenance=field_prov)

    def conditions(self, title: Text) -> Text:
        out = Text()
        for lang, pattern in zip(("en", "zh"), _CONDITION, strict=True):
            raw = title.get(lang)
            m = pattern.search(unicodedata.normalize("NFKC", raw)) if raw else None
            if m:
                setattr(out, lang, m.group("c").strip())
        return out


def parse_abstract_text(text: str, *, locator: str) -> ImportItem:
    """A draft trial Record from a pasted abstract page (English and/or Chinese)."""
    from evidence.importers.abstract_build import build_record

    if not text.strip():
        return ImportItem(locator=locator, error=SourceFormatError("text is empty", file=locator))
    norm = normalise(text)
    layout = read_layout(norm)
    if not layout.sections and layout.title_en is None and layout.title_zh is None:
        return ImportItem(locator=locator, error=SourceFormatError(
            "no title or abstract sections found", file=locator))
    builder = _Builder(norm, layout)
    try:
        record = build_record(builder, locator)
    except (ValueError, EvidenceError) as exc:
        message = (exc.message if isinstance(exc, SourceFormatError)
                   else str(exc).splitlines()[0])
        return ImportItem(locator=locator, error=SourceFormatError(message, file=locator),
                          notes=builder.notes)
    return ImportItem(locator=locator, record=record, notes=builder.notes)
