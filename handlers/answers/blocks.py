"""The KPI answers' Block Kit messages: pure functions from results (or errors) to messages.

The answer to a question, a clear answer to bad input, `/kpi help` and `/kpi list`, built
with slack_sdk's models and held to Slack's limits (`handlers.slack.blocks.limits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from handlers import formatting as fmt
from handlers.i18n import word
from handlers.slack.blocks import (
    MAX_CONTEXT,
    MAX_FIELD,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_SECTION,
    Message,
    clip,
    limits,
    md,
)
from kpis.catalogue import CATALOGUE
from kpis.periods import EXAMPLES
from kpis.result import Figure, KpiResult

USAGE = (
    "`/kpi <kpi> [period] [attribute=value …] [attribute!=value …] [by attribute] [top=N] "
    "[share]`\n"
    "`/nps`, `/csat`, `/ces`, `/enps` take the same words without the KPI."
)
EXAMPLE_COMMANDS = (
    "/nps last-30d",
    "/kpi frt this-week channel=email",
    "/kpi fcr last-quarter by team",
    "/kpi dmt mtd",
    "/csat last-week plan=enterprise share",
)


def _period_text(result: KpiResult, language: str) -> str:
    zone = ZoneInfo(result.period.tz)
    start = result.period.current.start.astimezone(zone)
    end = result.period.current.end.astimezone(zone)
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} ({result.period.tz})"


def _figure(result: KpiResult, figure: Figure, currency: str, language: str) -> str:
    return fmt.figure_text(result.unit, figure, currency, language)


def summary(result: KpiResult, *, currency: str = "EUR", language: str = "en") -> str:
    """The one-line summary: notification text and screen-reader text."""
    value = _figure(result, result.current, currency, language)
    line = f"{result.display_name(language)} {result.period.label}: {value}"
    if fmt.shows_n(result.unit):
        line += f" (n = {fmt.number(result.current.n, 0, language)})"
    if result.delta is not None:
        previous = _figure(result, result.previous, currency, language)
        line += f", {fmt.delta(result, currency, language)} {word('vs', language)} {previous}"
    return line


def answer(result: KpiResult, *, currency: str = "EUR", language: str = "en") -> Message:
    """The answer to a KPI question, as a Block Kit message."""

    def w(key: str) -> str:
        return word(key, language)

    value = _figure(result, result.current, currency, language)
    counted = not fmt.shows_n(result.unit)  # a count's n is its value: not shown twice
    fields = [md(f"*{w('value')}*\n*{value}*", MAX_FIELD)]
    if not counted:
        fields.append(md(f"*{w('n')}*\n{fmt.number(result.current.n, 0, language)}", MAX_FIELD))
    previous = (
        _figure(result, result.previous, currency, language)
        if result.previous.value is not None
        else w("no_previous")
    )
    if not counted:
        previous += f" (n = {fmt.number(result.previous.n, 0, language)})"
    fields.append(md(f"*{w('previous')}*\n{previous}", MAX_FIELD))
    if result.delta is not None:
        verdict = fmt.verdict(result, language)
        change = f"{fmt.delta(result, currency, language)} — {verdict}"
        fields.append(md(f"*{w('change')}*\n{change}", MAX_FIELD))
    if result.current.ci is not None:
        low = fmt.value(result.unit, result.current.ci.low, currency, language)
        high = fmt.value(result.unit, result.current.ci.high, currency, language)
        fields.append(md(f"*{w('ci')}*\n{low} … {high}", MAX_FIELD))
    header = f"{result.display_name(language)} · {result.period.label}"
    if result.group_by:
        header += f" · {w('by')} {result.group_by}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(header, MAX_HEADER))),
        SectionBlock(fields=fields[:MAX_FIELDS]),
    ]
    parts = result.current.parts
    details = []
    if result.current.value is not None and "promoters" in parts:
        details.append(
            " · ".join(
                f"{w(name)} {fmt.value('percent', parts[name] or 0.0, currency, language)}"
                f" ({fmt.number(parts[name + '_count'] or 0, 0, language)})"
                for name in ("promoters", "passives", "detractors")
            )
        )
    if parts.get("median") is not None:
        line = f"{w('median')} {fmt.value(result.unit, parts['median'] or 0.0, currency, language)}"
        if parts.get("p90") is not None:
            line += f" · p90 {fmt.value(result.unit, parts['p90'] or 0.0, currency, language)}"
        details.append(line)
    if details:
        blocks.append(ContextBlock(elements=[md(d, MAX_FIELD) for d in details]))
    if result.groups:
        width = min(max(len(g.key) for g in result.groups), 24)
        rows = []
        for group in result.groups:
            text = _figure(result, group.figure, currency, language)
            moved = ""
            if group.delta is not None:
                moved = "  " + fmt.change(result.unit, group.delta, currency, language)
            n = "" if counted else f"  n={fmt.number(group.figure.n, 0, language)}"
            key = clip(group.key.replace("`", "ˋ"), width)  # a backtick would end the table
            rows.append(f"{key:<{width}}  {text:>14}{n}{moved}")
        blocks.append(SectionBlock(text=md(clip("```" + "\n".join(rows), MAX_SECTION - 3) + "```")))
    colon = w("colon")
    notes = [f"{w('period')}{colon}{_period_text(result, language)}"]
    if result.filters:
        shown = ", ".join(f.text for f in result.filters)
        notes.append(f"{w('filters')}{colon}{shown}")
    if result.low_sample and not counted:
        notes.append(w("low_sample"))
    notes.append(w("more"))
    blocks.append(ContextBlock(elements=[md(n, MAX_FIELD) for n in notes[:MAX_CONTEXT]]))
    return Message(summary(result, currency=currency, language=language), limits(blocks))


def error(message: str, suggestions: Sequence[str] = (), *, language: str = "en") -> Message:
    """A clear ephemeral answer to bad input: what was wrong, the closest matches, usage."""
    colon = word("colon", language)
    text = f"{word('error', language)}{colon}{message}"
    lines = [f":warning: *{text}*"]
    if suggestions:
        lines.append(
            f"{word('did_you_mean', language)}{colon}" + ", ".join(f"`{s}`" for s in suggestions)
        )
    blocks: list[Block] = [
        SectionBlock(text=md("\n".join(lines))),
        SectionBlock(text=md(USAGE)),
        ContextBlock(
            elements=[
                md(
                    f"{word('examples', language)}{colon}"
                    + " · ".join(f"`{e}`" for e in EXAMPLE_COMMANDS)
                )
            ]
        ),
    ]
    return Message(text, limits(blocks))


#: The help lines of the answers themselves (`handlers.answers.FEATURE`).
HELP = ("help_list",)


def help_message(*, language: str = "en", more: Sequence[str] = HELP) -> Message:
    """Usage with examples (`/kpi help`, a bare `/kpi`), and every feature's help lines."""

    def w(key: str) -> str:
        return word(key, language)

    periods = ", ".join(f"`{p}`" for p in EXAMPLES[:8])
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=word("usage_title", language))),
        SectionBlock(text=md(USAGE)),
        SectionBlock(
            text=md(
                f"*{w('periods')}*: {periods}, `2026-03`, `2026-Q1`, `2026-W09`, "
                f"`2026-01-01..2026-01-31` ({w('default')} `last-30d`)\n"
                f"*{w('filters')}*: `plan=enterprise`, `channel!=email` · "
                f"*{w('groups')}*: `by team`, `top=5`\n"
                f"{w('private')}"
            )
        ),
        SectionBlock(
            text=md(f"*{w('examples')}*\n" + "\n".join(f"`{e}`" for e in EXAMPLE_COMMANDS))
        ),
        ContextBlock(elements=[md(" ".join(w(key) for key in more))]),
    ]
    return Message(w("help_text"), limits(blocks))


def catalogue_message(*, language: str = "en") -> Message:
    """One line per KPI of the catalogue, grouped by family."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=word("catalogue", language)))]
    families: dict[str, list[str]] = {}
    for kpi in CATALOGUE:
        alias = f" ({', '.join(kpi.aliases[:2])})" if kpi.aliases else ""
        families.setdefault(kpi.family, []).append(
            f"`{kpi.key}`{alias} — {kpi.name(language)}: {kpi.definition}"
        )
    for family, lines in families.items():
        chunk = f"*{family.capitalize()}*"
        for line in lines:
            if len(chunk) + len(line) + 1 > MAX_SECTION:
                blocks.append(SectionBlock(text=md(chunk)))
                chunk = ""
            chunk += "\n" + line
        blocks.append(SectionBlock(text=md(chunk)))
    blocks.append(DividerBlock())
    blocks.append(ContextBlock(elements=[md(word("counters", language))]))
    return Message(f"{len(CATALOGUE)} KPIs: " + ", ".join(k.key for k in CATALOGUE), limits(blocks))
