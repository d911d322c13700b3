"""The tables: survey responses, support tickets and business counters.

Each record type is unique on (`source`, `external_id`): re-sending a record updates it.
Indexes put the time column first, then the kind of record, so period queries are range scans;
they also carry the columns the KPIs read, so most KPIs are answered from the index alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import AttributesJSON, UTCDateTime

SURVEY_KINDS = ("nps", "enps", "csat", "ces")
COUNTER_KINDS = ("flow", "level")


def utcnow() -> datetime:
    """The current instant in UTC."""
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's SQLAlchemy `Table` (for Core statements)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


class SurveyResponse(SQLModel, table=True):
    """One answer to an NPS, eNPS, CSAT or CES survey."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_survey_responses_source_external_id"),
        # Time first, then the kind of record, then what survey KPIs read: a period's scores
        # come from the index alone, without visiting the table.
        Index(
            "ix_survey_responses_period",
            "submitted_at",
            "survey",
            "score",
            "scale_max",
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    external_id: str = Field(sa_column=Column(String(255), nullable=False))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    survey: str = Field(sa_column=Column(String(8), nullable=False))
    score: int = Field(sa_column=Column(Integer, nullable=False))
    scale_max: int = Field(sa_column=Column(Integer, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    customer_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(AttributesJSON, nullable=False)
    )
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    #: The vendor's time of the newest event merged into this row by a connector (its merge
    #: write keeps what a newer event set); None for the API's and files' records.
    event_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Ticket(SQLModel, table=True):
    """One support ticket, in its latest known state."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_tickets_source_external_id"),
        # Tickets created in a period (volume, first response, escalation, backlog) and
        # resolved in a period (handle time, resolution time, FCR, reopens), covering what
        # those KPIs read.
        Index(
            "ix_tickets_created",
            "created_at",
            "channel",
            "first_response_seconds",
            "resolved_at",
            "escalated",
        ),
        Index(
            "ix_tickets_resolved",
            "resolved_at",
            "channel",
            "resolution_seconds",
            "handle_seconds",
            "contacts",
            "reopened",
        ),
        # Exact percentiles of durations (median, p90) read the values of one histogram bucket
        # in a window, in order (`storage.aggregate`): value first, then the time column.
        Index("ix_tickets_first_response_seconds", "first_response_seconds", "created_at"),
        Index("ix_tickets_resolution_seconds", "resolution_seconds", "resolved_at"),
        Index("ix_tickets_handle_seconds", "handle_seconds", "resolved_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    external_id: str = Field(sa_column=Column(String(255), nullable=False))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    first_response_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    #: Derived at ingest (first_response_at − created_at, resolved_at − created_at, in seconds),
    #: so duration KPIs read a number from the index instead of parsing two timestamps a row.
    first_response_seconds: float | None = Field(
        default=None, sa_column=Column(Float, nullable=True)
    )
    resolution_seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    handle_seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    contacts: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    escalated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    reopened: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    channel: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    team: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    agent: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    customer_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(AttributesJSON, nullable=False)
    )
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    #: The vendor's time of the newest event merged into this row by a connector (see
    #: `storage.ingest.merge_tickets`); None for the API's and files' records.
    event_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Counter(SQLModel, table=True):
    """One observation of a business counter: a flow (summed) or a level (read at an instant)."""

    __tablename__ = "counters"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_counters_source_external_id"),
        Index("ix_counters_at_name", "at", "name"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    external_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(128), nullable=False))
    value: float = Field(sa_column=Column(Float, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    kind: str = Field(default="flow", sa_column=Column(String(8), nullable=False))
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(AttributesJSON, nullable=False)
    )
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


RESPONSES = table_of(SurveyResponse)
TICKETS = table_of(Ticket)
COUNTERS = table_of(Counter)

#: Names that filter, group and segment on a record's own column rather than on its attributes.
COLUMN_FILTERS: dict[str, frozenset[str]] = {
    "responses": frozenset({"survey", "customer_id", "source"}),
    "tickets": frozenset({"channel", "team", "agent", "customer_id", "source"}),
    "counters": frozenset({"name", "kind", "source"}),
    "alerts": frozenset({"kind", "state", "channel_id", "claimed_by", "closed_by"}),
}


def named_value(source: str, table: Table, name: str) -> ColumnElement[Any]:
    """SQL: what a filter, grouping or segment named `name` reads on a record of `source`: its
    own column (`COLUMN_FILTERS`), else its attribute of that name (None when it has none)."""
    if name in COLUMN_FILTERS[source]:
        own: ColumnElement[Any] = table.c[name]
        return own
    attribute: ColumnElement[Any] = table.c.attributes[name].as_string()
    return attribute
