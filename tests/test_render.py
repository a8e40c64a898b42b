"""Summaries rendered from records: golden seed summaries, each seed fact, formats, glossary."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from evidence.errors import EvidenceError
from evidence.glossary import Glossary, GlossaryEntry, GlossaryError, term_key
from evidence.recordio import record_from_data
from evidence.records import Record
from evidence.render import MissingTerm, render_both, render_summary

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SEED = ROOT / "evidence" / "examples" / "seed-il2-sle.yaml"
# Set EVIDENCE_UPDATE_GOLDEN=1 to rewrite the golden files, then review the diff by hand.
UPDATE = os.environ.get("EVIDENCE_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def seed() -> Record:
    return record_from_data(yaml.safe_load(SEED.read_text(encoding="utf-8")), file=str(SEED))


@pytest.mark.parametrize(("lang", "fmt", "ext"), [
    ("en", "text", "txt"), ("zh", "text", "txt"), ("en", "markdown", "md"), ("zh", "markdown", "md"),
])
def test_seed_summary_matches_golden(seed: Record, lang: str, fmt: str, ext: str) -> None:
    result = render_summary(seed, lang, fmt)
    golden = GOLDEN / f"seed-il2-sle.{lang}.{ext}"
    if UPDATE:
        golden.write_text(result.text, encoding="utf-8")
    assert result.text == golden.read_text(encoding="utf-8")
    assert result.missing_terms == ()


# Every fact of the seed abstract's METHODS and RESULTS, as each summary must state it.
EN_FACTS = [
    "randomised, double-blind, placebo-controlled trial",
    "60 patients with systemic lupus erythematosus",
    "IL-2 (n=30; 29 analysed) and placebo (n=30)",
    "1 million IU subcutaneously every other day for 2 weeks, followed by a 2-week break",
    "12 weeks of treatment and 12 weeks of follow-up",
    "with standard treatment",
    "Primary endpoint: SLE Responder Index-4 (SRI-4) response at week 12.",
    "The primary endpoint was not met at week 12.",
    "response at week 12: IL-2 55.17% (16/29)† vs placebo 30.00% (9/30)† (p=0.052)",
    "response at week 24: IL-2 65.52% (19/29)† vs placebo 36.67% (11/30)† (p=0.027)",
    "Complete remission of lupus nephritis in patients with lupus nephritis: "
    "IL-2 53.85% (7/13) vs placebo 16.67% (2/12) (p=0.036)",
    "No serious infection in the IL-2 arm (0/29)",
    "2 patients with serious infection in the placebo arm (2/30)",
    "NCT02465580 and NCT02932137",
    "Ann Rheum Dis 2020;79(1):141-149",
    "10.1136/annrheumdis-2019-215396",
    "19 September 2019",
]
ZH_FACTS = [
    "随机、双盲、安慰剂对照试验",
    "60 例系统性红斑狼疮患者",
    "IL-2 组（n=30，分析 29 例）和安慰剂组（n=30）",
    "100 万 IU，皮下给药，每隔一天，连续 2 周，然后休息 2 周",
    "治疗 12 周，随访 12 周",
    "同时接受标准治疗",
    "主要终点：治疗 12 周时的 SLE 应答指数-4（SRI-4）应答。",
    "主要终点未在治疗 12 周时达到。",
    "治疗 12 周时的 SLE 应答指数-4（SRI-4）应答：IL-2 组 55.17%（16/29）†，"
    "安慰剂组 30.00%（9/30）†（p=0.052）",
    "治疗 24 周时的 SLE 应答指数-4（SRI-4）应答：IL-2 组 65.52%（19/29）†，"
    "安慰剂组 36.67%（11/30）†（p=0.027）",
    "狼疮肾炎患者的狼疮肾炎完全缓解：IL-2 组 53.85%（7/13），安慰剂组 16.67%（2/12）（p=0.036）",
    "IL-2 组未观察到严重感染（0/29）",
    "安慰剂组有 2 例发生严重感染（2/30）",
    "NCT02465580 和 NCT02932137",
    "2019年9月19日在线发表",
]


def _shown(record: Record, lang: str, fmt: str) -> str:
    """The summary's words: for html, the page without its tags."""
    text = render_summary(record, lang, fmt).text
    return html.unescape(re.sub(r"<[^>]+>", "", text)) if fmt == "html" else text


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("fact", EN_FACTS)
def test_english_summary_states_seed_fact(seed: Record, fact: str, fmt: str) -> None:
    assert fact in _shown(seed, "en", fmt), f"missing fact: {fact}"


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("fact", ZH_FACTS, ids=[f"zh-fact-{i:02d}" for i in range(len(ZH_FACTS))])
def test_chinese_summary_states_seed_fact(seed: Record, fact: str, fmt: str) -> None:
    assert fact in _shown(seed, "zh", fmt), f"missing fact: {fact}"


