"""The Home tab end to end: `app_home_opened` through the real server publishes the viewer's
dashboard on the fake Slack, with the KPI figures `/kpi` answers, the open alerts whose Claim
buttons claim, the digests of the viewer's channels and the daily trend image. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View

from handlers.alerts import ids
from handlers.home.view import Dashboard, home_view, refused_view
from storage.db import session_scope
from storage.digests.store import create_subscription
from storage.digests.tables import Cadence, DigestSubscription
from tests.digest_fixtures import seed
from tests.harness import Bot, serve_bot
from tests.slack_requests import block_action

NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)
LEADS = "C0LEADS"


class Clock:
    """The bot's clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def _bot(db_url: str, clock: Clock, **settings: Any) -> Any:
    return serve_bot(
        db_url,
        members=("U0ADMIN", "U0LEAD", "U0OTHER"),
        clock=clock,
        seed=lambda deps: seed(deps, weeks=3),
        admins=["U0ADMIN"],
        **settings,
    )


@pytest.fixture
def bot(db_url: str, clock: Clock) -> Iterator[Bot]:
    with _bot(db_url, clock) as running:
        yield running


def wait_published(bot: Bot, count: int) -> None:
    bot.slack.wait_for("views.publish", count)


def opened(bot: Bot, user: str, n: int) -> dict[str, Any]:
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
    assert bot.event(event, event_id=f"EvHome{n}").status_code == 200
    wait_published(bot, n)
    return open_home_view(bot, user, n)


def open_home_view(bot: Bot, user: str, n: int) -> dict[str, Any]:
    published = bot.slack.of("views.publish")
    assert len(published) >= n, [c.method for c in bot.slack.calls]
    call = published[n - 1]
    assert call.body["user_id"] == user
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else view  # type: ignore[no-any-return]


def _value(answer: dict[str, Any]) -> str:
    """The bold value of an answer's first field: `*Value*\\n*+42*` → `+42`."""
    section = next(b for b in answer["blocks"] if b["type"] == "section" and "fields" in b)
    return str(section["fields"][0]["text"].split("\n")[1].strip("*"))


def _alert(bot: Bot) -> int:
    text = bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>", user="U0ADMIN")
    assert "Route" in text, text
    bot.ingest(
        [
            {
                "external_id": "home-1",
                "survey": "nps",
                "score": 2,
                "comment": "nobody called me back",
                "customer_id": "cust-home",
                "submitted_at": (NOW - timedelta(minutes=5)).isoformat(),
            }
        ]
    )
    assert bot.work(now=NOW) == ["posted"]
    [alert] = bot.alerts()
    assert alert.id is not None
    return alert.id


def test_the_dashboard_shows_the_answers_alerts_digests_and_trend(bot: Bot) -> None:
    bot.slack.memberships["U0LEAD"] = ["C0CXTEAM"]
    with session_scope(bot.deps.sessions) as session:
        for channel in ("C0CXTEAM", "C0ELSEWHERE"):
            create_subscription(
                session=session,
                subscription=DigestSubscription(
                    channel_id=channel,
                    cadence=Cadence.WEEKLY,
                    cron="0 9 * * 1",
                    timezone="Europe/Paris",
                    kpis=["nps", "csat"],
                ),
            )
    alert_id = _alert(bot)
    view = opened(bot, "U0LEAD", 1)
    View(**view).validate_json()
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home"
    assert "Your KPIs at a glance" in text
    for kpi, name in (("nps", "NPS"), ("csat", "CSAT"), ("frt", "First response time")):
        for period, label in (("last-7d", "Last 7 days"), ("last-30d", "Last 30 days")):
            value = _value(bot.kpi(f"{kpi} {period}", user="U0LEAD"))
            assert f"*{name}* · {label}\\n*{value}*" in text, (kpi, period, value)
    assert "significant" in text
    claim = [
        b
        for b in view["blocks"]
        if b["type"] == "section" and (b.get("accessory") or {}).get("action_id") == ids.CLAIM
    ]
    assert [b["accessory"]["value"] for b in claim] == [str(alert_id)]
    assert "nobody called me back" in text
    assert "<#C0CXTEAM>" in text
    assert "C0ELSEWHERE" not in text  # not one of the viewer's channels
    [image] = [b for b in view["blocks"] if b["type"] == "image"]
    [upload] = bot.slack.of("files.completeUploadExternal")
    file_id = json.loads(upload.body["files"])[0]["id"]
    assert image["slack_file"] == {"id": file_id}
    assert "channel_id" not in upload.body  # uploaded once, shared with nobody
    assert image["alt_text"].startswith("Trend over the last 12 weeks: NPS")
    assert "/kpi <kpi> [period]" in text


