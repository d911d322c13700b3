"""Block Kit primitives every feature's messages share: the message type and Slack's limits.

Messages are built with slack_sdk's Block Kit models, then held to Slack's limits whatever the
input (`limits`): 50 blocks, 3,000 characters a section, 10 fields of 2,000, 150-character
headers, 10 context elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from handlers.i18n import word

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_CONTEXT = 10


@dataclass(frozen=True)
class Message:
    """A Slack message: its notification text and its blocks (as JSON-ready dicts)."""

    text: str
    blocks: list[dict[str, Any]]


def clip(text: str, limit: int) -> str:
    """Text cut to a limit, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def limits(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """The blocks as JSON-ready dicts, cut to Slack's limits."""
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


def md(text: str, limit: int = MAX_SECTION) -> MarkdownTextObject:
    """A mrkdwn text object, clipped to a limit."""
    return MarkdownTextObject(text=clip(text, limit))


def refusal(reason: str, *, language: str = "en") -> Message:
    """Why a person may not ask, said plainly."""
    text = f"{word('refused', language)}{word('colon', language)}{reason}."
    return Message(text, limits([SectionBlock(text=md(f":no_entry: {text}"))]))


def notice(text: str) -> Message:
    """A one-section answer (a management command's confirmation or listing)."""
    return Message(text, limits([SectionBlock(text=md(text))]))


def cannot(message: str, usage: str, *, language: str = "en") -> Message:
    """A management command that cannot be done: why, then its usage."""
    text = word("cannot_do", language).format(message=message)
    return Message(
        text, limits([SectionBlock(text=md(f":warning: *{text}*")), SectionBlock(text=md(usage))])
    )
