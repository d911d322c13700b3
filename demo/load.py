"""Loads the synthetic history through the same upserts as a real import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from demo.synthetic import counters, responses, tickets
from storage.db import SessionFactory, session_scope
from storage.ingest import Counts, upsert_counters, upsert_responses, upsert_tickets

BATCH = 5_000


@dataclass(frozen=True)
class Loaded:
    """How many records of each kind the demo stored."""

    responses: int
    tickets: int
    counters: int


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _load(sessions: SessionFactory, writer: Callable[..., Counts], rows: Iterable[Any]) -> int:
    total = 0
    for batch in _batches(rows):
        with session_scope(sessions) as session:
            total += writer(session=session, rows=batch).created
    return total


def load_demo(
    *, sessions: SessionFactory, seed: int, end: datetime, days: int = 365, scale: float = 1.0
) -> Loaded:
    """Write about a year of surveys, tickets and counters, in batches of 5,000."""
    return Loaded(
        responses=_load(
            sessions,
            upsert_responses,
            responses(seed=seed, end=end, days=days, per_day=int(150 * scale)),
        ),
        tickets=_load(
            sessions,
            upsert_tickets,
            tickets(seed=seed, end=end, days=days, per_day=int(300 * scale)),
        ),
        counters=_load(sessions, upsert_counters, counters(seed=seed, end=end, days=days)),
    )
