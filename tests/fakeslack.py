"""A fake Slack Web API on loopback: answers like Slack and records every call.

Point the bot's SLACK_API_URL at `base_url + "/api/"`; response URLs live at
`base_url + "/response/<id>"` and file upload URLs at `base_url + "/upload/<file id>"`.
Behaviour per method can be changed (`users`, `groups`, `channels`, `members`, `memberships`,
`fail`, `fail_times`, `scopes`: the token's scopes, sent in the `x-oauth-scopes` header as Slack
does), and
`calls` lists what arrived: method, headers and parsed body (raw bytes for uploads).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from handlers.ops.doctor import MANIFEST_SCOPES

TEAM = "T0KPIBOT"


@dataclass
class Call:
    """One request the bot made."""

    method: str
    headers: dict[str, str]
    body: dict[str, Any]
    #: Whether the fake answered HTTP 200 with "ok": true.
    answered_ok: bool = False


@dataclass
class FakeSlack:
    """State and records of the fake server."""

    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: user id → the channels they are in (what users.conversations lists).
    memberships: dict[str, list[str]] = field(default_factory=dict)
    #: channel id → its member ids, listed by conversations.members page by page (`limit`,
    #: `cursor`: the offset of the next page, as an opaque string).
    members: dict[str, list[str]] = field(default_factory=dict)
    #: method → (HTTP status, JSON body) to answer instead of success, e.g. (429, {...}).
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: method → how many more calls fail (absent: every call fails while in `fail`).
    fail_times: dict[str, int] = field(default_factory=dict)
    #: method → seconds to wait before answering (after recording the call): a client whose
    #: timeout is shorter sees a timeout although the call arrived, as when Slack is slow.
    delay: dict[str, float] = field(default_factory=dict)
    #: the Retry-After header (seconds) sent with a 429.
    retry_after: int = 0
    uploads: dict[str, bytes] = field(default_factory=dict)
    #: what apps.connections.open answers (a Socket Mode WebSocket URL, see tests/fakesocket.py).
    socket_url: str = ""
    #: the token's scopes, sent as Slack does in the `x-oauth-scopes` header of every answer
    #: (the manifest's bot scopes unless a test takes some away).
    scopes: list[str] = field(default_factory=lambda: list(MANIFEST_SCOPES))
    #: method → a function run once when the next call of it arrives, before it is answered
    #: (what happens elsewhere while Slack is handling a call).
    meanwhile: dict[str, Callable[[], None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: notified (under `lock`) each time a call is recorded: tests wait on it instead of polling.
    arrived: threading.Condition = field(init=False)
    _ts: int = 0

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def wait_until(self, done: Callable[[list[Call]], bool], *, within: float = 15.0) -> list[Call]:
        """Every call so far, once `done(calls)` holds or `within` seconds have passed: woken
        by each call as it is recorded (the bot posts from its pool, after the ack)."""
        with self.arrived:
            self.arrived.wait_for(lambda: done(self.calls), timeout=within)
            return list(self.calls)

    def wait_for(self, method: str, count: int = 1, *, within: float = 15.0) -> list[Call]:
        """The calls of one method once there are `count` of them (or those that came within
        `within` seconds)."""
        calls = self.wait_until(
            lambda calls: sum(c.method == method for c in calls) >= count, within=within
        )
        return [c for c in calls if c.method == method]

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

    def fail_next(self, method: str, status: int, body: dict[str, Any], times: int = 1) -> None:
        """Answer the next `times` calls of a method with this status and body."""
        with self.lock:
            self.fail[method] = (status, body)
            self.fail_times[method] = times

    def _failure(self, method: str) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            if method not in self.fail:
                return None
            answer = self.fail[method]
            if method in self.fail_times:
                self.fail_times[method] -= 1
                if self.fail_times[method] <= 0:
                    del self.fail[method], self.fail_times[method]
            return answer

    def next_ts(self) -> str:
        """A new message timestamp, unique within the run like Slack's."""
        with self.lock:
            self._ts += 1
            return f"1700000000.{self._ts:06d}"

    def posted(self, channel: str | None = None) -> list[Call]:
        """The chat.postMessage calls that succeeded, optionally to one channel."""
        return [
            c
            for c in self.of("chat.postMessage")
            if c.answered_ok and (channel is None or c.body.get("channel") == channel)
        ]

    def answer(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        failure = self._failure(method)
        if failure is not None:
            return failure
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
        if method in ("chat.postMessage", "chat.postEphemeral"):
            return 200, {
                "ok": True,
                "channel": body.get("channel"),
                "ts": self.next_ts(),
                "message": {"text": body.get("text")},
            }
        if method == "chat.update":
            return 200, {
                "ok": True,
                "channel": body.get("channel"),
                "ts": body.get("ts"),
                "text": body.get("text"),
            }
        if method == "conversations.open":
            return 200, {
                "ok": True,
                "channel": {"id": "D" + str(body.get("users", "")).lstrip("U")},
            }
        if method == "users.conversations":
            joined = self.memberships.get(str(body.get("user")), [])
            return 200, {
                "ok": True,
                "channels": [{"id": c, "is_member": True} for c in joined],
                "response_metadata": {"next_cursor": ""},
            }
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return 200, {"ok": True, "view": {"id": "V0001", **(body.get("view") or {})}}
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self.socket_url}
        if method == "conversations.members":
            roster = self.members.get(str(body.get("channel")))
            if roster is None:
                return 200, {"ok": False, "error": "channel_not_found"}
            start = int(str(body.get("cursor") or "0").removeprefix("offset:"))
            size = int(body.get("limit") or 100)
            after = start + size
            cursor = f"offset:{after}" if after < len(roster) else ""
            return 200, {
                "ok": True,
                "members": roster[start:after],
                "response_metadata": {"next_cursor": cursor},
            }
        if method == "conversations.info":
            channel_id = str(body.get("channel"))
            channel = self.channels.get(channel_id)
            if channel is None:
                return 200, {"ok": False, "error": "channel_not_found"}
            return 200, {"ok": True, "channel": {"id": channel_id, **channel}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + 1:08d}"
            self.uploads[file_id] = b""
            return 200, {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            files = body.get("files")
            listed = json.loads(files) if isinstance(files, str) else files or []
            return 200, {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title", "")} for f in listed],
            }
        return 200, {"ok": True}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        data = self.rfile.read(length)
        path = self.path.split("?")[0]
        method = path.removeprefix("/api/") if path.startswith("/api/") else path.lstrip("/")
        kind = self.headers.get("content-type", "")
        body: dict[str, Any]
        if method.startswith("upload/"):
            body = {"bytes": data}
            with self.fake.lock:
                self.fake.uploads[method.removeprefix("upload/")] = data
        elif "json" in kind:
            body = json.loads(data.decode("utf-8") or "{}")
        else:
            body = dict(parse_qsl(data.decode("utf-8"), keep_blank_values=True))
        call = Call(method, dict(self.headers.items()), body)
        with self.fake.lock:
            self.fake.calls.append(call)
            self.fake.arrived.notify_all()
            delay = self.fake.delay.get(method, 0.0)
            meanwhile = self.fake.meanwhile.pop(method, None)
        if meanwhile is not None:
            meanwhile()
        status, answer = self.fake.answer(method, body)
        call.answered_ok = status == 200 and bool(answer.get("ok"))
        if delay:
            time.sleep(delay)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if method.count("/") == 0:  # a Web API method: Slack lists the token's scopes
            self.send_header("x-oauth-scopes", ",".join(self.fake.scopes))
        if status == 429:
            self.send_header("Retry-After", str(self.fake.retry_after))
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
    # serve_forever checks for shutdown every poll_interval (0.5 s by default): every test that
    # stops the fake would wait that long
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
