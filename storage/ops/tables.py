"""The operator's tables: incidents, scheduler heartbeats and connector health.

An incident is one problem a person must hear about once (a digest that could not be posted,
alerts stuck in the outbox, a connector whose deliveries keep failing, a Slack token that stopped
working). `open_key` is unique and set only while the incident is open: the scheduler that
inserts it is the one that announces it, and the one whose conditional UPDATE closes it
announces the recovery. Both announcements go through the row itself (an outbox), so a Slack
outage delays them and a retry never posts them twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import table_of, utcnow
from storage.types import AttributesJSON, StrEnumType, UTCDateTime


class Announcement(StrEnum):
    """An incident message's delivery to the ops channel: `off` (no KPIBOT_OPS_CHANNEL),
    `pending`, `posting` (claimed), `posted`, `failed` (retried), `unknown` (may have posted:
    never re-posted)."""

    OFF = "off"
    PENDING = "pending"
    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Incident(SQLModel, table=True):
    """One problem, from the moment it is seen to its recovery."""

    __tablename__ = "ops_incidents"
    __table_args__ = (
        UniqueConstraint("open_key", name="uq_ops_incidents_open_key"),
        Index("ix_ops_incidents_key", "key", "opened_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    #: What is wrong, e.g. `digest:3`, `alerts:unposted`, `connector:zendesk`, `slack:token`.
    key: str = Field(sa_column=Column(String(128), nullable=False))
    #: `key` while the incident is open, NULL once it recovered: the claim.
    open_key: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    #: What the messages say: the kind of problem and its numbers (never personal data).
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(AttributesJSON, nullable=False)
    )
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    opened_post: Announcement = Field(
        sa_column=Column(StrEnumType(Announcement, 8), nullable=False)
    )
    resolved_post: Announcement | None = Field(
        default=None, sa_column=Column(StrEnumType(Announcement, 8), nullable=True)
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Heartbeat(SQLModel, table=True):
    """A scheduler's last sign of life (one row per process)."""

    __tablename__ = "scheduler_heartbeats"

    worker: str = Field(sa_column=Column(String(128), primary_key=True))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    beat_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    #: The features whose jobs it runs.
    jobs: list[str] = Field(default_factory=list, sa_column=Column(AttributesJSON, nullable=False))


class ConnectorHealth(SQLModel, table=True):
    """How a vendor's webhook deliveries have been going (written by the connectors)."""

    __tablename__ = "connector_health"

    vendor: str = Field(sa_column=Column(String(64), primary_key=True))
    failures_in_row: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_outcome: str = Field(sa_column=Column(String(16), nullable=False))
    last_ok_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_failed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


INCIDENTS = table_of(Incident)
HEARTBEATS = table_of(Heartbeat)
CONNECTOR_HEALTH = table_of(ConnectorHealth)
