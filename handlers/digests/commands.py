"""`/kpi digest …`: add, list, remove, pause, resume and preview digest subscriptions.

Everyone who may use kpibot may list and preview; adding, removing, pausing and resuming is for
KPIBOT_ADMINS (or the workspace's admins and owners when it is unset). Every answer is
ephemeral; bad input gets the usage.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

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
from handlers.kpi_service import resolve_kpi
from handlers.slack import blocks
from handlers.slack.caller import Caller
from handlers.slack.i18n import word
from handlers.slack.text import CommandText
from kpis.catalogue import UnknownKpi
from kpis.question import QuestionError, parse_question, tokens
from storage.db import session_scope
from storage.digest_tables import DigestDelivery, DigestSubscription
from storage.digests import (
    create_subscription,
    delete_subscription,
    get_subscription,
    latest_deliveries,
    list_subscriptions,
    set_paused,
)

USAGE = (
    "`/kpi digest add #channel [weekly|daily|monthly] [mon 09:00] [tz=Europe/Paris] "
    '[kpis=nps,csat,frt,fcr] [attribute=value …]` (or `cron="0 9 * * 1"`)\n'
    "`/kpi digest list` · `/kpi digest preview ID` · `/kpi digest pause|resume|remove ID`"
)
CADENCE_WORDS = {
    **{c: c for c in CADENCES},
    "hebdo": "weekly",
    "hebdomadaire": "weekly",
    "quotidien": "daily",
    "mensuel": "monthly",
}
_CHANNEL_ID = re.compile(r"^#?([CG][A-Z0-9]{6,})$")
_FILTER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*!?=.+$")


class DigestInputError(ValueError):
    """Words `/kpi digest` cannot use; the message says which and why."""


def digest_command(deps: Deps, words: CommandText, caller: Caller) -> blocks.Message:
    """Answer `/kpi digest …`."""
    language = deps.settings.language
    verb = words.words[0].lower() if words.words else "help"
    rest = words.words[1:]
    try:
        if verb in ("help", "usage"):
            return _usage()
        if verb in ("list", "ls"):
            return list_message(deps)
        if verb == "preview":
            return _preview(deps, _id(rest))
        if verb in ("add", "remove", "delete", "rm", "pause", "resume"):
            reason = caller.admin_refusal(deps.settings.admins)
            if reason is not None:
                return _ok(f":no_entry: You can't change digests: {word(reason, language)}.")
            if verb == "add":
                return _add(deps, words, rest, caller)
            return _change(deps, verb, _id(rest))
    except (DigestInputError, ScheduleError) as exc:
        return _error(str(exc))
    return _error(f"unknown digest command '{verb}'")


def _usage() -> blocks.Message:
    return blocks.Message(
        "Digest commands",
        [
            SectionBlock(text=MarkdownTextObject(text="*Scheduled digests*\n" + USAGE)).to_dict(),
        ],
    )


def _error(message: str) -> blocks.Message:
    text = f"Sorry, I can't do that: {message}"
    return blocks.Message(
        text,
        [
            SectionBlock(text=MarkdownTextObject(text=f":warning: *{text}*")).to_dict(),
            SectionBlock(text=MarkdownTextObject(text=USAGE)).to_dict(),
        ],
    )


def _ok(text: str) -> blocks.Message:
    return blocks.Message(text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])


def _id(rest: list[str]) -> int:
    if not rest:
        raise DigestInputError("which digest? give its ID (see `/kpi digest list`)")
    text = rest[0].lstrip("#")
    if not text.isdigit():
        raise DigestInputError(f"'{rest[0]}' is not a digest ID (see `/kpi digest list`)")
    return int(text)


def parse_add(deps: Deps, words: CommandText, rest: list[str]) -> DigestSubscription:
    """Read `add`'s words into a new subscription (not stored); DigestInputError if unusable."""
    channel = words.channels[0] if words.channels else None
    cadence: str | None = None
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
                raise DigestInputError(f"day of the month '{token}' must be 1–28")
            day_of_month = int(token)
        elif lower.startswith("tz="):
            tz = token[3:]
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise DigestInputError(
                    f"unknown timezone '{tz}' (IANA names, e.g. Europe/Paris, UTC)"
                ) from None
        elif lower.startswith("cron="):
            cron = " ".join(token[5:].split())
        elif lower.startswith("kpis="):
            kpis = [k for k in token[5:].replace(";", ",").split(",") if k]
        elif _FILTER.match(token):
            filters.append(token)
        else:
            raise DigestInputError(f"unexpected word '{token}'")
    if channel is None:
        raise DigestInputError("name the channel to post in: `/kpi digest add #channel …`")
    if cron is not None:
        if cadence or day or at or day_of_month:
            raise DigestInputError('give either cron="…" or a readable schedule, not both')
        cron_trigger(cron, tz)
        schedule = Schedule("cron", cron, tz)
    else:
        schedule = readable_schedule(cadence, day, at, day_of_month, tz)
    keys = [_kpi_key(deps, k) for k in kpis] or list(DEFAULT_KPIS)
    if filters:
        try:
            parse_question("nps " + " ".join(filters))
        except QuestionError as exc:
            raise DigestInputError(str(exc)) from None
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
        hint = f" (did you mean {', '.join(exc.suggestions)}?)" if exc.suggestions else ""
        raise DigestInputError(f"unknown KPI '{text}'{hint}") from None


