"""A connector's records checked as the API checks them, then merged in one transaction.

Adapters map payloads to records in kpibot's field names; they pass the same validation as the
API and the files (`storage.schemas.validate_rows`: scales, instants, attribute names…) with
the vendor's name as their `source`, keeping the `event_at` the merge write orders events by.
Survey responses go through the same writer as the API's (`AlertingResponsesWriter`), so a
fresh detractor from a connector pages the alert routes exactly like an API one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from handlers.alerts.writers import AlertingResponsesWriter
from handlers.connectors.base import Records, Unreadable
from handlers.deps import Deps
from storage.db import session_scope
from storage.ingest import Counts, merge_responses, merge_tickets
from storage.schemas import RecordKind, validate_rows


def problem(exc: ValidationError) -> Unreadable:
    """The first validation error as an `Unreadable`: `field 'score': score 11 is outside…`."""
    first = exc.errors(include_url=False, include_context=False)[0]
    where = [str(part) for part in first["loc"] if not isinstance(part, int)]
    message = first["msg"].removeprefix("Value error, ")
    return Unreadable(message, ".".join(where) or None)


def keeping_event_at(
    kind: RecordKind, records: Sequence[dict[str, Any]], *, source: str
) -> list[Any]:
    """`validate_rows` for records that carry their `event_at` (a preset's, a connector's):
    the same checks, the same `ValidationError`s, and each row keeps its record's time."""
    plain = [{k: v for k, v in record.items() if k != "event_at"} for record in records]
    rows = validate_rows(kind, plain, source=source)
    for row, record in zip(rows, records, strict=True):
        row["event_at"] = record.get("event_at")
    return rows


def validated(kind: RecordKind, records: Sequence[dict[str, Any]], *, source: str) -> list[Any]:
    """A delivery's records as rows to store, checked like the API's; `Unreadable` else."""
    try:
        return keeping_event_at(kind, records, source=source)
    except ValidationError as exc:
        raise problem(exc) from None


def write(deps: Deps, records: Records, *, source: str) -> Counts:
    """Validate a delivery's records, then merge them in one small transaction."""
    tickets = validated("tickets", records.tickets, source=source) if records.tickets else []
    answers = validated("responses", records.responses, source=source) if records.responses else []
    with session_scope(deps.sessions) as session:
        return write_rows(deps, session, tickets=tickets, responses=answers)


def write_rows(
    deps: Deps, session: Session, *, tickets: Sequence[Any], responses: Sequence[Any]
) -> Counts:
    """Merge validated rows in the caller's transaction (responses raise their alerts)."""
    counts = Counts()
    if tickets:
        counts += merge_tickets(session=session, rows=tickets)
    if responses:
        writer = AlertingResponsesWriter(deps, upsert=merge_responses)
        counts += writer(session=session, rows=responses)
    return counts
