"""Periods: the window a question covers and the comparable window before it.

Every window is half-open `[start, end)`, expressed as aware UTC instants but resolved in the
question's timezone (weeks start on Monday). `now` and the timezone are always passed in, so the
same text gives the same window in a test, a digest or a slash command.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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
    "since_future": "'since' needs a day before now",
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


def _split(text: str) -> list[str]:
    return text.split()


# --- Periods as people write them: French and English words, all spelled one canonical way ----

#: Words that only lead into a period: "in March", "le mois dernier", "over the last 30 days".
FILLERS = frozenset(
    _split(
        """
in en the le la les l over during pendant sur for pour du de des d au aux a within of on
cours dans
"""
    )
)
MONTHS: dict[str, int] = {
    **{
        name: number
        for number, names in enumerate(
            (
                "january jan janvier janv",
                "february feb fevrier fevr fev",
                "march mar mars",
                "april apr avril avr",
                "may mai",
                "june jun juin",
                "july jul juillet juil",
                "august aug aout",
                "september sep sept septembre",
                "october oct octobre",
                "november nov novembre",
                "december dec decembre",
            ),
            start=1,
        )
        for name in names.split()
    }
}
WEEKDAYS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            "monday mon lundi",
            "tuesday tue tues mardi",
            "wednesday wed mercredi",
            "thursday thu thur thurs jeudi",
            "friday fri vendredi",
            "saturday sat samedi",
            "sunday sun dimanche",
        )
    )
    for name in names.split()
}
#: Small numbers in words, read only before a unit ("last seven days", "sept derniers jours").
NUMBER_WORDS: dict[str, str] = {
    name: str(number)
    for number, names in (
        (1, "one un une"),
        (2, "two deux"),
        (3, "three trois"),
        (4, "four quatre"),
        (5, "five cinq"),
        (6, "six"),
        (7, "seven sept"),
        (8, "eight huit"),
        (9, "nine neuf"),
        (10, "ten dix"),
        (12, "twelve douze"),
        (14, "fourteen quatorze"),
        (15, "fifteen quinze"),
        (20, "twenty vingt"),
        (30, "thirty trente"),
        (60, "sixty soixante"),
        (90, "ninety"),
    )
    for name in names.split()
}
UNITS: dict[str, str] = {
    **dict.fromkeys(_split("h hr hrs hour hours heure heures"), "h"),
    **dict.fromkeys(_split("d day days j jour jours"), "d"),
    **dict.fromkeys(_split("w wk wks week weeks sem semaine semaines"), "w"),
    **dict.fromkeys(_split("m month months mois"), "m"),
}

#: Fixed phrases, each with its canonical spelling (French and English, accents removed).
PHRASES: dict[str, str] = {
    **dict.fromkeys(_split("today aujourd-hui aujourdhui auj ce-jour so-far-today"), "today"),
    **dict.fromkeys(["yesterday", "hier"], "yesterday"),
    **dict.fromkeys(
        _split(
            """
this-week current-week cette-semaine semaine-en-cours cette-semaine-ci week-so-far
so-far-this-week week-to-date wtd
"""
        ),
        "this-week",
    ),
    **dict.fromkeys(
        _split(
            """
last-week previous-week prior-week semaine-derniere semaine-passee semaine-precedente
"""
        ),
        "last-week",
    ),
    **dict.fromkeys(
        _split(
            """
this-month current-month ce-mois ce-mois-ci mois-en-cours month-so-far so-far-this-month
"""
        ),
        "this-month",
    ),
    **dict.fromkeys(
        _split(
            """
mtd month-to-date depuis-le-debut-du-mois since-the-start-of-the-month
since-the-beginning-of-the-month
"""
        ),
        "mtd",
    ),
    **dict.fromkeys(
        _split(
            """
last-month previous-month prior-month mois-dernier mois-passe mois-precedent
"""
        ),
        "last-month",
    ),
    **dict.fromkeys(
        _split(
            """
this-quarter current-quarter ce-trimestre ce-trimestre-ci trimestre-en-cours
"""
        ),
        "this-quarter",
    ),
    **dict.fromkeys(
        _split(
            """
qtd quarter-to-date depuis-le-debut-du-trimestre since-the-start-of-the-quarter
"""
        ),
        "qtd",
    ),
    **dict.fromkeys(
        _split(
            """
last-quarter previous-quarter prior-quarter trimestre-dernier trimestre-passe
trimestre-precedent dernier-trimestre
"""
        ),
        "last-quarter",
    ),
    **dict.fromkeys(
        _split("this-year current-year cette-annee annee-en-cours cette-annee-ci"),
        "this-year",
    ),
    **dict.fromkeys(
        _split(
            """
ytd year-to-date depuis-le-debut-de-l-annee depuis-le-debut-de-annee
since-the-start-of-the-year since-the-beginning-of-the-year
"""
        ),
        "ytd",
    ),
    **dict.fromkeys(
        _split(
            """