def _channel_problem(caller: Caller, channel: str) -> str | None:
    """Why kpibot could not post in the channel, or None when it can."""
    if caller.client is None:
        return None
    invite = f"invite me first: `/invite @kpibot` in <#{channel}>, then add the digest again"
    try:
        info = caller.client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        if error in ("channel_not_found", "not_in_channel"):
            return f"I can't see <#{channel}>: it is private and I'm not in it; {invite}"
        return f"Slack would not tell me about <#{channel}> ({error})"
    if info.get("is_archived"):
        return f"<#{channel}> is archived"
    if info.get("is_private") and not info.get("is_member"):
        return f"<#{channel}> is private and I'm not in it; {invite}"
    return None


def _add(deps: Deps, words: CommandText, rest: list[str], caller: Caller) -> blocks.Message:
    subscription = parse_add(deps, words, rest)
    problem = _channel_problem(caller, subscription.channel_id)
    if problem is not None:
        raise DigestInputError(problem)
    subscription.created_by = caller.user_id
    subscription.team_id = caller.team_id
    with session_scope(deps.sessions) as session:
        new_id = create_subscription(session=session, subscription=subscription)
    upcoming = next_fire(subscription.cron, subscription.timezone, deps.clock())
    schedule = Schedule(subscription.cadence, subscription.cron, subscription.timezone)
    when = _local(upcoming, subscription.timezone) if upcoming else "never"
    return _ok(
        f":white_check_mark: Digest *#{new_id}* added for <#{subscription.channel_id}>: "
        f"{schedule.describe()}, {', '.join(subscription.kpis)}"
        + (f", {' '.join(subscription.filters)}" if subscription.filters else "")
        + f". First one: {when}. `/kpi digest preview {new_id}` shows it now."
    )


def _change(deps: Deps, verb: str, subscription_id: int) -> blocks.Message:
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        if verb in ("remove", "delete", "rm"):
            found = delete_subscription(session=session, subscription_id=subscription_id)
            done = f":wastebasket: Digest *#{subscription_id}* removed."
        else:
            paused = verb == "pause"
            reason = "paused from Slack" if paused else None
            found = set_paused(
                session=session,
                subscription_id=subscription_id,
                paused=paused,
                reason=reason,
                now=now,
            )
            done = (
                f":double_vertical_bar: Digest *#{subscription_id}* paused."
                if paused
                else f":arrow_forward: Digest *#{subscription_id}* resumed."
            )
    if not found:
        raise DigestInputError(f"no digest #{subscription_id} (see `/kpi digest list`)")
    return _ok(done)


def _local(instant: datetime, tz: str) -> str:
    return f"{instant.astimezone(ZoneInfo(tz)):%a %d %b %H:%M}"


def delivery_text(delivery: DigestDelivery | None, tz: str) -> str:
    """`sent Mon 23 Nov 09:00`, `failed (HTTP 500) …`, `unknown …`, `never`."""
    if delivery is None:
        return "never"
    when = _local(delivery.scheduled_for, tz)
    text = f"{delivery.status} {when}"
    if delivery.late and delivery.status == "sent":
        text += " (late)"
    if delivery.error and delivery.status != "sent":
        text += f": {delivery.error}"
    if delivery.chart == "failed":
        text += " (chart failed)"
    return text


def subscription_line(
    subscription: DigestSubscription, last: DigestDelivery | None, now: datetime
) -> str:
    """One subscription as `/kpi digest list` and `kpibot digest list` show it."""
    schedule = Schedule(subscription.cadence, subscription.cron, subscription.timezone)
    where = f"<#{subscription.channel_id}>"
    text = f"*#{subscription.id}* {where} · {schedule.describe()} · {', '.join(subscription.kpis)}"
    if subscription.filters:
        text += f" · {' '.join(subscription.filters)}"
    if subscription.paused:
        text += f"\n  :double_vertical_bar: paused: {subscription.paused_reason or 'paused'}"
    else:
        upcoming = next_fire(subscription.cron, subscription.timezone, now)
        text += f"\n  next: {_local(upcoming, subscription.timezone) if upcoming else 'never'}"
    text += f" · last: {delivery_text(last, subscription.timezone)}"
    return text


def list_message(deps: Deps) -> blocks.Message:
    """Every subscription with its schedule, next run and last delivery."""
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        subscriptions = list_subscriptions(session=session)
        last = latest_deliveries(session=session)
    if not subscriptions:
        return _ok("No digests yet. " + USAGE)
    lines = [subscription_line(s, last.get(s.id or 0), now) for s in subscriptions]
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text="Scheduled digests"))]
    chunk = ""
    for line in lines:
        if len(chunk) + len(line) + 1 > blocks.MAX_SECTION:
            out.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    out.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    out.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="`/kpi digest preview ID` · `/kpi digest pause|resume|remove ID`"
                )
            ]
        )
    )
    return blocks.Message(f"{len(subscriptions)} digests", blocks._limits(out))


def _preview(deps: Deps, subscription_id: int) -> blocks.Message:
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        subscription = get_subscription(session=session, subscription_id=subscription_id)
    if subscription is None:
        raise DigestInputError(f"no digest #{subscription_id} (see `/kpi digest list`)")
    upcoming = next_fire(subscription.cron, subscription.timezone, now) or now
    period = digest_period(subscription.cadence, subscription.cron, subscription.timezone, upcoming)
    digest = build_digest(deps, subscription, period)
    return digest_message(
        digest,
        currency=deps.settings.currency,
        language=deps.settings.language,
        preview=True,
    )
