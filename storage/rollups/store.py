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

Segment cells follow the same rules, per dimension: a day of a dimension's cells is marked with
the dimension's name, every write unmarks the day for every dimension at once, and a dimension
rolled up for the first time is built for the whole past by the next refreshes, a chunk of days
at a time, while questions on it read the records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from storage.db import SessionFactory, session_scope
from storage.models import RESPONSES, TICKETS, named_value
from storage.rollups.tables import (
    BASE,
    CELLS,
    CUBES,
    DIMENSION_LENGTH,
    ROLLUP_DAYS,
    ROLLUP_HISTOGRAMS,
    ROLLUP_MONTH_HISTOGRAMS,
    ROLLUP_SEGMENT_HISTOGRAMS,
    SEGMENTS,
    Cube,
)
from storage.sketch import histogram_columns
from storage.types import UTCDateTime

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


def month_start(day: datetime) -> datetime:
    """The UTC midnight starting the month of a UTC day."""
    return day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(month: datetime) -> datetime:
    """The UTC midnight starting the month after `month` (a month start)."""
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def months_in(
    runs: Sequence[tuple[datetime, datetime]],
) -> tuple[list[tuple[datetime, datetime]], list[tuple[datetime, datetime]]]:
    """Runs of whole UTC days cut into the whole UTC months they hold and the days left over."""
    months: list[tuple[datetime, datetime]] = []
    rest: list[tuple[datetime, datetime]] = []
    for a, b in runs:
        cursor = a
        while cursor < b:
            first = month_start(cursor)
            following = next_month(first)
            if cursor == first and following <= b:
                months.append((first, following))
                cursor = following
            else:
                stop = min(following, b)
                rest.append((cursor, stop))
                cursor = stop
    return months, rest


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
    """Unmark (and drop the cells of) the days a write touched, for every dimension at once;
    how many marks were dropped."""
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
            for cells in (CELLS[cube.name], SEGMENTS[cube.name]):
                session.execute(delete(cells).where(cells.c.day.in_(chunk)))
            for histograms in (ROLLUP_HISTOGRAMS, ROLLUP_SEGMENT_HISTOGRAMS):
                session.execute(
                    delete(histograms).where(
                        histograms.c.cube == cube.name, histograms.c.day.in_(chunk)
                    )
                )
            months = ROLLUP_MONTH_HISTOGRAMS
            session.execute(
                delete(months).where(
                    months.c.cube == cube.name,
                    months.c.month.in_(sorted({month_start(d) for d in chunk})),
                )
            )
    return dropped


# --- readers ---------------------------------------------------------------------------------


