"""The digests' scheduled jobs: one cron job per subscription, rebuilt from the table each minute.

The subscriptions table is the source of truth. Every minute `sync` makes this process's
in-memory jobs match it (new, changed, paused and removed subscriptions, whichever replica
changed them) and runs `catch_up`, which reads kpibot's own deliveries table to find what a
cron job could not: a slot missed while no scheduler ran (posted late, within the grace
window), a delivery that failed (retried), a claim left by a crashed process (marked unknown).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.digests.deliver import Delivery, deliver
from handlers.digests.schedule import cron_trigger, digest_period, last_fire
from storage.db import session_scope
from storage.digests.store import (
    expire_stale_claims,
    get_delivery,
    list_subscriptions,
    record_missed,
)
from storage.digests.tables import DeliveryStatus, Trigger

log = logging.getLogger("kpibot.digests")

SYNC_SECONDS = 60
#: A claim older than this that never recorded its result belongs to a process that died.
STALE_CLAIM = timedelta(minutes=15)
JOB_PREFIX = "digest:"


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient) -> None:
    """Add the sync job (which adds one cron job per subscription), run once at start."""
    scheduler.add_job(
        sync,
        IntervalTrigger(seconds=SYNC_SECONDS),
        args=[scheduler, deps, client],
        id="digests:sync",
        name="digests: sync subscriptions and catch up",
        next_run_time=datetime.now(UTC),
    )


def run_slot(deps: Deps, client: WebClient, subscription_id: int, cron: str, tz: str) -> Delivery:
    """A subscription's cron job: deliver the slot that just fired."""
    now = deps.clock()
    slot = last_fire(cron, tz, now)
    if slot is None:
        return Delivery("skipped", "no fire time")
    return deliver(deps, client, subscription_id, slot, now=now, trigger=Trigger.SCHEDULER)


def sync(scheduler: BaseScheduler, deps: Deps, client: WebClient) -> None:
    """Make the cron jobs match the subscriptions table, then catch up."""
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        active = list_subscriptions(session=session, active_only=True)
    wanted = {f"{JOB_PREFIX}{s.id}": s for s in active}
    for job in scheduler.get_jobs():
        if not job.id.startswith(JOB_PREFIX):
            continue
        subscription = wanted.get(job.id)
        if subscription is None or job.name != _job_name(subscription.cron, subscription.timezone):
            scheduler.remove_job(job.id)
    present = {job.id for job in scheduler.get_jobs()}
    for job_id, subscription in wanted.items():
        if job_id in present:
            continue
        try:
            trigger = cron_trigger(subscription.cron, subscription.timezone)
        except ValueError:
            log.exception("digest #%s has an unreadable schedule", subscription.id)
            continue
        scheduler.add_job(
            run_slot,
            trigger,
            args=[deps, client, subscription.id, subscription.cron, subscription.timezone],
            id=job_id,
            name=_job_name(subscription.cron, subscription.timezone),
        )
    catch_up(deps, client, now=now)


def _job_name(cron: str, tz: str) -> str:
    return f"digest {cron} {tz}"


def catch_up(deps: Deps, client: WebClient, *, now: datetime) -> list[Delivery]:
    """Deliver what the deliveries table says is owed at `now`; return what was attempted.

    For each active subscription, its latest slot (since it was created or resumed): none
    recorded and within the grace window → posted late; none recorded and past it → recorded
    as missed; failed → retried.
    """
    grace = deps.settings.digest_grace
    with session_scope(deps.sessions) as session:
        expired = expire_stale_claims(session=session, older_than=now - STALE_CLAIM)
        active = list_subscriptions(session=session, active_only=True)
    if expired:
        log.warning("%d digest claims were left unfinished: marked unknown", expired)
    done = []
    for subscription in active:
        assert subscription.id is not None
        try:
            slot = last_fire(subscription.cron, subscription.timezone, now)
        except ValueError:
            continue
        if slot is None or slot < subscription.updated_at:
            continue
        with session_scope(deps.sessions) as session:
            existing = get_delivery(
                session=session, subscription_id=subscription.id, scheduled_for=slot
            )
        if existing is not None and existing.status != DeliveryStatus.FAILED:
            continue
        if now - slot > grace:
            if existing is None:
                period = digest_period(
                    subscription.cadence, subscription.cron, subscription.timezone, slot
                )
                with session_scope(deps.sessions) as session:
                    record_missed(
                        session=session,
                        subscription_id=subscription.id,
                        scheduled_for=slot,
                        period_start=period.current.start,
                        period_end=period.current.end,
                        now=now,
                        reason=f"no scheduler ran within the grace window ({grace})",
                    )
            continue
        trigger = Trigger.CATCH_UP if existing is None else Trigger.RETRY
        done.append(deliver(deps, client, subscription.id, slot, now=now, trigger=trigger))
    return done
