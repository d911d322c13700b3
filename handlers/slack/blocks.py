"""Block Kit primitives every feature's messages share: the message type and Slack's limits.

Messages are built with slack_sdk's Block Kit models, then held to Slack's limits whatever the
input (`limits`): 50 blocks, 3,000 characters a section, 10 fields of 2,000, 150-character
headers, 10 context elements, and one table (`table`: slack_sdk's `TableBlock`) of at most 100
rows of 20 cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    MarkdownTextObject,
    RawTextObject,
    SectionBlock,
    TableBlock,
)

from handlers.i18n import word

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_CONTEXT = 10
#: A table block: rows (its header row included), cells per row, and tables per message.
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20
MAX_TABLES = 1
#: What a table cell shows at most (a cell is one short line).
MAX_CELL = 200


@dataclass(frozen=True)
class Message:
    """A Slack message: its notification text and its blocks (as JSON-ready dicts)."""

    text: str
    blocks: list[dict[str, Any]]


def clip(text: str, limit: int) -> str:
    """Text cut to a limit, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, align: Sequence[str] = ()
) -> TableBlock:
    """A native table: the header row, then the rows, each cell plain text, cut to Slack's
    limits (100 rows with the header, 20 cells a row); `align` per column (left, right)."""
    width = min(len(header), MAX_TABLE_CELLS)
    shown = [list(header[:width]), *[list(r[:width]) for r in rows]][:MAX_TABLE_ROWS]
    cells = [
        [RawTextObject(text=clip(cell or "—", MAX_CELL)) for cell in row]
        + [RawTextObject(text="—") for _ in range(width - len(row))]
        for row in shown
    ]
    settings: list[dict[str, Any]] | None = [{"align": a} for a in align[:width]] or None
    return TableBlock(rows=cells, column_settings=settings)


def _table_limits(data: dict[str, Any]) -> dict[str, Any]:
    rows = [row[:MAX_TABLE_CELLS] for row in data.get("rows", [])[:MAX_TABLE_ROWS]]
    data["rows"] = rows
    if "column_settings" in data:
        data["column_settings"] = data["column_settings"][:MAX_TABLE_CELLS]
    return data


def limits(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """The blocks as JSON-ready dicts, cut to Slack's limits (a second table is dropped)."""
    out = []
    tables = 0
    for block in blocks[:MAX_BLOCKS]:
        data = block.to_dict()
        if data.get("type") == "table":
            tables += 1
            if tables > MAX_TABLES:
                continue
            data = _table_limits(data)
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
