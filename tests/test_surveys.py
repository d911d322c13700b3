"""Surveys end to end: `/kpi survey` through the real server, the DMs posted to the fake Slack
by the worker at fixed instants, the clicks and the comment modal as Slack sends them, the
reminder, the close and the result; then the database read whole for any member's user id.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from handlers.answers.service import answer_text
from handlers.ops.doctor import MANIFEST_SCOPES, slack_token
from handlers.surveys import ids
from handlers.surveys.jobs import catch_up
from handlers.surveys.members import People
from handlers.surveys.worker import Pace, Work, work
from kpis.result import FEWER_THAN_FIVE
from storage.db import checkpoint, session_scope
from storage.models import SurveyResponse
from storage.surveys.store import claim_send, pending_sends
from storage.surveys.tables import SENDS, TOKENS, SurveyRound
from tests.fakeslack import FakeSlack
from tests.harness import Bot, serve_bot
from tests.slack_requests import block_action, view_submission

TEAM_CHANNEL = "C0TEAMCARE"
HUMANS = ("U0ANNA", "U0BEN", "U0CHLOE", "U0DAN", "U0EVE", "U0FAY")
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def workspace(slack: FakeSlack, humans: tuple[str, ...] = HUMANS) -> None:
    """A channel of humans, a bot, a guest, a single-channel guest and a deactivated user."""
    for user in humans:
        slack.member(user)
    slack.member("U0ROBOT", is_bot=True)
    slack.member("U0GUEST", is_restricted=True)
    slack.member("U0SINGLE", is_ultra_restricted=True)
    slack.member("U0GONE", deleted=True)
    slack.member("U0ADMIN", is_admin=True)
    slack.channels[TEAM_CHANNEL] = {"name": "team-care", "is_member": True}
    slack.members[TEAM_CHANNEL] = [
        humans[0],
        "U0ROBOT",
        *humans[1:3],
        "U0GUEST",
        "U0SINGLE",
        *humans[3:],
        "U0GONE",
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(db_url: str, clock: Clock) -> Iterator[Bot]:
    with serve_bot(db_url, members=("U0ADMIN",), admins=["U0ADMIN"], clock=clock) as running:
        workspace(running.slack)
        yield running


def run(bot: Bot, when: datetime, budget: int = 100) -> Work:
    return work(bot.deps, bot.client(), People(), now=when, budget=budget)


def dms(bot: Bot) -> dict[str, list[dict[str, Any]]]:
    """Each DM channel's posted messages (bodies), in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for call in bot.slack.posted():
        channel = str(call.body["channel"])
        if channel.startswith("D"):
            out.setdefault(channel, []).append(call.body)
    return out


def dm_of(user: str) -> str:
    return "D" + user.removeprefix("U")


def click(bot: Bot, user: str, round_id: int, score: int, ts: str = "1.1") -> None:
    reply = bot.interact(
        block_action(
            f"{ids.SCORE_PREFIX}{score}",
            f"{round_id}:{score}",
            user=user,
            channel=dm_of(user),
            ts=ts,
        )
    )
    assert reply.status_code == 200


def open_round(bot: Bot, words: str = "") -> str:
    text = bot.kpi_text(f"survey enps <#{TEAM_CHANNEL}|team-care> {words}", user="U0ADMIN")
    assert "Survey *#1*" in text, text
    return text


def rounds(bot: Bot) -> list[SurveyRound]:
    with session_scope(bot.deps.sessions) as session:
        return list(session.scalars(select(SurveyRound).order_by(SurveyRound.id)))  # type: ignore[arg-type]


def database_text(bot: Bot, db_url: str, *, flush: bool = True) -> bytes:
    """Everything the database holds: the SQLite file and its WAL (checkpointed first unless
    `flush` is False), or every row of every table of PostgreSQL as text."""
    engine = bot.deps.engine
    if engine.dialect.name == "sqlite":
        if flush:
            assert checkpoint(engine)
        path = Path(str(make_url(db_url).database))
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    chunks: list[bytes] = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT t::text FROM "{table.name}" AS t'))
            chunks.extend(str(row[0]).encode() for row in rows)
    return b"\n".join(chunks)


