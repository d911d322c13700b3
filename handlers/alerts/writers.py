"""Ingest writers that raise alerts in the ingest's own transaction (the outbox)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.deps import Deps
from storage.alerts import enqueue_detractor_alerts
from storage.ingest import Counts, upsert_responses


class AlertingResponsesWriter:
    """`upsert_responses`, then a pending alert for each fresh detractor a route matches."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def __call__(self, *, session: Session, rows: Sequence[Mapping[str, Any]]) -> Counts:
        written_since = datetime.now(UTC)  # the upsert stamps updated_at with this clock
        counts = upsert_responses(session=session, rows=rows)
        now = self.deps.clock()
        raised = enqueue_detractor_alerts(
            session=session,
            written_since=written_since,
            submitted_after=now - self.deps.settings.alert_max_age,
            now=now,
        )
        if raised:
            self.deps.alerts_waiting.set()
        self.deps.data_changed.set()
        return counts
