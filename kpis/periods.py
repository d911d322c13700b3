"""Periods: the window a question covers and the comparable window before it.

Every window is half-open `[start, end)`, expressed as aware UTC instants but resolved in the
question's timezone (weeks start on Monday). `now` and the timezone are always passed in, so the
same text gives the same window in a test, a digest or a slash command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from query.plan import Window

DEFAULT_PERIOD = "last-30d"

CALENDAR_WORDS = (
    "today",
    "yesterday",
    "this-week",
    "last-week",
    "this-month",
    "mtd",
    "last-month",
    "this-quarter",
    "qtd",
    "last-quarter",
    "this-year",
    "ytd",
    "last-year",
)
EXAMPLES = ("last-7d", "last-30d", "last-12w", "last-6m", "last-24h", *CALENDAR_WORDS)
EXPLICIT_EXAMPLES = ("2026-03", "2026-Q1", "2026-W09", "2026-01-01..2026-01-31", "2026-01-15")

_ROLLING = re.compile(r"^last-(\d{1,4})([hdwm])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-w(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


#: Why a period is refused, by code: the engine's own (English) words. The handlers say the same
#: in the user's language from the same code and parameters (`handlers.i18n`).
PERIOD_REASONS = {
    "out_of_range": "periods must lie between {first} and {last}, the previous period included",
    "bad_date": "not a valid date",
    "rolling_n": "a rolling period needs N ≥ 1",
    "no_month": "no such month",
    "no_week": "{year} has no ISO week {week}",
    "range_order": "the range ends before it starts",
    "unknown_period": "unknown period",
}


class PeriodError(ValueError):
    """A period the engine cannot read: `code` says why (`PERIOD_REASONS`), with `params`;
    `accepted` lists the forms it can read."""

    def __init__(self, text: str, code: str, **params: object) -> None:
        self.text = text
        self.code = code
        self.params = params
        self.reason = PERIOD_REASONS[code].format(**params)
        self.accepted = (*EXAMPLES, *EXPLICIT_EXAMPLES)
        super().__init__(f"{self.reason}: '{text}'")


class UnknownTimezone(ValueError):
    """A timezone name that is not an IANA zone kpibot knows (`shown`: cut to 64 characters)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.shown = shown = name if len(name) <= 64 else name[:63] + "…"
        super().__init__(f"unknown timezone '{shown}' (IANA names, e.g. Europe/Paris, UTC)")


#: The longest IANA zone name is 32 characters; anything much longer is not one.
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){0,2}$")


def timezone(name: str) -> ZoneInfo:
    """The IANA zone of that name; UnknownTimezone for anything else (never a crash)."""
    if len(name) > 64 or not _ZONE_NAME.match(name):
        raise UnknownTimezone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimezone(name) from None


@dataclass(frozen=True)
class Period:
    """What a period text means at a given instant: its window and the one to compare with."""

    text: str
    label: str
    current: Window
    previous: Window
    tz: str
    to_date: bool = False


def _local(day: date, tz: ZoneInfo, at: time = time(0)) -> datetime:
    """A local wall-clock instant as UTC (the earlier one when the clock repeats)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_length(year, month)
    return date(year, month, min(day.day, last))


def _month_length(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def _unit_start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _unit_shift(day: date, unit: str, count: int) -> date:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    if unit == "month":
        return _add_months(day, count)
    if unit == "quarter":
        return _add_months(day, 3 * count)
    return _add_months(day, 12 * count)


def _calendar(unit: str, start: date, tz: ZoneInfo) -> tuple[Window, Window]:
    """A whole calendar unit starting on `start`, and the unit before it."""
    end = _unit_shift(start, unit, 1)
    before = _unit_shift(start, unit, -1)
    return (
        Window(_local(start, tz), _local(end, tz)),
        Window(_local(before, tz), _local(start, tz)),
    )


def _to_date(unit: str, now: datetime, tz: ZoneInfo) -> tuple[Window, Window]:
    """The unit so far, and the same span of the previous unit, capped at that unit's end."""
    local_now = now.astimezone(tz)
    start_day = _unit_start(local_now.date(), unit)
    before_day = _unit_shift(start_day, unit, -1)
    elapsed = local_now.replace(tzinfo=None) - datetime.combine(start_day, time(0))
    previous_end_local = datetime.combine(before_day, time(0)) + elapsed
    cap = datetime.combine(start_day, time(0))
    previous_end_local = min(previous_end_local, cap)
    current = Window(_local(start_day, tz), now.astimezone(UTC))
    previous = Window(
        _local(before_day, tz),
        previous_end_local.replace(tzinfo=tz).astimezone(UTC),
    )
    return current, previous


