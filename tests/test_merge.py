"""merge_records: re-imports and cross-registry linking, on the seed and real ClinicalTrials.gov files."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from evidence.importers.abstract import parse_abstract_text
from evidence.importers.ctgov import read_ctgov_json
from evidence.importers.ctgov_xml import read_ctgov_xml
from evidence.merge import MergeResult, merge_records, source_version
from evidence.recordio import bundled_seed_path, load_record, record_from_data, record_to_data
from evidence.records import CurationStatus, Provenance, Record, Source, SourceKind, Text
from tests.conftest import FIXTURES, SEED_TEXT

SKIP_LINE = "skipped: incoming ctgov version 2020-08-18 is older than stored 2023-10-06"


def valid(result: MergeResult) -> Record:
    assert record_from_data(record_to_data(result.record)) == result.record
    return result.record


@pytest.fixture(scope="module")
def seed() -> Record:
    return load_record(bundled_seed_path())


@pytest.fixture(scope="module")
def draft() -> Record:
    item = parse_abstract_text(SEED_TEXT.read_text(encoding="utf-8"), locator="seed.txt")
    assert item.record is not None
    return item.record


@pytest.fixture(scope="module")
def json_2023() -> Record:
    data = (FIXTURES / "ctgov" / "NCT02513394.json").read_bytes()
    record = next(read_ctgov_json("NCT02513394.json", data)).record
    assert record is not None
    return record


@pytest.fixture(scope="module")
def xml_2020() -> Record:
    data = (FIXTURES / "ctgov-xml" / "NCT02513394.xml").read_bytes()
    record = next(read_ctgov_xml("NCT02513394.xml", data)).record
    assert record is not None
    return record


def test_seed_keeps_curation_over_its_abstract_draft(seed: Record, draft: Record) -> None:
    result = merge_records(seed, draft)
    assert result.changes == []
    assert result.record == seed  # nothing duplicated, nothing lost
    assert result.notes == [
        "kept stored value for interventions[il2].name.en: 'interleukin-2 (IL-2)' "
        "(abstract has 'IL-2')",
        "kept stored value for interventions[il2].name.zh: '白细胞介素 2（IL-2）' "
        "(abstract has 'IL-2')",
        "kept abstract value for sources[abstract].locator: 'seed/000_6c8f74dbc2f578eb.txt: "
        "bilingual abstract of Ann Rheum Dis... (abstract has 'seed.txt')",
    ]
    merged = result.record
    assert [a.n_analysed for a in merged.arms] == [29, 30]
    first = merged.results[0]
    assert (first.events, first.n, first.reported) == (16, 29, "55.17%")
    assert merged.trial.title.zh is not None and "：" in merged.trial.title.zh
    assert merged.trial.curation_status is CurationStatus.reviewed
    assert [len(getattr(merged, k)) for k in ("arms", "results", "comparisons")] == [2, 6, 3]


def test_curated_record_over_its_draft_restores_the_curation(seed: Record,
                                                             draft: Record) -> None:
    # The more curated side wins conflicts: loading the seed over the draft gives the seed.
    result = merge_records(draft, seed)
    merged = valid(result)
    assert merged.trial.curation_status is CurationStatus.draft  # the stored status stays
    as_seed = merged.model_copy(update={"trial": merged.trial.model_copy(
        update={"curation_status": CurationStatus.reviewed})})
    assert record_to_data(as_seed) == record_to_data(seed)
    assert "arms[il2].n_analysed: none -> 29 (from full-paper)" in result.changes
    assert "results[sri4/il2/w12/proportion].events: none -> 16 (from full-paper)" \
        in result.changes
    assert "sources: + full-paper (full_text)" in result.changes
    assert len(result.changes) == 34


def test_same_record_twice_changes_nothing(seed: Record, json_2023: Record) -> None:
    for record in (seed, json_2023):
        result = merge_records(record, record)
        assert (result.record, result.changes, result.notes, result.skipped_older) == (
            record, [], [], False)


def test_older_registry_version_is_skipped(json_2023: Record, xml_2020: Record) -> None:
    result = merge_records(json_2023, xml_2020)
    assert result.skipped_older is True
    assert result.record is json_2023
    assert (result.changes, result.notes) == ([], [SKIP_LINE])


def test_newer_registry_version_updates(json_2023: Record, xml_2020: Record) -> None:
    result = merge_records(xml_2020, json_2023)
    merged = valid(result)
    assert len(xml_2020.results) == 0 and len(xml_2020.endpoints) == 2
    assert [len(getattr(merged, k)) for k in ("endpoints", "results", "comparisons",
                                              "adverse_events", "populations")] == [
        5, 10, 5, 4058, 1]
    assert result.changes == [
        "populations: + baseline (from ctgov)",
        "arms[arm-a].counts: none -> ['baseline'] (from ctgov)",
        "arms[arm-b].counts: none -> ['baseline'] (from ctgov)",
        "endpoints[primary-1].description: 'To compare invasive disease-free survival "
        "(iDFS) for the combinati... -> 'Invasive disease-free survival (iDFS) for the "
        "combination of at le... (from ctgov)",
        "endpoints[primary-1].time_frame: 'The expected study duration to primary analysis "
        "of iDFS is 5.4 years' -> '4 years' (from ctgov)",
        "endpoints[primary-1].unit: none -> 'percentage of participants' (from ctgov)",
        "endpoints[secondary-1].name.en: 'To compare the safety of 2 years of palbociclib "
        "with adjuvant endo... -> 'Invasive Disease Free Survival (iDFS) Excluding Second "
        "Primary Inv... (from ctgov)",
        "endpoints[secondary-1].description: 'To compare the following endpoints: iDFS "
        "excluding second primary ... -> 'Invasive disease-free survival (iDFS, excluding "
        "second primary inv... (from ctgov)",
        "endpoints[secondary-1].time_frame: 'The expected study duration to primary analysis "
        "of iDFS is 5.4 years' -> '4 years' (from ctgov)",
        "endpoints[secondary-1].unit: none -> 'percentage of patients' (from ctgov)",
        "endpoints: + secondary-2, secondary-3, secondary-4 (from ctgov)",
        "results: + 10 (from ctgov)",
        "comparisons: + 5 (from ctgov)",
        "adverse_events: + 4058 (from ctgov)",
        "trial.primary_completion_date: '2020-09' -> '2020-11' (from ctgov)",
        "trial.countries: ['Australia', 'Canada', 'Israel', 'Japan', 'Korea, Republic of', "
        "'M... -> ['United States', 'Australia', 'Austria', 'Belgium', 'Canada', 'Ger... "
        "(from ctgov)",
        "sources[ctgov].retrieved: 2020-08-18 -> 2023-10-06 (from ctgov)",
        "sources[ctgov].note: 'ClinicalTrials.gov legacy XML; data version (versionHolder) "
        "2020-0... -> 'ClinicalTrials.gov API v2 JSON; data version (versionHolder) 2023-... "
        "(from ctgov)",
    ]
    assert result.notes == []
    assert source_version(merged.sources[0]) == dt.date(2023, 10, 6)
    assert merged.trial.provenance == json_2023.trial.provenance
    # Idempotent, and the superseded version stays superseded.
    again = merge_records(merged, json_2023)
    assert (again.record, again.changes) == (merged, [])
    assert merge_records(merged, xml_2020).notes == [SKIP_LINE]


def test_curator_work_survives_a_newer_registry_version(json_2023: Record,
                                                        xml_2020: Record) -> None:
    trial = xml_2020.trial
    ep = xml_2020.endpoints[0]
    curated = xml_2020.model_copy(update={
        "trial": trial.model_copy(update={
            "title": Text(en=trial.title.en, zh="帕博西尼辅助协作研究"),
            "curation_status": CurationStatus.reviewed}),
        "sources": [*xml_2020.sources, Source(key="curator", kind=SourceKind.curator)],
        "endpoints": [ep.model_copy(update={
            "time_frame": "5.4 years (expected)",
            "field_provenance": {"time_frame": Provenance(source="curator")}}),
            xml_2020.endpoints[1].model_copy(update={
                "name": Text(en=xml_2020.endpoints[1].name.en, zh="安全性")})],
    })
    curated = record_from_data(record_to_data(curated))
    result = merge_records(curated, json_2023)
    merged = valid(result)
    assert merged.trial.title == Text(en="PALbociclib CoLlaborative Adjuvant Study",
                                      zh="帕博西尼辅助协作研究")
    assert merged.endpoints[0].time_frame == "5.4 years (expected)"
    assert merged.endpoints[0].field_provenance["time_frame"] == Provenance(source="curator")
    assert result.notes == [
        "kept curator value for endpoints[primary-1].time_frame: '5.4 years (expected)' "
        "(ctgov has '4 years')",
        "check translation: endpoints[secondary-1].name.zh kept while its English changed",
    ]
    # Results arrived under a reviewed trial: it is no longer what the curator reviewed.
    assert result.changes[-1] == ("trial.curation_status: reviewed -> draft "
                                  "(numbers changed; review again)")
    assert merged.trial.curation_status is CurationStatus.draft


def test_reimport_of_same_file_keeps_zh_title(json_2023: Record) -> None:
    curated = json_2023.model_copy(update={"trial": json_2023.trial.model_copy(
        update={"title": Text(en=json_2023.trial.title.en, zh="帕博西尼辅助协作研究")})})
    result = merge_records(curated, json_2023)
    assert (result.record, result.changes, result.notes) == (curated, [], [])


def test_records_sharing_a_registration_are_one_trial(seed: Record) -> None:
    one_id = seed.model_copy(update={"registrations": seed.registrations[:1]})
    assert [r.identifier for r in one_id.registrations] == ["NCT02465580"]
    result = merge_records(one_id, seed)
    assert [r.identifier for r in valid(result).registrations] == ["NCT02465580",
                                                                     "NCT02932137"]
    assert result.changes == ["registrations: + NCT02932137"]
    assert merge_records(seed, one_id).changes == []


def _as_registry(draft: Record, placebo_label: str) -> Record:
    """The draft re-labelled as another registry's record of the same trial."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ("reg" if k == "source" and v == "abstract" else walk(v))
                    for k, v in node.items()}
        return [walk(v) for v in node] if isinstance(node, list) else node

    data = walk(record_to_data(draft))
    data["sources"] = [{"key": "reg", "kind": "registry", "locator": "https://example.org/r1"}]
    for arm in data["arms"]:
        if arm["key"] == "placebo":
            arm["label"] = {"en": placebo_label}
    return record_from_data(data)


