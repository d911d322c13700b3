"""The Home tab feature: `app_home_opened` publishes the viewer's dashboard; its Claim buttons
claim the alert as the channel's do, and the tab is published again at once."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.alerts import ids
from handlers.alerts.actions import move_alert
from handlers.feature import Feature, SlackParts
from handlers.home.dashboard import Cache, dashboard
from handlers.home.view import home_view, refused_view
from handlers.i18n import word
from storage.alerts.tables import LoopState

log = logging.getLogger("kpibot.slack")

#: The events the Home tab answers (the app manifest subscribes to them).
EVENTS = ("app_home_opened",)


def _from_home(body: dict[str, Any]) -> bool:
    """Whether a click came from the Home tab (not from a message in a channel)."""
    return (body.get("view") or {}).get("type") == "home"


def register_home(app: App, parts: SlackParts) -> None:
    """Publish the dashboard when a user opens the Home tab; answer its Claim buttons.

    Registered before the alerts' listeners: Bolt runs the first listener that matches, and
    only clicks from the Home tab match this one.
    """
    deps, access = parts.deps, parts.access
    settings = deps.settings
    language = settings.language
    shared = Cache(deps.clock)
    views = Cache(deps.clock)

    def publish(client: WebClient, user_id: str, team_id: str, enterprise_id: str = "") -> None:
        reason = access.refusal(
            client, user_id=user_id, team_id=team_id, share=False, enterprise_id=enterprise_id
        )
        if reason is not None:
            view = refused_view(word(reason, language), language=language)
        else:

            def build() -> dict[str, Any]:
                data = dashboard(
                    deps, client, user_id=user_id, shared=shared, help_lines=parts.commands.help
                )
                return home_view(data, currency=settings.currency, language=language)

            view = views.get(user_id, build)
        try:
            client.views_publish(user_id=user_id, view=view)
        except SlackApiError:
            log.exception("publishing the Home tab failed")

    @app.event("app_home_opened")
    def opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        publish(client, event["user"], body.get("team_id", ""), body.get("enterprise_id") or "")

    @app.action(ids.CLAIM, matchers=[_from_home])
    def claim(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id", "") or user.get("team_id", "")
        enterprise = (body.get("enterprise") or {}).get("id", "") or ""
        reason = access.refusal(
            client, user_id=user.get("id", ""), team_id=team, share=False, enterprise_id=enterprise
        )
        if reason is None:
            move_alert(
                deps,
                client,
                alert_id=int(action["value"]),
                to=LoopState.CLAIMED,
                from_states=(LoopState.OPEN,),
                user=user["id"],
                channel="",
                ts="",
            )
            views.clear()  # every viewer's list of alerts changed
        publish(client, user.get("id", ""), team, enterprise)


FEATURE = Feature(name="home", listeners=register_home, events=EVENTS)