def marked_days(
    session: Session, cube: Cube, start: datetime, end: datetime, dimension: str = BASE
) -> set[datetime]:
    """The rolled-up days of a cube (its own cells, or one dimension's segment cells) that start
    in `[start, end)`."""
    stmt = select(ROLLUP_DAYS.c.day).where(
        ROLLUP_DAYS.c.cube == cube.name,
        ROLLUP_DAYS.c.dimension == dimension,
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
    """What one refresh built: days of each cube's own cells, and of each (cube, dimension)'s
    segment cells."""

    days: dict[str, int]
    segments: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Days built over every cube and dimension."""
        return sum(self.days.values()) + sum(self.segments.values())


#: The segment dimensions of each source, by source ("responses", "tickets").
Dimensions = Mapping[str, Sequence[str]]


def refresh(
    sessions: SessionFactory,
    *,
    now: datetime,
    dimensions: Dimensions | None = None,
    among: Collection[str] | None = None,
) -> Built:
    """Build the cells of every ended day that is not rolled up, and the segment cells of each
    dimension (`dimensions` by source; None: discovered from the data with
    `discover_dimensions`, among the attribute names `among` when given), cube by cube, a chunk
    of days per transaction."""
    built: dict[str, int] = {}
    segments: dict[tuple[str, str], int] = {}
    for cube in CUBES:
        built[cube.name] = _refresh_cube(sessions, cube, now, (BASE,))[BASE]
        names = _dimensions_of(sessions, cube.source, dimensions, among)
        if names:  # after the cube's own cells: they serve most questions
            for dimension, count in _refresh_cube(sessions, cube, now, names).items():
                segments[(cube.name, dimension)] = count
    done = Built(built, segments)
    if done.total >= ANALYZE_AFTER:
        _analyze(sessions)
    return done


def _refresh_cube(
    sessions: SessionFactory, cube: Cube, now: datetime, dimensions: Sequence[str]
) -> dict[str, int]:
    """Build these dimensions' missing days of one cube, a chunk per transaction; how many
    days of each were built."""
    counts = dict.fromkeys(dimensions, 0)
    while True:
        with session_scope(sessions) as session:
            pending = _lock_and_find(session, cube, now, dimensions)
            union = sorted(set().union(*pending.values()))
            if not union:
                break
            chunk = set(union[:CHUNK_DAYS])
            todo = {d: sorted(chunk.intersection(days)) for d, days in pending.items()}
            _build(session, cube, {d: days for d, days in todo.items() if days}, now)
        for dimension, days in todo.items():
            counts[dimension] += len(days)
    for dimension, count in counts.items():
        if count:
            log.info("rolled up %d day(s) of %s %s", count, cube.name, dimension)
    return counts


def _dimensions_of(
    sessions: SessionFactory,
    source: str,
    dimensions: Dimensions | None,
    among: Collection[str] | None,
) -> list[str]:
    if dimensions is not None:
        return [d for d in dimensions.get(source, ()) if d and len(d) <= DIMENSION_LENGTH]
    with session_scope(sessions) as session:
        return discover_dimensions(session=session, source=source, among=among)


#: A discovered dimension has at most this many distinct values among the newest records...
DISCOVERY_VALUES = 50
#: ...of this many.
DISCOVERY_SAMPLE = 10_000
#: Record columns that may be segment dimensions (the others are cube dimensions already, or
#: identities such as customer ids).
SEGMENT_COLUMNS = {"responses": (), "tickets": ("agent",)}


def discover_dimensions(
    *,
    session: Session,
    source: str,
    sample: int = DISCOVERY_SAMPLE,
    most_values: int = DISCOVERY_VALUES,
    among: Collection[str] | None = None,
) -> list[str]:
    """The attributes (and segment columns) of a source worth segment cells: those that take at
    most `most_values` distinct values among its newest `sample` records (plan, channel, region,
    agent…; not ids), in name order.

    `among` limits the attributes to these names: the service passes the attributes erasure
    keeps, so that no rollup cell holds a value erasure removes from the records (a handful
    of e-mail addresses would otherwise pass for a segment in a young database)."""
    raw = RAW[source]
    recent = select(raw).order_by(raw.c.id.desc()).limit(sample).subquery()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pairs = func.jsonb_each_text(recent.c.attributes).table_valued("key", "value")
    else:
        pairs = func.json_each(recent.c.attributes).table_valued("key", "value")
    stmt = (
        select(pairs.c.key)
        .select_from(recent)
        .join(pairs, literal(True))
        .where(pairs.c.key.in_(sorted(among)) if among is not None else literal(True))
        .group_by(pairs.c.key)
        .having(func.count(func.distinct(pairs.c.value)) <= most_values)
    )
    names = {str(name) for (name,) in session.execute(stmt)}
    for column in SEGMENT_COLUMNS[source]:
        distinct = select(func.count(func.distinct(recent.c[column]))).scalar_subquery()
        if 0 < (session.execute(select(distinct)).scalar_one() or 0) <= most_values:
            names.add(column)
    return sorted(n for n in names if len(n) <= DIMENSION_LENGTH)


def _analyze(sessions: SessionFactory) -> None:
    """Refresh the planner's statistics of the rollup tables after a large build.

    A first build fills them from empty: until the statistics say so, the planner takes them
    for empty and plans a year's histogram read as a sort on disk (PostgreSQL's autovacuum
    would catch up within minutes; the answers in between would be slow for nothing).
    """
    names = [
        ROLLUP_DAYS.name,
        ROLLUP_HISTOGRAMS.name,
        ROLLUP_SEGMENT_HISTOGRAMS.name,
        ROLLUP_MONTH_HISTOGRAMS.name,
        *(cells.name for cells in (*CELLS.values(), *SEGMENTS.values())),
    ]
    with session_scope(sessions) as session:
        for name in names:
            session.execute(text(f"ANALYZE {name}"))


def _lock_out_writers(session: Session) -> None:
    """Hold off every writer of responses and tickets until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    else:  # a first statement that writes: SQLite's write lock, held to the commit
        session.execute(update(ROLLUP_DAYS).where(literal(False)).values(cube=ROLLUP_DAYS.c.cube))


