"""Builds the FastAPI application: `/healthz` and every feature's routers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from handlers.deps import Deps
from handlers.feature import Feature
from storage.db import ping

log = logging.getLogger("kpibot.http")


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
