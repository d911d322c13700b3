"""Alert messages as Block Kit: pure functions from alerts (and their answers) to blocks.

One detractor alert, a burst's summary (each line still claimable), a threshold alert and its
recovery, the reminder, and the Resolved modal. The buttons carry the alert id; their ids live
in `handlers.alerts.ids`.
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
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers.alerts import ids
from handlers.slack.blocks import MAX_FIELD, MAX_HEADER, Message, _limits, clip
from storage.alert_tables import Alert
from storage.alerts import Answer, History

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


def _md(text: str, limit: int = 3000) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def _when(instant: datetime | None) -> str:
    if instant is None:
        return ""
    fallback = f"{instant:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def answer_line(answer: Answer) -> str:
    """`*3/10* NPS · customer `c-1` · plan: enterprise · channel: email`."""
    parts = [f"*{answer.score}/{answer.scale_max}* {answer.survey.upper()}"]
    if answer.customer_id:
        parts.append(f"customer `{answer.customer_id}`")
    parts += [f"{k}: {v}" for k, v in list(answer.attributes.items())[:6]]
    return " · ".join(parts)


def _history(history: History | None) -> str | None:
    if history is None:
        return None
    parts = []
    if history.previous:
        shown = ", ".join(
            f"{survey.upper()} {score}/{scale} ({at:%d %b})"
            for survey, score, scale, at in history.previous
        )
        parts.append(f"Previous answers: {shown}")
    else:
        parts.append("First answer from this customer")
    if history.open_tickets:
        listed = ", ".join(f"`{t}`" for t in history.open_ticket_ids)
        parts.append(f"Open tickets: {history.open_tickets} ({listed})")
    else:
        parts.append("No open tickets")
    return " · ".join(parts)


def state_line(alert: Alert) -> str | None:
    """Where the loop stands, or None while nobody has acted."""
    if alert.state == "claimed":
        return f":raising_hand: Claimed by <@{alert.claimed_by}> {_when(alert.claimed_at)}"
    if alert.state == "resolved":
        note = f": “{clip(alert.note or '', 500)}”" if alert.note else ""
        when = _when(alert.closed_at)
        return f":white_check_mark: Resolved by <@{alert.closed_by}> {when}{note}"
    if alert.state == "no_action":
        when = _when(alert.closed_at)
        return f":heavy_minus_sign: No action needed, said <@{alert.closed_by}> {when}"
    return None


def _buttons(alert: Alert) -> list[ButtonElement]:
    value = str(alert.id)
    out = []
    if alert.state == "open":
        out.append(ButtonElement(text="Claim", action_id=ids.CLAIM, value=value, style="primary"))
    if alert.state in ("open", "claimed"):
        out.append(ButtonElement(text="Resolved", action_id=ids.RESOLVE, value=value))
        out.append(ButtonElement(text="No action needed", action_id=ids.NO_ACTION, value=value))
    return out


def detractor_message(view: AlertView) -> Message:
    """One detractor: who to call, what they said, their history, and the loop buttons."""
    alert, answer = view.alert, view.answer
    lead = mentions(alert.leads)
    if answer is None:
        text = f"Detractor alert {lead}"
        body = f":rotating_light: *Detractor* {lead}\n(the answer was deleted)"
    else:
        text = f"Detractor: {answer.score}/{answer.scale_max} {answer.survey.upper()} {lead}"
        body = f":rotating_light: *Detractor* {lead}\n{answer_line(answer)}"
        if answer.comment:
            quoted = " ".join(clip(answer.comment, COMMENT_CHARS).split())
            body += f"\n> {quoted}"
    blocks: list[Block] = [SectionBlock(text=_md(body))]
    context = [c for c in (_history(view.history), state_line(alert)) if c]
    if answer is not None:
        context.insert(0, f"Answered {_when(answer.submitted_at)}")
    blocks.append(ContextBlock(elements=[_md(c, MAX_FIELD) for c in context]))
    buttons = _buttons(alert)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"alert-{alert.id}", elements=buttons))
    return Message(clip(text, 300), _limits(blocks))


def summary_message(views: Sequence[AlertView], leads: Sequence[str]) -> Message:
    """A burst of detractors as one message; each line keeps its own button."""
    lead = mentions(leads)
    count = len(views)
    title = f"🚨 {count} detractors in a minute"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, MAX_HEADER))),
        ContextBlock(elements=[_md(f"{lead} each one can be claimed below", MAX_FIELD)]),
    ]
    for view in views[:SUMMARY_SIZE]:
        alert, answer = view.alert, view.answer
        line = answer_line(answer) if answer is not None else "(answer deleted)"
        if answer is not None and answer.comment:
            line += f"\n> {' '.join(clip(answer.comment, 200).split())}"
        state = state_line(alert)
        if state:
            line += f"\n{state}"
        accessory = None
        if alert.state == "open":
            accessory = ButtonElement(text="Claim", action_id=ids.CLAIM, value=str(alert.id))
        elif alert.state == "claimed":
            accessory = ButtonElement(text="Resolved", action_id=ids.RESOLVE, value=str(alert.id))
        blocks.append(
            SectionBlock(block_id=f"alert-{alert.id}", text=_md(line), accessory=accessory)
        )
    return Message(f"{title} {lead}", _limits(blocks))


def threshold_message(alert: Alert) -> Message:
    """A rule started to hold (`threshold`) or stopped (`recovery`)."""
    d: dict[str, Any] = alert.details
    lead = mentions(alert.leads)
    rule = f"`{d.get('rule', '')}`"
    if alert.kind == "recovery":
        text = f"✅ {d.get('name')} {d.get('period')} is back: {d.get('value_text')} (rule {rule})"
    else:
        value = f"{d.get('value_text')}: {d.get('what')}"
        text = f"📉 {d.get('name')} {d.get('period')} is {value} (rule {rule})"
    body = f"*{text}* {lead}".strip()
    context = [f"n = {d.get('n', 0)} · rule #t{d.get('rule_id')} · `/kpi alert list`"]
    blocks: list[Block] = [
        SectionBlock(text=_md(body)),
        ContextBlock(elements=[_md(c, MAX_FIELD) for c in context]),
    ]
    return Message(clip(text, 300), _limits(blocks))


def reminder_text(alert: Alert) -> str:
    """The one reminder in an unclaimed alert's thread."""
    return (
        f":alarm_clock: {mentions(alert.leads)} this detractor has not been claimed yet. "
        "Claim it above if you are calling the customer back."
    )


def resolve_modal(alert_id: int, channel: str, ts: str) -> dict[str, Any]:
    """The modal Resolved opens: a short note on what was done."""
    view = View(
        type="modal",
        callback_id=ids.RESOLVE_VIEW,
        title=PlainTextObject(text="Resolve the alert"),
        submit=PlainTextObject(text="Resolve"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=f"{alert_id}|{channel}|{ts}",
        blocks=[
            InputBlock(
                block_id=ids.NOTE_BLOCK,
                label=PlainTextObject(text="What was done?"),
                element=PlainTextInputElement(
                    action_id=ids.NOTE_INPUT,
                    multiline=True,
                    max_length=500,
                    placeholder=PlainTextObject(text="Called the customer back, refunded…"),
                ),
            )
        ],
    )
    result: dict[str, Any] = view.to_dict()
    return result