def _lock_and_find(
    session: Session, cube: Cube, now: datetime, dimensions: Sequence[str]
) -> dict[str, list[datetime]]:
    """Take the refresh's lock, then list, for the cube's own cells (BASE) and each segment
    dimension, the ended days that are not rolled up."""
    _lock_out_writers(session)
    raw = RAW[cube.source]
    earliest = session.execute(select(func.min(raw.c[cube.time_column]))).scalar_one()
    if earliest is None:
        return {}
    first_day = stored_day(earliest)
    assert first_day is not None
    first = day_start(first_day)
    today = day_start(now)
    every = [first + DAY * i for i in range((today - first) // DAY)]
    stmt = select(ROLLUP_DAYS.c.dimension, ROLLUP_DAYS.c.day).where(
        ROLLUP_DAYS.c.cube == cube.name,
        ROLLUP_DAYS.c.dimension.in_(list(dimensions)),
        ROLLUP_DAYS.c.day >= first,
        ROLLUP_DAYS.c.day < today,
    )
    marked: dict[str, set[datetime]] = {d: set() for d in dimensions}
    for dimension, day in session.execute(stmt):
        marked[dimension].add(day_start(day))
    return {d: [day for day in every if day not in marked[d]] for d in dimensions}


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


def spans(value: ColumnElement[Any], between: Sequence[tuple[Any, Any]]) -> ColumnElement[bool]:
    """SQL: the value lies in one of the half-open spans."""
    return or_(*[and_(value >= a, value < b) for a, b in between])


def _stage(
    session: Session, cube: Cube, days: Sequence[datetime], dimensions: Sequence[str]
) -> Table:
    """The records of these days, read once: each one's day, the cube's dimension and measured
    columns, and its value for each segment dimension, in a temporary table the cells and
    histograms of every dimension are then grouped from (a pass over the records per chunk,
    not one per dimension and histogram)."""
    dialect = session.get_bind().dialect.name
    raw = RAW[cube.source]
    time = raw.c[cube.time_column]
    name = f"kpibot_stage_{cube.table_name}"
    columns: list[Column[Any]] = [Column("day", UTCDateTime())]
    columns += [Column(n, t) for n, t in cube.segment_dims]
    measured = [v for v in cube.values if v not in cube.segment_dim_names]  # score is both
    columns += [Column(v, raw.c[v].type) for v in measured]
    columns += [Column(f"v{i}", String(255)) for i, _ in enumerate(dimensions)]
    stage = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
    stage.create(session.connection())
    rows = select(
        _day_of(dialect, time),
        *[raw.c[n] for n in cube.segment_dim_names],
        *[raw.c[v] for v in measured],
        *[named_value(cube.source, raw, d) for d in dimensions],
    ).where(spans(time, _runs(days)))
    session.execute(insert(stage).from_select([c.name for c in columns], rows))
    return stage


@dataclass(frozen=True)
class _Rows:
    """Where a build reads its rows: the records themselves (a cube's own cells), or their
    staged copy (segment cells: one read for every dimension)."""

    #: The UTC midnight of a row's day, in the cells' storage form.
    day: ColumnElement[Any]
    #: A cube dimension's or measured column's values.
    column: Callable[[str], ColumnElement[Any]]
    #: Whether a row lies in these runs of days.
    within: Callable[[Sequence[tuple[datetime, datetime]]], ColumnElement[bool]]
    #: A segment dimension's value (None for the records).
    segment: Callable[[str], ColumnElement[Any]] | None = None


def _build(
    session: Session, cube: Cube, days: Mapping[str, Sequence[datetime]], now: datetime
) -> None:
    """Write the cells (and histograms) of these days, per dimension (BASE: the cube's own,
    read from the records; else its segment cells, each row with the records' value for it,
    grouped from one staged read of the records for every dimension), and mark them, in one
    transaction."""
    raw = RAW[cube.source]
    time = raw.c[cube.time_column]
    if BASE in days:
        records = _Rows(
            day=_day_of(session.get_bind().dialect.name, time),
            column=lambda name: raw.c[name],
            within=lambda runs: spans(time, runs),
        )
        _write(session, cube, records, BASE, days[BASE], now)
    segments = [d for d in days if d != BASE]
    if not segments:
        return
    stage = _stage(session, cube, sorted(set().union(*(days[d] for d in segments))), segments)
    staged = _Rows(
        day=stage.c.day,
        column=lambda name: stage.c[name],
        within=lambda runs: spans(stage.c.day, runs),
        segment=lambda name: stage.c[f"v{segments.index(name)}"],
    )
    for dimension in segments:
        _write(session, cube, staged, dimension, days[dimension], now)
    if session.get_bind().dialect.name != "postgresql":  # PostgreSQL drops it at commit
        stage.drop(session.connection())


def _write(
    session: Session,
    cube: Cube,
    rows: _Rows,
    dimension: str,
    chosen: Sequence[datetime],
    now: datetime,
) -> None:
    """Replace one dimension's cells and histograms of these days and mark the days."""
    segmented = rows.segment is not None
    cells = SEGMENTS[cube.name] if segmented else CELLS[cube.name]
    histograms = ROLLUP_SEGMENT_HISTOGRAMS if segmented else ROLLUP_HISTOGRAMS
    runs = _runs(chosen)
    in_cells = [spans(cells.c.day, runs)]
    in_hists = [
        histograms.c.cube == cube.name,
        histograms.c.measure.in_(list(cube.histograms)),  # the index's second column
        spans(histograms.c.day, runs),
    ]
    dim_names = cube.segment_dim_names if segmented else cube.dim_names
    dims = [rows.column(name) for name in dim_names]
    head: list[ColumnElement[Any]] = [rows.day]
    head_names = ["day"]
    keys: list[ColumnElement[Any]] = [rows.day, *dims]
    labels: list[ColumnElement[Any]] = []
    if rows.segment is not None:
        value = rows.segment(dimension)
        in_cells.append(cells.c.dimension == dimension)
        in_hists.append(histograms.c.dimension == dimension)
        head += [literal(dimension, String), value]
        head_names += ["dimension", "value"]
        keys.append(value)
        labels = [literal(dimension, String), value]
    session.execute(delete(cells).where(*in_cells))
    session.execute(delete(histograms).where(*in_hists))
    columns: list[ColumnElement[Any]] = [*head, *dims, func.count()]
    names = [*head_names, *dim_names, "n"]
    for measured in cube.values:
        v = rows.column(measured)
        columns += [func.count(v), func.sum(v), func.sum(v * v)]
        names += [f"n_{measured}", f"s_{measured}", f"q_{measured}"]
    in_days = rows.within(runs)
    session.execute(
        insert(cells).from_select(names, select(*columns).where(in_days).group_by(*keys))
    )
    hist_names = ["cube", "measure", *(["dimension", "value"] if segmented else [])]
    hist_names += ["day", "bucket", "n", "low", "high"]
    for measure in cube.histograms:
        v = rows.column(measure)
        stats = histogram_columns(v)
        hist = (
            select(literal(cube.name), literal(measure), *labels, rows.day, *stats)
            .where(in_days, v.is_not(None))
            .group_by(rows.day, *labels[1:], stats[0].element)
        )
        session.execute(insert(histograms).from_select(hist_names, hist))
    session.execute(
        insert(ROLLUP_DAYS),
        [{"cube": cube.name, "dimension": dimension, "day": d, "built_at": now} for d in chosen],
    )
    if cube.histograms:
        _roll_months(session, cube, dimension, chosen)


def _roll_months(session: Session, cube: Cube, dimension: str, chosen: Sequence[datetime]) -> None:
    """(Re)build the monthly histograms of the months whose every day is now rolled up, summed
    from their daily ones, in the transaction that marked their last days."""
    segmented = dimension != BASE
    daily = ROLLUP_SEGMENT_HISTOGRAMS if segmented else ROLLUP_HISTOGRAMS
    monthly = ROLLUP_MONTH_HISTOGRAMS
    for month in sorted({month_start(d) for d in chosen}):
        following = next_month(month)
        marked = session.execute(
            select(func.count()).where(
                ROLLUP_DAYS.c.cube == cube.name,
                ROLLUP_DAYS.c.dimension == dimension,
                ROLLUP_DAYS.c.day >= month,
                ROLLUP_DAYS.c.day < following,
            )
        ).scalar_one()
        if marked < (following - month) // DAY:
            continue
        session.execute(
            delete(monthly).where(
                monthly.c.cube == cube.name,
                monthly.c.measure.in_(list(cube.histograms)),
                monthly.c.dimension == dimension,
                monthly.c.month == month,
            )
        )
        value = daily.c.value if segmented else literal(None, String)
        where = [daily.c.cube == cube.name, daily.c.day >= month, daily.c.day < following]
        groups = [daily.c.measure, daily.c.bucket]
        if segmented:
            where.append(daily.c.dimension == dimension)
            groups.append(daily.c.value)
        summed = (
            select(
                literal(cube.name, String),
                daily.c.measure,
                literal(dimension, String),
                value,
                literal(month, UTCDateTime()),
                daily.c.bucket,
                func.sum(daily.c.n),
                func.min(daily.c.low),
                func.max(daily.c.high),
            )
            .where(*where)
            .group_by(*groups)
        )
        names = ["cube", "measure", "dimension", "value", "month", "bucket", "n", "low", "high"]
        session.execute(insert(monthly).from_select(names, summed))


def forget(sessions: SessionFactory) -> None:
    """Drop every rollup (they are rebuilt by the next refresh)."""
    with session_scope(sessions) as session:
        _lock_out_writers(session)
        session.execute(delete(ROLLUP_DAYS))
        session.execute(delete(ROLLUP_HISTOGRAMS))
        session.execute(delete(ROLLUP_SEGMENT_HISTOGRAMS))
        session.execute(delete(ROLLUP_MONTH_HISTOGRAMS))
        for cells in (*CELLS.values(), *SEGMENTS.values()):
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
