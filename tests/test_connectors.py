"""What every connector does the same way, through the real server on both databases: 503 while
its secret is unset, 401 for a missing, wrong or stale signature, 422 for what it cannot read,
2xx for events kpibot ignores, nothing stored unless it is the vendor's and readable; a fresh
detractor pages the alert routes once; `serve` says which connectors are on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import startup_notes
from handlers.connectors.registration import FEATURE
from handlers.ops.connectors import FAILING_IN_ROW
from handlers.ops.doctor import connectors
from handlers.ops.incidents import watch
from settings import Settings
from tests.connector_fixtures import NOW, connected_bot, responses, tickets
from tests.harness import TOKEN, Bot, serve_bot
from tests.vendors import (
    SECRETS,
    delighted_response,
    freshdesk_rule,
    helpscout_rating,
    intercom_conversation,
    intercom_notification,
    typeform_response,
    zendesk_event,
)

VENDORS = ("typeform", "delighted", "intercom", "zendesk", "helpscout", "freshdesk")


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with connected_bot(db_url) as running:
        yield running


def storable(vendor: str) -> tuple[Any, str, str | None]:
    """(a payload the vendor's connector stores, its URL query, its Help Scout event)."""
    earlier = NOW - timedelta(minutes=20)
    if vendor == "typeform":
        return typeform_response(submitted=earlier), "survey=csat", None
    if vendor == "delighted":
        return delighted_response(created=earlier, updated=earlier), "", None
    if vendor == "intercom":
        item = intercom_conversation(created=earlier, updated=earlier)
        return intercom_notification("conversation.user.created", item, at=earlier), "", None
    if vendor == "zendesk":
        return zendesk_event("ticket.created", at=earlier, created=earlier), "", None
    if vendor == "helpscout":
        rating = helpscout_rating(rating="Great", created=earlier, modified=earlier)
        return rating, "", "satisfaction.ratings"
    return freshdesk_rule("created"), "", None


def stored(bot: Bot) -> int:
    return len(responses(bot)) + len(tickets(bot))


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_signed_delivery_is_stored_and_a_forged_one_is_not(bot: Bot, vendor: str) -> None:
    payload, query, event = storable(vendor)
    wrong = bot.deliver(vendor, payload, query=query, event=event, secret="not-the-secret")
    assert wrong.status_code == 401, wrong.text
    assert stored(bot) == 0
    signature = {
        "typeform": "Typeform-Signature",
        "delighted": "X-Delighted-Webhook-Signature",
        "intercom": "X-Hub-Signature",
        "zendesk": "X-Zendesk-Webhook-Signature",
        "helpscout": "X-HelpScout-Signature",
        "freshdesk": "Authorization",
    }[vendor]
    missing = bot.deliver(vendor, payload, query=query, event=event, headers={signature: None})
    assert missing.status_code == 401, missing.text
    assert stored(bot) == 0
    good = bot.deliver(vendor, payload, query=query, event=event)
    assert good.status_code == 200, good.text
    assert good.json() == {"created": 1, "updated": 0}
    assert stored(bot) == 1
    again = bot.deliver(vendor, payload, query=query, event=event)
    assert again.json() == {"created": 0, "updated": 1}
    assert stored(bot) == 1


def test_a_body_changed_after_signing_is_refused(bot: Bot) -> None:
    payload, query, _ = storable("typeform")
    headers = {"Typeform-Signature": bot_signature_of(payload)}
    payload["form_response"]["token"] = "tampered"
    assert bot.deliver("typeform", payload, query=query, headers=headers).status_code == 401
    assert stored(bot) == 0


def bot_signature_of(payload: Any) -> str:
    from tests.vendors import body_of, sign

    return sign("typeform", body_of(payload))["Typeform-Signature"]


@pytest.mark.parametrize("skew", [timedelta(minutes=6), -timedelta(minutes=6)])
def test_zendesk_refuses_a_timestamp_more_than_five_minutes_off(bot: Bot, skew: timedelta) -> None:
    payload, _, _ = storable("zendesk")
    refused = bot.deliver("zendesk", payload, at=NOW + skew)
    assert refused.status_code == 401
    assert "5 minutes" in refused.json()["detail"]
    assert stored(bot) == 0
    assert bot.deliver("zendesk", payload, at=NOW - timedelta(minutes=4)).status_code == 200


def test_zendesk_refuses_its_published_test_secret(bot: Bot) -> None:
    payload, _, _ = storable("zendesk")
    test_secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    assert bot.deliver("zendesk", payload, secret=test_secret).status_code == 401


def test_freshdesk_takes_its_token_as_bearer_basic_or_header(bot: Bot) -> None:
    import base64

    body = freshdesk_rule("created", ticket="900")
    token = SECRETS["freshdesk"]
    api_key = base64.b64encode(f"{token}:X".encode()).decode()  # Freshdesk's "API key" option
    for ticket, header in (
        ("900", {"Authorization": f"Bearer {token}"}),
        ("901", {"Authorization": f"Basic {api_key}"}),
        ("902", {"Authorization": None, "X-Kpibot-Token": token}),
    ):
        body["ticket_id"] = ticket
        assert bot.deliver("freshdesk", body, headers=header).status_code == 200
    assert len(tickets(bot)) == 3
    wrong = bot.deliver("freshdesk", body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_an_unset_secret_answers_503_naming_its_setting(db_url: str) -> None:
    with serve_bot(db_url, typeform_secret=None, zendesk_webhook_secret="z") as bot:
        payload, query, _ = storable("typeform")
        off = bot.deliver("typeform", payload, query=query)
        assert off.status_code == 503
        assert "KPIBOT_TYPEFORM_SECRET" in off.json()["detail"]
        assert stored(bot) == 0


@pytest.mark.parametrize(
    ("vendor", "payload", "event"),
    [
        ("typeform", {"event_id": "x1", "event_type": "form_partial_response"}, None),
        ("delighted", {"event_type": "unsubscribe.created", "event_id": "u1"}, None),
        ("intercom", {"type": "notification_event", "topic": "ping", "id": "notif_1"}, None),
        ("intercom", {"type": "notification_event", "topic": "contact.user.created"}, None),
        ("zendesk", {"type": "zen:event-type:user.created", "id": "z1", "detail": {}}, None),
        ("helpscout", {"id": 77, "tags": []}, "tag.created"),
    ],
)
def test_events_kpibot_does_not_use_are_acknowledged(
    bot: Bot, vendor: str, payload: Any, event: str | None
) -> None:
    answer = bot.deliver(vendor, payload, event=event)
    assert answer.status_code == 200, answer.text
    assert "ignored" in answer.json()
    assert stored(bot) == 0


@pytest.mark.parametrize(
    ("vendor", "payload", "query", "field"),
    [
        ("typeform", b"{not json", "survey=nps", None),
        ("typeform", typeform_response(submitted=NOW), "", "survey"),  # no ?survey=
        ("typeform", typeform_response(submitted=NOW), "survey=nps&field=nope", "field"),
        ("typeform", typeform_response(submitted=NOW, opinion=11), "survey=csat", "score"),
        (
            "delighted",
            {"event_type": "survey_response.updated", "event_data": {}},
            "",
            "event_data.score",
        ),
        ("zendesk", {"type": "zen:event-type:ticket.created", "detail": {}}, "", "detail.id"),
        ("freshdesk", {"event": "exploded", "ticket_id": "1"}, "", "event"),
    ],
)
def test_what_cannot_be_read_is_422_logged_with_the_delivery_id(
    bot: Bot,
    vendor: str,
    payload: Any,
    query: str,
    field: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="kpibot.connectors"):
        answer = bot.deliver(vendor, payload, query=query)
    assert answer.status_code == 422, answer.text
    assert answer.json()["stored"] == 0
    assert answer.json()["field"] == field
    assert stored(bot) == 0
    logged = [r.getMessage() for r in caplog.records if "refused (422" in r.getMessage()]
    assert len(logged) == 1
    if isinstance(payload, dict) and payload.get("event_id"):
        assert payload["event_id"] in logged[0]


def test_a_fresh_detractor_from_a_connector_alerts_once(bot: Bot) -> None:
    text = bot.kpi_text("alert detractors <#C0LEADS|leads> <@U0LEAD>")
    assert "Route *d" in text, text
    earlier = NOW - timedelta(minutes=3)
    score_only = delighted_response("7001", created=earlier, updated=earlier, score=2, comment=None)
    with_comment = delighted_response(
        "7001",
        created=earlier,
        updated=NOW - timedelta(minutes=1),
        score=2,
        comment="Nobody called me back.",
        event_id="e2",
    )
    assert bot.deliver("delighted", score_only).status_code == 200
    assert bot.deliver("delighted", with_comment).status_code == 200
    assert bot.deliver("delighted", with_comment).status_code == 200  # re-delivered
    assert bot.work() == ["posted"]
    assert bot.work() == []
    [post] = bot.slack.posted("C0LEADS")
    assert "*2/10* NPS" in str(post.body["blocks"])
    assert len(bot.alerts()) == 1
    # a bad Zendesk rating (a binary CSAT) is a detractor too
    from tests.vendors import zendesk_satisfaction

    rating = zendesk_satisfaction("5158", "bad", rated=NOW - timedelta(minutes=1))
    assert bot.deliver("zendesk", rating).status_code == 200
    assert bot.work() == ["posted"]
    assert "*1/2* CSAT" in str(bot.slack.posted("C0LEADS")[-1].body["blocks"])


def test_serve_says_which_connectors_are_on() -> None:
    notes = startup_notes(Settings(typeform_secret="t", zendesk_webhook_secret="z"))
    on = next(n for n in notes if n.startswith("connectors on"))
    assert "Typeform (/webhooks/typeform)" in on
    assert "Zendesk (/webhooks/zendesk)" in on
    off = next(n for n in notes if n.startswith("connectors off"))
    for setting in (
        "KPIBOT_DELIGHTED_API_KEY",
        "KPIBOT_INTERCOM_CLIENT_SECRET",
        "KPIBOT_HELPSCOUT_SECRET",
        "KPIBOT_FRESHDESK_TOKEN",
    ):
        assert setting in off
    assert "KPIBOT_TYPEFORM_SECRET" not in off


def test_a_setting_may_hold_two_secrets(db_url: str) -> None:
    """Zendesk's event webhook and its CSAT trigger's webhook each have their own secret."""
    from tests.vendors import zendesk_satisfaction

    with connected_bot(db_url, zendesk_webhook_secret="events-secret, trigger-secret") as bot:
        payload, _, _ = storable("zendesk")
        assert bot.deliver("zendesk", payload, secret="events-secret").status_code == 200
        rating = zendesk_satisfaction("5158", "good", rated=NOW)
        assert bot.deliver("zendesk", rating, secret="trigger-secret").status_code == 200
        assert bot.deliver("zendesk", rating, secret="another").status_code == 401
        assert stored(bot) == 2


def _deliveries(bot: Bot) -> dict[str, float]:
    """`kpibot_connector_deliveries_total` of typeform by outcome, scraped from /metrics."""
    reply = httpx.get(f"{bot.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200, reply.text
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
        if sample.name == "kpibot_connector_deliveries_total"
        and sample.labels["vendor"] == "typeform"
    }


def test_deliveries_are_counted_and_a_failing_vendor_is_told(bot: Bot) -> None:
    payload, query, _ = storable("typeform")
    for _ in range(FAILING_IN_ROW):
        refused = bot.deliver("typeform", payload, query=query, secret="rotated-at-typeform")
        assert refused.status_code == 401
    [line] = [c for c in connectors(bot.deps, [FEATURE]) if c.name == "connector typeform"]
    assert line.ok is False
    assert f"{FAILING_IN_ROW} failed deliveries in a row" in line.detail
    assert "signature" in line.detail
    assert watch(bot.deps, bot.client(), now=NOW) == ["+connector:typeform"]
    assert bot.deliver("typeform", {"event_type": "form_partial_response"}).status_code == 200
    assert bot.deliver("typeform", b"{not json", query=query).status_code == 422
    assert bot.deliver("typeform", payload, query=query).status_code == 200
    assert watch(bot.deps, bot.client(), now=NOW) == ["-connector:typeform"]
    assert _deliveries(bot) == {
        "unauthorized": FAILING_IN_ROW,
        "ignored": 1,
        "unreadable": 1,
        "stored": 1,
    }
    lines = {c.name: c for c in connectors(bot.deps, [FEATURE])}
    assert lines["connector typeform"].ok is True
    assert lines["connector typeform"].detail == "on; last delivery stored"
    assert lines["connector zendesk"].ok is True  # on, nothing delivered yet
