"""The slash commands: `/nps`, `/csat`, `/ces`, `/enps` and `/kpi`, and `/kpi help` and `list`.

A question is read by the canonical grammar first (`nps last-30d by channel`, or the same in
French); words it cannot place are read as a sentence (`kpis.sentence`): a clear one is
answered with its canonical form shown, an unclear one gets what was understood and the closest
commands, with buttons that ask them. The answer speaks the question's language when the words
say it clearly, else KPIBOT_LANGUAGE. Mentions and direct messages answer through `respond_to`
too (`handlers.conversation`).

Quick answers go back in the acknowledgement itself; a question that takes longer than the
deadline is acknowledged at once ("crunching…") and answered through `response_url`. A request
Slack re-sends (`X-Slack-Retry-Num`) is acknowledged without a second answer.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient

from handlers.answers import blocks
from handlers.answers.chart import ChartAsk, chart_note, send_chart
from handlers.answers.service import (
    KpiError,
    QuestionError,
    UnknownAttribute,
    UnknownKpi,
    answer,
    why,
)
from handlers.answers.words import attribute_names, canonical, read
from handlers.deps import Deps
from handlers.feature import Asked, Commands, SlackParts
from handlers.i18n import explain, say, word
from handlers.slack.blocks import MAX_BLOCKS, Message, refusal
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText, read_command
from kpis.periods import PeriodError
from kpis.question import WHY_WORDS, Question, fold, parse_question
from kpis.result import KpiResult
from kpis.sentence import language_of
from kpis.why import Why
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
    """`/kpi help` (and a bare `/kpi`): usage, examples, and each feature's help lines, in the
    asker's language (`/kpi aide` is French)."""
    return blocks.help_message(language=asked.says, more=asked.commands.help)


def list_command(asked: Asked) -> Message:
    """`/kpi list`: the catalogue."""
    return blocks.catalogue_message(language=asked.says)


SUBCOMMANDS = {
    "help": help_command,
    "aide": help_command,
    "usage": help_command,
    "list": list_command,
    "liste": list_command,
    "catalogue": list_command,
}


#: The grammar's refusals that mean "these are words, not the grammar": read as a sentence.
SENTENCE_CODES = frozenset(
    {"unexpected_word", "which_kpi", "by_needs_attribute", "negation_needs_filter"}
)


@dataclass(frozen=True)
class Reply:
    """What kpibot answers to a command or a message."""

    message: Message
    #: Whether the asker wrote `share` (or `partager`).
    share: bool = False
    #: Whether the message is a KPI's figure (not help, an error or a management answer).
    figure: bool = False
    #: The language it is written in.
    language: str = "en"
    #: The chart asked with the question (`chart`), drawn and sent after the answer.
    chart: ChartAsk | None = None


def respond_to(
    deps: Deps, commands: Commands, command: str, raw_text: str, caller: Caller | None = None
) -> Reply:
    """What a command (or a message to kpibot) answers, computed now; bad input answers too.

    The listeners, the mentions and direct messages, `kpibot ask` and the demo all answer
    through it; the listener adds the access rules and the deadline. `caller` is who asks
    (the operator when None).
    """
    settings = deps.settings
    kpi = COMMANDS.get(command, "missing")
    if kpi == "missing":
        said = say("unknown_command", settings.language, command=command, known=", ".join(COMMANDS))
        return Reply(blocks.error(said, language=settings.language), language=settings.language)
    parsed = read_command(raw_text)
    words = parsed.words
    language: str = language_of(parsed.text) or settings.language
    if kpi is None:
        manage = commands.find(words[0] if words else "help")
        if manage is not None:
            rest = CommandText(
                words[1:], parsed.share, parsed.channels, parsed.users, parsed.groups, parsed.labels
            )
            asked = Asked(deps, rest, caller or Caller(), commands, language_of(parsed.text) or "")
            return Reply(manage(asked), language=asked.says)
    message, figure, chart = ask(deps, parsed.text, kpi=kpi, language=language)
    return Reply(message, parsed.share and figure, figure, language, chart)


