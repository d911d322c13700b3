"""Socket Mode: the same listeners answer over a WebSocket, connected through SLACK_API_URL."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from bot import build_deps, features
from handlers.slack.app import start_socket_mode
from settings import Settings
from tests.fakeslack import fake_slack
from tests.fakesocket import fake_socket
from tests.slack_requests import command_body


def test_socket_mode_answers_slash_commands(db_url: str) -> None:
    with fake_slack() as slack, fake_socket() as socket:
        slack.member("U0LEAD")
        slack.socket_url = socket.url
        settings = Settings(
            database_url=db_url,
            slack_bot_token="xoxb-test",
            slack_app_token="xapp-test",
            slack_mode="socket",
            slack_api_url=slack.api_url(),
        )
        assert settings.slack_enabled
        deps = build_deps(settings)
        handler = start_socket_mode(deps, features())
        try:
            assert socket.connected.wait(10)
            opened = slack.of("apps.connections.open")
            assert opened[0].headers["Authorization"] == "Bearer xapp-test"
            form = dict(parse_qsl(command_body("/kpi", "help"), keep_blank_values=True))
            socket.slash_command("env-1", form)
            ack = socket.acks.get(timeout=10)
            assert ack["envelope_id"] == "env-1"
            assert "/kpi <kpi> [period]" in json.dumps(ack["payload"]["blocks"])
            assert ack["payload"]["response_type"] == "ephemeral"
            form = dict(parse_qsl(command_body("/kpi", "npss"), keep_blank_values=True))
            socket.slash_command("env-2", form)
            bad = socket.acks.get(timeout=10)
            assert bad["envelope_id"] == "env-2"
            assert "unknown KPI 'npss'" in json.dumps(bad["payload"]["blocks"])
        finally:
            handler.close()
            deps.engine.dispose()
