"""Builds the FastAPI application from its routers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from handlers.deps import Deps
from storage.db import ping


def create_api(deps: Deps) -> FastAPI:
    """The FastAPI app with every kpibot route; OpenAPI docs at `/docs`."""
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

    from handlers.http import ingest, kpis

    app.include_router(ingest.router(deps))
    app.include_router(kpis.router(deps))
    return app
