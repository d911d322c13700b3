"""The values look-up the sentence reader knows segments by: distinct, named, bounded; on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.db import SessionFactory, session_scope
from storage.ingest import upsert_counters, upsert_responses, upsert_tickets
from storage.vocabulary import LONGEST_VALUE, attribute_values

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def response(i: int, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_id": f"r{i}",
        "source": "api",
        "survey": "nps",
        "score": 9,
        "scale_max": 10,
        "comment": None,
        "customer_id": None,
        "submitted_at": NOW - timedelta(minutes=i),
        "attributes": attributes,
    }


def ticket(i: int, channel: str | None, team: str | None) -> dict[str, Any]:
    return {
        "external_id": f"t{i}",
        "source": "api",
        "created_at": NOW - timedelta(hours=i),
        "first_response_at": None,
        "resolved_at": None,
        "handle_seconds": None,
        "contacts": 1,
        "escalated": False,
        "reopened": False,
        "channel": channel,
        "team": team,
        "agent": "ana" if i == 0 else None,
        "customer_id": None,
        "attributes": {"region": "emea"},
    }


def test_distinct_values_with_their_attribute(session_factory: SessionFactory) -> None:
    rows = [
        response(i, {"plan": ("free", "pro", "enterprise")[i % 3], "order": f"o-{i}"})
        for i in range(300)
    ]
    rows.append(response(300, {"note": "x" * (LONGEST_VALUE + 1), "plan": "pro"}))
    with session_scope(session_factory) as session:
        upsert_responses(session=session, rows=rows)
        upsert_tickets(session=session, rows=[ticket(0, "email", "care"), ticket(1, "chat", None)])
        upsert_counters(
            session=session,
            rows=[
                {
                    "external_id": None,
                    "source": "api",
                    "name": "sessions",
                    "value": 1.0,
                    "at": NOW,
                    "kind": "flow",
                    "attributes": {"device": "mobile"},
                }
            ],
        )
    with session_scope(session_factory) as session:
        found = attribute_values(session=session)
    assert found == [
        ("agent", "ana"),
        ("channel", "chat"),
        ("channel", "email"),
        ("device", "mobile"),
        ("plan", "enterprise"),
        ("plan", "free"),
        ("plan", "pro"),
        ("region", "emea"),
        ("team", "care"),
    ]  # "order" has 300 values: an identifier, not a segment; the long note is text


def test_the_look_up_is_bounded(session_factory: SessionFactory) -> None:
    rows = [response(i, {"city": f"city-{i % 50}", "tier": f"t{i % 7}"}) for i in range(400)]
    with session_scope(session_factory) as session:
        upsert_responses(session=session, rows=rows)
    with session_scope(session_factory) as session:
        assert len(attribute_values(session=session)) == 57
        assert len(attribute_values(session=session, limit=10)) == 10
        assert {a for a, _ in attribute_values(session=session, per_attribute=10)} == {"tier"}
        newest = attribute_values(session=session, sample=5)  # the 5 last written only
        assert {v for a, v in newest if a == "city"} == {f"city-{i}" for i in range(45, 50)}
