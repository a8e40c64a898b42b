"""Printed numbers kept with their precision; exact fractions rounded the two usual ways."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

# Lancet-style papers print the decimal point as a middle dot ("55·17%").
_NUMBER = re.compile(
    r"(?<![\d.])(?P<num>\d+(?:[.·]\d+)?|[.·]\d+)"
    r"(?:\s*(?:[eE](?P<e>[-+−]?\d+)|[x×]\s*10\s*\^?\s*(?P<p>[-+−]?\d+)))?"
)
# 60 digits keeps events/n exact far beyond any printed precision; ties stay exact.
_EXACT = Context(prec=60)


@dataclass(frozen=True, slots=True)
class Printed:
    """A number as printed: its exact decimal value and the text it came from."""

    value: Decimal
    text: str

    @property
    def quantum(self) -> Decimal:
        """One unit of the last printed digit (0.01 for '55.17')."""
        return Decimal(1).scaleb(int(self.value.as_tuple().exponent))

    @property
    def decimals(self) -> int:
        """Digits printed after the decimal point (negative exponents count too)."""
        return -int(self.value.as_tuple().exponent)


def parse_printed(text: str | None) -> Printed | None:
    """The first number in `text`, exactly as printed ('55.17%' -> 55.17 with 2 decimals)."""
    if not text:
        return None
    norm = unicodedata.normalize("NFKC", text)
    match = _NUMBER.search(norm)
    if match is None:
        return None
    digits = match["num"].replace("·", ".")
    if digits.startswith("."):
        digits = "0" + digits
    power = match["e"] or match["p"]
    if power:
        digits += "e" + power.replace("−", "-")
    return Printed(Decimal(digits), match.group(0))


def exact(value: Fraction) -> Decimal:
    """A fraction as a 60-digit Decimal (exact for terminating fractions, so ties stay ties)."""
    return _EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))


def round_fraction(value: Fraction, quantum: Decimal) -> dict[str, Decimal]:
    """`value` rounded to `quantum` half-up and half-even (they differ only on exact ties)."""
    dec = exact(value)
    return {
        "half_up": dec.quantize(quantum, rounding=ROUND_HALF_UP),
        "half_even": dec.quantize(quantum, rounding=ROUND_HALF_EVEN),
    }


def matching_roundings(value: Fraction, printed: Printed) -> list[str]:
    """Names of the roundings of `value` that give exactly the printed number."""
    return [name for name, rounded in round_fraction(value, printed.quantum).items()
            if rounded == printed.value]


def ratio_matcher(printed: Printed, den: int) -> Callable[[int], list[str]]:
    """`num -> matching_roundings(Fraction(num, den), printed)`, fast for many numerators.

    Integer arithmetic gives the answer of the 60-digit Decimals whenever their error (below
    1e-57 for a ratio up to 100) cannot cross a rounding tie: a ratio that is not exactly on
    one lies at least min(1, quantum) / (2 den) from it, over 1e-51 for den < 1e30 and at most
    20 printed decimals. Anything else takes the Decimal path.
    """
    sign, digits, exponent = printed.value.as_tuple()
    if sign or not isinstance(exponent, int) or not -20 <= exponent <= 20 or not 0 < den < 10**30:
        return lambda num: matching_roundings(Fraction(num, den), printed)
    target = int("".join(map(str, digits)))  # the printed value in printed units
    # num / den in printed units is num * up / down.
    up, down = (10**-exponent, den) if exponent < 0 else (1, den * 10**exponent)

    def match(num: int) -> list[str]:
        if not 0 <= num <= 100 * den:
            return matching_roundings(Fraction(num, den), printed)
        units, rest = divmod(num * up, down)
        if 2 * rest < down:
            half_up = half_even = units
        elif 2 * rest > down:
            half_up = half_even = units + 1
        else:  # an exact tie
            half_up, half_even = units + 1, units + units % 2
        return [name for name, rounded in (("half_up", half_up), ("half_even", half_even))
                if rounded == target]

    return match


def round_float(value: float, quantum: Decimal) -> Decimal:
    """A computed float rounded half-up at a printed precision (for p-values, not counts)."""
    return Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
