"""`/kpi digest …` end to end: the real server, signed requests, the fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from storage.db import session_scope
from storage.digests.store import list_subscriptions
from tests.digest_fixtures import SLOT, seed
from tests.harness import Bot, serve_bot


def text_of(answer: dict[str, Any]) -> str:
    return str(answer["blocks"])


@pytest.fixture
def bot(db_url: str, request: pytest.FixtureRequest) -> Iterator[Bot]:
    extra: dict[str, Any] = getattr(request, "param", {"admins": ["U0ADMIN"]})
    with serve_bot(
        db_url,
        members=("U0ADMIN", "U0AGENT"),
        seed=seed,
        clock=lambda: SLOT - timedelta(days=2),
        timezone="Europe/Paris",
        **extra,
    ) as running:
        running.slack.member("U0OWNER", is_owner=True)
        running.slack.channels.update(
            {
                "C0PUBLIC": {"name": "cx-team", "is_private": False, "is_member": False},
                "G0SECRET": {"name": "leads", "is_private": True, "is_member": False},
                "G0INVITED": {"name": "managers", "is_private": True, "is_member": True},
                "C0OLD": {"name": "old", "is_archived": True},
            }
        )
        yield running


def stored(bot: Bot) -> list[Any]:
    with session_scope(bot.deps.sessions) as session:
        return list_subscriptions(session=session)


def test_an_admin_adds_a_weekly_digest_with_defaults(bot: Bot) -> None:
    answer = bot.kpi("digest add <#C0PUBLIC|cx-team>")
    assert "Digest *#1* added for <#C0PUBLIC>" in text_of(answer)
    assert "weekly, Monday 09:00 (Europe/Paris)" in text_of(answer)
    assert "First one: Mon 23 Nov 09:00" in text_of(answer)
    [subscription] = stored(bot)
    assert subscription.cron == "0 9 * * mon"
    assert subscription.timezone == "Europe/Paris"
    assert subscription.kpis == ["nps", "csat", "ces", "frt", "aht", "fcr", "tickets"]
    assert (subscription.channel_name, subscription.created_by) == ("cx-team", "U0ADMIN")


def test_every_option_of_add(bot: Bot) -> None:
    answer = bot.kpi(
        "digest add <#C0PUBLIC|cx-team> daily 08:30 tz=America/New_York "
        "kpis=nps,dmr,taux-de-rebond plan=enterprise region!=emea"
    )
    assert "added" in text_of(answer)
    bot.kpi("digest add <#G0INVITED|managers> cron=“0 7 * * 1-5”")  # smart quotes from macOS
    bot.kpi("digest add <#C0PUBLIC|cx-team> monthly 2 10:00")
    daily, cron, monthly = stored(bot)
    assert (daily.cadence, daily.cron, daily.timezone) == (
        "daily",
        "30 8 * * *",
        "America/New_York",
    )
    assert daily.kpis == ["nps", "frt", "bounce-rate"]
    assert daily.filters == ["plan=enterprise", "region!=emea"]
    assert (cron.cadence, cron.cron, cron.timezone) == ("cron", "0 7 * * 1-5", "Europe/Paris")
    assert (monthly.cadence, monthly.cron) == ("monthly", "0 10 2 * *")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("digest add weekly", "name the channel"),
        ("digest add <#C0PUBLIC|x> kpis=nsp", "unknown KPI 'nsp' (did you mean nps"),
        ("digest add <#C0PUBLIC|x> tz=Mars/Olympus", "unknown timezone"),
        ("digest add <#C0PUBLIC|x> 25:00", "unexpected word '25:00'"),
        ('digest add <#C0PUBLIC|x> cron="0 9 * *"', "cron needs 5 fields"),
        ('digest add <#C0PUBLIC|x> weekly cron="0 9 * * 1"', "either cron"),
        ("digest add <#C0PUBLIC|x> daily fri", "no weekday"),
        ("digest remove", "which digest"),
        ("digest pause abc", "not a digest ID"),
        ("digest remove 99", "no digest #99"),
        ("digest frobnicate", "unknown digest command"),
    ],
)
def test_bad_input_gets_the_usage(bot: Bot, text: str, expected: str) -> None:
    answer = bot.kpi(text)
    assert expected in text_of(answer)
    assert "/kpi digest add #channel" in text_of(answer)
    assert stored(bot) == []


def test_a_private_channel_without_the_bot_gets_the_invite_hint(bot: Bot) -> None:
    answer = bot.kpi("digest add <#G0SECRET|leads>")
    assert "/invite @kpibot" in text_of(answer)
    unknown = bot.kpi("digest add <#G0UNSEEN|hidden>")
    assert "/invite @kpibot" in text_of(unknown)
    archived = bot.kpi("digest add <#C0OLD|old>")
    assert "archived" in text_of(archived)
    assert stored(bot) == []


def test_non_admins_are_refused_but_may_list_and_preview(bot: Bot) -> None:
    bot.kpi("digest add <#C0PUBLIC|cx-team>")
    for verb in ("add <#C0PUBLIC|cx-team>", "remove 1", "pause 1", "resume 1"):
        answer = bot.kpi(f"digest {verb}", user="U0AGENT")
        assert "KPIBOT_ADMINS" in text_of(answer), verb
    assert len(stored(bot)) == 1
    assert not stored(bot)[0].paused
    assert "#1" in text_of(bot.kpi("digest list", user="U0AGENT"))
    assert "Weekly digest" in text_of(bot.kpi("digest preview 1", user="U0AGENT"))


@pytest.mark.parametrize("bot", [{}], indirect=True)
def test_without_kpibot_admins_workspace_admins_and_owners_decide(bot: Bot) -> None:
    assert "added" in text_of(bot.kpi("digest add <#C0PUBLIC|cx-team>", user="U0OWNER"))
    refused = bot.kpi("digest add <#C0PUBLIC|cx-team>", user="U0AGENT")
    assert "workspace admins" in text_of(refused)


def test_list_pause_resume_remove(bot: Bot) -> None:
    bot.kpi("digest add <#C0PUBLIC|cx-team>")
    bot.kpi('digest add <#G0INVITED|managers> cron="0 7 * * 1-5" kpis=nps')
    listed = text_of(bot.kpi("digest list"))
    assert "*#1* <#C0PUBLIC> · weekly, Monday 09:00 (Europe/Paris)" in listed
    assert "next: Mon 23 Nov 09:00 · last: never" in listed
    assert "*#2* <#G0INVITED> · cron `0 7 * * 1-5` (Europe/Paris) · nps" in listed
    assert "paused" in text_of(bot.kpi("digest pause 1"))
    assert ":double_vertical_bar: paused: paused from Slack" in text_of(bot.kpi("digest list"))
    assert "resumed" in text_of(bot.kpi("digest resume 1"))
    assert "removed" in text_of(bot.kpi("digest remove 2"))
    assert [s.id for s in stored(bot)] == [1]
    assert not stored(bot)[0].paused


def test_preview_shows_the_next_digest_to_the_caller_only(bot: Bot) -> None:
    bot.kpi("digest add <#C0PUBLIC|cx-team> plan=enterprise")
    answer = bot.kpi("digest preview 1")
    text = text_of(answer)
    assert "Preview, only visible to you" in text
    assert "Weekly digest · 16 Nov → 22 Nov 2026" in text  # the digest due on Monday 23
    assert "Segment: plan=enterprise" in text
    assert bot.slack.posted() == []  # nothing posted in the channel


def test_digest_help(bot: Bot) -> None:
    assert "/kpi digest add #channel" in text_of(bot.kpi("digest"))
