"""The comments `themes` reads: the detractors' own words over two windows, in one query.

Only the comments of the answers the detractor condition selects, in the windows asked, with a
comment, are read (newest first, at most `limit`): never the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from query.plan import Condition, Filter, Window
from storage.aggregate.sql import condition, filter_conditions
from storage.models import RESPONSES

#: The most comments one question reads.
LIMIT = 20_000


@dataclass(frozen=True)
class Said:
    """One detractor's comment and the window it falls in (0: current, 1: previous…)."""

    window: int
    comment: str


def detractor_comments(
    *,
    session: Session,
    windows: Sequence[Window],
    detractor: Condition,
    filters: Sequence[Filter] = (),
    limit: int = LIMIT,
) -> list[Said]:
    """The comments of the answers `detractor` selects in each window, newest first."""
    c = RESPONSES.c
    which = case(
        *[
            (and_(c.submitted_at >= w.start, c.submitted_at < w.end), i)
            for i, w in enumerate(windows)
        ],
        else_=None,
    ).label("w")
    stmt = (
        select(which, c.comment)
        .where(
            c.submitted_at >= min(w.start for w in windows),
            c.submitted_at < max(w.end for w in windows),
            condition(RESPONSES, detractor),
            c.comment.is_not(None),
            func.length(func.trim(c.comment)) > 0,
            *filter_conditions("responses", filters),
        )
        .order_by(c.submitted_at.desc(), c.id.desc())
        .limit(limit)
    )
    return [Said(int(w), str(text)) for w, text in session.execute(stmt) if w is not None]
