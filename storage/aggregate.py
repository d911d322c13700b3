"""Turns an aggregate description into one SQL statement and returns plain numbers.

The description is plain data (see the protocols below; `kpis.plan` builds it): measures over a
record source for several windows at once, optionally grouped, plus percentiles and level reads.
Everything is computed in the database:
- counts and sums: one statement of conditional aggregates over the union of the windows, so the
  current and previous periods come from one range scan on the time index;
- percentiles: `percentile_cont … WITHIN GROUP` on PostgreSQL; on SQLite, exact order statistics
  with window functions (`row_number()` over the sorted values, interpolated as
  `percentile_cont` does), which return only the two rows around each quantile;
- levels: the latest reading of each series (source + attribute set) at or before an instant,
  summed per group.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from storage import rollups
from storage.alert_tables import Alert
from storage.db import custom_plans, in_snapshot
from storage.models import Counter, SurveyResponse, Ticket
from storage.rollup_tables import CELLS, ROLLUP_HISTOGRAMS, Cube
from storage.sketch import Buckets, add_bucket, bucket_quantile, histogram_columns, in_order

OTHER = "__kpibot_other__"

ScanResult = dict[str | None, dict[int, dict[str, float | None]]]
LevelResult = dict[str | None, dict[int, float | None]]


class WindowLike(Protocol):
    """A half-open span `[start, end)` of aware instants."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


