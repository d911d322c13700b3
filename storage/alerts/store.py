"""Alert routes, threshold rules, and the alerts outbox with its claims.

Every state change that must happen once is a conditional UPDATE whose row count decides:
a worker claims a pending alert (`pending`/`failed` → `posting`), a lead claims the loop
(`open` → `claimed`), a rule starts or stops holding (`holding = false` → `true`). Whoever reads
the row before is not trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from query.plan import Condition, Filter
from storage.aggregate.sql import condition, filter_conditions
from storage.alerts.tables import (
    ALERTS,
    ROUTES,
    RULES,
    Alert,
    AlertKind,
    AlertRoute,
    AlertStatus,
    LoopState,
    ThresholdRule,
)
from storage.models import RESPONSES, TICKETS
from storage.surveys.tables import SURVEY_SOURCE
from storage.types import AttributesJSON, UTCDateTime

MAX_ATTEMPTS = 5


def add(*, session: Session, row: AlertRoute | ThresholdRule) -> int:
    """Store a new route or rule; return its id."""
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def list_routes(*, session: Session) -> list[AlertRoute]:
    """Every detractor route, oldest first."""
    return list(session.scalars(select(AlertRoute).order_by(ROUTES.c.id)))


def list_rules(*, session: Session) -> list[ThresholdRule]:
    """Every threshold rule, oldest first."""
    return list(session.scalars(select(ThresholdRule).order_by(RULES.c.id)))


def delete_route(*, session: Session, route_id: int) -> bool:
    """Remove a route (its alerts stay, for the loop KPIs); whether it existed."""
    result = session.execute(delete(ROUTES).where(ROUTES.c.id == route_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_rule(*, session: Session, rule_id: int) -> bool:
    """Remove a threshold rule; whether it existed."""
    result = session.execute(delete(RULES).where(RULES.c.id == rule_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DetractorRoute:
    """A route as the ingest applies it: which fresh answers page whom."""

    route_id: int
    channel_id: str
    leads: list[str]
    #: The answers that are this route's detractors (its surveys, each with its band).
    detractor: Condition
    filters: tuple[Filter, ...] = ()


def enqueue_detractor_alerts(
    *,
    session: Session,
    routes: Sequence[DetractorRoute],
    written_since: datetime,
    submitted_after: datetime,
    now: datetime,
) -> int:
    """Record a pending alert for each route a freshly written detractor matches.

    Runs in the ingest's transaction, right after the upsert: the answers written by it are
    those with `updated_at >= written_since`; only those submitted after `submitted_after`
    (KPIBOT_ALERT_MAX_AGE) page anyone. The unique (route, response) key makes a re-sent
    answer a no-op.
    """
    if not routes:
        return 0
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    c = RESPONSES.c
    created = 0
    for route in routes:
        chosen = select(
            literal(AlertKind.DETRACTOR.value),
            literal(route.route_id),
            c.id,
            literal(route.channel_id),
            literal(route.leads, AttributesJSON),
            literal({}, AttributesJSON),
            literal(AlertStatus.PENDING.value),
            literal(0),
            literal(LoopState.OPEN.value),
            literal(False),
            literal(""),
            literal(now, UTCDateTime()),
        ).where(
            c.submitted_at >= submitted_after,
            c.updated_at >= written_since,
            # a Slack survey's answers are anonymous: never posted one by one as they arrive
            c.source != SURVEY_SOURCE,
            condition(RESPONSES, route.detractor),
            *filter_conditions("responses", route.filters),
        )
        statement = (
            insert(ALERTS)
            .from_select(
                [
                    "kind",
                    "route_id",
                    "response_id",
                    "channel_id",
                    "leads",
                    "details",
                    "status",
                    "attempts",
                    "state",
                    "summarised",
                    "claimed_by_worker",
                    "created_at",
                ],
                chosen,
            )
            .on_conflict_do_nothing(index_elements=["route_id", "response_id"])
        )
        created += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    return created


def enqueue(*, session: Session, alert: Alert) -> int:
    """Record one pending alert (threshold and recovery alerts); return its id."""
    session.add(alert)
    session.flush()
    assert alert.id is not None
    return alert.id


def claim_pending(*, session: Session, worker: str, now: datetime, limit: int = 50) -> list[Alert]:
    """Claim alerts to post: pending ones, and failed ones with attempts left.

    Each is claimed by its own conditional UPDATE; another worker's claims are skipped.
    """
    ready = or_(
        ALERTS.c.status == AlertStatus.PENDING,
        and_(ALERTS.c.status == AlertStatus.FAILED, ALERTS.c.attempts < MAX_ATTEMPTS),
    )
    ids = list(session.scalars(select(ALERTS.c.id).where(ready).order_by(ALERTS.c.id).limit(limit)))
    claimed = []
    for alert_id in ids:
        result = session.execute(
            update(ALERTS)
            .where(ALERTS.c.id == alert_id, ready)
            .values(
                status=AlertStatus.POSTING,
                attempts=ALERTS.c.attempts + 1,
                claimed_by_worker=worker,
                posting_since=now,
            )
        )
        if result.rowcount:  # type: ignore[attr-defined]
            claimed.append(alert_id)
    if not claimed:
        return []
    return list(
        session.scalars(select(Alert).where(ALERTS.c.id.in_(claimed)).order_by(ALERTS.c.id))
    )


def finish_posting(
    *,
    session: Session,
    alert_ids: Sequence[int],
    status: AlertStatus,
    now: datetime,
    channel: str | None = None,
    ts: str | None = None,
    error: str | None = None,
    summarised: bool = False,
) -> None:
    """Record how posting ended: posted (with the message), failed or unknown."""
    values: dict[str, Any] = {"status": status, "error": error}
    if status == AlertStatus.POSTED:
        values.update(message_channel=channel, message_ts=ts, posted_at=now, summarised=summarised)
    session.execute(update(ALERTS).where(ALERTS.c.id.in_(list(alert_ids))).values(**values))


def expire_stale_posting(*, session: Session, older_than: datetime) -> int:
    """Alerts left `posting` by a process that died become `unknown` (never re-posted)."""
    result = session.execute(
        update(ALERTS)
        .where(ALERTS.c.status == AlertStatus.POSTING, ALERTS.c.posting_since < older_than)
        .values(
            status=AlertStatus.UNKNOWN,
            error="the posting process stopped before recording the result",
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def route_recent_count(*, session: Session, route_id: int, since: datetime) -> int:
    """Detractor alerts a route raised since `since` (for flood control)."""
    return int(
        session.scalar(
            select(func.count()).where(ALERTS.c.route_id == route_id, ALERTS.c.created_at >= since)
        )
        or 0
    )


@dataclass(frozen=True)
class Answer:
    """The survey answer behind a detractor alert."""

    id: int
    survey: str
    score: int
    scale_max: int
    comment: str | None
    customer_id: str | None
    submitted_at: datetime
    attributes: dict[str, Any]


def answers(*, session: Session, response_ids: Sequence[int]) -> dict[int, Answer]:
    """The answers behind alerts, by response id."""
    c = RESPONSES.c
    rows = session.execute(
        select(
            c.id,
            c.survey,
            c.score,
            c.scale_max,
            c.comment,
            c.customer_id,
            c.submitted_at,
            c.attributes,
        ).where(c.id.in_(list(response_ids)))
    )
    return {row[0]: Answer(*row) for row in rows}


@dataclass(frozen=True)
class History:
    """A customer's recent answers (before this one) and open tickets."""

    previous: list[tuple[str, int, int, datetime]]
    open_tickets: int
    open_ticket_ids: list[str]


