"""What a connector calls for each webhook delivery: the metric and the vendor's health.

    from handlers.ops.connectors import Outcome, record_delivery
    record_delivery(deps, "zendesk", Outcome.STORED)
    record_delivery(deps, "typeform", Outcome.UNAUTHORIZED, "bad signature")

It counts `kpibot_connector_deliveries_total{vendor, outcome}` and keeps, per vendor, the
failures in a row (`connector_health`): after FAILING_IN_ROW failures the ops channel hears
once that the vendor's deliveries keep failing, and once when one is stored again.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from handlers.deps import Deps
from storage.db import session_scope, unavailable
from storage.ops.store import record_delivery as record

log = logging.getLogger("kpibot.connectors")

#: Failures in a row after which a vendor's deliveries "keep failing".
FAILING_IN_ROW = 5


class Outcome(StrEnum):
    """How kpibot answered one vendor delivery."""

    STORED = "stored"  # 2xx, records written
    IGNORED = "ignored"  # 2xx, an event kpibot does not use
    UNAUTHORIZED = "unauthorized"  # 401, bad or missing signature
    UNREADABLE = "unreadable"  # 422, a payload kpibot cannot read
    FAILED = "failed"  # 5xx, kpibot's own failure (the vendor retries)


#: The outcomes that count as a failing delivery.
FAILING = frozenset({Outcome.UNAUTHORIZED, Outcome.UNREADABLE, Outcome.FAILED})


def record_delivery(deps: Deps, vendor: str, outcome: Outcome, error: str | None = None) -> None:
    """Count one delivery of `vendor` and note it in the vendor's health (never raises: a
    delivery's answer must not depend on this bookkeeping)."""
    deps.metrics.connector_deliveries.labels(vendor=vendor, outcome=outcome.value).inc()
    try:
        with session_scope(deps.sessions) as session:
            record(
                session=session,
                vendor=vendor,
                ok=outcome not in FAILING,
                outcome=outcome.value,
                error=(error or "")[:500] or None,
                now=deps.clock(),
            )
    except Exception as exc:
        if not unavailable(exc):
            log.exception("could not record a %s delivery", vendor)
        else:
            log.warning("could not record a %s delivery: the database is unavailable", vendor)
