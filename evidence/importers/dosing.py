"""Dosing text -> typed Regimen: dose, route, frequency, cycles, duration, follow-up.

Only what the text states is filled; every `reported` string and Text is sliced
from the original text (not the normalised working copy), so it reads as printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from evidence.importers.textnorm import Normalised, normalise, squash
from evidence.records import Duration, Regimen, Text, TimeUnit

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
          "九": 9, "十": 10}
_NUM = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_ZH_NUM = r"(?:\d+(?:\.\d+)?|[一两二三四五六七八九十])"
_EN_UNIT = r"(?:hour|day|week|month|year)s?"
_ZH_UNIT = r"(?:小时|天|日|周|星期|个月|月|年)"
_UNIT_OF = {"hour": TimeUnit.hour, "day": TimeUnit.day, "week": TimeUnit.week,
            "month": TimeUnit.month, "year": TimeUnit.year, "小时": TimeUnit.hour,
            "天": TimeUnit.day, "日": TimeUnit.day, "周": TimeUnit.week, "星期": TimeUnit.week,
            "个月": TimeUnit.month, "月": TimeUnit.month, "年": TimeUnit.year}
_EN_SPAN = rf"{_NUM}[- ]{_EN_UNIT}"
_ZH_SPAN = rf"{_ZH_NUM}\s*{_ZH_UNIT}"
_I = re.IGNORECASE

# (pattern, code); code None = a frequency worth keeping as text but with no code.
# Latin and Chinese apart: most texts are ASCII, where the Chinese patterns cannot
# match, and a registry import runs these on every intervention description.
_FREQUENCIES_LATIN: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(p, flags), code) for p, flags, code in (
        (r"\bonce[- ](?:a |per )?day\b|\bonce[- ]daily\b|\bevery day\b|\bdaily\b"
         r"|\bq\.?d\.?(?![a-z])", _I, "qd"),
        (r"\btwice[- ](?:a |per )?day\b|\btwice[- ]daily\b|\bb\.?i\.?d\.?(?![a-z])"
         r"|\bevery 12 hours\b", _I, "bid"),
        (r"\b(?:three|3) times (?:a |per )?day\b|\b(?:three|3) times daily\b"
         r"|\bt\.?i\.?d\.?(?![a-z])|\bevery 8 hours\b", _I, "tid"),
        (r"\b(?:four|4) times (?:a |per )?day\b|\b(?:four|4) times daily\b"
         r"|\bq\.?i\.?d\.?(?![a-z])|\bevery 6 hours\b", _I, "qid"),
        (r"\bevery other day\b|\bevery second day\b|\b(?:on )?alternate days\b|\balternate[- ]day\b"
         r"|\bq\.?o\.?d\.?(?![a-z])|\bevery 48 hours\b", _I, "qod"),
        (r"\bonce[- ](?:a |per |every )?week\b|\bonce[- ]weekly\b|\bweekly\b|\bevery week\b"
         r"|\bq1?w(?![a-z])", _I, "qw"),
        (r"\bevery (?:2|two) weeks\b|\bevery other week\b|\bevery second week\b|\bfortnightly\b"
         r"|\bq2w(?![a-z])|\bq2wk?s?(?![a-z])", _I, "q2w"),
        (r"\bevery (?:3|three) weeks\b|\bq3w(?![a-z])", _I, "q3w"),
        (r"\bevery (?:4|four) weeks\b|\bq4w(?![a-z])", _I, "q4w"),
        (r"\b(?:as )?a single dose\b|\bsingle[- ]dose\b|\bone[- ]time dose\b|\bonce\b", _I, "once"),
        (r"\bas needed\b|\bp\.?r\.?n\.?(?![a-z])", _I, "prn"),
        (r"\b\d+\s*[-–]\s*\d+ times (?:a |per )?day\b|\b\d+\s*[-–]\s*\d+ times daily\b", _I, None),
    )
)
_FREQUENCIES_CJK: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(p), code) for p, code in (
        (r"每[日天]\s*[一1]\s*次|每[日天](?!\s*[0-9一两二三四])", "qd"),
        (r"每[日天]\s*[两二2]\s*次", "bid"),
        (r"每[日天]\s*[三3]\s*次", "tid"),
        (r"每[日天]\s*[四4]\s*次", "qid"),
        (r"每隔一[天日]|隔[日天]|每\s*[两2]\s*[天日]", "qod"),
        (r"每周\s*[一1]\s*次|每周(?!\s*[0-9一两二三四])|每星期\s*[一1]?\s*次?", "qw"),
        (r"每\s*[两二2]\s*周", "q2w"),
        (r"每\s*[三3]\s*周", "q3w"),
        (r"每\s*[四4]\s*周", "q4w"),
        (r"单次(?:给药|剂量)?", "once"),
        (r"按需", "prn"),
    )
)
_FREQUENCIES = _FREQUENCIES_LATIN + _FREQUENCIES_CJK

_ROUTES_LATIN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, flags), route) for p, flags, route in (
        (r"\bsubcutaneous(?:ly)?\b|\bsub-cutaneous(?:ly)?\b", _I, "subcutaneous"),
        # Abbreviations are case-sensitive: "IV" is a route, "iv" inside words is not.
        (r"\bs\.c\.|\bSC\b|\bsc\b", 0, "subcutaneous"),
        (r"\bintravenous(?:ly)?\b", _I, "intravenous"),
        (r"\bi\.v\.|\bIV\b", 0, "intravenous"),
        (r"\bintramuscular(?:ly)?\b", _I, "intramuscular"),
        (r"\bi\.m\.|\bIM\b", 0, "intramuscular"),
        (r"\boral(?:ly)?\b|\bby mouth\b", _I, "oral"),
        (r"\bp\.o\.|\bPO\b|\bpo\b", 0, "oral"),
        (r"\binhal(?:ed|ation)\b", _I, "inhaled"),
        (r"\bintrathecal(?:ly)?\b", _I, "intrathecal"),
        (r"\btopical(?:ly)?\b", _I, "topical"),
        (r"\bsublingual(?:ly)?\b", _I, "sublingual"),
        (r"\btransdermal(?:ly)?\b", _I, "transdermal"),
        (r"\bintranasal(?:ly)?\b", _I, "intranasal"),
    )
)
_ROUTES_CJK: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), route) for p, route in (
        ("皮下", "subcutaneous"), ("静脉", "intravenous"), ("肌内|肌肉注射|肌注", "intramuscular"),
        ("口服", "oral"), ("吸入", "inhaled"), ("鞘内", "intrathecal"), ("外用", "topical"),
        ("舌下", "sublingual"), ("经皮", "transdermal"), ("鼻内", "intranasal"),
    )
)
_ROUTES = _ROUTES_LATIN + _ROUTES_CJK

_DOSE_UNITS = {
    "mg/kg": "mg/kg", "mg/m2": "mg/m2", "mg/m²": "mg/m2", "µg/kg": "µg/kg", "μg/kg": "µg/kg",
    "mcg/kg": "µg/kg", "iu/kg": "IU/kg", "u/kg": "U/kg", "mg": "mg", "µg": "µg", "μg": "µg",
    "mcg": "µg", "ug": "µg", "ng": "ng", "g": "g", "miu": "MIU", "iu": "IU", "u": "U",
    "units": "U", "ml": "mL", "mmol": "mmol", "毫克": "mg", "微克": "µg", "克": "g",
    "国际单位": "IU", "单位": "U", "毫升": "mL",
}
_MULTIPLIERS = {"million": Decimal(1_000_000), "thousand": Decimal(1000),
                "billion": Decimal(1_000_000_000), "万": Decimal(10_000), "千": Decimal(1000),
                "亿": Decimal(100_000_000)}
_DOSE = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<mult>million|thousand|billion|万|千|亿)?\s*"
    r"(?P<unit>mg/kg|mg/m2|mg/m²|[µμ]g/kg|mcg/kg|IU/kg|U/kg|mg|[µμ]g|mcg|ug|ng|g|MIU|IU|U|units"
    r"|mL|ml|mmol|毫克|微克|克|国际单位|单位|毫升)"
    # Not a concentration ("200 mg / ml") and not the start of a longer word.
    r"(?![A-Za-z0-9/])(?!\s*/\s*[A-Za-z])",
)

_CYCLE_EN = re.compile(
    rf"(?:\bfor (?P<on>{_EN_SPAN})\s*,?\s*(?:and\s+)?)?(?:\bthen\s+|\bfollowed\s+by\s+)(?:an?\s+)?"
    rf"(?P<off>{_EN_SPAN}\s+(?:break|rest|pause|off(?:\s+treatment)?"
    rf"|(?:drug|treatment)[- ]free\s+(?:interval|period)))", _I)
_CYCLE_ZH = re.compile(
    rf"(?:连续|用药|给药)\s*(?P<on>{_ZH_SPAN})\s*[,、;]?\s*(?:然后|之后|后|再)?\s*"
    rf"(?:休息|停药|间歇)\s*(?P<off>{_ZH_SPAN})")
_FOLLOW_UP = (
    re.compile(rf"\bfollowed[- ]up\s+for\s+(?:an?\s+)?(?P<d>(?:(?:additional|further|another)\s+)?"
               rf"{_EN_SPAN})", _I),
    re.compile(rf"\bfollow[- ]?up\s+(?:of|for)\s+(?P<d>{_EN_SPAN})", _I),
    re.compile(rf"(?P<d>{_EN_SPAN})\s+(?:of\s+)?follow[- ]?up\b", _I),
    re.compile(rf"(?P<d>(?:额外的?|另外的?)?\s*{_ZH_SPAN})\s*(?:的)?随访"),
    re.compile(rf"随访\s*(?P<d>{_ZH_SPAN})"),
)
_TREATMENT = (
    re.compile(rf"\bfor\s+(?:a\s+(?:total\s+)?(?:duration|period)\s+of\s+|a\s+total\s+of\s+)?"
               rf"(?P<d>{_EN_SPAN})(?!\s+(?:follow|break|rest|off))", _I),
    re.compile(rf"(?:治疗|疗程为?|用药|给药)\s*(?P<d>{_ZH_SPAN})(?!\s*[时后])"),
)
_CYCLES = (re.compile(rf"\bfor\s+(?P<n>{_NUM})\s+(?:treatment\s+)?cycles\b", _I),
           re.compile(rf"共\s*(?P<n>{_ZH_NUM})\s*个(?:治疗)?周期"))
_BACKGROUND = (
    re.compile(r"\b(?:with|plus|in addition to|on top of|added to)\s+(?:the\s+)?"
               r"(?P<bg>(?:standard|usual|conventional)(?:[- ]of[- ]care|(?:\s+[a-z-]+){0,3}?"
               r"\s+(?:treatment|therapy|care)))\b", _I),
    re.compile(r"(?P<bg>(?:标准|常规)(?:治疗|疗法|护理))"),
)


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int


def _number(raw: str) -> Decimal | None:
    raw = raw.strip().lower()
    if raw in _WORDS:
        return Decimal(_WORDS[raw])
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None


_SPAN_PARTS = re.compile(rf"(?P<n>{_NUM}|{_ZH_NUM})[- ]?\s*(?P<u>{_EN_UNIT}|{_ZH_UNIT})", _I)


def _duration(norm: Normalised, start: int, end: int) -> Duration | None:
    parts = _SPAN_PARTS.search(norm.text, start, end)
    if parts is None:
        return None
    value = _number(parts.group("n"))
    unit_word = parts.group("u").lower()
    unit = _UNIT_OF.get(unit_word.rstrip("s")) or _UNIT_OF.get(unit_word)
    if value is None or value <= 0 or unit is None:
        return None
    return Duration(value=float(value), unit=unit, reported=squash(norm.slice(start, end)))


def _free(hit: tuple[int, int], used: Iterable[tuple[int, int]]) -> bool:
    return all(hit[1] <= a or hit[0] >= b for a, b in used)


def _text(value: str, lang: str) -> Text:
    return Text(zh=value) if lang == "zh" else Text(en=value)


def extract_regimen(text: str, lang: str = "en") -> Regimen | None:
    """The regimen a dosing text states, or None when it states nothing dosing-like."""
    norm = normalise(text)
    work = norm.text
    used: list[tuple[int, int]] = []
    fields: dict[str, object] = {}

    for cycle in (_CYCLE_EN, _CYCLE_ZH):
        m = cycle.search(work)
        if m and "cycle_off" not in fields:
            if m.group("on"):
                fields["cycle_on"] = _duration(norm, *m.span("on"))
            fields["cycle_off"] = _duration(norm, *m.span("off"))
            used.append(m.span())
    for pattern in _FOLLOW_UP:
        m = pattern.search(work)
        if m and "follow_up" not in fields and _free(m.span(), used):
            fields["follow_up"] = _duration(norm, *m.span("d"))
            used.append(m.span())
    for pattern in _CYCLES:
        m = pattern.search(work)
        if m and "cycles" not in fields:
            n = _number(m.group("n"))
            if n is not None and n == n.to_integral_value():
                fields["cycles"] = int(n)
                used.append(m.span())
    for pattern in _TREATMENT:
        for m in pattern.finditer(work):
            if "treatment_duration" not in fields and _free(m.span(), used):
                fields["treatment_duration"] = _duration(norm, *m.span("d"))
                used.append(m.span())
    for pattern in _BACKGROUND:
        m = pattern.search(work)
        if m and "background" not in fields:
            fields["background"] = _text(squash(norm.slice(*m.span("bg"))), lang)

    freq = _first_frequency(work, used)
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
            fields["dose_amount"] = float(amount * _MULTIPLIERS[mult] if mult else amount)
        unit = dose.group("unit")
        fields["dose_unit"] = _DOSE_UNITS.get(unit.lower(), _DOSE_UNITS.get(unit, unit))
    route = _first_route(work)
    if route is not None:
        fields["route"] = route

    found = {k: v for k, v in fields.items() if v is not None}
    if not found:
        return None
    return Regimen.model_validate({"description": _text(squash(text), lang), **found})


_FreqHit = tuple[tuple[int, int], str | None]


def _first_frequency(work: str, used: list[tuple[int, int]]) -> _FreqHit | None:
    hits: list[tuple[int, int, str | None]] = []
    for pattern, code in (_FREQUENCIES_LATIN if work.isascii() else _FREQUENCIES):
        for m in pattern.finditer(work):
            if _free(m.span(), used):
                hits.append((m.start(), m.end(), code))
    if not hits:
        return None
    # Earliest, then longest: "twice daily" beats the "daily" inside it.
    start, end, code = min(hits, key=lambda h: (h[0], -(h[1] - h[0])))
    return (start, end), code


def _pick_dose(work: str, freq_start: int | None) -> re.Match[str] | None:
    doses = list(_DOSE.finditer(work))
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


def _first_route(work: str) -> str | None:
    routes = _ROUTES_LATIN if work.isascii() else _ROUTES
    hits = [(m.start(), route) for pattern, route in routes for m in pattern.finditer(work)]
    return min(hits)[1] if hits else None