def test_a_round_asks_members_only_counts_each_once_reminds_and_posts_its_result(
    bot: Bot, clock: Clock, db_url: str
) -> None:
    opened = open_round(bot, "closes=2d")
    assert "team=team-care" in opened
    assert bot.slack.posted() == []  # the command only records the round: the job DMs

    listed = run(bot, START, budget=0)
    assert (listed.listed, listed.sent) == ([1], 0)
    # While DMs are owed, their rows hold the members' ids (the reader below would see them).
    assert b"U0ANNA" in database_text(bot, db_url)
    done = run(bot, START)
    assert done.sent == 6
    posted = dms(bot)
    assert set(posted) == {dm_of(u) for u in HUMANS}  # no bot, guest or deactivated user
    opened_for = [c.body["users"] for c in bot.slack.of("conversations.open")]
    assert sorted(opened_for) == sorted(HUMANS)
    [first] = posted[dm_of("U0ANNA")]
    buttons = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == [f"1:{s}" for s in range(11)]
    assert "recommend team-care" in str(first["blocks"])
    assert run(bot, START + timedelta(minutes=1)).sent == 0  # everyone asked once
    # Sending is over: the owed DMs' rows are gone, from the file and its WAL alike.
    for user in HUMANS:
        assert user.encode() not in database_text(bot, db_url, flush=False), user

    # Answers, by clicks as Slack sends them; Anna clicks twice.
    for user, score in zip(HUMANS[:5], (10, 9, 9, 3, 7), strict=True):
        click(bot, user, 1, score)
    click(bot, "U0ANNA", 1, 0)
    [told] = bot.slack.of("chat.postEphemeral")
    assert told.body["user"] == "U0ANNA"
    assert "already answered" in told.body["text"]
    updates = bot.slack.of("chat.update")
    assert len(updates) == 5
    assert "answer is recorded" in updates[0].body["text"]
    assert "10" not in str(updates[0].body["blocks"])  # the DM never echoes the answer
    [round_] = rounds(bot)
    assert (round_.asked, round_.answered) == (6, 5)

    # The comment modal opened on the first click; submitting it adds the comment.
    modal = bot.slack.of("views.open")[0].body["view"]
    assert modal["callback_id"] == ids.COMMENT_VIEW
    bot.interact(
        view_submission(
            ids.COMMENT_VIEW,
            modal["private_metadata"],
            {
                ids.COMMENT_BLOCK: {
                    ids.COMMENT_INPUT: {"type": "plain_text_input", "value": "Great team"}
                }
            },
            user="U0ANNA",
        )
    )
    with session_scope(bot.deps.sessions) as session:
        answers = list(session.scalars(select(SurveyResponse)))
    assert sorted(a.score for a in answers) == [3, 7, 9, 9, 10]
    assert {a.submitted_at for a in answers} == {START}  # dated at the round, not the click
    assert {a.customer_id for a in answers} == {None}
    assert [a.comment for a in answers if a.comment] == ["Great team"]
    assert {a.attributes["team"] for a in answers} == {"team-care"}

    # Halfway: one reminder, to Fay only, once.
    halfway = START + timedelta(days=1, minutes=1)
    assert run(bot, halfway).reminders == {1: 1}
    assert run(bot, halfway + timedelta(minutes=5)).reminders == {}
    reminded = {c for c, bodies in dms(bot).items() if len(bodies) == 2}
    assert reminded == {dm_of("U0FAY")}
    assert "reminder" in dms(bot)[dm_of("U0FAY")][1]["text"].lower() or "reminder" in str(
        dms(bot)[dm_of("U0FAY")][1]["blocks"]
    )

    # The close posts the result in the channel, once; a later click is refused politely.
    clock.now = START + timedelta(days=2, minutes=1)
    done = run(bot, clock.now)
    assert done.closed == [1]
    assert done.results == {1: "posted"}
    assert run(bot, clock.now + timedelta(minutes=1)).results == {}
    [result] = bot.slack.posted(TEAM_CHANNEL)
    shown = str(result.body["blocks"])
    assert "eNPS +40" in shown  # 3 promoters, 1 passive, 1 detractor of 5
    assert "5 of 6 answered" in shown
    click(bot, "U0FAY", 1, 8)
    assert "closed" in bot.slack.of("chat.postEphemeral")[-1].body["text"]

    # The answers are ordinary eNPS answers; the round's asked count feeds response-rate.
    enps = answer_text(deps=bot.deps, text="enps last-30d team=team-care", now=clock.now)
    assert (enps.current.value, enps.current.n) == (40, 5)
    rate = answer_text(
        deps=bot.deps, text="response-rate last-30d source=slack-survey", now=clock.now
    )
    assert rate.current.value == pytest.approx(100 * 5 / 6)

    # Nothing left that could lead back to a member.
    with session_scope(bot.deps.sessions) as session:
        assert session.execute(select(SENDS)).all() == []
        assert session.execute(select(TOKENS)).all() == []
    assert rounds(bot)[0].secret is None
    stored = database_text(bot, db_url)
    assert b"team-care" in stored  # the reader does see the data
    for user in (*HUMANS, "U0ROBOT", "U0GUEST"):
        assert user.encode() not in stored, user


