"""The alert jobs' work, each taking `now`: post the outbox, remind, evaluate threshold rules.

Posting follows the digests' rules: a pending alert is claimed (conditional UPDATE) before it is
posted, then recorded `posted`, `failed` (Slack certainly posted nothing: retried at the next
run, up to five attempts) or `unknown` (a timeout after sending: shown in `/kpi alert list`,
never re-posted blindly).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from datetime import datetime, timedelta

from slack_sdk import WebClient

from handlers import formatting as fmt
from handlers.alerts.blocks import (
    AlertView,
    detractor_message,
    reminder_text,
    summary_message,
    threshold_message,
)
from handlers.answers.service import KpiError, answer, why
from handlers.deps import Deps
from handlers.logs import log_context
from handlers.slack.blocks import Message
from handlers.slack.posting import outcome
from kpis.catalogue import UnknownKpi, find_kpi
from kpis.question import Question, parse_filters
from query.plan import Filter
from storage.alerts.store import (
    alerts_of_message,
    answers,
    claim_pending,
    claim_reminders,
    customer_history,
    enqueue,
    expire_stale_posting,
    finish_posting,
    flip_rule,
    list_rules,
    note_evaluation,
    release_reminder,
    route_recent_count,
)
from storage.alerts.tables import (
    Alert,
    AlertKind,
    AlertStatus,
    Comparison,
    LoopState,
    ThresholdRule,
)
from storage.db import session_scope

log = logging.getLogger("kpibot.alerts")

WORKER = f"{socket.gethostname()}:{os.getpid()}"
STALE_POSTING = timedelta(minutes=5)
BURST_WINDOW = timedelta(minutes=1)


def views_of(deps: Deps, alerts: list[Alert]) -> list[AlertView]:
    """Each alert with its answer and the customer's history."""
    ids = [a.response_id for a in alerts if a.response_id is not None]
    with session_scope(deps.sessions) as session:
        found = answers(session=session, response_ids=ids)
        out = []
        for alert in alerts:
            answer_row = found.get(alert.response_id or -1)
            history = None
            if answer_row is not None and answer_row.customer_id:
                history = customer_history(
                    session=session,
                    customer_id=answer_row.customer_id,
                    before=answer_row.submitted_at,
                )
            out.append(AlertView(alert, answer_row, history))
    return out


def message_for(deps: Deps, alerts: list[Alert]) -> Message:
    """The message that shows these alerts (one, a burst's summary, or a threshold alert)."""
    language = deps.settings.language
    first = alerts[0]
    if first.kind != AlertKind.DETRACTOR:
        return threshold_message(first, language, deps.settings.currency)
    views = views_of(deps, alerts)
    if len(alerts) > 1 or first.summarised:
        return summary_message(views, first.leads, language)
    return detractor_message(views[0], language)


def _post(deps: Deps, client: WebClient, alerts: list[Alert], *, now: datetime) -> AlertStatus:
    """Post one message for `alerts` (claimed by us) and record the outcome."""
    with log_context(alert_ids=[a.id for a in alerts]):
        return _post_logged(deps, client, alerts, now=now)


def _post_logged(
    deps: Deps, client: WebClient, alerts: list[Alert], *, now: datetime
) -> AlertStatus:
    ids = [a.id for a in alerts if a.id is not None]
    summarised = len(alerts) > 1
    if summarised:
        for alert in alerts:
            alert.summarised = True
    try:
        message = message_for(deps, alerts)
        response = client.chat_postMessage(
            channel=alerts[0].channel_id,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
        )
    except Exception as exc:
        result = outcome(exc)
        status = AlertStatus.UNKNOWN if result.kind == "unknown" else AlertStatus.FAILED
        log.warning("alerts %s: %s (%s)", ids, status, result.error)
        with session_scope(deps.sessions) as session:
            finish_posting(
                session=session, alert_ids=ids, status=status, now=now, error=result.error
            )
        deps.metrics.alert_posts.labels(status=status.value).inc()
        return status
    with session_scope(deps.sessions) as session:
        finish_posting(
            session=session,
            alert_ids=ids,
            status=AlertStatus.POSTED,
            now=now,
            channel=str(response.get("channel") or alerts[0].channel_id),
            ts=str(response.get("ts") or ""),
            summarised=summarised,
        )
    deps.metrics.alert_posts.labels(status=AlertStatus.POSTED.value).inc()
    return AlertStatus.POSTED


def post_pending(deps: Deps, client: WebClient, *, now: datetime) -> list[AlertStatus]:
    """Claim and post every pending alert; return each message's outcome.

    Flood control: when one route has more than KPIBOT_ALERT_BURST detractors in the batch, or
    has raised more than that within the last minute, its batch is posted as one summary.
    """
    deps.alerts_waiting.clear()
    burst = deps.settings.alert_burst
    with session_scope(deps.sessions) as session:
        expired = expire_stale_posting(session=session, older_than=now - STALE_POSTING)
        claimed = claim_pending(session=session, worker=WORKER, now=now)
        recent = {
            route: route_recent_count(session=session, route_id=route, since=now - BURST_WINDOW)
            for route in {a.route_id for a in claimed if a.route_id is not None}
        }
    if expired:
        log.warning("%d alerts were left half-posted: marked unknown", expired)
    by_route: dict[int, list[Alert]] = defaultdict(list)
    singles: list[Alert] = []
    for alert in claimed:
        if alert.kind == AlertKind.DETRACTOR and alert.route_id is not None:
            by_route[alert.route_id].append(alert)
        else:
            singles.append(alert)
    outcomes = []
    for route, alerts in by_route.items():
        if len(alerts) > burst or (len(alerts) > 1 and recent.get(route, 0) > burst):
            for start in range(0, len(alerts), 45):
                outcomes.append(_post(deps, client, alerts[start : start + 45], now=now))
        else:
            outcomes.extend(_post(deps, client, [alert], now=now) for alert in alerts)
    outcomes.extend(_post(deps, client, [alert], now=now) for alert in singles)
    return outcomes


