"""Who may ask: full members of the workspace by default, narrowed by KPIBOT_VIEWERS.

Guests (restricted and ultra-restricted accounts) and people from other organisations (Slack
Connect: `is_stranger`, or a home team that is not the workspace's) are refused. Answers from
users.info and usergroups.users.list are cached for a few minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CACHE_SECONDS = 300


@dataclass
class Access:
    """Decides whether a user may ask (and share); returns the reason key when not."""

    viewers: list[str]
    sharers: list[str]
    _cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _cached(self, key: str, fetch: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < CACHE_SECONDS:
                return hit[1]
        value = fetch()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def _user(self, client: WebClient, user_id: str) -> dict[str, Any]:
        def fetch() -> dict[str, Any]:
            user: dict[str, Any] = client.users_info(user=user_id)["user"]
            return user

        result: dict[str, Any] = self._cached(f"user:{user_id}", fetch)
        return result

    def _members(self, client: WebClient, group: str) -> set[str]:
        def fetch() -> set[str]:
            return set(client.usergroups_users_list(usergroup=group)["users"])

        result: set[str] = self._cached(f"group:{group}", fetch)
        return result

    def _listed(self, client: WebClient, user_id: str, allowed: list[str]) -> bool:
        if user_id in allowed:
            return True
        return any(
            user_id in self._members(client, entry) for entry in allowed if entry.startswith("S")
        )

    def admin_refusal(self, client: WebClient, *, admins: list[str], user_id: str) -> str | None:
        """None when the user may change subscriptions; otherwise the i18n key of the reason.

        With KPIBOT_ADMINS set, only the users (or members of the user groups) it lists;
        otherwise the workspace's admins and owners.
        """
        if admins:
            try:
                return None if self._listed(client, user_id, admins) else "not_admin_listed"
            except SlackApiError:
                return "failed"
        try:
            user = self._user(client, user_id)
        except SlackApiError:
            return "failed"
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return None
        return "not_admin"

    def refusal(
        self,
        client: WebClient,
        *,
        user_id: str,
        team_id: str,
        share: bool,
        enterprise_id: str = "",
    ) -> str | None:
        """None when the user may ask (and share); otherwise the i18n key of the reason.

        On Enterprise Grid a member of another workspace of the same organisation (same
        `enterprise_id`) is not a stranger.
        """
        try:
            user = self._user(client, user_id)
        except SlackApiError:
            return "failed"
        if user.get("is_restricted") or user.get("is_ultra_restricted"):
            return "guest"
        home = user.get("team_id")
        organisation = (user.get("enterprise_user") or {}).get("enterprise_id")
        same_org = bool(enterprise_id) and organisation == enterprise_id
        if user.get("is_stranger") or (home and team_id and home != team_id and not same_org):
            return "external"
        if self.viewers and not self._listed(client, user_id, self.viewers):
            return "not_viewer"
        if share and self.sharers and not self._listed(client, user_id, self.sharers):
            return "not_sharer"
        return None
