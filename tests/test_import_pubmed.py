"""PubMed XML importer on the four real efetch fixtures, plus malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.errors import SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.pubmed import read_pubmed
from evidence.recordio import record_from_data, record_to_data
from evidence.records import Allocation, Phase, Publication, SourceKind, StudyType
from tests.conftest import FIXTURES

PUBMED = FIXTURES / "pubmed"


def items(name: str) -> list[ImportItem]:
    path = PUBMED / name
    return list(read_pubmed(path.name, path.read_bytes()))


def pub_of(item: ImportItem) -> Publication:
    if item.record is not None:
        return item.record.publications[0]
    assert item.publication is not None
    return item.publication


def test_sygma1_is_a_trial_record() -> None:
    [item] = items("pubmed-29768149.xml")
    assert item.error is None and item.record is not None
    assert item.locator == "pubmed-29768149.xml#PMID:29768149"
    record = item.record
    assert [(r.registry, r.identifier) for r in record.registrations] == [("ctgov", "NCT02149199")]
    title = "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma"
    assert record.trial.title.en == title  # the ArticleTitle without its final full stop
    assert record.trial.design.allocation is Allocation.randomised
    assert record.trial.design.study_type is StudyType.interventional
    assert record.trial.design.phases == [Phase.phase3]
    [source] = record.sources
    assert (source.key, source.kind, source.locator) == ("pubmed", SourceKind.bibliographic,
                                                         "PMID:29768149")
    pub = record.publications[0]
    assert (pub.pmid, pub.doi, pub.pmcid) == ("29768149", "10.1056/nejmoa1715274", None)
    assert (pub.journal, pub.journal_abbrev) == ("The New England journal of medicine",
                                                 "N Engl J Med")
    assert (pub.year, pub.volume, pub.issue, pub.pages, pub.epub_date) == (
        2018, "378", "20", "1865-1876", None)
    assert [s.label.en for s in pub.abstract_sections] == [
        "BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert pub.publication_types == [
        "Clinical Trial, Phase III", "Comparative Study", "Journal Article", "Multicenter Study",
        "Randomized Controlled Trial", "Research Support, Non-U.S. Gov't"]
    assert record_from_data(record_to_data(record)) == record


def test_inline_markup_becomes_plain_text() -> None:
    [item] = items("pubmed-29768149.xml")
    background = pub_of(item).abstract_sections[0].text.en
    # &#946; then newline + tabs, then <sub>2</sub>: pretty-printing, not text.
    assert background == (
        "In patients with mild asthma, as-needed use of an inhaled glucocorticoid plus a "
        "fast-acting β2-agonist may be an alternative to conventional treatment strategies.")
    results = pub_of(item).abstract_sections[2].text.en or ""
    assert "P=0.046" in results and "\t" not in results and "\n" not in results


def test_observational_study_is_a_publication_only() -> None:
    [item] = items("biopython-pubmed4.xml")
    assert item.record is None and item.error is None and item.publication is not None
    pub = item.publication
    assert (pub.pmid, pub.pmcid, pub.doi) == (
        "27797938", "PMC5442267", "10.1136/gutjnl-2016-312510")
    assert (pub.journal_abbrev, pub.year, pub.volume, pub.issue, pub.pages) == (
        "Gut", 2017, "66", "6", "1116-1122")
    assert str(pub.epub_date) == "2016-10-21"
    assert [s.label.en for s in pub.abstract_sections] == [
        "OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert "Observational Study" in pub.publication_types
    text = " ".join(s.text.en or "" for s in pub.abstract_sections)
    assert "<" not in text.replace("r2<0.25", "")  # markup gone, the printed '<' kept
    assert "ptrend=0.048" in text and "TERT" in text


def test_compared_to_title_is_not_a_trial() -> None:
    [item] = items("metapub-32934823.xml")
    assert item.record is None and item.publication is not None
    pub = item.publication
    assert "compared to treatment as usual" in (pub.title.en or "")
    assert (pub.pmid, pub.pmcid, pub.doi) == ("32934823", "PMC7489288", "10.15761/jsin.1000229")
    assert pub.publication_types == ["Journal Article"]
    assert pub.abstract_sections == []  # one unlabelled AbstractText
    assert (pub.abstract.en or "").startswith("A recent analysis from Stanford University")


def test_multi_record_set() -> None:
    found = items("ncbiutils-pubmed.xml")
    assert [pub_of(i).pmid for i in found] == ["35196497", "33278872", "24792780", "30158200",
                                               "151222"]
    assert all(i.record is None and i.error is None for i in found)
    sections = [[s.label.en for s in pub_of(i).abstract_sections] for i in found]
    assert sections == [
        [], ["ABSTRACT"], ["INTRODUCTION", "OBJECTIVES", "METHODS", "RESULTS", "CONCLUSION"],
        ["OBJECTIVES", "DESIGN", "SETTING", "PARTICIPANTS", "RESULTS", "CONCLUSIONS"], []]
    assert [pub_of(i).doi for i in found] == [
        "10.1016/j.celrep.2022.110408", "10.33321/cdi.2020.44.90", "10.3109/15563650.2014.913175",
        "10.1136/bmj.k3225", None]
    assert pub_of(found[3]).publication_types[1] == "Meta-Analysis"
    assert (pub_of(found[4]).year, pub_of(found[4]).pages) == (1978, "229-32")


def test_reference_list_ids_are_not_the_articles() -> None:
    # metapub's record cites other papers with their own ArticleIdLists.
    [item] = items("metapub-32934823.xml")
    assert pub_of(item).pmid == "32934823"


def _error(data: bytes) -> SourceFormatError:
    [item] = list(read_pubmed("bad.xml", data))
    assert item.record is None and item.publication is None
    assert isinstance(item.error, SourceFormatError)
    return item.error


@pytest.mark.parametrize(("data", "message"), [
    (b"", "bad.xml: file is empty"),
    (b"   \n", "bad.xml: file is empty"),
    (b"<PubmedArticleSet><PubmedArticle>", "bad.xml: line 1, column 34: not well-formed XML"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "bad.xml: line 1, column 1: not well-formed XML"),
    (b"<?xml version='1.0'?><html><body/></html>",
     "bad.xml: line 1: root element is <html>, expected <PubmedArticleSet>"),
])
def test_malformed_input(data: bytes, message: str) -> None:
    assert str(_error(data)).startswith(message)


def test_truncated_real_file_names_the_place() -> None:
    data = (PUBMED / "pubmed-29768149.xml").read_bytes()
    err = _error(data[: len(data) // 2])
    assert err.file == "bad.xml" and err.record is not None and err.record.startswith("line ")


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    data = (f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
            "<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
            "</PubmedArticleSet>").encode()
    found = list(read_pubmed("x.xml", data))
    assert all("TOP-SECRET" not in repr(i) for i in found)


def test_article_without_article_element_is_an_error_for_that_article_only() -> None:
    good = (PUBMED / "metapub-32934823.xml").read_bytes()
    start = good.index(b"<PubmedArticle>")
    end = good.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    broken = b"<PubmedArticle><MedlineCitation><PMID>5</PMID></MedlineCitation></PubmedArticle>"
    data = good[:end] + broken + good[start:end] + good[end:]
    found = list(read_pubmed("mix.xml", data))
    assert [i.error is None for i in found] == [True, False, True]
    assert str(found[1].error) == (
        "mix.xml: PubmedArticle[1], line 4: no <MedlineCitation>/<Article>")  # compact file
