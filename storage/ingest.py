"""Idempotent writes: insert new records, update re-sent ones, never duplicate.

Records are unique on (`source`, `external_id`) per table. A batch is written in the caller's
transaction with `INSERT … ON CONFLICT DO UPDATE` (SQLite and PostgreSQL both support it), after
one look-up of which keys already exist, so `created`/`updated` are exact.
Within one batch the last version of a key wins. Writes of responses and tickets also make the
daily rollups forget the days they touch, old and new (`storage.rollups`), in the same transaction.

The API and the files **replace** a stored record with the one sent (`upsert_*`). The connectors
**merge** one vendor event into it instead (`merge_tickets`, `merge_responses`): vendors send a
ticket piece by piece, out of order and more than once, so each column has its own rule (the
first instant stays the first, a flag once set stays set, a label follows the newest event,
`event_at` dating them), evaluated by the database inside the `DO UPDATE` so that two deliveries
of one ticket at once cannot lose each other's fields.

This is the hot path of every ingest (10,000-row API requests, multi-million-line imports), so
rows go to the driver as ready-made tuples: instants converted to the column's storage form a
whole column at a time (`storage.types.utc_texts`: naive UTC text on SQLite, exactly as
`UTCDateTime` writes it; aware datetimes on PostgreSQL) and attributes serialised once with orjson.
SQLite takes them through `executemany`; PostgreSQL takes the whole batch as one JSON array
(encoded by orjson, parsed by the server) in one `INSERT … SELECT … ON CONFLICT`. The SQL is
derived from the tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

import orjson
from sqlalchemy import String, Table, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from storage.db import custom_plans
from storage.models import COUNTERS, RESPONSES, TICKETS
from storage.rollups import store as rollups
from storage.types import UTCDateTime, utc_text, utc_texts

#: Keys per look-up statement.
CHUNK = 5_000


@dataclass(frozen=True)
class Counts:
    """How many records a write created and how many it updated."""

    created: int = 0
    updated: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.created + other.created, self.updated + other.updated)


#: Rows (column → value mappings) to driver parameter tuples: (rows, write stamp, the UTC texts
#: of each time column) → tuples.
Converter = Callable[[Sequence[Mapping[str, Any]], Any, Sequence[list[str | None]]], list[Any]]


@dataclass(frozen=True)
class _Writer:
    """How one table's rows become driver parameters, and the SQL that writes them."""

    convert: Converter
    sql: str
    lookup: str
    #: The instant columns, converted a column at a time (`utc_texts`) before the rows.
    instants: tuple[str, ...]
    #: The time columns whose days the daily rollups must forget when a row is written.
    rolled: tuple[str, ...]


def _sqlite_instant(value: datetime) -> str:
    """This write's own stamp as `UTCDateTime` stores it on SQLite."""
    text = utc_text(value)
    assert text is not None
    return text


#: Columns every write stamps with its own instant (`received_at` is kept on update).
STAMPED = ("received_at", "updated_at")


def _converter(columns: Sequence[str], instants: Sequence[str], dialect: str) -> Converter:
    """A function turning rows into parameter tuples in one comprehension.

    This runs for every record of every ingest, so it is generated once per table: a tuple
    expression with one term per column (on SQLite the instants' UTC texts and the attributes
    as JSON text; the write's stamp for the stamp columns) is several times faster than a loop
    over the columns for each row. Column names come from the table metadata.
    """
    terms = []
    for name in columns:
        if name in STAMPED:
            terms.append("stamp")
        elif name in instants and dialect == "sqlite":
            terms.append(f"t{instants.index(name)}")
        elif name == "attributes":
            attributes = f"(row.get({name!r}) or EMPTY)"
            terms.append(f"dumps({attributes}).decode()" if dialect == "sqlite" else attributes)
        else:
            terms.append(f"row.get({name!r})")
    if dialect == "sqlite" and instants:
        texts = ", ".join(f"t{i}" for i in range(len(instants)))
        loop = f"for row, {texts} in zip(rows, *instants)"
    else:
        loop = "for row in rows"
    source = f"lambda rows, stamp, instants: [({', '.join(terms)},) {loop}]"
    scope = {"dumps": orjson.dumps, "EMPTY": {}, "zip": zip}
    convert: Converter = eval(source, scope)  # noqa: S307 - built from our own column names
    return convert


