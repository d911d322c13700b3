"""The scheduler itself: jobs rebuilt from the subscriptions table, and a one-minute cron digest
posted by the real APScheduler against the fake Slack Web API."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from bot import build_scheduler_for
from handlers.digests.jobs import sync
from storage.db import session_scope
from storage.digests.store import deliveries_of, set_paused
from storage.ingest import upsert_responses, upsert_tickets
from tests.digest_fixtures import CHANNEL, subscribe, world


def test_jobs_follow_the_subscriptions_table(db_url: str) -> None:
    with world(db_url) as w:
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.start(paused=True)
        try:
            now = w.deps.clock()
            first = subscribe(w.deps, since=now)
            sync(scheduler, w.deps, w.client())
            assert [j.id for j in scheduler.get_jobs()] == [f"digest:{first}"]
            job = scheduler.get_job(f"digest:{first}")
            assert str(job.trigger.timezone) == "Europe/Paris"
            second = subscribe(w.deps, since=now, cron="30 7 * * 1-5", cadence="cron", tz="UTC")
            with session_scope(w.deps.sessions) as session:
                set_paused(session=session, subscription_id=first, paused=True, reason="x", now=now)
            sync(scheduler, w.deps, w.client())  # what every scheduler does each minute
            assert [j.id for j in scheduler.get_jobs()] == [f"digest:{second}"]
            fire = scheduler.get_job(f"digest:{second}").next_run_time
            assert (fire.hour, fire.minute) == (7, 30)
            assert fire.weekday() < 5
        finally:
            scheduler.shutdown(wait=False)


def _seed_minutes(w: Any, until: datetime) -> None:
    rows: list[dict[str, Any]] = []
    tickets: list[dict[str, Any]] = []
    for i in range(90):  # every 10 seconds for 15 minutes, up to the next minute
        at = until - timedelta(seconds=10 * i + 5)
        rows.append(
            {
                "external_id": f"m{i}",
                "source": "api",
                "survey": "nps",
                "score": (10, 9, 3, 8)[i % 4],
                "scale_max": 10,
                "comment": "too slow" if i % 4 == 2 else None,
                "customer_id": f"c{i}",
                "submitted_at": at,
                "attributes": {},
            }
        )
        tickets.append(
            {
                "external_id": f"t{i}",
                "source": "api",
                "created_at": at,
                "first_response_at": at + timedelta(seconds=3),
                "resolved_at": None,
                "handle_seconds": None,
                "contacts": 1,
                "escalated": False,
                "reopened": False,
                "channel": "chat",
                "team": None,
                "agent": None,
                "customer_id": None,
                "attributes": {},
            }
        )
    with session_scope(w.deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
        upsert_tickets(session=session, rows=tickets)


def test_a_one_minute_cron_digest_arrives_with_its_chart(db_url: str) -> None:
    """The real scheduler builds the cron job from the table and runs it; the job's fire time is
    moved to now (APScheduler's own `modify_job`) instead of waiting for the next minute, and
    the bot's clock reads the minute that fired."""
    with world(db_url) as w:
        boundary = datetime.now(UTC).replace(second=0, microsecond=0)
        _seed_minutes(w, boundary)
        sid = subscribe(
            w.deps,
            cron="* * * * *",
            cadence="cron",
            tz="UTC",
            since=boundary + timedelta(seconds=1),  # so the catch-up does not post it first
            kpis=["nps", "frt"],
        )
        w.deps.clock = lambda: boundary + timedelta(seconds=2)
        job_id = f"digest:{sid}"
        synced, posted = threading.Event(), threading.Event()

        def executed(event: JobExecutionEvent) -> None:
            if event.job_id == "digests:sync":
                synced.set()
            elif event.job_id == job_id:
                posted.set()

        scheduler = build_scheduler_for(w.deps)
        scheduler.add_listener(executed, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.start()
        try:
            assert synced.wait(30), "the sync job did not run"
            job = scheduler.get_job(job_id)
            assert job is not None
            assert job.name == "digest * * * * * UTC"
            scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
            assert posted.wait(60), "the digest's cron job did not run"
        finally:
            scheduler.shutdown(wait=True)
        [post] = w.slack.posted(CHANNEL)[:1]
        text = str(post.body["blocks"])
        assert "📊 Digest" in text
        assert "NPS" in text
        assert "> too slow" in text
        [upload] = w.slack.of("files.completeUploadExternal")[:1]
        assert upload.body["channel_id"] == CHANNEL
        with session_scope(w.deps.sessions) as session:
            rows = deliveries_of(session=session, subscription_id=sid)
        first = rows[-1]
        assert first.scheduled_for == boundary
        assert (first.status, first.chart, first.trigger) == ("sent", "uploaded", "scheduler")
