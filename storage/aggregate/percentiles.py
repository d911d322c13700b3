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
from storage.aggregate.sql import (
    conditions,
    expression,
    filter_conditions,
    filter_on,
    group,
    group_on,
)
from storage.db import in_snapshot
from storage.rollups.store import months_in, spans
from storage.rollups.tables import (
    BASE,
    ROLLUP_HISTOGRAMS,
    ROLLUP_MONTH_HISTOGRAMS,
    ROLLUP_SEGMENT_HISTOGRAMS,
)
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
    """Whether the daily histograms serve these percentiles: the cube's own with no filter and
    no grouping; a segment dimension's when every filter and the grouping are on it."""
    column = spec.expr.column
    if spec.expr.minus is not None or column not in rolled.cube.histograms:
        return False
    if not all(
        isinstance(c, Cond) and c.op == "notnull" and c.column == column for c in spec.where
    ):
        return False
    if rolled.dimension == BASE:
        return not scan.filters and scan.group_by is None
    on_it = all(f.name == rolled.dimension for f in scan.filters)
    return on_it and scan.group_by in (None, rolled.dimension)


def guided(
    *,
    session: Session,
    table: Table,
    rolled: Rolled,
    scan: Scan,
    spec: Percentiles,
    window: int,
    where: list[ColumnElement[bool]],
    group: ColumnElement[Any] | None,
) -> ByGroup | None:
    """Exact percentiles guided by the daily histograms (None: read the records instead).

    The window's histogram (per group) is summed from the rolled-up days and the ragged spans'
    records; it locates the two values around each quantile, which `_select_ranks` reads from
    the records. The two reads must see the same data, so this needs a snapshot session. On
    SQLite a segment's percentiles over more than EXACT_LIMIT values come from the histogram
    itself, as they do from the records (`from_records`): the answers are the same.
    """
    if not in_snapshot(session):
        return None
    per_group = _window_buckets(session, scan, table, rolled, spec, window)
    if per_group is None:
        return None
    segmented = rolled.dimension != BASE
    if segmented and session.get_bind().dialect.name == "sqlite":
        largest = max((sum(c for c, _, _ in b.values()) for b in per_group.values()), default=0)
        if largest > EXACT_LIMIT:
            return {
                key: {q: bucket_quantile(buckets, q) for q in spec.quantiles}
                for key, buckets in per_group.items()
            }
    value = table.c[spec.expr.column]
    out: ByGroup = {}
    for key, buckets in per_group.items():
        scope = [*where, *conditions(table, spec.where)]
        if group is not None:
            scope.append(group.is_(None) if key is None else group == key)
        out[key] = _select_ranks(session, value, scope, buckets, spec.quantiles)[None]
    return out


def _window_buckets(
    session: Session, scan: Scan, table: Table, rolled: Rolled, spec: Percentiles, window: int
) -> dict[str | None, Buckets] | None:
    """One window's histogram per group: the rolled-up days' buckets plus the ragged spans'
    records (the cube's own histograms, or a segment dimension's filtered and grouped)."""
    split = rolled.splits[window]
    if not split.runs:
        return None
    cube = rolled.cube
    value = table.c[spec.expr.column]
    time = table.c[cube.time_column]
    grouped = scan.group_by is not None
    months, days = months_in(split.runs)
    branches: list[Any] = []
    for h, at, spans_of in (
        (ROLLUP_MONTH_HISTOGRAMS, "month", months),
        (ROLLUP_SEGMENT_HISTOGRAMS if rolled.dimension else ROLLUP_HISTOGRAMS, "day", days),
    ):
        if not spans_of:
            continue
        stored: list[ColumnElement[bool]] = []
        stored_key: ColumnElement[Any] = literal(0)
        if rolled.dimension != BASE or at == "month":
            stored.append(h.c.dimension == rolled.dimension)
        if rolled.dimension != BASE:
            stored += [filter_on(h.c.value, f) for f in scan.filters]
            if grouped:
                stored_key = group_on(h.c.value, scan.keep_groups)
        branches.append(
            select(stored_key.label("g"), h.c.bucket.label("b"), h.c.n, h.c.low, h.c.high).where(
                h.c.cube == cube.name,
                h.c.measure == spec.expr.column,
                *stored,
                spans(h.c[at], spans_of),
            )
        )
    key = group(scan.source, scan.group_by, scan.keep_groups) if grouped else None
    raw_key: ColumnElement[Any] = literal(0) if key is None else key
    for a, b in split.raw:
        columns = histogram_columns(value)
        branches.append(
            select(raw_key.label("g"), *columns)
            .where(
                time >= a,
                time < b,
                value.is_not(None),
                *filter_conditions(scan.source, scan.filters),
            )
            .group_by(raw_key, columns[0].element)
        )
    combined: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    both = combined.subquery("h")
    stmt = select(
        both.c.g, both.c.b, func.sum(both.c.n), func.min(both.c.low), func.max(both.c.high)
    ).group_by(both.c.g, both.c.b)
    out: dict[str | None, Buckets] = {}
    for g, *row in session.execute(stmt):
        add_bucket(out.setdefault(g if grouped else None, {}), *row)
    return out or {None: {}}


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
    percent of the window's values at most, where `percentile_cont` sorts all of them. The two
    ranks of a quantile are neighbours: one read (LIMIT 2) fetches both, and every read of a
    question goes in one statement.
    """
    ordered = in_order(buckets)
    n = sum(count for _, (count, _, _) in ordered)
    if n == 0:
        return {None: dict.fromkeys(quantiles)}
    starts = list(itertools.accumulate((count for _, (count, _, _) in ordered), initial=0))
    positions = {q: q * (n - 1) for q in quantiles}
    ranks = sorted({r for p in positions.values() for r in (math.floor(p), math.ceil(p))})
    found: dict[int, float] = {}
    wanted: dict[int, list[int]] = {}  # bucket index → the ranks to read from it
    for rank in ranks:
        index = bisect.bisect_right(starts, rank) - 1
        offset = rank - starts[index]
        count, low, high = ordered[index][1]
        if offset == 0 or low == high:
            found[rank] = low
        elif offset == count - 1:
            found[rank] = high
        else:
            wanted.setdefault(index, []).append(rank)
    reads: list[Any] = []
    spans_of: list[tuple[int, int]] = []  # (first rank, how many) of each read
    for index, needed in wanted.items():
        _, low, high = ordered[index][1]
        needed.sort()
        first = needed[0]
        while needed:  # neighbouring ranks in one read
            run = [r for r in needed if r - first < 2]
            needed = [r for r in needed if r - first >= 2]
            size = run[-1] - first + 1
            # bucket values are contiguous in value order: [low, high] holds no other
            inner = (
                select(value.label("x"))
                .where(*where, value >= low, value <= high)
                .order_by(value)
                .limit(size)
                .offset(first - starts[index])
                .subquery()
            )
            reads.append(select(literal(len(spans_of)).label("t"), inner.c.x))
            spans_of.append((first, size))
            if needed:
                first = needed[0]
    if reads:
        statement: Any = union_all(*reads) if len(reads) > 1 else reads[0]
        values: dict[int, list[float]] = {}
        for tag, x in session.execute(statement):
            values.setdefault(int(tag), []).append(float(x))
        for tag, (first, size) in enumerate(spans_of):
            for step, x in enumerate(sorted(values.get(tag, []))[:size]):
                found[first + step] = x
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
