"""Fuzzing the PubMed, abstract-text and dosing importers: only our own errors, never a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import SourceFormatError
from evidence.importers.abstract import parse_abstract_text
from evidence.importers.dosing import extract_regimen
from evidence.importers.pubmed import read_pubmed
from evidence.recordio import record_from_data, record_to_data
from tests.conftest import FIXTURES, SEED_TEXT

PUBMED_FILES = sorted((FIXTURES / "pubmed").glob("*.xml"))
SEED = SEED_TEXT.read_text(encoding="utf-8")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_pubmed(data: bytes) -> None:
    for item in read_pubmed("fuzz.xml", data):
        assert sum(x is not None for x in (item.record, item.publication, item.error)) == 1
        if item.error is not None:
            assert isinstance(item.error, SourceFormatError)
            assert item.error.file == "fuzz.xml"
        if item.record is not None:
            record_from_data(record_to_data(item.record))


@SETTINGS
@given(st.binary(max_size=2000))
def test_pubmed_random_bytes(data: bytes) -> None:
    _check_pubmed(data)


@SETTINGS
@given(st.sampled_from(PUBMED_FILES), st.data())
def test_pubmed_mutated_real_files(path: object, data: st.DataObject) -> None:
    raw = bytearray(path.read_bytes())  # type: ignore[attr-defined]
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "dup"]))
        if action == "flip":
            raw[pos] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del raw[pos: pos + data.draw(st.integers(1, 200))]
        else:
            raw[pos:pos] = raw[pos: pos + data.draw(st.integers(1, 200))]
    _check_pubmed(bytes(raw))


@SETTINGS
@given(st.sampled_from(["<PMID>abc</PMID>", "<Year>20x9</Year>", "<Month>13</Month>",
                        '<ArticleId IdType="doi">not a doi</ArticleId>',
                        "<AccessionNumber>NCT123</AccessionNumber>", "<PubmedBookArticle/>"]),
       st.sampled_from(["<PMID", "<Year>", "<Month>", "<ArticleId", "<AccessionNumber>",
                        "<PubmedArticle>"]))
def test_pubmed_odd_values_inside_valid_xml(snippet: str, before: str) -> None:
    raw = (FIXTURES / "pubmed" / "pubmed-29768149.xml").read_bytes()
    pos = raw.index(before.encode())
    _check_pubmed(raw[:pos] + snippet.encode() + raw[pos:])


@SETTINGS
@given(st.text(max_size=400))
def test_abstract_random_text(text: str) -> None:
    item = parse_abstract_text(text, locator="fuzz.txt")
    assert item.error is None or isinstance(item.error, SourceFormatError)
    if item.record is not None:
        record_from_data(record_to_data(item.record))


@SETTINGS
@given(st.data())
def test_abstract_slices_of_the_seed(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(SEED)))
    end = data.draw(st.integers(start, len(SEED)))
    item = parse_abstract_text(SEED[start:end], locator="fuzz.txt")
    assert item.error is None or isinstance(item.error, SourceFormatError)
    if item.record is not None:
        record_from_data(record_to_data(item.record))
        # Every quote is exactly the text at its span.
        text = SEED[start:end]
        for result in item.record.results:
            assert result.provenance is not None and result.provenance.span is not None
            a, b = result.provenance.span
            assert text[a:b] == result.provenance.quote


@SETTINGS
@given(st.text(max_size=300), st.sampled_from(["en", "zh"]))
def test_dosing_random_text(text: str, lang: str) -> None:
    extract_regimen(text, lang)
