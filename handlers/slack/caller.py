"""Who is asking: the Slack user behind a command, or the operator at the command line."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from handlers.slack.access import Access


@dataclass(frozen=True)
class Caller:
    """The person a command answers, with what it takes to check their rights.

    `client` is None for `kpibot ask` on the server: the operator may do anything, and checks
    that need Slack (is the bot in the channel?) are skipped.
    """

    user_id: str = ""
    team_id: str = ""
    client: WebClient | None = None
    access: Access | None = None

    @property
    def operator(self) -> bool:
        """Whether this is the operator on the server's command line."""
        return self.client is None

    def admin_refusal(self, admins: list[str]) -> str | None:
        """None when the caller may change subscriptions and routes; otherwise the reason key."""
        if self.client is None:
            return None
        access = self.access or Access(viewers=[], sharers=[])
        return access.admin_refusal(self.client, admins=admins, user_id=self.user_id)
