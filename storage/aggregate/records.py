"""Measures read from the records: one statement of conditional aggregates per scan.

Every measure, window and group of a scan comes from one range scan on the time index:
conditions every measure shares go to WHERE; disjoint windows (a period and the one before)
become a GROUP BY on the window a row falls in, so each measure is one aggregate; windows that
overlap (a backlog at two instants) get one aggregate per window instead.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from query.plan import Scan, ScanResult
from storage.aggregate.sql import (
    TABLES,
    conditions,
    disjoint,
    expression,
    filter_conditions,
    group,
    time_column,
    with_zero_counts,
)


def measures(*, session: Session, scan: Scan) -> ScanResult:
    """The scan's measures for every window and group, from the records."""
    dialect = session.get_bind().dialect.name
    table = TABLES[scan.source]
    time = time_column(session, scan)
    windows = list(scan.windows)
    measures = list(scan.measures)
    shared = [c for c in measures[0].where if all(c in m.where for m in measures[1:])]
    where = [
        time >= min(w.start for w in windows),
        time < max(w.end for w in windows),
        *conditions(table, shared),  # a column's test before an attribute's: SQLite keeps
        *filter_conditions(scan.source, scan.filters),  # the order, and JSON costs more
    ]
    key = group(scan.source, scan.group_by, scan.keep_groups)
    bucketed = disjoint(windows)
    slices: list[tuple[int | None, ColumnElement[bool] | None]]
    bucket: ColumnElement[Any] | None = None
    if bucketed:
        order = sorted(range(len(windows)), key=lambda i: windows[i].start)
        contiguous = all(windows[a].end == windows[b].start for a, b in itertools.pairwise(order))
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
    labels: list[tuple[int | None, int]] = []
    for wi, window_cond in slices:
        for index, m in enumerate(measures):
            conds = conditions(table, [c for c in m.where if c not in shared])
            if window_cond is not None:
                conds.insert(0, window_cond)
            if m.op == "count":
                agg = func.sum(case((and_(*conds), 1), else_=0)) if conds else func.count()
            else:
                assert m.expr is not None, f"{m.key}: {m.op} needs an expression"
                value = expression(dialect, table, m.expr)
                if m.op == "sumsq":
                    value = value * value
                agg = (
                    func.sum(case((and_(*conds), value), else_=None)) if conds else func.sum(value)
                )
            columns.append(agg.label(f"m{len(labels)}"))
            labels.append((wi, index))
    keys: list[ColumnElement[Any]] = []
    if key is not None:
        keys.append(key.label("g"))
    if bucket is not None:
        keys.append(bucket.label("w"))
    stmt = select(*keys, *columns).select_from(table).where(*where)
    if keys:
        stmt = stmt.group_by(*keys)
    result: ScanResult = {}
    for row in session.execute(stmt):
        position = 0
        group_key = None
        if key is not None:
            group_key = row[0]
            position = 1
        window_index = None
        if bucket is not None:
            window_index = row[position]
            position += 1
            if window_index is None:
                continue
        slots = result.setdefault(group_key, {})
        for offset, (wi, index) in enumerate(labels):
            raw = row[position + offset]
            target: Any = window_index if wi is None else wi
            slots.setdefault(int(target), {})[measures[index].key] = (
                None if raw is None else float(raw)
            )
    return with_zero_counts(result, len(windows), measures)
