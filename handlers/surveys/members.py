"""Who a survey asks: the human, full members of a channel.

`conversations.members` is read page by page (its cursor), then each member's `users.info`
(cached for a while: a reminder and the next round read the same people) says whether they are
a person of this workspace: bots and apps, Slackbot, deactivated accounts, guests
(`is_restricted`, `is_ultra_restricted`) and people of other organisations (Slack Connect) are
left out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CACHE_SECONDS = 1800
PAGE = 200


@dataclass
class People:
    """users.info answers, cached per process (shared by the jobs' threads)."""

    max_age: float = CACHE_SECONDS
    _cache: dict[str, tuple[float, dict[str, Any] | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def info(self, client: WebClient, user_id: str) -> dict[str, Any] | None:
        """The user's profile (None when Slack does not know them)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
            if hit is not None and now - hit[0] < self.max_age:
                return hit[1]
        try:
            user: dict[str, Any] | None = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") not in ("user_not_found", "user_not_visible"):
                raise
            user = None
        with self._lock:
            self._cache[user_id] = (now, user)
        return user


def channel_member_ids(client: WebClient, channel: str) -> list[str]:
    """Every member id of a channel, all pages read."""
    members: list[str] = []
    cursor = ""
    while True:
        page = client.conversations_members(channel=channel, limit=PAGE, cursor=cursor or None)
        members.extend(str(m) for m in page.get("members") or [])
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return members


def is_person(user: dict[str, Any] | None, team_id: str) -> bool:
    """Whether a profile is a full, active, human member of the workspace `team_id`."""
    if user is None:
        return False
    if user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT":
        return False
    if user.get("deleted") or user.get("is_restricted") or user.get("is_ultra_restricted"):
        return False
    if user.get("is_stranger"):
        return False
    home = user.get("team_id")
    return not (team_id and home and home != team_id)


def surveyed(client: WebClient, people: People, channel: str, team_id: str) -> list[str]:
    """The channel's members a survey asks, in the order Slack lists them."""
    return [
        user
        for user in dict.fromkeys(channel_member_ids(client, channel))
        if is_person(people.info(client, user), team_id)
    ]
