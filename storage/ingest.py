"""Idempotent writes: insert new records, update re-sent ones, never duplicate.

Records are unique on (`source`, `external_id`) per table. A batch is written in the caller's
transaction with one `INSERT … ON CONFLICT DO UPDATE` executemany per table (SQLite and PostgreSQL
both support it), after one look-up of which keys already exist, so `created`/`updated` are exact.
Within one batch the last version of a key wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Counter, SurveyResponse, Ticket

#: Rows sent per statement; keeps SQLite under its bound-parameter limit.
CHUNK = 2_000


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


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"kpibot supports SQLite and PostgreSQL, not {dialect}")


def _existing_keys(session: Session, table: Table, keys: Sequence[tuple[str, str]]) -> set[Any]:
    """Which (source, external_id) keys are stored already, read through the unique index."""
    found: set[Any] = set()
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            stmt = select(table.c.source, table.c.external_id).where(
                table.c.source == source, table.c.external_id.in_(chunk)
            )
            found.update(tuple(row) for row in session.execute(stmt))
    return found


def _upsert(session: Session, table: Table, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Write rows keyed on (source, external_id); the last duplicate in the batch wins."""
    now = datetime.now(UTC)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    total = 0
    for row in rows:
        total += 1
        latest[(row["source"], row["external_id"])] = {
            **row,
            "received_at": now,
            "updated_at": now,
        }
    if not latest:
        return Counts()
    keys = list(latest)
    existing = _existing_keys(session, table, keys)
    created = sum(1 for key in keys if key not in existing)
    values = list(latest.values())
    insert = _insert(session, table)
    update_columns = {
        name: insert.excluded[name]
        for name in values[0]
        if name not in ("source", "external_id", "received_at")
    }
    stmt = insert.on_conflict_do_update(
        index_elements=[table.c.source, table.c.external_id], set_=update_columns
    )
    for start in range(0, len(values), CHUNK):
        session.execute(stmt, values[start : start + CHUNK])
    return Counts(created=created, updated=total - created)


def _append(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> Counts:
    """Insert rows that carry no external id: each is a new observation."""
    if not rows:
        return Counts()
    now = datetime.now(UTC)
    values = [{**row, "received_at": now, "updated_at": now} for row in rows]
    for start in range(0, len(values), CHUNK):
        session.execute(table.insert(), values[start : start + CHUNK])
    return Counts(created=len(values))


def upsert_responses(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Store survey responses; a re-sent (source, external_id) updates the stored one."""
    return _upsert(session, RESPONSES, rows)


def upsert_tickets(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Store tickets in their latest state; a re-sent (source, external_id) replaces the old one."""
    return _upsert(session, TICKETS, rows)


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


__all__ = [
    "COUNTERS",
    "RESPONSES",
    "TICKETS",
    "Counts",
    "count_rows",
    "upsert_counters",
    "upsert_responses",
    "upsert_tickets",
]
