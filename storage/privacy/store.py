"""Removing personal data, finding what quoted it, exporting it, and the redaction outbox.

What is personal in kpibot's records: a response's `comment`, the `customer_id` of responses and
tickets, and every attribute value that is not a segment (`KPIBOT_SEGMENT_ATTRIBUTES`: plan,
region…). `anonymise` nulls the first two and drops the others, in SQL; scores, times, channels
and segments stay, so every KPI keeps its figures (no rolled-up column changes: the daily
rollups stay valid). Erasure and retention call these functions inside one transaction each
(`handlers.privacy`), together with the alerts' and the digest posts' redactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import String

from storage.alerts.tables import ALERTS, ROUTES, RULES, Alert, AlertStatus
from storage.digests.tables import (
    DELIVERIES,
    POSTS,
    QUOTES,
    SUBSCRIPTIONS,
    DigestPost,
)
from storage.models import RESPONSES, TICKETS
from storage.privacy.tables import (
    DAILY_RUNS,
    REDACTIONS,
    Erasure,
    Reason,
    Redaction,
    RedactionStatus,
    Target,
)
from storage.types import AttributesJSON

#: Records anonymised per retention transaction (short write locks on SQLite).
BATCH = 1_000
#: A claimed redaction not finished after this belongs to a process that died.
STALE_SENDING = timedelta(minutes=5)


def _insert(session: Session) -> Any:
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def hold_writers(session: Session) -> None:
    """Start the transaction by locking out what could quote the data while it is removed.

    SQLite: a first statement that writes takes the database's write lock, held to the commit
    (so a digest cannot record its quotes in between, and no snapshot goes stale). PostgreSQL:
    a SHARE lock on `digest_quotes`, so a digest composed before the erasure records its quotes
    after it commits, and then finds them erased (`handlers.privacy.redact`).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE digest_quotes IN SHARE MODE"))
    else:
        session.execute(update(REDACTIONS).where(literal(False)).values(id=REDACTIONS.c.id))


def customer_records(*, session: Session, customer_id: str) -> tuple[list[int], list[int]]:
    """The ids of the responses and of the tickets that carry this customer id."""
    responses = list(
        session.scalars(select(RESPONSES.c.id).where(RESPONSES.c.customer_id == customer_id))
    )
    tickets = list(
        session.scalars(select(TICKETS.c.id).where(TICKETS.c.customer_id == customer_id))
    )
    return responses, tickets


def _keys(keep: Sequence[str]) -> str:
    """SQLite: the segment names as an SQL list (settings allow only `[a-z0-9_.-]` in them)."""
    return ", ".join(f"'{name}'" for name in keep if "'" not in name) or "''"


def _keep_param(keep: Sequence[str]) -> Any:
    return bindparam("keep_keys", value=list(keep), type_=ARRAY(String()))


