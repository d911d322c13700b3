"""The ingest API through a real uvicorn server on loopback, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from bot import build_deps, create_app
from settings import Settings
from storage.db import session_scope
from storage.ingest import count_rows
from storage.models import COUNTERS, RESPONSES, TICKETS, SurveyResponse, Ticket
from tests.server import serve_app

TOKEN = "s3cret-ingest-token"


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[httpx.Client, Any]]:
    settings = Settings(database_url=db_url, ingest_token=TOKEN)
    deps = build_deps(settings)
    with (
        serve_app(create_app(settings, deps)) as base_url,
        httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield client, deps
    deps.engine.dispose()


def nps(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": f"r{i}",
        "survey": "nps",
        "score": i % 11,
        "submitted_at": "2026-11-02T09:30:00+01:00",
        "comment": "ok",
        "attributes": {"plan": "pro", "channel": "email"},
        **fields,
    }


def stored(deps: Any, table: Any) -> int:
    with session_scope(deps.sessions) as session:
        return count_rows(session=session, table=table)


def test_one_object_and_an_array(api: tuple[httpx.Client, Any]) -> None:
    client, deps = api
    one = client.post("/api/v1/responses", json=nps(1))
    assert one.status_code == 200
    assert one.json() == {"created": 1, "updated": 0}
    many = client.post("/api/v1/responses", json=[nps(1, score=2), nps(2), nps(3)])
    assert many.json() == {"created": 2, "updated": 1}
    assert stored(deps, RESPONSES) == 3


def test_tickets_then_their_resolution(api: tuple[httpx.Client, Any]) -> None:
    client, deps = api
    ticket = {"external_id": "T-9", "created_at": "2026-11-02T08:00:00Z", "channel": "chat"}
    assert client.post("/api/v1/tickets", json=ticket).json() == {"created": 1, "updated": 0}
    later = {
        **ticket,
        "first_response_at": "2026-11-02T08:05:00Z",
        "resolved_at": "2026-11-02T09:00:00Z",
        "handle_seconds": 600,
    }
    assert client.post("/api/v1/tickets", json=[later]).json() == {"created": 0, "updated": 1}
    with session_scope(deps.sessions) as session:
        row = session.execute(select(Ticket)).scalar_one()
    assert row.resolved_at is not None
    assert row.resolved_at.isoformat() == "2026-11-02T09:00:00+00:00"
    assert stored(deps, TICKETS) == 1


def test_metrics(api: tuple[httpx.Client, Any]) -> None:
    client, deps = api
    body = [
        {"name": "sessions", "value": 1000, "at": "2026-11-01T00:00:00Z"},
        {"name": "bounces", "value": 60, "at": "2026-11-01T00:00:00Z"},
        {
            "name": "customers",
            "value": 1200,
            "at": "2026-11-01T00:00:00Z",
            "kind": "level",
            "external_id": "customers-2026-11-01",
        },
    ]
    assert client.post("/api/v1/metrics", json=body).json() == {"created": 3, "updated": 0}
    assert client.post("/api/v1/metrics", json=body[2]).json() == {"created": 0, "updated": 1}
    assert stored(deps, COUNTERS) == 3


def test_one_invalid_item_stores_nothing_and_names_index_and_field(
    api: tuple[httpx.Client, Any],
) -> None:
    client, deps = api
    batch = [nps(1), nps(2), nps(3, score=11), nps(4)]
    answer = client.post("/api/v1/responses", json=batch)
    assert answer.status_code == 422
    body = answer.json()
    assert body["errors"][0] == {
        "index": 2,
        "field": "score",
        "message": "score 11 is outside the nps scale 0–10",
    }
    assert body["detail"] == "item 2, field 'score': score 11 is outside the nps scale 0–10"
    assert body["stored"] == 0
    assert stored(deps, RESPONSES) == 0


def test_every_bad_item_is_named_in_order(api: tuple[httpx.Client, Any]) -> None:
    """Errors of the rules across fields (a score off its scale) come in the items' order with
    the shape errors (a timestamp without offset, an unknown field), not after them."""
    client, deps = api
    batch = [
        nps(0),
        nps(1, score=11),
        nps(2, submitted_at="2026-11-02T09:30:00"),
        nps(3, survey="csat", score=0),
        nps(4, scroe=1),
    ]
    answer = client.post("/api/v1/responses", json=batch)
    assert answer.status_code == 422
    errors = [(e["index"], e["field"]) for e in answer.json()["errors"]]
    assert errors == [(1, "score"), (2, "submitted_at"), (3, "score"), (4, "scroe")]
    assert answer.json()["detail"].startswith("item 1, field 'score'")
    assert stored(deps, RESPONSES) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submitted_at": "2026-11-02T09:30:00"}, "submitted_at"),
        ({"survey": "smiley"}, "survey"),
        ({"survey": "csat", "score": 0}, "score"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_refusals_name_the_field(
    api: tuple[httpx.Client, Any], change: dict[str, Any], field: str
) -> None:
    client, deps = api
    answer = client.post("/api/v1/responses", json=nps(1, **change))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert answer.json()["errors"][0]["index"] is None
    assert stored(deps, RESPONSES) == 0


def test_bad_bodies(api: tuple[httpx.Client, Any]) -> None:
    client, _ = api
    not_json = client.post("/api/v1/responses", content=b"{nope")
    assert not_json.status_code == 422
    assert "not valid JSON" in not_json.json()["detail"]
    scalar = client.post("/api/v1/responses", json=42)
    assert scalar.status_code == 422
    assert scalar.json()["detail"] == "body must be a JSON object or an array of objects"
    not_an_object = client.post("/api/v1/responses", json=[nps(1), 5])
    assert not_an_object.status_code == 422
    assert not_an_object.json()["errors"][0]["index"] == 1
    too_many = client.post("/api/v1/metrics", json=[{}] * 10_001)
    assert too_many.status_code == 413
    assert too_many.json()["detail"] == "at most 10000 items per request, got 10001"
    assert client.post("/api/v1/responses", json=[]).json() == {"created": 0, "updated": 0}


def test_case_and_spaces_are_folded_where_they_carry_no_meaning(
    api: tuple[httpx.Client, Any],
) -> None:
    client, deps = api
    answer = client.post("/api/v1/responses", json=nps(1, survey=" NPS "))
    assert answer.json() == {"created": 1, "updated": 0}
    ticket = {"external_id": "t1", "created_at": "2026-11-02T09:30:00+01:00", "channel": "Chat "}
    assert client.post("/api/v1/tickets", json=ticket).json() == {"created": 1, "updated": 0}
    counter = {"name": " Clicks", "value": 3, "at": "2026-11-02T09:30:00Z"}
    assert client.post("/api/v1/metrics", json=counter).json() == {"created": 1, "updated": 0}
    with session_scope(deps.sessions) as session:
        assert session.execute(select(col(SurveyResponse.survey))).scalar_one() == "nps"
        assert session.execute(select(col(Ticket.channel))).scalar_one() == "chat"


def test_the_limit_of_ten_thousand_items_is_accepted(api: tuple[httpx.Client, Any]) -> None:
    client, deps = api
    answer = client.post("/api/v1/responses", json=[nps(i) for i in range(10_000)])
    assert answer.json() == {"created": 10_000, "updated": 0}
    with session_scope(deps.sessions) as session:
        scores = session.execute(
            select(col(SurveyResponse.score)).where(col(SurveyResponse.external_id) == "r13")
        ).scalar_one()
    assert scores == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
)
def test_401_without_the_token(api: tuple[httpx.Client, Any], headers: dict[str, str]) -> None:
    client, deps = api
    answer = httpx.post(
        str(client.base_url).rstrip("/") + "/api/v1/responses", json=nps(1), headers=headers
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert stored(deps, RESPONSES) == 0


def test_without_a_configured_token_every_call_is_refused(db_url: str) -> None:
    settings = Settings(database_url=db_url)
    with serve_app(create_app(settings)) as base_url:
        answer = httpx.post(
            f"{base_url}/api/v1/responses",
            json=nps(1),
            headers={"Authorization": "Bearer anything"},
        )
    assert answer.status_code == 503
    assert "KPIBOT_INGEST_TOKEN" in answer.json()["detail"]


def test_healthz_and_docs(api: tuple[httpx.Client, Any], tmp_path: Any) -> None:
    client, _ = api
    assert client.get("/healthz").status_code == 200
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/responses", "/api/v1/tickets", "/api/v1/metrics"} <= set(spec["paths"])
    broken = Settings(database_url="postgresql://postgres@127.0.0.1:9/unreachable")
    with serve_app(create_app(broken)) as base_url:
        assert httpx.get(f"{base_url}/healthz").status_code == 503


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (b"NaN", "finite number"),
        (b"Infinity", "finite number"),
        (b"-Infinity", "finite number"),
        (b"-1e400", "finite number"),
        (b"1" + b"0" * 300, "more than 255 characters"),
    ],
)
def test_attributes_refuse_numbers_that_are_not_figures(
    api: tuple[httpx.Client, Any], number: bytes, problem: str
) -> None:
    """JSON parsers let NaN and infinities through (and 1e400 overflows to one): an attribute
    holding one is refused with its item and field, not stored as the text "nan"; so is a
    number longer than an attribute may be."""
    client, deps = api
    body = (
        b'[{"external_id": "r1", "survey": "nps", "score": 9, '
        b'"submitted_at": "2026-11-02T09:30:00Z", "attributes": {"plan": "pro"}}, '
        b'{"external_id": "r2", "survey": "nps", "score": 9, '
        b'"submitted_at": "2026-11-02T09:30:00Z", "attributes": {"weight": ' + number + b"}}]"
    )
    answer = client.post(
        "/api/v1/responses", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert (error["index"], error["field"]) == (1, "attributes.weight")
    assert problem in error["message"]
    assert stored(deps, RESPONSES) == 0
    finite = client.post(
        "/api/v1/responses", json=nps(3, attributes={"weight": 0.5, "vip": True, "n": 7})
    )
    assert finite.status_code == 200, finite.text
    with session_scope(deps.sessions) as session:
        row = session.execute(select(SurveyResponse)).scalar_one()
    assert row.attributes == {"weight": "0.5", "vip": "true", "n": "7"}


def test_text_with_a_nul_character_is_refused_on_both_databases(
    api: tuple[httpx.Client, Any],
) -> None:
    """PostgreSQL cannot store NUL in text: a JSON `\\u0000` anywhere is a 422 naming the
    item and field on both databases (not a 500 on one of them), and nothing is stored."""
    client, deps = api
    batch = [nps(0), nps(1, comment="fine\u0000print"), nps(2, attributes={"plan": "\u0000"})]
    answer = client.post("/api/v1/responses", json=batch)
    assert answer.status_code == 422, answer.text
    errors = [(e["index"], e["field"]) for e in answer.json()["errors"]]
    assert errors == [(1, "comment"), (2, "attributes.plan")]
    assert "NUL character" in answer.json()["detail"]
    single = client.post(
        "/api/v1/tickets", json={"external_id": "t\u0000", "created_at": "2026-11-02T09:30:00Z"}
    )
    assert single.status_code == 422, single.text
    assert single.json()["errors"][0]["field"] == "external_id"
    assert stored(deps, RESPONSES) == 0
    assert stored(deps, TICKETS) == 0
    # an escaped backslash followed by "u0000" is plain text, stored as sent
    literal = client.post("/api/v1/responses", json=nps(3, comment="C:\\u0000"))
    assert literal.status_code == 200, literal.text
    with session_scope(deps.sessions) as session:
        assert session.execute(select(col(SurveyResponse.comment))).scalar_one() == "C:\\u0000"
