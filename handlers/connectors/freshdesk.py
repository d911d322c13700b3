"""Freshdesk: automation rules' "Trigger webhook" bodies, and the tickets export (`--preset
freshdesk`).

Freshdesk signs nothing: its rules authenticate with what the rule is given. kpibot takes its
token (`KPIBOT_FRESHDESK_TOKEN`) as `Authorization: Bearer <token>`, as the password (or the
user name, Freshdesk's "API key" option) of basic authentication, or in an `X-Kpibot-Token`
header, and compares it in constant time.

The body is the JSON a rule sends (`docs/connectors.md` gives it to paste): `ticket_id` and an
`event` each rule writes literally, with placeholders for the rest. Freshdesk's placeholders
carry no time, so an event is dated when kpibot receives it (rules fire within seconds):

- `created`: the ticket is created; `replied`: an agent's reply, the first response (the first
  stays the first); `resolved`: resolved or closed (the first resolution stays); `reopened`;
  `updated`: group, agent, priority… changed;
- `rated`: a satisfaction rating, `rating` on Freshdesk's scale (103 … −103; or the API's
  `ratings.default_question`) with its `feedback`, one CSAT answer per ticket. Freshdesk's
  values become a 1–7 scale (−103 1, −102 2, −101 3, 100 4, 101 5, 102 6, 103 7), or 1–5 or
  1–3 with `?points=5` or `?points=3` (the survey's own scale): the satisfied answers are the
  same either way (102 and 103; 103 alone on a 3-point survey).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
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
    channel,
    ident,
    integer,
    joined,
    label,
    optional_instant,
    text,
)
from handlers.connectors.presets import (
    Columns,
    Options,
    Preset,
    cell,
    count,
    hours_after,
    local_instant,
)
from handlers.ingest.files import ColumnError, Row

#: Freshdesk's rating values on each survey scale, bottom to top.
SCALES: dict[int, tuple[int, ...]] = {
    3: (-103, 100, 103),
    5: (-103, -102, 100, 102, 103),
    7: (-103, -102, -101, 100, 101, 102, 103),
}
EVENTS = ("created", "replied", "resolved", "reopened", "updated", "rated")
RESOLVED = ("resolved", "closed")


def _token_matches(received: Received, secret: str) -> bool:
    """Whether the request carries the token: bearer, basic auth, or `X-Kpibot-Token`."""
    expected = secret.encode()
    offered: list[bytes] = []
    header = received.header("Authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        offered.append(value.strip().encode())
    elif scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            user = password = b""
        offered += [password, user]
    own = received.header("X-Kpibot-Token")
    if own:
        offered.append(own.strip().encode())
    found = False
    for candidate in offered:  # every candidate is compared, in constant time each
        found |= hmac.compare_digest(candidate, expected)
    return found


def _tags(value: Any) -> str | None:
    """`{{ticket.tags}}` (`a,b`), or a list of tags."""
    if isinstance(value, list):
        return joined(value)
    return joined(str(value).split(",")) if isinstance(value, str) else None


class Freshdesk(Connector):
    name = "freshdesk"
    title = "Freshdesk"
    setting = "KPIBOT_FRESHDESK_TOKEN"
    settings_field = "freshdesk_token"

    def verify(self, received: Received, secret: str) -> None:
        if not (received.header("Authorization") or received.header("X-Kpibot-Token")):
            raise Forged("the rule sends no credentials (Authorization: Bearer <token>)")
        if not _token_matches(received, secret):
            raise Forged("the token does not match KPIBOT_FRESHDESK_TOKEN")

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        ticket = text(at(payload, "ticket_id", None), "ticket_id")
        event = text(at(payload, "event", None), "event")
        return f"ticket {ticket} {event}" if ticket else None

    def read(self, received: Received, payload: Any) -> Outcome:
        if not isinstance(payload, dict):
            raise Unreadable("the body must be a JSON object")
        event = (text(at(payload, "event", None), "event") or "").lower()
        if "ratings" in payload and not event:
            event = "rated"  # the API's satisfaction rating object, forwarded as it is
        if event not in EVENTS:
            raise Unreadable(f"{event!r} is not one of {', '.join(EVENTS)}", "event")
        now = received.at
        if event == "rated":
            return self._rating(received, payload)
        status = (text(payload.get("status"), "status") or "").lower()
        ticket: dict[str, Any] = {
            "external_id": ident(at(payload, "ticket_id"), "ticket_id"),
            "created_at": now,
            "channel": channel(payload.get("source")),
            "team": label(payload.get("group")),
            "agent": label(payload.get("agent")),
            "customer_id": text(payload.get("requester"), "requester"),
            "attributes": {
                "status": status or None,
                "priority": (text(payload.get("priority"), "priority") or "").lower() or None,
                "type": (text(payload.get("type"), "type") or "").lower() or None,
                "tags": _tags(payload.get("tags")),
            },
            "event_at": now,
        }
        if event == "replied":
            ticket["first_response_at"] = now
        elif event == "resolved" or status in RESOLVED:
            ticket["resolved_at"] = now
        elif event == "reopened":
            ticket["reopened"] = True
        return Records(tickets=(ticket,))

    @staticmethod
    def _rating(received: Received, payload: dict[str, Any]) -> Outcome:
        value = payload.get("rating")
        if value is None:
            value = at(payload, "ratings.default_question", None)
        if value in (None, ""):
            return Ignored("the rating carries no answer")
        rating = integer(value, "rating")
        points = (received.query.get("points") or "7").strip()
        if points not in ("3", "5", "7"):
            raise Unreadable(f"?points={points} must be 3, 5 or 7", "points")
        scale = SCALES[int(points)]
        if rating not in scale:
            shown = ", ".join(str(v) for v in reversed(scale))
            raise Unreadable(
                f"rating {rating} is not on Freshdesk's {points}-point scale ({shown})", "rating"
            )
        rated = optional_instant(payload, "created_at") or received.at
        record = {
            "external_id": ident(at(payload, "ticket_id"), "ticket_id"),
            "survey": "csat",
            "score": scale.index(rating) + 1,
            "scale_max": len(scale),
            "comment": text(payload.get("feedback"), "feedback"),
            "customer_id": text(payload.get("requester") or payload.get("user_id"), "requester"),
            "submitted_at": rated,
            "attributes": {
                "team": label(payload.get("group") or payload.get("group_id")),
                "agent": label(payload.get("agent") or payload.get("agent_id")),
                "rating": str(rating),
            },
            "event_at": optional_instant(payload, "updated_at") or rated,
        }
        return Records(responses=(record,))


def _export_rows(columns: Columns, options: Options) -> Callable[[Row], dict[str, Any] | None]:
    """Freshdesk's ticket export (Tickets → Export, CSV): times in the account's time zone
    (`--tz`), the first response time in hours."""
    ticket = columns.need("freshdesk", "Ticket ID")
    created = columns.need("freshdesk", "Created time")
    index = {
        name: columns.find(*names)
        for name, names in {
            "resolved": ("Resolved time",),
            "closed": ("Closed time",),
            "first_response": ("Initial response time",),
            "first_response_hours": ("First response time (in hrs)",),
            "updated": ("Last update time",),
            "source": ("Source",),
            "group": ("Group",),
            "agent": ("Agent",),
            "contact": ("Contact ID", "Email"),
            "interactions": ("Customer interactions",),
            "status": ("Status",),
            "priority": ("Priority",),
            "type": ("Type",),
            "tags": ("Tags",),
        }.items()
    }

    def when(values: Row, name: str) -> Any:
        position = index[name]
        value = cell(values, position)
        if value is None or position is None:
            return None
        return local_instant(value, columns.header[position], options.tz)

    def row(values: Row) -> dict[str, Any] | None:
        value = cell(values, created)
        if value is None:
            raise ColumnError("Created time", "is empty")
        opened = local_instant(value, "Created time", options.tz)
        first = when(values, "first_response") or hours_after(
            opened, cell(values, index["first_response_hours"]), "First response time (in hrs)"
        )
        interactions = count(cell(values, index["interactions"]), "Customer interactions")
        tags = cell(values, index["tags"])
        return {
            "external_id": cell(values, ticket),
            "created_at": opened,
            "first_response_at": first,
            "resolved_at": when(values, "resolved") or when(values, "closed"),
            "contacts": max(1, interactions or 1),
            "channel": channel(cell(values, index["source"])),
            "team": label(cell(values, index["group"])),
            "agent": label(cell(values, index["agent"])),
            "customer_id": cell(values, index["contact"]),
            "attributes": {
                "status": (cell(values, index["status"]) or "").lower() or None,
                "priority": (cell(values, index["priority"]) or "").lower() or None,
                "type": (cell(values, index["type"]) or "").lower() or None,
                "tags": joined(tags.split(",")) if tags else None,
            },
            "event_at": when(values, "updated") or opened,
        }

    return row


Freshdesk.preset = Preset(
    name="freshdesk",
    kind="tickets",
    source="freshdesk",
    rows=_export_rows,
    about="Freshdesk's ticket export (CSV): `Ticket ID`, `Created time`, `Resolved time`, "
    "`Initial response time`, `Source`, `Group`, `Agent`, `Customer interactions`; times in "
    "the account's time zone (--tz)",
)
CONNECTOR = Freshdesk()
