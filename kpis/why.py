"""Why did it move: a change between two periods split into each segment's contribution.

A share, a score or a mean over a period is the weighted average of its segments' values:
`V = Σ wₛ·rₛ`, with `wₛ = nₛ/N` the segment's share of the answers (of the KPI's own n: valid
NPS answers, resolved tickets for FCR, tickets with a first response for FRT) and `rₛ` its
value. Between the previous period (0) and the current one (1) the change is
`ΔV = Σ (w1ₛ·r1ₛ − w0ₛ·r0ₛ)`, and each segment's term splits exactly (the symmetric, or
midpoint, shift-share decomposition) into

- a **rate** effect `w̄ₛ·(r1ₛ − r0ₛ)`: the segment's own value changed, weighed by its mean share
  `w̄ₛ = (w0ₛ + w1ₛ)/2`;
- a **mix** effect `(r̄ₛ − V̄)·(w1ₛ − w0ₛ)`: its share of answers changed, counted by how far its
  mean value `r̄ₛ = (r0ₛ + r1ₛ)/2` lies from the overall mean `V̄ = (V0 + V1)/2`.

`w̄·Δr + r̄·Δw = w1·r1 − w0·r0` term by term, and the shares change by nothing in all
(`Σ Δwₛ = 0`), so subtracting `V̄` moves nothing between segments' sums yet gives a segment
that grows at the average value no mix effect: the contributions of one attribute's segments
add up to `ΔV` exactly (`tests/test_why.py`). A segment seen in one period only takes the value
it has in the other for both (all of its contribution is then mix).

A segment *stands out* when it moved the figure otherwise than an even change would have (every
segment's value moving by `ΔV`, no share changing): when its rate effect's distance from
`w̄ₛ·ΔV` (counted only beyond what chance gives its own change: 1.96 standard errors, read from
its two periods' confidence intervals) plus the size of its mix effect reach `STANDOUT` of the
change. A region that fell as
much as every other region explains nothing. The segments
that stand out, of every attribute, are ranked together by the size of their contribution in
the change's direction (those that pushed it first); the first `DRIVERS` are the drivers. When
none stands out, the change is spread evenly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kpis.catalogue import Kpi
from kpis.engine import NONE_LABEL, OTHER_LABEL, Runner, compute
from kpis.formulas import Formula, Mean, NetScore, Share, TopBox
from kpis.periods import Period
from kpis.question import Question
from kpis.result import Figure, KpiResult
from kpis.stats import Z95
from query.plan import Key, Numbers, Scan, additive

#: A segment stands out when its contribution is this share of the change away from an even one.
STANDOUT = 0.1
#: How many drivers an answer shows.
DRIVERS = 3
#: An attribute with more values than this names records, not segments (ids): skipped.
MOST_VALUES = 50
#: The segments of an attribute kept by size; the rest are pooled into "other".
KEEP_SEGMENTS = 20
#: A segment needs this n in one of the periods to count towards "enough data".
MIN_N = 5

Effect = Literal["rate", "mix"]
#: Why a change has no explanation: the KPI is not a share, score or mean; no change; no
#: previous value; no attribute with enough data.
Reason = Literal["not_decomposable", "no_change", "no_previous", "no_segments"]


@dataclass(frozen=True)
class Segment:
    """One segment's part in a change: its figures, shares and contribution."""

    attribute: str
    key: str
    before: Figure
    after: Figure
    #: Its share of the answers in the previous and current periods (0–1).
    share_before: float
    share_after: float
    rate: float
    mix: float
    #: Whether its own change is significant at 95 % (None: no test, too few answers).
    significant: bool | None = None
    #: How far its own change may stray by chance (95 %, from its periods' intervals).
    noise: float = 0.0

    @property
    def contribution(self) -> float:
        """Its part of the change, in the KPI's unit (rate + mix)."""
        return self.rate + self.mix

    @property
    def effect(self) -> Effect:
        """Whether its own value (`rate`) or its weight (`mix`) moved the figure more."""
        return "rate" if abs(self.rate) >= abs(self.mix) else "mix"

    @property
    def label(self) -> str:
        """`plan=enterprise`."""
        return f"{self.attribute}={self.key}"


