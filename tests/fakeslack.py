"""A fake Slack Web API on loopback: answers like Slack and records every call.

Point the bot's SLACK_API_URL at `base_url + "/api/"`; response URLs live at
`base_url + "/response/<id>"`. Behaviour per method can be changed (`users`, `groups`,
`fail`), and `calls` lists what arrived: method, headers and parsed body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TEAM = "T0KPIBOT"


@dataclass
class Call:
    """One request the bot made."""

    method: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeSlack:
    """State and records of the fake server."""

    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    #: method → (HTTP status, JSON body) to answer instead of success.
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api_url(self) -> str:
        """The SLACK_API_URL to give the bot."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url that records what is posted to it."""
        return f"{self.base_url}/response/{name}"

    def of(self, method: str) -> list[Call]:
        """The calls of one method (or to one response URL, as `response/<id>`)."""
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def member(self, user_id: str, **flags: Any) -> None:
        """Declare a user, a full member of TEAM unless flags say otherwise."""
        self.users[user_id] = {"id": user_id, "team_id": TEAM, "name": user_id.lower(), **flags}

    def answer(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method in self.fail:
            return self.fail[method]
        if method == "auth.test":
            return 200, {
                "ok": True,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team_id": TEAM,
                "team": "kpibot",
                "url": "https://kpibot.slack.com/",
            }
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            if user is None:
                return 200, {"ok": False, "error": "user_not_found"}
            return 200, {"ok": True, "user": user}
        if method == "usergroups.users.list":
            return 200, {"ok": True, "users": self.groups.get(str(body.get("usergroup")), [])}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return 200, {
                "ok": True,
                "channel": body.get("channel"),
                "ts": "1700000000.000100",
                "message": {"text": body.get("text")},
            }
        if method.startswith("response/"):
            return 200, {"ok": True}
        return 200, {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            body: dict[str, Any] = json.loads(raw or "{}")
        else:
            body = dict(parse_qsl(raw, keep_blank_values=True))
        path = self.path.split("?")[0]
        method = path.removeprefix("/api/") if path.startswith("/api/") else path.lstrip("/")
        with self.fake.lock:
            self.fake.calls.append(Call(method, dict(self.headers.items()), body))
        status, answer = self.fake.answer(method, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    """Run the fake Slack API on a free loopback port for the block's duration."""
    fake = FakeSlack()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
