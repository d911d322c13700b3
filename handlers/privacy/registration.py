"""The privacy feature: the customer API (erasure, export), redaction and retention jobs."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from handlers.deps import Deps
from handlers.feature import Feature
from handlers.privacy.http import router
from handlers.privacy.jobs import setup
from settings import Settings


def _routers(deps: Deps) -> Sequence[APIRouter]:
    return [router(deps)]


def _notes(settings: Settings) -> Sequence[str]:
    if settings.comment_retention is not None:
        return []
    return [
        "retention off: comments and customer ids are kept until erased; set "
        "KPIBOT_COMMENT_RETENTION (e.g. 400d) to remove older ones daily"
    ]


FEATURE = Feature(name="privacy", routers=_routers, jobs=setup, notes=_notes)
