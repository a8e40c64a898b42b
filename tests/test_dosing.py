"""Dosing text -> Regimen: seed sentences (English, Chinese), real ClinicalTrials.gov texts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evidence.importers.dosing import extract_regimen
from evidence.records import Regimen, TimeUnit
from tests.conftest import FIXTURES

SEED_DOSING_EN = ("IL-2 at a dose of 1 million IU or placebo was administered subcutaneously every "
                  "other day for 2 weeks and followed by a 2-week break as one treatment cycle.")
SEED_DOSING_ZH = ("IL-2 剂量为 100 万 IU，每隔一天皮下给药一次，"
                  "连续 2 周，然后休息 2 周作为一个治疗周期。")
SEED_COURSE_EN = ("These patients received either IL-2 (n=30) or placebo (n=30) with standard "
                  "treatment for 12 weeks, and were followed up for additional 12 weeks.")
SEED_COURSE_ZH = ("这些患者接受标准治疗的同时，分别接受 IL-2（n=30）或安慰剂（n=30）治疗 12 周，"
                  "并进行额外的 12 周随访。")


def fields(reg: Regimen | None) -> dict[str, Any]:
    assert reg is not None
    return reg.model_dump(mode="json", exclude_none=True, exclude_defaults=True,
                          exclude={"description"})


def ctgov_text(nct: str, kind: str, name: str) -> str:
    data = json.loads((FIXTURES / "ctgov" / f"{nct}.json").read_text(encoding="utf-8"))
    module = data["protocolSection"]["armsInterventionsModule"]
    items = module["interventions"] if kind == "intervention" else module["armGroups"]
    key = "name" if kind == "intervention" else "label"
    return str(next(i["description"] for i in items if i[key] == name))


def test_seed_dosing_sentence_english() -> None:
    reg = extract_regimen(SEED_DOSING_EN)
    assert fields(reg) == {
        "dose": {"en": "1 million IU"}, "dose_amount": 1000000.0, "dose_unit": "IU",
        "route": "subcutaneous", "frequency": "qod", "frequency_text": {"en": "every other day"},
        "cycle_on": {"value": 2.0, "unit": "week", "reported": "2 weeks"},
        "cycle_off": {"value": 2.0, "unit": "week", "reported": "2-week break"},
    }
    assert reg is not None and reg.description is not None
    assert reg.description.en == SEED_DOSING_EN


def test_seed_dosing_sentence_chinese_full_width() -> None:
    reg = extract_regimen(SEED_DOSING_ZH, "zh")
    assert fields(reg) == {
        "dose": {"zh": "100 万 IU"}, "dose_amount": 1000000.0, "dose_unit": "IU",
        "route": "subcutaneous", "frequency": "qod", "frequency_text": {"zh": "每隔一天"},
        "cycle_on": {"value": 2.0, "unit": "week", "reported": "2 周"},
        "cycle_off": {"value": 2.0, "unit": "week", "reported": "2 周"},
    }


def test_full_width_digits_are_parsed_but_reported_as_printed() -> None:
    reg = extract_regimen("IL-2 剂量为 １００ 万 IU，每隔一天皮下给药一次，"
                          "连续 ２ 周，然后休息 ２ 周。", "zh")
    assert reg is not None and reg.dose is not None and reg.cycle_on is not None
    assert (reg.dose.zh, reg.dose_amount, reg.cycle_on.value, reg.cycle_on.reported) == (
        "１００ 万 IU", 1000000.0, 2.0, "２ 周")


@pytest.mark.parametrize(("text", "lang", "expected"), [
    (SEED_COURSE_EN, "en", {
        "treatment_duration": {"value": 12.0, "unit": "week", "reported": "12 weeks"},
        "follow_up": {"value": 12.0, "unit": "week", "reported": "additional 12 weeks"},
        "background": {"en": "standard treatment"}}),
    (SEED_COURSE_ZH, "zh", {
        "treatment_duration": {"value": 12.0, "unit": "week", "reported": "12 周"},
        "follow_up": {"value": 12.0, "unit": "week", "reported": "额外的 12 周"},
        "background": {"zh": "标准治疗"}}),
])
def test_seed_course_sentences(text: str, lang: str, expected: dict[str, Any]) -> None:
    assert fields(extract_regimen(text, lang)) == expected


@pytest.mark.parametrize(("text", "code", "printed"), [
    ("200 mg once daily", "qd", "once daily"), ("200 mg twice daily", "bid", "twice daily"),
    ("200 mg b.i.d.", "bid", "b.i.d."), ("5 mg three times a day", "tid", "three times a day"),
    ("5 mg four times daily", "qid", "four times daily"), ("10 mg every week", "qw", "every week"),
    ("10 mg weekly", "qw", "weekly"), ("10 mg every 2 weeks", "q2w", "every 2 weeks"),
    ("10 mg Q2W", "q2w", "Q2W"), ("10 mg every three weeks", "q3w", "every three weeks"),
    ("10 mg every 4 weeks", "q4w", "every 4 weeks"),
    ("a single dose of 2 g", "once", "a single dose"),
    ("每日一次 200 mg", "qd", "每日一次"), ("每日两次 口服", "bid", "每日两次"),
    ("隔日注射 1 mg", "qod", "隔日"), ("每周一次 静脉注射", "qw", "每周一次"),
    ("每 2 周 1 次", "q2w", "每 2 周"),
])
def test_frequency_codes(text: str, code: str, printed: str) -> None:
    reg = extract_regimen(text, "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")
    assert reg is not None and reg.frequency_text is not None
    assert (reg.frequency, reg.frequency_text.en or reg.frequency_text.zh) == (code, printed)


@pytest.mark.parametrize(("text", "route"), [
    ("given s.c.", "subcutaneous"), ("5 mg SC", "subcutaneous"), ("Given IV", "intravenous"),
    ("infused intravenously", "intravenous"), ("taken orally", "oral"), ("口服 5 mg", "oral"),
    ("静脉滴注", "intravenous"), ("肌内注射 1 mg", "intramuscular"),
    ("injected intramuscularly", "intramuscular"),
])
def test_routes(text: str, route: str) -> None:
    reg = extract_regimen(text)
    assert reg is not None and reg.route == route


def test_dose_units_and_multipliers() -> None:
    cases = {"0.5 mg/kg": (0.5, "mg/kg"), "200 mg": (200.0, "mg"), "1,000 IU": (1000.0, "IU"),
             "2 thousand units": (2000.0, "U"), "75 mg/m2": (75.0, "mg/m2")}
    for text, expected in cases.items():
        reg = extract_regimen(f"{text} daily")
        assert reg is not None and (reg.dose_amount, reg.dose_unit) == expected, text


def test_nothing_dosing_like_is_none() -> None:
    text = "The primary endpoint was the SLE Responder Index-4 (SRI-4) at week 12."
    assert extract_regimen(text) is None
    assert extract_regimen("At week 12, the SRI-4 response rates were 55.17% and 30.00%.") is None
    assert extract_regimen("") is None


def test_ctgov_palbociclib_arm() -> None:
    text = ctgov_text("NCT02513394", "arm", "Arm A")
    assert fields(extract_regimen(text)) == {
        "dose": {"en": "125 mg"}, "dose_amount": 125.0, "dose_unit": "mg", "route": "oral",
        "frequency": "qd", "frequency_text": {"en": "once daily"},
        "cycle_off": {"value": 7.0, "unit": "day", "reported": "7 days off treatment"},
        "treatment_duration": {"value": 2.0, "unit": "year", "reported": "2 years"},
        "background": {"en": "standard adjuvant endocrine therapy"},
    }


def test_ctgov_certolizumab_maintenance_dose_goes_with_frequency() -> None:
    # "400 mg ... on Weeks 0, 2 and 4, followed by 200 mg CZP sc every 2 weeks (Q2W)"
    text = ctgov_text("NCT02552212", "arm", "Certolizumab Pegol 200 mg Q2W")
    assert fields(extract_regimen(text)) == {
        "dose": {"en": "200 mg"}, "dose_amount": 200.0, "dose_unit": "mg",
        "route": "subcutaneous", "frequency": "q2w", "frequency_text": {"en": "every 2 weeks"},
    }


def test_ctgov_concentration_is_not_a_dose() -> None:
    text = ctgov_text("NCT02552212", "intervention", "Certolizumab Pegol")
    assert "200 mg / ml" in text
    assert fields(extract_regimen(text)) == {"route": "subcutaneous"}


def test_ctgov_repaglinide_range_frequency_has_text_but_no_code() -> None:
    text = ctgov_text("NCT00763412", "intervention", "repaglinide")
    reg = extract_regimen(text)
    assert fields(reg) == {
        "dose": {"en": "0.5 mg"}, "dose_amount": 0.5, "dose_unit": "mg",
        "frequency_text": {"en": "3-4 times a day"},
        "treatment_duration": {"value": 2.0, "unit": "year", "reported": "2 years"},
    }
    assert reg is not None and reg.treatment_duration is not None
    assert reg.treatment_duration.unit is TimeUnit.year


def test_ctgov_short_texts() -> None:
    assert fields(extract_regimen(ctgov_text("NCT04267848", "intervention", "Pembrolizumab"))) == {
        "route": "intravenous"}
    assert fields(extract_regimen(ctgov_text("NCT02210780", "intervention", "Dupilumab"))) == {
        "route": "subcutaneous"}
    assert extract_regimen(ctgov_text("NCT04267848", "intervention", "Computed Tomography")) is None