def test_derived_counts_are_marked_and_explained(seed: Record) -> None:
    en = render_summary(seed, "en").text
    assert "55.17% (16/29)†" in en and "53.85% (7/13) " in en  # printed counts: no mark
    assert "† Derived by the curator, not printed in the source" in en
    assert "† 由整理者推算，原文未直接给出" in render_summary(seed, "zh").text


def test_chinese_is_punctuated_and_spaced_the_chinese_way(seed: Record) -> None:
    lines = render_summary(seed, "zh").text.splitlines()
    body = [line for line in lines[2:] if line]  # title and citation line excepted
    for line in body:
        assert not re.search(r"[,;:()]", line), line
        # a space between hanzi and Latin letters or digits, as on the seed page
        assert not re.search(r"[\u4e00-\u9fff][A-Za-z0-9]|[A-Za-z0-9%][\u4e00-\u9fff]", line), line
    assert lines[1].endswith("。2019年9月19日在线发表。")


@pytest.mark.parametrize("alias", ["zh", "zh-CN", "zh_CN", "zh-Hans", "zh_Hans", "zh_Hans_CN"])
def test_every_chinese_alias_gives_the_same_summary(seed: Record, alias: str) -> None:
    assert render_summary(seed, alias).text == (GOLDEN / "seed-il2-sle.zh.txt").read_text("utf-8")


def test_both_languages_html_page_side_by_side(seed: Record) -> None:
    page = render_both(seed, "html").text
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<meta charset="utf-8">' in page
    assert '<div class="columns">' in page
    assert page.index('<article lang="en">') < page.index('<article lang="zh-Hans-CN">')
    assert "<li>IL-2 组未观察到严重感染（0/29）；安慰剂组有 2 例发生严重感染（2/30）。</li>" in page
    assert '55.17%（16/29）<sup class="derived">†</sup>' in page


def test_both_languages_json_has_summaries_and_facts(seed: Record) -> None:
    raw = render_both(seed, "json").text
    assert "安慰剂组" in raw  # UTF-8, not \u escapes
    data = json.loads(raw)
    assert data["format"] == "evidence-summary/1"
    assert list(data["summaries"]) == ["en", "zh_Hans_CN"]
    zh = data["summaries"]["zh_Hans_CN"]
    assert zh["text"] == (GOLDEN / "seed-il2-sle.zh.txt").read_text("utf-8")
    assert [s["key"] for s in zh["sections"]] == [
        "design", "regimen", "endpoints", "results", "subgroups", "safety", "registrations"]
    first = data["facts"]["results"][0]["values"][0]
    assert (first["reported"], first["events"], first["n"], first["counts_derived"]) == (
        "55.17%", 16, 29, True)
    assert data["facts"]["design"]["patients"] == 60
    assert data["facts"]["citation"]["epub_date"] == "2019-09-19"
    assert data["facts"]["registrations"] == ["NCT02465580", "NCT02932137"]


def test_both_languages_text_is_english_then_chinese(seed: Record) -> None:
    text = render_both(seed, "text").text
    en = (GOLDEN / "seed-il2-sle.en.txt").read_text("utf-8")
    zh = (GOLDEN / "seed-il2-sle.zh.txt").read_text("utf-8")
    assert text == en + "\n" + zh


