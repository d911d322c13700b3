"""When digests fire and which period each one covers.

Schedules are stored as a five-field cron expression plus an IANA timezone and run with
APScheduler 3's `CronTrigger` in that zone, so a 09:00 digest stays at 09:00 local across DST.
Standard cron numbers weekdays from Sunday (0 or 7) while APScheduler 3 numbers them from
Monday (0): `from_crontab("0 9 * * 1")` would fire on Tuesdays. The day-of-week field is
therefore rewritten with day names before it reaches APScheduler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from handlers.i18n import WEEKDAY_NAMES, say
from kpis.periods import Period, parse_period
from query.plan import Window
from storage.digests.tables import Cadence

#: The readable cadences (a cron digest gives its own expression).
CADENCES = (Cadence.WEEKLY, Cadence.DAILY, Cadence.MONTHLY)
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbering: 0 = Sunday
DAY_WORDS = {
    **{d: d for d in DAYS},
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
    "lun": "mon",
    "mar": "tue",
    "mer": "wed",
    "jeu": "thu",
    "ven": "fri",
    "sam": "sat",
    "dim": "sun",
}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
#: Period each cadence's digest covers, read at the fire time in the subscription's zone.
CADENCE_PERIOD = {
    Cadence.WEEKLY: "last-week",
    Cadence.DAILY: "yesterday",
    Cadence.MONTHLY: "last-month",
}
_LOOKBACK = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
    timedelta(days=4 * 366 + 1),
)


class ScheduleError(ValueError):
    """A schedule kpibot cannot read: `key` (an i18n key) says what is expected, with `values`."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(say(key, "en", **values))

    def text(self, language: str) -> str:
        """The refusal in the user's language."""
        return say(self.key, language, **self.values)


def _day_numbers(part: str) -> list[int]:
    """Cron day-of-week numbers (0–6, Sunday first) named by one comma-separated part."""
    step = 1
    if "/" in part:
        part, step_text = part.split("/", 1)
        if not step_text.isdigit() or int(step_text) < 1:
            raise ScheduleError("schedule_dow_step", part=f"{part}/{step_text}")
        step = int(step_text)

    def number(text: str) -> int:
        lowered = text.lower()
        if lowered in DAYS:
            return DAYS.index(lowered)
        if text.isdigit() and 0 <= int(text) <= 7:
            return int(text)  # 7 is Sunday too: ranges like 1-7 wrap below
        raise ScheduleError("schedule_dow_bad", text=text)

    if part == "*":
        first, last = 0, 6
    elif "-" in part:
        a, b = part.split("-", 1)
        first, last = number(a), number(b)
        if last < first:
            raise ScheduleError("schedule_dow_backwards", part=part)
    else:
        first = number(part)
        last = 6 if step > 1 else first
    return sorted({d % 7 for d in range(first, last + 1, step)})


def _day_names(field: str) -> str:
    if field == "*":
        return "*"
    numbers = sorted({n for part in field.split(",") for n in _day_numbers(part)})
    return ",".join(DAYS[n] for n in numbers)


def cron_trigger(cron: str, tz: str) -> CronTrigger:
    """The APScheduler trigger of a standard five-field cron expression in zone `tz`."""
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError("schedule_fields", count=len(fields), cron=cron)
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_day_names(weekday),
            timezone=ZoneInfo(tz),
        )
    except ScheduleError:
        raise
    except ValueError as exc:
        raise ScheduleError("schedule_bad_cron", cron=cron, error=exc) from exc


def next_fire(cron: str, tz: str, after: datetime) -> datetime | None:
    """The first fire time strictly after `after`."""
    trigger = cron_trigger(cron, tz)
    fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return fire


