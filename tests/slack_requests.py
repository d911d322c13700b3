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