def test_unknown_format_and_language_are_refused(seed: Record) -> None:
    with pytest.raises(EvidenceError, match="unknown summary format 'pdf'"):
        render_summary(seed, "en", "pdf")
    with pytest.raises(EvidenceError, match="unknown summary language 'de'"):
        render_summary(seed, "de", "text")


# --- a record built in code: three arms, a continuous endpoint, a missing term --------

def _three_arm() -> Record:
    arm = {"key": "", "label": {}, "role": "experimental"}
    week24 = [{"key": "w24", "label": {"en": "week 24", "zh": "第 24 周"}, "value": 24,
               "unit": "week"}]
    data: dict[str, Any] = {
        "trial": {
            "title": {"en": "Two doses of drug X in <primary> Sjögren syndrome",
                      "zh": "两种剂量 X 药治疗原发性干燥综合征"},
            "conditions": [{"en": "primary Sjögren syndrome"}],
            "design": {"allocation": "randomised", "masking": "none", "control": "placebo",
                       "phases": ["phase2"]},
            "enrollment": {"actual": 61},
        },
        "arms": [
            {**arm, "key": "low", "label": {"en": "low dose", "zh": "低剂量"}, "n_randomised": 20},
            {**arm, "key": "high", "label": {"en": "high dose", "zh": "高剂量组"},
             "n_randomised": 21},
            {**arm, "key": "placebo", "label": {"en": "placebo", "zh": "安慰剂"},
             "role": "placebo_comparator", "n_randomised": 20},
        ],
        "interventions": [{"key": "x", "name": {"en": "drug X", "zh": "X 药"},
                           "arms": ["low", "high"], "regimens": [
            {"arm": "low", "dose_amount": 0.5, "dose_unit": "mg/kg", "route": "oral",
             "frequency": "bid", "treatment_duration": {"value": 24, "unit": "week"}}]}],
        "endpoints": [
            {"key": "resp", "name": {"en": "ESSDAI response", "zh": "ESSDAI 应答"},
             "role": "primary", "measure": "proportion", "unit": "%", "met": True,
             "primary_timepoint": "w24", "timepoints": week24},
            {"key": "essdai", "name": {"en": "change in ESSDAI score", "zh": "ESSDAI 评分变化"},
             "role": "secondary", "measure": "continuous", "unit": "points",
             "timepoints": week24},
        ],
        "results": [
            *({"endpoint": "resp", "arm": a, "timepoint": "w24", "param": "proportion",
               "reported": rep, "events": e, "n": n}
              for a, rep, e, n in [("low", "40.0%", 8, 20), ("high", "57.1%", 12, 21),
                                   ("placebo", "15.0%", 3, 20)]),
            {"endpoint": "essdai", "arm": "low", "timepoint": "w24", "param": "mean",
             "reported": "-3.2", "dispersion": "sd", "dispersion_reported": "2.1"},
            {"endpoint": "essdai", "arm": "high", "timepoint": "w24", "param": "mean",
             "reported": "-4.8", "dispersion": "sd", "dispersion_value": 2.6},
            {"endpoint": "essdai", "arm": "placebo", "timepoint": "w24", "param": "mean",
             "value": -1.0, "dispersion": "sd", "dispersion_reported": "1.90"},
        ],
        "comparisons": [
            {"endpoint": "resp", "timepoint": "w24", "arms": ["high", "placebo"],
             "p_reported": "p=0.004"},
            {"endpoint": "resp", "timepoint": "w24", "arms": ["low", "placebo"],
             "p_reported": "p=0.08"},
            {"endpoint": "essdai", "timepoint": "w24", "arms": ["low", "high", "placebo"],
             "p_value": 0.001, "p_comparator": "<"},
        ],
    }
    return Record.model_validate(data)


