"""File import: CSV and JSONL (optionally gzipped) into the same idempotent upserts as the API.

Files are streamed in batches, so memory stays flat whatever their size. A file is one
transaction: the first bad row stops the import with its line number and the field at fault,
and nothing of the file is kept. With `skip_invalid`, bad rows are written with their reasons to
a rejects file and the rest is imported.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from storage.db import SessionFactory, session_scope
from storage.ingest import Counts, upsert_counters, upsert_responses, upsert_tickets
from storage.schemas import CounterIn, ResponseIn, TicketIn

IMPORT_SOURCE = "import"
BATCH_SIZE = 5_000

RecordType = Literal["responses", "tickets", "metrics"]
FileFormat = Literal["csv", "jsonl"]

MODELS: dict[str, type[BaseModel]] = {
    "responses": ResponseIn,
    "tickets": TicketIn,
    "metrics": CounterIn,
}
WRITERS: dict[str, Callable[..., Counts]] = {
    "responses": upsert_responses,
    "tickets": upsert_tickets,
    "metrics": upsert_counters,
}


class RowError(Exception):
    """A row the import cannot take: where it is and what is wrong with it."""

    def __init__(self, line: int, field: str | None, message: str) -> None:
        self.line = line
        self.field = field
        self.message = message
        where = f"line {line}" + (f", field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    errors: list[RowError] = field(default_factory=list)


def detect_format(path: Path) -> FileFormat:
    """CSV or JSONL from the file name (`.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last == ".csv":
        return "csv"
    if last in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(
        f"cannot tell the format of {path.name}: name it .csv or .jsonl, or pass --format"
    )


def _open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(the file on disk, the stream of its content): they differ for gzipped files."""
    raw = path.open("rb")
    if path.suffix.lower() == ".gz":
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw, raw


def _first_error(exc: ValidationError) -> tuple[str | None, str]:
    error = exc.errors(include_url=False, include_context=False)[0]
    field_name = ".".join(str(part) for part in error["loc"]) or None
    return field_name, error["msg"].removeprefix("Value error, ")


def _csv_records(
    text: IO[str], model: type[BaseModel]
) -> Iterator[tuple[int, dict[str, Any] | RowError, str]]:
    """(line, record or error, raw text) for each CSV row; extra columns become attributes."""
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [name.strip().lstrip("\ufeff") for name in header]
    known = set(model.model_fields)
    end_line = reader.line_num
    for values in reader:
        line = end_line + 1
        end_line = reader.line_num
        raw = _csv_text(values)
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield (
                line,
                RowError(line, None, f"{len(values)} values for {len(header)} columns"),
                raw,
            )
            continue
        record: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for name, value in zip(header, values, strict=True):
            if value == "":
                continue
            if name == "attributes":
                try:
                    parsed = json.loads(value)
                except json.JSONDecodeError as exc:
                    yield line, RowError(line, "attributes", f"not a JSON object: {exc}"), raw
                    break
                if not isinstance(parsed, dict):
                    yield line, RowError(line, "attributes", "not a JSON object"), raw
                    break
                attributes = {**parsed, **attributes}
            elif name.startswith("attributes."):
                attributes[name.removeprefix("attributes.")] = value
            elif name in known:
                record[name] = value
            else:
                attributes[name] = value
        else:
            if attributes:
                record["attributes"] = attributes
            yield line, record, raw


def _csv_text(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def _jsonl_records(text: IO[str]) -> Iterator[tuple[int, dict[str, Any] | RowError, str]]:
    """(line, record or error, raw text) for each non-blank JSONL line."""
    for line, raw in enumerate(text, start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield line, RowError(line, None, f"not valid JSON: {exc.msg}"), stripped
            continue
        if not isinstance(record, dict):
            yield line, RowError(line, None, "each line must be a JSON object"), stripped
            continue
        yield line, record, stripped


def import_file(
    *,
    sessions: SessionFactory,
    kind: RecordType,
    path: Path,
    file_format: FileFormat | None = None,
    source: str | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    writer: Callable[..., Counts] | None = None,
) -> ImportReport:
    """Import one file in one transaction; raise RowError on the first bad row unless skipping.

    `progress` is called with the number of bytes read so far, after each batch. `writer`
    replaces the kind's plain upsert (the CLI passes the one that also raises alerts).
    """
    model = MODELS[kind]
    writer = writer or WRITERS[kind]
    fmt = file_format or detect_format(path)
    default_source = source or IMPORT_SOURCE
    report = ImportReport()
    rejects: IO[str] | None = None
    rejects_writer: Any = None
    if skip_invalid:
        report.rejects_path = rejects_path or path.with_name(path.name + ".rejects.csv")

    raw_file, binary = _open_binary(path)
    position = raw_file.tell
    try:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        records = _csv_records(text, model) if fmt == "csv" else _jsonl_records(text)
        with session_scope(sessions) as session:
            batch: list[dict[str, Any]] = []

            def flush(session: Session = session) -> None:
                if batch:
                    counts = writer(session=session, rows=batch)
                    report.created += counts.created
                    report.updated += counts.updated
                    batch.clear()
                if progress is not None:
                    progress(position())

            for line, record, raw in records:
                error: RowError | None = None
                if isinstance(record, RowError):
                    error = record
                else:
                    if source is not None and "source" not in record:
                        record["source"] = source
                    try:
                        validated = model.model_validate(record)
                    except ValidationError as exc:
                        field_name, message = _first_error(exc)
                        error = RowError(line, field_name, message)
                    else:
                        batch.append(validated.row(default_source))  # type: ignore[attr-defined]
                        report.rows += 1
                if error is not None:
                    if not skip_invalid:
                        raise error
                    if rejects is None:
                        assert report.rejects_path is not None
                        rejects = report.rejects_path.open("w", encoding="utf-8", newline="")
                        rejects_writer = csv.writer(rejects)
                        rejects_writer.writerow(["line", "field", "reason", "raw"])
                    rejects_writer.writerow([error.line, error.field or "", error.message, raw])
                    report.rejected += 1
                    if len(report.errors) < 20:
                        report.errors.append(error)
                    continue
                if len(batch) >= batch_size:
                    flush()
            flush()
    except UnicodeDecodeError as exc:
        raise RowError(0, None, f"the file is not UTF-8 text: {exc.reason}") from exc
    finally:
        binary.close()
        raw_file.close()
        if rejects is not None:
            rejects.close()
    if report.rejected == 0:
        report.rejects_path = None
    return report
