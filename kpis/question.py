"""Reading a question: `nps last-30d plan=enterprise channel!=email by channel top=5`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpis.periods import looks_like_period
from kpis.plan import Filter

DEFAULT_TOP = 10
_TOKEN = re.compile(r'[^\s"=!:]+(?:!?[=:])"[^"]*"|"[^"]*"|\S+')
_FILTER = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*)(!=|=|!:|:)(.+)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
USAGE = "<kpi> [period] [attribute=value …] [attribute!=value …] [by attribute] [top=N]"


class QuestionError(ValueError):
    """A word the parser cannot place; `token` is it."""

    def __init__(self, token: str, reason: str) -> None:
        self.token = token
        self.reason = reason
        super().__init__(f"{reason}: '{token}'")


@dataclass(frozen=True)
class Question:
    """A KPI question, not yet resolved against a clock or a database."""

    kpi: str
    period: str | None = None
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    top: int = DEFAULT_TOP


def tokens(text: str) -> list[str]:
    """Split on spaces, keeping `"quoted values"` whole (quotes removed)."""
    out = []
    for token in _TOKEN.findall(text.strip()):
        out.append(token.replace('"', ""))
    return out


def parse_question(text: str, *, kpi: str | None = None) -> Question:
    """Read a question; `kpi` is given when the command names it (`/nps …`)."""
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
                raise QuestionError(word, "'by' needs an attribute, e.g. 'by channel'")
            group_by = _name(words[i + 1])
            i += 2
            continue
        if lower.startswith("by="):
            group_by = _name(word[3:])
        elif lower.startswith("top="):
            try:
                top = int(word[4:])
            except ValueError:
                raise QuestionError(word, "top needs a whole number, e.g. top=5") from None
            if not 1 <= top <= 50:
                raise QuestionError(word, "top must be between 1 and 50")
        elif match := _FILTER.match(word):
            name, op, value = match[1], match[2], match[3]
            filters.append(Filter(name, value, negate=op.startswith("!")))
        elif kpi is None and not looks_like_period(word):
            kpi = word
        elif looks_like_period(word):
            if period is not None:
                raise QuestionError(word, f"only one period at a time (already '{period}')")
            period = word
        else:
            raise QuestionError(word, "unexpected word")
        i += 1
    if kpi is None:
        raise QuestionError(text.strip(), "which KPI? e.g. 'nps last-30d'")
    return Question(kpi, period, tuple(filters), group_by, top)


def _name(word: str) -> str:
    if not _NAME.match(word):
        raise QuestionError(word, "not an attribute name")
    return word