def test_three_arms_continuous_endpoint_in_english() -> None:
    result = render_summary(_three_arm(), "en")
    lines = result.text.splitlines()
    assert "- Randomised, open-label, placebo-controlled, phase 2 trial in 61 patients with " \
           "primary Sjögren syndrome." in lines
    assert "- Arms: low dose (n=20), high dose (n=21) and placebo (n=20)." in lines
    assert "- Low dose arm: drug X 0.5 mg/kg orally twice daily; 24 weeks of treatment." in lines
    assert ("- ESSDAI response at week 24: low dose 40.0% (8/20) vs high dose 57.1% (12/21) vs "
            "placebo 15.0% (3/20) (high dose vs placebo: p=0.004; low dose vs placebo: p=0.08)."
            ) in lines
    # As printed: "-3.2" and "2.1"; "1.90" keeps its zero; -1.0 and 2.6 were parsed numbers.
    assert ("- Change in ESSDAI score at week 24 (mean ± SD, points): low dose -3.2 ± 2.1 vs "
            "high dose -4.8 ± 2.6 vs placebo -1 ± 1.90 (p<0.001).") in lines
    assert "The primary endpoint was met at week 24." in result.text
    assert result.missing_terms == ()


def test_three_arms_continuous_endpoint_in_chinese_marks_missing_terms() -> None:
    result = render_summary(_three_arm(), "zh")
    lines = result.text.splitlines()
    assert "- 随机、开放标签、安慰剂对照、II 期试验，纳入 61 例 ⟦primary Sjögren syndrome⟧ 患者。" in lines
    assert "- 分组：低剂量组（n=20）、高剂量组（n=21）和安慰剂组（n=20）。" in lines
    assert "- 低剂量组：X 药 0.5 mg/kg，口服，每日两次；治疗 24 周。" in lines
    assert ("- 治疗 24 周时的 ESSDAI 应答：低剂量组 40.0%（8/20），高剂量组 57.1%（12/21），"
            "安慰剂组 15.0%（3/20）（高剂量组与安慰剂组比较：p=0.004；低剂量组与安慰剂组比较："
            "p=0.08）。") in lines
    assert ("- 治疗 24 周时的 ESSDAI 评分变化（均值 ± 标准差，⟦points⟧）：低剂量组 -3.2 ± 2.1，"
            "高剂量组 -4.8 ± 2.6，安慰剂组 -1 ± 1.90（p<0.001）。") in lines
    assert "⟦…⟧ 表示记录和术语表中均无译文的术语。" in lines
    assert result.missing_terms == (
        MissingTerm("zh", "condition", "primary Sjögren syndrome"),
        MissingTerm("zh", "unit", "points"))


def test_glossary_fills_the_missing_chinese_terms() -> None:
    glossary = Glossary([GlossaryEntry("Primary Sjögren  Syndrome", "原发性干燥综合征", "condition"),
                         GlossaryEntry("points", "分", "unit")])
    result = render_summary(_three_arm(), "zh", glossary=glossary)
    assert result.missing_terms == ()
    assert "纳入 61 例原发性干燥综合征患者。" in result.text
    assert "（均值 ± 标准差，分）" in result.text
    assert "⟦" not in result.text and "⟦…⟧" not in result.text


def test_missing_terms_are_highlighted_in_html_and_listed_in_json() -> None:
    page = render_summary(_three_arm(), "zh", "html").text
    assert '<mark class="missing">⟦primary Sjögren syndrome⟧</mark>' in page
    assert "&lt;primary&gt;" not in page  # the zh title is used; the en one is escaped below
    assert "Two doses of drug X in &lt;primary&gt; Sjögren syndrome" in render_summary(
        _three_arm(), "en", "html").text
    data = json.loads(render_summary(_three_arm(), "zh", "json").text)
    assert data["summaries"]["zh_Hans_CN"]["missing_terms"][0] == {
        "lang": "zh", "kind": "condition", "text": "primary Sjögren syndrome"}


def _patients(n: int) -> Record:
    return Record.model_validate({
        "trial": {"title": {"en": "A case of X", "zh": "X 病例"},
                  "conditions": [{"en": "lupus nephritis", "zh": "狼疮肾炎"}],
                  "enrollment": {"actual": n}},
        "arms": [{"key": "x", "label": {"en": "drug X", "zh": "X 药"}, "n_randomised": n}],
    })


