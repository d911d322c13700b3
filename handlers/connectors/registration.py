"""The connectors feature: `POST /webhooks/<vendor>`, what `serve` says about them, and the
doctor's line for each (off, on, or failing with its last error)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from handlers.connectors.http import router
from handlers.connectors.registry import CONNECTORS
from handlers.deps import Deps
from handlers.feature import Check, Feature
from handlers.ops.connectors import FAILING_IN_ROW
from settings import Settings
from storage.db import session_scope
from storage.ops.store import connector_health


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


def _checks(deps: Deps) -> Sequence[Check]:
    unknown = ""
    try:
        with session_scope(deps.sessions) as session:
            health = {h.vendor: h for h in connector_health(session=session)}
    except SQLAlchemyError as exc:  # the database's own line says why (down, not migrated)
        health, unknown = {}, f"; its deliveries' health unknown ({type(exc).__name__})"
    checks = []
    for c in CONNECTORS:
        name = f"connector {c.name}"
        seen = health.get(c.name)
        if not c.secrets(deps.settings):
            checks.append(Check(name, None, f"off: set {c.setting} to turn it on"))
        elif seen is None:
            seen_yet = unknown or "; nothing delivered yet"
            checks.append(Check(name, True, f"on (/webhooks/{c.name}){seen_yet}"))
        elif seen.failures_in_row >= FAILING_IN_ROW:
            detail = f"{seen.failures_in_row} failed deliveries in a row, last: {seen.last_error}"
            checks.append(Check(name, False, detail))
        else:
            checks.append(Check(name, True, f"on; last delivery {seen.last_outcome}"))
    return checks


FEATURE = Feature(name="connectors", routers=_routers, notes=_notes, checks=_checks)
