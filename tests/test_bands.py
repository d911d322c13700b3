"""Satisfied and detractor bands per scale: binary (good/bad, yes/no), 3-point, 5-point, 7-point.

The SQL conditions of `kpis.bands` and their Python twin `verdict` agree on every score of every
scale, and CSAT, CES-net and the detractor alerts read a mix of scales the same way from the
records and from the daily rollups. SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.answers.service import answer_text
from handlers.deps import Deps
from kpis.bands import BOTTOM, TOP, detractors, verdict
from settings import Settings
from storage.aggregate.sql import condition
from storage.db import SessionFactory, session_scope
from storage.ingest import upsert_responses
from storage.models import RESPONSES
from storage.rollups.store import refresh

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
_ids = itertools.count()


def answers(survey: str, scale_max: int, scores: list[int], days_ago: int = 3) -> list[Any]:
    return [
        {
            "external_id": f"b{next(_ids)}",
            "source": "api",
            "survey": survey,
            "score": score,
            "scale_max": scale_max,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - timedelta(days=days_ago, hours=3),
            "attributes": {},
        }
        for score in scores
    ]


def store(sessions: SessionFactory, rows: list[Any]) -> None:
    with session_scope(sessions) as session:
        upsert_responses(session=session, rows=rows)


@pytest.fixture
def deps(engine: Any, session_factory: SessionFactory) -> Deps:
    return Deps(
        settings=Settings(database_url=str(engine.url)),
        engine=engine,
        sessions=session_factory,
        clock=lambda: NOW,
    )


def test_the_sql_bands_and_their_python_twin_agree_on_every_scale(
    session_factory: SessionFactory,
) -> None:
    rows = [answers("nps", 10, list(range(11)))]
    for survey in ("csat", "ces"):
        rows += [answers(survey, top, list(range(1, top + 1))) for top in range(2, 11)]
    store(session_factory, [row for group in rows for row in group])
    c = RESPONSES.c
    with session_scope(session_factory) as session:
        everything = session.execute(select(c.survey, c.score, c.scale_max)).all()

        def chosen(where: Any) -> set[tuple[str, int, int]]:
            found = session.execute(select(c.survey, c.score, c.scale_max).where(where))
            return {tuple(row) for row in found}

        satisfied = chosen(condition(RESPONSES, TOP))
        dissatisfied = chosen(condition(RESPONSES, BOTTOM))
        alerting = chosen(condition(RESPONSES, detractors()))
    for survey, score, top in everything:
        if survey == "nps":
            assert ((survey, score, top) in alerting) == (verdict(survey, score, top) == "low")
            continue
        found = verdict(survey, score, top)
        assert ((survey, score, top) in satisfied) == (found == "high"), (survey, score, top)
        assert ((survey, score, top) in dissatisfied) == (found == "low"), (survey, score, top)
        assert ((survey, score, top) in alerting) == (found == "low"), (survey, score, top)


@pytest.mark.parametrize(
    ("scale_max", "high", "middle", "low"),
    [
        (2, [2], [], [1]),  # good/bad, yes/no
        (3, [3], [2], [1]),  # Great / Okay / Bad
        (5, [4, 5], [3], [1, 2]),  # stars, Intercom
        (7, [6, 7], [3, 4, 5], [1, 2]),  # Freshdesk's −103…103, CES
    ],
)
def test_each_scale_has_its_own_satisfied_and_detractor_answers(
    scale_max: int, high: list[int], middle: list[int], low: list[int]
) -> None:
    assert [verdict("csat", s, scale_max) for s in range(1, scale_max + 1)] == (
        ["low"] * len(low) + ["middle"] * len(middle) + ["high"] * len(high)
    )


def test_csat_of_mixed_scales_is_the_same_from_the_records_and_the_rollups(deps: Deps) -> None:
    rows = [
        *answers("csat", 2, [2, 2, 2, 1]),  # Zendesk: 3 good, 1 bad
        *answers("csat", 3, [3, 2, 1, 1]),  # Help Scout: Great, Okay, Bad, Bad
        *answers("csat", 5, [5, 4, 3, 1]),  # Intercom
        *answers("csat", 7, [7, 6, 4, 1]),  # Freshdesk 103, 102, 100, −103
        *answers("ces", 2, [2, 1]),  # yes/no "was it easy?"
        *answers("ces", 7, [7, 6, 2]),
    ]
    store(deps.sessions, rows)
    csat = answer_text(deps=deps, text="csat last-7d", now=NOW)
    assert (csat.current.value, csat.current.n) == (50.0, 16)  # 3 + 1 + 2 + 2 satisfied
    net = answer_text(deps=deps, text="ces-net last-7d", now=NOW)
    assert net.current.parts["easy_count"] == 3
    assert net.current.parts["difficult_count"] == 2
    refresh(deps.sessions, now=NOW)
    assert answer_text(deps=deps, text="csat last-7d", now=NOW).current == csat.current
    assert answer_text(deps=deps, text="ces-net last-7d", now=NOW).current == net.current


def test_a_short_scales_answer_says_what_it_means_in_both_languages() -> None:
    from handlers.formatting import score

    assert score("csat", 1, 2) == "*1/2* CSAT (dissatisfied)"
    assert score("csat", 2, 3, "fr") == "*2/3* CSAT (neutre)"
    assert score("ces", 2, 2, "fr") == "*2/2* CES (satisfait)"
    assert score("csat", 4, 5) == "*4/5* CSAT"
    assert score("nps", 3, 10) == "*3/10* NPS"
