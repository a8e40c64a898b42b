"""The dosing parser's shortcuts give what trying every pattern everywhere gives.

`extract_regimen` skips patterns an ASCII text cannot match and finds the first
frequency and route with one combined regex; these tests hold both to the full
scan on every text of the real ClinicalTrials.gov fixtures, split into sentences,
plus texts built to hit the corners (overlaps with spans already used, several
hits at one place, upper case).
"""

from __future__ import annotations

import json
import random
import re
from functools import cache

import pytest

from evidence.importers import dosing
from evidence.importers.dosing_patterns import (
    BACKGROUND,
    CYCLE,
    CYCLES,
    FOLLOW_UP,
    FREQUENCIES_LATIN,
    ROUTES_LATIN,
    TREATMENT,
    EarliestOf,
)
from evidence.importers.textnorm import normalise
from tests.conftest import FIXTURES

_CORNERS = [
    "daily then twice daily", "Twice Daily, then once daily", "BID or QD", "q.d. and b.i.d.",
    "every other day for 2 weeks then 2 weeks off", "for 2 weeks, followed by a 2-week break daily",
    "SC or IV, subcutaneously", "IV then sc then orally", "intravenously (IV) once weekly",
    "2-3 times daily as needed", "once every week", "single dose, once", "PRN po",
    "followed up for another 12 weeks of follow-up", "for 4 cycles daily",
    "then a Follow-up of 8 weeks", "FOLLOW UP FOR 2 MONTHS",
    "with standard of care therapy", "plus usual care, twice daily", "IM, i.m. or s.c.",
]


@cache
def _texts() -> tuple[str, ...]:
    """Every string of the fixture studies, and each of their sentences, normalised."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.add(value)
            found.update(re.split(r"(?<=[.;])\s+", value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((FIXTURES / "ctgov").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    rng = random.Random(8)
    pieces = sorted(found)
    mixed = [" ".join(rng.choice(_CORNERS + pieces[:300]) for _ in range(rng.randint(2, 5)))
             for _ in range(3000)]
    return tuple(normalise(t).text for t in sorted(found) + _CORNERS + mixed if t.strip())


def test_the_fixtures_give_enough_texts() -> None:
    texts = _texts()
    assert len(texts) > 5000
    assert sum(dosing.extract_regimen(t) is not None for t in texts) > 500


@pytest.mark.parametrize("rules", [CYCLE, FOLLOW_UP, TREATMENT, CYCLES, BACKGROUND],
                         ids=["cycle", "follow-up", "treatment", "cycles", "background"])
def test_a_skipped_pattern_never_matches(rules: tuple[dosing.Rule, ...]) -> None:
    matched = dict.fromkeys(rule.regex.pattern for rule in rules if not rule.cjk)
    for text in _texts():
        if not text.isascii():
            continue
        for rule in rules:
            if rule.regex.search(text):
                matched[rule.regex.pattern] = text
                assert rule.may_match(text.lower()), (rule.regex.pattern, text)
    # Every English pattern matched some text, so each skip condition was put to the test.
    assert all(matched.values()), [p for p, t in matched.items() if t is None]
    assert all(rule.may_match(None) for rule in rules)  # non-ASCII text tries them all


def test_first_frequency_is_the_full_scans() -> None:
    rng = random.Random(5)
    fallbacks = 0
    for text in _texts():
        if not text.isascii():
            continue
        scan = dosing._scan_frequencies(text, [], FREQUENCIES_LATIN)
        used: list[tuple[int, int]] = []
        if scan is not None and rng.random() < 0.5:
            # Cover the first hit with a span already taken: the fast path must defer.
            (start, end), _ = scan
            used = [(max(0, start - rng.randint(0, 3)), end + rng.randint(-1, 3))]
            fallbacks += 1
        assert dosing._first_frequency(text, used, text.lower()) == \
            dosing._scan_frequencies(text, used, FREQUENCIES_LATIN), (text, used)
    assert fallbacks > 100


def test_first_route_is_the_full_scans() -> None:
    hits = 0
    for text in _texts():
        if text.isascii():
            expected = dosing._scan_routes(text, ROUTES_LATIN)
            hits += expected is not None
            assert dosing._first_route(text, text.lower()) == expected, text
    assert hits > 100


def test_an_upper_case_pattern_cannot_be_folded() -> None:
    # "IV" folded to "iv" would match inside words: refused when the tables load.
    with pytest.raises(ValueError, match="upper-case"):
        EarliestOf.of(((re.compile(r"\bIV\b", re.IGNORECASE), "intravenous"),))
    both = EarliestOf.of(((re.compile(r"\boral\b", re.IGNORECASE), "oral"),
                          (re.compile(r"\bIV\b"), "intravenous")))
    assert both.start("iv, then IV or ORAL", "iv, then iv or oral") == 9
    assert both.start("nothing here", "nothing here") is None
