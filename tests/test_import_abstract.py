"""Abstract-text importer: the seed page against the hand-curated seed record, and variants."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from evidence.importers.abstract import parse_abstract_text
from evidence.recordio import bundled_seed_path, load_record, record_from_data, record_to_data
from evidence.records import Record
from tests.conftest import SEED_TEXT

SEED = SEED_TEXT.read_text(encoding="utf-8")
ZH_START = SEED.index("摘要\n")
EN_START = SEED.index("Efficacy and safety")
URL = SEED.index("https://cdn.")


def nfkc(value: Any) -> Any:
    """The curated zh fields restore full-width punctuation the captured page lost to NFKC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value)
    if isinstance(value, dict):
        return {k: nfkc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfkc(v) for v in value]
    return value


def draft(text: str) -> Record:
    item = parse_abstract_text(text, locator="seed.txt")
    assert item.error is None and item.record is not None, item.error
    assert record_from_data(record_to_data(item.record)) == item.record
    return item.record


def dump(model: Any, *, exclude: set[str] | None = None) -> Any:
    return nfkc(model.model_dump(mode="json", exclude_none=True, exclude=exclude))


@pytest.fixture(scope="module")
def seed_pair() -> tuple[Record, Record]:
    return draft(SEED), load_record(bundled_seed_path())


