"""Questions in plain words: the reader's vocabulary, and a sentence turned into an answer.

The vocabulary is the catalogue's names and aliases in both languages plus the values the data
holds (`storage.vocabulary.attribute_values`), kept for a few minutes per process
(`Deps.vocabulary`). A word nobody recognises reloads it, at most every few seconds, so a value
that just arrived is known at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.deps import Deps
from kpis.question import ATTRIBUTE_NAMES, Question, fold
from kpis.result import KpiResult
from kpis.sentence import Reading, Vocabulary, catalogue_phrases, read_sentence
from settings import Settings
from storage.aggregate import COLUMN_FILTERS
from storage.db import read_snapshot
from storage.vocabulary import attribute_values

#: Seconds a vocabulary is kept.
KEEP = 300.0
#: Seconds after which a sentence with a word nobody knows reloads the vocabulary.
RELOAD = 10.0
#: The records' own columns a sentence may group or filter on by name.
_COLUMNS = sorted({*COLUMN_FILTERS["tickets"], *COLUMN_FILTERS["responses"]} - {"customer_id"})


def attribute_names(settings: Settings) -> Mapping[str, str]:
    """The typed → stored attribute names: the built-in French ones and the team's own."""
    return {**ATTRIBUTE_NAMES, **{fold(k): v for k, v in settings.attribute_names.items()}}


def vocabulary(deps: Deps, *, max_age: float = KEEP) -> Vocabulary:
    """The reader's vocabulary, loaded when older than `max_age` seconds."""

    def load() -> Vocabulary:
        with read_snapshot(deps.sessions) as session:
            values = attribute_values(session=session)
        return Vocabulary.of(
            kpis=catalogue_phrases(),
            values=values,
            names=attribute_names(deps.settings),
            attributes=_COLUMNS,
        )

    return deps.vocabulary.get(load, max_age=max_age)


def read(deps: Deps, text: str, *, kpi: str | None = None) -> Reading:
    """What a sentence asks, read at the deps' clock in KPIBOT_TIMEZONE."""
    names = attribute_names(deps.settings)
    now, tz = deps.clock(), deps.settings.timezone
    reading = read_sentence(text, vocabulary(deps), now=now, tz=tz, kpi=kpi, names=names)
    if reading.unknown or reading.issue == "no_kpi":
        known = vocabulary(deps, max_age=RELOAD)
        reading = read_sentence(text, known, now=now, tz=tz, kpi=kpi, names=names)
    return reading


def canonical(result: KpiResult, question: Question, *, kpi: str | None = None) -> Question:
    """The canonical question a result answers: its KPI key (or `kpi`), its period's label."""
    period = result.period.label if question.period is not None or kpi is None else None
    return Question(
        kpi or result.key,
        period,
        question.filters,
        question.group_by,
        question.top,
        question.why,
        question.chart,
        question.chart_step,
    )
