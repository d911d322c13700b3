"""Daily rollups never change an answer: every survey and ticket KPI, over periods in several
timezones, with filters and groupings, is the same read from the records and from the rollups;
writes forget the days they touch; a refresh waits for writers in flight."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select, update

import storage.aggregate.percentiles
from bot import cli
from handlers.answers.service import StorageRunner, answer_text
from handlers.deps import Deps
from kpis.catalogue import CATALOGUE, find_kpi
from kpis.engine import compute
from kpis.formulas import EPOCH
from kpis.periods import parse_period
from kpis.question import parse_question
from kpis.result import Figure, KpiResult
from query.plan import Window
from settings import Settings
from storage.db import SessionFactory, session_scope
from storage.ingest import upsert_responses, upsert_tickets
from storage.models import Ticket
from storage.rollups.store import DAY, day_start, forget, refresh, split
from storage.rollups.tables import CELLS, ROLLUP_DAYS
from storage.sketch import RELATIVE_ERROR

# Europe/Paris moves to summer time on 29 March 2026: periods around it have a 23-hour day.
NOW = datetime(2026, 4, 2, 15, 30, tzinfo=UTC)
SPAN_DAYS = 75
CHANNELS = ("email", "chat", "phone", None)
TEAMS = ("care", "billing")
PLANS = ("free", "pro", "enterprise")
REGIONS = ("emea", "na")


@pytest.fixture
def deps(engine: Any, session_factory: SessionFactory) -> Deps:
    return Deps(Settings(database_url=str(engine.url)), engine, session_factory, lambda: NOW)


def _instant(rng: random.Random) -> datetime:
    return NOW - timedelta(seconds=rng.randint(0, SPAN_DAYS * 86400))


def seed(deps: Deps, seed_value: int = 11) -> None:
    """Responses of every survey and tickets in every state, spread over 75 days."""
    rng = random.Random(seed_value)
    responses = []
    for i in range(1500):
        survey = rng.choice(("nps", "nps", "csat", "ces", "enps"))
        scale = {"nps": 10, "enps": 10, "csat": rng.choice((5, 10)), "ces": 7}[survey]
        low = 0 if survey in ("nps", "enps") else 1
        responses.append(
            {
                "external_id": f"r{i}",
                "source": "api",
                "survey": survey,
                "score": rng.randint(low, scale),
                "scale_max": scale,
                "comment": None,
                "customer_id": f"c{rng.randint(1, 300)}",
                "submitted_at": _instant(rng),
                "attributes": {
                    "plan": rng.choice(PLANS),
                    "channel": rng.choice(CHANNELS[:3]),
                    # a third of the answers have no region: the "(none)" segment
                    **({"region": rng.choice(REGIONS)} if i % 3 else {}),
                },
            }
        )
    tickets = []
    for i in range(900):
        created = _instant(rng)
        responded = created + timedelta(seconds=rng.lognormvariate(8, 1.5))
        resolved = responded + timedelta(seconds=rng.lognormvariate(10, 1.2))
        state = rng.random()
        tickets.append(
            {
                "external_id": f"t{i}",
                "source": "api",
                "created_at": created,
                "first_response_at": responded if state > 0.1 else None,
                "resolved_at": resolved if state > 0.3 else None,
                "handle_seconds": round(rng.uniform(60, 4000), 1) if state > 0.3 else None,
                "contacts": rng.choice((1, 1, 1, 2, 3)),
                "escalated": rng.random() < 0.15,
                "reopened": rng.random() < 0.1,
                "channel": rng.choice(CHANNELS),
                "team": rng.choice(TEAMS),
                "agent": f"agent{rng.randint(1, 6)}",
                "customer_id": f"c{rng.randint(1, 300)}",
                "attributes": {"plan": rng.choice(PLANS)},
            }
        )
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=responses)
        upsert_tickets(session=session, rows=tickets)


def _sources(key: str) -> set[str]:
    kpi = next(k for k in CATALOGUE if k.key == key)
    return {need.source for need in kpi.formula.scans((Window(EPOCH, EPOCH),))}


#: Every catalogue KPI computed from responses or tickets alone.
KEYS = [k.key for k in CATALOGUE if _sources(k.key) and _sources(k.key) <= {"responses", "tickets"}]
PERIODS = ("last-7d", "last-30d", "this-month", "last-month", "2026-03-02..2026-03-31")
ZONES = ("UTC", "Europe/Paris", "Asia/Kathmandu")


def _variants(key: str) -> tuple[str, ...]:
    """Filters and groupings on the cubes' own columns, on one segment dimension (an attribute,
    a ticket's agent; with its "(none)" segment and `!=`), and on two (the records)."""
    if "tickets" in _sources(key):
        return (
            "",
            "by channel",
            "channel=email",
            "team!=care by team",
            "plan=pro",
            "by agent",
            "channel=chat plan!=pro by plan",
            "agent=agent2 plan=free",
        )
    return (
        "",
        "survey=nps",
        "by plan",
        "plan=Pro",
        "region!=emea by region",
        "channel=chat plan=free",
    )