def _from_json(table: Table, columns: Sequence[str]) -> str:
    """PostgreSQL: a SELECT of the rows of one JSON array of row arrays, typed per column.

    The whole batch travels as one parameter that orjson encodes in C and the server parses
    in C, where COPY needs a Python call per row (and a staging table).
    """
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    terms = []
    for i, name in enumerate(columns):
        if name == "attributes":
            terms.append(f"r -> {i}")
        else:  # strings as text: the column itself refuses one too long, a cast would cut it
            column_type = table.c[name].type
            typed = "TEXT" if isinstance(column_type, String) else column_type.compile(dialect)
            terms.append(f"CAST(r ->> {i} AS {typed})")
    return f"SELECT {', '.join(terms)} FROM jsonb_array_elements(CAST(%s AS jsonb)) AS r"


#: How a connector's event merges into the stored row, per column (`_merged`):
#: `first`/`last`: the earliest/latest instant of the two (a first response stays the first);
#: `newer`: the value of the newer event (by `event_at`), a missing one never erasing a stored
#: one; `max`: the larger count; `any`: a flag once set stays set; `attributes`: both sets of
#: attributes, the newer event's value winning a shared name; `seconds:A-B`: recomputed from
#: the merged instants A and B.
MERGE_RULES: dict[str, dict[str, str]] = {
    "tickets": {
        "created_at": "first",
        "first_response_at": "first",
        "resolved_at": "first",
        "first_response_seconds": "seconds:first_response_at-created_at",
        "resolution_seconds": "seconds:resolved_at-created_at",
        "handle_seconds": "newer",
        "contacts": "max",
        "escalated": "any",
        "reopened": "any",
        "channel": "newer",
        "team": "newer",
        "agent": "newer",
        "customer_id": "newer",
        "attributes": "attributes",
        "event_at": "last",
    },
    "survey_responses": {
        "survey": "newer",
        "score": "newer",
        "scale_max": "newer",
        "comment": "newer",
        "customer_id": "newer",
        "submitted_at": "first",
        "attributes": "attributes",
        "event_at": "last",
    },
}


def _merged(table: Table, dialect: str, name: str) -> str:
    """SQL for one column of a merge write: the stored row is `table.name`, the event `excluded`."""
    old, new = f"{table.name}.{name}", f"excluded.{name}"
    newer = f"({table.name}.event_at IS NULL OR excluded.event_at >= {table.name}.event_at)"
    rule = MERGE_RULES[table.name].get(name, "new")

    def extreme(kind: str, a: str, b: str) -> str:
        if dialect == "postgresql":  # LEAST and GREATEST leave NULLs out
            return f"{'LEAST' if kind == 'first' else 'GREATEST'}({a}, {b})"
        return f"{'MIN' if kind == 'first' else 'MAX'}(COALESCE({a}, {b}), COALESCE({b}, {a}))"

    if rule in ("first", "last"):
        return extreme(rule, old, new)
    if rule == "newer":
        return (
            f"CASE WHEN {new} IS NULL THEN {old} WHEN {old} IS NULL OR {newer} THEN {new} "
            f"ELSE {old} END"
        )
    if rule == "max":
        return extreme("last", old, new)
    if rule == "any":
        return f"({old} OR {new})"
    if rule == "attributes":
        if dialect == "postgresql":
            return f"CASE WHEN {newer} THEN {old} || {new} ELSE {new} || {old} END"
        return f"CASE WHEN {newer} THEN json_patch({old}, {new}) ELSE json_patch({new}, {old}) END"
    if rule.startswith("seconds:"):
        later, earlier = (_merged(table, dialect, c) for c in rule[8:].split("-"))
        if dialect == "postgresql":
            return (
                f"CAST(ROUND(CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS numeric), 3) "
                "AS double precision)"
            )
        return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"
    return new


Mode = Literal["insert", "replace", "merge"]


@cache
def _writer(table: Table, dialect: str, mode: Mode) -> _Writer:
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"kpibot supports SQLite and PostgreSQL, not {dialect}")
    columns = tuple(c.name for c in table.columns if not c.primary_key)
    rolled = rollups.TIME_COLUMNS.get(table.name, ())
    found = ", ".join(("external_id", *rolled))
    # the look-up takes the batch's ids as one JSON array (distinct: the batch is deduplicated)
    if dialect == "sqlite":
        lookup = (
            f"SELECT {found} FROM {table.name} WHERE source = :source "
            "AND external_id IN (SELECT value FROM json_each(:ids))"
        )
        values = f"VALUES ({', '.join(['?'] * len(columns))})"
    else:
        # a join probes the unique index once per id, without IN's de-duplicating hash
        stored = ", ".join(f"t.{name}" for name in ("external_id", *rolled))
        lookup = (
            f"SELECT {stored} FROM jsonb_array_elements_text(%(ids)s::jsonb) AS ids(id) "
            f"JOIN {table.name} AS t ON t.external_id = ids.id AND t.source = %(source)s"
        )
        values = _from_json(table, columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) {values}"
    if mode != "insert":
        kept = ("source", "external_id", "received_at")
        updates = ", ".join(
            f"{name} = {_merged(table, dialect, name) if mode == 'merge' else f'excluded.{name}'}"
            for name in columns
            if name not in kept
        )
        sql += f" ON CONFLICT (source, external_id) DO UPDATE SET {updates}"
    instants = tuple(
        name
        for name in columns
        if isinstance(table.c[name].type, UTCDateTime) and name not in STAMPED
    )
    convert = _converter(columns, instants, dialect)
    return _Writer(convert, sql, lookup, instants, rolled)


