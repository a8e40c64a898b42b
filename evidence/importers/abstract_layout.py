"""Layout of a pasted abstract page: titles, citation line, sections and sentences.

Works on the NFKC working copy of the page (textnorm.Normalised) and keeps
working-copy offsets, which `Normalised.span` maps back to the page as printed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from evidence.importers.textnorm import Normalised, has_cjk

SOURCE_KEY = "abstract"  # the Source key every Provenance of an abstract import uses

# Canonical section -> headings as printed (upper-cased for English).
_EN_HEADINGS = {
    "background": ("BACKGROUND", "INTRODUCTION"),
    "objectives": ("OBJECTIVES", "OBJECTIVE", "AIMS", "AIM", "PURPOSE"),
    "methods": ("METHODS", "METHOD", "DESIGN", "PATIENTS AND METHODS", "METHODS AND MATERIALS",
                "MATERIALS AND METHODS"),
    "results": ("RESULTS", "RESULT", "FINDINGS"),
    "conclusions": ("CONCLUSIONS", "CONCLUSION", "INTERPRETATION"),
    "registration": ("TRIAL REGISTRATION NUMBER", "TRIAL REGISTRATION",
                     "CLINICAL TRIAL REGISTRATION", "REGISTRATION"),
}
_ZH_HEADINGS = {
    "background": ("背景",),
    "objectives": ("目的",),
    "methods": ("方法",),
    "results": ("结果",),
    "conclusions": ("结论",),
    "registration": ("试验注册", "临床试验注册", "试验注册号", "注册号"),
}
_HEADING_OF = {h: (cat, "en") for cat, hs in _EN_HEADINGS.items() for h in hs} | {
    h: (cat, "zh") for cat, hs in _ZH_HEADINGS.items() for h in hs}
_INLINE_HEADING = re.compile(r"^(?P<label>[A-Z][A-Z ]{2,40}|[\u4e00-\u9fff]{2,6})\s*:\s*(?=\S)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_CITATION = re.compile(
    r"(?P<journal>[A-Z][\w .&()'-]*?)\.\s+(?P<year>\d{4})(?:\s+[A-Z][a-z]{2}(?:\s+\d{1,2})?)?"
    r"(?:;(?P<volume>[\w-]+)?(?:\((?P<issue>[^)]+)\))?)?(?::(?P<pages>[\w-]+))?\."
    r"(?:\s+doi:\s*(?P<doi>10\.\d{4,9}/\S+?)\.?(?=\s|$))?"
    r"(?:\s+Epub\s+(?P<epub>\d{4}\s+[A-Z][a-z]{2}\s+\d{1,2})\.?)?")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# Abbreviations after which a full stop does not end an English sentence.
_NO_BREAK = frozenset({"vs", "e.g", "i.e", "al", "fig", "approx", "no", "dr", "ref", "resp"})
_AFFILIATION = re.compile(r"\b(?:Department|University|Hospital|Laboratory|Institute|School|"
                          r"Center|Centre|College)\b")


@dataclass(slots=True)
class Sentence:
    start: int  # working-copy offsets
    end: int
    text: str
    lang: str
    section: str  # heading as printed
    category: str


@dataclass(slots=True)
class Section:
    category: str
    lang: str
    label: str
    start: int
    end: int
    sentences: list[Sentence] = field(default_factory=list)


@dataclass(slots=True)
class Citation:
    journal_abbrev: str
    year: int
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    epub_date: dt.date | None
    span: tuple[int, int]


@dataclass(slots=True)
class Layout:
    sections: list[Section]
    title_en: tuple[int, int] | None
    title_zh: tuple[int, int] | None
    citation: Citation | None


def _lines(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return spans


def _citation(work: str, start: int, end: int) -> Citation | None:
    m = _CITATION.fullmatch(work, start, end) or _CITATION.match(work, start, end)
    if m is None or not (m.group("volume") or m.group("doi") or m.group("pages")):
        return None
    epub = None
    if m.group("epub"):
        year, month, day = m.group("epub").split()
        try:
            epub = dt.date(int(year), _MONTHS[month.lower()], int(day))
        except (KeyError, ValueError):
            epub = None
    return Citation(m.group("journal").strip(), int(m.group("year")), m.group("volume"),
                    m.group("issue"), m.group("pages"), m.group("doi"), epub, m.span())


def split_sentences(work: str, start: int, end: int, lang: str) -> list[tuple[int, int]]:
    """Sentence spans inside work[start:end]."""
    out: list[tuple[int, int]] = []
    begin = start
    boundary = (re.compile(r"(?<=[。!?;])") if lang == "zh"
                else re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"“])"))
    for m in boundary.finditer(work, start, end):
        if lang != "zh":
            word = re.search(r"(\S+)\.$", work[begin:m.start()])
            if word and word.group(1).lower().rsplit("(", 1)[-1] in _NO_BREAK:
                continue
        if m.start() > begin:
            out.append((begin, m.start()))
        begin = m.end()
    if work[begin:end].strip():
        out.append((begin, end))
    trimmed = []
    for a, b in out:
        piece = work[a:b]
        if piece.strip():
            lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
            trimmed.append((a + lead, b - trail))
    return trimmed


def read_layout(norm: Normalised) -> Layout:
    """Find the titles, citation line and abstract sections of a page."""
    work = norm.text
    lines = _lines(work)
    sections: list[Section] = []
    citation: Citation | None = None
    pending: tuple[str, str, str] | None = None  # (category, lang, label) awaiting its paragraph
    first_heading = len(lines)
    for i, (a, b) in enumerate(lines):
        line = work[a:b]
        key = line.rstrip(":").strip()
        heading = _HEADING_OF.get(key.upper()) or _HEADING_OF.get(key)
        if heading is not None:
            first_heading = min(first_heading, i)
            pending = (heading[0], heading[1], key)
            continue
        if citation is None and not has_cjk(line):
            citation = _citation(work, a, b)
            if citation is not None:
                continue
        inline = _INLINE_HEADING.match(line)
        inline_heading = _HEADING_OF.get(inline.group("label").strip()) if inline else None
        if inline and inline_heading:
            first_heading = min(first_heading, i)
            sections.append(Section(inline_heading[0], inline_heading[1],
                                    inline.group("label").strip(), a + inline.end(), b))
            pending = None
        elif pending is not None:
            # A section is the one paragraph after its heading; what follows the last
            # one on a captured page is site navigation and advertising.
            sections.append(Section(pending[0], pending[1], pending[2], a, b))
            pending = None
    for sec in sections:
        for s, e in split_sentences(work, sec.start, sec.end, sec.lang):
            sec.sentences.append(Sentence(s, e, work[s:e], sec.lang, sec.label, sec.category))
    title_en, title_zh = _titles(work, lines[:first_heading], citation)
    return Layout(sections, title_en, title_zh, citation)


def _titles(work: str, lines: list[tuple[int, int]],
            citation: Citation | None) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    title_en = title_zh = None
    en_index = None
    for i, (a, b) in enumerate(lines):
        line = work[a:b]
        if (citation and a == citation.span[0]) or _URL.search(line) or has_cjk(line):
            continue
        if len(line.split()) >= 5 and not _AFFILIATION.search(line):
            title_en, en_index = (a, b), i
            break
    # The Chinese title sits next to the English one on bilingual pages.
    candidates = ([lines[j] for j in (en_index - 1, en_index + 1) if 0 <= j < len(lines)]
                  if en_index is not None else lines)
    for a, b in candidates:
        line = work[a:b]
        cjk = sum(1 for ch in line if "\u4e00" <= ch <= "\u9fff")
        if cjk >= 8 and not _URL.search(line):
            title_zh = (a, b)
            break
    return title_en, title_zh
