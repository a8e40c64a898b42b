"""Sentence-level facts of a trial abstract: arms, endpoints, percentages, p-values, harms.

Each finder takes one Sentence (NFKC working copy) and returns plain facts with
offsets local to the sentence; abstract.py turns them into record entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidence.importers.abstract_layout import Sentence

_CJK = "\u4e00-\u9fff"
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}
_EN_DIGITS = {"no": 0, "none": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
              "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def count_word(raw: str) -> int | None:
    """'2', 'two', '两' -> 2; None when it is not a small count."""
    raw = raw.strip().lower()
    if raw.isdigit():
        return int(raw)
    return _EN_DIGITS.get(raw, _ZH_DIGITS.get(raw))


def slug(label: str) -> str:
    """A record key from an arm or abbreviation label: 'IL-2' -> 'il2'."""
    return re.sub(r"[^a-z0-9]", "", label.lower())


# --- design -----------------------------------------------------------------------

DESIGN_WORDS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), fld, value) for p, fld, value in (
        (r"\brandomi[sz]ed\b|\brandomly assigned\b|\brandomi[sz]ation\b|随机", "allocation",
         "randomised"),
        (r"\bnon-?randomi[sz]ed\b|非随机", "allocation", "non_randomised"),
        (r"\bdouble[- ]blind(?:ed)?\b|\bdouble[- ]mask(?:ed)?\b|双盲", "masking", "double"),
        (r"\bsingle[- ]blind(?:ed)?\b|单盲", "masking", "single"),
        (r"\btriple[- ]blind(?:ed)?\b|三盲", "masking", "triple"),
        (r"\bopen[- ]label(?:led|ed)?\b|开放(?:标签|性)?", "masking", "none"),
        (r"\bplacebo[- ]controlled\b|安慰剂对照", "control", "placebo"),
    ))


def design_words(text: str) -> dict[str, tuple[str, int]]:
    """Design field -> (value, position) for the first word of each field in `text`."""
    found: dict[str, tuple[str, int]] = {}
    hits = sorted((m.start(), fld, value) for pat, fld, value in DESIGN_WORDS
                  for m in pat.finditer(text))
    for pos, fld, value in hits:
        # "non-randomised" contains "randomised": the longer, earlier word wins.
        if fld not in found or (value == "non_randomised" and found[fld][1] >= pos - 4):
            found[fld] = (value, pos)
    return found


_PLANNED = (re.compile(r"\bdesigned to (?:treat|enrol|enroll|include|recruit|randomi[sz]e) "
                       r"(?P<n>\d+) (?:patients|participants|subjects)", re.IGNORECASE),
            re.compile(r"设计.*?(?:治疗|纳入|招募|入组)\s*(?P<n>\d+)\s*例"))
_ACTUAL = (re.compile(r"(?P<n>\d+) (?:patients|participants|subjects) (?:were|was) "
                      r"(?:randomi[sz]ed|randomly assigned|enrolled|included|recruited)",
                      re.IGNORECASE),
           re.compile(r"(?:共|总共)?(?:纳入|入组|随机分配了?)\s*(?P<n>\d+)\s*例"))


def enrollment(sent: Sentence) -> tuple[str, int] | None:
    """('planned'|'actual', n) when the sentence states how many patients."""
    for kind, patterns in (("planned", _PLANNED), ("actual", _ACTUAL)):
        for pattern in patterns:
            m = pattern.search(sent.text)
            if m:
                return kind, int(m.group("n"))
    return None


# --- arms -------------------------------------------------------------------------

_ARM_N = re.compile(r"\(\s*n\s*=\s*(?P<n>\d+)\s*\)")
_ARM_SKIP = frozenset({"group", "arm", "the", "either", "or", "and", "with", "to"})
_ZH_CONNECTIVES = "或和与及接受分别使用给予"


@dataclass(frozen=True, slots=True)
class ArmMention:
    label: str
    n: int
    order: int


def arm_sizes(sent: Sentence) -> list[ArmMention]:
    """Arms printed as 'label (n=30)' in one sentence."""
    found: list[ArmMention] = []
    for m in _ARM_N.finditer(sent.text):
        before = sent.text[:m.start()].rstrip()
        if sent.lang == "zh" and re.search(rf"[{_CJK}]$", before):
            run = re.search(rf"[{_CJK}]+$", before)
            label = run.group(0).lstrip(_ZH_CONNECTIVES) if run else ""
            label = label.removesuffix("组")
        else:
            words = re.findall(r"[\w.+/-]+", before)
            while words and words[-1].lower() in _ARM_SKIP:
                words.pop()
            label = words[-1] if words else ""
        if label:
            found.append(ArmMention(label, int(m.group("n")), len(found)))
    return found


def arm_positions(text: str, labels: dict[str, str], lang: str) -> list[tuple[int, str]]:
    """(position, arm key) of every mention of an arm label, in order."""
    hits: list[tuple[int, str]] = []
    for key, label in labels.items():
        pattern = (re.escape(label) if lang == "zh" and re.search(rf"[{_CJK}]", label)
                   else rf"(?<![\w-]){re.escape(label)}(?![\w-])")
        hits.extend((m.start(), key) for m in re.finditer(pattern, text, re.IGNORECASE))
    return sorted(hits)


# --- endpoints --------------------------------------------------------------------

_PRIMARY_EN = re.compile(
    r"\b[Tt]he primary (?:end ?point|outcome(?: measure)?) (?:was|is) (?:the )?(?P<name>.+?)"
    r"(?:\s+at\s+(?P<unit>week|month|day)\s+(?P<tp>\d+))?\.?$")
_PRIMARY_ZH = re.compile(
    r"主要(?:终点|结局(?:指标)?)(?:为|是)(?:(?:治疗\s*)?第?\s*(?P<tp>\d+)\s*(?P<unit>周|个?月|天)时?的?)?"
    r"\s*(?P<name>[^。]+?)。?$")
_MET_EN = re.compile(r"\bprimary (?:end ?point|outcome) (?:was|were) (?P<neg>not )?"
                     r"(?:met|achieved|reached)\b", re.IGNORECASE)
_MET_ZH = re.compile(r"主要(?:终点|结局)(?P<neg>未|没有|并未)?[^。]*?达到")
_ABBREV = re.compile(r"\((?P<abbr>[A-Za-z][A-Za-z0-9-]{1,15})\)\s*$")


@dataclass(frozen=True, slots=True)
class PrimaryEndpoint:
    name: str
    abbr: str | None
    timepoint: int | None
    unit: str | None


def primary_endpoint(sent: Sentence) -> PrimaryEndpoint | None:
    """'The primary endpoint was X at week 12.' / '主要终点为治疗 12 周时的 X。'."""
    m = (_PRIMARY_ZH if sent.lang == "zh" else _PRIMARY_EN).search(sent.text)
    if m is None or "not met" in m.group("name") or "未" in m.group("name"):
        return None
    name = m.group("name").strip()
    abbr = _ABBREV.search(name)
    unit = m.group("unit")
    unit_word = {"周": "week", "月": "month", "个月": "month", "天": "day"}.get(unit or "", unit)
    tp = int(m.group("tp")) if m.group("tp") else None
    return PrimaryEndpoint(name, abbr.group("abbr") if abbr else None, tp, unit_word)


def primary_met(sent: Sentence) -> bool | None:
    """Whether the sentence says the primary endpoint was met."""
    m = (_MET_ZH if sent.lang == "zh" else _MET_EN).search(sent.text)
    if m is None:
        return None
    return m.group("neg") is None


_RESPONSE_EN = r"{abbr} response rates?"
_RESPONSE_ZH = r"{abbr}\s*应答率"


def is_response_rate(text: str, abbr: str, lang: str) -> bool:
    """Whether results call the endpoint '<abbr> response rate' (a responder proportion)."""
    pattern = (_RESPONSE_ZH if lang == "zh" else _RESPONSE_EN).format(abbr=re.escape(abbr))
    return re.search(pattern, text, re.IGNORECASE) is not None


_WEEK = (re.compile(r"\b(?:at |by )?week (?P<n>\d+)\b", re.IGNORECASE),
         re.compile(r"(?:治疗\s*)?(?P<n>\d+)\s*周时|第\s*(?P<n2>\d+)\s*周"))


def week(sent: Sentence) -> int | None:
    """The week a results sentence reports at."""
    m = _WEEK[1 if sent.lang == "zh" else 0].search(sent.text)
    if m is None:
        return None
    return int(m.group("n") or m.group("n2"))


_SUBGROUP_EN = re.compile(r"(?P<outcome>[a-z][a-z -]{2,40}?) in patients with "
                          r"(?P<pop>[a-z][a-z -]{2,40}?)(?=[,.;(]|$| compared)")


@dataclass(frozen=True, slots=True)
class Subgroup:
    outcome: str
    population: str  # as printed: 'lupus nephritis' / '狼疮肾炎患者'
    name: str


def subgroup_outcome(sent: Sentence) -> Subgroup | None:
    """'X% complete remission in patients with lupus nephritis' / '狼疮肾炎患者的完全缓解率'."""
    if sent.lang == "zh":
        m = re.search(rf"患者的(?P<outcome>[{_CJK}]+?)率", sent.text)
        if m is None:
            return None
        start = m.start()
        while start > 0 and re.match(rf"[{_CJK}]", sent.text[start - 1]) and \
                sent.text[start - 1] not in "使在对中的组与和":
            start -= 1
        pop = sent.text[start:m.start()]
        if not pop:
            return None
        return Subgroup(m.group("outcome"), pop + "患者", pop + m.group("outcome"))
    m = _SUBGROUP_EN.search(sent.text)
    if m is None:
        return None
    outcome = re.sub(r"^(?:\d+(?:\.\d+)?%\s*(?:\(\d+/\d+\)\s*)?)", "", m.group("outcome")).strip()
    return Subgroup(outcome, m.group("pop"), f"{outcome} of {m.group('pop')}")


# --- numbers ----------------------------------------------------------------------

_PERCENT = re.compile(r"(?P<pct>\d+(?:\.\d+)?)\s*%(?:\s*\(\s*(?P<ev>\d+)\s*/\s*(?P<n>\d+)\s*\))?")
_P_VALUE = re.compile(r"(?<![A-Za-z])[Pp]\s*(?P<cmp><=|>=|≤|≥|=|<|>)\s*"
                      r"(?P<v>0?\.\d+|[01](?:\.\d+)?)")
_CLAUSE = re.compile(r",(?!\d)|;|\bcompared with\b|\bversus\b|\bvs\.?")


@dataclass(frozen=True, slots=True)
class Percent:
    start: int
    end: int
    value: str
    events: int | None
    n: int | None
    arm: str


def percents(sent: Sentence, labels: dict[str, str]) -> list[Percent]:
    """Percentages of a sentence, each assigned to the arm the sentence ties it to."""
    text = sent.text
    found = list(_PERCENT.finditer(text))
    mentions = arm_positions(text, labels, sent.lang)
    if not found or not mentions:
        return []
    arms: list[str | None]
    after_last = [key for pos, key in mentions if pos > found[-1].end()]
    if re.search(r"\brespectively\b|分别为", text) and len(after_last) >= len(found):
        # "55.17% and 30.00% for IL-2 and placebo, respectively"
        arms = list(after_last[:len(found)])
    else:
        cuts = [0, *(m.start() for m in _CLAUSE.finditer(text)), len(text)]
        arms = []
        for pct in found:
            lo = max(c for c in cuts if c <= pct.start())
            hi = min(c for c in cuts if c >= pct.end())
            before = [key for pos, key in mentions if lo <= pos < pct.start()]
            after = [key for pos, key in mentions if pct.end() <= pos < hi]
            arms.append(before[-1] if before else (after[0] if after else None))
    out: list[Percent] = []
    for pct, arm in zip(found, arms, strict=True):
        if arm is None or any(p.arm == arm for p in out):
            continue  # not tied to one arm: leave it for the curator
        out.append(Percent(pct.start(), pct.end(), pct.group("pct"),
                           int(pct.group("ev")) if pct.group("ev") else None,
                           int(pct.group("n")) if pct.group("n") else None, arm))
    return out


@dataclass(frozen=True, slots=True)
class PValue:
    start: int
    end: int
    comparator: str
    value: float


def p_values(sent: Sentence) -> list[PValue]:
    """p-values as printed: 'p=0.052', 'P<0.001', 'P〈0.05' (folded to '<' in the copy)."""
    out = []
    for m in _P_VALUE.finditer(sent.text):
        cmp = {"≤": "<=", "≥": ">="}.get(m.group("cmp"), m.group("cmp"))
        value = float(m.group("v"))
        if 0 <= value <= 1:
            out.append(PValue(m.start(), m.end(), cmp, value))
    return out


# --- harms ------------------------------------------------------------------------

_SAE_EN = re.compile(
    r"\bNo (?P<term>serious [a-z -]+?) (?:was|were) (?:observed|reported|seen|found) in the "
    r"(?P<arm1>[\w.+/ -]+?) group,? but (?P<num>\w+) in (?:the )?(?P<arm2>[\w.+/ -]+?) group",
    re.IGNORECASE)
_SAE_ZH = re.compile(
    rf"(?P<arm1>[\w.+/-]+|[{_CJK}]+?)\s*组未(?:观察到|发生|出现|发现)(?P<term>严重[{_CJK}]+?)[,;]"
    rf"\s*(?:但|而)(?P<arm2>[\w.+/-]+|[{_CJK}]+?)\s*组有\s*(?P<num>\d+|[一二两三四五六七八九十])\s*例")


@dataclass(frozen=True, slots=True)
class SeriousEvent:
    term: str
    arm_label: str
    affected: int


def serious_events(sent: Sentence) -> list[SeriousEvent]:
    """'No serious infection was observed in the IL-2 group, but two in placebo group'."""
    m = (_SAE_ZH if sent.lang == "zh" else _SAE_EN).search(sent.text)
    if m is None:
        return []
    num = count_word(m.group("num"))
    if num is None:
        return []
    return [SeriousEvent(m.group("term"), m.group("arm1").strip(), 0),
            SeriousEvent(m.group("term"), m.group("arm2").strip(), num)]
