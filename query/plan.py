"""What to aggregate, as plain data, and the numbers that come back.

A `Scan` asks for measures over one record source and one time column, for several windows at
once (the current and previous periods share one range scan), optionally filtered and grouped.
A `Levels` asks for the latest value of a level counter at or before given instants. Storage
answers a scan with `Numbers` per group and window, keyed by the typed keys below: a `Total`
(a count or a sum: segments and periods add up), a `Quantile` (recomputed over pooled rows,
never added) or a `LevelAt` (a stock read at a window's edge).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Source = Literal["responses", "tickets", "counters", "alerts"]
Op = Literal["=", "!=", "<", "<=", ">", ">=", "null", "notnull", "null_or>="]

#: The group key storage uses for the rows folded into "other".
OTHER = "__kpibot_other__"


@dataclass(frozen=True)
class Window:
    """A half-open span of time `[start, end)` in UTC."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """The window's length in seconds."""
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class ColumnOffset:
    """A value read from another column of the same row, plus an offset (`scale_max − 1`)."""

    column: str
    offset: float = 0.0


@dataclass(frozen=True)
class Cond:
    """One condition on a column."""

    column: str
    op: Op
    value: float | int | bool | str | datetime | ColumnOffset | None = None

    @property
    def columns(self) -> frozenset[str]:
        """Every column the condition reads."""
        other = {self.value.column} if isinstance(self.value, ColumnOffset) else set()
        return frozenset({self.column, *other})


@dataclass(frozen=True)
class AnyOf:
    """Holds when every condition of at least one option holds (an OR of ANDs)."""

    options: tuple[tuple[Cond, ...], ...]

    @property
    def columns(self) -> frozenset[str]:
        """Every column the options read."""
        return frozenset(c for option in self.options for cond in option for c in cond.columns)


#: A measure's conditions are a conjunction of these.
Condition = Cond | AnyOf


@dataclass(frozen=True)
class Expr:
    """A number per row: a column, or the seconds from column `minus` to column `column`."""

    column: str
    minus: str | None = None


@dataclass(frozen=True)
class Total:
    """The key of a count or a sum: additive across segments and days.

    `of` names what it is of when one formula asks for several (the counter of a sum).
    """

    name: str
    of: str | None = None


@dataclass(frozen=True)
class Quantile:
    """The key of one percentile (0–1) of a `Percentiles` request: never added, recomputed."""

    name: str
    q: float


@dataclass(frozen=True)
class LevelAt:
    """The key of a level counter's reading at a window's start or end."""

    counter: str
    at: Literal["start", "end"]


Key = Total | Quantile | LevelAt
#: The numbers of one window (of one group): key → value (None: no value, e.g. a sum of nothing).
Numbers = dict[Key, float | None]


def additive(key: Key) -> bool:
    """Whether values under this key add up when groups or days are pooled."""
    return not isinstance(key, Quantile)


@dataclass(frozen=True)
class Measure:
    """An aggregate: a count of rows, or the sum (or sum of squares) of an expression."""

    key: Total
    op: Literal["count", "sum", "sumsq"]
    expr: Expr | None = None
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Percentiles:
    """Exact percentiles (0–1) of an expression over the rows that meet the conditions."""

    name: str
    expr: Expr
    quantiles: tuple[float, ...]
    where: tuple[Condition, ...] = ()

    def key(self, q: float) -> Quantile:
        """The key of one quantile's value."""
        return Quantile(self.name, q)


@dataclass(frozen=True)
class Filter:
    """`name=value` (or `name!=value` when negated) on a record's column or attribute."""

    name: str
    value: str
    negate: bool = False

    @property
    def text(self) -> str:
        """The filter as it is typed: `plan=enterprise`, `channel!=email`."""
        return f"{self.name}{'!=' if self.negate else '='}{self.value}"


@dataclass(frozen=True, kw_only=True)
class Scan:
    """Measures over one source and time column, per window (and per group)."""

    source: Source
    time_column: str
    windows: tuple[Window, ...]
    measures: tuple[Measure, ...] = ()
    percentiles: tuple[Percentiles, ...] = ()
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    #: With a grouping: keep these group keys and fold the others into `OTHER`.
    keep_groups: tuple[str | None, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class Levels:
    """The latest value of a level counter at or before each instant (per group)."""

    counter: str
    instants: tuple[datetime, ...]
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    keep_groups: tuple[str | None, ...] | None = None


#: Storage's answer to a Scan: {group (None: no grouping): {window index: numbers}}.
ScanResult = dict[str | None, dict[int, Numbers]]
#: Storage's answer to a Levels: {group: {instant index: value or None}}.
LevelResult = dict[str | None, dict[int, float | None]]


@dataclass(frozen=True)
class Requests:
    """Everything one KPI needs from storage."""

    scans: tuple[Scan, ...] = ()
    levels: tuple[Levels, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
