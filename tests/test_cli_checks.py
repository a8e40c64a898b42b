"""`evidence check`, `evidence stats` and `list --flagged` on the seed trial and the fixtures."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, SEED_RECORD, run_cli


def test_check_reports_the_seed_p_values_and_exits_0_on_warnings(db_url: str) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    result = run_cli("check", "NCT02932137", "--format", "json", db=db_url)
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    assert [(f["severity"], f["check"], f["path"]) for f in findings] == [
        ("warning", "p_value_reproduced", "comparisons[0]"),
        ("warning", "p_value_reproduced", "comparisons[2]")]
    assert "closest is Wald test of the log odds ratio 0.053" in findings[0]["message"]
    assert ("Pearson chi-square 0.050" in findings[0]["message"]
            and "Fisher's exact test 0.067" in findings[0]["message"])
    assert findings[1]["message"] == (
        "p=0.036 is not reproduced by any standard test on 7/13 vs 2/12 (tried: Pearson "
        "chi-square 0.053, chi-square with Yates' correction 0.129, Fisher's exact test 0.097, "
        "Wald test of the log odds ratio 0.064).")
    assert result.stderr == "1 trial(s) checked: 0 error(s), 2 warning(s)\n"
    flagged = run_cli("list", "--flagged", "-f", "json", db=db_url)
    assert [(t["id"], t["findings"]) for t in json.loads(flagged.stdout)] == [(1, "2 warnings")]


def test_check_exits_1_on_an_error_finding(db_url: str, tmp_path: object) -> None:
    import copy
    from pathlib import Path

    import yaml

    data = yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    bad["results"][0]["reported"] = "60.00%"  # 16/29 is 55.17%, not 60.00%
    path = Path(str(tmp_path)) / "bad-percent.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    assert run_cli("import", str(path), db=db_url).returncode == 0  # a finding, not a refusal
    result = run_cli("check", "NCT02465580", "--severity", "error", "-f", "json", db=db_url)
    assert result.returncode == 1
    errors = json.loads(result.stdout)
    assert [(f["check"], f["path"]) for f in errors] == [("percent_vs_counts", "results[0]")]


def test_stats_prints_recomputed_effects(db_url: str) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    result = run_cli("stats", "NCT02465580", "-f", "json", db=db_url)
    rows = json.loads(result.stdout)
    w24 = next(r for r in rows if r["timepoint"] == "w24")
    assert (w24["arm1"]["events"], w24["arm1"]["n"], w24["arm2"]["events"], w24["arm2"]["n"]) == (
        19, 29, 11, 30)
    assert w24["p_check"]["status"] == "reproduced"
    assert w24["p_check"]["reproduced_by"] == ["pearson_chi2"]
    rr = next(e for e in w24["effects"] if e["measure"] == "risk_ratio")
    assert round(rr["estimate"], 4) == round((19 / 29) / (11 / 30), 4)
    table = run_cli("stats", "NCT02465580", "-f", "csv", db=db_url)
    assert table.stdout.splitlines()[0] == (
        "endpoint,timepoint,population,category,arms,data,measure,estimate,ci_95,note,"
        "reported_p,p_check,tests")


def test_check_all_over_every_fixture_finishes(db_url: str) -> None:
    imported = run_cli("import", str(FIXTURES / "ctgov"), str(FIXTURES / "ctgov-xml"),
                       str(FIXTURES / "pubmed"), "-f", "json", db=db_url)
    assert imported.returncode == 0, imported.stderr
    result = run_cli("check", "--all", "-f", "json", db=db_url)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("11 trial(s) checked:")
    assert result.returncode in (0, 1)
    assert {f["trial"] for f in json.loads(result.stdout)} <= {
        "NCT00763412", "NCT02210780", "NCT02513394", "NCT02552212", "NCT03418623",
        "NCT03630471", "NCT04267848", "NCT05594173", "NCT01534533", "NCT01642004",
        "NCT02149199"}
