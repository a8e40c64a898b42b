"""Effect sizes against published worked examples and hand arithmetic."""

from __future__ import annotations

import math

import pytest

from evidence.stats.effects import (
    BOTH_EXTREME_NOTE,
    ZERO_CELL_NOTE,
    binary_effects,
    continuous_effects,
    hedges_g,
    mean_difference,
    odds_ratio,
    risk_difference,
    risk_ratio,
    z_quantile,
)

Z95 = 1.959963984540054  # norm.ppf(0.975), to double precision


def test_z_quantile() -> None:
    assert z_quantile(95) == pytest.approx(Z95, rel=1e-15)
    assert z_quantile(90) == pytest.approx(1.6448536269514722, rel=1e-15)


def test_risk_ratio_matches_lachin_example_documented_by_scipy() -> None:
    # Lachin, "Biostatistical Methods" (2000), Example 3.1 (CHD by catecholamine level),
    # as printed in the docstring of scipy.stats.contingency.relative_risk:
    # relative_risk(27, 122, 44, 487) -> 2.4495156482861398, 95% CI 1.5836990926700116 to
    # 3.7886786315466354 (log method).
    rr = risk_ratio(27, 122, 44, 487)
    assert rr.estimate == pytest.approx(2.4495156482861398, rel=1e-12)
    assert rr.ci_low == pytest.approx(1.5836990926700116, rel=1e-9)
    assert rr.ci_high == pytest.approx(3.7886786315466354, rel=1e-9)
    assert not rr.zero_cell_corrected and rr.note is None


def test_odds_ratio_woolf_interval_by_hand_and_by_scipy() -> None:
    # Same table: OR = (27 x 443) / (95 x 44) = 11961 / 4180; Woolf SE of log OR is
    # sqrt(1/27 + 1/95 + 1/44 + 1/443).
    res = odds_ratio(27, 122, 44, 487)
    se = math.sqrt(1 / 27 + 1 / 95 + 1 / 44 + 1 / 443)
    assert res.estimate == pytest.approx(11961 / 4180, rel=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    assert res.ci_low == pytest.approx(11961 / 4180 * math.exp(-Z95 * se), rel=1e-12)
    assert res.ci_high == pytest.approx(11961 / 4180 * math.exp(Z95 * se), rel=1e-12)
    # scipy's sample odds ratio uses the same (Woolf) interval: an independent implementation.
    from scipy.stats.contingency import odds_ratio as scipy_or

    ci = scipy_or([[27, 95], [44, 443]], kind="sample").confidence_interval(0.95)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_risk_difference_wald_by_hand() -> None:
    # 50/100 vs 25/100: RD 0.25, SE sqrt(0.5*0.5/100 + 0.25*0.75/100) = sqrt(0.004375).
    rd = risk_difference(50, 100, 25, 100)
    se = math.sqrt(0.004375)
    assert rd.estimate == pytest.approx(0.25)
    assert rd.se == pytest.approx(se)
    assert (rd.ci_low, rd.ci_high) == pytest.approx((0.25 - Z95 * se, 0.25 + Z95 * se))
    assert rd.ci_low is not None and rd.ci_high is not None
    assert round(rd.ci_low, 4) == 0.1204 and round(rd.ci_high, 4) == 0.3796


def test_seed_week24_effects() -> None:
    # 19/29 vs 11/30 (seed trial, SRI-4 at week 24).
    rr, or_, rd = binary_effects(19, 29, 11, 30)
    assert rr.estimate == pytest.approx((19 / 29) / (11 / 30))
    assert or_.estimate == pytest.approx((19 * 19) / (10 * 11))
    assert rd.estimate == pytest.approx(19 / 29 - 11 / 30)
    assert [e.measure for e in (rr, or_, rd)] == ["risk_ratio", "odds_ratio", "risk_difference"]
    assert rr.ci_low is not None and rr.ci_high is not None
    assert (round(rr.ci_low, 2), round(rr.ci_high, 2)) == (1.04, 3.06)


def test_zero_cell_adds_half_to_every_cell_and_says_so() -> None:
    # 0/10 vs 5/10 -> cells 0.5, 10.5, 5.5, 5.5 (RevMan's rule).
    rr = risk_ratio(0, 10, 5, 10)
    assert rr.zero_cell_corrected and rr.note == ZERO_CELL_NOTE
    assert rr.estimate == pytest.approx((0.5 / 11) / (5.5 / 11))
    assert rr.se == pytest.approx(math.sqrt(1 / 0.5 - 1 / 11 + 1 / 5.5 - 1 / 11))
    or_ = odds_ratio(0, 10, 5, 10)
    assert or_.estimate == pytest.approx((0.5 * 5.5) / (10.5 * 5.5))
    assert or_.zero_cell_corrected
    # The risk difference needs no correction.
    rd = risk_difference(0, 10, 5, 10)
    assert rd.estimate == pytest.approx(-0.5) and not rd.zero_cell_corrected


def test_no_events_in_either_arm_is_not_estimable_as_a_ratio() -> None:
    for effect in (risk_ratio(0, 10, 0, 12), odds_ratio(10, 10, 12, 12)):
        assert effect.estimate is None and effect.ci_low is None
        assert effect.note == BOTH_EXTREME_NOTE
    rd = risk_difference(0, 10, 0, 12)
    assert rd.estimate == 0 and rd.ci_low is None and rd.note is not None


def test_invalid_counts_raise() -> None:
    with pytest.raises(ValueError):
        risk_ratio(11, 10, 1, 10)
    with pytest.raises(ValueError):
        odds_ratio(1, 0, 1, 10)


# Borenstein, Hedges, Higgins & Rothstein, "Introduction to Meta-Analysis" (Wiley 2009),
# ch. 4 worked example: means 103 and 100, SDs 5.5 and 4.5, n 50 and 50, giving
# S_within 5.0249, d 0.5970, V_d 0.0418, J 0.9923, g 0.5924, V_g 0.0411, SE_g 0.2028.
BORENSTEIN = (103.0, 5.5, 50, 100.0, 4.5, 50)


def test_hedges_g_matches_borenstein_chapter_4() -> None:
    g = hedges_g(*BORENSTEIN)
    assert g.estimate is not None and g.se is not None
    assert g.estimate == pytest.approx(0.5924, abs=5e-5)
    assert g.se**2 == pytest.approx(0.0411, abs=5e-5)
    assert g.se == pytest.approx(0.2028, abs=5e-5)
    assert (g.ci_low, g.ci_high) == pytest.approx((g.estimate - Z95 * g.se,
                                                   g.estimate + Z95 * g.se))
    # d itself, undoing J = 1 - 3/(4*98 - 1):
    assert g.estimate / (1 - 3 / 391) == pytest.approx(0.5970, abs=5e-5)


def test_mean_difference_borenstein_data() -> None:
    md = mean_difference(*BORENSTEIN)
    se = math.sqrt(5.5**2 / 50 + 4.5**2 / 50)  # sqrt(1.01)
    assert md.estimate == 3.0
    assert md.se == pytest.approx(se)
    assert (md.ci_low, md.ci_high) == pytest.approx((3 - Z95 * se, 3 + Z95 * se))
    assert [e.measure for e in continuous_effects(*BORENSTEIN)] == ["mean_difference",
                                                                    "hedges_g"]


def test_hedges_g_edge_cases() -> None:
    assert hedges_g(1, 0, 5, 1, 0, 5).estimate is None
    assert [e.measure for e in continuous_effects(1, 1, 1, 2, 1, 5)] == ["mean_difference"]
    with pytest.raises(ValueError):
        hedges_g(1, 1, 1, 2, 1, 5)