last-year previous-year prior-year annee-derniere annee-passee annee-precedente
an-dernier an-passe
"""
        ),
        "last-year",
    ),
    **dict.fromkeys(_split("past-day last-day past-24-hours derniere-journee"), "last-24h"),
    **dict.fromkeys(["past-week", "derniere-semaine"], "last-7d"),
    **dict.fromkeys(["past-month", "dernier-mois"], "last-30d"),
    **dict.fromkeys(["past-quarter"], "last-90d"),
    **dict.fromkeys(["past-year", "derniere-annee"], "last-365d"),
}
#: Phrases that name a day relative to today (days back).
DAYS_BACK: dict[str, int] = {"avant-hier": 2, "day-before-yesterday": 2}
#: "since …" words that name the start of the current unit.
_SINCE_UNITS = {
    "le-debut-de-la-semaine": "this-week",
    "the-start-of-the-week": "this-week",
    "the-beginning-of-the-week": "this-week",
}

_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_RECENT = "(?:last|past|previous|prior|trailing|rolling|the-last|the-past)"
_LATEST = "(?:derniers|dernieres|dernier|derniere)"
_ROLLING_FORMS = (
    re.compile(rf"^{_RECENT}-(\d{{1,4}})-?({_UNIT})$"),
    re.compile(rf"^(\d{{1,4}})-?({_UNIT})$"),
    re.compile(rf"^(\d{{1,4}})-{_LATEST}-({_UNIT})$"),
    re.compile(rf"^{_LATEST}-(\d{{1,4}})-({_UNIT})$"),
    re.compile(
        rf"^(\d{{1,4}})-({_UNIT})-(?:glissants?|glissantes?|passes?|passees?|ecoules?|ecoulees?)$"
    ),
)
_MONTH_NAME = "|".join(sorted(MONTHS, key=len, reverse=True))
_NAMED_MONTH = re.compile(rf"^(?:mois-d(?:e)?-|month-of-)?({_MONTH_NAME})(?:-(\d{{4}}))?$")
_YEAR_MONTH = re.compile(rf"^(\d{{4}})-({_MONTH_NAME})$")
_QUARTER_FORMS = (
    re.compile(r"^(\d{4})-?[qt]([1-4])$"),
    re.compile(r"^[qt]([1-4])-?(\d{4})$"),
)
_BARE_QUARTER = re.compile(r"^[qt]([1-4])$")
_NTH_QUARTER = re.compile(
    r"^([1-4])(?:er|re|e|eme|st|nd|rd|th)?-(?:trimestre|quarter)(?:-(\d{4}))?$"
)
_SINCE_WORD = re.compile(r"^(?:since|depuis)-(.+)$")
_SINCE = re.compile(r"^since-(\d{4}-\d{2}-\d{2})$")
_CANONICAL = (_ROLLING, _MONTH, _QUARTER, _WEEK, _DAY, _RANGE, _YEAR, _SINCE)

#: A spelling: the canonical text, or how to get it from the local date of today.
Spelling = str | Callable[[date], str]

#: Words a period can start with (a quick refusal of the spans a sentence reader tries).
_STARTS = frozenset(
    {key.split("-")[0] for key in (*PHRASES, *DAYS_BACK)}
    | set(MONTHS)
    | set(NUMBER_WORDS)
    | {"last", "past", "previous", "prior", "trailing", "rolling", "since", "depuis"}
    | {"derniers", "dernieres", "dernier", "derniere", "mois", "month", "this"}
    | {f"{letter}{n}" for letter in "qt" for n in range(1, 5)}
)
#: Every word that takes part in a period phrase (so a reader does not take one for a typo).
PERIOD_WORDS = frozenset(
    {part for key in (*PHRASES, *DAYS_BACK, *_SINCE_UNITS) for part in key.split("-")}
    | set(MONTHS)
    | set(WEEKDAYS)
    | set(UNITS)
    | set(NUMBER_WORDS)
    | _STARTS
    | {"glissants", "glissantes", "passes", "passees", "ecoules", "ecoulees", "trimestre"}
    | {"quarter", "er", "eme", "st", "nd", "rd", "th"}
)


def plain(text: str) -> str:
    """A period text as the grammar compares it: lower case, no accents, words joined by
    hyphens (`Le mois dernier` → `le-mois-dernier`, `aujourd'hui` → `aujourd-hui`)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    for mark in (" ", "_", "'", "’", "`", "\t", "\n"):
        out = out.replace(mark, "-")
    return re.sub(r"-{2,}", "-", out).strip("-")


def _last_started(unit: str, number: int) -> Callable[[date], str]:
    """The latest month (or quarter) `number` that has started by today: `mars` in November
    2026 is 2026-03, `décembre` is 2025-12."""

    def resolve(today: date) -> str:
        current = today.month if unit == "month" else (today.month - 1) // 3 + 1
        year = today.year if number <= current else today.year - 1
        return f"{year}-{number:02d}" if unit == "month" else f"{year}-Q{number}"

    return resolve


