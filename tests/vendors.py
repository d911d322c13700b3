"""The vendors' side of the connector tests: requests signed exactly as each vendor signs them,
and payloads shaped exactly as each vendor documents them (the documented examples, whole, with
the ids, times and scores a test needs put in).

Sources: developer.typeform.com (webhooks: example payload, "Secure your webhooks");
app.delighted.com/docs/api/webhooks; developers.intercom.com (webhook models, the 2.x
conversation model, signed notifications); developer.zendesk.com (webhook event types: ticket
events; verifying webhook authenticity); developer.helpscout.com/webhooks (the Rating and Survey
Response objects); Freshdesk's automation rules (the rule bodies are kpibot's own,
docs/connectors.md).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

SECRETS = {
    "typeform": "typeform-webhook-secret-9c1",
    "delighted": "delighted-api-key-77aa",
    "intercom": "intercom-client-secret-3f0",
    "zendesk": "zendesk-signing-secret-ab12",
    "helpscout": "helpscout-secret-5d",
    "freshdesk": "freshdesk-rule-token-e4",
}
SETTINGS = {
    "typeform_secret": SECRETS["typeform"],
    "delighted_api_key": SECRETS["delighted"],
    "intercom_client_secret": SECRETS["intercom"],
    "zendesk_webhook_secret": SECRETS["zendesk"],
    "helpscout_secret": SECRETS["helpscout"],
    "freshdesk_token": SECRETS["freshdesk"],
}


def body_of(payload: Any) -> bytes:
    """A payload as the vendor's JSON body."""
    return json.dumps(payload, indent=2).encode()


def _hmac(secret: str, message: bytes, digest: str) -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, digest)).digest()


