"""`/kpi themes nps last-30d [filters]` (`thèmes`): what the period's detractors talk about."""

from __future__ import annotations

import dataclasses

from handlers.answers import blocks as answers
from handlers.answers.service import KpiError
from handlers.answers.words import attribute_names
from handlers.feature import Asked
from handlers.i18n import explain, say
from handlers.insights.blocks import themes_message
from handlers.insights.service import NoDetractors, detractor_themes
from handlers.slack.blocks import Message
from kpis.catalogue import UnknownKpi, find_kpi
from kpis.question import QuestionError, parse_question


def themes_command(asked: Asked) -> Message:
    """The themes of a survey's detractor comments over a period (NPS when none is named)."""
    language = asked.says
    text = asked.words.text
    words = asked.words.words
    named = bool(words) and _known(words[0])
    try:
        question = parse_question(
            text, kpi=None if named else "nps", names=attribute_names(asked.deps.settings)
        )
    except QuestionError as exc:
        return answers.error(explain(exc, language), language=language)
    try:
        found = detractor_themes(deps=asked.deps, question=question)
    except NoDetractors as exc:
        said = say("themes_no_detractors", language, name=exc.kpi.key)
        return answers.error(said, ["nps", "csat", "ces"], language=language)
    except KpiError as exc:
        return answers.error(explain(exc, language), language=language)
    name = found.kpi.name_fr if language == "fr" and found.kpi.name_fr else found.kpi.name_en
    return themes_message(
        found.themes, kpi_name=name, period_label=found.period.label, language=language
    )


def _known(word: str) -> bool:
    """Whether a word names a KPI of the catalogue (else NPS is meant, and the word is read
    as the period or a filter)."""
    try:
        find_kpi(word)
    except UnknownKpi:
        return False
    return True


def themes_in_french(asked: Asked) -> Message:
    """`/kpi thèmes …`: the accent says French when the other words do not say otherwise."""
    return themes_command(dataclasses.replace(asked, language=asked.language or "fr"))


SUBCOMMANDS = {
    "themes": themes_command,
    "theme": themes_command,
    "thèmes": themes_in_french,
    "thème": themes_in_french,
}
