"""The alerts feature: `/kpi alert …`, the loop buttons and modal, and the outbox jobs."""

from __future__ import annotations

from handlers.alerts.actions import register_alert_actions
from handlers.alerts.commands import alert_command
from handlers.alerts.jobs import setup
from handlers.feature import Feature

FEATURE = Feature(
    name="alerts",
    subcommands={"alert": alert_command, "alerts": alert_command},
    help=("help_alerts",),
    listeners=register_alert_actions,
    jobs=setup,
    jobs_post=True,
)
