"""The conversation job: forget the claims of events older than a day (Slack retries for
minutes), every hour. Posts nothing, so it runs in every scheduler."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.deps import Deps
from storage.conversation.store import forget_events
from storage.db import session_scope

KEEP = timedelta(days=1)


def forget_now(deps: Deps) -> int:
    """Drop the claims older than KEEP; how many."""
    with session_scope(deps.sessions) as session:
        return forget_events(session=session, before=deps.clock() - KEEP)


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient | None = None) -> None:
    """Add the hourly clean-up of event claims."""
    scheduler.add_job(
        forget_now,
        IntervalTrigger(hours=1),
        args=[deps],
        id="conversation:forget",
        name="conversation: forget old event claims",
    )
