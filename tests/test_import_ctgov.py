"""ClinicalTrials.gov API v2 JSON importer and source iteration, on the real fixtures."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from evidence.errors import SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.ctgov import parse_number, parse_study, read_ctgov_json, split_p_value
from evidence.importers.sources import detect_format, iter_files
from evidence.recordio import record_from_data, record_to_data
from evidence.records import ArmRole, ParamType, Record, StudyType

FIXTURES = Path(__file__).parent.parent.parent / "shared" / "fixtures"
CTGOV = FIXTURES / "ctgov"

# Counted from the JSON files with a throwaway script (armGroups, interventions,
# primary/secondary/otherOutcomes, outcomeMeasures, analyses, analyses with pValue,
# seriousEvents, otherEvents, stats rows, measurements, secondaryIdInfos).
EXPECTED: dict[str, dict[str, Any]] = {
    "NCT00763412": dict(arms=2, ivs=2, planned=9, measures=9, analyses=0, with_p=0,
                        serious=0, other=0, ae_rows=0, results=30, regs=["NCT00763412"]),
    "NCT02210780": dict(arms=2, ivs=2, planned=11, measures=11, analyses=7, with_p=7,
                        serious=3, other=6, ae_rows=18, results=28, regs=["NCT02210780"]),
    "NCT02513394": dict(arms=2, ivs=2, planned=5, measures=5, analyses=5, with_p=1,
                        serious=341, other=1688, ae_rows=4058, results=10,
                        regs=["NCT02513394", "2014-005181-30"]),
    "NCT02552212": dict(arms=2, ivs=2, planned=31, measures=31, analyses=12, with_p=12,
                        serious=36, other=9, ae_rows=225, results=66,
                        regs=["NCT02552212", "2015-001894-41"]),
    "NCT03418623": dict(arms=2, ivs=2, planned=3, measures=0, analyses=0, with_p=0,
                        serious=0, other=0, ae_rows=0, results=0, regs=["NCT03418623"]),
    "NCT03630471": dict(arms=2, ivs=2, planned=11, measures=0, analyses=0, with_p=0,
                        serious=0, other=0, ae_rows=0, results=0, regs=["NCT03630471"]),
    "NCT04267848": dict(arms=3, ivs=12, planned=8, measures=0, analyses=0, with_p=0,
                        serious=0, other=0, ae_rows=0, results=0, regs=["NCT04267848"]),
    "NCT05594173": dict(arms=0, ivs=1, planned=2, measures=2, analyses=0, with_p=0,
                        serious=0, other=1, ae_rows=1, results=12, regs=["NCT05594173"]),
}


def load(nct: str) -> ImportItem:
    items = list(read_ctgov_json(f"{nct}.json", (CTGOV / f"{nct}.json").read_bytes()))
    assert len(items) == 1
    return items[0]


def record(nct: str) -> Record:
    item = load(nct)
    assert item.error is None, item.error
    assert item.record is not None
    return item.record


def indices(locators: list[str], pattern: str) -> set[int]:
    return {int(m.group(1)) for loc in locators if (m := re.search(pattern, loc))}


def test_every_fixture_is_counted() -> None:
    assert sorted(p.stem for p in CTGOV.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("nct", sorted(EXPECTED))
def test_counts(nct: str) -> None:
    exp = EXPECTED[nct]
    rec = record(nct)
    registered = [a for a in rec.arms if a.provenance and a.provenance.derivation is None]
    assert len(registered) == exp["arms"]
    assert len(rec.interventions) == exp["ivs"]
    planned = [e for e in rec.endpoints
               if e.provenance and e.provenance.locator
               and e.provenance.locator.startswith("protocolSection.outcomesModule")]
    assert len(planned) == exp["planned"]
    # Every outcome measure of these files matches a planned outcome by title.
    assert len(rec.endpoints) == exp["planned"]
    measured = indices([r.provenance.locator or "" for r in rec.results if r.provenance]
                       + [c.provenance.locator or "" for c in rec.comparisons if c.provenance],
                       r"outcomeMeasures\[(\d+)\]")
    # NCT02552212's measure [30] has no paramType and no data, so it leaves no row.
    assert len(measured) == exp["measures"] - (1 if nct == "NCT02552212" else 0)
    assert len(rec.results) == exp["results"]
    assert len(rec.comparisons) == exp["analyses"]
    assert sum(c.p_reported is not None for c in rec.comparisons) == exp["with_p"]
    ae_locs = [ae.provenance.locator or "" for ae in rec.adverse_events if ae.provenance]
    assert len(indices(ae_locs, r"seriousEvents\[(\d+)\]")) == exp["serious"]
    assert len(indices(ae_locs, r"otherEvents\[(\d+)\]")) == exp["other"]
    assert len(rec.adverse_events) == exp["ae_rows"]
    assert [r.identifier for r in rec.registrations] == exp["regs"]


@pytest.mark.parametrize("nct", sorted(EXPECTED))
def test_round_trip_through_record_format(nct: str) -> None:
    rec = record(nct)
    again = record_from_data(record_to_data(rec))
    assert again == rec
    assert rec.sources[0].locator == f"https://clinicaltrials.gov/study/{nct}"
    for key in [a.key for a in rec.arms] + [i.key for i in rec.interventions]:
        assert re.match(r"^[a-z0-9][a-z0-9_.-]*$", key)


def test_p_values_split_as_printed() -> None:
    rec = record("NCT02552212")
    by_text = {c.p_reported: (c.p_comparator, c.p_value) for c in rec.comparisons}
    assert by_text["<0.001"] == ("<", 0.001)
    assert by_text["=0.247"] == ("=", 0.247)
    assert by_text["<0.0001"] == ("<", 0.0001)
    odds = rec.comparisons[0]
    assert (odds.effect_measure, odds.effect_reported, odds.effect_value) == (
        "Odds Ratio (OR)", "15.231", 15.231)
    assert (odds.ci_level, odds.ci_low, odds.ci_high) == (95.0, 7.336, 31.623)
    assert odds.method == "Regression, Logistic"
    assert odds.provenance is not None
    assert odds.provenance.locator == (
        "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].analyses[0]")
    # "-1.290" keeps its trailing zero in the text.
    assert [c.effect_reported for c in rec.comparisons].count("-1.290") == 1


def test_split_p_value() -> None:
    assert split_p_value("0.65") == ("=", 0.65)
    assert split_p_value("≤0.05") == ("<=", 0.05)
    assert split_p_value("p < .001") == ("<", 0.001)
    assert split_p_value("NS") == (None, None)
    assert split_p_value("1.5") == (None, None)
    assert parse_number("1e999") is None and parse_number("-1.290") == -1.29
    assert parse_number("1,234") is None and parse_number("NA") is None


def test_ci_only_analyses_are_kept() -> None:
    rec = record("NCT02513394")
    with_p = [c for c in rec.comparisons if c.p_reported is not None]
    ci_only = [c for c in rec.comparisons if c.p_reported is None]
    assert [(c.p_reported, c.p_comparator, c.p_value) for c in with_p] == [("0.65", "=", 0.65)]
    assert [(c.effect_reported, c.ci_low, c.ci_high) for c in ci_only] == [
        ("0.99", 0.82, 1.19), ("1.05", 0.87, 1.28), ("1.32", 0.98, 1.78), ("0.84", 0.57, 1.23)]
    assert {c.effect_measure for c in ci_only} == {"Hazard Ratio (HR)"}
    assert all(c.arms == ["arm-a", "arm-b"] for c in rec.comparisons)


def test_groups_matched_by_identical_description() -> None:
    item = load("NCT02513394")
    assert item.record is not None
    # "Palbociclib Plus Endocrine Therapy (Arm A)" is arm "Arm A" by its description.
    assert [a.key for a in item.record.arms] == ["arm-a", "arm-b"]
    assert [(c.population, c.n) for c in item.record.arms[0].counts] == [("baseline", 2884)]
    assert any("by its identical description" in note for note in item.notes)
    first_ae = item.record.adverse_events[0]
    assert (first_ae.term.en, first_ae.arm, first_ae.serious, first_ae.affected,
            first_ae.at_risk, first_ae.events, first_ae.vocabulary) == (
        "Anaemia", "arm-a", True, 3, 2841, 3, "MedDRA 23.1")


def test_unmatched_groups_become_other_arms_with_a_note() -> None:
    item = load("NCT02552212")
    assert item.record is not None
    arms = {a.key: a for a in item.record.arms}
    assert arms["placebo"].role is ArmRole.placebo_comparator
    extra = arms["placebo-fas"]
    assert extra.role is ArmRole.other
    assert extra.provenance is not None and extra.provenance.derivation
    assert any("'Placebo (FAS)' matches no arm group" in note for note in item.notes)
    # "Total Title" is the baseline total, not an arm.
    assert not any("total" in key for key in arms)
    first = item.record.results[0]
    assert (first.arm, first.param, first.reported, first.value, first.n, first.unit) == (
        "placebo-fas", ParamType.number, "7.0", 7.0, 158, "percentage of subjects")


def test_counts_and_dispersion() -> None:
    rec = record("NCT02552212")
    counts = [r for r in rec.results if r.param is ParamType.count]
    assert [(r.reported, r.events, r.n) for r in counts[:2]] == [("48", 48, 158), ("115", 115, 159)]
    ci = next(r for r in rec.results if r.dispersion is not None and r.dispersion.value == "ci")
    assert (ci.param, ci.reported, ci.dispersion_reported, ci.dispersion_low, ci.dispersion_high,
            ci.dispersion_level) == (ParamType.geometric_mean, "50.5", "48.0 to 53.0", 48.0, 53.0,
                                     95.0)
    na = [r for r in rec.results if r.reported == "NA"]
    assert len(na) == 1 and na[0].value is None


def test_placebo_arm_typed_experimental_is_kept_as_registered() -> None:
    item = load("NCT02210780")
    assert item.record is not None
    placebo = item.record.arms[0]
    assert (placebo.key, placebo.role) == ("placebo-qw", ArmRole.experimental)
    assert item.record.trial.design.control is None
    assert any("'Placebo qw' is typed EXPERIMENTAL" in note for note in item.notes)
    design = item.record.trial.design
    assert design.masked_roles == ["participant", "investigator", "outcomes_assessor"]
    assert item.record.trial.enrollment.actual == 194
    assert item.record.trial.start_date == "2014-08-05"


def test_observational_study_imports_groups_as_cohorts() -> None:
    item = load("NCT05594173")
    assert item.record is not None
    rec = item.record
    assert rec.trial.design.study_type is StudyType.observational
    assert rec.trial.design.phases == []
    assert len(rec.arms) == 7
    assert all(a.role is ArmRole.other for a in rec.arms)
    assert rec.arms[0].key == "healthy-participants"
    assert any("registers no arm groups" in note for note in item.notes)


def test_estimated_enrollment_is_planned() -> None:
    trial = record("NCT04267848").trial
    assert (trial.enrollment.planned, trial.enrollment.actual) == (1210, None)
    assert trial.status == "recruiting"


def test_eudract_secondary_id_and_other_ids() -> None:
    rec = record("NCT02552212")
    assert [(r.registry, r.identifier) for r in rec.registrations] == [
        ("ctgov", "NCT02552212"), ("eudract", "2015-001894-41")]
    assert rec.sources[0].note is not None and "AS0006 (org study ID)" in rec.sources[0].note
    assert rec.trial.acronym == "C-AXSPAND"
    assert rec.trial.design.control is not None and rec.trial.design.control.value == "placebo"


def test_large_file_speed() -> None:
    data = (CTGOV / "NCT02513394.json").read_bytes()
    start = time.perf_counter()
    items = list(read_ctgov_json("NCT02513394.json", data))
    elapsed = time.perf_counter() - start
    print(f"NCT02513394.json ({len(data):,} bytes) imported in {elapsed:.2f} s")
    assert items[0].record is not None


# --- containers and errors --------------------------------------------------------

def only_error(data: bytes) -> SourceFormatError:
    items = list(read_ctgov_json("x.json", data))
    assert len(items) == 1 and items[0].record is None
    assert isinstance(items[0].error, SourceFormatError)
    return items[0].error


def test_page_and_list_one_bad_study_does_not_stop_others() -> None:
    good = orjson.loads((CTGOV / "NCT03418623.json").read_bytes())
    page = orjson.dumps({"studies": [good, {"derivedSection": {}}, 7, good]})
    items = list(read_ctgov_json("page.json", page))
    assert [i.locator for i in items] == [f"page.json#studies[{i}]" for i in range(4)]
    assert [i.record is not None for i in items] == [True, False, False, True]
    assert str(items[1].error) == ("page.json#studies[1]: protocolSection: study has no "
                                   "protocolSection: not a ClinicalTrials.gov API v2 study record")
    assert str(items[2].error) == "page.json: studies[2]: expected a study object, found a number"
    listed = list(read_ctgov_json("list.json", orjson.dumps([good])))
    assert listed[0].locator == "list.json#[0]" and listed[0].record is not None


def test_clear_errors() -> None:
    assert str(only_error(b"")) == "x.json: file is empty"
    assert str(only_error(b"{\x00}")) == (
        "x.json: binary data, not a text source (NUL byte at offset 1)")
    assert str(only_error(b'{"a": \xff}')) == "x.json: not UTF-8 text (invalid byte at offset 6)"
    assert str(only_error(b'{"studies": [')).startswith("x.json: JSON ends early (truncated file?)")
    assert str(only_error(b'{"a" 1}')).startswith("x.json: malformed JSON")
    assert "not a ClinicalTrials.gov API v2 study" in str(only_error(b'{"PubmedArticle": 1}'))
    good = orjson.loads((CTGOV / "NCT03418623.json").read_bytes())
    good["protocolSection"]["armsInterventionsModule"]["armGroups"][1] = "Placebo"
    error = only_error(orjson.dumps(good))
    assert error.field == "protocolSection.armsInterventionsModule.armGroups[1]"
    assert str(error).endswith("expected an object, found text")


def test_parse_study_directly() -> None:
    study = orjson.loads((CTGOV / "NCT03418623.json").read_bytes())
    item = parse_study(study, locator="s")
    assert item.record is not None and item.record.trial.design.masking is not None
    assert item.record.trial.design.masking.value == "quadruple"


def test_detect_format_and_iter_files(tmp_path: Path) -> None:
    assert detect_format(CTGOV / "NCT02210780.json") == "ctgov"
    assert detect_format(CTGOV / "NCT04267848.json") == "ctgov"  # single-line JSON
    assert detect_format(FIXTURES / "ctgov-xml" / "NCT01642004.xml") == "ctgov-xml"
    assert detect_format(FIXTURES / "pubmed" / "pubmed-29768149.xml") == "pubmed"
    assert detect_format(CTGOV) == "ctgov"  # SOURCES.md is not a source file
    seed = Path(__file__).parent.parent / "evidence" / "examples" / "seed-il2-sle.yaml"
    assert detect_format(seed) == "record"
    text = tmp_path / "abstract.txt"
    text.write_text("Background: a randomised trial of IL-2 ...", encoding="utf-8")
    assert detect_format(text) == "abstract"
    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("NCT03630471.json", "NCT03418623.json"):
            zf.writestr(f"batch/{name}", (CTGOV / name).read_bytes())
        zf.writestr("__MACOSX/._x.json", b"\x00\x01")
    assert detect_format(archive) == "ctgov"
    members = list(iter_files(archive))
    # In the archive's own order: it is read front to back (flat memory for 550,000 members).
    assert [loc for loc, _ in members] == [f"{archive}:batch/NCT03630471.json",
                                          f"{archive}:batch/NCT03418623.json"]
    assert members[1][1] == (CTGOV / "NCT03418623.json").read_bytes()
    folder = [loc for loc, _ in iter_files(CTGOV)]
    assert folder == sorted(str(p) for p in CTGOV.glob("*.json"))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.json").write_bytes((CTGOV / "NCT03418623.json").read_bytes())
    (mixed / "b.txt").write_text("an abstract", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="mixed formats inside: ctgov \\(1\\), abstract"):
        detect_format(mixed)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="file is empty"):
        detect_format(empty)
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\x89PNG\x00\x00")
    with pytest.raises(SourceFormatError, match="binary data"):
        detect_format(binary)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(archive.read_bytes()[:40])
    with pytest.raises(SourceFormatError, match="not a readable zip archive"):
        list(iter_files(broken))
    other_xml = tmp_path / "x.xml"
    other_xml.write_text("<?xml version='1.0'?><!-- c --><html/>", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="root <html>"):
        detect_format(other_xml)


def test_reading_a_folder_whole_files_zips_by_content_and_the_size_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file is read once and whole; a zip is a zip whatever its name; big files fail."""
    import evidence.importers.sources as sources

    folder = tmp_path / "download"
    folder.mkdir()
    study = (CTGOV / "NCT02513394.json").read_bytes()  # 1.4 MB: over any read-ahead buffer
    (folder / "a.json").write_bytes(study)
    with zipfile.ZipFile(folder / "b.json", "w") as zf:  # a zip under a source's name
        zf.writestr("NCT03418623.json", (CTGOV / "NCT03418623.json").read_bytes())
    with zipfile.ZipFile(folder / "c.dat", "w") as zf:  # and under no source's name
        zf.writestr("NCT03630471.json", (CTGOV / "NCT03630471.json").read_bytes())
    (folder / "d.dat").write_bytes(b"not a source")
    (folder / "e.json").write_bytes(b"")
    found = list(iter_files(folder))
    assert [loc for loc, _ in found] == [
        f"{folder / 'a.json'}", f"{folder / 'b.json'}:NCT03418623.json",
        f"{folder / 'c.dat'}:NCT03630471.json", f"{folder / 'e.json'}"]
    assert found[0][1] == study
    assert found[1][1] == (CTGOV / "NCT03418623.json").read_bytes()
    assert found[3][1] == b""
    assert [data for _, data in iter_files(folder / "a.json", head=100)] == [study[:100]]
    monkeypatch.setattr(sources, "MAX_SOURCE_BYTES", len(study) - 1)
    with pytest.raises(SourceFormatError, match=f"file is {len(study):,} bytes, over the "):
        list(iter_files(folder / "a.json"))
    monkeypatch.setattr(sources, "MAX_SOURCE_BYTES", len(study))
    assert [data for _, data in iter_files(folder / "a.json")] == [study]


