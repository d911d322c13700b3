"""The KPI engine end to end on both databases: hand-computed cases for every family."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.answers.service import UnknownAttribute, UnknownKpi, answer_text
from handlers.deps import Deps
from kpis.catalogue import CATALOGUE
from kpis.result import FEWER_THAN_FIVE, NO_DATA, ZERO_DENOMINATOR, KpiResult
from settings import Settings
from storage.db import SessionFactory, session_scope
from storage.ingest import upsert_counters, upsert_responses, upsert_tickets

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
_ids = itertools.count()


@pytest.fixture
def deps(engine: Any, session_factory: SessionFactory) -> Deps:
    return Deps(
        settings=Settings(database_url=str(engine.url)),
        engine=engine,
        sessions=session_factory,
        clock=lambda: NOW,
    )


def responses(
    deps: Deps, survey: str, scores: list[int], at: datetime = NOW - DAY, **attributes: str
) -> None:
    rows = [
        {
            "external_id": f"r{next(_ids)}",
            "source": "api",
            "survey": survey,
            "score": s,
            "scale_max": {"nps": 10, "enps": 10, "csat": 5, "ces": 7}[survey],
            "comment": None,
            "customer_id": None,
            "submitted_at": at,
            "attributes": dict(attributes),
        }
        for s in scores
    ]
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)


def ticket(deps: Deps, created: datetime, **fields: Any) -> None:
    row = {
        "external_id": f"t{next(_ids)}",
        "source": "api",
        "created_at": created,
        "first_response_at": None,
        "resolved_at": None,
        "handle_seconds": None,
        "contacts": 1,
        "escalated": False,
        "reopened": False,
        "channel": "email",
        "team": "care",
        "agent": "ana",
        "customer_id": None,
        "attributes": {},
    }
    row.update(fields)
    with session_scope(deps.sessions) as session:
        upsert_tickets(session=session, rows=[row])


def counter(
    deps: Deps,
    name: str,
    value: float,
    at: datetime = NOW - DAY,
    kind: str = "flow",
    **attributes: str,
) -> None:
    row = {
        "external_id": None,
        "source": "api",
        "name": name,
        "value": value,
        "at": at,
        "kind": kind,
        "attributes": dict(attributes),
    }
    with session_scope(deps.sessions) as session:
        upsert_counters(session=session, rows=[row])


def ask(deps: Deps, text: str) -> KpiResult:
    return answer_text(deps=deps, text=text, now=NOW)


def test_nps_worked_examples_and_previous_period(deps: Deps) -> None:
    responses(deps, "nps", [10] * 10 + [8] * 5 + [3] * 5)
    responses(deps, "nps", [10] * 5 + [7] * 17 + [0] * 2, at=NOW - 10 * DAY)
    r = ask(deps, "nps last-7d")
    assert (r.current.value, r.current.n) == (25.0, 20)
    assert r.current.parts["promoters"] == 50
    assert r.current.parts["detractors_count"] == 5
    assert r.previous.value == 12.5  # exactly: displayed as 13
    assert r.delta == 12.5
    assert r.significant is False
    assert r.low_sample is True
    assert r.current.ci is not None
    assert r.current.ci.low < 25 < r.current.ci.high
    assert r.direction == "up"
    assert r.improved is True


def test_nps_segments_are_pooled(deps: Deps) -> None:
    for segment, (p, s, d) in zip("abc", [(3, 0, 2), (1, 3, 4), (0, 3, 4)], strict=True):
        responses(deps, "nps", [9] * p + [7] * s + [5] * d, segment=segment)
    r = ask(deps, "nps last-7d by segment")
    assert r.current.value == -30
    assert {g.key: g.figure.value for g in r.groups} == {"a": 20, "b": -37.5, "c": -400 / 7}


def test_csat_top_two_boxes_and_other_scales(deps: Deps) -> None:
    responses(deps, "csat", [5] * 40 + [4] * 30 + [3] * 10 + [2] * 5 + [1] * 15)
    r = ask(deps, "csat last-7d")
    assert (r.current.value, r.current.n) == (70.0, 100)
    assert r.current.ci is not None
    rows = [
        {
            "external_id": f"s{i}",
            "source": "api",
            "survey": "csat",
            "score": score,
            "scale_max": 10,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - DAY,
            "attributes": {"scale": "ten"},
        }
        for i, score in enumerate([9, 10, 8, 3])
    ]
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
    assert ask(deps, "csat last-7d scale=ten").current.value == 50  # 9 and 10 of 10


def test_ces_mean_and_net_effort(deps: Deps) -> None:
    responses(deps, "ces", [7, 6, 5, 2, 1, 7])
    r = ask(deps, "ces last-7d")
    assert r.current.value == pytest.approx(28 / 6)
    assert r.current.ci is not None
    net = ask(deps, "net-effort last-7d")
    assert net.current.value == pytest.approx(100 * (3 - 2) / 6)


def test_enps_is_withheld_under_five_answers(deps: Deps) -> None:
    responses(deps, "enps", [9, 9, 3, 10], team="a")
    responses(deps, "enps", [9, 9, 9, 9, 2, 7], team="b")
    r = ask(deps, "enps last-7d by team")
    assert r.current.value == pytest.approx(100 * (7 - 2) / 10)
    groups = {g.key: g.figure for g in r.groups}
    assert groups["a"].value is None
    assert groups["a"].reason == FEWER_THAN_FIVE
    assert groups["a"].parts == {}
    assert groups["b"].value == pytest.approx(100 * 3 / 6)
    small = ask(deps, "enps last-7d team=a")
    assert (small.current.value, small.current.reason) == (None, FEWER_THAN_FIVE)


def test_support_kpis(deps: Deps) -> None:
    base = NOW - 3 * DAY
    ticket(
        deps,
        base,
        first_response_at=base + timedelta(minutes=10),
        resolved_at=base + timedelta(hours=2),
        handle_seconds=600,
        channel="chat",
    )
    ticket(
        deps,
        base,
        first_response_at=base + timedelta(minutes=30),
        resolved_at=base + timedelta(hours=4),
        handle_seconds=1200,
        contacts=2,
        channel="email",
    )
    ticket(
        deps,
        base,
        first_response_at=base + timedelta(minutes=50),
        resolved_at=base + timedelta(hours=6),
        handle_seconds=1800,
        reopened=True,
        escalated=True,
        channel="email",
    )
    ticket(deps, base, first_response_at=base + timedelta(minutes=70), channel="phone")
    ticket(deps, NOW - 20 * DAY)  # open since before the period: backlog
    frt = ask(deps, "frt last-7d")
    assert (frt.current.value, frt.current.n) == (40 * 60, 4)
    assert frt.current.parts["median"] == 40 * 60
    assert frt.current.parts["p90"] == pytest.approx(64 * 60)
    assert frt.direction == "down"
    aht = ask(deps, "dmt last-7d")
    assert (aht.current.value, aht.current.n) == (1200, 3)
    resolution = ask(deps, "resolution-time last-7d")
    assert resolution.current.value == 4 * 3600
    assert ask(deps, "fcr last-7d").current.value == pytest.approx(100 / 3)
    assert ask(deps, "reopen-rate last-7d").current.value == pytest.approx(100 / 3)
    assert ask(deps, "escalation-rate last-7d").current.value == 25
    assert ask(deps, "tickets last-7d").current.value == 4
    backlog = ask(deps, "backlog last-7d")
    assert backlog.current.value == 2  # the phone ticket and the old one
    assert backlog.previous.value == 1
    by_channel = ask(deps, "frt last-7d by channel")
    assert {g.key: g.figure.n for g in by_channel.groups} == {"email": 2, "chat": 1, "phone": 1}
    assert ask(deps, "contacts-per-ticket last-7d").current.value == pytest.approx(4 / 3)


def test_counter_kpis_worked_examples(deps: Deps) -> None:
    counter(deps, "sessions", 1000)
    counter(deps, "bounces", 60)
    counter(deps, "impressions", 100)
    counter(deps, "clicks", 5)
    counter(deps, "cost", 2400, at=NOW - 2 * DAY)
    counter(deps, "impressions", 799_900, at=NOW - 2 * DAY)
    assert ask(deps, "bounce-rate last-7d").current.value == 6
    assert ask(deps, "taux-de-rebond last-7d").current.n == 1000
    assert ask(deps, "ctr last-7d").current.value == pytest.approx(5 / 800_000 * 100)
    assert ask(deps, "cpm last-7d").current.value == pytest.approx(3.0)
    assert ask(deps, "cpm last-7d").current.ci is None
    start = NOW - 7 * DAY
    counter(deps, "customers", 1000, at=start - DAY, kind="level")
    counter(deps, "customers", 1100, at=NOW - DAY, kind="level")
    counter(deps, "new_customers", 200)
    counter(deps, "customers_lost", 100)
    assert ask(deps, "retention-rate last-7d").current.value == 90
    assert ask(deps, "churn last-7d").current.value == 10
    assert ask(deps, "sessions last-7d").current.value == 1000


def test_levels_per_segment_are_summed(deps: Deps) -> None:
    start = NOW - 7 * DAY
    counter(deps, "customers", 600, at=start - 2 * DAY, kind="level", plan="pro")
    counter(deps, "customers", 400, at=start - 2 * DAY, kind="level", plan="free")
    counter(deps, "customers", 700, at=start - DAY, kind="level", plan="pro")
    counter(deps, "customers_lost", 55, plan="pro")
    counter(deps, "customers_lost", 11, plan="free")
    r = ask(deps, "churn-rate last-7d by plan")
    assert r.current.value == pytest.approx(100 * 66 / 1100)
    assert {g.key: g.figure.value for g in r.groups} == {
        "pro": pytest.approx(100 * 55 / 700),
        "free": pytest.approx(100 * 11 / 400),
    }


def test_no_data_and_zero_denominators(deps: Deps) -> None:
    empty = ask(deps, "nps last-7d")
    assert (empty.current.value, empty.current.reason, empty.delta) == (None, NO_DATA, None)
    assert ask(deps, "frt last-7d").current.reason == NO_DATA
    counter(deps, "sessions", 0)
    counter(deps, "bounces", 0)
    zero = ask(deps, "bounce-rate last-7d")
    assert (zero.current.value, zero.current.reason) == (None, ZERO_DENOMINATOR)
    responses(deps, "nps", [8, 8, 8])
    assert ask(deps, "nps last-7d").current.value == 0  # 0 is a valid NPS


def test_response_rate_mixes_responses_and_counters(deps: Deps) -> None:
    responses(deps, "nps", [9] * 30)
    counter(deps, "surveys_sent", 120)
    assert ask(deps, "feedback-rate last-7d").current.value == 25


def test_filters_on_columns_and_attributes(deps: Deps) -> None:
    responses(deps, "nps", [10, 10], plan="enterprise", channel="chat")
    responses(deps, "nps", [0, 0, 0], plan="free", channel="email")
    responses(deps, "nps", [9])
    assert ask(deps, "nps last-7d plan=enterprise").current.value == 100
    assert ask(deps, "nps last-7d plan=Enterprise").current.n == 2  # case-insensitive
    assert ask(deps, "nps last-7d plan!=free").current.n == 3  # rows without a plan count
    assert ask(deps, "nps last-7d plan!=free channel=chat").current.n == 2
    assert ask(deps, "nps last-7d survey=nps").current.n == 6
    base = NOW - DAY
    ticket(deps, base, channel="chat", team="billing")
    ticket(deps, base, channel="email", team="care")
    assert ask(deps, "tickets last-7d team=billing").current.value == 1
    assert ask(deps, "tickets last-7d channel!=chat").current.value == 1


def test_grouping_keeps_the_top_and_pools_the_rest(deps: Deps) -> None:
    for i, size in enumerate([5, 4, 3, 2, 1]):
        responses(deps, "nps", [10] * size, region=f"r{i}")
    responses(deps, "nps", [0, 0])
    r = ask(deps, "nps last-7d by region top=2")
    assert [(g.key, g.figure.n) for g in r.groups] == [("r0", 5), ("r1", 4), ("other", 8)]
    other = r.groups[-1].figure
    assert other.value == pytest.approx(100 * (6 - 2) / 8)
    assert r.current.n == 17
    times = NOW - 2 * DAY
    for channel, minutes in [("a", 10), ("a", 20), ("b", 30), ("c", 50), ("c", 70)]:
        ticket(deps, times, first_response_at=times + timedelta(minutes=minutes), channel=channel)
    frt = ask(deps, "frt last-7d by channel top=1")
    groups = {g.key: g.figure for g in frt.groups}
    assert set(groups) == {"a", "other"}  # a and c tie on n; ties go alphabetically
    assert groups["a"].parts["median"] == 15 * 60
    assert groups["other"].parts["median"] == 50 * 60  # median of 30, 50, 70 minutes, pooled


def test_bad_input_gives_clear_errors(deps: Deps) -> None:
    responses(deps, "nps", [9], plan="pro")
    with pytest.raises(UnknownKpi) as kpi:
        ask(deps, "npss last-7d")
    assert kpi.value.suggestions[0] == "nps"
    with pytest.raises(UnknownAttribute) as attribute:
        ask(deps, "nps last-7d plna=pro")
    assert attribute.value.suggestions == ["plan"]
    with pytest.raises(UnknownAttribute):
        ask(deps, "nps last-7d by regoin")


def test_every_catalogue_entry_answers(deps: Deps) -> None:
    responses(deps, "nps", [9, 3])
    ticket(deps, NOW - DAY)
    counter(deps, "clicks", 3)
    for kpi in CATALOGUE:
        result = ask(deps, f"{kpi.key} last-7d")
        assert result.key == kpi.key
        assert result.current.value is not None or result.current.reason
