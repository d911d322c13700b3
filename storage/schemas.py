"""What an incoming record must look like: the validation shared by the API and file import.

Timestamps must carry an offset (kpibot never guesses one); scores must lie on their survey's
scale; unknown survey kinds are refused. Attribute values are kept as strings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

#: Default top of each survey's scale, and its bottom.
SCALE_MAX = {"nps": 10, "enps": 10, "csat": 5, "ces": 7}
SCALE_MIN = {"nps": 0, "enps": 0, "csat": 1, "ces": 1}
#: Counters that are levels (stocks read at an instant) unless said otherwise.
LEVEL_COUNTERS = frozenset({"customers", "headcount", "followers"})

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Source = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]


AttributeName = Annotated[str, StringConstraints(pattern=_ATTRIBUTE_NAME.pattern)]
AttributeValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
#: Free attributes: names of letters, digits, `_ . -`; values strings, numbers or booleans
#: (kept as strings), null or empty to leave one out. Checked by pydantic-core itself: this is
#: the hot path of every ingest.
Attributes = dict[AttributeName, AttributeValue | StrictBool | StrictInt | StrictFloat | None]


def attribute_strings(attributes: dict[str, Any]) -> dict[str, str]:
    """Attributes as stored: string → string, with empty and null values left out."""
    out: dict[str, str] = {}
    for key, value in attributes.items():
        if value is None or value == "":
            continue
        if value is True or value is False:
            out[key] = "true" if value else "false"
        else:
            out[key] = value if isinstance(value, str) else str(value)
    return out


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ResponseIn(_Record):
    """A survey response as sent to `POST /api/v1/responses` or imported from a file."""

    external_id: Id
    survey: Literal["nps", "enps", "csat", "ces"]
    scale_max: int | None = Field(default=None, ge=2, le=100)
    score: int
    comment: str | None = Field(default=None, max_length=10_000)
    customer_id: Id | None = None
    submitted_at: AwareDatetime
    attributes: Attributes = Field(default_factory=dict)
    source: Source | None = None

    @field_validator("survey", mode="before")
    @classmethod
    def _lower_survey(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("scale_max")
    @classmethod
    def _fixed_nps_scale(cls, value: int | None, info: ValidationInfo) -> int | None:
        survey = info.data.get("survey")
        if value is not None and survey in ("nps", "enps") and value != 10:
            raise ValueError(f"{survey} is always on 0–10; scale_max must be 10")
        return value

    @field_validator("score")
    @classmethod
    def _score_on_scale(cls, value: int, info: ValidationInfo) -> int:
        survey = info.data.get("survey")
        if survey is None:
            return value  # the survey itself was refused; that error is reported
        top = info.data.get("scale_max") or SCALE_MAX[survey]
        bottom = SCALE_MIN[survey]
        if not bottom <= value <= top:
            raise ValueError(f"score {value} is outside the {survey} scale {bottom}–{top}")
        return value

    def row(self, source: str) -> dict[str, Any]:
        """The record as column values, with defaults applied and instants in UTC."""
        return {
            "external_id": self.external_id,
            "source": self.source or source,
            "survey": self.survey,
            "score": self.score,
            "scale_max": self.scale_max if self.scale_max is not None else SCALE_MAX[self.survey],
            "comment": self.comment or None,
            "customer_id": self.customer_id,
            "submitted_at": self.submitted_at.astimezone(UTC),
            "attributes": attribute_strings(self.attributes),
        }


class TicketIn(_Record):
    """A support ticket in its latest known state (re-send it as it changes)."""

    external_id: Id
    created_at: AwareDatetime
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    handle_seconds: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    contacts: int = Field(default=1, ge=1)
    escalated: bool = False
    reopened: bool = False
    channel: Label | None = None
    team: Label | None = None
    agent: Label | None = None
    customer_id: Id | None = None
    attributes: Attributes = Field(default_factory=dict)
    source: Source | None = None

    @field_validator("channel", mode="before")
    @classmethod
    def _lower_channel(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("first_response_at", "resolved_at")
    @classmethod
    def _after_creation(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        created = info.data.get("created_at")
        if value is not None and created is not None and value < created:
            raise ValueError(f"{info.field_name} is before created_at")
        return value

    def row(self, source: str) -> dict[str, Any]:
        """The record as column values, with defaults applied and instants in UTC."""
        return {
            "external_id": self.external_id,
            "source": self.source or source,
            "created_at": self.created_at.astimezone(UTC),
            "first_response_at": _to_utc(self.first_response_at),
            "resolved_at": _to_utc(self.resolved_at),
            "handle_seconds": self.handle_seconds,
            "contacts": self.contacts,
            "escalated": self.escalated,
            "reopened": self.reopened,
            "channel": self.channel,
            "team": self.team,
            "agent": self.agent,
            "customer_id": self.customer_id,
            "attributes": attribute_strings(self.attributes),
        }


class CounterIn(_Record):
    """One observation of a business counter (`POST /api/v1/metrics`)."""

    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_.\-]{0,127}$"),
    ]
    value: float = Field(allow_inf_nan=False)
    at: AwareDatetime
    kind: Literal["flow", "level"] | None = None
    external_id: Id | None = None
    attributes: Attributes = Field(default_factory=dict)
    source: Source | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _lower_name(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    def row(self, source: str) -> dict[str, Any]:
        """The record as column values, with defaults applied and instants in UTC."""
        kind = self.kind or ("level" if self.name in LEVEL_COUNTERS else "flow")
        return {
            "external_id": self.external_id,
            "source": self.source or source,
            "name": self.name,
            "value": self.value,
            "at": self.at.astimezone(UTC),
            "kind": kind,
            "attributes": attribute_strings(self.attributes),
        }


def _to_utc(value: AwareDatetime | None) -> AwareDatetime | None:
    return value.astimezone(UTC) if value is not None else None