def test_under_five_answers_the_result_is_withheld(bot: Bot, clock: Clock) -> None:
    open_round(bot)
    run(bot, START)
    for user, score in zip(HUMANS[:4], (10, 10, 9, 2), strict=True):
        click(bot, user, 1, score)
    assert "is closed" in bot.kpi_text("survey close 1", user="U0ADMIN")
    done = run(bot, START + timedelta(minutes=5))
    assert done.results == {1: "posted"}
    [result] = bot.slack.posted(TEAM_CHANNEL)
    shown = str(result.body["blocks"])
    assert "Too few answers" in shown
    assert "4 of 6 answered" in shown
    assert "eNPS +" not in shown
    assert "eNPS -" not in shown
    for text_ in ("enps last-30d team=team-care", "enps last-30d round=1", "enps last-30d"):
        figure = answer_text(deps=bot.deps, text=text_, now=START + timedelta(days=1)).current
        assert (figure.value, figure.reason) == (None, FEWER_THAN_FIVE), text_
    grouped = answer_text(
        deps=bot.deps, text="enps last-30d by team", now=START + timedelta(days=1)
    )
    assert all(g.figure.value is None and g.figure.parts == {} for g in grouped.groups)


def test_a_restart_mid_sending_never_dms_anyone_twice(db_url: str, clock: Clock) -> None:
    humans = tuple(f"U0P{i:03d}" for i in range(12))
    with serve_bot(db_url, members=("U0ADMIN",), admins=["U0ADMIN"], clock=clock) as first:
        workspace(first.slack, humans)
        open_round(first)
        assert run(first, START, budget=4).sent == 4
        # The process stops right after claiming the next DM (it may have posted it).
        with session_scope(first.deps.sessions) as session:
            [next_id] = pending_sends(session=session, limit=1)
            assert claim_send(session=session, send_id=next_id, claimer="dead:1", now=START)
        sent_before = set(dms(first))
    with serve_bot(db_url, members=("U0ADMIN",), admins=["U0ADMIN"], clock=clock) as second:
        workspace(second.slack, humans)
        done = run(second, START + timedelta(minutes=10))
        sent_after = set(dms(second))
        assert done.listed == []  # listed once, by the first process
        assert sent_before.isdisjoint(sent_after)
        assert len(sent_before) + len(sent_after) == 11  # the claimed one is not sent again
        assert run(second, START + timedelta(minutes=11)).sent == 0
        [round_] = rounds(second)
        assert (round_.asked, round_.uncertain, round_.status) == (12, 1, "open")


