"""Significance tests, printed-number parsing and p-value reproduction rules."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from evidence.records import Comparison
from evidence.stats.numbers import matching_roundings, parse_printed, round_fraction
from evidence.stats.pvalues import format_p, is_near, judge, reported_p, reproduces
from evidence.stats.tables import (
    TestResult,
    binary_tests,
    chi_square,
    fisher_exact,
    t_tests,
    wald_log_or,
)


def test_fisher_exact_scipy_documented_example() -> None:
    # scipy.stats.fisher_exact docstring: fisher_exact([[8, 2], [1, 5]]) -> statistic 20.0,
    # pvalue 0.034965034965034975.
    res = fisher_exact(8, 10, 1, 6)
    assert res.statistic == 20.0
    assert res.p_value == pytest.approx(0.034965034965034975, rel=1e-12)


def test_pearson_chi_square_scipy_documented_example() -> None:
    # scipy.stats.chi2_contingency docstring: [[12, 3], [17, 16]] with correction=False
    # -> pvalue 0.0614122539870913.
    res = chi_square(12, 15, 17, 33)
    assert res.p_value == pytest.approx(0.0614122539870913, rel=1e-12)


def test_yates_statistic_by_the_textbook_formula() -> None:
    # chi2_Yates = N (|ad - bc| - N/2)^2 / (r1 r2 c1 c2), for 7/13 vs 2/12.
    a, b, c, d = 7, 6, 2, 10
    n = a + b + c + d
    expected = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    res = chi_square(7, 13, 2, 12, yates=True)
    assert res.statistic == pytest.approx(expected)
    assert res.p_value == pytest.approx(math.erfc(math.sqrt(expected / 2)))


def test_wald_log_or_by_hand() -> None:
    z = math.log(19 * 19 / (10 * 11)) / math.sqrt(1 / 19 + 1 / 10 + 1 / 11 + 1 / 19)
    res = wald_log_or(19, 29, 11, 30)
    assert res.statistic == pytest.approx(z)
    assert res.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))


@pytest.mark.parametrize(("table", "expected"), [
    # The seed trial: SRI-4 week 12, week 24, lupus nephritis complete remission.
    ((16, 29, 9, 30), {"pearson_chi2": "0.050", "yates_chi2": "0.091", "fisher_exact": "0.067",
                       "wald_log_or": "0.053"}),
    ((19, 29, 11, 30), {"pearson_chi2": "0.027", "yates_chi2": "0.051", "fisher_exact": "0.038",
                        "wald_log_or": "0.029"}),
    ((7, 13, 2, 12), {"pearson_chi2": "0.053", "yates_chi2": "0.129", "fisher_exact": "0.097",
                      "wald_log_or": "0.064"}),
])
def test_seed_tables(table: tuple[int, int, int, int], expected: dict[str, str]) -> None:
    tests = binary_tests(*table)
    assert {t.name: f"{t.p_value:.3f}" for t in tests} == expected
    assert tests[0].label == "Pearson chi-square"


def test_degenerate_tables() -> None:
    pearson, yates, fisher, wald = binary_tests(0, 10, 0, 12)
    assert pearson.p_value is None and yates.p_value is None and pearson.note
    assert fisher.p_value == 1.0
    assert wald.p_value is None
    corrected = wald_log_or(0, 10, 5, 10)
    assert corrected.p_value is not None and corrected.note and "0.5" in corrected.note


def test_t_tests_from_summary_statistics() -> None:
    # Borenstein ch. 4 data; Student's t = 3 / (S_within * sqrt(1/50 + 1/50)).
    s_within = math.sqrt((49 * 5.5**2 + 49 * 4.5**2) / 98)
    student, welch = t_tests(103, 5.5, 50, 100, 4.5, 50)
    assert student.statistic == pytest.approx(3 / (s_within * math.sqrt(0.04)))
    assert welch.statistic == pytest.approx(3 / math.sqrt(5.5**2 / 50 + 4.5**2 / 50))
    assert student.p_value is not None and welch.p_value is not None
    assert [t.p_value for t in t_tests(1, 0, 5, 1, 0, 5)] == [None, None]


@pytest.mark.parametrize(("text", "value", "decimals"), [
    ("55.17%", "55.17", 2),
    ("53.85% (7/13)", "53.85", 2),
    ("30.00%", "30.00", 2),
    ("p=0.052", "0.052", 3),
    ("P < .001", "0.001", 3),
    ("55·17%", "55.17", 2),  # Lancet decimal point
    ("p = 1.2×10−5", "0.000012", 6),
    ("p=3e-4", "0.0003", 4),
    ("５５.１７%", "55.17", 2),  # full-width digits
])
def test_parse_printed(text: str, value: str, decimals: int) -> None:
    printed = parse_printed(text)
    assert printed is not None
    assert printed.value == Decimal(value)
    assert printed.decimals == decimals


def test_parse_printed_without_number() -> None:
    assert parse_printed("NS") is None
    assert parse_printed(None) is None
    assert parse_printed("") is None


def test_rounding_accepts_half_up_and_half_even_only_on_ties() -> None:
    # 1/8 = 12.5% exactly: half-up prints 13%, half-even 12%.
    twelve, thirteen = parse_printed("12%"), parse_printed("13%")
    assert twelve is not None and thirteen is not None
    assert matching_roundings(Fraction(100, 8), twelve) == ["half_even"]
    assert matching_roundings(Fraction(100, 8), thirteen) == ["half_up"]
    # 16/29 = 55.1724...%: no tie, both roundings give 55.17.
    assert round_fraction(Fraction(1600, 29), Decimal("0.01")) == {
        "half_up": Decimal("55.17"), "half_even": Decimal("55.17")}


def _cmp(p_reported: str | None, p_value: float | None = None,
         p_comparator: str | None = None) -> Comparison:
    return Comparison(endpoint="e", arms=["a", "b"], p_reported=p_reported, p_value=p_value,
                      p_comparator=p_comparator)


def test_reported_p_reads_comparator_from_text_then_field() -> None:
    lt = reported_p(_cmp("p<0.001"))
    assert lt is not None and lt.comparator == "<" and lt.printed.value == Decimal("0.001")
    le = reported_p(_cmp("P ≤ 0.05"))
    assert le is not None and le.comparator == "<="
    bare = reported_p(_cmp("0.65", p_comparator=">"))
    assert bare is not None and bare.comparator == ">"
    from_value = reported_p(_cmp(None, p_value=0.052))
    assert from_value is not None and from_value.precision_from == "value"
    assert from_value.printed.decimals == 3
    assert reported_p(_cmp("NS")) is None
    assert reported_p(_cmp(None)) is None


def test_reproduces_rules() -> None:
    eq = reported_p(_cmp("p=0.027"))
    lt = reported_p(_cmp("p<0.001"))
    gt = reported_p(_cmp("p>0.05"))
    assert eq is not None and lt is not None and gt is not None
    assert reproduces(eq, 0.026687756656293672)
    assert not reproduces(eq, 0.0275)  # rounds to 0.028
    assert reproduces(lt, 0.000999)
    assert not reproduces(lt, 0.001)
    assert reproduces(gt, 0.0504)
    assert not reproduces(gt, 0.049)


def test_near_rule() -> None:
    p052 = reported_p(_cmp("p=0.052"))
    p036 = reported_p(_cmp("p=0.036"))
    p05 = reported_p(_cmp("p<0.05"))
    assert p052 is not None and p036 is not None and p05 is not None
    assert is_near(p052, 0.05044808197038434)  # 3% away, both >= 0.05
    assert not is_near(p052, 0.0499)  # would change significance
    assert not is_near(p036, 0.05300479488607641)  # 47% away
    assert not is_near(p05, 0.0504)  # "<0.05" claims significance; 0.0504 is not


def test_judge_and_status() -> None:
    rep = reported_p(_cmp("p=0.027"))
    assert rep is not None
    verdict = judge(rep, binary_tests(19, 29, 11, 30))
    assert verdict.status == "reproduced" and verdict.reproduced_by == ("pearson_chi2",)
    none = judge(rep, [TestResult("pearson_chi2", None, None)])
    assert none.status == "untestable" and none.closest is None


def test_format_p() -> None:
    rep = reported_p(_cmp("p=0.052"))
    assert format_p(0.05044808197038434, rep) == "0.050"
    assert format_p(0.0000123, rep) == "1.2e-05"
    assert format_p(0.5) == "0.500"


# --- the scipy.special fast paths equal scipy.stats bit for bit ------------------------

def _bits(x: float) -> str:
    return float(x).hex()  # tells -0.0 from 0.0; nan equals nan


def test_fast_2x2_tests_equal_scipy_stats_bit_for_bit() -> None:
    # Every table of up to 12 per arm, plus large and near-null ones; a scipy upgrade that
    # changes its algorithm fails here rather than silently moving the reported p-values.
    from scipy import stats

    from evidence.stats.distributions import chi_square_2x2, fisher_exact_2x2

    tables = [(e1, n1, e2, n2) for n1 in range(1, 13) for n2 in range(1, 13)
              for e1 in range(n1 + 1) for e2 in range(n2 + 1)][::7]
    tables += [(16, 29, 9, 30), (480, 1000, 520, 1000), (3, 4000, 11, 3990), (0, 5000, 1, 5000),
               (250, 500, 251, 501), (7000, 12000, 6999, 12001), (1, 2, 0, 30000)]
    for e1, n1, e2, n2 in tables:
        table = [[e1, n1 - e1], [e2, n2 - e2]]
        fast = fisher_exact_2x2(e1, n1 - e1, e2, n2 - e2)
        ref = stats.fisher_exact(table)
        assert fast is not None and list(map(_bits, fast)) == [
            _bits(ref.statistic), _bits(ref.pvalue)], table
        if e1 + e2 in (0, n1 + n2):
            continue
        for yates in (False, True):
            chi = chi_square_2x2(e1, n1 - e1, e2, n2 - e2, yates=yates)
            ref = stats.chi2_contingency(table, correction=yates)
            assert chi is not None and list(map(_bits, chi)) == [
                _bits(ref.statistic), _bits(ref.pvalue)], (table, yates)


def test_fast_t_tests_and_normal_equal_scipy_stats_bit_for_bit() -> None:
    import random

    from scipy import stats

    from evidence.stats.distributions import normal_quantile, normal_two_sided_p, t_test

    rng = random.Random(3)
    for i in range(300):
        n1, n2 = rng.randint(2, 3000), rng.randint(2, 3000)
        m1 = rng.uniform(-100, 100) * 10 ** rng.randint(-3, 3)
        m2 = m1 + rng.gauss(0, 1) * 10 ** rng.randint(-3, 3)
        sd1 = 0.0 if i % 10 == 0 else abs(rng.gauss(0, 10)) * 10 ** rng.randint(-3, 3)
        sd2 = abs(rng.gauss(0, 10)) * 10 ** rng.randint(-3, 3)
        for equal in (True, False):
            fast = t_test(m1, sd1, n1, m2, sd2, n2, equal_var=equal)
            ref = stats.ttest_ind_from_stats(m1, sd1, n1, m2, sd2, n2, equal_var=equal)
            assert fast is not None and list(map(_bits, fast)) == [
                _bits(ref.statistic), _bits(ref.pvalue)]
        z = rng.gauss(0, 3)
        assert _bits(normal_two_sided_p(z) or -1) == _bits(2 * stats.norm.sf(abs(z)))
    for level in (50, 80, 90, 95, 99, 99.9, 12.3456):
        q = 1 - (1 - level / 100) / 2
        assert _bits(normal_quantile(q) or -1) == _bits(stats.norm.ppf(q))
    assert normal_quantile(1.0) is None and normal_two_sided_p(math.inf) is None


def test_ratio_matcher_equals_matching_roundings() -> None:
    from evidence.stats.numbers import ratio_matcher

    for text in ("12%", "12.5%", "55.17", "50", "0", "100", "33.3", "0.125", "1e1"):
        printed = parse_printed(text)
        assert printed is not None
        for n in (*range(1, 130), 1000, 1024, 8000):
            match = ratio_matcher(printed, n)
            for k in range(min(n, 130) + 1):
                for scale in (1, 100):
                    assert match(k * scale) == matching_roundings(Fraction(k * scale, n),
                                                                  printed), (text, n, k)
