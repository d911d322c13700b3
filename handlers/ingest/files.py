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

from pydantic import ValidationError
from sqlalchemy.orm import Session

from storage.db import SessionFactory, session_scope
from storage.ingest import Counts, upsert_counters, upsert_responses, upsert_tickets
from storage.schemas import check_source, fields, validate_rows

IMPORT_SOURCE = "import"
BATCH_SIZE = 5_000

RecordType = Literal["responses", "tickets", "metrics"]
FileFormat = Literal["csv", "jsonl"]

WRITERS: dict[str, Callable[..., Counts]] = {
    "responses": upsert_responses,
    "tickets": upsert_tickets,
    "metrics": upsert_counters,
}


#: A CSV row's values, in the header's order.
Row = list[str]
#: Reads a CSV file that is not in kpibot's field names (a vendor's export): given its header,
#: a function from a row's values to its record (None: a row to skip). Both raise `ColumnError`
#: for what they cannot read.
RowReader = Callable[[Row], Callable[[Row], "dict[str, Any] | None"]]
#: Validates a batch of records into rows to store (`storage.schemas.validate_rows`).
Validator = Callable[..., list[dict[str, Any]]]


class ColumnError(ValueError):
    """A value (or a header) a `RowReader` cannot read: the column and what is wrong."""

    def __init__(self, column: str | None, message: str) -> None:
        self.column = column
        self.message = message
        super().__init__(f"column '{column}': {message}" if column else message)


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
    #: Rows a `RowReader` skipped (e.g. an export's partial responses).
    skipped: int = 0
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


def _errors_by_item(exc: ValidationError) -> dict[int, tuple[str | None, str]]:
    """The first error of each invalid record of a batch: index → (field, message)."""
    found: dict[int, tuple[str | None, str]] = {}
    for error in exc.errors(include_url=False, include_context=False):
        index, *where = error["loc"]
        assert isinstance(index, int)
        if index not in found:
            field_name = ".".join(str(part) for part in where) or None
            found[index] = (field_name, error["msg"].removeprefix("Value error, "))
    return found


#: A row's raw text for the rejects file: the line itself (JSONL) or its CSV values, which
#: are only turned back into text for a row that is rejected.
Raw = str | list[str]


def _raw_text(raw: Raw) -> str:
    return raw if isinstance(raw, str) else _csv_text(raw)


#: A row a `RowReader` skipped.
SKIPPED = None


def _csv_records(
    text: IO[str], kind: str, row_reader: RowReader | None = None
) -> Iterator[tuple[int, dict[str, Any] | RowError | None, Raw]]:
    """(line, record or error, raw values) for each CSV row; extra columns become attributes
    (with a `row_reader`, it says what each row becomes; None for a row it skips)."""
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [name.strip().lstrip("\ufeff") for name in header]
    known = fields(kind)
    convert = None
    if row_reader is not None:
        try:
            convert = row_reader(header)
        except ColumnError as exc:
            raise RowError(1, exc.column, exc.message) from None
    end_line = reader.line_num
    for values in reader:
        line = end_line + 1
        end_line = reader.line_num
        raw = values
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield (
                line,
                RowError(line, None, f"{len(values)} values for {len(header)} columns"),
                raw,
            )
            continue
        if convert is not None:
            try:
                yield line, convert(values), raw
            except ColumnError as exc:
                yield line, RowError(line, exc.column, exc.message), raw
            continue
        record: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for name, value in zip(header, values, strict=True):
            if value == "":
                continue
            if name == "attributes":
                try:
                    parsed = json.loads(value)
                except ValueError as exc:  # JSONDecodeError, or an integer too long to read
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


def _jsonl_records(text: IO[str]) -> Iterator[tuple[int, dict[str, Any] | RowError, Raw]]:
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
        except ValueError as exc:  # an integer longer than Python reads (4,300 digits)
            yield line, RowError(line, None, f"not valid JSON: {exc}"), stripped
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
    row_reader: RowReader | None = None,
    validate: Validator = validate_rows,
) -> ImportReport:
    """Import one file in one transaction; raise RowError on the first bad row unless skipping.

    `progress` is called with the number of bytes read so far, after each batch. `writer`
    replaces the kind's plain upsert (the CLI passes the one that also raises alerts). A
    `row_reader` reads a CSV file that is not in kpibot's field names (a vendor's export, or
    `--map`), and `validate` replaces the plain validation (a preset's keeps the vendor's event
    times). An invalid `source` raises `ValueError` before anything is read.
    """
    writer = writer or WRITERS[kind]
    fmt = file_format or detect_format(path)
    if row_reader is not None and fmt != "csv":
        raise ValueError("presets and --map read CSV files")
    default_source = IMPORT_SOURCE if source is None else check_source(source)
    report = ImportReport()
    rejects: IO[str] | None = None
    rejects_writer: Any = None
    if skip_invalid:
        report.rejects_path = rejects_path or path.with_name(path.name + ".rejects.csv")

    def reject(error: RowError, raw: Raw) -> None:
        """Stop the import at a bad row, or write it to the rejects file with its reason."""
        nonlocal rejects, rejects_writer
        if not skip_invalid:
            raise error
        if rejects is None:
            assert report.rejects_path is not None
            rejects = report.rejects_path.open("w", encoding="utf-8", newline="")
            rejects_writer = csv.writer(rejects)
            rejects_writer.writerow(["line", "field", "reason", "raw"])
        rejects_writer.writerow([error.line, error.field or "", error.message, _raw_text(raw)])
        report.rejected += 1
        if len(report.errors) < 20:
            report.errors.append(error)

    raw_file, binary = _open_binary(path)
    position = raw_file.tell
    try:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        records = _csv_records(text, kind, row_reader) if fmt == "csv" else _jsonl_records(text)
        with session_scope(sessions) as session:
            # rows read but not yet validated, and (when skipping) the lines that could not
            # be read, in file order: a batch is validated at once (one call into
            # pydantic-core) and its rejects written in line order, so the first bad line is
            # still the one reported and bad lines scattered through a file cost no more
            # batches than clean ones
            pending: list[tuple[int, dict[str, Any] | RowError, Raw]] = []

            def write_pending(session: Session = session) -> None:
                batch = [record for _, record, _ in pending if not isinstance(record, RowError)]
                bad: dict[int, tuple[str | None, str]] = {}
                valid: list[dict[str, Any]] = []
                if batch:
                    try:
                        valid = validate(kind, batch, source=default_source)
                    except ValidationError as exc:
                        bad = _errors_by_item(exc)
                index = 0
                for line, record, raw in pending:
                    if isinstance(record, RowError):
                        reject(record, raw)
                        continue
                    if index in bad:
                        reject(RowError(line, *bad[index]), raw)
                    index += 1
                if bad:
                    kept = [r for i, r in enumerate(batch) if i not in bad]
                    valid = validate(kind, kept, source=default_source) if kept else []
                pending.clear()
                if valid:
                    counts = writer(session=session, rows=valid)
                    report.rows += len(valid)
                    report.created += counts.created
                    report.updated += counts.updated
                if progress is not None:
                    progress(position())

            for line, record, raw in records:
                if record is SKIPPED:
                    report.skipped += 1
                    continue
                if isinstance(record, RowError) and not skip_invalid:
                    write_pending()  # the rows before it may hold the first bad line
                    reject(record, raw)
                pending.append((line, record, raw))
                if len(pending) >= batch_size:
                    write_pending()
            write_pending()
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
