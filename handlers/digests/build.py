"""What a digest says: its KPIs over the period against the one before, the support summary,
the detractors' comments and the trend series, all computed in SQL through the KPI service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from handlers.answers.service import KpiError, answer, why
from handlers.deps import Deps
from handlers.digests.schedule import earlier_period
from kpis.bands import detractors
from kpis.catalogue import UnknownKpi, find_kpi
from kpis.periods import Period
from kpis.question import Question, parse_filters
from kpis.result import KpiResult
from kpis.themes import Themes
from kpis.why import Why, decomposable
from query.plan import Filter
from storage.db import session_scope
from storage.digests.store import Comment, detractor_comments, period_has_data
from storage.digests.tables import DigestSubscription

#: The core CX set a subscription gets when it names no KPIs.
DEFAULT_KPIS = ("nps", "csat", "ces", "frt", "aht", "fcr", "tickets")
#: The support summary's KPIs (FRT is shown by its median; the loop KPIs when alerts exist).
SUPPORT_KPIS = ("tickets", "frt", "fcr", "backlog", "loop-closure-rate", "time-to-close")
CHART_PERIODS = 12
CHART_KPIS = 4
COMMENTS = 5


@dataclass(frozen=True)
class Line:
    """One KPI of the digest: its result, or why it could not be computed."""

    key: str
    result: KpiResult | None = None
    error: str | None = None
    #: What moved it, when its change is significant and it splits by segment.
    moved: Why | None = None


@dataclass(frozen=True)
class Series:
    """A KPI's values over consecutive digest periods, oldest first (None: no value)."""

    key: str
    name: str
    unit: str
    starts: list[str]
    values: list[float | None]


@dataclass(frozen=True)
class Digest:
    """Everything one digest message shows."""

    subscription_id: int
    cadence: str
    channel_id: str
    period: Period
    has_data: bool
    lines: list[Line] = field(default_factory=list)
    support: list[Line] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    filters: tuple[Filter, ...] = ()
    late: bool = False
    #: The themes of the period's detractor comments.
    themes: Themes | None = None


def subscription_filters(subscription: DigestSubscription) -> tuple[Filter, ...]:
    """The subscription's `attribute=value` words as engine filters."""
    return parse_filters(subscription.filters)


def _line(
    deps: Deps, key: str, filters: tuple[Filter, ...], period: Period, explain: bool = False
) -> Line:
    question = Question(key, filters=filters)
    try:
        result = answer(deps=deps, question=question, period=period)
    except KpiError as exc:
        return Line(key, error=str(exc))
    if not explain or result.significant is not True or not _splits(key):
        return Line(key, result)
    return Line(key, result, moved=why(deps=deps, question=question, period=period))


def _splits(key: str) -> bool:
    try:
        return decomposable(find_kpi(key).formula)
    except UnknownKpi:
        return False


def build_digest(
    deps: Deps, subscription: DigestSubscription, period: Period, *, late: bool = False
) -> Digest:
    """Compute a subscription's digest for `period` (its previous window is the comparison)."""
    assert subscription.id is not None
    filters = subscription_filters(subscription)
    start, end = period.current.start, period.current.end
    with session_scope(deps.sessions) as session:
        has_data = period_has_data(session=session, start=start, end=end)
        comments = (
            detractor_comments(
                session=session,
                start=start,
                end=end,
                detractor=detractors(),
                filters=filters,
                limit=COMMENTS,
            )
            if has_data
            else []
        )
    digest = Digest(
        subscription.id,
        subscription.cadence,
        subscription.channel_id,
        period,
        has_data,
        filters=filters,
        late=late,
    )
    if not has_data:
        return digest
    keys = subscription.kpis or list(DEFAULT_KPIS)
    digest.lines.extend(_line(deps, key, filters, period, explain=True) for key in keys)
    digest.support.extend(_line(deps, key, filters, period) for key in SUPPORT_KPIS)
    digest.comments.extend(comments)
    if comments:
        from handlers.insights.service import digest_themes

        themes = digest_themes(deps=deps, period=period, filters=filters)
        return dataclasses.replace(digest, themes=themes)
    return digest


def trend(
    deps: Deps,
    subscription: DigestSubscription,
    period: Period,
    keys: Sequence[str],
    periods: int = CHART_PERIODS,
) -> list[Series]:
    """The main KPIs over the last `periods` digest periods, ending with `period`.

    Each engine call computes two consecutive periods (current and previous), so twelve
    periods cost six queries per KPI.
    """
    filters = subscription_filters(subscription)
    chain = [period]
    while len(chain) < periods:
        chain.append(
            earlier_period(
                subscription.cadence, subscription.cron, subscription.timezone, chain[-1]
            )
        )
    chain.reverse()
    out = []
    for key in keys[:CHART_KPIS]:
        values: list[float | None] = [None] * len(chain)
        name, unit = key, "number"
        for index in range(len(chain) - 1, -1, -2):
            try:
                result = answer(
                    deps=deps,
                    question=Question(key, filters=filters),
                    period=chain[index],
                )
            except KpiError:
                break
            name, unit = result.name, result.unit
            values[index] = result.current.value
            if index > 0:
                values[index - 1] = result.previous.value
        if any(v is not None for v in values):
            zone = ZoneInfo(subscription.timezone)
            starts = [p.current.start.astimezone(zone).strftime("%d %b") for p in chain]
            out.append(Series(key, name, unit, starts, values))
    return out
