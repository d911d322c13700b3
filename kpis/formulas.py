"""The handful of formula shapes every KPI is an instance of.

Each formula says which aggregates it needs (as `kpis.plan` data, for the windows it is given)
and how to turn the numbers that come back for one window into a `Figure`, and whether two
windows differ significantly. Numbers are pooled counts and sums: segments and periods are
summed, never averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from kpis.periods import Window
from kpis.plan import ColumnOffset, Cond, Expr, Measure, Percentiles, Source
from kpis.result import FEWER_THAN_FIVE, NO_DATA, ZERO_DENOMINATOR, Figure
from kpis.stats import (
    mean_and_variance,
    nps_interval,
    nps_value,
    nps_variance,
    t_interval,
    two_proportion_test,
    wilson_interval,
    z_test,
)

Numbers = Mapping[str, float | None]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class ScanNeed:
    """Measures (and percentiles) a formula needs from one source and time column."""

    source: Source
    time_column: str
    measures: tuple[Measure, ...]
    percentiles: tuple[Percentiles, ...] = ()
    #: Replaces the question's windows (e.g. a backlog reads everything before an end)...
    windows: tuple[Window, ...] | None = None
    #: ...and then says which of the question's windows the scan's single window stands for.
    window_index: int | None = None


@dataclass(frozen=True)
class LevelNeed:
    """A level counter read at each window's start or end."""

    counter: str
    at: Literal["start", "end"]

    @property
    def name(self) -> str:
        """The key its value has among a window's numbers."""
        return f"level:{self.counter}:{self.at}"


def _get(numbers: Numbers, name: str) -> float:
    value = numbers.get(name)
    return 0.0 if value is None else value


class Formula:
    """Base: what to fetch, and how to read it."""

    privacy_floor = 0

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        """The scans this formula needs over these windows."""
        return []

    def levels(self) -> list[LevelNeed]:
        """The level readings this formula needs at each window's edges."""
        return []

    def figure(self, numbers: Numbers, index: int) -> Figure:
        """The figure for window `index` from its numbers."""
        raise NotImplementedError

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        """Whether the change between two windows is significant at 95 % (None: no test)."""
        return None

    def withheld(self, figure: Figure) -> Figure:
        """Apply the privacy floor (eNPS: nothing under 5 answers)."""
        if self.privacy_floor and figure.n < self.privacy_floor:
            return Figure(None, figure.n, FEWER_THAN_FIVE)
        return figure


def _survey(survey: str) -> Cond:
    return Cond("survey", "=", survey)


