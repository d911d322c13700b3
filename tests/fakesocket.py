"""A fake Slack Socket Mode endpoint on loopback: sends envelopes, records the app's acks."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.server import ServerConnection, serve


@dataclass
class FakeSocket:
    """Envelopes to send (`send`) and the acknowledgements received (`acks`)."""

    url: str = ""
    outbox: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    acks: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    connected: threading.Event = field(default_factory=threading.Event)

    def send(self, envelope: dict[str, Any]) -> None:
        """Queue an envelope for the connected app."""
        self.outbox.put(envelope)

    def slash_command(self, envelope_id: str, form: dict[str, str]) -> None:
        """Send a slash command as Socket Mode delivers it."""
        self.send(
            {
                "envelope_id": envelope_id,
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": form,
            }
        )


@contextmanager
def fake_socket() -> Iterator[FakeSocket]:
    """Run the WebSocket endpoint on a free loopback port for the block's duration."""
    fake = FakeSocket()

    def session(connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        fake.connected.set()
        while True:
            try:
                envelope = fake.outbox.get(timeout=0.05)
            except queue.Empty:
                envelope = None
            if envelope is not None:
                connection.send(json.dumps(envelope))
            try:
                message = connection.recv(timeout=0.05)
            except TimeoutError:
                continue
            except Exception:
                return
            fake.acks.put(json.loads(message))

    server = serve(session, "127.0.0.1", 0, compression=None)
    port = server.socket.getsockname()[1]
    fake.url = f"ws://127.0.0.1:{port}/link"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
