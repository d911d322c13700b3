"""Logging: plain lines or one JSON object per line (`KPIBOT_LOG_FORMAT=json`), with the ids of
the request, delivery, alert or redaction being handled.

`log_context(request_id=…)` sets ids for the block (context variables: they follow a request
into Starlette's thread pool, and `contextvars.copy_context` carries them into kpibot's own
pools); every record logged inside carries them, as JSON fields or as a `[request_id=…]`
suffix. Uvicorn's loggers go through the same handler.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import orjson

_CONTEXT: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "kpibot_log_context", default=MappingProxyType({})
)


@contextmanager
def log_context(**ids: Any) -> Iterator[None]:
    """Add these ids (request_id, delivery_id, alert_ids…) to every record logged inside."""
    token = _CONTEXT.set({**_CONTEXT.get(), **ids})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def context() -> Mapping[str, Any]:
    """The ids in force here."""
    return _CONTEXT.get()


class _WithContext(logging.Filter):
    """Copies the ids in force onto each record (as `record.kpibot`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.kpibot = dict(_CONTEXT.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "kpibot", {}))
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [request_id=…]`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = getattr(record, "kpibot", {})
        if ids:
            line += " [" + " ".join(f"{k}={v}" for k, v in ids.items()) + "]"
        return line


#: Paths whose last part is personal data (a customer id): access logs show them masked.
PERSONAL_PATHS = ("/api/v1/customers/",)


class _MaskPersonalPaths(logging.Filter):
    """Uvicorn's access log writes each request's path; a customer's id must not be logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_mask(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def _mask(text: str) -> str:
    for prefix in PERSONAL_PATHS:
        at = text.find(prefix)
        if at >= 0:
            return text[: at + len(prefix)] + "…"
    return text


def configure(*, json: bool, verbose: bool = False) -> None:
    """Route every logger (kpibot's, uvicorn's, APScheduler's) to one stderr handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(_WithContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _MaskPersonalPaths) for f in access.filters):
        access.addFilter(_MaskPersonalPaths())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
