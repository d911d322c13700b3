"""Zendesk: ticket event webhooks, a CSAT trigger body, and the tickets export (`--preset
zendesk`).

Signature: `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of the
`X-Zendesk-Webhook-Signature-Timestamp` header's value followed by the raw body, keyed with the
webhook's signing secret (developer.zendesk.com, "Verifying webhook authenticity"); a timestamp
more than 5 minutes from kpibot's clock is refused, so a captured delivery cannot be replayed.
(The builder's "Test webhook" button, before the webhook is saved, signs with a secret Zendesk
publishes: such test deliveries are refused like any forged one. Save the webhook first.)

Ticket events (`zen:event-type:ticket.*`) carry the ticket in `detail`; every one updates the
ticket's channel (`via.channel`), team (its group's id), agent (assignee's id) and customer
(requester's id), and dates it with the event's `time`:

- `ticket.created`: the ticket, created at `detail.created_at`;
- `ticket.status_changed` to SOLVED or CLOSED resolves it (the first resolution stays); back to
  OPEN (or NEW, PENDING, HOLD) from SOLVED or CLOSED marks it reopened;
- `ticket.comment_added`: the first public comment by staff (`event.comment.author.is_staff`,
  not the ticket's own first comment) sets its first response.

CSAT has no event webhook: a trigger sends it with the body `docs/connectors.md` gives
(`"type": "kpibot:satisfaction"`, `"rating": "good"` or `"bad"`): a binary CSAT, good 2 and bad
1 on 1–2, one per ticket (a changed rating replaces it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from handlers.connectors.base import (
    Connector,
    Forged,
    Ignored,
    Outcome,
    Received,
    Records,
    Unreadable,
)
from handlers.connectors.fields import (
    at,
    b64,
    channel,
    expect_signature,
    hmac_digest,
    ident,
    instant,
    joined,
    label,
    listed,
    mapping,
    text,
)
from handlers.connectors.presets import (
    Columns,
    Options,
    Preset,
    cell,
    count,
    local_instant,
    minutes_after,
)
from handlers.ingest.files import ColumnError, Row

#: How far a signature's timestamp may be from kpibot's clock.
FRESH = timedelta(minutes=5)
TICKET_EVENT = "zen:event-type:ticket."
SATISFACTION = "kpibot:satisfaction"
RESOLVED = ("solved", "closed")
RATINGS = {"good": 2, "bad": 1}


def _common(payload: Any) -> dict[str, Any]:
    """What every ticket event says about the ticket."""
    detail = mapping(payload, "detail")
    return {
        "external_id": ident(at(detail, "id", under="detail"), "detail.id"),
        "created_at": instant(at(detail, "created_at", under="detail"), "detail.created_at"),
        "channel": channel(at(detail, "via.channel", None)),
        "team": label(detail.get("group_id")),
        "agent": label(detail.get("assignee_id")),
        "customer_id": text(detail.get("requester_id"), "detail.requester_id"),
        "attributes": {
            "priority": (text(detail.get("priority"), "detail.priority") or "").lower() or None,
            "type": (text(detail.get("type"), "detail.type") or "").lower() or None,
            "tags": joined(listed(detail, "tags")),
            "brand": text(detail.get("brand_id"), "detail.brand_id"),
        },
        "event_at": instant(at(payload, "time"), "time"),
    }


class Zendesk(Connector):
    name = "zendesk"
    title = "Zendesk"
    setting = "KPIBOT_ZENDESK_WEBHOOK_SECRET"
    settings_field = "zendesk_webhook_secret"

    def verify(self, received: Received, secret: str) -> None:
        header = "X-Zendesk-Webhook-Signature-Timestamp"
        stamp = received.header(header)
        if not stamp:
            raise Forged(f"the {header} header is missing")
        expected = b64(hmac_digest(secret, stamp.encode() + received.body, "sha256"))
        expect_signature(
            received.header("X-Zendesk-Webhook-Signature"), expected, "X-Zendesk-Webhook-Signature"
        )
        try:
            signed_at = instant(stamp, header)
        except Unreadable:
            raise Forged(f"the {header} header is not an ISO 8601 instant") from None
        if abs(received.at - signed_at) > FRESH:
            raise Forged(f"the signature's timestamp {stamp} is more than 5 minutes off")

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        found = text(at(payload, "id", None), "id")
        return found or received.header("X-Zendesk-Webhook-Invocation-Id")

    def read(self, received: Received, payload: Any) -> Outcome:
        kind = text(at(payload, "type", None), "type") or ""
        if kind == SATISFACTION:
            return self._satisfaction(received, payload)
        if not kind.startswith(TICKET_EVENT):
            return Ignored(f"event type {kind!r} is not a ticket event")
        ticket = _common(payload)
        event = mapping(payload, "event")
        when = ticket["event_at"]
        if kind == TICKET_EVENT + "status_changed":
            current = (text(event.get("current"), "event.current") or "").lower()
            previous = (text(event.get("previous"), "event.previous") or "").lower()
            if current in RESOLVED:
                ticket["resolved_at"] = max(when, ticket["created_at"])
            elif previous in RESOLVED:
                ticket["reopened"] = True
        elif kind == TICKET_EVENT + "comment_added":
            comment = mapping(event, "comment")
            author = mapping(comment, "author")
            own_first = when.replace(microsecond=0) <= ticket["created_at"]
            if comment.get("is_public") and author.get("is_staff") and not own_first:
                ticket["first_response_at"] = when
        return Records(tickets=(ticket,))

    @staticmethod
    def _satisfaction(received: Received, payload: Any) -> Outcome:
        """The CSAT trigger's body (docs/connectors.md)."""
        rating = (text(at(payload, "rating"), "rating") or "").lower()
        word = rating.split(",")[0].split()[0] if rating else ""
        if word in ("offered", "unoffered", "not"):
            return Ignored("the ticket was not rated")
        if word not in RATINGS:
            raise Unreadable(f"{rating!r} is neither good nor bad", "rating")
        rated = at(payload, "rated_at", None)
        rated_at = instant(rated, "rated_at") if rated else received.at
        record = {
            "external_id": ident(at(payload, "ticket_id"), "ticket_id"),
            "survey": "csat",
            "score": RATINGS[word],
            "scale_max": 2,
            "comment": text(at(payload, "comment", None), "comment"),
            "customer_id": text(at(payload, "requester_id", None), "requester_id"),
            "submitted_at": rated_at,
            "attributes": {
                "team": label(at(payload, "group", None)),
                "agent": label(at(payload, "assignee", None)),
                "channel": channel(at(payload, "channel", None)),
            },
            "event_at": rated_at,
        }
        return Records(responses=(record,))


