"""The in-process APScheduler 3 scheduler that runs every feature's jobs.

Each process builds its own scheduler with a memory job store (APScheduler's FAQ: a job store
shared by several processes runs jobs twice); kpibot's own tables are the source of truth and
the database claims make a second scheduler harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.feature import Feature

log = logging.getLogger("kpibot.jobs")


def build_scheduler(
    deps: Deps, client: WebClient, features: Sequence[Feature], *, slack: bool
) -> BaseScheduler:
    """A background scheduler (not started) with the features' jobs added.

    Without Slack (`slack` false: no SLACK_BOT_TOKEN) the jobs that post are left out. Jobs
    coalesce (one run for several missed fire times), never overlap themselves, and a run more
    than a minute late is dropped by APScheduler: kpibot's own catch-up, which reads the
    deliveries table, decides what a missed run still owes.
    """
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for feature in features:
        if feature.jobs is not None and (slack or not feature.jobs_post):
            feature.jobs(scheduler, deps, client)
    return scheduler


def job_names(features: Sequence[Feature], *, slack: bool) -> list[str]:
    """The features whose jobs a scheduler runs (what `serve` says at start-up)."""
    return [f.name for f in features if f.jobs is not None and (slack or not f.jobs_post)]
