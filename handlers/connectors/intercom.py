"""Intercom: conversation webhooks, and the conversations export (`--preset intercom`).

Signature: `X-Hub-Signature: sha1=` + hex HMAC-SHA1 of the raw body with the app's client secret
(developers.intercom.com, "Signed notifications"). Every notification (`type:
notification_event`) carries the whole conversation in `data.item`:

- `conversation.user.created` opens a ticket, created at the conversation's `created_at`, its
  channel from `source.type` (`conversation`: chat, `email`, `phone_call`: phone…);
- `conversation.admin.replied`: the admin's reply (its part's `created_at`) is a first
  response; the first one stays the first;
- `conversation.admin.closed` resolves it (the first close stays);
- `conversation.admin.opened` after a close marks it reopened;
- `conversation.rating.added` is a CSAT answer on 1–5 (`conversation_rating.rating`), its
  remark the comment and the rated teammate an attribute;
- any other conversation topic updates the ticket's team, agent and customer; `ping` and
  the other topics are acknowledged and ignored.

The team and the agent are Intercom's ids (`team_assignee_id`, `admin_assignee_id`), the
customer the contact's `external_id` (else its id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from handlers.connectors.base import Connector, Ignored, Outcome, Received, Records
from handlers.connectors.fields import (
    at,
    channel,
    expect_signature,
    hmac_digest,
    ident,
    instant,
    integer,
    joined,
    label,
    listed,
    mapping,
    optional_instant,
    text,
)
from handlers.connectors.presets import (
    Columns,
    Options,
    Preset,
    cell,
    local_instant,
    seconds_after,
)
from handlers.ingest.files import ColumnError, Row

#: Topics about a conversation that kpibot reads; the others are ignored.
CONVERSATION = "conversation."


def _parts(item: Mapping[str, Any], kind: str | None = None) -> list[Mapping[str, Any]]:
    """The conversation parts a notification carries (of one `part_type`)."""
    parts = listed(item, "conversation_parts.conversation_parts")
    return [
        p for p in parts if isinstance(p, Mapping) and (kind is None or p.get("part_type") == kind)
    ]


def _customer(item: Mapping[str, Any]) -> str | None:
    contacts = listed(item, "contacts.contacts") or listed(item, "contacts")
    for contact in contacts:
        if isinstance(contact, Mapping):
            found = text(contact.get("external_id"), "contacts.external_id")
            found = found or text(contact.get("id"), "contacts.id")
            if found:
                return found
    return text(at(item, "user.id", None), "data.item.user.id")


class Intercom(Connector):
    name = "intercom"
    title = "Intercom"
    setting = "KPIBOT_INTERCOM_CLIENT_SECRET"
    settings_field = "intercom_client_secret"

    def verify(self, received: Received, secret: str) -> None:
        expected = "sha1=" + hmac_digest(secret, received.body, "sha1").hex()
        expect_signature(received.header("X-Hub-Signature"), expected, "X-Hub-Signature")

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        return text(at(payload, "id", None), "id")

    def read(self, received: Received, payload: Any) -> Outcome:
        topic = text(at(payload, "topic", None), "topic") or ""
        if not topic.startswith(CONVERSATION):
            return Ignored(f"topic {topic!r} is not about a conversation")
        item = mapping(payload, "data.item")
        if item.get("type", "conversation") != "conversation":
            return Ignored(f"topic {topic!r} carries no conversation")
        noticed = optional_instant(payload, "created_at") or received.at
        if topic == "conversation.rating.added":
            return self._rating(item, noticed)
        ticket = self._ticket(item, noticed)
        if topic == "conversation.admin.replied":
            replies = [p for p in _parts(item, "comment") if _by_admin(p)]
            if replies:
                ticket["first_response_at"] = min(
                    instant(p.get("created_at"), "conversation_parts.created_at") for p in replies
                )
        elif topic == "conversation.admin.closed":
            closes = _parts(item, "close")
            closed = [instant(p.get("created_at"), "conversation_parts.created_at") for p in closes]
            ticket["resolved_at"] = min(closed) if closed else noticed
        elif topic == "conversation.admin.opened":
            ticket["reopened"] = self._was_closed(item)
        return Records(tickets=(ticket,))

    @staticmethod
    def _ticket(item: Mapping[str, Any], noticed: Any) -> dict[str, Any]:
        created = instant(at(item, "created_at", under="data.item"), "data.item.created_at")
        tags = [t.get("name") for t in listed(item, "tags.tags") if isinstance(t, Mapping)]
        statistics = mapping(item, "statistics")
        first_reply = optional_instant(statistics, "first_admin_reply_at")
        return {
            "external_id": ident(at(item, "id", under="data.item"), "data.item.id"),
            "created_at": created,
            # a notification's statistics already know the first reply (office hours aside)
            "first_response_at": first_reply if first_reply and first_reply >= created else None,
            "channel": channel(at(item, "source.type", None)),
            "team": label(item.get("team_assignee_id")),
            "agent": label(item.get("admin_assignee_id")),
            "customer_id": _customer(item),
            "attributes": {
                "priority": text(item.get("priority"), "priority"),
                "tags": joined(t for t in tags if t),
            },
            "event_at": optional_instant(item, "updated_at") or noticed,
        }

    @staticmethod
    def _was_closed(item: Mapping[str, Any]) -> bool:
        """Whether an opened conversation had been closed (not merely snoozed) before."""
        statistics = mapping(item, "statistics")
        if statistics:
            return bool(statistics.get("first_close_at") or statistics.get("count_reopens"))
        return True  # without statistics (older API versions), an admin opens a closed one

    @staticmethod
    def _rating(item: Mapping[str, Any], noticed: Any) -> Outcome:
        rating = mapping(item, "conversation_rating")
        if rating.get("rating") is None:
            return Ignored("the conversation carries no rating")
        rated = optional_instant(rating, "created_at") or noticed
        contact = mapping(rating, "contact")
        customer = text(contact.get("external_id"), "conversation_rating.contact.external_id")
        customer = customer or text(contact.get("id"), "conversation_rating.contact.id")
        record = {
            "external_id": ident(at(item, "id", under="data.item"), "data.item.id"),
            "survey": "csat",
            "score": integer(rating["rating"], "data.item.conversation_rating.rating"),
            "scale_max": 5,
            "comment": text(rating.get("remark"), "conversation_rating.remark"),
            "customer_id": customer or _customer(item),
            "submitted_at": rated,
            "attributes": {
                "teammate": label(at(rating, "teammate.id", None)),
                "channel": channel(at(item, "source.type", None)),
            },
            "event_at": rated,
        }
        return Records(responses=(record,))


def _by_admin(part: Mapping[str, Any]) -> bool:
    author = part.get("author")
    return isinstance(author, Mapping) and author.get("type") == "admin"


def _export_rows(columns: Columns, options: Options) -> Callable[[Row], dict[str, Any] | None]:
    """Intercom's conversations export (Reports → export the Conversations dataset, CSV): times
    in the zone its column names give (`Conversation started at (Europe/Paris)`)."""
    conversation = columns.need("intercom", "Conversation ID")
    created = columns.need("intercom", "Conversation created at", "Conversation started at")
    replied = columns.find("Conversation first replied at")
    first_reply = columns.find("First response time (seconds)")
    first_closed = columns.find("Conversation first closed at")
    last_closed = columns.find("Conversation last closed at")
    updated = columns.find("Conversation updated at")
    picked = {
        "channel": columns.find("Channel"),
        "team": columns.find("Team currently assigned"),
        "agent": columns.find("Teammate currently assigned"),
        "customer_id": columns.find("User ID", "User participant IDs"),
    }
    tags = columns.find("Conversation tag")
    priority = columns.find("Conversation priority")

    def when(values: Row, index: int | None) -> Any:
        value = cell(values, index)
        if value is None or index is None:
            return None
        name = columns.header[index]
        return local_instant(value, name, columns.zone(index, options.tz))

    def row(values: Row) -> dict[str, Any] | None:
        opened = when(values, created)
        if opened is None:
            raise ColumnError(columns.header[created], "is empty")
        first = when(values, replied) or seconds_after(
            opened, cell(values, first_reply), "First response time (seconds)"
        )
        closed_first, closed_last = when(values, first_closed), when(values, last_closed)
        return {
            "external_id": cell(values, conversation),
            "created_at": opened,
            "first_response_at": first,
            "resolved_at": closed_first or closed_last,
            "reopened": bool(closed_first and closed_last and closed_last > closed_first),
            "channel": channel(cell(values, picked["channel"])),
            "team": label(cell(values, picked["team"])),
            "agent": label(cell(values, picked["agent"])),
            "customer_id": cell(values, picked["customer_id"]),
            "attributes": {
                "tags": cell(values, tags),
                "priority": cell(values, priority),
            },
            "event_at": when(values, updated) or closed_last or opened,
        }

    return row


Intercom.preset = Preset(
    name="intercom",
    kind="tickets",
    source="intercom",
    rows=_export_rows,
    about="Intercom's Conversations dataset export (CSV): `Conversation ID`, `Conversation "
    "started at (ZONE)`, `Conversation first replied at`, `… first closed at`, `Channel`, "
    "`Team currently assigned`, `Teammate currently assigned`",
)
CONNECTOR = Intercom()
