"""The digest tables: subscriptions (the schedule's source of truth) and deliveries (the claims).

A subscription says what to post where and when (a cron expression in an IANA timezone). A
delivery is one (subscription, scheduled instant): its row is inserted before anything is
posted, and the unique key on (subscription_id, scheduled_for) is the lock that keeps a second
scheduler, a restarted process or an operator's `kpibot digest send` from posting it twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.models import table_of, utcnow
from storage.types import AttributesJSON, StrEnumType, UTCDateTime


class Cadence(StrEnum):
    """Which period a digest covers: the week, day or month before it fires, or (cron) the
    span since its previous fire time."""

    WEEKLY = "weekly"
    DAILY = "daily"
    MONTHLY = "monthly"
    CRON = "cron"


class DeliveryStatus(StrEnum):
    """A delivery's state. `claimed`: being posted now; `sent`: posted; `failed`: Slack certainly
    posted nothing (retried at the next tick, within the grace window); `unknown`: a timeout or
    crash after sending, never re-posted automatically; `missed`: nobody posted it within the
    grace window."""

    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    MISSED = "missed"


class ChartStatus(StrEnum):
    """The fate of a delivery's chart: none (no chart), uploaded or failed (the text stands)."""

    NONE = "none"
    UPLOADED = "uploaded"
    FAILED = "failed"


class Trigger(StrEnum):
    """Who started a delivery."""

    SCHEDULER = "scheduler"
    CATCH_UP = "catch-up"
    RETRY = "retry"
    MANUAL = "manual"


class DigestSubscription(SQLModel, table=True):
    """A channel's digest: where, when (cron + timezone), which KPIs, which segment."""

    __tablename__ = "digest_subscriptions"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(default="", sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    channel_name: str = Field(default="", sa_column=Column(String(255), nullable=False))
    cadence: Cadence = Field(sa_column=Column(StrEnumType(Cadence, 8), nullable=False))
    #: Five-field cron expression, in `timezone` (always set, also for the readable schedules).
    cron: str = Field(sa_column=Column(String(128), nullable=False))
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    kpis: list[str] = Field(default_factory=list, sa_column=Column(AttributesJSON, nullable=False))
    #: Filters as typed: ["plan=enterprise", "channel!=email"].
    filters: list[str] = Field(
        default_factory=list, sa_column=Column(AttributesJSON, nullable=False)
    )
    created_by: str = Field(default="", sa_column=Column(String(32), nullable=False))
    paused: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    paused_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class DigestDelivery(SQLModel, table=True):
    """One scheduled post of a subscription, claimed before posting and marked after."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "scheduled_for", name="uq_digest_deliveries_subscription_slot"
        ),
        Index("ix_digest_deliveries_status", "status", "scheduled_for"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    subscription_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), nullable=False
        )
    )
    #: The cron fire time this delivery belongs to (UTC).
    scheduled_for: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    period_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    period_end: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: DeliveryStatus = Field(sa_column=Column(StrEnumType(DeliveryStatus, 8), nullable=False))
    #: Posted after its time (caught up after downtime, or retried after a failure).
    late: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    #: Who triggered it (`manual`: `kpibot digest send`).
    trigger: Trigger = Field(
        default=Trigger.SCHEDULER, sa_column=Column(StrEnumType(Trigger, 16), nullable=False)
    )
    attempts: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    claimed_by: str = Field(default="", sa_column=Column(String(128), nullable=False))
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    message_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    chart: ChartStatus = Field(
        default=ChartStatus.NONE, sa_column=Column(StrEnumType(ChartStatus, 8), nullable=False)
    )
    chart_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PostStatus(StrEnum):
    """A digest message's fate, as far as its redaction needs it: `posting` (composed, being
    sent), `posted` (Slack gave its ts), `unknown` (may have been posted; its ts is unknown)."""

    POSTING = "posting"
    POSTED = "posted"
    UNKNOWN = "unknown"


class DigestPost(SQLModel, table=True):
    """A digest message as posted: where, and its blocks, so it can be redacted later.

    Kept apart from the deliveries (no foreign key): removing a subscription removes its
    deliveries, but its messages stay in Slack and must stay redactable.
    """

    __tablename__ = "digest_posts"
    __table_args__ = (Index("ix_digest_posts_delivery", "delivery_id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    delivery_id: int = Field(sa_column=Column(Integer, nullable=False))
    subscription_id: int = Field(sa_column=Column(Integer, nullable=False))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    message_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    status: PostStatus = Field(sa_column=Column(StrEnumType(PostStatus, 8), nullable=False))
    #: The digest's timezone (a redacted comment keeps its date, written in it).
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(AttributesJSON, nullable=False)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    redacted_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class DigestQuote(SQLModel, table=True):
    """A survey response a digest message quoted (its comment, score and customer)."""

    __tablename__ = "digest_quotes"
    __table_args__ = (
        UniqueConstraint("post_id", "response_id", name="uq_digest_quotes_post_response"),
        Index("ix_digest_quotes_response", "response_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("digest_posts.id", ondelete="CASCADE"), nullable=False)
    )
    response_id: int = Field(sa_column=Column(Integer, nullable=False))


SUBSCRIPTIONS = table_of(DigestSubscription)
DELIVERIES = table_of(DigestDelivery)
POSTS = table_of(DigestPost)
QUOTES = table_of(DigestQuote)
