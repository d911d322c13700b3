"""Running kpibot for real: `/metrics` read by prometheus-client's own parser, `kpibot doctor`
green and failing each check, incidents told once to the ops channel (and their recovery), a
database that is away (503 with Retry-After, a readable Slack answer), and JSON logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from bot import build_deps, cli, create_app
from handlers.digests.deliver import deliver
from handlers.feature import Check, Feature
from handlers.ops.connectors import Outcome, record_delivery
from handlers.ops.doctor import MANIFEST_SCOPES, connectors
from handlers.ops.incidents import watch
from handlers.ops.jobs import heartbeat
from handlers.rollups.jobs import refresh_now
from settings import Settings
from storage.db import session_scope
from storage.digests.store import create_subscription
from storage.digests.tables import Cadence, DigestSubscription, Trigger
from storage.migrate import head_revision, upgrade
from tests.fakeslack import fake_slack
from tests.harness import SECRET, TOKEN, Bot, serve_bot
from tests.server import free_port, serve_app

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
OPS = "C0OPS"
LEADS = "C0LEADS"
MANIFEST = Path(__file__).parents[1] / "slack" / "manifest.yml"


class _Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    return _Clock(NOW)


@pytest.fixture
def bot(db_url: str, clock: _Clock) -> Iterator[Bot]:
    with serve_bot(
        db_url,
        members=("U0ADMIN", "U0LEAD"),
        admins=["U0ADMIN"],
        clock=clock,
        ops_channel=OPS,
    ) as running:
        running.slack.channels[OPS] = {"name": "kpibot-ops", "is_member": True}
        yield running


def _scrape(bot: Bot) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    reply = httpx.get(
        f"{bot.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def _value(metrics: dict[str, Any], name: str, **labels: str) -> float:
    return float(metrics.get(name, {}).get(tuple(sorted(labels.items())), 0.0))


def _answer(i: int, score: int, *, minutes: int = 5) -> dict[str, Any]:
    return {
        "external_id": f"m{i}",
        "survey": "nps",
        "score": score,
        "comment": f"comment {i}",
        "submitted_at": (NOW - timedelta(minutes=minutes)).isoformat(),
    }


def _digest(bot: Bot, channel: str = "C0DIGEST") -> int:
    with session_scope(bot.deps.sessions) as session:
        return create_subscription(
            session=session,
            subscription=DigestSubscription(
                channel_id=channel,
                cadence=Cadence.DAILY,
                cron="0 0 * * *",
                timezone="UTC",
                kpis=["nps"],
                created_by="U0ADMIN",
                created_at=NOW - timedelta(days=3),
                updated_at=NOW - timedelta(days=3),
            ),
        )


def test_metrics_move_as_the_bot_ingests_asks_and_delivers(bot: Bot) -> None:
    assert httpx.get(f"{bot.url}/metrics", timeout=10).status_code == 401
    before = _scrape(bot)
    assert _value(before, "kpibot_database_up") == 1
    assert all(name.startswith("kpibot_") for name in before)
    bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>")
    bot.ingest([_answer(1, 3), _answer(2, 9)])
    bot.ingest([{"external_id": "t1", "created_at": NOW.isoformat()}], kind="tickets")
    bot.ingest([{**_answer(3, 10), "source": "typeform"}])
    bot.ingest([_answer(4, 8, minutes=60 * 20)])  # yesterday, 23 November
    waiting = _scrape(bot)
    assert _value(waiting, "kpibot_records_ingested_total", kind="responses", source="api") == 3
    assert (
        _value(waiting, "kpibot_records_ingested_total", kind="responses", source="typeform") == 1
    )
    assert _value(waiting, "kpibot_records_ingested_total", kind="tickets", source="api") == 1
    assert _value(waiting, "kpibot_alert_outbox_depth") == 1
    assert _value(waiting, "kpibot_alert_outbox_oldest_age_seconds") == 0  # raised "now"

    assert bot.command("/nps", "last-7d", user_id="U0LEAD").status_code == 200
    assert bot.command("/kpi", "nope-kpi", user_id="U0LEAD").status_code == 200
    assert bot.work() == ["posted"]
    sid = _digest(bot)
    slot = datetime(2026, 11, 25, tzinfo=UTC)
    assert (
        deliver(bot.deps, bot.client(), sid, slot, now=slot, trigger=Trigger.SCHEDULER).status
        == "sent"
    )
    record_delivery(bot.deps, "zendesk", Outcome.STORED)
    record_delivery(bot.deps, "zendesk", Outcome.UNAUTHORIZED, "bad signature")
    heartbeat(bot.deps, _NoJobs(), NOW)

    after = _scrape(bot)
    assert _value(after, "kpibot_slash_commands_total", command="/nps", outcome="answered") == 1
    assert _value(after, "kpibot_slash_commands_total", command="/kpi", outcome="answered") >= 2
    assert _value(after, "kpibot_slash_command_seconds_count", command="/nps") == 1
    assert _value(after, "kpibot_slash_command_seconds_bucket", command="/nps", le="+Inf") == 1
    assert _value(after, "kpibot_alert_posts_total", status="posted") == 1
    assert _value(after, "kpibot_alert_outbox_depth") == 0
    assert _value(after, "kpibot_digest_deliveries_total", status="sent") == 1
    assert (
        _value(after, "kpibot_connector_deliveries_total", vendor="zendesk", outcome="stored") == 1
    )
    assert (
        _value(after, "kpibot_connector_deliveries_total", vendor="zendesk", outcome="unauthorized")
        == 1
    )
    assert _value(after, "kpibot_schedulers_alive") == 1
    cubes = after["kpibot_rollup_lag_seconds"]
    assert len(cubes) == 3
    # 23 November holds an answer; it ended 10 h ago and is not rolled up yet
    assert max(cubes.values()) == pytest.approx(10 * 3600)
    refresh_now(bot.deps)
    assert max(_scrape(bot)["kpibot_rollup_lag_seconds"].values()) == 0
    assert _value(after, "kpibot_ops_incidents_open", kind="digest") == 0


class _NoJobs:
    """A scheduler with no jobs (the heartbeat lists the features it runs)."""

    def get_jobs(self) -> list[Any]:
        return []


def test_two_apps_in_one_process_have_registries_of_their_own(db_url: str) -> None:
    first = build_deps(Settings(database_url=db_url, ingest_token=TOKEN))
    second = build_deps(Settings(database_url=db_url, ingest_token=TOKEN))
    try:
        create_app(first.settings, first)
        create_app(second.settings, second)
        first.metrics.records_ingested.labels(kind="responses", source="api").inc(3)
        assert (
            second.metrics.records_ingested.labels(kind="responses", source="api")._value.get() == 0
        )
    finally:
        first.engine.dispose()
        second.engine.dispose()


# --- the ops channel ---------------------------------------------------------------------


def _ops_messages(bot: Bot) -> list[str]:
    return [str(c.body.get("text")) for c in bot.slack.posted(OPS)]


def test_a_digest_that_cannot_be_posted_is_told_once_and_its_recovery_once(
    bot: Bot, clock: _Clock
) -> None:
    bot.ingest([_answer(1, 3)])
    sid = _digest(bot)
    slot = datetime(2026, 11, 25, tzinfo=UTC)
    clock.now = slot
    bot.slack.fail["chat.postMessage"] = (200, {"ok": False, "error": "channel_not_found"})
    assert (
        deliver(bot.deps, bot.client(), sid, slot, now=slot, trigger=Trigger.SCHEDULER).status
        == "failed"
    )
    del bot.slack.fail["chat.postMessage"]
    assert watch(bot.deps, bot.client(), now=slot) == [f"+digest:{sid}"]
    assert watch(bot.deps, bot.client(), now=slot + timedelta(minutes=1)) == []
    [told] = _ops_messages(bot)
    assert f"digest #{sid}" in told
    assert "channel_not_found" in told
    assert "kpibot needs a person" in told
    # the channel is back, the digest resumed and its next slot posted
    nxt = slot + timedelta(days=1)
    from storage.digests.store import set_paused

    with session_scope(bot.deps.sessions) as session:
        set_paused(session=session, subscription_id=sid, paused=False, reason=None, now=slot)
    assert (
        deliver(bot.deps, bot.client(), sid, nxt, now=nxt, trigger=Trigger.SCHEDULER).status
        == "sent"
    )
    assert watch(bot.deps, bot.client(), now=nxt) == [f"-digest:{sid}"]
    assert watch(bot.deps, bot.client(), now=nxt) == []
    messages = _ops_messages(bot)
    assert len(messages) == 2
    assert "Recovered" in messages[1]
    assert f"digest #{sid}" in messages[1]


def test_alerts_stuck_for_ten_minutes_are_told_once_then_their_recovery(bot: Bot) -> None:
    bot.kpi_text(f"alert detractors <#{LEADS}|leads> <@U0LEAD>")
    bot.ingest([_answer(1, 2)])
    bot.slack.fail["chat.postMessage"] = (500, {"ok": False, "error": "internal_error"})
    assert bot.work(NOW) == ["failed"]
    assert watch(bot.deps, bot.client(), now=NOW + timedelta(minutes=5)) == []  # not yet
    assert bot.work(NOW + timedelta(minutes=6)) == ["failed"]  # retried: still one incident
    del bot.slack.fail["chat.postMessage"]
    bot.slack.fail_next("chat.postMessage", 500, {"ok": False, "error": "internal_error"}, 4)
    assert watch(bot.deps, bot.client(), now=NOW + timedelta(minutes=11)) == ["+alerts:unposted"]
    assert watch(bot.deps, bot.client(), now=NOW + timedelta(minutes=12)) == []
    assert bot.work(NOW + timedelta(minutes=13)) == ["posted"]
    assert watch(bot.deps, bot.client(), now=NOW + timedelta(minutes=14)) == ["-alerts:unposted"]
    messages = _ops_messages(bot)
    assert len(messages) == 2, messages
    assert "1 alert(s) waited more than 10 minutes" in messages[0]
    assert "every alert is posted again" in messages[1]


def test_a_connector_that_keeps_failing_is_told_once(bot: Bot) -> None:
    for _ in range(4):
        record_delivery(bot.deps, "typeform", Outcome.UNAUTHORIZED, "bad signature")
    assert watch(bot.deps, bot.client(), now=NOW) == []  # four: not yet "keeps failing"
    record_delivery(bot.deps, "typeform", Outcome.UNAUTHORIZED, "bad signature")
    assert watch(bot.deps, bot.client(), now=NOW) == ["+connector:typeform"]
    record_delivery(bot.deps, "typeform", Outcome.UNAUTHORIZED, "bad signature")
    assert watch(bot.deps, bot.client(), now=NOW) == []
    record_delivery(bot.deps, "typeform", Outcome.STORED)
    assert watch(bot.deps, bot.client(), now=NOW) == ["-connector:typeform"]
    messages = _ops_messages(bot)
    assert len(messages) == 2
    assert "typeform webhook deliveries keep failing: 5 in a row" in messages[0]
    assert "bad signature" in messages[0]


def test_a_broken_token_is_told_when_it_works_again(bot: Bot) -> None:
    bot.slack.fail["auth.test"] = (200, {"ok": False, "error": "token_revoked"})
    bot.slack.fail["chat.postMessage"] = (200, {"ok": False, "error": "token_revoked"})
    assert watch(bot.deps, bot.client(), now=NOW) == ["+slack:token"]
    for minute in range(1, 8):  # more runs than attempts: the message waits for the token
        assert watch(bot.deps, bot.client(), now=NOW + timedelta(minutes=minute)) == []
    assert _ops_messages(bot) == []
    del bot.slack.fail["auth.test"], bot.slack.fail["chat.postMessage"]
    assert watch(bot.deps, bot.client(), now=NOW + timedelta(minutes=9)) == ["-slack:token"]
    messages = _ops_messages(bot)
    assert len(messages) == 2
    assert "token stopped working (token_revoked)" in messages[0]
    assert "token works again" in messages[1]


def test_without_an_ops_channel_incidents_are_recorded_not_posted(db_url: str) -> None:
    with serve_bot(db_url, clock=lambda: NOW) as bot:
        for _ in range(5):
            record_delivery(bot.deps, "zendesk", Outcome.FAILED, "boom")
        assert watch(bot.deps, bot.client(), now=NOW) == ["+connector:zendesk"]
        assert bot.slack.posted() == []
        assert _value(_scrape(bot), "kpibot_ops_incidents_open", kind="connector") == 1


# --- the doctor ---------------------------------------------------------------------------


def _doctor(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "KPIBOT_SLACK_MODE",
        "KPIBOT_OPS_CHANNEL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(cli, ["doctor"])


@pytest.fixture
def healthy(bot: Bot, clock: _Clock) -> dict[str, str]:
    clock.now = datetime.now(UTC)  # the doctor reads the heartbeat with the real clock
    heartbeat(bot.deps, _NoJobs(), clock.now)
    return {
        "DATABASE_URL": bot.settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": bot.slack.api_url(),
        "KPIBOT_OPS_CHANNEL": OPS,
    }


def test_doctor_is_green_when_everything_holds(
    bot: Bot, healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _doctor(monkeypatch, **healthy)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    for name in ("settings", "database", "migrations", "slack mode", "slack token", "slack scopes"):
        assert any(line.startswith("ok") and f" {name}:" in line for line in lines), name
    assert any("ops channel: C0OPS can be posted to" in line for line in lines)
    assert any(line.startswith("ok") and "scheduler: 1 running" in line for line in lines)
    assert lines[-1].startswith("doctor: all")
    assert bot.slack.of("auth.test")


@pytest.mark.parametrize(
    ("change", "failed", "says"),
    [
        ("token", "slack token", "invalid_auth"),
        ("scope", "slack scopes", "missing files:write"),
        ("secret", "slack mode", "needs SLACK_SIGNING_SECRET"),
        ("socket", "slack mode", "needs SLACK_APP_TOKEN"),
        ("channel", "ops channel", "archived"),
        ("scheduler", "scheduler", "none ran for"),
        ("incident", "incidents", "connector:zendesk"),
        ("settings", "settings", "KPIBOT_TIMEZONE"),
    ],
)
def test_doctor_names_each_failure(
    bot: Bot,
    healthy: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    failed: str,
    says: str,
) -> None:
    env = dict(healthy)
    if change == "token":
        bot.slack.fail["auth.test"] = (200, {"ok": False, "error": "invalid_auth"})
    elif change == "scope":
        bot.slack.scopes = [s for s in MANIFEST_SCOPES if s != "files:write"]
    elif change == "secret":
        env.pop("SLACK_SIGNING_SECRET")
    elif change == "socket":
        env["KPIBOT_SLACK_MODE"] = "socket"
    elif change == "channel":
        bot.slack.channels[OPS] = {"name": "old-ops", "is_archived": True}
    elif change == "scheduler":
        with bot.deps.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM scheduler_heartbeats")
        bot.deps.clock = lambda: datetime.now(UTC) - timedelta(hours=1)
        heartbeat(bot.deps, _NoJobs(), datetime.now(UTC))
    elif change == "incident":
        for _ in range(5):
            record_delivery(bot.deps, "zendesk", Outcome.FAILED, "boom")
        watch(bot.deps, bot.client(), now=datetime.now(UTC))
    elif change == "settings":
        env["KPIBOT_TIMEZONE"] = "Mars/Olympus"
    result = _doctor(monkeypatch, **env)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert any(
        line.startswith("FAIL") and f"{failed}:" in line and says in line for line in lines
    ), result.output
    assert f"check(s) failed: {failed}" in lines[-1] or failed in lines[-1]


def test_doctor_names_an_unreachable_database_and_old_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.db"
    upgrade(f"sqlite:///{old}", "0005")
    result = _doctor(monkeypatch, DATABASE_URL=f"sqlite:///{old}")
    assert result.exit_code == 1
    assert f"FAIL  migrations: at 0005, kpibot needs {head_revision()}" in result.output
    assert "check(s) failed: migrations" in result.output
    down = _doctor(
        monkeypatch, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/kpibot"
    )
    assert down.exit_code == 1
    assert "FAIL  database: does not answer" in down.output
    assert "check(s) failed: database" in down.output


def test_connectors_register_their_own_checks() -> None:
    def secret(_deps: Any) -> list[Check]:
        return [Check("zendesk secret", False, "KPIBOT_ZENDESK_SECRET is not set")]

    found = connectors(None, [Feature(name="zendesk", checks=secret)])  # type: ignore[arg-type]
    assert found == [Check("zendesk secret", False, "KPIBOT_ZENDESK_SECRET is not set")]
    assert connectors(None, [Feature(name="plain")])[0].ok is None  # type: ignore[arg-type]


def test_the_doctor_knows_the_manifests_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(MANIFEST_SCOPES)


# --- a database that is away -----------------------------------------------------------


@pytest.fixture(params=["postgresql", "sqlite"])
def broken_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return f"postgresql://postgres@127.0.0.1:{free_port()}/kpibot"
    folder = tmp_path / "not-a-file.db"
    folder.mkdir()  # SQLite cannot open a directory as its database
    return f"sqlite:///{folder}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_database_that_is_away_gives_503_and_a_readable_slack_answer(
    broken_url: str, language: str
) -> None:
    with fake_slack() as slack:
        slack.member("U0LEAD")
        settings = Settings(
            database_url=broken_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url(),
            ingest_token=TOKEN,
            language=language,
        )
        deps = build_deps(settings)
        try:
            with serve_app(create_app(settings, deps)) as url:
                bot = Bot(url, slack, deps, None)  # type: ignore[arg-type]
                reply = httpx.post(
                    f"{url}/api/v1/responses",
                    json=[_answer(1, 9)],
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=15,
                )
                assert reply.status_code == 503
                assert reply.headers["retry-after"] == "30"
                assert "database is unavailable" in reply.json()["detail"]
                erase = httpx.delete(
                    f"{url}/api/v1/customers/c-1",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=15,
                )
                assert erase.status_code == 503
                assert httpx.get(f"{url}/healthz", timeout=15).status_code == 503
                answer = bot.command("/nps", "last-7d")
                assert answer.status_code == 200
                said = json.dumps(answer.json(), ensure_ascii=False)
                expected = {
                    "en": "kpibot's database is unavailable, try again in a minute",
                    "fr": "la base de données de kpibot est indisponible, réessayez dans une "
                    "minute",
                }[language]
                assert expected in said
                assert answer.json()["response_type"] == "ephemeral"
                assert "error" not in said.lower().split("database")[0]
                metrics = httpx.get(
                    f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=15
                )
                assert "kpibot_database_up 0.0" in metrics.text
                assert 'kpibot_slash_commands_total{command="/nps",outcome="unavailable"} 1.0' in (
                    metrics.text
                )
        finally:
            deps.engine.dispose()


# --- logs -------------------------------------------------------------------------------------


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    from handlers.logs import configure

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure(json=True)
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def test_json_logs_carry_the_request_and_delivery_ids(bot: Bot, json_logs: io.StringIO) -> None:
    bot.ingest([_answer(1, 3)])
    reply = httpx.delete(
        f"{bot.url}/api/v1/customers/nobody",
        headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "req-4242"},
        timeout=10,
    )
    assert reply.headers["x-request-id"] == "req-4242"
    sid = _digest(bot)
    slot = datetime(2026, 11, 25, tzinfo=UTC)
    done = deliver(bot.deps, bot.client(), sid, slot, now=slot, trigger=Trigger.SCHEDULER)
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    erasure = [line for line in lines if line["message"].startswith("erasure")]
    assert erasure
    assert erasure[0]["request_id"] == "req-4242"
    sent = [line for line in lines if line["message"].startswith(f"digest #{sid} sent")]
    assert sent
    assert sent[0]["delivery_id"] == done.delivery_id


def test_access_logs_do_not_show_customer_ids(json_logs: io.StringIO) -> None:
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    access.info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "DELETE", "/api/v1/customers/cust-9", "1.1", 200
    )
    [line] = [json.loads(x) for x in json_logs.getvalue().splitlines()]
    assert "cust-9" not in line["message"]
    assert "/api/v1/customers/…" in line["message"]