def _other_keys(table: Table, keep: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """Whether a record's attributes hold a key that is not a segment (free text)."""
    name = table.name
    if dialect == "postgresql":
        clause = text(f"({name}.attributes - CAST(:keep_keys AS text[])) <> '{{}}'::jsonb")
        return clause.bindparams(_keep_param(keep))  # type: ignore[return-value]
    return text(  # type: ignore[return-value]
        f"EXISTS (SELECT 1 FROM json_each({name}.attributes) WHERE key NOT IN ({_keys(keep)}))"
    )


def _kept_attributes(table: Table, keep: Sequence[str], dialect: str) -> Any:
    """The record's attributes with only the segment keys left, as an SQL expression."""
    name = table.name
    if dialect == "postgresql":
        clause = text(
            f"{name}.attributes - ARRAY(SELECT k FROM jsonb_object_keys({name}.attributes) AS k "
            "WHERE NOT (k = ANY(CAST(:keep_keys AS text[]))))"
        )
        return clause.bindparams(_keep_param(keep))
    return text(
        "COALESCE((SELECT json_group_object(key, value) FROM "
        f"json_each({name}.attributes) WHERE key IN ({_keys(keep)})), '{{}}')"
    )


def expired_records(
    *, session: Session, before: datetime, keep: Sequence[str], limit: int = BATCH
) -> tuple[list[int], list[int]]:
    """Up to `limit` responses submitted before `before`, and tickets created and resolved
    before it, that still hold personal data (open tickets keep their customer)."""
    dialect = session.get_bind().dialect.name
    r, t = RESPONSES.c, TICKETS.c
    responses = list(
        session.scalars(
            select(r.id)
            .where(
                r.submitted_at < before,
                or_(
                    r.comment.is_not(None),
                    r.customer_id.is_not(None),
                    _other_keys(RESPONSES, keep, dialect),
                ),
            )
            .order_by(r.id)
            .limit(limit)
        )
    )
    tickets = list(
        session.scalars(
            select(t.id)
            .where(
                t.created_at < before,
                t.resolved_at.is_not(None),
                t.resolved_at < before,
                or_(t.customer_id.is_not(None), _other_keys(TICKETS, keep, dialect)),
            )
            .order_by(t.id)
            .limit(limit)
        )
    )
    return responses, tickets


def anonymise(*, session: Session, table: Table, ids: Sequence[int], keep: Sequence[str]) -> int:
    """Null the comment (responses) and customer id of these records and drop their free-text
    attributes; the scores, times, channels and segments stay. Returns the rows changed."""
    if not ids:
        return 0
    dialect = session.get_bind().dialect.name
    values: dict[str, Any] = {
        "customer_id": None,
        "attributes": _kept_attributes(table, keep, dialect),
    }
    if "comment" in table.c:
        values["comment"] = None
    changed = 0
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        result = session.execute(update(table).where(table.c.id.in_(chunk)).values(**values))
        changed += int(result.rowcount)  # type: ignore[attr-defined]
    return changed


@dataclass(frozen=True)
class AlertRef:
    """An alert raised by a response whose data is removed, and where its message is."""

    id: int
    status: AlertStatus
    message_ts: str | None


def alerts_of(*, session: Session, response_ids: Sequence[int]) -> list[AlertRef]:
    """The alerts these responses raised."""
    out: list[AlertRef] = []
    for start in range(0, len(response_ids), BATCH):
        chunk = list(response_ids[start : start + BATCH])
        rows = session.execute(
            select(ALERTS.c.id, ALERTS.c.status, ALERTS.c.message_ts)
            .where(ALERTS.c.response_id.in_(chunk))
            .order_by(ALERTS.c.id)
        )
        out.extend(AlertRef(row[0], AlertStatus(row[1]), row[2]) for row in rows)
    return out


def scrub_alerts(*, session: Session, alert_ids: Sequence[int], reason: Reason) -> list[int]:
    """Drop the resolution notes of these alerts (free text about the customer), mark them
    redacted, and withdraw the ones not posted yet, which will never be posted; returns the
    withdrawn ones (the others may be in Slack: their messages are redacted)."""
    withdrawn: list[int] = []
    for start in range(0, len(alert_ids), BATCH):
        chunk = list(alert_ids[start : start + BATCH])
        session.execute(
            update(ALERTS)
            .where(ALERTS.c.id.in_(chunk))
            .values(note=None, details=literal({"redacted": reason.value}, AttributesJSON))
        )
        withdrawn.extend(
            session.scalars(
                update(ALERTS)
                .where(
                    ALERTS.c.id.in_(chunk),
                    ALERTS.c.status.in_([AlertStatus.PENDING, AlertStatus.FAILED]),
                )
                .values(status=AlertStatus.ERASED, error=None)
                .returning(ALERTS.c.id)
            )
        )
    return withdrawn


def posts_quoting(*, session: Session, response_ids: Sequence[int]) -> list[DigestPost]:
    """The digest messages that quoted any of these responses."""
    ids: set[int] = set()
    for start in range(0, len(response_ids), BATCH):
        chunk = list(response_ids[start : start + BATCH])
        ids.update(session.scalars(select(QUOTES.c.post_id).where(QUOTES.c.response_id.in_(chunk))))
    if not ids:
        return []
    return list(
        session.scalars(select(DigestPost).where(POSTS.c.id.in_(sorted(ids))).order_by(POSTS.c.id))
    )


def posts_of_subscription(*, session: Session, subscription_id: int) -> list[DigestPost]:
    """Every digest message a subscription posted (kept after it is removed)."""
    return list(
        session.scalars(
            select(DigestPost)
            .where(POSTS.c.subscription_id == subscription_id)
            .order_by(POSTS.c.id)
        )
    )


@dataclass(frozen=True)
class Quoted:
    """What stays of a quoted response once anonymised: its score, survey and day."""

    id: int
    survey: str
    score: int
    scale_max: int
    submitted_at: datetime
    comment: str | None


def quoted(*, session: Session, response_ids: Sequence[int]) -> dict[int, Quoted]:
    """The quoted responses by id (those still stored)."""
    c = RESPONSES.c
    rows = session.execute(
        select(c.id, c.survey, c.score, c.scale_max, c.submitted_at, c.comment).where(
            c.id.in_(list(response_ids))
        )
    )
    return {row[0]: Quoted(*row) for row in rows}


def quotes_of(*, session: Session, post_id: int) -> list[int]:
    """The responses one digest message quoted."""
    return list(
        session.scalars(
            select(QUOTES.c.response_id).where(QUOTES.c.post_id == post_id).order_by(QUOTES.c.id)
        )
    )


def save_post(
    *,
    session: Session,
    post_id: int,
    blocks: list[dict[str, Any]],
    text: str,
    now: datetime,
) -> None:
    """Store a digest message's redacted blocks (what the next `chat.update` sends)."""
    session.execute(
        update(POSTS)
        .where(POSTS.c.id == post_id)
        .values(blocks=literal(blocks, AttributesJSON), text=text, redacted_at=now)
    )


def queue(
    *, session: Session, target: Target, ids: Sequence[int], reason: Reason, now: datetime
) -> int:
    """Queue a redaction of each target message; a message already queued (or redacted
    before) is queued again, since it is re-rendered from the database when sent."""
    if not ids:
        return 0
    insert = _insert(session)
    for target_id in sorted(set(ids)):
        statement = insert(REDACTIONS).values(
            target=target.value,
            target_id=target_id,
            reason=reason.value,
            status=RedactionStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["target", "target_id"],
                set_={
                    "status": RedactionStatus.PENDING.value,
                    "reason": reason.value,
                    "next_attempt_at": now,
                    "attempts": 0,
                    "error": None,
                    "done_at": None,
                },
            )
        )
    return len(set(ids))


