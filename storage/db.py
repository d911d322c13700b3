"""Engines and sessions: one session per unit of work, never a shared one."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

SessionFactory = sessionmaker[Session]


def normalize_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs; leave the others as they are."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    try:
        dbapi_connection.execute("SELECT ln(1.0), ceil(0.5)")
    except Exception:  # SQLite built without its math functions: provide the two we use
        dbapi_connection.create_function("ln", 1, math.log, deterministic=True)
        dbapi_connection.create_function("ceil", 1, math.ceil, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # KPI queries range-scan large indexes: a 64 MiB page cache (SQLite's default is 2 MiB)
    # keeps them in memory; it is also the bound on what a long import holds.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Deleted and overwritten content is zeroed, not left in free space: once a customer's data
    # is erased, it is nowhere in the file (the erasure then checkpoints the WAL: `checkpoint`).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine for a SQLite file or a PostgreSQL server.

    SQLite gets WAL, a busy timeout and its parent folder created, so the embedded default works
    from a fresh clone; PostgreSQL gets a pre-ping pool.
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> SessionFactory:
    """A factory of sessions bound to the engine; objects stay readable after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


#: `session.info` key set on sessions whose statements all read one snapshot (`read_snapshot`).
SNAPSHOT = "kpibot.snapshot"


@contextmanager
def read_snapshot(factory: SessionFactory) -> Iterator[Session]:
    """A read-only session whose statements all see the database as of its first read.

    A KPI answer takes several statements (which days are rolled up, then their cells; a
    histogram, then the few values it points to); a write committed between two of them must
    not make them disagree. PostgreSQL: a REPEATABLE READ, READ ONLY transaction. SQLite: one
    deferred read transaction (`BEGIN`), which in WAL mode keeps its snapshot to the end.
    Rolled back on exit: nothing is written.
    """
    session = factory()
    try:
        if session.get_bind().dialect.name == "postgresql":
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            session.connection(execution_options=options)
        else:
            session.connection().exec_driver_sql("BEGIN")
        session.info[SNAPSHOT] = True
        yield session
    finally:
        session.rollback()
        session.close()


def in_snapshot(session: OrmSession) -> bool:
    """Whether every statement of this session reads the same snapshot."""
    return bool(session.info.get(SNAPSHOT))


@contextmanager
def custom_plans(session: OrmSession) -> Iterator[None]:
    """Plan the statements in the block for their own parameters (PostgreSQL).

    psycopg prepares statements it sees often, and PostgreSQL may then reuse one generic plan
    for every execution. For look-ups whose best plan depends on the values (a time window of
    a day or of a year; keys in a table filled earlier in the same transaction) a generic plan
    can be disastrous: it made a 100k-row import quadratic. Bulk INSERTs keep generic plans,
    which halve their cost.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    try:
        yield
    finally:
        if postgres:
            session.execute(text("SET LOCAL plan_cache_mode = auto"))


def checkpoint(engine: Engine, *, attempts: int = 3) -> bool:
    """SQLite: copy the WAL into the database file and truncate the WAL to zero bytes, so the
    old page images it held (with erased data in them) are gone. False when readers kept it
    from completing after `attempts` tries (each waits on the busy timeout); True on
    PostgreSQL, which has no such file (see the README on VACUUM and backups)."""
    if engine.dialect.name != "sqlite":
        return True
    for _ in range(attempts):
        with engine.connect() as connection:
            busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
    return False


#: SQLite's words for a statement that is wrong rather than a database that is away.
_SQLITE_BUGS = ("no such table", "no such column", "near ", "syntax error", "no such function")


def unavailable(exc: BaseException) -> bool:
    """Whether an exception means the database is unavailable (connection refused or lost,
    the pool exhausted, an unreadable SQLite file, a lock held past the busy timeout), as
    opposed to a bug in a statement."""
    from sqlalchemy import exc as errors

    if isinstance(exc, errors.TimeoutError):
        return True
    if isinstance(exc, errors.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, errors.OperationalError):
        message = str(exc.orig).lower()
        return not any(message.startswith(bug) for bug in _SQLITE_BUGS)
    return False


def ping(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
