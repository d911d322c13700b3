"""The conversation feature: @kpibot mentions and direct messages, answered once each."""

from __future__ import annotations

from handlers.conversation.events import EVENTS, register_conversation
from handlers.conversation.jobs import setup
from handlers.feature import Feature

FEATURE = Feature(
    name="conversation",
    help=("help_conversation",),
    listeners=register_conversation,
    events=EVENTS,
    jobs=setup,
)
