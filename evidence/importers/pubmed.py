"""PubMed E-utilities XML (<PubmedArticleSet>) -> publications, and draft records for trials.

An article becomes a draft trial Record when PubMed tags it with a trial
publication type or it carries a trial-registry accession in <DataBankList>;
words in the title ("compared to") are deliberately not used to classify it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from evidence import registries
from evidence.errors import EvidenceError, SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.textnorm import squash
from evidence.records import (
    AbstractSection,
    Allocation,
    Design,
    Phase,
    Provenance,
    Publication,
    Record,
    Registration,
    Source,
    SourceKind,
    StudyType,
    Text,
    Trial,
)

if TYPE_CHECKING:
    from lxml import etree

SOURCE_KEY = "pubmed"
RCT_TYPE = "Randomized Controlled Trial"
TRIAL_TYPES = frozenset({
    RCT_TYPE, "Clinical Trial", "Clinical Trial, Phase I", "Clinical Trial, Phase II",
    "Clinical Trial, Phase III", "Clinical Trial, Phase IV", "Controlled Clinical Trial",
    "Pragmatic Clinical Trial", "Equivalence Trial", "Adaptive Clinical Trial",
})
_PHASES = {"Clinical Trial, Phase I": Phase.phase1, "Clinical Trial, Phase II": Phase.phase2,
           "Clinical Trial, Phase III": Phase.phase3, "Clinical Trial, Phase IV": Phase.phase4}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# Inline markup PubMed allows inside titles and abstracts; pretty-printed efetch
# output puts a newline and tabs before them ("β\n\t\t<sub>2</sub>"), which is
# layout, not text.
_INLINE = frozenset({"sub", "sup", "i", "b", "u"})
_LAYOUT_GAP = re.compile(r"\s*\n\s*$")


def _parse(locator: str, data: bytes) -> etree._Element:
    from lxml import etree

    # No entity expansion, no DTD fetch: the NLM DOCTYPE names a remote DTD.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_pis=True)
    if not data.strip():
        raise SourceFormatError("file is empty", file=locator)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise SourceFormatError(f"not well-formed XML ({exc.msg})", file=locator,
                                record=f"line {line}, column {column}") from None
    except ValueError as exc:  # lxml refuses some inputs (e.g. bad encodings) this way
        raise SourceFormatError(f"not readable as XML ({exc})", file=locator) from None
    if root is None:
        raise SourceFormatError("no XML document found", file=locator)
    if root.tag != "PubmedArticleSet":
        raise SourceFormatError(f"root element is <{root.tag}>, expected <PubmedArticleSet>",
                                file=locator, record=f"line {root.sourceline}")
    return root


def _text(el: etree._Element | None) -> str | None:
    """Element text with inline markup flattened and layout whitespace collapsed."""
    if el is None:
        return None
    parts: list[str] = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE and parts:
            parts[-1] = _LAYOUT_GAP.sub("", parts[-1])
        parts.append("".join(str(piece) for piece in child.itertext()))
        parts.append(child.tail or "")
    return squash("".join(parts)) or None


def _find_text(el: etree._Element, path: str) -> str | None:
    return _text(el.find(path))


def _date(el: etree._Element | None) -> dt.date | None:
    if el is None:
        return None
    year, month, day = (_find_text(el, tag) for tag in ("Year", "Month", "Day"))
    if not (year and month and day):
        return None
    month_no = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower(), 0)
    try:
        return dt.date(int(year), month_no, int(day))
    except ValueError:
        return None


def _year(issue: etree._Element | None) -> int | None:
    if issue is None:
        return None
    raw = _find_text(issue, "PubDate/Year") or _find_text(issue, "PubDate/MedlineDate") or ""
    # MedlineDate is free text such as "1975 Jan-Feb" or "1998 Dec-1999 Jan".
    m = re.match(r"(\d{4})\b", raw)
    return int(m.group(1)) if m else None


def _pages(article: etree._Element) -> str | None:
    pages = _find_text(article, "Pagination/MedlinePgn")
    if pages:
        return pages
    start, end = (_find_text(article, f"Pagination/{t}") for t in ("StartPage", "EndPage"))
    return f"{start}-{end}" if start and end else start


def _abstract(article: etree._Element) -> tuple[Text, list[AbstractSection]]:
    # Label is the heading as printed; NlmCategory is NLM's mapping, used only without one.
    parts: list[tuple[str | None, str]] = []
    for el in article.iterfind("Abstract/AbstractText"):
        body = _text(el)
        if body:
            parts.append((el.get("Label") or el.get("NlmCategory"), body))
    if not parts:
        return Text(), []
    whole = "\n\n".join(f"{label}: {body}" if label else body for label, body in parts)
    if not any(label for label, _ in parts):
        return Text(en=whole), []
    sections = [AbstractSection(label=Text(en=label), text=Text(en=body)) for label, body in parts]
    return Text(en=whole), sections


def _ids(article_el: etree._Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    # Only the article's own list: <ReferenceList> holds ArticleIdLists of cited papers.
    for el in article_el.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind, value = el.get("IdType"), _text(el)
        if kind and value and kind not in ids:
            ids[kind] = value
    return ids


def _publication(article_el: etree._Element, notes: list[str]) -> Publication:
    citation = article_el.find("MedlineCitation")
    if citation is None:
        raise SourceFormatError("no <MedlineCitation>")
    article = citation.find("Article")
    if article is None:
        raise SourceFormatError("no <MedlineCitation>/<Article>")
    ids = _ids(article_el)
    pmid = _find_text(citation, "PMID") or ids.get("pubmed")
    doi = ids.get("doi") or _find_text(article, "ELocationID[@EIdType='doi']")
    pmcid = ids.get("pmc")
    checked: dict[str, str | None] = {}
    for name, value, pattern in (("pmid", pmid, r"\d{1,9}"), ("doi", doi, r"10\.\d{4,9}/\S+"),
                                 ("pmcid", pmcid, r"PMC\d+")):
        if value is not None and not re.fullmatch(pattern, value):
            notes.append(f"{name} {value!r} is malformed; not imported")
            value = None
        checked[name] = value
    issue = article.find("Journal/JournalIssue")
    title = Text(en=_find_text(article, "ArticleTitle"))
    if (_find_text(article, "Language") or "") == "chi":
        title = Text(en=title.en, zh=_find_text(article, "VernacularTitle"))
    abstract, sections = _abstract(article)
    epub = _date(article.find("ArticleDate[@DateType='Electronic']")) or _date(
        article_el.find("PubmedData/History/PubMedPubDate[@PubStatus='epublish']"))
    return Publication(
        pmid=checked["pmid"], doi=checked["doi"], pmcid=checked["pmcid"],
        journal=_find_text(article, "Journal/Title"),
        journal_abbrev=_find_text(article, "Journal/ISOAbbreviation"),
        year=_year(issue),
        volume=_find_text(issue, "Volume") if issue is not None else None,
        issue=_find_text(issue, "Issue") if issue is not None else None,
        pages=_pages(article), epub_date=epub, title=title, abstract=abstract,
        abstract_sections=sections,
        publication_types=[t for t in map(_text, article.iterfind(
            "PublicationTypeList/PublicationType")) if t],
    )


def _registrations(article_el: etree._Element, notes: list[str]) -> list[Registration]:
    regs: list[Registration] = []
    for bank in article_el.iterfind("MedlineCitation/Article/DataBankList/DataBank"):
        name = _find_text(bank, "DataBankName") or "?"
        for acc_el in bank.iterfind("AccessionNumberList/AccessionNumber"):
            acc = _text(acc_el)
            if not acc:
                continue
            code = registries.detect_registry(acc)
            if code is None:
                # GenBank, PDB, Dryad ... are data banks, not trial registries.
                notes.append(f"{name} accession {acc} is not a trial registration; not imported")
                continue
            norm = registries.normalise(code, acc)
            if all(r.identifier != norm.identifier for r in regs):
                regs.append(Registration(registry=norm.registry, identifier=norm.identifier))
    return regs


def _record(pub: Publication, regs: list[Registration]) -> Record:
    types = set(pub.publication_types)
    title = (pub.title.en or "").removesuffix(".") or None
    design = Design(
        study_type=StudyType.interventional if types & TRIAL_TYPES else None,
        allocation=Allocation.randomised if RCT_TYPE in types else None,
        phases=sorted({_PHASES[t] for t in types if t in _PHASES}),
    )
    evidence = "PublicationTypeList" if types & TRIAL_TYPES else "DataBankList"
    trial = Trial(title=Text(en=title, zh=pub.title.zh), design=design,
                  provenance=Provenance(source=SOURCE_KEY, locator=evidence))
    where = f"PMID:{pub.pmid}" if pub.pmid else (f"doi:{pub.doi}" if pub.doi else None)
    source = Source(key=SOURCE_KEY, kind=SourceKind.bibliographic, locator=where)
    return Record(trial=trial, registrations=regs, publications=[pub], sources=[source])


def read_pubmed(locator: str, data: bytes) -> Iterator[ImportItem]:
    """One ImportItem per <PubmedArticle>: a draft trial Record, a Publication, or an error."""
    try:
        root = _parse(locator, data)
    except SourceFormatError as exc:
        yield ImportItem(locator=locator, error=exc)
        return
    index = 0
    for child in root:
        if not isinstance(child.tag, str) or child.tag == "DeleteCitation":
            continue
        place = f"{child.tag}[{index}]"
        index += 1
        item_locator = f"{locator}#{place}"
        if child.tag != "PubmedArticle":
            yield ImportItem(locator=item_locator, error=SourceFormatError(
                f"<{child.tag}> is not supported", file=locator, record=place))
            continue
        notes: list[str] = []
        try:
            pub = _publication(child, notes)
            regs = _registrations(child, notes)
            trial = bool(set(pub.publication_types) & TRIAL_TYPES) or bool(regs)
            if pub.pmid:
                item_locator = f"{locator}#PMID:{pub.pmid}"
            if trial:
                yield ImportItem(locator=item_locator, record=_record(pub, regs), notes=notes)
            else:
                yield ImportItem(locator=item_locator, publication=pub, notes=notes)
        except (ValueError, EvidenceError) as exc:  # pydantic's ValidationError is a ValueError
            message = (exc.message if isinstance(exc, SourceFormatError)
                       else str(exc).splitlines()[0])
            yield ImportItem(locator=item_locator, error=SourceFormatError(
                message, file=locator, record=f"{place}, line {child.sourceline}"), notes=notes)