@dataclass(frozen=True)
class Attribution:
    """One attribute's segments and their contributions (summing to `total`)."""

    attribute: str
    segments: tuple[Segment, ...]
    total: float


@dataclass(frozen=True)
class Why:
    """The answer to `… why`: the usual result, and what moved it."""

    result: KpiResult
    attributions: tuple[Attribution, ...] = ()
    #: The segments that stand out, the largest contribution (in the change's direction) first.
    drivers: tuple[Segment, ...] = ()
    #: Whether some segment stands out (False: the change is spread evenly).
    standout: bool = False
    reason: Reason | None = None


def decomposable(formula: Formula) -> bool:
    """Whether a KPI is a share, a score or a mean (a weighted average of its segments)."""
    return isinstance(formula, NetScore | TopBox | Mean | Share)


def shift_share(
    rows: Sequence[tuple[float, float | None, float, float | None]],
) -> list[tuple[float, float]]:
    """The (rate, mix) effect of each segment `(w0, r0, w1, r1)`; a value is None where its
    share is 0. Each pair adds up to `w1·r1 − w0·r0` less `V̄·Δw` (zero in all)."""
    filled = []
    for w0, r0, w1, r1 in rows:
        a = r0 if r0 is not None else r1 if r1 is not None else 0.0
        b = r1 if r1 is not None else a
        filled.append((w0, a, w1, b))
    v0 = sum(w0 * r0 for w0, r0, _, _ in filled)
    v1 = sum(w1 * r1 for _, _, w1, r1 in filled)
    overall = (v0 + v1) / 2
    out = []
    for w0, r0, w1, r1 in filled:
        rate = (w0 + w1) / 2 * (r1 - r0)
        mix = ((r0 + r1) / 2 - overall) * (w1 - w0)
        out.append((rate, mix))
    return out


def _pool(rows: Sequence[Numbers]) -> dict[Key, float | None]:
    total: dict[Key, float | None] = {}
    for numbers in rows:
        for key, value in numbers.items():
            if not additive(key):
                continue
            total[key] = (total.get(key) or 0.0) + (value or 0.0)
    return total


def attribute(
    formula: Formula,
    name: str,
    groups: Mapping[str | None, Mapping[int, Numbers]],
) -> Attribution | None:
    """Decompose the change over one attribute's segments (window 1: previous, 0: current);
    None when the attribute has too few or too many segments, or its figures are withheld."""
    figures = {
        key: (formula.figure(by.get(1, {}), 1), formula.figure(by.get(0, {}), 0))
        for key, by in groups.items()
    }
    sizes = {key: max(b.n, a.n) for key, (b, a) in figures.items()}
    present = [key for key, n in sizes.items() if n > 0]
    if len(present) > MOST_VALUES or sum(1 for k in present if sizes[k] >= MIN_N) < 2:
        return None
    present.sort(key=lambda k: (-sizes[k], "" if k is None else k))
    kept: list[str | None] = []
    pooled: list[str | None] = []
    for key in present:
        before, after = figures[key]
        hidden = (before.value is None and before.n > 0) or (after.value is None and after.n > 0)
        (pooled if hidden or len(kept) >= KEEP_SEGMENTS else kept).append(key)
    table: list[tuple[str, Mapping[int, Numbers]]] = [
        (NONE_LABEL if key is None else key, groups[key]) for key in kept
    ]
    if pooled:
        other = {i: _pool([groups[k].get(i, {}) for k in pooled]) for i in (0, 1)}
        table.append((OTHER_LABEL, other))
    rows = []
    shown = []
    for label, by in table:
        before, after = formula.figure(by.get(1, {}), 1), formula.figure(by.get(0, {}), 0)
        if (before.value is None and before.n > 0) or (after.value is None and after.n > 0):
            return None  # even pooled, withheld (eNPS under 5 answers): no exact split
        shown.append((label, by, before, after))
    n0 = sum(before.n for _, _, before, _ in shown)
    n1 = sum(after.n for _, _, _, after in shown)
    if n0 == 0 or n1 == 0:
        return None
    for _, _, before, after in shown:
        rows.append((before.n / n0, before.value, after.n / n1, after.value))
    effects = shift_share(rows)
    segments = []
    for (label, by, before, after), (w0, _, w1, _), (rate, mix) in zip(
        shown, rows, effects, strict=True
    ):
        test = (
            formula.significant(by.get(0, {}), by.get(1, {}))
            if before.n > 0 and after.n > 0
            else None
        )
        noise = Z95 * math.hypot(_se(before), _se(after))
        segments.append(Segment(name, label, before, after, w0, w1, rate, mix, test, noise))
    total = sum(s.contribution for s in segments)
    return Attribution(name, tuple(segments), total)


