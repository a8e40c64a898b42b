"""`evidence summary`, `export summaries`, `glossary` and `i18n status` as a user runs them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from tests.conftest import SEED_RECORD, run_cli

GOLDEN = Path(__file__).parent / "golden"


def test_summary_matches_the_golden_files_in_each_language(db_url: str) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    for lang, fmt, golden in (("en", "text", "seed-il2-sle.en.txt"),
                              ("zh", "text", "seed-il2-sle.zh.txt"),
                              ("zh-CN", "markdown", "seed-il2-sle.zh.md"),
                              ("en", "markdown", "seed-il2-sle.en.md")):
        result = run_cli("summary", "NCT02932137", "--lang", lang, "--format", fmt, db=db_url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == (GOLDEN / golden).read_text(encoding="utf-8").strip()
        assert result.stderr == ""


def test_summary_json_carries_both_languages_and_writes_files(db_url: str,
                                                              tmp_path: Path) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    out = tmp_path / "seed.json"
    result = run_cli("summary", "NCT02465580", "-f", "json", "-o", str(out), db=db_url)
    assert result.returncode == 0 and result.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "55.17%" in json.dumps(data, ensure_ascii=False)
    assert "安慰剂组" in json.dumps(data, ensure_ascii=False)


def _untranslated_record(tmp_path: Path) -> Path:
    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    del data["trial"]["conditions"][0]["zh"]
    path = tmp_path / "no-zh-condition.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_missing_term_is_marked_reported_and_fails_under_strict(db_url: str,
                                                                tmp_path: Path) -> None:
    run_cli("import", str(_untranslated_record(tmp_path)), db=db_url)
    loose = run_cli("summary", "NCT02465580", "--lang", "zh", db=db_url)
    assert loose.returncode == 0
    assert "⟦systemic lupus erythematosus⟧" in loose.stdout
    assert loose.stderr.splitlines() == [
        "Untranslated: NCT02465580: zh: condition: systemic lupus erythematosus"]
    strict = run_cli("summary", "NCT02465580", "--lang", "zh", "--strict", db=db_url)
    assert strict.returncode == 1
    added = run_cli("glossary", "add", "Systemic  Lupus Erythematosus", "系统性红斑狼疮",
                    "--domain", "condition", db=db_url)
    assert added.returncode == 0 and added.stderr == "1 added, 0 updated, 0 unchanged\n"
    fixed = run_cli("summary", "NCT02465580", "--lang", "zh", "--strict", db=db_url)
    assert fixed.returncode == 0, fixed.stderr
    assert "纳入 60 例系统性红斑狼疮患者" in fixed.stdout


def test_glossary_import_export_list_and_conflicts(db_url: str, tmp_path: Path) -> None:
    terms = tmp_path / "terms.csv"
    terms.write_text("en,zh,domain\nlupus nephritis,狼疮肾炎,condition\n"
                     "complete remission,完全缓解,endpoint\n", encoding="utf-8")
    assert run_cli("glossary", "import", str(terms), db=db_url).returncode == 0
    listed = run_cli("glossary", "list", "-f", "json", db=db_url)
    assert json.loads(listed.stdout) == [
        {"en": "lupus nephritis", "zh": "狼疮肾炎", "domain": "condition"},
        {"en": "complete remission", "zh": "完全缓解", "domain": "endpoint"}]
    clash = run_cli("glossary", "add", "lupus nephritis", "狼疮性肾炎", db=db_url)
    assert clash.returncode == 1
    assert clash.stderr == ("Error: 'lupus nephritis' is already translated as '狼疮肾炎', not "
                            "'狼疮性肾炎' (use --replace to change it)\n")
    out = tmp_path / "out.yaml"
    run_cli("glossary", "export", str(out), db=db_url)
    assert yaml.safe_load(out.read_text(encoding="utf-8"))[0] == {
        "en": "lupus nephritis", "zh": "狼疮肾炎", "domain": "condition"}


def test_export_summaries_writes_one_file_per_trial_and_an_index(db_url: str,
                                                                 tmp_path: Path) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    out = tmp_path / "site"
    result = run_cli("export", "summaries", "--format", "html", "-o", str(out), db=db_url)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["NCT02465580.html", "index.html"]
    page = (out / "NCT02465580.html").read_text(encoding="utf-8")
    assert 'lang="zh-Hans-CN"' in page and "55.17%" in page
    none = run_cli("export", "summaries", "--status", "verified", "-o", str(tmp_path / "v"),
                   db=db_url)
    assert none.stderr.startswith("Wrote 0 summaries")


def test_i18n_status_counts_messages_and_terms(db_url: str, tmp_path: Path) -> None:
    run_cli("import", str(_untranslated_record(tmp_path)), db=db_url)
    rows = json.loads(run_cli("i18n", "status", "-f", "json", db=db_url).stdout)
    zh = rows[1]
    assert zh["language"] == "zh_Hans_CN" and zh["translated"] == zh["total"] > 100
    terms = rows[2]
    assert (terms["translated"], terms["total"], terms["missing"]) == (
        7, 8, ["systemic lupus erythematosus"])
