"""`/kpi alert …`: detractor routes, threshold rules, the list of open alerts.

Adding and removing is for KPIBOT_ADMINS (or the workspace's admins and owners); everyone who
may use kpibot may list. Every answer is ephemeral; bad input gets the usage.
"""

from __future__ import annotations

import re

from slack_sdk.models.blocks import Block, HeaderBlock, PlainTextObject, SectionBlock

from handlers import formatting as fmt
from handlers.alerts.blocks import mentions
from handlers.alerts.worker import rule_text
from handlers.answers.service import resolve_kpi
from handlers.deps import Deps
from handlers.feature import Asked
from handlers.i18n import explain, say, unknown_kpi, word
from handlers.slack.blocks import Message, cannot, limits, md, notice
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText
from kpis.bands import ALERTING_SURVEYS
from kpis.catalogue import UnknownKpi
from kpis.periods import PeriodError, looks_like_period, parse_period
from kpis.question import QuestionError, filter_of, parse_question
from storage.alerts.store import (
    add,
    delete_route,
    delete_rule,
    list_routes,
    list_rules,
    open_alerts,
)
from storage.alerts.tables import AlertRoute, AlertStatus, Comparison, LoopState, ThresholdRule
from storage.db import session_scope

OPERATORS = {
    "<": Comparison.BELOW,
    "below": Comparison.BELOW,
    ">": Comparison.ABOVE,
    "above": Comparison.ABOVE,
    "drops-by": Comparison.DROPS_BY,
}


class AlertInputError(ValueError):
    """Words `/kpi alert` cannot use; the message says which and why (in the user's language)."""


def alert_command(asked: Asked) -> Message:
    """Answer `/kpi alert …`."""
    deps, words, caller = asked.deps, asked.words, asked.caller
    language = deps.settings.language
    verb = words.words[0].lower() if words.words else "help"
    rest = words.words[1:]
    try:
        if verb in ("help", "usage"):
            return notice(f"{word('alert_usage_title', language)}\n{word('alert_usage', language)}")
        if verb in ("list", "ls"):
            return list_message(deps)
        if verb in ("detractors", "detractor", "when", "remove", "delete", "rm"):
            reason = caller.admin_refusal(deps.settings.admins)
            if reason is not None:
                return notice(say("alert_cannot_change", language, reason=word(reason, language)))
            if verb.startswith("detractor"):
                return _detractors(deps, words, rest, caller)
            if verb == "when":
                return _when(deps, words, rest, caller)
            return _remove(deps, rest)
    except AlertInputError as exc:
        return cannot(str(exc), word("alert_usage", language), language=language)
    return cannot(
        say("alert_unknown_command", language, verb=verb),
        word("alert_usage", language),
        language=language,
    )


def _channel(words: CommandText, language: str) -> str:
    if not words.channels:
        raise AlertInputError(word("alert_needs_channel", language))
    return words.channels[0]


def _detractors(deps: Deps, words: CommandText, rest: list[str], caller: Caller) -> Message:
    language = deps.settings.language
    channel = _channel(words, language)
    leads = [*words.users, *words.groups]
    if not leads:
        raise AlertInputError(word("alert_needs_lead", language))
    surveys = list(ALERTING_SURVEYS)
    filters = []
    for token in rest:
        lower = token.lower()
        if lower.startswith("survey=") or lower.startswith("surveys="):
            surveys = [s for s in token.split("=", 1)[1].lower().split(",") if s]
            if "enps" in surveys:
                raise AlertInputError(word("alert_enps_anonymous", language))
            unknown = [s for s in surveys if s not in ALERTING_SURVEYS]
            if unknown:
                raise AlertInputError(say("alert_unknown_survey", language, survey=unknown[0]))
        elif found := filter_of(token):
            filters.append(found.text)
        else:
            raise AlertInputError(say("unexpected", language, token=token))
    route = AlertRoute(
        channel_id=channel,
        leads=leads,
        surveys=surveys,
        filters=filters,
        created_by=caller.user_id,
        created_at=deps.clock(),
    )
    with session_scope(deps.sessions) as session:
        route_id = add(session=session, row=route)
    segment = say("alert_segment", language, filters=" ".join(filters)) if filters else ""
    return notice(
        say(
            "alert_route_added",
            language,
            id=route_id,
            surveys=", ".join(surveys),
            segment=segment,
            channel=channel,
            leads=mentions(leads),
        )
    )