def _se(figure: Figure) -> float:
    """A figure's standard error, read back from its 95 % interval (0 without one)."""
    if figure.ci is None:
        return 0.0
    return (figure.ci.high - figure.ci.low) / (2 * Z95)


def stands_out(segment: Segment, change: float) -> bool:
    """Whether a segment pushed the change further than an even change would have: its own
    value moved more than the others' in the change's direction (`w̄·(Δr − ΔV)`, counted when
    beyond what chance gives its own change), or its share moved it (its mix effect)."""
    sign = 1.0 if change >= 0 else -1.0
    mean_share = (segment.share_before + segment.share_after) / 2
    apart = segment.rate - mean_share * change
    if abs(apart) <= mean_share * segment.noise:
        apart = 0.0  # its own change is within what chance gives
    pushed = max(sign * apart, 0.0) + max(sign * segment.mix, 0.0)
    return pushed >= STANDOUT * abs(change)


def rank(attributions: Sequence[Attribution], change: float) -> tuple[Segment, ...]:
    """Every segment of every attribute, the largest contribution in the change's direction
    first (a segment that pulled against the change comes after those that pushed it)."""
    every = [s for a in attributions for s in a.segments]
    sign = 1.0 if change >= 0 else -1.0
    every.sort(key=lambda s: (-(sign * s.contribution), s.attribute, s.key))
    return tuple(every)


def grouped(
    formula: Formula, question: Question, period: Period, runner: Runner, name: str
) -> dict[str | None, dict[int, Numbers]]:
    """The formula's counts and sums per segment of `name`, both periods, one scan per need
    (a share, score or mean needs one: one query per attribute)."""
    windows = (period.current, period.previous)
    table: dict[str | None, dict[int, Numbers]] = {}
    for need in formula.scans(windows):
        result = runner.scan(
            Scan(
                source=need.source,
                time_column=need.time_column,
                windows=need.windows or windows,
                measures=need.measures,
                filters=question.filters,
                group_by=name,
            )
        )
        for key, by_window in result.items():
            for index, numbers in by_window.items():
                table.setdefault(key, {}).setdefault(index, {}).update(numbers)
    return table


def explain(
    *,
    kpi: Kpi,
    period: Period,
    question: Question,
    runner: Runner,
    attributes: Sequence[str],
) -> Why:
    """The question's answer and what moved it, over these attributes (those a filter pins
    to one value are left out)."""
    plain = Question(question.kpi, question.period, question.filters, None, question.top)
    result = compute(kpi=kpi, period=period, question=plain, runner=runner)
    formula = kpi.formula
    if not decomposable(formula):
        return Why(result, reason="not_decomposable")
    if result.delta is None:
        return Why(result, reason="no_previous")
    pinned = {f.name for f in question.filters if not f.negate}
    names = [question.group_by] if question.group_by else list(attributes)
    attributions = []
    for name in dict.fromkeys(names):
        if name in pinned:
            continue
        found = attribute(formula, name, grouped(formula, question, period, runner, name))
        if found is not None:
            attributions.append(found)
    if not attributions:
        return Why(result, reason="no_segments")
    if result.delta == 0:
        return Why(result, tuple(attributions), reason="no_change")
    ranked = [s for s in rank(attributions, result.delta) if stands_out(s, result.delta)]
    return Why(result, tuple(attributions), tuple(ranked[:DRIVERS]), bool(ranked))


__all__ = [
    "DRIVERS",
    "STANDOUT",
    "Attribution",
    "Segment",
    "Why",
    "attribute",
    "decomposable",
    "explain",
    "rank",
    "shift_share",
    "stands_out",
]
