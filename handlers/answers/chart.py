"""Charts on demand (`/nps last-90d chart`): a KPI over its period's steps, as a PNG.

Drawn on matplotlib's object API with the Agg canvas, never pyplot (no global state, safe from
the pool's threads), as the digest's chart is. Colours are the Okabe–Ito palette, which people
with the common colour-vision deficiencies tell apart, and each line also has its own marker
(and the previous period a dashed grey line), so no line is told from another by colour alone.
The file's title and the message text say what the chart shows and its last value (`caption`):
that is its alt text.
"""

from __future__ import annotations

import io
import logging
import textwrap
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from slack_sdk import WebClient
from slack_sdk.models.blocks import ContextBlock

from handlers import formatting as fmt
from handlers.answers.service import answer_series
from handlers.deps import Deps
from handlers.i18n import say, when, word
from handlers.slack.blocks import clip, md
from kpis.periods import Period
from kpis.question import Question
from kpis.series import Series

log = logging.getLogger("kpibot.slack")

#: Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
#: reddish purple, sky blue.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P")
PREVIOUS = "#7F7F7F"
#: Units whose figures carry a confidence interval worth a band (shares and scores).
BANDED = frozenset({"nps", "percent", "score"})
_TICKS = {"day": "%d %b", "week": "%d %b", "month": "%b %Y"}


def _scale(series: Series) -> tuple[float, str]:
    """What the values are divided by on the y axis, and the axis label's i18n key."""
    if series.unit == "seconds":
        biggest = max(
            (abs(v) for line in series.lines for v in line.values if v is not None), default=0.0
        )
        return (3600.0, "chart_unit_seconds") if biggest >= 7200 else (60.0, "chart_unit_minutes")
    return 1.0, f"chart_unit_{series.unit}"


def _scaled(values: list[float | None], by: float) -> list[float | None]:
    return [None if v is None else v / by for v in values]


def tick_labels(series: Series, language: str) -> list[str]:
    """Each step's start, as the x axis writes it (local dates)."""
    zone = ZoneInfo(series.period.tz)
    pattern = _TICKS[series.step]
    return [when(w.start.astimezone(zone), pattern, language) for w in series.steps]


def caption(series: Series, *, currency: str = "EUR", language: str = "en") -> str:
    """What the chart shows and its last value, in words: its title and alt text."""
    name = series.display_name(language)
    step = word(f"chart_step_{series.step}", language)
    text = say("chart_caption", language, kpi=name, period=series.period.label, step=step)
    if series.group_by:
        text += say("chart_caption_by", language, name=series.group_by)
    found = series.last()
    if found is not None and not series.group_by:
        index, figure = found
        value = fmt.figure_text(series.unit, figure, currency, language)
        start = tick_labels(series, language)[index]
        text += say("chart_caption_last", language, value=value, start=start)
    elif series.group_by:
        parts = []
        for line in series.lines:
            last = series.last(line)
            if last is not None:
                parts.append(
                    f"{line.label} {fmt.figure_text(series.unit, last[1], currency, language)}"
                )
        if parts:
            text += say("chart_caption_groups", language, values=", ".join(parts))
    else:
        text += word("chart_caption_empty", language)
    return text


def chart_png(series: Series, *, currency: str = "EUR", language: str = "en") -> bytes:
    """The KPI's line over the steps; the previous period dashed; a 95 % band for shares and
    scores; with `by`, one line per group."""
    figure = Figure(figsize=(8.0, 4.2), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    by, unit_key = _scale(series)
    x = list(range(len(series.steps)))
    single = series.group_by is None
    if single and series.previous is not None:
        values = _scaled(series.previous.values, by)
        points = [(i, v) for i, v in zip(x, values, strict=True) if v is not None]
        if points:
            axes.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                color=PREVIOUS,
                linestyle="--",
                marker=".",
                lw=1.5,
                label=word("chart_previous", language),
            )
    for index, line in enumerate(series.lines):
        colour = PALETTE[index % len(PALETTE)]
        values = _scaled(line.values, by)
        points = [(i, v) for i, v in zip(x, values, strict=True) if v is not None]
        label = series.display_name(language) if single else line.label
        if single and series.unit in BANDED:
            band = [
                (i, f.ci.low / by, f.ci.high / by)
                for i, f in enumerate(line.figures)
                if f.ci is not None and f.value is not None
            ]
            if band:
                axes.fill_between(
                    [b[0] for b in band],
                    [b[1] for b in band],
                    [b[2] for b in band],
                    color=colour,
                    alpha=0.15,
                    lw=0,
                    label=word("chart_band", language),
                )
        axes.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=colour,
            marker=MARKERS[index % len(MARKERS)],
            lw=2,
            label=label,
        )
        if points and single:
            last_x, last_y = points[-1]
            axes.annotate(
                fmt.number(last_y, 1, language).replace("-", "\u2212"),
                (last_x, last_y),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=9,
                color=colour,
            )
    title = textwrap.fill(caption(series, currency=currency, language=language), 110)
    axes.set_title(title, fontsize=9)
    axes.set_ylabel(word(unit_key, language) if unit_key in _UNIT_KEYS else "", fontsize=9)
    labels = tick_labels(series, language)
    every = max(1, (len(x) + 9) // 10)
    axes.set_xticks(x[::every], labels[::every], fontsize=8, rotation=0)
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(alpha=0.3)
    axes.margins(y=0.15)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=8, loc="best", frameon=False)
    # fixed margins, not tight_layout: measuring the text costs a second draw of the figure
    top = 0.9 if "\n" not in title else 0.86
    figure.subplots_adjust(left=0.08, right=0.98, top=top, bottom=0.09)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


_UNIT_KEYS = frozenset(
    {
        "chart_unit_nps",
        "chart_unit_percent",
        "chart_unit_seconds",
        "chart_unit_minutes",
        "chart_unit_score",
        "chart_unit_count",
        "chart_unit_money",
    }
)


@dataclass(frozen=True)
class ChartAsk:
    """A chart asked with a question: the question, the period its answer covered, and the
    language it is answered in."""

    question: Question
    period: Period
    language: str = "en"


def chart_note(*, share: bool, language: str) -> dict[str, Any]:
    """The context line an answer gets when its chart follows (in the DM, or the channel)."""
    key = "chart_in_channel" if share else "chart_in_dm"
    return ContextBlock(elements=[md(word(key, language))]).to_dict()


def send_chart(
    deps: Deps,
    client: WebClient,
    asked: ChartAsk,
    *,
    user_id: str,
    channel_id: str,
    share: bool,
    thread_ts: str | None = None,
) -> str | None:
    """Draw the chart and upload it: to the channel when shared, else to the asker's DM with
    the bot (Slack attaches no file to an ephemeral message); `thread_ts` puts a shared one in
    the answer's thread. The channel it went to, or None when it failed (logged)."""
    settings = deps.settings
    try:
        series = answer_series(deps=deps, question=asked.question, period=asked.period)
        png = chart_png(series, currency=settings.currency, language=asked.language)
        title = caption(series, currency=settings.currency, language=asked.language)
        target = channel_id
        if not share or not target:
            opened = client.conversations_open(users=user_id)
            target = str((opened.get("channel") or {}).get("id", ""))
            thread_ts = None
        client.files_upload_v2(
            channel=target,
            file=png,
            filename=f"kpibot-{series.key}-{series.period.label}.png",
            title=clip(title, 250),
            alt_txt=clip(title, 1000),
            initial_comment=clip(title, 3000),
            thread_ts=thread_ts,
        )
    except Exception:
        log.exception("the chart of %r could not be sent", asked.question.text)
        return None
    return target
