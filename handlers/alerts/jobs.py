"""The alert jobs on the shared scheduler: the outbox worker, reminders, threshold rules."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.alerts.worker import evaluate_rules, post_pending, send_reminders
from handlers.deps import Deps

#: How often the outbox is read: an alert reaches Slack within seconds of its ingest.
WORKER_SECONDS = 2
RULES_MINUTES = 15


def work(deps: Deps, client: WebClient) -> None:
    """Post what is pending; evaluate the rules at once when new answers arrived here."""
    now = deps.clock()
    if deps.data_changed.is_set():
        evaluate_rules(deps, now=now)
    post_pending(deps, client, now=now)


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient) -> None:
    """Add the alert jobs."""
    start = datetime.now(UTC)
    scheduler.add_job(
        work,
        IntervalTrigger(seconds=WORKER_SECONDS),
        args=[deps, client],
        id="alerts:outbox",
        name="alerts: post the outbox",
        next_run_time=start,
    )
    scheduler.add_job(
        lambda: send_reminders(deps, client, now=deps.clock()),
        IntervalTrigger(minutes=1),
        id="alerts:reminders",
        name="alerts: remind unclaimed alerts",
    )
    scheduler.add_job(
        lambda: evaluate_rules(deps, now=deps.clock()),
        IntervalTrigger(minutes=RULES_MINUTES),
        id="alerts:thresholds",
        name="alerts: evaluate threshold rules",
        next_run_time=start,
    )
