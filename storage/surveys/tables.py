"""The survey tables: recurring pulses, rounds, the sends still owed, and the round's tokens.

What each table may hold is the anonymity guarantee, so it is spelled out here:

- `survey_pulses`: a recurring schedule (channel, kind, question, cron). No person.
- `survey_rounds`: one question sent once to a channel's members. Counts only (asked,
  answered, unreachable, uncertain), and `secret`: the round's random key, set NULL when the
  round closes.
- `survey_sends`: a DM still owed to one member (the question, or the reminder). It must hold
  the member's user id while it waits; the row is deleted as soon as the DM is posted (or
  given up), so a round that has finished sending holds no user id at all. Its claim (a
  conditional UPDATE to `claimed`) is the lock that keeps a restarted or second worker from
  DMing anyone twice: a claimed row is never posted again, whatever happened to its process.
- `survey_tokens`: per round, HMAC-SHA256(round secret, user id) of each member asked, with
  whether that member has answered (what stops a second answer, and tells the reminder whom
  to remind). All of a round's tokens are deleted when it closes, with its secret.

The answers themselves are ordinary `survey_responses` rows (source `slack-survey`, no
customer id, dated at the round's opening) and the number asked an ordinary `surveys_sent`
counter: nothing in either points to a person.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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
from storage.types import StrEnumType, UTCDateTime

#: The `source` of the answers and counters a Slack survey writes.
SURVEY_SOURCE = "slack-survey"


class RoundStatus(StrEnum):
    """A round's life: `new` (members not listed yet), `listing` (claimed by a worker reading
    the channel's members), `sending` (DMs owed), `open` (everyone asked), `closed`."""

    NEW = "new"
    LISTING = "listing"
    SENDING = "sending"
    OPEN = "open"
    CLOSED = "closed"


class ResultStatus(StrEnum):
    """The fate of the round's result message in the channel (posted once, like a digest)."""

    NONE = "none"
    PENDING = "pending"
    CLAIMED = "claimed"
    POSTED = "posted"
    FAILED = "failed"
    UNKNOWN = "unknown"


class SendPurpose(StrEnum):
    """What a DM owed to a member carries: the question, or the reminder."""

    ASK = "ask"
    REMIND = "remind"


class SendStatus(StrEnum):
    """A DM owed: `pending`, or `claimed` by a worker that is posting it now."""

    PENDING = "pending"
    CLAIMED = "claimed"


class SurveyPulse(SQLModel, table=True):
    """A recurring survey of a channel: a round opens at each fire time of its cron."""

    __tablename__ = "survey_pulses"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(default="", sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    channel_name: str = Field(default="", sa_column=Column(String(255), nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    question: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: The `team` attribute stored with each answer.
    team: str = Field(sa_column=Column(String(128), nullable=False))
    #: How long each round stays open, in seconds.
    open_seconds: int = Field(sa_column=Column(Integer, nullable=False))
    #: `monthly` or `quarterly`.
    cadence: str = Field(sa_column=Column(String(16), nullable=False))
    cron: str = Field(sa_column=Column(String(128), nullable=False))
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    paused: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class SurveyRound(SQLModel, table=True):
    """One question asked once of each member of a channel; counts, never people."""

    __tablename__ = "survey_rounds"
    __table_args__ = (
        # A pulse's round per fire time: the claim that opens it once (NULLs never collide, so
        # one-off rounds are free).
        UniqueConstraint("pulse_id", "scheduled_for", name="uq_survey_rounds_pulse_slot"),
        Index("ix_survey_rounds_status", "status", "closes_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    pulse_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("survey_pulses.id", ondelete="SET NULL"), nullable=True
        ),
    )
    scheduled_for: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    team_id: str = Field(default="", sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(32), nullable=False))
    channel_name: str = Field(default="", sa_column=Column(String(255), nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    scale_max: int = Field(sa_column=Column(Integer, nullable=False))
    question: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    team: str = Field(sa_column=Column(String(128), nullable=False))
    #: The instant every answer of the round is dated at (`submitted_at`).
    opens_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    remind_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closes_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: RoundStatus = Field(sa_column=Column(StrEnumType(RoundStatus, 8), nullable=False))
    #: Who holds the `listing` claim, and since when (a crashed lister's claim goes stale).
    claimed_by: str = Field(default="", sa_column=Column(String(128), nullable=False))
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    #: The round's key for the tokens (64 hex characters); NULL once closed.
    secret: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    #: DMs posted (including `uncertain` ones), members that could not be DMed, DMs whose
    #: fate is unknown (a timeout, a crash after the claim), answers, reminders posted.
    asked: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    unreachable: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    uncertain: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    answered: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    reminded: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    #: When the reminder was claimed (set once: the reminder's sends were queued then).
    reminder_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    result: ResultStatus = Field(
        default=ResultStatus.NONE, sa_column=Column(StrEnumType(ResultStatus, 8), nullable=False)
    )
    result_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    result_ts: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    result_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class SurveySend(SQLModel, table=True):
    """A DM owed to one member; deleted once posted or given up."""

    __tablename__ = "survey_sends"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "purpose", name="uq_survey_sends_member"),
        Index("ix_survey_sends_status", "status", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    round_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("survey_rounds.id", ondelete="CASCADE"), nullable=False
        )
    )
    user_id: str = Field(sa_column=Column(String(32), nullable=False))
    purpose: SendPurpose = Field(sa_column=Column(StrEnumType(SendPurpose, 8), nullable=False))
    status: SendStatus = Field(sa_column=Column(StrEnumType(SendStatus, 8), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    claimed_by: str = Field(default="", sa_column=Column(String(128), nullable=False))
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class SurveyToken(SQLModel, table=True):
    """HMAC(round secret, user id) of a member asked, and whether they answered."""

    __tablename__ = "survey_tokens"

    round_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("survey_rounds.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    digest: str = Field(sa_column=Column(String(64), primary_key=True))
    answered: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))


PULSES = table_of(SurveyPulse)
ROUNDS = table_of(SurveyRound)
SENDS = table_of(SurveySend)
TOKENS = table_of(SurveyToken)
