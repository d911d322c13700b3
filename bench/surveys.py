"""Survey benchmark: what kpibot adds to Slack's own pace when it surveys a 300-person channel.

A round is run on a fresh database (SQLite, or PostgreSQL with `--postgres URL`) against the
fake Slack server of the tests on loopback, with the pace off (one budget for every DM):

- listing: `conversations.members` (two pages) and 300 `users.info`, then the DMs queued;
- sending: each DM claimed, `conversations.open` + `chat.postMessage`, settled (row deleted,
  token and counter written) — beside the baseline, the same two Web API calls per member from
  the same client with no database, in the same run;
- answering: 300 answers taken by `storage.surveys.store.answer` (round row, token, response
  through `storage.ingest`) — beside the baseline, 300 single-row `upsert_responses`
  transactions.

Slack's pace (`KPIBOT_SURVEY_DM_RATE` 1/s after a burst of 5) is then what a real round takes:
the line "at Slack's pace" is computed from the same `Pace` the worker uses.

    python -m bench surveys [--members 300] [--postgres URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.deps import Deps
from handlers.slack.posting import once_client
from handlers.surveys.jobs import new_round
from handlers.surveys.members import People
from handlers.surveys.worker import Pace, list_members, send_dms
from settings import Settings
from storage.db import make_engine, make_session_factory, session_scope
from storage.ingest import upsert_responses
from storage.migrate import upgrade
from storage.surveys.store import answer, open_round
from tests.fakeslack import fake_slack

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(url: str, members: int) -> dict[str, float]:
    """One round of `members`; the timings (seconds) of each step and its baseline."""
    upgrade(url)
    engine = make_engine(url)
    timings: dict[str, float] = {}
    try:
        with fake_slack() as slack:
            users = [f"U0B{i:05d}" for i in range(members)]
            for user in users:
                slack.member(user)
            slack.members["C0BENCH"] = users
            settings = Settings(
                database_url=url,
                slack_bot_token="xoxb-bench",  # noqa: S106 - the fake Slack's
                slack_api_url=slack.api_url(),
            )
            deps = Deps(settings, engine, make_session_factory(engine), clock=lambda: NOW)
            client = once_client(deps)
            with session_scope(deps.sessions) as session:
                round_id = open_round(
                    session=session,
                    round_=new_round(
                        team_id="",
                        channel_id="C0BENCH",
                        channel_name="bench",
                        kind="enps",
                        question=None,
                        team="bench",
                        open_for=timedelta(days=7),
                        now=NOW,
                    ),
                )
            assert round_id is not None
            start = time.perf_counter()
            assert list_members(deps, client, People(), now=NOW) == [round_id]
            timings["listing"] = time.perf_counter() - start

            start = time.perf_counter()
            posted, failed = send_dms(deps, client, now=NOW, budget=members)
            timings["sending"] = time.perf_counter() - start
            assert (posted, failed) == (members, 0)

            start = time.perf_counter()
            for user in users:
                opened = client.conversations_open(users=user)
                client.chat_postMessage(channel=opened["channel"]["id"], text="baseline")
            timings["sending_baseline"] = time.perf_counter() - start

            start = time.perf_counter()
            for i, user in enumerate(users):
                with session_scope(deps.sessions) as session:
                    taken = answer(
                        session=session, round_id=round_id, user_id=user, score=i % 11, now=NOW
                    )
                assert taken.outcome == "recorded"
            timings["answering"] = time.perf_counter() - start

            start = time.perf_counter()
            for i in range(members):
                with session_scope(deps.sessions) as session:
                    upsert_responses(
                        session=session,
                        rows=[
                            {
                                "external_id": f"baseline-{i}",
                                "source": "bench",
                                "survey": "enps",
                                "score": i % 11,
                                "scale_max": 10,
                                "comment": None,
                                "customer_id": None,
                                "submitted_at": NOW,
                                "attributes": {"team": "bench"},
                            }
                        ],
                    )
            timings["answering_baseline"] = time.perf_counter() - start
    finally:
        engine.dispose()
    return timings


def paced_seconds(members: int, rate: float = 1.0, burst: int = 5) -> int:
    """Seconds the worker takes to DM `members` at Slack's pace (one run a second)."""
    pace = Pace(rate, burst)
    at, left, seconds = NOW, members, 0
    while left > 0:
        sent = min(pace.budget(at), left)
        pace.spend(sent)
        left -= sent
        at += timedelta(seconds=1)
        seconds += 1
    return seconds


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench surveys …`."""
    parser = argparse.ArgumentParser(prog="python -m bench surveys", description=__doc__)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--postgres", help="also run on this (scratch!) PostgreSQL database")
    args = parser.parse_args(argv)
    n = args.members
    targets: list[tuple[str, str]] = []
    scratch = tempfile.TemporaryDirectory()
    targets.append(("SQLite", f"sqlite:///{Path(scratch.name) / 'surveys.db'}"))
    if args.postgres:
        _reset_postgres(args.postgres)
        targets.append(("PostgreSQL", args.postgres))
    print(f"a round of {n} members, pace off, against the fake Slack on loopback")
    for name, url in targets:
        t = run(url, n)
        print(f"  {name}:")
        print(f"    listing   {t['listing']:.2f} s (conversations.members + {n} users.info)")
        print(
            f"    sending   {n / t['sending']:.0f} DMs/s "
            f"· baseline (the two Web API calls, no database) {n / t['sending_baseline']:.0f}/s "
            f"· ratio {t['sending'] / t['sending_baseline']:.2f}"
        )
        print(
            f"    answering {n / t['answering']:.0f} answers/s "
            f"· baseline (one-row upsert_responses) {n / t['answering_baseline']:.0f}/s "
            f"· ratio {t['answering'] / t['answering_baseline']:.2f}"
        )
    print(f"  at Slack's pace (1 DM/s after a burst of 5): {paced_seconds(n)} s of sending")
    scratch.cleanup()
    return 0
