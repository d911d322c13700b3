"""The SQL pieces every aggregate strategy shares: tables, columns, conditions, filters, groups.

The query contract (`query.plan`) names columns and conditions as plain data; these functions
turn them into SQLAlchemy expressions on one record table (or on the cells-shaped set the
rollups give, which has the same column names).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Table,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean

from query.plan import (
    OTHER,
    AnyOf,
    ColumnOffset,
    Cond,
    Condition,
    Expr,
    Filter,
    Measure,
    Scan,
    ScanResult,
    Source,
    Window,
)
from storage.alerts.tables import ALERTS
from storage.models import COLUMN_FILTERS, COUNTERS, RESPONSES, TICKETS, named_value

TABLES: dict[str, Table] = {
    "responses": RESPONSES,
    "tickets": TICKETS,
    "counters": COUNTERS,
    "alerts": ALERTS,
}


class UnknownColumn(ValueError):
    """A description named a column the source does not have (a bug, not bad input)."""


def column(table: FromClause, name: str) -> ColumnElement[Any]:
    """A column of the table; UnknownColumn if it has none of that name."""
    if name not in table.c:
        raise UnknownColumn(f"{table.description} has no column {name!r}")
    found: ColumnElement[Any] = table.c[name]
    return found


def seconds_between(
    dialect: str, end: ColumnElement[Any], start: ColumnElement[Any]
) -> ColumnElement[Any]:
    """SQL: the seconds from `start` to `end`."""
    if dialect == "sqlite":
        # julianday is a float of days: keep whole milliseconds, as the stored text has.
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)
    return func.extract("epoch", end - start)


def expression(dialect: str, table: Table, expr: Expr) -> ColumnElement[Any]:
    """SQL: the number an `Expr` reads per row."""
    value = column(table, expr.column)
    if expr.minus is not None:
        return seconds_between(dialect, value, column(table, expr.minus))
    return value


_OPERATORS = {
    "=": "__eq__",
    "!=": "__ne__",
    "<": "__lt__",
    "<=": "__le__",
    ">": "__gt__",
    ">=": "__ge__",
}


def _cond(table: FromClause, cond: Cond) -> ColumnElement[bool]:
    target = column(table, cond.column)
    if cond.op == "null":
        return target.is_(None)
    if cond.op == "notnull":
        return target.is_not(None)
    if cond.op == "null_or>=":
        return or_(target.is_(None), target >= cond.value)
    value: Any = cond.value
    if isinstance(value, ColumnOffset):
        value = column(table, value.column) + value.offset
    elif isinstance(value, bool):
        value = true() if value else false()
    if cond.op not in _OPERATORS:
        raise ValueError(f"unknown operator {cond.op!r}")
    result: ColumnElement[bool] = getattr(target, _OPERATORS[cond.op])(value)
    return result


def condition(table: FromClause, cond: Condition) -> ColumnElement[bool]:
    """SQL for one condition (an `AnyOf` is an OR of ANDs; with no option it never holds)."""
    if isinstance(cond, AnyOf):
        if not cond.options:
            return false()
        return or_(*[and_(*[_cond(table, c) for c in option]) for option in cond.options])
    return _cond(table, cond)


def conditions(table: FromClause, conds: Sequence[Condition]) -> list[ColumnElement[bool]]:
    """SQL for each condition of a conjunction."""
    return [condition(table, c) for c in conds]


def dimension(source: Source | str, name: str) -> ColumnElement[Any]:
    """The value a filter or grouping reads: the record's own column, else its attribute."""
    return named_value(source, TABLES[source], name)


