"""The export (GDPR art. 15): everything kpibot holds about a customer, as JSON."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from handlers.deps import Deps
from storage.db import read_snapshot
from storage.privacy.store import export


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def export_customer(deps: Deps, customer_id: str) -> dict[str, Any]:
    """The customer's records, the alerts their answers raised, the digest messages that
    quoted them and what is filtered on them, read in one snapshot, JSON-ready."""
    with read_snapshot(deps.sessions) as session:
        data = export(session=session, customer_id=customer_id)
    data["exported_at"] = deps.clock()
    data["note"] = (
        "Every record kpibot stores with this customer id. Scores and times of records erased "
        "earlier are kept without any id, so they are no longer theirs and are not listed."
    )
    plain: dict[str, Any] = _plain(data)
    return plain
