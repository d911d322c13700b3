"""Chart benchmark: a year by weeks (and other charts) at 1M responses + 1M tickets.

For each chart question, side by side in one run on the same database:
- kpibot: `answer_series()` (one grouped statement per formula scan for every step of the
  period and of the previous one: 54 weeks and the 54 weeks before) and the PNG drawn from it
  (`chart_png`); timed on the records alone (rollups dropped) and with the daily rollups built;
- baseline: one `answer()` per step (its window and the same step of the previous period),
  which is how a chart is drawn from the answering engine without grouped scans (the digest's
  trend does this for its twelve periods).
Each is timed as the best of `--repeat` runs. Target: every chart (series and PNG) under 2 s.

    python -m bench charts [--responses 1000000] [--tickets 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

from bench.query import NOW, OUT, best, fill
from handlers.answers.chart import chart_png
from handlers.answers.service import answer, answer_series
from handlers.deps import Deps
from kpis.periods import Period, parse_period
from kpis.question import parse_question
from kpis.series import earlier
from settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.rollups.store import forget, refresh

QUESTIONS = (
    "nps last-365d chart=week",
    "csat last-365d chart=week",
    "frt last-365d chart=week",
    "fcr last-365d chart=week",
    "nps last-90d by channel chart",
)
TIMEZONE = "Europe/Paris"
TARGET = 2.0


def per_step(deps: Deps, text: str) -> int:
    """The baseline: one engine answer per step (the step and the previous period's step)."""
    question = parse_question(text)
    period = parse_period(question.period, now=NOW, tz=TIMEZONE)
    series = answer_series(deps=deps, question=question, period=period)
    before = earlier(series.steps, period)
    for window, then in zip(series.steps, before, strict=True):
        step = Period("step", "step", window, then or window, TIMEZONE)
        answer(deps=deps, question=question, period=step)
    return len(series.steps)


def chart(deps: Deps, text: str) -> bytes:
    """kpibot: the series in grouped scans, then the PNG."""
    question = parse_question(text)
    period = parse_period(question.period, now=NOW, tz=TIMEZONE)
    return chart_png(answer_series(deps=deps, question=question, period=period))


def series_only(deps: Deps, text: str) -> int:
    """kpibot's series alone: how many steps it has."""
    question = parse_question(text)
    period = parse_period(question.period, now=NOW, tz=TIMEZONE)
    return len(answer_series(deps=deps, question=question, period=period).steps)


def run(label: str, url: str, repeat: int, served_only: bool = False) -> bool:
    """Time every chart three ways on one database and print the table; whether all met 2 s
    (`served_only`: keep the rollups already built and skip the records-only timing)."""
    engine = make_engine(url)
    settings = Settings(database_url=url, timezone=TIMEZONE)
    deps = Deps(settings, engine, make_session_factory(engine), lambda: NOW)
    records: dict[str, float] = {}
    if not served_only:
        forget(deps.sessions)
        records = {q: best(partial(chart, deps, q), repeat) for q in QUESTIONS}
    started = time.perf_counter()
    refresh(deps.sessions, now=NOW)
    print(f"\n{label}")
    print(f"  daily rollups built in {time.perf_counter() - started:.1f} s")
    print(
        f"  {'chart':<32}{'steps':>6}{'records':>9}{'rollups':>9}{'series':>8}{'PNG':>7}"
        f"{'per step':>10}{'per step/kpibot':>17}"
    )
    ok = True
    for text in QUESTIONS:
        served = best(partial(chart, deps, text), repeat)
        series = best(partial(series_only, deps, text), repeat)
        steps = series_only(deps, text)
        baseline = best(partial(per_step, deps, text), 1)
        plain = records.get(text, float("nan"))
        ok = ok and served < TARGET
        print(
            f"  {text:<32}{steps:>6}{plain * 1000:>9.0f}{served * 1000:>9.0f}"
            f"{series * 1000:>8.0f}{(served - series) * 1000:>7.0f}{baseline * 1000:>10.0f}"
            f"{baseline / served:>16.1f}×"
        )
    print(
        "  (milliseconds, best of runs; records/rollups: the whole chart, series + PNG, without "
        "and with the daily rollups; series, PNG: its parts with rollups; per step: one answer "
        f"per step, with rollups) — target: every chart as served under {TARGET:.0f} s: "
        f"{'met' if ok else 'MISSED'}"
    )
    engine.dispose()
    return ok


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench charts …`."""
    parser = argparse.ArgumentParser(prog="python -m bench charts", description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (it is emptied)")
    parser.add_argument(
        "--served-only",
        action="store_true",
        help="keep the rollups already built (a second run) and time only the served charts",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=OUT / "query.db",
        help="SQLite file (the query benchmark's dataset, reused when it holds the data)",
    )
    args = parser.parse_args(argv)
    from bench.common import dataset

    url = dataset(args.database, args.responses, args.tickets)
    label = f"SQLite: {args.responses:,} responses + {args.tickets:,} tickets"
    ok = run(label, url, args.repeat, args.served_only)
    if args.postgres:
        upgrade(args.postgres)
        fill(args.postgres, args.responses, args.tickets)
        on_postgres = run(
            f"PostgreSQL: {args.responses:,} responses + {args.tickets:,} tickets",
            args.postgres,
            args.repeat,
        )
        ok = ok and on_postgres
    return 0 if ok else 1
