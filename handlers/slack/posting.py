"""Posting that must happen once: a client that retries only what certainly posted nothing.

`chat.postMessage` is not idempotent. A 429, a 5xx answer or a refused connection means Slack
posted nothing, so slack_sdk's retry handlers may try again; a read timeout or a connection
reset after the request left may have posted, so it is never retried blindly: the caller
records it as `unknown`. `outcome()` sorts any exception into those cases, plus `gone` (the
bot was removed, the channel archived or deleted, the token revoked: retrying cannot help).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Literal
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from settings import Settings

#: Slack errors after which posting to the same place cannot succeed until a person acts.
GONE_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "not_authed",
        "team_access_not_granted",
    }
)

Kind = Literal["failed", "unknown", "gone"]


def never_sent(error: BaseException | None) -> bool:
    """Whether a connection error happened before the request could reach Slack."""
    if isinstance(error, URLError) and not isinstance(error.reason, str):
        reason = error.reason
        return isinstance(reason, ConnectionRefusedError | socket.gaierror | TimeoutError)
    return isinstance(error, ConnectionRefusedError)


class RefusedConnectionRetryHandler(ConnectionErrorRetryHandler):
    """slack_sdk's connection retry, narrowed to errors raised before anything was sent."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is None and never_sent(error)


def once_client(settings: Settings, *, retries: int = 3) -> WebClient:
    """A Web API client for posts that must happen once (digests, alerts)."""
    token = settings.slack_bot_token
    handlers: list[RetryHandler] = [
        RefusedConnectionRetryHandler(max_retry_count=retries),
        RateLimitErrorRetryHandler(max_retry_count=retries),
        ServerErrorRetryHandler(max_retry_count=retries),
    ]
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout,
        retry_handlers=handlers,
    )


@dataclass(frozen=True)
class Outcome:
    """What a failed call means for the thing being posted."""

    kind: Kind
    error: str


def outcome(exc: BaseException) -> Outcome:
    """Sort a failure: `failed` (nothing posted, retry later), `unknown`, or `gone`."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str(exc.response.get("error", "") or f"HTTP {status}")
        if code in GONE_ERRORS:
            return Outcome("gone", code)
        return Outcome("failed", code if status == 200 else f"HTTP {status}: {code}")
    if never_sent(exc):
        return Outcome("failed", f"connection failed: {exc}")
    return Outcome("unknown", f"{type(exc).__name__}: {exc}".rstrip(": "))
