"""What the helpdesks' deliveries become (Intercom, Zendesk, Freshdesk), through the real server
on both databases: a ticket built up across events that arrive out of order and more than once,
its first response staying the first; ratings on their own scales."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.connector_fixtures import NOW, Clock, connected_bot, responses, tickets
from tests.harness import Bot
from tests.vendors import (
    freshdesk_rule,
    intercom_conversation,
    intercom_notification,
    intercom_part,
    zendesk_comment,
    zendesk_event,
    zendesk_satisfaction,
)

T0 = NOW - timedelta(hours=3)
MIN = timedelta(minutes=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(db_url: str, clock: Clock) -> Iterator[Bot]:
    with connected_bot(db_url, clock=clock) as running:
        yield running


def ok(answer: Any) -> None:
    assert answer.status_code == 200, answer.text


def one_ticket(bot: Bot) -> dict[str, Any]:
    [ticket] = tickets(bot)
    return ticket


# --- Intercom ------------------------------------------------------------------------------


def intercom(topic: str, at: timedelta, *parts: dict[str, Any], **fields: Any) -> dict[str, Any]:
    item = intercom_conversation(created=T0, updated=T0 + at, parts=list(parts), **fields)
    return intercom_notification(topic, item, at=T0 + at, notification=f"notif_{topic}_{at}")


def test_intercom_conversation_lifecycle_out_of_order(bot: Bot) -> None:
    created = intercom("conversation.user.created", 0 * MIN)
    first_reply = intercom(
        "conversation.admin.replied", 5 * MIN, intercom_part("comment", T0 + 5 * MIN)
    )
    second_reply = intercom(
        "conversation.admin.replied",
        30 * MIN,
        intercom_part("comment", T0 + 30 * MIN, part_id="124"),
        team="6000001",
    )
    closed = intercom(
        "conversation.admin.closed", 60 * MIN, intercom_part("close", T0 + 60 * MIN), state="closed"
    )
    reopened = intercom(
        "conversation.admin.opened",
        90 * MIN,
        intercom_part("open", T0 + 90 * MIN),
        statistics={
            "type": "conversation_statistics",
            "first_close_at": int((T0 + 60 * MIN).timestamp()),
            "count_reopens": 1,
        },
    )
    for delivery in (second_reply, created, closed, first_reply, closed, reopened, created):
        ok(bot.deliver("intercom", delivery))
    ticket = one_ticket(bot)
    assert (ticket["external_id"], ticket["source"]) == ("1295", "intercom")
    assert ticket["created_at"] == T0.replace(microsecond=0)
    assert ticket["first_response_at"] == (T0 + 5 * MIN).replace(microsecond=0)
    assert ticket["first_response_seconds"] == 300
    assert ticket["resolved_at"] == (T0 + 60 * MIN).replace(microsecond=0)
    assert ticket["resolution_seconds"] == 3600
    assert ticket["reopened"] is True
    assert (ticket["channel"], ticket["team"], ticket["agent"]) == ("chat", "5017691", "814860")
    assert ticket["customer_id"] == "cu-42"
    assert ticket["attributes"] == {"priority": "not_priority", "tags": "billing"}


def test_intercom_team_follows_the_newest_event_and_bots_are_no_first_response(
    bot: Bot,
) -> None:
    bot_reply = intercom(
        "conversation.admin.replied",
        2 * MIN,
        intercom_part("comment", T0 + 2 * MIN, author="bot"),
        source_type="email",
        team="6000001",
    )
    assigned = intercom(
        "conversation.admin.assigned", 20 * MIN, team="6000002", source_type="email"
    )
    ok(bot.deliver("intercom", assigned))
    ok(bot.deliver("intercom", bot_reply))  # older, delivered last
    ticket = one_ticket(bot)
    assert ticket["first_response_at"] is None
    assert (ticket["channel"], ticket["team"]) == ("email", "6000002")


def test_intercom_rating_is_a_csat_on_five_points(bot: Bot) -> None:
    rated_at = int((T0 + 70 * MIN).timestamp())
    rating = {
        "rating": 2,
        "remark": "Took three days",
        "created_at": rated_at,
        "contact": {"type": "contact", "id": "5bc8f7ae2d96695c18a", "external_id": "cu-42"},
        "teammate": {"type": "admin", "id": "814860"},
    }
    delivery = intercom("conversation.rating.added", 70 * MIN, rating=rating, state="closed")
    ok(bot.deliver("intercom", delivery))
    ok(bot.deliver("intercom", delivery))
    [stored] = responses(bot)
    assert (stored["external_id"], stored["survey"], stored["score"]) == ("1295", "csat", 2)
    assert (stored["scale_max"], stored["comment"]) == (5, "Took three days")
    assert stored["customer_id"] == "cu-42"
    assert stored["attributes"] == {"teammate": "814860", "channel": "chat"}
    assert tickets(bot) == []


# --- Zendesk -------------------------------------------------------------------------------


def zendesk(kind: str, at: timedelta, **fields: Any) -> dict[str, Any]:
    return zendesk_event(kind, at=T0 + at, created=T0, event_id=f"{kind}-{at}", **fields)


def test_zendesk_ticket_built_from_its_events_in_any_order(bot: Bot) -> None:
    events = [
        zendesk("ticket.created", 0 * MIN),
        # the ticket's own first comment, at its creation: not a response
        zendesk("ticket.comment_added", 0 * MIN, event=zendesk_comment()),
        zendesk("ticket.comment_added", 4 * MIN, event=zendesk_comment(is_staff=False)),
        zendesk("ticket.comment_added", 6 * MIN, event=zendesk_comment(is_public=False)),
        zendesk("ticket.comment_added", 12 * MIN, event=zendesk_comment()),
        zendesk("ticket.comment_added", 40 * MIN, event=zendesk_comment()),
        zendesk(
            "ticket.status_changed",
            60 * MIN,
            status="SOLVED",
            event={"current": "SOLVED", "previous": "OPEN"},
        ),
        zendesk(
            "ticket.status_changed",
            80 * MIN,
            status="OPEN",
            event={"current": "OPEN", "previous": "SOLVED"},
        ),
        zendesk(
            "ticket.group_assignment_changed",
            85 * MIN,
            group="9000001",
            event={"current": "9000001", "previous": "8447320466430"},
        ),
        zendesk(
            "ticket.status_changed",
            120 * MIN,
            status="CLOSED",
            group="9000001",  # its detail is the ticket as it is then
            event={"current": "CLOSED", "previous": "OPEN"},
        ),
    ]
    order = [9, 4, 0, 6, 2, 5, 8, 1, 7, 3, 4, 6]
    for index in order:
        ok(bot.deliver("zendesk", events[index]))
    ticket = one_ticket(bot)
    assert (ticket["external_id"], ticket["source"]) == ("5158", "zendesk")
    assert ticket["created_at"] == T0.replace(microsecond=0)
    fraction = timedelta(microseconds=123456)  # Zendesk's event times carry nanoseconds
    assert ticket["first_response_at"] == T0 + 12 * MIN + fraction
    assert ticket["first_response_seconds"] == 720.123
    assert ticket["resolved_at"] == T0 + 60 * MIN + fraction  # the first resolution
    assert ticket["resolution_seconds"] == 3600.123
    assert ticket["reopened"] is True
    assert ticket["team"] == "9000001"  # the group of the newest event
    assert (ticket["agent"], ticket["customer_id"]) == ("8447388090495", "8447388090494")
    assert ticket["channel"] == "web_service"
    assert ticket["attributes"] == {
        "priority": "high",
        "type": "problem",
        "tags": "mobile,login,priority-support",
        "brand": "8447346621310",
    }
    before = one_ticket(bot)
    for event in events:
        ok(bot.deliver("zendesk", event))
    assert one_ticket(bot) == before


def test_zendesk_csat_trigger_is_a_binary_csat(bot: Bot) -> None:
    ok(bot.deliver("zendesk", zendesk_satisfaction("5158", "good", rated=T0 + 70 * MIN)))
    ok(bot.deliver("zendesk", zendesk_satisfaction("5159", "Bad, I'm unsatisfied", rated=T0)))
    offered = bot.deliver("zendesk", zendesk_satisfaction("5160", "Offered", rated=T0))
    assert "not rated" in offered.json()["ignored"]
    wrong = bot.deliver("zendesk", zendesk_satisfaction("5161", "excellent", rated=T0))
    assert wrong.status_code == 422
    found = {r["external_id"]: r for r in responses(bot)}
    assert {k: (r["survey"], r["score"], r["scale_max"]) for k, r in found.items()} == {
        "5158": ("csat", 2, 2),
        "5159": ("csat", 1, 2),
    }
    assert found["5158"]["attributes"] == {
        "team": "Billing",
        "agent": "Support Agent",
        "channel": "web",
    }
    assert found["5158"]["submitted_at"] == (T0 + 70 * MIN).replace(second=0, microsecond=0)


# --- Freshdesk -----------------------------------------------------------------------------


def test_freshdesk_rule_bodies_build_a_ticket_dated_on_arrival(bot: Bot, clock: Clock) -> None:
    def rule(event: str, **values: Any) -> Any:
        return bot.deliver("freshdesk", freshdesk_rule(event, source="Portal", **values))

    clock.now = T0
    ok(rule("created"))
    clock.now = T0 + 15 * MIN
    ok(rule("replied"))
    clock.now = T0 + 25 * MIN
    ok(rule("replied"))  # a second reply
    ok(rule("created"))  # re-sent late
    clock.now = T0 + 50 * MIN
    ok(rule("resolved", status="Resolved"))
    clock.now = T0 + 70 * MIN
    ok(rule("reopened", group="Escalations"))
    ticket = one_ticket(bot)
    assert (ticket["external_id"], ticket["source"]) == ("432", "freshdesk")
    assert ticket["created_at"] == T0
    assert ticket["first_response_seconds"] == 900
    assert ticket["resolution_seconds"] == 3000
    assert ticket["reopened"] is True
    assert (ticket["channel"], ticket["team"]) == ("web", "Escalations")
    assert ticket["agent"] == "ana@example.com"
    assert ticket["customer_id"] == "laura@example.com"
    assert ticket["attributes"] == {
        "status": "open",
        "priority": "medium",
        "type": "question",
        "tags": "invoice,vip",
    }


def test_freshdesk_ratings_on_its_own_scale(bot: Bot) -> None:
    def rated(ticket: str, rating: int, query: str = "") -> Any:
        body = freshdesk_rule("rated", ticket=ticket, rating=rating, feedback="merci")
        return bot.deliver("freshdesk", body, query=query)

    ok(rated("1", 103))
    ok(rated("2", -103))
    ok(rated("3", 100, "points=3"))
    ok(rated("4", -102, "points=5"))
    api_object = {
        "id": 102,
        "survey_id": 1,
        "user_id": 2,
        "agent_id": 1,
        "feedback": "Thank you for the quick action",
        "group_id": None,
        "ticket_id": 5,
        "ratings": {"default_question": 102, "question_2": -102},
        "created_at": "2026-11-20T09:08:16Z",
        "updated_at": "2026-11-20T09:08:16Z",
    }
    ok(bot.deliver("freshdesk", api_object))
    off = rated("6", 101, "points=3")
    assert off.status_code == 422
    assert "3-point" in off.json()["detail"]
    found = {r["external_id"]: (r["score"], r["scale_max"]) for r in responses(bot)}
    assert found == {"1": (7, 7), "2": (1, 7), "3": (2, 3), "4": (2, 5), "5": (6, 7)}
    assert {r["survey"] for r in responses(bot)} == {"csat"}
