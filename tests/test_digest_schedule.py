"""Digest schedules: cron as people write it, fire times across DST, the periods digests cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.digests.schedule import (
    ScheduleError,
    cron_trigger,
    digest_period,
    earlier_period,
    last_fire,
    next_fire,
    readable_schedule,
)

PARIS = "Europe/Paris"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_weekday_numbers_mean_what_cron_means() -> None:
    # APScheduler 3 alone would read "1" as Tuesday; kpibot reads it as cron does: Monday.
    fire = next_fire("0 9 * * 1", "UTC", utc(2026, 11, 23, 12))  # a Monday, after 09:00
    assert fire == utc(2026, 11, 30, 9)
    assert fire.weekday() == 0
    assert next_fire("0 9 * * 0", "UTC", utc(2026, 11, 23, 12)) == utc(2026, 11, 29, 9)  # Sunday
    assert next_fire("0 9 * * 7", "UTC", utc(2026, 11, 23, 12)) == utc(2026, 11, 29, 9)
    assert next_fire("0 9 * * 1-5", "UTC", utc(2026, 11, 27, 12)) == utc(2026, 11, 30, 9)
    assert next_fire("0 9 * * 5-7", "UTC", utc(2026, 11, 23, 12)) == utc(2026, 11, 27, 9)
    assert next_fire("30 8 * * mon,wed", "UTC", utc(2026, 11, 23, 12)) == utc(2026, 11, 25, 8, 30)
    assert next_fire("0 9 * * */2", "UTC", utc(2026, 11, 23, 12)) == utc(2026, 11, 24, 9)  # Tue


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        ("0 9 * *", "5 fields"),
        ("0 25 * * *", "bad cron"),
        ("0 9 * * 8", "day of week"),
        ("0 9 * * 5-1", "backwards"),
        ("x 9 * * *", "bad cron"),
    ],
)
def test_bad_cron_is_explained(cron: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        cron_trigger(cron, "UTC")


def test_nine_oclock_stays_nine_oclock_across_dst() -> None:
    cron = "0 9 * * 1"
    # Winter → summer (29 March 2026): 08:00 UTC before, 07:00 UTC after.
    assert next_fire(cron, PARIS, utc(2026, 3, 20)) == utc(2026, 3, 23, 8)
    assert next_fire(cron, PARIS, utc(2026, 3, 24)) == utc(2026, 3, 30, 7)
    # Summer → winter (25 October 2026): back to 08:00 UTC.
    assert next_fire(cron, PARIS, utc(2026, 10, 20)) == utc(2026, 10, 26, 8)
    for fire in (utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 10, 26, 8)):
        assert fire.astimezone(ZoneInfo(PARIS)).hour == 9


def test_a_time_skipped_by_dst_fires_once_the_clock_jumps() -> None:
    # 02:30 does not exist in Paris on 29 March 2026; the daily digest still fires that day.
    fire = next_fire("30 2 * * *", PARIS, utc(2026, 3, 28, 12))
    assert fire is not None
    assert fire.date().isoformat() == "2026-03-29"


def test_last_fire_is_the_latest_at_or_before() -> None:
    cron = "0 9 * * 1"
    assert last_fire(cron, PARIS, utc(2026, 11, 23, 8)) == utc(2026, 11, 23, 8)
    assert last_fire(cron, PARIS, utc(2026, 11, 23, 7, 59)) == utc(2026, 11, 16, 8)
    assert last_fire("* * * * *", "UTC", utc(2026, 11, 23, 7, 59, 30)) == utc(2026, 11, 23, 7, 59)
    assert last_fire("0 9 29 2 *", "UTC", utc(2026, 11, 23)) == utc(2024, 2, 29, 9)


def test_a_weekly_digest_covers_the_week_that_ended_in_its_zone() -> None:
    fire = utc(2026, 3, 30, 7)  # Monday 09:00 in Paris, just after the DST change
    period = digest_period("weekly", "0 9 * * 1", PARIS, fire)
    assert period.current.start == utc(2026, 3, 22, 23)  # Monday 23 March 00:00 CET
    assert period.current.end == utc(2026, 3, 29, 22)  # Monday 30 March 00:00 CEST
    assert period.previous.end == period.current.start
    assert period.previous.start == utc(2026, 3, 15, 23)
    before = earlier_period("weekly", "0 9 * * 1", PARIS, period)
    assert before.current == period.previous


def test_daily_and_monthly_digests() -> None:
    daily = digest_period("daily", "0 8 * * *", "UTC", utc(2026, 11, 23, 8))
    assert (daily.current.start, daily.current.end) == (utc(2026, 11, 22), utc(2026, 11, 23))
    monthly = digest_period("monthly", "0 9 1 * *", "UTC", utc(2026, 12, 1, 9))
    assert (monthly.current.start, monthly.current.end) == (utc(2026, 11, 1), utc(2026, 12, 1))
    assert monthly.previous.start == utc(2026, 10, 1)


def test_a_cron_digest_covers_the_time_since_the_previous_run() -> None:
    fire = utc(2026, 11, 23, 9)  # Monday; weekdays at 09:00
    period = digest_period("cron", "0 9 * * 1-5", "UTC", fire)
    assert period.current.start == utc(2026, 11, 20, 9)  # the Friday before
    assert period.current.end == fire
    assert period.previous.start == utc(2026, 11, 19, 9)
    minute = digest_period("cron", "* * * * *", "UTC", utc(2026, 11, 23, 9, 1))
    assert minute.current.start == utc(2026, 11, 23, 9)
    assert minute.current.end - minute.current.start == timedelta(minutes=1)


def test_readable_schedules() -> None:
    assert readable_schedule(None, None, None, None, "UTC").cron == "0 9 * * mon"
    assert readable_schedule("weekly", "friday", "17:30", None, PARIS).cron == "30 17 * * fri"
    assert readable_schedule("daily", None, "8h05", None, "UTC").cron == "5 8 * * *"
    assert readable_schedule("monthly", None, None, 3, "UTC").cron == "0 9 3 * *"
    described = readable_schedule("weekly", "lun", "09:00", None, PARIS).describe()
    assert described == "weekly, Monday 09:00 (Europe/Paris)"
    with pytest.raises(ScheduleError, match="bad time"):
        readable_schedule("weekly", None, "25:00", None, "UTC")
    with pytest.raises(ScheduleError, match="no weekday"):
        readable_schedule("daily", "mon", None, None, "UTC")
