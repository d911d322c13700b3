"""Alembic environment: runs kpibot's migrations on the URL kpibot passes in."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import pool
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
from storage.db import make_engine
from storage.types import StrEnumType, UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render kpibot's column types as the plain types they store in generated migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, StrEnumType):
        length = getattr(obj.impl_instance, "length", None)
        return f"sa.String(length={length})"
    return False


target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    """Emit SQL without a connection (`alembic upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations on a live connection (kpibot's own engine, or one handed in)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(str(config.get_main_option("sqlalchemy.url")), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
