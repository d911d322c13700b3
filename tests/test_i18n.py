"""Every word kpibot says exists in English and French, with the same placeholders."""

from __future__ import annotations

import string

from handlers.i18n import REASONS_FR, WORDS, explain, when
from kpis.catalogue import UnknownKpi
from kpis.periods import PERIOD_REASONS, PeriodError
from kpis.question import QUESTION_REASONS, QuestionError


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


#: French refusals that leave out what the message lists beside them anyway (the closest
#: matches, the engine's reason when the sentence already says it).
SHORTER_IN_FRENCH = {"bad_kpi", "bad_attribute", "unknown_period", "unexpected_word"}


def test_both_languages_have_every_key_with_the_same_placeholders() -> None:
    assert set(WORDS["en"]) == set(WORDS["fr"])
    for key, english in WORDS["en"].items():
        french = _fields(WORDS["fr"][key])
        if key in SHORTER_IN_FRENCH:
            assert french < _fields(english), key
        else:
            assert french == _fields(english), key


def test_every_refusal_of_the_engine_is_said_in_french() -> None:
    reasons = {**QUESTION_REASONS, **PERIOD_REASONS}
    assert set(REASONS_FR) == set(reasons)
    for code, english in reasons.items():
        assert _fields(english) == _fields(REASONS_FR[code]), code


def test_refusals_read_in_the_users_language() -> None:
    assert explain(QuestionError("top=99", "top_range"), "fr") == (
        "« top=99 » : top doit être entre 1 et 50"
    )
    assert explain(QuestionError("top=99", "top_range"), "en") == str(
        QuestionError("top=99", "top_range")
    )
    week = PeriodError("2026-W60", "no_week", year=2026, week=60)
    assert explain(week, "en") == "2026 has no ISO week 60: '2026-W60'"
    assert explain(week, "fr") == "« 2026-W60 » : 2026 n'a pas de semaine ISO 60"
    assert explain(UnknownKpi("npss", ["nps"]), "en") == str(UnknownKpi("npss", ["nps"]))


def test_dates_are_written_in_the_language_whatever_the_locale() -> None:
    from datetime import datetime

    monday = datetime(2026, 11, 23, 9, 0)
    assert when(monday, "%a %d %b %H:%M", "en") == "Mon 23 Nov 09:00"
    assert when(monday, "%a %d %b %H:%M", "fr") == "lun. 23 nov. 09:00"
