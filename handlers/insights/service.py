"""The themes of a period's detractor comments: read in SQL, grouped by `kpis.themes`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.answers.service import KpiError, resolve_kpi
from handlers.deps import Deps
from kpis.bands import DETRACTOR_BANDS, detractors
from kpis.catalogue import Kpi
from kpis.periods import Period, parse_period, timezone
from kpis.question import Question
from kpis.themes import Themes, themes
from query.plan import Filter
from storage.db import read_snapshot
from storage.insights.store import Said, detractor_comments

__all__ = [
    "KpiError",
    "NoDetractors",
    "ThemesAnswer",
    "detractor_themes",
    "digest_themes",
    "survey_of",
]


class NoDetractors(ValueError):
    """The KPI is not a survey with detractors (NPS, CSAT, CES)."""

    def __init__(self, kpi: Kpi) -> None:
        self.kpi = kpi
        super().__init__(f"{kpi.key} has no detractors")


@dataclass(frozen=True)
class ThemesAnswer:
    """A period's detractor themes, with the KPI and period they are of."""

    kpi: Kpi
    period: Period
    themes: Themes


def survey_of(kpi: Kpi) -> str | None:
    """The survey whose detractors a KPI counts (`nps`, `csat`, `ces`), if any."""
    survey = kpi.key.split("-")[0]
    return survey if survey in DETRACTOR_BANDS else None


def detractor_themes(
    *,
    deps: Deps,
    question: Question,
    now: datetime | None = None,
    period: Period | None = None,
) -> ThemesAnswer:
    """The themes of the period's detractor comments of the question's survey (and filters),
    with the previous period's comments counted in them; UnknownKpi for a KPI without
    detractors."""
    if period is None:
        zone = timezone(deps.settings.timezone)
        period = parse_period(question.period, now=now or deps.clock(), tz=zone)
    with read_snapshot(deps.sessions) as session:
        kpi = resolve_kpi(session, question.kpi)
        survey = survey_of(kpi)
        if survey is None:
            raise NoDetractors(kpi)
        said = detractor_comments(
            session=session,
            windows=(period.current, period.previous),
            detractor=detractors((survey,)),
            filters=question.filters,
        )
    return ThemesAnswer(kpi, period, _grouped(said))


def _grouped(said: list[Said]) -> Themes:
    current = [s.comment for s in said if s.window == 0]
    previous = [s.comment for s in said if s.window == 1]
    return themes(current, previous)


def digest_themes(*, deps: Deps, period: Period, filters: tuple[Filter, ...] = ()) -> Themes:
    """The themes of every detractor's comments (NPS, CSAT, CES) over a digest's period."""
    with read_snapshot(deps.sessions) as session:
        said = detractor_comments(
            session=session,
            windows=(period.current, period.previous),
            detractor=detractors(),
            filters=filters,
        )
    return _grouped(said)
