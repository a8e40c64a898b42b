"""Dual extraction: keyed diffs of two curators' records of the seed trial, and their consensus."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.adjudication import (
    MISSING,
    Decision,
    FieldDiff,
    adjudicate,
    decisions_template,
    decisions_to_data,
    diff_records,
    format_value,
    load_decisions,
)
from evidence.errors import EvidenceError, RecordError
from evidence.recordio import bundled_seed_path, load_record, record_from_data, record_to_data
from evidence.records import Record

N_ANALYSED = "arms[il2].n_analysed"
EVENTS = "results[sri4/il2/w12//].events"
LN_CR_ZH = "endpoints[ln-cr].name.zh"
EXTRA_AE = "adverse_events[injection site reaction/il2/false]"
INJECTION = {"term": {"en": "injection site reaction", "zh": "注射部位反应"}, "arm": "il2",
             "serious": False, "affected": 5, "at_risk": 29}

SEED_DATA = record_to_data(load_record(bundled_seed_path()))


def seed_data() -> dict[str, Any]:
    return copy.deepcopy(SEED_DATA)


def record(data: dict[str, Any]) -> Record:
    return record_from_data(data)


@pytest.fixture()
def a() -> Record:
    """Curator A: the curated seed as it is."""
    return record(seed_data())


@pytest.fixture()
def b() -> Record:
    """Curator B: the seed with three fields read differently (and B's own derivation)."""
    data = seed_data()
    assert data["arms"][0]["key"] == "il2" and data["arms"][0]["n_analysed"] == 29
    data["arms"][0]["n_analysed"] = 30
    res = data["results"][0]
    assert (res["endpoint"], res["arm"], res["timepoint"], res["events"]) == ("sri4", "il2", "w12", 16)
    res["events"] = 17
    res["field_provenance"]["events"]["derivation"] = "17/29 = 58.62%, read from table 2"
    assert data["endpoints"][1]["name"]["zh"] == "狼疮肾炎完全缓解"
    data["endpoints"][1]["name"]["zh"] = "狼疮性肾炎完全缓解"
    return record(data)


def test_diff_lists_exactly_the_three_disagreements(a: Record, b: Record) -> None:
    assert diff_records(a, b) == [
        FieldDiff(N_ANALYSED, 29, 30),
        FieldDiff(LN_CR_ZH, "狼疮肾炎完全缓解", "狼疮性肾炎完全缓解"),
        FieldDiff(EVENTS, 16, 17),
    ]
    assert diff_records(b, a) == [FieldDiff(N_ANALYSED, 30, 29),
                                  FieldDiff(LN_CR_ZH, "狼疮性肾炎完全缓解", "狼疮肾炎完全缓解"),
                                  FieldDiff(EVENTS, 17, 16)]


def test_provenance_is_compared_only_when_asked(a: Record, b: Record) -> None:
    paths = [d.path for d in diff_records(a, b, with_provenance=True)]
    assert paths == [N_ANALYSED, LN_CR_ZH, "results[sri4/il2/w12//].field_provenance.events.derivation",
                     EVENTS]


def test_adjudicate_from_yaml_decisions(a: Record, b: Record) -> None:
    text = (f'"{N_ANALYSED}": a\n'
            f'"{EVENTS}": b\n'
            f'"{LN_CR_ZH}": {{value: 狼疮肾炎的完全缓解}}\n')
    decisions = load_decisions(text, source="decisions.yaml")
    assert decisions == {N_ANALYSED: Decision("a"), EVENTS: Decision("b"),
                         LN_CR_ZH: Decision("value", "狼疮肾炎的完全缓解")}
    consensus = adjudicate(a, b, decisions)

    assert consensus.arms[0].n_analysed == 29
    assert consensus.results[0].events == 17
    # B's number comes with B's derivation, not A's "16/29".
    derivation = consensus.results[0].field_provenance["events"].derivation
    assert derivation == "17/29 = 58.62%, read from table 2"
    assert consensus.endpoints[1].name.zh == "狼疮肾炎的完全缓解"
    expected = seed_data()
    expected["results"][0]["events"] = 17
    expected["results"][0]["field_provenance"]["events"]["derivation"] = derivation
    expected["endpoints"][1]["name"]["zh"] = "狼疮肾炎的完全缓解"
    assert consensus == record(expected)  # every other field is a's
    assert diff_records(consensus, a) == [FieldDiff(LN_CR_ZH, "狼疮肾炎的完全缓解", "狼疮肾炎完全缓解"),
                                          FieldDiff(EVENTS, 17, 16)]


def test_explicit_value_drops_the_field_provenance_of_both_extractions(a: Record, b: Record) -> None:
    consensus = adjudicate(a, b, {N_ANALYSED: Decision("a"), LN_CR_ZH: Decision("a"),
                                  EVENTS: Decision("value", 15)})
    assert consensus.results[0].events == 15
    assert sorted(consensus.results[0].field_provenance) == ["n"]
    assert consensus.results[1].field_provenance["events"].derivation == "30.00% × 30 = 9.0; 9/30 = 30.00%"


def test_a_number_from_b_carries_b_row_source_when_b_has_no_field_provenance(a: Record) -> None:
    data = seed_data()
    res = data["results"][4]
    assert (res["endpoint"], res["arm"], "field_provenance" in res) == ("ln-cr", "il2", False)
    res["events"] = 6
    res["provenance"] = {"source": "full-paper", "locator": "table 3"}
    b = record(data)
    path = "results[ln-cr/il2//ln/].events"
    assert diff_records(a, b) == [FieldDiff(path, 7, 6)]
    taken = adjudicate(a, b, {path: Decision("b")})
    assert taken.results[4].events == 6
    assert taken.results[4].provenance == a.results[4].provenance  # the row is still a's
    assert record_to_data(taken)["results"][4]["field_provenance"] == {
        "events": {"source": "full-paper", "locator": "table 3"}}
    assert adjudicate(a, b, {path: Decision("a")}) == a
    # Deciding provenance too: the row's provenance is then a diff of its own.
    prov = "results[ln-cr/il2//ln/].provenance"
    assert diff_records(a, b, with_provenance=True) == [
        FieldDiff(f"{prov}.source", "abstract", "full-paper"),
        FieldDiff(f"{prov}.locator", "RESULTS", "table 3"),
        FieldDiff(f"{prov}.span", [1642, 1804], MISSING),
        FieldDiff(f"{prov}.quote", a.results[4].provenance.quote, MISSING),  # type: ignore[union-attr]
        FieldDiff(path, 7, 6)]
    decided = {d.path: Decision("b") for d in diff_records(a, b, with_provenance=True)}
    both = adjudicate(a, b, decided, with_provenance=True)
    assert both == b


def test_file_bookkeeping_is_not_a_disagreement(a: Record) -> None:
    if "base_version" not in Record.model_fields:
        pytest.skip("records.py has no base_version")
    data = seed_data()
    data["base_version"] = 3
    b = record(data)
    assert diff_records(a, b, with_provenance=True) == []
    assert adjudicate(b, a, {}).model_dump()["base_version"] == 3


def test_undecided_paths_are_all_listed_in_diff_order(a: Record, b: Record) -> None:
    with pytest.raises(EvidenceError) as err:
        adjudicate(a, b, {LN_CR_ZH: Decision("b")})
    assert str(err.value) == f"2 difference(s) without a decision: {N_ANALYSED}, {EVENTS}"
    with pytest.raises(EvidenceError) as err:
        adjudicate(a, b, {})
    assert str(err.value) == f"3 difference(s) without a decision: {N_ANALYSED}, {LN_CR_ZH}, {EVENTS}"


def test_a_decision_for_a_path_that_is_not_a_diff_is_refused(a: Record, b: Record) -> None:
    typo = "arms[il2].n_analyzed"
    agreed = "arms[placebo].n_analysed"
    with pytest.raises(EvidenceError) as err:
        adjudicate(a, b, {N_ANALYSED: Decision("b"), EVENTS: Decision("b"),
                          LN_CR_ZH: Decision("b"), typo: Decision("a"), agreed: Decision("b")})
    assert str(err.value) == ("2 decision(s) for paths where the extractions agree or that do "
                              f"not exist: {typo}, {agreed}")
    with pytest.raises(EvidenceError) as err:
        adjudicate(a, b, {typo: Decision("a"), N_ANALYSED: Decision("b")})
    assert str(err.value) == ("1 decision(s) for paths where the extractions agree or that do "
                              f"not exist: {typo}; 2 difference(s) without a decision: "
                              f"{LN_CR_ZH}, {EVENTS}")


def test_entity_only_in_b_is_one_diff_and_choosing_b_adds_it(a: Record) -> None:
    data = seed_data()
    data["adverse_events"].insert(1, copy.deepcopy(INJECTION))
    b = record(data)
    assert diff_records(a, b) == [FieldDiff(EXTRA_AE, MISSING, INJECTION)]
    added = adjudicate(a, b, {EXTRA_AE: Decision("b")})
    assert [(ae.term.en, ae.arm) for ae in added.adverse_events] == [
        ("serious infection", "il2"), ("serious infection", "placebo"),
        ("injection site reaction", "il2")]  # a's order, b-only appended
    assert added.adverse_events[2].affected == 5
    assert adjudicate(a, b, {EXTRA_AE: Decision("a")}) == a
    assert adjudicate(a, b, {EXTRA_AE: Decision("value", None)}) == a
    # Seen from the other side, the same entity is a's alone; choosing b removes it.
    assert diff_records(b, a) == [FieldDiff(EXTRA_AE, INJECTION, MISSING)]
    assert adjudicate(b, a, {EXTRA_AE: Decision("b")}) == a


def test_entities_are_matched_by_identity_not_position(a: Record) -> None:
    data = seed_data()
    data["results"].reverse()
    data["arms"].reverse()
    data["comparisons"].insert(0, data["comparisons"].pop())
    assert diff_records(a, record(data), with_provenance=True) == []
    new = {"endpoint": "sri4", "arm": "il2", "timepoint": "w24", "category": "Responder",
           "param": "count", "reported": "19", "value": 19.0}
    data["results"].insert(0, new)
    path = "results[sri4/il2/w24//Responder]"
    assert diff_records(a, record(data)) == [FieldDiff(path, MISSING, new)]


def test_nested_identities_and_absent_fields(a: Record) -> None:
    data = seed_data()
    data["interventions"][0]["regimens"][0]["dose"]["en"] = "1 MIU"
    del data["interventions"][1]["regimens"][0]["frequency_text"]
    data["endpoints"][0]["timepoints"][1]["label"]["zh"] = "24 周"
    data["arms"][1]["counts"][0]["n"] = 11
    data["trial"]["institutions"][1]["city"] = "北京"
    data["trial"]["conditions"].append({"zh": "狼疮肾炎"})
    data["trial"]["design"]["phases"] = ["phase2"]
    data["publications"][0]["abstract_sections"][2]["text"]["zh"] = "结果"
    assert [(d.path, d.a, d.b) for d in diff_records(a, record(data))] == [
        ("trial.conditions[狼疮肾炎]", MISSING, {"zh": "狼疮肾炎"}),
        ("trial.design.phases", [], ["phase2"]),
        ("trial.institutions[Beijing Key Laboratory for Rheumatism and Immune Diagnosis "
         "(BZ0135)].city", "Beijing", "北京"),
        ("publications[10.1136/annrheumdis-2019-215396].abstract_sections[RESULTS].text.zh",
         SEED_DATA["publications"][0]["abstract_sections"][2]["text"]["zh"], "结果"),
        ("arms[placebo].counts[ln].n", 12, 11),
        ("interventions[il2].regimens[il2].dose.en", "1 million IU", "1 MIU"),
        ("interventions[placebo].regimens[placebo].frequency_text",
         {"en": "every other day", "zh": "每隔一天"}, MISSING),
        ("endpoints[sri4].timepoints[w24].label.zh", "第 24 周", "24 周"),
    ]


def test_paths_escape_brackets_and_number_repeats(a: Record) -> None:
    data = seed_data()
    odd = {"term": {"en": "rash [grade 2] #1"}, "arm": "il2", "serious": False}
    data["adverse_events"] += [odd, {**odd, "affected": 1}]
    paths = [d.path for d in diff_records(a, record(data))]
    assert paths == [r"adverse_events[rash [grade 2\] \#1/il2/false]",
                     r"adverse_events[rash [grade 2\] \#1/il2/false#2]"]


def test_a_choice_that_breaks_validation_names_the_keyed_path(a: Record, b: Record) -> None:
    with pytest.raises(RecordError) as err:
        adjudicate(a, b, {N_ANALYSED: Decision("a"), LN_CR_ZH: Decision("a"),
                          EVENTS: Decision("value", 30)})
    assert err.value.field == EVENTS
    assert str(err.value) == (f"NCT02465580: {EVENTS}: the consensus is not a valid record: "
                              "30 events is more than n=29")
    with pytest.raises(RecordError) as err:
        adjudicate(a, b, {N_ANALYSED: Decision("value", 31), LN_CR_ZH: Decision("a"),
                          EVENTS: Decision("a")})
    assert err.value.field == N_ANALYSED
    assert err.value.message == "the consensus is not a valid record: 31 analysed is more than 30 randomised"


def test_an_explicit_number_must_be_a_number(a: Record, b: Record) -> None:
    with pytest.raises(EvidenceError) as err:
        adjudicate(a, b, {N_ANALYSED: Decision("value", "30"), LN_CR_ZH: Decision("a"),
                          EVENTS: Decision("a")})
    assert str(err.value) == f'{N_ANALYSED}: value "30" is text, but the extractions have number'


def test_load_decisions_refuses_bad_entries_naming_file_and_path() -> None:
    def error(text: str) -> str:
        with pytest.raises(EvidenceError) as err:
            load_decisions(text, source="d.yaml")
        return str(err.value)

    assert error("- a\n- b\n") == "d.yaml: decisions must be a mapping of path to a, b or {value: ...}"
    assert error(f'"{EVENTS}": c\n') == f'd.yaml: {EVENTS}: decision must be a, b or {{value: ...}}, not "c"'
    assert error(f'"{EVENTS}": {{value: 1, note: x}}\n') == (
        f'd.yaml: {EVENTS}: decision must be a, b or {{value: ...}}, not {{"value":1,"note":"x"}}')
    assert error(f'"{EVENTS}": a\n"{EVENTS}": b\n') == f"d.yaml: {EVENTS}: decided twice (again at line 2)"
    assert error("12: a\n") == "d.yaml: 12: a path must be text, like arms[il2].n_analysed"
    assert error('"x": [a\n').startswith("d.yaml: invalid YAML at line 2, column 1")
    assert load_decisions("", source="d.yaml") == {}
    assert load_decisions(f'"{EVENTS}": null\n"{N_ANALYSED}": b\n', source="d.yaml") == {
        N_ANALYSED: Decision("b")}
    # YAML reads a bare date as a date; a record holds it as ISO text.
    assert load_decisions('"publications[1].epub_date": {value: 2019-09-19}', source="d") == {
        "publications[1].epub_date": Decision("value", "2019-09-19")}


def test_template_lists_every_diff_and_decisions_round_trip(a: Record, b: Record) -> None:
    template = decisions_template(diff_records(a, b))
    assert template.splitlines()[:8] == [
        "# a: 29", "# b: 30", "arms[il2].n_analysed: null", "",
        '# a: "狼疮肾炎完全缓解"', '# b: "狼疮性肾炎完全缓解"', "endpoints[ln-cr].name.zh: null", ""]
    assert load_decisions(template, source="t.yaml") == {}
    filled = template.replace("n_analysed: null", "n_analysed: b")
    assert load_decisions(filled, source="t.yaml") == {N_ANALYSED: Decision("b")}
    decisions = {N_ANALYSED: Decision("b"), EVENTS: Decision("value", 16)}
    import yaml

    text = yaml.safe_dump(decisions_to_data(decisions), allow_unicode=True)
    assert load_decisions(text, source="t.yaml") == decisions
    assert format_value(MISSING) == "<absent>" and repr(MISSING) == "<absent>"


# --- properties over generated variants of the seed -----------------------------------

CJK = st.text(alphabet="狼疮性肾炎完全缓解应答率第周", min_size=1, max_size=8)


@st.composite
def variants(draw: st.DrawFn) -> Record:
    """The seed with some numbers, Chinese terms, lists and entities changed."""
    data = seed_data()
    for arm in data["arms"]:
        if draw(st.booleans()):
            arm["n_analysed"] = draw(st.integers(0, arm["n_randomised"]))
    for res in data["results"]:
        if draw(st.booleans()):
            res["events"] = draw(st.integers(0, res["n"]))
    for ep in data["endpoints"]:
        if draw(st.booleans()):
            ep["name"]["zh"] = draw(CJK)
    for cmp in data["comparisons"]:
        if draw(st.booleans()):
            cmp["p_value"] = draw(st.floats(0, 1))
    if draw(st.booleans()):
        del data["interventions"][0]["regimens"][0]["dose"]
    data["trial"]["countries"] = draw(st.lists(st.sampled_from(["China", "Japan"]), max_size=2))
    data["trial"]["design"]["phases"] = draw(st.lists(st.sampled_from(["phase2", "phase3"]),
                                                      max_size=2, unique=True))
    drop = draw(st.sets(st.integers(0, len(data["results"]) - 1)))
    data["results"] = [r for i, r in enumerate(data["results"]) if i not in drop]
    for _ in range(draw(st.integers(0, 2))):
        data["adverse_events"].append({
            "term": {"en": draw(st.sampled_from(["rash", "serious infection", "fever"])),
                     "zh": draw(CJK)},
            "arm": draw(st.sampled_from(["il2", "placebo"])), "serious": draw(st.booleans()),
            "affected": draw(st.integers(0, 29)), "at_risk": 29})
    return record(data)


def canonical(rec: Record) -> Any:
    """Record data with every list of entities sorted, for equality up to list order."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
            items = [walk(i) for i in node]
            return sorted(items, key=lambda i: orjson.dumps(i, option=orjson.OPT_SORT_KEYS))
        return node
    return walk(record_to_data(rec))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants(), variants())
def test_adjudicating_all_b_gives_b_and_all_a_gives_a(a: Record, b: Record) -> None:
    assert diff_records(a, a, with_provenance=True) == []
    diffs = diff_records(a, b)
    paths = [d.path for d in diffs]
    assert len(set(paths)) == len(paths)
    assert all(d.a != d.b for d in diffs)
    all_b = adjudicate(a, b, {p: Decision("b") for p in paths})
    assert diff_records(all_b, b, with_provenance=True) == []
    assert canonical(all_b) == canonical(b)
    assert adjudicate(a, b, {p: Decision("a") for p in paths}) == a
