"""The rollups feature: the refresh job, which runs in every scheduler, Slack or not."""

from __future__ import annotations

from handlers.feature import Feature
from handlers.rollups.jobs import setup

FEATURE = Feature(name="rollups", jobs=setup)
