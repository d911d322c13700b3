"""`/kpi digest …`: add, list, remove, pause, resume and preview digest subscriptions.

Everyone who may use kpibot may list and preview; adding, removing, pausing and resuming is for
KPIBOT_ADMINS (or the workspace's admins and owners when it is unset). Every answer is
ephemeral, in the workspace's language; bad input gets the usage.
"""

from __future__ import annotations

import re
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, PlainTextObject, SectionBlock

from handlers.answers.service import resolve_kpi
from handlers.deps import Deps
from handlers.digests.blocks import digest_message
from handlers.digests.build import DEFAULT_KPIS, build_digest
from handlers.digests.schedule import (
    CADENCES,
    DAY_WORDS,
    Schedule,
    ScheduleError,
    cron_trigger,
    digest_period,
    is_time,
    next_fire,
    readable_schedule,
)
from handlers.feature import Asked
from handlers.i18n import explain, say, unknown_kpi, when, word
from handlers.slack.blocks import MAX_SECTION, Message, cannot, limits, md, notice
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText
from kpis.catalogue import UnknownKpi
from kpis.periods import UnknownTimezone, timezone
from kpis.question import filter_of, tokens
from storage.db import session_scope
from storage.digests.store import (
    create_subscription,
    delete_subscription,
    get_subscription,
    latest_deliveries,
    list_subscriptions,
    set_paused,
)
from storage.digests.tables import (
    Cadence,
    ChartStatus,
    DeliveryStatus,
    DigestDelivery,
    DigestSubscription,
)

CADENCE_WORDS = {
    **{c.value: c for c in CADENCES},
    "hebdo": Cadence.WEEKLY,
    "hebdomadaire": Cadence.WEEKLY,
    "quotidien": Cadence.DAILY,
    "mensuel": Cadence.MONTHLY,
}
_CHANNEL_ID = re.compile(r"^#?([CG][A-Z0-9]{6,})$")


class DigestInputError(ValueError):
    """Words `/kpi digest` cannot use; the message says which and why (in the user's language)."""


def digest_command(asked: Asked) -> Message:
    """Answer `/kpi digest …`."""
    deps, words, caller = asked.deps, asked.words, asked.caller
    language = deps.settings.language
    verb = words.words[0].lower() if words.words else "help"
    rest = words.words[1:]
    usage = word("digest_usage", language)
    try:
        if verb in ("help", "usage"):
            title = word("digest_usage_title", language)
            return Message(
                word("digest_usage_text", language),
                limits([SectionBlock(text=md(f"{title}\n{usage}"))]),
            )
        if verb in ("list", "ls"):
            return list_message(deps)
        if verb == "preview":
            return _preview(deps, _id(rest, language))
        if verb in ("add", "remove", "delete", "rm", "pause", "resume"):
            reason = caller.admin_refusal(deps.settings.admins)
            if reason is not None:
                return notice(say("digest_cannot_change", language, reason=word(reason, language)))
            if verb == "add":
                return _add(deps, words, rest, caller)
            return _change(deps, verb, _id(rest, language))
    except DigestInputError as exc:
        return cannot(str(exc), usage, language=language)
    except ScheduleError as exc:
        return cannot(exc.text(language), usage, language=language)
    return cannot(say("digest_unknown_command", language, verb=verb), usage, language=language)


def _id(rest: list[str], language: str) -> int:
    if not rest:
        raise DigestInputError(word("digest_which", language))
    text = rest[0].lstrip("#")
    if not text.isdigit():
        raise DigestInputError(say("digest_not_id", language, text=rest[0]))
    return int(text)


