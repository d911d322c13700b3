"""Which path each catalogue KPI's SQL takes: the rollup cells, the daily histograms, or the
records. A KPI that silently falls back to scanning the records (or a new KPI nobody placed in
this table) fails here. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from handlers.answers.service import resolve_kpi
from kpis.catalogue import CATALOGUE
from kpis.engine import compute
from kpis.periods import parse_period
from kpis.question import Question
from query.plan import LevelResult, Levels, Scan, ScanResult
from storage.aggregate import execute, run_levels
from storage.db import SessionFactory, read_snapshot, session_scope
from storage.ingest import upsert_counters, upsert_responses, upsert_tickets
from storage.rollups.store import refresh

NOW = datetime(2026, 6, 1, tzinfo=UTC)

#: Per KPI, each scan's source and the path it takes: `cells` / `records` for the counts and
#: sums, `+histogram` / `+records` for the exact percentiles; `levels` for a level read.
EXPECTED: dict[str, tuple[str, ...]] = {
    "nps": ("responses:cells",),
    "enps": ("responses:cells",),
    "csat": ("responses:cells",),
    "csat-mean": ("responses:cells",),
    "ces": ("responses:cells",),
    "ces-net": ("responses:cells",),
    "responses": ("responses:cells",),
    "response-rate": ("counters:records", "responses:cells"),
    "tickets": ("tickets:cells",),
    "frt": ("tickets:cells", "tickets:+histogram"),
    "aht": ("tickets:cells", "tickets:+histogram"),
    "resolution-time": ("tickets:cells", "tickets:+histogram"),
    "fcr": ("tickets:cells",),
    "reopen-rate": ("tickets:cells",),
    "escalation-rate": ("tickets:cells",),
    "backlog": ("tickets:cells",) * 4,
    "contacts-per-ticket": ("tickets:cells",),
    "loop-closure-rate": ("alerts:records",),
    "time-to-close": ("alerts:records", "alerts:+records"),
    "argued-contact-rate": ("counters:records",),
    "self-service-rate": ("counters:records",),
    "human-escalation-rate": ("counters:records",),
    "ctr": ("counters:records",),
    "cpm": ("counters:records",),
    "cpc": ("counters:records",),
    "cost-per-conversion": ("counters:records",),
    "conversion-rate": ("counters:records",),
    "transformation-rate": ("counters:records",),
    "frequency": ("counters:records",),
    "bounce-rate": ("counters:records",),
    "pages-per-visit": ("counters:records",),
    "time-on-page": ("counters:records",),
    "time-on-site": ("counters:records",),
    "engagement-rate": ("counters:records", "levels"),
    "aov": ("counters:records",),
    "revenue": ("counters:records",),
    "cart-abandonment": ("counters:records",),
    "churn-rate": ("counters:records", "levels"),
    "retention-rate": ("counters:records", "levels", "levels"),
    "loyalty-rate": ("counters:records",),
    "clv": ("counters:records", "levels"),
    "referral-rate": ("counters:records",),
    "adoption-rate": ("counters:records", "levels"),
    "feature-usage-rate": ("counters:records", "levels"),
    "expansion-revenue": ("counters:records",),
    "ttfv": ("counters:records",),
    "customer-roi": ("counters:records",),
    "turnover-rate": ("counters:records", "levels"),
    "absenteeism-rate": ("counters:records",),
    "training-rate": ("counters:records", "levels"),
}


@dataclass
class Recording:
    """A runner on the real storage that notes the path each scan took."""

    session: object
    paths: list[str] = field(default_factory=list)

    def scan(self, scan: Scan) -> ScanResult:
        done = execute(session=self.session, scan=scan)  # type: ignore[arg-type]
        if done.measures is not None:
            self.paths.append(f"{scan.source}:{done.measures}")
        for path in sorted({path for _, _, path in done.percentiles}):
            self.paths.append(f"{scan.source}:+{path}")
        return done.numbers

    def levels(self, levels: Levels) -> LevelResult:
        self.paths.append("levels")
        return run_levels(session=self.session, levels=levels)  # type: ignore[arg-type]


def _seed(sessions: SessionFactory) -> None:
    responses, tickets = [], []
    for day in range(70):
        at = NOW - timedelta(days=day, hours=5)
        for i, survey in enumerate(("nps", "enps", "csat", "ces")):
            responses.append(
                {
                    "external_id": f"r{day}-{i}",
                    "source": "api",
                    "survey": survey,
                    "score": 1 + (day + i) % 5,
                    "scale_max": {"nps": 10, "enps": 10, "csat": 5, "ces": 7}[survey],
                    "comment": None,
                    "customer_id": None,
                    "submitted_at": at,
                    "attributes": {"plan": ("pro", "free")[day % 2], "channel": "email"},
                }
            )
        tickets.append(
            {
                "external_id": f"t{day}",
                "source": "api",
                "created_at": at,
                "first_response_at": at + timedelta(minutes=5 + day),
                "resolved_at": at + timedelta(hours=2),
                "handle_seconds": 600.0 + day,
                "contacts": 1 + day % 2,
                "escalated": day % 3 == 0,
                "reopened": False,
                "channel": "email",
                "team": "care",
                "agent": "ana",
                "customer_id": None,
                "attributes": {},
            }
        )
    counters = [
        {"name": "visitors", "value": 10.0, "at": NOW - timedelta(days=3), "kind": "flow"},
        {"name": "customers", "value": 100.0, "at": NOW - timedelta(days=80), "kind": "level"},
    ]
    with session_scope(sessions) as session:
        upsert_responses(session=session, rows=responses)
        upsert_tickets(session=session, rows=tickets)
        upsert_counters(
            session=session,
            rows=[{"source": "api", "attributes": {}, **c} for c in counters],
        )
    refresh(sessions, now=NOW, dimensions={"responses": ["plan"], "tickets": ["agent"]})


def test_every_catalogue_kpi_takes_its_stated_path(session_factory: SessionFactory) -> None:
    assert sorted(EXPECTED) == sorted(k.key for k in CATALOGUE), "place every KPI in EXPECTED"
    _seed(session_factory)
    period = parse_period("last-30d", now=NOW, tz="UTC")
    taken: dict[str, tuple[str, ...]] = {}
    for kpi in CATALOGUE:
        with read_snapshot(session_factory) as session:
            runner = Recording(session)
            compute(
                kpi=resolve_kpi(session, kpi.key),
                period=period,
                question=Question(kpi.key),
                runner=runner,
            )
        taken[kpi.key] = tuple(sorted(runner.paths))
    assert taken == {key: tuple(sorted(paths)) for key, paths in EXPECTED.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one segment dimension that is rolled up: its segment cells and histograms
        ("nps plan=pro", ("responses:cells",)),
        ("nps last-30d by plan", ("responses:cells",)),
        # grouped: the whole's percentiles (the cube's histograms) and the groups' (segments')
        ("frt by agent", ("tickets:+histogram", "tickets:+histogram", "tickets:cells")),
        ("frt agent=ana", ("tickets:+histogram", "tickets:cells")),
        # a segment dimension with a cube dimension the segment cells leave out: the records
        ("fcr channel=email agent=ana", ("tickets:records",)),
        # a cube dimension alone: its cells; the cube's histograms keep no dimension
        ("frt channel=email", ("tickets:+records", "tickets:cells")),
        # an attribute nobody rolled up, or two of them: the records
        ("nps channel=email", ("responses:records",)),
        ("nps plan=pro channel=email", ("responses:records",)),
        ("nps customer_id=c1", ("responses:records",)),
    ],
)
def test_segment_questions_take_the_segment_cells_or_the_records(
    session_factory: SessionFactory, text: str, expected: tuple[str, ...]
) -> None:
    from kpis.question import parse_question

    _seed(session_factory)
    question = parse_question(text)
    with read_snapshot(session_factory) as session:
        runner = Recording(session)
        compute(
            kpi=resolve_kpi(session, question.kpi),
            period=parse_period("last-30d", now=NOW, tz="UTC"),
            question=question,
            runner=runner,
        )
    assert tuple(sorted(runner.paths)) == expected