def _since_spelling(rest: str) -> Spelling | None:
    """What follows "since"/"depuis": a weekday, a month, a day, yesterday, a unit's start."""
    parts = rest.split("-")
    while len(parts) > 1 and parts[0] in FILLERS:
        parts = parts[1:]
    rest = "-".join(parts)
    if rest in _SINCE_UNITS:
        return _SINCE_UNITS[rest]
    if rest in WEEKDAYS:
        weekday = WEEKDAYS[rest]
        return lambda today: f"since-{today - timedelta(days=(today.weekday() - weekday) % 7)}"
    if rest in ("yesterday", "hier"):
        return lambda today: f"since-{today - timedelta(days=1)}"
    if rest in ("today", "aujourd-hui", "aujourdhui"):
        return "today"
    if _DAY.match(rest):
        return f"since-{rest}"
    found = spelling(rest)
    if isinstance(found, str) and _MONTH.match(found):
        return f"since-{found}-01"
    if callable(found) and _NAMED_MONTH.match(rest):
        month = found
        return lambda today: f"since-{month(today)}-01"
    return None


def spelling(text: str) -> Spelling | None:
    """How a period is written canonically, or None when `text` is not a period.

    Accepts the canonical forms (`last-30d`, `2026-Q1`…), French (`mois-dernier`,
    `30-derniers-jours`, `7j`, `2026-T1`, `mars-2026`, `cette-annee`) and English words
    (`last 30 days`, `past 90 days`, `this month`, `in March`, `since Monday`), accents and
    leading fillers ("le", "in", "over the") optional. Forms that depend on today (a month
    without a year, "since Monday") come back as a function of the local date.
    """
    key = plain(text)
    parts = key.split("-")
    while len(parts) > 1 and parts[0] in FILLERS:
        parts = parts[1:]
    if not parts or not parts[0] or (parts[0] not in _STARTS and not parts[0][0].isdigit()):
        return None
    if any(p in UNITS for p in parts):
        parts = [NUMBER_WORDS.get(p, p) for p in parts]
    key = "-".join(parts)
    if match := _QUARTER.match(key):
        return f"{match[1]}-Q{match[2]}"
    if match := _WEEK.match(key):
        return f"{match[1]}-W{match[2]}"
    if key in CALENDAR_WORDS or any(form.match(key) for form in _CANONICAL):
        return key
    if key in PHRASES:
        return PHRASES[key]
    if key in DAYS_BACK:
        back = DAYS_BACK[key]
        return lambda today: (today - timedelta(days=back)).isoformat()
    for form in _ROLLING_FORMS:
        if match := form.match(key):
            return f"last-{int(match[1])}{UNITS[match[2]]}"
    if match := _NAMED_MONTH.match(key):
        month = MONTHS[match[1]]
        if match[2]:
            return f"{match[2]}-{month:02d}"
        return _last_started("month", month)
    if match := _YEAR_MONTH.match(key):
        return f"{match[1]}-{MONTHS[match[2]]:02d}"
    for number, form in enumerate(_QUARTER_FORMS):
        if match := form.match(key):
            year, quarter = (match[1], match[2]) if number == 0 else (match[2], match[1])
            return f"{year}-Q{quarter}"
    if match := _BARE_QUARTER.match(key):
        return _last_started("quarter", int(match[1]))
    if match := _NTH_QUARTER.match(key):
        if match[2]:
            return f"{match[2]}-Q{match[1]}"
        return _last_started("quarter", int(match[1]))
    if match := _SINCE_WORD.match(key):
        return _since_spelling(match[1])
    return None


def canonical_period(text: str, *, now: datetime, tz: str | ZoneInfo = "UTC") -> str | None:
    """The canonical spelling of a period at `now` in `tz` (`mars` → `2026-03`,
    `30 derniers jours` → `last-30d`, `since Monday` → `since-2026-11-16`); None when `text`
    is not a period. The range is not checked here: `parse_period` does."""
    found = spelling(text)
    if found is None or isinstance(found, str):
        return found
    zone = tz if isinstance(tz, ZoneInfo) else timezone(tz)
    return found(now.astimezone(zone).date())


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
    local_now = now.astimezone(zone)
    today = local_now.date()
    found = spelling(raw)
    key = raw.lower() if found is None else found if isinstance(found, str) else found(today)
    key = key.lower()
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
    if match := _SINCE.match(key):
        start = _local(_parse_date(match[1], raw), zone)
        if start > LATEST:
            raise PeriodError(raw, "out_of_range", first=FIRST_YEAR, last=LAST_YEAR)
        end = now.astimezone(UTC)
        if start >= end:
            raise PeriodError(raw, "since_future")
        return made(key, (Window(start, end), Window(start - (end - start), start)), True)
    raise PeriodError(raw, "unknown_period")


def looks_like_period(token: str) -> bool:
    """Whether a token has the shape of a period (so a parser can tell it from a KPI or filter)."""
    key = token.lower()
    return bool(
        key in CALENDAR_WORDS
        or key.startswith("last-")
        or key.startswith("this-")
        or re.match(r"^\d{4}(-|$)", key)
        or spelling(token) is not None
    )