def test_dms_go_at_slacks_pace_and_wait_out_a_rate_limit(bot: Bot) -> None:
    crowd = tuple(f"U0C{i:03d}" for i in range(230))
    workspace(bot.slack, crowd)
    open_round(bot)
    bot.slack.retry_after = 3
    bot.slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"})
    done = run(bot, START, budget=5)
    assert done.sent == 5
    assert len(bot.slack.of("conversations.members")) == 2  # 230 members: two pages of 200
    assert len(dms(bot)) == 5  # the refused post was retried, not doubled
    assert any(wait >= 3 for wait in bot.waits.seconds)  # Retry-After was honoured

    pace = Pace(rate=1.0, burst=5)
    at, left, seconds = START, 300, 0
    while left:
        budget = pace.budget(at)
        sent = min(budget, left)
        pace.spend(sent)
        left -= sent
        at += timedelta(seconds=1)
        seconds += 1
    assert 290 <= seconds <= 300  # 300 members: five at once, then one a second (~5 minutes)


def test_csat_rounds_and_recurring_pulses(bot: Bot, clock: Clock) -> None:
    text = bot.kpi_text(
        f'survey csat <#{TEAM_CHANNEL}|team-care> question="How was onboarding?" team=care '
        "every=monthly closes=3d",
        user="U0ADMIN",
    )
    assert "Pulse *P1*" in text, text
    run(bot, START)
    [first] = dms(bot)[dm_of("U0ANNA")]
    assert "How was onboarding?" in str(first["blocks"])
    values = [e["value"] for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == [f"1:{s}" for s in range(1, 6)]
    for user, score in zip(HUMANS, (5, 4, 4, 2, 5, 3), strict=True):
        click(bot, user, 1, score)
    run(bot, START + timedelta(days=3, minutes=1))
    shown = str(bot.slack.posted(TEAM_CHANNEL)[0].body["blocks"])
    assert "CSAT 66.7%" in shown  # 4 of 6 satisfied
    assert "Mean score 3.83/5" in shown

    # The next month's fire time opens round 2, once, however many schedulers catch up.
    later = datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    assert catch_up(bot.deps, now=later) == [2]
    assert catch_up(bot.deps, now=later) == []
    assert [r.pulse_id for r in rounds(bot)] == [1, 1]
    assert "P1" in bot.kpi_text("survey list")
    assert "removed" in bot.kpi_text("survey remove P1", user="U0ADMIN")
    assert catch_up(bot.deps, now=datetime(2027, 1, 1, 10, 5, tzinfo=UTC)) == []


def test_only_admins_open_surveys_and_bad_words_get_the_usage(bot: Bot) -> None:
    bot.slack.member("U0LEAD")
    refused = bot.kpi_text(f"survey enps <#{TEAM_CHANNEL}|team-care>", user="U0LEAD")
    assert "can't open or close surveys" in refused
    assert "closes=" in bot.kpi_text(f"survey enps <#{TEAM_CHANNEL}> closes=soon", user="U0ADMIN")
    assert "which channel" in bot.kpi_text("survey enps", user="U0ADMIN")
    assert "No survey yet" in bot.kpi_text("survey list")
    assert rounds(bot) == []


def test_the_doctor_says_which_scope_the_surveys_miss(bot: Bot) -> None:
    bot.slack.scopes = [s for s in MANIFEST_SCOPES if s not in ("im:write", "users:read")]
    checks = {c.name: c for c in slack_token(bot.deps, bot.client())}
    scopes = checks["slack scopes"]
    assert scopes.ok is False
    assert "im:write (survey DMs)" in scopes.detail
    assert "users:read (who is a person, a guest or a bot)" in scopes.detail


def test_a_channel_slack_will_not_list_is_tried_again_or_given_up(bot: Bot) -> None:
    open_round(bot)
    bot.slack.fail_next("conversations.members", 500, {"ok": False, "error": "fatal"}, times=4)
    assert run(bot, START).listed == []  # Slack failed: the claim is given back
    assert rounds(bot)[0].status == "new"
    assert run(bot, START + timedelta(minutes=1)).sent == 6
    bot.slack.members.pop(TEAM_CHANNEL)  # the channel is gone: nobody to ask
    assert "Survey *#2*" in bot.kpi_text(f"survey enps <#{TEAM_CHANNEL}|team-care>", user="U0ADMIN")
    assert run(bot, START + timedelta(minutes=2)).listed == [2]
    assert (rounds(bot)[1].status, rounds(bot)[1].asked) == ("open", 0)


def answered_round(bot: Bot, team: str, scores: list[int], at: datetime) -> None:
    """A round of `team` opened at `at` and answered with these scores (through the store)."""
    from handlers.surveys.jobs import new_round
    from storage.surveys.store import answer
    from storage.surveys.store import open_round as store_round

    with session_scope(bot.deps.sessions) as session:
        round_id = store_round(
            session=session,
            round_=new_round(
                team_id="T0KPIBOT",
                channel_id=TEAM_CHANNEL,
                channel_name=team,
                kind="enps",
                question=None,
                team=team,
                open_for=timedelta(days=7),
                now=at,
            ),
        )
    assert round_id is not None
    for i, score in enumerate(scores):
        with session_scope(bot.deps.sessions) as session:
            taken = answer(session=session, round_id=round_id, user_id=f"U{i}", score=score, now=at)
            assert taken.outcome == "recorded"


def test_enps_under_five_is_withheld_in_every_figure_and_group(bot: Bot) -> None:
    answered_round(bot, "care", [10, 9, 9, 3, 7, 10], START)
    answered_round(bot, "sales", [10, 2, 9], START)
    answered_round(bot, "ops", [0], START)
    answered_round(bot, "care", [10, 9, 2], START - timedelta(days=30))  # the previous month
    now = START + timedelta(days=3)
    result = answer_text(deps=bot.deps, text="enps this-month by team top=1", now=now)
    assert result.current.value == pytest.approx(100 * (6 - 3) / 10)  # 10 answers in all
    groups = {g.key: g for g in result.groups}
    assert set(groups) == {"care", "other"}
    assert groups["care"].figure.value == pytest.approx(100 * (4 - 1) / 6)
    other = groups["other"].figure  # sales and ops pooled: 4 answers
    assert (other.value, other.reason, other.parts) == (None, FEWER_THAN_FIVE, {})
    care = answer_text(deps=bot.deps, text="enps this-month team=care", now=now)
    assert care.current.value is not None
    assert (care.previous.value, care.previous.reason) == (None, FEWER_THAN_FIVE)  # 3 then
    assert care.delta is None
    assert care.significant is None
    for previous in (groups["care"].previous, groups["other"].previous):
        assert previous is None or previous.value is None


def test_the_scheduler_runs_the_worker_and_one_cron_job_per_pulse(bot: Bot) -> None:
    from bot import features
    from handlers.jobs.scheduler import build_scheduler
    from handlers.surveys.jobs import sync

    scheduler = build_scheduler(bot.deps, bot.client(), features(), slack=True)
    ids_ = {job.id for job in scheduler.get_jobs()}
    assert {"surveys:work", "surveys:pulses"} <= ids_
    bot.kpi_text(f"survey enps <#{TEAM_CHANNEL}|team-care> every=quarterly", user="U0ADMIN")
    sync(scheduler, bot.deps)
    [pulse] = [job for job in scheduler.get_jobs() if job.id.startswith("survey-pulse:")]
    assert pulse.id == "survey-pulse:1"
    assert "0 10 1 1,4,7,10 *" in pulse.name
    bot.kpi_text("survey remove P1", user="U0ADMIN")
    sync(scheduler, bot.deps)
    assert not [job for job in scheduler.get_jobs() if job.id.startswith("survey-pulse:")]
