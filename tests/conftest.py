"""Shared fixtures: real databases (a SQLite file and the PostgreSQL test server).

`db_url` is parametrised over both backends. PostgreSQL tests use the database named by
`KPIBOT_TEST_POSTGRES_URL` (`.ci/run` creates a throwaway one per run); they are skipped only
when it is unset, and never in CI, where an unset URL is an error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

# Importing the table modules registers their tables on SQLModel.metadata.
import storage.alerts.tables
import storage.conversation.tables
import storage.digests.tables
import storage.home.tables
import storage.models
import storage.ops.tables
import storage.privacy.tables
import storage.rollups.tables
import storage.surveys.tables  # noqa: F401
from storage.db import SessionFactory, make_engine, make_session_factory
from storage.migrate import upgrade

POSTGRES_ENV = "KPIBOT_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not os.environ.get(POSTGRES_ENV):
        raise pytest.UsageError(
            f"CI is set but {POSTGRES_ENV} is not: the PostgreSQL tests must run in CI"
        )


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback servers only: never route test traffic through a proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "kpibot.db"
    upgrade(f"sqlite:///{path}")
    return path


def _admin(url: str) -> str:
    """The same server's maintenance database (to create and drop others)."""
    return (
        make_url(url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """The PostgreSQL test database, migrated once per run.

    Under pytest-xdist each worker gets a database of its own, named after the one given
    (`…_gw0`, `…_gw1`), created here and dropped when the worker ends.
    """
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        upgrade(url)
        yield url
        return
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    with psycopg.connect(_admin(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    own = parsed.set(database=name).render_as_string(hide_password=False)
    upgrade(own)
    try:
        yield own
    finally:
        with psycopg.connect(_admin(url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(
        f'"{t.name}"' for t in SQLModel.metadata.sorted_tables if t.name != "alembic_version"
    )
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kpibot.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_base_url")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database, disposed after the test."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> SessionFactory:
    """A session factory on the test database."""
    return make_session_factory(engine)
