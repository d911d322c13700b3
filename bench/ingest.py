"""Ingest benchmark: rows/s through the bulk API and `kpibot import`, beside raw executemany.

All three write the same survey responses into the same, freshly emptied table of the same
database, in the same run:
- raw: the DB-API driver's `executemany` of a plain INSERT, 10,000 rows a transaction;
- API: `POST /api/v1/responses` with 10,000-item arrays to a `kpibot serve` process on loopback
  (bodies encoded before the clock starts; the server parses, validates and upserts);
- import: `kpibot import responses FILE.csv` in a child process (start-up included), whose peak
  resident memory is reported too.

Each database gets `--repeat` interleaved rounds of the three (raw, API, import, raw, …) and the
best time of each loader counts: on a shared machine a single run of the one-second baseline
can be a third slower than the next.

    python -m bench ingest [--rows 200000] [--repeat 3] [--postgres URL] [--memory-lines N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.common import kpibot_server as serve_child
from storage.migrate import upgrade

BATCH = 10_000
TOKEN = "bench-token"
COLUMNS = (
    "external_id, source, survey, score, scale_max, comment, customer_id, submitted_at, "
    "attributes, received_at, updated_at"
)
KPIBOT = str(Path(sys.executable).with_name("kpibot"))


def make_records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Survey responses as a client sends them (JSON-ready)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plans = ("free", "pro", "enterprise")
    channels = ("email", "chat", "phone", "web")
    out = []
    for i in range(count):
        survey = "nps" if i % 4 else "csat"
        score = rng.randint(0, 10) if survey == "nps" else rng.randint(1, 5)
        out.append(
            {
                "external_id": f"resp-{i}",
                "survey": survey,
                "score": score,
                "comment": "Slow answer" if score < 5 and i % 3 == 0 else None,
                "customer_id": f"cust-{rng.randint(1, 50_000)}",
                "submitted_at": (start + timedelta(seconds=i * 37)).isoformat(),
                "attributes": {"plan": rng.choice(plans), "channel": rng.choice(channels)},
            }
        )
    return out


def raw_rows(records: list[dict[str, Any]], sqlite_style: bool) -> list[tuple[Any, ...]]:
    """The same records as driver parameters, converted as a hand-written loader would."""
    now = datetime.now(UTC)
    rows = []
    for r in records:
        at = datetime.fromisoformat(r["submitted_at"])
        scale = 10 if r["survey"] == "nps" else 5
        if sqlite_style:
            stamp: Any = at.strftime("%Y-%m-%d %H:%M:%S.%f")
            received: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            stamp, received = at, now
        rows.append(
            (
                r["external_id"],
                "api",
                r["survey"],
                r["score"],
                scale,
                r["comment"],
                r["customer_id"],
                stamp,
                json.dumps(r["attributes"]),
                received,
                received,
            )
        )
    return rows


def empty_table(url: str) -> None:
    """Remove every survey response (the schema stays)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("DELETE FROM survey_responses")
        return
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("TRUNCATE survey_responses RESTART IDENTITY")


def time_raw(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for the driver's executemany of a plain INSERT, one transaction per batch."""
    empty_table(url)
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        sql = f"INSERT INTO survey_responses ({COLUMNS}) VALUES ({', '.join('?' * 11)})"
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with conn:
                conn.executemany(sql, rows[i : i + BATCH])
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed
    import psycopg

    sql = f"INSERT INTO survey_responses ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
    with psycopg.connect(url.replace("+psycopg", "")) as pg:
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with pg.cursor() as cur:
                cur.executemany(sql, rows[i : i + BATCH])
            pg.commit()
        return time.perf_counter() - start


@contextmanager
def kpibot_server(url: str) -> Iterator[str]:
    """A `kpibot serve` child process on the database, with the ingest token set."""
    with serve_child({"DATABASE_URL": url, "KPIBOT_INGEST_TOKEN": TOKEN}) as base:
        yield base


def time_api(url: str, records: list[dict[str, Any]]) -> float:
    """Seconds to POST every record in 10,000-item arrays (bodies pre-encoded)."""
    empty_table(url)
    bodies = [orjson.dumps(records[i : i + BATCH]) for i in range(0, len(records), BATCH)]
    with (
        kpibot_server(url) as base,
        httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            timeout=120,
        ) as client,
    ):
        start = time.perf_counter()
        for body in bodies:
            answer = client.post("/api/v1/responses", content=body)
            answer.raise_for_status()
        return time.perf_counter() - start


