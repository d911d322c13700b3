"""Who counts as a promoter, a detractor or a satisfied customer: the survey bands, once.

The formulas, the detractor alerts and the digests' comments all read these conditions (the
query contract's `Cond`), so an answer, an alert and a quoted comment never disagree on who a
detractor is.
"""

from __future__ import annotations

from collections.abc import Sequence

from query.plan import AnyOf, ColumnOffset, Cond

#: NPS and eNPS promoters (9–10 on 0–10) and detractors (0–6).
PROMOTER = Cond("score", ">=", 9)
NPS_DETRACTOR = Cond("score", "<=", 6)
#: The top two boxes of a scale (CSAT satisfied 4–5 on 1–5; CES easy 6–7 on 1–7)...
TOP_TWO = Cond("score", ">=", ColumnOffset("scale_max", -1))
#: ...and the bottom two (CSAT dissatisfied, CES difficult: 1–2).
BOTTOM_TWO = Cond("score", "<=", 2)

#: Each survey's detractor band. eNPS answers are anonymous: they are never alerted on or quoted.
DETRACTOR_BANDS: dict[str, Cond] = {"nps": NPS_DETRACTOR, "csat": BOTTOM_TWO, "ces": BOTTOM_TWO}
#: Surveys whose detractors page someone and whose comments digests quote.
ALERTING_SURVEYS: tuple[str, ...] = tuple(DETRACTOR_BANDS)


def of_survey(survey: str) -> Cond:
    """The answers of one survey kind."""
    return Cond("survey", "=", survey)


def detractors(surveys: Sequence[str] = ALERTING_SURVEYS) -> AnyOf:
    """Detractors of any of these surveys (NPS 0–6; CSAT and CES 1–2)."""
    return AnyOf(tuple((of_survey(s), DETRACTOR_BANDS[s]) for s in surveys if s in DETRACTOR_BANDS))
