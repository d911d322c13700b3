"""Block Kit builders: pure functions from results (or errors) to Slack messages.

Built with slack_sdk's Block Kit models, then held to Slack's limits whatever the input:
50 blocks, 3,000 characters a section, 10 fields of 2,000, 150-character headers, 10 context
elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers import formatting as fmt
from handlers.slack.i18n import word
from kpis.catalogue import CATALOGUE
from kpis.periods import EXAMPLES
from kpis.result import Figure, KpiResult

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_CONTEXT = 10

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


@dataclass(frozen=True)
class Message:
    """A Slack message: its notification text and its blocks (as JSON-ready dicts)."""

    text: str
    blocks: list[dict[str, Any]]


def clip(text: str, limit: int) -> str:
    """Text cut to a limit, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _limits(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    out = []
    for block in blocks[:MAX_BLOCKS]:
        data = block.to_dict()
        if data.get("type") == "section":
            if "text" in data:
                data["text"]["text"] = clip(data["text"]["text"], MAX_SECTION)
            if "fields" in data:
                data["fields"] = [
                    {**f, "text": clip(f["text"], MAX_FIELD)} for f in data["fields"][:MAX_FIELDS]
                ]
        elif data.get("type") == "header":
            data["text"]["text"] = clip(data["text"]["text"], MAX_HEADER)
        elif data.get("type") == "context":
            data["elements"] = data["elements"][:MAX_CONTEXT]
        out.append(data)
    return out


def _md(text: str, limit: int = MAX_SECTION) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


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
    n = fmt.number(result.current.n, 0, language)
    line = f"{result.display_name(language)} {result.period.label}: {value} (n = {n})"
    if result.delta is not None:
        previous = _figure(result, result.previous, currency, language)
        line += f", {fmt.delta(result, currency, language)} vs {previous}"
    return line


def answer(result: KpiResult, *, currency: str = "EUR", language: str = "en") -> Message:
    """The answer to a KPI question, as a Block Kit message."""

    def w(key: str) -> str:
        return word(key, language)

    value = _figure(result, result.current, currency, language)
    fields = [
        _md(f"*{w('value')}*\n*{value}*", MAX_FIELD),
        _md(f"*{w('n')}*\n{fmt.number(result.current.n, 0, language)}", MAX_FIELD),
    ]
    previous = (
        _figure(result, result.previous, currency, language)
        if result.previous.value is not None
        else w("no_previous")
    )
    previous_n = fmt.number(result.previous.n, 0, language)
    fields.append(_md(f"*{w('previous')}*\n{previous} (n = {previous_n})", MAX_FIELD))
    if result.delta is not None:
        verdict = fmt.verdict(result, language)
        change = f"{fmt.delta(result, currency, language)} — {verdict}"
        fields.append(_md(f"*{w('change')}*\n{change}", MAX_FIELD))
    if result.current.ci is not None:
        low = fmt.value(result.unit, result.current.ci.low, currency, language)
        high = fmt.value(result.unit, result.current.ci.high, currency, language)
        fields.append(_md(f"*{w('ci')}*\n{low} … {high}", MAX_FIELD))
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
        blocks.append(ContextBlock(elements=[_md(d, MAX_FIELD) for d in details]))
    if result.groups:
        width = min(max(len(g.key) for g in result.groups), 24)
        rows = []
        for group in result.groups:
            text = _figure(result, group.figure, currency, language)
            moved = ""
            if group.delta is not None:
                moved = "  " + fmt.change(result.unit, group.delta, currency, language)
            n = fmt.number(group.figure.n, 0, language)
            key = clip(group.key.replace("`", "ˋ"), width)  # a backtick would end the table
            rows.append(f"{key:<{width}}  {text:>14}  n={n}{moved}")
        blocks.append(
            SectionBlock(text=_md(clip("```" + "\n".join(rows), MAX_SECTION - 3) + "```"))
        )
    colon = w("colon")
    notes = [f"{w('period')}{colon}{_period_text(result, language)}"]
    if result.filters:
        shown = ", ".join(f"{f.name}{'!=' if f.negate else '='}{f.value}" for f in result.filters)
        notes.append(f"{w('filters')}{colon}{shown}")
    if result.low_sample:
        notes.append(w("low_sample"))
    notes.append(w("more"))
    blocks.append(ContextBlock(elements=[_md(n, MAX_FIELD) for n in notes[:MAX_CONTEXT]]))
    return Message(summary(result, currency=currency, language=language), _limits(blocks))


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
        SectionBlock(text=_md("\n".join(lines))),
        SectionBlock(text=_md(USAGE)),
        ContextBlock(
            elements=[
                _md(
                    f"{word('examples', language)}{colon}"
                    + " · ".join(f"`{e}`" for e in EXAMPLE_COMMANDS)
                )
            ]
        ),
    ]
    return Message(text, _limits(blocks))


def refusal(reason: str, *, language: str = "en") -> Message:
    """Why a person may not ask, said plainly."""
    text = f"{word('refused', language)}{word('colon', language)}{reason}."
    return Message(text, _limits([SectionBlock(text=_md(f":no_entry: {text}"))]))


def help_message(*, language: str = "en") -> Message:
    """Usage with examples (`/kpi help`, a bare `/kpi`)."""

    def w(key: str) -> str:
        return word(key, language)

    periods = ", ".join(f"`{p}`" for p in EXAMPLES[:8])
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=word("usage_title", language))),
        SectionBlock(text=_md(USAGE)),
        SectionBlock(
            text=_md(
                f"*{w('periods')}*: {periods}, `2026-03`, `2026-Q1`, `2026-W09`, "
                f"`2026-01-01..2026-01-31` ({w('default')} `last-30d`)\n"
                f"*{w('filters')}*: `plan=enterprise`, `channel!=email` · "
                f"*{w('groups')}*: `by team`, `top=5`\n"
                f"{w('private')}"
            )
        ),
        SectionBlock(
            text=_md(f"*{w('examples')}*\n" + "\n".join(f"`{e}`" for e in EXAMPLE_COMMANDS))
        ),
        ContextBlock(elements=[_md(w("list_hint"))]),
    ]
    return Message(w("help_text"), _limits(blocks))


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
                blocks.append(SectionBlock(text=_md(chunk)))
                chunk = ""
            chunk += "\n" + line
        blocks.append(SectionBlock(text=_md(chunk)))
    blocks.append(DividerBlock())
    blocks.append(ContextBlock(elements=[_md(word("counters", language))]))
    return Message(
        f"{len(CATALOGUE)} KPIs: " + ", ".join(k.key for k in CATALOGUE), _limits(blocks)
    )