def refresh_message(deps: Deps, client: WebClient, channel: str, ts: str) -> None:
    """Re-render a message from the database after its alerts changed (`chat.update`)."""
    with session_scope(deps.sessions) as session:
        alerts = alerts_of_message(session=session, channel=channel, ts=ts)
    if not alerts:
        return
    message = message_for(deps, alerts)
    client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)


def send_reminders(deps: Deps, client: WebClient, *, now: datetime) -> int:
    """One reminder, in the thread, for each detractor alert unclaimed after the delay."""
    with session_scope(deps.sessions) as session:
        due = claim_reminders(
            session=session, posted_before=now - deps.settings.alert_remind_after, now=now
        )
    sent = 0
    for alert in due:
        try:
            client.chat_postMessage(
                channel=alert.message_channel or alert.channel_id,
                thread_ts=alert.message_ts,
                text=reminder_text(alert, deps.settings.language),
            )
            sent += 1
        except Exception as exc:
            result = outcome(exc)
            if result.kind != "unknown" and alert.id is not None:  # not sent: retried next run
                with session_scope(deps.sessions) as session:
                    release_reminder(session=session, alert_id=alert.id)
            log.warning("reminder for alert %s: %s", alert.id, result.error)
    return sent


def rule_text(rule: ThresholdRule) -> str:
    """`nps last-7d < 30` as typed (normalised)."""
    op = {Comparison.BELOW: "<", Comparison.ABOVE: ">", Comparison.DROPS_BY: "drops-by"}[
        rule.comparison
    ]
    filters = (" " + " ".join(rule.filters)) if rule.filters else ""
    try:
        unit = find_kpi(rule.kpi).unit
    except UnknownKpi:  # a counter's sum
        unit = "number"
    if unit == "seconds":
        threshold = fmt.duration(rule.threshold).replace(" ", "")
    elif unit == "percent" and rule.comparison != Comparison.DROPS_BY:
        threshold = f"{rule.threshold:g}%"
    else:
        threshold = f"{rule.threshold:g}"
    return f"{rule.kpi} {rule.period}{filters} {op} {threshold}"


def _driver(
    deps: Deps, rule: ThresholdRule, filters: tuple[Filter, ...], now: datetime
) -> dict[str, object] | None:
    """The segment that moved a rule's KPI most (`kpis.why`), for the alert to name."""
    try:
        found = why(
            deps=deps,
            question=Question(rule.kpi, period=rule.period, filters=filters),
            now=now,
        )
    except KpiError:
        return None
    if found.reason is not None or not found.drivers:
        return None
    s = found.drivers[0]
    return {
        "attribute": s.attribute,
        "segment": s.key,
        "before": s.before.value,
        "after": s.after.value,
        "contribution": s.contribution,
        "effect": s.effect,
        "significant": s.significant,
    }


def evaluate_rules(deps: Deps, *, now: datetime) -> int:
    """Evaluate every threshold rule at `now`; record an alert where one starts or stops holding.

    The flip and its alert are one transaction, and the flip is a conditional UPDATE: a rule
    fires once when it starts to hold and recovers once when it stops, whatever the number of
    schedulers evaluating it.
    """
    deps.data_changed.clear()
    with session_scope(deps.sessions) as session:
        rules = list_rules(session=session)
    raised = 0
    for rule in rules:
        assert rule.id is not None
        filters = parse_filters(rule.filters)
        try:
            result = answer(
                deps=deps,
                question=Question(rule.kpi, period=rule.period, filters=filters),
                now=now,
            )
        except KpiError as exc:
            log.warning("rule %s cannot be evaluated: %s", rule.id, exc)
            continue
        value, previous = result.current.value, result.previous.value
        if value is None:
            with session_scope(deps.sessions) as session:
                note_evaluation(session=session, rule_id=rule.id, value=None, now=now)
            continue
        if rule.comparison == Comparison.BELOW:
            holds = value < rule.threshold
        elif rule.comparison == Comparison.ABOVE:
            holds = value > rule.threshold
        else:
            holds = previous is not None and previous - value >= rule.threshold
        # what moved it, read before the flip's transaction (only when it is about to fire)
        driver = _driver(deps, rule, filters, now) if holds and not rule.holding else None
        with session_scope(deps.sessions) as session:
            if holds == rule.holding or not flip_rule(
                session=session, rule_id=rule.id, holding=holds, value=value, now=now
            ):
                note_evaluation(session=session, rule_id=rule.id, value=value, now=now)
                continue
            enqueue(
                session=session,
                alert=Alert(
                    kind=AlertKind.THRESHOLD if holds else AlertKind.RECOVERY,
                    rule_id=rule.id,
                    channel_id=rule.channel_id,
                    leads=rule.leads,
                    state=LoopState.NONE,
                    details={
                        "rule": rule_text(rule),
                        "rule_id": rule.id,
                        "kpi": result.key,
                        "name": result.name,
                        "unit": result.unit,
                        "period": rule.period,
                        "value": value,
                        "previous": previous,
                        "comparison": rule.comparison.value,
                        "threshold": rule.threshold,
                        "n": result.current.n,
                        **({"driver": driver} if driver else {}),
                    },
                    created_at=now,
                ),
            )
            raised += 1
    if raised:
        deps.alerts_waiting.set()
    return raised
