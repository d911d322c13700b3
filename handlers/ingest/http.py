"""The ingest API: `POST /api/v1/responses|tickets|metrics`, one object or an array of up to 10,000.

A request is all or nothing: every item is validated first, and the first invalid one answers 422
with its index and field; then the whole batch is written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from handlers.alerts.writers import AlertingResponsesWriter
from handlers.deps import Deps
from handlers.http.auth import check_token
from storage.db import session_scope
from storage.ingest import Counts, upsert_counters, upsert_tickets
from storage.schemas import RecordKind, json_schema, validate_json_rows

MAX_ITEMS = 10_000
API_SOURCE = "api"

Writer = Callable[..., Counts]


def _error_items(exc: ValidationError) -> list[dict[str, Any]]:
    """Each error's item index (None for a single object), field and message."""
    items = []
    for error in exc.errors(include_url=False, include_context=False):
        loc = list(error["loc"])
        index = loc.pop(0) if loc and isinstance(loc[0], int) else None
        field = ".".join(str(part) for part in loc) or None
        message = error["msg"].removeprefix("Value error, ")
        items.append({"index": index, "field": field, "message": message})
    return items


def _unprocessable(message: str, errors: Sequence[dict[str, Any]] = ()) -> JSONResponse:
    first = errors[0] if errors else None
    if first is not None:
        where = [] if first["index"] is None else [f"item {first['index']}"]
        if first["field"]:
            where.append(f"field '{first['field']}'")
        message = f"{', '.join(where) or 'body'}: {first['message']}"
    return JSONResponse(
        {"detail": message, "errors": list(errors)[:100], "stored": 0}, status_code=422
    )


def _refusal(exc: ValidationError) -> JSONResponse:
    """422 for a body that is not JSON or holds an invalid record; 413 for too many records."""
    first = exc.errors(include_url=False, include_context=False)[0]
    if first["type"] == "json_invalid":
        return _unprocessable(
            f"body is not valid JSON: {first['msg'].removeprefix('Invalid JSON: ')}"
        )
    if first["type"] == "too_long":
        return JSONResponse(
            {"detail": f"at most {MAX_ITEMS} items per request, got {len(first['input'])}"},
            status_code=413,
        )
    if first["type"] == "list_type" and not first["loc"]:
        return _unprocessable("body must be a JSON object or an array of objects")
    return _unprocessable("invalid item", _error_items(exc))


def _endpoint(deps: Deps, kind: RecordKind, writer: Writer) -> Callable[..., Any]:
    async def ingest(request: Request) -> JSONResponse:
        refusal = check_token(deps, request)
        if refusal is not None:
            return refusal
        body = await request.body()
        try:
            validated = validate_json_rows(kind, body, source=API_SOURCE, max_items=MAX_ITEMS)
        except ValidationError as exc:
            return _refusal(exc)
        if not validated:
            return JSONResponse({"created": 0, "updated": 0})

        def write(session: Session) -> Counts:
            return writer(session=session, rows=validated)

        counts = await _in_thread(deps, write)
        deps.metrics.ingested(kind, validated)
        return JSONResponse({"created": counts.created, "updated": counts.updated})

    return ingest


async def _in_thread(deps: Deps, work: Callable[[Session], Counts]) -> Counts:
    from starlette.concurrency import run_in_threadpool

    def run() -> Counts:
        with session_scope(deps.sessions) as session:
            return work(session)

    return await run_in_threadpool(run)


def _body_doc(kind: RecordKind) -> dict[str, Any]:
    schema = json_schema(kind)
    schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            schema,
                            {"type": "array", "items": schema, "maxItems": MAX_ITEMS},
                        ]
                    }
                }
            },
        },
        "responses": {
            "200": {"description": 'stored: `{"created": N, "updated": M}`'},
            "401": {"description": "missing or wrong bearer token"},
            "413": {"description": "more than 10,000 items"},
            "422": {"description": "an invalid item (index and field named); nothing stored"},
            "503": {
                "description": "KPIBOT_INGEST_TOKEN is not set (the API is disabled), or the "
                "database is unavailable (with Retry-After; nothing stored)"
            },
        },
    }


def router(deps: Deps) -> APIRouter:
    """The ingest routes, bound to the app's dependencies."""
    api = APIRouter(prefix="/api/v1", tags=["ingest"])
    routes: tuple[tuple[RecordKind, Writer, str], ...] = (
        (
            "responses",
            AlertingResponsesWriter(deps),
            "Store survey responses (NPS, eNPS, CSAT, CES); fresh detractors raise alerts",
        ),
        ("tickets", upsert_tickets, "Store support tickets in their latest state"),
        ("metrics", upsert_counters, "Store business counter observations"),
    )
    for kind, writer, summary in routes:
        api.add_api_route(
            f"/{kind}",
            _endpoint(deps, kind, writer),
            methods=["POST"],
            summary=summary,
            openapi_extra=_body_doc(kind),
            response_class=JSONResponse,
        )
    return api
