"""Charts on demand: the steps a period is cut into, the series against the answers of each
step, and `/nps … chart` end to end (the real server, signed requests, the fake Slack
recording the DM and the upload). SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.answers.chart import PALETTE, caption, chart_png
from handlers.answers.service import answer, answer_series
from handlers.deps import Deps
from kpis.periods import Period, parse_period
from kpis.question import QuestionError, parse_question
from kpis.series import MAX_LINES, earlier, step_of, steps
from query.plan import Window
from storage.db import session_scope
from storage.ingest import upsert_responses
from storage.rollups.store import refresh
from tests.digest_fixtures import seed
from tests.fakeslack import Call
from tests.harness import Bot, serve_bot

PNG = b"\x89PNG\r\n\x1a\n"
NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def _period(text: str) -> Period:
    return parse_period(text, now=NOW, tz=PARIS)


@pytest.mark.parametrize(
    ("text", "step", "count"),
    [
        ("last-7d", "day", 8),  # a part-day at each end
        ("last-month", "day", 31),  # October: 31 whole days
        ("last-30d", "day", 31),
        ("last-90d", "week", 14),
        ("last-12w", "week", 13),
        ("2026-Q3", "week", 14),
        ("last-year", "month", 12),
        ("last-365d", "month", 13),
    ],
)
def test_the_step_follows_the_period_length(text: str, step: str, count: int) -> None:
    period = _period(text)
    assert step_of(period.current) == step
    cut = steps(period.current, PARIS, step_of(period.current))
    assert len(cut) == count
    assert cut[0].start == period.current.start
    assert cut[-1].end == period.current.end
    assert all(a.end == b.start for a, b in itertools.pairwise(cut))
    inner = [w.start.astimezone(PARIS) for w in cut[1:]]
    assert all((t.hour, t.minute) == (0, 0) for t in inner)  # local midnights, DST or not
    if step == "week":
        assert all(t.weekday() == 0 for t in inner)
    if step == "month":
        assert all(t.day == 1 for t in inner)


def test_previous_steps_overlay_the_current_ones() -> None:
    period = _period("last-30d")
    cut = steps(period.current, PARIS, "day")
    before = earlier(cut, period)
    assert len(before) == len(cut)
    shift = period.current.start - period.previous.start
    for now, then in zip(cut, before, strict=True):
        assert then is not None
        assert then.start == now.start - shift
    month_to_date = _period("this-month")
    clipped = earlier(steps(month_to_date.current, PARIS, "day"), month_to_date)
    assert all(w is None or w.end <= month_to_date.previous.end for w in clipped)


def _answers(bot: Bot, channels: int = 1, weeks: int = 10) -> None:
    rows = []
    for i in range(weeks * 7 * 6):
        at = NOW - timedelta(hours=4 * i + 1)
        rows.append(
            {
                "external_id": f"x{i}",
                "source": "api",
                "survey": "nps",
                "score": (10, 9, 8, 3, 10, 6, 9, 2)[i % 8],
                "scale_max": 10,
                "submitted_at": at,
                "attributes": {"channel": f"ch{i % channels}"},
            }
        )
    with session_scope(bot.deps.sessions) as session:
        upsert_responses(session=session, rows=rows)


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with serve_bot(db_url, members=("U0ADMIN", "U0LEAD"), clock=lambda: NOW) as running:
        yield running


def _seeded(deps: Deps, rolled: bool) -> None:
    seed(deps, weeks=14)
    if rolled:  # the steps' whole days come from the daily rollups, their edges from records
        refresh(deps.sessions, now=NOW)


@pytest.mark.parametrize(
    ("text", "rolled"),
    [
        ("nps last-30d", False),
        ("nps last-90d", False),
        ("csat last-12w", False),
        ("frt last-year", False),
        ("nps last-90d", True),
        ("fcr last-12w chart=day", True),
    ],
)
def test_every_step_equals_the_answer_for_that_step(db_url: str, text: str, rolled: bool) -> None:
    with serve_bot(
        db_url,
        clock=lambda: NOW,
        timezone="Europe/Paris",
        seed=lambda deps: _seeded(deps, rolled),
    ) as bot:
        question = parse_question(text)
        period = _period(question.period or "")
        series = answer_series(deps=bot.deps, question=question, period=period)
        assert len(series.steps) == len(series.lines[0].figures)
        for window, figure in zip(series.steps, series.lines[0].figures, strict=True):
            one = Period(
                "step",
                "step",
                window,
                Window(window.start - (window.end - window.start), window.start),
                "Europe/Paris",
            )
            expected = answer(deps=bot.deps, question=question, period=one).current
            assert (
                figure.value == pytest.approx(expected.value)
                if expected.value is not None
                else figure.value is None
            )
            assert figure.n == expected.n
        assert series.previous is not None
        whole = answer(deps=bot.deps, question=question, period=period)
        assert sum(f.n for f in series.lines[0].figures) == whole.current.n
        assert sum(f.n for f in series.previous.figures) == whole.previous.n


def test_a_grouped_chart_draws_at_most_six_lines(bot: Bot) -> None:
    _answers(bot, channels=9)
    question = parse_question("nps last-30d by channel chart")
    series = answer_series(deps=bot.deps, question=question)
    assert len(series.lines) == MAX_LINES
    assert series.lines[-1].label == "other"
    assert series.previous is None
    whole = answer(deps=bot.deps, question=dataclasses.replace(question, group_by=None))
    assert sum(f.n for line in series.lines for f in line.figures) == whole.current.n
    png = chart_png(series)
    assert png.startswith(PNG)
    assert "one line per channel" in caption(series)


def test_the_caption_says_what_it_shows_and_the_last_value(bot: Bot) -> None:
    _answers(bot)
    series = answer_series(deps=bot.deps, question=parse_question("nps last-12w"))
    text = caption(series)
    assert text.startswith("NPS, last-12w, by week; last value ")
    last = series.last()
    assert last is not None
    assert last[1].value is not None
    french = caption(series, language="fr")
    assert "par semaine ; dernière valeur" in french
    assert len(PALETTE) >= MAX_LINES


def _uploaded(bot: Bot, within: float = 15.0) -> Call:
    done = bot.slack.wait_for("files.completeUploadExternal", within=within)
    if done:
        return done[0]
    raise AssertionError(f"no chart was uploaded: {[c.method for c in bot.slack.calls]}")


def test_a_private_chart_goes_to_the_askers_dm(bot: Bot) -> None:
    _answers(bot)
    answered = bot.kpi("nps last-90d chart", user="U0ADMIN")
    text = str(answered["blocks"])
    assert "direct messages with kpibot" in text
    assert "NPS · last-90d" in text
    done = _uploaded(bot)
    [opened] = bot.slack.of("conversations.open")
    assert opened.body["users"] == "U0ADMIN"
    assert done.body["channel_id"] == "D0ADMIN"
    assert "last value" in done.body["initial_comment"]
    [png] = [data for data in bot.slack.uploads.values() if data]
    assert png.startswith(PNG)
    [asked] = bot.slack.of("files.getUploadURLExternal")
    assert "NPS, last-90d, by week; last value" in asked.body["alt_txt"]


def test_a_shared_chart_goes_to_the_channel(bot: Bot) -> None:
    _answers(bot)
    reply = bot.command("/nps", "last-30d graphique share", user_id="U0ADMIN")
    assert reply.status_code == 200
    assert reply.json()["response_type"] == "in_channel"
    assert "follows in this channel" in str(reply.json()["blocks"])
    done = _uploaded(bot)
    assert done.body["channel_id"] == "C0SUPPORT"
    assert bot.slack.of("conversations.open") == []


def test_no_chart_without_the_word_and_none_for_bad_input(bot: Bot) -> None:
    _answers(bot)
    bot.kpi("nps last-30d")
    assert "direct messages" not in str(bot.kpi("nps last-3000y chart")["blocks"])
    bot.kpi("csat last-30d chart")  # the only chart: sent after the two before would have been
    _uploaded(bot)
    [asked] = bot.slack.of("files.getUploadURLExternal")
    assert asked.body["alt_txt"].startswith("CSAT")


def test_chart_step_words_choose_the_step(bot: Bot) -> None:
    _answers(bot)
    question = parse_question("nps last-365d graphique=semaine")
    assert (question.chart, question.chart_step, question.text) == (
        True,
        "week",
        "nps last-365d chart=week",
    )
    series = answer_series(deps=bot.deps, question=question)
    assert series.step == "week"
    assert len(series.steps) == 54  # two part-weeks at the ends, 52 whole ones
    daily = answer_series(
        deps=bot.deps, question=parse_question("nps 2025-01-01..2026-11-22 chart=day")
    )
    assert daily.step == "week"  # 691 days are too many steps: coarsened
    with pytest.raises(QuestionError):
        parse_question("nps chart=hour")


def test_a_mention_gets_its_chart_in_the_thread_and_a_dm_in_the_dm(bot: Bot) -> None:
    from tests.slack_requests import direct_event, mention_event

    _answers(bot)
    event = mention_event("nps last-30d chart", user="U0LEAD", ts="1700.000100")
    assert bot.event(event, event_id="Ev0CHART1").status_code == 200
    done = _uploaded(bot)
    assert (done.body["channel_id"], done.body["thread_ts"]) == ("C0SUPPORT", "1700.000100")
    (posted,) = bot.answers(1)
    assert "follows in this channel" in str(posted.body["blocks"])
    event = direct_event("csat last-30d graphique", user="U0LEAD", ts="1700.000200")
    assert bot.event(event, event_id="Ev0CHART2").status_code == 200
    second = bot.slack.wait_for("files.completeUploadExternal", 2)[1]
    assert second.body["channel_id"] == "D0LEAD"
    assert "thread_ts" not in second.body or not second.body["thread_ts"]
