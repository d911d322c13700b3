"""`kpibot import`: CSV and JSONL files, line numbers on errors, nothing half-written."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot import cli
from handlers.ingest.files import RowError, import_file
from storage.db import SessionFactory, session_scope
from storage.ingest import Counts, count_rows, upsert_responses
from storage.models import COUNTERS, RESPONSES, TICKETS, SurveyResponse, Ticket

HEADER = ["external_id", "survey", "score", "submitted_at", "comment", "plan", "channel"]


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def nps_rows(count: int) -> list[list[object]]:
    return [
        [f"r{i}", "nps", i % 11, f"2026-10-{1 + i % 28:02d}T10:00:00Z", "", "pro", "email"]
        for i in range(count)
    ]


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["import", *args, "--quiet"], env={"DATABASE_URL": db_url})
    return result.exit_code, result.output


def rejected(path: Path) -> list[dict[str, str]]:
    """The rows of a rejects file: line, field, reason, raw."""
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def responses(factory: SessionFactory) -> int:
    with session_scope(factory) as session:
        return count_rows(session=session, table=RESPONSES)


def test_csv_with_attribute_columns_and_reimport(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "answers.csv",
        [
            ["a1", "nps", 10, "2026-10-01T09:00:00+02:00", "Super, merci", "pro", "chat"],
            ["a2", "CSAT", 2, "2026-10-01T09:00:00Z", 'multi\nline "quoted"', "free", ""],
        ],
    )
    code, output = run(db_url, "responses", str(path))
    assert code == 0, output
    assert "2 rows imported (2 created, 0 updated)" in output
    code, output = run(db_url, "responses", str(path))
    assert "(0 created, 2 updated)" in output
    with session_scope(session_factory) as session:
        rows = {r.external_id: r for r in session.execute(select(SurveyResponse)).scalars()}
    assert rows["a1"].attributes == {"plan": "pro", "channel": "chat"}
    assert rows["a1"].source == "import"
    assert rows["a1"].submitted_at.isoformat() == "2026-10-01T07:00:00+00:00"
    assert rows["a2"].survey == "csat"
    assert rows["a2"].comment == 'multi\nline "quoted"'
    assert rows["a2"].attributes == {"plan": "free"}


def test_bad_line_stops_with_its_number_and_keeps_nothing(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    rows = nps_rows(12_000)
    rows[10_500][2] = 11  # the 10,501st record is on line 10,502 (the header is line 1)
    path = write_csv(tmp_path / "big.csv", rows)
    code, output = run(db_url, "responses", str(path))
    assert code == 1
    assert "line 10502, field 'score': score 11 is outside the nps scale 0–10" in output
    assert "nothing of this file was imported" in output
    assert responses(session_factory) == 0  # two batches had been written; both rolled back


def test_line_numbers_count_multiline_fields(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            ["a1", "nps", 9, "2026-10-01T09:00:00Z", "one\ntwo\nthree", "pro", "chat"],
            ["a2", "nps", 9, "2026-10-01T09:00:00", "", "pro", "chat"],
        ],
    )
    with pytest.raises(RowError) as info:
        import_file(sessions=session_factory, kind="responses", path=path)
    assert (info.value.line, info.value.field) == (5, "submitted_at")


def test_skip_invalid_writes_rejects_with_reasons(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    rows = nps_rows(10)
    rows[3][1] = "smiley"
    rows[7][3] = "2026-10-01 10:00"
    path = write_csv(tmp_path / "some.csv", rows)
    rejects = tmp_path / "rejected.csv"
    code, output = run(db_url, "responses", str(path), "--skip-invalid", "--rejects", str(rejects))
    assert code == 0, output
    assert "8 rows imported" in output
    assert "2 invalid rows skipped" in output
    assert responses(session_factory) == 8
    lines = rejected(rejects)
    assert [(r["line"], r["field"]) for r in lines] == [("5", "survey"), ("9", "submitted_at")]
    assert lines[0]["raw"].startswith("r3,smiley,3,")
    assert "Input should be" in lines[0]["reason"]


def test_jsonl_gzip_tickets_and_metrics(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    tickets = tmp_path / "tickets.jsonl.gz"
    with gzip.open(tickets, "wt", encoding="utf-8") as handle:
        for i in range(50):
            ticket = {
                "external_id": f"T{i}",
                "created_at": "2026-10-01T08:00:00Z",
                "resolved_at": "2026-10-01T10:00:00Z" if i % 2 else None,
                "escalated": i % 5 == 0,
                "channel": "email",
                "attributes": {"priority": "high"},
            }
            handle.write(json.dumps(ticket) + "\n\n")
    code, output = run(db_url, "tickets", str(tickets), "--source", "zendesk")
    assert code == 0, output
    metrics = tmp_path / "metrics.csv"
    write_csv(
        metrics,
        [
            ["sessions", 1000, "2026-10-01T00:00:00Z", ""],
            ["customers", 90, "2026-10-01T00:00:00Z", "level"],
        ],
        header=["name", "value", "at", "kind"],
    )
    code, output = run(db_url, "metrics", str(metrics))
    assert code == 0, output
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=TICKETS) == 50
        assert count_rows(session=session, table=COUNTERS) == 2
        sources = session.execute(select(col(Ticket.source)).distinct()).scalars().all()
        resolved = session.execute(
            select(func.count()).where(col(Ticket.resolved_at).is_not(None))
        ).scalar_one()
    assert sources == ["zendesk"]
    assert resolved == 25


def test_bad_json_line_and_unknown_format(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"external_id": "x"\n', encoding="utf-8")
    code, output = run(db_url, "responses", str(path))
    assert code == 1
    assert "line 1: not valid JSON" in output
    other = tmp_path / "r.txt"
    other.write_text("x", encoding="utf-8")
    code, output = run(db_url, "responses", str(other))
    assert code == 2
    assert "name it .csv or .jsonl" in output


def test_json_attributes_column(session_factory: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        [["x1", "ces", 6, "2026-10-01T09:00:00Z", '{"plan": "pro", "seats": 5}', "emea"]],
        header=["external_id", "survey", "score", "submitted_at", "attributes", "region"],
    )
    import_file(sessions=session_factory, kind="responses", path=path)
    with session_scope(session_factory) as session:
        stored = session.execute(select(SurveyResponse)).scalar_one()
    assert stored.attributes == {"plan": "pro", "seats": "5", "region": "emea"}


@pytest.mark.slow
def test_hundred_thousand_lines(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "100k.csv", nps_rows(100_000))
    seen: list[int] = []
    report = import_file(
        sessions=session_factory, kind="responses", path=path, progress=seen.append
    )
    assert (report.rows, report.created, report.updated) == (100_000, 100_000, 0)
    assert responses(session_factory) == 100_000
    assert seen[-1] == path.stat().st_size
    assert seen == sorted(seen)
    with session_scope(session_factory) as session:
        promoters = session.execute(
            select(func.count()).where(SurveyResponse.score >= 9)  # type: ignore[arg-type]
        ).scalar_one()
    assert promoters == sum(1 for i in range(100_000) if i % 11 >= 9)


def test_errors_come_in_file_order_across_validation_and_parsing(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Records are validated a batch at a time, yet the first bad line is the one reported:
    a bad score on line 3 comes before a short row on line 5 of the same batch."""
    rows: list[list[object]] = [list(r) for r in nps_rows(6)]
    rows[1][2] = 12  # line 3: valid CSV, invalid record
    rows[3] = ["r3", "nps"]  # line 5: a row with too few values
    path = write_csv(tmp_path / "mixed.csv", rows)
    code, output = run(db_url, "responses", str(path))
    assert code != 0
    assert "line 3, field 'score'" in output
    assert responses(session_factory) == 0
    rejects = tmp_path / "mixed.rejects.csv"
    code, output = run(db_url, "responses", str(path), "--skip-invalid", "--rejects", str(rejects))
    assert code == 0, output
    lines = rejected(rejects)
    assert [(r["line"], r["field"]) for r in lines] == [("3", "score"), ("5", "")]
    assert [r["raw"] for r in lines] == ["r1,nps,12,2026-10-02T10:00:00Z,,pro,email", "r3,nps"]
    assert responses(session_factory) == 4