def write_csv(path: Path, records: list[dict[str, Any]]) -> None:
    """The records as a CSV file with attribute columns."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "external_id",
                "survey",
                "score",
                "comment",
                "customer_id",
                "submitted_at",
                "plan",
                "channel",
            ]
        )
        for r in records:
            writer.writerow(
                [
                    r["external_id"],
                    r["survey"],
                    r["score"],
                    r["comment"] or "",
                    r["customer_id"],
                    r["submitted_at"],
                    r["attributes"]["plan"],
                    r["attributes"]["channel"],
                ]
            )


#: Runs a command and prints its peak RSS in KiB: a small parent, so that the measured child's
#: peak is its own (a child forked straight from this process would count our pages too).
_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


def run_import(url: str, path: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of `kpibot import responses FILE` in a child process."""
    empty_table(url)
    env = {**os.environ, "DATABASE_URL": url}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, KPIBOT, "import", "responses", str(path), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    return elapsed, int(done.stdout.split()[-1]) / 1024


def write_big_csv(path: Path, lines: int) -> None:
    """A large CSV written in streaming fashion (for the flat-memory check)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "survey", "score", "submitted_at", "plan", "channel"])
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for i in range(lines):
            at = (start + timedelta(seconds=i * 3)).isoformat()
            writer.writerow([f"m{i}", "nps", i % 11, at, ("free", "pro")[i % 2], "email"])


def bench_database(
    label: str, url: str, records: list[dict[str, Any]], workdir: Path, repeat: int
) -> None:
    """Run the three loaders on one database, `repeat` rounds interleaved; print the best
    time of each (the least disturbed by the machine's neighbours), rows/s and ratios."""
    upgrade(url)
    n = len(records)
    rows = raw_rows(records, sqlite_style=url.startswith("sqlite"))
    csv_path = workdir / "responses.csv"
    write_csv(csv_path, records)
    runs: dict[str, list[float]] = {"raw": [], "api": [], "import": []}
    rss = 0.0
    for _ in range(repeat):
        runs["raw"].append(time_raw(url, rows))
        runs["api"].append(time_api(url, records))
        seconds, peak = run_import(url, csv_path)
        runs["import"].append(seconds)
        rss = max(rss, peak)
    best = {name: min(times) for name, times in runs.items()}
    print(f"\n{label}: {n:,} survey responses, best of {repeat} interleaved rounds")
    print(f"  {'loader':<28}{'seconds':>10}{'rows/s':>12}{'vs raw':>9}   all rounds (s)")
    for name, key in (
        ("raw executemany (baseline)", "raw"),
        ("bulk API (HTTP, 10k/request)", "api"),
        ("kpibot import (CSV)", "import"),
    ):
        seconds = best[key]
        rounds = " ".join(f"{t:.2f}" for t in runs[key])
        print(
            f"  {name:<28}{seconds:>10.2f}{n / seconds:>12,.0f}{best['raw'] / seconds:>8.0%}"
            f"   {rounds}"
        )
    print(f"  kpibot import peak RSS: {rss:.0f} MiB")


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench ingest …`."""
    parser = argparse.ArgumentParser(prog="python -m bench ingest", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of the three loaders (the best counts)"
    )
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (it is emptied)")
    parser.add_argument(
        "--memory-lines",
        type=int,
        default=0,
        help="also import a CSV of this many lines and report peak RSS",
    )
    args = parser.parse_args(argv)
    records = make_records(args.rows)
    with tempfile.TemporaryDirectory(prefix="kpibot-bench-") as tmp:
        workdir = Path(tmp)
        bench_database("SQLite", f"sqlite:///{workdir / 'bench.db'}", records, workdir, args.repeat)
        if args.postgres:
            bench_database("PostgreSQL", args.postgres, records, workdir, args.repeat)
        if args.memory_lines:
            big = workdir / "big.csv"
            write_big_csv(big, args.memory_lines)
            url = f"sqlite:///{workdir / 'memory.db'}"
            upgrade(url)
            seconds, rss = run_import(url, big)
            size = big.stat().st_size / 2**20
            print(
                f"\nflat memory: {args.memory_lines:,}-line CSV ({size:,.0f} MiB) imported in "
                f"{seconds:.0f} s ({args.memory_lines / seconds:,.0f} rows/s), "
                f"peak RSS {rss:.0f} MiB (target < 200 MiB)"
            )
    return 0
