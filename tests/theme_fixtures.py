"""A planted mix of detractor comments: three topics in English and French, uneven, plus noise."""

from __future__ import annotations

import random

BILLING = (
    "I was charged twice this month",
    "Charged twice for the same order, please refund",
    "Double charge on my card again",
    "Facturé deux fois ce mois-ci",
    "J'ai été facturé deux fois, remboursement svp",
    "Wrong invoice, I was billed twice",
    "Encore une facture en double",
)
WAITING = (
    "Waited three days for an answer",
    "Still waiting for a reply after a week",
    "Toujours pas de réponse après une semaine d'attente",
    "No answer from support for days",
    "J'attends une réponse depuis trois jours",
    "Waiting days for anyone to reply",
)
OUTAGE = (
    "The app was down all morning",
    "Application en panne toute la matinée",
    "App down again during our busiest hour",
    "Le site était en panne hier",
    "Outage again, the app crashed",
)
NOISE = (
    "meh",
    "The colour of the logo is ugly",
    "Pas terrible",
    "Nothing to add",
    "Your newsletter is too long",
    "Je préfère l'ancienne version du menu",
    "Too many emails about surveys",
    "Bof",
)


def planted(seed: int = 7, total: int = 400) -> list[str]:
    """50 % billing, 30 % waiting, 14 % outage, 6 % noise, shuffled, with light variations."""
    rng = random.Random(seed)
    counts = {BILLING: int(total * 0.5), WAITING: int(total * 0.3), OUTAGE: int(total * 0.14)}
    out = []
    for pool, count in counts.items():
        out += [
            rng.choice(pool) + rng.choice(("", ".", "!", " :(", " - again")) for _ in range(count)
        ]
    out += [rng.choice(NOISE) for _ in range(total - len(out))]
    rng.shuffle(out)
    return out
