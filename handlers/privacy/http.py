"""The personal-data API: `DELETE /api/v1/customers/{id}` (erasure) and `GET` (export)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from handlers.deps import Deps
from handlers.http.auth import check_token
from handlers.privacy.erase import database_note, forget_customer
from handlers.privacy.export import export_customer
from handlers.slack.posting import once_client


def checked_id(customer_id: str) -> str | None:
    """Why a customer id cannot be one (None when it can): as stored, 1–255 characters."""
    if not customer_id.strip():
        return "the customer id is empty"
    if len(customer_id) > 255:
        return "a customer id is at most 255 characters"
    if any(ord(ch) < 32 or ch == "\x7f" for ch in customer_id):
        return "a customer id holds no control characters"
    return None


def router(deps: Deps) -> APIRouter:
    """The customer routes, bound to the app's dependencies."""
    api = APIRouter(prefix="/api/v1", tags=["personal data"])

    @api.delete(
        "/customers/{customer_id}",
        summary="Erase a customer's personal data (GDPR art. 17) and redact Slack",
        responses={
            200: {"description": "what was erased, and the Slack messages redacted or queued"},
            422: {"description": "not a customer id"},
        },
    )
    async def erase(request: Request, customer_id: str) -> JSONResponse:
        refusal = check_token(deps, request)
        if refusal is not None:
            return refusal
        bad = checked_id(customer_id)
        if bad is not None:
            return JSONResponse({"detail": bad, "field": "customer_id"}, status_code=422)
        client = once_client(deps) if deps.settings.slack_bot_token is not None else None
        done = await run_in_threadpool(forget_customer, deps, customer_id, client)
        body = {"customer_id": customer_id, **done.as_json(database_note(deps, done))}
        return JSONResponse(body)

    @api.get(
        "/customers/{customer_id}",
        summary="Everything kpibot holds about a customer (GDPR art. 15)",
    )
    async def export(request: Request, customer_id: str) -> JSONResponse:
        refusal = check_token(deps, request)
        if refusal is not None:
            return refusal
        bad = checked_id(customer_id)
        if bad is not None:
            return JSONResponse({"detail": bad, "field": "customer_id"}, status_code=422)
        return JSONResponse(await run_in_threadpool(export_customer, deps, customer_id))

    return api
