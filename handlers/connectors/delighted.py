"""Delighted: `survey_response.created` and `survey_response.updated` webhooks.

Signature: `X-Delighted-Webhook-Signature: sha256=` + hex HMAC-SHA256 of the raw body with the
project's API key (app.delighted.com/docs/api/webhooks). Delighted sends one response several
times as it fills in (the score, then the comment, then the additional answers): each is an
upsert on the response's id (`event_data.id`), ordered by its `updated_at`. Unsubscribe events
are acknowledged and ignored.

The survey kind is the payload's `survey_type` (nps, enps, csat, ces; Smileys and 5-star are
CSATs on 1–5), else `?survey=` (default nps); `?scale_max=` sets a CES scale other than 1–7.
Thumbs and PMF surveys are acknowledged and ignored: their scores are not on a kpibot scale.
`person_properties` become attributes; the customer is the `customer_id` property, else the
person's email.
"""

from __future__ import annotations

from typing import Any

from handlers.connectors.base import Connector, Ignored, Outcome, Received, Records, Unreadable
from handlers.connectors.fields import (
    at,
    attributes,
    expect_signature,
    hmac_digest,
    ident,
    instant,
    integer,
    joined,
    listed,
    mapping,
    optional_instant,
    scale_of,
    text,
)

#: Delighted's survey types → (kpibot's survey, the scale's top: None for the survey's own).
SURVEY_TYPES: dict[str, tuple[str, int | None]] = {
    "nps": ("nps", 10),
    "enps": ("enps", 10),
    "csat": ("csat", 5),
    "smileys": ("csat", 5),
    "5star": ("csat", 5),
    "ces": ("ces", None),
}
RESPONSE_EVENTS = ("survey_response.created", "survey_response.updated")


class Delighted(Connector):
    name = "delighted"
    title = "Delighted"
    setting = "KPIBOT_DELIGHTED_API_KEY"
    settings_field = "delighted_api_key"

    def verify(self, received: Received, secret: str) -> None:
        expected = "sha256=" + hmac_digest(secret, received.body, "sha256").hex()
        header = "X-Delighted-Webhook-Signature"
        expect_signature(received.header(header), expected, header)

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        return text(at(payload, "event_id", None), "event_id")

    def read(self, received: Received, payload: Any) -> Outcome:
        event = at(payload, "event_type", None)
        if event not in RESPONSE_EVENTS:
            return Ignored(f"event type {event!r} is not a survey response")
        data = mapping(payload, "event_data")
        kind = text(data.get("survey_type"), "event_data.survey_type")
        if kind is None:
            kind = (received.query.get("survey") or "nps").strip().lower()
        if kind not in SURVEY_TYPES:
            return Ignored(f"Delighted's {kind!r} surveys are not on a kpibot scale")
        survey, scale = SURVEY_TYPES[kind]
        if scale is None:
            scale = scale_of(received.query)
        if at(data, "score", None) is None:
            raise Unreadable("is missing", "event_data.score")
        properties = {str(k): v for k, v in mapping(data, "person_properties").items()}
        customer = text(properties.pop("customer_id", None), "person_properties.customer_id")
        found = attributes(properties)
        customer = customer or found.pop("customer_id", None)
        if customer is None:
            customer = text(at(data, "person.email", None), "event_data.person.email")
        created = instant(at(data, "created_at", under="event_data"), "event_data.created_at")
        tags = joined(t.get("name", t) if isinstance(t, dict) else t for t in listed(data, "tags"))
        record = {
            "external_id": ident(at(data, "id", under="event_data"), "event_data.id"),
            "survey": survey,
            "score": integer(data["score"], "event_data.score"),
            "scale_max": scale,
            "comment": text(data.get("comment"), "event_data.comment"),
            "customer_id": customer,
            "submitted_at": created,
            "attributes": {**found, "tags": tags},
            "event_at": optional_instant(data, "updated_at") or created,
        }
        return Records(responses=(record,))


CONNECTOR = Delighted()
