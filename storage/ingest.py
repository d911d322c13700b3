"""Idempotent writes: insert new records, update re-sent ones, never duplicate.

Records are unique on (`source`, `external_id`) per table. A batch is written in the caller's
transaction with `INSERT … ON CONFLICT DO UPDATE` (SQLite and PostgreSQL both support it), after
one look-up of which keys already exist, so `created`/`updated` are exact.
Within one batch the last version of a key wins. Writes of responses and tickets also make the
daily rollups forget the days they touch, old and new (`storage.rollups`), in the same transaction.

This is the hot path of every ingest (10,000-row API requests, multi-million-line imports), so
rows go to the driver as ready-made tuples: instants converted to the column's storage form
(naive UTC text on SQLite, exactly as `UTCDateTime` writes it; aware datetimes on PostgreSQL) and
attributes serialised once with orjson. SQLite takes them through `executemany`; PostgreSQL
through COPY into a temporary staging table and one `INSERT … SELECT … ON CONFLICT`. The SQL is
derived from the tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from storage import rollups
from storage.db import custom_plans
from storage.models import Counter, SurveyResponse, Ticket
from storage.types import UTCDateTime

#: Keys per look-up statement.
CHUNK = 5_000


@dataclass(frozen=True)
class Counts:
    """How many records a write created and how many it updated."""

    created: int = 0
    updated: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.created + other.created, self.updated + other.updated)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


RESPONSES = _table(SurveyResponse)
TICKETS = _table(Ticket)
COUNTERS = _table(Counter)


@dataclass(frozen=True)
class _Writer:
    """How one table's rows become driver parameters, and the SQL that writes them."""

    columns: tuple[str, ...]
    instants: frozenset[int]
    documents: frozenset[int]
    sql: str
    lookup: str
    #: The time columns whose days the daily rollups must forget when a row is written.
    rolled: tuple[str, ...]


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: kpibot stores timezone-aware instants")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _pg_instant(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: kpibot stores timezone-aware instants")
    return value


@cache
def _writer(table: Table, dialect: str, upsert: bool) -> _Writer:
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"kpibot supports SQLite and PostgreSQL, not {dialect}")
    columns = tuple(c.name for c in table.columns if not c.primary_key)
    instants = frozenset(
        i for i, name in enumerate(columns) if isinstance(table.c[name].type, UTCDateTime)
    )
    documents = frozenset(i for i, name in enumerate(columns) if name == "attributes")
    rolled = rollups.TIME_COLUMNS.get(table.name, ())
    found = ", ".join(("external_id", *rolled))
    if dialect == "sqlite":
        marks = ["?"] * len(columns)
        lookup = (
            f"SELECT {found} FROM {table.name} WHERE source = ? "
            "AND external_id IN (SELECT value FROM json_each(?))"
        )
    else:
        marks = ["%s"] * len(columns)  # psycopg sends str untyped: the server reads it as jsonb
        lookup = f"SELECT {found} FROM {table.name} WHERE source = %s AND external_id = ANY(%s)"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
    if upsert:
        updates = ", ".join(
            f"{name} = excluded.{name}"
            for name in columns
            if name not in ("source", "external_id", "received_at")
        )
        sql += f" ON CONFLICT (source, external_id) DO UPDATE SET {updates}"
    return _Writer(columns, instants, documents, sql, lookup, rolled)


