"""Who counts as a promoter, a detractor or a satisfied customer: the survey bands, once.

The formulas, the detractor alerts and the digests' comments all read these conditions (the
query contract's `Cond` and `AnyOf`), so an answer, an alert and a quoted comment never disagree
on who a detractor is.

CSAT and CES answers come on many scales: the connectors store a Zendesk good/bad rating or a
Typeform yes/no as 1–2, a Help Scout Great/Okay/Bad as 1–3, an Intercom rating as 1–5, a
Freshdesk rating as 1–7. What "satisfied" means depends on the scale, and is defined here per
scale from its top (`scale_max`, kept with every answer and in the rollup cells):

- a **short scale** (2 or 3 points: good/bad, yes/no, Great/Okay/Bad): only the top answer is
  satisfied and only the bottom one is dissatisfied (a detractor); Okay is neutral;
- a **longer scale** (4 points and more): the top two boxes are satisfied (4–5 on 1–5, 6–7 on
  1–7) and the bottom two are dissatisfied (1–2).

NPS and eNPS are always 0–10: promoters 9–10, detractors 0–6.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from query.plan import AnyOf, ColumnOffset, Cond

#: Scales with at most this many points count only their end answers as satisfied or not.
SHORT_SCALE = 3

#: NPS and eNPS promoters (9–10 on 0–10) and detractors (0–6).
PROMOTER = Cond("score", ">=", 9)
NPS_DETRACTOR = Cond("score", "<=", 6)

_SHORT = Cond("scale_max", "<=", SHORT_SCALE)
_LONG = Cond("scale_max", ">", SHORT_SCALE)

#: The satisfied answers of a CSAT (the easy ones of a CES): the top answer of a short scale,
#: the top two boxes of a longer one.
TOP = AnyOf(
    (
        (_SHORT, Cond("score", ">=", ColumnOffset("scale_max"))),
        (_LONG, Cond("score", ">=", ColumnOffset("scale_max", -1))),
    )
)
#: ...and the dissatisfied (difficult) ones: the bottom answer of a short scale, 1–2 otherwise.
BOTTOM = AnyOf(((_SHORT, Cond("score", "<=", 1)), (_LONG, Cond("score", "<=", 2))))

#: Each survey's detractor band. eNPS answers are anonymous: they are never alerted on or quoted.
DETRACTOR_BANDS: dict[str, AnyOf] = {
    "nps": AnyOf(((NPS_DETRACTOR,),)),
    "csat": BOTTOM,
    "ces": BOTTOM,
}
#: Surveys whose detractors page someone and whose comments digests quote.
ALERTING_SURVEYS: tuple[str, ...] = tuple(DETRACTOR_BANDS)


def of_survey(survey: str) -> Cond:
    """The answers of one survey kind."""
    return Cond("survey", "=", survey)


def detractors(surveys: Sequence[str] = ALERTING_SURVEYS) -> AnyOf:
    """Detractors of any of these surveys (NPS 0–6; CSAT and CES at the bottom of their scale)."""
    return AnyOf(
        tuple(
            (of_survey(survey), *option)
            for survey in surveys
            if survey in DETRACTOR_BANDS
            for option in DETRACTOR_BANDS[survey].options
        )
    )


Verdict = Literal["high", "middle", "low"]


def verdict(survey: str, score: int, scale_max: int) -> Verdict:
    """Where one answer falls, as the conditions above say: `high` (a promoter, satisfied,
    easy), `low` (a detractor, dissatisfied, difficult) or `middle` (passive, neutral).

    The Python twin of `PROMOTER`/`NPS_DETRACTOR` and `TOP`/`BOTTOM`, for the words shown
    beside one answer (`tests/test_bands.py` holds them to the SQL conditions).
    """
    if survey in ("nps", "enps"):
        return "high" if score >= 9 else "low" if score <= 6 else "middle"
    short = scale_max <= SHORT_SCALE
    if score >= (scale_max if short else scale_max - 1):
        return "high"
    if score <= (1 if short else 2):
        return "low"
    return "middle"
