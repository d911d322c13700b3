"""Sentence reader benchmark: how long reading one sentence takes, at the 95th percentile.

The vocabulary has a catalogue of 60 KPIs (kpibot's own, plus made-up ones to reach 60) and
1,000 known attribute values (the test table's, plus made-up words of 2 to 4 syllables over 10
attributes, some of two words). Every sentence of the test table (French and English) and the
unclear ones are read, round after round; the baseline, measured in the same run, is the
canonical grammar (`parse_question`) reading the canonical form of the same questions.

    python -m bench words [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.slack_latency import percentile
from kpis.catalogue import CATALOGUE
from kpis.question import parse_question
from kpis.sentence import Vocabulary, catalogue_phrases, read_sentence
from tests.test_sentences import ENGLISH, FRENCH, NOW, VALUES

KPIS = 60
KNOWN_VALUES = 1_000
SYLLABLES = ("ka", "lo", "mi", "ra", "ve", "su", "ti", "na", "po", "le", "do", "fi", "ga", "ru")
UNCLEAR = (
    "hello!",
    "nps and csat this month",
    "nps for acme last month",
    "how are we doing with enterprise customers last month?",
    "nps this month vs last month",
    "quel est le nsp des clients entreprise le mois dernier",
    "et pour les clients pro hier ?",
)


def catalogue(size: int) -> list[tuple[str, tuple[str, ...]]]:
    """kpibot's catalogue plus made-up KPIs (an English name, a French name, an alias)."""
    kpis = catalogue_phrases(CATALOGUE)
    rng = random.Random(7)
    while len(kpis) < size:
        n = len(kpis)
        words = ["".join(rng.sample(SYLLABLES, 3)) for _ in range(2)]
        kpis.append(
            (
                f"custom-{n}",
                (f"{words[0]} {words[1]} rate", f"taux de {words[0]} {words[1]}", f"k{n}"),
            )
        )
    return kpis


def values(size: int) -> list[tuple[str, str]]:
    """The test table's values plus made-up ones over 10 attributes."""
    out = list(VALUES)
    rng = random.Random(11)
    seen = {v for _, v in out}
    while len(out) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.1:
            word += " " + "".join(rng.choice(SYLLABLES) for _ in range(2))
        if word not in seen:
            seen.add(word)
            out.append((f"attribute{len(out) % 10}", word))
    return out


def timed(call: Callable[[str], object], items: list[str], rounds: int) -> list[float]:
    """Milliseconds per call, every item every round."""
    out = []
    for _ in range(rounds):
        for item in items:
            start = time.perf_counter()
            call(item)
            out.append((time.perf_counter() - start) * 1000)
    return out


def main(argv: list[str]) -> int:
    """Entry point: `python -m bench words …`."""
    parser = argparse.ArgumentParser(prog="python -m bench words", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    kpis, known = catalogue(KPIS), values(KNOWN_VALUES)
    start = time.perf_counter()
    vocabulary = Vocabulary.of(kpis=kpis, values=known, attributes=["channel", "team", "agent"])
    built = (time.perf_counter() - start) * 1000
    sentences = [s for s, _ in ENGLISH + FRENCH] + list(UNCLEAR)
    canonical = [c for _, c in ENGLISH + FRENCH]
    now = NOW if NOW.tzinfo else datetime.now(UTC)
    for sentence, expected in ENGLISH + FRENCH:  # the vocabulary reads them as the tests do
        question = read_sentence(sentence, vocabulary, now=now).question
        assert question is not None, sentence
        assert question.text == expected, (sentence, question)

    def read(text: str) -> object:
        return read_sentence(text, vocabulary, now=now, tz="Europe/Paris")

    timed(read, sentences, 2)  # warm-up
    reads = timed(read, sentences, args.rounds)
    grammar = timed(parse_question, canonical, args.rounds)
    print(
        f"\nSentence reader: {len(kpis)} KPIs, {len(known):,} known attribute values, "
        f"{len(sentences)} sentences × {args.rounds} rounds ({len(reads):,} reads)"
    )
    print(
        f"  read_sentence  p50 {percentile(reads, 0.5):.2f} ms · "
        f"p95 {percentile(reads, 0.95):.2f} ms · p99 {percentile(reads, 0.99):.2f} ms · "
        f"max {max(reads):.2f} ms (target p95 < 5 ms)"
    )
    print(
        f"  baseline, the canonical grammar on the same questions: "
        f"p50 {percentile(grammar, 0.5):.3f} ms · p95 {percentile(grammar, 0.95):.3f} ms "
        f"(reader/grammar at p95: {percentile(reads, 0.95) / percentile(grammar, 0.95):.0f}×)"
    )
    print(f"  vocabulary built in {built:.1f} ms (once per process every 5 minutes)")
    return 0
