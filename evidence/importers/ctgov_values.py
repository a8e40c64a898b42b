"""ClinicalTrials.gov values as printed -> typed values: enum codes, numbers, p-values, titles."""

from __future__ import annotations

import math
import re

from evidence.records import (
    Allocation,
    ArmRole,
    Control,
    Dispersion,
    EndpointRole,
    Masking,
    ParamType,
    Phase,
    StudyType,
)

STUDY_TYPE = {"INTERVENTIONAL": StudyType.interventional,
               "OBSERVATIONAL": StudyType.observational,
               "EXPANDED_ACCESS": StudyType.expanded_access}
ALLOCATION = {"RANDOMIZED": Allocation.randomised, "NON_RANDOMIZED": Allocation.non_randomised,
               "NA": Allocation.not_applicable}
MASKING = {m.name.upper(): m for m in Masking}
PHASE = {**{p.name.upper(): p for p in Phase}, "NA": Phase.not_applicable}
ARM_ROLE = {r.name.upper(): r for r in ArmRole}
# Sham is a placebo procedure; the record format has no separate sham control.
CONTROL = ((ArmRole.placebo_comparator, Control.placebo),
            (ArmRole.sham_comparator, Control.placebo),
            (ArmRole.active_comparator, Control.active),
            (ArmRole.no_intervention, Control.no_treatment))
ENDPOINT_ROLE = {"PRIMARY": EndpointRole.primary, "SECONDARY": EndpointRole.secondary,
                  "OTHER_PRE_SPECIFIED": EndpointRole.other, "OTHER": EndpointRole.other,
                  "POST_HOC": EndpointRole.exploratory}
PARAM = {"COUNT_OF_PARTICIPANTS": ParamType.count, "COUNT_OF_UNITS": ParamType.count,
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


class UniqueKeys:
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


def dispersion_of(kind: str) -> tuple[Dispersion, float | None]:
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
