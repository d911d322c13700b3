"""Whatever a vendor sends, its adapter answers with records, "ignored" or a 422's reason: never
an exception of its own (which would be a 500, and a vendor retrying until it disables the
webhook). Hypothesis throws arbitrary JSON at every adapter, and the documented payloads with
parts removed or replaced by other JSON values."""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.connectors.base import Ignored, Received, Records, Unreadable
from handlers.connectors.records import validated
from handlers.connectors.registry import CONNECTORS
from tests.vendors import (
    delighted_response,
    freshdesk_rule,
    helpscout_rating,
    helpscout_survey_response,
    intercom_conversation,
    intercom_notification,
    intercom_part,
    typeform_response,
    zendesk_comment,
    zendesk_event,
    zendesk_satisfaction,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("KPIBOT_ODD_EXAMPLES", "60"))
BY_NAME = {c.name: c for c in CONNECTORS}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


def documented() -> list[tuple[str, Any, dict[str, str], dict[str, str]]]:
    """(vendor, payload, query, headers) of every documented shape the tests use."""
    earlier = NOW - timedelta(hours=1)
    item = intercom_conversation(
        created=earlier,
        updated=NOW,
        parts=[intercom_part("comment", NOW)],
        rating={"rating": 4, "remark": "ok", "created_at": int(NOW.timestamp())},
    )
    comment = zendesk_event(
        "ticket.comment_added", at=NOW, created=earlier, event=zendesk_comment()
    )
    rating = helpscout_rating(rating="Okay", created=earlier, modified=NOW)
    yes_no = {"survey": "csat", "field": "readable_ref_yes_no"}
    return [
        ("typeform", typeform_response(submitted=NOW, nps=8), {"survey": "nps"}, {}),
        ("typeform", typeform_response(submitted=NOW), yes_no, {}),
        ("delighted", delighted_response(created=earlier, updated=NOW), {}, {}),
        ("intercom", intercom_notification("conversation.admin.replied", item, at=NOW), {}, {}),
        ("intercom", intercom_notification("conversation.rating.added", item, at=NOW), {}, {}),
        ("zendesk", comment, {}, {}),
        ("zendesk", zendesk_satisfaction("1", "good", rated=NOW), {}, {}),
        ("helpscout", rating, {}, {"X-HelpScout-Event": "satisfaction.ratings"}),
        (
            "helpscout",
            helpscout_survey_response("7", at=NOW),
            {},
            {"X-HelpScout-Event": "message.survey.response.received"},
        ),
        ("freshdesk", freshdesk_rule("replied"), {}, {}),
        ("freshdesk", freshdesk_rule("rated", rating=-102), {"points": "5"}, {}),
    ]


def answer(vendor: str, payload: Any, query: dict[str, str], headers: dict[str, str]) -> None:
    """Read the payload as the webhook does (and validate its records): only the outcomes a
    webhook answers with are allowed."""
    connector = BY_NAME[vendor]
    received = Received(body=b"{}", headers=headers, query=query, at=NOW)
    reason = None
    try:
        outcome = connector.read(received, payload)
        if isinstance(outcome, Records):
            validated("responses", outcome.responses, source=vendor)
            validated("tickets", outcome.tickets, source=vendor)
        else:
            assert isinstance(outcome, Ignored)
        connector.delivery_id(received, payload)
    except Unreadable as exc:
        reason = str(exc)
    assert reason is None or reason  # a 422 always says what is wrong


def test_the_documented_payloads_are_stored() -> None:
    for vendor, payload, query, headers in documented():
        connector = BY_NAME[vendor]
        outcome = connector.read(Received(b"{}", headers, query, NOW), payload)
        assert isinstance(outcome, Records), (vendor, outcome)


@pytest.mark.parametrize("vendor", sorted(BY_NAME))
@settings(max_examples=EXAMPLES, deadline=None)
@given(payload=json_values, survey=st.sampled_from(["nps", "csat", "", "xyz"]))
def test_any_json_gets_an_answer(vendor: str, payload: Any, survey: str) -> None:
    headers = {"X-HelpScout-Event": "satisfaction.ratings"}
    answer(vendor, payload, {"survey": survey}, headers)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(data=st.data())
def test_documented_payloads_with_a_part_replaced_get_an_answer(data: st.DataObject) -> None:
    vendor, payload, query, headers = data.draw(st.sampled_from(documented()))
    changed = copy.deepcopy(payload)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(changed)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = changed
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)
    answer(vendor, changed, query, headers)
