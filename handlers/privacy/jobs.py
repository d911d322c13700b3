"""The privacy jobs: the redaction outbox worker, and the daily retention run.

Every scheduler runs both. The redactions are claimed row by row; the retention run is claimed
per UTC day (`daily_runs`), so one scheduler does it each day whatever the number of replicas.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.privacy.erase import Forgotten, expire
from handlers.privacy.redact import Run, redact_pending
from storage.db import session_scope
from storage.privacy.store import claim_day, finish_day

log = logging.getLogger("kpibot.privacy")

REDACT_SECONDS = 15
RETENTION_JOB = "retention"


def redact(deps: Deps, client: WebClient) -> Run:
    """One pass of the redaction outbox."""
    return redact_pending(deps, client, now=deps.clock())


def retention(
    deps: Deps, client: WebClient | None, *, now: datetime | None = None
) -> Forgotten | None:
    """Today's retention run, if this scheduler claims it (None: off, or another has it)."""
    now = now or deps.clock()
    if deps.settings.comment_retention is None:
        return None
    day = datetime(now.year, now.month, now.day, tzinfo=UTC)
    with session_scope(deps.sessions) as session:
        if not claim_day(session=session, job=RETENTION_JOB, day=day, now=now):
            return None
    done = expire(deps, client, now=now)
    with session_scope(deps.sessions) as session:
        finish_day(session=session, job=RETENTION_JOB, day=day, now=deps.clock())
    return done


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient) -> None:
    """Add the retention run (hourly: the first run of each UTC day claims it, so it runs
    daily even when schedulers restart), with or without Slack, and, when kpibot can post,
    the redaction worker (every 15 s)."""
    start = datetime.now(UTC)
    slack = deps.settings.slack_bot_token is not None
    scheduler.add_job(
        lambda: retention(deps, client if slack else None),
        IntervalTrigger(hours=1),
        id="privacy:retention",
        name="privacy: remove personal data past KPIBOT_COMMENT_RETENTION",
        next_run_time=start + timedelta(seconds=30),
    )
    if not slack:
        return
    scheduler.add_job(
        redact,
        IntervalTrigger(seconds=REDACT_SECONDS),
        args=[deps, client],
        id="privacy:redactions",
        name="privacy: redact Slack messages",
        next_run_time=start,
    )
