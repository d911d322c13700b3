"""`GET /metrics`: the Prometheus text format, behind the API's bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from handlers.deps import Deps
from handlers.http.auth import check_token
from handlers.ops.gauges import ensure_gauges


def router(deps: Deps) -> APIRouter:
    """The metrics route, bound to the app's dependencies (and its registry)."""
    ensure_gauges(deps)
    api = APIRouter(tags=["operations"])

    @api.get(
        "/metrics",
        summary="Prometheus metrics (text format), with the bearer token",
        response_class=Response,
    )
    async def metrics(request: Request) -> Response:
        refusal = check_token(deps, request)
        if refusal is not None:
            return refusal
        body = await run_in_threadpool(generate_latest, deps.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return api
