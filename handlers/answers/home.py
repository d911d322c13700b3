"""The app's Home tab: how to ask kpibot, published when someone opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.answers.blocks import HELP, help_message
from handlers.feature import SlackParts

log = logging.getLogger("kpibot.slack")

#: The events the Home tab answers (the app manifest subscribes to them).
EVENTS = ("app_home_opened",)


def home_view(*, language: str = "en", more: tuple[str, ...] = HELP) -> dict[str, Any]:
    """The Home tab: usage with examples, the same text as `/kpi help`."""
    return {"type": "home", "blocks": help_message(language=language, more=more).blocks}


def register_home(app: App, parts: SlackParts) -> None:
    """Publish the Home tab when a user opens it (a re-sent event publishes the same view)."""
    view = home_view(language=parts.deps.settings.language, more=parts.commands.help)

    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            client.views_publish(user_id=event["user"], view=view)
        except SlackApiError:
            log.exception("publishing the Home tab failed")