def _when(deps: Deps, words: CommandText, rest: list[str], caller: Caller) -> Message:
    language = deps.settings.language
    channel = _channel(words, language)
    text = " ".join(rest)
    match = re.search(
        r"\s(<|>|below|above|drops-by)\s+(-?\d+(?:\.\d+)?)\s*(%|s|min|m|h|d)?\s*$", " " + text
    )
    if match is None:
        raise AlertInputError(word("alert_say_when", language))
    comparison = OPERATORS[match[1]]
    threshold = (
        float(match[2])
        * {None: 1, "%": 1, "s": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}[match[3]]
    )
    question_text = (" " + text)[: match.start()].strip()
    try:
        question = parse_question(question_text)
        if question.group_by:
            raise AlertInputError(word("alert_one_figure", language))
        with session_scope(deps.sessions) as session:
            kpi = resolve_kpi(session, question.kpi)
        period = question.period or "last-7d"
        if not looks_like_period(period):
            raise AlertInputError(say("alert_unknown_period", language, period=period))
        parse_period(period, now=deps.clock(), tz=deps.settings.timezone)
    except UnknownKpi as exc:
        raise AlertInputError(unknown_kpi(exc, language)) from None
    except (QuestionError, PeriodError) as exc:
        raise AlertInputError(explain(exc, language)) from None
    rule = ThresholdRule(
        kpi=kpi.key,
        period=period,
        comparison=comparison,
        threshold=threshold,
        filters=[f.text for f in question.filters],
        channel_id=channel,
        leads=[*words.users, *words.groups],
        created_by=caller.user_id,
        created_at=deps.clock(),
    )
    with session_scope(deps.sessions) as session:
        rule_id = add(session=session, row=rule)
    return notice(
        say("alert_rule_added", language, id=rule_id, rule=rule_text(rule), channel=channel)
    )


def _remove(deps: Deps, rest: list[str]) -> Message:
    language = deps.settings.language
    if not rest:
        raise AlertInputError(word("alert_which", language))
    target = rest[0].lower().lstrip("#")
    kind, number = ("t", target[1:]) if target.startswith("t") else ("d", target.lstrip("d"))
    if not number.isdigit():
        raise AlertInputError(say("alert_not_target", language, text=rest[0]))
    with session_scope(deps.sessions) as session:
        if kind == "t":
            found = delete_rule(session=session, rule_id=int(number))
        else:
            found = delete_route(session=session, route_id=int(number))
    if not found:
        missing = "alert_no_rule" if kind == "t" else "alert_no_route"
        raise AlertInputError(say(missing, language, id=number))
    removed = "alert_rule_removed" if kind == "t" else "alert_route_removed"
    return notice(say(removed, language, id=number))


def list_message(deps: Deps) -> Message:
    """Routes, rules, and the open alerts by age."""
    language = deps.settings.language
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        routes = list_routes(session=session)
        rules = list_rules(session=session)
        waiting = open_alerts(session=session, limit=20)
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text=word("alert_list_title", language)))]
    lines = [
        say(
            "alert_list_route",
            language,
            id=r.id,
            surveys=", ".join(r.surveys),
            segment=say("alert_segment", language, filters=" ".join(r.filters))
            if r.filters
            else "",
            channel=r.channel_id,
            leads=mentions(r.leads),
        )
        for r in routes
    ] or [word("alert_list_no_routes", language)]
    out.append(SectionBlock(text=md("\n".join(lines))))
    lines = []
    for rule in rules:
        state = word("alert_list_holding" if rule.holding else "alert_list_not_holding", language)
        last = (
            ""
            if rule.last_value is None
            else say("alert_list_last", language, value=fmt.number(rule.last_value, 1, language))
        )
        lines.append(
            say(
                "alert_list_rule",
                language,
                id=rule.id,
                rule=rule_text(rule),
                channel=rule.channel_id,
                state=state,
                last=last,
            )
        )
    out.append(SectionBlock(text=md("\n".join(lines) or word("alert_list_no_rules", language))))
    lines = []
    for alert in waiting:
        who = (
            say("alert_list_claimed_by", language, user=alert.claimed_by)
            if alert.state == LoopState.CLAIMED
            else ""
        )
        delivery = ""
        if alert.status != AlertStatus.POSTED:
            status = word(f"alert_status_{alert.status}", language)
            delivery = say("alert_list_delivery", language, status=status)
            if alert.error:
                delivery += f": {alert.error}"
        lines.append(
            say(
                "alert_list_open",
                language,
                id=alert.id,
                channel=alert.channel_id,
                state=word(f"alert_state_{alert.state}", language),
                age=fmt.duration((now - alert.created_at).total_seconds(), language),
                who=who,
                delivery=delivery,
            )
        )
    title = word("alert_list_open_title", language)
    body = "\n".join(lines) or word("alert_list_none_open", language)
    out.append(SectionBlock(text=md(f"{title}\n{body}")))
    summary = say(
        "alert_list_summary", language, routes=len(routes), rules=len(rules), open=len(waiting)
    )
    return Message(summary, limits(out))
