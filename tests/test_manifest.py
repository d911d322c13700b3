"""The app manifest declares exactly the commands the bot listens to, escaped."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.answers.commands import COMMANDS
from handlers.answers.home import EVENTS

MANIFEST = Path(__file__).parents[1] / "slack" / "manifest.yml"


def test_manifest_commands_match_the_listeners() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    commands = manifest["features"]["slash_commands"]
    assert {c["command"] for c in commands} == set(COMMANDS)
    assert all(c["should_escape"] is True for c in commands)
    assert all(c["url"].endswith("/slack/events") for c in commands)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "usergroups:read", "files:write"} <= scopes
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert manifest["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(EVENTS)
