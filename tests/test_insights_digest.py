"""The weekly digest's "What moved" line and its top three detractor themes, both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.deps import Deps
from handlers.digests.blocks import digest_message
from handlers.digests.build import build_digest
from handlers.digests.schedule import digest_period
from settings import Settings
from storage.db import make_engine, make_session_factory, session_scope
from storage.digests.tables import Cadence, DigestSubscription
from storage.ingest import upsert_responses
from tests.theme_fixtures import planted

#: A Monday 09:00 digest: the week before it is 2026-11-16..22, the previous one 9..15.
SENT = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def deps(db_url: str) -> Iterator[Deps]:
    engine = make_engine(db_url)
    yield Deps(Settings(database_url=db_url), engine, make_session_factory(engine))
    engine.dispose()


def test_the_digest_says_what_moved_and_what_detractors_talk_about(deps: Deps) -> None:
    rows: list[dict[str, Any]] = []
    comments = iter(planted(seed=5, total=200))

    def add(at: datetime, score: int, plan: str, comment: str | None = None) -> None:
        rows.append(
            {
                "external_id": f"r{len(rows)}",
                "source": "api",
                "survey": "nps",
                "score": score,
                "scale_max": 10,
                "comment": comment,
                "customer_id": None,
                "submitted_at": at + timedelta(minutes=len(rows)),
                "attributes": {"plan": plan, "region": ("emea", "na")[len(rows) % 2]},
            }
        )

    last_week, week_before = datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
    for at in (week_before, last_week):
        for _ in range(100):
            add(at, 10, "free")
        for _ in range(100):
            add(at, 10 if at == week_before else 8, "pro")
    for _ in range(200):
        add(last_week, 2, "pro", next(comments))
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
    subscription = DigestSubscription(
        id=1,
        channel_id="C0X",
        cadence=Cadence.WEEKLY,
        cron="0 9 * * 1",
        timezone="UTC",
        kpis=["nps", "csat"],
    )
    period = digest_period("weekly", "0 9 * * 1", "UTC", SENT)
    digest = build_digest(deps, subscription, period)
    blocks = digest_message(digest).blocks
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    moved = next(t for t in texts if t.startswith("*What moved*"))
    assert moved.splitlines()[1].startswith("• NPS: plan = pro (+100 → −67, −109 pts, own value)")
    assert "own value" in moved
    themes = next(t for t in texts if t.startswith("*Themes*"))
    labels = themes.split(": ", 1)[1].split(", ")
    assert len(labels) == 3
    assert "(100)" in labels[0]
    assert "(60)" in labels[1]
    comments_at = texts.index(next(t for t in texts if "Detractors' comments" in t))
    assert texts.index(themes) > comments_at
    french = digest_message(digest, language="fr").blocks
    assert "*Ce qui a bougé*" in str(french)
    assert "*Thèmes*" in str(french)
