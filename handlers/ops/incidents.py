"""Failures told to a person: one message to KPIBOT_OPS_CHANNEL when a problem starts, one when
it recovers, whatever the number of retries or schedulers.

Each minute every scheduler looks at the database (and asks Slack whether the token works) and
opens or closes incidents by key: `digest:<id>` (a delivery ended failed, unknown or missed),
`alerts:unposted` (alerts waiting more than 10 minutes), `connector:<vendor>` (its deliveries
keep failing), `slack:token` (auth.test refused the token) and `redactions:stuck` (a Slack
message quoting erased data not redacted after an hour). Opening is an INSERT on the unique
open key, closing a conditional UPDATE: the winner's row is the outbox of its message, posted
with the once-only client. A broken token cannot post its own incident: that message waits and
goes out, with the recovery, once the token works again (it is logged, and `/metrics` and
`kpibot doctor` show it meanwhile).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from handlers.i18n import say
from handlers.ops.connectors import FAILING_IN_ROW
from handlers.slack.posting import outcome
from storage.alerts.store import MAX_ATTEMPTS
from storage.db import session_scope
from storage.digests.store import latest_deliveries, list_subscriptions
from storage.digests.tables import DeliveryStatus
from storage.ops.store import (
    Announcing,
    claim_announcements,
    close_incident,
    connector_health,
    finish_announcement,
    open_incident,
    open_incidents,
    unposted_alerts,
)
from storage.ops.tables import Announcement
from storage.privacy.store import outbox as redaction_outbox

log = logging.getLogger("kpibot.ops")

#: An alert not posted after this is an incident.
ALERT_LIMIT = timedelta(minutes=10)
#: A redaction not sent after this is an incident.
REDACTION_LIMIT = timedelta(hours=1)
#: Slack's words for a token that does not work.
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


@dataclass(frozen=True)
class Seen:
    """One problem as the watcher sees it now: open (with what to say) or fine."""

    key: str
    bad: bool
    details: dict[str, Any]


def _digests(deps: Deps, now: datetime) -> list[Seen]:
    """A digest's latest delivery ended failed (out of attempts, past the grace window or
    paused), unknown or missed: open; sent: closed."""
    grace = deps.settings.digest_grace
    with session_scope(deps.sessions) as session:
        subscriptions = {s.id: s for s in list_subscriptions(session=session)}
        latest = latest_deliveries(session=session)
        known = open_incidents(session=session, prefix="digest:")
    seen = []
    for subscription_id, delivery in latest.items():
        subscription = subscriptions.get(subscription_id)
        if subscription is None:
            continue
        status = delivery.status
        ended = status in (DeliveryStatus.UNKNOWN, DeliveryStatus.MISSED) or (
            status == DeliveryStatus.FAILED
            and (
                delivery.attempts >= MAX_ATTEMPTS
                or subscription.paused
                or now - delivery.scheduled_for > grace
            )
        )
        details = {
            "kind": "digest",
            "id": subscription_id,
            "channel": subscription.channel_id,
            "status": status.value,
            "error": (delivery.error or "")[:200],
        }
        if ended or status == DeliveryStatus.SENT:
            seen.append(Seen(f"digest:{subscription_id}", ended, details))
    for incident in known:  # the subscription was removed: nothing left to fix
        sid = int(incident.key.split(":", 1)[1])
        if sid not in subscriptions:
            seen.append(Seen(incident.key, False, incident.details))
    return seen


def _alerts(deps: Deps, now: datetime) -> Seen:
    with session_scope(deps.sessions) as session:
        waiting = unposted_alerts(
            session=session,
            older_than=now - ALERT_LIMIT,
            newer_than=now - deps.settings.alert_max_age,
        )
    details = {
        "kind": "alerts",
        "count": waiting.count,
        "since": waiting.oldest.isoformat() if waiting.oldest else "",
        "error": (waiting.error or "")[:200],
    }
    return Seen("alerts:unposted", waiting.count > 0, details)


def _connectors(deps: Deps) -> list[Seen]:
    with session_scope(deps.sessions) as session:
        health = connector_health(session=session)
    return [
        Seen(
            f"connector:{h.vendor}",
            h.failures_in_row >= FAILING_IN_ROW,
            {
                "kind": "connector",
                "vendor": h.vendor,
                "count": h.failures_in_row,
                "outcome": h.last_outcome,
                "error": (h.last_error or "")[:200],
            },
        )
        for h in health
        if h.failures_in_row >= FAILING_IN_ROW or h.failures_in_row == 0
    ]


def _token(client: WebClient) -> Seen | None:
    """auth.test: a refused token opens the incident, a working one closes it; any other
    failure (Slack unreachable) says nothing about the token."""
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "") or "")
        if error in TOKEN_ERRORS:
            return Seen("slack:token", True, {"kind": "token", "error": error})
        return None
    except Exception:
        return None
    return Seen("slack:token", False, {"kind": "token", "error": ""})


def _redactions(deps: Deps, now: datetime) -> Seen:
    with session_scope(deps.sessions) as session:
        waiting = redaction_outbox(session=session)
    stuck = waiting.oldest is not None and now - waiting.oldest > REDACTION_LIMIT
    return Seen(
        "redactions:stuck",
        stuck,
        {"kind": "redactions", "count": waiting.depth, "error": ""},
    )


def watch(deps: Deps, client: WebClient, *, now: datetime) -> list[str]:
    """Open and close incidents from what is seen now, then post what is due; returns the
    keys this run opened or closed (for the tests and the log)."""
    seen = [*_digests(deps, now), _alerts(deps, now), *_connectors(deps), _redactions(deps, now)]
    token = _token(client)
    if token is not None:
        seen.append(token)
    announce = deps.settings.ops_channel is not None
    changed = []
    with session_scope(deps.sessions) as session:
        for problem in seen:
            if problem.bad:
                opened = open_incident(
                    session=session,
                    key=problem.key,
                    details=problem.details,
                    now=now,
                    announce=announce,
                )
                if opened is not None:
                    changed.append(f"+{problem.key}")
                    log.error("incident %s: %s", problem.key, problem.details)
            else:
                closed = close_incident(
                    session=session,
                    key=problem.key,
                    details=None,
                    now=now,
                    announce=announce,
                    tell_anyway=problem.key == "slack:token",
                )
                if closed is not None:
                    changed.append(f"-{problem.key}")
                    log.warning("incident %s recovered", problem.key)
    if announce:
        post_announcements(deps, client)
    return changed


def text_of(details: dict[str, Any], *, recovered: bool, language: str, since: str = "") -> str:
    """An incident's message (or its recovery's) in the workspace's language."""
    kind = str(details.get("kind", ""))
    key = {
        "digest": "ops_digest",
        "alerts": "ops_alerts",
        "connector": "ops_connector",
        "token": "ops_token",
        "redactions": "ops_redactions",
    }[kind] + ("_ok" if recovered else "")
    values = {k: v for k, v in details.items() if k != "kind"}
    values.setdefault("error", "")
    values["error"] = values["error"] or "—"
    what = say(key, language, **values)
    if recovered:
        return say("ops_resolved", language, what=what, since=since)
    return say("ops_opened", language, what=what)


