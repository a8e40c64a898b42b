"""The record format: the seed record, schema errors and logical errors, file problems."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
import yaml
from pydantic import ValidationError

from evidence import records
from evidence.errors import RecordError
from evidence.recordio import (
    bundled_seed_path,
    dump_record,
    load_record,
    record_from_data,
    record_to_data,
)
from evidence.records import json_schema
from tests.conftest import SEED_TEXT


@pytest.fixture(scope="module")
def seed_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(bundled_seed_path().read_text(encoding="utf-8"))
    return data


def test_seed_record_quotes_are_exact_spans_of_the_seed_page() -> None:
    """Every provenance quote with a span is the seed page's text at that span."""
    text = SEED_TEXT.read_text(encoding="utf-8")
    record = load_record(bundled_seed_path())
    provs = []
    for item in [record.trial, *record.arms, *record.endpoints, *record.results,
                 *record.comparisons, *record.adverse_events,
                 *(g for iv in record.interventions for g in iv.regimens)]:
        provs += [p for p in (item.provenance, *item.field_provenance.values()) if p]
    spanned = [p for p in provs if p.span and p.quote]
    assert len(spanned) >= 20
    for prov in spanned:
        assert prov.span is not None
        assert text[prov.span[0]:prov.span[1]] == prov.quote


def test_seed_record_states_every_number_of_the_abstract() -> None:
    record = load_record(bundled_seed_path())
    assert [r.identifier for r in record.registrations] == ["NCT02465580", "NCT02932137"]
    assert record.trial.enrollment.planned == 60
    assert [(a.key, a.n_randomised, a.n_analysed) for a in record.arms] == [
        ("il2", 30, 29), ("placebo", 30, 30)]
    assert [(r.reported, r.events, r.n) for r in record.results] == [
        ("55.17%", 16, 29), ("30.00%", 9, 30), ("65.52%", 19, 29), ("36.67%", 11, 30),
        ("53.85% (7/13)", 7, 13), ("16.67% (2/12)", 2, 12)]
    assert [c.p_reported for c in record.comparisons] == ["p=0.052", "p=0.027", "p=0.036"]
    derived = [r.field_provenance["events"].derivation for r in record.results[:4]]
    assert derived[0] == "55.17% × 29 = 16.0; 16/29 = 55.17%"
    assert all(d for d in derived)
    assert "events" not in record.results[4].field_provenance  # 7/13 is printed, not derived
    regimen = record.interventions[0].regimens[0]
    assert (regimen.dose_amount, regimen.dose_unit, regimen.route, regimen.frequency) == (
        1_000_000, "IU", "subcutaneous", "qod")
    assert (regimen.cycle_on.value, regimen.cycle_off.value,  # type: ignore[union-attr]
            regimen.treatment_duration.value, regimen.follow_up.value) == (  # type: ignore[union-attr]
        2, 2, 12, 12)
    assert record.endpoints[0].met is False
    assert [(a.arm, a.affected) for a in record.adverse_events] == [("il2", 0), ("placebo", 2)]


def test_dump_and_reload_is_identity() -> None:
    record = load_record(bundled_seed_path())
    for fmt in ("yaml", "json"):
        text = dump_record(record, fmt=fmt)
        assert text.startswith("format: evidence-record/1" if fmt == "yaml" else "{")
        reloaded = record_from_data(yaml.safe_load(text))
        assert reloaded == record


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(RecordError) as info:
        record_from_data(data, file="bad.yaml")
    return str(info.value)


def test_schema_error_names_file_and_field_path(seed_data: dict[str, Any]) -> None:
    data = copy.deepcopy(seed_data)
    data["arms"][1]["n_randomised"] = -1
    assert _error(data) == "bad.yaml: arms[1].n_randomised: must be ≥ 0"


def test_nul_characters_are_refused_before_any_database_sees_them(
        seed_data: dict[str, Any]) -> None:
    data = copy.deepcopy(seed_data)
    data["trial"]["countries"] = ["China", "Chi\x00na"]
    assert _error(data) == "bad.yaml: trial.countries: contains a NUL character (U+0000)"


def test_unknown_fields_are_rejected_not_dropped(seed_data: dict[str, Any]) -> None:
    data = copy.deepcopy(seed_data)
    data["arms"][0]["n_randomized"] = 30
    assert _error(data) == ("bad.yaml: arms[0].n_randomized: "
                            "unknown field (not in the record format)")


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d["results"][0].update(events=30),
     "bad.yaml: NCT02465580: results[0].events: 30 events is more than n=29"),
    (lambda d: d["arms"][0].update(n_analysed=31),
     "bad.yaml: NCT02465580: arms[0].n_analysed: 31 analysed is more than 30 randomised"),
    (lambda d: d["results"][1].update(value=130.0),
     "bad.yaml: NCT02465580: results[1].value: percent 130.0 is outside 0–100"),
    (lambda d: d["registrations"][1].update(identifier="NCT0293213"),
     "bad.yaml: NCT02465580: registrations[1].identifier: 'NCT0293213' is not a valid "
     "ClinicalTrials.gov identifier (expected like NCT02465580)"),
    (lambda d: d["results"][2].update(arm="low-dose"),
     "bad.yaml: NCT02465580: results[2].arm: refers to arm 'low-dose', which the record "
     "does not define"),
    (lambda d: d["comparisons"][0].update(timepoint="w52"),
     "bad.yaml: NCT02465580: comparisons[0].timepoint: refers to timepoint 'w52', which the "
     "record does not define"),
    (lambda d: d["adverse_events"][1].update(affected=31),
     "bad.yaml: NCT02465580: adverse_events[1].affected: 31 affected is more than 30 at risk"),
    # The seed shares this provenance (a YAML anchor) with results[1] and comparisons[0].
    (lambda d: d["results"][0]["provenance"].update(source="nowhere"),
     "bad.yaml: NCT02465580: results[0].provenance.source: unknown source 'nowhere' "
     "(add it to sources) (and 2 more)"),
])
def test_logical_errors_are_errors(seed_data: dict[str, Any], mutate: Any, expected: str) -> None:
    data = copy.deepcopy(seed_data)
    mutate(data)
    assert _error(data) == expected


