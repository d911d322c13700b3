"""The digest as one Block Kit message: pure functions from a `Digest` to blocks.

Slack's limits hold whatever the data: every text is clipped by `handlers.slack.blocks`, the
comments are at most five and each is cut to a few lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
    TableBlock,
)

from handlers import formatting as fmt
from handlers.digests.build import Digest, Line
from handlers.i18n import say, when, word
from handlers.insights.blocks import short_driver, top_themes
from handlers.slack.blocks import MAX_FIELD, MAX_HEADER, Message, clip, limits, md, table
from storage.digests.store import Comment

COMMENT_CHARS = 400
QUOTE_PREFIX = "quote-"


def _w(key: str, language: str) -> str:
    return word(f"digest_{key}", language)


def period_span(digest: Digest, language: str = "en") -> str:
    """`16 Nov → 22 Nov 2026` for whole days, with times for a cron period."""
    zone = ZoneInfo(digest.period.tz)
    start = digest.period.current.start.astimezone(zone)
    end = digest.period.current.end.astimezone(zone)
    if start.time() == end.time() == datetime.min.time():
        last = end - timedelta(days=1)
        if last.date() == start.date():
            return when(start, "%a %d %b %Y", language)
        return f"{when(start, '%d %b', language)} → {when(last, '%d %b %Y', language)}"
    span = f"{when(start, '%d %b %H:%M', language)} → {when(end, '%d %b %Y %H:%M', language)}"
    return f"{span} ({digest.period.tz})"


def kpi_line(line: Line, *, currency: str, language: str) -> str:
    """`*NPS* +42 ▲ +3 pts vs +39 (better) · n = 120`."""
    result = line.result
    if result is None:
        return f"*{line.key}* — {_w('unavailable', language)}: {line.error}"
    value = fmt.figure_text(result.unit, result.current, currency, language)
    text = f"*{result.display_name(language)}* {value}"
    if result.delta is not None:
        previous = fmt.figure_text(result.unit, result.previous, currency, language)
        text += f"  {fmt.delta(result, currency, language)} {word('vs', language)} {previous}"
        verdict = fmt.verdict(result, language)
        if verdict:
            text += f" ({verdict})"
    if fmt.shows_n(result.unit) and (result.current.value is not None or result.current.n):
        text += f" · n = {fmt.number(result.current.n, 0, language)}"
    return text


def kpi_cells(line: Line, *, currency: str, language: str) -> list[str]:
    """One KPI line as table cells: name, value, change (with its verdict), previous, n."""
    result = line.result
    if result is None:
        return [line.key, f"{_w('unavailable', language)}: {line.error}", "", "", ""]
    value = fmt.figure_text(result.unit, result.current, currency, language)
    change = previous = ""
    if result.delta is not None:
        previous = fmt.figure_text(result.unit, result.previous, currency, language)
        change = fmt.delta(result, currency, language)
        verdict = fmt.verdict(result, language)
        if verdict:
            change += f" ({verdict})"
    n = ""
    if fmt.shows_n(result.unit) and (result.current.value is not None or result.current.n):
        n = fmt.number(result.current.n, 0, language)
    return [result.display_name(language), value, change, previous, n]


def kpi_table(lines: list[Line], *, currency: str, language: str) -> TableBlock:
    """The digest's KPI lines as a native table."""
    header = ["KPI", word("value", language), word("change", language)]
    header += [word("previous", language), "n"]
    rows = [kpi_cells(line, currency=currency, language=language) for line in lines]
    return table(header, rows, align=["left", "right", "left", "right", "right"])


def _segment(comment: Comment, language: str) -> str:
    shown = [f"{k}: {v}" for k, v in list(comment.attributes.items())[:4]]
    if comment.customer_id:
        shown.insert(0, _w("customer", language).format(id=comment.customer_id))
    return " · ".join(shown)


def comment_text(comment: Comment, zone: ZoneInfo, language: str = "en") -> str:
    """A quoted comment with its score, survey, segment and date."""
    words = " ".join(clip(comment.comment, COMMENT_CHARS).split())
    day = when(comment.submitted_at.astimezone(zone), "%a %d %b", language)
    meta = f"{fmt.score(comment.survey, comment.score, comment.scale_max, language)} · {day}"
    segment = _segment(comment, language)
    if segment:
        meta += f" · {segment}"
    return f"> {words}\n{meta}"


def quote_block_id(response_id: int) -> str:
    """The block id of a quoted comment: `quote-<response id>`."""
    return f"{QUOTE_PREFIX}{response_id}"


def quoted_response(block: dict[str, Any]) -> int | None:
    """The response a block quotes, if it is a quoted comment."""
    block_id = str(block.get("block_id") or "")
    if block_id.startswith(QUOTE_PREFIX) and block_id[len(QUOTE_PREFIX) :].isdigit():
        return int(block_id[len(QUOTE_PREFIX) :])
    return None


def redacted_quote(
    response_id: int,
    *,
    score: int,
    scale_max: int,
    survey: str,
    submitted_at: datetime,
    zone: ZoneInfo,
    reason: str,
    language: str = "en",
) -> dict[str, Any]:
    """A quoted comment's block once its personal data is gone: the anonymous score and day
    stay, the words, the customer and the segment go."""
    day = when(submitted_at.astimezone(zone), "%a %d %b", language)
    removed = word(f"privacy_comment_removed_{reason}", language)
    text = f"> _{removed}_\n*{score}/{scale_max}* {survey.upper()} · {day}"
    return SectionBlock(block_id=quote_block_id(response_id), text=md(text)).to_dict()


