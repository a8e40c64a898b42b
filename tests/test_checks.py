"""Consistency checks: the seed trial's figures, each check's failure, and missing data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.recordio import bundled_seed_path, load_record
from evidence.records import (
    Arm,
    ArmResult,
    Comparison,
    Endpoint,
    ParamType,
    Record,
    Text,
    Trial,
)
from evidence.stats import Finding, effect_table, run_checks

FIXTURES = Path(__file__).parent.parent.parent / "shared" / "fixtures"


@pytest.fixture(scope="module")
def seed() -> Record:
    return load_record(bundled_seed_path())


def _edit(record: Record, name: str, index: int, **changes: Any) -> Record:
    items = list(getattr(record, name))
    items[index] = items[index].model_copy(update=changes)
    return record.model_copy(update={name: items})


def _only(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


# --- the seed trial ---------------------------------------------------------------

def test_seed_findings_are_exactly_the_two_p_values(seed: Record) -> None:
    findings = run_checks(seed)
    assert [(f.check, f.severity, f.path, f.data["status"]) for f in findings] == [
        ("p_value_reproduced", "warning", "comparisons[0]", "near"),
        ("p_value_reproduced", "warning", "comparisons[2]", "not_reproduced"),
    ]


def test_seed_week24_is_reproduced_by_pearson_chi_square(seed: Record) -> None:
    rows = effect_table(seed)
    w24 = next(r for r in rows if r.timepoint == "w24")
    assert w24.comparison == 1 and w24.arms == ("il2", "placebo")
    assert w24.verdict is not None and w24.verdict.status == "reproduced"
    assert w24.verdict.reproduced_by == ("pearson_chi2",)
    pearson = next(t for t in w24.tests if t.name == "pearson_chi2")
    assert pearson.p_value is not None and f"{pearson.p_value:.3f}" == "0.027"


def test_seed_week12_is_near_but_not_reproduced(seed: Record) -> None:
    finding = run_checks(seed)[0]
    tests = finding.data["tests"]
    assert finding.data["reported"] == "p=0.052"
    assert f"{tests['pearson_chi2']:.3f}" == "0.050"
    assert f"{tests['fisher_exact']:.3f}" == "0.067"
    assert finding.data["arms"] == {"il2": {"events": 16, "n": 29, "path": "results[0]"},
                                    "placebo": {"events": 9, "n": 30, "path": "results[1]"}}
    assert finding.message == (
        "p=0.052 is near, but not reproduced by, the standard tests on 16/29 vs 9/30: closest "
        "is Wald test of the log odds ratio 0.053 (tried: Pearson chi-square 0.050, "
        "chi-square with Yates' correction 0.091, Fisher's exact test 0.067, "
        "Wald test of the log odds ratio 0.053).")


def test_seed_lupus_nephritis_is_not_reproduced(seed: Record) -> None:
    finding = run_checks(seed)[1]
    tests = finding.data["tests"]
    assert finding.data["status"] == "not_reproduced"
    assert {k: f"{v:.3f}" for k, v in tests.items()} == {
        "pearson_chi2": "0.053", "yates_chi2": "0.129", "fisher_exact": "0.097",
        "wald_log_or": "0.064"}
    assert finding.message.startswith(
        "p=0.036 is not reproduced by any standard test on 7/13 vs 2/12 (tried: "
        "Pearson chi-square 0.053, chi-square with Yates' correction 0.129, "
        "Fisher's exact test 0.097")


def test_seed_effect_table_rows(seed: Record) -> None:
    rows = effect_table(seed)
    assert [(r.endpoint, r.timepoint, r.population, r.comparison) for r in rows] == [
        ("sri4", "w12", None, 0), ("sri4", "w24", None, 1), ("ln-cr", None, "ln", 2)]
    data = rows[2].as_dict()
    assert data["arm1"] == {"arm": "il2", "events": 7, "n": 13, "path": "results[4]", "notes": ()}
    assert data["p_check"]["status"] == "not_reproduced"
    assert [e["measure"] for e in data["effects"]] == ["risk_ratio", "odds_ratio",
                                                       "risk_difference"]


# --- percent_vs_counts ----------------------------------------------------------------

def test_percent_that_does_not_match_counts_is_an_error(seed: Record) -> None:
    bad = _edit(seed, "results", 0, events=15)
    [finding] = _only(run_checks(bad), "percent_vs_counts")
    assert (finding.severity, finding.path) == ("error", "results[0]")
    assert finding.message == ("55.17% is printed, but 15/29 = 51.7241%, which rounds to 51.72.")
    assert finding.data["half_up"] == "51.72"


def test_percent_precision_comes_from_the_printed_text(seed: Record) -> None:
    ok = _edit(seed, "results", 0, reported="55.2%", value=55.2)
    assert _only(run_checks(ok), "percent_vs_counts") == []
    bad = _edit(seed, "results", 0, reported="55.10%", value=55.1)
    assert len(_only(run_checks(bad), "percent_vs_counts")) == 1


def test_exact_ties_accept_either_rounding(seed: Record) -> None:
    for printed in ("12%", "13%"):
        rec = _edit(seed, "results", 0, reported=printed, value=float(printed[:-1]),
                    events=1, n=8)
        assert _only(run_checks(rec), "percent_vs_counts") == []


def test_missing_events_derived_when_exactly_one_count_fits(seed: Record) -> None:
    rec = _edit(seed, "results", 0, events=None)
    [finding] = _only(run_checks(rec), "percent_vs_counts")
    assert finding.severity == "warning"
    assert finding.data["derived_events"] == 16
    assert finding.data["roundings"] == {"16": ["half_up", "half_even"]}
    assert finding.message == ("Events are not recorded; 16/29 is the only count that gives "
                               "55.17% (half-up or half-even rounding).")
    # The effect table derives the same count and says so.
    row = effect_table(rec)[0]
    assert row.arm1.notes == ("events=16 derived: the only count of 29 that gives 55.17%",)


def test_missing_events_none_fits_is_an_error(seed: Record) -> None:
    rec = _edit(seed, "results", 0, events=None, reported="55.00%", value=55.0)
    [finding] = _only(run_checks(rec), "percent_vs_counts")
    assert finding.severity == "error" and finding.data["fitting_events"] == []


def test_missing_events_several_fit_says_nothing(seed: Record) -> None:
    # 55% of 200: 110 fits; so does 109 (54.5 half-up) — not derivable, not wrong.
    rec = _edit(seed, "results", 0, events=None, reported="55%", value=55.0, n=200)
    assert _only(run_checks(rec), "percent_vs_counts") == []


def test_coarse_percent_of_a_huge_n_is_not_enumerated(seed: Record) -> None:
    rec = _edit(seed, "results", 0, events=None, reported="55%", value=55.0, n=10**9)
    assert _only(run_checks(rec), "percent_vs_counts") == []


def test_printed_fraction_must_match_counts(seed: Record) -> None:
    rec = _edit(seed, "results", 4, reported="53.85% (7/14)")
    findings = _only(run_checks(rec), "percent_vs_counts")
    assert [(f.severity, f.data.get("printed_n")) for f in findings] == [("error", 14)]


# --- counts --------------------------------------------------------------------------

def test_count_checks(seed: Record) -> None:
    rec = _edit(seed, "results", 1, events=31)
    rec = _edit(rec, "arms", 0, n_analysed=31)
    rec = rec.model_copy(update={"trial": rec.trial.model_copy(
        update={"enrollment": rec.trial.enrollment.model_copy(update={"actual": 61})})})
    findings = run_checks(rec)
    got = {(f.check, f.severity, f.path) for f in findings
           if f.check in ("events_le_n", "analysed_le_randomised", "arms_sum_vs_enrollment")}
    assert got == {("events_le_n", "error", "results[1]"),
                   ("analysed_le_randomised", "error", "arms[0]"),
                   ("arms_sum_vs_enrollment", "warning", "trial.enrollment.actual")}
    enrol = next(f for f in findings if f.check == "arms_sum_vs_enrollment")
    assert enrol.message == "The arms randomised 30 + 30 = 60, but the actual enrollment is 61."


# --- comparisons ---------------------------------------------------------------------

def test_less_than_p_is_reproduced_by_any_smaller_p(seed: Record) -> None:
    rec = _edit(seed, "results", 2, events=27)  # 27/29 vs 11/30: p far below 0.001
    rec = _edit(rec, "results", 2, reported="93.10%", value=93.1)
    rec = _edit(rec, "comparisons", 1, p_reported="p<0.001", p_comparator="<", p_value=0.001)
    assert _only(run_checks(rec), "p_value_reproduced") == _only(run_checks(seed),
                                                                 "p_value_reproduced")


def test_effect_vs_recomputed(seed: Record) -> None:
    # Week 24: RR 19/29 over 11/30 = 1.787 (95% CI 1.042 to 3.064).
    good = _edit(seed, "comparisons", 1, effect_measure="risk ratio", effect_reported="1.79",
                 effect_value=1.79, ci_low=1.04, ci_high=3.06)
    assert _only(run_checks(good), "effect_vs_recomputed") == []
    wrong = _edit(good, "comparisons", 1, effect_reported="1.85", effect_value=1.85)
    [finding] = _only(run_checks(wrong), "effect_vs_recomputed")
    assert finding.data["mismatched"] == ["estimate"] and not finding.data["arms_reversed"]
    reversed_ = _edit(good, "comparisons", 1, effect_reported="0.56", effect_value=0.56,
                      ci_low=0.33, ci_high=0.96)
    [finding] = _only(run_checks(reversed_), "effect_vs_recomputed")
    assert finding.data["arms_reversed"] is True
    adjusted = _edit(wrong, "comparisons", 1, effect_measure="adjusted risk ratio")
    assert _only(run_checks(adjusted), "effect_vs_recomputed") == []


def test_ci_contains_estimate_and_p_vs_ci(seed: Record) -> None:
    rec = _edit(seed, "comparisons", 1, effect_measure="risk ratio", effect_value=4.0,
                ci_low=0.9, ci_high=3.06)
    findings = run_checks(rec)
    assert [f.severity for f in _only(findings, "ci_contains_estimate")] == ["error"]
    [pci] = _only(findings, "p_vs_ci_significance")
    assert pci.message == ("p=0.027 is significant at 0.05, but the 95% CI 0.9 to 3.06 "
                           "includes 1.")


def test_primary_met_vs_p(seed: Record) -> None:
    rec = _edit(seed, "endpoints", 0, met=True)
    [finding] = _only(run_checks(rec), "primary_met_vs_p")
    assert (finding.path, finding.severity) == ("endpoints[0].met", "warning")
    assert finding.message == ("The primary endpoint 'sri4' is recorded as met, but its "
                               "p-value is p=0.052 (comparisons[0]).")


def test_continuous_results_get_md_g_and_t_tests() -> None:
    rec = Record(
        trial=Trial(title=Text(en="t")),
        arms=[Arm(key="a", label=Text(en="A")), Arm(key="b", label=Text(en="B"))],
        endpoints=[Endpoint(key="e", name=Text(en="score"), measure="continuous")],
        results=[ArmResult(endpoint="e", arm="a", param=ParamType.mean, value=103,
                           dispersion="sd", dispersion_value=5.5, n=50),
                 ArmResult(endpoint="e", arm="b", param=ParamType.mean, value=100,
                           dispersion="se", dispersion_value=4.5 / 50**0.5, n=50)],
        comparisons=[Comparison(endpoint="e", arms=["a", "b"], p_reported="p=0.004",
                                effect_measure="Mean Difference", effect_value=3.0,
                                ci_low=1.03, ci_high=4.97)])
    [row] = effect_table(rec)
    assert row.kind == "continuous"
    assert [e.measure for e in row.effects] == ["mean_difference", "hedges_g"]
    assert row.arm2.notes == ("SD=4.5 derived from SE 0.636396 x sqrt(50)",)
    assert row.verdict is not None and row.verdict.reproduced_by == ("student_t", "welch_t")
    assert run_checks(rec) == []


# --- robustness ------------------------------------------------------------------------

def test_empty_record() -> None:
    rec = Record(trial=Trial(title=Text(en="nothing")))
    assert run_checks(rec) == [] and effect_table(rec) == []


def test_dangling_references_and_missing_fields_do_not_crash() -> None:
    # Built directly, so validation.check_record (unknown arm keys) never ran.
    rec = Record(
        trial=Trial(title=Text(en="t")),
        results=[ArmResult(endpoint="x", arm="ghost", param=ParamType.proportion,
                           reported="40%"),
                 ArmResult(endpoint="x", arm="other", param=ParamType.proportion, n=0,
                           reported="n/a"),
                 ArmResult(endpoint="x", arm="ghost", param=ParamType.mean, value=1.0)],
        comparisons=[Comparison(endpoint="x", arms=["ghost", "other"], p_reported="NS",
                                effect_measure="odds ratio"),
                     Comparison(endpoint="x", arms=["ghost", "other", "third"])])
    assert run_checks(rec) == []
    assert effect_table(rec) == []


_opt_count = st.none() | st.integers(min_value=0, max_value=60)
_opt_text = st.none() | st.sampled_from(["55.17%", "30%", "<0.001", "p=0.05", "NS", "0", "7/13",
                                         "100.0%", "0.0%", ""])


@st.composite
def _records(draw: st.DrawFn) -> Record:
    results = [ArmResult(endpoint="e", arm=draw(st.sampled_from(["a", "b"])),
                         param=draw(st.sampled_from(list(ParamType))),
                         reported=draw(_opt_text), events=draw(_opt_count), n=draw(_opt_count),
                         unit=draw(st.none() | st.sampled_from(["%", "percentage of subjects"])),
                         value=draw(st.none() | st.floats(0, 100) | st.just(float("nan"))),
                         dispersion=draw(st.none() | st.sampled_from(["sd", "se"])),
                         dispersion_value=draw(st.none() | st.floats(0, 10)
                                               | st.just(float("inf"))))
               for _ in range(draw(st.integers(0, 4)))]
    comparisons = [Comparison(endpoint="e", arms=["a", "b"], p_reported=draw(_opt_text),
                              effect_measure=draw(st.none() | st.sampled_from(
                                  ["risk ratio", "Odds Ratio (OR)", "mean difference",
                                   "Percentage Difference"])),
                              effect_value=draw(st.none() | st.floats(0.01, 50)
                                                | st.just(float("nan"))),
                              ci_low=draw(st.none() | st.floats(-5, 5)),
                              ci_high=draw(st.none() | st.floats(5, 60)))
                   for _ in range(draw(st.integers(0, 2)))]
    arms = [Arm(key=k, label=Text(en=k), n_randomised=draw(_opt_count),
                n_analysed=draw(_opt_count)) for k in ("a", "b")]
    return Record(trial=Trial(title=Text(en="t")), arms=arms, results=results,
                  comparisons=comparisons,
                  endpoints=[Endpoint(key="e", name=Text(en="e"),
                                      measure=draw(st.sampled_from(["proportion", "continuous",
                                                                    "other"])))])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_random_partial_records_never_crash(rec: Record) -> None:
    for finding in run_checks(rec):
        assert finding.severity in ("error", "warning")
        assert finding.message.endswith(".")
    effect_table(rec)


def _ctgov_records() -> list[tuple[str, Record]]:
    from evidence.importers import ctgov

    out = []
    for path in sorted((FIXTURES / "ctgov").glob("*.json")):
        for item in ctgov.read_ctgov_json(path.name, path.read_bytes()):
            if item.record is not None:
                out.append((path.name, item.record))
    return out


def test_every_ctgov_fixture_runs() -> None:
    records = _ctgov_records()
    assert sorted(name for name, _ in records) == sorted(
        p.name for p in (FIXTURES / "ctgov").glob("*.json"))
    for _, rec in records:
        for finding in run_checks(rec):
            assert finding.severity in ("error", "warning") and finding.message
        for row in effect_table(rec):
            row.as_dict()


def test_ctgov_logistic_regression_p_is_near_the_unadjusted_tests() -> None:
    # NCT02552212, secondary outcome analysed by logistic regression: p "=0.247" on 8/158 vs
    # 4/159; the unadjusted tests give 0.235 (chi-square) to 0.371 (Yates).
    rec = dict(_ctgov_records())["NCT02552212.json"]
    found = [f for f in run_checks(rec) if f.check == "p_value_reproduced"]
    assert [(f.data["reported"], f.data["status"], f.data["closest"]) for f in found] == [
        ("=0.247", "near", "wald_log_or")]
    arms = found[0].data["arms"]
    assert sorted((a["events"], a["n"]) for a in arms.values()) == [(4, 159), (8, 158)]
    assert found[0].data["method"] == "Regression, Logistic"


def test_importing_stats_does_not_import_scipy() -> None:
    # CLI start-up time: scipy is imported inside the functions that need it.
    import subprocess
    import sys

    code = "import sys, evidence.stats; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_comparison_rows_are_the_comparison_rows_of_the_effect_table(seed: Record) -> None:
    from evidence.stats.rows import comparison_rows

    for rec in [seed, *(r for _, r in _ctgov_records())]:
        table = effect_table(rec)
        assert comparison_rows(rec) == [r for r in table if r.comparison is not None]