def test_file_problems_get_one_clear_message(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("trial:\n  title:\n    en: Sjögren\n".encode("latin-1"))
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    broken = tmp_path / "broken.yaml"
    broken.write_text("trial: [unclosed\n", encoding="utf-8")
    expectations = {
        empty: f"{empty}: file is empty",
        latin1: f"{latin1}: not UTF-8 text (invalid byte at offset 26)",
        huge: f"{huge}: file is 22,020,096 bytes, over the 20,971,520-byte limit",
        broken: f"{broken}: invalid YAML at line 2, column 1: expected ',' or ']', but got "
                "'<stream end>'",
    }
    for path, expected in expectations.items():
        with pytest.raises(RecordError) as info:
            load_record(path)
        assert str(info.value) == expected


def test_json_schema_is_published_with_every_top_level_field() -> None:
    schema = json_schema()
    assert schema["title"] == "evidence record (evidence-record/1)"
    assert set(schema["properties"]) == {
        "format", "base_version", "trial", "registrations", "publications", "sources", "populations", "arms",
        "interventions", "endpoints", "results", "comparisons", "adverse_events"}
    assert schema["additionalProperties"] is False
    assert set(record_to_data(load_record(bundled_seed_path()))) <= set(schema["properties"])


def _model_classes() -> list[type[records.Model]]:
    found: list[type[records.Model]] = []
    pending = [records.Model]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _string_shape(annotation: Any) -> str | None:
    """'str', 'list' or 'dict' when a field's type holds strings directly, else None."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _string_shape(args[0])
    if origin in (Union, UnionType):
        shapes = {_string_shape(arg) for arg in args} - {None}
        assert len(shapes) <= 1, annotation
        return shapes.pop() if shapes else None
    if annotation is str:  # exactly str: a StrEnum's values are fixed and NUL-free
        return "str"
    if origin is list and _string_shape(args[0]) == "str":
        return "list"
    if origin is dict and _string_shape(args[0]) == "str":
        return "dict"
    # Anything else must hold no string of its own (a model is walked by itself).
    assert all(_string_shape(arg) is None for arg in args), annotation
    return None


def _field_errors(cls: type[records.Model], name: str, value: Any) -> list[Any]:
    try:
        cls.model_validate({name: value})
    except ValidationError as exc:
        return [e for e in exc.errors() if e["loc"][:1] == (name,)]
    return []


def _shaped(shape: str, text: str, cls: type[records.Model], name: str) -> Any:
    if shape == "str":
        return text
    if shape == "list":
        return ["fine", text]
    values = get_args(cls.model_fields[name].annotation)[1]
    return {text: {n: "x" for n, f in values.model_fields.items() if f.is_required()}}


def test_every_string_field_of_every_model_refuses_nul() -> None:
    """Each str, list[str] item and dict key in the format is checked, and names its field."""
    candidates = ["x", "2019", "10.1000/x", "PMC1", "1", "<", records.FORMAT]
    checked = []
    for cls in _model_classes():
        for name, field in cls.model_fields.items():
            shape = _string_shape(field.annotation)
            if shape is None:
                continue
            valid = next((c for c in candidates
                          if not _field_errors(cls, name, _shaped(shape, c, cls, name))), None)
            assert valid is not None, f"{cls.__name__}.{name}: add a valid sample to the test"
            for bad in (valid + "\x00", valid[:1] + "\x00" + valid[1:]):
                errors = _field_errors(cls, name, _shaped(shape, bad, cls, name))
                assert errors, f"{cls.__name__}.{name} accepts {bad!r}"
                for error in errors:
                    # A pattern that refuses the string on its own is a refusal too.
                    if error["type"] != "string_pattern_mismatch":
                        assert (error["loc"], error["msg"]) == (
                            (name,), f"Value error, {records.NUL_MESSAGE}"), (cls, name, error)
            checked.append(f"{cls.__name__}.{name}")
    assert len(checked) >= 70 and "Traced.field_provenance" in checked, checked


def test_nul_in_a_field_provenance_key_names_the_field(seed_data: dict[str, Any]) -> None:
    data = copy.deepcopy(seed_data)
    data["arms"][0]["field_provenance"] = {"n_analysed\x00": {"source": "abstract"}}
    assert _error(data) == ("bad.yaml: arms[0].field_provenance: "
                            "contains a NUL character (U+0000)")


def test_a_lone_surrogate_is_not_reported_as_a_nul(seed_data: dict[str, Any]) -> None:
    # YAML's "\ud800" escape gives a string no database can store as UTF-8.
    data = copy.deepcopy(seed_data)
    data["trial"]["sponsor"] = "Peking\ud800"
    assert _error(data) == ("bad.yaml: trial.sponsor: Input should be a valid string, "
                            "unable to parse raw data as a unicode string")


def test_the_nul_check_stays_out_of_the_published_schema() -> None:
    for mode in ("validation", "serialization"):
        schema = records.Record.model_json_schema(mode=mode)
        assert "x00" not in json.dumps(schema), mode
