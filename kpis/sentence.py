"""Reading a sentence, in French or English, into a question of the canonical grammar.

`what's our NPS for enterprise customers last month?` and `quel est le NPS des clients
enterprise le mois dernier par canal ?` are `nps last-month plan=enterprise [by channel]`.

The reader is deterministic (no language model, no network) and knows only what it is given:
- the KPIs by their names and aliases in both languages (`Vocabulary.of`: accent-free, with
  the filler words inside a name optional, a typo corrected when one known word is close);
- periods from the grammar (`kpis.periods.spelling`: `le mois dernier`, `last 30 days`);
- segment values because the data holds them (`enterprise` is a value of `plan`): the caller
  hands in the stored (attribute, value) pairs; an attribute name beside a value settles a
  value two attributes share;
- `by`/`par`/`per`/`each` + an attribute name to group, `top 3`, `sauf`/`hors`/`excluding`
  to negate; every other word must be a known filler (`STOP`) or the sentence is not answered.

A sentence is answered only when it names one KPI, at most one period, and every other word
was understood; otherwise the `Reading` says what was understood and which canonical questions
are closest (`choices`), so kpibot never answers a figure nobody asked for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from kpis.catalogue import CATALOGUE, Kpi
from kpis.periods import PERIOD_WORDS, canonical_period, spelling
from kpis.question import (
    ATTRIBUTE_NAMES,
    BY_WORDS,
    DEFAULT_TOP,
    NOT_WORDS,
    Question,
    filter_of,
    fold,
    stored_name,
)
from query.plan import Filter


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_STOP = _words(
    """
a an the is are was were be been being am do does did what whats which who whom how hows
when where why many much our ours my your yours their its it this that these those of for to
in on at from with about around across into as please pls plz thanks thank thx you me us we
i im show tell give get got gimme fetch pull display check see know find can could would
will should might must shall let lets want wanted need needs like looking look looks doing
going hey hi hello yo bot kpibot and or so far now currently just only also all any some
overall customers customer clients client users user people accounts account segment
segments s t d ll re ve been there here quick quickly again up out over during vs versus
compared compare against than then trend going performing perform rn right really exactly
roughly approx approximately whole entire okay ok stats stat data report results result
doing tracking may have has had
"""
)
_FR_STOP = _words(
    """
le la les l un une des du de d au aux a et ou est sont etait c ce cet cette quel quelle
quels quelles qu que quoi qui comment combien notre nos mon ma mes ton ta tes votre vos leur
leurs son sa ses pour sur dans en avec chez s il elle on nous vous je j me m moi te t y
donne donner donnez montre montrer montrez affiche afficher dis dire dites peux peut pouvez
pourrais pourriez voudrais veux voir savoir connaitre stp svp merci bonjour salut coucou
kpibot bot actuel actuelle actuellement maintenant global globale ensemble tous toutes tout
toute clients client utilisateurs utilisateur comptes compte gens personnes segment segments
cela ici alors donc aussi seulement juste encore deja bien tres ne stats statistiques
donnees rapport point fait faire avoir avons avez ont obtenu sont ai as contre compare
evolution tendance moment svp eu aujourd ete
"""
)
#: The verbs of a question on why a figure moved (`why did NPS drop`, `pourquoi le NPS a
#: baissé`): `why`/`pourquoi` ask for what moved it, these only say how it moved.
_MOVED = _words(
    """
drop dropped drops fall fell falls rise rose rises risen move moved moves change changed
changes increase increased increases decrease decreased decreases jump jumped dip dipped
pourquoi baisse baisser baisses chute chuter chutes monte monter bouge bouger augmente
augmenter diminue diminuer recule reculer progresse progresser
"""
)
#: Filler words, ignored wherever they stand (English and French, accents removed).
STOP = _EN_STOP | _FR_STOP | _MOVED
#: Words that say what kind of figure is wanted: part of a KPI's name when one matches
#: (`bounce rate`), ignored otherwise (`the NPS score`).
GENERIC = _words(
    """
score scores rate rates taux note notes kpi kpis metric metrics figure figures number
numbers nombre chiffre chiffres indicateur indicateurs level niveau value valeur total
totale
"""
)
#: Words that group like `by` when an attribute name follows (`for each channel`).
_EACH = frozenset({"each", "every", "chaque"})
#: Month names that read as something else alone ("may I…", "sept" the number): periods only
#: with a preposition or a year beside them (`in May`, `sept 2026`).
_NOT_ALONE = _words(
    """