def filtered_on(filters: Sequence[str], customer_id: str) -> bool:
    """Whether `customer_id=…` (or `!=`) in these filter words names this customer."""
    for word in filters:
        name, _, value = word.replace("!=", "=", 1).partition("=")
        if name.strip().lower() == "customer_id" and value.strip().lower() == customer_id.lower():
            return True
    return False


@dataclass(frozen=True)
class Named:
    """The digests, routes and rules whose filters name a customer."""

    subscriptions: list[int]
    routes: list[int]
    rules: list[int]


def naming(*, session: Session, customer_id: str) -> Named:
    """Find the subscriptions, detractor routes and threshold rules filtered on a customer."""

    def ids(table: Table) -> list[int]:
        rows = session.execute(select(table.c.id, table.c.filters).order_by(table.c.id))
        return [row[0] for row in rows if filtered_on(row[1] or [], customer_id)]

    return Named(ids(SUBSCRIPTIONS), ids(ROUTES), ids(RULES))


def threshold_alerts_of(*, session: Session, rule_ids: Sequence[int]) -> list[Alert]:
    """The threshold and recovery alerts these rules raised."""
    if not rule_ids:
        return []
    return list(
        session.scalars(
            select(Alert).where(ALERTS.c.rule_id.in_(list(rule_ids))).order_by(ALERTS.c.id)
        )
    )


def set_alert_details(*, session: Session, alert_id: int, details: dict[str, Any]) -> None:
    """Replace an alert's details (a threshold alert's rule text, once scrubbed)."""
    session.execute(
        update(ALERTS)
        .where(ALERTS.c.id == alert_id)
        .values(details=literal(details, AttributesJSON))
    )


def drop_named(*, session: Session, named: Named) -> None:
    """Remove the subscriptions (with their deliveries), routes and rules filtered on the
    customer: they exist to report on that person. Their alerts and digest posts stay."""
    if named.subscriptions:
        session.execute(
            delete(DELIVERIES).where(DELIVERIES.c.subscription_id.in_(named.subscriptions))
        )
        session.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id.in_(named.subscriptions)))
    if named.routes:
        session.execute(delete(ROUTES).where(ROUTES.c.id.in_(named.routes)))
    if named.rules:
        session.execute(delete(RULES).where(RULES.c.id.in_(named.rules)))


def log(*, session: Session, erasure: Erasure) -> int:
    """Record what a removal did (counts only); return its id."""
    session.add(erasure)
    session.flush()
    assert erasure.id is not None
    return erasure.id


# --- the redaction outbox ---------------------------------------------------------------


def claim_redactions(
    *, session: Session, now: datetime, limit: int = 50, only: Sequence[int] | None = None
) -> list[Redaction]:
    """Claim the redactions due now (and those left `sending` by a dead process), each by a
    conditional UPDATE; another worker's claims are skipped. `only` narrows it to some rows."""
    due = or_(
        and_(REDACTIONS.c.status == RedactionStatus.PENDING, REDACTIONS.c.next_attempt_at <= now),
        and_(
            REDACTIONS.c.status == RedactionStatus.SENDING,
            REDACTIONS.c.claimed_at < now - STALE_SENDING,
        ),
    )
    chosen = select(REDACTIONS.c.id).where(due)
    if only is not None:
        chosen = chosen.where(REDACTIONS.c.id.in_(list(only)))
    ids = list(session.scalars(chosen.order_by(REDACTIONS.c.id).limit(limit)))
    won = []
    for redaction_id in ids:
        result = session.execute(
            update(REDACTIONS)
            .where(REDACTIONS.c.id == redaction_id, due)
            .values(
                status=RedactionStatus.SENDING,
                claimed_at=now,
                attempts=REDACTIONS.c.attempts + 1,
            )
        )
        if result.rowcount:  # type: ignore[attr-defined]
            won.append(redaction_id)
    if not won:
        return []
    return list(
        session.scalars(select(Redaction).where(REDACTIONS.c.id.in_(won)).order_by(REDACTIONS.c.id))
    )