#: Zendesk's `Via` column → kpibot's channel (others lower-cased).
VIA = {"mail": "email", "web form": "web", "web widget": "web", "closed ticket": "follow-up"}


def _export_rows(columns: Columns, options: Options) -> Callable[[Row], dict[str, Any] | None]:
    """Zendesk's ticket export (Admin Center → Account → Tools → Reports → Export, CSV): times in
    the account's time zone (`--tz`), durations in minutes."""
    ticket = columns.need("zendesk", "Id", "ID")
    created = columns.need("zendesk", "Created at")
    index = {
        name: columns.find(*names)
        for name, names in {
            "updated": ("Updated at",),
            "solved": ("Solved at",),
            "first_reply": ("First reply time in minutes",),
            "first_resolution": ("First resolution time in minutes",),
            "via": ("Via",),
            "group": ("Group",),
            "assignee": ("Assignee",),
            "requester": ("Requester id", "Requester ID"),
            "reopens": ("Reopens",),
            "status": ("Status",),
            "priority": ("Priority",),
            "type": ("Ticket type",),
            "tags": ("Tags",),
            "satisfaction": ("Satisfaction Score",),
        }.items()
    }

    def when(values: Row, position: int | None, name: str) -> Any:
        value = cell(values, position)
        return None if value is None else local_instant(value, name, options.tz)

    def row(values: Row) -> dict[str, Any] | None:
        opened = when(values, created, "Created at")
        if opened is None:
            raise ColumnError("Created at", "is empty")
        solved = when(values, index["solved"], "Solved at")
        first_resolution = minutes_after(
            opened, cell(values, index["first_resolution"]), "First resolution time in minutes"
        )
        via = (cell(values, index["via"]) or "").lower()
        reopens = count(cell(values, index["reopens"]), "Reopens")
        tags = cell(values, index["tags"])
        return {
            "external_id": cell(values, ticket),
            "created_at": opened,
            "first_response_at": minutes_after(
                opened, cell(values, index["first_reply"]), "First reply time in minutes"
            ),
            # the first resolution, as the webhooks keep it; the last one when it is all there is
            "resolved_at": (first_resolution or solved) if solved else None,
            "reopened": bool(reopens),
            "channel": channel(VIA.get(via, via)),
            "team": label(cell(values, index["group"])),
            "agent": label(cell(values, index["assignee"])),
            "customer_id": cell(values, index["requester"]),
            "attributes": {
                "status": (cell(values, index["status"]) or "").lower() or None,
                "priority": (cell(values, index["priority"]) or "").lower() or None,
                "type": (cell(values, index["type"]) or "").lower() or None,
                "tags": joined(tags.split()) if tags else None,
                "satisfaction": (cell(values, index["satisfaction"]) or "").lower() or None,
            },
            "event_at": when(values, index["updated"], "Updated at") or solved or opened,
        }

    return row


Zendesk.preset = Preset(
    name="zendesk",
    kind="tickets",
    source="zendesk",
    rows=_export_rows,
    about="Zendesk's ticket export (CSV): `Id`, `Created at`, `Solved at`, `First reply time "
    "in minutes`, `First resolution time in minutes`, `Via`, `Group`, `Assignee`, `Requester "
    "id`, `Reopens`; times in the account's time zone (--tz)",
)
CONNECTOR = Zendesk()
