"""`kpibot digest list` and `kpibot digest send` against the fake Slack Web API."""

from __future__ import annotations

from click.testing import CliRunner

from bot import cli
from storage.db import session_scope
from storage.digests.store import deliveries_of
from tests.digest_fixtures import CHANNEL, seed, subscribe, world


def test_list_and_send_follow_the_claim_rules(db_url: str) -> None:
    with world(db_url) as w:
        seed(w.deps, end=w.deps.clock())
        sid = subscribe(w.deps, cron="0 * * * *", cadence="cron", tz="UTC")
        env = {
            "DATABASE_URL": db_url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": w.slack.api_url(),
        }
        runner = CliRunner()
        listed = runner.invoke(cli, ["digest", "list"], env=env)
        assert listed.exit_code == 0, listed.output
        assert f"#{sid} <#{CHANNEL}> · cron `0 * * * *` (UTC)" in listed.output
        assert "last: never" in listed.output

        sent = runner.invoke(cli, ["digest", "send", str(sid)], env=env)
        assert sent.exit_code == 0, sent.output
        assert "sent (ts " in sent.output
        assert "chart uploaded" in sent.output
        again = runner.invoke(cli, ["digest", "send", str(sid)], env=env)
        assert again.exit_code == 1
        assert "already claimed" in again.output
        assert "--again" in again.output
        assert len(w.slack.posted(CHANNEL)) == 1

        forced = runner.invoke(cli, ["digest", "send", str(sid), "--again"], env=env)
        assert forced.exit_code == 0, forced.output
        assert len(w.slack.posted(CHANNEL)) == 2
        with session_scope(w.deps.sessions) as session:
            rows = deliveries_of(session=session, subscription_id=sid)
        assert {r.trigger for r in rows} == {"manual"}
        assert [r.status for r in rows] == ["sent", "sent"]

        listed = runner.invoke(cli, ["digest", "list"], env=env)
        assert "last: sent" in listed.output

        missing = runner.invoke(cli, ["digest", "send", "99"], env=env)
        assert missing.exit_code == 1
        assert "no digest #99" in missing.output
