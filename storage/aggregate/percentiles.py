"""Percentiles (medians, p90) of a window, exact, by one of four strategies.

- `histogram` (`guided`): the window's log-bucket histogram, summed from the daily rollups and
  the ragged spans' records, says which bucket holds each of the two ranks around a quantile
  and at which offset; only those values are read from the records, in order, off an index on
  (value, time). Needs a snapshot session (the histogram and the records must agree) and no
  filter or grouping.
- otherwise from the records (`from_records`):
  - PostgreSQL: `percentile_cont(q) WITHIN GROUP (ORDER BY …)`;
  - SQLite, at most EXACT_LIMIT values per group: exact order statistics with `row_number()`
    over the sorted values, interpolated as `percentile_cont` does, returning only the rows
    around each quantile;
  - SQLite, above it: a log-bucket histogram computed in SQL (`storage.sketch`), within
    RELATIVE_ERROR of the order statistic at rank ⌊(n − 1)q⌋.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from query.plan import Cond, Percentiles, Scan
from storage.aggregate.cells import Rolled
from storage.aggregate.sql import conditions, expression, spans
from storage.db import in_snapshot
from storage.rollups.tables import ROLLUP_HISTOGRAMS
from storage.sketch import Buckets, add_bucket, bucket_quantile, histogram_columns, in_order

#: Percentile values per group: {group: {q: value}}.
ByGroup = dict[str | None, dict[float, float | None]]

#: PostgreSQL: the memory a percentile's sort may use before spilling to disk (per query).
SORT_MEMORY = "64MB"

#: On SQLite, percentiles over at most this many values are exact; above it they come from a
#: log-bucket histogram computed in SQL (`storage.sketch`), within RELATIVE_ERROR of the exact
#: order statistic.
EXACT_LIMIT = 20_000


def histogram_serves(rolled: Rolled, scan: Scan, spec: Percentiles) -> bool:
    """Whether the daily histograms serve these percentiles (no filter, no grouping)."""
    column = spec.expr.column
    return (
        not scan.filters
        and scan.group_by is None
        and spec.expr.minus is None
        and column in rolled.cube.histograms
        and all(
            isinstance(c, Cond) and c.op == "notnull" and c.column == column for c in spec.where
        )
    )


def guided(
    *,
    session: Session,
    table: Table,
    rolled: Rolled,
    spec: Percentiles,
    window: int,
    where: list[ColumnElement[bool]],
) -> ByGroup | None:
    """Exact percentiles guided by the daily histograms (None: read the records instead).

    The window's histogram is summed from the rolled-up days and the ragged spans' records;
    it locates the two values around each quantile, which `_select_ranks` reads from the
    records. The two reads must see the same data, so this needs a snapshot session.
    """
    if not in_snapshot(session):
        return None
    buckets = _window_buckets(session, table, rolled, spec, window)
    if buckets is None:
        return None
    scope = [*where, *conditions(table, spec.where)]
    return _select_ranks(session, table.c[spec.expr.column], scope, buckets, spec.quantiles)


def _window_buckets(
    session: Session, table: Table, rolled: Rolled, spec: Percentiles, window: int
) -> Buckets | None:
    """One window's histogram: rolled-up days' buckets plus the ragged spans' records."""
    split = rolled.splits[window]
    if not split.runs:
        return None
    cube = rolled.cube
    value = table.c[spec.expr.column]
    time = table.c[cube.time_column]
    h = ROLLUP_HISTOGRAMS
    branches: list[Any] = [
        select(h.c.bucket.label("b"), h.c.n, h.c.low, h.c.high).where(
            h.c.cube == cube.name, h.c.measure == spec.expr.column, spans(h.c.day, split.runs)
        )
    ]
    for a, b in split.raw:
        columns = histogram_columns(value)
        branches.append(
            select(*columns)
            .where(time >= a, time < b, value.is_not(None))
            .group_by(columns[0].element)
        )
    combined: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    both = combined.subquery("h")
    stmt = select(both.c.b, func.sum(both.c.n), func.min(both.c.low), func.max(both.c.high))
    buckets: Buckets = {}
    for row in session.execute(stmt.group_by(both.c.b)):
        add_bucket(buckets, *row)
    return buckets