def parse_add(deps: Deps, words: CommandText, rest: list[str]) -> DigestSubscription:
    """Read `add`'s words into a new subscription (not stored); DigestInputError if unusable."""
    language = deps.settings.language
    channel = words.channels[0] if words.channels else None
    cadence: Cadence | None = None
    day: str | None = None
    at: str | None = None
    day_of_month: int | None = None
    tz = deps.settings.timezone
    cron: str | None = None
    kpis: list[str] = []
    filters: list[str] = []
    text = " ".join(rest).replace("“", '"').replace("”", '"')
    for token in tokens(text):
        lower = token.lower()
        if match := _CHANNEL_ID.match(token):
            channel = match[1]
        elif lower in CADENCE_WORDS:
            cadence = CADENCE_WORDS[lower]
        elif lower in DAY_WORDS:
            day = lower
        elif is_time(token):
            at = token
        elif token.isdigit():
            if not 1 <= int(token) <= 28:
                raise DigestInputError(say("digest_day_of_month", language, text=token))
            day_of_month = int(token)
        elif lower.startswith("tz="):
            tz = token[3:]
            try:
                timezone(tz)
            except UnknownTimezone as exc:
                raise DigestInputError(explain(exc, language)) from None
        elif lower.startswith("cron="):
            cron = " ".join(token[5:].split())
        elif lower.startswith("kpis="):
            kpis = [k for k in token[5:].replace(";", ",").split(",") if k]
        elif found := filter_of(token):
            filters.append(found.text)
        else:
            raise DigestInputError(say("unexpected", language, token=token))
    if channel is None:
        raise DigestInputError(word("digest_needs_channel", language))
    if cron is not None:
        if cadence or day or at or day_of_month:
            raise DigestInputError(word("digest_cron_or_readable", language))
        cron_trigger(cron, tz)
        schedule = Schedule(Cadence.CRON, cron, tz)
    else:
        schedule = readable_schedule(cadence, day, at, day_of_month, tz)
    keys = [_kpi_key(deps, k) for k in kpis] or list(DEFAULT_KPIS)
    now = deps.clock()
    return DigestSubscription(
        channel_id=channel,
        channel_name=words.labels.get(channel, ""),
        cadence=schedule.cadence,
        cron=schedule.cron,
        timezone=schedule.timezone,
        kpis=keys,
        filters=filters,
        created_at=now,
        updated_at=now,
    )


def _kpi_key(deps: Deps, text: str) -> str:
    try:
        with session_scope(deps.sessions) as session:
            return resolve_kpi(session, text).key
    except UnknownKpi as exc:
        raise DigestInputError(unknown_kpi(exc, deps.settings.language)) from None


def _channel_problem(caller: Caller, channel: str, language: str) -> str | None:
    """Why kpibot could not post in the channel, or None when it can."""
    if caller.client is None:
        return None
    invite = say("digest_invite", language, channel=channel)
    try:
        info = caller.client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        if error in ("channel_not_found", "not_in_channel"):
            return say("digest_cannot_see", language, channel=channel, invite=invite)
        return say("digest_slack_silent", language, channel=channel, error=error)
    if info.get("is_archived"):
        return say("digest_archived", language, channel=channel)
    if info.get("is_private") and not info.get("is_member"):
        return say("digest_private", language, channel=channel, invite=invite)
    return None


def _add(deps: Deps, words: CommandText, rest: list[str], caller: Caller) -> Message:
    language = deps.settings.language
    subscription = parse_add(deps, words, rest)
    problem = _channel_problem(caller, subscription.channel_id, language)
    if problem is not None:
        raise DigestInputError(problem)
    subscription.created_by = caller.user_id
    subscription.team_id = caller.team_id
    with session_scope(deps.sessions) as session:
        new_id = create_subscription(session=session, subscription=subscription)
    upcoming = next_fire(subscription.cron, subscription.timezone, deps.clock())
    schedule = Schedule(subscription.cadence, subscription.cron, subscription.timezone)
    first = _local(upcoming, subscription.timezone, language) if upcoming else None
    return notice(
        say(
            "digest_added",
            language,
            id=new_id,
            channel=subscription.channel_id,
            schedule=schedule.describe(language),
            kpis=", ".join(subscription.kpis),
            filters=f", {' '.join(subscription.filters)}" if subscription.filters else "",
            when=first or word("never", language),
        )
    )


