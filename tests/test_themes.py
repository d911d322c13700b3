"""Detractor themes: planted topics in English and French come out separate, largest first,
labelled with their own words; the demo's incidents come out as its themes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from demo.synthetic import INCIDENT_COMPLAINTS, incidents, responses
from kpis.themes import themes, words
from tests.theme_fixtures import BILLING, NOISE, OUTAGE, WAITING, planted

END = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _topic(label: str) -> str:
    found = {term for term, _ in words(label.replace(" · ", " "))}
    if found & {"billing", "twice", "refund"}:
        return "billing"
    if found & {"wait", "answer", "days"}:
        return "waiting"
    if found & {"outage", "app"}:
        return "outage"
    return "?"


def test_planted_topics_come_out_separate_in_order_of_size() -> None:
    comments = planted(seed=11, total=500)
    found = themes(comments, planted(seed=12, total=250))
    assert [_topic(t.label) for t in found.themes] == ["billing", "waiting", "outage"]
    assert [t.count for t in found.themes] == [250, 150, 70]
    assert [t.previous for t in found.themes] == [125, 75, 35]
    assert found.unthemed == 30  # the noise
    for theme, pool in zip(found.themes, (BILLING, WAITING, OUTAGE), strict=True):
        assert any(theme.quote.startswith(p) for p in pool)  # a comment of its own topic
        vocabulary = {raw.lower() for p in pool for _, raw in words(p)}
        assert all(w in vocabulary for part in theme.label.split(" · ") for w in part.split())


def test_each_topic_holds_both_languages() -> None:
    comments = planted(seed=2, total=300)
    billing = themes(comments).themes[0]
    french = [c for c in comments if "factur" in c.lower()]
    english = [c for c in comments if any(w in c.lower() for w in ("charged", "billed"))]
    assert french
    assert english
    assert billing.count == sum(1 for c in comments if c.startswith(BILLING)) == 150


def test_noise_makes_no_theme() -> None:
    assert themes(list(NOISE)).themes == ()  # no two comments share a word
    assert themes(["bad"] * 3).themes == ()  # too few to group


def test_the_demo_incidents_are_its_themes() -> None:
    days = 365
    rows = list(responses(seed=1, end=END, days=days, per_day=150))
    start = min(r["submitted_at"] for r in rows).replace(hour=0, minute=0, second=0)
    for incident in incidents(days):
        first = start + timedelta(days=incident.start)
        last = first + timedelta(days=incident.days)
        before = first - timedelta(days=incident.days)

        def said(a: datetime, b: datetime) -> list[str]:
            return [
                r["comment"]
                for r in rows
                if r["comment"] and a <= r["submitted_at"] < b and r["score"] / r["scale_max"] < 0.6
            ]

        found = themes(said(first, last), said(before, first))
        top = found.themes[0]
        planted_words = {
            raw.lower() for p in INCIDENT_COMPLAINTS[incident.name] for _, raw in words(p)
        }
        assert any(w in planted_words for w in top.label.split(" · ")[0].split()), (
            incident.name,
            top.label,
        )
        assert top.count > top.previous
