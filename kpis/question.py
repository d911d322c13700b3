"""Reading a question: `nps last-30d plan=enterprise channel!=email by channel top=5`.

The same grammar in French: `nps mois-dernier offre=enterprise sauf canal=email par canal`.
Periods may be written in words (`le mois dernier`, `last 30 days`: `kpis.periods.spelling`),
`par`/`per` group like `by`, `sauf`/`hors`/`excluding` negate the filter that follows, `top 3`
is `top=3`, and attribute names people say in French map to the stored ones (`ATTRIBUTE_NAMES`,
which a team's own names extend).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kpis.periods import looks_like_period, spelling
from query.plan import Filter

DEFAULT_TOP = 10
_TOKEN = re.compile(r'[^\s"=!:]+(?:!?[=:])"[^"]*"|"[^"]*"|\S+')
_FILTER = re.compile(r"^([^\W\d][\w.\-]*)(!=|=|!:|:)(.+)$")
_NAME = re.compile(r"^[^\W\d][\w.\-]*$")
_TOP = re.compile(r"^top-?(\d+)$")
USAGE = (
    "<kpi> [period] [attribute=value …] [attribute!=value …] [by attribute] [top=N] [why] [chart]"
)

#: Words that group like `by`.
BY_WORDS = frozenset({"by", "par", "per"})
#: Words that ask for a chart of the KPI over the period, besides the answer.
CHART_WORDS = frozenset({"chart", "graph", "graphique", "graphe", "courbe"})
#: `chart=week` (`graphique=semaine`): the chart's step, instead of the one the period's length
#: gives (days up to a month, weeks up to half a year, months beyond).
CHART_STEPS: Mapping[str, str] = {
    "day": "day",
    "days": "day",
    "jour": "day",
    "jours": "day",
    "week": "week",
    "weeks": "week",
    "semaine": "week",
    "semaines": "week",
    "month": "month",
    "months": "month",
    "mois": "month",
}
#: Words that ask what moved the figure (`nps last-30d why`, `pourquoi`).
WHY_WORDS = frozenset({"why", "pourquoi"})
#: Words that negate the filter after them (`sauf canal=email` is `channel!=email`).
NOT_WORDS = frozenset({"sauf", "hors", "excluding", "except", "without", "sans", "excl", "not"})
#: Attribute names people say in French, to the names kpibot stores (accent-free, lower case).
#: A team adds its own (`KPIBOT_ATTRIBUTE_NAMES`); a name that maps to itself turns one off.
ATTRIBUTE_NAMES: Mapping[str, str] = {
    "canal": "channel",
    "canaux": "channel",
    "equipe": "team",
    "equipes": "team",
    "offre": "plan",
    "offres": "plan",
    "conseiller": "agent",
    "conseillers": "agent",
    "enquete": "survey",
    "enquetes": "survey",
}
#: The longest period phrase, in words (`au cours des 30 derniers jours`).
_LONGEST_PERIOD = 7


#: Why a question is refused, by code: the engine's own (English) words. The handlers say the
#: same in the user's language from the same code and parameters (`handlers.i18n`).
QUESTION_REASONS = {
    "by_needs_attribute": "'by' needs an attribute, e.g. 'by channel'",
    "top_not_number": "top needs a whole number, e.g. top=5",
    "top_range": "top must be between 1 and 50",
    "chart_step": "a chart's step is day, week or month, e.g. chart=week",
    "one_period": "only one period at a time (already '{period}')",
    "unexpected_word": "unexpected word",
    "which_kpi": "which KPI? e.g. 'nps last-30d'",
    "not_attribute": "not an attribute name",
    "bad_filter": "a filter is name=value or name!=value",
    "bad_api_filter": "a filter is name:value or name!:value",
    "control_character": "a question cannot hold control characters",
    "negation_needs_filter": "'{word}' needs a filter after it, e.g. '{word} channel=email'",
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
    #: Whether the question asks what moved the figure (`kpis.why`).
    why: bool = False
    #: Whether a chart of the KPI over the period is asked for (`chart`, `graphique`).
    chart: bool = False
    #: The chart's step when asked (`chart=week`): day, week or month.
    chart_step: str | None = None

    @property
    def text(self) -> str:
        """The question in the canonical grammar: `nps last-month plan=enterprise by channel`."""
        words = [self.kpi]
        if self.period:
            words.append(self.period)
        words += [_typed(f) for f in self.filters]
        if self.group_by:
            words.append(f"by {self.group_by}")
        if self.top != DEFAULT_TOP:
            words.append(f"top={self.top}")
        if self.why:
            words.append("why")
        if self.chart:
            words.append(f"chart={self.chart_step}" if self.chart_step else "chart")
        return " ".join(words)


def _typed(f: Filter) -> str:
    """A filter as the grammar reads it back (values with spaces in quotes)."""
    value = f'"{f.value}"' if any(c.isspace() for c in f.value) else f.value
    return f"{f.name}{'!=' if f.negate else '='}{value}"


def fold(word: str) -> str:
    """Lower case without accents (`Équipe` → `equipe`): how names and words are compared."""
    decomposed = unicodedata.normalize("NFKD", word.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stored_name(name: str, names: Mapping[str, str] = ATTRIBUTE_NAMES) -> str:
    """The stored attribute a typed name means (`canal` → `channel`); itself when unmapped."""
    return names.get(fold(name), name)


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


def join_periods(words: Sequence[str]) -> list[str]:
    """Words with each period phrase joined into one (`le mois dernier` → `le-mois-dernier`,
    `last 30 days` → `last-30-days`), the longest phrase first."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _LONGEST_PERIOD), i + 1, -1):
            span = words[i:j]
            if any("=" in w or ":" in w for w in span):
                continue
            if spelling(" ".join(span)) is not None:
                out.append("-".join(span))
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    return out


