"""`kpibot doctor`: is this kpibot ready to run? One line per check, in order.

Settings valid; the database answers and its migrations are current; the Slack settings fit
the chosen mode; the token works (`auth.test`) and carries every scope the app manifest asks
for (Slack lists the token's scopes in the `x-oauth-scopes` header); the ops channel can be
posted to; each registered connector has its secret (features' `checks`); a scheduler ran in
the last few minutes (its heartbeat); no incident is open. `kpibot serve` runs the cheap ones
(no network) at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from handlers.feature import Check, Feature
from storage.db import read_snapshot
from storage.migrate import current_revision, head_revision
from storage.ops.store import heartbeats, open_incidents

#: The bot scopes `slack/manifest.yml` asks for (tests/test_ops.py holds the two together).
MANIFEST_SCOPES = (
    "commands",
    "chat:write",
    "app_mentions:read",
    "im:history",
    "chat:write.public",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "files:write",
    "im:write",
)
#: What a scope is for, where a missing one would not be obvious (said beside it).
SCOPE_USES = {
    "im:write": "survey DMs",
    "channels:read": "survey members of public channels",
    "groups:read": "survey members of private channels",
    "users:read": "who is a person, a guest or a bot",
}
#: A scheduler whose last heartbeat is older than this has not run "recently".
RECENT = timedelta(minutes=3)


def database(deps: Deps) -> list[Check]:
    """The database answers, and its schema is at kpibot's newest migration."""
    try:
        with deps.engine.connect() as connection:
            version = connection.dialect.server_version_info or ()
        revision = current_revision(deps.engine)
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return [
            Check("database", False, f"does not answer: {reason}"),
            Check("migrations", None, "not checked: the database does not answer"),
        ]
    name = "PostgreSQL" if deps.engine.dialect.name == "postgresql" else "SQLite"
    shown = ".".join(str(part) for part in version[:2]) or "?"
    checks = [Check("database", True, f"{name} {shown} answers")]
    head = head_revision()
    if revision == head:
        checks.append(Check("migrations", True, f"current ({head})"))
    else:
        checks.append(
            Check(
                "migrations",
                False,
                f"at {revision or 'none'}, kpibot needs {head}: run `kpibot db upgrade`",
            )
        )
    return checks


def slack_settings(deps: Deps) -> list[Check]:
    """The Slack settings fit the mode: a bot token, and the signing secret (HTTP) or the
    app-level token (Socket Mode)."""
    settings = deps.settings
    token = settings.slack_bot_token
    if token is None:
        return [Check("slack", None, "off: SLACK_BOT_TOKEN is not set (APIs only)")]
    checks = []
    if not token.get_secret_value().startswith("xoxb-"):
        checks.append(Check("slack token", False, "SLACK_BOT_TOKEN is not a bot token (xoxb-…)"))
    if settings.slack_mode == "http":
        if settings.slack_signing_secret is None:
            checks.append(
                Check(
                    "slack mode", False, "HTTP mode needs SLACK_SIGNING_SECRET (Basic Information)"
                )
            )
        else:
            checks.append(Check("slack mode", True, "HTTP: signing secret set"))
    elif settings.slack_app_token is None:
        checks.append(Check("slack mode", False, "Socket Mode needs SLACK_APP_TOKEN (xapp-…)"))
    elif not settings.slack_app_token.get_secret_value().startswith("xapp-"):
        checks.append(
            Check("slack mode", False, "SLACK_APP_TOKEN is not an app-level token (xapp-…)")
        )
    else:
        checks.append(Check("slack mode", True, "Socket Mode: app-level token set"))
    return checks


