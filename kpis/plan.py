"""What to aggregate, described as plain data for `storage` to turn into SQL.

A `Scan` asks for measures over one record source and one time column, for several windows at
once (the current and previous periods share one range scan), optionally grouped. A `Levels`
asks for the latest value of a level counter at or before given instants. Storage answers with
plain numbers; `kpis.engine` turns them into figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kpis.periods import Window

Source = Literal["responses", "tickets", "counters", "alerts"]
Op = Literal["=", "!=", "<", "<=", ">", ">=", "null", "notnull", "null_or>="]


@dataclass(frozen=True)
class ColumnOffset:
    """A value read from another column of the same row, plus an offset (`scale_max − 1`)."""

    column: str
    offset: float = 0.0


@dataclass(frozen=True)
class Cond:
    """One condition on a column; a measure's conditions must all hold."""

    column: str
    op: Op
    value: float | int | bool | str | datetime | ColumnOffset | None = None


@dataclass(frozen=True)
class Expr:
    """A number per row: a column, or the seconds from column `minus` to column `column`."""

    column: str
    minus: str | None = None


@dataclass(frozen=True)
class Measure:
    """An aggregate: a count of rows, or the sum (or sum of squares) of an expression."""

    name: str
    op: Literal["count", "sum", "sumsq"]
    expr: Expr | None = None
    where: tuple[Cond, ...] = ()


@dataclass(frozen=True)
class Percentiles:
    """Exact percentiles (0–1) of an expression over the rows that meet the conditions."""

    name: str
    expr: Expr
    quantiles: tuple[float, ...]
    where: tuple[Cond, ...] = ()


@dataclass(frozen=True)
class Filter:
    """`name=value` (or `name!=value` when negated) on a record's column or attribute."""

    name: str
    value: str
    negate: bool = False


@dataclass(frozen=True)
class Scan:
    """Measures over one source and time column, per window (and per group)."""

    source: Source
    time_column: str
    windows: tuple[Window, ...]
    measures: tuple[Measure, ...]
    percentiles: tuple[Percentiles, ...] = ()
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    #: With a grouping: keep these group keys and fold the others into `other`.
    keep_groups: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class Levels:
    """The latest value of a level counter at or before each instant (per group)."""

    counter: str
    instants: tuple[datetime, ...]
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    keep_groups: tuple[str | None, ...] | None = None


#: The key storage uses for rows folded into "other".
OTHER = "__kpibot_other__"

#: Storage's answer to a Scan: {group: {window index: {measure or "name@q": number}}}.
ScanResult = dict[str | None, dict[int, dict[str, float | None]]]
#: Storage's answer to a Levels: {group: {instant index: value or None}}.
LevelResult = dict[str | None, dict[int, float | None]]


@dataclass(frozen=True)
class Requests:
    """Everything one KPI needs from storage."""

    scans: tuple[Scan, ...] = ()
    levels: tuple[Levels, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
