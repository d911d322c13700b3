"""Digest subscriptions and the delivery claims that make each post happen once.

`claim_delivery` is the lock: an `INSERT … ON CONFLICT DO NOTHING` on the unique
(subscription, scheduled instant) key, or, for a delivery that failed (or, by hand, one whose
fate is unknown), a conditional UPDATE. The row count decides who posts; whoever reads the
table before is not trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from query.plan import Condition, Filter
from storage.aggregate.sql import condition, filter_conditions
from storage.digests.tables import (
    DELIVERIES,
    POSTS,
    QUOTES,
    SUBSCRIPTIONS,
    ChartStatus,
    DeliveryStatus,
    DigestDelivery,
    DigestPost,
    DigestSubscription,
    PostStatus,
    Trigger,
)
from storage.models import RESPONSES, TICKETS
from storage.types import AttributesJSON


def create_subscription(*, session: Session, subscription: DigestSubscription) -> int:
    """Store a new subscription; return its id."""
    session.add(subscription)
    session.flush()
    assert subscription.id is not None
    return subscription.id


def get_subscription(*, session: Session, subscription_id: int) -> DigestSubscription | None:
    """One subscription, or None."""
    return session.get(DigestSubscription, subscription_id)


def list_subscriptions(*, session: Session, active_only: bool = False) -> list[DigestSubscription]:
    """Every subscription (or only those not paused), oldest first."""
    query = select(DigestSubscription).order_by(SUBSCRIPTIONS.c.id)
    if active_only:
        query = query.where(SUBSCRIPTIONS.c.paused.is_(False))
    return list(session.scalars(query))


def delete_subscription(*, session: Session, subscription_id: int) -> bool:
    """Remove a subscription and its deliveries; whether it existed."""
    session.execute(delete(DELIVERIES).where(DELIVERIES.c.subscription_id == subscription_id))
    result = session.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_paused(
    *, session: Session, subscription_id: int, paused: bool, reason: str | None, now: datetime
) -> bool:
    """Pause (with the reason) or resume a subscription; whether it existed."""
    result = session.execute(
        update(SUBSCRIPTIONS)
        .where(SUBSCRIPTIONS.c.id == subscription_id)
        .values(paused=paused, paused_reason=reason if paused else None, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A won claim: the delivery row is ours to post."""

    delivery_id: int
    attempts: int


def claim_delivery(
    *,
    session: Session,
    subscription_id: int,
    scheduled_for: datetime,
    period_start: datetime,
    period_end: datetime,
    claimer: str,
    trigger: Trigger,
    late: bool,
    now: datetime,
    reclaim: Sequence[DeliveryStatus] = (DeliveryStatus.FAILED,),
    max_attempts: int = 5,
) -> Claim | None:
    """Claim one (subscription, scheduled instant); None when someone else has it.

    A new slot is claimed by inserting its row. An existing one is claimed only from a state
    in `reclaim` (by default `failed`: Slack certainly posted nothing) and with fewer than
    `max_attempts` attempts, by a conditional UPDATE.
    """
    values: dict[str, Any] = {
        "subscription_id": subscription_id,
        "scheduled_for": scheduled_for,
        "period_start": period_start,
        "period_end": period_end,
        "status": DeliveryStatus.CLAIMED,
        "late": late,
        "trigger": trigger,
        "attempts": 1,
        "claimed_by": claimer,
        "claimed_at": now,
        "chart": ChartStatus.NONE,
    }
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = (
        insert(DELIVERIES)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "scheduled_for"])
        .returning(DELIVERIES.c.id)
    )
    inserted = session.execute(statement).scalar_one_or_none()
    if inserted is not None:
        return Claim(inserted, 1)
    if not reclaim:
        return None
    updated = session.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.subscription_id == subscription_id,
            DELIVERIES.c.scheduled_for == scheduled_for,
            DELIVERIES.c.status.in_(list(reclaim)),
            DELIVERIES.c.attempts < max_attempts,
        )
        .values(
            status=DeliveryStatus.CLAIMED,
            attempts=DELIVERIES.c.attempts + 1,
            claimed_by=claimer,
            claimed_at=now,
            trigger=trigger,
            late=late,
            error=None,
        )
        .returning(DELIVERIES.c.id, DELIVERIES.c.attempts)
    ).first()
    return Claim(updated[0], updated[1]) if updated is not None else None


def finish_delivery(
    *,
    session: Session,
    delivery_id: int,
    status: DeliveryStatus,
    now: datetime,
    message_ts: str | None = None,
    error: str | None = None,
) -> None:
    """Record how a claimed delivery ended: sent, failed or unknown."""
    values: dict[str, Any] = {"status": status, "error": error}
    if status == DeliveryStatus.SENT:
        values.update(sent_at=now, message_ts=message_ts)
    session.execute(update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(**values))


def record_chart(
    *, session: Session, delivery_id: int, chart: ChartStatus, error: str | None = None
) -> None:
    """Record the fate of a delivery's chart: uploaded or failed (the text stands)."""
    session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(chart=chart, chart_error=error)
    )


