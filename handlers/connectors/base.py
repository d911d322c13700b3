"""The one small interface every vendor adapter implements, and what a delivery becomes.

A connector (`Connector`) has a name (its path, `/webhooks/<name>`, and the `source` of its
records), the setting that holds its secret, and two steps:

- `verify(received, secret)`: is this request the vendor's? It reads the raw body bytes and the
  headers only, before anything is parsed, compares in constant time, and raises `Forged` (401)
  when it is not;
- `read(received, payload)`: what the parsed JSON payload becomes: `Records` (survey responses
  and tickets in kpibot's field names, each with the vendor's `event_at`), or `Ignored` with the
  reason (an event kpibot does not use: answered 2xx so the vendor keeps the webhook on); it
  raises `Unreadable` (422) for a payload it cannot read.

Everything else (the secret's setting, 503 while it is unset, JSON parsing, validation, the one
transaction per delivery, the detractor alerts) is the same for every vendor (`http.py`), so a
new vendor is one module and one line in `registry.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from settings import Settings

if TYPE_CHECKING:
    from handlers.connectors.presets import Preset


class Forged(Exception):
    """The request is not the vendor's: a missing or wrong signature or token, or a stale one."""


class Unreadable(Exception):
    """A payload kpibot cannot read: what is wrong, and where (`field`, a path in the payload)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class Received:
    """One delivery as it came: the raw body, the headers (names case-insensitive), the URL's
    query parameters and kpibot's clock when it arrived."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]
    at: datetime

    def header(self, name: str) -> str | None:
        """A header's value (its name in any case), None when absent."""
        return self.headers.get(name) or self.headers.get(name.lower())


@dataclass(frozen=True)
class Ignored:
    """An event kpibot does not use: acknowledged (2xx) and dropped."""

    reason: str


@dataclass(frozen=True)
class Records:
    """What a delivery stores: records in kpibot's field names (`storage.schemas`), each with
    an `event_at` (the vendor's time of the event) for the merge write."""

    responses: tuple[dict[str, Any], ...] = field(default=())
    tickets: tuple[dict[str, Any], ...] = field(default=())


Outcome = Ignored | Records


class Connector(ABC):
    """One vendor's webhook: how its requests are verified and what its payloads become."""

    #: The path segment (`/webhooks/<name>`) and the `source` of the records it stores.
    name: ClassVar[str]
    #: The vendor's name as people write it.
    title: ClassVar[str]
    #: The environment variable of its secret, and the `Settings` field that reads it.
    setting: ClassVar[str]
    settings_field: ClassVar[str]
    #: Its export's import preset (`kpibot import … --preset NAME`), if it has one.
    preset: ClassVar[Preset | None] = None

    def secrets(self, settings: Settings) -> list[str]:
        """Its secrets (a setting may hold several, separated by commas: two Zendesk webhooks
        each have their own, and a secret being rotated is accepted beside the new one); none
        while the setting is unset (the webhook then answers 503)."""
        value = getattr(settings, self.settings_field)
        if value is None:
            return []
        return [part.strip() for part in str(value.get_secret_value()).split(",") if part.strip()]

    @abstractmethod
    def verify(self, received: Received, secret: str) -> None:
        """Raise `Forged` unless the request is signed (or authenticated) by the vendor."""

    @abstractmethod
    def read(self, received: Received, payload: Any) -> Outcome:
        """The records a verified payload becomes, or why it is ignored; `Unreadable` else."""

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        """The vendor's id of this delivery (for the logs), when it sends one."""
        return None
