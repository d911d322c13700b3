"""Query benchmark: each KPI over last-30d and last-365d at 1M responses + 1M tickets.

For every KPI and period, side by side in one run on the same database:
- kpibot: `answer()` (parse, SQL aggregates for the period and the previous one, statistics),
  twice: on the records alone (rollups dropped) and with the daily rollups built, as served;
- hand-written SQL: one aggregate a DBA would write for the same figures (both periods, and the
  median/p90 where the KPI has them);
- naive: what a user's script does today: load the table's rows (the columns it needs, as an
  export would give them), then filter the periods and compute in Python.
Each is timed as the best of `--repeat` runs; the table prints the ratios.

    python -m bench query [--responses 1000000] [--tickets 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from handlers.answers.service import answer_text
from handlers.deps import Deps
from settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.rollups.store import forget, refresh

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SPAN_DAYS = 400
OUT = Path(__file__).with_name("out")


def _stamp(dt: datetime, sqlite_style: bool) -> Any:
    return dt.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite_style else dt


def _responses(count: int, rng: random.Random, sqlite_style: bool) -> Iterator[tuple[Any, ...]]:
    start = NOW - timedelta(days=SPAN_DAYS)
    span = SPAN_DAYS * 86400
    for i in range(count):
        survey = ("nps", "nps", "csat", "ces")[i % 4]
        top = {"nps": 10, "csat": 5, "ces": 7}[survey]
        score = rng.randint(0 if survey == "nps" else 1, top)
        at = start + timedelta(seconds=rng.randrange(span))
        yield (
            f"r{i}",
            "bench",
            survey,
            score,
            top,
            None,
            None,
            _stamp(at, sqlite_style),
            f'{{"plan": "{rng.choice(PLANS)}", "channel": "{rng.choice(CHANNELS)}", '
            f'"region": "{rng.choice(REGIONS)}"}}',
            _stamp(NOW, sqlite_style),
            _stamp(NOW, sqlite_style),
        )


def _tickets(count: int, rng: random.Random, sqlite_style: bool) -> Iterator[tuple[Any, ...]]:
    start = NOW - timedelta(days=SPAN_DAYS)
    span = SPAN_DAYS * 86400
    for i in range(count):
        created = start + timedelta(seconds=rng.randrange(span))
        first = created + timedelta(seconds=int(rng.lognormvariate(7.5, 1.0)))
        resolved = created + timedelta(seconds=int(rng.lognormvariate(10, 1.0)))
        is_open = resolved > NOW or rng.random() < 0.02
        yield (
            f"t{i}",
            "bench",
            _stamp(created, sqlite_style),
            _stamp(first, sqlite_style),
            None if is_open else _stamp(resolved, sqlite_style),
            (first - created).total_seconds(),
            None if is_open else (resolved - created).total_seconds(),
            float(rng.randint(60, 3600)),
            1 if rng.random() < 0.75 else 2,
            rng.random() < 0.1,
            rng.random() < 0.05,
            rng.choice(CHANNELS),
            rng.choice(("care", "billing")),
            f"agent{rng.randint(1, 40)}",
            None,
            f'{{"plan": "{rng.choice(PLANS)}", "region": "{rng.choice(REGIONS)}"}}',
            _stamp(NOW, sqlite_style),
            _stamp(NOW, sqlite_style),
        )


PLANS = ("free", "pro", "enterprise")
CHANNELS = ("email", "chat", "phone", "web")
REGIONS = ("emea", "na", "apac")


def fill(url: str, responses: int, tickets: int, seed: int = 11) -> None:
    """Fill the database with seeded responses and tickets spread over 400 days (streamed, so
    ten million of each fit in memory)."""
    sqlite_style = url.startswith("sqlite")
    rng = random.Random(seed)
    response_cols = (
        "external_id, source, survey, score, scale_max, comment, customer_id, "
        "submitted_at, attributes, received_at, updated_at"
    )
    ticket_cols = (
        "external_id, source, created_at, first_response_at, resolved_at, "
        "first_response_seconds, resolution_seconds, handle_seconds, contacts, escalated, "
        "reopened, channel, team, agent, "
        "customer_id, attributes, received_at, updated_at"
    )
    if sqlite_style:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.executemany(
                f"INSERT INTO survey_responses ({response_cols}) VALUES ({', '.join('?' * 11)})",
                _responses(responses, rng, True),
            )
            conn.executemany(
                f"INSERT INTO tickets ({ticket_cols}) VALUES ({', '.join('?' * 18)})",
                _tickets(tickets, rng, True),
            )
            conn.execute("ANALYZE")
        return
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as pg, pg.cursor() as cur:
        cur.execute("TRUNCATE survey_responses, tickets")
        with cur.copy(f"COPY survey_responses ({response_cols}) FROM STDIN") as copy:
            for row in _responses(responses, rng, False):
                copy.write_row(row)
        with cur.copy(f"COPY tickets ({ticket_cols}) FROM STDIN") as copy:
            for row in _tickets(tickets, rng, False):
                copy.write_row(row)
        pg.commit()
        # What autovacuum does soon after a bulk load on a live server: statistics, and the
        # visibility map that lets period queries read the covering indexes alone.
        pg.autocommit = True
        cur.execute("VACUUM ANALYZE survey_responses, tickets")


def windows(days: int) -> tuple[datetime, datetime, datetime]:
    """(previous start, current start, end) for last-Nd at NOW."""
    return NOW - timedelta(days=2 * days), NOW - timedelta(days=days), NOW


class Db:
    """A DB-API connection for the hand-written and naive versions."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
            for pragma in ("cache_size=-65536", "temp_store=MEMORY"):
                self.conn.execute(f"PRAGMA {pragma}")  # the same as kpibot's connections
        else:
            import psycopg

            self.conn = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self.sqlite:
            params = tuple(_stamp(p, True) if isinstance(p, datetime) else p for p in params)
            return list(self.conn.execute(sql, params).fetchall())
        sql = sql.replace("?", "%s")
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def seconds(self, end: str, start: str) -> str:
        if self.sqlite:
            return f"((julianday({end}) - julianday({start})) * 86400.0)"
        return f"EXTRACT(EPOCH FROM {end} - {start})"

    def execute(self, sql: str) -> None:
        """A statement that returns no rows (DDL)."""
        if self.sqlite:
            self.conn.execute(sql)
            self.conn.commit()
        else:
            self.conn.execute(sql)

    def percentiles(
        self, expr: str, where: str, params: tuple[Any, ...], table: str = "tickets"
    ) -> tuple[float, float]:
        """Median and p90 the way a DBA writes them on each database."""
        if not self.sqlite:
            row = self.query(
                f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr}), "
                f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {expr}) FROM {table} WHERE {where}",
                params,
            )[0]
            return float(row[0]), float(row[1])
        n = self.query(f"SELECT count(*) FROM {table} WHERE {where}", params)[0][0]
        out = []
        for q in (0.5, 0.9):
            k = int((n - 1) * q)
            two = self.query(
                f"SELECT {expr} AS x FROM {table} WHERE {where} ORDER BY x LIMIT 2 OFFSET ?",
                (*params, k),
            )
            frac = (n - 1) * q - k
            out.append(two[0][0] + frac * ((two[-1][0]) - two[0][0]))
        return out[0], out[1]


