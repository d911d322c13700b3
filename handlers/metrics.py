"""What kpibot counts for Prometheus: one registry per app, every name prefixed `kpibot_`.

`Metrics` owns a `CollectorRegistry` of its own (never prometheus-client's global default), so
two apps in one process (the tests build many) never collide. Handlers count through the
methods here, next to what they count; `GET /metrics` (`handlers.ops`) exposes the registry,
with the gauges read from the database at scrape time (`handlers.ops.gauges`).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

#: Slash-command latency buckets (seconds): Slack wants the acknowledgement within 3.
COMMAND_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


class Metrics:
    """The counters and histograms of one kpibot process, on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.records_ingested = Counter(
            "kpibot_records_ingested",
            "Records stored (created or updated) by kind (responses, tickets, metrics) and source.",
            ["kind", "source"],
            registry=registry,
        )
        self.connector_deliveries = Counter(
            "kpibot_connector_deliveries",
            "Vendor webhook deliveries by vendor and outcome "
            "(stored, ignored, unauthorized, unreadable, failed).",
            ["vendor", "outcome"],
            registry=registry,
        )
        self.slash_commands = Counter(
            "kpibot_slash_commands",
            "Slash commands by command and outcome "
            "(answered, late, refused, failed, unavailable, retry).",
            ["command", "outcome"],
            registry=registry,
        )
        self.slash_command_seconds = Histogram(
            "kpibot_slash_command_seconds",
            "Time from a slash command's arrival to its answer (the acknowledgement, or the "
            "response_url post for a late one).",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=registry,
        )
        self.digest_deliveries = Counter(
            "kpibot_digest_deliveries",
            "Digest deliveries that ended, by status (sent, failed, unknown).",
            ["status"],
            registry=registry,
        )
        self.alert_posts = Counter(
            "kpibot_alert_posts",
            "Alert messages the outbox worker posted or tried to, by status.",
            ["status"],
            registry=registry,
        )
        self.redactions = Counter(
            "kpibot_redactions",
            "Slack messages kpibot tried to redact (chat.update), by outcome "
            "(redacted, gone, retry).",
            ["outcome"],
            registry=registry,
        )
        self.erasures = Counter(
            "kpibot_erasures",
            "Personal-data removals by reason (erasure request, retention).",
            ["reason"],
            registry=registry,
        )
        self.ops_messages = Counter(
            "kpibot_ops_messages",
            "Messages to KPIBOT_OPS_CHANNEL by kind (incident, recovery) and outcome.",
            ["kind", "outcome"],
            registry=registry,
        )
        #: Set once the database gauges are registered (`handlers.ops.gauges`).
        self.gauges: Any = None

    def ingested(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Count stored records of one kind by their source (one pass over the batch)."""
        for source, count in Tally(str(row.get("source", "")) for row in rows).items():
            self.records_ingested.labels(kind=kind, source=source).inc(count)