def customer_history(*, session: Session, customer_id: str, before: datetime) -> History:
    """The customer's last five answers before `before`, and their open tickets."""
    c = RESPONSES.c
    previous = [
        (row[0], row[1], row[2], row[3])
        for row in session.execute(
            select(c.survey, c.score, c.scale_max, c.submitted_at)
            .where(c.customer_id == customer_id, c.submitted_at < before, c.survey != "enps")
            .order_by(c.submitted_at.desc())
            .limit(5)
        )
    ]
    t = TICKETS.c
    open_rows = select(t.external_id).where(t.customer_id == customer_id, t.resolved_at.is_(None))
    count = int(session.scalar(select(func.count()).select_from(open_rows.subquery())) or 0)
    ids = list(session.scalars(open_rows.order_by(t.created_at.desc()).limit(3)))
    return History(previous, count, ids)


def get_alert(*, session: Session, alert_id: int) -> Alert | None:
    """One alert, or None."""
    return session.get(Alert, alert_id)


def alerts_of_message(*, session: Session, channel: str, ts: str) -> list[Alert]:
    """The alerts one Slack message shows (one, or a burst's summary)."""
    return list(
        session.scalars(
            select(Alert)
            .where(ALERTS.c.message_channel == channel, ALERTS.c.message_ts == ts)
            .order_by(ALERTS.c.id)
        )
    )


