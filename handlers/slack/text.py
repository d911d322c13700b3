"""Command text as Slack sends it: HTML-escaped, with channel, user and group references."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_REFERENCE = re.compile(r"<([#@!])([^>|]+)(?:\|([^>]*))?>")
#: The words that post an answer in the channel instead of privately.
SHARE_WORDS = frozenset({"share", "partager", "partage", "partagé", "partagez"})


@dataclass(frozen=True)
class CommandText:
    """The words of a command, with references pulled out and `share` noted."""

    words: list[str]
    share: bool = False
    channels: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    #: The names Slack sent with references: channel id → name, group id → handle.
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The remaining words as one string."""
        return " ".join(self.words)


def read_command(raw: str) -> CommandText:
    """Unescape `&lt; &gt; &amp;`, read `<#C…|name>`, `<@U…>`, `<!subteam^S…>`, find `share`
    (or `partager`)."""
    channels: list[str] = []
    users: list[str] = []
    groups: list[str] = []
    labels: dict[str, str] = {}

    def reference(match: re.Match[str]) -> str:
        kind, target, label = match[1], match[2], match[3]
        if label and kind in "#!":
            labels[target.removeprefix("subteam^")] = label.lstrip("@")
        if kind == "#":
            channels.append(target)
            return " "
        if kind == "@":
            users.append(target)
            return " "
        if target.startswith("subteam^"):
            groups.append(target.removeprefix("subteam^"))
            return " "
        return f" {label or target} "

    text = _REFERENCE.sub(reference, raw or "")
    text = html.unescape(text)
    words = text.split()
    share = any(w.lower() in SHARE_WORDS for w in words)
    words = [w for w in words if w.lower() not in SHARE_WORDS]
    return CommandText(words, share, channels, users, groups, labels)
