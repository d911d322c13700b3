"""Shared setup for digest tests: a seeded database, a subscription, the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import build_deps
from handlers.deps import Deps
from handlers.slack.posting import once_client
from settings import Settings
from storage.db import session_scope
from storage.digests.store import create_subscription
from storage.digests.tables import Cadence, DigestSubscription
from storage.ingest import upsert_responses, upsert_tickets
from tests.fakeslack import FakeSlack, fake_slack
from tests.harness import Waits

#: Monday 23 November 2026, 09:00 in Paris: a weekly digest's slot.
SLOT = datetime(2026, 11, 23, 8, tzinfo=UTC)
WEEKLY = "0 9 * * 1"
CHANNEL = "C0CXTEAM"


def seed(deps: Deps, *, weeks: int = 3, end: datetime = SLOT) -> None:
    """Responses and tickets every few hours over the weeks before `end`."""
    responses: list[dict[str, Any]] = []
    tickets: list[dict[str, Any]] = []
    start = end - timedelta(weeks=weeks)
    at = start
    i = 0
    while at < end - timedelta(hours=2):
        score = (10, 9, 8, 3, 10, 6, 9)[i % 7]
        responses.append(
            {
                "external_id": f"r{i}",
                "source": "api",
                "survey": "nps" if i % 3 else "csat",
                "score": score if i % 3 else 1 + score % 5,
                "scale_max": 10 if i % 3 else 5,
                "comment": f"comment {i}" if score <= 6 else None,
                "customer_id": f"cust-{i % 40}",
                "submitted_at": at,
                "attributes": {"plan": ("enterprise", "smb")[i % 2], "channel": "email"},
            }
        )
        tickets.append(
            {
                "external_id": f"t{i}",
                "source": "api",
                "created_at": at,
                "first_response_at": at + timedelta(minutes=20 + i % 50),
                "resolved_at": at + timedelta(hours=3),
                "handle_seconds": 900.0 + i,
                "contacts": 1 + (i % 5 == 0),
                "escalated": False,
                "reopened": False,
                "channel": ("email", "chat")[i % 2],
                "team": "care",
                "agent": "ana",
                "customer_id": f"cust-{i % 40}",
                "attributes": {"plan": ("enterprise", "smb")[i % 2]},
            }
        )
        at += timedelta(hours=5)
        i += 1
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=responses)
        upsert_tickets(session=session, rows=tickets)


def subscribe(
    deps: Deps,
    *,
    cron: str = WEEKLY,
    cadence: str = "weekly",
    tz: str = "Europe/Paris",
    since: datetime = SLOT - timedelta(days=30),
    creator: str = "U0ADMIN",
    kpis: list[str] | None = None,
    filters: list[str] | None = None,
    channel: str = CHANNEL,
) -> int:
    """Store a subscription created at `since`; return its id."""
    with session_scope(deps.sessions) as session:
        return create_subscription(
            session=session,
            subscription=DigestSubscription(
                channel_id=channel,
                cadence=Cadence(cadence),
                cron=cron,
                timezone=tz,
                kpis=kpis or ["nps", "csat", "frt", "fcr", "tickets"],
                filters=filters or [],
                created_by=creator,
                created_at=since,
                updated_at=since,
            ),
        )


@dataclass
class World:
    """A database, the fake Slack and the client the jobs post with."""

    deps: Deps
    slack: FakeSlack
    settings: Settings

    def client(self) -> Any:
        return once_client(self.deps)


@contextmanager
def world(db_url: str, **settings: Any) -> Iterator[World]:
    """Deps on `db_url` posting to a fresh fake Slack."""
    with fake_slack() as slack:
        config = Settings(
            database_url=db_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret="secret",
            slack_api_url=slack.api_url(),
            **settings,
        )
        deps = build_deps(config)
        deps.slack_wait = Waits()  # retries keep their attempts, without sleeping
        try:
            yield World(deps, slack, config)
        finally:
            deps.engine.dispose()
