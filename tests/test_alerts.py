"""Alerts end to end: the real server, signed Slack requests, the HTTP ingest API, and the fake
Slack Web API; the jobs run at fixed instants. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.alerts import ids
from handlers.alerts.worker import evaluate_rules, post_pending, send_reminders
from handlers.slack.posting import once_client
from storage.alerts.tables import LoopState
from storage.db import session_scope
from storage.digests.tables import Cadence
from tests.harness import Bot, serve_bot
from tests.slack_requests import block_action, view_submission

LEADS = "C0LEADS"


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with serve_bot(
        db_url,
        members=("U0ADMIN", "U0LEAD", "U0OTHER", "U0AGENT"),
        admins=["U0ADMIN"],
        alert_burst=5,
    ) as running:
        yield running


def answer(
    i: int, score: int, *, survey: str = "nps", age: timedelta = timedelta(minutes=5), **extra: Any
) -> dict[str, Any]:
    return {
        "external_id": f"a{i}",
        "survey": survey,
        "score": score,
        "comment": f"comment {i}",
        "customer_id": extra.pop("customer_id", f"cust-{i}"),
        "submitted_at": (datetime.now(UTC) - age).isoformat(),
        "attributes": {"plan": "enterprise", **extra},
    }


def route(bot: Bot, extra: str = "") -> None:
    text = bot.kpi_text(
        f"alert detractors <#{LEADS}|leads> <@U0LEAD> <!subteam^S0SUP|support> {extra}"
    )
    assert "Route *d" in text, text


def test_a_fresh_detractor_is_posted_once_with_the_mentions(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(0, 9, customer_id="cust-9", age=timedelta(days=3))])  # history, a promoter
    opened = bot.ingest(
        [
            {
                "external_id": "T-77",
                "created_at": datetime.now(UTC).isoformat(),
                "customer_id": "cust-9",
            }
        ],
        kind="tickets",
    )
    assert opened == {"created": 1, "updated": 0}
    bot.ingest([answer(1, 3, customer_id="cust-9")])
    assert bot.work() == ["posted"]
    [post] = bot.slack.posted(LEADS)
    text = str(post.body["blocks"])
    assert "<@U0LEAD>" in text
    assert "<!subteam^S0SUP>" in text
    assert "*3/10* NPS" in text
    assert "comment 1" in text
    assert "cust-9" in text
    assert "plan: enterprise" in text
    assert "Previous answers: NPS 9/10" in text
    assert "Open tickets: 1 (`T-77`)" in text
    assert ids.CLAIM in text
    assert bot.work() == []  # nothing left
    [alert] = bot.alerts()
    assert (alert.status, alert.state, alert.message_channel) == ("posted", "open", LEADS)
    assert alert.message_ts


def test_old_answers_promoters_resends_and_enps_raise_nothing(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(1, 2, age=timedelta(days=2))])  # older than KPIBOT_ALERT_MAX_AGE
    bot.ingest([answer(2, 10)])  # a promoter
    bot.ingest([answer(3, 1, survey="enps")])  # anonymous
    bot.ingest([answer(4, 1, survey="csat"), answer(5, 3, survey="csat")])  # 1 detractor
    assert bot.work() == ["posted"]
    assert bot.ingest([answer(4, 1, survey="csat")]) == {"created": 0, "updated": 1}
    assert bot.work() == []
    assert len(bot.slack.posted(LEADS)) == 1
    assert len(bot.alerts()) == 1


def test_enps_routes_are_refused(bot: Bot) -> None:
    text = bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD> survey=enps")
    assert "anonymous" in text


def test_route_filters_and_surveys(bot: Bot) -> None:
    route(bot, "survey=csat region=emea")
    bot.ingest([answer(1, 2, survey="nps", region="emea")])  # not a CSAT answer
    bot.ingest([answer(2, 1, survey="csat", region="na")])  # another region
    bot.ingest([answer(3, 2, survey="csat", region="EMEA")])  # matches (case-insensitive)
    assert bot.work() == ["posted"]
    assert "comment 3" in str(bot.slack.posted(LEADS)[0].body["blocks"])


def test_a_burst_is_summarised_and_each_line_stays_claimable(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(i, i % 7) for i in range(7)])
    assert bot.work() == ["posted"]
    [summary] = bot.slack.posted(LEADS)
    text = str(summary.body["blocks"])
    assert "7 detractors in a minute" in text
    assert text.count(ids.CLAIM) == 7
    alerts = bot.alerts()
    assert {a.message_ts for a in alerts} == {alerts[0].message_ts}
    assert all(a.summarised for a in alerts)
    reply = bot.interact(
        block_action(
            ids.CLAIM,
            str(alerts[2].id),
            user="U0LEAD",
            channel=LEADS,
            ts=alerts[2].message_ts or "",
        )
    )
    assert reply.status_code == 200
    [update] = bot.slack.of("chat.update")
    updated = str(update.body["blocks"])
    assert "Claimed by <@U0LEAD>" in updated
    assert updated.count(ids.CLAIM) == 6


def test_claim_resolve_and_no_action_update_the_database_and_the_message(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(1, 2), answer(2, 4)])
    bot.work()
    first, second = bot.alerts()
    ts = first.message_ts or ""
    assert (
        bot.interact(
            block_action(ids.CLAIM, str(first.id), user="U0LEAD", channel=LEADS, ts=ts)
        ).status_code
        == 200
    )
    # A second person clicking Claim is told, and nothing changes.
    bot.interact(block_action(ids.CLAIM, str(first.id), user="U0OTHER", channel=LEADS, ts=ts))
    [told] = bot.slack.of("chat.postEphemeral")
    assert told.body["user"] == "U0OTHER"
    assert "already claimed by <@U0LEAD>" in told.body["text"]
    claimed = bot.alerts()[0]
    assert (claimed.state, claimed.claimed_by) == ("claimed", "U0LEAD")
    updates = bot.slack.of("chat.update")
    assert updates[0].body["ts"] == ts
    assert "Claimed by <@U0LEAD>" in str(updates[0].body["blocks"])

    # Resolved opens a modal; submitting it closes the loop with the note.
    bot.interact(block_action(ids.RESOLVE, str(first.id), user="U0LEAD", channel=LEADS, ts=ts))
    [opened] = bot.slack.of("views.open")
    view = opened.body["view"]
    assert view["callback_id"] == ids.RESOLVE_VIEW
    empty = bot.interact(
        view_submission(
            ids.RESOLVE_VIEW,
            view["private_metadata"],
            {ids.NOTE_BLOCK: {ids.NOTE_INPUT: {"type": "plain_text_input", "value": " "}}},
            user="U0LEAD",
        )
    )
    assert empty.json()["response_action"] == "errors"
    done = bot.interact(
        view_submission(
            ids.RESOLVE_VIEW,
            view["private_metadata"],
            {
                ids.NOTE_BLOCK: {
                    ids.NOTE_INPUT: {"type": "plain_text_input", "value": "Called back, refunded."}
                }
            },
            user="U0LEAD",
        )
    )
    assert done.status_code == 200
    resolved = bot.alerts()[0]
    assert (resolved.state, resolved.closed_by, resolved.note) == (
        "resolved",
        "U0LEAD",
        "Called back, refunded.",
    )
    last = str(bot.slack.of("chat.update")[-1].body["blocks"])
    assert "Resolved by <@U0LEAD>" in last
    assert "Called back, refunded." in last
    assert ids.CLAIM not in last

    # No action needed, on the other alert.
    bot.interact(
        block_action(
            ids.NO_ACTION, str(second.id), user="U0OTHER", channel=LEADS, ts=second.message_ts or ""
        )
    )
    dismissed = bot.alerts()[1]
    assert (dismissed.state, dismissed.closed_by) == ("no_action", "U0OTHER")
    assert "No action needed" in str(bot.slack.of("chat.update")[-1].body["blocks"])


def test_an_unclaimed_alert_gets_one_reminder_in_its_thread(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(1, 2)])
    now = bot.deps.clock()
    bot.work(now)
    client = bot.client()
    assert send_reminders(bot.deps, client, now=now + timedelta(hours=3)) == 0
    assert send_reminders(bot.deps, client, now=now + timedelta(hours=5)) == 1
    assert send_reminders(bot.deps, client, now=now + timedelta(hours=9)) == 0
    [reminder] = [c for c in bot.slack.posted(LEADS) if c.body.get("thread_ts")]
    assert reminder.body["thread_ts"] == bot.alerts()[0].message_ts
    assert "<@U0LEAD>" in reminder.body["text"]


def test_a_threshold_rule_fires_once_and_recovers_once(bot: Bot) -> None:
    text = bot.kpi_text(f"alert when nps last-7d &lt; 30 <#{LEADS}|leads> <@U0LEAD>")
    assert "Rule *t1*" in text
    assert "`nps last-7d < 30`" in text
    bot.ingest([answer(i, 2, survey="nps", age=timedelta(hours=30)) for i in range(10)])
    now = bot.deps.clock()
    assert evaluate_rules(bot.deps, now=now) == 1
    assert evaluate_rules(bot.deps, now=now + timedelta(minutes=15)) == 0
    bot.work()
    [fired] = bot.slack.posted(LEADS)
    assert (
        "NPS last-7d is -100" in fired.body["text"] or "NPS last-7d is −100" in fired.body["text"]
    )
    assert "<@U0LEAD>" in str(fired.body["blocks"])
    bot.ingest([answer(100 + i, 10, age=timedelta(hours=30)) for i in range(40)])
    assert evaluate_rules(bot.deps, now=now + timedelta(minutes=30)) == 1
    assert evaluate_rules(bot.deps, now=now + timedelta(minutes=45)) == 0
    bot.work()
    recovered = bot.slack.posted(LEADS)[-1]
    assert "is back" in recovered.body["text"]
    assert len(bot.slack.posted(LEADS)) == 2
    assert "holding" in bot.kpi_text("alert list")


def test_a_threshold_alert_names_the_segment_that_drove_it(bot: Bot) -> None:
    bot.kpi_text(f"alert when nps last-7d drops-by 30 <#{LEADS}|leads> <@U0LEAD>")
    week = timedelta(days=7, hours=12)
    history = [answer(i, 10, age=week, plan=("free", "pro")[i % 2]) for i in range(40)]
    now = [answer(100 + i, 10, plan="free") for i in range(20)]
    now += [answer(200 + i, 2, plan="pro") for i in range(20)]
    bot.ingest(history + now)
    assert evaluate_rules(bot.deps, now=bot.deps.clock()) == 1
    bot.work()
    [fired] = bot.slack.posted(LEADS)
    shown = str(fired.body["blocks"])
    assert "Driven by *plan = pro* (+100 → −100, −100 pts, own value)" in shown


def test_a_slack_timeout_is_recorded_and_not_reposted(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(1, 2)])
    slow = bot.settings.model_copy(update={"slack_timeout": 1})
    bot.slack.delay["chat.postMessage"] = 2.5
    slow_deps = dataclasses.replace(bot.deps, settings=slow)
    assert post_pending(bot.deps, once_client(slow_deps), now=bot.deps.clock()) == ["unknown"]
    del bot.slack.delay["chat.postMessage"]
    assert bot.work() == []
    assert len(bot.slack.of("chat.postMessage")) == 1
    assert "delivery unknown" in bot.kpi_text("alert list")


def test_a_slack_outage_delays_the_alert_and_never_drops_it(bot: Bot) -> None:
    route(bot)
    bot.ingest([answer(1, 2)])
    bot.slack.fail_next("chat.postMessage", 503, {"ok": False, "error": "unavailable"}, times=4)
    assert bot.work() == ["failed"]
    assert bot.work() == ["posted"]
    assert len(bot.slack.posted(LEADS)) == 1


def test_non_admins_may_list_but_not_change(bot: Bot) -> None:
    refused = bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>", user="U0AGENT")
    assert "KPIBOT_ADMINS" in refused
    route(bot)
    assert "d1" in bot.kpi_text("alert list", user="U0AGENT")
    assert "KPIBOT_ADMINS" in bot.kpi_text("alert remove d1", user="U0AGENT")
    assert "removed" in bot.kpi_text("alert remove d1")
    assert "No detractor routes" in bot.kpi_text("alert list")


def test_loop_kpis_and_the_digest_line(bot: Bot) -> None:
    from handlers.answers.service import answer_text
    from handlers.digests.blocks import digest_message
    from handlers.digests.build import build_digest
    from handlers.digests.schedule import digest_period
    from storage.alerts.store import move_loop
    from storage.digests.tables import DigestSubscription

    route(bot)
    bot.ingest([answer(i, 2) for i in range(4)])
    bot.work()
    first, second, third, _ = bot.alerts()
    t0 = datetime.now(UTC)
    with session_scope(bot.deps.sessions) as session:
        for alert, hours in ((first, 2), (second, 4)):
            assert alert.id is not None
            assert move_loop(
                session=session,
                alert_id=alert.id,
                to=LoopState.CLAIMED,
                from_states=(LoopState.OPEN,),
                user="U0LEAD",
                now=t0,
            )
            assert move_loop(
                session=session,
                alert_id=alert.id,
                to=LoopState.RESOLVED,
                from_states=(LoopState.CLAIMED,),
                user="U0LEAD",
                now=t0 + timedelta(hours=hours),
            )
        assert third.id is not None
        move_loop(
            session=session,
            alert_id=third.id,
            to=LoopState.NO_ACTION,
            from_states=(LoopState.OPEN,),
            user="U0LEAD",
            now=t0,
        )
    later = t0 + timedelta(hours=5)
    rate = answer_text(deps=bot.deps, text="loop-closure-rate last-7d", now=later)
    assert (rate.current.value, rate.current.n) == (50.0, 4)
    closing = answer_text(deps=bot.deps, text="time-to-close last-7d", now=later)
    assert closing.current.value == pytest.approx(3 * 3600, abs=1)
    assert closing.current.parts["median"] == pytest.approx(3 * 3600, abs=1)
    french = answer_text(deps=bot.deps, text="taux-de-bouclage last-7d", now=later)
    assert french.key == "loop-closure-rate"

    subscription = DigestSubscription(
        id=1, channel_id="C0X", cadence=Cadence.DAILY, cron="0 9 * * *", timezone="UTC"
    )
    period = digest_period("daily", "0 9 * * *", "UTC", later + timedelta(days=1))
    message = digest_message(build_digest(bot.deps, subscription, period))
    assert "detractor loops closed 50.0% (n = 4)" in str(message.blocks)
    assert "time to close 3 h" in str(message.blocks)


def test_rules_read_thresholds_in_the_kpis_unit_and_explain_bad_ones(bot: Bot) -> None:
    from storage.alerts.store import list_rules

    assert "`frt this-week > 4h`" in bot.kpi_text(f"alert when frt this-week above 4h <#{LEADS}|l>")
    assert "`csat last-7d plan=smb < 85%`" in bot.kpi_text(
        f"alert when csat plan=smb below 85% <#{LEADS}|l>"
    )
    assert "`nps last-30d drops-by 10`" in bot.kpi_text(
        f"alert when nps last-30d drops-by 10 <#{LEADS}|l>"
    )
    with session_scope(bot.deps.sessions) as session:
        rules = list_rules(session=session)
    assert [(r.kpi, r.comparison, r.threshold) for r in rules] == [
        ("frt", "above", 14400.0),
        ("csat", "below", 85.0),
        ("nps", "drops-by", 10.0),
    ]
    assert "say when" in bot.kpi_text(f"alert when nps last-7d <#{LEADS}|l>")
    assert "unknown KPI 'nsp'" in bot.kpi_text(f"alert when nsp &lt; 3 <#{LEADS}|l>")
    assert "name the channel" in bot.kpi_text("alert when nps &lt; 3")


def test_guests_cannot_act_on_alerts(bot: Bot) -> None:
    route(bot)
    bot.slack.member("U0GUEST", is_restricted=True)
    bot.ingest([answer(1, 2)])
    bot.work()
    [alert] = bot.alerts()
    ts = alert.message_ts or ""
    bot.interact(block_action(ids.CLAIM, str(alert.id), user="U0GUEST", channel=LEADS, ts=ts))
    [told] = bot.slack.of("chat.postEphemeral")
    assert told.body["user"] == "U0GUEST"
    assert "guests" in told.body["text"]
    assert bot.alerts()[0].state == "open"
    assert bot.slack.of("chat.update") == []


@pytest.fixture
def french(db_url: str) -> Iterator[Bot]:
    with serve_bot(
        db_url, members=("U0ADMIN", "U0LEAD", "U0OTHER"), admins=["U0ADMIN"], language="fr"
    ) as running:
        yield running


def test_kpibot_language_fr_gives_french_alerts_buttons_and_modals(french: Bot) -> None:
    added = french.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>")
    assert "Route *d1* : les détracteurs de nps, csat, ces sont annoncés dans" in added
    french.ingest([answer(1, 2)])
    assert french.work() == ["posted"]
    [post] = french.slack.posted(LEADS)
    assert post.body["text"].startswith("Détracteur : 2/10 NPS")
    blocks = str(post.body["blocks"])
    assert "*Détracteur* <@U0LEAD>" in blocks
    assert "client `cust-1`" in blocks
    assert "Première réponse de ce client" in blocks
    [actions] = [b for b in post.body["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Je m'en occupe",
        "Résolu",
        "Aucune action nécessaire",
    ]
    [alert] = french.alerts()
    ts = alert.message_ts or ""
    french.interact(block_action(ids.CLAIM, str(alert.id), user="U0LEAD", channel=LEADS, ts=ts))
    french.interact(block_action(ids.CLAIM, str(alert.id), user="U0OTHER", channel=LEADS, ts=ts))
    [told] = french.slack.of("chat.postEphemeral")
    assert told.body["text"] == "Cette alerte a déjà été prise en charge par <@U0LEAD>."
    [update] = french.slack.of("chat.update")[:1]
    assert "Pris en charge par <@U0LEAD>" in str(update.body["blocks"])
    french.interact(block_action(ids.RESOLVE, str(alert.id), user="U0LEAD", channel=LEADS, ts=ts))
    [opened] = french.slack.of("views.open")
    view = opened.body["view"]
    assert view["title"]["text"] == "Clore l'alerte"
    assert view["submit"]["text"] == "Clore"
    assert view["blocks"][0]["label"]["text"] == "Qu'avez-vous fait ?"
    empty = french.interact(
        view_submission(
            ids.RESOLVE_VIEW,
            view["private_metadata"],
            {ids.NOTE_BLOCK: {ids.NOTE_INPUT: {"type": "plain_text_input", "value": ""}}},
            user="U0LEAD",
        )
    )
    assert empty.json()["errors"] == {ids.NOTE_BLOCK: "Une courte note, s'il vous plaît."}
    listed = french.kpi_text("alert list")
    assert "prise en charge depuis" in listed
    refused = french.kpi_text("alert remove d1", user="U0LEAD")
    assert "Vous ne pouvez pas modifier les alertes" in refused