def record_missed(
    *,
    session: Session,
    subscription_id: int,
    scheduled_for: datetime,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
    reason: str,
) -> bool:
    """Note a slot nobody posted and that is past its grace window; whether it was new."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = (
        insert(DELIVERIES)
        .values(
            subscription_id=subscription_id,
            scheduled_for=scheduled_for,
            period_start=period_start,
            period_end=period_end,
            status=DeliveryStatus.MISSED,
            late=True,
            trigger=Trigger.CATCH_UP,
            attempts=0,
            claimed_by="",
            claimed_at=now,
            chart=ChartStatus.NONE,
            error=reason,
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "scheduled_for"])
        .returning(DELIVERIES.c.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def expire_stale_claims(*, session: Session, older_than: datetime) -> int:
    """Claims left `claimed` since before `older_than` (a crash mid-post) become `unknown`."""
    result = session.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.status == DeliveryStatus.CLAIMED, DELIVERIES.c.claimed_at < older_than)
        .values(
            status=DeliveryStatus.UNKNOWN,
            error="the posting process stopped before recording the result",
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def get_delivery(
    *, session: Session, subscription_id: int, scheduled_for: datetime
) -> DigestDelivery | None:
    """The delivery of one slot, or None."""
    return session.scalars(
        select(DigestDelivery).where(
            DELIVERIES.c.subscription_id == subscription_id,
            DELIVERIES.c.scheduled_for == scheduled_for,
        )
    ).first()


def latest_deliveries(*, session: Session) -> dict[int, DigestDelivery]:
    """Each subscription's most recent delivery (by scheduled instant)."""
    newest = (
        select(
            DELIVERIES.c.subscription_id,
            func.max(DELIVERIES.c.scheduled_for).label("scheduled_for"),
        )
        .group_by(DELIVERIES.c.subscription_id)
        .subquery()
    )
    rows = session.scalars(
        select(DigestDelivery).join(
            newest,
            and_(
                DELIVERIES.c.subscription_id == newest.c.subscription_id,
                DELIVERIES.c.scheduled_for == newest.c.scheduled_for,
            ),
        )
    )
    return {row.subscription_id: row for row in rows}


def deliveries_of(
    *, session: Session, subscription_id: int, limit: int = 10
) -> list[DigestDelivery]:
    """A subscription's deliveries, newest first."""
    return list(
        session.scalars(
            select(DigestDelivery)
            .where(DELIVERIES.c.subscription_id == subscription_id)
            .order_by(DELIVERIES.c.scheduled_for.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Comment:
    """A detractor's answer with its words, for the digest."""

    response_id: int
    survey: str
    score: int
    scale_max: int
    comment: str
    customer_id: str | None
    submitted_at: datetime
    attributes: dict[str, Any]


def detractor_comments(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    detractor: Condition,
    filters: Sequence[Filter] = (),
    limit: int = 5,
) -> list[Comment]:
    """The newest comments submitted in `[start, end)` by the answers `detractor` selects."""
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
        )
        .where(
            c.submitted_at >= start,
            c.submitted_at < end,
            condition(RESPONSES, detractor),
            c.comment.is_not(None),
            func.length(func.trim(c.comment)) > 0,
            *filter_conditions("responses", filters),
        )
        .order_by(c.submitted_at.desc(), c.id.desc())
        .limit(limit)
    )
    return [Comment(*row) for row in rows]


def period_has_data(*, session: Session, start: datetime, end: datetime) -> bool:
    """Whether any survey response or ticket falls in `[start, end)`."""
    tickets = TICKETS.c
    responses = select(RESPONSES.c.id).where(
        RESPONSES.c.submitted_at >= start, RESPONSES.c.submitted_at < end
    )
    created = select(tickets.id).where(tickets.created_at >= start, tickets.created_at < end)
    resolved = select(tickets.id).where(tickets.resolved_at >= start, tickets.resolved_at < end)
    for query in (responses, created, resolved):
        if session.execute(query.limit(1)).first() is not None:
            return True
    return False


# --- the messages as posted, for their redaction -------------------------------------


def record_post(
    *,
    session: Session,
    delivery_id: int,
    subscription_id: int,
    channel_id: str,
    timezone: str,
    text: str,
    blocks: list[dict[str, Any]],
    response_ids: Sequence[int],
    now: datetime,
) -> int:
    """Record a digest message about to be posted, with the responses it quotes."""
    post = DigestPost(
        delivery_id=delivery_id,
        subscription_id=subscription_id,
        channel_id=channel_id,
        status=PostStatus.POSTING,
        timezone=timezone,
        text=text,
        blocks=blocks,
        created_at=now,
    )
    session.add(post)
    session.flush()
    assert post.id is not None
    for response_id in dict.fromkeys(response_ids):
        session.execute(
            (sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert)(QUOTES)
            .values(post_id=post.id, response_id=response_id)
            .on_conflict_do_nothing(index_elements=["post_id", "response_id"])
        )
    return post.id


def post_outcome(
    *, session: Session, post_id: int, status: PostStatus | None, ts: str | None = None
) -> None:
    """Record where a digest message went: posted (its ts), unknown, or nowhere (None: Slack
    certainly posted nothing, so there is nothing to remember)."""
    if status is None:
        session.execute(delete(QUOTES).where(QUOTES.c.post_id == post_id))
        session.execute(delete(POSTS).where(POSTS.c.id == post_id))
        return
    session.execute(update(POSTS).where(POSTS.c.id == post_id).values(status=status, message_ts=ts))


def update_post(*, session: Session, post_id: int, text: str, blocks: list[dict[str, Any]]) -> None:
    """Store a digest message's new blocks after kpibot edited it (the chart note removed)."""
    session.execute(
        update(POSTS)
        .where(POSTS.c.id == post_id)
        .values(text=text, blocks=literal(blocks, AttributesJSON))
    )


def get_post(*, session: Session, post_id: int) -> DigestPost | None:
    """One digest message record, or None."""
    return session.get(DigestPost, post_id)
