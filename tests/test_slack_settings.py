"""Slack is on only when its settings are complete; otherwise serve says so in one line."""

from __future__ import annotations

import httpx

from bot import build_deps, create_app, startup_notes
from settings import Settings
from tests.server import serve_app


def slack_lines(settings: Settings) -> list[str]:
    return [n for n in startup_notes(settings) if n.startswith("Slack")]


def test_slack_off_is_one_line_naming_the_settings() -> None:
    db_url = "sqlite://"
    for settings in (
        Settings(database_url=db_url),
        Settings(database_url=db_url, slack_bot_token="xoxb-1"),  # no signing secret
        Settings(database_url=db_url, slack_bot_token="xoxb-1", slack_signing_secret="  "),
        Settings(
            database_url=db_url,
            slack_bot_token="xoxb-1",
            slack_signing_secret="s",
            slack_mode="socket",  # socket mode needs the app token
        ),
    ):
        assert not settings.slack_enabled
        [line] = slack_lines(settings)
        assert "SLACK_BOT_TOKEN" in line
        assert "SLACK_SIGNING_SECRET" in line
        assert "SLACK_APP_TOKEN" in line
    on = Settings(database_url=db_url, slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert on.slack_enabled
    assert slack_lines(on) == []
    socket = Settings(
        database_url=db_url, slack_bot_token="xoxb-1", slack_app_token="xapp-1", slack_mode="socket"
    )
    assert socket.slack_enabled


def test_without_slack_the_apis_still_serve(db_url: str) -> None:
    settings = Settings(database_url=db_url, ingest_token="t" * 32)
    deps = build_deps(settings)
    try:
        with serve_app(create_app(settings, deps)) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200
            kpis = httpx.get(f"{url}/api/v1/kpis", headers={"Authorization": "Bearer " + "t" * 32})
            assert kpis.status_code == 200
            assert httpx.post(f"{url}/slack/events", content=b"command=%2Fnps").status_code in (
                404,
                405,
            )
    finally:
        deps.engine.dispose()
