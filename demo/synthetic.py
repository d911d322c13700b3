"""Seeded synthetic CX data: a year of surveys with comments, tickets and business counters.

Weekly seasonality (quiet weekends, busy Mondays), business-hours tickets, a slow improvement
over the year and a few incidents (an outage week, a billing bug that hurts the paying plans, a
slow-support month) that show in NPS, CSAT, first response time and the backlog, and in what
detractors write (`INCIDENT_COMPLAINTS`). Rows come out in the shape
`storage.ingest` takes, so the demo goes through the same writes as a real import.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SOURCE = "demo"
PLANS = (("free", 0.5), ("pro", 0.35), ("enterprise", 0.15))
CHANNELS = (("email", 0.4), ("chat", 0.35), ("phone", 0.15), ("web", 0.10))
REGIONS = (("emea", 0.45), ("na", 0.4), ("apac", 0.15))
TEAMS = {
    "care": ("ana", "bruno", "chloe", "dev"),
    "billing": ("emma", "farid"),
    "tech": ("gina", "hugo", "ines"),
}
#: Typical first-response delay (minutes, median) per channel.
CHANNEL_DELAY = {"chat": 3.0, "phone": 1.0, "email": 180.0, "web": 240.0}

PRAISE = (
    "Quick and friendly answer, thanks!",
    "Solved in one call, great support.",
    "Love the product, the new dashboard is great.",
    "Super réactif, merci !",
    "The agent went above and beyond.",
)
NEUTRAL = (
    "Fine, but it took a while.",
    "OK overall, the app is a bit slow.",
    "Correct, sans plus.",
    "Good product, pricey for what it is.",
)
COMPLAINTS = (
    "Waited three days for an answer.",
    "I was charged twice and nobody replied.",
    "The app was down during our busiest hour.",
    "Had to explain my issue 4 times.",
    "Service client injoignable, très déçu.",
    "Export has been broken for a week.",
)

#: What detractors say during each incident (English and French): the themes `/kpi themes`
#: finds over an incident's days.
INCIDENT_COMPLAINTS = {
    "outage": (
        "The app was down during our busiest hour.",
        "Application en panne toute la matinée.",
        "Site down again, we could not work.",
        "App crashed all day, nothing worked.",
    ),
    "billing bug": (
        "I was charged twice and nobody replied.",
        "Facturé deux fois ce mois-ci !",
        "Double charge on my invoice, please refund.",
        "Encore une facture en double.",
    ),
    "support backlog": (
        "Waited three days for an answer.",
        "Toujours pas de réponse après une semaine.",
        "Still waiting for a reply, support is so slow.",
        "J'attends une réponse depuis des jours.",
    ),
}


@dataclass(frozen=True)
class Incident:
    """A stretch of bad days: scores drop and support slows."""

    name: str
    start: int
    days: int
    severity: float


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def incidents(days: int) -> list[Incident]:
    """Three incidents placed at fixed fractions of the history."""
    return [
        Incident("outage", int(days * 0.30), 6, 0.9),
        Incident("billing bug", int(days * 0.62), 10, 0.6),
        Incident("support backlog", int(days * 0.85), 21, 0.45),
    ]


def _incident(day: int, events: list[Incident]) -> Incident | None:
    """The worst incident going on that day, if any."""
    going = [e for e in events if e.start <= day < e.start + e.days]
    return max(going, key=lambda e: e.severity) if going else None


def _trouble(day: int, events: list[Incident]) -> float:
    return max((e.severity for e in events if e.start <= day < e.start + e.days), default=0.0)


def _weekday_factor(when: datetime) -> float:
    return (1.25, 1.1, 1.05, 1.0, 0.95, 0.45, 0.35)[when.weekday()]


def responses(
    *, seed: int, end: datetime, days: int = 365, per_day: int = 150
) -> Iterator[dict[str, Any]]:
    """Survey answers (NPS most, then CSAT, CES, a few eNPS) with comments and attributes."""
    rng = random.Random(seed)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    events = incidents(days)
    serial = 0
    for day in range(days):
        date = start + timedelta(days=day)
        trouble = _trouble(day, events)
        incident = _incident(day, events)
        progress = day / max(days, 1)
        count = int(per_day * _weekday_factor(date) * rng.uniform(0.85, 1.15))
        for _ in range(count):
            serial += 1
            at = date + timedelta(seconds=rng.randrange(86_400))
            if at >= end:
                continue
            survey = rng.choices(("nps", "csat", "ces", "enps"), (0.6, 0.25, 0.13, 0.02))[0]
            plan, channel, region = _pick(rng, PLANS), _pick(rng, CHANNELS), _pick(rng, REGIONS)
            felt = trouble
            if incident is not None and incident.name == "billing bug" and plan == "free":
                felt = 0.1 * trouble  # a billing bug hurts the customers who pay
            mood = rng.gauss(
                0.35 + 0.15 * progress - felt + (0.1 if plan == "enterprise" else 0), 0.55
            )
            mood = max(-1.0, min(1.0, mood))
            if survey in ("nps", "enps"):
                score, top = max(0, min(10, round(7.2 + 3.2 * mood))), 10
            elif survey == "csat":
                score, top = max(1, min(5, round(3.9 + 1.6 * mood))), 5
            else:
                score, top = max(1, min(7, round(5.2 + 2.2 * mood))), 7
            share = score / top
            comment = None
            if survey != "enps" and rng.random() < (0.55 if share < 0.6 else 0.2):
                pool = COMPLAINTS if share < 0.6 else PRAISE if share >= 0.85 else NEUTRAL
                if pool is COMPLAINTS and incident is not None:
                    pool = INCIDENT_COMPLAINTS[incident.name]
                comment = rng.choice(pool)
            attributes = (
                {"team": rng.choice(tuple(TEAMS)), "site": region}
                if survey == "enps"
                else {"plan": plan, "channel": channel, "region": region}
            )
            yield {
                "external_id": f"resp-{seed}-{serial}",
                "source": SOURCE,
                "survey": survey,
                "score": score,
                "scale_max": top,
                "comment": comment,
                "customer_id": None if survey == "enps" else f"cust-{rng.randint(1, 4000)}",
                "submitted_at": at,
                "attributes": attributes,
            }


def tickets(
    *, seed: int, end: datetime, days: int = 365, per_day: int = 300
) -> Iterator[dict[str, Any]]:
    """Support tickets in business hours: response and resolution times by channel, incidents."""
    rng = random.Random(seed + 1)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    events = incidents(days)
    serial = 0
    for day in range(days):
        date = start + timedelta(days=day)
        trouble = _trouble(day, events)
        count = int(per_day * _weekday_factor(date) * (1 + trouble) * rng.uniform(0.85, 1.15))
        for _ in range(count):
            serial += 1
            hour = min(23.99, max(0.0, rng.gauss(13, 3.2)))
            created = date + timedelta(hours=hour)
            if created >= end:
                continue
            channel = _pick(rng, CHANNELS)
            team = rng.choices(tuple(TEAMS), (0.6, 0.2, 0.2))[0]
            slow = 1 + 3 * trouble
            delay = rng.lognormvariate(math.log(CHANNEL_DELAY[channel] * 60 * slow), 0.8)
            first = created + timedelta(seconds=delay)
            resolution = rng.lognormvariate(math.log(6 * 3600 * slow), 1.0) + delay
            resolved = created + timedelta(seconds=resolution)
            contacts = 1 if rng.random() < 0.74 - 0.2 * trouble else rng.randint(2, 4)
            yield {
                "external_id": f"tkt-{seed}-{serial}",
                "source": SOURCE,
                "created_at": created,
                "first_response_at": first if first < end else None,
                "resolved_at": resolved if resolved < end and rng.random() > 0.01 else None,
                "handle_seconds": round(rng.lognormvariate(math.log(540), 0.6) * contacts, 1),
                "contacts": contacts,
                "escalated": rng.random() < 0.06 + 0.1 * trouble,
                "reopened": rng.random() < 0.05 + 0.05 * trouble,
                "channel": channel,
                "team": team,
                "agent": rng.choice(TEAMS[team]),
                "customer_id": f"cust-{rng.randint(1, 4000)}",
                "attributes": {
                    "plan": _pick(rng, PLANS),
                    "priority": rng.choice(("low", "normal", "high")),
                },
            }


def counters(*, seed: int, end: datetime, days: int = 365) -> Iterator[dict[str, Any]]:
    """Daily business counters (flows) and a daily `customers` level consistent with them."""
    rng = random.Random(seed + 2)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    events = incidents(days)
    customers = 4000.0
    for day in range(days):
        date = start + timedelta(days=day)
        if date >= end:
            break
        trouble = _trouble(day, events)
        factor = _weekday_factor(date)
        impressions = int(rng.uniform(40_000, 60_000) * factor)
        clicks = int(impressions * rng.uniform(0.018, 0.03))
        sessions = int(clicks * 1.6 + rng.uniform(800, 1200) * factor)
        orders = int(sessions * rng.uniform(0.02, 0.035) * (1 - 0.3 * trouble))
        carts = int(orders * rng.uniform(2.5, 3.5))
        new = int(rng.uniform(8, 16) * factor)
        lost = int(rng.uniform(4, 9) * (1 + 2 * trouble))
        values = {
            "impressions": impressions,
            "clicks": clicks,
            "cost": round(impressions * 0.0031, 2),
            "visitors": int(sessions * 0.8),
            "sessions": sessions,
            "bounces": int(sessions * rng.uniform(0.35, 0.5)),
            "pageviews": int(sessions * rng.uniform(2.5, 3.5)),
            "conversions": orders,
            "orders": orders,
            "revenue": round(orders * rng.uniform(55, 75), 2),
            "carts_created": carts,
            "carts_abandoned": carts - orders,
            "new_customers": new,
            "customers_lost": lost,
            "purchases": orders,
            "referred_purchases": int(orders * rng.uniform(0.05, 0.12)),
            "surveys_sent": int(600 * factor),
        }
        for name, value in values.items():
            yield {
                "external_id": f"{name}-{date:%Y-%m-%d}",
                "source": SOURCE,
                "name": name,
                "value": float(value),
                "at": date,
                "kind": "flow",
                "attributes": {},
            }
        yield {
            "external_id": f"customers-{date:%Y-%m-%d}",
            "source": SOURCE,
            "name": "customers",
            "value": customers,
            "at": date,
            "kind": "level",
            "attributes": {},
        }
        customers += new - lost


def default_end() -> datetime:
    """The demo's history ends now (to the hour), so `last-30d` shows recent data."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
