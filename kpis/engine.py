"""The engine: from a KPI, a period and a question to a `KpiResult`.

It asks a `Runner` (storage, wired in by the handlers) for the aggregates the KPI's formula
needs, as `query.plan` data, and turns the numbers into figures. Groups are ranked by their
current n; the largest `top` are kept and the rest are pooled into "other" (counts and sums
added, percentiles recomputed by the database over the pooled rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from kpis.catalogue import Kpi
from kpis.formulas import Formula
from kpis.periods import Period
from kpis.question import Question
from kpis.result import Figure, GroupFigure, KpiResult
from query.plan import (
    OTHER,
    Filter,
    Key,
    LevelResult,
    Levels,
    Numbers,
    Scan,
    ScanResult,
    Window,
    additive,
)

NONE_LABEL = "(none)"
OTHER_LABEL = "other"

Table = dict[str | None, dict[int, Numbers]]


class Runner(Protocol):
    """Runs aggregate descriptions in the database and returns plain numbers."""

    def scan(self, scan: Scan) -> ScanResult:
        """Counts, sums and percentiles per window and group."""
        ...

    def levels(self, levels: Levels) -> LevelResult:
        """Level-counter readings per instant and group."""
        ...


def _merge(into: Table, key: str | None, index: int, numbers: Mapping[Key, float | None]) -> None:
    into.setdefault(key, {}).setdefault(index, {}).update(numbers)


def pool(rows: list[dict[int, Numbers]], windows: int) -> dict[int, Numbers]:
    """Groups' numbers added up (counts, sums, levels); quantiles are left to be recomputed."""
    pooled: dict[int, Numbers] = {}
    for index in range(windows):
        total: Numbers = {}
        for row in rows:
            for key, value in row.get(index, {}).items():
                if not additive(key):
                    continue
                if value is None:
                    total.setdefault(key, None)
                else:
                    total[key] = (total.get(key) or 0.0) + value
        pooled[index] = total
    return pooled


def _fetch(
    formula: Formula,
    question: Question,
    period: Period,
    runner: Runner,
    group_by: str | None,
    keep: tuple[str | None, ...] | None,
    totals: bool,
) -> Table:
    """Run the formula's scans and level reads for the current and previous windows: the
    additive numbers (`totals`: counts, sums, levels) or else the percentiles."""
    windows = (period.current, period.previous)
    return fetch(formula, question.filters, windows, runner, group_by, keep, totals)


def fetch(
    formula: Formula,
    filters: tuple[Filter, ...],
    windows: tuple[Window, ...],
    runner: Runner,
    group_by: str | None,
    keep: tuple[str | None, ...] | None,
    totals: bool,
) -> Table:
    """Run the formula's scans and level reads for any disjoint windows (one scan over all of
    them: storage buckets the rows by window in SQL): the additive numbers (`totals`: counts,
    sums, levels) or else the percentiles; keyed by group, then window index."""
    table: Table = {}
    for need in formula.scans(windows):
        span = need.windows or windows
        if totals and need.measures:
            result = runner.scan(
                Scan(
                    source=need.source,
                    time_column=need.time_column,
                    windows=span,
                    measures=need.measures,
                    filters=filters,
                    group_by=group_by,
                )
            )
            for key, by_window in result.items():
                for index, numbers in by_window.items():
                    target = index if need.window_index is None else need.window_index
                    _merge(table, key, target, numbers)
        if not totals and need.percentiles:
            result = runner.scan(
                Scan(
                    source=need.source,
                    time_column=need.time_column,
                    windows=span,
                    percentiles=need.percentiles,
                    filters=filters,
                    group_by=group_by,
                    keep_groups=keep,
                )
            )
            for key, by_window in result.items():
                for index, numbers in by_window.items():
                    _merge(table, key, index, numbers)
    if totals:
        for level in formula.levels():
            instants = tuple(w.start if level.at == "start" else w.end for w in windows)
            readings = runner.levels(
                Levels(
                    counter=level.counter,
                    instants=instants,
                    filters=filters,
                    group_by=group_by,
                )
            )
            for key, by_instant in readings.items():
                for index, value in by_instant.items():
                    _merge(table, key, index, {level: value})
    return table


def compute(*, kpi: Kpi, period: Period, question: Question, runner: Runner) -> KpiResult:
    """Answer one question: figures for the period and the previous one, and per group."""
    formula = kpi.formula
    group_by = question.group_by
    summed = _fetch(formula, question, period, runner, group_by, None, True)
    overall_percentiles = _fetch(formula, question, period, runner, None, None, False)
    totals = summed.get(None, {}) if group_by is None else pool(list(summed.values()), 2)
    for index, numbers in overall_percentiles.get(None, {}).items():
        totals.setdefault(index, {}).update(numbers)
    current = formula.figure(totals.get(0, {}), 0)
    previous = formula.figure(totals.get(1, {}), 1)
    delta = (
        None if current.value is None or previous.value is None else current.value - previous.value
    )
    significant = (
        None if delta is None else formula.significant(totals.get(0, {}), totals.get(1, {}))
    )
    groups: tuple[GroupFigure, ...] = ()
    if group_by is not None:
        groups = _groups(formula, question, period, runner, summed)
    return KpiResult(
        key=kpi.key,
        name=kpi.name_en,
        unit=kpi.unit,
        direction=kpi.direction,
        period=period,
        current=current,
        previous=previous,
        delta=delta,
        significant=significant,
        filters=question.filters,
        group_by=group_by,
        groups=groups,
        name_fr=kpi.name_fr,
    )


def _groups(
    formula: Formula, question: Question, period: Period, runner: Runner, summed: Table
) -> tuple[GroupFigure, ...]:
    sizes: list[tuple[int, str | None]] = []
    for key, by_window in summed.items():
        figure = formula.figure(by_window.get(0, {}), 0)
        sizes.append((figure.n, key))
    sizes.sort(key=lambda item: (-item[0], "" if item[1] is None else item[1]))
    kept = [key for n, key in sizes[: question.top] if n > 0]
    rest = [key for n, key in sizes if key not in kept and n > 0]
    table: Table = {key: summed[key] for key in kept}
    if rest:
        table[OTHER] = pool([summed[key] for key in rest], 2)
    percentiles = _fetch(formula, question, period, runner, question.group_by, tuple(kept), False)
    for key, by_window in percentiles.items():
        target = key if key in table else (OTHER if rest else None)
        if target is None or target not in table:
            continue
        for index, numbers in by_window.items():
            table[target].setdefault(index, {}).update(numbers)
    out = []
    for key in [*kept, *([OTHER] if rest else [])]:
        by_window = table[key]
        label = OTHER_LABEL if key == OTHER else NONE_LABEL if key is None else key
        out.append(
            GroupFigure(
                label,
                formula.figure(by_window.get(0, {}), 0),
                formula.figure(by_window.get(1, {}), 1),
            )
        )
    return tuple(out)


__all__ = ["Figure", "Runner", "compute"]