def _parameters(writer: _Writer, dialect: str, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
    instant = _sqlite_instant if dialect == "sqlite" else _pg_instant
    now = datetime.now(UTC)
    stamps = {"received_at": now, "updated_at": now}
    out = []
    for row in rows:
        values = [row.get(name, stamps.get(name)) for name in writer.columns]
        for i in writer.instants:
            values[i] = instant(values[i])
        for i in writer.documents:
            values[i] = orjson.dumps(values[i] or {}).decode()
        out.append(tuple(values))
    return out


def _existing(
    session: Session, writer: _Writer, dialect: str, source: str, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The stored rows among these external ids of one source (one indexed look-up), with
    their time columns as stored (the days the rollups must forget if they change)."""
    connection = session.connection()
    found: list[dict[str, Any]] = []
    names = ("external_id", *writer.rolled)
    with custom_plans(session):
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            argument: Any = orjson.dumps(chunk).decode() if dialect == "sqlite" else chunk
            result = connection.exec_driver_sql(writer.lookup, (source, argument))
            found.extend(dict(zip(names, row, strict=True)) for row in result)
    return found


def _upsert(session: Session, table: Table, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Write rows keyed on (source, external_id); the last duplicate in the batch wins."""
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    total = 0
    for row in rows:
        total += 1
        latest[(row["source"], row["external_id"])] = row
    if not latest:
        return Counts()
    dialect = session.get_bind().dialect.name
    writer = _writer(table, dialect, True)
    if writer.rolled:
        rollups.writing(session)
    by_source: dict[str, list[str]] = {}
    for source, external_id in latest:
        by_source.setdefault(source, []).append(external_id)
    stored = [
        row
        for source, ids in by_source.items()
        for row in _existing(session, writer, dialect, source, ids)
    ]
    created = len(latest) - len(stored)
    if writer.rolled:
        days = rollups.days_of(itertools.chain(latest.values(), stored), writer.rolled)
        rollups.invalidate(session, table.name, days)
    parameters = _parameters(writer, dialect, latest.values())
    if dialect == "postgresql":
        _copy_upsert(session, table, writer, parameters)
    else:
        session.connection().exec_driver_sql(writer.sql, parameters)
    return Counts(created=created, updated=total - created)


def _copy_upsert(session: Session, table: Table, writer: _Writer, rows: list[Any]) -> None:
    """PostgreSQL: COPY the batch into a temporary staging table, then upsert from it.

    COPY streams rows several times faster than an executemany of INSERTs; one
    INSERT … SELECT … ON CONFLICT then merges the batch server-side.
    """
    stage = f"kpibot_stage_{table.name}"
    columns = ", ".join(writer.columns)
    updates = ", ".join(
        f"{name} = excluded.{name}"
        for name in writer.columns
        if name not in ("source", "external_id", "received_at")
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {table.name} WITH NO DATA"
        )
        with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage} "
            f"ON CONFLICT (source, external_id) DO UPDATE SET {updates}"
        )
        cursor.execute(f"TRUNCATE {stage}")
    finally:
        cursor.close()


def _append(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> Counts:
    """Insert rows that carry no external id: each is a new observation."""
    if not rows:
        return Counts()
    dialect = session.get_bind().dialect.name
    writer = _writer(table, dialect, False)
    session.connection().exec_driver_sql(writer.sql, _parameters(writer, dialect, rows))
    return Counts(created=len(rows))


def upsert_responses(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Store survey responses; a re-sent (source, external_id) updates the stored one."""
    return _upsert(session, RESPONSES, rows)


def _seconds(end: datetime | None, start: datetime) -> float | None:
    """Seconds from start to end, to the millisecond (None while end is unknown)."""
    return None if end is None else round((end - start).total_seconds(), 3)


def _with_durations(row: Mapping[str, Any]) -> Mapping[str, Any]:
    created = row["created_at"]
    return {
        **row,
        "first_response_seconds": _seconds(row.get("first_response_at"), created),
        "resolution_seconds": _seconds(row.get("resolved_at"), created),
    }


def upsert_tickets(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Store tickets in their latest state; a re-sent (source, external_id) replaces the old one.

    The first-response and resolution durations are derived here, so every ingest path
    stores them.
    """
    return _upsert(session, TICKETS, (_with_durations(row) for row in rows))


def upsert_counters(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Store counter observations: keyed ones are upserted, the others appended."""
    keyed: list[Mapping[str, Any]] = []
    loose: list[Mapping[str, Any]] = []
    for row in rows:
        (keyed if row.get("external_id") else loose).append(row)
    return _upsert(session, COUNTERS, keyed) + _append(session, COUNTERS, loose)


def count_rows(*, session: Session, table: Table) -> int:
    """How many rows a table holds (for tests, health and the CLI)."""
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())
