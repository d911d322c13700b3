"""Level counters (a stock: customers, headcount) read at instants, never summed over time.

Each series (source and attribute set) is read at its latest observation at or before the
instant; the series' readings are then summed per group.
"""

from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from query.plan import LevelResult, Levels
from storage.aggregate.sql import TABLES, filter_conditions, group
from storage.db import custom_plans


def run_levels(*, session: Session, levels: Levels) -> LevelResult:
    """The latest reading of each series of a level counter at or before each instant, summed."""
    table = TABLES["counters"]
    key = group("counters", levels.group_by, levels.keep_groups)
    result: LevelResult = {}
    series = [table.c.source, table.c.attributes]
    with custom_plans(session):
        for index, instant in enumerate(levels.instants):
            g = key if key is not None else literal(0)
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
            for group_key, total in session.execute(stmt):
                slot = result.setdefault(None if key is None else group_key, {})
                slot[index] = None if total is None else float(total)
    for slots in result.values():
        for index in range(len(levels.instants)):
            slots.setdefault(index, None)
    return result
