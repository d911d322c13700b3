"""Backfill from the tools' own exports: `kpibot import … --preset NAME` and `--map`.

A preset knows one vendor's export file: its column names, its time format and time zone, what
becomes what. Its rows are stored with the vendor's name as their `source` and its ids (the same
ones its webhooks send), through the same merge write as the webhooks, so importing last year
after the webhooks ran, or the webhooks re-sending what was imported, duplicates nothing.

`--map 'Created at=created_at,Group=team,Plan=attributes.plan'` reads any other CSV: each named
column becomes that field (or attribute); unnamed columns are ignored, except those already
named like a field. With a preset, `--map` adds to (or overrides) its columns.

Times without an offset are read in the zone the export states (Intercom writes it in the
column name, `Created at (Europe/Paris)`; Typeform writes UTC) or, where it does not (Zendesk
and Freshdesk write the account's time zone), the one `--tz` gives; kpibot never guesses one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.ingest.files import ColumnError, RecordType, Row, RowReader
from storage.schemas import fields as record_fields

#: The fields that are instants, per record kind.
INSTANTS = {
    "responses": ("submitted_at",),
    "tickets": ("created_at", "first_response_at", "resolved_at"),
    "metrics": ("at",),
}


@dataclass(frozen=True)
class Options:
    """What the command line adds to an export: its time zone, the survey kind, the scale, and
    the columns `--map` names (column → field or `attributes.NAME`)."""

    tz: ZoneInfo | None = None
    survey: str | None = None
    scale_max: int | None = None
    mapped: Mapping[str, str] = field(default_factory=dict)

    def column_of(self, target: str) -> str | None:
        """The column `--map` maps to a field, if any."""
        return next((column for column, t in self.mapped.items() if t == target), None)


class Columns:
    """A CSV header: columns found by name whatever their case, and a zone written in the name
    (`Conversation started at (America/New_York)`)."""

    _ZONE = re.compile(r"^(?P<name>.*?)\s*\((?P<zone>[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+){0,2})\)$")

    def __init__(self, header: Sequence[str]) -> None:
        self.header = list(header)
        self._index: dict[str, int] = {}
        self._zones: dict[int, ZoneInfo] = {}
        for i, raw in enumerate(self.header):
            name = raw.strip()
            found = self._ZONE.match(name)
            if found:
                try:
                    self._zones[i] = ZoneInfo(found["zone"])
                    name = found["name"]
                except (ZoneInfoNotFoundError, ValueError):
                    pass
            self._index.setdefault(name.lower(), i)

    def find(self, *names: str) -> int | None:
        """The index of the first of these columns the file has."""
        for name in names:
            index = self._index.get(name.lower())
            if index is not None:
                return index
        return None

    def need(self, preset: str, *names: str) -> int:
        """The index of a column the preset cannot do without; `ColumnError` naming it."""
        index = self.find(*names)
        if index is None:
            raise ColumnError(names[0], f"the {preset} preset needs a '{names[0]}' column")
        return index

    def zone(self, index: int, default: tzinfo | None) -> tzinfo | None:
        """The zone of a column's times: the one in its name, else `default`."""
        return self._zones.get(index, default)


def cell(values: Row, index: int | None) -> str | None:
    """A row's value in a column, stripped; None when the column is absent or the cell empty."""
    if index is None or index >= len(values):
        return None
    value = values[index].strip()
    return value or None


def local_instant(value: str, column: str, zone: tzinfo | None) -> datetime:
    """An export's time: ISO 8601 with an offset as it is, one without in `zone`."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        wrong = f"{value!r} is not a date and time (YYYY-MM-DD HH:MM:SS)"
        raise ColumnError(column, wrong) from None
    if parsed.tzinfo is None:
        if zone is None:
            raise ColumnError(
                column,
                f"{value!r} has no UTC offset: give the export's time zone with --tz "
                "(the account's time zone, e.g. --tz Europe/Paris)",
            )
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def minutes_after(start: datetime, value: str | None, column: str) -> datetime | None:
    """`start` plus a number of minutes (Zendesk's `… time in minutes`), None when empty."""
    return _after(start, value, column, 60)


def seconds_after(start: datetime, value: str | None, column: str) -> datetime | None:
    """`start` plus a number of seconds (Intercom's `… (seconds)`), None when empty."""
    return _after(start, value, column, 1)


def hours_after(start: datetime, value: str | None, column: str) -> datetime | None:
    """`start` plus a duration in hours, written `1.5` or `01:30:00` (Freshdesk)."""
    if value is None:
        return None
    clock = re.fullmatch(r"(\d+):([0-5]\d)(?::([0-5]\d))?", value)
    if clock:
        hours, minutes, seconds = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        return start + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return _after(start, value, column, 3600)


def _after(start: datetime, value: str | None, column: str, unit: float) -> datetime | None:
    if value is None:
        return None
    try:
        amount = float(value.replace(",", "."))
    except ValueError:
        raise ColumnError(column, f"{value!r} is not a number") from None
    if not 0 <= amount < 1e9:
        raise ColumnError(column, f"{value!r} is not a duration")
    return start + timedelta(seconds=amount * unit)


def count(value: str | None, column: str) -> int | None:
    """A whole number in a cell (`Reopens`), None when empty."""
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,9}(\.0+)?", value):
        raise ColumnError(column, f"{value!r} is not a whole number")
    return int(float(value))


