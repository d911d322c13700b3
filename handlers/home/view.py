"""The Home tab's view: pure functions from a dashboard's data to a `home` view.

The core KPIs of the last 7 and 30 days with their change and whether it is significant, the
open detractor alerts with the alerts' own Claim button (`handlers.alerts.ids.CLAIM`: a click
claims as it does in the channel), the digests of the channels the viewer is in, the daily
trend image (an image block referring to the uploaded Slack file) and how to ask. A person who
may not read KPIs sees only why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    PlainTextObject,
    SectionBlock,
)

from handlers import formatting as fmt
from handlers.alerts import ids
from handlers.alerts.blocks import answer_line, redacted_note, state_line
from handlers.answers.blocks import USAGE
from handlers.i18n import say, when, word
from handlers.slack.blocks import MAX_FIELD, MAX_HEADER, clip, limits, md
from kpis.result import KpiResult
from storage.alerts.store import Answer
from storage.alerts.tables import Alert, LoopState
from storage.digests.tables import DigestDelivery, DigestSubscription

#: The open alerts the Home tab lists (the rest are counted).
HOME_ALERTS = 10
COMMENT_CHARS = 200


@dataclass(frozen=True)
class Card:
    """One KPI of the dashboard: its answers over the last 7 and 30 days (or why not)."""

    key: str
    week: KpiResult | None = None
    month: KpiResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class AlertItem:
    """An open (or claimed) detractor alert and the answer behind it."""

    alert: Alert
    answer: Answer | None


@dataclass(frozen=True)
class DigestItem:
    """A digest of a channel the viewer is in, and its latest delivery."""

    subscription: DigestSubscription
    last: DigestDelivery | None = None


@dataclass(frozen=True)
class Dashboard:
    """Everything one viewer's Home tab shows."""

    at: datetime
    tz: str
    cards: Sequence[Card] = ()
    alerts: Sequence[AlertItem] = ()
    more_alerts: int = 0
    digests: Sequence[DigestItem] = ()
    #: The day's trend image (a Slack file id) and what it shows.
    trend_file: str | None = None
    trend_alt: str = ""
    help_lines: Sequence[str] = field(default_factory=tuple)


def figure_line(result: KpiResult, currency: str, language: str) -> str:
    """`*+42*  ▲ +3 pts vs +39 · significant · n = 120`: a card's figure for one period."""
    text = f"*{fmt.figure_text(result.unit, result.current, currency, language)}*"
    if result.delta is not None:
        previous = fmt.figure_text(result.unit, result.previous, currency, language)
        text += f"  {fmt.delta(result, currency, language)} {word('vs', language)} {previous}"
    if result.significant is not None:
        key = "home_significant" if result.significant else "home_not_significant"
        text += f" · {word(key, language)}"
    if fmt.shows_n(result.unit) and result.current.value is not None:
        text += f" · n = {fmt.number(result.current.n, 0, language)}"
    return text


def _card(card: Card, currency: str, language: str) -> SectionBlock:
    name = card.key
    result = card.week or card.month
    if result is not None:
        name = result.display_name(language)
    if card.error is not None:
        return SectionBlock(text=md(f"*{name}*\n{card.error}"))
    fields = []
    for key, shown in (("home_last_7", card.week), ("home_last_30", card.month)):
        line = figure_line(shown, currency, language) if shown is not None else "—"
        fields.append(md(f"*{name}* · {word(key, language)}\n{line}", MAX_FIELD))
    return SectionBlock(fields=fields)


def _alert(item: AlertItem, language: str) -> SectionBlock:
    alert, answer = item.alert, item.answer
    line = answer_line(answer, language) if answer is not None else ""
    line = line or word("alert_burst_deleted", language)
    if alert.message_channel or alert.channel_id:
        line += f" · <#{alert.message_channel or alert.channel_id}>"
    if answer is not None and answer.comment:
        line += f"\n> {' '.join(clip(answer.comment, COMMENT_CHARS).split())}"
    removed = redacted_note(alert, language)
    if removed:
        line += f"\n> _{removed}_"
    state = state_line(alert, language)
    if state:
        line += f"\n{state}"
    accessory = None
    if alert.state == LoopState.OPEN:
        accessory = ButtonElement(
            text=word("alert_button_claim", language),
            action_id=ids.CLAIM,
            value=str(alert.id),
            style="primary",
        )
    return SectionBlock(block_id=f"home-alert-{alert.id}", text=md(line), accessory=accessory)


def _digest(item: DigestItem, language: str) -> str:
    sub = item.subscription
    kpis = ", ".join(sub.kpis) if sub.kpis else word("home_default_kpis", language)
    line = f"<#{sub.channel_id}> · {word('digest_title_' + sub.cadence, language)} · `{sub.cron}`"
    line += f" ({sub.timezone}) · {kpis}"
    if sub.filters:
        line += " · " + ", ".join(sub.filters)
    if sub.paused:
        line += f" · ⏸ {word('home_paused', language)}"
    if item.last is not None and item.last.sent_at is not None:
        sent = when(item.last.sent_at.astimezone(ZoneInfo(sub.timezone)), "%a %d %b", language)
        line += f" · {say('home_last_sent', language, when=sent)}"
    return line


def home_view(
    dashboard: Dashboard, *, currency: str = "EUR", language: str = "en"
) -> dict[str, Any]:
    """The viewer's dashboard as a `home` view."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(word("home_title", language), MAX_HEADER)))
    ]
    blocks.extend(_card(card, currency, language) for card in dashboard.cards)
    if dashboard.trend_file:
        blocks.append(
            ImageBlock(
                slack_file={"id": dashboard.trend_file},
                alt_text=clip(dashboard.trend_alt or word("home_trend", language), 2000),
                title=PlainTextObject(text=clip(word("home_trend", language), 2000)),
            )
        )
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=md(f"*{word('home_alerts', language)}*")))
    if not dashboard.alerts:
        blocks.append(SectionBlock(text=md(word("home_no_alerts", language))))
    blocks.extend(_alert(item, language) for item in dashboard.alerts[:HOME_ALERTS])
    if dashboard.more_alerts:
        more = say("home_more_alerts", language, count=dashboard.more_alerts)
        blocks.append(ContextBlock(elements=[md(more)]))
    blocks.append(DividerBlock())
    lines = [_digest(item, language) for item in dashboard.digests]
    text = "\n".join(lines) if lines else word("home_no_digests", language)
    blocks.append(SectionBlock(text=md(f"*{word('home_digests', language)}*\n{text}")))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=md(f"{word('home_ask', language)}\n{USAGE}")))
    zone = ZoneInfo(dashboard.tz)
    at = when(dashboard.at.astimezone(zone), "%a %d %b %H:%M", language)
    notes = [say("home_updated", language, at=at, tz=dashboard.tz)]
    notes += [word(key, language) for key in dashboard.help_lines][:8]
    blocks.append(ContextBlock(elements=[md(n, MAX_FIELD) for n in notes]))
    return {"type": "home", "blocks": limits(blocks)}


def refused_view(reason: str, *, language: str = "en") -> dict[str, Any]:
    """What a guest (or anyone refused) sees: why, and nothing else."""
    text = say("home_refused", language, reason=reason)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(word("home_title", language), MAX_HEADER))),
        SectionBlock(text=md(f":no_entry: {text}")),
    ]
    return {"type": "home", "blocks": limits(blocks)}
