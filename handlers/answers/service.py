"""The one place a KPI question is answered: parse, resolve the period, run SQL, compute.

The CLI, the HTTP API, the Slack commands and the digests all call `answer_text` or `answer`.
It hands `kpis.engine` a runner backed by `storage.aggregate`, in one read-only session that
sees a single snapshot of the database.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.deps import Deps
from kpis.catalogue import CATALOGUE, Kpi, UnknownKpi, counter_sum, find_kpi, normalise
from kpis.engine import compute
from kpis.formulas import EPOCH
from kpis.periods import Period, PeriodError, UnknownTimezone, parse_period, timezone
from kpis.question import Question, QuestionError, UnknownAttribute, parse_question
from kpis.result import KpiResult
from kpis.series import Series, compute_series
from kpis.why import Why, explain
from query.plan import LevelResult, Levels, Scan, ScanResult, Window
from storage.aggregate import (
    COLUMN_FILTERS,
    attribute_names,
    counter_exists,
    run_levels,
    run_scan,
)
from storage.db import read_snapshot

__all__ = [
    "CATALOGUE",
    "KpiError",
    "PeriodError",
    "QuestionError",
    "UnknownAttribute",
    "UnknownKpi",
    "UnknownTimezone",
    "answer",
    "answer_series",
    "answer_text",
    "resolve_kpi",
    "why",
]


#: Every error a question can raise for bad input (each has a clear message).
KpiError = (UnknownKpi, PeriodError, QuestionError, UnknownAttribute, UnknownTimezone)


@dataclass
class StorageRunner:
    """Runs the engine's aggregate descriptions in one session."""

    session: Session

    def scan(self, scan: Scan) -> ScanResult:
        """Counts, sums and percentiles per window and group, in SQL."""
        return run_scan(session=self.session, scan=scan)

    def levels(self, levels: Levels) -> LevelResult:
        """Latest level readings per instant and group, in SQL."""
        return run_levels(session=self.session, levels=levels)


def _sources(kpi: Kpi) -> set[str]:
    needs = kpi.formula.scans((Window(EPOCH, EPOCH),))
    sources: set[str] = {need.source for need in needs}
    if kpi.formula.levels():
        sources.add("counters")
    return sources


def resolve_kpi(session: Session, text: str) -> Kpi:
    """The catalogue's KPI, or any stored counter's sum; UnknownKpi otherwise."""
    try:
        return find_kpi(text)
    except UnknownKpi:
        name = normalise(text).replace("-", "_")
        if counter_exists(session=session, name=name):
            return counter_sum(name)
        raise


def _check_names(session: Session, kpi: Kpi, question: Question) -> None:
    names = [f.name for f in question.filters]
    if question.group_by:
        names.append(question.group_by)
    if not names:
        return
    for source in _sources(kpi):
        columns = COLUMN_FILTERS[source]
        unknown = [n for n in names if n not in columns]
        if not unknown:
            continue
        attributes = attribute_names(session=session, source=source)
        for name in unknown:
            if name not in attributes:
                known = sorted(columns | attributes)
                close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
                raise UnknownAttribute(name, known, close)


@contextmanager
def _resolved(
    deps: Deps,
    question: Question,
    tz: str | None,
    now: datetime | None,
    period: Period | None,
) -> Iterator[tuple[Session, Kpi, Period]]:
    """What every answer starts with: the question's period (unless given), then, in one read
    snapshot, its KPI and a check of the attribute names it uses."""
    if period is None:
        zone = timezone(tz or deps.settings.timezone)
        period = parse_period(question.period, now=now or deps.clock(), tz=zone)
    with read_snapshot(deps.sessions) as session:
        kpi = resolve_kpi(session, question.kpi)
        _check_names(session, kpi, question)
        yield session, kpi, period


def answer(
    *,
    deps: Deps,
    question: Question,
    tz: str | None = None,
    now: datetime | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Answer a parsed question (raises one of `KpiError` on bad input).

    `period`, when given, replaces the question's own (digests pass the windows they cover).
    """
    with _resolved(deps, question, tz, now, period) as (session, kpi, window):
        return compute(kpi=kpi, period=window, question=question, runner=StorageRunner(session))


def answer_series(
    *,
    deps: Deps,
    question: Question,
    tz: str | None = None,
    now: datetime | None = None,
    period: Period | None = None,
) -> Series:
    """The question's KPI over its period's steps, for a chart (raises one of `KpiError`)."""
    with _resolved(deps, question, tz, now, period) as (session, kpi, window):
        return compute_series(
            kpi=kpi, period=window, question=question, runner=StorageRunner(session)
        )


def answer_text(
    *,
    deps: Deps,
    text: str,
    kpi: str | None = None,
    tz: str | None = None,
    now: datetime | None = None,
) -> KpiResult:
    """Answer `nps last-30d plan=enterprise by channel` (or the text after `/nps`, with kpi)."""
    return answer(deps=deps, question=parse_question(text, kpi=kpi), tz=tz, now=now)


#: The records' own columns a change is split by (a ticket's channel, team and agent).
SEGMENT_COLUMNS = {"responses": (), "tickets": ("channel", "team", "agent")}


def segment_attributes(session: Session, kpi: Kpi, kept: list[str]) -> list[str]:
    """The attributes a KPI's change is split by: its records' segment columns, and the
    segment attributes (KPIBOT_SEGMENT_ATTRIBUTES, KPIBOT_DIMENSIONS) its records carry."""
    names: list[str] = []
    for source in sorted(_sources(kpi)):
        names += SEGMENT_COLUMNS.get(source, ())
        seen = attribute_names(session=session, source=source)
        names += [name for name in kept if name in seen]
    return list(dict.fromkeys(names))


def why(
    *,
    deps: Deps,
    question: Question,
    tz: str | None = None,
    now: datetime | None = None,
    period: Period | None = None,
) -> Why:
    """Answer a question and say what moved it (`kpis.why`): one grouped scan per attribute,
    in the same snapshot as the answer."""
    with _resolved(deps, question, tz, now, period) as (session, kpi, window):
        attributes = segment_attributes(session, kpi, deps.settings.kept_attributes)
        return explain(
            kpi=kpi,
            period=window,
            question=question,
            runner=StorageRunner(session),
            attributes=attributes,
        )
