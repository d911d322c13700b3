"""Column types shared by the tables."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import orjson
from sqlalchemy import JSON, DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

E = TypeVar("E", bound=StrEnum)

#: Free string attributes: JSON on SQLite, JSONB on PostgreSQL.
AttributesJSON: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC.

    PostgreSQL keeps it as `timestamptz`; SQLite as naive UTC text, which sorts and compares
    correctly. Naive datetimes are refused on the way in: kpibot never guesses an offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: kpibot stores timezone-aware instants")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_text(value: datetime | None) -> str | None:
    """One aware instant as `UTCDateTime` stores it on SQLite: naive UTC text, microseconds."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: kpibot stores timezone-aware instants")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # without the "+00:00"


#: Whole seconds in orjson's UTC form ("…T10:00:00Z"), which leaves the fraction out.
_WHOLE_SECONDS = re.compile(rb':(\d\d)Z"')


def utc_texts(values: Sequence[datetime | None]) -> list[str | None]:
    """A column of aware instants as `utc_text` gives them, in bulk (None stays None).

    Ingest converts every instant of every record, and `datetime.isoformat` costs about a
    microsecond a call; orjson formats a whole column in Rust instead. Its RFC 3339 output
    ("2026-05-04T08:00:00.250000Z", the fraction only when there is one) is turned into the
    stored form with a few byte replacements over the whole column, then read back as strings.
    A column with any offset other than UTC (or a naive value, refused) goes through
    `utc_text` one value at a time.
    """
    present = len(values) - list(values).count(None)
    column = orjson.dumps(values, option=orjson.OPT_UTC_Z)
    if column.count(b'Z"') != present:  # some offset other than UTC, or a naive value
        return [utc_text(value) for value in values]
    fractions = column.count(b".")
    if fractions == 0:
        column = column.replace(b'Z"', b'.000000"')
    elif fractions == present:
        column = column.replace(b'Z"', b'"')
    else:
        column = _WHOLE_SECONDS.sub(rb':\1.000000"', column).replace(b'Z"', b'"')
    texts: list[str | None] = orjson.loads(column.replace(b"T", b" "))
    return texts


class StrEnumType(TypeDecorator[E]):
    """A `StrEnum` stored as its plain string value (a VARCHAR: no database enum type to
    migrate), read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self.enum(value).value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)
