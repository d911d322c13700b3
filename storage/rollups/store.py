"""Daily rollups: build them, keep them exact, and say which days a query may read from them.

A KPI over a year reads half a million records; the same figures summed from 365 days of
rollup cells read a few thousand rows. The rollups must never change an answer, so:
- a day is rolled up only once it has ended (UTC), and marked in `rollup_days` in the same
  transaction that writes its cells;
- every write of responses or tickets (`storage.ingest`) unmarks, in its own transaction, the
  days it touches (the new records' days and, for updated records, their old days) and drops
  those days' cells; the next refresh rebuilds them;
- a query reads cells only for marked days that lie wholly inside one of its windows, and the
  records themselves for the rest (the window's ragged edges in a non-UTC timezone, today,
  days not rebuilt yet).
Refresh and writes cannot interleave: on SQLite one transaction writes at a time and the
refresh's transaction starts with a write; on PostgreSQL writers hold a shared advisory lock
for their transaction and the refresh takes it exclusively.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from storage.db import SessionFactory, session_scope
from storage.models import RESPONSES, TICKETS
from storage.rollups.tables import CELLS, CUBES, ROLLUP_DAYS, ROLLUP_HISTOGRAMS, Cube
from storage.sketch import histogram_columns

log = logging.getLogger("kpibot.rollups")

DAY = timedelta(days=1)
#: PostgreSQL advisory lock shared by writers of responses and tickets, taken alone by refresh.
LOCK_KEY = 0x6B70_6962_6F74_5255  # "kpibotRU"
#: Days built per transaction (keeps SQLite's write lock short during a first build).
CHUNK_DAYS = 31
#: A refresh that builds at least this many cube-days refreshes the planner's statistics.
ANALYZE_AFTER = 90


RAW: dict[str, Table] = {"responses": RESPONSES, "tickets": TICKETS}
#: The cubes fed by each raw table, by table name.
CUBES_OF_TABLE: dict[str, tuple[Cube, ...]] = {
    RAW[source].name: tuple(c for c in CUBES if c.source == source) for source in RAW
}
#: The time columns whose days a write of each table must unmark.
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.time_column for c in cubes) for name, cubes in CUBES_OF_TABLE.items()
}


def cube_for(source: str, time_column: str) -> Cube | None:
    """The cube that rolls up this source along this time column, if any."""
    for cube in CUBES:
        if cube.source == source and cube.time_column == time_column:
            return cube
    return None


def day_start(value: datetime | date) -> datetime:
    """The UTC midnight starting the day of an instant (or of a UTC date)."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def stored_day(value: Any) -> date | None:
    """The UTC date of a time column's raw value (SQLite text or a PostgreSQL datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(UTC).date()
    raise TypeError(f"not an instant: {value!r}")


# --- writers ---------------------------------------------------------------------------------


def writing(session: Session) -> None:
    """Called by a writer of responses or tickets before it writes (PostgreSQL: shared lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": LOCK_KEY})


def days_in(values: Iterable[Any]) -> set[date]:
    """The UTC days of a time column's values, in their storage form or as aware datetimes.

    Called on every batch a writer stores: SQLite's text values are cut to their distinct
    dates before any is parsed; UTC datetimes give their date directly.
    """
    texts: set[str] = set()
    days: set[date] = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, str):
            texts.add(value[:10])
        elif value.tzinfo is UTC:
            days.add(value.date())
        else:
            day = stored_day(value)
            assert day is not None
            days.add(day)
    days.update(date.fromisoformat(text) for text in texts)
    return days


