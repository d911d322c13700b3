"""What detractors talk about: their comments grouped into themes, offline.

Comments in English and French are read as words: lower case, accents folded, stop-words of
both languages dropped, and a small glossary of support words folding the French and English
words of one concept into one term (`facturé`, `charged` and `invoice` are all *billing*),
so that a theme holds both languages. They are weighed with TF-IDF over those terms
(scikit-learn's `TfidfVectorizer`, sublinear term frequency, terms in two comments at least)
and factorised by non-negative matrix factorisation (`NMF`, `MOST` components, deterministic
`nndsvd` start). Each comment goes to its strongest component; components whose comments'
centres are alike (cosine ≥ `MERGE`) are merged, the most alike first, so one topic said in
several ways is one theme. A theme of fewer than `MIN_SHARE` of the comments, and a comment
with no known word, stay unthemed. A theme's label is its strongest terms, each said as the word its
comments use most for it; its quote is the comment nearest its centre. The previous period's
comments are placed in the same themes, for the change.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.decomposition import NMF

#: Words French comments use that carry no theme (articles, pronouns, auxiliaries, fillers).
_FRENCH = """
    a ai aie aient aies ait alors as au aucun aucune aupres aura aurai auraient aurais
    aurait aux avaient avais avait avant avec avez aviez avions avoir avons ayant bah bien
    bon c ca car ce ceci cela celle celles celui cependant certain certaine ces cet cette
    ceux chaque chez ci comme comment d dans de des deja depuis devant doit donc dont du
    elle elles en encore entre es est et etaient etais etait etant ete etes etre eu eux
    fait faire fois font hors ici il ils j je jusqu jusque l la le les leur leurs lui m ma
    mais me meme mes moi moins mon n ne ni non nos notre nous on ont ou par parce pas peu
    peut plus pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se
    sera serai seraient serais serait sera ses si sien soit son sont sous suis sur t ta
    tant te tes toi ton tous tout toute toutes tres tu un une vers voici voila vos votre
    vous vraiment y merci bonjour svp toujours jamais rien tout
"""
FRENCH_STOP_WORDS = frozenset(_FRENCH.split())


def warm_up() -> None:
    """Import scikit-learn's parts ahead of the first `themes` question (a few seconds, up to
    fifteen on a loaded machine): `kpibot serve` calls this in a background thread at start."""
    import sklearn.decomposition
    import sklearn.feature_extraction.text  # noqa: F401

    stop_words()


@cache
def stop_words() -> frozenset[str]:
    """Both languages' stop-words (scikit-learn's English ones), and words every support
    comment holds. scikit-learn is imported when themes are first asked for, not before."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | FRENCH_STOP_WORDS | {"really", "just", "got", "get"}


#: The glossary: words of one support concept, in French and English (accents folded), to the
#: term they are counted as.
_GLOSSARY = """
    billing: billing bill billed bills invoice invoices invoiced charge charged charges
        charging facture factures facturee facturees facturation factured prelevement
        preleve prelevee debit debite debitee
    twice: twice double deux doublon
    refund: refund refunds refunded rembourse remboursee remboursement rembourser
    wait: wait waited waiting waits attente attendre attendu attends attend
    slow: slow slowly slower lent lente lents lentes lenteur lenteurs
    outage: down outage outages crash crashed crashes panne pannes plante plantee coupure
        indisponible unavailable
    answer: answer answers answered reply replied replies response responses reponse
        reponses repondu repondre repond
    delivery: delivery delivered deliveries parcel package colis livraison livre livree
        livraisons
    login: login log password connexion connecter connecte identifiant passe
    price: price prices pricey expensive cher chere chers prix tarif tarifs
    app: app application appli site website
    days: day days jour jours semaine semaines week weeks
    broken: broken broke casse marche fonctionne works working
    export: export exports exporter exporting
"""
GLOSSARY: dict[str, tuple[str, ...]] = {
    term.strip(): tuple(said.split())
    for term, said in (line.split(":") for line in re.split(r"\n(?=\s{4}\w+:)", _GLOSSARY.strip()))
}
_TERM = {word: term for term, words in GLOSSARY.items() for word in words}
_WORD = re.compile(r"[^\W\d_]{2,}")

#: The fewest themes and the most.
FEWEST, MOST = 2, 8
#: A theme needs this share of the comments (and at least `MIN_COMMENTS`).
MIN_SHARE = 0.03
MIN_COMMENTS = 3
#: Two groups whose centres' cosine reaches this are one theme.
MERGE = 0.25
#: Label: this many terms.
LABEL_TERMS = 3
QUOTE_CHARS = 200


def fold(text: str) -> str:
    """Lower case, accents folded (`Facturé` → `facture`)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def _term(raw: str) -> str | None:
    """The term a (lower-case) word counts as; None for a stop-word."""
    folded = fold(raw)
    if folded in stop_words():
        return None
    return _TERM.get(folded, folded)


def words(text: str) -> list[tuple[str, str]]:
    """A comment's (term, word) pairs: folded words without stop-words, glossary applied."""
    out = []
    for raw in _WORD.findall(text.lower()):
        term = _term(raw)
        if term is not None:
            out.append((term, raw))
    return out


def _terms(pairs: list[tuple[str, str]]) -> list[str]:
    return [term for term, _ in pairs]


