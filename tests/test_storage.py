"""Storage on both backends: round trips, idempotent re-sends, UTC instants, migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from storage.db import SessionFactory, session_scope
from storage.ingest import (
    Counts,
    count_rows,
    upsert_counters,
    upsert_responses,
    upsert_tickets,
)
from storage.migrate import current_revision, head_revision
from storage.models import COUNTERS, RESPONSES, TICKETS, Counter, SurveyResponse, Ticket
from storage.schemas import validate_row

PARIS_SUMMER = timezone(timedelta(hours=2))


def response(external_id: str = "r1", **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "external_id": external_id,
        "survey": "nps",
        "score": 9,
        "submitted_at": datetime(2026, 6, 1, 12, 0, tzinfo=PARIS_SUMMER),
        "attributes": {"plan": "pro"},
    }
    data.update(fields)
    return validate_row("responses", data, source="api")


def test_migrations_reach_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"survey_responses", "tickets", "counters"} <= tables


def test_period_indexes_put_time_first(engine: Engine) -> None:
    inspector = inspect(engine)
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("survey_responses")}
    assert indexes["ix_survey_responses_period"][:2] == ["submitted_at", "survey"]
    tickets = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("tickets")}
    assert tickets["ix_tickets_created"][:2] == ["created_at", "channel"]
    assert tickets["ix_tickets_resolved"][:2] == ["resolved_at", "channel"]
    counters = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("counters")}
    assert counters["ix_counters_at_name"] == ["at", "name"]


def test_response_round_trip_keeps_every_field_and_stores_utc(
    session_factory: SessionFactory,
) -> None:
    row = response(comment="Très bien", customer_id="c-42", attributes={"plan": "pro", "n": 3})
    with session_scope(session_factory) as session:
        assert upsert_responses(session=session, rows=[row]) == Counts(created=1)
    with session_scope(session_factory) as session:
        stored = session.execute(select(SurveyResponse)).scalar_one()
    assert stored.external_id == "r1"
    assert stored.source == "api"
    assert (stored.survey, stored.score, stored.scale_max) == ("nps", 9, 10)
    assert stored.comment == "Très bien"
    assert stored.customer_id == "c-42"
    assert stored.attributes == {"plan": "pro", "n": "3"}
    assert stored.submitted_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert stored.submitted_at.tzinfo is not None


def test_resent_response_updates_instead_of_duplicating(session_factory: SessionFactory) -> None:
    with session_scope(session_factory) as session:
        upsert_responses(session=session, rows=[response("r1"), response("r2")])
    with session_scope(session_factory) as session:
        counts = upsert_responses(
            session=session, rows=[response("r1", score=3, comment="changed"), response("r3")]
        )
    assert counts == Counts(created=1, updated=1)
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=RESPONSES) == 3
        r1 = session.execute(
            select(SurveyResponse).where(SurveyResponse.external_id == "r1")  # type: ignore[arg-type]
        ).scalar_one()
    assert (r1.score, r1.comment) == (3, "changed")


def test_same_external_id_from_another_source_is_another_record(
    session_factory: SessionFactory,
) -> None:
    with session_scope(session_factory) as session:
        counts = upsert_responses(
            session=session, rows=[response("r1"), {**response("r1"), "source": "typeform"}]
        )
    assert counts == Counts(created=2)


def test_duplicate_key_within_one_batch_last_wins(session_factory: SessionFactory) -> None:
    with session_scope(session_factory) as session:
        counts = upsert_responses(session=session, rows=[response("r1"), response("r1", score=2)])
    assert counts == Counts(created=1, updated=1)
    with session_scope(session_factory) as session:
        stored = session.execute(select(SurveyResponse)).scalar_one()
    assert stored.score == 2


def test_ticket_arrives_open_then_resolved(session_factory: SessionFactory) -> None:
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    opened = validate_row(
        "tickets",
        dict(external_id="T-1", created_at=created, channel="Email", team="billing", agent="ana"),
        source="api",
    )
    with session_scope(session_factory) as session:
        assert upsert_tickets(session=session, rows=[opened]) == Counts(created=1)
    resolved = validate_row(
        "tickets",
        dict(
            external_id="T-1",
            created_at=created,
            first_response_at=created + timedelta(minutes=14),
            resolved_at=created + timedelta(hours=3),
            handle_seconds=840.5,
            contacts=2,
            escalated=True,
            reopened=True,
            channel="email",
            team="billing",
            agent="ana",
            customer_id="c-1",
            attributes={"priority": "high"},
        ),
        source="api",
    )
    with session_scope(session_factory) as session:
        assert upsert_tickets(session=session, rows=[resolved]) == Counts(updated=1)
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=TICKETS) == 1
        ticket = session.execute(select(Ticket)).scalar_one()
    assert ticket.first_response_at == created + timedelta(minutes=14)
    assert ticket.resolved_at == created + timedelta(hours=3)
    assert (ticket.handle_seconds, ticket.contacts) == (840.5, 2)
    assert (ticket.escalated, ticket.reopened) == (True, True)
    assert (ticket.channel, ticket.team, ticket.agent) == ("email", "billing", "ana")
    assert ticket.attributes == {"priority": "high"}


def test_counters_with_and_without_external_id(session_factory: SessionFactory) -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    keyed = validate_row(
        "metrics", dict(name="clicks", value=10, at=at, external_id="d-2026-01-05"), source="api"
    )
    loose = validate_row("metrics", dict(name="Impressions", value=200, at=at), source="api")
    level = validate_row("metrics", dict(name="customers", value=1000, at=at), source="api")
    with session_scope(session_factory) as session:
        first = upsert_counters(session=session, rows=[keyed, loose, level])
    with session_scope(session_factory) as session:
        second = upsert_counters(session=session, rows=[{**keyed, "value": 12.0}, loose])
    assert first == Counts(created=3)
    assert second == Counts(created=1, updated=1)
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=COUNTERS) == 4
        rows = session.execute(select(Counter).order_by(Counter.id)).scalars().all()  # type: ignore[arg-type]
    by_name = {(r.name, r.external_id): r for r in rows}
    assert by_name[("clicks", "d-2026-01-05")].value == 12.0
    assert by_name[("customers", None)].kind == "level"
    assert by_name[("impressions", None)].kind == "flow"


def test_failed_batch_rolls_back_whole(session_factory: SessionFactory) -> None:
    good = response("ok")
    bad = {**response("bad"), "submitted_at": datetime(2026, 1, 1)}  # naive: refused by the type

    def write_both() -> None:
        with session_scope(session_factory) as session:
            upsert_responses(session=session, rows=[good])
            upsert_responses(session=session, rows=[bad])

    with pytest.raises(Exception, match="naive datetime"):
        write_both()
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=RESPONSES) == 0


def test_large_batch_is_chunked(session_factory: SessionFactory) -> None:
    rows = [response(f"r{i}", score=i % 11) for i in range(7_500)]
    with session_scope(session_factory) as session:
        assert upsert_responses(session=session, rows=rows) == Counts(created=7_500)
    with session_scope(session_factory) as session:
        again = upsert_responses(session=session, rows=rows)
        assert again == Counts(updated=7_500)
        assert count_rows(session=session, table=RESPONSES) == 7_500