def move_loop(
    *,
    session: Session,
    alert_id: int,
    to: LoopState,
    from_states: Sequence[LoopState],
    user: str,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Claim, resolve or dismiss an alert if it is still in one of `from_states`.

    The row count decides: of two people clicking Claim at once, exactly one wins.
    """
    values: dict[str, Any] = {"state": to}
    if to == LoopState.CLAIMED:
        values.update(claimed_by=user, claimed_at=now)
    else:
        values.update(closed_by=user, closed_at=now, note=note)
        values["claimed_at"] = func.coalesce(ALERTS.c.claimed_at, now)
        values["claimed_by"] = func.coalesce(ALERTS.c.claimed_by, user)
    result = session.execute(
        update(ALERTS)
        .where(ALERTS.c.id == alert_id, ALERTS.c.state.in_(list(from_states)))
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_reminders(*, session: Session, posted_before: datetime, now: datetime) -> list[Alert]:
    """Open detractor alerts posted before `posted_before` and never reminded: claim each
    reminder (a conditional UPDATE on `reminded_at`), so it is sent once."""
    due = and_(
        ALERTS.c.kind == AlertKind.DETRACTOR,
        ALERTS.c.state == LoopState.OPEN,
        ALERTS.c.status == AlertStatus.POSTED,
        ALERTS.c.reminded_at.is_(None),
        ALERTS.c.posted_at < posted_before,
    )
    ids = list(session.scalars(select(ALERTS.c.id).where(due).order_by(ALERTS.c.id).limit(100)))
    won = []
    for alert_id in ids:
        result = session.execute(
            update(ALERTS).where(ALERTS.c.id == alert_id, due).values(reminded_at=now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            won.append(alert_id)
    if not won:
        return []
    return list(session.scalars(select(Alert).where(ALERTS.c.id.in_(won)).order_by(ALERTS.c.id)))


def release_reminder(*, session: Session, alert_id: int) -> None:
    """A reminder Slack certainly did not post: let the next run send it."""
    session.execute(update(ALERTS).where(ALERTS.c.id == alert_id).values(reminded_at=None))


def open_alerts(*, session: Session, limit: int = 20) -> list[Alert]:
    """Detractor alerts still open or claimed, oldest first (not those withdrawn by an
    erasure before they were posted: nobody can act on them)."""
    return list(
        session.scalars(
            select(Alert)
            .where(
                ALERTS.c.kind == AlertKind.DETRACTOR,
                ALERTS.c.state.in_([LoopState.OPEN, LoopState.CLAIMED]),
                ALERTS.c.status != AlertStatus.ERASED,
            )
            .order_by(ALERTS.c.created_at)
            .limit(limit)
        )
    )


def flip_rule(
    *, session: Session, rule_id: int, holding: bool, value: float | None, now: datetime
) -> bool:
    """Record that a rule started (or stopped) holding; True only for the one who flipped it."""
    result = session.execute(
        update(RULES)
        .where(RULES.c.id == rule_id, RULES.c.holding.is_(not holding))
        .values(holding=holding, last_value=value, last_evaluated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def note_evaluation(*, session: Session, rule_id: int, value: float | None, now: datetime) -> None:
    """Record a rule's latest value without a change of state."""
    session.execute(
        update(RULES).where(RULES.c.id == rule_id).values(last_value=value, last_evaluated_at=now)
    )
