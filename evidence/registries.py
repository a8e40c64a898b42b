"""Trial registries: recognise, validate and normalise registration identifiers.

Patterns follow each registry's published identifier format. WHO's ICTRP treats
identifiers as case-insensitive with optional inner spaces, so we normalise
case and spacing before matching, and store the canonical spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidence.errors import EvidenceError


@dataclass(frozen=True, slots=True)
class Registry:
    code: str
    name: str
    pattern: re.Pattern[str]
    example: str


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{regex})$")


REGISTRIES: dict[str, Registry] = {
    r.code: r
    for r in (
        Registry("ctgov", "ClinicalTrials.gov", _p(r"NCT\d{8}"), "NCT02465580"),
        # ChiCTR: current ChiCTR + 10 digits; before 2016 ChiCTR-XXX-8 digits
        # (TRC, IOR, INR, IPR, OCH, ONC, ...).
        Registry("chictr", "Chinese Clinical Trial Registry",
                 _p(r"ChiCTR\d{10}|ChiCTR-[A-Z]{2,5}-\d{8}"), "ChiCTR2000029308"),
        Registry("isrctn", "ISRCTN", _p(r"ISRCTN\d{8}"), "ISRCTN17573805"),
        Registry("eudract", "EU Clinical Trials Register (EudraCT)",
                 _p(r"(?:19|20)\d{2}-\d{6}-\d{2}"), "2015-001234-12"),
        Registry("euct", "EU Clinical Trials Information System (CTIS)",
                 _p(r"(?:20)\d{2}-5\d{5}-\d{2}-\d{2}"), "2023-501234-12-00"),
        Registry("anzctr", "Australian New Zealand Clinical Trials Registry",
                 _p(r"ACTRN126\d{11}"), "ACTRN12617000123456"),
        Registry("drks", "German Clinical Trials Register", _p(r"DRKS\d{8}"), "DRKS00012345"),
        # CTRI's month field had three digits in its first years (CTRI/2009/091/000532).
        Registry("ctri", "Clinical Trials Registry - India",
                 _p(r"CTRI/\d{4}/\d{2,3}/\d{6}"), "CTRI/2019/05/019070"),
        Registry("umin", "UMIN Clinical Trials Registry", _p(r"UMIN\d{9}"), "UMIN000012345"),
        Registry("jrct", "Japan Registry of Clinical Trials",
                 _p(r"jRCT[a-z]?\d{9,10}"), "jRCT2031190001"),
        Registry("japiccti", "JAPIC Clinical Trials Information",
                 _p(r"JapicCTI-\d{6}"), "JapicCTI-173456"),
    )
}

# Prefixes in canonical case, used to restore case after case-insensitive matching.
_CANONICAL_PREFIXES = ("NCT", "ChiCTR", "ISRCTN", "ACTRN", "DRKS", "CTRI", "UMIN", "jRCT",
                       "JapicCTI")


class RegistrationError(EvidenceError):
    """A registration identifier is malformed for its registry."""


@dataclass(frozen=True, slots=True)
class Normalised:
    registry: str
    identifier: str
    known: bool  # False: registry not recognised; stored but flagged


def canonical_case(raw: str) -> str:
    """An identifier without spaces, its registry prefix in canonical case (nct 0246 -> NCT0246)."""
    compact = re.sub(r"\s+", "", raw.strip())
    for prefix in _CANONICAL_PREFIXES:
        if compact.lower().startswith(prefix.lower()):
            rest = compact[len(prefix):]
            # jRCT keeps its lower-case type letter (jRCTs...); others are upper.
            return prefix + (rest if prefix == "jRCT" else rest.upper())
    return compact


def detect_registry(identifier: str) -> str | None:
    """The registry code whose pattern matches `identifier`, if any."""
    candidate = canonical_case(identifier)
    for code, registry in REGISTRIES.items():
        if registry.pattern.match(candidate):
            return code
    return None


def normalise(registry: str | None, identifier: str) -> Normalised:
    """Validate and normalise one identifier; infer the registry when not given.

    Raises RegistrationError for a known registry whose pattern does not match.
    """
    candidate = canonical_case(identifier)
    if not candidate:
        raise RegistrationError("registration identifier is empty")
    code = (registry or "").strip().lower() or detect_registry(candidate)
    if code is None:
        return Normalised("other", candidate, known=False)
    known = REGISTRIES.get(code)
    if known is None:
        return Normalised(code, candidate, known=False)
    if not known.pattern.match(candidate):
        raise RegistrationError(
            f"{identifier!r} is not a valid {known.name} identifier (expected like {known.example})"
        )
    return Normalised(code, candidate, known=True)


def find_identifiers(text: str) -> list[Normalised]:
    """Every known-registry identifier mentioned in free text, in order, without repeats."""
    found: list[Normalised] = []
    seen: set[str] = set()
    for match in _ANYWHERE.finditer(text):
        raw = match.group(0)
        code = detect_registry(raw)
        if code is None:
            continue
        norm = normalise(code, raw)
        if norm.identifier not in seen:
            seen.add(norm.identifier)
            found.append(norm)
    return found


_ANYWHERE = re.compile(
    r"NCT\d{8}|ChiCTR-?[A-Z]{0,5}-?\d{8,10}|ISRCTN\s?\d{8}|ACTRN\d{14}|DRKS\d{8}"
    r"|CTRI/\d{4}/\d{2,3}/\d{6}|UMIN\d{9}|jRCT[a-z]?\d{9,10}|JapicCTI-\d{6}"
    r"|\b20\d{2}-5\d{5}-\d{2}-\d{2}\b|\b(?:19|20)\d{2}-\d{6}-\d{2}\b",
    re.IGNORECASE,
)
