"""The operations feature: `GET /metrics`, heartbeats, and incidents told to the ops channel."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from handlers.deps import Deps
from handlers.feature import Feature
from handlers.ops.http import router
from handlers.ops.jobs import setup
from settings import Settings


def _routers(deps: Deps) -> Sequence[APIRouter]:
    return [router(deps)]


def _notes(settings: Settings) -> Sequence[str]:
    if settings.ops_channel is not None or settings.slack_bot_token is None:
        return []
    return ["ops channel off: set KPIBOT_OPS_CHANNEL (C…) to hear of failed digests and alerts"]


FEATURE = Feature(name="ops", routers=_routers, jobs=setup, notes=_notes)