def _rolling(count: int, unit: str, now: datetime) -> tuple[Window, Window]:
    end = now.astimezone(UTC)
    if unit == "m":
        local = now
        start = _shift_instant_months(local, -count)
        before = _shift_instant_months(local, -2 * count)
        return Window(start, end), Window(before, start)
    span = {"h": timedelta(hours=count), "d": timedelta(days=count), "w": timedelta(weeks=count)}[
        unit
    ]
    return Window(end - span, end), Window(end - 2 * span, end - span)


def _shift_instant_months(instant: datetime, months: int) -> datetime:
    """The same local wall-clock time `months` calendar months away, in UTC."""
    tz = instant.tzinfo
    day = _add_months(instant.date(), months)
    return datetime.combine(day, instant.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def _parse_date(text: str, original: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(original, "bad_date") from exc


#: The years a period (and the period before it) may cover. Python's dates end at year 9999 and
#: some arithmetic overflows long before; no CX data is older than 1900. A day of slack on each
#: side lets every timezone's local midnights through.
FIRST_YEAR, LAST_YEAR = 1900, 2199
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) - timedelta(days=1)
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)


def parse_period(text: str | None, *, now: datetime, tz: str | ZoneInfo = "UTC") -> Period:
    """Read a period text at instant `now` in timezone `tz`; None means the default, last-30d.

    Refused (PeriodError) unless the period and the one before it lie within
    FIRST_YEAR…LAST_YEAR, whatever its form; never a crash of the date arithmetic.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = tz if isinstance(tz, ZoneInfo) else timezone(tz)
    raw = (text or DEFAULT_PERIOD).strip()
    refused = PeriodError(raw, "out_of_range", first=FIRST_YEAR, last=LAST_YEAR)
    try:
        period = _resolve(raw, now, zone)
    except PeriodError:
        raise
    except (ValueError, OverflowError):  # a date beyond Python's calendar on the way
        raise refused from None
    if period.previous.start < EARLIEST or period.current.end > LATEST:
        raise refused
    return period


def _resolve(raw: str, now: datetime, zone: ZoneInfo) -> Period:
    """The period `raw` names at `now` in `zone` (no range check)."""
    key = raw.lower()
    local_now = now.astimezone(zone)
    today = local_now.date()
    name = str(zone.key)

    def made(label: str, windows: tuple[Window, Window], to_date: bool = False) -> Period:
        return Period(raw, label, windows[0], windows[1], name, to_date)

    if match := _ROLLING.match(key):
        count, unit = int(match[1]), match[2]
        if count < 1:
            raise PeriodError(raw, "rolling_n")
        return made(key, _rolling(count, unit, local_now))
    if key == "today":
        return made("today", _to_date("day", now, zone), True)
    if key == "yesterday":
        return made("yesterday", _calendar("day", today - timedelta(days=1), zone))
    units = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}
    for word, unit in units.items():
        if key == f"this-{word}":
            return made(key, _to_date(unit, now, zone), True)
        if key == f"last-{word}":
            start = _unit_shift(_unit_start(today, unit), unit, -1)
            return made(key, _calendar(unit, start, zone))
    shorthand = {"mtd": "month", "qtd": "quarter", "ytd": "year"}
    if key in shorthand:
        return made(key, _to_date(shorthand[key], now, zone), True)
    if match := _MONTH.match(key):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(raw, "no_month")
        return made(key, _calendar("month", date(year, month, 1), zone))
    if match := _QUARTER.match(key):
        year, quarter = int(match[1]), int(match[2])
        return made(
            f"{year}-Q{quarter}", _calendar("quarter", date(year, 3 * quarter - 2, 1), zone)
        )
    if match := _WEEK.match(key):
        year, week = int(match[1]), int(match[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise PeriodError(raw, "no_week", year=year, week=week) from exc
        return made(f"{year}-W{week:02d}", _calendar("week", monday, zone))
    if match := _RANGE.match(key):
        first, last = _parse_date(match[1], raw), _parse_date(match[2], raw)
        if last < first:
            raise PeriodError(raw, "range_order")
        days = (last - first).days + 1
        current = Window(_local(first, zone), _local(last + timedelta(days=1), zone))
        previous = Window(_local(first - timedelta(days=days), zone), current.start)
        return made(f"{first.isoformat()}..{last.isoformat()}", (current, previous))
    if match := _DAY.match(key):
        return made(key, _calendar("day", _parse_date(key, raw), zone))
    if match := _YEAR.match(key):
        return made(key, _calendar("year", date(int(match[1]), 1, 1), zone))
    raise PeriodError(raw, "unknown_period")


def looks_like_period(token: str) -> bool:
    """Whether a token has the shape of a period (so a parser can tell it from a KPI or filter)."""
    key = token.lower()
    return bool(
        key in CALENDAR_WORDS
        or key.startswith("last-")
        or key.startswith("this-")
        or re.match(r"^\d{4}(-|$)", key)
    )
