"""`/kpi alert …`: detractor routes, threshold rules, the list of open alerts.

Adding and removing is for KPIBOT_ADMINS (or the workspace's admins and owners); everyone who
may use kpibot may list. Every answer is ephemeral; bad input gets the usage.
"""

from __future__ import annotations

import re
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers import formatting as fmt
from handlers.alerts.blocks import mentions
from handlers.alerts.worker import rule_text
from handlers.deps import Deps
from handlers.kpi_service import resolve_kpi
from handlers.slack import blocks
from handlers.slack.caller import Caller
from handlers.slack.i18n import word
from handlers.slack.text import CommandText
from kpis.catalogue import UnknownKpi
from kpis.periods import PeriodError, looks_like_period, parse_period
from kpis.question import QuestionError, parse_question
from storage.alert_tables import AlertRoute, ThresholdRule
from storage.alerts import (
    ALERTING_SURVEYS,
    add,
    delete_route,
    delete_rule,
    list_routes,
    list_rules,
    open_alerts,
)
from storage.db import session_scope

USAGE = (
    "`/kpi alert detractors #channel @lead|@group [survey=nps,csat] [attribute=value …]`\n"
    "`/kpi alert when nps last-7d < 30 #channel [@lead]` (`<`, `>`, `below`, `above`, "
    "`drops-by N`)\n"
    "`/kpi alert list` · `/kpi alert remove d1|t1`"
)
_FILTER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*!?=.+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
OPERATORS = {"<": "below", "below": "below", ">": "above", "above": "above", "drops-by": "drops-by"}


class AlertInputError(ValueError):
    """Words `/kpi alert` cannot use; the message says which and why."""


def alert_command(deps: Deps, words: CommandText, caller: Caller) -> blocks.Message:
    """Answer `/kpi alert …`."""
    verb = words.words[0].lower() if words.words else "help"
    rest = words.words[1:]
    try:
        if verb in ("help", "usage"):
            return _ok("*Alerts*\n" + USAGE)
        if verb in ("list", "ls"):
            return list_message(deps)
        if verb in ("detractors", "detractor", "when", "remove", "delete", "rm"):
            reason = caller.admin_refusal(deps.settings.admins)
            if reason is not None:
                text = word(reason, deps.settings.language)
                return _ok(f":no_entry: You can't change alerts: {text}.")
            if verb.startswith("detractor"):
                return _detractors(deps, words, rest, caller)
            if verb == "when":
                return _when(deps, words, rest, caller)
            return _remove(deps, rest)
    except AlertInputError as exc:
        return _error(str(exc))
    return _error(f"unknown alert command '{verb}'")


def _ok(text: str) -> blocks.Message:
    return blocks.Message(text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])


def _error(message: str) -> blocks.Message:
    text = f"Sorry, I can't do that: {message}"
    return blocks.Message(
        text,
        [
            SectionBlock(text=MarkdownTextObject(text=f":warning: *{text}*")).to_dict(),
            SectionBlock(text=MarkdownTextObject(text=USAGE)).to_dict(),
        ],
    )


def _channel(words: CommandText) -> str:
    if not words.channels:
        raise AlertInputError("name the channel to post in, e.g. `#support-leads`")
    return words.channels[0]


def _detractors(deps: Deps, words: CommandText, rest: list[str], caller: Caller) -> blocks.Message:
    channel = _channel(words)
    leads = [*words.users, *words.groups]
    if not leads:
        raise AlertInputError("mention the lead(s) to ping: `@lead` or `@support-leads`")
    surveys = list(ALERTING_SURVEYS)
    filters = []
    for token in rest:
        lower = token.lower()
        if lower.startswith("survey=") or lower.startswith("surveys="):
            surveys = [s for s in token.split("=", 1)[1].lower().split(",") if s]
            if "enps" in surveys:
                raise AlertInputError(
                    "eNPS answers are anonymous: they never raise an alert of their own "
                    "(a threshold rule on eNPS works: `/kpi alert when enps last-30d < 10 …`)"
                )
            unknown = [s for s in surveys if s not in ALERTING_SURVEYS]
            if unknown:
                raise AlertInputError(f"unknown survey '{unknown[0]}' (nps, csat or ces)")
        elif _FILTER.match(token):
            filters.append(token)
        else:
            raise AlertInputError(f"unexpected word '{token}'")
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
    segment = f" where {' '.join(filters)}" if filters else ""
    return _ok(
        f":white_check_mark: Route *d{route_id}*: detractors of {', '.join(surveys)}{segment} "
        f"go to <#{channel}>, mentioning {mentions(leads)}."
    )


