"""Legacy ClinicalTrials.gov <clinical_study> XML importer, on the real fixtures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from evidence.errors import SourceFormatError
from evidence.importers.base import ImportItem
from evidence.importers.ctgov_xml import iso_date, read_ctgov_xml
from evidence.recordio import record_from_data, record_to_data
from evidence.records import ArmRole, Dispersion, ParamType, Phase, Record

XML = Path(__file__).parent.parent.parent / "shared" / "fixtures" / "ctgov-xml"

# Counted from the XML with a throwaway script: arm_group, intervention,
# primary/secondary/other_outcome, clinical_results outcome, analysis (with p_value),
# serious/other event (outside the "Total" category), counts rows, measurement.
EXPECTED: dict[str, dict[str, Any]] = {
    "NCT01534533": dict(arms=4, ivs=4, planned=8, analyses=5, with_p=5, serious=0, other=0,
                        ae_rows=0, results=52, regs=["NCT01534533"]),
    "NCT01642004": dict(arms=2, ivs=2, planned=13, analyses=13, with_p=4, serious=83, other=42,
                        ae_rows=250, results=44, regs=["NCT01642004", "2011-004792-36"]),
    "NCT02513394": dict(arms=2, ivs=2, planned=2, analyses=0, with_p=0, serious=0, other=0,
                        ae_rows=0, results=0, regs=["NCT02513394", "2014-005181-30"]),
}


def load(nct: str) -> ImportItem:
    items = list(read_ctgov_xml(f"{nct}.xml", (XML / f"{nct}.xml").read_bytes()))
    assert len(items) == 1
    return items[0]


def record(nct: str) -> Record:
    item = load(nct)
    assert item.error is None, item.error
    assert item.record is not None
    return item.record


def test_every_fixture_is_counted() -> None:
    assert sorted(p.stem for p in XML.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("nct", sorted(EXPECTED))
def test_counts_and_round_trip(nct: str) -> None:
    exp = EXPECTED[nct]
    rec = record(nct)
    assert record_from_data(record_to_data(rec)) == rec
    registered = [a for a in rec.arms if a.provenance and a.provenance.derivation is None]
    assert len(registered) == exp["arms"]
    assert len(rec.interventions) == exp["ivs"]
    assert len(rec.endpoints) == exp["planned"]  # every results outcome matches a planned one
    assert len(rec.results) == exp["results"]
    assert len(rec.comparisons) == exp["analyses"]
    assert sum(c.p_reported is not None for c in rec.comparisons) == exp["with_p"]
    serious = {re.sub(r"/counts\[\d+\]$", "", ae.provenance.locator or "")
               for ae in rec.adverse_events if ae.serious and ae.provenance}
    other = {re.sub(r"/counts\[\d+\]$", "", ae.provenance.locator or "")
             for ae in rec.adverse_events if not ae.serious and ae.provenance}
    assert (len(serious), len(other)) == (exp["serious"], exp["other"])
    assert len(rec.adverse_events) == exp["ae_rows"]
    assert [r.identifier for r in rec.registrations] == exp["regs"]


def test_protocol_mapping() -> None:
    trial = record("NCT01534533").trial
    assert trial.design.phases == [Phase.phase2, Phase.phase3]
    assert trial.design.masked_roles == ["participant", "care_provider", "investigator",
                                         "outcomes_assessor"]
    assert (trial.start_date, trial.primary_completion_date) == ("2010-06", "2011-06")
    assert trial.enrollment.actual == 192
    assert trial.design.model == "parallel"
    pallas = record("NCT02513394")
    assert pallas.trial.acronym == "PALLAS"
    assert pallas.trial.status == "active_not_recruiting"
    assert [a.role for a in pallas.arms] == [ArmRole.experimental, ArmRole.other]
    assert pallas.sources[0].note is not None
    assert "data version (versionHolder) 2020-08-18" in pallas.sources[0].note


def test_results_mapping() -> None:
    item = load("NCT01642004")
    assert item.record is not None
    rec = item.record
    first = rec.comparisons[0]
    assert (first.p_reported, first.p_comparator, first.p_value, first.method,
            first.effect_measure, first.effect_reported, first.ci_level, first.ci_low,
            first.ci_high) == ("0.0004", "=", 0.0004, "Log Rank", "Hazard Ratio (HR)", "0.62",
                               95.0, 0.47, 0.81)
    assert first.provenance is not None
    assert first.provenance.locator == (
        "/clinical_study/clinical_results/outcome_list/outcome[1]/analysis_list/analysis")
    median = rec.results[0]
    assert (median.param, median.reported, median.n, median.dispersion, median.dispersion_low,
            median.dispersion_high) == (ParamType.median, "9.23", 135, Dispersion.ci, 7.33, 12.62)
    # Results groups "Nivolumab"/"Docetaxel" do not match arms "Arm A: Nivolumab"...
    assert any("'Nivolumab' matches no arm group" in note for note in item.notes)
    ae = rec.adverse_events[0]
    assert (ae.term.en, ae.affected, ae.at_risk, ae.vocabulary) == ("Anaemia", 2, 131,
                                                                   "MedDRA 17.1")
    lutein = record("NCT01534533")
    assert [(c.p_reported, c.p_comparator, c.p_value) for c in lutein.comparisons][:2] == [
        (">0.05", ">", 0.05), ("0.992", "=", 0.992)]


def test_iso_date() -> None:
    assert iso_date("June 2010") == "2010-06"
    assert iso_date("May 11, 2018") == "2018-05-11"
    assert iso_date("February 30, 2018") == "February 30, 2018"
    assert iso_date("2019") == "2019"


def only_error(data: bytes) -> SourceFormatError:
    items = list(read_ctgov_xml("x.xml", data))
    assert len(items) == 1 and items[0].record is None
    assert isinstance(items[0].error, SourceFormatError)
    return items[0].error


def test_clear_errors() -> None:
    assert str(only_error(b"  ")) == "x.xml: file is empty"
    assert "binary data" in str(only_error(b"<a>\x00</a>"))
    data = (XML / "NCT02513394.xml").read_bytes()
    assert "XML ends early (truncated file?)" in str(only_error(data[: len(data) // 2]))
    assert "malformed XML" in str(only_error(b"<clinical_study><a></b></clinical_study>"))
    assert "root element is <PubmedArticleSet>" in str(only_error(b"<PubmedArticleSet/>"))
    missing = only_error(b"<clinical_study><brief_title>x</brief_title></clinical_study>")
    assert missing.field == "protocolSection.identificationModule.nctId"


def test_entities_are_not_expanded_and_network_not_used() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY ext SYSTEM "http://x.invalid/">]>'
            b"<clinical_study><id_info><nct_id>NCT01642004</nct_id></id_info>"
            b"<brief_title>&b;&ext;</brief_title></clinical_study>")
    item = next(read_ctgov_xml("bomb.xml", bomb))
    assert item.record is not None
    assert "aaaaaaaaaa" not in (item.record.trial.title.en or "")
