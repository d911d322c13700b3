"""Builds the FastAPI application: `/healthz` and every feature's routers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from handlers.deps import Deps
from handlers.feature import Feature
from handlers.logs import log_context
from storage.db import ping, unavailable

log = logging.getLogger("kpibot.http")

#: Seconds a client is asked to wait when the database is unavailable.
RETRY_AFTER = 30
#: The header that carries (or receives) a request's id.
REQUEST_ID = "X-Request-ID"


def database_unavailable() -> JSONResponse:
    """503 with Retry-After: the database cannot be reached; nothing was written."""
    return JSONResponse(
        {
            "detail": "the database is unavailable; nothing was stored. Try again in "
            f"{RETRY_AFTER} seconds",
            "error": "database_unavailable",
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


def create_api(deps: Deps, features: Sequence[Feature]) -> FastAPI:
    """The FastAPI app with every feature's routes; OpenAPI docs at `/docs`."""
    app = FastAPI(
        title="kpibot",
        summary="Customer-experience KPIs for Slack: ingest API and KPI API.",
        version="0.1.0",
    )
    app.state.deps = deps

    @app.get("/healthz", tags=["health"], summary="200 once the database answers, 503 otherwise")
    def healthz() -> JSONResponse:
        if ping(deps.engine):
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Each request's id (the caller's X-Request-ID, or a new one) on its log lines and
        in its answer."""
        given = request.headers.get(REQUEST_ID, "")
        rid = given if given.isascii() and 0 < len(given) <= 64 else uuid.uuid4().hex[:16]
        with log_context(request_id=rid):
            response = await call_next(request)
        response.headers[REQUEST_ID] = rid
        return response

    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        """The database is unreachable: 503 with Retry-After (a bug in a statement is a 500)."""
        if not unavailable(exc):
            return await failed(request, exc)
        log.warning(
            "%s %s: the database is unavailable (%s)", request.method, request.url.path, exc
        )
        return database_unavailable()

    app.add_exception_handler(DBAPIError, database_down)
    app.add_exception_handler(PoolTimeout, database_down)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        """A bug's answer: 500 with a short error id, logged with the traceback."""
        error_id = uuid.uuid4().hex[:8]
        log.error(
            "error %s: %s %s failed", error_id, request.method, request.url.path, exc_info=exc
        )
        detail = f"internal error {error_id}; it was logged under that id"
        return JSONResponse({"detail": detail, "error_id": error_id}, status_code=500)

    for feature in features:
        if feature.routers is not None:
            for router in feature.routers(deps):
                app.include_router(router)
    return app
