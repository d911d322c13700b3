"""Daily rollups: per-day counts and sums of survey responses and tickets, and day marks.

A cube is one record source read along one time column (responses by `submitted_at`, tickets
by `created_at` and by `resolved_at`). Its cells table holds, per UTC day and per combination of
the few columns KPI conditions test (survey and score; channel, team, escalation…), the number
of records and, for each measured column, how many carry a value, their sum and their sum of
squares. Conditions, filters and groupings on those columns read the cells exactly as they would
read the records. `rollup_histograms` keeps per-day log-bucket histograms of durations: SQLite
reads its percentiles above 20,000 values from them, PostgreSQL uses them to find the few values
its exact percentiles must rank. `rollup_days` marks the days whose cells are built
and exact: a cube's cells exist for a day only while its mark does (see `storage.rollups`).

Segment cells (`rollup_<cube>_segments`) are the same cells split once more by one segment
dimension at a time (an attribute such as plan, channel or region, or a record column such as a
ticket's agent): each row names its `dimension` and the record's `value` for it (NULL when the
record has none), so a question that filters or groups on one attribute reads them as fast as
one that does not. `rollup_segment_histograms` keeps the durations' histograms per value. A
day's segment cells of one dimension are marked in `rollup_days` with that dimension's name
(the cube's own cells with an empty one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

from storage.types import UTCDateTime

metadata = SQLModel.metadata


@dataclass(frozen=True)
class Cube:
    """One source along one time column, rolled up per UTC day."""

    name: str
    source: str
    time_column: str
    #: Columns kept as they are (the ones KPI conditions, filters and groupings test).
    dims: tuple[tuple[str, TypeEngine[Any]], ...]
    #: Numeric columns summed (count of values, sum, sum of squares).
    values: tuple[str, ...]
    #: Numeric columns whose per-day log-bucket histogram is kept (percentiles).
    histograms: tuple[str, ...] = ()
    #: Dimensions kept only for filters and groupings (a ticket's channel, team): the segment
    #: cells leave them out, keeping the ones KPI conditions test.
    filter_only: tuple[str, ...] = ()

    @property
    def dim_names(self) -> tuple[str, ...]:
        """The names of the dimension columns."""
        return tuple(name for name, _ in self.dims)

    @property
    def segment_dims(self) -> tuple[tuple[str, TypeEngine[Any]], ...]:
        """The dimension columns the segment cells keep."""
        return tuple((name, t) for name, t in self.dims if name not in self.filter_only)

    @property
    def segment_dim_names(self) -> tuple[str, ...]:
        """The names of the dimension columns the segment cells keep."""
        return tuple(name for name, _ in self.segment_dims)

    @property
    def table_name(self) -> str:
        """The cells table's name."""
        return f"rollup_{self.name.replace('.', '_')}"


CUBES: tuple[Cube, ...] = (
    Cube(
        "responses.submitted_at",
        "responses",
        "submitted_at",
        (("survey", String(8)), ("score", Integer()), ("scale_max", Integer())),
        ("score",),
    ),
    Cube(
        "tickets.created_at",
        "tickets",
        "created_at",
        (("channel", String(64)), ("team", String(128)), ("escalated", Boolean())),
        ("first_response_seconds",),
        ("first_response_seconds",),
        ("channel", "team"),
    ),
    Cube(
        "tickets.resolved_at",
        "tickets",
        "resolved_at",
        (
            ("channel", String(64)),
            ("team", String(128)),
            ("contacts", Integer()),
            ("reopened", Boolean()),
        ),
        ("resolution_seconds", "handle_seconds", "contacts"),
        ("resolution_seconds", "handle_seconds"),
        ("channel", "team"),
    ),
)


def _cells(cube: Cube) -> Table:
    columns: list[Column[object]] = [
        Column("id", Integer, primary_key=True),
        Column("day", UTCDateTime(), nullable=False),
    ]
    columns += [Column(name, type_, nullable=True) for name, type_ in cube.dims]
    columns.append(Column("n", Integer, nullable=False))
    for value in cube.values:
        columns += [
            Column(f"n_{value}", Integer, nullable=False),
            Column(f"s_{value}", Float, nullable=True),
            Column(f"q_{value}", Float, nullable=True),
        ]
    return Table(
        cube.table_name,
        metadata,
        *columns,
        Index(f"ix_{cube.table_name}_day", "day"),
    )


