"""The HTTP API's bearer token: every `/api/v1` route checks it the same way."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse

from handlers.deps import Deps


def check_token(deps: Deps, request: Request) -> JSONResponse | None:
    """None when the bearer token is right; otherwise the refusal to send."""
    expected = deps.settings.ingest_token
    if expected is None:
        return JSONResponse(
            {
                "detail": "the API is disabled: set KPIBOT_INGEST_TOKEN to a secret and send it as "
                "'Authorization: Bearer <token>'"
            },
            status_code=503,
        )
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.get_secret_value().encode()
    ):
        return JSONResponse(
            {"detail": "missing or wrong bearer token (Authorization: Bearer <token>)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None
