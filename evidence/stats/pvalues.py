"""Is a reported p-value reproduced by a standard test? Reading the printed p and judging it.

Rules (the tests in tests/test_checks.py pin them on the seed trial):

- "=" (or no comparator): reproduced when a test's p, rounded half-up or half-even
  to the printed precision, equals the printed value ("0.027" <- 0.02669).
- "<" / "<=" / ">" / ">=": reproduced when the test's p satisfies the inequality
  (for "<=" and ">=" after rounding to the printed precision): "<0.001" is
  reproduced by any p < 0.001.
- "near": not reproduced, but the closest test is within
  max(10% of the printed value, one unit of its last digit) of it, and falls on
  the same side of 0.05 as the printed p claims. 0.0504 vs "0.052" is near
  (3% away, both >= 0.05); 0.053 vs "0.036" is not (47% away, and it crosses
  0.05). A near miss that changes significance is never called near.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from evidence.records import Comparison
from evidence.stats.numbers import Printed, parse_printed, round_float
from evidence.stats.tables import TestResult

ALPHA = Decimal("0.05")
NEAR_RELATIVE = Decimal("0.10")
_COMPARATOR = re.compile(r"(<=|>=|≤|≥|=|<|>)")
_CANONICAL = {"≤": "<=", "≥": ">="}


@dataclass(frozen=True, slots=True)
class ReportedP:
    """A p-value as printed: comparator, exact printed value, and where its precision came from."""

    comparator: str
    printed: Printed
    precision_from: str  # "text" (p_reported) or "value" (p_value; no printed text in the record)

    def describe(self) -> str:
        """'p=0.052', 'p<0.001'."""
        return f"p{self.comparator}{self.printed.value}"


def reported_p(comparison: Comparison) -> ReportedP | None:
    """The reported p of a comparison, or None when the record has no usable p."""
    text = comparison.p_reported
    printed = parse_printed(text)
    if printed is not None and text is not None:
        norm = unicodedata.normalize("NFKC", text)
        before = norm[: norm.find(printed.text)] if printed.text in norm else norm
        found = _COMPARATOR.findall(before)
        comparator = found[-1] if found else (comparison.p_comparator or "=")
        return ReportedP(_CANONICAL.get(comparator, comparator), printed, "text")
    if comparison.p_value is not None:
        # No printed text: the stored float's shortest repr is the best precision we have.
        value = Printed(Decimal(repr(comparison.p_value)), repr(comparison.p_value))
        return ReportedP(comparison.p_comparator or "=", value, "value")
    return None


@dataclass(frozen=True, slots=True)
class PVerdict:
    """How the standard tests compare with a reported p."""

    reported: ReportedP
    tried: tuple[TestResult, ...]
    reproduced_by: tuple[str, ...]
    closest: TestResult | None
    near: bool

    @property
    def status(self) -> str:
        """reproduced, near, not_reproduced, or untestable (no test could be computed)."""
        if self.reproduced_by:
            return "reproduced"
        if self.closest is None:
            return "untestable"
        return "near" if self.near else "not_reproduced"


def reproduces(reported: ReportedP, p: float) -> bool:
    """Whether a computed p is consistent with the printed p (rules in the module docstring)."""
    value, quantum = reported.printed.value, reported.printed.quantum
    rounded = round_float(p, quantum)
    exact = Decimal(repr(p))
    return {
        "=": rounded == value,
        "<": exact < value,
        "<=": rounded <= value,
        ">": exact > value,
        ">=": rounded >= value,
    }[reported.comparator]


def claims_significant(reported: ReportedP, alpha: Decimal = ALPHA) -> bool | None:
    """Whether a printed p says p < alpha (None when it cannot tell, e.g. 'p<0.10')."""
    value, op = reported.printed.value, reported.comparator
    if op == "=":
        return value < alpha
    if op in ("<", "<="):
        return True if value <= alpha else None
    return False if value >= alpha else None


def is_near(reported: ReportedP, p: float) -> bool:
    """Close to, but not reproducing, the printed p without changing significance."""
    value = reported.printed.value
    tolerance = max(NEAR_RELATIVE * value, reported.printed.quantum)
    if abs(Decimal(repr(p)) - value) > tolerance:
        return False
    claim = claims_significant(reported)
    return claim is None or claim == (Decimal(repr(p)) < ALPHA)


def judge(reported: ReportedP, tests: list[TestResult]) -> PVerdict:
    """Compare every computable test with the printed p."""
    usable = [t for t in tests if t.p_value is not None and math.isfinite(t.p_value)]
    good = tuple(t.name for t in usable
                 if t.p_value is not None and reproduces(reported, t.p_value))
    closest = min(usable, key=lambda t: abs(Decimal(repr(t.p_value)) - reported.printed.value),
                  default=None)
    near = (not good and closest is not None and closest.p_value is not None
            and is_near(reported, closest.p_value))
    return PVerdict(reported, tuple(tests), good, closest, near)


def format_p(p: float, reported: ReportedP | None = None) -> str:
    """A computed p at the printed precision (two significant digits when smaller than that)."""
    decimals = max(reported.printed.decimals, 0) if reported else 3
    decimals = decimals or 3
    if p < 10 ** -decimals:
        return f"{p:.2g}"
    return f"{p:.{decimals}f}"
