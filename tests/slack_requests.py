"""Requests signed exactly as Slack signs them."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


def signed(secret: str, body: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a body: X-Slack-Request-Timestamp and the v0 HMAC-SHA256 signature."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(command: str, text: str, **fields: Any) -> str:
    """A slash-command form body as Slack posts it."""
    form = {
        "token": "legacy-verification-token",
        "team_id": "T0KPIBOT",
        "team_domain": "kpibot",
        "channel_id": "C0SUPPORT",
        "channel_name": "support",
        "user_id": "U0LEAD",
        "user_name": "lea",
        "command": command,
        "text": text,
        "api_app_id": "A0KPIBOT",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0KPIBOT/1/abc",
        "trigger_id": "1.2.3",
        **fields,
    }
    return urlencode(form)


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str,
    team_id: str = "T0KPIBOT",
    enterprise_id: str | None = None,
    event_time: int | None = None,
) -> dict[str, Any]:
    """An Events API request body: the `event_callback` envelope Slack documents around one
    event (`authorizations` names the installation, the bot user UBOT of the fake)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "enterprise_id": enterprise_id,
        "api_app_id": "A0KPIBOT",
        "event": event,
        "type": "event_callback",
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "event_context": f"EC{event_id}",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
    }


def mention_event(
    text: str, *, user: str, ts: str, channel: str = "C0SUPPORT", **extra: Any
) -> dict[str, Any]:
    """An `app_mention` event: a message in a channel that mentions kpibot (<@UBOT>)."""
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


def direct_event(
    text: str, *, user: str, ts: str, channel: str = "D0LEAD", **extra: Any
) -> dict[str, Any]:
    """A `message.im` event: a message in a direct conversation with kpibot."""
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        **extra,
    }


def interaction_body(payload: dict[str, Any]) -> str:
    """An interactivity request (block_actions, view_submission) as Slack posts it."""
    import json

    return urlencode({"payload": json.dumps(payload)})


def block_action(
    action_id: str, value: str, *, user: str, channel: str, ts: str, trigger_id: str = "13.14.15"
) -> dict[str, Any]:
    """A `block_actions` payload for a button click on a message."""
    return {
        "type": "block_actions",
        "team": {"id": "T0KPIBOT", "domain": "kpibot"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0KPIBOT"},
        "api_app_id": "A0KPIBOT",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": trigger_id,
        "channel": {"id": channel, "name": "support-leads"},
        "message": {"type": "message", "ts": ts, "text": "alert"},
        "response_url": "https://hooks.slack.com/actions/T0KPIBOT/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }


def view_submission(
    callback_id: str, private_metadata: str, values: dict[str, Any], *, user: str
) -> dict[str, Any]:
    """A `view_submission` payload for a modal's submit button."""
    return {
        "type": "view_submission",
        "team": {"id": "T0KPIBOT", "domain": "kpibot"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0KPIBOT"},
        "api_app_id": "A0KPIBOT",
        "token": "legacy-verification-token",
        "trigger_id": "16.17.18",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1.abc",
        },
    }
