"""The alert buttons and the Resolved modal: Bolt listeners that move the loop in the database
(conditional UPDATEs: the first click wins) and then re-render the message with `chat.update`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.alerts import ids
from handlers.alerts.blocks import resolve_modal
from handlers.alerts.worker import refresh_message
from handlers.deps import Deps
from handlers.feature import SlackParts
from handlers.i18n import say, word
from handlers.slack.access import Access
from storage.alerts.store import get_alert, move_loop
from storage.alerts.tables import LoopState
from storage.db import session_scope

log = logging.getLogger("kpibot.alerts")

#: How a late clicker is told what happened to the alert, by its loop state.
TAKEN = {
    LoopState.CLAIMED: "alert_taken_claimed",
    LoopState.RESOLVED: "alert_taken_resolved",
    LoopState.NO_ACTION: "alert_taken_no_action",
}


def _where(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
    return str(channel), str(ts)


def move_alert(
    deps: Deps,
    client: WebClient,
    *,
    alert_id: int,
    to: LoopState,
    from_states: tuple[LoopState, ...],
    user: str,
    channel: str,
    ts: str,
    note: str | None = None,
) -> None:
    """Move the loop; tell a late clicker who was first; re-render the message either way."""
    with session_scope(deps.sessions) as session:
        won = move_loop(
            session=session,
            alert_id=alert_id,
            to=to,
            from_states=from_states,
            user=user,
            now=deps.clock(),
            note=note,
        )
        alert = get_alert(session=session, alert_id=alert_id)
    if alert is None:
        return
    if not won and channel:
        language = deps.settings.language
        who = alert.claimed_by if alert.state == LoopState.CLAIMED else alert.closed_by
        what = word(TAKEN[alert.state], language) if alert.state in TAKEN else alert.state
        text = say("alert_taken", language, what=what, user=who)
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        except Exception:
            log.warning("could not tell %s that alert %s was taken", user, alert_id)
    refresh_message(deps, client, alert.message_channel or channel, alert.message_ts or ts)


def refused(access: Access, client: WebClient, body: dict[str, Any], language: str) -> bool:
    """Whether the clicker may not act (guests, other organisations); tells them why."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id", "") or user.get("team_id", "")
    reason = access.refusal(
        client,
        user_id=user.get("id", ""),
        team_id=team,
        share=False,
        enterprise_id=(body.get("enterprise") or {}).get("id", "") or "",
    )
    if reason is None:
        return False
    channel, _ = _where(body)
    if channel:
        try:
            client.chat_postEphemeral(
                channel=channel,
                user=user.get("id", ""),
                text=say("alert_cannot_act", language, reason=word(reason, language)),
            )
        except Exception:
            log.warning("could not tell %s why they may not act", user.get("id"))
    return True


def register_alert_actions(app: App, parts: SlackParts) -> None:
    """Wire the Claim, Resolved and No action buttons and the Resolved modal.

    Who may act is who may ask: guests and people from other organisations are refused.
    """
    deps, access = parts.deps, parts.access
    language = deps.settings.language

    @app.action(ids.CLAIM)
    def claim(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        if refused(access, client, body, language):
            return
        channel, ts = _where(body)
        move_alert(
            deps,
            client,
            alert_id=int(action["value"]),
            to=LoopState.CLAIMED,
            from_states=(LoopState.OPEN,),
            user=body["user"]["id"],
            channel=channel,
            ts=ts,
        )

    @app.action(ids.NO_ACTION)
    def no_action(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        if refused(access, client, body, language):
            return
        channel, ts = _where(body)
        move_alert(
            deps,
            client,
            alert_id=int(action["value"]),
            to=LoopState.NO_ACTION,
            from_states=(LoopState.OPEN, LoopState.CLAIMED),
            user=body["user"]["id"],
            channel=channel,
            ts=ts,
        )

    @app.action(ids.RESOLVE)
    def resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        if refused(access, client, body, language):
            return
        channel, ts = _where(body)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=resolve_modal(int(action["value"]), channel, ts, language),
        )

    @app.view(ids.RESOLVE_VIEW)
    def resolved(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        note = (values.get(ids.NOTE_BLOCK, {}).get(ids.NOTE_INPUT, {}).get("value") or "").strip()
        if not note:
            ack(
                response_action="errors",
                errors={ids.NOTE_BLOCK: word("alert_modal_needs_note", language)},
            )
            return
        ack()
        alert_id, channel, ts = view["private_metadata"].split("|")
        move_alert(
            deps,
            client,
            alert_id=int(alert_id),
            to=LoopState.RESOLVED,
            from_states=(LoopState.OPEN, LoopState.CLAIMED),
            user=body["user"]["id"],
            channel=channel,
            ts=ts,
            note=note[:500],
        )
