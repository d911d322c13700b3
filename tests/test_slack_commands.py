"""Slash commands end to end: the real server on loopback, requests signed as Slack signs them,
and a fake Slack Web API on loopback recording what the bot calls."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from handlers.deps import Deps
from storage.db import session_scope
from storage.ingest import upsert_responses, upsert_tickets
from tests.fakeslack import TEAM
from tests.harness import SECRET, Bot, serve_bot
from tests.slack_requests import command_body, signed


def seed(deps: Deps) -> None:
    now = datetime.now(UTC)
    rows = []
    for i, (score, team, segment) in enumerate(
        [(10, "care", "payload-team")] * 20
        + [(7, "care", "smb")] * 10
        + [(2, "billing", "smb")] * 10
    ):
        rows.append(
            {
                "external_id": f"r{i}",
                "source": "api",
                "survey": "nps",
                "score": score,
                "scale_max": 10,
                "comment": None,
                "customer_id": None,
                "submitted_at": now - timedelta(days=1, minutes=i),
                "attributes": {"team": team, "segment": segment},
            }
        )
    tickets = []
    for i in range(12):
        created = now - timedelta(hours=30 + i)
        tickets.append(
            {
                "external_id": f"t{i}",
                "source": "api",
                "created_at": created,
                "first_response_at": created + timedelta(minutes=10 + 5 * i),
                "resolved_at": created + timedelta(hours=2),
                "handle_seconds": 1200.0,
                "contacts": 1 + (i % 4 == 0),
                "escalated": False,
                "reopened": False,
                "channel": "email" if i % 2 else "chat",
                "team": ("care", "billing")[i % 2],
                "agent": "ana",
                "customer_id": None,
                "attributes": {},
            }
        )
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
        upsert_tickets(session=session, rows=tickets)


@pytest.fixture
def bot(db_url: str, request: pytest.FixtureRequest) -> Iterator[Bot]:
    extra: dict[str, Any] = getattr(request, "param", {})
    with serve_bot(db_url, seed=seed, **extra) as running:
        yield running


def blocks_text(answer: dict[str, Any]) -> str:
    return str(answer["blocks"])


def test_nps_answers_in_the_acknowledgement(bot: Bot) -> None:
    reply = bot.command("/nps", "last-30d")
    assert reply.status_code == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("NPS last-30d: +25 (n = 40)")  # 100 × (20 − 10) / 40
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "NPS · last-30d"},
    }
    text = blocks_text(body)
    assert "Promoters 50.0% (20)" in text
    assert "Detractors 25.0% (10)" in text
    assert "95% confidence interval" in text
    assert [c.method for c in bot.slack.calls if c.method != "auth.test"] == ["users.info"]


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/kpi", "frt last-7d channel=email", "First response time · last-7d"),
        ("/kpi", "frt this-week channel=email", "First response time · this-week"),
        ("/kpi", "csat last-7d share", "CSAT · last-7d"),
        ("/kpi", "liste", "Catalogue des KPI"),  # a French word: a French answer
        ("/kpi", "list", "KPI catalogue"),
        ("/kpi", "fcr last-quarter by team", "First contact resolution · last-quarter · by team"),
        ("/kpi", "dmt mtd", "Average handle time · mtd"),
        ("/kpi", "nps last-30d by team top=1", "NPS · last-30d · by team"),
        ("/csat", "last-7d", "CSAT · last-7d"),
        ("/ces", "", "CES · last-30d"),
        ("/enps", "this-week", "eNPS · this-week"),
    ],
)
def test_every_command_form(bot: Bot, command: str, text: str, expected: str) -> None:
    body = bot.command(command, text).json()
    assert body["blocks"][0]["text"]["text"] == expected
    assert len(body["blocks"]) <= 50


def test_groups_are_a_native_table(bot: Bot) -> None:
    from slack_sdk.models.blocks import Block

    body = bot.command("/kpi", "nps last-30d by team top=1").json()
    [table] = [b for b in body["blocks"] if b["type"] == "table"]
    Block.parse(table).validate_json()  # type: ignore[union-attr]
    labels = [row[0]["text"] for row in table["rows"]]
    assert labels == ["team", "care", "other"]
    assert "care" in body["text"]
    assert "other" in body["text"]


def test_durations_read_as_people_write_them(bot: Bot) -> None:
    body = bot.command("/kpi", "frt last-7d").json()
    text = blocks_text(body)
    assert "37 min" in text  # mean of 10, 15, … 65 minutes
    assert "median" in text


def test_share_posts_in_the_channel(bot: Bot) -> None:
    body = bot.command("/nps", "last-30d share").json()
    assert body["response_type"] == "in_channel"


def test_list_and_help(bot: Bot) -> None:
    listing = bot.command("/kpi", "list").json()
    assert "`nps`" in blocks_text(listing)
    assert "`bounce-rate`" in blocks_text(listing)
    for text in ("help", ""):
        usage = bot.command("/kpi", text).json()
        assert "/kpi <kpi> [period]" in blocks_text(usage)
        assert usage["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    ("command", "text", "words"),
    [
        ("/kpi", "npss last-30d", ["unknown KPI 'npss'", "`nps`"]),
        ("/nps", "last-fortnight", ["unknown period", "`last-30d`"]),
        ("/nps", "last-30d taem=care", ["unknown attribute 'taem'", "`team`"]),
        ("/nps", "last-30d top=lots", ["top needs a whole number"]),
        ("/nps", "last-7d yesterday", ["only one period at a time"]),
    ],
)
def test_bad_input_answers_ephemerally_with_usage(
    bot: Bot, command: str, text: str, words: list[str]
) -> None:
    reply = bot.command(command, text)
    assert reply.status_code == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    rendered = blocks_text(body)
    for word in words:
        assert word in rendered
    assert "/kpi <kpi> [period]" in rendered
    assert "Traceback" not in rendered


def test_the_word_payload_in_the_text_still_gets_an_answer(bot: Bot) -> None:
    body = bot.command("/kpi", "nps last-30d segment=payload-team").json()
    assert body["text"].startswith("NPS last-30d: +100 (n = 20)")


def test_forged_unsigned_and_stale_requests_get_401(bot: Bot) -> None:
    assert bot.command("/nps", "last-30d", secret="not-the-secret").status_code == 401
    forged_payload = bot.command("/kpi", "nps segment=payload-team", secret="not-the-secret")
    assert forged_payload.status_code == 401  # our own form parsing does not skip the check
    stale = int(time.time()) - 6 * 60
    assert bot.command("/nps", "last-30d", timestamp=stale).status_code == 401
    body = command_body("/nps", "last-30d")
    unsigned = httpx.post(
        f"{bot.url}/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert unsigned.status_code == 401
    assert bot.slack.calls == []  # nothing was done for them


def test_a_slack_retry_gets_no_second_answer(bot: Bot) -> None:
    first = bot.command("/nps", "last-30d share", trigger_id="9.9.9")
    assert first.json()["text"].startswith("NPS last-30d")
    before = list(bot.slack.calls)
    reply = bot.command(
        "/nps",
        "last-30d share",
        trigger_id="9.9.9",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert reply.status_code == 200
    assert reply.content in (b"", b"{}")
    time.sleep(0.3)  # nothing is posted later either
    assert bot.slack.calls == before
    assert bot.slack.of("response/r1") == []


def test_rate_limits_and_server_errors_are_retried(bot: Bot) -> None:
    bot.deps.answer_deadline = 10.0  # answered in the ack, however long the retries sleep
    bot.slack.fail_next("users.info", 429, {"ok": False, "error": "ratelimited"})
    assert bot.command("/nps", "last-30d").json()["text"].startswith("NPS last-30d")
    limited = bot.slack.of("users.info")
    assert len(limited) == 2  # Retry-After honoured, then the same call again
    bot.slack.users["U0ANA"] = {"id": "U0ANA", "team_id": TEAM}
    bot.slack.fail_next("users.info", 500, {"ok": False, "error": "internal_error"})
    assert bot.command("/nps", "last-30d", user_id="U0ANA").json()["text"].startswith("NPS")
    assert len(bot.slack.of("users.info")) == 4


def test_a_slack_outage_is_said_not_hidden(bot: Bot) -> None:
    bot.slack.fail_next("users.info", 200, {"ok": False, "error": "fatal_error"})
    body = bot.command("/nps", "last-30d").json()
    assert body["response_type"] == "ephemeral"
    assert body["text"]
    assert not body["text"].startswith("NPS")


def test_a_slow_rate_limit_moves_the_answer_to_response_url(bot: Bot) -> None:
    bot.deps.answer_deadline = 0.3
    bot.slack.retry_after = 2  # the retry waits Retry-After plus up to 1 s of jitter
    released = threading.Event()
    waited: list[float] = []

    def wait(seconds: float) -> None:  # Slack's rate limit, held until the ack is back
        waited.append(seconds)
        released.wait(10)

    bot.deps.slack_wait = wait
    bot.slack.fail_next("users.info", 429, {"ok": False, "error": "ratelimited"})
    start = time.monotonic()
    ack = bot.command("/nps", "last-30d").json()
    assert time.monotonic() - start < 1.5  # the ack did not wait for the retry
    assert "Crunching" in ack["text"]
    assert 2 <= waited[0] < 3  # Retry-After honoured
    released.set()
    deadline = time.monotonic() + 10
    while not bot.slack.of("response/r1") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.slack.of("response/r1")[0].body["text"].startswith("NPS last-30d")


def test_guests_and_other_organisations_are_refused(bot: Bot) -> None:
    bot.slack.member("U0GUEST", is_restricted=True)
    bot.slack.member("U0SINGLE", is_ultra_restricted=True)
    bot.slack.users["U0OTHER"] = {"id": "U0OTHER", "team_id": "T0ELSEWHERE"}
    for user, reason in (
        ("U0GUEST", "guests"),
        ("U0SINGLE", "guests"),
        ("U0OTHER", "other organisations"),
    ):
        body = bot.command("/nps", "last-30d", user_id=user).json()
        assert body["response_type"] == "ephemeral"
        assert reason in body["text"]
        assert "NPS" not in body["text"]


def test_grid_members_of_the_same_organisation_may_ask(bot: Bot) -> None:
    bot.slack.users["U0GRID"] = {
        "id": "U0GRID",
        "team_id": "T0SISTER",
        "enterprise_user": {"enterprise_id": "E0ORG", "teams": ["T0SISTER", TEAM]},
    }
    grid = bot.command("/nps", "last-30d", user_id="U0GRID", enterprise_id="E0ORG").json()
    assert grid["text"].startswith("NPS last-30d")
    other = bot.command("/nps", "last-30d", user_id="U0GRID", enterprise_id="E0ELSE").json()
    assert "other organisations" in other["text"]
    bot.slack.users["U0CONNECT"] = {
        "id": "U0CONNECT",
        "team_id": "T0SISTER",
        "is_stranger": True,
        "enterprise_user": {"enterprise_id": "E0ORG"},
    }
    stranger = bot.command("/nps", "last-30d", user_id="U0CONNECT", enterprise_id="E0ORG").json()
    assert "other organisations" in stranger["text"]


@pytest.mark.parametrize("bot", [{"viewers": "U0ANA,S0LEADS", "sharers": "U0ANA"}], indirect=True)
def test_viewers_and_sharers_narrow_access(bot: Bot) -> None:
    bot.slack.member("U0ANA")
    bot.slack.member("U0BOB")
    bot.slack.groups["S0LEADS"] = ["U0LEAD"]
    assert "KPIBOT_VIEWERS" in bot.command("/nps", "last-30d", user_id="U0BOB").json()["text"]
    assert bot.command("/nps", "last-30d").json()["text"].startswith("NPS")  # via the group
    refused = bot.command("/nps", "last-30d share").json()
    assert "KPIBOT_SHARERS" in refused["text"]
    shared = bot.command("/nps", "last-30d share", user_id="U0ANA").json()
    assert shared["response_type"] == "in_channel"


def test_a_slow_question_is_answered_through_response_url(bot: Bot) -> None:
    bot.deps.answer_deadline = 0.0
    ack = bot.command("/kpi", "nps last-30d share").json()
    assert "Crunching" in ack["text"]
    assert ack["response_type"] == "ephemeral"
    deadline = time.monotonic() + 10
    while not bot.slack.of("response/r1") and time.monotonic() < deadline:
        time.sleep(0.05)
    posted = bot.slack.of("response/r1")
    assert len(posted) == 1
    assert posted[0].body["text"].startswith("NPS last-30d: +25")
    assert posted[0].body["response_type"] == "in_channel"


@pytest.mark.parametrize("bot", [{"language": "fr"}], indirect=True)
def test_french_answers(bot: Bot) -> None:
    body = bot.command("/kpi", "dmr last-7d").json()
    assert body["blocks"][0]["text"]["text"] == "Délai moyen de réponse · last-7d"
    assert body["text"].startswith("Délai moyen de réponse last-7d")
    text = blocks_text(body)
    assert "Valeur" in text
    assert "Période précédente" in text
    assert "37 min" in text
    error = bot.command("/kpi", "npss").json()
    assert error["text"].startswith("Désolé")
    assert "KPI inconnu « npss »" in error["text"]
    assert "`nps`" in blocks_text(error)
    period = bot.command("/nps", "last-fortnight").json()
    assert "période non reconnue « last-fortnight »" in period["text"]


def test_signature_vector_from_slack_docs() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebho"
        "ok-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3"
        "97700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887"
        "a14d10d2c447fce8b6703c"
    )
    headers = signed(SECRET, body, timestamp=1531420618)
    assert headers["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_team_constant_matches_the_fake() -> None:
    assert TEAM == "T0KPIBOT"


def post_event(bot: Bot, event: dict[str, Any], *, secret: str = SECRET) -> httpx.Response:
    body = json.dumps(event)
    headers = {**signed(secret, body), "Content-Type": "application/json"}
    return httpx.post(f"{bot.url}/slack/events", content=body, headers=headers, timeout=10)


def test_events_share_the_url_and_the_home_tab_is_published(bot: Bot) -> None:
    challenge = post_event(bot, {"type": "url_verification", "challenge": "c-123"})
    assert challenge.json() == {"challenge": "c-123"}
    assert (
        post_event(bot, {"type": "url_verification", "challenge": "x"}, secret="bad").status_code
        == 401
    )
    opened = {
        "type": "event_callback",
        "team_id": TEAM,
        "api_app_id": "A0KPIBOT",
        "event_id": "Ev1",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": "U0LEAD", "channel": "D0LEAD", "tab": "home"},
    }
    assert post_event(bot, opened).status_code == 200
    published = bot.slack.of("views.publish")
    assert len(published) == 1
    assert published[0].body["user_id"] == "U0LEAD"
    view = published[0].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert "/kpi <kpi> [period]" in str(view["blocks"])


def test_a_small_sample_is_flagged(bot: Bot) -> None:
    body = bot.command("/nps", "last-30d team=billing").json()
    assert body["text"].startswith("NPS last-30d: \u2212100 (n = 10)")  # the minus sign
    context = [b for b in body["blocks"] if b["type"] == "context"]
    assert any("Fewer than 30 answers" in str(c) for c in context)
    assert "Fewer than 30" not in str(bot.command("/nps", "last-30d").json()["blocks"])