def test_a_claim_from_the_home_tab_claims_and_republishes(bot: Bot) -> None:
    alert_id = _alert(bot)
    opened(bot, "U0LEAD", 1)
    click = block_action(ids.CLAIM, str(alert_id), user="U0LEAD", channel="", ts="")
    click["container"] = {"type": "view", "view_id": "V0HOME"}
    click["view"] = {"id": "V0HOME", "type": "home", "hash": "h1"}
    del click["channel"], click["message"]
    assert bot.interact(click).status_code == 200
    wait_published(bot, 2)
    [alert] = bot.alerts()
    assert (alert.state, alert.claimed_by) == ("claimed", "U0LEAD")
    [updated] = bot.slack.of("chat.update")  # the channel's message says so too
    assert updated.body["channel"] == LEADS
    again = open_home_view(bot, "U0LEAD", 2)
    text = json.dumps(again)
    assert ids.CLAIM not in text
    assert "U0LEAD" in text  # claimed by


def test_the_view_is_cached_for_a_minute(bot: Bot, clock: Clock) -> None:
    opened(bot, "U0LEAD", 1)
    computed = len(bot.slack.of("files.getUploadURLExternal"))
    first = open_home_view(bot, "U0LEAD", 1)
    clock.at = NOW + timedelta(seconds=30)
    second = opened(bot, "U0LEAD", 2)
    assert second == first  # the same view, not built again (same "updated" time)
    clock.at = NOW + timedelta(seconds=90)
    third = opened(bot, "U0LEAD", 3)
    assert third != first  # built again: a newer "updated" time
    assert len(bot.slack.of("files.getUploadURLExternal")) == computed  # once a day


def test_the_trend_is_uploaded_once_a_day(bot: Bot, clock: Clock) -> None:
    opened(bot, "U0LEAD", 1)
    opened(bot, "U0OTHER", 2)
    clock.at = NOW + timedelta(minutes=5)
    opened(bot, "U0LEAD", 3)
    assert len(bot.slack.of("files.completeUploadExternal")) == 1
    clock.at = NOW + timedelta(days=1)
    opened(bot, "U0LEAD", 4)
    assert len(bot.slack.of("files.completeUploadExternal")) == 2


def test_a_guest_sees_only_why(bot: Bot) -> None:
    bot.slack.member("U0GUEST", is_restricted=True)
    view = opened(bot, "U0GUEST", 1)
    text = json.dumps(view)
    assert "cannot show you its dashboard" in text
    assert "NPS" not in text
    assert bot.slack.of("files.getUploadURLExternal") == []


def test_in_french(db_url: str, clock: Clock) -> None:
    with _bot(db_url, clock, language="fr") as bot:
        view = opened(bot, "U0LEAD", 1)
        text = json.dumps(view, ensure_ascii=False)
        assert "Vos KPI en un coup d'œil" in text
        assert "7 derniers jours" in text
        assert "Aucune alerte détracteur ouverte." in text


def test_views_hold_slacks_limits() -> None:
    view = home_view(Dashboard(at=NOW, tz="Europe/Paris"))
    View(**view).validate_json()
    View(**refused_view("a guest account")).validate_json()
    assert len(view["blocks"]) <= 100
