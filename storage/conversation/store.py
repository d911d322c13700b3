"""Claiming a Slack event before answering it, recording how it ended, forgetting old claims."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.conversation.tables import EVENT_CLAIMS, EventKind, EventStatus


def claim_event(
    *,
    session: Session,
    event_id: str,
    kind: EventKind,
    channel_id: str,
    message_ts: str,
    user_id: str,
    now: datetime,
) -> bool:
    """Whether this process now owns the event: True for the first claim of the event and of
    its message; False for a retry, a second replica or the same message seen twice."""
    values = {
        "event_id": event_id[:64],
        "kind": kind,
        "channel_id": channel_id[:32],
        "message_ts": message_ts[:32],
        "user_id": user_id[:32],
        "status": EventStatus.CLAIMED,
        "claimed_at": now,
    }
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = (
        insert(EVENT_CLAIMS)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(EVENT_CLAIMS.c.event_id)
    )
    return session.execute(statement).first() is not None


def finish_event(
    *, session: Session, event_id: str, status: EventStatus, now: datetime, error: str | None = None
) -> None:
    """Record how a claimed event ended."""
    session.execute(
        update(EVENT_CLAIMS)
        .where(EVENT_CLAIMS.c.event_id == event_id[:64])
        .values(status=status, finished_at=now, error=error)
    )


def forget_events(*, session: Session, before: datetime) -> int:
    """Drop the claims made before `before` (Slack retries for minutes, not days); how many."""
    result = session.execute(delete(EVENT_CLAIMS).where(EVENT_CLAIMS.c.claimed_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
