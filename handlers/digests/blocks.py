"""The digest as one Block Kit message: pure functions from a `Digest` to blocks.

Slack's limits hold whatever the data: every text is clipped by `handlers.slack.blocks`, the
comments are at most five and each is cut to a few lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
from handlers.digests.build import Digest, Line
from handlers.slack.blocks import MAX_FIELD, MAX_HEADER, MAX_SECTION, Message, _limits, clip
from storage.digests import Comment

COMMENT_CHARS = 400
TITLES = {
    "en": {
        "weekly": "Weekly digest",
        "daily": "Daily digest",
        "monthly": "Monthly digest",
        "cron": "Digest",
    },
    "fr": {
        "weekly": "Bilan de la semaine",
        "daily": "Bilan du jour",
        "monthly": "Bilan du mois",
        "cron": "Bilan",
    },
}
WORDS = {
    "en": {
        "no_data": "No survey responses or tickets in this period: nothing to report.",
        "comments": "Detractors' comments",
        "support": "Support",
        "created": "tickets created",
        "median_frt": "median first response",
        "backlog": "backlog",
        "loop": "detractor loops closed",
        "time_to_close": "time to close",
        "more": "Ask for more: `/kpi nps {period} by channel` · `/kpi help`",
        "late": "⏰ Posted late: this digest was due {at}.",
        "chart": "📈 Trend chart in the thread.",
        "preview": "👀 Preview, only visible to you: the next digest as it would read now.",
        "filters": "Segment",
        "vs": "vs",
        "unavailable": "unavailable",
    },
    "fr": {
        "no_data": "Aucune réponse ni demande sur cette période : rien à signaler.",
        "comments": "Commentaires des détracteurs",
        "support": "Support",
        "created": "demandes créées",
        "median_frt": "délai médian de première réponse",
        "backlog": "stock",
        "loop": "boucles détracteurs fermées",
        "time_to_close": "délai de clôture",
        "more": "Pour aller plus loin : `/kpi nps {period} by channel` · `/kpi help`",
        "late": "⏰ Publié en retard : ce bilan était prévu {at}.",
        "chart": "📈 Graphique de tendance dans le fil.",
        "preview": "👀 Aperçu visible de vous seul : le prochain bilan tel qu'il serait "
        "maintenant.",
        "filters": "Segment",
        "vs": "contre",
        "unavailable": "indisponible",
    },
}


def _w(key: str, language: str) -> str:
    return WORDS.get(language, WORDS["en"])[key]


def _md(text: str, limit: int = MAX_SECTION) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def period_span(digest: Digest) -> str:
    """`16 Nov → 22 Nov 2026` for whole days, with times for a cron period."""
    zone = ZoneInfo(digest.period.tz)
    start = digest.period.current.start.astimezone(zone)
    end = digest.period.current.end.astimezone(zone)
    if start.time() == end.time() == datetime.min.time():
        last = end - timedelta(days=1)
        if last.date() == start.date():
            return f"{start:%a %d %b %Y}"
        return f"{start:%d %b} → {last:%d %b %Y}"
    return f"{start:%d %b %H:%M} → {end:%d %b %Y %H:%M} ({digest.period.tz})"


def kpi_line(line: Line, *, currency: str, language: str) -> str:
    """`*NPS* +42 ▲ +3 pts vs +39 (better) · n = 120`."""
    result = line.result
    if result is None:
        return f"*{line.key}* — {_w('unavailable', language)}: {line.error}"
    value = fmt.figure_text(result.unit, result.current, currency, language)
    text = f"*{result.display_name(language)}* {value}"
    if result.delta is not None:
        previous = fmt.figure_text(result.unit, result.previous, currency, language)
        text += f"  {fmt.delta(result, currency, language)} {_w('vs', language)} {previous}"
        verdict = fmt.verdict(result, language)
        if verdict:
            text += f" ({verdict})"
    if result.current.value is not None or result.current.n:
        text += f" · n = {fmt.number(result.current.n, 0, language)}"
    return text


def _segment(comment: Comment) -> str:
    shown = [f"{k}: {v}" for k, v in list(comment.attributes.items())[:4]]
    if comment.customer_id:
        shown.insert(0, f"customer {comment.customer_id}")
    return " · ".join(shown)


def comment_text(comment: Comment, zone: ZoneInfo) -> str:
    """A quoted comment with its score, survey, segment and date."""
    words = " ".join(clip(comment.comment, COMMENT_CHARS).split())
    when = comment.submitted_at.astimezone(zone)
    meta = f"*{comment.score}/{comment.scale_max}* {comment.survey.upper()} · {when:%a %d %b}"
    segment = _segment(comment)
    if segment:
        meta += f" · {segment}"
    return f"> {words}\n{meta}"


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
    titles = TITLES.get(language, TITLES["en"])
    span = period_span(digest)
    title = f"📊 {titles.get(digest.cadence, titles['cron'])} · {span}"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(title, MAX_HEADER)))]
    notes: list[str] = []
    if preview:
        notes.append(_w("preview", language))
    if digest.filters:
        shown = ", ".join(f"{f.name}{'!=' if f.negate else '='}{f.value}" for f in digest.filters)
        notes.append(f"{_w('filters', language)}: {shown}")
    if not digest.has_data:
        blocks.append(SectionBlock(text=_md(_w("no_data", language))))
        text = f"{title}: {_w('no_data', language)}"
    else:
        lines = [kpi_line(line, currency=currency, language=language) for line in digest.lines]
        blocks.append(SectionBlock(text=_md("\n".join(lines))))
        support = _support(digest, currency, language)
        if support:
            blocks.append(SectionBlock(text=_md(support)))
        if digest.comments:
            zone = ZoneInfo(digest.period.tz)
            blocks.append(DividerBlock())
            quoted = [comment_text(c, zone) for c in digest.comments]
            body = f"*{_w('comments', language)}*\n" + "\n".join(quoted)
            blocks.append(SectionBlock(text=_md(body)))
        first = [line.result for line in digest.lines if line.result is not None][:3]
        text = f"{title}: " + "; ".join(
            f"{r.display_name(language)} {fmt.figure_text(r.unit, r.current, currency, language)}"
            for r in first
        )
        if chart:
            notes.append(_w("chart", language))
    if digest.late and scheduled_for is not None:
        at = scheduled_for.astimezone(ZoneInfo(digest.period.tz))
        notes.append(_w("late", language).format(at=f"{at:%a %d %b %H:%M}"))
    period_word = {"weekly": "last-week", "daily": "yesterday", "monthly": "last-month"}.get(
        digest.cadence, "last-7d"
    )
    notes.append(_w("more", language).format(period=period_word))
    blocks.append(ContextBlock(elements=[_md(n, MAX_FIELD) for n in notes]))
    return Message(clip(text, 300), _limits(blocks))