def test_every_invalid_row_of_a_batch_is_rejected_and_the_rest_kept(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    rows = nps_rows(50)
    bad = {4, 5, 17, 49}
    for i in bad:
        rows[i][2] = -1
    path = write_csv(tmp_path / "many.csv", rows)
    report = import_file(
        sessions=session_factory, kind="responses", path=path, skip_invalid=True, batch_size=20
    )
    assert (report.rows, report.rejected, report.created) == (46, 4, 46)
    assert [e.line for e in report.errors] == [i + 2 for i in sorted(bad)]
    assert responses(session_factory) == 46


def test_rule_and_shape_errors_of_one_batch_come_in_file_order(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """A score off its scale (a rule across fields, line 3) before a timestamp without offset
    (a shape error, line 7): the first is reported; skipping rejects both and keeps the rest."""
    rows = nps_rows(8)
    rows[1][2] = 11
    rows[5][3] = "2026-10-01T10:00:00"
    path = write_csv(tmp_path / "rules.csv", rows)
    code, output = run(db_url, "responses", str(path))
    assert code != 0
    assert "line 3, field 'score'" in output
    rejects = tmp_path / "rules.rejects.csv"
    code, output = run(db_url, "responses", str(path), "--skip-invalid", "--rejects", str(rejects))
    assert code == 0, output
    lines = rejected(rejects)
    assert [(r["line"], r["field"]) for r in lines] == [("3", "score"), ("7", "submitted_at")]
    assert responses(session_factory) == 6


@pytest.mark.parametrize(
    ("source", "problem"),
    [("my crm", "contains a space"), ("", "is empty"), ("x" * 65, "is too long")],
)
def test_a_bad_source_is_refused_before_anything_is_read(
    db_url: str, session_factory: SessionFactory, tmp_path: Path, source: str, problem: str
) -> None:
    path = write_csv(tmp_path / "answers.csv", nps_rows(3))
    code, output = run(db_url, "responses", str(path), "--source", source)
    assert code == 2
    assert "Invalid value for '--source'" in output
    assert problem in output
    assert responses(session_factory) == 0
    with pytest.raises(ValueError, match=problem):
        import_file(sessions=session_factory, kind="responses", path=path, source=source)


def test_a_source_is_stripped(db_url: str, session_factory: SessionFactory, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "answers.csv", nps_rows(3))
    code, output = run(db_url, "responses", str(path), "--source", " crm ")
    assert code == 0, output
    with session_scope(session_factory) as session:
        sources = session.execute(select(col(SurveyResponse.source)).distinct()).scalars().all()
    assert sources == ["crm"]


def test_scattered_bad_lines_cost_no_extra_batches(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Lines that cannot be read (too few values) every other line: they wait in the batch
    with the rows, in line order, so 750 lines in batches of 250 take 3 writes, not 250."""
    rows: list[list[object]] = []
    for i, row in enumerate(nps_rows(500)):
        rows.append(row)
        if i % 2:
            rows.append([f"bad{i}", "nps"])
    rows[10][2] = 12  # line 12: a record that reads but does not validate, among them
    path = write_csv(tmp_path / "scattered.csv", rows)
    writes: list[int] = []

    def writer(*, session: Session, rows: list[dict[str, object]]) -> Counts:
        writes.append(len(rows))
        return upsert_responses(session=session, rows=rows)

    report = import_file(
        sessions=session_factory,
        kind="responses",
        path=path,
        skip_invalid=True,
        batch_size=250,
        writer=writer,
    )
    assert (report.rows, report.rejected) == (499, 251)
    assert writes == [166, 167, 166]  # the valid rows of each batch of 250 lines
    assert sum(writes) == 499
    lines = [e.line for e in report.errors]
    assert lines == sorted(lines)
    assert lines[:5] == [4, 7, 10, 12, 13]
    assert report.rejects_path is not None
    set_aside = rejected(report.rejects_path)
    assert len(set_aside) == 251
    assert [int(r["line"]) for r in set_aside] == sorted(int(r["line"]) for r in set_aside)
    assert responses(session_factory) == 499


def test_lines_the_database_could_not_take_are_bad_lines(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """An integer too long for Python to read, text with a NUL character (PostgreSQL cannot
    store one) and a count beyond the column's range are reported with their line like any
    other bad line, never a traceback; with --skip-invalid they are set aside."""
    good = {
        "external_id": "ok",
        "survey": "nps",
        "score": 9,
        "submitted_at": "2026-10-01T10:00:00Z",
    }
    lines = [
        json.dumps(good),
        json.dumps(good)
        .replace('"ok"', '"big"')
        .replace("}", ', "attributes": {"n": 1' + "0" * 5000 + "}}"),
        json.dumps({**good, "external_id": "nul", "comment": "a\u0000b"}),
    ]
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = run(db_url, "responses", str(path))
    assert code != 0
    assert "line 2: not valid JSON" in output
    assert responses(session_factory) == 0
    rejects = tmp_path / "rejects.csv"
    code, output = run(db_url, "responses", str(path), "--skip-invalid", "--rejects", str(rejects))
    assert code == 0, output
    assert [(r["line"], r["field"]) for r in rejected(rejects)] == [("2", ""), ("3", "comment")]
    assert responses(session_factory) == 1

    nul_csv = write_csv(
        tmp_path / "nul.csv", [["n1", "nps", 9, "2026-10-01T10:00:00Z", "a\x00b", "pro", ""]]
    )
    code, output = run(db_url, "responses", str(nul_csv))
    assert code != 0
    assert "line 2, field 'comment': text must not contain a NUL character" in output

    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text(
        json.dumps({"external_id": "t1", "created_at": "2026-10-01T10:00:00Z", "contacts": 10**30})
        + "\n",
        encoding="utf-8",
    )
    code, output = run(db_url, "tickets", str(tickets))
    assert code != 0
    assert "line 1, field 'contacts'" in output
    with session_scope(session_factory) as session:
        assert count_rows(session=session, table=TICKETS) == 0
