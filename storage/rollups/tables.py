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

    @property
    def dim_names(self) -> tuple[str, ...]:
        """The names of the dimension columns."""
        return tuple(name for name, _ in self.dims)

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

ROLLUP_DAYS = Table(
    "rollup_days",
    metadata,
    Column("cube", String(40), nullable=False),
    Column("day", UTCDateTime(), nullable=False),
    Column("built_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("cube", "day", name="pk_rollup_days"),
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