def hand_sql(db: Db, key: str, days: int) -> Any:
    """The hand-written SQL for a KPI, current and previous periods."""
    prev, start, end = windows(days)
    if key in ("nps", "csat", "ces"):
        measure = {
            "nps": "SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END)",
            # satisfied per scale (kpis.bands.TOP): the top answer of a 2- or 3-point scale,
            # the top two boxes of a longer one
            "csat": "SUM(CASE WHEN score >= scale_max - (CASE WHEN scale_max <= 3 THEN 0 "
            "ELSE 1 END) THEN 1 ELSE 0 END), 0",
            "ces": "SUM(score), SUM(score * score)",
        }[key]
        return db.query(
            f"SELECT CASE WHEN submitted_at < ? THEN 0 ELSE 1 END AS w, count(*), {measure} "
            "FROM survey_responses WHERE survey = ? AND submitted_at >= ? AND submitted_at < ? "
            "GROUP BY w",
            (start, key, prev, end),
        )
    if key in ("frt", "resolution-time", "aht"):
        column = "created_at" if key == "frt" else "resolved_at"
        expr = {
            "frt": "first_response_seconds",
            "resolution-time": "resolution_seconds",
            "aht": "handle_seconds",
        }[key]
        rows = db.query(
            f"SELECT CASE WHEN {column} < ? THEN 0 ELSE 1 END AS w, count({expr}), sum({expr}), "
            f"sum({expr} * {expr}) FROM tickets WHERE {column} >= ? AND {column} < ? GROUP BY w",
            (start, prev, end),
        )
        where = f"{column} >= ? AND {column} < ? AND {expr} IS NOT NULL"
        return rows, [db.percentiles(expr, where, w) for w in ((start, end), (prev, start))]
    if key in ("fcr", "escalation-rate", "tickets"):
        column = "resolved_at" if key == "fcr" else "created_at"
        hit = {
            "fcr": "contacts = 1 AND NOT reopened",
            "escalation-rate": "escalated",
            "tickets": "TRUE",
        }[key]
        if db.sqlite:
            hit = hit.replace("NOT reopened", "reopened = 0").replace("TRUE", "1")
        return db.query(
            f"SELECT CASE WHEN {column} < ? THEN 0 ELSE 1 END AS w, count(*), "
            f"SUM(CASE WHEN {hit} THEN 1 ELSE 0 END) FROM tickets "
            f"WHERE {column} >= ? AND {column} < ? GROUP BY w",
            (start, prev, end),
        )
    if key == "backlog":
        return [
            db.query(
                "SELECT count(*) FROM tickets WHERE created_at < ? "
                "AND (resolved_at IS NULL OR resolved_at >= ?)",
                (edge, edge),
            )
            for edge in (end, start)
        ]
    raise KeyError(key)