@pytest.mark.parametrize(("n", "en", "zh"), [
    (1, "- Trial in 1 patient with lupus nephritis.", "- 试验纳入 1 例狼疮肾炎患者。"),
    (2, "- Trial in 2 patients with lupus nephritis.", "- 试验纳入 2 例狼疮肾炎患者。"),
])
def test_patient_counts_use_plural_forms(n: int, en: str, zh: str) -> None:
    assert render_summary(_patients(n), "en").text.splitlines()[3] == en
    assert render_summary(_patients(n), "zh").text.splitlines()[3] == zh


def test_markdown_escapes_what_markdown_would_eat() -> None:
    text = render_summary(_three_arm(), "en", "markdown").text
    assert text.startswith("# Two doses of drug X in \\<primary\\> Sjögren syndrome\n")


# --- real registry records -------------------------------------------------------------

CTGOV = ROOT.parent / "shared" / "fixtures" / "ctgov"


@pytest.mark.parametrize("name", sorted(p.name for p in CTGOV.glob("*.json")))
def test_registry_records_render_in_every_format(name: str) -> None:
    from evidence.importers.ctgov import read_ctgov_json

    items = list(read_ctgov_json(name, (CTGOV / name).read_bytes()))
    records = [item.record for item in items if item.record is not None]
    assert records
    for record in records:
        en = render_summary(record, "en")
        assert en.missing_terms == ()  # registry records are in English
        assert record.registrations[0].identifier in en.text
        zh = render_summary(record, "zh")
        # Nothing is left in English silently: each untranslated term is marked and listed.
        assert zh.missing_terms
        for term in zh.missing_terms:
            assert f"⟦{term.text}⟧" in zh.text
        for fmt in ("markdown", "html", "json"):
            assert render_both(record, fmt).missing_terms == zh.missing_terms


# --- glossary ---------------------------------------------------------------------------

def test_glossary_lookup_is_case_and_space_insensitive_both_ways() -> None:
    glossary = Glossary([GlossaryEntry("Lupus Nephritis", "狼疮肾炎", "condition")])
    assert glossary.zh("lupus  nephritis") == "狼疮肾炎"
    assert glossary.en("狼疮肾炎") == "Lupus Nephritis"
    assert glossary.zh("nephritis") is None
    assert "LUPUS NEPHRITIS" in glossary and len(glossary) == 1
    assert term_key("  Lupus\tNephritis ") == "lupus nephritis"  # the table's term_key


def test_glossary_refuses_conflicts_and_half_entries() -> None:
    glossary = Glossary([GlossaryEntry("placebo", "安慰剂")])
    glossary.add(GlossaryEntry("Placebo", "安慰剂"))  # same translation: fine
    with pytest.raises(GlossaryError, match="already translated as '安慰剂'"):
        glossary.add(GlossaryEntry("placebo", "假药"))
    with pytest.raises(GlossaryError, match="needs both en and zh"):
        Glossary([GlossaryEntry("placebo", " ")])


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_glossary_round_trips_through_files(tmp_path: Path, suffix: str) -> None:
    glossary = Glossary([GlossaryEntry("serious infection", "严重感染", "adverse event"),
                         GlossaryEntry("IL-2, low dose", "低剂量 IL-2", None)])
    path = tmp_path / f"glossary{suffix}"
    glossary.save(path)
    assert "严重感染" in path.read_text(encoding="utf-8")
    assert list(Glossary.load(path)) == list(glossary)


def test_glossary_file_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="header must name the columns en and zh"):
        Glossary.from_csv_text("english,chinese\nplacebo,安慰剂\n")
    with pytest.raises(GlossaryError, match="entry 2: needs text fields"):
        Glossary.from_yaml_text("- {en: placebo, zh: 安慰剂}\n- {en: fever}\n")
    text_file = tmp_path / "g.txt"
    text_file.write_text("placebo", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"are \.csv, \.yaml or \.yml"):
        Glossary.load(text_file)
