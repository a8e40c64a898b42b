"""Significance tests of two arms: 2x2 tables (events/n) and means (mean, SD, n)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from evidence.stats.distributions import (
    chi_square_2x2,
    fisher_exact_2x2,
    normal_two_sided_p,
    t_test,
)
from evidence.stats.effects import odds_ratio

# Labels used in findings and tables; keys are stable identifiers for JSON output.
TEST_LABELS = {
    "pearson_chi2": "Pearson chi-square",
    "yates_chi2": "chi-square with Yates' correction",
    "fisher_exact": "Fisher's exact test",
    "wald_log_or": "Wald test of the log odds ratio",
    "student_t": "Student's t-test",
    "welch_t": "Welch's t-test",
}


@dataclass(frozen=True, slots=True)
class TestResult:
    """A two-sided test: `name` is a key of TEST_LABELS; p_value None when not computable."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    statistic: float | None
    p_value: float | None
    note: str | None = None

    @property
    def label(self) -> str:
        """The test's readable name."""
        return TEST_LABELS.get(self.name, self.name)


def _table(e1: int, n1: int, e2: int, n2: int) -> list[list[int]]:
    if n1 <= 0 or n2 <= 0 or not 0 <= e1 <= n1 or not 0 <= e2 <= n2:
        raise ValueError(f"invalid 2x2 counts {e1}/{n1} vs {e2}/{n2}")
    return [[e1, n1 - e1], [e2, n2 - e2]]


def chi_square(e1: int, n1: int, e2: int, n2: int, *, yates: bool = False) -> TestResult:
    """Pearson chi-square test of a 2x2 table, with or without Yates' continuity correction."""
    name = "yates_chi2" if yates else "pearson_chi2"
    table = _table(e1, n1, e2, n2)
    if e1 + e2 in (0, n1 + n2):
        # A column of zeros makes an expected count zero; scipy refuses such a table.
        return TestResult(name, None, None,
                          "not computable: no events, or all events, in both arms")
    fast = chi_square_2x2(e1, n1 - e1, e2, n2 - e2, yates=yates)
    if fast is not None:
        return TestResult(name, *fast)
    from scipy.stats import chi2_contingency

    res = chi2_contingency(table, correction=yates)
    return TestResult(name, float(res.statistic), float(res.pvalue))


def fisher_exact(e1: int, n1: int, e2: int, n2: int) -> TestResult:
    """Fisher's exact test, two-sided (scipy: sum over tables no more probable than observed)."""
    table = _table(e1, n1, e2, n2)
    fast = fisher_exact_2x2(e1, n1 - e1, e2, n2 - e2)
    if fast is not None:
        return TestResult("fisher_exact", *fast)
    from scipy.stats import fisher_exact as scipy_fisher

    res = scipy_fisher(table)
    return TestResult("fisher_exact", float(res.statistic), float(res.pvalue))


def wald_log_or(e1: int, n1: int, e2: int, n2: int) -> TestResult:
    """Wald z-test of log OR = 0, with the same 0.5 zero-cell correction as the OR itself."""
    _table(e1, n1, e2, n2)
    effect = odds_ratio(e1, n1, e2, n2)
    if effect.estimate is None or effect.se is None:
        return TestResult("wald_log_or", None, None, effect.note)
    z = math.log(effect.estimate) / effect.se
    p = normal_two_sided_p(z)
    if p is None:
        from scipy.stats import norm

        p = float(2 * norm.sf(abs(z)))
    return TestResult("wald_log_or", z, p, effect.note)


def binary_tests(e1: int, n1: int, e2: int, n2: int) -> list[TestResult]:
    """Every standard test of a 2x2 table, in a fixed order."""
    return [chi_square(e1, n1, e2, n2), chi_square(e1, n1, e2, n2, yates=True),
            fisher_exact(e1, n1, e2, n2), wald_log_or(e1, n1, e2, n2)]


def t_tests(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int) -> list[TestResult]:
    """Student's and Welch's two-sample t-tests from summary statistics."""
    if n1 < 2 or n2 < 2 or (sd1 == 0 and sd2 == 0):
        note = "not computable: needs 2+ participants per arm and a non-zero SD"
        return [TestResult("student_t", None, None, note), TestResult("welch_t", None, None, note)]
    out = []
    for name, equal in (("student_t", True), ("welch_t", False)):
        fast = t_test(m1, sd1, n1, m2, sd2, n2, equal_var=equal)
        if fast is not None:
            out.append(TestResult(name, *fast))
            continue
        from scipy.stats import ttest_ind_from_stats

        res = ttest_ind_from_stats(m1, sd1, n1, m2, sd2, n2, equal_var=equal)
        out.append(TestResult(name, float(res.statistic), float(res.pvalue)))
    return out