def naive(db: Db, key: str, days: int) -> Any:
    """What a user's script does today: load the rows (as an export would), compute in Python."""
    prev, start, end = windows(days)
    parse = datetime.fromisoformat if db.sqlite else (lambda d: d)
    edges = [
        (parse(_stamp(lo, True)) if db.sqlite else lo, parse(_stamp(hi, True)) if db.sqlite else hi)
        for lo, hi in ((start, end), (prev, start))
    ]
    out: list[Any] = []
    if key in ("nps", "csat", "ces"):
        rows = db.query("SELECT survey, score, scale_max, submitted_at FROM survey_responses", ())
        answers = [(r[1], r[2], parse(r[3])) for r in rows if r[0] == key]
        for lo, hi in edges:
            chosen = [(score, top) for score, top, at in answers if lo <= at < hi]
            scores = [s for s, _ in chosen]
            if key == "nps":
                out.append(
                    100
                    * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores))
                    / max(len(scores), 1)
                )
            elif key == "csat":
                out.append(100 * sum(s >= top - 1 for s, top in chosen) / max(len(chosen), 1))
            else:
                out.append(statistics.fmean(scores) if scores else None)
        return out
    rows = db.query(
        "SELECT created_at, first_response_at, resolved_at, handle_seconds, contacts, "
        "escalated, reopened FROM tickets",
        (),
    )
    tickets: list[tuple[Any, ...]] = [
        (parse(r[0]), parse(r[1]) if r[1] else None, parse(r[2]) if r[2] else None, *r[3:])
        for r in rows
    ]
    for lo, hi in edges:
        if key == "backlog":
            out.append(sum(1 for t in tickets if t[0] < hi and (t[2] is None or t[2] >= hi)))
            continue
        by_created = key in ("frt", "escalation-rate", "tickets")
        picked: list[tuple[Any, ...]] = [
            t
            for t in tickets
            if (t[0] if by_created else t[2]) is not None
            and lo <= (t[0] if by_created else t[2]) < hi
        ]
        if key == "frt":
            values = [(t[1] - t[0]).total_seconds() for t in picked if t[1]]
        elif key == "resolution-time":
            values = [(t[2] - t[0]).total_seconds() for t in picked]
        elif key == "aht":
            values = [t[3] for t in picked if t[3] is not None]
        else:
            values = []
        if values:
            out.append(
                (
                    statistics.fmean(values),
                    statistics.median(values),
                    statistics.quantiles(values, n=10)[-1],
                )
            )
        elif key == "fcr":
            out.append(sum(1 for t in picked if t[4] == 1 and not t[6]) / max(len(picked), 1))
        elif key == "escalation-rate":
            out.append(sum(1 for t in picked if t[5]) / max(len(picked), 1))
        else:
            out.append(len(picked))
    return out


