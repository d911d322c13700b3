"""Digest deliveries against the fake Slack Web API, at fixed instants, on SQLite and PostgreSQL:
posted once, with the chart in the thread; retried when Slack certainly posted nothing; never
re-posted after an ambiguous timeout; caught up after downtime; paused when the channel is gone."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from handlers.digests.deliver import deliver
from handlers.digests.jobs import catch_up
from storage.db import session_scope
from storage.digests.store import deliveries_of, get_subscription
from storage.digests.tables import DeliveryStatus, Trigger
from tests.digest_fixtures import CHANNEL, SLOT, seed, subscribe, world

PNG = b"\x89PNG\r\n\x1a\n"


def _deliveries(w, subscription_id):
    with session_scope(w.deps.sessions) as session:
        return deliveries_of(session=session, subscription_id=subscription_id)


def test_a_digest_is_posted_once_with_its_chart_in_the_thread(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        first = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        again = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        late = catch_up(w.deps, w.client(), now=SLOT + timedelta(minutes=5))
        assert (first.status, first.chart) == ("sent", "uploaded")
        assert again.status == "skipped"
        assert late == []
        posts = w.slack.posted(CHANNEL)
        assert len(posts) == 1
        body = posts[0].body
        text = str(body["blocks"])
        assert "Weekly digest · 16 Nov → 22 Nov 2026" in text
        assert "NPS" in text
        assert "First response time" in text
        [table] = [b for b in body["blocks"] if b["type"] == "table"]  # the KPI lines
        assert [c["text"] for c in table["rows"][0]] == [
            "KPI",
            "Value",
            "Change",
            "Previous period",
            "n",
        ]
        assert any(row[2]["text"] != "—" for row in table["rows"][1:])  # the week before
        assert "n = " in body["text"]
        assert " vs " in body["text"]
        assert "Detractors' comments" in text
        assert "> comment" in text
        assert "tickets created" in text
        assert "median first response" in text
        assert "/kpi nps last-week by channel" in text
        assert len(body["blocks"]) <= 50
        uploads = w.slack.of("files.completeUploadExternal")
        assert len(uploads) == 1
        assert uploads[0].body["channel_id"] == CHANNEL
        assert uploads[0].body["thread_ts"] == first.message_ts
        [png] = [data for data in w.slack.uploads.values() if data]
        assert png.startswith(PNG)
        [row] = _deliveries(w, sid)
        assert (row.status, row.chart, row.late, row.message_ts) == (
            "sent",
            "uploaded",
            False,
            first.message_ts,
        )


def test_a_slack_500_then_success_posts_once(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        w.slack.fail_next("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert result.status == "sent"
        assert len(w.slack.of("chat.postMessage")) == 2
        assert len(w.slack.posted(CHANNEL)) == 1


def test_a_failed_delivery_is_retried_at_the_next_tick_and_shown_meanwhile(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        w.slack.fail_next("chat.postMessage", 503, {"ok": False, "error": "unavailable"}, times=4)
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert result.status == "failed"
        assert "HTTP 503" in result.detail
        [row] = _deliveries(w, sid)
        assert (row.status, row.attempts) == ("failed", 1)
        retried = catch_up(w.deps, w.client(), now=SLOT + timedelta(minutes=1))
        assert [r.status for r in retried] == ["sent"]
        assert len(w.slack.posted(CHANNEL)) == 1
        [row] = _deliveries(w, sid)
        assert (row.status, row.attempts, row.trigger) == ("sent", 2, "retry")


def test_a_timeout_after_sending_is_recorded_unknown_and_not_reposted(db_url: str) -> None:
    with world(db_url, slack_timeout=1) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        w.slack.delay["chat.postMessage"] = 2.5
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert result.status == "unknown"
        del w.slack.delay["chat.postMessage"]
        assert len(w.slack.of("chat.postMessage")) == 1  # the request arrived: not retried
        assert catch_up(w.deps, w.client(), now=SLOT + timedelta(minutes=1)) == []
        assert len(w.slack.of("chat.postMessage")) == 1
        [row] = _deliveries(w, sid)
        assert row.status == "unknown"
        assert "timed out" in (row.error or "")
        # An operator who checked the channel may post it (kpibot digest send does this).
        manual = deliver(
            w.deps,
            w.client(),
            sid,
            SLOT,
            now=SLOT + timedelta(minutes=3),
            trigger=Trigger.MANUAL,
            reclaim=(DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN),
        )
        assert manual.status == "sent"
        assert len(w.slack.of("chat.postMessage")) == 2


def test_a_refused_connection_is_retried(db_url: str) -> None:
    from tests.server import free_port

    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        dead = w.settings.model_copy(update={"slack_api_url": f"http://127.0.0.1:{free_port()}/"})
        from handlers.slack.posting import once_client

        client = once_client(dataclasses.replace(w.deps, settings=dead), retries=1)
        result = deliver(w.deps, client, sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert result.status == "failed"
        assert "connection" in result.detail
        retried = catch_up(w.deps, w.client(), now=SLOT + timedelta(minutes=1))
        assert [r.status for r in retried] == ["sent"]


def test_a_digest_missed_while_down_is_posted_late_once(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        back = SLOT + timedelta(hours=3)
        [result] = catch_up(w.deps, w.client(), now=back)
        assert result.status == "sent"
        assert catch_up(w.deps, w.client(), now=back + timedelta(minutes=1)) == []
        [post] = w.slack.posted(CHANNEL)
        assert "Posted late" in str(post.body["blocks"])
        [row] = _deliveries(w, sid)
        assert (row.late, row.trigger, row.scheduled_for) == (True, "catch-up", SLOT)


def test_past_the_grace_window_a_missed_digest_is_recorded_not_posted(db_url: str) -> None:
    with world(db_url, digest_grace=timedelta(hours=12)) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        assert catch_up(w.deps, w.client(), now=SLOT + timedelta(hours=13)) == []
        assert w.slack.posted() == []
        [row] = _deliveries(w, sid)
        assert row.status == "missed"
        assert "grace" in (row.error or "")


def test_a_new_subscription_does_not_catch_up_slots_from_before_it(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        subscribe(w.deps, since=SLOT + timedelta(hours=1))
        assert catch_up(w.deps, w.client(), now=SLOT + timedelta(hours=2)) == []
        assert w.slack.posted() == []


def test_a_removed_bot_pauses_the_digest_and_tells_its_creator(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps, creator="U0ANNA")
        w.slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert result.status == "failed"
        with session_scope(w.deps.sessions) as session:
            subscription = get_subscription(session=session, subscription_id=sid)
        assert subscription is not None
        assert subscription.paused
        assert "removed" in (subscription.paused_reason or "")
        [dm] = w.slack.posted("U0ANNA")
        assert f"/kpi digest resume {sid}" in dm.body["text"]
        assert catch_up(w.deps, w.client(), now=SLOT + timedelta(minutes=1)) == []


def test_a_failed_chart_upload_leaves_the_text_digest_standing(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        w.slack.fail_next(
            "files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"}
        )
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert (result.status, result.chart) == ("sent", "failed")
        [row] = _deliveries(w, sid)
        assert (row.status, row.chart, row.chart_error) == ("sent", "failed", "missing_scope")
        [update] = w.slack.of("chat.update")
        assert update.body["ts"] == result.message_ts
        assert "Trend chart" not in str(update.body["blocks"])


def test_a_period_without_data_says_so(db_url: str) -> None:
    with world(db_url) as w:
        sid = subscribe(w.deps)
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert (result.status, result.chart) == ("sent", "none")
        [post] = w.slack.posted(CHANNEL)
        text = str(post.body["blocks"])
        assert "nothing to report" in text
        assert "NPS" not in text


def test_segment_filters_reach_the_figures_and_the_comments(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps, filters=["plan=enterprise"], kpis=["responses"])
        deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        everyone = subscribe(w.deps, kpis=["responses"], channel="C0OTHER", cron="0 9 * * 1")
        deliver(w.deps, w.client(), everyone, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        enterprise_post = w.slack.posted(CHANNEL)[0].body
        overall_post = w.slack.posted("C0OTHER")[0].body
        enterprise = str(enterprise_post["blocks"])
        assert "Segment: plan=enterprise" in enterprise
        assert "plan: smb" not in enterprise
        assert "plan: enterprise" in enterprise

        def responses(body: dict[str, Any]) -> int:
            [table] = [b for b in body["blocks"] if b["type"] == "table"]
            [row] = [r for r in table["rows"] if r[0]["text"] == "Survey responses"]
            return int(row[1]["text"].replace(",", ""))

        assert 0 < responses(enterprise_post) < responses(overall_post)


def test_two_bot_processes_on_one_database_post_each_digest_once(db_url: str) -> None:
    import subprocess
    import sys
    import time

    with world(db_url) as w:
        seed(w.deps)
        ids = [subscribe(w.deps, channel=f"C0TEAM{i:02d}") for i in range(6)]
        start = time.time() + 3
        now = (SLOT + timedelta(minutes=10)).isoformat()
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.digest_worker",
                    db_url,
                    w.slack.api_url(),
                    now,
                    str(start),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [worker.communicate(timeout=120) for worker in workers]
        for worker, (_, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, err
        statuses = [line for out, _ in outputs for line in out.split()]
        assert statuses.count("sent") == len(ids)
        assert len(w.slack.posted()) == len(ids)
        assert sorted(c.body["channel"] for c in w.slack.posted()) == [
            f"C0TEAM{i:02d}" for i in range(6)
        ]
        for sid in ids:
            [row] = _deliveries(w, sid)
            assert row.status == "sent"


def test_a_token_problem_fails_the_delivery_without_pausing_the_digest(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps)
        sid = subscribe(w.deps)
        w.slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "invalid_auth"})
        result = deliver(w.deps, w.client(), sid, SLOT, now=SLOT, trigger=Trigger.SCHEDULER)
        assert (result.status, result.detail) == ("failed", "invalid_auth")
        with session_scope(w.deps.sessions) as session:
            subscription = get_subscription(session=session, subscription_id=sid)
        assert subscription is not None
        assert not subscription.paused
        assert [
            r.status for r in catch_up(w.deps, w.client(), now=SLOT + timedelta(minutes=1))
        ] == ["sent"]
