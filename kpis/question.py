"""Reading a question: `nps last-30d plan=enterprise channel!=email by channel top=5`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from kpis.periods import looks_like_period
from query.plan import Filter

DEFAULT_TOP = 10
_TOKEN = re.compile(r'[^\s"=!:]+(?:!?[=:])"[^"]*"|"[^"]*"|\S+')
_FILTER = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*)(!=|=|!:|:)(.+)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
USAGE = "<kpi> [period] [attribute=value …] [attribute!=value …] [by attribute] [top=N]"


#: Why a question is refused, by code: the engine's own (English) words. The handlers say the
#: same in the user's language from the same code and parameters (`handlers.i18n`).
QUESTION_REASONS = {
    "by_needs_attribute": "'by' needs an attribute, e.g. 'by channel'",
    "top_not_number": "top needs a whole number, e.g. top=5",
    "top_range": "top must be between 1 and 50",
    "one_period": "only one period at a time (already '{period}')",
    "unexpected_word": "unexpected word",
    "which_kpi": "which KPI? e.g. 'nps last-30d'",
    "not_attribute": "not an attribute name",
    "bad_filter": "a filter is name=value or name!=value",
    "bad_api_filter": "a filter is name:value or name!:value",
    "control_character": "a question cannot hold control characters",
}


class QuestionError(ValueError):
    """A word the parser cannot place (`token`); `code` says why (`QUESTION_REASONS`)."""

    def __init__(self, token: str, code: str, **params: object) -> None:
        self.token = token
        self.code = code
        self.params = params
        self.reason = QUESTION_REASONS[code].format(**params)
        super().__init__(f"{self.reason}: '{token}'")


class UnknownAttribute(LookupError):
    """A filter or grouping names an attribute no record has; `suggestions` are close ones."""

    def __init__(self, name: str, known: list[str], suggestions: list[str]) -> None:
        self.name = name
        self.known = known
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown attribute '{name}'{hint}")


@dataclass(frozen=True)
class Question:
    """A KPI question, not yet resolved against a clock or a database."""

    kpi: str
    period: str | None = None
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    top: int = DEFAULT_TOP


def filter_of(word: str) -> Filter | None:
    """`plan=enterprise`, `channel!=email` (or `plan:enterprise`, `channel!:email`, as the HTTP
    API writes them) as a filter; None when the word is not one."""
    match = _FILTER.match(word)
    if match is None:
        return None
    return Filter(match[1], match[3], negate=match[2].startswith("!"))


def parse_filters(words: Sequence[str], *, refusal: str = "bad_filter") -> tuple[Filter, ...]:
    """Filters as typed or stored (`["plan=enterprise", "region!=emea"]`); QuestionError (with
    the code `refusal`) for a word that is not one."""
    out = []
    for word in words:
        found = filter_of(word)
        if found is None:
            raise QuestionError(word, refusal)
        out.append(found)
    return tuple(out)


def tokens(text: str) -> list[str]:
    """Split on spaces, keeping `"quoted values"` whole (quotes removed)."""
    out = []
    for token in _TOKEN.findall(text.strip()):
        out.append(token.replace('"', ""))
    return out


def _control_character(text: str) -> str | None:
    """The first word holding a control character (tabs and line breaks only separate)."""
    for word in text.split():
        if any(unicodedata.category(c) == "Cc" for c in word):
            return word
    return None


def parse_question(text: str, *, kpi: str | None = None) -> Question:
    """Read a question; `kpi` is given when the command names it (`/nps …`)."""
    bad = _control_character(text) or (kpi and _control_character(kpi))
    if bad:
        raise QuestionError(bad.encode("unicode_escape").decode()[:64], "control_character")
    words = tokens(text)
    period: str | None = None
    filters: list[Filter] = []
    group_by: str | None = None
    top = DEFAULT_TOP
    i = 0
    while i < len(words):
        word = words[i]
        lower = word.lower()
        if lower == "by":
            if i + 1 >= len(words):
                raise QuestionError(word, "by_needs_attribute")
            group_by = _name(words[i + 1])
            i += 2
            continue
        if lower.startswith("by="):
            group_by = _name(word[3:])
        elif lower.startswith("top="):
            try:
                top = int(word[4:])
            except ValueError:
                raise QuestionError(word, "top_not_number") from None
            if not 1 <= top <= 50:
                raise QuestionError(word, "top_range")
        elif found := filter_of(word):
            filters.append(found)
        elif kpi is None and not looks_like_period(word):
            kpi = word
        elif looks_like_period(word):
            if period is not None:
                raise QuestionError(word, "one_period", period=period)
            period = word
        else:
            raise QuestionError(word, "unexpected_word")
        i += 1
    if kpi is None:
        raise QuestionError(text.strip(), "which_kpi")
    return Question(kpi, period, tuple(filters), group_by, top)


def checked(question: Question) -> Question:
    """A question built from separate fields (the HTTP API's) held to the grammar's rules:
    no control characters anywhere, an attribute name after `by`, `top` within 1–50."""
    parts = [question.kpi, question.period or "", question.group_by or ""]
    parts += [f.value for f in question.filters]
    for part in parts:
        if any(unicodedata.category(c) == "Cc" for c in part):
            raise QuestionError(part.encode("unicode_escape").decode()[:64], "control_character")
    if question.group_by is not None:
        _name(question.group_by)
    if not 1 <= question.top <= 50:
        raise QuestionError(f"top={question.top}", "top_range")
    return question


def _name(word: str) -> str:
    if not _NAME.match(word):
        raise QuestionError(word, "not_attribute")
    return word
