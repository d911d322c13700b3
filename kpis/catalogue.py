"""The KPI catalogue as data: one entry per KPI, with its names, aliases, unit and formula.

Adding a KPI is adding one entry to `CATALOGUE`. Look-ups accept the key, any English or French
alias, with or without accents, underscores or spaces; unknown keys get the closest matches.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from kpis.formulas import (
    QUANTILES,
    Backlog,
    Count,
    CounterRatio,
    Formula,
    Mean,
    NetScore,
    Share,
    Term,
    TopBox,
)
from kpis.plan import Cond, Expr
from kpis.result import Direction, Unit


@dataclass(frozen=True)
class Kpi:
    """One KPI: how to name it, how to compute it, and which way is better."""

    key: str
    name_en: str
    name_fr: str
    family: str
    unit: Unit
    direction: Direction | None
    formula: Formula
    definition: str
    aliases: tuple[str, ...] = ()

    def name(self, language: str = "en") -> str:
        """The KPI's display name in English or French."""
        return self.name_fr if language == "fr" else self.name_en


class UnknownKpi(LookupError):
    """No KPI has this key or alias; `suggestions` holds the closest keys."""

    def __init__(self, text: str, suggestions: list[str]) -> None:
        self.text = text
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown KPI '{text}'{hint}")


def _flow(*names: str) -> tuple[Term, ...]:
    return tuple(Term(n) for n in names)


def _ratio(num: str, den: str, scale: float = 1.0, share: bool = False) -> CounterRatio:
    return CounterRatio(_flow(num), _flow(den), scale, share)


def _per_level(num: str, level: str, scale: float = 100.0, share: bool = True) -> CounterRatio:
    return CounterRatio(_flow(num), (Term(level, "start"),), scale, share)


_RESOLVED = "resolved_at"
_CREATED = "created_at"

