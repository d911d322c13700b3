"""Questions asked where people talk: an @kpibot mention, a direct message to kpibot.

Both answer exactly what `/kpi` answers (`handlers.answers.commands.respond_to`: the grammar,
plain words in French or English, help), with the same access rules: guests, people from other
organisations and, when KPIBOT_VIEWERS is set, anyone not listed are refused privately.

- A **mention** is answered in its thread (`thread_ts`, or the mention's own ts). A figure is
  posted for the channel to see, as `share` would; without the right to share
  (KPIBOT_SHARERS), or for help and errors, the answer is ephemeral in that thread.
- A **direct message** (`message.im`, the app's Messages tab) is answered in the conversation,
  which only the asker and kpibot see.

Slack re-sends an event it thinks was lost (`X-Slack-Retry-Num`), several replicas may get it,
and a mention in a direct message arrives as two events. Each message is claimed in the
database before anything is done (`storage.conversation.store.claim_event`: its event id and
its channel and ts are unique), so it is answered once. The event is acknowledged at once; the
answer is computed and posted on the pool. Messages from bots (kpibot's own included: Bolt
drops those too), edits, deletions and joins are ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.answers.chart import ChartAsk, chart_note, send_chart
from handlers.answers.commands import failure, respond_to
from handlers.deps import Deps
from handlers.feature import SlackParts
from handlers.i18n import word
from handlers.slack.blocks import MAX_BLOCKS, Message, refusal
from handlers.slack.caller import Caller
from handlers.slack.posting import once_client, outcome
from kpis.sentence import language_of
from storage.conversation.store import claim_event, finish_event
from storage.conversation.tables import EventKind, EventStatus
from storage.db import session_scope

log = logging.getLogger("kpibot.slack")

#: The Events API events this feature answers (the app manifest subscribes to them).
EVENTS = ("app_mention", "message.im")
#: Message subtypes that are a person writing (others are edits, deletions, joins…).
_WRITTEN = frozenset({"", "thread_broadcast"})


def ignored(event: dict[str, Any]) -> bool:
    """Whether an event is not a person asking: a bot's message, an edit, a join…"""
    return bool(
        event.get("bot_id")
        or event.get("bot_profile")
        or event.get("subtype", "") not in _WRITTEN
        or not event.get("user")
        or not event.get("channel")
        or not event.get("ts")
    )


def register_conversation(app: App, parts: SlackParts) -> None:
    """Wire the mention and direct-message listeners."""
    once = once_client(parts.deps)

    @app.event("app_mention")
    def mentioned(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D"):
            return  # a mention in a direct message: the message.im event answers it
        take(parts, once, client, body, event, EventKind.MENTION)

    @app.event("message")
    def messaged(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("channel_type") != "im":
            return
        take(parts, once, client, body, event, EventKind.DIRECT)


def take(
    parts: SlackParts,
    once: WebClient,
    client: WebClient,
    body: dict[str, Any],
    event: dict[str, Any],
    kind: EventKind,
) -> bool:
    """Claim the event's message and answer it on the pool; False when it is not ours to
    answer (ignored, or already claimed by a retry, a replica or the other event)."""
    if ignored(event):
        return False
    deps = parts.deps
    channel, ts = str(event["channel"]), str(event["ts"])
    event_id = str(body.get("event_id") or f"{channel}:{ts}")
    with session_scope(deps.sessions) as session:
        mine = claim_event(
            session=session,
            event_id=event_id,
            kind=kind,
            channel_id=channel,
            message_ts=ts,
            user_id=str(event["user"]),
            now=deps.clock(),
        )
    if not mine:
        log.info("event %s (%s %s) already claimed: not answered again", event_id, channel, ts)
        return False
    parts.pool.submit(answer_event, parts, once, client, body, event, kind, event_id)
    return True


def answer_event(
    parts: SlackParts,
    once: WebClient,
    client: WebClient,
    body: dict[str, Any],
    event: dict[str, Any],
    kind: EventKind,
    event_id: str,
) -> EventStatus:
    """Answer a claimed event where it was asked, and record how it ended."""
    deps, access = parts.deps, parts.access
    user, channel = str(event["user"]), str(event["channel"])
    team = str(body.get("team_id") or event.get("team") or "")
    enterprise = str(body.get("enterprise_id") or "")
    text = str(event.get("text") or "")
    language = language_of(text) or deps.settings.language
    thread = event.get("thread_ts") or (event["ts"] if kind is EventKind.MENTION else None)
    status, error = EventStatus.ANSWERED, None
    chart: ChartAsk | None = None
    try:
        reason = access.refusal(
            client, user_id=user, team_id=team, share=False, enterprise_id=enterprise
        )
        if reason is not None:
            status = EventStatus.REFUSED
            message = refusal(word(reason, language), language=language)
            public = kind is EventKind.DIRECT  # a direct message is private already
        else:
            caller = Caller(user_id=user, team_id=team, client=client, access=access)
            try:
                answered = respond_to(deps, parts.commands, "/kpi", text, caller)
                message = answered.message
                public = kind is EventKind.DIRECT or (
                    answered.figure
                    and access.refusal(
                        client, user_id=user, team_id=team, share=True, enterprise_id=enterprise
                    )
                    is None
                )
                chart = answered.chart
                if chart is not None:  # the chart follows where the answer is seen
                    note = chart_note(share=bool(public), language=answered.language)
                    message = Message(message.text, [*message.blocks[: MAX_BLOCKS - 1], note])
            except Exception:
                message, public = failure(text, language), kind is EventKind.DIRECT
        _post(once, channel, user, thread, message, public=public)
        if chart is not None:
            send_chart(
                deps,
                once,
                chart,
                user_id=user,
                channel_id=channel,
                share=bool(public),
                thread_ts=str(thread) if thread and public else None,
            )
    except Exception as exc:
        found = outcome(exc)
        status = EventStatus.UNKNOWN if found.kind == "unknown" else EventStatus.FAILED
        error = found.error
        log.exception("answering event %s in %s failed (%s)", event_id, channel, found.error)
    _finish(deps, event_id, status, error)
    return status


def _post(
    once: WebClient, channel: str, user: str, thread: str | None, message: Message, *, public: bool
) -> None:
    """Post where the question was asked: for all to see, or only for the asker."""
    where: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": message.blocks}
    if thread:
        where["thread_ts"] = thread
    if public:
        once.chat_postMessage(**where)
    else:
        once.chat_postEphemeral(user=user, **where)


def _finish(deps: Deps, event_id: str, status: EventStatus, error: str | None) -> None:
    try:
        with session_scope(deps.sessions) as session:
            finish_event(
                session=session, event_id=event_id, status=status, now=deps.clock(), error=error
            )
    except Exception:
        log.exception("recording how event %s ended failed", event_id)
