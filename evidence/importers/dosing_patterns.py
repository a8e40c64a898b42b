"""The patterns the dosing parser matches, and which texts each can match at all.

A registry import runs every one of these on every intervention and arm
description, so each pattern says what an ASCII text must contain for it to
match (a Chinese character, or one of a few lower-case words). `evidence.
importers.dosing` skips a pattern whose condition fails: the result is the same,
and tests/test_dosing_patterns.py checks every condition against real texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from evidence.records import TimeUnit

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
          "九": 9, "十": 10}
NUM = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
ZH_NUM = r"(?:\d+(?:\.\d+)?|[一两二三四五六七八九十])"
EN_UNIT = r"(?:hour|day|week|month|year)s?"
ZH_UNIT = r"(?:小时|天|日|周|星期|个月|月|年)"
UNIT_OF = {"hour": TimeUnit.hour, "day": TimeUnit.day, "week": TimeUnit.week,
            "month": TimeUnit.month, "year": TimeUnit.year, "小时": TimeUnit.hour,
            "天": TimeUnit.day, "日": TimeUnit.day, "周": TimeUnit.week, "星期": TimeUnit.week,
            "个月": TimeUnit.month, "月": TimeUnit.month, "年": TimeUnit.year}
_EN_SPAN = rf"{NUM}[- ]{EN_UNIT}"
_ZH_SPAN = rf"{ZH_NUM}\s*{ZH_UNIT}"
_I = re.IGNORECASE

# (pattern, code); code None = a frequency worth keeping as text but with no code.
# Latin and Chinese apart: most texts are ASCII, where the Chinese patterns cannot
# match, and a registry import runs these on every intervention description.
FREQUENCIES_LATIN: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
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
FREQUENCIES_CJK: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
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
FREQUENCIES = FREQUENCIES_LATIN + FREQUENCIES_CJK

ROUTES_LATIN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
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
ROUTES_CJK: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), route) for p, route in (
        ("皮下", "subcutaneous"), ("静脉", "intravenous"), ("肌内|肌肉注射|肌注", "intramuscular"),
        ("口服", "oral"), ("吸入", "inhaled"), ("鞘内", "intrathecal"), ("外用", "topical"),
        ("舌下", "sublingual"), ("经皮", "transdermal"), ("鼻内", "intranasal"),
    )
)
ROUTES = ROUTES_LATIN + ROUTES_CJK

DOSE_UNITS = {
    "mg/kg": "mg/kg", "mg/m2": "mg/m2", "mg/m²": "mg/m2", "µg/kg": "µg/kg", "μg/kg": "µg/kg",
    "mcg/kg": "µg/kg", "iu/kg": "IU/kg", "u/kg": "U/kg", "mg": "mg", "µg": "µg", "μg": "µg",
    "mcg": "µg", "ug": "µg", "ng": "ng", "g": "g", "miu": "MIU", "iu": "IU", "u": "U",
    "units": "U", "ml": "mL", "mmol": "mmol", "毫克": "mg", "微克": "µg", "克": "g",
    "国际单位": "IU", "单位": "U", "毫升": "mL",
}
MULTIPLIERS = {"million": Decimal(1_000_000), "thousand": Decimal(1000),
                "billion": Decimal(1_000_000_000), "万": Decimal(10_000), "千": Decimal(1000),
                "亿": Decimal(100_000_000)}
DOSE = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<mult>million|thousand|billion|万|千|亿)?\s*"
    r"(?P<unit>mg/kg|mg/m2|mg/m²|[µμ]g/kg|mcg/kg|IU/kg|U/kg|mg|[µμ]g|mcg|ug|ng|g|MIU|IU|U|units"
    r"|mL|ml|mmol|毫克|微克|克|国际单位|单位|毫升)"
    # Not a concentration ("200 mg / ml") and not the start of a longer word.
    r"(?![A-Za-z0-9/])(?!\s*/\s*[A-Za-z])",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern, and what an ASCII text must contain for it to match at all."""

    regex: re.Pattern[str]
    # Lower-case words one of which the text must contain (the pattern cannot match
    # without one); () = no such word.
    needs: tuple[str, ...] = ()
    cjk: bool = False  # needs a Chinese character: never matches ASCII text

    def may_match(self, ascii_lower: str | None) -> bool:
        """False only when the pattern cannot match; `ascii_lower` None = not ASCII."""
        if ascii_lower is None:
            return True
        return not self.cjk and (not self.needs or any(w in ascii_lower for w in self.needs))


