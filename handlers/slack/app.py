"""Builds the Bolt app and mounts it on the FastAPI app at `POST /slack/events`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from starlette.concurrency import run_in_threadpool

from handlers.alerts.actions import register_alert_actions
from handlers.deps import Deps
from handlers.slack.access import Access
from handlers.slack.commands import register
from handlers.slack.home import register_home


def web_client(deps: Deps) -> WebClient:
    """slack_sdk's client on SLACK_API_URL, retrying rate limits, 5xx and connection errors."""
    token = deps.settings.slack_bot_token
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=deps.settings.slack_api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_bolt_app(deps: Deps) -> App:
    """The Bolt app with every listener registered; requests are verified with the secret."""
    secret = deps.settings.slack_signing_secret
    app = App(
        client=web_client(deps),
        signing_secret=secret.get_secret_value() if secret else None,
        token_verification_enabled=False,  # auth.test on first use, not at start-up
        process_before_response=True,
    )
    access = Access(viewers=deps.settings.viewers, sharers=deps.settings.sharers)
    register(app, deps, access, ThreadPoolExecutor(max_workers=8, thread_name_prefix="kpi"))
    register_home(app, language=deps.settings.language)
    register_alert_actions(app, deps, access)
    return app


def to_bolt_request(raw: str, request: Request) -> BoltRequest:
    """A BoltRequest, with slash-command forms parsed as forms even when they say "payload".

    Bolt reads any form body containing the word "payload" as an interactivity payload and
    drops it; a slash command is recognised by its `command` field and parsed normally.
    """
    bolt = BoltRequest(body=raw, query=request.url.query, headers=dict(request.headers))
    if "payload" in raw and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if "command" in form and "payload" not in form:
            bolt.body = form
    return bolt


def mount(api: FastAPI, bolt: App) -> None:
    """`POST /slack/events`: slash commands, interactivity and events share it."""

    @api.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8")
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(raw, request))
        return Response(
            status_code=response.status,
            content=response.body,
            headers=response.first_headers_without_set_cookie(),
        )


def start_socket_mode(deps: Deps) -> SocketModeHandler:
    """Connect to Slack over Socket Mode (SLACK_APP_TOKEN) and answer there; returns the handler.

    The connection URL comes from `apps.connections.open` on SLACK_API_URL; requests arrive over
    the WebSocket, so no public URL and no signing secret are needed.
    """
    token = deps.settings.slack_app_token
    if token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (xapp-…)")
    handler = SocketModeHandler(build_bolt_app(deps), token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]
    return handler
