"""`/kpi digest …`: add, list, remove, pause, resume and preview digest subscriptions."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.slack import blocks
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText


def digest_command(deps: Deps, words: CommandText, caller: Caller) -> blocks.Message:
    """Answer `/kpi digest …` (being built: answers with its usage for now)."""
    return blocks.error("digests are being built", language=deps.settings.language)
