"""The rollup job: build the daily rollups of the days that ended, every few minutes.

Runs in every scheduler (`kpibot serve`, with or without Slack, and `kpibot scheduler`); two
processes refreshing at once are harmless (the refresh takes the database's lock, and a day
is built once). A KPI never waits for it: days not rolled up yet are read from the records.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.deps import Deps
from storage.rollups.store import Built, refresh

EVERY_MINUTES = 5


def refresh_now(deps: Deps) -> Built:
    """Build whatever days are missing, now, with the segment dimensions KPIBOT_DIMENSIONS
    names (every source gets the same names; `auto`: each source's discovered ones, among the
    attributes erasure keeps)."""
    settings = deps.settings
    names = settings.segment_dimensions
    dimensions = None if names is None else {"responses": names, "tickets": names}
    return refresh(
        deps.sessions, now=deps.clock(), dimensions=dimensions, among=settings.kept_attributes
    )


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient | None = None) -> None:
    """Add the refresh job, run once at start and then every EVERY_MINUTES minutes."""
    scheduler.add_job(
        refresh_now,
        IntervalTrigger(minutes=EVERY_MINUTES),
        args=[deps],
        id="rollups:refresh",
        name="rollups: build the days that ended",
        next_run_time=datetime.now(UTC),
    )
