"""Slack latency benchmark: `/nps last-30d` end to end at 1M responses + 1M tickets on SQLite.

A `kpibot serve` child process answers signed slash-command requests (exactly as Slack sends
them) with its Web API pointed at the fake Slack server of the tests; 200 requests are timed from
request sent to answer received, beside the engine's own query time for the same question,
measured in the same run.

    python -m bench slack [--requests 200] [--database bench/out/query.db]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

from bench.common import dataset, kpibot_server
from bench.query import NOW, OUT
from handlers.answers.service import answer_text
from handlers.deps import Deps
from settings import Settings
from storage.db import make_engine, make_session_factory
from tests.fakeslack import fake_slack
from tests.slack_requests import command_body, signed

SECRET = "bench-signing-secret"
KPIBOT = str(Path(sys.executable).with_name("kpibot"))


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of the timings (linear interpolation)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench slack …`."""
    parser = argparse.ArgumentParser(prog="python -m bench slack", description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", type=Path, default=OUT / "query.db")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    url = dataset(args.database, args.responses, args.tickets)
    # The data is dated around bench.query.NOW; the server answers `last-30d` at its own clock,
    # so the engine is timed on the same window shape at NOW and at the real now.
    engine = make_engine(url)
    deps = Deps(Settings(database_url=url), engine, make_session_factory(engine), lambda: NOW)
    engine_times = []
    for _ in range(20):
        start = time.perf_counter()
        answer_text(deps=deps, text="nps last-30d", now=NOW)
        engine_times.append(time.perf_counter() - start)
    engine.dispose()
    with fake_slack() as slack:
        slack.member("U0LEAD")
        env = {
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url(),
        }
        with kpibot_server(env) as base:
            timings = []
            with httpx.Client(timeout=10) as client:
                for i in range(args.requests + 5):
                    body = command_body("/nps", "last-30d", trigger_id=f"bench.{i}")
                    headers = signed(SECRET, body)
                    start = time.perf_counter()
                    reply = client.post(f"{base}/slack/events", content=body, headers=headers)
                    elapsed = time.perf_counter() - start
                    reply.raise_for_status()
                    assert reply.json()["text"].startswith("NPS"), reply.text
                    if i >= 5:  # the first requests warm caches (users.info, auth.test)
                        timings.append(elapsed)
    ms = [t * 1000 for t in timings]
    print(
        f"\n/nps last-30d end to end, {args.responses:,} responses + {args.tickets:,} tickets "
        f"(SQLite), {len(ms)} signed requests"
    )
    print(
        f"  p50 {percentile(ms, 0.5):.1f} ms · p95 {percentile(ms, 0.95):.1f} ms · "
        f"p99 {percentile(ms, 0.99):.1f} ms (target p95 < 100 ms)"
    )
    print(
        f"  engine alone (same question, same run): median "
        f"{statistics.median(engine_times) * 1000:.1f} ms, min {min(engine_times) * 1000:.1f} ms"
    )
    return 0