def reply(
    deps: Deps, commands: Commands, command: str, raw_text: str, caller: Caller | None = None
) -> tuple[Message, bool]:
    """What a command answers (message, shared?): `respond_to` for callers that need no more."""
    answered = respond_to(deps, commands, command, raw_text, caller)
    return answered.message, answered.share


def _typed(text: str, kpi: str | None) -> str:
    return " ".join(f"{kpi or ''} {text}".lower().split())


def _compute(deps: Deps, question: Question) -> KpiResult | Why:
    """The question's result, or the result with what moved it (`why`)."""
    return (
        why(deps=deps, question=question) if question.why else answer(deps=deps, question=question)
    )


def _message(deps: Deps, found: KpiResult | Why, language: str, understood: str | None) -> Message:
    from handlers.insights.blocks import why_message

    currency = deps.settings.currency
    if isinstance(found, Why):
        return why_message(found, currency=currency, language=language, understood=understood)
    return blocks.answer(found, currency=currency, language=language, understood=understood)


def _result(found: KpiResult | Why) -> KpiResult:
    return found.result if isinstance(found, Why) else found


def _asks_why(text: str) -> bool:
    return any(fold(w) in WHY_WORDS for w in re.findall(r"[^\W\d_]+", text))


def ask(
    deps: Deps, text: str, *, kpi: str | None, language: str
) -> tuple[Message, bool, ChartAsk | None]:
    """A KPI question in the grammar or in words: (the message, whether it is a figure, the
    chart asked with it)."""
    try:
        question = parse_question(text, kpi=kpi, names=attribute_names(deps.settings))
        found = _compute(deps, question)
    except QuestionError as exc:
        if exc.code not in SENTENCE_CODES:
            return _bad_input(exc, language), False, None
        strict: Exception = exc
    except UnknownKpi as exc:
        strict = exc
    except KpiError as exc:
        return _bad_input(exc, language), False, None
    else:
        result = _result(found)
        typed = canonical(result, question, kpi=question.kpi.lower())
        understood = None
        if typed.text.lower() != _typed(text, kpi):
            understood = blocks.understood_line(canonical(result, question), (), language)
        chart = ChartAsk(question, result.period, language) if question.chart else None
        return _message(deps, found, language, understood), True, chart
    reading = read(deps, text, kpi=kpi)
    exact = reading.question is not None and reading.exact_kpi
    if isinstance(strict, UnknownKpi) and not exact and reading.issue != "nothing":
        return _bad_input(strict, language), False, None
    if reading.question is None:
        return blocks.not_understood(reading, language=reading.language or language), False, None
    language = reading.language or language
    asked = reading.question
    if _asks_why(text) and not asked.why:
        asked = dataclasses.replace(asked, why=True)
    try:
        found = _compute(deps, asked)
    except KpiError as exc:
        return _bad_input(exc, language), False, None
    understood = blocks.understood_line(
        canonical(_result(found), asked), reading.corrected, language
    )
    result = _result(found)
    chart = ChartAsk(asked, result.period, language) if asked.chart else None
    return _message(deps, found, language, understood), True, chart


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
        user_id, channel_id = body.get("user_id", ""), body.get("channel_id", "")

        def work() -> Reply:
            reason = access.refusal(
                client,
                user_id=body.get("user_id", ""),
                team_id=body.get("team_id", ""),
                share=command.share,
                enterprise_id=body.get("enterprise_id") or "",
            )
            if reason is not None:
                outcome[0] = "refused"
                return Reply(refusal(word(reason, language), language=language))
            caller = Caller(
                user_id=user_id,
                team_id=body.get("team_id", ""),
                client=client,
                access=access,
            )
            answered = respond_to(deps, parts.commands, name, body.get("text", ""), caller)
            if answered.chart is None:
                return answered
            note = chart_note(share=answered.share, language=answered.language)
            shown = Message(
                answered.message.text, [*answered.message.blocks[: MAX_BLOCKS - 1], note]
            )
            return dataclasses.replace(answered, message=shown)

        def chart_after(answered: Reply) -> None:
            """The chart follows the answer, drawn in the pool (the answer never waits)."""
            if answered.chart is None:
                return
            pool.submit(
                contextvars.copy_context().run,
                send_chart,
                deps,
                client,
                answered.chart,
                user_id=user_id,
                channel_id=channel_id,
                share=answered.share,
            )

        outcome = ["answered"]
        future: Future[Reply] = pool.submit(contextvars.copy_context().run, work)
        try:
            if deps.answer_deadline <= 0:  # always answer through response_url
                raise FutureTimeout
            answered = future.result(timeout=deps.answer_deadline)
            message, share = answered.message, answered.share
        except FutureTimeout:
            ack(text=word("working", language), response_type="ephemeral")

            def late(done: Future[Reply]) -> None:
                counted(_late(done, respond, language), started)
                if done.exception() is None:
                    chart_after(done.result())

            future.add_done_callback(late)
            return
        except Exception as exc:
            failure, outcome[0] = _failure_for(exc, body.get("text"), language)
            ack(**_payload(failure, share=False))
            counted(outcome[0], started)
            return
        ack(**_payload(message, share=share))
        counted(outcome[0], started)
        chart_after(answered)

    return listener