def post_announcements(deps: Deps, client: WebClient) -> int:
    """Post the incident messages that are due to the ops channel; returns how many."""
    channel = deps.settings.ops_channel
    if channel is None:
        return 0
    language = deps.settings.language
    with session_scope(deps.sessions) as session:
        due = claim_announcements(session=session)
    posted = 0
    for item in due:
        posted += _announce(deps, client, channel, item, language)
    return posted


def _announce(deps: Deps, client: WebClient, channel: str, item: Announcing, language: str) -> int:
    incident = item.incident
    assert incident.id is not None
    since = incident.opened_at.strftime("%Y-%m-%d %H:%M UTC")
    message = text_of(incident.details, recovered=item.recovery, language=language, since=since)
    kind = "recovery" if item.recovery else "incident"
    try:
        client.chat_postMessage(channel=channel, text=message, unfurl_links=False)
    except Exception as exc:
        result = outcome(exc)
        if result.kind == "unknown":
            status = Announcement.UNKNOWN
        elif result.error in TOKEN_ERRORS:  # waits for the token, without using up attempts
            status = Announcement.PENDING
        else:
            status = Announcement.FAILED
        with session_scope(deps.sessions) as session:
            finish_announcement(
                session=session,
                incident_id=incident.id,
                recovery=item.recovery,
                status=status,
                error=result.error,
                keep_attempts=status == Announcement.PENDING,
            )
        deps.metrics.ops_messages.labels(kind=kind, outcome=status.value).inc()
        log.warning("ops message for %s: %s (%s)", incident.key, status, result.error)
        return 0
    with session_scope(deps.sessions) as session:
        finish_announcement(
            session=session,
            incident_id=incident.id,
            recovery=item.recovery,
            status=Announcement.POSTED,
        )
    deps.metrics.ops_messages.labels(kind=kind, outcome="posted").inc()
    return 1
