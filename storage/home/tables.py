"""The Home tab's trend image of each day: one row per local day, claimed before the upload.

The first process to open someone's Home tab on a new day inserts the day's row (its primary
key is the lock), draws the trend and uploads it, then records the Slack file id; the others,
and every later opening, refer to that file. A failed upload deletes its claim so the next
opening tries again; a claim left by a process that died is taken over after a few minutes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from storage.models import table_of, utcnow
from storage.types import UTCDateTime


class HomeTrend(SQLModel, table=True):
    """The trend image of one local day (`day`: ISO date) and the Slack file it became."""

    __tablename__ = "home_trends"

    day: str = Field(sa_column=Column(String(10), primary_key=True))
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    file_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


HOME_TRENDS = table_of(HomeTrend)
