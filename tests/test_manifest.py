"""The app manifest declares exactly the commands and events the bot listens to, escaped, with
the scopes they need."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import features
from handlers.answers.commands import COMMANDS

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
    events = [event for feature in features() for event in feature.events]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == events


def test_mentions_and_direct_messages_have_their_scopes_and_the_messages_tab() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "im:history", "chat:write"} <= scopes
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False