def _select_ranks(
    session: Session,
    value: ColumnElement[Any],
    where: list[ColumnElement[bool]],
    buckets: Buckets,
    quantiles: Sequence[float],
) -> ByGroup:
    """Exact `percentile_cont` values, reading only the records at the ranks they need.

    Each quantile needs the values at two ranks; the histogram says which bucket holds each rank
    and at which offset. A bucket's smallest and largest values are in the histogram; any other
    offset is read from the index on (value, time), in order, within that bucket's bounds: a
    percent of the window's values at most, where `percentile_cont` sorts all of them.
    """
    ordered = in_order(buckets)
    n = sum(count for _, (count, _, _) in ordered)
    if n == 0:
        return {None: dict.fromkeys(quantiles)}
    starts = list(itertools.accumulate((count for _, (count, _, _) in ordered), initial=0))
    positions = {q: q * (n - 1) for q in quantiles}
    ranks = sorted({r for p in positions.values() for r in (math.floor(p), math.ceil(p))})
    found: dict[int, float] = {}
    reads: list[tuple[int, ColumnElement[Any]]] = []
    for rank in ranks:
        index = bisect.bisect_right(starts, rank) - 1
        offset = rank - starts[index]
        count, low, high = ordered[index][1]
        if offset == 0 or low == high:
            found[rank] = low
        elif offset == count - 1:
            found[rank] = high
        else:  # bucket values are contiguous in value order: [low, high] holds no other
            read = (
                select(value)
                .where(*where, value >= low, value <= high)
                .order_by(value)
                .limit(1)
                .offset(offset)
                .scalar_subquery()
            )
            reads.append((rank, read))
    if reads:
        row = session.execute(select(*[read for _, read in reads])).one()
        for (rank, _), x in zip(reads, row, strict=True):
            found[rank] = float(x)
    out: dict[float, float | None] = {}
    for q, position in positions.items():
        below = math.floor(position)
        low = found[below]
        high = found[math.ceil(position)]
        # percentile_cont's own interpolation, operation for operation
        out[q] = low if below == position else low + (high - low) * (position - below)
    return {None: out}


def from_records(
    *,
    session: Session,
    table: Table,
    spec: Percentiles,
    where: list[ColumnElement[bool]],
    group: ColumnElement[Any] | None,
) -> ByGroup:
    """Percentiles of one window (per group) read from its records."""
    dialect = session.get_bind().dialect.name
    value = expression(dialect, table, spec.expr)
    where = [*where, *conditions(table, spec.where)]
    out: ByGroup = {}
    quantiles = list(spec.quantiles)
    if dialect == "postgresql":
        # percentile_cont sorts the window's values: a year of tickets overflows the default
        # 4 MB of work_mem and sorts on disk, twice as slow as in memory. For this transaction.
        session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))
        aggs = [
            func.percentile_cont(q).within_group(value).label(f"q{i}")
            for i, q in enumerate(quantiles)
        ]
        group_cols = [] if group is None else [group.label("g")]
        stmt = select(*group_cols, *aggs).select_from(table).where(*where)
        if group is not None:
            stmt = stmt.group_by(group)
        for row in session.execute(stmt):
            key = row[0] if group is not None else None
            offset = 1 if group is not None else 0
            out[key] = {
                q: None if row[offset + i] is None else float(row[offset + i])
                for i, q in enumerate(quantiles)
            }
        return out
    g = group if group is not None else literal(0)
    histogram = _histogram(session, table, value, where, g)
    largest = max(
        (sum(c for c, _, _ in buckets.values()) for buckets in histogram.values()), default=0
    )
    if largest > EXACT_LIMIT:
        for key, buckets in histogram.items():
            out[None if group is None else key] = {
                q: bucket_quantile(buckets, q) for q in quantiles
            }
        return out
    # Few enough values: rank them and keep only the rows on either side of each quantile.
    inner = (
        select(
            g.label("g"),
            value.label("x"),
            func.row_number().over(partition_by=g, order_by=value).label("rn"),
            func.count().over(partition_by=g).label("cnt"),
        )
        .select_from(table)
        .where(*where)
        .subquery()
    )
    picks = []
    for q in quantiles:
        base = cast((inner.c.cnt - 1) * q, Integer) + 1
        picks.extend([inner.c.rn == base, inner.c.rn == base + 1])
    stmt = select(inner.c.g, inner.c.rn, inner.c.cnt, inner.c.x).where(or_(*picks))
    ranked: dict[Any, dict[int, float]] = {}
    counts: dict[Any, int] = {}
    for key, rn, cnt, x in session.execute(stmt):
        ranked.setdefault(key, {})[int(rn)] = float(x)
        counts[key] = int(cnt)
    for key, by_rank in ranked.items():
        n = counts[key]
        values: dict[float, float | None] = {}
        for q in quantiles:
            position = (n - 1) * q
            below = math.floor(position)
            low = by_rank[below + 1]
            high = by_rank.get(below + 2, low)
            values[q] = low + (position - below) * (high - low)
        out[None if group is None else key] = values
    return out


def _histogram(
    session: Session,
    table: Table,
    value: ColumnElement[Any],
    where: list[ColumnElement[bool]],
    g: ColumnElement[Any],
) -> dict[Any, Buckets]:
    """Counts of values per logarithmic bucket (with each bucket's min and max), per group."""
    columns = histogram_columns(value)
    stmt = (
        select(g.label("g"), *columns)
        .select_from(table)
        .where(*where, value.is_not(None))
        .group_by(g, columns[0].element)
    )
    out: dict[Any, Buckets] = {}
    for key, *row in session.execute(stmt):
        add_bucket(out.setdefault(key, {}), *row)
    return out