def slack_token(deps: Deps, client: WebClient) -> list[Check]:
    """`auth.test` accepts the token, and it has the manifest's scopes; the ops channel can
    be posted to."""
    if deps.settings.slack_bot_token is None:
        return []
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "") or f"HTTP {exc.response.status_code}"
        return [Check("slack token", False, f"auth.test refused it: {error}")]
    except Exception as exc:
        return [Check("slack token", False, f"Slack did not answer auth.test: {exc}")]
    header = next(
        (v for k, v in (response.headers or {}).items() if k.lower() == "x-oauth-scopes"), ""
    )
    granted = {scope.strip() for scope in str(header).split(",") if scope.strip()}
    missing = [scope for scope in MANIFEST_SCOPES if scope not in granted]
    team = response.get("team") or response.get("team_id") or "?"
    checks = [Check("slack token", True, f"works for {team} as {response.get('user_id')}")]
    if missing:
        checks.append(
            Check(
                "slack scopes",
                False,
                "missing "
                + ", ".join(
                    f"{scope} ({SCOPE_USES[scope]})" if scope in SCOPE_USES else scope
                    for scope in missing
                )
                + ": add them (slack/manifest.yml), reinstall the app",
            )
        )
    else:
        checks.append(Check("slack scopes", True, f"all {len(MANIFEST_SCOPES)} of the manifest"))
    channel = deps.settings.ops_channel
    if channel is None:
        checks.append(Check("ops channel", None, "off: set KPIBOT_OPS_CHANNEL to hear of failures"))
        return checks
    try:
        info = client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        checks.append(Check("ops channel", False, f"{channel}: {error} (invite @kpibot there)"))
        return checks
    except Exception as exc:
        checks.append(Check("ops channel", False, f"{channel}: Slack did not answer: {exc}"))
        return checks
    found = info.get("channel") or {}
    if found.get("is_archived"):
        checks.append(Check("ops channel", False, f"{channel} is archived"))
    elif found.get("is_private") and not found.get("is_member"):
        checks.append(Check("ops channel", False, f"{channel} is private: /invite @kpibot there"))
    else:
        checks.append(Check("ops channel", True, f"{channel} can be posted to"))
    return checks


def scheduler(deps: Deps) -> list[Check]:
    """A scheduler's heartbeat is recent; no incident is open."""
    now = deps.clock()
    try:
        with read_snapshot(deps.sessions) as session:
            beats = heartbeats(session=session)
            incidents = [i.key for i in open_incidents(session=session)]
    except Exception:
        return [Check("scheduler", None, "not checked: the database does not answer")]
    checks = []
    if not beats:
        checks.append(
            Check(
                "scheduler",
                False,
                "no scheduler has ever run: start `kpibot serve` or `kpibot scheduler`",
            )
        )
    else:
        newest = beats[0]
        age = int((now - newest.beat_at).total_seconds())
        if now - newest.beat_at <= RECENT:
            alive = sum(1 for b in beats if now - b.beat_at <= RECENT)
            checks.append(
                Check(
                    "scheduler", True, f"{alive} running (last beat {age} s ago, {newest.worker})"
                )
            )
        else:
            checks.append(
                Check("scheduler", False, f"none ran for {age // 60} min (last: {newest.worker})")
            )
    if incidents:
        keys = ", ".join(incidents)
        checks.append(Check("incidents", False, f"open: {keys}"))
    else:
        checks.append(Check("incidents", True, "none open"))
    return checks


def connectors(deps: Deps, features: Sequence[Feature]) -> list[Check]:
    """Each feature's own checks (a connector's secret); a line saying none when none."""
    checks = [check for f in features if f.checks is not None for check in f.checks(deps)]
    return checks or [Check("connectors", None, "none registered")]


def cheap_checks(deps: Deps, features: Sequence[Feature]) -> list[Check]:
    """What `serve` checks at start-up: nothing that calls Slack."""
    return [*database(deps), *slack_settings(deps), *connectors(deps, features)]


def checks(deps: Deps, features: Sequence[Feature], client: Callable[[], WebClient]) -> list[Check]:
    """Every check, in the order `kpibot doctor` prints them."""
    found = [*database(deps), *slack_settings(deps)]
    if not any(c.ok is False for c in found if c.name.startswith("slack")):
        found += slack_token(deps, client())
    return [*found, *connectors(deps, features), *scheduler(deps)]


def line(check: Check) -> str:
    """`ok    database: PostgreSQL 15 answers`."""
    mark = {True: "ok  ", False: "FAIL", None: "off "}[check.ok]
    return f"{mark}  {check.name}: {check.detail}"


def verdict(found: Sequence[Check]) -> tuple[bool, str]:
    """Whether everything holds, and the last line naming what failed."""
    failed = [c.name for c in found if c.ok is False]
    if failed:
        return False, f"doctor: {len(failed)} check(s) failed: {', '.join(dict.fromkeys(failed))}"
    return True, f"doctor: all {sum(1 for c in found if c.ok)} checks passed"
