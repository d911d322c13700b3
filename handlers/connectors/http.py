"""`POST /webhooks/<vendor>`: one route per connector, the same steps for every vendor.

1. The secret's setting is unset: 503 naming it (nothing is read).
2. The signature (or token) over the raw body is wrong, missing or stale: 401, nothing stored.
   (a setting may hold several secrets, comma-separated: any of them verifies a request).
3. The body is not JSON, or the payload cannot be read or is invalid: 422 saying what was wrong,
   nothing stored, logged with the vendor's delivery id.
4. An event kpibot does not use: 200 `{"ignored": "<why>"}` (vendors disable webhooks that keep
   failing).
5. Otherwise its records are merged in one small transaction: 200 `{"created": N, "updated": M}`.

Every delivery is counted (`kpibot_connector_deliveries_total{vendor, outcome}`) and noted in
the vendor's health (`handlers.ops.connectors`): five failures in a row open an incident in the
ops channel, and `kpibot doctor` shows each connector's last outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from handlers.connectors.base import Connector, Forged, Ignored, Received, Records, Unreadable
from handlers.connectors.records import write
from handlers.deps import Deps
from handlers.ops.connectors import Outcome, record_delivery
from storage.ingest import Counts

log = logging.getLogger("kpibot.connectors")


async def _note(deps: Deps, connector: Connector, outcome: Outcome, error: str = "") -> None:
    await run_in_threadpool(record_delivery, deps, connector.name, outcome, error or None)


async def _refused(
    deps: Deps, connector: Connector, exc: Unreadable, delivery: str | None
) -> JSONResponse:
    await _note(deps, connector, Outcome.UNREADABLE, str(exc))
    log.warning(
        "%s delivery %s refused (422, nothing stored): %s",
        connector.title,
        delivery or "(no id)",
        exc,
    )
    body = {"detail": str(exc), "field": exc.field, "delivery": delivery, "stored": 0}
    return JSONResponse(body, status_code=422)


def _endpoint(deps: Deps, connector: Connector) -> Callable[..., Any]:
    async def receive(request: Request) -> JSONResponse:
        secrets = connector.secrets(deps.settings)
        if not secrets:
            detail = f"the {connector.title} connector is off: set {connector.setting}"
            await _note(deps, connector, Outcome.FAILED, detail)
            return JSONResponse({"detail": detail}, status_code=503)
        received = Received(
            body=await request.body(),
            headers=request.headers,
            query=request.query_params,
            at=deps.clock(),
        )
        refusal = _verified(connector, received, secrets)
        if refusal is not None:
            log.warning("%s delivery refused (401, nothing stored): %s", connector.title, refusal)
            await _note(deps, connector, Outcome.UNAUTHORIZED, str(refusal))
            return JSONResponse({"detail": str(refusal)}, status_code=401)
        try:
            payload = orjson.loads(received.body)
        except orjson.JSONDecodeError as exc:
            return await _refused(deps, connector, Unreadable(f"body is not JSON: {exc}"), None)
        delivery = _delivery(connector, received, payload)
        try:
            outcome = connector.read(received, payload)
            if isinstance(outcome, Ignored):
                log.info("%s delivery %s ignored: %s", connector.title, delivery, outcome.reason)
                await _note(deps, connector, Outcome.IGNORED)
                return JSONResponse({"ignored": outcome.reason})
            counts = await run_in_threadpool(_store, deps, connector, outcome)
        except Unreadable as exc:
            return await _refused(deps, connector, exc, delivery)
        except Exception as exc:  # the app answers 500 (503 when the database is down)
            await _note(deps, connector, Outcome.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        return JSONResponse({"created": counts.created, "updated": counts.updated})

    return receive


def _store(deps: Deps, connector: Connector, records: Records) -> Counts:
    """Write a delivery's records, then note it stored (one trip to the worker thread)."""
    counts = write(deps, records, source=connector.name)
    record_delivery(deps, connector.name, Outcome.STORED)
    return counts


def _verified(connector: Connector, received: Received, secrets: Sequence[str]) -> Forged | None:
    """None when one of the secrets verifies the request; else the first refusal."""
    refusals = []
    for secret in secrets:
        try:
            connector.verify(received, secret)
        except Forged as exc:
            refusals.append(exc)
        else:
            return None
    return refusals[0]


def _delivery(connector: Connector, received: Received, payload: Any) -> str | None:
    try:
        return connector.delivery_id(received, payload)
    except Unreadable:
        return None


def _doc(connector: Connector) -> dict[str, Any]:
    return {
        "responses": {
            "200": {"description": 'stored (`{"created": N, "updated": M}`) or `{"ignored": …}`'},
            "401": {"description": "missing, wrong or stale signature; nothing stored"},
            "422": {"description": "a payload kpibot cannot read (what and where); nothing stored"},
            "503": {"description": f"{connector.setting} is not set: the connector is off"},
        }
    }


def router(deps: Deps, connectors: Sequence[Connector]) -> APIRouter:
    """The webhook routes of these connectors, bound to the app's dependencies."""
    api = APIRouter(prefix="/webhooks", tags=["connectors"])
    for connector in connectors:
        api.add_api_route(
            f"/{connector.name}",
            _endpoint(deps, connector),
            methods=["POST"],
            summary=f"{connector.title} webhook (signed with {connector.setting})",
            openapi_extra=_doc(connector),
            response_class=JSONResponse,
        )
    return api
