"""Builds the FastAPI application: `/healthz` and every feature's routers."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from handlers.deps import Deps
from handlers.feature import Feature
from storage.db import ping


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

    for feature in features:
        if feature.routers is not None:
            for router in feature.routers(deps):
                app.include_router(router)
    return app