CELLS: dict[str, Table] = {cube.name: _cells(cube) for cube in CUBES}

#: The `dimension` of the marks of a cube's own cells (segment cells name their dimension).
BASE = ""
#: The longest dimension name (an attribute name is at most 64 characters).
DIMENSION_LENGTH = 64


def _segments(cube: Cube) -> Table:
    """The cube's cells split by one segment dimension at a time."""
    columns: list[Column[object]] = [
        Column("id", Integer, primary_key=True),
        Column("day", UTCDateTime(), nullable=False),
        Column("dimension", String(DIMENSION_LENGTH), nullable=False),
        #: The records' value for the dimension, as stored (None: they have none).
        Column("value", String(255), nullable=True),
    ]
    columns += [Column(name, type_, nullable=True) for name, type_ in cube.segment_dims]
    columns.append(Column("n", Integer, nullable=False))
    for value in cube.values:
        columns += [
            Column(f"n_{value}", Integer, nullable=False),
            Column(f"s_{value}", Float, nullable=True),
            Column(f"q_{value}", Float, nullable=True),
        ]
    name = f"{cube.table_name}_segments"
    return Table(name, metadata, *columns, Index(f"ix_{name}_dimension_day", "dimension", "day"))


SEGMENTS: dict[str, Table] = {cube.name: _segments(cube) for cube in CUBES}

ROLLUP_DAYS = Table(
    "rollup_days",
    metadata,
    Column("cube", String(40), nullable=False),
    #: BASE for the cube's own cells, else the segment dimension whose cells the day has.
    Column("dimension", String(DIMENSION_LENGTH), nullable=False, server_default=""),
    Column("day", UTCDateTime(), nullable=False),
    Column("built_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("cube", "dimension", "day", name="pk_rollup_days"),
)

ROLLUP_HISTOGRAMS = Table(
    "rollup_histograms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cube", String(40), nullable=False),
    Column("measure", String(40), nullable=False),
    Column("day", UTCDateTime(), nullable=False),
    #: Log bucket (None: zero and negative values), count, smallest and largest value in it.
    Column("bucket", Integer, nullable=True),
    Column("n", Integer, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Index("ix_rollup_histograms_cube_measure_day", "cube", "measure", "day"),
)

ROLLUP_SEGMENT_HISTOGRAMS = Table(
    "rollup_segment_histograms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cube", String(40), nullable=False),
    Column("measure", String(40), nullable=False),
    Column("dimension", String(DIMENSION_LENGTH), nullable=False),
    Column("value", String(255), nullable=True),
    Column("day", UTCDateTime(), nullable=False),
    Column("bucket", Integer, nullable=True),
    Column("n", Integer, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Index(
        "ix_rollup_segment_histograms_cube_measure_dimension_day",
        "cube",
        "measure",
        "dimension",
        "day",
    ),
)

#: Per-month histograms, summed from a month's daily ones (a cube's own: dimension BASE, value
#: NULL; a segment dimension's per value) once every day of the month is rolled up, dropped with
#: any of its days: a year's percentiles read twelve months of buckets instead of 365 days.
ROLLUP_MONTH_HISTOGRAMS = Table(
    "rollup_month_histograms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cube", String(40), nullable=False),
    Column("measure", String(40), nullable=False),
    Column("dimension", String(DIMENSION_LENGTH), nullable=False),
    Column("value", String(255), nullable=True),
    #: The first instant (UTC midnight) of the month.
    Column("month", UTCDateTime(), nullable=False),
    Column("bucket", Integer, nullable=True),
    Column("n", Integer, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Index(
        "ix_rollup_month_histograms_cube_measure_dimension_month",
        "cube",
        "measure",
        "dimension",
        "month",
    ),
)
