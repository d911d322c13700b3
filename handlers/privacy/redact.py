"""Redacting the Slack messages that quoted removed data: the blocks, and the outbox worker.

An alert's message is re-rendered from the database (its answer has no comment nor customer
any more, and the alert says why). A digest's message is its stored blocks with each quoted
comment of a removed response replaced by its anonymous score and day
(`redacted_blocks`), stored in the erasure's own transaction. The worker then sends each queued
message with `chat.update`, which is idempotent: a timeout or an outage is simply retried later
(with back-off, up to an hour apart), never skipped; a message Slack no longer has is `gone`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from handlers.alerts.worker import message_for
from handlers.deps import Deps
from handlers.digests.blocks import quoted_response, redacted_quote
from handlers.logs import log_context
from handlers.slack.posting import outcome
from storage.alerts.store import alerts_of_message, get_alert
from storage.alerts.tables import AlertStatus
from storage.db import session_scope
from storage.digests.store import get_post
from storage.digests.tables import DigestPost, PostStatus
from storage.privacy.store import (
    claim_redactions,
    finish_redaction,
    get_redactions,
    queue,
    quoted,
    quotes_of,
    save_post,
)
from storage.privacy.tables import Reason, Redaction, RedactionStatus, Target

log = logging.getLogger("kpibot.privacy")

#: Slack errors meaning there is no message left to redact.
GONE = frozenset({"message_not_found", "thread_not_found"})
#: A message still being posted is looked at again this soon.
WAIT_FOR_POST = timedelta(seconds=30)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


def redacted_blocks(
    post: DigestPost,
    removed: dict[int, Any],
    *,
    reason: Reason,
    language: str,
) -> list[dict[str, Any]] | None:
    """A digest message's blocks with the quotes of `removed` responses (id → what stays of
    them: score, survey, day) replaced; None when it quoted none of them."""
    zone = ZoneInfo(post.timezone)
    changed = False
    out = []
    for block in post.blocks:
        response_id = quoted_response(block)
        kept = removed.get(response_id) if response_id is not None else None
        if kept is not None and response_id is not None:
            block = redacted_quote(
                response_id,
                score=kept.score,
                scale_max=kept.scale_max,
                survey=kept.survey,
                submitted_at=kept.submitted_at,
                zone=zone,
                reason=reason.value,
                language=language,
            )
            changed = True
        out.append(block)
    return out if changed else None


def without_filter(value: Any, customer_id: str) -> Any:
    """Any JSON value with the filter words naming the customer (`customer_id=ID`, `!=`)
    replaced by `customer_id=…` (digest segment notes, threshold rules' text)."""
    pattern = re.compile(r"(customer_id\s*!?=\s*)" + re.escape(customer_id), re.IGNORECASE)
    data = orjson.dumps(value).decode()
    return orjson.loads(pattern.sub(lambda m: m.group(1) + "…", data))


def redact_posts(
    deps: Deps,
    session: Session,
    posts: Sequence[DigestPost],
    *,
    reason: Reason,
    now: datetime,
    customer_id: str | None = None,
) -> list[int]:
    """Rewrite the stored blocks of these digest messages without the removed quotes (and
    without the customer's id in a segment note); returns the posts changed."""
    changed = []
    for post in posts:
        assert post.id is not None
        ids = quotes_of(session=session, post_id=post.id)
        gone = {
            rid: q for rid, q in quoted(session=session, response_ids=ids).items() if not q.comment
        }
        blocks = redacted_blocks(post, gone, reason=reason, language=deps.settings.language)
        text = post.text
        if customer_id is not None:
            scrubbed = without_filter(blocks if blocks is not None else post.blocks, customer_id)
            if scrubbed != (blocks if blocks is not None else post.blocks):
                blocks = scrubbed
            text = str(without_filter(post.text, customer_id))
        if blocks is None and text == post.text:
            continue
        save_post(
            session=session,
            post_id=post.id,
            blocks=blocks if blocks is not None else post.blocks,
            text=text,
            now=now,
        )
        changed.append(post.id)
    return changed


def after_digest_posted(deps: Deps, post_id: int) -> bool:
    """A digest composed before an erasure committed may be posted after it: once its ts is
    recorded, redact it if a response it quoted lost its comment meanwhile. True if queued."""
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        post = get_post(session=session, post_id=post_id)
        if post is None:
            return False
        retention = deps.settings.comment_retention
        reason = Reason.ERASURE
        ids = quotes_of(session=session, post_id=post_id)
        gone = [q for q in quoted(session=session, response_ids=ids).values() if not q.comment]
        if retention is not None and gone and all(q.submitted_at < now - retention for q in gone):
            reason = Reason.RETENTION
        if not redact_posts(deps, session, [post], reason=reason, now=now):
            return False
        queue(session=session, target=Target.DIGEST, ids=[post_id], reason=reason, now=now)
    return True


@dataclass
class Run:
    """What one pass of the worker did, by outcome (each redaction row once)."""

    redacted: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Where:
    """The message a redaction re-renders, or why there is none (yet)."""

    channel: str | None = None
    ts: str | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    wait: bool = False


def _alert_message(deps: Deps, alert_id: int) -> _Where:
    with session_scope(deps.sessions) as session:
        alert = get_alert(session=session, alert_id=alert_id)
        if alert is None:
            return _Where()
        if alert.status == AlertStatus.POSTING:
            return _Where(wait=True)
        if alert.status != AlertStatus.POSTED or not alert.message_ts:
            return _Where()  # never posted, or its fate is unknown: no message to edit
        channel = alert.message_channel or alert.channel_id
        ts = alert.message_ts
        shown = alerts_of_message(session=session, channel=channel, ts=ts)
    message = message_for(deps, shown)
    return _Where(channel, ts, message.text, message.blocks)


def _digest_message(deps: Deps, post_id: int) -> _Where:
    with session_scope(deps.sessions) as session:
        post = get_post(session=session, post_id=post_id)
    if post is None or post.status == PostStatus.UNKNOWN or not post.message_ts:
        if post is not None and post.status == PostStatus.POSTING:
            return _Where(wait=True)
        return _Where()
    return _Where(post.channel_id, post.message_ts, post.text, post.blocks)


def _retry_at(now: datetime, attempts: int) -> datetime:
    delay: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return now + min(delay, LONGEST_RETRY)


def _send(
    deps: Deps, client: WebClient, redaction: Redaction, now: datetime, done: set[tuple[str, str]]
) -> RedactionStatus:
    """Render one queued message from the database and `chat.update` it; record the outcome."""
    assert redaction.id is not None
    if redaction.target == Target.ALERT:
        where = _alert_message(deps, redaction.target_id)
    else:
        where = _digest_message(deps, redaction.target_id)

    def finish(
        status: RedactionStatus, retry_at: datetime | None = None, error: str | None = None
    ) -> None:
        with session_scope(deps.sessions) as session:
            finish_redaction(
                session=session,
                redaction=redaction,
                status=status,
                now=now,
                retry_at=retry_at,
                error=error,
            )

    if where.wait:
        finish(RedactionStatus.PENDING, now + WAIT_FOR_POST, "the message is still being posted")
        return RedactionStatus.PENDING
    if where.channel is None or where.ts is None:
        finish(RedactionStatus.GONE)
        return RedactionStatus.GONE
    if (where.channel, where.ts) in done:  # one summary message shows several alerts
        finish(RedactionStatus.DONE)
        return RedactionStatus.DONE
    try:
        client.chat_update(channel=where.channel, ts=where.ts, text=where.text, blocks=where.blocks)
    except Exception as exc:
        error = outcome(exc).error
        if isinstance(exc, SlackApiError) and error in GONE:
            finish(RedactionStatus.GONE, error=error)
            return RedactionStatus.GONE
        log.warning("redaction %s: %s; retried later", redaction.id, error)
        finish(RedactionStatus.PENDING, _retry_at(now, redaction.attempts), error)
        return RedactionStatus.PENDING
    done.add((where.channel, where.ts))
    finish(RedactionStatus.DONE)
    return RedactionStatus.DONE


def redact_pending(
    deps: Deps, client: WebClient, *, now: datetime, only: Sequence[int] | None = None
) -> Run:
    """Send every redaction that is due (or, with `only`, those rows if they are due)."""
    with session_scope(deps.sessions) as session:
        claimed = claim_redactions(session=session, now=now, only=only)
    run = Run()
    done: set[tuple[str, str]] = set()
    for redaction in claimed:
        assert redaction.id is not None
        with log_context(redaction_id=redaction.id):
            status = _send(deps, client, redaction, now, done)
        if status == RedactionStatus.DONE:
            run.redacted.append(redaction.id)
        elif status == RedactionStatus.GONE:
            run.gone.append(redaction.id)
        else:
            run.retry.append(redaction.id)
        outcome_label = {"done": "redacted", "gone": "gone", "pending": "retry"}[status.value]
        deps.metrics.redactions.labels(outcome=outcome_label).inc()
    return run


def statuses(deps: Deps, ids: Sequence[int]) -> dict[str, int]:
    """How many of these redactions are done, gone or still waiting."""
    with session_scope(deps.sessions) as session:
        rows = get_redactions(session=session, ids=ids)
    out = {"redacted": 0, "gone": 0, "pending": 0}
    for row in rows:
        if row.status == RedactionStatus.DONE:
            out["redacted"] += 1
        elif row.status == RedactionStatus.GONE:
            out["gone"] += 1
        else:
            out["pending"] += 1
    return out
