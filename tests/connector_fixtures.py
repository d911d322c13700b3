"""What the connector tests share: the bot with every connector's secret set and a fixed clock,
and the stored records read back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from storage.db import session_scope
from storage.models import SurveyResponse, Ticket
from tests.harness import Bot, serve_bot
from tests.vendors import SETTINGS

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


class Clock:
    """The bot's clock: NOW until a test moves it."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def connected_bot(db_url: str, clock: Clock | None = None, **settings: Any) -> Iterator[Bot]:
    """The bot on `db_url` with every connector on, its clock fixed at NOW (or `clock`)."""
    with serve_bot(
        db_url,
        members=("U0ADMIN", "U0LEAD"),
        admins=["U0ADMIN"],
        clock=clock or Clock(),
        **{**SETTINGS, **settings},
    ) as bot:
        yield bot


def responses(bot: Bot) -> list[dict[str, Any]]:
    """Every stored survey response, oldest first, as plain dicts (stamps left out)."""
    with session_scope(bot.deps.sessions) as session:
        rows = session.execute(select(SurveyResponse).order_by(SurveyResponse.id)).scalars()  # type: ignore[arg-type]
        return [_plain(row.model_dump()) for row in rows]


def tickets(bot: Bot) -> list[dict[str, Any]]:
    """Every stored ticket, oldest first, as plain dicts (stamps left out)."""
    with session_scope(bot.deps.sessions) as session:
        rows = session.execute(select(Ticket).order_by(Ticket.id)).scalars()  # type: ignore[arg-type]
        return [_plain(row.model_dump()) for row in rows]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    for stamp in ("id", "received_at", "updated_at"):
        row.pop(stamp)
    return row
