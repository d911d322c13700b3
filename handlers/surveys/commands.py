"""`/kpi survey …`: open a round (or a recurring pulse) in a channel, list, close, remove.

Everyone who may use kpibot may list; opening, closing and removing is for KPIBOT_ADMINS (or
the workspace's admins and owners when it is unset), as for digests and alerts. Every answer
is ephemeral, in the workspace's language; bad input gets the usage.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from handlers.feature import Asked
from handlers.i18n import say, when, word
from handlers.slack.blocks import Message, cannot, notice
from handlers.slack.caller import Caller
from handlers.surveys.blocks import question_text
from handlers.surveys.jobs import CADENCE_CRON, new_round
from kpis.question import tokens
from storage.db import session_scope
from storage.surveys.store import (
    close_round,
    create_pulse,
    delete_pulse,
    delete_round,
    get_round,
    list_pulses,
    list_rounds,
    open_round,
)
from storage.surveys.tables import RoundStatus, SurveyPulse, SurveyRound

KINDS = ("enps", "csat")
DEFAULT_OPEN = timedelta(days=7)
_CHANNEL_ID = re.compile(r"^#?([CG][A-Z0-9]{6,})$")
_DURATION = re.compile(r"^(\d{1,3})([mhdw])$", re.IGNORECASE)
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_EVERY = {
    "monthly": "monthly",
    "mensuel": "monthly",
    "quarterly": "quarterly",
    "trimestriel": "quarterly",
}
_TEAM = re.compile(r"^[^\s=]{1,128}$")


class SurveyInputError(ValueError):
    """Words `/kpi survey` cannot use; the message says which and why."""


def survey_command(asked: Asked) -> Message:
    """Answer `/kpi survey …`."""
    deps, words, caller = asked.deps, asked.words, asked.caller
    language = deps.settings.language
    verb = words.words[0].lower() if words.words else ("enps" if words.channels else "help")
    rest = words.words[1:]
    usage = word("survey_usage", language)
    try:
        if verb in ("help", "usage"):
            return notice(f"{word('survey_usage_title', language)}\n{usage}")
        if verb in ("list", "ls"):
            return list_message(deps)
        implicit = "=" in verb or _CHANNEL_ID.match(verb) is not None
        if verb in (*KINDS, "close", "remove", "delete", "rm") or implicit:
            reason = caller.admin_refusal(deps.settings.admins)
            if reason is not None:
                return notice(say("survey_cannot_change", language, reason=word(reason, language)))
            if verb in KINDS:
                return _open(deps, asked, verb, rest, caller)
            if implicit:
                return _open(deps, asked, "enps", words.words, caller)
            if verb == "close":
                return _close(deps, rest)
            return _remove(deps, rest)
    except SurveyInputError as exc:
        return cannot(str(exc), usage, language=language)
    return cannot(say("survey_unknown_command", language, verb=verb), usage, language=language)


def open_for(text: str, language: str) -> timedelta:
    """`closes=3d`: how long a round stays open (an hour to 90 days)."""
    match = _DURATION.match(text)
    if match is None:
        raise SurveyInputError(say("survey_bad_closes", language, text=text))
    span = timedelta(seconds=int(match[1]) * _UNITS[match[2].lower()])
    if not timedelta(hours=1) <= span <= timedelta(days=90):
        raise SurveyInputError(say("survey_bad_closes", language, text=text))
    return span


def _channel_problem(caller: Caller, channel: str, language: str) -> tuple[str | None, str]:
    """Why kpibot could not survey the channel (None when it can), and the channel's name."""
    if caller.client is None:
        return None, ""
    invite = say("digest_invite", language, channel=channel)
    try:
        info = caller.client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        if error in ("channel_not_found", "not_in_channel"):
            return say("digest_cannot_see", language, channel=channel, invite=invite), ""
        return say("digest_slack_silent", language, channel=channel, error=error), ""
    if info.get("is_archived"):
        return say("digest_archived", language, channel=channel), ""
    if info.get("is_private") and not info.get("is_member"):
        return say("digest_private", language, channel=channel, invite=invite), ""
    return None, str(info.get("name") or "")


