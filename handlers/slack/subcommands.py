"""`/kpi <word> …` commands that manage things rather than ask for a KPI: digests, alerts.

Each takes the deps, the command's words after its own name (with the channels, users and
groups Slack escaped) and the caller, and returns the (ephemeral) message to show.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.deps import Deps
from handlers.slack.blocks import Message
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText

Subcommand = Callable[[Deps, CommandText, Caller], Message]


def subcommands() -> dict[str, Subcommand]:
    """The management commands by their first word (imported late: they import the jobs)."""
    from handlers.alerts.commands import alert_command
    from handlers.digests.commands import digest_command

    return {
        "digest": digest_command,
        "digests": digest_command,
        "alert": alert_command,
        "alerts": alert_command,
    }