def last_fire(cron: str, tz: str, at: datetime) -> datetime | None:
    """The latest fire time at or before `at` (None if none in the last four years)."""
    trigger = cron_trigger(cron, tz)
    for back in _LOOKBACK:
        fire: datetime | None = trigger.get_next_fire_time(None, at - back)
        found = None
        while fire is not None and fire <= at:
            found = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Schedule:
    """What a subscription's words say about when it fires and what it covers."""

    cadence: Cadence
    cron: str
    timezone: str

    def describe(self, language: str = "en") -> str:
        """`weekly, Monday 09:00 (Europe/Paris)` or `cron 0 9 * * 1-5 (UTC)`."""
        minute, hour, day, _month, weekday = self.cron.split()
        tz = self.timezone
        if self.cadence == Cadence.CRON or not (minute.isdigit() and hour.isdigit()):
            return say("schedule_cron", language, cron=self.cron, tz=tz)
        at = f"{int(hour):02d}:{int(minute):02d}"
        if self.cadence == Cadence.WEEKLY:
            name = weekday
            if weekday in DAYS:  # cron's Sunday-first numbering, our Monday-first names
                name = WEEKDAY_NAMES.get(language, WEEKDAY_NAMES["en"])[
                    (DAYS.index(weekday) - 1) % 7
                ]
                name = name.capitalize() if language == "en" else name
            return say("schedule_weekly", language, day=name, at=at, tz=tz)
        if self.cadence == Cadence.MONTHLY:
            return say("schedule_monthly", language, day=day, at=at, tz=tz)
        return say("schedule_daily", language, at=at, tz=tz)


def readable_schedule(
    cadence: Cadence | str | None,
    day: str | None,
    at: str | None,
    day_of_month: int | None,
    tz: str,
) -> Schedule:
    """The cron of `weekly mon 09:00`, `daily 08:30`, `monthly 1 09:00` (defaults: weekly,
    Monday, 09:00, the 1st)."""
    cadence = Cadence(cadence or Cadence.WEEKLY)
    hour, minute = 9, 0
    if at is not None:
        match = _TIME.match(at)
        if match is None:
            raise ScheduleError("schedule_bad_time", at=at)
        hour, minute = int(match[1]), int(match[2])
    if cadence == Cadence.WEEKLY:
        weekday = DAY_WORDS[(day or "mon").lower()]
        return Schedule(cadence, f"{minute} {hour} * * {weekday}", tz)
    if day is not None:
        raise ScheduleError("schedule_no_weekday", cadence=cadence, day=day)
    if cadence == Cadence.MONTHLY:
        return Schedule(cadence, f"{minute} {hour} {day_of_month or 1} * *", tz)
    if day_of_month is not None:
        raise ScheduleError("schedule_dom_monthly")
    return Schedule(cadence, f"{minute} {hour} * * *", tz)


def is_time(word: str) -> bool:
    """Whether a word reads as a time of day (09:00, 9h30)."""
    return _TIME.match(word) is not None


def digest_period(cadence: Cadence | str, cron: str, tz: str, fire: datetime) -> Period:
    """The period a digest fired at `fire` covers, with the one before to compare.

    Weekly, daily and monthly digests cover the calendar week, day or month that ended before
    the fire time (in the subscription's zone); a cron digest covers the time since the
    previous fire time.
    """
    cadence = Cadence(cadence)
    if cadence in CADENCE_PERIOD:
        return parse_period(CADENCE_PERIOD[cadence], now=fire, tz=tz)
    previous = last_fire(cron, tz, fire - timedelta(microseconds=1))
    if previous is None:
        raise ScheduleError("schedule_no_earlier", cron=cron)
    before = last_fire(cron, tz, previous - timedelta(microseconds=1))
    current = Window(previous, fire)
    prior = Window(before if before is not None else previous - (fire - previous), previous)
    zone = ZoneInfo(tz)
    label = f"{previous.astimezone(zone):%Y-%m-%d %H:%M} → {fire.astimezone(zone):%Y-%m-%d %H:%M}"
    return Period(f"cron {cron}", label, current, prior, tz)


def earlier_period(cadence: Cadence | str, cron: str, tz: str, period: Period) -> Period:
    """The digest period just before `period` (for the trend chart)."""
    cadence = Cadence(cadence)
    if cadence in CADENCE_PERIOD:
        return parse_period(CADENCE_PERIOD[cadence], now=period.current.start, tz=tz)
    return digest_period(cadence, cron, tz, period.current.start)