def test_registrations_and_publication(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    assert got.registrations == gold.registrations
    assert dump(got.publications[0], exclude={"journal"}) == dump(gold.publications[0])
    assert got.trial.curation_status.value == "draft"
    assert got.sources[0].language == "en+zh"


def test_trial_design_and_enrollment(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    assert dump(got.trial.title) == dump(gold.trial.title)
    assert [dump(c) for c in got.trial.conditions] == [dump(c) for c in gold.trial.conditions]
    assert dump(got.trial.design) == dump(gold.trial.design, exclude={"model"})
    assert got.trial.design.model is None  # "parallel" is not printed in the abstract
    assert got.trial.provenance == gold.trial.provenance
    assert got.trial.enrollment.planned == 60
    assert got.trial.enrollment.actual is None  # the curator derived 30 + 30


def test_arms(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    fields = {"key", "label", "role", "n_randomised", "counts", "provenance"}
    assert [dump(a, exclude={"n_analysed", "field_provenance"}) for a in got.arms] == [
        dump(a, exclude=set(type(a).model_fields) - fields) for a in gold.arms]
    assert [a.n_analysed for a in got.arms] == [None, None]  # 29/30 come from the full paper


def test_regimens(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    compared = {"arm", "dose", "dose_amount", "dose_unit", "route", "frequency", "frequency_text",
                "cycle_on", "cycle_off", "treatment_duration", "follow_up", "background",
                "provenance"}
    for got_iv, gold_iv in zip(got.interventions, gold.interventions, strict=True):
        assert got_iv.key == gold_iv.key
        [got_reg], [gold_reg] = got_iv.regimens, gold_iv.regimens
        assert dump(got_reg, exclude=set(type(got_reg).model_fields) - compared) == dump(
            gold_reg, exclude=set(type(gold_reg).model_fields) - compared)
        assert got_reg.cycles is None  # 3 cycles is the curator's arithmetic
        for fld in ("treatment_duration", "follow_up", "background"):
            assert got_reg.field_provenance[fld] == gold_reg.field_provenance[fld]
    il2 = got.interventions[0].regimens[0]
    assert il2.description is not None and nfkc(il2.description.model_dump()) == nfkc(
        gold.interventions[0].regimens[0].description.model_dump())  # type: ignore[union-attr]


def test_endpoints(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    assert [dump(e) for e in got.endpoints] == [dump(e) for e in gold.endpoints]
    assert got.endpoints[0].met is False


def test_results_without_invented_counts(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    printed_only = {"events", "n", "field_provenance"}
    assert [dump(r, exclude=printed_only) for r in got.results] == [
        dump(r, exclude=printed_only) for r in gold.results]
    # 16/29, 9/30, 19/29, 11/30 are not in the abstract; 7/13 and 2/12 are.
    assert [(r.events, r.n) for r in got.results] == [
        (None, None), (None, None), (None, None), (None, None), (7, 13), (2, 12)]


def test_comparisons(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    assert got.comparisons == gold.comparisons


def test_serious_adverse_events(seed_pair: tuple[Record, Record]) -> None:
    got, gold = seed_pair
    assert [dump(a, exclude={"at_risk", "field_provenance"}) for a in got.adverse_events] == [
        dump(a, exclude={"at_risk", "field_provenance"}) for a in gold.adverse_events]
    assert [a.at_risk for a in got.adverse_events] == [None, None]


def test_every_quote_is_the_text_at_its_span(seed_pair: tuple[Record, Record]) -> None:
    got, _ = seed_pair
    data = record_to_data(got)
    quotes = list(_provenances(data))
    assert len(quotes) > 20
    for span, quote in quotes:
        assert SEED[span[0]:span[1]] == quote


def _provenances(data: Any) -> Any:
    if isinstance(data, dict):
        if "span" in data and "quote" in data:
            yield data["span"], data["quote"]
        for value in data.values():
            yield from _provenances(value)
    elif isinstance(data, list):
        for value in data:
            yield from _provenances(value)


def test_page_noise_is_ignored(seed_pair: tuple[Record, Record]) -> None:
    got, _ = seed_pair
    text = repr(record_to_data(got))
    for noise in ("文献AI研究员", "cdn.ncbi", "立即体验", "Suppr"):
        assert noise not in text


def test_english_only() -> None:
    record = draft(SEED[EN_START:ZH_START])
    assert record.sources[0].language == "en"
    assert [r.identifier for r in record.registrations] == ["NCT02465580", "NCT02932137"]
    assert [(a.key, a.label.en, a.label.zh, a.n_randomised) for a in record.arms] == [
        ("il2", "IL-2", None, 30), ("placebo", "placebo", None, 30)]
    assert [e.name.model_dump() for e in record.endpoints] == [
        {"en": "SLE Responder Index-4 (SRI-4) response", "zh": None},
        {"en": "complete remission of lupus nephritis", "zh": None}]
    assert [(r.reported, r.value) for r in record.results] == [
        ("55.17%", 55.17), ("30.00%", 30.0), ("65.52%", 65.52), ("36.67%", 36.67),
        ("53.85% (7/13)", 53.85), ("16.67% (2/12)", 16.67)]
    assert record.trial.title.zh is None


def _chinese_only() -> str:
    title_line = SEED.split("\n")[2]
    return title_line + "\n\n" + SEED[ZH_START:URL]


def test_chinese_only() -> None:
    text = _chinese_only()
    record = draft(text)
    assert record.sources[0].language == "zh"
    assert record.trial.title.zh == ("低剂量白细胞介素 2 治疗系统性红斑狼疮的疗效和安全性:"
                                     "一项随机、双盲、安慰剂对照试验")
    assert [(a.key, a.label.zh, a.role.value, a.n_randomised) for a in record.arms] == [
        ("il2", "IL-2", "experimental", 30), ("placebo", "安慰剂", "placebo_comparator", 30)]
    assert [(e.key, e.name.zh, e.role.value, e.met) for e in record.endpoints] == [
        ("sri4", "SLE 应答指数-4(SRI-4)应答", "primary", False),
        ("subgroup1-ep", "狼疮肾炎完全缓解", "secondary", None)]
    assert [(r.arm, r.timepoint, r.reported, r.value, r.events, r.n) for r in record.results] == [
        ("il2", "w12", "55.17%", 55.17, None, None), ("placebo", "w12", "30.00%", 30.0, None, None),
        ("il2", "w24", "65.52%", 65.52, None, None), ("placebo", "w24", "36.67%", 36.67, None, None),
        ("il2", None, "53.85%(7/13)", 53.85, 7, 13), ("placebo", None, "16.67%(2/12)", 16.67, 2, 12)]
    assert [(c.p_reported, c.p_comparator, c.p_value) for c in record.comparisons] == [
        ("p=0.052", "=", 0.052), ("p=0.027", "=", 0.027), ("p=0.036", "=", 0.036)]
    [iv, placebo] = record.interventions
    reg = iv.regimens[0]
    assert (reg.dose.zh if reg.dose else None, reg.dose_amount, reg.route, reg.frequency) == (
        "100 万 IU", 1000000.0, "subcutaneous", "qod")
    # The Chinese dosing sentence does not mention placebo; its course sentence does.
    [course] = placebo.regimens
    assert (course.route, course.frequency, course.provenance) == (None, None, None)
    assert course.treatment_duration is not None and course.treatment_duration.reported == "12 周"
    assert course.background is not None and course.background.zh == "标准治疗"
    assert course.field_provenance["background"].locator == "方法"
    assert [(a.term.zh, a.arm, a.affected) for a in record.adverse_events] == [
        ("严重感染", "il2", 0), ("严重感染", "placebo", 2)]
    assert (record.trial.design.masking.value if record.trial.design.masking else None) == "double"


FULL_WIDTH = str.maketrans({",": "，", "(": "（", ")": "）", ":": "：", "%": "％", "=": "＝",
                            **{str(d): chr(0xFF10 + d) for d in range(10)}})


def test_full_width_chinese_half_keeps_offsets_into_the_original() -> None:
    text = SEED[:ZH_START] + SEED[ZH_START:URL].translate(FULL_WIDTH) + SEED[URL:]
    assert text != SEED and len(text) == len(SEED)
    record = draft(text)
    reference = draft(SEED)
    # Same facts as the ASCII page: English evidence first, Chinese fills the zh side.
    assert record.results == reference.results
    assert record.comparisons == reference.comparisons
    assert nfkc(record_to_data(record)) == nfkc(record_to_data(reference))
    reg = record.interventions[0].regimens[0]
    assert reg.dose is not None and reg.dose.zh == "１００ 万 IU"  # as printed
    zh_only = draft(text[ZH_START:URL])
    for span, quote in _provenances(record_to_data(zh_only)):
        assert text[ZH_START:URL][span[0]:span[1]] == quote
    assert [r.reported for r in zh_only.results][-1] == "１６.６７％（２/１２）"
    assert [c.p_value for c in zh_only.comparisons] == [0.052, 0.027, 0.036]


def test_chinese_angle_bracket_p_value() -> None:
    text = ("一项随机、双盲、安慰剂对照试验的结果报告\n\n方法\n\n患者接受药物 A（n=40）或安慰剂（n=40）治疗。"
            "主要终点为治疗 8 周时的总有效率(ORR)。\n\n结果\n\n"
            "治疗 8 周时，药物 A 组的 ORR 应答率为 60.0％，安慰剂组为 20.0％（P〈0.05）。\n")
    record = draft(text)
    [cmp] = record.comparisons
    assert (cmp.p_reported, cmp.p_comparator, cmp.p_value) == ("P〈0.05", "<", 0.05)
    assert [(r.arm, r.reported, r.value) for r in record.results] == [
        ("a", "60.0％", 60.0), ("placebo", "20.0％", 20.0)]


@pytest.mark.parametrize("text", ["", "   \n\n", "Suppr超能文献\n\n立即体验"])
def test_nothing_to_import_is_an_error(text: str) -> None:
    item = parse_abstract_text(text, locator="x.txt")
    assert item.record is None and item.error is not None
    assert str(item.error).startswith("x.txt: ")