def _moved(digest: Digest, currency: str, language: str) -> str | None:
    """*What moved*: each significant change's first driver (or that it is spread evenly)."""
    lines = []
    for line in digest.lines:
        if line.moved is None or line.result is None:
            continue
        driver = short_driver(line.moved, currency=currency, language=language)
        if driver is None and line.moved.reason is None:
            names = ", ".join(a.attribute for a in line.moved.attributions)
            driver = say("why_even", language, attributes=names)
        if driver is not None:
            lines.append(f"• {line.result.display_name(language)}{word('colon', language)}{driver}")
    if not lines:
        return None
    return f"*{word('digest_moved', language)}*\n" + "\n".join(lines)


def _support(digest: Digest, currency: str, language: str) -> str | None:
    found = {line.key: line.result for line in digest.support if line.result is not None}
    parts = []
    tickets = found.get("tickets")
    if tickets is not None and tickets.current.value is not None:
        parts.append(f"{fmt.number(tickets.current.value, 0, language)} {_w('created', language)}")
    frt = found.get("frt")
    if frt is not None and frt.current.parts.get("median") is not None:
        median = fmt.duration(frt.current.parts["median"] or 0.0, language)
        parts.append(f"{_w('median_frt', language)} {median}")
    fcr = found.get("fcr")
    if fcr is not None and fcr.current.value is not None:
        parts.append(f"FCR {fmt.value('percent', fcr.current.value, currency, language)}")
    backlog = found.get("backlog")
    if backlog is not None and backlog.current.value is not None:
        parts.append(f"{_w('backlog', language)} {fmt.number(backlog.current.value, 0, language)}")
    loop = found.get("loop-closure-rate")
    if loop is not None and loop.current.value is not None:
        closed = fmt.value("percent", loop.current.value, currency, language)
        parts.append(f"{_w('loop', language)} {closed} (n = {loop.current.n})")
        closing = found.get("time-to-close")
        if closing is not None and closing.current.value is not None:
            parts.append(
                f"{_w('time_to_close', language)} {fmt.duration(closing.current.value, language)}"
            )
    if not parts:
        return None
    return f"*{_w('support', language)}*: " + " · ".join(parts)


def digest_message(
    digest: Digest,
    *,
    currency: str = "EUR",
    language: str = "en",
    chart: bool = False,
    preview: bool = False,
    scheduled_for: datetime | None = None,
) -> Message:
    """The digest's Block Kit message and its notification text."""
    span = period_span(digest, language)
    title = f"📊 {_w('title_' + digest.cadence, language)} · {span}"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(title, MAX_HEADER)))]
    notes: list[str] = []
    if preview:
        notes.append(_w("preview", language))
    if digest.filters:
        shown = ", ".join(f"{f.name}{'!=' if f.negate else '='}{f.value}" for f in digest.filters)
        notes.append(f"{_w('segment', language)}{word('colon', language)}{shown}")
    if not digest.has_data:
        blocks.append(SectionBlock(text=md(_w("no_data", language))))
        text = f"{title}: {_w('no_data', language)}"
    else:
        lines = [kpi_line(line, currency=currency, language=language) for line in digest.lines]
        blocks.append(kpi_table(digest.lines, currency=currency, language=language))
        moved = _moved(digest, currency, language)
        if moved:
            blocks.append(SectionBlock(text=md(moved)))
        support = _support(digest, currency, language)
        if support:
            blocks.append(SectionBlock(text=md(support)))
        if digest.comments:
            zone = ZoneInfo(digest.period.tz)
            blocks.append(DividerBlock())
            blocks.append(SectionBlock(text=md(f"*{_w('comments', language)}*")))
            # one block per comment, named after its response: a redaction replaces just it
            blocks.extend(
                SectionBlock(
                    block_id=quote_block_id(c.response_id), text=md(comment_text(c, zone, language))
                )
                for c in digest.comments
            )
            themes = top_themes(digest.themes, language) if digest.themes else None
            if themes:
                blocks.append(SectionBlock(text=md(themes)))
        first = [line.result for line in digest.lines if line.result is not None][:3]
        text = f"{title}: " + "; ".join(
            f"{r.display_name(language)} {fmt.figure_text(r.unit, r.current, currency, language)}"
            for r in first
        )
        text += "\n" + "\n".join(lines)  # the table's lines, for notifications and fallback
        if chart:
            notes.append(_w("chart", language))
    if digest.late and scheduled_for is not None:
        at = when(scheduled_for.astimezone(ZoneInfo(digest.period.tz)), "%a %d %b %H:%M", language)
        notes.append(_w("late", language).format(at=at))
    period_word = {"weekly": "last-week", "daily": "yesterday", "monthly": "last-month"}.get(
        digest.cadence, "last-7d"
    )
    notes.append(_w("more", language).format(period=period_word))
    blocks.append(ContextBlock(elements=[md(n, MAX_FIELD) for n in notes]))
    return Message(clip(text, 3000), limits(blocks))
