"""The KPI catalogue as data: one entry per KPI, with its names, aliases, unit and formula.

Adding a KPI is adding one entry to `CATALOGUE` (keyword arguments, one per line). Look-ups
accept the key, any English or French alias or name, with or without accents, underscores or
spaces; unknown keys get the closest matches. No two entries may share a name or a formula
(`_index` refuses it at import; `tests/test_catalogue.py` checks it and that the README's KPI
table is the one `markdown_table()` writes).
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
from kpis.result import Direction, Unit
from query.plan import Cond, Expr


@dataclass(frozen=True, kw_only=True)
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
        key="nps",
        name_en="NPS",
        name_fr="NPS",
        family="surveys",
        unit="nps",
        direction="up",
        formula=NetScore("nps"),
        definition="% promoters (9–10) − % detractors (0–6)",
        aliases=("net-promoter-score", "recommandation"),
    ),
    Kpi(
        key="enps",
        name_en="eNPS",
        name_fr="eNPS",
        family="surveys",
        unit="nps",
        direction="up",
        formula=NetScore("enps", minimum=5),
        definition="NPS of employee answers; withheld under 5 answers",
        aliases=("employee-nps",),
    ),
    Kpi(
        key="csat",
        name_en="CSAT",
        name_fr="CSAT",
        family="surveys",
        unit="percent",
        direction="up",
        formula=TopBox("csat"),
        definition=(
            "% satisfied: top two boxes (4–5 on 1–5), the top answer of a 2- or 3-point scale"
        ),
        aliases=(
            "satisfaction",
            "taux-de-satisfaction",
            "customer-satisfaction",
            "satisfaction-client",
        ),
    ),
    Kpi(
        key="csat-mean",
        name_en="CSAT mean score",
        name_fr="Note moyenne de satisfaction",
        family="surveys",
        unit="score",
        direction="up",
        formula=Mean("responses", "submitted_at", Expr("score"), (Cond("survey", "=", "csat"),)),
        definition="mean CSAT score",
        aliases=("note-moyenne",),
    ),
    Kpi(
        key="ces",
        name_en="CES",
        name_fr="Score d'effort client",
        family="surveys",
        unit="score",
        direction="up",
        formula=Mean("responses", "submitted_at", Expr("score"), (Cond("survey", "=", "ces"),)),
        definition="mean score on 1–7 'it was easy to…' (higher = easier)",
        aliases=("effort", "score-d-effort", "customer-effort", "effort-client"),
    ),
    Kpi(
        key="ces-net",
        name_en="Net effort score",
        name_fr="Effort net",
        family="surveys",
        unit="nps",
        direction="up",
        formula=NetScore("ces", nps_bands=False),
        definition=(
            "% easy (top two boxes) − % difficult (bottom two; ends of a 2- or 3-point scale)"
        ),
        aliases=("net-effort", "effort-net"),
    ),
    Kpi(
        key="responses",
        name_en="Survey responses",
        name_fr="Réponses",
        family="surveys",
        unit="count",
        direction="up",
        formula=Count("responses", "submitted_at"),
        definition="number of survey answers",
        aliases=("reponses",),
    ),
    Kpi(
        key="response-rate",
        name_en="Response rate",
        name_fr="Taux de réponse",
        family="surveys",
        unit="percent",
        direction="up",
        formula=CounterRatio((Term("responses", "responses"),), _flow("surveys_sent"), 100.0, True),
        definition="responses / surveys_sent counter",
        aliases=("feedback-rate", "taux-de-reponse"),
    ),
    # Support
    Kpi(
        key="tickets",
        name_en="Tickets",
        name_fr="Demandes",
        family="support",
        unit="count",
        direction=None,
        formula=Count("tickets", _CREATED),
        definition="tickets created",
        aliases=("volume", "demandes", "ticket-volume", "nombre-de-demandes"),
    ),
    Kpi(
        key="frt",
        name_en="First response time",
        name_fr="Délai moyen de réponse",
        family="support",
        unit="seconds",
        direction="down",
        formula=Mean("tickets", _CREATED, Expr("first_response_seconds"), (), QUANTILES),
        definition="mean time to first response of tickets created (with median, p90)",
        aliases=(
            "dmr",
            "delai-moyen-de-reponse",
            "first-response-time",
            "response-time",
            "temps-de-reponse",
            "delai-de-reponse",
        ),
    ),
    Kpi(
        key="aht",
        name_en="Average handle time",
        name_fr="Durée moyenne de traitement",
        family="support",
        unit="seconds",
        direction="down",
        formula=Mean("tickets", _RESOLVED, Expr("handle_seconds"), (), QUANTILES),
        definition="mean handle_seconds of tickets resolved",
        aliases=(
            "dmt",
            "duree-moyenne-de-traitement",
            "handle-time",
            "temps-de-traitement",
            "duree-de-traitement",
        ),
    ),
    Kpi(
        key="resolution-time",
        name_en="Resolution time",
        name_fr="Délai de résolution",
        family="support",
        unit="seconds",
        direction="down",
        formula=Mean("tickets", _RESOLVED, Expr("resolution_seconds"), (), QUANTILES),
        definition="mean time from creation to resolution of tickets resolved (with median, p90)",
        aliases=("delai-de-resolution", "time-to-resolution", "temps-de-resolution"),
    ),
    Kpi(
        key="fcr",
        name_en="First contact resolution",
        name_fr="Résolution au premier contact",
        family="support",
        unit="percent",
        direction="up",
        formula=Share(
            "tickets", _RESOLVED, (Cond("contacts", "=", 1), Cond("reopened", "=", False))
        ),
        definition="% of resolved tickets solved in one contact and not reopened",
        aliases=(
            "once-and-done",
            "resolution-premier-contact",
            "rpc",
            "first-call-resolution",
        ),
    ),
    Kpi(
        key="reopen-rate",
        name_en="Reopen rate",
        name_fr="Taux de réouverture",
        family="support",
        unit="percent",
        direction="down",
        formula=Share("tickets", _RESOLVED, (Cond("reopened", "=", True),)),
        definition="% of resolved tickets reopened",
        aliases=("taux-de-reouverture", "reopens", "reouvertures"),
    ),
    Kpi(
        key="escalation-rate",
        name_en="Escalation rate",
        name_fr="Taux d'escalade",
        family="support",
        unit="percent",
        direction="down",
        formula=Share("tickets", _CREATED, (Cond("escalated", "=", True),)),
        definition="% of created tickets escalated",
        aliases=("taux-d-escalade", "escalations", "escalades"),
    ),
    Kpi(
        key="backlog",
        name_en="Backlog",
        name_fr="Stock en attente",
        family="support",
        unit="count",
        direction="down",
        formula=Backlog(),
        definition="tickets created before the period's end and not resolved by then",
        aliases=("stock", "en-attente", "open-tickets", "tickets-ouverts"),
    ),
    # Closing the loop with detractors (alerts raised in the period)
    Kpi(
        key="loop-closure-rate",
        name_en="Loop closure rate",
        name_fr="Taux de boucle fermée",
        family="loop",
        unit="percent",
        direction="up",
        formula=Share(
            "alerts",
            "created_at",
            (Cond("state", "=", "resolved"),),
            base=(Cond("kind", "=", "detractor"),),
        ),
        definition="% of detractor alerts raised in the period that were resolved",
        aliases=("closed-loop-rate", "taux-de-bouclage"),
    ),
    Kpi(
        key="time-to-close",
        name_en="Time to close",
        name_fr="Délai de clôture",
        family="loop",
        unit="seconds",
        direction="down",
        formula=Mean(
            "alerts",
            "created_at",
            Expr("closed_at", minus="claimed_at"),
            (Cond("kind", "=", "detractor"), Cond("state", "=", "resolved")),
            QUANTILES,
        ),
        definition=(
            "mean time from claim to resolution of the detractor alerts raised in the period"
        ),
        aliases=("delai-de-cloture", "loop-time"),
    ),
    Kpi(
        key="contacts-per-ticket",
        name_en="Contacts per ticket",
        name_fr="Contacts par demande",
        family="support",
        unit="number",
        direction="down",
        formula=Mean("tickets", _RESOLVED, Expr("contacts")),
        definition="mean contacts of resolved tickets",
        aliases=("contacts-par-demande",),
    ),
    Kpi(
        key="argued-contact-rate",
        name_en="Argued contact rate",
        name_fr="Taux de contacts argumentés",
        family="support",
        unit="percent",
        direction="up",
        formula=_ratio("argued_contacts", "answered_calls", 100, True),
        definition="argued_contacts / answered_calls",
        aliases=("taux-de-contacts-argumentes",),
    ),
    Kpi(
        key="self-service-rate",
        name_en="Self-service rate",
        name_fr="Taux d'auto-assistance",
        family="support",
        unit="percent",
        direction="up",
        formula=_ratio("self_service_resolved", "self_service_sessions", 100, True),
        definition="self_service_resolved / self_service_sessions",
        aliases=("taux-d-auto-assistance",),
    ),
    Kpi(
        key="human-escalation-rate",
        name_en="Human escalation rate",
        name_fr="Taux d'escalade humain",
        family="support",
        unit="percent",
        direction="down",
        formula=_ratio("bot_escalations", "bot_conversations", 100, True),
        definition="bot_escalations / bot_conversations",
        aliases=("taux-d-escalade-humain",),
    ),
    # Journey and business
    Kpi(
        key="ctr",
        name_en="Click-through rate",
        name_fr="Taux de clic",
        family="business",
        unit="percent",
        direction="up",
        formula=_ratio("clicks", "impressions", 100, True),
        definition="clicks / impressions",
        aliases=("taux-de-clic",),
    ),
    Kpi(
        key="cpm",
        name_en="Cost per mille",
        name_fr="Coût pour mille",
        family="business",
        unit="money",
        direction="down",
        formula=_ratio("cost", "impressions", 1000),
        definition="1000 × cost / impressions",
        aliases=("cout-pour-mille",),
    ),
    Kpi(
        key="cpc",
        name_en="Cost per click",
        name_fr="Coût par clic",
        family="business",
        unit="money",
        direction="down",
        formula=_ratio("cost", "clicks"),
        definition="cost / clicks",
        aliases=("cout-par-clic",),
    ),
    Kpi(
        key="cost-per-conversion",
        name_en="Cost per conversion",
        name_fr="Coût par conversion",
        family="business",
        unit="money",
        direction="down",
        formula=_ratio("cost", "conversions"),
        definition="cost / conversions",
        aliases=("cpa", "cout-par-conversion"),
    ),
    Kpi(
        key="conversion-rate",
        name_en="Conversion rate",
        name_fr="Taux de conversion",
        family="business",
        unit="percent",
        direction="up",
        formula=_ratio("conversions", "visitors", 100, True),
        definition="conversions / visitors",
        aliases=("taux-de-conversion",),
    ),
    Kpi(
        key="transformation-rate",
        name_en="Transformation rate",
        name_fr="Taux de transformation",
        family="business",
        unit="percent",
        direction="up",
        formula=_ratio("new_customers", "prospects", 100, True),
        definition="new_customers / prospects",
        aliases=("taux-de-transformation",),
    ),
    Kpi(
        key="frequency",
        name_en="Frequency",
        name_fr="Fréquence",
        family="business",
        unit="ratio",
        direction=None,
        formula=_ratio("impressions", "reach"),
        definition="impressions / reach",
        aliases=("frequence",),
    ),
    Kpi(
        key="bounce-rate",
        name_en="Bounce rate",
        name_fr="Taux de rebond",
        family="business",
        unit="percent",
        direction="down",
        formula=_ratio("bounces", "sessions", 100, True),
        definition="bounces (single-page sessions) / sessions",
        aliases=("taux-de-rebond",),
    ),
    Kpi(
        key="pages-per-visit",
        name_en="Pages per visit",
        name_fr="Pages par visite",
        family="business",
        unit="number",
        direction="up",
        formula=_ratio("pageviews", "sessions"),
        definition="pageviews / sessions",
        aliases=("pages-par-visite",),
    ),
    Kpi(
        key="time-on-page",
        name_en="Time on page",
        name_fr="Temps sur la page",
        family="business",
        unit="seconds",
        direction="up",
        formula=_ratio("time_on_page_seconds", "pageviews"),
        definition="time_on_page_seconds / pageviews",
        aliases=("temps-sur-la-page",),
    ),
    Kpi(
        key="time-on-site",
        name_en="Time on site",
        name_fr="Temps passé sur le site",
        family="business",
        unit="seconds",
        direction="up",
        formula=_ratio("session_seconds", "sessions"),
        definition="session_seconds / sessions",
        aliases=("temps-passe-sur-le-site",),
    ),
    Kpi(
        key="engagement-rate",
        name_en="Engagement rate",
        name_fr="Taux d'engagement",
        family="business",
        unit="percent",
        direction="up",
        formula=_per_level("engagements", "followers", share=False),
        definition="engagements / followers (level at the start)",
        aliases=("taux-d-engagement",),
    ),
    Kpi(
        key="aov",
        name_en="Average order value",
        name_fr="Panier moyen",
        family="business",
        unit="money",
        direction="up",
        formula=_ratio("revenue", "orders"),
        definition="revenue / orders",
        aliases=("panier-moyen", "average-order-value"),
    ),
    Kpi(
        key="revenue",
        name_en="Revenue",
        name_fr="Chiffre d'affaires",
        family="business",
        unit="money",
        direction="up",
        formula=CounterRatio(_flow("revenue")),
        definition="sum of revenue (units sold × average price)",
        aliases=("sales", "ventes", "chiffre-d-affaires", "ca"),
    ),
    Kpi(
        key="cart-abandonment",
        name_en="Cart abandonment",
        name_fr="Taux d'abandon de panier",
        family="business",
        unit="percent",
        direction="down",
        formula=_ratio("carts_abandoned", "carts_created", 100, True),
        definition="carts_abandoned / carts_created",
        aliases=("taux-d-abandon-de-panier",),
    ),
    Kpi(
        key="churn-rate",
        name_en="Churn rate",
        name_fr="Taux d'attrition",
        family="business",
        unit="percent",
        direction="down",
        formula=_per_level("customers_lost", "customers"),
        definition="customers_lost / customers (level at the start)",
        aliases=("attrition", "churn"),
    ),
    Kpi(
        key="retention-rate",
        name_en="Retention rate",
        name_fr="Taux de rétention",
        family="business",
        unit="percent",
        direction="up",
        formula=CounterRatio(
            (Term("customers", "end"), Term("new_customers", "flow", -1.0)),
            (Term("customers", "start"),),
            100.0,
            True,
        ),
        definition="(customers at the end − new_customers) / customers at the start",
        aliases=("taux-de-retention", "retention"),
    ),
    Kpi(
        key="loyalty-rate",
        name_en="Loyalty rate",
        name_fr="Taux de fidélité",
        family="business",
        unit="percent",
        direction="up",
        formula=_ratio("loyal_customers", "unique_customers", 100, True),
        definition="loyal_customers / unique_customers",
        aliases=("fidelite", "taux-de-fidelite"),
    ),
    Kpi(
        key="clv",
        name_en="Customer lifetime value",
        name_fr="Valeur vie client",
        family="business",
        unit="money",
        direction="up",
        formula=CounterRatio(_flow("revenue"), (Term("customers", "start"),)),
        definition="revenue / customers (level at the start)",
        aliases=("valeur-vie-client", "ltv"),
    ),
    Kpi(
        key="referral-rate",
        name_en="Referral rate",
        name_fr="Taux de parrainage",
        family="business",
        unit="percent",
        direction="up",
        formula=_ratio("referred_purchases", "purchases", 100, True),
        definition="referred_purchases / purchases",
        aliases=("taux-de-parrainage",),
    ),
    Kpi(
        key="adoption-rate",
        name_en="Adoption rate",
        name_fr="Taux d'adoption",
        family="business",
        unit="percent",
        direction="up",
        formula=_per_level("active_customers", "customers"),
        definition="active_customers / customers (level at the start)",
        aliases=("taux-d-adoption",),
    ),
    Kpi(
        key="feature-usage-rate",
        name_en="Feature usage rate",
        name_fr="Taux d'usage",
        family="business",
        unit="percent",
        direction="up",
        formula=_per_level("feature_users", "customers"),
        definition="feature_users / customers (level at the start; group by feature)",
        aliases=("taux-d-usage",),
    ),
    Kpi(
        key="expansion-revenue",
        name_en="Expansion revenue",
        name_fr="Revenu d'expansion",
        family="business",
        unit="money",
        direction="up",
        formula=CounterRatio(_flow("expansion_revenue")),
        definition="sum of expansion_revenue",
        aliases=("revenu-d-expansion",),
    ),
    Kpi(
        key="ttfv",
        name_en="Time to first value",
        name_fr="Délai de première valeur",
        family="business",
        unit="seconds",
        direction="down",
        formula=_ratio("ttfv_seconds", "onboarded_customers"),
        definition="ttfv_seconds / onboarded_customers",
        aliases=("time-to-first-value",),
    ),
    Kpi(
        key="customer-roi",
        name_en="Customer ROI",
        name_fr="ROI client",
        family="business",
        unit="ratio",
        direction="up",
        formula=_ratio("value_delivered", "customer_cost"),
        definition="value_delivered / customer_cost",
        aliases=("roi-client",),
    ),
    # People
    Kpi(
        key="turnover-rate",
        name_en="Turnover rate",
        name_fr="Taux de turnover",
        family="people",
        unit="percent",
        direction="down",
        formula=_per_level("leavers", "headcount"),
        definition="leavers / headcount (level at the start)",
        aliases=("taux-de-turnover",),
    ),
    Kpi(
        key="absenteeism-rate",
        name_en="Absenteeism rate",
        name_fr="Taux d'absentéisme",
        family="people",
        unit="percent",
        direction="down",
        formula=_ratio("absence_hours", "scheduled_hours", 100, True),
        definition="absence_hours / scheduled_hours",
        aliases=("taux-d-absenteisme",),
    ),
    Kpi(
        key="training-rate",
        name_en="Training hours per person",
        name_fr="Taux de formation",
        family="people",
        unit="number",
        direction="up",
        formula=_per_level("training_hours", "headcount", scale=1.0, share=False),
        definition="training_hours / headcount (level at the start)",
        aliases=("taux-de-formation",),
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
    """Every name and alias, normalised, to its KPI; a name two KPIs share is refused."""
    index: dict[str, Kpi] = {}
    formulas: dict[object, str] = {}
    for kpi in CATALOGUE:
        if kpi.formula in formulas:
            raise ValueError(f"{kpi.key} computes what {formulas[kpi.formula]} does")
        formulas[kpi.formula] = kpi.key
        for name in (kpi.key, *kpi.aliases, kpi.name_en, kpi.name_fr):
            found = index.setdefault(normalise(name), kpi)
            if found is not kpi:
                raise ValueError(f"'{name}' names both {found.key} and {kpi.key}")
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
        key=name,
        name_en=name,
        name_fr=name,
        family="counters",
        unit="number",
        direction=None,
        formula=CounterRatio(_flow(name)),
        definition=f"sum of the {name} counter",
    )


def markdown_table() -> str:
    """The catalogue as the README's KPI table (`kpibot catalogue` prints it)."""
    arrows = {"up": "↑", "down": "↓", None: "—"}
    lines = [
        "| key | name (en / fr) | aliases | formula | unit | better |",
        "|---|---|---|---|---|---|",
    ]
    for kpi in CATALOGUE:
        lines.append(
            f"| `{kpi.key}` | {kpi.name_en} / {kpi.name_fr} | {', '.join(kpi.aliases)} | "
            f"{kpi.definition} | {kpi.unit} | {arrows[kpi.direction]} |"
        )
    return "\n".join(lines)