def _failure_for(exc: BaseException, text: object, language: str) -> tuple[Message, str]:
    """The answer to a command that raised, and its outcome: a short "the database is
    unavailable" when it is, else a bug's answer with its error id."""
    if unavailable(exc):
        log.warning("answering %r: the database is unavailable (%s)", text, exc)
        return blocks.error(word("db_unavailable", language), language=language), "unavailable"
    return failure(text, language), "failed"


def failure(text: object, language: str) -> Message:
    """A bug's answer: a short error id the user can quote, logged with the traceback.

    Called inside an `except` block (the log line carries the exception).
    """
    error_id = uuid.uuid4().hex[:8]
    log.exception("error %s: answering %r failed", error_id, text)
    return blocks.error(say("failed_id", language, id=error_id), language=language)


def _late(done: Future[Reply], respond: Respond, language: str) -> str:
    """Answer a slow question through response_url once it is computed; its outcome."""
    outcome = "late"
    try:
        answered = done.result()
        payload = _payload(answered.message, share=answered.share)
    except Exception as exc:
        failure, outcome = _failure_for(exc, "(a slow answer)", language)
        payload = _payload(failure, share=False)
    try:
        respond(**payload, replace_original=False)
    except Exception:
        log.exception("posting to response_url failed")
    return outcome


def register(app: App, parts: SlackParts) -> None:
    """Wire every command listener, and the buttons that ask the closest commands."""
    for command in COMMANDS:
        app.command(command)(make_listener(parts, command))
    app.action(re.compile(f"^{re.escape(blocks.ASK_ACTION)}\\d+$"))(ask_button(parts))


def ask_button(parts: SlackParts) -> Callable[..., None]:
    """A click on one of the closest commands: asks it as `/kpi …`, answered privately."""
    deps, access = parts.deps, parts.access

    def clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id", "") or user.get("team_id", "")
        language = deps.settings.language
        reason = access.refusal(
            client,
            user_id=user.get("id", ""),
            team_id=team,
            share=False,
            enterprise_id=(body.get("enterprise") or {}).get("id", "") or "",
        )
        if reason is not None:
            message = refusal(word(reason, language), language=language)
            respond(**_payload(message, share=False), replace_original=False)
            return
        caller = Caller(user_id=user.get("id", ""), team_id=team, client=client, access=access)
        try:
            answered = respond_to(
                deps, parts.commands, "/kpi", str(action.get("value", "")), caller
            )
            message = answered.message
        except Exception:
            message = failure(action.get("value"), language)
        respond(**_payload(message, share=False), replace_original=False)

    return clicked
