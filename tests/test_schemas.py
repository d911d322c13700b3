"""Validation of incoming records: what the ingest refuses, and the defaults it applies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from storage.schemas import validate_row

WHEN = "2026-05-04T10:00:00+02:00"


def fields_at_fault(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


@pytest.mark.parametrize(
    ("survey", "score", "scale_max"),
    [
        ("nps", 11, None),
        ("nps", -1, None),
        ("enps", 11, None),
        ("csat", 0, None),
        ("csat", 6, None),
        ("ces", 8, None),
        ("ces", 0, None),
        ("csat", 11, 10),
    ],
)
def test_scores_outside_the_scale_are_refused(
    survey: str, score: int, scale_max: int | None
) -> None:
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {
                "external_id": "x",
                "survey": survey,
                "score": score,
                "scale_max": scale_max,
                "submitted_at": WHEN,
            },
            source="api",
        )
    assert fields_at_fault(info.value) == ["score"]
    assert "outside the" in str(info.value)


@pytest.mark.parametrize(("survey", "top"), [("nps", 10), ("enps", 10), ("csat", 5), ("ces", 7)])
def test_default_scales(survey: str, top: int) -> None:
    record = validate_row(
        "responses",
        {"external_id": "x", "survey": survey.upper(), "score": top, "submitted_at": WHEN},
        source="api",
    )
    assert record["scale_max"] == top


def test_nps_scale_cannot_change() -> None:
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {"external_id": "x", "survey": "nps", "score": 3, "scale_max": 5, "submitted_at": WHEN},
            source="api",
        )
    assert fields_at_fault(info.value) == ["scale_max"]


def test_unknown_survey_kind_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {"external_id": "x", "survey": "smiley", "score": 3, "submitted_at": WHEN},
            source="api",
        )
    assert fields_at_fault(info.value) == ["survey"]


@pytest.mark.parametrize("when", ["2026-05-04T10:00:00", "2026-05-04", "yesterday"])
def test_timestamps_without_offset_are_refused(when: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {"external_id": "x", "survey": "nps", "score": 3, "submitted_at": when},
            source="api",
        )
    assert fields_at_fault(info.value) == ["submitted_at"]


def test_instants_are_converted_to_utc() -> None:
    row = validate_row(
        "responses",
        {"external_id": "x", "survey": "nps", "score": 3, "submitted_at": WHEN},
        source="api",
    )
    assert row["submitted_at"] == datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def test_attributes_become_strings_and_bad_names_are_refused() -> None:
    row = validate_row(
        "responses",
        {
            "external_id": "x",
            "survey": "nps",
            "score": 3,
            "submitted_at": WHEN,
            "attributes": {"seats": 12, "vip": True, "empty": "", "none": None},
        },
        source="api",
    )
    assert row["attributes"] == {"seats": "12", "vip": "true"}
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {
                "external_id": "x",
                "survey": "nps",
                "score": 3,
                "submitted_at": WHEN,
                "attributes": {"bad name": "x"},
            },
            source="api",
        )
    assert fields_at_fault(info.value)[0].startswith("attributes.bad name")
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {
                "external_id": "x",
                "survey": "nps",
                "score": 3,
                "submitted_at": WHEN,
                "attributes": {"plan": ["a", "b"]},
            },
            source="api",
        )
    assert all(f.startswith("attributes.plan") for f in fields_at_fault(info.value))


def test_unknown_fields_are_refused_not_dropped() -> None:
    with pytest.raises(ValidationError) as info:
        validate_row(
            "responses",
            {"external_id": "x", "survey": "nps", "score": 3, "submitted_at": WHEN, "scroe": 3},
            source="api",
        )
    assert fields_at_fault(info.value) == ["scroe"]


def test_ticket_times_must_follow_creation() -> None:
    with pytest.raises(ValidationError) as info:
        validate_row(
            "tickets",
            {"external_id": "t", "created_at": WHEN, "resolved_at": "2026-05-04T07:00:00Z"},
            source="api",
        )
    assert fields_at_fault(info.value) == ["resolved_at"]
    with pytest.raises(ValidationError) as info:
        validate_row(
            "tickets", {"external_id": "t", "created_at": WHEN, "contacts": 0}, source="api"
        )
    assert fields_at_fault(info.value) == ["contacts"]


def test_counter_defaults_and_refusals() -> None:
    flow = validate_row("metrics", {"name": "Clicks", "value": "5", "at": WHEN}, source="import")
    assert (flow["name"], flow["value"], flow["kind"], flow["source"]) == (
        "clicks",
        5.0,
        "flow",
        "import",
    )
    level = validate_row("metrics", {"name": "headcount", "value": 40, "at": WHEN}, source="api")
    assert level["kind"] == "level"
    explicit = validate_row(
        "metrics", {"name": "followers", "value": 40, "at": WHEN, "kind": "flow"}, source="api"
    )
    assert explicit["kind"] == "flow"
    for bad, field in [
        ({"value": "nan"}, "value"),
        ({"kind": "stock"}, "kind"),
        ({"name": "a b"}, "name"),
    ]:
        with pytest.raises(ValidationError) as info:
            validate_row("metrics", {"name": "clicks", "value": 1, "at": WHEN, **bad}, source="api")
        assert fields_at_fault(info.value) == [field]