CATALOGUE: tuple[Kpi, ...] = (
    # Surveys
    Kpi(
        "nps",
        "NPS",
        "NPS",
        "surveys",
        "nps",
        "up",
        NetScore("nps"),
        "% promoters (9–10) − % detractors (0–6)",
        ("net-promoter-score", "recommandation"),
    ),
    Kpi(
        "enps",
        "eNPS",
        "eNPS",
        "surveys",
        "nps",
        "up",
        NetScore("enps", minimum=5),
        "NPS of employee answers; withheld under 5 answers",
        ("employee-nps",),
    ),
    Kpi(
        "csat",
        "CSAT",
        "CSAT",
        "surveys",
        "percent",
        "up",
        TopBox("csat"),
        "% of answers in the top two boxes (4–5 on 1–5)",
        ("satisfaction", "taux-de-satisfaction"),
    ),
    Kpi(
        "csat-mean",
        "CSAT mean score",
        "Note moyenne de satisfaction",
        "surveys",
        "score",
        "up",
        Mean("responses", "submitted_at", Expr("score"), (Cond("survey", "=", "csat"),)),
        "mean CSAT score",
        ("note-moyenne",),
    ),
    Kpi(
        "ces",
        "CES",
        "Score d'effort client",
        "surveys",
        "score",
        "up",
        Mean("responses", "submitted_at", Expr("score"), (Cond("survey", "=", "ces"),)),
        "mean score on 1–7 'it was easy to…' (higher = easier)",
        ("effort", "score-d-effort"),
    ),
    Kpi(
        "ces-net",
        "Net effort score",
        "Effort net",
        "surveys",
        "nps",
        "up",
        NetScore("ces", nps_bands=False),
        "% easy (top two boxes) − % difficult (1–2)",
        ("net-effort", "effort-net"),
    ),
    Kpi(
        "responses",
        "Survey responses",
        "Réponses",
        "surveys",
        "count",
        "up",
        Count("responses", "submitted_at"),
        "number of survey answers",
        ("reponses",),
    ),
    Kpi(
        "response-rate",
        "Response rate",
        "Taux de réponse",
        "surveys",
        "percent",
        "up",
        CounterRatio((Term("responses", "responses"),), _flow("surveys_sent"), 100.0, True),
        "responses / surveys_sent counter",
        ("feedback-rate", "taux-de-reponse"),
    ),
    # Support
    Kpi(
        "tickets",
        "Tickets",
        "Demandes",
        "support",
        "count",
        None,
        Count("tickets", _CREATED),
        "tickets created",
        ("volume", "demandes"),
    ),
    Kpi(
        "frt",
        "First response time",
        "Délai moyen de réponse",
        "support",
        "seconds",
        "down",
        Mean("tickets", _CREATED, Expr("first_response_seconds"), (), QUANTILES),
        "mean time to first response of tickets created (with median, p90)",
        ("dmr", "delai-moyen-de-reponse", "first-response-time"),
    ),
    Kpi(
        "aht",
        "Average handle time",
        "Durée moyenne de traitement",
        "support",
        "seconds",
        "down",
        Mean("tickets", _RESOLVED, Expr("handle_seconds"), (), QUANTILES),
        "mean handle_seconds of tickets resolved",
        ("dmt", "duree-moyenne-de-traitement", "handle-time"),
    ),
    Kpi(
        "resolution-time",
        "Resolution time",
        "Délai de résolution",
        "support",
        "seconds",
        "down",
        Mean("tickets", _RESOLVED, Expr("resolution_seconds"), (), QUANTILES),
        "mean time from creation to resolution of tickets resolved (with median, p90)",
        ("delai-de-resolution", "time-to-resolution"),
    ),
    Kpi(
        "fcr",
        "First contact resolution",
        "Résolution au premier contact",
        "support",
        "percent",
        "up",
        Share("tickets", _RESOLVED, (Cond("contacts", "=", 1), Cond("reopened", "=", False))),
        "% of resolved tickets solved in one contact and not reopened",
        ("once-and-done", "resolution-premier-contact", "rpc"),
    ),
    Kpi(
        "reopen-rate",
        "Reopen rate",
        "Taux de réouverture",
        "support",
        "percent",
        "down",
        Share("tickets", _RESOLVED, (Cond("reopened", "=", True),)),
        "% of resolved tickets reopened",
        ("taux-de-reouverture",),
    ),
    Kpi(
        "escalation-rate",
        "Escalation rate",
        "Taux d'escalade",
        "support",
        "percent",
        "down",
        Share("tickets", _CREATED, (Cond("escalated", "=", True),)),
        "% of created tickets escalated",
        ("taux-d-escalade",),
    ),
    Kpi(
        "backlog",
        "Backlog",
        "Stock en attente",
        "support",
        "count",
        "down",
        Backlog(),
        "tickets created before the period's end and not resolved by then",
        ("stock", "en-attente"),
    ),
    # Closing the loop with detractors (alerts raised in the period)
    Kpi(
        "loop-closure-rate",
        "Loop closure rate",
        "Taux de boucle fermée",
        "loop",
        "percent",
        "up",
        Share(
            "alerts",
            "created_at",
            (Cond("state", "=", "resolved"),),
            base=(Cond("kind", "=", "detractor"),),
        ),
        "% of detractor alerts raised in the period that were resolved",
        ("closed-loop-rate", "taux-de-bouclage"),
    ),
    Kpi(
        "time-to-close",
        "Time to close",
        "Délai de clôture",
        "loop",
        "seconds",
        "down",
        Mean(
            "alerts",
            "created_at",
            Expr("closed_at", minus="claimed_at"),
            (Cond("kind", "=", "detractor"), Cond("state", "=", "resolved")),
            QUANTILES,
        ),
        "mean time from claim to resolution of the detractor alerts raised in the period",
        ("delai-de-cloture", "loop-time"),
    ),
    Kpi(
        "contacts-per-ticket",
        "Contacts per ticket",
        "Contacts par demande",
        "support",
        "number",
        "down",
        Mean("tickets", _RESOLVED, Expr("contacts")),
        "mean contacts of resolved tickets",
        ("contacts-par-demande",),
    ),
    Kpi(
        "argued-contact-rate",
        "Argued contact rate",
        "Taux de contacts argumentés",
        "support",
        "percent",
        "up",
        _ratio("argued_contacts", "answered_calls", 100, True),
        "argued_contacts / answered_calls",
        ("taux-de-contacts-argumentes",),
    ),
    Kpi(
        "self-service-rate",
        "Self-service rate",
        "Taux d'auto-assistance",
        "support",
        "percent",
        "up",
        _ratio("self_service_resolved", "self_service_sessions", 100, True),
        "self_service_resolved / self_service_sessions",
        ("taux-d-auto-assistance",),
    ),
    Kpi(
        "human-escalation-rate",
        "Human escalation rate",
        "Taux d'escalade humain",
        "support",
        "percent",
        "down",
        _ratio("bot_escalations", "bot_conversations", 100, True),
        "bot_escalations / bot_conversations",
        ("taux-d-escalade-humain",),
    ),
    # Journey and business
    Kpi(
        "ctr",
        "Click-through rate",
        "Taux de clic",
        "business",
        "percent",
        "up",
        _ratio("clicks", "impressions", 100, True),
        "clicks / impressions",
        ("taux-de-clic",),
    ),
    Kpi(
        "cpm",
        "Cost per mille",
        "Coût pour mille",
        "business",
        "money",
        "down",
        _ratio("cost", "impressions", 1000),
        "1000 × cost / impressions",
        ("cout-pour-mille",),
    ),
    Kpi(
        "cpc",
        "Cost per click",
        "Coût par clic",
        "business",
        "money",
        "down",
        _ratio("cost", "clicks"),
        "cost / clicks",
        ("cout-par-clic",),
    ),
    Kpi(
        "cost-per-conversion",
        "Cost per conversion",
        "Coût par conversion",
        "business",
        "money",
        "down",
        _ratio("cost", "conversions"),
        "cost / conversions",
        ("cpa", "cout-par-conversion"),
    ),
    Kpi(
        "conversion-rate",
        "Conversion rate",
        "Taux de conversion",
        "business",
        "percent",
        "up",
        _ratio("conversions", "visitors", 100, True),
        "conversions / visitors",
        ("taux-de-conversion",),
    ),
    Kpi(
        "transformation-rate",
        "Transformation rate",
        "Taux de transformation",
        "business",
        "percent",
        "up",
        _ratio("new_customers", "prospects", 100, True),
        "new_customers / prospects",
        ("taux-de-transformation",),
    ),
    Kpi(
        "frequency",
        "Frequency",
        "Fréquence",
        "business",
        "ratio",
        None,
        _ratio("impressions", "reach"),
        "impressions / reach",
        ("frequence",),
    ),
    Kpi(
        "bounce-rate",
        "Bounce rate",
        "Taux de rebond",
        "business",
        "percent",
        "down",
        _ratio("bounces", "sessions", 100, True),
        "bounces (single-page sessions) / sessions",
        ("taux-de-rebond",),
    ),
    Kpi(
        "pages-per-visit",
        "Pages per visit",
        "Pages par visite",
        "business",
        "number",
        "up",
        _ratio("pageviews", "sessions"),
        "pageviews / sessions",
        ("pages-par-visite",),
    ),
    Kpi(
        "time-on-page",
        "Time on page",
        "Temps sur la page",
        "business",
        "seconds",
        "up",
        _ratio("time_on_page_seconds", "pageviews"),
        "time_on_page_seconds / pageviews",
        ("temps-sur-la-page",),
    ),
    Kpi(
        "time-on-site",
        "Time on site",
        "Temps passé sur le site",
        "business",
        "seconds",
        "up",
        _ratio("session_seconds", "sessions"),
        "session_seconds / sessions",
        ("temps-passe-sur-le-site",),
    ),
    Kpi(
        "engagement-rate",
        "Engagement rate",
        "Taux d'engagement",
        "business",
        "percent",
        "up",
        _per_level("engagements", "followers", share=False),
        "engagements / followers (level at the start)",
        ("taux-d-engagement",),
    ),
    Kpi(
        "aov",
        "Average order value",
        "Panier moyen",
        "business",
        "money",
        "up",
        _ratio("revenue", "orders"),
        "revenue / orders",
        ("panier-moyen", "average-order-value"),
    ),
    Kpi(
        "sales",
        "Sales",
        "Ventes",
        "business",
        "money",
        "up",
        CounterRatio(_flow("revenue")),
        "sum of revenue",
        ("ventes",),
    ),
    Kpi(
        "revenue",
        "Revenue",
        "Chiffre d'affaires",
        "business",
        "money",
        "up",
        CounterRatio(_flow("revenue")),
        "sum of revenue",
        ("chiffre-d-affaires", "ca"),
    ),
    Kpi(
        "cart-abandonment",
        "Cart abandonment",
        "Taux d'abandon de panier",
        "business",
        "percent",
        "down",
        _ratio("carts_abandoned", "carts_created", 100, True),
        "carts_abandoned / carts_created",
        ("taux-d-abandon-de-panier",),
    ),
    Kpi(
        "churn-rate",
        "Churn rate",
        "Taux d'attrition",
        "business",
        "percent",
        "down",
        _per_level("customers_lost", "customers"),
        "customers_lost / customers (level at the start)",
        ("attrition", "churn"),
    ),
    Kpi(
        "retention-rate",
        "Retention rate",
        "Taux de rétention",
        "business",
        "percent",
        "up",
        CounterRatio(
            (Term("customers", "end"), Term("new_customers", "flow", -1.0)),
            (Term("customers", "start"),),
            100.0,
            True,
        ),
        "(customers at the end − new_customers) / customers at the start",
        ("taux-de-retention", "retention"),
    ),
    Kpi(
        "loyalty-rate",
        "Loyalty rate",
        "Taux de fidélité",
        "business",
        "percent",
        "up",
        _ratio("loyal_customers", "unique_customers", 100, True),
        "loyal_customers / unique_customers",
        ("fidelite", "taux-de-fidelite"),
    ),
    Kpi(
        "clv",
        "Customer lifetime value",
        "Valeur vie client",
        "business",
        "money",
        "up",
        CounterRatio(_flow("revenue"), (Term("customers", "start"),)),
        "revenue / customers (level at the start)",
        ("valeur-vie-client", "ltv"),
    ),
    Kpi(
        "referral-rate",
        "Referral rate",
        "Taux de parrainage",
        "business",
        "percent",
        "up",
        _ratio("referred_purchases", "purchases", 100, True),
        "referred_purchases / purchases",
        ("taux-de-parrainage",),
    ),
    Kpi(
        "adoption-rate",
        "Adoption rate",
        "Taux d'adoption",
        "business",
        "percent",
        "up",
        _per_level("active_customers", "customers"),
        "active_customers / customers (level at the start)",
        ("taux-d-adoption",),
    ),
    Kpi(
        "feature-usage-rate",
        "Feature usage rate",
        "Taux d'usage",
        "business",
        "percent",
        "up",
        _per_level("feature_users", "customers"),
        "feature_users / customers (level at the start; group by feature)",
        ("taux-d-usage",),
    ),
    Kpi(
        "expansion-revenue",
        "Expansion revenue",
        "Revenu d'expansion",
        "business",
        "money",
        "up",
        CounterRatio(_flow("expansion_revenue")),
        "sum of expansion_revenue",
        ("revenu-d-expansion",),
    ),
    Kpi(
        "ttfv",
        "Time to first value",
        "Délai de première valeur",
        "business",
        "seconds",
        "down",
        _ratio("ttfv_seconds", "onboarded_customers"),
        "ttfv_seconds / onboarded_customers",
        ("time-to-first-value",),
    ),
    Kpi(
        "customer-roi",
        "Customer ROI",
        "ROI client",
        "business",
        "ratio",
        "up",
        _ratio("value_delivered", "customer_cost"),
        "value_delivered / customer_cost",
        ("roi-client",),
    ),
    # People
    Kpi(
        "turnover-rate",
        "Turnover rate",
        "Taux de turnover",
        "people",
        "percent",
        "down",
        _per_level("leavers", "headcount"),
        "leavers / headcount (level at the start)",
        ("taux-de-turnover",),
    ),
    Kpi(
        "absenteeism-rate",
        "Absenteeism rate",
        "Taux d'absentéisme",
        "people",
        "percent",
        "down",
        _ratio("absence_hours", "scheduled_hours", 100, True),
        "absence_hours / scheduled_hours",
        ("taux-d-absenteisme",),
    ),
    Kpi(
        "training-rate",
        "Training hours per person",
        "Taux de formation",
        "people",
        "number",
        "up",
        _per_level("training_hours", "headcount", scale=1.0, share=False),
        "training_hours / headcount (level at the start)",
        ("taux-de-formation",),
    ),
)


def normalise(text: str) -> str:
    """Lower case, no accents, hyphens for spaces, underscores and apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    for mark in (" ", "_", "'", "’"):
        plain = plain.replace(mark, "-")
    return plain


def _index() -> dict[str, Kpi]:
    index: dict[str, Kpi] = {}
    for kpi in CATALOGUE:
        for name in (kpi.key, *kpi.aliases, kpi.name_en, kpi.name_fr):
            index.setdefault(normalise(name), kpi)
    return index


INDEX = _index()


def find_kpi(text: str) -> Kpi:
    """The KPI named by a key or alias; UnknownKpi with the closest matches otherwise."""
    kpi = INDEX.get(normalise(text))
    if kpi is not None:
        return kpi
    close = difflib.get_close_matches(normalise(text), list(INDEX), n=5, cutoff=0.6)
    keys: list[str] = []
    for name in close:
        key = INDEX[name].key
        if key not in keys:
            keys.append(key)
    raise UnknownKpi(text, keys[:3])


def counter_sum(name: str) -> Kpi:
    """Any counter name answers as its own sum."""
    return Kpi(
        name,
        name,
        name,
        "counters",
        "number",
        None,
        CounterRatio(_flow(name)),
        f"sum of the {name} counter",
    )
