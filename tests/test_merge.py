"""The connectors' merge writes (`merge_tickets`, `merge_responses`) on both databases: a record
built up from events that arrive out of order and more than once, while the API's and the
files' upserts keep replacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.db import SessionFactory, session_scope
from storage.ingest import (
    Counts,
    merge_responses,
    merge_tickets,
    upsert_responses,
    upsert_tickets,
)
from storage.models import RESPONSES, TICKETS, SurveyResponse, Ticket
from storage.rollups.store import refresh

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def event(at: timedelta, **fields: Any) -> dict[str, Any]:
    """One helpdesk event for ticket Z-1, as a connector maps it (created at T0)."""
    return {
        "external_id": "Z-1",
        "source": "zendesk",
        "created_at": T0,
        "first_response_at": None,
        "resolved_at": None,
        "handle_seconds": None,
        "contacts": 1,
        "escalated": False,
        "reopened": False,
        "channel": "email",
        "team": None,
        "agent": None,
        "customer_id": "cust-1",
        "attributes": {},
        "event_at": T0 + at,
        **fields,
    }


def merge(sessions: SessionFactory, *rows: dict[str, Any]) -> Counts:
    with session_scope(sessions) as session:
        return merge_tickets(session=session, rows=list(rows))


def stored_ticket(sessions: SessionFactory) -> dict[str, Any]:
    with session_scope(sessions) as session:
        row = session.execute(select(Ticket)).scalar_one()
        found: dict[str, Any] = row.model_dump()
    found.pop("updated_at")
    return found


def test_a_ticket_built_from_events_out_of_order_keeps_its_firsts(
    session_factory: SessionFactory,
) -> None:
    # the second reply arrives first, then the ticket's creation, then the first reply
    assert merge(
        session_factory, event(30 * MINUTE, first_response_at=T0 + 30 * MINUTE, team="2nd-line")
    ) == Counts(created=1)
    merge(session_factory, event(0 * MINUTE, team="1st-line", agent=None))
    merge(
        session_factory,
        event(10 * MINUTE, first_response_at=T0 + 10 * MINUTE, team="1st-line", agent="ana"),
    )
    ticket = stored_ticket(session_factory)
    assert ticket["first_response_at"] == T0 + 10 * MINUTE  # the first reply stays the first
    assert ticket["first_response_seconds"] == 600
    assert ticket["team"] == "2nd-line"  # the newest event's group, though it came first
    assert ticket["agent"] == "ana"  # an older event sets what the newer ones left empty
    assert ticket["event_at"] == T0 + 30 * MINUTE
    # solved, reopened, solved again: the first resolution and the reopen stay
    merge(session_factory, event(60 * MINUTE, resolved_at=T0 + 60 * MINUTE))
    merge(session_factory, event(90 * MINUTE, reopened=True, attributes={"priority": "high"}))
    merge(session_factory, event(120 * MINUTE, resolved_at=T0 + 120 * MINUTE, escalated=True))
    ticket = stored_ticket(session_factory)
    assert ticket["resolved_at"] == T0 + 60 * MINUTE
    assert ticket["resolution_seconds"] == 3600
    assert (ticket["reopened"], ticket["escalated"]) == (True, True)
    assert ticket["attributes"] == {"priority": "high"}
    assert ticket["customer_id"] == "cust-1"
    # every delivery again, in another order: nothing changes
    before = stored_ticket(session_factory)
    for at in (120, 0, 90, 30, 60, 10):
        assert merge(session_factory, event(at * MINUTE)) == Counts(updated=1)
    assert stored_ticket(session_factory) == before


def test_a_later_event_never_erases_and_an_older_one_never_overrides(
    session_factory: SessionFactory,
) -> None:
    merge(session_factory, event(5 * MINUTE, team="care", agent="ana", attributes={"tier": "1"}))
    merge(session_factory, event(9 * MINUTE, team=None, agent=None, channel=None))
    merge(session_factory, event(1 * MINUTE, team="sales", attributes={"tier": "0", "vip": "y"}))
    ticket = stored_ticket(session_factory)
    assert (ticket["team"], ticket["agent"], ticket["channel"]) == ("care", "ana", "email")
    assert ticket["attributes"] == {"tier": "1", "vip": "y"}


def test_the_api_and_the_files_still_replace_a_ticket(session_factory: SessionFactory) -> None:
    row = event(0 * MINUTE, first_response_at=T0 + 5 * MINUTE, team="care", source="api")
    with session_scope(session_factory) as session:
        upsert_tickets(session=session, rows=[row])
        upsert_tickets(session=session, rows=[{**row, "first_response_at": None, "team": None}])
    ticket = stored_ticket(session_factory)
    assert (ticket["first_response_at"], ticket["team"]) == (None, None)


def test_merged_tickets_are_read_the_same_from_the_records_and_the_rollups(
    session_factory: SessionFactory,
) -> None:
    from handlers.answers.service import answer_text
    from handlers.deps import Deps
    from settings import Settings

    now = T0 + timedelta(days=3)
    merge(session_factory, event(0 * MINUTE, first_response_at=T0 + 20 * MINUTE))
    refresh(session_factory, now=now)
    # a late delivery moves the first response earlier, in a day already built
    merge(session_factory, event(7 * MINUTE, first_response_at=T0 + 7 * MINUTE))
    engine = session_factory.kw["bind"]
    deps = Deps(
        settings=Settings(database_url=str(engine.url)),
        engine=engine,
        sessions=session_factory,
        clock=lambda: now,
    )
    frt = answer_text(deps=deps, text="frt last-7d", now=now)
    assert frt.current.value == 420
    refresh(session_factory, now=now)
    assert answer_text(deps=deps, text="frt last-7d", now=now).current == frt.current


def answer(at: timedelta, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": "D-1",
        "source": "delighted",
        "survey": "nps",
        "score": 3,
        "scale_max": 10,
        "comment": None,
        "customer_id": None,
        "submitted_at": T0,
        "attributes": {},
        "event_at": T0 + at,
        **fields,
    }


def stored_answer(sessions: SessionFactory) -> dict[str, Any]:
    with session_scope(sessions) as session:
        found: dict[str, Any] = session.execute(select(SurveyResponse)).scalar_one().model_dump()
    found.pop("updated_at")
    return found


def test_a_response_filled_in_across_deliveries(session_factory: SessionFactory) -> None:
    with session_scope(session_factory) as session:
        merge_responses(session=session, rows=[answer(2 * MINUTE, comment="Too slow", score=4)])
        # the score-only delivery, older, arrives after the one with the comment
        merge_responses(session=session, rows=[answer(0 * MINUTE, attributes={"plan": "pro"})])
        merge_responses(
            session=session, rows=[answer(5 * MINUTE, score=6, attributes={"region": "emea"})]
        )
    found = stored_answer(session_factory)
    assert (found["score"], found["comment"]) == (6, "Too slow")
    assert found["attributes"] == {"plan": "pro", "region": "emea"}
    assert found["submitted_at"] == T0
    before = found
    with session_scope(session_factory) as session:
        merge_responses(session=session, rows=[answer(0 * MINUTE, attributes={"plan": "pro"})])
    assert stored_answer(session_factory) == before
    with session_scope(session_factory) as session:  # the API still replaces
        upsert_responses(session=session, rows=[{**answer(0 * MINUTE), "event_at": None}])
    assert stored_answer(session_factory)["comment"] is None


def test_the_event_time_column_is_empty_for_api_records(session_factory: SessionFactory) -> None:
    row = answer(0 * MINUTE, source="api")
    row.pop("event_at")
    with session_scope(session_factory) as session:
        upsert_responses(session=session, rows=[row])
        assert session.execute(select(RESPONSES.c.event_at)).scalar_one() is None
        assert session.execute(select(TICKETS.c.id)).first() is None
