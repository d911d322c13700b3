"""What the survey tools' deliveries become (Typeform, Delighted, Help Scout), through the real
server on both databases, with the vendors' documented payloads: the stored answer, its scale,
repeated and out-of-order deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.connector_fixtures import NOW, connected_bot, responses
from tests.harness import Bot
from tests.vendors import (
    delighted_response,
    helpscout_rating,
    helpscout_survey_response,
    typeform_response,
)

EARLIER = NOW - timedelta(hours=2)


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with connected_bot(db_url) as running:
        yield running


def ok(answer: object) -> None:
    status = getattr(answer, "status_code", None)
    assert status == 200, getattr(answer, "text", answer)


# --- Typeform ------------------------------------------------------------------------------


def test_typeform_documented_response_as_a_csat(bot: Bot) -> None:
    answer = bot.deliver("typeform", typeform_response(submitted=EARLIER), query="survey=csat")
    assert answer.json() == {"created": 1, "updated": 0}
    [stored] = responses(bot)
    assert stored == {
        "external_id": "a3a12ec67a1365927098a606107fac15",
        "source": "typeform",
        "survey": "csat",
        "score": 2,  # the first opinion scale answer
        "scale_max": 5,
        "comment": "It's cold right now! I live in an older medium-sized city with a university. "
        "Geographically, the area is hilly.",  # the first long text answer
        "customer_id": "laura@example.com",  # no customer_id hidden field: the email answer
        "submitted_at": EARLIER.replace(second=0, microsecond=0),
        "attributes": {"user_id": "abc123456", "form_id": "lT4Z3j"},  # hidden fields
        "event_at": EARLIER.replace(second=0, microsecond=0),
    }


def test_typeform_url_names_the_field_scale_and_comment(bot: Bot) -> None:
    payload = typeform_response(
        "t-nps-1", submitted=EARLIER, nps=9, hidden={"customer_id": "cust-88", "plan": "pro"}
    )
    ok(
        bot.deliver(
            "typeform",
            payload,
            query="survey=nps&field=nps_question&comment=readable_ref_short_text",
        )
    )
    rating = typeform_response("t-rating-1", submitted=EARLIER, rating=4)
    ok(bot.deliver("typeform", rating, query="survey=ces&field=WOTdC00F8A3h&scale_max=5"))
    binary = typeform_response("t-yes-1", submitted=EARLIER, yes_no=True)
    ok(bot.deliver("typeform", binary, query="survey=csat&field=readable_ref_yes_no"))
    found = {r["external_id"]: r for r in responses(bot)}
    nps = found["t-nps-1"]
    assert (nps["survey"], nps["score"], nps["scale_max"]) == ("nps", 9, 10)
    assert (nps["customer_id"], nps["comment"]) == ("cust-88", "Laura")
    assert nps["attributes"] == {"plan": "pro", "form_id": "lT4Z3j"}
    assert (found["t-rating-1"]["survey"], found["t-rating-1"]["score"]) == ("ces", 4)
    assert found["t-rating-1"]["scale_max"] == 5
    yes = found["t-yes-1"]
    assert (yes["survey"], yes["score"], yes["scale_max"]) == ("csat", 2, 2)  # yes/no: 1–2


def test_typeform_redelivery_and_an_unanswered_question(bot: Bot) -> None:
    payload = typeform_response(submitted=EARLIER)
    ok(bot.deliver("typeform", payload, query="survey=csat"))
    before = responses(bot)
    assert bot.deliver("typeform", payload, query="survey=csat").json()["updated"] == 1
    assert responses(bot) == before
    skipped = typeform_response("t-2", submitted=EARLIER, nps=7)
    skipped["form_response"]["answers"].pop(0)  # the NPS question was left unanswered
    answer = bot.deliver("typeform", skipped, query="survey=nps&field=nps_question")
    assert answer.status_code == 200
    assert "does not answer" in answer.json()["ignored"]
    assert len(responses(bot)) == 1


def test_typeform_refuses_a_yes_no_nps_and_a_score_off_the_scale(bot: Bot) -> None:
    binary = typeform_response(submitted=EARLIER)
    refused = bot.deliver("typeform", binary, query="survey=nps&field=readable_ref_yes_no")
    assert refused.status_code == 422
    assert "yes/no" in refused.json()["detail"]
    off = bot.deliver("typeform", binary, query="survey=csat&field=readable_ref_rating&scale_max=2")
    assert off.status_code == 422
    assert off.json()["field"] == "score"
    assert responses(bot) == []


# --- Delighted -----------------------------------------------------------------------------


def test_delighted_response_filled_in_across_deliveries_in_any_order(bot: Bot) -> None:
    created = EARLIER
    score_only = delighted_response(
        created=created,
        updated=created,
        score=6,
        comment=None,
        event_type="survey_response.created",
        properties={"Customer ID": "c-9", "Plan": "pro"},
        event_id="e1",
    )
    with_comment = delighted_response(
        created=created,
        updated=created + timedelta(minutes=4),
        score=9,
        comment="Your service is fast and flawless!",
        properties={"Customer ID": "c-9", "Plan": "pro", "Region": "EMEA"},
        event_id="e2",
    )
    ok(bot.deliver("delighted", with_comment))  # the later delivery arrives first
    ok(bot.deliver("delighted", score_only))
    ok(bot.deliver("delighted", with_comment))
    [stored] = responses(bot)
    assert (stored["external_id"], stored["source"]) == ("5435", "delighted")
    assert (stored["survey"], stored["score"], stored["scale_max"]) == ("nps", 9, 10)
    assert stored["comment"] == "Your service is fast and flawless!"
    assert stored["customer_id"] == "c-9"
    assert stored["attributes"] == {"plan": "pro", "region": "EMEA"}
    assert stored["submitted_at"] == created.replace(microsecond=0)
    assert stored["event_at"] == created.replace(microsecond=0) + timedelta(minutes=4)


def test_delighted_survey_types_and_scales(bot: Bot) -> None:
    csat = delighted_response("6001", created=EARLIER, updated=EARLIER, survey_type="csat", score=4)
    ces = delighted_response("6002", created=EARLIER, updated=EARLIER, survey_type="ces", score=5)
    plain = delighted_response("6003", created=EARLIER, updated=EARLIER, score=8)
    del plain["event_data"]["survey_type"]
    thumbs = delighted_response("6004", created=EARLIER, updated=EARLIER, survey_type="thumbs")
    ok(bot.deliver("delighted", csat))
    ok(bot.deliver("delighted", ces, query="scale_max=5"))
    ok(bot.deliver("delighted", plain, query="survey=enps"))
    ignored = bot.deliver("delighted", thumbs)
    assert "thumbs" in ignored.json()["ignored"]
    found = {r["external_id"]: (r["survey"], r["score"], r["scale_max"]) for r in responses(bot)}
    assert found == {
        "6001": ("csat", 4, 5),
        "6002": ("ces", 5, 5),
        "6003": ("enps", 8, 10),
    }
    assert responses(bot)[0]["customer_id"] == "charlie_gravis@example.com"


# --- Help Scout ----------------------------------------------------------------------------


def test_helpscout_ratings_on_a_three_point_scale(bot: Bot) -> None:
    event = "satisfaction.ratings"
    for rating_id, word in ((5434, "Great"), (5435, "Okay"), (5436, "Bad")):
        rating = helpscout_rating(rating_id, rating=word, created=EARLIER, modified=EARLIER)
        ok(bot.deliver("helpscout", rating, event=event))
    found = {r["external_id"]: r for r in responses(bot)}
    assert {k: (r["score"], r["scale_max"]) for k, r in found.items()} == {
        "5434": (3, 3),
        "5435": (2, 3),
        "5436": (1, 3),
    }
    great = found["5434"]
    assert (great["survey"], great["source"], great["customer_id"]) == (
        "csat",
        "helpscout",
        "449379",
    )
    assert great["comment"] == "he was really helpful"
    assert great["attributes"] == {"mailbox": "My Mailbox", "conversation_id": "1560011"}
    # the customer changes their rating; the older delivery, re-sent, does not undo it
    changed = helpscout_rating(
        5436, rating="Great", created=EARLIER, modified=EARLIER + timedelta(hours=1)
    )
    ok(bot.deliver("helpscout", changed, event=event))
    old = helpscout_rating(5436, rating="Bad", created=EARLIER, modified=EARLIER)
    ok(bot.deliver("helpscout", old, event=event))
    assert {r["external_id"]: r["score"] for r in responses(bot)}["5436"] == 3
    wrong = helpscout_rating(5437, rating="Meh", created=EARLIER, modified=EARLIER)
    assert bot.deliver("helpscout", wrong, event=event).status_code == 422


def test_helpscout_nps_survey_response_value_is_a_string(bot: Bot) -> None:
    event = "message.survey.response.received"
    ok(bot.deliver("helpscout", helpscout_survey_response("9", at=EARLIER), event=event))
    ok(bot.deliver("helpscout", helpscout_survey_response("9", at=EARLIER), event=event))
    ok(
        bot.deliver(
            "helpscout", helpscout_survey_response("4", at=EARLIER, customer=501), event=event
        )
    )
    stored = responses(bot)
    assert [(r["survey"], r["score"], r["customer_id"]) for r in stored] == [
        ("nps", 9, "500"),
        ("nps", 4, "501"),
    ]
    assert stored[0]["external_id"] == "nps:8de613e9-0154-426e-9fe7-fd0017947959:500"
    assert stored[0]["comment"] == "Amazing customer experience!"
    assert stored[0]["attributes"] == {"survey_name": "Monthly NPS survey"}