may mar sun sat mon wed jan jun jul aug apr feb oct nov dec sep sept avr fev
"""
)
#: Words that mark a language (function words, periods, the French names).
_FR_ONLY = (
    (_FR_STOP - _EN_STOP)
    | frozenset(ATTRIBUTE_NAMES)
    | _words(
        """
mois dernier derniers derniere dernieres semaine semaines jours jour heures annee an
trimestre hier hui aujourdhui depuis ci passe passee precedent precedente glissants lundi
mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet
aout septembre octobre novembre decembre par sauf hors sans chaque taux delai moyen reponse
demandes reponses aide liste pourquoi
"""
    )
)
_EN_ONLY = (_EN_STOP - _FR_STOP) | _words(
    """
last past previous this month months week weeks day days hours year quarter today yesterday
since monday tuesday wednesday thursday friday saturday sunday january february march april
june july august september october november december per each every excluding except
without ago time response tickets why
"""
)
_WORD = re.compile(r"[a-z0-9]+")
_EDGES = "?!.,;:()[]{}\"'«»“”¿¡…*_~`"
_LONGEST_PERIOD = 7
_LONGEST_PHRASE = 8


def words_of(text: str) -> list[str]:
    """A sentence as the reader's words: lower case, accents and punctuation removed,
    apostrophes and hyphens splitting words, filters (`plan=pro`) and canonical periods
    (`last-30d`, `2026-01-01..2026-01-31`) kept whole."""
    text = text.replace("ça", "cela").replace("Ça", "Cela")  # "ça" is not "CA" (revenue)
    out: list[str] = []
    for chunk in fold(text).split():
        chunk = chunk.strip(_EDGES)
        if not chunk:
            continue
        if (
            "=" in chunk
            or ".." in chunk
            or ("-" in chunk and any(c.isdigit() for c in chunk) and spelling(chunk) is not None)
        ):
            out.append(chunk)
        else:
            out.extend(_WORD.findall(chunk))
    return out


def language_of(text: str) -> str | None:
    """`fr` or `en` when the words clearly say so (more than twice as many marks of one
    language as of the other), else None. The engine's own spellings (`last-30d`,
    `this-month`, `nps`) and words joined by hyphens that name no period are neutral."""
    french = english = 0
    for chunk in fold(text.replace("ça", "cela")).split():
        chunk = chunk.strip(_EDGES)
        if "=" in chunk:
            continue
        if "-" in chunk:
            found = spelling(chunk)
            if found is None or found == chunk:
                continue
        for part in _WORD.findall(chunk):
            french += part in _FR_ONLY
            english += part in _EN_ONLY
    if french > 2 * english:
        return "fr"
    if english > 2 * french:
        return "en"
    return None


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Vocabulary:
    """What the reader knows: KPI names, stored attribute values, attribute names.

    Built once (`Vocabulary.of`) and read by every sentence; every index is keyed by a phrase's
    first word, longest phrase first.
    """

    #: first word → (words, KPI key), filler words removed from the words.
    kpis: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    #: first word → (words, ((attribute, stored value), …)).
    values: Mapping[str, tuple[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], ...]]
    #: first word → (words, stored attribute name).
    names: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    #: KPIs that count only when no other KPI is named ("tickets" in "response time of tickets").
    weak: frozenset[str]
    #: Every word of a KPI name, a value or a name (so a known word is never "corrected").
    known: frozenset[str]
    #: Words a typo may be corrected to (KPI words and value words), by first letter and length:
    #: a typo seldom changes the first letter, and the few candidates keep a read under 5 ms.
    targets: Mapping[tuple[str, int], tuple[str, ...]]
    #: KPI key of each KPI word (for suggestions).
    kpi_words: Mapping[str, frozenset[str]]
    #: Every KPI key, in catalogue order (the first ones are suggested when none is named).
    keys: tuple[str, ...] = ()
    #: Each value word's (attribute, stored value) pairs (for suggestions).
    value_words: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        kpis: Iterable[tuple[str, Iterable[str]]],
        values: Iterable[tuple[str, str]] = (),
        names: Mapping[str, str] = ATTRIBUTE_NAMES,
        attributes: Iterable[str] = (),
        weak: Iterable[str] = ("tickets", "responses"),
    ) -> Vocabulary:
        """The vocabulary of these KPIs (key, names and aliases), these stored (attribute,
        value) pairs, the typed → stored attribute `names` and the other known attributes."""
        kpi_index: dict[str, dict[tuple[str, ...], str]] = {}
        kpi_words: dict[str, set[str]] = {}
        keys: list[str] = []
        for key, phrases in kpis:
            keys.append(key)
            for phrase in (key, *phrases):
                words = tuple(w for w in _tokens(phrase) if w not in STOP)
                if not words:
                    continue
                kpi_index.setdefault(words[0], {}).setdefault(words, key)
                for word in words:
                    kpi_words.setdefault(word, set()).add(key)
        value_index: dict[str, dict[tuple[str, ...], list[tuple[str, str]]]] = {}
        value_words: dict[str, list[tuple[str, str]]] = {}
        seen_attributes = set(attributes)
        for attribute, value in values:
            seen_attributes.add(attribute)
            words = _tokens(value)
            if not words or all(w.isdigit() for w in words):
                continue
            if len(words) == 1 and (words[0] in STOP or len(words[0]) < 2):
                continue
            pairs = value_index.setdefault(words[0], {}).setdefault(words, [])
            if (attribute, value) not in pairs:
                pairs.append((attribute, value))
            for word in words:
                value_words.setdefault(word, []).append((attribute, value))
        name_index: dict[str, dict[tuple[str, ...], str]] = {}
        typed = {**{fold(a): a for a in seen_attributes}, **names}
        for word, stored in typed.items():
            words = _tokens(word)
            if not words:
                continue
            for form in {words, (*words[:-1], words[-1] + "s")}:
                name_index.setdefault(form[0], {}).setdefault(form, stored)
        known = set(kpi_words) | set(value_words)
        known |= {w for index in name_index.values() for phrase in index for w in phrase}
        targets: dict[tuple[str, int], list[str]] = {}
        for word in sorted(set(kpi_words) | set(value_words)):
            if len(word) >= 3 and not word.isdigit():
                targets.setdefault((word[0], len(word)), []).append(word)
        return cls(
            kpis=_longest_first(kpi_index),
            values=_longest_first(
                {k: {p: tuple(v) for p, v in d.items()} for k, d in value_index.items()}
            ),
            names=_longest_first(name_index),
            weak=frozenset(weak),
            known=frozenset(known),
            targets={n: tuple(ws) for n, ws in targets.items()},
            kpi_words={w: frozenset(ks) for w, ks in kpi_words.items()},
            keys=tuple(keys),
            value_words={w: tuple(ps) for w, ps in value_words.items()},
        )

    def closest(self, word: str, cutoff: float) -> str | None:
        """The known KPI or value word closest to a typo (`satisfation` → `satisfaction`)."""
        first = word[0]
        candidates = [
            w for n in range(len(word) - 2, len(word) + 3) for w in self.targets.get((first, n), ())
        ]
        found = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
        return found[0] if found else None


P = TypeVar("P")


def _longest_first(
    index: Mapping[str, Mapping[tuple[str, ...], P]],
) -> dict[str, tuple[tuple[tuple[str, ...], P], ...]]:
    return {
        first: tuple(sorted(phrases.items(), key=lambda item: -len(item[0])))
        for first, phrases in index.items()
    }


@dataclass(frozen=True)
class _Item:
    """One thing a span of the sentence says."""

    kind: str  # kpi, period, value, name, filter, by, not, top, each, number, unknown
    start: int
    end: int
    text: str = ""
    kpi: str = ""
    pairs: tuple[tuple[str, str], ...] = ()
    name: str = ""
    filter: Filter | None = None
    fuzzy: bool = False


@dataclass(frozen=True)
class Reading:
    """What a sentence says: the question when it is clear, else what was understood and the
    closest canonical questions."""

    #: The question, when the sentence names one KPI and every word was understood.
    question: Question | None
    #: `fr`/`en` when the sentence is clearly in one language.
    language: str | None
    kpis: tuple[str, ...] = ()
    period: str | None = None
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    top: int = DEFAULT_TOP
    #: Words not understood (as typed, accents removed).
    unknown: tuple[str, ...] = ()
    #: Why there is no question: `nothing`, `no_kpi`, `several_kpis`, `several_periods`,
    #: `ambiguous_value`, `same_attribute`, `unknown_words` (None when there is one).
    issue: str | None = None
    #: The closest canonical questions, best first (at most 5).
    choices: tuple[Question, ...] = ()
    #: Typos corrected: (as typed, as read).
    corrected: tuple[tuple[str, str], ...] = ()
    #: Whether the KPI was named exactly (not through a corrected typo).
    exact_kpi: bool = True
    #: Values two attributes hold, with the attributes: `email` → (channel, contact).
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _match_kpi(vocabulary: Vocabulary, words: Sequence[str], i: int) -> tuple[int, str] | None:
    """The longest KPI name starting at word i (filler words inside it skipped)."""
    for phrase, key in vocabulary.kpis.get(words[i], ()):
        j, k = i, 0
        while k < len(phrase) and j < len(words):
            if words[j] == phrase[k]:
                j, k = j + 1, k + 1
            elif words[j] in STOP and k > 0:
                j += 1
            else:
                break
        if k == len(phrase):
            return j, str(key)
    return None


def _match_span(
    index: Mapping[str, tuple[tuple[tuple[str, ...], P], ...]], words: Sequence[str], i: int
) -> tuple[int, P] | None:
    for phrase, payload in index.get(words[i], ()):
        if tuple(words[i : i + len(phrase)]) == phrase:
            return i + len(phrase), payload
    return None


def _match_period(words: Sequence[str], i: int) -> int | None:
    for j in range(min(len(words), i + _LONGEST_PERIOD), i, -1):
        span = words[i:j]
        if any("=" in w for w in span):
            continue
        if j - i == 1 and span[0] in _NOT_ALONE:
            continue
        if spelling(" ".join(span)) is not None:
            return j
    return None


def _scan(vocabulary: Vocabulary, words: Sequence[str], fuzzy: set[int]) -> list[_Item]:
    """The sentence as items, the longest match first at each word."""
    items: list[_Item] = []
    i = 0
    while i < len(words):
        word = words[i]
        if "=" in word:
            found = filter_of(word)
            if found is None:
                items.append(_Item("unknown", i, i + 1, word))
            else:
                items.append(_Item("filter", i, i + 1, word, filter=found))
            i += 1
            continue
        best: _Item | None = None
        if word not in STOP:
            kpi = _match_kpi(vocabulary, words, i)
            if kpi is not None:
                end, key = kpi
                touched = any(j in fuzzy for j in range(i, end))
                best = _Item("kpi", i, end, " ".join(words[i:end]), kpi=key, fuzzy=touched)
        period = _match_period(words, i)
        if period is not None and (best is None or period > best.end):
            best = _Item("period", i, period, " ".join(words[i:period]))
        value = _match_span(vocabulary.values, words, i)
        if value is not None and (best is None or value[0] > best.end):
            best = _Item("value", i, value[0], " ".join(words[i : value[0]]), pairs=value[1])
        name = _match_span(vocabulary.names, words, i)
        if name is not None and (best is None or name[0] > best.end):
            best = _Item("name", i, name[0], " ".join(words[i : name[0]]), name=name[1])
        if best is not None:
            items.append(best)
            i = best.end
            continue
        if word in BY_WORDS:
            items.append(_Item("by", i, i + 1, word))
        elif word in _EACH:
            items.append(_Item("each", i, i + 1, word))
        elif word in NOT_WORDS:
            items.append(_Item("not", i, i + 1, word))
        elif word == "top":
            items.append(_Item("top", i, i + 1, word))
        elif word.isdigit():
            items.append(_Item("number", i, i + 1, word))
        elif word not in STOP and word not in GENERIC:
            items.append(_Item("unknown", i, i + 1, word))
        i += 1
    return items


@dataclass
class _Understood:
    kpis: list[_Item] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    group_by: str | None = None
    top: int = DEFAULT_TOP
    unknown: list[str] = field(default_factory=list)
    ambiguous: list[tuple[_Item, bool]] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)


def _interpret(
    items: list[_Item], *, now: datetime, tz: str | ZoneInfo, names: Mapping[str, str]
) -> _Understood:
    out = _Understood()
    used: set[int] = set()
    n = len(items)

    def after(index: int) -> _Item | None:
        return items[index + 1] if index + 1 < n else None

    for index, item in enumerate(items):
        if index in used:
            continue
        nxt = after(index)
        if item.kind == "kpi":
            out.kpis.append(item)
        elif item.kind == "period":
            canonical = canonical_period(item.text, now=now, tz=tz)
            if canonical is not None and canonical not in out.periods:
                out.periods.append(canonical)
        elif item.kind == "filter" and item.filter is not None:
            f = item.filter
            out.filters.append(Filter(stored_name(f.name, names), f.value, f.negate))
        elif item.kind in ("by", "each") and nxt is not None and nxt.kind == "name":
            out.group_by = nxt.name
            used.add(index + 1)
        elif item.kind == "by" and nxt is not None and nxt.kind == "kpi" and out.group_by:
            continue  # "top 3 teams by NPS": the KPI item comes next
        elif item.kind == "top" and nxt is not None and nxt.kind == "number":
            out.top = max(1, min(50, int(nxt.text)))
            used.add(index + 1)
            then = after(index + 1)
            if then is not None and then.kind == "name":
                out.group_by = then.name
                used.add(index + 2)
        elif item.kind == "not":
            target = nxt
            skip = index + 1
            if target is not None and target.kind == "name":
                skip += 1
                target = after(index + 1)
            if target is not None and target.kind in ("value", "filter"):
                used.add(skip)  # the name before it, if any, is read with the value
                _value(out, items, skip, target, negate=True, used=used, names=names)
            else:
                out.unknown.append(item.text)
        elif item.kind == "value":
            _value(out, items, index, item, negate=False, used=used, names=names)
        elif item.kind == "name":
            if nxt is not None and nxt.kind == "value":
                continue  # the value after it reads it
            if item.text not in STOP:
                out.dangling.append(item.name)
        else:  # unknown words, stray numbers, a `by` or `top` with nothing after it
            out.unknown.append(item.text)
    return out


def _value(
    out: _Understood,
    items: list[_Item],
    index: int,
    item: _Item,
    *,
    negate: bool,
    used: set[int],
    names: Mapping[str, str],
) -> None:
    """A value (or a typed filter) as a filter, narrowed by an attribute name beside it."""
    if item.kind == "filter" and item.filter is not None:
        f = item.filter
        out.filters.append(Filter(stored_name(f.name, names), f.value, f.negate != negate))
        return
    pairs = item.pairs
    for near in (index - 1, index + 1):
        if 0 <= near < len(items) and items[near].kind == "name" and near not in used:
            narrowed = tuple(p for p in pairs if p[0] == items[near].name)
            if narrowed:
                pairs = narrowed
                used.add(near)
                break
    if len({attribute for attribute, _ in pairs}) == 1:
        out.filters.append(Filter(pairs[0][0], pairs[0][1], negate))
    else:
        out.ambiguous.append((_Item("value", item.start, item.end, item.text, pairs=pairs), negate))


def read_sentence(
    text: str,
    vocabulary: Vocabulary,
    *,
    now: datetime,
    tz: str | ZoneInfo = "UTC",
    kpi: str | None = None,
    names: Mapping[str, str] = ATTRIBUTE_NAMES,
) -> Reading:
    """What a sentence asks, read with what kpibot knows (`vocabulary`) at `now` in `tz`;
    `kpi` is given when the command names it (`/nps …`)."""
    words = words_of(text)
    language = language_of(text)
    corrected: list[tuple[str, str]] = []
    fuzzy: set[int] = set()
    for i, word in enumerate(words):
        if _known(word, vocabulary):
            continue
        singular = word[:-1] if word.endswith(("s", "x")) else ""
        if singular and singular in vocabulary.known:
            words[i] = singular
            if singular in vocabulary.kpi_words:  # "npss" is a typo more than a plural
                corrected.append((word, singular))
                fuzzy.add(i)
            continue
        if len(word) >= 4 and word.isalpha():
            better = vocabulary.closest(word, 0.75 if len(word) == 4 else 0.8)
            if better is not None and (better in vocabulary.kpi_words or len(word) >= 5):
                corrected.append((word, better))
                words[i] = better
                fuzzy.add(i)
    seen = _interpret(_scan(vocabulary, words, fuzzy), now=now, tz=tz, names=names)
    return _conclude(seen, vocabulary, language, corrected, kpi, words)


def _known(word: str, vocabulary: Vocabulary) -> bool:
    return (
        word in vocabulary.known
        or word in STOP
        or word in GENERIC
        or word in PERIOD_WORDS
        or word in BY_WORDS
        or word in NOT_WORDS
        or word in _EACH
        or word == "top"
        or "=" in word
        or any(c.isdigit() for c in word)
    )


def _conclude(
    seen: _Understood,
    vocabulary: Vocabulary,
    language: str | None,
    corrected: list[tuple[str, str]],
    kpi: str | None,
    words: Sequence[str],
) -> Reading:
    named = [k.kpi for k in seen.kpis]
    keys = list(dict.fromkeys(named))
    strong = [k for k in keys if k not in vocabulary.weak]
    if strong:
        keys = strong
    if kpi is not None:
        keys = list(dict.fromkeys([kpi, *keys]))
    exact = all(not k.fuzzy for k in seen.kpis if k.kpi in keys)
    filters = tuple(seen.filters)
    period = seen.periods[0] if len(seen.periods) == 1 else None
    base = {
        "period": period,
        "filters": filters,
        "group_by": seen.group_by,
        "top": seen.top,
    }
    common = {
        "language": language,
        "kpis": tuple(keys),
        "unknown": tuple(seen.unknown),
        "corrected": tuple(corrected),
        "exact_kpi": exact,
        "ambiguous": tuple(
            (item.text, tuple(a for a, _ in item.pairs)) for item, _ in seen.ambiguous
        ),
        **base,
    }
    positive = [f.name for f in filters if not f.negate]
    issue: str | None = None
    if not words or (not keys and not seen.periods and not filters and not seen.unknown):
        issue = "nothing"
    elif not keys:
        issue = "no_kpi"
    elif len(keys) > 1:
        issue = "several_kpis"
    elif len(seen.periods) > 1:
        issue = "several_periods"
    elif seen.ambiguous:
        issue = "ambiguous_value"
    elif len(positive) != len(set(positive)):
        issue = "same_attribute"
    elif seen.unknown or seen.dangling:
        issue = "unknown_words"
    if issue is None:
        question = Question(keys[0], period, filters, seen.group_by, seen.top)
        return Reading(question, **common)  # type: ignore[arg-type]
    choices = _choices(seen, vocabulary, keys, period, filters)
    return Reading(None, issue=issue, choices=choices, **common)  # type: ignore[arg-type]


def _choices(
    seen: _Understood,
    vocabulary: Vocabulary,
    keys: list[str],
    period: str | None,
    filters: tuple[Filter, ...],
) -> tuple[Question, ...]:
    """The canonical questions closest to what was understood, best first."""
    candidates = list(keys)
    near = {w: vocabulary.closest(w, 0.6) if len(w) >= 3 else None for w in seen.unknown}
    for word in seen.unknown:
        close = near[word]
        if close is not None:
            candidates += sorted(vocabulary.kpi_words.get(close, ()))
    if not candidates:
        candidates = [k for k in ("nps", "csat", "frt") if k in vocabulary.keys]
        candidates = candidates or list(vocabulary.keys[:3])
    periods: list[str | None] = [*seen.periods] or [period]
    group, top = seen.group_by, seen.top
    first = candidates[0]
    out: list[Question] = []
    for item, negate in seen.ambiguous:  # each reading of a value two attributes hold
        for attribute, value in item.pairs:
            extra = (*filters, Filter(attribute, value, negate))
            out.append(Question(first, periods[0], extra, group, top))
    if not seen.ambiguous:
        for key in dict.fromkeys(candidates):
            for when in periods:
                out.append(Question(key, when, filters, group, top))
    for name in seen.dangling:
        out.append(Question(first, periods[0], filters, name, top))
    for word in seen.unknown:
        for attribute, value in vocabulary.value_words.get(near[word] or "", ())[:2]:
            out.append(
                Question(first, periods[0], (*filters, Filter(attribute, value)), group, top)
            )
    unique: dict[str, Question] = {}
    for question in out:
        unique.setdefault(question.text, question)
    return tuple(list(unique.values())[:5])


def catalogue_phrases(kpis: Iterable[Kpi] = CATALOGUE) -> list[tuple[str, tuple[str, ...]]]:
    """(key, names and aliases) of each catalogue entry, for `Vocabulary.of`."""
    return [(kpi.key, (kpi.name_en, kpi.name_fr, *kpi.aliases)) for kpi in kpis]
