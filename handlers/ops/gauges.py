"""The gauges read from the database at each scrape: outboxes, rollup lag, heartbeats,
incidents. One custom collector on the app's own registry; a database that does not answer
gives `kpibot_database_up 0` and nothing else from it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from handlers.deps import Deps
from storage.db import read_snapshot, unavailable
from storage.ops.store import alert_outbox, heartbeats, open_incidents
from storage.privacy.store import outbox as redaction_outbox
from storage.rollups.store import lag

log = logging.getLogger("kpibot.ops")

#: A scheduler whose last heartbeat is younger than this counts as alive.
ALIVE = timedelta(minutes=2)


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


class DatabaseGauges(Collector):
    """Reads the outboxes, the rollup lag, the heartbeats and the open incidents per scrape."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing is read when the collector is registered

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("kpibot_database_up", "1 when the database answers, else 0.")
        now = self.deps.clock()
        try:
            with read_snapshot(self.deps.sessions) as session:
                alerts = alert_outbox(session=session)
                redactions = redaction_outbox(session=session)
                behind = lag(session, now=now)
                beats = heartbeats(session=session)
                keys = [i.key for i in open_incidents(session=session)]
        except Exception as exc:
            if not unavailable(exc):
                log.exception("reading the database gauges failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge("kpibot_alert_outbox_depth", "Alerts waiting to be posted.", alerts.depth)
        yield _gauge(
            "kpibot_alert_outbox_oldest_age_seconds",
            "Age of the oldest alert waiting to be posted (0 when none waits).",
            _age(now, alerts.oldest),
        )
        yield _gauge(
            "kpibot_redaction_outbox_depth",
            "Slack messages waiting to be redacted.",
            redactions.depth,
        )
        yield _gauge(
            "kpibot_redaction_outbox_oldest_age_seconds",
            "Age of the oldest redaction waiting (0 when none waits).",
            _age(now, redactions.oldest),
        )
        rollup = GaugeMetricFamily(
            "kpibot_rollup_lag_seconds",
            "How long ago the oldest ended day not rolled up yet ended (0: all built).",
            labels=["cube"],
        )
        for cube, seconds in sorted(behind.items()):
            rollup.add_metric([cube], seconds)
        yield rollup
        ages = GaugeMetricFamily(
            "kpibot_scheduler_heartbeat_age_seconds",
            "Seconds since each scheduler process's last heartbeat.",
            labels=["worker"],
        )
        for beat in beats:
            ages.add_metric([beat.worker], _age(now, beat.beat_at))
        yield ages
        yield _gauge(
            "kpibot_schedulers_alive",
            "Scheduler processes with a heartbeat in the last 2 minutes.",
            sum(1 for beat in beats if now - beat.beat_at < ALIVE),
        )
        kinds = Counter(key.split(":", 1)[0] for key in keys)
        open_ = GaugeMetricFamily(
            "kpibot_ops_incidents_open",
            "Incidents open now, by kind (digest, alerts, connector, slack, redactions).",
            labels=["kind"],
        )
        for kind in ("digest", "alerts", "connector", "slack", "redactions"):
            open_.add_metric([kind], kinds.get(kind, 0))
        yield open_


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def ensure_gauges(deps: Deps) -> None:
    """Register the database gauges on the deps' registry, once."""
    if deps.metrics.gauges is None:
        deps.metrics.gauges = DatabaseGauges(deps)
        deps.metrics.registry.register(deps.metrics.gauges)