def sign(
    vendor: str,
    body: bytes,
    secret: str | None = None,
    *,
    at: datetime | None = None,
    event: str | None = None,
) -> dict[str, str]:
    """The headers the vendor sends with this body (its signature, its event name…)."""
    key = SECRETS[vendor] if secret is None else secret
    headers = {"Content-Type": "application/json"}
    if vendor == "typeform":
        mac = base64.b64encode(_hmac(key, body, "sha256")).decode()
        headers["Typeform-Signature"] = f"sha256={mac}"
    elif vendor == "delighted":
        headers["X-Delighted-Webhook-Signature"] = f"sha256={_hmac(key, body, 'sha256').hex()}"
    elif vendor == "intercom":
        headers["X-Hub-Signature"] = f"sha1={_hmac(key, body, 'sha1').hex()}"
        headers["User-Agent"] = "intercom-parrot-service-client/1.0"
    elif vendor == "zendesk":
        stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        mac = base64.b64encode(_hmac(key, stamp.encode() + body, "sha256")).decode()
        headers["X-Zendesk-Webhook-Signature"] = mac
        headers["X-Zendesk-Webhook-Signature-Timestamp"] = stamp
        headers["X-Zendesk-Webhook-Id"] = "01HCR3V5P7Y6WZ9QZ8N5KQ3J4T"
        headers["X-Zendesk-Webhook-Invocation-Id"] = "8350205582"
    elif vendor == "helpscout":
        headers["X-HelpScout-Signature"] = base64.b64encode(_hmac(key, body, "sha1")).decode()
        headers["X-HelpScout-Event"] = event or "satisfaction.ratings"
    elif vendor == "freshdesk":
        # the rule's "Requires authentication": user name anything, password the token
        basic = base64.b64encode(f"kpibot:{key}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
    else:
        raise ValueError(vendor)
    return headers


def unix(at: datetime) -> int:
    return int(at.timestamp())


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Typeform: the documented example payload ---------------------------------------------

_TYPEFORM_FIELDS = [
    {
        "id": "DlXFaesGBpoF",
        "title": "Thanks, {{answer_60906475}}! What's it like where you live? Tell us in a few "
        "sentences.",
        "type": "long_text",
        "ref": "readable_ref_long_text",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "SMEUb7VJz92Q",
        "title": "If you're OK with our city management following up if they have further "
        "questions, please give us your email address.",
        "type": "email",
        "ref": "readable_ref_email",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "JwWggjAKtOkA",
        "title": "What is your first name?",
        "type": "short_text",
        "ref": "readable_ref_short_text",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "KoJxDM3c6x8h",
        "title": "When did you move to the place where you live?",
        "type": "date",
        "ref": "readable_ref_date",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "PNe8ZKBK8C2Q",
        "title": "Which pictures do you like? You can choose as many as you like.",
        "type": "picture_choice",
        "ref": "readable_ref_picture_choice",
        "allow_multiple_selections": True,
        "allow_other_choice": False,
    },
    {
        "id": "Q7M2XAwY04dW",
        "title": "On a scale of 1 to 5, what rating would you give the weather in Sydney? 1 is "
        "poor weather, 5 is excellent weather",
        "type": "number",
        "ref": "readable_ref_number1",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "gFFf3xAkJKsr",
        "title": "By submitting this form, you understand and accept that we will share your "
        "answers with city management. Your answers will be anonymous will not be shared.",
        "type": "legal",
        "ref": "readable_ref_legal",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "k6TP9oLGgHjl",
        "title": "Which of these cities is your favorite?",
        "type": "multiple_choice",
        "ref": "readable_ref_multiple_choice",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "RUqkXSeXBXSd",
        "title": "Do you have a favorite city we haven't listed?",
        "type": "yes_no",
        "ref": "readable_ref_yes_no",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "NRsxU591jIW9",
        "title": "How important is the weather to your opinion about a city? 1 is not "
        "important, 5 is very important.",
        "type": "opinion_scale",
        "ref": "readable_ref_opinion_scale",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "WOTdC00F8A3h",
        "title": "How would you rate the weather where you currently live? 1 is poor weather, "
        "5 is excellent weather.",
        "type": "rating",
        "ref": "readable_ref_rating",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "pn48RmPazVdM",
        "title": "On a scale of 1 to 5, what rating would you give the general quality of life "
        "in Sydney? 1 is poor, 5 is excellent",
        "type": "number",
        "ref": "readable_ref_number2",
        "allow_multiple_selections": False,
        "allow_other_choice": False,
    },
    {
        "id": "M5tXK5kG7IeA",
        "title": "Book a time with me",
        "type": "calendly",
        "ref": "readable_ref_calendly",
        "properties": {},
    },
]


def _typeform_answers(opinion: int, rating: int, yes_no: bool) -> list[dict[str, Any]]:
    return [
        {
            "type": "text",
            "text": "It's cold right now! I live in an older medium-sized city with a "
            "university. Geographically, the area is hilly.",
            "field": {"id": "DlXFaesGBpoF", "type": "long_text"},
        },
        {
            "type": "email",
            "email": "laura@example.com",
            "field": {"id": "SMEUb7VJz92Q", "type": "email"},
        },
        {"type": "text", "text": "Laura", "field": {"id": "JwWggjAKtOkA", "type": "short_text"}},
        {"type": "date", "date": "2005-10-15", "field": {"id": "KoJxDM3c6x8h", "type": "date"}},
        {
            "type": "choices",
            "choices": {"labels": ["London", "Sydney"]},
            "field": {"id": "PNe8ZKBK8C2Q", "type": "picture_choice"},
        },
        {"type": "number", "number": 5, "field": {"id": "Q7M2XAwY04dW", "type": "number"}},
        {"type": "boolean", "boolean": True, "field": {"id": "gFFf3xAkJKsr", "type": "legal"}},
        {
            "type": "choice",
            "choice": {"label": "London"},
            "field": {"id": "k6TP9oLGgHjl", "type": "multiple_choice"},
        },
        {
            "type": "boolean",
            "boolean": yes_no,
            "field": {"id": "RUqkXSeXBXSd", "type": "yes_no"},
        },
        {
            "type": "number",
            "number": opinion,
            "field": {"id": "NRsxU591jIW9", "type": "opinion_scale"},
        },
        {"type": "number", "number": rating, "field": {"id": "WOTdC00F8A3h", "type": "rating"}},
        {"type": "number", "number": 4, "field": {"id": "pn48RmPazVdM", "type": "number"}},
        {
            "type": "url",
            "url": "https://calendly.com/scheduled_events/EVENT_TYPE/invitees/INVITEE",
            "field": {"id": "M5tXK5kG7IeA", "type": "calendly", "ref": "readable_ref_calendly"},
        },
    ]


def typeform_response(
    token: str = "a3a12ec67a1365927098a606107fac15",  # noqa: S107 - a response token
    *,
    submitted: datetime,
    opinion: int = 2,
    rating: int = 3,
    yes_no: bool = False,
    hidden: dict[str, str] | None = None,
    nps: int | None = None,
    event_id: str = "LtWXD3crgy",
) -> dict[str, Any]:
    """Typeform's documented `form_response` (developer.typeform.com, example payload), with an
    NPS question added when `nps` is given."""
    fields = copy.deepcopy(_TYPEFORM_FIELDS)
    answers = _typeform_answers(opinion, rating, yes_no)
    if nps is not None:
        fields.insert(
            0,
            {
                "id": "QbXkXr8Rk8Ru",
                "title": "How likely are you to recommend us to a friend?",
                "type": "nps",
                "ref": "nps_question",
                "allow_multiple_selections": False,
                "allow_other_choice": False,
            },
        )
        answers.insert(
            0,
            {
                "type": "number",
                "number": nps,
                "field": {"id": "QbXkXr8Rk8Ru", "type": "nps", "ref": "nps_question"},
            },
        )
    return {
        "event_id": event_id,
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": token,
            "submitted_at": iso(submitted),
            "landed_at": iso(submitted.replace(minute=(submitted.minute + 50) % 60)),
            "calculated": {"score": 9},
            "variables": [
                {"key": "score", "type": "number", "number": 4},
                {"key": "name", "type": "text", "text": "typeform"},
            ],
            "hidden": {"user_id": "abc123456"} if hidden is None else hidden,
            "definition": {
                "id": "lT4Z3j",
                "title": "Webhooks example",
                "fields": fields,
                "endings": [
                    {
                        "id": "dN5FLyFpCMFo",
                        "ref": "01GRC8GR2017M6WW347T86VV39",
                        "title": "Bye!",
                        "type": "thankyou_screen",
                        "properties": {
                            "button_text": "Create a typeform",
                            "show_button": True,
                            "share_icons": True,
                            "button_mode": "default_redirect",
                        },
                    }
                ],
            },
            "answers": answers,
            "ending": {"id": "dN5FLyFpCMFo", "ref": "01GRC8GR2017M6WW347T86VV39"},
        },
    }


