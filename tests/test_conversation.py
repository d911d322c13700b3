"""Questions in plain words end to end, through the real server on loopback: a slash command,
an @kpibot mention and a direct message give the figures of the canonical command; retries,
replicas and bots never produce a second answer; the access rules of slash commands hold; an
unclear sentence gets help with buttons that ask the closest commands. On both databases."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.conversation.jobs import forget_now
from handlers.deps import Deps
from storage.conversation.tables import EVENT_CLAIMS, EventClaim, EventStatus
from storage.db import session_scope
from storage.ingest import upsert_responses, upsert_tickets
from tests.fakeslack import Call
from tests.harness import SECRET, Bot, serve_bot
from tests.slack_requests import direct_event, mention_event

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
OCTOBER = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


def seed(deps: Deps) -> None:
    """NPS answers of October (last month) and November, by plan and channel; tickets."""
    rows: list[dict[str, Any]] = []
    groups = [
        (OCTOBER, "enterprise", "email", [10] * 6 + [8] * 2 + [3] * 2),
        (OCTOBER, "enterprise", "chat", [9] * 4 + [2]),
        (OCTOBER, "pro", "email", [10] * 3 + [5] * 3),
        (OCTOBER, "free", "phone", [7] * 4),
        (NOW - timedelta(days=3), "enterprise", "email", [10, 10, 4]),
        (NOW - timedelta(days=1), "pro", "chat", [9, 6]),
    ]
    for at, plan, channel, scores in groups:
        for score in scores:
            rows.append(
                {
                    "external_id": f"r{len(rows)}",
                    "source": "api",
                    "survey": "nps",
                    "score": score,
                    "scale_max": 10,
                    "comment": None,
                    "customer_id": None,
                    "submitted_at": at + timedelta(minutes=len(rows)),
                    "attributes": {"plan": plan, "channel": channel},
                }
            )
    # a segment that is also a plan's name: "pro" alone is ambiguous
    rows[-1]["attributes"]["segment"] = "pro"
    tickets = []
    for i in range(10):
        created = NOW - timedelta(days=1, hours=i)
        tickets.append(
            {
                "external_id": f"t{i}",
                "source": "api",
                "created_at": created,
                "first_response_at": created + timedelta(minutes=10 * (i + 1)),
                "resolved_at": created + timedelta(hours=3),
                "handle_seconds": 900.0,
                "contacts": 1,
                "escalated": False,
                "reopened": False,
                "channel": ("email", "chat")[i % 2],
                "team": ("care", "billing")[i % 2],
                "agent": None,
                "customer_id": None,
                "attributes": {},
            }
        )
    with session_scope(deps.sessions) as session:
        upsert_responses(session=session, rows=rows)
        upsert_tickets(session=session, rows=tickets)


MEMBERS = ("U0ADMIN", "U0LEAD", "U0OTHER")


@pytest.fixture
def bot(db_url: str, request: pytest.FixtureRequest) -> Iterator[Bot]:
    extra: dict[str, Any] = getattr(request, "param", {})
    with serve_bot(db_url, members=MEMBERS, seed=seed, clock=lambda: NOW, **extra) as running:
        yield running


def without_understood(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if "Understood as" not in str(b) and "Compris :" not in str(b)]


def understood(blocks: list[dict[str, Any]]) -> str:
    lines = [str(b) for b in blocks if "Understood as" in str(b) or "Compris :" in str(b)]
    assert len(lines) == 1, blocks
    return lines[0]


def assert_same_answer(asked: dict[str, Any], canonical: dict[str, Any]) -> None:
    """The same figures, words and blocks, but for the "understood as" line."""
    assert asked["text"] == canonical["text"]
    assert without_understood(asked["blocks"]) == canonical["blocks"]


def blocks_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.body["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def claims(bot: Bot) -> list[EventClaim]:
    with session_scope(bot.deps.sessions) as session:
        table = EVENT_CLAIMS
        rows = session.scalars(select(EventClaim).order_by(table.c.claimed_at, table.c.event_id))
        return list(rows)


def settled(bot: Bot, within: float = 10.0) -> list[EventClaim]:
    """The claims once every answer has recorded how it ended (just after its post)."""
    deadline = time.monotonic() + within
    while True:
        found = claims(bot)
        if all(c.status != EventStatus.CLAIMED for c in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


# --- slash commands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "command", "command_line"),
    [
        (
            "what's our NPS for enterprise customers last month?",
            "nps last-month plan=enterprise",
            "/kpi nps last-month plan=enterprise",
        ),
        (
            "NPS of enterprise customers last month, by channel please",
            "nps last-month plan=enterprise by channel",
            "/kpi nps last-month plan=enterprise by channel",
        ),
        (
            "how's the first response time on chat since monday?",
            "frt since-2026-11-16 channel=chat",
            "/kpi frt since-2026-11-16 channel=chat",
        ),
        ("top 1 channel by nps last month", "nps last-month by channel top=1", None),
    ],
)
def test_a_sentence_gives_the_answer_of_its_canonical_command(
    bot: Bot, sentence: str, command: str, command_line: str | None
) -> None:
    asked = bot.kpi(sentence)
    canonical = bot.kpi(command)
    assert_same_answer(asked, canonical)
    assert f"Understood as `/kpi {command}`" in understood(asked["blocks"])
    assert "Understood" not in str(canonical["blocks"])  # typed canonically: nothing to teach


@pytest.mark.parametrize("bot", [{"language": "fr"}], indirect=True)
def test_a_french_sentence_gives_the_answer_of_the_canonical_command(bot: Bot) -> None:
    asked = bot.kpi("quel est le NPS des clients enterprise le mois dernier par canal ?")
    canonical = bot.kpi("nps last-month plan=enterprise by channel")
    assert_same_answer(asked, canonical)
    assert "Compris : `/kpi nps last-month plan=enterprise by channel`" in understood(
        asked["blocks"]
    )
    french_grammar = bot.kpi("nps mois-dernier offre=enterprise par canal")
    assert_same_answer(french_grammar, canonical)
    assert asked["blocks"][0]["text"]["text"] == "NPS · last-month · par channel"


def test_the_answer_speaks_the_questions_language(bot: Bot) -> None:
    assert bot.settings.language == "en"
    french = bot.kpi("le NPS des clients enterprise le mois dernier ?")
    assert "Valeur" in str(french["blocks"])
    assert "Compris :" in str(french["blocks"])
    english = bot.kpi("nps last-month plan=enterprise")
    assert "Value" in str(english["blocks"])
    assert french["text"].replace("\u00a0", " ").startswith("NPS last-month: +47 (n = 15)")


@pytest.mark.parametrize("bot", [{"attribute_names": {"formule": "plan"}}], indirect=True)
def test_a_team_s_own_attribute_names_are_read(bot: Bot) -> None:
    canonical = bot.kpi("nps last-month plan=enterprise")
    assert_same_answer(bot.kpi("nps last-month formule=enterprise"), canonical)
    french = bot.kpi("nps de la formule enterprise le mois dernier")  # answered in French
    assert "Compris : `/kpi nps last-month plan=enterprise`" in understood(french["blocks"])
    assert french["text"].startswith("NPS last-month: +47 (n = 15)")
    assert bot.kpi("nps par formule")["blocks"][0]["text"]["text"] == "NPS · last-30d · par plan"


def test_partager_shares_like_share(bot: Bot) -> None:
    shared = bot.command("/kpi", "nps mois dernier partager", user_id="U0LEAD").json()
    assert shared["response_type"] == "in_channel"


# --- help for what cannot be answered for sure ----------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "says", "closest"),
    [
        ("nps for pro customers last month", "is a value of several attributes", "plan=pro"),
        ("how are we doing with enterprise customers last month?", "Which KPI?", "plan=enterprise"),
        ("nps and csat last month", "several KPIs", "/kpi csat last-month"),
        ("nps for acme last month", "“acme”", "/kpi nps last-month"),
        ("nps this month vs last month", "several periods", "/kpi nps last-month"),
        ("hello!", "no question", "/kpi nps"),
    ],
)
def test_unclear_sentences_get_what_was_understood_and_the_closest_commands(
    bot: Bot, sentence: str, says: str, closest: str
) -> None:
    body = bot.kpi(sentence)
    text = str(body["blocks"])
    assert says in text
    assert closest in text
    assert "Value" not in text  # never a figure nobody asked for
    actions = [b for b in body["blocks"] if b["type"] == "actions"]
    assert actions
    assert all(len(b["elements"]) <= 5 for b in actions)


def test_a_button_asks_the_closest_command(bot: Bot) -> None:
    help_message = bot.kpi("nps for pro customers last month")
    buttons = next(b for b in help_message["blocks"] if b["type"] == "actions")["elements"]
    values = [b["value"] for b in buttons]
    assert values == ["nps last-month plan=pro", "nps last-month segment=pro"]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0KPIBOT", "domain": "kpibot"},
        "user": {"id": "U0LEAD", "username": "lea", "team_id": "T0KPIBOT"},
        "api_app_id": "A0KPIBOT",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0SUPPORT"},
        "trigger_id": "13.14.15",
        "channel": {"id": "C0SUPPORT", "name": "support"},
        "response_url": bot.slack.response_url("b1"),
        "actions": [{**buttons[0], "block_id": "b", "action_ts": str(time.time())}],
    }
    assert bot.interact(payload).status_code == 200
    answered = bot.slack.of("response/b1")
    assert len(answered) == 1
    canonical = bot.kpi("nps last-month plan=pro")
    assert answered[0].body["text"] == canonical["text"]
    assert answered[0].body["response_type"] == "ephemeral"


def test_an_unknown_kpi_in_the_grammar_still_says_so(bot: Bot) -> None:
    body = bot.kpi("npss last-30d")
    assert "unknown KPI 'npss'" in str(body["blocks"])


def test_help_shows_plain_words_in_the_users_language(bot: Bot) -> None:
    english = str(bot.kpi("help")["blocks"])
    assert "Ask in plain words" in english
    assert "what's our NPS for enterprise customers last month?" in english
    assert "@kpibot" in english
    french = str(bot.kpi("aide")["blocks"])
    assert "Demandez avec vos mots" in french
    assert "quel est le NPS des clients enterprise le mois dernier par canal ?" in french
    assert "30 derniers jours" in french


# --- mentions -------------------------------------------------------------------------------


def test_a_mention_is_answered_in_its_thread_with_the_canonical_figures(bot: Bot) -> None:
    reply = bot.event(
        mention_event(
            "what's our NPS for enterprise customers last month?", user="U0LEAD", ts="1700.000100"
        ),
        event_id="Ev0MENTION1",
    )
    assert reply.status_code == 200
    (posted,) = bot.answers(1)
    assert posted.method == "chat.postMessage"  # for the channel, in the thread
    assert posted.body["channel"] == "C0SUPPORT"
    assert posted.body["thread_ts"] == "1700.000100"
    canonical = bot.kpi("nps last-month plan=enterprise")
    assert posted.body["text"] == canonical["text"]
    assert without_understood(blocks_of(posted)) == canonical["blocks"]
    assert "/kpi nps last-month plan=enterprise" in understood(blocks_of(posted))
    assert [c.status for c in settled(bot)] == [EventStatus.ANSWERED]


def test_a_mention_inside_a_thread_answers_in_that_thread(bot: Bot) -> None:
    event = mention_event("csat ce mois", user="U0LEAD", ts="1700.000300", thread_ts="1700.000200")
    bot.event(event, event_id="Ev0MENTION2")
    (posted,) = bot.answers(1)
    assert posted.body["thread_ts"] == "1700.000200"


def test_a_mention_that_is_not_a_question_gets_help_privately(bot: Bot) -> None:
    bot.event(mention_event("", user="U0LEAD", ts="1700.000400"), event_id="Ev0MENTION3")
    (posted,) = bot.answers(1)
    assert posted.method == "chat.postEphemeral"
    assert posted.body["user"] == "U0LEAD"
    assert posted.body["thread_ts"] == "1700.000400"
    assert "/kpi <kpi> [period]" in str(blocks_of(posted))


@pytest.mark.parametrize("bot", [{"sharers": ["U0LEAD"]}], indirect=True)
def test_a_mention_by_someone_who_may_not_share_is_answered_privately(bot: Bot) -> None:
    bot.event(
        mention_event("nps last month", user="U0OTHER", ts="1700.000500"), event_id="Ev0MENTION4"
    )
    (posted,) = bot.answers(1)
    assert posted.method == "chat.postEphemeral"
    assert posted.body["user"] == "U0OTHER"
    assert posted.body["text"].startswith("NPS last-month")


# --- direct messages ----------------------------------------------------------------------


def test_a_direct_message_is_answered_there_with_the_canonical_figures(bot: Bot) -> None:
    bot.event(
        direct_event("nps last 30 days excluding email", user="U0LEAD", ts="1700.000600"),
        event_id="Ev0DIRECT1",
    )
    (posted,) = bot.answers(1)
    assert posted.method == "chat.postMessage"
    assert posted.body["channel"] == "D0LEAD"
    assert "thread_ts" not in posted.body
    canonical = bot.kpi("nps last-30d channel!=email")
    assert posted.body["text"] == canonical["text"]
    assert without_understood(blocks_of(posted)) == canonical["blocks"]


def test_a_french_direct_message_is_answered_in_french(bot: Bot) -> None:
    bot.event(
        direct_event("combien de demandes hier par équipe ?", user="U0LEAD", ts="1700.000700"),
        event_id="Ev0DIRECT2",
    )
    (posted,) = bot.answers(1)
    assert posted.body["text"].startswith("Demandes yesterday")
    assert "Compris : `/kpi tickets yesterday by team`" in str(blocks_of(posted))


# --- once, and only for people --------------------------------------------------------------


def test_slack_retries_never_answer_twice(bot: Bot) -> None:
    event = mention_event("nps last month", user="U0LEAD", ts="1700.000800")
    assert bot.event(event, event_id="Ev0RETRY").status_code == 200
    assert len(bot.answers(1)) == 1
    for attempt in (1, 2, 3):
        assert bot.event(event, event_id="Ev0RETRY", retry=attempt).status_code == 200
    assert len(claims(bot)) == 1  # the retries found the claim: nothing was submitted
    assert len(bot.answers(1)) == 1


def test_a_retry_that_arrives_first_is_answered(bot: Bot) -> None:
    # the first delivery never reached kpibot: the retry is the one to answer
    event = direct_event("nps", user="U0LEAD", ts="1700.000900")
    bot.event(event, event_id="Ev0LOST", retry=1)
    assert len(bot.answers(1)) == 1


def test_a_mention_in_a_direct_message_is_answered_once(bot: Bot) -> None:
    text = "nps last month"
    mention = mention_event(text, user="U0LEAD", ts="1700.001000", channel="D0LEAD")
    mention["channel_type"] = "im"
    bot.event(mention, event_id="Ev0BOTH1")
    bot.event(direct_event(f"<@UBOT> {text}", user="U0LEAD", ts="1700.001000"), event_id="Ev0BOTH2")
    assert len(bot.answers(1)) == 1
    assert len(claims(bot)) == 1


def test_two_replicas_answer_an_event_once(db_url: str) -> None:
    with (
        serve_bot(db_url, members=MEMBERS, seed=seed, clock=lambda: NOW) as first,
        serve_bot(db_url, members=MEMBERS, clock=lambda: NOW) as second,
    ):
        event = mention_event("nps last month", user="U0LEAD", ts="1700.001100")
        assert first.event(event, event_id="Ev0REPLICA").status_code == 200
        assert second.event(event, event_id="Ev0REPLICA", retry=1).status_code == 200
        posted = first.answers(1) + second.answers(1, within=0.5)
        assert len(posted) == 1
        assert len(claims(first)) == 1


@pytest.mark.parametrize(
    "event",
    [
        mention_event("nps", user="UBOT", ts="1700.001200"),  # kpibot itself
        {**direct_event("nps", user="U0LEAD", ts="1700.001300"), "bot_id": "B0OTHER"},
        {**direct_event("nps", user="U0LEAD", ts="1700.001400"), "subtype": "bot_message"},
        {**direct_event("nps", user="U0LEAD", ts="1700.001500"), "subtype": "message_changed"},
        {**direct_event("nps", user="U0LEAD", ts="1700.001600"), "channel_type": "channel"},
    ],
)
def test_bots_edits_and_other_channels_are_ignored(bot: Bot, event: dict[str, Any]) -> None:
    assert bot.event(event, event_id="Ev0IGNORED").status_code == 200
    assert bot.answers(1, within=0.3) == []
    assert claims(bot) == []


def test_a_forged_event_is_refused_and_does_nothing(bot: Bot) -> None:
    event = mention_event("nps", user="U0LEAD", ts="1700.001700")
    assert bot.event(event, event_id="Ev0FORGED", secret="not-" + SECRET).status_code == 401
    assert claims(bot) == []


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        ({"is_restricted": True}, "guests"),
        ({"is_ultra_restricted": True}, "guests"),
        ({"is_stranger": True}, "other organisations"),
        ({"team_id": "T0ELSEWHERE"}, "other organisations"),
    ],
)
def test_guests_and_strangers_are_refused_in_mentions_and_direct_messages(
    bot: Bot, flags: dict[str, Any], reason: str
) -> None:
    bot.slack.member("U0ASKER", **flags)
    bot.event(mention_event("nps", user="U0ASKER", ts="1700.001800"), event_id="Ev0GUEST1")
    (refused,) = bot.answers(1)
    assert refused.method == "chat.postEphemeral"
    assert refused.body["user"] == "U0ASKER"
    assert reason in refused.body["text"]
    bot.event(direct_event("nps", user="U0ASKER", ts="1700.001900"), event_id="Ev0GUEST2")
    refused_too = bot.answers(2)[1]
    assert reason in refused_too.body["text"]
    assert "NPS" not in refused_too.body["text"]
    assert {c.status for c in settled(bot)} == {EventStatus.REFUSED}


@pytest.mark.parametrize("bot", [{"viewers": ["U0LEAD"]}], indirect=True)
def test_only_viewers_get_answers_by_direct_message(bot: Bot) -> None:
    bot.event(direct_event("nps", user="U0OTHER", ts="1700.002000"), event_id="Ev0VIEW1")
    (refused,) = bot.answers(1)
    assert "KPIBOT_VIEWERS" in refused.body["text"]
    bot.event(direct_event("nps", user="U0LEAD", ts="1700.002100"), event_id="Ev0VIEW2")
    assert bot.answers(2)[1].body["text"].startswith("NPS last-30d")


def test_old_claims_are_forgotten(bot: Bot) -> None:
    bot.event(direct_event("nps", user="U0LEAD", ts="1700.002200"), event_id="Ev0OLD")
    bot.answers(1)
    assert forget_now(bot.deps) == 0  # claimed at NOW: kept for a day
    bot.deps.clock = lambda: NOW + timedelta(days=1, seconds=1)
    assert forget_now(bot.deps) == 1
    assert claims(bot) == []


def test_the_claim_table_is_the_lock_on_both_databases(bot: Bot) -> None:
    # two different events for one message: the second is refused by the unique message key
    bot.event(direct_event("nps", user="U0LEAD", ts="1700.002300"), event_id="Ev0KEY1")
    bot.event(direct_event("nps", user="U0LEAD", ts="1700.002300"), event_id="Ev0KEY2")
    assert len(bot.answers(1)) == 1
    assert [c.event_id for c in claims(bot)] == ["Ev0KEY1"]
