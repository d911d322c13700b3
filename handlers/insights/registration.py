"""The insights feature: `/kpi themes` (`thèmes`); `… why` is read by the question grammar."""

from __future__ import annotations

from handlers.feature import Feature
from handlers.insights.commands import SUBCOMMANDS

FEATURE = Feature(name="insights", subcommands=SUBCOMMANDS, help=("help_why", "help_themes"))
