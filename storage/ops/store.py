"""Heartbeats, connector health, incidents and the numbers the operator's gauges read.

Incidents follow "the claim is the lock": `open_incident` inserts a row whose unique `open_key`
is the problem's key, `ON CONFLICT DO NOTHING`, so of several schedulers seeing the same
problem one wins and announces it; `close_incident` is a conditional UPDATE (open → resolved)
whose row count decides who announces the recovery. Announcements are claimed the same way
before posting (`claim_announcements`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.alerts.store import MAX_ATTEMPTS
from storage.alerts.tables import ALERTS, AlertStatus
from storage.ops.tables import (
    CONNECTOR_HEALTH,
    HEARTBEATS,
    INCIDENTS,
    Announcement,
    Incident,
)
from storage.types import AttributesJSON

#: Heartbeats older than this are forgotten (a process that stopped long ago).
FORGET_HEARTBEATS = timedelta(days=1)


def _insert(session: Session) -> Any:
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


# --- heartbeats ---------------------------------------------------------------------------


def beat(
    *, session: Session, worker: str, started_at: datetime, jobs: Sequence[str], now: datetime
) -> None:
    """Record that this scheduler process is alive now (and forget long-gone ones)."""
    statement = _insert(session)(HEARTBEATS).values(
        worker=worker, started_at=started_at, beat_at=now, jobs=list(jobs)
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["worker"], set_={"beat_at": now, "jobs": statement.excluded.jobs}
        )
    )
    session.execute(delete(HEARTBEATS).where(HEARTBEATS.c.beat_at < now - FORGET_HEARTBEATS))


@dataclass(frozen=True)
class Beat:
    """A scheduler's last heartbeat."""

    worker: str
    started_at: datetime
    beat_at: datetime
    jobs: list[str]


def heartbeats(*, session: Session) -> list[Beat]:
    """Every scheduler's last heartbeat, newest first."""
    rows = session.execute(
        select(
            HEARTBEATS.c.worker, HEARTBEATS.c.started_at, HEARTBEATS.c.beat_at, HEARTBEATS.c.jobs
        ).order_by(HEARTBEATS.c.beat_at.desc())
    )
    return [Beat(row[0], row[1], row[2], list(row[3] or [])) for row in rows]


# --- connector health ---------------------------------------------------------------------


def record_delivery(
    *, session: Session, vendor: str, ok: bool, outcome: str, error: str | None, now: datetime
) -> None:
    """Note one webhook delivery of a vendor: a success resets the failures in a row."""
    insert = _insert(session)(CONNECTOR_HEALTH)
    values: dict[str, Any] = {
        "vendor": vendor,
        "failures_in_row": 0 if ok else 1,
        "last_outcome": outcome,
        "last_ok_at": now if ok else None,
        "last_failed_at": None if ok else now,
        "last_error": None if ok else error,
        "updated_at": now,
    }
    if ok:
        changes: dict[str, Any] = {
            "failures_in_row": 0,
            "last_outcome": outcome,
            "last_ok_at": now,
            "updated_at": now,
        }
    else:
        changes = {
            "failures_in_row": CONNECTOR_HEALTH.c.failures_in_row + 1,
            "last_outcome": outcome,
            "last_failed_at": now,
            "last_error": error,
            "updated_at": now,
        }
    session.execute(
        insert.values(**values).on_conflict_do_update(index_elements=["vendor"], set_=changes)
    )


@dataclass(frozen=True)
class Health:
    """How one vendor's deliveries are going."""

    vendor: str
    failures_in_row: int
    last_outcome: str
    last_error: str | None


def connector_health(*, session: Session) -> list[Health]:
    """Every vendor that has delivered anything."""
    c = CONNECTOR_HEALTH.c
    rows = session.execute(
        select(c.vendor, c.failures_in_row, c.last_outcome, c.last_error).order_by(c.vendor)
    )
    return [Health(*row) for row in rows]


# --- what the incidents watch -----------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """Alerts not posted yet: how many waited more than the limit, and since when."""

    count: int
    oldest: datetime | None
    error: str | None


def unposted_alerts(
    *, session: Session, older_than: datetime, newer_than: datetime | None = None
) -> Waiting:
    """Alerts still pending, being posted or failed since before `older_than` (and, for
    failures out of attempts, after `newer_than`: past it nobody will post them anyway)."""
    waiting = or_(
        ALERTS.c.status.in_([AlertStatus.PENDING, AlertStatus.POSTING]),
        and_(ALERTS.c.status == AlertStatus.FAILED, ALERTS.c.attempts < MAX_ATTEMPTS),
        and_(
            ALERTS.c.status == AlertStatus.FAILED,
            ALERTS.c.created_at >= newer_than if newer_than is not None else literal(True),
        ),
    )
    where = and_(waiting, ALERTS.c.created_at < older_than)
    count, oldest = session.execute(
        select(func.count(), func.min(ALERTS.c.created_at)).where(where)
    ).one()
    error = session.scalar(
        select(ALERTS.c.error)
        .where(where, ALERTS.c.error.is_not(None))
        .order_by(ALERTS.c.id.desc())
        .limit(1)
    )
    return Waiting(int(count or 0), oldest, error)


