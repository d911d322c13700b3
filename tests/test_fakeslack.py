"""The fake Slack Web API answers slack_sdk as Slack does: the calls later features rely on."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakeslack import fake_slack


def test_the_v2_file_upload_flow_reaches_the_fake() -> None:
    with fake_slack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url())
        sent = client.files_upload_v2(
            content=b"week,nps\n47,31\n", filename="nps.csv", title="NPS", channel="C0SUPPORT"
        )
        assert sent["ok"] is True
        methods = [c.method for c in slack.calls]
        assert methods[0] == "files.getUploadURLExternal"
        assert methods[1].startswith("upload/F")
        assert methods[2] == "files.completeUploadExternal"
        assert slack.uploads[methods[1].removeprefix("upload/")] == b"week,nps\n47,31\n"
        assert slack.calls[2].body["channel_id"] == "C0SUPPORT"
        assert slack.calls[0].headers["Authorization"] == "Bearer xoxb-test"


def test_conversations_and_failures_answer_like_slack() -> None:
    with fake_slack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url())
        slack.channels["C0SUPPORT"] = {"name": "support", "is_member": False}
        info = client.conversations_info(channel="C0SUPPORT")
        assert info["channel"]["is_member"] is False
        with pytest.raises(SlackApiError) as missing:
            client.conversations_info(channel="C0NOPE")
        assert missing.value.response["error"] == "channel_not_found"
        slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0SUPPORT", text="hi")
        posted = client.chat_postMessage(channel="C0SUPPORT", text="hi")  # only once
        assert posted["ts"]
        assert [c.body["text"] for c in slack.of("chat.postMessage")] == ["hi", "hi"]
