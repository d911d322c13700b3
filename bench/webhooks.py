"""Webhook benchmark: vendor deliveries per second through the server, beside the bulk API's
records per second, in the same run on the same database.

Vendors send one event per request, each its own small transaction (a merge write, the alert
outbox's look-up), so a delivery costs far more than one record of a 10,000-item bulk request;
this measures how much, and whether the rate stays well above what a busy helpdesk sends.

- webhooks: Zendesk ticket events (each ticket created, answered by staff, then solved: the
  merge write updates the row the first event made) and Typeform responses, shaped and signed
  as the vendors send them (`tests/vendors.py`), posted one per request to a `kpibot serve`
  child process on loopback, over 1 and over `--connections` concurrent keep-alive
  connections (vendors deliver in parallel); bodies are encoded and signed before the clock
  starts;
- bulk API: `--records` tickets, 10,000 per `POST /api/v1/tickets`.

Each loader runs `--repeat` interleaved rounds on freshly emptied tables; the best time counts.

    python -m bench webhooks [--deliveries 3000] [--records 50000] [--connections 8] [--repeat 3]
                             [--postgres URL]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.common import kpibot_server
from storage.migrate import upgrade
from tests.vendors import (
    SECRETS,
    body_of,
    sign,
    typeform_response,
    zendesk_comment,
    zendesk_event,
)

TOKEN = "bench-token"
BATCH = 10_000
TABLES = ("tickets", "survey_responses", "alerts")


def empty(url: str) -> None:
    """Remove every ticket, response and alert (the schema stays)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
        return
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


@contextmanager
def server(url: str) -> Iterator[str]:
    env = {
        "DATABASE_URL": url,
        "KPIBOT_INGEST_TOKEN": TOKEN,
        "KPIBOT_ZENDESK_WEBHOOK_SECRET": SECRETS["zendesk"],
        "KPIBOT_TYPEFORM_SECRET": SECRETS["typeform"],
    }
    with kpibot_server(env) as base:
        yield base


def deliveries(count: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """(path, body, headers) of `count` deliveries: three Zendesk events per ticket for
    three quarters of them, Typeform responses for the rest; signed now."""
    now = datetime.now(UTC)
    out: list[tuple[str, bytes, dict[str, str]]] = []
    tickets = (count * 3 // 4) // 3
    for i in range(tickets):
        created = now - timedelta(hours=2, seconds=i)
        events = (
            zendesk_event("ticket.created", at=created, created=created, ticket=str(i)),
            zendesk_event(
                "ticket.comment_added",
                at=created + timedelta(minutes=7),
                created=created,
                ticket=str(i),
                event=zendesk_comment(),
            ),
            zendesk_event(
                "ticket.status_changed",
                at=created + timedelta(minutes=40),
                created=created,
                ticket=str(i),
                status="SOLVED",
                event={"current": "SOLVED", "previous": "OPEN"},
            ),
        )
        for event in events:
            body = body_of(event)
            out.append(("/webhooks/zendesk", body, sign("zendesk", body, at=now)))
    for i in range(count - len(out)):
        payload = typeform_response(
            f"tok{i:08d}", submitted=now - timedelta(minutes=30, seconds=i), opinion=1 + i % 5
        )
        body = body_of(payload)
        out.append(("/webhooks/typeform?survey=csat", body, sign("typeform", body)))
    return out


def time_webhooks(url: str, count: int, connections: int) -> float:
    """Seconds to post `count` deliveries, one per request, over `connections` connections."""
    empty(url)
    sent = deliveries(count)
    with server(url) as base:
        clients = [httpx.Client(base_url=base, timeout=60) for _ in range(connections)]
        share = [sent[i::connections] for i in range(connections)]

        def post(index: int) -> None:
            client = clients[index]
            for path, body, headers in share[index]:
                answer = client.post(path, content=body, headers=headers)
                if answer.status_code != 200 or "ignored" in answer.json():
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")

        try:
            start = time.perf_counter()
            with ThreadPoolExecutor(connections) as pool:
                list(pool.map(post, range(connections)))
            return time.perf_counter() - start
        finally:
            for client in clients:
                client.close()


def bulk_tickets(count: int) -> list[dict[str, Any]]:
    """`count` tickets as a client sends them to the bulk API."""
    start = datetime.now(UTC) - timedelta(days=30)
    out = []
    for i in range(count):
        created = start + timedelta(seconds=i * 7)
        out.append(
            {
                "external_id": f"t{i}",
                "created_at": created.isoformat(),
                "first_response_at": (created + timedelta(minutes=7)).isoformat(),
                "resolved_at": (created + timedelta(minutes=40)).isoformat(),
                "channel": ("email", "chat", "web")[i % 3],
                "team": "8447320466430",
                "agent": "8447388090495",
                "customer_id": "8447388090494",
                "attributes": {"priority": "high", "type": "problem"},
            }
        )
    return out


def time_bulk(url: str, records: list[dict[str, Any]]) -> float:
    """Seconds to POST the tickets in 10,000-item arrays (bodies pre-encoded)."""
    empty(url)
    bodies = [orjson.dumps(records[i : i + BATCH]) for i in range(0, len(records), BATCH)]
    with (
        server(url) as base,
        httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            timeout=120,
        ) as client,
    ):
        start = time.perf_counter()
        for body in bodies:
            client.post("/api/v1/tickets", content=body).raise_for_status()
        return time.perf_counter() - start


def bench_database(
    label: str, url: str, count: int, bulk: int, connections: int, repeat: int
) -> None:
    upgrade(url)
    records = bulk_tickets(bulk)
    runs: dict[str, list[float]] = {"one": [], "many": [], "bulk": []}
    for _ in range(repeat):
        runs["one"].append(time_webhooks(url, count, 1))
        runs["many"].append(time_webhooks(url, count, connections))
        runs["bulk"].append(time_bulk(url, records))
    best = {key: min(times) for key, times in runs.items()}
    print(
        f"\n{label}: {count:,} webhook deliveries, {bulk:,} bulk API tickets, "
        f"best of {repeat} interleaved rounds"
    )
    print(f"  {'loader':<42}{'seconds':>9}{'per second':>12}   all rounds (s)")
    for name, key, items, unit in (
        ("webhooks, one event a request, 1 conn.", "one", count, "deliveries/s"),
        (f"webhooks, one event a request, {connections} conn.", "many", count, "deliveries/s"),
        ("bulk API, 10,000 tickets a request", "bulk", bulk, "records/s"),
    ):
        rounds = " ".join(f"{t:.2f}" for t in runs[key])
        rate = items / best[key]
        print(f"  {name:<42}{best[key]:>9.2f}{rate:>12,.0f}   {rounds}  ({unit})")
    ratio = (best["one"] / count) / (best["bulk"] / bulk)
    print(f"  one delivery costs as much as {ratio:,.0f} records of a bulk request")


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench webhooks …`."""
    parser = argparse.ArgumentParser(prog="python -m bench webhooks", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--records", type=int, default=50_000, help="tickets for the bulk API")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (it is emptied)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kpibot-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        sizes = (args.deliveries, args.records, args.connections, args.repeat)
        bench_database("SQLite", url, *sizes)
        if args.postgres:
            bench_database("PostgreSQL", args.postgres, *sizes)
    return 0
