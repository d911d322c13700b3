"""The slash commands: `/nps`, `/csat`, `/ces`, `/enps` and `/kpi`, and `/kpi help` and `list`.

Quick answers go back in the acknowledgement itself; a question that takes longer than the
deadline is acknowledged at once ("crunching…") and answered through `response_url`. A request
Slack re-sends (`X-Slack-Retry-Num`) is acknowledged without a second answer.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient

from handlers.answers import blocks
from handlers.answers.service import KpiError, UnknownAttribute, UnknownKpi, answer_text
from handlers.deps import Deps
from handlers.feature import Asked, Commands, SlackParts
from handlers.i18n import explain, say, word
from handlers.slack.blocks import Message, refusal
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText, read_command
from kpis.periods import PeriodError
from storage.db import unavailable

log = logging.getLogger("kpibot.slack")

#: Commands and the KPI each one implies (None: the first word names it).
COMMANDS: dict[str, str | None] = {
    "/nps": "nps",
    "/csat": "csat",
    "/ces": "ces",
    "/enps": "enps",
    "/kpi": None,
}


def _payload(message: Message, *, share: bool) -> dict[str, Any]:
    return {
        "text": message.text,
        "blocks": message.blocks,
        "response_type": "in_channel" if share else "ephemeral",
    }


def _bad_input(exc: Exception, language: str) -> Message:
    suggestions: list[str] = []
    if isinstance(exc, UnknownKpi | UnknownAttribute):
        suggestions = list(exc.suggestions)
    elif isinstance(exc, PeriodError):
        suggestions = ["last-7d", "last-30d", "this-month", "last-week", "2026-Q1"]
    return blocks.error(explain(exc, language), suggestions, language=language)


def help_command(asked: Asked) -> Message:
    """`/kpi help` (and a bare `/kpi`): usage, examples, and each feature's help lines."""
    return blocks.help_message(language=asked.deps.settings.language, more=asked.commands.help)


def list_command(asked: Asked) -> Message:
    """`/kpi list`: the catalogue."""
    return blocks.catalogue_message(language=asked.deps.settings.language)


SUBCOMMANDS = {
    "help": help_command,
    "aide": help_command,
    "usage": help_command,
    "list": list_command,
    "liste": list_command,
    "catalogue": list_command,
}


def reply(
    deps: Deps, commands: Commands, command: str, raw_text: str, caller: Caller | None = None
) -> tuple[Message, bool]:
    """What a command answers (message, shared?), computed now; bad input answers too.

    The listeners, `kpibot ask` and the demo all answer through it; the listener adds the
    access rules and the deadline. `caller` is who asks (the operator when None).
    """
    language, currency = deps.settings.language, deps.settings.currency
    kpi = COMMANDS.get(command, "missing")
    if kpi == "missing":
        message = say("unknown_command", language, command=command, known=", ".join(COMMANDS))
        return blocks.error(message, language=language), False
    parsed = read_command(raw_text)
    words = parsed.words
    if kpi is None:
        manage = commands.find(words[0] if words else "help")
        if manage is not None:
            rest = CommandText(
                words[1:], parsed.share, parsed.channels, parsed.users, parsed.groups, parsed.labels
            )
            return manage(Asked(deps, rest, caller or Caller(), commands)), False
    try:
        result = answer_text(deps=deps, text=parsed.text, kpi=kpi)
    except KpiError as exc:
        return _bad_input(exc, language), False
    return blocks.answer(result, currency=currency, language=language), parsed.share


def make_listener(parts: SlackParts, name: str) -> Callable[..., None]:
    """The listener of one command.

    Everything that may wait (users.info behind a rate limit, a slow query) runs in the pool
    under the deadline, so the acknowledgement always leaves in time.
    """
    deps, access, pool = parts.deps, parts.access, parts.pool
    language = deps.settings.language
    metrics = deps.metrics

    def counted(outcome: str, started: float) -> None:
        metrics.slash_commands.labels(command=name, outcome=outcome).inc()
        metrics.slash_command_seconds.labels(command=name).observe(time.monotonic() - started)

    def listener(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, request: BoltRequest
    ) -> None:
        started = time.monotonic()
        if request.headers.get("x-slack-retry-num"):
            ack()  # the first delivery answers; a re-send must not answer twice
            metrics.slash_commands.labels(command=name, outcome="retry").inc()
            return
        command = read_command(body.get("text", ""))

        def work() -> tuple[Message, bool]:
            reason = access.refusal(
                client,
                user_id=body.get("user_id", ""),
                team_id=body.get("team_id", ""),
                share=command.share,
                enterprise_id=body.get("enterprise_id") or "",
            )
            if reason is not None:
                outcome[0] = "refused"
                return refusal(word(reason, language), language=language), False
            caller = Caller(
                user_id=body.get("user_id", ""),
                team_id=body.get("team_id", ""),
                client=client,
                access=access,
            )
            return reply(deps, parts.commands, name, body.get("text", ""), caller)

        outcome = ["answered"]
        future: Future[tuple[Message, bool]] = pool.submit(contextvars.copy_context().run, work)
        try:
            if deps.answer_deadline <= 0:  # always answer through response_url
                raise FutureTimeout
            message, share = future.result(timeout=deps.answer_deadline)
        except FutureTimeout:
            ack(text=word("working", language), response_type="ephemeral")

            def late(done: Future[tuple[Message, bool]]) -> None:
                counted(_late(done, respond, language), started)

            future.add_done_callback(late)
            return
        except Exception as exc:
            failure, outcome[0] = _failure_for(exc, body.get("text"), language)
            ack(**_payload(failure, share=False))
            counted(outcome[0], started)
            return
        ack(**_payload(message, share=share))
        counted(outcome[0], started)

    return listener


def _failure_for(exc: BaseException, text: object, language: str) -> tuple[Message, str]:
    """The answer to a command that raised, and its outcome: a short "the database is
    unavailable" when it is, else a bug's answer with its error id."""
    if unavailable(exc):
        log.warning("answering %r: the database is unavailable (%s)", text, exc)
        return blocks.error(word("db_unavailable", language), language=language), "unavailable"
    return _failure(text, language), "failed"


def _failure(text: object, language: str) -> Message:
    """A bug's answer: a short error id the user can quote, logged with the traceback.

    Called inside an `except` block (the log line carries the exception).
    """
    error_id = uuid.uuid4().hex[:8]
    log.exception("error %s: answering %r failed", error_id, text)
    return blocks.error(say("failed_id", language, id=error_id), language=language)


def _late(done: Future[tuple[Message, bool]], respond: Respond, language: str) -> str:
    """Answer a slow question through response_url once it is computed; its outcome."""
    outcome = "late"
    try:
        message, share = done.result()
        payload = _payload(message, share=share)
    except Exception as exc:
        failure, outcome = _failure_for(exc, "(a slow answer)", language)
        payload = _payload(failure, share=False)
    try:
        respond(**payload, replace_original=False)
    except Exception:
        log.exception("posting to response_url failed")
    return outcome


def register(app: App, parts: SlackParts) -> None:
    """Wire every command listener."""
    for command in COMMANDS:
        app.command(command)(make_listener(parts, command))