def _figure(figure: Figure) -> list[Any]:
    ci = None if figure.ci is None else (figure.ci.low, figure.ci.high)
    parts = sorted(figure.parts.items())
    return [figure.value, figure.n, figure.reason, parts, ci]


def flat(result: KpiResult) -> list[Any]:
    """Everything an answer says, as nested lists of plain values."""
    groups = [
        [g.key, _figure(g.figure), None if g.previous is None else _figure(g.previous)]
        for g in result.groups
    ]
    return [
        _figure(result.current),
        _figure(result.previous),
        result.delta,
        result.significant,
        groups,
    ]


def same(a: Any, b: Any) -> bool:
    """Equal, floats within float-summation error (sums are taken in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


Row = tuple[str, str, str, str]  # KPI, period, variant, zone


def matrix() -> list[Row]:
    """Every KPI × period × variant × zone (about a thousand questions)."""
    return [
        (key, period, variant, zone)
        for key in KEYS
        for period in PERIODS
        for variant in _variants(key)
        for zone in ZONES
    ]


def _pairs(row: Row) -> set[tuple[int, str, int, str]]:
    return {(i, row[i], j, row[j]) for i in range(4) for j in range(i + 1, 4)}


def pairwise(rows: list[Row]) -> list[Row]:
    """Rows of the matrix such that every pair of values of two factors that the full matrix
    asks together is asked at least once (a greedy covering: about a tenth of the rows)."""
    uncovered = set().union(*(_pairs(row) for row in rows))
    chosen: list[Row] = []
    while uncovered:
        best = max(rows, key=lambda row: len(_pairs(row) & uncovered))
        chosen.append(best)
        uncovered -= _pairs(best)
    return chosen


#: The questions the equivalence tests ask: the pairwise sample, or (slow, in CI) all of them.
SIZES = [
    pytest.param(False, id="pairwise"),
    pytest.param(True, id="full-matrix", marks=pytest.mark.slow),
]


def questions(full: bool) -> Iterator[tuple[str, str]]:
    rows = matrix()
    for key, period, variant, zone in rows if full else pairwise(rows):
        yield f"{key} {period} {variant}".strip(), zone


def answers(deps: Deps, full: bool) -> dict[tuple[str, str], list[Any]]:
    return {
        (text, zone): flat(answer_text(deps=deps, text=text, tz=zone))
        for text, zone in questions(full)
    }


def test_the_pairwise_sample_covers_every_pair_of_the_matrix() -> None:
    rows = matrix()
    sample = pairwise(rows)
    assert set().union(*(_pairs(r) for r in sample)) == set().union(*(_pairs(r) for r in rows))
    assert len(sample) < len(rows) / 4


def marks(deps: Deps, dimension: str = "", cube: str | None = None) -> int:
    """How many days of the cubes' own cells (or of one segment dimension's) are marked, in
    every cube or one."""
    with session_scope(deps.sessions) as session:
        stmt = select(func.count()).where(ROLLUP_DAYS.c.dimension == dimension)
        if cube is not None:
            stmt = stmt.where(ROLLUP_DAYS.c.cube == cube)
        return int(session.execute(stmt).scalar_one())


RESPONSES_CUBE = "responses.submitted_at"


def test_split_cuts_windows_at_whole_rolled_up_days() -> None:
    start = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # midnight in Paris
    end = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)
    marked = {day_start(start) + DAY * i for i in (1, 2, 4, 9)}
    cut = split(start, end, marked)
    assert cut.runs == [
        (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC)),
        (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)),
    ]
    assert cut.raw == [
        (start, datetime(2026, 3, 2, tzinfo=UTC)),
        (datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)),
        (datetime(2026, 3, 6, tzinfo=UTC), end),
    ]
    assert split(start, start + timedelta(hours=20), marked).runs == []


@pytest.mark.parametrize("full", SIZES)
def test_every_kpi_is_the_same_from_rollups(deps: Deps, full: bool) -> None:
    seed(deps)
    assert {"nps", "csat", "ces", "frt", "aht", "fcr", "backlog", "tickets"} <= set(KEYS)
    from_records = answers(deps, full)
    built = refresh(deps.sessions, now=NOW)
    # from the first record's day (75 days ago) to yesterday: today is never built
    assert built.days["responses.submitted_at"] == SPAN_DAYS
    assert marks(deps) == sum(built.days.values())
    from_rollups = answers(deps, full)
    different = [q for q in from_records if not same(from_records[q], from_rollups[q])]
    assert not different, (
        different[:3],
        [(from_records[q], from_rollups[q]) for q in different[:1]],
    )
    # and the cells really are what was read: a cell changed behind kpibot's back shows
    before = answer_text(deps=deps, text="responses last-30d").current.value
    assert before is not None
    with session_scope(deps.sessions) as session:
        cells = CELLS["responses.submitted_at"]
        first = session.execute(
            select(cells.c.id).where(cells.c.day == day_start(NOW - 10 * DAY)).limit(1)
        ).scalar_one()
        session.execute(update(cells).where(cells.c.id == first).values(n=cells.c.n + 1000))
    assert answer_text(deps=deps, text="responses last-30d").current.value == before + 1000


def test_segments_follow_records_that_move_between_them(deps: Deps) -> None:
    seed(deps)
    refresh(deps.sessions, now=NOW)
    assert marks(deps, "plan", RESPONSES_CUBE) == SPAN_DAYS  # discovered: three values
    question = "nps last-30d by plan"
    before = {g.key: g.figure.n for g in answer_text(deps=deps, text=question).groups}
    rows = [
        {
            "external_id": f"r{i}",
            "source": "api",
            "survey": "nps",
            "score": 10,
            "scale_max": 10,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - timedelta(days=5, hours=i),
            "attributes": {"plan": "enterprise"},
        }
        for i in range(40)
    ]
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)  # r0…r39 re-sent: enterprise promoters now
    rolled = answer_text(deps=deps, text=question)
    assert marks(deps, "plan", RESPONSES_CUBE) < SPAN_DAYS  # their old and new days were forgotten
    refresh(deps.sessions, now=NOW)
    assert marks(deps, "plan", RESPONSES_CUBE) == SPAN_DAYS
    served = answer_text(deps=deps, text=question)
    forget(deps.sessions)
    records = answer_text(deps=deps, text=question)
    assert same(flat(rolled), flat(records))
    assert same(flat(served), flat(records))
    after = {g.key: g.figure.n for g in served.groups}
    assert after["enterprise"] > before["enterprise"]


def test_an_attribute_first_seen_after_the_build_gets_its_past_built(deps: Deps) -> None:
    seed(deps)
    refresh(deps.sessions, now=NOW)
    assert marks(deps, "tier", RESPONSES_CUBE) == 0
    late = [
        {
            "external_id": f"late{i}",
            "source": "api",
            "survey": "csat",
            "score": 1 + i % 5,
            "scale_max": 5,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - timedelta(days=1 + i % 60, hours=3),
            "attributes": {"tier": ("gold", "silver")[i % 2]},
        }
        for i in range(300)
    ]
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=late)
    questions = ("csat last-30d by tier", "csat last-month tier=gold", "csat-mean last-7d by tier")
    unbuilt = {q: flat(answer_text(deps=deps, text=q, tz="Europe/Paris")) for q in questions}
    built = refresh(deps.sessions, now=NOW)
    assert built.segments[("responses.submitted_at", "tier")] == SPAN_DAYS  # its whole past
    served = {q: flat(answer_text(deps=deps, text=q, tz="Europe/Paris")) for q in questions}
    forget(deps.sessions)
    records = {q: flat(answer_text(deps=deps, text=q, tz="Europe/Paris")) for q in questions}
    assert all(same(unbuilt[q], records[q]) for q in questions)
    assert all(same(served[q], records[q]) for q in questions)


def test_filters_ignore_case_beyond_ascii_from_records_and_cells(deps: Deps) -> None:
    """French segment names: `région=île-de-france` finds `Île-de-France` (SQLite's own
    case folding knows ASCII letters only), the same from the records and the cells."""
    spellings = ("Île-de-France", "ÎLE-DE-FRANCE", "Hauts-de-France", "Côte d'Azur")
    rows = [
        {
            "external_id": f"fr{i}",
            "source": "api",
            "survey": "nps",
            "score": i % 11,
            "scale_max": 10,
            "comment": None,
            "customer_id": None,
            "submitted_at": NOW - timedelta(days=1 + i % 20, hours=2),
            "attributes": {"region": spellings[i % 4]},
        }
        for i in range(200)
    ]
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
    questions = {
        "nps last-30d region=île-de-france": 100,  # both spellings of it
        "nps last-30d region=ÎLE-DE-FRANCE": 100,
        "nps last-30d region=Île-De-France": 100,
        "nps last-30d region=hauts-de-france": 50,
        'nps last-30d region="CÔTE D\'AZUR"': 50,
        "nps last-30d region!=île-de-france": 100,
    }
    for question, n in questions.items():
        assert answer_text(deps=deps, text=question).current.n == n, question
    records = {q: flat(answer_text(deps=deps, text=q, tz="Europe/Paris")) for q in questions}
    built = refresh(deps.sessions, now=NOW)
    assert built.segments[("responses.submitted_at", "region")] > 0
    served = {q: flat(answer_text(deps=deps, text=q, tz="Europe/Paris")) for q in questions}
    assert all(same(served[q], records[q]) for q in questions)


def test_declared_dimensions_are_the_only_ones_built(deps: Deps) -> None:
    seed(deps)
    built = refresh(deps.sessions, now=NOW, dimensions={"responses": ["region"], "tickets": []})
    assert set(built.segments) == {("responses.submitted_at", "region")}
    assert marks(deps, "plan", RESPONSES_CUBE) == 0
    assert marks(deps, "region", RESPONSES_CUBE) == SPAN_DAYS


def test_refresh_builds_each_ended_day_once(deps: Deps) -> None:
    seed(deps)
    first = refresh(deps.sessions, now=NOW)
    assert first.total > 0
    assert refresh(deps.sessions, now=NOW).total == 0
    with session_scope(deps.sessions) as session:
        newest = session.execute(select(func.max(ROLLUP_DAYS.c.day))).scalar_one()
    assert day_start(newest) == day_start(NOW) - DAY  # today is still being written
    assert refresh(deps.sessions, now=NOW + DAY).days == {
        "responses.submitted_at": 1,
        "tickets.created_at": 1,
        "tickets.resolved_at": 1,
    }


@pytest.mark.parametrize("full", SIZES)
def test_writes_forget_the_days_they_touch(deps: Deps, full: bool) -> None:
    seed(deps)
    refresh(deps.sessions, now=NOW)
    built = marks(deps)
    old_day = NOW - 20 * DAY
    new_day = NOW - 40 * DAY
    with session_scope(deps.sessions) as session:
        # r7 moves to another day with another score; t3 is re-sent resolved on another day
        upsert_responses(
            session=session,
            rows=[
                {
                    "external_id": "r7",
                    "source": "api",
                    "survey": "nps",
                    "score": 0,
                    "scale_max": 10,
                    "comment": "moved",
                    "customer_id": None,
                    "submitted_at": new_day,
                    "attributes": {},
                }
            ],
        )
        upsert_tickets(
            session=session,
            rows=[
                {
                    "external_id": "t3",
                    "source": "api",
                    "created_at": old_day,
                    "first_response_at": old_day + timedelta(hours=1),
                    "resolved_at": old_day + timedelta(days=2),
                    "handle_seconds": 600.0,
                    "contacts": 2,
                    "escalated": True,
                    "reopened": False,
                    "channel": "chat",
                    "team": "care",
                    "agent": "agent1",
                    "customer_id": None,
                    "attributes": {},
                }
            ],
        )
    forgotten = built - marks(deps)
    # r7's old and new days; t3's old and new created and resolved days (at most 2 + 4 + 2)
    assert 3 <= forgotten <= 8
    with_rollups = answers(deps, full)
    forget(deps.sessions)
    assert marks(deps) == 0
    from_records = answers(deps, full)
    different = [q for q in from_records if not same(from_records[q], with_rollups[q])]
    assert not different, different[:3]
    assert sum(refresh(deps.sessions, now=NOW).days.values()) == built


def _tied_tickets(deps: Deps) -> None:
    """3,000 resolved tickets whose handle times are rounded to 10 s: hundreds per bucket."""
    rng = random.Random(5)
    rows = []
    for i in range(3000):
        created = _instant(rng)
        rows.append(
            {
                "external_id": f"h{i}",
                "source": "api",
                "created_at": created,
                "first_response_at": created + timedelta(seconds=rng.lognormvariate(7, 0.3)),
                "resolved_at": created + timedelta(hours=rng.uniform(1, 30)),
                "handle_seconds": float(round(rng.lognormvariate(7, 0.4), -1)),
                "contacts": 1,
                "escalated": False,
                "reopened": False,
                "channel": "email",
                "team": "care",
                "agent": "agent1",
                "customer_id": None,
                "attributes": {},
            }
        )
    with session_scope(deps.sessions) as session:
        upsert_tickets(session=session, rows=rows)


@contextmanager
def statements(deps: Deps) -> Iterator[list[str]]:
    """The SQL text of every statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(deps.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(deps.engine, "before_cursor_execute", record)


DURATIONS = [f"{k} {p}" for k in ("frt", "aht", "resolution-time") for p in PERIODS]


def test_percentiles_from_rollups_are_exact_and_rank_only_a_bucket(deps: Deps) -> None:
    _tied_tickets(deps)
    zones = ("UTC", "Asia/Kathmandu")
    # No rollups yet: every value of the window is ranked (PostgreSQL's percentile_cont,
    # SQLite's row_number), which is the reference.
    from_records = {(t, z): answer_text(deps=deps, text=t, tz=z) for t in DURATIONS for z in zones}
    refresh(deps.sessions, now=NOW)
    with statements(deps) as seen:
        for (text, zone), expected in from_records.items():
            rolled = answer_text(deps=deps, text=text, tz=zone)
            # the same figures to the last bit
            assert rolled.current.parts == expected.current.parts, (text, zone)
            assert rolled.previous.parts == expected.previous.parts, (text, zone)
    # the histograms located the ranks; only a bucket's values were read, in index order
    assert not any("percentile_cont" in sql or "row_number" in sql for sql in seen)
    assert any("ORDER BY tickets.handle_seconds" in sql and "OFFSET" in sql for sql in seen)
    reference = from_records[("aht last-30d", "UTC")].current.parts
    assert reference["median"] is not None

    # Outside a snapshot session a write could land between the histogram and the ranks:
    # the records are ranked instead.
    question = parse_question("aht last-30d")
    period = parse_period(question.period, now=NOW, tz=ZoneInfo("UTC"))
    with session_scope(deps.sessions) as session, statements(deps) as seen:
        runner = StorageRunner(session)
        plain = compute(kpi=find_kpi("aht"), period=period, question=question, runner=runner)
    assert plain.current.parts == reference
    assert any("percentile_cont" in sql or "row_number" in sql for sql in seen)


#: Where each duration KPI reads its values: (column, time column).
DURATION_COLUMNS = {
    "frt": ("first_response_seconds", "created_at"),
    "aht": ("handle_seconds", "resolved_at"),
    "resolution-time": ("resolution_seconds", "resolved_at"),
}


def test_sqlite_percentiles_of_large_windows_within_one_percent(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without rollups (a filtered question, a first start), SQLite ranks at most 20,000
    values and reads larger windows' percentiles off log buckets: the order statistic at the
    quantile's rank, ⌊(n − 1)q⌋, within 1 %."""
    if deps.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL ranks every window exactly (percentile_cont)")
    _tied_tickets(deps)
    monkeypatch.setattr(storage.aggregate.percentiles, "EXACT_LIMIT", 50)
    tickets = Ticket.__table__.c  # type: ignore[attr-defined]
    approximated = 0
    for key, (column, time_column) in DURATION_COLUMNS.items():
        for text in (f"{key} {p}" for p in PERIODS):
            result = answer_text(deps=deps, text=text)
            period = parse_period(text.split()[1], now=NOW, tz=ZoneInfo("UTC"))
            for figure, window in (
                (result.current, period.current),
                (result.previous, period.previous),
            ):
                when = tickets[time_column]
                with session_scope(deps.sessions) as session:  # the reference, in Python
                    values = sorted(
                        float(v)
                        for (v,) in session.execute(
                            select(tickets[column]).where(
                                when >= window.start,
                                when < window.end,
                                tickets[column].is_not(None),
                            )
                        )
                    )
                for part, q in (("median", 0.5), ("p90", 0.9)):
                    got = figure.parts[part]
                    if not values:
                        assert got is None
                        continue
                    want = values[math.floor((len(values) - 1) * q)]
                    assert got is not None
                    assert abs(got - want) <= RELATIVE_ERROR * want, (text, part, got, want)
                    approximated += len(values) > 50 and got != want
    assert approximated > 0  # the buckets were read, not the records ranked


def test_refresh_waits_for_a_writer_in_flight(deps: Deps) -> None:
    seed(deps)
    refresh(deps.sessions, now=NOW)
    forget(deps.sessions)
    late = NOW - 5 * DAY
    writer = deps.sessions()
    upsert_responses(
        session=writer,
        rows=[
            {
                "external_id": "late",
                "source": "api",
                "survey": "nps",
                "score": 10,
                "scale_max": 10,
                "comment": None,
                "customer_id": None,
                "submitted_at": late,
                "attributes": {},
            }
        ],
    )
    done = threading.Event()

    def refresh_then_signal() -> None:
        refresh(deps.sessions, now=NOW)
        done.set()

    thread = threading.Thread(target=refresh_then_signal)
    thread.start()
    try:
        time.sleep(0.5)
        assert not done.is_set()  # the writer's transaction holds the refresh back
        writer.commit()
    finally:
        writer.close()
    thread.join(timeout=30)
    assert done.is_set()
    rolled = answer_text(deps=deps, text="nps 2026-03-28")
    forget(deps.sessions)
    assert rolled.current.n == answer_text(deps=deps, text="nps 2026-03-28").current.n
    with session_scope(deps.sessions) as session:
        cells = CELLS["responses.submitted_at"]
        assert session.execute(select(func.count()).select_from(cells)).scalar_one() == 0


def test_db_rollup_command(db_url: str) -> None:
    runner = CliRunner()
    empty = runner.invoke(cli, ["db", "rollup"], env={"DATABASE_URL": db_url})
    assert empty.exit_code == 0, empty.output
    assert "responses.submitted_at: 0 day(s) built" in empty.output
    stamp = datetime.now(UTC) - 3 * DAY
    from storage.db import make_engine, make_session_factory

    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as session:
        upsert_responses(
            session=session,
            rows=[
                {
                    "external_id": "x",
                    "source": "api",
                    "survey": "csat",
                    "score": 5,
                    "scale_max": 5,
                    "comment": None,
                    "customer_id": None,
                    "submitted_at": stamp,
                    "attributes": {},
                }
            ],
        )
    engine.dispose()
    built = runner.invoke(cli, ["db", "rollup"], env={"DATABASE_URL": db_url})
    assert "responses.submitted_at: 3 day(s) built" in built.output, built.output
    again = runner.invoke(cli, ["db", "rollup", "--rebuild"], env={"DATABASE_URL": db_url})
    assert "responses.submitted_at: 3 day(s) built" in again.output, again.output
