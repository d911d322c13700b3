"""A KPI over a period cut into steps: the points a chart draws.

The step follows the period's length: days up to a month, weeks up to half a year, months beyond
(or what `chart=week` asks). Steps are calendar units in the reporting timezone (local midnight,
Monday, the 1st), cut to the period's edges, so a rolling `last-90d` starts with a part-week and
ends with the week so far. Each step of the previous period is the same step moved back by the
distance between the two periods' starts (clipped to the previous window), so the two lines
overlay.

Every step's numbers come from the engine's own scans asked for all steps at once
(`kpis.engine.fetch`): storage buckets the rows by step in SQL (one statement per scan, on the
daily rollups where they exist), and the figures are the same formulas as the answer's. The
percentiles an answer shows beside a mean (median, p90) are not drawn, so no step costs a
percentile query. With `by`, each of the largest groups is a line (at most `MAX_LINES`, the rest
pooled into "other") and the previous period is left out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from kpis.catalogue import Kpi
from kpis.engine import NONE_LABEL, OTHER_LABEL, Runner, fetch, pool
from kpis.periods import Period
from kpis.question import Question
from kpis.result import Direction, Figure, Unit
from query.plan import Numbers, Window

Step = Literal["day", "week", "month"]

#: Lines a grouped chart draws at most ("other" included).
MAX_LINES = 6
#: The longest period drawn by days, then by weeks (in days).
DAYS_UP_TO = 31
WEEKS_UP_TO = 183
#: The most steps a chart draws: a finer step asked over a longer period is coarsened.
MAX_STEPS = 400
_COARSER: dict[str, Step] = {"day": "week", "week": "month"}


def step_of(window: Window) -> Step:
    """Days up to a month, weeks up to half a year, months beyond."""
    days = window.seconds / 86400 - 2 / 24  # a month with a DST change is an hour longer
    if days <= DAYS_UP_TO:
        return "day"
    if days <= WEEKS_UP_TO:
        return "week"
    return "month"


def _next_start(day: date, step: Step) -> date:
    if step == "day":
        return day + timedelta(days=1)
    if step == "week":
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def steps(window: Window, tz: ZoneInfo, step: Step) -> tuple[Window, ...]:
    """The window cut at every local calendar boundary of the step that lies inside it."""
    out: list[Window] = []
    start = window.start
    day = start.astimezone(tz).date()
    while True:
        day = _next_start(day, step)
        edge = datetime.combine(day, time(0), tzinfo=tz).astimezone(window.start.tzinfo)
        if edge >= window.end:
            break
        if edge > start:
            out.append(Window(start, edge))
            start = edge
    out.append(Window(start, window.end))
    return tuple(out)


def earlier(cut: tuple[Window, ...], period: Period) -> tuple[Window | None, ...]:
    """Each step moved back to the previous period, clipped to it (None: nothing left)."""
    shift = period.current.start - period.previous.start
    out: list[Window | None] = []
    for w in cut:
        start = max(w.start - shift, period.previous.start)
        end = min(w.end - shift, period.previous.end)
        out.append(Window(start, end) if start < end else None)
    return tuple(out)


@dataclass(frozen=True)
class Line:
    """One line of a chart: a figure per step (`label` empty for the whole population)."""

    label: str
    figures: tuple[Figure, ...]

    @property
    def values(self) -> list[float | None]:
        """The values, None where a step has none."""
        return [f.value for f in self.figures]


@dataclass(frozen=True)
class Series:
    """A KPI over a period's steps: one line (or one per group) and the previous period."""

    key: str
    name: str
    unit: Unit
    direction: Direction | None
    period: Period
    step: Step
    steps: tuple[Window, ...]
    lines: tuple[Line, ...]
    #: The previous period's figures, step for step (None: grouped, or it does not fit).
    previous: Line | None = None
    group_by: str | None = None
    name_fr: str = ""

    def display_name(self, language: str = "en") -> str:
        """The KPI's name in English or French."""
        return self.name_fr if language == "fr" and self.name_fr else self.name

    def last(self, line: Line | None = None) -> tuple[int, Figure] | None:
        """The last step with a value (of `line`, else the first line), and its figure."""
        chosen = line or (self.lines[0] if self.lines else None)
        if chosen is None:
            return None
        for index in range(len(chosen.figures) - 1, -1, -1):
            if chosen.figures[index].value is not None:
                return index, chosen.figures[index]
        return None


def _disjoint(windows: list[Window]) -> bool:
    ordered = sorted(windows, key=lambda w: w.start)
    return all(a.end <= b.start for a, b in itertools.pairwise(ordered))


def _whole(by_window: dict[int, Numbers], count: int) -> Numbers:
    """A group's numbers over every step (to rank the groups by their n)."""
    return pool([{0: by_window.get(i, {})} for i in range(count)], 1)[0]


def compute_series(
    *, kpi: Kpi, period: Period, question: Question, runner: Runner, max_lines: int = MAX_LINES
) -> Series:
    """The KPI over the period's steps: one grouped scan per formula scan, all steps at once."""
    formula = kpi.formula
    step: Step = step_of(period.current)
    if question.chart_step in ("day", "week", "month"):
        step = question.chart_step  # type: ignore[assignment]
    cut = steps(period.current, ZoneInfo(period.tz), step)
    while len(cut) > MAX_STEPS and step in _COARSER:
        step = _COARSER[step]
        cut = steps(period.current, ZoneInfo(period.tz), step)
    count = len(cut)
    made = {
        "key": kpi.key,
        "name": kpi.name_en,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "period": period,
        "step": step,
        "steps": cut,
        "group_by": question.group_by,
        "name_fr": kpi.name_fr,
    }
    if question.group_by is None:
        before = earlier(cut, period)
        extra = [w for w in before if w is not None]
        windows = [*cut, *extra]
        if not _disjoint(windows):
            windows, before = list(cut), tuple(None for _ in cut)
        table = fetch(formula, question.filters, tuple(windows), runner, None, None, True)
        numbers = table.get(None, {})
        line = Line("", tuple(formula.figure(numbers.get(i, {}), i) for i in range(count)))
        previous_figures: list[Figure] = []
        position = count
        for w in before:
            if w is None:
                previous_figures.append(Figure(None, 0))
                continue
            previous_figures.append(formula.figure(numbers.get(position, {}), position))
            position += 1
        previous = Line("previous", tuple(previous_figures)) if extra else None
        return Series(**made, lines=(line,), previous=previous)  # type: ignore[arg-type]
    table = fetch(formula, question.filters, cut, runner, question.group_by, None, True)
    sizes = sorted(
        ((formula.figure(_whole(by, count), 0).n, key) for key, by in table.items()),
        key=lambda item: (-item[0], "" if item[1] is None else item[1]),
    )
    present = [key for n, key in sizes if n > 0]
    kept = present if len(present) <= max_lines else present[: max_lines - 1]
    rest = [key for key in present if key not in kept]
    lines = []
    for key in kept:
        by = table[key]
        label = NONE_LABEL if key is None else key
        lines.append(Line(label, tuple(formula.figure(by.get(i, {}), i) for i in range(count))))
    if rest:
        pooled = pool([table[key] for key in rest], count)
        lines.append(Line(OTHER_LABEL, tuple(formula.figure(pooled[i], i) for i in range(count))))
    return Series(**made, lines=tuple(lines))  # type: ignore[arg-type]