class SameText(ColumnElement[bool]):
    """`value` is the text `wanted`, whatever the case of either: a filter's test.

    PostgreSQL compares `lower(value)` with the lowered text (its `lower` folds every letter,
    `Île` as `île`). SQLite's `lower` and `NOCASE` fold ASCII letters only, and `lower` costs a
    call per record; so on SQLite the value is compared `COLLATE NOCASE` with the few spellings
    of the text that differ in the case of its other letters (`spellings`): as cheap as a plain
    comparison, and `région=île-de-france` finds `Île-de-France`.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition already: no `= 1` on SQLite
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy reads this list as its cache key)
        ("value", InternalTraversal.dp_clauseelement),
        ("wanted", InternalTraversal.dp_string),
    ]

    def __init__(self, value: ColumnElement[Any], wanted: str) -> None:
        self.value = value
        self.wanted = wanted


def spellings(text: str) -> list[str]:
    """The spellings of `text` an ASCII-only case-insensitive comparison must be offered to
    match it whatever the case of its non-ASCII letters (as typed, lower, upper, capitalised,
    title case: `île-de-france` finds `Île-de-France`, `ÉQUIPE` and `équipe`)."""
    if text.isascii():
        return [text]
    return list(dict.fromkeys([text, text.lower(), text.upper(), text.capitalize(), text.title()]))


@compiles(SameText)
def _same_text(element: SameText, compiler: SQLCompiler, **kw: Any) -> str:
    same = func.lower(element.value) == element.wanted.lower()
    return compiler.process(same, **kw)


@compiles(SameText, "sqlite")
def _same_text_sqlite(element: SameText, compiler: SQLCompiler, **kw: Any) -> str:
    same = element.value.collate("NOCASE").in_(spellings(element.wanted))
    return compiler.process(same, **kw)


def filter_on(value: ColumnElement[Any], f: Filter) -> ColumnElement[bool]:
    """SQL for one filter on a value, case-insensitive (`!=` keeps the rows without one)."""
    same = SameText(value, f.value)
    return or_(value.is_(None), ~same) if f.negate else same


def filter_conditions(source: Source | str, filters: Sequence[Filter]) -> list[ColumnElement[bool]]:
    """SQL conditions for `name=value` / `name!=value` filters on a source's records."""
    return [filter_on(dimension(source, f.name), f) for f in filters]


def group_on(key: ColumnElement[Any], keep: Sequence[str | None] | None) -> ColumnElement[Any]:
    """A grouping key, with the groups not in `keep` folded into OTHER (when `keep` is given)."""
    if keep is None:
        return key
    kept = [k for k in keep if k is not None]
    null_key = null() if None in keep else literal(OTHER)
    return case((key.is_(None), null_key), (key.in_(kept), key), else_=literal(OTHER))


def group(
    source: Source | str, group_by: str | None, keep: Sequence[str | None] | None
) -> ColumnElement[Any] | None:
    """The grouping key of a scan on the records (None without a grouping)."""
    if group_by is None:
        return None
    return group_on(dimension(source, group_by), keep)


def disjoint(windows: Sequence[Window]) -> bool:
    """Whether no two windows overlap (a period and the one before it)."""
    ordered = sorted(windows, key=lambda w: w.start)
    return all(a.end <= b.start for a, b in itertools.pairwise(ordered))


def with_zero_counts(result: ScanResult, windows: int, measures: Sequence[Measure]) -> ScanResult:
    """A count over no rows is 0, not missing (sums over no rows stay None)."""
    for slots in result.values():
        for wi in range(windows):
            numbers = slots.setdefault(wi, {})
            for m in measures:
                if m.op == "count":
                    numbers[m.key] = numbers.get(m.key) or 0.0
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


def counter_exists(*, session: Session, name: str) -> bool:
    """Whether any observation of this counter is stored."""
    table = TABLES["counters"]
    stmt = select(table.c.id).where(table.c.name == name).limit(1)
    return session.execute(stmt).first() is not None


#: SQLite reads attributes row by row: past this share of a table's time span, scanning the
#: whole table in order beats visiting the rows one by one from the time index (measured at 1M
#: responses: a year's two-attribute question 0.6 s by scan, 1.6 s by index).
SCAN_SHARE = 0.25


def time_column(session: Session, scan: Scan) -> ColumnElement[Any]:
    """The time column a scan's windows are tested on.

    On SQLite, a question that reads attributes (a filter or grouping on one) over windows
    covering more than SCAN_SHARE of the records' span gets the column behind a unary `+`,
    SQLite's way of keeping an index out of a term: the table is then read in order instead.
    """
    table = TABLES[scan.source]
    time = column(table, scan.time_column)
    if session.get_bind().dialect.name != "sqlite":
        return time
    names = [f.name for f in scan.filters] + ([scan.group_by] if scan.group_by else [])
    if all(name in COLUMN_FILTERS[scan.source] for name in names):
        return time
    # two statements: SQLite answers a lone min() or max() from the index, not both at once
    first = session.execute(select(func.min(time))).scalar_one()
    if first is None:
        return time
    last = session.execute(select(func.max(time))).scalar_one()
    start = min(w.start for w in scan.windows)
    end = max(w.end for w in scan.windows)
    span = (max(last, end) - min(first, start)).total_seconds()
    if span <= 0 or (end - start).total_seconds() / span <= SCAN_SHARE:
        return time
    return UnaryExpression(time, operator=custom_op("+"), type_=time.type)
