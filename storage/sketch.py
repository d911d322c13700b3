"""Log-bucket histograms: percentiles within a stated relative error from bucket counts.

Bucket i holds (γ^(i−1), γ^i] with γ = (1 + α)/(1 − α), so any value in it is within α of
2γ^i/(γ + 1) (the DDSketch bound); zero and negative values share one bucket (None). The
bucket of a value is computed in SQL, so counts per bucket are an aggregate the database
returns (from the records, or summed from the daily rollups, which keep the same buckets).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func

#: The relative error of a percentile read from the buckets.
RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
LOG_GAMMA = math.log(GAMMA)

#: {bucket: (count, smallest value, largest value)}
Buckets = dict[int | None, tuple[int, float, float]]


def log_bucket(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """The SQL bucket number of a value (NULL for zero and negative values)."""
    return case((value > 0, cast(func.ceil(func.ln(value) / LOG_GAMMA), Integer)), else_=None)


def histogram_columns(value: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """SQL: a value's bucket (`b`), then per bucket its count (`n`), smallest and largest value
    (`low`, `high`): GROUP BY the first. The records' histograms and the daily ones alike."""
    return [
        log_bucket(value).label("b"),
        func.count().label("n"),
        func.min(value).label("low"),
        func.max(value).label("high"),
    ]


def add_bucket(buckets: Buckets, b: Any, count: Any, low: Any, high: Any) -> None:
    """Put one (bucket, count, low, high) row the database returned into `buckets`."""
    buckets[None if b is None else int(b)] = (int(count), float(low), float(high))


def in_order(buckets: Buckets) -> list[tuple[int | None, tuple[int, float, float]]]:
    """The buckets from the smallest values up (zero and negative values first)."""
    return sorted(buckets.items(), key=lambda item: -math.inf if item[0] is None else item[0])


def bucket_quantile(buckets: Buckets, q: float) -> float | None:
    """The q-quantile (as percentile_cont's nearest lower order statistic) from the buckets."""
    n = sum(count for count, _, _ in buckets.values())
    if n == 0:
        return None
    rank = math.floor((n - 1) * q)  # 0-based
    seen = 0
    ordered = in_order(buckets)
    for index, (count, low, high) in ordered:
        if rank < seen + count:
            if index is None or low == high:
                return low if index is None or low == high else high
            estimate = 2 * GAMMA**index / (GAMMA + 1)
            return min(max(estimate, low), high)
        seen += count
    return ordered[-1][1][2]
