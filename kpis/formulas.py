"""The handful of formula shapes every KPI is an instance of.

Each formula says which aggregates it needs (as `query.plan` data, for the windows it is given)
and how to turn the numbers that come back for one window into a `Figure`, and whether two
windows differ significantly. Numbers are pooled counts and sums: segments and periods are
summed, never averaged. The numbers are keyed by the contract's typed keys (`Total`,
`Quantile`, `LevelAt`), named once below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from kpis.bands import BOTTOM, NPS_DETRACTOR, PROMOTER, TOP, of_survey
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
from query.plan import (
    Cond,
    Condition,
    Expr,
    Key,
    LevelAt,
    Measure,
    Percentiles,
    Quantile,
    Source,
    Total,
    Window,
)

Numbers = Mapping[Key, float | None]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUANTILES = (0.5, 0.9)

#: The keys the formulas read back.
N = Total("n")
HIGH = Total("high")
LOW = Total("low")
HIT = Total("hit")
SUM = Total("sum")
SUMSQ = Total("sumsq")
CREATED = Total("created")
RESOLVED = Total("resolved")
RESPONSES = Total("responses")


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


def _get(numbers: Numbers, key: Key) -> float:
    value = numbers.get(key)
    return 0.0 if value is None else value


class Formula:
    """Base: what to fetch, and how to read it."""

    privacy_floor = 0

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        """The scans this formula needs over these windows."""
        return []

    def levels(self) -> list[LevelAt]:
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


@dataclass(frozen=True)
class NetScore(Formula):
    """100 × (promoters − detractors) / n: NPS, eNPS, and the net effort score."""

    survey: str
    #: NPS bands (promoters 9–10, detractors 0–6), else the scale's top and bottom
    #: (`kpis.bands.TOP`/`BOTTOM`: the end answers of a short scale, two boxes otherwise).
    nps_bands: bool = True
    minimum: int = 0

    @property
    def privacy_floor(self) -> int:  # type: ignore[override]
        return self.minimum

    def _conds(self) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
        base = of_survey(self.survey)
        if self.nps_bands:
            return (base, PROMOTER), (base, NPS_DETRACTOR)
        return (base, TOP), (base, BOTTOM)

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        top, bottom = self._conds()
        return [
            ScanNeed(
                "responses",
                "submitted_at",
                (
                    Measure(N, "count", where=(of_survey(self.survey),)),
                    Measure(HIGH, "count", where=top),
                    Measure(LOW, "count", where=bottom),
                ),
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n, high, low = (int(_get(numbers, k)) for k in (N, HIGH, LOW))
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
        a = [int(_get(current, k)) for k in (N, HIGH, LOW)]
        b = [int(_get(previous, k)) for k in (N, HIGH, LOW)]
        if a[0] < max(1, self.minimum) or b[0] < max(1, self.minimum):
            return None
        va, vb = nps_variance(a[1], a[2], a[0]), nps_variance(b[1], b[2], b[0])
        delta = 100 * (a[1] - a[2]) / a[0] - 100 * (b[1] - b[2]) / b[0]
        return z_test(delta, va, vb)


@dataclass(frozen=True)
class TopBox(Formula):
    """% of satisfied answers (CSAT): the top of each answer's own scale (`kpis.bands.TOP`)."""

    survey: str

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        base = of_survey(self.survey)
        return [
            ScanNeed(
                "responses",
                "submitted_at",
                (Measure(N, "count", where=(base,)), Measure(HIT, "count", where=(base, TOP))),
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n, hit = int(_get(numbers, N)), _get(numbers, HIT)
        if n == 0:
            return Figure(None, 0, NO_DATA)
        parts: dict[str, float | None] = {"satisfied_count": hit}
        return Figure(100 * hit / n, n, parts=parts, ci=wilson_interval(hit, n))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        return two_proportion_test(
            _get(current, HIT), _get(current, N), _get(previous, HIT), _get(previous, N)
        )


@dataclass(frozen=True)
class Mean(Formula):
    """The mean of a number per record, with a t interval (and median and p90 if asked)."""

    source: Source
    time_column: str
    expr: Expr
    where: tuple[Condition, ...] = ()
    quantiles: tuple[float, ...] = ()

    def _where(self) -> tuple[Condition, ...]:
        conds: list[Condition] = list(self.where)
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
                    Measure(N, "count", where=where),
                    Measure(SUM, "sum", self.expr, where),
                    Measure(SUMSQ, "sumsq", self.expr, where),
                ),
                percentiles,
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n = int(_get(numbers, N))
        stats = mean_and_variance(_get(numbers, SUM), _get(numbers, SUMSQ), n)
        if stats is None:
            return Figure(None, 0, NO_DATA)
        mean, variance = stats
        parts: dict[str, float | None] = {}
        for q in self.quantiles:
            label = "median" if q == 0.5 else f"p{round(q * 100)}"
            parts[label] = numbers.get(Quantile("p", q))
        return Figure(mean, n, parts=parts, ci=t_interval(mean, variance, n))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        a = mean_and_variance(_get(current, SUM), _get(current, SUMSQ), int(_get(current, N)))
        b = mean_and_variance(_get(previous, SUM), _get(previous, SUMSQ), int(_get(previous, N)))
        if a is None or b is None or _get(current, N) < 2 or _get(previous, N) < 2:
            return None
        return z_test(a[0] - b[0], a[1] / _get(current, N), b[1] / _get(previous, N))


@dataclass(frozen=True)
class Share(Formula):
    """% of records meeting a condition among those in the window (FCR, escalation rate…)."""

    source: Source
    time_column: str
    hit: tuple[Condition, ...]
    base: tuple[Condition, ...] = ()

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        return [
            ScanNeed(
                self.source,
                self.time_column,
                (
                    Measure(N, "count", where=self.base),
                    Measure(HIT, "count", where=(*self.base, *self.hit)),
                ),
            )
        ]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n, hit = int(_get(numbers, N)), _get(numbers, HIT)
        if n == 0:
            return Figure(None, 0, NO_DATA)
        parts: dict[str, float | None] = {"count": hit}
        return Figure(100 * hit / n, n, parts=parts, ci=wilson_interval(hit, n))

    def significant(self, current: Numbers, previous: Numbers) -> bool | None:
        return two_proportion_test(
            _get(current, HIT), _get(current, N), _get(previous, HIT), _get(previous, N)
        )


@dataclass(frozen=True)
class Count(Formula):
    """How many records fall in the window."""

    source: Source
    time_column: str
    where: tuple[Condition, ...] = ()

    def scans(self, windows: Sequence[Window]) -> list[ScanNeed]:
        return [ScanNeed(self.source, self.time_column, (Measure(N, "count", where=self.where),))]

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n = int(_get(numbers, N))
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
            for key, column in ((CREATED, "created_at"), (RESOLVED, "resolved_at")):
                needs.append(
                    ScanNeed(
                        "tickets",
                        column,
                        (Measure(key, "count"),),
                        windows=(Window(EPOCH, w.end),),
                        window_index=i,
                    )
                )
        return needs

    def figure(self, numbers: Numbers, index: int) -> Figure:
        n = int(_get(numbers, CREATED) - _get(numbers, RESOLVED))
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
                measures.append(Measure(Total("sum", of=name), "sum", Expr("value"), where))
                measures.append(Measure(Total("obs", of=name), "count", where=where))
            needs.append(ScanNeed("counters", "at", tuple(measures)))
        if any(t.kind == "responses" for t in self.numerator):
            needs.append(ScanNeed("responses", "submitted_at", (Measure(RESPONSES, "count"),)))
        return needs

    def levels(self) -> list[LevelAt]:
        return [
            LevelAt(t.counter, t.kind)
            for t in (*self.numerator, *self.denominator)
            if t.kind == "start" or t.kind == "end"
        ]

    @staticmethod
    def _term(numbers: Numbers, term: Term) -> float | None:
        if term.kind == "flow":
            if not numbers.get(Total("obs", of=term.counter)):
                return None
            return _get(numbers, Total("sum", of=term.counter))
        if term.kind == "responses":
            return _get(numbers, RESPONSES)
        return numbers.get(LevelAt(term.counter, term.kind))

    def _side(self, numbers: Numbers, terms: tuple[Term, ...]) -> float | None:
        values = [self._term(numbers, t) for t in terms]
        if any(v is None for v in values):
            return None
        return sum(t.sign * v for t, v in zip(terms, values, strict=True) if v is not None)

    def figure(self, numbers: Numbers, index: int) -> Figure:
        top = self._side(numbers, self.numerator)
        if not self.denominator:
            observations = sum(
                int(_get(numbers, Total("obs", of=t.counter))) for t in self.numerator
            )
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
    "Mean",
    "NetScore",
    "ScanNeed",
    "Share",
    "Term",
    "TopBox",
]
