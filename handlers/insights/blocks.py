"""What moved a figure, and what detractors talk about, as Block Kit: pure functions.

The drivers' lines are shared by the `why` answer, the digest's "What moved" line and a
threshold alert's driver.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, PlainTextObject, SectionBlock

from handlers import formatting as fmt
from handlers.answers import blocks as answers
from handlers.i18n import say, word
from handlers.slack.blocks import MAX_FIELD, MAX_HEADER, Message, clip, limits, md
from kpis.result import KpiResult
from kpis.themes import Theme, Themes
from kpis.why import Segment, Why


def _share(value: float, language: str) -> str:
    return fmt.value("percent", 100 * value, language=language)


def _test(segment: Segment, language: str) -> str:
    if segment.significant is None:
        return word("why_untested", language)
    return word("why_significant" if segment.significant else "why_not_significant", language)


def driver_line(segment: Segment, result: KpiResult, currency: str, language: str) -> str:
    """`*plan = pro*: +40 → −30 (n 100 → 100) · share 25.0% → 25.0% · *−17.5 pts*, its own
    value changed (significant)`."""
    unit = result.unit
    before = fmt.figure_text(unit, segment.before, currency, language)
    after = fmt.figure_text(unit, segment.after, currency, language)
    n_before = fmt.number(segment.before.n, 0, language)
    n = f"n {n_before} → {fmt.number(segment.after.n, 0, language)}"
    shares = (
        f"{word('why_share', language)} {_share(segment.share_before, language)} → "
        f"{_share(segment.share_after, language)}"
    )
    contribution = fmt.change(unit, segment.contribution, currency, language)
    effect = word(f"why_{segment.effect}", language)
    return (
        f"*{segment.attribute} = {segment.key}*{word('colon', language)}{before} → {after} ({n})"
        f" · {shares} · *{contribution}*, {effect} ({_test(segment, language)})"
    )


def moved_lines(why: Why, *, currency: str = "EUR", language: str = "en") -> list[str]:
    """What moved the figure, line by line: the drivers, or why there are none to show."""
    result = why.result
    if why.reason is not None:
        return [say(f"why_{why.reason}", language, name=result.display_name(language))]
    lines = []
    if not why.standout:
        names = ", ".join(a.attribute for a in why.attributions)
        lines.append(say("why_even", language, attributes=names))
    else:
        lines += [
            f"{i}. {driver_line(s, result, currency, language)}"
            for i, s in enumerate(why.drivers, 1)
        ]
    if result.significant is False:
        lines.append(word("why_change_not_significant", language))
    return lines


def short_driver(why: Why, *, currency: str = "EUR", language: str = "en") -> str | None:
    """The first driver in a few words, for a digest line or an alert: `plan = pro (+40 → −30,
    −17.5 pts, own value)`; None when none stands out."""
    if why.reason is not None or not why.standout or not why.drivers:
        return None
    s, unit = why.drivers[0], why.result.unit
    before = fmt.figure_text(unit, s.before, currency, language)
    after = fmt.figure_text(unit, s.after, currency, language)
    contribution = fmt.change(unit, s.contribution, currency, language)
    effect = word(f"why_{s.effect}_short", language)
    return f"{s.attribute} = {s.key} ({before} → {after}, {contribution}, {effect})"


def why_message(
    why: Why, *, currency: str = "EUR", language: str = "en", understood: str | None = None
) -> Message:
    """The usual answer, with a section saying what moved it before its notes."""
    message = answers.answer(
        why.result, currency=currency, language=language, understood=understood
    )
    title = f"*{word('why_title', language)}*"
    section = SectionBlock(
        text=md("\n".join([title, *moved_lines(why, currency=currency, language=language)]))
    )
    blocks = list(message.blocks)
    blocks[0]["text"]["text"] = clip(
        f"{blocks[0]['text']['text']} · {word('why_word', language)}", MAX_HEADER
    )
    blocks.insert(len(blocks) - 1, limits([section])[0])
    return Message(message.text, blocks)


def _signed(amount: int, language: str) -> str:
    sign = "+" if amount > 0 else "−" if amount < 0 else "±"
    return sign + fmt.number(abs(amount), 0, language)


def theme_line(index: int, theme: Theme, themes: Themes, language: str) -> str:
    """`1. *charged · twice · refund* — 42 detractors (31.0%), +30 vs the previous period`."""
    share = fmt.value("percent", 100 * theme.count / max(themes.total, 1), language=language)
    count = fmt.number(theme.count, 0, language)
    text = f"{index}. *{theme.label}* — {say('themes_count', language, count=count, share=share)}"
    if themes.previous_total:
        text += ", " + say(
            "themes_change", language, change=_signed(theme.count - theme.previous, language)
        )
    return text


def top_themes(themes: Themes, language: str, top: int = 3) -> str | None:
    """The digest's line: `*Themes*: charged · twice (12), waiting · answer (8)…`."""
    if not themes.themes:
        return None
    shown = ", ".join(
        f"{t.label} ({fmt.number(t.count, 0, language)})" for t in themes.themes[:top]
    )
    return f"*{word('themes_digest', language)}*{word('colon', language)}{shown}"


def themes_message(
    themes: Themes, *, kpi_name: str, period_label: str, language: str = "en"
) -> Message:
    """The period's detractor themes: label, count and share, change, a representative quote."""
    header = f"{say('themes_title', language, name=kpi_name)} · {period_label}"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(header, MAX_HEADER)))]
    if not themes.themes:
        key = "themes_none" if themes.total == 0 else "themes_scattered"
        blocks.append(SectionBlock(text=md(say(key, language, count=themes.total))))
        text = say(key, language, count=themes.total)
    else:
        for i, theme in enumerate(themes.themes, 1):
            line = theme_line(i, theme, themes, language)
            quote = " ".join(clip(theme.quote, 200).split())
            blocks.append(SectionBlock(text=md(f"{line}\n> {quote}")))
        text = f"{header}: " + "; ".join(t.label for t in themes.themes[:3])
    notes = [
        say(
            "themes_context",
            language,
            total=fmt.number(themes.total, 0, language),
            previous=fmt.number(themes.previous_total, 0, language),
            other=fmt.number(themes.unthemed, 0, language),
        )
    ]
    blocks.append(ContextBlock(elements=[md(n, MAX_FIELD) for n in notes]))
    return Message(clip(text, 300), limits(blocks))
