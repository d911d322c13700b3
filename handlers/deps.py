"""What every handler is handed by the composition root: settings, engine, sessions, clock,
metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from handlers.metrics import Metrics
from settings import Settings
from storage.db import SessionFactory

T = TypeVar("T")


def system_clock() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass
class Memo:
    """One value computed on demand and kept for a while, shared by the threads of a process
    (the words the data holds, which the sentence reader needs on every sentence)."""

    _value: Any = None
    _at: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, compute: Callable[[], T], *, max_age: float) -> T:
        """The kept value when younger than `max_age` seconds, else a freshly computed one."""
        now = time.monotonic()
        with self._lock:
            if now - self._at < max_age:
                kept: T = self._value
                return kept
        value = compute()
        with self._lock:
            self._value, self._at = value, now
        return value


@dataclass
class Deps:
    """The shared, thread-safe things a handler needs; built once in `bot.py`."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    clock: Callable[[], datetime] = field(default=system_clock)
    #: Seconds a slash command may spend answering inside Slack's 3-second acknowledgement;
    #: slower answers go through response_url (0: always through response_url).
    answer_deadline: float = 2.0
    #: Set by an ingest that raised alerts: the alert worker posts them without waiting.
    alerts_waiting: threading.Event = field(default_factory=threading.Event)
    #: Set by every ingest of survey answers: threshold rules are evaluated at the next tick.
    data_changed: threading.Event = field(default_factory=threading.Event)
    #: How Slack retries wait between attempts (tests record the waits instead of sleeping).
    slack_wait: Callable[[float], None] = time.sleep
    #: The sentence reader's vocabulary (the catalogue's names and the values the data holds).
    vocabulary: Memo = field(default_factory=Memo)
    #: This process's Prometheus counters, on a registry of its own (`GET /metrics`).
    metrics: Metrics = field(default_factory=Metrics)