def test_key_collision_with_a_different_arm_gets_its_own_key(seed: Record,
                                                             draft: Record) -> None:
    incoming = _as_registry(draft, "Placebo plus standard treatment")
    result = merge_records(seed, incoming)
    merged = valid(result)
    assert [a.key for a in merged.arms] == ["il2", "placebo", "placebo-reg"]
    assert result.notes[0] == ("arms: incoming 'placebo' from reg is not the stored 'placebo' "
                               "(different label); kept as 'placebo-reg'")
    # Only the renamed arm's rows are new: the IL-2 rows are the curated ones.
    assert "results: + 3 (from reg)" in result.changes
    assert sorted({r.arm for r in merged.results}) == ["il2", "placebo", "placebo-reg"]
    assert len(merged.results) == 9
    assert [r.n for r in merged.results if r.arm == "placebo-reg"] == [None, None, 12]
    assert merged.interventions[1].arms == ["placebo", "placebo-reg"]
    assert merge_records(merged, incoming).changes == []


def test_same_label_is_the_same_arm(seed: Record, draft: Record) -> None:
    incoming = _as_registry(draft, "Placebo")
    result = merge_records(seed, incoming)
    merged = valid(result)
    assert [a.key for a in merged.arms] == ["il2", "placebo"]
    assert len(merged.results) == 6
    assert result.changes == ["sources: + reg (registry)"]


