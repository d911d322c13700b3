"""Periods: every form, their previous comparable period, across DST and year boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kpis.periods import Period, PeriodError, parse_period

PARIS = ZoneInfo("Europe/Paris")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def windows(p: Period) -> tuple[datetime, datetime, datetime, datetime]:
    return p.current.start, p.current.end, p.previous.start, p.previous.end


NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def test_default_is_last_30_days() -> None:
    p = parse_period(None, now=NOW)
    assert p.label == "last-30d"
    assert windows(p) == (
        NOW - timedelta(days=30),
        NOW,
        NOW - timedelta(days=60),
        NOW - timedelta(days=30),
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("last-24h", timedelta(hours=24)),
        ("last-7d", timedelta(days=7)),
        ("last-12w", timedelta(weeks=12)),
        ("last-1d", timedelta(days=1)),
        ("last-365d", timedelta(days=365)),
    ],
)
def test_rolling_spans(text: str, span: timedelta) -> None:
    p = parse_period(text, now=NOW, tz="Europe/Paris")
    assert windows(p) == (NOW - span, NOW, NOW - 2 * span, NOW - span)


def test_rolling_months_are_calendar_months() -> None:
    now = local(2026, 8, 31, 10, 0)
    p = parse_period("last-6m", now=now, tz=PARIS)
    assert p.current.start == local(2026, 2, 28, 10, 0)  # clamped to February's end
    assert p.current.end == now
    assert p.previous.end == p.current.start


def test_calendar_words_in_a_timezone() -> None:
    now = local(2026, 11, 18, 0, 30)  # 23:30 UTC the day before
    assert windows(parse_period("today", now=now, tz=PARIS)) == (
        local(2026, 11, 18),
        now,
        local(2026, 11, 17),
        local(2026, 11, 17, 0, 30),
    )
    assert windows(parse_period("yesterday", now=now, tz=PARIS)) == (
        local(2026, 11, 17),
        local(2026, 11, 18),
        local(2026, 11, 16),
        local(2026, 11, 17),
    )
    week = parse_period("this-week", now=now, tz=PARIS)
    assert week.current.start == local(2026, 11, 16)  # Monday
    assert week.previous.start == local(2026, 11, 9)
    assert week.previous.end == local(2026, 11, 11, 0, 30)
    assert windows(parse_period("last-week", now=now, tz=PARIS)) == (
        local(2026, 11, 9),
        local(2026, 11, 16),
        local(2026, 11, 2),
        local(2026, 11, 9),
    )
    assert windows(parse_period("last-month", now=now, tz=PARIS)) == (
        local(2026, 10, 1),
        local(2026, 11, 1),
        local(2026, 9, 1),
        local(2026, 10, 1),
    )
    assert windows(parse_period("last-quarter", now=now, tz=PARIS)) == (
        local(2026, 7, 1),
        local(2026, 10, 1),
        local(2026, 4, 1),
        local(2026, 7, 1),
    )
    assert parse_period("qtd", now=now, tz=PARIS).current.start == local(2026, 10, 1)
    assert parse_period("ytd", now=now, tz=PARIS).current.start == local(2026, 1, 1)
    assert windows(parse_period("last-year", now=now, tz=PARIS))[:2] == (
        local(2025, 1, 1),
        local(2026, 1, 1),
    )


def test_month_to_date_on_31_march_compares_with_all_of_february() -> None:
    now = local(2026, 3, 31, 18, 0)
    p = parse_period("mtd", now=now, tz=PARIS)
    assert p.current.start == local(2026, 3, 1)
    assert p.previous.start == local(2026, 2, 1)
    assert p.previous.end == local(2026, 3, 1)  # capped at February's end
    assert parse_period("this-month", now=now, tz=PARIS) == Period(
        "this-month", "this-month", p.current, p.previous, "Europe/Paris", True
    )


def test_month_to_date_mid_month_is_the_same_span() -> None:
    now = local(2026, 3, 10, 12, 0)
    p = parse_period("mtd", now=now, tz=PARIS)
    assert p.previous.end == local(2026, 2, 10, 12, 0)


def test_a_week_across_the_spring_dst_change_has_167_hours() -> None:
    now = local(2026, 4, 1, 9, 0)
    p = parse_period("last-week", now=now, tz=PARIS)  # 23–29 March 2026, clocks forward on 29th
    assert p.current.start == local(2026, 3, 23)
    assert p.current.end == local(2026, 3, 30)
    assert p.current.seconds == 167 * 3600
    assert p.previous.seconds == 168 * 3600
    day = parse_period("2026-03-29", now=now, tz=PARIS)
    assert day.current.seconds == 23 * 3600
    autumn = parse_period("2026-10-25", now=now, tz=PARIS)
    assert autumn.current.seconds == 25 * 3600


def test_year_boundary() -> None:
    now = local(2027, 1, 4, 8, 0)
    assert windows(parse_period("last-month", now=now, tz=PARIS))[:2] == (
        local(2026, 12, 1),
        local(2027, 1, 1),
    )
    assert windows(parse_period("last-week", now=now, tz=PARIS))[:2] == (
        local(2026, 12, 28),
        local(2027, 1, 4),
    )
    ytd = parse_period("ytd", now=now, tz=PARIS)
    assert ytd.current.start == local(2027, 1, 1)
    assert (ytd.previous.start, ytd.previous.end) == (local(2026, 1, 1), local(2026, 1, 4, 8, 0))
    jan = parse_period("2027-01", now=now, tz=PARIS)
    assert (jan.previous.start, jan.previous.end) == (local(2026, 12, 1), local(2027, 1, 1))


def test_explicit_forms() -> None:
    assert windows(parse_period("2026-03", now=NOW, tz=PARIS)) == (
        local(2026, 3, 1),
        local(2026, 4, 1),
        local(2026, 2, 1),
        local(2026, 3, 1),
    )
    q1 = parse_period("2026-Q1", now=NOW, tz=PARIS)
    assert windows(q1) == (
        local(2026, 1, 1),
        local(2026, 4, 1),
        local(2025, 10, 1),
        local(2026, 1, 1),
    )
    assert q1.label == "2026-Q1"
    w9 = parse_period("2026-W09", now=NOW, tz=PARIS)
    assert windows(w9) == (
        local(2026, 2, 23),
        local(2026, 3, 2),
        local(2026, 2, 16),
        local(2026, 2, 23),
    )
    r = parse_period("2026-01-01..2026-01-31", now=NOW, tz=PARIS)
    assert windows(r) == (
        local(2026, 1, 1),
        local(2026, 2, 1),
        local(2025, 12, 1),
        local(2026, 1, 1),
    )
    assert parse_period("2025", now=NOW, tz=PARIS).current.end == local(2026, 1, 1)


@pytest.mark.parametrize(
    "text",
    [
        "last-0d",
        "last-3y",
        "2026-13",
        "2026-W54",
        "2026-02-30",
        "2026-02-01..2026-01-01",
        "lastweek",
        "someday",
    ],
)
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text, now=NOW)
    assert "last-30d" in info.value.accepted
    assert text in str(info.value)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_period("today", now=datetime(2026, 1, 1))
