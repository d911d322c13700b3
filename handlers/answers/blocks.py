"""The KPI answers' Block Kit messages: pure functions from results (or errors) to messages.

The answer to a question, a clear answer to bad input, `/kpi help` and `/kpi list`, built
with slack_sdk's models and held to Slack's limits (`handlers.slack.blocks.limits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
    TableBlock,
)

from handlers import formatting as fmt
from handlers.i18n import say, word
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
    table,
)
from kpis.catalogue import CATALOGUE, INDEX
from kpis.periods import EXAMPLES
from kpis.question import Question
from kpis.result import Figure, KpiResult
from kpis.sentence import Reading

USAGE = (
    "`/kpi <kpi> [period] [attribute=value …] [attribute!=value …] [by attribute] [top=N] "
    "[why] [chart] [share]`\n"
    "`/nps`, `/csat`, `/ces`, `/enps` take the same words without the KPI."
)
EXAMPLE_COMMANDS = (
    "/nps last-30d",
    "/kpi frt this-week channel=email",
    "/kpi fcr last-quarter by team",
    "/kpi dmt mtd",
    "/csat last-week plan=enterprise share",
)
#: The buttons that ask one of the closest canonical questions (`ASK_ACTION` + its index).
ASK_ACTION = "words_ask_"
MAX_BUTTON = 75
#: The notification text (with a grouped answer's lines): Slack allows 40,000 characters.
MAX_TEXT = 4000


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


def understood_line(question: Question, corrected: Sequence[tuple[str, str]], language: str) -> str:
    """ "Understood as `/kpi nps last-month plan=enterprise`", with the typos it read."""
    line = say("understood_as", language, command=f"/kpi {question.text}")
    for typed, read in corrected:
        line += say("read_as", language, typed=typed, read=read)
    return line


def answer(
    result: KpiResult,
    *,
    currency: str = "EUR",
    language: str = "en",
    understood: str | None = None,
) -> Message:
    """The answer to a KPI question, as a Block Kit message; `understood` (the canonical form
    of a question asked in words) is shown under the header."""

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
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(header, MAX_HEADER)))]
    if understood:
        blocks.append(ContextBlock(elements=[md(understood, MAX_FIELD)]))
    blocks.append(SectionBlock(fields=fields[:MAX_FIELDS]))
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
        blocks.append(group_table(result, currency=currency, language=language))
    colon = w("colon")
    notes = [f"{w('period')}{colon}{_period_text(result, language)}"]
    if result.filters:
        shown = ", ".join(f.text for f in result.filters)
        notes.append(f"{w('filters')}{colon}{shown}")
    if result.low_sample and not counted:
        notes.append(w("low_sample"))
    notes.append(w("more"))
    blocks.append(ContextBlock(elements=[md(n, MAX_FIELD) for n in notes[:MAX_CONTEXT]]))
    text = summary(result, currency=currency, language=language)
    if result.groups:
        text += "\n" + "\n".join(group_lines(result, currency=currency, language=language))
    return Message(clip(text, MAX_TEXT), limits(blocks))


def _group_cells(
    result: KpiResult, currency: str, language: str
) -> list[tuple[str, str, str, str]]:
    """Each group's label, value, n (empty for a count) and change."""
    counted = not fmt.shows_n(result.unit)
    out = []
    for group in result.groups:
        value = _figure(result, group.figure, currency, language)
        n = "" if counted else fmt.number(group.figure.n, 0, language)
        moved = ""
        if group.delta is not None:
            moved = fmt.change(result.unit, group.delta, currency, language)
        out.append((group.key, value, n, moved))
    return out


def group_lines(result: KpiResult, *, currency: str = "EUR", language: str = "en") -> list[str]:
    """The groups as aligned lines of text: the message's `text` fallback."""
    cells = _group_cells(result, currency, language)
    width = min(max((len(c[0]) for c in cells), default=0), 24)
    lines = []
    for key, value, n, moved in cells:
        line = f"{clip(key, width):<{width}}  {value:>14}"
        if n:
            line += f"  n={n}"
        if moved:
            line += f"  {moved}"
        lines.append(line)
    return lines


