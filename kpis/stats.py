"""The statistics behind every figure: intervals, tests and display rounding.

- NPS: adjusted Wald interval (add 3 to n and ¾ to promoters and detractors; Rocks 2016).
- Shares: Wilson score interval.
- Means: Student t interval.
- Period comparisons: two-sample z tests at 95 %.
Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """A 95 % confidence interval."""

    low: float
    high: float


def round_half_away(value: float, digits: int = 0) -> float:
    """Round half away from zero, once, at display: 12.5 → 13, −12.5 → −13."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def nps_value(promoters: int, detractors: int, n: int) -> float | None:
    """100 × (P − D) / n in one step from integer counts; None without answers."""
    if n <= 0:
        return None
    return 100.0 * (promoters - detractors) / n


def nps_interval(promoters: int, detractors: int, n: int) -> Interval | None:
    """Adjusted Wald 95 % interval for an NPS, clamped to [−100, 100]."""
    if n <= 0:
        return None
    adjusted_n = n + 3
    p = (promoters + 0.75) / adjusted_n
    d = (detractors + 0.75) / adjusted_n
    centre = p - d
    variance = (p + d - centre**2) / adjusted_n
    half = Z95 * math.sqrt(max(variance, 0.0))
    return Interval(max(-100.0, 100 * (centre - half)), min(100.0, 100 * (centre + half)))


def nps_variance(promoters: int, detractors: int, n: int) -> float | None:
    """Variance of an NPS (in points²) from its counts."""
    if n <= 0:
        return None
    p, d = promoters / n, detractors / n
    return 10_000 * (p + d - (p - d) ** 2) / n


def wilson_interval(successes: float, n: float) -> Interval | None:
    """Wilson 95 % interval for a share, in percent."""
    if n <= 0:
        return None
    p = min(max(successes / n, 0.0), 1.0)
    z2 = Z95**2
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Interval(100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def share_variance(successes: float, n: float) -> float | None:
    """Variance of a share in percent points²."""
    if n <= 0:
        return None
    p = min(max(successes / n, 0.0), 1.0)
    return 10_000 * p * (1 - p) / n


def mean_and_variance(total: float, total_sq: float, n: int) -> tuple[float, float] | None:
    """Mean and sample variance from a count, a sum and a sum of squares."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return mean, 0.0
    variance = max((total_sq - total * total / n) / (n - 1), 0.0)
    return mean, variance


def t_interval(mean: float, variance: float, n: int) -> Interval | None:
    """Student t 95 % interval for a mean; None with fewer than two values."""
    if n < 2:
        return None
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return Interval(mean - half, mean + half)


def z_test(delta: float | None, variance_a: float | None, variance_b: float | None) -> bool | None:
    """Whether a difference is significant at 95 % given both estimates' variances."""
    if delta is None or variance_a is None or variance_b is None:
        return None
    spread = variance_a + variance_b
    if spread <= 0:
        return delta != 0
    return abs(delta) / math.sqrt(spread) > Z95


def two_proportion_test(
    successes_a: float, n_a: float, successes_b: float, n_b: float
) -> bool | None:
    """Pooled two-proportion z test at 95 %."""
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (successes_a + successes_b) / (n_a + n_b)
    spread = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    delta = successes_a / n_a - successes_b / n_b
    if spread <= 0:
        return delta != 0
    return abs(delta) / math.sqrt(spread) > Z95


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularised incomplete beta function (Numerical Recipes)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 3e-14:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """The Student t cumulative distribution function."""
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The Student t quantile, by bisection on the CDF (exact to 1e-10)."""
    if df > 1e6:
        return _normal_quantile(p)
    low, high = -1e3, 1e3
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-10:
            break
    return (low + high) / 2


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)
