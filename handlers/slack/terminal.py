"""Block Kit messages rendered for a terminal (`kpibot ask`, `kpibot demo`)."""

from __future__ import annotations

import re
from typing import Any

from handlers.slack.blocks import Message


def _plain(text: str) -> str:
    text = re.sub(r"\*(\S(?:[^*\n]*\S)?)\*", r"\1", text)  # bold, not `* *` in a cron
    return text.replace("```", "")


def render(message: Message, *, shared: bool = False) -> str:
    """The message as Slack would show it, in plain text."""
    lines: list[str] = [f"[{'in channel' if shared else 'only visible to you'}]"]
    for block in message.blocks:
        kind = block["type"]
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "─" * min(len(title), 72)]
        elif kind == "section":
            if "text" in block:
                lines.append(_plain(block["text"]["text"]))
            fields: list[dict[str, Any]] = block.get("fields", [])
            for field in fields:
                label, _, value = _plain(field["text"]).partition("\n")
                lines.append(f"  {label:<32} {value}")
        elif kind == "context":
            lines += [f"  {_plain(e['text'])}" for e in block["elements"]]
        elif kind == "actions":
            buttons = [e["text"]["text"] for e in block["elements"] if e.get("type") == "button"]
            lines.append("  " + " ".join(f"[{label}]" for label in buttons))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "table":
            lines += _table(block)
    return "\n".join(lines)


def _table(block: dict[str, Any]) -> list[str]:
    """A table block as aligned columns (its column settings say which align right)."""
    rows = [[str(cell.get("text", "")) for cell in row] for row in block.get("rows", [])]
    if not rows:
        return []
    settings = block.get("column_settings") or []
    count = max(len(r) for r in rows)
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(count)]
    out = []
    for index, row in enumerate(rows):
        cells = []
        for i, width in enumerate(widths):
            text = row[i] if i < len(row) else ""
            right = i < len(settings) and (settings[i] or {}).get("align") == "right"
            cells.append(text.rjust(width) if right else text.ljust(width))
        out.append("  " + "  ".join(cells).rstrip())
        if index == 0:
            out.append("  " + "  ".join("─" * w for w in widths))
    return out
