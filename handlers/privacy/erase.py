"""Erasure (GDPR art. 17) and retention: personal data removed in one transaction, the Slack
messages that quoted it queued for redaction in the same one, then redacted.

`forget_customer` removes one customer's comments, customer id and free-text attributes from
every response and ticket, the notes of the alerts their answers raised, and the digests,
routes and rules filtered on them; `expire` does the same for whatever is older than
KPIBOT_COMMENT_RETENTION, a batch per transaction. Scores, times, channels and segments stay,
so every KPI keeps its figures. On SQLite the WAL is then checkpointed into the file and
truncated (`secure_delete` is on for every connection), so the data is nowhere in either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.privacy.redact import redact_pending, redact_posts, statuses, without_filter
from storage.alerts.tables import AlertStatus
from storage.db import checkpoint, session_scope
from storage.digests.tables import PostStatus
from storage.models import RESPONSES, TICKETS
from storage.privacy.store import (
    Named,
    alerts_of,
    anonymise,
    customer_records,
    drop_named,
    expired_records,
    hold_writers,
    log,
    naming,
    posts_of_subscription,
    posts_quoting,
    queue,
    redaction_ids,
    scrub_alerts,
    set_alert_details,
    threshold_alerts_of,
)
from storage.privacy.tables import Erasure, Reason, Target

log_ = logging.getLogger("kpibot.privacy")


@dataclass
class Forgotten:
    """What one erasure or retention run removed and redacted (counts; never whose data)."""

    reason: Reason
    responses: int = 0
    tickets: int = 0
    alerts: int = 0
    #: Alerts not posted yet, withdrawn: they will never be posted.
    withdrawn: int = 0
    subscriptions: list[int] = field(default_factory=list)
    routes: list[int] = field(default_factory=list)
    rules: list[int] = field(default_factory=list)
    #: Slack messages queued for redaction, and the outbox rows.
    messages: int = 0
    redaction_ids: list[int] = field(default_factory=list)
    #: Messages that may be in Slack but whose place is unknown (a post that timed out).
    unlocatable: int = 0
    #: The SQLite WAL was checkpointed and truncated (always True on PostgreSQL).
    file_clean: bool = True
    erasure_ids: list[int] = field(default_factory=list)
    #: After the first redaction attempt: redacted, gone (nothing to edit), pending (retried).
    redaction: dict[str, int] = field(default_factory=dict)

    def add(self, other: Forgotten) -> None:
        """Sum another batch's counts into this one."""
        self.responses += other.responses
        self.tickets += other.tickets
        self.alerts += other.alerts
        self.withdrawn += other.withdrawn
        self.messages += other.messages
        self.unlocatable += other.unlocatable
        self.redaction_ids += other.redaction_ids
        self.erasure_ids += other.erasure_ids

    def as_json(self, database: str) -> dict[str, Any]:
        """What the API answers and the CLI prints."""
        return {
            "reason": self.reason.value,
            "erased": {
                "survey_responses": self.responses,
                "tickets": self.tickets,
                "alerts": self.alerts,
                "alerts_withdrawn_before_posting": self.withdrawn,
                "digest_subscriptions_removed": self.subscriptions,
                "alert_routes_removed": self.routes,
                "threshold_rules_removed": self.rules,
            },
            "kept": "scores, times, channels, teams, agents and segment attributes (anonymous)",
            "slack": {
                "messages": self.messages,
                **self.redaction,
                "unlocatable": self.unlocatable,
            },
            "database": database,
        }


