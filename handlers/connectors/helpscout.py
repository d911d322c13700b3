"""Help Scout: satisfaction ratings and NPS survey responses.

Signature: `X-HelpScout-Signature` = base64 HMAC-SHA1 of the raw body with the webhook's secret;
the event's name is in `X-HelpScout-Event` (developer.helpscout.com/webhooks).

- `satisfaction.ratings` (the Rating object): a CSAT answer on a 3-point scale, Great 3,
  Okay 2, Bad 1, upserted on the rating's `id` (a changed rating replaces it, by its
  `modifiedAt`); `comments` is the comment, the customer's `id` the customer, the mailbox and
  the conversation (`ticketId`) attributes;
- `message.survey.response.received` (a Messages NPS survey): an NPS answer whose `value` comes
  as a string (`"9"`); one per survey message and customer (`_links.message:dashboard`, else
  the message's name), an answer sent again replacing it;
- every other event is acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from handlers.connectors.base import Connector, Ignored, Outcome, Received, Records, Unreadable
from handlers.connectors.fields import (
    at,
    b64,
    expect_signature,
    hmac_digest,
    ident,
    instant,
    integer,
    label,
    mapping,
    optional_instant,
    text,
)

RATINGS = {"great": 3, "okay": 2, "bad": 1}


class HelpScout(Connector):
    name = "helpscout"
    title = "Help Scout"
    setting = "KPIBOT_HELPSCOUT_SECRET"
    settings_field = "helpscout_secret"

    def verify(self, received: Received, secret: str) -> None:
        expected = b64(hmac_digest(secret, received.body, "sha1"))
        header = "X-HelpScout-Signature"
        expect_signature(received.header(header), expected, header)

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        event = received.header("X-HelpScout-Event") or "?"
        found = text(at(payload, "id", None), "id")
        return f"{event} {found}" if found else event

    def read(self, received: Received, payload: Any) -> Outcome:
        event = (received.header("X-HelpScout-Event") or "").strip()
        if event == "satisfaction.ratings":
            return self._rating(payload)
        if event == "message.survey.response.received":
            return self._nps(payload)
        return Ignored(f"event {event!r} is neither a rating nor a survey response")

    @staticmethod
    def _rating(payload: Any) -> Outcome:
        word = (text(at(payload, "rating"), "rating") or "").lower()
        if word not in RATINGS:
            raise Unreadable(f"{word!r} is not Great, Okay or Bad", "rating")
        created = instant(at(payload, "createdAt"), "createdAt")
        record = {
            "external_id": ident(at(payload, "id"), "id"),
            "survey": "csat",
            "score": RATINGS[word],
            "scale_max": 3,
            "comment": text(at(payload, "comments", None), "comments"),
            "customer_id": text(at(payload, "customer.id", None), "customer.id"),
            "submitted_at": created,
            "attributes": {
                "mailbox": label(at(payload, "mailbox.name", None)),
                "conversation_id": text(at(payload, "ticketId", None), "ticketId"),
            },
            "event_at": optional_instant(payload, "modifiedAt") or created,
        }
        return Records(responses=(record,))

    @staticmethod
    def _nps(payload: Any) -> Outcome:
        response = mapping(payload, "response")
        if response.get("value") in (None, ""):
            return Ignored("the survey response has no score")
        answered = instant(at(response, "timestamp", under="response"), "response.timestamp")
        customer = text(at(payload, "_embedded.customer.id", None), "_embedded.customer.id")
        survey = text(at(payload, "_links.message:dashboard.href", None), "_links")
        survey = survey or text(at(payload, "message.name", None), "message.name") or "survey"
        who = customer or f"anonymous-{answered.isoformat()}"
        record = {
            "external_id": f"nps:{survey.rstrip('/').rsplit('/', 1)[-1]}:{who}"[:255],
            "survey": "nps",
            "score": integer(response["value"], "response.value"),
            "comment": text(response.get("comment"), "response.comment"),
            "customer_id": customer,
            "submitted_at": answered,
            "attributes": {"survey_name": label(at(payload, "message.name", None))},
            "event_at": answered,
        }
        return Records(responses=(record,))


CONNECTOR = HelpScout()