def _change(deps: Deps, verb: str, subscription_id: int) -> Message:
    language = deps.settings.language
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        if verb in ("remove", "delete", "rm"):
            found = delete_subscription(session=session, subscription_id=subscription_id)
            done = say("digest_removed", language, id=subscription_id)
        else:
            paused = verb == "pause"
            reason = word("digest_paused_from_slack", language) if paused else None
            found = set_paused(
                session=session,
                subscription_id=subscription_id,
                paused=paused,
                reason=reason,
                now=now,
            )
            done = say(
                "digest_paused" if paused else "digest_resumed", language, id=subscription_id
            )
    if not found:
        raise DigestInputError(say("digest_missing", language, id=subscription_id))
    return notice(done)


def _local(instant: datetime, tz: str, language: str) -> str:
    return when(instant.astimezone(timezone(tz)), "%a %d %b %H:%M", language)


def delivery_text(delivery: DigestDelivery | None, tz: str, language: str = "en") -> str:
    """`sent Mon 23 Nov 09:00`, `failed (HTTP 500) …`, `unknown …`, `never`."""
    if delivery is None:
        return word("never", language)
    status = word(f"digest_status_{delivery.status}", language)
    text = f"{status} {_local(delivery.scheduled_for, tz, language)}"
    if delivery.late and delivery.status == DeliveryStatus.SENT:
        text += word("digest_late_mark", language)
    if delivery.error and delivery.status != DeliveryStatus.SENT:
        text += f": {delivery.error}"
    if delivery.chart == ChartStatus.FAILED:
        text += word("digest_chart_failed", language)
    return text


def subscription_line(
    subscription: DigestSubscription,
    last: DigestDelivery | None,
    now: datetime,
    language: str = "en",
) -> str:
    """One subscription as `/kpi digest list` and `kpibot digest list` show it."""
    tz = subscription.timezone
    schedule = Schedule(subscription.cadence, subscription.cron, tz)
    where = f"<#{subscription.channel_id}>"
    described = schedule.describe(language)
    text = f"*#{subscription.id}* {where} · {described} · {', '.join(subscription.kpis)}"
    if subscription.filters:
        text += f" · {' '.join(subscription.filters)}"
    if subscription.paused:
        reason = subscription.paused_reason or word("digest_line_paused_default", language)
        text += "\n  :double_vertical_bar: " + say("digest_line_paused", language, reason=reason)
    else:
        upcoming = next_fire(subscription.cron, tz, now)
        next_text = _local(upcoming, tz, language) if upcoming else word("never", language)
        text += "\n  " + say("digest_line_next", language, when=next_text)
    last_text = delivery_text(last, tz, language)
    text += " · " + say("digest_line_last", language, delivery=last_text)
    return text


def list_message(deps: Deps) -> Message:
    """Every subscription with its schedule, next run and last delivery."""
    language = deps.settings.language
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        subscriptions = list_subscriptions(session=session)
        last = latest_deliveries(session=session)
    if not subscriptions:
        return notice(word("digest_none", language) + word("digest_usage", language))
    lines = [subscription_line(s, last.get(s.id or 0), now, language) for s in subscriptions]
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text=word("digest_list_title", language)))]
    chunk = ""
    for line in lines:
        if len(chunk) + len(line) + 1 > MAX_SECTION:
            out.append(SectionBlock(text=md(chunk)))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    out.append(SectionBlock(text=md(chunk)))
    out.append(
        ContextBlock(
            elements=[md("`/kpi digest preview ID` · `/kpi digest pause|resume|remove ID`")]
        )
    )
    return Message(say("digest_count", language, n=len(subscriptions)), limits(out))


def _preview(deps: Deps, subscription_id: int) -> Message:
    language = deps.settings.language
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        subscription = get_subscription(session=session, subscription_id=subscription_id)
    if subscription is None:
        raise DigestInputError(say("digest_missing", language, id=subscription_id))
    upcoming = next_fire(subscription.cron, subscription.timezone, now) or now
    period = digest_period(subscription.cadence, subscription.cron, subscription.timezone, upcoming)
    digest = build_digest(deps, subscription, period)
    return digest_message(
        digest,
        currency=deps.settings.currency,
        language=language,
        preview=True,
    )