#: A preset's rows: given the header and the options, a function from a row's values to its
#: record (None: a row the export holds that is not a record, e.g. a partial response).
PresetRows = Callable[[Columns, Options], Callable[[Row], dict[str, Any] | None]]


@dataclass(frozen=True)
class Preset:
    """One vendor's export file."""

    name: str
    kind: RecordType
    #: The `source` its rows are stored with: the vendor's webhooks' own.
    source: str
    rows: PresetRows
    #: What the export is, for `--help` and the docs.
    about: str
    #: Why a row may be skipped (said after an import that skipped some).
    skips: str = "rows that are not records"


def mapping_of(text: str, kind: RecordType) -> dict[str, str]:
    """`--map 'Created at=created_at,Group=team'` as {column: field}; `ValueError` saying what
    is wrong (an unknown field, a pair without `=`)."""
    known = record_fields(kind)
    out: dict[str, str] = {}
    for pair in (part for part in text.split(",") if part.strip()):
        column, sep, target = pair.rpartition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise ValueError(f"--map takes COLUMN=FIELD pairs separated by commas, not {pair!r}")
        if target.startswith("attributes."):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}", target[11:]):
                raise ValueError(f"{target!r} is not an attribute name")
        elif target not in known:
            raise ValueError(
                f"{target!r} is not a field of {kind} (fields: {', '.join(sorted(known))}; "
                "or attributes.NAME)"
            )
        out[column] = target
    return out


def _mapped(columns: Columns, options: Options, kind: RecordType, *, generic: bool) -> list[Any]:
    """(index, column, target) of the columns mapped by `--map` (and, without a preset, of the
    columns named like a field)."""
    out: list[tuple[int, str, str]] = []
    wanted = {column.lower(): target for column, target in options.mapped.items()}
    for column in options.mapped:
        if columns.find(column) is None:
            raise ColumnError(column, "--map names a column the file does not have")
    known = record_fields(kind) - {"attributes"}
    for index, raw in enumerate(columns.header):
        name = raw.strip()
        target = wanted.get(name.lower())
        if target is None and generic and name in known:
            target = name
        if target is not None:
            out.append((index, name, target))
    return out


def reader(kind: RecordType, options: Options, preset: Preset | None = None) -> RowReader:
    """The rows of a CSV file as records: the preset's (plus `--map`), or `--map` alone."""

    def start(header: Sequence[str]) -> Callable[[Row], dict[str, Any] | None]:
        columns = Columns(header)
        base = preset.rows(columns, options) if preset is not None else None
        extra = _mapped(columns, options, kind, generic=preset is None)
        instants = INSTANTS[kind]

        def convert(values: Row) -> dict[str, Any] | None:
            if base is not None:
                record = base(values)
                if record is None:
                    return None
            else:
                record = {"attributes": {}}
            for index, column, target in extra:
                value = cell(values, index)
                if target.startswith("attributes."):
                    if value is not None:
                        record.setdefault("attributes", {})[target[11:]] = value
                elif value is None:
                    continue
                elif target in instants:
                    zone = columns.zone(index, options.tz)
                    record[target] = local_instant(value, column, zone)
                else:
                    record[target] = value
            if preset is None and kind == "responses":
                if options.survey is not None:
                    record.setdefault("survey", options.survey)
                if options.scale_max is not None:
                    record.setdefault("scale_max", options.scale_max)
            if not record.get("attributes"):
                record.pop("attributes", None)
            return record

        return convert

    return start
