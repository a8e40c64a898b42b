"""Effect sizes with confidence intervals: RR, OR, RD for events/n; MD and Hedges' g for means.

Formulas are those of the Cochrane Handbook (ch. 6 and 10) and RevMan's
"Statistical algorithms" (Deeks & Higgins); Hedges' g follows Borenstein et al.,
"Introduction to Meta-Analysis" (2009), ch. 4. Intervals are Wald intervals on the
log scale for ratios and on the natural scale for differences, at the normal
quantile (RevMan does the same for MD, not a t quantile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from evidence.stats.distributions import normal_quantile

ZERO_CELL_NOTE = "0.5 added to every cell because a cell is zero (as RevMan does)"
# RevMan and the Handbook treat such a table as carrying no information on a relative effect.
BOTH_EXTREME_NOTE = ("not estimable: no events in either arm, or events in every participant "
                     "of both arms")


@dataclass(frozen=True, slots=True)
class Effect:
    """One effect estimate: `measure` is risk_ratio, odds_ratio, risk_difference,
    mean_difference or hedges_g; estimate and CI are None when not estimable."""

    measure: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None  # on the log scale for ratios
    level: float = 95.0
    zero_cell_corrected: bool = False
    note: str | None = None


@lru_cache(maxsize=256)  # a handful of levels (95, 90, 99) over a whole import
def z_quantile(level: float) -> float:
    """Two-sided normal quantile for a CI level in percent (95 -> 1.959964)."""
    q = 1 - (1 - level / 100) / 2
    z = normal_quantile(q)
    if z is None:
        from scipy.stats import norm

        z = float(norm.ppf(q))
    return z


def _cells(e1: int, n1: int, e2: int, n2: int) -> tuple[float, float, float, float, bool]:
    a, b, c, d = float(e1), float(n1 - e1), float(e2), float(n2 - e2)
    if 0 in (a, b, c, d):
        return a + 0.5, b + 0.5, c + 0.5, d + 0.5, True
    return a, b, c, d, False


def _check_counts(e1: int, n1: int, e2: int, n2: int) -> None:
    if n1 <= 0 or n2 <= 0 or not 0 <= e1 <= n1 or not 0 <= e2 <= n2:
        raise ValueError(f"invalid 2x2 counts {e1}/{n1} vs {e2}/{n2}")


def _both_extreme(e1: int, n1: int, e2: int, n2: int) -> bool:
    return (e1 == 0 and e2 == 0) or (e1 == n1 and e2 == n2)


def _ratio(measure: str, log_est: float, se: float, level: float, corrected: bool) -> Effect:
    z = z_quantile(level)
    low, high = math.exp(log_est - z * se), math.exp(log_est + z * se)
    return Effect(measure, math.exp(log_est), low, high, se, level, corrected,
                  ZERO_CELL_NOTE if corrected else None)


def risk_ratio(e1: int, n1: int, e2: int, n2: int, *, level: float = 95.0) -> Effect:
    """Risk ratio of arm 1 over arm 2 with a log-scale Wald CI."""
    _check_counts(e1, n1, e2, n2)
    if _both_extreme(e1, n1, e2, n2):
        return Effect("risk_ratio", None, None, None, None, level, note=BOTH_EXTREME_NOTE)
    a, b, c, d, corrected = _cells(e1, n1, e2, n2)
    m1, m2 = a + b, c + d
    se = math.sqrt(1 / a - 1 / m1 + 1 / c - 1 / m2)
    return _ratio("risk_ratio", math.log((a / m1) / (c / m2)), se, level, corrected)


def odds_ratio(e1: int, n1: int, e2: int, n2: int, *, level: float = 95.0) -> Effect:
    """Odds ratio of arm 1 over arm 2 with a log-scale Wald (Woolf) CI."""
    _check_counts(e1, n1, e2, n2)
    if _both_extreme(e1, n1, e2, n2):
        return Effect("odds_ratio", None, None, None, None, level, note=BOTH_EXTREME_NOTE)
    a, b, c, d, corrected = _cells(e1, n1, e2, n2)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return _ratio("odds_ratio", math.log((a * d) / (b * c)), se, level, corrected)


def risk_difference(e1: int, n1: int, e2: int, n2: int, *, level: float = 95.0) -> Effect:
    """Risk difference (arm 1 minus arm 2) with a Wald CI; no zero-cell correction is needed."""
    _check_counts(e1, n1, e2, n2)
    p1, p2 = e1 / n1, e2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    if se == 0:
        return Effect("risk_difference", p1 - p2, None, None, 0.0, level,
                      note="CI not computable: standard error is zero (0% or 100% in both arms)")
    z = z_quantile(level)
    return Effect("risk_difference", p1 - p2, p1 - p2 - z * se, p1 - p2 + z * se, se, level)


def binary_effects(e1: int, n1: int, e2: int, n2: int, *, level: float = 95.0) -> list[Effect]:
    """RR, OR and RD of arm 1 versus arm 2."""
    return [risk_ratio(e1, n1, e2, n2, level=level), odds_ratio(e1, n1, e2, n2, level=level),
            risk_difference(e1, n1, e2, n2, level=level)]


def mean_difference(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int, *,
                    level: float = 95.0) -> Effect:
    """Mean difference (arm 1 minus arm 2) with a normal-quantile Wald CI."""
    if n1 <= 0 or n2 <= 0 or sd1 < 0 or sd2 < 0:
        raise ValueError(f"invalid summary data n={n1}, {n2}; SD={sd1}, {sd2}")
    se = math.sqrt(sd1**2 / n1 + sd2**2 / n2)
    z = z_quantile(level)
    return Effect("mean_difference", m1 - m2, m1 - m2 - z * se, m1 - m2 + z * se, se, level)


def hedges_g(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int, *,
             level: float = 95.0) -> Effect:
    """Standardised mean difference as Hedges' g (Borenstein et al. 2009, eqs 4.18-4.24)."""
    if n1 < 2 or n2 < 2 or sd1 < 0 or sd2 < 0:
        raise ValueError(f"invalid summary data n={n1}, {n2}; SD={sd1}, {sd2}")
    df = n1 + n2 - 2
    s_within = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / df)
    if s_within == 0:
        return Effect("hedges_g", None, None, None, None, level,
                      note="not estimable: both standard deviations are zero")
    d = (m1 - m2) / s_within
    var_d = (n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2))
    # Hedges' approximation to the exact gamma-function correction, as Borenstein and RevMan use.
    j = 1 - 3 / (4 * df - 1)
    se = math.sqrt(j**2 * var_d)
    z = z_quantile(level)
    g = j * d
    return Effect("hedges_g", g, g - z * se, g + z * se, se, level)


def continuous_effects(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int, *,
                       level: float = 95.0) -> list[Effect]:
    """MD and Hedges' g of arm 1 versus arm 2 (g only when each arm has at least 2 people)."""
    out = [mean_difference(m1, sd1, n1, m2, sd2, n2, level=level)]
    if n1 >= 2 and n2 >= 2:
        out.append(hedges_g(m1, sd1, n1, m2, sd2, n2, level=level))
    return out
