"""`kpibot demo`: a fresh SQLite file with the seeded history, and a tour of what kpibot says.

The tour answers a few slash commands through the same handlers as Slack, and renders the
weekly digest of the last full week (its chart written beside the database).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from demo.load import load_demo
from demo.synthetic import default_end
from handlers.answers.commands import reply
from handlers.deps import Deps
from handlers.digests.build import DEFAULT_KPIS
from handlers.digests.deliver import compose
from handlers.digests.schedule import digest_period, last_fire, next_fire
from handlers.feature import Commands
from handlers.slack.terminal import render
from storage.db import make_engine, make_session_factory
from storage.digests.tables import Cadence, DigestSubscription
from storage.migrate import upgrade

#: What the tour asks.
QUESTIONS = (
    "/nps last-30d",
    "/kpi frt last-week by channel",
    "/kpi quel est le NPS des clients enterprise le mois dernier par canal ?",
)


@dataclass(frozen=True)
class Filled:
    """A demo database: its URL, and one line saying what it holds."""

    url: str
    summary: str


def fill(path: Path, *, seed: int, days: int) -> Filled:
    """Create a fresh SQLite file at `path` (replacing one) with the seeded history."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    upgrade(url)
    engine = make_engine(url)
    try:
        loaded = load_demo(
            sessions=make_session_factory(engine), seed=seed, end=default_end(), days=days
        )
    finally:
        engine.dispose()
    summary = (
        f"demo data in {path}: {loaded.responses:,} survey responses, {loaded.tickets:,} "
        f"tickets, {loaded.counters:,} counter readings over {days} days (seed {seed})"
    )
    return Filled(url, summary)


def tour(deps: Deps, commands: Commands, chart_path: Path) -> Iterator[str]:
    """What the demo shows, block by block: the questions' answers, then the weekly digest."""
    for question in QUESTIONS:
        command, _, text = question.partition(" ")
        message, shared = reply(deps, commands, command, text)
        yield f"\n$ {question}\n{render(message, shared=shared)}"
    yield from _digest(deps, chart_path)


def _digest(deps: Deps, chart_path: Path) -> Iterator[str]:
    """The weekly digest of the demo data as Slack would show it; its chart written to disk."""
    subscription = DigestSubscription(
        id=0,
        channel_id="C0DEMO",
        cadence=Cadence.WEEKLY,
        cron="0 9 * * mon",
        timezone=deps.settings.timezone,
        kpis=list(DEFAULT_KPIS),
    )
    now = deps.clock()
    cron, tz = subscription.cron, subscription.timezone
    fire = next_fire(cron, tz, now) or now
    period = digest_period(Cadence.WEEKLY, cron, tz, fire)
    if period.current.end > now:  # the week is not over: show the digest already due
        fire = last_fire(cron, tz, now) or now
        period = digest_period(Cadence.WEEKLY, cron, tz, fire)
    _, message, png = compose(deps, subscription, period)
    yield f"\n$ the weekly digest of {fire:%a %d %b %Y} (/kpi digest add #channel)"
    yield render(message, shared=True)
    if png is not None:
        chart_path.write_bytes(png)
        yield f"  (its trend chart, posted in the thread: {chart_path})"