# --- Delighted -----------------------------------------------------------------------------


def delighted_response(
    response_id: str = "5435",
    *,
    created: datetime,
    updated: datetime,
    score: int = 9,
    comment: str | None = "Your service is fast and flawless!",
    survey_type: str = "nps",
    event_type: str = "survey_response.updated",
    properties: dict[str, Any] | None = None,
    event_id: str = "b8d057c59327541d7ec2104c0a9a255ad1997fb00831b9c6bbf09561e6d5cbd0",
) -> dict[str, Any]:
    """Delighted's documented survey response webhook (app.delighted.com/docs/api/webhooks)."""
    return {
        "event_type": event_type,
        "event_id": event_id,
        "event_data": {
            "id": response_id,
            "person": {
                "id": "5975",
                "email": "charlie_gravis@example.com",
                "name": "Charlie Gravis",
                "created_at": unix(created) - 60,
            },
            "survey_type": survey_type,
            "score": score,
            "comment": comment,
            "permalink": "https://app.delighted.com/r/5pFDpmlyC8GUc5oxU6USto5VonSKAqOa",
            "created_at": unix(created),
            "updated_at": unix(updated),
            "person_properties": properties,
            "notes": [],
            "tags": [],
            "additional_answers": [
                {
                    "id": "4",
                    "value": {
                        "free_response": None,
                        "scale": None,
                        "select_one": None,
                        "select_many": [
                            {"id": "DxmjNj", "text": "Convenience"},
                            {"id": "uNQIig", "text": "Friendly staff"},
                        ],
                    },
                    "question": {
                        "id": "enum_z9EvYV",
                        "type": "select_many",
                        "text": "What specifically did you enjoy about your experience with us?",
                    },
                }
            ],
        },
    }


def delighted_unsubscribe(at: datetime) -> dict[str, Any]:
    """Delighted's unsubscribe event (the person who unsubscribed)."""
    return {
        "event_type": "unsubscribe.created",
        "event_id": "f3a1c1d0e2b1a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9",
        "event_data": {
            "person_id": "5975",
            "email": "charlie_gravis@example.com",
            "unsubscribed_at": unix(at),
        },
    }


# --- Intercom: the 2.x conversation model in a notification --------------------------------


