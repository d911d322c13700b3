"""Property tests: the SQL engine agrees with a plain-Python reference on random data."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.answers.service import answer_text
from handlers.deps import Deps
from settings import Settings
from storage.db import SessionFactory, session_scope
from storage.ingest import upsert_responses, upsert_tickets

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
PLANS = ("free", "pro", "enterprise")
WEEK = 7 * 24 * 60  # minutes

answers = st.lists(
    st.tuples(st.integers(0, 10), st.sampled_from(PLANS), st.integers(0, 13 * 24 * 60)),
    max_size=60,
)
delays = st.lists(
    st.tuples(
        st.integers(0, 3 * 24 * 3600),
        st.sampled_from(("chat", "email")),
        st.integers(0, 13 * 24 * 60),
    ),
    min_size=0,
    max_size=40,
)


@pytest.fixture
def deps(engine: Any, session_factory: SessionFactory) -> Deps:
    return Deps(Settings(database_url=str(engine.url)), engine, session_factory, lambda: NOW)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=answers)
def test_nps_matches_python(deps: Deps, data: list[tuple[int, str, int]]) -> None:
    run = uuid.uuid4().hex[:12]
    rows = [
        {
            "external_id": f"{run}-{i}",
            "source": "prop",
            "survey": "nps",
            "score": score,
            "scale_max": 10,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - timedelta(minutes=minutes),
            "attributes": {"run": run, "plan": plan},
        }
        for i, (score, plan, minutes) in enumerate(data)
    ]
    rows.append(  # outside every window: it only makes the attributes known
        {
            "external_id": f"{run}-old",
            "source": "prop",
            "survey": "nps",
            "score": 5,
            "scale_max": 10,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - timedelta(days=400),
            "attributes": {"run": run, "plan": "pro"},
        }
    )
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
    result = answer_text(deps=deps, text=f"nps last-7d run={run} by plan", now=NOW)

    def nps(subset: list[int]) -> float | None:
        if not subset:
            return None
        return 100 * (sum(s >= 9 for s in subset) - sum(s <= 6 for s in subset)) / len(subset)

    week = [(s, p) for s, p, m in data if (m < 7 * 24 * 60 and m > 0) or m == 0]
    week = [
        (s, p)
        for s, p, m in data
        if NOW - timedelta(minutes=m) >= NOW - timedelta(days=7) and m > 0
    ]
    before = [s for s, _, m in data if WEEK < m <= 2 * WEEK]
    assert result.current.n == len(week)
    assert result.current.value == (None if not week else pytest.approx(nps([s for s, _ in week])))
    assert result.previous.value == (None if not before else pytest.approx(nps(before)))
    expected = {plan: nps([s for s, p in week if p == plan]) for plan in PLANS}
    assert {g.key: g.figure.value for g in result.groups} == {
        k: pytest.approx(v) for k, v in expected.items() if v is not None
    }


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=delays)
def test_first_response_time_matches_python(deps: Deps, data: list[tuple[int, str, int]]) -> None:
    run = uuid.uuid4().hex[:12]
    rows = []
    for i, (delay, channel, minutes) in enumerate(data):
        created = NOW - timedelta(minutes=minutes)
        rows.append(
            {
                "external_id": f"{run}-{i}",
                "source": "prop",
                "created_at": created,
                "first_response_at": created + timedelta(seconds=delay),
                "resolved_at": None,
                "handle_seconds": None,
                "contacts": 1,
                "escalated": False,
                "reopened": False,
                "channel": channel,
                "team": None,
                "agent": None,
                "customer_id": None,
                "attributes": {"run": run},
            }
        )
    old = NOW - timedelta(days=400)
    rows.append(
        {
            "external_id": f"{run}-old",
            "source": "prop",
            "created_at": old,
            "first_response_at": None,
            "resolved_at": None,
            "handle_seconds": None,
            "contacts": 1,
            "escalated": False,
            "reopened": False,
            "channel": None,
            "team": None,
            "agent": None,
            "customer_id": None,
            "attributes": {"run": run},
        }
    )
    with session_scope(deps.sessions) as session:
        upsert_tickets(session=session, rows=rows)
    result = answer_text(deps=deps, text=f"frt last-7d run={run}", now=NOW)
    week = [float(d) for d, _, m in data if 0 < m <= WEEK]
    assert result.current.n == len(week)
    if not week:
        assert result.current.value is None
        return
    assert result.current.value == pytest.approx(statistics.fmean(week), abs=1e-3)
    assert result.current.parts["median"] == pytest.approx(percentile(week, 0.5), abs=1e-3)
    assert result.current.parts["p90"] == pytest.approx(percentile(week, 0.9), abs=1e-3)
