"""What every handler is handed by the composition root: settings, engine, sessions, clock,
metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from handlers.metrics import Metrics
from settings import Settings
from storage.db import SessionFactory


def system_clock() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


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
    #: This process's Prometheus counters, on a registry of its own (`GET /metrics`).
    metrics: Metrics = field(default_factory=Metrics)
