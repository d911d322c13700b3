"""The slash commands: `/nps`, `/csat`, `/ces`, `/enps` and `/kpi`, wired in one place.

Quick answers go back in the acknowledgement itself; a question that takes longer than the
deadline is acknowledged at once ("crunching…") and answered through `response_url`. A request
Slack re-sends (`X-Slack-Retry-Num`) is acknowledged without a second answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.kpi_service import UnknownAttribute, UnknownKpi, answer_text
from handlers.slack import blocks
from handlers.slack.access import Access
from handlers.slack.caller import Caller
from handlers.slack.i18n import word
from handlers.slack.subcommands import subcommands
from handlers.slack.text import CommandText, read_command
from kpis.periods import PeriodError
from kpis.question import QuestionError

log = logging.getLogger("kpibot.slack")

#: Commands and the KPI each one implies (None: the first word names it).
COMMANDS: dict[str, str | None] = {
    "/nps": "nps",
    "/csat": "csat",
    "/ces": "ces",
    "/enps": "enps",
    "/kpi": None,
}


def _payload(message: blocks.Message, *, share: bool) -> dict[str, Any]:
    return {
        "text": message.text,
        "blocks": message.blocks,
        "response_type": "in_channel" if share else "ephemeral",
    }


def _bad_input(exc: Exception, language: str) -> blocks.Message:
    suggestions: list[str] = []
    if isinstance(exc, UnknownKpi | UnknownAttribute):
        suggestions = list(exc.suggestions)
    elif isinstance(exc, PeriodError):
        suggestions = ["last-7d", "last-30d", "this-month", "last-week", "2026-Q1"]
    return blocks.error(_explain(exc, language), suggestions, language=language)


def _explain(exc: Exception, language: str) -> str:
    """The error in the workspace's language (the engine's own words are English)."""
    if language != "fr":
        return str(exc)
    if isinstance(exc, UnknownKpi):
        return f"KPI inconnu « {exc.text} »"
    if isinstance(exc, UnknownAttribute):
        return f"attribut inconnu « {exc.name} »"
    if isinstance(exc, PeriodError):
        return f"période non reconnue « {exc.text} »"
    if isinstance(exc, QuestionError):
        if exc.reason == "unexpected word":
            return f"mot inattendu « {exc.token} »"
        return f"« {exc.token} » : {exc.reason}"
    return str(exc)


def reply(
    deps: Deps, command: str, raw_text: str, caller: Caller | None = None
) -> tuple[blocks.Message, bool]:
    """What a command answers (message, shared?), computed now; bad input answers too.

    The listeners, `kpibot ask` and the demo all answer through it; the listener adds the
    access rules and the deadline. `caller` is who asks (the operator when None).
    """
    language, currency = deps.settings.language, deps.settings.currency
    kpi = COMMANDS.get(command, "missing")
    if kpi == "missing":
        known = ", ".join(COMMANDS)
        message = f"unknown command {command} (kpibot has {known})"
        return blocks.error(message, language=language), False
    parsed = read_command(raw_text)
    words = parsed.words
    if kpi is None and (not words or words[0].lower() in ("help", "aide", "usage")):
        return blocks.help_message(language=language), False
    if kpi is None and words[0].lower() in ("list", "liste", "catalogue"):
        return blocks.catalogue_message(language=language), False
    manage = subcommands().get(words[0].lower()) if kpi is None else None
    if manage is not None:
        rest = CommandText(
            words[1:], parsed.share, parsed.channels, parsed.users, parsed.groups, parsed.labels
        )
        return manage(deps, rest, caller or Caller()), False
    try:
        result = answer_text(deps=deps, text=parsed.text, kpi=kpi)
    except (UnknownKpi, UnknownAttribute, PeriodError, QuestionError) as exc:
        return _bad_input(exc, language), False
    return blocks.answer(result, currency=currency, language=language), parsed.share


def make_listener(
    deps: Deps, access: Access, pool: ThreadPoolExecutor, name: str
) -> Callable[..., None]:
    """The listener of one command.

    Everything that may wait (users.info behind a rate limit, a slow query) runs in the pool
    under the deadline, so the acknowledgement always leaves in time.
    """
    language = deps.settings.language

    def listener(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, request: BoltRequest
    ) -> None:
        if request.headers.get("x-slack-retry-num"):
            ack()  # the first delivery answers; a re-send must not answer twice
            return
        command = read_command(body.get("text", ""))

        def work() -> tuple[blocks.Message, bool]:
            reason = access.refusal(
                client,
                user_id=body.get("user_id", ""),
                team_id=body.get("team_id", ""),
                share=command.share,
                enterprise_id=body.get("enterprise_id") or "",
            )
            if reason is not None:
                return blocks.refusal(word(reason, language), language=language), False
            caller = Caller(
                user_id=body.get("user_id", ""),
                team_id=body.get("team_id", ""),
                client=client,
                access=access,
            )
            return reply(deps, name, body.get("text", ""), caller)

        future: Future[tuple[blocks.Message, bool]] = pool.submit(work)
        try:
            if deps.answer_deadline <= 0:  # always answer through response_url
                raise FutureTimeout
            message, share = future.result(timeout=deps.answer_deadline)
        except FutureTimeout:
            ack(text=word("working", language), response_type="ephemeral")
            future.add_done_callback(lambda done: _late(done, respond, language))
            return
        except Exception:
            log.exception("answering %r failed", body.get("text"))
            ack(**_payload(blocks.error(word("failed", language), language=language), share=False))
            return
        ack(**_payload(message, share=share))

    return listener


def _late(done: Future[tuple[blocks.Message, bool]], respond: Respond, language: str) -> None:
    """Answer a slow question through response_url once it is computed."""
    try:
        message, share = done.result()
        payload = _payload(message, share=share)
    except Exception:
        log.exception("a slow answer failed")
        payload = _payload(blocks.error(word("failed", language), language=language), share=False)
    try:
        respond(**payload, replace_original=False)
    except Exception:
        log.exception("posting to response_url failed")


def register(app: App, deps: Deps, access: Access, pool: ThreadPoolExecutor) -> None:
    """Wire every command listener."""
    for command in COMMANDS:
        app.command(command)(make_listener(deps, access, pool, command))
