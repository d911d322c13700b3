"""`… why` and `/kpi themes` end to end: the real server, signed commands, the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.deps import Deps
from storage.db import session_scope
from storage.ingest import upsert_responses
from tests.harness import Bot, serve_bot
from tests.theme_fixtures import planted


def seed(deps: Deps) -> None:
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    comments = iter(planted(seed=3, total=300) + planted(seed=4, total=100))

    def add(days: float, score: int, plan: str, comment: str | None = None) -> None:
        rows.append(
            {
                "external_id": f"r{len(rows)}",
                "source": "api",
                "survey": "nps",
                "score": score,
                "scale_max": 10,
                "comment": comment,
                "customer_id": None,
                "submitted_at": now - timedelta(days=days, minutes=len(rows)),
                "attributes": {"plan": plan, "channel": ("email", "chat")[len(rows) % 2]},
            }
        )

    for days in (10.0, 3.0):
        for _ in range(60):
            add(days, 10, "free")
        for _ in range(40):
            add(days, 10 if days > 7 else 2, "pro")
    for _ in range(300):  # this week's detractors, with the planted comments
        add(2.0, 3, "free", next(comments))
    for _ in range(100):
        add(9.0, 3, "free", next(comments))
    for _ in range(50):  # promoters write about billing too: never a detractor theme
        add(2.0, 10, "free", "Great price, billing is clear, merci")
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)


@pytest.fixture
def bot(db_url: str, request: pytest.FixtureRequest) -> Iterator[Bot]:
    extra: dict[str, Any] = getattr(request, "param", {})
    with serve_bot(db_url, seed=seed, **extra) as running:
        yield running


def text_of(body: dict[str, Any]) -> str:
    return str(body["blocks"])


def test_why_names_the_segment_that_moved(bot: Bot) -> None:
    body = bot.command("/nps", "last-7d why").json()
    assert body["blocks"][0]["text"]["text"] == "NPS · last-7d · why"
    moved = next(b for b in body["blocks"] if "What moved it" in str(b))
    lines = moved["text"]["text"].splitlines()
    assert lines[1].startswith("1. *plan = pro*: +100 → −100 (n 40 → 40)")
    assert "its own value changed (significant)" in lines[1]
    assert "channel" not in lines[1]
    words = bot.command("/kpi", "why did the NPS drop over the last 7 days?").json()
    assert "Understood as `/kpi nps last-7d why`" in text_of(words)
    assert "plan = pro" in text_of(words)
    same = bot.command("/kpi", "pourquoi nps last-7d").json()  # French, the word first
    assert "Ce qui l'a fait bouger" in text_of(same)
    assert "plan = pro" in text_of(same)


def test_why_goes_through_response_url_when_slow(bot: Bot) -> None:
    body = late(bot, "/kpi", "nps last-7d why")
    assert "What moved it" in str(body["blocks"])


def late(bot: Bot, command: str, text: str) -> dict[str, Any]:
    """A command answered through response_url (the deadline at 0), as slow answers are."""
    bot.deps.answer_deadline = 0.0
    before = len(bot.slack.of("response/r1"))
    ack = bot.command(command, text).json()
    assert ack["text"].startswith("⏳")
    body: dict[str, Any] = bot.slack.wait_for("response/r1", before + 1, within=60)[before].body
    return body


def test_themes_group_detractor_comments(bot: Bot) -> None:
    body = late(bot, "/kpi", "themes nps last-7d")
    assert body["blocks"][0]["text"]["text"] == "What NPS detractors talk about · last-7d"
    themes = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert len(themes) == 3
    assert themes[0].startswith("1. *")
    assert any(w in themes[0].split("\n")[0] for w in ("charged", "facturé", "twice", "invoice"))
    assert any(w in themes[1].split("\n")[0] for w in ("waiting", "réponse", "answer", "days"))
    assert any(w in themes[2].split("\n")[0] for w in ("panne", "app", "down", "outage"))
    assert "150 detractors (50.0%)" in themes[0]
    assert "vs the previous period" in themes[0]
    assert "\n> " in themes[0]
    assert "Great price" not in text_of(body)  # promoters are not detractors
    french = late(bot, "/kpi", "thèmes nps last-7d")
    assert french["blocks"][0]["text"]["text"].startswith("Ce dont parlent les détracteurs")
    default = late(bot, "/kpi", "themes last-7d")  # NPS when no KPI is named
    assert default["blocks"][0]["text"]["text"] == "What NPS detractors talk about · last-7d"
    refused = late(bot, "/kpi", "themes frt")
    assert "frt has no detractors" in refused["text"]
