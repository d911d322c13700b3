"""Posting that must happen once: a client that retries only what certainly posted nothing.

`chat.postMessage` is not idempotent. A 429, a 5xx answer or a refused connection means Slack
posted nothing, so slack_sdk's retry handlers may try again; a read timeout or a connection
reset after the request left may have posted, so it is never retried blindly: the caller
records it as `unknown`. `outcome()` sorts any exception into those cases, plus `gone` (the
bot was removed, the channel archived or deleted, the token revoked: retrying cannot help).
"""

from __future__ import annotations

import random
import socket
from collections.abc import Callable
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

from handlers.deps import Deps

#: How a retry waits: `time.sleep` in production; tests hand in one that records and returns.
Wait = Callable[[float], None]

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


class _Waits(RetryHandler):
    """A slack_sdk retry handler whose wait between attempts is injected (the same back-off:
    slack_sdk's exponential interval with jitter), so tests keep the attempts without sleeping."""

    def __init__(self, max_retry_count: int, wait: Wait) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.wait = wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self.wait(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


class ConnectionRetry(_Waits, ConnectionErrorRetryHandler):
    """slack_sdk's connection-error retry, with an injected wait."""


class ServerErrorRetry(_Waits, ServerErrorRetryHandler):
    """slack_sdk's 500/503 retry, with an injected wait."""


class RateLimitRetry(_Waits, RateLimitErrorRetryHandler):
    """slack_sdk's 429 retry: it waits `Retry-After` seconds plus up to one of jitter, as
    slack_sdk does, through the injected wait."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        after = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        seconds = float(after[0]) if after else 1.0
        self.wait(seconds + random.random())
        state.increment_current_attempt()


class RefusedConnectionRetryHandler(ConnectionRetry):
    """The connection retry, narrowed to errors raised before anything was sent."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is None and never_sent(error)


def web_client(deps: Deps) -> WebClient:
    """The Bolt app's client on SLACK_API_URL, retrying rate limits, 5xx and connection errors
    (reads and ephemeral answers: a retry after a doubtful connection error is harmless)."""
    token = deps.settings.slack_bot_token
    wait = _waiting(deps)
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=deps.settings.slack_api_url,
        retry_handlers=[
            ConnectionRetry(2, wait),
            RateLimitRetry(3, wait),
            ServerErrorRetry(2, wait),
        ],
    )


def _waiting(deps: Deps) -> Wait:
    """The deps' wait, read at each retry (a test may replace it after the client is built)."""
    return lambda seconds: deps.slack_wait(seconds)


def once_client(deps: Deps, *, retries: int = 3) -> WebClient:
    """A Web API client for posts that must happen once (digests, alerts)."""
    settings = deps.settings
    token = settings.slack_bot_token
    wait = _waiting(deps)
    handlers: list[RetryHandler] = [
        RefusedConnectionRetryHandler(retries, wait),
        RateLimitRetry(retries, wait),
        ServerErrorRetry(retries, wait),
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
