"""The alert tables: detractor routes, threshold rules, and the alerts themselves (the outbox).

An `alerts` row is written in the same transaction as whatever raises it (the ingest of a
detractor's answer, a threshold rule starting or ceasing to hold), so an alert can be delayed by
a Slack outage or a restart but never lost. A worker claims a pending row with a conditional
UPDATE before posting and records the outcome after. The unique (route, response) key means a
re-sent answer never alerts twice. The row also carries the loop: claimed, resolved or "no
action needed", by whom and when.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import table_of, utcnow
from storage.types import AttributesJSON, StrEnumType, UTCDateTime


class AlertKind(StrEnum):
    """What raised an alert: a detractor's answer, a rule starting to hold, or recovering."""

    DETRACTOR = "detractor"
    THRESHOLD = "threshold"
    RECOVERY = "recovery"


class AlertStatus(StrEnum):
    """An alert's delivery: pending (to post), posting (claimed by a worker), posted, failed
    (Slack certainly posted nothing: retried), unknown (may have posted: never re-posted),
    erased (its answer's personal data was removed before it was posted: never posted)."""

    PENDING = "pending"
    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"
    UNKNOWN = "unknown"
    ERASED = "erased"


class LoopState(StrEnum):
    """Where a detractor's loop stands (threshold and recovery alerts have none)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    NO_ACTION = "no_action"
    NONE = "none"


class Comparison(StrEnum):
    """How a threshold rule compares: below or above a value, or a drop against the previous
    period."""

    BELOW = "below"
    ABOVE = "above"
    DROPS_BY = "drops-by"


class AlertRoute(SQLModel, table=True):
    """Where detractors of some surveys (and segment) are announced, and whom to mention."""

    __tablename__ = "alert_routes"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    #: Slack user ids (U…) and user-group ids (S…) to mention.
    leads: list[str] = Field(default_factory=list, sa_column=Column(AttributesJSON, nullable=False))
    surveys: list[str] = Field(
        default_factory=list, sa_column=Column(AttributesJSON, nullable=False)
    )
    filters: list[str] = Field(
        default_factory=list, sa_column=Column(AttributesJSON, nullable=False)
    )
    created_by: str = Field(default="", sa_column=Column(String(32), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ThresholdRule(SQLModel, table=True):
    """`nps last-7d < 30`: fires once when it starts to hold, recovers once when it stops."""

    __tablename__ = "threshold_rules"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    kpi: str = Field(sa_column=Column(String(64), nullable=False))
    period: str = Field(sa_column=Column(String(64), nullable=False))
    comparison: Comparison = Field(sa_column=Column(StrEnumType(Comparison, 12), nullable=False))
    threshold: float = Field(sa_column=Column(Float, nullable=False))
    filters: list[str] = Field(
        default_factory=list, sa_column=Column(AttributesJSON, nullable=False)
    )
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    leads: list[str] = Field(default_factory=list, sa_column=Column(AttributesJSON, nullable=False))
    holding: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    last_value: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    last_evaluated_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_by: str = Field(default="", sa_column=Column(String(32), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Alert(SQLModel, table=True):
    """One alert: its delivery (the outbox) and its loop (claim, resolution)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("route_id", "response_id", name="uq_alerts_route_response"),
        Index("ix_alerts_status", "status", "created_at"),
        Index("ix_alerts_created", "created_at", "kind"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    kind: AlertKind = Field(sa_column=Column(StrEnumType(AlertKind, 12), nullable=False))
    route_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    rule_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    leads: list[str] = Field(default_factory=list, sa_column=Column(AttributesJSON, nullable=False))
    #: What the message shows besides the response (a threshold alert's value, period…).
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(AttributesJSON, nullable=False)
    )
    status: AlertStatus = Field(
        default=AlertStatus.PENDING,
        sa_column=Column(StrEnumType(AlertStatus, 8), nullable=False),
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claimed_by_worker: str = Field(default="", sa_column=Column(String(128), nullable=False))
    posting_since: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    message_channel: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    message_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    posted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    #: Part of a burst posted as one summary message (message_ts is the summary's).
    summarised: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    state: LoopState = Field(
        default=LoopState.OPEN, sa_column=Column(StrEnumType(LoopState, 10), nullable=False)
    )
    claimed_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    closed_by: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reminded_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


ROUTES = table_of(AlertRoute)
RULES = table_of(ThresholdRule)
ALERTS = table_of(Alert)
