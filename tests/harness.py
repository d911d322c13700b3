"""The one end-to-end harness: kpibot's real app under uvicorn on loopback, Slack requests signed
as Slack signs them, the HTTP API with its bearer token, and the fake Slack Web API on loopback
recording what the bot calls. Slack retries wait through `Waits`, which records the waits
instead of sleeping."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from slack_sdk import WebClient

from bot import build_deps, create_app
from handlers.alerts.worker import post_pending
from handlers.deps import Deps
from handlers.slack.posting import once_client
from settings import Settings
from storage.alerts.tables import Alert, AlertStatus
from storage.db import session_scope
from tests.fakeslack import Call, FakeSlack, fake_slack
from tests.server import serve_app
from tests.slack_requests import command_body, event_callback, interaction_body, signed

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "ingest-token"


@dataclass
class Waits:
    """A Slack retry's wait that records how long it would have slept, and returns at once."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, duration: float) -> None:
        self.seconds.append(duration)


@dataclass
class Bot:
    """The running bot: its URL, the fake Slack it talks to, and its deps."""

    url: str
    slack: FakeSlack
    deps: Deps
    waits: Waits

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    def command(
        self,
        command: str,
        text: str,
        *,
        headers: dict[str, str] | None = None,
        secret: str = SECRET,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """A slash command as Slack posts it (response_url on the fake Slack)."""
        body = command_body(command, text, response_url=self.slack.response_url(), **fields)
        sent = {**signed(secret, body, timestamp=timestamp), **(headers or {})}
        return httpx.post(f"{self.url}/slack/events", content=body, headers=sent, timeout=15)

    def kpi(self, text: str, user: str = "U0ADMIN") -> dict[str, Any]:
        """`/kpi …` as `user`: its (ephemeral) answer."""
        reply = self.command("/kpi", text, user_id=user)
        assert reply.status_code == 200
        answer: dict[str, Any] = reply.json()
        assert answer.get("response_type") == "ephemeral"
        return answer

    def kpi_text(self, text: str, user: str = "U0ADMIN") -> str:
        """`/kpi …` as `user`: its answer's blocks as text."""
        return str(self.kpi(text, user)["blocks"])

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """A button click or modal submission as Slack posts it."""
        body = interaction_body(payload)
        return httpx.post(
            f"{self.url}/slack/events", content=body, headers=signed(SECRET, body), timeout=15
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str,
        retry: int | None = None,
        secret: str = SECRET,
        **envelope: Any,
    ) -> httpx.Response:
        """An Events API event in its `event_callback` envelope, signed as Slack signs it;
        `retry` adds the headers of Slack's re-sends (X-Slack-Retry-Num, -Reason)."""
        body = json.dumps(event_callback(event, event_id=event_id, **envelope))
        headers = {**signed(secret, body), "Content-Type": "application/json"}
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=15)

    def answers(self, count: int = 1, *, within: float = 10.0) -> list[Call]:
        """The messages the bot posted (chat.postMessage and chat.postEphemeral), once there are
        `count` of them (answers to events are posted from the bot's pool, after the ack)."""
        methods = ("chat.postMessage", "chat.postEphemeral")
        calls = self.slack.wait_until(
            lambda calls: sum(c.method in methods for c in calls) >= count, within=within
        )
        return [c for c in calls if c.method in methods]

    def ingest(self, rows: list[dict[str, Any]], kind: str = "responses") -> dict[str, Any]:
        """Records through the HTTP API (the token is right); its answer."""
        reply = httpx.post(
            f"{self.url}/api/v1/{kind}",
            json=rows,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=15,
        )
        assert reply.status_code == 200, reply.text
        result: dict[str, Any] = reply.json()
        return result

    def deliver(
        self,
        vendor: str,
        payload: Any,
        *,
        query: str = "",
        headers: Mapping[str, str | None] | None = None,
        secret: str | None = None,
        at: datetime | None = None,
        event: str | None = None,
    ) -> httpx.Response:
        """A vendor's webhook delivery, signed as the vendor signs it (`tests.vendors.sign`),
        to `/webhooks/<vendor>`; `headers` replace the signed ones (None values drop them)."""
        from tests.vendors import body_of, sign

        body = payload if isinstance(payload, bytes) else body_of(payload)
        sent = sign(vendor, body, secret, at=at or self.deps.clock(), event=event)
        for name, value in (headers or {}).items():
            if value is None:
                sent.pop(name, None)
            else:
                sent[name] = value
        url = f"{self.url}/webhooks/{vendor}" + (f"?{query}" if query else "")
        return httpx.post(url, content=body, headers=sent, timeout=15)

    def client(self) -> WebClient:
        """The once-only client the jobs post with."""
        return once_client(self.deps)

    def work(self, now: datetime | None = None) -> list[AlertStatus]:
        """One run of the alert outbox at `now` (the bot's clock by default)."""
        return post_pending(self.deps, self.client(), now=now or self.deps.clock())

    def alerts(self) -> list[Alert]:
        """Every alert row, oldest first."""
        from sqlalchemy import select

        with session_scope(self.deps.sessions) as session:
            return list(session.scalars(select(Alert).order_by(Alert.id)))  # type: ignore[arg-type]


@contextmanager
def serve_bot(
    db_url: str,
    *,
    members: Sequence[str] = ("U0LEAD",),
    seed: Callable[[Deps], None] | None = None,
    clock: Callable[[], datetime] | None = None,
    **settings: Any,
) -> Iterator[Bot]:
    """The bot on `db_url` with Slack and the HTTP API on, `members` full members of the fake
    workspace; `seed` fills the database first, `clock` fixes the bot's time."""
    with fake_slack() as slack:
        for user in members:
            slack.member(user)
        config = Settings(
            database_url=db_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url(),
            ingest_token=TOKEN,
            **settings,
        )
        deps = build_deps(config)
        # Tests read the answer in the acknowledgement; on a loaded shared CI machine a question
        # may take longer than the 2 s kpibot allows before it defers to response_url. Tests of
        # the deferral set their own deadline (0 or 0.3 s).
        deps.answer_deadline = 10.0
        waits = Waits()
        deps.slack_wait = waits
        if clock is not None:
            deps.clock = clock
        if seed is not None:
            seed(deps)
        try:
            with serve_app(create_app(config, deps)) as url:
                yield Bot(url, slack, deps, waits)
        finally:
            deps.engine.dispose()
