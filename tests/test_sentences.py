"""Sentences people type, in French and English, read as the canonical question each means.

Pure (`kpis.sentence`): a fixed vocabulary (the real catalogue, a handful of stored values), a
fixed clock (Wednesday 18 November 2026, 15:30 UTC). The end-to-end tests through the server
are in tests/test_conversation.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.periods import PeriodError, canonical_period, parse_period
from kpis.question import Question, QuestionError, parse_question
from kpis.sentence import Reading, Vocabulary, catalogue_phrases, language_of, read_sentence
from query.plan import Filter

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday
VALUES = [
    ("plan", "enterprise"),
    ("plan", "pro"),
    ("plan", "free"),
    ("channel", "email"),
    ("channel", "chat"),
    ("channel", "phone"),
    ("team", "care"),
    ("team", "billing"),
    ("region", "emea"),
    ("region", "amer"),
    ("segment", "smb"),
    ("segment", "mid-market"),
]
VOCABULARY = Vocabulary.of(kpis=catalogue_phrases(), values=VALUES, attributes=["agent"])

ENGLISH = [
    ("what's our NPS for enterprise customers last month?", "nps last-month plan=enterprise"),
    ("What is the NPS last month by channel", "nps last-month by channel"),
    ("nps last 30 days", "nps last-30d"),
    ("NPS over the past 90 days for the pro plan", "nps last-90d plan=pro"),
    ("csat this month", "csat this-month"),
    ("CSAT in March", "csat 2026-03"),
    ("customer satisfaction since Monday", "csat since-2026-11-16"),
    ("how many tickets yesterday?", "tickets yesterday"),
    ("How many tickets did we get last week by team", "tickets last-week by team"),
    ("first response time on email this week", "frt this-week channel=email"),
    ("what's the average handle time for billing last quarter?", "aht last-quarter team=billing"),
    ("top 3 teams by csat last quarter", "csat last-quarter by team top=3"),
    ("NPS excluding email last 30 days", "nps last-30d channel!=email"),
    ("nps except free customers this year", "nps this-year plan!=free"),
    ("bounce rate last month", "bounce-rate last-month"),
    ("show me the churn rate for EMEA this quarter", "churn-rate this-quarter region=emea"),
    ("Resolution time by channel, last 12 weeks", "resolution-time last-12w by channel"),
    ("FCR for chat yesterday", "fcr yesterday channel=chat"),
    ("escalation rate today", "escalation-rate today"),
    ("what's the backlog?", "backlog"),
    ("nps for smb customers in the last 7 days", "nps last-7d segment=smb"),
    ("Could you give me the eNPS this year please", "enps this-year"),
    ("CES for phone last week", "ces last-week channel=phone"),
    ("conversion rate year to date", "conversion-rate ytd"),
    ("nps per channel this month", "nps this-month by channel"),
    ("revenue in Q1 2026", "revenue 2026-Q1"),
    ("nps for each plan since march", "nps since-2026-03-01 by plan"),
    ("NPS score of mid-market customers last year", "nps last-year segment=mid-market"),
    ("response time for email tickets last month", "frt last-month channel=email"),
    ("reopen rate for care, past week", "reopen-rate last-7d team=care"),
    ("net promoter score by region last month", "nps last-month by region"),
    ("hey kpibot, how's the csat looking this week?", "csat this-week"),
]
FRENCH = [
    (
        "quel est le NPS des clients enterprise le mois dernier par canal ?",
        "nps last-month plan=enterprise by channel",
    ),
    ("Quel est le NPS des clients entreprise le mois dernier", "nps last-month plan=enterprise"),
    ("nps 30 derniers jours", "nps last-30d"),
    ("NPS sur les 7 derniers jours", "nps last-7d"),
    ("le csat de cette semaine", "csat this-week"),
    ("taux de satisfaction du mois dernier par équipe", "csat last-month by team"),
    ("combien de demandes hier ?", "tickets yesterday"),
    ("Combien de tickets aujourd'hui par canal", "tickets today by channel"),
    ("délai moyen de réponse cette semaine", "frt this-week"),
    ("DMR sur le chat depuis lundi", "frt since-2026-11-16 channel=chat"),
    (
        "durée moyenne de traitement de l'équipe billing le trimestre dernier",
        "aht last-quarter team=billing",
    ),
    ("le taux de rebond en mars", "bounce-rate 2026-03"),
    ("NPS hors email les 30 derniers jours", "nps last-30d channel!=email"),
    ("nps sauf les clients free cette année", "nps this-year plan!=free"),
    ("taux d'attrition ce trimestre en EMEA", "churn-rate this-quarter region=emea"),
    ("délai de résolution par canal sur 12 semaines", "resolution-time last-12w by channel"),
    ("résolution au premier contact pour le chat hier", "fcr yesterday channel=chat"),
    ("taux d'escalade aujourd'hui", "escalation-rate today"),
    ("c'est quoi le stock en attente ?", "backlog"),
    ("NPS des smb sur 7 jours", "nps last-7d segment=smb"),
    ("Donne-moi l'eNPS de cette année stp", "enps this-year"),
    (
        "score d'effort client pour le canal phone la semaine dernière",
        "ces last-week channel=phone",
    ),
    ("taux de conversion depuis le début de l'année", "conversion-rate ytd"),
    ("nps par offre ce mois-ci", "nps this-month by plan"),
    ("chiffre d'affaires au 1er trimestre 2026", "revenue 2026-Q1"),
    ("le NPS pour chaque canal depuis mars", "nps since-2026-03-01 by channel"),
    ("note NPS des clients mid-market l'année dernière", "nps last-year segment=mid-market"),
    ("temps de réponse pour les tickets email le mois dernier", "frt last-month channel=email"),
    ("taux de réouverture de l'équipe care, semaine passée", "reopen-rate last-week team=care"),
    ("top 3 des équipes par csat au dernier trimestre", "csat last-quarter by team top=3"),
    ("NPS du 2026-T1 par région", "nps 2026-Q1 by region"),
    ("Quel est notre NPS en février ?", "nps 2026-02"),
]


def read(text: str, vocabulary: Vocabulary = VOCABULARY, kpi: str | None = None) -> Reading:
    return read_sentence(text, vocabulary, now=NOW, tz="UTC", kpi=kpi)


def test_the_table_has_thirty_phrasings_in_each_language() -> None:
    assert len(ENGLISH) >= 30
    assert len(FRENCH) >= 30
    assert len({s for s, _ in ENGLISH + FRENCH}) == len(ENGLISH) + len(FRENCH)


@pytest.mark.parametrize(("sentence", "canonical"), ENGLISH)
def test_english_sentences_mean_their_canonical_question(sentence: str, canonical: str) -> None:
    reading = read(sentence)
    assert reading.question is not None, (reading.issue, reading.unknown, reading.choices)
    assert reading.question.text == canonical
    assert reading.language == "en"
    assert parse_question(canonical) == reading.question  # the canonical form reads back the same


@pytest.mark.parametrize(("sentence", "canonical"), FRENCH)
def test_french_sentences_mean_their_canonical_question(sentence: str, canonical: str) -> None:
    reading = read(sentence)
    assert reading.question is not None, (reading.issue, reading.unknown, reading.choices)
    assert reading.question.text == canonical
    assert reading.language == "fr"
    assert parse_question(canonical) == reading.question


def test_typos_are_read_as_the_closest_known_word_and_said() -> None:
    reading = read("Quel est le NPS des clients entreprise le mois dernier")
    assert reading.corrected == (("entreprise", "enterprise"),)
    reading = read("satisfation client mois dernier")
    assert reading.question == Question("csat", "last-month")
    assert reading.corrected == (("satisfation", "satisfaction"),)
    assert not reading.exact_kpi


def test_a_value_two_attributes_hold_needs_its_attribute() -> None:
    vocabulary = Vocabulary.of(kpis=catalogue_phrases(), values=[*VALUES, ("contact", "email")])
    reading = read("nps excluding email last 30 days", vocabulary)
    assert reading.question is None
    assert reading.issue == "ambiguous_value"
    assert reading.ambiguous == (("email", ("channel", "contact")),)
    assert [q.text for q in reading.choices] == [
        "nps last-30d channel!=email",
        "nps last-30d contact!=email",
    ]
    settled = read("nps excluding the email channel last 30 days", vocabulary)
    assert settled.question is not None
    assert settled.question.text == "nps last-30d channel!=email"
    french = read("nps sauf le canal email sur 30 jours", vocabulary)
    assert french.question is not None
    assert french.question.text == "nps last-30d channel!=email"


@pytest.mark.parametrize(
    ("sentence", "issue", "first_choice"),
    [
        ("hello!", "nothing", "nps"),
        ("bonjour kpibot", "nothing", "nps"),
        (
            "how are we doing with enterprise customers last month?",
            "no_kpi",
            "nps last-month plan=enterprise",
        ),
        ("et pour les clients pro hier ?", "no_kpi", "nps yesterday plan=pro"),
        ("nps and csat this month", "several_kpis", "nps this-month"),
        ("nps et csat ce mois", "several_kpis", "nps this-month"),
        ("nps this month vs last month", "several_periods", "nps this-month"),
        ("nps for acme last month", "unknown_words", "nps last-month"),
        ("nps pour acme le mois dernier", "unknown_words", "nps last-month"),
        (
            "nps for email or chat last week",
            "same_attribute",
            "nps last-week channel=email channel=chat",
        ),
        ("nps channel", "unknown_words", "nps"),
        ("nps above 30", "unknown_words", "nps"),
        ("what's the weather like?", "no_kpi", "nps"),
    ],
)
def test_unclear_sentences_get_what_was_understood_and_the_closest_questions(
    sentence: str, issue: str, first_choice: str
) -> None:
    reading = read(sentence)
    assert reading.question is None
    assert reading.issue == issue
    assert reading.choices, "the closest canonical questions"
    assert reading.choices[0].text == first_choice
    assert len(reading.choices) <= 5


def test_a_name_alone_suggests_grouping_by_it() -> None:
    reading = read("nps channel last month")
    assert [q.text for q in reading.choices][:2] == ["nps last-month", "nps last-month by channel"]


def test_the_command_may_name_the_kpi() -> None:
    assert read("last month for enterprise", kpi="nps").question == Question(
        "nps", "last-month", (Filter("plan", "enterprise"),)
    )
    several = read("csat last month", kpi="nps")
    assert several.issue == "several_kpis"


def test_weak_kpi_words_give_way_to_a_named_kpi() -> None:
    reading = read("response time of email tickets this week")
    assert reading.question == Question("frt", "this-week", (Filter("channel", "email"),))
    assert read("how many tickets this week").question == Question("tickets", "this-week")


def test_may_is_a_month_only_with_a_preposition_or_a_year() -> None:
    assert read("may I have the nps").question == Question("nps")
    assert read("nps in may").question == Question("nps", "2026-05")
    assert read("nps may 2025").question == Question("nps", "2025-05")
    assert read("nps les sept derniers jours").question == Question("nps", "last-7d")


def test_ca_is_revenue_and_ca_with_a_cedilla_is_not() -> None:
    assert read("le CA du mois dernier").question == Question("revenue", "last-month")
    assert read("c'est quoi ça le nps").question == Question("nps")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("nps last-30d", None),
        ("nps last-30d by channel top=3", None),
        ("nps mois-dernier", "fr"),
        ("aide", "fr"),
        ("help", None),
        ("what's the nps", "en"),
        ("nps last month", "en"),
        ("le nps du mois dernier", "fr"),
        ("nps for enterprise, par canal", None),
        ("last-fortnight", None),
    ],
)
def test_the_language_of_a_question(text: str, language: str | None) -> None:
    assert language_of(text) == language


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_read_without_a_crash(text: str) -> None:
    reading = read(text)
    assert (reading.question is None) == (reading.issue is not None)
    if reading.question is not None:
        parse_question(reading.question.text)  # a canonical question the grammar reads back


# --- the grammar in French and English words ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("aujourd'hui", "today"),
        ("aujourd-hui", "today"),
        ("hier", "yesterday"),
        ("cette-semaine", "this-week"),
        ("semaine-derniere", "last-week"),
        ("semaine-dernière", "last-week"),
        ("ce-mois", "this-month"),
        ("mois-dernier", "last-month"),
        ("ce-trimestre", "this-quarter"),
        ("trimestre-dernier", "last-quarter"),
        ("cette-annee", "this-year"),
        ("cette-année", "this-year"),
        ("annee-derniere", "last-year"),
        ("7-derniers-jours", "last-7d"),
        ("30-derniers-jours", "last-30d"),
        ("12-dernieres-semaines", "last-12w"),
        ("12-dernières-semaines", "last-12w"),
        ("7j", "last-7d"),
        ("30j", "last-30d"),
        ("2026-T1", "2026-Q1"),
        ("T3-2025", "2025-Q3"),
        ("mars-2026", "2026-03"),
        ("mars", "2026-03"),
        ("décembre", "2025-12"),  # the latest December that has started
        ("novembre", "2026-11"),
        ("last 30 days", "last-30d"),
        ("past 90 days", "last-90d"),
        ("this month", "this-month"),
        ("in March", "2026-03"),
        ("since Monday", "since-2026-11-16"),
        ("depuis lundi", "since-2026-11-16"),
        ("since Wednesday", "since-2026-11-18"),
        ("since March", "since-2026-03-01"),
        ("since 2026-11-01", "since-2026-11-01"),
        ("year to date", "ytd"),
        ("le mois dernier", "last-month"),
        ("au cours des 30 derniers jours", "last-30d"),
        ("last-30d", "last-30d"),
        ("2026-q1", "2026-Q1"),
    ],
)
def test_periods_in_words_have_one_canonical_spelling(text: str, canonical: str) -> None:
    assert canonical_period(text, now=NOW, tz="Europe/Paris") == canonical
    words = parse_period(text, now=NOW, tz="Europe/Paris")
    same = parse_period(canonical, now=NOW, tz="Europe/Paris")
    assert (words.label, words.current, words.previous) == (same.label, same.current, same.previous)


def test_since_a_day_compares_with_the_same_span_before() -> None:
    period = parse_period("since Monday", now=NOW, tz="UTC")
    assert period.current.start == datetime(2026, 11, 16, tzinfo=UTC)
    assert period.current.end == NOW
    assert period.previous.end == period.current.start
    assert period.previous.start == datetime(2026, 11, 13, 8, 30, tzinfo=UTC)
    assert period.to_date


@pytest.mark.parametrize(
    "text",
    [
        "mars-9999",
        "2300-T1",
        "since-0001-01-01",
        "since-2300-01-01",
        "9999-derniers-mois",
        "t1-0001",
    ],
)
def test_every_new_form_keeps_the_range_check(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text, now=NOW)
    assert info.value.code == "out_of_range"


def test_since_a_day_to_come_is_refused() -> None:
    with pytest.raises(PeriodError) as info:
        parse_period("since-2026-12-01", now=NOW)
    assert info.value.code == "since_future"


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("nps mois-dernier par canal", Question("nps", "mois-dernier", group_by="channel")),
        ("nps le mois dernier par canal", Question("nps", "le-mois-dernier", group_by="channel")),
        ("nps last 30 days by channel", Question("nps", "last-30-days", group_by="channel")),
        ("nps 30j equipe=care", Question("nps", "30j", (Filter("team", "care"),))),
        ("nps 30j équipe=care", Question("nps", "30j", (Filter("team", "care"),))),
        ("csat sauf canal=email", Question("csat", None, (Filter("channel", "email", True),))),
        ("csat hors offre=free", Question("csat", None, (Filter("plan", "free", True),))),
        (
            "csat excluding channel=email",
            Question("csat", None, (Filter("channel", "email", True),)),
        ),
        ("csat par equipe top 3", Question("csat", None, group_by="team", top=3)),
        ("csat by team top3", Question("csat", None, group_by="team", top=3)),
        ("frt since monday per channel", Question("frt", "since-monday", group_by="channel")),
    ],
)
def test_the_grammar_reads_french_and_english_words(text: str, question: Question) -> None:
    assert parse_question(text) == question


def test_a_team_declares_its_own_attribute_names() -> None:
    names = {"canal": "canal", "marque": "brand"}  # "canal" is stored as is; "marque" is brand
    assert parse_question("nps par canal marque=acme", names=names) == Question(
        "nps", None, (Filter("brand", "acme"),), "canal"
    )


def test_a_negation_needs_a_filter_in_the_grammar() -> None:
    with pytest.raises(QuestionError) as info:
        parse_question("nps sauf")
    assert info.value.code == "negation_needs_filter"