def finish_redaction(
    *,
    session: Session,
    redaction: Redaction,
    status: RedactionStatus,
    now: datetime,
    retry_at: datetime | None = None,
    error: str | None = None,
) -> bool:
    """Record a claimed redaction's outcome: done, gone, or pending again at `retry_at`.

    Conditional on the claim: a redaction queued again while it was being sent stays pending
    (the data changed after it was rendered), so it is sent once more.
    """
    values: dict[str, Any] = {"status": status, "error": error}
    if status in (RedactionStatus.DONE, RedactionStatus.GONE):
        values["done_at"] = now
    else:
        values["next_attempt_at"] = retry_at or now
    result = session.execute(
        update(REDACTIONS)
        .where(
            REDACTIONS.c.id == redaction.id,
            REDACTIONS.c.status == RedactionStatus.SENDING,
            REDACTIONS.c.claimed_at == redaction.claimed_at,
        )
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outbox:
    """How many redactions wait, and since when the oldest does."""

    depth: int
    oldest: datetime | None


def outbox(*, session: Session) -> Outbox:
    """The redaction outbox's depth and its oldest waiting row."""
    waiting = REDACTIONS.c.status.in_([RedactionStatus.PENDING, RedactionStatus.SENDING])
    depth, oldest = session.execute(
        select(func.count(), func.min(REDACTIONS.c.created_at)).where(waiting)
    ).one()
    return Outbox(int(depth or 0), oldest)


def get_redactions(*, session: Session, ids: Sequence[int]) -> list[Redaction]:
    """Redaction rows by id."""
    return list(session.scalars(select(Redaction).where(REDACTIONS.c.id.in_(list(ids)))))


def redaction_ids(*, session: Session, target: Target, target_ids: Sequence[int]) -> list[int]:
    """The outbox rows of these targets."""
    if not target_ids:
        return []
    return list(
        session.scalars(
            select(REDACTIONS.c.id).where(
                REDACTIONS.c.target == target, REDACTIONS.c.target_id.in_(list(target_ids))
            )
        )
    )


# --- daily claims -------------------------------------------------------------------------


def claim_day(*, session: Session, job: str, day: datetime, now: datetime) -> bool:
    """Claim a daily job's UTC day; True for the one scheduler that inserted it."""
    statement = (
        _insert(session)(DAILY_RUNS)
        .values(job=job, day=day, started_at=now)
        .on_conflict_do_nothing(index_elements=["job", "day"])
        .returning(DAILY_RUNS.c.job)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def finish_day(*, session: Session, job: str, day: datetime, now: datetime) -> None:
    """Record that a daily job's run ended."""
    session.execute(
        update(DAILY_RUNS)
        .where(DAILY_RUNS.c.job == job, DAILY_RUNS.c.day == day)
        .values(finished_at=now)
    )


# --- export --------------------------------------------------------------------------------


def _rows(session: Session, table: Table, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    return [
        dict(row._mapping)
        for row in session.execute(select(table).where(where).order_by(table.c.id))
    ]


def export(*, session: Session, customer_id: str) -> dict[str, Any]:
    """Everything kpibot holds about a customer: their responses and tickets, the alerts their
    answers raised, the digest messages that quoted them, and what is filtered on them."""
    responses = _rows(session, RESPONSES, RESPONSES.c.customer_id == customer_id)
    tickets = _rows(session, TICKETS, TICKETS.c.customer_id == customer_id)
    response_ids = [row["id"] for row in responses]
    alerts = _rows(session, ALERTS, ALERTS.c.response_id.in_(response_ids)) if response_ids else []
    posts = posts_quoting(session=session, response_ids=response_ids)
    named = naming(session=session, customer_id=customer_id)
    filtered = {
        "digest_subscriptions": _rows(
            session, SUBSCRIPTIONS, SUBSCRIPTIONS.c.id.in_(named.subscriptions)
        ),
        "alert_routes": _rows(session, ROUTES, ROUTES.c.id.in_(named.routes)),
        "threshold_rules": _rows(session, RULES, RULES.c.id.in_(named.rules)),
    }
    return {
        "customer_id": customer_id,
        "survey_responses": responses,
        "tickets": tickets,
        "alerts": alerts,
        "digest_messages": [
            {
                "id": post.id,
                "channel_id": post.channel_id,
                "message_ts": post.message_ts,
                "status": post.status,
                "posted_at": post.created_at,
                "quoted_responses": quotes_of(session=session, post_id=post.id or 0),
            }
            for post in posts
        ],
        "filtered_on_them": filtered,
    }
