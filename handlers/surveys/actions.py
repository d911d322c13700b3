"""The score buttons of a survey DM and the comment modal: Bolt listeners.

A click is acknowledged at once, then taken by `storage.surveys.store.answer` (one
transaction, at most once per member and round). The first click turns the DM into a thank-you
(without the score) and opens the optional comment modal; a second click is told "already
answered, thank you"; a click after the close is told the round closed. Nothing about the click
(user, DM channel, message ts) is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.feature import SlackParts
from handlers.i18n import word
from handlers.surveys import ids
from handlers.surveys.blocks import comment_modal, thanks
from storage.db import session_scope
from storage.surveys.store import Answered, add_comment, answer

log = logging.getLogger("kpibot.surveys")

COMMENT_CHARS = 2000


def _where(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
    return str(channel), str(ts)


def _tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    channel, _ = _where(body)
    user = (body.get("user") or {}).get("id", "")
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:
        log.warning("could not answer a survey click")


def take_click(deps: Deps, client: WebClient, body: dict[str, Any], value: str) -> Answered:
    """Record one click's answer and tell the member what became of it."""
    language = deps.settings.language
    round_text, _, score_text = value.partition(":")
    if not (round_text.isdigit() and score_text.isdigit()):
        return Answered("missing")
    user = str((body.get("user") or {}).get("id", ""))
    now = deps.clock()
    with session_scope(deps.sessions) as session:
        taken = answer(
            session=session,
            round_id=int(round_text),
            user_id=user,
            score=int(score_text),
            now=now,
        )
    if taken.outcome == "recorded":
        deps.data_changed.set()
        channel, ts = _where(body)
        assert taken.closes_at is not None
        message = thanks(taken.closes_at, deps.settings.timezone, language)
        try:
            client.views_open(
                trigger_id=body["trigger_id"],
                view=comment_modal(int(round_text), taken.external_id, language),
            )
        except Exception:
            log.warning("could not open the survey comment modal")
        try:
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except Exception:
            log.warning("could not thank a member for their answer")
    elif taken.outcome == "already":
        _tell(client, body, word("survey_already_answered", language))
    else:
        _tell(client, body, word("survey_round_closed", language))
    return taken


def register_survey_actions(app: App, parts: SlackParts) -> None:
    """Wire the score buttons and the comment modal."""
    deps = parts.deps
    language = deps.settings.language

    @app.action(ids.SCORE)
    def score(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        take_click(deps, client, body, str(action.get("value") or ""))

    @app.view(ids.COMMENT_VIEW)
    def comment(ack: Ack, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        text = (
            values.get(ids.COMMENT_BLOCK, {}).get(ids.COMMENT_INPUT, {}).get("value") or ""
        ).strip()
        round_text, _, external_id = str(view.get("private_metadata") or "").partition("|")
        if not text or not round_text.isdigit():
            ack()
            return
        with session_scope(deps.sessions) as session:
            added = add_comment(
                session=session,
                round_id=int(round_text),
                external_id=external_id,
                comment=text[:COMMENT_CHARS],
                now=deps.clock(),
            )
        if not added:
            ack(
                response_action="errors",
                errors={ids.COMMENT_BLOCK: word("survey_comment_refused", language)},
            )
            return
        deps.data_changed.set()
        ack()