def _remove(
    deps: Deps,
    session: Session,
    *,
    responses: list[int],
    tickets: list[int],
    reason: Reason,
    now: datetime,
    customer_id: str | None = None,
) -> Forgotten:
    """Anonymise these records, scrub and queue what quoted them, inside `session`."""
    keep = deps.settings.kept_attributes
    done = Forgotten(reason)
    alerts = alerts_of(session=session, response_ids=responses)
    done.alerts = len(alerts)
    withdrawn = set(scrub_alerts(session=session, alert_ids=[a.id for a in alerts], reason=reason))
    done.withdrawn = len(withdrawn)
    shown = [a for a in alerts if a.id not in withdrawn]
    done.unlocatable += sum(1 for a in shown if a.status == AlertStatus.UNKNOWN)
    alert_targets = [a.id for a in shown if a.status != AlertStatus.UNKNOWN]
    done.responses = anonymise(session=session, table=RESPONSES, ids=responses, keep=keep)
    done.tickets = anonymise(session=session, table=TICKETS, ids=tickets, keep=keep)
    posts = posts_quoting(session=session, response_ids=responses)
    named = Named([], [], [])
    if customer_id is not None:
        named = naming(session=session, customer_id=customer_id)
        posts += [
            post
            for subscription in named.subscriptions
            for post in posts_of_subscription(session=session, subscription_id=subscription)
        ]
        for alert in threshold_alerts_of(session=session, rule_ids=named.rules):
            assert alert.id is not None
            scrubbed = without_filter(alert.details, customer_id)
            if scrubbed != alert.details:
                set_alert_details(session=session, alert_id=alert.id, details=scrubbed)
                if alert.status in (AlertStatus.POSTED, AlertStatus.POSTING):
                    alert_targets.append(alert.id)
        drop_named(session=session, named=named)
        done.subscriptions, done.routes, done.rules = (
            named.subscriptions,
            named.routes,
            named.rules,
        )
    changed = redact_posts(deps, session, posts, reason=reason, now=now, customer_id=customer_id)
    unknown = {p.id for p in posts if p.status == PostStatus.UNKNOWN}
    done.unlocatable += len(unknown & set(changed))
    digest_targets = [post_id for post_id in changed if post_id not in unknown]
    done.messages = queue(
        session=session, target=Target.ALERT, ids=alert_targets, reason=reason, now=now
    ) + queue(session=session, target=Target.DIGEST, ids=digest_targets, reason=reason, now=now)
    done.redaction_ids = redaction_ids(
        session=session, target=Target.ALERT, target_ids=alert_targets
    ) + redaction_ids(session=session, target=Target.DIGEST, target_ids=digest_targets)
    erasure_id = log(
        session=session,
        erasure=Erasure(
            reason=reason,
            at=now,
            responses=done.responses,
            tickets=done.tickets,
            alerts=done.alerts,
            filters=len(named.subscriptions) + len(named.routes) + len(named.rules),
            messages=done.messages,
        ),
    )
    done.erasure_ids.append(erasure_id)
    return done


def forget_customer(deps: Deps, customer_id: str, client: WebClient | None = None) -> Forgotten:
    """Erase one customer (GDPR art. 17) in one transaction; then clean the SQLite file and
    try the redactions at once (`client`: the Slack client; None leaves them to the worker)."""
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        hold_writers(session)
        responses, tickets = customer_records(session=session, customer_id=customer_id)
        done = _remove(
            deps,
            session,
            responses=responses,
            tickets=tickets,
            reason=Reason.ERASURE,
            now=now,
            customer_id=customer_id,
        )
    done.file_clean = checkpoint(deps.engine)
    deps.metrics.erasures.labels(reason=Reason.ERASURE.value).inc()
    log_.info(
        "erasure %s: %d responses, %d tickets, %d alerts, %d messages to redact",
        done.erasure_ids[0],
        done.responses,
        done.tickets,
        done.alerts,
        done.messages,
    )
    _redact_now(deps, client, done)
    return done


def expire(deps: Deps, client: WebClient | None = None, *, now: datetime) -> Forgotten:
    """Remove the personal data older than KPIBOT_COMMENT_RETENTION (nothing when unset), a
    batch per transaction, with the same redactions as an erasure."""
    total = Forgotten(Reason.RETENTION)
    retention = deps.settings.comment_retention
    if retention is None:
        return total
    before = now - retention
    while True:
        with session_scope(deps.sessions) as session:
            hold_writers(session)
            responses, tickets = expired_records(
                session=session, before=before, keep=deps.settings.kept_attributes
            )
            if not responses and not tickets:
                break
            batch = _remove(
                deps,
                session,
                responses=responses,
                tickets=tickets,
                reason=Reason.RETENTION,
                now=now,
            )
        total.add(batch)
    if total.erasure_ids:
        total.file_clean = checkpoint(deps.engine)
        deps.metrics.erasures.labels(reason=Reason.RETENTION.value).inc()
        log_.info(
            "retention (%s): %d responses, %d tickets, %d alerts, %d messages to redact",
            retention,
            total.responses,
            total.tickets,
            total.alerts,
            total.messages,
        )
    _redact_now(deps, client, total)
    return total


def _redact_now(deps: Deps, client: WebClient | None, done: Forgotten) -> None:
    """Send the queued redactions now; whatever fails waits for the worker's next run."""
    if client is not None and done.redaction_ids:
        redact_pending(deps, client, now=deps.clock(), only=done.redaction_ids)
    if done.redaction_ids:
        done.redaction = statuses(deps, done.redaction_ids)
    else:
        done.redaction = {"redacted": 0, "gone": 0, "pending": 0}


def database_note(deps: Deps, done: Forgotten) -> str:
    """What was done to the database files, in words for the operator."""
    if deps.engine.dialect.name == "sqlite":
        if done.file_clean:
            return (
                "SQLite: erased values zeroed in the file (secure_delete) and the WAL "
                "checkpointed and truncated"
            )
        return (
            "SQLite: erased values zeroed (secure_delete), but a reader kept the WAL from being "
            "truncated; it holds old pages until the next checkpoint (run the command again)"
        )
    return (
        "PostgreSQL: rows rewritten; the old row versions stay in the table files until VACUUM "
        "reuses their space, and in WAL archives and backups until they expire (see the README)"
    )
