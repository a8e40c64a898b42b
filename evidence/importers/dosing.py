"""Dosing text -> typed Regimen: dose, route, frequency, cycles, duration, follow-up.

Only what the text states is filled; every `reported` string and Text is sliced
from the original text (not the normalised working copy), so it reads as printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from evidence.importers.dosing_patterns import (
    BACKGROUND,
    CYCLE,
    CYCLES,
    DOSE,
    DOSE_UNITS,
    EN_UNIT,
    FIRST_FREQUENCY_LATIN,
    FIRST_ROUTE_LATIN,
    FOLLOW_UP,
    FREQUENCIES,
    FREQUENCIES_LATIN,
    MULTIPLIERS,
    NUM,
    NUMBER_WORDS,
    ROUTES,
    ROUTES_LATIN,
    TREATMENT,
    UNIT_OF,
    ZH_NUM,
    ZH_UNIT,
    Rule,
)
from evidence.importers.textnorm import Normalised, normalise, squash
from evidence.records import Duration, Regimen, Text


def _number(raw: str) -> Decimal | None:
    raw = raw.strip().lower()
    if raw in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[raw])
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None


_SPAN_PARTS = re.compile(rf"(?P<n>{NUM}|{ZH_NUM})[- ]?\s*(?P<u>{EN_UNIT}|{ZH_UNIT})",
                         re.IGNORECASE)


def _duration(norm: Normalised, start: int, end: int) -> Duration | None:
    parts = _SPAN_PARTS.search(norm.text, start, end)
    if parts is None:
        return None
    value = _number(parts.group("n"))
    unit_word = parts.group("u").lower()
    unit = UNIT_OF.get(unit_word.rstrip("s")) or UNIT_OF.get(unit_word)
    if value is None or value <= 0 or unit is None:
        return None
    return Duration(value=float(value), unit=unit, reported=squash(norm.slice(start, end)))


def _free(hit: tuple[int, int], used: Iterable[tuple[int, int]]) -> bool:
    return all(hit[1] <= a or hit[0] >= b for a, b in used)


def _text(value: str, lang: str) -> Text:
    return Text(zh=value) if lang == "zh" else Text(en=value)


def _tried(rules: tuple[Rule, ...], ascii_lower: str | None) -> Iterator[re.Pattern[str]]:
    """The patterns of `rules` that can match the text at all."""
    return (rule.regex for rule in rules if rule.may_match(ascii_lower))


def extract_regimen(text: str, lang: str = "en") -> Regimen | None:
    """The regimen a dosing text states, or None when it states nothing dosing-like."""
    norm = normalise(text)
    work = norm.text
    lower = work.lower() if work.isascii() else None  # None: not ASCII
    used: list[tuple[int, int]] = []
    fields: dict[str, object] = {}

    for pattern in _tried(CYCLE, lower):
        m = pattern.search(work)
        if m:
            if m.group("on"):
                fields["cycle_on"] = _duration(norm, *m.span("on"))
            fields["cycle_off"] = _duration(norm, *m.span("off"))
            used.append(m.span())
            break
    for pattern in _tried(FOLLOW_UP, lower):
        m = pattern.search(work)
        if m and _free(m.span(), used):
            fields["follow_up"] = _duration(norm, *m.span("d"))
            used.append(m.span())
            break
    for pattern in _tried(CYCLES, lower):
        m = pattern.search(work)
        if m:
            n = _number(m.group("n"))
            if n is not None and n == n.to_integral_value():
                fields["cycles"] = int(n)
                used.append(m.span())
                break
    for pattern in _tried(TREATMENT, lower):
        m = next((m for m in pattern.finditer(work) if _free(m.span(), used)), None)
        if m:
            fields["treatment_duration"] = _duration(norm, *m.span("d"))
            used.append(m.span())
            break
    for pattern in _tried(BACKGROUND, lower):
        m = pattern.search(work)
        if m:
            fields["background"] = _text(squash(norm.slice(*m.span("bg"))), lang)
            break

    freq = _first_frequency(work, used, lower)
    if freq is not None:
        (start, end), code = freq
        fields["frequency"] = code
        fields["frequency_text"] = _text(squash(norm.slice(start, end)), lang)
    dose = _pick_dose(work, freq[0][0] if freq else None)
    if dose is not None:
        fields["dose"] = _text(squash(norm.slice(*dose.span())), lang)
        amount = _number(dose.group("num"))
        if amount is not None:
            mult = dose.group("mult")
            fields["dose_amount"] = float(amount * MULTIPLIERS[mult] if mult else amount)
        unit = dose.group("unit")
        fields["dose_unit"] = DOSE_UNITS.get(unit.lower(), DOSE_UNITS.get(unit, unit))
    route = _first_route(work, lower)
    if route is not None:
        fields["route"] = route

    found = {k: v for k, v in fields.items() if v is not None}
    if not found:
        return None
    return Regimen.model_validate({"description": _text(squash(text), lang), **found})


_FreqHit = tuple[tuple[int, int], str | None]


def _first_frequency(work: str, used: list[tuple[int, int]],
                     lower: str | None) -> _FreqHit | None:
    """The earliest frequency outside `used`, the longest of those starting there.

    On ASCII text (`lower` given) one combined regex finds where the earliest
    frequency of any pattern starts. No pattern matches before it, so a pattern
    matching there is that pattern's first hit, the one the full scan would find;
    if one of those is outside `used` it is the answer. Otherwise the full scan
    decides.
    """
    if lower is not None:
        start = FIRST_FREQUENCY_LATIN.start(work, lower)
        if start is None:
            return None
        at_start = [(m.end(), code) for pattern, code in FREQUENCIES_LATIN
                    if (m := pattern.match(work, start)) and _free(m.span(), used)]
        if at_start:
            end, code = max(at_start, key=lambda hit: hit[0])  # the first of the longest
            return (start, end), code
    return _scan_frequencies(work, used, FREQUENCIES if lower is None else FREQUENCIES_LATIN)


def _scan_frequencies(work: str, used: list[tuple[int, int]],
                      patterns: tuple[tuple[re.Pattern[str], str | None], ...]) -> _FreqHit | None:
    hits: list[tuple[int, int, str | None]] = []
    for pattern, code in patterns:
        for m in pattern.finditer(work):
            if _free(m.span(), used):
                hits.append((m.start(), m.end(), code))
    if not hits:
        return None
    # Earliest, then longest: "twice daily" beats the "daily" inside it.
    start, end, code = min(hits, key=lambda h: (h[0], -(h[1] - h[0])))
    return (start, end), code


def _pick_dose(work: str, freq_start: int | None) -> re.Match[str] | None:
    doses = list(DOSE.finditer(work))
    if not doses:
        return None
    if freq_start is not None:
        # A loading dose often comes first ("400 mg on Weeks 0, 2 and 4, followed by
        # 200 mg every 2 weeks"); the dose that goes with the frequency is the last
        # one printed before it.
        before = [d for d in doses if d.start() < freq_start]
        if before:
            return before[-1]
    return doses[0]


def _first_route(work: str, lower: str | None) -> str | None:
    """The route named first (the alphabetically first of those named at one place).

    On ASCII text one combined regex finds where the first route starts; the
    patterns matching right there are exactly those the full scan finds there.
    """
    if lower is not None:
        start = FIRST_ROUTE_LATIN.start(work, lower)
        if start is None:
            return None
        return min(route for pattern, route in ROUTES_LATIN if pattern.match(work, start))
    return _scan_routes(work, ROUTES)


def _scan_routes(work: str, routes: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    hits = [(m.start(), route) for pattern, route in routes for m in pattern.finditer(work)]
    return min(hits)[1] if hits else None
