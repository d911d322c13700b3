"""How `kpibot import` reads a vendor's export (`--preset`) or any CSV (`--map`): the reader,
the validation, the writer and the source the import uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.alerts.writers import AlertingResponsesWriter
from handlers.connectors.presets import Options, mapping_of, reader
from handlers.connectors.records import keeping_event_at
from handlers.connectors.registry import PRESETS
from handlers.deps import Deps
from handlers.ingest.files import RecordType, RowReader, Validator
from storage.ingest import Counts, merge_responses, merge_tickets
from storage.schemas import validate_rows


@dataclass(frozen=True)
class ImportPlan:
    """What `import_file` is given for a preset or a mapped CSV."""

    row_reader: RowReader
    validate: Validator
    #: None: the kind's usual writer (the CLI's alerting one for responses).
    writer: Callable[..., Counts] | None
    #: The source of the rows (a preset's is its vendor's, like its webhooks').
    source: str | None
    #: Why the rows a preset skips are skipped.
    skips: str = "rows that are not records"


def plan(
    deps: Deps,
    kind: RecordType,
    *,
    preset: str | None,
    mapping: str | None,
    tz: str | None,
    survey: str | None,
    scale_max: int | None,
    source: str | None,
) -> ImportPlan:
    """The import of a preset's export or of a mapped CSV; `ValueError` saying what is wrong
    with the options (before the file is read)."""
    zone = None
    if tz is not None:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"--tz: unknown IANA timezone {tz!r} (e.g. Europe/Paris)") from None
    options = Options(
        tz=zone,
        survey=survey,
        scale_max=scale_max,
        mapped=mapping_of(mapping or "", kind),
    )
    if preset is None:
        return ImportPlan(reader(kind, options), validate_rows, None, source)
    found = PRESETS.get(preset.lower())
    if found is None:
        raise ValueError(f"--preset: unknown preset {preset!r} (presets: {', '.join(PRESETS)})")
    if found.kind != kind:
        raise ValueError(
            f"the {found.name} preset reads {found.kind}: kpibot import {found.kind} FILE "
            f"--preset {found.name}"
        )
    if source is not None and source != found.source:
        raise ValueError(
            f"the {found.name} preset stores its rows with source {found.source}, as its "
            "webhooks do (so nothing is imported twice): leave --source out"
        )
    writer: Callable[..., Counts] = (
        merge_tickets if kind == "tickets" else AlertingResponsesWriter(deps, merge_responses)
    )
    return ImportPlan(
        reader(kind, options, found), keeping_event_at, writer, found.source, found.skips
    )
