"""The app's Home tab: how to ask kpibot, published when someone opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.slack import blocks

log = logging.getLogger("kpibot.slack")

#: The events the app subscribes to (slack/manifest.yml lists the same).
EVENTS = ("app_home_opened",)


def home_view(*, language: str = "en") -> dict[str, Any]:
    """The Home tab: usage with examples, the same text as `/kpi help`."""
    return {"type": "home", "blocks": blocks.help_message(language=language).blocks}


def register_home(app: App, *, language: str) -> None:
    """Publish the Home tab when a user opens it (a re-sent event publishes the same view)."""

    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            client.views_publish(user_id=event["user"], view=home_view(language=language))
        except SlackApiError:
            log.exception("publishing the Home tab failed")
