"""The connectors feature: `POST /webhooks/<vendor>`, and what `serve` says about them."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from handlers.connectors.http import router
from handlers.connectors.registry import CONNECTORS
from handlers.deps import Deps
from handlers.feature import Feature
from settings import Settings


def _routers(deps: Deps) -> Sequence[APIRouter]:
    return [router(deps, CONNECTORS)]


def _notes(settings: Settings) -> Sequence[str]:
    on = [c for c in CONNECTORS if c.secrets(settings)]
    off = [c for c in CONNECTORS if not c.secrets(settings)]
    notes = []
    if on:
        names = ", ".join(f"{c.title} (/webhooks/{c.name})" for c in on)
        notes.append(f"connectors on: {names}")
    if off:
        names = ", ".join(f"{c.title} ({c.setting})" for c in off)
        notes.append(f"connectors off, set their secret to turn them on: {names}")
    return notes


FEATURE = Feature(name="connectors", routers=_routers, notes=_notes)
