"""The seeded demo history: deterministic, valid for the ingest, realistic; and `kpibot demo`."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot import cli
from demo.load import load_demo
from demo.synthetic import counters, incidents, responses, tickets
from storage.db import SessionFactory, session_scope
from storage.ingest import count_rows
from storage.models import COUNTERS, RESPONSES, TICKETS
from storage.schemas import validate_row

END = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_same_seed_same_history() -> None:
    assert list(responses(seed=3, end=END, days=20)) == list(responses(seed=3, end=END, days=20))
    assert list(tickets(seed=3, end=END, days=5)) == list(tickets(seed=3, end=END, days=5))
    assert list(responses(seed=3, end=END, days=5)) != list(responses(seed=4, end=END, days=5))


def test_every_row_passes_the_ingest_validation() -> None:
    for row in responses(seed=1, end=END, days=30):
        validate_row("responses", {k: v for k, v in row.items() if k != "source"}, source="api")
    for row in tickets(seed=1, end=END, days=10):
        validate_row("tickets", {k: v for k, v in row.items() if k != "source"}, source="api")
    for row in counters(seed=1, end=END, days=30):
        validate_row("metrics", {k: v for k, v in row.items() if k != "source"}, source="api")


def test_the_history_looks_like_a_real_one() -> None:
    rows = list(responses(seed=5, end=END, days=365))
    weekday = sum(1 for r in rows if r["submitted_at"].weekday() < 5) / 5
    weekend = sum(1 for r in rows if r["submitted_at"].weekday() >= 5) / 2
    assert weekday > 2 * weekend
    outage = incidents(365)[0]
    start = min(r["submitted_at"] for r in rows)

    def nps(subset: list[int]) -> float:
        return 100 * (sum(s >= 9 for s in subset) - sum(s <= 6 for s in subset)) / len(subset)

    def day(r: dict[str, Any]) -> int:
        return int((r["submitted_at"] - start).days)

    during = [
        r["score"]
        for r in rows
        if r["survey"] == "nps" and outage.start <= day(r) < outage.start + outage.days
    ]
    usual = [r["score"] for r in rows if r["survey"] == "nps" and day(r) < outage.start - 7]
    assert nps(during) < nps(usual) - 20
    assert any(r["comment"] for r in rows if r["score"] <= 3)
    support = list(tickets(seed=5, end=END, days=60))
    delays = {
        c: statistics.median(
            (t["first_response_at"] - t["created_at"]).total_seconds()
            for t in support
            if t["channel"] == c and t["first_response_at"]
        )
        for c in ("chat", "email")
    }
    assert delays["chat"] * 10 < delays["email"]
    levels = [c for c in counters(seed=5, end=END, days=10) if c["kind"] == "level"]
    flows = {(c["name"], c["at"]): c["value"] for c in counters(seed=5, end=END, days=10)}
    for before, after in itertools.pairwise(levels):
        change = flows[("new_customers", before["at"])] - flows[("customers_lost", before["at"])]
        assert after["value"] == before["value"] + change


def test_load_through_the_upserts(session_factory: SessionFactory) -> None:
    loaded = load_demo(sessions=session_factory, seed=2, end=END, days=10, scale=0.2)
    again = load_demo(sessions=session_factory, seed=2, end=END, days=10, scale=0.2)
    assert again.responses == again.tickets == again.counters == 0  # re-loading updates
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=RESPONSES) == loaded.responses > 100
        assert count_rows(session=session, table=TICKETS) == loaded.tickets > 200
        assert count_rows(session=session, table=COUNTERS) == loaded.counters == 10 * 18


def test_kpibot_demo_shows_real_answers(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--database", str(path), "--days", "21"])
    assert result.exit_code == 0, result.output
    assert "$ /nps last-30d" in result.output
    assert "NPS · last-30d" in result.output
    assert "First response time · last-week · by channel" in result.output
    assert "email" in result.output
    assert "📊 Weekly digest" in result.output
    assert "Detractors' comments" in result.output
    chart = tmp_path / "demo-digest.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
    refused = CliRunner().invoke(cli, ["demo", "--database", str(path), "--days", "7"])
    assert refused.exit_code == 2
    asked = CliRunner().invoke(
        cli, ["ask", "/kpi fcr last-week"], env={"DATABASE_URL": f"sqlite:///{path}"}
    )
    assert "First contact resolution · last-week" in asked.output
