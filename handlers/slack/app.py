"""Builds the Bolt app from every feature's listeners and mounts it at `POST /slack/events`."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from starlette.concurrency import run_in_threadpool

from handlers.deps import Deps
from handlers.feature import Commands, Feature, SlackParts
from handlers.slack.access import Access
from handlers.slack.posting import web_client


def build_bolt_app(deps: Deps, features: Sequence[Feature]) -> App:
    """The Bolt app with every feature's listeners; requests are verified with the secret."""
    secret = deps.settings.slack_signing_secret
    app = App(
        client=web_client(deps),
        signing_secret=secret.get_secret_value() if secret else None,
        token_verification_enabled=False,  # auth.test on first use, not at start-up
        process_before_response=True,
    )
    parts = SlackParts(
        deps=deps,
        access=Access(viewers=deps.settings.viewers, sharers=deps.settings.sharers),
        pool=ThreadPoolExecutor(max_workers=8, thread_name_prefix="kpi"),
        commands=Commands.of(features),
    )
    for feature in features:
        if feature.listeners is not None:
            feature.listeners(app, parts)
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


def start_socket_mode(deps: Deps, features: Sequence[Feature]) -> SocketModeHandler:
    """Connect to Slack over Socket Mode (SLACK_APP_TOKEN) and answer there; returns the handler.

    The connection URL comes from `apps.connections.open` on SLACK_API_URL; requests arrive over
    the WebSocket, so no public URL and no signing secret are needed.
    """
    token = deps.settings.slack_app_token
    if token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (xapp-…)")
    handler = SocketModeHandler(build_bolt_app(deps, features), token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]
    return handler
