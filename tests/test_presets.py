"""`kpibot import … --preset NAME` on files shaped like the vendors' own exports, and `--map` on
any CSV: their columns and time formats, line-numbered errors, and no duplicates with what the
webhooks stored (same source, same ids). SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import cli
from storage.db import SessionFactory, session_scope
from storage.models import SurveyResponse, Ticket
from tests.connector_fixtures import NOW, connected_bot
from tests.vendors import typeform_response, zendesk_event

#: The columns of Zendesk's ticket CSV export, in its order (Zendesk's "Exporting data to a
#: JSON, CSV, or XML file"), with a custom field as Zendesk names them.
ZENDESK_COLUMNS = [
    "Id", "Requester", "Requester id", "Requester external id", "Requester email",
    "Requester domain", "Submitter", "Assignee", "Group", "Subject", "Tags", "Status",
    "Priority", "Via", "Ticket type", "Created at", "Updated at", "Assigned at", "Organization",
    "Due date", "Initially assigned at", "Solved at", "Resolution time", "Satisfaction Score",
    "Group stations", "Assignee stations", "Reopens", "Replies", "First reply time in minutes",
    "First reply time in minutes within business hours", "First resolution time in minutes",
    "First resolution time in minutes within business hours", "Full resolution time in minutes",
    "Full resolution time in minutes within business hours", "Agent wait time in minutes",
    "Agent wait time in minutes within business hours", "Requester wait time in minutes",
    "Requester wait time in minutes within business hours", "On hold time in minutes",
    "On hold time in minutes within business hours", "Product [list]",
]  # fmt: skip


def zendesk_row(**values: Any) -> list[Any]:
    row = {
        "Id": 5158, "Requester": "Laura Lopez", "Requester id": 8447388090494,
        "Requester external id": "", "Requester email": "laura@example.com",
        "Requester domain": "example.com", "Submitter": "Laura Lopez", "Assignee": "Ana Agent",
        "Group": "Billing", "Subject": "Cannot login to mobile app",
        "Tags": "mobile login priority-support", "Status": "Closed", "Priority": "High",
        "Via": "Mail", "Ticket type": "Problem", "Created at": "2026-03-29 01:30:00",
        "Updated at": "2026-03-30 10:00:00", "Assigned at": "2026-03-29 01:40:00",
        "Organization": "Acme", "Due date": "", "Initially assigned at": "2026-03-29 01:40:00",
        "Solved at": "2026-03-29 11:30:00", "Resolution time": 9, "Satisfaction Score": "Good",
        "Group stations": 1, "Assignee stations": 1, "Reopens": 0, "Replies": 2,
        "First reply time in minutes": 45, "First reply time in minutes within business hours": 0,
        "First resolution time in minutes": 540,
        "First resolution time in minutes within business hours": 30,
        "Full resolution time in minutes": 540,
        "Full resolution time in minutes within business hours": 30,
        "Agent wait time in minutes": 0, "Agent wait time in minutes within business hours": 0,
        "Requester wait time in minutes": 540,
        "Requester wait time in minutes within business hours": 30,
        "On hold time in minutes": 0, "On hold time in minutes within business hours": 0,
        "Product [list]": "mobile",
    }  # fmt: skip
    row.update(values)
    return [row[c] for c in ZENDESK_COLUMNS]


def write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # vendors write a BOM
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["import", *args, "--quiet"], env={"DATABASE_URL": db_url})
    return result.exit_code, result.output


def stored_tickets(factory: SessionFactory) -> dict[str, Ticket]:
    with session_scope(factory) as session:
        rows = session.execute(select(Ticket)).scalars().all()
        session.expunge_all()
    return {row.external_id: row for row in rows}


def stored_responses(factory: SessionFactory) -> dict[str, SurveyResponse]:
    with session_scope(factory) as session:
        rows = session.execute(select(SurveyResponse)).scalars().all()
        session.expunge_all()
    return {row.external_id: row for row in rows}


def test_zendesk_export_in_the_accounts_time_zone(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "export-2026-04-01.csv",
        ZENDESK_COLUMNS,
        [
            zendesk_row(),  # 01:30 Paris, the night summer time starts: 00:30 UTC
            zendesk_row(
                Id=5159,
                Via="Web Form",
                Status="Open",
                **{
                    "Created at": "2026-04-01 09:00:00",
                    "Solved at": "",
                    "First reply time in minutes": "",
                    "First resolution time in minutes": "",
                    "Group": "",
                },
            ),
            zendesk_row(
                Id=5160,
                Reopens=2,
                Via="Chat",
                **{"Solved at": "2026-04-02 09:00:00", "First resolution time in minutes": 60},
            ),
        ],
    )
    code, output = run(db_url, "tickets", str(path), "--preset", "zendesk", "--tz", "Europe/Paris")
    assert code == 0, output
    assert "3 rows imported (3 created, 0 updated)" in output
    found = stored_tickets(session_factory)
    first = found["5158"]
    created = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert (first.source, first.created_at) == ("zendesk", created)
    assert first.first_response_at == created + timedelta(minutes=45)
    assert first.resolved_at == created + timedelta(minutes=540)
    assert (first.channel, first.team, first.agent) == ("email", "Billing", "Ana Agent")
    assert (first.customer_id, first.reopened) == ("8447388090494", False)
    assert first.attributes == {
        "status": "closed",
        "priority": "high",
        "type": "problem",
        "tags": "mobile,login,priority-support",
        "satisfaction": "good",
    }
    assert first.event_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    open_one = found["5159"]
    assert (open_one.first_response_at, open_one.resolved_at) == (None, None)
    assert (open_one.channel, open_one.team) == ("web", None)
    reopened = found["5160"]
    assert reopened.reopened is True
    assert reopened.resolved_at == created + timedelta(minutes=60)  # the first resolution
    code, output = run(db_url, "tickets", str(path), "--preset", "zendesk", "--tz", "Europe/Paris")
    assert "(0 created, 3 updated)" in output
    assert len(stored_tickets(session_factory)) == 3


def test_zendesk_export_without_tz_is_refused_with_the_line(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    path = write(tmp_path / "export.csv", ZENDESK_COLUMNS, [zendesk_row(), zendesk_row(Id=2)])
    code, output = run(db_url, "tickets", str(path), "--preset", "zendesk")
    assert code != 0
    assert "line 2, field 'Created at'" in output
    assert "--tz" in output
    assert "nothing of this file was imported" in output
    assert stored_tickets(session_factory) == {}
    bad = write(tmp_path / "bad.csv", ZENDESK_COLUMNS, [zendesk_row(), zendesk_row(Reopens="x")])
    code, output = run(db_url, "tickets", str(bad), "--preset", "zendesk", "--tz", "UTC")
    assert "line 3, field 'Reopens': 'x' is not a whole number" in output
    missing = write(tmp_path / "other.csv", ["Ticket", "When"], [["1", "2026-01-01 10:00"]])
    code, output = run(db_url, "tickets", str(missing), "--preset", "zendesk", "--tz", "UTC")
    assert "line 1, field 'Id': the zendesk preset needs a 'Id' column" in output


def test_importing_after_the_webhooks_duplicates_nothing(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    webhook_reply = NOW - timedelta(days=2, hours=23)
    created = NOW - timedelta(days=3)
    with connected_bot(db_url) as bot:
        event = zendesk_event("ticket.created", at=created, created=created)
        assert bot.deliver("zendesk", event, at=NOW).status_code == 200
        answered = zendesk_event(
            "ticket.comment_added",
            at=webhook_reply,
            created=created,
            event={
                "comment": {
                    "id": "1",
                    "body": "On it",
                    "is_public": True,
                    "author": {"id": "9", "is_staff": True, "name": "Ana"},
                }
            },
        )
        assert bot.deliver("zendesk", answered, at=NOW).status_code == 200
        survey = typeform_response("tok-1", submitted=NOW - timedelta(days=1), nps=3)
        assert bot.deliver("typeform", survey, query="survey=nps").status_code == 200
    stamp = created.strftime("%Y-%m-%d %H:%M:%S")
    export = write(
        tmp_path / "zendesk.csv",
        ZENDESK_COLUMNS,
        [zendesk_row(**{"Created at": stamp, "First reply time in minutes": 90, "Group": "Care"})],
    )
    code, output = run(db_url, "tickets", str(export), "--preset", "zendesk", "--tz", "UTC")
    assert code == 0, output
    assert "(0 created, 1 updated)" in output, output
    [ticket] = stored_tickets(session_factory).values()
    assert ticket.first_response_at is not None
    assert ticket.first_response_at.replace(microsecond=0) == webhook_reply  # the first stays
    typeform = write(
        tmp_path / "responses.csv",
        ["#", "How likely are you to recommend us to a friend?", "Submit Date (UTC)"],
        [["tok-1", "3", (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")]],
    )
    _code, output = run(
        db_url,
        "responses",
        str(typeform),
        "--preset",
        "typeform",
        "--survey",
        "nps",
        "--map",
        "How likely are you to recommend us to a friend?=score",
    )
    assert "(0 created, 1 updated)" in output, output
    assert list(stored_responses(session_factory)) == ["tok-1"]


#: Intercom's Conversations dataset export: its columns carry the workspace's time zone.
INTERCOM_COLUMNS = [
    "Conversation ID", "Conversation started at (Europe/Paris)",
    "Conversation created at (Europe/Paris)", "Conversation first replied at (Europe/Paris)",
    "Conversation first closed at (Europe/Paris)", "Conversation last closed at (Europe/Paris)",
    "Conversation updated at (Europe/Paris)", "Started by", "Conversation source", "Channel",
    "Team currently assigned", "Teammate currently assigned", "Current conversation state",
    "Conversation tag", "Last teammate rating", "First response time (seconds)", "User ID",
    "User email", "Company name",
]  # fmt: skip


def test_intercom_conversations_export(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    rows = [
        ["1295", "2026-11-02 09:00:00", "2026-11-02 09:00:00", "2026-11-02 09:04:00",
         "2026-11-02 10:00:00", "2026-11-02 15:00:00", "2026-11-02 15:00:00", "User",
         "Messenger", "Chat", "Billing", "Ana Agent", "closed", "billing", "4", "240", "cu-42",
         "laura@example.com", "Acme"],
        ["1296", "2026-11-03 11:00:00", "2026-11-03 11:00:00", "", "", "", "2026-11-03 11:00:00",
         "User", "Email", "Email", "", "", "open", "", "", "", "cu-43", "bob@example.com", ""],
    ]  # fmt: skip
    path = write(tmp_path / "conversations.csv", INTERCOM_COLUMNS, rows)
    code, output = run(db_url, "tickets", str(path), "--preset", "intercom")
    assert code == 0, output
    found = stored_tickets(session_factory)
    first = found["1295"]
    assert first.source == "intercom"
    assert first.created_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert first.first_response_seconds == 240
    assert first.resolved_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the first close
    assert first.reopened is True  # closed again later
    assert (first.channel, first.team, first.agent, first.customer_id) == (
        "chat",
        "Billing",
        "Ana Agent",
        "cu-42",
    )
    assert (found["1296"].channel, found["1296"].resolved_at) == ("email", None)


FRESHDESK_COLUMNS = [
    "Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Agent", "Group",
    "Created time", "Due by Time", "Resolved time", "Closed time", "Last update time",
    "Initial response time", "Time tracked", "First response time (in hrs)",
    "Resolution time (in hrs)", "Agent interactions", "Customer interactions",
    "Resolution status", "First response status", "Tags", "Full name", "Contact ID",
]  # fmt: skip


def test_freshdesk_export(db_url: str, session_factory: SessionFactory, tmp_path: Path) -> None:
    rows = [
        ["432", "Invoice", "Closed", "Medium", "Email", "Question", "Ana", "Billing",
         "2026-11-02 09:00:00", "2026-11-04 09:00:00", "2026-11-02 12:00:00",
         "2026-11-03 12:00:00", "2026-11-03 12:00:00", "2026-11-02 09:30:00", "00:10:00",
         "0.5", "3.0", "2", "3", "Within SLA", "Within SLA", "invoice,vip", "Laura",
         "6000123456"],
        ["433", "Login", "Open", "High", "Portal", "Incident", "", "", "2026-11-05 08:00:00",
         "", "", "", "2026-11-05 08:00:00", "", "", "01:15:00", "", "0", "1", "", "", "",
         "Bob", "6000123457"],
    ]  # fmt: skip
    path = write(tmp_path / "tickets.csv", FRESHDESK_COLUMNS, rows)
    code, output = run(
        db_url, "tickets", str(path), "--preset", "freshdesk", "--tz", "America/New_York"
    )
    assert code == 0, output
    found = stored_tickets(session_factory)
    first = found["432"]
    assert first.created_at == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert (first.first_response_seconds, first.resolution_seconds) == (1800, 10800)
    assert (first.contacts, first.channel, first.team) == (3, "email", "Billing")
    assert first.attributes["tags"] == "invoice,vip"
    second = found["433"]
    assert second.first_response_at == datetime(2026, 11, 5, 14, 15, tzinfo=UTC)  # 1 h 15 min
    assert (second.channel, second.resolved_at, second.contacts) == ("web", None, 1)


#: Typeform's responses download: `#`, one column per question and hidden field, then its own.
TYPEFORM_COLUMNS = [
    "#", "How likely are you to recommend us to a friend?", "What could we do better?",
    "customer_id", "plan", "Response Type", "Start Date (UTC)", "Stage Date (UTC)",
    "Submit Date (UTC)", "Network ID", "Tags",
]  # fmt: skip


def test_typeform_responses_export(
    db_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    rows = [
        ["odwdp4nzj1xg6m9l36odwdp4nzlv2gcw", "9", "Nothing, great job", "cust-1", "pro",
         "completed", "2026-11-02 09:00:00", "null", "2026-11-02 09:01:30", "653e97acae", ""],
        ["x71for1wr6irs2rx71fotn12b3izh25v", "3", "Answer faster", "cust-2", "free",
         "completed", "2026-11-02 10:00:00", "null", "2026-11-02 10:02:00", "653e97acaf", ""],
        ["p0a8ialpkeo4t1cvx7p0a8ialqrfnpw9", "", "", "", "", "partial", "2026-11-02 11:00:00",
         "2026-11-02 11:01:00", "", "653e97acb0", ""],
    ]  # fmt: skip
    path = write(tmp_path / "responses.csv", TYPEFORM_COLUMNS, rows)
    mapping = (
        "How likely are you to recommend us to a friend?=score,What could we do better?=comment"
    )
    code, output = run(
        db_url, "responses", str(path), "--preset", "typeform", "--survey", "nps", "--map", mapping
    )
    assert code == 0, output
    assert "2 rows imported (2 created, 0 updated)" in output
    assert "1 rows skipped: partial responses and responses without a score" in output
    found = stored_responses(session_factory)
    first = found["odwdp4nzj1xg6m9l36odwdp4nzlv2gcw"]
    assert (first.source, first.survey, first.score, first.scale_max) == ("typeform", "nps", 9, 10)
    assert (first.comment, first.customer_id) == ("Nothing, great job", "cust-1")
    assert first.attributes == {"plan": "pro"}
    assert first.submitted_at == datetime(2026, 11, 2, 9, 1, 30, tzinfo=UTC)
    code, output = run(db_url, "responses", str(path), "--preset", "typeform", "--survey", "nps")
    assert "needs the scored question: --map 'QUESTION TITLE=score'" in output


def test_map_reads_any_csv(db_url: str, session_factory: SessionFactory, tmp_path: Path) -> None:
    path = write(
        tmp_path / "helpdesk.csv",
        ["Ticket", "Opened", "Answered", "Queue", "Plan", "Internal notes"],
        [["H-1", "2026-11-02 09:00", "2026-11-02T09:20:00+01:00", "Care", "pro", "ignored"]],
    )
    mapping = "Ticket=external_id,Opened=created_at,Answered=first_response_at,Queue=team,"
    mapping += "Plan=attributes.plan"
    code, output = run(
        db_url, "tickets", str(path), "--map", mapping, "--tz", "Europe/Paris", "--source", "zoho"
    )
    assert code == 0, output
    ticket = stored_tickets(session_factory)["H-1"]
    assert (ticket.source, ticket.team, ticket.attributes) == ("zoho", "Care", {"plan": "pro"})
    assert ticket.created_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert ticket.first_response_seconds == 1200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tickets", "--preset", "typeform"], "the typeform preset reads responses"),
        (["tickets", "--preset", "zendesk", "--source", "mine"], "leave --source out"),
        (["tickets", "--preset", "kayako"], "unknown preset 'kayako'"),
        (["tickets", "--map", "Ticket=ticket_no"], "'ticket_no' is not a field of tickets"),
        (["tickets", "--map", "Ticket"], "COLUMN=FIELD pairs"),
        (["tickets", "--map", "Ticket=external_id", "--tz", "Mars/Olympus"], "unknown IANA"),
        (["tickets", "--map", "Nope=external_id"], "names a column the file does not have"),
    ],
)
def test_bad_preset_and_map_options_are_refused_before_anything_is_stored(
    db_url: str, session_factory: SessionFactory, tmp_path: Path, args: list[str], message: str
) -> None:
    path = write(tmp_path / "file.csv", ["Ticket", "Opened"], [["1", "2026-11-02T09:00:00Z"]])
    code, output = run(db_url, args[0], str(path), *args[1:])
    assert code != 0
    assert message in output
    assert stored_tickets(session_factory) == {}


def test_the_import_help_names_every_preset() -> None:
    from handlers.connectors.registry import PRESETS

    shown = CliRunner().invoke(cli, ["import", "--help"]).output
    assert sorted(PRESETS) == ["freshdesk", "intercom", "typeform", "zendesk"]
    for name in PRESETS:
        assert name in shown
