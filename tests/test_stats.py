"""The statistics: rounding, NPS arithmetic and intervals, Wilson, t, significance."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.stats import (
    mean_and_variance,
    nps_interval,
    nps_value,
    round_half_away,
    t_interval,
    t_quantile,
    two_proportion_test,
    wilson_interval,
    z_test,
)


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (12.5, 0, 13),
        (-12.5, 0, -13),
        (0.5, 0, 1),
        (2.675, 2, 2.68),
        (1.45, 1, 1.5),
        (-0.05, 1, -0.1),
    ],
)
def test_round_half_away_from_zero(value: float, digits: int, shown: float) -> None:
    assert round_half_away(value, digits) == shown


def test_nps_from_integer_counts_in_one_step() -> None:
    assert nps_value(5, 2, 24) == 12.5  # 5 promoters, 17 passives, 2 detractors
    assert round_half_away(nps_value(5, 2, 24) or 0) == 13
    assert nps_value(10, 5, 20) == 25  # the seeds' worked example
    assert nps_value(0, 0, 3) == 0
    assert nps_value(0, 0, 0) is None


def test_segments_are_pooled_not_averaged() -> None:
    segments = [(3, 0, 2), (1, 3, 4), (0, 3, 4)]
    p = sum(s[0] for s in segments)
    d = sum(s[2] for s in segments)
    n = sum(sum(s) for s in segments)
    assert nps_value(p, d, n) == -30


def test_adjusted_wald_interval() -> None:
    ci = nps_interval(10, 5, 20)
    assert ci is not None
    n = 23
    p, d = 10.75 / n, 5.75 / n
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert ci.low == pytest.approx(100 * (p - d - half))
    assert ci.high == pytest.approx(100 * (p - d + half))
    extreme = nps_interval(30, 0, 30)
    assert extreme is not None
    assert extreme.high <= 100


def test_wilson_interval_known_value() -> None:
    ci = wilson_interval(70, 100)
    assert ci is not None
    assert (round(ci.low, 2), round(ci.high, 2)) == (60.42, 78.11)
    zero = wilson_interval(0, 10)
    assert zero is not None
    assert zero.low == 0
    assert zero.high > 0
    assert wilson_interval(0, 0) is None


def test_t_quantiles_match_tables() -> None:
    assert t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=1e-3)
    assert t_quantile(0.975, 29) == pytest.approx(2.045, abs=1e-3)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962, abs=1e-3)


def test_mean_interval() -> None:
    values = [4.0, 5.0, 6.0, 7.0, 3.0]
    stats = mean_and_variance(sum(values), sum(v * v for v in values), len(values))
    assert stats == (5.0, 2.5)
    ci = t_interval(5.0, 2.5, 5)
    assert ci is not None
    assert ci.high - 5.0 == pytest.approx(2.776 * math.sqrt(2.5 / 5), abs=1e-3)
    assert t_interval(5.0, 0.0, 1) is None


def test_significance() -> None:
    assert two_proportion_test(700, 1000, 600, 1000) is True
    assert two_proportion_test(7, 10, 6, 10) is False
    assert two_proportion_test(1, 0, 1, 10) is None
    assert z_test(4.0, 10.0, 10.0) is False
    assert z_test(20.0, 10.0, 10.0) is True
    assert z_test(None, 1.0, 1.0) is None


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_nps_interval_contains_the_estimate_and_stays_in_range(p: int, s: int, d: int) -> None:
    n = p + s + d
    if n == 0:
        assert nps_interval(p, d, n) is None
        return
    ci = nps_interval(p, d, n)
    assert ci is not None
    assert -100 <= ci.low <= ci.high <= 100
    centre = 100 * ((p + 0.75) - (d + 0.75)) / (n + 3)
    assert ci.low <= centre <= ci.high
