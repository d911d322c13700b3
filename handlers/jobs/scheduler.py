"""The in-process APScheduler 3 scheduler that runs kpibot's jobs.

Each process builds its own scheduler with a memory job store (APScheduler's FAQ: a job store
shared by several processes runs jobs twice); kpibot's own tables are the source of truth and
the database claims make a second scheduler harmless. Parts add their jobs through setup
functions, wired in `bot.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from slack_sdk import WebClient

from handlers.deps import Deps

log = logging.getLogger("kpibot.jobs")

#: Adds one part's jobs (digests, alerts) to a scheduler.
JobSetup = Callable[[BaseScheduler, Deps, WebClient], None]


def build_scheduler(deps: Deps, client: WebClient, setups: Sequence[JobSetup]) -> BaseScheduler:
    """A background scheduler (not started) with every part's jobs added.

    Jobs coalesce (one run for several missed fire times), never overlap themselves, and a run
    more than a minute late is dropped by APScheduler: kpibot's own catch-up, which reads the
    deliveries table, decides what a missed run still owes.
    """
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for setup in setups:
        setup(scheduler, deps, client)
    return scheduler