def _open(deps: Deps, asked: Asked, kind: str, rest: list[str], caller: Caller) -> Message:
    language = deps.settings.language
    words = asked.words
    channel = words.channels[0] if words.channels else None
    question: str | None = None
    team: str | None = None
    span = DEFAULT_OPEN
    every: str | None = None
    text = " ".join(rest).replace("“", '"').replace("”", '"').replace("«", '"').replace("»", '"')
    for token in tokens(text):
        lower = token.lower()
        if match := _CHANNEL_ID.match(token):
            channel = match[1]
        elif lower.startswith("question="):
            question = " ".join(token.split("=", 1)[1].split()) or None
        elif lower.startswith(("team=", "equipe=", "équipe=")):
            team = token.split("=", 1)[1]
            if not _TEAM.match(team):
                raise SurveyInputError(say("survey_bad_team", language, text=team))
        elif lower.startswith(("closes=", "fermeture=")):
            span = open_for(token.split("=", 1)[1], language)
        elif lower.startswith(("every=", "chaque=")):
            value = token.split("=", 1)[1].lower()
            if value not in _EVERY:
                raise SurveyInputError(say("survey_bad_every", language, text=value))
            every = _EVERY[value]
        else:
            raise SurveyInputError(say("unexpected", language, token=token))
    if channel is None:
        raise SurveyInputError(word("survey_needs_channel", language))
    problem, name = _channel_problem(caller, channel, language)
    if problem is not None:
        raise SurveyInputError(problem)
    name = words.labels.get(channel) or name or channel
    team = team or name
    now = deps.clock()
    pulse_id: int | None = None
    with session_scope(deps.sessions) as session:
        if every is not None:
            pulse_id = create_pulse(
                session=session,
                pulse=SurveyPulse(
                    team_id=caller.team_id,
                    channel_id=channel,
                    channel_name=name,
                    kind=kind,
                    question=question,
                    team=team,
                    open_seconds=int(span.total_seconds()),
                    cadence=every,
                    cron=CADENCE_CRON[every],
                    timezone=deps.settings.timezone,
                    created_at=now,
                    updated_at=now,
                ),
            )
        round_id = open_round(
            session=session,
            round_=new_round(
                team_id=caller.team_id,
                channel_id=channel,
                channel_name=name,
                kind=kind,
                question=question,
                team=team,
                open_for=span,
                now=now,
                pulse_id=pulse_id,
                scheduled_for=now if pulse_id is not None else None,
            ),
        )
    closes = _local(now + span, deps.settings.timezone, language)
    text = say(
        "survey_opened",
        language,
        id=round_id,
        kind=word(f"survey_kind_{kind}", language),
        channel=channel,
        team=team,
        closes=closes,
        question=question_text(kind, question, team, language),
    )
    if pulse_id is not None:
        text += "\n" + say(
            "survey_pulse_added", language, id=pulse_id, every=word(f"survey_{every}", language)
        )
    return notice(text)


def _round_id(rest: list[str], language: str) -> int:
    if not rest:
        raise SurveyInputError(word("survey_which", language))
    text = rest[0].lstrip("#")
    if not text.isdigit():
        raise SurveyInputError(say("survey_not_id", language, text=rest[0]))
    return int(text)


def _close(deps: Deps, rest: list[str]) -> Message:
    language = deps.settings.language
    round_id = _round_id(rest, language)
    with session_scope(deps.sessions) as session:
        found = get_round(session=session, round_id=round_id)
        if found is None:
            raise SurveyInputError(say("survey_missing", language, id=round_id))
        if not close_round(session=session, round_id=round_id, now=deps.clock()):
            return notice(say("survey_already_closed", language, id=round_id))
    return notice(say("survey_closed_now", language, id=round_id))


def _remove(deps: Deps, rest: list[str]) -> Message:
    language = deps.settings.language
    if rest and rest[0].upper().startswith("P") and rest[0][1:].isdigit():
        pulse_id = int(rest[0][1:])
        with session_scope(deps.sessions) as session:
            if not delete_pulse(session=session, pulse_id=pulse_id):
                raise SurveyInputError(say("survey_pulse_missing", language, id=pulse_id))
        return notice(say("survey_pulse_removed", language, id=pulse_id))
    round_id = _round_id(rest, language)
    with session_scope(deps.sessions) as session:
        if not delete_round(session=session, round_id=round_id, now=deps.clock()):
            raise SurveyInputError(say("survey_missing", language, id=round_id))
    return notice(say("survey_removed", language, id=round_id))


def _local(instant: datetime, tz: str, language: str) -> str:
    return when(instant.astimezone(ZoneInfo(tz)), "%a %d %b %H:%M", language)


def round_line(round_: SurveyRound, tz: str, language: str) -> str:
    """One round as `/kpi survey list` shows it."""
    kind = word(f"survey_kind_{round_.kind}", language)
    rate = f" ({round(100 * round_.answered / round_.asked)} %)" if round_.asked else ""
    if round_.status == RoundStatus.CLOSED:
        state = say(
            "survey_line_closed",
            language,
            when=_local(round_.closed_at or round_.closes_at, tz, language),
        )
    else:
        state = say("survey_line_open", language, when=_local(round_.closes_at, tz, language))
        if round_.status in (RoundStatus.NEW, RoundStatus.LISTING, RoundStatus.SENDING):
            state += " · " + word("survey_line_sending", language)
        if round_.reminder_at is not None:
            state += " · " + say("survey_line_reminded", language, n=round_.reminded)
    counts = say(
        "survey_line_counts", language, answered=round_.answered, asked=round_.asked, rate=rate
    )
    pulse = f" · P{round_.pulse_id}" if round_.pulse_id is not None else ""
    where = f"<#{round_.channel_id}> · team={round_.team}{pulse}"
    return f"*#{round_.id}* {kind} {where}\n  {state} · {counts}"


def list_message(deps: Deps) -> Message:
    """The recent rounds, with their counts, and the recurring pulses."""
    language = deps.settings.language
    tz = deps.settings.timezone
    with session_scope(deps.sessions) as session:
        rounds = list_rounds(session=session, limit=10)
        pulses = list_pulses(session=session)
    if not rounds and not pulses:
        return notice(word("survey_none", language) + "\n" + word("survey_usage", language))
    lines = [round_line(r, tz, language) for r in rounds]
    for pulse in pulses:
        every = word(f"survey_{pulse.cadence}", language)
        kind = word(f"survey_kind_{pulse.kind}", language)
        lines.append(f"*P{pulse.id}* {kind} <#{pulse.channel_id}> · {every} · team={pulse.team}")
    return notice("\n".join(lines))
