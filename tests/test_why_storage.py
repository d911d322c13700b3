"""`why` on planted histories, on both databases: the driver named, its effect, the sum."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.answers.service import why
from handlers.deps import Deps
from kpis.question import parse_question
from settings import Settings
from storage.db import make_engine, make_session_factory, session_scope
from storage.ingest import upsert_responses, upsert_tickets

#: The current period: 2026-11-08..2026-11-14; the previous one: 2026-11-01..2026-11-07.
PERIOD = "2026-11-08..2026-11-14"
CURRENT = datetime(2026, 11, 9, 10, tzinfo=UTC)
PREVIOUS = datetime(2026, 11, 2, 10, tzinfo=UTC)
#: NPS score mixes: (promoters, passives, detractors) per 10 answers.
GOOD, FAIR, BAD = (6, 3, 1), (4, 3, 3), (1, 3, 6)


@pytest.fixture
def deps(db_url: str) -> Iterator[Deps]:
    engine = make_engine(db_url)
    yield Deps(Settings(database_url=db_url), engine, make_session_factory(engine))
    engine.dispose()


def answers(
    at: datetime, mix: tuple[int, int, int], tens: int, **attributes: str
) -> list[dict[str, Any]]:
    """`tens` × 10 NPS answers with this mix of promoters, passives and detractors."""
    scores = [10] * mix[0] + [8] * mix[1] + [3] * mix[2]
    return [
        {
            "survey": "nps",
            "score": score,
            "scale_max": 10,
            "comment": None,
            "customer_id": None,
            "submitted_at": at + timedelta(minutes=len(scores) * t + i),
            "attributes": dict(attributes),
        }
        for t in range(tens)
        for i, score in enumerate(scores)
    ]


def store(deps: Deps, rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows):
        row["external_id"] = f"r{i}"
        row["source"] = "api"
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)


def both_channels(at: datetime, mix: tuple[int, int, int], tens: int, plan: str) -> list[Any]:
    half = tens // 2
    return answers(at, mix, half, plan=plan, channel="email", region="emea") + answers(
        at, mix, tens - half, plan=plan, channel="chat", region="emea"
    )


def test_a_rate_change_in_one_segment_is_named_first(deps: Deps) -> None:
    rows = []
    for at in (PREVIOUS, CURRENT):
        rows += both_channels(at, GOOD, 10, "free")
        rows += both_channels(at, GOOD if at == PREVIOUS else BAD, 6, "pro")
        rows += both_channels(at, FAIR, 4, "enterprise")
    store(deps, rows)
    found = why(deps=deps, question=parse_question(f"nps {PERIOD} why"))
    assert found.result.delta == pytest.approx(-30)  # pro: 30 % of the answers, +50 → −50
    first = found.drivers[0]
    assert (first.attribute, first.key, first.effect) == ("plan", "pro", "rate")
    assert first.significant is True
    assert first.before.value == 50
    assert first.after.value == -50
    assert first.after.n == 60
    assert first.share_before == pytest.approx(0.3)
    assert first.contribution == pytest.approx(-30)
    assert all(d.attribute == "plan" for d in found.drivers)  # channels fell alike
    for attribution in found.attributions:
        assert attribution.total == pytest.approx(found.result.delta)


def test_a_pure_change_of_mix_is_named_first_and_called_mix(deps: Deps) -> None:
    rows = []
    for at, email in ((PREVIOUS, 2), (CURRENT, 8)):
        for plan in ("free", "pro"):
            rows += answers(at, BAD, email, plan=plan, channel="email", region="emea")
            for other in ("chat", "phone"):
                rows += answers(at, GOOD, 5 - email // 2, plan=plan, channel=other, region="emea")
    store(deps, rows)
    found = why(deps=deps, question=parse_question(f"{PERIOD} pourquoi", kpi="nps"))
    assert found.result.delta == pytest.approx(-60)
    first = found.drivers[0]
    assert (first.attribute, first.key, first.effect) == ("channel", "email", "mix")
    assert first.rate == pytest.approx(0)
    assert first.before.value == first.after.value == -50
    assert first.share_before == pytest.approx(0.2)
    assert first.share_after == pytest.approx(0.8)
    assert sum(s.contribution for s in found.attributions[0].segments) == pytest.approx(-60)


def test_an_even_change_says_no_segment_stands_out(deps: Deps) -> None:
    rows = []
    for at in (PREVIOUS, CURRENT):
        for plan, tens in (("free", 6), ("pro", 4)):
            rows += both_channels(at, GOOD if at == PREVIOUS else FAIR, tens, plan)
    store(deps, rows)
    found = why(deps=deps, question=parse_question(f"nps {PERIOD} why"))
    assert found.result.delta == pytest.approx(-40)
    assert not found.standout
    assert found.drivers == ()
    assert {a.attribute for a in found.attributions} == {"plan", "channel"}


def test_filters_narrow_the_decomposition(deps: Deps) -> None:
    rows = []
    for at in (PREVIOUS, CURRENT):
        rows += answers(at, GOOD, 6, plan="free", channel="chat", region="emea")
        rows += answers(
            at, GOOD if at == PREVIOUS else BAD, 4, plan="pro", channel="chat", region="emea"
        )
        # elsewhere, free answers collapse: a filter on emea must not see it
        rows += answers(
            at, GOOD if at == PREVIOUS else BAD, 8, plan="free", channel="chat", region="apac"
        )
    store(deps, rows)
    found = why(deps=deps, question=parse_question(f"nps {PERIOD} region=emea why"))
    assert found.result.delta == pytest.approx(-40)
    assert [a.attribute for a in found.attributions] == ["plan"]  # one region, one channel
    first = found.drivers[0]
    assert (first.key, first.effect) == ("pro", "rate")
    assert found.attributions[0].total == pytest.approx(found.result.delta)
    unfiltered = why(deps=deps, question=parse_question(f"nps {PERIOD} why"))
    assert unfiltered.drivers[0].label in ("region=apac", "plan=free")


def test_ticket_kpis_split_by_agent(deps: Deps) -> None:
    tickets: list[dict[str, Any]] = []
    for at in (PREVIOUS, CURRENT):
        for agent, minutes in (("ana", 10), ("bruno", 10), ("chloe", 10)):
            slow = minutes * (9 if at == CURRENT and agent == "chloe" else 1)
            for i in range(20):
                created = at + timedelta(minutes=7 * i)
                tickets.append(
                    {
                        "external_id": f"t{len(tickets)}",
                        "source": "api",
                        "created_at": created,
                        "first_response_at": created + timedelta(minutes=slow + i % 3),
                        "resolved_at": None,
                        "handle_seconds": None,
                        "contacts": 1,
                        "escalated": False,
                        "reopened": False,
                        "channel": "email",
                        "team": "care",
                        "agent": agent,
                        "customer_id": None,
                        "attributes": {},
                    }
                )
    with session_scope(deps.sessions) as session:
        upsert_tickets(session=session, rows=tickets)
    found = why(deps=deps, question=parse_question(f"frt {PERIOD} why"))
    first = found.drivers[0]
    assert (first.attribute, first.key, first.effect) == ("agent", "chloe", "rate")
    assert first.contribution == pytest.approx(found.result.delta or 0)
    assert first.significant is True


def test_counts_are_not_split(deps: Deps) -> None:
    store(deps, answers(PREVIOUS, GOOD, 2, plan="free") + answers(CURRENT, BAD, 2, plan="pro"))
    found = why(deps=deps, question=parse_question(f"responses {PERIOD} why"))
    assert found.reason == "not_decomposable"
