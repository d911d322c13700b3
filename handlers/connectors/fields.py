"""What the adapters share to read vendors' payloads: paths, instants, ids, attributes, channels,
and the constant-time comparison of signatures.

Every reader raises `Unreadable` naming the payload path at fault, so a 422 says where the
payload went wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from handlers.connectors.base import Forged, Unreadable

_MISSING = object()


def at(payload: Any, path: str, default: Any = _MISSING, *, under: str = "") -> Any:
    """The value at a dotted path (`form_response.submitted_at`); `Unreadable` naming the path
    (after `under`, where `payload` lies in the whole payload) when it is missing and no default
    is given."""
    value = payload
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            if default is not _MISSING:
                return default
            raise Unreadable("is missing", f"{under}.{path}" if under else path)
    return value


def mapping(payload: Any, path: str) -> Mapping[str, Any]:
    """An object at a path (an absent or null one is empty)."""
    value = at(payload, path, None)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Unreadable("is not an object", path)
    return value


def listed(payload: Any, path: str) -> list[Any]:
    """A list at a path (an absent or null one is empty)."""
    value = at(payload, path, None)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable("is not a list", path)
    return value


def text(value: Any, path: str, *, required: bool = False) -> str | None:
    """A string (numbers as written), stripped; None when empty (`Unreadable` if required)."""
    if isinstance(value, bool | Mapping | list):
        raise Unreadable("is not a text", path)
    out = None if value is None else str(value).strip() or None
    if out is None and required:
        raise Unreadable("is missing", path)
    return out


def ident(value: Any, path: str) -> str:
    """A vendor's id (a string or an integer), as kpibot stores it."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise Unreadable("is not an id", path)
    return str(value)


def instant(value: Any, path: str) -> datetime:
    """An ISO 8601 instant with its offset (`…Z`, `+02:00`, up to nanoseconds) or Unix seconds."""
    if isinstance(value, bool):
        raise Unreadable("is not an instant", path)
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise Unreadable(f"{value} is not a Unix time", path) from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Unreadable(f"{value!r} is not an ISO 8601 instant", path) from None
        if parsed.tzinfo is None:
            raise Unreadable(f"{value!r} has no UTC offset", path)
        return parsed.astimezone(UTC)
    raise Unreadable("is not an instant", path)


def optional_instant(payload: Any, path: str) -> datetime | None:
    """The instant at a path, None when absent, null or empty."""
    value = at(payload, path, None)
    if value in (None, "", 0):
        return None
    return instant(value, path)


def integer(value: Any, path: str) -> int:
    """A whole number, also when sent as a string (`"9"`)."""
    if isinstance(value, bool):
        raise Unreadable("is not a whole number", path)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,9}\s*", value):
        return int(value)
    raise Unreadable(f"{value!r} is not a whole number", path)


_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")


def attribute_name(key: str) -> str | None:
    """A vendor's property name as an attribute name (`Customer ID` → `customer_id`)."""
    name = _NOT_A_NAME.sub("_", key.strip()).strip("_").lower()
    if name and not name[0].isalpha():
        name = f"_{name}"
    return name[:64] or None


def attributes(values: Mapping[str, Any]) -> dict[str, str]:
    """Flat string attributes from a vendor's properties: names made attribute names, texts
    clipped to 255 characters, numbers and booleans kept as text, nested values left out."""
    out: dict[str, str] = {}
    for key, value in values.items():
        name = attribute_name(str(key))
        if name is None or value is None or isinstance(value, Mapping | list):
            continue
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, float) and value != value:  # NaN
            continue
        else:
            shown = str(value).strip()
        if shown:
            out[name] = shown[:255]
    return out


def joined(values: Iterable[Any], limit: int = 255) -> str | None:
    """Tags as one attribute: `a,b,c`, as many whole tags as fit in `limit` characters."""
    out = ""
    for value in values:
        tag = str(value).strip()
        if not tag:
            continue
        longer = f"{out},{tag}" if out else tag
        if len(longer) > limit:
            break
        out = longer
    return out or None


#: Vendors' channel names → kpibot's channels (others are kept, lower-cased).
CHANNELS = {
    "mail": "email",
    "email": "email",
    "outbound email": "email",
    "outbound_email": "email",
    "chat": "chat",
    "conversation": "chat",
    "messenger": "chat",
    "messaging": "chat",
    "native_messaging": "chat",
    "live chat": "chat",
    "voice": "phone",
    "phone": "phone",
    "phone_call": "phone",
    "phone_switch": "phone",
    "phone call": "phone",
    "web": "web",
    "web form": "web",
    "web_form": "web",
    "web widget": "web",
    "web_widget": "web",
    "portal": "web",
    "feedback widget": "web",
    "contact form": "web",
}


def channel(value: Any) -> str | None:
    """A vendor's channel name as kpibot's channel (`Web Form` → `web`, `voice` → `phone`)."""
    if value is None or isinstance(value, bool | Mapping | list):
        return None
    name = str(value).strip().lower()
    if not name:
        return None
    return CHANNELS.get(name, name.replace(" ", "_"))[:64]


def label(value: Any) -> str | None:
    """A team or agent name or id, as kpibot stores it (at most 128 characters)."""
    if value is None or isinstance(value, bool | Mapping | list) or value == 0:
        return None
    shown = str(value).strip()
    return shown[:128] or None


def scale_of(query: Mapping[str, str]) -> int | None:
    """The `?scale_max=` a webhook URL gives, if any (2 to 100)."""
    value = query.get("scale_max")
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit() or not 2 <= int(value) <= 100:
        raise Unreadable(f"?scale_max={value} must be a whole number from 2 to 100", "scale_max")
    return int(value)


# --- signatures ----------------------------------------------------------------------------


def hmac_digest(secret: str, message: bytes, algorithm: str) -> bytes:
    """HMAC of the raw message bytes with the secret as its key."""
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def expect_signature(given: str | None, expected: str, header: str) -> None:
    """`Forged` unless the header's value equals the expected one (compared in constant time)."""
    if not given:
        raise Forged(f"the {header} header is missing")
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise Forged(f"the {header} signature does not match")


def b64(raw: bytes) -> str:
    """Standard base64 with padding, as the vendors write their signatures."""
    return base64.b64encode(raw).decode()
