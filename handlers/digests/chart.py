"""The digest's trend chart: the main KPIs over twelve periods, as a PNG (matplotlib).

Uses matplotlib's object API with the Agg canvas, never pyplot: no global state, safe from the
scheduler's threads, no display needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.digests.build import Series
from handlers.i18n import word

#: The units a chart labels its y axis with (their words are in `handlers.i18n`).
UNITS = ("nps", "percent", "seconds", "score", "count", "money")


def _scaled(series: Series) -> list[float | None]:
    if series.unit == "seconds":
        return [None if v is None else v / 3600 for v in series.values]
    return list(series.values)


def trend_png(series: Sequence[Series], *, title: str, language: str = "en") -> bytes:
    """Small multiples, one panel per KPI, one point per period (gaps where no value)."""
    panels = max(1, len(series))
    columns = 2 if panels > 1 else 1
    rows = (panels + columns - 1) // columns
    figure = Figure(figsize=(5.2 * columns, 2.6 * rows + 0.5), dpi=110)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=12)
    for index, one in enumerate(series):
        axes = figure.add_subplot(rows, columns, index + 1)
        values = _scaled(one)
        x = list(range(len(values)))
        points = [(i, v) for i, v in zip(x, values, strict=True) if v is not None]
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#2c7fb8", lw=2)
        if points:
            last_x, last_y = points[-1]
            axes.annotate(
                f"{last_y:.1f}".replace("-", "\u2212"),
                (last_x, last_y),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=9,
            )
        axes.set_title(one.name, fontsize=10)
        label = word(f"chart_unit_{one.unit}", language) if one.unit in UNITS else ""
        axes.set_ylabel(label, fontsize=8)
        step = max(1, len(x) // 6)
        axes.set_xticks(x[::step], [one.starts[i] for i in x[::step]], fontsize=8)
        axes.tick_params(axis="y", labelsize=8)
        axes.grid(alpha=0.3)
        axes.margins(y=0.18)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