KPIS = (
    "nps",
    "csat",
    "ces",
    "frt",
    "aht",
    "resolution-time",
    "fcr",
    "escalation-rate",
    "tickets",
    "backlog",
)


def best(fn: Callable[[], Any], repeat: int) -> float:
    """The best wall time of `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(label: str, url: str, repeat: int, naive_repeat: int) -> None:
    """Time every KPI four ways on one database and print the table.

    kpibot is timed twice: reading the records only (no rollups: the engine beside the
    hand-written SQL, like for like) and as it runs in service, with the daily rollups built.
    """
    engine = make_engine(url)
    deps = Deps(Settings(database_url=url), engine, make_session_factory(engine), lambda: NOW)
    db = Db(url)
    forget(deps.sessions)
    questions = [(key, days) for key in KPIS for days in (30, 365)]
    records = {
        q: best(partial(answer_text, deps=deps, text=f"{q[0]} last-{q[1]}d", now=NOW), repeat)
        for q in questions
    }
    started = time.perf_counter()
    built = refresh(deps.sessions, now=NOW)
    build_seconds = time.perf_counter() - started
    print(f"\n{label}")
    print(
        f"  daily rollups: {built.total:,} cube-days built in {build_seconds:.1f} s "
        "(once; then each day as it ends)"
    )
    print(
        f"  {'kpi':<17}{'period':<11}{'records':>9}{'rollups':>9}{'SQL':>8}{'naive':>8}"
        f"{'records/SQL':>13}{'naive/kpibot':>14}"
    )
    worst_sql, worst_naive = 0.0, float("inf")
    for key, days in questions:
        text = f"{key} last-{days}d"
        ours = best(partial(answer_text, deps=deps, text=text, now=NOW), repeat)
        sql = best(partial(hand_sql, db, key, days), repeat)
        slow = best(partial(naive, db, key, days), naive_repeat)
        plain = records[(key, days)]
        worst_sql = max(worst_sql, plain / sql)
        worst_naive = min(worst_naive, slow / ours)
        print(
            f"  {key:<17}{f'last-{days}d':<11}{plain * 1000:>9.1f}{ours * 1000:>9.1f}"
            f"{sql * 1000:>8.1f}{slow * 1000:>8.0f}{plain / sql:>12.2f}×{slow / ours:>13.0f}×"
        )
    print(
        f"  worst: engine on the records {worst_sql:.2f}× the hand-written SQL (target ≤ 1.2×); "
        f"kpibot {worst_naive:.0f}× faster than naive (target ≥ 20×)"
    )
    print("  (milliseconds, best of runs; records: kpibot without rollups; rollups: as served)")
    engine.dispose()


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench query …`."""
    parser = argparse.ArgumentParser(prog="python -m bench query", description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-repeat", type=int, default=1)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (it is emptied)")
    parser.add_argument(
        "--database",
        type=Path,
        default=OUT / "query.db",
        help="SQLite file (reused when it already holds the data)",
    )
    args = parser.parse_args(argv)
    from bench.common import dataset

    url = dataset(args.database, args.responses, args.tickets)
    run(
        f"SQLite: {args.responses:,} responses + {args.tickets:,} tickets",
        url,
        args.repeat,
        args.naive_repeat,
    )
    if args.postgres:
        upgrade(args.postgres)
        fill(args.postgres, args.responses, args.tickets)
        run(
            f"PostgreSQL: {args.responses:,} responses + {args.tickets:,} tickets",
            args.postgres,
            args.repeat,
            args.naive_repeat,
        )
    return 0
