"""The operator's jobs: a heartbeat every 30 seconds (every scheduler), and the incident watch
every minute (when kpibot can post)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.ops.incidents import watch
from storage.db import session_scope
from storage.ops.store import beat

WORKER = f"{socket.gethostname()}:{os.getpid()}"
HEARTBEAT_SECONDS = 30
WATCH_SECONDS = 60


def heartbeat(deps: Deps, scheduler: BaseScheduler, started_at: datetime) -> None:
    """Record that this scheduler runs, with the features whose jobs it has."""
    jobs = sorted({job.id.split(":", 1)[0] for job in scheduler.get_jobs()})
    with session_scope(deps.sessions) as session:
        beat(session=session, worker=WORKER, started_at=started_at, jobs=jobs, now=deps.clock())


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient) -> None:
    """Add the heartbeat and, with a Slack token, the incident watch."""
    start = datetime.now(UTC)
    scheduler.add_job(
        heartbeat,
        IntervalTrigger(seconds=HEARTBEAT_SECONDS),
        args=[deps, scheduler, deps.clock()],
        id="ops:heartbeat",
        name="ops: scheduler heartbeat",
        next_run_time=start,
    )
    if deps.settings.slack_bot_token is None:
        return
    scheduler.add_job(
        lambda: watch(deps, client, now=deps.clock()),
        IntervalTrigger(seconds=WATCH_SECONDS),
        id="ops:incidents",
        name="ops: open and close incidents, tell the ops channel",
        next_run_time=start,
    )
