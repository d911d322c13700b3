"""What the engine answers: a figure per period (and per group), with its statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kpis.periods import Period
from kpis.stats import Interval
from query.plan import Filter

Unit = Literal["nps", "percent", "score", "seconds", "money", "count", "ratio", "number"]
Direction = Literal["up", "down"]

NO_DATA = "no data in this period"
ZERO_DENOMINATOR = "the denominator is zero"
FEWER_THAN_FIVE = "fewer than 5 answers"
LOW_SAMPLE = 30


@dataclass(frozen=True)
class Figure:
    """One KPI value over one window: `value` is None (with a `reason`) when undefined."""

    value: float | None
    n: int
    reason: str | None = None
    parts: dict[str, float | None] = field(default_factory=dict)
    ci: Interval | None = None

    @property
    def low_sample(self) -> bool:
        """Whether n is too small to trust (n < 30)."""
        return self.value is not None and self.n < LOW_SAMPLE


@dataclass(frozen=True)
class GroupFigure:
    """A group's figure; `key` is the attribute value, `other` for the folded rest."""

    key: str
    figure: Figure
    previous: Figure | None = None

    @property
    def delta(self) -> float | None:
        """Change against the group's previous period."""
        if self.previous is None or self.figure.value is None or self.previous.value is None:
            return None
        return self.figure.value - self.previous.value


@dataclass(frozen=True)
class KpiResult:
    """The answer to a question: the current figure, the previous one, and the change."""

    key: str
    name: str
    unit: Unit
    direction: Direction | None
    period: Period
    current: Figure
    previous: Figure
    delta: float | None
    significant: bool | None
    filters: tuple[Filter, ...] = ()
    group_by: str | None = None
    groups: tuple[GroupFigure, ...] = ()
    #: The KPI's French name (answers in French use it).
    name_fr: str = ""

    def display_name(self, language: str = "en") -> str:
        """The KPI's name in English or French."""
        return self.name_fr if language == "fr" and self.name_fr else self.name

    @property
    def low_sample(self) -> bool:
        """Whether the current n is too small to trust."""
        return self.current.low_sample

    @property
    def improved(self) -> bool | None:
        """Whether the change goes the better way (None when flat, unknown or neutral)."""
        if self.delta is None or self.delta == 0 or self.direction is None:
            return None
        return (self.delta > 0) == (self.direction == "up")