def parse_question(
    text: str, *, kpi: str | None = None, names: Mapping[str, str] = ATTRIBUTE_NAMES
) -> Question:
    """Read a question; `kpi` is given when the command names it (`/nps …`); `names` maps the
    attribute names people type to the stored ones."""
    bad = _control_character(text) or (kpi and _control_character(kpi))
    if bad:
        raise QuestionError(bad.encode("unicode_escape").decode()[:64], "control_character")
    words = join_periods(tokens(text))
    period: str | None = None
    filters: list[Filter] = []
    group_by: str | None = None
    top = DEFAULT_TOP
    why = False
    chart = False
    chart_step: str | None = None
    i = 0
    while i < len(words):
        word = words[i]
        lower = word.lower()
        if lower in WHY_WORDS:
            why = True
            i += 1
            continue
        if fold(word) in CHART_WORDS:
            chart = True
            i += 1
            continue
        name, equals, step = fold(word).partition("=")
        if equals and name in CHART_WORDS:
            if step not in CHART_STEPS:
                raise QuestionError(word, "chart_step")
            chart, chart_step = True, CHART_STEPS[step]
            i += 1
            continue
        if lower in BY_WORDS:
            if i + 1 >= len(words):
                raise QuestionError(word, "by_needs_attribute")
            group_by = stored_name(_name(words[i + 1]), names)
            i += 2
            continue
        if lower in NOT_WORDS:
            found = filter_of(words[i + 1]) if i + 1 < len(words) else None
            if found is None:
                raise QuestionError(word, "negation_needs_filter", word=lower)
            name = stored_name(found.name, names)
            filters.append(Filter(name, found.value, negate=not found.negate))
            i += 2
            continue
        if lower == "top" and i + 1 < len(words) and words[i + 1].isdigit():
            word, lower = f"top={words[i + 1]}", f"top={words[i + 1]}"
            i += 1
        elif match := _TOP.match(lower):
            word = lower = f"top={match[1]}"
        if lower.startswith("by="):
            group_by = stored_name(_name(word[3:]), names)
        elif lower.startswith("top="):
            try:
                top = int(word[4:])
            except ValueError:
                raise QuestionError(word, "top_not_number") from None
            if not 1 <= top <= 50:
                raise QuestionError(word, "top_range")
        elif found := filter_of(word):
            filters.append(Filter(stored_name(found.name, names), found.value, found.negate))
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
    return Question(kpi, period, tuple(filters), group_by, top, why, chart, chart_step)


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