def test_sniffing_a_prefix_that_ends_inside_a_character(tmp_path: Path) -> None:
    """A file whose 64 KiB sniff prefix cuts a multi-byte character is still detected."""
    from evidence.importers.sources import SNIFF_BYTES, detect_format

    head = b'{"protocolSection": {"identificationModule": {"nctId": "NCT00000001", "x": "'
    filler = b"a" * (SNIFF_BYTES - len(head) - 1)
    path = tmp_path / "study.json"
    path.write_bytes(head + filler + "é".encode() + b'"}}}')
    assert len(path.read_bytes()[:SNIFF_BYTES]) == SNIFF_BYTES  # the cut falls inside "é"
    assert detect_format(path) == "ctgov"


def test_a_missing_limit_is_not_invented_and_ci_keeps_its_printed_text() -> None:
    """Variants built in code from NCT00763412 and NCT02552212: text stays as printed."""
    study = orjson.loads((CTGOV / "NCT00763412.json").read_bytes())
    measure = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    found = next(m for om in measure for c in om.get("classes", [])
                 for cat in c.get("categories", []) for m in cat.get("measurements", [])
                 if "lowerLimit" in m and "upperLimit" in m)
    upper = found["upperLimit"]
    del found["lowerLimit"]
    items = list(read_ctgov_json("variant.json", orjson.dumps(study)))
    assert items[0].record is not None
    printed = [r.dispersion_reported for r in items[0].record.results
               if r.dispersion_reported and upper in r.dispersion_reported]
    assert f"upper limit {upper}" in printed
    assert not any("None" in (r.dispersion_reported or "") for r in items[0].record.results)
    czp = record("NCT02552212")
    with_ci = [c for c in czp.comparisons if c.ci_low is not None and c.ci_high is not None]
    assert with_ci and all(c.ci_reported for c in with_ci)
    first = with_ci[0]
    assert first.ci_reported is not None
    low_text, high_text = first.ci_reported.split(" to ")
    assert (float(low_text), float(high_text)) == (first.ci_low, first.ci_high)
