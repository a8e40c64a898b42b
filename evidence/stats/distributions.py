"""scipy.stats' normal quantile and two-arm test p-values, computed on scipy.special directly.

scipy.stats gets these numbers from the scipy.special functions used here, but its
distribution objects check and broadcast their arguments on every call: ~100 µs each,
most of `run_checks`, and importing scipy.stats costs a second more than scipy.special.
Each function repeats scipy.stats' arithmetic operation for operation, so results are
bit-identical (tests/test_stats_tests.py compares them with scipy.stats over a grid of
tables). A case off that well-trodden path (huge counts, a zero or non-finite intermediate
value, where numpy and Python arithmetic differ) returns None and the caller asks
scipy.stats itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# Below 2**53 every integer, sum and product of counts used here is exact in a float, so
# Python's int and float arithmetic equals numpy's int64 and float64 arithmetic.
_EXACT_INT = 2**53


@lru_cache(maxsize=1)
def _special() -> Any:
    import scipy.special

    return scipy.special


@lru_cache(maxsize=1)
def _hypergeom() -> tuple[Any, Any, Any] | None:
    """The boost ufuncs behind scipy.stats.hypergeom (private; 1.17 has them), or None."""
    try:
        from scipy.special import _ufuncs
    except ImportError:  # pragma: no cover - scipy moved its private ufuncs
        return None
    names = ("_hypergeom_pmf", "_hypergeom_cdf", "_hypergeom_sf")
    found = tuple(getattr(_ufuncs, name, None) for name in names)
    if any(f is None for f in found):  # pragma: no cover - older scipy
        return None
    return found[0], found[1], found[2]


def normal_quantile(q: float) -> float | None:
    """norm.ppf(q) for 0 < q < 1 (scipy: ndtri(q) * scale + loc); None otherwise."""
    if not 0 < q < 1:
        return None
    return float(_special().ndtri(q)) * 1.0 + 0.0


def normal_two_sided_p(z: float) -> float | None:
    """2 * norm.sf(abs(z)) (scipy: 2 * ndtr(-x)); None for a non-finite z."""
    if not math.isfinite(z):
        return None
    return float(2 * _special().ndtr(-abs(z)))


def chi_square_2x2(a: int, b: int, c: int, d: int, *, yates: bool) -> tuple[float, float] | None:
    """chi2_contingency([[a, b], [c, d]], correction=yates): statistic and p, or None."""
    n = a + b + c + d
    rows, cols = (a + b, c + d), (a + c, b + d)
    if min(rows + cols) <= 0 or max(rows) * max(cols) >= _EXACT_INT:
        return None
    observed = (float(a), float(b), float(c), float(d))
    expected = tuple(float(r) * float(k) / float(n) for r in rows for k in cols)
    if yates:
        # scipy: observed + min(0.5, |expected - observed|) * sign(expected - observed)
        corrected = []
        for o, e in zip(observed, expected, strict=True):
            diff = e - o
            step = min(0.5, abs(diff))
            corrected.append(o + step if diff > 0 else o - step if diff < 0 else o)
        observed = (corrected[0], corrected[1], corrected[2], corrected[3])
    obs_sum = ((observed[0] + observed[1]) + observed[2]) + observed[3]
    exp_sum = ((expected[0] + expected[1]) + expected[2]) + expected[3]
    # scipy's own consistency check (it raises); let scipy say so.
    if abs(obs_sum - exp_sum) / min(obs_sum, exp_sum) > 2.0**-26:  # sqrt(float64 eps)
        return None
    stat = 0.0
    for o, e in zip(observed, expected, strict=True):
        diff = o - e
        stat += diff * diff / e  # numpy sums four terms in order; x**2 is x*x
    if not math.isfinite(stat):
        return None
    return stat, float(_special().chdtrc(1.0, stat))


def _binary_search(fn: Callable[[int], float], target: float, lo: int, hi: int) -> int:
    # scipy.stats._binomtest._binary_search_for_binom_tst, which fisher_exact uses.
    while lo < hi:
        mid = lo + (hi - lo) // 2
        value = fn(mid)
        if value < target:
            lo = mid + 1
        elif value > target:
            hi = mid - 1
        else:
            return mid
    return lo if fn(lo) <= target else lo - 1


def _clip(p: float) -> float:
    return min(max(p, 0.0), 1.0)


def fisher_exact_2x2(a: int, b: int, c: int, d: int) -> tuple[float, float] | None:
    """fisher_exact([[a, b], [c, d]]), two-sided: odds ratio and p, or None.

    scipy 1.17's algorithm: sum the probability of every table no more probable than the
    observed one (within a relative 1e-14), found by a binary search on each side of the mode.
    """
    ufuncs = _hypergeom()
    if ufuncs is None or min(a, b, c, d) < 0 or max(a * d, b * c, (a + b + c + d + 2) ** 2) >= _EXACT_INT:
        return None
    if 0 in (a + c, b + d, a + b, c + d):
        return math.nan, 1.0
    odds = float(a * d) / float(b * c) if c > 0 and b > 0 else math.inf
    pmf_u, cdf_u, sf_u = ufuncs
    n1, n2, n = a + b, c + d, a + c
    total = n1 + n2
    low, high = max(n - n2, 0), min(n1, n)  # the support of hypergeom(total, n1, n)

    # hypergeom.pmf / cdf / sf(k, total, n1, n): the ufunc inside the support, constants outside.
    shape = (float(n1), float(n), float(total))

    def pmf(k: int) -> float:
        return _clip(float(pmf_u(float(k), *shape))) if low <= k <= high else 0.0

    def cdf(k: int) -> float:
        if k >= high:
            return 1.0
        return _clip(float(cdf_u(float(k), *shape))) if k >= low else 0.0

    def sf(k: int) -> float:
        if k < low:
            return 1.0
        return _clip(float(sf_u(float(k), *shape))) if k < high else 0.0

    mode = int(float((n + 1) * (n1 + 1)) / float(total + 2))
    pexact, pmode = pmf(a), pmf(mode)
    if not (math.isfinite(pexact) and math.isfinite(pmode)) or max(pexact, pmode) == 0:
        return None  # numpy would divide 0 by 0 below; Python raises
    epsilon = 1e-14
    gamma = 1 + epsilon
    if abs(pexact - pmode) / max(pexact, pmode) <= epsilon:
        return odds, 1.0
    if a < mode:
        plower = cdf(a)
        if pmf(n) > pexact * gamma:
            return odds, plower
        guess = _binary_search(lambda x: -pmf(x), -pexact * gamma, mode, n)
        pvalue = plower + sf(guess)
    else:
        pupper = sf(a - 1)
        if pmf(0) > pexact * gamma:
            return odds, pupper
        guess = _binary_search(pmf, pexact * gamma, 0, mode)
        pvalue = pupper + cdf(guess)
    return odds, min(pvalue, 1.0)


def t_test(m1: float, sd1: float, n1: int, m2: float, sd2: float, n2: int, *,
           equal_var: bool) -> tuple[float, float] | None:
    """ttest_ind_from_stats(...), two-sided: t and p for n1, n2 >= 2, or None."""
    if n1 < 2 or n2 < 2 or max(n1, n2) >= _EXACT_INT:
        return None
    # scipy squares the SD arrays (numpy: x*x) but the variance scalars with libm's pow, as
    # Python's ** does; the two differ in the last bit now and then.
    v1, v2 = sd1 * sd1, sd2 * sd2
    if equal_var:
        df = n1 + n2 - 2.0
        denom = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / df * (1.0 / n1 + 1.0 / n2))
    else:
        vn1, vn2 = v1 / n1, v2 / n2
        spread = vn1**2 / (n1 - 1) + vn2**2 / (n2 - 1)
        if spread == 0 or not math.isfinite(spread):
            return None  # numpy's 0/0 gives a NaN df, which scipy then replaces
        df = (vn1 + vn2) ** 2 / spread
        denom = math.sqrt(vn1 + vn2)
    if denom == 0 or not (math.isfinite(denom) and math.isfinite(df)):
        return None
    t = (m1 - m2) / denom
    if not math.isfinite(t):
        return None
    return t, float(2 * _special().stdtr(df, -abs(t)))
