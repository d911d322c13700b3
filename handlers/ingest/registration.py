"""The ingest feature: `POST /api/v1/responses|tickets|metrics`."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from handlers.deps import Deps
from handlers.feature import Feature
from handlers.ingest.http import router
from settings import Settings


def _routers(deps: Deps) -> Sequence[APIRouter]:
    return [router(deps)]


def _notes(settings: Settings) -> Sequence[str]:
    if settings.ingest_token is not None:
        return []
    return [
        "HTTP API off: set KPIBOT_INGEST_TOKEN to accept ingest and KPI calls "
        "(Authorization: Bearer <token>)"
    ]


FEATURE = Feature(name="ingest", routers=_routers, notes=_notes)
