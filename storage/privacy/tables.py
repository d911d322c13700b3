"""The privacy tables: the redaction outbox, the log of removals, and the daily-run claims.

A `redactions` row says that one Slack message kpibot posted (an alert's, by alert id, or a
digest's, by `digest_posts` id) must be re-rendered without the personal data it quoted. It is
written in the same transaction that removes the data, so a Slack outage delays the
`chat.update` and never skips it; a worker claims it and retries until Slack confirms.
`erasures` records what each removal did, in counts only: never whose data it was.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlmodel import Field, SQLModel

from storage.models import table_of, utcnow
from storage.types import StrEnumType, UTCDateTime


class Reason(StrEnum):
    """Why personal data was removed: a person asked (GDPR art. 17), or it outlived
    KPIBOT_COMMENT_RETENTION."""

    ERASURE = "erasure"
    RETENTION = "retention"


class Target(StrEnum):
    """What kind of Slack message a redaction re-renders."""

    ALERT = "alert"
    DIGEST = "digest"


class RedactionStatus(StrEnum):
    """`pending`: to send (again); `sending`: claimed by a worker; `done`: Slack has the redacted
    message; `gone`: there is nothing to redact (the message was deleted, or never posted)."""

    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    GONE = "gone"


class Redaction(SQLModel, table=True):
    """One Slack message to re-render without the removed data (the outbox)."""

    __tablename__ = "redactions"
    __table_args__ = (
        Unique("target", "target_id", name="uq_redactions_target"),
        Index("ix_redactions_status", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    target: Target = Field(sa_column=Column(StrEnumType(Target, 8), nullable=False))
    target_id: int = Field(sa_column=Column(Integer, nullable=False))
    reason: Reason = Field(sa_column=Column(StrEnumType(Reason, 12), nullable=False))
    status: RedactionStatus = Field(
        default=RedactionStatus.PENDING,
        sa_column=Column(StrEnumType(RedactionStatus, 8), nullable=False),
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Erasure(SQLModel, table=True):
    """What one erasure request or retention run removed, in counts (never whose data)."""

    __tablename__ = "erasures"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    reason: Reason = Field(sa_column=Column(StrEnumType(Reason, 12), nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    responses: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    tickets: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    alerts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    #: Digest subscriptions, alert routes and threshold rules removed because their filters
    #: named the customer.
    filters: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    #: Slack messages queued for redaction.
    messages: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class DailyRun(SQLModel, table=True):
    """A daily job's claim on its UTC day: the first scheduler to insert it runs the job."""

    __tablename__ = "daily_runs"
    __table_args__ = (PrimaryKeyConstraint("job", "day", name="pk_daily_runs"),)

    job: str = Field(sa_column=Column(String(40), nullable=False))
    day: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


REDACTIONS = table_of(Redaction)
ERASURES = table_of(Erasure)
DAILY_RUNS = table_of(DailyRun)
