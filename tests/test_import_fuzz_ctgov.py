"""Fuzzing: damaged ClinicalTrials.gov input yields error items, never a crash."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import EvidenceError, RecordError
from evidence.importers.base import ImportItem
from evidence.importers.ctgov import read_ctgov_json
from evidence.importers.ctgov_xml import read_ctgov_xml
from evidence.recordio import record_from_data, record_to_data

FIXTURES = Path(__file__).parent.parent.parent / "shared" / "fixtures"
SMALL_JSON = (FIXTURES / "ctgov" / "NCT02210780.json").read_bytes()  # has results
SMALL_XML = (FIXTURES / "ctgov-xml" / "NCT01534533.xml").read_bytes()
STUDY = orjson.loads(SMALL_JSON)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*prefix, i)
            yield from paths(value, (*prefix, i))


PATHS = sorted(paths(STUDY), key=repr)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["NA", "<0.001", "-1", "1e309", "OG000", "EG999"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=6)


def check(read: Callable[[str, bytes], Iterator[ImportItem]], data: bytes) -> None:
    try:
        items = list(read("fuzz", data))
    except EvidenceError:
        return
    assert items, "a reader yields at least one item"
    for item in items:
        assert (item.record is None) != (item.error is None)
        if item.error is not None:
            assert isinstance(item.error, RecordError)
            assert str(item.error).startswith("fuzz")
        else:
            assert item.record is not None
            record_from_data(record_to_data(item.record))


@FUZZ
@given(st.binary(max_size=300))
def test_garbage_bytes(data: bytes) -> None:
    check(read_ctgov_json, data)
    check(read_ctgov_xml, data)


@FUZZ
@given(st.integers(0, len(SMALL_JSON)), st.integers(0, len(SMALL_XML)))
def test_truncated(json_end: int, xml_end: int) -> None:
    check(read_ctgov_json, SMALL_JSON[:json_end])
    check(read_ctgov_xml, SMALL_XML[:xml_end])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(SMALL_XML) - 1), st.integers(0, 255)),
                min_size=1, max_size=4))
def test_byte_flips(flips: list[tuple[int, int]]) -> None:
    json_data, xml_data = bytearray(SMALL_JSON), bytearray(SMALL_XML)
    for pos, byte in flips:
        json_data[pos % len(json_data)] = byte
        xml_data[pos] = byte
    check(read_ctgov_json, bytes(json_data))
    check(read_ctgov_xml, bytes(xml_data))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON_VALUES), min_size=1, max_size=3))
def test_mutated_fields(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    study = copy.deepcopy(STUDY)
    for path, value in changes:
        node = study
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    check(read_ctgov_json, orjson.dumps(study))
    check(read_ctgov_json, orjson.dumps({"studies": [study, STUDY]}))


@FUZZ
@given(st.sampled_from(PATHS))
def test_deleted_fields(path: tuple[Any, ...]) -> None:
    study = copy.deepcopy(STUDY)
    node = study
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    check(read_ctgov_json, orjson.dumps(study))
