"""The claims of Slack events: one row per mention or direct message kpibot answers.

Slack re-sends an event it thinks was not received (`X-Slack-Retry-Num`), and several replicas
may receive one. The row is inserted before anything is answered: its primary key (the event's
`event_id`) and the unique (channel, message ts) are the lock, so a retry, a second replica or
the same message delivered as two events (a mention in a direct message) never answers twice.
The row then records how it ended.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import table_of, utcnow
from storage.types import StrEnumType, UTCDateTime


class EventKind(StrEnum):
    """Where a question was asked: an @mention in a channel, or a direct message."""

    MENTION = "mention"
    DIRECT = "direct"


class EventStatus(StrEnum):
    """How an event's answer ended. `claimed`: being answered; `answered`: posted; `refused`:
    the asker may not read KPIs (told privately); `failed`: Slack certainly posted nothing;
    `unknown`: a timeout after the request left (never re-posted)."""

    CLAIMED = "claimed"
    ANSWERED = "answered"
    REFUSED = "refused"
    FAILED = "failed"
    UNKNOWN = "unknown"


class EventClaim(SQLModel, table=True):
    """One Slack event kpibot took to answer."""

    __tablename__ = "slack_event_claims"
    __table_args__ = (
        UniqueConstraint("channel_id", "message_ts", name="uq_slack_event_claims_message"),
        Index("ix_slack_event_claims_claimed_at", "claimed_at"),
    )

    event_id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: EventKind = Field(sa_column=Column(StrEnumType(EventKind, 8), nullable=False))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    message_ts: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: str = Field(sa_column=Column(String(32), nullable=False))
    status: EventStatus = Field(sa_column=Column(StrEnumType(EventStatus, 8), nullable=False))
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


EVENT_CLAIMS = table_of(EventClaim)