def _parameters(
    writer: _Writer, dialect: str, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[Any], dict[str, list[str | None]]]:
    """Driver parameters for rows, stamped with this write's instant, and the UTC texts of
    their instants by column (which also refuses naive ones)."""
    now = datetime.now(UTC)
    stamp = _sqlite_instant(now) if dialect == "sqlite" else now
    texts = {name: utc_texts([row.get(name) for row in rows]) for name in writer.instants}
    return writer.convert(rows, stamp, list(texts.values())), texts


def _existing(
    session: Session, writer: _Writer, source: str, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The stored rows among these external ids of one source (one indexed look-up), with
    their time columns as stored (the days the rollups must forget if they change)."""
    connection = session.connection()
    found: list[dict[str, Any]] = []
    names = ("external_id", *writer.rolled)
    with custom_plans(session):
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            result = connection.exec_driver_sql(
                writer.lookup, {"source": source, "ids": orjson.dumps(chunk).decode()}
            )
            found.extend(dict(zip(names, row, strict=True)) for row in result)
    return found


def _upsert(
    session: Session, table: Table, rows: Iterable[Mapping[str, Any]], mode: Mode = "replace"
) -> Counts:
    """Write rows keyed on (source, external_id); the last duplicate in the batch wins."""
    rows = rows if isinstance(rows, Sequence) else list(rows)
    latest = {(row["source"], row["external_id"]): row for row in rows}
    if not latest:
        return Counts()
    dialect = session.get_bind().dialect.name
    writer = _writer(table, dialect, mode)
    if writer.rolled:
        rollups.writing(session)
    by_source: dict[str, list[str]] = {}
    for source, external_id in latest:
        by_source.setdefault(source, []).append(external_id)
    stored = [
        row for source, ids in by_source.items() for row in _existing(session, writer, source, ids)
    ]
    created = len(latest) - len(stored)
    unique = list(latest.values()) if len(latest) < len(rows) else rows
    parameters, texts = _parameters(writer, dialect, unique)
    if writer.rolled:
        days = {
            column: rollups.days_in(itertools.chain(texts[column], (row[column] for row in stored)))
            for column in writer.rolled
        }
        rollups.invalidate(session, table.name, days)
    _write(session, dialect, writer, parameters)
    return Counts(created=created, updated=len(rows) - created)


def _write(session: Session, dialect: str, writer: _Writer, parameters: list[Any]) -> None:
    """SQLite: executemany of the tuples; PostgreSQL: the whole batch as one JSON array."""
    if dialect == "postgresql":
        batch = orjson.dumps(parameters).decode()
        session.connection().exec_driver_sql(writer.sql, (batch,))
    else:
        session.connection().exec_driver_sql(writer.sql, parameters)


def _append(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> Counts:
    """Insert rows that carry no external id: each is a new observation."""
    if not rows:
        return Counts()
    dialect = session.get_bind().dialect.name
    writer = _writer(table, dialect, "insert")
    _write(session, dialect, writer, _parameters(writer, dialect, rows)[0])
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


def merge_tickets(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Merge vendor events into the stored tickets (`MERGE_RULES`): a new one is created; for a
    stored one the earliest creation, first response and resolution stay, a flag once set stays
    set, and team, agent, channel, customer and attributes follow the newest event (`event_at`),
    a missing value never erasing a stored one. Re-sending an event changes nothing.

    The durations are recomputed by the database from the merged instants.
    """
    return _upsert(session, TICKETS, (_with_durations(row) for row in rows), "merge")


def merge_responses(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> Counts:
    """Merge vendor events into the stored survey responses (`MERGE_RULES`): the newest event's
    score stands, a comment or customer once given is never erased, attributes add up, and
    `submitted_at` stays the first one seen."""
    return _upsert(session, RESPONSES, rows, "merge")


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