@dataclass(frozen=True)
class Depth:
    """An outbox's depth and the creation time of its oldest waiting row."""

    depth: int
    oldest: datetime | None


def alert_outbox(*, session: Session) -> Depth:
    """Alerts waiting to be posted (pending, being posted, failed with attempts left)."""
    waiting = or_(
        ALERTS.c.status.in_([AlertStatus.PENDING, AlertStatus.POSTING]),
        and_(ALERTS.c.status == AlertStatus.FAILED, ALERTS.c.attempts < MAX_ATTEMPTS),
    )
    depth, oldest = session.execute(
        select(func.count(), func.min(ALERTS.c.created_at)).where(waiting)
    ).one()
    return Depth(int(depth or 0), oldest)


# --- incidents ---------------------------------------------------------------------------


def open_incident(
    *, session: Session, key: str, details: dict[str, Any], now: datetime, announce: bool
) -> int | None:
    """Open an incident unless one with this key is open; its id for the one who opened it."""
    statement = (
        _insert(session)(INCIDENTS)
        .values(
            key=key,
            open_key=key,
            details=details,
            opened_at=now,
            opened_post=Announcement.PENDING if announce else Announcement.OFF,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["open_key"])
        .returning(INCIDENTS.c.id)
    )
    inserted: int | None = session.execute(statement).scalar_one_or_none()
    return inserted


def close_incident(
    *,
    session: Session,
    key: str,
    details: dict[str, Any] | None,
    now: datetime,
    announce: bool,
    tell_anyway: bool = False,
) -> int | None:
    """Close the open incident with this key; its id for the one whose UPDATE closed it.

    An incident whose opening was never announced (no ops channel, or Slack took none of its
    attempts) gets no recovery message either, unless `tell_anyway` (a broken token cannot
    post its own incident: both messages go out once it works again)."""
    values: dict[str, Any] = {"open_key": None, "resolved_at": now}
    if details is not None:
        values["details"] = literal(details, AttributesJSON)
    row = session.execute(
        update(INCIDENTS)
        .where(INCIDENTS.c.open_key == key)
        .values(**values)
        .returning(INCIDENTS.c.id, INCIDENTS.c.opened_post)
    ).first()
    if row is None:
        return None
    told = row[1] in (Announcement.POSTED, Announcement.UNKNOWN, Announcement.POSTING) or (
        tell_anyway and row[1] in (Announcement.PENDING, Announcement.FAILED)
    )
    changes: dict[str, Any] = {
        "resolved_post": Announcement.PENDING if announce and told else Announcement.OFF,
        "attempts": 0,
    }
    if not told:  # recovered before anyone was told: neither message is posted
        changes["opened_post"] = Announcement.OFF
    session.execute(update(INCIDENTS).where(INCIDENTS.c.id == row[0]).values(**changes))
    return int(row[0])


def open_incidents(*, session: Session, prefix: str = "") -> list[Incident]:
    """The incidents open now (those whose key starts with `prefix`)."""
    query = select(Incident).where(INCIDENTS.c.open_key.is_not(None))
    if prefix:
        query = query.where(INCIDENTS.c.open_key.startswith(prefix, autoescape=True))
    return list(session.scalars(query.order_by(INCIDENTS.c.id)))


@dataclass(frozen=True)
class Announcing:
    """An incident message this worker claimed: which one (opening or recovery)."""

    incident: Incident
    recovery: bool


def claim_announcements(*, session: Session, limit: int = 20) -> list[Announcing]:
    """Claim the incident messages to post (pending, or failed with attempts left)."""
    out: list[Announcing] = []
    for column, recovery in ((INCIDENTS.c.opened_post, False), (INCIDENTS.c.resolved_post, True)):
        ready = or_(
            column == Announcement.PENDING,
            and_(column == Announcement.FAILED, INCIDENTS.c.attempts < MAX_ATTEMPTS),
        )
        ids = list(
            session.scalars(
                select(INCIDENTS.c.id).where(ready).order_by(INCIDENTS.c.id).limit(limit)
            )
        )
        for incident_id in ids:
            won = session.execute(
                update(INCIDENTS)
                .where(INCIDENTS.c.id == incident_id, ready)
                .values({column.name: Announcement.POSTING, "attempts": INCIDENTS.c.attempts + 1})
            ).rowcount  # type: ignore[attr-defined]
            if won:
                incident = session.get(Incident, incident_id)
                assert incident is not None
                session.refresh(incident)
                out.append(Announcing(incident, recovery))
    return out


def finish_announcement(
    *,
    session: Session,
    incident_id: int,
    recovery: bool,
    status: Announcement,
    error: str | None = None,
    keep_attempts: bool = False,
) -> None:
    """Record how posting an incident message ended (`keep_attempts`: this try does not
    count, the message waits for something a person fixes, such as the token)."""
    column = "resolved_post" if recovery else "opened_post"
    values: dict[str, Any] = {column: status, "error": error}
    if keep_attempts:
        values["attempts"] = INCIDENTS.c.attempts - 1
    session.execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(**values))