def _when(deps: Deps, words: CommandText, rest: list[str], caller: Caller) -> blocks.Message:
    channel = _channel(words)
    text = " ".join(rest)
    match = re.search(
        r"\s(<|>|below|above|drops-by)\s+(-?\d+(?:\.\d+)?)\s*(%|s|min|m|h|d)?\s*$", " " + text
    )
    if match is None:
        raise AlertInputError(
            "say when, e.g. `nps last-7d < 30`, `csat above 90%`, `frt this-week > 4h` or "
            "`nps drops-by 10`"
        )
    comparison = OPERATORS[match[1]]
    threshold = (
        float(match[2])
        * {None: 1, "%": 1, "s": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}[match[3]]
    )
    question_text = (" " + text)[: match.start()].strip()
    try:
        question = parse_question(question_text)
        if question.group_by:
            raise AlertInputError("a rule watches one figure: no `by`")
        with session_scope(deps.sessions) as session:
            kpi = resolve_kpi(session, question.kpi)
        period = question.period or "last-7d"
        if not looks_like_period(period):
            raise AlertInputError(f"unknown period '{period}'")
        parse_period(period, now=deps.clock(), tz=deps.settings.timezone)
    except UnknownKpi as exc:
        hint = f" (did you mean {', '.join(exc.suggestions)}?)" if exc.suggestions else ""
        raise AlertInputError(f"unknown KPI '{exc.text}'{hint}") from None
    except (QuestionError, PeriodError) as exc:
        raise AlertInputError(str(exc)) from None
    rule = ThresholdRule(
        kpi=kpi.key,
        period=period,
        comparison=comparison,
        threshold=threshold,
        filters=[f"{f.name}{'!=' if f.negate else '='}{f.value}" for f in question.filters],
        channel_id=channel,
        leads=[*words.users, *words.groups],
        created_by=caller.user_id,
        created_at=deps.clock(),
    )
    with session_scope(deps.sessions) as session:
        rule_id = add(session=session, row=rule)
    return _ok(
        f":white_check_mark: Rule *t{rule_id}*: `{rule_text(rule)}` is checked on every "
        f"ingest and every 15 minutes; <#{channel}> hears once when it starts to hold and "
        "once when it recovers."
    )


def _remove(deps: Deps, rest: list[str]) -> blocks.Message:
    if not rest:
        raise AlertInputError("which one? `d3` for a detractor route, `t2` for a rule")
    target = rest[0].lower().lstrip("#")
    kind, number = ("t", target[1:]) if target.startswith("t") else ("d", target.lstrip("d"))
    if not number.isdigit():
        raise AlertInputError(f"'{rest[0]}' is not a route (d3) or rule (t2)")
    with session_scope(deps.sessions) as session:
        if kind == "t":
            found = delete_rule(session=session, rule_id=int(number))
        else:
            found = delete_route(session=session, route_id=int(number))
    if not found:
        raise AlertInputError(f"no {'rule' if kind == 't' else 'route'} {kind}{number}")
    return _ok(f":wastebasket: {'Rule' if kind == 't' else 'Route'} *{kind}{number}* removed.")


def _age(now: datetime, then: datetime) -> str:
    return fmt.duration((now - then).total_seconds())


def list_message(deps: Deps) -> blocks.Message:
    """Routes, rules, and the open alerts by age."""
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        routes = list_routes(session=session)
        rules = list_rules(session=session)
        waiting = open_alerts(session=session, limit=20)
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text="Alerts"))]
    lines = [
        f"*d{r.id}* detractors of {', '.join(r.surveys)}"
        + (f" where {' '.join(r.filters)}" if r.filters else "")
        + f" → <#{r.channel_id}> {mentions(r.leads)}"
        for r in routes
    ] or ["No detractor routes."]
    out.append(SectionBlock(text=MarkdownTextObject(text=blocks.clip("\n".join(lines), 3000))))
    lines = []
    for rule in rules:
        state = "holding :red_circle:" if rule.holding else "not holding"
        last = "" if rule.last_value is None else f", last {rule.last_value:.1f}"
        lines.append(f"*t{rule.id}* `{rule_text(rule)}` → <#{rule.channel_id}> ({state}{last})")
    out.append(
        SectionBlock(
            text=MarkdownTextObject(
                text=blocks.clip("\n".join(lines) or "No threshold rules.", 3000)
            )
        )
    )
    lines = []
    for alert in waiting:
        age = _age(now, alert.created_at)
        who = f", claimed by <@{alert.claimed_by}>" if alert.state == "claimed" else ""
        delivery = "" if alert.status == "posted" else f" — delivery {alert.status}"
        if alert.error and alert.status != "posted":
            delivery += f": {alert.error}"
        lines.append(
            f"• alert {alert.id} in <#{alert.channel_id}>: {alert.state} for {age}{who}{delivery}"
        )
    title = "*Open detractor alerts, oldest first*\n"
    out.append(
        SectionBlock(
            text=MarkdownTextObject(
                text=blocks.clip(title + ("\n".join(lines) or "None: every alert is closed."), 3000)
            )
        )
    )
    return blocks.Message(
        f"{len(routes)} routes, {len(rules)} rules, {len(waiting)} open alerts", blocks._limits(out)
    )