def invalidate(session: Session, table_name: str, days: Mapping[str, set[date]]) -> int:
    """Unmark (and drop the cells of) the days a write touched; how many were rolled up."""
    dropped = 0
    for cube in CUBES_OF_TABLE.get(table_name, ()):
        touched = days.get(cube.time_column)
        if not touched:
            continue
        starts = sorted(day_start(d) for d in touched)
        for offset in range(0, len(starts), 500):
            chunk = starts[offset : offset + 500]
            result = session.execute(
                delete(ROLLUP_DAYS).where(
                    ROLLUP_DAYS.c.cube == cube.name, ROLLUP_DAYS.c.day.in_(chunk)
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                continue
            dropped += result.rowcount  # type: ignore[attr-defined]
            cells = CELLS[cube.name]
            session.execute(delete(cells).where(cells.c.day.in_(chunk)))
            session.execute(
                delete(ROLLUP_HISTOGRAMS).where(
                    ROLLUP_HISTOGRAMS.c.cube == cube.name, ROLLUP_HISTOGRAMS.c.day.in_(chunk)
                )
            )
    return dropped


# --- readers ---------------------------------------------------------------------------------


def marked_days(session: Session, cube: Cube, start: datetime, end: datetime) -> set[datetime]:
    """The rolled-up days of a cube that start in `[start, end)`."""
    stmt = select(ROLLUP_DAYS.c.day).where(
        ROLLUP_DAYS.c.cube == cube.name,
        ROLLUP_DAYS.c.day >= day_start(start),
        ROLLUP_DAYS.c.day < end,
    )
    return {day_start(d) for (d,) in session.execute(stmt)}


@dataclass
class Split:
    """How one window is read: rolled-up day runs, and the spans read from the records."""

    runs: list[tuple[datetime, datetime]] = field(default_factory=list)
    raw: list[tuple[datetime, datetime]] = field(default_factory=list)


def split(start: datetime, end: datetime, marked: set[datetime]) -> Split:
    """Cut `[start, end)` into runs of marked whole days and the spans in between."""
    out = Split(runs=_runs(sorted(d for d in marked if d >= start and d + DAY <= end)))
    cursor = start
    for run_start, run_end in out.runs:
        if cursor < run_start:
            out.raw.append((cursor, run_start))
        cursor = run_end
    if cursor < end:
        out.raw.append((cursor, end))
    return out


# --- refresh ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """What one refresh built."""

    days: dict[str, int]

    @property
    def total(self) -> int:
        """Days built over every cube."""
        return sum(self.days.values())


def refresh(sessions: SessionFactory, *, now: datetime) -> Built:
    """Build the cells of every ended day that is not rolled up, cube by cube, in chunks."""
    built: dict[str, int] = {}
    for cube in CUBES:
        count = 0
        while True:
            with session_scope(sessions) as session:
                days = _lock_and_find(session, cube, now)
                if not days:
                    break
                chunk = days[:CHUNK_DAYS]
                _build(session, cube, chunk, now)
                count += len(chunk)
        built[cube.name] = count
        if count:
            log.info("rolled up %d day(s) of %s", count, cube.name)
    if sum(built.values()) >= ANALYZE_AFTER:
        _analyze(sessions)
    return Built(built)


def _analyze(sessions: SessionFactory) -> None:
    """Refresh the planner's statistics of the rollup tables after a large build.

    A first build fills them from empty: until the statistics say so, the planner takes them
    for empty and plans a year's histogram read as a sort on disk (PostgreSQL's autovacuum
    would catch up within minutes; the answers in between would be slow for nothing).
    """
    names = [ROLLUP_DAYS.name, ROLLUP_HISTOGRAMS.name, *(cells.name for cells in CELLS.values())]
    with session_scope(sessions) as session:
        for name in names:
            session.execute(text(f"ANALYZE {name}"))


def _lock_out_writers(session: Session) -> None:
    """Hold off every writer of responses and tickets until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    else:  # a first statement that writes: SQLite's write lock, held to the commit
        session.execute(update(ROLLUP_DAYS).where(literal(False)).values(cube=ROLLUP_DAYS.c.cube))


def _lock_and_find(session: Session, cube: Cube, now: datetime) -> list[datetime]:
    """Take the refresh's lock, then list the ended days of the cube that are not rolled up."""
    _lock_out_writers(session)
    raw = RAW[cube.source]
    earliest = session.execute(select(func.min(raw.c[cube.time_column]))).scalar_one()
    if earliest is None:
        return []
    first_day = stored_day(earliest)
    assert first_day is not None
    first = day_start(first_day)
    today = day_start(now)
    marked = marked_days(session, cube, first, today)
    out = []
    day = first
    while day < today:
        if day not in marked:
            out.append(day)
        day += DAY
    return out


def _runs(days: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted UTC days merged into `[start, end)` runs of consecutive days."""
    runs: list[tuple[datetime, datetime]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + DAY)
        else:
            runs.append((day, day + DAY))
    return runs


def _day_of(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL: the UTC midnight of an instant, in the column's own storage form."""
    if dialect == "sqlite":  # naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
        return type_coerce(func.substr(column, 1, 10), String) + " 00:00:00.000000"
    return func.date_trunc("day", column, "UTC")


def _build(session: Session, cube: Cube, days: Sequence[datetime], now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    raw = RAW[cube.source]
    cells = CELLS[cube.name]
    time = raw.c[cube.time_column]
    day = _day_of(dialect, time)
    dims = [raw.c[name] for name in cube.dim_names]
    for start, end in _runs(days):
        in_run = and_(time >= start, time < end)
        session.execute(delete(cells).where(cells.c.day >= start, cells.c.day < end))
        session.execute(
            delete(ROLLUP_HISTOGRAMS).where(
                ROLLUP_HISTOGRAMS.c.cube == cube.name,
                ROLLUP_HISTOGRAMS.c.day >= start,
                ROLLUP_HISTOGRAMS.c.day < end,
            )
        )
        columns: list[ColumnElement[Any]] = [day.label("day"), *dims, func.count().label("n")]
        names = ["day", *cube.dim_names, "n"]
        for value in cube.values:
            v = raw.c[value]
            columns += [func.count(v), func.sum(v), func.sum(v * v)]
            names += [f"n_{value}", f"s_{value}", f"q_{value}"]
        source = select(*columns).where(in_run).group_by(day, *dims)
        session.execute(insert(cells).from_select(names, source))
        for measure in cube.histograms:
            v = raw.c[measure]
            stats = histogram_columns(v)
            hist = (
                select(literal(cube.name), literal(measure), day, *stats)
                .where(in_run, v.is_not(None))
                .group_by(day, stats[0].element)
            )
            session.execute(
                insert(ROLLUP_HISTOGRAMS).from_select(
                    ["cube", "measure", "day", "bucket", "n", "low", "high"], hist
                )
            )
    session.execute(
        insert(ROLLUP_DAYS), [{"cube": cube.name, "day": d, "built_at": now} for d in days]
    )


def forget(sessions: SessionFactory) -> None:
    """Drop every rollup (they are rebuilt by the next refresh)."""
    with session_scope(sessions) as session:
        _lock_out_writers(session)
        session.execute(delete(ROLLUP_DAYS))
        session.execute(delete(ROLLUP_HISTOGRAMS))
        for cells in CELLS.values():
            session.execute(delete(cells))


def lag(
    session: Session, *, now: datetime, window: timedelta = timedelta(days=35)
) -> dict[str, float]:
    """Per cube, how long ago the oldest ended day that is not rolled up ended (seconds; 0
    when every day is built), over the last `window`: what `/metrics` shows as rollup lag.

    A day is built by the refresh every 5 minutes once it ends, and unbuilt by writes that
    touch it until the next refresh, so a healthy lag stays under a few minutes.
    """
    today = day_start(now)
    out: dict[str, float] = {}
    for cube in CUBES:
        raw = RAW[cube.source]
        earliest = session.execute(select(func.min(raw.c[cube.time_column]))).scalar_one()
        first_day = stored_day(earliest) if earliest is not None else None
        if first_day is None:
            out[cube.name] = 0.0
            continue
        first = max(day_start(first_day), today - window)
        marked = marked_days(session, cube, first, today)
        day, behind = first, 0.0
        while day < today:
            if day not in marked:
                behind = (now - (day + DAY)).total_seconds()
                break
            day += DAY
        out[cube.name] = max(behind, 0.0)
    return out
