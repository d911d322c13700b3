"""Block Kit of the surveys: the question DM, the reminder, the thank-you, the comment modal,
the result posted in the channel. Pure functions: data in, blocks out.

Nothing a member receives echoes their answer back (the DM becomes "thank you, your answer is
recorded"), so the conversation in Slack does not keep it either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from handlers import formatting as fmt
from handlers.i18n import say, when, word
from handlers.slack.blocks import Message, clip, limits, md
from handlers.surveys import ids
from kpis.result import Figure

#: The fewest answers a round shows a result for (eNPS and CSAT alike).
MIN_ANSWERS = 5
SCALES = {"enps": (0, 10), "csat": (1, 5)}
QUESTION_CHARS = 500


@dataclass(frozen=True)
class Asking:
    """What a DM asks: which round, which survey, the question, the team, until when."""

    round_id: int
    kind: str
    question: str | None
    team: str
    closes_at: datetime
    timezone: str


def question_text(kind: str, question: str | None, team: str, language: str) -> str:
    """The round's own question, or the standard one of its survey."""
    if question:
        return clip(question, QUESTION_CHARS)
    return say(f"survey_question_{kind}", language, team=team)


def _closes(instant: datetime, tz: str, language: str) -> str:
    return when(instant.astimezone(ZoneInfo(tz)), "%a %d %b %H:%M", language)


def score_buttons(round_id: int, kind: str) -> list[ActionsBlock]:
    """The scale as buttons (0–10 in two rows for eNPS, 1–5 for CSAT)."""
    low, high = SCALES[kind]
    scores = list(range(low, high + 1))
    rows = [scores[:6], scores[6:]] if kind == "enps" else [scores]
    return [
        ActionsBlock(
            block_id=f"survey_scale_{index}",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text=str(score)),
                    action_id=f"{ids.SCORE_PREFIX}{score}",
                    value=f"{round_id}:{score}",
                )
                for score in row
            ],
        )
        for index, row in enumerate(rows)
        if row
    ]


def survey_dm(asking: Asking, language: str, *, reminder: bool = False) -> Message:
    """The question as a member receives it (or its reminder)."""
    question = question_text(asking.kind, asking.question, asking.team, language)
    closes = _closes(asking.closes_at, asking.timezone, language)
    lead = word("survey_reminder_lead", language) + "\n" if reminder else ""
    low, high = SCALES[asking.kind]
    blocks: list[Block] = [
        SectionBlock(text=md(f"{lead}*{question}*")),
        *score_buttons(asking.round_id, asking.kind),
        ContextBlock(
            elements=[
                md(say(f"survey_scale_{asking.kind}", language, low=low, high=high)),
                md(say("survey_anonymous_note", language, closes=closes)),
            ]
        ),
    ]
    text = say("survey_dm_text", language, question=question)
    return Message(text, limits(blocks))


def thanks(closes_at: datetime, tz: str, language: str) -> Message:
    """What the DM becomes once answered (the answer itself is not repeated)."""
    text = say("survey_thanks", language, closes=_closes(closes_at, tz, language))
    return Message(text, limits([SectionBlock(text=md(f":white_check_mark: {text}"))]))


def comment_modal(round_id: int, external_id: str, language: str) -> View:
    """The optional comment, asked right after the click."""
    return View(
        type="modal",
        callback_id=ids.COMMENT_VIEW,
        private_metadata=f"{round_id}|{external_id}",
        title=PlainTextObject(text=clip(word("survey_modal_title", language), 24)),
        submit=PlainTextObject(text=word("survey_modal_submit", language)),
        close=PlainTextObject(text=word("survey_modal_close", language)),
        blocks=[
            SectionBlock(text=md(word("survey_modal_intro", language))),
            InputBlock(
                block_id=ids.COMMENT_BLOCK,
                label=PlainTextObject(text=word("survey_modal_label", language)),
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.COMMENT_INPUT, multiline=True, max_length=2000
                ),
            ),
        ],
    )


@dataclass(frozen=True)
class RoundResult:
    """A closed round's figures (from the KPI engine) and counts."""

    round_id: int
    kind: str
    team: str
    channel_id: str
    opens_at: datetime
    closed_at: datetime
    timezone: str
    asked: int
    answered: int
    #: The survey's main figure (eNPS; CSAT top-two-box) and, for CSAT, the mean score.
    figure: Figure | None
    mean: Figure | None = None
    #: The previous round of the same pulse (its main figure), when there is one.
    previous: Figure | None = None


def result_message(result: RoundResult, language: str) -> Message:
    """The result of a closed round, as posted in its channel; withheld under 5 answers."""
    label = word(f"survey_kind_{result.kind}", language)
    zone = ZoneInfo(result.timezone)
    span = (
        f"{when(result.opens_at.astimezone(zone), '%a %d %b', language)} → "
        f"{when(result.closed_at.astimezone(zone), '%a %d %b', language)}"
    )
    rate = (
        fmt.value("percent", 100 * result.answered / result.asked, language=language)
        if result.asked
        else "—"
    )
    counts = say(
        "survey_result_counts", language, answered=result.answered, asked=result.asked, rate=rate
    )
    header = HeaderBlock(
        text=PlainTextObject(
            text=clip(say("survey_result_title", language, kind=label, team=result.team), 150)
        )
    )
    figure = result.figure
    blocks: list[Block] = [header]
    if result.answered < MIN_ANSWERS or figure is None or figure.value is None:
        text = say("survey_result_withheld", language, kind=label, minimum=MIN_ANSWERS)
        blocks.append(SectionBlock(text=md(f":lock: {text}\n{counts}")))
    else:
        unit = "nps" if result.kind == "enps" else "percent"
        shown = fmt.value(unit, figure.value, language=language)
        text = f"{label} {shown}"
        lines = [f"*{label} {shown}* · {counts}"]
        if result.kind == "enps":
            parts = figure.parts
            lines.append(
                " · ".join(
                    f"{word(name, language)} "
                    f"{fmt.value('percent', parts.get(name) or 0.0, language=language)}"
                    for name in ("promoters", "passives", "detractors")
                )
            )
        elif result.mean is not None and result.mean.value is not None:
            mean = fmt.number(result.mean.value, 2, language)
            lines.append(say("survey_result_mean", language, mean=mean))
        previous = result.previous
        if previous is not None and previous.value is not None:
            before = fmt.value(unit, previous.value, language=language)
            lines.append(say("survey_result_previous", language, value=before))
        blocks.append(SectionBlock(text=md("\n".join(lines))))
    blocks.append(
        ContextBlock(
            elements=[
                md(say("survey_result_context", language, id=result.round_id, span=span)),
            ]
        )
    )
    return Message(text, limits(blocks))