def intercom_conversation(
    conversation_id: str = "1295",
    *,
    created: datetime,
    updated: datetime,
    state: str = "open",
    parts: list[dict[str, Any]] | None = None,
    source_type: str = "conversation",
    team: str | None = "5017691",
    admin: int | None = 814860,
    rating: dict[str, Any] | None = None,
    statistics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A conversation as Intercom's 2.x conversation model documents it."""
    return {
        "type": "conversation",
        "id": conversation_id,
        "title": "Conversation Title",
        "created_at": unix(created),
        "updated_at": unix(updated),
        "waiting_since": unix(updated),
        "snoozed_until": None,
        "open": state == "open",
        "state": state,
        "read": True,
        "priority": "not_priority",
        "admin_assignee_id": admin,
        "team_assignee_id": team,
        "tags": {
            "type": "tag.list",
            "tags": [
                {
                    "type": "tag",
                    "id": "123456",
                    "name": "billing",
                    "applied_at": unix(created),
                    "applied_by": {"type": "admin", "id": "814860"},
                }
            ],
        },
        "conversation_rating": rating,
        "source": {
            "type": source_type,
            "id": "269650473",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": "<p>Hi, my invoice is wrong</p>",
            "author": {
                "type": "user",
                "id": "5bc8f7ae2d96695c18a",
                "name": "Laura Lopez",
                "email": "laura@example.com",
            },
            "attachments": [],
            "url": "https://example.com/billing",
            "redacted": False,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": "5bc8f7ae2d96695c18a", "external_id": "cu-42"}],
        },
        "teammates": {"type": "admin.list", "admins": [{"type": "admin", "id": "814860"}]},
        "custom_attributes": {"issue_type": "Billing"},
        "first_contact_reply": {
            "created_at": unix(created),
            "type": "conversation",
            "url": "https://example.com/billing",
        },
        "sla_applied": None,
        "statistics": statistics,
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": parts or [],
            "total_count": len(parts or []),
        },
        "linked_objects": {
            "type": "list",
            "total_count": 0,
            "has_more": False,
            "data": [],
        },
        "ai_agent_participated": False,
    }


def intercom_part(
    part_type: str, at: datetime, *, author: str = "admin", part_id: str = "123"
) -> dict[str, Any]:
    """A conversation part (a `comment`, `close`, `open`, `assignment`…)."""
    return {
        "type": "conversation_part",
        "id": part_id,
        "part_type": part_type,
        "body": "<p>Sorry about that, I fixed the invoice.</p>" if part_type == "comment" else None,
        "created_at": unix(at),
        "updated_at": unix(at),
        "notified_at": unix(at),
        "assigned_to": None,
        "author": {
            "type": author,
            "id": "814860",
            "name": "Ana Agent",
            "email": "ana@example.com",
        },
        "attachments": [],
        "external_id": None,
        "redacted": False,
    }


def intercom_notification(
    topic: str, item: dict[str, Any], *, at: datetime, notification: str = "notif_78c122d0"
) -> dict[str, Any]:
    """Intercom's webhook envelope (`notification_event`) around an item."""
    return {
        "type": "notification_event",
        "app_id": "a86dr8yl",
        "data": {"type": "notification_event_data", "item": item},
        "links": {},
        "id": notification,
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": unix(at),
        "created_at": unix(at),
        "self": None,
    }


# --- Zendesk: ticket event webhooks --------------------------------------------------------


def zendesk_event(
    kind: str,
    *,
    at: datetime,
    created: datetime,
    ticket: str = "5158",
    status: str = "OPEN",
    group: str | None = "8447320466430",
    assignee: str | None = "8447388090495",
    event: dict[str, Any] | None = None,
    event_id: str = "d4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52",
    channel: str = "web_service",
) -> dict[str, Any]:
    """A ticket event as Zendesk's webhook event types document them (`zen:event-type:…`)."""
    return {
        "account_id": 22129848,
        "detail": {
            "actor_id": "8447388090495",
            "assignee_id": assignee,
            "brand_id": "8447346621310",
            "created_at": iso(created),
            "custom_status": "8447320465790",
            "description": "Customer is experiencing login issues with the mobile app",
            "external_id": None,
            "form_id": "8646151517822",
            "group_id": group,
            "id": ticket,
            "is_public": True,
            "organization_id": "8447346622462",
            "priority": "HIGH",
            "requester_id": "8447388090494",
            "status": status,
            "subject": "Cannot login to mobile app",
            "submitter_id": "8447388090494",
            "tags": ["mobile", "login", "priority-support"],
            "type": "PROBLEM",
            "updated_at": iso(at),
            "via": {"channel": channel},
        },
        "event": event or {},
        "id": event_id,
        "subject": f"zen:ticket:{ticket}",
        "time": at.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
        "type": f"zen:event-type:{kind}",
        "zendesk_event_version": "2022-11-06",
    }


