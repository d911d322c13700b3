"""Measures summed from the daily rollup cells, plus the records of the spans they do not cover.

A scan can read cells when it runs along a rolled-up cube's time column, its windows do not
overlap, and every condition, filter and grouping reads only columns the cells keep
(`servable`): the cube's own dimensions, plus at most one segment dimension (an attribute such
as plan, or a column such as agent), whose segment cells carry its value. Each window is split
into runs of rolled-up whole days (read from the cells) and ragged spans (its edges in a non-UTC
timezone, today, days not built yet), read from the records in the same statement; the answer
is the same either way (`tests/test_rollups.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Table,
    and_,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from query.plan import Cond, Condition, Measure, Scan, ScanResult
from storage.aggregate.sql import (
    TABLES,
    conditions,
    disjoint,
    filter_on,
    group_on,
    with_zero_counts,
)
from storage.models import COLUMN_FILTERS, named_value
from storage.rollups import store as rollups
from storage.rollups.store import spans
from storage.rollups.tables import BASE, CELLS, SEGMENTS, Cube

#: The label of the segment dimension's value in the cells-shaped set.
SEGMENT = "segment"


@dataclass(frozen=True)
class Rolled:
    """A scan that daily rollups can serve: its cube, its segment dimension (BASE: none), and
    how each window splits."""

    cube: Cube
    splits: tuple[rollups.Split, ...]
    #: Whether the measures (conditions, filters, grouping) can all be read from the cells.
    measures: bool
    dimension: str = BASE

    def column(self, src: FromClause, name: str) -> ColumnElement[Any]:
        """A filter's or grouping's column in the cells-shaped set."""
        found: ColumnElement[Any] = src.c[SEGMENT if name == self.dimension else name]
        return found


def _value_notnull(cube: Cube, c: Condition) -> bool:
    return isinstance(c, Cond) and c.op == "notnull" and c.column in cube.values


def cell_column(
    cube: Cube, m: Measure, segmented: bool = False
) -> tuple[str, list[Condition]] | None:
    """The cells column a measure sums, and its conditions on the cells (None: not servable)."""
    dims = set(cube.segment_dim_names if segmented else cube.dim_names)
    notnull = {c.column for c in m.where if isinstance(c, Cond) and _value_notnull(cube, c)}
    others = [c for c in m.where if not _value_notnull(cube, c)]
    if any(not c.columns <= dims for c in others):
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


def _cell_dimension(cube: Cube, source: str, name: str) -> bool:
    return name in cube.dim_names and name in COLUMN_FILTERS[source]


def segment_of(cube: Cube, scan: Scan) -> str | None:
    """The segment dimension a scan's filters and grouping need beyond the cube's own
    dimensions: BASE for none, the name for one, None for two or more (no cells serve them;
    with a segment dimension, the cube dimensions the segment cells leave out count too)."""
    names = {f.name for f in scan.filters}
    if scan.group_by is not None:
        names.add(scan.group_by)
    outside = {n for n in names if not _cell_dimension(cube, scan.source, n)}
    if not outside:
        return BASE
    if len(outside) > 1 or names & set(cube.filter_only):
        return None
    return next(iter(outside))


def rolled(*, session: Session, scan: Scan) -> Rolled | None:
    """How rollups can serve this scan, or None when no rolled-up day (of its segment
    dimension, if it has one) lies inside its windows."""
    cube = rollups.cube_for(scan.source, scan.time_column)
    windows = scan.windows
    if cube is None or not disjoint(windows):
        return None
    dimension = segment_of(cube, scan)
    if dimension is None:
        return None
    start = min(w.start for w in windows)
    end = max(w.end for w in windows)
    if end - start < rollups.DAY:
        return None
    marked = rollups.marked_days(session, cube, start, end, dimension)
    splits = tuple(rollups.split(w.start, w.end, marked) for w in windows)
    if not any(s.runs for s in splits):
        return None
    segmented = dimension != BASE
    servable = all(cell_column(cube, m, segmented) is not None for m in scan.measures)
    return Rolled(cube, splits, servable, dimension)


def _cells_and_spans(source: str, table: Table, rolled: Rolled) -> FromClause:
    """Records of the ragged spans and cells of the rolled-up days, as one cells-shaped set
    (with the segment dimension's value as `segment` when the scan has one).

    Each ragged span is its own branch (a tight range scan on the time index); the cells of
    every run come from one branch over the small cells table.
    """
    cube = rolled.cube
    segmented = rolled.dimension != BASE
    cells = SEGMENTS[cube.name] if segmented else CELLS[cube.name]
    dim_names = cube.segment_dim_names if segmented else cube.dim_names
    time = table.c[cube.time_column]
    branches: list[Any] = []
    for i, s in enumerate(rolled.splits):
        for a, b in s.raw:
            columns: list[ColumnElement[Any]] = [
                literal_column(str(i), Integer).label("w"),
                *[table.c[d].label(d) for d in dim_names],
                literal_column("1", Integer).label("n"),
            ]
            if segmented:
                columns.append(named_value(source, table, rolled.dimension).label(SEGMENT))
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
        *[cells.c[d] for d in dim_names],
        cells.c.n,
    ]
    if segmented:
        columns.append(cells.c.value.label(SEGMENT))
    for v in cube.values:
        columns += [cells.c[f"n_{v}"], cells.c[f"s_{v}"], cells.c[f"q_{v}"]]
    bounds = [day >= min(a for _, a, _ in runs), day < max(b for _, _, b in runs)]
    if segmented:
        bounds.insert(0, cells.c.dimension == rolled.dimension)
    branches.append(select(*columns).where(*bounds, spans(day, [(a, b) for _, a, b in runs])))
    combined: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    return combined.subquery("cube")  # type: ignore[no-any-return]


def measures(*, session: Session, scan: Scan, rolled: Rolled) -> ScanResult:
    """The scan's measures summed from the cells (and the records of the ragged spans)."""
    src = _cells_and_spans(scan.source, TABLES[scan.source], rolled)
    columns: list[ColumnElement[Any]] = []
    wanted: Sequence[Measure] = scan.measures
    for index, m in enumerate(wanted):
        mapped = cell_column(rolled.cube, m, rolled.dimension != BASE)
        assert mapped is not None
        name, conds = mapped
        value = src.c[name]
        where = conditions(src, conds)
        if where:
            otherwise = 0 if m.op == "count" else None
            agg = func.sum(case((and_(*where), value), else_=otherwise))
        else:
            agg = func.sum(value)
        columns.append(agg.label(f"m{index}"))
    keys: list[ColumnElement[Any]] = []
    grouped = scan.group_by is not None
    if scan.group_by is not None:
        keys.append(group_on(rolled.column(src, scan.group_by), scan.keep_groups).label("g"))
    keys.append(src.c.w.label("w"))
    filters = [filter_on(rolled.column(src, f.name), f) for f in scan.filters]
    stmt = select(*keys, *columns).where(*filters).group_by(*keys)
    result: ScanResult = {}
    for row in session.execute(stmt):
        key = row[0] if grouped else None
        window_index = row[1] if grouped else row[0]
        if window_index is None:
            continue
        offset = 2 if grouped else 1
        slots = result.setdefault(key, {}).setdefault(int(window_index), {})
        for index, m in enumerate(wanted):
            raw_value = row[offset + index]
            slots[m.key] = None if raw_value is None else float(raw_value)
    return with_zero_counts(result, len(rolled.splits), wanted)
