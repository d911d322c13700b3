"""Insights benchmark: `… why` over a year at 1M responses, and `themes` over 5,000 detractor
comments, each beside its baseline in the same run.

- why: the plain answer (`nps last-365d`, the baseline) against the same question with `why`
  (the answer plus one grouped scan per attribute: plan, channel, region), daily and segment
  rollups built, as served. Target: under 1 s.
- themes: reading the month's (and the previous month's) detractor comments in SQL (the
  baseline), against `/kpi themes` as answered (the same read, then TF-IDF and NMF). Target:
  under 2 s, scikit-learn already imported (its first import alone takes a few seconds on
  these machines; the first `themes` of a process is answered through `response_url`).

    python -m bench insights [--rows 1000000] [--comments 5000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import dataset
from bench.query import NOW, OUT, best, fill
from handlers.answers.service import answer_text, why
from handlers.deps import Deps
from handlers.insights.service import detractor_themes
from kpis.bands import detractors
from kpis.periods import parse_period
from kpis.question import parse_question
from settings import Settings
from storage.db import make_engine, make_session_factory, read_snapshot, session_scope
from storage.ingest import upsert_responses
from storage.insights.store import detractor_comments
from storage.migrate import upgrade
from storage.rollups.store import refresh
from tests.theme_fixtures import BILLING, NOISE, OUTAGE, WAITING

WHY_TARGET_MS = 1000
THEMES_TARGET_MS = 2000
WHY_QUESTIONS = ("nps last-365d", "csat last-365d", "frt last-365d", "fcr last-365d")


def _deps(url: str) -> Deps:
    engine = make_engine(url)
    return Deps(Settings(database_url=url), engine, make_session_factory(engine), lambda: NOW)


def run_why(label: str, url: str, repeat: int) -> None:
    """Time each question plain and with `why`, rollups built."""
    deps = _deps(url)
    started = time.perf_counter()
    refresh(deps.sessions, now=NOW)
    print(f"\n{label}\n  rollups brought up to date in {time.perf_counter() - started:.1f} s")
    print(f"  {'question':<24}{'plain':>9}{'why':>9}{'why/plain':>11}  attributes  target")
    for question in WHY_QUESTIONS:
        plain = best(partial(answer_text, deps=deps, text=question, now=NOW), repeat)
        asked = parse_question(f"{question} why")
        explained = why(deps=deps, question=asked, now=NOW)
        ours = best(partial(why, deps=deps, question=asked, now=NOW), repeat)
        met = "met" if ours * 1000 < WHY_TARGET_MS else "NOT MET"
        names = ",".join(a.attribute for a in explained.attributions)
        print(
            f"  {question:<24}{plain * 1000:>9.1f}{ours * 1000:>9.1f}{ours / plain:>10.2f}×"
            f"  {names:<10}  < {WHY_TARGET_MS} ms: {met}"
        )
    print("  (milliseconds, best of runs)")
    deps.engine.dispose()


def comments(count: int, seed: int) -> list[str]:
    """Detractor comments: three topics (EN and FR) in uneven shares, noise, some variety."""
    rng = random.Random(seed)
    extra = ("", " Very disappointed.", " Again!", " Merci de corriger.", " Please fix.")
    pools = (BILLING, WAITING, OUTAGE, NOISE)
    return [
        rng.choice(rng.choices(pools, (0.45, 0.3, 0.15, 0.1))[0]) + rng.choice(extra)
        for _ in range(count)
    ]


def fill_comments(url: str, count: int) -> None:
    """`count` NPS detractors with a comment over 30 days, as many over the 30 before."""
    deps = _deps(url)
    rng = random.Random(5)
    rows: list[dict[str, Any]] = []
    for period, texts in ((0, comments(count, 1)), (1, comments(count, 2))):
        for i, text in enumerate(texts):
            rows.append(
                {
                    "external_id": f"c{period}-{i}",
                    "source": "bench",
                    "survey": "nps",
                    "score": rng.randint(0, 6),
                    "scale_max": 10,
                    "comment": text,
                    "customer_id": None,
                    "submitted_at": NOW - timedelta(days=30 * period + rng.uniform(0.01, 29.9)),
                    "attributes": {"plan": rng.choice(("free", "pro"))},
                }
            )
    for start in range(0, len(rows), 5_000):
        with session_scope(deps.sessions) as session:
            upsert_responses(session=session, rows=rows[start : start + 5_000])
    deps.engine.dispose()


def run_themes(label: str, url: str, repeat: int) -> None:
    """Time reading the comments alone, then `themes` as answered."""
    deps = _deps(url)
    question = parse_question("nps last-30d")
    period = parse_period("last-30d", now=NOW, tz="UTC")

    def read() -> int:
        with read_snapshot(deps.sessions) as session:
            said = detractor_comments(
                session=session,
                windows=(period.current, period.previous),
                detractor=detractors(("nps",)),
            )
        return len(said)

    started = time.perf_counter()
    found = detractor_themes(deps=deps, question=question, now=NOW)
    first = time.perf_counter() - started
    baseline = best(read, repeat)
    ours = best(partial(detractor_themes, deps=deps, question=question, now=NOW), repeat)
    met = "met" if ours * 1000 < THEMES_TARGET_MS else "NOT MET"
    print(f"\n{label}")
    print(f"  read the comments (SQL only, baseline)  {baseline * 1000:>8.1f} ms")
    print(
        f"  themes (SQL + TF-IDF + NMF)             {ours * 1000:>8.1f} ms"
        f"  {ours / baseline:.1f}×  < {THEMES_TARGET_MS} ms: {met}"
    )
    print(f"  the process's first themes (scikit-learn imported): {first * 1000:.0f} ms")
    shown = "; ".join(f"{t.label} ({t.count}, before {t.previous})" for t in found.themes.themes)
    print(f"  {found.themes.total:,} comments → {shown}; {found.themes.unthemed} unthemed")
    deps.engine.dispose()


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench insights …`."""
    parser = argparse.ArgumentParser(prog="python -m bench insights", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses and tickets")
    parser.add_argument("--comments", type=int, default=5_000, help="detractor comments a month")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (it is emptied)")
    parser.add_argument("--database", type=Path, default=OUT / "query.db")
    parser.add_argument("--no-why", action="store_true")
    args = parser.parse_args(argv)
    rows = args.rows
    if not args.no_why:
        path = args.database if rows == 1_000_000 else OUT / f"insights-{rows}.db"
        url = dataset(path, rows, rows)
        run_why(f"why — SQLite: {rows:,} responses + {rows:,} tickets", url, args.repeat)
    themes_path = OUT / f"themes-{args.comments}.db"
    themes_path.unlink(missing_ok=True)
    themes_url = f"sqlite:///{themes_path.resolve()}"
    upgrade(themes_url)
    fill_comments(themes_url, args.comments)
    run_themes(f"themes — SQLite: {args.comments:,} detractor comments", themes_url, args.repeat)
    if args.postgres:
        upgrade(args.postgres)
        if not args.no_why:
            fill(args.postgres, rows, rows)
            label = f"why — PostgreSQL: {rows:,} responses + {rows:,} tickets"
            run_why(label, args.postgres, args.repeat)
        fill_comments(args.postgres, args.comments)
        label = f"themes — PostgreSQL: {args.comments:,} detractor comments (beside the rest)"
        run_themes(label, args.postgres, args.repeat)
    return 0