class CondLike(Protocol):
    """A condition on one column (`value` may name another column plus an offset)."""

    @property
    def column(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def value(self) -> Any: ...


class ExprLike(Protocol):
    """A column, or the seconds from column `minus` to column `column`."""

    @property
    def column(self) -> str: ...
    @property
    def minus(self) -> str | None: ...


class MeasureLike(Protocol):
    """count / sum / sumsq of an expression over the rows meeting every condition."""

    @property
    def name(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def expr(self) -> ExprLike | None: ...
    @property
    def where(self) -> Sequence[CondLike]: ...


class PercentilesLike(Protocol):
    """Exact percentiles of an expression."""

    @property
    def name(self) -> str: ...
    @property
    def expr(self) -> ExprLike: ...
    @property
    def quantiles(self) -> Sequence[float]: ...
    @property
    def where(self) -> Sequence[CondLike]: ...


class FilterLike(Protocol):
    """`name=value`, or `name!=value` when negated."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def negate(self) -> bool: ...


class ScanLike(Protocol):
    """Measures over one source and time column, per window and group."""

    @property
    def source(self) -> str: ...
    @property
    def time_column(self) -> str: ...
    @property
    def windows(self) -> Sequence[WindowLike]: ...
    @property
    def measures(self) -> Sequence[MeasureLike]: ...
    @property
    def percentiles(self) -> Sequence[PercentilesLike]: ...
    @property
    def filters(self) -> Sequence[FilterLike]: ...
    @property
    def group_by(self) -> str | None: ...
    @property
    def keep_groups(self) -> Sequence[str | None] | None: ...


class LevelsLike(Protocol):
    """Latest level-counter values at or before instants."""

    @property
    def counter(self) -> str: ...
    @property
    def instants(self) -> Sequence[datetime]: ...
    @property
    def filters(self) -> Sequence[FilterLike]: ...
    @property
    def group_by(self) -> str | None: ...
    @property
    def keep_groups(self) -> Sequence[str | None] | None: ...


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


TABLES: dict[str, Table] = {
    "responses": _table(SurveyResponse),
    "tickets": _table(Ticket),
    "counters": _table(Counter),
    "alerts": _table(Alert),
}

#: Names that filter and group on a record's own column rather than on its attributes.
COLUMN_FILTERS: dict[str, frozenset[str]] = {
    "responses": frozenset({"survey", "customer_id", "source"}),
    "tickets": frozenset({"channel", "team", "agent", "customer_id", "source"}),
    "counters": frozenset({"name", "kind", "source"}),
    "alerts": frozenset({"kind", "state", "channel_id", "claimed_by", "closed_by"}),
}


class UnknownColumn(ValueError):
    """A description named a column the source does not have."""


def _column(table: FromClause, name: str) -> ColumnElement[Any]:
    if name not in table.c:
        raise UnknownColumn(f"{table.description} has no column {name!r}")
    column: ColumnElement[Any] = table.c[name]
    return column


def _seconds(
    dialect: str, end: ColumnElement[Any], start: ColumnElement[Any]
) -> ColumnElement[Any]:
    if dialect == "sqlite":
        # julianday is a float of days: keep whole milliseconds, as the stored text has.
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
    return func.extract("epoch", end - start)


def _expr(dialect: str, table: Table, expr: ExprLike) -> ColumnElement[Any]:
    column = _column(table, expr.column)
    if expr.minus is not None:
        return _seconds(dialect, column, _column(table, expr.minus))
    return column


def _cond(table: FromClause, cond: CondLike) -> ColumnElement[bool]:
    column = _column(table, cond.column)
    if cond.op == "null":
        return column.is_(None)
    if cond.op == "notnull":
        return column.is_not(None)
    if cond.op == "null_or>=":
        return or_(column.is_(None), column >= cond.value)
    value: Any = cond.value
    if hasattr(value, "column") and hasattr(value, "offset"):
        value = _column(table, value.column) + value.offset
    elif isinstance(value, bool):
        value = true() if value else false()
    operators = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    if cond.op not in operators:
        raise ValueError(f"unknown operator {cond.op!r}")
    result: ColumnElement[bool] = operators[cond.op](value)
    return result


def _conds(table: FromClause, conds: Sequence[CondLike]) -> list[ColumnElement[bool]]:
    return [_cond(table, c) for c in conds]


def dimension(source: str, name: str) -> ColumnElement[Any]:
    """The value a filter or grouping reads: the record's own column, else its attribute."""
    table = TABLES[source]
    if name in COLUMN_FILTERS[source]:
        return table.c[name]
    attribute: ColumnElement[Any] = table.c.attributes[name].as_string()
    return attribute


def _filter_on(column: ColumnElement[Any], f: FilterLike) -> ColumnElement[bool]:
    value = func.lower(column)
    wanted = f.value.lower()
    return or_(value.is_(None), value != wanted) if f.negate else value == wanted


def filter_conditions(source: str, filters: Sequence[FilterLike]) -> list[ColumnElement[bool]]:
    """SQL conditions for `name=value` / `name!=value` filters (case-insensitive)."""
    return [_filter_on(dimension(source, f.name), f) for f in filters]


def _group_on(key: ColumnElement[Any], keep: Sequence[str | None] | None) -> ColumnElement[Any]:
    if keep is None:
        return key
    kept = [k for k in keep if k is not None]
    null_key = null() if None in keep else literal(OTHER)
    return case((key.is_(None), null_key), (key.in_(kept), key), else_=literal(OTHER))


def _group(
    source: str, group_by: str | None, keep: Sequence[str | None] | None
) -> ColumnElement[Any] | None:
    if group_by is None:
        return None
    return _group_on(dimension(source, group_by), keep)


def run_scan(*, session: Session, scan: ScanLike) -> ScanResult:
    """Counts, sums and percentiles for every window (and group) of a scan, computed in SQL.

    Whole days that are rolled up are read from their daily cells (`storage.rollups`), the
    rest from the records: the answer is the same either way (`tests/test_rollups.py`).
    """
    dialect = session.get_bind().dialect.name
    table = TABLES[scan.source]
    time = _column(table, scan.time_column)
    windows = list(scan.windows)
    in_window = [and_(time >= w.start, time < w.end) for w in windows]
    scope = [
        time >= min(w.start for w in windows),
        time < max(w.end for w in windows),
        *filter_conditions(scan.source, scan.filters),
    ]
    group = _group(scan.source, scan.group_by, scan.keep_groups)
    result: ScanResult = {}
    with custom_plans(session):
        rolled = _rolled(session, scan, windows)
        if scan.measures:
            if rolled is not None and rolled.measures:
                _cube_measures(session, table, scan, rolled, result)
            else:
                _measures(session, dialect, table, scan, windows, scope, group, result)
        for spec in scan.percentiles:
            for wi, window_cond in enumerate(in_window):
                where = [window_cond, *scope]
                cubed = None
                if rolled is not None and _histogram_ok(rolled, scan, spec):
                    cubed = _cube_percentiles(session, table, rolled, spec, wi, where)
                values = cubed or _percentiles(session, dialect, table, spec, where, group)
                for key, by_q in values.items():
                    bucket = result.setdefault(key, {}).setdefault(wi, {})
                    for q, v in by_q.items():
                        bucket[f"{spec.name}@{q}"] = v
    return result


def _disjoint(windows: Sequence[WindowLike]) -> bool:
    ordered = sorted(windows, key=lambda w: w.start)
    return all(a.end <= b.start for a, b in itertools.pairwise(ordered))


def _measures(
    session: Session,
    dialect: str,
    table: Table,
    scan: ScanLike,
    windows: Sequence[WindowLike],
    scope: list[ColumnElement[bool]],
    group: ColumnElement[Any] | None,
    result: ScanResult,
) -> None:
    """One statement of conditional aggregates for every measure, window and group.

    Conditions every measure shares go to WHERE. Disjoint windows (a period and the one before)
    become a GROUP BY on the window a row falls in, so each measure is one aggregate; windows
    that overlap (a backlog at two instants) get one aggregate per window instead.
    """
    time = _column(table, scan.time_column)
    measures = list(scan.measures)
    shared = [c for c in measures[0].where if all(c in m.where for m in measures[1:])]
    where = [*scope, *_conds(table, shared)]
    bucketed = _disjoint(windows)
    slices: list[tuple[int | None, ColumnElement[bool] | None]]
    if bucketed:
        order = sorted(range(len(windows)), key=lambda i: windows[i].start)
        contiguous = all(windows[a].end == windows[b].start for a, b in itertools.pairwise(order))
        bucket: ColumnElement[Any]
        if len(order) == 1:
            bucket = literal(order[0])
        elif contiguous:  # WHERE already bounds the union: one comparison per boundary
            bucket = case(*[(time < windows[i].end, i) for i in order[:-1]], else_=order[-1])
        else:
            bucket = case(
                *[(and_(time >= w.start, time < w.end), i) for i, w in enumerate(windows)],
                else_=None,
            )
        slices = [(None, None)]
    else:
        slices = [(i, and_(time >= w.start, time < w.end)) for i, w in enumerate(windows)]
    columns: list[ColumnElement[Any]] = []
    labels: list[tuple[int | None, str]] = []
    for wi, window_cond in slices:
        for m in measures:
            conds = [c for c in _conds(table, [c for c in m.where if c not in shared])]
            if window_cond is not None:
                conds.insert(0, window_cond)
            if m.op == "count":
                agg = func.sum(case((and_(*conds), 1), else_=0)) if conds else func.count()
            else:
                assert m.expr is not None, f"{m.name}: {m.op} needs an expression"
                value = _expr(dialect, table, m.expr)
                if m.op == "sumsq":
                    value = value * value
                agg = (
                    func.sum(case((and_(*conds), value), else_=None)) if conds else func.sum(value)
                )
            columns.append(agg.label(f"m{len(labels)}"))
            labels.append((wi, m.name))
    keys: list[ColumnElement[Any]] = []
    if group is not None:
        keys.append(group.label("g"))
    if bucketed:
        keys.append(bucket.label("w"))
    stmt = select(*keys, *columns).select_from(table).where(*where)
    if keys:
        stmt = stmt.group_by(*keys)
    for row in session.execute(stmt):
        position = 0
        key = None
        if group is not None:
            key = row[0]
            position = 1
        window_index = None
        if bucketed:
            window_index = row[position]
            position += 1
            if window_index is None:
                continue
        slots = result.setdefault(key, {})
        for index, (wi, name) in enumerate(labels):
            raw = row[position + index]
            target: Any = window_index if wi is None else wi
            slots.setdefault(int(target), {})[name] = None if raw is None else float(raw)
    _zero_counts(result, len(windows), measures)


def _zero_counts(result: ScanResult, windows: int, measures: Sequence[MeasureLike]) -> None:
    """A count over no rows is 0, not missing (sums over no rows stay None)."""
    for slots in result.values():
        for wi in range(windows):
            numbers = slots.setdefault(wi, {})
            for m in measures:
                if m.op == "count":
                    numbers[m.name] = numbers.get(m.name) or 0.0


@dataclass(frozen=True)
class _Rolled:
    """A scan that daily rollups can serve: its cube and how each window splits."""

    cube: Cube
    splits: tuple[rollups.Split, ...]
    #: Whether the measures (conditions, filters, grouping) can all be read from the cells.
    measures: bool


def _cube_measure(cube: Cube, m: MeasureLike) -> tuple[str, list[CondLike]] | None:
    """The cells column a measure sums, and its conditions on the cells (None: not servable)."""
    dims = set(cube.dim_names)
    notnull = {c.column for c in m.where if c.op == "notnull" and c.column in cube.values}
    others = [c for c in m.where if not (c.op == "notnull" and c.column in cube.values)]
    for c in others:
        offset = c.value if hasattr(c.value, "offset") else None
        if c.column not in dims or (offset is not None and offset.column not in dims):
            return None
    if m.op == "count":
        if len(notnull) > 1:
            return None
        return (f"n_{next(iter(notnull))}" if notnull else "n"), others
    expr = m.expr
    if expr is None or expr.minus is not None or expr.column not in cube.values:
        return None
    if notnull - {expr.column}:
        return None
    return ("s_" if m.op == "sum" else "q_") + expr.column, others


def _cube_dimension(cube: Cube, source: str, name: str) -> bool:
    return name in cube.dim_names and name in COLUMN_FILTERS[source]


def _rolled(session: Session, scan: ScanLike, windows: Sequence[WindowLike]) -> _Rolled | None:
    """How rollups can serve this scan, or None when no rolled-up day lies inside its windows."""
    cube = rollups.cube_for(scan.source, scan.time_column)
    if cube is None or not _disjoint(windows):
        return None
    start = min(w.start for w in windows)
    end = max(w.end for w in windows)
    if end - start < rollups.DAY:
        return None
    marked = rollups.marked_days(session, cube, start, end)
    splits = tuple(rollups.split(w.start, w.end, marked) for w in windows)
    if not any(s.runs for s in splits):
        return None
    measures = (
        all(_cube_dimension(cube, scan.source, f.name) for f in scan.filters)
        and (scan.group_by is None or _cube_dimension(cube, scan.source, scan.group_by))
        and all(_cube_measure(cube, m) is not None for m in scan.measures)
    )
    return _Rolled(cube, splits, measures)


def _spans(column: ColumnElement[Any], spans: Sequence[tuple[datetime, datetime]]) -> Any:
    return or_(*[and_(column >= a, column < b) for a, b in spans])


def _cube_source(table: Table, rolled: _Rolled) -> FromClause:
    """Records of the ragged spans and cells of the rolled-up days, as one cells-shaped set.

    Each ragged span is its own branch (a tight range scan on the time index); the cells of
    every run come from one branch over the small cells table.
    """
    cube = rolled.cube
    cells = CELLS[cube.name]
    time = table.c[cube.time_column]
    branches: list[Any] = []
    for i, s in enumerate(rolled.splits):
        for a, b in s.raw:
            columns: list[ColumnElement[Any]] = [
                literal_column(str(i), Integer).label("w"),
                *[table.c[d].label(d) for d in cube.dim_names],
                literal_column("1", Integer).label("n"),
            ]
            for v in cube.values:
                x = table.c[v]
                columns += [
                    case((x.is_not(None), 1), else_=0).label(f"n_{v}"),
                    x.label(f"s_{v}"),
                    (x * x).label(f"q_{v}"),
                ]
            branches.append(select(*columns).where(time >= a, time < b))
    runs = [(i, a, b) for i, s in enumerate(rolled.splits) for a, b in s.runs]
    day = cells.c.day
    columns = [
        case(*[(and_(day >= a, day < b), i) for i, a, b in runs], else_=None).label("w"),
        *[cells.c[d] for d in cube.dim_names],
        cells.c.n,
    ]
    for v in cube.values:
        columns += [cells.c[f"n_{v}"], cells.c[f"s_{v}"], cells.c[f"q_{v}"]]
    bounds = [day >= min(a for _, a, _ in runs), day < max(b for _, _, b in runs)]
    branches.append(select(*columns).where(*bounds, _spans(day, [(a, b) for _, a, b in runs])))
    combined: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    return combined.subquery("cube")  # type: ignore[no-any-return]


def _cube_measures(
    session: Session, table: Table, scan: ScanLike, rolled: _Rolled, result: ScanResult
) -> None:
    """The scan's measures summed from the cells (and the records of the ragged spans)."""
    src = _cube_source(table, rolled)
    columns: list[ColumnElement[Any]] = []
    measures = list(scan.measures)
    for index, m in enumerate(measures):
        mapped = _cube_measure(rolled.cube, m)
        assert mapped is not None
        name, conds = mapped
        column = src.c[name]
        where = _conds(src, conds)
        if where:
            otherwise = 0 if m.op == "count" else None
            agg = func.sum(case((and_(*where), column), else_=otherwise))
        else:
            agg = func.sum(column)
        columns.append(agg.label(f"m{index}"))
    keys: list[ColumnElement[Any]] = []
    grouped = scan.group_by is not None
    if scan.group_by is not None:
        keys.append(_group_on(src.c[scan.group_by], scan.keep_groups).label("g"))
    keys.append(src.c.w.label("w"))
    filters = [_filter_on(src.c[f.name], f) for f in scan.filters]
    stmt = select(*keys, *columns).where(*filters).group_by(*keys)
    for row in session.execute(stmt):
        key = row[0] if grouped else None
        window_index = row[1] if grouped else row[0]
        if window_index is None:
            continue
        offset = 2 if grouped else 1
        slots = result.setdefault(key, {}).setdefault(int(window_index), {})
        for index, m in enumerate(measures):
            raw_value = row[offset + index]
            slots[m.name] = None if raw_value is None else float(raw_value)
    _zero_counts(result, len(rolled.splits), measures)


def _histogram_ok(rolled: _Rolled, scan: ScanLike, spec: PercentilesLike) -> bool:
    """Whether the daily histograms serve these percentiles (no filter, no grouping)."""
    column = spec.expr.column
    return (
        not scan.filters
        and scan.group_by is None
        and spec.expr.minus is None
        and column in rolled.cube.histograms
        and all(c.op == "notnull" and c.column == column for c in spec.where)
    )


def _cube_percentiles(
    session: Session,
    table: Table,
    rolled: _Rolled,
    spec: PercentilesLike,
    wi: int,
    scope: list[ColumnElement[bool]],
) -> dict[str | None, dict[float, float | None]] | None:
    """Exact percentiles guided by the daily histograms (None: rank the records instead).

    The window's histogram is summed from the rolled-up days and the ragged spans' records;
    it locates the two values around each quantile, which `_select_ranks` reads from the
    records. The two reads must see the same data, so this needs a snapshot session.
    """
    if not in_snapshot(session):
        return None
    buckets = _cube_buckets(session, table, rolled, spec, wi)
    if buckets is None:
        return None
    where = [*scope, *_conds(table, spec.where)]
    return _select_ranks(session, table.c[spec.expr.column], where, buckets, spec.quantiles)


def _cube_buckets(
    session: Session, table: Table, rolled: _Rolled, spec: PercentilesLike, wi: int
) -> Buckets | None:
    """One window's histogram: rolled-up days' buckets plus the ragged spans' records."""
    split = rolled.splits[wi]
    if not split.runs:
        return None
    cube = rolled.cube
    value = table.c[spec.expr.column]
    time = table.c[cube.time_column]
    h = ROLLUP_HISTOGRAMS
    branches: list[Any] = [
        select(h.c.bucket.label("b"), h.c.n, h.c.low, h.c.high).where(
            h.c.cube == cube.name, h.c.measure == spec.expr.column, _spans(h.c.day, split.runs)
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
) -> dict[str | None, dict[float, float | None]]:
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


def _percentiles(
    session: Session,
    dialect: str,
    table: Table,
    spec: PercentilesLike,
    scope: list[ColumnElement[bool]],
    group: ColumnElement[Any] | None,
) -> dict[str | None, dict[float, float | None]]:
    value = _expr(dialect, table, spec.expr)
    where = [*scope, *_conds(table, spec.where)]
    out: dict[str | None, dict[float, float | None]] = {}
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


#: PostgreSQL: the memory a percentile's sort may use before spilling to disk (per query).
SORT_MEMORY = "64MB"

#: On SQLite, percentiles over at most this many values are exact; above it they come from a
#: log-bucket histogram computed in SQL (`storage.sketch`), within RELATIVE_ERROR of the exact
#: order statistic.
EXACT_LIMIT = 20_000


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


def run_levels(*, session: Session, levels: LevelsLike) -> LevelResult:
    """The latest reading of each series of a level counter at or before each instant, summed."""
    table = TABLES["counters"]
    group = _group("counters", levels.group_by, levels.keep_groups)
    result: LevelResult = {}
    series = [table.c.source, table.c.attributes]
    with custom_plans(session):
        for index, instant in enumerate(levels.instants):
            g = group if group is not None else literal(0)
            inner = (
                select(
                    g.label("g"),
                    table.c.value,
                    func.row_number()
                    .over(partition_by=series, order_by=[table.c.at.desc(), table.c.id.desc()])
                    .label("rn"),
                )
                .where(
                    table.c.name == levels.counter,
                    table.c.kind == "level",
                    table.c.at <= instant,
                    *filter_conditions("counters", levels.filters),
                )
                .subquery()
            )
            stmt = (
                select(inner.c.g, func.sum(inner.c.value))
                .where(inner.c.rn == 1)
                .group_by(inner.c.g)
            )
            for key, total in session.execute(stmt):
                slot = result.setdefault(None if group is None else key, {})
                slot[index] = None if total is None else float(total)
    for slots in result.values():
        for index in range(len(levels.instants)):
            slots.setdefault(index, None)
    return result


def attribute_names(*, session: Session, source: str, sample: int = 10_000) -> set[str]:
    """Attribute names seen in the newest `sample` records of a source (to explain bad filters)."""
    table = TABLES[source]
    if "attributes" not in table.c:
        return set()
    dialect = session.get_bind().dialect.name
    recent = select(table.c.attributes).order_by(table.c.id.desc()).limit(sample).subquery()
    if dialect == "postgresql":
        stmt = select(func.jsonb_object_keys(recent.c.attributes)).distinct()
    else:
        each = func.json_each(recent.c.attributes).table_valued("key")
        stmt = select(each.c.key).select_from(recent).join(each, true()).distinct()
    return {str(name) for (name,) in session.execute(stmt)}


def distinct_values(*, session: Session, source: str, name: str, limit: int = 50) -> list[str]:
    """Some values a dimension takes (for suggestions)."""
    key = dimension(source, name)
    stmt = select(key).where(key.is_not(None)).distinct().limit(limit)
    return sorted(str(v) for (v,) in session.execute(stmt))


def counter_exists(*, session: Session, name: str) -> bool:
    """Whether any observation of this counter is stored."""
    table = TABLES["counters"]
    stmt = select(table.c.id).where(table.c.name == name).limit(1)
    return session.execute(stmt).first() is not None