def test_source_version() -> None:
    note = "ClinicalTrials.gov legacy XML; data version (versionHolder) 2020-08-18"
    assert source_version(Source(key="ctgov", kind=SourceKind.registry, note=note)) == \
        dt.date(2020, 8, 18)
    assert source_version(Source(key="ctgov", kind=SourceKind.registry, note=note,
                                 retrieved=dt.date(2021, 1, 2))) == dt.date(2021, 1, 2)
    assert source_version(Source(key="abstract", kind=SourceKind.abstract)) is None


def test_newer_version_drops_what_the_registry_dropped(json_2023: Record) -> None:
    gone = "secondary-4"
    newer = json_2023.model_copy(update={
        "sources": [json_2023.sources[0].model_copy(update={"retrieved": dt.date(2024, 1, 2)})],
        "endpoints": [e for e in json_2023.endpoints if e.key != gone],
        "results": [r for r in json_2023.results if r.endpoint != gone],
        "comparisons": [c for c in json_2023.comparisons if c.endpoint != gone]})
    dropped = [len([r for r in json_2023.results if r.endpoint == gone]),
               len([c for c in json_2023.comparisons if c.endpoint == gone])]
    assert dropped == [2, 1]
    result = merge_records(json_2023, newer)
    merged = valid(result)
    assert gone not in [e.key for e in merged.endpoints]
    assert result.changes == [
        "results: - 2 (no longer in ctgov)",
        "comparisons: - 1 (no longer in ctgov)",
        "sources[ctgov].retrieved: 2023-10-06 -> 2024-01-02 (from ctgov)",
        f"endpoints: - {gone} (no longer in ctgov)",
    ]
    # A curator's comparison still refers to the endpoint: it stays, and says why.
    curated = json_2023.model_copy(update={
        "sources": [*json_2023.sources, Source(key="curator", kind=SourceKind.curator)],
        "comparisons": [*json_2023.comparisons, json_2023.comparisons[-1].model_copy(update={
            "provenance": Provenance(source="curator"), "method": "curator's re-analysis"})]})
    assert curated.comparisons[-1].endpoint == gone
    kept = merge_records(record_from_data(record_to_data(curated)), newer)
    assert gone in [e.key for e in valid(kept).endpoints]
    assert kept.notes == [f"kept endpoints[{gone}]: no longer in ctgov, but other entries "
                          "refer to it"]
