"""Segment benchmark: questions that filter or group on attributes, at 1M (or `--rows`) records.

Side by side in one run on the same database, for each question:
- kpibot: `answer()` as served (daily rollups and segment rollups built);
- end to end: the same question as a signed slash command to a `kpibot serve` child process
  (its Web API on the tests' fake Slack), with an explicit date range so the server's own clock
  asks for the same windows;
- hand-written SQL: one aggregate a DBA would write over a plain copy of the records where the
  attribute is a real, indexed column (both periods; median and p90 where the KPI has them).
Then the first build of the segment rollups, beside the daily rollups' own build.

    python -m bench segments [--rows 1000000] [--postgres URL] [--no-slack]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.common import dataset, kpibot_server
from bench.query import NOW, OUT, Db, best, fill
from handlers.answers.service import answer_text
from handlers.deps import Deps
from settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.rollups.store import forget, refresh
from tests.fakeslack import fake_slack
from tests.slack_requests import command_body, signed

SECRET = "bench-signing-secret"
ATTRIBUTES = {"responses": ("plan", "channel", "region"), "tickets": ("plan", "region")}

#: (question, days, KPI of the hand-written SQL, filters, grouping): one attribute, then two.
QUESTIONS: tuple[tuple[str, int, str, tuple[tuple[str, str], ...], str | None], ...] = (
    ("nps last-365d by plan", 365, "nps", (), "plan"),
    ("nps last-365d by region", 365, "nps", (), "region"),
    ("nps last-90d plan=enterprise", 90, "nps", (("plan", "enterprise"),), None),
    ("csat last-30d by channel", 30, "csat", (), "channel"),
    ("ces last-365d region=emea", 365, "ces", (("region", "emea"),), None),
    ("frt last-365d by plan", 365, "frt", (), "plan"),
    ("frt last-90d plan=enterprise", 90, "frt", (("plan", "enterprise"),), None),
    ("fcr last-365d by agent", 365, "fcr", (), "agent"),
    ("tickets last-365d by region", 365, "tickets", (), "region"),
    (
        "nps last-365d plan=pro channel=chat",
        365,
        "nps",
        (("plan", "pro"), ("channel", "chat")),
        None,
    ),
    (
        "nps last-90d plan=pro region=na channel=web",
        90,
        "nps",
        (("plan", "pro"), ("region", "na"), ("channel", "web")),
        None,
    ),
)
ONE_ATTRIBUTE_TARGET_MS = 300
TWO_ATTRIBUTES_TARGET_MS = 1000


def plain_copy(db: Db) -> None:
    """Plain tables with the attributes as real columns, each indexed with the time column."""
    get = (
        (lambda name: f"json_extract(attributes, '$.{name}')")
        if db.sqlite
        else (lambda name: f"attributes->>'{name}'")
    )
    for name in ("plain_responses", "plain_tickets"):
        db.execute(f"DROP TABLE IF EXISTS {name}")
    db.execute(
        "CREATE TABLE plain_responses AS SELECT submitted_at, survey, score, scale_max, "
        + ", ".join(f"{get(a)} AS {a}" for a in ATTRIBUTES["responses"])
        + " FROM survey_responses"
    )
    db.execute(
        "CREATE TABLE plain_tickets AS SELECT created_at, resolved_at, first_response_seconds, "
        "handle_seconds, resolution_seconds, contacts, reopened, escalated, channel, team, agent, "
        + ", ".join(f"{get(a)} AS {a}" for a in ATTRIBUTES["tickets"])
        + " FROM tickets"
    )
    for a in ATTRIBUTES["responses"]:
        db.execute(f"CREATE INDEX ix_plain_r_{a} ON plain_responses ({a}, submitted_at)")
    db.execute("CREATE INDEX ix_plain_r_time ON plain_responses (submitted_at, survey)")
    for a in (*ATTRIBUTES["tickets"], "agent"):
        for column in ("created_at", "resolved_at"):
            db.execute(f"CREATE INDEX ix_plain_t_{a}_{column[0]} ON plain_tickets ({a}, {column})")
    db.execute("ANALYZE")


def hand_sql(
    db: Db, kpi: str, days: int, filters: tuple[tuple[str, str], ...], by: str | None
) -> Any:
    """The hand-written aggregate over the plain copy: both periods, per group."""
    prev, start, end = NOW - timedelta(days=2 * days), NOW - timedelta(days=days), NOW
    where = " ".join(f"AND {name} = ?" for name, _ in filters)
    values = tuple(v for _, v in filters)
    group = f"{by}, " if by else ""
    if kpi in ("nps", "csat", "ces"):
        measure = {
            "nps": "SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END)",
            "csat": "SUM(CASE WHEN score >= scale_max - 1 THEN 1 ELSE 0 END), 0",
            "ces": "SUM(score), SUM(score * score)",
        }[kpi]
        return db.query(
            f"SELECT {group}CASE WHEN submitted_at < ? THEN 0 ELSE 1 END AS w, count(*), {measure} "
            f"FROM plain_responses WHERE survey = ? AND submitted_at >= ? AND submitted_at < ? "
            f"{where} GROUP BY {group}w",
            (start, kpi, prev, end, *values),
        )
    column = "created_at" if kpi in ("frt", "tickets") else "resolved_at"
    if kpi == "frt":
        rows = db.query(
            f"SELECT {group}CASE WHEN created_at < ? THEN 0 ELSE 1 END AS w, "
            "count(first_response_seconds), sum(first_response_seconds), "
            "sum(first_response_seconds * first_response_seconds) FROM plain_tickets "
            f"WHERE created_at >= ? AND created_at < ? {where} GROUP BY {group}w",
            (start, prev, end, *values),
        )
        groups = sorted({r[0] for r in rows}) if by else [None]
        spread = []
        for g in groups:
            for lo, hi in ((start, end), (prev, start)):
                cond = "created_at >= ? AND created_at < ? AND first_response_seconds IS NOT NULL"
                cond += f" {where}"
                params = (lo, hi, *values)
                if by:
                    cond += f" AND {by} = ?"
                    params = (*params, g)
                spread.append(
                    db.percentiles("first_response_seconds", cond, params, "plain_tickets")
                )
        return rows, spread
    hit = {"fcr": "contacts = 1 AND NOT reopened", "tickets": "TRUE"}[kpi]
    if db.sqlite:
        hit = hit.replace("NOT reopened", "reopened = 0").replace("TRUE", "1")
    return db.query(
        f"SELECT {group}CASE WHEN {column} < ? THEN 0 ELSE 1 END AS w, count(*), "
        f"SUM(CASE WHEN {hit} THEN 1 ELSE 0 END) FROM plain_tickets "
        f"WHERE {column} >= ? AND {column} < ? {where} GROUP BY {group}w",
        (start, prev, end, *values),
    )


def explicit(question: str, days: int) -> str:
    """The question with its rolling period written as the same dates (for the server's clock).

    `last-Nd` at NOW (09:00 UTC) starts and ends mid-day; the explicit range covers the N whole
    days before NOW's day, which reads the same amount of data.
    """
    last = (NOW - timedelta(days=1)).date()
    first = last - timedelta(days=days - 1)
    return question.replace(f"last-{days}d", f"{first.isoformat()}..{last.isoformat()}")


def run(label: str, url: str, repeat: int, slack: bool, reuse: bool = False) -> None:
    """Build the rollups, then time every question three ways on one database (`reuse`: keep
    the plain copy and the rollups a first run built, and only bring them up to date)."""
    engine = make_engine(url)
    deps = Deps(Settings(database_url=url), engine, make_session_factory(engine), lambda: NOW)
    db = Db(url)
    started = time.perf_counter()
    if not reuse:
        plain_copy(db)
    copied = time.perf_counter() - started
    if not reuse:
        forget(deps.sessions)
    started = time.perf_counter()
    base = refresh(deps.sessions, now=NOW, dimensions={"responses": [], "tickets": []})
    base_seconds = time.perf_counter() - started
    started = time.perf_counter()
    segments = refresh(deps.sessions, now=NOW)
    segment_seconds = time.perf_counter() - started
    print(f"\n{label}")
    if reuse:
        print(
            "  reused the plain copy and the rollups of a first run: "
            f"{base.total + segments.total:,} cube-days brought up to date in "
            f"{base_seconds + segment_seconds:.1f} s"
        )
    else:
        print(
            f"  plain copy with indexed attribute columns (the hand-written SQL's): {copied:.0f} s"
        )
        print(f"  daily rollups: {base.total:,} cube-days in {base_seconds:.1f} s")
        dims = sorted({d for _, d in segments.segments})
        print(
            f"  segment rollups ({', '.join(dims)}): {segments.total:,} cube-dimension-days in "
            f"{segment_seconds:.1f} s (first build; then each day as it ends)"
        )
    e2e: dict[str, float] = {}
    if slack:
        e2e = end_to_end(url, [(q, d) for q, d, *_ in QUESTIONS], repeat)
    print(f"  {'question':<46}{'kpibot':>9}{'slash':>9}{'SQL':>9}{'kpibot/SQL':>12}  target")
    for question, days, kpi, filters, by in QUESTIONS:
        ours = best(partial(answer_text, deps=deps, text=question, now=NOW), repeat)
        sql = best(partial(hand_sql, db, kpi, days, filters, by), repeat)
        target = (
            ONE_ATTRIBUTE_TARGET_MS if len(filters) + bool(by) == 1 else TWO_ATTRIBUTES_TARGET_MS
        )
        slash = e2e.get(question)
        slash_text = f"{slash * 1000:>9.1f}" if slash is not None else f"{'—':>9}"
        met = "met" if max(ours, slash or 0) * 1000 < target else "NOT MET"
        print(
            f"  {question:<46}{ours * 1000:>9.1f}{slash_text}{sql * 1000:>9.1f}"
            f"{ours / sql:>11.2f}×  < {target} ms: {met}"
        )
    print("  (milliseconds, best of runs; slash: the signed slash command through the server)")
    engine.dispose()


def end_to_end(url: str, questions: list[tuple[str, int]], repeat: int) -> dict[str, float]:
    """The best round trip of each question as a signed slash command to `kpibot serve`."""
    out: dict[str, float] = {}
    with fake_slack() as slack:
        slack.member("U0LEAD")
        env = {
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url(),
            "KPIBOT_DIMENSIONS": "auto",
        }
        with kpibot_server(env) as base, httpx.Client(timeout=30) as client:
            for question, days in questions:
                text = explicit(question, days)
                command, _, words = f"/kpi {text}".partition(" ")
                times = []
                for i in range(repeat + 1):
                    body = command_body(command, words, trigger_id=f"bench.{i}")
                    started = time.perf_counter()
                    reply = client.post(
                        f"{base}/slack/events", content=body, headers=signed(SECRET, body)
                    )
                    elapsed = time.perf_counter() - started
                    reply.raise_for_status()
                    if i:  # the first one warms the caches (users.info)
                        times.append(elapsed)
                out[question] = min(times)
    return out


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench segments …`."""
    parser = argparse.ArgumentParser(prog="python -m bench segments", description=__doc__)
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="responses, and as many tickets"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (it is emptied)")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (e.g. at 10M)")
    parser.add_argument("--no-slack", action="store_true", help="skip the end-to-end column")
    parser.add_argument("--database", type=Path, default=OUT / "query.db")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep the data, plain copy and rollups of a first run (a second run)",
    )
    args = parser.parse_args(argv)
    rows = args.rows
    if not args.no_sqlite:
        path = args.database if rows == 1_000_000 else OUT / f"segments-{rows}.db"
        url = dataset(path, rows, rows)
        run(f"SQLite: {rows:,} responses + {rows:,} tickets", url, args.repeat, not args.no_slack)
    if args.postgres:
        upgrade(args.postgres)
        if not args.reuse:
            fill(args.postgres, rows, rows)
        run(
            f"PostgreSQL: {rows:,} responses + {rows:,} tickets",
            args.postgres,
            args.repeat,
            not args.no_slack,
            args.reuse,
        )
    return 0
