"""Personal data end to end: erasure through the API and the CLI, retention, export, and the
redaction of the Slack messages that quoted a customer, through a Slack outage. The real
server, the fake Slack, SQLite files (scanned byte by byte, WAL included) and PostgreSQL
(every text column of every table)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from handlers.answers.service import answer_text
from handlers.digests.deliver import deliver
from handlers.formatting import to_json
from handlers.privacy.erase import forget_customer
from handlers.privacy.jobs import redact, retention
from handlers.privacy.redact import redact_pending
from handlers.rollups.jobs import refresh_now
from storage.db import session_scope
from storage.digests.store import create_subscription
from storage.digests.tables import Cadence, DigestSubscription, Trigger
from storage.privacy.tables import Redaction
from tests.harness import TOKEN, Bot, serve_bot

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
#: The daily digest of 24 November, posted at midnight.
DIGEST_SLOT = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
LEADS = "C0LEADS"
DIGESTS = "C0DIGEST"
GONE_ID = "cust-zeta-4471"
COMMENT = "Ma conseillère Gwendoline a raccroché deux fois"
EMAIL = "gwen.marchetti@example.org"
KEPT_ID = "cust-kept-0001"
KEPT_COMMENT = "Livraison rapide, merci"

#: Questions whose figures an erasure must not change (overall, by a column, by a segment).
QUESTIONS = ("nps last-30d by plan", "csat last-30d", "frt last-30d by channel", "tickets mtd")


def _answers(now: datetime) -> list[dict[str, Any]]:
    def at(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).isoformat()

    return [
        {
            "external_id": "r-gone-1",
            "survey": "nps",
            "score": 2,
            "comment": COMMENT,
            "customer_id": GONE_ID,
            "submitted_at": at(30),
            "attributes": {"plan": "pro", "email": EMAIL, "channel": "phone"},
        },
        {
            "external_id": "r-gone-2",
            "survey": "csat",
            "score": 1,
            "comment": f"{COMMENT} (relance)",
            "customer_id": GONE_ID,
            "submitted_at": at(20),
            "attributes": {"plan": "pro", "agent_note": f"rappeler {EMAIL}"},
        },
        {
            "external_id": "r-gone-3",
            "survey": "nps",
            "score": 9,
            "customer_id": GONE_ID,
            "submitted_at": at(60 * 24 * 3),  # a day the rollups hold
            "attributes": {"plan": "pro", "email": EMAIL},
        },
        {
            "external_id": "r-kept-1",
            "survey": "nps",
            "score": 3,
            "comment": KEPT_COMMENT,
            "customer_id": KEPT_ID,
            "submitted_at": at(25),
            "attributes": {"plan": "free", "email": "kept@example.org"},
        },
        {
            "external_id": "r-kept-2",
            "survey": "csat",
            "score": 5,
            "customer_id": KEPT_ID,
            "submitted_at": at(60 * 30),
            "attributes": {"plan": "free"},
        },
    ]


def _tickets(now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"t-{who}-{i}",
            "created_at": (now - timedelta(hours=5 + i)).isoformat(),
            "first_response_at": (now - timedelta(hours=4 + i)).isoformat(),
            "resolved_at": (now - timedelta(hours=1)).isoformat() if i else None,
            "channel": ("email", "chat")[i % 2],
            "customer_id": customer,
            "attributes": {"plan": "pro", "phone": "+33 6 12 34 56 78"}
            if customer == GONE_ID
            else {"plan": "free"},
        }
        for i in range(3)
        for who, customer in (("gone", GONE_ID), ("kept", KEPT_ID))
    ]


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with serve_bot(
        db_url,
        members=("U0ADMIN", "U0LEAD"),
        admins=["U0ADMIN"],
        clock=lambda: NOW,
    ) as running:
        yield running


def _figures(bot: Bot) -> list[Any]:
    out = []
    for question in QUESTIONS:
        result = to_json(answer_text(deps=bot.deps, text=question))
        result.pop("computed_at", None)
        out.append(result)
    return out


def _subscribe(bot: Bot, filters: list[str] | None = None, channel: str = DIGESTS) -> int:
    with session_scope(bot.deps.sessions) as session:
        return create_subscription(
            session=session,
            subscription=DigestSubscription(
                channel_id=channel,
                cadence=Cadence.DAILY,
                cron="0 0 * * *",
                timezone="UTC",
                kpis=["nps", "csat"],
                filters=filters or [],
                created_by="U0ADMIN",
                created_at=NOW - timedelta(days=3),
                updated_at=NOW - timedelta(days=3),
            ),
        )


def _world(bot: Bot) -> tuple[int, int]:
    """A route, the answers and tickets, the alerts posted, a digest quoting the comments and
    one filtered on the customer; returns the two subscriptions."""
    text_ = bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>")
    assert "Route *d" in text_
    rule = bot.kpi_text(f"alert when nps last-7d customer_id={GONE_ID} < 50 <#{LEADS}|leads>")
    assert "Rule *t" in rule, rule
    bot.ingest(_answers(NOW))
    bot.ingest(_tickets(NOW), kind="tickets")
    assert bot.work() == ["posted", "posted", "posted"]
    everyone = _subscribe(bot)
    theirs = _subscribe(bot, [f"customer_id={GONE_ID}"], channel="C0KEYACCOUNT")
    for sid in (everyone, theirs):
        done = deliver(
            bot.deps,
            bot.client(),
            sid,
            DIGEST_SLOT,
            now=DIGEST_SLOT,
            trigger=Trigger.SCHEDULER,
        )
        assert done.status == "sent", done
    [digest] = bot.slack.posted(DIGESTS)
    assert COMMENT in str(digest.body["blocks"])
    assert GONE_ID in str(digest.body["blocks"])
    return everyone, theirs


def _delete(bot: Bot, customer_id: str) -> httpx.Response:
    return httpx.delete(
        f"{bot.url}/api/v1/customers/{customer_id}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )


def _traces(bot: Bot, needles: list[str]) -> list[str]:
    """Where any needle still is: the SQLite file and its WAL byte by byte; on PostgreSQL
    every text, varchar and JSON column of every table."""
    url = make_url(bot.settings.database_url)
    if url.get_backend_name() == "sqlite":
        found = []
        for suffix in ("", "-wal", "-journal"):
            path = Path(str(url.database) + suffix)
            if path.exists():
                data = path.read_bytes()
                found += [f"{path.name}: {n}" for n in needles if n.encode() in data]
        return found
    found = []
    with bot.deps.engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'json', 'jsonb')"
            )
        ).all()
        assert len(columns) > 40  # every table's text columns, not a few
        for table, column in columns:
            for needle in needles:
                hits = connection.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE :n'),
                    {"n": f"%{needle}%"},
                ).scalar_one()
                if hits:
                    found.append(f"{table}.{column}: {needle}")
    return found


NEEDLES = [GONE_ID, COMMENT, EMAIL, "+33 6 12 34 56 78", "Gwendoline"]


def test_erasure_removes_every_trace_keeps_the_figures_and_redacts_through_an_outage(
    bot: Bot,
) -> None:
    _, theirs = _world(bot)
    built = refresh_now(bot.deps)  # the segment rollups: by plan, never by e-mail address
    assert {d for _, d in built.segments} == {"plan", "channel"}
    before = _figures(bot)
    assert _traces(bot, NEEDLES)  # the scan sees the data while it is there
    bot.slack.fail["chat.update"] = (503, {"ok": False, "error": "service_unavailable"})

    reply = _delete(bot, GONE_ID)

    assert reply.status_code == 200, reply.text
    body = reply.json()
    erased = body["erased"]
    assert erased["survey_responses"] == 3
    assert erased["tickets"] == 3
    assert erased["alerts"] == 2
    assert erased["digest_subscriptions_removed"] == [theirs]
    assert len(erased["threshold_rules_removed"]) == 1
    # two alert messages, the everyone digest, the key-account digest, the threshold alert
    slack = body["slack"]
    assert slack["messages"] >= 4
    assert slack["pending"] == slack["messages"]  # Slack is down: queued, not skipped
    assert slack["redacted"] == 0
    assert not _traces(bot, NEEDLES), "personal data left in the database"
    assert _figures(bot) == before
    assert [p for p in bot.slack.posted(LEADS) if KEPT_COMMENT in str(p.body["blocks"])]

    # Slack comes back: the worker redacts every message once
    del bot.slack.fail["chat.update"]
    later = NOW + timedelta(hours=1)
    run = redact_pending(bot.deps, bot.client(), now=later)
    assert run.retry == []
    assert len(run.redacted) + len(run.gone) == slack["messages"]
    updates = [c for c in bot.slack.of("chat.update") if c.answered_ok]
    shown = " ".join(json.dumps(c.body, ensure_ascii=False) for c in updates)
    for needle in NEEDLES:
        assert needle not in shown
    assert "the customer asked for their data to be erased" in shown
    lead_updates = [c for c in updates if c.body["channel"] == LEADS]
    assert len(lead_updates) == 2  # the two alerts of the erased answers, not the other's
    assert all(KEPT_COMMENT not in json.dumps(c.body, ensure_ascii=False) for c in lead_updates)
    digest_ts = bot.slack.posted(DIGESTS)[0].body
    digest_update = [c for c in updates if c.body["channel"] == DIGESTS]
    assert len(digest_update) == 1
    assert "NPS" in json.dumps(digest_update[0].body, ensure_ascii=False)  # the figures stay
    assert KEPT_COMMENT in json.dumps(
        digest_update[0].body, ensure_ascii=False
    )  # another customer's comment too
    assert digest_ts
    with session_scope(bot.deps.sessions) as session:
        rows = list(session.scalars(select(Redaction)))
    assert {r.status for r in rows} <= {"done", "gone"}
    assert redact_pending(bot.deps, bot.client(), now=later).redacted == []  # nothing twice
    assert redact(bot.deps, bot.client()).redacted == []


def test_erasure_answers_what_it_did_and_refuses_bad_calls(bot: Bot) -> None:
    bot.ingest(_answers(NOW))
    nobody = _delete(bot, "cust-never-seen")
    assert nobody.status_code == 200
    assert nobody.json()["erased"]["survey_responses"] == 0
    unauthorised = httpx.delete(f"{bot.url}/api/v1/customers/{GONE_ID}", timeout=10)
    assert unauthorised.status_code == 401
    blank = _delete(bot, "%20")
    assert blank.status_code == 422
    assert blank.json()["field"] == "customer_id"
    assert _delete(bot, GONE_ID).json()["erased"]["survey_responses"] == 3
    assert _delete(bot, GONE_ID).json()["erased"]["survey_responses"] == 0  # idempotent


def test_export_lists_everything_held_about_a_customer(bot: Bot) -> None:
    _world(bot)
    reply = httpx.get(
        f"{bot.url}/api/v1/customers/{GONE_ID}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert reply.status_code == 200
    data = reply.json()
    assert {r["external_id"] for r in data["survey_responses"]} == {
        "r-gone-1",
        "r-gone-2",
        "r-gone-3",
    }
    assert COMMENT in {r["comment"] for r in data["survey_responses"]}
    assert any(r["attributes"].get("email") == EMAIL for r in data["survey_responses"])
    assert len(data["tickets"]) == 3
    assert len(data["alerts"]) == 2
    assert {a["message_channel"] for a in data["alerts"]} == {LEADS}
    assert {m["channel_id"] for m in data["digest_messages"]} == {DIGESTS, "C0KEYACCOUNT"}
    assert len(data["filtered_on_them"]["digest_subscriptions"]) == 1
    assert len(data["filtered_on_them"]["threshold_rules"]) == 1
    assert KEPT_ID not in json.dumps(data, ensure_ascii=False)
    _delete(bot, GONE_ID)
    after = httpx.get(
        f"{bot.url}/api/v1/customers/{GONE_ID}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ).json()
    assert after["survey_responses"] == after["tickets"] == after["alerts"] == []


def test_the_cli_forgets_and_exports(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import cli

    bot.ingest(_answers(NOW))
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    runner = CliRunner()
    exported = runner.invoke(cli, ["export", "customer", GONE_ID])
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(exported.stdout)["survey_responses"]) == 3
    forgot = runner.invoke(cli, ["forget", "customer", GONE_ID])
    assert forgot.exit_code == 0, forgot.output
    assert json.loads(forgot.stdout)["erased"]["survey_responses"] == 3
    again = runner.invoke(cli, ["export", "customer", GONE_ID])
    assert json.loads(again.stdout)["survey_responses"] == []
    bad = runner.invoke(cli, ["forget", "customer", " "])
    assert bad.exit_code == 2
    assert "empty" in bad.output


def test_retention_removes_only_what_is_older(db_url: str) -> None:
    with serve_bot(
        db_url,
        members=("U0ADMIN", "U0LEAD"),
        admins=["U0ADMIN"],
        clock=lambda: NOW,
        comment_retention="2d",
    ) as bot:
        bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>")
        old = NOW - timedelta(days=2, hours=1)
        bot.ingest(
            [
                {**a, "submitted_at": (old - timedelta(minutes=i)).isoformat()}
                for i, a in enumerate(_answers(NOW)[:2])
            ]
        )
        bot.ingest(_answers(NOW)[3:4])  # a fresh detractor
        bot.ingest(_tickets(NOW - timedelta(days=3)), kind="tickets")
        assert bot.work() == ["posted"]  # the old ones are too old to alert
        before = _figures(bot)
        done = retention(bot.deps, bot.client(), now=NOW)
        assert done is not None
        assert (done.responses, done.tickets) == (2, 4)  # open tickets keep their customer
        assert retention(bot.deps, bot.client(), now=NOW) is None  # once a day
        assert not _traces(bot, [COMMENT, EMAIL])
        assert _traces(bot, [KEPT_COMMENT])  # newer than the retention period
        with bot.deps.engine.connect() as connection:
            open_ids = connection.execute(
                text("SELECT count(*) FROM tickets WHERE customer_id IS NOT NULL")
            ).scalar_one()
        assert open_ids == 2
        assert _figures(bot) == before


def test_a_digest_being_posted_during_an_erasure_is_redacted_after(bot: Bot) -> None:
    bot.ingest(_answers(NOW))
    sid = _subscribe(bot)
    erased: list[Any] = []
    bot.slack.meanwhile["chat.postMessage"] = lambda: erased.append(
        forget_customer(bot.deps, GONE_ID)
    )
    done = deliver(
        bot.deps, bot.client(), sid, DIGEST_SLOT, now=DIGEST_SLOT, trigger=Trigger.SCHEDULER
    )
    assert done.status == "sent"
    assert erased[0].responses == 3  # the erasure ran while Slack was taking the digest
    [posted] = bot.slack.posted(DIGESTS)
    assert COMMENT in json.dumps(posted.body, ensure_ascii=False)  # composed before it
    assert not _traces(bot, NEEDLES)
    run = redact_pending(bot.deps, bot.client(), now=NOW + timedelta(hours=1))
    assert len(run.redacted) == 1
    [update] = [c for c in bot.slack.of("chat.update") if c.body["channel"] == DIGESTS]
    assert COMMENT not in json.dumps(update.body, ensure_ascii=False)
    assert GONE_ID not in json.dumps(update.body, ensure_ascii=False)
    assert KEPT_COMMENT in json.dumps(update.body, ensure_ascii=False)