def _zh(pattern: str) -> Rule:
    return Rule(re.compile(pattern), cjk=True)


CYCLE = (
    Rule(re.compile(
        rf"(?:\bfor (?P<on>{_EN_SPAN})\s*,?\s*(?:and\s+)?)?(?:\bthen\s+|\bfollowed\s+by\s+)"
        rf"(?:an?\s+)?(?P<off>{_EN_SPAN}\s+(?:break|rest|pause|off(?:\s+treatment)?"
        rf"|(?:drug|treatment)[- ]free\s+(?:interval|period)))", _I), ("then", "followed")),
    _zh(rf"(?:连续|用药|给药)\s*(?P<on>{_ZH_SPAN})\s*[,、;]?\s*(?:然后|之后|后|再)?\s*"
        rf"(?:休息|停药|间歇)\s*(?P<off>{_ZH_SPAN})"),
)
FOLLOW_UP = (
    Rule(re.compile(rf"\bfollowed[- ]up\s+for\s+(?:an?\s+)?"
                    rf"(?P<d>(?:(?:additional|further|another)\s+)?{_EN_SPAN})", _I), ("followed",)),
    Rule(re.compile(rf"\bfollow[- ]?up\s+(?:of|for)\s+(?P<d>{_EN_SPAN})", _I), ("follow",)),
    Rule(re.compile(rf"(?P<d>{_EN_SPAN})\s+(?:of\s+)?follow[- ]?up\b", _I), ("follow",)),
    _zh(rf"(?P<d>(?:额外的?|另外的?)?\s*{_ZH_SPAN})\s*(?:的)?随访"),
    _zh(rf"随访\s*(?P<d>{_ZH_SPAN})"),
)
TREATMENT = (
    Rule(re.compile(rf"\bfor\s+(?:a\s+(?:total\s+)?(?:duration|period)\s+of\s+|a\s+total\s+of\s+)?"
                    rf"(?P<d>{_EN_SPAN})(?!\s+(?:follow|break|rest|off))", _I), ("for",)),
    _zh(rf"(?:治疗|疗程为?|用药|给药)\s*(?P<d>{_ZH_SPAN})(?!\s*[时后])"),
)
CYCLES = (
    Rule(re.compile(rf"\bfor\s+(?P<n>{NUM})\s+(?:treatment\s+)?cycles\b", _I), ("cycles",)),
    _zh(rf"共\s*(?P<n>{ZH_NUM})\s*个(?:治疗)?周期"),
)
BACKGROUND = (
    Rule(re.compile(r"\b(?:with|plus|in addition to|on top of|added to)\s+(?:the\s+)?"
                    r"(?P<bg>(?:standard|usual|conventional)(?:[- ]of[- ]care|(?:\s+[a-z-]+){0,3}?"
                    r"\s+(?:treatment|therapy|care)))\b", _I), ("standard", "usual", "conventional")),
    _zh(r"(?P<bg>(?:标准|常规)(?:治疗|疗法|护理))"),
)


@dataclass(frozen=True, slots=True)
class EarliestOf:
    """Where the earliest match of any of some patterns starts in an ASCII text.

    One pass per case mode instead of one per pattern. The case-insensitive
    patterns run together without IGNORECASE on the lower-cased text, which
    `re` matches about four times faster; that is the same match because those
    patterns hold no upper-case character (checked here) and lower-casing ASCII
    keeps every offset.
    """

    folded: re.Pattern[str] | None  # run on text.lower()
    cased: re.Pattern[str] | None  # run on the text

    @classmethod
    def of(cls, patterns: tuple[tuple[re.Pattern[str], str | None], ...]) -> EarliestOf:
        folded = [p.pattern for p, _ in patterns if p.flags & re.IGNORECASE]
        cased = [p.pattern for p, _ in patterns if not p.flags & re.IGNORECASE]
        if any(p != p.lower() for p in folded):
            raise ValueError("a case-insensitive dosing pattern holds an upper-case character")
        return cls(*(re.compile("|".join(f"(?:{p})" for p in group)) if group else None
                     for group in (folded, cased)))

    def start(self, text: str, lower: str) -> int | None:
        starts = [m.start() for regex, subject in ((self.folded, lower), (self.cased, text))
                  if regex is not None and (m := regex.search(subject))]
        return min(starts) if starts else None


# dosing._first_frequency and _first_route say why starting there is exact.
FIRST_FREQUENCY_LATIN = EarliestOf.of(FREQUENCIES_LATIN)
FIRST_ROUTE_LATIN = EarliestOf.of(ROUTES_LATIN)