def zendesk_comment(*, is_staff: bool = True, is_public: bool = True) -> dict[str, Any]:
    """`event` of `ticket.comment_added`."""
    return {
        "comment": {
            "id": "9876543210",
            "body": "We are investigating this issue and will update you shortly.",
            "is_public": is_public,
            "author": {"id": "8447388090495", "is_staff": is_staff, "name": "Support Agent"},
        }
    }


def zendesk_satisfaction(
    ticket: str, rating: str, *, rated: datetime, comment: str = ""
) -> dict[str, Any]:
    """The CSAT trigger body docs/connectors.md gives, with Zendesk's placeholders filled in."""
    return {
        "type": "kpibot:satisfaction",
        "ticket_id": ticket,
        "rating": rating,
        "comment": comment,
        "rated_at": rated.strftime("%Y-%m-%dT%H:%MZ"),  # {{ticket.updated_at_with_timestamp}}
        "requester_id": "8447388090494",
        "group": "Billing",
        "assignee": "Support Agent",
        "channel": "web",
    }


# --- Help Scout ----------------------------------------------------------------------------


def helpscout_rating(
    rating_id: int = 5434, *, rating: str, created: datetime, modified: datetime
) -> dict[str, Any]:
    """Help Scout's documented Rating object (developer.helpscout.com/webhooks/objects/rating)."""
    return {
        "id": rating_id,
        "customer": {
            "id": 449379,
            "firstName": "John",
            "lastName": "Doe",
            "emails": [
                {"id": 1220012, "value": "john.doe@gmail.com", "location": "work"},
                {"id": 1220013, "value": "john.doe@example.com", "location": "work"},
            ],
        },
        "ticketId": 1560011,
        "threadId": 3002084,
        "mailbox": {"id": 1234, "name": "My Mailbox"},
        "rating": rating,
        "comments": "he was really helpful" if rating == "Great" else "nobody answered",
        "createdAt": iso(created),
        "modifiedAt": iso(modified),
    }


def helpscout_survey_response(value: str, *, at: datetime, customer: int = 500) -> dict[str, Any]:
    """Help Scout's documented Survey Response object (a Messages NPS survey)."""
    return {
        "message": {"name": "Monthly NPS survey"},
        "response": {
            "value": value,
            "category": "passive",
            "comment": "Amazing customer experience!",
            "timestamp": iso(at),
        },
        "_embedded": {
            "customer": {
                "id": customer,
                "firstName": "Vernon",
                "lastName": "Bear",
                "gender": "Male",
                "jobTitle": "CEO and Co-Founder",
                "location": "Greater Dallas/FT Worth Area",
                "organization": "Acme, Inc",
                "photoType": "twitter",
                "photoUrl": "http://twitter.com/img/some-avatar.jpg",
                "age": "30-35",
                "createdAt": "2012-07-23T12:34:12Z",
                "updatedAt": "2012-07-24T20:18:33Z",
                "background": "I've worked with Vernon before and he's really great.",
                "draft": False,
                "_embedded": {
                    "emails": [{"id": 1, "value": "bear@acme.com", "type": "home"}],
                    "phones": [{"id": 2, "value": "123-123-123", "type": "home"}],
                    "chats": [{"id": 5, "value": "54831172", "type": "aim"}],
                    "social_profiles": [
                        {"id": 9, "value": "https://twitter.com/helpscout", "type": "twitter"}
                    ],
                    "websites": [{"id": 8, "value": "http://www.helpscout.com"}],
                    "address": {
                        "city": "Dallas",
                        "state": "TX",
                        "postalCode": "74206",
                        "country": "US",
                        "lines": ["123 West Main St", "Suite 123"],
                    },
                },
            }
        },
        "_links": {
            "message:dashboard": {
                "href": "https://secure.helpscout.net/messages/8de613e9-0154-426e-9fe7-fd0017947959"
            },
            "customer:profile": {"href": f"https://secure.helpscout.net/customers/{customer}"},
        },
    }


# --- Freshdesk: the rule bodies docs/connectors.md gives -----------------------------------


def freshdesk_rule(event: str, ticket: str = "432", **values: Any) -> dict[str, Any]:
    """A ticket rule's body, as Freshdesk sends it once its placeholders are filled in."""
    return {
        "event": event,
        "ticket_id": ticket,
        "status": values.pop("status", "Open"),
        "priority": "Medium",
        "source": values.pop("source", "Email"),
        "type": "Question",
        "group": values.pop("group", "Billing"),
        "agent": values.pop("agent", "ana@example.com"),
        "requester": "laura@example.com",
        "tags": "invoice,vip",
        **values,
    }