@dataclass(frozen=True)
class Theme:
    """One theme: its label, how many comments hold it now and before, its quote."""

    label: str
    count: int
    previous: int
    quote: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Themes:
    """A period's detractor themes, largest first."""

    themes: tuple[Theme, ...] = ()
    #: Comments read in the period, and in the previous one.
    total: int = 0
    previous_total: int = 0
    #: Comments of the period in no theme.
    unthemed: int = 0
    #: The number of components the factorisation used (before merging).
    components: int = 0


def _assign(weights: np.ndarray) -> np.ndarray:
    """Each comment's strongest component, −1 for a comment with no weight at all."""
    best: np.ndarray = weights.argmax(axis=1)
    best[weights.max(axis=1) <= 1e-9] = -1
    return best


def _fit(matrix: object, k: int) -> tuple[NMF, np.ndarray]:
    from sklearn.decomposition import NMF

    model = NMF(n_components=k, init="nndsvd", max_iter=300, random_state=0)
    weights = model.fit_transform(matrix)
    return model, weights


def _centre(matrix: Any, members: np.ndarray) -> np.ndarray:
    centre: np.ndarray = np.asarray(matrix[members].mean(axis=0)).ravel()
    size = float(np.linalg.norm(centre))
    return centre / size if size > 0 else centre


def _merge(matrix: Any, labels: np.ndarray) -> list[np.ndarray]:
    """The components' comments, merged while two groups' centres are at least `MERGE` alike
    (the most alike first): one topic's phrasings in two languages become one theme."""
    groups = [np.flatnonzero(labels == k) for k in sorted(set(labels.tolist()) - {-1})]
    groups = [g for g in groups if len(g)]
    while len(groups) > 1:
        centres = np.array([_centre(matrix, g) for g in groups])
        alike = centres @ centres.T
        np.fill_diagonal(alike, -1.0)
        i, j = np.unravel_index(int(np.argmax(alike)), alike.shape)
        if alike[i, j] < MERGE:
            break
        merged = np.concatenate([groups[i], groups[j]])
        groups = [g for n, g in enumerate(groups) if n not in (i, j)] + [np.sort(merged)]
    return groups


def _label(terms: Sequence[str], comments: Sequence[list[tuple[str, str]]]) -> str:
    """Terms said as the words their comments use most (`billing` → `charged` or `facturé`)."""
    said: dict[str, Counter[str]] = {}
    for pairs in comments:
        for term, raw in pairs:
            said.setdefault(term, Counter())[raw] += 1
        for (a, ra), (b, rb) in itertools.pairwise(pairs):
            said.setdefault(f"{a} {b}", Counter())[f"{ra} {rb}"] += 1
    shown: list[str] = []
    for term in terms:
        counted = said.get(term)
        if not counted:
            continue
        text = counted.most_common(1)[0][0]
        if any(text in s or s in text for s in shown):
            continue
        shown.append(text)
        if len(shown) == LABEL_TERMS:
            break
    return " · ".join(shown)


def themes(current: Sequence[str], previous: Sequence[str] = ()) -> Themes:
    """Group a period's comments into themes (and count the previous period's in them)."""
    total = len(current)
    if total < 2 * MIN_COMMENTS:
        return Themes(total=total, previous_total=len(previous), unthemed=total)
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer=_terms, min_df=2, max_df=0.9, sublinear_tf=True, dtype=np.float64
    )
    read = [words(text) for text in current]
    try:
        matrix = vectorizer.fit_transform(read)
    except ValueError:  # no term in two comments
        return Themes(total=total, previous_total=len(previous), unthemed=total)
    if matrix.shape[1] < FEWEST:
        return Themes(total=total, previous_total=len(previous), unthemed=total)
    k = min(MOST, max(FEWEST, total // MIN_COMMENTS), matrix.shape[1])
    model, weights = _fit(matrix, k)
    labels = _assign(weights)
    groups = _merge(matrix, labels)
    vocabulary = vectorizer.get_feature_names_out()
    floor = max(MIN_COMMENTS, int(np.ceil(MIN_SHARE * total)))
    before: np.ndarray = np.array([], dtype=int)
    if previous:
        before = _assign(model.transform(vectorizer.transform([words(t) for t in previous])))
    found = []
    for members in groups:
        if len(members) < floor:
            continue
        components = sorted(set(labels[members].tolist()))
        centre = _centre(matrix, members)
        order = np.argsort(-centre)
        terms = [str(vocabulary[i]) for i in order[: LABEL_TERMS * 3] if centre[i] > 0]
        said = [read[i] for i in members]
        scores = matrix[members] @ centre
        quote = " ".join(current[int(members[int(np.argmax(scores))])].split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1] + "…"
        earlier = int(np.isin(before, components).sum())
        theme = Theme(
            _label(terms, said) or terms[0], len(members), earlier, quote, tuple(terms[:3])
        )
        found.append((len(members), theme))
    found.sort(key=lambda item: (-item[0], item[1].label))
    shown = tuple(theme for _, theme in found)
    return Themes(
        shown,
        total,
        len(previous),
        total - sum(t.count for t in shown),
        k,
    )


__all__ = ["GLOSSARY", "Theme", "Themes", "stop_words", "themes", "words"]
