"""The surveys' scheduled jobs: the worker (at Slack's pace) and the recurring pulses.

The worker runs every second: it closes rounds past their time, lists the members of new
rounds, queues reminders, sends as many DMs as the pace allows and posts results. Pulses work
like digests: the pulses table is the source of truth, a sync job (every minute) keeps one
APScheduler cron job per pulse and catches up a fire time missed while no scheduler ran; the
round of a fire time is opened by an INSERT on the unique (pulse, fire time) key, so extra
schedulers or a catch-up after a cron job never open it twice.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.digests.schedule import cron_trigger, last_fire
from handlers.surveys.members import People
from handlers.surveys.worker import Pace, Work, work
from storage.db import session_scope
from storage.surveys.store import list_pulses, open_round
from storage.surveys.tables import RoundStatus, SurveyPulse, SurveyRound

log = logging.getLogger("kpibot.surveys")

WORK_SECONDS = 1
SYNC_SECONDS = 60
JOB_PREFIX = "survey-pulse:"
#: A pulse's fire time missed by more than this (no scheduler ran) is skipped, not caught up.
GRACE = timedelta(hours=24)
#: The cron of each cadence (in KPIBOT_TIMEZONE): the 1st of the month (of the quarter), 10:00.
CADENCE_CRON = {"monthly": "0 10 1 * *", "quarterly": "0 10 1 1,4,7,10 *"}


def new_round(
    *,
    team_id: str,
    channel_id: str,
    channel_name: str,
    kind: str,
    question: str | None,
    team: str,
    open_for: timedelta,
    now: datetime,
    pulse_id: int | None = None,
    scheduled_for: datetime | None = None,
) -> SurveyRound:
    """A round opening now: reminded halfway, closed after `open_for`."""
    return SurveyRound(
        pulse_id=pulse_id,
        scheduled_for=scheduled_for,
        team_id=team_id,
        channel_id=channel_id,
        channel_name=channel_name,
        kind=kind,
        scale_max=10 if kind == "enps" else 5,
        question=question,
        team=team,
        opens_at=now,
        remind_at=now + open_for / 2,
        closes_at=now + open_for,
        status=RoundStatus.NEW,
        created_at=now,
    )


def pulse_round(deps: Deps, pulse: SurveyPulse, slot: datetime, *, now: datetime) -> int | None:
    """Open the round of one fire time of a pulse, once; its id, or None if already open."""
    assert pulse.id is not None
    round_ = new_round(
        team_id=pulse.team_id,
        channel_id=pulse.channel_id,
        channel_name=pulse.channel_name,
        kind=pulse.kind,
        question=pulse.question,
        team=pulse.team,
        open_for=timedelta(seconds=pulse.open_seconds),
        now=now,
        pulse_id=pulse.id,
        scheduled_for=slot,
    )
    with session_scope(deps.sessions) as session:
        opened = open_round(session=session, round_=round_)
    if opened is not None:
        log.info("survey pulse P%s: round #%s opened for %s", pulse.id, opened, slot)
    return opened


def run_pulse(deps: Deps, pulse_id: int) -> int | None:
    """A pulse's cron job: open the round of the fire time that just passed."""
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        pulse = next((p for p in list_pulses(session=session) if p.id == pulse_id), None)
    if pulse is None or pulse.paused:
        return None
    slot = last_fire(pulse.cron, pulse.timezone, now)
    return None if slot is None else pulse_round(deps, pulse, slot, now=now)


def catch_up(deps: Deps, *, now: datetime) -> list[int]:
    """Open each pulse's latest fire time that has no round yet (within the grace window)."""
    with session_scope(deps.sessions) as session:
        pulses = list_pulses(session=session, active_only=True)
    opened = []
    for pulse in pulses:
        try:
            slot = last_fire(pulse.cron, pulse.timezone, now)
        except ValueError:
            continue
        if slot is None or slot < pulse.created_at or now - slot > GRACE:
            continue
        found = pulse_round(deps, pulse, slot, now=now)
        if found is not None:
            opened.append(found)
    return opened


def sync(scheduler: BaseScheduler, deps: Deps) -> None:
    """Make the pulses' cron jobs match the pulses table, then catch up."""
    with session_scope(deps.sessions) as session:
        wanted = {f"{JOB_PREFIX}{p.id}": p for p in list_pulses(session=session, active_only=True)}
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            scheduler.remove_job(job.id)
    present = {job.id for job in scheduler.get_jobs()}
    for job_id, pulse in wanted.items():
        if job_id in present:
            continue
        scheduler.add_job(
            run_pulse,
            cron_trigger(pulse.cron, pulse.timezone),
            args=[deps, pulse.id],
            id=job_id,
            name=f"survey pulse {pulse.cron} {pulse.timezone}",
        )
    catch_up(deps, now=deps.clock())


def setup(scheduler: BaseScheduler, deps: Deps, client: WebClient) -> None:
    """Add the worker and the pulses' sync job."""
    pace = Pace(deps.settings.survey_dm_rate, deps.settings.survey_dm_burst)
    people = People()
    busy = threading.Lock()

    def run() -> Work | None:
        # Listing a large channel (users.info per member) outlasts the interval: a run that
        # finds the last one still going returns at once instead of piling up.
        if not busy.acquire(blocking=False):
            return None
        try:
            now = deps.clock()
            done = work(deps, client, people, now=now, budget=pace.budget(now))
            pace.spend(done.sent + done.failed)
            return done
        finally:
            busy.release()

    start = datetime.now(UTC)
    scheduler.add_job(
        run,
        IntervalTrigger(seconds=WORK_SECONDS),
        id="surveys:work",
        name="surveys: list, DM, remind, close, post results",
        next_run_time=start,
        max_instances=3,
    )
    scheduler.add_job(
        sync,
        IntervalTrigger(seconds=SYNC_SECONDS),
        args=[scheduler, deps],
        id="surveys:pulses",
        name="surveys: sync pulses and catch up",
        next_run_time=start,
    )
