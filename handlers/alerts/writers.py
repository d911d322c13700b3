"""Ingest writers that raise alerts in the ingest's own transaction (the outbox)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.deps import Deps
from kpis.bands import ALERTING_SURVEYS, detractors
from kpis.question import parse_filters
from storage.alerts.store import DetractorRoute, enqueue_detractor_alerts, list_routes
from storage.alerts.tables import AlertRoute
from storage.ingest import Counts, upsert_responses

#: A write of survey responses: `upsert_responses` (the API, the files) or `merge_responses`
#: (the connectors).
Upsert = Callable[..., Counts]


class AlertingResponsesWriter:
    """`upsert_responses` (or the connectors' `merge_responses`), then a pending alert for each
    fresh detractor a route matches, in the same transaction."""

    def __init__(self, deps: Deps, upsert: Upsert = upsert_responses) -> None:
        self.deps = deps
        self.upsert = upsert

    def __call__(self, *, session: Session, rows: Sequence[Mapping[str, Any]]) -> Counts:
        written_since = datetime.now(UTC)  # the upsert stamps updated_at with this clock
        counts = self.upsert(session=session, rows=rows)
        now = self.deps.clock()
        raised = enqueue_detractor_alerts(
            session=session,
            routes=detractor_routes(list_routes(session=session)),
            written_since=written_since,
            submitted_after=now - self.deps.settings.alert_max_age,
            now=now,
        )
        if raised:
            self.deps.alerts_waiting.set()
        self.deps.data_changed.set()
        return counts


def detractor_routes(routes: Sequence[AlertRoute]) -> list[DetractorRoute]:
    """Routes as the ingest applies them: their surveys' detractor bands and their filters
    (a route left with no alerting survey pages nobody)."""
    out = []
    for route in routes:
        assert route.id is not None
        detractor = detractors(route.surveys or ALERTING_SURVEYS)
        if detractor.options:
            filters = parse_filters(route.filters)
            out.append(DetractorRoute(route.id, route.channel_id, route.leads, detractor, filters))
    return out
