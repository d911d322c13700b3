"""Alert messages as Block Kit: pure functions from alerts (and their answers) to blocks.

One detractor alert, a burst's summary (each line still claimable), a threshold alert and its
recovery, the reminder, and the Resolved modal, in the workspace's language. The buttons carry
the alert id; their ids live in `handlers.alerts.ids`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers import formatting as fmt
from handlers.alerts import ids
from handlers.i18n import say, when, word
from handlers.slack.blocks import MAX_FIELD, MAX_HEADER, Message, clip, limits, md
from kpis.catalogue import UnknownKpi, find_kpi
from storage.alerts.store import Answer, History
from storage.alerts.tables import Alert, AlertKind, Comparison, LoopState

COMMENT_CHARS = 600
#: Alerts listed in one summary message (2 blocks are the header and context).
SUMMARY_SIZE = 45


@dataclass(frozen=True)
class AlertView:
    """An alert with what its message shows."""

    alert: Alert
    answer: Answer | None = None
    history: History | None = None


def mentions(leads: Sequence[str]) -> str:
    """`<@U…>` for users, `<!subteam^S…>` for user groups, as Slack writes them."""
    return " ".join(
        f"<!subteam^{lead}>" if lead.startswith("S") else f"<@{lead}>" for lead in leads
    )


def _when(instant: datetime | None) -> str:
    """A Slack date token: each reader sees it in their own locale and timezone."""
    if instant is None:
        return ""
    fallback = f"{instant:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def answer_line(answer: Answer, language: str = "en") -> str:
    """`*3/10* NPS · customer `c-1` · plan: enterprise · channel: email`."""
    parts = [fmt.score(answer.survey, answer.score, answer.scale_max, language)]
    if answer.customer_id:
        parts.append(say("alert_customer", language, id=answer.customer_id))
    parts += [f"{k}: {v}" for k, v in list(answer.attributes.items())[:6]]
    return " · ".join(parts)


def _history(history: History | None, language: str) -> str | None:
    if history is None:
        return None
    parts = []
    if history.previous:
        shown = ", ".join(
            f"{survey.upper()} {score}/{scale} ({when(at, '%d %b', language)})"
            for survey, score, scale, at in history.previous
        )
        parts.append(say("alert_previous_answers", language, answers=shown))
    else:
        parts.append(word("alert_first_answer", language))
    if history.open_tickets:
        listed = ", ".join(f"`{t}`" for t in history.open_ticket_ids)
        parts.append(
            say("alert_open_tickets", language, count=history.open_tickets, tickets=listed)
        )
    else:
        parts.append(word("alert_no_open_tickets", language))
    return " · ".join(parts)


def redacted_note(alert: Alert, language: str = "en") -> str | None:
    """Why the comment and customer are missing, once erasure or retention removed them."""
    reason = alert.details.get("redacted") if alert.details else None
    return word(f"privacy_alert_removed_{reason}", language) if reason else None


def state_line(alert: Alert, language: str = "en") -> str | None:
    """Where the loop stands, or None while nobody has acted."""
    if alert.state == LoopState.CLAIMED:
        return say(
            "alert_claimed_by", language, user=alert.claimed_by, when=_when(alert.claimed_at)
        )
    if alert.state == LoopState.RESOLVED:
        note = f": “{clip(alert.note or '', 500)}”" if alert.note else ""
        return say(
            "alert_resolved_by",
            language,
            user=alert.closed_by,
            when=_when(alert.closed_at),
            note=note,
        )
    if alert.state == LoopState.NO_ACTION:
        return say(
            "alert_no_action_by", language, user=alert.closed_by, when=_when(alert.closed_at)
        )
    return None


def _button(
    key: str, action_id: str, alert: Alert, language: str, style: str | None = None
) -> ButtonElement:
    return ButtonElement(
        text=word(key, language), action_id=action_id, value=str(alert.id), style=style
    )


def _buttons(alert: Alert, language: str) -> list[ButtonElement]:
    out = []
    if alert.state == LoopState.OPEN:
        out.append(_button("alert_button_claim", ids.CLAIM, alert, language, "primary"))
    if alert.state in (LoopState.OPEN, LoopState.CLAIMED):
        out.append(_button("alert_button_resolve", ids.RESOLVE, alert, language))
        out.append(_button("alert_button_no_action", ids.NO_ACTION, alert, language))
    return out


def detractor_message(view: AlertView, language: str = "en") -> Message:
    """One detractor: who to call, what they said, their history, and the loop buttons."""
    alert, answer = view.alert, view.answer
    lead = mentions(alert.leads)
    title = say("alert_detractor_title", language, leads=lead)
    if answer is None:
        text = say("alert_detractor_deleted_text", language, leads=lead)
        body = f"{title}\n{word('alert_answer_deleted', language)}"
    else:
        text = say(
            "alert_detractor_text",
            language,
            score=answer.score,
            scale=answer.scale_max,
            survey=answer.survey.upper(),
            leads=lead,
        )
        body = f"{title}\n{answer_line(answer, language)}"
        if answer.comment:
            quoted = " ".join(clip(answer.comment, COMMENT_CHARS).split())
            body += f"\n> {quoted}"
        removed = redacted_note(alert, language)
        if removed:
            body += f"\n> _{removed}_"
    blocks: list[Block] = [SectionBlock(text=md(body))]
    context = [c for c in (_history(view.history, language), state_line(alert, language)) if c]
    if answer is not None:
        context.insert(0, say("alert_answered", language, when=_when(answer.submitted_at)))
    blocks.append(ContextBlock(elements=[md(c, MAX_FIELD) for c in context]))
    buttons = _buttons(alert, language)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"alert-{alert.id}", elements=buttons))
    return Message(clip(text, 300), limits(blocks))


def summary_message(
    views: Sequence[AlertView], leads: Sequence[str], language: str = "en"
) -> Message:
    """A burst of detractors as one message; each line keeps its own button."""
    lead = mentions(leads)
    title = say("alert_burst_title", language, count=len(views))
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, MAX_HEADER))),
        ContextBlock(elements=[md(say("alert_burst_hint", language, leads=lead), MAX_FIELD)]),
    ]
    for view in views[:SUMMARY_SIZE]:
        alert, answer = view.alert, view.answer
        line = (
            answer_line(answer, language)
            if answer is not None
            else word("alert_burst_deleted", language)
        )
        if answer is not None and answer.comment:
            line += f"\n> {' '.join(clip(answer.comment, 200).split())}"
        removed = redacted_note(alert, language)
        if removed:
            line += f"\n> _{removed}_"
        state = state_line(alert, language)
        if state:
            line += f"\n{state}"
        accessory = None
        if alert.state == LoopState.OPEN:
            accessory = _button("alert_button_claim", ids.CLAIM, alert, language)
        elif alert.state == LoopState.CLAIMED:
            accessory = _button("alert_button_resolve", ids.RESOLVE, alert, language)
        blocks.append(
            SectionBlock(block_id=f"alert-{alert.id}", text=md(line), accessory=accessory)
        )
    return Message(f"{title} {lead}", limits(blocks))


def _name(details: dict[str, Any], language: str) -> str:
    """The rule's KPI by its name in the language (a counter's sum keeps its own name)."""
    try:
        return find_kpi(str(details.get("kpi", ""))).name(language)
    except UnknownKpi:
        return str(details.get("name", ""))


def _value_text(details: dict[str, Any], currency: str, language: str) -> str:
    value, unit = details.get("value"), details.get("unit")
    if value is None or unit is None:  # recorded before units were kept
        return str(details.get("value_text", ""))
    return fmt.value(str(unit), float(value), currency, language)


def _threshold(threshold: float, unit: str, language: str) -> str:
    """A rule's threshold in its KPI's unit (`4 h`, `85.0%`, `30`)."""
    if unit == "seconds":
        return fmt.duration(threshold, language)
    if unit == "percent":
        return fmt.value("percent", threshold, language=language)
    text = fmt.number(threshold, 2, language)
    return text.rstrip("0").rstrip(".,") if "." in text or "," in text else text


def _what(details: dict[str, Any], language: str) -> str:
    comparison = details.get("comparison")
    if comparison is None:  # recorded before the comparison was kept
        return str(details.get("what", ""))
    threshold = _threshold(float(details["threshold"]), str(details.get("unit", "")), language)
    if comparison == Comparison.BELOW:
        return say("alert_what_below", language, threshold=threshold)
    if comparison == Comparison.ABOVE:
        return say("alert_what_above", language, threshold=threshold)
    previous = details.get("previous")
    if previous is None:
        return ""
    drop = float(previous) - float(details["value"])
    return say(
        "alert_what_drop",
        language,
        drop=fmt.number(drop, 1, language),
        previous=fmt.number(float(previous), 1, language),
    )


def _driver(details: dict[str, Any], currency: str, language: str) -> str | None:
    """`plan = pro (+41 → −31, −25 pts, own value)`: the segment that moved the KPI most."""
    driver = details.get("driver")
    if not isinstance(driver, dict):
        return None
    unit = str(details.get("unit", "number"))

    def shown(value: object) -> str:
        return "—" if value is None else fmt.value(unit, float(str(value)), currency, language)

    change = fmt.change(unit, float(driver.get("contribution") or 0.0), currency, language)
    effect = word(f"why_{driver.get('effect', 'rate')}_short", language)
    return (
        f"*{driver.get('attribute')} = {driver.get('segment')}* ({shown(driver.get('before'))} → "
        f"{shown(driver.get('after'))}, {change}, {effect})"
    )


def threshold_message(alert: Alert, language: str = "en", currency: str = "EUR") -> Message:
    """A rule started to hold (`threshold`) or stopped (`recovery`)."""
    d: dict[str, Any] = alert.details
    lead = mentions(alert.leads)
    rule = f"`{d.get('rule', '')}`"
    name, period = _name(d, language), d.get("period")
    value = _value_text(d, currency, language)
    if alert.kind == AlertKind.RECOVERY:
        text = say("alert_recovered", language, name=name, period=period, value=value, rule=rule)
    else:
        what = _what(d, language)
        text = say(
            "alert_breached", language, name=name, period=period, value=value, what=what, rule=rule
        )
    body = f"*{text}* {lead}".strip()
    driver = _driver(d, currency, language)
    if driver and alert.kind != AlertKind.RECOVERY:
        body += "\n" + say("alert_driver", language, driver=driver)
    context = [say("alert_rule_context", language, n=d.get("n", 0), id=d.get("rule_id"))]
    blocks: list[Block] = [
        SectionBlock(text=md(body)),
        ContextBlock(elements=[md(c, MAX_FIELD) for c in context]),
    ]
    return Message(clip(text, 300), limits(blocks))


def reminder_text(alert: Alert, language: str = "en") -> str:
    """The one reminder in an unclaimed alert's thread."""
    return say("alert_reminder", language, leads=mentions(alert.leads))


def resolve_modal(alert_id: int, channel: str, ts: str, language: str = "en") -> dict[str, Any]:
    """The modal Resolved opens: a short note on what was done."""
    view = View(
        type="modal",
        callback_id=ids.RESOLVE_VIEW,
        title=PlainTextObject(text=word("alert_modal_title", language)),
        submit=PlainTextObject(text=word("alert_modal_submit", language)),
        close=PlainTextObject(text=word("alert_modal_cancel", language)),
        private_metadata=f"{alert_id}|{channel}|{ts}",
        blocks=[
            InputBlock(
                block_id=ids.NOTE_BLOCK,
                label=PlainTextObject(text=word("alert_modal_label", language)),
                element=PlainTextInputElement(
                    action_id=ids.NOTE_INPUT,
                    multiline=True,
                    max_length=500,
                    placeholder=PlainTextObject(text=word("alert_modal_placeholder", language)),
                ),
            )
        ],
    )
    result: dict[str, Any] = view.to_dict()
    return result
