"""Measures summed from the daily rollup cells, plus the records of the spans they do not cover.

A scan can read cells when it runs along a rolled-up cube's time column, its windows do not
overlap, and every condition, filter and grouping reads only columns the cells keep
(`servable`). Each window is split into runs of rolled-up whole days (read from the cells) and
ragged spans (its edges in a non-UTC timezone, today, days not built yet), read from the
records in the same statement; the answer is the same either way (`tests/test_rollups.py`).
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
    COLUMN_FILTERS,
    TABLES,
    conditions,
    disjoint,
    filter_on,
    group_on,
    spans,
    with_zero_counts,
)
from storage.rollups import store as rollups
from storage.rollups.tables import CELLS, Cube


@dataclass(frozen=True)
class Rolled:
    """A scan that daily rollups can serve: its cube and how each window splits."""

    cube: Cube
    splits: tuple[rollups.Split, ...]
    #: Whether the measures (conditions, filters, grouping) can all be read from the cells.
    measures: bool


def _value_notnull(cube: Cube, c: Condition) -> bool:
    return isinstance(c, Cond) and c.op == "notnull" and c.column in cube.values


def cell_column(cube: Cube, m: Measure) -> tuple[str, list[Condition]] | None:
    """The cells column a measure sums, and its conditions on the cells (None: not servable)."""
    dims = set(cube.dim_names)
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


def rolled(*, session: Session, scan: Scan) -> Rolled | None:
    """How rollups can serve this scan, or None when no rolled-up day lies inside its windows."""
    cube = rollups.cube_for(scan.source, scan.time_column)
    windows = scan.windows
    if cube is None or not disjoint(windows):
        return None
    start = min(w.start for w in windows)
    end = max(w.end for w in windows)
    if end - start < rollups.DAY:
        return None
    marked = rollups.marked_days(session, cube, start, end)
    splits = tuple(rollups.split(w.start, w.end, marked) for w in windows)
    if not any(s.runs for s in splits):
        return None
    servable = (
        all(_cell_dimension(cube, scan.source, f.name) for f in scan.filters)
        and (scan.group_by is None or _cell_dimension(cube, scan.source, scan.group_by))
        and all(cell_column(cube, m) is not None for m in scan.measures)
    )
    return Rolled(cube, splits, servable)


def _cells_and_spans(table: Table, rolled: Rolled) -> FromClause:
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
    branches.append(select(*columns).where(*bounds, spans(day, [(a, b) for _, a, b in runs])))
    combined: Any = union_all(*branches) if len(branches) > 1 else branches[0]
    return combined.subquery("cube")  # type: ignore[no-any-return]


def measures(*, session: Session, scan: Scan, rolled: Rolled) -> ScanResult:
    """The scan's measures summed from the cells (and the records of the ragged spans)."""
    src = _cells_and_spans(TABLES[scan.source], rolled)
    columns: list[ColumnElement[Any]] = []
    wanted: Sequence[Measure] = scan.measures
    for index, m in enumerate(wanted):
        mapped = cell_column(rolled.cube, m)
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
        keys.append(group_on(src.c[scan.group_by], scan.keep_groups).label("g"))
    keys.append(src.c.w.label("w"))
    filters = [filter_on(src.c[f.name], f) for f in scan.filters]
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
