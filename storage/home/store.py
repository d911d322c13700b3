"""Claiming a day's Home trend image, recording its Slack file, finding the latest one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.home.tables import HOME_TRENDS


def claim_trend(*, session: Session, day: str, now: datetime, stale_before: datetime) -> bool:
    """Whether this process now owns the upload of `day`'s trend: True for the first claim,
    or for one left without a file since before `stale_before` (its process died)."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = (
        insert(HOME_TRENDS)
        .values(day=day, claimed_at=now)
        .on_conflict_do_nothing()
        .returning(HOME_TRENDS.c.day)
    )
    if session.execute(statement).first() is not None:
        return True
    taken = session.execute(
        update(HOME_TRENDS)
        .where(
            HOME_TRENDS.c.day == day,
            HOME_TRENDS.c.file_id.is_(None),
            HOME_TRENDS.c.claimed_at < stale_before,
        )
        .values(claimed_at=now)
    )
    return bool(getattr(taken, "rowcount", 0))


def record_trend(*, session: Session, day: str, file_id: str) -> None:
    """The day's trend is uploaded: the Slack file every Home tab refers to."""
    session.execute(update(HOME_TRENDS).where(HOME_TRENDS.c.day == day).values(file_id=file_id))


def release_trend(*, session: Session, day: str) -> None:
    """The upload failed: drop the claim, so the next opening tries again."""
    session.execute(
        delete(HOME_TRENDS).where(HOME_TRENDS.c.day == day, HOME_TRENDS.c.file_id.is_(None))
    )


def latest_trend(*, session: Session, day: str) -> tuple[str, str] | None:
    """The newest uploaded trend on or before `day`: (its day, its Slack file id)."""
    row = session.execute(
        select(HOME_TRENDS.c.day, HOME_TRENDS.c.file_id)
        .where(HOME_TRENDS.c.day <= day, HOME_TRENDS.c.file_id.is_not(None))
        .order_by(HOME_TRENDS.c.day.desc())
        .limit(1)
    ).first()
    return None if row is None else (str(row[0]), str(row[1]))