def group_table(result: KpiResult, *, currency: str = "EUR", language: str = "en") -> TableBlock:
    """The groups as a native table: the attribute's values, the KPI, n, the change."""
    counted = not fmt.shows_n(result.unit)
    header = [result.group_by or "", result.display_name(language)]
    align = ["left", "right"]
    if not counted:
        header.append("n")
        align.append("right")
    header.append(word("change", language))
    align.append("right")
    rows = []
    for key, value, n, moved in _group_cells(result, currency, language):
        row = [key, value]
        if not counted:
            row.append(n)
        row.append(moved)
        rows.append(row)
    return table(header, rows, align=align)


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
    colon = w("colon")
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=word("usage_title", language))),
        SectionBlock(text=md(USAGE)),
        SectionBlock(
            text=md(
                f"*{w('periods')}*{colon}{periods}, `2026-03`, `2026-Q1`, `2026-W09`, "
                f"`2026-01-01..2026-01-31` ({w('default')} `last-30d`); {w('words_periods')}\n"
                f"*{w('filters')}*{colon}`plan=enterprise`, `channel!=email`, "
                f"{w('words_filters')} · *{w('groups')}*{colon}`by team`, `top=5`\n"
                f"{w('private')}"
            )
        ),
        SectionBlock(
            text=md(f"*{w('examples')}*\n" + "\n".join(f"`{e}`" for e in EXAMPLE_COMMANDS))
        ),
        SectionBlock(
            text=md(f"*{w('words_examples_title')}*\n{w('words_examples')}\n{w('words_where')}")
        ),
        ContextBlock(elements=[md(" ".join(w(key) for key in more))]),
    ]
    return Message(w("help_text"), limits(blocks))


def _kpi_name(key: str, language: str) -> str:
    kpi = INDEX.get(key)
    return kpi.name(language) if kpi is not None else key


def _issue(reading: Reading, language: str) -> str:
    """Why a sentence is not answered, in the user's language."""
    issue = reading.issue or "nothing"
    if issue == "several_kpis":
        kpis = ", ".join(_kpi_name(k, language) for k in reading.kpis)
        return say("words_several_kpis", language, kpis=kpis)
    if issue == "several_periods":
        periods = ", ".join(f"`{q.period}`" for q in reading.choices if q.period)
        return say("words_several_periods", language, periods=periods)
    if issue == "ambiguous_value":
        value, attributes = reading.ambiguous[0]
        names = ", ".join(f"`{a}`" for a in attributes)
        return say("words_ambiguous_value", language, value=value, attributes=names)
    if issue == "same_attribute":
        positive = [f.name for f in reading.filters if not f.negate]
        name = next(n for n in positive if positive.count(n) > 1)
        return say("words_same_attribute", language, name=name)
    if issue == "unknown_words":
        words = ", ".join(f"“{w}”" for w in reading.unknown) if reading.unknown else ""
        return say("words_unknown_words", language, words=words or "…")
    return word(f"words_{issue}", language)


def _understood(reading: Reading, language: str) -> str:
    """What was understood of a sentence: its KPI, period, filters and grouping."""
    colon = word("colon", language)
    parts = []
    if reading.kpis:
        names = ", ".join(_kpi_name(k, language) for k in reading.kpis)
        parts.append(f"{word('words_kpi', language)}{colon}{names}")
    if reading.period:
        parts.append(f"{word('period', language)}{colon}`{reading.period}`")
    if reading.filters:
        shown = ", ".join(f"`{f.text}`" for f in reading.filters)
        parts.append(f"{word('filters', language)}{colon}{shown}")
    if reading.group_by:
        parts.append(f"{word('by', language)} `{reading.group_by}`")
    text = " · ".join(parts) or word("words_understood_nothing", language)
    return f"*{word('words_understood', language)}*{colon}{text}"


def not_understood(reading: Reading, *, language: str = "en") -> Message:
    """A sentence kpibot cannot answer for sure: what it understood, why it stops, and the
    closest canonical commands, each with a button that asks it."""
    title = word("words_title", language)
    commands = [f"/kpi {q.text}" for q in reading.choices]
    lines = [
        f":thinking_face: *{title}*",
        _issue(reading, language),
        _understood(reading, language),
    ]
    blocks: list[Block] = [SectionBlock(text=md(clip("\n".join(lines), MAX_SECTION)))]
    if commands:
        listed = "\n".join(f"`{c}`" for c in commands)
        blocks.append(
            SectionBlock(
                text=md(clip(f"*{word('words_closest', language)}*\n{listed}", MAX_SECTION))
            )
        )
        buttons = [
            ButtonElement(
                text=clip(f"{word('words_ask', language)}: {c.removeprefix('/kpi ')}", MAX_BUTTON),
                action_id=f"{ASK_ACTION}{i}",
                value=question.text[:2000],
            )
            for i, (c, question) in enumerate(zip(commands, reading.choices, strict=True))
        ]
        blocks.append(ActionsBlock(elements=buttons))
    blocks.append(
        ContextBlock(
            elements=[
                md(
                    clip(
                        f"*{word('words_examples_title', language)}*{word('colon', language)}"
                        + word("words_examples", language).replace("\n", " · "),
                        MAX_FIELD,
                    )
                )
            ]
        )
    )
    text = f"{title}: " + (", ".join(commands) if commands else _issue(reading, language))
    return Message(clip(text, 3000), limits(blocks))


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