@dataclass(frozen=True)
class NetScore(Formula):
    """100 × (promoters − detractors) / n: NPS, eNPS, and the net effort score."""

    survey: str
    #: Promoters/easy: score ≥ scale_max − top_offset; detractors: score ≤ bottom (or ≤ 6 for NPS).
    nps_bands: bool = True
    minimum: int = 0

    @property
    def privacy_floor(self) -> int:  # type: ignore[override]
        return self.minimum

    def _conds(self) -> tuple[tuple[Cond, ...], tuple[Cond, ...]]:
        base = _survey(self.survey)
        if self.nps_bands:
            return (base, Cond("score", ">=", 9)), (base, Cond("score", "<=", 6))
        return (
            (base, Cond("score", ">=", ColumnOffset("scale_max", -1))),
            (base, Cond("score", "<=", 2)),
        )

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        top, bottom = self._conds()
        return [
            ScanNeed(
                "responses",
                "submitted_at",
                (
                    Measure("n", "count", where=(_survey(self.survey),)),
                    Measure("high", "count", where=top),
                    Measure("low", "count", where=bottom),
                ),
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n, high, low = (int(_get(numbers, k)) for k in ("n", "high", "low"))
        value = nps_value(high, low, n)
        if value is None:
            return self.withheld(Figure(None, 0, NO_DATA))
        names = (
            ("promoters", "passives", "detractors")
            if self.nps_bands
            else (
                "easy",
                "neutral",
                "difficult",
            )
        )
        parts: dict[str, float | None] = {
            f"{names[0]}_count": high,
            f"{names[1]}_count": n - high - low,
            f"{names[2]}_count": low,
            names[0]: 100 * high / n,
            names[1]: 100 * (n - high - low) / n,
            names[2]: 100 * low / n,
        }
        return self.withheld(Figure(value, n, parts=parts, ci=nps_interval(high, low, n)))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        a = [int(_get(current, k)) for k in ("n", "high", "low")]
        b = [int(_get(previous, k)) for k in ("n", "high", "low")]
        if a[0] < max(1, self.minimum) or b[0] < max(1, self.minimum):
            return None
        va, vb = nps_variance(a[1], a[2], a[0]), nps_variance(b[1], b[2], b[0])
        delta = 100 * (a[1] - a[2]) / a[0] - 100 * (b[1] - b[2]) / b[0]
        return z_test(delta, va, vb)


@dataclass(frozen=True)
class TopBox(Formula):
    """% of answers in the top two boxes of their scale (CSAT)."""

    survey: str

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        base = _survey(self.survey)
        return [
            ScanNeed(
                "responses",
                "submitted_at",
                (
                    Measure("n", "count", where=(base,)),
                    Measure(
                        "hit",
                        "count",
                        where=(base, Cond("score", ">=", ColumnOffset("scale_max", -1))),
                    ),
                ),
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n, hit = int(_get(numbers, "n")), _get(numbers, "hit")
        if n == 0:
            return Figure(None, 0, NO_DATA)
        parts: dict[str, float | None] = {"satisfied_count": hit}
        return Figure(100 * hit / n, n, parts=parts, ci=wilson_interval(hit, n))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        return two_proportion_test(
            _get(current, "hit"), _get(current, "n"), _get(previous, "hit"), _get(previous, "n")
        )


@dataclass(frozen=True)
class Mean(Formula):
    """The mean of a number per record, with a t interval (and median and p90 if asked)."""

    source: Source
    time_column: str
    expr: Expr
    where: tuple[Cond, ...] = ()
    quantiles: tuple[float, ...] = ()

    def _where(self) -> tuple[Cond, ...]:
        conds = list(self.where)
        conds.append(Cond(self.expr.column, "notnull"))
        if self.expr.minus:
            conds.append(Cond(self.expr.minus, "notnull"))
        return tuple(conds)

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        where = self._where()
        percentiles = (
            (Percentiles("p", self.expr, self.quantiles, where),) if self.quantiles else ()
        )
        return [
            ScanNeed(
                self.source,
                self.time_column,
                (
                    Measure("n", "count", where=where),
                    Measure("sum", "sum", self.expr, where),
                    Measure("sumsq", "sumsq", self.expr, where),
                ),
                percentiles,
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n = int(_get(numbers, "n"))
        stats = mean_and_variance(_get(numbers, "sum"), _get(numbers, "sumsq"), n)
        if stats is None:
            return Figure(None, 0, NO_DATA)
        mean, variance = stats
        parts: dict[str, float | None] = {}
        for q in self.quantiles:
            label = "median" if q == 0.5 else f"p{round(q * 100)}"
            parts[label] = numbers.get(f"p@{q}")
        return Figure(mean, n, parts=parts, ci=t_interval(mean, variance, n))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        a = mean_and_variance(_get(current, "sum"), _get(current, "sumsq"), int(_get(current, "n")))
        b = mean_and_variance(
            _get(previous, "sum"), _get(previous, "sumsq"), int(_get(previous, "n"))
        )
        if a is None or b is None or _get(current, "n") < 2 or _get(previous, "n") < 2:
            return None
        return z_test(a[0] - b[0], a[1] / _get(current, "n"), b[1] / _get(previous, "n"))


@dataclass(frozen=True)
class Share(Formula):
    """% of records meeting a condition among those in the window (FCR, escalation rate…)."""

    source: Source
    time_column: str
    hit: tuple[Cond, ...]
    base: tuple[Cond, ...] = ()

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        return [
            ScanNeed(
                self.source,
                self.time_column,
                (
                    Measure("n", "count", where=self.base),
                    Measure("hit", "count", where=(*self.base, *self.hit)),
                ),
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n, hit = int(_get(numbers, "n")), _get(numbers, "hit")
        if n == 0:
            return Figure(None, 0, NO_DATA)
        parts: dict[str, float | None] = {"count": hit}
        return Figure(100 * hit / n, n, parts=parts, ci=wilson_interval(hit, n))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        return two_proportion_test(
            _get(current, "hit"), _get(current, "n"), _get(previous, "hit"), _get(previous, "n")
        )


@dataclass(frozen=True)
class Count(Formula):
    """How many records fall in the window."""

    source: Source
    time_column: str
    where: tuple[Cond, ...] = ()

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        return [ScanNeed(self.source, self.time_column, (Measure("n", "count", where=self.where),))]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n = int(_get(numbers, "n"))
        return Figure(float(n), n)


@dataclass(frozen=True)
class Backlog(Formula):
    """Tickets created before the window's end and not resolved by then.

    Counted as (tickets created before the end) − (tickets resolved before the end): a ticket
    is resolved after it is created (the ingest refuses the opposite), so the difference is
    exactly the open ones, and both counts are plain counts over a time column, which the
    daily rollups answer.
    """

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        needs = []
        for i, w in enumerate(windows):
            for name, column in (("created", "created_at"), ("resolved", "resolved_at")):
                needs.append(
                    ScanNeed(
                        "tickets",
                        column,
                        (Measure(name, "count"),),
                        windows=(Window(EPOCH, w.end),),
                        window_index=i,
                    )
                )
        return needs

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n = int(_get(numbers, "created") - _get(numbers, "resolved"))
        return Figure(float(n), n)


@dataclass(frozen=True)
class Term:
    """One part of a counter formula: a flow summed over the window, or a level at an edge."""

    counter: str
    kind: Literal["flow", "start", "end", "responses"] = "flow"
    sign: float = 1.0


@dataclass(frozen=True)
class CounterRatio(Formula):
    """scale × (Σ numerator terms) / (Σ denominator terms) over business counters.

    With no denominator it is a plain sum. `share` marks a proportion (numerator part of the
    denominator): it then gets a Wilson interval and a two-proportion test, with the
    denominator's sum as n.
    """

    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...] = ()
    scale: float = 1.0
    share: bool = False

    def _flows(self) -> set[str]:
        return {t.counter for t in (*self.numerator, *self.denominator) if t.kind == "flow"}

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        needs = []
        flows = sorted(self._flows())
        if flows:
            measures = []
            for name in flows:
                where = (Cond("name", "=", name), Cond("kind", "=", "flow"))
                measures.append(Measure(f"sum:{name}", "sum", Expr("value"), where))
                measures.append(Measure(f"obs:{name}", "count", where=where))
            needs.append(ScanNeed("counters", "at", tuple(measures)))
        if any(t.kind == "responses" for t in self.numerator):
            needs.append(ScanNeed("responses", "submitted_at", (Measure("responses", "count"),)))
        return needs

    def levels(self) -> list[LevelNeed]:
        return [
            LevelNeed(t.counter, t.kind)
            for t in (*self.numerator, *self.denominator)
            if t.kind in ("start", "end")
        ]

    @staticmethod
    def _term(numbers: Numbers, term: Term) -> float | None:
        if term.kind == "flow":
            if not numbers.get(f"obs:{term.counter}"):
                return None
            return _get(numbers, f"sum:{term.counter}")
        if term.kind == "responses":
            return _get(numbers, "responses")
        return numbers.get(LevelNeed(term.counter, term.kind).name)

    def _side(self, numbers: Numbers, terms: tuple[Term, ...]) -> float | None:
        values = [self._term(numbers, t) for t in terms]
        if any(v is None for v in values):
            return None
        return sum(t.sign * v for t, v in zip(terms, values, strict=True) if v is not None)

    def figure(self, numbers: Numbers, index: int) -> Figure:
        top = self._side(numbers, self.numerator)
        if not self.denominator:
            observations = sum(int(_get(numbers, f"obs:{t.counter}")) for t in self.numerator)
            if top is None:
                return Figure(None, 0, NO_DATA)
            return Figure(top * self.scale, observations)
        bottom = self._side(numbers, self.denominator)
        if top is None or bottom is None:
            return Figure(None, 0, NO_DATA)
        n = round(bottom)
        if bottom == 0:
            return Figure(None, 0, ZERO_DENOMINATOR)
        parts: dict[str, float | None] = {"numerator": top, "denominator": bottom}
        ci = wilson_interval(top, bottom) if self.share and 0 <= top <= bottom else None
        return Figure(self.scale * top / bottom, n, parts=parts, ci=ci)

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        if not self.share or not self.denominator:
            return None
        a = (self._side(current, self.numerator), self._side(current, self.denominator))
        b = (self._side(previous, self.numerator), self._side(previous, self.denominator))
        if None in a or None in b:
            return None
        a_top, a_bottom = (float(x) for x in a if x is not None)
        b_top, b_bottom = (float(x) for x in b if x is not None)
        if a_bottom <= 0 or b_bottom <= 0:
            return None
        return two_proportion_test(a_top, a_bottom, b_top, b_bottom)


__all__ = [
    "QUANTILES",
    "Backlog",
    "Count",
    "CounterRatio",
    "Formula",
    "LevelNeed",
    "Mean",
    "NetScore",
    "ScanNeed",
    "Share",
    "Term",
    "TopBox",
]
